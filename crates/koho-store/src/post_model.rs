//! Rows of the posting workflow (migration 3): posts, their versions, targets, decisions,
//! post-hoc reports, department requests and notifications.
//!
//! As with the register, the store only knows which text values exist; which state may
//! follow which is the workflow's business.

use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::StoreError;
use crate::ids::{
    AccountId, DepartmentId, MunicipalityId, NotificationId, PersonId, PostDecisionId, PostId,
    PostTargetId, PostVersionId, ReportId, RequestId,
};
use crate::model::text_enum;

text_enum!(
    /// What a post is.
    PostKind {
        /// Written by the municipality.
        Original => "original",
        /// Corrects an earlier post (訂正・お詫び).
        Correction => "correction",
        /// Re-posts someone else's content (シェア).
        Share => "share",
    }
);

text_enum!(
    /// Where a post stands as a whole.
    PostState {
        /// Being written; every save is a new version.
        Draft => "draft",
        /// Waiting for the approver.
        Submitted => "submitted",
        /// Approved, or cleared without approval as the guideline allows: its targets go out.
        Approved => "approved",
        /// Refused by the approver; editing makes it a draft again.
        Rejected => "rejected",
        /// Its time came before anyone approved it: it is never published.
        Expired => "expired",
        /// Given up by its author before publication.
        Withdrawn => "withdrawn",
    }
);

text_enum!(
    /// Where one post stands on one official account.
    TargetState {
        /// The post is not cleared for publication yet.
        Waiting => "waiting",
        /// Cleared: the publisher sends it at `publish_at`.
        Scheduled => "scheduled",
        /// Handed to the publishing outbox (one publish job); its outcome comes back from
        /// the job.
        Queued => "queued",
        /// On the platform.
        Published => "published",
        /// The platform refused it; the publisher may try again.
        Failed => "failed",
        /// Sent, but the platform did not confirm; someone must look.
        Unconfirmed => "unconfirmed",
        /// Not sent within the guideline's window after its time: never sent late.
        Missed => "missed",
        /// Its post expired before approval.
        Expired => "expired",
        /// A correction asks for the published original to be deleted; the publisher deletes it.
        Retracting => "retracting",
        /// Deleted from the platform after a correction.
        Deleted => "deleted",
        /// Kept on the platform, marked as corrected (浦臼町 7(1)②).
        Corrected => "corrected",
        /// Its post was withdrawn before publication.
        Withdrawn => "withdrawn",
    }
);

text_enum!(
    /// A decision recorded on one version of a post.
    DecisionKind {
        /// The approver approved.
        Approve => "approve",
        /// The approver refused.
        Reject => "reject",
        /// Published without approval under one of the guideline's exceptions.
        Exception => "exception",
        /// The guideline needs no approval for this post.
        NotRequired => "not-required",
        /// The approver let error findings through, with a reason citing a clause.
        Override => "override",
    }
);

text_enum!(
    /// Where a request from another department stands.
    RequestStatus {
        Submitted => "submitted",
        Accepted => "accepted",
        Declined => "declined",
    }
);

/// A new post with its first version.
#[derive(Clone, Debug)]
pub struct NewPost {
    pub kind: PostKind,
    pub corrects_post_id: Option<PostId>,
    pub share_category: Option<String>,
    pub share_url: Option<String>,
    pub request_id: Option<RequestId>,
    pub department_id: Option<DepartmentId>,
    pub author_id: PersonId,
    /// Ids of the guideline's `required_for` matters the author says the post touches.
    pub matters: Vec<String>,
    pub publish_at: Option<i64>,
}

/// A post: one message for one or more official accounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub municipality_id: MunicipalityId,
    pub kind: PostKind,
    pub corrects_post_id: Option<PostId>,
    pub share_category: Option<String>,
    pub share_url: Option<String>,
    pub request_id: Option<RequestId>,
    pub department_id: Option<DepartmentId>,
    pub author_id: PersonId,
    pub state: PostState,
    /// The current version number (1, 2, 3 …).
    pub version: i64,
    pub matters: Vec<String>,
    /// How the post was cleared: `approval`, `exception`, `not-required`.
    pub approval_basis: Option<String>,
    pub exception_id: Option<String>,
    pub exception_reason: Option<String>,
    /// When it should go out (Unix ms); `None` means as soon as it is cleared.
    pub publish_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

/// A new version of a post's text.
#[derive(Clone, Debug)]
pub struct NewPostVersion {
    pub post_id: PostId,
    pub body: String,
    pub apology: Option<String>,
    /// Per-platform texts where the common one does not fit, keyed by platform id.
    pub variants: Value,
    /// The checker's findings for this version, as JSON.
    pub diagnostics: Value,
    pub error_count: i64,
    pub author_id: PersonId,
    /// Its images, in order (none for a text-only post).
    pub images: Vec<NewPostImage>,
}

