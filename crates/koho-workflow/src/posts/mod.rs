//! Posts: drafted once for one or more official accounts, checked on every save, cleared
//! for publication the way the municipality's guideline says (approval, an exception with
//! its reason, or no approval needed), scheduled in the municipality's time zone, handed to
//! the publisher when due, corrected in the open and listed in the public archive.
//!
//! Every step runs in one store transaction with an audit entry citing the clause that
//! drives it. Nothing here reads a clock; nothing here talks to a platform: the publisher
//! asks [`Workflow::due_targets`] and reports back through [`Workflow::record_published`],
//! [`Workflow::record_failed`], [`Workflow::record_unconfirmed`], [`Workflow::record_missed`]
//! and [`Workflow::record_deleted`].

pub mod archive;
pub mod error;
pub mod images;
pub mod rules;
pub mod state;
pub mod tz;
pub mod views;

use std::collections::BTreeMap;

use koho_guideline::{OriginalHandling, RoleKind};
use koho_store::{
    AccountId, AccountState, Actor, DecisionKind, DepartmentId, DepartmentRequest, NewAuditEntry,
    NewDepartmentRequest, NewNotification, NewPost, NewPostDecision, NewPostHocReport,
    NewPostImage, NewPostVersion, Notification, OfficialAccount, Person, PersonId, Post,
    PostDecision, PostHocReport, PostId, PostImage, PostKind, PostState, PostTarget, PostTargetId,
    PostVersion, RequestId, RequestStatus, Role, StoreError, Subject, TargetState, Tx,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::Workflow;
use crate::error::{Denial, WorkflowError};
use crate::roles;
use crate::time::DAY_MS;

pub use archive::{ArchiveEntry, ArchiveLink, ArchiveRef, FeedInfo, render_atom};
pub use error::{BlockingFinding, PostError};
pub use images::{ImageUpload, platform_limits};
pub use rules::{Clearance, DEFAULT_MISSED_AFTER_MINUTES, clearance};
pub use state::{PostAction, next_post_state, next_target_state};

type Result<T, E = PostError> = std::result::Result<T, E>;

/// Audit subject kinds of the posting workflow.
pub mod subject {
    pub const POST: &str = "post";
    pub const TARGET: &str = "post_target";
    pub const REQUEST: &str = "department_request";
    pub const REPORT: &str = "post_hoc_report";
}

/// A new post as staff write it.
#[derive(Clone, Debug, Default)]
pub struct PostDraft {
    /// `Original` or `Share`; corrections are made with [`Workflow::correct_post`].
    pub kind: Option<PostKind>,
    pub accounts: Vec<AccountId>,
    pub body: String,
    /// Per-platform texts (platform id → text) where the common one does not fit.
    pub variants: BTreeMap<String, String>,
    /// The guideline's `required_for` matters the post touches (美祢市 第4-6).
    pub matters: Vec<String>,
    pub share_category: Option<String>,
    pub share_url: Option<String>,
    /// When to publish (Unix ms); `None`: as soon as it is cleared.
    pub publish_at: Option<i64>,
    /// Images, in order (checked, and stored without location metadata).
    pub images: Vec<ImageUpload>,
}

/// A change to a post's text or accounts: a new version, checked again.
#[derive(Clone, Debug, Default)]
pub struct PostEdit {
    pub body: String,
    pub apology: Option<String>,
    pub variants: BTreeMap<String, String>,
    /// `None` keeps the accounts.
    pub accounts: Option<Vec<AccountId>>,
    /// `None` keeps the matters.
    pub matters: Option<Vec<String>>,
    /// `None` keeps the images of the current version; `Some` replaces them.
    pub images: Option<Vec<ImageUpload>>,
}

/// A correction of a published post.
#[derive(Clone, Debug, Default)]
pub struct CorrectionDraft {
    pub body: String,
    pub apology: Option<String>,
    pub variants: BTreeMap<String, String>,
    pub images: Vec<ImageUpload>,
}

/// An exception chosen at submission, with the reason recorded (高鍋町 3.8).
#[derive(Clone, Debug)]
pub struct ExceptionChoice {
    pub id: String,
    pub reason: String,
}

/// One post on one account, with the account's name.
#[derive(Clone, Debug, Serialize)]
pub struct TargetView {
    #[serde(flatten)]
    pub target: PostTarget,
    pub platform: String,
    pub handle: String,
    pub display_name: String,
    pub state_label: &'static str,
}

/// Everything about one post.
#[derive(Clone, Debug, Serialize)]
pub struct PostView {
    pub post: Post,
    pub state_label: &'static str,
    pub version: PostVersion,
    /// The current version's images (by digest; the bytes stay in the store).
    pub images: Vec<PostImage>,
    pub targets: Vec<TargetView>,
    pub decisions: Vec<PostDecision>,
    pub report: Option<PostHocReport>,
    pub allowed_actions: Vec<PostAction>,
    /// Whether the current version has error findings not yet overridden.
    pub blocked: bool,
}

/// A target the publisher should send now.
#[derive(Clone, Debug, Serialize)]
pub struct DueTarget {
    pub target: PostTarget,
    pub post_id: PostId,
    pub kind: PostKind,
    pub account: OfficialAccount,
    /// The text for this platform (variant, with a correction's apology).
    pub text: String,
    /// For a share: what is shared.
    pub share_url: Option<String>,
    /// For a correction: the original's id on this account's platform.
    pub corrects_remote_id: Option<String>,
    /// The version's images, stripped of location metadata.
    pub images: Vec<PostImage>,
    /// Published under the guideline's emergency exception (a post-hoc report is due):
    /// it goes out ahead of everything else.
    pub emergency: bool,
    /// Not before this time (Unix ms): the target's time.
    pub not_before: i64,
    /// Not after this time: `missed_after_minutes` after the target's time.
    pub deadline: i64,
}

/// How a publish job ended, as its post target records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetOutcome {
    Published {
        remote_id: String,
        url: Option<String>,
    },
    /// Refused for good by the platform (or out of attempts).
    Failed { error: String },
    /// It may or may not be public: a person must look before re-posting.
    Unconfirmed { detail: String },
    /// Not sent within the guideline's window: never published late.
    Missed,
}

impl TargetOutcome {
    /// The target state this outcome leads to.
    pub fn state(&self) -> TargetState {
        match self {
            TargetOutcome::Published { .. } => TargetState::Published,
            TargetOutcome::Failed { .. } => TargetState::Failed,
            TargetOutcome::Unconfirmed { .. } => TargetState::Unconfirmed,
            TargetOutcome::Missed => TargetState::Missed,
        }
    }
}

/// What [`Workflow::sweep_posts`] did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SweepSummary {
    pub expired: Vec<PostId>,
    pub missed: Vec<PostTargetId>,
    pub reminded: Vec<PostId>,
}

fn person_nf<T>(r: std::result::Result<T, StoreError>, what: &'static str, key: &str) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(StoreError::NotFound { .. }) => Err(PostError::Workflow(WorkflowError::NotFound {
            what,
            key: key.to_owned(),
        })),
        Err(e) => Err(e.into()),
    }
}

fn department_scoped(kind: RoleKind) -> bool {
    matches!(
        kind,
        RoleKind::Staff | RoleKind::SectionChief | RoleKind::AccountManager | RoleKind::Contractor
    )
}

/// Store roles that may write posts.
const AUTHOR_ROLES: &[Role] = &[
    Role::Staff,
    Role::SectionChief,
    Role::AccountManager,
    Role::PrOffice,
    Role::PrOfficeChief,
    Role::Contractor,
];

fn postable(state: AccountState) -> bool {
    matches!(state, AccountState::Active | AccountState::Grandfathered)
}

