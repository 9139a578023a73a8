//! The register's transitions. Each one runs in a single store transaction: the domain
//! change and an audit entry citing the guideline clause that drives it commit together or
//! not at all. Nothing here reads a clock: `now` (Unix ms) comes from the caller.

use koho_guideline::{Cites, Guideline, RoleKind};
use koho_store::{
    AccountApplication, AccountEvent, AccountId, AccountKind, AccountState, Actor, ApplicationId,
    ApplicationKind, ApplicationStatus, AuditVerification, Decision, Department, DepartmentId,
    Municipality, NewAccount, NewAccountEvent, NewApplication, NewAuditEntry, NewDepartment,
    NewMunicipality, NewPerson, NewPolicyVersion, OfficialAccount, Person, PersonId, Platform,
    PolicyStatus, PolicyVersion, Reader, Store, StoreError, Subject, Tenant, Tx,
    VerificationStatus, normalize_handle,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::application::{
    AccountDraft, GrandfatheredReport, OpeningRequest, PurposeChange, validate_opening,
    validate_report,
};
use crate::error::WorkflowError;
use crate::lookup::{self, LookupAnswer};
use crate::overlap::{self, Overlap, Proposal};
use crate::policy::{self, PolicyContext, RenderedPolicy};
use crate::profile::{self, ProfileChecklist};
use crate::register::{RegisterRow, RowFacts};
use crate::roles;
use crate::state::{Action, allowed_actions, next_state};
use crate::time;

type Result<T, E = WorkflowError> = std::result::Result<T, E>;

/// Audit subject kinds.
pub mod subject {
    pub const ACCOUNT: &str = "official_account";
    pub const APPLICATION: &str = "account_application";
    pub const POLICY: &str = "policy_version";
    pub const PERSON: &str = "person";
    pub const DEPARTMENT: &str = "department";
}

/// The result of an opening application.
#[derive(Clone, Debug, Serialize)]
pub struct Applied {
    pub account: OfficialAccount,
    pub application: AccountApplication,
    /// Existing accounts that overlap, shown to the approver.
    pub overlaps: Vec<Overlap>,
}

/// The result of a decision on an application.
#[derive(Clone, Debug, Serialize)]
pub struct Decided {
    pub application: AccountApplication,
    pub account: OfficialAccount,
    /// The policy version drafted from the application (approvals only).
    pub policy: Option<PolicyVersion>,
}

/// The result of a change of purpose.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum PurposeChangeOutcome {
    /// The guideline wants approval again: an application waits for the approver.
    NeedsApproval { application: AccountApplication },
    /// Changed at once, with a new policy draft.
    Changed {
        account: OfficialAccount,
        policy: PolicyVersion,
    },
}

/// What a suspension needs besides the account.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SuspendRequest {
    pub reason: String,
    /// Followers at the time of the decision: the impact (狛江市 4(5)イ).
    pub followers: Option<i64>,
    /// The account followers are sent to; by default the main account (same platform first).
    pub redirect_to: Option<AccountId>,
    /// The notice post, when the default text will not do.
    pub notice_text: Option<String>,
}

/// A recorded suspension.
#[derive(Clone, Debug, Serialize)]
pub struct Suspension {
    pub account: OfficialAccount,
    pub event: AccountEvent,
    /// The draft of the notice post (事前周知, 狛江市 4(5)ウ).
    pub notice_text: String,
    /// When the account stops: the decision plus the notice period.
    pub effective_at: i64,
    /// When someone must look at the kept account again (狛江市 4(5)エ).
    pub next_check_at: Option<i64>,
    pub redirect_to: Option<OfficialAccount>,
}

/// A kept (suspended or closed) account whose periodic check is due.
#[derive(Clone, Debug, Serialize)]
pub struct DueCheck {
    pub account: OfficialAccount,
    pub event: AccountEvent,
}

/// Everything the register knows about one account.
#[derive(Clone, Debug, Serialize)]
pub struct AccountDetail {
    pub account: OfficialAccount,
    pub department: Option<String>,
    pub manager: Option<String>,
    pub allowed_actions: Vec<Action>,
    pub events: Vec<AccountEvent>,
    pub policies: Vec<PolicyVersion>,
    pub applications: Vec<AccountApplication>,
    pub profile: ProfileChecklist,
}

/// The official-account register of one municipality, run by its guideline.
#[derive(Clone, Debug)]
pub struct Workflow {
    store: Store,
    tenant: Tenant,
    municipality: Municipality,
    guideline: Guideline,
}

fn first(c: &Cites) -> Option<&str> {
    c.first().map(String::as_str)
}

fn last(c: &Cites) -> Option<&str> {
    c.last().map(String::as_str)
}

fn not_found(what: &'static str, key: impl Into<String>) -> WorkflowError {
    WorkflowError::NotFound {
        what,
        key: key.into(),
    }
}

/// Maps the store's "no such row" to the workflow's.
fn nf<T>(r: std::result::Result<T, StoreError>, what: &'static str, key: &str) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(StoreError::NotFound { .. }) => Err(not_found(what, key)),
        Err(e) => Err(e.into()),
    }
}

/// Kinds whose authority is limited to the person's own department.
fn department_scoped(kind: RoleKind) -> bool {
    matches!(
        kind,
        RoleKind::Staff | RoleKind::SectionChief | RoleKind::AccountManager | RoleKind::Contractor
    )
}

impl Workflow {
    /// The register of the municipality `slug`, run by `guideline` (which must be the one
    /// the municipality's record names).
    pub async fn open(store: &Store, slug: &str, guideline: Guideline) -> Result<Workflow> {
        let tenant = store.tenant_by_slug(slug).await?;
        let municipality = store.read(&tenant).await?.municipality().get().await?;
        if municipality.guideline_id != guideline.id {
            return Err(WorkflowError::GuidelineMismatch {
                municipality: municipality.name,
                expected: municipality.guideline_id,
                got: guideline.id,
            });
        }
        Ok(Workflow {
            store: store.clone(),
            tenant,
            municipality,
            guideline,
        })
    }

    /// Creates the municipality `slug` running `guideline`, and its register.
    pub async fn create(store: &Store, slug: &str, guideline: Guideline) -> Result<Workflow> {
        Workflow::create_named(store, slug, None, guideline).await
    }

    /// [`Workflow::create`] with the municipality's own name (`None`: the name the
    /// guideline gives), for a municipality adopting a preset written for another.
    pub async fn create_named(
        store: &Store,
        slug: &str,
        name: Option<&str>,
        guideline: Guideline,
    ) -> Result<Workflow> {
        if store.tenant_by_slug(slug).await.is_ok() {
            return Err(WorkflowError::AlreadyExists {
                slug: slug.to_owned(),
            });
        }
        store
            .create_municipality(
                &NewMunicipality {
                    slug: slug.to_owned(),
                    name: name
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .unwrap_or(&guideline.municipality.name)
                        .to_owned(),
                    guideline_id: guideline.id.clone(),
                },
                &Actor::System,
            )
            .await?;
        Workflow::open(store, slug, guideline).await
    }

