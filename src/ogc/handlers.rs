use std::collections::HashMap;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::{json, Value};
use std::fmt::Write as _;

use super::service;
use crate::auth::Principal;
use crate::entities::projects;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::projects::service::visible_project;
use crate::state::AppState;

const JSON: &str = "application/json";
const GEOJSON: &str = "application/geo+json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const COLLECTION_PREFIX: &str = "parcels_";
pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 10_000;

fn respond(content_type: &'static str, body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.to_string(),
    )
        .into_response()
}

/// The base of the absolute links OGC clients follow: the configured public URL, else this
/// request's host (see `security::public_base`).
fn base(state: &AppState, headers: &HeaderMap) -> String {
    crate::security::public_base(&state.settings, headers)
        .unwrap_or_else(|| "http://127.0.0.1".to_string())
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

/// `f=json` (or geojson) is accepted; other formats are not offered.
fn check_format(query: &HashMap<String, String>) -> AppResult<()> {
    match query.get("f").map(|f| f.to_ascii_lowercase()) {
        None => Ok(()),
        Some(f)
            if matches!(f.as_str(), "json" | "geojson" | JSON | GEOJSON)
                || f == super::openapi::MEDIA_TYPE =>
        {
            Ok(())
        }
        Some(f) => Err(AppError::BadRequest(format!(
            "format `{f}` is not offered; use f=json"
        ))),
    }
}

/// Only the parameters a resource defines (the OGC API asks for 400 on the others).
fn check_params(query: &HashMap<String, String>, allowed: &[&str]) -> AppResult<()> {
    check_format(query)?;
    match query
        .keys()
        .find(|k| !allowed.contains(&k.as_str()) && *k != "f")
    {
        Some(k) => Err(AppError::BadRequest(format!(
            "unknown query parameter `{k}`; this resource takes {}",
            if allowed.is_empty() {
                "only f=json".to_string()
            } else {
                format!("{} and f=json", allowed.join(", "))
            }
        ))),
        None => Ok(()),
    }
}

async fn collection_project(
    state: &AppState,
    principal: &Principal,
    collection: &str,
) -> AppResult<projects::Model> {
    let code = collection.strip_prefix(COLLECTION_PREFIX).ok_or_else(|| {
        AppError::NotFound(format!(
            "no collection `{collection}`; collections are named {COLLECTION_PREFIX}<project code>, see /ogc/collections"
        ))
    })?;
    visible_project(&state.db.conn, principal, code)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound(format!(
                "no collection `{collection}`; see /ogc/collections"
            )),
            other => other,
        })
}

async fn collection_json(state: &AppState, b: &str, project: &projects::Model) -> AppResult<Value> {
    let id = format!("{COLLECTION_PREFIX}{}", project.code);
    let extent = service::extent(&state.db.conn, project.id).await?;
    let bbox = extent.map_or_else(
        || json!([[-180.0, -90.0, 180.0, 90.0]]),
        |e| json!([[e.min_lon, e.min_lat, e.max_lon, e.max_lat]]),
    );
    Ok(json!({
        "id": id,
        "title": format!("Parcels of {}", project.name),
        "description": format!(
            "Land parcels of project {} with their clearance status; no personal data.",
            project.code
        ),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": bbox, "crs": CRS84}},
        "links": [
            link(format!("{b}/ogc/collections/{id}"), "self", JSON, "this collection"),
            link(format!("{b}/ogc/collections/{id}/items"), "items", GEOJSON, "the parcels"),
        ],
    }))
}

/// `GET /ogc`: the landing page.
#[tracing::instrument(skip_all)]
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    _principal: Principal,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> AppResult<Response> {
    check_params(&query, &[])?;
    let b = base(&state, &headers);
    Ok(respond(
        JSON,
        json!({
            "title": "gpmb — parcels of land-clearance projects",
            "description": "OGC API Features (Part 1 Core, GeoJSON): one collection of parcels per project.",
            "links": [
                link(format!("{b}/ogc"), "self", JSON, "this document"),
                link(format!("{b}/ogc/api"), "service-desc", super::openapi::MEDIA_TYPE,
                     "the OpenAPI 3.0 description of this OGC API"),
                link(format!("{b}/ogc/conformance"), "conformance", JSON, "conformance classes"),
                link(format!("{b}/ogc/collections"), "data", JSON, "the collections"),
            ],
        }),
    ))
}

