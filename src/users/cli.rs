//! `gpmb user disable|enable|password|end-sessions` and `gpmb token revoke`: the command
//! line's doors to the same services the admin API calls (`PATCH /api/v1/users/{id}`,
//! `POST /api/v1/users/{id}/password`, `DELETE /api/v1/tokens/{id}`), each audited.
//! A running server drops what it cached of the account within seconds (its auth cache).
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::dto::UserPatch;
use crate::audit;
use crate::auth::service::end_sessions;
use crate::entities::users;

async fn by_username(conn: &impl ConnectionTrait, username: &str) -> anyhow::Result<users::Model> {
    users::Entity::find()
        .filter(users::Column::Username.eq(username.trim()))
        .one(conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named {username}"))
}

/// Disables (every session ends at once) or enables a user. The last enabled administrator
/// cannot be disabled.
pub async fn set_disabled(
    conn: &impl ConnectionTrait,
    username: &str,
    disabled: bool,
) -> anyhow::Result<String> {
    let user = by_username(conn, username).await?;
    let patch = UserPatch {
        disabled: Some(disabled),
        ..UserPatch::default()
    };
    let done = super::service::update(conn, user.id, &patch)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let ended = if disabled {
        end_sessions(conn, user.id).await?
    } else {
        0
    };
    audit::record_system(
        conn,
        "update",
        "user",
        Some(user.id.to_string()),
        serde_json::json!({"username": user.username, "changes": done.changes, "sessions_ended": ended}),
    )
    .await?;
    Ok(if disabled {
        format!("disabled user {}; {ended} session(s) ended", user.username)
    } else {
        format!("enabled user {}", user.username)
    })
}

/// Sets a new password (at least 12 characters); every session of the user ends.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let user = by_username(conn, username).await?;
    super::service::reset_password(conn, user.id, password)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let ended = end_sessions(conn, user.id).await?;
    audit::record_system(
        conn,
        "reset_password",
        "user",
        Some(user.id.to_string()),
        serde_json::json!({"username": user.username, "sessions_ended": ended}),
    )
    .await?;
    Ok(format!(
        "new password for {}; {ended} session(s) ended",
        user.username
    ))
}

/// Ends every session of a user (a lost phone) without changing anything else.
pub async fn end_all_sessions(
    conn: &impl ConnectionTrait,
    username: &str,
) -> anyhow::Result<String> {
    let user = by_username(conn, username).await?;
    let ended = end_sessions(conn, user.id).await?;
    audit::record_system(
        conn,
        "end_sessions",
        "user",
        Some(user.id.to_string()),
        serde_json::json!({"username": user.username, "sessions_ended": ended}),
    )
    .await?;
    Ok(format!("{ended} session(s) of {} ended", user.username))
}

/// Revokes an API token at once.
pub async fn revoke_token(conn: &impl ConnectionTrait, id: i32) -> anyhow::Result<String> {
    let (token, revoked) = crate::tokens::service::revoke(conn, id)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    if revoked {
        audit::record_system(
            conn,
            "revoke",
            "api_token",
            Some(token.id.to_string()),
            serde_json::json!({"name": token.name}),
        )
        .await?;
        Ok(format!("token {} revoked", token.id))
    } else {
        Ok(format!("token {} was already revoked", token.id))
    }
}
