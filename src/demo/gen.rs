//! The row generator: walks the communes' cells, groups them by household, and writes each
//! household's parcels, people, visits, status events and case stages into batches of
//! multi-row INSERT statements. Runs on a blocking thread; all randomness comes from one
//! seeded `StdRng`, in one fixed order, so a seed always gives the same data set.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime};
use geo::{BoundingRect, Contains, MultiPolygon, Point, Polygon};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::{Alias, InsertStatement, Query, SimpleExpr};
use sea_orm::{DbBackend, DbErr, Statement};
use serde_json::json;

use super::layout::{Cell, Layout, BASE_CELL_M};
use super::names::{self, weighted, Gender};
use crate::domain::{CaseStage, LandUse, ParcelStatus, Stance, Topic, VisitKind};
use crate::entities::{parcel_status_events, parcels};
use crate::scoped::{insert_into, Personal};

/// Bound values per statement: SQLite allows 32,766, PostgreSQL 65,535.
pub(crate) const MAX_VALUES: usize = 8_000;
/// Parcels per batch handed to the writer.
pub(crate) const BATCH_PARCELS: usize = 5_000;
/// Empty border kept on each side of a cell (share of the cell side).
const MARGIN: f64 = 0.06;

#[cfg(test)]
pub(crate) const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => NaiveDate::MIN,
    }
}

/// The demo calendar is a year of work that ends on the day the demo is built: its day 0 is
/// this many days before that day (the generated visits run to day 353, about two weeks ago;
/// the land-recovery notice of day 14 is still valid, its 12 months end about two weeks ahead).
pub(crate) const CALENDAR_DAYS: i64 = 366;
/// Day numbers of the demo calendar (`day 0` = today − [`CALENDAR_DAYS`]); the comments give
/// the date when day 0 is 1 January.
pub(crate) const NOTICE_DAY: i64 = 14; // 15 January, the land-recovery notice
pub(crate) const CREATED_DAY: i64 = 10;
pub(crate) const TARGET_HANDOVER_DAY: i64 = 545; // 30 June of the next year
const FIRST_VISIT_DAY: i64 = 31; // 1 February
const APR_20: i64 = 109;
const AUG_15: i64 = 226;
const OCT_1: i64 = 273;
const DEC_1: i64 = 334;
const DEC_20: i64 = 353;

/// Vietnam is UTC+7 all year; timestamps are generated in local time and stored in UTC.
const VN_OFFSET_H: i64 = 7;

/// Day 0 of the demo calendar built on `today`.
pub(crate) fn calendar_start(today: NaiveDate) -> NaiveDate {
    today - Duration::days(CALENDAR_DAYS)
}

/// Day `n` of the calendar that starts on `start`.
pub(crate) fn day(start: NaiveDate, n: i64) -> NaiveDate {
    start + Duration::days(n)
}

/// Local (Vietnam) date and time → stored timestamp (UTC).
pub(crate) fn at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    let local = date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default());
    (local - Duration::hours(VN_OFFSET_H))
        .and_utc()
        .fixed_offset()
}

/// Parcel statuses in the demo, per mille of households (a project one year in).
pub(crate) const STATUS_MIX: &[(ParcelStatus, u32)] = &[
    (ParcelStatus::HandedOver, 200),
    (ParcelStatus::Paid, 150),
    (ParcelStatus::Agreed, 150),
    (ParcelStatus::Negotiating, 200),
    (ParcelStatus::Contacted, 150),
    (ParcelStatus::NotContacted, 80),
    (ParcelStatus::Objecting, 50),
    (ParcelStatus::InComplaint, 20),
];

/// Land-use mix, per mille of parcels, with the area range (m², at the 60 m cell) of each.
pub(crate) const LAND_USE_MIX: &[(LandUse, u32, f64, f64)] = &[
    (LandUse::Luc, 350, 400.0, 2800.0),
    (LandUse::Hnk, 200, 300.0, 2000.0),
    (LandUse::Cln, 100, 500.0, 3000.0),
    (LandUse::Ont, 150, 200.0, 600.0),
    (LandUse::Nts, 80, 800.0, 3000.0),
    (LandUse::Rsx, 70, 1200.0, 3000.0),
    (LandUse::Ntd, 20, 200.0, 500.0),
    (LandUse::Luk, 10, 400.0, 2500.0),
    (LandUse::Dtl, 10, 200.0, 800.0),
    (LandUse::Dgt, 5, 200.0, 800.0),
    (LandUse::Tmd, 5, 200.0, 1200.0),
];

const TOPIC_MIX: &[(Topic, u32)] = &[
    (Topic::CompensationPrice, 35),
    (Topic::Livelihood, 18),
    (Topic::Resettlement, 15),
    (Topic::LandOrigin, 10),
    (Topic::Graves, 7),
    (Topic::Procedure, 10),
    (Topic::Other, 5),
];

/// Someone who logs visits and records events.
#[derive(Clone, Debug)]
pub(crate) struct Staff {
    pub id: i32,
    pub username: String,
    pub display_name: String,
}

/// A commune and the working group that covers it.
#[derive(Clone, Debug)]
pub(crate) struct CommuneCtx {
    pub admin_unit_id: i32,
    /// Without the type, e.g. `Bình Thuận`.
    pub name: &'static str,
    /// Household code prefix, e.g. `BT`.
    pub prefix: &'static str,
    pub villages: &'static [&'static str],
    pub working_group_id: i32,
    /// `[0]` is the group leader; all of them log visits.
    pub staff: Vec<Staff>,
}

/// The first id of each table the generator fills.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ids {
    pub parcel: i32,
    pub household: i32,
    pub visit: i32,
    pub commitment: i32,
    pub status_event: i32,
    pub stage_event: i32,
}

pub(crate) struct Ctx {
    pub backend: DbBackend,
    pub project_id: i32,
    pub admin_id: i32,
    pub communes: Vec<CommuneCtx>,
    pub layout: Layout,
    pub first_ids: Ids,
    /// Day 0 of the demo calendar ([`calendar_start`]).
    pub start: NaiveDate,
}

