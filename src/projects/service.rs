use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use super::dto::NewProject;
use crate::auth::Principal;
use crate::entities::projects;
use crate::error::{AppError, AppResult};

#[tracing::instrument(skip_all)]
pub async fn any_project(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(projects::Entity::find().count(conn).await? > 0)
}

#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn by_code(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<projects::Model>, DbErr> {
    projects::Entity::find()
        .filter(projects::Column::Code.eq(code))
        .one(conn)
        .await
}

/// The project if this principal may see it; a project board's token sees only its own.
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn visible_project(
    conn: &impl ConnectionTrait,
    who: &Principal,
    code: &str,
) -> AppResult<projects::Model> {
    let project = by_code(conn, code)
        .await?
        .ok_or_else(|| AppError::not_found("project"))?;
    if who.scope.allows_project(project.id) {
        Ok(project)
    } else {
        Err(AppError::not_found("project"))
    }
}

#[tracing::instrument(skip_all, fields(user_id = ?who.user_id))]
pub async fn list(
    conn: &impl ConnectionTrait,
    who: &Principal,
) -> Result<Vec<projects::Model>, DbErr> {
    let mut q = projects::Entity::find().order_by_asc(projects::Column::Code);
    if let Some(id) = who.scope.project_id() {
        q = q.filter(projects::Column::Id.eq(id));
    }
    q.all(conn).await
}

pub fn validate(new: &NewProject) -> AppResult<Option<String>> {
    let code_ok = !new.code.is_empty()
        && new.code.len() <= 32
        && new
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !code_ok {
        return Err(AppError::invalid(
            "invalid_code",
            "code must be 1–32 letters, digits, `-` or `_`, e.g. HP-DQ2",
        ));
    }
    if new.name.trim().is_empty() {
        return Err(AppError::invalid("missing_name", "give the project a name"));
    }
    if let (Some(n), Some(t)) = (new.notice_date, new.target_handover_date) {
        if t < n {
            return Err(AppError::invalid(
                "invalid_dates",
                "target_handover_date is before notice_date",
            ));
        }
    }
    match &new.boundary {
        None => Ok(None),
        Some(b) => {
            let mp = crate::geo::parse_geometry(b).map_err(|e| AppError::Unprocessable {
                code: "invalid_geometry",
                message: format!("boundary: {e}"),
                details: Some(serde_json::json!({"feature": "boundary", "reason": e.code()})),
            })?;
            Ok(Some(crate::geo::to_geojson_string(&mp)))
        }
    }
}

#[tracing::instrument(skip_all, fields(project = %new.code))]
pub async fn create(conn: &impl ConnectionTrait, new: NewProject) -> AppResult<projects::Model> {
    let boundary = validate(&new)?;
    if by_code(conn, &new.code).await?.is_some() {
        return Err(AppError::Conflict {
            code: "duplicate",
            message: format!("a project with code {} exists", new.code),
        });
    }
    Ok(projects::ActiveModel {
        code: Set(new.code),
        name: Set(new.name),
        investor: Set(new.investor),
        boundary: Set(boundary),
        notice_date: Set(new.notice_date),
        target_handover_date: Set(new.target_handover_date),
        status: Set("active".into()),
        agency: Set(new.agency),
        contact: Set(new.contact),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}
