use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{Channel, GrievanceKind, GrievanceStatus};
use crate::legal::RuleDto;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GrievanceHouseholdDto {
    pub household_id: i32,
    pub code: String,
    pub head_name: String,
    pub parcel_id: Option<i32>,
}

/// The step of a grievance a deadline is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStep {
    /// Thụ lý.
    Accept,
    /// Denunciations: telling the parties of the acceptance.
    Notify,
    Resolve,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DueDto {
    pub step: DeadlineStep,
    pub due_on: NaiveDate,
    /// Negative when overdue.
    pub days_left: i64,
    pub overdue: bool,
    pub rule: RuleDto,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GrievanceDto {
    pub id: i32,
    /// The project's code.
    pub project: String,
    pub kind: GrievanceKind,
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub content: String,
    /// `received` and `accepted` are open.
    pub status: GrievanceStatus,
    /// Username of the official handling it.
    pub assignee: Option<String>,
    pub complex: bool,
    pub especially_complex: bool,
    pub remote_area: bool,
    /// 1, or 2 for a second-round complaint.
    pub round: i32,
    /// The first-round complaint of a second round.
    pub parent_id: Option<i32>,
    /// Households (people) who signed.
    pub signers: i32,
    /// The signing households inside the caller's area.
    pub households: Vec<GrievanceHouseholdDto>,
    /// How many other households, outside the caller's area, signed too (never named).
    pub households_outside: i32,
    pub accepted_on: Option<NaiveDate>,
    pub accept_by: Option<NaiveDate>,
    /// Denunciations: the parties must be told of the acceptance by then (working days).
    pub notify_by: Option<NaiveDate>,
    pub resolve_by: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    /// The decision's (or incoming letter's) document number.
    pub document_no: Option<String>,
    /// The acceptance's (thụ lý) document number.
    pub accept_no: Option<String>,
    /// The compensation plan line the grievance disputes, if any.
    pub plan_line_id: Option<i32>,
    /// That line as the grievance shows it: filled when one grievance is read (not in lists),
    /// and only if the caller may see the line's household.
    pub plan_line: Option<DisputedLineDto>,
    pub created_at: String,
    /// The next deadline of an open grievance, with days left and its rule.
    pub next_deadline: Option<DueDto>,
    /// First-round complaints: the last day a second-round complaint may be filed, once known.
    pub appeal_by: Option<NaiveDate>,
}

/// The compensation plan line an objection disputes.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DisputedLineDto {
    pub id: i32,
    pub plan_id: i32,
    /// The plan's version number for the household.
    pub plan_number: i32,
    pub household_id: i32,
    pub line_no: i32,
    pub label: String,
    /// Đồng.
    pub amount: i64,
    pub article: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrievanceHouseholdInput {
    pub household_id: i32,
    pub parcel_id: Option<i32>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrievance {
    /// Project code.
    pub project: String,
    pub kind: GrievanceKind,
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub content: String,
    /// One or many households, each optionally with the parcel concerned.
    pub households: Vec<GrievanceHouseholdInput>,
    #[serde(default)]
    pub remote_area: bool,
    #[serde(default)]
    pub complex: bool,
    /// Denunciations: especially complex (two 30-day extensions).
    #[serde(default)]
    pub especially_complex: bool,
    /// People who signed; at least the number of households (the default).
    pub signers: Option<i32>,
    pub document_no: Option<String>,
    /// An objection to the compensation plan: the line it disputes (`GET /plans/{id}` ids).
    pub plan_line_id: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrievanceAction {
    /// Thụ lý: `on` is the acceptance date (default today), `document_no` its number.
    Accept,
    /// Hand it to `assignee` (a username).
    Assign,
    /// Decision/answer: `outcome` required, `document_no`, `on` = resolved date.
    Resolve,
    /// Refuse to accept: `outcome` says why.
    Reject,
    Withdraw,
    /// Change `complex`, `especially_complex` or `remote_area`; deadlines are recomputed.
    Update,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrievancePatch {
    pub action: GrievanceAction,
    pub on: Option<NaiveDate>,
    pub assignee: Option<String>,
    pub outcome: Option<String>,
    pub document_no: Option<String>,
    pub complex: Option<bool>,
    pub especially_complex: Option<bool>,
    pub remote_area: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppeal {
    pub received_on: NaiveDate,
    pub content: String,
    /// Default: the first round's channel.
    pub channel: Option<Channel>,
    /// Default: the first round's flag.
    pub remote_area: Option<bool>,
    #[serde(default)]
    pub complex: bool,
    pub document_no: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrievanceQuery {
    /// Project code.
    pub project: Option<String>,
    /// A status, or `open` (received or accepted).
    pub status: Option<String>,
    /// Household id.
    pub household: Option<i32>,
    pub kind: Option<String>,
    /// Username of the official handling it, or `none` for those not assigned yet.
    pub assignee: Option<String>,
    /// Commune (admin-unit) id: grievances signed by a household of the commune (the pre-2025
    /// communes merged into it count as it).
    pub commune_id: Option<i32>,
    /// `id` (default, oldest first) or `deadline`: open grievances first, the most overdue
    /// (then the nearest deadline) first, closed ones last, newest first.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// An official a grievance may be assigned to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssigneeDto {
    pub username: String,
    pub display_name: String,
    pub role: String,
}
