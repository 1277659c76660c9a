//! OGC API Features (Part 1 Core, GeoJSON) over the parcels of each project (issue 4), so GDAL
//! (`ogrinfo OAPIF:…/ogc`) and QGIS read them. Login by session, `Authorization: Bearer`
//! token or HTTP Basic with the token as the password (QGIS); `/ogc/api` describes it all; the caller's area scope applies as in the parcels API; parcel attributes only.
pub mod handlers;
pub mod openapi;
pub mod service;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(handlers::landing))
        .route("/ogc/", get(handlers::landing))
        .route("/ogc/api", get(handlers::api))
        .route("/ogc/conformance", get(handlers::conformance))
        .route("/ogc/collections", get(handlers::collections))
        .route("/ogc/collections/{collection}", get(handlers::collection))
        .route("/ogc/collections/{collection}/items", get(handlers::items))
        .route(
            "/ogc/collections/{collection}/items/{feature}",
            get(handlers::item),
        )
}
