//! Online backup, logical export and restore.
//!
//! * [`Store::backup`]: SQLite — `VACUUM INTO` (a plain SQLite database file);
//!   PostgreSQL — [`Store::export`].
//! * [`Store::export`]: every table, read inside one snapshot transaction
//!   (`REPEATABLE READ, READ ONLY` on PostgreSQL), written as JSON Lines (format below).
//! * [`Store::restore`]: into an empty database of either engine, from either kind of file.
//!
//! Export format (`koho-store-export`, version 1), UTF-8, one JSON object per line:
//!
//! ```text
//! {"format":"koho-store-export","format_version":1,"schema_version":1,"engine":"postgres","created_at":1767225600000}
//! {"table":"municipalities","row":{"created_at":…,"id":"…","slug":"komae",…}}
//! …one line per row, tables in dependency order…
//! {"end":true,"rows":1234}
//! ```
//!
//! Values are JSON strings, integers or `null`, keyed by column name. A file without its
//! `end` line is incomplete and is refused.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use serde_json::{Map, Value, json};
use sqlx::AnyConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::engine::{self, Engine};
use crate::error::{Result, StoreError};
use crate::migrate::SCHEMA_VERSION;
use crate::repo::RowExt;
use crate::store::Store;

const FORMAT: &str = "koho-store-export";
const FORMAT_VERSION: i64 = 1;
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The kind of file a backup produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupFormat {
    /// A SQLite database file (from `VACUUM INTO`).
    SqliteFile,
    /// The JSON Lines export format described in the module docs.
    JsonLines,
}

/// What a backup or export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub format: BackupFormat,
    pub bytes: u64,
    /// Rows written (JSON Lines only).
    pub rows: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Text,
    Int,
}

struct TableSpec {
    name: &'static str,
    order_by: &'static str,
    columns: &'static [(&'static str, Col)],
}

use Col::{Int, Text};

