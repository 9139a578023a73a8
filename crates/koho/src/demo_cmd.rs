//! `koho demo`: fills a fresh database with the fictional みどり市.

use std::io::Write as _;

use clap::Args;
use koho_workflow::WorkflowError;

use crate::account_cmd::Format;
use crate::config::Config;
use crate::db_cmd::{block_on, open_store, wf_err};
use crate::error::CliResult;
use crate::out;

/// The demo municipality's id and guideline.
pub const DEMO: &str = "midori";

#[derive(Args)]
pub struct DemoArgs {
    /// 出力形式: text または json
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// 負荷試験用: 全国の自治体を模した共有環境（架空の自治体、監査ログ5年分）を作る
    #[arg(long, hide = true)]
    nationwide: bool,
    /// --nationwide の自治体数
    #[arg(long, hide = true, default_value_t = 1741)]
    municipalities: usize,
    /// --nationwide の自治体ごとのアカウント数
    #[arg(long, hide = true, default_value_t = 10)]
    accounts: usize,
    /// --nationwide の監査ログの年数
    #[arg(long, hide = true, default_value_t = 5)]
    years: u32,
    /// --nationwide のアカウントごと・1年ごとの監査ログの件数
    #[arg(long, hide = true, default_value_t = 24)]
    entries_per_year: usize,
    /// --nationwide で同時に書き込む自治体の数
    #[arg(long, hide = true, default_value_t = 4)]
    jobs: usize,
}

pub fn run(args: &DemoArgs) -> CliResult<u8> {
    let cfg = Config::load()?;
    if args.nationwide {
        return block_on(nationwide(&cfg, args))?;
    }
    let guideline = crate::load::guideline(DEMO)?;
    block_on(async move {
        let store = open_store(&cfg).await?;
        let result = koho_workflow::demo::fill(&store, DEMO, guideline.clone()).await;
        // Demo data only: fixed, printed passwords and TOTP secrets (see docs/security.md).
        let logins = match &result {
            Ok(_) | Err(WorkflowError::AlreadyExists { .. }) => {
                match koho_workflow::Workflow::open(&store, DEMO, guideline).await {
                    Ok(wf) => Some(wf.install_demo_credentials().await),
                    Err(e) => Some(Err(e.into())),
                }
            }
            Err(_) => None,
        };
        store.close().await;
        if let Some(logins) = logins
            && matches!(args.format, Format::Text)
        {
            crate::auth_cmd::print_demo_logins(
                &logins.map_err(|e| crate::auth_cmd::auth_err(&e))?,
            )?;
        }
        let where_ = crate::config::redact_url(&cfg.database_url);
        match result {
            Ok(summary) => {
                match args.format {
                    Format::Json => out(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&summary).unwrap_or_default()
                    ))?,
                    Format::Text => {
                        let states: Vec<String> = summary
                            .by_state
                            .iter()
                            .map(|(s, n)| {
                                let label = s
                                    .parse()
                                    .map(koho_workflow::state::state_label)
                                    .unwrap_or("?");
                                format!("{label} {n}")
                            })
                            .collect();
                        out(&format!(
                            "デモの自治体「{}」（{}、ガイドライン {}）を {where_} に作りました。\n  所属 {}、職員 {} 人、公式アカウント {} 件（{}）、監査ログ {} 件\n次は `koho account list` で台帳を、`koho register lookup @midori_clty` で「公式かどうか」の確認を試せます。\n",
                            summary.municipality,
                            summary.slug,
                            summary.guideline,
                            summary.departments,
                            summary.people,
                            summary.accounts,
                            states.join("、"),
                            summary.audit_entries
                        ))?;
                        if cfg.municipality != DEMO {
                            out(&format!(
                                "注意: KOHO_MUNICIPALITY は「{}」です。デモを見るには KOHO_MUNICIPALITY={DEMO} にしてください。\n",
                                cfg.municipality
                            ))?;
                        }
                    }
                }
                Ok(0)
            }
            Err(WorkflowError::AlreadyExists { slug }) => {
                out(&format!(
                    "デモの自治体「{slug}」は {where_} に既にあります。そのまま使えます（作り直すには空のデータベースを指定してください）。\n"
                ))?;
                Ok(0)
            }
            Err(e) => Err(wf_err(&e)),
        }
    })?
}

/// `koho demo --nationwide`: the synthetic nationwide deployment for load tests
/// (`koho_workflow::nationwide`), written `jobs` municipalities at a time. Municipalities
/// already present are skipped, so an interrupted run can be resumed.
async fn nationwide(cfg: &Config, args: &DemoArgs) -> CliResult<u8> {
    use koho_workflow::nationwide::{Scale, generate_one, slug};
    let scale = Scale {
        municipalities: args.municipalities,
        accounts_per_municipality: args.accounts,
        years: args.years,
        entries_per_account_year: args.entries_per_year,
    };
    let mut guidelines = Vec::new();
    for (id, _) in koho_guideline::PRESETS {
        guidelines.push(std::sync::Arc::new(crate::load::guideline(id)?));
    }
    let store = open_store(cfg).await?;
    let started = std::time::Instant::now();
    let now = crate::db_cmd::now_ms();
    let mut set = tokio::task::JoinSet::new();
    let (mut made, mut skipped, mut entries) = (0usize, 0usize, 0usize);
    let mut next = 0usize;
    let mut failure = None;
    loop {
        while set.len() < args.jobs.max(1) && next < scale.municipalities && failure.is_none() {
            let i = next;
            next += 1;
            if store.tenant_by_slug(&slug(i)).await.is_ok() {
                skipped += 1;
                continue;
            }
            let store = store.clone();
            let g = std::sync::Arc::clone(&guidelines[i % guidelines.len()]);
            set.spawn(async move { generate_one(&store, i, &g, &scale, now).await });
        }
        let Some(done) = set.join_next().await else {
            break;
        };
        match done {
            Ok(Ok(g)) => {
                made += 1;
                entries += g.audit_entries;
                if made % 100 == 0 {
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "{made} municipalities, {entries} audit entries, {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
            Ok(Err(e)) => failure = Some(wf_err(&e)),
            Err(e) => {
                failure = Some(crate::db_cmd::system(
                    "CLI_RUNTIME",
                    format!("生成の途中で失敗しました（{e}）"),
                    format!("generation task failed: {e}"),
                ))
            }
        }
    }
    store.close().await;
    if let Some(e) = failure {
        return Err(e);
    }
    let secs = started.elapsed().as_secs_f64();
    match args.format {
        Format::Json => out(&format!(
            "{}\n",
            serde_json::json!({
                "created": made, "skipped": skipped, "audit_entries": entries,
                "seconds": secs,
            })
        ))?,
        Format::Text => out(&format!(
            "全国規模の試験用データを作りました: 自治体 {made}（既存 {skipped} は省略）、監査ログ {entries} 件、{secs:.1} 秒\n"
        ))?,
    }
    Ok(0)
}
