//! The alert list, computed on read from indexed queries, one "stream" per source of alerts:
//! each stream counts and pages with its own index (see the alerts migration), so the cost
//! of a page does not grow with the number of households. Time-based alerts (overdue,
//! not visited) need no background job: they are a range over a date index up to today.
//! Every stream is a sea-query statement built through `crate::scoped`.
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, JoinType, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::dto::{AlertDto, AlertPage, AlertQuery, CommuneRef};
use crate::auth::{Principal, Scope};
use crate::config::Settings;
use crate::db::{dialect, Db};
use crate::domain::{AlertKind, GrievanceStatus};
use crate::entities::{
    admin_units, alert_reviews, hot_spots, parcel_land_use_events, parcels, projects,
};
use crate::error::{AppError, AppResult};
use crate::i18n::{Catalogue, Lang};
use crate::pagination::{Cursor, Direction, Keyset};
use crate::scoped::{self, column, null_of, Personal};

/// The catalogue of a language, loaded once.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static VI: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| Catalogue::load(Lang::Vi)),
        Lang::En => EN.get_or_init(|| Catalogue::load(Lang::En)),
    }
}

/// Where alerts come from. Several streams may share a kind (household and parcel splits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    HotSpot,
    GrievanceOverdue,
    StageOverdue,
    PaymentDue,
    HouseholdSplit,
    ParcelSplit,
    LandUseChange,
    CommitmentOverdue,
    GrievanceDue,
    NotVisited,
    NeverVisited,
}

const STREAMS: [Stream; 11] = [
    Stream::HotSpot,
    Stream::GrievanceOverdue,
    Stream::StageOverdue,
    Stream::PaymentDue,
    Stream::HouseholdSplit,
    Stream::ParcelSplit,
    Stream::LandUseChange,
    Stream::CommitmentOverdue,
    Stream::GrievanceDue,
    Stream::NotVisited,
    Stream::NeverVisited,
];

impl Stream {
    /// What an alert of this stream is about, as triage names it (`alert_triage.subject`);
    /// the subject's id is the stream's row id.
    pub fn subject(self) -> &'static str {
        match self {
            Stream::HotSpot => "hot_spot",
            Stream::GrievanceOverdue | Stream::GrievanceDue => "grievance",
            Stream::StageOverdue => "stage_deadline",
            Stream::PaymentDue => "payment",
            Stream::HouseholdSplit => "household_split",
            Stream::ParcelSplit => "parcel_split",
            Stream::LandUseChange => "land_use_change",
            Stream::CommitmentOverdue => "commitment",
            Stream::NotVisited | Stream::NeverVisited => "not_visited",
        }
    }

    fn kind(self) -> AlertKind {
        match self {
            Stream::HotSpot => AlertKind::HotSpot,
            Stream::GrievanceOverdue => AlertKind::GrievanceOverdue,
            Stream::StageOverdue => AlertKind::StageOverdue,
            Stream::PaymentDue => AlertKind::PaymentDue,
            Stream::HouseholdSplit | Stream::ParcelSplit => AlertKind::SplitAfterCutoff,
            Stream::LandUseChange => AlertKind::LandUseChangeAfterCutoff,
            Stream::CommitmentOverdue => AlertKind::CommitmentOverdue,
            Stream::GrievanceDue => AlertKind::GrievanceDue,
            Stream::NotVisited | Stream::NeverVisited => AlertKind::NotVisited,
        }
    }
}

/// What the alerts are asked for, resolved.
pub struct Ctx {
    /// Projects to look at (never empty).
    pub projects: Vec<(i32, String)>,
    pub scope: Scope,
    /// The admin units a commune filter selects (the unit and those merged into it).
    pub communes: Option<Vec<i32>>,
    pub today: NaiveDate,
    /// Last visit (or creation, if never visited) before this: not visited; one limit per
    /// group of projects sharing a threshold (`projects.not_visited_days`).
    pub not_visited_before: Vec<(DateTime<FixedOffset>, Vec<i32>)>,
    /// Alerts link leaders and administrators to the desktop case file, members to the field app.
    pub desk_links: bool,
    /// Open grievance deadlines up to this day are due.
    pub near_until: NaiveDate,
    pub lang: Lang,
    /// Project-board tokens: no household ids, no commitment texts.
    pub personal: bool,
    pub backend: DatabaseBackend,
}

const INT: &str = "INTEGER";
const DATE: &str = "DATE";
const TS: &str = "TIMESTAMP WITH TIME ZONE";
const TEXT: &str = "TEXT";

/// The names every stream selects its columns under, in order.
const NAMES: [&str; 11] = [
    "project_id",
    "household_id",
    "parcel_id",
    "grievance_id",
    "commune_id",
    "other_id",
    "due_on",
    "since_on",
    "since_at",
    "a",
    "b",
];

/// The query of one stream: FROM and WHERE, the keyset id and the selected columns (in the
/// order of `NAMES`).
struct StreamQuery {
    stmt: SelectStatement,
    id: (Alias, Alias),
    columns: [SimpleExpr; 11],
}

fn col(alias: &'static str, name: &'static str) -> SimpleExpr {
    Expr::col(column(alias, name)).into()
}

fn in_projects(ctx: &Ctx, alias: &'static str) -> SimpleExpr {
    Expr::col(column(alias, "project_id")).is_in(ctx.projects.iter().map(|(id, _)| *id))
}

/// The commune filter on `alias.commune_id`, if any.
fn in_communes(ctx: &Ctx, alias: &'static str) -> Option<SimpleExpr> {
    ctx.communes
        .as_ref()
        .map(|ids| Expr::col(column(alias, "commune_id")).is_in(ids.iter().copied()))
}

/// No review accepted this subject yet.
fn not_reviewed(subject: &'static str, id: SimpleExpr) -> SimpleExpr {
    let reviewed = Query::select()
        .expr(Expr::val(1))
        .from_as(alert_reviews::Entity, Alias::new("r"))
        .and_where(Expr::col(column("r", "subject")).eq(subject))
        .and_where(Expr::col(column("r", "subject_id")).eq(id))
        .to_owned();
    Expr::exists(reviewed).not()
}

/// The open deadline of a grievance: acceptance while received, resolution once accepted.
fn grievance_deadline() -> SimpleExpr {
    Expr::case(
        Expr::col(column("g", "status")).eq(GrievanceStatus::Received.as_str()),
        Func::coalesce([col("g", "accept_by"), col("g", "resolve_by")]),
    )
    .finally(col("g", "resolve_by"))
    .into()
}

