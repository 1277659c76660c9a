//! What the map draws to orient its reader: the communes a project's parcels lie in, each with
//! its name at its centroid and its extent (the reference data holds no commune polygons).
use axum::extract::State;
use axum::Json;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::entities::{admin_units, parcels};
use crate::error::AppResult;
use crate::extract::ApiPath;
use crate::projects::service::visible_project;
use crate::state::AppState;

/// A commune holding parcels of the project.
#[derive(Serialize, ToSchema)]
pub struct MapCommune {
    pub id: i32,
    pub code: String,
    pub name: String,
    /// Centroid, WGS84 (null when the reference data has none).
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// `[minLon, minLat, maxLon, maxLat]`, when known.
    pub bbox: Option<Vec<f64>>,
    /// Always null today: the reference data has no commune polygons (GeoJSON when it has).
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct MapCommunes {
    pub items: Vec<MapCommune>,
}

/// The communes of a project's parcels, with centroids and extents, for the map's labels.
#[utoipa::path(get, path = "/api/v1/projects/{code}/communes", tag = "parcels",
    params(("code" = String, Path, description = "project code")),
    responses((status = 200, body = MapCommunes), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(code = %code))]
pub async fn communes(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<MapCommunes>> {
    let conn = &state.db.conn;
    let project = visible_project(conn, &principal, &code).await?;
    let ids: Vec<i32> = parcels::Entity::find()
        .select_only()
        .column(parcels::Column::CommuneId)
        .distinct()
        .filter(parcels::Column::ProjectId.eq(project.id))
        .filter(parcels::Column::RetiredAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut units = admin_units::Entity::find()
        .filter(admin_units::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let items = units
        .into_iter()
        .map(|u| MapCommune {
            bbox: match (u.min_lon, u.min_lat, u.max_lon, u.max_lat) {
                (Some(a), Some(b), Some(c), Some(d)) => Some(vec![a, b, c, d]),
                _ => None,
            },
            id: u.id,
            code: u.code,
            name: u.name,
            lon: u.lon,
            lat: u.lat,
            boundary: None,
        })
        .collect();
    Ok(Json(MapCommunes { items }))
}
