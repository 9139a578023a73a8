//! The publisher: takes approved post targets out of the durable outbox and publishes them
//! through the platform connectors, exactly once or, when that cannot be known, never twice.
//!
//! One attempt of a job:
//!
//! 1. **claim** (one transaction, audited `publish.claim` / `publish.recover`): the job moves
//!    to `sending` under a lease. A job whose previous lease ran out comes back marked
//!    *uncertain*: its holder died, perhaps after the platform had the post.
//! 2. **send**, outside any transaction. An uncertain job is never re-sent blindly:
//!    `Idempotency::Native` re-sends with the same key (the platform de-duplicates),
//!    `Lookup` first looks for the post on the account (`find_published`), `None` gives up
//!    and marks the job *unconfirmed* for a person to check.
//! 3. **record** (one transaction, audited): the outcome is written only if the row is still
//!    at the claimed version, so a publisher that lost its lease cannot overwrite the new
//!    holder's result.
//!
//! Rate limits hold the whole account (no job of that account is claimed before the reset);
//! an expired credential holds it until a person stores a new one and raises an alert; a job
//! whose deadline passed is marked *missed*, never published late. Nothing here reads the
//! system clock directly: time comes from a [`Clock`].
//!
//! Posts come in through the posts workflow. Each round, per municipality (opened with its
//! own guideline, found by a [`GuidelineResolver`]):
//!
//! 1. **sweep** ([`Workflow::sweep_posts`]): unapproved posts whose time came expire,
//!    scheduled targets nobody queued within the window are marked missed;
//! 2. **reconcile**: a finished job whose post target still says `queued` (its outcome was
//!    written but the target could not follow) brings the target in line;
//! 3. **enqueue** ([`Workflow::due_targets`]): each due target becomes one job, and the
//!    target moves `scheduled` → `queued` in the same transaction. The target's row version
//!    and the `(municipality, post_target_id)` unique key both refuse a second job, so two
//!    publishers on one database never queue a target twice;
//! 4. **retract**: originals a correction asked to delete are deleted on the platform;
//! 5. **claim, send, record** as above; the job's outcome moves its post target (published,
//!    unconfirmed, missed, failed) in the transaction that records the outcome.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use koho_connect::{
    AccountAuth, Capabilities, ConnectError, Connector, Idempotency, IdempotencyKey, Media,
    PublishRequest, RemotePost,
};
use koho_guideline::Guideline;
use koho_store::{
    AccountHold, AccountId, Actor, AlertKind, ClaimRequest, ClaimedJob, JobKind, JobMedia,
    JobState, NewAlert, NewAuditEntry, NewCredential, NewPublishJob, OfficialAccount, PersonId,
    PostKind, PostTargetId, PublishJob, Store, StoreError, Subject, Tenant, Tx,
};

use crate::Workflow;
use crate::credentials::{CredentialKey, KeyError, Secrets};
use crate::error::WorkflowError;
use crate::posts::{DueTarget, PostError, TargetOutcome};

/// Finds the guideline a municipality's record names (`guideline_id`): a built-in preset,
/// or a file the deployment installed. The publisher opens each municipality's workflow
/// with it, because deadlines, corrections and notifications follow that guideline.
pub trait GuidelineResolver: Send + Sync {
    /// The parsed guideline, or why it cannot be had (English, for the log).
    fn guideline(&self, id: &str) -> Result<Guideline, String>;
}

/// Only the built-in presets (`takanabe`, `urausu` …) and examples.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuiltinGuidelines;

impl GuidelineResolver for BuiltinGuidelines {
    fn guideline(&self, id: &str) -> Result<Guideline, String> {
        match Guideline::preset(id) {
            Some(Ok(g)) => Ok(g),
            Some(Err(e)) => Err(e.render_en()),
            None => Err(format!("no built-in guideline `{id}`")),
        }
    }
}

/// Where time comes from; tests move it by hand.
pub trait Clock: Send + Sync {
    /// Unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that stands still until moved.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(ms: i64) -> ManualClock {
        ManualClock(AtomicI64::new(ms))
    }

    pub fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub use koho_connect::refresh::CredentialRefresher;

/// The connectors (and refreshers) the publisher may use: fixed ones by platform id
/// (`x`, `bluesky` …), else one per (platform, server) from the account's own address
/// ([`koho_connect::registry::Registry`]).
#[derive(Clone, Default)]
pub struct Connectors {
    connectors: HashMap<String, Arc<dyn Connector>>,
    refreshers: HashMap<String, Arc<dyn CredentialRefresher>>,
    registry: Option<Arc<koho_connect::registry::Registry>>,
}

impl std::fmt::Debug for Connectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.connectors.keys().collect();
        ids.sort();
        f.debug_struct("Connectors")
            .field("platforms", &ids)
            .field("registry", &self.registry)
            .finish()
    }
}

impl Connectors {
    pub fn new() -> Connectors {
        Connectors::default()
    }

    /// Adds a connector for its platform (replacing an earlier one).
    pub fn add(&mut self, connector: Arc<dyn Connector>) -> &mut Self {
        self.connectors
            .insert(connector.platform().id().to_owned(), connector);
        self
    }

    /// Adds a token refresher for a platform.
    pub fn add_refresher(
        &mut self,
        platform: koho_guideline::Platform,
        refresher: Arc<dyn CredentialRefresher>,
    ) -> &mut Self {
        self.refreshers.insert(platform.id().to_owned(), refresher);
        self
    }

    /// Builds connectors for accounts without a fixed one from their own addresses.
    pub fn set_registry(&mut self, registry: Arc<koho_connect::registry::Registry>) -> &mut Self {
        self.registry = Some(registry);
        self
    }

    /// The connector and refresher for one account.
    async fn for_account(
        &self,
        account: &OfficialAccount,
    ) -> Result<(Arc<dyn Connector>, Option<Arc<dyn CredentialRefresher>>), ConnectError> {
        let id = account.fields.platform.as_str();
        let fixed_refresher = self.refreshers.get(id).cloned();
        if let Some(c) = self.connectors.get(id) {
            return Ok((c.clone(), fixed_refresher));
        }
        let (Some(registry), Some(platform)) =
            (&self.registry, koho_guideline::Platform::from_id(id))
        else {
            return Err(ConnectError::Rejected {
                code: "no-connector".into(),
                detail: format!("no connector for platform {id} in this publisher"),
            });
        };
        let address = koho_connect::registry::AccountAddress {
            platform,
            handle: &account.fields.handle,
            url: account.fields.url.as_deref(),
        };
        let e = registry.endpoint(&address).await?;
        Ok((e.connector, fixed_refresher.or(e.refresher)))
    }

