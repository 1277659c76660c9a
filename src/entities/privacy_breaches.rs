//! The personal-data breach log: what happened, which kinds of data, how many households,
//! when the authority was told (72 hours) and what was done. Names no household.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "privacy_breaches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub discovered_at: DateTimeWithTimeZone,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// JSON list of `BreachDataKind`.
    pub data_kinds: String,
    pub households_affected: i32,
    pub report_due_at: DateTimeWithTimeZone,
    pub reported_to_authority_at: Option<DateTimeWithTimeZone>,
    #[sea_orm(column_type = "Text", nullable)]
    pub measures: Option<String>,
    pub closed_at: Option<DateTimeWithTimeZone>,
    pub recorded_by: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