/// `GET /ogc/api`: the OpenAPI 3.0 description of `/ogc` (the landing page's `service-desc`).
#[tracing::instrument(skip_all)]
pub async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
    _principal: Principal,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> AppResult<Response> {
    check_params(&query, &[])?;
    Ok(respond(
        super::openapi::MEDIA_TYPE,
        super::openapi::document(&base(&state, &headers)),
    ))
}

/// `GET /ogc/conformance`.
#[tracing::instrument(skip_all)]
pub async fn conformance(
    _principal: Principal,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> AppResult<Response> {
    check_params(&query, &[])?;
    Ok(respond(
        JSON,
        json!({"conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        ]}),
    ))
}

/// `GET /ogc/collections`: one collection per project the caller may see.
#[tracing::instrument(skip_all)]
pub async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    principal: Principal,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> AppResult<Response> {
    check_params(&query, &[])?;
    let b = base(&state, &headers);
    let projects = crate::projects::service::list(&state.db.conn, &principal).await?;
    let mut collections = Vec::with_capacity(projects.len());
    for p in &projects {
        collections.push(collection_json(&state, &b, p).await?);
    }
    Ok(respond(
        JSON,
        json!({
            "links": [link(format!("{b}/ogc/collections"), "self", JSON, "the collections")],
            "collections": collections,
        }),
    ))
}

/// `GET /ogc/collections/{collection}`.
#[tracing::instrument(skip_all, fields(collection = %collection))]
pub async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    principal: Principal,
    ApiPath(collection): ApiPath<String>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> AppResult<Response> {
    check_params(&query, &[])?;
    let project = collection_project(&state, &principal, &collection).await?;
    Ok(respond(
        JSON,
        collection_json(&state, &base(&state, &headers), &project).await?,
    ))
}

fn parse_u64(query: &HashMap<String, String>, name: &str) -> AppResult<Option<u64>> {
    query
        .get(name)
        .map(|v| {
            v.trim().parse::<u64>().map_err(|_| {
                AppError::BadRequest(format!("{name} must be a whole number ≥ 0, not `{v}`"))
            })
        })
        .transpose()
}

/// What an items request asks for: the page and the box.
struct ItemsQuery {
    limit: u64,
    offset: u64,
    bbox: Option<crate::geo::Bbox>,
}

impl ItemsQuery {
    /// Checks `limit`, `offset`, `bbox`, `bbox-crs` and `datetime` (400 with what to fix).
    fn parse(query: &HashMap<String, String>) -> AppResult<Self> {
        let limit = match parse_u64(query, "limit")? {
            None => DEFAULT_LIMIT,
            Some(0) => return Err(AppError::BadRequest(format!("limit must be 1–{MAX_LIMIT}"))),
            Some(n) => n.min(MAX_LIMIT),
        };
        let offset = parse_u64(query, "offset")?.unwrap_or(0);
        if let Some(crs) = query.get("bbox-crs") {
            if crs != CRS84 {
                return Err(AppError::BadRequest(format!(
                    "bbox-crs must be {CRS84} (longitude, latitude)"
                )));
            }
        }
        let bbox = query
            .get("bbox")
            .map(|raw| crate::geo::parse_bbox(raw).map_err(|e| AppError::BadRequest(e.to_string())))
            .transpose()?;
        // Parcels carry no time: any datetime matches, but it must be one.
        if let Some(dt) = query.get("datetime") {
            check_datetime(dt)?;
        }
        Ok(ItemsQuery {
            limit,
            offset,
            bbox,
        })
    }
}

/// One end of a `datetime` interval: an RFC 3339 date-time or a full date, as an instant.
fn datetime_end(raw: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t);
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset())
}

/// `datetime` as OGC API Features Part 1 takes it: an instant (`2021-03-01T08:00:00Z` or
/// `2021-03-01`) or an interval `start/end` whose open ends are `..` or empty; 400 otherwise.
fn check_datetime(raw: &str) -> AppResult<()> {
    let bad = |why: &str| {
        AppError::BadRequest(format!(
            "datetime `{raw}` {why}; give an RFC 3339 instant (2021-03-01T08:00:00Z or 2021-03-01) \
             or an interval start/end with `..` for an open end"
        ))
    };
    let raw = raw.trim();
    let Some((start, end)) = raw.split_once('/') else {
        return datetime_end(raw)
            .map(|_| ())
            .ok_or_else(|| bad("is not a date or time"));
    };
    let end_of = |s: &str| -> AppResult<Option<DateTime<FixedOffset>>> {
        match s {
            "" | ".." => Ok(None),
            s => datetime_end(s)
                .map(Some)
                .ok_or_else(|| bad("has an end that is not a date or time")),
        }
    };
    match (end_of(start)?, end_of(end)?) {
        (None, None) => Err(bad("is open at both ends")),
        (Some(a), Some(b)) if a > b => Err(bad("ends before it starts")),
        _ => Ok(()),
    }
}

/// `self`, `collection`, and `next` / `prev` when there are such pages.
fn page_links(
    b: &str,
    collection: &str,
    query: &HashMap<String, String>,
    page: &ItemsQuery,
    returned: u64,
    matched: i64,
) -> Vec<Value> {
    let limit = page.limit;
    let page_url = |offset: u64| {
        let mut q: Vec<String> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "offset" && k.as_str() != "limit")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        q.sort();
        q.push(format!("limit={limit}"));
        q.push(format!("offset={offset}"));
        format!("{b}/ogc/collections/{collection}/items?{}", q.join("&"))
    };
    let offset = page.offset;
    let mut links = vec![
        link(page_url(offset), "self", GEOJSON, "this page"),
        link(
            format!("{b}/ogc/collections/{collection}"),
            "collection",
            JSON,
            "the collection",
        ),
    ];
    if offset + returned < matched.max(0) as u64 {
        links.push(link(
            page_url(offset + returned),
            "next",
            GEOJSON,
            "next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            page_url(offset.saturating_sub(limit)),
            "prev",
            GEOJSON,
            "previous page",
        ));
    }
    links
}