/// The first household (inside the scope) holding the parcel `parcel_id`. A limited scope is
/// checked on the holder joined by id, not by listing the area's households.
fn first_holder(scope: &Scope, parcel_id: SimpleExpr) -> SimpleExpr {
    let mut q = if scope.is_everything() {
        scoped::select_from(scope, Personal::HouseholdParcels, "hp")
    } else {
        scoped::select_through_household(
            scope,
            Personal::HouseholdParcels,
            "hp",
            JoinType::InnerJoin,
            "hv",
        )
    };
    q.expr(Func::min(col("hp", "household_id")))
        .and_where(Expr::col(column("hp", "parcel_id")).eq(parcel_id));
    scoped::subquery(q)
}

/// `household_id` if that household is inside the scope, else null (a hot spot of a commune in
/// the scope may name a signer from another area).
fn household_in_scope(scope: &Scope, household_id: SimpleExpr) -> SimpleExpr {
    let mut q = scoped::select_from(scope, Personal::Households, "hv");
    q.expr(Func::min(col("hv", "id")))
        .and_where(Expr::col(column("hv", "id")).eq(household_id));
    scoped::subquery(q)
}

fn hot_spot_stream(ctx: &Ctx) -> StreamQuery {
    let mut stmt = Query::select()
        .from_as(hot_spots::Entity, Alias::new("x"))
        .cond_where(scoped::area_rows(&ctx.scope, "x"))
        .and_where(in_projects(ctx, "x"))
        .and_where(Expr::col(column("x", "resolved_on")).is_null())
        .to_owned();
    stmt.and_where_option(in_communes(ctx, "x"));
    StreamQuery {
        stmt,
        id: column("x", "id"),
        columns: [
            col("x", "project_id"),
            household_in_scope(&ctx.scope, col("x", "household_id")),
            null_of(INT),
            col("x", "grievance_id"),
            col("x", "commune_id"),
            null_of(INT),
            null_of(DATE),
            col("x", "flagged_on"),
            null_of(TS),
            col("x", "kind"),
            col("x", "detail"),
        ],
    }
}

/// Grievances past (or near) their deadline, each shown under its first household inside
/// the caller's area (and the commune filter).
fn grievance_stream(s: Stream, ctx: &Ctx) -> StreamQuery {
    let mut first = scoped::select_through_household(
        &ctx.scope,
        Personal::GrievanceHouseholds,
        "gh",
        JoinType::InnerJoin,
        "h2",
    );
    first
        .expr(Func::min(col("gh", "household_id")))
        .and_where(Expr::col(column("gh", "grievance_id")).equals(column("g", "id")))
        .and_where_option(in_communes(ctx, "h2"));
    // Under a limited scope or a commune filter, only grievances with a signer there.
    let mut stmt = scoped::grievances_under_signer(
        &ctx.scope,
        "g",
        "h",
        scoped::subquery(first),
        ctx.communes.is_none(),
    );
    stmt.and_where(in_projects(ctx, "g")).and_where(
        Expr::col(column("g", "status")).is_in(GrievanceStatus::OPEN.iter().map(|s| s.as_str())),
    );
    if s == Stream::GrievanceOverdue {
        stmt.and_where(grievance_deadline().lt(ctx.today));
    } else {
        stmt.and_where(grievance_deadline().gte(ctx.today))
            .and_where(grievance_deadline().lte(ctx.near_until));
    }
    StreamQuery {
        stmt,
        id: column("g", "id"),
        columns: [
            col("g", "project_id"),
            col("h", "id"),
            null_of(INT),
            col("g", "id"),
            col("h", "commune_id"),
            null_of(INT),
            grievance_deadline(),
            col("g", "received_on"),
            null_of(TS),
            col("g", "kind"),
            col("g", "status"),
        ],
    }
}

fn stage_stream(ctx: &Ctx) -> StreamQuery {
    let mut stmt = scoped::select_through_household(
        &ctx.scope,
        Personal::CaseStageEvents,
        "e",
        JoinType::InnerJoin,
        "h",
    );
    // `open_due_on`: `due_on` while the deadline is not met (a generated column, see the
    // alert-areas migration; `idx_cse_overdue`).
    stmt.and_where(in_projects(ctx, "e"))
        .and_where(Expr::col(column("e", "open_due_on")).lt(ctx.today))
        .and_where_option(in_communes(ctx, "h"));
    StreamQuery {
        stmt,
        id: column("e", "id"),
        columns: [
            col("e", "project_id"),
            col("e", "household_id"),
            col("e", "parcel_id"),
            null_of(INT),
            col("h", "commune_id"),
            null_of(INT),
            col("e", "due_on"),
            col("e", "occurred_on"),
            null_of(TS),
            col("e", "stage"),
            col("e", "due_stage"),
        ],
    }
}

/// Approved plans with money left to pay, the 30-day limit (LĐĐ 2024 Art. 94(3)) within a
/// week or past.
fn payment_stream(ctx: &Ctx) -> StreamQuery {
    let mut stmt = scoped::select_through_household(
        &ctx.scope,
        Personal::CompensationPlans,
        "cp",
        JoinType::InnerJoin,
        "h",
    );
    // The plan's household passed the scope above; its payments are checked on it by id (a
    // limited scope would otherwise list every household of the area for each plan).
    let paid = if ctx.scope.is_everything() {
        scoped::select_from(&ctx.scope, Personal::Payments, "pay")
    } else {
        scoped::select_through_household(
            &ctx.scope,
            Personal::Payments,
            "pay",
            JoinType::InnerJoin,
            "pay_h",
        )
    }
    .expr(Func::coalesce([
        Func::sum(Expr::col(column("pay", "amount"))).into(),
        Expr::val(0i64).into(),
    ]))
    .and_where(Expr::col(column("pay", "plan_id")).equals(column("cp", "id")))
    .to_owned();
    stmt.and_where(in_projects(ctx, "cp"))
        .and_where(
            Expr::col(column("cp", "status")).eq(crate::domain::PlanStatus::Approved.as_str()),
        )
        .and_where(
            Expr::col(column("cp", "payment_due_on"))
                .lte(ctx.today + Duration::days(PAYMENT_DUE_WARNING_DAYS)),
        )
        .and_where(Expr::col(column("cp", "net")).gt(SimpleExpr::SubQuery(
            None,
            Box::new(paid.into_sub_query_statement()),
        )))
        .and_where_option(in_communes(ctx, "h"));
    StreamQuery {
        stmt,
        id: column("cp", "id"),
        columns: [
            col("cp", "project_id"),
            col("cp", "household_id"),
            null_of(INT),
            null_of(INT),
            col("h", "commune_id"),
            col("cp", "id"),
            col("cp", "payment_due_on"),
            col("cp", "approved_on"),
            null_of(TS),
            col("cp", "decision_no"),
            null_of(TEXT),
        ],
    }
}

