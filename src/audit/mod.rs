//! The append-only audit trail: every write and every read of a household's personal data.
use axum::extract::State;
use axum::Json;
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::domain::Permission;
use crate::entities::{audit_events, users};
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

/// Records that households were read, named by id, through `via` (a page or list): one row
/// per read, nothing when none was named.
pub async fn households_read(
    conn: &impl ConnectionTrait,
    who: &Principal,
    via: &str,
    mut ids: Vec<i32>,
    extra: serde_json::Value,
) -> Result<(), DbErr> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let mut detail = serde_json::json!({"ids": ids, "via": via});
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    record(conn, who, "read", "household", None, detail).await
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
    /// `user:<username>`, `token:<id>` or `system`.
    pub actor: String,
    /// The user who acted, when a user did.
    pub user_id: Option<i32>,
    /// That user's display name (as it is now).
    pub user_display_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Events of this user (id).
    pub user_id: Option<i32>,
    /// Events about this household: reads and changes of it, its case, visits, stages.
    pub household: Option<i32>,
    /// From this day on (`YYYY-MM-DD`, Vietnam time).
    pub from: Option<NaiveDate>,
    /// Up to and including this day (`YYYY-MM-DD`, Vietnam time).
    pub to: Option<NaiveDate>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// The first instant of a Vietnamese calendar day, in UTC as the events are stored.
fn vn_day_start(day: NaiveDate) -> DateTime<FixedOffset> {
    let vn = FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix());
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(vn).single())
        .map_or_else(
            || Utc::now().fixed_offset(),
            |t| t.with_timezone(&Utc).fixed_offset(),
        )
}

/// The audit trail, newest first (administrators only), filtered by user, household, days
/// (Vietnam time), action and entity.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEventDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope), (status = 403, body = crate::error::ErrorEnvelope)))]
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
    use audit_events::Column as C;
    let given = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut query = audit_events::Entity::find();
    if let Some(e) = given(&q.entity) {
        query = query.filter(C::Entity.eq(e));
    }
    if let Some(e) = given(&q.entity_id) {
        query = query.filter(C::EntityId.eq(e));
    }
    if let Some(a) = given(&q.action) {
        query = query.filter(C::Action.eq(a));
    }
    if let Some(u) = q.user_id {
        query = query.filter(C::UserId.eq(u));
    }
    if let Some(h) = q.household {
        query = query.filter(about_household(h));
    }
    if let Some(d) = q.from {
        query = query.filter(C::At.gte(vn_day_start(d)));
    }
    if let Some(d) = q.to.and_then(|d| d.succ_opt()) {
        query = query.filter(C::At.lt(vn_day_start(d)));
    }
    let rows = keyset.apply(query, C::Id).all(conn).await?;
    let names = display_names(conn, &rows).await?;
    Ok(keyset.page(rows, |r| r.id, |r| to_dto(r, &names)))
}

/// Events about a household: reads and changes of it and its case by id; visits, stages,
/// grievances, notices and requests name it in their detail (`"household_id":N` followed by
/// `,` or `}` so 12 does not match 123).
fn about_household(h: i32) -> Condition {
    use audit_events::Column as C;
    Condition::any()
        .add(
            Condition::all()
                .add(C::Entity.is_in(["household", "case"]))
                .add(C::EntityId.eq(h.to_string())),
        )
        .add(C::Detail.contains(format!("\"household_id\":{h},")))
        .add(C::Detail.contains(format!("\"household_id\":{h}}}")))
}

/// Every audit event naming the household, oldest first (a data subject's access export).
pub async fn naming_household(
    conn: &impl ConnectionTrait,
    h: i32,
) -> Result<Vec<AuditEventDto>, DbErr> {
    use sea_orm::QueryOrder;
    let rows = audit_events::Entity::find()
        .filter(about_household(h))
        .order_by_asc(audit_events::Column::Id)
        .all(conn)
        .await?;
    let names = display_names(conn, &rows).await?;
    Ok(rows.into_iter().map(|r| to_dto(r, &names)).collect())
}

async fn display_names(
    conn: &impl ConnectionTrait,
    rows: &[audit_events::Model],
) -> Result<HashMap<i32, String>, DbErr> {
    let user_ids: Vec<i32> = rows.iter().filter_map(|r| r.user_id).collect();
    let names: HashMap<i32, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(user_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect()
    };
    Ok(names)
}

fn to_dto(r: audit_events::Model, names: &HashMap<i32, String>) -> AuditEventDto {
    AuditEventDto {
        id: r.id,
        at: r.at.to_rfc3339(),
        actor: r.actor,
        user_display_name: r.user_id.and_then(|u| names.get(&u).cloned()),
        user_id: r.user_id,
        action: r.action,
        entity: r.entity,
        entity_id: r.entity_id,
        detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
