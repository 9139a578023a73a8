//! `koho serve`: the web application (`koho-web`) on a multi-threaded tokio runtime.
//!
//! Prints the URL it listens on as soon as the socket is bound; with
//! `--addr 127.0.0.1:0` the system picks a free port and the printed URL has the
//! real one (tests read it). Stops on Ctrl+C or SIGTERM after finishing requests.
//!
//! Environment: `KOHO_GUIDELINE` (default guideline), `KOHO_PUBLIC_URL` (the URL
//! users see; `https://…` turns on HSTS and `Secure` cookies), `KOHO_SECRET` (key
//! for CSRF tokens, ≥ 16 bytes; random per process when unset — never printed),
//! `KOHO_LOG` (`error`, `warn`, `info` (default) or `debug`; logs go to stderr).
//!
//! The database is the configured one (`DATABASE_URL`, default a SQLite file in the
//! data directory, see `koho config`); `--demo` fills the demo municipality into it when
//! it is missing. Every municipality in the database is served; `KOHO_MUNICIPALITY`
//! (or, with `--demo`, the demo) is the default one.

use std::net::SocketAddr;

use clap::Args;
use koho_guideline::{EXAMPLES, PRESETS};
use koho_store::Store;
use koho_web::{AppState, Options};
use koho_workflow::Workflow;

use crate::config::Config;
use crate::db_cmd::{open_store, store_err, wf_err};
use crate::demo_cmd::DEMO;
use crate::error::{CliError, CliResult};
use crate::{load, out};

#[derive(Args)]
pub struct ServeArgs {
    /// 待ち受けるアドレス。ポートを 0 にすると空いているポートを使い、実際の URL を表示する
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// デモとして動かす: デモであることを画面に示し、組み込みのガイドラインをすべて選べるようにする
    #[arg(long)]
    demo: bool,
    /// ガイドライン（プリセット ID または TOML ファイル）。既定は環境変数 KOHO_GUIDELINE、なければ midori
    #[arg(long, short)]
    guideline: Option<String>,
    /// 利用者から見える URL（https:// なら HSTS を送り Cookie に Secure を付ける）。既定は環境変数 KOHO_PUBLIC_URL
    #[arg(long)]
    public_url: Option<String>,
}

fn runtime_error(what: &str, e: &dyn std::fmt::Display) -> CliError {
    CliError {
        code: "CLI_SERVE",
        ja: format!("サーバーを起動できません（{what}: {e}）"),
        en: format!("cannot start the server ({what}: {e})"),
        exit: 3,
    }
}

