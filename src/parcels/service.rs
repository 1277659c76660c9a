//! Parcel queries and writes. Every read takes the caller's `Scope`, so a member sees only the
//! parcels of their working groups' communes and a project board only its project; a write
//! names its parcel by a `Scoped<ParcelId>`, an id that has passed that scope.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select, Set,
};
use serde_json::{json, Value as Json};

use super::dto::{CommuneRef, InvalidFeature, ParcelDto, ParcelPatch, ParcelQuery, StatusEventDto};
use crate::admin_units::seed::LEVEL_COMMUNE;
use crate::auth::{Principal, Scope};
use crate::db::dialect;
use crate::domain::{LandUse, ParcelStatus};
use crate::entities::{
    admin_units, parcel_land_use_events, parcel_lineage, parcel_status_events, parcels, projects,
};
use crate::error::{AppError, AppResult};
use crate::geo::{Bbox, GeometryError, ParcelGeometry};
use crate::pagination::{Direction, Keyset, Page};
use crate::progress::counters::{self, StatusMove};
use crate::scoped::{self, ParcelId, Scoped};

/// Most features one POST may carry.
pub const MAX_FEATURES: usize = 10_000;
/// Longest map sheet / parcel number accepted.
const MAX_KEY_CHARS: usize = 64;

/// A parcel with its project code and commune, as the API shows it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ParcelRow {
    pub id: i32,
    pub project_id: i32,
    pub project_code: String,
    pub commune_id: i32,
    pub commune_code: String,
    pub commune_name: String,
    pub map_sheet: String,
    pub parcel_no: String,
    pub land_use: LandUse,
    pub area_m2: f64,
    pub recovered_area_m2: f64,
    pub geometry: String,
    pub source_crs: String,
    pub parent_parcel_id: Option<i32>,
    pub status: ParcelStatus,
    pub version: i32,
    pub updated_at: DateTime<FixedOffset>,
    pub retired_at: Option<DateTime<FixedOffset>>,
}

impl ParcelRow {
    pub fn into_dto(self) -> ParcelDto {
        ParcelDto {
            id: self.id,
            project: self.project_code,
            map_sheet: self.map_sheet,
            parcel_no: self.parcel_no,
            commune: CommuneRef {
                id: self.commune_id,
                code: self.commune_code,
                name: self.commune_name,
            },
            land_use: self.land_use,
            area_m2: self.area_m2,
            recovered_area_m2: self.recovered_area_m2,
            geometry: serde_json::from_str(&self.geometry).unwrap_or(Json::Null),
            source_crs: self.source_crs,
            parent_parcel: self.parent_parcel_id,
            status: self.status,
            version: self.version,
            updated_at: self.updated_at.to_rfc3339(),
            retired_at: self.retired_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// `select` joined to the parcels' project and commune, read as `project_code`,
/// `commune_code` and `commune_name`: the parcel list, the OGC features and the exports add the
/// parcel columns they need.
pub fn with_names(select: Select<parcels::Entity>) -> Select<parcels::Entity> {
    select
        .column_as(projects::Column::Code, "project_code")
        .column_as(admin_units::Column::Code, "commune_code")
        .column_as(admin_units::Column::Name, "commune_name")
        .join(
            sea_orm::JoinType::InnerJoin,
            parcels::Entity::belongs_to(projects::Entity)
                .from(parcels::Column::ProjectId)
                .to(projects::Column::Id)
                .into(),
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            parcels::Entity::belongs_to(admin_units::Entity)
                .from(parcels::Column::CommuneId)
                .to(admin_units::Column::Id)
                .into(),
        )
}

/// The columns of a [`ParcelRow`] over `select` (parcels joined to their project and commune).
fn with_row_columns(select: Select<parcels::Entity>) -> Select<parcels::Entity> {
    use parcels::Column as P;
    let select = select.select_only().columns([
        P::Id,
        P::ProjectId,
        P::CommuneId,
        P::MapSheet,
        P::ParcelNo,
        P::LandUse,
        P::AreaM2,
        P::RecoveredAreaM2,
        P::Geometry,
        P::SourceCrs,
        P::ParentParcelId,
        P::Status,
        P::Version,
        P::UpdatedAt,
        P::RetiredAt,
    ]);
    with_names(select)
}

/// Parcel rows inside the caller's scope.
fn rows_in(scope: &Scope) -> Select<parcels::Entity> {
    with_row_columns(scoped::parcels(scope))
}

/// `status=agreed,paid` → the statuses, or 400 naming the allowed values.
pub fn parse_statuses(raw: &str) -> AppResult<Vec<ParcelStatus>> {
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let s = ParcelStatus::parse(part).ok_or_else(|| {
            let allowed: Vec<&str> = ParcelStatus::ALL.iter().map(|s| s.as_str()).collect();
            AppError::BadRequest(format!(
                "unknown status `{part}`; use one of {}",
                allowed.join(", ")
            ))
        })?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(AppError::BadRequest(
            "status is empty; give a status such as not_contacted".into(),
        ));
    }
    Ok(out)
}

/// The filters of a list request that need no database, checked.
fn list_filters(q: &ParcelQuery) -> AppResult<Condition> {
    use parcels::Column as P;
    let mut c = Condition::all();
    if let Some(raw) = q.status.as_deref() {
        c = c.add(P::Status.is_in(parse_statuses(raw)?));
    }
    if let Some(raw) = q.bbox.as_deref() {
        let b = crate::geo::parse_bbox(raw).map_err(|e| AppError::BadRequest(e.to_string()))?;
        c = c
            .add(P::MinLon.lte(b.max_lon))
            .add(P::MaxLon.gte(b.min_lon))
            .add(P::MinLat.lte(b.max_lat))
            .add(P::MaxLat.gte(b.min_lat));
    }
    if let Some(sheet) = q
        .map_sheet
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        c = c.add(P::MapSheet.eq(sheet));
    }
    if let Some(no) = q
        .parcel_no
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        c = c.add(P::ParcelNo.eq(no));
    }
    Ok(c)
}

