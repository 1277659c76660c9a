//! `GET /api/v1/admin-units`: the administrative units, before and after the 2025 reform, and
//! the lookup of a unit by code that other resources use.
use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
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
    /// Part of the name, diacritics and case ignored (`binh thuan`), or a code.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

fn valid_on(u: &admin_units::Model, day: NaiveDate) -> bool {
    u.valid_from <= day && u.valid_to.is_none_or(|to| day <= to)
}

/// Administrative units, filtered by level, validity date and name.
#[utoipa::path(get, path = "/api/v1/admin-units", tag = "admin-units", params(AdminUnitQuery),
    responses((status = 200, body = Page<AdminUnitDto>), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    _principal: Principal,
    ApiQuery(q): ApiQuery<AdminUnitQuery>,
) -> AppResult<Json<Page<AdminUnitDto>>> {
    let limit = crate::pagination::limit(q.limit)?;
    let level = q.level.as_deref().map(str::trim).filter(|l| !l.is_empty());
    if let Some(l) = level {
        if ![LEVEL_PROVINCE, LEVEL_DISTRICT, LEVEL_COMMUNE].contains(&l) {
            return Err(AppError::BadRequest(format!(
                "level must be province, district or commune, not `{l}`"
            )));
        }
    }
    let cursor = Cursor::decode(q.cursor.as_deref())?;
    let all = all_units(&state.db.conn).await?;
    let codes: HashMap<i32, String> = all.iter().map(|u| (u.id, u.code.clone())).collect();
    let needle = q.q.as_deref().map(fold).filter(|s| !s.is_empty());
    let rows: Vec<&admin_units::Model> = all
        .iter()
        .filter(|u| cursor.is_none_or(|c| u.id > c.0))
        .filter(|u| level.is_none_or(|l| u.level == l))
        .filter(|u| q.valid_on.is_none_or(|d| valid_on(u, d)))
        .filter(|u| {
            needle
                .as_deref()
                .is_none_or(|n| fold(&u.name).contains(n) || u.code == n)
        })
        .take(limit as usize + 1)
        .collect();
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |u| u.id,
        |u| AdminUnitDto {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level.clone(),
            parent_code: u.parent_id.and_then(|p| codes.get(&p).cloned()),
            valid_from: u.valid_from,
            valid_to: u.valid_to,
            successor_code: u.successor_id.and_then(|s| codes.get(&s).cloned()),
        },
    )))
}

/// Every unit by id: a few hundred rows of reference data, filtered in memory where folding
/// is at hand.
#[tracing::instrument(skip_all)]
pub async fn all_units(conn: &impl ConnectionTrait) -> Result<Vec<admin_units::Model>, DbErr> {
    admin_units::Entity::find()
        .order_by_asc(admin_units::Column::Id)
        .all(conn)
        .await
}

/// The unit a code names. Codes are reused across the 2025 reform, so `CODE@YYYY-MM-DD` picks
/// the unit in force on that date; a bare code prefers the unit in force now, then the most
/// recent one.
#[tracing::instrument(skip_all, fields(spec))]
pub async fn resolve_code(
    conn: &impl ConnectionTrait,
    spec: &str,
) -> Result<Option<admin_units::Model>, DbErr> {
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
        .all(conn)
        .await?;
    if let Some(d) = day {
        candidates.retain(|u| valid_on(u, d));
    }
    candidates.sort_by_key(|u| (u.valid_to.is_some(), std::cmp::Reverse(u.valid_from)));
    Ok(candidates.into_iter().next())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
