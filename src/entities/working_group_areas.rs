use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "working_group_areas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub working_group_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub admin_unit_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
