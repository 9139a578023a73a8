//! People and API tokens, for whoever koho lets manage them (the PR office chief and the
//! security officer: [`Action::ManagePeople`], [`Action::ManageTokens`]): the list of
//! people, adding one, changing roles, department and whether they may sign in, lifting a
//! sign-in lockout; issuing an API token (its secret is shown once, in the answer to the
//! issuing request, and never again: the store keeps only its hash) and revoking one.

use askama::Template;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use koho_store::{Actor, DepartmentId, NewPerson, Person, PersonId, Role};
use koho_workflow::admin::PersonChange;
use koho_workflow::auth::Action;
use koho_workflow::time::iso_minute;
use serde::Deserialize;

use crate::admin::{parse_form, see_other, uuid_like};
use crate::auth::{Staff, now_ms, settings};
use crate::error::AppError;
use crate::i18n::{Msgs, fill};
use crate::middleware::Ctx;
use crate::pages::{Choice, Layout, html};
use crate::staff::{auth_error, workflow_error};
use crate::state::AppState;

const DAY_MS: i64 = 24 * 3600 * 1000;

fn role_name(m: &Msgs, r: Role) -> &'static str {
    m.get(&format!("staff.role.{}", r.as_str()))
        .unwrap_or(m.staff_unknown)
}

fn roles_text(m: &Msgs, p: &Person) -> String {
    p.roles
        .iter()
        .map(|r| role_name(m, *r))
        .collect::<Vec<_>>()
        .join(m.verify_list_separator)
}

/// A checkbox of a role.
pub struct RoleBox {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

fn role_boxes(m: &Msgs, held: &[Role]) -> Vec<RoleBox> {
    Role::ALL
        .iter()
        .map(|r| RoleBox {
            value: r.as_str(),
            label: role_name(m, *r),
            checked: held.contains(r),
        })
        .collect()
}

fn department_choices(
    m: &Msgs,
    list: &[koho_store::Department],
    current: Option<&DepartmentId>,
) -> Vec<Choice> {
    std::iter::once(Choice {
        value: String::new(),
        label: m.admin_none.to_owned(),
        selected: current.is_none(),
    })
    .chain(list.iter().map(|d| Choice {
        value: d.id.to_string(),
        label: d.name.clone(),
        selected: current == Some(&d.id),
    }))
    .collect()
}

/// One person in the list.
pub struct PersonRow {
    pub href: String,
    pub name: String,
    pub email: String,
    pub department: String,
    pub roles: String,
    pub status: String,
    pub locked: bool,
}

#[derive(Template)]
#[template(path = "staff/admin/people.html")]
struct PeoplePage {
    page: Layout,
    rows: Vec<PersonRow>,
    roles: Vec<RoleBox>,
    departments: Vec<Choice>,
    done: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_text(m: &Msgs, d: Option<&str>) -> Option<&'static str> {
    match d {
        Some("added") => Some(m.people_done_added),
        Some("saved") => Some(m.people_done_saved),
        Some("unlocked") => Some(m.people_done_unlocked),
        Some("revoked") => Some(m.tokens_done_revoked),
        _ => None,
    }
}

/// `GET /staff/people`
pub async fn list(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ManagePeople)?;
    let m = ctx.lang.msgs();
    let wf = &staff.site;
    let now = now_ms();
    let departments = wf.departments().await.map_err(|e| workflow_error(&e))?;
    let mut rows = Vec::new();
    for p in wf.people().await.map_err(|e| workflow_error(&e))? {
        let st = wf.login_state(&p.id).await.map_err(|e| auth_error(&e))?;
        let locked = st.locked_until.is_some_and(|t| t > now);
        let status = if !p.active {
            m.people_inactive.to_owned()
        } else if let Some(t) = st.locked_until.filter(|t| *t > now) {
            fill(m.people_locked_until, &[("at", &iso_minute(t))])
        } else {
            m.people_active.to_owned()
        };
        rows.push(PersonRow {
            href: format!("/staff/people/{}", p.id),
            department: p
                .department_id
                .as_ref()
                .and_then(|d| departments.iter().find(|x| &x.id == d))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            roles: roles_text(m, &p),
            name: p.display_name,
            email: p.email,
            status,
            locked,
        });
    }
    let t = PeoplePage {
        page: Layout::new(&app, &ctx, m.people_title, "staff"),
        rows,
        roles: role_boxes(m, &[]),
        departments: department_choices(m, &departments, None),
        done: done_text(m, q.done.as_deref()),
    };
    Ok(html(StatusCode::OK, t.render()))
}

