//! `koho publisher run [--once]|status|key generate`: the publishing process and its outbox.

use std::sync::Arc;

use clap::Subcommand;
use koho_connect::Token;
use koho_connect::media_host::MediaHost;
use koho_connect::refresh::AppCredentials;
use koho_connect::registry::{Overrides, Registry};
use koho_guideline::Platform;
use koho_workflow::credentials::CredentialKey;
use koho_workflow::media_links::{DEFAULT_LINK_TTL, StoreMediaHost};
use koho_workflow::publisher::{
    Connectors, GuidelineResolver, Publisher, PublisherConfig, SystemClock,
};

use crate::account_cmd::Format;
use crate::config::Config;
use crate::db_cmd::{block_on, open_store, store_err};
use crate::error::{CliError, CliResult};
use crate::out;

#[derive(Subcommand)]
pub enum PublisherCmd {
    /// 承認済みの投稿を各サービスへ送信する発信プロセスを起動する（Ctrl-C / SIGTERM で停止）
    Run {
        /// 1巡だけ処理して終了する（cron などから起動する場合）
        #[arg(long)]
        once: bool,
    },
    /// 投稿キューの状態（状態ごとの件数）と未対応のアラート
    Status {
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 認証情報を暗号化する鍵
    #[command(subcommand)]
    Key(KeyCmd),
    /// アカウントの認証情報（アクセストークンなど）
    #[command(subcommand)]
    Credential(CredentialCmd),
}

#[derive(Subcommand)]
pub enum CredentialCmd {
    /// アカウントの認証情報を暗号化して保存する。秘密は標準入力から JSON で読む:
    /// {"access_token": "…", "refresh_token"?: "…", "app_secret"?: "…"}
    /// （コマンドラインや環境変数に秘密を書かないため）
    Set {
        /// 公式アカウントの ID またはハンドル
        account: String,
        /// サービス上のアカウントの ID（X のユーザー ID、Facebook ページ ID、LINE のチャネル ID など）
        #[arg(long)]
        account_ref: String,
        /// アクセストークンの有効期限（自治体の時刻、例 "2026-12-31 09:00"）。期限の前に更新します
        #[arg(long)]
        expires_at: Option<String>,
    },
}

/// What `credential set` reads from stdin; never echoed, never logged.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsInput {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    app_secret: Option<String>,
}

fn read_secrets(input: &str) -> CliResult<koho_workflow::credentials::Secrets> {
    let bad = |why: &str| {
        CliError::input(
            "CLI_BAD_SECRETS",
            format!(
                "標準入力の認証情報を読めません（{why}）。{{\"access_token\": \"…\"}} の形の JSON を渡してください"
            ),
            format!("credential JSON on stdin: {why}"),
        )
    };
    // serde's message may quote the input: report only where it failed.
    let s: SecretsInput = serde_json::from_str(input.trim())
        .map_err(|e| bad(&format!("{} 行 {} 列", e.line(), e.column())))?;
    let token = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let access = token(Some(s.access_token)).ok_or_else(|| bad("access_token が空です"))?;
    Ok(koho_workflow::credentials::Secrets {
        access_token: Token::new(access),
        refresh_token: token(s.refresh_token).map(Token::new),
        app_secret: token(s.app_secret).map(Token::new),
    })
}

#[derive(Subcommand)]
pub enum KeyCmd {
    /// 新しい鍵（16進数64桁）を表示する。ファイルに保存し、KOHO_CREDENTIAL_KEY_FILE で指定する
    Generate,
}

fn key_err(e: &koho_workflow::credentials::KeyError) -> CliError {
    CliError::input(e.code(), e.ja(), e.to_string())
}

fn publish_err(e: &koho_workflow::publisher::PublishError) -> CliError {
    match e {
        koho_workflow::publisher::PublishError::Store(s) => store_err(s),
        other => CliError {
            exit: 3,
            ..CliError::input(other.code(), other.ja(), other.to_string())
        },
    }
}

/// Finds each municipality's guideline as every other command does: a built-in preset, or
/// the file `koho municipality create --guideline FILE` installed in the data directory.
/// Parsed once per id for the life of the process.
#[derive(Default)]
struct CliGuidelines {
    parsed: std::sync::Mutex<std::collections::HashMap<String, koho_guideline::Guideline>>,
}

impl GuidelineResolver for CliGuidelines {
    fn guideline(&self, id: &str) -> Result<koho_guideline::Guideline, String> {
        if let Ok(cache) = self.parsed.lock()
            && let Some(g) = cache.get(id)
        {
            return Ok(g.clone());
        }
        let g = crate::load::guideline(id).map_err(|e| e.en)?;
        if let Ok(mut cache) = self.parsed.lock() {
            cache.insert(id.to_owned(), g.clone());
        }
        Ok(g)
    }
}

/// The environment variable naming a platform's API address, e.g. `KOHO_API_URL_MASTODON`.
fn api_url_var(platform: Platform) -> String {
    format!("KOHO_API_URL_{}", platform.id().to_ascii_uppercase())
}

