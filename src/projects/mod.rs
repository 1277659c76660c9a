//! Projects: what land is being recovered, for whom, by when; set up and closed by
//! administrators (issue 12). A closed project is read-only: `service::ensure_open`.
pub mod boundary;
pub mod dto;
pub mod handlers;
pub mod service;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::get, handlers::patch))
        .routes(routes!(handlers::close))
        .routes(routes!(handlers::reopen))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(handlers::boundary_preview))
                .layer(DefaultBodyLimit::max(boundary::BOUNDARY_LIMIT)),
        )
}