/// An approved plan unpaid this many days before its limit is already an alert.
const PAYMENT_DUE_WARNING_DAYS: i64 = 7;

/// `… JOIN projects p ON p.id = alias.project_id`, and `alias.created` on or after the
/// project's notice date (the cut-off).
fn after_notice(stmt: &mut SelectStatement, alias: &'static str, created: &'static str) {
    stmt.join_as(
        JoinType::InnerJoin,
        projects::Entity,
        Alias::new("p"),
        Expr::col(column("p", "id")).equals(column(alias, "project_id")),
    )
    .and_where(Expr::col(column("p", "notice_date")).is_not_null())
    .and_where(Expr::col(column(alias, created)).gte(Expr::col(column("p", "notice_date"))));
}

fn household_split_stream(ctx: &Ctx) -> StreamQuery {
    let mut stmt = scoped::select_from(&ctx.scope, Personal::Households, "h");
    after_notice(&mut stmt, "h", "created_at");
    stmt.and_where(in_projects(ctx, "h"))
        .and_where(Expr::col(column("h", "split_from_id")).is_not_null())
        .and_where(not_reviewed("household_split", col("h", "id")))
        .and_where_option(in_communes(ctx, "h"));
    StreamQuery {
        stmt,
        id: column("h", "id"),
        columns: [
            col("h", "project_id"),
            col("h", "id"),
            null_of(INT),
            null_of(INT),
            col("h", "commune_id"),
            col("h", "split_from_id"),
            col("p", "notice_date"),
            null_of(DATE),
            col("h", "created_at"),
            null_of(TEXT),
            null_of(TEXT),
        ],
    }
}

fn parcel_split_stream(ctx: &Ctx) -> StreamQuery {
    let mut stmt = Query::select()
        .from_as(parcels::Entity, Alias::new("x"))
        .cond_where(scoped::area_rows(&ctx.scope, "x"))
        .to_owned();
    after_notice(&mut stmt, "x", "created_at");
    stmt.and_where(in_projects(ctx, "x"))
        .and_where(Expr::col(column("x", "parent_parcel_id")).is_not_null())
        .and_where(not_reviewed("parcel_split", col("x", "id")))
        .and_where_option(in_communes(ctx, "x"));
    StreamQuery {
        stmt,
        id: column("x", "id"),
        columns: [
            col("x", "project_id"),
            first_holder(&ctx.scope, col("x", "id")),
            col("x", "id"),
            null_of(INT),
            col("x", "commune_id"),
            col("x", "parent_parcel_id"),
            col("p", "notice_date"),
            null_of(DATE),
            col("x", "created_at"),
            col("x", "map_sheet"),
            col("x", "parcel_no"),
        ],
    }
}

fn land_use_stream(ctx: &Ctx) -> StreamQuery {
    let mut stmt = Query::select()
        .from_as(parcel_land_use_events::Entity, Alias::new("l"))
        .cond_where(scoped::area_rows(&ctx.scope, "l"))
        .to_owned();
    after_notice(&mut stmt, "l", "at");
    stmt.and_where(in_projects(ctx, "l"))
        .and_where(not_reviewed("land_use_change", col("l", "id")))
        .and_where_option(in_communes(ctx, "l"));
    StreamQuery {
        stmt,
        id: column("l", "id"),
        columns: [
            col("l", "project_id"),
            first_holder(&ctx.scope, col("l", "parcel_id")),
            col("l", "parcel_id"),
            null_of(INT),
            col("l", "commune_id"),
            null_of(INT),
            col("p", "notice_date"),
            null_of(DATE),
            col("l", "at"),
            col("l", "from_land_use"),
            col("l", "to_land_use"),
        ],
    }
}

/// Open commitments past their due date, by the project and commune each keeps of its
/// household (`idx_commitments_open_area`; kept by triggers, see the alert-areas migration).
/// A limited scope narrows on those copies by index and is then checked on the household
/// joined (the dialect's loop-order join keeps SQLite looping over the commitments).
fn commitment_stream(ctx: &Ctx) -> StreamQuery {
    let mut stmt = if ctx.scope.is_everything() {
        scoped::select_from(&ctx.scope, Personal::Commitments, "c")
    } else {
        let mut s = scoped::select_through_household(
            &ctx.scope,
            Personal::Commitments,
            "c",
            dialect::loop_order_join(ctx.backend),
            "h",
        );
        s.cond_where(scoped::area_rows(&ctx.scope, "c"));
        s
    };
    stmt.and_where(in_projects(ctx, "c"))
        .and_where(Expr::col(column("c", "done_at")).is_null())
        .and_where(Expr::col(column("c", "due_date")).lt(ctx.today))
        .and_where_option(in_communes(ctx, "c"));
    StreamQuery {
        stmt,
        id: column("c", "id"),
        columns: [
            col("c", "project_id"),
            col("c", "household_id"),
            null_of(INT),
            null_of(INT),
            col("c", "commune_id"),
            col("c", "visit_id"),
            col("c", "due_date"),
            null_of(DATE),
            null_of(TS),
            col("c", "text"),
            col("c", "owner"),
        ],
    }
}

