//! Who is asking: password login with a session cookie, bearer (or Basic) API tokens scoped to one
//! project, roles (`domain::Role`) and the area scope every personal-data query takes.
pub mod basic;
pub mod handlers;
pub mod password;
pub mod scope;
pub mod service;
pub mod throttle;

pub use throttle::LoginThrottle;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use scope::Scope;

use crate::db::notify::{Change, Notifier};
use crate::domain::{Permission, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "gpmb_session";

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: Option<i32>,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
    /// Working groups the user belongs to or leads.
    pub groups: Arc<Vec<i32>>,
    /// For API tokens: the token id and whether it may write.
    pub token: Option<(i32, bool)>,
}

impl Principal {
    /// 403 unless this principal's role (and token scope) allows `p`.
    pub fn require(&self, p: Permission) -> AppResult<()> {
        let token_ok = !matches!(
            (self.token, p),
            (
                Some((_, false)),
                Permission::WriteParcels
                    | Permission::WriteVisits
                    | Permission::WriteCompensation
                    | Permission::Administer
                    | Permission::ManagePrivacy
            )
        );
        if self.role.may(p) && token_ok {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "the role `{}` may not do this{}",
                self.role,
                if token_ok {
                    ""
                } else {
                    " with a read-only token"
                }
            )))
        }
    }

    /// How audit rows name this principal.
    pub fn actor(&self) -> String {
        match self.token {
            Some((id, _)) => format!("token:{id}"),
            None => format!("user:{}", self.username),
        }
    }

    /// The operator on the command line (import, export, report, demo loader).
    pub fn cli() -> Self {
        Principal {
            user_id: None,
            username: "system".into(),
            role: Role::Admin,
            scope: Scope::cli(),
            groups: Arc::new(Vec::new()),
            token: None,
        }
    }
}

/// Recently resolved credentials, so a busy client does not cost three queries a request.
/// Entries live a few seconds; logout drops its entry at once, on this server and (through
/// `db::notify`) on the others sharing the PostgreSQL database.
#[derive(Clone)]
pub struct AuthCache {
    inner: Arc<Mutex<HashMap<String, (Principal, Instant)>>>,
    notifier: Notifier,
    /// When each token's `last_used_at` was last written, so a busy client costs at most one
    /// write a minute.
    token_uses: Arc<Mutex<HashMap<i32, Instant>>>,
}

/// How often a token's `last_used_at` is written at most.
const TOKEN_USE_EVERY: Duration = Duration::from_mins(1);

const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX: usize = 10_000;

impl Default for AuthCache {
    fn default() -> Self {
        AuthCache::new(Notifier::silent())
    }
}

impl AuthCache {
    pub fn new(notifier: Notifier) -> Self {
        AuthCache {
            inner: Arc::default(),
            notifier,
            token_uses: Arc::default(),
        }
    }

    /// A change another server of the database made (see `db::notify::listen`).
    pub fn apply_remote(&self, change: &Change) {
        match change {
            Change::Credential(key) => self.drop_key(key),
            Change::User(id) => self.drop_where(|p| p.user_id == Some(*id)),
            Change::Token(id) => self.drop_where(|p| p.token.is_some_and(|(t, _)| t == *id)),
            Change::AllCredentials | Change::Missed => self.drop_where(|_| true),
            Change::Parcels(_) | Change::Project(_) => {}
        }
    }

