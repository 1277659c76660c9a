//! Grievances: recording, listing within the caller's area, the actions of their life
//! (accept, assign, resolve, reject, withdraw) and the second-round complaint, with deadlines
//! from `crate::legal` stored on the row (accept_by, notify_by, resolve_by) so that alerts can
//! query them by index.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

use super::dto::{
    DueDto, GrievanceAction, GrievanceDto, GrievanceHouseholdDto, GrievancePatch, GrievanceQuery,
    NewAppeal, NewGrievance, CHANNELS, STATUSES,
};
use crate::auth::{Principal, Scope};
use crate::error::{AppError, AppResult};
use crate::legal::{self, Complexity, GrievanceFacts, GrievanceKind, RuleDto};
use crate::pagination::{Cursor, Page};
use crate::sql::Conditions;

const SELECT: &str = "SELECT g.id, g.project_id, p.code AS project_code, g.kind, g.channel, \
     g.received_on, g.content, g.assignee_id, u.username AS assignee, g.status, g.complex, \
     g.especially_complex, g.remote_area, g.round, g.parent_id, g.signers, g.accepted_on, \
     g.accept_by, g.notify_by, g.resolve_by, g.resolved_on, g.outcome, g.document_no, g.created_at \
     FROM grievances g JOIN projects p ON p.id = g.project_id LEFT JOIN users u ON u.id = g.assignee_id";

#[derive(Clone, Debug, FromQueryResult)]
pub struct Row {
    pub id: i32,
    pub project_id: i32,
    pub project_code: String,
    pub kind: String,
    pub channel: String,
    pub received_on: NaiveDate,
    pub content: String,
    pub assignee_id: Option<i32>,
    pub assignee: Option<String>,
    pub status: String,
    pub complex: bool,
    pub especially_complex: bool,
    pub remote_area: bool,
    pub round: i32,
    pub parent_id: Option<i32>,
    pub signers: i32,
    pub accepted_on: Option<NaiveDate>,
    pub accept_by: Option<NaiveDate>,
    pub notify_by: Option<NaiveDate>,
    pub resolve_by: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub document_no: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

impl Row {
    fn kind(&self) -> GrievanceKind {
        GrievanceKind::parse(&self.kind).unwrap_or(GrievanceKind::Feedback)
    }

    fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "received" | "accepted")
    }

    fn facts(&self, petition_days: i64) -> GrievanceFacts {
        GrievanceFacts {
            kind: self.kind(),
            round: self.round,
            received_on: self.received_on,
            accepted_on: self.accepted_on,
            complexity: complexity(self.complex, self.especially_complex),
            remote_area: self.remote_area,
            petition_days,
        }
    }
}

fn complexity(complex: bool, especially: bool) -> Complexity {
    if especially {
        Complexity::EspeciallyComplex
    } else if complex {
        Complexity::Complex
    } else {
        Complexity::Normal
    }
}

/// Grievances the scope may see: those concerning at least one household in its area.
fn scope_condition(scope: &Scope) -> String {
    match scope.project_id() {
        _ if scope.is_everything() => "1=1".into(),
        Some(p) => format!("g.project_id = {p}"),
        None => format!(
            "EXISTS (SELECT 1 FROM grievance_households sgh JOIN households sh ON sh.id = sgh.household_id \
             WHERE sgh.grievance_id = g.id AND {})",
            scope.sql_condition("sh")
        ),
    }
}

#[derive(Debug, FromQueryResult)]
struct HouseholdLink {
    grievance_id: i32,
    household_id: i32,
    code: String,
    head_name: String,
    parcel_id: Option<i32>,
}

