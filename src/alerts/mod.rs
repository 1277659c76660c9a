//! Alerts: overdue deadlines and commitments, households not visited, hot spots, splits after the cut-off (issue 6).
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
