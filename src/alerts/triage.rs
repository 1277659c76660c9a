//! Alert triage (issue 12.7) and the per-project "not visited" threshold (issue 13.3): any
//! alert can be acknowledged, assigned to a person or snoozed until a date with a reason; each
//! action is a row of `alert_triage` (the latest acknowledgement and assignment are shown, an
//! active snooze hides the alert from the list, its counts and its groups).
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::dto::{
    AlertDto, AlertSettingsDto, AlertSettingsInput, NewReview, ReviewAction, ReviewDto,
};
use crate::auth::{Principal, Scope};
use crate::config::Settings;
use crate::db::Db;
use crate::entities::{
    alert_triage, hot_spots, projects, users, working_group_areas, working_groups,
};
use crate::error::{AppError, AppResult};
use crate::scoped;

/// The subjects triage accepts (a review takes the split and land-use subjects).
pub const SUBJECTS: [&str; 9] = [
    "hot_spot",
    "grievance",
    "stage_deadline",
    "payment",
    "commitment",
    "not_visited",
    "household_split",
    "parcel_split",
    "land_use_change",
];

/// The column of `projects` holding the project's own threshold (NULL: the server's).
const NOT_VISITED_DAYS: &str = "not_visited_days";

/// No snooze of this subject runs past today: `id NOT IN (the subjects snoozed)`, a list
/// read once per query (a few rows) rather than a lookup for every row counted.
/// `alert_triage.subject_id` is NOT NULL, so `NOT IN` means "not among them".
pub fn not_snoozed(subject: &'static str, id: SimpleExpr, today: NaiveDate) -> SimpleExpr {
    let t = Alias::new("tri");
    let snoozed = Query::select()
        .column((t.clone(), alert_triage::Column::SubjectId))
        .from_as(alert_triage::Entity, t.clone())
        .and_where(Expr::col((t.clone(), alert_triage::Column::Subject)).eq(subject))
        .and_where(Expr::col((t.clone(), alert_triage::Column::Action)).eq("snooze"))
        .and_where(Expr::col((t, alert_triage::Column::Until)).gt(today))
        .to_owned();
    Expr::expr(id).not_in_subquery(snoozed)
}

/// The threshold in force for each of these projects.
pub async fn not_visited_days(
    conn: &impl ConnectionTrait,
    project_ids: &[i32],
    settings: &Settings,
) -> AppResult<Vec<(i32, i64)>> {
    #[derive(FromQueryResult)]
    struct R {
        id: i32,
        days: Option<i32>,
    }
    let stmt = Query::select()
        .column(projects::Column::Id)
        .expr_as(Expr::col(Alias::new(NOT_VISITED_DAYS)), Alias::new("days"))
        .from(projects::Entity)
        .and_where(Expr::col(projects::Column::Id).is_in(project_ids.iter().copied()))
        .order_by(projects::Column::Id, sea_orm::sea_query::Order::Asc)
        .to_owned();
    Ok(
        R::find_by_statement(conn.get_database_backend().build(&stmt))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r.days.map_or(settings.not_visited_days, i64::from)))
            .collect(),
    )
}

/// The alert settings of a project the caller may see.
pub async fn settings_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    code: &str,
    settings: &Settings,
) -> AppResult<AlertSettingsDto> {
    let p = crate::projects::service::visible_project(conn, principal, code).await?;
    let days = not_visited_days(conn, &[p.id], settings).await?;
    let own = days.first().map_or(settings.not_visited_days, |d| d.1);
    #[derive(FromQueryResult)]
    struct R {
        days: Option<i32>,
    }
    let stmt = Query::select()
        .expr_as(Expr::col(Alias::new(NOT_VISITED_DAYS)), Alias::new("days"))
        .from(projects::Entity)
        .and_where(Expr::col(projects::Column::Id).eq(p.id))
        .to_owned();
    let custom = R::find_by_statement(conn.get_database_backend().build(&stmt))
        .one(conn)
        .await?
        .and_then(|r| r.days)
        .is_some();
    Ok(AlertSettingsDto {
        project: p.code,
        not_visited_days: own,
        default_not_visited_days: settings.not_visited_days,
        custom,
    })
}

