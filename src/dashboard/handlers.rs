use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::dto::{
    ChangeStamp, ChartLinks, Dashboard, LangQuery, ProjectSummary, StanceParcels, StanceQuery,
    StatusList,
};
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
pub async fn dashboard(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Dashboard>> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    let progress = service::progress(&state, &principal, &code).await?;
    let working_groups = service::group_communes(conn, project.id).await?;
    let weeks = service::fill_weeks(progress.over_time);
    let projection =
        service::projection_of(progress.parcels.total, &weeks, project.target_handover_date);
    let base = format!("/api/v1/projects/{}/charts", project.code);
    Ok(Json(Dashboard {
        project: ProjectSummary {
            code: project.code,
            name: project.name,
            investor: project.investor,
            notice_date: project.notice_date.map(|d| d.to_string()),
            target_handover_date: project.target_handover_date.map(|d| d.to_string()),
        },
        statuses: service::statuses(),
        parcels: progress.parcels,
        area_m2: progress.area_m2,
        households: progress.households,
        by_commune: progress.by_commune,
        by_working_group: progress.by_working_group,
        working_groups,
        over_time: weeks,
        projection,
        charts: ChartLinks {
            progress: format!("{base}/progress.svg"),
            progress_area: format!("{base}/progress-area.svg"),
            by_status: format!("{base}/by-status.svg"),
            by_commune: format!("{base}/by-commune.svg"),
            by_working_group: format!("{base}/by-working-group.svg"),
        },
    }))
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
pub async fn chart(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, file)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> AppResult<Response> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    let progress = service::progress(&state, &principal, &code).await?;
    let cat = service::catalogue(Lang::parse(q.lang.as_deref()));
    let svg = service::chart(&file, &progress, project.target_handover_date, cat)?;
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
    let parcel_ids = service::stance_parcels(conn, &principal.scope, project.id, stance).await?;
    Ok(Json(StanceParcels {
        stance: q.stance.trim().to_string(),
        parcel_ids,
    }))
}

/// A stamp that changes whenever a parcel of the project changes status; the map polls it
/// and re-requests its tiles (revalidated by ETag) when it moves.
#[utoipa::path(get, path = "/api/v1/projects/{code}/changes", tag = "dashboard",
    params(("code" = String, Path, description = "project code")),
    responses((status = 200, body = ChangeStamp), (status = 404, body = crate::error::ErrorEnvelope)))]
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
