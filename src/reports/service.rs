//! The period numbers (issue 6 item 5): counted straight from the tables for any date range,
//! per project, commune and working group. The stats endpoint and every report format call
//! `period_stats`, so a report always shows the numbers the API gives.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use super::dto::{Numbers, PeriodStats, RangeStats, StatsQuery, UnitNumbers};
use super::period::Period;
use crate::auth::Scope;
use crate::domain::{CaseStage, ParcelStatus, Stance, VisitKind};
use crate::entities::projects;
use crate::error::{AppError, AppResult};

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
    pub fn previous(self) -> Range {
        match self.period {
            Some(p) => Range::of_period(p.previous()),
            None => {
                let days = (self.to - self.from).num_days() + 1;
                Range {
                    period: None,
                    from: self.from - Duration::days(days),
                    to: self.from - Duration::days(1),
                }
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
    status: String,
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

#[derive(FromQueryResult)]
struct UnitRow {
    id: i32,
    code: Option<String>,
    name: String,
}

#[derive(FromQueryResult)]
struct NameRow {
    #[allow(dead_code)]
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

/// Whether a table exists: tables other features add (hot spots) are counted once they are there.
pub async fn table_exists(conn: &impl ConnectionTrait, table: &str) -> AppResult<bool> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_name = $1 AND table_schema = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1",
    };
    let rows = NameRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [Value::from(table)],
    ))
    .all(conn)
    .await?;
    Ok(!rows.is_empty())
}

async fn agg(
    conn: &impl ConnectionTrait,
    sql: String,
    values: Vec<Value>,
) -> AppResult<Vec<AggRow>> {
    Ok(AggRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        values,
    ))
    .all(conn)
    .await?)
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
}

/// Adds `n` to the counter `f` picks, for the total, the commune and the group of the row.
fn add_row(t: &mut Tally, row: &AggRow, with_total: bool, f: impl Fn(&mut Numbers, i64, f64)) {
    let area = row.area.unwrap_or(0.0);
    if with_total {
        f(&mut t.totals, row.n, area);
    }
    if let Some(c) = t.commune(row.commune_id) {
        f(c, row.n, area);
    }
    if let Some(g) = t.group(row.group_id) {
        f(g, row.n, area);
    }
}