/// The platform connectors (koho-connect): one per (platform, server), built from each
/// account's own address (`koho_connect::registry`).
///
/// X, Facebook, Instagram, Threads and LINE have one global API. Mastodon and Misskey
/// accounts are on the instance their registered URL or `@user@server` handle names; a
/// Bluesky account on the PDS its handle resolves to (or that its URL names).
/// `KOHO_API_URL_<PLATFORM>` sends every account of a platform to one address instead (a
/// test peer, a proxy). Token refreshers come with the connectors where the platform's
/// tokens expire: X and Meta need their app's credentials (`config`). Images for
/// Instagram, Threads and LINE are served by koho itself under `KOHO_PUBLIC_URL`
/// (`media_host`).
fn connectors(
    env: &dyn Fn(&str) -> Option<String>,
    cfg: &Config,
    media_host: Option<Arc<dyn MediaHost>>,
) -> CliResult<Connectors> {
    let bad_url = |var: &str, e: &dyn std::fmt::Display| {
        CliError::input(
            "CLI_BAD_API_URL",
            format!("環境変数 {var} のアドレスを使えません（{e}）"),
            format!("{var}: {e}"),
        )
    };
    let set = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut overrides = Overrides::default();
    for platform in Platform::ALL.iter().copied() {
        if !koho_connect::registry::is_social(platform) {
            continue;
        }
        let var = api_url_var(platform);
        if let Some(url) = set(env(&var)) {
            // Refused now, not at the first post.
            koho_connect::factory::connector_for(platform, Some(&url), None)
                .map_err(|e| bad_url(&var, &e))?;
            overrides.api_urls.insert(platform, url);
        }
    }
    overrides.plc_url = set(env("KOHO_PLC_URL"));
    overrides.handle_resolver = set(env("KOHO_ATPROTO_HANDLE_RESOLVER"));
    overrides.threads_oauth_url = set(env("KOHO_OAUTH_URL_THREADS"));
    let secret = |s: &str| (!s.is_empty()).then(|| Token::new(s));
    if !cfg.x_client_id.is_empty() {
        overrides.x_app = Some(AppCredentials {
            client_id: cfg.x_client_id.clone(),
            client_secret: secret(&cfg.x_client_secret),
        });
    }
    if !cfg.meta_app_id.is_empty() {
        overrides.meta_app = Some(AppCredentials {
            client_id: cfg.meta_app_id.clone(),
            client_secret: secret(&cfg.meta_app_secret),
        });
    }
    let registry = Registry::new(overrides, media_host).map_err(|e| bad_url("KOHO_PLC_URL", &e))?;
    let mut all = Connectors::new();
    all.set_registry(Arc::new(registry));
    Ok(all)
}

