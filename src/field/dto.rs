use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::compensation::calc::Dong;
use crate::compensation::dto::{GroupTotal, InventoryDto, LedgerDto};
use crate::domain::{Channel, GrievanceKind, GrievanceStatus, ParcelStatus, PlanStatus, Stance};
use crate::households::dto::{CommuneRef, HouseholdDto, HouseholdParcelDto};
use crate::visits::dto::VisitDto;
use crate::working_groups::dto::UserRef;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyWorkQuery {
    /// Name, CCCD, household code (diacritics and case ignored), or a parcel as
    /// `số tờ/số thửa` (`12/345`, `tờ 12 thửa 345`).
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// Why a household is on the work list, most urgent first: `assigned` (a group leader asked
/// the caller to visit by `date`), `visit_overdue`, `commitment_overdue`, `visit_due` (the
/// next visit set at the last visit, `date`), `commitment_due` (the earliest open commitment),
/// `disagrees` (stance `disagrees` or `refuses_contact`), `not_visited` (no visit for `days`
/// days, or never when `days` is null).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    Assigned,
    VisitOverdue,
    CommitmentOverdue,
    VisitDue,
    CommitmentDue,
    Disagrees,
    NotVisited,
}

/// Why a household is on the work list (see [`ReasonKind`]).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Reason {
    pub kind: ReasonKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssignmentDto {
    pub id: i32,
    pub household_id: i32,
    pub assignee: UserRef,
    pub assigned_by: Option<UserRef>,
    pub due_on: NaiveDate,
    pub note: String,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WorkItemDto {
    pub id: i32,
    pub project: String,
    pub code: String,
    pub head_name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    pub commune: CommuneRef,
    /// `[{"name", "relation", "birth_year"}]`.
    #[schema(value_type = Vec<Object>)]
    pub members: serde_json::Value,
    pub stance: Option<Stance>,
    pub last_visit_at: Option<String>,
    /// The next visit set at the latest visit.
    pub next_visit_on: Option<NaiveDate>,
    pub open_commitments: i64,
    pub parcels: Vec<HouseholdParcelDto>,
    /// Why the household is listed, most urgent first; empty when nothing is due.
    pub reasons: Vec<Reason>,
    /// The caller's open next-visit assignment for this household.
    pub assignment: Option<AssignmentDto>,
    /// The household's inventory and plan in short; null when it has neither.
    pub compensation: Option<CompensationSummaryDto>,
}

/// The household's inventory (biên bản kiểm đếm) in short.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InventoryRefDto {
    pub record_no: String,
    pub inventoried_on: NaiveDate,
    /// Send it in `If-Match` to change the inventory.
    pub version: i32,
    /// How many lines it counts.
    pub items: i64,
}

/// A compensation plan version in short, for the working group to explain its numbers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanBriefDto {
    pub id: i32,
    /// The version's number for the household (1, 2…).
    pub number: i32,
    pub status: PlanStatus,
    /// What the household receives, in đồng.
    pub net: Dong,
    /// Per group of lines, in the order the plan prints them (deductions negative).
    pub totals: Vec<GroupTotal>,
    pub posted_on: Option<NaiveDate>,
    /// The last day of the posting at the commune.
    pub posting_ends_on: Option<NaiveDate>,
    pub approved_on: Option<NaiveDate>,
    /// The approval decision, e.g. `1234/QĐ-UBND`.
    pub decision_no: Option<String>,
    pub approving_body: Option<String>,
    /// The last day of the 30-day payment limit.
    pub payment_due_on: Option<NaiveDate>,
    /// Approved plans: paid, deposited, balance and days overdue today.
    pub ledger: Option<LedgerDto>,
}

/// What the household has (inventory) and is offered (plan), as the field app shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CompensationSummaryDto {
    pub inventory: Option<InventoryRefDto>,
    /// The newest plan version.
    pub plan: Option<PlanBriefDto>,
    /// The approved version still being paid, when a newer version (a revision) exists.
    pub approved: Option<PlanBriefDto>,
}

/// Who must visit, by when. `assignee` is a username or a user id.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    #[schema(value_type = Object)]
    pub assignee: serde_json::Value,
    pub due_on: NaiveDate,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GroupRef {
    pub id: i32,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldParcelDto {
    pub id: i32,
    pub map_sheet: String,
    pub parcel_no: String,
    pub land_use: String,
    pub area_m2: f64,
    pub status: ParcelStatus,
    /// GeoJSON geometry (WGS84).
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GrievanceRefDto {
    pub id: i32,
    pub kind: GrievanceKind,
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub status: GrievanceStatus,
    pub content: String,
    pub resolve_by: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldVisitDto {
    #[serde(flatten)]
    pub visit: VisitDto,
    pub author: Option<String>,
    /// Whether the caller may still edit it (its author, within 48 hours).
    pub editable: bool,
    /// How many times it was edited.
    pub revisions: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OpenCommitmentDto {
    pub id: i32,
    pub visit_id: i32,
    pub text: String,
    pub owner: String,
    pub due_date: Option<NaiveDate>,
}

/// Everything the field app shows for one household, in one answer (so it can be cached
/// for offline use).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldHouseholdDto {
    pub household: HouseholdDto,
    pub reasons: Vec<Reason>,
    pub parcels: Vec<FieldParcelDto>,
    /// Newest first (up to 100).
    pub visits: Vec<FieldVisitDto>,
    pub open_commitments: Vec<OpenCommitmentDto>,
    pub grievances: Vec<GrievanceRefDto>,
    /// Open assignments the caller may see: its own, or all when it may assign.
    pub assignments: Vec<AssignmentDto>,
    /// The caller's working groups that cover this household (to log a visit with).
    pub my_groups: Vec<GroupRef>,
    /// Whether the caller may assign the next visit (leader of a covering group, or admin).
    pub can_assign: bool,
    /// Who can be assigned: members of the covering groups the caller leads.
    pub assignable: Vec<UserRef>,
    /// The household's inventory and plan in short; null when it has neither.
    pub compensation: Option<CompensationSummaryDto>,
    /// The inventory in full, for the field app's inventory form (its `version` goes in
    /// `If-Match`).
    pub inventory: Option<InventoryDto>,
}

/// The keys of the field app's encrypted offline store (`GET /api/v1/field/key`): AES-GCM, 256
/// bits, base64. `key` seals the copy of households and ends with the session; `outbox_key`
/// seals the visits and inventories waiting to be sent and is the same for every session of
/// the user. The ids name the keys (a record sealed under another key cannot be opened).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldKeyDto {
    pub key: String,
    pub key_id: String,
    pub outbox_key: String,
    pub outbox_key_id: String,
    /// The app deletes its copy of households and both keys when not opened for this long.
    pub wipe_after_days: i64,
}
