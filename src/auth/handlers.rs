use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{service, Principal, SESSION_COOKIE};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub username: String,
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: UserDto,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserDto,
    /// Working groups the user belongs to or leads.
    pub working_groups: Vec<i32>,
}

/// Log in with a password; answers with a session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorEnvelope),
        (status = 413, body = crate::error::ErrorEnvelope),
        (status = 429, description = "Too many failed attempts for this name or address; `Retry-After` says when to try again", body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    super::throttle::ClientAddr(addr): super::throttle::ClientAddr,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let done = service::login(
        &state.db.conn,
        &state.login_throttle,
        addr,
        &req.username,
        &req.password,
        service::SessionLifetime::of(&state.settings),
    )
    .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        done.secret,
        state.settings.session_hours * 3600,
        if crate::security::secure_cookie(&state.settings, &headers) {
            "; Secure"
        } else {
            ""
        }
    );
    let mut out = HeaderMap::new();
    out.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?,
    );
    let body = LoginResponse {
        user: UserDto {
            username: done.user.username,
            role: done.role,
        },
    };
    Ok((StatusCode::OK, out, Json(body)).into_response())
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(()), responses((status = 204)))]
#[tracing::instrument(skip_all)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> AppResult<Response> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        service::logout(&state.db.conn, c.value()).await?;
        state
            .auth_cache
            .forget(&super::password::secret_hash(c.value()))
            .await;
    }
    let clear = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if crate::security::secure_cookie(&state.settings, &headers) {
            "; Secure"
        } else {
            ""
        }
    );
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// Change one's own password: the current one is checked, the new one needs 12 characters.
/// Every other session of the user ends; this one stays. A wrong current password is 422 on
/// `current_password` and counts toward the login throttle (429 once locked).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = crate::error::ErrorEnvelope),
        (status = 403, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope),
        (status = 429, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user = %principal.username))]
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    super::throttle::ClientAddr(addr): super::throttle::ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    let Some(user_id) = principal.user_id.filter(|_| principal.token.is_none()) else {
        return Err(AppError::Forbidden(
            "an API token has no password; log in as a person".into(),
        ));
    };
    let keep = jar
        .get(SESSION_COOKIE)
        .map(|c| super::password::secret_hash(c.value()));
    let tx = state.db.write().await?;
    let ended = match service::change_own_password(
        &*tx,
        &state.login_throttle,
        addr,
        user_id,
        &body.current_password,
        &body.new_password,
        keep.as_deref(),
    )
    .await
    {
        Ok(n) => n,
        Err(e) => {
            // The failed attempt's audit row is kept.
            tx.commit().await?;
            return Err(e);
        }
    };
    crate::audit::record(
        &*tx,
        &principal,
        "change_password",
        "user",
        Some(user_id.to_string()),
        serde_json::json!({"username": principal.username, "sessions_ended": ended}),
    )
    .await?;
    tx.commit().await?;
    // The other sessions' cached credentials go at once; this one is looked up afresh.
    state.auth_cache.forget_user(user_id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = MeResponse)))]
#[tracing::instrument(skip_all, fields(user = %principal.username))]
pub async fn me(principal: Principal) -> Json<MeResponse> {
    Json(MeResponse {
        user: UserDto {
            username: principal.username.clone(),
            role: principal.role,
        },
        working_groups: principal.groups.to_vec(),
    })
}
