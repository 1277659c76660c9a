//! Parcel import (GeoJSON, zipped Shapefile, VN-2000) and household import (CSV, XLSX) (issue 7).
pub mod cli;
pub mod dto;
pub mod handlers;
pub mod households;
pub mod limits;
pub mod parcels;
pub mod service;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Largest upload accepted: cadastral files run to tens of megabytes.
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::parcels))
        .routes(routes!(handlers::households))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}
