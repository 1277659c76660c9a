//! Data-subject requests over HTTP: administrators and district leaders (in their area) record
//! them, take their steps and export an access request; members and project boards get 403.
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::Json;

use super::dto::{NewPrivacyRequest, PrivacyRequestDto, PrivacyRequestQuery, RequestStepInput};
use super::requests::{self, Step};
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::legal::today_vn;
use crate::pagination::Page;
use crate::scoped;
use crate::state::AppState;

/// Requests about households in the caller's area, newest first, each with its deadlines
/// (the rules in force on the day it was received), the step it waits for and the days left.
/// `status=open` gives those received, acknowledged or extended.
#[utoipa::path(get, path = "/api/v1/privacy/requests", tag = "privacy", params(PrivacyRequestQuery),
    responses((status = 200, body = Page<PrivacyRequestDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PrivacyRequestQuery>,
) -> AppResult<Json<Page<PrivacyRequestDto>>> {
    principal.require(Permission::ManagePrivacy)?;
    let page = requests::list(&state.db.conn, &principal.scope, &q, today_vn()).await?;
    let ids: Vec<i32> = page.items.iter().map(|r| r.household_id).collect();
    audit::households_read(
        &state.db.conn,
        &principal,
        "privacy_requests",
        ids,
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(page))
}

/// Record a data subject's request (access, correction, restriction, deletion, objection)
/// about a household in the caller's area; its deadlines come from the legal rules in force
/// on `received_on`: acknowledge within 2 working days, complete within 15 days.
#[utoipa::path(post, path = "/api/v1/privacy/requests", tag = "privacy", request_body = NewPrivacyRequest,
    responses((status = 201, body = PrivacyRequestDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewPrivacyRequest>,
) -> AppResult<(StatusCode, Json<PrivacyRequestDto>)> {
    principal.require(Permission::ManagePrivacy)?;
    let today = today_vn();
    let household_id = new.household_id;
    let kind = new.kind;
    let tx = state.db.write().await?;
    let id = requests::create(&*tx, &principal, new, today).await?;
    let (_, row) = scoped::privacy_request(&*tx, &principal.scope, id.id()).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "privacy_request",
        Some(id.id().to_string()),
        serde_json::json!({"household_id": household_id, "kind": kind}),
    )
    .await?;
    let dto = requests::dto(&*tx, &principal.scope, row, today).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// One request.
#[utoipa::path(get, path = "/api/v1/privacy/requests/{id}", tag = "privacy", params(("id" = i32, Path)),
    responses((status = 200, body = PrivacyRequestDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(request_id = id))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<PrivacyRequestDto>> {
    principal.require(Permission::ManagePrivacy)?;
    let (_, row) = scoped::privacy_request(&state.db.conn, &principal.scope, id).await?;
    let household_id = row.household_id;
    let dto = requests::dto(&state.db.conn, &principal.scope, row, today_vn()).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "privacy_request",
        Some(id.to_string()),
        serde_json::json!({"household_id": household_id}),
    )
    .await?;
    Ok(Json(dto))
}

async fn take_step(
    state: &AppState,
    principal: &Principal,
    id: i32,
    step: Step,
    input: RequestStepInput,
) -> AppResult<Json<PrivacyRequestDto>> {
    principal.require(Permission::ManagePrivacy)?;
    let today = today_vn();
    let tx = state.db.write().await?;
    let (rid, row) = scoped::privacy_request(&*tx, &principal.scope, id).await?;
    let household_id = row.household_id;
    let row = requests::step(&*tx, principal, rid, row, step, input, today).await?;
    audit::record(
        &*tx,
        principal,
        step.action(),
        "privacy_request",
        Some(id.to_string()),
        serde_json::json!({
            "household_id": household_id,
            "status": row.status,
            "outcome": row.outcome,
            "due_on": row.due_on,
        }),
    )
    .await?;
    let dto = requests::dto(&*tx, &principal.scope, row, today).await?;
    tx.commit().await?;
    Ok(Json(dto))
}

/// Acknowledge receipt (within 2 working days). `on`: the day (today when absent).
#[utoipa::path(post, path = "/api/v1/privacy/requests/{id}/acknowledge", tag = "privacy", params(("id" = i32, Path)),
    request_body = RequestStepInput,
    responses((status = 200, body = PrivacyRequestDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(request_id = id))]
pub async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<RequestStepInput>,
) -> AppResult<Json<PrivacyRequestDto>> {
    take_step(&state, &principal, id, Step::Acknowledge, input).await
}

/// Extend the time limit, once, by the rule's term (15 days), with the `reason`; a second
/// extension is 422 `already_extended`.
#[utoipa::path(post, path = "/api/v1/privacy/requests/{id}/extend", tag = "privacy", params(("id" = i32, Path)),
    request_body = RequestStepInput,
    responses((status = 200, body = PrivacyRequestDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(request_id = id))]
pub async fn extend(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<RequestStepInput>,
) -> AppResult<Json<PrivacyRequestDto>> {
    take_step(&state, &principal, id, Step::Extend, input).await
}

/// Complete the request with its `outcome`: `done`, or `refused` with the `legal_reason`
/// (e.g. a deletion of land-recovery records the law requires to keep).
#[utoipa::path(post, path = "/api/v1/privacy/requests/{id}/complete", tag = "privacy", params(("id" = i32, Path)),
    request_body = RequestStepInput,
    responses((status = 200, body = PrivacyRequestDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(request_id = id))]
pub async fn complete(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<RequestStepInput>,
) -> AppResult<Json<PrivacyRequestDto>> {
    take_step(&state, &principal, id, Step::Complete, input).await
}

/// Reject the request (e.g. the requester is not the data subject nor acting for them), with
/// the `legal_reason`.
#[utoipa::path(post, path = "/api/v1/privacy/requests/{id}/reject", tag = "privacy", params(("id" = i32, Path)),
    request_body = RequestStepInput,
    responses((status = 200, body = PrivacyRequestDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(request_id = id))]
pub async fn reject(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<RequestStepInput>,
) -> AppResult<Json<PrivacyRequestDto>> {
    take_step(&state, &principal, id, Step::Reject, input).await
}

/// Everything held on the household of an access request, as one JSON document (household,
/// members, parcels held, visits, grievances, stages, compensation, notices, requests, edit
/// history, the audit rows naming it). Audited (`export`); 422 for other kinds of request.
#[utoipa::path(get, path = "/api/v1/privacy/requests/{id}/export", tag = "privacy", params(("id" = i32, Path)),
    responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(request_id = id))]
pub async fn export(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<(HeaderMap, Json<serde_json::Value>)> {
    principal.require(Permission::ManagePrivacy)?;
    let (rid, row) = scoped::privacy_request(&state.db.conn, &principal.scope, id).await?;
    let household_id = row.household_id;
    let doc = requests::export(&state.db.conn, &principal, rid, row, today_vn()).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "export",
        "privacy_request",
        Some(id.to_string()),
        serde_json::json!({"household_id": household_id, "via": "access_request"}),
    )
    .await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"household-{household_id}-access-{id}.json\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((headers, Json(doc)))
}
