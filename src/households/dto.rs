use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{CaseStage, ParcelStatus, Stance, VisitKind};

/// The flags a household may carry (SPEC: poor household, people with merit, ethnic
/// minority, elderly living alone).
pub const VULNERABLE_FLAGS: &[&str] = &["poor", "merit", "ethnic_minority", "elderly_alone"];

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommuneRef {
    pub id: i32,
    /// Official code of the administrative unit (e.g. `21043`).
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdParcelDto {
    /// The parcel's id.
    pub id: i32,
    pub map_sheet: String,
    pub parcel_no: String,
    /// The household's share of the parcel (1 for sole use).
    pub share: f64,
    pub status: ParcelStatus,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdDto {
    pub id: i32,
    /// The project's code.
    pub project: String,
    pub code: String,
    pub head_name: String,
    /// CCCD number, masked (`051*******45`); the full number is
    /// `GET /households/{id}/id-number` (audited).
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    pub commune: CommuneRef,
    /// People of the household: `[{"name", "relation", "birth_year"}]`.
    #[schema(value_type = Vec<Object>)]
    pub members: serde_json::Value,
    /// Flags among `poor`, `merit`, `ethnic_minority`, `elderly_alone`.
    pub vulnerable: Vec<String>,
    /// The household this one split from.
    pub split_from: Option<i32>,
    /// A split recorded after the project's notice date (the cut-off): such a household is
    /// not entitled to separate resettlement by default and needs a decision.
    pub split_after_cutoff: bool,
    /// Bumped by every edit: send it back in `If-Match` to change the household.
    pub version: i32,
    /// Stance at the last visit; null before the first visit.
    pub stance: Option<Stance>,
    pub last_visit_at: Option<String>,
    pub parcels: Vec<HouseholdParcelDto>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecentVisitDto {
    pub id: i32,
    pub visited_at: String,
    pub kind: VisitKind,
    pub stance: Stance,
    pub working_group_id: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OpenCommitmentDto {
    pub id: i32,
    pub text: String,
    pub owner: String,
    pub due_date: Option<NaiveDate>,
    pub visit_id: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdDetailDto {
    #[serde(flatten)]
    pub household: HouseholdDto,
    /// The last 10 visits, newest first.
    pub recent_visits: Vec<RecentVisitDto>,
    /// Commitments made at visits and not yet done.
    pub open_commitments: Vec<OpenCommitmentDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdQuery {
    /// Name, member name, CCCD or household code; diacritics and case are ignored
    /// (`nguyen van a` finds `Nguyễn Văn A`).
    pub q: Option<String>,
    /// Project code.
    pub project: Option<String>,
    /// Commune (admin unit) id; also matches the communes merged into it in 2025. Preferred
    /// over `commune`.
    pub commune_id: Option<i32>,
    /// Commune code, with the communes merged into it in 2025: `CODE@YYYY-MM-DD` names the
    /// unit in force that day; a bare `CODE` only a code one unit has (21061 was Bình Trị until
    /// 2025 and is Vạn Tường since: 422 `ambiguous_code`).
    pub commune: Option<String>,
    /// Stance at the last visit.
    pub stance: Option<Stance>,
    /// Households that have reached (recorded) this case stage.
    pub stage: Option<CaseStage>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub name: String,
    /// E.g. `chủ hộ`, `vợ`, `con`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHouseholdParcel {
    pub parcel_id: i32,
    /// Share of the parcel used by this household, in (0, 1]; 1 when absent.
    pub share: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHousehold {
    /// Project code.
    pub project: String,
    /// Household code, unique in the project; generated when absent.
    pub code: Option<String>,
    pub head_name: String,
    /// CCCD (12 digits, a known province code) or old CMND (9 digits).
    pub id_number: Option<String>,
    pub phone: Option<String>,
    #[serde(default)]
    pub address: String,
    /// Commune code (e.g. `21043`).
    pub commune: String,
    #[serde(default)]
    pub members: Vec<MemberInput>,
    /// Among `poor`, `merit`, `ethnic_minority`, `elderly_alone`.
    #[serde(default)]
    pub vulnerable: Vec<String>,
    #[serde(default)]
    pub parcels: Vec<NewHouseholdParcel>,
    /// Id of the household this one split from.
    pub split_from: Option<i32>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPatch {
    /// Name of the head of the household.
    pub head_name: Option<String>,
    /// CCCD (12 digits); `null` or `""` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub id_number: Option<Option<String>>,
    /// A new phone number; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub address: Option<String>,
    pub members: Option<Vec<MemberInput>>,
    pub vulnerable: Option<Vec<String>>,
}

/// One edit of a household: what it was before, which fields changed, who and when.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdRevisionDto {
    /// The version the edit replaced (the household then had `version + 1`).
    pub version: i32,
    /// Fields changed by the edit.
    pub fields: Vec<String>,
    /// The household before the edit: head_name, id_number, phone, address, members, vulnerable.
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// Username of who edited it.
    pub edited_by: Option<String>,
    pub edited_at: String,
}

/// A household's CCCD in full, as a reveal answers it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IdNumberDto {
    pub id: i32,
    /// 12 digits; null when none is recorded.
    pub id_number: Option<String>,
}
