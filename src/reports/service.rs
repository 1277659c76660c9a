//! The period numbers (issue 6 item 5): counted straight from the tables for any date range,
//! per project, commune and working group. The stats endpoint and every report format call
//! `period_stats`, so a report always shows the numbers the API gives.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, Func, JoinType, Order, Query, SelectStatement, SimpleExpr,
    WindowStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::dto::{Numbers, PeriodStats, RangeStats, StatsQuery, UnitNumbers};
use super::period::Period;
use crate::auth::Scope;
use crate::db::dialect::{self, Sql};
use crate::domain::{CaseStage, GrievanceStatus, ParcelStatus, Stance, VisitKind};
use crate::entities::{
    admin_units, hot_spots, parcel_lineage, parcel_status_events, parcels, projects, working_groups,
};
use crate::error::{AppError, AppResult};
use crate::scoped::{self, column, null_of, Personal};

/// A date range, both days included; `period` when it is a reporting period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub period: Option<Period>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Range {
    pub fn of_period(p: Period) -> Range {
        Range {
            period: Some(p),
            from: p.first_day(),
            to: p.last_day(),
        }
    }

    /// The range just before, of the same length (the previous period for a period).
    #[must_use]
    pub fn previous(self) -> Range {
        if let Some(p) = self.period {
            Range::of_period(p.previous())
        } else {
            let days = (self.to - self.from).num_days() + 1;
            Range {
                period: None,
                from: self.from - Duration::days(days),
                to: self.from - Duration::days(1),
            }
        }
    }

    /// From `?period=` or `?from=&to=`; bad input is a 400 that says what to write.
    pub fn from_query(q: &StatsQuery) -> AppResult<Range> {
        if let Some(p) = q.period.as_deref().filter(|p| !p.is_empty()) {
            if q.from.is_some() || q.to.is_some() {
                return Err(AppError::BadRequest(
                    "give either `period` or `from` and `to`, not both".into(),
                ));
            }
            return Ok(Range::of_period(Period::parse(p)?));
        }
        let date = |name: &str, v: &Option<String>| -> AppResult<NaiveDate> {
            let v = v.as_deref().ok_or_else(|| {
                AppError::BadRequest(format!(
                    "missing `{name}`: give `period` (e.g. 2021-Q1) or `from` and `to` (YYYY-MM-DD)"
                ))
            })?;
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                AppError::BadRequest(format!("`{name}` must be a date YYYY-MM-DD, got `{v}`"))
            })
        };
        let from = date("from", &q.from)?;
        let to = date("to", &q.to)?;
        if to < from {
            return Err(AppError::BadRequest(format!(
                "`to` ({to}) is before `from` ({from})"
            )));
        }
        if (to - from).num_days() > 366 * 20 {
            return Err(AppError::BadRequest(
                "the range is longer than 20 years; pick a shorter one".into(),
            ));
        }
        Ok(Range {
            period: None,
            from,
            to,
        })
    }
}

/// Days are Vietnam days (UTC+7): the instant a local day starts, in UTC as timestamps are
/// stored.
fn day_start_utc(d: NaiveDate) -> chrono::DateTime<chrono::FixedOffset> {
    (d.and_hms_opt(0, 0, 0).unwrap_or_default() - Duration::hours(7))
        .and_utc()
        .fixed_offset()
}

/// One aggregated row; every query fills every column (NULL where it does not apply).
#[derive(FromQueryResult, Debug)]
struct AggRow {
    commune_id: Option<i32>,
    group_id: Option<i32>,
    key: Option<String>,
    n: i64,
    area: Option<f64>,
}

#[derive(FromQueryResult, Debug)]
struct GrievanceRow {
    status: GrievanceStatus,
    received_on: NaiveDate,
    accept_by: Option<NaiveDate>,
    resolve_by: Option<NaiveDate>,
    resolved_on: Option<NaiveDate>,
    commune_id: Option<i32>,
}

#[derive(FromQueryResult)]
struct PairRow {
    group_id: i32,
    commune_id: i32,
}

struct UnitRow {
    id: i32,
    code: Option<String>,
    name: String,
}

