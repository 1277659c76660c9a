use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{HouseholdDetailDto, HouseholdDto, HouseholdPatch, HouseholdQuery, NewHousehold};
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

/// Change a household's phone, address, members or vulnerable flags.
#[utoipa::path(patch, path = "/api/v1/households/{id}", tag = "households", params(("id" = i32, Path)),
    request_body = HouseholdPatch,
    responses((status = 200, body = HouseholdDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<HouseholdPatch>,
) -> AppResult<Json<HouseholdDto>> {
    require_write(&principal)?;
    let tx = state.db.write().await?;
    let household = scoped::household(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, household).await?;
    let changed = service::update(&*tx, household, patch).await?;
    audit::record(
        &*tx,
        &principal,
        "update",
        "household",
        Some(id.to_string()),
        serde_json::json!({"fields": changed}),
    )
    .await?;
    let dto = service::get(&*tx, &principal.scope, household).await?;
    tx.commit().await?;
    Ok(Json(dto))
}
