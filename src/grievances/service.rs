//! Grievances: recording, listing within the caller's area, the actions of their life
//! (accept, assign, resolve, reject, withdraw) and the second-round complaint, with deadlines
//! from `crate::legal` stored on the row (accept_by, notify_by, resolve_by) so that alerts can
//! query them by index. Every read and write goes through `crate::scoped`.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::dto::{
    DeadlineStep, DueDto, GrievanceAction, GrievanceDto, GrievanceHouseholdDto, GrievancePatch,
    GrievanceQuery, NewAppeal, NewGrievance,
};
use crate::auth::{Principal, Scope};
use crate::domain::{Channel, GrievanceKind, GrievanceStatus};
use crate::entities::{projects, users};
use crate::error::{AppError, AppResult};
use crate::legal::{self, Complexity, GrievanceFacts, RuleDto};
use crate::pagination::{Direction, Keyset, Page};
use crate::scoped::{self, grievances::Column as G, GrievanceId, Personal, Scoped};

/// The grievance's alias in the queries below.
const G_ALIAS: &str = "g";

#[derive(Clone, Debug, FromQueryResult)]
struct Row {
    id: i32,
    project_id: i32,
    project_code: String,
    kind: GrievanceKind,
    channel: Channel,
    received_on: NaiveDate,
    content: String,
    assignee_id: Option<i32>,
    assignee: Option<String>,
    status: GrievanceStatus,
    complex: bool,
    especially_complex: bool,
    remote_area: bool,
    round: i32,
    parent_id: Option<i32>,
    signers: i32,
    accepted_on: Option<NaiveDate>,
    accept_by: Option<NaiveDate>,
    notify_by: Option<NaiveDate>,
    resolve_by: Option<NaiveDate>,
    resolved_on: Option<NaiveDate>,
    outcome: Option<String>,
    document_no: Option<String>,
    accept_no: Option<String>,
    plan_line_id: Option<i32>,
    created_at: DateTime<FixedOffset>,
}

