//! Case stages per household in legal order, with their legal deadlines (issue 6). The rules
//! themselves live in `crate::legal`; this module reads and records events.
pub mod bulk;
pub mod dto;
pub mod handlers;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::get_case))
        .routes(routes!(handlers::record_stage))
        .routes(routes!(handlers::rules))
        .routes(routes!(handlers::calendar))
        .routes(routes!(bulk::record_bulk))
}
