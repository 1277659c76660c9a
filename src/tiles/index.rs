//! The in-memory tile index: per project, every parcel packed (`store`) in an R-tree, loaded
//! lazily on the first tile request and dropped when the project has not been asked for a
//! while. Writes through this server update it at once (`parcels_changed`) and, on PostgreSQL,
//! notify the other servers of the database, which apply them to their own index
//! (`apply_remote`, see `db::notify`). Writes by other processes that send nothing (CLI import,
//! demo) are caught by a cheap change stamp checked at most every `GPMB_TILE_CHECK_SECS`.
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    TransactionTrait, Value,
};

use super::overview::{self, Pyramid};
use super::store::{quantise, RawParcel, Store};
use crate::db::dialect::{self, Sql};
use crate::db::notify::{Change, Notifier};
use crate::db::Db;
use crate::entities::{admin_units, parcels};
use crate::geo::tiling::tile_rect;

/// Encoded tiles kept per project before the cache starts over.
const CACHE_BYTES: usize = 48 * 1024 * 1024;
/// Rows read per query while loading a project.
const LOAD_PAGE: usize = 5_000;
/// How often, at most, loaded projects are looked over for eviction.
const SWEEP_EVERY: Duration = Duration::from_mins(1);

/// When the index looks for other processes' writes and when it forgets a project.
#[derive(Clone, Copy, Debug)]
pub struct TileSettings {
    pub check_every: Duration,
    pub evict_after: Duration,
}

impl From<&crate::config::Settings> for TileSettings {
    fn from(s: &crate::config::Settings) -> Self {
        TileSettings {
            check_every: Duration::from_secs(s.tile_check_secs),
            evict_after: Duration::from_secs(s.tile_evict_minutes.saturating_mul(60)),
        }
    }
}

/// What changes when parcels are added, removed or change status, read in three index
/// lookups whatever the project's size (it is checked every second): the parcels that left
/// the project (a count kept by triggers), the last status event and the last parcel id.
/// Other attribute writes by other processes are not seen here; bulk writers call
/// `invalidate_project`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct Stamp {
    pub removed: i64,
    pub last_event: i64,
    pub last_parcel: i64,
}

struct Loaded {
    /// Changes with every write applied: a cached tile of the same generation is current
    /// without looking at its parcels again.
    generation: u64,
    store: Store,
    /// Overview cells of z ≤ 12, kept with the store.
    pyramid: Pyramid,
    stamp: Stamp,
}

/// How a tile is drawn: its parcels one by one, or an overview of its cells.
enum Plan<'a> {
    Parcels(Vec<&'a super::store::Record>),
    Overview(overview::Cells),
}

/// What a tile request finds: the ETag of the tile's contents and, unless the client already
/// has that version, the encoded tile (`None` when empty).
pub enum TileAnswer {
    NotModified(u64),
    Empty,
    Tile(u64, Bytes),
}

/// A tile as drawn: the index generation it was drawn from, its ETag and bytes.
type Drawn = (u64, u64, Option<Bytes>);

#[derive(Default)]
struct TileCache {
    tiles: HashMap<(u8, u32, u32), Drawn>,
    bytes: usize,
}

/// Tiles up to this zoom stay when the cache is full: they are few and each costs thousands
/// of parcels to draw again, where a detailed tile costs a few dozen.
const KEEP_ZOOM: u8 = 14;

fn drawn_size(d: &Drawn) -> usize {
    d.2.as_ref().map_or(0, Bytes::len) + 64
}

impl TileCache {
    fn insert(&mut self, key: (u8, u32, u32), drawn: Drawn) {
        let size = drawn_size(&drawn);
        if self.bytes + size > CACHE_BYTES {
            self.tiles.retain(|&(z, _, _), _| z <= KEEP_ZOOM);
            self.bytes = self.tiles.values().map(drawn_size).sum();
            if self.bytes + size > CACHE_BYTES {
                self.tiles.clear();
                self.bytes = 0;
            }
        }
        if let Some(old) = self.tiles.insert(key, drawn) {
            self.bytes = self.bytes.saturating_sub(drawn_size(&old));
        }
        self.bytes += size;
    }
}

struct Slot {
    data: RwLock<Option<Loaded>>,
    stale: AtomicBool,
    load: tokio::sync::Mutex<()>,
    last_check: Mutex<Instant>,
    last_used: Mutex<Instant>,
    checking: AtomicBool,
    cache: Mutex<TileCache>,
    generation: AtomicU64,
}

