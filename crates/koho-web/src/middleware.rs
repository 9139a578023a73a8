//! The one middleware every request passes through, outermost:
//!
//! - a request id, generated here (never taken from the client), put in the
//!   `x-request-id` response header, on error pages and in the log line;
//! - the language (`?lang=`, else the `koho_lang` cookie, else Japanese);
//! - CSRF protection for every state-changing request (see [`check_csrf`]);
//! - rendering of [`AppError`]s, as HTML or JSON;
//! - the security headers, on every response.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages;
use crate::public::{PUBLIC_MAX_AGE, PublicPage};
use crate::state::{AppState, constant_time_eq, hex, random_bytes};

pub const LANG_COOKIE: &str = "koho_lang";
pub const CSRF_COOKIE: &str = "koho_csrf";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest HTML form body: a post of [`koho_check::MAX_INPUT_BYTES`] percent-encoded
/// plus the other fields.
pub const FORM_LIMIT: usize = 4 * koho_check::MAX_INPUT_BYTES;

/// What handlers learn about the request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_id: String,
    pub lang: Lang,
    /// The CSRF token forms on this page must carry.
    pub csrf: String,
    /// The path without the query, for language links.
    pub path: String,
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'; \
require-trusted-types-for 'script'; trusted-types 'none'";

const PERMISSIONS: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), \
fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), \
picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), usb=(), browsing-topics=()";

/// A time-ordered, unguessable id: milliseconds since the epoch and 8 random bytes.
fn new_request_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let rnd = random_bytes::<8>().map(|b| hex(&b)).unwrap_or_default();
    format!("{ms:012x}-{rnd}")
}

/// The value of one cookie. Cookies whose value is not plain ASCII are ignored.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz"
}

