use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Unchanged,
};
use serde_json::json;

use super::dto::{MilestoneDto, NewProject, PartyDto, ProjectDto, ProjectPatch};
use crate::auth::Principal;
use crate::domain::ProjectStatus;
use crate::entities::{project_milestones, project_parties, projects};
use crate::error::{AppError, AppResult};
use crate::scoped;

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
        status: Set(ProjectStatus::Active),
        version: Set(1),
        updated_by: Set(None),
        agency: Set(new.agency),
        contact: Set(new.contact),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

// ---- closed projects -------------------------------------------------------------------

/// Refuses a write into a closed project with 409 `project_closed`. Every write service that
/// stores something in a project (parcels, households, visits, stages, grievances, imports)
/// calls this, inside its write transaction, before writing.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn ensure_open(conn: &impl ConnectionTrait, project_id: i32) -> AppResult<()> {
    let row: Option<(String, ProjectStatus)> = projects::Entity::find_by_id(project_id)
        .select_only()
        .column(projects::Column::Code)
        .column(projects::Column::Status)
        .into_tuple()
        .one(conn)
        .await?;
    match row {
        Some((code, ProjectStatus::Closed)) => Err(AppError::Conflict {
            code: "project_closed",
            message: format!(
                "project {code} is closed and read-only; an administrator can reopen it"
            ),
        }),
        _ => Ok(()),
    }
}

/// [`ensure_open`] for the project of a row that passed the caller's scope.
pub async fn ensure_open_for(
    conn: &impl ConnectionTrait,
    row: impl Into<scoped::InProject>,
) -> AppResult<()> {
    match scoped::project_of(conn, row.into()).await? {
        Some(project_id) => ensure_open(conn, project_id).await,
        None => Ok(()),
    }
}

// ---- one project, its parties and milestones ---------------------------------------------

/// The project with its responsible agencies and milestones.
pub async fn detail(
    conn: &impl ConnectionTrait,
    project: projects::Model,
) -> AppResult<ProjectDto> {
    let parties = project_parties::Entity::find()
        .filter(project_parties::Column::ProjectId.eq(project.id))
        .order_by_asc(project_parties::Column::SortOrder)
        .order_by_asc(project_parties::Column::Id)
        .all(conn)
        .await?;
    let milestones = project_milestones::Entity::find()
        .filter(project_milestones::Column::ProjectId.eq(project.id))
        .order_by_asc(project_milestones::Column::OnDate)
        .order_by_asc(project_milestones::Column::Id)
        .all(conn)
        .await?;
    let mut dto = ProjectDto::from(project);
    dto.parties = Some(parties.into_iter().map(PartyDto::from).collect());
    dto.milestones = Some(milestones.into_iter().map(MilestoneDto::from).collect());
    Ok(dto)
}

const MAX_TEXT: usize = 300;
const MAX_ROWS: usize = 100;

fn field_error(code: &'static str, field: &str, message: impl Into<String>) -> AppError {
    AppError::Unprocessable {
        code,
        message: message.into(),
        details: Some(json!({"field": field})),
    }
}

