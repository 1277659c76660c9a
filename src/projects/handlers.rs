use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{NewProject, ProjectDto};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath};
use crate::pagination::Page;
use crate::state::AppState;

/// Projects this caller may see.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", responses((status = 200, body = Page<ProjectDto>)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Page<ProjectDto>>> {
    let items = service::list(&state.db.conn, &principal).await?;
    Ok(Json(Page {
        items: items.into_iter().map(ProjectDto::from).collect(),
        next_cursor: None,
    }))
}

/// One project.
#[utoipa::path(get, path = "/api/v1/projects/{code}", tag = "projects",
    params(("code" = String, Path, description = "project code")),
    responses((status = 200, body = ProjectDto), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<ProjectDto>> {
    Ok(Json(
        service::visible_project(&state.db.conn, &principal, &code)
            .await?
            .into(),
    ))
}

/// Create a project (administrators).
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = NewProject,
    responses((status = 201, body = ProjectDto), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewProject>,
) -> AppResult<(StatusCode, Json<ProjectDto>)> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let project = service::create(&*tx, new).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "project",
        Some(project.id.to_string()),
        serde_json::json!({"code": project.code}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(project.into())))
}
