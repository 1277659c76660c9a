//! Queries behind OGC API Features: a project's parcel extent, and pages of parcels in the
//! caller's scope with their total. Parcel attributes only, never household data.
use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select, SelectModel, Selector,
};
use serde_json::{json, Value as Json};

use crate::auth::Scope;
use crate::domain::ParcelStatus;
use crate::entities::parcels;
use crate::geo::Bbox;
use crate::scoped;

#[derive(FromQueryResult)]
pub struct FeatureRow {
    pub id: i32,
    pub project_code: String,
    pub commune_code: String,
    pub commune_name: String,
    pub map_sheet: String,
    pub parcel_no: String,
    pub land_use: String,
    pub area_m2: f64,
    pub recovered_area_m2: f64,
    pub geometry: String,
    pub status: ParcelStatus,
    pub version: i32,
    pub updated_at: DateTime<FixedOffset>,
}

impl FeatureRow {
    /// The GeoJSON Feature of the parcel (RFC 7946, WGS84 lon/lat = CRS84).
    pub fn into_feature(self) -> Json {
        let geometry: Json = serde_json::from_str(&self.geometry).unwrap_or(Json::Null);
        json!({
            "type": "Feature",
            "id": self.id,
            "geometry": geometry,
            "properties": {
                "project": self.project_code,
                "map_sheet": self.map_sheet,
                "parcel_no": self.parcel_no,
                "commune": self.commune_code,
                "commune_name": self.commune_name,
                "land_use": self.land_use,
                "area_m2": self.area_m2,
                "recovered_area_m2": self.recovered_area_m2,
                "status": self.status,
                "version": self.version,
                "updated_at": self.updated_at.to_rfc3339(),
            }
        })
    }
}

#[derive(FromQueryResult)]
struct ExtentRow {
    min_lon: Option<f64>,
    min_lat: Option<f64>,
    max_lon: Option<f64>,
    max_lat: Option<f64>,
}

/// The extent of a project's parcels, `None` when it has none.
#[tracing::instrument(skip_all, fields(project_id = project_id))]
pub async fn extent(conn: &impl ConnectionTrait, project_id: i32) -> Result<Option<Bbox>, DbErr> {
    let col = |c: parcels::Column| Expr::col((parcels::Entity, c));
    let row = parcels::Entity::find()
        .select_only()
        .column_as(col(parcels::Column::MinLon).min(), "min_lon")
        .column_as(col(parcels::Column::MinLat).min(), "min_lat")
        .column_as(col(parcels::Column::MaxLon).max(), "max_lon")
        .column_as(col(parcels::Column::MaxLat).max(), "max_lat")
        .filter(parcels::Column::ProjectId.eq(project_id))
        .filter(parcels::Column::RetiredAt.is_null())
        .into_model::<ExtentRow>()
        .one(conn)
        .await?;
    Ok(row.and_then(|r| {
        Some(Bbox {
            min_lon: r.min_lon?,
            min_lat: r.min_lat?,
            max_lon: r.max_lon?,
            max_lat: r.max_lat?,
        })
    }))
}

/// The project's parcels inside the scope, and inside the box if one is given.
fn matching(scope: &Scope, project_id: i32, bbox: Option<&Bbox>) -> Select<parcels::Entity> {
    use parcels::Column as P;
    let select = scoped::parcels(scope).filter(P::ProjectId.eq(project_id));
    match bbox {
        Some(b) => select
            .filter(P::MinLon.lte(b.max_lon))
            .filter(P::MaxLon.gte(b.min_lon))
            .filter(P::MinLat.lte(b.max_lat))
            .filter(P::MaxLat.gte(b.min_lat)),
        None => select,
    }
}

/// The feature's columns: the parcel's attributes, its project's code and its commune.
fn features(select: Select<parcels::Entity>) -> Selector<SelectModel<FeatureRow>> {
    use parcels::Column as P;
    let select = select.select_only().columns([
        P::Id,
        P::MapSheet,
        P::ParcelNo,
        P::LandUse,
        P::AreaM2,
        P::RecoveredAreaM2,
        P::Geometry,
        P::Status,
        P::Version,
        P::UpdatedAt,
    ]);
    crate::parcels::service::with_names(select).into_model::<FeatureRow>()
}

/// One page of features (by id) and the number of features matching in all.
#[tracing::instrument(skip_all, fields(project_id = project_id, limit = limit, offset = offset))]
pub async fn items(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    bbox: Option<&Bbox>,
    limit: u64,
    offset: u64,
) -> Result<(Vec<FeatureRow>, i64), DbErr> {
    let matched: Option<i64> = matching(scope, project_id, bbox)
        .select_only()
        .column_as(
            Expr::col((parcels::Entity, parcels::Column::Id)).count(),
            "n",
        )
        .into_tuple()
        .one(conn)
        .await?;
    let rows = features(
        matching(scope, project_id, bbox)
            .order_by_asc(parcels::Column::Id)
            .limit(limit)
            .offset(offset),
    )
    .all(conn)
    .await?;
    Ok((rows, matched.unwrap_or(0)))
}

/// One feature of the project, if it is in the scope.
#[tracing::instrument(skip_all, fields(project_id = project_id, id = id))]
pub async fn item(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    id: i32,
) -> Result<Option<FeatureRow>, DbErr> {
    features(matching(scope, project_id, None).filter(parcels::Column::Id.eq(id)))
        .one(conn)
        .await
}
