//! Compensation, support and resettlement (issue 17): what a household has (inventory),
//! what the province pays for it (price tables), what the project adds (entitlement settings),
//! what the household is offered (plan versions, line by line) and what it was paid (payments
//! and deposits). `calc` is pure and holds every formula; the other modules read and write.
pub mod calc;
pub mod dto;
pub mod handlers;
pub mod prices;
pub mod service;
pub mod settings;
pub mod table;
pub mod table_handler;
pub mod totals;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The compensation routes: inventories, plans and payments; price tables and the projects'
/// entitlement settings.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::compensation))
        .routes(routes!(handlers::put_inventory))
        .routes(routes!(handlers::compute))
        .routes(routes!(handlers::get_plan))
        .routes(routes!(handlers::post))
        .routes(routes!(handlers::approve))
        .routes(routes!(handlers::pay))
        .routes(routes!(table_handler::plan_table))
        .routes(routes!(prices::list))
        .routes(routes!(prices::template))
        .routes(routes!(prices::get, prices::delete))
        .routes(routes!(settings::get_settings, settings::put_settings))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(prices::import_table))
                .layer(DefaultBodyLimit::max(prices::UPLOAD_LIMIT)),
        )
}
