//! The one error type of the store.

use std::path::PathBuf;

use sqlx::error::ErrorKind;

/// Everything that can go wrong in the store.
///
/// Every variant has a stable machine-readable [`code`](StoreError::code) that callers
/// (CLI exit codes, HTTP problem types, logs) can match on; the `Display` text is English
/// and meant for operators, not end users.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL names no engine this store supports.
    #[error(
        "unsupported database URL `{0}`: use sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB"
    )]
    UnsupportedUrl(String),
    /// The municipality (tenant) does not exist in this store.
    #[error("municipality `{0}` does not exist in this store")]
    UnknownTenant(String),
    /// No row with this id exists in the tenant's municipality.
    #[error("{entity} `{id}` not found")]
    NotFound {
        /// The kind of row, e.g. `official account`.
        entity: &'static str,
        /// The id or key that was looked up.
        id: String,
    },
    /// A uniqueness rule or a reference between rows would be broken.
    #[error("conflict on {entity}: {detail}")]
    Conflict {
        /// The kind of row being written.
        entity: &'static str,
        /// What collided.
        detail: String,
    },
    /// The row was changed by someone else since it was read (optimistic concurrency).
    #[error(
        "{entity} `{id}` was changed by someone else since it was read (expected row version {expected}); reload and retry"
    )]
    Stale {
        /// The kind of row being updated.
        entity: &'static str,
        /// Its id.
        id: String,
        /// The row version the caller had read.
        expected: i64,
    },
    /// The row exists but may not be changed this way (e.g. a published policy version).
    #[error("{entity} `{id}` cannot be changed: {reason}")]
    Immutable {
        /// The kind of row.
        entity: &'static str,
        /// Its id.
        id: String,
        /// Why not.
        reason: String,
    },
    /// A value handed to the store is malformed.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A value read from the database cannot be understood (hand-edited or corrupted data).
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    /// The database is locked by another writer or a serialisation failure occurred;
    /// the whole transaction may be retried.
    #[error("the database is busy, retry the operation: {0}")]
    Busy(String),
    /// The database was migrated by a newer koho.
    #[error("database schema version {found} is newer than this koho supports ({supported})")]
    SchemaTooNew {
        /// Highest version recorded in the database.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// A migration failed or an applied migration differs from the embedded one.
    #[error("migration {version} failed: {detail}")]
    Migration {
        /// The migration's version number.
        version: i64,
        /// What happened.
        detail: String,
    },
    /// Taking a backup failed.
    #[error("backup failed: {0}")]
    Backup(String),
    /// Restoring a backup failed (unreadable file, wrong format or schema version).
    #[error("restore failed: {0}")]
    Restore(String),
    /// Restore refuses to write into a database that already holds data.
    #[error("restore needs an empty database, but table `{table}` has {rows} rows")]
    RestoreTargetNotEmpty {
        /// First non-empty table found.
        table: &'static str,
        /// Its row count.
        rows: i64,
    },
    /// A file could not be read or written.
    #[error("file error at {}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// Any other database or driver error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Stable machine-readable code, e.g. `STORE_NOT_FOUND`.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::UnsupportedUrl(_) => "STORE_URL",
            StoreError::UnknownTenant(_) => "STORE_TENANT",
            StoreError::NotFound { .. } => "STORE_NOT_FOUND",
            StoreError::Conflict { .. } => "STORE_CONFLICT",
            StoreError::Stale { .. } => "STORE_STALE",
            StoreError::Immutable { .. } => "STORE_IMMUTABLE",
            StoreError::Invalid { .. } => "STORE_INVALID",
            StoreError::Corrupt(_) => "STORE_CORRUPT",
            StoreError::Busy(_) => "STORE_BUSY",
            StoreError::SchemaTooNew { .. } => "STORE_SCHEMA_TOO_NEW",
            StoreError::Migration { .. } => "STORE_MIGRATION",
            StoreError::Backup(_) => "STORE_BACKUP",
            StoreError::Restore(_) => "STORE_RESTORE",
            StoreError::RestoreTargetNotEmpty { .. } => "STORE_RESTORE_NOT_EMPTY",
            StoreError::Io { .. } => "STORE_IO",
            StoreError::Database(_) => "STORE_DATABASE",
        }
    }

    /// True when retrying the whole transaction may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Busy(_))
    }

    pub(crate) fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            entity,
            id: id.into(),
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Classifies a driver error without knowing which row was being written.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        classify(error, "row")
    }
}

/// Classifies a driver error raised while writing `entity`.
pub(crate) fn classify(error: sqlx::Error, entity: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => {
            if crate::engine::is_busy(db.as_ref()) {
                return StoreError::Busy(db.message().to_owned());
            }
            match db.kind() {
                ErrorKind::UniqueViolation => StoreError::Conflict {
                    entity,
                    detail: format!("a row with the same unique key exists ({})", db.message()),
                },
                ErrorKind::ForeignKeyViolation => StoreError::Conflict {
                    entity,
                    detail: format!(
                        "the row is referenced by other rows or refers to a missing row ({})",
                        db.message()
                    ),
                },
                _ => StoreError::Database(error),
            }
        }
        sqlx::Error::PoolTimedOut => {
            StoreError::Busy("no database connection became free in time".to_owned())
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::ColumnNotFound(_) => {
            StoreError::Corrupt(error.to_string())
        }
        _ => StoreError::Database(error),
    }
}

/// `map_err` helper: `.map_err(on(ENTITY))`.
pub(crate) fn on(entity: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| classify(e, entity)
}
