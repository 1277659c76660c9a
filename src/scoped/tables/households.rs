use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "households")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub code: String,
    pub head_name: String,
    #[sea_orm(column_type = "Text")]
    pub search_key: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    pub commune_id: i32,
    #[sea_orm(column_type = "Text")]
    pub members: String,
    pub vulnerable: String,
    pub split_from_id: Option<i32>,
    pub stance: Option<String>,
    pub last_visit_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    /// Bumped by every edit; clients send it back in `If-Match`.
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
