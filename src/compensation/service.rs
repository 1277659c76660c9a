//! Reads and writes of inventories, plan versions and payments, each through the caller's
//! scope. The numbers come from `calc`; the legal dates from `crate::legal`.
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::calc::{self, Dong, Entitlements, PriceBook, ONE};
use super::dto::*;
use crate::auth::{Principal, Scope};
use crate::domain::{AssetCategory, CaseStage, PaymentKind, PaymentMethod, PlanGroup, PlanStatus};
use crate::entities::{parcels, price_tables};
use crate::error::{AppError, AppResult};
use crate::legal::RuleDto;
use crate::scoped::{
    self, compensation_plans as plans, inventories, inventory_items as items, payments,
    plan_lines as lines, HouseholdId, Scoped,
};

/// Bounds on what one inventory may hold, checked before anything is stored.
const MAX_ITEMS: usize = 500;
const MAX_TEXT: usize = 500;
/// 10¹⁵ đồng: far above any household's compensation, far below overflow.
const MAX_MONEY: Dong = 1_000_000_000_000_000;
/// 10⁹ units (m², trees).
const MAX_QUANTITY: f64 = 1e9;

fn invalid(code: &'static str, message: String, details: serde_json::Value) -> AppError {
    AppError::Unprocessable {
        code,
        message,
        details: Some(details),
    }
}

/// A decimal quantity as hundredths of its unit.
pub fn centi(field: &str, v: f64) -> AppResult<i64> {
    if !v.is_finite() || !(0.0..=MAX_QUANTITY).contains(&v) {
        return Err(invalid(
            "invalid_quantity",
            format!("{field} must be a number from 0 to 1 000 000 000"),
            json!({"field": field}),
        ));
    }
    // Bounded above, so the cast cannot overflow.
    Ok((v * 100.0).round() as i64)
}

fn units(centi: i64) -> f64 {
    centi as f64 / 100.0
}

fn money(field: &str, v: Dong) -> AppResult<Dong> {
    if !(0..=MAX_MONEY).contains(&v) {
        return Err(invalid(
            "invalid_amount",
            format!("{field} must be a whole number of đồng from 0 to 10^15"),
            json!({"field": field}),
        ));
    }
    Ok(v)
}

fn text(field: &str, v: Option<&str>) -> AppResult<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    if v.is_some_and(|s| s.chars().count() > MAX_TEXT) {
        return Err(invalid(
            "text_too_long",
            format!("{field} is limited to {MAX_TEXT} characters"),
            json!({"field": field, "max": MAX_TEXT}),
        ));
    }
    Ok(v.map(str::to_string))
}

fn required(field: &str, v: &str) -> AppResult<String> {
    text(field, Some(v))?.ok_or_else(|| {
        invalid(
            "required",
            format!("{field} is required"),
            json!({"field": field}),
        )
    })
}

/// The household row (inside the scope).
pub async fn household_row(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<scoped::households::Model> {
    scoped::households(scope)
        .filter(scoped::households::Column::Id.eq(household.id()))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("household"))
}

/// `sheet/parcel` labels of the household's parcels (retired ones too: old plans name them).
async fn parcel_labels(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<HashMap<i32, (String, String)>> {
    let held: Vec<i32> = scoped::household_parcels(scope)
        .filter(scoped::household_parcels::Column::HouseholdId.eq(household.id()))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.parcel_id)
        .collect();
    if held.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(scoped::parcels_any(scope)
        .filter(parcels::Column::Id.is_in(held))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.id,
                (format!("{}/{}", p.map_sheet, p.parcel_no), p.land_use),
            )
        })
        .collect())
}

// ---- inventory ------------------------------------------------------------------------

