//! The publishing outbox: publish jobs claimed under a lease, per-account holds (rate
//! limits, expired credentials), sealed platform credentials and alerts for people.
//!
//! The store only keeps rows and guarantees the claim is atomic; what a state means and
//! which move is legal is the publisher's business (`koho-workflow`).

use serde::{Deserialize, Serialize, Serializer};
use sqlx::any::AnyRow;

use super::{Access, ReadWrite, RefTable, RowExt, ensure_ref, flag, repository, required};
use crate::error::{Result, StoreError, on};
use crate::ids::{AccountId, AlertId, MunicipalityId, PostTargetId, PublishJobId, Tenant};
use crate::model::{Actor, now_ms};

const JOB: &str = "publish job";
const CREDENTIAL: &str = "platform credential";
const ALERT: &str = "publish alert";

macro_rules! text_enum_local {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text id stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<Self, StoreError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::invalid(
                        stringify!($name),
                        format!("unknown value `{other}`"),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

text_enum_local!(
    /// Where a publish job stands.
    JobState {
        /// Waiting for `next_attempt_at` (and for its account's hold to end).
        Pending => "pending",
        /// Claimed by a publisher under a lease; an attempt may be on the wire.
        Sending => "sending",
        /// The platform has the post (`remote_id`).
        Published => "published",
        /// It may or may not be public: a person must check the account before re-posting.
        Unconfirmed => "unconfirmed",
        /// Not sent because its deadline passed; never published late.
        Missed => "missed",
        /// Refused for good by the platform, or out of attempts.
        Failed => "failed",
        /// Withdrawn by a person before it was sent.
        Cancelled => "cancelled",
    }
);

impl JobState {
    /// A state no publisher moves out of.
    pub fn is_final(self) -> bool {
        !matches!(self, JobState::Pending | JobState::Sending)
    }
}

text_enum_local!(
    /// Why a job exists.
    JobKind {
        /// An approved post target, at or after its scheduled time.
        Scheduled => "scheduled",
        /// Part of an emergency broadcast: sent before anything else.
        Emergency => "emergency",
    }
);

text_enum_local!(
    /// Whether a stored credential still works.
    CredentialStatus {
        Valid => "valid",
        /// The platform refused it: a person must reconnect the account.
        Expired => "expired",
    }
);

text_enum_local!(
    /// What a person is alerted to.
    AlertKind {
        /// The platform refused the credential (ConnectError::AuthExpired).
        AuthExpired => "auth-expired",
        /// A post may be public: check the account before re-posting.
        Unconfirmed => "unconfirmed",
        /// A post was not sent because its time window passed.
        Missed => "missed",
        /// The platform refused a post for good.
        Failed => "failed",
        /// An emergency post went out without prior approval and must be reported.
        PostHocReport => "post-hoc-report",
    }
);

/// An image of a job, already stripped of identifying metadata by the enqueuer.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct JobMedia {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: String,
    pub alt_text: Option<String>,
    #[serde(with = "b64")]
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for JobMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobMedia")
            .field("mime", &self.mime)
            .field("alt_text", &self.alt_text)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Audit entries and logs show an image by digest, not by its bytes.
impl Serialize for JobMedia {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("JobMedia", 4)?;
        st.serialize_field("mime", &self.mime)?;
        st.serialize_field("alt_text", &self.alt_text)?;
        st.serialize_field("len", &self.bytes.len())?;
        st.serialize_field("sha256", &crate::audit::sha256_hex(&self.bytes))?;
        st.end()
    }
}

/// The column form keeps the bytes (base64); [`JobMedia`]'s own `Serialize` does not.
#[derive(Serialize)]
struct StoredMedia<'a> {
    mime: &'a str,
    alt_text: Option<&'a str>,
    #[serde(with = "b64")]
    bytes: &'a [u8],
}

mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v.as_ref()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

