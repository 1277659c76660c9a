use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::domain::ProjectStatus;
use crate::entities::{project_milestones, project_parties, projects};

#[derive(Serialize, ToSchema)]
pub struct ProjectDto {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub investor: String,
    /// GeoJSON polygon (WGS84).
    #[schema(value_type = Object)]
    pub boundary: Option<serde_json::Value>,
    /// The cut-off: the date the land recovery notice was issued.
    pub notice_date: Option<NaiveDate>,
    pub target_handover_date: Option<NaiveDate>,
    /// `closed`: read-only, every write into the project answers 409 `project_closed`.
    pub status: ProjectStatus,
    pub agency: Option<String>,
    pub contact: Option<String>,
    /// Optimistic-concurrency version: send it back in `If-Match` to change the project.
    pub version: i32,
    /// Who saved the project last.
    pub updated_by: Option<String>,
    /// The responsible agencies and their official contacts (one project only, not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parties: Option<Vec<PartyDto>>,
    /// The milestones the public page shows (one project only, not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestones: Option<Vec<MilestoneDto>>,
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
            version: p.version,
            updated_by: p.updated_by,
            parties: None,
            milestones: None,
        }
    }
}

/// A responsible agency and its official contact, as the public page shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyDto {
    /// What the agency is responsible for, in Vietnamese, e.g. `Chủ đầu tư`.
    pub role_vi: String,
    /// The same in English; the Vietnamese text when left empty.
    #[serde(default)]
    pub role_en: String,
    pub organisation: String,
    #[serde(default)]
    pub contact_person: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl From<project_parties::Model> for PartyDto {
    fn from(p: project_parties::Model) -> Self {
        PartyDto {
            role_vi: p.role_vi,
            role_en: p.role_en,
            organisation: p.organisation,
            contact_person: p.contact_person,
            phone: p.phone,
            email: p.email,
        }
    }
}

/// A milestone on the public page's timeline.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDto {
    pub on_date: NaiveDate,
    pub title_vi: String,
    /// The same in English; the Vietnamese text when left empty.
    #[serde(default)]
    pub title_en: String,
}

impl From<project_milestones::Model> for MilestoneDto {
    fn from(m: project_milestones::Model) -> Self {
        MilestoneDto {
            on_date: m.on_date,
            title_vi: m.title_vi,
            title_en: m.title_en,
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

/// A field that may be absent (unchanged), `null` (cleared) or a value.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a project; send the version you read in `If-Match`. Absent fields are kept,
/// `null` clears an optional one; `parties` and `milestones` replace the whole list.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub investor: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub notice_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub target_handover_date: Option<Option<NaiveDate>>,
    /// WGS84 GeoJSON Polygon or MultiPolygon (as `boundary-preview` answers it), or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub agency: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub contact: Option<Option<String>>,
    pub parties: Option<Vec<PartyDto>>,
    pub milestones: Option<Vec<MilestoneDto>>,
}

/// A boundary read from an uploaded file, not saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoundaryPreview {
    /// The boundary as a WGS84 GeoJSON MultiPolygon, ready for `PATCH` (`boundary`).
    #[schema(value_type = Object)]
    pub boundary: serde_json::Value,
    /// Its geodesic area in hectares.
    pub area_ha: f64,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// The CRS the file was read in (`EPSG:4326`, `EPSG:5898`, …).
    pub source_crs: String,
    /// Polygons read from the file.
    pub polygons: usize,
    /// What was noticed but not refused (e.g. several features joined into one boundary).
    pub problems: Vec<BoundaryProblem>,
}

/// One thing noticed in a boundary file.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoundaryProblem {
    /// Stable code, e.g. `joined_features`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoundaryQuery {
    /// `EPSG:4326`, `EPSG:5898`, `EPSG:9216` or `vn2000:<central meridian>` when the file does
    /// not say; needed for a list of VN-2000 coordinates.
    pub crs: Option<String>,
    /// The file's name (its extension tells the format when the Content-Type does not).
    pub filename: Option<String>,
}
