//! Grievances (đơn thư): complaints, denunciations, petitions and feedback from one or many
//! households, with their legal deadlines (issue 6). Contents and signers are personal data:
//! reads need `ReadPersonal`, are limited to the caller's area and audited.
pub mod dto;
pub mod handlers;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::get, handlers::update))
        .routes(routes!(handlers::appeal))
        .routes(routes!(handlers::assignees))
}