fn bump(map: &mut BTreeMap<String, i64>, key: &Option<String>, n: i64) {
    if let Some(k) = key {
        *map.entry(k.clone()).or_default() += n;
    }
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
    let pid = project.id;
    let lo = day_start_utc(range.from);
    let hi = day_start_utc(range.to + Duration::days(1));
    let ts_values = || vec![Value::from(pid), Value::from(lo), Value::from(hi)];
    let day_values = || {
        vec![
            Value::from(pid),
            Value::from(range.from),
            Value::from(range.to + Duration::days(1)),
        ]
    };
    let scope_h = scope.sql_condition("h");
    let scope_p = scope.sql_condition("p");

    // Visits by commune, group and kind.
    let rows = agg(
        conn,
        format!(
            "SELECT h.commune_id AS commune_id, v.working_group_id AS group_id, v.kind AS key, \
             COUNT(*) AS n, CAST(NULL AS DOUBLE PRECISION) AS area \
             FROM visits v JOIN households h ON h.id = v.household_id \
             WHERE v.project_id = $1 AND v.visited_at >= $2 AND v.visited_at < $3 AND {scope_h} \
             GROUP BY h.commune_id, v.working_group_id, v.kind"
        ),
        ts_values(),
    )
    .await?;
    for r in &rows {
        add_row(&mut t, r, true, |x, n, _| {
            x.visits += n;
            bump(&mut x.visits_by_kind, &r.key, n);
        });
    }

    // Households visited: a household has one commune, so commune counts add up to the total.
    let rows = agg(
        conn,
        format!(
            "SELECT h.commune_id AS commune_id, CAST(NULL AS INTEGER) AS group_id, CAST(NULL AS TEXT) AS key, \
             COUNT(DISTINCT v.household_id) AS n, CAST(NULL AS DOUBLE PRECISION) AS area \
             FROM visits v JOIN households h ON h.id = v.household_id \
             WHERE v.project_id = $1 AND v.visited_at >= $2 AND v.visited_at < $3 AND {scope_h} \
             GROUP BY h.commune_id"
        ),
        ts_values(),
    )
    .await?;
    for r in &rows {
        add_row(&mut t, r, true, |x, n, _| x.households_visited += n);
    }
    let rows = agg(
        conn,
        format!(
            "SELECT CAST(NULL AS INTEGER) AS commune_id, v.working_group_id AS group_id, CAST(NULL AS TEXT) AS key, \
             COUNT(DISTINCT v.household_id) AS n, CAST(NULL AS DOUBLE PRECISION) AS area \
             FROM visits v JOIN households h ON h.id = v.household_id \
             WHERE v.project_id = $1 AND v.visited_at >= $2 AND v.visited_at < $3 AND {scope_h} \
             GROUP BY v.working_group_id"
        ),
        ts_values(),
    )
    .await?;
    for r in &rows {
        add_row(&mut t, r, false, |x, n, _| x.households_visited += n);
    }

    // The stance of each household's last visit in the range, counted for its commune and the
    // group that made that visit.
    let rows = agg(
        conn,
        format!(
            "SELECT h.commune_id AS commune_id, l.working_group_id AS group_id, l.stance AS key, \
             COUNT(*) AS n, CAST(NULL AS DOUBLE PRECISION) AS area \
             FROM (SELECT v.household_id, v.working_group_id, v.stance, \
                   ROW_NUMBER() OVER (PARTITION BY v.household_id ORDER BY v.visited_at DESC, v.id DESC) AS rn \
                   FROM visits v WHERE v.project_id = $1 AND v.visited_at >= $2 AND v.visited_at < $3) l \
             JOIN households h ON h.id = l.household_id \
             WHERE l.rn = 1 AND {scope_h} \
             GROUP BY h.commune_id, l.working_group_id, l.stance"
        ),
        ts_values(),
    )
    .await?;
    for r in &rows {
        add_row(&mut t, r, true, |x, n, _| bump(&mut x.stances, &r.key, n));
    }

    // Case stages reached (households whose stage date falls in the range).
    let rows = agg(
        conn,
        format!(
            "SELECT h.commune_id AS commune_id, CAST(NULL AS INTEGER) AS group_id, e.stage AS key, \
             COUNT(DISTINCT e.household_id) AS n, CAST(NULL AS DOUBLE PRECISION) AS area \
             FROM case_stage_events e JOIN households h ON h.id = e.household_id \
             WHERE e.project_id = $1 AND e.occurred_on >= $2 AND e.occurred_on < $3 AND {scope_h} \
             GROUP BY h.commune_id, e.stage"
        ),
        day_values(),
    )
    .await?;
    for r in &rows {
        add_row(&mut t, r, true, |x, n, _| {
            bump(&mut x.stages_reached, &r.key, n)
        });
    }

    // The status of every parcel at the end of the range: its last change before then.
    let rows = agg(
        conn,
        format!(
            "SELECT p.commune_id AS commune_id, CAST(NULL AS INTEGER) AS group_id, \
             COALESCE(l.to_status, 'not_contacted') AS key, COUNT(*) AS n, \
             CAST(NULL AS DOUBLE PRECISION) AS area FROM parcels p \
             LEFT JOIN (SELECT e.parcel_id, e.to_status, ROW_NUMBER() OVER \
                 (PARTITION BY e.parcel_id ORDER BY e.at DESC, e.id DESC) AS rn \
                 FROM parcel_status_events e WHERE e.project_id = $1 AND e.at < $2) l \
               ON l.parcel_id = p.id AND l.rn = 1 \
             WHERE p.project_id = $1 AND p.created_at < $2 AND {scope_p} \
             GROUP BY p.commune_id, COALESCE(l.to_status, 'not_contacted')"
        ),
        vec![Value::from(pid), Value::from(hi)],
    )
    .await?;
    for r in &rows {
        add_row(&mut t, r, true, |x, n, _| {
            bump(&mut x.parcels_by_status, &r.key, n)
        });
    }

    // Parcels handed over in the range and their recovered area.
    let rows = agg(
        conn,
        format!(
            "SELECT p.commune_id AS commune_id, CAST(NULL AS INTEGER) AS group_id, CAST(NULL AS TEXT) AS key, \
             COUNT(*) AS n, SUM(p.recovered_area_m2) AS area FROM parcels p \
             WHERE p.project_id = $1 AND {scope_p} AND p.id IN (SELECT e.parcel_id FROM parcel_status_events e \
               WHERE e.project_id = $1 AND e.to_status = 'handed_over' AND e.at >= $2 AND e.at < $3) \
             GROUP BY p.commune_id"
        ),
        ts_values(),
    )
    .await?;
    for r in &rows {
        add_row(&mut t, r, true, |x, n, a| {
            x.parcels_handed_over += n;
            x.area_handed_over_m2 += a;
        });
    }

    // Splits recorded in the range after the notice date (the cut-off).
    if let Some(notice) = project.notice_date {
        let cutoff = day_start_utc(notice + Duration::days(1));
        let mut values = ts_values();
        values.push(Value::from(cutoff));
        let rows = agg(
            conn,
            format!(
                "SELECT h.commune_id AS commune_id, CAST(NULL AS INTEGER) AS group_id, CAST(NULL AS TEXT) AS key, \
                 COUNT(*) AS n, CAST(NULL AS DOUBLE PRECISION) AS area FROM households h \
                 WHERE h.project_id = $1 AND h.split_from_id IS NOT NULL AND h.created_at >= $2 \
                 AND h.created_at < $3 AND h.created_at >= $4 AND {scope_h} GROUP BY h.commune_id"
            ),
            values.clone(),
        )
        .await?;
        for r in &rows {
            add_row(&mut t, r, true, |x, n, _| {
                x.household_splits_after_cutoff += n
            });
        }
        let rows = agg(
            conn,
            format!(
                "SELECT p.commune_id AS commune_id, CAST(NULL AS INTEGER) AS group_id, CAST(NULL AS TEXT) AS key, \
                 COUNT(*) AS n, CAST(NULL AS DOUBLE PRECISION) AS area FROM parcels p \
                 WHERE p.project_id = $1 AND (p.parent_parcel_id IS NOT NULL OR EXISTS \
                   (SELECT 1 FROM parcel_lineage l WHERE l.parcel_id = p.id)) \
                 AND p.created_at >= $2 AND p.created_at < $3 AND p.created_at >= $4 AND {scope_p} \
                 GROUP BY p.commune_id"
            ),
            values,
        )
        .await?;
        for r in &rows {
            add_row(&mut t, r, true, |x, n, _| x.parcel_splits_after_cutoff += n);
        }
    }

    // Hot spots flagged in the range (the table comes with the hot-spot feature).
    if table_exists(conn, "hot_spots").await? {
        let rows = agg(
            conn,
            format!(
                "SELECT hs.commune_id AS commune_id, CAST(NULL AS INTEGER) AS group_id, CAST(NULL AS TEXT) AS key, \
                 COUNT(*) AS n, CAST(NULL AS DOUBLE PRECISION) AS area FROM hot_spots hs \
                 WHERE hs.project_id = $1 AND hs.flagged_on >= $2 AND hs.flagged_on < $3 AND {} \
                 GROUP BY hs.commune_id",
                scope.sql_condition("hs")
            ),
            day_values(),
        )
        .await?;
        for r in &rows {
            add_row(&mut t, r, true, |x, n, _| x.hot_spots += n);
        }
    }

    // Grievances: few per project, so their deadlines are judged here rather than in SQL. A
    // grievance counts for the commune of its first household.
    let grievances = GrievanceRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT g.status, g.received_on, g.accept_by, g.resolve_by, g.resolved_on, \
         (SELECT MIN(h.commune_id) FROM grievance_households gh JOIN households h ON h.id = gh.household_id \
          WHERE gh.grievance_id = g.id) AS commune_id \
         FROM grievances g WHERE g.project_id = $1 AND g.received_on <= $2",
        [Value::from(pid), Value::from(range.to)],
    ))
    .all(conn)
    .await?;
    let end = range.to.min(today);
    for g in &grievances {
        let visible = match (scope.commune_ids(), g.commune_id) {
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
            && !matches!(g.status.as_str(), "rejected" | "withdrawn");
        let late_accept = g.status == "received" && g.accept_by.is_some_and(|d| d < end);
        let overdue = open_at_end && (g.resolve_by.is_some_and(|d| d < end) || late_accept);
        let add = |x: &mut Numbers| {
            x.grievances_received += i64::from(received);
            x.grievances_resolved += i64::from(resolved);
            x.grievances_overdue += i64::from(overdue);
        };
        add(&mut t.totals);
        if let Some(c) = t.commune(g.commune_id) {
            add(c);
        }
    }
    Ok(t)
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
}