/// Every data table, parents before children. Must list every column of the schema; export
/// checks this against the live table.
const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "municipalities",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("slug", Text),
            ("name", Text),
            ("guideline_id", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "audit_chain_heads",
        order_by: "municipality_id",
        columns: &[
            ("municipality_id", Text),
            ("seq", Int),
            ("head_hash", Text),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "departments",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("name", Text),
            ("parent_id", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "people",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("display_name", Text),
            ("email", Text),
            ("department_id", Text),
            ("active", Int),
            ("password_hash", Text),
            ("totp_secret", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "person_roles",
        order_by: "municipality_id, person_id, role",
        columns: &[
            ("municipality_id", Text),
            ("person_id", Text),
            ("role", Text),
        ],
    },
    TableSpec {
        name: "official_accounts",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("platform", Text),
            ("handle", Text),
            ("handle_normalized", Text),
            ("url", Text),
            ("display_name", Text),
            ("department_id", Text),
            ("manager_id", Text),
            ("registration_email", Text),
            ("purpose", Text),
            ("content_categories", Text),
            ("tone", Text),
            ("reply_policy", Text),
            ("follow_policy", Text),
            ("approval_required", Int),
            ("verification", Text),
            ("kind", Text),
            ("state", Text),
            ("followers_count", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "account_applications",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("kind", Text),
            ("account_id", Text),
            ("proposal", Text),
            ("plan", Text),
            ("applicant_id", Text),
            ("checklist", Text),
            ("overlap_account_ids", Text),
            ("status", Text),
            ("form_number", Text),
            ("submitted_at", Int),
            ("decided_by", Text),
            ("decided_at", Int),
            ("decision_reason", Text),
            ("waiver", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "operation_policy_versions",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("account_id", Text),
            ("version", Int),
            ("body", Text),
            ("status", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("published_at", Int),
        ],
    },
    TableSpec {
        name: "account_events",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("account_id", Text),
            ("kind", Text),
            ("payload", Text),
            ("occurred_at", Int),
            ("effective_at", Int),
            ("next_check_at", Int),
            ("related_account_id", Text),
            ("recorded_by", Text),
            ("created_at", Int),
        ],
    },
    // Posting tables (migration 3), parents first.
    TableSpec {
        name: "department_requests",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("department_id", Text),
            ("submitted_by", Text),
            ("title", Text),
            ("body", Text),
            ("desired_at", Int),
            ("status", Text),
            ("decided_by", Text),
            ("decided_at", Int),
            ("decision_reason", Text),
            ("post_id", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "posts",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("kind", Text),
            ("corrects_post_id", Text),
            ("share_category", Text),
            ("share_url", Text),
            ("request_id", Text),
            ("department_id", Text),
            ("author_id", Text),
            ("state", Text),
            ("version", Int),
            ("matters", Text),
            ("approval_basis", Text),
            ("exception_id", Text),
            ("exception_reason", Text),
            ("publish_at", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "post_versions",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("post_id", Text),
            ("version", Int),
            ("body", Text),
            ("apology", Text),
            ("variants", Text),
            ("diagnostics", Text),
            ("error_count", Int),
            ("author_id", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "post_images",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("post_id", Text),
            ("version", Int),
            ("position", Int),
            ("mime", Text),
            ("alt_text", Text),
            ("has_gps", Int),
            ("sha256", Text),
            ("bytes", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "post_targets",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("post_id", Text),
            ("account_id", Text),
            ("state", Text),
            ("publish_at", Int),
            ("remote_id", Text),
            ("remote_url", Text),
            ("published_at", Int),
            ("last_error", Text),
            ("attempts", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "post_decisions",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("post_id", Text),
            ("version", Int),
            ("kind", Text),
            ("decided_by", Text),
            ("exception_id", Text),
            ("reason", Text),
            ("clause_label", Text),
            ("decided_at", Int),
        ],
    },
    TableSpec {
        name: "post_hoc_reports",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("post_id", Text),
            ("report_to_role", Text),
            ("exception_id", Text),
            ("reason", Text),
            ("reported_by", Text),
            ("created_at", Int),
            ("acknowledged_by", Text),
            ("acknowledged_at", Int),
            ("reminders", Int),
            ("next_reminder_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "notifications",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("person_id", Text),
            ("kind", Text),
            ("subject_type", Text),
            ("subject_id", Text),
            ("message", Text),
            ("clause_label", Text),
            ("created_at", Int),
            ("read_at", Int),
        ],
    },
    TableSpec {
        name: "sessions",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("token_hash", Text),
            ("person_id", Text),
            ("created_at", Int),
            ("last_seen_at", Int),
            ("idle_expires_at", Int),
            ("absolute_expires_at", Int),
            ("revoked_at", Int),
            ("revoked_reason", Text),
            ("user_agent", Text),
        ],
    },
    TableSpec {
        name: "login_states",
        order_by: "municipality_id, person_id",
        columns: &[
            ("municipality_id", Text),
            ("person_id", Text),
            ("consecutive_failures", Int),
            ("last_failure_at", Int),
            ("locked_until", Int),
            ("last_totp_step", Int),
            ("last_success_at", Int),
        ],
    },
    TableSpec {
        name: "api_tokens",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("name", Text),
            ("token_hash", Text),
            ("person_id", Text),
            ("role", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_used_at", Int),
            ("revoked_at", Int),
        ],
    },
    TableSpec {
        name: "person_preferences",
        order_by: "municipality_id, person_id",
        columns: &[
            ("municipality_id", Text),
            ("person_id", Text),
            ("ui_lang", Text),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "audit_log",
        order_by: "municipality_id, seq",
        columns: &[
            ("municipality_id", Text),
            ("seq", Int),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("subject_type", Text),
            ("subject_id", Text),
            ("before_json", Text),
            ("after_json", Text),
            ("clause_guideline", Text),
            ("clause_label", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
    },
    // Version 4: the publishing outbox. Credentials travel as ciphertext only.
    TableSpec {
        name: "publish_jobs",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("account_id", Text),
            ("post_target_id", Text),
            ("kind", Text),
            ("broadcast_id", Text),
            ("priority", Int),
            ("body", Text),
            ("media", Text),
            ("idempotency_key", Text),
            ("not_before", Int),
            ("deadline", Int),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("lease_owner", Text),
            ("lease_expires_at", Int),
            ("uncertain", Int),
            ("first_attempt_at", Int),
            ("remote_id", Text),
            ("remote_url", Text),
            ("last_error_code", Text),
            ("last_error", Text),
            ("finished_at", Int),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "platform_credentials",
        order_by: "municipality_id, account_id",
        columns: &[
            ("municipality_id", Text),
            ("account_id", Text),
            ("account_ref", Text),
            ("sealed", Text),
            ("key_id", Text),
            ("expires_at", Int),
            ("status", Text),
            ("refresh_owner", Text),
            ("refresh_lease_until", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("row_version", Int),
        ],
    },
    TableSpec {
        name: "publish_account_holds",
        order_by: "municipality_id, account_id",
        columns: &[
            ("municipality_id", Text),
            ("account_id", Text),
            ("hold_until", Int),
            ("reason", Text),
            ("detail", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "publish_alerts",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("municipality_id", Text),
            ("account_id", Text),
            ("job_id", Text),
            ("kind", Text),
            ("message", Text),
            ("report_to", Text),
            ("created_at", Int),
            ("resolved_at", Int),
            ("resolved_by", Text),
        ],
    },
    TableSpec {
        name: "publish_media_links",
        order_by: "token",
        columns: &[
            ("token", Text),
            ("municipality_id", Text),
            ("job_id", Text),
            ("media_index", Int),
            ("expires_at", Int),
            ("created_at", Int),
        ],
    },
];

impl TableSpec {
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn backup_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backup(e.to_string())
}

fn restore_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Restore(e.to_string())
}

/// Removes a temporary file or directory when dropped.
struct TempPath(PathBuf);

impl Drop for TempPath {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn refuse_existing(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(StoreError::Backup(format!(
            "{} already exists; choose a new file name",
            path.display()
        )));
    }
    Ok(())
}

/// Fails unless the live table has exactly the columns of its spec (guards the export
/// against a migration that added a column without updating [`TABLES`]).
async fn check_columns(conn: &mut AnyConnection, spec: &TableSpec) -> Result<()> {
    let sql = format!("SELECT * FROM {} LIMIT 1", spec.name);
    let Some(row) = sqlx::query(AssertSqlSafe(sql))
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(());
    };
    let mut live: Vec<&str> = row.columns().iter().map(sqlx::Column::name).collect();
    let mut known: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
    live.sort_unstable();
    known.sort_unstable();
    if live != known {
        return Err(StoreError::Backup(format!(
            "table {} has columns {live:?}, the export knows {known:?}",
            spec.name
        )));
    }
    Ok(())
}

/// Writes every table, as seen by `conn`'s current transaction, to `out`.
async fn write_export(
    conn: &mut AnyConnection,
    engine: Engine,
    out: &mut impl Write,
) -> Result<i64> {
    let header = json!({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": SCHEMA_VERSION,
        "engine": engine.as_str(),
        "created_at": crate::model::now_ms(),
    });
    writeln!(out, "{header}").map_err(backup_err)?;
    let mut total = 0i64;
    for spec in TABLES {
        check_columns(conn, spec).await?;
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            spec.column_list(),
            spec.name,
            spec.order_by
        );
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let mut obj = Map::new();
            for (col, ty) in spec.columns {
                let v = match ty {
                    Text => row.opt_text(col)?.map_or(Value::Null, Value::String),
                    Int => row.opt_int(col)?.map_or(Value::Null, Value::from),
                };
                obj.insert((*col).to_owned(), v);
            }
            let line = json!({ "table": spec.name, "row": obj });
            writeln!(out, "{line}").map_err(backup_err)?;
            total += 1;
        }
    }
    writeln!(out, "{}", json!({ "end": true, "rows": total })).map_err(backup_err)?;
    Ok(total)
}

impl Store {
    /// A consistent online backup to a new file at `path`, while the store stays in use.
    ///
    /// SQLite: `VACUUM INTO` (the file is itself a SQLite database). PostgreSQL: the JSON
    /// Lines export of [`Store::export`]. Either file restores with [`Store::restore`].
    pub async fn backup(&self, path: &Path) -> Result<BackupInfo> {
        match self.engine {
            Engine::Sqlite => {
                refuse_existing(path)?;
                engine::sqlite_vacuum_into(&self.pool, path).await?;
                let bytes = std::fs::metadata(path)
                    .map_err(|e| StoreError::io(path, e))?
                    .len();
                Ok(BackupInfo {
                    path: path.to_owned(),
                    format: BackupFormat::SqliteFile,
                    bytes,
                    rows: None,
                })
            }
            Engine::Postgres => self.export(path).await,
        }
    }

    /// Writes every table to a new JSON Lines file at `path` (format in the module docs),
    /// reading all tables inside one snapshot transaction. Works on both engines, so it also
    /// moves a municipality's SQLite database into a shared PostgreSQL one.
    pub async fn export(&self, path: &Path) -> Result<BackupInfo> {
        refuse_existing(path)?;
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = TempPath(PathBuf::from(partial));
        let file = File::create_new(&partial.0).map_err(|e| StoreError::io(&partial.0, e))?;
        let mut out = BufWriter::new(file);

        let mut tx = self.pool.begin_with(self.engine.begin_snapshot()).await?;
        let rows = write_export(&mut tx, self.engine, &mut out).await?;
        tx.rollback().await?;

        let file = out.into_inner().map_err(|e| backup_err(e.error()))?;
        file.sync_all().map_err(|e| StoreError::io(&partial.0, e))?;
        drop(file);
        std::fs::rename(&partial.0, path).map_err(|e| StoreError::io(path, e))?;
        let bytes = std::fs::metadata(path)
            .map_err(|e| StoreError::io(path, e))?
            .len();
        Ok(BackupInfo {
            path: path.to_owned(),
            format: BackupFormat::JsonLines,
            bytes,
            rows: Some(rows),
        })
    }

    /// Opens (creating and migrating) the database at `url`, which must hold no data, and
    /// loads the backup or export at `path` into it in one transaction.
    pub async fn restore(url: &str, path: &Path) -> Result<Store> {
        let format = detect_format(path)?;
        let store = Store::open(url).await?;
        store.ensure_empty().await?;
        match format {
            BackupFormat::JsonLines => store.import(path).await?,
            BackupFormat::SqliteFile => {
                // Read the backup through a private copy (opening migrates it and sets WAL,
                // which must not touch the backup itself), exported to JSON Lines.
                let dir = TempPath(
                    std::env::temp_dir()
                        .join(format!("koho-restore-{}", uuid::Uuid::now_v7().simple())),
                );
                std::fs::create_dir_all(&dir.0).map_err(|e| StoreError::io(&dir.0, e))?;
                let copy = dir.0.join("backup.db");
                std::fs::copy(path, &copy).map_err(|e| StoreError::io(path, e))?;
                let copy_url = format!(
                    "sqlite://{}",
                    copy.to_str()
                        .ok_or_else(|| restore_err("temporary path is not UTF-8"))?
                );
                let source = Store::open(&copy_url).await?;
                let export = dir.0.join("backup.jsonl");
                let exported = source.export(&export).await;
                source.close().await;
                exported?;
                store.import(&export).await?;
            }
        }
        Ok(store)
    }

    /// Fails with `STORE_RESTORE_NOT_EMPTY` if any data table has rows.
    async fn ensure_empty(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        for spec in TABLES {
            let sql = format!("SELECT COUNT(*) FROM {}", spec.name);
            let rows: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(&mut *conn)
                .await?;
            if rows > 0 {
                return Err(StoreError::RestoreTargetNotEmpty {
                    table: spec.name,
                    rows,
                });
            }
        }
        Ok(())
    }

    /// Loads a JSON Lines export in one transaction.
    async fn import(&self, path: &Path) -> Result<()> {
        let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
        let mut lines = BufReader::new(file).lines();
        let header: Value = match lines.next() {
            Some(line) => serde_json::from_str(&line.map_err(|e| StoreError::io(path, e))?)
                .map_err(|e| restore_err(format!("header line: {e}")))?,
            None => return Err(restore_err("the file is empty")),
        };
        if header["format"] != FORMAT || header["format_version"] != FORMAT_VERSION {
            return Err(restore_err(format!(
                "not a {FORMAT} version {FORMAT_VERSION} file (header {header})"
            )));
        }
        if header["schema_version"] != SCHEMA_VERSION {
            return Err(restore_err(format!(
                "the file has schema version {}, this koho restores version {SCHEMA_VERSION}",
                header["schema_version"]
            )));
        }

        let mut tx = self.pool.begin_with(self.engine.begin_write()).await?;
        let mut parents: Vec<(String, String)> = Vec::new();
        let mut ended = false;
        // Line n (0-based after the header) is row n, until the end line.
        for (rows, line) in lines.enumerate() {
            let line_no = rows + 2;
            let line = line.map_err(|e| StoreError::io(path, e))?;
            let mut value: Value = serde_json::from_str(&line)
                .map_err(|e| restore_err(format!("line {line_no}: {e}")))?;
            if value["end"] == true {
                if value["rows"].as_u64() != u64::try_from(rows).ok() {
                    return Err(restore_err(format!(
                        "the file announces {} rows but holds {rows}",
                        value["rows"]
                    )));
                }
                ended = true;
                break;
            }
            let table = value["table"].as_str().unwrap_or_default().to_owned();
            let spec = TABLES
                .iter()
                .find(|s| s.name == table)
                .ok_or_else(|| restore_err(format!("line {line_no}: unknown table `{table}`")))?;
            let Value::Object(row) = value["row"].take() else {
                return Err(restore_err(format!("line {line_no}: no row object")));
            };
            if spec.name == "departments"
                && let (Some(id), Some(parent)) = (
                    row.get("id").and_then(Value::as_str),
                    row.get("parent_id").and_then(Value::as_str),
                )
            {
                // Parents may come after children: link them once every department exists.
                parents.push((id.to_owned(), parent.to_owned()));
            }
            insert_row(&mut tx, spec, &row, line_no).await?;
        }
        if !ended {
            return Err(restore_err(
                "the file ends without its end line: the backup is incomplete",
            ));
        }
        for (id, parent) in parents {
            sqlx::query("UPDATE departments SET parent_id = $2 WHERE id = $1")
                .bind(id)
                .bind(parent)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(())
    }
}

async fn insert_row(
    conn: &mut AnyConnection,
    spec: &TableSpec,
    row: &Map<String, Value>,
    line_no: usize,
) -> Result<()> {
    if row.len() != spec.columns.len() {
        return Err(restore_err(format!(
            "line {line_no}: {} columns for table {} which has {}",
            row.len(),
            spec.name,
            spec.columns.len()
        )));
    }
    let placeholders: Vec<String> = (1..=spec.columns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        spec.name,
        spec.column_list(),
        placeholders.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for (col, ty) in spec.columns {
        let v = row
            .get(*col)
            .ok_or_else(|| restore_err(format!("line {line_no}: column `{col}` is missing")))?;
        let bad = || restore_err(format!("line {line_no}: column `{col}` has value {v}"));
        // Departments are inserted without parent; `import` links them afterwards.
        let v = if spec.name == "departments" && *col == "parent_id" {
            &Value::Null
        } else {
            v
        };
        query = match (ty, v) {
            (Text, Value::Null) => query.bind(None::<String>),
            (Text, Value::String(s)) => query.bind(Some(s.clone())),
            (Int, Value::Null) => query.bind(None::<i64>),
            (Int, Value::Number(n)) => query.bind(Some(n.as_i64().ok_or_else(bad)?)),
            _ => return Err(bad()),
        };
    }
    query
        .execute(&mut *conn)
        .await
        .map_err(|e| restore_err(format!("line {line_no} ({}): {e}", spec.name)))?;
    Ok(())
}

fn detect_format(path: &Path) -> Result<BackupFormat> {
    let mut file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let mut magic = [0u8; 16];
    let n = file.read(&mut magic).map_err(|e| StoreError::io(path, e))?;
    if n == 16 && &magic == SQLITE_MAGIC {
        Ok(BackupFormat::SqliteFile)
    } else if n > 0 && magic[0] == b'{' {
        Ok(BackupFormat::JsonLines)
    } else {
        Err(restore_err(format!(
            "{} is neither a SQLite database nor a {FORMAT} file",
            path.display()
        )))
    }
}
