//! Embedded, idempotent schema migrations with a version table.
//!
//! Migrations run inside one write transaction at [`Store::open`](crate::Store::open); a
//! second process opening the same database at the same time waits for the first
//! (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock) and then finds
//! nothing left to do. Each applied migration is recorded in `koho_schema_migrations` with a
//! SHA-256 of its text, so an edited migration is reported instead of silently skipped.

use sqlx::{AnyPool, Executor};

use crate::engine::{self, Engine};
use crate::error::{Result, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "sign-in: sessions, login states, API tokens, preferences",
        sql: include_str!("../migrations/0002_auth.sql"),
    },
    Migration {
        version: 3,
        name: "posts",
        sql: include_str!("../migrations/0003_posts.sql"),
    },
    Migration {
        version: 4,
        name: "publishing outbox",
        sql: include_str!("../migrations/0004_outbox.sql"),
    },
    Migration {
        version: 5,
        name: "posts meet the outbox: job to post target foreign key, post images",
        sql: include_str!("../migrations/0005_post_publishing.sql"),
    },
    Migration {
        version: 6,
        name: "public addresses of outbox images",
        sql: include_str!("../migrations/0006_media_links.sql"),
    },
];

/// The schema version this build creates and understands: the last migration's.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

impl Migration {
    /// Statements are separated by a line that holds only `;`.
    fn statements(&self) -> impl Iterator<Item = &'static str> {
        self.sql
            .split("\n;\n")
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn checksum(&self) -> String {
        crate::audit::sha256_hex(self.sql.as_bytes())
    }
}

const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS koho_schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Brings the database up to [`SCHEMA_VERSION`]; returns the version it is at.
pub(crate) async fn run(pool: &AnyPool, engine: Engine) -> Result<i64> {
    let mut tx = pool.begin_with(engine.begin_write()).await?;
    engine::lock_for_migration(engine, &mut tx).await?;
    tx.execute(CREATE_VERSION_TABLE).await?;
    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM koho_schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;

    if let Some((found, _)) = applied.last()
        && *found > SCHEMA_VERSION
    {
        return Err(StoreError::SchemaTooNew {
            found: *found,
            supported: SCHEMA_VERSION,
        });
    }

    for migration in MIGRATIONS {
        match applied.iter().find(|(v, _)| *v == migration.version) {
            Some((_, checksum)) if *checksum == migration.checksum() => continue,
            Some(_) => {
                return Err(StoreError::Migration {
                    version: migration.version,
                    detail: format!(
                        "the applied migration `{}` differs from the one embedded in this build",
                        migration.name
                    ),
                });
            }
            None => {}
        }
        for statement in migration.statements() {
            tx.execute(sqlx::AssertSqlSafe(statement))
                .await
                .map_err(|e| StoreError::Migration {
                    version: migration.version,
                    detail: e.to_string(),
                })?;
        }
        sqlx::query(
            "INSERT INTO koho_schema_migrations (version, name, checksum, applied_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(migration.checksum())
        .bind(crate::model::now_ms())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(SCHEMA_VERSION)
}

/// The highest applied migration.
pub(crate) async fn current_version(pool: &AnyPool) -> Result<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM koho_schema_migrations")
        .fetch_one(pool)
        .await?;
    Ok(v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_statements_split() {
        // Versions are reserved per feature when work proceeds in parallel, so a build may skip
        // one; they must only increase, since `run` applies them in array order.
        assert_eq!(MIGRATIONS[0].version, 1);
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version, "migrations out of order");
        }
        for m in MIGRATIONS {
            assert!(m.statements().count() >= 1);
            for s in m.statements() {
                assert!(!s.ends_with(';'), "a statement keeps its separator: {s}");
            }
        }
        assert_eq!(MIGRATIONS.last().unwrap().version, SCHEMA_VERSION);
    }
}
