//! Staff pages behind sign-in: the dashboard, applications (list, detail, approve,
//! reject), account detail and the personal settings; and the token-authenticated API
//! reads `/api/me` and `/api/applications`.
//!
//! Each handler first asks [`Staff::require`] for the page's [`Action`] (a coded 403
//! citing the guideline clause otherwise); the workflow then applies the finer rules of the
//! step itself (own department, never one's own application), with the same kind of
//! refusal.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use koho_store::{
    AccountApplication, AccountId, AccountState, ApplicationId, ApplicationStatus, PersonId,
};
use koho_workflow::WorkflowError;
use koho_workflow::auth::Action;
use koho_workflow::time::iso_minute;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{Staff, now_ms};
use crate::error::AppError;
use crate::i18n::{Lang, Msgs, fill};
use crate::middleware::{Ctx, LANG_COOKIE, cookie_header};
use crate::pages::{Layout, html};
use crate::state::AppState;

/// A workflow refusal or failure as a coded error.
pub fn workflow_error(e: &WorkflowError) -> AppError {
    if !e.is_refusal() {
        tracing::error!(code = e.code(), error = %e, "workflow failed");
        return AppError::internal();
    }
    let status = match e {
        WorkflowError::NotAuthorized(_)
        | WorkflowError::SelfDecision { .. }
        | WorkflowError::InactivePerson { .. } => StatusCode::FORBIDDEN,
        WorkflowError::NotFound { .. } => StatusCode::NOT_FOUND,
        WorkflowError::ApplicationNotPending { .. } => StatusCode::CONFLICT,
        WorkflowError::Store(koho_store::StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
        WorkflowError::Store(koho_store::StoreError::Stale { .. }) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    AppError::refused(status, e.code(), e.ja())
}

/// A sign-in workflow error as a coded error.
pub fn auth_error(e: &koho_workflow::auth::AuthError) -> AppError {
    match e {
        koho_workflow::auth::AuthError::Workflow(w) => workflow_error(w),
        other if other.is_refusal() => {
            AppError::refused(StatusCode::UNPROCESSABLE_ENTITY, other.code(), other.ja())
        }
        other => {
            tracing::error!(code = other.code(), error = %other, "sign-in workflow failed");
            AppError::internal()
        }
    }
}

fn state_label(m: &Msgs, s: AccountState) -> &'static str {
    m.get(&format!("staff.state.{}", s.as_str()))
        .unwrap_or(m.staff_unknown)
}

fn status_label(m: &Msgs, s: ApplicationStatus) -> &'static str {
    m.get(&format!("staff.status.{}", s.as_str()))
        .unwrap_or(m.staff_unknown)
}

fn platform_label(m: &Msgs, p: koho_store::Platform) -> &'static str {
    koho_check::Platform::from_id(p.as_str()).map_or(m.staff_unknown, |gp| m.platform(gp))
}

/// One application in a list.
pub struct AppRow {
    pub href: String,
    pub title: String,
    pub platform: &'static str,
    pub handle: String,
    pub applicant: String,
    pub status: &'static str,
    pub submitted: String,
}

fn app_row(m: &Msgs, a: &AccountApplication, names: &HashMap<PersonId, String>) -> AppRow {
    AppRow {
        href: format!("/staff/applications/{}", a.id),
        title: a.proposal.display_name.clone(),
        platform: platform_label(m, a.proposal.platform),
        handle: a.proposal.handle.clone(),
        applicant: names.get(&a.applicant_id).cloned().unwrap_or_default(),
        status: status_label(m, a.status),
        submitted: a.submitted_at.map(iso_minute).unwrap_or_default(),
    }
}

