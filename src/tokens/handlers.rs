use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{CreatedToken, NewToken, TokenDto, TokenQuery};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{Direction, Keyset, Page};
use crate::state::AppState;

/// A project's API tokens, revoked ones included (administrators). The secrets are never
/// listed: only their hashes are stored.
#[utoipa::path(get, path = "/api/v1/projects/{code}/tokens", tag = "tokens",
    params(("code" = String, Path), TokenQuery),
    responses((status = 200, body = Page<TokenDto>), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> AppResult<Json<Page<TokenDto>>> {
    principal.require(Permission::Administer)?;
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Ascending)?;
    Ok(Json(service::list(&state.db.conn, &code, keyset).await?))
}

/// Create an API token for a project (administrators): `read` or `write`. The answer carries
/// the secret, once; it cannot be shown again.
#[utoipa::path(post, path = "/api/v1/projects/{code}/tokens", tag = "tokens",
    params(("code" = String, Path)), request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(new): ApiJson<NewToken>,
) -> AppResult<(StatusCode, Json<CreatedToken>)> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let (token, secret) = service::create(&*tx, &code, &new, principal.user_id).await?;
    let dto = service::dto(&*tx, token).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "api_token",
        Some(dto.id.to_string()),
        serde_json::json!({"project": dto.project, "label": dto.label, "access": dto.access}),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken { token: dto, secret }),
    ))
}

/// Revoke an API token (administrators): refused with 401 from the next request on.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i32, Path)),
    responses((status = 200, body = TokenDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, token_id = id))]
pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<TokenDto>> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let (token, revoked_now) = service::revoke(&*tx, id).await?;
    let dto = service::dto(&*tx, token).await?;
    if revoked_now {
        audit::record(
            &*tx,
            &principal,
            "revoke",
            "api_token",
            Some(id.to_string()),
            serde_json::json!({"project": dto.project, "label": dto.label}),
        )
        .await?;
    }
    tx.commit().await?;
    state.auth_cache.forget_token(id).await;
    Ok(Json(dto))
}
