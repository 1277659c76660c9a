//! The alert list, computed on read from indexed queries, one "stream" per source of alerts:
//! each stream counts and pages with its own index (see the alerts migration), so the cost
//! of a page does not grow with the number of households. Time-based alerts (overdue,
//! not visited) need no background job: they are a range over a date index up to today.
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

use super::dto::{AlertDto, AlertPage, AlertQuery, CommuneRef, KINDS};
use crate::auth::Scope;
use crate::error::{AppError, AppResult};
use crate::i18n::{Catalogue, Lang};
use crate::sql::{commune_code_condition, Conditions};

/// The catalogue of a language, loaded once.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static VI: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| Catalogue::load(Lang::Vi)),
        Lang::En => EN.get_or_init(|| Catalogue::load(Lang::En)),
    }
}

/// Whether `table` has `column` (features added by other migrations), remembered per process.
pub async fn column_exists(
    conn: &impl ConnectionTrait,
    table: &'static str,
    column: &'static str,
) -> Result<bool, DbErr> {
    static SEEN: OnceLock<std::sync::Mutex<HashMap<(&'static str, &'static str), bool>>> =
        OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(v) = seen
        .lock()
        .ok()
        .and_then(|m| m.get(&(table, column)).copied())
    {
        return Ok(v);
    }
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_name = $1 AND column_name = $2"
        }
        _ => "SELECT COUNT(*) AS n FROM pragma_table_info($1) WHERE name = $2",
    };
    let row = conn
        .query_one(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(table), Value::from(column)],
        ))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    // Only a positive answer is final: a column may still be added by a later migration run.
    if n > 0 {
        if let Ok(mut m) = seen.lock() {
            m.insert((table, column), true);
        }
    }
    Ok(n > 0)
}

/// Where alerts come from. Several streams may share a kind (household and parcel splits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    HotSpot,
    GrievanceOverdue,
    StageOverdue,
    HouseholdSplit,
    ParcelSplit,
    LandUseChange,
    CommitmentOverdue,
    GrievanceDue,
    NotVisited,
    NeverVisited,
}

const STREAMS: [Stream; 10] = [
    Stream::HotSpot,
    Stream::GrievanceOverdue,
    Stream::StageOverdue,
    Stream::HouseholdSplit,
    Stream::ParcelSplit,
    Stream::LandUseChange,
    Stream::CommitmentOverdue,
    Stream::GrievanceDue,
    Stream::NotVisited,
    Stream::NeverVisited,
];

impl Stream {
    fn kind(self) -> &'static str {
        match self {
            Stream::HotSpot => "hot_spot",
            Stream::GrievanceOverdue => "grievance_overdue",
            Stream::StageOverdue => "stage_overdue",
            Stream::HouseholdSplit | Stream::ParcelSplit => "split_after_cutoff",
            Stream::LandUseChange => "land_use_change_after_cutoff",
            Stream::CommitmentOverdue => "commitment_overdue",
            Stream::GrievanceDue => "grievance_due",
            Stream::NotVisited | Stream::NeverVisited => "not_visited",
        }
    }
}

/// What the alerts are asked for, resolved.
pub struct Ctx {
    /// Projects to look at (never empty).
    pub projects: Vec<(i32, String)>,
    pub scope: Scope,
    pub commune: Option<String>,
    pub today: NaiveDate,
    /// Last visit (or creation, if never visited) before this: not visited.
    pub not_visited_before: DateTime<FixedOffset>,
    /// Open grievance deadlines up to this day are due.
    pub near_until: NaiveDate,
    pub lang: Lang,
    /// Project-board tokens: no household ids, no commitment texts.
    pub personal: bool,
    /// `projects` are every project there is (counts may then skip the project join).
    pub every_project: bool,
}

const NULL_INT: &str = "CAST(NULL AS INTEGER)";
const NULL_DATE: &str = "CAST(NULL AS DATE)";
const NULL_TS: &str = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)";
const NULL_TEXT: &str = "CAST(NULL AS TEXT)";

/// The SQL of one stream: FROM, WHERE (with values), the keyset id and the selected columns
/// (project_id, household_id, parcel_id, grievance_id, commune_id, other_id, due_on, since_on,
/// since_at, a, b).
struct StreamSql {
    from: String,
    cond: Conditions,
    id: &'static str,
    select: String,
}

fn project_list(ctx: &Ctx, col: &str) -> String {
    // Ids come from the database, never from the request.
    let ids: Vec<String> = ctx.projects.iter().map(|(id, _)| id.to_string()).collect();
    format!("{col} IN ({})", ids.join(","))
}

