//! A group leader's "visit this household by then" for one member.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "next_visit_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub household_id: i32,
    pub assignee_id: i32,
    pub assigned_by: Option<i32>,
    pub due_on: Date,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
