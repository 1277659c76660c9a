use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "commitments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub visit_id: i32,
    pub household_id: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub owner: String,
    pub due_date: Option<Date>,
    pub done_at: Option<DateTimeWithTimeZone>,
    pub done_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
