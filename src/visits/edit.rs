//! Editing a visit after it was logged (its author, for 48 hours; every edit keeps the previous
//! content in `visit_revisions`) and ticking commitments done.
use chrono::{DateTime, Duration, FixedOffset, Utc};
use sea_orm::sea_query::{Alias, Expr, JoinType, Order};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryOrder, Set};

use super::dto::{CommitmentStateDto, Location, NewVisit, VisitPatch, VisitRevisionDto};
use super::service::vocabulary;
use crate::auth::Principal;
use crate::domain::{Stance, Topic};
use crate::entities::users;
use crate::error::{AppError, AppResult};
use crate::scoped::{
    self, commitments, households, visit_revisions, visits, CommitmentId, HouseholdId, Scoped,
    VisitId,
};

/// How long after logging a visit its author may still change it.
pub const EDIT_WINDOW_HOURS: i64 = 48;

/// Whether `who` may still edit a visit logged by `created_by` at `created_at`; the error
/// says why not.
pub fn may_edit(
    who: Option<i32>,
    created_by: Option<i32>,
    created_at: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
) -> AppResult<()> {
    if who.is_none() || who != created_by {
        return Err(AppError::Forbidden(
            "only the member who logged this visit may edit it; log a new visit to add to it"
                .into(),
        ));
    }
    if now - created_at > Duration::hours(EDIT_WINDOW_HOURS) {
        return Err(AppError::Forbidden(format!(
            "a visit can be edited for {EDIT_WINDOW_HOURS} hours after it was logged; this one was logged at {} — log a new visit instead",
            created_at.to_rfc3339()
        )));
    }
    Ok(())
}

/// The editable content of a visit, as kept in a revision.
fn content(v: &visits::Model) -> serde_json::Value {
    serde_json::json!({
        "visited_at": v.visited_at.to_rfc3339(),
        "kind": v.kind,
        "participants": serde_json::from_str::<serde_json::Value>(&v.participants).unwrap_or_default(),
        "topics": serde_json::from_str::<serde_json::Value>(&v.topics).unwrap_or_default(),
        "stance": v.stance,
        "concerns": v.concerns,
        "next_visit_on": v.next_visit_on,
        "location": v.lon.zip(v.lat).map(|(lon, lat)| serde_json::json!({"lon": lon, "lat": lat})),
    })
}

fn parse_list<T: serde::de::DeserializeOwned>(s: &str) -> Vec<T> {
    serde_json::from_str(s).unwrap_or_default()
}

/// The visit as `patch` leaves it.
fn merge(current: &visits::Model, patch: &VisitPatch) -> Result<NewVisit, DbErr> {
    let kind = match patch.kind {
        Some(k) => k,
        None => vocabulary(&current.kind)?,
    };
    let stance = match patch.stance {
        Some(s) => s,
        None => vocabulary(&current.stance)?,
    };
    Ok(NewVisit {
        household_id: current.household_id,
        working_group_id: current.working_group_id,
        visited_at: patch.visited_at.unwrap_or(current.visited_at),
        kind,
        participants: patch
            .participants
            .clone()
            .unwrap_or_else(|| parse_list(&current.participants)),
        topics: patch
            .topics
            .clone()
            .unwrap_or_else(|| parse_list::<Topic>(&current.topics)),
        stance,
        concerns: patch
            .concerns
            .clone()
            .unwrap_or_else(|| current.concerns.clone()),
        commitments: Vec::new(),
        next_visit_on: patch.next_visit_on.unwrap_or(current.next_visit_on),
        location: match &patch.location {
            Some(l) => l.clone(),
            None => current
                .lon
                .zip(current.lat)
                .map(|(lon, lat)| Location { lon, lat }),
        },
    })
}

