//! Users, sessions and tokens in the database; shared by the HTTP handlers and the CLI.
use std::sync::Arc;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::password::{hash_password, new_secret, secret_hash, verify_password};
use super::scope::{load_member_scope, Scope};
use super::Principal;
use crate::audit;
use crate::domain::{Role, TokenAccess};
use crate::entities::{api_tokens, projects, sessions, users};
use crate::error::{AppError, AppResult};

#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn principal_for_user(
    conn: &impl ConnectionTrait,
    user: &users::Model,
) -> Result<Option<Principal>, DbErr> {
    let Some(role) = Role::parse(&user.role) else {
        tracing::warn!(user = %user.username, role = %user.role, "user with unknown role refused");
        return Ok(None);
    };
    let (groups, communes) = load_member_scope(conn, user.id).await?;
    let scope = if role.is_area_scoped() {
        Scope::communes(communes)
    } else {
        Scope::all()
    };
    Ok(Some(Principal {
        user_id: Some(user.id),
        username: user.username.clone(),
        role,
        scope,
        groups: Arc::new(groups),
        token: None,
    }))
}

/// How often a session's `last_seen_at` is written at most.
const SEEN_EVERY: Duration = Duration::minutes(1);

/// A session's user, if the session has neither expired (`expires_at`) nor been left unused
/// for longer than `idle`; an ended session is deleted on the way. The second value is the
/// session's id when its `last_seen_at` is due to be written (`touch_session`).
#[tracing::instrument(skip_all)]
pub async fn principal_for_session(
    conn: &impl ConnectionTrait,
    hash: &str,
    idle: Duration,
) -> Result<Option<(Principal, Option<i32>)>, DbErr> {
    let Some(session) = sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(hash))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now().fixed_offset();
    let seen = session.last_seen_at.unwrap_or(session.created_at);
    if session.expires_at < now || seen + idle < now {
        sessions::Entity::delete_by_id(session.id)
            .exec(conn)
            .await?;
        return Ok(None);
    }
    let touch = (seen + SEEN_EVERY < now).then_some(session.id);
    match users::Entity::find_by_id(session.user_id).one(conn).await? {
        Some(user) if !user.disabled => {
            Ok(principal_for_user(conn, &user).await?.map(|p| (p, touch)))
        }
        _ => Ok(None),
    }
}

/// Notes that a session was just used (its inactivity clock restarts).
pub async fn touch_session(conn: &impl ConnectionTrait, session_id: i32) -> Result<(), DbErr> {
    sessions::Entity::update_many()
        .col_expr(
            sessions::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(Utc::now().fixed_offset()),
        )
        .filter(sessions::Column::Id.eq(session_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes every session past its absolute expiry or unused for longer than `idle`: one
/// indexed DELETE, run at each login (so the table holds no more than the live sessions and
/// those ended since the last login).
pub async fn purge_sessions(conn: &impl ConnectionTrait, idle: Duration) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Condition;
    let now = Utc::now().fixed_offset();
    let idle_since = now - idle;
    Ok(sessions::Entity::delete_many()
        .filter(
            Condition::any()
                .add(sessions::Column::ExpiresAt.lt(now))
                .add(sessions::Column::LastSeenAt.lt(idle_since))
                .add(
                    Condition::all()
                        .add(sessions::Column::LastSeenAt.is_null())
                        .add(sessions::Column::CreatedAt.lt(idle_since)),
                ),
        )
        .exec(conn)
        .await?
        .rows_affected)
}

#[tracing::instrument(skip_all)]
pub async fn principal_for_token(
    conn: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<Principal>, DbErr> {
    let Some(token) = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(hash))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user_id: None,
        username: format!("token-{}", token.id),
        role: Role::ProjectBoard,
        scope: Scope::project(token.project_id),
        groups: Arc::new(Vec::new()),
        token: Some((token.id, token.scope == "write")),
    }))
}

/// How long a session lives: `hours` at most, and no longer than `idle` unused.
#[derive(Clone, Copy, Debug)]
pub struct SessionLifetime {
    pub hours: i64,
    pub idle: Duration,
}