async fn households_of(
    conn: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<GrievanceHouseholdDto>>, DbErr> {
    let mut out: HashMap<i32, Vec<GrievanceHouseholdDto>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let list: Vec<String> = ids.iter().map(i32::to_string).collect();
    let sql = format!(
        "SELECT gh.grievance_id, gh.household_id, h.code, h.head_name, gh.parcel_id \
         FROM grievance_households gh JOIN households h ON h.id = gh.household_id \
         WHERE gh.grievance_id IN ({}) ORDER BY gh.grievance_id, gh.household_id",
        list.join(",")
    );
    for r in
        HouseholdLink::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
            .all(conn)
            .await?
    {
        out.entry(r.grievance_id)
            .or_default()
            .push(GrievanceHouseholdDto {
                household_id: r.household_id,
                code: r.code,
                head_name: r.head_name,
                parcel_id: r.parcel_id,
            });
    }
    Ok(out)
}

fn due(step: &str, on: NaiveDate, rule: &legal::Rule, today: NaiveDate) -> DueDto {
    let left = (on - today).num_days();
    DueDto {
        step: step.into(),
        due_on: on,
        days_left: left,
        overdue: left < 0,
        rule: RuleDto::from(rule),
    }
}

fn to_dto(
    r: Row,
    households: Vec<GrievanceHouseholdDto>,
    petition_days: i64,
    today: NaiveDate,
) -> GrievanceDto {
    let deadlines = legal::grievance_deadlines(&r.facts(petition_days));
    let next_deadline = if !r.is_open() {
        None
    } else if r.status == "received" {
        match (r.accept_by, deadlines.accept_by) {
            (Some(on), Some(d)) => Some(due("accept", on, d.rule, today)),
            _ => r
                .resolve_by
                .zip(deadlines.resolve_by)
                .map(|(on, d)| due("resolve", on, d.rule, today)),
        }
    } else {
        r.resolve_by
            .zip(deadlines.resolve_by)
            .map(|(on, d)| due("resolve", on, d.rule, today))
    };
    let appeal_by = match (r.kind(), r.round, r.status.as_str(), r.resolve_by) {
        (GrievanceKind::Complaint, 1, "resolved", Some(rb)) => {
            legal::appeal_by(r.resolved_on, rb, r.remote_area, today).map(|d| d.on)
        }
        (GrievanceKind::Complaint, 1, "received" | "accepted", Some(rb)) => {
            legal::appeal_by(None, rb, r.remote_area, today).map(|d| d.on)
        }
        _ => None,
    };
    GrievanceDto {
        id: r.id,
        project: r.project_code.clone(),
        kind: r.kind(),
        channel: r.channel,
        received_on: r.received_on,
        content: r.content,
        status: r.status,
        assignee: r.assignee,
        complex: r.complex,
        especially_complex: r.especially_complex,
        remote_area: r.remote_area,
        round: r.round,
        parent_id: r.parent_id,
        signers: r.signers,
        households,
        accepted_on: r.accepted_on,
        accept_by: r.accept_by,
        notify_by: r.notify_by,
        resolve_by: r.resolve_by,
        resolved_on: r.resolved_on,
        outcome: r.outcome,
        document_no: r.document_no,
        created_at: r.created_at.to_rfc3339(),
        next_deadline,
        appeal_by,
    }
}

/// Grievances in the caller's area, by ascending id.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    q: &GrievanceQuery,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<Page<GrievanceDto>> {
    let limit = crate::pagination::limit(q.limit)?;
    let mut b = Conditions::new(scope_condition(scope));
    if let Some(code) = q.project.as_deref().filter(|c| !c.is_empty()) {
        let project = crate::projects::service::by_code(conn, code)
            .await?
            .ok_or_else(|| AppError::not_found("project"))?;
        let p = b.bind(project.id);
        b.push(format!("g.project_id = {p}"));
    }
    match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => {}
        Some("open") => b.push("g.status IN ('received', 'accepted')".into()),
        Some(s) if STATUSES.contains(&s) => {
            let p = b.bind(s);
            b.push(format!("g.status = {p}"));
        }
        Some(s) => {
            return Err(AppError::BadRequest(format!(
                "unknown status `{s}`; use open, {}",
                STATUSES.join(", ")
            )))
        }
    }
    if let Some(k) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        if GrievanceKind::parse(k).is_none() {
            return Err(AppError::BadRequest(format!(
                "unknown kind `{k}`; use complaint, denunciation, petition or feedback"
            )));
        }
        let p = b.bind(k);
        b.push(format!("g.kind = {p}"));
    }
    if let Some(h) = q.household {
        let p = b.bind(h);
        b.push(format!(
            "EXISTS (SELECT 1 FROM grievance_households fh WHERE fh.grievance_id = g.id AND fh.household_id = {p})"
        ));
    }
    if let Some(c) = Cursor::decode(q.cursor.as_deref())? {
        let p = b.bind(c.0);
        b.push(format!("g.id > {p}"));
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY g.id LIMIT {}",
        b.sql(),
        limit + 1
    );
    let rows = Row::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        b.into_values(),
    ))
    .all(conn)
    .await?;
    let page = Page::from_rows(rows, limit, |r| r.id, |r| r);
    let ids: Vec<i32> = page.items.iter().map(|r| r.id).collect();
    let mut hh = households_of(conn, &ids).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| {
                let h = hh.remove(&r.id).unwrap_or_default();
                to_dto(r, h, petition_days, today)
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

pub async fn row(conn: &impl ConnectionTrait, scope: &Scope, id: i32) -> AppResult<Row> {
    let sql = format!("{SELECT} WHERE g.id = $1 AND {}", scope_condition(scope));
    Row::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [Value::from(id)],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::not_found("grievance"))
}

pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<GrievanceDto> {
    let r = row(conn, scope, id).await?;
    let h = households_of(conn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(to_dto(r, h, petition_days, today))
}

fn clean(field: &str, v: Option<String>, max: usize, required: bool) -> AppResult<Option<String>> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if required && v.is_none() {
        return Err(AppError::invalid(
            "missing_field",
            format!("{field} is required"),
        ));
    }
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(AppError::invalid(
            "invalid_field",
            format!("{field} is limited to {max} characters"),
        ));
    }
    Ok(v)
}

fn check_channel(c: &str) -> AppResult<String> {
    let c = c.trim();
    if CHANNELS.contains(&c) {
        Ok(c.to_string())
    } else {
        Err(AppError::invalid(
            "invalid_channel",
            format!("unknown channel `{c}`; use {}", CHANNELS.join(", ")),
        ))
    }
}

fn check_received(on: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if on > today {
        return Err(AppError::invalid(
            "date_in_future",
            format!("received_on {on} is in the future"),
        ));
    }
    if on < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(on) {
        return Err(AppError::invalid(
            "invalid_date",
            format!("received_on {on} is before 2000"),
        ));
    }
    Ok(())
}

#[derive(Debug, FromQueryResult)]
struct HouseholdScope {
    id: i32,
    project_id: i32,
}

#[derive(Debug, FromQueryResult)]
struct ParcelLink {
    household_id: i32,
    parcel_id: i32,
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: i32,
}

struct Insert {
    project_id: i32,
    kind: GrievanceKind,
    channel: String,
    received_on: NaiveDate,
    content: String,
    complex: bool,
    especially_complex: bool,
    remote_area: bool,
    round: i32,
    parent_id: Option<i32>,
    signers: i32,
    document_no: Option<String>,
}

async fn insert(conn: &impl ConnectionTrait, g: &Insert, petition_days: i64) -> AppResult<i32> {
    let d = legal::grievance_deadlines(&GrievanceFacts {
        kind: g.kind,
        round: g.round,
        received_on: g.received_on,
        accepted_on: None,
        complexity: complexity(g.complex, g.especially_complex),
        remote_area: g.remote_area,
        petition_days,
    });
    let row = IdRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO grievances (project_id, kind, channel, received_on, content, status, complex, \
         remote_area, round, parent_id, accept_by, resolve_by, notify_by, document_no, created_at, \
         signers, especially_complex) \
         VALUES ($1, $2, $3, $4, $5, 'received', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        [
            Value::from(g.project_id),
            Value::from(g.kind.as_str()),
            Value::from(g.channel.clone()),
            Value::from(g.received_on),
            Value::from(g.content.clone()),
            Value::from(g.complex),
            Value::from(g.remote_area),
            Value::from(g.round),
            Value::from(g.parent_id),
            Value::from(d.accept_by.map(|x| x.on)),
            Value::from(d.resolve_by.map(|x| x.on)),
            Value::from(d.notify_by.map(|x| x.on)),
            Value::from(g.document_no.clone()),
            Value::from(Utc::now().fixed_offset()),
            Value::from(g.signers),
            Value::from(g.especially_complex),
        ],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("insert returned no id")))?;
    Ok(row.id)
}