/// What one batch adds, with its statements in foreign-key order.
pub(crate) struct Batch {
    pub statements: Vec<Statement>,
    pub parcels: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub parcels: u64,
    pub households: u64,
    pub household_parcels: u64,
    pub visits: u64,
    pub commitments: u64,
    pub status_events: u64,
    pub stage_events: u64,
}

type Ts = DateTime<FixedOffset>;

struct ParcelRow {
    id: i32,
    commune_id: i32,
    map_sheet: u32,
    parcel_no: u32,
    land_use: &'static str,
    area_m2: f64,
    recovered_area_m2: f64,
    geometry: String,
    bbox: [f64; 4],
    status: &'static str,
    created_at: Ts,
    updated_at: Ts,
}

struct HouseholdRow {
    id: i32,
    code: String,
    head_name: String,
    search_key: String,
    id_number: String,
    phone: Option<String>,
    address: String,
    commune_id: i32,
    members: String,
    vulnerable: String,
    stance: Option<&'static str>,
    last_visit_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
}

struct HouseholdParcelRow {
    household_id: i32,
    parcel_id: i32,
    share: f64,
    role: &'static str,
}

struct StatusEventRow {
    id: i32,
    parcel_id: i32,
    from: Option<&'static str>,
    to: &'static str,
    reason: &'static str,
    actor_id: Option<i32>,
    actor: String,
    at: Ts,
}

struct VisitRow {
    id: i32,
    household_id: i32,
    working_group_id: i32,
    visited_at: Ts,
    kind: &'static str,
    participants: String,
    topics: String,
    stance: &'static str,
    concerns: String,
    next_visit_on: Option<NaiveDate>,
    location: Option<(f64, f64)>,
    created_by: i32,
    created_at: Ts,
}

struct CommitmentRow {
    id: i32,
    visit_id: i32,
    household_id: i32,
    text: String,
    owner: String,
    due_date: Option<NaiveDate>,
    done_at: Option<Ts>,
}

struct StageEventRow {
    id: i32,
    household_id: i32,
    stage: &'static str,
    occurred_on: NaiveDate,
    document_no: Option<String>,
    note: &'static str,
    recorded_by: Option<i32>,
    recorded_at: Ts,
}

#[derive(Default)]
struct Rows {
    parcels: Vec<ParcelRow>,
    households: Vec<HouseholdRow>,
    household_parcels: Vec<HouseholdParcelRow>,
    status_events: Vec<StatusEventRow>,
    visits: Vec<VisitRow>,
    commitments: Vec<CommitmentRow>,
    stage_events: Vec<StageEventRow>,
}

fn s(v: &str) -> SimpleExpr {
    v.into()
}

/// Multi-row INSERTs of `rows` into the table of `into` (from `scoped::insert_into` for a
/// personal-data table, from the entity otherwise), at most [`MAX_VALUES`] values each.
pub(crate) fn insert_rows(
    out: &mut Vec<Statement>,
    backend: DbBackend,
    into: &InsertStatement,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<SimpleExpr>>,
) -> Result<(), DbErr> {
    let per_statement = (MAX_VALUES / columns.len()).max(1);
    let rows: Vec<Vec<SimpleExpr>> = rows.collect();
    let mut left = rows.len();
    let mut rows = rows.into_iter();
    while left > 0 {
        // Few distinct statement shapes: the driver caches a prepared statement per SQL text,
        // and one per odd remainder would fill the cache with large statements.
        let size = if left >= per_statement {
            per_statement
        } else {
            [256, 64, 16, 4, 1]
                .into_iter()
                .find(|s| *s <= left)
                .unwrap_or(1)
        };
        let mut stmt = into.clone();
        stmt.columns(columns.iter().map(|c| Alias::new(*c)));
        for row in rows.by_ref().take(size) {
            stmt.values(row)
                .map_err(|e| DbErr::Custom(format!("building a demo insert: {e}")))?;
        }
        out.push(backend.build(&stmt));
        left -= size;
    }
    Ok(())
}

