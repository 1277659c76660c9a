use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::Role;

/// A user account as administrators see it (never the password hash).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A disabled user cannot log in and every session of theirs has ended.
    pub disabled: bool,
    pub created_at: String,
    /// When the user last logged in (RFC 3339); null if never since this was recorded.
    pub last_login_at: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1 to 64 characters, no spaces; unique.
    pub username: String,
    pub display_name: String,
    /// `admin`, `leader`, `district_leader` or `member` (`project_board` is for API tokens).
    #[schema(value_type = Role)]
    pub role: String,
    /// At least 12 characters.
    pub password: String,
}

/// What an administrator changes on a user; absent fields are kept.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    /// `true` ends every session of the user at once.
    pub disabled: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The new password, at least 12 characters.
    pub password: String,
}
