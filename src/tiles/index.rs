//! The in-memory tile index: per project, every parcel's attributes and Web Mercator geometry
//! in an R-tree, loaded lazily on the first tile request. Writes through this server update it
//! at once (`parcels_changed`) and, on PostgreSQL, notify the other servers of the database,
//! which apply them to their own index (`apply_remote`, see `db::notify`). Writes by other
//! processes that send nothing (CLI import, demo) are caught by a cheap change stamp checked
//! at most once a second (`GPMB_TILE_CHECK_SECS`) in the background.
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    TransactionTrait, Value,
};

use crate::db::dialect::{self, Sql};
use crate::db::notify::{Change, Notifier};
use crate::db::Db;
use crate::entities::{admin_units, parcels};
use crate::geo::tiling::{lonlat_to_world, tile_rect};

/// Encoded tiles kept per project before the cache starts over.
const CACHE_BYTES: usize = 48 * 1024 * 1024;
/// Rows read per query while loading a project.
const LOAD_PAGE: usize = 5_000;

/// A parcel as tiles show it: no personal data, geometry in world units (see `geo::tiling`).
#[derive(Clone, Debug)]
pub struct TileParcel {
    pub id: i32,
    pub status: String,
    pub land_use: String,
    pub map_sheet: String,
    pub parcel_no: String,
    pub area_m2: f64,
    /// The commune's code, as the parcels API reports it.
    pub commune: String,
    pub version: i32,
    /// Polygons → rings → world coordinates.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
    /// min_x, min_y, max_x, max_y in world units.
    pub bbox: [f64; 4],
    /// Hash of everything a tile shows of the parcel: the tile ETag is built from these.
    pub content_hash: u64,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// What changes when parcels are added, removed or change status, read in a few index
/// lookups (no table scan, so it can be checked every second at a million parcels): the
/// project's parcel count, the last status event and the last parcel id. Other attribute
/// writes by other processes are not seen here; bulk writers call `invalidate_project`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct Stamp {
    pub n: i64,
    pub v: i64,
    pub m: i64,
}

struct ProjectTiles {
    tree: RTree<Entry>,
    parcels: Vec<TileParcel>,
    by_id: HashMap<i32, u32>,
    stamp: Stamp,
}

/// What a tile request finds: the ETag of the tile's contents and, unless the client already
/// has that version, the encoded tile (`None` when empty).
pub enum TileAnswer {
    NotModified(u64),
    Empty,
    Tile(u64, Bytes),
}

#[derive(Default)]
struct TileCache {
    tiles: HashMap<(u8, u32, u32), (u64, Option<Bytes>)>,
    bytes: usize,
}

struct Slot {
    data: RwLock<Option<ProjectTiles>>,
    stale: AtomicBool,
    load: tokio::sync::Mutex<()>,
    last_check: Mutex<Instant>,
    checking: AtomicBool,
    cache: Mutex<TileCache>,
}

impl Slot {
    fn new() -> Self {
        Slot {
            data: RwLock::new(None),
            stale: AtomicBool::new(false),
            load: tokio::sync::Mutex::new(()),
            last_check: Mutex::new(Instant::now()),
            checking: AtomicBool::new(false),
            cache: Mutex::new(TileCache::default()),
        }
    }

    fn loaded_stamp(&self) -> Option<Stamp> {
        self.data.read().ok()?.as_ref().map(|d| d.stamp)
    }

    fn clear_cache(&self) {
        if let Ok(mut c) = self.cache.lock() {
            *c = TileCache::default();
        }
    }
}

/// The tile index of every project this server has served tiles of. Cheap to clone.
#[derive(Clone)]
pub struct TileIndex {
    db: Db,
    /// Tells the other servers of the database what this one changed.
    notifier: Notifier,
    /// How often at most the change stamp of a loaded project is read.
    check_every: Duration,
    slots: Arc<RwLock<HashMap<i32, Arc<Slot>>>>,
    codes: Arc<RwLock<HashMap<String, i32>>>,
}

#[derive(FromQueryResult)]
struct Row {
    id: i32,
    project_id: i32,
    status: String,
    land_use: String,
    map_sheet: String,
    parcel_no: String,
    area_m2: f64,
    commune_code: String,
    version: i32,
    geometry: String,
}

