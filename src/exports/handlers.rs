use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio_util::io::ReaderStream;

use super::service::{self, Format, What};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::i18n::Lang;
use crate::state::AppState;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `vi` (default) or `en`.
    pub lang: Option<String>,
    /// `id_number`: the CCCD in full instead of masked (personal-data readers; audited).
    pub reveal: Option<String>,
}

/// Download `parcels`, `households`, `visits` or `grievances` of a project as `csv` or `xlsx`
/// (Vietnamese headers), parcels also as `geojson` or `gpkg` (OGC GeoPackage, WGS84). Rows
/// are limited to the caller's area; names, CCCD, phones, addresses and free text about people
/// are left out for roles that may not read personal data. Every export is audited. Headers,
/// sheet names and codes (status, stance, channel…) are words in `?lang=` (`vi`, or `en`);
/// in XLSX dates are date cells (dd/mm/yyyy), times are in Vietnam time (dd/mm/yyyy hh:mm),
/// counts `#,##0` and areas `#,##0.00`. The CCCD is masked (`051*******45`) unless the
/// caller asks `reveal=id_number` and may read personal data (else 403); the audit event of
/// the export then says so.
#[utoipa::path(get, path = "/api/v1/projects/{code}/exports/{file}", tag = "exports",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2"),
           ("file" = String, Path, description = "what and format, e.g. parcels.gpkg, households.xlsx"),
           ExportQuery),
    responses((status = 200, description = "the file, as an attachment"),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code, file = %file))]
pub async fn export(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, file)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    let (what, format) = file.rsplit_once('.').ok_or_else(|| {
        AppError::BadRequest(format!(
            "`{file}` needs a format, e.g. parcels.geojson, households.csv, visits.xlsx, parcels.gpkg"
        ))
    })?;
    let what = What::parse(what)?;
    let format = Format::parse(format)?;
    format.check(what)?;
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    let lang = Lang::parse(q.lang.as_deref());
    let reveal = crate::households::privacy::wants_id_number(q.reveal.as_deref())?;
    let req = service::Request {
        who: &principal,
        project: &project,
        what,
        format,
        lang,
        reveal_id_number: reveal,
    };
    // Written to a temp file and streamed from it: a million parcels never sit in memory.
    let path = service::temp_path(format.extension());
    let written = service::export(conn, &req, &path, &|_, _| {}).await;
    let opened = match written {
        Ok(out) => tokio::fs::File::open(&path)
            .await
            .map(|f| (out, f))
            .map_err(|e| AppError::Internal(anyhow::Error::from(e).context("reading the export"))),
        Err(e) => Err(e),
    };
    // Unlinked at once: the open handle keeps the bytes until the body is sent.
    let _ = std::fs::remove_file(&path);
    let (out, file) = opened?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    let mut response =
        Body::from_stream(ReaderStream::with_capacity(file, 1 << 16)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", out.filename)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    Ok(response)
}