/// Households last visited (or, never visited, created) before the limit: two ranges of one
/// index (an OR of both would scan the project's households).
fn not_visited_stream(s: Stream, ctx: &Ctx) -> StreamQuery {
    let mut stmt = scoped::select_from(&ctx.scope, Personal::Households, "h");
    stmt.and_where(in_projects(ctx, "h"));
    let mut limits = sea_orm::sea_query::Condition::any();
    for (before, ids) in &ctx.not_visited_before {
        let c = sea_orm::sea_query::Condition::all()
            .add(Expr::col(column("h", "project_id")).is_in(ids.iter().copied()));
        limits = limits.add(if s == Stream::NotVisited {
            c.add(Expr::col(column("h", "last_visit_at")).lt(*before))
        } else {
            c.add(Expr::col(column("h", "last_visit_at")).is_null())
                .add(Expr::col(column("h", "created_at")).lt(*before))
        });
    }
    stmt.cond_where(limits);
    stmt.and_where_option(in_communes(ctx, "h"));
    StreamQuery {
        stmt,
        id: column("h", "id"),
        columns: [
            col("h", "project_id"),
            col("h", "id"),
            null_of(INT),
            null_of(INT),
            col("h", "commune_id"),
            null_of(INT),
            null_of(DATE),
            null_of(DATE),
            Func::coalesce([col("h", "last_visit_at"), col("h", "created_at")]).into(),
            Expr::case(Expr::col(column("h", "last_visit_at")).is_null(), "never")
                .finally("visited")
                .into(),
            null_of(TEXT),
        ],
    }
}

fn stream_query(s: Stream, ctx: &Ctx) -> StreamQuery {
    let mut q = stream_query_unsnoozed(s, ctx);
    q.stmt.and_where(super::triage::not_snoozed(
        s.subject(),
        Expr::col(q.id.clone()).into(),
        ctx.today,
    ));
    q
}

fn stream_query_unsnoozed(s: Stream, ctx: &Ctx) -> StreamQuery {
    match s {
        Stream::HotSpot => hot_spot_stream(ctx),
        Stream::GrievanceOverdue | Stream::GrievanceDue => grievance_stream(s, ctx),
        Stream::StageOverdue => stage_stream(ctx),
        Stream::PaymentDue => payment_stream(ctx),
        Stream::HouseholdSplit => household_split_stream(ctx),
        Stream::ParcelSplit => parcel_split_stream(ctx),
        Stream::LandUseChange => land_use_stream(ctx),
        Stream::CommitmentOverdue => commitment_stream(ctx),
        Stream::NotVisited | Stream::NeverVisited => not_visited_stream(s, ctx),
    }
}

#[derive(Debug, FromQueryResult)]
struct Row {
    sid: i32,
    project_id: i32,
    household_id: Option<i32>,
    parcel_id: Option<i32>,
    grievance_id: Option<i32>,
    commune_id: Option<i32>,
    other_id: Option<i32>,
    due_on: Option<NaiveDate>,
    since_on: Option<NaiveDate>,
    since_at: Option<DateTime<FixedOffset>>,
    a: Option<String>,
    b: Option<String>,
}

#[derive(FromQueryResult)]
struct CountRow {
    n: i64,
}

/// Checks `?kind=`.
pub fn parse_kind(kind: Option<&str>) -> AppResult<Option<AlertKind>> {
    match kind.filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => AlertKind::parse(k).map(Some).ok_or_else(|| {
            let all: Vec<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
            AppError::BadRequest(format!(
                "unknown alert kind `{k}`; use one of {}",
                all.join(", ")
            ))
        }),
    }
}

fn zero_counts() -> BTreeMap<AlertKind, i64> {
    AlertKind::ALL.iter().map(|k| (*k, 0)).collect()
}

/// `SELECT COUNT(*) AS n` over the rows of a stream.
fn count_of(mut stmt: SelectStatement) -> SelectStatement {
    stmt.expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"));
    stmt
}

/// Alerts of each kind under `ctx` (all kinds, whatever the filter), and of each stream.
pub async fn counts(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
) -> AppResult<(BTreeMap<AlertKind, i64>, [i64; STREAMS.len()])> {
    let mut by_kind = zero_counts();
    let mut per_stream = [0i64; STREAMS.len()];
    for (i, s) in STREAMS.iter().enumerate() {
        let stmt = stream_query(*s, ctx).stmt;
        let n = CountRow::find_by_statement(dialect::build(ctx.backend, &count_of(stmt)))
            .one(conn)
            .await?
            .map_or(0, |r| r.n);
        per_stream[i] = n;
        *by_kind.entry(s.kind()).or_default() += n;
    }
    Ok((by_kind, per_stream))
}

/// Up to `keyset.limit` rows of one stream, newest first, after the keyset's cursor.
async fn stream_rows(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    s: Stream,
    keyset: &Keyset,
) -> AppResult<Vec<Row>> {
    let q = stream_query(s, ctx);
    let mut stmt = q.stmt;
    stmt.expr_as(Expr::col(q.id.clone()), Alias::new("sid"));
    for (e, name) in q.columns.into_iter().zip(NAMES) {
        stmt.expr_as(e, Alias::new(name));
    }
    keyset.apply_statement(&mut stmt, q.id);
    Ok(Row::find_by_statement(dialect::build(ctx.backend, &stmt))
        .all(conn)
        .await?)
}

