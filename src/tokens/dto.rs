use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::TokenAccess;
use crate::working_groups::dto::UserRef;

/// An API token as administrators see it: never its secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i32,
    /// The project's code.
    pub project: String,
    pub label: String,
    pub access: TokenAccess,
    pub created_at: String,
    /// The administrator who created it; null when made on the command line.
    pub created_by: Option<UserRef>,
    /// Last use (RFC 3339, written at most once a minute); null if never used.
    pub last_used_at: Option<String>,
    /// When it was revoked; a revoked token is refused with 401.
    pub revoked_at: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who uses it, e.g. the project board's system (1 to 100 characters).
    pub label: String,
    /// `read` or `write`.
    #[schema(value_type = TokenAccess)]
    pub access: String,
}

/// A token just created: the secret is in this answer and nowhere else, ever.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: TokenDto,
    /// Send as `Authorization: Bearer <secret>`; store it now, it cannot be shown again.
    pub secret: String,
}
