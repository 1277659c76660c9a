//! The composition root: application state, the router of every resource, and `serve`.
use std::future::Future;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::envelope;
pub use crate::state::AppState;

/// Every API route with its OpenAPI description, from the resource modules.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .merge(crate::auth::routes())
        .merge(crate::audit::routes())
        .merge(crate::projects::routes())
        .merge(crate::progress::routes())
        .merge(crate::parcels::routes())
        .merge(crate::households::routes())
        .merge(crate::working_groups::routes())
        .merge(crate::visits::routes())
        .merge(crate::admin_units::routes::routes())
        .merge(crate::dashboard::routes())
        .merge(crate::field::routes())
        .merge(crate::cases::routes())
        .merge(crate::grievances::routes())
        .merge(crate::compensation::routes())
        .merge(crate::privacy::routes())
        .merge(crate::alerts::routes())
        .merge(crate::imports::routes())
        .merge(crate::exports::routes())
        .merge(crate::land_types::routes())
        .merge(crate::reports::routes())
        .merge(crate::users::routes())
        .merge(crate::tokens::routes())
        .split_for_parts();
    (router, crate::openapi::finish(doc))
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let body_limit = state.settings.body_limit;
    api.route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::handler))
        .merge(SwaggerUi::new("/docs").url("/api/v1/openapi.json", openapi))
        .merge(crate::web::routes())
        .merge(crate::tiles::routes())
        .merge(crate::ogc::routes())
        .merge(crate::public::routes())
        .fallback(not_found)
        .layer(middleware::from_fn(envelope_bare_errors))
        .layer(middleware::from_fn(crate::auth::basic::challenge))
        .layer(middleware::from_fn(crate::security::same_origin_writes))
        .layer(middleware::from_fn(crate::security::no_nul_in_address))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(|_| {
            envelope(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal server error; the incident was logged",
                None,
            )
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(TraceLayer::new_for_http())
        // Outermost, so even a caught panic's answer carries the headers.
        .layer(middleware::from_fn(crate::security::headers))
        .with_state(state)
}

/// Runs the server on an already-bound listener until `shutdown` resolves; tests bind port 0.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let background = state.clone();
    // The peer address feeds the failed-login throttle.
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    background.shutdown();
    served?;
    Ok(())
}

async fn healthz(State(state): State<AppState>) -> Response {
    match crate::db::dialect::execute_fixed(
        &state.db.conn,
        crate::db::dialect::Sql::new("SELECT 1"),
    )
    .await
    {
        Ok(_) => Json(
            serde_json::json!({"status": "ok", "database": format!("{:?}", state.db.backend())}),
        )
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            envelope(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
                None,
            )
        }
    }
}

async fn not_found() -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /docs for the API",
        None,
    )
}

/// Errors made by the framework itself (405, 413 from limits) come without a body: give them
/// the same envelope as ours so clients parse one shape.
async fn envelope_bare_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        // Server-rendered pages (the public page's 404) keep their HTML body.
        .is_some_and(|v| v.contains("json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this endpoint does not take that method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than this endpoint accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "send JSON with Content-Type: application/json",
        ),
        StatusCode::NOT_FOUND => ("not_found", "not found"),
        s if s.is_server_error() => ("internal", "internal server error; the incident was logged"),
        _ => ("bad_request", "the request could not be understood"),
    };
    let mut out = envelope(status, code, message, None);
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
