//! koho's web application: server-rendered pages for staff and the public, and
//! the JSON API. Japanese first, English with `?lang=en`; every message comes
//! from the catalogue in `i18n/`. The checker is compiled once at start and shared.
//!
//! ```no_run
//! # async fn f(state: koho_web::AppState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, koho_web::router(state)).await
//! # }
//! ```
//!
//! Routes: `/` (home), `/check` (the editor with live checking; `POST` renders
//! results without JavaScript), the public register (`/official-accounts`, `.json`,
//! `.csv`, `/official-accounts/{id}/policy`, `/verify`; the default municipality at the
//! root and every one under `/m/{slug}/`, see `public.rs`), the archive
//! `/archive` (also under `/m/{slug}/`) and its feed `/archive.atom`, outbox images for
//! the platforms that download them (`/m/{slug}/media/{token}`, see `media.rs`),
//! `/static/…` (hashed, immutable), `/login`, `/logout` and the staff pages under
//! `/staff` (see [`page_routes`]), and the API in [`api_routes`], described by
//! `/api/openapi.json`.
//!
//! The register's staff
//! screens (apply, account procedures, operation policies, printable forms), the audit
//! log viewer and the management of people and API tokens are under `/staff` too, and the
//! register's writes for other systems under `/api/` (see [`api_routes`]).

mod admin;
mod api;
mod api_register;
mod archive;
mod archive_page;
mod assets;
mod audit_view;
mod auth;
mod diff;
mod error;
pub mod forms;
mod head_cache;
pub use head_cache::HEAD_RECHECK;
mod i18n;
mod media;
mod middleware;
mod openapi;
mod openapi_posts;
mod openapi_register;
mod pages;
mod people;
mod posts;
mod posts_api;
mod public;
mod staff;
mod state;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

pub use error::AppError;
pub use state::{AppState, Compiled, Options, StartError};

/// The API's routes, `(path, method, handler)`: the OpenAPI document must describe
/// exactly these (a test compares them).
pub fn api_routes() -> Vec<(&'static str, Method, MethodRouter<AppState>)> {
    vec![
        ("/healthz", Method::GET, get(api::healthz)),
        ("/api/check", Method::POST, post(api::check)),
        ("/api/openapi.json", Method::GET, get(api::openapi)),
        ("/api/me", Method::GET, get(staff::api_me)),
        (
            "/api/applications",
            Method::GET,
            get(staff::api_applications),
        ),
        // The public register's machine-readable forms: documented for other systems,
        // with `/m/{slug}` as an alternative server in the document.
        (
            "/official-accounts.json",
            Method::GET,
            get(public::root_register_json),
        ),
        ("/verify", Method::GET, get(public::root_verify)),
        // The register's writes for other systems (api_register.rs).
        ("/api/accounts", Method::GET, get(api_register::accounts)),
        ("/api/applications", Method::POST, post(api_register::apply)),
        (
            "/api/applications/{id}/approve",
            Method::POST,
            post(api_register::approve),
        ),
        (
            "/api/applications/{id}/reject",
            Method::POST,
            post(api_register::reject),
        ),
        (
            "/api/accounts/{id}/suspend",
            Method::POST,
            post(api_register::suspend),
        ),
        (
            "/api/accounts/{id}/resume",
            Method::POST,
            post(api_register::resume),
        ),
        (
            "/api/accounts/{id}/close",
            Method::POST,
            post(api_register::close),
        ),
        // Posts (token scoped by role, like /api/applications).
        ("/api/posts", Method::GET, get(posts_api::list)),
        ("/api/posts", Method::POST, post(posts_api::create)),
        ("/api/posts/{id}", Method::GET, get(posts_api::get)),
        (
            "/api/posts/{id}/submit",
            Method::POST,
            post(posts_api::submit),
        ),
        (
            "/api/posts/{id}/approve",
            Method::POST,
            post(posts_api::approve),
        ),
        (
            "/api/posts/{id}/reject",
            Method::POST,
            post(posts_api::reject),
        ),
        (
            "/api/posts/{id}/schedule",
            Method::POST,
            post(posts_api::schedule),
        ),
        ("/api/emergency", Method::POST, post(posts_api::emergency)),
    ]
}