/// A required text, trimmed, at most [`MAX_TEXT`] characters.
fn required(field: &str, value: &str, missing: &'static str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(field_error(missing, field, format!("{field} is empty")));
    }
    if v.chars().count() > MAX_TEXT {
        return Err(field_error(
            "text_too_long",
            field,
            format!("{field} is longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(v.to_string())
}

/// An optional text, trimmed; empty is none.
fn optional(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > MAX_TEXT => Err(field_error(
            "text_too_long",
            field,
            format!("{field} is longer than {MAX_TEXT} characters"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

fn check_parties(parties: &[PartyDto]) -> AppResult<Vec<PartyDto>> {
    if parties.len() > MAX_ROWS {
        return Err(field_error(
            "too_many_rows",
            "parties",
            format!("at most {MAX_ROWS} agencies"),
        ));
    }
    parties
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let f = |name: &str| format!("parties.{i}.{name}");
            let role_vi = required(&f("role_vi"), &p.role_vi, "missing_role")?;
            let role_en =
                optional(&f("role_en"), Some(&p.role_en))?.unwrap_or_else(|| role_vi.clone());
            let organisation =
                required(&f("organisation"), &p.organisation, "missing_organisation")?;
            let email = optional(&f("email"), p.email.as_deref())?;
            if let Some(e) = &email {
                let ok = e
                    .split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
                    && !e.contains(char::is_whitespace);
                if !ok {
                    return Err(field_error(
                        "invalid_email",
                        &f("email"),
                        format!("`{e}` is not an e-mail address"),
                    ));
                }
            }
            Ok(PartyDto {
                role_vi,
                role_en,
                organisation,
                contact_person: optional(&f("contact_person"), p.contact_person.as_deref())?,
                phone: optional(&f("phone"), p.phone.as_deref())?,
                email,
            })
        })
        .collect()
}

fn check_milestones(milestones: &[MilestoneDto]) -> AppResult<Vec<MilestoneDto>> {
    if milestones.len() > MAX_ROWS {
        return Err(field_error(
            "too_many_rows",
            "milestones",
            format!("at most {MAX_ROWS} milestones"),
        ));
    }
    milestones
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let title_vi = required(
                &format!("milestones.{i}.title_vi"),
                &m.title_vi,
                "missing_title",
            )?;
            let title_en = optional(&format!("milestones.{i}.title_en"), Some(&m.title_en))?
                .unwrap_or_else(|| title_vi.clone());
            Ok(MilestoneDto {
                on_date: m.on_date,
                title_vi,
                title_en,
            })
        })
        .collect()
}

/// A boundary to store: a valid WGS84 Polygon or MultiPolygon.
fn check_boundary(value: &serde_json::Value) -> AppResult<String> {
    let mp = crate::geo::parse_geometry(value).map_err(|e| AppError::Unprocessable {
        code: "invalid_geometry",
        message: format!("boundary: {e}"),
        details: Some(json!({"field": "boundary", "reason": e.code()})),
    })?;
    Ok(crate::geo::to_geojson_string(&mp))
}

/// What a `PATCH` did.
pub enum PatchOutcome {
    Updated {
        project: Box<projects::Model>,
        changed: Vec<&'static str>,
    },
    /// Someone saved first: the current version and who saved it.
    Stale {
        version: i32,
        updated_by: Option<String>,
    },
}

/// Applies a patch to an open project whose version is still `expected`. Run inside the
/// write transaction.
#[tracing::instrument(skip_all, fields(project = %project.code, expected))]
pub async fn patch(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: projects::Model,
    expected: i32,
    patch: ProjectPatch,
) -> AppResult<PatchOutcome> {
    ensure_open(conn, project.id).await?;
    if project.version != expected {
        return Ok(PatchOutcome::Stale {
            version: project.version,
            updated_by: project.updated_by,
        });
    }
    let mut changed = Vec::new();
    let mut am = projects::ActiveModel {
        id: Unchanged(project.id),
        ..Default::default()
    };
    if let Some(name) = &patch.name {
        am.name = Set(required("name", name, "missing_name")?);
        changed.push("name");
    }
    if let Some(investor) = &patch.investor {
        am.investor = Set(optional("investor", Some(investor))?.unwrap_or_default());
        changed.push("investor");
    }
    let notice = patch.notice_date.unwrap_or(project.notice_date);
    let target = patch
        .target_handover_date
        .unwrap_or(project.target_handover_date);
    if let (Some(n), Some(t)) = (notice, target) {
        if t < n {
            return Err(field_error(
                "invalid_dates",
                "target_handover_date",
                "target_handover_date is before notice_date",
            ));
        }
    }
    if let Some(d) = patch.notice_date {
        am.notice_date = Set(d);
        changed.push("notice_date");
    }
    if let Some(d) = patch.target_handover_date {
        am.target_handover_date = Set(d);
        changed.push("target_handover_date");
    }
    if let Some(b) = &patch.boundary {
        am.boundary = Set(b.as_ref().map(check_boundary).transpose()?);
        changed.push("boundary");
    }
    if let Some(a) = &patch.agency {
        am.agency = Set(optional("agency", a.as_deref())?);
        changed.push("agency");
    }
    if let Some(c) = &patch.contact {
        am.contact = Set(optional("contact", c.as_deref())?);
        changed.push("contact");
    }
    let parties = patch.parties.as_deref().map(check_parties).transpose()?;
    let milestones = patch
        .milestones
        .as_deref()
        .map(check_milestones)
        .transpose()?;
    if changed.is_empty() && parties.is_none() && milestones.is_none() {
        return Err(AppError::invalid(
            "nothing_to_change",
            "give at least one field to change",
        ));
    }
    am.version = Set(expected + 1);
    am.updated_by = Set(Some(who.username.clone()));
    let done = projects::Entity::update_many()
        .set(am)
        .filter(projects::Column::Id.eq(project.id))
        .filter(projects::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        let now = by_id(conn, project.id).await?;
        return Ok(PatchOutcome::Stale {
            version: now.version,
            updated_by: now.updated_by,
        });
    }
    if let Some(parties) = parties {
        replace_parties(conn, project.id, parties).await?;
        changed.push("parties");
    }
    if let Some(milestones) = milestones {
        replace_milestones(conn, project.id, milestones).await?;
        changed.push("milestones");
    }
    let project = by_id(conn, project.id).await?;
    Ok(PatchOutcome::Updated {
        project: Box::new(project),
        changed,
    })
}

async fn by_id(conn: &impl ConnectionTrait, id: i32) -> AppResult<projects::Model> {
    projects::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("project"))
}

async fn replace_parties(
    conn: &impl ConnectionTrait,
    project_id: i32,
    parties: Vec<PartyDto>,
) -> Result<(), DbErr> {
    project_parties::Entity::delete_many()
        .filter(project_parties::Column::ProjectId.eq(project_id))
        .exec(conn)
        .await?;
    if parties.is_empty() {
        return Ok(());
    }
    let rows = parties
        .into_iter()
        .zip(0..)
        .map(|(p, i)| project_parties::ActiveModel {
            project_id: Set(project_id),
            sort_order: Set(i),
            role_vi: Set(p.role_vi),
            role_en: Set(p.role_en),
            organisation: Set(p.organisation),
            contact_person: Set(p.contact_person),
            phone: Set(p.phone),
            email: Set(p.email),
            ..Default::default()
        });
    project_parties::Entity::insert_many(rows)
        .exec(conn)
        .await?;
    Ok(())
}

async fn replace_milestones(
    conn: &impl ConnectionTrait,
    project_id: i32,
    milestones: Vec<MilestoneDto>,
) -> Result<(), DbErr> {
    project_milestones::Entity::delete_many()
        .filter(project_milestones::Column::ProjectId.eq(project_id))
        .exec(conn)
        .await?;
    if milestones.is_empty() {
        return Ok(());
    }
    let rows = milestones
        .into_iter()
        .map(|m| project_milestones::ActiveModel {
            project_id: Set(project_id),
            on_date: Set(m.on_date),
            title_vi: Set(m.title_vi),
            title_en: Set(m.title_en),
            ..Default::default()
        });
    project_milestones::Entity::insert_many(rows)
        .exec(conn)
        .await?;
    Ok(())
}

/// Closes (read-only) or reopens a project; a new version either way. Run inside the write
/// transaction.
#[tracing::instrument(skip_all, fields(project = %project.code, ?status))]
pub async fn set_status(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: projects::Model,
    status: ProjectStatus,
) -> AppResult<projects::Model> {
    if project.status == status {
        return Ok(project);
    }
    projects::Entity::update_many()
        .set(projects::ActiveModel {
            status: Set(status),
            version: Set(project.version + 1),
            updated_by: Set(Some(who.username.clone())),
            ..Default::default()
        })
        .filter(projects::Column::Id.eq(project.id))
        .exec(conn)
        .await?;
    by_id(conn, project.id).await
}
