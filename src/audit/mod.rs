//! The append-only audit trail: every write and every read of a household's personal data.
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::domain::Permission;
use crate::entities::audit_events;
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::pagination::{Direction, Keyset, Page};
use crate::state::AppState;

#[tracing::instrument(skip_all, fields(action = action, entity = entity))]
pub async fn record(
    conn: &impl ConnectionTrait,
    who: &Principal,
    action: &str,
    entity: &str,
    entity_id: Option<String>,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    insert(
        conn,
        who.user_id,
        &who.actor(),
        action,
        entity,
        entity_id,
        detail,
    )
    .await
}

/// Many events of one principal and action at once (one per entity, e.g. per household of a
/// bulk write), inserted in chunks.
#[tracing::instrument(skip_all, fields(action = action, entity = entity, n = events.len()))]
pub async fn record_many(
    conn: &impl ConnectionTrait,
    who: &Principal,
    action: &str,
    entity: &str,
    events: Vec<(String, serde_json::Value)>,
) -> Result<(), DbErr> {
    let at = Utc::now().fixed_offset();
    let actor = who.actor();
    let rows: Vec<audit_events::ActiveModel> = events
        .into_iter()
        .map(|(id, detail)| audit_events::ActiveModel {
            at: Set(at),
            user_id: Set(who.user_id),
            actor: Set(actor.clone()),
            action: Set(action.to_string()),
            entity: Set(entity.to_string()),
            entity_id: Set(Some(id)),
            detail: Set(detail.to_string()),
            ..Default::default()
        })
        .collect();
    // 7 values a row: well under SQLite's 32,766 bound parameters per statement.
    for chunk in rows.chunks(1000) {
        audit_events::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// For events with no authenticated principal yet (login attempts, CLI tasks).
#[tracing::instrument(skip_all, fields(action = action, entity = entity))]
pub async fn record_system(
    conn: &impl ConnectionTrait,
    action: &str,
    entity: &str,
    entity_id: Option<String>,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    insert(conn, None, "system", action, entity, entity_id, detail).await
}

async fn insert(
    conn: &impl ConnectionTrait,
    user_id: Option<i32>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: Option<String>,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    audit_events::Entity::insert(audit_events::ActiveModel {
        at: Set(Utc::now().fixed_offset()),
        user_id: Set(user_id),
        actor: Set(actor.to_string()),
        action: Set(action.to_string()),
        entity: Set(entity.to_string()),
        entity_id: Set(entity_id),
        detail: Set(detail.to_string()),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: i32,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// The audit trail, newest first (administrators only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEventDto>)))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditEventDto>>> {
    principal.require(Permission::Administer)?;
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Descending)?;
    Ok(Json(events(&state.db.conn, &q, keyset).await?))
}

/// A page of the audit trail, newest first, filtered by entity, entity id and action.
#[tracing::instrument(skip_all)]
pub async fn events(
    conn: &impl ConnectionTrait,
    q: &AuditQuery,
    keyset: Keyset,
) -> Result<Page<AuditEventDto>, DbErr> {
    let mut query = audit_events::Entity::find();
    if let Some(e) = &q.entity {
        query = query.filter(audit_events::Column::Entity.eq(e.as_str()));
    }
    if let Some(e) = &q.entity_id {
        query = query.filter(audit_events::Column::EntityId.eq(e.as_str()));
    }
    if let Some(a) = &q.action {
        query = query.filter(audit_events::Column::Action.eq(a.as_str()));
    }
    let rows = keyset
        .apply(query, audit_events::Column::Id)
        .all(conn)
        .await?;
    Ok(keyset.page(
        rows,
        |r| r.id,
        |r| AuditEventDto {
            id: r.id,
            at: r.at.to_rfc3339(),
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
        },
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
