//! Mapbox Vector Tiles of a project's parcels, served from an in-memory R-tree (issue 4).
use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
