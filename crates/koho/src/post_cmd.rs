//! `koho post …`: the posting workflow from the command line. A thin shell over
//! `koho_workflow::posts`; every step names the acting person (`--as EMAIL`) and the
//! workflow checks their role against the guideline. Times are read in the guideline's
//! time zone (Asia/Tokyo for every preset), whatever the server's `TZ`.

use std::collections::BTreeMap;

use clap::{Args, Subcommand, ValueEnum};
use koho_store::{AccountId, Person, PostId, PostKind, PostState, RequestId};
use koho_workflow::Workflow;
use koho_workflow::posts::state::{post_state_label, target_state_label};
use koho_workflow::posts::{
    CorrectionDraft, ExceptionChoice, FeedInfo, ImageUpload, PostDraft, PostEdit, PostError,
    PostView, render_atom, tz,
};

use crate::config::Config;
use crate::db_cmd::{block_on, now_ms, open_store, open_workflow, wf_err};
use crate::error::{CliError, CliResult};
use crate::out;

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum ArchiveFormat {
    #[default]
    Text,
    Json,
    Atom,
}

/// Images of a post: files, each with its alt text (in the same order).
#[derive(Args, Clone, Debug, Default)]
pub struct ImageArgs {
    /// 添付する画像（JPEG・PNG・WebP、複数可）。位置情報などは保存前に削除し、事前チェックで確認する
    #[arg(long = "image", value_name = "PATH")]
    images: Vec<String>,
    /// 画像の代替テキスト（--image と同じ順に指定）。対応する媒体では必須
    #[arg(long = "alt", value_name = "TEXT")]
    alts: Vec<String>,
}

fn read_images(a: &ImageArgs) -> CliResult<Vec<ImageUpload>> {
    if a.alts.len() > a.images.len() {
        return Err(CliError::input(
            "CLI_BAD_ARGUMENT",
            format!(
                "--alt が {} 個ありますが、--image は {} 個です（--alt は画像と同じ順に、画像の数まで指定します）",
                a.alts.len(),
                a.images.len()
            ),
            "more --alt than --image",
        ));
    }
    a.images
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let bytes = crate::load::read_bytes(path)?;
            let name = std::path::Path::new(path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
            Ok(ImageUpload {
                name,
                bytes,
                alt_text: a.alts.get(i).cloned(),
            })
        })
        .collect()
}

/// The text of a post: inline or from a file (`-` reads standard input).
#[derive(Args, Clone, Debug)]
pub struct TextArgs {
    /// 本文
    #[arg(long, conflicts_with = "file")]
    text: Option<String>,
    /// 本文のファイル（- で標準入力）
    #[arg(long)]
    file: Option<String>,
    /// 媒体ごとの本文（例: --variant "x=短い版"）。文字数の上限が違う媒体に
    #[arg(long = "variant", value_name = "PLATFORM=TEXT")]
    variants: Vec<String>,
}

