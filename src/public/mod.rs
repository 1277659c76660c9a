//! The public transparency page of a project, server-rendered, no personal data (issue 4).
use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