    /// True when no connector is configured.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.registry.is_none()
    }
}

/// Tuning of one publisher process.
#[derive(Clone, Debug)]
pub struct PublisherConfig {
    /// Written into each lease: names this process (host, pid, random part).
    pub owner: String,
    /// How long a claim is exclusive. Must exceed `attempt_timeout` with room to record the
    /// outcome, or a slow attempt could be recovered (and looked for) by another process.
    pub lease: Duration,
    /// Upper bound of one connector call; past it the attempt counts as uncertain.
    pub attempt_timeout: Duration,
    /// Jobs claimed per tenant per round.
    pub batch: i64,
    /// Attempts in flight at once.
    pub concurrency: usize,
    /// Attempts after which a job that keeps failing temporarily is given up.
    pub max_attempts: i64,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Access tokens are refreshed this long before they expire.
    pub refresh_ahead: Duration,
    /// How long one process may hold an account's refresh guard.
    pub refresh_lease: Duration,
    /// Sleep between rounds when there was nothing to do.
    pub idle_poll: Duration,
    /// How long after the start an emergency post may still go out.
    pub emergency_window: Duration,
    /// Attempts in flight at once during an emergency broadcast.
    pub emergency_concurrency: usize,
}

impl PublisherConfig {
    /// Defaults for a production process.
    pub fn new(owner: impl Into<String>) -> PublisherConfig {
        PublisherConfig {
            owner: owner.into(),
            lease: Duration::from_secs(120),
            attempt_timeout: Duration::from_secs(30),
            batch: 16,
            concurrency: 8,
            max_attempts: 8,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(15 * 60),
            refresh_ahead: Duration::from_secs(10 * 60),
            refresh_lease: Duration::from_secs(60),
            idle_poll: Duration::from_secs(2),
            emergency_window: Duration::from_secs(30 * 60),
            emergency_concurrency: 64,
        }
    }

    /// A lease owner id unique to this process: host name, pid and a random part.
    pub fn process_owner() -> String {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default();
        format!(
            "{}:{}:{}",
            if host.is_empty() { "koho" } else { &host },
            std::process::id(),
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        )
    }
}

/// Everything the publisher can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("image {index} cannot be used: {reason}")]
    Media { index: usize, reason: String },
    #[error(
        "guideline {guideline} has no emergency exception to prior approval; an approver must be named"
    )]
    NoEmergencyRule { guideline: String },
    #[error("an emergency broadcast needs at least one account")]
    NoAccounts,
    #[error("account {account} is {state}: only active accounts publish")]
    AccountNotActive { account: String, state: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("the guideline `{id}` of municipality {municipality} cannot be loaded: {detail}")]
    Guideline {
        municipality: String,
        id: String,
        detail: String,
    },
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Post(#[from] PostError),
}

impl PublishError {
    /// Stable code for logs, exit codes and the API.
    pub fn code(&self) -> &'static str {
        match self {
            PublishError::Store(e) => e.code(),
            PublishError::Key(e) => e.code(),
            PublishError::Media { .. } => "PUB_MEDIA",
            PublishError::NoEmergencyRule { .. } => "PUB_NO_EMERGENCY_RULE",
            PublishError::NoAccounts => "PUB_NO_ACCOUNTS",
            PublishError::AccountNotActive { .. } => "PUB_ACCOUNT_NOT_ACTIVE",
            PublishError::Invalid { .. } => "PUB_INVALID",
            PublishError::Guideline { .. } => "PUB_GUIDELINE",
            PublishError::Workflow(e) => e.code(),
            PublishError::Post(e) => e.code(),
        }
    }

    /// The message for a person at the screen.
    pub fn ja(&self) -> String {
        match self {
            PublishError::Store(e) => format!("データベースの処理に失敗しました（{}）", e.code()),
            PublishError::Key(e) => e.ja(),
            PublishError::Media { index, .. } => {
                format!(
                    "{}枚目の画像を処理できません（位置情報などを削除できない形式です）",
                    index + 1
                )
            }
            PublishError::NoEmergencyRule { guideline } => format!(
                "ガイドライン（{guideline}）には事前承認なしで緊急に発信できる定めがありません。承認者を指定してください"
            ),
            PublishError::NoAccounts => "緊急発信の対象アカウントを1つ以上選んでください".into(),
            PublishError::AccountNotActive { account, .. } => format!(
                "アカウント {account} は運用中ではないため発信できません（運用停止・廃止・申請中のアカウントは対象外です）"
            ),
            PublishError::Invalid { field, reason } => {
                format!("{field} が正しくありません: {reason}")
            }
            PublishError::Guideline {
                municipality, id, ..
            } => format!(
                "自治体「{municipality}」のガイドライン「{id}」を読み込めないため、この自治体の投稿は送信を保留しています"
            ),
            PublishError::Workflow(e) => e.ja(),
            PublishError::Post(e) => e.ja(),
        }
    }
}

type PResult<T> = Result<T, PublishError>;

/// An image as the author supplied it; the publisher strips its metadata.
#[derive(Clone)]
pub struct ImageInput {
    pub bytes: Vec<u8>,
    pub alt_text: Option<String>,
}

impl std::fmt::Debug for ImageInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageInput")
            .field("len", &self.bytes.len())
            .field("alt_text", &self.alt_text)
            .finish()
    }
}

/// An approved post target put into the outbox by hand ([`Publisher::enqueue`]); the
/// publisher's own rounds take due targets from the posts workflow instead.
#[derive(Clone, Debug)]
pub struct ApprovedTarget {
    pub post_target_id: PostTargetId,
    pub account_id: AccountId,
    pub text: String,
    pub images: Vec<ImageInput>,
    /// Publish at or after this time (Unix ms).
    pub not_before: i64,
    /// Not after this time: then the job is missed (Unix ms).
    pub deadline: i64,
}

/// Strips location and identifying metadata (koho-media) and names the type.
fn clean_images(images: &[ImageInput]) -> PResult<Vec<JobMedia>> {
    images
        .iter()
        .enumerate()
        .map(|(index, img)| {
            let bytes = koho_media::strip(&img.bytes).map_err(|e| PublishError::Media {
                index,
                reason: e.to_string(),
            })?;
            let format = koho_media::detect_format(&bytes).ok_or_else(|| PublishError::Media {
                index,
                reason: "unknown image format".into(),
            })?;
            Ok(JobMedia {
                mime: format.mime_type().to_owned(),
                alt_text: img.alt_text.clone(),
                bytes,
            })
        })
        .collect()
}

