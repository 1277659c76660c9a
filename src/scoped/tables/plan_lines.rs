use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub household_id: i32,
    pub line_no: i32,
    pub grp: String,
    pub code: String,
    pub label: String,
    pub parcel_id: Option<i32>,
    pub inventory_item_id: Option<i32>,
    pub quantity_centi: i64,
    pub unit: String,
    pub unit_price: i64,
    pub factor: i32,
    pub amount: i64,
    pub article: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