fn media_json(media: &[JobMedia]) -> Result<String> {
    let stored: Vec<StoredMedia<'_>> = media
        .iter()
        .map(|m| StoredMedia {
            mime: &m.mime,
            alt_text: m.alt_text.as_deref(),
            bytes: &m.bytes,
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| StoreError::invalid("media", e.to_string()))
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewPublishJob {
    pub account_id: AccountId,
    /// The approved post target this job publishes (one job per target); `None` for a job
    /// that publishes no post target (an emergency broadcast).
    pub post_target_id: Option<PostTargetId>,
    pub kind: JobKind,
    /// Groups the jobs of one emergency broadcast.
    pub broadcast_id: Option<String>,
    pub body: String,
    pub media: Vec<JobMedia>,
    /// Same for every attempt of this job, different for every job.
    pub idempotency_key: String,
    /// Not sent before this time (Unix ms).
    pub not_before: i64,
    /// Not sent after this time: the job is marked missed instead (Unix ms).
    pub deadline: i64,
    pub created_by: Actor,
}

/// A publish job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublishJob {
    pub id: PublishJobId,
    pub municipality_id: MunicipalityId,
    pub account_id: AccountId,
    pub post_target_id: Option<PostTargetId>,
    pub kind: JobKind,
    pub broadcast_id: Option<String>,
    /// Higher first: emergency posts jump the queue.
    pub priority: i64,
    pub body: String,
    pub media: Vec<JobMedia>,
    pub idempotency_key: String,
    pub not_before: i64,
    pub deadline: i64,
    pub state: JobState,
    /// Attempts started (claims), including ones that died with their process.
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    /// An earlier attempt may have reached the platform: never re-send blindly.
    pub uncertain: bool,
    pub first_attempt_at: Option<i64>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub finished_at: Option<i64>,
    pub created_by: Actor,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

/// One job taken by [`PublishJobs::claim`].
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    /// The row before the claim (for the audit entry).
    pub before: PublishJob,
    /// The row now leased to the claimer.
    pub job: PublishJob,
    /// The claim took over an expired lease: the previous holder may have sent it.
    pub recovered: bool,
}

/// What [`PublishJobs::claim`] takes.
#[derive(Clone, Debug)]
pub struct ClaimRequest<'a> {
    /// Who claims (process and worker id); written into `lease_owner`.
    pub owner: &'a str,
    pub now: i64,
    /// How long the lease lasts; must exceed a whole attempt (request timeout included).
    pub lease_ms: i64,
    pub limit: i64,
    /// Only jobs of this emergency broadcast.
    pub broadcast_id: Option<&'a str>,
}

macro_rules! job_cols {
    () => {
        "id, municipality_id, account_id, post_target_id, kind, broadcast_id, priority, body, \
         media, idempotency_key, not_before, deadline, state, attempts, next_attempt_at, \
         lease_owner, lease_expires_at, uncertain, first_attempt_at, remote_id, remote_url, \
         last_error_code, last_error, finished_at, created_by, created_at, updated_at, row_version"
    };
}

fn job_from_row(row: &AnyRow) -> Result<PublishJob> {
    Ok(PublishJob {
        id: PublishJobId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        account_id: AccountId::from(row.text("account_id")?),
        post_target_id: row.opt_text("post_target_id")?.map(PostTargetId::from),
        kind: row.parsed("kind")?,
        broadcast_id: row.opt_text("broadcast_id")?,
        priority: row.int("priority")?,
        body: row.text("body")?,
        media: row.json("media")?,
        idempotency_key: row.text("idempotency_key")?,
        not_before: row.int("not_before")?,
        deadline: row.int("deadline")?,
        state: row.parsed("state")?,
        attempts: row.int("attempts")?,
        next_attempt_at: row.int("next_attempt_at")?,
        lease_owner: row.opt_text("lease_owner")?,
        lease_expires_at: row.opt_int("lease_expires_at")?,
        uncertain: row.flag("uncertain")?,
        first_attempt_at: row.opt_int("first_attempt_at")?,
        remote_id: row.opt_text("remote_id")?,
        remote_url: row.opt_text("remote_url")?,
        last_error_code: row.opt_text("last_error_code")?,
        last_error: row.opt_text("last_error")?,
        finished_at: row.opt_int("finished_at")?,
        created_by: Actor::parse(&row.text("created_by")?),
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        row_version: row.int("row_version")?,
    })
}

repository!(
    /// Publish jobs of the tenant's municipality.
    PublishJobs
);

