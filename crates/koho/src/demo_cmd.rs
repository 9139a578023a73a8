//! `koho demo`: fills a fresh database with the fictional みどり市.

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
}

pub fn run(args: &DemoArgs) -> CliResult<u8> {
    let cfg = Config::load()?;
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