/// Records a grievance of one or many households of the caller's area.
pub async fn create(
    conn: &impl ConnectionTrait,
    who: &Principal,
    input: NewGrievance,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<i32> {
    let project = crate::projects::service::by_code(conn, &input.project)
        .await?
        .ok_or_else(|| AppError::not_found("project"))?;
    let channel = check_channel(&input.channel)?;
    let content = clean("content", Some(input.content), 10_000, true)?.unwrap_or_default();
    let document_no = clean("document_no", input.document_no, 100, false)?;
    check_received(input.received_on, today)?;
    if input.households.is_empty() || input.households.len() > 500 {
        return Err(AppError::invalid(
            "invalid_households",
            "households must list 1 to 500 households (`[{\"household_id\": 1}]`)",
        ));
    }
    let mut seen = HashSet::new();
    for h in &input.households {
        if !seen.insert(h.household_id) {
            return Err(AppError::invalid(
                "invalid_households",
                format!("household {} is listed twice", h.household_id),
            ));
        }
    }
    if input.especially_complex && input.kind != GrievanceKind::Denunciation {
        return Err(AppError::invalid(
            "invalid_complexity",
            "especially_complex applies to denunciations only; use complex for other kinds",
        ));
    }
    let n = input.households.len() as i32;
    let signers = input.signers.unwrap_or(n);
    if signers < n {
        return Err(AppError::invalid(
            "invalid_signers",
            format!("signers ({signers}) cannot be fewer than the households listed ({n})"),
        ));
    }
    // Households: in the caller's area (else 404) and in the project (else 422).
    let ids: Vec<String> = input
        .households
        .iter()
        .map(|h| h.household_id.to_string())
        .collect();
    let found = HouseholdScope::find_by_statement(Statement::from_string(
        conn.get_database_backend(),
        format!(
            "SELECT h.id, h.project_id FROM households h WHERE h.id IN ({}) AND {}",
            ids.join(","),
            who.scope.sql_condition("h")
        ),
    ))
    .all(conn)
    .await?;
    for h in &input.households {
        match found.iter().find(|f| f.id == h.household_id) {
            None => {
                return Err(AppError::NotFound(format!(
                    "household {} not found",
                    h.household_id
                )))
            }
            Some(f) if f.project_id != project.id => {
                return Err(AppError::invalid(
                    "invalid_households",
                    format!(
                        "household {} is not in project {}",
                        h.household_id, input.project
                    ),
                ))
            }
            _ => {}
        }
    }
    let links = ParcelLink::find_by_statement(Statement::from_string(
        conn.get_database_backend(),
        format!(
            "SELECT household_id, parcel_id FROM household_parcels WHERE household_id IN ({})",
            ids.join(",")
        ),
    ))
    .all(conn)
    .await?;
    for h in &input.households {
        if let Some(p) = h.parcel_id {
            if !links
                .iter()
                .any(|l| l.household_id == h.household_id && l.parcel_id == p)
            {
                return Err(AppError::invalid(
                    "invalid_parcel",
                    format!(
                        "parcel {p} is not one of household {}'s parcels",
                        h.household_id
                    ),
                ));
            }
        }
    }
    let id = insert(
        conn,
        &Insert {
            project_id: project.id,
            kind: input.kind,
            channel,
            received_on: input.received_on,
            content,
            complex: input.complex || input.especially_complex,
            especially_complex: input.especially_complex,
            remote_area: input.remote_area,
            round: 1,
            parent_id: None,
            signers,
            document_no,
        },
        petition_days,
    )
    .await?;
    let mut values = Vec::new();
    let mut tuples = Vec::new();
    for (i, h) in input.households.iter().enumerate() {
        tuples.push(format!("({id}, ${}, ${})", 2 * i + 1, 2 * i + 2));
        values.push(Value::from(h.household_id));
        values.push(Value::from(h.parcel_id));
    }
    conn.execute(Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!(
            "INSERT INTO grievance_households (grievance_id, household_id, parcel_id) VALUES {}",
            tuples.join(", ")
        ),
        values,
    ))
    .await?;
    Ok(id)
}

fn conflict(message: String) -> AppError {
    AppError::Conflict {
        code: "grievance_state",
        message,
    }
}

