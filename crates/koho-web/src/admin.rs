//! The register's staff screens beyond the application list: applying for an account (with
//! the comparison with existing accounts the guideline asks for, e.g. 狛江市 4(2)ア(ア)(イ)(ウ)),
//! the list of every account, an account's procedures (start, suspend with notice and
//! redirect keeping the handle, resume, close), its operation policy (versions, a new draft,
//! publication) and the printable forms (美祢市 様式第1号・第2号) as pages that print on A4.
//!
//! As in `staff.rs`, each handler asks [`Staff::require`] for the screen's [`Action`] first;
//! the workflow then applies the finer rules of the step (own department, state machine),
//! refusing with a coded error that cites the guideline clause.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use koho_guideline::FieldId;
use koho_store::{
    AccountId, AccountState, ApplicationId, DepartmentId, PersonId, Platform, PolicyStatus,
};
use koho_workflow::auth::Action;
use koho_workflow::time::iso_minute;
use koho_workflow::{AccountDraft, OpeningRequest, SuspendRequest, WorkflowError};
use serde::Deserialize;

use crate::auth::{Staff, now_ms};
use crate::error::AppError;
use crate::forms::{FormError, FormInput, FormKind, FormStyle, render_form};
use crate::i18n::{Msgs, fill};
use crate::middleware::Ctx;
use crate::pages::{Choice, Layout, html};
use crate::staff::workflow_error;
use crate::state::AppState;

/// Longest value of one field of these forms, in characters (a policy is longer: see
/// [`koho_workflow::admin::MAX_POLICY_CHARS`]).
pub const MAX_FIELD_CHARS: usize = 4000;

pub(crate) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Ids are UUIDs; anything else cannot be one and is not looked up.
pub(crate) fn uuid_like(id: &str) -> Result<&str, AppError> {
    if id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        Ok(id)
    } else {
        Err(AppError::not_found())
    }
}

pub(crate) fn platform_name(m: &Msgs, p: Platform) -> &'static str {
    koho_check::Platform::from_id(p.as_str()).map_or(m.staff_unknown, |gp| m.platform(gp))
}

pub(crate) fn state_name(m: &Msgs, s: AccountState) -> &'static str {
    m.get(&format!("staff.state.{}", s.as_str()))
        .unwrap_or(m.staff_unknown)
}

/// The fields of a posted form. Unknown names are refused (`FORM_INVALID`) except the
/// CSRF token, which the middleware checked; values with control characters other than
/// line ends, or longer than `limit`, are refused too.
pub(crate) fn parse_form(
    body: &[u8],
    known: &[&str],
    prefixes: &[&str],
    limit: usize,
) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k == "csrf" {
            continue;
        }
        if !known.contains(&k.as_ref()) && !prefixes.iter().any(|p| k.starts_with(p)) {
            return Err(AppError::bad_form());
        }
        if v.chars().count() > limit
            || v.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(AppError::bad_form());
        }
        out.insert(k.into_owned(), v.into_owned());
    }
    Ok(out)
}