pub async fn inventory(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<Option<InventoryDto>> {
    let Some(inv) = scoped::inventories(scope)
        .filter(inventories::Column::HouseholdId.eq(household.id()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let rows = scoped::inventory_items(scope)
        .filter(items::Column::InventoryId.eq(inv.id))
        .order_by_asc(items::Column::Id)
        .all(conn)
        .await?;
    let labels = parcel_labels(conn, scope, household).await?;
    let names = crate::users::service::display_names(conn, [inv.inventoried_by]).await?;
    let resettlement = resettlement_dto(&inv);
    Ok(Some(InventoryDto {
        id: inv.id,
        household_id: inv.household_id,
        record_no: inv.record_no,
        inventoried_on: inv.inventoried_on,
        inventoried_by: inv.inventoried_by.and_then(|u| names.get(&u).cloned()),
        members_counted: inv.members_counted,
        relocating: inv.relocating,
        hard_area: inv.hard_area,
        farmland_held_m2: (inv.farmland_held_centi > 0).then(|| units(inv.farmland_held_centi)),
        obligations: inv.obligations,
        business_income: inv.business_income,
        resettlement,
        note: inv.note,
        version: inv.version,
        updated_at: inv.updated_at,
        items: rows
            .into_iter()
            .map(|r| ItemDto {
                id: r.id,
                parcel_id: r.parcel_id,
                parcel_label: r
                    .parcel_id
                    .and_then(|p| labels.get(&p).map(|l| l.0.clone())),
                category: AssetCategory::parse(&r.category).unwrap_or(AssetCategory::Other),
                code: r.code,
                description: r.description,
                unit: r.unit,
                quantity: units(r.quantity_centi),
                grade: r.grade,
                year_built: r.year_built,
                age_class: r.age_class,
                remaining_percent: r.remaining_percent,
                cost: r.cost,
                term_total: r.term_total,
                term_remaining: r.term_remaining,
                yields_kg: [r.yield_1_kg, r.yield_2_kg, r.yield_3_kg]
                    .iter()
                    .any(Option::is_some)
                    .then(|| vec![r.yield_1_kg, r.yield_2_kg, r.yield_3_kg]),
            })
            .collect(),
    }))
}

/// The household's own resettlement as stored with its inventory.
fn resettlement_dto(inv: &inventories::Model) -> Option<ResettlementInput> {
    let kind = ResettlementKind::parse(inv.resettlement_kind.as_deref()?)?;
    Some(ResettlementInput {
        kind,
        code: inv.resettlement_code.clone().unwrap_or_default(),
        area_m2: inv.resettlement_area_centi.map(units),
        price: inv.resettlement_price.unwrap_or(0),
    })
}

/// The same, as the calculator reads it.
fn resettlement_calc(inv: &inventories::Model) -> Option<calc::Resettlement> {
    let r = resettlement_dto(inv)?;
    Some(match r.kind {
        ResettlementKind::Plot => calc::Resettlement::Plot {
            code: r.code,
            area_centi: inv.resettlement_area_centi.unwrap_or(0),
            price: r.price,
        },
        ResettlementKind::House => calc::Resettlement::House {
            code: r.code,
            price: r.price,
        },
    })
}

/// `resettlement_kind`, `_code`, `_area_centi`, `_price`.
type ResettlementColumns = (Option<String>, Option<String>, Option<i64>, Option<Dong>);

/// Checks a household's own resettlement: only for a household that moves; a plot has its
/// area, a house none. Answers the columns to store (kind, code, area, price).
fn check_resettlement(input: &InventoryInput) -> AppResult<ResettlementColumns> {
    let Some(r) = &input.resettlement else {
        return Ok((None, None, None, None));
    };
    if !input.relocating {
        return Err(invalid(
            "resettlement_needs_relocation",
            "a resettlement plot or house is for a household that moves: set relocating too".into(),
            json!({"field": "resettlement"}),
        ));
    }
    let code = required("resettlement.code", &r.code)?;
    let price = money("resettlement.price", r.price)?;
    let area = match (r.kind, r.area_m2) {
        (ResettlementKind::Plot, Some(a)) if a > 0.0 => Some(centi("resettlement.area_m2", a)?),
        (ResettlementKind::Plot, _) => {
            return Err(invalid(
                "invalid_resettlement_area",
                "a resettlement plot needs its area (m², above 0)".into(),
                json!({"field": "resettlement.area_m2"}),
            ))
        }
        (ResettlementKind::House, None) => None,
        (ResettlementKind::House, Some(_)) => {
            return Err(invalid(
                "invalid_resettlement_area",
                "a resettlement house is priced whole: leave area_m2 empty".into(),
                json!({"field": "resettlement.area_m2"}),
            ))
        }
    };
    Ok((Some(r.kind.as_str().into()), Some(code), area, Some(price)))
}

/// The yields of an annual crop (up to 3, each 0 to `MAX_YIELD_KG` kg): the three columns.
fn check_yields(
    field: &str,
    category: AssetCategory,
    yields: Option<&[Option<i64>]>,
) -> AppResult<[Option<i64>; 3]> {
    let Some(yields) = yields else {
        return Ok([None; 3]);
    };
    if yields.iter().all(Option::is_none) {
        return Ok([None; 3]);
    }
    if category != AssetCategory::Crop {
        return Err(invalid(
            "yields_for_crops_only",
            "yields are recorded for annual crops only (category crop)".into(),
            json!({"field": field}),
        ));
    }
    if yields.len() > 3
        || yields
            .iter()
            .flatten()
            .any(|y| !(0..=calc::MAX_YIELD_KG).contains(y))
    {
        return Err(invalid(
            "invalid_yield",
            format!(
                "yields_kg: at most 3 years, each a whole number of kg from 0 to {}",
                calc::MAX_YIELD_KG
            ),
            json!({"field": field, "max": calc::MAX_YIELD_KG}),
        ));
    }
    let mut out = [None; 3];
    for (o, y) in out.iter_mut().zip(yields) {
        *o = *y;
    }
    Ok(out)
}

/// A checked inventory line, ready to store.
struct CheckedItem {
    input: ItemInput,
    quantity_centi: i64,
    unit: String,
    yields: [Option<i64>; 3],
}

/// An inventory line's remaining quality, cost and investment terms.
fn check_item_values(field: &impl Fn(&str) -> String, item: &ItemInput) -> AppResult<()> {
    if item
        .remaining_percent
        .is_some_and(|r| !(0..=100).contains(&r))
    {
        return Err(invalid(
            "invalid_percent",
            "remaining_percent must be from 0 to 100".into(),
            json!({"field": field("remaining_percent")}),
        ));
    }
    money(&field("cost"), item.cost)?;
    if item.category == AssetCategory::Investment {
        match (item.term_total, item.term_remaining) {
            (Some(t1), Some(t2)) if t1 > 0 && (0..=t1).contains(&t2) && t1 <= 100 => {}
            _ => {
                return Err(invalid(
                    "invalid_terms",
                    "remaining investment needs term_total (1–100 years) and term_remaining (0 to term_total)".into(),
                    json!({"field": field("term_remaining")}),
                ))
            }
        }
    }
    Ok(())
}

async fn check_inventory(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
    input: &InventoryInput,
) -> AppResult<Vec<CheckedItem>> {
    if input.items.len() > MAX_ITEMS {
        return Err(AppError::PayloadTooLarge(format!(
            "an inventory holds at most {MAX_ITEMS} lines"
        )));
    }
    required("record_no", &input.record_no)?;
    text("note", input.note.as_deref())?;
    if !(0..=100).contains(&input.members_counted) {
        return Err(invalid(
            "invalid_members",
            "members_counted must be from 0 to 100".into(),
            json!({"field": "members_counted"}),
        ));
    }
    if input.hard_area && !input.relocating {
        return Err(invalid(
            "hard_area_needs_relocation",
            "hard_area applies to a household that moves: set relocating too".into(),
            json!({"field": "hard_area"}),
        ));
    }
    money("obligations", input.obligations)?;
    money("business_income", input.business_income)?;
    if let Some(h) = input.farmland_held_m2 {
        centi("farmland_held_m2", h)?;
    }
    let held = parcel_labels(conn, scope, household).await?;
    let mut out = Vec::with_capacity(input.items.len());
    for (i, item) in input.items.iter().enumerate() {
        let field = |f: &str| format!("items[{i}].{f}");
        if let Some(p) = item.parcel_id {
            // An id outside the caller's area is unknown; one inside it that the household
            // does not hold is a mistake to name.
            scoped::parcel(conn, scope, p).await?;
            if !held.contains_key(&p) {
                return Err(invalid(
                    "parcel_not_held",
                    format!("parcel {p} is not one of this household's parcels"),
                    json!({"field": field("parcel_id"), "parcel_id": p}),
                ));
            }
        }
        let code = required(&field("code"), &item.code)?;
        if item.category == AssetCategory::Land && crate::domain::LandUse::parse(&code).is_none() {
            let suggestions = crate::domain::land_types::suggest(&code);
            return Err(invalid(
                "unknown_land_use",
                format!("`{code}` is not a land-use code (e.g. LUC, ONT, CLN)"),
                json!({"field": field("code"), "code": code, "suggestions": suggestions}),
            ));
        }
        for (f, v) in [
            ("description", item.description.as_deref()),
            ("grade", item.grade.as_deref()),
            ("age_class", item.age_class.as_deref()),
            ("unit", item.unit.as_deref()),
        ] {
            text(&field(f), v)?;
        }
        check_item_values(&field, item)?;
        let quantity_centi = centi(&field("quantity"), item.quantity)?;
        let yields = check_yields(
            &field("yields_kg"),
            item.category,
            item.yields_kg.as_deref(),
        )?;
        let unit = item
            .unit
            .clone()
            .unwrap_or_else(|| default_unit(item.category).into());
        out.push(CheckedItem {
            input: ItemInput {
                code,
                ..item.clone()
            },
            quantity_centi,
            unit,
            yields,
        });
    }
    Ok(out)
}

fn default_unit(c: AssetCategory) -> &'static str {
    match c {
        AssetCategory::Land | AssetCategory::Structure | AssetCategory::Crop => "m²",
        AssetCategory::Tree => "cây",
        AssetCategory::Grave => "mộ",
        AssetCategory::Livestock => "con",
        AssetCategory::Moving | AssetCategory::Other => "lần",
        AssetCategory::Investment => "lần",
    }
}

async fn insert_items(
    conn: &impl ConnectionTrait,
    id: i32,
    household: Scoped<HouseholdId>,
    checked: Vec<CheckedItem>,
) -> AppResult<()> {
    for c in checked {
        let i = c.input;
        items::ActiveModel {
            inventory_id: Set(id),
            household_id: Set(household.id()),
            parcel_id: Set(i.parcel_id),
            category: Set(i.category.as_str().to_string()),
            code: Set(i.code),
            description: Set(text("description", i.description.as_deref())?),
            unit: Set(c.unit),
            quantity_centi: Set(c.quantity_centi),
            grade: Set(text("grade", i.grade.as_deref())?),
            year_built: Set(i.year_built),
            age_class: Set(text("age_class", i.age_class.as_deref())?),
            remaining_percent: Set(i.remaining_percent),
            cost: Set(i.cost),
            term_total: Set(i.term_total),
            term_remaining: Set(i.term_remaining),
            yield_1_kg: Set(c.yields[0]),
            yield_2_kg: Set(c.yields[1]),
            yield_3_kg: Set(c.yields[2]),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// The inventory stored under an `Idempotency-Key` already, if any.
async fn replayed_inventory(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
    key: Option<&str>,
) -> AppResult<Option<InventoryDto>> {
    let Some(key) = key else {
        return Ok(None);
    };
    let Some(done) = scoped::inventories(scope)
        .filter(inventories::Column::ClientKey.eq(key))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if done.household_id != household.id() {
        return Err(AppError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for another household".into(),
        });
    }
    inventory(conn, scope, household).await
}

/// 428 without `If-Match` once an inventory exists, 412 naming who changed it when stale.
async fn check_inventory_version(
    conn: &impl ConnectionTrait,
    row: &inventories::Model,
    expected: Option<i32>,
) -> AppResult<()> {
    let Some(v) = expected else {
        return Err(AppError::PreconditionRequired(
            "send `If-Match` with the inventory's version (e.g. If-Match: \"3\") to change it"
                .into(),
        ));
    };
    if v != row.version {
        let names = crate::users::service::display_names(conn, [row.inventoried_by]).await?;
        return Err(AppError::PreconditionFailed {
            code: "version_conflict",
            message: format!(
                "the inventory changed since you read it (version {} now, you sent {v})",
                row.version
            ),
            details: Some(json!({"version": row.version, "updated_at": row.updated_at,
                "updated_by": row.inventoried_by.and_then(|u| names.get(&u).cloned())})),
        });
    }
    Ok(())
}

/// Stores the household's inventory, replacing the previous one whole. `expected` is the
/// `If-Match` version (required once an inventory exists); `client_key` an
/// `Idempotency-Key`: the same key answers with what it stored the first time.
#[allow(clippy::too_many_arguments)]
pub async fn save_inventory(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household: Scoped<HouseholdId>,
    input: InventoryInput,
    expected: Option<i32>,
    client_key: Option<String>,
    today: NaiveDate,
) -> AppResult<(InventoryDto, bool)> {
    let scope = &who.scope;
    if let Some(done) = replayed_inventory(conn, scope, household, client_key.as_deref()).await? {
        return Ok((done, true));
    }
    if input.inventoried_on > today {
        return Err(invalid(
            "date_in_future",
            format!("inventoried_on ({}) is after today", input.inventoried_on),
            json!({"field": "inventoried_on"}),
        ));
    }
    let checked = check_inventory(conn, scope, household, &input).await?;
    let (r_kind, r_code, r_area, r_price) = check_resettlement(&input)?;
    let h = household_row(conn, scope, household).await?;
    let existing = scoped::inventories(scope)
        .filter(inventories::Column::HouseholdId.eq(household.id()))
        .one(conn)
        .await?;
    let now = Utc::now().fixed_offset();
    let farmland = input
        .farmland_held_m2
        .map(|v| centi("farmland_held_m2", v))
        .transpose()?
        .unwrap_or(0);
    let (mut am, created) = match existing {
        Some(row) => {
            check_inventory_version(conn, &row, expected).await?;
            let version = row.version;
            let mut am: inventories::ActiveModel = row.into();
            am.version = Set(version + 1);
            if client_key.is_some() {
                am.client_key = Set(client_key.clone());
            }
            (am, false)
        }
        None => (
            inventories::ActiveModel {
                project_id: Set(h.project_id),
                household_id: Set(household.id()),
                client_key: Set(client_key.clone()),
                version: Set(1),
                created_at: Set(now),
                ..Default::default()
            },
            true,
        ),
    };
    am.record_no = Set(input.record_no.trim().to_string());
    am.inventoried_on = Set(input.inventoried_on);
    am.inventoried_by = Set(who.user_id);
    am.members_counted = Set(input.members_counted);
    am.relocating = Set(input.relocating);
    am.hard_area = Set(input.hard_area);
    am.farmland_held_centi = Set(farmland);
    am.obligations = Set(input.obligations);
    am.business_income = Set(input.business_income);
    am.resettlement_kind = Set(r_kind);
    am.resettlement_code = Set(r_code);
    am.resettlement_area_centi = Set(r_area);
    am.resettlement_price = Set(r_price);
    am.note = Set(text("note", input.note.as_deref())?);
    am.updated_at = Set(now);
    let id = if created {
        am.insert(conn).await?.id
    } else {
        let row = am.update(conn).await?;
        // The new inventory replaces the old lines whole.
        let mut del = scoped::delete(scope, scoped::Personal::InventoryItems);
        del.and_where(sea_orm::sea_query::Expr::col(items::Column::InventoryId).eq(row.id));
        conn.execute(conn.get_database_backend().build(&del))
            .await?;
        row.id
    };
    insert_items(conn, id, household, checked).await?;
    if created {
        record_stage_if_allowed(
            conn,
            who,
            household,
            CaseStage::Inventory,
            input.inventoried_on,
            Some(input.record_no.trim()),
        )
        .await?;
    }
    crate::audit::record(
        conn,
        who,
        if created { "create" } else { "update" },
        "inventory",
        Some(id.to_string()),
        json!({"household_id": household.id(), "record_no": input.record_no.trim(), "items": input.items.len(),
            "resettlement": input.resettlement.as_ref().map(|r| json!({"kind": r.kind.as_str(), "code": r.code.trim()}))}),
    )
    .await?;
    let dto = inventory(conn, scope, household)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("inventory {id} vanished")))?;
    Ok((dto, false))
}

/// Records a case stage the compensation work implies (inventory done, plan posted…) when it
/// is not recorded yet. `must`: refuse the whole write when the legal order forbids it.
async fn record_stage(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household: Scoped<HouseholdId>,
    stage: CaseStage,
    on: NaiveDate,
    document_no: Option<&str>,
    must: bool,
) -> AppResult<()> {
    let already = scoped::case_stage_events(&who.scope)
        .filter(scoped::case_stage_events::Column::HouseholdId.eq(household.id()))
        .filter(scoped::case_stage_events::Column::Stage.eq(stage.as_str()))
        .one(conn)
        .await?;
    if already.is_some() {
        return Ok(());
    }
    let input = crate::cases::dto::NewStage {
        stage,
        occurred_on: on,
        document_no: document_no.map(str::to_string),
        note: String::new(),
        parcel_id: None,
        scheduled_at: None,
        r#override: false,
        override_reason: None,
    };
    match crate::cases::service::record(conn, who, household, input, crate::legal::today_vn()).await
    {
        Ok(_) => Ok(()),
        Err(AppError::Unprocessable { .. } | AppError::Forbidden(_)) if !must => Ok(()),
        Err(e) => Err(e),
    }
}

async fn record_stage_if_allowed(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household: Scoped<HouseholdId>,
    stage: CaseStage,
    on: NaiveDate,
    document_no: Option<&str>,
) -> AppResult<()> {
    record_stage(conn, who, household, stage, on, document_no, false).await
}

// ---- prices and settings ----------------------------------------------------------------

/// The project's entitlement values as the calculator reads them (settings with their
/// decisions, defaults filled).
pub async fn entitlements(conn: &impl ConnectionTrait, project_id: i32) -> AppResult<Entitlements> {
    let s = super::settings::project_settings(conn, project_id).await?;
    // Values are bounded when set; saturate rather than wrap if a row was written otherwise.
    let small = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(Entitlements {
        job_change_multiple: small(s.job_change_multiple),
        rice_price_per_kg: s.rice_price_per_kg,
        structure_top_up: small(s.structure_top_up_percent),
        stabilisation_months_under_30: small(s.stabilisation_months_under_30),
        business_support: small(s.business_support_percent),
        relocation_support: s.relocation_support,
        early_handover_bonus: s.early_handover_bonus,
        // The project's date is added by `compute_plan`.
        early_handover_by: None,
        other_support: s.other_support,
        allocation_limit_centi: s.allocation_limit_m2,
        excess_land_support: small(s.excess_land_support_percent),
        resettlement_plot_centi: s.resettlement_plot_area,
        resettlement_plot_price: s.resettlement_plot_price,
        resettlement_min_value: s.resettlement_min_value,
    })
}

/// A price table (the one asked for, or the latest version in force in the project's province
/// on `on`) and its rows.
pub async fn price_book(
    conn: &impl ConnectionTrait,
    project_id: i32,
    id: Option<i32>,
    on: NaiveDate,
) -> AppResult<(price_tables::Model, PriceBook)> {
    let table = if let Some(id) = id {
        price_tables::Entity::find_by_id(id)
            .one(conn)
            .await?
            .ok_or_else(|| AppError::not_found("price table"))?
    } else {
        let province = super::settings::project_province(conn, project_id).await?;
        super::prices::table_in_force(conn, &province, on)
            .await?
            .ok_or_else(|| {
                invalid(
                    "no_price_table",
                    format!(
                        "no price table of province {province} is in force on {on}: import the province's table first"
                    ),
                    json!({"field": "price_table_id", "on": on, "province_code": province}),
                )
            })?
    };
    let book = super::prices::price_book(conn, table.id).await?;
    Ok((table, book))
}

// ---- plans --------------------------------------------------------------------------------

/// The posting rule in force on the posting date.
fn posting_rule(on: NaiveDate) -> &'static crate::legal::Rule {
    crate::legal::rules::plan_posting(on)
}

/// Who approves plans on the approval date.
fn approver_rule(on: NaiveDate) -> &'static crate::legal::Rule {
    crate::legal::rules::plan_approver(on)
}

