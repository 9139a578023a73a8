//! The register's JSON API for other municipal systems, with `Authorization: Bearer`
//! tokens scoped to one role (as `/api/applications`): `GET /api/accounts`, `POST
//! /api/applications` (an opening application), `POST /api/applications/{id}/approve` and
//! `/reject`, `POST /api/accounts/{id}/suspend`, `/resume` and `/close`. Each asks
//! [`Staff::require`] for the step's [`Action`] with the token's role only; the workflow
//! then applies the guideline's finer rules, and a refusal is a coded JSON error citing the
//! clause. Every step is audited by the workflow, like the same step on a page.

use axum::Json;
use axum::body::Body;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use koho_store::{AccountId, ApplicationId};
use koho_workflow::OpeningRequest;
use koho_workflow::auth::Action;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::admin::{suspend_request, uuid_like};
use crate::auth::{Staff, now_ms};
use crate::error::AppError;
use crate::staff::workflow_error;

/// Largest JSON body of these routes: an application with a long operation policy.
pub const REGISTER_BODY_LIMIT: usize = 512 * 1024;

async fn json_body<T: DeserializeOwned + Default>(body: Body) -> Result<T, AppError> {
    let bytes = axum::body::to_bytes(body, REGISTER_BODY_LIMIT)
        .await
        .map_err(|_| AppError::body_too_large(REGISTER_BODY_LIMIT))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| AppError::bad_json(&e))
}

/// `GET /api/accounts`: every account of the register, any state.
pub async fn accounts(staff: Staff) -> Result<Response, AppError> {
    staff.require(Action::ViewDashboard)?;
    let rows = staff
        .site
        .register_rows()
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(Json(json!({ "accounts": rows })).into_response())
}

/// `POST /api/applications`: an opening application (the fields the guideline requires,
/// the answers to its existing-account review). `201` with the application, the account
/// (state `applied`, handle reserved) and the existing accounts that resemble it.
pub async fn apply(staff: Staff, body: Body) -> Result<Response, AppError> {
    staff.require(Action::ApplyForAccount)?;
    let req: OpeningRequest = json_body(body).await?;
    let applied = staff
        .site
        .apply(&req, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok((StatusCode::CREATED, Json(applied)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    note: Option<String>,
    /// Approve under the guideline's waiver (`opening.waiver`), by its holder.
    #[serde(default)]
    waiver: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    reason: String,
}

/// `POST /api/applications/{id}/approve`
pub async fn approve(
    staff: Staff,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, AppError> {
    staff.require(Action::DecideApplication)?;
    let id = ApplicationId::from(uuid_like(&id)?);
    let b: DecisionBody = json_body(body).await?;
    let decided = staff
        .site
        .approve(
            &id,
            &staff.person.id,
            b.waiver,
            b.note.as_deref().map(str::trim).filter(|n| !n.is_empty()),
            now_ms(),
        )
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(Json(decided).into_response())
}

/// `POST /api/applications/{id}/reject` (`reason` required).
pub async fn reject(
    staff: Staff,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, AppError> {
    staff.require(Action::DecideApplication)?;
    let id = ApplicationId::from(uuid_like(&id)?);
    let b: ReasonBody = json_body(body).await?;
    let decided = staff
        .site
        .reject(&id, &staff.person.id, &b.reason, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(Json(decided).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    followers: Option<i64>,
    #[serde(default)]
    redirect_to: Option<String>,
    #[serde(default)]
    notice_text: Option<String>,
}

/// `POST /api/accounts/{id}/suspend`: the suspension with its notice post, redirect and
/// next check; the handle is kept.
pub async fn suspend(
    staff: Staff,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, AppError> {
    staff.require(Action::SuspendAccount)?;
    let id = AccountId::from(uuid_like(&id)?);
    let b: SuspendBody = json_body(body).await?;
    let followers = b.followers.map(|n| n.to_string());
    let req = suspend_request(
        b.reason,
        followers.as_deref(),
        b.redirect_to.as_deref(),
        b.notice_text,
    )?;
    let s = staff
        .site
        .suspend(&id, &req, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(Json(s).into_response())
}

/// `POST /api/accounts/{id}/resume`
pub async fn resume(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    staff.require(Action::SuspendAccount)?;
    let id = AccountId::from(uuid_like(&id)?);
    let account = staff
        .site
        .resume(&id, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(Json(json!({ "account": account })).into_response())
}

/// `POST /api/accounts/{id}/close` (`reason` required; the record and its handle stay).
pub async fn close(staff: Staff, Path(id): Path<String>, body: Body) -> Result<Response, AppError> {
    staff.require(Action::CloseAccount)?;
    let id = AccountId::from(uuid_like(&id)?);
    let b: ReasonBody = json_body(body).await?;
    let account = staff
        .site
        .close(&id, &b.reason, &staff.person.id, now_ms())
        .await
        .map_err(|e| workflow_error(&e))?;
    Ok(Json(json!({ "account": account })).into_response())
}
