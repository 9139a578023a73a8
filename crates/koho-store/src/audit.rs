//! The append-only audit log, hash-chained per municipality.
//!
//! Each municipality has its own chain: entries are numbered 1, 2, 3 … without gaps, and
//! each entry stores the hash of the previous one (`prev_hash`, 64 zeros for seq 1) and its
//! own `hash`, a SHA-256 over a canonical encoding of every other field (see
//! [`audit_entry_hash`]). A chain-head row per municipality (`audit_chain_heads`) holds the last
//! seq and hash; appending updates it first, which both serialises concurrent appenders
//! (row lock on PostgreSQL, the write lock of `BEGIN IMMEDIATE` on SQLite) and makes a
//! truncated tail detectable.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::ids::{MunicipalityId, Tenant};
use crate::model::{Actor, now_ms};
use crate::repo::{Access, ReadWrite, RowExt, repository};

/// `prev_hash` of the first entry of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry is about, e.g. `official_account` + its id.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Subject {
    pub kind: String,
    pub id: String,
}

impl Subject {
    /// A subject from its kind and id.
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Subject {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

/// The guideline clause a decision rests on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClauseRef {
    /// e.g. `komae`.
    pub guideline_id: String,
    /// e.g. `第7条` or `4(4)イ`.
    pub clause: String,
}

/// An entry to append.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    pub actor: Actor,
    /// Dotted verb, e.g. `account.approve`.
    pub action: String,
    pub subject: Subject,
    /// The subject before the change (absent for creations).
    pub before: Option<Value>,
    /// The subject after the change (absent for deletions).
    pub after: Option<Value>,
    pub clause: Option<ClauseRef>,
}

impl NewAuditEntry {
    /// An entry without before/after snapshots or clause.
    pub fn new(actor: Actor, action: impl Into<String>, subject: Subject) -> Self {
        NewAuditEntry {
            actor,
            action: action.into(),
            subject,
            before: None,
            after: None,
            clause: None,
        }
    }

    /// Adds the state before the change (any serialisable value, e.g. the row).
    pub fn before(mut self, value: &impl serde::Serialize) -> Result<Self> {
        self.before = Some(
            serde_json::to_value(value)
                .map_err(|e| StoreError::invalid("before", e.to_string()))?,
        );
        Ok(self)
    }

    /// Adds the state after the change.
    pub fn after(mut self, value: &impl serde::Serialize) -> Result<Self> {
        self.after = Some(
            serde_json::to_value(value).map_err(|e| StoreError::invalid("after", e.to_string()))?,
        );
        Ok(self)
    }

    /// Adds the clause reference.
    pub fn clause(mut self, guideline_id: impl Into<String>, clause: impl Into<String>) -> Self {
        self.clause = Some(ClauseRef {
            guideline_id: guideline_id.into(),
            clause: clause.into(),
        });
        self
    }
}

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub municipality_id: MunicipalityId,
    pub seq: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub actor: Actor,
    pub action: String,
    pub subject: Subject,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub clause: Option<ClauseRef>,
    pub prev_hash: String,
    pub hash: String,
}

/// The last seq and hash of a municipality's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// The first problem found in a chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditProblem {
    /// An entry's content no longer matches its hash: it was edited.
    #[error("audit entry seq {seq} was modified: stored hash {stored} != computed {computed}")]
    HashMismatch {
        seq: i64,
        stored: String,
        computed: String,
    },
    /// Entries are missing between `after_seq` and `next_seq`: they were deleted.
    #[error("audit entries missing: gap after seq {after_seq} (next entry is seq {next_seq})")]
    Gap { after_seq: i64, next_seq: i64 },
    /// An entry does not link to its predecessor: an entry was inserted, entries were
    /// reordered, or the predecessor was rewritten with a recomputed hash.
    #[error(
        "audit chain broken at seq {seq}: prev_hash {found} != hash of the entry before it {expected}"
    )]
    PrevHashMismatch {
        seq: i64,
        expected: String,
        found: String,
    },
    /// The chain head records more entries than exist: the tail was deleted.
    #[error(
        "audit log truncated: last entry is seq {last_seq} but the chain head records seq {head_seq}"
    )]
    TruncatedTail { last_seq: i64, head_seq: i64 },
    /// An entry exists beyond the chain head: it was appended outside koho.
    #[error("audit entry seq {seq} lies beyond the chain head (seq {head_seq})")]
    BeyondHead { seq: i64, head_seq: i64 },
    /// The last entry's hash differs from the one the chain head recorded.
    #[error("chain head hash {head_hash} != hash of its last entry seq {seq} ({entry_hash})")]
    HeadMismatch {
        seq: i64,
        head_hash: String,
        entry_hash: String,
    },
    /// The municipality has no chain head row.
    #[error("the municipality has no audit chain head")]
    MissingHead,
}