impl SessionLifetime {
    pub fn of(settings: &crate::config::Settings) -> Self {
        SessionLifetime {
            hours: settings.session_hours,
            idle: Duration::minutes(settings.session_idle_minutes.max(1)),
        }
    }
}

/// A user who has just logged in: the session's secret (for the cookie), and who they are.
pub struct LoggedIn {
    pub secret: String,
    pub user: users::Model,
    pub role: Role,
}

/// Longest user name kept in the audit of a failed login (the body comes from anyone).
const AUDIT_USERNAME_CHARS: usize = 64;

/// Checks a password; on success opens a session. Either way the attempt goes to the audit
/// trail; a wrong password, an unknown or disabled user, or a user with an unknown role is
/// refused with the same 401, after the same password hash. Repeated failures lock the name
/// and the address for a while (`throttle`); the lock is audited when it starts.
#[tracing::instrument(skip_all)]
pub async fn login(
    conn: &impl ConnectionTrait,
    throttle: &super::LoginThrottle,
    addr: Option<std::net::IpAddr>,
    username: &str,
    password: &str,
    lifetime: SessionLifetime,
) -> AppResult<LoggedIn> {
    let keys = super::throttle::keys(username, addr);
    if let Some(retry_after) = throttle.locked(&keys) {
        return Err(AppError::TooManyRequests {
            retry_after,
            message: format!("too many failed logins; try again in {retry_after} s"),
        });
    }
    let shown: String = username.chars().take(AUDIT_USERNAME_CHARS).collect();
    let Some(done) = open_session(conn, username, password, lifetime.hours).await? else {
        audit::record_system(
            conn,
            "login_failed",
            "user",
            None,
            serde_json::json!({"username": shown}),
        )
        .await?;
        if let Some(lock) = throttle.failed(&keys).locked_for {
            audit::record_system(
                conn,
                "login_locked",
                "user",
                None,
                serde_json::json!({
                    "username": shown,
                    "address": addr.map(|a| a.to_string()),
                    "seconds": lock.as_secs(),
                }),
            )
            .await?;
        }
        return Err(AppError::Unauthorized("wrong username or password".into()));
    };
    throttle.succeeded(&keys);
    let purged = purge_sessions(conn, lifetime.idle).await?;
    if purged > 0 {
        tracing::debug!(purged, "ended sessions deleted");
    }
    audit::record_system(
        conn,
        "login",
        "user",
        Some(done.user.id.to_string()),
        serde_json::json!({"username": done.user.username}),
    )
    .await?;
    Ok(done)
}

async fn open_session(
    conn: &impl ConnectionTrait,
    username: &str,
    password: &str,
    hours: i64,
) -> AppResult<Option<LoggedIn>> {
    let user = users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .one(conn)
        .await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        // The same argon2 work as a real check, so the answer's timing does not tell
        // whether the name exists.
        let pw = password.to_string();
        let _ = tokio::task::spawn_blocking(move || super::password::hash_password(&pw)).await;
        return Ok(None);
    };
    let Some(role) = Role::parse(&user.role) else {
        tracing::warn!(user = %user.username, role = %user.role, "user with unknown role refused");
        return Ok(None);
    };
    let phc = user.password_hash.clone();
    let pw = password.to_string();
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !ok {
        return Ok(None);
    }
    let secret = new_secret("");
    let now = Utc::now().fixed_offset();
    sessions::ActiveModel {
        token_hash: Set(secret_hash(&secret)),
        user_id: Set(user.id),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(hours)),
        last_seen_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    users::Entity::update_many()
        .col_expr(
            users::Column::LastLoginAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(users::Column::Id.eq(user.id))
        .exec(conn)
        .await?;
    Ok(Some(LoggedIn { secret, user, role }))
}

#[tracing::instrument(skip_all)]
pub async fn logout(conn: &impl ConnectionTrait, secret: &str) -> Result<(), DbErr> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::TokenHash.eq(secret_hash(secret)))
        .exec(conn)
        .await?;
    Ok(())
}