impl<A: Access> PublishJobs<'_, A> {
    /// One job.
    pub async fn get(&mut self, id: &PublishJobId) -> Result<PublishJob> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM publish_jobs WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(row) => job_from_row(&row),
            None => Err(StoreError::not_found(JOB, id.as_str())),
        }
    }

    /// The job of one post target, if it was enqueued.
    pub async fn get_by_target(
        &mut self,
        post_target_id: &PostTargetId,
    ) -> Result<Option<PublishJob>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM publish_jobs WHERE municipality_id = $1 AND post_target_id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(post_target_id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// The job with this idempotency key, if it is the tenant's.
    pub async fn get_by_idempotency_key(&mut self, key: &str) -> Result<Option<PublishJob>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM publish_jobs WHERE municipality_id = $1 AND idempotency_key = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(key)
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Jobs, newest first; only those in `state` when given.
    pub async fn list(&mut self, state: Option<JobState>, limit: i64) -> Result<Vec<PublishJob>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM publish_jobs WHERE municipality_id = $1 AND ($2 = '' OR state = $2)
              ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(self.tenant.as_str())
        .bind(state.map_or("", JobState::as_str))
        .bind(limit)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// The jobs of one emergency broadcast.
    pub async fn list_for_broadcast(&mut self, broadcast_id: &str) -> Result<Vec<PublishJob>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM publish_jobs WHERE municipality_id = $1 AND broadcast_id = $2 ORDER BY id"
        ))
        .bind(self.tenant.as_str())
        .bind(broadcast_id)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Jobs not yet finished whose deadline is before `now`: waiting ones, and leased ones
    /// whose lease has run out.
    pub async fn list_overdue(&mut self, now: i64) -> Result<Vec<PublishJob>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM publish_jobs WHERE municipality_id = $1 AND deadline < $2
                AND (state = 'pending' OR (state = 'sending' AND lease_expires_at <= $2))
              ORDER BY deadline, id"
        ))
        .bind(self.tenant.as_str())
        .bind(now)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Finished jobs whose post target still says `queued`: the outcome was written but the
    /// target did not follow (the publisher that wrote it could not update the target).
    /// The next round brings the target in line.
    pub async fn finished_with_queued_target(&mut self, limit: i64) -> Result<Vec<PublishJob>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM publish_jobs WHERE municipality_id = $1
                AND state IN ('published', 'unconfirmed', 'missed', 'failed', 'cancelled')
                AND post_target_id IN (SELECT t.id FROM post_targets t
                    WHERE t.municipality_id = $1 AND t.state = 'queued')
              ORDER BY finished_at, id LIMIT $2"
        ))
        .bind(self.tenant.as_str())
        .bind(limit)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// How many jobs are in each state.
    pub async fn count_by_state(&mut self) -> Result<Vec<(JobState, i64)>> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM publish_jobs WHERE municipality_id = $1
             GROUP BY state ORDER BY state",
        )
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| Ok((r.parsed("state")?, r.int("n")?)))
            .collect()
    }
}

