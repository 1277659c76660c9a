use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "price_tables")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub province_code: String,
    pub name: String,
    pub legal_basis: String,
    pub issued_on: Option<Date>,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
    pub land_coefficient: i32,
    pub coefficient_basis: Option<String>,
    pub version: i32,
    pub supersedes_id: Option<i32>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
