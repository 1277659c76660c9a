//! The personal-data law (Law 91/2025/QH15 on personal data protection and Decree 356/2025,
//! in force 1 January 2026; issue 16 item 12): each household's notice record (what it was
//! told about the processing of its data, when, by whom, how, and a withdrawal), data
//! subjects' requests with their statutory deadlines (`legal::privacy`), the access export,
//! and the breach log. Notices and requests name a household: they are read and written
//! through `crate::scoped`.
pub mod breaches;
pub mod dto;
pub mod handlers;
pub mod notices;
pub mod requests;

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(notices::list_notices, notices::create_notice))
        .routes(routes!(notices::withdraw))
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::get))
        .routes(routes!(handlers::acknowledge))
        .routes(routes!(handlers::extend))
        .routes(routes!(handlers::complete))
        .routes(routes!(handlers::reject))
        .routes(routes!(handlers::export))
        .routes(routes!(breaches::list_breaches, breaches::create_breach))
        .routes(routes!(breaches::update_breach))
}

/// A free text: trimmed, empty is none, at most `max` characters (else 422 naming `field`).
pub(crate) fn check_text(
    text: Option<String>,
    field: &'static str,
    max: usize,
) -> AppResult<Option<String>> {
    let Some(t) = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > max {
        return Err(AppError::Unprocessable {
            code: "text_too_long",
            message: format!("{field} is longer than {max} characters"),
            details: Some(serde_json::json!({"field": field, "max": max})),
        });
    }
    Ok(Some(t))
}

/// Display names of users by id.
pub(crate) async fn user_names(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> AppResult<HashMap<i32, String>> {
    use crate::entities::users;
    let ids: Vec<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}
