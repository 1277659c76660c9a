use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;

use axum::response::IntoResponse;

use super::dto::{ImportQuery, ImportReport, TemplateQuery};
use super::service;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::{AppError, AppResult};
use crate::extract::{require_upload_type, upload, ApiPath, ApiQuery};
use crate::i18n::Lang;
use crate::projects::service::visible_project;
use crate::state::AppState;

/// The file's name from `?filename=`, else a name matching its Content-Type.
fn file_name(q: &ImportQuery, headers: &HeaderMap, default: &str) -> String {
    if let Some(n) = q
        .filename
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        return n.chars().take(200).collect();
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let ext = if ct.contains("zip") {
        "zip"
    } else if ct.contains("csv") {
        "csv"
    } else if ct.contains("spreadsheetml") || ct.contains("excel") {
        "xlsx"
    } else {
        default
    };
    format!("upload.{ext}")
}

fn non_empty(body: &Bytes) -> AppResult<Vec<u8>> {
    if body.is_empty() {
        return Err(AppError::BadRequest(
            "the request body is empty; send the file itself as the body".into(),
        ));
    }
    Ok(body.to_vec())
}

/// Import parcels from a GeoJSON file or a zipped Shapefile (administrators). Send the file as
/// the request body (`Content-Type: application/geo+json` or `application/zip`). The CRS is the
/// file's (GeoJSON `crs`, Shapefile `.prj`) or `crs`; VN-2000 is reprojected to WGS84 and the
/// source geometry kept. Parcels already in the project (same commune, map sheet and parcel
/// number) are updated. All or nothing: a file with any problem stores nothing and the 422
/// answer carries the report in `error.details`. `dry_run=true` checks and reports only.
#[utoipa::path(post, path = "/api/v1/projects/{code}/imports/parcels", tag = "imports",
    params(("code" = String, Path, description = "project code"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the GeoJSON or zipped Shapefile, sent as `application/octet-stream`, `application/geo+json`, `application/json`, `application/zip` or `application/x-zip-compressed`"),
    responses((status = 200, body = ImportReport),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 415, description = "`unsupported_media_type`: no Content-Type, or one this import does not take", body = crate::error::ErrorEnvelope),
              (status = 422, description = "`invalid_import` with the report in details, or a file-level problem", body = crate::error::ErrorEnvelope)))]
pub async fn parcels(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> AppResult<Json<ImportReport>> {
    principal.require(Permission::Administer)?;
    require_upload_type(&headers, upload::GEO)?;
    let project = visible_project(&state.db.conn, &principal, &code).await?;
    let bytes = non_empty(&body)?;
    let name = file_name(&q, &headers, "geojson");
    let report = service::import_parcels(
        &state.db,
        &principal,
        &project,
        bytes,
        &name,
        q.crs.clone(),
        q.dry_run,
        service::no_progress(),
    )
    .await?;
    if !report.errors.is_empty() {
        return Err(service::refused(report));
    }
    if report.committed {
        state.tiles.invalidate_project(project.id);
    }
    Ok(Json(report))
}

/// Import households from a commune register, CSV or XLSX (administrators). Columns are found
/// by their usual Vietnamese headers ("Họ và tên chủ hộ", "Số CCCD", "Mã xã", "Số tờ",
/// "Số thửa", …); households are linked to parcels by commune, map sheet and parcel number.
/// All or nothing: the 422 answer's report names each bad row (as numbered in the sheet) and
/// column. `dry_run=true` checks and reports only.
#[utoipa::path(post, path = "/api/v1/projects/{code}/imports/households", tag = "imports",
    params(("code" = String, Path, description = "project code"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the CSV or XLSX register, sent as `application/octet-stream`, `text/csv`, the XLSX type or `application/vnd.ms-excel`"),
    responses((status = 200, body = ImportReport),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 415, description = "`unsupported_media_type`: no Content-Type, or one this import does not take", body = crate::error::ErrorEnvelope),
              (status = 422, description = "`invalid_import` with the report in details, or a file-level problem", body = crate::error::ErrorEnvelope)))]
pub async fn households(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> AppResult<Json<ImportReport>> {
    principal.require(Permission::Administer)?;
    require_upload_type(&headers, upload::REGISTER)?;
    let project = visible_project(&state.db.conn, &principal, &code).await?;
    let bytes = non_empty(&body)?;
    let name = file_name(&q, &headers, "csv");
    let report =
        service::import_households(&state.db, &principal, &project, bytes, &name, q.dry_run)
            .await?;
    if !report.errors.is_empty() {
        return Err(service::refused(report));
    }
    Ok(Json(report))
}

/// The household register template (.xlsx): a title, the headers in `lang` (`vi` by default,
/// or `en`), one example row to replace; the ID number column is text so leading zeros
/// survive, the date of birth a dd/mm/yyyy date. The importer reads it back as it is.
#[utoipa::path(get, path = "/api/v1/imports/households/template", tag = "imports",
    params(TemplateQuery),
    responses((status = 200, description = "the template workbook (.xlsx), as an attachment"),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope)))]
pub async fn household_template(
    _principal: Principal,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> AppResult<impl IntoResponse> {
    let lang = Lang::parse(q.lang.as_deref());
    let bytes = super::households::template(lang)?;
    let name = match lang {
        Lang::Vi => "mau-nhap-ho.xlsx",
        Lang::En => "household-import-template.xlsx",
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    ))
}
