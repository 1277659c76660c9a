//! The application state every handler receives: the database, settings and the shared
//! in-process services. Resources depend on this module; only `app.rs` depends on them.
use std::sync::Arc;

use crate::auth::AuthCache;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub auth_cache: AuthCache,
    /// Failed-login counts per user name and address.
    pub login_throttle: crate::auth::LoginThrottle,
    pub metrics: Arc<Metrics>,
    pub visits: crate::visits::writer::VisitWriter,
    /// Vector tiles of each project's parcels (in memory, loaded on first use).
    pub tiles: crate::tiles::TileIndex,
}

impl AppState {
    /// Builds the state and starts its background workers (the visit writer).
    pub fn new(db: Db, settings: Settings) -> Self {
        let metrics = Arc::new(Metrics::default());
        let visits = crate::visits::writer::VisitWriter::start(db.clone(), metrics.clone());
        AppState {
            tiles: crate::tiles::TileIndex::new(
                db.clone(),
                crate::tiles::TileSettings::from(&settings),
            ),
            db,
            settings: Arc::new(settings),
            auth_cache: AuthCache::default(),
            login_throttle: crate::auth::LoginThrottle::default(),
            metrics,
            visits,
        }
    }
}
