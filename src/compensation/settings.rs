//! The entitlement values a province or a project sets (issue 17 item 3), each with the decision
//! that set it: one row per setting code in `compensation_settings`, the default where none is
//! stored. [`SETTINGS`] is the one table of codes, units, defaults, national caps and articles;
//! a value above its national cap is refused.
use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::admin_units::seed::LEVEL_PROVINCE;
use crate::auth::Principal;
use crate::domain::Permission;
use crate::entities::{admin_units, compensation_settings as rows, parcels};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// How a setting's integer value reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingUnit {
    /// Đồng.
    Dong,
    /// A share × 10 000: 6 000 is 60 %.
    Percent,
    /// Whole months.
    Months,
    /// Hundredths of a square metre: 20 000 is 200 m².
    M2Centi,
    /// A multiple × 10 000: 15 000 is 1.5 ×.
    Multiple,
}

impl SettingUnit {
    /// What one unit of the stored integer is worth in the unit people read (×10 000 → 10 000).
    pub fn scale(self) -> i64 {
        match self {
            SettingUnit::Dong | SettingUnit::Months => 1,
            SettingUnit::M2Centi => 100,
            SettingUnit::Percent | SettingUnit::Multiple => 10_000,
        }
    }
}

/// One entitlement setting: its code, unit, default, the national cap and the article that sets
/// it, and its label.
#[derive(Clone, Copy, Debug)]
pub struct SettingDef {
    pub code: &'static str,
    pub unit: SettingUnit,
    pub default: i64,
    /// The highest value the law allows, and the article that says so.
    pub cap: Option<(i64, &'static str)>,
    /// Where the rule the value feeds is written.
    pub article: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
}

const fn def(
    code: &'static str,
    unit: SettingUnit,
    default: i64,
    cap: Option<(i64, &'static str)>,
    article: &'static str,
    vi: &'static str,
    en: &'static str,
) -> SettingDef {
    SettingDef {
        code,
        unit,
        default,
        cap,
        article,
        vi,
        en,
    }
}

use SettingUnit::{Dong, M2Centi, Months, Multiple, Percent};

/// Every setting, in the order the form shows them (LEGAL.md, "Compensation, support and
/// resettlement").
pub const SETTINGS: &[SettingDef] = &[
    def(
        "job_change_multiple",
        Multiple,
        15_000,
        Some((50_000, "LĐĐ 2024 Art. 109; ND 88 Art. 22")),
        "LĐĐ 2024 Art. 109; ND 88 Art. 22",
        "Hỗ trợ đào tạo, chuyển đổi nghề và tìm kiếm việc làm (số lần giá đất nông nghiệp)",
        "Job change and job search support (times the farmland price)",
    ),
    def(
        "rice_price_per_kg",
        Dong,
        15_000,
        None,
        "ND 88 Art. 19",
        "Giá gạo tính hỗ trợ ổn định đời sống (đồng/kg)",
        "Rice price for life-stabilisation support (đồng per kg)",
    ),
    def(
        "structure_top_up_percent",
        Percent,
        6_000,
        Some((10_000, "ND 88 Art. 14")),
        "LĐĐ 2024 Art. 102; ND 88 Art. 14",
        "Khoản cộng thêm cho nhà, công trình (% giá trị xây mới)",
        "Top-up for houses and structures (% of the new-build value)",
    ),
    def(
        "stabilisation_months_under_30",
        Months,
        3,
        Some((6, "ND 88 Art. 19")),
        "ND 88 Art. 19",
        "Số tháng hỗ trợ ổn định đời sống khi thu hồi dưới 30 % đất nông nghiệp",
        "Months of life-stabilisation support when under 30 % of the farmland is recovered",
    ),
    def(
        "business_support_percent",
        Percent,
        3_000,
        Some((3_000, "ND 88 Art. 20")),
        "ND 88 Art. 20",
        "Hỗ trợ ổn định sản xuất, kinh doanh (% thu nhập sau thuế một năm)",
        "Production and business support (% of one year's after-tax income)",
    ),
    def(
        "relocation_support",
        Dong,
        5_000_000,
        None,
        "LĐĐ 2024 Art. 104; ND 88 Art. 15",
        "Hỗ trợ di chuyển chỗ ở (đồng/hộ)",
        "Relocation support (đồng per relocating household)",
    ),
    def(
        "early_handover_bonus",
        Dong,
        0,
        None,
        "LĐĐ 2024 Art. 111(7)",
        "Thưởng bàn giao mặt bằng trước thời hạn (đồng/hộ)",
        "Early handover bonus (đồng per household)",
    ),
    def(
        "other_support",
        Dong,
        0,
        None,
        "Res. 254/2025/QH15 Art. 3(12)",
        "Hỗ trợ khác do dự án quyết định (đồng/hộ)",
        "Other support decided for the project (đồng per household)",
    ),
    def(
        "allocation_limit_m2",
        M2Centi,
        0,
        None,
        "LĐĐ 2024 Art. 91; ND 88 Art. 12",
        "Hạn mức giao đất nông nghiệp (m²; 0 = không áp dụng)",
        "Farmland allocation limit (m²; 0 = none)",
    ),
    def(
        "excess_land_support_percent",
        Percent,
        0,
        None,
        "ND 88 Art. 12",
        "Hỗ trợ cho diện tích đất nông nghiệp vượt hạn mức (% giá đất)",
        "Support for farmland above the allocation limit (% of the land price)",
    ),
    def(
        "resettlement_plot_area",
        M2Centi,
        0,
        None,
        "LĐĐ 2024 Art. 111; ND 88 Art. 23",
        "Diện tích lô tái định cư (m²; 0 = không bố trí lô)",
        "Resettlement plot area (m²; 0 = no plot)",
    ),
    def(
        "resettlement_plot_price",
        Dong,
        0,
        None,
        "LĐĐ 2024 Art. 111; ND 88 Art. 23",
        "Giá đất lô tái định cư (đồng/m²)",
        "Resettlement plot price (đồng per m²)",
    ),
    def(
        "resettlement_min_value",
        Dong,
        0,
        None,
        "ND 88 Art. 24",
        "Suất tái định cư tối thiểu (đồng; 0 = không áp dụng)",
        "Minimum resettlement unit (đồng; 0 = none)",
    ),
];

/// Largest value any setting takes: a trillion đồng, far above any real amount, so the
/// calculator's products stay inside i64.
pub const MAX_VALUE: i64 = 1_000_000_000_000;
/// Longest decision number accepted.
const MAX_DECISION_CHARS: usize = 100;

/// The definition of a setting code.
pub fn setting(code: &str) -> Option<&'static SettingDef> {
    SETTINGS.iter().find(|d| d.code == code)
}

/// Every setting value of a project, defaults filled in. Integers as [`SETTINGS`] describes
/// them (đồng, months, × 10 000, hundredths of m²).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompensationSettings {
    pub job_change_multiple: i64,
    pub rice_price_per_kg: i64,
    pub structure_top_up_percent: i64,
    pub stabilisation_months_under_30: i64,
    pub business_support_percent: i64,
    pub relocation_support: i64,
    pub early_handover_bonus: i64,
    pub other_support: i64,
    pub allocation_limit_m2: i64,
    pub excess_land_support_percent: i64,
    pub resettlement_plot_area: i64,
    pub resettlement_plot_price: i64,
    pub resettlement_min_value: i64,
}

