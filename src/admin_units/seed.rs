//! Reference data: the administrative units of Quảng Ngãi (51) and Kon Tum (62) before the
//! 2025 reform, and of the new Quảng Ngãi (51, merged with Kon Tum) after it.
//!
//! The CSVs in `fixtures/admin_units/` ship inside the binary. Codes collide between the two
//! periods (21061 is Bình Trị before 1 July 2025 and Vạn Tường after), so rows are told apart by
//! `id` and validity: a legacy row has `valid_to = 2025-06-30`, a current row `valid_to = NULL`.
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entities::admin_units;

const LEGACY_CSV: &str = include_str!("../../fixtures/admin_units/admin_units_legacy.csv");
const CURRENT_CSV: &str = include_str!("../../fixtures/admin_units/admin_units_2025.csv");
const SUCCESSORS_CSV: &str =
    include_str!("../../fixtures/admin_units/admin_units_2025_successors.csv");

/// Unit levels as stored in `admin_units.level`.
pub const LEVEL_PROVINCE: &str = "province";
pub const LEVEL_DISTRICT: &str = "district";
pub const LEVEL_COMMUNE: &str = "commune";

/// Last day of the old three-tier units; the reform took effect on 1 July 2025.
pub fn legacy_valid_to() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default()
}

/// First day of the two-tier units.
pub fn reform_valid_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or_default()
}

/// When the legacy province was (re-)established: Quảng Ngãi split from Nghĩa Bình on
/// 1 July 1989, Kon Tum from Gia Lai – Kon Tum on 12 August 1991. The data carries no dates for
/// districts and communes; they take their province's date as a floor.
fn legacy_valid_from(province_code: &str) -> NaiveDate {
    match province_code {
        "62" => NaiveDate::from_ymd_opt(1991, 8, 12),
        _ => NaiveDate::from_ymd_opt(1989, 7, 1),
    }
    .unwrap_or_default()
}

/// One row to insert.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UnitRow {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub parent_id: Option<i32>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub successor_id: Option<i32>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub bbox: Option<[f64; 4]>,
}

#[derive(Debug)]
struct LegacyRow {
    province_code: String,
    province: String,
    district_code: String,
    district: String,
    ward_code: String,
    ward: String,
    lon: Option<f64>,
    lat: Option<f64>,
    bbox: Option<[f64; 4]>,
}

fn parse_f64(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

fn bad(what: &str, e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("admin unit reference data ({what}): {e}"))
}

fn read_csv(
    text: &str,
    what: &str,
) -> Result<(HashMap<String, usize>, Vec<csv::StringRecord>), DbErr> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: HashMap<String, usize> = reader
        .headers()
        .map_err(|e| bad(what, e))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_string(), i))
        .collect();
    let mut rows = Vec::new();
    for r in reader.records() {
        rows.push(r.map_err(|e| bad(what, e))?);
    }
    Ok((headers, rows))
}

fn field<'a>(
    headers: &HashMap<String, usize>,
    rec: &'a csv::StringRecord,
    name: &str,
    what: &str,
) -> Result<&'a str, DbErr> {
    let i = headers
        .get(name)
        .ok_or_else(|| bad(what, format!("missing column {name}")))?;
    Ok(rec.get(*i).unwrap_or("").trim())
}

fn union_bbox(a: Option<[f64; 4]>, b: Option<[f64; 4]>) -> Option<[f64; 4]> {
    match (a, b) {
        (Some(a), Some(b)) => Some([
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]),
        (x, None) | (None, x) => x,
    }
}

/// `Tỉnh Quảng Ngãi` + `Huyện Lý Sơn` → `tinhquangngai_huyenlyson_`, the key the successors file
/// uses for rows without a legacy commune code (a district without communes).
fn district_key(province: &str, district: &str) -> String {
    let squash = |s: &str| -> String {
        crate::text::fold(s)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect()
    };
    format!("{}_{}_", squash(province), squash(district))
}

