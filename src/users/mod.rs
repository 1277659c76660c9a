//! User accounts (admin): create, change role, reset password, disable.
pub mod cli;
pub mod dto;
pub mod handlers;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::update))
        .routes(routes!(handlers::reset_password))
}
