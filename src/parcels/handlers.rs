use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::dto::{
    CreatedParcels, NewParcelCollection, ParcelDto, ParcelPatch, ParcelQuery, StatusEventDto,
};
use super::service::{self, PatchOutcome};
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::{envelope, AppError, AppResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::Page;
use crate::projects::service::visible_project;
use crate::state::AppState;

pub const GEOJSON: &str = "application/geo+json";

fn wants_geojson(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|m| m.trim().to_ascii_lowercase().starts_with(GEOJSON))
        })
}

fn etag(version: i32) -> HeaderValue {
    // Digits and quotes only: always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(dto: ParcelDto, status: StatusCode) -> Response {
    let tag = etag(dto.version);
    let mut response = (status, Json(dto)).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// The URL of the next page: this request's, with `cursor` replaced.
fn next_link(
    settings: &crate::config::Settings,
    headers: &HeaderMap,
    uri: &Uri,
    cursor: &str,
) -> String {
    let mut pairs: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("cursor=") && *p != "cursor")
        .collect();
    let c = format!("cursor={cursor}");
    pairs.push(&c);
    let path_and_query = format!("{}?{}", uri.path(), pairs.join("&"));
    match crate::security::public_base(settings, headers) {
        Some(base) => format!("{base}{path_and_query}"),
        None => path_and_query,
    }
}

/// The page as a GeoJSON FeatureCollection; `next_cursor` and the `next` link are foreign
/// members, as OGC API Features clients expect.
fn feature_collection(page: Page<ParcelDto>, next: Option<String>) -> Response {
    let features: Vec<Value> = page
        .items
        .into_iter()
        .map(|p| {
            let mut props = serde_json::to_value(&p).unwrap_or_else(|_| json!({}));
            let geometry = props
                .as_object_mut()
                .and_then(|m| m.remove("geometry"))
                .unwrap_or(Value::Null);
            json!({"type": "Feature", "id": p.id, "geometry": geometry, "properties": props})
        })
        .collect();
    let links: Vec<Value> = next
        .map(|href| json!({"rel": "next", "href": href, "type": GEOJSON, "title": "next page"}))
        .into_iter()
        .collect();
    let body = json!({
        "type": "FeatureCollection",
        "features": features,
        "next_cursor": page.next_cursor,
        "links": links,
    });
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
        body.to_string(),
    )
        .into_response()
}

/// Parcels of a project in the caller's area, by id. Filters: `status`, `commune` (a code; the
/// pre-2025 communes merged into it count too), `bbox`. With `Accept: application/geo+json`
/// the page is a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/api/v1/projects/{code}/parcels", tag = "parcels",
    params(("code" = String, Path, description = "project code"), ParcelQuery),
    responses(
        (status = 200, description = "a page of parcels",
            content((Page<ParcelDto> = "application/json"), (Object = "application/geo+json"))),
        (status = 400, body = crate::error::ErrorEnvelope),
        (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(code = %code))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ParcelQuery>,
) -> AppResult<Response> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    let page = service::list(conn, &principal.scope, project.id, &q).await?;
    if wants_geojson(&headers) {
        let next = page
            .next_cursor
            .as_deref()
            .map(|c| next_link(&state.settings, &headers, &uri, c));
        return Ok(feature_collection(page, next));
    }
    Ok(Json(page).into_response())
}

/// Add parcels to a project (administrators and project-board write tokens). The body is a
/// GeoJSON Feature or FeatureCollection, WGS84 lon/lat. All or nothing: if any feature is
/// refused, the 422 answer lists every refused feature (`error.details.features`) and nothing
/// is stored.
#[utoipa::path(post, path = "/api/v1/projects/{code}/parcels", tag = "parcels",
    params(("code" = String, Path, description = "project code")),
    request_body(content = NewParcelCollection, content_type = "application/json"),
    responses((status = 201, body = CreatedParcels),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, description = "refused features: `invalid_features` with details.features", body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(code = %code))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<(StatusCode, Json<CreatedParcels>)> {
    principal.require(Permission::WriteParcels)?;
    if principal.role.is_area_scoped() {
        return Err(AppError::Forbidden(
            "parcels are added by administrators and project boards; ask them to import the cadastral data".into(),
        ));
    }
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    let features = service::features_of(body)?;
    // Geometry validity is CPU work: keep it off the async workers.
    let drafts = tokio::task::spawn_blocking(move || {
        features
            .iter()
            .enumerate()
            .map(|(i, f)| service::draft(i, f))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("geometry check failed: {e}")))?;
    let total = drafts.len();

    let tx = state.db.write().await?;
    crate::projects::service::ensure_open(&*tx, project.id).await?;
    let checked = service::check_against_database(&*tx, project.id, drafts).await?;
    let new = match checked {
        Ok(new) => new,
        Err(bad) => {
            let message = format!(
                "{} of {} features were refused; nothing was stored. Fix them and send the file again.",
                bad.len(),
                total
            );
            return Err(AppError::Unprocessable {
                code: "invalid_features",
                message,
                details: Some(json!({"features": bad})),
            });
        }
    };
    let now = crate::db::utc(Utc::now().fixed_offset());
    let ids = service::insert_all(&*tx, &principal, &project, &new, now).await?;
    tx.commit().await?;
    state.tiles.parcels_changed(&ids).await;
    let items = service::by_ids(conn, &principal.scope, &ids).await?;
    Ok((StatusCode::CREATED, Json(CreatedParcels { items })))
}

