use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{Stance, Topic, VisitKind};

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    pub text: String,
    /// Who promised: e.g. the working group, the commune, the investor, the household.
    pub owner: String,
    pub due_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    pub household_id: i32,
    pub working_group_id: i32,
    /// RFC 3339 with offset, e.g. `2026-11-25T09:30:00+07:00`.
    pub visited_at: DateTime<FixedOffset>,
    pub kind: VisitKind,
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub topics: Vec<Topic>,
    pub stance: Stance,
    #[serde(default)]
    pub concerns: String,
    #[serde(default)]
    pub commitments: Vec<NewCommitment>,
    pub next_visit_on: Option<NaiveDate>,
    pub location: Option<Location>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommitmentDto {
    pub id: i32,
    pub text: String,
    pub owner: String,
    pub due_date: Option<NaiveDate>,
    pub done: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VisitDto {
    pub id: i32,
    pub project_id: i32,
    pub household_id: i32,
    pub working_group_id: i32,
    pub visited_at: String,
    pub kind: VisitKind,
    pub participants: Vec<String>,
    pub topics: Vec<Topic>,
    pub stance: Stance,
    pub concerns: String,
    pub commitments: Vec<CommitmentDto>,
    pub next_visit_on: Option<NaiveDate>,
    pub location: Option<Location>,
    /// The `Idempotency-Key` the visit was logged with.
    pub client_id: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    pub household: Option<i32>,
    pub working_group: Option<i32>,
    /// Visits on or after this date (`YYYY-MM-DD`).
    pub from: Option<NaiveDate>,
    /// Visits on or before this date.
    pub to: Option<NaiveDate>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a visit; absent fields keep their value. Commitments are ticked separately
/// (`POST /api/v1/commitments/{id}/done`).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitPatch {
    pub visited_at: Option<DateTime<FixedOffset>>,
    pub kind: Option<VisitKind>,
    pub participants: Option<Vec<String>>,
    pub topics: Option<Vec<Topic>>,
    pub stance: Option<Stance>,
    pub concerns: Option<String>,
    /// A date, or `null` to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub next_visit_on: Option<Option<NaiveDate>>,
    /// A point, or `null` to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Location>)]
    pub location: Option<Option<Location>>,
}

/// The content of a visit before one edit.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VisitRevisionDto {
    pub id: i32,
    pub visit_id: i32,
    /// When the edit was made.
    pub edited_at: String,
    pub edited_by: Option<i32>,
    pub edited_by_username: Option<String>,
    /// The visit's fields as they were before this edit: `visited_at`, `kind`,
    /// `participants`, `topics`, `stance`, `concerns`, `next_visit_on`, `location`.
    #[schema(value_type = Object)]
    pub previous: serde_json::Value,
}

/// A commitment and whether (and when, by whom) it was done.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommitmentStateDto {
    pub id: i32,
    pub visit_id: i32,
    pub household_id: i32,
    pub text: String,
    pub owner: String,
    pub due_date: Option<NaiveDate>,
    pub done: bool,
    pub done_at: Option<String>,
    pub done_by: Option<i32>,
}
