use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{LandUse, ParcelStatus};

/// The admin unit a parcel lies in (the unit it was recorded under, possibly pre-2025).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommuneRef {
    pub id: i32,
    /// Official code, e.g. `21043`.
    pub code: String,
    pub name: String,
}

/// A parcel (thửa đất) of a project.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ParcelDto {
    pub id: i32,
    /// The project's code.
    pub project: String,
    /// Map sheet number (số tờ).
    pub map_sheet: String,
    /// Parcel number on the sheet (số thửa).
    pub parcel_no: String,
    pub commune: CommuneRef,
    /// Land-use code, e.g. `LUC`, `ONT`, `CLN`.
    pub land_use: LandUse,
    /// Geodesic area of the geometry, m².
    pub area_m2: f64,
    /// Area inside the project boundary, m².
    pub recovered_area_m2: f64,
    /// GeoJSON Polygon or MultiPolygon, WGS84 lon/lat.
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
    /// CRS the parcel was imported in (`EPSG:4326` when sent as GeoJSON).
    pub source_crs: String,
    /// Id of the parcel this one was split from.
    pub parent_parcel: Option<i32>,
    pub status: ParcelStatus,
    /// Optimistic-concurrency version: send it back in `If-Match` to change the parcel.
    pub version: i32,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339; set when a split or merge replaced the parcel (see its lineage).
    pub retired_at: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParcelQuery {
    /// Only parcels in this status; several may be given separated by commas
    /// (`agreed,paid`).
    pub status: Option<String>,
    /// Admin unit id (preferred): parcels of that commune, or of the pre-2025 communes merged
    /// into it.
    pub commune_id: Option<i32>,
    /// Admin unit code, as `commune_id`: `CODE@YYYY-MM-DD` = the unit in force that day; a
    /// bare `CODE` only when one unit has it (else 422 `ambiguous_code`).
    pub commune: Option<String>,
    /// `minLon,minLat,maxLon,maxLat` (WGS84): parcels whose extent overlaps the box.
    pub bbox: Option<String>,
    /// Map sheet number (số tờ), exactly.
    pub map_sheet: Option<String>,
    /// Parcel number on the sheet (số thửa), exactly.
    pub parcel_no: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<u64>,
}

/// Changes to a parcel; send the version you read in `If-Match`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParcelPatch {
    pub status: Option<ParcelStatus>,
    pub land_use: Option<LandUse>,
    /// Why the status changed; kept on the status event.
    pub reason: Option<String>,
    /// Free note, kept in the audit trail.
    pub note: Option<String>,
}

/// One status change of a parcel.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StatusEventDto {
    pub id: i32,
    /// Null for the parcel's first status.
    pub from: Option<ParcelStatus>,
    pub to: ParcelStatus,
    pub reason: String,
    /// `user:<username>`, `token:<id>` or `system`.
    pub actor: String,
    /// The display name of the user who made the change (null for tokens and the system).
    pub actor_name: Option<String>,
    /// RFC 3339.
    pub at: String,
}

/// The properties of a parcel feature sent to `POST /api/v1/projects/{code}/parcels`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewParcelProperties {
    pub map_sheet: String,
    pub parcel_no: String,
    /// Admin unit code; the pre-2025 commune is preferred when a current unit has the same code.
    pub commune: String,
    /// Land-use code, e.g. `LUC`.
    pub land_use: String,
    /// Defaults to `not_contacted`.
    pub status: Option<ParcelStatus>,
    /// Id of the parcel this one was split from.
    pub parent_parcel: Option<i32>,
}

/// A GeoJSON Feature holding a parcel: Polygon or MultiPolygon in WGS84 lon/lat.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewParcelFeature {
    /// `Feature`
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
    pub properties: NewParcelProperties,
}

/// A GeoJSON FeatureCollection of parcels (a single Feature is also accepted).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewParcelCollection {
    /// `FeatureCollection`
    #[serde(rename = "type")]
    pub kind: String,
    pub features: Vec<NewParcelFeature>,
}

/// The parcels created by a POST.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedParcels {
    pub items: Vec<ParcelDto>,
}

/// One refused feature of a POST (in `error.details.features` of the 422 answer).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvalidFeature {
    /// 0-based position of the feature in the file.
    pub index: usize,
    pub map_sheet: Option<String>,
    pub parcel_no: Option<String>,
    pub reason: String,
    pub code: String,
    /// The values the reason names, e.g. `{"value": "LUX", "suggestions": "LUC, LUK"}` for
    /// `unknown_land_use`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<std::collections::BTreeMap<String, String>>>,
}