/// Result of [`AuditLog::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditVerification {
    /// Entries read before stopping.
    pub entries_checked: i64,
    /// What the chain head says (seq 0 and the genesis hash for an empty chain).
    pub head: Option<ChainHead>,
    /// `None` when the chain is intact.
    pub problem: Option<AuditProblem>,
}

impl AuditVerification {
    /// True when no problem was found.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Lowercase hex of the SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The fields an entry's hash covers, exactly as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditHashInput<'a> {
    pub municipality_id: &'a str,
    pub seq: i64,
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub clause_guideline: Option<&'a str>,
    pub clause_label: Option<&'a str>,
    pub prev_hash: &'a str,
}

/// SHA-256 over the canonical encoding: the ASCII tag `koho-audit-v1`, then each field in
/// the order of [`AuditHashInput`], each as one byte `0` (NULL) or one byte `1` followed by the
/// UTF-8 length as 8-byte big-endian and the UTF-8 bytes. Integers are encoded as their
/// decimal text. JSON fields are hashed as the exact text stored.
///
/// Public so that an auditor can re-check an export without koho. The chain is tamper-
/// evident, not tamper-proof: someone who can write to the database can recompute every
/// hash from an edited entry up to the head. Record [`ChainHead::hash`] outside the
/// database (a printed report, a mail to the auditor) to detect that as well.
pub fn audit_entry_hash(e: &AuditHashInput<'_>) -> String {
    fn field(h: &mut Sha256, v: Option<&str>) {
        match v {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"koho-audit-v1");
    field(&mut h, Some(e.municipality_id));
    field(&mut h, Some(&e.seq.to_string()));
    field(&mut h, Some(&e.at.to_string()));
    field(&mut h, Some(e.actor));
    field(&mut h, Some(e.action));
    field(&mut h, Some(e.subject_type));
    field(&mut h, Some(e.subject_id));
    field(&mut h, e.before_json);
    field(&mut h, e.after_json);
    field(&mut h, e.clause_guideline);
    field(&mut h, e.clause_label);
    field(&mut h, Some(e.prev_hash));
    hex(&h.finalize())
}

/// Raw text columns of one row, for hashing.
struct RawEntry {
    municipality_id: String,
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    subject_type: String,
    subject_id: String,
    before_json: Option<String>,
    after_json: Option<String>,
    clause_guideline: Option<String>,
    clause_label: Option<String>,
    prev_hash: String,
    hash: String,
}

impl RawEntry {
    fn from_row(row: &AnyRow) -> Result<RawEntry> {
        Ok(RawEntry {
            municipality_id: row.text("municipality_id")?,
            seq: row.int("seq")?,
            at: row.int("at")?,
            actor: row.text("actor")?,
            action: row.text("action")?,
            subject_type: row.text("subject_type")?,
            subject_id: row.text("subject_id")?,
            before_json: row.opt_text("before_json")?,
            after_json: row.opt_text("after_json")?,
            clause_guideline: row.opt_text("clause_guideline")?,
            clause_label: row.opt_text("clause_label")?,
            prev_hash: row.text("prev_hash")?,
            hash: row.text("hash")?,
        })
    }

    fn computed_hash(&self) -> String {
        audit_entry_hash(&AuditHashInput {
            municipality_id: &self.municipality_id,
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            action: &self.action,
            subject_type: &self.subject_type,
            subject_id: &self.subject_id,
            before_json: self.before_json.as_deref(),
            after_json: self.after_json.as_deref(),
            clause_guideline: self.clause_guideline.as_deref(),
            clause_label: self.clause_label.as_deref(),
            prev_hash: &self.prev_hash,
        })
    }

    fn into_entry(self) -> Result<AuditEntry> {
        let json = |col: &str, v: Option<String>| -> Result<Option<Value>> {
            v.map(|s| {
                serde_json::from_str(&s)
                    .map_err(|e| StoreError::Corrupt(format!("column `{col}`: {e}")))
            })
            .transpose()
        };
        let clause = match (self.clause_guideline, self.clause_label) {
            (Some(guideline_id), Some(clause)) => Some(ClauseRef {
                guideline_id,
                clause,
            }),
            _ => None,
        };
        Ok(AuditEntry {
            municipality_id: MunicipalityId::from(self.municipality_id),
            seq: self.seq,
            at: self.at,
            actor: Actor::parse(&self.actor),
            action: self.action,
            subject: Subject {
                kind: self.subject_type,
                id: self.subject_id,
            },
            before: json("before_json", self.before_json)?,
            after: json("after_json", self.after_json)?,
            clause,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

macro_rules! cols {
    () => {
        "municipality_id, seq, at, actor, action, subject_type, subject_id, before_json, \
         after_json, clause_guideline, clause_label, prev_hash, hash"
    };
}

repository!(
    /// The tenant's audit log.
    AuditLog
);

/// Creates the chain head of a new municipality (seq 0, genesis hash).
pub(crate) async fn create_head(conn: &mut AnyConnection, municipality_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_chain_heads (municipality_id, seq, head_hash, updated_at)
         VALUES ($1, 0, $2, $3)",
    )
    .bind(municipality_id)
    .bind(GENESIS_HASH)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends one entry to the tenant's chain on `conn`, which must be inside a transaction.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    entry: &NewAuditEntry,
) -> Result<AuditEntry> {
    if entry.action.trim().is_empty() {
        return Err(StoreError::invalid("action", "must not be empty"));
    }
    if entry.subject.kind.trim().is_empty() {
        return Err(StoreError::invalid("subject.kind", "must not be empty"));
    }
    // Taking the next seq by updating the head locks the head row until commit: a second
    // appender (another task or another process) waits here and then sees our new head.
    let head = sqlx::query(
        "UPDATE audit_chain_heads SET seq = seq + 1
         WHERE municipality_id = $1
         RETURNING seq, head_hash",
    )
    .bind(tenant.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    // Read the clock only once the chain is ours, so times follow the seq order.
    let at = now_ms();
    let Some(head) = head else {
        return Err(StoreError::Corrupt(format!(
            "municipality `{}` has no audit chain head",
            tenant.as_str()
        )));
    };
    let seq = head.int("seq")?;
    let prev_hash = head.text("head_hash")?;

    let before_json = entry
        .before
        .as_ref()
        .map(|v| crate::repo::to_json("before", v))
        .transpose()?;
    let after_json = entry
        .after
        .as_ref()
        .map(|v| crate::repo::to_json("after", v))
        .transpose()?;
    let clause_guideline = entry.clause.as_ref().map(|c| c.guideline_id.as_str());
    let clause_label = entry.clause.as_ref().map(|c| c.clause.as_str());
    let hash = audit_entry_hash(&AuditHashInput {
        municipality_id: tenant.as_str(),
        seq,
        at,
        actor: entry.actor.as_str(),
        action: &entry.action,
        subject_type: &entry.subject.kind,
        subject_id: &entry.subject.id,
        before_json: before_json.as_deref(),
        after_json: after_json.as_deref(),
        clause_guideline,
        clause_label,
        prev_hash: &prev_hash,
    });
    sqlx::query(concat!(
        "INSERT INTO audit_log (",
        cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(tenant.as_str())
    .bind(seq)
    .bind(at)
    .bind(entry.actor.as_str())
    .bind(&entry.action)
    .bind(&entry.subject.kind)
    .bind(&entry.subject.id)
    .bind(before_json.as_deref())
    .bind(after_json.as_deref())
    .bind(clause_guideline)
    .bind(clause_label)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map_err(crate::error::on("audit entry"))?;
    sqlx::query(
        "UPDATE audit_chain_heads SET head_hash = $2, updated_at = $3 WHERE municipality_id = $1",
    )
    .bind(tenant.as_str())
    .bind(&hash)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(AuditEntry {
        municipality_id: tenant.id().clone(),
        seq,
        at,
        actor: entry.actor.clone(),
        action: entry.action.clone(),
        subject: entry.subject.clone(),
        before: entry.before.clone(),
        after: entry.after.clone(),
        clause: entry.clause.clone(),
        prev_hash,
        hash,
    })
}

/// The chain head of `tenant`, on any executor (the pool, outside a transaction).
pub(crate) async fn head_of<'e, E>(executor: E, tenant: &Tenant) -> Result<ChainHead>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row =
        sqlx::query("SELECT seq, head_hash FROM audit_chain_heads WHERE municipality_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(executor)
            .await?;
    match row {
        Some(row) => Ok(ChainHead {
            seq: row.int("seq")?,
            hash: row.text("head_hash")?,
        }),
        None => Err(StoreError::Corrupt(format!(
            "municipality `{}` has no audit chain head",
            tenant.as_str()
        ))),
    }
}

/// Page size used when walking a chain.
const PAGE: i64 = 1000;

impl<A: Access> AuditLog<'_, A> {
    /// The chain head (last seq and hash).
    pub async fn head(&mut self) -> Result<ChainHead> {
        head_of(&mut *self.conn, self.tenant).await
    }

    /// One entry by its seq.
    pub async fn get(&mut self, seq: i64) -> Result<AuditEntry> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM audit_log WHERE municipality_id = $1 AND seq = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(seq)
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(row) => RawEntry::from_row(&row)?.into_entry(),
            None => Err(StoreError::not_found("audit entry", seq.to_string())),
        }
    }

    /// Up to `limit` entries with seq greater than `after_seq`, in order (page through with
    /// the last seq returned).
    pub async fn list(&mut self, after_seq: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = self.page(after_seq, limit).await?;
        rows.into_iter().map(RawEntry::into_entry).collect()
    }

    /// Every entry about one subject, in order.
    pub async fn list_for_subject(&mut self, subject: &Subject) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM audit_log WHERE municipality_id = $1 AND subject_type = $2 AND subject_id = $3
              ORDER BY seq"
        ))
        .bind(self.tenant.as_str())
        .bind(&subject.kind)
        .bind(&subject.id)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| RawEntry::from_row(r)?.into_entry())
            .collect()
    }

    async fn page(&mut self, after_seq: i64, limit: i64) -> Result<Vec<RawEntry>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cols!(),
            " FROM audit_log WHERE municipality_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(self.tenant.as_str())
        .bind(after_seq)
        .bind(limit.clamp(0, 10_000))
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(RawEntry::from_row).collect()
    }

    /// Walks the whole chain and reports the first problem: an edited entry (hash
    /// mismatch), deleted entries (gap), an inserted or reordered entry (prev_hash
    /// mismatch), a truncated tail or entries beyond the head (against the chain head).
    ///
    /// Run it from a [`Reader`](crate::Reader) (one snapshot) so concurrent appends do not
    /// show up as a moving head.
    pub async fn verify(&mut self) -> Result<AuditVerification> {
        let head = match self.head().await {
            Ok(head) => head,
            Err(StoreError::Corrupt(_)) => {
                return Ok(AuditVerification {
                    entries_checked: 0,
                    head: None,
                    problem: Some(AuditProblem::MissingHead),
                });
            }
            Err(e) => return Err(e),
        };
        let mut checked = 0;
        let mut last_seq = 0;
        let mut last_hash = GENESIS_HASH.to_owned();
        let report = |checked, problem| {
            Ok(AuditVerification {
                entries_checked: checked,
                head: Some(head.clone()),
                problem,
            })
        };
        loop {
            let page = self.page(last_seq, PAGE).await?;
            if page.is_empty() {
                break;
            }
            for e in page {
                checked += 1;
                if e.seq != last_seq + 1 {
                    return report(
                        checked,
                        Some(AuditProblem::Gap {
                            after_seq: last_seq,
                            next_seq: e.seq,
                        }),
                    );
                }
                if e.prev_hash != last_hash {
                    return report(
                        checked,
                        Some(AuditProblem::PrevHashMismatch {
                            seq: e.seq,
                            expected: last_hash,
                            found: e.prev_hash,
                        }),
                    );
                }
                let computed = e.computed_hash();
                if computed != e.hash {
                    return report(
                        checked,
                        Some(AuditProblem::HashMismatch {
                            seq: e.seq,
                            stored: e.hash,
                            computed,
                        }),
                    );
                }
                if e.seq > head.seq {
                    return report(
                        checked,
                        Some(AuditProblem::BeyondHead {
                            seq: e.seq,
                            head_seq: head.seq,
                        }),
                    );
                }
                last_seq = e.seq;
                last_hash = e.hash;
            }
        }
        if last_seq < head.seq {
            return report(
                checked,
                Some(AuditProblem::TruncatedTail {
                    last_seq,
                    head_seq: head.seq,
                }),
            );
        }
        if last_hash != head.hash {
            return report(
                checked,
                Some(AuditProblem::HeadMismatch {
                    seq: last_seq,
                    head_hash: head.hash.clone(),
                    entry_hash: last_hash,
                }),
            );
        }
        report(checked, None)
    }
}