impl Row {
    fn facts(&self, petition_days: i64) -> GrievanceFacts {
        GrievanceFacts {
            kind: self.kind,
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

/// The rows of grievances inside the scope, with their project's code and assignee's username.
fn select_rows(scope: &Scope) -> SelectStatement {
    let (g, p, u) = (Alias::new(G_ALIAS), Alias::new("p"), Alias::new("u"));
    let mut stmt = scoped::select_from(scope, Personal::Grievances, G_ALIAS);
    stmt.columns([
        (g.clone(), G::Id),
        (g.clone(), G::ProjectId),
        (g.clone(), G::Kind),
        (g.clone(), G::Channel),
        (g.clone(), G::ReceivedOn),
        (g.clone(), G::Content),
        (g.clone(), G::AssigneeId),
        (g.clone(), G::Status),
        (g.clone(), G::Complex),
        (g.clone(), G::EspeciallyComplex),
        (g.clone(), G::RemoteArea),
        (g.clone(), G::Round),
        (g.clone(), G::ParentId),
        (g.clone(), G::Signers),
        (g.clone(), G::AcceptedOn),
        (g.clone(), G::AcceptBy),
        (g.clone(), G::NotifyBy),
        (g.clone(), G::ResolveBy),
        (g.clone(), G::ResolvedOn),
        (g.clone(), G::Outcome),
        (g.clone(), G::DocumentNo),
        (g.clone(), G::AcceptNo),
        (g.clone(), G::PlanLineId),
        (g.clone(), G::CreatedAt),
    ])
    .expr_as(
        Expr::col((p.clone(), projects::Column::Code)),
        Alias::new("project_code"),
    )
    .expr_as(
        Expr::col((u.clone(), users::Column::Username)),
        Alias::new("assignee"),
    )
    .join_as(
        JoinType::InnerJoin,
        projects::Entity,
        p.clone(),
        Expr::col((p, projects::Column::Id)).equals((g.clone(), G::ProjectId)),
    )
    .join_as(
        JoinType::LeftJoin,
        users::Entity,
        u.clone(),
        Expr::col((u, users::Column::Id)).equals((g, G::AssigneeId)),
    );
    stmt
}

/// The signers of the grievances, by grievance: those inside the scope, and how many others.
#[derive(Debug, Default)]
struct Signers {
    shown: Vec<GrievanceHouseholdDto>,
    outside: i32,
}

async fn households_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
) -> AppResult<HashMap<i32, Signers>> {
    let mut out: HashMap<i32, Signers> = HashMap::new();
    for s in scoped::grievance_signers(conn, scope, ids).await? {
        let entry = out.entry(s.grievance_id).or_default();
        match (s.household_id, s.code, s.head_name) {
            (Some(household_id), Some(code), Some(head_name)) => {
                entry.shown.push(GrievanceHouseholdDto {
                    household_id,
                    code,
                    head_name,
                    parcel_id: s.parcel_id,
                });
            }
            _ => entry.outside += 1,
        }
    }
    Ok(out)
}

fn due(step: DeadlineStep, on: NaiveDate, rule: &legal::Rule, today: NaiveDate) -> DueDto {
    let left = (on - today).num_days();
    DueDto {
        step,
        due_on: on,
        days_left: left,
        overdue: left < 0,
        rule: RuleDto::from(rule),
    }
}

/// The next deadline of an open grievance: acceptance while received, then resolution.
fn next_deadline(r: &Row, petition_days: i64, today: NaiveDate) -> Option<DueDto> {
    let deadlines = legal::grievance_deadlines(&r.facts(petition_days));
    let resolve = || {
        r.resolve_by
            .zip(deadlines.resolve_by)
            .map(|(on, d)| due(DeadlineStep::Resolve, on, d.rule, today))
    };
    match r.status {
        GrievanceStatus::Received => match (r.accept_by, deadlines.accept_by) {
            (Some(on), Some(d)) => Some(due(DeadlineStep::Accept, on, d.rule, today)),
            _ => resolve(),
        },
        s if s.is_open() => resolve(),
        _ => None,
    }
}

fn to_dto(r: Row, signers: Signers, petition_days: i64, today: NaiveDate) -> GrievanceDto {
    let next_deadline = next_deadline(&r, petition_days, today);
    let appeal_by = match (r.kind, r.round, r.status, r.resolve_by) {
        (GrievanceKind::Complaint, 1, GrievanceStatus::Resolved, Some(rb)) => {
            legal::appeal_by(r.resolved_on, rb, r.remote_area, today).map(|d| d.on)
        }
        (GrievanceKind::Complaint, 1, s, Some(rb)) if s.is_open() => {
            legal::appeal_by(None, rb, r.remote_area, today).map(|d| d.on)
        }
        _ => None,
    };
    GrievanceDto {
        id: r.id,
        project: r.project_code,
        kind: r.kind,
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
        households: signers.shown,
        households_outside: signers.outside,
        accepted_on: r.accepted_on,
        accept_by: r.accept_by,
        notify_by: r.notify_by,
        resolve_by: r.resolve_by,
        resolved_on: r.resolved_on,
        outcome: r.outcome,
        document_no: r.document_no,
        accept_no: r.accept_no,
        plan_line_id: r.plan_line_id,
        plan_line: None,
        created_at: r.created_at.to_rfc3339(),
        next_deadline,
        appeal_by,
    }
}

/// Adds the list's filters (`?project=`, `?status=`, `?kind=`, `?household=`) to `stmt`.
async fn filter_list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    stmt: &mut SelectStatement,
    q: &GrievanceQuery,
) -> AppResult<()> {
    let col = |c: G| Expr::col((Alias::new(G_ALIAS), c));
    if let Some(code) = q.project.as_deref().filter(|c| !c.is_empty()) {
        let project = crate::projects::service::by_code(conn, code)
            .await?
            .ok_or_else(|| AppError::not_found("project"))?;
        stmt.and_where(col(G::ProjectId).eq(project.id));
    }
    match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => {}
        Some("open") => {
            stmt.and_where(col(G::Status).is_in(GrievanceStatus::OPEN.iter().map(|s| s.as_str())));
        }
        Some(s) => {
            let status = GrievanceStatus::parse(s).ok_or_else(|| {
                let all: Vec<&str> = GrievanceStatus::ALL.iter().map(|s| s.as_str()).collect();
                AppError::BadRequest(format!(
                    "unknown status `{s}`; use open, {}",
                    all.join(", ")
                ))
            })?;
            stmt.and_where(col(G::Status).eq(status.as_str()));
        }
    }
    if let Some(k) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        let kind = GrievanceKind::parse(k).ok_or_else(|| {
            AppError::BadRequest(format!(
                "unknown kind `{k}`; use complaint, denunciation, petition or feedback"
            ))
        })?;
        stmt.and_where(col(G::Kind).eq(kind.as_str()));
    }
    if let Some(h) = q.household {
        // A household outside the scope filters like an unknown one (nothing), so the list
        // never tells which of the caller's grievances it co-signed.
        if scoped::household(conn, scope, h).await.is_ok() {
            stmt.cond_where(scoped::grievance_signed_by(G_ALIAS, h));
        } else {
            stmt.and_where(Expr::val(1).eq(0));
        }
    }
    match q
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => {}
        Some("none") => {
            stmt.and_where(col(G::AssigneeId).is_null());
        }
        Some(name) => {
            let id: Option<i32> = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .filter(users::Column::Username.eq(name))
                .into_tuple()
                .one(conn)
                .await?;
            // An unknown user handles nothing.
            stmt.and_where(col(G::AssigneeId).eq(id.unwrap_or(-1)));
        }
    }
    if let Some(mut communes) =
        crate::admin_units::filter::commune_filter(conn, q.commune_id, None).await?
    {
        // Only the communes inside the scope count: signers elsewhere are not the caller's.
        if let Some(mine) = scope.commune_ids() {
            communes.retain(|c| mine.contains(c));
        }
        stmt.cond_where(scoped::grievance_signed_in(G_ALIAS, &communes));
    }
    Ok(())
}