/// The projects a request looks at: the one asked for, or every one the caller may see (ids
/// and codes only: a project's boundary is large).
async fn projects_for(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    code: Option<&str>,
) -> AppResult<Vec<(i32, String)>> {
    if let Some(code) = code.filter(|c| !c.is_empty()) {
        let p = crate::projects::service::visible_project(conn, principal, code).await?;
        return Ok(vec![(p.id, p.code)]);
    }
    let all: Vec<(i32, String)> = projects::Entity::find()
        .select_only()
        .column(projects::Column::Id)
        .column(projects::Column::Code)
        .order_by_asc(projects::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(all
        .into_iter()
        .filter(|(id, _)| principal.scope.allows_project(*id))
        .collect())
}

/// The context of an alerts request (projects, scope, commune filter, thresholds); `None`
/// when the caller sees no project. Hot spots are brought up to date first.
pub async fn context(
    db: &Db,
    settings: &Settings,
    principal: &Principal,
    q: &AlertQuery,
) -> AppResult<Option<Ctx>> {
    let conn = &db.conn;
    let projects = projects_for(conn, principal, q.project.as_deref()).await?;
    if projects.is_empty() {
        return Ok(None);
    }
    let today = crate::legal::today_vn();
    let ids: Vec<i32> = projects.iter().map(|(id, _)| *id).collect();
    super::hot_spots::ensure_current(db, &ids, super::hot_spots::Rules::from(settings), today)
        .await?;
    let thresholds = super::triage::not_visited_days(conn, &ids, settings).await?;
    let now = Utc::now();
    let mut not_visited_before: Vec<(DateTime<FixedOffset>, Vec<i32>)> = Vec::new();
    for (id, days) in &thresholds {
        let before = (now - Duration::days((*days).max(0))).fixed_offset();
        match not_visited_before.iter_mut().find(|(b, _)| *b == before) {
            Some((_, v)) => v.push(*id),
            None => not_visited_before.push((before, vec![*id])),
        }
    }
    Ok(Some(Ctx {
        projects,
        scope: principal.scope.clone(),
        communes: crate::admin_units::filter::commune_filter(
            conn,
            q.commune_id,
            q.commune.as_deref(),
        )
        .await?,
        today,
        not_visited_before,
        desk_links: matches!(
            principal.role,
            crate::domain::Role::Admin
                | crate::domain::Role::Leader
                | crate::domain::Role::DistrictLeader
        ),
        near_until: today + Duration::days(settings.grievance_near_days.max(0)),
        lang: Lang::parse(q.lang.as_deref()),
        personal: principal.scope.sees_personal_data(),
        backend: conn.get_database_backend(),
    }))
}

/// The threshold shown with the list: the one of every project looked at, if they share one.
fn shared_threshold(thresholds: &[(i32, i64)]) -> Option<i64> {
    let first = thresholds.first()?.1;
    thresholds.iter().all(|(_, d)| *d == first).then_some(first)
}

/// One page of alerts for `principal`, most pressing kinds first and the newest first within
/// a kind, with the counts per kind. Hot spots are brought up to date first.
#[tracing::instrument(skip_all, fields(project = ?q.project, kind = ?q.kind, commune_id = ?q.commune_id))]
pub async fn list(
    db: &Db,
    settings: &Settings,
    principal: &Principal,
    q: &AlertQuery,
) -> AppResult<AlertPage> {
    let conn = &db.conn;
    let kind = parse_kind(q.kind.as_deref())?;
    let keyset_limit = crate::pagination::limit(q.limit)?;
    let cursor = Cursor::decode_in(q.cursor.as_deref(), STREAMS.len())?;
    let Some(ctx) = context(db, settings, principal, q).await? else {
        return Ok(AlertPage {
            items: Vec::new(),
            next_cursor: None,
            counts: zero_counts(),
            total: 0,
            not_visited_days: None,
        });
    };
    let ids: Vec<i32> = ctx.projects.iter().map(|(id, _)| *id).collect();
    let thresholds = super::triage::not_visited_days(conn, &ids, settings).await?;
    let (counts, per_stream) = self::counts(conn, &ctx).await?;
    let wanted = |i: usize| kind.is_none_or(|k| STREAMS[i].kind() == k) && per_stream[i] > 0;
    let (rows, next_cursor) = page(conn, &ctx, keyset_limit, cursor, wanted).await?;
    let mut items = shape(conn, &ctx, rows).await?;
    super::triage::mark(conn, &mut items).await?;
    let total = counts.values().sum();
    Ok(AlertPage {
        items,
        next_cursor,
        counts,
        total,
        not_visited_days: shared_threshold(&thresholds),
    })
}

#[derive(FromQueryResult)]
struct GroupRow {
    commune_id: Option<i32>,
    n: i64,
}

/// Counts by commune turned into counts by working group (a commune covered by two groups
/// counts in both; one covered by none counts under `none`).
async fn by_working_group(
    conn: &impl ConnectionTrait,
    project_ids: &[i32],
    by_commune: BTreeMap<Option<i32>, i64>,
    cat: &Catalogue,
) -> AppResult<Vec<super::dto::AlertGroup>> {
    let areas = super::triage::group_areas(conn, project_ids).await?;
    let mut counts: BTreeMap<Option<i32>, i64> = BTreeMap::new();
    for (c, n) in by_commune {
        let covering: Vec<i32> = areas
            .iter()
            .filter(|a| Some(a.admin_unit_id) == c)
            .map(|a| a.group_id)
            .collect();
        if covering.is_empty() {
            *counts.entry(None).or_default() += n;
        }
        for g in covering {
            *counts.entry(Some(g)).or_default() += n;
        }
    }
    Ok(counts
        .into_iter()
        .map(|(g, n)| {
            let name = g.and_then(|g| areas.iter().find(|a| a.group_id == g));
            super::dto::AlertGroup {
                key: g.map_or_else(|| "none".to_string(), |g| g.to_string()),
                id: g,
                label: name.map_or_else(
                    || cat.t("alerts.group.no_working_group").to_string(),
                    |a| a.name.clone(),
                ),
                count: n,
            }
        })
        .collect())
}

/// Alerts grouped by commune, working group or kind, with counts, under the same filters as
/// the list (`kind` included). By commune and by kind the counts add up to the list's total;
/// a commune covered by two working groups counts in both.
#[tracing::instrument(skip_all, fields(by = %by, project = ?q.project))]
pub async fn groups(
    db: &Db,
    settings: &Settings,
    principal: &Principal,
    q: &AlertQuery,
    by: super::dto::GroupBy,
) -> AppResult<super::dto::AlertGroups> {
    use super::dto::{AlertGroup, AlertGroups, GroupBy};
    let conn = &db.conn;
    let kind = parse_kind(q.kind.as_deref())?;
    let cat = catalogue(Lang::parse(q.lang.as_deref()));
    let Some(ctx) = context(db, settings, principal, q).await? else {
        return Ok(AlertGroups {
            by,
            groups: Vec::new(),
            total: 0,
        });
    };
    let mut by_commune: BTreeMap<Option<i32>, i64> = BTreeMap::new();
    let mut by_kind: BTreeMap<AlertKind, i64> = BTreeMap::new();
    for s in STREAMS {
        if kind.is_some_and(|k| s.kind() != k) {
            continue;
        }
        let sq = stream_query(s, &ctx);
        let mut stmt = sq.stmt;
        let [_, _, _, _, commune, ..] = sq.columns;
        stmt.expr_as(commune.clone(), Alias::new("commune_id"))
            .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
            .add_group_by([commune]);
        for r in GroupRow::find_by_statement(dialect::build(ctx.backend, &stmt))
            .all(conn)
            .await?
        {
            *by_commune.entry(r.commune_id).or_default() += r.n;
            *by_kind.entry(s.kind()).or_default() += r.n;
        }
    }
    let total: i64 = by_kind.values().sum();
    let mut groups: Vec<AlertGroup> = match by {
        GroupBy::Kind => by_kind
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| AlertGroup {
                key: k.as_str().to_string(),
                id: None,
                label: cat.t(&format!("alerts.kind.{k}")).to_string(),
                count: n,
            })
            .collect(),
        GroupBy::Commune => {
            let units = commune_refs(conn, by_commune.keys().flatten().copied()).await?;
            by_commune
                .into_iter()
                .map(|(c, n)| {
                    let unit = c.and_then(|c| units.get(&c));
                    AlertGroup {
                        key: unit.map_or_else(|| "none".to_string(), |u| u.code.clone()),
                        id: c,
                        label: unit.map_or_else(
                            || cat.t("alerts.group.no_commune").to_string(),
                            |u| u.name.clone(),
                        ),
                        count: n,
                    }
                })
                .collect()
        }
        GroupBy::WorkingGroup => {
            let ids: Vec<i32> = ctx.projects.iter().map(|(id, _)| *id).collect();
            by_working_group(conn, &ids, by_commune, cat).await?
        }
    };
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    Ok(AlertGroups { by, groups, total })
}

