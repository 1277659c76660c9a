//! Province price tables (issue 17 item 2): the land prices and their adjustment coefficient,
//! the unit prices of structures, crops, trees, graves and moving, each table with the decision
//! that issued it and its validity. Imported from an xlsx workbook (`sheet`; the template is
//! downloadable), versioned — importing a table of the same province and name makes a new
//! version that supersedes the last, never an edit in place — and deleted only while no plan
//! uses it. Province-wide reference data: no personal data here.
mod sheet;

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

pub use sheet::{
    parse_coefficient, template_bytes, PriceImportProblem, COEFFICIENT_MAX, COEFFICIENT_MIN,
    MAX_ITEMS, MAX_UNIT_PRICE,
};

use super::calc::{PriceBook, PriceItem};
use crate::admin_units::seed::LEVEL_PROVINCE;
use crate::auth::{Principal, Scope};
use crate::domain::{AssetCategory, Permission};
use crate::entities::{admin_units, price_items, price_tables};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::i18n::Lang;
use crate::imports::dto::TemplateQuery;
use crate::state::AppState;

/// Largest workbook accepted: a 5 000-row table is a few hundred kilobytes.
pub const UPLOAD_LIMIT: usize = 8 * 1024 * 1024;

// ---- the import ---------------------------------------------------------------------------

/// What an import did (or, with `dry_run`, would do). All or nothing: with any problem nothing
/// is stored and `errors` lists them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceImportReport {
    pub file: String,
    pub dry_run: bool,
    /// Whether the table was stored.
    pub committed: bool,
    pub province_code: Option<String>,
    pub name: Option<String>,
    pub legal_basis: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// × 10 000.
    pub land_coefficient: Option<i32>,
    /// The version this import makes (or would make), and the table it supersedes.
    pub version: Option<i32>,
    pub supersedes_id: Option<i32>,
    /// The stored table, when committed.
    pub table_id: Option<i32>,
    /// Price rows read without a problem.
    pub items: usize,
    /// Rows per category (`land`, `structure`, …).
    pub by_category: BTreeMap<String, usize>,
    pub errors: Vec<PriceImportProblem>,
}

/// The latest version of a province's table of that name, if any. On PostgreSQL the series'
/// rows are locked first, so two imports of the same table cannot both make version 2
/// (SQLite's writers already take turns in `Db::write`).
async fn latest_of_series(
    conn: &impl ConnectionTrait,
    province: &str,
    name: &str,
    lock: bool,
) -> AppResult<Option<price_tables::Model>> {
    let series = || {
        price_tables::Entity::find()
            .filter(price_tables::Column::ProvinceCode.eq(province))
            .filter(price_tables::Column::Name.eq(name))
    };
    if lock && conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        series().lock_exclusive().all(conn).await?;
    }
    Ok(series()
        .order_by_desc(price_tables::Column::Version)
        .order_by_desc(price_tables::Column::Id)
        .one(conn)
        .await?)
}

async fn known_province(conn: &impl ConnectionTrait, code: &str) -> AppResult<bool> {
    let provinces: Vec<String> = admin_units::Entity::find()
        .select_only()
        .column(admin_units::Column::Code)
        .filter(admin_units::Column::Level.eq(LEVEL_PROVINCE))
        .into_tuple()
        .all(conn)
        .await?;
    // A database without reference units (a bare install) cannot say; the format was checked.
    Ok(provinces.is_empty() || provinces.iter().any(|p| p == code))
}

