//! Grievances (đơn thư): complaints, denunciations, petitions and their legal deadlines (issue 6).
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