/// A page of a project's parcels after an id. The unary `+` keeps SQLite from choosing the
/// project index and sorting every page (sea-query cannot say it: fixed text).
const LOAD_PAGE_SQL: Sql = Sql::new(
    "SELECT p.id, p.project_id, p.status, p.land_use, p.map_sheet, p.parcel_no, \
     p.area_m2, u.code AS commune_code, p.version, p.geometry \
     FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
     WHERE p.id > $2 AND +p.project_id = $1 AND p.retired_at IS NULL ORDER BY p.id LIMIT $3",
);

/// The change stamp of a project, in three index lookups.
const STAMP_SQL: Sql = Sql::new(
    "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM parcels WHERE project_id = $1) AS n, \
     (SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM parcel_status_events) AS v, \
     (SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM parcels) AS m",
);

/// Tile rows of the given parcels.
fn rows_of(ids: &[i32]) -> sea_orm::Select<parcels::Entity> {
    use parcels::Column as P;
    parcels::Entity::find()
        .select_only()
        .columns([
            P::Id,
            P::ProjectId,
            P::Status,
            P::LandUse,
            P::MapSheet,
            P::ParcelNo,
            P::AreaM2,
            P::Version,
            P::Geometry,
        ])
        .column_as(admin_units::Column::Code, "commune_code")
        .join(
            sea_orm::JoinType::InnerJoin,
            parcels::Entity::belongs_to(admin_units::Entity)
                .from(P::CommuneId)
                .to(admin_units::Column::Id)
                .into(),
        )
        .filter(P::Id.is_in(ids.iter().copied()))
        .filter(P::RetiredAt.is_null())
}

impl TileIndex {
    pub fn new(db: Db, notifier: Notifier, check_every: Duration) -> Self {
        TileIndex {
            db,
            notifier,
            check_every,
            slots: Arc::default(),
            codes: Arc::default(),
        }
    }

    /// Drops what is known of a project so the next tile request reloads it from the database
    /// (call after bulk writes such as a web upload), here and on the other servers.
    pub fn invalidate_project(&self, project_id: i32) {
        self.notifier.send_later(Change::Project(project_id));
        self.forget_project(project_id);
    }

    /// A change another server of the database made (see `db::notify::listen`).
    pub async fn apply_remote(&self, change: &Change) {
        match change {
            Change::Parcels(ids) => self.apply_parcels(ids).await,
            Change::Project(id) => self.forget_project(*id),
            Change::Missed => {
                let all: Vec<i32> = self
                    .slots
                    .read()
                    .map(|m| m.keys().copied().collect())
                    .unwrap_or_default();
                for id in all {
                    self.forget_project(id);
                }
            }
            _ => {}
        }
    }

    fn forget_project(&self, project_id: i32) {
        if let Some(slot) = self.slot_if_any(project_id) {
            slot.stale.store(true, Ordering::SeqCst);
            slot.clear_cache();
        }
    }

    /// The project id of a code, from memory after the first lookup.
    pub async fn project_id(&self, code: &str) -> Result<Option<i32>, DbErr> {
        if let Some(id) = self.codes.read().ok().and_then(|m| m.get(code).copied()) {
            return Ok(Some(id));
        }
        let Some(project) = crate::projects::service::by_code(&self.db.conn, code).await? else {
            return Ok(None);
        };
        if let Ok(mut m) = self.codes.write() {
            m.insert(code.to_string(), project.id);
        }
        Ok(Some(project.id))
    }

    fn slot_if_any(&self, project_id: i32) -> Option<Arc<Slot>> {
        self.slots.read().ok()?.get(&project_id).cloned()
    }

    fn slot(&self, project_id: i32) -> Arc<Slot> {
        if let Some(s) = self.slot_if_any(project_id) {
            return s;
        }
        match self.slots.write() {
            Ok(mut m) => m
                .entry(project_id)
                .or_insert_with(|| Arc::new(Slot::new()))
                .clone(),
            // A poisoned map only loses sharing: this request still gets a working slot.
            Err(_) => Arc::new(Slot::new()),
        }
    }