/// The rows of one page, stream after stream from the cursor's, and the cursor of the next.
async fn page(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    limit: u64,
    cursor: Option<(usize, Cursor)>,
    wanted: impl Fn(usize) -> bool,
) -> AppResult<(Vec<(Stream, Row)>, Option<String>)> {
    let mut rows: Vec<(Stream, Row)> = Vec::new();
    let start = cursor.map_or(0, |c| c.0);
    for (i, &s) in STREAMS.iter().enumerate().skip(start) {
        if !wanted(i) {
            continue;
        }
        let remaining = limit - rows.len() as u64;
        if remaining == 0 {
            // The page is full and this stream has alerts: resume here.
            return Ok((rows, Some(Cursor(i32::MAX).encode_in(i))));
        }
        let keyset = Keyset {
            limit: remaining,
            after: cursor.filter(|(cs, _)| *cs == i).map(|(_, c)| c),
            direction: Direction::Descending,
        };
        let mut got = stream_rows(conn, ctx, s, &keyset).await?;
        let more = got.len() as u64 > remaining;
        got.truncate(remaining as usize);
        let last = got.last().map(|r| r.sid);
        rows.extend(got.into_iter().map(|r| (s, r)));
        if more {
            return Ok((rows, last.map(|id| Cursor(id).encode_in(i))));
        }
    }
    Ok((rows, None))
}

/// dd/mm/yyyy, as the pages show dates.
fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn distinct(ids: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut v: Vec<i32> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The communes of these ids, for the alerts' `commune`.
pub async fn commune_refs(
    conn: &impl ConnectionTrait,
    ids: impl Iterator<Item = i32>,
) -> AppResult<HashMap<i32, CommuneRef>> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(admin_units::Entity::find()
        .filter(admin_units::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| {
            (
                u.id,
                CommuneRef {
                    id: u.id,
                    code: u.code,
                    name: u.name,
                },
            )
        })
        .collect())
}

