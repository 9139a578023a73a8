//! The harness of the CLI tests that run the real binary on a temporary database: SQLite
//! always, PostgreSQL too when `DATABASE_URL` points at a server (a fresh database per test,
//! dropped afterwards). Each test file uses a different subset of it.
#![allow(dead_code)]

pub use std::path::Path;
pub use std::process::{Command, Output};

use sqlx::Connection;

pub fn pg_admin_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn unique() -> String {
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

pub fn with_database(url: &str, db: &str) -> String {
    let base = url.split('?').next().unwrap();
    let scheme_end = base.find("://").unwrap() + 3;
    let host = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host}/{db}")
}

/// One engine's scratch space: a data directory and the databases made in it.
pub struct Env {
    pub engine: &'static str,
    pub dir: tempfile::TempDir,
    pg: Vec<String>,
}

impl Env {
    /// A new empty database's URL.
    pub fn fresh_url(&mut self) -> String {
        let name = format!("koho_cli_test_{}", unique());
        if self.engine == "sqlite" {
            return format!(
                "sqlite://{}",
                self.dir.path().join(format!("{name}.db")).display()
            );
        }
        let admin = pg_admin_url().unwrap();
        rt().block_on(async {
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        });
        self.pg.push(name.clone());
        with_database(&admin, &name)
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Runs raw SQL on the database behind the binary's back.
    pub fn exec(&self, url: &str, sql: &str) {
        rt().block_on(async {
            if self.engine == "sqlite" {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            } else {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            }
        });
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if self.pg.is_empty() {
            return;
        }
        let admin = pg_admin_url().unwrap();
        let names = std::mem::take(&mut self.pg);
        rt().block_on(async {
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            for n in names {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {n} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
            let _ = c.close().await;
        });
    }
}

/// Runs `body` once per engine.
pub fn each_engine(body: impl Fn(&mut Env)) {
    let mut engines = vec!["sqlite"];
    if pg_admin_url().is_some() {
        engines.push("postgres");
    }
    for engine in engines {
        eprintln!("== {engine}");
        let mut env = Env {
            engine,
            dir: tempfile::tempdir().unwrap(),
            pg: Vec::new(),
        };
        body(&mut env);
    }
}

pub fn koho_in(
    data_dir: &Path,
    url: Option<&str>,
    extra_env: &[(&str, &str)],
    args: &[&str],
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_koho"));
    cmd.args(args)
        .env_remove("KOHO_GUIDELINE")
        .env_remove("KOHO_MUNICIPALITY")
        .env_remove("DATABASE_URL")
        .env("KOHO_DATA_DIR", data_dir);
    if let Some(u) = url {
        cmd.env("DATABASE_URL", u);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// [`koho_in`] with `input` on the command's standard input (secrets are read there).
#[allow(dead_code)] // not every test binary pipes input
pub fn koho_in_with_stdin(
    data_dir: &Path,
    url: Option<&str>,
    extra_env: &[(&str, &str)],
    args: &[&str],
    input: &str,
) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_koho"));
    cmd.args(args)
        .env_remove("KOHO_GUIDELINE")
        .env_remove("KOHO_MUNICIPALITY")
        .env_remove("DATABASE_URL")
        .env("KOHO_DATA_DIR", data_dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(u) = url {
        cmd.env("DATABASE_URL", u);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn koho(env: &Env, url: &str, args: &[&str]) -> Output {
    koho_in(env.dir.path(), Some(url), &[], args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
pub fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}
