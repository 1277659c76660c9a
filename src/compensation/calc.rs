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

impl PriceBook {
    /// The most specific row for an asset: a row naming the grade, age class or zone beats
    /// one that leaves it open; a row naming another one does not match.
    pub fn find(
        &self,
        category: AssetCategory,
        code: &str,
        grade: Option<&str>,
        age_class: Option<&str>,
        zone: Option<&str>,
    ) -> Option<&PriceItem> {
        fn fits(row: Option<&str>, asked: Option<&str>) -> Option<u8> {
            match (row, asked) {
                (None, _) => Some(0),
                (Some(r), Some(a)) if r.eq_ignore_ascii_case(a) => Some(1),
                _ => None,
            }
        }
        self.items
            .iter()
            .filter(|i| i.category == category && i.code.eq_ignore_ascii_case(code))
            .filter_map(|i| {
                let score = fits(i.grade.as_deref(), grade)?
                    + fits(i.age_class.as_deref(), age_class)?
                    + fits(i.zone.as_deref(), zone)?;
                Some((score, i))
            })
            .max_by_key(|(score, _)| *score)
            .map(|(_, i)| i)
    }
}

/// The province- and project-set values the rules need (settings with their decisions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entitlements {
    /// Job-change support: × the farmland price, × 10 000 (national cap 5×).
    pub job_change_multiple: i32,
    /// Local rice price, đồng per kg, for life stabilisation.
    pub rice_price_per_kg: Dong,
    /// Added to a structure's remaining value, in ‱ of its new-build value.
    pub structure_top_up: i32,
    /// Months of life stabilisation when under 30 % of the farmland is lost.
    pub stabilisation_months_under_30: i32,
    /// Production/business support, ‱ of a year's after-tax income (cap 30 %).
    pub business_support: i32,
    pub relocation_support: Dong,
    pub early_handover_bonus: Dong,
    /// The project's handover date: the bonus is for households that hand over on or before
    /// it. None: no date is set, nobody can be early and no bonus is given.
    pub early_handover_by: Option<chrono::NaiveDate>,
    pub other_support: Dong,
    /// Agricultural land allocation limit, hundredths of m²; 0: none.
    pub allocation_limit_centi: i64,
    /// Support for farmland beyond the limit, ‱ of its price.
    pub excess_land_support: i32,
    /// The resettlement plot offered to a household that moves; 0: none.
    pub resettlement_plot_centi: i64,
    pub resettlement_plot_price: Dong,
    /// The minimum resettlement unit the State tops up to; 0: none.
    pub resettlement_min_value: Dong,
}

impl Default for Entitlements {
    fn default() -> Self {
        Entitlements {
            job_change_multiple: 15_000,
            rice_price_per_kg: 15_000,
            structure_top_up: 6_000,
            stabilisation_months_under_30: 3,
            business_support: 3_000,
            relocation_support: 5_000_000,
            early_handover_bonus: 0,
            early_handover_by: None,
            other_support: 0,
            allocation_limit_centi: 0,
            excess_land_support: 0,
            resettlement_plot_centi: 0,
            resettlement_plot_price: 0,
            resettlement_min_value: 0,
        }
    }
}

/// The national caps the province's values may not pass.
pub const JOB_CHANGE_CAP: i32 = 5 * ONE;
pub const BUSINESS_SUPPORT_CAP: i32 = 3_000;
/// Rice per person per month for life stabilisation (ND 88 Art. 19).
pub const RICE_KG_PER_PERSON_MONTH: i64 = 30;
/// Late-payment interest: 0.03 % of the late amount per day (Law 38/2019 Art. 59).
pub const LATE_RATE_PER_DAY_X10000: i64 = 3;

/// One inventoried asset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asset {
    pub item_id: Option<i32>,
    pub parcel_id: Option<i32>,
    /// E.g. `12/34`: sheet/parcel number, for the label.
    pub parcel_label: Option<String>,
    pub category: Option<AssetCategory>,
    pub code: String,
    pub description: Option<String>,
    pub unit: String,
    pub quantity_centi: i64,
    pub grade: Option<String>,
    pub age_class: Option<String>,
    /// Land position or zone (price lookup).
    pub zone: Option<String>,
    pub remaining_percent: Option<i32>,
    pub cost: Dong,
    pub term_total: Option<i32>,
    pub term_remaining: Option<i32>,
    /// Annual crops: kg harvested on the inventoried area in each of the previous 3 years
    /// (None: not recorded). The plan pays the highest (LĐĐ 2024 Art. 103).
    pub yields_kg: [Option<i64>; 3],
}

/// Upper bound of one year's recorded yield, kg (10⁹ kg: no household's field comes near).
pub const MAX_YIELD_KG: i64 = 1_000_000_000;

/// Whether a price table unit is per kilogram (`kg`, `đ/kg`, `đồng/kg`…).
pub fn priced_per_kg(unit: &str) -> bool {
    let u = unit.trim().to_lowercase();
    u == "kg" || u.ends_with("/kg") || u == "kilogram"
}

/// The highest of the yields recorded (LĐĐ 2024 Art. 103(1)): None when none is.
pub fn highest_yield(yields: &[Option<i64>; 3]) -> Option<i64> {
    yields.iter().flatten().copied().max()
}

/// A household's own resettlement arrangement (LĐĐ 2024 Art. 111; NĐ 88/2024 Art. 23, 24),
/// recorded with its inventory; without one the project's default plot applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resettlement {
    /// A plot: its number or code, area (hundredths of m²) and land-use price per m².
    Plot {
        code: String,
        area_centi: i64,
        price: Dong,
    },
    /// A resettlement house or apartment: its code and price.
    House { code: String, price: Dong },
}

/// A household's inventory as the calculator reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub members_counted: i32,
    pub relocating: bool,
    pub hard_area: bool,
    /// All the farmland the household uses, hundredths of m²; 0: only what is recovered.
    pub farmland_held_centi: i64,
    pub obligations: Dong,
    pub business_income: Dong,
    /// The day the household handed its land over, once recorded.
    pub handed_over_on: Option<chrono::NaiveDate>,
    /// Its own resettlement plot or house; None: the project's default plot.
    pub resettlement: Option<Resettlement>,
    pub assets: Vec<Asset>,
}

/// One line of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub group: crate::domain::PlanGroup,
    /// Stable across versions, so two versions compare line by line.
    pub code: String,
    pub label: String,
    pub parcel_id: Option<i32>,
    pub item_id: Option<i32>,
    pub quantity_centi: i64,
    pub unit: String,
    pub unit_price: Dong,
    /// × 10 000.
    pub factor: i32,
    pub amount: Dong,
    pub article: &'static str,
    pub note: Option<String>,
}

impl Line {
    /// The unit price with its factor applied, for the revision floor.
    pub fn effective_price(&self) -> i128 {
        i128::from(self.unit_price) * i128::from(self.factor)
    }
}

/// A computed plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub lines: Vec<Line>,
    /// Everything the household is owed before deductions and the plot fee.
    pub gross: Dong,
    /// Unpaid land obligations deducted (positive).
    pub deductions: Dong,
    /// The resettlement plot's fee (positive).
    pub resettlement_fee: Dong,
    /// What is paid: the sum of every line.
    pub net: Dong,
}

/// Why a plan cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    #[error("no price for {category} `{code}` in the price table")]
    NoPrice {
        category: AssetCategory,
        code: String,
        item_id: Option<i32>,
    },
    #[error("{what} is above the national cap ({cap}, {article})")]
    AboveCap {
        what: &'static str,
        cap: i64,
        article: &'static str,
    },
    #[error("{0}")]
    Invalid(String),
}

/// `quantity (hundredths) × unit price × factor (‱)`, rounded half up to the đồng.
pub fn amount(quantity_centi: i64, unit_price: Dong, factor: i32) -> Dong {
    // Quantities and prices are bounded at the input; saturate rather than wrap if not.
    let Some(num) = i128::from(quantity_centi)
        .checked_mul(i128::from(unit_price))
        .and_then(|n| n.checked_mul(i128::from(factor)))
    else {
        let negatives = [quantity_centi < 0, unit_price < 0, factor < 0];
        let positive = negatives.iter().filter(|n| **n).count() % 2 == 0;
        return if positive { i64::MAX } else { i64::MIN };
    };
    let den: i128 = 100 * i128::from(ONE);
    let rounded = if num >= 0 {
        (num + den / 2) / den
    } else {
        -((-num + den / 2) / den)
    };
    i64::try_from(rounded).unwrap_or(if num >= 0 { i64::MAX } else { i64::MIN })
}

/// Late-payment interest on `late_amount` for `days_late` days (0 when paid on time).
pub fn late_interest(late_amount: Dong, days_late: i64) -> Dong {
    if days_late <= 0 || late_amount <= 0 {
        return 0;
    }
    let num =
        i128::from(late_amount) * i128::from(LATE_RATE_PER_DAY_X10000) * i128::from(days_late);
    i64::try_from((num + 5_000) / 10_000).unwrap_or(i64::MAX)
}

