//! `koho audit verify|log`: the municipality's hash-chained audit log.

use clap::Subcommand;
use koho_store::{AuditProblem, AuditVerification, Subject};
use koho_workflow::time::iso_minute;

use crate::account_cmd::Format;
use crate::config::Config;
use crate::db_cmd::{block_on, open_store, open_workflow, store_err, wf_err};
use crate::error::CliResult;
use crate::out;

#[derive(Subcommand)]
pub enum AuditCmd {
    /// 監査ログのハッシュ連鎖を検証し、壊れていればその位置を示す（異常があれば終了コード 1）
    Verify {
        /// データベースのすべての自治体を検証する
        #[arg(long)]
        all: bool,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 監査ログを表示する（新しいものから）
    Log {
        /// このアカウント（ID・URL・ユーザー名）の記録だけ
        #[arg(long)]
        account: Option<String>,
        /// 表示する件数
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

/// Where and how a chain is broken, in Japanese.
pub fn problem_ja(p: &AuditProblem) -> String {
    match p {
        AuditProblem::HashMismatch { seq, .. } => {
            format!("第{seq}件の内容が書き換えられています（ハッシュが一致しません）")
        }
        AuditProblem::Gap {
            after_seq,
            next_seq,
        } => {
            format!("第{after_seq}件の次が第{next_seq}件です。間の記録が削除されています")
        }
        AuditProblem::PrevHashMismatch { seq, .. } => format!(
            "第{seq}件が直前の記録とつながっていません（記録の挿入・並べ替え・書き換えのおそれ）"
        ),
        AuditProblem::TruncatedTail { last_seq, head_seq } => format!(
            "最後の記録は第{last_seq}件ですが、連鎖の先頭は第{head_seq}件を指しています。末尾の記録が削除されています"
        ),
        AuditProblem::BeyondHead { seq, head_seq } => format!(
            "第{seq}件は連鎖の先頭（第{head_seq}件）より後にあります。koho の外で追加された記録です"
        ),
        AuditProblem::HeadMismatch { seq, .. } => {
            format!("連鎖の先頭が記録する値と第{seq}件のハッシュが一致しません")
        }
        AuditProblem::MissingHead => "監査ログの連鎖の先頭がありません".to_owned(),
    }
}

fn seq_of(p: &AuditProblem) -> Option<i64> {
    match p {
        AuditProblem::HashMismatch { seq, .. }
        | AuditProblem::PrevHashMismatch { seq, .. }
        | AuditProblem::BeyondHead { seq, .. }
        | AuditProblem::HeadMismatch { seq, .. } => Some(*seq),
        AuditProblem::Gap { next_seq, .. } => Some(*next_seq),
        AuditProblem::TruncatedTail { last_seq, .. } => Some(*last_seq),
        _ => None,
    }
}

fn verification_json(slug: &str, name: &str, v: &AuditVerification) -> serde_json::Value {
    serde_json::json!({
        "municipality": slug,
        "name": name,
        "intact": v.is_intact(),
        "entries_checked": v.entries_checked,
        "head_seq": v.head.as_ref().map(|h| h.seq),
        "head_hash": v.head.as_ref().map(|h| h.hash.clone()),
        "broken_at_seq": v.problem.as_ref().and_then(seq_of),
        "problem": v.problem.as_ref().map(ToString::to_string),
        "problem_ja": v.problem.as_ref().map(problem_ja),
    })
}

pub fn run(cmd: AuditCmd) -> CliResult<u8> {
    let cfg = Config::load()?;
    block_on(async move {
        let store = open_store(&cfg).await?;
        let r = run_in(&cfg, &store, cmd).await;
        store.close().await;
        r
    })?
}

async fn run_in(cfg: &Config, store: &koho_store::Store, cmd: AuditCmd) -> CliResult<u8> {
    match cmd {
        AuditCmd::Verify { all, format } => {
            let targets: Vec<(String, String, koho_store::Tenant)> = if all {
                let mut v = Vec::new();
                for m in store.municipalities().await.map_err(|e| store_err(&e))? {
                    let t = store.tenant(&m.id).await.map_err(|e| store_err(&e))?;
                    v.push((m.slug, m.name, t));
                }
                v
            } else {
                let wf = open_workflow(cfg, store).await?;
                vec![(
                    cfg.municipality.clone(),
                    wf.municipality().name.clone(),
                    wf.tenant().clone(),
                )]
            };
            let mut broken = false;
            let mut json = Vec::new();
            let mut text = String::new();
            for (slug, name, tenant) in &targets {
                let v = store
                    .verify_audit(tenant)
                    .await
                    .map_err(|e| store_err(&e))?;
                json.push(verification_json(slug, name, &v));
                match &v.problem {
                    None => text.push_str(&format!(
                        "{name}（{slug}）: 監査ログは改ざんされていません（{} 件を確認）\n",
                        v.entries_checked
                    )),
                    Some(p) => {
                        broken = true;
                        text.push_str(&format!(
                            "{name}（{slug}）: 監査ログの連鎖が壊れています: {}\n  {p}\n",
                            problem_ja(p)
                        ));
                    }
                }
            }
            match format {
                Format::Json => out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                ))?,
                Format::Text => out(&text)?,
            }
            Ok(u8::from(broken))
        }
        AuditCmd::Log {
            account,
            limit,
            format,
        } => {
            let wf = open_workflow(cfg, store).await?;
            let mut reader = store.read(wf.tenant()).await.map_err(|e| store_err(&e))?;
            let entries = match &account {
                Some(key) => {
                    let a = wf.find_account(key, None).await.map_err(|e| wf_err(&e))?;
                    reader
                        .audit()
                        .list_for_subject(&Subject::new(
                            koho_workflow::subject::ACCOUNT,
                            a.id.as_str(),
                        ))
                        .await
                        .map_err(|e| store_err(&e))?
                }
                None => {
                    let head = reader.audit().head().await.map_err(|e| store_err(&e))?;
                    let from = (head.seq - limit.max(1)).max(0);
                    reader
                        .audit()
                        .list(from, limit.max(1))
                        .await
                        .map_err(|e| store_err(&e))?
                }
            };
            let people: std::collections::BTreeMap<String, String> = wf
                .people()
                .await
                .map_err(|e| wf_err(&e))?
                .into_iter()
                .map(|p| (p.id.to_string(), p.display_name))
                .collect();
            let mut entries = entries;
            entries.reverse();
            entries.truncate(usize::try_from(limit.max(1)).unwrap_or(50));
            match format {
                Format::Json => {
                    let v: Vec<serde_json::Value> = entries
                        .iter()
                        .map(|e| {
                            serde_json::json!({
                                "seq": e.seq,
                                "at": e.at,
                                "actor": e.actor.as_str(),
                                "actor_name": people.get(e.actor.as_str()),
                                "action": e.action,
                                "subject": e.subject,
                                "clause": e.clause,
                                "hash": e.hash,
                            })
                        })
                        .collect();
                    out(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&v).unwrap_or_default()
                    ))?;
                }
                Format::Text => {
                    let mut s = String::new();
                    for e in &entries {
                        let who = people
                            .get(e.actor.as_str())
                            .cloned()
                            .unwrap_or_else(|| e.actor.as_str().to_owned());
                        let clause = e
                            .clause
                            .as_ref()
                            .map(|c| format!("  根拠: {} {}", c.guideline_id, c.clause))
                            .unwrap_or_default();
                        s.push_str(&format!(
                            "#{:<5} {}  {:<32} {}{clause}\n",
                            e.seq,
                            iso_minute(e.at),
                            e.action,
                            who
                        ));
                    }
                    out(&s)?;
                }
            }
            Ok(0)
        }
    }
}
