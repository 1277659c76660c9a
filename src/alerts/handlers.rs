//! The alerts API: parse, authorise, call the service, shape.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{AlertPage, AlertQuery, HotSpotDto, HotSpotQuery, NewReview, ReviewDto};
use super::{hot_spots, service};
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::i18n::Lang;
use crate::pagination::Page;
use crate::state::AppState;

/// Alerts: overdue stage deadlines and commitments, grievances near or past their deadline,
/// households not visited for N days, hot spots, and splits or land-use changes recorded after
/// the project's notice date. Each says why and links to its household or parcel. Members and
/// district leaders see their area only; project-board tokens get no household ids. Filter a
/// commune by `commune_id` (the pre-2025 communes merged into it count as it).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = AlertPage), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> AppResult<Json<AlertPage>> {
    Ok(Json(
        service::list(&state.db, &state.settings, &principal, &q).await?,
    ))
}

/// Mark a split or land-use change recorded after the cut-off as reviewed: its alert goes away.
#[utoipa::path(post, path = "/api/v1/alerts/reviews", tag = "alerts", request_body = NewReview,
    responses((status = 201, body = ReviewDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn review(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewReview>,
) -> AppResult<(StatusCode, Json<ReviewDto>)> {
    principal
        .require(Permission::Administer)
        .or_else(|_| principal.require(Permission::WriteVisits))?;
    let review = service::review(&state.db, &principal, new).await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// Open hot spots of a project, placed at the centre of the parcels concerned (or of the
/// commune) for the map and the dashboard.
#[utoipa::path(get, path = "/api/v1/projects/{code}/hot-spots", tag = "alerts",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2"), HotSpotQuery),
    responses((status = 200, body = Page<HotSpotDto>), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn hot_spots_of_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<HotSpotQuery>,
) -> AppResult<Json<Page<HotSpotDto>>> {
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    hot_spots::ensure_current(
        &state.db,
        &[project.id],
        hot_spots::Rules::from(&*state.settings),
        crate::legal::today_vn(),
    )
    .await?;
    let items = hot_spots::open_of_project(
        conn,
        &principal.scope,
        project.id,
        Lang::parse(q.lang.as_deref()),
    )
    .await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
