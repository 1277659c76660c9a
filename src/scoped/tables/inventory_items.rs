use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub inventory_id: i32,
    pub household_id: i32,
    pub parcel_id: Option<i32>,
    pub category: String,
    pub code: String,
    pub description: Option<String>,
    pub unit: String,
    pub quantity_centi: i64,
    pub grade: Option<String>,
    pub year_built: Option<i32>,
    pub age_class: Option<String>,
    pub remaining_percent: Option<i32>,
    pub cost: i64,
    pub term_total: Option<i32>,
    pub term_remaining: Option<i32>,
    /// Annual crops: kg harvested on the inventoried area in each of the previous 3 years.
    pub yield_1_kg: Option<i64>,
    pub yield_2_kg: Option<i64>,
    pub yield_3_kg: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
