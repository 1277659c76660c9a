//! Hot spots kept current by `alerts::hot_spots::refresh`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "hot_spots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub commune_id: i32,
    pub household_id: Option<i32>,
    pub grievance_id: Option<i32>,
    pub kind: String,
    pub flag_key: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    pub flagged_on: Date,
    pub resolved_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
