//! `GET /api/v1/admin-units`: the administrative units, before and after the 2025 reform, and
//! the lookup of a unit by code that other resources use.
use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::seed::{LEVEL_COMMUNE, LEVEL_DISTRICT, LEVEL_PROVINCE};
use crate::auth::Principal;
use crate::entities::admin_units;
use crate::error::{AppError, AppResult};
use crate::extract::ApiQuery;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;
use crate::text::fold;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AdminUnitDto {
    pub id: i32,
    /// Official code; codes are reused across the 2025 reform, so `id` and the validity
    /// dates tell two units with one code apart.
    pub code: String,
    pub name: String,
    /// `province`, `district` or `commune`.
    pub level: String,
    pub parent_code: Option<String>,
    pub valid_from: NaiveDate,
    /// Last day of validity; null for units in force.
    pub valid_to: Option<NaiveDate>,
    /// The unit this one merged into in 2025.
    pub successor_code: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminUnitQuery {
    /// `province`, `district` or `commune`.
    pub level: Option<String>,
    /// Units in force on this date (`YYYY-MM-DD`).
    pub valid_on: Option<NaiveDate>,
    /// Part of the name, diacritics and case ignored (`binh thuan`), or a code: a search,
    /// both periods unless `valid_on` says which.
    pub q: Option<String>,
    /// Exactly this code. Codes are reused across the 2025 reform (21061 is Bình Trị until
    /// 30 June 2025 and Vạn Tường from 1 July 2025), so a code that names units of both periods
    /// needs `valid_on`: without it the answer is 422 `ambiguous_code`, naming the candidates.
    pub code: Option<String>,
    /// A province code: that province (in force on `valid_on`, or in either period) with the
    /// provinces merged into it in 2025, and every district and commune in them.
    pub province: Option<String>,
    /// A project code: the units of the province the project lies in (as `province`; the
    /// province of its first parcel), for a commune picker. 404 for a project the caller
    /// cannot see.
    pub project: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

fn valid_on(u: &admin_units::Model, day: NaiveDate) -> bool {
    u.valid_from <= day && u.valid_to.is_none_or(|to| day <= to)
}

/// 422 `ambiguous_code`: the code names several units; the details list them with the
/// `CODE@YYYY-MM-DD` that names each.
fn ambiguous(code: &str, units: &[admin_units::Model]) -> AppError {
    let candidates: Vec<serde_json::Value> = units
        .iter()
        .map(|u| {
            serde_json::json!({
                "id": u.id,
                "name": u.name,
                "level": u.level,
                "valid_from": u.valid_from,
                "valid_to": u.valid_to,
                "spec": format!("{}@{}", u.code, u.valid_from),
            })
        })
        .collect();
    let named: Vec<String> = units
        .iter()
        .map(|u| match u.valid_to {
            Some(to) => format!("{} until {to}", u.name),
            None => format!("{} from {}", u.name, u.valid_from),
        })
        .collect();
    AppError::Unprocessable {
        code: "ambiguous_code",
        message: format!(
            "code {code} names {} administrative units ({}): give the day too \
             (valid_on=YYYY-MM-DD, or {code}@YYYY-MM-DD) or the id",
            units.len(),
            named.join("; ")
        ),
        details: Some(serde_json::json!({ "code": code, "candidates": candidates })),
    }
}

/// Ids of the units of a province: the provinces with `code` (in force on `day` when given),
/// the legacy provinces merged into them, and their districts and communes.
pub async fn province_unit_ids(
    conn: &impl ConnectionTrait,
    code: &str,
    day: Option<NaiveDate>,
) -> Result<Vec<i32>, DbErr> {
    let provinces: Vec<i32> = admin_units::Entity::find()
        .filter(admin_units::Column::Level.eq(LEVEL_PROVINCE))
        .filter(admin_units::Column::Code.eq(code))
        .all(conn)
        .await?
        .into_iter()
        .filter(|u| day.is_none_or(|d| valid_on(u, d)))
        .map(|u| u.id)
        .collect();
    let ids_where = |cond: Condition| {
        admin_units::Entity::find()
            .select_only()
            .column(admin_units::Column::Id)
            .filter(cond)
            .into_tuple::<i32>()
            .all(conn)
    };
    let mut ids = provinces.clone();
    ids.extend(
        ids_where(
            Condition::all()
                .add(admin_units::Column::Level.eq(LEVEL_PROVINCE))
                .add(admin_units::Column::SuccessorId.is_in(provinces)),
        )
        .await?,
    );
    let districts =
        ids_where(Condition::all().add(admin_units::Column::ParentId.is_in(ids.clone()))).await?;
    ids.extend(districts.iter().copied());
    ids.extend(
        ids_where(Condition::all().add(admin_units::Column::ParentId.is_in(districts))).await?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// 422 when more than one unit (of `level`, when given) has `code`.
async fn refuse_ambiguous(
    conn: &impl ConnectionTrait,
    code: &str,
    level: Option<&str>,
) -> AppResult<()> {
    let mut same = admin_units::Entity::find()
        .filter(admin_units::Column::Code.eq(code))
        .order_by_asc(admin_units::Column::Id);
    if let Some(l) = level {
        same = same.filter(admin_units::Column::Level.eq(l));
    }
    let same = same.all(conn).await?;
    if same.len() > 1 {
        return Err(ambiguous(code, &same));
    }
    Ok(())
}

/// The codes of the parents and successors of `rows`, by id.
async fn referenced_codes(
    conn: &impl ConnectionTrait,
    rows: &[admin_units::Model],
) -> Result<HashMap<i32, String>, DbErr> {
    let mut refs: Vec<i32> = rows
        .iter()
        .flat_map(|u| [u.parent_id, u.successor_id])
        .flatten()
        .collect();
    refs.sort_unstable();
    refs.dedup();
    Ok(admin_units::Entity::find()
        .select_only()
        .column(admin_units::Column::Id)
        .column(admin_units::Column::Code)
        .filter(admin_units::Column::Id.is_in(refs))
        .into_tuple::<(i32, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

/// Administrative units, filtered by level, validity date, name or code, and province.
#[utoipa::path(get, path = "/api/v1/admin-units", tag = "admin-units", params(AdminUnitQuery),
    responses((status = 200, body = Page<AdminUnitDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope),
              (status = 404, description = "`project` names no project the caller can see", body = crate::error::ErrorEnvelope),
              (status = 422, description = "`code` without `valid_on` names units of both periods (`ambiguous_code`)", body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AdminUnitQuery>,
) -> AppResult<Json<Page<AdminUnitDto>>> {
    let conn = &state.db.conn;
    let limit = crate::pagination::limit(q.limit)?;
    let trimmed = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
    };
    let level = trimmed(&q.level);
    if let Some(l) = level.as_deref() {
        if ![LEVEL_PROVINCE, LEVEL_DISTRICT, LEVEL_COMMUNE].contains(&l) {
            return Err(AppError::BadRequest(format!(
                "level must be province, district or commune, not `{l}`"
            )));
        }
    }
    let cursor = Cursor::decode(q.cursor.as_deref())?;
    let mut select = admin_units::Entity::find().order_by_asc(admin_units::Column::Id);
    if let Some(c) = cursor {
        select = select.filter(admin_units::Column::Id.gt(c.0));
    }
    if let Some(l) = level.as_deref() {
        select = select.filter(admin_units::Column::Level.eq(l));
    }
    if let Some(d) = q.valid_on {
        select = select.filter(admin_units::Column::ValidFrom.lte(d)).filter(
            Condition::any()
                .add(admin_units::Column::ValidTo.is_null())
                .add(admin_units::Column::ValidTo.gte(d)),
        );
    }
    if let Some(code) = trimmed(&q.code) {
        if q.valid_on.is_none() {
            refuse_ambiguous(conn, &code, level.as_deref()).await?;
        }
        select = select.filter(admin_units::Column::Code.eq(code));
    }
    let province = match (trimmed(&q.project), trimmed(&q.province)) {
        (Some(project), _) => {
            let project =
                crate::projects::service::visible_project(conn, &principal, &project).await?;
            Some(crate::compensation::settings::project_province(conn, project.id).await?)
        }
        (None, province) => province,
    };
    if let Some(p) = province {
        select = select
            .filter(admin_units::Column::Id.is_in(province_unit_ids(conn, &p, q.valid_on).await?));
    }
    let rows: Vec<admin_units::Model> = match q.q.as_deref().map(fold).filter(|s| !s.is_empty()) {
        // Folding is done here, over the rows the other filters leave (at most the table).
        Some(needle) => select
            .all(conn)
            .await?
            .into_iter()
            .filter(|u| fold(&u.name).contains(&needle) || u.code == needle)
            .take(limit as usize + 1)
            .collect(),
        None => select.limit(limit + 1).all(conn).await?,
    };
    let codes = referenced_codes(conn, &rows).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |u| u.id,
        |u| AdminUnitDto {
            id: u.id,
            parent_code: u.parent_id.and_then(|p| codes.get(&p).cloned()),
            successor_code: u.successor_id.and_then(|s| codes.get(&s).cloned()),
            code: u.code,
            name: u.name,
            level: u.level,
            valid_from: u.valid_from,
            valid_to: u.valid_to,
        },
    )))
}

/// The unit a code names. Codes are reused across the 2025 reform, so `CODE@YYYY-MM-DD` picks
/// the unit in force on that date; a bare code is enough only when it names one unit, and is
/// otherwise refused with 422 `ambiguous_code` (the details name the candidates).
#[tracing::instrument(skip_all, fields(spec))]
pub async fn resolve_code(
    conn: &impl ConnectionTrait,
    spec: &str,
) -> AppResult<Option<admin_units::Model>> {
    let spec = spec.trim();
    let (code, day) = match spec.split_once('@') {
        Some((c, d)) => match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
            Ok(day) => (c.trim(), Some(day)),
            Err(_) => return Ok(None),
        },
        None => (spec, None),
    };
    let mut candidates = admin_units::Entity::find()
        .filter(admin_units::Column::Code.eq(code))
        .order_by_asc(admin_units::Column::Id)
        .all(conn)
        .await?;
    if let Some(d) = day {
        candidates.retain(|u| valid_on(u, d));
    }
    if candidates.len() > 1 {
        return Err(ambiguous(code, &candidates));
    }
    Ok(candidates.pop())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