fn empty_numbers() -> Numbers {
    Numbers {
        visits_by_kind: VisitKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), 0))
            .collect(),
        stances: Stance::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect(),
        parcels_by_status: ParcelStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect(),
        stages_reached: CaseStage::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect(),
        ..Numbers::default()
    }
}

const INT: &str = "INTEGER";
const TEXT: &str = "TEXT";
const DOUBLE: &str = "DOUBLE PRECISION";

fn col(alias: &'static str, name: &'static str) -> SimpleExpr {
    Expr::col(column(alias, name)).into()
}

/// The five columns of an aggregate: commune, group, key, count and area.
fn select_agg(stmt: &mut SelectStatement, columns: [SimpleExpr; 5]) {
    let [commune, group, key, n, area] = columns;
    stmt.expr_as(commune, Alias::new("commune_id"))
        .expr_as(group, Alias::new("group_id"))
        .expr_as(key, Alias::new("key"))
        .expr_as(n, Alias::new("n"))
        .expr_as(area, Alias::new("area"));
}

fn count_all() -> SimpleExpr {
    Func::count(Expr::col(Asterisk)).into()
}

async fn agg(conn: &impl ConnectionTrait, stmt: &SelectStatement) -> AppResult<Vec<AggRow>> {
    Ok(
        AggRow::find_by_statement(dialect::build(conn.get_database_backend(), stmt))
            .all(conn)
            .await?,
    )
}

/// What one date range adds up to, before names are attached.
struct Tally {
    totals: Numbers,
    communes: HashMap<i32, Numbers>,
    /// Visit numbers by the group that made the visit.
    groups: HashMap<i32, Numbers>,
}

impl Tally {
    fn commune(&mut self, id: Option<i32>) -> Option<&mut Numbers> {
        id.map(|id| self.communes.entry(id).or_insert_with(empty_numbers))
    }
    fn group(&mut self, id: Option<i32>) -> Option<&mut Numbers> {
        id.map(|id| self.groups.entry(id).or_insert_with(empty_numbers))
    }

    /// Adds every row with `f`, to the total too when `with_total`.
    fn add_rows(&mut self, rows: &[AggRow], with_total: bool, f: impl Fn(&mut Numbers, &AggRow)) {
        for r in rows {
            if with_total {
                f(&mut self.totals, r);
            }
            if let Some(c) = self.commune(r.commune_id) {
                f(c, r);
            }
            if let Some(g) = self.group(r.group_id) {
                f(g, r);
            }
        }
    }
}

fn bump(map: &mut BTreeMap<String, i64>, key: Option<&String>, n: i64) {
    if let Some(k) = key {
        *map.entry(k.clone()).or_default() += n;
    }
}

/// What is counted: a project over a range, as a scope may see it.
struct Counting<'a> {
    scope: &'a Scope,
    project: &'a projects::Model,
    range: Range,
    /// The range as instants (Vietnam days), for timestamps.
    lo: DateTime<FixedOffset>,
    hi: DateTime<FixedOffset>,
}

impl Counting<'_> {
    fn pid(&self) -> i32 {
        self.project.id
    }

    /// The day after the range, for dates.
    fn day_after(&self) -> NaiveDate {
        self.range.to + Duration::days(1)
    }

    /// Visits of the range with their household (`v`, `h`).
    fn visits(&self) -> SelectStatement {
        let mut s = scoped::select_through_household(
            self.scope,
            Personal::Visits,
            "v",
            JoinType::InnerJoin,
            "h",
        );
        s.and_where(Expr::col(column("v", "project_id")).eq(self.pid()))
            .and_where(Expr::col(column("v", "visited_at")).gte(self.lo))
            .and_where(Expr::col(column("v", "visited_at")).lt(self.hi));
        s
    }
}

