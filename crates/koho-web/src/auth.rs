//! Staff sign-in: the session cookie, the [`Staff`] extractor, `/login` and `/logout`.
//!
//! - The session cookie is `__Host-koho_session` when cookies are `Secure` (HTTPS and a
//!   loopback listener), else `koho_session`: `HttpOnly`, `Path=/`, `SameSite=Lax`, no
//!   `Max-Age` (it ends with the browser; the server ends it earlier, see
//!   [`AuthSettings`]). Lax, not Strict: a link to an application in a notice mail must
//!   open the page signed in; cross-site POSTs are stopped by the CSRF token and
//!   `Sec-Fetch-Site` anyway, and no GET changes anything.
//! - Once signed in, the CSRF token is bound to the session cookie (see
//!   [`AppState::mint_csrf_for`]), and a fresh one is set at sign-in and sign-out.
//! - Pages answer an anonymous request with `303` to `/login?next=…`; the API answers
//!   `401` with a coded JSON error and `WWW-Authenticate: Bearer`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Extension, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use koho_store::{Person, Role, Session};
use koho_workflow::Workflow;
use koho_workflow::auth::{Action, AuthError, AuthSettings, SignInRequest, authorize, token_slug};
use serde::Deserialize;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::{Ctx, LANG_COOKIE, cookie, cookie_header};
use crate::pages::{Layout, html};
use crate::state::AppState;

/// Session cookie name when cookies are `Secure`: the `__Host-` prefix makes the browser
/// refuse it from a sibling subdomain or over plain HTTP.
pub const SESSION_COOKIE_SECURE: &str = "__Host-koho_session";
/// Session cookie name otherwise (development over plain HTTP on a non-loopback address).
pub const SESSION_COOKIE_PLAIN: &str = "koho_session";

/// Sign-in settings (the defaults; see [`AuthSettings`]).
pub fn settings() -> AuthSettings {
    AuthSettings::default()
}

/// The current time in Unix ms (the workflows take time from here).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub fn session_cookie_name(app: &AppState) -> &'static str {
    if app.options().secure_cookies {
        SESSION_COOKIE_SECURE
    } else {
        SESSION_COOKIE_PLAIN
    }
}

/// The session cookie's value in a request, if any.
pub fn session_cookie<'a>(app: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
    cookie(headers, session_cookie_name(app))
}

/// The municipality a session cookie or token belongs to.
fn site_of(app: &AppState, token: &str) -> Option<Arc<Workflow>> {
    app.site(token_slug(token)?).cloned()
}

/// A signed-in person: from the session cookie on pages, from `Authorization: Bearer` on
/// `/api/`.
#[derive(Clone, Debug)]
pub struct Staff {
    pub person: Person,
    pub site: Arc<Workflow>,
    /// The session (pages).
    pub session: Option<Session>,
    /// The one role an API token acts with.
    pub scope: Option<Role>,
}

impl Staff {
    /// Refuses with `403 AUTH_FORBIDDEN`, naming the roles and the guideline clause,
    /// unless the person may do `action`.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        authorize(self.site.guideline(), &self.person, self.scope, action)
            .map_err(|e| AppError::forbidden(e.ja()))
    }

    pub fn may(&self, action: Action) -> bool {
        self.require(action).is_ok()
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Where to go back to after signing in: a local path only.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 512
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/staff".to_owned(),
    }
}

fn to_login(path_and_query: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect();
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/login?next={next}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn unauthorized(e: AppError) -> Response {
    let mut r = e.into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"koho\""),
    );
    r
}

fn internal(e: &AuthError) -> AppError {
    tracing::error!(code = e.code(), error = %e, "sign-in check failed");
    AppError::internal()
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let now = now_ms();
        let s = settings();
        if is_api(parts.uri.path()) {
            let Some(token) = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
            else {
                return Err(unauthorized(AppError::sign_in_required()));
            };
            let Some(site) = site_of(app, token) else {
                return Err(unauthorized(AppError::token_invalid()));
            };
            return match site.verify_token(token, &s, now).await {
                Ok(h) => Ok(Staff {
                    person: h.person,
                    site,
                    session: None,
                    scope: Some(h.token.role),
                }),
                Err(e) if e.is_refusal() => Err(unauthorized(AppError::token_invalid())),
                Err(e) => Err(internal(&e).into_response()),
            };
        }
        // Back to the page after signing in; a form post cannot be replayed by a redirect.
        let here = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map_or("/staff", |p| p.as_str())
                .to_owned()
        } else {
            "/staff".to_owned()
        };
        let Some(token) = session_cookie(app, &parts.headers) else {
            return Err(to_login(&here));
        };
        let Some(site) = site_of(app, token) else {
            return Err(to_login(&here));
        };
        match site.session(token, &s, now).await {
            Ok(ss) => Ok(Staff {
                person: ss.person,
                site,
                session: Some(ss.session),
                scope: None,
            }),
            Err(e) if e.is_refusal() => Err(to_login(&here)),
            Err(e) => Err(internal(&e).into_response()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// /login

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Layout,
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<&'static str>,
    sites: Vec<crate::pages::Choice>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

fn site_choices(app: &AppState, selected: Option<&str>) -> Vec<crate::pages::Choice> {
    app.sites()
        .iter()
        .enumerate()
        .map(|(i, w)| crate::pages::Choice {
            value: w.municipality().slug.clone(),
            label: w.municipality().name.clone(),
            selected: selected.map_or(i == 0, |s| s == w.municipality().slug),
        })
        .collect()
}

/// What the sign-in form shows besides the layout.
struct LoginView<'a> {
    next: String,
    email: String,
    error: Option<String>,
    site: Option<&'a str>,
    notice: Option<&'static str>,
}

fn login_page(app: &AppState, ctx: &Ctx, status: StatusCode, v: LoginView<'_>) -> Response {
    let LoginView {
        next,
        email,
        error,
        site,
        notice,
    } = v;
    let m = ctx.lang.msgs();
    let t = LoginPage {
        page: Layout::new(app, ctx, m.auth_login_title, "login"),
        next,
        email,
        error,
        notice,
        sites: site_choices(app, site),
    };
    html(status, t.render())
}

/// `GET /login`
pub async fn login_form(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_page(
        &app,
        &ctx,
        StatusCode::OK,
        LoginView {
            next: safe_next(q.next.as_deref()),
            email: String::new(),
            error: None,
            site: None,
            notice: q
                .signed_out
                .is_some()
                .then_some(ctx.lang.msgs().auth_signed_out),
        },
    )
}

/// Fields of the sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    municipality: Option<String>,
}

