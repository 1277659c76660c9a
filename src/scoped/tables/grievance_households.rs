use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "grievance_households")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub grievance_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub household_id: i32,
    pub parcel_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
