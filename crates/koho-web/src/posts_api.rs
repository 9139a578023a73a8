//! The posts API for other municipal systems, with a bearer token acting as one person in
//! one role: list, read and draft posts, submit, approve, reject and schedule them, and push
//! an emergency notice that goes out at once under the guideline's emergency exception (its
//! post-hoc report then waits for the role the guideline names).
//!
//! Bodies are JSON (`Content-Type: application/json`, which is also what keeps other sites
//! out); answers are the workflow's own `PostView` JSON, refusals the usual coded error.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use koho_store::{AccountId, PostKind, PostState};
use koho_workflow::auth::Action;
use koho_workflow::posts::{ExceptionChoice, PostDraft, tz};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::api::API_BODY_LIMIT;
use crate::auth::{Staff, now_ms};
use crate::error::AppError;
use crate::posts::{parse_post_id, post_error};

async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T, AppError> {
    let bytes = axum::body::to_bytes(body, API_BODY_LIMIT)
        .await
        .map_err(|_| AppError::body_too_large(API_BODY_LIMIT))?;
    let bytes = if bytes.is_empty() {
        axum::body::Bytes::from_static(b"{}")
    } else {
        bytes
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_data() {
            AppError::invalid_request()
        } else {
            AppError::bad_json(&e)
        }
    })
}

fn time(staff: &Staff, s: Option<&str>) -> Result<Option<i64>, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => tz::parse_local(t, &staff.site.guideline().municipality.timezone)
            .map(Some)
            .map_err(|e| post_error(&e)),
    }
}

fn account_ids(ids: &[String]) -> Vec<AccountId> {
    ids.iter().map(|a| AccountId::from(a.as_str())).collect()
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
}

/// `GET /api/posts?state=`: posts of the token's municipality, newest first.
pub async fn list(staff: Staff, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse::<PostState>()
                .map_err(|_| AppError::invalid_query("state"))?,
        ),
    };
    let posts = staff.site.posts(state).await.map_err(|e| post_error(&e))?;
    Ok(Json(json!({ "posts": posts })).into_response())
}

/// `GET /api/posts/{id}`: the post with its current version, findings, targets, decisions
/// and post-hoc report.
pub async fn get(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let id = parse_post_id(&id)?;
    let v = staff.site.post(&id).await.map_err(|e| post_error(&e))?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPostRequest {
    accounts: Vec<String>,
    body: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    variants: BTreeMap<String, String>,
    #[serde(default)]
    matters: Vec<String>,
    #[serde(default)]
    share_category: Option<String>,
    #[serde(default)]
    share_url: Option<String>,
    #[serde(default)]
    publish_at: Option<String>,
}

/// `POST /api/posts`: a new draft, checked; `201` with the post.
pub async fn create(staff: Staff, body: Body) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let r: NewPostRequest = read_json(body).await?;
    let kind = match r.kind.as_deref() {
        None | Some("original") => PostKind::Original,
        Some("share") => PostKind::Share,
        Some(_) => return Err(AppError::invalid_request()),
    };
    let draft = PostDraft {
        images: Vec::new(),
        kind: Some(kind),
        accounts: account_ids(&r.accounts),
        body: r.body,
        variants: r.variants,
        matters: r.matters,
        share_category: r.share_category,
        share_url: r.share_url,
        publish_at: time(&staff, r.publish_at.as_deref())?,
    };
    let v = staff
        .site
        .draft_post(&draft, &staff.person.id, now_ms())
        .await
        .map_err(|e| post_error(&e))?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    #[serde(default)]
    exception: Option<ExceptionBody>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionBody {
    id: String,
    #[serde(default)]
    reason: String,
}

/// `POST /api/posts/{id}/submit`
pub async fn submit(
    staff: Staff,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    let r: SubmitRequest = read_json(body).await?;
    let choice = r.exception.map(|e| ExceptionChoice {
        id: e.id,
        reason: e.reason,
    });
    let v = staff
        .site
        .submit_post(&id, &staff.person.id, choice.as_ref(), now_ms())
        .await
        .map_err(|e| post_error(&e))?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/posts/{id}/approve`
pub async fn approve(
    staff: Staff,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, AppError> {
    staff.require(Action::ApprovePost)?;
    let id = parse_post_id(&id)?;
    let r: NoteRequest = read_json(body).await?;
    let v = staff
        .site
        .approve_post(&id, &staff.person.id, r.note.as_deref(), now_ms())
        .await
        .map_err(|e| post_error(&e))?;
    Ok(Json(v).into_response())
}

/// `POST /api/posts/{id}/reject` (`reason` required).
pub async fn reject(
    staff: Staff,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, AppError> {
    staff.require(Action::ApprovePost)?;
    let id = parse_post_id(&id)?;
    let r: NoteRequest = read_json(body).await?;
    let v = staff
        .site
        .reject_post(
            &id,
            &staff.person.id,
            r.reason
                .as_deref()
                .or(r.note.as_deref())
                .unwrap_or_default(),
            now_ms(),
        )
        .await
        .map_err(|e| post_error(&e))?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    #[serde(default)]
    publish_at: Option<String>,
}

/// `POST /api/posts/{id}/schedule` (`publish_at` null: as soon as cleared).
pub async fn schedule(
    staff: Staff,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let id = parse_post_id(&id)?;
    let r: ScheduleRequest = read_json(body).await?;
    let at = time(&staff, r.publish_at.as_deref())?;
    let v = staff
        .site
        .schedule_post(&id, &staff.person.id, at, now_ms())
        .await
        .map_err(|e| post_error(&e))?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyRequest {
    accounts: Vec<String>,
    body: String,
    reason: String,
    #[serde(default)]
    variants: BTreeMap<String, String>,
}

/// `POST /api/emergency`: drafts the notice and submits it under the guideline's emergency
/// exception (the one reported afterwards), so it goes out at once; `201` with the post. A
/// guideline without such an exception refuses with `POST_NO_EMERGENCY`; the checker's
/// error findings still block it (`POST_CHECK_ERRORS`, the draft is kept).
pub async fn emergency(staff: Staff, body: Body) -> Result<Response, AppError> {
    staff.require(Action::DraftPost)?;
    let r: EmergencyRequest = read_json(body).await?;
    let g = staff.site.guideline();
    let Some(exception) = g
        .post_approval
        .exceptions
        .iter()
        .find(|e| e.post_hoc_report_to.is_some())
    else {
        return Err(AppError::no_emergency_exception(&g.id));
    };
    if r.reason.trim().is_empty() {
        return Err(AppError::invalid_request());
    }
    let now = now_ms();
    let draft = PostDraft {
        images: Vec::new(),
        kind: Some(PostKind::Original),
        accounts: account_ids(&r.accounts),
        body: r.body,
        variants: r.variants,
        ..PostDraft::default()
    };
    let v = staff
        .site
        .draft_post(&draft, &staff.person.id, now)
        .await
        .map_err(|e| post_error(&e))?;
    let v = staff
        .site
        .submit_post(
            &v.post.id,
            &staff.person.id,
            Some(&ExceptionChoice {
                id: exception.id.clone(),
                reason: r.reason,
            }),
            now,
        )
        .await
        .map_err(|e| post_error(&e))?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}
