//! API tokens: the one place they are made (the CLI's `token create` comes here too), listed
//! and revoked. Only the SHA-256 of a secret is stored.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use serde_json::json;

use super::dto::{NewToken, TokenDto};
use crate::domain::TokenAccess;
use crate::entities::{api_tokens, projects, users};
use crate::error::{AppError, AppResult};
use crate::pagination::{Keyset, Page};
use crate::users::service::field_error;
use crate::working_groups::dto::UserRef;

/// Stores a new token and returns it with its secret (the only time the secret exists).
#[tracing::instrument(skip_all, fields(project_id, access = %access))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    project_id: i32,
    access: TokenAccess,
    label: &str,
    created_by: Option<i32>,
) -> Result<(api_tokens::Model, String), DbErr> {
    let (secret, hash) = crate::auth::service::new_token_secret();
    let token = api_tokens::ActiveModel {
        token_hash: Set(hash),
        project_id: Set(project_id),
        scope: Set(access.as_str().to_string()),
        name: Set(label.to_string()),
        created_at: Set(Utc::now().fixed_offset()),
        revoked_at: Set(None),
        created_by: Set(created_by),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok((token, secret))
}

/// Tokens shaped for the API, with their project codes and creators.
async fn dtos(
    conn: &impl ConnectionTrait,
    rows: Vec<api_tokens::Model>,
) -> Result<Vec<TokenDto>, DbErr> {
    let project_ids: Vec<i32> = rows.iter().map(|r| r.project_id).collect();
    let codes: HashMap<i32, String> = projects::Entity::find()
        .filter(projects::Column::Id.is_in(project_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let creator_ids: Vec<i32> = rows.iter().filter_map(|r| r.created_by).collect();
    let creators: HashMap<i32, UserRef> = if creator_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(creator_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| {
                let r = UserRef {
                    id: u.id,
                    username: u.username,
                    display_name: u.display_name,
                };
                (u.id, r)
            })
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|t| TokenDto {
            id: t.id,
            project: codes.get(&t.project_id).cloned().unwrap_or_default(),
            label: t.name,
            access: TokenAccess::parse(&t.scope).unwrap_or(TokenAccess::Read),
            created_at: t.created_at.to_rfc3339(),
            created_by: t.created_by.and_then(|c| creators.get(&c).cloned()),
            last_used_at: t.last_used_at.map(|x| x.to_rfc3339()),
            revoked_at: t.revoked_at.map(|x| x.to_rfc3339()),
        })
        .collect())
}

pub async fn dto(conn: &impl ConnectionTrait, row: api_tokens::Model) -> AppResult<TokenDto> {
    dtos(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("token"))
}

async fn project(conn: &impl ConnectionTrait, code: &str) -> AppResult<projects::Model> {
    crate::projects::service::by_code(conn, code.trim())
        .await?
        .ok_or_else(|| AppError::not_found("project"))
}

/// The tokens of a project, revoked ones included, by id.
pub async fn list(
    conn: &impl ConnectionTrait,
    code: &str,
    keyset: Keyset,
) -> AppResult<Page<TokenDto>> {
    let project = project(conn, code).await?;
    let select = api_tokens::Entity::find().filter(api_tokens::Column::ProjectId.eq(project.id));
    let rows = keyset
        .apply(select, api_tokens::Column::Id)
        .all(conn)
        .await?;
    let page = keyset.page(rows, |r| r.id, |r| r);
    Ok(Page {
        items: dtos(conn, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// A token for a project from the admin page: label and access checked, the field named.
pub async fn create(
    conn: &impl ConnectionTrait,
    code: &str,
    new: &NewToken,
    created_by: Option<i32>,
) -> AppResult<(api_tokens::Model, String)> {
    let project = project(conn, code).await?;
    let label = new.label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(field_error(
            "invalid_label",
            "label",
            "give the token a label of 1 to 100 characters",
            json!({}),
        ));
    }
    let access = TokenAccess::parse(new.access.trim()).ok_or_else(|| {
        field_error(
            "invalid_access",
            "access",
            format!("access is `read` or `write`, not `{}`", new.access),
            json!({}),
        )
    })?;
    Ok(insert(conn, project.id, access, label, created_by).await?)
}

/// Revokes a token (at once: the caller drops it from the auth cache). Revoking a revoked
/// token changes nothing. `None` when it was already revoked.
pub async fn revoke(conn: &impl ConnectionTrait, id: i32) -> AppResult<(api_tokens::Model, bool)> {
    let token = api_tokens::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("token"))?;
    if token.revoked_at.is_some() {
        return Ok((token, false));
    }
    let mut active: api_tokens::ActiveModel = token.into();
    active.revoked_at = Set(Some(Utc::now().fixed_offset()));
    Ok((active.update(conn).await?, true))
}