/// Days a payment made on `paid_on` is late against `due_on` (the last day on time).
pub fn days_late(due_on: chrono::NaiveDate, paid_on: chrono::NaiveDate) -> i64 {
    (paid_on - due_on).num_days().max(0)
}

/// Share of the farmland lost, the bands of ND 88 Art. 19.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossBand {
    /// Under 30 %: the province's months, not above the 30–70 % ones.
    Under30,
    /// 30 % to 70 % inclusive.
    From30To70,
    /// Over 70 %.
    Over70,
}

/// The band of `lost` out of `held` (both hundredths of m²; `held` below `lost` counts as
/// `lost`).
pub fn loss_band(lost_centi: i64, held_centi: i64) -> LossBand {
    let held = i128::from(held_centi.max(lost_centi));
    let lost = i128::from(lost_centi);
    if held == 0 || lost * 100 < held * 30 {
        LossBand::Under30
    } else if lost * 100 <= held * 70 {
        LossBand::From30To70
    } else {
        LossBand::Over70
    }
}

/// Months of life stabilisation (ND 88 Art. 19): by band and whether the household moves,
/// and moves to an area with hard conditions.
pub fn stabilisation_months(
    band: LossBand,
    relocating: bool,
    hard_area: bool,
    under_30: i32,
) -> i32 {
    let (stay, move_, hard) = match band {
        LossBand::From30To70 => (6, 12, 24),
        LossBand::Over70 => (12, 24, 36),
        // The province decides, never above the 30–70 % months.
        LossBand::Under30 => {
            let m = under_30.max(0);
            (m.min(6), m.min(12), m.min(24))
        }
    };
    match (relocating, hard_area) {
        (false, _) => stay,
        (true, false) => move_,
        (true, true) => hard,
    }
}

/// Whether the household earns the early-handover bonus (LĐĐ 2024 Art. 111(7)): it handed over
/// on or before the project's date, or, not yet handed over, the date had not passed on the
/// plan's computation date `on` (the plan promises the bonus; a revision after a late handover
/// leaves it out).
pub fn handed_over_early(inv: &Inventory, e: &Entitlements, on: chrono::NaiveDate) -> bool {
    match (e.early_handover_by, inv.handed_over_on) {
        (None, _) => false,
        (Some(by), Some(done)) => done <= by,
        (Some(by), None) => on <= by,
    }
}

/// Where each line's rule is written (LEGAL.md, compensation table).
pub mod articles {
    pub const LAND: &str = "LĐĐ 2024 Điều 91; NĐ 88/2024 Điều 4, 12, 13";
    pub const EXCESS_LAND: &str = "NĐ 88/2024 Điều 12, 13 (hỗ trợ khác)";
    pub const STRUCTURE: &str = "LĐĐ 2024 Điều 102; NĐ 88/2024 Điều 14";
    pub const CROPS: &str = "LĐĐ 2024 Điều 103; NĐ 88/2024 Điều 14a";
    pub const MOVING: &str = "LĐĐ 2024 Điều 104; NĐ 88/2024 Điều 15";
    pub const INVESTMENT: &str = "NĐ 88/2024 Điều 17";
    pub const STABILISATION: &str = "NĐ 88/2024 Điều 19";
    pub const BUSINESS: &str = "NĐ 88/2024 Điều 20";
    pub const JOB_CHANGE: &str = "LĐĐ 2024 Điều 109; NĐ 88/2024 Điều 22";
    pub const RELOCATION: &str = "LĐĐ 2024 Điều 108";
    pub const RESETTLEMENT: &str = "LĐĐ 2024 Điều 111; NĐ 88/2024 Điều 23, 24";
    pub const BONUS: &str = "LĐĐ 2024 Điều 111(7)";
    pub const DEDUCTION: &str = "LĐĐ 2024 Điều 94(6); NĐ 88/2024 Điều 25";
    pub const REVISION_FLOOR: &str = "LĐĐ 2024 Điều 94(5)";

    /// What a land line cites under each version of the legal rules table's
    /// `compensation_land_price` (the price a plan uses changed on 1 Jan 2026).
    const LAND_BY_PRICE_RULE: &[(&str, &str)] = &[
        (
            "compensation_land_price",
            "LĐĐ 2024 Điều 91, 160; NĐ 88/2024 Điều 4, 12, 13",
        ),
        (
            "compensation_land_price_2026",
            "LĐĐ 2024 Điều 91; NĐ 88/2024 Điều 4, 12, 13; NQ 254/2025/QH15 Điều 3(6), 5(3), 8",
        ),
    ];

    /// What the "other support" line cites under each version of `other_support`.
    const OTHER_BY_RULE: &[(&str, &str)] = &[
        ("other_support", "LĐĐ 2024 Điều 108"),
        ("other_support_2026", "NQ 254/2025/QH15 Điều 3(12)"),
    ];

    /// The citation of the version of `topic` in force on `on` (the plan's computation date);
    /// a version the list does not know yet cites the table's own article.
    fn by_rule(list: &[(&str, &'static str)], topic: &str, on: chrono::NaiveDate) -> &'static str {
        let rule = crate::legal::rules::in_force(topic, on);
        list.iter()
            .find(|(code, _)| *code == rule.code)
            .map_or(rule.article, |(_, article)| *article)
    }

    /// A land line's article on the plan's computation date.
    pub fn land(on: chrono::NaiveDate) -> &'static str {
        by_rule(LAND_BY_PRICE_RULE, "compensation_land_price", on)
    }

    /// The "other support" line's article on the plan's computation date.
    pub fn other(on: chrono::NaiveDate) -> &'static str {
        by_rule(OTHER_BY_RULE, "other_support", on)
    }

    /// Every version of the two topics has its citation here (a test checks it).
    #[cfg(test)]
    pub(super) fn cited_versions() -> Vec<&'static str> {
        LAND_BY_PRICE_RULE
            .iter()
            .chain(OTHER_BY_RULE)
            .map(|(code, _)| *code)
            .collect()
    }
}

struct Builder {
    lines: Vec<Line>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        group: crate::domain::PlanGroup,
        code: String,
        label: String,
        asset: Option<&Asset>,
        quantity_centi: i64,
        unit: &str,
        unit_price: Dong,
        factor: i32,
        article: &'static str,
    ) {
        self.lines.push(Line {
            group,
            code,
            label,
            parcel_id: asset.and_then(|a| a.parcel_id),
            item_id: asset.and_then(|a| a.item_id),
            quantity_centi,
            unit: unit.to_string(),
            unit_price,
            factor,
            amount: amount(quantity_centi, unit_price, factor),
            article,
            note: None,
        });
    }

    fn sum(&self, group: crate::domain::PlanGroup) -> Dong {
        self.lines
            .iter()
            .filter(|l| l.group == group)
            .map(|l| l.amount)
            .sum()
    }
}

/// A key that tells an asset's line from another's of the same code, stable across versions.
fn key(a: &Asset, index: usize) -> String {
    match (a.item_id, a.parcel_id) {
        (_, Some(p)) => format!(
            "{}:p{p}:{}",
            a.code,
            a.grade.as_deref().or(a.age_class.as_deref()).unwrap_or("-")
        ),
        (Some(i), None) => format!("{}:i{i}", a.code),
        (None, None) => format!("{}:n{index}", a.code),
    }
}

fn on_parcel(a: &Asset) -> String {
    a.parcel_label
        .as_deref()
        .map(|p| format!(" – thửa {p}"))
        .unwrap_or_default()
}

fn price_of<'a>(
    book: &'a PriceBook,
    a: &Asset,
    category: AssetCategory,
) -> Result<&'a PriceItem, CalcError> {
    book.find(
        category,
        &a.code,
        a.grade.as_deref(),
        a.age_class.as_deref(),
        a.zone.as_deref(),
    )
    .ok_or_else(|| CalcError::NoPrice {
        category,
        code: a.code.clone(),
        item_id: a.item_id,
    })
}

/// Checks the project's values against the national caps.
pub fn check_caps(e: &Entitlements) -> Result<(), CalcError> {
    if e.job_change_multiple > JOB_CHANGE_CAP || e.job_change_multiple < 0 {
        return Err(CalcError::AboveCap {
            what: "job_change_multiple",
            cap: i64::from(JOB_CHANGE_CAP),
            article: articles::JOB_CHANGE,
        });
    }
    if e.business_support > BUSINESS_SUPPORT_CAP || e.business_support < 0 {
        return Err(CalcError::AboveCap {
            what: "business_support_percent",
            cap: i64::from(BUSINESS_SUPPORT_CAP),
            article: articles::BUSINESS,
        });
    }
    if e.structure_top_up > ONE || e.structure_top_up < 0 {
        return Err(CalcError::AboveCap {
            what: "structure_top_up_percent",
            cap: i64::from(ONE),
            article: articles::STRUCTURE,
        });
    }
    Ok(())
}