/// The units reports list, with names.
struct Units {
    communes: Vec<UnitRow>,
    groups: Vec<UnitRow>,
    /// Communes each working group covers (its area, the units merged into it, a district's
    /// communes).
    coverage: HashMap<i32, HashSet<i32>>,
}

async fn units(conn: &impl ConnectionTrait, scope: &Scope, project_id: i32) -> AppResult<Units> {
    let backend = conn.get_database_backend();
    let communes = UnitRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT a.id, a.code, a.name FROM admin_units a WHERE a.id IN \
             (SELECT h.commune_id FROM households h WHERE h.project_id = $1 AND {} \
              UNION SELECT p.commune_id FROM parcels p WHERE p.project_id = $1 AND {}) \
             ORDER BY a.code",
            scope.sql_condition("h"),
            scope.sql_condition("p")
        ),
        [Value::from(project_id)],
    ))
    .all(conn)
    .await?;
    let groups = UnitRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT wg.id, CAST(NULL AS TEXT) AS code, wg.name FROM working_groups wg \
         WHERE wg.project_id = $1 ORDER BY wg.id",
        [Value::from(project_id)],
    ))
    .all(conn)
    .await?;
    let pairs = PairRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT wga.working_group_id AS group_id, au.id AS commune_id FROM working_group_areas wga \
         JOIN working_groups wg ON wg.id = wga.working_group_id \
         JOIN admin_units au ON (au.id = wga.admin_unit_id OR au.successor_id = wga.admin_unit_id \
              OR au.parent_id = wga.admin_unit_id) \
         WHERE wg.project_id = $1",
        [Value::from(project_id)],
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
        period: range.period.map(|p| p.code()),
        from: range.from.to_string(),
        to: range.to.to_string(),
        totals,
        by_commune,
        by_working_group,
    }
}

/// The numbers of `range` and of the range before it, as `scope` may see them.
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
        assert_eq!(q.period.map(|p| p.code()).as_deref(), Some("2020-Q4"));
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