impl PublishJobs<'_, ReadWrite> {
    /// Adds a pending job. `STORE_CONFLICT` if the post target or the idempotency key
    /// already has a job.
    pub async fn enqueue(&mut self, new: &NewPublishJob) -> Result<PublishJob> {
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Account,
            new.account_id.as_str(),
        )
        .await?;
        if let Some(target) = &new.post_target_id {
            let found =
                sqlx::query("SELECT 1 FROM post_targets WHERE municipality_id = $1 AND id = $2")
                    .bind(self.tenant.as_str())
                    .bind(target.as_str())
                    .fetch_optional(&mut *self.conn)
                    .await?;
            if found.is_none() {
                return Err(StoreError::not_found("post target", target.as_str()));
            }
        }
        required("idempotency_key", &new.idempotency_key)?;
        if new.body.trim().is_empty() && new.media.is_empty() {
            return Err(StoreError::invalid("body", "a post needs text or an image"));
        }
        if new.deadline < new.not_before {
            return Err(StoreError::invalid(
                "deadline",
                "the deadline is before the earliest publishing time",
            ));
        }
        let priority = match new.kind {
            JobKind::Emergency => 100,
            JobKind::Scheduled => 0,
        };
        let id = PublishJobId::generate();
        sqlx::query(concat!(
            "INSERT INTO publish_jobs (",
            job_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', 0, $11, \
               NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, $13, $14, $14, 1)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.account_id.as_str())
        .bind(new.post_target_id.as_ref().map(PostTargetId::as_str))
        .bind(new.kind.as_str())
        .bind(new.broadcast_id.as_deref())
        .bind(priority)
        .bind(&new.body)
        .bind(media_json(&new.media)?)
        .bind(&new.idempotency_key)
        .bind(new.not_before)
        .bind(new.deadline)
        .bind(new.created_by.as_str())
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(JOB))?;
        self.get(&id).await
    }

    /// Takes up to `limit` due jobs under a lease until `now + lease_ms`: waiting jobs whose
    /// time has come, and leased jobs whose lease expired (their holder died: those come
    /// back `recovered` and marked uncertain). Jobs of an account on hold are skipped.
    ///
    /// Atomic across processes: on PostgreSQL the candidates are locked with
    /// `FOR UPDATE SKIP LOCKED`, so two claimers never get the same row and neither waits
    /// for the other; on SQLite the unit of work holds the write lock (`BEGIN IMMEDIATE`).
    /// The lease becomes visible to others when the caller commits.
    pub async fn claim(&mut self, req: &ClaimRequest<'_>) -> Result<Vec<ClaimedJob>> {
        required("owner", req.owner)?;
        if req.lease_ms <= 0 || req.limit <= 0 {
            return Err(StoreError::invalid(
                "claim",
                "lease and limit must be positive",
            ));
        }
        // The only engine difference: SQLite has no row locks (the whole database is
        // already ours) and no FOR UPDATE syntax.
        let postgres = self.conn.backend_name() == "PostgreSQL";
        let select = if postgres {
            concat!(
                "SELECT ",
                job_cols!(),
                " FROM publish_jobs j WHERE j.municipality_id = $1
                    AND ((j.state = 'pending' AND j.next_attempt_at <= $2)
                         OR (j.state = 'sending' AND j.lease_expires_at <= $2))
                    AND ($3 = '' OR j.broadcast_id = $3)
                    AND NOT EXISTS (SELECT 1 FROM publish_account_holds h
                        WHERE h.municipality_id = j.municipality_id
                          AND h.account_id = j.account_id AND h.hold_until > $2)
                  ORDER BY j.priority DESC, j.next_attempt_at, j.id LIMIT $4
                  FOR UPDATE SKIP LOCKED"
            )
        } else {
            concat!(
                "SELECT ",
                job_cols!(),
                " FROM publish_jobs j WHERE j.municipality_id = $1
                    AND ((j.state = 'pending' AND j.next_attempt_at <= $2)
                         OR (j.state = 'sending' AND j.lease_expires_at <= $2))
                    AND ($3 = '' OR j.broadcast_id = $3)
                    AND NOT EXISTS (SELECT 1 FROM publish_account_holds h
                        WHERE h.municipality_id = j.municipality_id
                          AND h.account_id = j.account_id AND h.hold_until > $2)
                  ORDER BY j.priority DESC, j.next_attempt_at, j.id LIMIT $4"
            )
        };
        let rows = sqlx::query(select)
            .bind(self.tenant.as_str())
            .bind(req.now)
            .bind(req.broadcast_id.unwrap_or(""))
            .bind(req.limit)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(on(JOB))?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let before = job_from_row(row)?;
            let recovered = before.state == JobState::Sending;
            let row = sqlx::query(concat!(
                "UPDATE publish_jobs SET state = 'sending', lease_owner = $3,
                     lease_expires_at = $4, attempts = attempts + 1,
                     uncertain = CASE WHEN state = 'sending' THEN 1 ELSE uncertain END,
                     first_attempt_at = COALESCE(first_attempt_at, $5), updated_at = $5,
                     row_version = row_version + 1
                 WHERE municipality_id = $1 AND id = $2 AND row_version = $6
                 RETURNING ",
                job_cols!()
            ))
            .bind(self.tenant.as_str())
            .bind(before.id.as_str())
            .bind(req.owner)
            .bind(req.now.saturating_add(req.lease_ms))
            .bind(req.now)
            .bind(before.row_version)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(on(JOB))?;
            // The row is locked (PostgreSQL) or the database is (SQLite): a miss means
            // someone changed it between our read and write, so it is simply not ours.
            if let Some(row) = row {
                claimed.push(ClaimedJob {
                    job: job_from_row(&row)?,
                    before,
                    recovered,
                });
            }
        }
        Ok(claimed)
    }

    /// Writes the job's state and outcome fields. `j.row_version` must be the version read
    /// (after a claim: the claimed version), so a publisher whose lease was taken over
    /// cannot overwrite the new holder's outcome (`STORE_STALE`).
    pub async fn update(&mut self, j: &PublishJob) -> Result<PublishJob> {
        let done = sqlx::query(
            "UPDATE publish_jobs SET state = $3, next_attempt_at = $4, lease_owner = $5,
                 lease_expires_at = $6, uncertain = $7, remote_id = $8, remote_url = $9,
                 last_error_code = $10, last_error = $11, finished_at = $12, updated_at = $13,
                 row_version = row_version + 1
             WHERE municipality_id = $1 AND id = $2 AND row_version = $14",
        )
        .bind(self.tenant.as_str())
        .bind(j.id.as_str())
        .bind(j.state.as_str())
        .bind(j.next_attempt_at)
        .bind(j.lease_owner.as_deref())
        .bind(j.lease_expires_at)
        .bind(flag(j.uncertain))
        .bind(j.remote_id.as_deref())
        .bind(j.remote_url.as_deref())
        .bind(j.last_error_code.as_deref())
        .bind(j.last_error.as_deref())
        .bind(j.finished_at)
        .bind(now_ms())
        .bind(j.row_version)
        .execute(&mut *self.conn)
        .await
        .map_err(on(JOB))?;
        if done.rows_affected() == 0 {
            // Exists (then stale) or not ours (not found).
            self.get(&j.id).await?;
            return Err(StoreError::Stale {
                entity: JOB,
                id: j.id.to_string(),
                expected: j.row_version,
            });
        }
        self.get(&j.id).await
    }
}

// ---------------------------------------------------------------------------------------------
// credentials

