use axum::extract::State;
use axum::Json;

use super::dto::Progress;
use super::service;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::extract::ApiPath;
use crate::projects::service::visible_project;
use crate::state::AppState;

/// Counts and areas by status, commune and working group, and progress week by week.
#[utoipa::path(get, path = "/api/v1/projects/{code}/progress", tag = "projects",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    responses((status = 200, body = Progress), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn progress(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Progress>> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    Ok(Json(service::progress(conn, &project).await?))
}
