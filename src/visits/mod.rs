//! Visits of working groups to households: the heart of mobilisation. Writes go through
//! `writer::VisitWriter`, which commits concurrent visits together (group commit) and makes
//! an `Idempotency-Key` retry return the first visit instead of storing a second.
pub mod dto;
pub mod edit;
pub mod handlers;
pub mod service;
pub mod writer;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::get, handlers::update))
        .routes(routes!(handlers::history))
        .routes(routes!(
            handlers::commitment_done,
            handlers::commitment_reopen
        ))
}
