use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{CaseStage, GrievanceStatus};
use crate::legal::RuleDto;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StageEventDto {
    pub id: i32,
    pub stage: CaseStage,
    /// Set when the stage concerns one parcel only.
    pub parcel_id: Option<i32>,
    pub occurred_on: NaiveDate,
    pub document_no: Option<String>,
    pub note: String,
    /// Username of who recorded it.
    pub recorded_by: Option<String>,
    /// Their name, as histories show people.
    pub recorded_by_name: Option<String>,
    pub recorded_at: String,
    /// Recorded by an administrator over a rule (see `override_reason`).
    pub overridden: bool,
    pub override_reason: Option<String>,
    /// Enforcement: the scheduled local time (RFC 3339, +07:00).
    pub scheduled_at: Option<String>,
    /// The deadline this stage started: `due_stage` must be reached by `due_on`.
    pub due_on: Option<NaiveDate>,
    pub due_stage: Option<CaseStage>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeadlineDto {
    /// The stage that must be reached.
    pub stage: CaseStage,
    pub due_on: NaiveDate,
    /// Negative when overdue.
    pub days_left: i64,
    pub overdue: bool,
    /// The recorded stage event that started it.
    pub from_event: i32,
    pub rule: RuleDto,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NextStepDto {
    /// The next stage in legal order not yet recorded.
    pub stage: CaseStage,
    /// The stage that must be recorded first (already recorded when `ready`).
    pub prerequisite: Option<CaseStage>,
    pub ready: bool,
    /// The legal deadline for it, if a recorded stage started one.
    pub due_on: Option<NaiveDate>,
    /// Negative when overdue.
    pub days_left: Option<i64>,
    pub overdue: bool,
    /// Days since the last recorded stage, when no deadline applies (e.g. plan approval).
    pub elapsed_days: Option<i64>,
    pub rule: RuleDto,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OpenGrievanceDto {
    pub id: i32,
    pub kind: crate::legal::GrievanceKind,
    pub status: GrievanceStatus,
    pub received_on: NaiveDate,
    pub resolve_by: Option<NaiveDate>,
    pub days_left: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ParcelCaseDto {
    pub parcel_id: i32,
    pub current_stage: Option<CaseStage>,
    pub next: Option<NextStepDto>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseDto {
    pub household_id: i32,
    /// The project's code.
    pub project: String,
    /// The strictest land kind among the household's parcels (sets the notice period).
    pub land_kind: crate::legal::LandKind,
    /// Every recorded stage, in date order.
    pub stages: Vec<StageEventDto>,
    /// The furthest stage in legal order reached (enforcement when recorded last).
    pub current_stage: Option<CaseStage>,
    pub next: Option<NextStepDto>,
    /// Deadlines started by recorded stages and not yet met, soonest first.
    pub open_deadlines: Vec<DeadlineDto>,
    /// Parcels whose stages differ from the household's (events recorded per parcel).
    pub parcels: Vec<ParcelCaseDto>,
    /// Open grievances of the household: shown beside the stage, never a stop — a complaint
    /// does not suspend inventory, recovery or enforcement (Decree 102/2024 Art. 40).
    pub open_grievances: Vec<OpenGrievanceDto>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStage {
    pub stage: CaseStage,
    pub occurred_on: NaiveDate,
    pub document_no: Option<String>,
    #[serde(default)]
    pub note: String,
    /// Only this parcel (of the household) reached the stage.
    pub parcel_id: Option<i32>,
    /// Enforcement: the planned local time, RFC 3339 (e.g. `2026-03-16T08:00:00+07:00`).
    pub scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Administrators only: record despite an order rule; audited with `override_reason`.
    #[serde(default)]
    pub r#override: bool,
    pub override_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LegalCalendarDto {
    pub year: i32,
    /// Tết Nguyên Đán (1st day of the 1st lunar month, Vietnamese calendar).
    pub tet: Option<NaiveDate>,
    /// The 5 Tết holiday days counted (last day of the lunar year, 1st–4th of month 1).
    pub tet_holidays: Vec<NaiveDate>,
    /// Every public holiday of the year (both candidates for the day next to 2 September).
    pub holidays: Vec<NaiveDate>,
    /// No enforcement from `from` to `to` (15 days before and after the Tết holiday).
    pub tet_quiet_from: Option<NaiveDate>,
    pub tet_quiet_to: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Gregorian year (default: this year).
    pub year: Option<i32>,
}