/// Creates a user from the command line (the operator there is trusted: the 12-character
/// minimum of the web form does not apply, a short one is refused). Shares the insert with
/// `POST /api/v1/users` (`crate::users::service`).
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn create_user(
    conn: &impl ConnectionTrait,
    username: &str,
    password: &str,
    role: Role,
    display_name: &str,
) -> anyhow::Result<users::Model> {
    if username.trim().is_empty() || password.len() < 4 {
        anyhow::bail!("give a username and a password of at least 4 characters");
    }
    let hash = hash_password(password)?;
    crate::users::service::insert(conn, username.trim(), &hash, role, display_name)
        .await
        .map_err(|e| match e {
            AppError::Unprocessable {
                code: "duplicate_username",
                ..
            } => anyhow::anyhow!("user {username} already exists"),
            other => anyhow::anyhow!(other.to_string()),
        })
}

/// Creates an API token for a project and returns the secret (shown once, stored hashed).
/// The command line's door to `crate::tokens::service::create`, which the web page uses too.
#[tracing::instrument(skip_all, fields(project = %project_code))]
pub async fn create_token(
    conn: &impl ConnectionTrait,
    project_code: &str,
    write: bool,
    name: &str,
) -> anyhow::Result<(api_tokens::Model, String)> {
    let project = projects::Entity::find()
        .filter(projects::Column::Code.eq(project_code))
        .one(conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no project with code {project_code}"))?;
    let access = if write {
        TokenAccess::Write
    } else {
        TokenAccess::Read
    };
    Ok(crate::tokens::service::insert(conn, project.id, access, name, None).await?)
}

/// A fresh token secret and the hash stored for it.
pub fn new_token_secret() -> (String, String) {
    let secret = new_secret("gpmb_");
    let hash = secret_hash(&secret);
    (secret, hash)
}

/// Notes that a token was just used.
pub async fn touch_token(conn: &impl ConnectionTrait, token_id: i32) -> Result<(), DbErr> {
    api_tokens::Entity::update_many()
        .col_expr(
            api_tokens::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(Utc::now().fixed_offset()),
        )
        .filter(api_tokens::Column::Id.eq(token_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A user changes their own password: the current one is checked (a wrong one counts as a
/// failed login for the throttle, so this is no side door for guessing), the new one needs
/// 12 characters, and every other session of the user ends; the one asking (`keep_hash`, if
/// it is a session) stays. Returns how many sessions ended.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn change_own_password(
    conn: &impl ConnectionTrait,
    throttle: &super::LoginThrottle,
    addr: Option<std::net::IpAddr>,
    user_id: i32,
    current: &str,
    new: &str,
    keep_hash: Option<&str>,
) -> AppResult<u64> {
    let user = crate::users::service::get(conn, user_id).await?;
    let keys = super::throttle::keys(&user.username, addr);
    if let Some(retry_after) = throttle.locked(&keys) {
        return Err(AppError::TooManyRequests {
            retry_after,
            message: format!("too many failed attempts; try again in {retry_after} s"),
        });
    }
    let phc = user.password_hash.clone();
    let pw = current.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !ok {
        audit::record_system(
            conn,
            "password_change_failed",
            "user",
            Some(user.id.to_string()),
            serde_json::json!({"username": user.username}),
        )
        .await?;
        throttle.failed(&keys);
        return Err(crate::users::service::field_error(
            "wrong_password",
            "current_password",
            "the current password is wrong",
            serde_json::json!({}),
        ));
    }
    throttle.succeeded(&keys);
    crate::users::service::check_new_password(new, "new_password")?;
    crate::users::service::reset_password(conn, user.id, new).await?;
    Ok(match keep_hash {
        Some(hash) => end_other_sessions(conn, user.id, hash).await?,
        None => end_sessions(conn, user.id).await?,
    })
}

/// Ends every session of a user but one (the one changing its own password).
pub async fn end_other_sessions(
    conn: &impl ConnectionTrait,
    user_id: i32,
    keep_hash: &str,
) -> Result<u64, DbErr> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::TokenHash.ne(keep_hash))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Ends every session of a user at once (disabled, password reset).
pub async fn end_sessions(conn: &impl ConnectionTrait, user_id: i32) -> Result<u64, DbErr> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected)
}
