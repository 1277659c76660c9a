//! Project progress, read from counters that every status or stance change updates in its own
//! transaction, so the progress endpoint never scans parcels (it answers in constant time at
//! a million parcels). `rebuild_counters` recomputes them after bulk loads. `service` reads
//! them for the endpoint, the dashboard and the public page alike.
pub mod counters;
pub mod dto;
pub mod handlers;
pub mod service;

pub use counters::{apply_parcel_status_change, apply_stance_change, rebuild_counters};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(handlers::progress))
}
