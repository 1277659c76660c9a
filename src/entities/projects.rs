use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub code: String,
    pub name: String,
    pub investor: String,
    pub boundary: Option<String>,
    pub notice_date: Option<Date>,
    pub target_handover_date: Option<Date>,
    pub status: crate::domain::ProjectStatus,
    pub agency: Option<String>,
    pub contact: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    /// Optimistic-concurrency version (`If-Match`), 1 when created.
    pub version: i32,
    /// Who saved the project last (`username`).
    pub updated_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