/// Reads, checks and (unless `dry_run` or refused) stores a price workbook as a new table
/// version, in one transaction with its audit row.
pub async fn import(
    db: &crate::db::Db,
    who: &Principal,
    bytes: Vec<u8>,
    file: &str,
    dry_run: bool,
) -> AppResult<PriceImportReport> {
    // Unzipping and reading cells is CPU work: off the async workers.
    let book = tokio::task::spawn_blocking(move || sheet::read_book(&bytes))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("price workbook read failed: {e}")))??;
    let mut errors = Vec::new();
    let mut head = sheet::read_info(&book.info, &mut errors);
    let items = sheet::read_items(&book.prices, &mut errors)?;
    drop(book);
    let province = head
        .province_code
        .get_or_insert_with(|| super::settings::DEFAULT_PROVINCE.to_string())
        .clone();
    if !known_province(&db.conn, &province).await? {
        errors.push(sheet::problem(
            "info",
            0,
            Some("province_code"),
            "unknown_province",
            format!("there is no province {province}"),
            &[("value", province.clone())],
        ));
    }
    let mut by_category = BTreeMap::new();
    for i in &items {
        *by_category
            .entry(i.category.as_str().to_string())
            .or_insert(0) += 1;
    }
    let mut report = PriceImportReport {
        file: file.to_string(),
        dry_run,
        committed: false,
        province_code: head.province_code.clone(),
        name: head.name.clone(),
        legal_basis: head.legal_basis.clone(),
        valid_from: head.valid_from,
        valid_until: head.valid_until,
        land_coefficient: head.land_coefficient,
        version: None,
        supersedes_id: None,
        table_id: None,
        items: items.len(),
        by_category,
        errors,
    };
    let Some(name) = head.name.clone() else {
        return Ok(report);
    };
    if dry_run || !report.errors.is_empty() {
        let latest = latest_of_series(&db.conn, &province, &name, false).await?;
        report.version = Some(latest.as_ref().map_or(1, |t| t.version + 1));
        report.supersedes_id = latest.map(|t| t.id);
        return Ok(report);
    }
    let tx = db.write().await?;
    let Some(table) = store(&*tx, who, &head, &items, file).await? else {
        // A required field missing was reported above; nothing to store.
        return Ok(report);
    };
    tx.commit().await?;
    report.version = Some(table.version);
    report.supersedes_id = table.supersedes_id;
    report.table_id = Some(table.id);
    report.committed = true;
    Ok(report)
}

/// Stores a checked table as the next version of its series, with its items and audit row;
/// None when a required field is missing (already reported).
async fn store(
    conn: &impl ConnectionTrait,
    who: &Principal,
    head: &sheet::Head,
    items: &[sheet::Item],
    file: &str,
) -> AppResult<Option<price_tables::Model>> {
    let (Some(province), Some(name), Some(legal_basis), Some(valid_from), Some(land_coefficient)) = (
        head.province_code.clone(),
        head.name.clone(),
        head.legal_basis.clone(),
        head.valid_from,
        head.land_coefficient,
    ) else {
        return Ok(None);
    };
    let latest = latest_of_series(conn, &province, &name, true).await?;
    let version = latest.as_ref().map_or(1, |t| t.version + 1);
    let supersedes_id = latest.map(|t| t.id);
    let table = price_tables::ActiveModel {
        province_code: Set(province.clone()),
        name: Set(name.clone()),
        legal_basis: Set(legal_basis),
        issued_on: Set(head.issued_on),
        valid_from: Set(valid_from),
        valid_until: Set(head.valid_until),
        land_coefficient: Set(land_coefficient),
        coefficient_basis: Set(head.coefficient_basis.clone()),
        version: Set(version),
        supersedes_id: Set(supersedes_id),
        created_by: Set(who.user_id),
        created_at: Set(chrono::Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    // 500 rows × 9 values per statement stays far below every backend's parameter limit.
    for chunk in items.chunks(500) {
        price_items::Entity::insert_many(chunk.iter().map(|i| price_items::ActiveModel {
            price_table_id: Set(table.id),
            category: Set(i.category.as_str().to_string()),
            code: Set(i.code.clone()),
            name: Set(i.name.clone()),
            unit: Set(i.unit.clone()),
            unit_price: Set(i.unit_price),
            grade: Set(i.grade.clone()),
            age_class: Set(i.age_class.clone()),
            zone: Set(i.zone.clone()),
            ..Default::default()
        }))
        .exec(conn)
        .await?;
    }
    crate::audit::record(
        conn,
        who,
        "import",
        "price_table",
        Some(table.id.to_string()),
        json!({
            "file": file, "province_code": province, "name": name, "version": version,
            "supersedes_id": supersedes_id, "items": items.len(),
        }),
    )
    .await?;
    Ok(Some(table))
}

/// The 422 answer for a refused workbook: the whole report in `error.details`.
fn refused(report: PriceImportReport) -> AppError {
    AppError::Unprocessable {
        code: "invalid_import",
        message: format!(
            "{} problem(s) in {}; nothing was stored. Fix them and import the file again.",
            report.errors.len(),
            report.file
        ),
        details: serde_json::to_value(&report).ok(),
    }
}

// ---- reading tables, for the plan ---------------------------------------------------------

/// A price table version as the calculator reads it.
pub async fn price_book(conn: &impl ConnectionTrait, table_id: i32) -> AppResult<PriceBook> {
    let table = price_tables::Entity::find_by_id(table_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("price table"))?;
    let rows = price_items::Entity::find()
        .filter(price_items::Column::PriceTableId.eq(table_id))
        .order_by_asc(price_items::Column::Id)
        .all(conn)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        // Rows were checked on import; one that is not is a damaged table, not a user error.
        let category = AssetCategory::parse(&r.category).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "price item {} has the unknown category {}",
                r.id,
                r.category
            ))
        })?;
        items.push(PriceItem {
            category,
            code: r.code,
            name: r.name,
            unit: r.unit,
            unit_price: r.unit_price,
            grade: r.grade,
            age_class: r.age_class,
            zone: r.zone,
        });
    }
    Ok(PriceBook {
        table_id: table.id,
        land_coefficient: table.land_coefficient,
        items,
    })
}

