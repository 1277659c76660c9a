use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "parcels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub commune_id: i32,
    pub map_sheet: String,
    pub parcel_no: String,
    pub land_use: String,
    pub area_m2: f64,
    pub recovered_area_m2: f64,
    #[sea_orm(column_type = "Text")]
    pub geometry: String,
    pub source_crs: String,
    pub source_geometry: Option<String>,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    pub parent_parcel_id: Option<i32>,
    pub status: String,
    pub version: i32,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    /// Set when a split or merge replaced the parcel; it then leaves maps, lists and counts.
    pub retired_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
