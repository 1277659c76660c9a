use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::dto::{BoundaryPreview, BoundaryQuery, NewProject, ProjectDto, ProjectPatch};
use super::service::{self, PatchOutcome};
use crate::audit;
use crate::auth::Principal;
use crate::domain::{Permission, ProjectStatus};
use crate::error::{envelope, AppError, AppResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::Page;
use crate::state::AppState;

fn etag(version: i32) -> HeaderValue {
    // Digits and quotes only: always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(dto: ProjectDto, status: StatusCode) -> Response {
    let tag = etag(dto.version);
    let mut response = (status, Json(dto)).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// Projects this caller may see.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", responses((status = 200, body = Page<ProjectDto>)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Page<ProjectDto>>> {
    let items = service::list(&state.db.conn, &principal).await?;
    Ok(Json(Page {
        items: items.into_iter().map(ProjectDto::from).collect(),
        next_cursor: None,
    }))
}

/// One project, with its responsible agencies and milestones, and its version as `ETag`.
#[utoipa::path(get, path = "/api/v1/projects/{code}", tag = "projects",
    params(("code" = String, Path, description = "project code")),
    responses((status = 200, body = ProjectDto, headers(("ETag" = String, description = "the version, e.g. \"3\""))),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Response> {
    let conn = &state.db.conn;
    let project = service::visible_project(conn, &principal, &code).await?;
    Ok(with_etag(
        service::detail(conn, project).await?,
        StatusCode::OK,
    ))
}

/// Create a project (administrators).
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = NewProject,
    responses((status = 201, body = ProjectDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewProject>,
) -> AppResult<Response> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let project = service::create(&*tx, new).await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "project",
        Some(project.id.to_string()),
        serde_json::json!({"code": project.code}),
    )
    .await?;
    let dto = service::detail(&*tx, project).await?;
    tx.commit().await?;
    Ok(with_etag(dto, StatusCode::CREATED))
}

/// Change a project (administrators): name, investor, notice date (the cut-off), target
/// handover date, boundary, agency/contact, the responsible agencies (`parties`) and the
/// public milestones (`milestones`; each list replaces the stored one). Send the version you
/// read in `If-Match`; a stale version answers 412 `version_conflict` with
/// `details.current_version` and `details.updated_by` and changes nothing; without `If-Match`
/// the answer is 428. A closed project answers 409 `project_closed`.
#[utoipa::path(patch, path = "/api/v1/projects/{code}", tag = "projects",
    params(("code" = String, Path, description = "project code"),
           ("If-Match" = String, Header, description = "the project's version (its ETag), e.g. \"3\"")),
    request_body = ProjectPatch,
    responses((status = 200, body = ProjectDto, headers(("ETag" = String, description = "the new version"))),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, description = "project_closed", body = crate::error::ErrorEnvelope),
              (status = 412, description = "version_conflict", body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope),
              (status = 428, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn patch(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> AppResult<Response> {
    principal.require(Permission::Administer)?;
    let expected = crate::extract::if_match(&headers, "project")?;
    let tx = state.db.write().await?;
    let project = service::visible_project(&*tx, &principal, &code).await?;
    match service::patch(&*tx, &principal, project, expected, patch).await? {
        PatchOutcome::Updated { project, changed } => {
            audit::record(
                &*tx,
                &principal,
                "update",
                "project",
                Some(project.id.to_string()),
                json!({"code": project.code, "fields": changed, "version": project.version}),
            )
            .await?;
            let dto = service::detail(&*tx, *project).await?;
            tx.commit().await?;
            Ok(with_etag(dto, StatusCode::OK))
        }
        PatchOutcome::Stale {
            version,
            updated_by,
        } => {
            drop(tx);
            let who = updated_by.clone().unwrap_or_default();
            let mut response = envelope(
                StatusCode::PRECONDITION_FAILED,
                "version_conflict",
                &format!(
                    "the project was changed by {who} since you read it (your version {expected}, now {version}); \
                     read it again and reapply your change"
                ),
                Some(json!({"current_version": version, "updated_by": updated_by})),
            );
            response.headers_mut().insert(header::ETAG, etag(version));
            Ok(response)
        }
    }
}

async fn set_status(
    state: &AppState,
    principal: &Principal,
    code: &str,
    status: ProjectStatus,
) -> AppResult<Response> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let project = service::visible_project(&*tx, principal, code).await?;
    let before = project.status;
    let project = service::set_status(&*tx, principal, project, status).await?;
    if before != status {
        audit::record(
            &*tx,
            principal,
            if status == ProjectStatus::Closed {
                "close"
            } else {
                "reopen"
            },
            "project",
            Some(project.id.to_string()),
            json!({"code": project.code, "version": project.version}),
        )
        .await?;
    }
    let dto = service::detail(&*tx, project).await?;
    tx.commit().await?;
    Ok(with_etag(dto, StatusCode::OK))
}

/// Close a project (administrators): it becomes read-only — every write into it (parcels,
/// households, visits, stages, grievances, imports, the project itself) answers 409
/// `project_closed` until it is reopened. Reads are unchanged. Closing a closed project
/// changes nothing.
#[utoipa::path(post, path = "/api/v1/projects/{code}/close", tag = "projects",
    params(("code" = String, Path, description = "project code")),
    responses((status = 200, body = ProjectDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn close(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Response> {
    set_status(&state, &principal, &code, ProjectStatus::Closed).await
}

/// Reopen a closed project (administrators).
#[utoipa::path(post, path = "/api/v1/projects/{code}/reopen", tag = "projects",
    params(("code" = String, Path, description = "project code")),
    responses((status = 200, body = ProjectDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn reopen(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Response> {
    set_status(&state, &principal, &code, ProjectStatus::Active).await
}

/// Read a project boundary from a file without saving it (administrators): a GeoJSON
/// (Polygon, MultiPolygon, Feature or FeatureCollection), a zipped Shapefile, or a text list
/// of VN-2000 corners (`X Y` or `point X Y` per line, with `crs=`). The file is read as the
/// parcel import reads it (declared CRS or `crs=`, VN-2000 reprojected, geometry validity);
/// several polygons are joined. The answer is the WGS84 GeoJSON to send as `boundary` in
/// `PATCH /projects/{code}`, its area and any problems noticed; a bad file is 422 with
/// `details.field` (`file` or `crs`) and for a bad geometry `details.reason`.
#[utoipa::path(post, path = "/api/v1/projects/boundary-preview", tag = "projects",
    params(BoundaryQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the GeoJSON, zipped Shapefile or coordinate list, sent as `application/octet-stream` (a coordinate list always), `application/geo+json`, `application/json`, `application/zip` or `application/x-zip-compressed`"),
    responses((status = 200, body = BoundaryPreview),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 413, body = crate::error::ErrorEnvelope),
              (status = 415, description = "`unsupported_media_type`: no Content-Type, or one this preview does not take (`text/plain` included)", body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, bytes = body.len()))]
pub async fn boundary_preview(
    principal: Principal,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<BoundaryQuery>,
    body: Bytes,
) -> AppResult<Json<BoundaryPreview>> {
    principal.require(Permission::Administer)?;
    crate::extract::require_upload_type(&headers, crate::extract::upload::GEO)?;
    if body.is_empty() {
        return Err(AppError::BadRequest(
            "the request body is empty; send the file itself as the body".into(),
        ));
    }
    let name: String = q
        .filename
        .as_deref()
        .unwrap_or("boundary")
        .chars()
        .take(200)
        .collect();
    let crs = q.crs.clone();
    let preview =
        tokio::task::spawn_blocking(move || super::boundary::preview(&body, &name, crs.as_deref()))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("boundary check failed: {e}")))??;
    Ok(Json(preview))
}
