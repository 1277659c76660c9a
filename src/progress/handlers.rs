use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::Json;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::counters::{
    NO_STANCE, STANCE, STATUS, STATUS_BY_COMMUNE, STATUS_BY_GROUP, STATUS_WEEKLY,
};
use crate::auth::Principal;
use crate::domain::{ParcelStatus, Stance};
use crate::entities::{admin_units, progress_counters, working_groups};
use crate::error::AppResult;
use crate::extract::ApiPath;
use crate::state::AppState;

#[derive(Serialize, ToSchema, Default)]
pub struct Counts {
    pub total: i64,
    /// Every status (or stance) appears, zeros included.
    pub by_status: BTreeMap<String, i64>,
}

#[derive(Serialize, ToSchema, Default)]
pub struct Areas {
    pub total: f64,
    pub by_status: BTreeMap<String, f64>,
}

#[derive(Serialize, ToSchema)]
pub struct StanceCounts {
    pub total: i64,
    /// Stance of each household's last visit; `none` for households not yet visited.
    pub by_stance: BTreeMap<String, i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Breakdown {
    pub id: i32,
    pub code: Option<String>,
    pub name: String,
    pub parcels: Counts,
    pub area_m2: Areas,
}

#[derive(Serialize, ToSchema)]
pub struct WeekPoint {
    /// Monday of the week, `YYYY-MM-DD` (UTC).
    pub week: String,
    /// Parcels that entered each status during the week.
    pub entered: BTreeMap<String, i64>,
    /// Parcels and area that reached agreed / paid / handed_over by the end of the week.
    pub cumulative: BTreeMap<String, i64>,
    pub cumulative_area_m2: BTreeMap<String, f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Progress {
    pub project: String,
    pub parcels: Counts,
    pub area_m2: Areas,
    pub households: StanceCounts,
    pub by_commune: Vec<Breakdown>,
    pub by_working_group: Vec<Breakdown>,
    pub over_time: Vec<WeekPoint>,
}

fn empty_counts() -> (Counts, Areas) {
    let mut c = Counts::default();
    let mut a = Areas::default();
    for s in ParcelStatus::ALL {
        c.by_status.insert(s.as_str().to_string(), 0);
        a.by_status.insert(s.as_str().to_string(), 0.0);
    }
    (c, a)
}

fn add(counts: &mut (Counts, Areas), row: &progress_counters::Model) {
    counts.0.total += row.count;
    *counts.0.by_status.entry(row.bucket.clone()).or_default() += row.count;
    counts.1.total += row.area_m2;
    *counts.1.by_status.entry(row.bucket.clone()).or_default() += row.area_m2;
}

/// Milestones whose running totals the over-time chart shows.
const MILESTONES: [ParcelStatus; 3] = [
    ParcelStatus::Agreed,
    ParcelStatus::Paid,
    ParcelStatus::HandedOver,
];

/// Counts and areas by status, commune and working group, and progress week by week.
#[utoipa::path(get, path = "/api/v1/projects/{code}/progress", tag = "projects",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    responses((status = 200, body = Progress), (status = 404, body = crate::error::ErrorEnvelope)))]
pub async fn progress(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Progress>> {
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    let rows = progress_counters::Entity::find()
        .filter(progress_counters::Column::ProjectId.eq(project.id))
        .all(conn)
        .await?;

    let mut overall = empty_counts();
    let mut communes: HashMap<i32, (Counts, Areas)> = HashMap::new();
    let mut groups: HashMap<i32, (Counts, Areas)> = HashMap::new();
    let mut weeks: BTreeMap<String, Vec<&progress_counters::Model>> = BTreeMap::new();
    let mut stances: BTreeMap<String, i64> = Stance::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    stances.insert(NO_STANCE.to_string(), 0);
    for row in &rows {
        match row.metric.as_str() {
            STATUS => add(&mut overall, row),
            STATUS_BY_COMMUNE | STATUS_BY_GROUP => {
                let Ok(id) = row.dim_key.parse::<i32>() else {
                    continue;
                };
                let map = if row.metric == STATUS_BY_COMMUNE {
                    &mut communes
                } else {
                    &mut groups
                };
                add(map.entry(id).or_insert_with(empty_counts), row);
            }
            STATUS_WEEKLY => weeks.entry(row.dim_key.clone()).or_default().push(row),
            STANCE => *stances.entry(row.bucket.clone()).or_default() += row.count,
            _ => {}
        }
    }

    let commune_names: HashMap<i32, admin_units::Model> = admin_units::Entity::find()
        .filter(admin_units::Column::Id.is_in(communes.keys().copied().collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let group_names: HashMap<i32, String> = working_groups::Entity::find()
        .filter(working_groups::Column::ProjectId.eq(project.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();

    let mut by_commune: Vec<Breakdown> = communes
        .into_iter()
        .map(|(id, (parcels, area_m2))| {
            let unit = commune_names.get(&id);
            Breakdown {
                id,
                code: unit.map(|u| u.code.clone()),
                name: unit.map(|u| u.name.clone()).unwrap_or_default(),
                parcels,
                area_m2,
            }
        })
        .collect();
    by_commune.sort_by(|a, b| a.code.cmp(&b.code));
    let mut by_working_group: Vec<Breakdown> = groups
        .into_iter()
        .map(|(id, (parcels, area_m2))| Breakdown {
            id,
            code: None,
            name: group_names.get(&id).cloned().unwrap_or_default(),
            parcels,
            area_m2,
        })
        .collect();
    by_working_group.sort_by_key(|b| b.id);

    let mut running: BTreeMap<String, i64> = MILESTONES
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut running_area: BTreeMap<String, f64> = MILESTONES
        .iter()
        .map(|s| (s.as_str().to_string(), 0.0))
        .collect();
    let over_time = weeks
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
        .collect();

    Ok(Json(Progress {
        project: project.code,
        households: StanceCounts {
            total: stances.values().sum(),
            by_stance: stances,
        },
        parcels: overall.0,
        area_m2: overall.1,
        by_commune,
        by_working_group,
        over_time,
    }))
}
