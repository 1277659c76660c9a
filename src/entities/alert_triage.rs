//! What someone did about an alert: acknowledged it, assigned it to a person or snoozed it
//! until a date with a reason. One row per action; the latest of each kind counts.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_triage")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub subject: String,
    pub subject_id: i32,
    pub action: String,
    pub assignee_id: Option<i32>,
    pub until: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub actor_id: Option<i32>,
    pub actor: String,
    pub at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