/// The running state of one plan's computation.
struct Calc<'a> {
    b: Builder,
    book: &'a PriceBook,
    e: &'a Entitlements,
    coefficient: i32,
    limit_left: Option<i64>,
    farmland_lost: i64,
    /// The plan's computation date: the lines cite the rules in force on it.
    on: chrono::NaiveDate,
}

impl Calc<'_> {
    /// Land at the table's price × the coefficient, within the allocation limit; the farmland
    /// also earns job-change support.
    fn land(&mut self, a: &Asset, k: &str) -> Result<(), CalcError> {
        use crate::domain::PlanGroup as G;
        let on = self.on;
        let (b, e, coefficient) = (&mut self.b, self.e, self.coefficient);
        let category = AssetCategory::Land;
        let book = self.book;
        let limit_left = &mut self.limit_left;
        let farmland_lost = &mut self.farmland_lost;
        let price = price_of(book, a, category)?;
        let agricultural =
            crate::legal::LandKind::of(&a.code) == crate::legal::LandKind::Agricultural;
        let (within, excess) = match (limit_left, agricultural) {
            (Some(left), true) => {
                let w = a.quantity_centi.min(*left);
                *left -= w;
                (w, a.quantity_centi - w)
            }
            _ => (a.quantity_centi, 0),
        };
        b.push(
            G::Land,
            format!("land:{k}"),
            format!("Bồi thường đất {}{}", a.code, on_parcel(a)),
            Some(a),
            within,
            "m²",
            price.unit_price,
            coefficient,
            articles::land(on),
        );
        if excess > 0 && e.excess_land_support > 0 {
            b.push(
                G::Support,
                format!("excess_land:{k}"),
                format!("Hỗ trợ đất {} vượt hạn mức{}", a.code, on_parcel(a)),
                Some(a),
                excess,
                "m²",
                price.unit_price,
                e.excess_land_support,
                articles::EXCESS_LAND,
            );
        }
        if agricultural {
            *farmland_lost += a.quantity_centi;
            if e.job_change_multiple > 0 && within > 0 {
                b.push(
                    G::Support,
                    format!("job_change:{k}"),
                    format!(
                        "Hỗ trợ đào tạo, chuyển đổi nghề và tìm kiếm việc làm (đất {}{})",
                        a.code,
                        on_parcel(a)
                    ),
                    Some(a),
                    within,
                    "m²",
                    price.unit_price,
                    e.job_change_multiple,
                    articles::JOB_CHANGE,
                );
            }
        }
        Ok(())
    }

    /// Every asset other than land.
    fn asset(&mut self, a: &Asset, category: AssetCategory, k: &str) -> Result<(), CalcError> {
        use crate::domain::PlanGroup as G;
        let (b, e, book) = (&mut self.b, self.e, self.book);
        match category {
            AssetCategory::Land => {}
            AssetCategory::Structure => {
                let price = price_of(book, a, category)?;
                let remaining = a.remaining_percent.unwrap_or(100).clamp(0, 100);
                // Remaining value plus the province's share of new-build, at most new-build.
                let factor = (remaining * 100 + e.structure_top_up).min(ONE);
                let what = a.description.clone().unwrap_or_else(|| price.name.clone());
                b.push(
                    G::Assets,
                    format!("structure:{k}"),
                    format!("Bồi thường {what}{}", on_parcel(a)),
                    Some(a),
                    a.quantity_centi,
                    &price.unit,
                    price.unit_price,
                    factor,
                    articles::STRUCTURE,
                );
            }
            AssetCategory::Crop if highest_yield(&a.yields_kg).is_some() => {
                Self::crop_by_yield(b, book, a, k)?;
            }
            AssetCategory::Crop | AssetCategory::Tree | AssetCategory::Other => {
                let price = price_of(book, a, category)?;
                let article = if category == AssetCategory::Other {
                    articles::STRUCTURE
                } else {
                    articles::CROPS
                };
                let what = a.description.clone().unwrap_or_else(|| price.name.clone());
                b.push(
                    G::Assets,
                    format!("{category}:{k}"),
                    format!("Bồi thường {what}{}", on_parcel(a)),
                    Some(a),
                    a.quantity_centi,
                    &price.unit,
                    price.unit_price,
                    ONE,
                    article,
                );
            }
            AssetCategory::Grave | AssetCategory::Livestock | AssetCategory::Moving => {
                let price = price_of(book, a, category)?;
                let article = if category == AssetCategory::Livestock {
                    articles::RELOCATION
                } else {
                    articles::MOVING
                };
                let what = a.description.clone().unwrap_or_else(|| price.name.clone());
                b.push(
                    G::Moving,
                    format!("{category}:{k}"),
                    format!("Di chuyển {what}{}", on_parcel(a)),
                    Some(a),
                    a.quantity_centi,
                    &price.unit,
                    price.unit_price,
                    ONE,
                    article,
                );
            }
            AssetCategory::Investment => {
                let (Some(t1), Some(t2)) = (a.term_total, a.term_remaining) else {
                    return Err(CalcError::Invalid(
                        "remaining investment needs term_total and term_remaining".into(),
                    ));
                };
                if t1 <= 0 || t2 < 0 || t2 > t1 || a.cost < 0 {
                    return Err(CalcError::Invalid(
                        "remaining investment: 0 ≤ term_remaining ≤ term_total, cost ≥ 0".into(),
                    ));
                }
                // (P1+P2+P3+P4) × T2 / T1, the share as a factor.
                let factor = i32::try_from(
                    (i64::from(t2) * i64::from(ONE) + i64::from(t1) / 2) / i64::from(t1),
                )
                .unwrap_or(ONE);
                b.push(
                    G::Investment,
                    format!("investment:{k}"),
                    format!(
                        "Chi phí đầu tư vào đất còn lại ({t2}/{t1} năm){}",
                        on_parcel(a)
                    ),
                    Some(a),
                    100,
                    "lần",
                    a.cost,
                    factor,
                    articles::INVESTMENT,
                );
            }
        }
        Ok(())
    }

    /// An annual crop with its yields recorded: the highest of the previous 3 years × the
    /// price per kg (LĐĐ 2024 Art. 103(1); NĐ 88/2024 Art. 14a). A table that prices the crop
    /// per m² keeps the area basis.
    fn crop_by_yield(
        b: &mut Builder,
        book: &PriceBook,
        a: &Asset,
        k: &str,
    ) -> Result<(), CalcError> {
        use crate::domain::PlanGroup as G;
        let category = AssetCategory::Crop;
        let price = price_of(book, a, category)?;
        let what = a.description.clone().unwrap_or_else(|| price.name.clone());
        let best = highest_yield(&a.yields_kg).unwrap_or(0);
        if !(0..=MAX_YIELD_KG).contains(&best) {
            return Err(CalcError::Invalid(format!(
                "the yields of `{}` must be from 0 to {MAX_YIELD_KG} kg",
                a.code
            )));
        }
        if priced_per_kg(&price.unit) {
            b.push(
                G::Assets,
                format!("{category}:{k}"),
                format!(
                    "Bồi thường {what}{} (sản lượng cao nhất 3 năm: {} kg × {}/kg)",
                    on_parcel(a),
                    format_dong(best).trim_end_matches(" đ"),
                    format_dong(price.unit_price)
                ),
                Some(a),
                best * 100,
                "kg",
                price.unit_price,
                ONE,
                articles::CROPS,
            );
        } else {
            b.push(
                G::Assets,
                format!("{category}:{k}"),
                format!(
                    "Bồi thường {what}{} (theo diện tích: bảng giá tính theo {})",
                    on_parcel(a),
                    price.unit
                ),
                Some(a),
                a.quantity_centi,
                &price.unit,
                price.unit_price,
                ONE,
                articles::CROPS,
            );
        }
        Ok(())
    }

    /// The supports that follow from the household, not from one asset.
    fn supports(&mut self, inv: &Inventory) {
        use crate::domain::PlanGroup as G;
        let (b, e, farmland_lost, on) = (&mut self.b, self.e, self.farmland_lost, self.on);
        if inv.members_counted > 0 && farmland_lost > 0 {
            let band = loss_band(farmland_lost, inv.farmland_held_centi);
            let months = stabilisation_months(
                band,
                inv.relocating,
                inv.hard_area,
                e.stabilisation_months_under_30,
            );
            if months > 0 {
                b.push(G::Support, "stabilisation".into(),
                format!("Hỗ trợ ổn định đời sống: {} nhân khẩu × {months} tháng × {RICE_KG_PER_PERSON_MONTH} kg gạo", inv.members_counted),
                None, i64::from(inv.members_counted) * i64::from(months) * 100, "người·tháng",
                RICE_KG_PER_PERSON_MONTH * e.rice_price_per_kg, ONE, articles::STABILISATION);
            }
        }
        if inv.business_income > 0 && e.business_support > 0 {
            b.push(
                G::Support,
                "business".into(),
                "Hỗ trợ ổn định sản xuất, kinh doanh".into(),
                None,
                100,
                "năm",
                inv.business_income,
                e.business_support,
                articles::BUSINESS,
            );
        }
        if inv.relocating && e.relocation_support > 0 {
            b.push(
                G::Support,
                "relocation".into(),
                "Hỗ trợ di chuyển chỗ ở".into(),
                None,
                100,
                "hộ",
                e.relocation_support,
                ONE,
                articles::RELOCATION,
            );
        }
        if e.early_handover_bonus > 0 && handed_over_early(inv, e, on) {
            b.push(
                G::Support,
                "early_handover_bonus".into(),
                "Thưởng bàn giao mặt bằng đúng hoặc trước hạn".into(),
                None,
                100,
                "hộ",
                e.early_handover_bonus,
                ONE,
                articles::BONUS,
            );
        }
        if e.other_support > 0 {
            b.push(
                G::Support,
                "other_support".into(),
                "Hỗ trợ khác (quyết định của dự án)".into(),
                None,
                100,
                "hộ",
                e.other_support,
                ONE,
                articles::other(on),
            );
        }
    }

    /// Lines worked out from the others: the minimum resettlement unit, the plot's fee and
    /// the deductions.
    fn derived(&mut self, inv: &Inventory) {
        use crate::domain::PlanGroup as G;
        let (b, e) = (&mut self.b, self.e);
        // Lines that depend on the others come last, after the floor.
        let arrangement = inv.resettlement.clone().or_else(|| {
            (e.resettlement_plot_centi > 0).then(|| Resettlement::Plot {
                code: String::new(),
                area_centi: e.resettlement_plot_centi,
                price: e.resettlement_plot_price,
            })
        });
        if let (true, Some(arrangement)) = (inv.relocating, arrangement) {
            let land = b.sum(G::Land);
            if e.resettlement_min_value > land {
                b.push(
                    G::Support,
                    "resettlement_min".into(),
                    "Hỗ trợ để đủ suất tái định cư tối thiểu".into(),
                    None,
                    100,
                    "suất",
                    e.resettlement_min_value - land,
                    ONE,
                    articles::RESETTLEMENT,
                );
            }
            let (label, quantity, unit, price) = match arrangement {
                Resettlement::Plot {
                    code,
                    area_centi,
                    price,
                } if code.is_empty() => (
                    "Tiền sử dụng đất nền tái định cư (khấu trừ)".to_string(),
                    area_centi,
                    "m²",
                    price,
                ),
                Resettlement::Plot {
                    code,
                    area_centi,
                    price,
                } => (
                    format!("Tiền sử dụng đất nền tái định cư lô {code} (khấu trừ)"),
                    area_centi,
                    "m²",
                    price,
                ),
                Resettlement::House { code, price } => (
                    format!("Tiền mua nhà ở tái định cư căn {code} (khấu trừ)"),
                    100,
                    "căn",
                    price,
                ),
            };
            b.push(
                G::Resettlement,
                "resettlement_fee".into(),
                label,
                None,
                quantity,
                unit,
                price,
                -ONE,
                articles::RESETTLEMENT,
            );
        }
        if inv.obligations > 0 {
            // Only from land and remaining-investment compensation (Art. 94(6)).
            let base = (b.sum(G::Land) + b.sum(G::Investment)).max(0);
            let deducted = inv.obligations.min(base);
            if deducted > 0 {
                b.push(
                    G::Deduction,
                    "obligations".into(),
                    "Khấu trừ nghĩa vụ tài chính về đất đai chưa thực hiện".into(),
                    None,
                    100,
                    "lần",
                    deducted,
                    -ONE,
                    articles::DEDUCTION,
                );
            }
        }
    }
}