impl Slot {
    fn new() -> Self {
        Slot {
            data: RwLock::new(None),
            stale: AtomicBool::new(false),
            load: tokio::sync::Mutex::new(()),
            last_check: Mutex::new(Instant::now()),
            last_used: Mutex::new(Instant::now()),
            checking: AtomicBool::new(false),
            cache: Mutex::new(TileCache::default()),
            generation: AtomicU64::new(0),
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
    settings: TileSettings,
    slots: Arc<RwLock<HashMap<i32, Arc<Slot>>>>,
    codes: Arc<RwLock<HashMap<String, i32>>>,
    last_sweep: Arc<Mutex<Instant>>,
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

impl From<Row> for RawParcel {
    fn from(r: Row) -> Self {
        RawParcel {
            id: r.id,
            status: r.status,
            land_use: r.land_use,
            map_sheet: r.map_sheet,
            parcel_no: r.parcel_no,
            area_m2: r.area_m2,
            commune: r.commune_code,
            version: r.version,
            geometry: r.geometry,
        }
    }
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
    "SELECT (SELECT CAST(COALESCE(MAX(n), 0) AS BIGINT) FROM parcel_removals WHERE project_id = $1) AS removed, \
     (SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM parcel_status_events) AS last_event, \
     (SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM parcels) AS last_parcel",
);

/// Tile rows of the given parcels still in use (a retired one is missing: it leaves the map).
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
    pub fn new(db: Db, notifier: Notifier, settings: TileSettings) -> Self {
        TileIndex {
            db,
            notifier,
            settings,
            slots: Arc::default(),
            codes: Arc::default(),
            last_sweep: Arc::new(Mutex::new(Instant::now())),
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
            Change::Missed => self.forget_all(),
            _ => {}
        }
    }

    /// Every loaded project reloads on its next tile (changes may have been missed).
    fn forget_all(&self) {
        for id in self.loaded_projects() {
            self.forget_project(id);
        }
    }

    fn forget_project(&self, project_id: i32) {
        if let Some(slot) = self.slot_if_any(project_id) {
            slot.stale.store(true, Ordering::SeqCst);
            slot.clear_cache();
        }
    }

    /// Projects whose index is in memory now.
    pub fn loaded_projects(&self) -> Vec<i32> {
        self.slots
            .read()
            .map(|m| {
                m.iter()
                    .filter(|(_, s)| s.loaded_stamp().is_some())
                    .map(|(id, _)| *id)
                    .collect()
            })
            .unwrap_or_default()
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
    /// check of its change stamp when the last one is older than `check_every`.
    async fn ready(&self, project_id: i32) -> Result<Arc<Slot>, DbErr> {
        self.maybe_evict(project_id);
        let slot = self.slot(project_id);
        if let Ok(mut t) = slot.last_used.lock() {
            *t = Instant::now();
        }
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

    /// Drops the index of projects not asked for within `evict_after` (not `current`).
    fn maybe_evict(&self, current: i32) {
        let Ok(mut last) = self.last_sweep.lock() else {
            return;
        };
        if last.elapsed() < SWEEP_EVERY.min(self.settings.evict_after) {
            return;
        }
        *last = Instant::now();
        drop(last);
        let slots: Vec<(i32, Arc<Slot>)> = self
            .slots
            .read()
            .map(|m| m.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default();
        for (project_id, slot) in slots {
            let idle = slot
                .last_used
                .lock()
                .is_ok_and(|t| t.elapsed() >= self.settings.evict_after);
            if project_id == current || !idle || slot.loaded_stamp().is_none() {
                continue;
            }
            // A load in progress keeps its project.
            let Ok(_guard) = slot.load.try_lock() else {
                continue;
            };
            if let Ok(mut d) = slot.data.write() {
                *d = None;
            }
            slot.clear_cache();
            tracing::info!(project_id, "tile index dropped after being unused");
        }
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
        let (store, pyramid) = match self.db.sqlite_file() {
            Some(file) => tokio::task::spawn_blocking(move || {
                let mut store = Store::default();
                // A row whose geometry cannot be read has no shape on the map.
                super::sqlite_read::read(&file, project_id, |p| {
                    store.push(p);
                })
                .map_err(|e| DbErr::Custom(format!("reading the parcels failed: {e}")))?;
                Ok::<_, DbErr>(store.finish_with(Pyramid::build))
            })
            .await
            .map_err(|e| DbErr::Custom(format!("building the tile index failed: {e}")))??,
            None => self.read_and_pack(project_id).await?,
        };
        tracing::info!(
            project_id,
            parcels = store.len(),
            mb = (store.bytes() + pyramid.bytes()) / (1024 * 1024),
            ms = started.elapsed().as_millis() as u64,
            "tile index loaded"
        );
        if let Ok(mut d) = slot.data.write() {
            *d = Some(Loaded {
                generation: slot.generation.fetch_add(1, Ordering::SeqCst) + 1,
                store,
                pyramid,
                stamp: before,
            });
        }
        slot.clear_cache();
        Ok(())
    }

    /// Reads the project's parcels through the pool (PostgreSQL) and packs them on a blocking
    /// thread while the next page is read.
    async fn read_and_pack(&self, project_id: i32) -> Result<(Store, Pyramid), DbErr> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Row>>(2);
        let packer = tokio::task::spawn_blocking(move || {
            let mut store = Store::default();
            while let Some(page) = rx.blocking_recv() {
                for row in page {
                    // A row whose geometry cannot be read has no shape on the map.
                    store.push(&RawParcel::from(row));
                }
            }
            store.finish_with(Pyramid::build)
        });
        let read = self.read_pages(project_id, tx).await;
        let built = packer
            .await
            .map_err(|e| DbErr::Custom(format!("building the tile index failed: {e}")))?;
        read?;
        Ok(built)
    }

    /// Sends the project's parcels page by page, in id order, on one connection: memory stays
    /// bounded by a page of rows, and SQLite's page cache filled by the scan is handed back.
    async fn read_pages(
        &self,
        project_id: i32,
        tx: tokio::sync::mpsc::Sender<Vec<Row>>,
    ) -> Result<(), DbErr> {
        let txn = self.db.conn.begin().await?;
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
            if tx.send(rows).await.is_err() {
                return Err(DbErr::Custom("the tile index builder stopped".into()));
            }
            if !full {
                break;
            }
        }
        dialect::release_memory(&txn).await?;
        txn.commit().await
    }

    fn maybe_check(&self, project_id: i32, slot: &Arc<Slot>) {
        let due = slot
            .last_check
            .lock()
            .map_or(true, |t| t.elapsed() >= self.settings.check_every);
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

    /// Parcels written by this server (status/attribute change, POST, retirement): tells the
    /// other servers and updates the loaded projects at once. Never fails the caller's request,
    /// which is already committed: on a database error the affected projects are reloaded on
    /// their next tile request.
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
                    self.forget_all();
                    return;
                }
            }
        }
        let mut by_project: HashMap<i32, Vec<Row>> = HashMap::new();
        for r in rows {
            by_project.entry(r.project_id).or_default().push(r);
        }
        for project_id in self.loaded_projects() {
            let rows = by_project.remove(&project_id).unwrap_or_default();
            // Retired, or now in another project: off this project's map.
            let mine: HashSet<i32> = rows.iter().map(|r| r.id).collect();
            let gone: Vec<i32> = ids
                .iter()
                .copied()
                .filter(|id| !mine.contains(id))
                .collect();
            self.apply(project_id, rows, &gone).await;
        }
    }