fn with_commune(ctx: &Ctx, cond: &mut Conditions, col: &str) {
    if let Some(code) = &ctx.commune {
        let p = cond.bind(code.as_str());
        cond.push(commune_code_condition(col, &p));
    }
}

fn not_reviewed(subject: &str, id: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM alert_reviews r WHERE r.subject = '{subject}' AND r.subject_id = {id})"
    )
}

fn cols(c: [&str; 11]) -> String {
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
    c.iter()
        .zip(NAMES)
        .map(|(e, n)| format!("{e} AS {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The open deadline of a grievance: acceptance while received, resolution once accepted.
const GRIEVANCE_DEADLINE: &str =
    "(CASE WHEN g.status = 'received' THEN COALESCE(g.accept_by, g.resolve_by) ELSE g.resolve_by END)";

fn stream_sql(s: Stream, ctx: &Ctx, has_deadlines: bool) -> Option<StreamSql> {
    let sql = match s {
        Stream::HotSpot => {
            let mut cond = Conditions::new(ctx.scope.sql_condition("x"));
            cond.push(project_list(ctx, "x.project_id"));
            cond.push("x.resolved_on IS NULL".into());
            with_commune(ctx, &mut cond, "x.commune_id");
            StreamSql {
                from: "hot_spots x".into(),
                cond,
                id: "x.id",
                select: cols([
                    "x.project_id",
                    "x.household_id",
                    NULL_INT,
                    "x.grievance_id",
                    "x.commune_id",
                    NULL_INT,
                    NULL_DATE,
                    "x.flagged_on",
                    NULL_TS,
                    "x.kind",
                    "x.detail",
                ]),
            }
        }
        Stream::GrievanceOverdue | Stream::GrievanceDue => {
            // The grievance is shown under its first household inside the caller's area.
            let mut cond = Conditions::new(project_list(ctx, "g.project_id"));
            let mut inner = vec![ctx.scope.sql_condition("h2")];
            if let Some(code) = &ctx.commune {
                let p = cond.bind(code.as_str());
                inner.push(commune_code_condition("h2.commune_id", &p));
            }
            let from = format!(
                "grievances g LEFT JOIN households h ON h.id = (SELECT MIN(gh.household_id) \
                 FROM grievance_households gh JOIN households h2 ON h2.id = gh.household_id \
                 WHERE gh.grievance_id = g.id AND {})",
                inner.join(" AND ")
            );
            cond.push(format!("g.status IN {}", super::hot_spots::OPEN_STATUSES));
            if !ctx.scope.is_everything() || ctx.commune.is_some() {
                cond.push("h.id IS NOT NULL".into());
            }
            let today = cond.bind(ctx.today);
            if s == Stream::GrievanceOverdue {
                cond.push(format!("{GRIEVANCE_DEADLINE} < {today}"));
            } else {
                let until = cond.bind(ctx.near_until);
                cond.push(format!(
                    "{GRIEVANCE_DEADLINE} >= {today} AND {GRIEVANCE_DEADLINE} <= {until}"
                ));
            }
            StreamSql {
                from,
                cond,
                id: "g.id",
                select: cols([
                    "g.project_id",
                    "h.id",
                    NULL_INT,
                    "g.id",
                    "h.commune_id",
                    NULL_INT,
                    GRIEVANCE_DEADLINE,
                    "g.received_on",
                    NULL_TS,
                    "g.kind",
                    "g.status",
                ]),
            }
        }
        Stream::StageOverdue => {
            if !has_deadlines {
                return None;
            }
            let mut cond = Conditions::new(ctx.scope.sql_condition("h"));
            cond.push(project_list(ctx, "e.project_id"));
            cond.push("e.due_on IS NOT NULL AND e.due_met_on IS NULL".into());
            let today = cond.bind(ctx.today);
            cond.push(format!("e.due_on < {today}"));
            with_commune(ctx, &mut cond, "h.commune_id");
            StreamSql {
                from: "case_stage_events e JOIN households h ON h.id = e.household_id".into(),
                cond,
                id: "e.id",
                select: cols([
                    "e.project_id",
                    "e.household_id",
                    "e.parcel_id",
                    NULL_INT,
                    "h.commune_id",
                    NULL_INT,
                    "e.due_on",
                    "e.occurred_on",
                    NULL_TS,
                    "e.stage",
                    "e.due_stage",
                ]),
            }
        }
        Stream::HouseholdSplit => {
            let mut cond = Conditions::new(ctx.scope.sql_condition("h"));
            cond.push(project_list(ctx, "h.project_id"));
            cond.push(
                "h.split_from_id IS NOT NULL AND p.notice_date IS NOT NULL \
                 AND h.created_at >= p.notice_date"
                    .into(),
            );
            cond.push(not_reviewed("household_split", "h.id"));
            with_commune(ctx, &mut cond, "h.commune_id");
            StreamSql {
                from: "households h JOIN projects p ON p.id = h.project_id".into(),
                cond,
                id: "h.id",
                select: cols([
                    "h.project_id",
                    "h.id",
                    NULL_INT,
                    NULL_INT,
                    "h.commune_id",
                    "h.split_from_id",
                    "p.notice_date",
                    NULL_DATE,
                    "h.created_at",
                    NULL_TEXT,
                    NULL_TEXT,
                ]),
            }
        }
        Stream::ParcelSplit => {
            let mut cond = Conditions::new(ctx.scope.sql_condition("x"));
            cond.push(project_list(ctx, "x.project_id"));
            cond.push(
                "x.parent_parcel_id IS NOT NULL AND p.notice_date IS NOT NULL \
                 AND x.created_at >= p.notice_date"
                    .into(),
            );
            cond.push(not_reviewed("parcel_split", "x.id"));
            with_commune(ctx, &mut cond, "x.commune_id");
            StreamSql {
                from: "parcels x JOIN projects p ON p.id = x.project_id".into(),
                cond,
                id: "x.id",
                select: cols([
                    "x.project_id",
                    "(SELECT MIN(hp.household_id) FROM household_parcels hp WHERE hp.parcel_id = x.id)",
                    "x.id",
                    NULL_INT,
                    "x.commune_id",
                    "x.parent_parcel_id",
                    "p.notice_date",
                    NULL_DATE,
                    "x.created_at",
                    "x.map_sheet",
                    "x.parcel_no",
                ]),
            }
        }
        Stream::LandUseChange => {
            let mut cond = Conditions::new(ctx.scope.sql_condition("l"));
            cond.push(project_list(ctx, "l.project_id"));
            cond.push("p.notice_date IS NOT NULL AND l.at >= p.notice_date".into());
            cond.push(not_reviewed("land_use_change", "l.id"));
            with_commune(ctx, &mut cond, "l.commune_id");
            StreamSql {
                from: "parcel_land_use_events l JOIN projects p ON p.id = l.project_id".into(),
                cond,
                id: "l.id",
                select: cols([
                    "l.project_id",
                    "(SELECT MIN(hp.household_id) FROM household_parcels hp WHERE hp.parcel_id = l.parcel_id)",
                    "l.parcel_id",
                    NULL_INT,
                    "l.commune_id",
                    NULL_INT,
                    "p.notice_date",
                    NULL_DATE,
                    "l.at",
                    "l.from_land_use",
                    "l.to_land_use",
                ]),
            }
        }
        Stream::CommitmentOverdue => {
            let mut cond = Conditions::new(ctx.scope.sql_condition("h"));
            cond.push(project_list(ctx, "h.project_id"));
            let today = cond.bind(ctx.today);
            cond.push(format!(
                "h.id = c.household_id AND c.done_at IS NULL AND c.due_date < {today}"
            ));
            with_commune(ctx, &mut cond, "h.commune_id");
            StreamSql {
                // CROSS JOIN keeps SQLite looping over commitments (open ones by index, or by id for
                // a page) instead of over every household of the project.
                from: "commitments c CROSS JOIN households h".into(),
                cond,
                id: "c.id",
                select: cols([
                    "h.project_id",
                    "c.household_id",
                    NULL_INT,
                    NULL_INT,
                    "h.commune_id",
                    "c.visit_id",
                    "c.due_date",
                    NULL_DATE,
                    NULL_TS,
                    "c.text",
                    "c.owner",
                ]),
            }
        }
        Stream::NotVisited | Stream::NeverVisited => {
            // Two ranges of one index (an OR of both would scan the project's households).
            let mut cond = Conditions::new(ctx.scope.sql_condition("h"));
            cond.push(project_list(ctx, "h.project_id"));
            let before = cond.bind(ctx.not_visited_before);
            cond.push(if s == Stream::NotVisited {
                format!("h.last_visit_at < {before}")
            } else {
                format!("h.last_visit_at IS NULL AND h.created_at < {before}")
            });
            with_commune(ctx, &mut cond, "h.commune_id");
            StreamSql {
                from: "households h".into(),
                cond,
                id: "h.id",
                select: cols([
                    "h.project_id",
                    "h.id",
                    NULL_INT,
                    NULL_INT,
                    "h.commune_id",
                    NULL_INT,
                    NULL_DATE,
                    NULL_DATE,
                    "COALESCE(h.last_visit_at, h.created_at)",
                    "CASE WHEN h.last_visit_at IS NULL THEN 'never' ELSE 'visited' END",
                    NULL_TEXT,
                ]),
            }
        }
    };
    Some(sql)
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

/// Position in the list: a stream and the last id shown from it.
fn encode_cursor(stream: usize, id: i32) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("alert:{stream}:{id}"))
}

fn decode_cursor(s: Option<&str>) -> AppResult<Option<(usize, i32)>> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        AppError::BadRequest(
            "the cursor is not one this server gave out; start again without it".into(),
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.strip_prefix("alert:").ok_or_else(bad)?.split(':');
    let stream: usize = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let id: i32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    if stream >= STREAMS.len() || parts.next().is_some() {
        return Err(bad());
    }
    Ok(Some((stream, id)))
}

/// Checks `?kind=`.
pub fn parse_kind(kind: Option<&str>) -> AppResult<Option<&'static str>> {
    match kind.filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => KINDS
            .iter()
            .find(|x| **x == k)
            .map(|x| Some(*x))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "unknown alert kind `{k}`; use one of {}",
                    KINDS.join(", ")
                ))
            }),
    }
}

