use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::dto::{PeriodStats, StatsQuery};
use super::period::Period;
use super::render::{self, ReportFormat};
use super::service::{self, Range};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// The numbers of a date range (`?period=2021-Q1|2021-H1|2021` or `?from=&to=`) and of the
/// range before it: visits, households visited, stances, grievances, stages reached, area
/// handed over, hot spots, splits after the cut-off; per project, commune and working group.
/// Members see their area's numbers.
#[utoipa::path(get, path = "/api/v1/projects/{code}/stats", tag = "reports",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2"), StatsQuery),
    responses((status = 200, body = PeriodStats), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code))]
pub async fn stats(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<Json<PeriodStats>> {
    let range = Range::from_query(&q)?;
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    Ok(Json(
        service::period_stats(conn, &principal.scope, &project, range).await?,
    ))
}

/// The periodic report of a period as a file: `{period}.{format}` with period `2021-Q1`,
/// `2021-H1` or `2021` and format `xlsx`, `csv` or `html` (printable on A4).
#[utoipa::path(get, path = "/api/v1/projects/{code}/reports/{file}", tag = "reports",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2"),
           ("file" = String, Path, description = "period and format, e.g. 2021-Q1.xlsx")),
    responses((status = 200, description = "the report file"), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(user_id = ?principal.user_id, project = %code, file = %file))]
pub async fn report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, file)): ApiPath<(String, String)>,
) -> AppResult<Response> {
    let (period, format) = file.rsplit_once('.').ok_or_else(|| {
        AppError::BadRequest(format!(
            "`{file}` needs a format: {file}.xlsx, .csv or .html"
        ))
    })?;
    let format = ReportFormat::parse(format)?;
    let period = Period::parse(period)?;
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    let stats =
        service::period_stats(conn, &principal.scope, &project, Range::of_period(period)).await?;
    let body = render::render(
        &stats,
        period,
        format,
        &render::issue_for(conn, &project).await?,
    )?;
    crate::audit::record(
        conn,
        &principal,
        "report",
        "project",
        Some(project.code.clone()),
        serde_json::json!({"period": period.code(), "format": format.extension()}),
    )
    .await?;
    let filename = format!(
        "bao-cao-{}-{}.{}",
        project.code,
        period.code(),
        format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{}; filename=\"{filename}\"", format.disposition()),
            ),
        ],
        body,
    )
        .into_response())
}