    /// Puts changed rows into a loaded project and takes gone (or moved) parcels off it.
    async fn apply(&self, project_id: i32, rows: Vec<Row>, gone: &[i32]) {
        let Some(slot) = self.slot_if_any(project_id) else {
            return;
        };
        // The stamp now includes this write: adopt it so the check does not reload. (A write
        // by another process in the same instant is then seen at its next change or
        // invalidation only; the window is this one query.)
        let now = stamp(&self.db.conn, project_id).await;
        let Ok(mut guard) = slot.data.write() else {
            self.forget_project(project_id);
            return;
        };
        let Some(loaded) = guard.as_mut() else {
            return;
        };
        loaded.generation = slot.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let Loaded { store, pyramid, .. } = loaded;
        for id in gone {
            if let Some(old) = store.get(*id).copied() {
                pyramid.add(store, &old, -1);
                store.remove(*id);
            }
        }
        for row in rows {
            if let Some(old) = store.get(row.id).copied() {
                pyramid.add(store, &old, -1);
            }
            let id = row.id;
            if store.upsert(&RawParcel::from(row)) {
                if let Some(new) = store.get(id).copied() {
                    pyramid.add(store, &new, 1);
                }
            } else {
                // Unreadable now: off the map until the reload reads it again.
                store.remove(id);
                slot.stale.store(true, Ordering::SeqCst);
            }
        }
        if loaded.store.wasteful() {
            slot.stale.store(true, Ordering::SeqCst);
        }
        match now {
            Ok(now) => loaded.stamp = now,
            Err(_) => slot.stale.store(true, Ordering::SeqCst),
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
        let Some(loaded) = guard.as_ref() else {
            return Ok(TileAnswer::Empty);
        };
        let rect = tile_rect(
            z,
            x,
            y,
            f64::from(super::encode::BUFFER) / f64::from(super::encode::EXTENT),
        );
        let generation = loaded.generation;
        // Nothing written since this tile was drawn: answer without looking at its parcels.
        if let Some((_, etag, bytes)) = slot
            .cache
            .lock()
            .ok()
            .and_then(|c| c.tiles.get(&(z, x, y)).cloned())
            .filter(|(g, _, _)| *g == generation)
        {
            return Ok(answer(etag, bytes, known));
        }
        let (min, max) = (
            [quantise(rect.min_x), quantise(rect.min_y)],
            [quantise(rect.max_x), quantise(rect.max_y)],
        );
        // Overviews by project size, not per tile: a project looks the same in every tile of a zoom.
        let overview = loaded.pyramid.overview_at(z);
        let (etag, plan) = if overview {
            let cells = overview::cells(&loaded.pyramid, z, x, y);
            if cells.is_empty() {
                return Ok(TileAnswer::Empty);
            }
            (cells.etag(&loaded.pyramid, x, y), Plan::Overview(cells))
        } else {
            let found = loaded.store.find(min, max);
            if found.is_empty() {
                return Ok(TileAnswer::Empty);
            }
            let mut h = super::etag_hasher();
            (z, x, y, found.len()).hash(&mut h);
            for r in &found {
                (r.id, r.hash).hash(&mut h);
            }
            (h.finish(), Plan::Parcels(found))
        };
        if known.contains(&etag) {
            return Ok(TileAnswer::NotModified(etag));
        }
        if let Some(hit) = slot
            .cache
            .lock()
            .ok()
            .and_then(|c| c.tiles.get(&(z, x, y)).cloned())
            .filter(|(_, tag, _)| *tag == etag)
        {
            // Drawn before a write that did not touch it: still current.
            if let Ok(mut c) = slot.cache.lock() {
                c.tiles.insert((z, x, y), (generation, etag, hit.2.clone()));
            }
            return Ok(answer(etag, hit.2, known));
        }
        let bytes = match plan {
            Plan::Overview(cells) => overview::encode(&loaded.store, &loaded.pyramid, &cells),
            Plan::Parcels(found) => super::encode::encode(&loaded.store, &found, z, x, y),
        }
        .map(Bytes::from);
        drop(guard);
        if let Ok(mut c) = slot.cache.lock() {
            c.insert((z, x, y), (generation, etag, bytes.clone()));
        }
        Ok(match bytes {
            Some(b) => TileAnswer::Tile(etag, b),
            None => TileAnswer::Empty,
        })
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

/// A drawn tile as the client needs it: 304 when it holds this ETag.
fn answer(etag: u64, bytes: Option<Bytes>, known: &[u64]) -> TileAnswer {
    if known.contains(&etag) {
        return TileAnswer::NotModified(etag);
    }
    match bytes {
        Some(b) => TileAnswer::Tile(etag, b),
        None => TileAnswer::Empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full cache drops the detailed tiles and keeps the costly low-zoom ones.
    #[test]
    fn a_full_cache_keeps_its_low_zoom_tiles() {
        let mut cache = TileCache::default();
        let mb = || Some(Bytes::from(vec![0u8; 1024 * 1024]));
        cache.insert((12, 1, 1), (1, 7, mb()));
        for x in 0..60 {
            cache.insert((18, x, 1), (1, x.into(), mb()));
        }
        assert!(cache.tiles.contains_key(&(12, 1, 1)));
        assert!(cache.tiles.contains_key(&(18, 59, 1)));
        assert!(cache.tiles.len() < 50);
        assert!(cache.bytes <= CACHE_BYTES);
        assert_eq!(
            cache.bytes,
            cache.tiles.values().map(drawn_size).sum::<usize>()
        );
    }
}
