//! Emergency broadcast, end to end: one message to 20 accounts on 8 platforms whose fake
//! APIs answer after 200 ms each, from the call to the last recorded outcome (enqueue,
//! claims, 20 HTTP round trips, 20 recorded outcomes, audit entries).
//!
//! `cargo bench -p koho-workflow --bench emergency` (SQLite; PostgreSQL too when
//! `DATABASE_URL` is set). Target: under 1.5 s.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../tests/publishing/mod.rs"]
mod publishing;

use std::sync::Arc;
use std::time::{Duration, Instant};

use koho_connect::{Idempotency, Platform};
use koho_store::{Actor, JobState, Store};
use koho_workflow::credentials::CredentialKey;
use koho_workflow::publisher::{EmergencyRequest, SystemClock};
use publishing::support::*;

const PLATFORMS: [(Platform, Idempotency); 8] = [
    (Platform::X, Idempotency::Lookup),
    (Platform::Facebook, Idempotency::Lookup),
    (Platform::Instagram, Idempotency::Lookup),
    (Platform::Threads, Idempotency::Lookup),
    (Platform::Line, Idempotency::Native),
    (Platform::Bluesky, Idempotency::Native),
    (Platform::Mastodon, Idempotency::Native),
    (Platform::Misskey, Idempotency::None),
];

async fn run(url: &str, label: &str) {
    let store = Store::open(url).await.unwrap();
    let tenant = municipality(&store, "takanabe").await;
    let guideline = koho_guideline::Guideline::preset("takanabe")
        .unwrap()
        .unwrap();
    let mut sites = vec![];
    for (p, i) in PLATFORMS {
        sites.push(Site::start(p, i, Duration::from_millis(200)).await);
    }
    let refs: Vec<&Site> = sites.iter().collect();
    let key = CredentialKey::generate().unwrap();
    let publisher = publisher(
        &store,
        connectors(&refs, Duration::from_secs(5)),
        &key,
        Arc::new(SystemClock),
        "bench",
        Duration::from_secs(5),
    );
    let mut times = vec![];
    for round in 0..5 {
        let mut ids = vec![];
        for n in 0..20 {
            let site = &sites[n % sites.len()];
            let a = account(&store, &tenant, site.platform, &format!("@r{round}_{n}")).await;
            connect(&publisher, &tenant, site, &a, None).await;
            ids.push(a.id);
        }
        let start = Instant::now();
        let report = publisher
            .emergency_broadcast(
                &tenant,
                &guideline,
                &EmergencyRequest {
                    text: format!("【避難指示】第{round}報 町内全域に避難指示を発令しました"),
                    images: vec![],
                    account_ids: ids,
                    actor: Actor::Cli,
                    approved_by: None,
                },
            )
            .await
            .unwrap();
        let elapsed = start.elapsed();
        assert!(report.jobs.iter().all(|j| j.state == JobState::Published));
        times.push(elapsed);
        println!(
            "{label}: broadcast {round}: 20 accounts, 8 platforms, 200 ms latency: {elapsed:?}"
        );
    }
    times.sort();
    println!(
        "{label}: min {:?}, median {:?}, max {:?} (target < 1.5 s)",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
    store.close().await;
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        run(&url, "sqlite").await;
        if let Ok(admin) = std::env::var("DATABASE_URL")
            && admin.starts_with("postgres")
        {
            use sqlx::Connection;
            let name = format!("koho_bench_{}", std::process::id());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').unwrap().0;
            run(&format!("{base}/{name}"), "postgres").await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
    });
}