/// `GET /ogc/collections/{collection}/items`: a page of parcels as a GeoJSON FeatureCollection,
/// filtered by `bbox` (CRS84), paged by `limit` (1–10000, default 100; larger is capped) and
/// `offset`, with `next`/`prev` links.
#[tracing::instrument(skip_all, fields(collection = %collection))]
pub async fn items(
    State(state): State<AppState>,
    headers: HeaderMap,
    principal: Principal,
    ApiPath(collection): ApiPath<String>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> AppResult<Response> {
    check_params(&query, &["bbox", "bbox-crs", "limit", "offset", "datetime"])?;
    let project = collection_project(&state, &principal, &collection).await?;
    let page = ItemsQuery::parse(&query)?;
    let (rows, matched) = service::items(
        &state.db.conn,
        &principal.scope,
        project.id,
        page.bbox.as_ref(),
        page.limit,
        page.offset,
    )
    .await?;
    let returned = rows.len() as u64;
    let features: Vec<Value> = rows
        .into_iter()
        .map(service::FeatureRow::into_feature)
        .collect();
    let links = page_links(
        &base(&state, &headers),
        &collection,
        &query,
        &page,
        returned,
        matched,
    );
    Ok(respond(
        GEOJSON,
        json!({
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "links": links,
        }),
    ))
}

/// Percent-encodes a query component (unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b',') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `GET /ogc/collections/{collection}/items/{featureId}`: one parcel.
#[tracing::instrument(skip_all, fields(collection = %collection, feature = %feature))]
pub async fn item(
    State(state): State<AppState>,
    headers: HeaderMap,
    principal: Principal,
    ApiPath((collection, feature)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> AppResult<Response> {
    check_params(&query, &[])?;
    let project = collection_project(&state, &principal, &collection).await?;
    let not_found = || AppError::NotFound(format!("no feature `{feature}` in {collection}"));
    let id: i32 = feature.parse().map_err(|_| not_found())?;
    let row = service::item(&state.db.conn, &principal.scope, project.id, id)
        .await?
        .ok_or_else(not_found)?;
    let b = base(&state, &headers);
    let mut f = row.into_feature();
    f["links"] = json!([
        link(
            format!("{b}/ogc/collections/{collection}/items/{id}"),
            "self",
            GEOJSON,
            "this parcel"
        ),
        link(
            format!("{b}/ogc/collections/{collection}"),
            "collection",
            JSON,
            "the collection"
        ),
    ]);
    Ok(respond(GEOJSON, f))
}