/// The tables of a province valid on `on`, less those a later version valid on the same day
/// replaces.
fn in_force_among(tables: &[price_tables::Model], on: NaiveDate) -> Option<&price_tables::Model> {
    let valid: Vec<&price_tables::Model> = tables
        .iter()
        .filter(|t| t.valid_from <= on && t.valid_until.is_none_or(|u| on <= u))
        .collect();
    let replaced: HashSet<i32> = valid.iter().filter_map(|t| t.supersedes_id).collect();
    valid
        .into_iter()
        .filter(|t| !replaced.contains(&t.id))
        .max_by_key(|t| (t.valid_from, t.version, t.id))
}

/// The province's table in force on a day: among the tables valid that day, the latest
/// version (a version valid that day replaces the one it supersedes), then the one in force
/// from the latest date.
pub async fn table_in_force(
    conn: &impl ConnectionTrait,
    province_code: &str,
    on: NaiveDate,
) -> AppResult<Option<price_tables::Model>> {
    let tables = price_tables::Entity::find()
        .filter(price_tables::Column::ProvinceCode.eq(province_code))
        .filter(price_tables::Column::ValidFrom.lte(on))
        .all(conn)
        .await?;
    Ok(in_force_among(&tables, on).cloned())
}

/// The ids of the tables some plan version uses. Price tables are province-wide: whether one
/// is used is asked of every plan in the database (the answer is a yes/no per table, naming
/// nobody), hence the whole-database scope.
async fn used_tables(conn: &impl ConnectionTrait) -> AppResult<HashSet<i32>> {
    use crate::scoped::compensation_plans::Column;
    let ids: Vec<i32> = crate::scoped::compensation_plans(&Scope::cli())
        .select_only()
        .column(Column::PriceTableId)
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

async fn plans_using(conn: &impl ConnectionTrait, table_id: i32) -> AppResult<u64> {
    use crate::scoped::compensation_plans::Column;
    Ok(crate::scoped::compensation_plans(&Scope::cli())
        .filter(Column::PriceTableId.eq(table_id))
        .count(conn)
        .await?)
}

// ---- HTTP ---------------------------------------------------------------------------------

/// A price table version.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceTableDto {
    pub id: i32,
    pub province_code: String,
    pub name: String,
    /// The decision that issued it (`QĐ 45/2025/QĐ-UBND`).
    pub legal_basis: String,
    pub issued_on: Option<NaiveDate>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    /// The land price adjustment coefficient × 10 000 (1.15 → 11 500).
    pub land_coefficient: i32,
    pub coefficient_basis: Option<String>,
    /// 1, 2, … within the province's tables of this name.
    pub version: i32,
    /// The version this one replaces, and the one that replaced it.
    pub supersedes_id: Option<i32>,
    pub superseded_by: Option<i32>,
    pub item_count: i64,
    /// Whether a compensation plan uses it (then it can no longer be deleted).
    pub used: bool,
    /// Whether it is the province's table in force today.
    pub in_force: bool,
    pub created_by_name: Option<String>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    /// The price rows (the detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<PriceItemDto>>,
}