impl Rows {
    #[expect(
        clippy::too_many_lines,
        reason = "the rows of one parcel's story are written in the order they happened"
    )]
    fn statements(self, backend: DbBackend, project_id: i32) -> Result<Vec<Statement>, DbErr> {
        let mut out = Vec::new();
        insert_rows(
            &mut out,
            backend,
            &Query::insert().into_table(parcels::Entity).to_owned(),
            &[
                "id",
                "project_id",
                "commune_id",
                "map_sheet",
                "parcel_no",
                "land_use",
                "area_m2",
                "recovered_area_m2",
                "geometry",
                "source_crs",
                "source_geometry",
                "min_lon",
                "min_lat",
                "max_lon",
                "max_lat",
                "parent_parcel_id",
                "status",
                "version",
                "created_at",
                "updated_at",
            ],
            self.parcels.into_iter().map(|p| {
                vec![
                    p.id.into(),
                    project_id.into(),
                    p.commune_id.into(),
                    p.map_sheet.to_string().into(),
                    p.parcel_no.to_string().into(),
                    s(p.land_use),
                    p.area_m2.into(),
                    p.recovered_area_m2.into(),
                    p.geometry.into(),
                    s("EPSG:4326"),
                    Option::<String>::None.into(),
                    p.bbox[0].into(),
                    p.bbox[1].into(),
                    p.bbox[2].into(),
                    p.bbox[3].into(),
                    Option::<i32>::None.into(),
                    s(p.status),
                    1i32.into(),
                    p.created_at.into(),
                    p.updated_at.into(),
                ]
            }),
        )?;
        insert_rows(
            &mut out,
            backend,
            &insert_into(Personal::Households),
            &[
                "id",
                "project_id",
                "code",
                "head_name",
                "search_key",
                "id_number",
                "phone",
                "address",
                "commune_id",
                "members",
                "vulnerable",
                "split_from_id",
                "stance",
                "last_visit_at",
                "created_at",
                "updated_at",
            ],
            self.households.into_iter().map(|h| {
                vec![
                    h.id.into(),
                    project_id.into(),
                    h.code.into(),
                    h.head_name.into(),
                    h.search_key.into(),
                    Some(h.id_number).into(),
                    h.phone.into(),
                    h.address.into(),
                    h.commune_id.into(),
                    h.members.into(),
                    h.vulnerable.into(),
                    Option::<i32>::None.into(),
                    h.stance.map(str::to_string).into(),
                    h.last_visit_at.into(),
                    h.created_at.into(),
                    h.updated_at.into(),
                ]
            }),
        )?;
        insert_rows(
            &mut out,
            backend,
            &insert_into(Personal::HouseholdParcels),
            &["household_id", "parcel_id", "share", "role"],
            self.household_parcels.into_iter().map(|r| {
                vec![
                    r.household_id.into(),
                    r.parcel_id.into(),
                    r.share.into(),
                    s(r.role),
                ]
            }),
        )?;
        insert_rows(
            &mut out,
            backend,
            &Query::insert()
                .into_table(parcel_status_events::Entity)
                .to_owned(),
            &[
                "id",
                "project_id",
                "parcel_id",
                "from_status",
                "to_status",
                "reason",
                "actor_id",
                "actor",
                "at",
            ],
            self.status_events.into_iter().map(|e| {
                vec![
                    e.id.into(),
                    project_id.into(),
                    e.parcel_id.into(),
                    e.from.map(str::to_string).into(),
                    s(e.to),
                    s(e.reason),
                    e.actor_id.into(),
                    e.actor.into(),
                    e.at.into(),
                ]
            }),
        )?;
        insert_rows(
            &mut out,
            backend,
            &insert_into(Personal::Visits),
            &[
                "id",
                "project_id",
                "household_id",
                "working_group_id",
                "visited_at",
                "kind",
                "participants",
                "topics",
                "stance",
                "concerns",
                "next_visit_on",
                "lon",
                "lat",
                "client_id",
                "created_by",
                "created_at",
            ],
            self.visits.into_iter().map(|v| {
                vec![
                    v.id.into(),
                    project_id.into(),
                    v.household_id.into(),
                    v.working_group_id.into(),
                    v.visited_at.into(),
                    s(v.kind),
                    v.participants.into(),
                    v.topics.into(),
                    s(v.stance),
                    v.concerns.into(),
                    v.next_visit_on.into(),
                    v.location.map(|l| l.0).into(),
                    v.location.map(|l| l.1).into(),
                    Option::<String>::None.into(),
                    Some(v.created_by).into(),
                    v.created_at.into(),
                ]
            }),
        )?;
        insert_rows(
            &mut out,
            backend,
            &insert_into(Personal::Commitments),
            &[
                "id",
                "visit_id",
                "household_id",
                "text",
                "owner",
                "due_date",
                "done_at",
            ],
            self.commitments.into_iter().map(|c| {
                vec![
                    c.id.into(),
                    c.visit_id.into(),
                    c.household_id.into(),
                    c.text.into(),
                    c.owner.into(),
                    c.due_date.into(),
                    c.done_at.into(),
                ]
            }),
        )?;
        insert_rows(
            &mut out,
            backend,
            &insert_into(Personal::CaseStageEvents),
            &[
                "id",
                "project_id",
                "household_id",
                "parcel_id",
                "stage",
                "occurred_on",
                "document_no",
                "note",
                "recorded_by",
                "recorded_at",
                "overridden",
            ],
            self.stage_events.into_iter().map(|e| {
                vec![
                    e.id.into(),
                    project_id.into(),
                    e.household_id.into(),
                    Option::<i32>::None.into(),
                    s(e.stage),
                    e.occurred_on.into(),
                    e.document_no.into(),
                    s(e.note),
                    e.recorded_by.into(),
                    e.recorded_at.into(),
                    false.into(),
                ]
            }),
        )?;
        Ok(out)
    }
}

/// One planned visit: day number, local time, stance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PlannedVisit {
    pub day: i64,
    pub hour: u32,
    pub minute: u32,
    pub stance: Stance,
}

/// A status change: from, to, day, local time, and the visit it came out of.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PlannedStep {
    pub from: Option<ParcelStatus>,
    pub to: ParcelStatus,
    pub day: i64,
    pub hour: u32,
    pub minute: u32,
    pub visit: Option<usize>,
}

/// A household's year: its visits, the status steps of its parcels and its case stages.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Timeline {
    pub visits: Vec<PlannedVisit>,
    pub steps: Vec<PlannedStep>,
    pub stages: Vec<(CaseStage, i64)>,
}

fn is_agreeing(s: ParcelStatus) -> bool {
    matches!(
        s,
        ParcelStatus::Agreed | ParcelStatus::Paid | ParcelStatus::HandedOver
    )
}

