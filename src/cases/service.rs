//! Case stages of a household: reading them with their deadlines, recording a new one under
//! the legal order (src/legal/stages.rs). Every function takes a household that has passed the
//! caller's scope (`Scoped<HouseholdId>`).
use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use sea_orm::sea_query::{Alias, Expr, JoinType};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, FromQueryResult, QueryFilter, QueryOrder, Set};
use serde_json::json;

use super::dto::{
    CaseDto, DeadlineDto, NewStage, NextStepDto, OpenGrievanceDto, ParcelCaseDto, StageEventDto,
};
use crate::audit;
use crate::auth::Principal;
use crate::domain::{CaseStage, GrievanceStatus, Permission};
use crate::entities::{parcels, projects, users};
use crate::error::{AppError, AppResult};
use crate::legal::{self, stages, GrievanceKind, LandKind, Recorded, RuleDto};
use crate::scoped::{
    self, case_stage_events, grievances, household_parcels, households, HouseholdId, Personal,
    Scoped,
};

/// Vietnam's offset: enforcement times are judged in local time.
pub fn vn_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix())
}

#[derive(Debug, FromQueryResult)]
struct HouseholdRef {
    project_id: i32,
    project_code: String,
}

/// The household's project.
async fn household_ref(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
) -> AppResult<HouseholdRef> {
    let (h, p) = (Alias::new("h"), Alias::new("p"));
    let mut stmt = scoped::select_of_household(Personal::Households, "h", household);
    stmt.column((h.clone(), households::Column::ProjectId))
        .expr_as(
            Expr::col((p.clone(), projects::Column::Code)),
            Alias::new("project_code"),
        )
        .join_as(
            JoinType::InnerJoin,
            projects::Entity,
            p.clone(),
            Expr::col((p, projects::Column::Id)).equals((h, households::Column::ProjectId)),
        );
    HouseholdRef::find_by_statement(conn.get_database_backend().build(&stmt))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("household"))
}

#[derive(Debug, FromQueryResult)]
struct EventRow {
    id: i32,
    stage: CaseStage,
    parcel_id: Option<i32>,
    occurred_on: NaiveDate,
    document_no: Option<String>,
    note: String,
    username: Option<String>,
    display_name: Option<String>,
    recorded_at: DateTime<FixedOffset>,
    overridden: bool,
    override_reason: Option<String>,
    scheduled_at: Option<DateTime<FixedOffset>>,
    due_on: Option<NaiveDate>,
    due_stage: Option<CaseStage>,
}

impl EventRow {
    fn recorded(&self) -> Recorded {
        Recorded {
            stage: self.stage,
            parcel_id: self.parcel_id,
            occurred_on: self.occurred_on,
        }
    }

    fn dto(&self) -> StageEventDto {
        StageEventDto {
            id: self.id,
            stage: self.stage,
            parcel_id: self.parcel_id,
            occurred_on: self.occurred_on,
            document_no: self.document_no.clone(),
            note: self.note.clone(),
            recorded_by: self.username.clone(),
            recorded_by_name: self.display_name.clone(),
            recorded_at: self.recorded_at.to_rfc3339(),
            overridden: self.overridden,
            override_reason: self.override_reason.clone(),
            scheduled_at: self
                .scheduled_at
                .map(|t| t.with_timezone(&vn_offset()).to_rfc3339()),
            due_on: self.due_on,
            due_stage: self.due_stage,
        }
    }
}

/// The recorded stages of the household, in date order.
#[tracing::instrument(skip_all, fields(household_id = household.id()))]
pub async fn events(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
) -> Result<Vec<StageEventDto>, DbErr> {
    Ok(event_rows(conn, household)
        .await?
        .iter()
        .map(EventRow::dto)
        .collect())
}

