//! Case stages of a household: reading them with their deadlines, recording a new one under
//! the legal order (src/legal/stages.rs). Every query takes the caller's `Scope`.
use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};
use serde_json::json;

use super::dto::{
    CaseDto, DeadlineDto, NewStage, NextStepDto, OpenGrievanceDto, ParcelCaseDto, StageEventDto,
};
use crate::audit;
use crate::auth::{Principal, Scope};
use crate::domain::{CaseStage, Permission};
use crate::error::{AppError, AppResult};
use crate::legal::{self, stages, LandKind, Recorded, RuleDto};

/// Vietnam's offset: enforcement times are judged in local time.
pub fn vn_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix())
}

#[derive(Debug, FromQueryResult)]
pub struct HouseholdRef {
    pub id: i32,
    pub project_id: i32,
    pub project_code: String,
    pub commune_id: i32,
}

/// The household if inside the scope, else 404.
pub async fn household(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<HouseholdRef> {
    let sql = format!(
        "SELECT h.id, h.project_id, p.code AS project_code, h.commune_id FROM households h \
         JOIN projects p ON p.id = h.project_id WHERE h.id = $1 AND {}",
        scope.sql_condition("h")
    );
    HouseholdRef::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [Value::from(id)],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::not_found("household"))
}

#[derive(Debug, FromQueryResult)]
struct EventRow {
    id: i32,
    stage: String,
    parcel_id: Option<i32>,
    occurred_on: NaiveDate,
    document_no: Option<String>,
    note: String,
    username: Option<String>,
    recorded_at: DateTime<FixedOffset>,
    overridden: bool,
    override_reason: Option<String>,
    scheduled_at: Option<DateTime<FixedOffset>>,
    due_on: Option<NaiveDate>,
    due_stage: Option<String>,
}

impl EventRow {
    fn stage(&self) -> Option<CaseStage> {
        CaseStage::parse(&self.stage)
    }

    fn recorded(&self) -> Option<Recorded> {
        Some(Recorded {
            stage: self.stage()?,
            parcel_id: self.parcel_id,
            occurred_on: self.occurred_on,
        })
    }

    fn dto(&self) -> Option<StageEventDto> {
        Some(StageEventDto {
            id: self.id,
            stage: self.stage()?,
            parcel_id: self.parcel_id,
            occurred_on: self.occurred_on,
            document_no: self.document_no.clone(),
            note: self.note.clone(),
            recorded_by: self.username.clone(),
            recorded_at: self.recorded_at.to_rfc3339(),
            overridden: self.overridden,
            override_reason: self.override_reason.clone(),
            scheduled_at: self
                .scheduled_at
                .map(|t| t.with_timezone(&vn_offset()).to_rfc3339()),
            due_on: self.due_on,
            due_stage: self.due_stage.as_deref().and_then(CaseStage::parse),
        })
    }
}

async fn events(conn: &impl ConnectionTrait, household_id: i32) -> Result<Vec<EventRow>, DbErr> {
    EventRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT e.id, e.stage, e.parcel_id, e.occurred_on, e.document_no, e.note, u.username, \
         e.recorded_at, e.overridden, e.override_reason, e.scheduled_at, e.due_on, e.due_stage \
         FROM case_stage_events e LEFT JOIN users u ON u.id = e.recorded_by \
         WHERE e.household_id = $1 ORDER BY e.occurred_on, e.id",
        [Value::from(household_id)],
    ))
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
async fn land_kind(
    conn: &impl ConnectionTrait,
    household_id: i32,
    parcel_id: Option<i32>,
) -> Result<(LandKind, Vec<i32>), DbErr> {
    let rows = LandRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT p.id AS parcel_id, p.land_use FROM household_parcels hp \
         JOIN parcels p ON p.id = hp.parcel_id WHERE hp.household_id = $1",
        [Value::from(household_id)],
    ))
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

