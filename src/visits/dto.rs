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
    pub kind: String,
    pub participants: Vec<String>,
    pub topics: Vec<String>,
    pub stance: String,
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
