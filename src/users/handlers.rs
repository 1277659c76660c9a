use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{NewUser, PasswordReset, UserDto, UserPatch, UserQuery};
use super::service;
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{Direction, Keyset, Page};
use crate::state::AppState;

/// Every user account, by id (administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Page<UserDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope), (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> AppResult<Json<Page<UserDto>>> {
    principal.require(Permission::Administer)?;
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Ascending)?;
    Ok(Json(service::list(&state.db.conn, keyset).await?))
}

/// Create a user account (administrators). The password needs at least 12 characters; a
/// taken username is refused with 422 on `username`.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewUser>,
) -> AppResult<(StatusCode, Json<UserDto>)> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let user = service::create(&*tx, &new).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "user",
        Some(user.id.to_string()),
        serde_json::json!({"username": user.username, "display_name": user.display_name, "role": user.role}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(service::dto(user))))
}

/// Change a user's display name, role or disabled flag (administrators). Disabling ends every
/// session of the user at once; the last enabled administrator cannot be demoted or disabled.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i32, Path)),
    request_body = UserPatch,
    responses((status = 200, body = UserDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, target = id))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> AppResult<Json<UserDto>> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let done = service::update(&*tx, id, &patch).await?;
    let mut detail = serde_json::json!({"username": done.user.username, "changes": done.changes});
    if done.disabled_now {
        let ended = crate::auth::service::end_sessions(&*tx, id).await?;
        detail["sessions_ended"] = ended.into();
    }
    let changed = done.changes.as_object().is_some_and(|c| !c.is_empty());
    if changed {
        audit::record(
            &*tx,
            &principal,
            "update",
            "user",
            Some(id.to_string()),
            detail,
        )
        .await?;
    }
    tx.commit().await?;
    if changed {
        // Role or disabled flag: the next request of theirs is checked afresh.
        state.auth_cache.forget_user(id).await;
    }
    Ok(Json(service::dto(done.user)))
}

/// Set a new password for a user (administrators); at least 12 characters. The user's other
/// sessions end (an administrator resetting their own keeps theirs).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = i32, Path)),
    request_body = PasswordReset,
    responses((status = 204), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, target = id))]
pub async fn reset_password(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> AppResult<StatusCode> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let user = service::reset_password(&*tx, id, &body.password).await?;
    let mut ended = 0;
    if principal.user_id != Some(id) {
        ended = crate::auth::service::end_sessions(&*tx, id).await?;
    }
    audit::record(
        &*tx,
        &principal,
        "reset_password",
        "user",
        Some(id.to_string()),
        serde_json::json!({"username": user.username, "sessions_ended": ended}),
    )
    .await?;
    tx.commit().await?;
    if principal.user_id != Some(id) {
        state.auth_cache.forget_user(id).await;
    }
    Ok(StatusCode::NO_CONTENT)
}