/// The parcels of a project inside the caller's scope, by id ascending, filtered as asked.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    q: &ParcelQuery,
) -> AppResult<Page<ParcelDto>> {
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Ascending)?;
    let filters = list_filters(q)?;
    if q.commune.as_deref().is_some_and(|c| c.trim().is_empty()) && q.commune_id.is_none() {
        return Err(AppError::BadRequest(
            "commune is empty; give an admin unit code such as 21043".into(),
        ));
    }
    let mut select = rows_in(scope)
        .filter(parcels::Column::ProjectId.eq(project_id))
        .filter(filters);
    if let Some(units) =
        crate::admin_units::filter::commune_filter(conn, q.commune_id, q.commune.as_deref()).await?
    {
        select = select.filter(parcels::Column::CommuneId.is_in(units));
    }
    let rows = keyset
        .apply(select, parcels::Column::Id)
        .into_model::<ParcelRow>()
        .all(conn)
        .await?;
    Ok(keyset.page(rows, |r| r.id, ParcelRow::into_dto))
}

/// One parcel if it is inside the scope, retired or not; 404 otherwise (its existence is not
/// revealed).
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i32) -> AppResult<ParcelRow> {
    with_row_columns(scoped::parcels_any(scope))
        .filter(parcels::Column::Id.eq(id))
        .into_model::<ParcelRow>()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("parcel"))
}

/// The current parcels of a project in the scope that lie, at least partly, inside `area`
/// (the map's lasso): the boxes in SQL, the shapes off the async workers.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn ids_within(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    area: ::geo::MultiPolygon<f64>,
) -> AppResult<Vec<i32>> {
    use parcels::Column as P;
    let Some(b) = crate::geo::bbox_of(&area) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(i32, String)> = scoped::parcels(scope)
        .select_only()
        .columns([P::Id, P::Geometry])
        .filter(P::ProjectId.eq(project_id))
        .filter(P::MinLon.lte(b.max_lon))
        .filter(P::MaxLon.gte(b.min_lon))
        .filter(P::MinLat.lte(b.max_lat))
        .filter(P::MaxLat.gte(b.min_lat))
        .into_tuple()
        .all(conn)
        .await?;
    tokio::task::spawn_blocking(move || {
        use ::geo::Intersects;
        rows.into_iter()
            .filter(|(_, g)| {
                serde_json::from_str::<Json>(g)
                    .ok()
                    .and_then(|v| crate::geo::parse_geometry(&v).ok())
                    .is_some_and(|shape| shape.intersects(&area))
            })
            .map(|(id, _)| id)
            .collect()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("lasso failed: {e}")))
}

/// A parcel whose id has passed the caller's scope (re-read after a write).
async fn read(conn: &impl ConnectionTrait, parcel: Scoped<ParcelId>) -> AppResult<ParcelRow> {
    with_row_columns(parcels::Entity::find())
        .filter(parcels::Column::Id.eq(parcel.id()))
        .into_model::<ParcelRow>()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("parcel"))
}

/// Parcels by id inside the scope, in id order.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
) -> Result<Vec<ParcelDto>, DbErr> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = rows_in(scope)
            .filter(parcels::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(parcels::Column::Id)
            .into_model::<ParcelRow>()
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(ParcelRow::into_dto));
    }
    Ok(out)
}

fn stored_status(text: &str) -> AppResult<ParcelStatus> {
    ParcelStatus::parse(text).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "a status event holds an unknown status `{text}`"
        ))
    })
}

