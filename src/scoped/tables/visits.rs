use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub household_id: i32,
    pub working_group_id: i32,
    pub visited_at: DateTimeWithTimeZone,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub participants: String,
    pub topics: String,
    pub stance: String,
    #[sea_orm(column_type = "Text")]
    pub concerns: String,
    pub next_visit_on: Option<Date>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub client_id: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