async fn event_rows(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
) -> Result<Vec<EventRow>, DbErr> {
    use case_stage_events::Column as C;
    let e = Alias::new("e");
    let mut stmt = scoped::case_events_with_recorder(household);
    for c in [
        C::Id,
        C::Stage,
        C::ParcelId,
        C::OccurredOn,
        C::DocumentNo,
        C::Note,
        C::RecordedAt,
        C::Overridden,
        C::OverrideReason,
        C::ScheduledAt,
        C::DueOn,
        C::DueStage,
    ] {
        stmt.column((e.clone(), c));
    }
    stmt.column((Alias::new("u"), users::Column::Username))
        .column((Alias::new("u"), users::Column::DisplayName))
        .order_by((e.clone(), C::OccurredOn), sea_orm::Order::Asc)
        .order_by((e, C::Id), sea_orm::Order::Asc);
    EventRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await
}

#[derive(Debug, FromQueryResult)]
struct LandRow {
    parcel_id: i32,
    land_use: String,
}

/// The land kind that sets the notice period: of one parcel, or the strictest of the
/// household's parcels.
pub(crate) async fn land_kind(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
    parcel_id: Option<i32>,
) -> Result<(LandKind, Vec<i32>), DbErr> {
    let (hp, p) = (Alias::new("hp"), Alias::new("p"));
    let mut stmt = scoped::select_of_household(Personal::HouseholdParcels, "hp", household);
    stmt.expr_as(
        Expr::col((p.clone(), parcels::Column::Id)),
        Alias::new("parcel_id"),
    )
    .column((p.clone(), parcels::Column::LandUse))
    .join_as(
        JoinType::InnerJoin,
        parcels::Entity,
        p.clone(),
        Expr::col((p, parcels::Column::Id)).equals((hp, household_parcels::Column::ParcelId)),
    );
    let rows = LandRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?;
    let ids = rows.iter().map(|r| r.parcel_id).collect();
    let kind = LandKind::strictest(
        rows.iter()
            .filter(|r| parcel_id.is_none_or(|p| p == r.parcel_id))
            .map(|r| LandKind::of(&r.land_use)),
    );
    Ok((kind, ids))
}

/// The household's open grievances.
async fn open_grievances(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
    today: NaiveDate,
) -> AppResult<Vec<OpenGrievanceDto>> {
    let rows = scoped::grievances_signed_by(household)
        .filter(grievances::Column::Status.is_in(GrievanceStatus::OPEN.iter().map(|s| s.as_str())))
        .order_by_asc(grievances::Column::Id)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|g| {
            Ok(OpenGrievanceDto {
                id: g.id,
                kind: GrievanceKind::parse(&g.kind).ok_or_else(|| unknown("kind", &g.kind))?,
                status: GrievanceStatus::parse(&g.status)
                    .ok_or_else(|| unknown("status", &g.status))?,
                received_on: g.received_on,
                resolve_by: g.resolve_by,
                days_left: g.resolve_by.map(|d| days_left(d, today)),
            })
        })
        .collect()
}

/// A stored value outside its vocabulary (the database was changed by hand).
fn unknown(what: &str, value: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "a grievance has the unknown {what} `{value}`"
    ))
}

/// Days from `today` to `due` (negative when past).
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    (due - today).num_days()
}

/// The open deadlines among `events`: started by a stage and not met by any event of the
/// stage due (for the same parcel or the household).
fn open_deadlines(events: &[&EventRow], today: NaiveDate) -> Vec<DeadlineDto> {
    let mut out: Vec<DeadlineDto> = events
        .iter()
        .filter_map(|e| {
            let due_on = e.due_on?;
            let stage = e.due_stage?;
            let met = events.iter().any(|x| {
                x.stage == stage
                    && (x.parcel_id.is_none()
                        || e.parcel_id.is_none()
                        || x.parcel_id == e.parcel_id)
            });
            if met {
                return None;
            }
            let rule = open_rule(e, stage, events);
            let left = days_left(due_on, today);
            Some(DeadlineDto {
                stage,
                due_on,
                days_left: left,
                overdue: left < 0,
                from_event: e.id,
                rule: rule.into(),
            })
        })
        .collect();
    out.sort_by_key(|d| d.due_on);
    out
}