/// Applies an action to a grievance; returns what changed (for the audit trail).
pub async fn patch(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    p: GrievancePatch,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<serde_json::Value> {
    let mut r = row(conn, &who.scope, id).await?;
    if !r.is_open() {
        return Err(conflict(format!(
            "grievance {id} is already {}; a closed grievance does not change (file a second-round complaint instead)",
            r.status
        )));
    }
    let on = p.on.unwrap_or(today);
    if on > today {
        return Err(AppError::invalid(
            "date_in_future",
            format!("on {on} is in the future"),
        ));
    }
    let not_before = r.accepted_on.unwrap_or(r.received_on);
    let action = p.action;
    match action {
        GrievanceAction::Accept => {
            if r.status != "received" {
                return Err(conflict(format!("grievance {id} is already accepted")));
            }
            if on < r.received_on {
                return Err(AppError::invalid(
                    "invalid_date",
                    format!(
                        "it cannot be accepted ({on}) before it was received ({})",
                        r.received_on
                    ),
                ));
            }
            r.status = "accepted".into();
            r.accepted_on = Some(on);
        }
        GrievanceAction::Assign => {
            let name = clean("assignee", p.assignee.clone(), 100, true)?.unwrap_or_default();
            let user = IdRow::find_by_statement(Statement::from_sql_and_values(
                conn.get_database_backend(),
                "SELECT id FROM users WHERE username = $1 AND disabled = $2",
                [Value::from(name.clone()), Value::from(false)],
            ))
            .one(conn)
            .await?
            .ok_or_else(|| {
                AppError::invalid("unknown_user", format!("no active user named `{name}`"))
            })?;
            r.assignee_id = Some(user.id);
        }
        GrievanceAction::Resolve => {
            let needs_acceptance = matches!(
                r.kind(),
                GrievanceKind::Complaint | GrievanceKind::Denunciation
            );
            if needs_acceptance && r.status != "accepted" {
                return Err(AppError::invalid(
                    "not_accepted",
                    format!(
                        "a {} is accepted (thụ lý) before it is resolved ({}): accept it first",
                        r.kind,
                        legal::grievance_deadlines(&r.facts(petition_days))
                            .accept_by
                            .map_or("", |d| d.rule.article)
                    ),
                ));
            }
            if on < not_before {
                return Err(AppError::invalid(
                    "invalid_date",
                    format!("it cannot be resolved ({on}) before {not_before}"),
                ));
            }
            r.outcome = clean("outcome", p.outcome.clone(), 10_000, true)?;
            if let Some(d) = clean("document_no", p.document_no.clone(), 100, false)? {
                r.document_no = Some(d);
            }
            r.status = "resolved".into();
            r.resolved_on = Some(on);
        }
        GrievanceAction::Reject => {
            if r.status != "received" {
                return Err(conflict(format!(
                    "grievance {id} was accepted; resolve it with an outcome instead of rejecting it"
                )));
            }
            if on < r.received_on {
                return Err(AppError::invalid(
                    "invalid_date",
                    format!(
                        "it cannot be rejected ({on}) before it was received ({})",
                        r.received_on
                    ),
                ));
            }
            r.outcome = clean("outcome", p.outcome.clone(), 10_000, true)?;
            r.status = "rejected".into();
            r.resolved_on = Some(on);
        }
        GrievanceAction::Withdraw => {
            r.status = "withdrawn".into();
            r.resolved_on = Some(on.max(r.received_on));
        }
        GrievanceAction::Update => {}
    }
    if let Some(c) = p.complex {
        r.complex = c;
    }
    if let Some(c) = p.especially_complex {
        if c && r.kind() != GrievanceKind::Denunciation {
            return Err(AppError::invalid(
                "invalid_complexity",
                "especially_complex applies to denunciations only",
            ));
        }
        r.especially_complex = c;
        r.complex = r.complex || c;
    }
    if let Some(c) = p.remote_area {
        r.remote_area = c;
    }
    let d = legal::grievance_deadlines(&r.facts(petition_days));
    r.accept_by = d.accept_by.map(|x| x.on);
    r.notify_by = d.notify_by.map(|x| x.on);
    r.resolve_by = d.resolve_by.map(|x| x.on);
    conn.execute(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "UPDATE grievances SET status = $1, accepted_on = $2, assignee_id = $3, outcome = $4, \
         document_no = $5, resolved_on = $6, complex = $7, especially_complex = $8, remote_area = $9, \
         accept_by = $10, notify_by = $11, resolve_by = $12 WHERE id = $13",
        [
            Value::from(r.status.clone()),
            Value::from(r.accepted_on),
            Value::from(r.assignee_id),
            Value::from(r.outcome.clone()),
            Value::from(r.document_no.clone()),
            Value::from(r.resolved_on),
            Value::from(r.complex),
            Value::from(r.especially_complex),
            Value::from(r.remote_area),
            Value::from(r.accept_by),
            Value::from(r.notify_by),
            Value::from(r.resolve_by),
            Value::from(id),
        ],
    ))
    .await?;
    Ok(serde_json::json!({
        "action": action_name(action), "status": r.status, "on": on,
        "assignee": p.assignee, "document_no": r.document_no,
        "resolve_by": r.resolve_by,
    }))
}

