//! The web front end, embedded into the binary (read from `web/` on disk in debug builds).
//!
//! Pages live at short paths (`/map`, `/field`, …) and load their scripts and styles from
//! `/static/`. MapLibre GL comes from `web/node_modules` (installed by `npm --prefix web ci`
//! from the lock file) and is served from `/static/vendor/`, so nothing loads from a CDN.
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use crate::error::envelope;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
#[exclude = "node_modules/*"]
#[exclude = "package*.json"]
pub struct Assets;

#[derive(RustEmbed)]
#[folder = "web/node_modules/maplibre-gl/dist/"]
#[include = "maplibre-gl.js"]
#[include = "maplibre-gl.css"]
struct MapLibre;

/// Short page paths and the HTML file each serves.
const PAGES: &[(&str, &str)] = &[
    ("/map", "map.html"),
    ("/dashboard", "dashboard.html"),
    ("/field", "field/index.html"),
    ("/alerts", "alerts.html"),
    ("/data", "data.html"),
    ("/households", "households.html"),
    ("/households/{id}", "household.html"),
    ("/stages", "stages.html"),
    ("/grievances", "grievances.html"),
    ("/admin/projects", "admin/projects.html"),
    ("/admin/prices", "admin/prices.html"),
    ("/admin/people", "admin/people.html"),
    ("/admin/audit", "admin/audit.html"),
    ("/admin/privacy", "admin/privacy.html"),
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(|| async { serve("index.html") }))
        .route("/static/vendor/{file}", get(vendor))
        .route("/static/{*path}", get(asset));
    for (path, file) in PAGES {
        router = router.route(path, get(move || async move { serve(file) }));
    }
    // gzip for clients that accept it: pages must load over a weak mobile signal.
    router.layer(tower_http::compression::CompressionLayer::new())
}

async fn asset(Path(path): Path<String>) -> Response {
    serve(&path)
}

async fn vendor(Path(file): Path<String>) -> Response {
    match MapLibre::get(&file) {
        Some(content) => file_response(&file, content.data.into_owned(), "public, max-age=86400"),
        None => not_found(),
    }
}

fn serve(path: &str) -> Response {
    match Assets::get(path) {
        Some(file) => file_response(path, file.data.into_owned(), "no-cache"),
        None => not_found(),
    }
}

fn not_found() -> Response {
    envelope(StatusCode::NOT_FOUND, "not_found", "no such file", None)
}

fn file_response(path: &str, body: Vec<u8>, cache: &'static str) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, mime_guess_from(path)),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response();
    // The field app's service worker sits under /static/field/ but must control /field too.
    if path.ends_with("sw.js") {
        response.headers_mut().insert(
            "service-worker-allowed",
            header::HeaderValue::from_static("/"),
        );
    }
    response
}

fn mime_guess_from(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}
