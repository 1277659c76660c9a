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
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorEnvelope),
        (status = 413, body = crate::error::ErrorEnvelope),
        (status = 429, description = "Too many failed attempts for this name or address; `Retry-After` says when to try again", body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    super::throttle::ClientAddr(addr): super::throttle::ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let done = service::login(
        &state.db.conn,
        &state.login_throttle,
        addr,
        &req.username,
        &req.password,
        state.settings.session_hours,
    )
    .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        done.secret,
        state.settings.session_hours * 3600,
        if state.settings.secure_cookie {
            "; Secure"
        } else {
            ""
        }
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?,
    );
    let body = LoginResponse {
        user: UserDto {
            username: done.user.username,
            role: done.role,
        },
    };
    Ok((StatusCode::OK, headers, Json(body)).into_response())
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
#[tracing::instrument(skip_all)]
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> AppResult<Response> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        service::logout(&state.db.conn, c.value()).await?;
        state
            .auth_cache
            .forget(&super::password::secret_hash(c.value()));
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
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