/// `field` and `get` by code, from the one list of field names (each named as its code).
macro_rules! by_code {
    ($($f:ident),+ $(,)?) => {
        impl CompensationSettings {
            fn field(&mut self, code: &str) -> Option<&mut i64> {
                match code {
                    $(stringify!($f) => Some(&mut self.$f),)+
                    _ => None,
                }
            }

            /// The value of a code (None for an unknown code).
            pub fn get(&self, code: &str) -> Option<i64> {
                match code {
                    $(stringify!($f) => Some(self.$f),)+
                    _ => None,
                }
            }
        }
    };
}

by_code!(
    job_change_multiple,
    rice_price_per_kg,
    structure_top_up_percent,
    stabilisation_months_under_30,
    business_support_percent,
    relocation_support,
    early_handover_bonus,
    other_support,
    allocation_limit_m2,
    excess_land_support_percent,
    resettlement_plot_area,
    resettlement_plot_price,
    resettlement_min_value,
);

impl Default for CompensationSettings {
    fn default() -> Self {
        let mut s = CompensationSettings {
            job_change_multiple: 0,
            rice_price_per_kg: 0,
            structure_top_up_percent: 0,
            stabilisation_months_under_30: 0,
            business_support_percent: 0,
            relocation_support: 0,
            early_handover_bonus: 0,
            other_support: 0,
            allocation_limit_m2: 0,
            excess_land_support_percent: 0,
            resettlement_plot_area: 0,
            resettlement_plot_price: 0,
            resettlement_min_value: 0,
        };
        for d in SETTINGS {
            if let Some(v) = s.field(d.code) {
                *v = d.default;
            }
        }
        s
    }
}