#[derive(Subcommand)]
pub enum PostCmd {
    /// 下書きを作る（保存のたびに事前チェックを行い、結果を版とともに記録）
    Draft {
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        /// 投稿先の公式アカウント（ID・URL・ユーザー名、複数可）
        #[arg(long = "account", required = true)]
        accounts: Vec<String>,
        #[command(flatten)]
        text: TextArgs,
        #[command(flatten)]
        images: ImageArgs,
        /// ガイドラインが承認を求める事項（美祢市 第4-6 の official-view など）
        #[arg(long = "matter")]
        matters: Vec<String>,
        /// シェアの分類（美祢市 第4-2(4)）。指定するとシェアの投稿になる
        #[arg(long)]
        share_category: Option<String>,
        /// シェアする元の URL
        #[arg(long)]
        share_url: Option<String>,
        /// 公開予定時刻（自治体の時刻、例: "2026-06-01 09:30"）
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 本文を直す（新しい版。承認済みでも未公開なら承認をやり直す）
    Edit {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[command(flatten)]
        text: TextArgs,
        /// 画像を差し替える（指定しなければ前の版の画像を引き継ぐ）
        #[command(flatten)]
        images: ImageArgs,
        /// 画像をすべて外す
        #[arg(long, conflicts_with = "images")]
        no_images: bool,
        /// 訂正のお詫びの文
        #[arg(long)]
        apology: Option<String>,
    },
    /// 投稿の詳細（版、チェック結果、投稿先、決定の記録）
    Show {
        post: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 投稿の一覧
    List {
        /// draft, submitted, approved, rejected, expired, withdrawn
        #[arg(long)]
        state: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 承認を申請する（承認が不要な場合・例外を選んだ場合はそのまま公開予定になる）
    Submit {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        /// 承認の例外（高鍋町 3.8 の emergency など）。--reason が必要
        #[arg(long, requires = "reason")]
        exception: Option<String>,
        /// 例外を選んだ理由
        #[arg(long)]
        reason: Option<String>,
    },
    /// 事前チェックのエラーを承認者が上書きする（理由と条項が必要）
    Override {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long)]
        reason: String,
        /// 上書きの根拠となるガイドラインの条項（例: 3.3）
        #[arg(long)]
        clause: String,
    },
    /// 承認する（作成者本人は不可）
    Approve {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// 差し戻す（理由が必要。作成者に通知）
    Reject {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long)]
        reason: String,
    },
    /// 公開予定時刻を決める（--now で承認後すぐ）
    Schedule {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        /// 自治体の時刻（例: "2026-06-01 09:30"）
        #[arg(long, conflicts_with = "now", required_unless_present = "now")]
        at: Option<String>,
        #[arg(long)]
        now: bool,
    },
    /// 公開済みの投稿の訂正を作る（お詫びが必要なガイドラインでは --apology）
    Correct {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[command(flatten)]
        text: TextArgs,
        #[command(flatten)]
        images: ImageArgs,
        #[arg(long)]
        apology: Option<String>,
    },
    /// 緊急投稿の事後報告を了承する
    Acknowledge {
        post: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
    },
    /// 公開済みの投稿のアーカイブ（--format atom で Atom フィード）
    Archive {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, value_enum, default_value = "text")]
        format: ArchiveFormat,
    },
    /// 時間の経過を反映する（期限切れ・公開見送り・事後報告の督促）
    Sweep,
    /// 公開すべき投稿の一覧（公開処理が読む）
    Due {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 他の所属からの発信依頼を出す（美祢市 第4-2(3)）
    Request {
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long)]
        title: String,
        #[command(flatten)]
        text: TextArgs,
    },
    /// 発信依頼の一覧
    Requests {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 発信依頼を採用して下書きにする
    Accept {
        request: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long = "account", required = true)]
        accounts: Vec<String>,
    },
    /// 発信依頼を見送る（理由が必要。依頼者に通知）
    Decline {
        request: String,
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long)]
        reason: String,
    },
    /// 自分あての通知
    Inbox {
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

pub(crate) fn post_err(e: &PostError) -> CliError {
    if let PostError::Workflow(w) = e {
        return wf_err(w);
    }
    let err = CliError::input(e.code(), e.ja(), e.to_string());
    if e.is_refusal() {
        err
    } else {
        CliError { exit: 3, ..err }
    }
}

fn json_out<T: serde::Serialize>(v: &T) -> CliResult<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| {
        CliError::input(
            "CLI_JSON",
            format!("JSON に変換できません（{e}）"),
            e.to_string(),
        )
    })?;
    out(&format!("{s}\n"))
}

fn read_text(t: &TextArgs) -> CliResult<(String, BTreeMap<String, String>)> {
    let body = match (&t.text, &t.file) {
        (Some(s), _) => s.clone(),
        (None, Some(path)) if path == "-" => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| CliError::io("<stdin>", &e))?;
            s
        }
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| CliError::io(path, &e))?,
        (None, None) => {
            return Err(CliError::input(
                "CLI_NO_TEXT",
                "本文を --text か --file で指定してください",
                "give the text with --text or --file",
            ));
        }
    };
    let mut variants = BTreeMap::new();
    for v in &t.variants {
        let Some((p, text)) = v.split_once('=') else {
            return Err(CliError::input(
                "CLI_BAD_ARGUMENT",
                format!("--variant「{v}」は「媒体=本文」の形で指定してください（例: x=短い版）"),
                format!("--variant `{v}` is not PLATFORM=TEXT"),
            ));
        };
        variants.insert(p.trim().to_owned(), text.to_owned());
    }
    Ok((body, variants))
}

async fn actor(wf: &Workflow, email: &str) -> CliResult<Person> {
    wf.person_by_email(email).await.map_err(|e| match e {
        koho_workflow::WorkflowError::NotFound { .. } => CliError::input(
            "CLI_UNKNOWN_PERSON",
            format!(
                "職員「{email}」は自治体「{}」に登録されていません（--as には登録済みの職員のメールアドレスを指定します）",
                wf.municipality().name
            ),
            format!("no person `{email}` in this municipality"),
        ),
        other => wf_err(&other),
    })
}

