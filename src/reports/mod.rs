//! Period numbers per commune and working group, and the periodic reports (issue 6 item 5, issue 7).
pub mod cli;
pub mod dto;
pub mod handlers;
pub mod period;
pub mod render;
pub mod service;
pub mod settings;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::stats))
        .routes(routes!(handlers::report))
        .routes(routes!(settings::get, settings::put))
}
