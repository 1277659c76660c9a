use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "compensation_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub household_id: i32,
    pub number: i32,
    pub status: String,
    pub revision_of: Option<i32>,
    pub price_table_id: i32,
    pub computed_on: Date,
    pub posted_on: Option<Date>,
    pub posting_ends_on: Option<Date>,
    pub posting_rule: Option<String>,
    pub approved_on: Option<Date>,
    pub decision_no: Option<String>,
    pub approving_body: Option<String>,
    pub approver_rule: Option<String>,
    pub payment_due_on: Option<Date>,
    pub gross: i64,
    pub deductions: i64,
    pub resettlement_fee: i64,
    pub net: i64,
    pub created_by: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
