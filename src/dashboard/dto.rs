use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::ParcelStatus;
use crate::progress::dto::{Areas, Breakdown, Counts, StanceCounts, WeekPoint};

/// A parcel status, its place in the order and its colour on maps and charts.
#[derive(Serialize, ToSchema)]
pub struct StatusInfo {
    pub status: ParcelStatus,
    /// `#rrggbb`.
    pub colour: String,
    /// 0-based position in the domain's status order.
    pub order: usize,
}

#[derive(Serialize, ToSchema)]
pub struct StatusList {
    pub items: Vec<StatusInfo>,
    /// Always null: the list is short and complete.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectSummary {
    pub code: String,
    pub name: String,
    pub investor: String,
    /// `YYYY-MM-DD`.
    pub notice_date: Option<String>,
    /// `YYYY-MM-DD`.
    pub target_handover_date: Option<String>,
}

/// A working group and the parcel communes (codes as parcels carry them, pre-2025 units
/// included) its area covers: what the map's group filter selects.
#[derive(Serialize, ToSchema)]
pub struct GroupCommunes {
    pub id: i32,
    pub name: String,
    pub communes: Vec<String>,
}

/// The handed-over trend extended in a straight line.
#[derive(Serialize, ToSchema)]
pub struct ProjectionDto {
    /// Parcels handed over per week over the recent weeks.
    pub parcels_per_week: f64,
    /// When the trend reaches every parcel, `YYYY-MM-DD`.
    pub projected_handover_date: String,
    /// Whether that is on or before the target handover date (null without a target).
    pub on_track: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ChartLinks {
    pub progress: String,
    pub progress_area: String,
    pub by_status: String,
    pub by_commune: String,
    pub by_working_group: String,
}

/// Everything the dashboard shows for a project.
#[derive(Serialize, ToSchema)]
pub struct Dashboard {
    pub project: ProjectSummary,
    pub statuses: Vec<StatusInfo>,
    /// The same figures as `/progress`.
    pub parcels: Counts,
    pub area_m2: Areas,
    pub households: StanceCounts,
    pub by_commune: Vec<Breakdown>,
    pub by_working_group: Vec<Breakdown>,
    pub working_groups: Vec<GroupCommunes>,
    /// Every week from the first status event to the last (weeks without events repeat the
    /// running totals).
    pub over_time: Vec<WeekPoint>,
    /// Null when the handed-over trend does not rise or nothing is left.
    pub projection: Option<ProjectionDto>,
    /// SVG charts of these figures.
    pub charts: ChartLinks,
    /// The compensation ledger's sums to today (đồng), no household named.
    pub compensation: crate::compensation::totals::Money,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `vi` (default) or `en`.
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StanceQuery {
    /// `agrees`, `considering`, `disagrees`, `refuses_contact`, or `none` (not visited yet).
    pub stance: String,
}

/// Parcels used by households of one stance (for the map's stance filter).
#[derive(Serialize, ToSchema)]
pub struct StanceParcels {
    pub stance: String,
    pub parcel_ids: Vec<i32>,
    /// How many of those parcels are in each status (the map's legend counts).
    pub by_status: std::collections::BTreeMap<String, u64>,
}

/// Changes whenever a parcel of the project changes status: maps poll it to know when to
/// re-request their tiles.
#[derive(Serialize, ToSchema)]
pub struct ChangeStamp {
    pub stamp: String,
}