fn rule_dto(code: Option<&str>) -> Option<RuleDto> {
    code.and_then(crate::legal::rules::by_code)
        .map(RuleDto::from)
}

async fn versions(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<Vec<plans::Model>> {
    Ok(scoped::compensation_plans(scope)
        .filter(plans::Column::HouseholdId.eq(household.id()))
        .order_by_desc(plans::Column::Number)
        .all(conn)
        .await?)
}

async fn plan_lines(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    plan_id: i32,
) -> AppResult<Vec<lines::Model>> {
    Ok(scoped::plan_lines(scope)
        .filter(lines::Column::PlanId.eq(plan_id))
        .order_by_asc(lines::Column::LineNo)
        .all(conn)
        .await?)
}

fn as_calc_line(l: &lines::Model) -> calc::Line {
    calc::Line {
        group: PlanGroup::parse(&l.grp).unwrap_or(PlanGroup::Support),
        code: l.code.clone(),
        label: l.label.clone(),
        parcel_id: l.parcel_id,
        item_id: l.inventory_item_id,
        quantity_centi: l.quantity_centi,
        unit: l.unit.clone(),
        unit_price: l.unit_price,
        factor: l.factor,
        amount: l.amount,
        article: "",
        note: l.note.clone(),
    }
}

fn line_dto(no: i32, id: Option<i32>, l: &calc::Line, article: &str) -> LineDto {
    LineDto {
        line_no: no,
        id,
        group: l.group,
        code: l.code.clone(),
        label: l.label.clone(),
        parcel_id: l.parcel_id,
        quantity: units(l.quantity_centi),
        unit: l.unit.clone(),
        unit_price: l.unit_price,
        factor: f64::from(l.factor) / f64::from(ONE),
        amount: l.amount,
        article: article.to_string(),
        note: l.note.clone(),
    }
}

fn totals(lines: &[LineDto]) -> Vec<GroupTotal> {
    PlanGroup::ALL
        .iter()
        .filter_map(|g| {
            let in_group: Vec<&LineDto> = lines.iter().filter(|l| l.group == *g).collect();
            (!in_group.is_empty()).then(|| GroupTotal {
                group: *g,
                amount: in_group.iter().map(|l| l.amount).sum(),
            })
        })
        .collect()
}

fn table_ref(t: &price_tables::Model) -> PriceTableRef {
    PriceTableRef {
        id: t.id,
        name: t.name.clone(),
        legal_basis: t.legal_basis.clone(),
        version: t.version,
        land_coefficient: f64::from(t.land_coefficient) / f64::from(ONE),
    }
}

/// The inventory as the calculator reads it.
/// The first day the household handed land over (its case stage), if it has.
async fn handed_over_on(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<Option<NaiveDate>> {
    use crate::scoped::case_stage_events as events;
    Ok(scoped::case_stage_events(scope)
        .filter(events::Column::HouseholdId.eq(household.id()))
        .filter(events::Column::Stage.eq(CaseStage::HandedOver.as_str()))
        .order_by_asc(events::Column::OccurredOn)
        .one(conn)
        .await?
        .map(|e| e.occurred_on))
}

async fn calc_inventory(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<calc::Inventory> {
    let inv = scoped::inventories(scope)
        .filter(inventories::Column::HouseholdId.eq(household.id()))
        .one(conn)
        .await?
        .ok_or_else(|| {
            invalid(
                "no_inventory",
                "record the household's inventory (kiểm đếm) before computing its plan".into(),
                json!({"household_id": household.id()}),
            )
        })?;
    let labels = parcel_labels(conn, scope, household).await?;
    let rows = scoped::inventory_items(scope)
        .filter(items::Column::InventoryId.eq(inv.id))
        .order_by_asc(items::Column::Id)
        .all(conn)
        .await?;
    Ok(calc::Inventory {
        members_counted: inv.members_counted,
        relocating: inv.relocating,
        hard_area: inv.hard_area,
        farmland_held_centi: inv.farmland_held_centi,
        obligations: inv.obligations,
        business_income: inv.business_income,
        handed_over_on: handed_over_on(conn, scope, household).await?,
        resettlement: resettlement_calc(&inv),
        assets: rows
            .into_iter()
            .map(|r| {
                let category = AssetCategory::parse(&r.category);
                // Land is priced by its position (the grade column of the inventory).
                let (grade, zone) = if category == Some(AssetCategory::Land) {
                    (None, r.grade)
                } else {
                    (r.grade, None)
                };
                calc::Asset {
                    item_id: Some(r.id),
                    parcel_id: r.parcel_id,
                    parcel_label: r
                        .parcel_id
                        .and_then(|p| labels.get(&p).map(|l| l.0.clone())),
                    category,
                    code: r.code,
                    description: r.description,
                    unit: r.unit,
                    quantity_centi: r.quantity_centi,
                    grade,
                    age_class: r.age_class,
                    zone,
                    remaining_percent: r.remaining_percent,
                    cost: r.cost,
                    term_total: r.term_total,
                    term_remaining: r.term_remaining,
                    yields_kg: [r.yield_1_kg, r.yield_2_kg, r.yield_3_kg],
                }
            })
            .collect(),
    })
}

fn calc_error(e: calc::CalcError) -> AppError {
    match &e {
        calc::CalcError::NoPrice {
            category,
            code,
            item_id,
        } => invalid(
            "no_price",
            format!("{e}: add it to the price table or correct the inventory"),
            json!({"category": category, "code": code, "item_id": item_id}),
        ),
        calc::CalcError::AboveCap { what, cap, article } => invalid(
            "above_national_cap",
            e.to_string(),
            json!({"setting": what, "cap": cap, "article": article}),
        ),
        calc::CalcError::Invalid(_) => invalid("invalid_inventory", e.to_string(), json!({})),
    }
}

/// A computed plan not stored (a dry run).
fn preview(
    h: &scoped::households::Model,
    number: i32,
    revision_of: Option<i32>,
    table: &price_tables::Model,
    on: NaiveDate,
    plan: &calc::Plan,
    before: &[lines::Model],
) -> PlanDto {
    let lines: Vec<LineDto> = plan
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| line_dto(i as i32 + 1, None, l, l.article))
        .collect();
    PlanDto {
        id: None,
        household_id: h.id,
        household_code: h.code.clone(),
        number,
        status: PlanStatus::Draft,
        revision_of,
        price_table: table_ref(table),
        computed_on: on,
        posted_on: None,
        posting_ends_on: None,
        posting_rule: None,
        approved_on: None,
        decision_no: None,
        approving_body: None,
        approver_rule: None,
        payment_due_on: None,
        gross: plan.gross,
        deductions: plan.deductions,
        resettlement_fee: plan.resettlement_fee,
        net: plan.net,
        totals: totals(&lines),
        changes: changes(before, &lines),
        lines,
        ledger: None,
        version: 0,
    }
}

/// Stores a computed plan: over the draft, or as a new version (superseding a posted one).
#[allow(clippy::too_many_arguments)]
async fn store_plan(
    conn: &impl ConnectionTrait,
    who: &Principal,
    h: &scoped::households::Model,
    latest: Option<&plans::Model>,
    approved: Option<&plans::Model>,
    number: i32,
    table: &price_tables::Model,
    on: NaiveDate,
    plan: &calc::Plan,
) -> AppResult<i32> {
    let scope = &who.scope;
    let now = Utc::now().fixed_offset();
    let plan_id = match latest {
        Some(l) if l.status == PlanStatus::Draft.as_str() => {
            let mut del = scoped::delete(scope, scoped::Personal::PlanLines);
            del.and_where(sea_orm::sea_query::Expr::col(lines::Column::PlanId).eq(l.id));
            conn.execute(conn.get_database_backend().build(&del))
                .await?;
            let mut am: plans::ActiveModel = l.clone().into();
            am.price_table_id = Set(table.id);
            am.computed_on = Set(on);
            am.gross = Set(plan.gross);
            am.deductions = Set(plan.deductions);
            am.resettlement_fee = Set(plan.resettlement_fee);
            am.net = Set(plan.net);
            am.revision_of = Set(approved.map(|a| a.id));
            am.created_by = Set(who.user_id);
            am.version = Set(l.version + 1);
            am.update(conn).await?;
            l.id
        }
        other => {
            if let Some(posted) = other.filter(|l| l.status == PlanStatus::Posted.as_str()) {
                let mut am: plans::ActiveModel = posted.clone().into();
                am.status = Set(PlanStatus::Superseded.as_str().into());
                am.version = Set(posted.version + 1);
                am.update(conn).await?;
            }
            plans::ActiveModel {
                project_id: Set(h.project_id),
                household_id: Set(h.id),
                number: Set(number),
                status: Set(PlanStatus::Draft.as_str().into()),
                revision_of: Set(approved.map(|a| a.id)),
                price_table_id: Set(table.id),
                computed_on: Set(on),
                gross: Set(plan.gross),
                deductions: Set(plan.deductions),
                resettlement_fee: Set(plan.resettlement_fee),
                net: Set(plan.net),
                created_by: Set(who.user_id),
                created_at: Set(now),
                version: Set(1),
                ..Default::default()
            }
            .insert(conn)
            .await?
            .id
        }
    };
    for (i, l) in plan.lines.iter().enumerate() {
        lines::ActiveModel {
            plan_id: Set(plan_id),
            household_id: Set(h.id),
            line_no: Set(i as i32 + 1),
            grp: Set(l.group.as_str().into()),
            code: Set(l.code.clone()),
            label: Set(l.label.clone()),
            parcel_id: Set(l.parcel_id),
            inventory_item_id: Set(l.item_id),
            quantity_centi: Set(l.quantity_centi),
            unit: Set(l.unit.clone()),
            unit_price: Set(l.unit_price),
            factor: Set(l.factor),
            amount: Set(l.amount),
            article: Set(l.article.to_string()),
            note: Set(l.note.clone()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(plan_id)
}

/// Computes the household's plan from its inventory, the price table and the project's
/// settings. A draft is recomputed in place; a posted plan is superseded by a new version;
/// after approval the new version is a revision, never below the approved prices.
pub async fn compute_plan(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household: Scoped<HouseholdId>,
    input: ComputeInput,
    today: NaiveDate,
) -> AppResult<PlanDto> {
    let scope = &who.scope;
    let h = household_row(conn, scope, household).await?;
    let on = input.computed_on.unwrap_or(today);
    if on > today {
        return Err(invalid(
            "date_in_future",
            format!("computed_on ({on}) is after today"),
            json!({"field": "computed_on"}),
        ));
    }
    let inv = calc_inventory(conn, scope, household).await?;
    let (table, book) = price_book(conn, h.project_id, input.price_table_id, on).await?;
    let mut ent = entitlements(conn, h.project_id).await?;
    ent.early_handover_by = crate::entities::projects::Entity::find_by_id(h.project_id)
        .one(conn)
        .await?
        .and_then(|p| p.target_handover_date);
    let all = versions(conn, scope, household).await?;
    let approved = all
        .iter()
        .find(|p| p.status == PlanStatus::Approved.as_str());
    let floor = match approved {
        Some(a) => Some(
            plan_lines(conn, scope, a.id)
                .await?
                .iter()
                .map(as_calc_line)
                .collect::<Vec<_>>(),
        ),
        None => None,
    };
    let plan = calc::compute(&inv, &book, &ent, floor.as_deref(), on).map_err(calc_error)?;
    let latest = all.first();
    let number = match latest {
        Some(l) if l.status == PlanStatus::Draft.as_str() => l.number,
        Some(l) => l.number + 1,
        None => 1,
    };
    if input.dry_run {
        let before = match latest {
            Some(l) if l.status != PlanStatus::Draft.as_str() => {
                plan_lines(conn, scope, l.id).await?
            }
            _ => Vec::new(),
        };
        return Ok(preview(
            &h,
            number,
            approved.map(|a| a.id),
            &table,
            on,
            &plan,
            &before,
        ));
    }
    let plan_id = store_plan(conn, who, &h, latest, approved, number, &table, on, &plan).await?;
    crate::audit::record(
        conn,
        who,
        "compute",
        "compensation_plan",
        Some(plan_id.to_string()),
        json!({"household_id": h.id, "number": number, "price_table_id": table.id, "net": plan.net}),
    )
    .await?;
    plan_dto(conn, scope, plan_id, today).await
}

fn changes(before: &[lines::Model], after: &[LineDto]) -> Vec<calc::LineChange> {
    if before.is_empty() {
        return Vec::new();
    }
    let b: Vec<(String, String, Dong)> = before
        .iter()
        .map(|l| (l.code.clone(), l.label.clone(), l.amount))
        .collect();
    let a: Vec<(String, String, Dong)> = after
        .iter()
        .map(|l| (l.code.clone(), l.label.clone(), l.amount))
        .collect();
    calc::diff(&b, &a)
}

/// A plan version inside the caller's scope, or 404.
pub async fn plan_row(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<plans::Model> {
    scoped::compensation_plans(scope)
        .filter(plans::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("compensation plan"))
}

/// A plan version with its lines, its changes from the version before and, once approved,
/// its ledger.
pub async fn plan_dto(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
    today: NaiveDate,
) -> AppResult<PlanDto> {
    let p = plan_row(conn, scope, id).await?;
    let household = scoped::household(conn, scope, p.household_id).await?;
    let h = household_row(conn, scope, household).await?;
    let table = price_tables::Entity::find_by_id(p.price_table_id)
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("price table {} vanished", p.price_table_id))
        })?;
    let rows = plan_lines(conn, scope, p.id).await?;
    let lines: Vec<LineDto> = rows
        .iter()
        .map(|r| line_dto(r.line_no, Some(r.id), &as_calc_line(r), &r.article))
        .collect();
    let previous = scoped::compensation_plans(scope)
        .filter(plans::Column::HouseholdId.eq(p.household_id))
        .filter(plans::Column::Number.lt(p.number))
        .order_by_desc(plans::Column::Number)
        .one(conn)
        .await?;
    let before = match &previous {
        Some(prev) => plan_lines(conn, scope, prev.id).await?,
        None => Vec::new(),
    };
    let status = PlanStatus::parse(&p.status).unwrap_or(PlanStatus::Draft);
    let ledger = if status == PlanStatus::Approved {
        Some(ledger(conn, scope, &p, today).await?)
    } else {
        None
    };
    Ok(PlanDto {
        id: Some(p.id),
        household_id: p.household_id,
        household_code: h.code,
        number: p.number,
        status,
        revision_of: p.revision_of,
        price_table: table_ref(&table),
        computed_on: p.computed_on,
        posted_on: p.posted_on,
        posting_ends_on: p.posting_ends_on,
        posting_rule: rule_dto(p.posting_rule.as_deref()),
        approved_on: p.approved_on,
        decision_no: p.decision_no,
        approving_body: p.approving_body,
        approver_rule: rule_dto(p.approver_rule.as_deref()),
        payment_due_on: p.payment_due_on,
        gross: p.gross,
        deductions: p.deductions,
        resettlement_fee: p.resettlement_fee,
        net: p.net,
        totals: totals(&lines),
        changes: changes(&before, &lines),
        lines,
        ledger,
        version: p.version,
    })
}

fn check_version(p: &plans::Model, expected: i32) -> AppResult<()> {
    if p.version != expected {
        return Err(AppError::PreconditionFailed {
            code: "version_conflict",
            message: format!(
                "the plan changed since you read it (version {} now, you sent {expected}): reload it",
                p.version
            ),
            details: Some(json!({"version": p.version, "status": p.status})),
        });
    }
    Ok(())
}

fn wrong_status(p: &plans::Model, needs: PlanStatus, action: &str) -> AppError {
    AppError::Conflict {
        code: "plan_status",
        message: format!(
            "only a {needs} plan can be {action}; plan {} (version {} of the household) is {}",
            p.id, p.number, p.status
        ),
    }
}

/// Posts a draft at the commune for the household's opinions, for the period the rule in
/// force on the posting date sets.
pub async fn post_plan(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    expected: i32,
    input: PostInput,
    today: NaiveDate,
) -> AppResult<PlanDto> {
    let p = plan_row(conn, &who.scope, id).await?;
    check_version(&p, expected)?;
    if p.status != PlanStatus::Draft.as_str() {
        return Err(wrong_status(&p, PlanStatus::Draft, "posted"));
    }
    if input.posted_on > today || input.posted_on < p.computed_on {
        return Err(invalid(
            "invalid_date",
            format!(
                "posted_on must be between the plan's computation ({}) and today",
                p.computed_on
            ),
            json!({"field": "posted_on"}),
        ));
    }
    let household = scoped::household(conn, &who.scope, p.household_id).await?;
    let rule = posting_rule(input.posted_on);
    let ends = crate::legal::plan_approvable_from(input.posted_on);
    record_stage(
        conn,
        who,
        household,
        CaseStage::PlanPosted,
        input.posted_on,
        None,
        true,
    )
    .await?;
    let mut am: plans::ActiveModel = p.clone().into();
    am.status = Set(PlanStatus::Posted.as_str().into());
    am.posted_on = Set(Some(input.posted_on));
    am.posting_ends_on = Set(Some(ends));
    am.posting_rule = Set(Some(rule.code.to_string()));
    am.version = Set(p.version + 1);
    am.update(conn).await?;
    crate::audit::record(
        conn,
        who,
        "post",
        "compensation_plan",
        Some(id.to_string()),
        json!({"household_id": p.household_id, "posted_on": input.posted_on, "posting_ends_on": ends, "rule": rule.code}),
    )
    .await?;
    plan_dto(conn, &who.scope, id, today).await
}

/// Approves a posted plan once its posting period is over; payment is due 30 days later.
pub async fn approve_plan(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    expected: i32,
    input: ApproveInput,
    today: NaiveDate,
) -> AppResult<PlanDto> {
    let p = plan_row(conn, &who.scope, id).await?;
    check_version(&p, expected)?;
    if p.status != PlanStatus::Posted.as_str() {
        return Err(wrong_status(&p, PlanStatus::Posted, "approved"));
    }
    let decision = required("decision_no", &input.decision_no)?;
    let body = text("approving_body", input.approving_body.as_deref())?;
    if input.approved_on > today {
        return Err(invalid(
            "date_in_future",
            format!("approved_on ({}) is after today", input.approved_on),
            json!({"field": "approved_on"}),
        ));
    }
    if let (Some(ends), Some(posted)) = (p.posting_ends_on, p.posted_on) {
        if input.approved_on < ends {
            let rule = p
                .posting_rule
                .as_deref()
                .and_then(crate::legal::rules::by_code)
                .unwrap_or(&crate::legal::rules::PLAN_POSTING);
            return Err(invalid(
                "posting_not_over",
                format!(
                    "the plan posted on {posted} stays posted until {ends} ({}, {}): approve it on or after {ends}",
                    rule.en, rule.article
                ),
                json!({"field": "approved_on", "posted_on": posted, "earliest": ends,
                       "rule": RuleDto::from(rule)}),
            ));
        }
    }
    let household = scoped::household(conn, &who.scope, p.household_id).await?;
    let approver = approver_rule(input.approved_on);
    let due = crate::legal::term_end(
        input.approved_on,
        crate::legal::rules::PAYMENT_AFTER_APPROVAL.days(),
    );
    record_stage(
        conn,
        who,
        household,
        CaseStage::PlanApproved,
        input.approved_on,
        Some(&decision),
        true,
    )
    .await?;
    // The approved version it revises stops being the one paid.
    for old in versions(conn, &who.scope, household).await? {
        if old.id != p.id && old.status == PlanStatus::Approved.as_str() {
            let v = old.version;
            let mut am: plans::ActiveModel = old.into();
            am.status = Set(PlanStatus::Superseded.as_str().into());
            am.version = Set(v + 1);
            am.update(conn).await?;
        }
    }
    let mut am: plans::ActiveModel = p.clone().into();
    am.status = Set(PlanStatus::Approved.as_str().into());
    am.approved_on = Set(Some(input.approved_on));
    am.decision_no = Set(Some(decision.clone()));
    // The body the rule names: "Chủ tịch Ủy ban nhân dân cấp xã" (before "phê duyệt…").
    let named = approver
        .vi
        .split(" phê duyệt")
        .next()
        .unwrap_or(approver.vi);
    am.approving_body = Set(Some(body.unwrap_or_else(|| named.to_string())));
    am.approver_rule = Set(Some(approver.code.to_string()));
    am.payment_due_on = Set(Some(due));
    am.version = Set(p.version + 1);
    am.update(conn).await?;
    crate::audit::record(
        conn,
        who,
        "approve",
        "compensation_plan",
        Some(id.to_string()),
        json!({"household_id": p.household_id, "approved_on": input.approved_on, "decision_no": decision,
               "payment_due_on": due, "net": p.net}),
    )
    .await?;
    plan_dto(conn, &who.scope, id, today).await
}

// ---- payments -----------------------------------------------------------------------------

async fn payment_rows(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household_id: i32,
) -> AppResult<Vec<payments::Model>> {
    Ok(scoped::payments(scope)
        .filter(payments::Column::HouseholdId.eq(household_id))
        .order_by_asc(payments::Column::PaidOn)
        .order_by_asc(payments::Column::Id)
        .all(conn)
        .await?)
}

/// What was paid against the approved plan, what is left, and the interest owed.
async fn ledger(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    p: &plans::Model,
    today: NaiveDate,
) -> AppResult<LedgerDto> {
    let rows = payment_rows(conn, scope, p.household_id).await?;
    Ok(ledger_of(p, &rows, today))
}

pub fn ledger_of(p: &plans::Model, rows: &[payments::Model], today: NaiveDate) -> LedgerDto {
    let sum = |k: PaymentKind| -> Dong {
        rows.iter()
            .filter(|r| r.kind == k.as_str())
            .map(|r| r.amount)
            .sum()
    };
    let paid = sum(PaymentKind::Payment);
    let deposited = sum(PaymentKind::Deposit);
    let balance = (p.net - paid - deposited).max(0);
    let days_overdue = match p.payment_due_on {
        Some(due) if balance > 0 => calc::days_late(due, today),
        _ => 0,
    };
    let interest_owed =
        rows.iter().map(|r| r.interest).sum::<Dong>() + calc::late_interest(balance, days_overdue);
    LedgerDto {
        paid,
        deposited,
        balance,
        due_on: p.payment_due_on,
        days_overdue,
        interest_owed,
    }
}

fn payment_dto(r: payments::Model, names: &HashMap<i32, String>) -> PaymentDto {
    PaymentDto {
        id: r.id,
        plan_id: r.plan_id,
        kind: PaymentKind::parse(&r.kind).unwrap_or(PaymentKind::Payment),
        amount: r.amount,
        paid_on: r.paid_on,
        method: PaymentMethod::parse(&r.method).unwrap_or(PaymentMethod::Cash),
        receipt_no: r.receipt_no,
        bank: r.bank,
        note: r.note,
        days_late: r.days_late,
        interest: r.interest,
        recorded_by: r.recorded_by.and_then(|u| names.get(&u).cloned()),
    }
}

/// The payment's receipt, bank and note, checked: amount, date, and a deposit names its bank.
fn check_payment(
    input: &PaymentInput,
    p: &plans::Model,
    today: NaiveDate,
) -> AppResult<(String, Option<String>, Option<String>)> {
    let receipt = required("receipt_no", &input.receipt_no)?;
    let bank = text("bank", input.bank.as_deref())?;
    let note = text("note", input.note.as_deref())?;
    if input.amount <= 0 {
        return Err(invalid(
            "invalid_amount",
            "amount must be more than 0 đồng".into(),
            json!({"field": "amount"}),
        ));
    }
    money("amount", input.amount)?;
    let approved_on = p.approved_on.unwrap_or(p.computed_on);
    if input.paid_on > today || input.paid_on < approved_on {
        return Err(invalid(
            "invalid_date",
            format!("paid_on must be between the plan's approval ({approved_on}) and today"),
            json!({"field": "paid_on"}),
        ));
    }
    match (input.kind, input.method) {
        (PaymentKind::Deposit, PaymentMethod::Deposit) if bank.is_some() => {}
        (PaymentKind::Deposit, _) => {
            return Err(invalid(
                "deposit_needs_bank",
                "a deposit of refused or disputed money has method `deposit` and names the bank (LĐĐ 2024 Art. 94(4))".into(),
                json!({"field": "bank"}),
            ))
        }
        (PaymentKind::Payment, PaymentMethod::Deposit) => {
            return Err(invalid(
                "invalid_method",
                "a payment is made in cash or by transfer; record a deposit with kind `deposit`".into(),
                json!({"field": "method"}),
            ))
        }
        _ => {}
    }
    Ok((receipt, bank, note))
}

/// Records a payment or a deposit against the approved plan, with the days late and the
/// interest they owe; the household reaches `paid` when nothing is left.
pub async fn pay(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    input: PaymentInput,
    client_key: Option<String>,
    today: NaiveDate,
) -> AppResult<(PaymentDto, bool)> {
    let scope = &who.scope;
    let p = plan_row(conn, scope, id).await?;
    if let Some(key) = &client_key {
        if let Some(done) = scoped::payments(scope)
            .filter(payments::Column::ClientKey.eq(key.as_str()))
            .one(conn)
            .await?
        {
            if done.plan_id != p.id {
                return Err(AppError::Conflict {
                    code: "idempotency_key_reused",
                    message: "this Idempotency-Key was used for another payment".into(),
                });
            }
            let names = crate::users::service::display_names(conn, [done.recorded_by]).await?;
            return Ok((payment_dto(done, &names), true));
        }
    }
    if p.status != PlanStatus::Approved.as_str() {
        return Err(wrong_status(&p, PlanStatus::Approved, "paid"));
    }
    let (receipt, bank, note) = check_payment(&input, &p, today)?;
    let approved_on = p.approved_on.unwrap_or(p.computed_on);
    let rows = payment_rows(conn, scope, p.household_id).await?;
    let before = ledger_of(&p, &rows, today);
    if input.amount > before.balance {
        return Err(invalid(
            "amount_above_balance",
            format!(
                "{} is more than the balance left, {}",
                calc::format_dong(input.amount),
                calc::format_dong(before.balance)
            ),
            json!({"field": "amount", "balance": before.balance}),
        ));
    }
    let due = p.payment_due_on.unwrap_or(approved_on);
    let late = calc::days_late(due, input.paid_on);
    let interest = calc::late_interest(input.amount, late);
    let row = payments::ActiveModel {
        project_id: Set(p.project_id),
        household_id: Set(p.household_id),
        plan_id: Set(p.id),
        kind: Set(input.kind.as_str().into()),
        amount: Set(input.amount),
        paid_on: Set(input.paid_on),
        method: Set(input.method.as_str().into()),
        receipt_no: Set(receipt.clone()),
        bank: Set(bank),
        note: Set(note),
        days_late: Set(i32::try_from(late).unwrap_or(i32::MAX)),
        interest: Set(interest),
        recorded_by: Set(who.user_id),
        created_at: Set(Utc::now().fixed_offset()),
        client_key: Set(client_key),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if input.amount == before.balance {
        let household = scoped::household(conn, scope, p.household_id).await?;
        record_stage_if_allowed(
            conn,
            who,
            household,
            CaseStage::Paid,
            input.paid_on,
            Some(&receipt),
        )
        .await?;
    }
    crate::audit::record(
        conn,
        who,
        "create",
        "payment",
        Some(row.id.to_string()),
        json!({"household_id": p.household_id, "plan_id": p.id, "kind": input.kind, "amount": input.amount,
               "paid_on": input.paid_on, "receipt_no": receipt, "days_late": late, "interest": interest}),
    )
    .await?;
    let names = crate::users::service::display_names(conn, [who.user_id]).await?;
    Ok((payment_dto(row, &names), false))
}

/// Everything about the household's compensation, for the case file and the visit form.
pub async fn compensation(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
    today: NaiveDate,
) -> AppResult<CompensationDto> {
    let all = versions(conn, scope, household).await?;
    let current = match all.first() {
        Some(p) => Some(plan_dto(conn, scope, p.id, today).await?),
        None => None,
    };
    let approved_row = all
        .iter()
        .find(|p| p.status == PlanStatus::Approved.as_str());
    let approved = approved_row
        .filter(|p| Some(p.id) != current.as_ref().and_then(|c| c.id))
        .map(summary);
    let rows = payment_rows(conn, scope, household.id()).await?;
    let ledger = approved_row.map(|p| ledger_of(p, &rows, today));
    let names =
        crate::users::service::display_names(conn, rows.iter().map(|r| r.recorded_by)).await?;
    Ok(CompensationDto {
        household_id: household.id(),
        inventory: inventory(conn, scope, household).await?,
        plans: all.iter().map(summary).collect(),
        current,
        approved,
        ledger,
        payments: rows.into_iter().map(|r| payment_dto(r, &names)).collect(),
    })
}

fn summary(p: &plans::Model) -> PlanSummaryDto {
    PlanSummaryDto {
        id: p.id,
        number: p.number,
        status: PlanStatus::parse(&p.status).unwrap_or(PlanStatus::Draft),
        computed_on: p.computed_on,
        posted_on: p.posted_on,
        approved_on: p.approved_on,
        decision_no: p.decision_no.clone(),
        net: p.net,
    }
}
