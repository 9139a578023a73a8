//! The JSON API. `POST /api/check` answers with the same diagnostics JSON as
//! `koho check --format json`, plus the length count of the chosen platform.
//!
//! INTEGRATION POINT (auth): API clients other than koho's own pages will
//! authenticate with `Authorization: Bearer <token>`, tokens issued per
//! municipality by the store (`koho-store`); `/api/check` is a pure computation
//! and stays open.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use koho_check::length::{Measure, measure};
use koho_check::{Diagnostic, Input, Platform, validate_text};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::Ctx;
use crate::state::AppState;

/// Largest JSON body of `/api/check`: a post of the largest size, every character
/// escaped as `\uXXXX`.
pub const API_BODY_LIMIT: usize = 6 * koho_check::MAX_INPUT_BYTES + 4096;

/// Posts at least this long are checked on the blocking pool, not on a worker
/// that serves other requests.
const BLOCKING_FROM_BYTES: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
pub struct CheckRequest {
    pub text: String,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub guideline: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CheckResponse {
    pub diagnostics: Vec<Diagnostic>,
    pub length: Option<Measure>,
}

/// Validates and checks one post: shared by the API and the no-JavaScript form.
/// `platform` is an id (`x`); `None` means none chosen.
pub async fn run_check(
    app: &AppState,
    text: String,
    platform: Option<&str>,
    guideline: Option<&str>,
) -> Result<CheckResponse, AppError> {
    let platform = match platform {
        None => None,
        Some(p) => Some(Platform::from_id(p).ok_or_else(|| AppError::unknown_platform(p))?),
    };
    let gid = match guideline {
        None => app.default_guideline().guideline.id.clone(),
        Some(g) if app.guideline(g).is_some() => g.to_owned(),
        Some(g) => return Err(AppError::unknown_guideline(g, &app.guideline_ids())),
    };
    validate_text(&text).map_err(|e| AppError::input(&e))?;
    let big = text.len() >= BLOCKING_FROM_BYTES;
    let work = {
        let app = app.clone();
        move || {
            let compiled = app
                .guideline(&gid)
                .unwrap_or_else(|| app.default_guideline());
            let diagnostics = compiled.checker.check(&Input {
                text: &text,
                platform,
                images: &[],
                history: &[],
            });
            // INTEGRATION POINT (history): the repeated-post rule needs the account's
            // recent posts from the store once posts are kept there.
            let length = platform.and_then(|p| measure(&text, p));
            CheckResponse {
                diagnostics,
                length,
            }
        }
    };
    if big {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| AppError::internal())
    } else {
        Ok(work())
    }
}

/// `POST /api/check`
pub async fn check(State(app): State<AppState>, body: Body) -> Result<Response, AppError> {
    let bytes = axum::body::to_bytes(body, API_BODY_LIMIT)
        .await
        .map_err(|_| AppError::body_too_large(API_BODY_LIMIT))?;
    let req: CheckRequest = serde_json::from_slice(&bytes).map_err(|e| AppError::bad_json(&e))?;
    let out = run_check(
        &app,
        req.text,
        req.platform.as_deref(),
        req.guideline.as_deref(),
    )
    .await?;
    Ok(Json(out).into_response())
}

/// `GET /healthz`
pub async fn healthz(State(app): State<AppState>) -> Response {
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "guidelines": app.guideline_ids(),
    }))
    .into_response()
}

/// `GET /api/openapi.json`
pub async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

/// The JSON body of an error: `{"error": {"code", "message", "request_id"}}`, the
/// message in Japanese (API clients are municipal systems; the code is stable).
pub fn error_json(ctx: &Ctx, e: &AppError) -> Response {
    let body = serde_json::json!({
        "error": {
            "code": e.code,
            "message": e.message(Lang::Ja.msgs()),
            "request_id": ctx.request_id,
        }
    });
    (e.status, Json(body)).into_response()
}
