//! What `/progress` answers (and the dashboard and the public page reuse).
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

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

#[derive(Serialize, ToSchema, Clone)]
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