impl AuditLog<'_, ReadWrite> {
    /// Appends an entry to the tenant's chain, in the same transaction as the change it
    /// records.
    pub async fn append(&mut self, entry: &NewAuditEntry) -> Result<AuditEntry> {
        append(self.conn, self.tenant, entry).await
    }
}

/// Rows per multi-row INSERT of [`AuditLog::append_history`]: 13 parameters each, well
/// under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
const HISTORY_CHUNK: usize = 1000;

impl AuditLog<'_, ReadWrite> {
    /// Appends entries that happened earlier, each at its own time (`(at, entry)`, Unix
    /// ms, in order) — an import of a municipality's records or a generated history —
    /// in multi-row statements. Seq, previous hash and hash are computed exactly as
    /// [`AuditLog::append`] computes them, so the chain verifies. Returns the new head.
    pub async fn append_history(&mut self, entries: &[(i64, NewAuditEntry)]) -> Result<ChainHead> {
        if entries.windows(2).any(|w| w[1].0 < w[0].0) {
            return Err(StoreError::invalid(
                "at",
                "history entries must be in time order",
            ));
        }
        for (_, e) in entries {
            if e.action.trim().is_empty() {
                return Err(StoreError::invalid("action", "must not be empty"));
            }
            if e.subject.kind.trim().is_empty() {
                return Err(StoreError::invalid("subject.kind", "must not be empty"));
            }
        }
        // Updating the head row locks it until commit, as `append` does.
        let head = sqlx::query(
            "UPDATE audit_chain_heads SET seq = seq WHERE municipality_id = $1
             RETURNING seq, head_hash",
        )
        .bind(self.tenant.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        let Some(head) = head else {
            return Err(StoreError::Corrupt(format!(
                "municipality `{}` has no audit chain head",
                self.tenant.as_str()
            )));
        };
        let mut seq = head.int("seq")?;
        let mut prev = head.text("head_hash")?;
        let mut last_at = now_ms();
        for chunk in entries.chunks(HISTORY_CHUNK) {
            struct Row {
                seq: i64,
                at: i64,
                before: Option<String>,
                after: Option<String>,
                prev: String,
                hash: String,
            }
            let mut rows = Vec::with_capacity(chunk.len());
            for (at, e) in chunk {
                seq += 1;
                let before = e
                    .before
                    .as_ref()
                    .map(|v| crate::repo::to_json("before", v))
                    .transpose()?;
                let after = e
                    .after
                    .as_ref()
                    .map(|v| crate::repo::to_json("after", v))
                    .transpose()?;
                let hash = audit_entry_hash(&AuditHashInput {
                    municipality_id: self.tenant.as_str(),
                    seq,
                    at: *at,
                    actor: e.actor.as_str(),
                    action: &e.action,
                    subject_type: &e.subject.kind,
                    subject_id: &e.subject.id,
                    before_json: before.as_deref(),
                    after_json: after.as_deref(),
                    clause_guideline: e.clause.as_ref().map(|c| c.guideline_id.as_str()),
                    clause_label: e.clause.as_ref().map(|c| c.clause.as_str()),
                    prev_hash: &prev,
                });
                rows.push(Row {
                    seq,
                    at: *at,
                    before,
                    after,
                    prev: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                });
                last_at = *at;
            }
            let mut sql = String::from(concat!("INSERT INTO audit_log (", cols!(), ") VALUES "));
            for i in 0..rows.len() {
                let b = i * 13;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 1..=13 {
                    if c > 1 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${}", b + c));
                }
                sql.push(')');
            }
            // Only placeholders are built: every value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (r, (_, e)) in rows.iter().zip(chunk) {
                q = q
                    .bind(self.tenant.as_str())
                    .bind(r.seq)
                    .bind(r.at)
                    .bind(e.actor.as_str())
                    .bind(e.action.as_str())
                    .bind(e.subject.kind.as_str())
                    .bind(e.subject.id.as_str())
                    .bind(r.before.as_deref())
                    .bind(r.after.as_deref())
                    .bind(e.clause.as_ref().map(|c| c.guideline_id.as_str()))
                    .bind(e.clause.as_ref().map(|c| c.clause.as_str()))
                    .bind(r.prev.as_str())
                    .bind(r.hash.as_str());
            }
            q.execute(&mut *self.conn)
                .await
                .map_err(crate::error::on("audit entry"))?;
        }
        sqlx::query(
            "UPDATE audit_chain_heads SET seq = $2, head_hash = $3, updated_at = $4
             WHERE municipality_id = $1",
        )
        .bind(self.tenant.as_str())
        .bind(seq)
        .bind(&prev)
        .bind(last_at)
        .execute(&mut *self.conn)
        .await?;
        Ok(ChainHead { seq, hash: prev })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(prev: &'a str, before: Option<&'a str>) -> AuditHashInput<'a> {
        AuditHashInput {
            municipality_id: "m1",
            seq: 1,
            at: 1_700_000_000_000,
            actor: "system",
            action: "account.approve",
            subject_type: "official_account",
            subject_id: "a1",
            before_json: before,
            after_json: None,
            clause_guideline: None,
            clause_label: None,
            prev_hash: prev,
        }
    }

    #[test]
    fn hash_is_stable_and_field_sensitive() {
        let a = audit_entry_hash(&input(GENESIS_HASH, None));
        assert_eq!(a.len(), 64);
        assert_eq!(a, audit_entry_hash(&input(GENESIS_HASH, None)));
        // NULL and empty text differ; so does any field.
        assert_ne!(a, audit_entry_hash(&input(GENESIS_HASH, Some(""))));
        assert_ne!(a, audit_entry_hash(&input(&"1".repeat(64), None)));
        // Length prefixes keep field boundaries: moving text between fields changes the hash.
        let mut x = input(GENESIS_HASH, None);
        x.action = "account.approveo";
        x.subject_type = "fficial_account";
        assert_ne!(a, audit_entry_hash(&x));
    }

    #[test]
    fn sha256_hex_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
