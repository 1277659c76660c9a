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
    /// Commune code: the unit in force today (`CODE`) or on a day (`CODE@YYYY-MM-DD`); the
    /// pre-2025 communes merged into it count as it. Ignored when `commune_id` is given.
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
    /// Where to act: `/field#/h/ID` (the field app's household page) or `/map?parcel=ID`.
    pub link: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub items: Vec<AlertDto>,
    /// Pass as `?cursor=` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Alerts of each kind under the same project, commune and area (whatever `kind` asks).
    pub counts: BTreeMap<AlertKind, i64>,
    pub total: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReview {
    /// `household_split`, `parcel_split` or `land_use_change`.
    pub subject: String,
    /// The household (split), parcel (split) or land-use change event id (`alert.params.event_id`).
    pub subject_id: i32,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    pub id: i32,
    pub subject: String,
    pub subject_id: i32,
    pub actor: String,
    pub reviewed_at: String,
    pub note: String,
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
