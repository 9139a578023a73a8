//! Everything that differs between SQLite and PostgreSQL lives here.
//!
//! The rest of the crate writes one portable SQL text per statement (`$1` placeholders,
//! `TEXT`/`BIGINT` columns, `ON CONFLICT`, `RETURNING`, `WITH RECURSIVE`) and runs it through
//! sqlx's `Any` driver. What cannot be portable is kept to this module:
//! connection URLs and pragmas, how a write or snapshot transaction begins, how migrations
//! are serialised between processes, how busy errors look, and the native backup command.

use std::path::Path;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::error::DatabaseError;
use sqlx::{AnyPool, Executor};

use crate::error::{Result, StoreError};

/// The database engine behind a [`Store`](crate::Store).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Embedded SQLite: one file (or memory), WAL journal, foreign keys on.
    Sqlite,
    /// PostgreSQL: a shared deployment for many municipalities and several processes.
    Postgres,
}

impl Engine {
    /// `"sqlite"` or `"postgres"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// Statement that opens a read-write transaction.
    ///
    /// SQLite: `BEGIN IMMEDIATE` takes the database write lock up front, so a transaction
    /// that reads and then writes never fails half-way with `SQLITE_BUSY_SNAPSHOT`, and
    /// writers from several processes queue on the busy timeout.
    /// PostgreSQL: READ COMMITTED; row locks taken by `UPDATE` serialise what must be serial
    /// (the audit chain head).
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
    }

    /// Statement that opens a read-only transaction over one consistent snapshot.
    ///
    /// SQLite in WAL mode keeps the snapshot of the first read until the transaction ends.
    pub(crate) fn begin_snapshot(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN",
            Engine::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tuning for [`Store::open_with`](crate::Store::open_with).
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Upper bound of pooled connections (an in-memory SQLite store always uses one).
    pub max_connections: u32,
    /// How long a SQLite writer waits for another writer's lock before failing with
    /// `STORE_BUSY`.
    pub busy_timeout: Duration,
    /// How long to wait for a free pooled connection before failing with `STORE_BUSY`.
    pub acquire_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

/// A parsed database URL.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) engine: Engine,
    /// URL handed to sqlx.
    pub(crate) connect_url: String,
    /// SQLite in memory (`mode=memory` asked for explicitly): a single connection that
    /// lives as long as the pool.
    pub(crate) in_memory: bool,
    /// For `sqlite::memory:`: the private file standing in for the memory database.
    pub(crate) scratch: Option<ScratchFile>,
}

/// A database file that exists only as long as the store that made it.
///
/// `sqlite::memory:` used to be a real memory database behind a pool of one connection,
/// and sqlx replaces a pool connection it considers broken (after a cancelled query,
/// for example): the replacement opened a new, empty memory database and the data was
/// gone mid-run. A file in the temporary directory survives any connection, lets the
/// pool use more than one, and is deleted (with its WAL and shared-memory files) when
/// the last clone of the store is dropped.
#[derive(Debug)]
pub(crate) struct ScratchFile {
    path: std::path::PathBuf,
}

impl ScratchFile {
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn new() -> ScratchFile {
        let name = format!("koho-memory-{}.db", uuid::Uuid::now_v7().simple());
        ScratchFile {
            path: std::env::temp_dir().join(name),
        }
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            // Missing files are expected (no WAL yet, or already checkpointed away).
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target> {
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            let scratch = ScratchFile::new();
            let path = scratch.path.to_str().ok_or_else(|| {
                StoreError::UnsupportedUrl(format!(
                    "{url} (the temporary directory {} is not UTF-8)",
                    scratch.path.display()
                ))
            })?;
            return Ok(Target {
                engine: Engine::Sqlite,
                connect_url: format!("sqlite://{path}?mode=rwc"),
                in_memory: false,
                scratch: Some(scratch),
            });
        }
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if rest.is_empty() || rest.starts_with('?') {
                return Err(StoreError::UnsupportedUrl(url.to_owned()));
            }
            let in_memory = rest.contains("mode=memory");
            // Create the file on first open unless the caller chose a mode.
            let connect_url = if rest.contains("mode=") {
                format!("sqlite://{rest}")
            } else if rest.contains('?') {
                format!("sqlite://{rest}&mode=rwc")
            } else {
                format!("sqlite://{rest}?mode=rwc")
            };
            return Ok(Target {
                engine: Engine::Sqlite,
                connect_url,
                in_memory,
                scratch: None,
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target {
                engine: Engine::Postgres,
                connect_url: url.to_owned(),
                in_memory: false,
                scratch: None,
            });
        }
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }

    /// Opens the connection pool with the engine's per-connection settings.
    pub(crate) async fn connect(&self, options: &OpenOptions) -> Result<AnyPool> {
        sqlx::any::install_default_drivers();
        let mut pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout);
        if self.engine == Engine::Sqlite {
            if self.in_memory {
                // The memory database lives exactly as long as its one connection.
                pool = pool
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            let busy_ms = u64::try_from(options.busy_timeout.as_millis()).unwrap_or(u64::MAX);
            pool = pool.after_connect(move |conn, _meta| {
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA busy_timeout = {busy_ms}"
                    )))
                    .await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect(&self.connect_url).await?;
        if self.engine == Engine::Sqlite && !self.in_memory {
            // WAL is a property of the file: set once, every later connection uses it.
            // Switching needs an exclusive lock that the busy timeout does not wait for, so
            // a process opening the file at the same moment as another one retries.
            let deadline = tokio::time::Instant::now() + options.busy_timeout;
            loop {
                match sqlx::query("PRAGMA journal_mode = WAL")
                    .fetch_optional(&pool)
                    .await
                {
                    Ok(_) => break,
                    Err(sqlx::Error::Database(e))
                        if is_busy(e.as_ref()) && tokio::time::Instant::now() < deadline =>
                    {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(pool)
    }
}

/// Serialises migrations between processes that open the same database at once.
/// Must run inside the migration transaction.
pub(crate) async fn lock_for_migration(engine: Engine, conn: &mut AnyConnection) -> Result<()> {
    match engine {
        // The transaction was opened with BEGIN IMMEDIATE: it already holds the write lock.
        Engine::Sqlite => Ok(()),
        Engine::Postgres => {
            // Released at commit/rollback. The key is arbitrary but fixed ("koho" in ASCII).
            conn.execute("SELECT pg_advisory_xact_lock(1802463343)")
                .await?;
            Ok(())
        }
    }
}

/// True for "someone else holds the lock / retry the transaction" errors.
pub(crate) fn is_busy(error: &dyn DatabaseError) -> bool {
    error.code().is_some_and(|code| is_busy_code(&code))
}

fn is_busy_code(code: &str) -> bool {
    // PostgreSQL SQLSTATEs are five characters: serialization_failure, deadlock_detected,
    // lock_not_available.
    if code.len() == 5 {
        return matches!(code, "40001" | "40P01" | "55P03");
    }
    // SQLite (extended) result codes: the primary code is the low byte; 5 SQLITE_BUSY,
    // 6 SQLITE_LOCKED.
    code.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
}

/// SQLite's native online backup: `VACUUM INTO` writes a consistent, compacted copy of the
/// database as of the start of the statement while other connections keep writing.
pub(crate) async fn sqlite_vacuum_into(pool: &AnyPool, path: &Path) -> Result<()> {
    let target = path
        .to_str()
        .ok_or_else(|| StoreError::Backup(format!("path {} is not UTF-8", path.display())))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await
        .map_err(|e| StoreError::Backup(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = Target::parse("sqlite:///var/lib/koho/koho.db").unwrap();
        assert_eq!(t.engine, Engine::Sqlite);
        assert_eq!(t.connect_url, "sqlite:///var/lib/koho/koho.db?mode=rwc");
        let t = Target::parse("sqlite://data.db?mode=ro").unwrap();
        assert_eq!(t.connect_url, "sqlite://data.db?mode=ro");
        let t = Target::parse("sqlite::memory:").unwrap();
        assert!(t.scratch.is_some());
        let u = Target::parse("sqlite::memory:").unwrap();
        assert_ne!(
            t.connect_url, u.connect_url,
            "each memory store is its own database"
        );
        let t = Target::parse("postgres://postgres@127.0.0.1/koho").unwrap();
        assert_eq!(t.engine, Engine::Postgres);
        let err = Target::parse("mysql://x").unwrap_err();
        assert!(
            Target::parse("sqlite:koho.db")
                .unwrap()
                .connect_url
                .ends_with("koho.db?mode=rwc")
        );
        assert_eq!(err.code(), "STORE_URL");
        assert!(Target::parse("sqlite://").is_err());
    }

    #[test]
    fn busy_codes() {
        // SQLite: BUSY, LOCKED, BUSY_SNAPSHOT (517), LOCKED_SHAREDCACHE (262).
        for code in ["5", "6", "517", "262"] {
            assert!(is_busy_code(code), "{code}");
        }
        // SQLite constraint (2067 unique) and PostgreSQL unique_violation are not busy.
        for code in ["19", "2067", "23505", "42P01"] {
            assert!(!is_busy_code(code), "{code}");
        }
        for code in ["40001", "40P01", "55P03"] {
            assert!(is_busy_code(code), "{code}");
        }
    }
}