    pub fn guideline(&self) -> &Guideline {
        &self.guideline
    }

    pub fn municipality(&self) -> &Municipality {
        &self.municipality
    }

    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(self.store.begin(&self.tenant).await?)
    }

    async fn read(&self) -> Result<Reader> {
        Ok(self.store.read(&self.tenant).await?)
    }

    pub(crate) fn entry(
        &self,
        by: &Actor,
        action: &str,
        subject: Subject,
        clause: Option<&str>,
    ) -> NewAuditEntry {
        let e = NewAuditEntry::new(by.clone(), action, subject);
        match clause {
            Some(c) => e.clause(self.guideline.id.clone(), c),
            None => e,
        }
    }

    // ------------------------------------------------------------------------------------
    // people and departments

    /// Adds a department (an administrative step, audited).
    pub async fn add_department(&self, name: &str, by: &Actor) -> Result<Department> {
        let mut tx = self.begin().await?;
        let d = tx
            .departments()
            .create(&NewDepartment {
                name: name.to_owned(),
                parent_id: None,
            })
            .await?;
        let e = self
            .entry(
                by,
                "department.create",
                Subject::new(subject::DEPARTMENT, d.id.as_str()),
                None,
            )
            .after(&d)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Adds a person with roles (an administrative step, audited).
    pub async fn add_person(&self, new: &NewPerson, by: &Actor) -> Result<Person> {
        let mut tx = self.begin().await?;
        let p = tx.people().create(new).await?;
        let e = self
            .entry(
                by,
                "person.create",
                Subject::new(subject::PERSON, p.id.as_str()),
                None,
            )
            .after(&p)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// The person with this e-mail address.
    pub async fn person_by_email(&self, email: &str) -> Result<Person> {
        nf(
            self.read().await?.people().get_by_email(email).await,
            "person",
            email,
        )
    }

    /// The department with this name (or id).
    pub async fn department(&self, name_or_id: &str) -> Result<Department> {
        let list = self.read().await?.departments().list().await?;
        list.into_iter()
            .find(|d| d.name == name_or_id.trim() || d.id.as_str() == name_or_id.trim())
            .ok_or_else(|| not_found("department", name_or_id))
    }

    pub async fn departments(&self) -> Result<Vec<Department>> {
        Ok(self.read().await?.departments().list().await?)
    }

    pub async fn people(&self) -> Result<Vec<Person>> {
        Ok(self.read().await?.people().list().await?)
    }

    // ------------------------------------------------------------------------------------
    // reading the register

    /// Every account (any state), by platform and handle.
    pub async fn accounts(&self) -> Result<Vec<OfficialAccount>> {
        Ok(self.read().await?.accounts().list().await?)
    }

    pub async fn account(&self, id: &AccountId) -> Result<OfficialAccount> {
        nf(
            self.read().await?.accounts().get(id).await,
            "account",
            id.as_str(),
        )
    }

    /// An account by id, URL or handle (`platform` disambiguates a handle used on several).
    pub async fn find_account(
        &self,
        key: &str,
        platform: Option<Platform>,
    ) -> Result<OfficialAccount> {
        let all = self.accounts().await?;
        if let Some(a) = all.iter().find(|a| a.id.as_str() == key.trim()) {
            return Ok(a.clone());
        }
        let parsed = lookup::parse_query(key);
        let platform = platform.or(parsed.platform);
        let wanted = normalize_handle(&parsed.handle);
        let matches: Vec<&OfficialAccount> = all
            .iter()
            .filter(|a| platform.is_none_or(|p| p == a.fields.platform))
            .filter(|a| {
                a.handle_normalized == wanted
                    || (parsed.url.is_some()
                        && a.fields.url.as_deref().map(lookup::normalize_url) == parsed.url)
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(not_found("account", key)),
            many => Err(WorkflowError::Ambiguous {
                key: key.to_owned(),
                candidates: many
                    .iter()
                    .map(|a| format!("{} {}", a.fields.platform, a.fields.handle))
                    .collect(),
            }),
        }
    }

    /// Applications, optionally in one status (newest first).
    pub async fn applications(
        &self,
        status: Option<ApplicationStatus>,
    ) -> Result<Vec<AccountApplication>> {
        let mut r = self.read().await?;
        let mut list = r.applications().list().await?;
        if let Some(s) = status {
            list.retain(|a| a.status == s);
        }
        Ok(list)
    }

    /// An application by id, or the pending application of the account with this handle.
    pub async fn find_application(
        &self,
        key: &str,
        platform: Option<Platform>,
    ) -> Result<AccountApplication> {
        let mut r = self.read().await?;
        if let Ok(a) = r.applications().get(&ApplicationId::from(key.trim())).await {
            return Ok(a);
        }
        drop(r);
        let account = self.find_account(key, platform).await?;
        let mut r = self.read().await?;
        let list = r.applications().list_for_account(&account.id).await?;
        list.into_iter()
            .rev()
            .find(|a| a.status == ApplicationStatus::Submitted)
            .ok_or_else(|| not_found("application", key))
    }

    /// Everything about one account.
    pub async fn detail(&self, id: &AccountId) -> Result<AccountDetail> {
        let mut r = self.read().await?;
        let account = nf(r.accounts().get(id).await, "account", id.as_str())?;
        let department = match &account.fields.department_id {
            Some(d) => Some(r.departments().get(d).await?.name),
            None => None,
        };
        let manager = match &account.fields.manager_id {
            Some(p) => Some(r.people().get(p).await?.display_name),
            None => None,
        };
        let events = r.events().list_for_account(id).await?;
        let policies = r.policies().list_for_account(id).await?;
        let applications = r.applications().list_for_account(id).await?;
        let published = policies
            .iter()
            .find(|p| p.status == PolicyStatus::Published)
            .map(|_| format!("/official-accounts/{}/policy", account.id));
        let profile =
            profile::checklist(&self.guideline, &account, department.as_deref(), published);
        Ok(AccountDetail {
            allowed_actions: allowed_actions(account.state),
            account,
            department,
            manager,
            events,
            policies,
            applications,
            profile,
        })
    }

    /// The profile checklist of an account.
    pub async fn profile_checklist(&self, id: &AccountId) -> Result<ProfileChecklist> {
        Ok(self.detail(id).await?.profile)
    }

    /// Register rows of every account (filter with [`crate::register::public_rows`]).
    pub async fn register_rows(&self) -> Result<Vec<RegisterRow>> {
        let g = &self.guideline;
        let mut r = self.read().await?;
        let accounts = r.accounts().list().await?;
        let departments = r.departments().list().await?;
        let mut rows = Vec::with_capacity(accounts.len());
        for a in &accounts {
            let department = a
                .fields
                .department_id
                .as_ref()
                .and_then(|d| departments.iter().find(|x| &x.id == d))
                .map(|d| d.name.clone());
            let policy_version = r.policies().published(&a.id).await?.map(|p| p.version);
            let mut facts = RowFacts {
                department,
                policy_version,
                ..RowFacts::default()
            };
            if matches!(a.state, AccountState::Suspended | AccountState::Closed) {
                let events = r.events().list_for_account(&a.id).await?;
                let wanted = if a.state == AccountState::Closed {
                    "closure"
                } else {
                    "suspension"
                };
                if let Some(ev) = events.iter().rev().find(|e| e.kind == wanted) {
                    if let Some(target) = &ev.related_account_id
                        && let Some(t) = accounts.iter().find(|x| &x.id == target)
                    {
                        facts.redirect_to = Some(format!(
                            "{} {}",
                            crate::register::platform_label(t.fields.platform),
                            t.fields.handle
                        ));
                    }
                    let publish = match a.state {
                        AccountState::Closed => {
                            g.closure.as_ref().is_some_and(|c| c.publish_reason)
                        }
                        _ => g.suspension.as_ref().is_some_and(|s| s.publish_reason),
                    };
                    if publish {
                        facts.reason = ev.payload["reason"].as_str().map(str::to_owned);
                    }
                }
            }
            rows.push(RegisterRow::new(a, facts));
        }
        Ok(rows)
    }

    /// "Is this official?" for a URL or handle.
    pub async fn lookup(&self, query: &str) -> Result<LookupAnswer> {
        Ok(lookup::lookup(query, &self.register_rows().await?))
    }

    /// Verifies the municipality's audit chain.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        Ok(self.store.verify_audit(&self.tenant).await?)
    }

    // ------------------------------------------------------------------------------------
    // authority

    /// Refuses unless `person` holds `role_id`; department-level roles count only within
    /// `department` (a section chief decides for their own section).
    fn require_scoped(
        &self,
        person: &Person,
        role_ids: &[&str],
        department: Option<&DepartmentId>,
        action: &str,
        clause: Option<&str>,
    ) -> Result<()> {
        let g = &self.guideline;
        let in_scope = |id: &&str| {
            let Some(role) = g.role(id) else {
                return false;
            };
            if !person.has_role(roles::store_role(role.kind)) {
                return false;
            }
            !department_scoped(role.kind)
                || department.is_none()
                || person.department_id.as_ref() == department
        };
        if person.active && role_ids.iter().any(in_scope) {
            return Ok(());
        }
        // Same error as the plain role check, naming the roles.
        roles::require_any(g, person, role_ids, action, clause)?;
        Err(WorkflowError::NotAuthorized(Box::new(
            crate::error::Denial {
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
        )))
    }

    /// The account's manager, its section (applicant role or account manager of the same
    /// department), the opening approver or the PR office may run the account's paperwork.
    pub(crate) fn require_manage(
        &self,
        person: &Person,
        account: &OfficialAccount,
        action: &str,
        clause: Option<&str>,
    ) -> Result<()> {
        if person.active && account.fields.manager_id.as_ref() == Some(&person.id) {
            return Ok(());
        }
        let g = &self.guideline;
        let mut ids: Vec<&str> = vec![g.opening.applicant.as_str()];
        ids.extend(
            g.roles
                .iter()
                .filter(|r| {
                    matches!(
                        r.kind,
                        RoleKind::AccountManager | RoleKind::PrOffice | RoleKind::PrOfficeChief
                    )
                })
                .map(|r| r.id.as_str()),
        );
        ids.push(g.opening.approver.as_str());
        self.require_scoped(
            person,
            &ids,
            account.fields.department_id.as_ref(),
            action,
            clause,
        )
    }

    pub(crate) async fn person(tx: &mut Tx, id: &PersonId) -> Result<Person> {
        nf(tx.people().get(id).await, "person", id.as_str())
    }

    pub(crate) async fn account_in(tx: &mut Tx, id: &AccountId) -> Result<OfficialAccount> {
        nf(tx.accounts().get(id).await, "account", id.as_str())
    }

    // ------------------------------------------------------------------------------------
    // opening

    /// Existing accounts that overlap a proposed one (狛江市 4(2)ア), to show the applicant
    /// before submitting.
    pub async fn overlaps(&self, draft: &AccountDraft) -> Result<Vec<Overlap>> {
        let existing = self.accounts().await?;
        Ok(overlap::find_overlaps(
            &Proposal {
                platform: draft.platform,
                department: draft.department.as_ref(),
                display_name: &draft.display_name,
                purpose: &draft.purpose,
                content: &draft.content,
            },
            &existing,
            None,
        ))
    }

    async fn policy_context(&self, draft: &AccountDraft, now: i64) -> Result<PolicyContext> {
        let mut r = self.read().await?;
        let department = match &draft.department {
            Some(d) => Some(nf(r.departments().get(d).await, "department", d.as_str())?.name),
            None => None,
        };
        let manager = match &draft.manager {
            Some(p) => {
                let person = nf(r.people().get(p).await, "person", p.as_str())?;
                Some(match &department {
                    Some(d) => format!("{d} {}", person.display_name),
                    None => person.display_name,
                })
            }
            None => None,
        };
        Ok(PolicyContext {
            date_ms: now,
            account_name: if draft.display_name.trim().is_empty() {
                draft.handle.clone()
            } else {
                draft.display_name.clone()
            },
            department,
            manager,
            platform: draft.platform,
            handle: draft.handle.trim().to_owned(),
            url: draft.url.clone(),
            email: draft.email.clone(),
            purpose: draft.purpose.clone(),
            content: draft.content.clone(),
            tone: draft.tone.clone(),
            reply_policy: draft.reply_policy.clone(),
            follow_policy: draft.follow_policy.clone(),
            approval_needed: draft.approval_needed,
        })
    }

    /// The operation policy the guideline's template makes of a proposed account.
    pub async fn draft_policy_for(&self, draft: &AccountDraft, now: i64) -> Result<RenderedPolicy> {
        let ctx = self.policy_context(draft, now).await?;
        Ok(policy::render(&self.guideline, &ctx))
    }

    fn draft_of(a: &OfficialAccount) -> AccountDraft {
        let f = &a.fields;
        AccountDraft {
            platform: Some(f.platform),
            handle: f.handle.clone(),
            url: f.url.clone(),
            display_name: f.display_name.clone(),
            department: f.department_id.clone(),
            manager: f.manager_id.clone(),
            email: f.registration_email.clone(),
            purpose: f.purpose.clone(),
            content: f.content_categories.clone(),
            tone: f.tone.clone(),
            reply_policy: f.reply_policy.clone(),
            follow_policy: f.follow_policy.clone(),
            approval_needed: Some(f.approval_required),
            main: f.kind == AccountKind::Main,
        }
    }

    async fn refuse_duplicate(tx: &mut Tx, platform: Platform, handle: &str) -> Result<()> {
        match tx.accounts().get_by_handle(platform, handle).await {
            Ok(existing) => Err(WorkflowError::DuplicateHandle {
                platform: platform.to_string(),
                handle: existing.fields.handle,
                state: existing.state,
            }),
            Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Submits an opening application (開設申請): every field the guideline requires, the
    /// answers to its existing-account review, a policy. The account enters the register as
    /// `applied`, so its handle is reserved.
    pub async fn apply(&self, req: &OpeningRequest, by: &PersonId, now: i64) -> Result<Applied> {
        let g = &self.guideline;
        let platform = validate_opening(g, req)?;
        let overlaps = self.overlaps(&req.account).await?;
        let mut tx = self.begin().await?;
        let person = Self::person(&mut tx, by).await?;
        self.require_scoped(
            &person,
            &[g.opening.applicant.as_str()],
            req.account.department.as_ref(),
            "公式アカウントの開設申請",
            first(&g.opening.clauses),
        )?;
        Self::refuse_duplicate(&mut tx, platform, &req.account.handle).await?;
        let fields = req.account.to_fields(platform);
        let account = tx
            .accounts()
            .create(&NewAccount {
                fields: fields.clone(),
                state: AccountState::Applied,
                verification: VerificationStatus::None,
                followers_count: req.followers,
            })
            .await?;
        let review: Vec<Value> = g
            .opening
            .existing_account_review
            .iter()
            .flat_map(|r| r.questions.iter())
            .map(|q| {
                json!({
                    "id": q.id,
                    "label": q.label,
                    "question": q.text,
                    "answer": req.review.get(&q.id).map(|a| a.trim()),
                })
            })
            .collect();
        let checklist = json!({
            "guideline": g.id,
            "review": review,
            "policy": req.policy,
            "credentials_note": req.credentials_note,
            "start_date": req.start_date,
            "other": req.other,
            "approval_needed": req.account.approval_needed,
            "overlaps": overlaps.iter().map(|o| json!({
                "account_id": o.account_id, "handle": o.handle, "score": o.score,
            })).collect::<Vec<_>>(),
        });
        let application = tx
            .applications()
            .create(&NewApplication {
                kind: ApplicationKind::Opening,
                account_id: Some(account.id.clone()),
                proposal: fields,
                plan: req.plan.trim().to_owned(),
                applicant_id: person.id.clone(),
                checklist,
                overlap_account_ids: overlaps.iter().map(|o| o.account_id.clone()).collect(),
                status: ApplicationStatus::Submitted,
                form_number: g
                    .opening
                    .application_form
                    .as_ref()
                    .map(|f| f.number.clone()),
                submitted_at: Some(now),
            })
            .await?;
        let e = self
            .entry(
                &Actor::Person(person.id.clone()),
                "account.apply",
                Subject::new(subject::ACCOUNT, account.id.as_str()),
                first(&g.opening.clauses),
            )
            .after(&json!({ "account": account, "application": application }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(Applied {
            account,
            application,
            overlaps,
        })
    }

    /// Applies again for a rejected account (rejected → applied) with corrected data.
    pub async fn resubmit(
        &self,
        account: &AccountId,
        req: &OpeningRequest,
        by: &PersonId,
        now: i64,
    ) -> Result<Applied> {
        let g = &self.guideline;
        let platform = validate_opening(g, req)?;
        let mut tx = self.begin().await?;
        let mut acc = Self::account_in(&mut tx, account).await?;
        let to = next_state(acc.state, Action::Resubmit)?;
        let person = Self::person(&mut tx, by).await?;
        self.require_scoped(
            &person,
            &[g.opening.applicant.as_str()],
            req.account.department.as_ref(),
            "公式アカウントの再申請",
            first(&g.opening.clauses),
        )?;
        let before = acc.clone();
        let mut fields = req.account.to_fields(platform);
        // The handle record stays as registered.
        fields.platform = acc.fields.platform;
        fields.handle = acc.fields.handle.clone();
        acc.fields = fields.clone();
        acc.state = to;
        let acc = tx.accounts().update(&acc).await?;
        let existing = tx.accounts().list().await?;
        let overlaps = overlap::find_overlaps(
            &Proposal {
                platform: Some(platform),
                department: req.account.department.as_ref(),
                display_name: &req.account.display_name,
                purpose: &req.account.purpose,
                content: &req.account.content,
            },
            &existing,
            Some(&acc.id),
        );
        let application = tx
            .applications()
            .create(&NewApplication {
                kind: ApplicationKind::Opening,
                account_id: Some(acc.id.clone()),
                proposal: fields,
                plan: req.plan.trim().to_owned(),
                applicant_id: person.id.clone(),
                checklist: json!({
                    "guideline": g.id,
                    "review": req.review,
                    "policy": req.policy,
                    "resubmission": true,
                }),
                overlap_account_ids: overlaps.iter().map(|o| o.account_id.clone()).collect(),
                status: ApplicationStatus::Submitted,
                form_number: g
                    .opening
                    .application_form
                    .as_ref()
                    .map(|f| f.number.clone()),
                submitted_at: Some(now),
            })
            .await?;
        let e = self
            .entry(
                &Actor::Person(person.id.clone()),
                "account.resubmit",
                Subject::new(subject::ACCOUNT, acc.id.as_str()),
                first(&g.opening.clauses),
            )
            .before(&before)?
            .after(&json!({ "account": acc, "application": application }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(Applied {
            account: acc,
            application,
            overlaps,
        })
    }

    /// Approves an application. Only a holder of the guideline's `opening.approver` role —
    /// or, with `waiver`, of `opening.waiver.by` (recorded as a waiver) — and never the
    /// applicant. An opening moves the account to `approved` and drafts policy version 1 from
    /// the application; a purpose change takes effect with a new policy draft.
    pub async fn approve(
        &self,
        application: &ApplicationId,
        by: &PersonId,
        waiver: bool,
        note: Option<&str>,
        now: i64,
    ) -> Result<Decided> {
        self.decide(application, by, Verdict::Approve { waiver }, note, now)
            .await
    }

    /// Rejects an application with a reason.
    pub async fn reject(
        &self,
        application: &ApplicationId,
        by: &PersonId,
        reason: &str,
        now: i64,
    ) -> Result<Decided> {
        self.decide(application, by, Verdict::Reject, Some(reason), now)
            .await
    }

    async fn decide(
        &self,
        application: &ApplicationId,
        by: &PersonId,
        verdict: Verdict,
        note: Option<&str>,
        now: i64,
    ) -> Result<Decided> {
        let g = &self.guideline;
        let mut tx = self.begin().await?;
        let mut app = nf(
            tx.applications().get(application).await,
            "application",
            application.as_str(),
        )?;
        if app.status != ApplicationStatus::Submitted {
            return Err(WorkflowError::ApplicationNotPending {
                id: app.id.to_string(),
                status: app.status.to_string(),
            });
        }
        let person = Self::person(&mut tx, by).await?;
        let waiver = matches!(verdict, Verdict::Approve { waiver: true });
        let (role, cites): (&str, Cites) = if waiver {
            match &g.opening.waiver {
                Some(w) => (w.by.as_str(), w.clauses.clone()),
                None => {
                    return Err(WorkflowError::NoRule {
                        guideline: g.id.clone(),
                        rule: "waiver",
                    });
                }
            }
        } else if app.kind == ApplicationKind::PurposeChange {
            (
                g.opening.approver.as_str(),
                g.opening
                    .reapproval_on_purpose_change
                    .clone()
                    .unwrap_or_else(|| g.opening.clauses.clone()),
            )
        } else {
            (g.opening.approver.as_str(), g.opening.clauses.clone())
        };
        // The decision clause: the last of the opening's (狛江市 4(2)ウ, 美祢市 様式第2号).
        let clause = if app.kind == ApplicationKind::PurposeChange || waiver {
            first(&cites)
        } else {
            last(&cites)
        };
        let action_ja = match verdict {
            Verdict::Approve { .. } => "申請の承認",
            Verdict::Reject => "申請の却下",
        };
        // Rejecting is the approver's, or the waiver holder's.
        let mut allowed = vec![role];
        if matches!(verdict, Verdict::Reject)
            && let Some(w) = &g.opening.waiver
        {
            allowed.push(w.by.as_str());
        }
        self.require_scoped(
            &person,
            &allowed,
            app.proposal.department_id.as_ref(),
            action_ja,
            clause,
        )?;
        if person.id == app.applicant_id {
            return Err(WorkflowError::SelfDecision {
                person: person.display_name,
            });
        }
        let reason = note.map(str::trim).filter(|r| !r.is_empty());
        if matches!(verdict, Verdict::Reject) && reason.is_none() {
            return Err(WorkflowError::ReasonRequired {
                action: "却下".to_owned(),
                clause: clause.map(|c| format!("{} {c}", g.id)),
            });
        }
        let account_id = app
            .account_id
            .clone()
            .ok_or_else(|| not_found("account", format!("application {}", app.id)))?;
        let mut account = Self::account_in(&mut tx, &account_id).await?;
        let before = account.clone();
        let actor = Actor::Person(person.id.clone());
        let mut policy_version = None;
        let action = match (app.kind, verdict) {
            (ApplicationKind::Opening, Verdict::Approve { .. }) => {
                account.state = next_state(account.state, Action::Approve)?;
                account = tx.accounts().update(&account).await?;
                if let Some(body) = app.checklist["policy"]
                    .as_str()
                    .filter(|b| !b.trim().is_empty())
                {
                    policy_version = Some(
                        tx.policies()
                            .create_draft(&NewPolicyVersion {
                                account_id: account.id.clone(),
                                body: body.to_owned(),
                                created_by: actor.clone(),
                            })
                            .await?,
                    );
                }
                if waiver {
                    "account.approve.waiver"
                } else {
                    "account.approve"
                }
            }
            (ApplicationKind::Opening, Verdict::Reject) => {
                account.state = next_state(account.state, Action::Reject)?;
                account = tx.accounts().update(&account).await?;
                "account.reject"
            }
            (ApplicationKind::PurposeChange, Verdict::Approve { .. }) => {
                next_state(account.state, Action::ChangePurpose)?;
                account.fields.purpose = app.proposal.purpose.clone();
                account.fields.content_categories = app.proposal.content_categories.clone();
                account = tx.accounts().update(&account).await?;
                if let Some(body) = app.checklist["policy"]
                    .as_str()
                    .filter(|b| !b.trim().is_empty())
                {
                    policy_version = Some(
                        tx.policies()
                            .create_draft(&NewPolicyVersion {
                                account_id: account.id.clone(),
                                body: body.to_owned(),
                                created_by: actor.clone(),
                            })
                            .await?,
                    );
                }
                "account.purpose_change.approve"
            }
            (ApplicationKind::PurposeChange, Verdict::Reject) => "account.purpose_change.reject",
        };
        app.status = match verdict {
            Verdict::Approve { .. } => ApplicationStatus::Approved,
            Verdict::Reject => ApplicationStatus::Rejected,
        };
        app.decision = Some(Decision {
            by: person.id.clone(),
            at: now,
            reason: reason.map(str::to_owned),
            waiver,
        });
        let app = tx.applications().update(&app).await?;
        let e = self
            .entry(
                &actor,
                action,
                Subject::new(subject::ACCOUNT, account.id.as_str()),
                clause,
            )
            .before(&before)?
            .after(&json!({
                "account": account,
                "application": app,
                "policy_version": policy_version.as_ref().map(|p| p.version),
                "clauses": cites,
            }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(Decided {
            application: app,
            account,
            policy: policy_version,
        })
    }

    /// Changes an account's purpose. Where the guideline sets
    /// `reapproval_on_purpose_change` (神栖市 第4条), this files an application for the
    /// approver; otherwise the change takes effect with a new policy draft.
    pub async fn change_purpose(
        &self,
        account: &AccountId,
        change: &PurposeChange,
        by: &PersonId,
        now: i64,
    ) -> Result<PurposeChangeOutcome> {
        let g = &self.guideline;
        if change.purpose.trim().is_empty() {
            return Err(WorkflowError::Invalid {
                field: "purpose",
                ja: "新しい目的を入力してください".to_owned(),
                en: "the new purpose is empty".to_owned(),
            });
        }
        let current = self.account(account).await?;
        let mut draft = Self::draft_of(&current);
        draft.purpose = change.purpose.trim().to_owned();
        if !change.content.is_empty() {
            draft.content = change.content.clone();
        }
        let policy_text = match &change.policy {
            Some(p) if !p.trim().is_empty() => p.clone(),
            _ => self.draft_policy_for(&draft, now).await?.body,
        };
        let mut tx = self.begin().await?;
        let mut acc = Self::account_in(&mut tx, account).await?;
        next_state(acc.state, Action::ChangePurpose)?;
        let person = Self::person(&mut tx, by).await?;
        let actor = Actor::Person(person.id.clone());
        let before = acc.clone();
        let mut fields = acc.fields.clone();
        fields.purpose = draft.purpose.clone();
        fields.content_categories = draft.to_fields(fields.platform).content_categories;
        if let Some(cites) = &g.opening.reapproval_on_purpose_change {
            self.require_manage(&person, &acc, "目的の変更の申請", first(cites))?;
            let pending = tx.applications().list_for_account(&acc.id).await?;
            if let Some(p) = pending
                .iter()
                .find(|a| a.status == ApplicationStatus::Submitted)
            {
                return Err(WorkflowError::Invalid {
                    field: "application",
                    ja: format!(
                        "このアカウントには審査中の申請（{}）があります。決定を待ってください",
                        p.id
                    ),
                    en: format!("application {} is still pending for this account", p.id),
                });
            }
            let application = tx
                .applications()
                .create(&NewApplication {
                    kind: ApplicationKind::PurposeChange,
                    account_id: Some(acc.id.clone()),
                    proposal: fields,
                    plan: change.reason.trim().to_owned(),
                    applicant_id: person.id.clone(),
                    checklist: json!({
                        "guideline": g.id,
                        "policy": policy_text,
                        "reason": change.reason,
                        "previous_purpose": acc.fields.purpose,
                    }),
                    overlap_account_ids: Vec::new(),
                    status: ApplicationStatus::Submitted,
                    form_number: None,
                    submitted_at: Some(now),
                })
                .await?;
            let e = self
                .entry(
                    &actor,
                    "account.purpose_change.apply",
                    Subject::new(subject::ACCOUNT, acc.id.as_str()),
                    first(cites),
                )
                .after(&json!({ "application": application }))?;
            tx.audit().append(&e).await?;
            tx.commit().await?;
            return Ok(PurposeChangeOutcome::NeedsApproval { application });
        }
        let clause = g
            .operation_policy
            .as_ref()
            .and_then(|p| first(&p.clauses))
            .or(first(&g.opening.clauses));
        self.require_manage(&person, &acc, "目的の変更", clause)?;
        acc.fields = fields;
        let acc = tx.accounts().update(&acc).await?;
        let policy = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: acc.id.clone(),
                body: policy_text,
                created_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                "account.purpose_change",
                Subject::new(subject::ACCOUNT, acc.id.as_str()),
                clause,
            )
            .before(&before)?
            .after(&json!({ "account": acc, "policy_version": policy.version }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(PurposeChangeOutcome::Changed {
            account: acc,
            policy,
        })
    }

    /// Registers an account that existed before the guideline (美祢市 第5): reported to
    /// `grandfathering.report_to`, without approval.
    pub async fn report_grandfathered(
        &self,
        rep: &GrandfatheredReport,
        by: &PersonId,
        now: i64,
    ) -> Result<OfficialAccount> {
        let g = &self.guideline;
        let Some(rule) = &g.grandfathering else {
            return Err(WorkflowError::NoRule {
                guideline: g.id.clone(),
                rule: "grandfathering",
            });
        };
        let platform = validate_report(g, rep)?;
        let mut tx = self.begin().await?;
        let person = Self::person(&mut tx, by).await?;
        let clause = first(&rule.clauses);
        self.require_scoped(
            &person,
            &[g.opening.applicant.as_str(), rule.report_to.as_str()],
            rep.account.department.as_ref(),
            "既存アカウントの届出",
            clause,
        )?;
        Self::refuse_duplicate(&mut tx, platform, &rep.account.handle).await?;
        let account = tx
            .accounts()
            .create(&NewAccount {
                fields: rep.account.to_fields(platform),
                state: AccountState::Grandfathered,
                verification: VerificationStatus::None,
                followers_count: rep.followers,
            })
            .await?;
        let report_to = g.role(&rule.report_to).map(|r| r.name.clone());
        let actor = Actor::Person(person.id.clone());
        let event = tx
            .events()
            .create(&NewAccountEvent {
                account_id: account.id.clone(),
                kind: "grandfathered-report".to_owned(),
                payload: json!({
                    "report_to": rule.report_to,
                    "report_to_name": report_to,
                    "since": rep.since,
                    "note": rep.note,
                    "clauses": rule.clauses,
                }),
                occurred_at: now,
                effective_at: None,
                next_check_at: None,
                related_account_id: None,
                recorded_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                "account.report_grandfathered",
                Subject::new(subject::ACCOUNT, account.id.as_str()),
                clause,
            )
            .after(&json!({ "account": account, "event": event }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Simple state moves that only need the right person: activate, regularize, resume.
    async fn move_state(
        &self,
        account: &AccountId,
        action: Action,
        by: &PersonId,
        now: i64,
    ) -> Result<OfficialAccount> {
        let g = &self.guideline;
        let mut tx = self.begin().await?;
        let mut acc = Self::account_in(&mut tx, account).await?;
        let to = next_state(acc.state, action)?;
        let person = Self::person(&mut tx, by).await?;
        let (audit_action, clause) = match action {
            Action::Activate => {
                let publish = g.operation_policy.as_ref().filter(|p| p.publish);
                let clause = publish
                    .and_then(|p| last(&p.clauses))
                    .or(last(&g.opening.clauses));
                self.require_manage(&person, &acc, "運用開始", clause)?;
                if publish.is_some() && tx.policies().published(&acc.id).await?.is_none() {
                    return Err(WorkflowError::PolicyNotPublished {
                        guideline: g.id.clone(),
                        clause: clause.map(str::to_owned),
                    });
                }
                ("account.activate", clause)
            }
            Action::Regularize => {
                let Some(rule) = &g.grandfathering else {
                    return Err(WorkflowError::NoRule {
                        guideline: g.id.clone(),
                        rule: "grandfathering",
                    });
                };
                let clause = first(&rule.clauses);
                self.require_scoped(
                    &person,
                    &[rule.report_to.as_str()],
                    acc.fields.department_id.as_ref(),
                    "届出の受理",
                    clause,
                )?;
                ("account.regularize", clause)
            }
            Action::Resume => {
                let (role, clause) = match &g.suspension {
                    Some(s) => (s.decided_by.as_str(), first(&s.clauses)),
                    None => (g.opening.approver.as_str(), last(&g.opening.clauses)),
                };
                self.require_scoped(
                    &person,
                    &[role],
                    acc.fields.department_id.as_ref(),
                    "運用再開",
                    clause,
                )?;
                // No more periodic checks of a running account.
                for ev in tx.events().list_for_account(&acc.id).await? {
                    if ev.next_check_at.is_some() {
                        tx.events().set_next_check(&ev.id, None).await?;
                    }
                }
                ("account.resume", clause)
            }
            other => {
                return Err(WorkflowError::IllegalTransition {
                    from: acc.state,
                    action: other,
                });
            }
        };
        let before = acc.clone();
        acc.state = to;
        let acc = tx.accounts().update(&acc).await?;
        let actor = Actor::Person(person.id.clone());
        tx.events()
            .create(&NewAccountEvent {
                account_id: acc.id.clone(),
                kind: action.id().to_owned(),
                payload: json!({ "from": before.state, "to": acc.state }),
                occurred_at: now,
                effective_at: None,
                next_check_at: None,
                related_account_id: None,
                recorded_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                audit_action,
                Subject::new(subject::ACCOUNT, acc.id.as_str()),
                clause,
            )
            .before(&before)?
            .after(&acc)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(acc)
    }

    /// Starts running an approved account (approved → active). Where the guideline publishes
    /// operation policies, one must be published first.
    pub async fn activate(
        &self,
        account: &AccountId,
        by: &PersonId,
        now: i64,
    ) -> Result<OfficialAccount> {
        self.move_state(account, Action::Activate, by, now).await
    }

    /// Accepts a grandfathered account's report into regular operation (grandfathered →
    /// active), by the role it was reported to.
    pub async fn regularize(
        &self,
        account: &AccountId,
        by: &PersonId,
        now: i64,
    ) -> Result<OfficialAccount> {
        self.move_state(account, Action::Regularize, by, now).await
    }

    /// Runs a suspended account again (suspended → active).
    pub async fn resume(
        &self,
        account: &AccountId,
        by: &PersonId,
        now: i64,
    ) -> Result<OfficialAccount> {
        self.move_state(account, Action::Resume, by, now).await
    }

    // ------------------------------------------------------------------------------------
    // operation policy

    /// Drafts a new policy version from the account's current data and the guideline's
    /// template (every version is kept).
    pub async fn draft_policy(
        &self,
        account: &AccountId,
        by: &PersonId,
        now: i64,
    ) -> Result<PolicyVersion> {
        let g = &self.guideline;
        let current = self.account(account).await?;
        let body = self
            .draft_policy_for(&Self::draft_of(&current), now)
            .await?
            .body;
        let clause = g.operation_policy.as_ref().and_then(|p| first(&p.clauses));
        let mut tx = self.begin().await?;
        let acc = Self::account_in(&mut tx, account).await?;
        let person = Self::person(&mut tx, by).await?;
        self.require_manage(&person, &acc, "運用ポリシーの作成", clause)?;
        let actor = Actor::Person(person.id.clone());
        let v = tx
            .policies()
            .create_draft(&NewPolicyVersion {
                account_id: acc.id.clone(),
                body,
                created_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                "policy.draft",
                Subject::new(subject::POLICY, v.id.as_str()),
                clause,
            )
            .after(&v)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Publishes a draft version (the latest draft when `version` is `None`); the version
    /// published before it is superseded, never deleted.
    pub async fn publish_policy(
        &self,
        account: &AccountId,
        version: Option<i64>,
        by: &PersonId,
        now: i64,
    ) -> Result<PolicyVersion> {
        let g = &self.guideline;
        let clause = g.operation_policy.as_ref().and_then(|p| last(&p.clauses));
        let mut tx = self.begin().await?;
        let acc = Self::account_in(&mut tx, account).await?;
        if matches!(
            acc.state,
            AccountState::Applied | AccountState::Rejected | AccountState::Closed
        ) {
            return Err(WorkflowError::Invalid {
                field: "state",
                ja: format!(
                    "「{}」のアカウントの運用ポリシーは公開できません",
                    crate::state::state_label(acc.state)
                ),
                en: format!(
                    "cannot publish the policy of an account that is {}",
                    acc.state
                ),
            });
        }
        let person = Self::person(&mut tx, by).await?;
        self.require_manage(&person, &acc, "運用ポリシーの公開", clause)?;
        let versions = tx.policies().list_for_account(&acc.id).await?;
        let draft = match version {
            Some(n) => versions.iter().find(|v| v.version == n),
            None => versions
                .iter()
                .rev()
                .find(|v| v.status == PolicyStatus::Draft),
        };
        let Some(draft) = draft.filter(|v| v.status == PolicyStatus::Draft) else {
            return Err(WorkflowError::NoPolicyDraft {
                account: acc.fields.handle.clone(),
            });
        };
        let (published, superseded) = tx.policies().publish(&draft.id, now).await?;
        let actor = Actor::Person(person.id.clone());
        let e = self
            .entry(
                &actor,
                "policy.publish",
                Subject::new(subject::POLICY, published.id.as_str()),
                clause,
            )
            .after(&json!({
                "account_id": acc.id,
                "version": published.version,
                "superseded": superseded.as_ref().map(|s| s.version),
            }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(published)
    }

    // ------------------------------------------------------------------------------------
    // suspension, checks and closure

    /// Suspends an account (狛江市 4(5)): records the impact (followers), the notice period
    /// and the notice post, the redirect to the main account, keeps the handle, and schedules
    /// the periodic check of the kept account.
    pub async fn suspend(
        &self,
        account: &AccountId,
        req: &SuspendRequest,
        by: &PersonId,
        now: i64,
    ) -> Result<Suspension> {
        let g = &self.guideline;
        let rule = g.suspension.as_ref();
        let cites: Cites = rule.map_or_else(|| g.opening.clauses.clone(), |s| s.clauses.clone());
        let step_clause = |id: &str| -> String {
            rule.and_then(|s| s.steps.iter().find(|st| st.id == id))
                .and_then(|st| st.clauses.first().cloned())
                .or_else(|| cites.first().cloned())
                .unwrap_or_default()
        };
        let decided_by = rule.map_or(g.opening.approver.as_str(), |s| s.decided_by.as_str());
        let clause = first(&cites);
        let mut tx = self.begin().await?;
        let mut acc = Self::account_in(&mut tx, account).await?;
        let to = next_state(acc.state, Action::Suspend)?;
        let person = Self::person(&mut tx, by).await?;
        self.require_scoped(
            &person,
            &[decided_by],
            acc.fields.department_id.as_ref(),
            "運用停止",
            clause,
        )?;
        let reason = req.reason.trim();
        if reason.is_empty() {
            return Err(WorkflowError::ReasonRequired {
                action: "運用停止".to_owned(),
                clause: Some(format!("{} {}", g.id, step_clause("publish-reason"))),
            });
        }
        let followers = req.followers.or(acc.followers_count);
        let needs_impact = rule.is_some_and(|s| s.steps.iter().any(|st| st.id == "assess-impact"));
        if needs_impact && followers.is_none() {
            return Err(WorkflowError::ImpactRequired {
                guideline: g.id.clone(),
                clause: step_clause("assess-impact"),
            });
        }
        if followers.is_some_and(|n| n < 0) {
            return Err(WorkflowError::Invalid {
                field: "followers",
                ja: "フォロワー数は 0 以上で指定してください".to_owned(),
                en: "followers must not be negative".to_owned(),
            });
        }
        let redirect = if rule.is_some_and(|s| s.redirect_to_main) || req.redirect_to.is_some() {
            let target = match &req.redirect_to {
                Some(id) => Some(Self::account_in(&mut tx, id).await?),
                None => {
                    let all = tx.accounts().list().await?;
                    let mains: Vec<OfficialAccount> = all
                        .into_iter()
                        .filter(|a| {
                            a.id != acc.id
                                && a.fields.kind == AccountKind::Main
                                && a.state == AccountState::Active
                        })
                        .collect();
                    mains
                        .iter()
                        .find(|a| a.fields.platform == acc.fields.platform)
                        .or(mains.first())
                        .cloned()
                }
            };
            match target {
                Some(t)
                    if t.id != acc.id
                        && matches!(
                            t.state,
                            AccountState::Active | AccountState::Grandfathered
                        ) =>
                {
                    Some(t)
                }
                _ => {
                    return Err(WorkflowError::NoRedirectTarget {
                        guideline: g.id.clone(),
                        clause: step_clause("redirect-to-main"),
                    });
                }
            }
        } else {
            None
        };
        let notice_days = rule.and_then(|s| s.notice_days).unwrap_or(0);
        let effective_at = time::add_days(now, notice_days);
        let next_check_at = rule
            .and_then(|s| s.recheck_days)
            .map(|d| time::add_days(effective_at, d));
        let keep_handle = rule.is_none_or(|s| s.keep_handle);
        let publish_reason = rule.is_some_and(|s| s.publish_reason);
        let notice_text = match req
            .notice_text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t) => t.to_owned(),
            None => notice_post(
                g,
                &acc,
                redirect.as_ref(),
                effective_at,
                keep_handle,
                publish_reason.then_some(reason),
            ),
        };
        let before = acc.clone();
        acc.state = to;
        acc.followers_count = followers;
        let acc = tx.accounts().update(&acc).await?;
        let actor = Actor::Person(person.id.clone());
        let event = tx
            .events()
            .create(&NewAccountEvent {
                account_id: acc.id.clone(),
                kind: "suspension".to_owned(),
                payload: json!({
                    "reason": reason,
                    "followers": followers,
                    "notice_days": notice_days,
                    "notice_text": notice_text,
                    "redirect_to": redirect.as_ref().map(|r| json!({
                        "account_id": r.id, "platform": r.fields.platform, "handle": r.fields.handle,
                    })),
                    "keep_handle": keep_handle,
                    "publish_reason": publish_reason,
                    "recheck_days": rule.and_then(|s| s.recheck_days),
                    "steps": rule.map(|s| s.steps.iter().map(|st| st.id.clone()).collect::<Vec<_>>()),
                    "clauses": cites,
                }),
                occurred_at: now,
                effective_at: Some(effective_at),
                next_check_at,
                related_account_id: redirect.as_ref().map(|r| r.id.clone()),
                recorded_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                "account.suspend",
                Subject::new(subject::ACCOUNT, acc.id.as_str()),
                clause,
            )
            .before(&before)?
            .after(&json!({ "account": acc, "event": event }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(Suspension {
            account: acc,
            event,
            notice_text,
            effective_at,
            next_check_at,
            redirect_to: redirect,
        })
    }

    /// Kept accounts whose periodic check is due at `now`.
    pub async fn due_checks(&self, now: i64) -> Result<Vec<DueCheck>> {
        let mut r = self.read().await?;
        let events = r.events().list_due(now).await?;
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let account = r.accounts().get(&event.account_id).await?;
            out.push(DueCheck { account, event });
        }
        Ok(out)
    }

    /// Records a periodic check of a kept account and schedules the next one
    /// (狛江市 4(5)エ).
    pub async fn record_check(
        &self,
        account: &AccountId,
        note: &str,
        by: &PersonId,
        now: i64,
    ) -> Result<AccountEvent> {
        let g = &self.guideline;
        let rule = g.suspension.as_ref();
        let clause = rule
            .and_then(|s| s.steps.iter().find(|st| st.id == "recheck"))
            .and_then(|st| st.clauses.first().cloned())
            .or_else(|| rule.and_then(|s| s.clauses.first().cloned()));
        let mut tx = self.begin().await?;
        let acc = Self::account_in(&mut tx, account).await?;
        if !matches!(acc.state, AccountState::Suspended | AccountState::Closed) {
            return Err(WorkflowError::Invalid {
                field: "state",
                ja: "定期確認は運用停止中・廃止済みのアカウントについて記録します".to_owned(),
                en: "checks are recorded for suspended or closed accounts".to_owned(),
            });
        }
        let person = Self::person(&mut tx, by).await?;
        self.require_manage(&person, &acc, "停止後の状態確認", clause.as_deref())?;
        for ev in tx.events().list_for_account(&acc.id).await? {
            if ev.next_check_at.is_some() {
                tx.events().set_next_check(&ev.id, None).await?;
            }
        }
        let next = rule
            .and_then(|s| s.recheck_days)
            .map(|d| time::add_days(now, d));
        let actor = Actor::Person(person.id.clone());
        let event = tx
            .events()
            .create(&NewAccountEvent {
                account_id: acc.id.clone(),
                kind: "recheck".to_owned(),
                payload: json!({ "note": note.trim(), "state": acc.state }),
                occurred_at: now,
                effective_at: None,
                next_check_at: next,
                related_account_id: None,
                recorded_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                "account.recheck",
                Subject::new(subject::ACCOUNT, acc.id.as_str()),
                clause.as_deref(),
            )
            .after(&event)?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Closes an account (高鍋町 7) with a reason, published where the guideline says. The
    /// record and its handle stay in the register for good.
    pub async fn close(
        &self,
        account: &AccountId,
        reason: &str,
        by: &PersonId,
        now: i64,
    ) -> Result<OfficialAccount> {
        let g = &self.guideline;
        let (decided_by, cites, publish_reason) = match &g.closure {
            Some(c) => (c.decided_by.as_str(), c.clauses.clone(), c.publish_reason),
            None => (
                g.opening.approver.as_str(),
                g.opening.clauses.clone(),
                false,
            ),
        };
        let clause = if g.closure.is_some() {
            first(&cites)
        } else {
            last(&cites)
        };
        let mut tx = self.begin().await?;
        let mut acc = Self::account_in(&mut tx, account).await?;
        let to = next_state(acc.state, Action::Close)?;
        let person = Self::person(&mut tx, by).await?;
        self.require_scoped(
            &person,
            &[decided_by],
            acc.fields.department_id.as_ref(),
            "廃止",
            clause,
        )?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(WorkflowError::ReasonRequired {
                action: "廃止".to_owned(),
                clause: clause.map(|c| format!("{} {c}", g.id)),
            });
        }
        let before = acc.clone();
        acc.state = to;
        let acc = tx.accounts().update(&acc).await?;
        let actor = Actor::Person(person.id.clone());
        let event = tx
            .events()
            .create(&NewAccountEvent {
                account_id: acc.id.clone(),
                kind: "closure".to_owned(),
                payload: json!({
                    "reason": reason,
                    "publish_reason": publish_reason,
                    "keep_handle": true,
                    "from": before.state,
                    "clauses": cites,
                }),
                occurred_at: now,
                effective_at: Some(now),
                next_check_at: None,
                related_account_id: None,
                recorded_by: actor.clone(),
            })
            .await?;
        let e = self
            .entry(
                &actor,
                "account.close",
                Subject::new(subject::ACCOUNT, acc.id.as_str()),
                clause,
            )
            .before(&before)?
            .after(&json!({ "account": acc, "event": event }))?;
        tx.audit().append(&e).await?;
        tx.commit().await?;
        Ok(acc)
    }
}

#[derive(Clone, Copy, Debug)]
enum Verdict {
    Approve { waiver: bool },
    Reject,
}

/// The draft of the notice post before a suspension (狛江市 4(5)ウ).
pub fn notice_post(
    g: &Guideline,
    account: &OfficialAccount,
    redirect: Option<&OfficialAccount>,
    effective_at: i64,
    keep_handle: bool,
    reason: Option<&str>,
) -> String {
    let mut s = format!(
        "【運用停止のお知らせ】\n{}（{}）は、{}をもって運用を停止します。\n",
        account.fields.display_name,
        account.fields.handle,
        time::wareki_date(effective_at)
    );
    if let Some(reason) = reason {
        s.push_str(&format!("停止の理由: {reason}\n"));
    }
    if let Some(r) = redirect {
        let place = r.fields.url.as_deref().unwrap_or(&r.fields.handle);
        s.push_str(&format!(
            "今後の{}の情報は、{}（{}）でお知らせします。\n",
            g.municipality.name, r.fields.display_name, place
        ));
    }
    if keep_handle {
        s.push_str("なりすまし防止のため、このアカウントは削除せずに残します。\n");
    }
    s.push_str("これまでご覧いただき、ありがとうございました。");
    s
}
