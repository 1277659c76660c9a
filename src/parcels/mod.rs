//! Parcels (thửa đất): listing with filters and cursor pagination (JSON or GeoJSON), adding
//! parcels from GeoJSON (all or nothing), and status / land-use changes guarded by `If-Match`
//! with a history of every status change.
pub mod areas;
pub mod dto;
pub mod handlers;
pub mod lineage;
pub mod panel;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::get, handlers::patch))
        .routes(routes!(handlers::history))
        .routes(routes!(panel::panel))
        .routes(routes!(lineage::split))
        .routes(routes!(lineage::merge))
        .routes(routes!(lineage::lineage))
        .routes(routes!(areas::communes))
}
