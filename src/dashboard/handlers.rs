use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::dto::{ChangeStamp, Dashboard, LangQuery, StanceParcels, StanceQuery, StatusList};
use super::service;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::i18n::Lang;
use crate::projects::service::visible_project;
use crate::state::AppState;

/// Parcel statuses in their order, with the colour maps and charts give each.
#[utoipa::path(get, path = "/api/v1/parcel-statuses", tag = "dashboard",
    responses((status = 200, body = StatusList)))]
#[tracing::instrument]
pub async fn statuses() -> Json<StatusList> {
    Json(StatusList {
        items: service::statuses(),
        next_cursor: None,
    })
}

/// A project's dashboard: counts and areas by status, commune and working group (the same
/// figures as `/progress`), every week's running totals of agreed / paid / handed-over
/// parcels, the linear projection of the handed-over trend against the target date, and
/// links to the SVG charts.
#[utoipa::path(get, path = "/api/v1/projects/{code}/dashboard", tag = "dashboard",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    responses((status = 200, body = Dashboard), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn dashboard(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Dashboard>> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    Ok(Json(service::dashboard(conn, project).await?))
}

/// A chart of the project's progress as SVG: `progress.svg` (parcels agreed / paid / handed
/// over by week, target date, projection), `progress-area.svg` (the same in hectares),
/// `by-status.svg`, `by-commune.svg`, `by-working-group.svg`. `?lang=en` for English.
#[utoipa::path(get, path = "/api/v1/projects/{code}/charts/{file}", tag = "dashboard",
    params(("code" = String, Path, description = "project code"),
           ("file" = String, Path, description = "progress.svg, progress-area.svg, by-status.svg, by-commune.svg or by-working-group.svg"),
           LangQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code, file = %file))]
pub async fn chart(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, file)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> AppResult<Response> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    let svg = service::project_chart(conn, &project, &file, Lang::parse(q.lang.as_deref())).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg,
    )
        .into_response())
}

/// Ids of the project's parcels (in the caller's area) used by a household whose latest
/// stance is `stance`; the map filters its parcels by them. Needs the right to read personal
/// data: a stance belongs to a household.
#[utoipa::path(get, path = "/api/v1/projects/{code}/stance-parcels", tag = "dashboard",
    params(("code" = String, Path, description = "project code"), StanceQuery),
    responses((status = 200, body = StanceParcels),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn stance_parcels(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<StanceQuery>,
) -> AppResult<Json<StanceParcels>> {
    principal.require(Permission::ReadPersonal)?;
    let stance = service::parse_stance(q.stance.trim())?;
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    let rows = service::stance_parcels(conn, &principal.scope, project.id, stance).await?;
    // Which parcels' households take a stance is personal data: the read is recorded.
    crate::audit::record(
        conn,
        &principal,
        "read",
        "stance",
        Some(project.code.clone()),
        serde_json::json!({"stance": q.stance.trim(), "parcels": rows.len()}),
    )
    .await?;
    let mut by_status = std::collections::BTreeMap::new();
    for (_, status) in &rows {
        *by_status.entry(status.clone()).or_insert(0_u64) += 1;
    }
    Ok(Json(StanceParcels {
        stance: q.stance.trim().to_string(),
        parcel_ids: rows.into_iter().map(|(id, _)| id).collect(),
        by_status,
    }))
}

/// A stamp that changes whenever a parcel of the project changes status; the map polls it
/// and re-requests its tiles (revalidated by ETag) when it moves.
#[utoipa::path(get, path = "/api/v1/projects/{code}/changes", tag = "dashboard",
    params(("code" = String, Path, description = "project code")),
    responses((status = 200, body = ChangeStamp), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn changes(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<ChangeStamp>> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    Ok(Json(ChangeStamp {
        stamp: service::change_stamp(conn, project.id).await?,
    }))
}