/// One price row.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceItemDto {
    pub id: i32,
    pub category: AssetCategory,
    /// Land-use code (`LUC`), structure kind (`nha_cap_4`), species (`keo`)…
    pub code: String,
    pub name: String,
    pub unit: String,
    /// Đồng per unit.
    pub unit_price: i64,
    pub grade: Option<String>,
    pub age_class: Option<String>,
    pub zone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceTableList {
    pub items: Vec<PriceTableDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this province's tables (`51`).
    pub province: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriceImportQuery {
    /// Check and report only; store nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The file's name, for the report.
    pub filename: Option<String>,
}

/// The tables as the list shows them, newest first.
async fn dtos(
    conn: &impl ConnectionTrait,
    tables: Vec<price_tables::Model>,
) -> AppResult<Vec<PriceTableDto>> {
    let ids: Vec<i32> = tables.iter().map(|t| t.id).collect();
    let counts: HashMap<i32, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        price_items::Entity::find()
            .select_only()
            .column(price_items::Column::PriceTableId)
            .column_as(Expr::col(price_items::Column::Id).count(), "n")
            .filter(price_items::Column::PriceTableId.is_in(ids.clone()))
            .group_by(price_items::Column::PriceTableId)
            .into_tuple::<(i32, i64)>()
            .all(conn)
            .await?
            .into_iter()
            .collect()
    };
    let used = used_tables(conn).await?;
    let creators: Vec<i32> = tables.iter().filter_map(|t| t.created_by).collect();
    let names = crate::users::service::display_names(conn, creators.into_iter().map(Some)).await?;
    // Which version replaced which, and each province's table in force today, from every
    // table of the provinces listed (a filtered list still knows its successors).
    let provinces: HashSet<&str> = tables.iter().map(|t| t.province_code.as_str()).collect();
    let all = price_tables::Entity::find()
        .filter(price_tables::Column::ProvinceCode.is_in(provinces.iter().copied()))
        .all(conn)
        .await?;
    let successor: HashMap<i32, i32> = all
        .iter()
        .filter_map(|t| t.supersedes_id.map(|s| (s, t.id)))
        .collect();
    let today = crate::legal::today_vn();
    let in_force: HashSet<i32> = provinces
        .iter()
        .filter_map(|p| {
            let of: Vec<price_tables::Model> = all
                .iter()
                .filter(|t| t.province_code == *p)
                .cloned()
                .collect();
            in_force_among(&of, today).map(|t| t.id)
        })
        .collect();
    Ok(tables
        .into_iter()
        .map(|t| PriceTableDto {
            item_count: counts.get(&t.id).copied().unwrap_or(0),
            used: used.contains(&t.id),
            in_force: in_force.contains(&t.id),
            superseded_by: successor.get(&t.id).copied(),
            created_by_name: t.created_by.and_then(|id| names.get(&id).cloned()),
            id: t.id,
            province_code: t.province_code,
            name: t.name,
            legal_basis: t.legal_basis,
            issued_on: t.issued_on,
            valid_from: t.valid_from,
            valid_until: t.valid_until,
            land_coefficient: t.land_coefficient,
            coefficient_basis: t.coefficient_basis,
            version: t.version,
            supersedes_id: t.supersedes_id,
            created_at: t.created_at,
            items: None,
        })
        .collect())
}

