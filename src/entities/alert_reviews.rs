//! A split or land-use change after the cut-off, looked at and accepted.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub subject: String,
    pub subject_id: i32,
    pub reviewed_by: Option<i32>,
    pub actor: String,
    pub reviewed_at: DateTimeWithTimeZone,
    #[sea_orm(column_type = "Text")]
    pub note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