async fn accounts(wf: &Workflow, keys: &[String]) -> CliResult<Vec<AccountId>> {
    let mut out = Vec::new();
    for k in keys {
        out.push(wf.find_account(k, None).await.map_err(|e| wf_err(&e))?.id);
    }
    Ok(out)
}

fn when(wf: &Workflow, s: &str) -> CliResult<i64> {
    tz::parse_local(s, &wf.guideline().municipality.timezone).map_err(|e| post_err(&e))
}

fn local(wf: &Workflow, ms: Option<i64>) -> String {
    match ms {
        Some(ms) => tz::local_minute(ms, &wf.guideline().municipality.timezone)
            .unwrap_or_else(|_| ms.to_string()),
        None => "承認後すぐ".to_owned(),
    }
}

fn show_text(wf: &Workflow, v: &PostView) -> String {
    let kind = match v.post.kind {
        PostKind::Original => "投稿",
        PostKind::Correction => "訂正",
        PostKind::Share => "シェア",
    };
    let mut s = format!(
        "{kind} {}（{}）第{}版\n公開予定: {}\n",
        v.post.id,
        v.state_label,
        v.version.version,
        local(wf, v.post.publish_at)
    );
    s.push_str(&format!("本文:\n{}\n", v.version.body));
    if let Some(a) = &v.version.apology {
        s.push_str(&format!("お詫び:\n{a}\n"));
    }
    for (i, img) in v.images.iter().enumerate() {
        s.push_str(&format!(
            "画像 {}: {}（{} バイト）{}\n",
            i + 1,
            img.alt_text.as_deref().unwrap_or("代替テキストなし"),
            img.bytes.len(),
            if img.has_gps {
                " 元の画像に位置情報あり（削除して保存）"
            } else {
                ""
            }
        ));
    }
    s.push_str("投稿先:\n");
    for t in &v.targets {
        s.push_str(&format!(
            "  {} {}: {}{}\n",
            t.platform,
            t.handle,
            t.state_label,
            t.target
                .remote_url
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default()
        ));
    }
    s.push_str(&format!(
        "事前チェック: エラー {} 件{}\n",
        v.version.error_count,
        if v.blocked {
            "（承認者の上書きが必要）"
        } else {
            ""
        }
    ));
    for d in &v.decisions {
        s.push_str(&format!(
            "  決定: {} 第{}版 {}{}\n",
            d.kind,
            d.version,
            d.clause_label
                .as_deref()
                .map(|c| format!("（{c}）"))
                .unwrap_or_default(),
            d.reason
                .as_deref()
                .map(|r| format!(" 理由: {r}"))
                .unwrap_or_default()
        ));
    }
    if let Some(r) = &v.report {
        s.push_str(&format!(
            "事後報告: {}（督促 {} 回）\n",
            if r.acknowledged_at.is_some() {
                "了承済み"
            } else {
                "未了承"
            },
            r.reminders
        ));
    }
    s
}

fn post_id(s: &str) -> PostId {
    PostId::from(s.trim())
}

pub fn run(cmd: PostCmd) -> CliResult<u8> {
    let cfg = Config::load()?;
    block_on(async move {
        let store = open_store(&cfg).await?;
        let result = match open_workflow(&cfg, &store).await {
            Ok(wf) => dispatch(&wf, cmd).await,
            Err(e) => Err(e),
        };
        store.close().await;
        result
    })?
}