    /// Loads the project if it is not in memory or was invalidated, and starts a background
    /// check of its change stamp when the last one is older than a second.
    async fn ready(&self, project_id: i32) -> Result<Arc<Slot>, DbErr> {
        let slot = self.slot(project_id);
        let loaded = slot.loaded_stamp().is_some();
        if !loaded || slot.stale.load(Ordering::SeqCst) {
            let _guard = slot.load.lock().await;
            if slot.loaded_stamp().is_none() || slot.stale.load(Ordering::SeqCst) {
                self.reload(project_id, &slot).await?;
            }
        } else {
            self.maybe_check(project_id, &slot);
        }
        Ok(slot)
    }

    /// Reads every parcel of the project and swaps the new index in. Caller holds `slot.load`.
    async fn reload(&self, project_id: i32, slot: &Slot) -> Result<(), DbErr> {
        // Cleared before reading: an invalidation during the read marks it stale again.
        slot.stale.store(false, Ordering::SeqCst);
        if let Ok(mut t) = slot.last_check.lock() {
            *t = Instant::now();
        }
        // Read before the rows: a write in between makes the next check reload again, never
        // leaves it unseen.
        let before = stamp(&self.db.conn, project_id).await?;
        let started = Instant::now();
        // In pages by primary key (the unary `+` keeps SQLite from choosing the project index
        // and sorting every page) on one connection: memory stays bounded by a page of rows, not the whole
        // project's rows at once, and SQLite's page cache filled by the scan is handed back.
        let txn = self.db.conn.begin().await?;
        let mut parcels: Vec<TileParcel> = Vec::new();
        let mut after = 0;
        loop {
            let rows = Row::find_by_statement(dialect::statement(
                self.db.backend(),
                LOAD_PAGE_SQL,
                [
                    Value::from(project_id),
                    Value::from(after),
                    Value::from(LOAD_PAGE as i64),
                ],
            ))
            .all(&txn)
            .await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = last.id;
            let full = rows.len() == LOAD_PAGE;
            // A row whose geometry cannot be read has no shape on the map.
            parcels.extend(rows.into_iter().filter_map(to_parcel));
            if !full {
                break;
            }
        }
        dialect::release_memory(&txn).await?;
        txn.commit().await?;
        let count = parcels.len();
        let tiles = tokio::task::spawn_blocking(move || build(parcels, before))
            .await
            .map_err(|e| DbErr::Custom(format!("building the tile index failed: {e}")))?;
        tracing::info!(
            project_id,
            parcels = count,
            ms = started.elapsed().as_millis() as u64,
            "tile index loaded"
        );
        if let Ok(mut d) = slot.data.write() {
            *d = Some(tiles);
        }
        slot.clear_cache();
        Ok(())
    }

    fn maybe_check(&self, project_id: i32, slot: &Arc<Slot>) {
        let due = slot
            .last_check
            .lock()
            .map_or(true, |t| t.elapsed() >= self.check_every);
        if !due
            || slot
                .checking
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
        {
            return;
        }
        let this = self.clone();
        let slot = slot.clone();
        tokio::spawn(async move {
            if let Err(e) = this.check(project_id, &slot).await {
                tracing::warn!(project_id, error = %e, "tile index: change check failed");
            }
            if let Ok(mut t) = slot.last_check.lock() {
                *t = Instant::now();
            }
            slot.checking.store(false, Ordering::SeqCst);
        });
    }

    /// Reloads the project when its stamp in the database differs from the loaded one: some
    /// other process wrote parcels. Meanwhile requests are served from the old index.
    async fn check(&self, project_id: i32, slot: &Slot) -> Result<(), DbErr> {
        let current = stamp(&self.db.conn, project_id).await?;
        if slot.loaded_stamp() == Some(current) {
            return Ok(());
        }
        let _guard = slot.load.lock().await;
        // Re-read under the lock: a reload or an update may have caught up meanwhile.
        let current = stamp(&self.db.conn, project_id).await?;
        if slot.loaded_stamp() != Some(current) {
            self.reload(project_id, slot).await?;
        }
        Ok(())
    }