/// The status events of a parcel in the scope, oldest first.
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn history(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Vec<StatusEventDto>> {
    let parcel = scoped::parcel(conn, scope, id).await?;
    let events = parcel_status_events::Entity::find()
        .filter(parcel_status_events::Column::ParcelId.eq(parcel.id()))
        .order_by_asc(parcel_status_events::Column::At)
        .order_by_asc(parcel_status_events::Column::Id)
        .all(conn)
        .await?;
    // People's names rather than their logins; for a project board neither, nor the free-text
    // reason (it may name people): only what changed and when.
    let personal = scope.sees_personal_data();
    let names = if personal {
        crate::users::service::display_names(conn, events.iter().map(|e| e.actor_id)).await?
    } else {
        std::collections::HashMap::new()
    };
    events
        .into_iter()
        .map(|e| {
            let actor = if personal {
                e.actor
            } else {
                e.actor.split(':').next().unwrap_or_default().to_string()
            };
            Ok(StatusEventDto {
                id: e.id,
                from: e.from_status.as_deref().map(stored_status).transpose()?,
                to: stored_status(&e.to_status)?,
                reason: if personal { e.reason } else { String::new() },
                actor_name: e.actor_id.and_then(|id| names.get(&id).cloned()),
                actor,
                at: e.at.to_rfc3339(),
            })
        })
        .collect()
}

/// Who made the parcel's last status change, and when (for a stale `If-Match`).
pub async fn last_change(
    conn: &impl ConnectionTrait,
    parcel_id: i32,
) -> AppResult<Option<(String, DateTime<FixedOffset>)>> {
    use crate::entities::parcel_status_events as E;
    let last = E::Entity::find()
        .filter(E::Column::ParcelId.eq(parcel_id))
        .order_by_desc(E::Column::Id)
        .one(conn)
        .await?;
    Ok(last.map(|e| (e.actor, e.at)))
}

// ---- status events and counters ------------------------------------------------------------

/// Who a status event names: a user or token, or the system (demo loader).
#[derive(Clone, Debug)]
pub struct EventActor {
    pub id: Option<i32>,
    pub name: String,
}

impl EventActor {
    pub fn of(who: &Principal) -> Self {
        EventActor {
            id: who.user_id,
            name: who.actor(),
        }
    }

    pub fn system() -> Self {
        EventActor {
            id: None,
            name: "system".into(),
        }
    }
}

/// One parcel's status change (`from` is None for a new parcel).
#[derive(Clone, Copy, Debug)]
pub struct StatusChange {
    pub parcel_id: i32,
    pub commune_id: i32,
    pub area_m2: f64,
    pub from: Option<ParcelStatus>,
    pub to: ParcelStatus,
}

/// Records status changes of a project's parcels: their status events (multi-row inserts)
/// and the progress counters they move. The one place both are written.
#[tracing::instrument(skip_all, fields(project_id, n = changes.len()))]
pub async fn record_status_changes(
    conn: &impl ConnectionTrait,
    project_id: i32,
    actor: &EventActor,
    reason: &str,
    at: DateTime<FixedOffset>,
    changes: &[StatusChange],
) -> AppResult<()> {
    use parcel_status_events::Column as E;
    let backend = conn.get_database_backend();
    for chunk in changes.chunks(dialect::parcel_rows_per_insert(backend)) {
        let mut stmt = Query::insert()
            .into_table(parcel_status_events::Entity)
            .columns([
                E::ProjectId,
                E::ParcelId,
                E::FromStatus,
                E::ToStatus,
                E::Reason,
                E::ActorId,
                E::Actor,
                E::At,
            ])
            .to_owned();
        for c in chunk {
            stmt.values_panic([
                project_id.into(),
                c.parcel_id.into(),
                c.from.map(ParcelStatus::as_str).into(),
                c.to.as_str().into(),
                reason.into(),
                actor.id.into(),
                actor.name.as_str().into(),
                at.into(),
            ]);
        }
        conn.execute(dialect::build(backend, &stmt)).await?;
    }
    let moves: Vec<StatusMove> = changes
        .iter()
        .map(|c| StatusMove {
            commune_id: c.commune_id,
            area_m2: c.area_m2,
            from: c.from,
            to: Some(c.to),
            // The same rule as the counters' rebuild from the events.
            progress: c.from.is_some() || !counters::CARRIED_REASONS.contains(&reason),
        })
        .collect();
    counters::apply_parcel_status_changes(conn, project_id, &moves, at).await?;
    Ok(())
}

// ---- inserting parcels ----------------------------------------------------------------------

/// A parcel to insert.
#[derive(Clone, Copy, Debug)]
pub struct NewParcelRow<'a> {
    pub commune_id: i32,
    pub map_sheet: &'a str,
    pub parcel_no: &'a str,
    pub land_use: LandUse,
    pub area_m2: f64,
    pub recovered_area_m2: f64,
    /// WGS84 GeoJSON geometry text.
    pub geometry: &'a str,
    /// The geometry as the file gave it (imports); None when sent as WGS84 GeoJSON.
    pub source_geometry: Option<&'a str>,
    pub bbox: Bbox,
    pub parent_parcel_id: Option<i32>,
    pub status: ParcelStatus,
}