fn action_name(a: GrievanceAction) -> &'static str {
    match a {
        GrievanceAction::Accept => "accept",
        GrievanceAction::Assign => "assign",
        GrievanceAction::Resolve => "resolve",
        GrievanceAction::Reject => "reject",
        GrievanceAction::Withdraw => "withdraw",
        GrievanceAction::Update => "update",
    }
}

/// Files the second-round complaint of first-round complaint `id`, within the window of LKN
/// Art. 33 (30 days, remote areas 45, after the first decision or its missed deadline).
pub async fn appeal(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    input: NewAppeal,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<i32> {
    let parent = row(conn, &who.scope, id).await?;
    if parent.kind() != GrievanceKind::Complaint || parent.round != 1 {
        return Err(AppError::invalid(
            "not_appealable",
            format!(
                "only a first-round complaint can be followed by a second-round complaint; grievance {id} is a round-{} {}",
                parent.round, parent.kind
            ),
        ));
    }
    let existing = IdRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT id FROM grievances WHERE parent_id = $1",
        [Value::from(id)],
    ))
    .one(conn)
    .await?;
    if let Some(e) = existing {
        return Err(AppError::Conflict {
            code: "already_appealed",
            message: format!(
                "grievance {id} already has its second-round complaint ({})",
                e.id
            ),
        });
    }
    check_received(input.received_on, today)?;
    let decided_on = match parent.status.as_str() {
        "resolved" => parent.resolved_on,
        "received" | "accepted" => None,
        other => {
            return Err(AppError::invalid(
                "not_appealable",
                format!("grievance {id} was {other}: there is no first-round decision to appeal"),
            ))
        }
    };
    let remote = input.remote_area.unwrap_or(parent.remote_area);
    let first_deadline = parent.resolve_by.unwrap_or(parent.received_on);
    let Some(window) = legal::appeal_by(decided_on, first_deadline, remote, input.received_on)
    else {
        return Err(AppError::invalid(
            "appeal_too_early",
            format!(
                "the first-round complaint is still being resolved (deadline {first_deadline}); a second-round complaint is filed after its decision or once that deadline has passed"
            ),
        ));
    };
    if let Some(d) = decided_on {
        if input.received_on < d {
            return Err(AppError::invalid(
                "invalid_date",
                format!(
                    "received_on {} is before the first-round decision of {d}",
                    input.received_on
                ),
            ));
        }
    }
    if input.received_on > window.on {
        return Err(AppError::Unprocessable {
            code: "appeal_window_closed",
            message: format!(
                "the second-round complaint was filed on {} but had to be filed by {} ({} days after {}; {})",
                input.received_on,
                window.on,
                window.rule.days(),
                if decided_on.is_some() { "the first-round decision" } else { "the first round's deadline" },
                window.rule.article
            ),
            details: Some(serde_json::json!({"appeal_by": window.on, "rule": RuleDto::from(window.rule)})),
        });
    }
    let channel = match input.channel {
        Some(c) => check_channel(&c)?,
        None => parent.channel.clone(),
    };
    let content = clean("content", Some(input.content), 10_000, true)?.unwrap_or_default();
    let new_id = insert(
        conn,
        &Insert {
            project_id: parent.project_id,
            kind: GrievanceKind::Complaint,
            channel,
            received_on: input.received_on,
            content,
            complex: input.complex,
            especially_complex: false,
            remote_area: remote,
            round: 2,
            parent_id: Some(id),
            signers: parent.signers,
            document_no: clean("document_no", input.document_no, 100, false)?,
        },
        petition_days,
    )
    .await?;
    conn.execute(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO grievance_households (grievance_id, household_id, parcel_id) \
         SELECT $1, household_id, parcel_id FROM grievance_households WHERE grievance_id = $2",
        [Value::from(new_id), Value::from(id)],
    ))
    .await?;
    Ok(new_id)
}