    /// Parcels written by this server (status/attribute change, POST): tells the other servers
    /// and updates the loaded projects at once. Never fails the caller's request, which is
    /// already committed: on a database error the affected projects are reloaded on their next
    /// tile request.
    #[tracing::instrument(skip_all, fields(n = ids.len()))]
    pub async fn parcels_changed(&self, ids: &[i32]) {
        if ids.is_empty() {
            return;
        }
        self.notifier.send(&Change::Parcels(ids.to_vec())).await;
        self.apply_parcels(ids).await;
    }

    /// Re-reads the given parcels into the loaded projects.
    async fn apply_parcels(&self, ids: &[i32]) {
        if ids.is_empty() || self.slots.read().map_or(true, |m| m.is_empty()) {
            return;
        }
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            match rows_of(chunk).into_model::<Row>().all(&self.db.conn).await {
                Ok(r) => rows.extend(r),
                Err(e) => {
                    tracing::warn!(error = %e, "tile index: re-reading changed parcels failed");
                    let all: Vec<i32> = self
                        .slots
                        .read()
                        .map(|m| m.keys().copied().collect())
                        .unwrap_or_default();
                    for id in all {
                        self.forget_project(id);
                    }
                    return;
                }
            }
        }
        let mut by_project: HashMap<i32, Vec<Row>> = HashMap::new();
        for r in rows {
            by_project.entry(r.project_id).or_default().push(r);
        }
        for (project_id, rows) in by_project {
            let Some(slot) = self.slot_if_any(project_id) else {
                continue;
            };
            // The stamp now includes this write: adopt it so the check does not reload. (A
            // write by another process in the same instant is then seen at its next change or
            // invalidation only; the window is this one query.)
            let now = stamp(&self.db.conn, project_id).await;
            let Ok(mut guard) = slot.data.write() else {
                self.forget_project(project_id);
                continue;
            };
            let Some(tiles) = guard.as_mut() else {
                continue;
            };
            for row in rows {
                match to_parcel(row) {
                    Some(p) => tiles.upsert(p),
                    None => slot.stale.store(true, Ordering::SeqCst),
                }
            }
            match now {
                Ok(now) => tiles.stamp = now,
                Err(_) => slot.stale.store(true, Ordering::SeqCst),
            }
        }
    }

    /// The tile (z, x, y) of a project; `known` is the ETag hash the client holds, if any.
    pub async fn tile(
        &self,
        project_id: i32,
        z: u8,
        x: u32,
        y: u32,
        known: &[u64],
    ) -> anyhow::Result<TileAnswer> {
        let slot = self.ready(project_id).await?;
        let guard = slot
            .data
            .read()
            .map_err(|_| anyhow::anyhow!("tile index lock poisoned"))?;
        let Some(tiles) = guard.as_ref() else {
            return Ok(TileAnswer::Empty);
        };
        let rect = tile_rect(
            z,
            x,
            y,
            f64::from(super::encode::BUFFER) / f64::from(super::encode::EXTENT),
        );
        let envelope = AABB::from_corners([rect.min_x, rect.min_y], [rect.max_x, rect.max_y]);
        let mut found: Vec<&TileParcel> = tiles
            .tree
            .locate_in_envelope_intersecting(&envelope)
            .filter_map(|e| tiles.parcels.get(e.data as usize))
            .collect();
        if found.is_empty() {
            return Ok(TileAnswer::Empty);
        }
        found.sort_unstable_by_key(|p| p.id);
        let mut h = DefaultHasher::new();
        (z, x, y, found.len()).hash(&mut h);
        for p in &found {
            (p.id, p.content_hash).hash(&mut h);
        }
        let etag = h.finish();
        if known.contains(&etag) {
            return Ok(TileAnswer::NotModified(etag));
        }
        if let Some(hit) = slot
            .cache
            .lock()
            .ok()
            .and_then(|c| c.tiles.get(&(z, x, y)).cloned())
            .filter(|(tag, _)| *tag == etag)
        {
            return Ok(match hit.1 {
                Some(bytes) => TileAnswer::Tile(etag, bytes),
                None => TileAnswer::Empty,
            });
        }
        let bytes = super::encode::encode(&found, z, x, y)?.map(Bytes::from);
        drop(guard);
        if let Ok(mut c) = slot.cache.lock() {
            let size = bytes.as_ref().map_or(0, axum::body::Bytes::len) + 64;
            if c.bytes + size > CACHE_BYTES {
                *c = TileCache::default();
            }
            c.bytes += size;
            c.tiles.insert((z, x, y), (etag, bytes.clone()));
        }
        Ok(match bytes {
            Some(b) => TileAnswer::Tile(etag, b),
            None => TileAnswer::Empty,
        })
    }
}

