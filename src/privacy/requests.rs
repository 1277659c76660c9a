//! Data-subject requests: recorded with the deadlines of the rules in force on the day they
//! were received, then acknowledged, extended once, completed (done, or refused with its legal
//! reason) or rejected. An access request's export is everything held on the household.
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::check_text;
use super::dto::{
    NewPrivacyRequest, PrivacyRequestDto, PrivacyRequestQuery, RequestStep, RequestStepInput,
};
use crate::auth::{Principal, Scope};
use crate::domain::{PrivacyOutcome, PrivacyRequestKind, PrivacyRequestStatus as Status};
use crate::entities::projects;
use crate::error::{AppError, AppResult};
use crate::legal::privacy::{extended_due, extension_rule, request_deadlines};
use crate::legal::RuleDto;
use crate::pagination::{Direction, Keyset, Page};
use crate::scoped::{self, privacy_request_rows as rows, PrivacyRequestId, Scoped};

/// A household as a request shows it: code, head's name, project code.
struct Named {
    code: String,
    head_name: String,
    project: String,
}

/// The households and projects of requests that passed the scope.
async fn names_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    rows: &[rows::Model],
) -> AppResult<HashMap<i32, Named>> {
    use scoped::households::Column as H;
    let ids: Vec<i32> = rows.iter().map(|r| r.household_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(i32, String, String, i32)> = scoped::households(scope)
        .select_only()
        .columns([H::Id, H::Code, H::HeadName, H::ProjectId])
        .filter(H::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    let project_ids: Vec<i32> = found.iter().map(|f| f.3).collect();
    let codes: HashMap<i32, String> = projects::Entity::find()
        .filter(projects::Column::Id.is_in(project_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    Ok(found
        .into_iter()
        .map(|(id, code, head_name, project_id)| {
            let project = codes.get(&project_id).cloned().unwrap_or_default();
            (
                id,
                Named {
                    code,
                    head_name,
                    project,
                },
            )
        })
        .collect())
}

fn to_dto(m: rows::Model, named: Option<&Named>, today: NaiveDate) -> PrivacyRequestDto {
    let deadlines = request_deadlines(m.received_on);
    let (next_step, next_due_on) = match m.status {
        Status::Received => (Some(RequestStep::Acknowledge), m.ack_by),
        Status::Acknowledged | Status::Extended => (Some(RequestStep::Complete), m.due_on),
        Status::Completed | Status::Rejected => (None, None),
    };
    let days_left = next_due_on.map(|d| (d - today).num_days());
    PrivacyRequestDto {
        id: m.id,
        project: named.map(|n| n.project.clone()).unwrap_or_default(),
        household_id: m.household_id,
        household_code: named.map(|n| n.code.clone()).unwrap_or_default(),
        household_name: named.map(|n| n.head_name.clone()).unwrap_or_default(),
        kind: m.kind,
        status: m.status,
        received_on: m.received_on,
        channel: m.channel,
        requester_name: m.requester_name,
        details: m.details,
        ack_by: m.ack_by,
        due_on: m.due_on,
        ack_rule: RuleDto::from(deadlines.ack_rule),
        due_rule: RuleDto::from(deadlines.due_rule),
        extension_rule: RuleDto::from(extension_rule(m.received_on)),
        acknowledged_on: m.acknowledged_on,
        extended_on: m.extended_on,
        extension_reason: m.extension_reason,
        closed_on: m.closed_on,
        outcome: m.outcome,
        outcome_note: m.outcome_note,
        legal_reason: m.legal_reason,
        next_step,
        next_due_on,
        days_left,
        overdue: days_left.is_some_and(|d| d < 0),
        created_at: m.created_at.to_rfc3339(),
        updated_at: m.updated_at.to_rfc3339(),
    }
}

/// One request as the API shows it.
pub async fn dto(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    row: rows::Model,
    today: NaiveDate,
) -> AppResult<PrivacyRequestDto> {
    let names = names_of(conn, scope, std::slice::from_ref(&row)).await?;
    let named = names.get(&row.household_id);
    Ok(to_dto(row, named, today))
}

/// Requests about households inside the scope, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    q: &PrivacyRequestQuery,
    today: NaiveDate,
) -> AppResult<Page<PrivacyRequestDto>> {
    use rows::Column as C;
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Descending)?;
    let mut query = scoped::privacy_requests(scope);
    match q.status.as_deref().map(str::trim) {
        None | Some("") => {}
        Some("open") => {
            query = query.filter(C::Status.is_in([
                Status::Received,
                Status::Acknowledged,
                Status::Extended,
            ]));
        }
        Some(s) => {
            let status = Status::parse(s).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "unknown status `{s}`; use open, received, acknowledged, extended, completed or rejected"
                ))
            })?;
            query = query.filter(C::Status.eq(status));
        }
    }
    if let Some(k) = q.kind {
        query = query.filter(C::Kind.eq(k));
    }
    if let Some(h) = q.household {
        query = query.filter(C::HouseholdId.eq(h));
    }
    let found = keyset.apply(query, C::Id).all(conn).await?;
    let names = names_of(conn, scope, &found).await?;
    Ok(keyset.page(
        found,
        |r| r.id,
        |r| {
            let named = names.get(&r.household_id);
            to_dto(r, named, today)
        },
    ))
}

fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> AppError {
    AppError::Unprocessable {
        code,
        message: message.into(),
        details: Some(serde_json::json!({"field": field})),
    }
}

/// Records a request about a household inside the caller's scope, with its deadlines.
pub async fn create(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    new: NewPrivacyRequest,
    today: NaiveDate,
) -> AppResult<Scoped<PrivacyRequestId>> {
    let household = scoped::household(conn, &principal.scope, new.household_id).await?;
    let requester = new.requester_name.trim().to_string();
    if requester.is_empty() || requester.chars().count() > 200 {
        return Err(invalid(
            "requester_name_required",
            "requester_name",
            "name who asked (1 to 200 characters)",
        ));
    }
    let details = check_text(Some(new.details), "details", 4000)?.unwrap_or_default();
    if new.received_on > today {
        return Err(invalid(
            "date_in_future",
            "received_on",
            "received_on is after today",
        ));
    }
    let project_id = scoped::household_row(household)
        .one(conn)
        .await?
        .map(|h| h.project_id)
        .ok_or_else(|| AppError::not_found("household"))?;
    let deadlines = request_deadlines(new.received_on);
    let now = Utc::now().fixed_offset();
    Ok(scoped::insert_privacy_request(
        conn,
        household,
        rows::ActiveModel {
            project_id: Set(project_id),
            kind: Set(new.kind),
            status: Set(Status::Received),
            received_on: Set(new.received_on),
            channel: Set(new.channel),
            requester_name: Set(requester),
            details: Set(details),
            ack_by: Set(deadlines.ack_by),
            due_on: Set(deadlines.due_on),
            created_by: Set(principal.user_id),
            updated_by: Set(principal.user_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?)
}

/// A step of a request's life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Acknowledge,
    Extend,
    Complete,
    Reject,
}

impl Step {
    pub fn action(self) -> &'static str {
        match self {
            Step::Acknowledge => "acknowledge",
            Step::Extend => "extend",
            Step::Complete => "complete",
            Step::Reject => "reject",
        }
    }
}

fn required(text: Option<String>, code: &'static str, field: &'static str) -> AppResult<String> {
    match check_text(text, field, 4000)? {
        Some(t) => Ok(t),
        None => Err(invalid(code, field, format!("{field} is required"))),
    }
}

/// Takes a step: checks the request is open and the step allowed, sets what it records.
/// Returns the request as now stored.
pub async fn step(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Scoped<PrivacyRequestId>,
    row: rows::Model,
    step: Step,
    input: RequestStepInput,
    today: NaiveDate,
) -> AppResult<rows::Model> {
    if !row.status.is_open() {
        return Err(AppError::Conflict {
            code: "request_closed",
            message: format!("the request is already {}", row.status),
        });
    }
    let on = input.on.unwrap_or(today);
    if on > today || on < row.received_on {
        return Err(invalid(
            "invalid_step_date",
            "on",
            "the day of the step is before the request or after today",
        ));
    }
    let mut am: rows::ActiveModel = row.clone().into();
    match step {
        Step::Acknowledge => {
            if row.status != Status::Received {
                return Err(AppError::Conflict {
                    code: "already_acknowledged",
                    message: "the request is already acknowledged".into(),
                });
            }
            am.status = Set(Status::Acknowledged);
            am.acknowledged_on = Set(Some(on));
        }
        Step::Extend => {
            if row.extended_on.is_some() {
                return Err(invalid(
                    "already_extended",
                    "reason",
                    "the time limit may be extended once only; it already was",
                ));
            }
            let reason = required(input.reason, "extension_reason_required", "reason")?;
            let due = row
                .due_on
                .and_then(|d| extended_due(row.received_on, d))
                .ok_or_else(|| {
                    invalid(
                        "no_extension",
                        "reason",
                        "no time limit runs for this request, so there is nothing to extend",
                    )
                })?;
            am.status = Set(Status::Extended);
            am.extended_on = Set(Some(on));
            am.extension_reason = Set(Some(reason));
            am.due_on = Set(Some(due));
            if row.acknowledged_on.is_none() {
                am.acknowledged_on = Set(Some(on));
            }
        }
        Step::Complete => {
            let outcome = input.outcome.ok_or_else(|| {
                invalid(
                    "outcome_required",
                    "outcome",
                    "say whether it was done or refused",
                )
            })?;
            if outcome == PrivacyOutcome::Refused {
                let reason = required(input.legal_reason, "legal_reason_required", "legal_reason")?;
                am.legal_reason = Set(Some(reason));
            }
            am.status = Set(Status::Completed);
            am.outcome = Set(Some(outcome));
            am.outcome_note = Set(check_text(input.note, "note", 4000)?);
            am.closed_on = Set(Some(on));
            if row.acknowledged_on.is_none() {
                am.acknowledged_on = Set(Some(on));
            }
        }
        Step::Reject => {
            let reason = required(input.legal_reason, "legal_reason_required", "legal_reason")?;
            am.status = Set(Status::Rejected);
            am.legal_reason = Set(Some(reason));
            am.outcome_note = Set(check_text(input.note, "note", 4000)?);
            am.closed_on = Set(Some(on));
        }
    }
    am.updated_by = Set(principal.user_id);
    am.updated_at = Set(Utc::now().fixed_offset());
    Ok(scoped::update_privacy_request(conn, id, am).await?)
}

/// Everything held on the household of an access request, as one JSON document: the request,
/// the household (CCCD in full: it is the subject's own), its members, the parcels it holds,
/// every personal table's rows about it, its edit history and the audit rows naming it.
pub async fn export(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Scoped<PrivacyRequestId>,
    row: rows::Model,
    today: NaiveDate,
) -> AppResult<serde_json::Value> {
    use serde_json::Value;
    if row.kind != PrivacyRequestKind::Access {
        return Err(AppError::invalid(
            "not_an_access_request",
            format!("request {} asks for {}, not access", row.id, row.kind),
        ));
    }
    let household = scoped::household_of_request(id, &row);
    let mut doc = scoped::household_dossier(conn, household).await?;
    let members = doc
        .get("household")
        .and_then(|h| h.get("members"))
        .and_then(Value::as_str)
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .unwrap_or(Value::Array(Vec::new()));
    doc.insert("members".into(), members);
    let parcel_ids: Vec<i32> = doc
        .get("holdings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|h| h.get("parcel_id").and_then(Value::as_i64))
                .filter_map(|p| i32::try_from(p).ok())
                .collect()
        })
        .unwrap_or_default();
    let parcels: Vec<Value> = scoped::parcels_any(&principal.scope)
        .filter(crate::entities::parcels::Column::Id.is_in(parcel_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id, "map_sheet": p.map_sheet, "parcel_no": p.parcel_no,
                "land_use": p.land_use, "area_m2": p.area_m2,
                "recovered_area_m2": p.recovered_area_m2, "status": p.status,
                "retired_at": p.retired_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    doc.insert("parcels".into(), Value::Array(parcels));
    let history: Vec<Value> = scoped::household_revisions_of(conn, household)
        .await?
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "version": r.version, "edited_at": r.edited_at.to_rfc3339(), "editor": r.editor,
                "fields": serde_json::from_str::<Value>(&r.fields).unwrap_or(Value::Null),
                "before": serde_json::from_str::<Value>(&r.content).unwrap_or(Value::Null),
            })
        })
        .collect();
    doc.insert("household_history".into(), Value::Array(history));
    let audit = crate::audit::naming_household(conn, household.id()).await?;
    doc.insert(
        "audit".into(),
        serde_json::to_value(audit).unwrap_or_default(),
    );
    let request = dto(conn, &principal.scope, row, today).await?;
    let mut out = serde_json::Map::new();
    out.insert("format".into(), "gpmb.personal_data_export/1".into());
    out.insert("generated_at".into(), Utc::now().to_rfc3339().into());
    out.insert("generated_by".into(), principal.actor().into());
    out.insert(
        "request".into(),
        serde_json::to_value(request).unwrap_or_default(),
    );
    out.extend(doc);
    Ok(Value::Object(out))
}
