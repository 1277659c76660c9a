use sea_orm::entity::prelude::*;

/// Which version of a reference data set that ships inside the binary the database holds.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reference_data")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `admin_units`.
    pub name: String,
    pub version: i32,
    pub loaded_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