/// What one round did, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Post targets put into the outbox this round.
    pub queued: usize,
    /// Originals deleted after a correction.
    pub deleted: usize,
    pub claimed: usize,
    pub published: usize,
    pub retried: usize,
    pub unconfirmed: usize,
    pub missed: usize,
    pub failed: usize,
}

impl RoundReport {
    fn add(&mut self, other: &RoundReport) {
        self.queued += other.queued;
        self.deleted += other.deleted;
        self.claimed += other.claimed;
        self.published += other.published;
        self.retried += other.retried;
        self.unconfirmed += other.unconfirmed;
        self.missed += other.missed;
        self.failed += other.failed;
    }

    fn count(&mut self, state: JobState) {
        match state {
            JobState::Published => self.published += 1,
            JobState::Unconfirmed => self.unconfirmed += 1,
            JobState::Missed => self.missed += 1,
            JobState::Failed | JobState::Cancelled => self.failed += 1,
            JobState::Pending | JobState::Sending => self.retried += 1,
        }
    }
}

/// An emergency message to many accounts at once.
#[derive(Clone, Debug)]
pub struct EmergencyRequest {
    pub text: String,
    pub images: Vec<ImageInput>,
    pub account_ids: Vec<AccountId>,
    pub actor: Actor,
    /// Who approved it, where the guideline has no exception to prior approval.
    pub approved_by: Option<PersonId>,
}

/// The result of an emergency broadcast.
#[derive(Clone, Debug)]
pub struct BroadcastReport {
    pub broadcast_id: String,
    /// Every job of the broadcast as it stands when the call returns.
    pub jobs: Vec<PublishJob>,
}

/// The publishing engine. Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    store: Store,
    guidelines: Arc<dyn GuidelineResolver>,
    connectors: Connectors,
    key: Arc<CredentialKey>,
    clock: Arc<dyn Clock>,
    config: PublisherConfig,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("connectors", &self.connectors)
            .field("key", &self.key)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn job_subject(job: &PublishJob) -> Subject {
    Subject::new("publish_job", job.id.as_str())
}

/// What an attempt ended with, before it is written.
enum Outcome {
    Published(RemotePost),
    /// Try again at this time; `uncertain` if this attempt may have reached the platform.
    Retry {
        at: i64,
        uncertain: bool,
        code: &'static str,
        detail: String,
    },
    RateLimited {
        until: i64,
        detail: String,
    },
    AuthExpired {
        detail: String,
    },
    Unconfirmed {
        detail: String,
    },
    Missed,
    Failed {
        code: String,
        detail: String,
    },
}

impl Publisher {
    pub fn new(
        store: Store,
        connectors: Connectors,
        key: CredentialKey,
        clock: Arc<dyn Clock>,
        config: PublisherConfig,
    ) -> PResult<Publisher> {
        if config.lease <= config.attempt_timeout.saturating_mul(2) {
            return Err(PublishError::Invalid {
                field: "lease",
                reason: "the lease must be more than twice the attempt timeout".into(),
            });
        }
        Ok(Publisher {
            store,
            guidelines: Arc::new(BuiltinGuidelines),
            connectors,
            key: Arc::new(key),
            clock,
            config,
        })
    }

