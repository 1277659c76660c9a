//! HTTP handlers of inventories, plans and payments. Personal data: reads need
//! `ReadPersonal`, stay in the caller's area and are audited.
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::dto::*;
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{if_match, ApiJson, ApiPath};
use crate::scoped;
use crate::state::AppState;
use crate::visits::handlers::{created, idempotency_key, idempotent_write};

type Envelope = crate::error::ErrorEnvelope;

/// A household's inventory, plan versions (the newest with its lines and its changes from
/// the one before), the approved plan's ledger and the payments: what the case file and the
/// visit form show.
#[utoipa::path(get, path = "/api/v1/households/{id}/compensation", tag = "compensation",
    params(("id" = i32, Path)),
    responses((status = 200, body = CompensationDto), (status = 401, body = Envelope),
              (status = 403, body = Envelope), (status = 404, body = Envelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn compensation(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<CompensationDto>> {
    principal.require(Permission::ReadPersonal)?;
    let conn = &state.db.conn;
    let household = scoped::household(conn, &principal.scope, id).await?;
    let dto =
        service::compensation(conn, &principal.scope, household, crate::legal::today_vn()).await?;
    audit::record(
        conn,
        &principal,
        "read",
        "compensation",
        Some(id.to_string()),
        serde_json::json!({"household_id": id}),
    )
    .await?;
    Ok(Json(dto))
}

/// Record the household's inventory (biên bản kiểm đếm): it replaces the previous one whole.
/// Changing an existing inventory needs `If-Match` with its version. The field app sends an
/// `Idempotency-Key`: a retry with it answers with what was stored the first time.
#[utoipa::path(put, path = "/api/v1/households/{id}/inventory", tag = "compensation",
    params(("id" = i32, Path),
           ("If-Match" = Option<String>, Header, description = "the inventory's version, once one exists"),
           ("Idempotency-Key" = Option<String>, Header, description = "client-made key; a retry answers with the first write")),
    request_body = InventoryInput,
    responses((status = 201, body = InventoryDto), (status = 400, body = Envelope), (status = 401, body = Envelope),
              (status = 403, body = Envelope), (status = 404, body = Envelope), (status = 409, body = Envelope),
              (status = 412, body = Envelope), (status = 413, body = Envelope), (status = 422, body = Envelope),
              (status = 428, body = Envelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn put_inventory(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<InventoryInput>,
) -> AppResult<Response> {
    principal
        .require(Permission::WriteVisits)
        .or_else(|_| principal.require(Permission::Administer))?;
    let key = idempotency_key(&headers)?;
    let expected = match headers.get(axum::http::header::IF_MATCH) {
        Some(_) => Some(if_match(&headers, "inventory")?),
        None => None,
    };
    let (dto, replayed) = idempotent_write(key.as_deref(), || async {
        let tx = state.db.write().await?;
        let household = scoped::household(&*tx, &principal.scope, id).await?;
        crate::projects::service::ensure_open_for(&*tx, household).await?;
        let saved = service::save_inventory(
            &*tx,
            &principal,
            household,
            input.clone(),
            expected,
            key.clone(),
            crate::legal::today_vn(),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    })
    .await?;
    Ok(created(dto, replayed))
}

/// Compute the household's compensation plan from its inventory, the price table in force
/// (or the one named) and the project's settings. A draft is recomputed in place; a posted
/// plan is replaced by a new version; after approval the new version is a revision whose
/// prices never fall below the approved ones (LĐĐ 2024 Art. 94(5)). `dry_run` stores nothing.
#[utoipa::path(post, path = "/api/v1/households/{id}/plans", tag = "compensation",
    params(("id" = i32, Path)), request_body = ComputeInput,
    responses((status = 201, body = PlanDto, description = "the draft stored"),
              (status = 200, body = PlanDto, description = "`dry_run`: the draft computed, nothing stored"),
              (status = 401, body = Envelope), (status = 403, body = Envelope),
              (status = 404, body = Envelope), (status = 409, body = Envelope), (status = 422, body = Envelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn compute(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<ComputeInput>,
) -> AppResult<Response> {
    principal.require(Permission::WriteCompensation)?;
    let tx = state.db.write().await?;
    let household = scoped::household(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, household).await?;
    let dry_run = input.dry_run;
    let dto =
        service::compute_plan(&*tx, &principal, household, input, crate::legal::today_vn()).await?;
    if dry_run {
        return Ok((StatusCode::OK, Json(dto)).into_response());
    }
    tx.commit().await?;
    Ok(created(dto, false))
}

/// One plan version with its lines, its line-by-line changes from the version before and,
/// once approved, its ledger.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "compensation", params(("id" = i32, Path)),
    responses((status = 200, body = PlanDto), (status = 401, body = Envelope), (status = 403, body = Envelope),
              (status = 404, body = Envelope)))]
#[tracing::instrument(skip_all, fields(plan_id = id))]
pub async fn get_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Response> {
    principal.require(Permission::ReadPersonal)?;
    let conn = &state.db.conn;
    let dto = service::plan_dto(conn, &principal.scope, id, crate::legal::today_vn()).await?;
    audit::record(
        conn,
        &principal,
        "read",
        "compensation_plan",
        Some(id.to_string()),
        serde_json::json!({"household_id": dto.household_id}),
    )
    .await?;
    let mut response = Json(&dto).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", dto.version)) {
        response.headers_mut().insert(axum::http::header::ETAG, v);
    }
    Ok(response)
}

/// A write transaction on a plan the caller may change: in scope, project open.
async fn plan_tx(
    state: &AppState,
    principal: &Principal,
    id: i32,
) -> AppResult<crate::db::WriteTx> {
    principal.require(Permission::WriteCompensation)?;
    let tx = state.db.write().await?;
    let p = service::plan_row(&*tx, &principal.scope, id).await?;
    let household = scoped::household(&*tx, &principal.scope, p.household_id).await?;
    crate::projects::service::ensure_open_for(&*tx, household).await?;
    Ok(tx)
}

/// Post a draft at the commune for the household's opinions. The posting period is the one
/// the rule in force on `posted_on` sets (30 days; 10 days from 1 January 2026); the case
/// reaches `plan_posted`. Needs `If-Match` with the plan's version.
#[utoipa::path(post, path = "/api/v1/plans/{id}/post", tag = "compensation",
    params(("id" = i32, Path), ("If-Match" = String, Header, description = "the plan's version")),
    request_body = PostInput,
    responses((status = 200, body = PlanDto), (status = 400, body = Envelope), (status = 401, body = Envelope),
              (status = 403, body = Envelope), (status = 404, body = Envelope), (status = 409, body = Envelope),
              (status = 412, body = Envelope), (status = 422, body = Envelope), (status = 428, body = Envelope)))]
#[tracing::instrument(skip_all, fields(plan_id = id))]
pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<PostInput>,
) -> AppResult<Json<PlanDto>> {
    let expected = if_match(&headers, "plan")?;
    let tx = plan_tx(&state, &principal, id).await?;
    let dto = service::post_plan(
        &*tx,
        &principal,
        id,
        expected,
        input,
        crate::legal::today_vn(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(dto))
}

/// Approve a posted plan once its posting period is over, with the decision's number; the
/// approving body defaults to the one the rule in force names. Payment is due within 30 days
/// (LĐĐ 2024 Art. 94(3)); the case reaches `plan_approved`. Needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/plans/{id}/approve", tag = "compensation",
    params(("id" = i32, Path), ("If-Match" = String, Header, description = "the plan's version")),
    request_body = ApproveInput,
    responses((status = 200, body = PlanDto), (status = 400, body = Envelope), (status = 401, body = Envelope),
              (status = 403, body = Envelope), (status = 404, body = Envelope), (status = 409, body = Envelope),
              (status = 412, body = Envelope), (status = 422, body = Envelope), (status = 428, body = Envelope)))]
#[tracing::instrument(skip_all, fields(plan_id = id))]
pub async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<ApproveInput>,
) -> AppResult<Json<PlanDto>> {
    let expected = if_match(&headers, "plan")?;
    let tx = plan_tx(&state, &principal, id).await?;
    let dto = service::approve_plan(
        &*tx,
        &principal,
        id,
        expected,
        input,
        crate::legal::today_vn(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(dto))
}

/// Record a payment, or a deposit of refused or disputed money at a bank, against the
/// approved plan. Days after the 30-day limit accrue interest at 0.03 % a day. Send an
/// `Idempotency-Key`: a retry answers with the first payment.
#[utoipa::path(post, path = "/api/v1/plans/{id}/payments", tag = "compensation",
    params(("id" = i32, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "client-made key; a retry answers with the first payment")),
    request_body = PaymentInput,
    responses((status = 201, body = PaymentDto), (status = 400, body = Envelope), (status = 401, body = Envelope),
              (status = 403, body = Envelope), (status = 404, body = Envelope), (status = 409, body = Envelope),
              (status = 422, body = Envelope)))]
#[tracing::instrument(skip_all, fields(plan_id = id))]
pub async fn pay(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> AppResult<Response> {
    let key = idempotency_key(&headers)?;
    let (dto, replayed) = idempotent_write(key.as_deref(), || async {
        let tx = plan_tx(&state, &principal, id).await?;
        let paid = service::pay(
            &*tx,
            &principal,
            id,
            input.clone(),
            key.clone(),
            crate::legal::today_vn(),
        )
        .await?;
        tx.commit().await?;
        Ok(paid)
    })
    .await?;
    Ok(created(dto, replayed))
}