pub fn run(cmd: &PublisherCmd) -> CliResult<u8> {
    match cmd {
        PublisherCmd::Credential(CredentialCmd::Set {
            account,
            account_ref,
            expires_at,
        }) => {
            let cfg = Config::load()?;
            let key = CredentialKey::from_env().map_err(|e| key_err(&e))?;
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut input).map_err(|e| {
                CliError::input(
                    "CLI_BAD_SECRETS",
                    "標準入力を読めません".to_owned(),
                    format!("stdin: {e}"),
                )
            })?;
            let secrets = read_secrets(&input)?;
            block_on(async move {
                let store = open_store(&cfg).await?;
                let wf = crate::db_cmd::open_workflow(&cfg, &store).await?;
                let acc = wf
                    .find_account(account, None)
                    .await
                    .map_err(|e| crate::db_cmd::wf_err(&e))?;
                let expires_at = match expires_at.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(t) => Some(
                        koho_workflow::posts::tz::parse_local(
                            t,
                            &wf.guideline().municipality.timezone,
                        )
                        .map_err(|e| crate::post_cmd::post_err(&e))?,
                    ),
                };
                let publisher = Publisher::new(
                    store.clone(),
                    Connectors::new(),
                    key,
                    Arc::new(SystemClock),
                    PublisherConfig::new(PublisherConfig::process_owner()),
                )
                .map_err(|e| publish_err(&e))?;
                publisher
                    .store_credential(
                        wf.tenant(),
                        &acc.id,
                        account_ref.trim(),
                        &secrets,
                        expires_at,
                        &koho_store::Actor::Cli,
                    )
                    .await
                    .map_err(|e| publish_err(&e))?;
                out(&format!(
                    "{} {} の認証情報を暗号化して保存しました（秘密は表示しません）\n",
                    acc.fields.platform, acc.fields.handle
                ))?;
                Ok(0)
            })?
        }
        PublisherCmd::Key(KeyCmd::Generate) => {
            let key = CredentialKey::generate().map_err(|e| key_err(&e))?;
            out(&format!("{}\n", key.to_hex()))?;
            Ok(0)
        }
        PublisherCmd::Run { once } => {
            let once = *once;
            let cfg = Config::load()?;
            let key = CredentialKey::from_env().map_err(|e| key_err(&e))?;
            let _ = tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .try_init();
            block_on(async move {
                let store = open_store(&cfg).await?;
                let media_host: Option<Arc<dyn MediaHost>> = if cfg.public_url.is_empty() {
                    tracing::warn!(
                        "KOHO_PUBLIC_URL is not set: posts with images cannot go to Instagram, Threads or LINE"
                    );
                    None
                } else {
                    let host = StoreMediaHost::new(
                        store.clone(),
                        &cfg.public_url,
                        DEFAULT_LINK_TTL,
                        Arc::new(SystemClock),
                    )
                    .map_err(|e| {
                        CliError::input(
                            "CONFIG_INVALID",
                            format!("設定 KOHO_PUBLIC_URL が正しくありません（{e}）"),
                            e.to_string(),
                        )
                    })?;
                    Some(Arc::new(host))
                };
                let connectors = connectors(&|k| std::env::var(k).ok(), &cfg, media_host)?;
                let config = PublisherConfig::new(PublisherConfig::process_owner());
                let publisher =
                    Publisher::new(store, connectors, key, Arc::new(SystemClock), config)
                        .map_err(|e| publish_err(&e))?
                        .with_guidelines(Arc::new(CliGuidelines::default()));
                if once {
                    let r = publisher.run_once().await.map_err(|e| publish_err(&e))?;
                    out(&format!(
                        "キュー投入 {} 件、処理 {} 件: 公開 {}、再試行待ち {}、要確認 {}、期限切れ {}、失敗 {}、訂正前の投稿の削除 {}\n",
                        r.queued,
                        r.claimed,
                        r.published,
                        r.retried,
                        r.unconfirmed,
                        r.missed,
                        r.failed,
                        r.deleted
                    ))?;
                    return Ok(0);
                }
                publisher
                    .run(shutdown())
                    .await
                    .map_err(|e| publish_err(&e))?;
                Ok(0)
            })?
        }
        PublisherCmd::Status { format } => {
            let json = matches!(format, Format::Json);
            let cfg = Config::load()?;
            block_on(async move {
                let store = open_store(&cfg).await?;
                let tenant = store
                    .tenant_by_slug(&cfg.municipality)
                    .await
                    .map_err(|e| store_err(&e))?;
                let mut r = store.read(&tenant).await.map_err(|e| store_err(&e))?;
                let counts = r
                    .publish_jobs()
                    .count_by_state()
                    .await
                    .map_err(|e| store_err(&e))?;
                let alerts = r
                    .publish_alerts()
                    .list_open()
                    .await
                    .map_err(|e| store_err(&e))?;
                if json {
                    let v = serde_json::json!({
                        "jobs": counts.iter().map(|(s, n)| (s.as_str().to_owned(), serde_json::Value::from(*n))).collect::<serde_json::Map<String, serde_json::Value>>(),
                        "alerts": alerts,
                    });
                    out(&format!("{v:#}\n"))?;
                } else {
                    let mut s = String::from("投稿キュー:\n");
                    for (state, n) in &counts {
                        s.push_str(&format!("  {:<12} {n}\n", state_ja(*state)));
                    }
                    s.push_str(&format!("未対応のアラート: {} 件\n", alerts.len()));
                    for a in &alerts {
                        s.push_str(&format!("  [{}] {}\n", a.kind, a.message));
                    }
                    out(&s)?;
                }
                Ok(if alerts.is_empty() { 0 } else { 1 })
            })?
        }
    }
}

fn state_ja(s: koho_store::JobState) -> &'static str {
    use koho_store::JobState::*;
    match s {
        Pending => "送信待ち",
        Sending => "送信中",
        Published => "公開済み",
        Unconfirmed => "要確認",
        Missed => "期限切れ",
        Failed => "失敗",
        Cancelled => "取消",
    }
}

/// Ctrl-C or SIGTERM: finish the round in progress, then stop.
async fn shutdown() {
    let term = async {
        #[cfg(unix)]
        {
            if let Ok(mut s) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                s.recv().await;
            } else {
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_from_the_environment_are_checked_and_kept() {
        let cfg = Config::default();
        let none = connectors(&|_| None, &cfg, None).unwrap();
        assert!(!none.is_empty(), "the registry serves every account");

        let with = connectors(
            &|k| (k == "KOHO_API_URL_MASTODON").then(|| "http://127.0.0.1:9".to_owned()),
            &cfg,
            None,
        )
        .unwrap();
        assert!(format!("{with:?}").contains("Mastodon"), "{with:?}");

        let bad = connectors(
            &|k| (k == "KOHO_API_URL_X").then(|| "not a url".to_owned()),
            &cfg,
            None,
        );
        let err = bad.err().unwrap();
        assert_eq!(err.code, "CLI_BAD_API_URL");
        assert!(err.ja.contains("KOHO_API_URL_X"));
    }
}
