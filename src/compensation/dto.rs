//! What the compensation API reads and writes. Money is integer đồng; quantities are decimal
//! numbers of their unit with at most two decimals (stored as hundredths).
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calc::{Dong, LineChange};
use crate::domain::{AssetCategory, PaymentKind, PaymentMethod, PlanGroup, PlanStatus};
use crate::legal::RuleDto;

/// One inventoried asset.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// The parcel it stands on: one of the household's parcels.
    pub parcel_id: Option<i32>,
    pub category: AssetCategory,
    /// Land-use code (`LUC`), structure kind (`nha_cap_4`), species (`keo`)… as in the price
    /// table.
    pub code: String,
    pub description: Option<String>,
    /// Defaults to the price table's unit.
    pub unit: Option<String>,
    /// m², trees, graves…: up to two decimals.
    pub quantity: f64,
    /// Structure grade; for land, its position (`VT1`) in the price table.
    pub grade: Option<String>,
    pub year_built: Option<i32>,
    /// Trees: age class as in the price table.
    pub age_class: Option<String>,
    /// Structures: remaining quality in percent (0–100); default 100.
    pub remaining_percent: Option<i32>,
    /// Remaining investment: P1+P2+P3+P4 in đồng.
    #[serde(default)]
    pub cost: Dong,
    pub term_total: Option<i32>,
    pub term_remaining: Option<i32>,
    /// Annual crops: whole kg harvested on this item's area in each of the previous 3 years,
    /// up to 3 values, null for a year not known. The plan pays the highest × the price per
    /// kg (LĐĐ 2024 Art. 103).
    #[serde(default)]
    #[schema(max_items = 3)]
    pub yields_kg: Option<Vec<Option<i64>>>,
}

/// Plot or house.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResettlementKind {
    Plot,
    House,
}

impl ResettlementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResettlementKind::Plot => "plot",
            ResettlementKind::House => "house",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plot" => Some(ResettlementKind::Plot),
            "house" => Some(ResettlementKind::House),
            _ => None,
        }
    }
}

/// The household's own resettlement (LĐĐ 2024 Art. 111; NĐ 88/2024 Art. 23, 24): a plot
/// (its number, area and price per m²) or a house or apartment (its code and price).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResettlementInput {
    pub kind: ResettlementKind,
    /// Plot number (`TĐC-A/12`) or house / apartment code.
    pub code: String,
    /// Plot: its area in m² (up to two decimals); none for a house.
    pub area_m2: Option<f64>,
    /// Plot: land-use price per m²; house: the price of the house (đồng).
    pub price: Dong,
}

