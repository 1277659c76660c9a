//! The alerts API: parse, authorise, call the service, shape.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{
    AlertGroups, AlertPage, AlertQuery, AlertSettingsDto, AlertSettingsInput, GroupQuery,
    HotSpotDto, HotSpotQuery, NewReview, ReviewAction, ReviewDto,
};
use super::{hot_spots, service, triage};
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
    let page = service::list(&state.db, &state.settings, &principal, &q).await?;
    // Alerts name households (code, reason): a read of personal data.
    let named: Vec<i32> = page.items.iter().filter_map(|a| a.household_id).collect();
    crate::audit::households_read(
        &state.db.conn,
        &principal,
        "alerts",
        named,
        serde_json::json!({"project": q.project}),
    )
    .await?;
    Ok(Json(page))
}

/// Act on an alert. `review` (default; writers of the area): a split or land-use change
/// recorded after the cut-off looked at and accepted, its alert goes away. `acknowledge`,
/// `assign` (to `assignee`) and `snooze` (until `until`, with `note` saying why; the alert
/// leaves the list until that day): any alert, by anyone who reads the area (leaders too).
/// The subject must be inside the caller's area (404 otherwise).
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
    if new.action == ReviewAction::Review {
        principal
            .require(Permission::Administer)
            .or_else(|_| principal.require(Permission::WriteVisits))?;
        let review = service::review(&state.db, &principal, new).await?;
        return Ok((StatusCode::CREATED, Json(review)));
    }
    principal.require(Permission::ReadPersonal)?;
    let done = triage::triage(&state.db, &principal, new).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// Alerts grouped by commune, working group or kind, with counts, under the list's filters
/// (snoozed alerts left out, as in the list). By commune and by kind the counts add up to the
/// list's total; a commune covered by two working groups counts in both.
#[utoipa::path(get, path = "/api/v1/alerts/groups", tag = "alerts", params(GroupQuery),
    responses((status = 200, body = AlertGroups), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn groups(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<GroupQuery>,
) -> AppResult<Json<AlertGroups>> {
    let list = AlertQuery {
        project: q.project,
        kind: q.kind,
        commune_id: q.commune_id,
        commune: None,
        cursor: None,
        limit: None,
        lang: q.lang,
    };
    Ok(Json(
        service::groups(&state.db, &state.settings, &principal, &list, q.by).await?,
    ))
}

/// A project's alert settings: the days without a visit after which a household is "not
/// visited" (the project's own, or the server's default).
#[utoipa::path(get, path = "/api/v1/projects/{code}/settings/alerts", tag = "alerts",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    responses((status = 200, body = AlertSettingsDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn settings(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<AlertSettingsDto>> {
    Ok(Json(
        triage::settings_of(&state.db.conn, &principal, &code, &state.settings).await?,
    ))
}

/// Set a project's "not visited" threshold (1 to 365 days; null: the server's default).
/// Administrators only; audited.
#[utoipa::path(put, path = "/api/v1/projects/{code}/settings/alerts", tag = "alerts",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    request_body = AlertSettingsInput,
    responses((status = 200, body = AlertSettingsDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn set_settings(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<AlertSettingsInput>,
) -> AppResult<Json<AlertSettingsDto>> {
    principal.require(Permission::Administer)?;
    Ok(Json(
        triage::set_settings(&state.db, &principal, &code, &input, &state.settings).await?,
    ))
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
    let named: Vec<i32> = items.iter().filter_map(|h| h.household_id).collect();
    crate::audit::households_read(
        conn,
        &principal,
        "hot_spots",
        named,
        serde_json::json!({"project": project.code}),
    )
    .await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