fn init_logging() {
    let level = match std::env::var("KOHO_LOG").unwrap_or_default().as_str() {
        "error" => tracing::Level::ERROR,
        "warn" => tracing::Level::WARN,
        "debug" => tracing::Level::DEBUG,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

/// Opens the configured store (filling the demo municipality with `--demo` when it is
/// missing) and the register workflow of every municipality in it, the configured one
/// (`KOHO_MUNICIPALITY`) first.
async fn open_sites(cfg: &Config, demo: bool) -> CliResult<(Store, Vec<Workflow>)> {
    let store = open_store(cfg).await?;
    if demo && store.tenant_by_slug(DEMO).await.is_err() {
        let guideline = load::guideline(DEMO)?;
        koho_workflow::demo::fill(&store, DEMO, guideline)
            .await
            .map_err(|e| wf_err(&e))?;
    }
    if demo {
        // Demo data only: fixed, printed passwords and TOTP secrets (see docs/security.md).
        let guideline = load::guideline(DEMO)?;
        let wf = Workflow::open(&store, DEMO, guideline)
            .await
            .map_err(|e| wf_err(&e))?;
        let logins = wf
            .install_demo_credentials()
            .await
            .map_err(|e| crate::auth_cmd::auth_err(&e))?;
        crate::auth_cmd::print_demo_logins(&logins)?;
        // A few published posts and a correction, so the archive (/archive) shows one.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        koho_workflow::demo_posts::publish_demo_posts(&wf, now)
            .await
            .map_err(|e| crate::post_cmd::post_err(&e))?;
    }
    let mut records = store.municipalities().await.map_err(|e| store_err(&e))?;
    records.sort_by_key(|m| m.slug != cfg.municipality && !(demo && m.slug == DEMO));
    let mut sites = Vec::with_capacity(records.len());
    // A shared deployment has far more municipalities than guidelines: parse each once.
    let mut parsed: std::collections::HashMap<String, koho_guideline::Guideline> =
        std::collections::HashMap::new();
    for m in records {
        let guideline = match parsed.get(&m.guideline_id) {
            Some(g) => g.clone(),
            None => {
                let g = load::guideline(&m.guideline_id)?;
                parsed.insert(m.guideline_id.clone(), g.clone());
                g
            }
        };
        sites.push(
            Workflow::open(&store, &m.slug, guideline)
                .await
                .map_err(|e| wf_err(&e))?,
        );
    }
    Ok((store, sites))
}

pub fn run(a: &ServeArgs) -> CliResult<u8> {
    let cfg = Config::load()?;
    let addr: SocketAddr = a.addr.parse().map_err(|_| {
        CliError::input(
            "CLI_BAD_ADDR",
            format!(
                "アドレス「{}」を読み取れません（例: 127.0.0.1:8080、[::1]:8080）",
                a.addr
            ),
            format!("cannot parse address `{}`", a.addr),
        )
    })?;
    let spec = a.guideline.clone().unwrap_or_else(load::default_guideline);
    let default = load::checker(&spec)?;
    let mut more = Vec::new();
    if a.demo {
        for (id, _) in PRESETS.iter().chain(EXAMPLES) {
            if *id != default.0.id {
                more.push(load::checker(id)?);
            }
        }
    }
    let public_url = a
        .public_url
        .clone()
        .or_else(|| std::env::var("KOHO_PUBLIC_URL").ok())
        .filter(|u| !u.trim().is_empty());
    let https = public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let options = Options {
        demo: a.demo,
        https,
        secure_cookies: https || addr.ip().is_loopback(),
        secret: std::env::var_os("KOHO_SECRET").map(|s| s.into_encoded_bytes()),
    };
    if options.secret.as_ref().is_some_and(|s| s.len() < 16) {
        return Err(CliError::input(
            "CLI_BAD_SECRET",
            "環境変数 KOHO_SECRET は 16 バイト以上にしてください",
            "KOHO_SECRET must be at least 16 bytes",
        ));
    }
    let insecure = !options.secure_cookies;
    init_logging();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("koho-web")
        .build()
        .map_err(|e| runtime_error("runtime", &e))?;
    rt.block_on(async move {
        let (store, sites) = open_sites(&cfg, a.demo).await?;
        if sites.is_empty() {
            tracing::warn!(
                "the database holds no municipality: public register pages answer 404; \
                 create one with `koho demo` or `koho municipality create`"
            );
        }
        let state = AppState::new(store.clone(), sites, default, more, options)
            .map_err(|e| runtime_error("state", &e))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| runtime_error(&addr.to_string(), &e))?;
        let local = listener
            .local_addr()
            .map_err(|e| runtime_error("local_addr", &e))?;
        let public = public_url
            .map(|u| format!("、公開 URL {u}"))
            .unwrap_or_default();
        out(&format!(
            "koho serve: http://{local}/ で待ち受けています（Ctrl+C で終了{public}）\n"
        ))?;
        if insecure {
            tracing::warn!(
                "listening on a non-loopback address without https: cookies are not marked Secure; \
                 put koho behind a TLS-terminating proxy and set --public-url https://…"
            );
        }
        tracing::info!(%local, database = %crate::config::redact_url(&cfg.database_url), "listening");
        let served = axum::serve(listener, koho_web::router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| runtime_error("serve", &e));
        store.close().await;
        served
    })?;
    Ok(0)
}
