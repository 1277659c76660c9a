use std::collections::HashMap;

use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};

use super::dto::{CommitmentDto, Location, NewVisit, VisitDto, VisitQuery};
use crate::auth::{Principal, Scope};
use crate::error::{AppError, AppResult};
use crate::pagination::{Cursor, Page};
use crate::scoped::{self, commitments, visits};

/// What to do with a POSTed visit.
pub enum Admission {
    /// The `Idempotency-Key` is already stored: answer with that visit.
    Replay(i32),
    /// A new visit, allowed, for this project.
    New { project_id: i32 },
}

/// Checks a new visit's content and the caller's right to log it, in one round trip. A
/// household outside the caller's area is 404 (its existence is not revealed); a working group
/// the caller does not belong to is 403.
pub async fn admit(
    conn: &impl ConnectionTrait,
    who: &Principal,
    v: &NewVisit,
    key: Option<&str>,
) -> AppResult<Admission> {
    let row = conn
        .query_one(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT (SELECT id FROM visits WHERE client_id = $3) AS existing, \
             (SELECT project_id FROM households WHERE id = $1) AS h_project, \
             (SELECT commune_id FROM households WHERE id = $1) AS h_commune, \
             (SELECT project_id FROM working_groups WHERE id = $2) AS g_project",
            [
                Value::from(v.household_id),
                Value::from(v.working_group_id),
                Value::from(key),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("admission query returned no row")))?;
    if let Some(id) = row.try_get::<Option<i32>>("", "existing")? {
        return Ok(Admission::Replay(id));
    }
    validate(v)?;
    let h_project: Option<i32> = row.try_get("", "h_project")?;
    let h_commune: Option<i32> = row.try_get("", "h_commune")?;
    let project_id = match (h_project, h_commune) {
        (Some(p), Some(c)) if who.scope.allows(p, c) => p,
        _ => return Err(AppError::not_found("household")),
    };
    let Some(group_project) = row.try_get::<Option<i32>>("", "g_project")? else {
        return Err(AppError::invalid(
            "unknown_working_group",
            format!("there is no working group {}", v.working_group_id),
        ));
    };
    if group_project != project_id {
        return Err(AppError::invalid(
            "wrong_project",
            "the working group belongs to another project than the household",
        ));
    }
    if who.role.is_area_scoped() && !who.groups.contains(&v.working_group_id) {
        return Err(AppError::Forbidden(format!(
            "you are not a member of working group {}",
            v.working_group_id
        )));
    }
    Ok(Admission::New { project_id })
}

pub(crate) fn validate(v: &NewVisit) -> AppResult<()> {
    if v.visited_at > Utc::now().fixed_offset() + Duration::hours(24) {
        return Err(AppError::invalid(
            "visited_at_in_future",
            "visited_at is in the future; check the device clock",
        ));
    }
    if let Some(l) = &v.location {
        if !(102.0..=117.9).contains(&l.lon) || !(6.0..=23.5).contains(&l.lat) {
            return Err(AppError::invalid(
                "location_outside_vietnam",
                "location must be a lon/lat (WGS84) point in Viet Nam",
            ));
        }
    }
    if let Some((i, _)) = v
        .commitments
        .iter()
        .enumerate()
        .find(|(_, c)| c.text.trim().is_empty() || c.owner.trim().is_empty())
    {
        return Err(AppError::invalid(
            "invalid_commitment",
            format!("commitment {} needs a text and an owner", i + 1),
        ));
    }
    if v.concerns.len() > 20_000 {
        return Err(AppError::invalid(
            "concerns_too_long",
            "concerns are limited to 20,000 characters",
        ));
    }
    if let Some(next) = v.next_visit_on {
        if next < v.visited_at.date_naive() {
            return Err(AppError::invalid(
                "next_visit_before_visit",
                "next_visit_on is before the visit",
            ));
        }
    }
    Ok(())
}

fn to_dto(v: visits::Model, commitments: Vec<commitments::Model>) -> VisitDto {
    VisitDto {
        id: v.id,
        project_id: v.project_id,
        household_id: v.household_id,
        working_group_id: v.working_group_id,
        visited_at: v.visited_at.to_rfc3339(),
        kind: v.kind,
        participants: serde_json::from_str(&v.participants).unwrap_or_default(),
        topics: serde_json::from_str(&v.topics).unwrap_or_default(),
        stance: v.stance,
        concerns: v.concerns,
        commitments: commitments
            .into_iter()
            .map(|c| CommitmentDto {
                id: c.id,
                text: c.text,
                owner: c.owner,
                due_date: c.due_date,
                done: c.done_at.is_some(),
            })
            .collect(),
        next_visit_on: v.next_visit_on,
        location: v.lon.zip(v.lat).map(|(lon, lat)| Location { lon, lat }),
        client_id: v.client_id,
        created_by: v.created_by,
        created_at: v.created_at.to_rfc3339(),
    }
}

async fn with_commitments(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    rows: Vec<visits::Model>,
) -> Result<Vec<VisitDto>, DbErr> {
    let ids: Vec<i32> = rows.iter().map(|v| v.id).collect();
    let mut by_visit: HashMap<i32, Vec<commitments::Model>> = HashMap::new();
    if !ids.is_empty() {
        for c in scoped::commitments(scope)
            .filter(commitments::Column::VisitId.is_in(ids))
            .order_by_asc(commitments::Column::Id)
            .all(conn)
            .await?
        {
            by_visit.entry(c.visit_id).or_default().push(c);
        }
    }
    Ok(rows
        .into_iter()
        .map(|v| {
            let cs = by_visit.remove(&v.id).unwrap_or_default();
            to_dto(v, cs)
        })
        .collect())
}

/// One visit, if its household is inside the scope.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i32) -> AppResult<VisitDto> {
    let row = scoped::visits(scope)
        .filter(visits::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("visit"))?;
    Ok(with_commitments(conn, scope, vec![row]).await?.remove(0))
}

/// Visits inside the scope, newest id first, filtered as asked.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    q: &VisitQuery,
) -> AppResult<Page<VisitDto>> {
    let limit = crate::pagination::limit(q.limit)?;
    let mut select = scoped::visits(scope);
    if let Some(h) = q.household {
        select = select.filter(visits::Column::HouseholdId.eq(h));
    }
    if let Some(g) = q.working_group {
        select = select.filter(visits::Column::WorkingGroupId.eq(g));
    }
    if let Some(start) = q
        .from
        .and_then(|from| from.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().fixed_offset())
    {
        select = select.filter(visits::Column::VisitedAt.gte(start));
    }
    if let Some(end) =
        q.to.and_then(|to| (to + Duration::days(1)).and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().fixed_offset())
    {
        select = select.filter(visits::Column::VisitedAt.lt(end));
    }
    if let Some(cursor) = Cursor::decode(q.cursor.as_deref())? {
        select = select.filter(visits::Column::Id.lt(cursor.0));
    }
    let rows = select
        .order_by_desc(visits::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let page = Page::from_rows(rows, limit, |v| v.id, |v| v);
    Ok(Page {
        items: with_commitments(conn, scope, page.items).await?,
        next_cursor: page.next_cursor,
    })
}