/// Sets (or clears) a project's threshold; administrators only (checked by the handler).
pub async fn set_settings(
    db: &Db,
    principal: &Principal,
    code: &str,
    input: &AlertSettingsInput,
    settings: &Settings,
) -> AppResult<AlertSettingsDto> {
    if let Some(d) = input.not_visited_days {
        if !(1..=365).contains(&d) {
            return Err(AppError::Unprocessable {
                code: "invalid_days",
                message: format!("not_visited_days must be 1 to 365 days, not {d}"),
                details: Some(
                    serde_json::json!({"field": "not_visited_days", "min": 1, "max": 365}),
                ),
            });
        }
    }
    let tx = db.write().await?;
    let p = crate::projects::service::visible_project(&*tx, principal, code).await?;
    let value: Option<i32> = input.not_visited_days.and_then(|d| i32::try_from(d).ok());
    let stmt = Query::update()
        .table(projects::Entity)
        .value(Alias::new(NOT_VISITED_DAYS), value)
        .and_where(Expr::col(projects::Column::Id).eq(p.id))
        .to_owned();
    tx.execute(tx.get_database_backend().build(&stmt)).await?;
    crate::audit::record(
        &*tx,
        principal,
        "update",
        "project_alert_settings",
        Some(p.code.clone()),
        serde_json::json!({"not_visited_days": input.not_visited_days}),
    )
    .await?;
    let out = settings_of(&*tx, principal, code, settings).await?;
    tx.commit().await?;
    Ok(out)
}

/// The communes each working group of these projects covers, with its name.
pub struct GroupArea {
    pub group_id: i32,
    pub name: String,
    pub admin_unit_id: i32,
}

pub async fn group_areas(
    conn: &impl ConnectionTrait,
    project_ids: &[i32],
) -> AppResult<Vec<GroupArea>> {
    let groups: Vec<(i32, String)> = working_groups::Entity::find()
        .select_only()
        .column(working_groups::Column::Id)
        .column(working_groups::Column::Name)
        .filter(working_groups::Column::ProjectId.is_in(project_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    let names: HashMap<i32, String> = groups.into_iter().collect();
    let areas: Vec<(i32, i32)> = working_group_areas::Entity::find()
        .select_only()
        .column(working_group_areas::Column::WorkingGroupId)
        .column(working_group_areas::Column::AdminUnitId)
        .filter(working_group_areas::Column::WorkingGroupId.is_in(names.keys().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    // The pre-2025 communes merged into a covered unit count as it.
    let successors: Vec<(i32, Option<i32>)> = crate::entities::admin_units::Entity::find()
        .select_only()
        .column(crate::entities::admin_units::Column::Id)
        .column(crate::entities::admin_units::Column::SuccessorId)
        .filter(
            crate::entities::admin_units::Column::SuccessorId.is_in(areas.iter().map(|(_, u)| *u)),
        )
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for (g, unit) in areas {
        let name = names.get(&g).cloned().unwrap_or_default();
        out.push(GroupArea {
            group_id: g,
            name: name.clone(),
            admin_unit_id: unit,
        });
        for (old, _) in successors.iter().filter(|(_, s)| *s == Some(unit)) {
            if !out
                .iter()
                .any(|a| a.group_id == g && a.admin_unit_id == *old)
            {
                out.push(GroupArea {
                    group_id: g,
                    name: name.clone(),
                    admin_unit_id: *old,
                });
            }
        }
    }
    Ok(out)
}

/// The latest acknowledgement and assignment of each alert of the page.
pub async fn mark(conn: &impl ConnectionTrait, items: &mut [AlertDto]) -> AppResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = items.iter().map(|a| a.subject_id).collect();
    let rows = alert_triage::Entity::find()
        .filter(alert_triage::Column::SubjectId.is_in(ids))
        .filter(alert_triage::Column::Action.is_in(["acknowledge", "assign"]))
        .order_by_asc(alert_triage::Column::Id)
        .all(conn)
        .await?;
    let people: Vec<i32> = rows
        .iter()
        .filter_map(|r| r.assignee_id.or(r.actor_id))
        .collect();
    let names: HashMap<i32, (String, String)> = users::Entity::find()
        .filter(users::Column::Id.is_in(people))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.username, u.display_name)))
        .collect();
    for r in rows {
        for a in items
            .iter_mut()
            .filter(|a| a.subject == r.subject && a.subject_id == r.subject_id)
        {
            if r.action == "acknowledge" {
                a.acknowledged_by = Some(
                    r.actor_id
                        .and_then(|u| names.get(&u))
                        .map_or_else(|| r.actor.clone(), |n| n.1.clone()),
                );
                a.acknowledged_at = Some(r.at.to_rfc3339());
            } else {
                a.assignee = r
                    .assignee_id
                    .and_then(|u| names.get(&u))
                    .map(|n| n.0.clone());
            }
        }
    }
    Ok(())
}

