use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::dto::{
    HouseholdDetailDto, HouseholdDto, HouseholdPatch, HouseholdQuery, HouseholdRevisionDto,
    IdNumberDto, NewHousehold,
};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::Page;
use crate::scoped;
use crate::state::AppState;

/// Administrators, and members or district leaders within their area, may write households.
fn require_write(principal: &Principal) -> AppResult<()> {
    principal
        .require(Permission::Administer)
        .or_else(|_| principal.require(Permission::WriteVisits))
}

/// Households in the caller's area. `q` is matched without diacritics or case against the
/// head's and members' names, the CCCD and the household code.
#[utoipa::path(get, path = "/api/v1/households", tag = "households", params(HouseholdQuery),
    responses((status = 200, body = Page<HouseholdDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<HouseholdQuery>,
) -> AppResult<Json<Page<HouseholdDto>>> {
    principal.require(Permission::ReadPersonal)?;
    let page = service::list(&state.db.conn, &principal.scope, &q).await?;
    let ids: Vec<i32> = page.items.iter().map(|h| h.id).collect();
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "household",
        None,
        serde_json::json!({"ids": ids}),
    )
    .await?;
    Ok(Json(page))
}

/// One household with its parcels, its last 10 visits and its open commitments.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "households", params(("id" = i32, Path)),
    responses((status = 200, body = HouseholdDetailDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<HouseholdDetailDto>> {
    principal.require(Permission::ReadPersonal)?;
    let household = scoped::household(&state.db.conn, &principal.scope, id).await?;
    let dto = service::detail(&state.db.conn, &principal.scope, household).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "household",
        Some(id.to_string()),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(dto))
}

/// Create a household (administrators; members and district leaders in their area).
#[utoipa::path(post, path = "/api/v1/households", tag = "households", request_body = NewHousehold,
    responses((status = 201, body = HouseholdDto), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewHousehold>,
) -> AppResult<(StatusCode, Json<HouseholdDto>)> {
    require_write(&principal)?;
    let tx = state.db.write().await?;
    let household = service::create(&*tx, &principal, new).await?;
    let dto = service::get(&*tx, &principal.scope, household).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "household",
        Some(household.id().to_string()),
        serde_json::json!({"project": dto.project, "code": dto.code, "commune": dto.commune.code}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Change a household's head name, CCCD, phone, address, members or vulnerable flags. Send
/// the `version` you read in `If-Match`: without it 428, a stale one 412 `version_conflict`
/// with `details.changed_by`, `details.changed_at` and `details.current_version`. The content
/// before the edit is kept (see `/households/{id}/history`).
#[utoipa::path(patch, path = "/api/v1/households/{id}", tag = "households",
    params(("id" = i32, Path),
           ("If-Match" = String, Header, description = "the household's version, e.g. \"3\"")),
    request_body = HouseholdPatch,
    responses((status = 200, body = HouseholdDto), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 412, description = "version_conflict", body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope),
              (status = 428, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<HouseholdPatch>,
) -> AppResult<Json<HouseholdDto>> {
    require_write(&principal)?;
    let household = scoped::household(&state.db.conn, &principal.scope, id).await?;
    let expected = crate::extract::if_match(&headers, "household")?;
    let tx = state.db.write().await?;
    let household = scoped::household(&*tx, &principal.scope, household.id()).await?;
    crate::projects::service::ensure_open_for(&*tx, household).await?;
    let changed = service::update(&*tx, &principal, household, expected, patch).await?;
    audit::record(
        &*tx,
        &principal,
        "update",
        "household",
        Some(id.to_string()),
        serde_json::json!({"fields": changed, "version": expected + 1}),
    )
    .await?;
    let dto = service::get(&*tx, &principal.scope, household).await?;
    tx.commit().await?;
    Ok(Json(dto))
}

/// The edits of a household, newest first: the content before each, the fields changed, who
/// and when.
#[utoipa::path(get, path = "/api/v1/households/{id}/history", tag = "households", params(("id" = i32, Path)),
    responses((status = 200, body = crate::pagination::Page<HouseholdRevisionDto>),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn history(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<crate::pagination::Page<HouseholdRevisionDto>>> {
    principal.require(Permission::ReadPersonal)?;
    let household = scoped::household(&state.db.conn, &principal.scope, id).await?;
    let items = service::history(&state.db.conn, household).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "household_history",
        Some(id.to_string()),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(crate::pagination::Page {
        items,
        next_cursor: None,
    }))
}

/// The household's CCCD number in full (lists, search, the case file and the field app show
/// it masked). Needs the right to read personal data and the household in the caller's area;
/// every reveal is audited (`reveal`).
#[utoipa::path(get, path = "/api/v1/households/{id}/id-number", tag = "households", params(("id" = i32, Path)),
    responses((status = 200, body = IdNumberDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn reveal_id_number(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<IdNumberDto>> {
    principal.require(Permission::ReadPersonal)?;
    let household = scoped::household(&state.db.conn, &principal.scope, id).await?;
    let id_number = service::id_number(&state.db.conn, &principal.scope, household).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "reveal",
        "household",
        Some(id.to_string()),
        serde_json::json!({"field": "id_number"}),
    )
    .await?;
    Ok(Json(IdNumberDto { id, id_number }))
}
