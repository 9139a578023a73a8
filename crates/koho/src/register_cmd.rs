//! `koho register lookup|export`: the public register and "is this official?".

use clap::{Subcommand, ValueEnum};
use koho_workflow::register::{self, public_rows};

use crate::account_cmd::Format;
use crate::config::Config;
use crate::db_cmd::{block_on, open_store, open_workflow, wf_err};
use crate::error::CliResult;
use crate::out;

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
    Html,
}

#[derive(Subcommand)]
pub enum RegisterCmd {
    /// URL またはユーザー名が公式アカウントかどうか（公式・停止中・廃止・公式ではない）を答え、公式アカウントに似せたものを警告する
    Lookup {
        /// 例: https://x.com/midori_city、@midori_city
        query: String,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 公開用の公式アカウント一覧（運用中・停止中・廃止）を書き出す
    Export {
        /// 形式: json, csv（表計算ソフト向け、BOM 付き UTF-8）, html（表の断片）
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
}

pub fn run(cmd: RegisterCmd) -> CliResult<u8> {
    let cfg = Config::load()?;
    block_on(async move {
        let store = open_store(&cfg).await?;
        let r = match open_workflow(&cfg, &store).await {
            Ok(wf) => run_in(&wf, cmd).await,
            Err(e) => Err(e),
        };
        store.close().await;
        r
    })?
}

async fn run_in(wf: &koho_workflow::Workflow, cmd: RegisterCmd) -> CliResult<u8> {
    match cmd {
        RegisterCmd::Lookup { query, format } => {
            let answer = wf.lookup(&query).await.map_err(|e| wf_err(&e))?;
            match format {
                Format::Json => {
                    let mut v = serde_json::to_value(&answer).unwrap_or_default();
                    v["message"] = serde_json::Value::String(answer.message_ja());
                    out(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&v).unwrap_or_default()
                    ))?;
                }
                Format::Text => out(&format!("{}\n", answer.message_ja()))?,
            }
            Ok(0)
        }
        RegisterCmd::Export { format } => {
            let rows = public_rows(&wf.register_rows().await.map_err(|e| wf_err(&e))?);
            let s = match format {
                ExportFormat::Json => format!("{}\n", register::to_json(&rows)),
                ExportFormat::Csv => register::to_csv(&rows),
                ExportFormat::Html => register::to_html(&wf.municipality().name, &rows),
            };
            out(&s)?;
            Ok(0)
        }
    }
}
