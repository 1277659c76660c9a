use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "grievances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub kind: String,
    pub channel: String,
    pub received_on: Date,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub assignee_id: Option<i32>,
    pub status: String,
    pub complex: bool,
    pub remote_area: bool,
    pub round: i32,
    pub parent_id: Option<i32>,
    pub accept_by: Option<Date>,
    pub resolve_by: Option<Date>,
    pub resolved_on: Option<Date>,
    pub outcome: Option<String>,
    pub document_no: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub signers: i32,
    pub accepted_on: Option<Date>,
    pub notify_by: Option<Date>,
    pub especially_complex: bool,
    /// The acceptance's (thụ lý) document number.
    pub accept_no: Option<String>,
    /// The plan line an objection disputes.
    pub plan_line_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
