//! Visits: admitting a new one, reading them.
use std::collections::HashMap;
use std::str::FromStr;

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder};

use super::dto::{CommitmentDto, Location, NewVisit, VisitDto, VisitQuery};
use super::writer::{Stored, VisitJob};
use crate::auth::{Principal, Scope};
use crate::domain::UnknownValue;
use crate::error::{AppError, AppResult};
use crate::pagination::{Direction, Keyset, Page};
use crate::scoped::{self, commitments, visits, HouseholdId, Scoped, VisitId};

/// What to do with a POSTed visit.
pub enum Admission {
    /// The `Idempotency-Key` is already stored: answer with that visit.
    Replay(i32),
    /// A new visit, allowed, to this household of this project.
    New {
        household: Scoped<HouseholdId>,
        project_id: i32,
    },
}

/// Checks a new visit's content and the caller's right to log it, in one round trip. A
/// household outside the caller's area is 404 (its existence is not revealed); a working group
/// the caller does not belong to is 403.
#[tracing::instrument(skip_all, fields(household_id = v.household_id, working_group_id = v.working_group_id))]
pub async fn admit(
    conn: &impl ConnectionTrait,
    who: &Principal,
    v: &NewVisit,
    key: Option<&str>,
) -> AppResult<Admission> {
    let facts =
        scoped::visit_admission(conn, &who.scope, v.household_id, v.working_group_id, key).await?;
    if let Some(id) = facts.existing {
        return Ok(Admission::Replay(id));
    }
    validate(v)?;
    let Some((household, project_id)) = facts.household else {
        return Err(AppError::not_found("household"));
    };
    let Some(group_project) = facts.group_project else {
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
    crate::projects::service::ensure_open(conn, project_id).await?;
    Ok(Admission::New {
        household,
        project_id,
    })
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

/// A stored vocabulary value (the database holds only values the API wrote).
pub(crate) fn vocabulary<T: FromStr<Err = UnknownValue>>(s: &str) -> Result<T, DbErr> {
    s.parse()
        .map_err(|e: UnknownValue| DbErr::Type(format!("{e}: `{s}`")))
}

fn to_dto(v: visits::Model, commitments: Vec<commitments::Model>) -> Result<VisitDto, DbErr> {
    Ok(VisitDto {
        id: v.id,
        project_id: v.project_id,
        household_id: v.household_id,
        working_group_id: v.working_group_id,
        visited_at: v.visited_at.to_rfc3339(),
        kind: vocabulary(&v.kind)?,
        participants: serde_json::from_str(&v.participants).unwrap_or_default(),
        topics: serde_json::from_str(&v.topics).unwrap_or_default(),
        stance: vocabulary(&v.stance)?,
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
    })
}

/// The visit a job stored, as the API answers it (without reading it back).
pub fn stored_dto(job: VisitJob, stored: &Stored) -> VisitDto {
    let v = job.visit;
    VisitDto {
        id: stored.id,
        project_id: job.project_id,
        household_id: job.household.id(),
        working_group_id: v.working_group_id,
        visited_at: crate::db::utc(v.visited_at).to_rfc3339(),
        kind: v.kind,
        participants: v.participants,
        topics: v.topics,
        stance: v.stance,
        concerns: v.concerns,
        commitments: v
            .commitments
            .into_iter()
            .zip(stored.commitment_ids.iter().copied())
            .map(|(c, id)| CommitmentDto {
                id,
                text: c.text,
                owner: c.owner,
                due_date: c.due_date,
                done: false,
            })
            .collect(),
        next_visit_on: v.next_visit_on,
        location: v.location,
        client_id: job.client_id,
        created_by: job.created_by,
        created_at: stored.created_at.to_rfc3339(),
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
    rows.into_iter()
        .map(|v| {
            let cs = by_visit.remove(&v.id).unwrap_or_default();
            to_dto(v, cs)
        })
        .collect()
}

/// One visit (its household inside the scope).
#[tracing::instrument(skip_all, fields(visit_id = visit.id()))]
pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    visit: Scoped<VisitId>,
) -> AppResult<VisitDto> {
    let row = scoped::visit_row(visit)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("visit"))?;
    with_commitments(conn, scope, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("visit"))
}

/// Visits inside the scope, newest id first, filtered as asked.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    q: &VisitQuery,
) -> AppResult<Page<VisitDto>> {
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Descending)?;
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
    let rows = keyset.apply(select, visits::Column::Id).all(conn).await?;
    let page = keyset.page(rows, |v| v.id, |v| v);
    Ok(Page {
        items: with_commitments(conn, scope, page.items).await?,
        next_cursor: page.next_cursor,
    })
}
