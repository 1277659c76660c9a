//! Land-use changes of parcels (one per change).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "parcel_land_use_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub parcel_id: i32,
    pub commune_id: i32,
    pub from_land_use: String,
    pub to_land_use: String,
    pub actor_id: Option<i32>,
    pub actor: String,
    pub at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
