use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub household_id: i32,
    pub plan_id: i32,
    pub kind: String,
    pub amount: i64,
    pub paid_on: Date,
    pub method: String,
    pub receipt_no: String,
    pub bank: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub days_late: i32,
    pub interest: i64,
    pub recorded_by: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
    pub client_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
