//! Queries behind OGC API Features: a project's parcel extent, and pages of parcels in the
//! caller's scope with their total. Parcel attributes only, never household data.
use chrono::{DateTime, FixedOffset};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};
use serde_json::{json, Value as Json};

use crate::auth::Scope;
use crate::geo::Bbox;
use crate::sql::Conditions;

const SELECT: &str = "SELECT p.id, pr.code AS project_code, u.code AS commune_code, \
    u.name AS commune_name, p.map_sheet, p.parcel_no, p.land_use, p.area_m2, p.recovered_area_m2, \
    p.geometry, p.status, p.version, p.updated_at \
    FROM parcels p JOIN projects pr ON pr.id = p.project_id JOIN admin_units u ON u.id = p.commune_id";

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
    pub status: String,
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

#[derive(FromQueryResult)]
struct CountRow {
    n: i64,
}

/// The extent of a project's parcels, `None` when it has none.
pub async fn extent(conn: &impl ConnectionTrait, project_id: i32) -> Result<Option<Bbox>, DbErr> {
    let row = ExtentRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT MIN(min_lon) AS min_lon, MIN(min_lat) AS min_lat, MAX(max_lon) AS max_lon, \
         MAX(max_lat) AS max_lat FROM parcels WHERE project_id = $1",
        [Value::from(project_id)],
    ))
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

fn conditions(scope: &Scope, project_id: i32, bbox: Option<&Bbox>) -> Conditions {
    let mut c = Conditions::new(scope.sql_condition("p"));
    let p = c.bind(project_id);
    c.push(format!("p.project_id = {p}"));
    if let Some(b) = bbox {
        let (min_lon, min_lat, max_lon, max_lat) = (
            c.bind(b.min_lon),
            c.bind(b.min_lat),
            c.bind(b.max_lon),
            c.bind(b.max_lat),
        );
        c.push(format!(
            "p.min_lon <= {max_lon} AND p.max_lon >= {min_lon} AND p.min_lat <= {max_lat} AND p.max_lat >= {min_lat}"
        ));
    }
    c
}

/// One page of features (by id) and the number of features matching in all.
pub async fn items(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    bbox: Option<&Bbox>,
    limit: u64,
    offset: u64,
) -> Result<(Vec<FeatureRow>, i64), DbErr> {
    let backend = conn.get_database_backend();
    let c = conditions(scope, project_id, bbox);
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM parcels p WHERE {}",
        c.sql()
    );
    let matched = CountRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        c.into_values(),
    ))
    .one(conn)
    .await?
    .map_or(0, |r| r.n);
    let c = conditions(scope, project_id, bbox);
    // limit and offset are checked integers: inlined.
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY p.id LIMIT {limit} OFFSET {offset}",
        c.sql()
    );
    let rows = FeatureRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        c.into_values(),
    ))
    .all(conn)
    .await?;
    Ok((rows, matched))
}

/// One feature of the project, if it is in the scope.
pub async fn item(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    id: i32,
) -> Result<Option<FeatureRow>, DbErr> {
    let c = conditions(scope, project_id, None);
    let sql = format!("{SELECT} WHERE {} AND p.id = {id}", c.sql());
    FeatureRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        c.into_values(),
    ))
    .one(conn)
    .await
}