/// One account needing attention.
pub struct AttentionRow {
    pub href: String,
    pub title: String,
    pub platform: &'static str,
    pub handle: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
struct DashboardPage {
    page: Layout,
    person: String,
    roles: String,
    can_decide: bool,
    waiting: Vec<AppRow>,
    mine: Vec<AppRow>,
    attention: Vec<AttentionRow>,
    posts: crate::posts::PostsDashboard,
}

async fn names(staff: &Staff) -> Result<HashMap<PersonId, String>, AppError> {
    Ok(staff
        .site
        .people()
        .await
        .map_err(|e| workflow_error(&e))?
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect())
}

fn roles_text(m: &Msgs, staff: &Staff) -> String {
    staff
        .person
        .roles
        .iter()
        .map(|r| {
            m.get(&format!("staff.role.{}", r.as_str()))
                .unwrap_or(r.as_str())
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// `GET /staff`: what waits for me, what I applied for, which accounts need attention.
pub async fn dashboard(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let wf = &staff.site;
    let now = now_ms();
    let names = names(&staff).await?;
    let all = wf
        .applications(None)
        .await
        .map_err(|e| workflow_error(&e))?;
    let can_decide = staff.may(Action::DecideApplication);
    let waiting = if can_decide {
        all.iter()
            .filter(|a| {
                a.status == ApplicationStatus::Submitted && a.applicant_id != staff.person.id
            })
            .map(|a| app_row(m, a, &names))
            .collect()
    } else {
        Vec::new()
    };
    let mine = all
        .iter()
        .filter(|a| a.applicant_id == staff.person.id)
        .map(|a| app_row(m, a, &names))
        .collect();

    let mut attention = Vec::new();
    for due in wf.due_checks(now).await.map_err(|e| workflow_error(&e))? {
        let a = &due.account;
        attention.push(AttentionRow {
            href: format!("/staff/accounts/{}", a.id),
            title: a.fields.display_name.clone(),
            platform: platform_label(m, a.fields.platform),
            handle: a.fields.handle.clone(),
            reason: fill(
                m.staff_attention_check_due,
                &[(
                    "date",
                    &due.event.next_check_at.map(iso_minute).unwrap_or_default(),
                )],
            ),
        });
    }
    for row in wf.register_rows().await.map_err(|e| workflow_error(&e))? {
        let reason = match row.state {
            AccountState::Active if row.policy_version.is_none() => m.staff_attention_no_policy,
            AccountState::Approved => m.staff_attention_not_started,
            AccountState::Grandfathered => m.staff_attention_grandfathered,
            _ => continue,
        };
        attention.push(AttentionRow {
            href: format!("/staff/accounts/{}", row.account_id),
            title: row.display_name.clone(),
            platform: platform_label(m, row.platform),
            handle: row.handle.clone(),
            reason: reason.to_owned(),
        });
    }
    let t = DashboardPage {
        page: Layout::new(&app, &ctx, m.staff_dashboard_title, "staff"),
        person: staff.person.display_name.clone(),
        roles: roles_text(m, &staff),
        can_decide,
        waiting,
        mine,
        attention,
        posts: crate::posts::dashboard(m, &staff).await?,
    };
    Ok(html(StatusCode::OK, t.render()))
}

#[derive(Template)]
#[template(path = "staff/applications.html")]
struct ApplicationsPage {
    page: Layout,
    rows: Vec<AppRow>,
}

/// `GET /staff/applications`: every application, newest first.
pub async fn applications(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let names = names(&staff).await?;
    let rows = staff
        .site
        .applications(None)
        .await
        .map_err(|e| workflow_error(&e))?
        .iter()
        .map(|a| app_row(m, a, &names))
        .collect();
    let t = ApplicationsPage {
        page: Layout::new(&app, &ctx, m.staff_applications_title, "staff"),
        rows,
    };
    Ok(html(StatusCode::OK, t.render()))
}

/// A labelled value of a detail page.
pub struct Item {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "staff/application.html")]
struct ApplicationPage {
    page: Layout,
    heading: String,
    id: String,
    status: &'static str,
    items: Vec<Item>,
    review: Vec<Item>,
    decision: Option<String>,
    can_decide: bool,
    own: bool,
    done: Option<&'static str>,
    account_href: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn parse_application_id(id: &str) -> Result<ApplicationId, AppError> {
    // Ids are UUIDs; anything else cannot be one and is not looked up.
    if id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        Ok(ApplicationId::from(id))
    } else {
        Err(AppError::not_found())
    }
}

fn parse_account_id(id: &str) -> Result<AccountId, AppError> {
    if id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        Ok(AccountId::from(id))
    } else {
        Err(AppError::not_found())
    }
}

/// `GET /staff/applications/{id}`
pub async fn application(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let id = parse_application_id(&id)?;
    let a = staff
        .site
        .find_application(id.as_str(), None)
        .await
        .map_err(|e| workflow_error(&e))?;
    if a.id != id {
        return Err(AppError::not_found());
    }
    let names = names(&staff).await?;
    let name = |p: &PersonId| names.get(p).cloned().unwrap_or_else(|| p.to_string());
    let p = &a.proposal;
    let mut items = vec![
        Item {
            label: m.staff_field_platform.into(),
            value: platform_label(m, p.platform).into(),
        },
        Item {
            label: m.staff_field_handle.into(),
            value: p.handle.clone(),
        },
        Item {
            label: m.staff_field_purpose.into(),
            value: p.purpose.clone(),
        },
        Item {
            label: m.staff_field_content.into(),
            value: p.content_categories.join("、"),
        },
        Item {
            label: m.staff_field_plan.into(),
            value: a.plan.clone(),
        },
        Item {
            label: m.staff_field_applicant.into(),
            value: name(&a.applicant_id),
        },
        Item {
            label: m.staff_field_submitted.into(),
            value: a.submitted_at.map(iso_minute).unwrap_or_default(),
        },
    ];
    if let Some(form) = &a.form_number {
        items.push(Item {
            label: m.staff_field_form.into(),
            value: form.clone(),
        });
    }
    let review = a.checklist["review"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .map(|q| Item {
                    label: q["question"].as_str().unwrap_or_default().to_owned(),
                    value: q["answer"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let decision = a.decision.as_ref().map(|d| {
        fill(
            m.staff_decision_format,
            &[
                ("by", &name(&d.by)),
                ("at", &iso_minute(d.at)),
                ("reason", d.reason.as_deref().unwrap_or("")),
            ],
        )
    });
    let done = match q.done.as_deref() {
        Some("approved") => Some(m.staff_done_approved),
        Some("rejected") => Some(m.staff_done_rejected),
        Some("applied") => Some(m.admin_done_applied),
        _ => None,
    };
    let t = ApplicationPage {
        page: Layout::new(&app, &ctx, m.staff_application_title, "staff"),
        heading: p.display_name.clone(),
        id: a.id.to_string(),
        status: status_label(m, a.status),
        items,
        review,
        decision,
        can_decide: a.status == ApplicationStatus::Submitted
            && staff.may(Action::DecideApplication),
        own: a.applicant_id == staff.person.id,
        done,
        account_href: a
            .account_id
            .as_ref()
            .map(|id| format!("/staff/accounts/{id}")),
    };
    Ok(html(StatusCode::OK, t.render()))
}

/// Fields of the approve / reject forms.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    #[allow(dead_code)]
    csrf: String,
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn decision_form(body: &[u8]) -> Result<DecisionForm, AppError> {
    let mut f = DecisionForm {
        note: String::new(),
        csrf: String::new(),
    };
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "note" => f.note = v.into_owned(),
            "csrf" => f.csrf = v.into_owned(),
            _ => return Err(AppError::bad_form()),
        }
    }
    if f.note.chars().count() > 2000
        || f.note
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(AppError::bad_form());
    }
    Ok(f)
}

/// `POST /staff/applications/{id}/approve`
pub async fn approve(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DecideApplication)?;
    let id = parse_application_id(&id)?;
    let f = decision_form(&body)?;
    let note = Some(f.note.trim()).filter(|n| !n.is_empty());
    staff
        .site
        .approve(&id, &staff.person.id, false, note, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!(
        "/staff/applications/{id}?done=approved"
    )))
}

/// `POST /staff/applications/{id}/reject` (a reason is required).
pub async fn reject(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::DecideApplication)?;
    let id = parse_application_id(&id)?;
    let f = decision_form(&body)?;
    staff
        .site
        .reject(&id, &staff.person.id, f.note.trim(), now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!(
        "/staff/applications/{id}?done=rejected"
    )))
}

