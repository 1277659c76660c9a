//! Period numbers per commune and working group, and the periodic reports (issue 6 item 5, issue 7).
pub mod cli;

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
