//! Households (hộ) and the parcels they use. Names, CCCD numbers, phones and addresses are
//! personal data: every read needs `Permission::ReadPersonal`, is limited to the caller's area
//! and leaves an audit event. The CCCD is shown masked (`051*******45`, see `privacy`); the
//! full number is one audited request away (`GET /households/{id}/id-number`).
pub mod dto;
pub mod handlers;
pub mod privacy;
pub mod service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::get, handlers::update))
        .routes(routes!(handlers::history))
        .routes(routes!(handlers::reveal_id_number))
}