/// Plans the year of a household whose parcels end at `status`.
#[expect(
    clippy::too_many_lines,
    reason = "the timeline of each status is a script of dated steps"
)]
pub(crate) fn plan_timeline<R: Rng + ?Sized>(rng: &mut R, status: ParcelStatus) -> Timeline {
    use ParcelStatus as P;
    let (lo, hi) = match status {
        P::NotContacted => (0, 0),
        P::Contacted => (1, 2),
        P::Negotiating => (2, 4),
        P::Agreed | P::Paid | P::HandedOver | P::Objecting | P::InComplaint => (3, 5),
    };
    // Handed-over and paid households must have agreed early enough for payment and handover
    // to fall within 2021.
    let last_day = match status {
        P::HandedOver => AUG_15,
        P::Paid => OCT_1,
        P::InComplaint => DEC_1,
        _ => DEC_20,
    };
    let n = if hi == 0 { 0 } else { rng.gen_range(lo..=hi) };
    let mut days: Vec<i64> = (0..n)
        .map(|_| rng.gen_range(FIRST_VISIT_DAY..=last_day))
        .collect();
    days.sort_unstable();
    for i in 1..days.len() {
        if days[i] <= days[i - 1] {
            days[i] = days[i - 1] + 1;
        }
    }
    let final_stance = match status {
        P::Agreed | P::Paid | P::HandedOver => Stance::Agrees,
        P::Negotiating => *weighted(rng, &[(Stance::Considering, 65), (Stance::Disagrees, 35)]),
        P::Contacted => *weighted(
            rng,
            &[
                (Stance::Considering, 50),
                (Stance::Disagrees, 30),
                (Stance::RefusesContact, 20),
            ],
        ),
        P::Objecting => Stance::Disagrees,
        P::InComplaint => *weighted(
            rng,
            &[(Stance::Disagrees, 70), (Stance::RefusesContact, 30)],
        ),
        P::NotContacted => Stance::Considering,
    };
    let mut visits = Vec::with_capacity(n);
    for (i, d) in days.iter().enumerate() {
        let stance = if i + 1 == n {
            final_stance
        } else if i == 0 {
            *weighted(
                rng,
                &[
                    (Stance::Disagrees, 40),
                    (Stance::Considering, 45),
                    (Stance::RefusesContact, 15),
                ],
            )
        } else if is_agreeing(status) {
            *weighted(
                rng,
                &[
                    (Stance::Considering, 70),
                    (Stance::Disagrees, 20),
                    (Stance::Agrees, 10),
                ],
            )
        } else if matches!(status, P::Objecting | P::InComplaint) {
            *weighted(rng, &[(Stance::Considering, 40), (Stance::Disagrees, 60)])
        } else {
            *weighted(rng, &[(Stance::Considering, 60), (Stance::Disagrees, 40)])
        };
        visits.push(PlannedVisit {
            day: *d,
            hour: rng.gen_range(7..=19),
            minute: 15 * rng.gen_range(0..4),
            stance,
        });
    }

    let mut steps = vec![PlannedStep {
        from: None,
        to: P::NotContacted,
        day: NOTICE_DAY,
        hour: 8,
        minute: 0,
        visit: None,
    }];
    let mut stages = vec![(CaseStage::Notice, NOTICE_DAY)];
    let step_at = |from: ParcelStatus, to: ParcelStatus, i: usize| {
        let v = visits[i];
        // Recorded an hour after the visit.
        PlannedStep {
            from: Some(from),
            to,
            day: v.day,
            hour: (v.hour + 1).min(23),
            minute: v.minute,
            visit: Some(i),
        }
    };
    if n == 0 {
        return Timeline {
            visits,
            steps,
            stages,
        };
    }
    steps.push(step_at(P::NotContacted, P::Contacted, 0));
    let inventory = visits[0].day + rng.gen_range(1..=5);
    stages.push((CaseStage::Inventory, inventory));
    if status == P::Contacted {
        return Timeline {
            visits,
            steps,
            stages,
        };
    }
    steps.push(step_at(P::Contacted, P::Negotiating, 1));
    let last = n - 1;
    let last_day = visits[last].day;
    match status {
        P::Objecting => steps.push(step_at(P::Negotiating, P::Objecting, last)),
        P::InComplaint => {
            steps.push(step_at(P::Negotiating, P::Objecting, last));
            let filed = last_day + rng.gen_range(3..=20);
            steps.push(PlannedStep {
                from: Some(P::Objecting),
                to: P::InComplaint,
                day: filed,
                hour: 10,
                minute: 0,
                visit: None,
            });
        }
        P::Agreed | P::Paid | P::HandedOver => {
            steps.push(step_at(P::Negotiating, P::Agreed, last));
            let posted = (inventory + 10).max(last_day - rng.gen_range(10..=20));
            stages.push((CaseStage::PlanPosted, posted));
            if status != P::Agreed {
                let approved =
                    (posted + rng.gen_range(30..=40)).max(APR_20 + rng.gen_range(0..=10));
                let decision = approved + rng.gen_range(2..=9);
                let paid = (decision + rng.gen_range(1..=20)).max(last_day + rng.gen_range(1..=5));
                stages.push((CaseStage::PlanApproved, approved));
                stages.push((CaseStage::RecoveryDecision, decision));
                stages.push((CaseStage::Paid, paid));
                steps.push(PlannedStep {
                    from: Some(P::Agreed),
                    to: P::Paid,
                    day: paid,
                    hour: 9,
                    minute: 30,
                    visit: None,
                });
                if status == P::HandedOver {
                    let handed = paid + rng.gen_range(7..=45);
                    stages.push((CaseStage::HandedOver, handed));
                    steps.push(PlannedStep {
                        from: Some(P::Paid),
                        to: P::HandedOver,
                        day: handed,
                        hour: 8,
                        minute: 0,
                        visit: None,
                    });
                }
            }
        }
        _ => {}
    }
    Timeline {
        visits,
        steps,
        stages,
    }
}

fn step_reason(to: ParcelStatus) -> &'static str {
    match to {
        ParcelStatus::NotContacted => "Thông báo thu hồi đất",
        ParcelStatus::Contacted => "Tổ công tác tiếp xúc, tuyên truyền lần đầu",
        ParcelStatus::Negotiating => "Hộ đang xem xét, trao đổi về phương án bồi thường",
        ParcelStatus::Agreed => "Hộ đồng ý phương án bồi thường, hỗ trợ",
        ParcelStatus::Paid => "Đã chi trả tiền bồi thường, hỗ trợ",
        ParcelStatus::HandedOver => "Hộ đã bàn giao mặt bằng",
        ParcelStatus::Objecting => "Hộ không đồng ý phương án bồi thường",
        ParcelStatus::InComplaint => "Hộ gửi đơn khiếu nại",
    }
}

fn stage_note(stage: CaseStage) -> &'static str {
    match stage {
        CaseStage::Notice => "Thông báo thu hồi đất đã gửi hộ và niêm yết tại UBND xã",
        CaseStage::Inventory => "Đã đo đạc, kiểm đếm đất và tài sản trên đất",
        CaseStage::PlanPosted => "Niêm yết công khai phương án bồi thường, hỗ trợ, tái định cư",
        CaseStage::PlanApproved => "Phương án bồi thường, hỗ trợ được phê duyệt",
        CaseStage::RecoveryDecision => "Quyết định thu hồi đất",
        CaseStage::Paid => "Hộ đã nhận tiền bồi thường, hỗ trợ",
        CaseStage::HandedOver => "Biên bản bàn giao mặt bằng",
        _ => "",
    }
}