fn roles_of(f: &[(String, String)]) -> Result<Vec<Role>, AppError> {
    f.iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, v)| v.parse::<Role>().map_err(|_| AppError::bad_form()))
        .collect()
}

/// The form's pairs, repeated names kept (`role` is one per checked box).
fn pairs(body: &[u8], known: &[&str]) -> Result<Vec<(String, String)>, AppError> {
    // Validates names and values; the map it builds keeps one value per name.
    parse_form(body, known, &[], 400)?;
    Ok(form_urlencoded::parse(body)
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
        .collect())
}

fn one(f: &[(String, String)], k: &str) -> String {
    f.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// `POST /staff/people`: adds a person (name, e-mail, department, roles).
pub async fn add(
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ManagePeople)?;
    let f = pairs(&body, &["name", "email", "department", "role"])?;
    let roles = roles_of(&f)?;
    if roles.is_empty() {
        return Err(AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "WF_INVALID",
            ctx.lang.msgs().people_no_role.to_owned(),
        ));
    }
    let department = Some(one(&f, "department"))
        .filter(|d| !d.is_empty())
        .map(|d| uuid_like(&d).map(DepartmentId::from))
        .transpose()?;
    let p = staff
        .site
        .add_person(
            &NewPerson {
                display_name: one(&f, "name"),
                email: one(&f, "email"),
                department_id: department,
                roles,
            },
            &Actor::Person(staff.person.id.clone()),
        )
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!("/staff/people/{}?done=added", p.id)))
}

#[derive(Template)]
#[template(path = "staff/admin/person.html")]
struct PersonPage {
    page: Layout,
    id: String,
    name: String,
    email: String,
    status: String,
    locked: bool,
    own: bool,
    active: bool,
    roles: Vec<RoleBox>,
    departments: Vec<Choice>,
    done: Option<&'static str>,
}

async fn find_person(staff: &Staff, id: &str) -> Result<Person, AppError> {
    let id = PersonId::from(uuid_like(id)?);
    staff
        .site
        .people()
        .await
        .map_err(|e| workflow_error(&e))?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(AppError::not_found)
}

/// `GET /staff/people/{id}`: roles, department, sign-in.
pub async fn person(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ManagePeople)?;
    let m = ctx.lang.msgs();
    let wf = &staff.site;
    let p = find_person(&staff, &id).await?;
    let departments = wf.departments().await.map_err(|e| workflow_error(&e))?;
    let now = now_ms();
    let st = wf.login_state(&p.id).await.map_err(|e| auth_error(&e))?;
    let locked_until = st.locked_until.filter(|t| *t > now);
    let t = PersonPage {
        page: Layout::new(&app, &ctx, m.people_person_title, "staff"),
        id: p.id.to_string(),
        status: match locked_until {
            Some(t) => fill(m.people_locked_until, &[("at", &iso_minute(t))]),
            None if !p.active => m.people_inactive.to_owned(),
            None => fill(
                m.people_failures,
                &[("n", &st.consecutive_failures.to_string())],
            ),
        },
        locked: locked_until.is_some() || st.consecutive_failures > 0,
        own: p.id == staff.person.id,
        active: p.active,
        roles: role_boxes(m, &p.roles),
        departments: department_choices(m, &departments, p.department_id.as_ref()),
        name: p.display_name,
        email: p.email,
        done: done_text(m, q.done.as_deref()),
    };
    Ok(html(StatusCode::OK, t.render()))
}

/// `POST /staff/people/{id}`: new roles, department and active flag (not one's own).
pub async fn update(
    staff: Staff,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ManagePeople)?;
    let p = find_person(&staff, &id).await?;
    let f = pairs(&body, &["department", "role", "active"])?;
    let department = Some(one(&f, "department"))
        .filter(|d| !d.is_empty())
        .map(|d| uuid_like(&d).map(DepartmentId::from))
        .transpose()?;
    let change = PersonChange {
        roles: roles_of(&f)?,
        department,
        active: one(&f, "active") == "1",
    };
    staff
        .site
        .update_person(&p.id, &change, &Actor::Person(staff.person.id.clone()))
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(see_other(&format!("/staff/people/{}?done=saved", p.id)))
}

/// `POST /staff/people/{id}/unlock`: lifts a sign-in lockout (audited `auth.unlock`).
pub async fn unlock(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    staff.require(Action::ManagePeople)?;
    let p = find_person(&staff, &id).await?;
    staff
        .site
        .unlock(&p.id, &Actor::Person(staff.person.id.clone()))
        .await
        .map_err(|e| auth_error(&e))?;
    Ok(see_other(&format!("/staff/people/{}?done=unlocked", p.id)))
}

