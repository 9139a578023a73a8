//! `/m/{slug}/media/{token}`: outbox images for the platforms that download them
//! (Instagram, Threads, LINE). Public and cookie-free, since a platform's fetcher has no
//! session; the random token is the only key, and it stops working when the link
//! expires (404, like a token that never existed). See `koho_workflow::media_links`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::error::AppError;
use crate::state::AppState;

/// Caches may keep an image at most this long, and never past the link's expiry.
const MAX_CACHE_SECS: i64 = 3600;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub async fn serve(
    State(app): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let now = now_ms();
    let image = koho_workflow::media_links::open(app.store(), &slug, &token, now)
        .await
        .map_err(|e| {
            tracing::error!(code = e.code(), error = %e, "reading a media link failed");
            AppError::internal()
        })?
        .ok_or_else(AppError::not_found)?;
    let remaining = ((image.expires_at - now) / 1000).clamp(0, MAX_CACHE_SECS);
    let mut res = Response::new(Body::from(image.bytes));
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&image.mime).map_err(|_| AppError::internal())?,
    );
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={remaining}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    // The platforms' fetchers and apps load it from their own origins.
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Ok(res)
}
