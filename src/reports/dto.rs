use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The numbers of one date range, for the whole project or one commune / working group.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, Default, PartialEq)]
pub struct Numbers {
    /// Visits logged in the range.
    pub visits: i64,
    /// Visits by kind; every kind appears, zeros included.
    pub visits_by_kind: BTreeMap<String, i64>,
    /// Distinct households visited in the range.
    pub households_visited: i64,
    /// Stance of each visited household at its last visit in the range; every stance appears.
    pub stances: BTreeMap<String, i64>,
    /// Grievances received in the range.
    pub grievances_received: i64,
    /// Grievances resolved in the range.
    pub grievances_resolved: i64,
    /// Grievances open at the end of the range (or today, if earlier) past their acceptance or
    /// resolution deadline.
    pub grievances_overdue: i64,
    /// Households that reached each case stage in the range; every stage appears.
    pub stages_reached: BTreeMap<String, i64>,
    /// Parcels of each status at the end of the range (their last status change by then;
    /// `not_contacted` when none); every status appears.
    pub parcels_by_status: BTreeMap<String, i64>,
    /// Parcels that became `handed_over` in the range, and their recovered area.
    pub parcels_handed_over: i64,
    pub area_handed_over_m2: f64,
    /// Hot spots flagged in the range.
    pub hot_spots: i64,
    /// Household splits and parcel splits recorded in the range after the project's notice date.
    pub household_splits_after_cutoff: i64,
    pub parcel_splits_after_cutoff: i64,
    /// Compensation money (đồng): approved, paid and deposited in the range; in force,
    /// outstanding and past the 30-day limit at its end — the sums of the payment ledger.
    #[serde(default)]
    pub compensation: crate::compensation::totals::Money,
}

/// The numbers of one commune or working group.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
pub struct UnitNumbers {
    pub id: i32,
    /// Official admin-unit code (communes only).
    pub code: Option<String>,
    pub name: String,
    pub numbers: Numbers,
}

/// One date range: totals and the breakdowns.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
pub struct RangeStats {
    /// `2021-Q1`, `2021-H1` or `2021` when the range is a reporting period.
    pub period: Option<String>,
    /// First and last day, `YYYY-MM-DD`, both included (Vietnam time, UTC+7).
    pub from: String,
    pub to: String,
    pub totals: Numbers,
    /// Per commune of the household (or parcel) concerned.
    pub by_commune: Vec<UnitNumbers>,
    /// Per working group: visits, households visited and stances by the group that made the
    /// visit; the other numbers are those of the communes in the group's area.
    pub by_working_group: Vec<UnitNumbers>,
}

/// The period numbers of a project and those of the period before it (same length).
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
pub struct PeriodStats {
    pub project: String,
    pub project_name: String,
    pub current: RangeStats,
    pub previous: RangeStats,
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `2021-Q1`, `2021-H1` or `2021`; or give `from` and `to`.
    pub period: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day (included), `YYYY-MM-DD`.
    pub to: Option<String>,
}