/// Codes of the households of these ids inside the scope.
async fn household_codes(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: impl Iterator<Item = i32>,
) -> AppResult<HashMap<i32, String>> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, String)> = scoped::households(scope)
        .select_only()
        .column(scoped::households::Column::Id)
        .column(scoped::households::Column::Code)
        .filter(scoped::households::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn shape(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    rows: Vec<(Stream, Row)>,
) -> AppResult<Vec<AlertDto>> {
    let units = commune_refs(conn, rows.iter().filter_map(|(_, r)| r.commune_id)).await?;
    let (household_codes, split_parents) = if ctx.personal {
        (
            household_codes(
                conn,
                &ctx.scope,
                rows.iter().filter_map(|(_, r)| r.household_id),
            )
            .await?,
            household_codes(
                conn,
                &ctx.scope,
                rows.iter()
                    .filter(|(s, _)| *s == Stream::HouseholdSplit)
                    .filter_map(|(_, r)| r.other_id),
            )
            .await?,
        )
    } else {
        (HashMap::new(), HashMap::new())
    };
    let projects: HashMap<i32, &str> = ctx
        .projects
        .iter()
        .map(|(id, code)| (*id, code.as_str()))
        .collect();
    let cat = catalogue(ctx.lang);
    Ok(rows
        .into_iter()
        .map(|(s, r)| {
            let household_id = r.household_id.filter(|_| ctx.personal);
            let household_code = household_id.and_then(|h| household_codes.get(&h).cloned());
            build(
                s,
                &r,
                ctx,
                cat,
                AlertDto {
                    kind: s.kind(),
                    project: projects.get(&r.project_id).unwrap_or(&"").to_string(),
                    household_id,
                    household_code,
                    parcel_id: r.parcel_id,
                    grievance_id: r.grievance_id,
                    hot_spot_id: (s == Stream::HotSpot).then_some(r.sid),
                    commitment_id: (s == Stream::CommitmentOverdue).then_some(r.sid),
                    commune: r.commune_id.and_then(|c| units.get(&c).cloned()),
                    due_on: None,
                    since: None,
                    days: 0,
                    reason_key: String::new(),
                    params: BTreeMap::new(),
                    message: String::new(),
                    link: String::new(),
                    subject: s.subject().to_string(),
                    subject_id: r.sid,
                    acknowledged_by: None,
                    acknowledged_at: None,
                    assignee: None,
                },
                r.other_id.and_then(|o| split_parents.get(&o).cloned()),
            )
        })
        .collect())
}

// ---- reviews of changes after the cut-off ---------------------------------------------

// The project of a review's subject: the same lookup the triage of every alert uses.
use super::triage::subject_project;

/// Records that `principal` looked at a split or land-use change after the cut-off (its alert
/// goes away). The subject must be inside the principal's area (404 otherwise).
#[tracing::instrument(skip_all, fields(subject = %new.subject, subject_id = new.subject_id))]
pub async fn review(
    db: &Db,
    principal: &Principal,
    new: super::dto::NewReview,
) -> AppResult<super::dto::ReviewDto> {
    use sea_orm::{ActiveModelTrait, Set};
    const SUBJECTS: [&str; 3] = ["household_split", "parcel_split", "land_use_change"];
    if !SUBJECTS.contains(&new.subject.as_str()) {
        return Err(AppError::invalid(
            "unknown_subject",
            format!(
                "subject `{}` is not one of household_split, parcel_split, land_use_change",
                new.subject
            ),
        ));
    }
    if new.note.len() > 5_000 {
        return Err(AppError::invalid(
            "text_too_long",
            "the note is limited to 5,000 characters",
        ));
    }
    let tx = db.write().await?;
    let project_id = subject_project(&*tx, &principal.scope, &new.subject, new.subject_id)
        .await?
        .ok_or_else(|| AppError::not_found(&new.subject.replace('_', " ")))?;
    let now = crate::db::utc(Utc::now().fixed_offset());
    let row = alert_reviews::ActiveModel {
        project_id: Set(project_id),
        subject: Set(new.subject.clone()),
        subject_id: Set(new.subject_id),
        reviewed_by: Set(principal.user_id),
        actor: Set(principal.actor()),
        reviewed_at: Set(now),
        note: Set(new.note.clone()),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    crate::audit::record(
        &*tx,
        principal,
        "create",
        "alert_review",
        Some(row.id.to_string()),
        serde_json::json!({"subject": new.subject, "subject_id": new.subject_id, "note": new.note}),
    )
    .await?;
    tx.commit().await?;
    Ok(super::dto::ReviewDto {
        id: row.id,
        subject: new.subject,
        subject_id: new.subject_id,
        action: super::dto::ReviewAction::Review,
        actor: principal.actor(),
        reviewed_at: now.to_rfc3339(),
        note: new.note,
        assignee: None,
        until: None,
    })
}

fn utc_date(t: DateTime<FixedOffset>) -> NaiveDate {
    t.with_timezone(&Utc).date_naive()
}

/// Fills in dates, days, the reason and the link of one alert.
#[expect(
    clippy::too_many_lines,
    reason = "one match arm per alert kind: the reasons read side by side"
)]
fn build(
    s: Stream,
    r: &Row,
    ctx: &Ctx,
    cat: &Catalogue,
    mut a: AlertDto,
    parent_code: Option<String>,
) -> AlertDto {
    let today = ctx.today;
    let mut p: BTreeMap<String, String> = BTreeMap::new();
    let since = r.since_on.or(r.since_at.map(utc_date));
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let key = match s {
        Stream::HotSpot => {
            let kind = text(&r.a);
            let detail: serde_json::Value =
                r.b.as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_default();
            p.insert("hot_spot".into(), kind.clone());
            p.insert(
                "reason".into(),
                super::hot_spots::reason(cat, &kind, &detail),
            );
            a.since = since.map(|d| d.to_string());
            a.days = since.map_or(0, |d| (today - d).num_days());
            "alerts.reason.hot_spot"
        }
        Stream::GrievanceOverdue | Stream::GrievanceDue => {
            let due = r.due_on.unwrap_or(today);
            let step = if r.b.as_deref() == Some(GrievanceStatus::Received.as_str()) {
                "accept"
            } else {
                "resolve"
            };
            p.insert("grievance".into(), r.grievance_id.unwrap_or(0).to_string());
            p.insert(
                "grievance_kind".into(),
                cat.t(&format!("alerts.grievance_kind.{}", text(&r.a)))
                    .to_string(),
            );
            p.insert(
                "step".into(),
                cat.t(&format!("alerts.step.{step}")).to_string(),
            );
            p.insert("due_on".into(), vn_date(due));
            a.due_on = Some(due.to_string());
            a.since = since.map(|d| d.to_string());
            a.days = (today - due).num_days();
            p.insert("days".into(), a.days.abs().to_string());
            if s == Stream::GrievanceOverdue {
                "alerts.reason.grievance_overdue"
            } else {
                "alerts.reason.grievance_due"
            }
        }
        Stream::StageOverdue => {
            let due = r.due_on.unwrap_or(today);
            p.insert(
                "stage".into(),
                cat.t(&format!("alerts.stage.{}", text(&r.a))).to_string(),
            );
            p.insert(
                "due_stage".into(),
                cat.t(&format!("alerts.stage.{}", text(&r.b))).to_string(),
            );
            p.insert("due_on".into(), vn_date(due));
            a.due_on = Some(due.to_string());
            a.since = since.map(|d| d.to_string());
            a.days = (today - due).num_days();
            p.insert("days".into(), a.days.to_string());
            "alerts.reason.stage_overdue"
        }
        Stream::PaymentDue => {
            let due = r.due_on.unwrap_or(today);
            p.insert("decision".into(), text(&r.a));
            p.insert("due_on".into(), vn_date(due));
            a.due_on = Some(due.to_string());
            a.since = since.map(|d| d.to_string());
            a.days = (today - due).num_days();
            p.insert("days".into(), a.days.abs().to_string());
            if a.days > 0 {
                "alerts.reason.payment_overdue"
            } else {
                "alerts.reason.payment_due"
            }
        }
        Stream::CommitmentOverdue => {
            let due = r.due_on.unwrap_or(today);
            p.insert(
                "text".into(),
                if ctx.personal {
                    text(&r.a)
                } else {
                    "…".into()
                },
            );
            p.insert("owner".into(), text(&r.b));
            p.insert("due_on".into(), vn_date(due));
            a.due_on = Some(due.to_string());
            a.days = (today - due).num_days();
            p.insert("days".into(), a.days.to_string());
            "alerts.reason.commitment_overdue"
        }
        Stream::NotVisited | Stream::NeverVisited => {
            let since = since.unwrap_or(today);
            a.since = Some(since.to_string());
            a.days = (today - since).num_days();
            p.insert("days".into(), a.days.to_string());
            p.insert("since".into(), vn_date(since));
            if r.a.as_deref() == Some("never") {
                "alerts.reason.not_visited_never"
            } else {
                "alerts.reason.not_visited"
            }
        }
        Stream::HouseholdSplit | Stream::ParcelSplit | Stream::LandUseChange => {
            after_cutoff(s, r, today, since, &mut a, &mut p, parent_code)
        }
    };
    let vars: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    a.message = cat.fill(key, &vars);
    a.reason_key = key.to_string();
    a.params = p;
    a.link = link(s, &a, r.sid, ctx.desk_links);
    a
}

/// Where to act on an alert: the parcel of a change to a parcel, else the household's case
/// file (the desktop page for leaders and administrators, the field app's page for members),
/// else the parcel or the hot spot on the map.
fn link(s: Stream, a: &AlertDto, sid: i32, desk: bool) -> String {
    match (s, a.household_id, a.parcel_id) {
        (Stream::ParcelSplit | Stream::LandUseChange, _, Some(parcel)) => {
            format!("/map?parcel={parcel}")
        }
        (_, Some(h), _) if desk => format!("/households/{h}"),
        (_, Some(h), _) => format!("/field#/h/{h}"),
        (_, None, Some(parcel)) => format!("/map?parcel={parcel}"),
        (Stream::HotSpot, None, None) => format!("/map?hot_spot={sid}"),
        _ => "/map".to_string(),
    }
}

