use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserRef {
    pub id: i32,
    pub username: String,
    pub display_name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AreaRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WorkingGroupDto {
    pub id: i32,
    /// The project's code.
    pub project: String,
    pub name: String,
    pub leader: Option<UserRef>,
    /// The administrative units the group covers.
    pub area: Vec<AreaRef>,
    pub members: Vec<UserRef>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkingGroupQuery {
    /// Project code.
    pub project: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkingGroup {
    /// Project code.
    pub project: String,
    pub name: String,
    /// Codes of the administrative units covered. Codes are reused across the 2025 reform:
    /// `CODE@YYYY-MM-DD` names the unit in force on that date; a bare code only a code one unit
    /// has (otherwise 422 `ambiguous_code`).
    #[serde(default)]
    pub area: Vec<String>,
    /// Usernames.
    #[serde(default)]
    pub members: Vec<String>,
    /// Username of the group's leader.
    pub leader: Option<String>,
    /// Administrative units covered, by id (`GET /api/v1/admin-units`), beside or instead of
    /// `area`; the union of both must not be empty.
    #[serde(default)]
    pub area_ids: Vec<i32>,
    /// Members by user id, beside or instead of `members`.
    #[serde(default)]
    pub member_ids: Vec<i32>,
    /// The leader by user id, instead of `leader`.
    pub leader_id: Option<i32>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a working group (administrators); absent fields are kept, lists are replaced
/// whole (send the full list to remove a member or a commune).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingGroupPatch {
    pub name: Option<String>,
    /// Project code.
    pub project: Option<String>,
    /// The leader's user id; `null` leaves the group without a leader.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub leader_id: Option<Option<i32>>,
    /// Every member, by user id.
    pub member_ids: Option<Vec<i32>>,
    /// Every administrative unit covered, by id: communes before or after the 2025 reform,
    /// districts, provinces.
    pub area_ids: Option<Vec<i32>>,
}