/// A credential as stored: the tokens only as ciphertext sealed by the publisher's key.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct StoredCredential {
    pub account_id: AccountId,
    /// The platform's id of the account (not secret).
    pub account_ref: String,
    /// Base64 of nonce ‖ ciphertext ‖ tag; never shown.
    #[serde(skip)]
    pub sealed: String,
    /// Which key sealed it (a fingerprint, not the key).
    pub key_id: String,
    pub expires_at: Option<i64>,
    pub status: CredentialStatus,
    pub refresh_owner: Option<String>,
    pub refresh_lease_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("account_id", &self.account_id)
            .field("account_ref", &self.account_ref)
            .field("sealed", &"<redacted>")
            .field("key_id", &self.key_id)
            .field("expires_at", &self.expires_at)
            .field("status", &self.status)
            .field("refresh_owner", &self.refresh_owner)
            .field("refresh_lease_until", &self.refresh_lease_until)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("row_version", &self.row_version)
            .finish()
    }
}

/// A credential to store (replacing the account's previous one).
#[derive(Clone)]
pub struct NewCredential {
    pub account_id: AccountId,
    pub account_ref: String,
    pub sealed: String,
    pub key_id: String,
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for NewCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCredential")
            .field("account_id", &self.account_id)
            .field("sealed", &"<redacted>")
            .finish_non_exhaustive()
    }
}

macro_rules! cred_cols {
    () => {
        "municipality_id, account_id, account_ref, sealed, key_id, expires_at, status, \
         refresh_owner, refresh_lease_until, created_at, updated_at, row_version"
    };
}

fn cred_from_row(row: &AnyRow) -> Result<StoredCredential> {
    Ok(StoredCredential {
        account_id: AccountId::from(row.text("account_id")?),
        account_ref: row.text("account_ref")?,
        sealed: row.text("sealed")?,
        key_id: row.text("key_id")?,
        expires_at: row.opt_int("expires_at")?,
        status: row.parsed("status")?,
        refresh_owner: row.opt_text("refresh_owner")?,
        refresh_lease_until: row.opt_int("refresh_lease_until")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        row_version: row.int("row_version")?,
    })
}

repository!(
    /// Sealed platform credentials of the tenant's accounts.
    PlatformCredentials
);

impl<A: Access> PlatformCredentials<'_, A> {
    /// The account's credential, if one was stored.
    pub async fn get(&mut self, account: &AccountId) -> Result<Option<StoredCredential>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            cred_cols!(),
            " FROM platform_credentials WHERE municipality_id = $1 AND account_id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(cred_from_row).transpose()
    }

    /// Every stored credential (sealed), by account.
    pub async fn list(&mut self) -> Result<Vec<StoredCredential>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            cred_cols!(),
            " FROM platform_credentials WHERE municipality_id = $1 ORDER BY account_id"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(cred_from_row).collect()
    }
}

