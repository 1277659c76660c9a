//! Exports of parcels, households, visits and grievances: GeoJSON, CSV, XLSX, GeoPackage (issue 7).
pub mod cli;
pub mod formats;
pub mod handlers;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(handlers::export))
}