async fn stored(conn: &impl ConnectionTrait, project_id: i32) -> AppResult<Vec<rows::Model>> {
    Ok(rows::Entity::find()
        .filter(rows::Column::ProjectId.eq(project_id))
        .all(conn)
        .await?)
}

/// The project's settings, each stored value over its default.
pub async fn project_settings(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> AppResult<CompensationSettings> {
    let mut s = CompensationSettings::default();
    for row in stored(conn, project_id).await? {
        // A code no longer in the table (a setting retired) is ignored, not an error.
        if let Some(v) = s.field(&row.code) {
            *v = row.value;
        }
    }
    Ok(s)
}

/// Where no parcel names a commune: Quảng Ngãi, the province gpmb serves.
pub const DEFAULT_PROVINCE: &str = "51";

/// The province whose price table applies to a project: that of the commune of its first
/// parcel, followed through the 2025 merger to today's province (Kon Tum's 62 → 51);
/// [`DEFAULT_PROVINCE`] for a project with no parcel yet.
pub async fn project_province(conn: &impl ConnectionTrait, project_id: i32) -> AppResult<String> {
    let commune: Option<i32> = parcels::Entity::find()
        .select_only()
        .column(parcels::Column::CommuneId)
        .filter(parcels::Column::ProjectId.eq(project_id))
        .order_by_asc(parcels::Column::Id)
        .into_tuple()
        .one(conn)
        .await?;
    let mut next = commune;
    // Commune → district → province → its successor: a handful of steps; the bound guards
    // against a cycle in hand-edited reference data.
    for _ in 0..8 {
        let Some(id) = next else { break };
        let Some(unit) = admin_units::Entity::find_by_id(id).one(conn).await? else {
            break;
        };
        if unit.level == LEVEL_PROVINCE {
            if let Some(successor) = unit.successor_id {
                next = Some(successor);
                continue;
            }
            return Ok(unit.code);
        }
        next = unit.parent_id;
    }
    Ok(DEFAULT_PROVINCE.to_string())
}

// ---- HTTP ---------------------------------------------------------------------------------

/// One setting of a project as the form shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingDto {
    /// `job_change_multiple`, `rice_price_per_kg`, …
    pub code: String,
    pub unit: SettingUnit,
    /// What 1 of the unit people read is in `value` (10 000 for × 10 000, 100 for m²).
    pub scale: i64,
    /// The value in force: the project's, else the default.
    pub value: i64,
    pub default: i64,
    /// Whether the project set the value (else the default applies).
    pub set: bool,
    /// The national cap, if the law sets one, and its article.
    pub cap: Option<i64>,
    pub cap_article: Option<String>,
    /// The article of the rule this value feeds.
    pub article: String,
    pub label_vi: String,
    pub label_en: String,
    /// The decision that set the value (`QĐ 12/2026/QĐ-UBND`) and its date.
    pub decision_no: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub updated_by_name: Option<String>,
    pub updated_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// A project's entitlement settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompensationSettingsDto {
    pub project: String,
    /// The province whose price table applies (from the project's communes).
    pub province_code: String,
    pub settings: Vec<SettingDto>,
}

/// One setting to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingInput {
    pub code: String,
    /// The value in the setting's unit as stored (see `scale`); null: back to the default.
    pub value: Option<i64>,
    pub decision_no: Option<String>,
    pub decided_on: Option<NaiveDate>,
}

/// The settings to change; codes not listed keep their values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub settings: Vec<SettingInput>,
}

