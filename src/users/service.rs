//! User accounts: the one place users are inserted and changed (the CLI's `user create` and
//! the admin page both come here).
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;

use super::dto::{NewUser, UserDto, UserPatch};
use crate::auth::password::hash_password;
use crate::domain::Role;
use crate::entities::users;
use crate::error::{AppError, AppResult};
use crate::pagination::{Keyset, Page};

/// Shortest password a new account or a reset may have.
pub const MIN_PASSWORD: usize = 12;

/// A 422 that names the form field at fault (`details.field`), plus any other details.
pub fn field_error(
    code: &'static str,
    field: &str,
    message: impl Into<String>,
    more: serde_json::Value,
) -> AppError {
    let mut details = json!({ "field": field });
    if let (Some(d), serde_json::Value::Object(m)) = (details.as_object_mut(), more) {
        d.extend(m);
    }
    AppError::Unprocessable {
        code,
        message: message.into(),
        details: Some(details),
    }
}

pub fn dto(u: users::Model) -> UserDto {
    UserDto {
        id: u.id,
        role: Role::parse(&u.role).unwrap_or(Role::Member),
        username: u.username,
        display_name: u.display_name,
        disabled: u.disabled,
        created_at: u.created_at.to_rfc3339(),
        last_login_at: u.last_login_at.map(|t| t.to_rfc3339()),
    }
}

/// A role a person may hold (`project_board` belongs to API tokens).
fn person_role(text: &str) -> AppResult<Role> {
    match Role::parse(text.trim()) {
        Some(Role::ProjectBoard) | None => Err(field_error(
            "invalid_role",
            "role",
            format!(
                "`{text}` is not a role for a person; use admin, leader, district_leader or member"
            ),
            json!({}),
        )),
        Some(r) => Ok(r),
    }
}

fn check_password(password: &str) -> AppResult<()> {
    check_new_password(password, "password")
}

/// A 422 on `field` unless the password has at least 12 characters.
pub fn check_new_password(password: &str, field: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(field_error(
            "password_too_short",
            field,
            format!("the password must have at least {MIN_PASSWORD} characters"),
            json!({ "min": MIN_PASSWORD }),
        ));
    }
    Ok(())
}

fn check_display_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(field_error(
            "invalid_display_name",
            "display_name",
            "give a display name of 1 to 200 characters",
            json!({}),
        ));
    }
    Ok(name.to_string())
}

fn check_username(name: &str) -> AppResult<String> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(field_error(
            "invalid_username",
            "username",
            "a username has 1 to 64 characters: letters without accents, digits, `_`, `-`, `.`",
            json!({}),
        ));
    }
    Ok(name.to_string())
}

async fn hash(password: &str) -> AppResult<String> {
    let pw = password.to_string();
    // argon2 is deliberately slow: keep it off the async workers.
    tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
}

fn duplicate(username: &str) -> AppError {
    field_error(
        "duplicate_username",
        "username",
        format!("user {username} already exists"),
        json!({ "username": username }),
    )
}

/// Inserts a user whose password is already hashed; a taken username is a 422 on `username`.
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    username: &str,
    password_hash: &str,
    role: Role,
    display_name: &str,
) -> AppResult<users::Model> {
    let taken = users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .count(conn)
        .await?;
    if taken > 0 {
        return Err(duplicate(username));
    }
    users::ActiveModel {
        username: Set(username.to_string()),
        password_hash: Set(password_hash.to_string()),
        role: Set(role.as_str().to_string()),
        display_name: Set(display_name.to_string()),
        disabled: Set(false),
        created_at: Set(Utc::now().fixed_offset()),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => duplicate(username),
        _ => e.into(),
    })
}

/// Every user, by id, a page at a time.
pub async fn list(conn: &impl ConnectionTrait, keyset: Keyset) -> AppResult<Page<UserDto>> {
    let rows = keyset
        .apply(users::Entity::find(), users::Column::Id)
        .all(conn)
        .await?;
    Ok(keyset.page(rows, |u| u.id, dto))
}

pub async fn get(conn: &impl ConnectionTrait, id: i32) -> AppResult<users::Model> {
    users::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("user"))
}