/// Alerts of each kind under `ctx` (all kinds, whatever the filter).
pub async fn counts(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
) -> AppResult<(BTreeMap<String, i64>, [i64; STREAMS.len()])> {
    let has_deadlines = column_exists(conn, "case_stage_events", "due_met_on").await?;
    let mut by_kind: BTreeMap<String, i64> = KINDS.iter().map(|k| (k.to_string(), 0)).collect();
    let mut per_stream = [0i64; STREAMS.len()];
    let unscoped = ctx.scope.is_everything() && ctx.commune.is_none() && ctx.every_project;
    for (i, s) in STREAMS.iter().enumerate() {
        let Some(mut q) = stream_sql(*s, ctx, has_deadlines) else {
            continue;
        };
        if *s == Stream::CommitmentOverdue && unscoped {
            // Every open commitment belongs to some project: the partial index alone counts.
            let mut c = Conditions::new("c.done_at IS NULL".into());
            let today = c.bind(ctx.today);
            c.push(format!("c.due_date < {today}"));
            q.from = "commitments c".into();
            q.cond = c;
        }
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {} WHERE {}",
            q.from,
            q.cond.sql()
        );
        let n = CountRow::find_by_statement(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            q.cond.into_values(),
        ))
        .one(conn)
        .await?
        .map_or(0, |r| r.n);
        per_stream[i] = n;
        *by_kind.entry(s.kind().to_string()).or_default() += n;
    }
    Ok((by_kind, per_stream))
}