/// The names of the fields `patch` sends.
fn fields_of(patch: &VisitPatch) -> Vec<&'static str> {
    [
        ("visited_at", patch.visited_at.is_some()),
        ("kind", patch.kind.is_some()),
        ("participants", patch.participants.is_some()),
        ("topics", patch.topics.is_some()),
        ("stance", patch.stance.is_some()),
        ("concerns", patch.concerns.is_some()),
        ("next_visit_on", patch.next_visit_on.is_some()),
        ("location", patch.location.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect()
}

/// Applies `patch` to the visit (by its author, within the window); keeps the previous
/// content as a revision and keeps the household's stance that of its latest visit. Returns
/// the names of the fields changed.
#[tracing::instrument(skip_all, fields(visit_id = visit.id()))]
pub async fn update(
    conn: &impl ConnectionTrait,
    who: &Principal,
    visit: Scoped<VisitId>,
    patch: VisitPatch,
) -> AppResult<Vec<&'static str>> {
    let current = scoped::visit_row(visit)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("visit"))?;
    let now = Utc::now().fixed_offset();
    may_edit(who.user_id, current.created_by, current.created_at, now)?;
    let merged = merge(&current, &patch)?;
    let changed = fields_of(&patch);
    if changed.is_empty() {
        return Err(AppError::invalid(
            "empty_patch",
            "send at least one of visited_at, kind, participants, topics, stance, concerns, next_visit_on, location",
        ));
    }
    super::service::validate(&merged)?;

    scoped::insert_visit_revision(
        conn,
        visit,
        visit_revisions::ActiveModel {
            content: Set(content(&current).to_string()),
            edited_by: Set(who.user_id),
            edited_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    let mut stmt = scoped::update_visit(visit);
    stmt.value(visits::Column::VisitedAt, crate::db::utc(merged.visited_at))
        .value(visits::Column::Kind, merged.kind.as_str())
        .value(
            visits::Column::Participants,
            serde_json::to_string(&merged.participants).unwrap_or_default(),
        )
        .value(
            visits::Column::Topics,
            serde_json::to_string(&merged.topics).unwrap_or_default(),
        )
        .value(visits::Column::Stance, merged.stance.as_str())
        .value(visits::Column::Concerns, merged.concerns.as_str())
        .value(visits::Column::NextVisitOn, merged.next_visit_on)
        .value(visits::Column::Lon, merged.location.as_ref().map(|l| l.lon))
        .value(visits::Column::Lat, merged.location.as_ref().map(|l| l.lat));
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    if changed.contains(&"stance") || changed.contains(&"visited_at") {
        if let Some(household) = scoped::household_of_visit(conn, visit).await? {
            refresh_household(conn, household, now).await?;
        }
    }
    Ok(changed)
}

/// Sets a household's stance and last visit from its latest visit (after an edit changed
/// which visit is latest or what it says) and moves the stance counters.
async fn refresh_household(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
    now: DateTime<FixedOffset>,
) -> AppResult<()> {
    let Some(h) = scoped::household_row(household).one(conn).await? else {
        return Ok(());
    };
    let Some(latest) = scoped::visits_of(household)
        .order_by_desc(visits::Column::VisitedAt)
        .order_by_desc(visits::Column::Id)
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let stance: Stance = vocabulary(&latest.stance)?;
    let mut stmt = scoped::update_household(household);
    stmt.value(households::Column::Stance, stance.as_str())
        .value(households::Column::LastVisitAt, latest.visited_at)
        .value(households::Column::UpdatedAt, now);
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    if h.stance.as_deref() != Some(stance.as_str()) {
        let mut d = std::collections::BTreeMap::new();
        let old = h
            .stance
            .unwrap_or_else(|| crate::progress::counters::NO_STANCE.to_string());
        *d.entry(old).or_insert(0) -= 1;
        *d.entry(stance.as_str().to_string()).or_insert(0) += 1;
        crate::progress::counters::apply_stance_deltas(conn, h.project_id, &d).await?;
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct RevisionRow {
    id: i32,
    visit_id: i32,
    content: String,
    edited_by: Option<i32>,
    username: Option<String>,
    edited_at: DateTime<FixedOffset>,
}

/// The earlier contents of the visit, oldest first.
#[tracing::instrument(skip_all, fields(visit_id = visit.id()))]
pub async fn history(
    conn: &impl ConnectionTrait,
    visit: Scoped<VisitId>,
) -> AppResult<Vec<VisitRevisionDto>> {
    use visit_revisions::Column as R;
    let (r, u) = (Alias::new("r"), Alias::new("u"));
    let mut stmt = scoped::revisions_of(visit);
    for c in [R::Id, R::VisitId, R::Content, R::EditedBy, R::EditedAt] {
        stmt.column((r.clone(), c));
    }
    stmt.column((u.clone(), users::Column::Username))
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            u.clone(),
            Expr::col((u, users::Column::Id)).equals((r.clone(), R::EditedBy)),
        )
        .order_by((r, R::Id), Order::Asc);
    let rows = RevisionRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| VisitRevisionDto {
            id: r.id,
            visit_id: r.visit_id,
            edited_at: r.edited_at.to_rfc3339(),
            edited_by: r.edited_by,
            edited_by_username: r.username,
            previous: serde_json::from_str(&r.content).unwrap_or_default(),
        })
        .collect())
}

async fn commitment_state(
    conn: &impl ConnectionTrait,
    commitment: Scoped<CommitmentId>,
) -> AppResult<CommitmentStateDto> {
    let c = scoped::commitment_row(commitment)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("commitment"))?;
    Ok(CommitmentStateDto {
        id: c.id,
        visit_id: c.visit_id,
        household_id: c.household_id,
        text: c.text,
        owner: c.owner,
        due_date: c.due_date,
        done: c.done_at.is_some(),
        done_at: c.done_at.map(|t| t.to_rfc3339()),
        done_by: c.done_by,
    })
}

/// Marks the commitment done (`done`) or open again. Marking a done commitment done again
/// keeps the first time and person.
#[tracing::instrument(skip_all, fields(commitment_id = commitment.id(), done))]
pub async fn set_commitment_done(
    conn: &impl ConnectionTrait,
    who: &Principal,
    commitment: Scoped<CommitmentId>,
    done: bool,
) -> AppResult<CommitmentStateDto> {
    let current = commitment_state(conn, commitment).await?;
    if current.done != done {
        let (at, by) = if done {
            (Some(Utc::now().fixed_offset()), who.user_id)
        } else {
            (None, None)
        };
        let mut stmt = scoped::update_commitment(commitment);
        stmt.value(commitments::Column::DoneAt, at)
            .value(commitments::Column::DoneBy, by);
        conn.execute(conn.get_database_backend().build(&stmt))
            .await?;
    }
    commitment_state(conn, commitment).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_author_within_48_hours() {
        let logged = Utc::now().fixed_offset();
        assert!(may_edit(Some(3), Some(3), logged, logged + Duration::hours(47)).is_ok());
        assert!(matches!(
            may_edit(Some(4), Some(3), logged, logged),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            may_edit(None, None, logged, logged),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            may_edit(Some(3), Some(3), logged, logged + Duration::hours(49)),
            Err(AppError::Forbidden(_))
        ));
    }
}