#[derive(Debug, FromQueryResult)]
struct GrievanceRow {
    id: i32,
    kind: String,
    status: String,
    received_on: NaiveDate,
    resolve_by: Option<NaiveDate>,
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
            let stage = e.due_stage.as_deref().and_then(CaseStage::parse)?;
            let met = events.iter().any(|x| {
                x.stage() == Some(stage)
                    && (x.parcel_id.is_none()
                        || e.parcel_id.is_none()
                        || x.parcel_id == e.parcel_id)
            });
            if met {
                return None;
            }
            let rule = open_rule(e.stage(), stage);
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
/// changes what is shown).
fn open_rule(from: Option<CaseStage>, due: CaseStage) -> &'static legal::Rule {
    use CaseStage::*;
    match (from, due) {
        (Some(Notice), RecoveryDecision) => &legal::rules::NOTICE_LAPSE,
        (Some(PlanApproved), RecoveryDecision) => &legal::rules::DECISION_AFTER_APPROVAL,
        (_, Paid) => &legal::rules::PAYMENT_AFTER_APPROVAL,
        (_, HandedOver) => &legal::rules::HANDOVER_AFTER_COMPLIANCE,
        (_, s) => legal::stage_rule(s),
    }
}

fn next_step(
    events: &[&EventRow],
    deadlines: &[DeadlineDto],
    today: NaiveDate,
) -> Option<NextStepDto> {
    let recorded: Vec<CaseStage> = events.iter().filter_map(|e| e.stage()).collect();
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
        rule: deadline
            .map(|d| d.rule.clone())
            .unwrap_or_else(|| RuleDto::from(legal::stage_rule(next))),
    })
}

fn current_stage(events: &[&EventRow]) -> Option<CaseStage> {
    let last = events.last().and_then(|e| e.stage());
    if last == Some(CaseStage::Enforcement) {
        return last;
    }
    events
        .iter()
        .filter_map(|e| e.stage())
        .filter(|s| *s != CaseStage::Enforcement)
        .max_by_key(|s| stages::ORDER.iter().position(|o| o == s))
}