/// One parcel, with its version as `ETag`.
#[utoipa::path(get, path = "/api/v1/parcels/{id}", tag = "parcels",
    params(("id" = i32, Path, description = "parcel id")),
    responses((status = 200, body = ParcelDto, headers(("ETag" = String, description = "the version, e.g. \"3\""))),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Response> {
    let row = service::get(&state.db.conn, &principal.scope, id).await?;
    Ok(with_etag(row.into_dto(), StatusCode::OK))
}

/// Change a parcel's status or land use. Send the version you read in `If-Match` (`"3"`);
/// a stale version answers 409 `version_conflict` with `details.current_version`,
/// `details.changed_by` and `details.changed_at` (the last status change) and changes nothing; without `If-Match` the answer is 428.
#[utoipa::path(patch, path = "/api/v1/parcels/{id}", tag = "parcels",
    params(("id" = i32, Path, description = "parcel id"),
           ("If-Match" = String, Header, description = "the parcel's version (its ETag), e.g. \"3\"")),
    request_body = ParcelPatch,
    responses((status = 200, body = ParcelDto, headers(("ETag" = String, description = "the new version"))),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, description = "version_conflict", body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope),
              (status = 428, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn patch(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<ParcelPatch>,
) -> AppResult<Response> {
    principal.require(Permission::WriteParcels)?;
    // 404 before anything else for a parcel outside the caller's area.
    let parcel = crate::scoped::parcel(&state.db.conn, &principal.scope, id).await?;
    let expected = crate::extract::if_match(&headers, "parcel")?;
    if patch.status.is_none() && patch.land_use.is_none() {
        return Err(AppError::invalid(
            "nothing_to_change",
            "give a new `status` or `land_use`",
        ));
    }
    if patch.reason.as_ref().is_some_and(|r| r.len() > 5_000)
        || patch.note.as_ref().is_some_and(|n| n.len() > 5_000)
    {
        return Err(AppError::invalid(
            "text_too_long",
            "reason and note are limited to 5,000 characters",
        ));
    }
    let now = crate::db::utc(Utc::now().fixed_offset());
    let tx = state.db.write().await?;
    crate::projects::service::ensure_open_for(&*tx, parcel).await?;
    match service::update(&*tx, &principal, parcel, expected, &patch, now).await? {
        PatchOutcome::Updated(row) => {
            tx.commit().await?;
            state.metrics.parcel_updates.fetch_add(1, Ordering::Relaxed);
            state.tiles.parcels_changed(&[id]).await;
            Ok(with_etag(row.into_dto(), StatusCode::OK))
        }
        PatchOutcome::Conflict(current) => {
            drop(tx);
            let last = service::last_change(&state.db.conn, id).await?;
            let mut response = envelope(
                StatusCode::CONFLICT,
                "version_conflict",
                &format!(
                    "the parcel changed since you read it (your version {expected}, now {current}); \
                     read it again and reapply your change"
                ),
                Some(json!({
                    "current_version": current,
                    "changed_by": last.as_ref().map(|l| l.0.clone()),
                    "changed_at": last.as_ref().map(|l| l.1.to_rfc3339()),
                })),
            );
            response.headers_mut().insert(header::ETAG, etag(current));
            Ok(response)
        }
    }
}

/// The status changes of a parcel, oldest first.
#[utoipa::path(get, path = "/api/v1/parcels/{id}/history", tag = "parcels",
    params(("id" = i32, Path, description = "parcel id")),
    responses((status = 200, body = Page<StatusEventDto>), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn history(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<Page<StatusEventDto>>> {
    let items = service::history(&state.db.conn, &principal.scope, id).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