/// Dates and parameters of a split or land-use change recorded after the cut-off; its
/// catalogue key.
fn after_cutoff(
    s: Stream,
    r: &Row,
    today: NaiveDate,
    since: Option<NaiveDate>,
    a: &mut AlertDto,
    p: &mut BTreeMap<String, String>,
    parent_code: Option<String>,
) -> &'static str {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let since = since.unwrap_or(today);
    let cutoff = r.due_on.unwrap_or(today);
    a.since = Some(since.to_string());
    a.days = (today - since).num_days();
    p.insert("since".into(), vn_date(since));
    p.insert("cutoff".into(), vn_date(cutoff));
    p.insert("event_id".into(), r.sid.to_string());
    match s {
        Stream::HouseholdSplit => {
            p.insert("subject".into(), "household_split".into());
            p.insert(
                "parent".into(),
                parent_code
                    .or(r.other_id.map(|o| format!("#{o}")))
                    .unwrap_or_default(),
            );
            "alerts.reason.split_household"
        }
        Stream::ParcelSplit => {
            p.insert("subject".into(), "parcel_split".into());
            p.insert("parcel".into(), format!("{}/{}", text(&r.a), text(&r.b)));
            p.insert(
                "parent".into(),
                r.other_id.map(|o| format!("#{o}")).unwrap_or_default(),
            );
            "alerts.reason.split_parcel"
        }
        _ => {
            p.insert("subject".into(), "land_use_change".into());
            p.insert("from".into(), text(&r.a));
            p.insert("to".into(), text(&r.b));
            "alerts.reason.land_use_change"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() -> AppResult<()> {
        let c = Cursor(42).encode_in(3);
        assert_eq!(
            Cursor::decode_in(Some(&c), STREAMS.len())?,
            Some((3, Cursor(42)))
        );
        assert_eq!(Cursor::decode_in(None, STREAMS.len())?, None);
        assert!(Cursor::decode_in(Some("!!"), STREAMS.len()).is_err());
        assert!(Cursor::decode_in(Some(&Cursor(1).encode_in(99)), STREAMS.len()).is_err());
        Ok(())
    }

    #[test]
    fn kinds_are_checked_and_every_stream_has_a_pinned_kind() {
        assert_eq!(
            parse_kind(Some("hot_spot")).ok(),
            Some(Some(AlertKind::HotSpot))
        );
        assert!(parse_kind(Some("nope")).is_err());
        assert_eq!(parse_kind(Some("")).ok(), Some(None));
        for k in AlertKind::ALL {
            assert!(STREAMS.iter().any(|s| s.kind() == *k), "{k} has no stream");
        }
    }

    fn ctx(scope: Scope, backend: DatabaseBackend) -> Ctx {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        Ctx {
            projects: vec![(1, "HPDQ2".into())],
            scope,
            communes: Some(vec![3, 4]),
            today,
            not_visited_before: vec![(
                today.and_hms_opt(0, 0, 0).unwrap().and_utc().fixed_offset(),
                vec![1],
            )],
            desk_links: false,
            near_until: today,
            lang: Lang::Vi,
            personal: true,
            backend,
        }
    }

    #[test]
    fn streams_keep_their_indexed_shapes() {
        let sql = |s: Stream, backend| {
            dialect::build(backend, &stream_query(s, &ctx(Scope::cli(), backend)).stmt).to_string()
        };
        // Commitments filter on their own project and commune (no household joined for an
        // unlimited scope).
        let sqlite = sql(Stream::CommitmentOverdue, DatabaseBackend::Sqlite);
        assert!(!sqlite.contains("\"households\""), "{sqlite}");
        assert!(
            sqlite.contains("\"c\".\"commune_id\" IN (3, 4)"),
            "{sqlite}"
        );
        assert!(sqlite.contains("\"c\".\"project_id\" IN (1)"), "{sqlite}");
        // A member: SQLite loops over open commitments first (narrowed by their own commune),
        // then checks the household; PostgreSQL gets a plain join.
        let member_sql = |backend| {
            let ctx = ctx(Scope::for_tests_communes(vec![3]), backend);
            dialect::build(backend, &stream_query(Stream::CommitmentOverdue, &ctx).stmt).to_string()
        };
        let sqlite = member_sql(DatabaseBackend::Sqlite);
        assert!(
            sqlite.contains("CROSS JOIN \"households\" AS \"h\""),
            "{sqlite}"
        );
        assert!(sqlite.contains("\"c\".\"commune_id\" IN (3)"), "{sqlite}");
        let pg = member_sql(DatabaseBackend::Postgres);
        assert!(pg.contains("INNER JOIN \"households\" AS \"h\""), "{pg}");
        // The commune filter is an id list on the row's own commune column.
        let visits = sql(Stream::NotVisited, DatabaseBackend::Sqlite);
        assert!(
            visits.contains("\"h\".\"commune_id\" IN (3, 4)"),
            "{visits}"
        );
        // A member's scope is checked once, on the household joined.
        let member = Scope::for_tests_communes(vec![3]);
        let stage = dialect::build(
            DatabaseBackend::Sqlite,
            &stream_query(Stream::StageOverdue, &ctx(member, DatabaseBackend::Sqlite)).stmt,
        )
        .to_string();
        assert!(!stage.contains("SELECT \"households\".\"id\""), "{stage}");
    }

    #[test]
    fn reasons_exist_in_both_languages() {
        for lang in [Lang::Vi, Lang::En] {
            let cat = catalogue(lang);
            for key in [
                "alerts.reason.hot_spot",
                "alerts.reason.grievance_overdue",
                "alerts.reason.grievance_due",
                "alerts.reason.stage_overdue",
                "alerts.reason.commitment_overdue",
                "alerts.reason.not_visited",
                "alerts.reason.not_visited_never",
                "alerts.reason.split_household",
                "alerts.reason.split_parcel",
                "alerts.reason.land_use_change",
                "alerts.hot_spot.many_signers",
                "alerts.hot_spot.repeat_filing",
                "alerts.hot_spot.commune_open_grievances",
            ] {
                assert_ne!(cat.t(key), key, "{key} missing in {lang:?}");
            }
        }
    }
}