/// How the list is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sort {
    Id,
    Deadline,
}

fn parse_sort(s: Option<&str>) -> AppResult<Sort> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("id") => Ok(Sort::Id),
        Some("deadline") => Ok(Sort::Deadline),
        Some(other) => Err(AppError::BadRequest(format!(
            "unknown sort `{other}`; use id or deadline"
        ))),
    }
}

/// Grievances in the caller's area, by ascending id.
#[tracing::instrument(skip_all, fields(project = ?q.project, household = ?q.household))]
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    q: &GrievanceQuery,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<Page<GrievanceDto>> {
    let sort = parse_sort(q.sort.as_deref())?;
    let mut stmt = select_rows(scope);
    filter_list(conn, scope, &mut stmt, q).await?;
    let page = if sort == Sort::Deadline {
        by_deadline(conn, stmt, q).await?
    } else {
        let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Ascending)?;
        keyset.apply_statement(&mut stmt, (Alias::new(G_ALIAS), G::Id));
        let rows = Row::find_by_statement(conn.get_database_backend().build(&stmt))
            .all(conn)
            .await?;
        keyset.page(rows, |r| r.id, |r| r)
    };
    let ids: Vec<i32> = page.items.iter().map(|r| r.id).collect();
    let mut hh = households_of(conn, scope, &ids).await?;
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

/// One page ordered open first, by open deadline (the most overdue first), then the newest;
/// the cursor is the offset of the next page.
async fn by_deadline(
    conn: &impl ConnectionTrait,
    mut stmt: SelectStatement,
    q: &GrievanceQuery,
) -> AppResult<Page<Row>> {
    let limit = crate::pagination::limit(q.limit)?;
    let offset = crate::pagination::Cursor::decode(q.cursor.as_deref())?
        .map_or(0, |c| u64::try_from(c.0).unwrap_or(0));
    let deadline = scoped::grievance_open_deadline(G_ALIAS);
    stmt.order_by_expr(
        Expr::case(deadline.clone().is_null(), 1).finally(0).into(),
        Order::Asc,
    )
    .order_by_expr(deadline, Order::Asc)
    .order_by((Alias::new(G_ALIAS), G::Id), Order::Desc)
    .limit(limit + 1)
    .offset(offset);
    let mut rows = Row::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = offset + limit;
    Ok(Page {
        items: rows,
        next_cursor: more
            .then(|| crate::pagination::Cursor(i32::try_from(next).unwrap_or(i32::MAX)).encode()),
    })
}

