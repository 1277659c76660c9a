//! The application state every handler receives: the database, settings and the shared
//! in-process services. Resources depend on this module; only `app.rs` depends on them.
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::auth::AuthCache;
use crate::config::Settings;
use crate::db::notify::{self, Notifier};
use crate::db::Db;
use crate::metrics::Metrics;

/// Cloned for every request (by the extractor and each middleware given the state): one
/// shared `Arc`, so a clone is one counter, not one per service.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub auth_cache: AuthCache,
    /// Failed-login counts per user name and address.
    pub login_throttle: crate::auth::LoginThrottle,
    pub metrics: Arc<Metrics>,
    pub visits: crate::visits::writer::VisitWriter,
    /// Vector tiles of each project's parcels (in memory, loaded on first use).
    pub tiles: crate::tiles::TileIndex,
    /// Cancelled when the server stops: ends the background listener.
    stop: CancellationToken,
    /// True once the listener listens (always true on SQLite, which has none).
    listening: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    /// Builds the state and starts its background workers: the visit writer and, on
    /// PostgreSQL, the listener that applies the other servers' changes (`db::notify`).
    pub fn new(db: Db, settings: Settings) -> Self {
        let metrics = Arc::new(Metrics::default());
        let visits = crate::visits::writer::VisitWriter::start(db.clone(), metrics.clone());
        let notifier = Notifier::new(&db.conn);
        let tiles = crate::tiles::TileIndex::new(
            db.clone(),
            notifier.clone(),
            crate::tiles::TileSettings::from(&settings),
        );
        let auth_cache = AuthCache::new(notifier.clone());
        let stop = CancellationToken::new();
        let (ready, listening) = tokio::sync::watch::channel(notifier.pool().is_none());
        if let Some(pool) = notifier.pool() {
            let (tiles, auth_cache) = (tiles.clone(), auth_cache.clone());
            tokio::spawn(notify::listen(
                pool.clone(),
                notifier.origin(),
                stop.clone(),
                ready,
                move |change| {
                    let (tiles, auth_cache) = (tiles.clone(), auth_cache.clone());
                    async move {
                        auth_cache.apply_remote(&change);
                        tiles.apply_remote(&change).await;
                    }
                },
            ));
        }
        AppState(Arc::new(Services {
            tiles,
            db,
            settings: Arc::new(settings),
            auth_cache,
            login_throttle: crate::auth::LoginThrottle::default(),
            metrics,
            visits,
            stop,
            listening,
        }))
    }

    /// Waits (at most `limit`) until this server hears the other servers' changes, so none
    /// sent after it starts answering is missed; false if it does not yet (it keeps trying).
    pub async fn listening(&self, limit: Duration) -> bool {
        let mut rx = self.listening.clone();
        tokio::time::timeout(limit, rx.wait_for(|l| *l))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Stops the background listener (the server is shutting down).
    pub fn shutdown(&self) {
        self.stop.cancel();
    }
}