/// Builds every row, with ids from 1, from the embedded CSVs. Pure: no database.
#[expect(
    clippy::too_many_lines,
    reason = "the reference data is read as one pass over the three CSV files and their successors"
)]
pub(crate) fn build_rows() -> Result<Vec<UnitRow>, DbErr> {
    // Legacy units.
    let (h, recs) = read_csv(LEGACY_CSV, "legacy")?;
    let mut legacy = Vec::with_capacity(recs.len());
    for r in &recs {
        let f = |n: &str| field(&h, r, n, "legacy");
        let bbox = match (
            parse_f64(f("ward_min_lon")?),
            parse_f64(f("ward_min_lat")?),
            parse_f64(f("ward_max_lon")?),
            parse_f64(f("ward_max_lat")?),
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
            _ => None,
        };
        legacy.push(LegacyRow {
            province_code: f("province_code")?.to_string(),
            province: f("province")?.to_string(),
            district_code: f("district_code")?.to_string(),
            district: f("district")?.to_string(),
            ward_code: f("ward_code")?.to_string(),
            ward: f("ward")?.to_string(),
            lon: parse_f64(f("ward_lon")?),
            lat: parse_f64(f("ward_lat")?),
            bbox,
        });
    }

    // Current (2025) units.
    let (h, recs) = read_csv(CURRENT_CSV, "2025")?;
    let mut current = Vec::with_capacity(recs.len());
    for r in &recs {
        let f = |n: &str| field(&h, r, n, "2025");
        current.push((
            f("province_code")?.to_string(),
            f("province")?.to_string(),
            f("ward_code")?.to_string(),
            f("ward")?.to_string(),
            parse_f64(f("ward_lon")?),
            parse_f64(f("ward_lat")?),
        ));
    }

    // Successors: old commune code (or district key) → new commune code.
    let (h, recs) = read_csv(SUCCESSORS_CSV, "successors")?;
    let mut successor_of: HashMap<String, String> = HashMap::new();
    let mut successor_of_key: HashMap<String, String> = HashMap::new();
    // New commune code → old commune codes (every relation), to derive the new bounding box.
    let mut predecessors: HashMap<String, Vec<String>> = HashMap::new();
    for r in &recs {
        let f = |n: &str| field(&h, r, n, "successors");
        let old = f("legacy_ward_code")?.to_string();
        let new = f("ward_code_2025")?.to_string();
        let relation = f("relation")?;
        if !old.is_empty() {
            predecessors
                .entry(new.clone())
                .or_default()
                .push(old.clone());
        }
        if relation == "whole" || relation == "part_default" {
            if old.is_empty() {
                successor_of_key.insert(f("legacy_key")?.to_string(), new);
            } else {
                successor_of.insert(old, new);
            }
        }
    }

    let mut rows: Vec<UnitRow> = Vec::new();
    let mut next_id = 1;
    let mut take_id = || {
        let id = next_id;
        next_id += 1;
        id
    };

    // Provinces: legacy ones first, then the new 51.
    let mut legacy_provinces: BTreeMap<String, (i32, String)> = BTreeMap::new();
    for l in &legacy {
        legacy_provinces
            .entry(l.province_code.clone())
            .or_insert_with(|| (0, l.province.clone()));
    }
    for (id, _) in legacy_provinces.values_mut() {
        *id = take_id();
    }
    let new_province_id = take_id();
    let new_province_name = current
        .first()
        .map_or_else(|| "Tỉnh Quảng Ngãi".to_string(), |c| c.1.clone());
    for (code, (id, name)) in &legacy_provinces {
        rows.push(UnitRow {
            id: *id,
            code: code.clone(),
            name: name.clone(),
            level: LEVEL_PROVINCE,
            parent_id: None,
            valid_from: legacy_valid_from(code),
            valid_to: Some(legacy_valid_to()),
            successor_id: Some(new_province_id),
            lon: None,
            lat: None,
            bbox: None,
        });
    }
    let new_province_index = rows.len();
    rows.push(UnitRow {
        id: new_province_id,
        code: current
            .first()
            .map_or_else(|| "51".to_string(), |c| c.0.clone()),
        name: new_province_name,
        level: LEVEL_PROVINCE,
        parent_id: None,
        valid_from: reform_valid_from(),
        valid_to: None,
        successor_id: None,
        lon: None,
        lat: None,
        bbox: None,
    });

    // The 2025 communes.
    let mut current_id: HashMap<String, i32> = HashMap::new();
    let mut current_index: HashMap<String, usize> = HashMap::new();
    for (_, _, code, name, lon, lat) in &current {
        let id = take_id();
        current_id.insert(code.clone(), id);
        current_index.insert(code.clone(), rows.len());
        rows.push(UnitRow {
            id,
            code: code.clone(),
            name: name.clone(),
            level: LEVEL_COMMUNE,
            parent_id: Some(new_province_id),
            valid_from: reform_valid_from(),
            valid_to: None,
            successor_id: None,
            lon: *lon,
            lat: *lat,
            bbox: None,
        });
    }

    // Legacy districts, in file order.
    let mut district_index: HashMap<String, usize> = HashMap::new();
    for l in &legacy {
        if district_index.contains_key(&l.district_code) {
            continue;
        }
        let Some((province_id, _)) = legacy_provinces.get(&l.province_code) else {
            continue;
        };
        let successor_id = successor_of_key
            .get(&district_key(&l.province, &l.district))
            .and_then(|c| current_id.get(c))
            .copied();
        district_index.insert(l.district_code.clone(), rows.len());
        rows.push(UnitRow {
            id: take_id(),
            code: l.district_code.clone(),
            name: l.district.clone(),
            level: LEVEL_DISTRICT,
            parent_id: Some(*province_id),
            valid_from: legacy_valid_from(&l.province_code),
            valid_to: Some(legacy_valid_to()),
            successor_id,
            lon: None,
            lat: None,
            bbox: None,
        });
    }

    // Legacy communes.
    let mut legacy_bbox: HashMap<String, [f64; 4]> = HashMap::new();
    for l in &legacy {
        if l.ward_code.is_empty() {
            continue; // a district without communes (Lý Sơn)
        }
        let Some(&di) = district_index.get(&l.district_code) else {
            continue;
        };
        let district_id = rows[di].id;
        rows[di].bbox = union_bbox(rows[di].bbox, l.bbox);
        if let Some((pid, _)) = legacy_provinces.get(&l.province_code) {
            if let Some(p) = rows.iter_mut().find(|r| r.id == *pid) {
                p.bbox = union_bbox(p.bbox, l.bbox);
            }
        }
        if let Some(b) = l.bbox {
            legacy_bbox.insert(l.ward_code.clone(), b);
        }
        let successor_id = successor_of
            .get(&l.ward_code)
            .and_then(|c| current_id.get(c))
            .copied();
        rows.push(UnitRow {
            id: take_id(),
            code: l.ward_code.clone(),
            name: l.ward.clone(),
            level: LEVEL_COMMUNE,
            parent_id: Some(district_id),
            valid_from: legacy_valid_from(&l.province_code),
            valid_to: Some(legacy_valid_to()),
            successor_id,
            lon: l.lon,
            lat: l.lat,
            bbox: l.bbox,
        });
    }

    // The data gives the new communes a centroid and an area but no bounding box: take the
    // union of their predecessors' boxes (exact where old communes went in whole; a little too
    // large where one was divided).
    let mut province_bbox = None;
    for (code, idx) in &current_index {
        let mut b = None;
        for old in predecessors.get(code).map_or(&[][..], Vec::as_slice) {
            b = union_bbox(b, legacy_bbox.get(old).copied());
        }
        rows[*idx].bbox = b;
        province_bbox = union_bbox(province_bbox, b);
    }
    rows[new_province_index].bbox = province_bbox;
    Ok(rows)
}