    fn drop_key(&self, key: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(key);
        }
    }

    fn drop_where(&self, gone: impl Fn(&Principal) -> bool) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|_, (p, _)| !gone(p));
        }
    }

    fn get(&self, key: &str) -> Option<Principal> {
        let map = self.inner.lock().ok()?;
        map.get(key)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(p, _)| p.clone())
    }

    fn put(&self, key: String, p: Principal) {
        if let Ok(mut map) = self.inner.lock() {
            if map.len() >= CACHE_MAX {
                map.clear();
            }
            map.insert(key, (p, Instant::now()));
        }
    }

    /// Drops a session (by its secret's hash) from the cache (logout), here and on the other
    /// servers.
    pub async fn forget(&self, key: &str) {
        self.forget_everywhere(Change::Credential(key.to_string()))
            .await;
    }

    /// Drops every cached session of a user (disabled, role changed): their next request is
    /// checked against the database again.
    pub async fn forget_user(&self, user_id: i32) {
        self.forget_everywhere(Change::User(user_id)).await;
    }

    /// Drops a token from the cache (revoked): its next request is refused at once.
    pub async fn forget_token(&self, token_id: i32) {
        self.forget_everywhere(Change::Token(token_id)).await;
    }

    /// Drops everything (working-group membership or areas changed: many scopes at once).
    pub async fn clear(&self) {
        self.forget_everywhere(Change::AllCredentials).await;
    }

    /// Here at once; on the other servers before the caller answers, so a logout or a
    /// revocation holds on every server the moment the client learns of it.
    async fn forget_everywhere(&self, change: Change) {
        self.apply_remote(&change);
        self.notifier.send(&change).await;
    }

    /// Whether a use of the token now should be written (none in the last minute); marks it.
    fn token_use_due(&self, token_id: i32) -> bool {
        let Ok(mut map) = self.token_uses.lock() else {
            return false;
        };
        let due = map
            .get(&token_id)
            .is_none_or(|at| at.elapsed() >= TOKEN_USE_EVERY);
        if due {
            if map.len() >= CACHE_MAX {
                map.clear();
            }
            map.insert(token_id, Instant::now());
        }
        due
    }
}

/// Records that a token was used, at most once a minute per token; a failure to write is
/// logged, never the caller's problem.
async fn note_token_use(state: &AppState, token_id: i32) {
    if !state.auth_cache.token_use_due(token_id) {
        return;
    }
    let written = async {
        let tx = state.db.write().await?;
        service::touch_token(&*tx, token_id).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, token_id, "could not record the token's last use");
    }
}

/// The user of a session, if it is live; restarts its inactivity clock (at most one write a
/// minute; a failure to write is logged, never the caller's problem).
async fn session_principal(state: &AppState, key: &str) -> AppResult<Option<Principal>> {
    let idle = service::SessionLifetime::of(&state.settings).idle;
    let Some((principal, touch)) =
        service::principal_for_session(&state.db.conn, key, idle).await?
    else {
        return Ok(None);
    };
    if let Some(session_id) = touch {
        let written = async {
            let tx = state.db.write().await?;
            service::touch_session(&*tx, session_id).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = written {
            tracing::warn!(error = %e, session_id, "could not record the session's last use");
        }
    }
    Ok(Some(principal))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = basic::token(&parts.headers)?;
        let (secret, is_token) = if let Some(t) = bearer {
            (t, true)
        } else {
            let jar = CookieJar::from_headers(&parts.headers);
            match jar.get(SESSION_COOKIE) {
                Some(c) => (c.value().to_string(), false),
                None => {
                    return Err(AppError::Unauthorized(
                        "log in first (POST /api/v1/auth/login) or send `Authorization: Bearer <token>` (or HTTP Basic with the token as the password)".into(),
                    ))
                }
            }
        };
        let key = password::secret_hash(&secret);
        if let Some(p) = state.auth_cache.get(&key) {
            if let Some((id, _)) = p.token {
                note_token_use(state, id).await;
            }
            return Ok(p);
        }
        let principal = if is_token {
            service::principal_for_token(&state.db.conn, &key).await?
        } else {
            session_principal(state, &key).await?
        };
        let principal = principal.ok_or_else(|| {
            AppError::Unauthorized(if is_token {
                "the API token is unknown or revoked".into()
            } else {
                "the session has expired; log in again".into()
            })
        })?;
        state.auth_cache.put(key, principal.clone());
        if let Some((id, _)) = principal.token {
            note_token_use(state, id).await;
        }
        Ok(principal)
    }
}

/// Largest login body: a name and a password, never megabytes from someone not logged in.
pub const LOGIN_BODY_LIMIT: usize = 4 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::login))
        .layer(axum::extract::DefaultBodyLimit::max(LOGIN_BODY_LIMIT))
        .routes(routes!(handlers::logout))
        .routes(routes!(handlers::me))
        .routes(routes!(handlers::change_password))
}