/// The rule behind a stored deadline (recomputed from the two stages, so changing the table
/// changes what is shown), in the version in force on the date the deadline counts from: the
/// event's own date, or for payment the plan's approval before it.
fn open_rule(from: &EventRow, due: CaseStage, events: &[&EventRow]) -> &'static legal::Rule {
    let on = if due == CaseStage::Paid {
        events
            .iter()
            .filter(|x| {
                x.stage == CaseStage::PlanApproved
                    && x.occurred_on <= from.occurred_on
                    && (x.parcel_id.is_none()
                        || from.parcel_id.is_none()
                        || x.parcel_id == from.parcel_id)
            })
            .map(|x| x.occurred_on)
            .max()
            .unwrap_or(from.occurred_on)
    } else {
        from.occurred_on
    };
    legal::deadline_rule(from.stage, due, on)
}

fn next_step(
    events: &[&EventRow],
    deadlines: &[DeadlineDto],
    today: NaiveDate,
) -> Option<NextStepDto> {
    let recorded: Vec<CaseStage> = events.iter().map(|e| e.stage).collect();
    let next = stages::next_stage(&recorded)?;
    let prerequisite = legal::prerequisite(next);
    let ready = prerequisite.is_none_or(|p| recorded.contains(&p));
    let deadline = deadlines.iter().find(|d| d.stage == next);
    let last = events.iter().map(|e| e.occurred_on).max();
    Some(NextStepDto {
        stage: next,
        prerequisite,
        ready,
        due_on: deadline.map(|d| d.due_on),
        days_left: deadline.map(|d| d.days_left),
        overdue: deadline.is_some_and(|d| d.overdue),
        elapsed_days: match (deadline, last) {
            (None, Some(l)) => Some((today - l).num_days()),
            _ => None,
        },
        rule: deadline.map_or_else(
            // No deadline runs: the rule as it stands today, when the stage would be recorded.
            || RuleDto::from(legal::stage_rule_on(next, today)),
            |d| d.rule.clone(),
        ),
    })
}

fn current_stage(events: &[&EventRow]) -> Option<CaseStage> {
    let last = events.last().map(|e| e.stage);
    if last == Some(CaseStage::Enforcement) {
        return last;
    }
    events
        .iter()
        .map(|e| e.stage)
        .filter(|s| *s != CaseStage::Enforcement)
        .max_by_key(|s| stages::ORDER.iter().position(|o| o == s))
}

/// Where each parcel whose events differ from the household's stands.
fn parcel_cases(rows: &[EventRow], today: NaiveDate) -> Vec<ParcelCaseDto> {
    let mut parcel_ids: Vec<i32> = rows.iter().filter_map(|e| e.parcel_id).collect();
    parcel_ids.sort_unstable();
    parcel_ids.dedup();
    parcel_ids
        .into_iter()
        .map(|p| {
            let mine: Vec<&EventRow> = rows
                .iter()
                .filter(|e| e.parcel_id.is_none() || e.parcel_id == Some(p))
                .collect();
            let open = open_deadlines(&mine, today);
            ParcelCaseDto {
                parcel_id: p,
                current_stage: current_stage(&mine),
                next: next_step(&mine, &open, today),
            }
        })
        .collect()
}

/// The case of one household: its stages, deadlines, next step and open grievances.
#[tracing::instrument(skip_all, fields(household_id = household.id()))]
pub async fn case(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
    today: NaiveDate,
) -> AppResult<CaseDto> {
    let h = household_ref(conn, household).await?;
    let rows = event_rows(conn, household).await?;
    let (kind, _) = land_kind(conn, household, None).await?;
    let all: Vec<&EventRow> = rows.iter().collect();
    let open = open_deadlines(&all, today);
    let next = next_step(&all, &open, today);
    Ok(CaseDto {
        household_id: household.id(),
        project: h.project_code,
        land_kind: kind,
        stages: rows.iter().map(EventRow::dto).collect(),
        current_stage: current_stage(&all),
        next,
        open_deadlines: open,
        parcels: parcel_cases(&rows, today),
        open_grievances: open_grievances(conn, household, today).await?,
    })
}

fn check_text(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    let v = value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(AppError::invalid(
            "invalid_field",
            format!("{field} is limited to {max} characters"),
        ));
    }
    Ok(v)
}