fn insert_statement(rows: &[UnitRow]) -> Result<sea_orm::sea_query::InsertStatement, DbErr> {
    let mut stmt = Query::insert();
    stmt.into_table(admin_units::Entity).columns(
        [
            "id",
            "code",
            "name",
            "level",
            "parent_id",
            "valid_from",
            "valid_to",
            "successor_id",
            "lon",
            "lat",
            "min_lon",
            "min_lat",
            "max_lon",
            "max_lat",
        ]
        .map(Alias::new),
    );
    for r in rows {
        let values: [SimpleExpr; 14] = [
            r.id.into(),
            r.code.clone().into(),
            r.name.clone().into(),
            r.level.into(),
            r.parent_id.into(),
            r.valid_from.into(),
            r.valid_to.into(),
            r.successor_id.into(),
            r.lon.into(),
            r.lat.into(),
            r.bbox.map(|b| b[0]).into(),
            r.bbox.map(|b| b[1]).into(),
            r.bbox.map(|b| b[2]).into(),
            r.bbox.map(|b| b[3]).into(),
        ];
        stmt.values(values)
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    Ok(stmt)
}

/// Loads the administrative units unless the table already has rows. All rows go in one
/// multi-row INSERT, so the load is atomic without needing a transaction from the caller.
#[tracing::instrument(skip_all)]
pub async fn seed_reference_data(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let existing = admin_units::Entity::find().count(db).await?;
    if existing > 0 {
        return Ok(());
    }
    let rows = build_rows()?;
    // One statement: about 400 rows × 14 values, well under SQLite's 32,766 bound values.
    let stmt = insert_statement(&rows)?;
    db.execute(db.get_database_backend().build(&stmt)).await?;
    crate::db::dialect::reset_id_sequence(db, admin_units::Entity).await?;
    Ok(())
}

/// The commune with this code: the pre-2025 unit when `legacy`, else the current one.
#[tracing::instrument(skip_all, fields(code, legacy))]
pub async fn commune_by_code(
    db: &impl ConnectionTrait,
    code: &str,
    legacy: bool,
) -> Result<Option<admin_units::Model>, DbErr> {
    let q = admin_units::Entity::find()
        .filter(admin_units::Column::Code.eq(code))
        .filter(admin_units::Column::Level.eq(LEVEL_COMMUNE));
    let q = if legacy {
        q.filter(admin_units::Column::ValidTo.is_not_null())
    } else {
        q.filter(admin_units::Column::ValidTo.is_null())
    };
    q.one(db).await
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_have_unique_ids_and_resolve_successors() {
        let rows = build_rows().expect("reference data parses");
        let mut ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rows.len());
        assert_eq!(rows.iter().filter(|r| r.level == LEVEL_PROVINCE).count(), 3);
        let current: Vec<_> = rows
            .iter()
            .filter(|r| r.level == LEVEL_COMMUNE && r.valid_to.is_none())
            .collect();
        assert_eq!(current.len(), 96);
        let legacy: Vec<_> = rows
            .iter()
            .filter(|r| r.level == LEVEL_COMMUNE && r.valid_to.is_some())
            .collect();
        assert!(legacy.len() > 250);
        // Every legacy commune has a successor among the 2025 units.
        for l in &legacy {
            let s = l.successor_id.expect("successor");
            assert!(current.iter().any(|c| c.id == s), "{} {}", l.code, l.name);
        }
        // Codes collide across periods: 21061 is Bình Trị before, Vạn Tường after.
        let tri = legacy.iter().find(|r| r.code == "21061").expect("Bình Trị");
        let van_tuong = current
            .iter()
            .find(|r| r.code == "21061")
            .expect("Vạn Tường");
        assert_eq!(tri.name, "Xã Bình Trị");
        assert_eq!(van_tuong.name, "Xã Vạn Tường");
        assert_eq!(tri.successor_id, Some(van_tuong.id));
        assert!(van_tuong.bbox.is_some());
        // Parents point at the right level.
        for l in &legacy {
            let parent = rows
                .iter()
                .find(|r| Some(r.id) == l.parent_id)
                .expect("parent");
            assert_eq!(parent.level, LEVEL_DISTRICT);
        }
        // The divided commune (Trà Bùi) goes to its default successor.
        let tra_bui = legacy.iter().find(|r| r.code == "21142").expect("Trà Bùi");
        let ca_dam = current.iter().find(|r| r.code == "21136").expect("Cà Đam");
        assert_eq!(tra_bui.successor_id, Some(ca_dam.id));
        // Lý Sơn district went whole into the special zone.
        let ly_son = rows
            .iter()
            .find(|r| r.level == LEVEL_DISTRICT && r.code == "536")
            .expect("Lý Sơn");
        let dac_khu = current.iter().find(|r| r.code == "21548").expect("đặc khu");
        assert_eq!(ly_son.successor_id, Some(dac_khu.id));
        // Everything fits one statement.
        assert!(rows.len() * 14 < 30_000);
    }
}
