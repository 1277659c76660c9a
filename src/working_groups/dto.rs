use serde::{Deserialize, Serialize};
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
    /// `CODE@YYYY-MM-DD` names the unit in force on that date; a bare code the unit in force now.
    pub area: Vec<String>,
    /// Usernames.
    #[serde(default)]
    pub members: Vec<String>,
    /// Username of the group's leader.
    pub leader: Option<String>,
}