/// Errors are JSON for the API, for `.json` documents and for clients that ask for
/// JSON (`/verify` with `Accept: application/json`).
fn wants_json_errors(path: &str, headers: &HeaderMap) -> bool {
    is_api(path)
        || path.ends_with(".json")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// CSRF protection for a state-changing request.
///
/// - A browser's `Sec-Fetch-Site` other than `same-origin` or `none` is refused.
/// - The JSON API (`/api/…`) needs `Content-Type: application/json`: a page on
///   another site cannot send that without a CORS preflight, which koho never
///   grants. (Token-authenticated API clients will send `Authorization: Bearer`;
///   see the integration point in `api.rs`.)
/// - Everything else — HTML forms — needs the signed double-submit token: the
///   `csrf` form field (or `x-csrf-token` header) equal to the `koho_csrf` cookie,
///   and minted by this server — for the session cookie sent along, once signed in. The body is read here (up to [`FORM_LIMIT`]) and
///   handed on unchanged.
async fn check_csrf(
    app: &AppState,
    req: Request,
    session: Option<&str>,
) -> Result<Request, AppError> {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return Err(AppError::csrf_cross_site());
    }
    if is_api(req.uri().path()) {
        if media_type(headers) != "application/json" {
            return Err(AppError::unsupported_media_type());
        }
        return Ok(req);
    }
    let cookie_token = cookie(headers, CSRF_COOKIE).map(str::to_owned);
    let header_token = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = media_type(headers) == "application/x-www-form-urlencoded";
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| AppError::body_too_large(FORM_LIMIT))?;
    let sent = header_token.or_else(|| {
        is_form
            .then(|| {
                form_urlencoded::parse(&bytes)
                    .find(|(k, _)| k == CSRF_FIELD)
                    .map(|(_, v)| v.into_owned())
            })
            .flatten()
    });
    let (Some(sent), Some(cookie_token)) = (sent, cookie_token) else {
        return Err(AppError::csrf_missing());
    };
    if !constant_time_eq(sent.as_bytes(), cookie_token.as_bytes())
        || !app.csrf_valid_for(&sent, session)
    {
        return Err(AppError::csrf_invalid());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn is_safe(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

pub(crate) fn cookie_header(
    app: &AppState,
    name: &str,
    value: &str,
    max_age: Option<u64>,
) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if app.options().secure_cookies {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).ok()
}

pub async fn layer(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let json_errors = wants_json_errors(&path, req.headers());
    let query_lang = query_param(req.uri().query(), "lang").and_then(|l| Lang::from_code(&l));
    let cookie_lang = cookie(req.headers(), LANG_COOKIE).and_then(Lang::from_code);
    let lang = query_lang.or(cookie_lang).unwrap_or(Lang::Ja);
    // Signed in, the token must be bound to the session cookie (see `AppState::mint_csrf_for`).
    let session = crate::auth::session_cookie(&app, req.headers())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| app.csrf_valid_for(t, session.as_deref()))
        .map(str::to_owned);
    let minted = existing.is_none();
    let csrf = existing
        .or_else(|| app.mint_csrf_for(session.as_deref()))
        .unwrap_or_default();
    let ctx = Ctx {
        request_id: request_id.clone(),
        lang,
        csrf: csrf.clone(),
        path: path.clone(),
    };
    req.extensions_mut().insert(ctx.clone());

    let mut res = if is_safe(&method) {
        next.run(req).await
    } else {
        match check_csrf(&app, req, session.as_deref()).await {
            Ok(req) => next.run(req).await,
            Err(e) => e.into_response(),
        }
    };

    let error = res.extensions().get::<AppError>().cloned();
    if let Some(e) = &error {
        let mut rendered = if json_errors {
            crate::api::error_json(&ctx, e)
        } else {
            pages::error_page(&app, &ctx, e)
        };
        for (k, v) in res.headers() {
            if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                rendered.headers_mut().append(k.clone(), v.clone());
            }
        }
        res = rendered;
    }

    let h = res.headers_mut();
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert("permissions-policy", HeaderValue::from_static(PERMISSIONS));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key("cross-origin-resource-policy") {
        // Only a handler that serves to other origins (outbox images) loosens this.
        h.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        );
    }
    if app.options().https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    // Public pages (the register, policies, verification) carry no token and may be
    // cached by browsers and shared caches; everything else is never stored.
    let public = error.is_none() && res.extensions().get::<PublicPage>().is_some();
    let h = res.headers_mut();
    let sets_lang = query_lang.is_some() && query_lang != cookie_lang;
    if public {
        let cc = if is_html && sets_lang {
            // This response sets the language cookie: only the browser may keep it.
            format!("private, max-age={PUBLIC_MAX_AGE}")
        } else {
            format!("public, max-age={PUBLIC_MAX_AGE}")
        };
        if let Ok(v) = HeaderValue::from_str(&cc) {
            h.insert(header::CACHE_CONTROL, v);
        }
        if !path.ends_with(".json") && !path.ends_with(".csv") {
            // The language comes from the cookie; /verify answers JSON by Accept.
            h.insert(header::VARY, HeaderValue::from_static("Accept, Cookie"));
        }
    } else if is_html || is_api(&path) || error.is_some() {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_html {
        if !public {
            // Pages vary by the language cookie; pages carry the CSRF token.
            h.insert(header::VARY, HeaderValue::from_static("Cookie"));
        }
        if minted
            && !public
            && let Some(c) = cookie_header(&app, CSRF_COOKIE, &csrf, None)
        {
            h.append(header::SET_COOKIE, c);
        }
        if let Some(l) = query_lang
            && Some(l) != cookie_lang
            && let Some(c) = cookie_header(&app, LANG_COOKIE, l.code(), Some(365 * 24 * 3600))
        {
            h.append(header::SET_COOKIE, c);
        }
    }

    let status = res.status().as_u16();
    let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    match &error {
        Some(e) if status >= 500 => {
            tracing::error!(request_id, %method, path, status, code = e.code, us, "request failed");
        }
        Some(e) => {
            tracing::info!(request_id, %method, path, status, code = e.code, us, "request refused")
        }
        None => tracing::info!(request_id, %method, path, status, us, "request"),
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; koho_lang=en"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("koho_csrf=\"t\""));
        assert_eq!(cookie(&h, "koho_lang"), Some("en"));
        assert_eq!(cookie(&h, "koho_csrf"), Some("t"));
        assert_eq!(cookie(&h, "b"), None);
    }

    #[test]
    fn request_ids_differ() {
        assert_ne!(new_request_id(), new_request_id());
    }
}