fn opt(f: &BTreeMap<String, String>, k: &str) -> Option<String> {
    f.get(k)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn val(f: &BTreeMap<String, String>, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// /staff/accounts

/// One account of the staff list.
pub struct AccountRow {
    pub href: String,
    pub title: String,
    pub platform: &'static str,
    pub handle: String,
    pub department: String,
    pub state: &'static str,
    pub policy: String,
}

#[derive(Template)]
#[template(path = "staff/admin/accounts.html")]
struct AccountsPage {
    page: Layout,
    rows: Vec<AccountRow>,
    can_apply: bool,
}

/// `GET /staff/accounts`: every account of the register, any state.
pub async fn accounts(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let rows = staff
        .site
        .register_rows()
        .await
        .map_err(|e| workflow_error(&e))?
        .into_iter()
        .map(|r| AccountRow {
            href: format!("/staff/accounts/{}/manage", r.account_id),
            title: r.display_name,
            platform: platform_name(m, r.platform),
            handle: r.handle,
            department: r.department.unwrap_or_default(),
            state: state_name(m, r.state),
            policy: r
                .policy_version
                .map(|v| fill(m.staff_policy_version, &[("version", &v.to_string())]))
                .unwrap_or_else(|| m.register_no_policy.to_owned()),
        })
        .collect();
    let t = AccountsPage {
        page: Layout::new(&app, &ctx, m.admin_accounts_title, "staff"),
        rows,
        can_apply: staff.may(Action::ApplyForAccount),
    };
    Ok(html(StatusCode::OK, t.render()))
}

// ---------------------------------------------------------------------------------------------
// /staff/applications/new

/// One input of the application form.
pub struct InputView {
    pub id: String,
    pub name: String,
    pub label: String,
    /// `text`, `textarea`, `select`, `number`, `checkbox`
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Choice>,
    pub hint: Option<String>,
    pub rows: u8,
}

/// An existing account that resembles the proposed one.
pub struct OverlapView {
    pub href: String,
    pub account: String,
    pub state: &'static str,
    pub score: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "staff/admin/apply.html")]
struct ApplyPage {
    page: Layout,
    lead: String,
    inputs: Vec<InputView>,
    review: Vec<InputView>,
    review_lead: Option<String>,
    compared: bool,
    overlaps: Vec<OverlapView>,
    error: Option<String>,
}

const APPLY_FIELDS: &[&str] = &[
    "platform",
    "handle",
    "url",
    "display_name",
    "department",
    "manager",
    "email",
    "purpose",
    "content",
    "tone",
    "reply_policy",
    "follow_policy",
    "approval_needed",
    "main",
    "plan",
    "policy",
    "credentials_note",
    "start_date",
    "other",
    "followers",
    "step",
];

/// The catalogue's label of a form field and the guideline's field id it fills.
fn field_meta(m: &Msgs, name: &str) -> (&'static str, Option<FieldId>) {
    match name {
        "platform" => (m.admin_apply_platform, Some(FieldId::Platform)),
        "handle" => (m.admin_apply_handle, Some(FieldId::Handle)),
        "url" => (m.admin_apply_url, Some(FieldId::Url)),
        "display_name" => (m.admin_apply_display_name, Some(FieldId::DisplayName)),
        "department" => (m.admin_apply_department, Some(FieldId::Department)),
        "manager" => (m.admin_apply_manager, Some(FieldId::Manager)),
        "email" => (m.admin_apply_email, Some(FieldId::Email)),
        "purpose" => (m.admin_apply_purpose, Some(FieldId::Purpose)),
        "content" => (m.admin_apply_content, Some(FieldId::Content)),
        "tone" => (m.admin_apply_tone, Some(FieldId::Tone)),
        "reply_policy" => (m.admin_apply_reply_policy, Some(FieldId::ReplyPolicy)),
        "follow_policy" => (m.admin_apply_follow_policy, Some(FieldId::FollowPolicy)),
        "approval_needed" => (m.admin_apply_approval_needed, Some(FieldId::ApprovalNeeded)),
        "main" => (m.admin_apply_main, None),
        "plan" => (m.admin_apply_plan, Some(FieldId::Plan)),
        "policy" => (m.admin_apply_policy, Some(FieldId::Policy)),
        "credentials_note" => (m.admin_apply_credentials, Some(FieldId::Credentials)),
        "start_date" => (m.admin_apply_start_date, Some(FieldId::StartDate)),
        "other" => (m.admin_apply_other, Some(FieldId::Other)),
        "followers" => (m.admin_apply_followers, None),
        _ => (m.staff_unknown, None),
    }
}

fn cite(m: &Msgs, guideline: &str, clauses: &[String]) -> String {
    if clauses.is_empty() {
        guideline.to_owned()
    } else {
        format!("{guideline} {}", clauses.join(m.admin_clause_separator))
    }
}

async fn apply_page(
    app: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    f: &BTreeMap<String, String>,
    compared: Option<Vec<OverlapView>>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let m = ctx.lang.msgs();
    let wf = &staff.site;
    let g = wf.guideline();
    let departments = wf.departments().await.map_err(|e| workflow_error(&e))?;
    let people = wf.people().await.map_err(|e| workflow_error(&e))?;
    // The applicant's own department first: the guideline lets a section apply for itself.
    let dept_value = f.get("department").cloned().unwrap_or_else(|| {
        staff
            .person
            .department_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    });
    let mut inputs = Vec::new();
    for name in APPLY_FIELDS.iter().filter(|n| **n != "step") {
        let (label, fid) = field_meta(m, name);
        let required: Vec<&koho_guideline::ApplicationField> = fid
            .map(|id| g.opening.fields.iter().filter(|x| x.id == id).collect())
            .unwrap_or_default();
        let hint = if required.is_empty() {
            None
        } else {
            Some(fill(
                m.admin_apply_required,
                &[
                    (
                        "label",
                        &required
                            .iter()
                            .map(|r| r.label.as_str())
                            .collect::<Vec<_>>()
                            .join(m.admin_clause_separator),
                    ),
                    (
                        "clause",
                        &cite(
                            m,
                            &g.id,
                            &required
                                .iter()
                                .flat_map(|r| r.clauses.iter().cloned())
                                .collect::<Vec<_>>(),
                        ),
                    ),
                ],
            ))
        };
        let mut input = InputView {
            id: format!("apply-{}", name.replace('_', "-")),
            name: (*name).to_owned(),
            label: label.to_owned(),
            kind: "text",
            value: val(f, name),
            options: Vec::new(),
            hint,
            rows: 0,
        };
        match *name {
            "platform" => {
                input.kind = "select";
                input.options = std::iter::once(Choice {
                    value: String::new(),
                    label: m.admin_choose.to_owned(),
                    selected: input.value.is_empty(),
                })
                .chain(Platform::ALL.iter().map(|p| Choice {
                    value: p.as_str().to_owned(),
                    label: platform_name(m, *p).to_owned(),
                    selected: input.value == p.as_str(),
                }))
                .collect();
            }
            "department" => {
                input.kind = "select";
                input.value = dept_value.clone();
                input.options = std::iter::once(Choice {
                    value: String::new(),
                    label: m.admin_none.to_owned(),
                    selected: dept_value.is_empty(),
                })
                .chain(departments.iter().map(|d| Choice {
                    value: d.id.to_string(),
                    label: d.name.clone(),
                    selected: dept_value == d.id.as_str(),
                }))
                .collect();
            }
            "manager" => {
                input.kind = "select";
                input.options = std::iter::once(Choice {
                    value: String::new(),
                    label: m.admin_none.to_owned(),
                    selected: input.value.is_empty(),
                })
                .chain(people.iter().filter(|p| p.active).map(|p| Choice {
                    value: p.id.to_string(),
                    label: p.display_name.clone(),
                    selected: input.value == p.id.as_str(),
                }))
                .collect();
            }
            "approval_needed" => {
                input.kind = "select";
                input.options = [
                    ("", m.admin_choose),
                    ("yes", m.admin_apply_approval_yes),
                    ("no", m.admin_apply_approval_no),
                ]
                .iter()
                .map(|(v, l)| Choice {
                    value: (*v).to_owned(),
                    label: (*l).to_owned(),
                    selected: input.value == *v,
                })
                .collect();
            }
            "main" => input.kind = "checkbox",
            "followers" => input.kind = "number",
            "purpose" | "content" | "plan" | "other" | "reply_policy" | "follow_policy"
            | "tone" => {
                input.kind = "textarea";
                input.rows = 3;
            }
            "policy" => {
                input.kind = "textarea";
                input.rows = 12;
            }
            _ => {}
        }
        if *name == "content" && input.hint.is_none() {
            input.hint = Some(m.admin_apply_content_hint.to_owned());
        }
        inputs.push(input);
    }
    let (review, review_lead) = match &g.opening.existing_account_review {
        Some(r) => (
            r.questions
                .iter()
                .map(|q| InputView {
                    id: format!("review-{}", q.id),
                    name: format!("review.{}", q.id),
                    label: q.label.clone(),
                    kind: "textarea",
                    value: val(f, &format!("review.{}", q.id)),
                    options: Vec::new(),
                    hint: Some(q.text.clone()),
                    rows: 2,
                })
                .collect(),
            Some(fill(
                m.admin_apply_review_lead,
                &[("clause", &cite(m, &g.id, &r.clauses))],
            )),
        ),
        None => (Vec::new(), None),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let t = ApplyPage {
        page: Layout::new(app, ctx, m.admin_apply_title, "staff"),
        lead: fill(
            m.admin_apply_lead,
            &[("clause", &cite(m, &g.id, &g.opening.clauses))],
        ),
        inputs,
        review,
        review_lead,
        compared: compared.is_some(),
        overlaps: compared.unwrap_or_default(),
        error,
    };
    Ok(html(status, t.render()))
}

/// `GET /staff/applications/new`
pub async fn apply_form(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
) -> Result<Response, AppError> {
    staff.require(Action::ApplyForAccount)?;
    apply_page(&app, &ctx, &staff, &BTreeMap::new(), None, None).await
}

/// The application the form describes (the same shape the API takes as JSON).
fn opening_request(f: &BTreeMap<String, String>) -> Result<OpeningRequest, AppError> {
    let platform = match opt(f, "platform") {
        Some(p) => Some(p.parse::<Platform>().map_err(|_| AppError::bad_form())?),
        None => None,
    };
    let followers = match opt(f, "followers") {
        Some(n) => Some(n.parse::<i64>().map_err(|_| AppError::bad_form())?),
        None => None,
    };
    let review = f
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("review.").map(|q| (q.to_owned(), v.clone())))
        .collect();
    Ok(OpeningRequest {
        account: AccountDraft {
            platform,
            handle: val(f, "handle"),
            url: opt(f, "url"),
            display_name: val(f, "display_name"),
            department: opt(f, "department").map(|d| DepartmentId::from(d.as_str())),
            manager: opt(f, "manager").map(|p| PersonId::from(p.as_str())),
            email: opt(f, "email"),
            purpose: val(f, "purpose"),
            content: val(f, "content")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            tone: opt(f, "tone"),
            reply_policy: opt(f, "reply_policy"),
            follow_policy: opt(f, "follow_policy"),
            approval_needed: match opt(f, "approval_needed").as_deref() {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                None => None,
                Some(_) => return Err(AppError::bad_form()),
            },
            main: f.get("main").is_some_and(|v| v == "1"),
        },
        plan: val(f, "plan"),
        policy: opt(f, "policy"),
        credentials_note: opt(f, "credentials_note"),
        start_date: opt(f, "start_date"),
        other: opt(f, "other"),
        review,
        followers,
    })
}

/// `POST /staff/applications/new`: `step=compare` shows the existing accounts that resemble
/// the proposal (and drafts the policy from the guideline's template when none is written);
/// `step=submit` files the application. A refusal shows the form again with every value.
pub async fn apply_submit(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ApplyForAccount)?;
    let m = ctx.lang.msgs();
    let mut f = parse_form(
        &body,
        APPLY_FIELDS,
        &["review."],
        koho_workflow::admin::MAX_POLICY_CHARS,
    )?;
    let req = opening_request(&f)?;
    let wf = &staff.site;
    let now = now_ms();
    let overlap_views = |list: Vec<koho_workflow::overlap::Overlap>| -> Vec<OverlapView> {
        list.into_iter()
            .map(|o| OverlapView {
                href: format!("/staff/accounts/{}/manage", o.account_id),
                account: format!(
                    "{} {} {}",
                    platform_name(m, o.platform),
                    o.display_name,
                    o.handle
                ),
                state: state_name(m, o.state),
                score: format!("{:.0}%", o.score * 100.0),
                why: {
                    let mut why = Vec::new();
                    if o.same_platform {
                        why.push(m.admin_overlap_same_platform.to_owned());
                    }
                    if o.same_department {
                        why.push(m.admin_overlap_same_department.to_owned());
                    }
                    if !o.shared_terms.is_empty() {
                        why.push(fill(
                            m.admin_overlap_terms,
                            &[("terms", &o.shared_terms.join("、"))],
                        ));
                    }
                    why.join(" / ")
                },
            })
            .collect()
    };
    if f.get("step").map(String::as_str) != Some("submit") {
        let overlaps = wf
            .overlaps(&req.account)
            .await
            .map_err(|e| workflow_error(&e))?;
        if req.policy.is_none() && req.account.platform.is_some() {
            match wf.draft_policy_for(&req.account, now).await {
                Ok(p) => {
                    f.insert("policy".to_owned(), p.body);
                }
                Err(e) if e.is_refusal() => {
                    return apply_page(
                        &app,
                        &ctx,
                        &staff,
                        &f,
                        Some(overlap_views(overlaps)),
                        Some(e.ja()),
                    )
                    .await;
                }
                Err(e) => return Err(workflow_error(&e)),
            }
        }
        return apply_page(&app, &ctx, &staff, &f, Some(overlap_views(overlaps)), None).await;
    }
    match wf.apply(&req, &staff.person.id, now).await {
        Ok(applied) => Ok(see_other(&format!(
            "/staff/applications/{}?done=applied",
            applied.application.id
        ))),
        Err(e) if e.is_refusal() && !matches!(e, WorkflowError::NotAuthorized(_)) => {
            let overlaps = wf.overlaps(&req.account).await.unwrap_or_default();
            apply_page(
                &app,
                &ctx,
                &staff,
                &f,
                Some(overlap_views(overlaps)),
                Some(format!("{} ({})", e.ja(), e.code())),
            )
            .await
        }
        Err(e) => Err(workflow_error(&e)),
    }
}