/// The province price tables, newest first: validity, version, what replaced what, how many
/// prices each holds and whether a plan uses it (users who read case files, and
/// administrators).
#[utoipa::path(get, path = "/api/v1/price-tables", tag = "price-tables",
    params(ListQuery),
    responses((status = 200, body = PriceTableList), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<PriceTableList>> {
    principal.require(Permission::ReadPersonal)?;
    let conn = &state.db.conn;
    let mut query = price_tables::Entity::find()
        .order_by_desc(price_tables::Column::ValidFrom)
        .order_by_asc(price_tables::Column::ProvinceCode)
        .order_by_asc(price_tables::Column::Name)
        .order_by_desc(price_tables::Column::Version);
    if let Some(p) = q
        .province
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        query = query.filter(price_tables::Column::ProvinceCode.eq(p));
    }
    let tables = query.all(conn).await?;
    Ok(Json(PriceTableList {
        items: dtos(conn, tables).await?,
    }))
}

/// One price table version with its prices.
#[utoipa::path(get, path = "/api/v1/price-tables/{id}", tag = "price-tables",
    params(("id" = i32, Path)),
    responses((status = 200, body = PriceTableDto), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<PriceTableDto>> {
    principal.require(Permission::ReadPersonal)?;
    let conn = &state.db.conn;
    let table = price_tables::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("price table"))?;
    let mut dto = dtos(conn, vec![table])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("price table"))?;
    let items = price_items::Entity::find()
        .filter(price_items::Column::PriceTableId.eq(id))
        .order_by_asc(price_items::Column::Id)
        .all(conn)
        .await?;
    dto.items = Some(
        items
            .into_iter()
            .map(|i| PriceItemDto {
                id: i.id,
                // Checked on import; `other` rather than a failed page for a damaged row.
                category: AssetCategory::parse(&i.category).unwrap_or(AssetCategory::Other),
                code: i.code,
                name: i.name,
                unit: i.unit,
                unit_price: i.unit_price,
                grade: i.grade,
                age_class: i.age_class,
                zone: i.zone,
            })
            .collect(),
    );
    Ok(Json(dto))
}