/// `POST /login`: e-mail, password and the authenticator's code. A refusal re-renders
/// the form with one message whatever was wrong, with `401`.
pub async fn login_submit(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Ok(f) = serde_urlencoded_form(&body) else {
        return AppError::bad_form().into_response();
    };
    let m = ctx.lang.msgs();
    let next = safe_next(f.next.as_deref());
    let site = match f.municipality.as_deref() {
        Some(slug) => app.site(slug).cloned(),
        None => app.default_site().cloned(),
    };
    let Some(site) = site else {
        return login_page(
            &app,
            &ctx,
            StatusCode::UNAUTHORIZED,
            LoginView {
                next,
                email: f.email,
                error: Some(m.auth_login_refused.to_owned()),
                site: None,
                notice: None,
            },
        );
    };
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let req = SignInRequest {
        email: &f.email,
        password: &f.password,
        code: &f.code,
        user_agent: ua,
    };
    match site.sign_in(&req, &settings(), now_ms()).await {
        Ok(signed) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&next) {
                h.insert(header::LOCATION, v);
            }
            if let Some(c) =
                cookie_header(&app, session_cookie_name(&app), signed.token.expose(), None)
            {
                h.append(header::SET_COOKIE, c);
            }
            // A new CSRF token, bound to the new session.
            if let Some(t) = app.mint_csrf_for(Some(signed.token.expose()))
                && let Some(c) = cookie_header(&app, crate::middleware::CSRF_COOKIE, &t, None)
            {
                h.append(header::SET_COOKIE, c);
            }
            if let Some(lang) = signed.ui_lang.as_deref().and_then(Lang::from_code)
                && let Some(c) =
                    cookie_header(&app, LANG_COOKIE, lang.code(), Some(365 * 24 * 3600))
            {
                h.append(header::SET_COOKIE, c);
            }
            tracing::info!(
                request_id = ctx.request_id,
                session = signed.session.id.as_str(),
                "signed in"
            );
            r
        }
        Err(AuthError::SignInRefused) => login_page(
            &app,
            &ctx,
            StatusCode::UNAUTHORIZED,
            LoginView {
                next,
                email: f.email,
                error: Some(m.auth_login_refused.to_owned()),
                site: Some(&site.municipality().slug),
                notice: None,
            },
        ),
        Err(e) => internal(&e).into_response(),
    }
}

fn serde_urlencoded_form(body: &[u8]) -> Result<LoginForm, ()> {
    let mut f = LoginForm {
        email: String::new(),
        password: String::new(),
        code: String::new(),
        next: None,
        municipality: None,
    };
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "email" => f.email = v.into_owned(),
            "password" => f.password = v.into_owned(),
            "code" => f.code = v.into_owned(),
            "next" => f.next = Some(v.into_owned()),
            "municipality" => f.municipality = Some(v.into_owned()),
            _ => {}
        }
    }
    Ok(f)
}

/// `POST /logout`: ends the session (CSRF-protected like every form), clears the cookie.
pub async fn logout(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = session_cookie(&app, &headers)
        && let Some(site) = site_of(&app, token)
        && let Err(e) = site.sign_out(token, now_ms()).await
    {
        return internal(&e).into_response();
    }
    let mut r = StatusCode::SEE_OTHER.into_response();
    let h = r.headers_mut();
    h.insert(
        header::LOCATION,
        HeaderValue::from_static("/login?signed_out=1"),
    );
    if let Some(c) = cookie_header(&app, session_cookie_name(&app), "", Some(0)) {
        h.append(header::SET_COOKIE, c);
    }
    if let Some(t) = app.mint_csrf_for(None)
        && let Some(c) = cookie_header(&app, crate::middleware::CSRF_COOKIE, &t, None)
    {
        h.append(header::SET_COOKIE, c);
    }
    tracing::info!(request_id = ctx.request_id, "signed out");
    r
}
