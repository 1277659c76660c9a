//! `GET /api/v1/projects/{code}/plans/table`: the plan table as JSON, XLSX or printable HTML.
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::table::{self, TableQuery};
use crate::audit;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::i18n::{Catalogue, Lang};
use crate::state::AppState;

type Envelope = crate::error::ErrorEnvelope;

/// The compensation, support and resettlement plan table of a project or one commune, as
/// officials post and approve it: a row per household in the caller's area (each household's
/// newest plan version, or its newest in `status`) with land, assets, moving, remaining
/// investment, each support, the resettlement plot and its fee, obligations deducted and the
/// net amount in whole đồng, the version and the approval decision; then the totals. The
/// CCCD is masked. `format=xlsx` downloads a spreadsheet (`#,##0`), `format=html` opens a
/// printable page (A4 landscape). Names persons: project-board tokens are refused, and the
/// households read are audited.
#[utoipa::path(get, path = "/api/v1/projects/{code}/plans/table", tag = "compensation",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2"), TableQuery),
    responses((status = 200, body = table::PlanTable,
               description = "JSON; with `format=xlsx` or `format=html` the file"),
              (status = 400, body = Envelope), (status = 401, body = Envelope),
              (status = 403, body = Envelope),
              (status = 404, description = "no such project, or a commune outside the caller's area", body = Envelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn plan_table(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<TableQuery>,
) -> AppResult<Response> {
    principal.require(Permission::ReadPersonal)?;
    let format = match q.format.as_deref().map(str::trim) {
        None | Some("" | "json") => "json",
        Some("xlsx") => "xlsx",
        Some("html") => "html",
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "format `{other}`: use json, xlsx or html"
            )))
        }
    };
    let status = table::parse_status(q.status.as_deref())?;
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    let commune = match q.commune_id {
        Some(id) => Some(table::commune(conn, &principal.scope, &project, id).await?),
        None => None,
    };
    let today = crate::legal::today_vn();
    let t = table::table(conn, &principal.scope, &project, commune, status, today).await?;
    audit::households_read(
        conn,
        &principal,
        "plan_table",
        t.rows.iter().map(|r| r.household_id).collect(),
        serde_json::json!({"project": project.code, "format": format,
            "commune_id": q.commune_id, "status": status.map(crate::domain::PlanStatus::as_str)}),
    )
    .await?;
    let cat = Catalogue::load(Lang::parse(q.lang.as_deref()));
    let stem = match &t.commune {
        Some(c) => format!("phuong-an-{}-{}", project.code, c.id),
        None => format!("phuong-an-{}", project.code),
    };
    let (body, content_type, disposition) = match format {
        "xlsx" => (
            table::xlsx(&t, &cat)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("attachment; filename=\"{stem}.xlsx\""),
        ),
        "html" => {
            let issue = crate::reports::render::issue_for(conn, &project).await?;
            (
                table::html(&t, &issue, &cat)?,
                "text/html; charset=utf-8",
                format!("inline; filename=\"{stem}.html\""),
            )
        }
        _ => return Ok(Json(t).into_response()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
