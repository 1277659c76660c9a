use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "price_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub price_table_id: i32,
    pub category: String,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub unit_price: i64,
    pub grade: Option<String>,
    pub age_class: Option<String>,
    pub zone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
