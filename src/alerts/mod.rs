//! Alerts: overdue deadlines and commitments, households not visited, hot spots, splits after the cut-off (issue 6).
pub mod dto;
pub mod handlers;
pub mod hot_spots;
pub mod service;
pub mod triage;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list))
        .routes(routes!(handlers::review))
        .routes(routes!(handlers::hot_spots_of_project))
        .routes(routes!(handlers::groups))
        .routes(routes!(handlers::settings, handlers::set_settings))
}