impl ProjectTiles {
    fn upsert(&mut self, p: TileParcel) {
        let rect = |p: &TileParcel| {
            Rectangle::from_corners([p.bbox[0], p.bbox[1]], [p.bbox[2], p.bbox[3]])
        };
        if let Some(idx) = self.by_id.get(&p.id).copied() {
            let Some(old) = self.parcels.get_mut(idx as usize) else {
                return;
            };
            if old.bbox != p.bbox {
                self.tree.remove(&GeomWithData::new(rect(old), idx));
                self.tree.insert(GeomWithData::new(rect(&p), idx));
            }
            *old = p;
        } else {
            let idx = self.parcels.len() as u32;
            self.tree.insert(GeomWithData::new(rect(&p), idx));
            self.by_id.insert(p.id, idx);
            self.parcels.push(p);
        }
    }
}

/// The change stamp of a project in the database.
pub async fn stamp(conn: &impl ConnectionTrait, project_id: i32) -> Result<Stamp, DbErr> {
    Stamp::find_by_statement(dialect::statement(
        conn.get_database_backend(),
        STAMP_SQL,
        [Value::from(project_id)],
    ))
    .one(conn)
    .await
    .map(Option::unwrap_or_default)
}

fn build(parcels: Vec<TileParcel>, stamp: Stamp) -> ProjectTiles {
    let entries: Vec<Entry> = parcels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            GeomWithData::new(
                Rectangle::from_corners([p.bbox[0], p.bbox[1]], [p.bbox[2], p.bbox[3]]),
                i as u32,
            )
        })
        .collect();
    let by_id = parcels
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i as u32))
        .collect();
    ProjectTiles {
        tree: RTree::bulk_load(entries),
        parcels,
        by_id,
        stamp,
    }
}

#[derive(serde::Deserialize)]
struct GeoJsonGeometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: serde_json::Value,
}

/// Polygon / MultiPolygon GeoJSON text → polygons of rings of world coordinates.
pub fn world_polygons(geojson: &str) -> Option<Vec<Vec<Vec<[f64; 2]>>>> {
    let g: GeoJsonGeometry = serde_json::from_str(geojson).ok()?;
    let polygons: Vec<Vec<Vec<Vec<f64>>>> = match g.kind.as_str() {
        "Polygon" => vec![serde_json::from_value(g.coordinates).ok()?],
        "MultiPolygon" => serde_json::from_value(g.coordinates).ok()?,
        _ => return None,
    };
    let out: Vec<Vec<Vec<[f64; 2]>>> = polygons
        .into_iter()
        .map(|rings| {
            rings
                .into_iter()
                .map(|ring| {
                    ring.into_iter()
                        .filter(|c| c.len() >= 2)
                        .map(|c| {
                            let (x, y) = lonlat_to_world(c[0], c[1]);
                            [x, y]
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    Some(out)
}

fn to_parcel(row: Row) -> Option<TileParcel> {
    let polygons = world_polygons(&row.geometry)?;
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in polygons.iter().flatten().flatten() {
        bbox[0] = bbox[0].min(c[0]);
        bbox[1] = bbox[1].min(c[1]);
        bbox[2] = bbox[2].max(c[0]);
        bbox[3] = bbox[3].max(c[1]);
    }
    if !bbox.iter().all(|v| v.is_finite()) {
        return None;
    }
    let mut h = DefaultHasher::new();
    (
        row.id,
        row.version,
        &row.status,
        &row.land_use,
        &row.map_sheet,
        &row.parcel_no,
        row.area_m2.to_bits(),
        &row.commune_code,
        &row.geometry,
    )
        .hash(&mut h);
    Some(TileParcel {
        id: row.id,
        status: row.status,
        land_use: row.land_use,
        map_sheet: row.map_sheet,
        parcel_no: row.parcel_no,
        area_m2: row.area_m2,
        commune: row.commune_code,
        version: row.version,
        polygons,
        bbox,
        content_hash: h.finish(),
    })
}