// ---------------------------------------------------------------------------------------------
// /staff/accounts/{id}/manage

/// An application of the account, with its printable forms where the guideline has them.
pub struct AppLink {
    pub label: String,
    pub href: String,
    pub status: &'static str,
    pub form_application: Option<String>,
    pub form_approval: Option<String>,
}

/// A suspended account's latest notice: what to post before the account stops.
pub struct NoticeView {
    pub text: String,
    pub effective: String,
    pub redirect: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/admin/manage.html")]
struct ManagePage {
    page: Layout,
    id: String,
    heading: String,
    handle: String,
    state: &'static str,
    done: Option<&'static str>,
    can_activate: bool,
    can_suspend: bool,
    can_resume: bool,
    can_close: bool,
    suspend_lead: String,
    close_lead: String,
    redirect_choices: Vec<Choice>,
    followers: String,
    notice: Option<NoticeView>,
    applications: Vec<AppLink>,
    detail_href: String,
    policy_href: String,
    public_policy: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /staff/accounts/{id}/manage`: the procedures the account's state allows and the
/// person may take.
pub async fn manage(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let id = AccountId::from(uuid_like(&id)?);
    let wf = &staff.site;
    let g = wf.guideline();
    let d = wf.detail(&id).await.map_err(|e| workflow_error(&e))?;
    let allowed = |a: koho_workflow::Action| d.allowed_actions.contains(&a);
    let accounts = wf.accounts().await.map_err(|e| workflow_error(&e))?;
    let redirect_choices = std::iter::once(Choice {
        value: String::new(),
        label: m.admin_suspend_redirect_default.to_owned(),
        selected: true,
    })
    .chain(
        accounts
            .iter()
            .filter(|a| {
                a.id != id && matches!(a.state, AccountState::Active | AccountState::Grandfathered)
            })
            .map(|a| Choice {
                value: a.id.to_string(),
                label: format!(
                    "{} {} {}",
                    platform_name(m, a.fields.platform),
                    a.fields.display_name,
                    a.fields.handle
                ),
                selected: false,
            }),
    )
    .collect();
    let notice = if d.account.state == AccountState::Suspended {
        d.events
            .iter()
            .rev()
            .find(|e| e.kind == "suspension")
            .map(|e| NoticeView {
                text: e.payload["notice_text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                effective: e.effective_at.map(iso_minute).unwrap_or_default(),
                redirect: e.payload["redirect_to"]["handle"]
                    .as_str()
                    .map(str::to_owned),
            })
    } else {
        None
    };
    let suspend_cites = g
        .suspension
        .as_ref()
        .map_or_else(|| g.opening.clauses.clone(), |s| s.clauses.clone());
    let close_cites = g
        .closure
        .as_ref()
        .map_or_else(|| g.opening.clauses.clone(), |c| c.clauses.clone());
    let suspend_lead = {
        let s = g.suspension.as_ref();
        fill(
            m.admin_suspend_lead,
            &[
                ("clause", &cite(m, &g.id, &suspend_cites)),
                (
                    "days",
                    &s.and_then(|s| s.notice_days).unwrap_or(0).to_string(),
                ),
            ],
        )
    };
    let done = match q.done.as_deref() {
        Some("activated") => Some(m.admin_done_activated),
        Some("suspended") => Some(m.admin_done_suspended),
        Some("resumed") => Some(m.admin_done_resumed),
        Some("closed") => Some(m.admin_done_closed),
        _ => None,
    };
    let published = d
        .policies
        .iter()
        .any(|p| p.status == PolicyStatus::Published);
    let t = ManagePage {
        page: Layout::new(&app, &ctx, m.admin_manage_title, "staff"),
        heading: d.account.fields.display_name.clone(),
        handle: format!(
            "{} {}",
            platform_name(m, d.account.fields.platform),
            d.account.fields.handle
        ),
        state: state_name(m, d.account.state),
        done,
        can_activate: allowed(koho_workflow::Action::Activate) && staff.may(Action::EditPolicy),
        can_suspend: allowed(koho_workflow::Action::Suspend) && staff.may(Action::SuspendAccount),
        can_resume: allowed(koho_workflow::Action::Resume) && staff.may(Action::SuspendAccount),
        can_close: allowed(koho_workflow::Action::Close) && staff.may(Action::CloseAccount),
        suspend_lead,
        close_lead: fill(
            m.admin_close_lead,
            &[("clause", &cite(m, &g.id, &close_cites))],
        ),
        redirect_choices,
        followers: d
            .account
            .followers_count
            .map(|n| n.to_string())
            .unwrap_or_default(),
        notice,
        applications: d
            .applications
            .iter()
            .map(|a| AppLink {
                label: a.submitted_at.map(iso_minute).unwrap_or_default(),
                href: format!("/staff/applications/{}", a.id),
                status: m
                    .get(&format!("staff.status.{}", a.status.as_str()))
                    .unwrap_or(m.staff_unknown),
                form_application: g
                    .opening
                    .application_form
                    .as_ref()
                    .map(|_| format!("/staff/applications/{}/form/application", a.id)),
                form_approval: g
                    .opening
                    .approval_form
                    .as_ref()
                    .filter(|_| a.status == koho_store::ApplicationStatus::Approved)
                    .map(|_| format!("/staff/applications/{}/form/approval", a.id)),
            })
            .collect(),
        detail_href: format!("/staff/accounts/{id}"),
        policy_href: format!("/staff/accounts/{id}/policy"),
        public_policy: published.then(|| format!("/official-accounts/{id}/policy")),
        id: id.to_string(),
    };
    Ok(html(StatusCode::OK, t.render()))
}

/// `POST /staff/accounts/{id}/activate`: approved → active (a published policy first,
/// where the guideline publishes them).
pub async fn activate(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    staff.require(Action::EditPolicy)?;
    let id = AccountId::from(uuid_like(&id)?);
    staff
        .site
        .activate(&id, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!(
        "/staff/accounts/{id}/manage?done=activated"
    )))
}

/// The suspension a form or a JSON body asks for.
pub(crate) fn suspend_request(
    reason: String,
    followers: Option<&str>,
    redirect_to: Option<&str>,
    notice_text: Option<String>,
) -> Result<SuspendRequest, AppError> {
    let followers = match followers.map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => Some(n.parse::<i64>().map_err(|_| AppError::bad_form())?),
        None => None,
    };
    let redirect_to = match redirect_to.map(str::trim).filter(|s| !s.is_empty()) {
        Some(r) => Some(AccountId::from(uuid_like(r)?)),
        None => None,
    };
    Ok(SuspendRequest {
        reason,
        followers,
        redirect_to,
        notice_text,
    })
}

/// `POST /staff/accounts/{id}/suspend`: reason, the followers (the impact), where followers
/// are sent, the notice post; the handle is kept.
pub async fn suspend(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::SuspendAccount)?;
    let id = AccountId::from(uuid_like(&id)?);
    let f = parse_form(
        &body,
        &["reason", "followers", "redirect_to", "notice_text"],
        &[],
        MAX_FIELD_CHARS,
    )?;
    let req = suspend_request(
        val(&f, "reason"),
        f.get("followers").map(String::as_str),
        f.get("redirect_to").map(String::as_str),
        opt(&f, "notice_text"),
    )?;
    staff
        .site
        .suspend(&id, &req, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!(
        "/staff/accounts/{id}/manage?done=suspended"
    )))
}

/// `POST /staff/accounts/{id}/resume`
pub async fn resume(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    staff.require(Action::SuspendAccount)?;
    let id = AccountId::from(uuid_like(&id)?);
    staff
        .site
        .resume(&id, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!(
        "/staff/accounts/{id}/manage?done=resumed"
    )))
}

/// `POST /staff/accounts/{id}/close` (a reason is required; the record and handle stay).
pub async fn close(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::CloseAccount)?;
    let id = AccountId::from(uuid_like(&id)?);
    let f = parse_form(&body, &["reason"], &[], MAX_FIELD_CHARS)?;
    staff
        .site
        .close(&id, &val(&f, "reason"), &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!(
        "/staff/accounts/{id}/manage?done=closed"
    )))
}

// ---------------------------------------------------------------------------------------------
// /staff/accounts/{id}/policy

/// One version of an account's operation policy.
pub struct VersionView {
    pub version: i64,
    pub label: String,
    pub status: &'static str,
    pub status_id: &'static str,
    pub created: String,
    pub published: String,
    pub body: String,
    pub publishable: bool,
}

#[derive(Template)]
#[template(path = "staff/admin/policy.html")]
struct PolicyEditPage {
    page: Layout,
    id: String,
    heading: String,
    lead: String,
    done: Option<&'static str>,
    versions: Vec<VersionView>,
    text: String,
    can_edit: bool,
    manage_href: String,
}

/// `GET /staff/accounts/{id}/policy`: every version, a new draft, publication.
pub async fn policy(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let id = AccountId::from(uuid_like(&id)?);
    let wf = &staff.site;
    let g = wf.guideline();
    let d = wf.detail(&id).await.map_err(|e| workflow_error(&e))?;
    let closed = matches!(
        d.account.state,
        AccountState::Applied | AccountState::Rejected | AccountState::Closed
    );
    let versions: Vec<VersionView> = d
        .policies
        .iter()
        .rev()
        .map(|p| VersionView {
            version: p.version,
            label: fill(
                m.staff_policy_version,
                &[("version", &p.version.to_string())],
            ),
            status: m
                .get(&format!("staff.policy.{}", p.status.as_str()))
                .unwrap_or(m.staff_unknown),
            status_id: p.status.as_str(),
            created: iso_minute(p.created_at),
            published: p.published_at.map(iso_minute).unwrap_or_default(),
            body: p.body.clone(),
            publishable: p.status == PolicyStatus::Draft && !closed,
        })
        .collect();
    let text = versions.first().map(|v| v.body.clone()).unwrap_or_default();
    let clauses = g
        .operation_policy
        .as_ref()
        .map(|p| p.clauses.clone())
        .unwrap_or_default();
    let t = PolicyEditPage {
        page: Layout::new(&app, &ctx, m.admin_policy_title, "staff"),
        heading: format!(
            "{} {}",
            platform_name(m, d.account.fields.platform),
            d.account.fields.handle
        ),
        lead: fill(
            m.admin_policy_lead,
            &[("clause", &cite(m, &g.id, &clauses))],
        ),
        done: match q.done.as_deref() {
            Some("drafted") => Some(m.admin_policy_done_drafted),
            Some("published") => Some(m.admin_policy_done_published),
            _ => None,
        },
        versions,
        text,
        can_edit: staff.may(Action::EditPolicy) && !closed,
        manage_href: format!("/staff/accounts/{id}/manage"),
        id: id.to_string(),
    };
    Ok(html(StatusCode::OK, t.render()))
}

/// `POST /staff/accounts/{id}/policy`: a new draft version, with the text written (`body`)
/// or from the guideline's template (`template=1`).
pub async fn policy_draft(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::EditPolicy)?;
    let id = AccountId::from(uuid_like(&id)?);
    let f = parse_form(
        &body,
        &["body", "template"],
        &[],
        koho_workflow::admin::MAX_POLICY_CHARS + 1,
    )?;
    let wf = &staff.site;
    if f.get("template").is_some_and(|v| v == "1") {
        wf.draft_policy(&id, &staff.person.id, now_ms())
            .await
            .map_err(|e| workflow_error(&e))?;
    } else {
        wf.draft_policy_text(&id, &val(&f, "body"), &staff.person.id)
            .await
            .map_err(|e| workflow_error(&e))?;
    }
    Ok(see_other(&format!(
        "/staff/accounts/{id}/policy?done=drafted"
    )))
}

/// `POST /staff/accounts/{id}/policy/publish`: publishes draft `version` (the latest draft
/// without one); the version published before is superseded, never deleted.
pub async fn policy_publish(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::EditPolicy)?;
    let id = AccountId::from(uuid_like(&id)?);
    let f = parse_form(&body, &["version"], &[], 20)?;
    let version = match opt(&f, "version") {
        Some(v) => Some(v.parse::<i64>().map_err(|_| AppError::bad_form())?),
        None => None,
    };
    staff
        .site
        .publish_policy(&id, version, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!(
        "/staff/accounts/{id}/policy?done=published"
    )))
}

// ---------------------------------------------------------------------------------------------
// printable forms

/// `GET /staff/applications/{id}/form/{kind}`: the application (`application`, 美祢市
/// 様式第1号) or approval (`approval`, 様式第2号) document as an A4 page, rendered by the
/// same function as `koho account form`, its stylesheet linked (the CSP allows no inline
/// style).
pub async fn printable_form(
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let kind = match kind.as_str() {
        "application" => FormKind::Application,
        "approval" => FormKind::Approval,
        _ => return Err(AppError::not_found()),
    };
    let id = ApplicationId::from(uuid_like(&id)?);
    let wf = &staff.site;
    let a = wf
        .find_application(id.as_str(), None)
        .await
        .map_err(|e| workflow_error(&e))?;
    if a.id != id {
        return Err(AppError::not_found());
    }
    let people = wf.people().await.map_err(|e| workflow_error(&e))?;
    let names: HashMap<&PersonId, &str> = people
        .iter()
        .map(|p| (&p.id, p.display_name.as_str()))
        .collect();
    let department = match &a.proposal.department_id {
        Some(d) => wf
            .departments()
            .await
            .map_err(|e| workflow_error(&e))?
            .into_iter()
            .find(|x| &x.id == d)
            .map(|x| x.name),
        None => None,
    };
    let input = FormInput {
        guideline: wf.guideline(),
        municipality: &wf.municipality().name,
        application: &a,
        department: department.as_deref(),
        applicant: names.get(&a.applicant_id).copied().unwrap_or_default(),
        manager: a
            .proposal
            .manager_id
            .as_ref()
            .and_then(|p| names.get(p).copied()),
        approver: a.decision.as_ref().and_then(|d| names.get(&d.by).copied()),
    };
    let css = crate::assets::ASSETS.url("css/forms.css");
    match render_form(kind, &input, FormStyle::Linked(css)) {
        Ok(body) => Ok(html(StatusCode::OK, Ok(body))),
        Err(e @ FormError::NotDefined { .. }) => Err(AppError::refused(
            StatusCode::NOT_FOUND,
            e.code(),
            fill(
                m.admin_form_not_defined,
                &[("guideline", &wf.guideline().id)],
            ),
        )),
        Err(e @ FormError::NotApproved { .. }) => Err(AppError::refused(
            StatusCode::CONFLICT,
            e.code(),
            m.admin_form_not_approved.to_owned(),
        )),
        Err(e) => {
            tracing::error!(code = e.code(), error = %e, "form failed");
            Err(AppError::internal())
        }
    }
}
