//! koho's storage layer: tables, rows and transactions for the official-account register,
//! on SQLite (embedded, one file) or PostgreSQL (shared, many municipalities).
//!
//! The store holds no business rules. It guarantees:
//!
//! * **tenancy isolation** — every repository is bound to a [`Tenant`] and every statement
//!   filters by its municipality; references between rows are composite foreign keys over
//!   `(municipality_id, id)`, so no row can point into another municipality;
//! * **atomicity** — a [`Tx`] commits domain changes and their audit entries together;
//! * **the audit chain** — an append-only, per-municipality SHA-256 hash chain that
//!   [`AuditLog::verify`] checks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), koho_store::StoreError> {
//! use koho_store::*;
//! let store = Store::open("sqlite://koho.db").await?;
//! let komae = store
//!     .create_municipality(
//!         &NewMunicipality { slug: "komae".into(), name: "狛江市".into(), guideline_id: "komae".into() },
//!         &Actor::Cli,
//!     )
//!     .await?;
//! let tenant = store.tenant(&komae.id).await?;
//! let mut tx = store.begin(&tenant).await?;
//! let dept = tx.departments().create(&NewDepartment { name: "秘書広報課".into(), parent_id: None }).await?;
//! tx.audit()
//!     .append(&NewAuditEntry::new(Actor::Cli, "department.create", Subject::new("department", dept.id.as_str())).after(&dept)?)
//!     .await?;
//! tx.commit().await?;
//! assert!(store.verify_audit(&tenant).await?.is_intact());
//! # Ok(()) }
//! ```

mod audit;
mod backup;
mod engine;
mod error;
mod ids;
mod migrate;
mod model;
mod post_model;
mod repo;
mod store;

pub use audit::{
    AuditEntry, AuditHashInput, AuditLog, AuditProblem, AuditVerification, ChainHead, ClauseRef,
    GENESIS_HASH, NewAuditEntry, Subject, audit_entry_hash,
};
pub use backup::{BackupFormat, BackupInfo};
pub use engine::{Engine, OpenOptions};
pub use error::{Result, StoreError};
pub use ids::{
    AccountId, AlertId, ApplicationId, DepartmentId, EventId, MunicipalityId, PersonId,
    PolicyVersionId, PublishJobId, Tenant,
};
pub use ids::{
    NotificationId, PostDecisionId, PostId, PostTargetId, PostVersionId, ReportId, RequestId,
};
pub use migrate::SCHEMA_VERSION;
pub use model::{
    AccountApplication, AccountEvent, AccountFields, AccountKind, AccountState, Actor,
    ApplicationKind, ApplicationStatus, Credentials, Decision, Department, Municipality,
    NewAccount, NewAccountEvent, NewApplication, NewDepartment, NewMunicipality, NewPerson,
    NewPolicyVersion, OfficialAccount, Person, Platform, PolicyStatus, PolicyVersion, Role, Secret,
    VerificationStatus, normalize_handle,
};
pub use post_model::{
    DecisionKind, DepartmentRequest, NewDepartmentRequest, NewNotification, NewPost,
    NewPostDecision, NewPostHocReport, NewPostImage, NewPostVersion, Notification, Post,
    PostDecision, PostHocReport, PostImage, PostKind, PostState, PostTarget, PostVersion,
    RequestStatus, TargetState,
};
pub use repo::accounts::Accounts;
pub use repo::applications::Applications;
pub use repo::auth::{
    ApiToken, ApiTokenId, ApiTokens, LoginState, LoginStates, NewApiToken, NewSession, Preferences,
    Session, SessionId, Sessions, UI_LANGS, token_hash,
};
pub use repo::departments::Departments;
pub use repo::events::AccountEvents;
pub use repo::municipality::MunicipalityRecord;
pub use repo::outbox::{
    AccountHold, AccountHolds, AlertKind, ClaimRequest, ClaimedJob, CredentialStatus, JobKind,
    JobMedia, JobState, MediaLink, MediaLinks, NewAlert, NewCredential, NewPublishJob,
    PlatformCredentials, PublishAlert, PublishAlerts, PublishJob, PublishJobs, StoredCredential,
};
pub use repo::people::People;
pub use repo::policies::PolicyVersions;
pub use repo::posts::Posts;
pub use repo::{Access, ReadOnly, ReadWrite};
pub use store::{Reader, Store, Tx};
