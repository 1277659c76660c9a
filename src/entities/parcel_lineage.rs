use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "parcel_lineage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub parcel_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub parent_id: i32,
    pub kind: String,
    pub recorded_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