/// The inventory (biên bản kiểm đếm) of a household: replaces the previous one whole.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryInput {
    /// The record's number, e.g. `125/BB-KĐ`.
    pub record_no: String,
    pub inventoried_on: NaiveDate,
    /// Household members counted for life-stabilisation support.
    #[serde(default)]
    pub members_counted: i32,
    /// The household must move (its residential land is recovered).
    #[serde(default)]
    pub relocating: bool,
    /// It moves to an area with hard socio-economic conditions.
    #[serde(default)]
    pub hard_area: bool,
    /// All the farmland the household uses, m² (null: only what is recovered).
    pub farmland_held_m2: Option<f64>,
    /// Unpaid land obligations (đồng), deducted from land compensation only.
    #[serde(default)]
    pub obligations: Dong,
    /// Average yearly after-tax income of a business on the land (đồng).
    #[serde(default)]
    pub business_income: Dong,
    /// A household that moves: its own resettlement plot or house; null: the project's
    /// default plot (settings `resettlement_plot_*`).
    #[serde(default)]
    pub resettlement: Option<ResettlementInput>,
    pub note: Option<String>,
    pub items: Vec<ItemInput>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ItemDto {
    pub id: i32,
    pub parcel_id: Option<i32>,
    /// `map sheet/parcel number`.
    pub parcel_label: Option<String>,
    pub category: AssetCategory,
    pub code: String,
    pub description: Option<String>,
    pub unit: String,
    pub quantity: f64,
    pub grade: Option<String>,
    pub year_built: Option<i32>,
    pub age_class: Option<String>,
    pub remaining_percent: Option<i32>,
    pub cost: Dong,
    pub term_total: Option<i32>,
    pub term_remaining: Option<i32>,
    /// Annual crops: the 3 yields recorded (kg), null when none is.
    pub yields_kg: Option<Vec<Option<i64>>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InventoryDto {
    pub id: i32,
    pub household_id: i32,
    pub record_no: String,
    pub inventoried_on: NaiveDate,
    pub inventoried_by: Option<String>,
    pub members_counted: i32,
    pub relocating: bool,
    pub hard_area: bool,
    pub farmland_held_m2: Option<f64>,
    pub obligations: Dong,
    pub business_income: Dong,
    /// The household's own resettlement plot or house, if recorded.
    pub resettlement: Option<ResettlementInput>,
    pub note: Option<String>,
    /// Send it back in `If-Match` to change the inventory.
    pub version: i32,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
    pub items: Vec<ItemDto>,
}

/// Compute a plan from the household's inventory.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComputeInput {
    /// Default: the price table in force on `computed_on`.
    pub price_table_id: Option<i32>,
    /// Default: today (Vietnam).
    pub computed_on: Option<NaiveDate>,
    /// Compute and answer without storing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LineDto {
    pub line_no: i32,
    pub id: Option<i32>,
    pub group: PlanGroup,
    pub code: String,
    pub label: String,
    pub parcel_id: Option<i32>,
    pub quantity: f64,
    pub unit: String,
    pub unit_price: Dong,
    /// Coefficient, share or percentage applied (1 = × 1).
    pub factor: f64,
    pub amount: Dong,
    pub article: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GroupTotal {
    pub group: PlanGroup,
    pub amount: Dong,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PriceTableRef {
    pub id: i32,
    pub name: String,
    pub legal_basis: String,
    pub version: i32,
    /// × 1 (1.15).
    pub land_coefficient: f64,
}

/// Where the money of an approved plan stands.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct LedgerDto {
    pub paid: Dong,
    pub deposited: Dong,
    /// Net minus paid minus deposited (never below 0).
    pub balance: Dong,
    /// The last day of the 30-day limit.
    pub due_on: Option<NaiveDate>,
    /// Days past the limit today with a balance left (0: none).
    pub days_overdue: i64,
    /// Late-payment interest owed: on late payments made, and on the balance to today.
    pub interest_owed: Dong,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanDto {
    pub id: Option<i32>,
    pub household_id: i32,
    pub household_code: String,
    pub number: i32,
    pub status: PlanStatus,
    /// The approved plan this revision replaces.
    pub revision_of: Option<i32>,
    pub price_table: PriceTableRef,
    pub computed_on: NaiveDate,
    pub posted_on: Option<NaiveDate>,
    pub posting_ends_on: Option<NaiveDate>,
    /// The posting rule in force on the posting date.
    pub posting_rule: Option<RuleDto>,
    pub approved_on: Option<NaiveDate>,
    pub decision_no: Option<String>,
    pub approving_body: Option<String>,
    /// Who approves plans on the approval date, and the article.
    pub approver_rule: Option<RuleDto>,
    pub payment_due_on: Option<NaiveDate>,
    pub gross: Dong,
    pub deductions: Dong,
    pub resettlement_fee: Dong,
    pub net: Dong,
    pub totals: Vec<GroupTotal>,
    pub lines: Vec<LineDto>,
    /// Line by line, against the previous version (empty for the first).
    pub changes: Vec<LineChange>,
    pub ledger: Option<LedgerDto>,
    /// Send it back in `If-Match` to post or approve.
    pub version: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanSummaryDto {
    pub id: i32,
    pub number: i32,
    pub status: PlanStatus,
    pub computed_on: NaiveDate,
    pub posted_on: Option<NaiveDate>,
    pub approved_on: Option<NaiveDate>,
    pub decision_no: Option<String>,
    pub net: Dong,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    /// The day posting at the commune starts.
    pub posted_on: NaiveDate,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveInput {
    pub approved_on: NaiveDate,
    /// E.g. `1234/QĐ-UBND`.
    pub decision_no: String,
    /// Default: the body the rule in force names (since 1 Jul 2025 the commune chairman).
    pub approving_body: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub kind: PaymentKind,
    /// đồng, > 0.
    pub amount: Dong,
    pub paid_on: NaiveDate,
    pub method: PaymentMethod,
    /// The receipt (phiếu chi) or deposit slip number.
    pub receipt_no: String,
    /// Deposits: the bank holding the money.
    pub bank: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PaymentDto {
    pub id: i32,
    pub plan_id: i32,
    pub kind: PaymentKind,
    pub amount: Dong,
    pub paid_on: NaiveDate,
    pub method: PaymentMethod,
    pub receipt_no: String,
    pub bank: Option<String>,
    pub note: Option<String>,
    /// Days after the 30-day limit.
    pub days_late: i32,
    /// Late-payment interest owed on this amount (0.03 %/day).
    pub interest: Dong,
    pub recorded_by: Option<String>,
}

/// Everything about a household's compensation, for the case file and the visit form.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CompensationDto {
    pub household_id: i32,
    pub inventory: Option<InventoryDto>,
    /// Every version, newest first.
    pub plans: Vec<PlanSummaryDto>,
    /// The newest version with its lines.
    pub current: Option<PlanDto>,
    /// The approved version being paid, if not the newest.
    pub approved: Option<PlanSummaryDto>,
    /// The ledger of the approved version (whichever version is the newest).
    pub ledger: Option<LedgerDto>,
    pub payments: Vec<PaymentDto>,
}
