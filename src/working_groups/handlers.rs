use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{NewWorkingGroup, WorkingGroupDto, WorkingGroupPatch, WorkingGroupQuery};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::Page;
use crate::state::AppState;

/// Working groups: members and district leaders see their own groups, a project board's
/// token those of its project, administrators and leaders all.
#[utoipa::path(get, path = "/api/v1/working-groups", tag = "working-groups", params(WorkingGroupQuery),
    responses((status = 200, body = Page<WorkingGroupDto>), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<WorkingGroupQuery>,
) -> AppResult<Json<Page<WorkingGroupDto>>> {
    let page = service::list(&state.db.conn, &principal, &q).await?;
    // Groups name their members (officials' names and logins): reads are recorded.
    let ids: Vec<i32> = page.items.iter().map(|g| g.id).collect();
    if !ids.is_empty() {
        audit::record(
            &state.db.conn,
            &principal,
            "read",
            "working_group",
            None,
            serde_json::json!({"ids": ids}),
        )
        .await?;
    }
    Ok(Json(page))
}

/// One working group.
#[utoipa::path(get, path = "/api/v1/working-groups/{id}", tag = "working-groups", params(("id" = i32, Path)),
    responses((status = 200, body = WorkingGroupDto), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, working_group_id = id))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<WorkingGroupDto>> {
    let group = service::get(&state.db.conn, &principal, id).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "working_group",
        Some(id.to_string()),
        serde_json::json!({"ids": [id]}),
    )
    .await?;
    Ok(Json(group))
}

/// Create a working group (administrators).
#[utoipa::path(post, path = "/api/v1/working-groups", tag = "working-groups", request_body = NewWorkingGroup,
    responses((status = 201, body = WorkingGroupDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 409, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewWorkingGroup>,
) -> AppResult<(StatusCode, Json<WorkingGroupDto>)> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let id = service::create(&*tx, new).await?;
    let dto = service::get(&*tx, &principal, id).await?;
    let area: Vec<&str> = dto.area.iter().map(|a| a.code.as_str()).collect();
    let members: Vec<&str> = dto.members.iter().map(|m| m.username.as_str()).collect();
    audit::record(
        &*tx,
        &principal,
        "create",
        "working_group",
        Some(id.to_string()),
        serde_json::json!({
            "project": dto.project,
            "name": dto.name,
            "area": area,
            "members": members,
            "leader": dto.leader.as_ref().map(|l| l.username.as_str()),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Change a working group (administrators): name, project, leader, members and the
/// administrative units it covers (any unit id, before or after the 2025 reform). Lists are
/// replaced whole; an unknown user or unit id is a 422 naming the field.
#[utoipa::path(patch, path = "/api/v1/working-groups/{id}", tag = "working-groups", params(("id" = i32, Path)),
    request_body = WorkingGroupPatch,
    responses((status = 200, body = WorkingGroupDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, working_group_id = id))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<WorkingGroupPatch>,
) -> AppResult<Json<WorkingGroupDto>> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let changes = service::update(&*tx, id, &patch).await?;
    let changed = changes.as_object().is_some_and(|c| !c.is_empty());
    if changed {
        audit::record(
            &*tx,
            &principal,
            "update",
            "working_group",
            Some(id.to_string()),
            serde_json::json!({ "changes": changes }),
        )
        .await?;
    }
    let dto = service::get(&*tx, &principal, id).await?;
    tx.commit().await?;
    if changed {
        // Members' scopes follow their groups' areas: check everyone afresh.
        state.auth_cache.clear().await;
    }
    Ok(Json(dto))
}