/// The plan of a household computed on `on`: every line with the article of the rule in force
/// that day, then the totals. `floor` is the approved plan a revision replaces: no line's
/// price may fall below its approved one.
pub fn compute(
    inv: &Inventory,
    book: &PriceBook,
    e: &Entitlements,
    floor: Option<&[Line]>,
    on: chrono::NaiveDate,
) -> Result<Plan, CalcError> {
    use crate::domain::PlanGroup as G;
    check_caps(e)?;
    if inv.members_counted < 0 {
        return Err(CalcError::Invalid(
            "members_counted must not be negative".into(),
        ));
    }
    let mut c = Calc {
        b: Builder { lines: Vec::new() },
        book,
        e,
        coefficient: if book.land_coefficient > 0 {
            book.land_coefficient
        } else {
            ONE
        },
        limit_left: (e.allocation_limit_centi > 0).then_some(e.allocation_limit_centi),
        farmland_lost: 0,
        on,
    };
    for (i, a) in inv.assets.iter().enumerate() {
        if a.quantity_centi < 0 {
            return Err(CalcError::Invalid(format!(
                "quantity of `{}` must not be negative",
                a.code
            )));
        }
        let Some(category) = a.category else {
            return Err(CalcError::Invalid(format!("`{}` has no category", a.code)));
        };
        let k = key(a, i);
        match category {
            AssetCategory::Land => c.land(a, &k)?,
            other => c.asset(a, other, &k)?,
        }
    }
    c.supports(inv);
    if let Some(floor) = floor {
        apply_floor(&mut c.b.lines, floor);
    }
    c.derived(inv);
    let b = c.b;
    let lines = b.lines;
    let deductions = -lines
        .iter()
        .filter(|l| l.group == G::Deduction)
        .map(|l| l.amount)
        .sum::<Dong>();
    let resettlement_fee = -lines
        .iter()
        .filter(|l| l.group == G::Resettlement)
        .map(|l| l.amount)
        .sum::<Dong>();
    let net: Dong = lines.iter().map(|l| l.amount).sum();
    Ok(Plan {
        gross: net + deductions + resettlement_fee,
        deductions,
        resettlement_fee,
        net,
        lines,
    })
}

/// Whether a line is a price applied to a quantity (not a difference or a deduction worked
/// out from the other lines): only those keep their approved price in a revision.
pub fn is_priced(line: &Line) -> bool {
    !matches!(
        line.group,
        crate::domain::PlanGroup::Deduction | crate::domain::PlanGroup::Resettlement
    ) && line.code != "resettlement_min"
}

/// Whether two lines price the same unit (`m²` and `M²` alike, `kg` and `m²` not).
fn same_unit(a: &Line, b: &Line) -> bool {
    a.unit.trim().to_lowercase() == b.unit.trim().to_lowercase()
}

/// A revision is priced at its own date, but never below the approved price of the same
/// line (LĐĐ 2024 Art. 94(5)).
fn apply_floor(lines: &mut [Line], floor: &[Line]) {
    for line in lines.iter_mut() {
        // Unit prices compare only in the same unit: a crop line that changed basis between
        // versions (per m² before, per kg once yields are recorded, or the reverse) keeps its
        // new basis and price, never an approved price per m² applied to kg.
        if let Some(old) = floor
            .iter()
            .find(|o| o.code == line.code && is_priced(o) && same_unit(o, line))
        {
            if old.effective_price() > line.effective_price() {
                line.unit_price = old.unit_price;
                line.factor = old.factor;
                line.amount = amount(line.quantity_centi, line.unit_price, line.factor);
                line.note = Some(format!(
                    "Giữ đơn giá đã phê duyệt ({})",
                    articles::REVISION_FLOOR
                ));
            }
        }
    }
}

/// How one line changed from the previous version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LineChange {
    pub code: String,
    pub label: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    pub before: Option<Dong>,
    pub after: Option<Dong>,
    pub difference: Dong,
}

/// The line-by-line difference between two versions (by line code), unchanged lines left out.
pub fn diff(
    before: &[(String, String, Dong)],
    after: &[(String, String, Dong)],
) -> Vec<LineChange> {
    let mut out = Vec::new();
    for (code, label, amt) in after {
        match before.iter().find(|(c, _, _)| c == code) {
            None => out.push(LineChange {
                code: code.clone(),
                label: label.clone(),
                change: "added".into(),
                before: None,
                after: Some(*amt),
                difference: *amt,
            }),
            Some((_, _, old)) if old != amt => out.push(LineChange {
                code: code.clone(),
                label: label.clone(),
                change: "changed".into(),
                before: Some(*old),
                after: Some(*amt),
                difference: amt - old,
            }),
            Some(_) => {}
        }
    }
    for (code, label, amt) in before {
        if !after.iter().any(|(c, _, _)| c == code) {
            out.push(LineChange {
                code: code.clone(),
                label: label.clone(),
                change: "removed".into(),
                before: Some(*amt),
                after: None,
                difference: -amt,
            });
        }
    }
    out
}