/// The texts of a new stage, checked.
pub(super) struct Texts {
    pub(super) document_no: Option<String>,
    pub(super) note: String,
    pub(super) reason: Option<String>,
}

pub(super) fn check_texts(input: &NewStage) -> AppResult<Texts> {
    Ok(Texts {
        document_no: check_text("document_no", input.document_no.clone(), 100)?,
        note: check_text("note", Some(input.note.clone()), 2000)?.unwrap_or_default(),
        reason: check_text("override_reason", input.override_reason.clone(), 1000)?,
    })
}

/// The parcel named is one of the household's; only enforcement is recorded ahead of time.
pub(super) fn check_parcel_and_date(
    input: &NewStage,
    parcels: &[i32],
    today: NaiveDate,
) -> AppResult<()> {
    if let Some(p) = input.parcel_id {
        if !parcels.contains(&p) {
            return Err(AppError::invalid(
                "invalid_parcel",
                format!("parcel {p} is not one of this household's parcels"),
            ));
        }
    }
    if input.stage != CaseStage::Enforcement && input.occurred_on > today {
        return Err(AppError::invalid(
            "date_in_future",
            format!(
                "occurred_on {} is in the future; record a stage once it has happened (only enforcement is scheduled ahead)",
                input.occurred_on
            ),
        ));
    }
    Ok(())
}

/// Enforcement times, never overridable: the UTC time to store for an enforcement (none for
/// other stages), or a refusal naming the nearest allowed time.
pub(super) fn check_schedule(input: &NewStage) -> AppResult<Option<DateTime<FixedOffset>>> {
    if input.stage != CaseStage::Enforcement {
        return Ok(None);
    }
    let mut scheduled_at = None;
    let local = match input.scheduled_at {
        Some(t) => {
            let local = t.with_timezone(&vn_offset());
            if local.date_naive() != input.occurred_on {
                return Err(AppError::invalid(
                    "invalid_schedule",
                    format!(
                        "scheduled_at is on {} (Vietnam time) but occurred_on is {}; give the same day",
                        local.date_naive(),
                        input.occurred_on
                    ),
                ));
            }
            scheduled_at = Some(crate::db::utc(t));
            local.naive_local()
        }
        None => input.occurred_on.and_hms_opt(8, 0, 0).unwrap_or_default(),
    };
    if let Err(refusal) = legal::is_enforcement_allowed(local) {
        let next = refusal.next_allowed;
        return Err(AppError::Unprocessable {
            code: "enforcement_not_allowed",
            message: format!(
                "enforcement may not be scheduled then: {} ({}); the nearest allowed time is {}",
                refusal.reason,
                refusal.rule.article,
                next.format("%Y-%m-%d %H:%M")
            ),
            details: Some(json!({
                "rule": RuleDto::from(refusal.rule),
                "next_allowed": next.and_local_timezone(vn_offset()).single().map(|t| t.to_rfc3339()),
                "next_allowed_date": next.date(),
                "next_allowed_time": next.format("%H:%M").to_string(),
                "field": "occurred_on",
            })),
        });
    }
    Ok(scheduled_at)
}

/// The order rules: `Ok(None)` when the stage may be recorded, `Ok(Some(violation))` when an
/// administrator overrides one with a reason, else the refusal.
fn check_order(
    who: &Principal,
    input: &NewStage,
    violation: Option<stages::Violation>,
    reason: Option<&str>,
) -> AppResult<Option<stages::Violation>> {
    let Some(v) = violation else {
        return Ok(None);
    };
    if !input.r#override {
        if matches!(v, stages::Violation::Duplicate { .. }) {
            return Err(AppError::Conflict {
                code: "stage_already_recorded",
                message: v.message(),
            });
        }
        let mut details = v.details();
        details["rule"] = json!(RuleDto::from(v.rule()));
        return Err(AppError::Unprocessable {
            code: v.code(),
            message: v.message(),
            details: Some(details),
        });
    }
    if who.require(Permission::Administer).is_err() {
        return Err(AppError::Forbidden(format!(
            "only an administrator may override a stage rule; without override: {}",
            v.message()
        )));
    }
    if reason.is_none() {
        return Err(AppError::invalid(
            "override_reason_required",
            "an override needs override_reason: say why the rule does not apply",
        ));
    }
    Ok(Some(v))
}

