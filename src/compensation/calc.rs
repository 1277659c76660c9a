//! Every compensation formula, pure: the plan of a household from its inventory, a price
//! table and the project's settings (LEGAL.md, "Compensation, support and resettlement").
//! Money is integer đồng; quantities are hundredths of their unit; coefficients and shares
//! are × 10 000. Each line is rounded half up once, and a plan's net is the sum of its lines.
use crate::domain::AssetCategory;

/// Money in đồng.
pub type Dong = i64;

/// × 10 000: 1.15 → 11 500.
pub const ONE: i32 = 10_000;

/// One row of a price table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceItem {
    pub category: AssetCategory,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub unit_price: Dong,
    /// Structure grade, tree age class, land position or zone: None matches any.
    pub grade: Option<String>,
    pub age_class: Option<String>,
    pub zone: Option<String>,
}

/// A price table version as the plan reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceBook {
    pub table_id: i32,
    /// The land price adjustment coefficient × 10 000.
    pub land_coefficient: i32,
    pub items: Vec<PriceItem>,
}