/// An image to store with a new post version: already stripped of location and
/// identifying metadata by the caller.
#[derive(Clone)]
pub struct NewPostImage {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: String,
    pub alt_text: Option<String>,
    /// Whether the author's file carried GPS coordinates (before stripping).
    pub has_gps: bool,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for NewPostImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPostImage")
            .field("mime", &self.mime)
            .field("alt_text", &self.alt_text)
            .field("has_gps", &self.has_gps)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One image of a post version. Serialized (views, audit entries) by digest, not bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct PostImage {
    pub id: String,
    pub post_id: PostId,
    pub version: i64,
    /// 0-based order in the post.
    pub position: i64,
    pub mime: String,
    pub alt_text: Option<String>,
    pub has_gps: bool,
    pub sha256: String,
    pub bytes: Vec<u8>,
    pub created_at: i64,
}

impl std::fmt::Debug for PostImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostImage")
            .field("post_id", &self.post_id)
            .field("version", &self.version)
            .field("position", &self.position)
            .field("mime", &self.mime)
            .field("alt_text", &self.alt_text)
            .field("sha256", &self.sha256)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Serialize for PostImage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PostImage", 7)?;
        st.serialize_field("position", &self.position)?;
        st.serialize_field("mime", &self.mime)?;
        st.serialize_field("alt_text", &self.alt_text)?;
        st.serialize_field("has_gps", &self.has_gps)?;
        st.serialize_field("sha256", &self.sha256)?;
        st.serialize_field("len", &self.bytes.len())?;
        st.serialize_field("version", &self.version)?;
        st.end()
    }
}

/// One saved version of a post. Never changed after it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostVersion {
    pub id: PostVersionId,
    pub municipality_id: MunicipalityId,
    pub post_id: PostId,
    pub version: i64,
    pub body: String,
    pub apology: Option<String>,
    pub variants: Value,
    pub diagnostics: Value,
    pub error_count: i64,
    pub author_id: PersonId,
    pub created_at: i64,
}

/// One post on one official account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostTarget {
    pub id: PostTargetId,
    pub municipality_id: MunicipalityId,
    pub post_id: PostId,
    pub account_id: AccountId,
    pub state: TargetState,
    pub publish_at: Option<i64>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub published_at: Option<i64>,
    pub last_error: Option<String>,
    pub attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

/// A new decision on a post version.
#[derive(Clone, Debug)]
pub struct NewPostDecision {
    pub post_id: PostId,
    pub version: i64,
    pub kind: DecisionKind,
    pub decided_by: PersonId,
    pub exception_id: Option<String>,
    pub reason: Option<String>,
    pub clause_label: Option<String>,
    pub decided_at: i64,
}

/// A recorded decision on a post version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostDecision {
    pub id: PostDecisionId,
    pub municipality_id: MunicipalityId,
    pub post_id: PostId,
    pub version: i64,
    pub kind: DecisionKind,
    pub decided_by: PersonId,
    pub exception_id: Option<String>,
    pub reason: Option<String>,
    pub clause_label: Option<String>,
    pub decided_at: i64,
}

/// A new post-hoc report (事後報告) of a post published without approval.
#[derive(Clone, Debug)]
pub struct NewPostHocReport {
    pub post_id: PostId,
    /// The guideline role that must acknowledge it.
    pub report_to_role: String,
    pub exception_id: String,
    pub reason: String,
    pub reported_by: PersonId,
    pub next_reminder_at: Option<i64>,
}

/// A post-hoc report and whether it was acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostHocReport {
    pub id: ReportId,
    pub municipality_id: MunicipalityId,
    pub post_id: PostId,
    pub report_to_role: String,
    pub exception_id: String,
    pub reason: String,
    pub reported_by: PersonId,
    pub created_at: i64,
    pub acknowledged_by: Option<PersonId>,
    pub acknowledged_at: Option<i64>,
    pub reminders: i64,
    pub next_reminder_at: Option<i64>,
    pub row_version: i64,
}

/// A new request from a department to the PR office (美祢市 第4-2(3)).
#[derive(Clone, Debug)]
pub struct NewDepartmentRequest {
    pub department_id: DepartmentId,
    pub submitted_by: PersonId,
    pub title: String,
    pub body: String,
    pub desired_at: Option<i64>,
}

/// A department's request and the PR office's decision on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentRequest {
    pub id: RequestId,
    pub municipality_id: MunicipalityId,
    pub department_id: DepartmentId,
    pub submitted_by: PersonId,
    pub title: String,
    pub body: String,
    pub desired_at: Option<i64>,
    pub status: RequestStatus,
    pub decided_by: Option<PersonId>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
    pub post_id: Option<PostId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub row_version: i64,
}

/// A new message to one person.
#[derive(Clone, Debug)]
pub struct NewNotification {
    pub person_id: PersonId,
    /// e.g. `post-expired`, `post-hoc-report`, `request-declined`.
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    /// Japanese text for the person.
    pub message: String,
    pub clause_label: Option<String>,
}

/// A message to one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub municipality_id: MunicipalityId,
    pub person_id: PersonId,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub message: String,
    pub clause_label: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}