/// `1.234.567 đ`: money as Vietnamese documents print it.
pub fn format_dong(v: Dong) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}{out} đ", if v < 0 { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PlanGroup as G;
    use chrono::NaiveDate;

    fn item(category: AssetCategory, code: &str, price: Dong) -> PriceItem {
        PriceItem {
            category,
            code: code.into(),
            name: code.into(),
            unit: "m²".into(),
            unit_price: price,
            grade: None,
            age_class: None,
            zone: None,
        }
    }

    fn book() -> PriceBook {
        let mut nha_b = item(AssetCategory::Structure, "nha_cap_4", 3_000_000);
        nha_b.grade = Some("B".into());
        let mut keo3 = item(AssetCategory::Tree, "keo", 40_000);
        keo3.age_class = Some("3-5".into());
        PriceBook {
            table_id: 1,
            land_coefficient: 11_500,
            items: vec![
                item(AssetCategory::Land, "LUC", 60_000),
                item(AssetCategory::Land, "ONT", 2_000_000),
                item(AssetCategory::Land, "CLN", 50_000),
                item(AssetCategory::Structure, "nha_cap_4", 3_500_000),
                nha_b,
                item(AssetCategory::Tree, "keo", 15_000),
                keo3,
                item(AssetCategory::Crop, "lua", 9_000),
                item(AssetCategory::Grave, "mo_xay", 12_000_000),
                item(AssetCategory::Moving, "di_chuyen_ho", 6_000_000),
            ],
        }
    }

    fn land(code: &str, m2: i64, parcel: i32) -> Asset {
        Asset {
            parcel_id: Some(parcel),
            parcel_label: Some(format!("1/{parcel}")),
            category: Some(AssetCategory::Land),
            code: code.into(),
            unit: "m²".into(),
            quantity_centi: m2 * 100,
            ..Default::default()
        }
    }

    /// The plans of these tests are computed on a day of 2026 unless one says otherwise.
    fn compute(
        inv: &Inventory,
        book: &PriceBook,
        e: &Entitlements,
        floor: Option<&[Line]>,
    ) -> Result<Plan, CalcError> {
        super::compute(inv, book, e, floor, day(2026, 12, 5))
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn line<'a>(p: &'a Plan, prefix: &str) -> &'a Line {
        p.lines
            .iter()
            .find(|l| l.code.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix}: {:#?}", p.lines))
    }

    #[test]
    fn amounts_round_half_up_in_integer_dong() {
        assert_eq!(amount(100, 1_000, ONE), 1_000);
        assert_eq!(amount(150, 1_001, ONE), 1_502); // 1 501.5 → 1 502
        assert_eq!(amount(12_345, 60_000, 11_500), 8_518_050); // 123.45 m² × 60 000 × 1.15
        assert_eq!(amount(100, 1_000, -ONE), -1_000);
        assert_eq!(amount(i64::MAX, i64::MAX, ONE), i64::MAX);
    }

    #[test]
    fn dong_prints_with_dots() {
        assert_eq!(format_dong(1_234_567), "1.234.567 đ");
        assert_eq!(format_dong(0), "0 đ");
        assert_eq!(format_dong(-1_000), "-1.000 đ");
        assert_eq!(format_dong(999), "999 đ");
    }

    #[test]
    fn land_is_area_times_price_times_coefficient() {
        let inv = Inventory {
            assets: vec![land("ONT", 200, 7)],
            ..Default::default()
        };
        let p = compute(&inv, &book(), &Entitlements::default(), None).unwrap();
        let l = line(&p, "land:");
        assert_eq!(l.amount, 200 * 2_000_000 * 115 / 100);
        assert_eq!(l.factor, 11_500);
        // Non-agricultural land: no job-change support and no life stabilisation.
        assert!(p.lines.iter().all(|l| !l.code.starts_with("job_change")));
        assert_eq!(p.net, l.amount);
    }

    #[test]
    fn farmland_beyond_the_allocation_limit_is_other_support() {
        let e = Entitlements {
            allocation_limit_centi: 300 * 100,
            excess_land_support: 5_000,
            ..Default::default()
        };
        let inv = Inventory {
            assets: vec![land("LUC", 500, 1)],
            ..Default::default()
        };
        let p = compute(&inv, &book(), &e, None).unwrap();
        assert_eq!(line(&p, "land:").quantity_centi, 300 * 100);
        let excess = line(&p, "excess_land:");
        assert_eq!(excess.quantity_centi, 200 * 100);
        assert_eq!(excess.amount, 200 * 60_000 / 2);
        // Job change only on the farmland within the limit: 300 m² × 60 000 × 1.5.
        assert_eq!(line(&p, "job_change:").amount, 300 * 60_000 * 3 / 2);
    }

    #[test]
    fn job_change_is_capped_at_five_times_nationally() {
        let at_cap = Entitlements {
            job_change_multiple: 5 * ONE,
            ..Default::default()
        };
        let inv = Inventory {
            assets: vec![land("LUC", 100, 1)],
            ..Default::default()
        };
        let p = compute(&inv, &book(), &at_cap, None).unwrap();
        assert_eq!(line(&p, "job_change:").amount, 100 * 60_000 * 5);
        let over = Entitlements {
            job_change_multiple: 5 * ONE + 1,
            ..Default::default()
        };
        assert!(matches!(
            compute(&inv, &book(), &over, None),
            Err(CalcError::AboveCap {
                what: "job_change_multiple",
                ..
            })
        ));
    }

    #[test]
    fn business_support_is_the_province_share_of_a_years_income_capped_at_30_percent() {
        let inv = Inventory {
            business_income: 123_456_789,
            ..Default::default()
        };
        let at_cap = Entitlements {
            business_support: BUSINESS_SUPPORT_CAP,
            ..Default::default()
        };
        let p = compute(&inv, &book(), &at_cap, None).unwrap();
        let l = line(&p, "business");
        // 30 % of 123 456 789 = 37 037 036.7, rounded half up.
        assert_eq!(l.amount, 37_037_037);
        assert_eq!(l.article, articles::BUSINESS);
        assert_eq!(p.net, 37_037_037);
        let lower = Entitlements {
            business_support: 2_000,
            ..Default::default()
        };
        let p = compute(&inv, &book(), &lower, None).unwrap();
        assert_eq!(line(&p, "business").amount, 24_691_358); // 20 %: 24 691 357.8
        let over = Entitlements {
            business_support: BUSINESS_SUPPORT_CAP + 1,
            ..Default::default()
        };
        assert!(matches!(
            compute(&inv, &book(), &over, None),
            Err(CalcError::AboveCap {
                what: "business_support_percent",
                ..
            })
        ));
        // No income, no line.
        let p = compute(&Inventory::default(), &book(), &at_cap, None).unwrap();
        assert!(p.lines.iter().all(|l| l.code != "business"));
    }

    #[test]
    fn the_early_handover_bonus_and_other_support_are_one_amount_per_household() {
        let e = Entitlements {
            early_handover_bonus: 5_000_000,
            early_handover_by: Some(day(2027, 6, 30)),
            other_support: 3_000_000,
            ..Default::default()
        };
        let inv = Inventory {
            members_counted: 6,
            assets: vec![land("ONT", 100, 1)],
            ..Default::default()
        };
        let p = compute(&inv, &book(), &e, None).unwrap();
        let bonus = line(&p, "early_handover_bonus");
        assert_eq!((bonus.amount, bonus.quantity_centi), (5_000_000, 100));
        assert_eq!(bonus.group, G::Support);
        assert_eq!(bonus.article, articles::BONUS);
        let other = line(&p, "other_support");
        assert_eq!((other.amount, other.quantity_centi), (3_000_000, 100));
        assert_eq!(other.group, G::Support);
        assert_eq!(p.net, line(&p, "land:").amount + 5_000_000 + 3_000_000);
        // Not set: no line.
        let p = compute(&inv, &book(), &Entitlements::default(), None).unwrap();
        assert!(p
            .lines
            .iter()
            .all(|l| l.code != "early_handover_bonus" && l.code != "other_support"));
    }

    #[test]
    fn the_bonus_is_for_a_handover_on_or_before_the_projects_date() {
        let by = day(2026, 6, 30);
        let e = Entitlements {
            early_handover_bonus: 5_000_000,
            early_handover_by: Some(by),
            ..Default::default()
        };
        let bonus = |handed_over_on: Option<NaiveDate>, on: NaiveDate, e: &Entitlements| {
            let inv = Inventory {
                handed_over_on,
                ..Default::default()
            };
            super::compute(&inv, &book(), e, None, on)
                .unwrap()
                .lines
                .iter()
                .find(|l| l.code == "early_handover_bonus")
                .map(|l| l.amount)
        };
        let later = day(2026, 9, 1);
        // Handed over on the date: early; the day after: not.
        assert_eq!(bonus(Some(by), later, &e), Some(5_000_000));
        assert_eq!(bonus(by.pred_opt(), later, &e), Some(5_000_000));
        assert_eq!(bonus(by.succ_opt(), later, &e), None);
        // Not handed over yet: promised while the date has not passed, not after.
        assert_eq!(bonus(None, by, &e), Some(5_000_000));
        assert_eq!(bonus(None, later, &e), None);
        // A project without a date: nobody is early.
        let no_date = Entitlements {
            early_handover_by: None,
            ..e.clone()
        };
        assert_eq!(bonus(Some(day(2020, 1, 1)), later, &no_date), None);
    }

    #[test]
    fn lines_cite_the_rule_in_force_on_the_computation_date() {
        let e = Entitlements {
            other_support: 3_000_000,
            ..Default::default()
        };
        let inv = Inventory {
            assets: vec![land("ONT", 100, 1)],
            ..Default::default()
        };
        let in_2025 = super::compute(&inv, &book(), &e, None, day(2025, 12, 31)).unwrap();
        let in_2026 = super::compute(&inv, &book(), &e, None, day(2026, 1, 1)).unwrap();
        // Resolution 254/2025/QH15 is in force from 1 Jan 2026: a 2025 plan never cites it.
        for l in &in_2025.lines {
            assert!(!l.article.contains("254"), "{}: {}", l.code, l.article);
        }
        assert_eq!(line(&in_2025, "other_support").article, "LĐĐ 2024 Điều 108");
        assert!(line(&in_2025, "land:")
            .article
            .starts_with("LĐĐ 2024 Điều 91, 160"));
        assert_eq!(
            line(&in_2026, "other_support").article,
            "NQ 254/2025/QH15 Điều 3(12)"
        );
        assert!(line(&in_2026, "land:")
            .article
            .contains("NQ 254/2025/QH15 Điều 3(6)"));
        // The amounts do not change with the citation.
        assert_eq!(in_2025.net, in_2026.net);
        // Every version of the two topics in the rules table has its citation.
        for topic in ["compensation_land_price", "other_support"] {
            for v in crate::legal::rules::versions(topic) {
                assert!(articles::cited_versions().contains(&v.code), "{}", v.code);
            }
        }
    }

    #[test]
    fn loss_bands_at_their_boundaries() {
        assert_eq!(loss_band(2_999, 10_000), LossBand::Under30);
        assert_eq!(loss_band(3_000, 10_000), LossBand::From30To70);
        assert_eq!(loss_band(7_000, 10_000), LossBand::From30To70);
        assert_eq!(loss_band(7_001, 10_000), LossBand::Over70);
        // Held unknown (0) or below what is lost: all of it is lost.
        assert_eq!(loss_band(500, 0), LossBand::Over70);
        assert_eq!(loss_band(0, 0), LossBand::Under30);
    }

    #[test]
    fn stabilisation_months_follow_decree_88_article_19() {
        use LossBand::*;
        assert_eq!(stabilisation_months(From30To70, false, false, 3), 6);
        assert_eq!(stabilisation_months(From30To70, true, false, 3), 12);
        assert_eq!(stabilisation_months(From30To70, true, true, 3), 24);
        assert_eq!(stabilisation_months(Over70, false, false, 3), 12);
        assert_eq!(stabilisation_months(Over70, true, false, 3), 24);
        assert_eq!(stabilisation_months(Over70, true, true, 3), 36);
        assert_eq!(stabilisation_months(Under30, false, false, 3), 3);
        // The province's months never pass the 30–70 % ones.
        assert_eq!(stabilisation_months(Under30, false, false, 9), 6);
        assert_eq!(stabilisation_months(Under30, true, true, 30), 24);
    }

    #[test]
    fn stabilisation_is_rice_per_person_per_month() {
        // 30 % of the farmland exactly: 6 months; 4 people × 6 × 30 kg × 15 000 đ.
        let inv = Inventory {
            members_counted: 4,
            farmland_held_centi: 1_000 * 100,
            assets: vec![land("LUC", 300, 1)],
            ..Default::default()
        };
        let p = compute(&inv, &book(), &Entitlements::default(), None).unwrap();
        assert_eq!(line(&p, "stabilisation").amount, 4 * 6 * 30 * 15_000);
        // 70 % + 1 m²: 12 months.
        let inv = Inventory {
            assets: vec![land("LUC", 701, 1)],
            ..inv
        };
        let p = compute(&inv, &book(), &Entitlements::default(), None).unwrap();
        assert_eq!(line(&p, "stabilisation").quantity_centi, 4 * 12 * 100);
    }

    #[test]
    fn structures_take_remaining_value_plus_the_province_share_up_to_new_build() {
        let house = |remaining| Asset {
            category: Some(AssetCategory::Structure),
            code: "nha_cap_4".into(),
            grade: Some("B".into()),
            quantity_centi: 8_000,
            remaining_percent: Some(remaining),
            item_id: Some(9),
            ..Default::default()
        };
        let e = Entitlements::default(); // top-up 60 %
        let p = compute(
            &Inventory {
                assets: vec![house(30)],
                ..Default::default()
            },
            &book(),
            &e,
            None,
        )
        .unwrap();
        // Grade B price, 80 m², (30 % + 60 %) of new-build.
        assert_eq!(line(&p, "structure:").amount, 80 * 3_000_000 * 9 / 10);
        let p = compute(
            &Inventory {
                assets: vec![house(70)],
                ..Default::default()
            },
            &book(),
            &e,
            None,
        )
        .unwrap();
        assert_eq!(
            line(&p, "structure:").amount,
            80 * 3_000_000,
            "capped at new-build"
        );
    }

    #[test]
    fn trees_are_priced_by_age_class_and_graves_moved() {
        let trees = Asset {
            category: Some(AssetCategory::Tree),
            code: "keo".into(),
            age_class: Some("3-5".into()),
            quantity_centi: 250 * 100,
            ..Default::default()
        };
        let young = Asset {
            age_class: Some("1-2".into()),
            item_id: Some(2),
            ..trees.clone()
        };
        let grave = Asset {
            category: Some(AssetCategory::Grave),
            code: "mo_xay".into(),
            quantity_centi: 200,
            ..Default::default()
        };
        let p = compute(
            &Inventory {
                assets: vec![trees, young, grave],
                ..Default::default()
            },
            &book(),
            &Entitlements::default(),
            None,
        )
        .unwrap();
        let assets: Vec<Dong> = p
            .lines
            .iter()
            .filter(|l| l.group == G::Assets)
            .map(|l| l.amount)
            .collect();
        assert_eq!(assets, vec![250 * 40_000, 250 * 15_000]);
        assert_eq!(line(&p, "grave:").amount, 2 * 12_000_000);
    }

    #[test]
    fn a_missing_price_names_the_asset() {
        let a = Asset {
            category: Some(AssetCategory::Tree),
            code: "sau_rieng".into(),
            item_id: Some(5),
            quantity_centi: 100,
            ..Default::default()
        };
        assert_eq!(
            compute(
                &Inventory {
                    assets: vec![a],
                    ..Default::default()
                },
                &book(),
                &Entitlements::default(),
                None
            ),
            Err(CalcError::NoPrice {
                category: AssetCategory::Tree,
                code: "sau_rieng".into(),
                item_id: Some(5)
            })
        );
    }

    #[test]
    fn remaining_investment_is_cost_times_remaining_over_total_term() {
        let a = Asset {
            category: Some(AssetCategory::Investment),
            code: "cai_tao".into(),
            cost: 90_000_000,
            term_total: Some(10),
            term_remaining: Some(4),
            ..Default::default()
        };
        let p = compute(
            &Inventory {
                assets: vec![a],
                ..Default::default()
            },
            &book(),
            &Entitlements::default(),
            None,
        )
        .unwrap();
        assert_eq!(line(&p, "investment:").amount, 36_000_000);
    }

    #[test]
    fn obligations_are_deducted_from_land_compensation_only() {
        let house = Asset {
            category: Some(AssetCategory::Structure),
            code: "nha_cap_4".into(),
            quantity_centi: 10_000,
            item_id: Some(3),
            ..Default::default()
        };
        let inv = Inventory {
            obligations: 999_000_000,
            assets: vec![land("ONT", 100, 1), house],
            ..Default::default()
        };
        let p = compute(&inv, &book(), &Entitlements::default(), None).unwrap();
        let land_amount = line(&p, "land:").amount;
        assert_eq!(
            p.deductions, land_amount,
            "never more than land compensation"
        );
        assert_eq!(p.net, line(&p, "structure:").amount);
        let inv = Inventory {
            obligations: 1_000_000,
            ..inv
        };
        let p = compute(&inv, &book(), &Entitlements::default(), None).unwrap();
        assert_eq!(p.deductions, 1_000_000);
    }

    #[test]
    fn a_moving_household_pays_for_its_plot_and_is_topped_up_to_the_minimum_unit() {
        let e = Entitlements {
            resettlement_plot_centi: 100 * 100,
            resettlement_plot_price: 1_500_000,
            resettlement_min_value: 200_000_000,
            ..Default::default()
        };
        let inv = Inventory {
            relocating: true,
            assets: vec![land("ONT", 50, 1)],
            ..Default::default()
        };
        let p = compute(&inv, &book(), &e, None).unwrap();
        let land_amount = line(&p, "land:").amount; // 50 × 2 000 000 × 1.15 = 115 000 000
        assert_eq!(
            line(&p, "resettlement_min").amount,
            200_000_000 - land_amount
        );
        assert_eq!(p.resettlement_fee, 150_000_000);
        assert_eq!(line(&p, "relocation").amount, 5_000_000);
        assert_eq!(p.net, p.gross - p.resettlement_fee - p.deductions);
    }

    /// A book that prices rice per kg (8 000 đ/kg) and maize per m².
    fn crop_book() -> PriceBook {
        let mut lua = item(AssetCategory::Crop, "lua", 8_000);
        lua.unit = "kg".into();
        lua.name = "Lúa".into();
        PriceBook {
            table_id: 2,
            land_coefficient: ONE,
            items: vec![lua, item(AssetCategory::Crop, "ngo", 4_500)],
        }
    }

    fn crop(code: &str, m2: i64, yields: [Option<i64>; 3]) -> Asset {
        Asset {
            item_id: Some(7),
            parcel_label: Some("3/45".into()),
            category: Some(AssetCategory::Crop),
            code: code.into(),
            unit: "m²".into(),
            quantity_centi: m2 * 100,
            yields_kg: yields,
            ..Default::default()
        }
    }

    fn crop_line(a: Asset, book: &PriceBook) -> Result<Line, CalcError> {
        let inv = Inventory {
            assets: vec![a],
            ..Default::default()
        };
        let p = compute(&inv, book, &Entitlements::default(), None)?;
        assert_eq!(p.net, p.lines.iter().map(|l| l.amount).sum::<Dong>());
        Ok(line(&p, "crop:").clone())
    }

    #[test]
    fn an_annual_crop_is_paid_the_highest_of_its_three_yields() {
        let l = crop_line(
            crop("lua", 2_000, [Some(1_100), Some(1_250), Some(900)]),
            &crop_book(),
        )
        .unwrap();
        assert_eq!(l.amount, 1_250 * 8_000);
        assert_eq!((l.quantity_centi, l.unit.as_str()), (125_000, "kg"));
        assert_eq!(l.article, articles::CROPS);
        assert!(
            l.label
                .contains("(sản lượng cao nhất 3 năm: 1.250 kg × 8.000 đ/kg)"),
            "{}",
            l.label
        );
        assert!(l.label.contains("thửa 3/45"), "{}", l.label);
        // The highest is the third year's, or the first's: the order does not matter.
        for yields in [
            [Some(900), Some(1_100), Some(1_250)],
            [Some(1_250), Some(900), Some(1_100)],
        ] {
            let l = crop_line(crop("lua", 2_000, yields), &crop_book()).unwrap();
            assert_eq!(l.amount, 10_000_000);
        }
    }

    #[test]
    fn a_missing_year_is_left_out_and_zero_yields_pay_nothing() {
        // One of the three not recorded: the highest of the other two.
        let l = crop_line(
            crop("lua", 2_000, [Some(1_000), None, Some(1_200)]),
            &crop_book(),
        )
        .unwrap();
        assert_eq!(l.amount, 1_200 * 8_000);
        // Only one recorded.
        let l = crop_line(crop("lua", 2_000, [None, None, Some(1)]), &crop_book()).unwrap();
        assert_eq!(l.amount, 8_000);
        // Three lost harvests: nothing to pay, and the line says why.
        let l = crop_line(
            crop("lua", 2_000, [Some(0), Some(0), Some(0)]),
            &crop_book(),
        )
        .unwrap();
        assert_eq!(l.amount, 0);
        assert!(l.label.contains("0 kg × 8.000 đ/kg"), "{}", l.label);
    }

    #[test]
    fn without_yields_or_priced_per_m2_a_crop_keeps_the_area_basis() {
        // No yields: area × price, as before yields existed.
        let l = crop_line(crop("ngo", 300, [None; 3]), &crop_book()).unwrap();
        assert_eq!(l.amount, 300 * 4_500);
        assert_eq!(l.unit, "m²");
        // Yields recorded but the table prices maize per m²: the area, saying so.
        let l = crop_line(crop("ngo", 300, [Some(500), None, None]), &crop_book()).unwrap();
        assert_eq!(l.amount, 300 * 4_500);
        assert!(l.label.contains("theo diện tích"), "{}", l.label);
        // A yield beyond the bound is refused, never multiplied.
        let err = crop_line(
            crop("lua", 1, [Some(MAX_YIELD_KG + 1), None, None]),
            &crop_book(),
        );
        assert!(matches!(err, Err(CalcError::Invalid(_))), "{err:?}");
        let l = crop_line(
            crop("lua", 1, [Some(MAX_YIELD_KG), None, None]),
            &crop_book(),
        )
        .unwrap();
        assert_eq!(l.amount, MAX_YIELD_KG * 8_000);
        // Perennial trees stay by count (actual damage), whatever is recorded.
        assert!(priced_per_kg("đ/kg") && priced_per_kg(" KG ") && !priced_per_kg("m²"));
        assert_eq!(highest_yield(&[None; 3]), None);
    }

    #[test]
    fn a_household_s_own_plot_or_house_replaces_the_project_default() {
        let e = Entitlements {
            resettlement_plot_centi: 100 * 100,
            resettlement_plot_price: 1_500_000,
            resettlement_min_value: 200_000_000,
            ..Default::default()
        };
        let moving = |r: Option<Resettlement>| Inventory {
            relocating: true,
            resettlement: r,
            assets: vec![land("ONT", 50, 1)],
            ..Default::default()
        };
        // Its own plot: 80 m² at 1 200 000 đ/m².
        let p = compute(
            &moving(Some(Resettlement::Plot {
                code: "TĐC-A/12".into(),
                area_centi: 8_000,
                price: 1_200_000,
            })),
            &book(),
            &e,
            None,
        )
        .unwrap();
        let fee = line(&p, "resettlement_fee");
        assert_eq!(p.resettlement_fee, 96_000_000);
        assert_eq!(
            fee.label,
            "Tiền sử dụng đất nền tái định cư lô TĐC-A/12 (khấu trừ)"
        );
        assert_eq!((fee.quantity_centi, fee.unit.as_str()), (8_000, "m²"));
        // The State still tops up to the minimum unit.
        let land_amount = line(&p, "land:").amount;
        assert_eq!(
            line(&p, "resettlement_min").amount,
            200_000_000 - land_amount
        );
        assert_eq!(p.net, p.gross - p.resettlement_fee - p.deductions);
        // A house: its price, once.
        let p = compute(
            &moving(Some(Resettlement::House {
                code: "CC-B2-0405".into(),
                price: 450_000_000,
            })),
            &book(),
            &e,
            None,
        )
        .unwrap();
        let fee = line(&p, "resettlement_fee");
        assert_eq!(p.resettlement_fee, 450_000_000);
        assert_eq!(
            fee.label,
            "Tiền mua nhà ở tái định cư căn CC-B2-0405 (khấu trừ)"
        );
        assert_eq!(fee.group, G::Resettlement);
        // None recorded: the project's default plot, as before.
        let p = compute(&moving(None), &book(), &e, None).unwrap();
        assert_eq!(p.resettlement_fee, 150_000_000);
        assert_eq!(
            line(&p, "resettlement_fee").label,
            "Tiền sử dụng đất nền tái định cư (khấu trừ)"
        );
        // A household's own plot counts even where the project has no default one.
        let p = compute(
            &moving(Some(Resettlement::Plot {
                code: "L5".into(),
                area_centi: 10_000,
                price: 1_000_000,
            })),
            &book(),
            &Entitlements::default(),
            None,
        )
        .unwrap();
        assert_eq!(p.resettlement_fee, 100_000_000);
        // A household that does not move has no resettlement.
        let stays = Inventory {
            relocating: false,
            ..moving(Some(Resettlement::House {
                code: "X".into(),
                price: 1,
            }))
        };
        let p = compute(&stays, &book(), &e, None).unwrap();
        assert_eq!(p.resettlement_fee, 0);
    }

    #[test]
    fn the_floor_compares_unit_prices_only_in_the_same_unit() {
        // Approved: rice by area at 9 000 đ/m² on 2 000 m² (18 000 000 đ).
        let mut per_m2 = crop_book();
        per_m2.items[0].unit = "m²".into();
        per_m2.items[0].unit_price = 9_000;
        let approved = crop_line(crop("lua", 2_000, [None; 3]), &per_m2).unwrap();
        assert_eq!(
            (approved.unit.as_str(), approved.amount),
            ("m²", 18_000_000)
        );
        let revise = |a: Asset, book: &PriceBook, floor: &Line| {
            let inv = Inventory {
                assets: vec![a],
                ..Default::default()
            };
            let p = compute(
                &inv,
                book,
                &Entitlements::default(),
                Some(std::slice::from_ref(floor)),
            )
            .unwrap();
            line(&p, "crop:").clone()
        };
        // Revised: yields recorded and rice priced 8 000 đ/kg. 9 000 > 8 000, but đ/m² and
        // đ/kg do not compare: the highest yield × the price per kg, no floor note.
        let yields = [Some(1_300), Some(1_250), None];
        let l = revise(crop("lua", 2_000, yields), &crop_book(), &approved);
        assert_eq!((l.unit.as_str(), l.unit_price), ("kg", 8_000));
        assert_eq!(l.amount, 1_300 * 8_000);
        assert_eq!(l.note, None);
        // The reverse: approved per kg, revised per m² at a lower number (4 500 đ/m²): the
        // area × its own price, never 8 000 đ/kg × 2 000 m².
        let by_kg = crop_line(crop("lua", 2_000, yields), &crop_book()).unwrap();
        per_m2.items[0].unit_price = 4_500;
        let l = revise(crop("lua", 2_000, [None; 3]), &per_m2, &by_kg);
        assert_eq!((l.unit.as_str(), l.amount), ("m²", 2_000 * 4_500));
        assert_eq!(l.note, None);
        // Same unit, lower price: the floor holds (per kg 8 000 approved, 7 000 now).
        let mut cheaper = crop_book();
        cheaper.items[0].unit_price = 7_000;
        let l = revise(crop("lua", 2_000, yields), &cheaper, &by_kg);
        assert_eq!((l.unit_price, l.amount), (8_000, 1_300 * 8_000));
        assert!(l.note.is_some());
    }

    #[test]
    fn a_revision_never_lowers_an_approved_price() {
        let inv = Inventory {
            assets: vec![land("LUC", 100, 1), land("CLN", 100, 2)],
            ..Default::default()
        };
        let approved = compute(&inv, &book(), &Entitlements::default(), None).unwrap();
        let mut cheaper = book();
        cheaper.land_coefficient = 10_000;
        for i in &mut cheaper.items {
            if i.code == "CLN" {
                i.unit_price = 80_000; // CLN went up, the coefficient went down
            }
        }
        let revised = compute(
            &inv,
            &cheaper,
            &Entitlements::default(),
            Some(&approved.lines),
        )
        .unwrap();
        let luc = |p: &Plan| {
            p.lines
                .iter()
                .find(|l| l.code.starts_with("land:LUC"))
                .map(|l| l.amount)
        };
        assert_eq!(
            luc(&revised),
            luc(&approved),
            "LUC keeps its approved price"
        );
        assert!(revised.lines.iter().any(|l| l.note.is_some()));
        let cln = |p: &Plan| {
            p.lines
                .iter()
                .find(|l| l.code.starts_with("land:CLN"))
                .map_or(0, |l| l.amount)
        };
        assert_eq!(
            cln(&revised),
            100 * 80_000,
            "CLN takes the higher price of the revision date"
        );
        assert!(cln(&revised) > cln(&approved));
    }

    #[test]
    fn payment_on_the_thirtieth_day_is_on_time() {
        let approved = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let due = approved + chrono::Duration::days(30);
        assert_eq!(days_late(due, due), 0);
        assert_eq!(days_late(due, due + chrono::Duration::days(1)), 1);
        assert_eq!(late_interest(100_000_000, 0), 0);
        // 0.03 %/day: 100 000 000 × 0.0003 × 10 days.
        assert_eq!(late_interest(100_000_000, 10), 300_000);
        assert_eq!(late_interest(1_000, 1), 0); // 0.3 đ rounds to 0
        assert_eq!(late_interest(2_000, 1), 1); // 0.6 đ rounds to 1
    }

    #[test]
    fn versions_compare_line_by_line() {
        let a = vec![
            ("x".to_string(), "X".to_string(), 10),
            ("y".into(), "Y".into(), 5),
        ];
        let b = vec![
            ("x".to_string(), "X".to_string(), 12),
            ("z".into(), "Z".into(), 1),
        ];
        let d = diff(&a, &b);
        assert_eq!(d.len(), 3);
        assert_eq!((d[0].change.as_str(), d[0].difference), ("changed", 2));
        assert_eq!((d[1].change.as_str(), d[1].difference), ("added", 1));
        assert_eq!((d[2].change.as_str(), d[2].difference), ("removed", -5));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn asset() -> impl Strategy<Value = Asset> {
            (
                0usize..7,
                0i64..5_000_000,
                0i32..=100,
                1i32..20,
                0i32..20,
                0i64..1_000_000_000,
            )
                .prop_map(|(kind, q, rem, t1, t2, cost)| {
                    let (category, code) = [
                        (AssetCategory::Land, "LUC"),
                        (AssetCategory::Land, "ONT"),
                        (AssetCategory::Structure, "nha_cap_4"),
                        (AssetCategory::Tree, "keo"),
                        (AssetCategory::Grave, "mo_xay"),
                        (AssetCategory::Investment, "cai_tao"),
                        (AssetCategory::Crop, "lua"),
                    ][kind];
                    // Annual crops: three yields, one of them sometimes unknown.
                    let yields = if category == AssetCategory::Crop {
                        [
                            Some(q % 20_000),
                            (q % 3 != 0).then_some(q % 9_000),
                            Some(q % 15_000),
                        ]
                    } else {
                        [None; 3]
                    };
                    Asset {
                        yields_kg: yields,
                        category: Some(category),
                        code: code.into(),
                        quantity_centi: q,
                        remaining_percent: Some(rem),
                        term_total: Some(t1),
                        term_remaining: Some(t2.min(t1)),
                        cost,
                        ..Default::default()
                    }
                })
        }

        fn inventory() -> impl Strategy<Value = Inventory> {
            (
                prop::collection::vec(asset(), 0..8),
                0i32..12,
                any::<bool>(),
                any::<bool>(),
                0i64..10_000_000,
                0i64..2_000_000_000,
                prop_oneof![Just(0i64), 0i64..5_000_000_000],
            )
                .prop_map(
                    |(assets, members, relocating, hard_area, held, obligations, income)| {
                        Inventory {
                            members_counted: members,
                            relocating,
                            hard_area,
                            farmland_held_centi: held,
                            obligations,
                            business_income: income,
                            handed_over_on: None,
                            resettlement: None,
                            assets,
                        }
                    },
                )
        }

        fn entitlements() -> impl Strategy<Value = Entitlements> {
            (
                0i32..=JOB_CHANGE_CAP,
                0i64..100_000_000,
                0i64..5_000_000,
                0i64..500_000_000,
                0i32..=BUSINESS_SUPPORT_CAP,
                0i64..50_000_000,
            )
                .prop_map(|(job, bonus, plot_price, min, business, other)| {
                    Entitlements {
                        job_change_multiple: job,
                        business_support: business,
                        other_support: other,
                        early_handover_bonus: bonus,
                        early_handover_by: NaiveDate::from_ymd_opt(2027, 1, 1),
                        resettlement_plot_centi: 10_000,
                        resettlement_plot_price: plot_price,
                        resettlement_min_value: min,
                        ..Default::default()
                    }
                })
        }

        proptest! {
            #[test]
            fn a_plan_total_is_the_sum_of_its_lines(inv in inventory(), e in entitlements()) {
                let p = compute(&inv, &book(), &e, None).unwrap();
                prop_assert_eq!(p.net, p.lines.iter().map(|l| l.amount).sum::<Dong>());
                prop_assert_eq!(p.net, p.gross - p.deductions - p.resettlement_fee);
                prop_assert!(p.deductions >= 0 && p.deductions <= inv.obligations);
                let business = p.lines.iter().find(|l| l.code == "business").map_or(0, |l| l.amount);
                prop_assert_eq!(business, amount(100, inv.business_income, e.business_support));
                for l in &p.lines {
                    prop_assert_eq!(l.amount, amount(l.quantity_centi, l.unit_price, l.factor));
                }
            }

            #[test]
            fn a_revision_never_lowers_an_approved_price(
                inv in inventory(), e in entitlements(), coef in 5_000i32..30_000, scale in 1i64..300
            ) {
                let approved = compute(&inv, &book(), &e, None).unwrap();
                let mut later = book();
                later.land_coefficient = coef;
                for i in &mut later.items { i.unit_price = i.unit_price * scale / 100; }
                let revised = compute(&inv, &later, &e, Some(&approved.lines)).unwrap();
                for l in &revised.lines {
                    if let Some(old) = approved.lines.iter().find(|o| o.code == l.code && is_priced(o)) {
                        prop_assert!(l.effective_price() >= old.effective_price(), "{} fell", l.code);
                    }
                }
            }
        }
    }
}