impl PlatformCredentials<'_, ReadWrite> {
    /// Stores (or replaces) the account's credential as valid and clears any refresh lease.
    pub async fn put(&mut self, new: &NewCredential) -> Result<StoredCredential> {
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Account,
            new.account_id.as_str(),
        )
        .await?;
        required("account_ref", &new.account_ref)?;
        required("sealed", &new.sealed)?;
        sqlx::query(concat!(
            "INSERT INTO platform_credentials (",
            cred_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, 'valid', NULL, NULL, $7, $7, 1)
             ON CONFLICT (municipality_id, account_id) DO UPDATE SET
                 account_ref = excluded.account_ref, sealed = excluded.sealed,
                 key_id = excluded.key_id, expires_at = excluded.expires_at, status = 'valid',
                 refresh_owner = NULL, refresh_lease_until = NULL,
                 updated_at = excluded.updated_at,
                 row_version = platform_credentials.row_version + 1"
        ))
        .bind(self.tenant.as_str())
        .bind(new.account_id.as_str())
        .bind(new.account_ref.trim())
        .bind(&new.sealed)
        .bind(&new.key_id)
        .bind(new.expires_at)
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(CREDENTIAL))?;
        self.get(&new.account_id)
            .await?
            .ok_or_else(|| StoreError::not_found(CREDENTIAL, new.account_id.as_str()))
    }

    /// Takes the account's refresh guard until `until` if nobody holds it (or the holder's
    /// lease ran out). True when taken: this caller, and only it, refreshes now.
    pub async fn try_begin_refresh(
        &mut self,
        account: &AccountId,
        owner: &str,
        now: i64,
        until: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE platform_credentials SET refresh_owner = $3, refresh_lease_until = $4,
                 row_version = row_version + 1
             WHERE municipality_id = $1 AND account_id = $2 AND status = 'valid'
               AND (refresh_owner IS NULL OR refresh_lease_until <= $5)",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(&mut *self.conn)
        .await
        .map_err(on(CREDENTIAL))?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores a refreshed credential if `owner` still holds the refresh guard, and releases
    /// it. False when the guard was lost (another process took over after it expired).
    pub async fn finish_refresh(
        &mut self,
        account: &AccountId,
        owner: &str,
        sealed: &str,
        key_id: &str,
        expires_at: Option<i64>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE platform_credentials SET sealed = $4, key_id = $5, expires_at = $6,
                 refresh_owner = NULL, refresh_lease_until = NULL, updated_at = $7,
                 row_version = row_version + 1
             WHERE municipality_id = $1 AND account_id = $2 AND refresh_owner = $3",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .bind(owner)
        .bind(sealed)
        .bind(key_id)
        .bind(expires_at)
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(CREDENTIAL))?;
        Ok(done.rows_affected() == 1)
    }

    /// Releases the refresh guard without a new credential (the refresh failed).
    pub async fn abandon_refresh(&mut self, account: &AccountId, owner: &str) -> Result<()> {
        sqlx::query(
            "UPDATE platform_credentials SET refresh_owner = NULL, refresh_lease_until = NULL,
                 row_version = row_version + 1
             WHERE municipality_id = $1 AND account_id = $2 AND refresh_owner = $3",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .bind(owner)
        .execute(&mut *self.conn)
        .await
        .map_err(on(CREDENTIAL))?;
        Ok(())
    }

    /// Marks the credential expired (the platform refused it).
    pub async fn mark_expired(&mut self, account: &AccountId) -> Result<StoredCredential> {
        let done = sqlx::query(
            "UPDATE platform_credentials SET status = 'expired', refresh_owner = NULL,
                 refresh_lease_until = NULL, updated_at = $3, row_version = row_version + 1
             WHERE municipality_id = $1 AND account_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(CREDENTIAL))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(CREDENTIAL, account.as_str()));
        }
        self.get(account)
            .await?
            .ok_or_else(|| StoreError::not_found(CREDENTIAL, account.as_str()))
    }

    /// Forgets the account's credential (disconnecting it).
    pub async fn delete(&mut self, account: &AccountId) -> Result<()> {
        let done = sqlx::query(
            "DELETE FROM platform_credentials WHERE municipality_id = $1 AND account_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .execute(&mut *self.conn)
        .await
        .map_err(on(CREDENTIAL))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(CREDENTIAL, account.as_str()));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// account holds

/// No job of this account is claimed before `hold_until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountHold {
    pub account_id: AccountId,
    pub hold_until: i64,
    /// `rate-limited`, `auth-expired` …
    pub reason: String,
    pub detail: String,
    pub created_at: i64,
}

repository!(
    /// Per-account publishing holds (rate limits, expired credentials).
    AccountHolds
);

fn hold_from_row(row: &AnyRow) -> Result<AccountHold> {
    Ok(AccountHold {
        account_id: AccountId::from(row.text("account_id")?),
        hold_until: row.int("hold_until")?,
        reason: row.text("reason")?,
        detail: row.text("detail")?,
        created_at: row.int("created_at")?,
    })
}

impl<A: Access> AccountHolds<'_, A> {
    /// The account's hold, if any (possibly already over).
    pub async fn get(&mut self, account: &AccountId) -> Result<Option<AccountHold>> {
        let row = sqlx::query(
            "SELECT account_id, hold_until, reason, detail, created_at
             FROM publish_account_holds WHERE municipality_id = $1 AND account_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(hold_from_row).transpose()
    }

    /// Holds still in force at `now`.
    pub async fn list_active(&mut self, now: i64) -> Result<Vec<AccountHold>> {
        let rows = sqlx::query(
            "SELECT account_id, hold_until, reason, detail, created_at
             FROM publish_account_holds WHERE municipality_id = $1 AND hold_until > $2
             ORDER BY account_id",
        )
        .bind(self.tenant.as_str())
        .bind(now)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(hold_from_row).collect()
    }
}