async fn dto_of(
    conn: &impl ConnectionTrait,
    project: &crate::entities::projects::Model,
) -> AppResult<CompensationSettingsDto> {
    let stored = stored(conn, project.id).await?;
    let ids: Vec<i32> = stored.iter().filter_map(|r| r.updated_by).collect();
    let names = crate::users::service::display_names(conn, ids.into_iter().map(Some)).await?;
    let by_code: HashMap<&str, &rows::Model> =
        stored.iter().map(|r| (r.code.as_str(), r)).collect();
    let settings = SETTINGS
        .iter()
        .map(|d| {
            let row = by_code.get(d.code);
            SettingDto {
                code: d.code.to_string(),
                unit: d.unit,
                scale: d.unit.scale(),
                value: row.map_or(d.default, |r| r.value),
                default: d.default,
                set: row.is_some(),
                cap: d.cap.map(|c| c.0),
                cap_article: d.cap.map(|c| c.1.to_string()),
                article: d.article.to_string(),
                label_vi: d.vi.to_string(),
                label_en: d.en.to_string(),
                decision_no: row.and_then(|r| r.decision_no.clone()),
                decided_on: row.and_then(|r| r.decided_on),
                updated_by_name: row
                    .and_then(|r| r.updated_by)
                    .and_then(|id| names.get(&id).cloned()),
                updated_at: row.map(|r| r.updated_at),
            }
        })
        .collect();
    Ok(CompensationSettingsDto {
        project: project.code.clone(),
        province_code: project_province(conn, project.id).await?,
        settings,
    })
}

fn refuse(
    code: &'static str,
    field: String,
    message: String,
    details: serde_json::Value,
) -> AppError {
    let mut details = details;
    if let Some(map) = details.as_object_mut() {
        map.insert("field".into(), json!(field));
    }
    AppError::Unprocessable {
        code,
        message,
        details: Some(details),
    }
}

/// A change checked: the definition, the value (None: back to the default), the decision.
#[derive(Debug)]
struct Checked {
    def: &'static SettingDef,
    value: Option<i64>,
    decision_no: Option<String>,
    decided_on: Option<NaiveDate>,
}

/// Checks every change before anything is written: known code, listed once, a value inside
/// 0…[`MAX_VALUE`] and not above its national cap.
fn check(input: SettingsInput) -> AppResult<Vec<Checked>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(input.settings.len().min(SETTINGS.len()));
    for (i, s) in input.settings.into_iter().enumerate() {
        let field = |f: &str| format!("settings.{i}.{f}");
        let Some(def) = setting(&s.code) else {
            return Err(refuse(
                "unknown_setting",
                field("code"),
                format!(
                    "there is no compensation setting `{}`",
                    s.code.chars().take(64).collect::<String>()
                ),
                json!({"code": s.code.chars().take(64).collect::<String>()}),
            ));
        };
        if !seen.insert(def.code) {
            return Err(refuse(
                "duplicate_setting",
                field("code"),
                format!("{} is listed twice", def.code),
                json!({"code": def.code}),
            ));
        }
        if let Some(v) = s.value {
            if v < 0 {
                return Err(refuse(
                    "negative_value",
                    field("value"),
                    format!("{} cannot be negative", def.code),
                    json!({"code": def.code}),
                ));
            }
            if let Some((cap, article)) = def.cap {
                if v > cap {
                    return Err(refuse(
                        "above_national_cap",
                        field("value"),
                        format!(
                            "{} = {v} is above the national cap of {cap} set by {article}",
                            def.code
                        ),
                        json!({"code": def.code, "value": v, "cap": cap, "scale": def.unit.scale(), "article": article}),
                    ));
                }
            }
            if v > MAX_VALUE {
                return Err(refuse(
                    "value_too_large",
                    field("value"),
                    format!("{} may be at most {MAX_VALUE}", def.code),
                    json!({"code": def.code, "max": MAX_VALUE}),
                ));
            }
        }
        let decision_no = s
            .decision_no
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        if decision_no
            .as_deref()
            .is_some_and(|d| d.chars().count() > MAX_DECISION_CHARS)
        {
            return Err(refuse(
                "text_too_long",
                field("decision_no"),
                format!("a decision number is limited to {MAX_DECISION_CHARS} characters"),
                json!({"max": MAX_DECISION_CHARS}),
            ));
        }
        out.push(Checked {
            def,
            value: s.value,
            decision_no,
            decided_on: s.decided_on,
        });
    }
    Ok(out)
}

/// The project's compensation and support settings: every code with its value (the project's
/// or the default), unit, national cap and article, and the decision that set it.
#[utoipa::path(get, path = "/api/v1/projects/{code}/settings/compensation", tag = "compensation",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    responses((status = 200, body = CompensationSettingsDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<CompensationSettingsDto>> {
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    Ok(Json(dto_of(conn, &project).await?))
}