pub(crate) struct Generator {
    ctx: Ctx,
    rng: StdRng,
    boundary: MultiPolygon<f64>,
    boundary_bbox: [f64; 4],
    next: Ids,
    rows: Rows,
    rows_parcels: usize,
    totals: Totals,
    household_index: u64,
}

impl Generator {
    pub(crate) fn new(ctx: Ctx, seed: u64) -> Generator {
        let boundary_polygon: Polygon<f64> = ctx.layout.boundary.clone();
        let boundary_bbox = boundary_polygon
            .bounding_rect()
            .map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y]);
        Generator {
            next: ctx.first_ids,
            boundary: MultiPolygon::new(vec![boundary_polygon]),
            boundary_bbox,
            ctx,
            rng: StdRng::seed_from_u64(seed),
            rows: Rows::default(),
            rows_parcels: 0,
            totals: Totals::default(),
            household_index: 0,
        }
    }

    /// Generates everything, handing each batch to `sink`; stops early when `sink` answers
    /// false (the writer has gone).
    pub(crate) fn run(mut self, mut sink: impl FnMut(Batch) -> bool) -> Result<Totals, DbErr> {
        let communes = self.ctx.communes.clone();
        let cells_per_commune = std::mem::take(&mut self.ctx.layout.cells);
        for (ci, (commune, cells)) in communes.iter().zip(cells_per_commune.iter()).enumerate() {
            let mut start = 0;
            let mut seq = 0u32;
            let mut previous: Option<i32> = None;
            let mut sheet = 0u32;
            let mut parcel_no = 0u32;
            while start < cells.len() {
                let k = *weighted(&mut self.rng, &[(1usize, 35), (2, 30), (3, 20), (4, 15)]);
                let end = (start + k).min(cells.len());
                seq += 1;
                let mut numbered = Vec::with_capacity(end - start);
                for c in &cells[start..end] {
                    if c.sheet != sheet {
                        sheet = c.sheet;
                        parcel_no = 0;
                    }
                    parcel_no += 1;
                    numbered.push((*c, parcel_no));
                }
                let hh = self.household(ci, commune, seq, &numbered, previous);
                previous = Some(hh);
                start = end;
                if self.rows_parcels >= BATCH_PARCELS && !self.flush(&mut sink)? {
                    return Ok(self.totals);
                }
            }
        }
        self.flush(&mut sink)?;
        Ok(self.totals)
    }

    fn flush(&mut self, sink: &mut impl FnMut(Batch) -> bool) -> Result<bool, DbErr> {
        let rows = std::mem::take(&mut self.rows);
        let parcels = rows.parcels.len() as u64;
        if parcels == 0 && rows.households.is_empty() {
            return Ok(true);
        }
        let statements = rows.statements(self.ctx.backend, self.ctx.project_id)?;
        self.rows_parcels = 0;
        Ok(sink(Batch {
            statements,
            parcels,
        }))
    }

    fn take_id(counter: &mut i32) -> i32 {
        let id = *counter;
        *counter += 1;
        id
    }

    /// One parcel drawn inside its cell: (geometry, centre lon/lat).
    fn parcel_shape(
        &mut self,
        cell: Cell,
        land_use_area: (f64, f64),
    ) -> (MultiPolygon<f64>, (f64, f64)) {
        let layout = &self.ctx.layout;
        let side = layout.cell_m;
        let avail = side * (1.0 - 2.0 * MARGIN);
        let scale = (side / BASE_CELL_M).powi(2);
        let target = self.rng.gen_range(land_use_area.0..land_use_area.1) * scale;
        let aspect = self.rng.gen_range(0.6..1.6);
        let w = (target * aspect).sqrt().min(avail);
        let h = (target / (target * aspect).sqrt()).min(avail);
        let slack_x = (avail - w) / 2.0;
        let slack_y = (avail - h) / 2.0;
        let dx = if slack_x > 0.0 {
            self.rng.gen_range(-slack_x..=slack_x)
        } else {
            0.0
        };
        let dy = if slack_y > 0.0 {
            self.rng.gen_range(-slack_y..=slack_y)
        } else {
            0.0
        };
        let (lon, lat) = layout.to_lonlat(
            (cell.col as f64 + 0.5) * side + dx,
            (cell.row as f64 + 0.5) * side + dy,
        );
        let jitter = [
            self.rng.gen_range(-JITTER..JITTER),
            self.rng.gen_range(-JITTER..JITTER),
            self.rng.gen_range(-JITTER..JITTER),
            self.rng.gen_range(-JITTER..JITTER),
        ];
        (
            crate::geo::square_parcel(lon, lat, w, h, jitter),
            (lon, lat),
        )
    }

    fn recovered(&self, mp: &MultiPolygon<f64>, bbox: [f64; 4], area: f64) -> f64 {
        let b = self.boundary_bbox;
        if bbox[2] < b[0] || bbox[0] > b[2] || bbox[3] < b[1] || bbox[1] > b[3] {
            return 0.0;
        }
        // The boundary is convex: a parcel whose box corners are all inside is inside.
        let poly = &self.ctx.layout.boundary;
        let inside = [
            (bbox[0], bbox[1]),
            (bbox[2], bbox[1]),
            (bbox[2], bbox[3]),
            (bbox[0], bbox[3]),
        ]
        .iter()
        .all(|(x, y)| poly.contains(&Point::new(*x, *y)));
        if inside {
            area
        } else {
            crate::geo::recovered_area_m2(mp, Some(&self.boundary))
        }
    }

    /// Generates one household with its parcels (`cells` with their parcel numbers); returns its id.
    #[expect(
        clippy::too_many_lines,
        reason = "one household's made-up details, field by field"
    )]
    fn household(
        &mut self,
        commune_index: usize,
        commune: &CommuneCtx,
        seq: u32,
        cells: &[(Cell, u32)],
        previous: Option<i32>,
    ) -> i32 {
        let start = self.ctx.start;
        let day = |n: i64| day(start, n);
        let household_id = Self::take_id(&mut self.next.household);
        let index = self.household_index;
        self.household_index += 1;
        let created = at(day(CREATED_DAY), 9, 0);
        let status = *weighted(&mut self.rng, STATUS_MIX);
        let timeline = plan_timeline(&mut self.rng, status);

        // People.
        let first_of_binh_thuan = commune_index == 0 && seq == 1;
        let head_gender = if first_of_binh_thuan || self.rng.gen_bool(0.75) {
            Gender::Male
        } else {
            Gender::Female
        };
        let head_name = if first_of_binh_thuan {
            "Nguyễn Văn A".to_string()
        } else {
            names::person_name(&mut self.rng, None, head_gender)
        };
        let elderly_alone = !first_of_binh_thuan && self.rng.gen_bool(0.03);
        let head_birth: i32 = if elderly_alone {
            self.rng.gen_range(1935..=1950)
        } else {
            self.rng.gen_range(1945..=1990)
        };
        let mut members =
            vec![json!({"name": head_name, "relation": "chủ hộ", "birth_year": head_birth})];
        let mut member_names: Vec<String> = Vec::new();
        if !elderly_alone {
            let mut father_surname = names::surname_of(&head_name).to_string();
            let mut mother_birth = head_birth;
            if self.rng.gen_bool(0.85) {
                let (g, relation) = match head_gender {
                    Gender::Male => (Gender::Female, "vợ"),
                    Gender::Female => (Gender::Male, "chồng"),
                };
                let spouse = names::person_name(&mut self.rng, None, g);
                let birth = (head_birth + self.rng.gen_range(-3..=6)).min(2000);
                if g == Gender::Male {
                    father_surname = names::surname_of(&spouse).to_string();
                } else {
                    mother_birth = birth;
                }
                members.push(json!({"name": spouse, "relation": relation, "birth_year": birth}));
                member_names.push(spouse);
            }
            let children = *weighted(
                &mut self.rng,
                &[(0u32, 10), (1, 20), (2, 35), (3, 25), (4, 10)],
            );
            let mut oldest_child = None;
            for _ in 0..children {
                let g = if self.rng.gen_bool(0.5) {
                    Gender::Male
                } else {
                    Gender::Female
                };
                let name = names::person_name(&mut self.rng, Some(&father_surname), g);
                let birth = (mother_birth + self.rng.gen_range(20..=36)).min(2020);
                oldest_child = Some(oldest_child.map_or(birth, |o: i32| o.min(birth)));
                members.push(json!({"name": name, "relation": "con", "birth_year": birth}));
                member_names.push(name);
            }
            if head_birth >= 1965 && self.rng.gen_bool(0.12) {
                let (g, relation) = if self.rng.gen_bool(0.7) {
                    (Gender::Female, "mẹ")
                } else {
                    (Gender::Male, "bố")
                };
                let name = names::person_name(&mut self.rng, None, g);
                let birth = head_birth - self.rng.gen_range(20..=32);
                members.push(json!({"name": name, "relation": relation, "birth_year": birth}));
                member_names.push(name);
            }
            if oldest_child.is_some_and(|b| b <= 1995) && self.rng.gen_bool(0.25) {
                let g = if self.rng.gen_bool(0.5) {
                    Gender::Male
                } else {
                    Gender::Female
                };
                let name = names::person_name(&mut self.rng, Some(&father_surname), g);
                let birth = self.rng.gen_range(2008..=2020);
                members.push(json!({"name": name, "relation": "cháu", "birth_year": birth}));
                member_names.push(name);
            }
        }
        let mut vulnerable: Vec<&str> = Vec::new();
        if self.rng.gen_bool(0.06) {
            vulnerable.push("poor");
        }
        if self.rng.gen_bool(0.03) {
            vulnerable.push("merit");
        }
        if self.rng.gen_bool(0.01) {
            vulnerable.push("ethnic_minority");
        }
        if elderly_alone {
            vulnerable.push("elderly_alone");
        }
        let code = format!("{}-{:06}", commune.prefix, seq);
        // CCCD: province 051, sex/century digit, year of birth, six digits (a bijection of the
        // household index, so numbers do not repeat below a million households).
        let sex_digit = match head_gender {
            Gender::Male => 0,
            Gender::Female => 1,
        };
        let id_number = format!(
            "051{}{:02}{:06}",
            sex_digit,
            head_birth.rem_euclid(100),
            (index * 7919 + 12_345) % 1_000_000
        );
        let phone = if self.rng.gen_bool(0.93) {
            Some(format!("09{:08}", self.rng.gen_range(0..100_000_000u32)))
        } else {
            None
        };
        let village = names::pick(&mut self.rng, commune.villages);
        let address = format!(
            "Thôn {village}, xã {}, huyện Bình Sơn, tỉnh Quảng Ngãi",
            commune.name
        );
        let search_key = crate::text::fold(&format!(
            "{head_name} {} {id_number} {code}",
            member_names.join(" ")
        ));

        // Parcels and their status history.
        let mut first_centre = None;
        for (cell, parcel_no) in cells {
            let parcel_id = Self::take_id(&mut self.next.parcel);
            let (land_use, _, lo, hi) = *weighted_lu(&mut self.rng);
            let (mp, centre) = self.parcel_shape(*cell, (lo, hi));
            first_centre.get_or_insert(centre);
            // Geodesic, as for imported parcels (`square_parcel` rings are counter-clockwise).
            let area = crate::geo::area_m2(&mp);
            let bbox = mp
                .bounding_rect()
                .map_or([centre.0, centre.1, centre.0, centre.1], |r| {
                    [r.min().x, r.min().y, r.max().x, r.max().y]
                });
            let recovered = self.recovered(&mp, bbox, area);
            let mut updated = created;
            for step in &timeline.steps {
                // The notice comes from the system; changes out of a visit from whoever logged
                // it; payment and handover from the group leader.
                let (actor_id, actor) = if step.from.is_none() {
                    (None, "system".to_string())
                } else {
                    let i = step
                        .visit
                        .map_or(0, |i| staff_for_visit(household_id, i, commune.staff.len()));
                    let st = &commune.staff[i];
                    (Some(st.id), st.username.clone())
                };
                let when = at(day(step.day), step.hour, step.minute);
                updated = when;
                let id = Self::take_id(&mut self.next.status_event);
                self.rows.status_events.push(StatusEventRow {
                    id,
                    parcel_id,
                    from: step.from.map(ParcelStatus::as_str),
                    to: step.to.as_str(),
                    reason: step_reason(step.to),
                    actor_id,
                    actor,
                    at: when,
                });
                self.totals.status_events += 1;
            }
            self.rows.parcels.push(ParcelRow {
                id: parcel_id,
                commune_id: commune.admin_unit_id,
                map_sheet: cell.sheet,
                parcel_no: *parcel_no,
                land_use: land_use.as_str(),
                area_m2: area,
                recovered_area_m2: recovered,
                geometry: crate::geo::to_geojson_string(&mp),
                bbox,
                status: status.as_str(),
                created_at: created,
                updated_at: updated,
            });
            self.rows_parcels += 1;
            self.totals.parcels += 1;
            // A few parcels are used jointly with the neighbouring household.
            let shared_with = previous.filter(|_| self.rng.gen_bool(0.03));
            let share = if shared_with.is_some() { 0.5 } else { 1.0 };
            self.rows.household_parcels.push(HouseholdParcelRow {
                household_id,
                parcel_id,
                share,
                role: "owner",
            });
            if let Some(other) = shared_with {
                self.rows.household_parcels.push(HouseholdParcelRow {
                    household_id: other,
                    parcel_id,
                    share: 0.5,
                    role: "co_user",
                });
                self.totals.household_parcels += 1;
            }
            self.totals.household_parcels += 1;
        }
        let home = first_centre.unwrap_or((108.82, 15.34));

        // Visits.
        let mut last_visit: Option<(Ts, Stance)> = None;
        let n = timeline.visits.len();
        for (i, v) in timeline.visits.iter().enumerate() {
            let visit_id = Self::take_id(&mut self.next.visit);
            let staff_index = staff_for_visit(household_id, i, commune.staff.len());
            let creator = &commune.staff[staff_index];
            let kind = if i == 0 {
                *weighted(
                    &mut self.rng,
                    &[
                        (VisitKind::HomeVisit, 70),
                        (VisitKind::Phone, 10),
                        (VisitKind::GroupMeeting, 20),
                    ],
                )
            } else {
                *weighted(
                    &mut self.rng,
                    &[
                        (VisitKind::HomeVisit, 50),
                        (VisitKind::Phone, 15),
                        (VisitKind::GroupMeeting, 15),
                        (VisitKind::Dialogue, 20),
                    ],
                )
            };
            let topic_count = self.rng.gen_range(1..=3);
            let mut topics: Vec<Topic> = Vec::with_capacity(topic_count);
            for _ in 0..topic_count {
                let t = *weighted(&mut self.rng, TOPIC_MIX);
                if !topics.contains(&t) {
                    topics.push(t);
                }
            }
            let mut sentences: Vec<&str> = Vec::new();
            match v.stance {
                Stance::RefusesContact => {
                    sentences.push(*names::pick(&mut self.rng, names::REFUSAL));
                }
                Stance::Agrees if i + 1 == n => {
                    sentences.push(*names::pick(&mut self.rng, names::AGREEMENT));
                    if self.rng.gen_bool(0.4) {
                        sentences.push(*names::pick(
                            &mut self.rng,
                            names::concerns_for(topics[0].as_str()),
                        ));
                    }
                }
                _ => {
                    for t in topics.iter().take(2) {
                        sentences
                            .push(*names::pick(&mut self.rng, names::concerns_for(t.as_str())));
                    }
                }
            }
            let concerns = format!("{}.", sentences.join(". "));
            let mut participants = vec![creator.display_name.clone()];
            if commune.staff.len() > 1 && self.rng.gen_bool(0.5) {
                let other = &commune.staff[(staff_index + 1) % commune.staff.len()];
                participants.push(other.display_name.clone());
            }
            if v.stance != Stance::RefusesContact || kind == VisitKind::GroupMeeting {
                participants.push(head_name.clone());
            }
            let next_visit_on = if i + 1 < n {
                self.rng
                    .gen_bool(0.8)
                    .then(|| day(timeline.visits[i + 1].day))
            } else if v.stance != Stance::Agrees && self.rng.gen_bool(0.6) {
                Some(day(v.day + self.rng.gen_range(7..=21)))
            } else {
                None
            };
            let location = (kind == VisitKind::HomeVisit && self.rng.gen_bool(0.7)).then(|| {
                let (dlon, dlat) = self.ctx.layout.deg_per_m();
                (
                    home.0 + self.rng.gen_range(-30.0..30.0) * dlon,
                    home.1 + self.rng.gen_range(-30.0..30.0) * dlat,
                )
            });
            let visited_at = at(day(v.day), v.hour, v.minute);
            if v.stance != Stance::RefusesContact && self.rng.gen_bool(0.3) {
                let (text, owner) = names::commitment_for(topics[0].as_str());
                let due = v.day + self.rng.gen_range(7..=30);
                let done_at = (due <= DEC_1 && self.rng.gen_bool(0.85))
                    .then(|| at(day(due - self.rng.gen_range(0..=5)), 15, 0));
                let id = Self::take_id(&mut self.next.commitment);
                self.rows.commitments.push(CommitmentRow {
                    id,
                    visit_id,
                    household_id,
                    text: text.to_string(),
                    owner: owner.replace("{commune}", commune.name),
                    due_date: Some(day(due)),
                    done_at,
                });
                self.totals.commitments += 1;
            }
            let topic_names: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
            self.rows.visits.push(VisitRow {
                id: visit_id,
                household_id,
                working_group_id: commune.working_group_id,
                visited_at,
                kind: kind.as_str(),
                participants: serde_json::to_string(&participants).unwrap_or_else(|_| "[]".into()),
                topics: serde_json::to_string(&topic_names).unwrap_or_else(|_| "[]".into()),
                stance: v.stance.as_str(),
                concerns,
                next_visit_on,
                location,
                created_by: creator.id,
                created_at: visited_at + Duration::minutes(self.rng.gen_range(20..=240)),
            });
            self.totals.visits += 1;
            last_visit = Some((visited_at, v.stance));
        }

        // Case stages.
        for (stage, d) in &timeline.stages {
            let document_no = match stage {
                CaseStage::Notice => Some("25/TB-UBND".to_string()),
                CaseStage::PlanApproved | CaseStage::RecoveryDecision => {
                    Some(format!("{}/QĐ-UBND", self.rng.gen_range(100..=3000)))
                }
                _ => None,
            };
            let recorded_by = if *stage == CaseStage::Notice {
                self.ctx.admin_id
            } else {
                commune.staff[0].id
            };
            let id = Self::take_id(&mut self.next.stage_event);
            self.rows.stage_events.push(StageEventRow {
                id,
                household_id,
                stage: stage.as_str(),
                occurred_on: day(*d),
                document_no,
                note: stage_note(*stage),
                recorded_by: Some(recorded_by),
                recorded_at: at(day(*d), 16, 30),
            });
            self.totals.stage_events += 1;
        }

        let members = serde_json::Value::Array(members).to_string();
        let vulnerable = serde_json::to_string(&vulnerable).unwrap_or_else(|_| "[]".into());
        self.rows.households.push(HouseholdRow {
            id: household_id,
            code,
            head_name,
            search_key,
            id_number,
            phone,
            address,
            commune_id: commune.admin_unit_id,
            members,
            vulnerable,
            stance: last_visit.map(|(_, s)| s.as_str()),
            last_visit_at: last_visit.map(|(t, _)| t),
            created_at: created,
            updated_at: last_visit.map_or(created, |(t, _)| t),
        });
        self.totals.households += 1;
        household_id
    }
}