/// The project of an alert's subject, if the subject is inside the scope.
pub(super) async fn subject_project(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    subject: &str,
    id: i32,
) -> AppResult<Option<i32>> {
    use scoped::{case_stage_events as E, commitments as C, grievances as G, households as H};
    let household_project = |h: i32| async move {
        scoped::households(scope)
            .select_only()
            .column(H::Column::ProjectId)
            .filter(H::Column::Id.eq(h))
            .into_tuple::<i32>()
            .one(conn)
            .await
    };
    Ok(match subject {
        "hot_spot" => {
            hot_spots::Entity::find()
                .select_only()
                .column(hot_spots::Column::ProjectId)
                .filter(hot_spots::Column::Id.eq(id))
                .filter(scoped::area_rows(scope, "hot_spots"))
                .into_tuple()
                .one(conn)
                .await?
        }
        "grievance" => {
            scoped::grievances(scope)
                .select_only()
                .column(G::Column::ProjectId)
                .filter(G::Column::Id.eq(id))
                .into_tuple()
                .one(conn)
                .await?
        }
        "stage_deadline" => {
            scoped::case_stage_events(scope)
                .select_only()
                .column(E::Column::ProjectId)
                .filter(E::Column::Id.eq(id))
                .into_tuple()
                .one(conn)
                .await?
        }
        "payment" => {
            scoped::compensation_plans(scope)
                .select_only()
                .column(scoped::compensation_plans::Column::ProjectId)
                .filter(scoped::compensation_plans::Column::Id.eq(id))
                .into_tuple()
                .one(conn)
                .await?
        }
        "commitment" => {
            let h: Option<i32> = scoped::commitments(scope)
                .select_only()
                .column(C::Column::HouseholdId)
                .filter(C::Column::Id.eq(id))
                .into_tuple()
                .one(conn)
                .await?;
            match h {
                Some(h) => household_project(h).await?,
                None => None,
            }
        }
        "not_visited" | "household_split" => household_project(id).await?,
        "parcel_split" => {
            scoped::parcels(scope)
                .select_only()
                .column(crate::entities::parcels::Column::ProjectId)
                .filter(crate::entities::parcels::Column::Id.eq(id))
                .into_tuple()
                .one(conn)
                .await?
        }
        _ => {
            crate::entities::parcel_land_use_events::Entity::find()
                .select_only()
                .column(crate::entities::parcel_land_use_events::Column::ProjectId)
                .filter(crate::entities::parcel_land_use_events::Column::Id.eq(id))
                .filter(scoped::area_rows(scope, "parcel_land_use_events"))
                .into_tuple()
                .one(conn)
                .await?
        }
    })
}

fn field_error(code: &'static str, field: &str, message: String) -> AppError {
    AppError::Unprocessable {
        code,
        message,
        details: Some(serde_json::json!({"field": field})),
    }
}