/// One page of alerts, most pressing kinds first and the newest first within a kind, with the
/// counts per kind.
pub async fn list(conn: &impl ConnectionTrait, ctx: &Ctx, q: &AlertQuery) -> AppResult<AlertPage> {
    let limit = crate::pagination::limit(q.limit)? as usize;
    let kind = parse_kind(q.kind.as_deref())?;
    let cursor = decode_cursor(q.cursor.as_deref())?;
    let (counts, per_stream) = self::counts(conn, ctx).await?;
    let has_deadlines = column_exists(conn, "case_stage_events", "due_met_on").await?;
    let wanted = |i: usize| kind.is_none_or(|k| STREAMS[i].kind() == k) && per_stream[i] > 0;

    let mut rows: Vec<(Stream, Row)> = Vec::new();
    let mut next_cursor = None;
    let start = cursor.map_or(0, |c| c.0);
    for (i, &s) in STREAMS.iter().enumerate().skip(start) {
        if !wanted(i) {
            continue;
        }
        let remaining = limit - rows.len();
        if remaining == 0 {
            // The page is full and this stream has alerts: resume here.
            next_cursor = Some(encode_cursor(i, i32::MAX));
            break;
        }
        let Some(mut sql) = stream_sql(s, ctx, has_deadlines) else {
            continue;
        };
        if let Some((cs, after)) = cursor {
            if cs == i {
                let p = sql.cond.bind(after);
                sql.cond.push(format!("{} < {p}", sql.id));
            }
        }
        let text = format!(
            "SELECT {id} AS sid, {select} FROM {from} WHERE {cond} ORDER BY {id} DESC LIMIT {n}",
            id = sql.id,
            select = sql.select,
            from = sql.from,
            cond = sql.cond.sql(),
            n = remaining + 1
        );
        let mut got = Row::find_by_statement(Statement::from_sql_and_values(
            conn.get_database_backend(),
            text,
            sql.cond.into_values(),
        ))
        .all(conn)
        .await?;
        let more = got.len() > remaining;
        got.truncate(remaining);
        let last = got.last().map(|r| r.sid);
        rows.extend(got.into_iter().map(|r| (s, r)));
        if more {
            next_cursor = last.map(|id| encode_cursor(i, id));
            break;
        }
    }

    let items = shape(conn, ctx, rows).await?;
    let total = counts.values().sum();
    Ok(AlertPage {
        items,
        next_cursor,
        counts,
        total,
    })
}

