//! What the alerts API answers.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::AlertKind;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Project code, e.g. `HPDQ2`; without it, every project the caller may see.
    pub project: Option<String>,
    /// One of the alert kinds.
    pub kind: Option<String>,
    /// Commune (admin-unit) id; the pre-2025 communes merged into it count as it. Preferred
    /// over `commune`: a pre-2025 and a post-2025 unit may share a code.
    pub commune_id: Option<i32>,
    /// Commune code: `CODE@YYYY-MM-DD` names the unit in force that day; a bare `CODE` only a
    /// code one unit has (else 422 `ambiguous_code`). The pre-2025 communes merged into it
    /// count as it. Ignored when `commune_id` is given.
    pub commune: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 500, default 100.
    pub limit: Option<u64>,
    /// `vi` (default) or `en`: the language of `message`.
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CommuneRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    pub kind: AlertKind,
    pub project: String,
    /// Null for project-board tokens (no personal data).
    pub household_id: Option<i32>,
    pub household_code: Option<String>,
    pub parcel_id: Option<i32>,
    pub grievance_id: Option<i32>,
    pub hot_spot_id: Option<i32>,
    pub commitment_id: Option<i32>,
    pub commune: Option<CommuneRef>,
    /// The deadline missed or coming (`YYYY-MM-DD`).
    pub due_on: Option<String>,
    /// Since when the situation holds: last visit, split or change recorded, flagged (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Days overdue (negative: days left), or days since `since`.
    pub days: i64,
    /// Catalogue key of `message` (web/i18n/*/alerts.json) and its `{placeholders}`.
    pub reason_key: String,
    pub params: BTreeMap<String, String>,
    /// Why, in the language asked for.
    pub message: String,
    /// Where to act: `/households/ID` (the case file, for leaders and administrators),
    /// `/field#/h/ID` (the field app's household page, for members) or `/map?parcel=ID`.
    pub link: String,
    /// What the alert is about, for `POST /api/v1/alerts/reviews`: `hot_spot`, `grievance`,
    /// `stage_deadline`, `commitment`, `not_visited`, `household_split`, `parcel_split` or
    /// `land_use_change`.
    pub subject: String,
    pub subject_id: i32,
    /// Who acknowledged it last (display name), and when (RFC 3339).
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    /// Username of the person it was last assigned to.
    pub assignee: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub items: Vec<AlertDto>,
    /// Pass as `?cursor=` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Alerts of each kind under the same project, commune and area (whatever `kind` asks).
    pub counts: BTreeMap<AlertKind, i64>,
    pub total: i64,
    /// Days without a visit after which a household is "not visited", when every project
    /// looked at has the same (`PUT /api/v1/projects/{code}/settings/alerts`).
    pub not_visited_days: Option<i64>,
}

/// How `GET /api/v1/alerts/groups` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Commune,
    WorkingGroup,
    Kind,
}

impl std::fmt::Display for GroupBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupBy::Commune => "commune",
            GroupBy::WorkingGroup => "working_group",
            GroupBy::Kind => "kind",
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupQuery {
    /// `commune`, `working_group` or `kind`.
    pub by: GroupBy,
    /// Project code; without it, every project the caller may see.
    pub project: Option<String>,
    /// Only alerts of this kind.
    pub kind: Option<String>,
    /// Commune (admin-unit) id, as for the list.
    pub commune_id: Option<i32>,
    /// `vi` (default) or `en`: the language of the labels.
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertGroup {
    /// Commune code, working group id or alert kind; `none` for alerts outside any.
    pub key: String,
    /// Commune (admin-unit) id or working group id; pass it as `commune_id` to list them.
    pub id: Option<i32>,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertGroups {
    pub by: GroupBy,
    /// Largest first.
    pub groups: Vec<AlertGroup>,
    /// The list's total under the same filters.
    pub total: i64,
}

/// The alert settings of a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertSettingsDto {
    pub project: String,
    /// Days without a visit after which a household is "not visited" (in force).
    pub not_visited_days: i64,
    /// The server's default (`GPMB_NOT_VISITED_DAYS`), used when the project sets none.
    pub default_not_visited_days: i64,
    /// Whether the project sets its own.
    pub custom: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsInput {
    /// 1 to 365; null goes back to the server's default.
    pub not_visited_days: Option<i64>,
}

/// What is done about an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// A split or land-use change after the cut-off looked at and accepted: its alert goes.
    #[default]
    Review,
    /// Seen: the alert stays, marked with who and when.
    Acknowledge,
    /// Handed to `assignee` (a username).
    Assign,
    /// Hidden until `until` (it comes back that day), `note` says why.
    Snooze,
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Review => "review",
            ReviewAction::Acknowledge => "acknowledge",
            ReviewAction::Assign => "assign",
            ReviewAction::Snooze => "snooze",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    /// The alert's `subject`: `household_split`, `parcel_split` or `land_use_change` for a
    /// review; for the other actions any subject (`hot_spot`, `grievance`, `stage_deadline`,
    /// `commitment`, `not_visited`, …).
    pub subject: String,
    /// The alert's `subject_id` (for a review: the household, the parcel or the land-use
    /// change event id, `alert.params.event_id`).
    pub subject_id: i32,
    #[serde(default)]
    pub note: String,
    /// Default `review`.
    #[serde(default)]
    pub action: ReviewAction,
    /// `assign`: the username of the person.
    pub assignee: Option<String>,
    /// `snooze`: the day the alert comes back (after today).
    pub until: Option<chrono::NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    pub id: i32,
    pub subject: String,
    pub subject_id: i32,
    pub action: ReviewAction,
    pub actor: String,
    pub reviewed_at: String,
    pub note: String,
    pub assignee: Option<String>,
    pub until: Option<chrono::NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotSpotQuery {
    /// `vi` (default) or `en`: the language of `reason`.
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HotSpotDto {
    pub id: i32,
    /// `many_signers`, `repeat_filing` or `commune_open_grievances`.
    pub kind: String,
    pub reason: String,
    pub commune: Option<CommuneRef>,
    /// Null for commune-wide hot spots and for project-board tokens.
    pub household_id: Option<i32>,
    pub grievance_id: Option<i32>,
    pub parcel_ids: Vec<i32>,
    /// Centre of the parcels concerned, or of the commune.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub flagged_on: String,
}