impl AccountHolds<'_, ReadWrite> {
    /// Holds the account until `until`, or keeps a longer hold already in place.
    pub async fn hold(
        &mut self,
        account: &AccountId,
        until: i64,
        reason: &str,
        detail: &str,
    ) -> Result<AccountHold> {
        ensure_ref(self.conn, self.tenant, RefTable::Account, account.as_str()).await?;
        required("reason", reason)?;
        sqlx::query(
            "INSERT INTO publish_account_holds
                 (municipality_id, account_id, hold_until, reason, detail, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (municipality_id, account_id) DO UPDATE SET
                 reason = CASE WHEN publish_account_holds.hold_until > excluded.hold_until
                          THEN publish_account_holds.reason ELSE excluded.reason END,
                 detail = CASE WHEN publish_account_holds.hold_until > excluded.hold_until
                          THEN publish_account_holds.detail ELSE excluded.detail END,
                 hold_until = CASE WHEN publish_account_holds.hold_until > excluded.hold_until
                          THEN publish_account_holds.hold_until ELSE excluded.hold_until END,
                 created_at = excluded.created_at",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .bind(until)
        .bind(reason)
        .bind(detail)
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on("account hold"))?;
        self.get(account)
            .await?
            .ok_or_else(|| StoreError::not_found("account hold", account.as_str()))
    }

    /// Lifts the account's hold (a person reconnected it). False if there was none.
    pub async fn clear(&mut self, account: &AccountId) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM publish_account_holds WHERE municipality_id = $1 AND account_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .execute(&mut *self.conn)
        .await
        .map_err(on("account hold"))?;
        Ok(done.rows_affected() == 1)
    }
}

// ---------------------------------------------------------------------------------------------
// alerts

/// Something a person must look at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublishAlert {
    pub id: AlertId,
    pub municipality_id: MunicipalityId,
    pub account_id: AccountId,
    pub job_id: Option<PublishJobId>,
    pub kind: AlertKind,
    /// Japanese, for the person at the screen.
    pub message: String,
    /// The guideline role to report to (post-hoc reports).
    pub report_to: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<Actor>,
}

/// An alert to raise.
#[derive(Clone, Debug)]
pub struct NewAlert {
    pub account_id: AccountId,
    pub job_id: Option<PublishJobId>,
    pub kind: AlertKind,
    pub message: String,
    pub report_to: Option<String>,
}

repository!(
    /// Alerts raised by the publisher.
    PublishAlerts
);

macro_rules! alert_cols {
    () => {
        "id, municipality_id, account_id, job_id, kind, message, report_to, created_at, \
         resolved_at, resolved_by"
    };
}

fn alert_from_row(row: &AnyRow) -> Result<PublishAlert> {
    Ok(PublishAlert {
        id: AlertId::from(row.text("id")?),
        municipality_id: MunicipalityId::from(row.text("municipality_id")?),
        account_id: AccountId::from(row.text("account_id")?),
        job_id: row.opt_text("job_id")?.map(PublishJobId::from),
        kind: row.parsed("kind")?,
        message: row.text("message")?,
        report_to: row.opt_text("report_to")?,
        created_at: row.int("created_at")?,
        resolved_at: row.opt_int("resolved_at")?,
        resolved_by: row.opt_text("resolved_by")?.map(|s| Actor::parse(&s)),
    })
}

impl<A: Access> PublishAlerts<'_, A> {
    /// One alert.
    pub async fn get(&mut self, id: &AlertId) -> Result<PublishAlert> {
        let row = sqlx::query(concat!(
            "SELECT ",
            alert_cols!(),
            " FROM publish_alerts WHERE municipality_id = $1 AND id = $2"
        ))
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.conn)
        .await?;
        match row {
            Some(row) => alert_from_row(&row),
            None => Err(StoreError::not_found(ALERT, id.as_str())),
        }
    }

    /// Unresolved alerts, oldest first.
    pub async fn list_open(&mut self) -> Result<Vec<PublishAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            alert_cols!(),
            " FROM publish_alerts WHERE municipality_id = $1 AND resolved_at IS NULL
              ORDER BY created_at, id"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// Every alert about one account, oldest first.
    pub async fn list_for_account(&mut self, account: &AccountId) -> Result<Vec<PublishAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            alert_cols!(),
            " FROM publish_alerts WHERE municipality_id = $1 AND account_id = $2
              ORDER BY created_at, id"
        ))
        .bind(self.tenant.as_str())
        .bind(account.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter().map(alert_from_row).collect()
    }
}

impl PublishAlerts<'_, ReadWrite> {
    /// Raises an alert.
    pub async fn create(&mut self, new: &NewAlert) -> Result<PublishAlert> {
        ensure_ref(
            self.conn,
            self.tenant,
            RefTable::Account,
            new.account_id.as_str(),
        )
        .await?;
        if let Some(job) = &new.job_id {
            ensure_job(self.conn, self.tenant, job).await?;
        }
        required("message", &new.message)?;
        let id = AlertId::generate();
        sqlx::query(concat!(
            "INSERT INTO publish_alerts (",
            alert_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)"
        ))
        .bind(id.as_str())
        .bind(self.tenant.as_str())
        .bind(new.account_id.as_str())
        .bind(new.job_id.as_ref().map(PublishJobId::as_str))
        .bind(new.kind.as_str())
        .bind(&new.message)
        .bind(new.report_to.as_deref())
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ALERT))?;
        self.get(&id).await
    }

    /// Marks an alert handled.
    pub async fn resolve(&mut self, id: &AlertId, by: &Actor, at: i64) -> Result<PublishAlert> {
        let done = sqlx::query(
            "UPDATE publish_alerts SET resolved_at = $3, resolved_by = $4
             WHERE municipality_id = $1 AND id = $2 AND resolved_at IS NULL",
        )
        .bind(self.tenant.as_str())
        .bind(id.as_str())
        .bind(at)
        .bind(by.as_str())
        .execute(&mut *self.conn)
        .await
        .map_err(on(ALERT))?;
        if done.rows_affected() == 0 {
            let existing = self.get(id).await?;
            return Err(StoreError::Immutable {
                entity: ALERT,
                id: existing.id.to_string(),
                reason: "already resolved".into(),
            });
        }
        self.get(id).await
    }
}