#[derive(FromQueryResult)]
struct CodeRow {
    id: i32,
    code: String,
}

#[derive(FromQueryResult)]
struct UnitRow {
    id: i32,
    code: String,
    name: String,
}

fn id_list(ids: impl Iterator<Item = i32>) -> Option<String> {
    let mut v: Vec<i32> = ids.collect();
    v.sort_unstable();
    v.dedup();
    (!v.is_empty()).then(|| {
        v.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// dd/mm/yyyy, as the pages show dates.
fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

async fn shape(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    rows: Vec<(Stream, Row)>,
) -> AppResult<Vec<AlertDto>> {
    let backend = conn.get_database_backend();
    let mut units: HashMap<i32, CommuneRef> = HashMap::new();
    if let Some(list) = id_list(rows.iter().filter_map(|(_, r)| r.commune_id)) {
        for u in UnitRow::find_by_statement(Statement::from_string(
            backend,
            format!("SELECT id, code, name FROM admin_units WHERE id IN ({list})"),
        ))
        .all(conn)
        .await?
        {
            units.insert(
                u.id,
                CommuneRef {
                    id: u.id,
                    code: u.code,
                    name: u.name,
                },
            );
        }
    }
    let mut household_codes: HashMap<i32, String> = HashMap::new();
    if ctx.personal {
        if let Some(list) = id_list(rows.iter().filter_map(|(_, r)| r.household_id)) {
            for h in CodeRow::find_by_statement(Statement::from_string(
                backend,
                format!("SELECT id, code FROM households WHERE id IN ({list})"),
            ))
            .all(conn)
            .await?
            {
                household_codes.insert(h.id, h.code);
            }
        }
    }
    let mut split_parents: HashMap<i32, String> = HashMap::new();
    if ctx.personal {
        if let Some(list) = id_list(
            rows.iter()
                .filter(|(s, _)| *s == Stream::HouseholdSplit)
                .filter_map(|(_, r)| r.other_id),
        ) {
            for h in CodeRow::find_by_statement(Statement::from_string(
                backend,
                format!("SELECT id, code FROM households WHERE id IN ({list})"),
            ))
            .all(conn)
            .await?
            {
                split_parents.insert(h.id, h.code);
            }
        }
    }
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
                    kind: s.kind().to_string(),
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
                },
                r.other_id.and_then(|o| split_parents.get(&o).cloned()),
            )
        })
        .collect())
}

fn utc_date(t: DateTime<FixedOffset>) -> NaiveDate {
    t.with_timezone(&Utc).date_naive()
}

/// Fills in dates, days, the reason and the link of one alert.
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
            let step = if r.b.as_deref() == Some("received") {
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
    };
    let vars: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    a.message = cat.fill(key, &vars);
    a.reason_key = key.to_string();
    a.params = p;
    a.link = match (s, a.household_id, a.parcel_id) {
        (Stream::ParcelSplit | Stream::LandUseChange, _, Some(parcel)) => {
            format!("/map?parcel={parcel}")
        }
        (_, Some(h), _) => format!("/field#/h/{h}"),
        (_, None, Some(parcel)) => format!("/map?parcel={parcel}"),
        (Stream::HotSpot, None, None) => format!("/map?hot_spot={}", r.sid),
        _ => "/map".to_string(),
    };
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() -> AppResult<()> {
        assert_eq!(decode_cursor(Some(&encode_cursor(3, 42)))?, Some((3, 42)));
        assert_eq!(decode_cursor(None)?, None);
        assert!(decode_cursor(Some("!!")).is_err());
        assert!(decode_cursor(Some(&encode_cursor(99, 1))).is_err());
        Ok(())
    }

    #[test]
    fn kinds_are_checked_and_every_stream_has_a_pinned_kind() {
        assert!(parse_kind(Some("hot_spot")).is_ok());
        assert!(parse_kind(Some("nope")).is_err());
        assert_eq!(parse_kind(Some("")).ok(), Some(None));
        for s in STREAMS {
            assert!(KINDS.contains(&s.kind()));
        }
        for k in KINDS {
            assert!(STREAMS.iter().any(|s| s.kind() == *k), "{k} has no stream");
        }
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