fn variants_json(v: &BTreeMap<String, String>) -> Result<Value> {
    for p in v.keys() {
        if koho_guideline::Platform::from_id(p).is_none() {
            return Err(PostError::Invalid {
                field: "variants",
                ja: format!("媒体「{p}」は koho の知らない媒体です"),
                en: format!("unknown platform `{p}` in variants"),
            });
        }
    }
    Ok(json!(v))
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Error findings of a stored version, as the submission refusal lists them.
fn stored_blocking(version: &PostVersion) -> Vec<BlockingFinding> {
    let mut out = Vec::new();
    let Some(platforms) = version.diagnostics["platforms"].as_array() else {
        return out;
    };
    for p in platforms {
        let platform = p["platform"].as_str().map(str::to_owned);
        for d in p["diagnostics"].as_array().into_iter().flatten() {
            if d["severity"] == "error" {
                out.push(BlockingFinding {
                    platform: platform.clone(),
                    rule: d["rule"].as_str().unwrap_or_default().to_owned(),
                    message: d["message"].as_str().unwrap_or_default().to_owned(),
                    clauses: d["clauses"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c["clause"].as_str().map(str::to_owned))
                        .collect(),
                });
            }
        }
    }
    out
}

impl Workflow {
    fn post_entry(
        &self,
        by: &Actor,
        action: &str,
        kind: &str,
        id: &str,
        clause: Option<&str>,
    ) -> NewAuditEntry {
        let e = NewAuditEntry::new(by.clone(), action, Subject::new(kind, id));
        match clause {
            Some(c) => e.clause(self.guideline().id.clone(), c),
            None => e,
        }
    }

    async fn begin_tx(&self) -> Result<Tx> {
        Ok(self.store().begin(self.tenant()).await?)
    }

    async fn person_of(tx: &mut Tx, id: &PersonId) -> Result<Person> {
        person_nf(tx.people().get(id).await, "person", id.as_str())
    }

    async fn post_of(tx: &mut Tx, id: &PostId) -> Result<Post> {
        person_nf(tx.posts().get(id).await, "post", id.as_str())
    }

    async fn target_of(tx: &mut Tx, id: &PostTargetId) -> Result<PostTarget> {
        person_nf(tx.posts().target(id).await, "post target", id.as_str())
    }

    /// Refuses unless `person` holds one of the guideline roles, within `department` for
    /// department-bound kinds (a section chief approves their own section's posts).
    fn require_role(
        &self,
        person: &Person,
        role_ids: &[&str],
        department: Option<&DepartmentId>,
        action: &str,
        clause: Option<&str>,
    ) -> Result<()> {
        let g = self.guideline();
        roles::require_any(g, person, role_ids, action, clause)?;
        let in_scope = role_ids.iter().any(|id| {
            g.role(id).is_some_and(|r| {
                person.has_role(roles::store_role(r.kind))
                    && (!department_scoped(r.kind)
                        || department.is_none()
                        || person.department_id.as_ref() == department)
            })
        });
        if in_scope {
            return Ok(());
        }
        Err(PostError::Workflow(WorkflowError::NotAuthorized(Box::new(
            Denial {
                person: person.display_name.clone(),
                action: action.to_owned(),
                role_id: role_ids.first().copied().unwrap_or_default().to_owned(),
                role_name: format!(
                    "{}（当該所属の方に限る）",
                    role_ids
                        .iter()
                        .filter_map(|id| g.role(id).map(|r| r.name.clone()))
                        .collect::<Vec<_>>()
                        .join("」または「")
                ),
                guideline: g.id.clone(),
                clause: clause.map(str::to_owned),
            },
        ))))
    }

    /// Refuses unless `person` may write posts for every account in `accounts`: an active
    /// author of the owning department, or the PR office for any account.
    fn require_author(&self, person: &Person, accounts: &[OfficialAccount]) -> Result<()> {
        if !person.active {
            return Err(PostError::Workflow(WorkflowError::InactivePerson {
                person: person.display_name.clone(),
            }));
        }
        if !AUTHOR_ROLES.iter().any(|r| person.has_role(*r)) {
            return Err(PostError::Workflow(WorkflowError::NotAuthorized(Box::new(
                Denial {
                    person: person.display_name.clone(),
                    action: "投稿の作成".to_owned(),
                    role_id: "staff".to_owned(),
                    role_name: "職員（担当者）".to_owned(),
                    guideline: self.guideline().id.clone(),
                    clause: None,
                },
            ))));
        }
        let pr = person.has_role(Role::PrOffice) || person.has_role(Role::PrOfficeChief);
        for a in accounts {
            if !pr
                && a.fields.department_id.is_some()
                && a.fields.department_id != person.department_id
            {
                return Err(PostError::OtherDepartment {
                    person: person.display_name.clone(),
                    account: a.fields.handle.clone(),
                });
            }
        }
        Ok(())
    }

    async fn postable_accounts(tx: &mut Tx, ids: &[AccountId]) -> Result<Vec<OfficialAccount>> {
        if ids.is_empty() {
            return Err(PostError::NoTargets);
        }
        let mut out: Vec<OfficialAccount> = Vec::new();
        for id in ids {
            let a = person_nf(tx.accounts().get(id).await, "account", id.as_str())?;
            if !postable(a.state) {
                return Err(PostError::AccountNotPostable {
                    account: a.fields.handle.clone(),
                    state: crate::state::state_label(a.state).to_owned(),
                });
            }
            if !out.iter().any(|o| o.id == a.id) {
                out.push(a);
            }
        }
        Ok(out)
    }

    async fn accounts_of_targets(
        tx: &mut Tx,
        targets: &[PostTarget],
    ) -> Result<Vec<OfficialAccount>> {
        let mut out = Vec::new();
        for t in targets {
            out.push(person_nf(
                tx.accounts().get(&t.account_id).await,
                "account",
                t.account_id.as_str(),
            )?);
        }
        Ok(out)
    }

    /// People holding the guideline role `role_id`, within `department` for
    /// department-bound kinds.
    async fn holders(
        &self,
        tx: &mut Tx,
        role_id: &str,
        department: Option<&DepartmentId>,
    ) -> Result<Vec<Person>> {
        let g = self.guideline();
        let Some(role) = g.role(role_id) else {
            return Ok(Vec::new());
        };
        let store_role = roles::store_role(role.kind);
        let people = tx.people().list().await?;
        Ok(people
            .into_iter()
            .filter(|p| {
                p.active
                    && p.has_role(store_role)
                    && (!department_scoped(role.kind)
                        || department.is_none()
                        || p.department_id.as_ref() == department)
            })
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    async fn notify_all(
        &self,
        tx: &mut Tx,
        people: &[Person],
        kind: &str,
        subject_type: &str,
        subject_id: &str,
        message: &str,
        clause: Option<&str>,
    ) -> Result<()> {
        for p in people {
            tx.posts()
                .notify(&NewNotification {
                    person_id: p.id.clone(),
                    kind: kind.to_owned(),
                    subject_type: subject_type.to_owned(),
                    subject_id: subject_id.to_owned(),
                    message: message.to_owned(),
                    clause_label: clause.map(str::to_owned),
                })
                .await?;
        }
        Ok(())
    }

    async fn view_in(&self, tx: &mut Tx, id: &PostId) -> Result<PostView> {
        let post = Self::post_of(tx, id).await?;
        let version = tx.posts().version(&post.id, post.version).await?;
        let images = tx.posts().images(&post.id, post.version).await?;
        let targets = tx.posts().targets(&post.id).await?;
        let decisions = tx.posts().decisions(&post.id).await?;
        let report = tx.posts().report_for(&post.id).await?;
        let mut views = Vec::new();
        for t in targets {
            let a = tx.accounts().get(&t.account_id).await?;
            views.push(TargetView {
                state_label: state::target_state_label(t.state),
                platform: a.fields.platform.to_string(),
                handle: a.fields.handle.clone(),
                display_name: a.fields.display_name.clone(),
                target: t,
            });
        }
        let overridden = decisions
            .iter()
            .any(|d| d.kind == DecisionKind::Override && d.version == version.version);
        Ok(PostView {
            state_label: state::post_state_label(post.state),
            allowed_actions: state::allowed_post_actions(post.state),
            blocked: version.error_count > 0 && !overridden,
            post,
            version,
            images,
            targets: views,
            decisions,
            report,
        })
    }

    /// One post with its current version, targets, decisions and report.
    pub async fn post(&self, id: &PostId) -> Result<PostView> {
        let mut tx = self.begin_tx().await?;
        let v = self.view_in(&mut tx, id).await?;
        tx.rollback().await?;
        Ok(v)
    }

    /// Posts, newest first.
    pub async fn posts(&self, state: Option<PostState>) -> Result<Vec<Post>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts().list(state).await?)
    }

    /// Every version of a post.
    pub async fn post_versions(&self, id: &PostId) -> Result<Vec<PostVersion>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts().versions(id).await?)
    }

    /// A person's notifications, newest first.
    pub async fn notifications(&self, person: &PersonId) -> Result<Vec<Notification>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts().notifications(person).await?)
    }

    /// Department requests, newest first.
    pub async fn requests(&self) -> Result<Vec<DepartmentRequest>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts().requests().await?)
    }

    fn platforms(accounts: &[OfficialAccount]) -> Vec<String> {
        accounts
            .iter()
            .map(|a| a.fields.platform.to_string())
            .collect()
    }

    /// The accounts' texts published within the repeated-post window (狛江市 4(4)イ), with
    /// their age in days, leaving out `exclude`. Empty when the guideline has no such check.
    async fn history(
        &self,
        tx: &mut Tx,
        accounts: &[OfficialAccount],
        now: i64,
        exclude: Option<&PostId>,
    ) -> Result<Vec<(String, u32)>> {
        let g = self.guideline();
        let Some(rule) = g.check(koho_guideline::Category::RepeatedPost) else {
            return Ok(Vec::new());
        };
        let window = i64::from(rule.options.window_days.unwrap_or(7)) * DAY_MS;
        let mut seen: Vec<PostId> = Vec::new();
        let mut out = Vec::new();
        for t in tx.posts().published_targets(500).await? {
            let at = t.published_at.unwrap_or(now);
            if at < now - window
                || exclude == Some(&t.post_id)
                || !accounts.iter().any(|a| a.id == t.account_id)
                || seen.contains(&t.post_id)
            {
                continue;
            }
            seen.push(t.post_id.clone());
            let post = tx.posts().get(&t.post_id).await?;
            let v = tx.posts().version(&post.id, post.version).await?;
            let days = u32::try_from((now - at).max(0) / DAY_MS).unwrap_or(u32::MAX);
            out.push((v.body, days));
        }
        Ok(out)
    }

    // ------------------------------------------------------------------------------------
    // drafting

    /// Writes a new post (version 1, checked) for one or more accounts.
    pub async fn draft_post(&self, draft: &PostDraft, by: &PersonId, now: i64) -> Result<PostView> {
        let g = self.guideline();
        let kind = draft.kind.unwrap_or(PostKind::Original);
        if kind == PostKind::Correction {
            return Err(PostError::Invalid {
                field: "kind",
                ja: "訂正は公開済みの投稿から作成してください（koho post correct）".to_owned(),
                en: "corrections are made from a published post".to_owned(),
            });
        }
        if kind == PostKind::Share {
            rules::check_share(g, draft.share_category.as_deref())?;
        }
        rules::check_matters(g, &draft.matters)?;
        if draft.publish_at.is_some_and(|t| t <= now) {
            return Err(PostError::TimePassed);
        }
        let variants = variants_json(&draft.variants)?;
        let mut tx = self.begin_tx().await?;
        let person = Self::person_of(&mut tx, by).await?;
        let accounts = Self::postable_accounts(&mut tx, &draft.accounts).await?;
        self.require_author(&person, &accounts)?;
        let images = images::prepare(&draft.images, &Self::platforms(&accounts))?;
        let checked = rules::run_checker(
            g,
            &draft.body,
            None,
            &variants,
            &Self::platforms(&accounts),
            &self.history(&mut tx, &accounts, now, None).await?,
            &images.facts,
        )?;
        let post = tx
            .posts()
            .create(&NewPost {
                kind,
                corrects_post_id: None,
                share_category: clean(draft.share_category.as_deref()),
                share_url: clean(draft.share_url.as_deref()),
                request_id: None,
                department_id: person.department_id.clone(),
                author_id: person.id.clone(),
                matters: draft.matters.clone(),
                publish_at: draft.publish_at,
            })
            .await?;
        self.write_version(
            &mut tx,
            &post,
            &draft.body,
            None,
            variants,
            &checked,
            &person,
            images.store,
        )
        .await?;
        for a in &accounts {
            tx.posts().add_target(&post.id, &a.id).await?;
        }
        let view = self.view_in(&mut tx, &post.id).await?;
        let clause = if kind == PostKind::Share {
            g.content
                .shares
                .first()
                .and_then(|s| s.clauses.last().cloned())
        } else {
            None
        };
        let e = self
            .post_entry(&Actor::Person(person.id.clone()), "post.draft", subject::POST, post.id.as_str(), clause.as_deref())
            .after(&json!({"post": view.post, "version": view.version.version, "errors": view.version.error_count}))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(view)
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_version(
        &self,
        tx: &mut Tx,
        post: &Post,
        body: &str,
        apology: Option<String>,
        variants: Value,
        checked: &rules::CheckOutcome,
        person: &Person,
        images: Vec<NewPostImage>,
    ) -> Result<PostVersion> {
        Ok(tx
            .posts()
            .add_version(&NewPostVersion {
                post_id: post.id.clone(),
                body: body.to_owned(),
                apology,
                variants,
                diagnostics: checked.json.clone(),
                error_count: i64::try_from(checked.blocking.len()).unwrap_or(i64::MAX),
                author_id: person.id.clone(),
                images,
            })
            .await?)
    }

    /// Saves a new version. An approved post that has not gone out goes back for approval
    /// (its approval was for the old text).
    pub async fn edit_post(
        &self,
        id: &PostId,
        edit: &PostEdit,
        by: &PersonId,
        now: i64,
    ) -> Result<PostView> {
        let g = self.guideline();
        let variants = variants_json(&edit.variants)?;
        if let Some(m) = &edit.matters {
            rules::check_matters(g, m)?;
        }
        let mut tx = self.begin_tx().await?;
        let mut post = Self::post_of(&mut tx, id).await?;
        let before = post.clone();
        let to = next_post_state(post.state, PostAction::Edit)?;
        let targets = tx.posts().targets(&post.id).await?;
        if targets.iter().any(|t| state::target_left(t.state)) {
            return Err(PostError::AlreadySent {
                post: post.id.to_string(),
            });
        }
        let person = Self::person_of(&mut tx, by).await?;
        let account_ids: Vec<AccountId> = match &edit.accounts {
            Some(a) => a.clone(),
            None => targets.iter().map(|t| t.account_id.clone()).collect(),
        };
        let accounts = Self::postable_accounts(&mut tx, &account_ids).await?;
        self.require_author(&person, &accounts)?;
        if post.kind == PostKind::Correction
            && let Some(c) = &g.correction
            && c.apology
            && clean(edit.apology.as_deref()).is_none()
        {
            return Err(PostError::ApologyRequired {
                guideline: g.id.clone(),
                clause: c.clauses.first().cloned().unwrap_or_default(),
            });
        }
        let apology = clean(edit.apology.as_deref());
        let history = self
            .history(&mut tx, &accounts, now, Some(&post.id))
            .await?;
        let images = match &edit.images {
            Some(uploads) => images::prepare(uploads, &Self::platforms(&accounts))?,
            None => images::carry_over(
                &tx.posts().images(&post.id, post.version).await?,
                &Self::platforms(&accounts),
            )?,
        };
        let checked = rules::run_checker(
            g,
            &edit.body,
            apology.as_deref(),
            &variants,
            &Self::platforms(&accounts),
            &history,
            &images.facts,
        )?;
        let was_approved = post.state == PostState::Approved;
        self.write_version(
            &mut tx,
            &post,
            &edit.body,
            apology,
            variants,
            &checked,
            &person,
            images.store,
        )
        .await?;
        post = Self::post_of(&mut tx, id).await?;
        post.state = to;
        post.approval_basis = None;
        post.exception_id = None;
        post.exception_reason = None;
        if let Some(m) = &edit.matters {
            post.matters = m.clone();
        }
        let post = tx.posts().update(&post).await?;
        for t in targets {
            if !accounts.iter().any(|a| a.id == t.account_id) {
                if t.state == TargetState::Scheduled {
                    let mut w = t.clone();
                    w.state = next_target_state(t.state, TargetState::Waiting)?;
                    w.publish_at = None;
                    tx.posts().update_target(&w).await?;
                }
                tx.posts().remove_target(&t.id).await?;
            } else if t.state == TargetState::Scheduled {
                let mut w = t.clone();
                w.state = next_target_state(t.state, TargetState::Waiting)?;
                w.publish_at = None;
                tx.posts().update_target(&w).await?;
            }
        }
        for a in &accounts {
            let existing = tx.posts().targets(&post.id).await?;
            if !existing.iter().any(|t| t.account_id == a.id) {
                tx.posts().add_target(&post.id, &a.id).await?;
            }
        }
        let clause = if was_approved {
            g.post_approval.clauses.first().map(String::as_str)
        } else {
            None
        };
        let action = if was_approved {
            "post.edit.reapproval"
        } else {
            "post.edit"
        };
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                action,
                subject::POST,
                post.id.as_str(),
                clause,
            )
            .before(&before)?
            .after(&post)?;
        tx.audit().append(&e).await?;
        let view = self.view_in(&mut tx, &post.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The approver lets the current version's error findings through, with a reason citing
    /// a clause of the guideline (recorded as a decision on that version).
    pub async fn override_findings(
        &self,
        id: &PostId,
        by: &PersonId,
        reason: &str,
        clause: &str,
        now: i64,
    ) -> Result<PostDecision> {
        let g = self.guideline();
        let clause = clause.trim();
        if g.clause(clause).is_none() {
            return Err(PostError::UnknownClause {
                guideline: g.id.clone(),
                clause: clause.to_owned(),
            });
        }
        let reason = clean(Some(reason)).ok_or_else(|| PostError::ReasonRequired {
            what: "事前チェックの上書き",
            guideline: g.id.clone(),
            clause: Some(clause.to_owned()),
        })?;
        let mut tx = self.begin_tx().await?;
        let post = Self::post_of(&mut tx, id).await?;
        if !matches!(post.state, PostState::Draft | PostState::Submitted) {
            return Err(PostError::IllegalTransition {
                from: post.state,
                action: PostAction::Submit,
            });
        }
        let version = tx.posts().version(&post.id, post.version).await?;
        let person = Self::person_of(&mut tx, by).await?;
        if person.id == post.author_id || person.id == version.author_id {
            return Err(PostError::SelfApproval {
                person: person.display_name,
            });
        }
        self.require_role(
            &person,
            &[g.post_approval.approver.as_str()],
            post.department_id.as_ref(),
            "事前チェックの上書き",
            Some(clause),
        )?;
        let d = tx
            .posts()
            .add_decision(&NewPostDecision {
                post_id: post.id.clone(),
                version: post.version,
                kind: DecisionKind::Override,
                decided_by: person.id.clone(),
                exception_id: None,
                reason: Some(reason),
                clause_label: Some(clause.to_owned()),
                decided_at: now,
            })
            .await?;
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.override",
                subject::POST,
                post.id.as_str(),
                Some(clause),
            )
            .after(&json!({"decision": d, "findings": stored_blocking(&version)}))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Submits a draft. Error findings block unless overridden. Where the guideline needs
    /// approval the post waits for the approver; under an exception (with its reason) or
    /// where no approval is needed it is cleared at once, and an emergency post goes out at
    /// once with a post-hoc report to acknowledge.
    pub async fn submit_post(
        &self,
        id: &PostId,
        by: &PersonId,
        exception: Option<&ExceptionChoice>,
        now: i64,
    ) -> Result<PostView> {
        let g = self.guideline();
        let mut tx = self.begin_tx().await?;
        let mut post = Self::post_of(&mut tx, id).await?;
        let before = post.clone();
        next_post_state(post.state, PostAction::Submit)?;
        let person = Self::person_of(&mut tx, by).await?;
        let targets = tx.posts().targets(&post.id).await?;
        let accounts = Self::accounts_of_targets(&mut tx, &targets).await?;
        self.require_author(&person, &accounts)?;
        let version = tx.posts().version(&post.id, post.version).await?;
        if version.error_count > 0 {
            let overridden = tx
                .posts()
                .decisions(&post.id)
                .await?
                .iter()
                .any(|d| d.kind == DecisionKind::Override && d.version == version.version);
            if !overridden {
                return Err(PostError::CheckErrors {
                    guideline: g.id.clone(),
                    findings: stored_blocking(&version),
                });
            }
        }
        let clearance = clearance(
            g,
            &accounts,
            &post.matters,
            exception.map(|e| e.id.as_str()),
        )?;
        let actor = Actor::Person(person.id.clone());
        let emergency_role = match &clearance {
            Clearance::Exception {
                post_hoc_report_to, ..
            } => post_hoc_report_to.clone(),
            _ => None,
        };
        // An emergency post goes out now whatever time was set; anything else must still
        // be in time.
        if emergency_role.is_none() && post.publish_at.is_some_and(|t| t <= now) {
            return Err(PostError::TimePassed);
        }
        let clause = clearance.clause().map(str::to_owned);
        let action;
        match &clearance {
            Clearance::Approval { .. } => {
                post.state = next_post_state(post.state, PostAction::Submit)?;
                post.approval_basis = Some("approval".to_owned());
                post = tx.posts().update(&post).await?;
                let approvers = self
                    .holders(
                        &mut tx,
                        &g.post_approval.approver,
                        post.department_id.as_ref(),
                    )
                    .await?;
                let approvers: Vec<Person> = approvers
                    .into_iter()
                    .filter(|p| p.id != post.author_id)
                    .collect();
                self.notify_all(
                    &mut tx,
                    &approvers,
                    "post-approval-requested",
                    subject::POST,
                    post.id.as_str(),
                    &format!(
                        "{} さんの投稿が承認を待っています（{} {}）",
                        person.display_name,
                        g.id,
                        clause.as_deref().unwrap_or("-")
                    ),
                    clause.as_deref(),
                )
                .await?;
                action = "post.submit";
            }
            Clearance::Exception { .. } | Clearance::NotRequired { .. } => {
                let (kind, exc_id, reason) = match &clearance {
                    Clearance::Exception { id: exc, .. } => {
                        let reason =
                            exception
                                .and_then(|e| clean(Some(&e.reason)))
                                .ok_or_else(|| PostError::ReasonRequired {
                                    what: "承認の例外の適用",
                                    guideline: g.id.clone(),
                                    clause: clause.clone(),
                                })?;
                        (DecisionKind::Exception, Some(exc.clone()), Some(reason))
                    }
                    _ => (DecisionKind::NotRequired, None, None),
                };
                post.state = next_post_state(post.state, PostAction::Clear)?;
                post.approval_basis = Some(clearance.basis().to_owned());
                post.exception_id = exc_id.clone();
                post.exception_reason = reason.clone();
                if emergency_role.is_some() {
                    post.publish_at = Some(now);
                }
                post = tx.posts().update(&post).await?;
                tx.posts()
                    .add_decision(&NewPostDecision {
                        post_id: post.id.clone(),
                        version: post.version,
                        kind,
                        decided_by: person.id.clone(),
                        exception_id: exc_id.clone(),
                        reason: reason.clone(),
                        clause_label: clause.clone(),
                        decided_at: now,
                    })
                    .await?;
                self.schedule_targets(&mut tx, &post, now).await?;
                if let Some(role) = &emergency_role {
                    let report = tx
                        .posts()
                        .create_report(&NewPostHocReport {
                            post_id: post.id.clone(),
                            report_to_role: role.clone(),
                            exception_id: exc_id.clone().unwrap_or_default(),
                            reason: reason.clone().unwrap_or_default(),
                            reported_by: person.id.clone(),
                            next_reminder_at: Some(now + DAY_MS),
                        })
                        .await?;
                    let chiefs = self
                        .holders(&mut tx, role, post.department_id.as_ref())
                        .await?;
                    self.notify_all(
                        &mut tx,
                        &chiefs,
                        "post-hoc-report",
                        subject::POST,
                        post.id.as_str(),
                        &format!(
                            "緊急のため承認を経ずに投稿されました。事後報告を確認し了承してください（{} {}）。理由: {}",
                            g.id,
                            clause.as_deref().unwrap_or("-"),
                            report.reason
                        ),
                        clause.as_deref(),
                    )
                    .await?;
                    let e = self
                        .post_entry(
                            &actor,
                            "post.report.open",
                            subject::REPORT,
                            report.id.as_str(),
                            clause.as_deref(),
                        )
                        .after(&report)?;
                    tx.audit().append(&e).await?;
                }
                action = if emergency_role.is_some() {
                    "post.clear.emergency"
                } else if kind == DecisionKind::Exception {
                    "post.clear.exception"
                } else {
                    "post.clear.not-required"
                };
            }
        }
        let e = self
            .post_entry(
                &actor,
                action,
                subject::POST,
                post.id.as_str(),
                clause.as_deref(),
            )
            .before(&before)?
            .after(&post)?;
        tx.audit().append(&e).await?;
        let view = self.view_in(&mut tx, &post.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn schedule_targets(&self, tx: &mut Tx, post: &Post, now: i64) -> Result<()> {
        for t in tx.posts().targets(&post.id).await? {
            if t.state == TargetState::Waiting {
                let mut s = t.clone();
                s.state = next_target_state(t.state, TargetState::Scheduled)?;
                s.publish_at = Some(post.publish_at.unwrap_or(now));
                tx.posts().update_target(&s).await?;
            }
        }
        Ok(())
    }

    /// The approver approves the submitted version. Nobody approves their own post.
    pub async fn approve_post(
        &self,
        id: &PostId,
        by: &PersonId,
        note: Option<&str>,
        now: i64,
    ) -> Result<PostView> {
        self.decide_post(id, by, true, note, now).await
    }

    /// The approver sends the post back with a reason; its author is told.
    pub async fn reject_post(
        &self,
        id: &PostId,
        by: &PersonId,
        reason: &str,
        now: i64,
    ) -> Result<PostView> {
        self.decide_post(id, by, false, Some(reason), now).await
    }

    async fn decide_post(
        &self,
        id: &PostId,
        by: &PersonId,
        approve: bool,
        note: Option<&str>,
        now: i64,
    ) -> Result<PostView> {
        let g = self.guideline();
        let mut tx = self.begin_tx().await?;
        let mut post = Self::post_of(&mut tx, id).await?;
        let before = post.clone();
        let action = if approve {
            PostAction::Approve
        } else {
            PostAction::Reject
        };
        let to = next_post_state(post.state, action)?;
        let version = tx.posts().version(&post.id, post.version).await?;
        let person = Self::person_of(&mut tx, by).await?;
        let targets = tx.posts().targets(&post.id).await?;
        let accounts = Self::accounts_of_targets(&mut tx, &targets).await?;
        let clause = clearance(g, &accounts, &post.matters, None)?
            .clause()
            .map(str::to_owned);
        if person.id == post.author_id || person.id == version.author_id {
            return Err(PostError::SelfApproval {
                person: person.display_name,
            });
        }
        self.require_role(
            &person,
            &[g.post_approval.approver.as_str()],
            post.department_id.as_ref(),
            if approve {
                "投稿の承認"
            } else {
                "投稿の差戻し"
            },
            clause.as_deref(),
        )?;
        let reason = clean(note);
        if !approve && reason.is_none() {
            return Err(PostError::ReasonRequired {
                what: "差戻し",
                guideline: g.id.clone(),
                clause,
            });
        }
        if approve && post.publish_at.is_some_and(|t| t <= now) {
            return Err(PostError::TimePassed);
        }
        post.state = to;
        let post = tx.posts().update(&post).await?;
        tx.posts()
            .add_decision(&NewPostDecision {
                post_id: post.id.clone(),
                version: post.version,
                kind: if approve {
                    DecisionKind::Approve
                } else {
                    DecisionKind::Reject
                },
                decided_by: person.id.clone(),
                exception_id: None,
                reason: reason.clone(),
                clause_label: clause.clone(),
                decided_at: now,
            })
            .await?;
        if approve {
            self.schedule_targets(&mut tx, &post, now).await?;
        } else {
            let author = Self::person_of(&mut tx, &post.author_id).await?;
            self.notify_all(
                &mut tx,
                &[author],
                "post-rejected",
                subject::POST,
                post.id.as_str(),
                &format!(
                    "投稿が差し戻されました。理由: {}",
                    reason.as_deref().unwrap_or_default()
                ),
                clause.as_deref(),
            )
            .await?;
        }
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                if approve {
                    "post.approve"
                } else {
                    "post.reject"
                },
                subject::POST,
                post.id.as_str(),
                clause.as_deref(),
            )
            .before(&before)?
            .after(&json!({"post": post, "reason": reason}))?;
        tx.audit().append(&e).await?;
        let view = self.view_in(&mut tx, &post.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Sets or clears the time a post goes out (`None`: as soon as it is cleared).
    pub async fn schedule_post(
        &self,
        id: &PostId,
        by: &PersonId,
        at: Option<i64>,
        now: i64,
    ) -> Result<PostView> {
        if at.is_some_and(|t| t <= now) {
            return Err(PostError::TimePassed);
        }
        let mut tx = self.begin_tx().await?;
        let mut post = Self::post_of(&mut tx, id).await?;
        let before = post.clone();
        if !matches!(
            post.state,
            PostState::Draft | PostState::Submitted | PostState::Approved
        ) {
            return Err(PostError::IllegalTransition {
                from: post.state,
                action: PostAction::Edit,
            });
        }
        let person = Self::person_of(&mut tx, by).await?;
        let targets = tx.posts().targets(&post.id).await?;
        if targets.iter().any(|t| state::target_left(t.state)) {
            return Err(PostError::AlreadySent {
                post: post.id.to_string(),
            });
        }
        let accounts = Self::accounts_of_targets(&mut tx, &targets).await?;
        self.require_author(&person, &accounts)?;
        post.publish_at = at;
        let post = tx.posts().update(&post).await?;
        for t in targets
            .into_iter()
            .filter(|t| t.state == TargetState::Scheduled)
        {
            let mut s = t;
            s.publish_at = Some(at.unwrap_or(now));
            tx.posts().update_target(&s).await?;
        }
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.schedule",
                subject::POST,
                post.id.as_str(),
                None,
            )
            .before(&before)?
            .after(&post)?;
        tx.audit().append(&e).await?;
        let view = self.view_in(&mut tx, &post.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Gives up a post that has not gone out.
    pub async fn withdraw_post(&self, id: &PostId, by: &PersonId, _now: i64) -> Result<PostView> {
        let mut tx = self.begin_tx().await?;
        let mut post = Self::post_of(&mut tx, id).await?;
        let before = post.clone();
        post.state = next_post_state(post.state, PostAction::Withdraw)?;
        let targets = tx.posts().targets(&post.id).await?;
        if targets.iter().any(|t| state::target_left(t.state)) {
            return Err(PostError::AlreadySent {
                post: post.id.to_string(),
            });
        }
        let person = Self::person_of(&mut tx, by).await?;
        let accounts = Self::accounts_of_targets(&mut tx, &targets).await?;
        self.require_author(&person, &accounts)?;
        let post = tx.posts().update(&post).await?;
        for t in targets {
            if matches!(t.state, TargetState::Waiting | TargetState::Scheduled) {
                let mut w = t.clone();
                w.state = next_target_state(t.state, TargetState::Withdrawn)?;
                tx.posts().update_target(&w).await?;
            }
        }
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.withdraw",
                subject::POST,
                post.id.as_str(),
                None,
            )
            .before(&before)?
            .after(&post)?;
        tx.audit().append(&e).await?;
        let view = self.view_in(&mut tx, &post.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The role the report went to acknowledges an emergency post (高鍋町 3.8 「事後報告し、
    /// 了承を受ける」).
    pub async fn acknowledge_report(
        &self,
        id: &PostId,
        by: &PersonId,
        now: i64,
    ) -> Result<PostHocReport> {
        let g = self.guideline();
        let mut tx = self.begin_tx().await?;
        let post = Self::post_of(&mut tx, id).await?;
        let Some(mut report) = tx.posts().report_for(&post.id).await? else {
            return Err(PostError::Workflow(WorkflowError::NotFound {
                what: "post-hoc report",
                key: id.to_string(),
            }));
        };
        if report.acknowledged_at.is_some() {
            return Err(PostError::AlreadyAcknowledged {
                post: id.to_string(),
            });
        }
        let before = report.clone();
        let clause = g
            .post_approval
            .exceptions
            .iter()
            .find(|e| e.id == report.exception_id)
            .and_then(|e| e.clauses.first().cloned())
            .or_else(|| g.post_approval.clauses.first().cloned());
        let person = Self::person_of(&mut tx, by).await?;
        if person.id == report.reported_by {
            return Err(PostError::SelfApproval {
                person: person.display_name,
            });
        }
        self.require_role(
            &person,
            &[report.report_to_role.as_str()],
            post.department_id.as_ref(),
            "事後報告の了承",
            clause.as_deref(),
        )?;
        report.acknowledged_by = Some(person.id.clone());
        report.acknowledged_at = Some(now);
        report.next_reminder_at = None;
        let report = tx.posts().update_report(&report).await?;
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.report.acknowledge",
                subject::REPORT,
                report.id.as_str(),
                clause.as_deref(),
            )
            .before(&before)?
            .after(&report)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(report)
    }

    // ------------------------------------------------------------------------------------
    // time passing

    /// What time does to posts: a submitted post whose time came without approval expires
    /// and its author is told; a cleared target not sent within the window is marked missed
    /// (never sent late); an unacknowledged post-hoc report is chased once a day.
    pub async fn sweep_posts(&self, now: i64) -> Result<SweepSummary> {
        let g = self.guideline();
        let mut summary = SweepSummary::default();
        let approval_clause = g.post_approval.clauses.first().cloned();
        let due: Vec<Post> = {
            let mut r = self.store().read(self.tenant()).await?;
            r.posts().list_timed(PostState::Submitted, now).await?
        };
        for p in due {
            let mut tx = self.begin_tx().await?;
            let mut post = Self::post_of(&mut tx, &p.id).await?;
            if post.state != PostState::Submitted {
                continue;
            }
            let before = post.clone();
            post.state = next_post_state(post.state, PostAction::Expire)?;
            let post = tx.posts().update(&post).await?;
            for t in tx.posts().targets(&post.id).await? {
                if t.state == TargetState::Waiting {
                    let mut x = t.clone();
                    x.state = next_target_state(t.state, TargetState::Expired)?;
                    tx.posts().update_target(&x).await?;
                }
            }
            let author = Self::person_of(&mut tx, &post.author_id).await?;
            let when = tz::local_minute(post.publish_at.unwrap_or(now), &g.municipality.timezone)?;
            self.notify_all(
                &mut tx,
                &[author],
                "post-expired",
                subject::POST,
                post.id.as_str(),
                &format!("予定時刻（{when}）までに承認されなかったため、投稿は公開されませんでした。期限切れ一覧を確認してください"),
                approval_clause.as_deref(),
            )
            .await?;
            let e = self
                .post_entry(
                    &Actor::System,
                    "post.expire",
                    subject::POST,
                    post.id.as_str(),
                    approval_clause.as_deref(),
                )
                .before(&before)?
                .after(&post)?;
            tx.audit().append(&e).await?;
            tx.commit().await?;
            summary.expired.push(post.id);
        }

        // Scheduled targets nobody queued in time (no publisher ran). A queued target is
        // its publish job's business: the job is marked missed at its deadline and the
        // target follows it.
        let cutoff = now - rules::missed_after_ms(g) - 1;
        let late: Vec<PostTarget> = {
            let mut r = self.store().read(self.tenant()).await?;
            r.posts()
                .targets_timed(TargetState::Scheduled, cutoff)
                .await?
        };
        for t in late {
            let mut tx = self.begin_tx().await?;
            match self.missed_in(&mut tx, &t, &Actor::System).await {
                Ok(_) => {
                    tx.commit().await?;
                    summary.missed.push(t.id);
                }
                // A publisher queued it (or a person changed it) since it was read.
                Err(PostError::Workflow(WorkflowError::Store(StoreError::Stale { .. }))) => {
                    tx.rollback().await?;
                }
                Err(e) => return Err(e),
            }
        }

        let open: Vec<PostHocReport> = {
            let mut r = self.store().read(self.tenant()).await?;
            r.posts().open_reports().await?
        };
        for rep in open
            .into_iter()
            .filter(|r| r.next_reminder_at.is_some_and(|t| t <= now))
        {
            let mut tx = self.begin_tx().await?;
            let post = Self::post_of(&mut tx, &rep.post_id).await?;
            let Some(mut report) = tx.posts().report_for(&post.id).await? else {
                continue;
            };
            if report.acknowledged_at.is_some() {
                continue;
            }
            let before = report.clone();
            report.reminders += 1;
            report.next_reminder_at = Some(now + DAY_MS);
            let report = tx.posts().update_report(&report).await?;
            let clause = g
                .post_approval
                .exceptions
                .iter()
                .find(|e| e.id == report.exception_id)
                .and_then(|e| e.clauses.first().cloned())
                .or_else(|| approval_clause.clone());
            let chiefs = self
                .holders(&mut tx, &report.report_to_role, post.department_id.as_ref())
                .await?;
            self.notify_all(
                &mut tx,
                &chiefs,
                "post-hoc-report-reminder",
                subject::POST,
                post.id.as_str(),
                &format!(
                    "緊急投稿の事後報告がまだ了承されていません（督促 {} 回目）",
                    report.reminders
                ),
                clause.as_deref(),
            )
            .await?;
            let e = self
                .post_entry(
                    &Actor::System,
                    "post.report.remind",
                    subject::REPORT,
                    report.id.as_str(),
                    clause.as_deref(),
                )
                .before(&before)?
                .after(&report)?;
            tx.audit().append(&e).await?;
            tx.commit().await?;
            summary.reminded.push(post.id);
        }
        Ok(summary)
    }

    // ------------------------------------------------------------------------------------
    // the publisher's seam

    /// Cleared targets whose time has come and whose window has not passed, earliest first.
    pub async fn due_targets(&self, now: i64) -> Result<Vec<DueTarget>> {
        let g = self.guideline();
        let window = rules::missed_after_ms(g);
        let earliest = now - window;
        let mut r = self.store().read(self.tenant()).await?;
        let targets = r.posts().targets_timed(TargetState::Scheduled, now).await?;
        let mut out = Vec::new();
        for t in targets {
            if t.publish_at.is_some_and(|p| p < earliest) {
                continue;
            }
            let post = r.posts().get(&t.post_id).await?;
            if post.state != PostState::Approved {
                continue;
            }
            let version = r.posts().version(&post.id, post.version).await?;
            let images = r.posts().images(&post.id, post.version).await?;
            let account = r.accounts().get(&t.account_id).await?;
            let platform = account.fields.platform.to_string();
            let corrects_remote_id = match &post.corrects_post_id {
                Some(orig) => r
                    .posts()
                    .targets(orig)
                    .await?
                    .into_iter()
                    .find(|o| o.account_id == t.account_id)
                    .and_then(|o| o.remote_id),
                None => None,
            };
            let emergency = post.exception_id.as_deref().is_some_and(|id| {
                g.post_approval
                    .exceptions
                    .iter()
                    .any(|e| e.id == id && e.post_hoc_report_to.is_some())
            });
            let not_before = t.publish_at.unwrap_or(now);
            out.push(DueTarget {
                text: rules::text_for(
                    &version.body,
                    version.apology.as_deref(),
                    &version.variants,
                    &platform,
                ),
                post_id: post.id.clone(),
                kind: post.kind,
                share_url: post.share_url.clone(),
                account,
                corrects_remote_id,
                images,
                emergency,
                not_before,
                deadline: not_before.saturating_add(window),
                target: t,
            });
        }
        Ok(out)
    }

    /// Published originals a correction asked to delete: the publisher deletes them and
    /// calls [`Workflow::record_deleted`]. Read by state (the `post_targets_due` index),
    /// not by walking every post.
    pub async fn pending_retractions(&self) -> Result<Vec<PostTarget>> {
        let mut r = self.store().read(self.tenant()).await?;
        Ok(r.posts()
            .targets_in_state(TargetState::Retracting, 500)
            .await?)
    }

    /// Moves `current` — the target as the caller read it — to `to` in `tx`, with an audit
    /// entry citing the clause. `STORE_STALE` when the target changed since it was read, so
    /// two processes acting on the same read never both move it.
    async fn move_target_in(
        &self,
        tx: &mut Tx,
        current: &PostTarget,
        by: &Actor,
        to: TargetState,
        action: &str,
        change: impl FnOnce(&mut PostTarget),
    ) -> Result<(Post, PostTarget)> {
        let mut next = current.clone();
        next.state = next_target_state(current.state, to)?;
        change(&mut next);
        let next = tx.posts().update_target(&next).await?;
        let post = Self::post_of(tx, &next.post_id).await?;
        let g = self.guideline();
        let clause = match post.kind {
            PostKind::Correction => g
                .correction
                .as_ref()
                .and_then(|c| c.clauses.first().cloned()),
            _ => g.post_approval.clauses.first().cloned(),
        };
        let e = self
            .post_entry(
                by,
                action,
                subject::TARGET,
                next.id.as_str(),
                clause.as_deref(),
            )
            .before(current)?
            .after(&next)?;
        tx.audit().append(&e).await?;
        Ok((post, next))
    }

    /// The publisher takes a due target into its outbox: `scheduled` → `queued`, in the
    /// caller's transaction — the one that writes the publish job — so a target is queued
    /// exactly when its job exists. `due` is the target as [`Workflow::due_targets`] read
    /// it: `STORE_STALE` when it changed since (another publisher queued it, or the post was
    /// edited or withdrawn), `POST_ILLEGAL_TARGET_TRANSITION` when it is not scheduled.
    pub async fn queue_target_in(&self, tx: &mut Tx, due: &PostTarget) -> Result<PostTarget> {
        let (_, t) = self
            .move_target_in(
                tx,
                due,
                &Actor::System,
                TargetState::Queued,
                "post.target.queued",
                |_| {},
            )
            .await?;
        Ok(t)
    }

    /// Moves a post target to the outcome of its publish job, in the caller's transaction
    /// (the one that writes the job's outcome). Idempotent: a target already in that state
    /// is left alone (`Ok(None)`), so a round that reconciles an outcome written earlier
    /// changes nothing twice.
    pub async fn record_outcome_in(
        &self,
        tx: &mut Tx,
        id: &PostTargetId,
        outcome: &TargetOutcome,
        at: i64,
    ) -> Result<Option<PostTarget>> {
        let t = Self::target_of(tx, id).await?;
        if t.state == outcome.state() {
            return Ok(None);
        }
        let done = match outcome {
            TargetOutcome::Published { remote_id, url } => {
                self.published_in(tx, &t, remote_id, url.as_deref(), at)
                    .await?
            }
            TargetOutcome::Failed { error } => self.failed_in(tx, &t, error).await?,
            TargetOutcome::Unconfirmed { detail } => self.unconfirmed_in(tx, &t, detail).await?,
            TargetOutcome::Missed => self.missed_in(tx, &t, &Actor::System).await?,
        };
        Ok(Some(done))
    }

    async fn published_in(
        &self,
        tx: &mut Tx,
        current: &PostTarget,
        remote_id: &str,
        url: Option<&str>,
        at: i64,
    ) -> Result<PostTarget> {
        let remote_id = clean(Some(remote_id)).ok_or_else(|| PostError::Invalid {
            field: "remote_id",
            ja: "公開先の投稿 ID が空です".to_owned(),
            en: "remote id is empty".to_owned(),
        })?;
        let url = clean(url);
        let (post, target) = self
            .move_target_in(
                tx,
                current,
                &Actor::System,
                TargetState::Published,
                "post.target.published",
                |t| {
                    t.remote_id = Some(remote_id);
                    t.remote_url = url;
                    t.published_at = Some(at);
                    t.last_error = None;
                    t.attempts += 1;
                },
            )
            .await?;
        if post.kind == PostKind::Correction
            && let (Some(orig), Some(rule)) = (&post.corrects_post_id, &self.guideline().correction)
        {
            let to = match rule.original {
                OriginalHandling::Delete => TargetState::Retracting,
                OriginalHandling::KeepMarked => TargetState::Corrected,
            };
            let clause = rule.clauses.first().map(String::as_str);
            // Only the original on the account the correction went out on: a correction
            // that failed on another account leaves that account's original alone.
            for o in tx.posts().targets(orig).await? {
                if o.state == TargetState::Published && o.account_id == target.account_id {
                    let before = o.clone();
                    let mut m = o.clone();
                    m.state = next_target_state(o.state, to)?;
                    let m = tx.posts().update_target(&m).await?;
                    let e = self
                        .post_entry(
                            &Actor::System,
                            "post.correct.original",
                            subject::TARGET,
                            m.id.as_str(),
                            clause,
                        )
                        .before(&before)?
                        .after(&json!({"target": m, "correction": post.id}))?;
                    tx.audit().append(&e).await?;
                }
            }
        }
        Ok(target)
    }

    /// Tells the post's author what happened to it on one account.
    async fn tell_author(
        &self,
        tx: &mut Tx,
        post: &Post,
        target: &PostTarget,
        kind: &str,
        message: impl FnOnce(&str) -> String,
    ) -> Result<()> {
        let g = self.guideline();
        let author = Self::person_of(tx, &post.author_id).await?;
        let account = tx.accounts().get(&target.account_id).await?;
        let on = format!("{} {}", account.fields.platform, account.fields.handle);
        self.notify_all(
            tx,
            &[author],
            kind,
            subject::POST,
            post.id.as_str(),
            &message(&on),
            g.post_approval.clauses.first().map(String::as_str),
        )
        .await
    }

    async fn failed_in(
        &self,
        tx: &mut Tx,
        current: &PostTarget,
        error: &str,
    ) -> Result<PostTarget> {
        let error = error.trim().to_owned();
        let (post, t) = self
            .move_target_in(
                tx,
                current,
                &Actor::System,
                TargetState::Failed,
                "post.target.failed",
                |t| {
                    t.last_error = Some(error);
                    t.attempts += 1;
                },
            )
            .await?;
        self.tell_author(tx, &post, &t, "post-failed", |on| {
            format!("{on} への投稿をプラットフォームが受け付けませんでした。内容を確認し、必要なら新しい投稿として作成してください")
        })
        .await?;
        Ok(t)
    }

    async fn unconfirmed_in(
        &self,
        tx: &mut Tx,
        current: &PostTarget,
        detail: &str,
    ) -> Result<PostTarget> {
        let detail = detail.trim().to_owned();
        let (post, t) = self
            .move_target_in(
                tx,
                current,
                &Actor::System,
                TargetState::Unconfirmed,
                "post.target.unconfirmed",
                |t| {
                    t.last_error = Some(detail);
                    t.attempts += 1;
                },
            )
            .await?;
        self.tell_author(tx, &post, &t, "post-unconfirmed", |on| {
            format!("{on} への投稿が公開されたか確認できません。再投稿する前に、アカウントで公開済みかどうかを確認してください")
        })
        .await?;
        Ok(t)
    }

    async fn missed_in(&self, tx: &mut Tx, current: &PostTarget, by: &Actor) -> Result<PostTarget> {
        let g = self.guideline();
        let (post, t) = self
            .move_target_in(
                tx,
                current,
                by,
                TargetState::Missed,
                "post.target.missed",
                |_| {},
            )
            .await?;
        let minutes = rules::missed_after_ms(g) / 60_000;
        self.tell_author(tx, &post, &t, "post-missed", |on| {
            format!("{on} への投稿は、予定時刻から {minutes} 分以内に公開できなかったため見送りました（遅れての公開はしません）")
        })
        .await?;
        Ok(t)
    }

    /// The publisher sent the post and the platform confirmed it. A correction's first
    /// publication deletes or marks its original, as the guideline says.
    pub async fn record_published(
        &self,
        id: &PostTargetId,
        remote_id: &str,
        url: Option<&str>,
        at: i64,
    ) -> Result<PostTarget> {
        let mut tx = self.begin_tx().await?;
        let t = Self::target_of(&mut tx, id).await?;
        let t = self.published_in(&mut tx, &t, remote_id, url, at).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The platform refused the post for good; its author is told.
    pub async fn record_failed(
        &self,
        id: &PostTargetId,
        error: &str,
        _at: i64,
    ) -> Result<PostTarget> {
        let mut tx = self.begin_tx().await?;
        let t = Self::target_of(&mut tx, id).await?;
        let t = self.failed_in(&mut tx, &t, error).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Sent, but the platform did not confirm (a timeout after the request went out).
    pub async fn record_unconfirmed(
        &self,
        id: &PostTargetId,
        detail: &str,
        _at: i64,
    ) -> Result<PostTarget> {
        let mut tx = self.begin_tx().await?;
        let t = Self::target_of(&mut tx, id).await?;
        let t = self.unconfirmed_in(&mut tx, &t, detail).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Not sent within the window after its time: never published late; the author is told.
    pub async fn record_missed(&self, id: &PostTargetId, _at: i64) -> Result<PostTarget> {
        let mut tx = self.begin_tx().await?;
        let t = Self::target_of(&mut tx, id).await?;
        let t = self.missed_in(&mut tx, &t, &Actor::System).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The publisher deleted an original that a correction replaced.
    pub async fn record_deleted(&self, id: &PostTargetId, _at: i64) -> Result<PostTarget> {
        let mut tx = self.begin_tx().await?;
        let t = Self::target_of(&mut tx, id).await?;
        if t.state == TargetState::Deleted {
            return Ok(t);
        }
        let (_, t) = self
            .move_target_in(
                &mut tx,
                &t,
                &Actor::System,
                TargetState::Deleted,
                "post.target.deleted",
                |_| {},
            )
            .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The publisher could not delete an original (the platform cannot delete, or refused):
    /// the target stays `retracting` with the reason, and is not tried again until a person
    /// deletes it on the platform.
    pub async fn record_retraction_problem(
        &self,
        id: &PostTargetId,
        detail: &str,
    ) -> Result<PostTarget> {
        let mut tx = self.begin_tx().await?;
        let mut t = Self::target_of(&mut tx, id).await?;
        if t.state != TargetState::Retracting {
            return Err(PostError::IllegalTargetTransition {
                from: t.state,
                to: TargetState::Deleted,
            });
        }
        let before = t.clone();
        t.last_error = Some(detail.trim().to_owned());
        t.attempts += 1;
        let t = tx.posts().update_target(&t).await?;
        let clause = self
            .guideline()
            .correction
            .as_ref()
            .and_then(|c| c.clauses.first().cloned());
        let e = self
            .post_entry(
                &Actor::System,
                "post.target.retraction-problem",
                subject::TARGET,
                t.id.as_str(),
                clause.as_deref(),
            )
            .before(&before)?
            .after(&t)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(t)
    }

    // ------------------------------------------------------------------------------------
    // corrections

    /// Drafts a correction of a published post for the accounts it went out on (狛江市
    /// ポリシー第5条2, 神栖市 第9条(6), 高鍋町 6.3, 浦臼町 7(1)②). It is cleared like any
    /// post; once published, the original is deleted or marked as the guideline says.
    pub async fn correct_post(
        &self,
        original: &PostId,
        draft: &CorrectionDraft,
        by: &PersonId,
        now: i64,
    ) -> Result<PostView> {
        let g = self.guideline();
        let Some(rule) = &g.correction else {
            return Err(PostError::NoRule {
                guideline: g.id.clone(),
                rule: "訂正",
            });
        };
        let clause = rule.clauses.first().cloned();
        let apology = clean(draft.apology.as_deref());
        if rule.apology && apology.is_none() {
            return Err(PostError::ApologyRequired {
                guideline: g.id.clone(),
                clause: clause.unwrap_or_default(),
            });
        }
        let variants = variants_json(&draft.variants)?;
        let mut tx = self.begin_tx().await?;
        let orig = Self::post_of(&mut tx, original).await?;
        let published: Vec<PostTarget> = tx
            .posts()
            .targets(&orig.id)
            .await?
            .into_iter()
            .filter(|t| t.state == TargetState::Published)
            .collect();
        if published.is_empty() {
            return Err(PostError::NotPublished {
                post: orig.id.to_string(),
            });
        }
        let person = Self::person_of(&mut tx, by).await?;
        let accounts = Self::accounts_of_targets(&mut tx, &published).await?;
        self.require_author(&person, &accounts)?;
        // A correction repeats much of its original by nature: compare with the rest.
        let history = self
            .history(&mut tx, &accounts, now, Some(&orig.id))
            .await?;
        let images = images::prepare(&draft.images, &Self::platforms(&accounts))?;
        let checked = rules::run_checker(
            g,
            &draft.body,
            apology.as_deref(),
            &variants,
            &Self::platforms(&accounts),
            &history,
            &images.facts,
        )?;
        let post = tx
            .posts()
            .create(&NewPost {
                kind: PostKind::Correction,
                corrects_post_id: Some(orig.id.clone()),
                share_category: None,
                share_url: None,
                request_id: None,
                department_id: orig.department_id.clone(),
                author_id: person.id.clone(),
                matters: orig.matters.clone(),
                publish_at: None,
            })
            .await?;
        self.write_version(
            &mut tx,
            &post,
            &draft.body,
            apology,
            variants,
            &checked,
            &person,
            images.store,
        )
        .await?;
        for a in &accounts {
            tx.posts().add_target(&post.id, &a.id).await?;
        }
        let view = self.view_in(&mut tx, &post.id).await?;
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.correction.draft",
                subject::POST,
                post.id.as_str(),
                clause.as_deref(),
            )
            .after(&json!({"post": view.post, "corrects": orig.id}))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(view)
    }

    // ------------------------------------------------------------------------------------
    // requests from departments (美祢市 第4-2(3))

    fn request_rule(&self) -> Result<&koho_guideline::Requests> {
        let g = self.guideline();
        g.content
            .requests
            .as_ref()
            .ok_or_else(|| PostError::NoRule {
                guideline: g.id.clone(),
                rule: "他課からの情報提供",
            })
    }

    /// A department submits information for the PR office to publish.
    pub async fn submit_request(
        &self,
        by: &PersonId,
        title: &str,
        body: &str,
        desired_at: Option<i64>,
        _now: i64,
    ) -> Result<DepartmentRequest> {
        let rule = self.request_rule()?;
        let clause = rule.clauses.first().cloned();
        let mut tx = self.begin_tx().await?;
        let person = Self::person_of(&mut tx, by).await?;
        if !person.active {
            return Err(PostError::Workflow(WorkflowError::InactivePerson {
                person: person.display_name,
            }));
        }
        let Some(dept) = person.department_id.clone() else {
            return Err(PostError::Invalid {
                field: "department",
                ja: format!(
                    "{} さんには所属がありません。依頼は所属から提出します",
                    person.display_name
                ),
                en: "the submitter has no department".to_owned(),
            });
        };
        let req = tx
            .posts()
            .create_request(&NewDepartmentRequest {
                department_id: dept,
                submitted_by: person.id.clone(),
                title: title.trim().to_owned(),
                body: body.to_owned(),
                desired_at,
            })
            .await?;
        let office = self.holders(&mut tx, &rule.decided_by, None).await?;
        self.notify_all(
            &mut tx,
            &office,
            "request-submitted",
            subject::REQUEST,
            req.id.as_str(),
            &format!(
                "{} さんから発信の依頼「{}」が届きました",
                person.display_name, req.title
            ),
            clause.as_deref(),
        )
        .await?;
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.request.submit",
                subject::REQUEST,
                req.id.as_str(),
                clause.as_deref(),
            )
            .after(&req)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(req)
    }

    /// The PR office takes a request up: a draft for the chosen accounts, written by the
    /// deciding person, linked to the request.
    pub async fn accept_request(
        &self,
        id: &RequestId,
        by: &PersonId,
        accounts: &[AccountId],
        now: i64,
    ) -> Result<PostView> {
        let g = self.guideline();
        let rule = self.request_rule()?;
        let clause = rule.clauses.first().cloned();
        let mut tx = self.begin_tx().await?;
        let mut req = person_nf(
            tx.posts().request(id).await,
            "department request",
            id.as_str(),
        )?;
        if req.status != RequestStatus::Submitted {
            return Err(PostError::RequestDecided { id: id.to_string() });
        }
        let before = req.clone();
        let person = Self::person_of(&mut tx, by).await?;
        self.require_role(
            &person,
            &[rule.decided_by.as_str()],
            None,
            "発信依頼の採否の決定",
            clause.as_deref(),
        )?;
        let accs = Self::postable_accounts(&mut tx, accounts).await?;
        self.require_author(&person, &accs)?;
        let variants = json!({});
        let checked = rules::run_checker(
            g,
            &req.body,
            None,
            &variants,
            &Self::platforms(&accs),
            &self.history(&mut tx, &accs, now, None).await?,
            &[],
        )?;
        let publish_at = req.desired_at.filter(|t| *t > now);
        let post = tx
            .posts()
            .create(&NewPost {
                kind: PostKind::Original,
                corrects_post_id: None,
                share_category: None,
                share_url: None,
                request_id: Some(req.id.clone()),
                department_id: person.department_id.clone(),
                author_id: person.id.clone(),
                matters: Vec::new(),
                publish_at,
            })
            .await?;
        let body = req.body.clone();
        self.write_version(
            &mut tx,
            &post,
            &body,
            None,
            variants,
            &checked,
            &person,
            Vec::new(),
        )
        .await?;
        for a in &accs {
            tx.posts().add_target(&post.id, &a.id).await?;
        }
        req.status = RequestStatus::Accepted;
        req.decided_by = Some(person.id.clone());
        req.decided_at = Some(now);
        req.post_id = Some(post.id.clone());
        let req = tx.posts().update_request(&req).await?;
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.request.accept",
                subject::REQUEST,
                req.id.as_str(),
                clause.as_deref(),
            )
            .before(&before)?
            .after(&req)?;
        tx.audit().append(&e).await?;
        let view = self.view_in(&mut tx, &post.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The PR office declines a request with a reason; the requester is told.
    pub async fn decline_request(
        &self,
        id: &RequestId,
        by: &PersonId,
        reason: &str,
        now: i64,
    ) -> Result<DepartmentRequest> {
        let g = self.guideline();
        let rule = self.request_rule()?;
        let clause = rule.clauses.first().cloned();
        let reason = clean(Some(reason)).ok_or_else(|| PostError::ReasonRequired {
            what: "依頼の不採用",
            guideline: g.id.clone(),
            clause: clause.clone(),
        })?;
        let mut tx = self.begin_tx().await?;
        let mut req = person_nf(
            tx.posts().request(id).await,
            "department request",
            id.as_str(),
        )?;
        if req.status != RequestStatus::Submitted {
            return Err(PostError::RequestDecided { id: id.to_string() });
        }
        let before = req.clone();
        let person = Self::person_of(&mut tx, by).await?;
        self.require_role(
            &person,
            &[rule.decided_by.as_str()],
            None,
            "発信依頼の採否の決定",
            clause.as_deref(),
        )?;
        req.status = RequestStatus::Declined;
        req.decided_by = Some(person.id.clone());
        req.decided_at = Some(now);
        req.decision_reason = Some(reason.clone());
        let req = tx.posts().update_request(&req).await?;
        let submitter = Self::person_of(&mut tx, &req.submitted_by).await?;
        self.notify_all(
            &mut tx,
            &[submitter],
            "request-declined",
            subject::REQUEST,
            req.id.as_str(),
            &format!(
                "発信の依頼「{}」は見送られました。理由: {reason}",
                req.title
            ),
            clause.as_deref(),
        )
        .await?;
        let e = self
            .post_entry(
                &Actor::Person(person.id.clone()),
                "post.request.decline",
                subject::REQUEST,
                req.id.as_str(),
                clause.as_deref(),
            )
            .before(&before)?
            .after(&req)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(req)
    }
}
