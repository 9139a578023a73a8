//! One test body, every engine — koho-store's approach: SQLite always (a fresh file per
//! database), PostgreSQL too when `DATABASE_URL` points at a server (a fresh, uniquely named
//! database per database asked for, dropped afterwards).
// Test code: helpers outside #[test] functions may unwrap and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]
#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koho_guideline::Guideline;
use koho_store::{Engine, NewPerson, Person, Role, Store};
use koho_workflow::Workflow;
use sqlx::Connection;

pub fn pg_admin_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// Engines a test body runs on.
pub fn engines() -> Vec<Engine> {
    let mut engines = vec![Engine::Sqlite];
    if pg_admin_url().is_some() {
        engines.push(Engine::Postgres);
    }
    engines
}

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Databases made for one test on one engine.
pub struct Env {
    pub engine: Engine,
    dir: tempfile::TempDir,
    pg_databases: Mutex<Vec<String>>,
}

impl Env {
    fn new(engine: Engine) -> Env {
        Env {
            engine,
            dir: tempfile::tempdir().unwrap(),
            pg_databases: Mutex::new(Vec::new()),
        }
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// The URL of a new, empty database.
    pub async fn fresh_url(&self) -> String {
        let name = format!("koho_wf_test_{}", unique());
        match self.engine {
            Engine::Sqlite => format!("sqlite://{}", self.path(&format!("{name}.db")).display()),
            Engine::Postgres => {
                let admin = pg_admin_url().unwrap();
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                self.pg_databases.lock().unwrap().push(name.clone());
                with_database(&admin, &name)
            }
        }
    }

    /// A store on a new, empty database.
    pub async fn open(&self) -> Store {
        Store::open(&self.fresh_url().await).await.unwrap()
    }

    async fn cleanup(&self) {
        let dbs: Vec<String> = std::mem::take(&mut *self.pg_databases.lock().unwrap());
        if dbs.is_empty() {
            return;
        }
        let admin = pg_admin_url().unwrap();
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        for db in dbs {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
    }
}

/// Runs `body` once per engine, each with its own [`Env`]; drops PostgreSQL databases even
/// when the body panics, then re-raises the panic naming the engine.
pub async fn each_engine<F, Fut>(body: F)
where
    F: Fn(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for engine in engines() {
        let env = Arc::new(Env::new(engine));
        let run = tokio::spawn(tokio::time::timeout(
            Duration::from_secs(240),
            body(env.clone()),
        ));
        let outcome = run.await;
        env.cleanup().await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(_)) => panic!("[{engine}] test timed out"),
            Err(e) if e.is_panic() => {
                eprintln!("[{engine}] test body panicked");
                std::panic::resume_unwind(e.into_panic());
            }
            Err(e) => panic!("[{engine}] {e}"),
        }
    }
}

/// 狛江市's guideline with re-approval on a change of purpose (as 神栖市 第4条 and
/// みどり市 第2条 have it): the "komae-like" guideline of the stories.
pub fn komae_like() -> Guideline {
    let src = koho_guideline::preset_source("komae").unwrap().replacen(
        "[opening.waiver]",
        "[opening.reapproval_on_purpose_change]\nclause = \"4(2)ウ\"\n\n[opening.waiver]",
        1,
    );
    Guideline::parse("komae-like", &src).unwrap()
}

pub async fn person(
    wf: &Workflow,
    name: &str,
    mail: &str,
    dept: Option<&str>,
    roles: &[Role],
) -> Person {
    let department_id = match dept {
        Some(d) => Some(wf.department(d).await.unwrap().id),
        None => None,
    };
    wf.add_person(
        &NewPerson {
            display_name: name.to_owned(),
            email: mail.to_owned(),
            department_id,
            roles: roles.to_vec(),
        },
        &koho_store::Actor::System,
    )
    .await
    .unwrap()
}
