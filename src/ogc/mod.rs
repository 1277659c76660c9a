//! OGC API Features (Part 1 Core, GeoJSON) over the parcels of each project (issue 4).
use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