// ---------------------------------------------------------------------------------------------
// API tokens

/// One token in the list (never its secret: only the hash is stored).
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub person: String,
    pub role: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub status: &'static str,
    pub live: bool,
}

/// A token just issued: its name and secret.
pub struct Issued {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "staff/admin/tokens.html")]
struct TokensPage {
    page: Layout,
    rows: Vec<TokenRow>,
    people: Vec<Choice>,
    roles: Vec<Choice>,
    max_days: i64,
    /// The secret just issued: shown in this one answer.
    issued: Option<Issued>,
    done: Option<&'static str>,
    error: Option<String>,
}

async fn tokens_page(
    app: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    issued: Option<Issued>,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let m = ctx.lang.msgs();
    let wf = &staff.site;
    let now = now_ms();
    let people = wf.people().await.map_err(|e| workflow_error(&e))?;
    let rows = wf
        .api_tokens()
        .await
        .map_err(|e| auth_error(&e))?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            person: people
                .iter()
                .find(|p| p.id == t.person_id)
                .map_or_else(|| t.person_id.to_string(), |p| p.display_name.clone()),
            role: role_name(m, t.role),
            created: iso_minute(t.created_at),
            expires: iso_minute(t.expires_at),
            last_used: t.last_used_at.map(iso_minute).unwrap_or_default(),
            status: if t.revoked_at.is_some() {
                m.tokens_revoked
            } else if t.is_live(now) {
                m.tokens_live
            } else {
                m.tokens_expired
            },
            live: t.is_live(now),
            name: t.name,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let t = TokensPage {
        page: Layout::new(app, ctx, m.tokens_title, "staff"),
        rows,
        people: people
            .iter()
            .filter(|p| p.active)
            .map(|p| Choice {
                value: p.id.to_string(),
                label: format!("{} ({})", p.display_name, roles_text(m, p)),
                selected: false,
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().to_owned(),
                label: role_name(m, *r).to_owned(),
                selected: false,
            })
            .collect(),
        max_days: settings().max_token_ms / DAY_MS,
        issued,
        done,
        error,
    };
    Ok(html(status, t.render()))
}

/// `GET /staff/tokens`
pub async fn tokens(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(Action::ManageTokens)?;
    let done = done_text(ctx.lang.msgs(), q.done.as_deref());
    tokens_page(&app, &ctx, &staff, None, done, None).await
}

/// `POST /staff/tokens`: issues a token for a person with one of their roles, for `days`
/// days. The answer is the page with the secret, once; it is not a redirect, so the
/// secret is in no URL and no later page.
pub async fn issue(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    staff: Staff,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    staff.require(Action::ManageTokens)?;
    let f = pairs(&body, &["name", "person", "role", "days"])?;
    let person = PersonId::from(uuid_like(&one(&f, "person")).map_err(|_| AppError::bad_form())?);
    let role = one(&f, "role")
        .parse::<Role>()
        .map_err(|_| AppError::bad_form())?;
    let days = one(&f, "days")
        .parse::<i64>()
        .map_err(|_| AppError::bad_form())?;
    let name = one(&f, "name");
    if name.is_empty() {
        return Err(AppError::bad_form());
    }
    let now = now_ms();
    let s = settings();
    match staff
        .site
        .issue_token(
            &name,
            &person,
            role,
            now.saturating_add(days.saturating_mul(DAY_MS)),
            &s,
            &Actor::Person(staff.person.id.clone()),
            now,
        )
        .await
    {
        Ok(t) => {
            tracing::info!(
                request_id = ctx.request_id,
                token = t.record.id.as_str(),
                "API token issued"
            );
            tokens_page(
                &app,
                &ctx,
                &staff,
                Some(Issued {
                    name: t.record.name,
                    secret: t.token.expose().to_owned(),
                }),
                None,
                None,
            )
            .await
        }
        Err(e) if e.is_refusal() => {
            tokens_page(
                &app,
                &ctx,
                &staff,
                None,
                None,
                Some(format!("{} ({})", e.ja(), e.code())),
            )
            .await
        }
        Err(e) => Err(auth_error(&e)),
    }
}

/// `POST /staff/tokens/{id}/revoke`
pub async fn revoke(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    staff.require(Action::ManageTokens)?;
    let id = uuid_like(&id)?;
    staff
        .site
        .revoke_token(id, &Actor::Person(staff.person.id.clone()), now_ms())
        .await
        .map_err(|e| auth_error(&e))?;
    Ok(see_other("/staff/tokens?done=revoked"))
}
