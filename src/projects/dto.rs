use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::projects;

#[derive(Serialize, ToSchema)]
pub struct ProjectDto {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub investor: String,
    /// GeoJSON polygon (WGS84).
    #[schema(value_type = Object)]
    pub boundary: Option<serde_json::Value>,
    pub notice_date: Option<NaiveDate>,
    pub target_handover_date: Option<NaiveDate>,
    pub status: String,
    pub agency: Option<String>,
    pub contact: Option<String>,
}

impl From<projects::Model> for ProjectDto {
    fn from(p: projects::Model) -> Self {
        ProjectDto {
            id: p.id,
            boundary: p
                .boundary
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok()),
            code: p.code,
            name: p.name,
            investor: p.investor,
            notice_date: p.notice_date,
            target_handover_date: p.target_handover_date,
            status: p.status,
            agency: p.agency,
            contact: p.contact,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Unique code, letters, digits and `-`, e.g. `HP-DQ2`.
    pub code: String,
    pub name: String,
    pub investor: String,
    #[schema(value_type = Object)]
    pub boundary: Option<serde_json::Value>,
    pub notice_date: Option<NaiveDate>,
    pub target_handover_date: Option<NaiveDate>,
    pub agency: Option<String>,
    pub contact: Option<String>,
}
