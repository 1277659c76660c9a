//! A project's progress, read from its counters: aggregates only, no row names anybody, so
//! the figures are the same for every caller who may see the project (the `/progress`
//! endpoint, the dashboard, the public page).
use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::counters::{
    NO_STANCE, STANCE, STATUS, STATUS_BY_COMMUNE, STATUS_BY_GROUP, STATUS_WEEKLY,
};
use super::dto::{Areas, Breakdown, Counts, Progress, StanceCounts, WeekPoint};
use crate::domain::{ParcelStatus, Stance};
use crate::entities::{admin_units, progress_counters, projects, working_groups};
use crate::error::AppResult;

/// Milestones whose running totals the over-time chart shows.
const MILESTONES: [ParcelStatus; 3] = [
    ParcelStatus::Agreed,
    ParcelStatus::Paid,
    ParcelStatus::HandedOver,
];

type Tally = (Counts, Areas);

fn empty_tally() -> Tally {
    let mut c = Counts::default();
    let mut a = Areas::default();
    for s in ParcelStatus::ALL {
        c.by_status.insert(s.as_str().to_string(), 0);
        a.by_status.insert(s.as_str().to_string(), 0.0);
    }
    (c, a)
}

fn add(tally: &mut Tally, row: &progress_counters::Model) {
    tally.0.total += row.count;
    *tally.0.by_status.entry(row.bucket.clone()).or_default() += row.count;
    tally.1.total += row.area_m2;
    *tally.1.by_status.entry(row.bucket.clone()).or_default() += row.area_m2;
}

/// The counter rows of a project, sorted into their families.
struct Families<'a> {
    overall: Tally,
    communes: HashMap<i32, Tally>,
    groups: HashMap<i32, Tally>,
    weeks: BTreeMap<String, Vec<&'a progress_counters::Model>>,
    stances: BTreeMap<String, i64>,
}

fn sort_rows(rows: &[progress_counters::Model]) -> Families<'_> {
    let mut f = Families {
        overall: empty_tally(),
        communes: HashMap::new(),
        groups: HashMap::new(),
        weeks: BTreeMap::new(),
        stances: Stance::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .chain([(NO_STANCE.to_string(), 0)])
            .collect(),
    };
    for row in rows {
        match row.metric.as_str() {
            STATUS => add(&mut f.overall, row),
            STATUS_BY_COMMUNE | STATUS_BY_GROUP => {
                let Ok(id) = row.dim_key.parse::<i32>() else {
                    continue;
                };
                let map = if row.metric == STATUS_BY_COMMUNE {
                    &mut f.communes
                } else {
                    &mut f.groups
                };
                add(map.entry(id).or_insert_with(empty_tally), row);
            }
            STATUS_WEEKLY => f.weeks.entry(row.dim_key.clone()).or_default().push(row),
            STANCE => *f.stances.entry(row.bucket.clone()).or_default() += row.count,
            _ => {}
        }
    }
    f
}

/// Communes with their code and name, sorted by code.
async fn commune_breakdowns(
    conn: &impl ConnectionTrait,
    communes: HashMap<i32, Tally>,
) -> AppResult<Vec<Breakdown>> {
    let units: HashMap<i32, admin_units::Model> = admin_units::Entity::find()
        .filter(admin_units::Column::Id.is_in(communes.keys().copied().collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut out: Vec<Breakdown> = communes
        .into_iter()
        .map(|(id, (parcels, area_m2))| {
            let unit = units.get(&id);
            Breakdown {
                id,
                code: unit.map(|u| u.code.clone()),
                name: unit.map(|u| u.name.clone()).unwrap_or_default(),
                parcels,
                area_m2,
            }
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// Working groups of the project with their name, sorted by id.
async fn group_breakdowns(
    conn: &impl ConnectionTrait,
    project_id: i32,
    groups: HashMap<i32, Tally>,
) -> AppResult<Vec<Breakdown>> {
    let names: HashMap<i32, String> = working_groups::Entity::find()
        .filter(working_groups::Column::ProjectId.eq(project_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let mut out: Vec<Breakdown> = groups
        .into_iter()
        .map(|(id, (parcels, area_m2))| Breakdown {
            id,
            code: None,
            name: names.get(&id).cloned().unwrap_or_default(),
            parcels,
            area_m2,
        })
        .collect();
    out.sort_by_key(|b| b.id);
    Ok(out)
}

/// Week by week: what entered each status, and the running totals of the milestones.
fn over_time(weeks: BTreeMap<String, Vec<&progress_counters::Model>>) -> Vec<WeekPoint> {
    let mut running: BTreeMap<String, i64> = MILESTONES
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut running_area: BTreeMap<String, f64> = MILESTONES
        .iter()
        .map(|s| (s.as_str().to_string(), 0.0))
        .collect();
    weeks
        .into_iter()
        .map(|(week, entries)| {
            let mut entered = BTreeMap::new();
            for e in entries {
                entered.insert(e.bucket.clone(), e.count);
                if let Some(r) = running.get_mut(&e.bucket) {
                    *r += e.count;
                }
                if let Some(r) = running_area.get_mut(&e.bucket) {
                    *r += e.area_m2;
                }
            }
            WeekPoint {
                week,
                entered,
                cumulative: running.clone(),
                cumulative_area_m2: running_area.clone(),
            }
        })
        .collect()
}

/// Counts and areas by status, commune and working group, and progress week by week, of a
/// project the caller may see (the caller checks that; the figures name nobody).
#[tracing::instrument(skip_all, fields(project_id = project.id))]
pub async fn progress(
    conn: &impl ConnectionTrait,
    project: &projects::Model,
) -> AppResult<Progress> {
    let rows = progress_counters::Entity::find()
        .filter(progress_counters::Column::ProjectId.eq(project.id))
        .all(conn)
        .await?;
    let families = sort_rows(&rows);
    let by_commune = commune_breakdowns(conn, families.communes).await?;
    let by_working_group = group_breakdowns(conn, project.id, families.groups).await?;
    Ok(Progress {
        project: project.code.clone(),
        households: StanceCounts {
            total: families.stances.values().sum(),
            by_stance: families.stances,
        },
        parcels: families.overall.0,
        area_m2: families.overall.1,
        by_commune,
        by_working_group,
        over_time: over_time(families.weeks),
    })
}