/// Import a price table from an xlsx workbook (administrators): the sheet "Bảng giá" with one
/// price per row (category, code, name, unit, unit price in đồng, grade, age class, zone) and
/// the sheet "Thông tin" with the table's name, legal basis, validity and land price
/// coefficient. A table of the same province and name becomes a new version superseding the
/// last; nothing is edited in place. All or nothing: the 422 answer (`invalid_import`) lists
/// each bad row and column in `details.errors`. `dry_run=true` checks and reports only.
#[utoipa::path(post, path = "/api/v1/price-tables/import", tag = "price-tables",
    params(PriceImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the xlsx workbook, sent as `application/octet-stream`, the XLSX type or `application/vnd.ms-excel`"),
    responses((status = 200, body = PriceImportReport),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 413, body = crate::error::ErrorEnvelope),
              (status = 415, description = "`unsupported_media_type`: no Content-Type, or one this import does not take", body = crate::error::ErrorEnvelope),
              (status = 422, description = "`invalid_import` with the report in details, or a file-level problem", body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn import_table(
    State(state): State<AppState>,
    principal: Principal,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<PriceImportQuery>,
    body: Bytes,
) -> AppResult<Json<PriceImportReport>> {
    principal.require(Permission::Administer)?;
    crate::extract::require_upload_type(&headers, crate::extract::upload::WORKBOOK)?;
    if body.is_empty() {
        return Err(AppError::BadRequest(
            "the request body is empty; send the workbook itself as the body".into(),
        ));
    }
    if body.len() > UPLOAD_LIMIT {
        return Err(AppError::PayloadTooLarge(format!(
            "a price workbook may be at most {} MB",
            UPLOAD_LIMIT / 1_048_576
        )));
    }
    let file: String = q
        .filename
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("upload.xlsx")
        .chars()
        .take(200)
        .collect();
    let report = import(&state.db, &principal, body.to_vec(), &file, q.dry_run).await?;
    if report.errors.is_empty() {
        Ok(Json(report))
    } else {
        Err(refused(report))
    }
}

/// Delete a price table version no plan uses (administrators; audited): a table imported by
/// mistake. A used table is kept (409 `price_table_in_use`); a later version that superseded
/// it then supersedes the one before it.
#[utoipa::path(delete, path = "/api/v1/price-tables/{id}", tag = "price-tables",
    params(("id" = i32, Path)),
    responses((status = 204, description = "deleted"), (status = 401, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<StatusCode> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let table = price_tables::Entity::find_by_id(id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("price table"))?;
    let plans = plans_using(&*tx, id).await?;
    if plans > 0 {
        return Err(AppError::Conflict {
            code: "price_table_in_use",
            message: format!(
                "{} version {} is used by {plans} compensation plan version(s) and is kept; import a new version instead",
                table.name, table.version
            ),
        });
    }
    price_tables::Entity::update_many()
        .col_expr(
            price_tables::Column::SupersedesId,
            Expr::value(table.supersedes_id),
        )
        .filter(price_tables::Column::SupersedesId.eq(id))
        .exec(&*tx)
        .await?;
    let items = price_items::Entity::delete_many()
        .filter(price_items::Column::PriceTableId.eq(id))
        .exec(&*tx)
        .await?
        .rows_affected;
    price_tables::Entity::delete_by_id(id).exec(&*tx).await?;
    crate::audit::record(
        &*tx,
        &principal,
        "delete",
        "price_table",
        Some(id.to_string()),
        json!({
            "province_code": table.province_code, "name": table.name,
            "version": table.version, "items": items,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The price table template (.xlsx): the sheet "Bảng giá" with two header lines (the page's
/// language first, then the other) and example rows from Quảng Ngãi to replace — land LUC,
/// ONT, CLN; houses by grade; acacia by age; coconut; rice; graves; moving — the unit price a
/// number cell; and the sheet "Thông tin" with the table's name, legal basis, validity and
/// land price coefficient. The importer reads it back as it is.
#[utoipa::path(get, path = "/api/v1/price-tables/template", tag = "price-tables",
    params(TemplateQuery),
    responses((status = 200, description = "the template workbook (.xlsx), as an attachment"),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope)))]
pub async fn template(
    _principal: Principal,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> AppResult<impl IntoResponse> {
    let lang = Lang::parse(q.lang.as_deref());
    let bytes = template_bytes(lang)?;
    let name = match lang {
        Lang::Vi => "mau-bang-gia.xlsx",
        Lang::En => "price-table-template.xlsx",
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(
        id: i32,
        from: (i32, u32, u32),
        until: Option<(i32, u32, u32)>,
        version: i32,
        supersedes: Option<i32>,
    ) -> price_tables::Model {
        let d = |(y, m, dd): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        price_tables::Model {
            id,
            province_code: "51".into(),
            name: "t".into(),
            legal_basis: "QĐ".into(),
            issued_on: None,
            valid_from: d(from),
            valid_until: until.map(d),
            land_coefficient: 10_000,
            coefficient_basis: None,
            version,
            supersedes_id: supersedes,
            created_by: None,
            created_at: chrono::Utc::now().fixed_offset(),
        }
    }

    #[test]
    fn the_table_in_force_is_the_latest_valid_version() {
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let v1 = table(1, (2025, 1, 1), Some((2025, 12, 31)), 1, None);
        // Version 2 amends from 1 July; version 1 still governs the first half of the year.
        let v2 = table(2, (2025, 7, 1), Some((2025, 12, 31)), 2, Some(1));
        let next = table(3, (2026, 1, 1), None, 1, None);
        let all = [v1, v2, next];
        assert_eq!(in_force_among(&all, on(2025, 3, 1)).map(|t| t.id), Some(1));
        assert_eq!(in_force_among(&all, on(2025, 7, 1)).map(|t| t.id), Some(2));
        assert_eq!(
            in_force_among(&all, on(2025, 12, 31)).map(|t| t.id),
            Some(2)
        );
        assert_eq!(in_force_among(&all, on(2026, 1, 1)).map(|t| t.id), Some(3));
        assert_eq!(in_force_among(&all, on(2024, 12, 31)).map(|t| t.id), None);
        // A correction valid from the same day (or earlier) replaces the original outright.
        let fix = table(4, (2024, 12, 1), None, 2, Some(3));
        let all = [all[0].clone(), all[1].clone(), all[2].clone(), fix];
        assert_eq!(in_force_among(&all, on(2026, 5, 1)).map(|t| t.id), Some(4));
    }
}