/// Records a stage for a household (in the caller's scope) and returns it. Refusals are 422
/// naming the rule; an administrator may override an order rule with a reason (audited), but
/// never the times enforcement is forbidden.
#[tracing::instrument(skip_all, fields(household_id = household.id(), stage = %input.stage))]
pub async fn record(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household: Scoped<HouseholdId>,
    input: NewStage,
    today: NaiveDate,
) -> AppResult<StageEventDto> {
    let h = household_ref(conn, household).await?;
    let texts = check_texts(&input)?;
    if let Some(p) = input.parcel_id {
        // Unknown or outside the caller's area: 404 alike; inside it but not the
        // household's: 422 below.
        scoped::parcel(conn, &who.scope, p).await?;
    }
    let (kind, parcels) = land_kind(conn, household, input.parcel_id).await?;
    check_parcel_and_date(&input, &parcels, today)?;
    let scheduled_at = check_schedule(&input)?;
    let history: Vec<Recorded> = event_rows(conn, household)
        .await?
        .iter()
        .map(EventRow::recorded)
        .collect();
    let new = Recorded {
        stage: input.stage,
        parcel_id: input.parcel_id,
        occurred_on: input.occurred_on,
    };
    let violation = check_order(
        who,
        &input,
        legal::check_stage(&history, &new, kind).err(),
        texts.reason.as_deref(),
    )?;
    let due = legal::deadline_in(&history, &new, kind);
    let overridden = violation.is_some();
    let row = case_stage_events::ActiveModel {
        project_id: Set(h.project_id),
        parcel_id: Set(input.parcel_id),
        stage: Set(input.stage.as_str().to_string()),
        occurred_on: Set(input.occurred_on),
        document_no: Set(texts.document_no.clone()),
        note: Set(texts.note),
        recorded_by: Set(who.user_id),
        recorded_at: Set(Utc::now().fixed_offset()),
        overridden: Set(overridden),
        override_reason: Set(if overridden {
            texts.reason.clone()
        } else {
            None
        }),
        scheduled_at: Set(scheduled_at),
        due_on: Set(due.map(|d| d.due_on)),
        due_stage: Set(due.map(|d| d.stage.as_str().to_string())),
        ..Default::default()
    };
    let id = scoped::insert_case_stage_event(conn, household, row)
        .await?
        .id();
    if stages::repeatable(input.stage) {
        supersede(conn, household, &new, id).await?;
    }
    audit::record(
        conn,
        who,
        "create",
        "case_stage",
        Some(id.to_string()),
        json!({"household_id": household.id(), "stage": input.stage, "occurred_on": input.occurred_on,
               "parcel_id": input.parcel_id, "document_no": texts.document_no}),
    )
    .await?;
    if let Some(v) = &violation {
        audit::record(
            conn,
            who,
            "override",
            "case_stage",
            Some(id.to_string()),
            json!({"household_id": household.id(), "stage": input.stage, "rule": v.rule().code,
                   "article": v.rule().article, "violation": v.message(), "reason": texts.reason}),
        )
        .await?;
    }
    event_rows(conn, household)
        .await?
        .iter()
        .find(|e| e.id == id)
        .map(EventRow::dto)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stage event {id} vanished")))
}

/// A repeated stage (a notice issued again) replaces earlier ones: their deadlines no longer
/// run.
async fn supersede(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
    new: &Recorded,
    keep: i32,
) -> Result<(), DbErr> {
    use case_stage_events::Column as C;
    let mut stmt = scoped::update_case_stage_events_of(household);
    stmt.value(C::DueOn, Option::<NaiveDate>::None)
        .value(C::DueStage, Option::<String>::None)
        .and_where(C::Stage.eq(new.stage.as_str()))
        .and_where(C::OccurredOn.lte(new.occurred_on))
        .and_where(C::Id.ne(keep));
    match new.parcel_id {
        Some(p) => stmt.and_where(C::ParcelId.eq(p)),
        None => stmt.and_where(C::ParcelId.is_null()),
    };
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    Ok(())
}
