//! Editing a visit after it was logged (its author, for 48 hours; every edit keeps the previous
//! content in `visit_revisions`) and ticking commitments done.
use chrono::{DateTime, Duration, FixedOffset, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, FromQueryResult, QueryFilter, Statement, Value};

use super::dto::{CommitmentStateDto, Location, NewVisit, VisitPatch, VisitRevisionDto};
use crate::auth::{Principal, Scope};
use crate::domain::{Stance, Topic, VisitKind};
use crate::error::{AppError, AppResult};
use crate::scoped::{self, visits};

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

/// A visit whose household is inside the scope.
async fn scoped_visit(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<visits::Model> {
    scoped::visits(scope)
        .filter(visits::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("visit"))
}

fn parse_list<T: serde::de::DeserializeOwned>(s: &str) -> Vec<T> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Applies `patch` to visit `id` (in the caller's scope, by its author, within the window);
/// keeps the previous content as a revision and keeps the household's stance that of its
/// latest visit. Returns the names of the fields changed.
pub async fn update(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    patch: VisitPatch,
) -> AppResult<Vec<&'static str>> {
    let current = scoped_visit(conn, &who.scope, id).await?;
    let now = Utc::now().fixed_offset();
    may_edit(who.user_id, current.created_by, current.created_at, now)?;

    let kind = match patch.kind {
        Some(k) => k,
        None => VisitKind::parse(&current.kind).unwrap_or(VisitKind::HomeVisit),
    };
    let stance = match patch.stance {
        Some(s) => s,
        None => Stance::parse(&current.stance).unwrap_or(Stance::Considering),
    };
    let merged = NewVisit {
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
    };
    let mut changed = Vec::new();
    for (name, given) in [
        ("visited_at", patch.visited_at.is_some()),
        ("kind", patch.kind.is_some()),
        ("participants", patch.participants.is_some()),
        ("topics", patch.topics.is_some()),
        ("stance", patch.stance.is_some()),
        ("concerns", patch.concerns.is_some()),
        ("next_visit_on", patch.next_visit_on.is_some()),
        ("location", patch.location.is_some()),
    ] {
        if given {
            changed.push(name);
        }
    }
    if changed.is_empty() {
        return Err(AppError::invalid(
            "empty_patch",
            "send at least one of visited_at, kind, participants, topics, stance, concerns, next_visit_on, location",
        ));
    }
    super::service::validate(&merged)?;

    let backend = conn.get_database_backend();
    conn.execute(Statement::from_sql_and_values(
        backend,
        "INSERT INTO visit_revisions (visit_id, content, edited_by, edited_at) VALUES ($1, $2, $3, $4)",
        [
            Value::from(id),
            Value::from(content(&current).to_string()),
            Value::from(who.user_id),
            Value::from(now),
        ],
    ))
    .await?;
    conn.execute(Statement::from_sql_and_values(
        backend,
        "UPDATE visits SET visited_at = $1, kind = $2, participants = $3, topics = $4, stance = $5, \
         concerns = $6, next_visit_on = $7, lon = $8, lat = $9 WHERE id = $10",
        [
            Value::from(crate::db::utc(merged.visited_at)),
            Value::from(merged.kind.as_str()),
            Value::from(serde_json::to_string(&merged.participants).unwrap_or_default()),
            Value::from(serde_json::to_string(&merged.topics).unwrap_or_default()),
            Value::from(merged.stance.as_str()),
            Value::from(merged.concerns.as_str()),
            Value::from(merged.next_visit_on),
            Value::from(merged.location.as_ref().map(|l| l.lon)),
            Value::from(merged.location.as_ref().map(|l| l.lat)),
            Value::from(id),
        ],
    ))
    .await?;
    if changed.contains(&"stance") || changed.contains(&"visited_at") {
        refresh_household(conn, current.household_id, now).await?;
    }
    Ok(changed)
}

/// Sets a household's stance and last visit from its latest visit (after an edit changed
/// which visit is latest or what it says) and moves the stance counters.
async fn refresh_household(
    conn: &impl ConnectionTrait,
    household_id: i32,
    now: DateTime<FixedOffset>,
) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let Some(h) = conn
        .query_one(Statement::from_sql_and_values(
            backend,
            "SELECT project_id, stance FROM households WHERE id = $1",
            [Value::from(household_id)],
        ))
        .await?
    else {
        return Ok(());
    };
    let project_id: i32 = h.try_get("", "project_id")?;
    let old: Option<String> = h.try_get("", "stance")?;
    let Some(latest) = conn
        .query_one(Statement::from_sql_and_values(
            backend,
            "SELECT stance, visited_at FROM visits WHERE household_id = $1 \
             ORDER BY visited_at DESC, id DESC LIMIT 1",
            [Value::from(household_id)],
        ))
        .await?
    else {
        return Ok(());
    };
    let stance: String = latest.try_get("", "stance")?;
    let visited: DateTime<FixedOffset> = latest.try_get("", "visited_at")?;
    conn.execute(Statement::from_sql_and_values(
        backend,
        "UPDATE households SET stance = $1, last_visit_at = $2, updated_at = $3 WHERE id = $4",
        [
            Value::from(stance.as_str()),
            Value::from(visited),
            Value::from(now),
            Value::from(household_id),
        ],
    ))
    .await?;
    if old.as_deref() != Some(stance.as_str()) {
        let mut d = std::collections::BTreeMap::new();
        let old = old.unwrap_or_else(|| crate::progress::counters::NO_STANCE.to_string());
        *d.entry(old).or_insert(0) -= 1;
        *d.entry(stance).or_insert(0) += 1;
        crate::progress::counters::apply_stance_deltas(conn, project_id, &d).await?;
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

/// The earlier contents of a visit in the caller's scope, oldest first.
pub async fn history(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Vec<VisitRevisionDto>> {
    scoped_visit(conn, scope, id).await?;
    let rows = RevisionRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT r.id, r.visit_id, r.content, r.edited_by, u.username, r.edited_at \
         FROM visit_revisions r LEFT JOIN users u ON u.id = r.edited_by \
         WHERE r.visit_id = $1 ORDER BY r.id",
        [Value::from(id)],
    ))
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

#[derive(FromQueryResult)]
struct CommitmentRow {
    id: i32,
    visit_id: i32,
    household_id: i32,
    text: String,
    owner: String,
    due_date: Option<chrono::NaiveDate>,
    done_at: Option<DateTime<FixedOffset>>,
    done_by: Option<i32>,
}

async fn scoped_commitment(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<CommitmentStateDto> {
    let sql = format!(
        "SELECT c.id, c.visit_id, c.household_id, c.text, c.owner, c.due_date, c.done_at, c.done_by \
         FROM commitments c JOIN households h ON h.id = c.household_id WHERE c.id = $1 AND {}",
        scope.sql_condition("h")
    );
    let r = CommitmentRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [Value::from(id)],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::not_found("commitment"))?;
    Ok(CommitmentStateDto {
        id: r.id,
        visit_id: r.visit_id,
        household_id: r.household_id,
        text: r.text,
        owner: r.owner,
        due_date: r.due_date,
        done: r.done_at.is_some(),
        done_at: r.done_at.map(|t| t.to_rfc3339()),
        done_by: r.done_by,
    })
}

/// Marks a commitment in the caller's scope done (`done`) or open again. Marking a done
/// commitment done again keeps the first time and person.
pub async fn set_commitment_done(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    done: bool,
) -> AppResult<CommitmentStateDto> {
    let current = scoped_commitment(conn, &who.scope, id).await?;
    if current.done != done {
        let (at, by) = if done {
            (Some(Utc::now().fixed_offset()), who.user_id)
        } else {
            (None, None)
        };
        conn.execute(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "UPDATE commitments SET done_at = $1, done_by = $2 WHERE id = $3",
            [Value::from(at), Value::from(by), Value::from(id)],
        ))
        .await?;
    }
    scoped_commitment(conn, &who.scope, id).await
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