/// The HTML pages' routes, `(path, method, handler)`. Every route of the application is
/// here or in [`api_routes`]: the authorisation test walks [`route_table`] with every
/// role, so a route registered any other way would escape it.
pub fn page_routes() -> Vec<(&'static str, Method, MethodRouter<AppState>)> {
    vec![
        ("/", Method::GET, get(pages::home)),
        ("/check", Method::GET, get(pages::check_form)),
        ("/check", Method::POST, post(pages::check_submit)),
        ("/static/{*path}", Method::GET, get(assets::serve)),
        ("/archive.atom", Method::GET, get(archive::atom)),
        // The public register (no sign-in): the default municipality at the root, every
        // municipality under its slug.
        (
            "/official-accounts",
            Method::GET,
            get(public::root_register),
        ),
        (
            "/official-accounts.csv",
            Method::GET,
            get(public::root_register_csv),
        ),
        (
            "/official-accounts/{id}/policy",
            Method::GET,
            get(public::root_policy),
        ),
        (
            "/m/{slug}/official-accounts",
            Method::GET,
            get(public::site_register),
        ),
        (
            "/m/{slug}/official-accounts.json",
            Method::GET,
            get(public::site_register_json),
        ),
        (
            "/m/{slug}/official-accounts.csv",
            Method::GET,
            get(public::site_register_csv),
        ),
        (
            "/m/{slug}/official-accounts/{id}/policy",
            Method::GET,
            get(public::site_policy),
        ),
        ("/m/{slug}/verify", Method::GET, get(public::site_verify)),
        // Outbox images for platforms that download them; public, no cookies.
        ("/m/{slug}/media/{token}", Method::GET, get(media::serve)),
        ("/login", Method::GET, get(auth::login_form)),
        ("/login", Method::POST, post(auth::login_submit)),
        ("/logout", Method::POST, post(auth::logout)),
        ("/staff", Method::GET, get(staff::dashboard)),
        ("/staff/applications", Method::GET, get(staff::applications)),
        (
            "/staff/applications/{id}",
            Method::GET,
            get(staff::application),
        ),
        (
            "/staff/applications/{id}/approve",
            Method::POST,
            post(staff::approve),
        ),
        (
            "/staff/applications/{id}/reject",
            Method::POST,
            post(staff::reject),
        ),
        ("/staff/accounts/{id}", Method::GET, get(staff::account)),
        ("/staff/settings", Method::GET, get(staff::settings_form)),
        (
            "/staff/settings",
            Method::POST,
            post(staff::settings_submit),
        ),
        // The public archive of posts (archive_page.rs).
        ("/archive", Method::GET, get(archive_page::root)),
        (
            "/m/{slug}/archive",
            Method::GET,
            get(archive_page::site_archive),
        ),
        // The register's staff screens (admin.rs).
        ("/staff/accounts", Method::GET, get(admin::accounts)),
        (
            "/staff/applications/new",
            Method::GET,
            get(admin::apply_form),
        ),
        (
            "/staff/applications/new",
            Method::POST,
            post(admin::apply_submit),
        ),
        (
            "/staff/applications/{id}/form/{kind}",
            Method::GET,
            get(admin::printable_form),
        ),
        (
            "/staff/accounts/{id}/manage",
            Method::GET,
            get(admin::manage),
        ),
        (
            "/staff/accounts/{id}/activate",
            Method::POST,
            post(admin::activate),
        ),
        (
            "/staff/accounts/{id}/suspend",
            Method::POST,
            post(admin::suspend),
        ),
        (
            "/staff/accounts/{id}/resume",
            Method::POST,
            post(admin::resume),
        ),
        (
            "/staff/accounts/{id}/close",
            Method::POST,
            post(admin::close),
        ),
        (
            "/staff/accounts/{id}/policy",
            Method::GET,
            get(admin::policy),
        ),
        (
            "/staff/accounts/{id}/policy",
            Method::POST,
            post(admin::policy_draft),
        ),
        (
            "/staff/accounts/{id}/policy/publish",
            Method::POST,
            post(admin::policy_publish),
        ),
        // The audit log for auditors (audit_view.rs).
        ("/staff/audit", Method::GET, get(audit_view::page)),
        // People and API tokens (people.rs).
        ("/staff/people", Method::GET, get(people::list)),
        ("/staff/people", Method::POST, post(people::add)),
        ("/staff/people/{id}", Method::GET, get(people::person)),
        ("/staff/people/{id}", Method::POST, post(people::update)),
        (
            "/staff/people/{id}/unlock",
            Method::POST,
            post(people::unlock),
        ),
        ("/staff/tokens", Method::GET, get(people::tokens)),
        ("/staff/tokens", Method::POST, post(people::issue)),
        (
            "/staff/tokens/{id}/revoke",
            Method::POST,
            post(people::revoke),
        ),
        // Posts: list, editor, one post and each step of the posting workflow.
        ("/staff/posts", Method::GET, get(posts::list)),
        ("/staff/posts", Method::POST, post(posts::create)),
        ("/staff/posts/new", Method::GET, get(posts::new_form)),
        ("/staff/posts/{id}", Method::GET, get(posts::show)),
        ("/staff/posts/{id}/edit", Method::GET, get(posts::edit_form)),
        ("/staff/posts/{id}/edit", Method::POST, post(posts::edit)),
        (
            "/staff/posts/{id}/submit",
            Method::POST,
            post(posts::submit),
        ),
        (
            "/staff/posts/{id}/approve",
            Method::POST,
            post(posts::approve),
        ),
        (
            "/staff/posts/{id}/reject",
            Method::POST,
            post(posts::reject),
        ),
        (
            "/staff/posts/{id}/override",
            Method::POST,
            post(posts::override_findings),
        ),
        (
            "/staff/posts/{id}/schedule",
            Method::POST,
            post(posts::schedule),
        ),
        (
            "/staff/posts/{id}/withdraw",
            Method::POST,
            post(posts::withdraw),
        ),
        (
            "/staff/posts/{id}/acknowledge",
            Method::POST,
            post(posts::acknowledge),
        ),
        (
            "/staff/posts/{id}/correct",
            Method::POST,
            post(posts::correct),
        ),
        // Department requests (美祢市 第4-2(3)).
        ("/staff/requests", Method::GET, get(posts::requests)),
        ("/staff/requests", Method::POST, post(posts::request_submit)),
        (
            "/staff/requests/{id}/accept",
            Method::POST,
            post(posts::request_accept),
        ),
        (
            "/staff/requests/{id}/decline",
            Method::POST,
            post(posts::request_decline),
        ),
    ]
}