#[derive(Template)]
#[template(path = "staff/account.html")]
struct AccountPage {
    page: Layout,
    heading: String,
    state: &'static str,
    items: Vec<Item>,
    events: Vec<Item>,
    policies: Vec<Item>,
    applications: Vec<AppRow>,
    manage_href: String,
}

/// `GET /staff/accounts/{id}`
pub async fn account(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let id = parse_account_id(&id)?;
    let d = staff
        .site
        .detail(&id)
        .await
        .map_err(|e| workflow_error(&e))?;
    let names = names(&staff).await?;
    let f = &d.account.fields;
    let items = vec![
        Item {
            label: m.staff_field_platform.into(),
            value: platform_label(m, f.platform).into(),
        },
        Item {
            label: m.staff_field_handle.into(),
            value: f.handle.clone(),
        },
        Item {
            label: m.staff_field_url.into(),
            value: f.url.clone().unwrap_or_default(),
        },
        Item {
            label: m.staff_field_department.into(),
            value: d.department.clone().unwrap_or_default(),
        },
        Item {
            label: m.staff_field_manager.into(),
            value: d.manager.clone().unwrap_or_default(),
        },
        Item {
            label: m.staff_field_purpose.into(),
            value: f.purpose.clone(),
        },
    ];
    let events = d
        .events
        .iter()
        .map(|e| Item {
            label: iso_minute(e.occurred_at),
            value: m
                .get(&format!("staff.event.{}", e.kind))
                .map_or_else(|| e.kind.clone(), str::to_owned),
        })
        .collect();
    let policies = d
        .policies
        .iter()
        .map(|p| Item {
            label: fill(
                m.staff_policy_version,
                &[("version", &p.version.to_string())],
            ),
            value: m
                .get(&format!("staff.policy.{}", p.status.as_str()))
                .unwrap_or(p.status.as_str())
                .to_owned(),
        })
        .collect();
    let applications = d
        .applications
        .iter()
        .map(|a| app_row(m, a, &names))
        .collect();
    let t = AccountPage {
        page: Layout::new(&app, &ctx, m.staff_account_title, "staff"),
        heading: f.display_name.clone(),
        state: state_label(m, d.account.state),
        items,
        events,
        policies,
        applications,
        manage_href: format!("/staff/accounts/{id}/manage"),
    };
    Ok(html(StatusCode::OK, t.render()))
}