/// Officials a grievance may be assigned to: active users who may write (members, district
/// leaders, administrators), by name.
pub async fn assignees(conn: &impl ConnectionTrait) -> AppResult<Vec<super::dto::AssigneeDto>> {
    let rows: Vec<(String, String, String)> = users::Entity::find()
        .select_only()
        .column(users::Column::Username)
        .column(users::Column::DisplayName)
        .column(users::Column::Role)
        .filter(users::Column::Disabled.eq(false))
        .order_by_asc(users::Column::DisplayName)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, role)| {
            crate::domain::Role::parse(role).is_some_and(|r| {
                r.may(crate::domain::Permission::WriteVisits)
                    || r.may(crate::domain::Permission::Administer)
            })
        })
        .map(|(username, display_name, role)| super::dto::AssigneeDto {
            username,
            display_name,
            role,
        })
        .collect())
}

/// The grievance's row (it has passed the scope; read through it all the same).
async fn row(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Scoped<GrievanceId>,
) -> AppResult<Row> {
    let mut stmt = select_rows(scope);
    stmt.and_where(Expr::col((Alias::new(G_ALIAS), G::Id)).eq(id.id()));
    Row::find_by_statement(conn.get_database_backend().build(&stmt))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("grievance"))
}

/// One grievance with its households and deadlines.
#[tracing::instrument(skip_all, fields(grievance_id = id.id()))]
pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Scoped<GrievanceId>,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<GrievanceDto> {
    let r = row(conn, scope, id).await?;
    let h = households_of(conn, scope, &[id.id()])
        .await?
        .remove(&id.id())
        .unwrap_or_default();
    let line = disputed_line(conn, scope, r.plan_line_id).await?;
    let mut dto = to_dto(r, h, petition_days, today);
    dto.plan_line = line;
    Ok(dto)
}

/// The plan line a grievance disputes, read within the caller's scope (None outside it).
async fn disputed_line(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Option<i32>,
) -> AppResult<Option<super::dto::DisputedLineDto>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let Some(id) = id else { return Ok(None) };
    let Some(line) = scoped::plan_lines(scope)
        .filter(scoped::plan_lines::Column::Id.eq(id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(plan) = scoped::compensation_plans(scope)
        .filter(scoped::compensation_plans::Column::Id.eq(line.plan_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(super::dto::DisputedLineDto {
        id: line.id,
        plan_id: line.plan_id,
        plan_number: plan.number,
        household_id: line.household_id,
        line_no: line.line_no,
        label: line.label,
        amount: line.amount,
        article: line.article,
    }))
}

/// A 422 naming the field at fault (`details.field`), so a form shows it beside the field.
fn invalid(code: &'static str, field: &str, message: String) -> AppError {
    AppError::Unprocessable {
        code,
        message,
        details: Some(serde_json::json!({"field": field})),
    }
}

fn clean(field: &str, v: Option<String>, max: usize, required: bool) -> AppResult<Option<String>> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if required && v.is_none() {
        return Err(invalid(
            "missing_field",
            field,
            format!("{field} is required"),
        ));
    }
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(invalid(
            "invalid_field",
            field,
            format!("{field} is limited to {max} characters"),
        ));
    }
    Ok(v)
}

fn check_received(on: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if on > today {
        return Err(invalid(
            "date_in_future",
            "received_on",
            format!("received_on {on} is in the future"),
        ));
    }
    if on < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(on) {
        return Err(invalid(
            "invalid_date",
            "received_on",
            format!("received_on {on} is before 2000"),
        ));
    }
    Ok(())
}

