//! Mapbox Vector Tiles of a project's parcels, served from an in-memory R-tree (issue 4).
//!
//! Tiles are public, like the public project page that shows the same status map: they carry
//! parcel attributes only (id, status, land use, map sheet, parcel number, area, commune code),
//! never anything about households. So no login is asked for, for any project.
mod dots;
pub mod encode;
pub mod index;
pub mod overview;
mod sqlite_read;
pub mod store;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub use index::{TileIndex, TileSettings};

use crate::error::{AppError, AppResult};
use crate::extract::ApiPath;
use crate::geo::tiling::{valid_tile, MAX_ZOOM};
use crate::state::AppState;

pub const CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// Browsers keep tiles but ask again every time; unchanged tiles answer 304 without a body.
const CACHE_CONTROL: &str = "no-cache";

/// The hasher of tile ETags (and of the parcels and groups they are made of): fast, and with a
/// fixed seed so that every server of one database gives a tile the same ETag.
fn etag_hasher() -> foldhash::fast::FoldHasher<'static> {
    std::hash::BuildHasher::build_hasher(&foldhash::fast::FixedState::default())
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/tiles/{project}/{z}/{x}/{y}", get(tile))
}

/// `If-None-Match` → the tile ETag hashes it names (`*` is not useful for tiles and ignored).
fn known_etags(headers: &HeaderMap) -> Vec<u64> {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t);
            let hex = t.strip_prefix("\"t")?.strip_suffix('"')?;
            u64::from_str_radix(hex, 16).ok()
        })
        .collect()
}

fn etag(hash: u64) -> HeaderValue {
    // Hex digits only: always a valid header value.
    HeaderValue::from_str(&format!("\"t{hash:016x}\""))
        .unwrap_or(HeaderValue::from_static("\"t0\""))
}

/// `GET /tiles/{project}/{z}/{x}/{y}.mvt`: the `parcels` layer of a project's tile.
#[tracing::instrument(level = "debug", skip_all, fields(project = %project, z = %z, x = %x, y = %y))]
async fn tile(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((project, z, x, y)): ApiPath<(String, String, String, String)>,
) -> AppResult<Response> {
    let y = y.strip_suffix(".mvt").ok_or_else(|| {
        AppError::NotFound("tiles end in .mvt, e.g. /tiles/HPDQ2/14/13143/7485.mvt".into())
    })?;
    let parse = |name: &str, v: &str| {
        v.parse::<u32>().map_err(|_| {
            AppError::BadRequest(format!("{name} must be a whole number ≥ 0, not `{v}`"))
        })
    };
    let (z, x, y) = (parse("z", &z)?, parse("x", &x)?, parse("y", y)?);
    if !valid_tile(z, x, y) {
        return Err(AppError::BadRequest(format!(
            "no tile {z}/{x}/{y}: z must be 0–{MAX_ZOOM} and x, y below 2^z"
        )));
    }
    let project_id = state
        .tiles
        .project_id(&project)
        .await?
        .ok_or_else(|| AppError::not_found("project"))?;
    let known = known_etags(&headers);
    let answer = state
        .tiles
        .tile(project_id, z as u8, x, y, &known)
        .await
        .map_err(AppError::Internal)?;
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    Ok(match answer {
        index::TileAnswer::Empty => (StatusCode::NO_CONTENT, [cache]).into_response(),
        index::TileAnswer::NotModified(h) => {
            (StatusCode::NOT_MODIFIED, [cache, (header::ETAG, etag(h))]).into_response()
        }
        index::TileAnswer::Tile(h, bytes) => (
            StatusCode::OK,
            [
                cache,
                (header::ETAG, etag(h)),
                (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            ],
            bytes,
        )
            .into_response(),
    })
}
