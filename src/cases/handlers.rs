use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{CalendarQuery, CaseDto, LegalCalendarDto, NewStage, StageEventDto};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::scoped;
use crate::state::AppState;

/// The case of a household: its stages in order (date, document, who recorded, overrides),
/// the current stage, the next required stage with its legal deadline and days left, open
/// deadlines, per-parcel differences and open grievances (shown beside, never a stop).
#[utoipa::path(get, path = "/api/v1/households/{id}/case", tag = "cases", params(("id" = i32, Path)),
    responses((status = 200, body = CaseDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn get_case(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<CaseDto>> {
    principal.require(Permission::ReadPersonal)?;
    let household = scoped::household(&state.db.conn, &principal.scope, id).await?;
    let dto = service::case(&state.db.conn, household, crate::legal::today_vn()).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "case",
        Some(id.to_string()),
        serde_json::json!({"household_id": id}),
    )
    .await?;
    Ok(Json(dto))
}

/// Record a stage for a household (members and district leaders in their area,
/// administrators). A stage whose prerequisite is missing, or dated before the legal minimum,
/// is refused with 422 naming the stage that must come first and the article; administrators
/// may override with `override: true` and `override_reason` (audited). Enforcement at night,
/// on a rest day or holiday, or within 15 days of the Tết holiday is refused with the nearest
/// allowed time.
#[utoipa::path(post, path = "/api/v1/households/{id}/stages", tag = "cases", params(("id" = i32, Path)),
    request_body = NewStage,
    responses((status = 201, body = StageEventDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn record_stage(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<NewStage>,
) -> AppResult<(StatusCode, Json<StageEventDto>)> {
    principal
        .require(Permission::Administer)
        .or_else(|_| principal.require(Permission::WriteVisits))?;
    let tx = state.db.write().await?;
    let household = scoped::household(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, household).await?;
    let dto = service::record(&*tx, &principal, household, input, crate::legal::today_vn()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// The table of legal rules the tracker applies: each time limit with its article and
/// descriptions (vi, en) — one source for the API, the UI and a legal officer's review.
#[utoipa::path(get, path = "/api/v1/legal/rules", tag = "cases",
    responses((status = 200, body = crate::pagination::Page<crate::legal::Rule>),
              (status = 401, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn rules(_principal: Principal) -> Json<crate::pagination::Page<crate::legal::Rule>> {
    Json(crate::pagination::Page {
        items: crate::legal::rules::ALL.iter().map(|r| **r).collect(),
        next_cursor: None,
    })
}

/// Public holidays, Tết and the Tết quiet period (no enforcement) of a year, computed from the
/// lunar calendar.
#[utoipa::path(get, path = "/api/v1/legal/calendar", tag = "cases", params(CalendarQuery),
    responses((status = 200, body = LegalCalendarDto), (status = 400, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(year = ?q.year))]
pub async fn calendar(
    _principal: Principal,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> AppResult<Json<LegalCalendarDto>> {
    use crate::legal::calendar as cal;
    use chrono::Datelike;
    let year = q.year.unwrap_or_else(|| crate::legal::today_vn().year());
    if !(1900..=2199).contains(&year) {
        return Err(crate::error::AppError::BadRequest(format!(
            "year must be between 1900 and 2199, not {year}"
        )));
    }
    let quiet = cal::tet_quiet_period(year);
    Ok(Json(LegalCalendarDto {
        year,
        tet: crate::legal::tet(year),
        tet_holidays: cal::tet_holidays(year),
        holidays: cal::holidays(year),
        tet_quiet_from: quiet.map(|q| q.0),
        tet_quiet_to: quiet.map(|q| q.1),
    }))
}