#[derive(Template)]
#[template(path = "staff/settings.html")]
struct SettingsPage {
    page: Layout,
    langs: Vec<crate::pages::Choice>,
    saved: bool,
    session: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /staff/settings`: the personal interface language.
pub async fn settings_form(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let m = ctx.lang.msgs();
    let current = staff
        .site
        .ui_lang(&staff.person.id)
        .await
        .map_err(|e| auth_error(&e))?;
    let langs = [
        ("", m.staff_settings_lang_default),
        ("ja", m.staff_settings_lang_ja),
        ("en", m.staff_settings_lang_en),
    ]
    .iter()
    .map(|(v, l)| crate::pages::Choice {
        value: (*v).to_owned(),
        label: (*l).to_owned(),
        selected: current.as_deref().unwrap_or("") == *v,
    })
    .collect();
    let session = staff.session.as_ref().map(|s| {
        fill(
            m.staff_settings_session,
            &[
                ("at", &iso_minute(s.created_at)),
                ("device", s.user_agent.as_deref().unwrap_or(m.staff_unknown)),
            ],
        )
    });
    let t = SettingsPage {
        page: Layout::new(&app, &ctx, m.staff_settings_title, "staff"),
        langs,
        saved: q.saved.is_some(),
        session,
    };
    Ok(html(StatusCode::OK, t.render()))
}

/// `POST /staff/settings`: stores the language and sets the language cookie to match.
pub async fn settings_submit(
    State(app): State<AppState>,
    staff: Staff,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let mut lang: Option<String> = None;
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "lang" => lang = Some(v.into_owned()),
            "csrf" => {}
            _ => return Err(AppError::bad_form()),
        }
    }
    let chosen = match lang.as_deref() {
        None | Some("") => None,
        Some(l) => Some(Lang::from_code(l).ok_or_else(AppError::bad_form)?),
    };
    staff
        .site
        .set_ui_lang(&staff.person.id, chosen.map(Lang::code), now_ms())
        .await
        .map_err(|e| auth_error(&e))?;
    let mut r = see_other("/staff/settings?saved=1");
    let code = chosen.unwrap_or(Lang::Ja).code();
    if let Some(c) = cookie_header(&app, LANG_COOKIE, code, Some(365 * 24 * 3600)) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// API

/// `GET /api/me`: who the bearer token acts for.
pub async fn api_me(staff: Staff) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    Ok(Json(json!({
        "person": {
            "id": staff.person.id,
            "display_name": staff.person.display_name,
            "roles": staff.person.roles,
        },
        "scope": staff.scope,
        "municipality": staff.site.municipality().slug,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ApiApplicationsQuery {
    status: Option<String>,
}

#[derive(Serialize)]
struct ApiApplication<'a> {
    id: &'a ApplicationId,
    kind: &'a str,
    status: &'a str,
    platform: &'a str,
    handle: &'a str,
    display_name: &'a str,
    applicant_id: &'a PersonId,
    submitted_at: Option<i64>,
    account_id: Option<&'a AccountId>,
}

/// `GET /api/applications?status=`: applications of the token's municipality.
pub async fn api_applications(
    staff: Staff,
    Query(q): Query<ApiApplicationsQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse::<ApplicationStatus>()
                .map_err(|_| AppError::invalid_query("status"))?,
        ),
    };
    let list = staff
        .site
        .applications(status)
        .await
        .map_err(|e| workflow_error(&e))?;
    let items: Vec<ApiApplication<'_>> = list
        .iter()
        .map(|a| ApiApplication {
            id: &a.id,
            kind: a.kind.as_str(),
            status: a.status.as_str(),
            platform: a.proposal.platform.as_str(),
            handle: &a.proposal.handle,
            display_name: &a.proposal.display_name,
            applicant_id: &a.applicant_id,
            submitted_at: a.submitted_at,
            account_id: a.account_id.as_ref(),
        })
        .collect();
    Ok(Json(json!({ "applications": items })).into_response())
}