/// Visits, households visited and stances: by commune and by the group that made the visit.
async fn count_visits(
    conn: &impl ConnectionTrait,
    c: &Counting<'_>,
    t: &mut Tally,
) -> AppResult<()> {
    // Visits by commune, group and kind.
    let mut s = c.visits();
    select_agg(
        &mut s,
        [
            col("h", "commune_id"),
            col("v", "working_group_id"),
            col("v", "kind"),
            count_all(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_columns([
        column("h", "commune_id"),
        column("v", "working_group_id"),
        column("v", "kind"),
    ]);
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        x.visits += r.n;
        bump(&mut x.visits_by_kind, r.key.as_ref(), r.n);
    });

    // Households visited: a household has one commune, so commune counts add up to the total.
    let distinct_households =
        || -> SimpleExpr { Func::count_distinct(col("v", "household_id")).into() };
    let mut s = c.visits();
    select_agg(
        &mut s,
        [
            col("h", "commune_id"),
            null_of(INT),
            null_of(TEXT),
            distinct_households(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_col(column("h", "commune_id"));
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        x.households_visited += r.n;
    });
    let mut s = c.visits();
    select_agg(
        &mut s,
        [
            null_of(INT),
            col("v", "working_group_id"),
            null_of(TEXT),
            distinct_households(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_col(column("v", "working_group_id"));
    t.add_rows(&agg(conn, &s).await?, false, |x, r| {
        x.households_visited += r.n;
    });

    count_stances(conn, c, t).await
}

/// The stance of each household's last visit in the range, counted for its commune and the
/// group that made that visit.
async fn count_stances(
    conn: &impl ConnectionTrait,
    c: &Counting<'_>,
    t: &mut Tally,
) -> AppResult<()> {
    let mut last = scoped::select_from(c.scope, Personal::Visits, "v");
    last.column(column("v", "household_id"))
        .column(column("v", "working_group_id"))
        .column(column("v", "stance"))
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            WindowStatement::partition_by(column("v", "household_id"))
                .order_by(column("v", "visited_at"), Order::Desc)
                .order_by(column("v", "id"), Order::Desc)
                .to_owned(),
            Alias::new("rn"),
        )
        .and_where(Expr::col(column("v", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("v", "visited_at")).gte(c.lo))
        .and_where(Expr::col(column("v", "visited_at")).lt(c.hi));
    let mut s = Query::select()
        .from_subquery(last, Alias::new("l"))
        .to_owned();
    scoped::join(
        c.scope,
        &mut s,
        JoinType::InnerJoin,
        Personal::Households,
        "h",
        Condition::all().add(Expr::col(column("h", "id")).equals(column("l", "household_id"))),
    );
    s.and_where(Expr::col(column("l", "rn")).eq(1));
    select_agg(
        &mut s,
        [
            col("h", "commune_id"),
            col("l", "working_group_id"),
            col("l", "stance"),
            count_all(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_columns([
        column("h", "commune_id"),
        column("l", "working_group_id"),
        column("l", "stance"),
    ]);
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        bump(&mut x.stances, r.key.as_ref(), r.n);
    });
    Ok(())
}

/// Case stages reached (households whose stage date falls in the range).
async fn count_stages(
    conn: &impl ConnectionTrait,
    c: &Counting<'_>,
    t: &mut Tally,
) -> AppResult<()> {
    let mut s = scoped::select_through_household(
        c.scope,
        Personal::CaseStageEvents,
        "e",
        JoinType::InnerJoin,
        "h",
    );
    s.and_where(Expr::col(column("e", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("e", "occurred_on")).gte(c.range.from))
        .and_where(Expr::col(column("e", "occurred_on")).lt(c.day_after()));
    select_agg(
        &mut s,
        [
            col("h", "commune_id"),
            null_of(INT),
            col("e", "stage"),
            Func::count_distinct(col("e", "household_id")).into(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_columns([column("h", "commune_id"), column("e", "stage")]);
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        bump(&mut x.stages_reached, r.key.as_ref(), r.n);
    });
    Ok(())
}

/// Parcels of the project inside the scope (`p`).
fn parcels_of(c: &Counting<'_>) -> SelectStatement {
    Query::select()
        .from_as(parcels::Entity, Alias::new("p"))
        .cond_where(scoped::area_rows(c.scope, "p"))
        .and_where(Expr::col(column("p", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("p", "retired_at")).is_null())
        .to_owned()
}

/// Parcel statuses at the end of the range, parcels handed over in it, and hot spots flagged.
async fn count_parcels(
    conn: &impl ConnectionTrait,
    c: &Counting<'_>,
    t: &mut Tally,
) -> AppResult<()> {
    // The status of every parcel at the end of the range: its last change before then.
    let last = Query::select()
        .column(column("e", "parcel_id"))
        .column(column("e", "to_status"))
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            WindowStatement::partition_by(column("e", "parcel_id"))
                .order_by(column("e", "at"), Order::Desc)
                .order_by(column("e", "id"), Order::Desc)
                .to_owned(),
            Alias::new("rn"),
        )
        .from_as(parcel_status_events::Entity, Alias::new("e"))
        .and_where(Expr::col(column("e", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("e", "at")).lt(c.hi))
        .to_owned();
    let mut s = parcels_of(c);
    s.join_subquery(
        JoinType::LeftJoin,
        last,
        Alias::new("l"),
        Condition::all()
            .add(Expr::col(column("l", "parcel_id")).equals(column("p", "id")))
            .add(Expr::col(column("l", "rn")).eq(1)),
    )
    .and_where(Expr::col(column("p", "created_at")).lt(c.hi));
    select_agg(
        &mut s,
        [
            col("p", "commune_id"),
            null_of(INT),
            Func::coalesce([
                col("l", "to_status"),
                Expr::val(ParcelStatus::NotContacted.as_str()).into(),
            ])
            .into(),
            count_all(),
            null_of(DOUBLE),
        ],
    );
    // Grouped by the status itself: no status and `not_contacted` add up under one key.
    s.group_by_columns([column("p", "commune_id"), column("l", "to_status")]);
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        bump(&mut x.parcels_by_status, r.key.as_ref(), r.n);
    });

    // Parcels handed over in the range and their recovered area.
    let handed = Query::select()
        .column(column("e", "parcel_id"))
        .from_as(parcel_status_events::Entity, Alias::new("e"))
        .and_where(Expr::col(column("e", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("e", "to_status")).eq(ParcelStatus::HandedOver.as_str()))
        .and_where(Expr::col(column("e", "at")).gte(c.lo))
        .and_where(Expr::col(column("e", "at")).lt(c.hi))
        .to_owned();
    let mut s = parcels_of(c);
    s.and_where(Expr::col(column("p", "id")).in_subquery(handed));
    select_agg(
        &mut s,
        [
            col("p", "commune_id"),
            null_of(INT),
            null_of(TEXT),
            count_all(),
            Func::sum(col("p", "recovered_area_m2")).into(),
        ],
    );
    s.group_by_col(column("p", "commune_id"));
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        x.parcels_handed_over += r.n;
        x.area_handed_over_m2 += r.area.unwrap_or(0.0);
    });

    // Hot spots flagged in the range.
    let mut s = Query::select()
        .from_as(hot_spots::Entity, Alias::new("hs"))
        .cond_where(scoped::area_rows(c.scope, "hs"))
        .and_where(Expr::col(column("hs", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("hs", "flagged_on")).gte(c.range.from))
        .and_where(Expr::col(column("hs", "flagged_on")).lt(c.day_after()))
        .to_owned();
    select_agg(
        &mut s,
        [
            col("hs", "commune_id"),
            null_of(INT),
            null_of(TEXT),
            count_all(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_col(column("hs", "commune_id"));
    t.add_rows(&agg(conn, &s).await?, true, |x, r| x.hot_spots += r.n);
    Ok(())
}

/// Splits recorded in the range after the notice date (the cut-off).
async fn count_splits(
    conn: &impl ConnectionTrait,
    c: &Counting<'_>,
    t: &mut Tally,
) -> AppResult<()> {
    let Some(notice) = c.project.notice_date else {
        return Ok(());
    };
    let cutoff = day_start_utc(notice + Duration::days(1));
    let created_in = |s: &mut SelectStatement, alias: &'static str| {
        s.and_where(Expr::col(column(alias, "created_at")).gte(c.lo))
            .and_where(Expr::col(column(alias, "created_at")).lt(c.hi))
            .and_where(Expr::col(column(alias, "created_at")).gte(cutoff));
    };
    let mut s = scoped::select_from(c.scope, Personal::Households, "h");
    s.and_where(Expr::col(column("h", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("h", "split_from_id")).is_not_null());
    created_in(&mut s, "h");
    select_agg(
        &mut s,
        [
            col("h", "commune_id"),
            null_of(INT),
            null_of(TEXT),
            count_all(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_col(column("h", "commune_id"));
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        x.household_splits_after_cutoff += r.n;
    });

    let lineage = Query::select()
        .expr(Expr::val(1))
        .from_as(parcel_lineage::Entity, Alias::new("pl"))
        .and_where(Expr::col(column("pl", "parcel_id")).equals(column("p", "id")))
        .to_owned();
    let mut s = parcels_of(c);
    s.cond_where(
        Condition::any()
            .add(Expr::col(column("p", "parent_parcel_id")).is_not_null())
            .add(Expr::exists(lineage)),
    );
    created_in(&mut s, "p");
    select_agg(
        &mut s,
        [
            col("p", "commune_id"),
            null_of(INT),
            null_of(TEXT),
            count_all(),
            null_of(DOUBLE),
        ],
    );
    s.group_by_col(column("p", "commune_id"));
    t.add_rows(&agg(conn, &s).await?, true, |x, r| {
        x.parcel_splits_after_cutoff += r.n;
    });
    Ok(())
}

/// Grievances: few per project, so their deadlines are judged here rather than in SQL. A
/// grievance counts for the commune of its first household.
async fn count_grievances(
    conn: &impl ConnectionTrait,
    c: &Counting<'_>,
    today: NaiveDate,
    t: &mut Tally,
) -> AppResult<()> {
    let mut s = scoped::select_from(c.scope, Personal::Grievances, "g");
    for name in [
        "status",
        "received_on",
        "accept_by",
        "resolve_by",
        "resolved_on",
    ] {
        s.column(column("g", name));
    }
    s.expr_as(scoped::first_signer_commune("g"), Alias::new("commune_id"))
        .and_where(Expr::col(column("g", "project_id")).eq(c.pid()))
        .and_where(Expr::col(column("g", "received_on")).lte(c.range.to));
    let grievances =
        GrievanceRow::find_by_statement(dialect::build(conn.get_database_backend(), &s))
            .all(conn)
            .await?;
    let range = c.range;
    let end = range.to.min(today);
    for g in &grievances {
        let visible = match (c.scope.commune_ids(), g.commune_id) {
            (Some(ids), Some(c)) => ids.contains(&c),
            (Some(_), None) => false,
            _ => true,
        };
        if !visible {
            continue;
        }
        let received = g.received_on >= range.from;
        let resolved = g
            .resolved_on
            .is_some_and(|d| d >= range.from && d <= range.to);
        let open_at_end = g.resolved_on.is_none_or(|d| d > end)
            && !matches!(
                g.status,
                GrievanceStatus::Rejected | GrievanceStatus::Withdrawn
            );
        let late_accept =
            g.status == GrievanceStatus::Received && g.accept_by.is_some_and(|d| d < end);
        let overdue = open_at_end && (g.resolve_by.is_some_and(|d| d < end) || late_accept);
        let add = |x: &mut Numbers| {
            x.grievances_received += i64::from(received);
            x.grievances_resolved += i64::from(resolved);
            x.grievances_overdue += i64::from(overdue);
        };
        add(&mut t.totals);
        if let Some(n) = t.commune(g.commune_id) {
            add(n);
        }
    }
    Ok(())
}

async fn tally(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project: &projects::Model,
    range: Range,
    today: NaiveDate,
) -> AppResult<Tally> {
    let mut t = Tally {
        totals: empty_numbers(),
        communes: HashMap::new(),
        groups: HashMap::new(),
    };
    let c = Counting {
        scope,
        project,
        range,
        lo: day_start_utc(range.from),
        hi: day_start_utc(range.to + Duration::days(1)),
    };
    count_visits(conn, &c, &mut t).await?;
    count_stages(conn, &c, &mut t).await?;
    count_parcels(conn, &c, &mut t).await?;
    count_splits(conn, &c, &mut t).await?;
    count_grievances(conn, &c, today, &mut t).await?;
    count_money(conn, &c, today, &mut t).await?;
    Ok(t)
}

/// The compensation ledger's sums by commune, to the end of the range (or today).
async fn count_money(
    conn: &impl ConnectionTrait,
    c: &Counting<'_>,
    today: NaiveDate,
    t: &mut Tally,
) -> AppResult<()> {
    let to = c.range.to.min(today);
    let money =
        crate::compensation::totals::by_commune(conn, c.scope, c.pid(), c.range.from, to).await?;
    for (commune, m) in &money {
        t.totals.compensation.add(m);
        if let Some(n) = t.commune(Some(*commune)) {
            n.compensation.add(m);
        }
    }
    Ok(())
}

/// Numbers counted by place (everything but visits, households visited and stances) are
/// credited to every group whose area covers the place.
fn merge_place_numbers(into: &mut Numbers, from: &Numbers) {
    into.grievances_received += from.grievances_received;
    into.grievances_resolved += from.grievances_resolved;
    into.grievances_overdue += from.grievances_overdue;
    for (k, v) in &from.stages_reached {
        *into.stages_reached.entry(k.clone()).or_default() += v;
    }
    for (k, v) in &from.parcels_by_status {
        *into.parcels_by_status.entry(k.clone()).or_default() += v;
    }
    into.parcels_handed_over += from.parcels_handed_over;
    into.area_handed_over_m2 += from.area_handed_over_m2;
    into.hot_spots += from.hot_spots;
    into.household_splits_after_cutoff += from.household_splits_after_cutoff;
    into.parcel_splits_after_cutoff += from.parcel_splits_after_cutoff;
    into.compensation.add(&from.compensation);
}

/// The units reports list, with names.
struct Units {
    communes: Vec<UnitRow>,
    groups: Vec<UnitRow>,
    /// Communes each working group covers (its area, the units merged into it, a district's
    /// communes).
    coverage: HashMap<i32, HashSet<i32>>,
}

/// Which working group covers which commune: its area, the units merged into it and the
/// communes of a covered district (no personal data).
const GROUP_COVERAGE: Sql = Sql::new(
    "SELECT wga.working_group_id AS group_id, au.id AS commune_id FROM working_group_areas wga \
     JOIN working_groups wg ON wg.id = wga.working_group_id \
     JOIN admin_units au ON (au.id = wga.admin_unit_id OR au.successor_id = wga.admin_unit_id \
          OR au.parent_id = wga.admin_unit_id) \
     WHERE wg.project_id = $1",
);

async fn units(conn: &impl ConnectionTrait, scope: &Scope, project_id: i32) -> AppResult<Units> {
    let mut ids: Vec<i32> = scoped::households(scope)
        .select_only()
        .column(scoped::households::Column::CommuneId)
        .distinct()
        .filter(scoped::households::Column::ProjectId.eq(project_id))
        .into_tuple()
        .all(conn)
        .await?;
    let parcel_communes: Vec<i32> = scoped::parcels(scope)
        .select_only()
        .column(parcels::Column::CommuneId)
        .distinct()
        .filter(parcels::Column::ProjectId.eq(project_id))
        .into_tuple()
        .all(conn)
        .await?;
    ids.extend(parcel_communes);
    ids.sort_unstable();
    ids.dedup();
    let communes = admin_units::Entity::find()
        .filter(admin_units::Column::Id.is_in(ids))
        .order_by_asc(admin_units::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(|u| UnitRow {
            id: u.id,
            code: Some(u.code),
            name: u.name,
        })
        .collect();
    let groups = working_groups::Entity::find()
        .filter(working_groups::Column::ProjectId.eq(project_id))
        .order_by_asc(working_groups::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|g| UnitRow {
            id: g.id,
            code: None,
            name: g.name,
        })
        .collect();
    let pairs = PairRow::find_by_statement(dialect::statement(
        conn.get_database_backend(),
        GROUP_COVERAGE,
        [project_id.into()],
    ))
    .all(conn)
    .await?;
    let mut coverage: HashMap<i32, HashSet<i32>> = HashMap::new();
    for p in pairs {
        coverage.entry(p.group_id).or_default().insert(p.commune_id);
    }
    Ok(Units {
        communes,
        groups,
        coverage,
    })
}

fn assemble(t: Tally, u: &Units, scope: &Scope, range: Range) -> RangeStats {
    let Tally {
        totals,
        mut communes,
        mut groups,
    } = t;
    let mut by_commune: Vec<UnitNumbers> = Vec::new();
    let mut listed: HashSet<i32> = HashSet::new();
    for c in &u.communes {
        listed.insert(c.id);
        by_commune.push(UnitNumbers {
            id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            numbers: communes.remove(&c.id).unwrap_or_else(empty_numbers),
        });
    }
    // Rows whose unit holds no household or parcel of the project now (data moved): keep them.
    let mut rest: Vec<(i32, Numbers)> = communes.into_iter().collect();
    rest.sort_by_key(|(id, _)| *id);
    for (id, numbers) in rest {
        by_commune.push(UnitNumbers {
            id,
            code: None,
            name: format!("#{id}"),
            numbers,
        });
    }

    let mut by_working_group = Vec::new();
    for g in &u.groups {
        let mut numbers = groups.remove(&g.id).unwrap_or_else(empty_numbers);
        let covered = u.coverage.get(&g.id);
        for c in &by_commune {
            if covered.is_some_and(|set| set.contains(&c.id)) {
                merge_place_numbers(&mut numbers, &c.numbers);
            }
        }
        let in_scope = match scope.commune_ids() {
            Some(ids) => covered.is_some_and(|set| set.iter().any(|c| ids.contains(c))),
            None => true,
        };
        if in_scope || numbers != empty_numbers() {
            by_working_group.push(UnitNumbers {
                id: g.id,
                code: None,
                name: g.name.clone(),
                numbers,
            });
        }
    }
    RangeStats {
        period: range.period.map(super::period::Period::code),
        from: range.from.to_string(),
        to: range.to.to_string(),
        totals,
        by_commune,
        by_working_group,
    }
}

/// The numbers of `range` and of the range before it, as `scope` may see them.
#[tracing::instrument(skip_all, fields(project = %project.code, from = %range.from, to = %range.to))]
pub async fn period_stats(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project: &projects::Model,
    range: Range,
) -> AppResult<PeriodStats> {
    let today = crate::legal::today_vn();
    let u = units(conn, scope, project.id).await?;
    let current = tally(conn, scope, project, range, today).await?;
    let previous_range = range.previous();
    let previous = tally(conn, scope, project, previous_range, today).await?;
    Ok(PeriodStats {
        project: project.code.clone(),
        project_name: project.name.clone(),
        current: assemble(current, &u, scope, range),
        previous: assemble(previous, &u, scope, previous_range),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_vietnam_days() {
        let d = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        assert_eq!(day_start_utc(d).to_rfc3339(), "2020-12-31T17:00:00+00:00");
    }

    #[test]
    fn previous_range_has_the_same_length() {
        let r = Range {
            period: None,
            from: NaiveDate::from_ymd_opt(2021, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2021, 3, 10).unwrap(),
        };
        let p = r.previous();
        assert_eq!(p.from.to_string(), "2021-02-19");
        assert_eq!(p.to.to_string(), "2021-02-28");
        let q = Range::of_period(Period::parse("2021-Q1").unwrap()).previous();
        assert_eq!(
            q.period.map(super::super::period::Period::code).as_deref(),
            Some("2020-Q4")
        );
    }

    #[test]
    fn query_errors_say_what_to_write() {
        let q = StatsQuery {
            from: Some("2021-02-30".into()),
            to: Some("2021-03-01".into()),
            ..Default::default()
        };
        assert!(Range::from_query(&q)
            .unwrap_err()
            .to_string()
            .contains("YYYY-MM-DD"));
        let q = StatsQuery::default();
        assert!(Range::from_query(&q)
            .unwrap_err()
            .to_string()
            .contains("period"));
        let q = StatsQuery {
            period: Some("2021-Q9".into()),
            ..Default::default()
        };
        assert!(Range::from_query(&q).is_err());
    }
}
