//! `koho account …`: the official-account register from the command line. Every decision
//! names the acting person (`--as EMAIL`); the workflow checks their role against the
//! guideline and records them in the audit log.

use std::collections::BTreeMap;

use clap::{Args, Subcommand, ValueEnum};
use koho_store::{AccountState, ApplicationStatus, Person, PersonId, Platform};
use koho_workflow::register::platform_label;
use koho_workflow::state::state_label;
use koho_workflow::time::{iso_date, iso_minute};
use koho_workflow::{
    AccountDetail, AccountDraft, GrandfatheredReport, OpeningRequest, PurposeChange,
    PurposeChangeOutcome, SuspendRequest, Workflow,
};
use unicode_width::UnicodeWidthStr;

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

#[derive(Subcommand)]
pub enum AccountCmd {
    /// 公式アカウント台帳の一覧（申請中・廃止を含むすべて）
    List {
        /// この状態だけ: applied, approved, active, suspended, closed, rejected, grandfathered
        #[arg(long)]
        state: Option<String>,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 1つのアカウントの詳細: 申請、運用ポリシーの版、停止・廃止の記録、プロフィールのチェックリスト
    Show {
        /// アカウントの ID・URL・ユーザー名
        account: String,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 申請の一覧（既定は審査中のもの）
    Applications {
        /// submitted（既定）, approved, rejected, all
        #[arg(long, default_value = "submitted")]
        status: String,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 開設申請（ガイドラインが求める項目と、既存アカウントの活用の検討への回答を添えて）
    Apply(Box<ApplyArgs>),
    /// 申請を承認する（ガイドラインの承認者のみ。申請者本人は不可）
    Approve {
        /// 申請 ID、またはアカウントのユーザー名（審査中の申請）
        application: String,
        /// 承認する職員のメールアドレス
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        /// 手続の適用除外として承認する（狛江市 4(2)イ ただし書など、委員長等のみ）
        #[arg(long)]
        waiver: bool,
        /// 承認にあたっての意見
        #[arg(long)]
        note: Option<String>,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
    },
    /// 申請を却下する（理由が必要）
    Reject {
        /// 申請 ID、またはアカウントのユーザー名（審査中の申請）
        application: String,
        /// 操作する職員のメールアドレス（ガイドラインが定める役割を持つ人）
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        /// 却下の理由（記録され、申請者に示されます）
        #[arg(long)]
        reason: String,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
    },
    /// 承認済みのアカウントの運用を開始する（運用ポリシーの公開が必要な場合あり）
    Activate(ActorArgs),
    /// 運用ポリシー: 公開中の版を表示、--draft で台帳から新しい版を作成、--publish で下書きを公開
    Policy {
        /// アカウントの ID・URL・ユーザー名（例: @midori_city）
        account: String,
        /// 操作する職員のメールアドレス（--draft / --publish のとき必要）
        #[arg(long = "as", value_name = "EMAIL")]
        actor: Option<String>,
        /// 台帳の内容とガイドラインのひな形から新しい版（下書き）を作る
        #[arg(long)]
        draft: bool,
        /// 下書き（--version で版を指定、既定は最新の下書き）を公開する
        #[arg(long)]
        publish: bool,
        /// 表示・公開する版の番号
        #[arg(long)]
        version: Option<i64>,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 目的・発信内容を変更する（ガイドラインが求めるときは再承認の申請になる）
    ChangePurpose {
        /// アカウントの ID・URL・ユーザー名（例: @midori_city）
        account: String,
        /// 操作する職員のメールアドレス（ガイドラインが定める役割を持つ人）
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long)]
        purpose: String,
        /// 新しい発信内容（複数可。省略すると現在のまま）
        #[arg(long)]
        content: Vec<String>,
        /// 変更の理由
        #[arg(long, default_value = "")]
        reason: String,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
    },
    /// 運用を停止する（影響度・事前周知・市広報アカウントへの誘導を記録し、アカウントは削除しない）
    Suspend {
        /// アカウントの ID・URL・ユーザー名（例: @midori_city）
        account: String,
        /// 操作する職員のメールアドレス（ガイドラインが定める役割を持つ人）
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        /// 理由（記録され、ガイドラインが定めるときは公開されます）
        #[arg(long)]
        reason: String,
        /// 停止時点のフォロワー数（影響度）
        #[arg(long)]
        followers: Option<i64>,
        /// 誘導先のアカウント（既定は同じサービスの市広報アカウント）
        #[arg(long)]
        redirect: Option<String>,
        /// 事前周知の投稿文（既定は自動で作成）
        #[arg(long)]
        notice_text: Option<String>,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
    },
    /// 停止中のアカウントの運用を再開する
    Resume(ActorArgs),
    /// 停止・廃止したアカウントの定期確認を記録し、次回の確認日を決める
    Check {
        /// アカウントの ID・URL・ユーザー名（例: @midori_city）
        account: String,
        /// 操作する職員のメールアドレス（ガイドラインが定める役割を持つ人）
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        #[arg(long, default_value = "")]
        note: String,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
    },
    /// 定期確認の期限が来ているアカウント
    Due {
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// アカウントを廃止する（理由が必要。台帳の記録とユーザー名は残る）
    Close {
        /// アカウントの ID・URL・ユーザー名（例: @midori_city）
        account: String,
        /// 操作する職員のメールアドレス（ガイドラインが定める役割を持つ人）
        #[arg(long = "as", value_name = "EMAIL")]
        actor: String,
        /// 理由（記録され、ガイドラインが定めるときは公開されます）
        #[arg(long)]
        reason: String,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
    },
    /// ガイドライン施行前からあるアカウントを届け出る（承認不要、届出先はガイドラインによる）
    Report(Box<ReportArgs>),
    /// 届出のあったアカウントを受理し、通常の運用に移す
    Regularize(ActorArgs),
    /// 申請の印刷用の様式（A4 の HTML）: 開設申請（美祢市 様式第1号）または承認の文書（様式第2号）
    Form {
        /// 申請の ID、またはアカウントの ID・URL・ユーザー名（そのアカウントの最新の申請）
        application: String,
        /// application（開設申請）または approval（承認）
        #[arg(long, value_enum)]
        kind: crate::form_cmd::FormKindArg,
        /// 書き出すファイル（省略すると標準出力）
        #[arg(long)]
        out: Option<String>,
        /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
        #[arg(long)]
        platform: Option<String>,
    },
}

#[derive(Args)]
pub struct ActorArgs {
    /// アカウントの ID・URL・ユーザー名（例: @midori_city）
    account: String,
    /// 操作する職員のメールアドレス（ガイドラインが定める役割を持つ人）
    #[arg(long = "as", value_name = "EMAIL")]
    actor: String,
    /// 同じユーザー名が複数のサービスにあるときのサービス（x, instagram …）
    #[arg(long)]
    platform: Option<String>,
}

/// The account fields shared by an application and a report.
#[derive(Args)]
pub struct DraftArgs {
    /// サービス: x, facebook, instagram, line, youtube, bluesky, mastodon, misskey, threads, blog
    #[arg(long)]
    platform: String,
    /// ユーザー名（例: @midori_city）
    #[arg(long)]
    handle: String,
    /// アカウントのページの URL
    #[arg(long)]
    url: Option<String>,
    /// アカウントの名称
    #[arg(long)]
    name: Option<String>,
    /// 所属（省略すると申請者の所属）
    #[arg(long)]
    department: Option<String>,
    /// 運用管理者のメールアドレス
    #[arg(long)]
    manager: Option<String>,
    /// 登録メールアドレス（市のドメインのもの）
    #[arg(long)]
    email: Option<String>,
    /// アカウントの目的
    #[arg(long, default_value = "")]
    purpose: String,
    /// 発信する内容（複数可）
    #[arg(long)]
    content: Vec<String>,
    /// 表現の硬軟度合い
    #[arg(long)]
    tone: Option<String>,
    /// コメントへの対応方針
    #[arg(long)]
    reply_policy: Option<String>,
    /// フォローの方針
    #[arg(long)]
    follow_policy: Option<String>,
    /// 投稿に決裁が必要か: yes / no
    #[arg(long)]
    approval_needed: Option<String>,
    /// 市広報アカウント（メインアカウント）として登録する
    #[arg(long)]
    main: bool,
    /// 現在のフォロワー数
    #[arg(long)]
    followers: Option<i64>,
}

#[derive(Args)]
pub struct ApplyArgs {
    /// 申請する職員のメールアドレス
    #[arg(long = "as", value_name = "EMAIL")]
    actor: String,
    #[command(flatten)]
    draft: DraftArgs,
    /// 運用計画（情報化計画）
    #[arg(long, default_value = "")]
    plan: String,
    /// 運用ポリシーのファイル（省略するとガイドラインのひな形から作成）
    #[arg(long)]
    policy_file: Option<String>,
    /// パスワードの保管方法（パスワードそのものは記録しません）
    #[arg(long)]
    credentials_note: Option<String>,
    /// 運用開始予定時期
    #[arg(long)]
    start_date: Option<String>,
    /// その他
    #[arg(long)]
    other: Option<String>,
    /// 既存アカウントの活用の検討への回答: 質問ID=回答（複数可）
    #[arg(long, value_name = "ID=ANSWER")]
    review: Vec<String>,
    /// 提出せずに、重複の可能性がある既存アカウント・検討事項・不足項目だけを表示する
    #[arg(long)]
    check: bool,
    /// 出力形式: text または json
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Args)]
pub struct ReportArgs {
    /// 届け出る職員のメールアドレス
    #[arg(long = "as", value_name = "EMAIL")]
    actor: String,
    #[command(flatten)]
    draft: DraftArgs,
    /// 運用開始時期
    #[arg(long)]
    since: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

fn platform(s: &str) -> CliResult<Platform> {
    s.trim().to_lowercase().parse::<Platform>().map_err(|_| {
        CliError::input(
            "CLI_UNKNOWN_PLATFORM",
            format!(
                "サービス「{s}」はありません（x, facebook, instagram, line, youtube, bluesky, mastodon, misskey, threads, blog, other）"
            ),
            format!("unknown platform `{s}`"),
        )
    })
}

fn opt_platform(s: &Option<String>) -> CliResult<Option<Platform>> {
    s.as_deref().map(platform).transpose()
}

fn yes_no(s: &Option<String>) -> CliResult<Option<bool>> {
    match s.as_deref().map(|v| v.trim().to_lowercase()) {
        None => Ok(None),
        Some(v) if ["yes", "y", "true", "要", "はい", "1"].contains(&v.as_str()) => {
            Ok(Some(true))
        }
        Some(v) if ["no", "n", "false", "不要", "いいえ", "0"].contains(&v.as_str()) => {
            Ok(Some(false))
        }
        Some(v) => Err(CliError::input(
            "CLI_BAD_ARGUMENT",
            format!("--approval-needed には yes か no を指定してください（「{v}」）"),
            format!("--approval-needed expects yes or no, got `{v}`"),
        )),
    }
}

pub(crate) fn json_out<T: serde::Serialize>(v: &T) -> CliResult<()> {
    out(&format!(
        "{}\n",
        serde_json::to_string_pretty(v).unwrap_or_default()
    ))
}

/// Pads `s` to `width` terminal columns.
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| UnicodeWidthStr::width(*h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(UnicodeWidthStr::width(c.as_str()));
            }
        }
    }
    let line = |cells: Vec<String>| -> String {
        let n = cells.len();
        let mut s = String::new();
        for (i, c) in cells.into_iter().enumerate() {
            if i + 1 == n {
                s.push_str(&c);
            } else {
                s.push_str(&pad(&c, widths[i] + 2));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut s = line(headers.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        s.push_str(&line(r.clone()));
    }
    s
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

pub fn run(cmd: AccountCmd) -> CliResult<u8> {
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

async fn names(wf: &Workflow) -> CliResult<BTreeMap<PersonId, String>> {
    Ok(wf
        .people()
        .await
        .map_err(|e| wf_err(&e))?
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect())
}

async fn dispatch(wf: &Workflow, cmd: AccountCmd) -> CliResult<u8> {
    let now = now_ms();
    let e = |e: koho_workflow::WorkflowError| wf_err(&e);
    match cmd {
        AccountCmd::List { state, format } => {
            let wanted = match state.as_deref() {
                Some(s) => Some(s.parse::<AccountState>().map_err(|_| {
                    CliError::input(
                        "CLI_BAD_ARGUMENT",
                        format!("状態「{s}」はありません（applied, approved, active, suspended, closed, rejected, grandfathered）"),
                        format!("unknown state `{s}`"),
                    )
                })?),
                None => None,
            };
            let mut rows = wf.register_rows().await.map_err(e)?;
            if let Some(s) = wanted {
                rows.retain(|r| r.state == s);
            }
            match format {
                Format::Json => json_out(&rows)?,
                Format::Text => {
                    let body: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.platform_label.clone(),
                                r.handle.clone(),
                                r.display_name.clone(),
                                r.department.clone().unwrap_or_default(),
                                r.state_label.clone(),
                                r.policy_version
                                    .map(|v| format!("第{v}版"))
                                    .unwrap_or_default(),
                            ]
                        })
                        .collect();
                    let mut s = format!(
                        "{}の公式アカウント台帳（{} 件）\n",
                        wf.municipality().name,
                        rows.len()
                    );
                    s.push_str(&table(
                        &["サービス", "ID", "名称", "所属", "状態", "運用ポリシー"],
                        &body,
                    ));
                    out(&s)?;
                }
            }
            Ok(0)
        }
        AccountCmd::Show {
            account,
            platform: p,
            format,
        } => {
            let a = wf
                .find_account(&account, opt_platform(&p)?)
                .await
                .map_err(e)?;
            let d = wf.detail(&a.id).await.map_err(e)?;
            match format {
                Format::Json => json_out(&d)?,
                Format::Text => out(&show_text(wf, &d).await?)?,
            }
            Ok(0)
        }
        AccountCmd::Applications { status, format } => {
            let status = match status.as_str() {
                "all" => None,
                s => Some(s.parse::<ApplicationStatus>().map_err(|_| {
                    CliError::input(
                        "CLI_BAD_ARGUMENT",
                        format!(
                            "申請の状態「{s}」はありません（submitted, approved, rejected, all）"
                        ),
                        format!("unknown status `{s}`"),
                    )
                })?),
            };
            let apps = wf.applications(status).await.map_err(e)?;
            match format {
                Format::Json => json_out(&apps)?,
                Format::Text => {
                    let people = names(wf).await?;
                    let body: Vec<Vec<String>> = apps
                        .iter()
                        .map(|a| {
                            vec![
                                a.id.to_string(),
                                match a.kind {
                                    koho_store::ApplicationKind::Opening => "開設".to_owned(),
                                    koho_store::ApplicationKind::PurposeChange => {
                                        "目的の変更".to_owned()
                                    }
                                },
                                format!(
                                    "{} {}",
                                    platform_label(a.proposal.platform),
                                    a.proposal.handle
                                ),
                                people.get(&a.applicant_id).cloned().unwrap_or_default(),
                                a.submitted_at.map(iso_date).unwrap_or_default(),
                                status_ja(a.status).to_owned(),
                            ]
                        })
                        .collect();
                    out(&table(
                        &["申請ID", "種類", "アカウント", "申請者", "申請日", "状態"],
                        &body,
                    ))?;
                }
            }
            Ok(0)
        }
        AccountCmd::Apply(args) => apply(wf, *args, now).await,
        AccountCmd::Approve {
            application,
            actor: who,
            waiver,
            note,
            platform: p,
        } => {
            let person = actor(wf, &who).await?;
            let app = wf
                .find_application(&application, opt_platform(&p)?)
                .await
                .map_err(e)?;
            let d = wf
                .approve(&app.id, &person.id, waiver, note.as_deref(), now)
                .await
                .map_err(e)?;
            let g = wf.guideline();
            let mut s = format!(
                "{}しました: {} {}（申請 {}）\n",
                if waiver {
                    "手続の適用除外として承認"
                } else {
                    "承認"
                },
                platform_label(d.account.fields.platform),
                d.account.fields.handle,
                d.application.id
            );
            s.push_str(&format!("  状態: {}\n", state_label(d.account.state)));
            if let Some(p) = &d.policy {
                s.push_str(&format!(
                    "  運用ポリシー第{}版（下書き）を作成しました。\n",
                    p.version
                ));
            }
            if d.account.state == AccountState::Approved {
                let publish = g.operation_policy.as_ref().is_some_and(|p| p.publish);
                s.push_str("次の手順: ");
                if publish {
                    s.push_str(&format!(
                        "`koho account policy {} --publish --as 管理者` で運用ポリシーを公開し、",
                        d.account.fields.handle
                    ));
                }
                s.push_str(&format!(
                    "`koho account activate {} --as 管理者` で運用を開始します。\n",
                    d.account.fields.handle
                ));
            } else if d.policy.is_some() {
                s.push_str(&format!("次の手順: `koho account policy {} --publish --as 管理者` で新しい運用ポリシーを公開します。\n", d.account.fields.handle));
            }
            out(&s)?;
            Ok(0)
        }
        AccountCmd::Reject {
            application,
            actor: who,
            reason,
            platform: p,
        } => {
            let person = actor(wf, &who).await?;
            let app = wf
                .find_application(&application, opt_platform(&p)?)
                .await
                .map_err(e)?;
            let d = wf
                .reject(&app.id, &person.id, &reason, now)
                .await
                .map_err(e)?;
            out(&format!(
                "却下しました: {} {}（申請 {}）\n  理由: {}\n",
                platform_label(d.account.fields.platform),
                d.account.fields.handle,
                d.application.id,
                reason.trim()
            ))?;
            Ok(0)
        }
        AccountCmd::Activate(a) => {
            let person = actor(wf, &a.actor).await?;
            let acc = wf
                .find_account(&a.account, opt_platform(&a.platform)?)
                .await
                .map_err(e)?;
            let acc = wf.activate(&acc.id, &person.id, now).await.map_err(e)?;
            out(&format!(
                "運用を開始しました: {} {}\n",
                platform_label(acc.fields.platform),
                acc.fields.handle
            ))?;
            Ok(0)
        }
        AccountCmd::Form {
            application,
            kind,
            out,
            platform,
        } => {
            crate::form_cmd::form(
                wf,
                &application,
                opt_platform(&platform)?,
                kind,
                out.as_deref(),
            )
            .await
        }
        AccountCmd::Regularize(a) => {
            let person = actor(wf, &a.actor).await?;
            let acc = wf
                .find_account(&a.account, opt_platform(&a.platform)?)
                .await
                .map_err(e)?;
            let acc = wf.regularize(&acc.id, &person.id, now).await.map_err(e)?;
            out(&format!(
                "届出を受理し、通常の運用に移しました: {} {}\n",
                platform_label(acc.fields.platform),
                acc.fields.handle
            ))?;
            Ok(0)
        }
        AccountCmd::Resume(a) => {
            let person = actor(wf, &a.actor).await?;
            let acc = wf
                .find_account(&a.account, opt_platform(&a.platform)?)
                .await
                .map_err(e)?;
            let acc = wf.resume(&acc.id, &person.id, now).await.map_err(e)?;
            out(&format!(
                "運用を再開しました: {} {}\n",
                platform_label(acc.fields.platform),
                acc.fields.handle
            ))?;
            Ok(0)
        }
        AccountCmd::Policy {
            account,
            actor: who,
            draft,
            publish,
            version,
            platform: p,
            format,
        } => {
            let acc = wf
                .find_account(&account, opt_platform(&p)?)
                .await
                .map_err(e)?;
            if draft || publish {
                let Some(who) = who else {
                    return Err(CliError::input(
                        "CLI_BAD_ARGUMENT",
                        "運用ポリシーの作成・公開には --as で職員を指定してください",
                        "--draft/--publish need --as",
                    ));
                };
                let person = actor(wf, &who).await?;
                if draft {
                    let v = wf.draft_policy(&acc.id, &person.id, now).await.map_err(e)?;
                    out(&format!(
                        "運用ポリシー第{}版（下書き）を作成しました。\n",
                        v.version
                    ))?;
                }
                if publish {
                    let v = wf
                        .publish_policy(&acc.id, version, &person.id, now)
                        .await
                        .map_err(e)?;
                    out(&format!(
                        "運用ポリシー第{}版を公開しました（以前の版は保存されています）。\n",
                        v.version
                    ))?;
                }
                return Ok(0);
            }
            let d = wf.detail(&acc.id).await.map_err(e)?;
            let chosen = match version {
                Some(n) => d.policies.iter().find(|v| v.version == n),
                None => d
                    .policies
                    .iter()
                    .find(|v| v.status == koho_store::PolicyStatus::Published)
                    .or(d.policies.last()),
            };
            match format {
                Format::Json => json_out(&d.policies)?,
                Format::Text => match chosen {
                    Some(v) => out(&format!(
                        "【第{}版・{}】\n{}\n",
                        v.version,
                        policy_status_ja(v.status),
                        v.body.trim_end()
                    ))?,
                    None => out("運用ポリシーはまだありません。\n")?,
                },
            }
            Ok(0)
        }
        AccountCmd::ChangePurpose {
            account,
            actor: who,
            purpose,
            content,
            reason,
            platform: p,
        } => {
            let person = actor(wf, &who).await?;
            let acc = wf
                .find_account(&account, opt_platform(&p)?)
                .await
                .map_err(e)?;
            let outcome = wf
                .change_purpose(
                    &acc.id,
                    &PurposeChange {
                        purpose,
                        content,
                        reason,
                        policy: None,
                    },
                    &person.id,
                    now,
                )
                .await
                .map_err(e)?;
            match outcome {
                PurposeChangeOutcome::NeedsApproval { application } => {
                    let g = wf.guideline();
                    let approver = g
                        .role(&g.opening.approver)
                        .map(|r| r.name.clone())
                        .unwrap_or_default();
                    let clause = g
                        .opening
                        .reapproval_on_purpose_change
                        .as_ref()
                        .map(|c| c.join("・"))
                        .unwrap_or_default();
                    out(&format!(
                        "目的の変更には改めて承認が必要です（{} {clause}）。申請 {} を「{approver}」の審査に回しました。\n",
                        g.id, application.id
                    ))?;
                }
                PurposeChangeOutcome::Changed { account, policy } => out(&format!(
                    "目的を変更しました: {} {}。運用ポリシー第{}版（下書き）を作成しました。\n",
                    platform_label(account.fields.platform),
                    account.fields.handle,
                    policy.version
                ))?,
            }
            Ok(0)
        }
        AccountCmd::Suspend {
            account,
            actor: who,
            reason,
            followers,
            redirect,
            notice_text,
            platform: p,
        } => {
            let person = actor(wf, &who).await?;
            let acc = wf
                .find_account(&account, opt_platform(&p)?)
                .await
                .map_err(e)?;
            let redirect_to = match redirect {
                Some(r) => Some(wf.find_account(&r, None).await.map_err(e)?.id),
                None => None,
            };
            let s = wf
                .suspend(
                    &acc.id,
                    &SuspendRequest {
                        reason,
                        followers,
                        redirect_to,
                        notice_text,
                    },
                    &person.id,
                    now,
                )
                .await
                .map_err(e)?;
            let mut text = format!(
                "運用停止を記録しました: {} {}\n  停止日: {}（事前周知の期間を含む）\n",
                platform_label(s.account.fields.platform),
                s.account.fields.handle,
                iso_date(s.effective_at)
            );
            if let Some(f) = s.account.followers_count {
                text.push_str(&format!("  影響度: フォロワー {f} 人\n"));
            }
            if let Some(r) = &s.redirect_to {
                text.push_str(&format!(
                    "  誘導先: {} {}\n",
                    platform_label(r.fields.platform),
                    r.fields.handle
                ));
            }
            if let Some(n) = s.next_check_at {
                text.push_str(&format!("  次回の状態確認: {}\n", iso_date(n)));
            }
            text.push_str(&format!(
                "事前周知の投稿文（下書き）:\n{}\n",
                indent(&s.notice_text)
            ));
            out(&text)?;
            Ok(0)
        }
        AccountCmd::Check {
            account,
            actor: who,
            note,
            platform: p,
        } => {
            let person = actor(wf, &who).await?;
            let acc = wf
                .find_account(&account, opt_platform(&p)?)
                .await
                .map_err(e)?;
            let ev = wf
                .record_check(&acc.id, &note, &person.id, now)
                .await
                .map_err(e)?;
            out(&format!(
                "状態確認を記録しました: {} {}{}\n",
                platform_label(acc.fields.platform),
                acc.fields.handle,
                ev.next_check_at
                    .map(|n| format!("（次回 {}）", iso_date(n)))
                    .unwrap_or_default()
            ))?;
            Ok(0)
        }
        AccountCmd::Due { format } => {
            let due = wf.due_checks(now).await.map_err(e)?;
            match format {
                Format::Json => json_out(&due)?,
                Format::Text => {
                    if due.is_empty() {
                        out("期限が来ている定期確認はありません。\n")?;
                    }
                    for d in &due {
                        out(&format!(
                            "{} {}（{}）: 確認期限 {}\n",
                            platform_label(d.account.fields.platform),
                            d.account.fields.handle,
                            state_label(d.account.state),
                            d.event.next_check_at.map(iso_date).unwrap_or_default()
                        ))?;
                    }
                }
            }
            Ok(0)
        }
        AccountCmd::Close {
            account,
            actor: who,
            reason,
            platform: p,
        } => {
            let person = actor(wf, &who).await?;
            let acc = wf
                .find_account(&account, opt_platform(&p)?)
                .await
                .map_err(e)?;
            let acc = wf
                .close(&acc.id, &reason, &person.id, now)
                .await
                .map_err(e)?;
            let publish = wf
                .guideline()
                .closure
                .as_ref()
                .is_some_and(|c| c.publish_reason);
            out(&format!(
                "廃止しました: {} {}\n  台帳の記録とユーザー名は、なりすまし防止のため残します。{}\n",
                platform_label(acc.fields.platform),
                acc.fields.handle,
                if publish {
                    "\n  廃止の理由は公開の台帳に掲載されます。"
                } else {
                    ""
                }
            ))?;
            Ok(0)
        }
        AccountCmd::Report(args) => {
            let person = actor(wf, &args.actor).await?;
            let draft = draft_of(wf, &args.draft, &person).await?;
            let acc = wf
                .report_grandfathered(
                    &GrandfatheredReport {
                        account: draft,
                        since: args.since,
                        note: args.note,
                        followers: args.draft.followers,
                    },
                    &person.id,
                    now,
                )
                .await
                .map_err(e)?;
            let g = wf.guideline();
            let to = g
                .grandfathering
                .as_ref()
                .and_then(|r| g.role(&r.report_to))
                .map(|r| r.name.clone())
                .unwrap_or_default();
            out(&format!(
                "既存アカウントとして届け出ました: {} {}（届出先: {to}、承認は不要です）\n",
                platform_label(acc.fields.platform),
                acc.fields.handle
            ))?;
            Ok(0)
        }
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn status_ja(s: ApplicationStatus) -> &'static str {
    match s {
        ApplicationStatus::Draft => "下書き",
        ApplicationStatus::Submitted => "審査中",
        ApplicationStatus::Approved => "承認",
        ApplicationStatus::Rejected => "却下",
        ApplicationStatus::Withdrawn => "取下げ",
    }
}

fn policy_status_ja(s: koho_store::PolicyStatus) -> &'static str {
    match s {
        koho_store::PolicyStatus::Draft => "下書き",
        koho_store::PolicyStatus::Published => "公開中",
        koho_store::PolicyStatus::Superseded => "旧版",
    }
}

async fn draft_of(wf: &Workflow, a: &DraftArgs, applicant: &Person) -> CliResult<AccountDraft> {
    let e = |e: koho_workflow::WorkflowError| wf_err(&e);
    let department = match &a.department {
        Some(d) => Some(wf.department(d).await.map_err(e)?.id),
        None => applicant.department_id.clone(),
    };
    let manager = match &a.manager {
        Some(m) => Some(actor(wf, m).await?.id),
        None => None,
    };
    Ok(AccountDraft {
        platform: Some(platform(&a.platform)?),
        handle: a.handle.clone(),
        url: a.url.clone(),
        display_name: a.name.clone().unwrap_or_default(),
        department,
        manager,
        email: a.email.clone(),
        purpose: a.purpose.clone(),
        content: a.content.clone(),
        tone: a.tone.clone(),
        reply_policy: a.reply_policy.clone(),
        follow_policy: a.follow_policy.clone(),
        approval_needed: yes_no(&a.approval_needed)?,
        main: a.main,
    })
}

async fn apply(wf: &Workflow, args: ApplyArgs, now: i64) -> CliResult<u8> {
    let e = |e: koho_workflow::WorkflowError| wf_err(&e);
    let person = actor(wf, &args.actor).await?;
    let draft = draft_of(wf, &args.draft, &person).await?;
    let mut review = BTreeMap::new();
    for r in &args.review {
        let Some((id, answer)) = r.split_once('=') else {
            return Err(CliError::input(
                "CLI_BAD_ARGUMENT",
                format!("--review は「質問ID=回答」の形で指定してください（「{r}」）"),
                format!("--review expects ID=ANSWER, got `{r}`"),
            ));
        };
        review.insert(id.trim().to_owned(), answer.trim().to_owned());
    }
    let policy = match &args.policy_file {
        Some(path) => Some(crate::load::read_text_file(path)?),
        None => Some(wf.draft_policy_for(&draft, now).await.map_err(e)?.body),
    };
    let req = OpeningRequest {
        account: draft,
        plan: args.plan.clone(),
        policy,
        credentials_note: args.credentials_note.clone(),
        start_date: args.start_date.clone(),
        other: args.other.clone(),
        review,
        followers: args.draft.followers,
    };
    let g = wf.guideline();
    let overlaps = wf.overlaps(&req.account).await.map_err(e)?;
    if args.check {
        let missing = koho_workflow::application::missing_fields(g, &req);
        let unanswered = koho_workflow::application::unanswered(g, &req.review);
        match args.format {
            Format::Json => json_out(&serde_json::json!({
                "overlaps": overlaps,
                "review_questions": g.opening.existing_account_review,
                "missing_fields": missing,
                "unanswered": unanswered,
            }))?,
            Format::Text => {
                let mut s = overlaps_text(&overlaps);
                if let Some(r) = &g.opening.existing_account_review {
                    s.push_str(&format!("既存アカウントの活用の検討（{} {}）: --review 質問ID=回答 で答えてください\n", g.id, r.clauses.join("・")));
                    for q in &r.questions {
                        let mark = if req.review.contains_key(&q.id) {
                            "回答済み"
                        } else {
                            "未回答"
                        };
                        s.push_str(&format!(
                            "  {}: {}（{mark}）\n    {}\n",
                            q.id, q.label, q.text
                        ));
                    }
                }
                if missing.is_empty() {
                    s.push_str("必要な項目はそろっています。\n");
                } else {
                    s.push_str("不足している項目:\n");
                    for m in &missing {
                        let cite = if m.clauses.is_empty() {
                            "koho の台帳に必要".to_owned()
                        } else {
                            format!("{} {}", g.id, m.clauses.join("・"))
                        };
                        s.push_str(&format!("  {}（{cite}）\n", m.label));
                    }
                }
                out(&s)?;
            }
        }
        return Ok(0);
    }
    let applied = wf.apply(&req, &person.id, now).await.map_err(e)?;
    match args.format {
        Format::Json => json_out(&applied)?,
        Format::Text => {
            let approver = g
                .role(&g.opening.approver)
                .map(|r| r.name.clone())
                .unwrap_or_default();
            let mut s = overlaps_text(&applied.overlaps);
            s.push_str(&format!(
                "開設申請を受け付けました: 申請 {}\n  アカウント: {} {}（{}）\n  承認者: {approver}（{} {}）\n",
                applied.application.id,
                platform_label(applied.account.fields.platform),
                applied.account.fields.handle,
                state_label(applied.account.state),
                g.id,
                g.opening.clauses.join("・")
            ));
            out(&s)?;
        }
    }
    Ok(0)
}

fn overlaps_text(overlaps: &[koho_workflow::overlap::Overlap]) -> String {
    if overlaps.is_empty() {
        return "目的・内容が重なる既存の公式アカウントはありません。\n".to_owned();
    }
    let mut s = "目的・内容が重なる可能性のある既存の公式アカウント:\n".to_owned();
    for o in overlaps {
        s.push_str(&format!(
            "  {} {} {}（{}、一致度 {:.2}{}{}）\n",
            platform_label(o.platform),
            o.handle,
            o.display_name,
            state_label(o.state),
            o.score,
            if o.shared_terms.is_empty() {
                String::new()
            } else {
                format!("、共通語: {}", o.shared_terms.join(" "))
            },
            if o.same_department {
                "、同じ所属"
            } else {
                ""
            }
        ));
    }
    s
}

async fn show_text(wf: &Workflow, d: &AccountDetail) -> CliResult<String> {
    let people = names(wf).await?;
    let a = &d.account;
    let f = &a.fields;
    let mut s = format!(
        "{} {} — {}\n",
        platform_label(f.platform),
        f.handle,
        f.display_name
    );
    s.push_str(&format!(
        "  状態: {}    種別: {}\n",
        state_label(a.state),
        if f.kind == koho_store::AccountKind::Main {
            "市広報アカウント"
        } else {
            "分野別アカウント"
        }
    ));
    s.push_str(&format!(
        "  所属: {}    運用管理者: {}\n",
        d.department.as_deref().unwrap_or("未設定"),
        d.manager.as_deref().unwrap_or("未設定")
    ));
    if let Some(u) = &f.url {
        s.push_str(&format!("  URL: {u}\n"));
    }
    if let Some(m) = &f.registration_email {
        s.push_str(&format!("  登録メールアドレス: {m}\n"));
    }
    s.push_str(&format!("  目的: {}\n", f.purpose));
    if !f.content_categories.is_empty() {
        s.push_str(&format!(
            "  発信する内容: {}\n",
            f.content_categories.join("、")
        ));
    }
    if let Some(n) = a.followers_count {
        s.push_str(&format!("  フォロワー: {n}\n"));
    }
    let actions: Vec<&str> = d.allowed_actions.iter().map(|x| x.label()).collect();
    s.push_str(&format!(
        "  この状態で可能な操作: {}\n",
        if actions.is_empty() {
            "なし（最終状態）".to_owned()
        } else {
            actions.join("、")
        }
    ));
    if !d.applications.is_empty() {
        s.push_str("申請:\n");
        for app in &d.applications {
            let decision = app
                .decision
                .as_ref()
                .map(|x| {
                    format!(
                        "、{} {}{}{}",
                        people.get(&x.by).cloned().unwrap_or_default(),
                        iso_date(x.at),
                        if x.waiver {
                            "（手続の適用除外）"
                        } else {
                            ""
                        },
                        x.reason
                            .as_deref()
                            .map(|r| format!("「{r}」"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            s.push_str(&format!(
                "  {} {} {}（申請者 {}{decision}）\n",
                app.submitted_at.map(iso_date).unwrap_or_default(),
                match app.kind {
                    koho_store::ApplicationKind::Opening => "開設申請",
                    koho_store::ApplicationKind::PurposeChange => "目的の変更",
                },
                status_ja(app.status),
                people.get(&app.applicant_id).cloned().unwrap_or_default()
            ));
        }
    }
    if !d.policies.is_empty() {
        s.push_str("運用ポリシー:\n");
        for v in &d.policies {
            s.push_str(&format!(
                "  第{}版 {}{}\n",
                v.version,
                policy_status_ja(v.status),
                v.published_at
                    .map(|p| format!("（{} 公開）", iso_date(p)))
                    .unwrap_or_default()
            ));
        }
    }
    if !d.events.is_empty() {
        s.push_str("記録:\n");
        for ev in &d.events {
            let what = match ev.kind.as_str() {
                "suspension" => format!(
                    "運用停止（理由: {}、停止日 {}）",
                    ev.payload["reason"].as_str().unwrap_or_default(),
                    ev.effective_at.map(iso_date).unwrap_or_default()
                ),
                "closure" => format!(
                    "廃止（理由: {}）",
                    ev.payload["reason"].as_str().unwrap_or_default()
                ),
                "recheck" => "停止後の状態確認".to_owned(),
                "grandfathered-report" => format!(
                    "既存アカウントの届出（届出先: {}）",
                    ev.payload["report_to_name"].as_str().unwrap_or_default()
                ),
                "activate" => "運用開始".to_owned(),
                "resume" => "運用再開".to_owned(),
                "regularize" => "届出の受理".to_owned(),
                other => other.to_owned(),
            };
            s.push_str(&format!(
                "  {} {what}{}\n",
                iso_minute(ev.occurred_at),
                ev.next_check_at
                    .map(|n| format!("  次回確認 {}", iso_date(n)))
                    .unwrap_or_default()
            ));
        }
    }
    s.push_str("プロフィールのチェックリスト:\n");
    if d.profile.items.is_empty() {
        s.push_str("  （ガイドラインにプロフィールの定めはありません）\n");
    }
    for item in &d.profile.items {
        let mark = match item.satisfied {
            Some(true) => "[x]",
            Some(false) => "[!]",
            None => "[ ]",
        };
        s.push_str(&format!(
            "  {mark} {}（{} {}）\n",
            item.label,
            wf.guideline().id,
            item.clauses.join("・")
        ));
        if let Some(x) = &item.expected {
            s.push_str(&format!("      → {x}\n"));
        }
    }
    s.push_str(&format!("  市ホームページ: {}\n", d.profile.facts.homepage));
    if let Some(u) = &d.profile.facts.account_list_url {
        s.push_str(&format!("  公式アカウント一覧: {u}\n"));
    }
    Ok(s)
}
