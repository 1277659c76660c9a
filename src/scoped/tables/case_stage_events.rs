use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "case_stage_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub household_id: i32,
    pub parcel_id: Option<i32>,
    pub stage: String,
    pub occurred_on: Date,
    pub document_no: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeWithTimeZone,
    pub overridden: bool,
    pub due_on: Option<Date>,
    pub due_stage: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub override_reason: Option<String>,
    pub scheduled_at: Option<DateTimeWithTimeZone>,
    pub due_met_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
