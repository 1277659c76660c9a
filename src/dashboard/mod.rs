//! Dashboard data for leaders: progress per status, commune, working group and over time,
//! server-drawn SVG charts (src/charts), and what the web map needs beside its tiles (status
//! colours, working groups' communes, the stance filter, a change stamp) (issue 4).
pub mod dto;
pub mod handlers;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::statuses))
        .routes(routes!(handlers::dashboard))
        .routes(routes!(handlers::chart))
        .routes(routes!(handlers::stance_parcels))
        .routes(routes!(handlers::changes))
}