async fn ensure_job(
    conn: &mut sqlx::AnyConnection,
    tenant: &Tenant,
    id: &PublishJobId,
) -> Result<()> {
    let found = sqlx::query("SELECT 1 FROM publish_jobs WHERE municipality_id = $1 AND id = $2")
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::not_found(JOB, id.as_str())),
    }
}

// ---------------------------------------------------------------------------------------------
// public addresses of job images

/// A job image served at a public address until `expires_at`.
///
/// The token is kept as it is, not hashed: a retried publish must get the same address
/// back. It opens only one stripped image that the platform is about to publish anyway,
/// and only until it expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MediaLink {
    #[serde(skip_serializing)]
    pub token: String,
    pub job_id: PublishJobId,
    pub media_index: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

repository!(
    /// Public addresses of outbox images (for platforms that download images themselves).
    MediaLinks
);

fn media_link_from_row(row: &AnyRow) -> Result<MediaLink> {
    Ok(MediaLink {
        token: row.text("token")?,
        job_id: PublishJobId::from(row.text("job_id")?),
        media_index: row.int("media_index")?,
        expires_at: row.int("expires_at")?,
        created_at: row.int("created_at")?,
    })
}

impl<A: Access> MediaLinks<'_, A> {
    /// The link with this token in the tenant's municipality, expired or not.
    pub async fn get(&mut self, token: &str) -> Result<Option<MediaLink>> {
        let row = sqlx::query(
            "SELECT token, job_id, media_index, expires_at, created_at
             FROM publish_media_links WHERE municipality_id = $1 AND token = $2",
        )
        .bind(self.tenant.as_str())
        .bind(token)
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(media_link_from_row).transpose()
    }

    /// The link of one job image, if one was issued.
    pub async fn get_for(
        &mut self,
        job: &PublishJobId,
        media_index: i64,
    ) -> Result<Option<MediaLink>> {
        let row = sqlx::query(
            "SELECT token, job_id, media_index, expires_at, created_at
             FROM publish_media_links
             WHERE municipality_id = $1 AND job_id = $2 AND media_index = $3",
        )
        .bind(self.tenant.as_str())
        .bind(job.as_str())
        .bind(media_index)
        .fetch_optional(&mut *self.conn)
        .await?;
        row.as_ref().map(media_link_from_row).transpose()
    }
}

impl MediaLinks<'_, ReadWrite> {
    /// The link of one job image: the existing one (its expiry pushed out to
    /// `expires_at` if that is later), or a new one with `new_token`.
    pub async fn issue(
        &mut self,
        job: &PublishJobId,
        media_index: i64,
        new_token: &str,
        expires_at: i64,
    ) -> Result<MediaLink> {
        if new_token.len() < 32 {
            return Err(StoreError::invalid(
                "token",
                "a media link token must be at least 32 characters",
            ));
        }
        if media_index < 0 {
            return Err(StoreError::invalid("media_index", "must not be negative"));
        }
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM publish_jobs WHERE municipality_id = $1 AND id = $2")
                .bind(self.tenant.as_str())
                .bind(job.as_str())
                .fetch_optional(&mut *self.conn)
                .await?;
        if exists.is_none() {
            return Err(StoreError::not_found(JOB, job.as_str()));
        }
        sqlx::query(
            "INSERT INTO publish_media_links
                 (token, municipality_id, job_id, media_index, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (municipality_id, job_id, media_index) DO UPDATE SET
                 expires_at = CASE WHEN publish_media_links.expires_at > excluded.expires_at
                              THEN publish_media_links.expires_at ELSE excluded.expires_at END",
        )
        .bind(new_token)
        .bind(self.tenant.as_str())
        .bind(job.as_str())
        .bind(media_index)
        .bind(expires_at)
        .bind(now_ms())
        .execute(&mut *self.conn)
        .await
        .map_err(on("media link"))?;
        self.get_for(job, media_index)
            .await?
            .ok_or_else(|| StoreError::not_found("media link", job.as_str()))
    }
}