/// What a batch of new parcels has in common.
#[derive(Clone, Copy, Debug)]
pub struct NewParcelBatch<'a> {
    pub project_id: i32,
    /// The CRS the parcels came in (`EPSG:4326` for GeoJSON).
    pub source_crs: &'a str,
    pub actor: &'a EventActor,
    /// The reason of their first status event (`created`, `imported`).
    pub reason: &'a str,
    pub at: DateTime<FixedOffset>,
}

/// One multi-row INSERT of parcels; their ids in the order of `chunk`.
async fn insert_rows(
    conn: &impl ConnectionTrait,
    batch: &NewParcelBatch<'_>,
    chunk: &[NewParcelRow<'_>],
) -> AppResult<Vec<i32>> {
    use parcels::Column as P;
    let backend = conn.get_database_backend();
    let mut stmt = Query::insert()
        .into_table(parcels::Entity)
        .columns([
            P::ProjectId,
            P::CommuneId,
            P::MapSheet,
            P::ParcelNo,
            P::LandUse,
            P::AreaM2,
            P::RecoveredAreaM2,
            P::Geometry,
            P::SourceCrs,
            P::SourceGeometry,
            P::MinLon,
            P::MinLat,
            P::MaxLon,
            P::MaxLat,
            P::ParentParcelId,
            P::Status,
            P::Version,
            P::CreatedAt,
            P::UpdatedAt,
        ])
        .returning(Query::returning().columns([P::Id, P::CommuneId, P::MapSheet, P::ParcelNo]))
        .to_owned();
    for r in chunk {
        stmt.values_panic([
            batch.project_id.into(),
            r.commune_id.into(),
            r.map_sheet.into(),
            r.parcel_no.into(),
            r.land_use.as_str().into(),
            r.area_m2.into(),
            r.recovered_area_m2.into(),
            r.geometry.into(),
            batch.source_crs.into(),
            r.source_geometry.into(),
            r.bbox.min_lon.into(),
            r.bbox.min_lat.into(),
            r.bbox.max_lon.into(),
            r.bbox.max_lat.into(),
            r.parent_parcel_id.into(),
            r.status.as_str().into(),
            1.into(),
            batch.at.into(),
            batch.at.into(),
        ]);
    }
    // RETURNING order is not promised: match the new ids back by key.
    let mut by_key: HashMap<(i32, String, String), i32> = HashMap::with_capacity(chunk.len());
    for row in conn.query_all(dialect::build(backend, &stmt)).await? {
        by_key.insert(
            (
                row.try_get("", "commune_id")?,
                row.try_get("", "map_sheet")?,
                row.try_get("", "parcel_no")?,
            ),
            row.try_get("", "id")?,
        );
    }
    let mut ids = Vec::with_capacity(chunk.len());
    for r in chunk {
        let key = (
            r.commune_id,
            r.map_sheet.to_string(),
            r.parcel_no.to_string(),
        );
        ids.push(by_key.get(&key).copied().ok_or(DbErr::RecordNotInserted)?);
    }
    Ok(ids)
}

/// Inserts parcels (multi-row INSERTs, batch size per backend) with their first status event
/// and the progress counters; returns their ids in the order of `rows`. Used by the API, the
/// parcel import and the demo. Run inside the caller's write transaction.
#[tracing::instrument(skip_all, fields(project_id = batch.project_id, n = rows.len()))]
pub async fn insert_batch(
    conn: &impl ConnectionTrait,
    batch: &NewParcelBatch<'_>,
    rows: &[NewParcelRow<'_>],
) -> AppResult<Vec<i32>> {
    let backend = conn.get_database_backend();
    let mut ids: Vec<i32> = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(dialect::parcel_rows_per_insert(backend)) {
        ids.extend(insert_rows(conn, batch, chunk).await?);
    }
    let changes: Vec<StatusChange> = rows
        .iter()
        .zip(&ids)
        .map(|(r, &parcel_id)| StatusChange {
            parcel_id,
            commune_id: r.commune_id,
            area_m2: r.area_m2,
            from: None,
            to: r.status,
        })
        .collect();
    record_status_changes(
        conn,
        batch.project_id,
        batch.actor,
        batch.reason,
        batch.at,
        &changes,
    )
    .await?;
    Ok(ids)
}

/// A lineage link: `parcel` was cut from (`split`) or merged from (`merge`) `parent`.
#[derive(Clone, Copy, Debug)]
pub struct ParcelLineage {
    pub parcel_id: i32,
    pub parent_id: i32,
    pub kind: &'static str,
}

/// Records lineage links; a link already recorded is kept as it is.
#[tracing::instrument(skip_all, fields(n = links.len()))]
pub async fn insert_lineage(
    conn: &impl ConnectionTrait,
    links: &[ParcelLineage],
    at: DateTime<FixedOffset>,
) -> AppResult<()> {
    use parcel_lineage::Column as L;
    let backend = conn.get_database_backend();
    for chunk in links.chunks(dialect::parcel_rows_per_insert(backend)) {
        let mut stmt = Query::insert()
            .into_table(parcel_lineage::Entity)
            .columns([L::ParcelId, L::ParentId, L::Kind, L::RecordedAt])
            .to_owned();
        for l in chunk {
            stmt.values_panic([
                l.parcel_id.into(),
                l.parent_id.into(),
                l.kind.into(),
                at.into(),
            ]);
        }
        dialect::ignore_conflicts(&mut stmt);
        conn.execute(dialect::build(backend, &stmt)).await?;
    }
    Ok(())
}

// ---- changing a parcel ----------------------------------------------------------------------

/// What a PATCH did.
pub enum PatchOutcome {
    Updated(Box<ParcelRow>),
    /// The parcel moved on since the caller read it: its current version.
    Conflict(i32),
}

/// Applies a PATCH if the parcel is still at version `expected`. The conditional UPDATE makes
/// two writers holding the same version unable to both win, whatever the database.
#[tracing::instrument(skip_all, fields(parcel_id = parcel.id(), expected))]
pub async fn update(
    conn: &impl ConnectionTrait,
    who: &Principal,
    parcel: Scoped<ParcelId>,
    expected: i32,
    patch: &ParcelPatch,
    now: DateTime<FixedOffset>,
) -> AppResult<PatchOutcome> {
    use parcels::Column as P;
    let id = parcel.id();
    let current = read(conn, parcel).await?;
    if current.retired_at.is_some() {
        return Err(AppError::Conflict {
            code: "parcel_retired",
            message: format!(
                "parcel {} of map sheet {} was replaced by a split or merge; change the parcels that replaced it",
                current.parcel_no, current.map_sheet
            ),
        });
    }
    if current.version != expected {
        return Ok(PatchOutcome::Conflict(current.version));
    }
    let new_status = patch.status.unwrap_or(current.status);
    // An old code given is recorded as the code replacing it.
    let new_land_use = patch.land_use.map_or(current.land_use, LandUse::current);
    let done = parcels::Entity::update_many()
        .col_expr(P::Status, Expr::value(new_status.as_str()))
        .col_expr(P::LandUse, Expr::value(new_land_use.as_str()))
        .col_expr(P::UpdatedAt, Expr::value(now))
        .col_expr(P::Version, Expr::col(P::Version).add(1))
        .filter(P::Id.eq(id))
        .filter(P::Version.eq(expected))
        .filter(P::RetiredAt.is_null())
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        let now_at = read(conn, parcel).await?;
        return Ok(PatchOutcome::Conflict(now_at.version));
    }

    let mut detail = json!({"version": {"from": expected, "to": expected + 1}});
    if new_status != current.status {
        let change = StatusChange {
            parcel_id: id,
            commune_id: current.commune_id,
            area_m2: current.area_m2,
            from: Some(current.status),
            to: new_status,
        };
        let reason = patch.reason.clone().unwrap_or_default();
        let actor = EventActor::of(who);
        record_status_changes(conn, current.project_id, &actor, &reason, now, &[change]).await?;
        detail["status"] = json!({"from": current.status, "to": new_status});
    }
    if new_land_use != current.land_use {
        detail["land_use"] = json!({"from": current.land_use, "to": new_land_use});
        // Land-use changes after a project's notice date are alerts (issue 6); an old code
        // replaced by its current one (BHK → HNK) is not a change of use.
        if new_land_use != current.land_use.current() {
            record_land_use_change(conn, who, &current, new_land_use, now).await?;
        }
    }
    if let Some(r) = &patch.reason {
        detail["reason"] = json!(r);
    }
    if let Some(n) = &patch.note {
        detail["note"] = json!(n);
    }
    crate::audit::record(conn, who, "update", "parcel", Some(id.to_string()), detail).await?;
    let after = read(conn, parcel).await?;
    Ok(PatchOutcome::Updated(Box::new(after)))
}

async fn record_land_use_change(
    conn: &impl ConnectionTrait,
    who: &Principal,
    current: &ParcelRow,
    to: LandUse,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    parcel_land_use_events::Entity::insert(parcel_land_use_events::ActiveModel {
        project_id: Set(current.project_id),
        parcel_id: Set(current.id),
        commune_id: Set(current.commune_id),
        from_land_use: Set(current.land_use.as_str().to_string()),
        to_land_use: Set(to.as_str().to_string()),
        actor_id: Set(who.user_id),
        actor: Set(who.actor()),
        at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

// ---- creating parcels ---------------------------------------------------------------------

/// The features of a POST body: a FeatureCollection's, or a single Feature.
pub fn features_of(body: Json) -> AppResult<Vec<Json>> {
    let bad = |m: &str| AppError::invalid("invalid_geojson", m.to_string());
    let mut body = body;
    match body.get("type").and_then(Json::as_str) {
        Some("FeatureCollection") => {
            let Some(Json::Array(features)) = body.get_mut("features").map(Json::take) else {
                return Err(bad("a FeatureCollection needs a `features` array"));
            };
            if features.is_empty() {
                return Err(bad("the FeatureCollection has no features"));
            }
            if features.len() > MAX_FEATURES {
                return Err(AppError::invalid(
                    "too_many_features",
                    format!("send at most {MAX_FEATURES} features per request (got {})", features.len()),
                ));
            }
            Ok(features)
        }
        Some("Feature") => Ok(vec![body]),
        _ => Err(bad("send a GeoJSON Feature or FeatureCollection of parcels (Polygon/MultiPolygon, WGS84 lon/lat)")),
    }
}

/// A feature that passed the checks needing no database.
pub struct Draft {
    pub geometry: ParcelGeometry,
    pub map_sheet: String,
    pub parcel_no: String,
    pub commune: String,
    pub land_use: LandUse,
    /// The old (pre-2024) code the feature gave, when `land_use` is the code replacing it.
    pub land_use_given: Option<LandUse>,
    pub status: ParcelStatus,
    pub parent: Option<i32>,
}

/// A feature ready to insert.
pub struct NewParcel {
    pub draft: Draft,
    pub commune_id: i32,
}

fn text_prop(props: &serde_json::Map<String, Json>, key: &str) -> Result<Option<String>, String> {
    match props.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else if s.chars().count() > MAX_KEY_CHARS {
                Err(format!("`{key}` is longer than {MAX_KEY_CHARS} characters"))
            } else {
                Ok(Some(s.to_string()))
            }
        }
        Some(Json::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn reject(
    index: usize,
    map_sheet: Option<&str>,
    parcel_no: Option<&str>,
    code: &str,
    reason: String,
) -> InvalidFeature {
    InvalidFeature {
        index,
        map_sheet: map_sheet.map(str::to_string),
        parcel_no: parcel_no.map(str::to_string),
        reason,
        code: code.to_string(),
        details: None,
    }
}

/// The checks of one feature that need no database: shape, geometry, required properties.
/// Pure and CPU-bound (geometry validity); run it off the async workers.
pub fn draft(index: usize, feature: &Json) -> Result<Draft, InvalidFeature> {
    let empty = serde_json::Map::new();
    let props = match feature.get("properties") {
        Some(Json::Object(m)) => m,
        None | Some(Json::Null) => &empty,
        Some(_) => {
            return Err(reject(
                index,
                None,
                None,
                "invalid_properties",
                "`properties` must be an object".into(),
            ));
        }
    };
    // The key is echoed back in the error list even when something else is wrong.
    let map_sheet = text_prop(props, "map_sheet").ok().flatten();
    let parcel_no = text_prop(props, "parcel_no").ok().flatten();
    let fail = |code: &str, reason: String| {
        reject(
            index,
            map_sheet.as_deref(),
            parcel_no.as_deref(),
            code,
            reason,
        )
    };

    if feature.get("type").and_then(Json::as_str) != Some("Feature") {
        return Err(fail(
            "not_a_feature",
            "each item of `features` must be a GeoJSON Feature".into(),
        ));
    }
    let geometry = match feature.get("geometry") {
        None | Some(Json::Null) => {
            return Err(fail(
                "missing_geometry",
                "the feature has no geometry".into(),
            ))
        }
        Some(g) => {
            crate::geo::prepare(g).map_err(|e: GeometryError| fail(e.code(), e.to_string()))?
        }
    };
    let required = |key: &str| -> Result<String, InvalidFeature> {
        match text_prop(props, key) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(fail(
                &format!("missing_{key}"),
                format!("the property `{key}` is required"),
            )),
            Err(reason) => Err(fail(&format!("invalid_{key}"), reason)),
        }
    };
    let map_sheet_v = required("map_sheet")?;
    let parcel_no_v = required("parcel_no")?;
    let commune = required("commune")?;
    let land_use_raw = required("land_use")?;
    // Any official code, old codes recorded as the code that replaced them.
    let given = crate::domain::land_types::lookup(&land_use_raw).map_err(|e| {
        let mut f = fail("unknown_land_use", e.reason());
        let mut details = std::collections::BTreeMap::new();
        details.insert("value".to_string(), e.value.clone());
        if !e.suggestions.is_empty() {
            details.insert("suggestions".to_string(), e.suggestions.join(", "));
        }
        f.details = Some(Box::new(details));
        f
    })?;
    let land_use = given.current();
    let status = match text_prop(props, "status") {
        Ok(None) => ParcelStatus::NotContacted,
        Ok(Some(s)) => ParcelStatus::parse(&s).ok_or_else(|| {
            let known: Vec<&str> = ParcelStatus::ALL.iter().map(|s| s.as_str()).collect();
            fail(
                "unknown_status",
                format!("unknown status `{s}`; use one of {}", known.join(", ")),
            )
        })?,
        Err(reason) => return Err(fail("unknown_status", reason)),
    };
    let parent = match props.get("parent_parcel") {
        None | Some(Json::Null) => None,
        Some(v) => match v.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(id) => Some(id),
            None => {
                return Err(fail(
                    "invalid_parent_parcel",
                    "`parent_parcel` must be a parcel id (an integer)".into(),
                ))
            }
        },
    };
    Ok(Draft {
        geometry,
        map_sheet: map_sheet_v,
        parcel_no: parcel_no_v,
        commune,
        land_use,
        land_use_given: (given != land_use).then_some(given),
        status,
        parent,
    })
}

/// The admin unit each code names: the pre-2025 commune when codes collide, then a current
/// commune, then any unit with the code.
pub async fn resolve_communes(
    conn: &impl ConnectionTrait,
    codes: &HashSet<String>,
) -> Result<HashMap<String, i32>, DbErr> {
    let mut best: HashMap<String, (u8, i32)> = HashMap::new();
    let codes: Vec<String> = codes.iter().cloned().collect();
    for chunk in codes.chunks(500) {
        let units = admin_units::Entity::find()
            .filter(admin_units::Column::Code.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?;
        for u in units {
            let rank = match (u.level == LEVEL_COMMUNE, u.valid_to.is_some()) {
                (true, true) => 0,
                (true, false) => 1,
                _ => 2,
            };
            let e = best.entry(u.code.clone()).or_insert((rank, u.id));
            if (rank, u.id) < *e {
                *e = (rank, u.id);
            }
        }
    }
    Ok(best.into_iter().map(|(k, (_, id))| (k, id)).collect())
}

/// Keys `(commune_id, map_sheet, parcel_no)` among `keys` already taken in the project.
pub(crate) async fn existing_keys(
    conn: &impl ConnectionTrait,
    project_id: i32,
    keys: &[(i32, String, String)],
) -> Result<HashSet<(i32, String, String)>, DbErr> {
    use parcels::Column as P;
    let mut out = HashSet::new();
    for chunk in keys.chunks(200) {
        let any = chunk
            .iter()
            .fold(Condition::any(), |any, (commune, sheet, no)| {
                any.add(
                    Condition::all()
                        .add(P::CommuneId.eq(*commune))
                        .add(P::MapSheet.eq(sheet.as_str()))
                        .add(P::ParcelNo.eq(no.as_str())),
                )
            });
        let found: Vec<(i32, String, String)> = parcels::Entity::find()
            .select_only()
            .columns([P::CommuneId, P::MapSheet, P::ParcelNo])
            .filter(P::ProjectId.eq(project_id))
            .filter(any)
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(found);
    }
    Ok(out)
}

/// A feature's key: commune id, map sheet, parcel number.
type ParcelKey = (i32, String, String);

/// The database-backed checks of each draft that need no further query: known commune and
/// parent, no key twice in the file. Returns the refusals, the accepted parcels by index
/// and the keys seen.
#[allow(clippy::type_complexity)]
fn screen(
    drafts: Vec<Result<Draft, InvalidFeature>>,
    communes: &HashMap<String, i32>,
    parents: &HashSet<i32>,
) -> (
    Vec<InvalidFeature>,
    Vec<(usize, NewParcel)>,
    HashMap<ParcelKey, usize>,
) {
    let mut errors = Vec::new();
    let mut ok: Vec<(usize, NewParcel)> = Vec::new();
    let mut seen: HashMap<(i32, String, String), usize> = HashMap::new();
    for (index, d) in drafts.into_iter().enumerate() {
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let fail = |code: &str, reason: String| {
            reject(index, Some(&d.map_sheet), Some(&d.parcel_no), code, reason)
        };
        let Some(&commune_id) = communes.get(&d.commune) else {
            errors.push(fail(
                "unknown_commune",
                format!("there is no admin unit with code `{}`", d.commune),
            ));
            continue;
        };
        if let Some(parent) = d.parent {
            if !parents.contains(&parent) {
                errors.push(fail(
                    "unknown_parent_parcel",
                    format!("parcel {parent} does not exist in this project"),
                ));
                continue;
            }
        }
        let key = (commune_id, d.map_sheet.clone(), d.parcel_no.clone());
        if let Some(first) = seen.get(&key) {
            errors.push(fail(
                "duplicate_in_file",
                format!(
                    "feature {first} already has commune {}, map sheet {}, parcel {}",
                    d.commune, d.map_sheet, d.parcel_no
                ),
            ));
            continue;
        }
        seen.insert(key, index);
        ok.push((
            index,
            NewParcel {
                draft: d,
                commune_id,
            },
        ));
    }
    (errors, ok, seen)
}

/// The checks needing the database: known commune and parent parcel, no duplicate key in the
/// file or in the project. `drafts` holds each feature's draft or its first problem.
#[tracing::instrument(skip_all, fields(project_id, n = drafts.len()))]
pub async fn check_against_database(
    conn: &impl ConnectionTrait,
    project_id: i32,
    drafts: Vec<Result<Draft, InvalidFeature>>,
) -> AppResult<Result<Vec<NewParcel>, Vec<InvalidFeature>>> {
    let codes: HashSet<String> = drafts
        .iter()
        .filter_map(|d| d.as_ref().ok())
        .map(|d| d.commune.clone())
        .collect();
    let communes = resolve_communes(conn, &codes).await?;
    let parent_ids: Vec<i32> = drafts
        .iter()
        .filter_map(|d| d.as_ref().ok())
        .filter_map(|d| d.parent)
        .collect();
    let mut parents: HashSet<i32> = HashSet::new();
    for chunk in parent_ids.chunks(500) {
        let found = parcels::Entity::find()
            .filter(parcels::Column::Id.is_in(chunk.iter().copied()))
            .filter(parcels::Column::ProjectId.eq(project_id))
            .all(conn)
            .await?;
        parents.extend(found.into_iter().map(|p| p.id));
    }

    let (mut errors, ok, seen) = screen(drafts, &communes, &parents);

    let keys: Vec<(i32, String, String)> = seen.keys().cloned().collect();
    let taken = existing_keys(conn, project_id, &keys).await?;
    let mut parcels_out = Vec::with_capacity(ok.len());
    for (index, p) in ok {
        let key = (
            p.commune_id,
            p.draft.map_sheet.clone(),
            p.draft.parcel_no.clone(),
        );
        if taken.contains(&key) {
            errors.push(reject(
                index,
                Some(&p.draft.map_sheet),
                Some(&p.draft.parcel_no),
                "duplicate_parcel",
                format!(
                    "the project already has parcel {} on map sheet {} in commune {}",
                    p.draft.parcel_no, p.draft.map_sheet, p.draft.commune
                ),
            ));
        } else {
            parcels_out.push(p);
        }
    }
    if errors.is_empty() {
        Ok(Ok(parcels_out))
    } else {
        errors.sort_by_key(|e| e.index);
        Ok(Err(errors))
    }
}

/// Inserts checked parcels with their first status event, counters, lineage and audit rows;
/// returns their ids. Run inside one write transaction.
#[tracing::instrument(skip_all, fields(project_id = project.id, n = new.len()))]
pub async fn insert_all(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    new: &[NewParcel],
    now: DateTime<FixedOffset>,
) -> AppResult<Vec<i32>> {
    let boundary = project
        .boundary
        .as_deref()
        .and_then(|b| serde_json::from_str::<Json>(b).ok())
        .and_then(|v| crate::geo::parse_geometry(&v).ok());
    let rows: Vec<NewParcelRow> = new
        .iter()
        .map(|p| {
            let d = &p.draft;
            let g = &d.geometry;
            NewParcelRow {
                commune_id: p.commune_id,
                map_sheet: &d.map_sheet,
                parcel_no: &d.parcel_no,
                land_use: d.land_use,
                area_m2: g.area_m2,
                recovered_area_m2: crate::geo::recovered_area_m2(&g.geometry, boundary.as_ref()),
                geometry: &g.geojson,
                source_geometry: None,
                bbox: g.bbox,
                parent_parcel_id: d.parent,
                status: d.status,
            }
        })
        .collect();
    let actor = EventActor::of(who);
    let batch = NewParcelBatch {
        project_id: project.id,
        source_crs: "EPSG:4326",
        actor: &actor,
        reason: "created",
        at: now,
    };
    let ids = insert_batch(conn, &batch, &rows).await?;
    let links: Vec<ParcelLineage> = new
        .iter()
        .zip(&ids)
        .filter_map(|(p, &parcel_id)| {
            p.draft.parent.map(|parent_id| ParcelLineage {
                parcel_id,
                parent_id,
                kind: "split",
            })
        })
        .collect();
    insert_lineage(conn, &links, now).await?;
    for (p, id) in new.iter().zip(&ids) {
        let d = &p.draft;
        crate::audit::record(
            conn,
            who,
            "create",
            "parcel",
            Some(id.to_string()),
            json!({
                "project": project.code,
                "commune_id": p.commune_id,
                "map_sheet": d.map_sheet,
                "parcel_no": d.parcel_no,
                "land_use": d.land_use.as_str(),
                "status": d.status.as_str(),
                "area_m2": d.geometry.area_m2,
                "parent_parcel": d.parent,
            }),
        )
        .await?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_checked() {
        assert!(matches!(
            parse_statuses("agreed,paid").as_deref(),
            Ok([ParcelStatus::Agreed, ParcelStatus::Paid])
        ));
        assert!(parse_statuses("done").is_err());
        assert!(parse_statuses(",").is_err());
    }

    #[test]
    fn drafts_report_missing_fields() {
        let f = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[108.80, 15.35], [108.801, 15.35], [108.801, 15.351], [108.80, 15.35]]]},
            "properties": {"map_sheet": "5", "commune": "21043", "land_use": "LUC"}});
        match draft(3, &f) {
            Err(e) => {
                assert_eq!(e.index, 3);
                assert_eq!(e.code, "missing_parcel_no");
                assert_eq!(e.map_sheet.as_deref(), Some("5"));
            }
            Ok(_) => panic!("accepted a feature without parcel_no"),
        }
    }
}
