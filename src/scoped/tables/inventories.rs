use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "inventories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub household_id: i32,
    pub record_no: String,
    pub inventoried_on: Date,
    pub inventoried_by: Option<i32>,
    pub members_counted: i32,
    pub relocating: bool,
    pub hard_area: bool,
    pub farmland_held_centi: i64,
    pub obligations: i64,
    pub business_income: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub client_key: Option<String>,
    pub version: i32,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    /// `plot` or `house`: the household's own resettlement; null: the project's default.
    pub resettlement_kind: Option<String>,
    pub resettlement_code: Option<String>,
    pub resettlement_area_centi: Option<i64>,
    pub resettlement_price: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
