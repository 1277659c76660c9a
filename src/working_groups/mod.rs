//! Working groups (tổ công tác): the teams of the mass-mobilisation plan that visit households,
//! each covering some administrative units of a project.
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
}