struct Insert {
    project_id: i32,
    kind: GrievanceKind,
    channel: Channel,
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

/// The new row, with its deadlines computed from the legal table.
fn new_row(g: Insert, petition_days: i64) -> scoped::grievances::ActiveModel {
    let d = legal::grievance_deadlines(&GrievanceFacts {
        kind: g.kind,
        round: g.round,
        received_on: g.received_on,
        accepted_on: None,
        complexity: complexity(g.complex, g.especially_complex),
        remote_area: g.remote_area,
        petition_days,
    });
    scoped::grievances::ActiveModel {
        project_id: Set(g.project_id),
        kind: Set(g.kind.as_str().to_string()),
        channel: Set(g.channel.as_str().to_string()),
        received_on: Set(g.received_on),
        content: Set(g.content),
        status: Set(GrievanceStatus::Received.as_str().to_string()),
        complex: Set(g.complex),
        remote_area: Set(g.remote_area),
        round: Set(g.round),
        parent_id: Set(g.parent_id),
        accept_by: Set(d.accept_by.map(|x| x.on)),
        resolve_by: Set(d.resolve_by.map(|x| x.on)),
        notify_by: Set(d.notify_by.map(|x| x.on)),
        document_no: Set(g.document_no),
        created_at: Set(Utc::now().fixed_offset()),
        signers: Set(g.signers),
        especially_complex: Set(g.especially_complex),
        ..Default::default()
    }
}

/// The checks of a new grievance that need no database; returns the number of signers.
fn check_new(input: &NewGrievance, today: NaiveDate) -> AppResult<i32> {
    check_received(input.received_on, today)?;
    if input.households.is_empty() || input.households.len() > 500 {
        return Err(invalid(
            "invalid_households",
            "households",
            "households must list 1 to 500 households (`[{\"household_id\": 1}]`)".into(),
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
    // At most 500 (checked above).
    let n = i32::try_from(input.households.len()).unwrap_or(i32::MAX);
    let signers = input.signers.unwrap_or(n);
    if signers < n {
        return Err(invalid(
            "invalid_signers",
            "signers",
            format!("signers ({signers}) cannot be fewer than the households listed ({n})"),
        ));
    }
    Ok(signers)
}

/// The signers of a new grievance: each household in the caller's area (else 404) and in the
/// project (else 422), each parcel in the caller's area (else 404) and one of its
/// household's (else 422).
async fn check_signers(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    input: &NewGrievance,
    project_id: i32,
) -> AppResult<Vec<(Scoped<scoped::HouseholdId>, Option<i32>)>> {
    use scoped::household_parcels::Column as Hp;
    use scoped::households::Column as H;
    let ids: Vec<i32> = input.households.iter().map(|h| h.household_id).collect();
    let found: Vec<(i32, i32)> = scoped::households(scope)
        .select_only()
        .column(H::Id)
        .column(H::ProjectId)
        .filter(H::Id.is_in(ids.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    for h in &input.households {
        match found.iter().find(|(id, _)| *id == h.household_id) {
            None => {
                return Err(AppError::NotFound(format!(
                    "household {} not found",
                    h.household_id
                )))
            }
            Some((_, project)) if *project != project_id => {
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
    let links: Vec<(i32, i32)> = scoped::household_parcels(scope)
        .select_only()
        .column(Hp::HouseholdId)
        .column(Hp::ParcelId)
        .filter(Hp::HouseholdId.is_in(ids.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    for h in &input.households {
        if let Some(p) = h.parcel_id {
            // Unknown or outside the caller's area: 404 alike.
            scoped::parcel(conn, scope, p).await?;
            if !links.contains(&(h.household_id, p)) {
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
    let scoped_ids = scoped::households_all(conn, scope, &ids).await?;
    Ok(input
        .households
        .iter()
        .filter_map(|h| {
            scoped_ids
                .iter()
                .find(|s| s.id() == h.household_id)
                .map(|s| (*s, h.parcel_id))
        })
        .collect())
}

/// Records a grievance of one or many households of the caller's area.
#[tracing::instrument(skip_all, fields(project = %input.project, kind = %input.kind))]
pub async fn create(
    conn: &impl ConnectionTrait,
    who: &Principal,
    input: NewGrievance,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<Scoped<GrievanceId>> {
    let project = crate::projects::service::by_code(conn, &input.project)
        .await?
        .ok_or_else(|| AppError::not_found("project"))?;
    crate::projects::service::ensure_open(conn, project.id).await?;
    let content = clean("content", Some(input.content.clone()), 10_000, true)?.unwrap_or_default();
    let document_no = clean("document_no", input.document_no.clone(), 100, false)?;
    let signers = check_new(&input, today)?;
    let households = check_signers(conn, &who.scope, &input, project.id).await?;
    let plan_line = plan_line_of(conn, &who.scope, input.plan_line_id, &households).await?;
    let mut row = new_row(
        Insert {
            project_id: project.id,
            kind: input.kind,
            channel: input.channel,
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
    );
    row.plan_line_id = Set(plan_line);
    scoped::insert_grievance(conn, row, &households).await
}

/// The plan line an objection disputes: one the caller may see (else 404, as unknown), of a
/// household that signed (else 422).
async fn plan_line_of(
    conn: &impl ConnectionTrait,
    scope: &crate::auth::Scope,
    id: Option<i32>,
    signers: &[(Scoped<scoped::HouseholdId>, Option<i32>)],
) -> AppResult<Option<i32>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let Some(id) = id else { return Ok(None) };
    let line = scoped::plan_lines(scope)
        .filter(scoped::plan_lines::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("plan line"))?;
    if !signers.iter().any(|(h, _)| h.id() == line.household_id) {
        return Err(invalid(
            "plan_line_of_another_household",
            "plan_line_id",
            format!("plan line {id} belongs to a household that did not sign this grievance"),
        ));
    }
    Ok(Some(id))
}

fn conflict(message: String) -> AppError {
    AppError::Conflict {
        code: "grievance_state",
        message,
    }
}

/// The active user with this username (the official a grievance is assigned to).
async fn active_user(conn: &impl ConnectionTrait, name: &str) -> AppResult<i32> {
    users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Username.eq(name))
        .filter(users::Column::Disabled.eq(false))
        .into_tuple()
        .one(conn)
        .await?
        .ok_or_else(|| {
            invalid(
                "unknown_user",
                "assignee",
                format!("no active user named `{name}`"),
            )
        })
}

/// Changes `r` as the action says (status, dates, outcome, assignee), or says why it cannot.
async fn apply_action(
    conn: &impl ConnectionTrait,
    r: &mut Row,
    p: &GrievancePatch,
    on: NaiveDate,
    petition_days: i64,
) -> AppResult<()> {
    let id = r.id;
    let not_before = r.accepted_on.unwrap_or(r.received_on);
    match p.action {
        GrievanceAction::Accept => {
            if r.status != GrievanceStatus::Received {
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
            r.status = GrievanceStatus::Accepted;
            r.accepted_on = Some(on);
            r.accept_no = clean("document_no", p.document_no.clone(), 100, false)?;
        }
        GrievanceAction::Assign => {
            let name = clean("assignee", p.assignee.clone(), 100, true)?.unwrap_or_default();
            r.assignee_id = Some(active_user(conn, &name).await?);
        }
        GrievanceAction::Resolve => {
            let needs_acceptance = matches!(
                r.kind,
                GrievanceKind::Complaint | GrievanceKind::Denunciation
            );
            if needs_acceptance && r.status != GrievanceStatus::Accepted {
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
            r.status = GrievanceStatus::Resolved;
            r.resolved_on = Some(on);
        }
        GrievanceAction::Reject => {
            if r.status != GrievanceStatus::Received {
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
            r.status = GrievanceStatus::Rejected;
            r.resolved_on = Some(on);
        }
        GrievanceAction::Withdraw => {
            r.status = GrievanceStatus::Withdrawn;
            r.resolved_on = Some(on.max(r.received_on));
        }
        GrievanceAction::Update => {}
    }
    Ok(())
}

/// Changes the flags the patch names (complexity, remote area).
fn apply_flags(r: &mut Row, p: &GrievancePatch) -> AppResult<()> {
    if let Some(c) = p.complex {
        r.complex = c;
    }
    if let Some(c) = p.especially_complex {
        if c && r.kind != GrievanceKind::Denunciation {
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
    Ok(())
}

/// Writes back what an action may change.
async fn save(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Scoped<GrievanceId>,
    r: &Row,
) -> AppResult<()> {
    let stmt = scoped::update(scope, Personal::Grievances)
        .values([
            (G::Status, r.status.as_str().into()),
            (G::AcceptedOn, r.accepted_on.into()),
            (G::AssigneeId, r.assignee_id.into()),
            (G::Outcome, r.outcome.clone().into()),
            (G::DocumentNo, r.document_no.clone().into()),
            (G::AcceptNo, r.accept_no.clone().into()),
            (G::ResolvedOn, r.resolved_on.into()),
            (G::Complex, r.complex.into()),
            (G::EspeciallyComplex, r.especially_complex.into()),
            (G::RemoteArea, r.remote_area.into()),
            (G::AcceptBy, r.accept_by.into()),
            (G::NotifyBy, r.notify_by.into()),
            (G::ResolveBy, r.resolve_by.into()),
        ])
        .and_where(Expr::col(G::Id).eq(id.id()))
        .to_owned();
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    Ok(())
}

/// Applies an action to a grievance; returns what changed (for the audit trail).
#[tracing::instrument(skip_all, fields(grievance_id = id.id(), action = ?p.action))]
pub async fn patch(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: Scoped<GrievanceId>,
    p: GrievancePatch,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<serde_json::Value> {
    let mut r = row(conn, &who.scope, id).await?;
    if !r.status.is_open() {
        return Err(conflict(format!(
            "grievance {} is already {}; a closed grievance does not change (file a second-round complaint instead)",
            r.id, r.status
        )));
    }
    let on = p.on.unwrap_or(today);
    if on > today {
        return Err(invalid(
            "date_in_future",
            "on",
            format!("on {on} is in the future"),
        ));
    }
    apply_action(conn, &mut r, &p, on, petition_days).await?;
    apply_flags(&mut r, &p)?;
    let d = legal::grievance_deadlines(&r.facts(petition_days));
    r.accept_by = d.accept_by.map(|x| x.on);
    r.notify_by = d.notify_by.map(|x| x.on);
    r.resolve_by = d.resolve_by.map(|x| x.on);
    save(conn, &who.scope, id, &r).await?;
    Ok(serde_json::json!({
        "action": action_name(p.action), "status": r.status, "on": on,
        "assignee": p.assignee, "document_no": r.document_no, "accept_no": r.accept_no,
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

/// When a second-round complaint filed on `received_on` is still allowed (LKN Art. 33), or
/// why not.
fn check_appeal_window(parent: &Row, input: &NewAppeal, remote: bool) -> AppResult<()> {
    let id = parent.id;
    let decided_on = match parent.status {
        GrievanceStatus::Resolved => parent.resolved_on,
        s if s.is_open() => None,
        other => {
            return Err(AppError::invalid(
                "not_appealable",
                format!("grievance {id} was {other}: there is no first-round decision to appeal"),
            ))
        }
    };
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
    Ok(())
}

/// Files the second-round complaint of first-round complaint `id`, within the window of LKN
/// Art. 33 (30 days, remote areas 45, after the first decision or its missed deadline).
#[tracing::instrument(skip_all, fields(grievance_id = id.id()))]
pub async fn appeal(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: Scoped<GrievanceId>,
    input: NewAppeal,
    petition_days: i64,
    today: NaiveDate,
) -> AppResult<Scoped<GrievanceId>> {
    let parent = row(conn, &who.scope, id).await?;
    if parent.kind != GrievanceKind::Complaint || parent.round != 1 {
        return Err(AppError::invalid(
            "not_appealable",
            format!(
                "only a first-round complaint can be followed by a second-round complaint; grievance {} is a round-{} {}",
                parent.id, parent.round, parent.kind
            ),
        ));
    }
    let existing: Option<i32> = scoped::grievances(&who.scope)
        .select_only()
        .column(G::Id)
        .filter(G::ParentId.eq(id.id()))
        .into_tuple()
        .one(conn)
        .await?;
    if let Some(e) = existing {
        return Err(AppError::Conflict {
            code: "already_appealed",
            message: format!(
                "grievance {} already has its second-round complaint ({e})",
                parent.id
            ),
        });
    }
    check_received(input.received_on, today)?;
    let remote = input.remote_area.unwrap_or(parent.remote_area);
    check_appeal_window(&parent, &input, remote)?;
    let content = clean("content", Some(input.content), 10_000, true)?.unwrap_or_default();
    let row = new_row(
        Insert {
            project_id: parent.project_id,
            kind: GrievanceKind::Complaint,
            channel: input.channel.unwrap_or(parent.channel),
            received_on: input.received_on,
            content,
            complex: input.complex,
            especially_complex: false,
            remote_area: remote,
            round: 2,
            parent_id: Some(parent.id),
            signers: parent.signers,
            document_no: clean("document_no", input.document_no, 100, false)?,
        },
        petition_days,
    );
    scoped::insert_appeal(conn, id, row).await
}