/// A new account from the admin page: every field checked, the password at least 12 long.
pub async fn create(conn: &impl ConnectionTrait, new: &NewUser) -> AppResult<users::Model> {
    let username = check_username(&new.username)?;
    let display_name = check_display_name(&new.display_name)?;
    let role = person_role(&new.role)?;
    check_password(&new.password)?;
    let hashed = hash(&new.password).await?;
    insert(conn, &username, &hashed, role, &display_name).await
}

/// What an update changed, for the audit trail and for ending sessions.
pub struct Updated {
    pub user: users::Model,
    pub changes: serde_json::Value,
    /// Disabled now and was not: every session of theirs must end.
    pub disabled_now: bool,
}

/// Enabled administrators other than `except`.
async fn other_admins(conn: &impl ConnectionTrait, except: i32) -> AppResult<u64> {
    Ok(users::Entity::find()
        .filter(users::Column::Role.eq(Role::Admin.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::Id.ne(except))
        .count(conn)
        .await?)
}

/// Changes display name, role and disabled flag. The last enabled administrator can be neither
/// demoted nor disabled (422), so the system always has someone to run it.
pub async fn update(conn: &impl ConnectionTrait, id: i32, patch: &UserPatch) -> AppResult<Updated> {
    let user = get(conn, id).await?;
    let mut changes = serde_json::Map::new();
    let mut active: users::ActiveModel = user.clone().into();
    if let Some(name) = &patch.display_name {
        let name = check_display_name(name)?;
        if name != user.display_name {
            changes.insert("display_name".into(), json!([user.display_name, name]));
            active.display_name = Set(name);
        }
    }
    let was_admin = user.role == Role::Admin.as_str() && !user.disabled;
    let mut stays_admin = was_admin;
    let mut field = "role";
    if let Some(role) = &patch.role {
        let role = person_role(role)?;
        if role.as_str() != user.role {
            changes.insert("role".into(), json!([user.role, role]));
            active.role = Set(role.as_str().to_string());
            stays_admin = stays_admin && role == Role::Admin;
        }
    }
    let mut disabled_now = false;
    if let Some(disabled) = patch.disabled {
        if disabled != user.disabled {
            changes.insert("disabled".into(), json!(disabled));
            active.disabled = Set(disabled);
            disabled_now = disabled;
            if disabled && stays_admin {
                stays_admin = false;
                field = "disabled";
            }
        }
    }
    if was_admin && !stays_admin && other_admins(conn, id).await? == 0 {
        return Err(field_error(
            "last_admin",
            field,
            "this is the last enabled administrator: make another administrator first",
            json!({}),
        ));
    }
    let user = if changes.is_empty() {
        user
    } else {
        active.update(conn).await?
    };
    Ok(Updated {
        user,
        changes: serde_json::Value::Object(changes),
        disabled_now,
    })
}

/// Sets a new password (at least 12 characters).
pub async fn reset_password(
    conn: &impl ConnectionTrait,
    id: i32,
    password: &str,
) -> AppResult<users::Model> {
    let user = get(conn, id).await?;
    check_password(password)?;
    let hashed = hash(password).await?;
    let mut active: users::ActiveModel = user.into();
    active.password_hash = Set(hashed);
    Ok(active.update(conn).await?)
}

/// Display names of the users with these ids (ids may repeat or be absent): one query, none
/// for an empty list.
pub async fn display_names(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Option<i32>>,
) -> AppResult<std::collections::HashMap<i32, String>> {
    use sea_orm::QuerySelect;
    let ids: std::collections::HashSet<i32> = ids.into_iter().flatten().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::DisplayName)
        .filter(users::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_their_field() {
        let AppError::Unprocessable { code, details, .. } = check_password("short").unwrap_err()
        else {
            panic!("a 422");
        };
        assert_eq!(code, "password_too_short");
        assert_eq!(details, Some(json!({"field": "password", "min": 12})));
        assert!(check_password("twelve chars").is_ok());
        assert!(person_role("project_board").is_err());
        assert!(person_role("king").is_err());
        assert_eq!(person_role(" leader ").ok(), Some(Role::Leader));
        assert!(check_username("nguyen van a").is_err());
        assert!(check_username("Nguyễn").is_err());
        assert_eq!(check_username(" tho_01 ").ok().as_deref(), Some("tho_01"));
    }
}