    /// Uses `guidelines` to find each municipality's guideline (the default knows only the
    /// built-in presets).
    #[must_use]
    pub fn with_guidelines(mut self, guidelines: Arc<dyn GuidelineResolver>) -> Publisher {
        self.guidelines = guidelines;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &PublisherConfig {
        &self.config
    }

    // -----------------------------------------------------------------------------------
    // enqueueing and credentials

    /// Puts an approved post target into the outbox (images stripped first). The same
    /// target enqueued twice is refused (`STORE_CONFLICT`): one target, one post.
    pub async fn enqueue(
        &self,
        tenant: &Tenant,
        target: &ApprovedTarget,
        actor: &Actor,
    ) -> PResult<PublishJob> {
        let media = clean_images(&target.images)?;
        let mut tx = self.store.begin(tenant).await?;
        let job = tx
            .publish_jobs()
            .enqueue(&NewPublishJob {
                account_id: target.account_id.clone(),
                post_target_id: Some(target.post_target_id.clone()),
                kind: JobKind::Scheduled,
                broadcast_id: None,
                body: target.text.clone(),
                media,
                idempotency_key: uuid::Uuid::now_v7().to_string(),
                not_before: target.not_before,
                deadline: target.deadline,
                created_by: actor.clone(),
            })
            .await?;
        tx.audit()
            .append(
                &NewAuditEntry::new(actor.clone(), "publish.enqueue", job_subject(&job))
                    .after(&job)?,
            )
            .await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Seals and stores an account's credential; lifts an "expired credential" hold.
    pub async fn store_credential(
        &self,
        tenant: &Tenant,
        account: &AccountId,
        account_ref: &str,
        secrets: &Secrets,
        expires_at: Option<i64>,
        actor: &Actor,
    ) -> PResult<()> {
        let sealed = self.key.seal(tenant.id(), account, secrets)?;
        let mut tx = self.store.begin(tenant).await?;
        let before = tx.credentials().get(account).await?;
        let after = tx
            .credentials()
            .put(&NewCredential {
                account_id: account.clone(),
                account_ref: account_ref.to_owned(),
                sealed,
                key_id: self.key.id().to_owned(),
                expires_at,
            })
            .await?;
        let hold = tx.holds().get(account).await?;
        if hold.is_some_and(|h| h.reason == "auth-expired") {
            tx.holds().clear(account).await?;
        }
        let mut entry = NewAuditEntry::new(
            actor.clone(),
            "credential.store",
            Subject::new("official_account", account.as_str()),
        )
        .after(&after)?;
        if let Some(b) = &before {
            entry = entry.before(b)?;
        }
        tx.audit().append(&entry).await?;
        tx.commit().await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // the loop

    /// Runs rounds until `stop` resolves; sleeps `idle_poll` after a round with no work.
    /// A failed round is logged and retried, never fatal.
    pub async fn run(&self, stop: impl Future<Output = ()>) -> PResult<()> {
        tokio::pin!(stop);
        loop {
            let worked = match self.run_once().await {
                Ok(r) => r.claimed > 0 || r.missed > 0 || r.queued > 0,
                Err(e) => {
                    // A database restart or a lock timeout must not end the process: the
                    // jobs stay in the outbox and the next round tries again.
                    tracing::warn!(code = e.code(), error = %e, "publisher round failed");
                    false
                }
            };
            let pause = if worked {
                Duration::from_millis(0)
            } else {
                self.config.idle_poll
            };
            tokio::select! {
                () = &mut stop => return Ok(()),
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One round over every municipality: posts swept and due targets queued, then overdue
    /// jobs marked missed and one batch of due jobs claimed and attempted.
    ///
    /// A municipality whose guideline cannot be loaded is left out of the round (logged):
    /// its jobs stay in the outbox, since their outcome must move post targets the way
    /// that guideline says.
    pub async fn run_once(&self) -> PResult<RoundReport> {
        let mut report = RoundReport::default();
        for m in self.store.municipalities().await? {
            let wf = match self.workflow_for(&m).await {
                Ok(wf) => wf,
                Err(e) => {
                    tracing::error!(municipality = %m.slug, code = e.code(), error = %e, "municipality left out of the publishing round");
                    continue;
                }
            };
            report.add(&self.posts_round(&wf).await?);
            report.add(&self.round_for(wf.tenant(), None, Some(&wf)).await?);
        }
        Ok(report)
    }

    async fn workflow_for(&self, m: &koho_store::Municipality) -> PResult<Workflow> {
        let g = self
            .guidelines
            .guideline(&m.guideline_id)
            .map_err(|detail| PublishError::Guideline {
                municipality: m.name.clone(),
                id: m.guideline_id.clone(),
                detail,
            })?;
        Ok(Workflow::open(&self.store, &m.slug, g).await?)
    }

    /// The posts' part of a round for one municipality: sweep, reconcile, enqueue, retract.
    /// A step that fails is logged and the others still run: one bad post must not hold
    /// up the rest.
    async fn posts_round(&self, wf: &Workflow) -> PResult<RoundReport> {
        let mut report = RoundReport::default();
        let now = self.clock.now_ms();
        if let Err(e) = wf.sweep_posts(now).await {
            tracing::warn!(code = e.code(), error = %e, "sweeping posts failed");
        }
        if let Err(e) = self.reconcile(wf).await {
            tracing::warn!(code = e.code(), error = %e, "reconciling post targets failed");
        }
        match self.enqueue_due(wf, now).await {
            Ok(n) => report.queued = n,
            Err(e) => tracing::warn!(code = e.code(), error = %e, "queueing due posts failed"),
        }
        match self.retract(wf).await {
            Ok(n) => report.deleted = n,
            Err(e) => {
                tracing::warn!(code = e.code(), error = %e, "deleting corrected originals failed")
            }
        }
        Ok(report)
    }

    /// Puts every due post target into the outbox: one job per target, and the target
    /// `queued`, in one transaction. A target another publisher queued first (its row
    /// changed, or its job exists) is skipped.
    pub async fn enqueue_due(&self, wf: &Workflow, now: i64) -> PResult<usize> {
        let due = wf.due_targets(now).await?;
        let mut queued = 0;
        for d in due {
            match self.enqueue_one(wf, &d).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(target = %d.target.id, code = e.code(), error = %e, "a due post could not be queued");
                }
            }
        }
        Ok(queued)
    }

    /// True when queued by this call; false when someone else already had it.
    async fn enqueue_one(&self, wf: &Workflow, d: &DueTarget) -> PResult<bool> {
        let images: Vec<ImageInput> = d
            .images
            .iter()
            .map(|i| ImageInput {
                bytes: i.bytes.clone(),
                alt_text: i.alt_text.clone(),
            })
            .collect();
        let media = clean_images(&images)?;
        let body = match (&d.kind, &d.share_url) {
            // A share shows what it shares: the address goes with the text.
            (PostKind::Share, Some(url)) if !d.text.contains(url.as_str()) => {
                format!("{}\n{url}", d.text)
            }
            _ => d.text.clone(),
        };
        let mut tx = self.store.begin(wf.tenant()).await?;
        match wf.queue_target_in(&mut tx, &d.target).await {
            Ok(_) => {}
            Err(PostError::Workflow(WorkflowError::Store(StoreError::Stale { .. })))
            | Err(PostError::IllegalTargetTransition { .. }) => {
                tx.rollback().await?;
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        let job = tx
            .publish_jobs()
            .enqueue(&NewPublishJob {
                account_id: d.account.id.clone(),
                post_target_id: Some(d.target.id.clone()),
                kind: if d.emergency {
                    JobKind::Emergency
                } else {
                    JobKind::Scheduled
                },
                broadcast_id: None,
                body,
                media,
                // One job per target, whichever process writes it.
                idempotency_key: format!("post-target:{}", d.target.id),
                not_before: d.not_before,
                deadline: d.deadline.max(d.not_before),
                created_by: Actor::System,
            })
            .await;
        let job = match job {
            Ok(job) => job,
            Err(StoreError::Conflict { .. }) => {
                tx.rollback().await?;
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        };
        let g = wf.guideline();
        let mut entry =
            NewAuditEntry::new(Actor::System, "publish.enqueue", job_subject(&job)).after(&job)?;
        if let Some(c) = g.post_approval.clauses.first() {
            entry = entry.clause(&g.id, c);
        }
        tx.audit().append(&entry).await?;
        match tx.commit().await {
            Ok(()) => Ok(true),
            // PostgreSQL reports a concurrent duplicate at commit under some plans.
            Err(StoreError::Conflict { .. } | StoreError::Stale { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Finished jobs whose post target is still `queued` move it now (the outcome's own
    /// transaction could not: see [`Publisher::follow_target`]).
    async fn reconcile(&self, wf: &Workflow) -> PResult<usize> {
        let jobs = {
            let mut r = self.store.read(wf.tenant()).await?;
            r.publish_jobs().finished_with_queued_target(100).await?
        };
        let mut n = 0;
        for job in jobs {
            let mut tx = self.store.begin(wf.tenant()).await?;
            let at = job.finished_at.unwrap_or_else(|| self.clock.now_ms());
            if self.follow_target(&mut tx, wf, &job, at).await? {
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Moves a finished job's post target to the job's outcome, in `tx`. A target that
    /// cannot make that move (a person changed it) is logged and left; a database error
    /// fails the transaction. True when the target moved.
    async fn follow_target(
        &self,
        tx: &mut Tx,
        wf: &Workflow,
        job: &PublishJob,
        at: i64,
    ) -> PResult<bool> {
        let Some(target) = &job.post_target_id else {
            return Ok(false);
        };
        let outcome = match job.state {
            JobState::Published => TargetOutcome::Published {
                remote_id: job.remote_id.clone().unwrap_or_default(),
                url: job.remote_url.clone(),
            },
            JobState::Unconfirmed => TargetOutcome::Unconfirmed {
                detail: job.last_error.clone().unwrap_or_default(),
            },
            JobState::Missed => TargetOutcome::Missed,
            JobState::Failed | JobState::Cancelled => TargetOutcome::Failed {
                error: format!(
                    "{}: {}",
                    job.last_error_code.as_deref().unwrap_or("failed"),
                    job.last_error.as_deref().unwrap_or_default()
                ),
            },
            JobState::Pending | JobState::Sending => return Ok(false),
        };
        match wf.record_outcome_in(tx, target, &outcome, at).await {
            Ok(moved) => Ok(moved.is_some()),
            Err(PostError::Workflow(WorkflowError::Store(e))) => Err(e.into()),
            Err(e) => {
                tracing::warn!(job = %job.id, target = %target, code = e.code(), error = %e, "post target did not follow its publish job");
                Ok(false)
            }
        }
    }

    /// Deletes the originals corrections asked to delete (高鍋町 6.3: 訂正前の投稿を削除),
    /// then records them deleted. A platform that cannot delete, or refuses, leaves the
    /// target `retracting` with the reason and raises an alert for a person.
    async fn retract(&self, wf: &Workflow) -> PResult<usize> {
        let tenant = wf.tenant();
        let mut n = 0;
        for t in wf.pending_retractions().await? {
            if t.last_error.is_some() {
                continue;
            }
            let Some(remote_id) = t.remote_id.clone() else {
                continue;
            };
            let account = {
                let mut r = self.store.read(tenant).await?;
                r.accounts().get(&t.account_id).await?
            };
            // No connector for the account's server yet: try again next round.
            let Ok((connector, refresher)) = self.connectors.for_account(&account).await else {
                continue;
            };
            let now = self.clock.now_ms();
            // No usable credential: the publishing side raises that alert; try again later.
            let Ok(auth) = self.auth_for(tenant, &account, refresher, now).await? else {
                continue;
            };
            let problem = if connector.capabilities().can_delete {
                match tokio::time::timeout(
                    self.config.attempt_timeout,
                    connector.delete(&auth, &remote_id),
                )
                .await
                {
                    Ok(Ok(())) => None,
                    Ok(Err(
                        ConnectError::Rejected { .. }
                        | ConnectError::Unsupported { .. }
                        | ConnectError::AuthExpired { .. },
                    )) => Some("the platform refused to delete the post"),
                    // Temporary: try again next round.
                    Ok(Err(_)) | Err(_) => continue,
                }
            } else {
                Some("the platform offers no way to delete a post")
            };
            match problem {
                None => {
                    wf.record_deleted(&t.id, now).await?;
                    n += 1;
                }
                Some(detail) => {
                    wf.record_retraction_problem(&t.id, detail).await?;
                    let mut tx = self.store.begin(tenant).await?;
                    tx.publish_alerts()
                        .create(&NewAlert {
                            account_id: t.account_id.clone(),
                            job_id: None,
                            kind: AlertKind::Failed,
                            message: format!(
                                "訂正前の投稿（{}）を削除できませんでした。アカウントで手動で削除してください",
                                t.remote_url.as_deref().unwrap_or(remote_id.as_str())
                            ),
                            report_to: None,
                        })
                        .await?;
                    tx.commit().await?;
                }
            }
        }
        Ok(n)
    }

    /// One round for one tenant, optionally only for one broadcast. `wf` moves the post
    /// targets of finished jobs (`None` for a broadcast, whose jobs have none).
    async fn round_for(
        &self,
        tenant: &Tenant,
        broadcast: Option<&str>,
        wf: Option<&Workflow>,
    ) -> PResult<RoundReport> {
        let mut report = RoundReport::default();
        report.missed += self.expire_overdue(tenant, wf).await?;
        let now = self.clock.now_ms();
        let claimed = {
            let mut tx = self.store.begin(tenant).await?;
            let claimed = tx
                .publish_jobs()
                .claim(&ClaimRequest {
                    owner: &self.config.owner,
                    now,
                    lease_ms: ms(self.config.lease),
                    limit: if broadcast.is_some() {
                        i64::try_from(self.config.emergency_concurrency).unwrap_or(64)
                    } else {
                        self.config.batch
                    },
                    broadcast_id: broadcast,
                })
                .await?;
            for c in &claimed {
                let action = if c.recovered {
                    "publish.recover"
                } else {
                    "publish.claim"
                };
                tx.audit()
                    .append(
                        &NewAuditEntry::new(Actor::System, action, job_subject(&c.job))
                            .before(&c.before)?
                            .after(&c.job)?,
                    )
                    .await?;
            }
            tx.commit().await?;
            claimed
        };
        report.claimed = claimed.len();
        let concurrency = if broadcast.is_some() {
            self.config.emergency_concurrency
        } else {
            self.config.concurrency
        };
        let results: Vec<PResult<Option<JobState>>> = futures_util::stream::iter(claimed)
            .map(|c| self.attempt(tenant, c, wf))
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for r in results {
            match r {
                Ok(Some(state)) => report.count(state),
                Ok(None) => {}
                Err(e) => {
                    // One job's bookkeeping failing must not stop the others; its lease
                    // runs out and the job comes back as uncertain.
                    tracing::warn!(code = e.code(), error = %e, "recording a publish attempt failed");
                }
            }
        }
        Ok(report)
    }

    /// Marks jobs whose deadline passed: missed if nothing was sent, unconfirmed if an
    /// attempt may have reached the platform.
    async fn expire_overdue(&self, tenant: &Tenant, wf: Option<&Workflow>) -> PResult<usize> {
        let now = self.clock.now_ms();
        let mut tx = self.store.begin(tenant).await?;
        let overdue = tx.publish_jobs().list_overdue(now).await?;
        let mut n = 0;
        for job in overdue {
            let uncertain = job.uncertain || job.state == JobState::Sending;
            let outcome = if uncertain {
                Outcome::Unconfirmed {
                    detail: "deadline passed after an attempt that may have reached the platform"
                        .into(),
                }
            } else {
                Outcome::Missed
            };
            self.write_outcome(&mut tx, &job, outcome, now, wf).await?;
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }

    // -----------------------------------------------------------------------------------
    // one attempt

    async fn attempt(
        &self,
        tenant: &Tenant,
        claimed: ClaimedJob,
        wf: Option<&Workflow>,
    ) -> PResult<Option<JobState>> {
        let job = claimed.job;
        let now = self.clock.now_ms();
        let outcome = self.decide(tenant, &job, now).await?;
        let now = self.clock.now_ms();
        let mut tx = self.store.begin(tenant).await?;
        let written = self.write_outcome(&mut tx, &job, outcome, now, wf).await;
        match written {
            Ok(state) => {
                tx.commit().await?;
                Ok(Some(state))
            }
            Err(PublishError::Store(StoreError::Stale { .. })) => {
                // Our lease was taken over (we were too slow); the new holder decides.
                tracing::warn!(job = %job.id, "lease lost before the outcome was recorded");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Everything between claim and record: no transaction is open here.
    async fn decide(&self, tenant: &Tenant, job: &PublishJob, now: i64) -> PResult<Outcome> {
        if now > job.deadline {
            return Ok(if job.uncertain {
                Outcome::Unconfirmed {
                    detail: "deadline passed after an uncertain attempt".into(),
                }
            } else {
                Outcome::Missed
            });
        }
        let account = {
            let mut r = self.store.read(tenant).await?;
            r.accounts().get(&job.account_id).await?
        };
        let (connector, refresher) = match self.connectors.for_account(&account).await {
            Ok(found) => found,
            // Nothing was sent: wait (a server that cannot be found now may be found
            // later, a publisher may be reconfigured); the deadline ends the wait.
            Err(e) => {
                let retryable = matches!(e, ConnectError::Retryable { .. });
                return Ok(Outcome::Retry {
                    at: now
                        + if retryable {
                            self.backoff(job.attempts)
                        } else {
                            ms(self.config.backoff_max)
                        },
                    uncertain: job.uncertain,
                    code: "no-connector",
                    detail: e.to_string(),
                });
            }
        };
        let auth = match self.auth_for(tenant, &account, refresher, now).await? {
            Ok(auth) => auth,
            Err(outcome) => return Ok(outcome),
        };
        let caps = connector.capabilities();
        let req = PublishRequest {
            text: job.body.clone(),
            media: self.media_for(job)?,
            idempotency_key: IdempotencyKey(job.idempotency_key.clone()),
        };
        if job.uncertain {
            match caps.idempotency {
                Idempotency::Native => {}
                Idempotency::Lookup => {
                    let since = job.first_attempt_at.unwrap_or(job.created_at) - 60_000;
                    let found = tokio::time::timeout(
                        self.config.attempt_timeout,
                        connector.find_published(&auth, &req, since),
                    )
                    .await;
                    match found {
                        Ok(Ok(Some(post))) => return Ok(Outcome::Published(post)),
                        Ok(Ok(None)) => {}
                        Ok(Err(e)) => return Ok(self.classify(job, &caps, e, now, true)),
                        Err(_) => {
                            return Ok(Outcome::Retry {
                                at: now + self.backoff(job.attempts),
                                uncertain: true,
                                code: "lookup-timeout",
                                detail: "looking for the post timed out".into(),
                            });
                        }
                    }
                }
                Idempotency::None => {
                    return Ok(Outcome::Unconfirmed {
                        detail: "an earlier attempt may have been published and the platform \
                                 offers no way to tell"
                            .into(),
                    });
                }
            }
        }
        let sent =
            tokio::time::timeout(self.config.attempt_timeout, connector.publish(&auth, &req)).await;
        Ok(match sent {
            Ok(Ok(post)) => Outcome::Published(post),
            Ok(Err(e)) => self.classify(job, &caps, e, now, false),
            Err(_) => self.classify(
                job,
                &caps,
                ConnectError::Uncertain {
                    detail: "the attempt exceeded the publisher's timeout".into(),
                },
                now,
                false,
            ),
        })
    }

    fn backoff(&self, attempts: i64) -> i64 {
        let base = ms(self.config.backoff_base).max(1);
        let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
        base.saturating_mul(1_i64 << exp)
            .min(ms(self.config.backoff_max))
    }

    fn classify(
        &self,
        job: &PublishJob,
        caps: &Capabilities,
        e: ConnectError,
        now: i64,
        looking: bool,
    ) -> Outcome {
        match e {
            ConnectError::Retryable {
                detail,
                retry_after,
            } => {
                if job.attempts >= self.config.max_attempts {
                    return if job.uncertain {
                        Outcome::Unconfirmed { detail }
                    } else {
                        Outcome::Failed {
                            code: "attempts-exhausted".into(),
                            detail,
                        }
                    };
                }
                let wait = self.backoff(job.attempts).max(retry_after.map_or(0, ms));
                Outcome::Retry {
                    at: now + wait,
                    uncertain: job.uncertain,
                    code: "retryable",
                    detail,
                }
            }
            ConnectError::RateLimited {
                detail,
                retry_after,
            } => Outcome::RateLimited {
                until: now + ms(retry_after).max(1),
                detail,
            },
            ConnectError::Uncertain { detail } => {
                // Uncertain while looking, no way to look, or out of attempts: a person
                // must check the account.
                if looking
                    || caps.idempotency == Idempotency::None
                    || job.attempts >= self.config.max_attempts
                {
                    Outcome::Unconfirmed { detail }
                } else {
                    Outcome::Retry {
                        at: now + self.backoff(job.attempts),
                        uncertain: true,
                        code: "uncertain",
                        detail,
                    }
                }
            }
            ConnectError::AuthExpired { detail } => Outcome::AuthExpired { detail },
            ConnectError::Rejected { code, detail } => {
                if job.uncertain {
                    // A refusal now says nothing about the earlier attempt.
                    Outcome::Unconfirmed {
                        detail: format!("refused ({code}) after an uncertain attempt: {detail}"),
                    }
                } else {
                    Outcome::Failed { code, detail }
                }
            }
            ConnectError::Unsupported { what } => Outcome::Failed {
                code: "unsupported".into(),
                detail: what.to_owned(),
            },
        }
    }

    fn media_for(&self, job: &PublishJob) -> PResult<Vec<Media>> {
        job.media
            .iter()
            .enumerate()
            .map(|(index, m)| {
                // Stripped at enqueue; stripped again because the bytes came back from the
                // database, which someone else may have written.
                let bytes = koho_media::strip(&m.bytes).map_err(|e| PublishError::Media {
                    index,
                    reason: e.to_string(),
                })?;
                Ok(Media {
                    bytes,
                    mime: m.mime.clone(),
                    alt_text: m.alt_text.clone(),
                })
            })
            .collect()
    }

    /// The account's decrypted credential, refreshed first when it is about to expire.
    /// `Err(outcome)` when the job cannot be attempted now.
    async fn auth_for(
        &self,
        tenant: &Tenant,
        account: &OfficialAccount,
        refresher: Option<Arc<dyn CredentialRefresher>>,
        now: i64,
    ) -> PResult<Result<AccountAuth, Outcome>> {
        let stored = {
            let mut r = self.store.read(tenant).await?;
            r.credentials().get(&account.id).await?
        };
        let Some(stored) = stored else {
            return Ok(Err(Outcome::AuthExpired {
                detail: "the account has no stored credential".into(),
            }));
        };
        if stored.status == koho_store::CredentialStatus::Expired {
            return Ok(Err(Outcome::AuthExpired {
                detail: "the stored credential was refused before".into(),
            }));
        }
        let secrets = match self
            .key
            .open(tenant.id(), &account.id, &stored.key_id, &stored.sealed)
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(account = %account.id, code = e.code(), "credential cannot be opened");
                return Ok(Err(Outcome::AuthExpired {
                    detail: e.to_string(),
                }));
            }
        };
        let auth = secrets.to_auth(&stored.account_ref, stored.expires_at);
        let due = stored
            .expires_at
            .is_some_and(|exp| exp - now <= ms(self.config.refresh_ahead));
        let refresher = refresher.filter(|r| due && r.can_refresh(&auth));
        let Some(refresher) = refresher else {
            return Ok(Ok(auth));
        };
        let expired = stored.expires_at.is_some_and(|exp| exp <= now);
        let took = {
            let mut tx = self.store.begin(tenant).await?;
            let took = tx
                .credentials()
                .try_begin_refresh(
                    &account.id,
                    &self.config.owner,
                    now,
                    now + ms(self.config.refresh_lease),
                )
                .await?;
            tx.commit().await?;
            took
        };
        if !took {
            // Another process is refreshing this account right now.
            return Ok(if expired {
                Err(Outcome::Retry {
                    at: now + 1_000,
                    uncertain: false,
                    code: "refresh-in-progress",
                    detail: "another publisher is refreshing the credential".into(),
                })
            } else {
                Ok(auth)
            });
        }
        let refreshed =
            tokio::time::timeout(self.config.attempt_timeout, refresher.refresh(&auth)).await;
        let mut tx = self.store.begin(tenant).await?;
        let result = match refreshed {
            Ok(Ok(new_auth)) => {
                let secrets = Secrets {
                    access_token: new_auth.access_token.clone(),
                    refresh_token: new_auth
                        .refresh_token
                        .clone()
                        .or(auth.refresh_token.clone()),
                    app_secret: new_auth.app_secret.clone().or(auth.app_secret.clone()),
                };
                let sealed = self.key.seal(tenant.id(), &account.id, &secrets)?;
                let stored_ok = tx
                    .credentials()
                    .finish_refresh(
                        &account.id,
                        &self.config.owner,
                        &sealed,
                        self.key.id(),
                        new_auth.expires_at_ms,
                    )
                    .await?;
                if stored_ok {
                    tx.audit()
                        .append(
                            &NewAuditEntry::new(
                                Actor::System,
                                "credential.refresh",
                                Subject::new("official_account", account.id.as_str()),
                            )
                            .before(&serde_json::json!({ "expires_at": stored.expires_at }))?
                            .after(&serde_json::json!({ "expires_at": new_auth.expires_at_ms }))?,
                        )
                        .await?;
                }
                Ok(secrets.to_auth(&stored.account_ref, new_auth.expires_at_ms))
            }
            Ok(Err(ConnectError::AuthExpired { detail })) => {
                tx.credentials()
                    .abandon_refresh(&account.id, &self.config.owner)
                    .await?;
                Err(Outcome::AuthExpired { detail })
            }
            Ok(Err(other)) => {
                tx.credentials()
                    .abandon_refresh(&account.id, &self.config.owner)
                    .await?;
                if expired {
                    Err(Outcome::Retry {
                        at: now + self.backoff(1),
                        uncertain: false,
                        code: "refresh-failed",
                        detail: other.to_string(),
                    })
                } else {
                    Ok(auth)
                }
            }
            Err(_) => {
                tx.credentials()
                    .abandon_refresh(&account.id, &self.config.owner)
                    .await?;
                if expired {
                    Err(Outcome::Retry {
                        at: now + self.backoff(1),
                        uncertain: false,
                        code: "refresh-timeout",
                        detail: "refreshing the credential timed out".into(),
                    })
                } else {
                    Ok(auth)
                }
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    /// Writes an outcome: the job row, holds, alerts, the audit entry and — for a finished
    /// job of a post target — the target's new state, all in `tx`.
    async fn write_outcome(
        &self,
        tx: &mut Tx,
        job: &PublishJob,
        outcome: Outcome,
        now: i64,
        wf: Option<&Workflow>,
    ) -> PResult<JobState> {
        let mut next = job.clone();
        next.lease_owner = None;
        next.lease_expires_at = None;
        let mut alert: Option<(AlertKind, String)> = None;
        let action;
        match outcome {
            Outcome::Published(post) => {
                next.state = JobState::Published;
                next.remote_id = Some(post.remote_id);
                next.remote_url = post.url;
                next.uncertain = false;
                next.last_error_code = None;
                next.last_error = None;
                next.finished_at = Some(now);
                action = "publish.published";
            }
            Outcome::Retry {
                at,
                uncertain,
                code,
                detail,
            } => {
                next.state = JobState::Pending;
                next.next_attempt_at = at;
                next.uncertain = uncertain;
                next.last_error_code = Some(code.to_owned());
                next.last_error = Some(detail);
                action = "publish.retry";
            }
            Outcome::RateLimited { until, detail } => {
                next.state = JobState::Pending;
                next.next_attempt_at = until;
                next.last_error_code = Some("rate-limited".into());
                next.last_error = Some(detail.clone());
                tx.holds()
                    .hold(&job.account_id, until, "rate-limited", &detail)
                    .await?;
                action = "publish.rate_limited";
            }
            Outcome::AuthExpired { detail } => {
                next.state = JobState::Pending;
                next.next_attempt_at = now;
                next.last_error_code = Some("auth-expired".into());
                next.last_error = Some(detail.clone());
                if tx.credentials().get(&job.account_id).await?.is_some() {
                    tx.credentials().mark_expired(&job.account_id).await?;
                }
                let previous: Option<AccountHold> = tx.holds().get(&job.account_id).await?;
                let already = previous.is_some_and(|h| h.reason == "auth-expired");
                tx.holds()
                    .hold(&job.account_id, i64::MAX, "auth-expired", &detail)
                    .await?;
                if !already {
                    alert = Some((
                        AlertKind::AuthExpired,
                        "アカウントの認証が切れています。アカウントを再接続するまで、このアカウントへの投稿は送信されません".into(),
                    ));
                }
                action = "publish.auth_expired";
            }
            Outcome::Unconfirmed { detail } => {
                next.state = JobState::Unconfirmed;
                next.uncertain = true;
                next.last_error_code = Some("unconfirmed".into());
                next.last_error = Some(detail);
                next.finished_at = Some(now);
                alert = Some((
                    AlertKind::Unconfirmed,
                    "投稿が公開されたか確認できません。再投稿する前に、アカウントで公開済みかどうかを確認してください".into(),
                ));
                action = "publish.unconfirmed";
            }
            Outcome::Missed => {
                next.state = JobState::Missed;
                next.last_error_code = Some("missed".into());
                next.last_error =
                    Some("the publishing window passed before it could be sent".into());
                next.finished_at = Some(now);
                alert = Some((
                    AlertKind::Missed,
                    "予定の時間内に投稿できなかったため、送信しませんでした（遅れて公開はしません）".into(),
                ));
                action = "publish.missed";
            }
            Outcome::Failed { code, detail } => {
                next.state = JobState::Failed;
                next.last_error_code = Some(code);
                next.last_error = Some(detail);
                next.finished_at = Some(now);
                alert = Some((
                    AlertKind::Failed,
                    "プラットフォームが投稿を受け付けませんでした。内容を確認してください".into(),
                ));
                action = "publish.failed";
            }
        }
        let after = tx.publish_jobs().update(&next).await?;
        if let Some((kind, message)) = alert {
            tx.publish_alerts()
                .create(&NewAlert {
                    account_id: job.account_id.clone(),
                    job_id: Some(job.id.clone()),
                    kind,
                    message,
                    report_to: None,
                })
                .await?;
        }
        tx.audit()
            .append(
                &NewAuditEntry::new(Actor::System, action, job_subject(job))
                    .before(job)?
                    .after(&after)?,
            )
            .await?;
        if let Some(wf) = wf
            && after.state.is_final()
        {
            self.follow_target(tx, wf, &after, now).await?;
        }
        Ok(after.state)
    }

    // -----------------------------------------------------------------------------------
    // emergency broadcast

    /// Sends one message to every selected account at once, under the guideline's
    /// emergency rule: the exception to prior approval that requires a post-hoc report
    /// (高鍋町 3.8「緊急性があると認められる場合」) is cited in the audit log and a report
    /// to the named role is raised as an alert; a guideline without such an exception needs
    /// `approved_by`.
    ///
    /// The jobs are enqueued in one transaction, then claimed and attempted here
    /// concurrently (`emergency_concurrency`); a job that must wait (rate limit, retry) is
    /// left to the regular publisher loop.
    pub async fn emergency_broadcast(
        &self,
        tenant: &Tenant,
        guideline: &Guideline,
        req: &EmergencyRequest,
    ) -> PResult<BroadcastReport> {
        if req.account_ids.is_empty() {
            return Err(PublishError::NoAccounts);
        }
        let exception = guideline
            .post_approval
            .exceptions
            .iter()
            .find(|e| e.post_hoc_report_to.is_some());
        if exception.is_none() && req.approved_by.is_none() {
            return Err(PublishError::NoEmergencyRule {
                guideline: guideline.id.clone(),
            });
        }
        let media = clean_images(&req.images)?;
        let now = self.clock.now_ms();
        let broadcast_id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.store.begin(tenant).await?;
        let mut jobs = Vec::with_capacity(req.account_ids.len());
        for account in &req.account_ids {
            // A suspended or closed account must stay silent, even in an emergency (its
            // followers were redirected to the main account).
            let record = tx.accounts().get(account).await?;
            if !matches!(
                record.state,
                koho_store::AccountState::Active | koho_store::AccountState::Grandfathered
            ) {
                return Err(PublishError::AccountNotActive {
                    account: format!("{} {}", record.fields.platform, record.fields.handle),
                    state: record.state.to_string(),
                });
            }
            let job = tx
                .publish_jobs()
                .enqueue(&NewPublishJob {
                    account_id: account.clone(),
                    post_target_id: None,
                    kind: JobKind::Emergency,
                    broadcast_id: Some(broadcast_id.clone()),
                    body: req.text.clone(),
                    media: media.clone(),
                    idempotency_key: uuid::Uuid::now_v7().to_string(),
                    not_before: now,
                    deadline: now + ms(self.config.emergency_window),
                    created_by: req.actor.clone(),
                })
                .await?;
            jobs.push(job);
        }
        let mut entry = NewAuditEntry::new(
            req.actor.clone(),
            "publish.emergency",
            Subject::new("broadcast", &broadcast_id),
        )
        .after(&serde_json::json!({
            "text": req.text,
            "accounts": req.account_ids,
            "jobs": jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
            "approved_by": req.approved_by,
            "exception": exception.map(|e| &e.id),
        }))?;
        let clause = exception
            .and_then(|e| e.clauses.first())
            .or(guideline.post_approval.clauses.first());
        if let Some(clause) = clause {
            entry = entry.clause(&guideline.id, clause);
        }
        tx.audit().append(&entry).await?;
        if let (Some(e), Some(first)) = (exception, jobs.first())
            && req.approved_by.is_none()
        {
            tx.publish_alerts()
                .create(&NewAlert {
                    account_id: first.account_id.clone(),
                    job_id: Some(first.id.clone()),
                    kind: AlertKind::PostHocReport,
                    message: format!(
                        "緊急発信（{}件）を事前承認なしで行いました。{}に事後報告し、了承を受けてください（{} {}）",
                        jobs.len(),
                        guideline
                            .role(e.post_hoc_report_to.as_deref().unwrap_or_default())
                            .map_or("所属長", |r| r.name.as_str()),
                        guideline.id,
                        clause.map_or("", String::as_str)
                    ),
                    report_to: e.post_hoc_report_to.clone(),
                })
                .await?;
        }
        tx.commit().await?;

        // Claim and attempt the broadcast's jobs until none is due now.
        loop {
            let round = self.round_for(tenant, Some(&broadcast_id), None).await?;
            if round.claimed == 0 {
                break;
            }
        }
        let mut r = self.store.read(tenant).await?;
        let jobs = r.publish_jobs().list_for_broadcast(&broadcast_id).await?;
        Ok(BroadcastReport { broadcast_id, jobs })
    }
}
