//! Exports of parcels, households, visits and grievances: GeoJSON, CSV, XLSX, GeoPackage (issue 7).
pub mod cli;

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
