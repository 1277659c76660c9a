//! Dashboard data for leaders: progress per status, commune, working group and over time (issue 4).
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
