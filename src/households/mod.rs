//! Households (hộ) and the parcels they use. Names, CCCD numbers, phones and addresses are
//! personal data: every read needs `Permission::ReadPersonal`, is limited to the caller's area
//! and leaves an audit event.
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
        .routes(routes!(handlers::history))
}
