//! The field app's API: a member's work list, the household page in one answer, and
//! next-visit assignments by group leaders (issue 5). Visit edits and commitment ticks are in
//! `visits`.
pub mod compensation;
pub mod dto;
pub mod handlers;
pub mod keys;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::my_work))
        .routes(routes!(handlers::household))
        .routes(routes!(handlers::assign))
        .routes(routes!(keys::key))
        // Work lists run to hundreds of households; phones fetch them over 3G.
        .layer(tower_http::compression::CompressionLayer::new())
}