/// The case of one household: its stages, deadlines, next step and open grievances.
pub async fn case(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household_id: i32,
    today: NaiveDate,
) -> AppResult<CaseDto> {
    let h = household(conn, scope, household_id).await?;
    let rows = events(conn, household_id).await?;
    let (kind, _) = land_kind(conn, household_id, None).await?;
    let all: Vec<&EventRow> = rows.iter().collect();
    let open = open_deadlines(&all, today);
    let next = next_step(&all, &open, today);
    let mut parcel_ids: Vec<i32> = rows.iter().filter_map(|e| e.parcel_id).collect();
    parcel_ids.sort_unstable();
    parcel_ids.dedup();
    let parcels = parcel_ids
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
        .collect();
    let grievances = GrievanceRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT g.id, g.kind, g.status, g.received_on, g.resolve_by FROM grievances g \
         JOIN grievance_households gh ON gh.grievance_id = g.id \
         WHERE gh.household_id = $1 AND g.status IN ('received', 'accepted') ORDER BY g.id",
        [Value::from(household_id)],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|g| OpenGrievanceDto {
        id: g.id,
        kind: g.kind,
        status: g.status,
        received_on: g.received_on,
        resolve_by: g.resolve_by,
        days_left: g.resolve_by.map(|d| days_left(d, today)),
    })
    .collect();
    Ok(CaseDto {
        household_id,
        project: h.project_code,
        land_kind: kind,
        stages: rows.iter().filter_map(EventRow::dto).collect(),
        current_stage: current_stage(&all),
        next,
        open_deadlines: open,
        parcels,
        open_grievances: grievances,
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

/// Records a stage for a household (in the caller's scope) and returns it. Refusals are 422
/// naming the rule; an administrator may override an order rule with a reason (audited), but
/// never the times enforcement is forbidden.
pub async fn record(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household_id: i32,
    input: NewStage,
    today: NaiveDate,
) -> AppResult<StageEventDto> {
    let h = household(conn, &who.scope, household_id).await?;
    let document_no = check_text("document_no", input.document_no.clone(), 100)?;
    let note = check_text("note", Some(input.note.clone()), 2000)?.unwrap_or_default();
    let reason = check_text("override_reason", input.override_reason.clone(), 1000)?;
    let (kind, parcels) = land_kind(conn, household_id, input.parcel_id).await?;
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
    // Enforcement times: never overridable.
    let mut scheduled_at = None;
    if input.stage == CaseStage::Enforcement {
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
                })),
            });
        }
    }
    let rows = events(conn, household_id).await?;
    let history: Vec<Recorded> = rows.iter().filter_map(EventRow::recorded).collect();
    let new = Recorded {
        stage: input.stage,
        parcel_id: input.parcel_id,
        occurred_on: input.occurred_on,
    };
    let violation = legal::check_stage(&history, &new, kind).err();
    if let Some(v) = &violation {
        if !input.r#override {
            let status_conflict = matches!(v, stages::Violation::Duplicate { .. });
            if status_conflict {
                return Err(AppError::Conflict {
                    code: "stage_already_recorded",
                    message: v.message(),
                });
            }
            return Err(AppError::Unprocessable {
                code: v.code(),
                message: v.message(),
                details: Some(json!({"rule": RuleDto::from(v.rule())})),
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
    }
    let due = legal::deadline_in(&history, &new, kind);
    let overridden = violation.is_some();
    let backend = conn.get_database_backend();
    let id_row = IdRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "INSERT INTO case_stage_events (project_id, household_id, parcel_id, stage, occurred_on, \
         document_no, note, recorded_by, recorded_at, overridden, override_reason, scheduled_at, \
         due_on, due_stage) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING id",
        [
            Value::from(h.project_id),
            Value::from(household_id),
            Value::from(input.parcel_id),
            Value::from(input.stage.as_str()),
            Value::from(input.occurred_on),
            Value::from(document_no.clone()),
            Value::from(note),
            Value::from(who.user_id),
            Value::from(Utc::now().fixed_offset()),
            Value::from(overridden),
            Value::from(if overridden { reason.clone() } else { None }),
            Value::from(scheduled_at),
            Value::from(due.map(|d| d.due_on)),
            Value::from(due.map(|d| d.stage.as_str().to_string())),
        ],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("insert returned no id")))?;
    let id = id_row.id;
    if stages::repeatable(input.stage) {
        supersede(
            conn,
            household_id,
            input.parcel_id,
            input.stage,
            input.occurred_on,
            id,
        )
        .await?;
    }
    audit::record(
        conn,
        who,
        "create",
        "case_stage",
        Some(id.to_string()),
        json!({"household_id": household_id, "stage": input.stage, "occurred_on": input.occurred_on,
               "parcel_id": input.parcel_id, "document_no": document_no}),
    )
    .await?;
    if let Some(v) = &violation {
        audit::record(
            conn,
            who,
            "override",
            "case_stage",
            Some(id.to_string()),
            json!({"household_id": household_id, "stage": input.stage, "rule": v.rule().code,
                   "article": v.rule().article, "violation": v.message(), "reason": reason}),
        )
        .await?;
    }
    let rows = events(conn, household_id).await?;
    rows.iter()
        .find(|e| e.id == id)
        .and_then(EventRow::dto)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stage event {id} vanished")))
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: i32,
}

/// A repeated stage (a notice issued again) replaces earlier ones: their deadlines no longer
/// run.
async fn supersede(
    conn: &impl ConnectionTrait,
    household_id: i32,
    parcel_id: Option<i32>,
    stage: CaseStage,
    on: NaiveDate,
    keep: i32,
) -> Result<(), DbErr> {
    let mut values = vec![
        Value::from(household_id),
        Value::from(stage.as_str()),
        Value::from(on),
        Value::from(keep),
    ];
    let parcel_cond = match parcel_id {
        Some(p) => {
            values.push(Value::from(p));
            "parcel_id = $5"
        }
        None => "parcel_id IS NULL",
    };
    conn.execute(Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!(
            "UPDATE case_stage_events SET due_on = NULL, due_stage = NULL \
             WHERE household_id = $1 AND stage = $2 AND occurred_on <= $3 AND id <> $4 AND {parcel_cond}"
        ),
        values,
    ))
    .await?;
    Ok(())
}