/// The checks of an action: the assignee of `assign` (an active user), the day and the reason
/// of `snooze`. Returns the assignee's id and the snooze's end.
async fn check_action(
    conn: &impl ConnectionTrait,
    new: &NewReview,
    note: &str,
    today: NaiveDate,
) -> AppResult<(Option<i32>, Option<NaiveDate>)> {
    let mut assignee_id = None;
    let mut until = None;
    match new.action {
        ReviewAction::Assign => {
            let name = new.assignee.as_deref().map(str::trim).unwrap_or_default();
            if name.is_empty() {
                return Err(field_error(
                    "missing_field",
                    "assignee",
                    "assign needs the assignee's username".into(),
                ));
            }
            let id: Option<i32> = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .filter(users::Column::Username.eq(name))
                .filter(users::Column::Disabled.eq(false))
                .into_tuple()
                .one(conn)
                .await?;
            assignee_id = Some(id.ok_or_else(|| {
                field_error(
                    "unknown_user",
                    "assignee",
                    format!("no active user named `{name}`"),
                )
            })?);
        }
        ReviewAction::Snooze => {
            let Some(d) = new.until else {
                return Err(field_error(
                    "missing_field",
                    "until",
                    "snooze needs the day the alert comes back (until)".into(),
                ));
            };
            if d <= today {
                return Err(field_error(
                    "date_not_after_today",
                    "until",
                    format!("the alert is snoozed until a day after today, not {d}"),
                ));
            }
            if note.is_empty() {
                return Err(field_error(
                    "missing_field",
                    "note",
                    "say why the alert is snoozed (note)".into(),
                ));
            }
            until = Some(d);
        }
        ReviewAction::Acknowledge | ReviewAction::Review => {}
    }
    Ok((assignee_id, until))
}

/// Acknowledges, assigns or snoozes an alert whose subject is inside the caller's area (404
/// otherwise).
#[tracing::instrument(skip_all, fields(subject = %new.subject, subject_id = new.subject_id, action = ?new.action))]
pub async fn triage(db: &Db, principal: &Principal, new: NewReview) -> AppResult<ReviewDto> {
    if !SUBJECTS.contains(&new.subject.as_str()) {
        return Err(field_error(
            "unknown_subject",
            "subject",
            format!(
                "subject `{}` is not one of {}",
                new.subject,
                SUBJECTS.join(", ")
            ),
        ));
    }
    let note = new.note.trim().to_string();
    if note.chars().count() > 5_000 {
        return Err(field_error(
            "text_too_long",
            "note",
            "the note is limited to 5,000 characters".into(),
        ));
    }
    let today = crate::legal::today_vn();
    let tx = db.write().await?;
    let (assignee_id, until) = check_action(&*tx, &new, &note, today).await?;
    let project_id = subject_project(&*tx, &principal.scope, &new.subject, new.subject_id)
        .await?
        .ok_or_else(|| AppError::not_found("alert"))?;
    let now = crate::db::utc(Utc::now().fixed_offset());
    let row = alert_triage::ActiveModel {
        project_id: Set(project_id),
        subject: Set(new.subject.clone()),
        subject_id: Set(new.subject_id),
        action: Set(new.action.as_str().to_string()),
        assignee_id: Set(assignee_id),
        until: Set(until),
        note: Set(note.clone()),
        actor_id: Set(principal.user_id),
        actor: Set(principal.actor()),
        at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    crate::audit::record(
        &*tx,
        principal,
        "create",
        "alert_triage",
        Some(row.id.to_string()),
        serde_json::json!({"subject": new.subject, "subject_id": new.subject_id,
                           "action": new.action, "assignee": new.assignee, "until": until, "note": note}),
    )
    .await?;
    tx.commit().await?;
    Ok(ReviewDto {
        id: row.id,
        subject: new.subject,
        subject_id: new.subject_id,
        action: new.action,
        actor: principal.actor(),
        reviewed_at: now.to_rfc3339(),
        note,
        assignee: assignee_id.and(new.assignee),
        until,
    })
}
