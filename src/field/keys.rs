//! The keys of the field app's encrypted offline store (issue 16 item 11). The phone keeps the
//! member's households for use without signal, and the records she queued there, only as
//! AES-GCM ciphertext under two keys the server hands out:
//!
//! - the **session key**, for the copy of households: 256 random bits made at the session's
//!   first request and kept in its row, so the same session always gets the same key, another
//!   session another, and the key is gone with the session (logout, expiry, inactivity, a
//!   password change, the account disabled);
//! - the **outbox key**, one per user, for visits and inventories not yet sent: a session often
//!   ends while the member is offline (30 minutes unused), and what she recorded must still go
//!   out after she logs in again. The phone forgets it with the session key; only the same
//!   user's next login brings it back.
use axum::extract::State;
use axum::Json;
use axum_extra::extract::CookieJar;
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use super::dto::FieldKeyDto;
use crate::auth::{password::secret_hash, Principal, SESSION_COOKIE};
use crate::domain::Permission;
use crate::entities::{sessions, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The keys of the caller's session for the field app's offline store, and after how many
/// days unused the app deletes that store. Only for a login session (an API token gets 403);
/// 401 once the session has ended.
#[utoipa::path(get, path = "/api/v1/field/key", tag = "field",
    responses((status = 200, body = FieldKeyDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn key(
    State(state): State<AppState>,
    principal: Principal,
    jar: CookieJar,
) -> AppResult<Json<FieldKeyDto>> {
    principal.require(Permission::ReadPersonal)?;
    let (Some(user_id), None) = (principal.user_id, principal.token) else {
        return Err(AppError::Forbidden(
            "the field app's key is handed to a login session only".into(),
        ));
    };
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Err(AppError::Unauthorized("log in first".into()));
    };
    let tx = state.db.write().await?;
    let session = session_key(&*tx, &secret_hash(cookie.value())).await?;
    let outbox = outbox_key(&*tx, user_id).await?;
    tx.commit().await?;
    let session = session
        .ok_or_else(|| AppError::Unauthorized("the session has expired; log in again".into()))?;
    let outbox = outbox.ok_or_else(|| AppError::Unauthorized("log in again".into()))?;
    Ok(Json(FieldKeyDto {
        key_id: key_id(&session),
        key: session,
        outbox_key_id: key_id(&outbox),
        outbox_key: outbox,
        wipe_after_days: state.settings.field_wipe_days.max(1),
    }))
}

/// 256 random bits, base64 (standard, padded: what the browser's `atob` reads).
fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A short name of a key that tells nothing about it: which key sealed a record on the phone.
pub fn key_id(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// The session's key, made on first use; None if the session (by its secret's hash) is gone
/// or past its expiry. Two first requests at once agree: only a row still without a key gets
/// one.
pub async fn session_key(conn: &impl ConnectionTrait, hash: &str) -> Result<Option<String>, DbErr> {
    let now = Utc::now().fixed_offset();
    sessions::Entity::update_many()
        .col_expr(sessions::Column::FieldKey, Expr::value(new_key()))
        .filter(sessions::Column::TokenHash.eq(hash))
        .filter(sessions::Column::ExpiresAt.gt(now))
        .filter(sessions::Column::FieldKey.is_null())
        .exec(conn)
        .await?;
    Ok(sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(hash))
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
        .and_then(|s| s.field_key))
}

/// The user's outbox key, made on first use.
pub async fn outbox_key(
    conn: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<String>, DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::FieldOutboxKey, Expr::value(new_key()))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::FieldOutboxKey.is_null())
        .exec(conn)
        .await?;
    Ok(users::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .and_then(|u| u.field_outbox_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_256_random_bits_and_their_ids_differ() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&a)
            .unwrap_or_default();
        assert_eq!(raw.len(), 32);
        assert_eq!(key_id(&a).len(), 16);
        assert_ne!(key_id(&a), key_id(&b));
        assert_eq!(key_id(&a), key_id(&a));
    }
}
