use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{AssignmentDto, FieldHouseholdDto, MyWorkQuery, NewAssignment, WorkItemDto};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::Page;
use crate::scoped;
use crate::state::AppState;

/// The caller's households (only their working groups' areas), most urgent first: the next
/// visit a leader assigned to them, next visits and commitments overdue or due within 7 days,
/// households that disagree, households not visited for `not_visited_days` (30 by default).
/// Each item says why it is listed (`reasons`). `q` searches names, CCCD, household codes
/// (without diacritics) and parcels (`12/345`, `tờ 12 thửa 345`).
#[utoipa::path(get, path = "/api/v1/my-work", tag = "field", params(MyWorkQuery),
    responses((status = 200, body = Page<WorkItemDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn my_work(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<MyWorkQuery>,
) -> AppResult<Json<Page<WorkItemDto>>> {
    principal.require(Permission::ReadPersonal)?;
    let page = service::my_work(
        &state.db.conn,
        &principal,
        state.settings.not_visited_days,
        &q,
    )
    .await?;
    let ids: Vec<i32> = page.items.iter().map(|h| h.id).collect();
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "household",
        None,
        serde_json::json!({"ids": ids, "via": "my-work"}),
    )
    .await?;
    Ok(Json(page))
}

/// Everything the field app shows for a household: members, parcels with geometry, visits
/// (with who may still edit them), open commitments, grievances, next-visit assignments and
/// the caller's working groups that cover it.
#[utoipa::path(get, path = "/api/v1/field/households/{id}", tag = "field", params(("id" = i32, Path)),
    responses((status = 200, body = FieldHouseholdDto), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, household_id = id))]
pub async fn household(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<FieldHouseholdDto>> {
    principal.require(Permission::ReadPersonal)?;
    let id = scoped::household(&state.db.conn, &principal.scope, id).await?;
    let dto = service::household(
        &state.db.conn,
        &principal,
        state.settings.not_visited_days,
        id,
    )
    .await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "household",
        Some(id.id().to_string()),
        serde_json::json!({"via": "field"}),
    )
    .await?;
    Ok(Json(dto))
}

/// Assign a household's next visit to a member (leaders of a working group covering the
/// household, and administrators). The member sees it first in `GET /api/v1/my-work` until
/// someone logs a visit to the household.
#[utoipa::path(post, path = "/api/v1/households/{id}/next-visit", tag = "field", params(("id" = i32, Path)),
    request_body = NewAssignment,
    responses((status = 201, body = AssignmentDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, household_id = id))]
pub async fn assign(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(new): ApiJson<NewAssignment>,
) -> AppResult<(StatusCode, Json<AssignmentDto>)> {
    principal.require(Permission::ReadPersonal)?;
    let tx = state.db.write().await?;
    let id = scoped::household(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, id).await?;
    let dto = service::assign(&*tx, &principal, id, new).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "next_visit_assignment",
        Some(dto.id.to_string()),
        serde_json::json!({"household_id": id.id(), "assignee": dto.assignee.username, "due_on": dto.due_on}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}
