use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::dto::{
    CommitmentStateDto, NewVisit, VisitDto, VisitPatch, VisitQuery, VisitRevisionDto,
};
use super::edit;
use super::service::{self, Admission};
use super::writer::VisitJob;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::Page;
use crate::scoped;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(raw) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .map_err(|_| {
            AppError::BadRequest("Idempotency-Key must be printable ASCII, e.g. a UUID".into())
        })?
        .trim();
    if key.is_empty() || key.len() > 200 {
        return Err(AppError::BadRequest(
            "Idempotency-Key must be 1–200 characters, e.g. a UUID".into(),
        ));
    }
    Ok(Some(key.to_string()))
}

/// Runs a write that carries an `Idempotency-Key`, and once more when it fails. With several
/// servers on one PostgreSQL database (or concurrent requests on one), two copies of a request
/// can both find their key unused; the loser then fails on the unique index, or on a check
/// that already sees the winner's committed row (an inventory that now exists, a balance now
/// paid). Its second run starts, as every write of this kind does, by looking the key up, finds
/// the winner's row and answers with it like any retry. A write that fails for its own reasons
/// fails the same way twice. Without a key it runs once.
pub async fn idempotent_write<T, F, Fut>(key: Option<&str>, mut write: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    match write().await {
        // Only a clash with a concurrent write is worth a second run; a refusal (422, 404…)
        // would only be given again, after waiting for the first run's rollback.
        Err(e) if key.is_some() && retryable(e.status_code()) => {
            tracing::debug!(error = %e, "an idempotent write failed; looking its key up again");
            write().await
        }
        done => done,
    }
}

/// What a write that lost a race with another server's same key answers: a conflict, a
/// precondition that moved, or a database error (the unique index).
fn retryable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::CONFLICT | StatusCode::PRECONDITION_REQUIRED | StatusCode::PRECONDITION_FAILED
    ) || status.is_server_error()
}

/// 201 with the body; `Idempotent-Replayed: true` when the `Idempotency-Key` was seen before and
/// the body is what the first request stored.
pub fn created<T: serde::Serialize>(dto: T, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, Json(dto)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Log a visit. Send a client-made `Idempotency-Key` (e.g. a UUID): a retry with the same key
/// answers with the first visit (same `id`, header `Idempotent-Replayed: true`) and stores
/// nothing new.
#[utoipa::path(post, path = "/api/v1/visits", tag = "visits", request_body = NewVisit,
    params(("Idempotency-Key" = Option<String>, Header, description = "client-made key; retries with it are answered with the first visit")),
    responses((status = 201, body = VisitDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(visit): ApiJson<NewVisit>,
) -> AppResult<Response> {
    principal.require(Permission::WriteVisits)?;
    let key = idempotency_key(&headers)?;
    let (household, project_id) =
        match service::admit(&state.db.conn, &principal, &visit, key.as_deref()).await? {
            // A retry whose first copy is stored: answer without queueing behind other writes.
            Admission::Replay(id) => return replay(&state, &principal, id).await,
            Admission::New {
                household,
                project_id,
            } => (household, project_id),
        };
    let job = VisitJob {
        household,
        project_id,
        client_id: key.clone(),
        created_by: principal.user_id,
        user_id: principal.user_id,
        actor: principal.actor(),
        visit,
    };
    let stored = state.visits.submit(job.clone()).await?;
    if stored.replayed {
        return replay(&state, &principal, stored.id).await;
    }
    let dto = service::stored_dto(job, &stored);
    Ok(created(dto, false))
}

async fn replay(state: &AppState, principal: &Principal, id: i32) -> AppResult<Response> {
    let visit = scoped::visit(&state.db.conn, &principal.scope, id).await?;
    let dto = service::get(&state.db.conn, &principal.scope, visit).await?;
    Ok(created(dto, true))
}

/// Visits in the caller's area, newest first.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitQuery),
    responses((status = 200, body = Page<VisitDto>)))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<VisitQuery>,
) -> AppResult<Json<Page<VisitDto>>> {
    principal.require(Permission::ReadPersonal)?;
    let page = service::list(&state.db.conn, &principal.scope, &q).await?;
    let ids: Vec<i32> = page.items.iter().map(|v| v.id).collect();
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "visit",
        None,
        serde_json::json!({"ids": ids}),
    )
    .await?;
    Ok(Json(page))
}

/// One visit.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits", params(("id" = i32, Path)),
    responses((status = 200, body = VisitDto), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(visit_id = id))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<VisitDto>> {
    principal.require(Permission::ReadPersonal)?;
    let visit = scoped::visit(&state.db.conn, &principal.scope, id).await?;
    let dto = service::get(&state.db.conn, &principal.scope, visit).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "visit",
        Some(id.to_string()),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(dto))
}

/// Edit a visit: allowed to the member who logged it, for 48 hours after logging (403 after
/// that or for anyone else). Each edit keeps the previous content (`GET …/history`).
#[utoipa::path(patch, path = "/api/v1/visits/{id}", tag = "visits", params(("id" = i32, Path)),
    request_body = VisitPatch,
    responses((status = 200, body = VisitDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(visit_id = id))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<VisitPatch>,
) -> AppResult<Json<VisitDto>> {
    principal.require(Permission::WriteVisits)?;
    let tx = state.db.write().await?;
    let visit = scoped::visit(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, visit).await?;
    let changed = edit::update(&*tx, &principal, visit, patch).await?;
    audit::record(
        &*tx,
        &principal,
        "update",
        "visit",
        Some(id.to_string()),
        serde_json::json!({"fields": changed}),
    )
    .await?;
    let dto = service::get(&*tx, &principal.scope, visit).await?;
    tx.commit().await?;
    Ok(Json(dto))
}

/// The earlier contents of a visit, oldest first (one entry per edit).
#[utoipa::path(get, path = "/api/v1/visits/{id}/history", tag = "visits", params(("id" = i32, Path)),
    responses((status = 200, body = Page<VisitRevisionDto>), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(visit_id = id))]
pub async fn history(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<Page<VisitRevisionDto>>> {
    principal.require(Permission::ReadPersonal)?;
    let visit = scoped::visit(&state.db.conn, &principal.scope, id).await?;
    let items = edit::history(&state.db.conn, visit).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "visit_history",
        Some(id.to_string()),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

async fn set_done(
    state: &AppState,
    principal: &Principal,
    id: i32,
    done: bool,
) -> AppResult<Json<CommitmentStateDto>> {
    principal.require(Permission::WriteVisits)?;
    let tx = state.db.write().await?;
    let commitment = scoped::commitment(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, commitment).await?;
    let dto = edit::set_commitment_done(&*tx, principal, commitment, done).await?;
    audit::record(
        &*tx,
        principal,
        if done { "done" } else { "reopen" },
        "commitment",
        Some(id.to_string()),
        serde_json::json!({"household_id": dto.household_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(dto))
}

/// Mark a commitment done (idempotent: the first time and person are kept).
#[utoipa::path(post, path = "/api/v1/commitments/{id}/done", tag = "visits", params(("id" = i32, Path)),
    responses((status = 200, body = CommitmentStateDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(commitment_id = id))]
pub async fn commitment_done(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<CommitmentStateDto>> {
    set_done(&state, &principal, id, true).await
}

/// Mark a commitment open again (ticked by mistake).
#[utoipa::path(delete, path = "/api/v1/commitments/{id}/done", tag = "visits", params(("id" = i32, Path)),
    responses((status = 200, body = CommitmentStateDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(commitment_id = id))]
pub async fn commitment_reopen(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<CommitmentStateDto>> {
    set_done(&state, &principal, id, false).await
}
