//! The demo's compensation (issue 17): the province's price tables for 2025 and 2026 (the
//! second a new version of the first), the project's entitlement settings with their
//! decisions, and in every commune inventories, drafts, a posted plan, approved plans paid on
//! time and late, unpaid ones near and past the 30-day limit, a deposit of disputed money and a
//! revision; rice on some fields paid by the highest of its 3 yields at the price per kg, and
//! some moving households with their own resettlement plot or house. Plans go through the same service as the API, so every number is one the
//! calculator gives; the dates come from the case stages the demo already holds.
use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context;
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use crate::auth::{Principal, Scope};
use crate::compensation::dto::{
    ApproveInput, ComputeInput, InventoryInput, ItemInput, PaymentInput, PostInput,
    ResettlementInput, ResettlementKind,
};
use crate::compensation::service;
use crate::domain::{AssetCategory, CaseStage, PaymentKind, PaymentMethod, Role};
use crate::entities::{
    admin_units, compensation_settings, parcels, price_items, price_tables, users,
};
use crate::scoped::{self, case_stage_events as events, household_parcels, households};

/// Households per commune given each kind of compensation work.
/// Approved plans per commune, of the households the case stages say are paid and of those
/// not yet: past the 30-day limit one is paid in part late and one deposited, the paid are paid,
/// one unpaid is revised and the rest are left near or past the limit.
const APPROVED_PER_COMMUNE: usize = 3;
const POSTED_PER_COMMUNE: usize = 1;
const INVENTORIED_PER_COMMUNE: usize = 3;

fn day(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).context("demo date")
}

/// (category, code, name, unit, price, grade, age class)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<&'static str>,
    Option<&'static str>,
);

/// The 2026 prices; the 2025 table is the same at 92 %.
const PRICES: &[Row] = &[
    (
        "land",
        "LUC",
        "Đất chuyên trồng lúa nước",
        "m²",
        65_000,
        None,
        None,
    ),
    (
        "land",
        "LUK",
        "Đất trồng lúa còn lại",
        "m²",
        60_000,
        None,
        None,
    ),
    (
        "land",
        "HNK",
        "Đất trồng cây hằng năm khác",
        "m²",
        55_000,
        None,
        None,
    ),
    (
        "land",
        "CLN",
        "Đất trồng cây lâu năm",
        "m²",
        58_000,
        None,
        None,
    ),
    ("land", "RSX", "Đất rừng sản xuất", "m²", 28_000, None, None),
    (
        "land",
        "NTS",
        "Đất nuôi trồng thủy sản",
        "m²",
        52_000,
        None,
        None,
    ),
    (
        "land",
        "ONT",
        "Đất ở tại nông thôn",
        "m²",
        1_850_000,
        None,
        None,
    ),
    (
        "land",
        "ODT",
        "Đất ở tại đô thị",
        "m²",
        3_200_000,
        None,
        None,
    ),
    (
        "land",
        "NTD",
        "Đất nghĩa trang, nhà tang lễ",
        "m²",
        400_000,
        None,
        None,
    ),
    ("land", "DGT", "Đất giao thông", "m²", 350_000, None, None),
    ("land", "DTL", "Đất thủy lợi", "m²", 300_000, None, None),
    (
        "land",
        "SKC",
        "Đất cơ sở sản xuất phi nông nghiệp",
        "m²",
        900_000,
        None,
        None,
    ),
    (
        "land",
        "TMD",
        "Đất thương mại, dịch vụ",
        "m²",
        1_200_000,
        None,
        None,
    ),
    (
        "land",
        "DCS",
        "Đất bằng chưa sử dụng",
        "m²",
        20_000,
        None,
        None,
    ),
    (
        "structure",
        "nha_cap_4",
        "Nhà cấp IV",
        "m²",
        3_650_000,
        Some("A"),
        None,
    ),
    (
        "structure",
        "nha_cap_4",
        "Nhà cấp IV",
        "m²",
        3_150_000,
        Some("B"),
        None,
    ),
    (
        "structure",
        "nha_cap_4",
        "Nhà cấp IV",
        "m²",
        2_600_000,
        Some("C"),
        None,
    ),
    (
        "structure",
        "nha_tam",
        "Nhà tạm, vật kiến trúc khác",
        "m²",
        950_000,
        None,
        None,
    ),
    (
        "structure",
        "tuong_rao",
        "Tường rào xây gạch",
        "m²",
        420_000,
        None,
        None,
    ),
    ("tree", "keo", "Keo lai", "cây", 12_000, None, Some("1-2")),
    ("tree", "keo", "Keo lai", "cây", 38_000, None, Some("3-5")),
    ("tree", "dua", "Dừa", "cây", 650_000, None, None),
    ("tree", "xoai", "Xoài", "cây", 720_000, None, None),
    ("crop", "lua", "Lúa", "m²", 9_500, None, None),
    // Rice by its yield (LĐĐ 2024 Art. 103(1)): 8 000 đ/kg in 2025, 9 000 đ/kg in 2026.
    ("crop", "lua_kg", "Lúa", "kg", 8_500, None, None),
    ("crop", "hoa_mau", "Hoa màu", "m²", 7_000, None, None),
    ("grave", "mo_dat", "Mộ đất", "mộ", 8_000_000, None, None),
    ("grave", "mo_xay", "Mộ xây", "mộ", 14_500_000, None, None),
    (
        "livestock",
        "gia_suc",
        "Gia súc",
        "con",
        500_000,
        None,
        None,
    ),
    (
        "moving",
        "di_chuyen_ho",
        "Chi phí di chuyển chỗ ở",
        "hộ",
        6_000_000,
        None,
        None,
    ),
];