async fn dispatch(wf: &Workflow, cmd: PostCmd) -> CliResult<u8> {
    let now = now_ms();
    let pe = |e: PostError| post_err(&e);
    match cmd {
        PostCmd::Draft {
            actor: a,
            accounts: keys,
            text,
            images,
            matters,
            share_category,
            share_url,
            at,
            format,
        } => {
            let p = actor(wf, &a).await?;
            let (body, variants) = read_text(&text)?;
            let images = read_images(&images)?;
            let publish_at = match at {
                Some(s) => Some(when(wf, &s)?),
                None => None,
            };
            let draft = PostDraft {
                kind: Some(if share_category.is_some() || share_url.is_some() {
                    PostKind::Share
                } else {
                    PostKind::Original
                }),
                accounts: accounts(wf, &keys).await?,
                body,
                variants,
                matters,
                share_category,
                share_url,
                publish_at,
                images,
            };
            let v = wf.draft_post(&draft, &p.id, now).await.map_err(pe)?;
            match format {
                Format::Json => json_out(&v)?,
                Format::Text => out(&show_text(wf, &v))?,
            }
        }
        PostCmd::Edit {
            post,
            actor: a,
            text,
            images,
            no_images,
            apology,
        } => {
            let p = actor(wf, &a).await?;
            let (body, variants) = read_text(&text)?;
            let images = if no_images {
                Some(Vec::new())
            } else if images.images.is_empty() && images.alts.is_empty() {
                None
            } else {
                Some(read_images(&images)?)
            };
            let edit = PostEdit {
                body,
                apology,
                variants,
                accounts: None,
                matters: None,
                images,
            };
            let v = wf
                .edit_post(&post_id(&post), &edit, &p.id, now)
                .await
                .map_err(pe)?;
            out(&show_text(wf, &v))?;
        }
        PostCmd::Show { post, format } => {
            let v = wf.post(&post_id(&post)).await.map_err(pe)?;
            match format {
                Format::Json => json_out(&v)?,
                Format::Text => out(&show_text(wf, &v))?,
            }
        }
        PostCmd::List { state, format } => {
            let state = match state.as_deref() {
                Some(s) => Some(s.parse::<PostState>().map_err(|_| {
                    CliError::input(
                        "CLI_BAD_ARGUMENT",
                        format!("状態「{s}」はありません（draft, submitted, approved, rejected, expired, withdrawn）"),
                        format!("unknown post state `{s}`"),
                    )
                })?),
                None => None,
            };
            let list = wf.posts(state).await.map_err(pe)?;
            match format {
                Format::Json => json_out(&list)?,
                Format::Text => {
                    let mut s = format!("投稿 {} 件\n", list.len());
                    for p in &list {
                        s.push_str(&format!(
                            "{}  {}  {}  第{}版\n",
                            p.id,
                            post_state_label(p.state),
                            local(wf, p.publish_at),
                            p.version
                        ));
                    }
                    out(&s)?;
                }
            }
        }
        PostCmd::Submit {
            post,
            actor: a,
            exception,
            reason,
        } => {
            let p = actor(wf, &a).await?;
            let choice = exception.map(|id| ExceptionChoice {
                id,
                reason: reason.unwrap_or_default(),
            });
            let v = wf
                .submit_post(&post_id(&post), &p.id, choice.as_ref(), now)
                .await
                .map_err(pe)?;
            out(&show_text(wf, &v))?;
        }
        PostCmd::Override {
            post,
            actor: a,
            reason,
            clause,
        } => {
            let p = actor(wf, &a).await?;
            let d = wf
                .override_findings(&post_id(&post), &p.id, &reason, &clause, now)
                .await
                .map_err(pe)?;
            out(&format!(
                "事前チェックのエラーを上書きしました（{} {}、第{}版）\n",
                wf.guideline().id,
                clause,
                d.version
            ))?;
        }
        PostCmd::Approve {
            post,
            actor: a,
            note,
        } => {
            let p = actor(wf, &a).await?;
            let v = wf
                .approve_post(&post_id(&post), &p.id, note.as_deref(), now)
                .await
                .map_err(pe)?;
            out(&show_text(wf, &v))?;
        }
        PostCmd::Reject {
            post,
            actor: a,
            reason,
        } => {
            let p = actor(wf, &a).await?;
            let v = wf
                .reject_post(&post_id(&post), &p.id, &reason, now)
                .await
                .map_err(pe)?;
            out(&show_text(wf, &v))?;
        }
        PostCmd::Schedule {
            post,
            actor: a,
            at,
            now: _,
        } => {
            let p = actor(wf, &a).await?;
            let at = match at {
                Some(s) => Some(when(wf, &s)?),
                None => None,
            };
            let v = wf
                .schedule_post(&post_id(&post), &p.id, at, now)
                .await
                .map_err(pe)?;
            out(&show_text(wf, &v))?;
        }
        PostCmd::Correct {
            post,
            actor: a,
            text,
            images,
            apology,
        } => {
            let p = actor(wf, &a).await?;
            let (body, variants) = read_text(&text)?;
            let images = read_images(&images)?;
            let v = wf
                .correct_post(
                    &post_id(&post),
                    &CorrectionDraft {
                        body,
                        apology,
                        variants,
                        images,
                    },
                    &p.id,
                    now,
                )
                .await
                .map_err(pe)?;
            out(&show_text(wf, &v))?;
        }
        PostCmd::Acknowledge { post, actor: a } => {
            let p = actor(wf, &a).await?;
            wf.acknowledge_report(&post_id(&post), &p.id, now)
                .await
                .map_err(pe)?;
            out("事後報告を了承しました\n")?;
        }
        PostCmd::Archive { limit, format } => {
            let entries = wf.archive(limit).await.map_err(pe)?;
            match format {
                ArchiveFormat::Json => json_out(&entries)?,
                ArchiveFormat::Atom => {
                    let g = wf.guideline();
                    let home = g.municipality.homepage.trim_end_matches('/');
                    let info = FeedInfo {
                        title: format!(
                            "{} 公式ソーシャルメディア投稿アーカイブ",
                            g.municipality.name
                        ),
                        self_url: format!("{home}/archive.atom"),
                        html_url: format!("{home}/archive"),
                        author: g.municipality.name.clone(),
                        timezone: g.municipality.timezone.clone(),
                    };
                    out(&render_atom(&info, &entries).map_err(pe)?)?;
                }
                ArchiveFormat::Text => {
                    let mut s = format!("公開済みの投稿 {} 件\n", entries.len());
                    for e in &entries {
                        s.push_str(&format!(
                            "{}  {}\n  {}\n",
                            local(wf, Some(e.published_at)),
                            e.post_id,
                            e.text.replace('\n', " ")
                        ));
                        for l in &e.links {
                            s.push_str(&format!(
                                "  {} {} {}{}\n",
                                l.platform,
                                l.handle,
                                l.state_label,
                                l.url
                                    .as_deref()
                                    .map(|u| format!(" {u}"))
                                    .unwrap_or_default()
                            ));
                        }
                        for c in &e.corrected_by {
                            s.push_str(&format!("  → 訂正: {}\n", c.post_id));
                        }
                        if let Some(o) = &e.corrects {
                            s.push_str(&format!("  ← 訂正前: {}\n", o.post_id));
                        }
                    }
                    out(&s)?;
                }
            }
        }
        PostCmd::Sweep => {
            let s = wf.sweep_posts(now).await.map_err(pe)?;
            out(&format!(
                "期限切れ {} 件、公開見送り {} 件、事後報告の督促 {} 件\n",
                s.expired.len(),
                s.missed.len(),
                s.reminded.len()
            ))?;
        }
        PostCmd::Due { format } => {
            let due = wf.due_targets(now).await.map_err(pe)?;
            match format {
                Format::Json => json_out(&due)?,
                Format::Text => {
                    let mut s = format!("公開すべき投稿 {} 件\n", due.len());
                    for d in &due {
                        s.push_str(&format!(
                            "{}  {} {}  {}\n",
                            d.target.id,
                            d.account.fields.platform,
                            d.account.fields.handle,
                            target_state_label(d.target.state)
                        ));
                    }
                    out(&s)?;
                }
            }
        }
        PostCmd::Request {
            actor: a,
            title,
            text,
        } => {
            let p = actor(wf, &a).await?;
            let (body, _) = read_text(&text)?;
            let r = wf
                .submit_request(&p.id, &title, &body, None, now)
                .await
                .map_err(pe)?;
            out(&format!("発信依頼 {} を提出しました\n", r.id))?;
        }
        PostCmd::Requests { format } => {
            let list = wf.requests().await.map_err(pe)?;
            match format {
                Format::Json => json_out(&list)?,
                Format::Text => {
                    let mut s = format!("発信依頼 {} 件\n", list.len());
                    for r in &list {
                        s.push_str(&format!("{}  {}  {}\n", r.id, r.status, r.title));
                    }
                    out(&s)?;
                }
            }
        }
        PostCmd::Accept {
            request,
            actor: a,
            accounts: keys,
        } => {
            let p = actor(wf, &a).await?;
            let ids = accounts(wf, &keys).await?;
            let v = wf
                .accept_request(&RequestId::from(request.trim()), &p.id, &ids, now)
                .await
                .map_err(pe)?;
            out(&show_text(wf, &v))?;
        }
        PostCmd::Decline {
            request,
            actor: a,
            reason,
        } => {
            let p = actor(wf, &a).await?;
            wf.decline_request(&RequestId::from(request.trim()), &p.id, &reason, now)
                .await
                .map_err(pe)?;
            out("発信依頼を見送りました（依頼者に通知しました）\n")?;
        }
        PostCmd::Inbox { actor: a, format } => {
            let p = actor(wf, &a).await?;
            let list = wf.notifications(&p.id).await.map_err(pe)?;
            match format {
                Format::Json => json_out(&list)?,
                Format::Text => {
                    let mut s = format!("通知 {} 件\n", list.len());
                    for n in &list {
                        s.push_str(&format!(
                            "{}  {}\n",
                            local(wf, Some(n.created_at)),
                            n.message
                        ));
                    }
                    out(&s)?;
                }
            }
        }
    }
    Ok(0)
}