/// Every `(path, method)` the router serves: pages and API.
pub fn route_table() -> Vec<(&'static str, Method)> {
    page_routes()
        .into_iter()
        .chain(api_routes())
        .map(|(p, m, _)| (p, m))
        .collect()
}

/// The OpenAPI 3.1 document served at `/api/openapi.json`.
pub fn openapi_document() -> serde_json::Value {
    openapi::document()
}

/// `(path, METHOD)` pairs of an OpenAPI document.
pub fn openapi_operations(doc: &serde_json::Value) -> Vec<(String, String)> {
    openapi::operations(doc)
}

async fn not_found() -> Response {
    AppError::not_found().into_response()
}

async fn method_not_allowed(req: Request) -> Response {
    AppError::method_not_allowed(req.method().as_str()).into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::internal().into_response()
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    // Hash the embedded files now, not on the first request.
    let _ = &*assets::URLS;
    let mut r = Router::new();
    // Routes of one path with several methods merge into one method router.
    for (path, _, handler) in page_routes().into_iter().chain(api_routes()) {
        r = r.route(path, handler);
    }
    with_layers(r, state)
}

/// Fallbacks, panic catching and the outermost middleware.
fn with_layers(r: Router<AppState>, state: AppState) -> Router {
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::layer,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use koho_check::{Checker, Guideline};
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        panic!("secret detail that must not be shown")
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_coded_error_with_the_request_id() {
        let g = Guideline::preset("midori").unwrap().unwrap();
        let c = Checker::new(&g).unwrap();
        let store = koho_store::Store::open("sqlite::memory:").await.unwrap();
        let state = AppState::new(store, vec![], (g, c), vec![], Options::default()).unwrap();
        let app = with_layers(
            Router::new()
                .route("/boom", get(boom))
                .route("/api/boom", get(boom)),
            state,
        );
        let res = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(res.headers().contains_key("content-security-policy"));
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("INTERNAL") && body.contains(&id));
        assert!(!body.contains("secret detail"));

        let res = app
            .oneshot(Request::get("/api/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "INTERNAL");
        assert!(!v.to_string().contains("secret detail"));
    }
}