/// Corner jitter handed to `square_parcel`: a fraction of the half-diagonal, outwards when
/// positive. At 0.12 a corner of the largest parcel moves at most 0.053 cell out, inside the
/// 0.06-cell margin, so neighbouring parcels still never touch.
const JITTER: f64 = 0.12;

fn weighted_lu<R: Rng + ?Sized>(rng: &mut R) -> &'static (LandUse, u32, f64, f64) {
    let total: u32 = LAND_USE_MIX.iter().map(|x| x.1).sum();
    let mut x = rng.gen_range(0..total);
    for item in LAND_USE_MIX {
        if x < item.1 {
            return item;
        }
        x -= item.1;
    }
    &LAND_USE_MIX[0]
}

/// Which of the group's staff logs a household's `i`-th visit: mostly the same person.
fn staff_for_visit(household_id: i32, i: usize, staff: usize) -> usize {
    if staff == 0 {
        return 0;
    }
    (household_id as usize + i / 3) % staff
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mixes_sum_to_a_thousand() {
        assert_eq!(STATUS_MIX.iter().map(|x| x.1).sum::<u32>(), 1000);
        assert_eq!(LAND_USE_MIX.iter().map(|x| x.1).sum::<u32>(), 1000);
        let luc = LAND_USE_MIX.iter().find(|x| x.0 == LandUse::Luc).unwrap();
        assert_eq!(luc.1, 350);
        for (_, _, lo, hi) in LAND_USE_MIX {
            assert!(lo < hi && *lo >= 200.0 && *hi <= 3000.0);
        }
    }

    #[test]
    fn land_use_draws_follow_the_mix() {
        let mut rng = StdRng::seed_from_u64(3);
        let n = 20_000;
        let luc = (0..n)
            .filter(|_| weighted_lu(&mut rng).0 == LandUse::Luc)
            .count();
        let share = luc as f64 / f64::from(n);
        assert!((share - 0.35).abs() < 0.02, "LUC share {share}");
    }

    #[test]
    fn timelines_agree_with_the_final_status() {
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..300 {
            for status in ParcelStatus::ALL {
                let t = plan_timeline(&mut rng, *status);
                assert_eq!(
                    t.steps.first().map(|s| (s.from, s.to)),
                    Some((None, ParcelStatus::NotContacted))
                );
                assert_eq!(t.steps.last().map(|s| s.to), Some(*status));
                for w in t.steps.windows(2) {
                    assert_eq!(w[1].from, Some(w[0].to), "{status:?}");
                    assert!(w[1].day >= w[0].day, "{status:?}: {:?}", t.steps);
                }
                for w in t.visits.windows(2) {
                    assert!(w[1].day > w[0].day);
                }
                assert!(t.visits.len() <= 5);
                assert!(
                    t.steps.iter().all(|s| s.day <= 364),
                    "{status:?}: {:?}",
                    t.steps
                );
                assert!(
                    t.stages.iter().all(|s| s.1 <= 364),
                    "{status:?}: {:?}",
                    t.stages
                );
                match status {
                    ParcelStatus::NotContacted => assert!(t.visits.is_empty()),
                    ParcelStatus::Agreed | ParcelStatus::Paid | ParcelStatus::HandedOver => {
                        assert_eq!(t.visits.last().map(|v| v.stance), Some(Stance::Agrees));
                    }
                    _ => assert!(!t.visits.is_empty()),
                }
                for w in t.stages.windows(2) {
                    assert!(
                        w[1].0 > w[0].0 && w[1].1 > w[0].1,
                        "{status:?}: {:?}",
                        t.stages
                    );
                }
                if *status == ParcelStatus::HandedOver {
                    assert_eq!(t.stages.last().map(|s| s.0), Some(CaseStage::HandedOver));
                }
                // Nothing generated lies after the day the demo is built.
                let last = t
                    .visits
                    .iter()
                    .map(|v| v.day)
                    .chain(t.steps.iter().map(|s| s.day))
                    .chain(t.stages.iter().map(|s| s.1))
                    .max()
                    .unwrap_or(0);
                assert!(last < CALENDAR_DAYS, "{status:?}: day {last}");
            }
        }
    }

    #[test]
    fn timestamps_are_stored_in_utc() {
        let t = at(ymd(2021, 3, 1), 9, 30);
        assert_eq!(t.to_rfc3339(), "2021-03-01T02:30:00+00:00");
        let start = calendar_start(ymd(2026, 12, 4));
        assert_eq!(start, ymd(2025, 12, 3));
        assert_eq!(day(start, NOTICE_DAY), ymd(2025, 12, 17));
    }
}