/// Set some of the project's compensation and support settings, each with the decision that
/// set it (administrators; audited). A value above its national cap is refused with
/// `above_national_cap`, naming the cap and its article; a null value returns to the default.
#[utoipa::path(put, path = "/api/v1/projects/{code}/settings/compensation", tag = "compensation",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2")),
    request_body = SettingsInput,
    responses((status = 200, body = CompensationSettingsDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<SettingsInput>,
) -> AppResult<Json<CompensationSettingsDto>> {
    principal.require(Permission::Administer)?;
    let changes = check(input)?;
    let tx = state.db.write().await?;
    let project = crate::projects::service::visible_project(&*tx, &principal, &code).await?;
    crate::projects::service::ensure_open(&*tx, project.id).await?;
    let existing: HashMap<String, rows::Model> = stored(&*tx, project.id)
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    let now = chrono::Utc::now().fixed_offset();
    let mut audit = Vec::with_capacity(changes.len());
    for c in changes {
        let before = existing.get(c.def.code);
        audit.push(json!({
            "code": c.def.code,
            "from": before.map(|r| r.value),
            "to": c.value,
            "decision_no": c.decision_no,
            "decided_on": c.decided_on,
        }));
        match (before, c.value) {
            (Some(row), None) => {
                rows::Entity::delete_by_id(row.id).exec(&*tx).await?;
            }
            (None, None) => {}
            (Some(row), Some(value)) => {
                let mut row: rows::ActiveModel = row.clone().into();
                row.value = Set(value);
                row.decision_no = Set(c.decision_no);
                row.decided_on = Set(c.decided_on);
                row.updated_by = Set(principal.user_id);
                row.updated_at = Set(now);
                row.update(&*tx).await?;
            }
            (None, Some(value)) => {
                rows::ActiveModel {
                    project_id: Set(project.id),
                    code: Set(c.def.code.to_string()),
                    value: Set(value),
                    decision_no: Set(c.decision_no),
                    decided_on: Set(c.decided_on),
                    updated_by: Set(principal.user_id),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&*tx)
                .await?;
            }
        }
    }
    crate::audit::record(
        &*tx,
        &principal,
        "update",
        "compensation_settings",
        Some(project.code.clone()),
        json!({ "changes": audit }),
    )
    .await?;
    let dto = dto_of(&*tx, &project).await?;
    tx.commit().await?;
    Ok(Json(dto))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_field_and_defaults_fill_them() {
        let defaults = CompensationSettings::default();
        let mut seen = HashSet::new();
        for d in SETTINGS {
            assert!(seen.insert(d.code), "{} twice", d.code);
            assert_eq!(defaults.get(d.code), Some(d.default), "{}", d.code);
            if let Some((cap, _)) = d.cap {
                assert!(d.default <= cap, "{} default above its cap", d.code);
            }
        }
        // Every field is reached by a code: set each to a distinct value, read them back.
        let mut s = CompensationSettings::default();
        for (i, d) in SETTINGS.iter().enumerate() {
            *s.field(d.code).unwrap() = 1000 + i as i64;
        }
        for (i, d) in SETTINGS.iter().enumerate() {
            assert_eq!(s.get(d.code), Some(1000 + i as i64));
        }
        assert_eq!(SETTINGS.len(), 13);
        assert_eq!(defaults.job_change_multiple, 15_000);
        assert_eq!(defaults.relocation_support, 5_000_000);
    }

    fn one(code: &str, value: i64) -> SettingsInput {
        SettingsInput {
            settings: vec![SettingInput {
                code: code.into(),
                value: Some(value),
                decision_no: None,
                decided_on: None,
            }],
        }
    }

    #[test]
    fn caps_are_inclusive_and_named() {
        assert!(check(one("job_change_multiple", 50_000)).is_ok());
        match check(one("job_change_multiple", 50_001)) {
            Err(AppError::Unprocessable { code, details, .. }) => {
                assert_eq!(code, "above_national_cap");
                let d = details.unwrap();
                assert_eq!(d["cap"], 50_000);
                assert_eq!(d["article"], "LĐĐ 2024 Art. 109; ND 88 Art. 22");
                assert_eq!(d["field"], "settings.0.value");
            }
            other => panic!("{other:?}"),
        }
        assert!(check(one("stabilisation_months_under_30", 6)).is_ok());
        assert!(check(one("stabilisation_months_under_30", 7)).is_err());
        assert!(check(one("business_support_percent", 3_001)).is_err());
        assert!(check(one("structure_top_up_percent", 10_000)).is_ok());
        assert!(check(one("rice_price_per_kg", -1)).is_err());
        assert!(check(one("rice_price_per_kg", MAX_VALUE + 1)).is_err());
        assert!(check(one("no_such_thing", 1)).is_err());
    }
}
