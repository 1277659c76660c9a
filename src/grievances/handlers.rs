use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{
    AssigneeDto, GrievanceDto, GrievancePatch, GrievanceQuery, NewAppeal, NewGrievance,
};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::legal::today_vn;
use crate::pagination::Page;
use crate::scoped;
use crate::state::AppState;

fn require_write(principal: &Principal) -> AppResult<()> {
    principal
        .require(Permission::Administer)
        .or_else(|_| principal.require(Permission::WriteVisits))
}

/// Grievances concerning households in the caller's area, with their legal deadlines and days
/// left. `status=open` gives those received or accepted.
#[utoipa::path(get, path = "/api/v1/grievances", tag = "grievances", params(GrievanceQuery),
    responses((status = 200, body = Page<GrievanceDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<GrievanceQuery>,
) -> AppResult<Json<Page<GrievanceDto>>> {
    principal.require(Permission::ReadPersonal)?;
    let page = service::list(
        &state.db.conn,
        &principal.scope,
        &q,
        state.settings.petition_days,
        today_vn(),
    )
    .await?;
    let ids: Vec<i32> = page.items.iter().map(|g| g.id).collect();
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "grievance",
        None,
        serde_json::json!({"ids": ids}),
    )
    .await?;
    Ok(Json(page))
}

/// Record a complaint, denunciation, petition or feedback from one or many households. The
/// acceptance and resolution deadlines are computed from the legal table.
#[utoipa::path(post, path = "/api/v1/grievances", tag = "grievances", request_body = NewGrievance,
    responses((status = 201, body = GrievanceDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewGrievance>,
) -> AppResult<(StatusCode, Json<GrievanceDto>)> {
    require_write(&principal)?;
    let days = state.settings.petition_days;
    let today = today_vn();
    let tx = state.db.write().await?;
    let id = service::create(&*tx, &principal, input, days, today).await?;
    let dto = service::get(&*tx, &principal.scope, id, days, today).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "grievance",
        Some(id.id().to_string()),
        serde_json::json!({"project": dto.project, "kind": dto.kind, "households": dto.households.iter().map(|h| h.household_id).collect::<Vec<_>>(),
                           "accept_by": dto.accept_by, "resolve_by": dto.resolve_by}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// One grievance with its households, deadlines and days left.
#[utoipa::path(get, path = "/api/v1/grievances/{id}", tag = "grievances", params(("id" = i32, Path)),
    responses((status = 200, body = GrievanceDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, grievance_id = id))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<GrievanceDto>> {
    principal.require(Permission::ReadPersonal)?;
    let id = scoped::grievance(&state.db.conn, &principal.scope, id).await?;
    let dto = service::get(
        &state.db.conn,
        &principal.scope,
        id,
        state.settings.petition_days,
        today_vn(),
    )
    .await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "grievance",
        Some(id.id().to_string()),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(dto))
}

/// An action on an open grievance: `accept` (thụ lý; deadlines recomputed from the date),
/// `assign`, `resolve` (outcome, document_no), `reject` (outcome = why), `withdraw`, `update`
/// (complexity, remote area).
#[utoipa::path(patch, path = "/api/v1/grievances/{id}", tag = "grievances", params(("id" = i32, Path)),
    request_body = GrievancePatch,
    responses((status = 200, body = GrievanceDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, grievance_id = id))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<GrievancePatch>,
) -> AppResult<Json<GrievanceDto>> {
    require_write(&principal)?;
    let days = state.settings.petition_days;
    let today = today_vn();
    let tx = state.db.write().await?;
    let id = scoped::grievance_to_write(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, id).await?;
    let detail = service::patch(&*tx, &principal, id, patch, days, today).await?;
    audit::record(
        &*tx,
        &principal,
        "update",
        "grievance",
        Some(id.id().to_string()),
        detail,
    )
    .await?;
    let dto = service::get(&*tx, &principal.scope, id, days, today).await?;
    tx.commit().await?;
    Ok(Json(dto))
}

/// File the second-round complaint of a first-round complaint: refused (422) when filed after
/// 30 days (remote areas 45) from the first decision or from the first round's missed deadline.
#[utoipa::path(post, path = "/api/v1/grievances/{id}/appeal", tag = "grievances", params(("id" = i32, Path)),
    request_body = NewAppeal,
    responses((status = 201, body = GrievanceDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, grievance_id = id))]
pub async fn appeal(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<NewAppeal>,
) -> AppResult<(StatusCode, Json<GrievanceDto>)> {
    require_write(&principal)?;
    let days = state.settings.petition_days;
    let today = today_vn();
    let tx = state.db.write().await?;
    let id = scoped::grievance_to_write(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, id).await?;
    let new_id = service::appeal(&*tx, &principal, id, input, days, today).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "grievance",
        Some(new_id.id().to_string()),
        serde_json::json!({"appeal_of": id.id(), "round": 2}),
    )
    .await?;
    let dto = service::get(&*tx, &principal.scope, new_id, days, today).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Officials a grievance may be assigned to (active members, district leaders and
/// administrators), for the desk's assignment form.
#[utoipa::path(get, path = "/api/v1/grievances/assignees", tag = "grievances",
    responses((status = 200, body = Vec<AssigneeDto>), (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn assignees(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Vec<AssigneeDto>>> {
    principal.require(Permission::ReadPersonal)?;
    Ok(Json(service::assignees(&state.db.conn).await?))
}
