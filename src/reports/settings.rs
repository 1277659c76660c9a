//! Who issues a project's printed report: the parent agency line above the issuing agency and
//! the document symbol after `Số: …/`, set per project by an administrator.
use axum::extract::State;
use axum::Json;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::domain::Permission;
use crate::entities::project_report_settings as settings;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// Longest agency line or symbol accepted.
const MAX_CHARS: usize = 200;

/// A project's report settings and what the report will print with them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSettingsDto {
    pub project: String,
    /// The line above the issuing agency (`UBND HUYỆN BÌNH SƠN`); null: taken from the
    /// project party that decides land recovery, if any.
    pub parent_agency: Option<String>,
    /// The symbol after `Số: …/` (`BC-BCĐ`); null: the default.
    pub doc_symbol: Option<String>,
    /// As the report prints them today.
    pub printed_agency: String,
    pub printed_parent_agency: Option<String>,
    pub printed_doc_symbol: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSettingsInput {
    /// Empty or null: none set (the default applies).
    pub parent_agency: Option<String>,
    pub doc_symbol: Option<String>,
}

fn cleaned(field: &'static str, v: Option<&str>) -> AppResult<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    if v.is_some_and(|s| s.chars().count() > MAX_CHARS) {
        return Err(AppError::Unprocessable {
            code: "text_too_long",
            message: format!("{field} is limited to {MAX_CHARS} characters"),
            details: Some(json!({"field": field, "max": MAX_CHARS})),
        });
    }
    Ok(v.map(str::to_string))
}

async fn dto_of(
    conn: &impl sea_orm::ConnectionTrait,
    project: &crate::entities::projects::Model,
) -> AppResult<ReportSettingsDto> {
    let row = settings::Entity::find()
        .filter(settings::Column::ProjectId.eq(project.id))
        .one(conn)
        .await?;
    let issue = super::render::issue_for(conn, project).await?;
    Ok(ReportSettingsDto {
        project: project.code.clone(),
        parent_agency: row.as_ref().and_then(|r| r.parent_agency.clone()),
        doc_symbol: row.and_then(|r| r.doc_symbol),
        printed_agency: issue.agency,
        printed_parent_agency: issue.parent_agency,
        printed_doc_symbol: issue.doc_symbol,
    })
}

/// The project's report settings and the header the report prints with them.
#[utoipa::path(get, path = "/api/v1/projects/{code}/settings/report", tag = "reports",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    responses((status = 200, body = ReportSettingsDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<ReportSettingsDto>> {
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    Ok(Json(dto_of(conn, &project).await?))
}

/// Set the parent agency line and the document symbol of the project's report
/// (administrators; audited).
#[utoipa::path(put, path = "/api/v1/projects/{code}/settings/report", tag = "reports",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    request_body = ReportSettingsInput,
    responses((status = 200, body = ReportSettingsDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn put(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<ReportSettingsInput>,
) -> AppResult<Json<ReportSettingsDto>> {
    principal.require(Permission::Administer)?;
    let parent = cleaned("parent_agency", input.parent_agency.as_deref())?;
    let symbol = cleaned("doc_symbol", input.doc_symbol.as_deref())?;
    let tx = state.db.write().await?;
    let project = crate::projects::service::visible_project(&*tx, &principal, &code).await?;
    crate::projects::service::ensure_open(&*tx, project.id).await?;
    let existing = settings::Entity::find()
        .filter(settings::Column::ProjectId.eq(project.id))
        .one(&*tx)
        .await?;
    match existing {
        Some(row) => {
            let mut row: settings::ActiveModel = row.into();
            row.parent_agency = Set(parent.clone());
            row.doc_symbol = Set(symbol.clone());
            row.update(&*tx).await?;
        }
        None => {
            settings::ActiveModel {
                project_id: Set(project.id),
                parent_agency: Set(parent.clone()),
                doc_symbol: Set(symbol.clone()),
                ..Default::default()
            }
            .insert(&*tx)
            .await?;
        }
    }
    crate::audit::record(
        &*tx,
        &principal,
        "update",
        "report_settings",
        Some(project.code.clone()),
        json!({"parent_agency": parent, "doc_symbol": symbol}),
    )
    .await?;
    let dto = dto_of(&*tx, &project).await?;
    tx.commit().await?;
    Ok(Json(dto))
}
