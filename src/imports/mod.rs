//! Parcel import (GeoJSON, zipped Shapefile, VN-2000) and household import (CSV, XLSX) (issue 7).
pub mod cli;

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
