//! `koho db backup|restore`, and the shared plumbing of every command that uses the
//! database: the async runtime, opening the store, the municipality's register.

use std::future::Future;
use std::path::Path;

use clap::Subcommand;
use koho_store::{BackupFormat, Store, StoreError};
use koho_workflow::{Workflow, WorkflowError};

use crate::config::Config;
use crate::error::{CliError, CliResult};
use crate::out;

#[derive(Subcommand)]
pub enum DbCmd {
    /// 使用中のデータベースのバックアップを PATH に作る（SQLite はデータベースファイル、PostgreSQL は JSON Lines）
    Backup {
        /// 書き出すファイル（既にあるファイルには書きません）
        path: String,
    },
    /// PATH のバックアップを DATABASE_URL の空のデータベースに復元する
    Restore {
        /// `koho db backup` で作ったファイル
        path: String,
    },
}

/// Runs a future on a single-threaded runtime.
pub fn block_on<F: Future>(f: F) -> CliResult<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            system(
                "CLI_RUNTIME",
                format!("非同期ランタイムを起動できません（{e}）"),
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    Ok(rt.block_on(f))
}

/// A failure of the system (not of the request): exit 3.
pub fn system(code: &'static str, ja: impl Into<String>, en: impl Into<String>) -> CliError {
    CliError {
        code,
        ja: ja.into(),
        en: en.into(),
        exit: 3,
    }
}

/// A store error as a CLI error: refusals exit 2, failures of the system exit 3.
pub fn store_err(e: &StoreError) -> CliError {
    let ja = koho_workflow::error::store_ja(e);
    let refusal = matches!(
        e,
        StoreError::UnsupportedUrl(_)
            | StoreError::UnknownTenant(_)
            | StoreError::NotFound { .. }
            | StoreError::Conflict { .. }
            | StoreError::Invalid { .. }
            | StoreError::RestoreTargetNotEmpty { .. }
            | StoreError::Restore(_)
            | StoreError::Io { .. }
    );
    let err = CliError::input(e.code(), ja, e.to_string());
    if refusal {
        err
    } else {
        CliError { exit: 3, ..err }
    }
}

/// A workflow error as a CLI error.
pub fn wf_err(e: &WorkflowError) -> CliError {
    if let WorkflowError::Store(s) = e {
        return store_err(s);
    }
    let err = CliError::input(e.code(), e.ja(), e.to_string());
    if e.is_refusal() {
        err
    } else {
        CliError { exit: 3, ..err }
    }
}

/// Opens (creating the SQLite file's directory if needed) and migrates the database.
pub async fn open_store(cfg: &Config) -> CliResult<Store> {
    if let Some(path) = cfg.sqlite_path()
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(&dir.display().to_string(), &e))?;
    }
    Store::open(&cfg.database_url).await.map_err(|e| {
        let mut err = store_err(&e);
        if matches!(e, StoreError::Database(_) | StoreError::Busy(_)) {
            err.ja = format!(
                "データベース（{}）に接続できません: {e}",
                crate::config::redact_url(&cfg.database_url)
            );
        }
        err
    })
}

/// The register of the configured municipality, run by the guideline its record names.
pub async fn open_workflow(cfg: &Config, store: &Store) -> CliResult<Workflow> {
    let tenant = match store.tenant_by_slug(&cfg.municipality).await {
        Ok(t) => t,
        Err(StoreError::UnknownTenant(_)) => {
            return Err(CliError::input(
                "CLI_NO_MUNICIPALITY",
                format!(
                    "自治体「{}」はデータベースにありません。デモは `koho demo` で作れます（KOHO_MUNICIPALITY で自治体を選べます）",
                    cfg.municipality
                ),
                format!("municipality `{}` is not in the database", cfg.municipality),
            ));
        }
        Err(e) => return Err(store_err(&e)),
    };
    let record = store
        .read(&tenant)
        .await
        .map_err(|e| store_err(&e))?
        .municipality()
        .get()
        .await
        .map_err(|e| store_err(&e))?;
    let guideline = crate::load::guideline(&record.guideline_id)?;
    Workflow::open(store, &cfg.municipality, guideline)
        .await
        .map_err(|e| wf_err(&e))
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub fn run(cmd: DbCmd) -> CliResult<u8> {
    let cfg = Config::load()?;
    block_on(async move {
        match cmd {
            DbCmd::Backup { path } => {
                let store = open_store(&cfg).await?;
                let info = store
                    .backup(Path::new(&path))
                    .await
                    .map_err(|e| store_err(&e));
                store.close().await;
                let info = info?;
                let kind = match info.format {
                    BackupFormat::SqliteFile => "SQLite データベースファイル".to_owned(),
                    BackupFormat::JsonLines => {
                        format!("JSON Lines、{} 行", info.rows.unwrap_or_default())
                    }
                };
                out(&format!(
                    "バックアップを作成しました: {}（{kind}、{} バイト）\n",
                    info.path.display(),
                    info.bytes
                ))?;
                Ok(0)
            }
            DbCmd::Restore { path } => {
                if !Path::new(&path).exists() {
                    return Err(CliError::input(
                        "CLI_IO",
                        format!("バックアップ「{path}」が見つかりません"),
                        format!("{path}: not found"),
                    ));
                }
                if let Some(p) = cfg.sqlite_path()
                    && let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| CliError::io(&dir.display().to_string(), &e))?;
                }
                let store = Store::restore(&cfg.database_url, Path::new(&path))
                    .await
                    .map_err(|e| store_err(&e))?;
                let municipalities = store.municipalities().await.map_err(|e| store_err(&e))?;
                let mut problems = Vec::new();
                for m in &municipalities {
                    let tenant = store.tenant(&m.id).await.map_err(|e| store_err(&e))?;
                    let v = store
                        .verify_audit(&tenant)
                        .await
                        .map_err(|e| store_err(&e))?;
                    if let Some(p) = v.problem {
                        problems.push(format!("{}: {p}", m.slug));
                    }
                }
                store.close().await;
                let names: Vec<String> = municipalities
                    .iter()
                    .map(|m| format!("{}（{}）", m.name, m.slug))
                    .collect();
                out(&format!(
                    "復元しました: {} → {}\n自治体: {}\n",
                    path,
                    crate::config::redact_url(&cfg.database_url),
                    if names.is_empty() {
                        "なし".to_owned()
                    } else {
                        names.join("、")
                    }
                ))?;
                if problems.is_empty() {
                    out("監査ログの連鎖: 異常なし\n")?;
                    Ok(0)
                } else {
                    out(&format!(
                        "監査ログの連鎖に異常があります:\n{}\n",
                        problems.join("\n")
                    ))?;
                    Ok(1)
                }
            }
        }
    })?
}