async fn price_table(
    db: &impl sea_orm::ConnectionTrait,
    version: i32,
    supersedes: Option<i32>,
    (from, until): (NaiveDate, Option<NaiveDate>),
    (name, basis, coefficient, percent): (&str, &str, i32, i64),
) -> anyhow::Result<i32> {
    let t = price_tables::ActiveModel {
        province_code: Set("51".into()),
        name: Set(name.into()),
        legal_basis: Set(basis.into()),
        issued_on: Set(Some(from - Duration::days(12))),
        valid_from: Set(from),
        valid_until: Set(until),
        land_coefficient: Set(coefficient),
        coefficient_basis: Set(Some(format!("Hệ số điều chỉnh giá đất kèm {basis}"))),
        version: Set(version),
        supersedes_id: Set(supersedes),
        created_by: Set(None),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (category, code, item, unit, price, grade, age) in PRICES {
        price_items::ActiveModel {
            price_table_id: Set(t.id),
            category: Set((*category).into()),
            code: Set((*code).into()),
            name: Set((*item).into()),
            unit: Set((*unit).into()),
            // Round to the thousand, as the tables print.
            unit_price: Set((price * percent / 100 + 500) / 1000 * 1000),
            grade: Set(grade.map(str::to_string)),
            age_class: Set(age.map(str::to_string)),
            zone: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(t.id)
}

async fn settings(
    db: &impl sea_orm::ConnectionTrait,
    project_id: i32,
    decided_on: NaiveDate,
) -> anyhow::Result<()> {
    let rows: [(&str, i64, &str); 7] = [
        ("job_change_multiple", 30_000, "QĐ 15/2026/QĐ-UBND"),
        ("rice_price_per_kg", 16_000, "QĐ 15/2026/QĐ-UBND"),
        ("structure_top_up_percent", 6_000, "QĐ 15/2026/QĐ-UBND"),
        ("relocation_support", 6_000_000, "QĐ 15/2026/QĐ-UBND"),
        ("early_handover_bonus", 5_000_000, "QĐ 15/2026/QĐ-UBND"),
        ("other_support", 3_000_000, "NQ 08/2026/NQ-HĐND xã Bình Sơn"),
        ("allocation_limit_m2", 3_000 * 100, "QĐ 15/2026/QĐ-UBND"),
    ];
    for (code, value, decision) in rows {
        compensation_settings::ActiveModel {
            project_id: Set(project_id),
            code: Set(code.into()),
            value: Set(value),
            decision_no: Set(Some(decision.into())),
            decided_on: Set(Some(decided_on)),
            updated_by: Set(None),
            updated_at: Set(Utc::now().fixed_offset()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The stage dates of every household that reached one of the compensation stages.
async fn stage_dates(
    db: &impl sea_orm::ConnectionTrait,
    project_id: i32,
) -> anyhow::Result<HashMap<i32, BTreeMap<&'static str, NaiveDate>>> {
    let wanted = [
        CaseStage::Inventory,
        CaseStage::PlanPosted,
        CaseStage::PlanApproved,
        CaseStage::Paid,
    ];
    let rows = scoped::case_stage_events(&Scope::cli())
        .filter(events::Column::ProjectId.eq(project_id))
        .filter(events::Column::Stage.is_in(wanted.iter().map(|s| s.as_str())))
        .filter(events::Column::ParcelId.is_null())
        .order_by_asc(events::Column::OccurredOn)
        .all(db)
        .await?;
    let mut out: HashMap<i32, BTreeMap<&'static str, NaiveDate>> = HashMap::new();
    for r in rows {
        if let Some(s) = wanted.iter().find(|s| s.as_str() == r.stage) {
            out.entry(r.household_id)
                .or_default()
                .entry(s.as_str())
                .or_insert(r.occurred_on);
        }
    }
    Ok(out)
}

/// Rice recorded by its yields: in each of the previous 3 years 0.60 to 0.70 kg per m² of the
/// field (e.g. 600 to 700 kg on 1 000 m²); on every other field one year was not recorded.
fn rice_yields(area_m2: f64, n: i64) -> Vec<Option<i64>> {
    let year = |i: i64| {
        let kg_per_m2 = f64::from(60 + i32::try_from((n + 3 * i) % 11).unwrap_or(0)) / 100.0;
        Some((area_m2 * kg_per_m2).round() as i64)
    };
    vec![year(0), (n % 2 == 1).then(|| year(1)).flatten(), year(2)]
}

/// A moving household's own resettlement, for one in four: a plot of 100 to 150 m² on the
/// commune's resettlement site, or for another one in four a house there; the others take
/// the project's default.
fn resettlement_of(h: &households::Model, commune: &str) -> Option<ResettlementInput> {
    let n = i64::from(h.id);
    match n % 4 {
        1 => Some(ResettlementInput {
            kind: ResettlementKind::Plot,
            code: format!("TĐC-{commune}/L{}", 1 + n % 40),
            area_m2: Some((100 + n % 51) as f64),
            price: 1_100_000 + (n % 3) * 100_000,
        }),
        3 => Some(ResettlementInput {
            kind: ResettlementKind::House,
            code: format!("TĐC-{commune}/NLK-{:02}", 1 + n % 24),
            area_m2: None,
            price: 380_000_000 + (n % 5) * 10_000_000,
        }),
        _ => None,
    }
}

/// What a household has on its parcels: the land, and by the land's use a house, trees, a
/// crop (rice on some fields by its yields) or a grave, and for some that move their own
/// resettlement plot or house (deterministic from the household's id).
fn inventory_of(
    h: &households::Model,
    commune: &str,
    parcels: &[parcels::Model],
    on: NaiveDate,
) -> InventoryInput {
    let mut items = Vec::new();
    let mut relocating = false;
    for p in parcels {
        let area = if p.recovered_area_m2 > 0.0 {
            p.recovered_area_m2
        } else {
            p.area_m2
        };
        let area = (area * 10.0).round() / 10.0;
        let item = |category, code: &str, quantity: f64| ItemInput {
            parcel_id: Some(p.id),
            category,
            code: code.into(),
            description: None,
            unit: None,
            quantity,
            grade: None,
            year_built: None,
            age_class: None,
            remaining_percent: None,
            cost: 0,
            term_total: None,
            term_remaining: None,
            yields_kg: None,
        };
        items.push(item(AssetCategory::Land, &p.land_use, area));
        let n = i64::from(h.id + p.id);
        match p.land_use.as_str() {
            "ONT" | "ODT" => {
                relocating = true;
                items.push(ItemInput {
                    grade: Some(["A", "B", "C"][(n % 3) as usize].into()),
                    year_built: Some(1995 + (n % 25) as i32),
                    remaining_percent: Some(40 + (n % 5) as i32 * 10),
                    description: Some("Nhà cấp IV mái ngói".into()),
                    ..item(AssetCategory::Structure, "nha_cap_4", (60 + n % 60) as f64)
                });
                items.push(item(
                    AssetCategory::Structure,
                    "tuong_rao",
                    (20 + n % 30) as f64,
                ));
                items.push(item(AssetCategory::Tree, "dua", (2 + n % 6) as f64));
            }
            "CLN" | "RSX" => items.push(ItemInput {
                age_class: Some(if n % 2 == 0 { "3-5" } else { "1-2" }.into()),
                ..item(AssetCategory::Tree, "keo", (area / 4.0).round().max(10.0))
            }),
            "LUC" | "LUK" if n % 3 == 0 => items.push(ItemInput {
                yields_kg: Some(rice_yields(area, n)),
                ..item(AssetCategory::Crop, "lua_kg", area)
            }),
            "LUC" | "LUK" | "HNK" => items.push(item(AssetCategory::Crop, "lua", area)),
            _ => {}
        }
        if n % 7 == 0 {
            items.push(item(
                AssetCategory::Grave,
                if n % 2 == 0 { "mo_xay" } else { "mo_dat" },
                1.0,
            ));
        }
    }
    if relocating {
        items.push(ItemInput {
            parcel_id: None,
            category: AssetCategory::Moving,
            code: "di_chuyen_ho".into(),
            description: None,
            unit: None,
            quantity: 1.0,
            grade: None,
            year_built: None,
            age_class: None,
            remaining_percent: None,
            cost: 0,
            term_total: None,
            term_remaining: None,
            yields_kg: None,
        });
    }
    let members: Vec<serde_json::Value> = serde_json::from_str(&h.members).unwrap_or_default();
    InventoryInput {
        record_no: format!("{}/BB-KĐ", 100 + h.id),
        inventoried_on: on,
        members_counted: i32::try_from(members.len()).unwrap_or(4).clamp(1, 9),
        relocating,
        hard_area: false,
        farmland_held_m2: None,
        obligations: if h.id % 5 == 0 { 1_500_000 } else { 0 },
        business_income: 0,
        resettlement: relocating.then(|| resettlement_of(h, commune)).flatten(),
        note: None,
        items,
    }
}

/// A district official of the demo: the plans are hers.
async fn official(db: &impl sea_orm::ConnectionTrait) -> anyhow::Result<Principal> {
    let user = users::Entity::find()
        .filter(users::Column::Username.eq(super::DISTRICT_LEADER.0))
        .one(db)
        .await?
        .context("the demo's district leader")?;
    Ok(Principal {
        user_id: Some(user.id),
        username: user.username,
        role: Role::DistrictLeader,
        scope: Scope::cli(),
        groups: std::sync::Arc::new(Vec::new()),
        token: None,
    })
}

/// What the demo did, for the log.
#[derive(Debug, Default)]
struct Done {
    approved: usize,
    posted: usize,
    paid: usize,
    /// Communes with a plan still posted, and the households given compensation work.
    posted_in: HashSet<i32>,
    worked: HashSet<i32>,
}

#[tracing::instrument(skip_all, fields(project_id))]
/// The households of `ids`, in chunks: a large demo has more households than SQLite takes
/// bound variables.
async fn households_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> anyhow::Result<Vec<households::Model>> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(10_000) {
        rows.extend(
            scoped::households(&Scope::cli())
                .filter(households::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(households::Column::Id)
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    let old = price_table(
        &txn,
        1,
        None,
        (day(2025, 1, 1)?, Some(day(2025, 12, 31)?)),
        (
            "Bảng giá đất và đơn giá bồi thường tỉnh Quảng Ngãi",
            "QĐ 48/2024/QĐ-UBND",
            10_000,
            92,
        ),
    )
    .await?;
    price_table(
        &txn,
        2,
        Some(old),
        (day(2026, 1, 1)?, None),
        (
            "Bảng giá đất và đơn giá bồi thường tỉnh Quảng Ngãi",
            "QĐ 02/2026/QĐ-UBND",
            11_000,
            100,
        ),
    )
    .await?;
    settings(&txn, project_id, day(2026, 1, 15)?).await?;
    let who = official(&txn).await?;
    let dates = stage_dates(&txn, project_id).await?;
    let mut ids: Vec<i32> = dates.keys().copied().collect();
    ids.sort_unstable();
    let mut rows = households_by_id(&txn, &ids).await?;
    // The oldest approvals first: among the unpaid, those past their limit are the ones to show.
    rows.sort_by_key(|h| {
        let approved = dates
            .get(&h.id)
            .and_then(|d| d.get(CaseStage::PlanApproved.as_str()).copied());
        (approved.unwrap_or(NaiveDate::MAX), h.id)
    });
    let mut per_commune: HashMap<(i32, &str), usize> = HashMap::new();
    let mut done = Done::default();
    let mut slots = HashSet::new();
    for h in &rows {
        let Some(d) = dates.get(&h.id) else { continue };
        let Some(&inventoried) = d.get(CaseStage::Inventory.as_str()) else {
            continue;
        };
        let kind = if d.contains_key(CaseStage::PlanApproved.as_str()) {
            if d.contains_key(CaseStage::Paid.as_str()) {
                "approved_paid"
            } else {
                "approved_unpaid"
            }
        } else if d.contains_key(CaseStage::PlanPosted.as_str()) {
            "posted"
        } else {
            "inventoried"
        };
        let quota = match kind {
            "approved_paid" | "approved_unpaid" => APPROVED_PER_COMMUNE,
            "posted" => POSTED_PER_COMMUNE,
            _ => INVENTORIED_PER_COMMUNE,
        };
        let taken = per_commune.entry((h.commune_id, kind)).or_default();
        if *taken >= quota {
            continue;
        }
        let nth = *taken;
        match household(&txn, &who, h, d, inventoried, nth, &mut slots, today).await {
            Ok(outcome) => {
                *taken += 1;
                done.worked.insert(h.id);
                match outcome {
                    Outcome::Approved { paid } => {
                        done.approved += 1;
                        done.paid += usize::from(paid);
                    }
                    Outcome::Posted => {
                        done.posted += 1;
                        done.posted_in.insert(h.commune_id);
                    }
                    Outcome::Inventoried => {}
                }
            }
            // A household whose recorded dates the service refuses is skipped, not fatal.
            Err(e) => tracing::warn!(household = h.id, error = %e, "demo compensation skipped"),
        }
    }
    post_where_missing(&txn, &who, &rows, &dates, &mut slots, &mut done, today).await;
    objection(&txn, &who, today).await?;
    tracing::info!(
        approved = done.approved,
        posted = done.posted,
        paid = done.paid,
        "demo compensation loaded"
    );
    txn.commit().await?;
    Ok(())
}

/// Every commune shows a posted plan: where none of its households' stages gave one, an
/// inventoried household not yet worked on has its plan posted these days.
async fn post_where_missing(
    db: &impl ConnectionTrait,
    who: &Principal,
    rows: &[households::Model],
    dates: &HashMap<i32, BTreeMap<&'static str, NaiveDate>>,
    slots: &mut HashSet<(i32, &'static str)>,
    done: &mut Done,
    today: NaiveDate,
) {
    for h in rows {
        if done.posted_in.contains(&h.commune_id) || done.worked.contains(&h.id) {
            continue;
        }
        let Some(&inventoried) = dates
            .get(&h.id)
            .and_then(|d| d.get(CaseStage::Inventory.as_str()))
        else {
            continue;
        };
        let only_inventory = BTreeMap::from([(CaseStage::Inventory.as_str(), inventoried)]);
        match household(db, who, h, &only_inventory, inventoried, 0, slots, today).await {
            Ok(Outcome::Posted) => {
                done.posted += 1;
                done.posted_in.insert(h.commune_id);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(household = h.id, error = %e, "demo posting skipped"),
        }
    }
}

/// A household objects to the land price of its posted plan: a petition pointing at the line.
async fn objection(
    db: &impl sea_orm::ConnectionTrait,
    who: &Principal,
    today: NaiveDate,
) -> anyhow::Result<()> {
    use crate::scoped::{compensation_plans as plans, plan_lines as lines};
    let Some(plan) = scoped::compensation_plans(&Scope::cli())
        .filter(plans::Column::Status.eq(crate::domain::PlanStatus::Posted.as_str()))
        .order_by_asc(plans::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(line) = scoped::plan_lines(&Scope::cli())
        .filter(lines::Column::PlanId.eq(plan.id))
        .filter(lines::Column::Grp.eq(crate::domain::PlanGroup::Land.as_str()))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let project = crate::entities::projects::Entity::find_by_id(plan.project_id)
        .one(db)
        .await?
        .context("demo project")?;
    let input = crate::grievances::dto::NewGrievance {
        project: project.code,
        kind: crate::legal::GrievanceKind::Petition,
        channel: crate::domain::Channel::Direct,
        received_on: plan.posted_on.unwrap_or(today).max(today - Duration::days(2)),
        content: format!(
            "Hộ đề nghị xem lại đơn giá bồi thường đất ở dòng “{}” của phương án niêm yết: giá thấp hơn giá chuyển nhượng thực tế trong khu vực.",
            line.label
        ),
        households: vec![crate::grievances::dto::GrievanceHouseholdInput {
            household_id: plan.household_id,
            parcel_id: line.parcel_id,
        }],
        remote_area: false,
        complex: false,
        especially_complex: false,
        signers: None,
        document_no: None,
        plan_line_id: Some(line.id),
    };
    crate::grievances::service::create(
        db,
        who,
        input,
        crate::legal::rules::PETITION_ANSWER.days(),
        today,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo objection: {e}"))?;
    Ok(())
}

enum Outcome {
    Approved { paid: bool },
    Posted,
    Inventoried,
}

/// One household's compensation, from the dates its case reached.
#[allow(clippy::too_many_arguments)]
async fn household(
    db: &impl sea_orm::ConnectionTrait,
    who: &Principal,
    h: &households::Model,
    d: &BTreeMap<&'static str, NaiveDate>,
    inventoried: NaiveDate,
    nth: usize,
    slots: &mut HashSet<(i32, &'static str)>,
    today: NaiveDate,
) -> anyhow::Result<Outcome> {
    let scope = Scope::cli();
    let id = scoped::household(db, &scope, h.id).await?;
    let held: Vec<i32> = scoped::household_parcels(&scope)
        .filter(household_parcels::Column::HouseholdId.eq(h.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.parcel_id)
        .collect();
    let parcels = parcels::Entity::find()
        .filter(parcels::Column::Id.is_in(held))
        .filter(parcels::Column::RetiredAt.is_null())
        .order_by_asc(parcels::Column::Id)
        .all(db)
        .await?;
    if parcels.is_empty() {
        anyhow::bail!("no current parcel");
    }
    let commune = admin_units::Entity::find_by_id(h.commune_id)
        .one(db)
        .await?
        .map(|c| {
            let name = c.name.trim();
            ["Xã ", "Phường ", "Thị trấn "]
                .iter()
                .find_map(|p| name.strip_prefix(p))
                .unwrap_or(name)
                .to_string()
        })
        .unwrap_or_default();
    service::save_inventory(
        db,
        who,
        id,
        inventory_of(h, &commune, &parcels, inventoried),
        None,
        None,
        today,
    )
    .await
    .map_err(|e| anyhow::anyhow!("inventory: {e}"))?;
    let Some(&posted) = d.get(CaseStage::PlanPosted.as_str()) else {
        // One posted these days (its posting still running), one draft, one not yet computed.
        let on = inventoried.max(today - Duration::days(4));
        return match nth {
            0 => {
                let (plan, version) = compute(db, who, id, on, today).await?;
                service::post_plan(db, who, plan, version, PostInput { posted_on: on }, today)
                    .await
                    .map_err(|e| anyhow::anyhow!("post: {e}"))?;
                Ok(Outcome::Posted)
            }
            1 => {
                compute(db, who, id, on, today).await?;
                Ok(Outcome::Inventoried)
            }
            _ => Ok(Outcome::Inventoried),
        };
    };
    let computed = (posted - Duration::days(5)).max(inventoried);
    let plan = compute(db, who, id, computed, today).await?;
    let plan = service::post_plan(
        db,
        who,
        plan.0,
        plan.1,
        PostInput { posted_on: posted },
        today,
    )
    .await
    .map_err(|e| anyhow::anyhow!("post: {e}"))?;
    let (Some(plan_id), Some(&approved)) = (plan.id, d.get(CaseStage::PlanApproved.as_str()))
    else {
        return Ok(Outcome::Posted);
    };
    let approved_plan = service::approve_plan(
        db,
        who,
        plan_id,
        plan.version,
        ApproveInput {
            approved_on: approved,
            decision_no: format!("{}/QĐ-UBND", 2000 + h.id),
            approving_body: None,
        },
        today,
    )
    .await
    .map_err(|e| anyhow::anyhow!("approve: {e}"))?;
    let paid = settle(db, who, h, d, &approved_plan, approved, slots, today).await?;
    Ok(Outcome::Approved { paid })
}

/// The plan's money: in each commune one plan past its limit paid in part late and one
/// deposited, then payments as the case stages say; of the unpaid one revised, the rest left
/// near or past the limit. Returns whether all is paid.
#[allow(clippy::too_many_arguments)]
async fn settle(
    db: &impl sea_orm::ConnectionTrait,
    who: &Principal,
    h: &households::Model,
    d: &BTreeMap<&'static str, NaiveDate>,
    approved_plan: &crate::compensation::dto::PlanDto,
    approved: NaiveDate,
    slots: &mut HashSet<(i32, &'static str)>,
    today: NaiveDate,
) -> anyhow::Result<bool> {
    let plan_id = approved_plan.id.context("stored plan")?;
    let id = scoped::household(db, &Scope::cli(), h.id).await?;
    let due = approved_plan.payment_due_on.context("due date")?;
    let net = approved_plan.net;
    let pay = |kind, amount, on, method, receipt: String, bank: Option<&str>| PaymentInput {
        kind,
        amount,
        paid_on: on,
        method,
        receipt_no: receipt,
        bank: bank.map(str::to_string),
        note: None,
    };
    let mut paid = false;
    // Every commune shows, past the 30-day limit, one plan paid in part late and one whose
    // money was refused and deposited; the others are paid as their case stages say.
    if due < today && slots.insert((h.commune_id, "late")) {
        // Paid in part on time, the rest late: interest for the days after the limit.
        let first = net * 6 / 10;
        let early = (due - Duration::days(3)).max(approved);
        let late = (due + Duration::days(12)).min(today);
        for (amount, on, method, receipt) in [
            (first, early, PaymentMethod::Cash, format!("PC-{:04}", h.id)),
            (
                net - first,
                late,
                PaymentMethod::Transfer,
                format!("PC-{:04}B", h.id),
            ),
        ] {
            service::pay(
                db,
                who,
                plan_id,
                pay(PaymentKind::Payment, amount, on, method, receipt, None),
                None,
                today,
            )
            .await
            .map_err(|e| anyhow::anyhow!("pay: {e}"))?;
        }
        paid = true;
    } else if due < today && slots.insert((h.commune_id, "deposit")) {
        deposit(db, who, h, plan_id, net, due, today).await?;
        paid = true;
    } else if let Some(&paid_on) = d.get(CaseStage::Paid.as_str()) {
        // The generated payment day, on or after the approval.
        let on = paid_on.max(approved).min(today);
        service::pay(
            db,
            who,
            plan_id,
            pay(
                PaymentKind::Payment,
                net,
                on,
                PaymentMethod::Transfer,
                format!("PC-{:04}", h.id),
                None,
            ),
            None,
            today,
        )
        .await
        .map_err(|e| anyhow::anyhow!("pay: {e}"))?;
        paid = true;
    } else if slots.insert((h.commune_id, "revision")) {
        // Revised after approval: a new draft at today's prices, never below the approved.
        compute(db, who, id, today, today).await?;
    }
    // The others stay unpaid: near the 30-day limit or past it, for the alerts.
    Ok(paid)
}

/// Refused money deposited at the State Treasury (LĐĐ 2024 Art. 94(4)).
async fn deposit(
    db: &impl sea_orm::ConnectionTrait,
    who: &Principal,
    h: &households::Model,
    plan_id: i32,
    net: i64,
    due: NaiveDate,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let input = PaymentInput {
        kind: PaymentKind::Deposit,
        amount: net,
        paid_on: due,
        method: PaymentMethod::Deposit,
        receipt_no: format!("GNT-{:04}", h.id),
        bank: Some("Kho bạc Nhà nước khu vực XIII – Bình Sơn".into()),
        note: Some("Hộ không nhận tiền, gửi vào tài khoản tạm giữ".into()),
    };
    service::pay(db, who, plan_id, input, None, today)
        .await
        .map_err(|e| anyhow::anyhow!("deposit: {e}"))?;
    Ok(())
}

async fn compute(
    db: &impl sea_orm::ConnectionTrait,
    who: &Principal,
    id: scoped::Scoped<scoped::HouseholdId>,
    on: NaiveDate,
    today: NaiveDate,
) -> anyhow::Result<(i32, i32)> {
    let plan = service::compute_plan(
        db,
        who,
        id,
        ComputeInput {
            price_table_id: None,
            computed_on: Some(on),
            dry_run: false,
        },
        today,
    )
    .await
    .map_err(|e| anyhow::anyhow!("compute: {e}"))?;
    Ok((plan.id.context("stored plan")?, plan.version))
}
