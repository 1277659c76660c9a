//! Reference data: the administrative units of the whole country before the 2025 reform (63
//! provinces, their districts and communes) and after it (34 provinces and their communes),
//! with the commune each old one went into.
//!
//! The CSVs in `fixtures/admin_units/` (made by `scripts/admin-units-from-pypi.py`) ship inside
//! the binary and are loaded once: into an empty table, or again when the binary ships a newer
//! [`ADMIN_UNITS_VERSION`] than the database holds (`reference_data`). A load adds and updates,
//! never deletes, and keeps every unit's id. Codes collide between the two periods (21061 is
//! Bình Trị before 1 July 2025 and Vạn Tường after), so rows are told apart by `id` and
//! validity: a legacy row has `valid_to = 2025-06-30`, a current row `valid_to = NULL`.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};

use super::import::{merge, Key, Unit};
use super::source::{self, CurrentRow, LegacyRow, SuccessorRow};
use crate::entities::{admin_units, reference_data};

const LEGACY_CSV: &str = include_str!("../../fixtures/admin_units/admin_units_legacy.csv");
const CURRENT_CSV: &str = include_str!("../../fixtures/admin_units/admin_units_2025.csv");
const SUCCESSORS_CSV: &str =
    include_str!("../../fixtures/admin_units/admin_units_2025_successors.csv");

/// The version of the shipped units. Raise it whenever the CSVs change (a unit test holds
/// their digest): databases with an older version take the new data at their next start.
/// 1: Quảng Ngãi and Kon Tum; 2: the whole country.
pub const ADMIN_UNITS_VERSION: i32 = 2;
/// The name of the shipped units in `reference_data`.
pub const REFERENCE_NAME: &str = "admin_units";

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

/// When a legacy unit is taken to start. The data carries no dates: Kon Tum counts from its
/// re-establishment (12 August 1991), every other province, Quảng Ngãi included (split from
/// Nghĩa Bình on 1 July 1989), from 1 July 1989 — a floor, not a founding date; districts and
/// communes take their province's.
pub fn legacy_valid_from(province_code: &str) -> NaiveDate {
    match province_code {
        "62" => NaiveDate::from_ymd_opt(1991, 8, 12),
        _ => NaiveDate::from_ymd_opt(1989, 7, 1),
    }
    .unwrap_or_default()
}

pub(crate) fn union_bbox(a: Option<[f64; 4]>, b: Option<[f64; 4]>) -> Option<[f64; 4]> {
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
pub(crate) fn district_key(province: &str, district: &str) -> String {
    let squash = |s: &str| -> String {
        crate::text::fold(s)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect()
    };
    format!("{}_{}_", squash(province), squash(district))
}

/// The units of a legacy file: provinces, districts and communes, each in file order; the
/// provinces' and districts' boxes are the union of their communes'.
pub(crate) fn legacy_units(rows: &[LegacyRow]) -> (Vec<Unit>, Vec<Unit>, Vec<Unit>) {
    let mut provinces: Vec<Unit> = Vec::new();
    let mut districts: Vec<Unit> = Vec::new();
    let mut communes: Vec<Unit> = Vec::with_capacity(rows.len());
    let mut province_at: HashMap<&str, usize> = HashMap::new();
    let mut district_at: HashMap<&str, usize> = HashMap::new();
    for r in rows {
        let valid_from = legacy_valid_from(&r.province_code);
        let unit = |level, code: &str, name: &str, parent: Option<Key>| Unit {
            key: Key::legacy(level, code),
            province: r.province_code.clone(),
            name: name.to_string(),
            parent,
            successor: None,
            valid_from,
            valid_to: Some(legacy_valid_to()),
            lon: None,
            lat: None,
            bbox: None,
            bbox_grows: level != LEVEL_COMMUNE,
        };
        let p = *province_at.entry(&r.province_code).or_insert_with(|| {
            provinces.push(unit(LEVEL_PROVINCE, &r.province_code, &r.province, None));
            provinces.len() - 1
        });
        let d = *district_at.entry(&r.district_code).or_insert_with(|| {
            districts.push(unit(
                LEVEL_DISTRICT,
                &r.district_code,
                &r.district,
                Some(Key::legacy(LEVEL_PROVINCE, &r.province_code)),
            ));
            districts.len() - 1
        });
        if r.ward_code.is_empty() {
            continue; // a district without communes (Lý Sơn, Côn Đảo, …)
        }
        provinces[p].bbox = union_bbox(provinces[p].bbox, r.bbox);
        districts[d].bbox = union_bbox(districts[d].bbox, r.bbox);
        communes.push(Unit {
            lon: r.lon,
            lat: r.lat,
            bbox: r.bbox,
            ..unit(
                LEVEL_COMMUNE,
                &r.ward_code,
                &r.ward,
                Some(Key::legacy(LEVEL_DISTRICT, &r.district_code)),
            )
        });
    }
    (provinces, districts, communes)
}

/// The units of a 2025 file: provinces and communes, each in file order. Boxes are not in
/// the file (the shipped data derives them from the predecessors').
pub(crate) fn current_units(rows: &[CurrentRow]) -> (Vec<Unit>, Vec<Unit>) {
    let mut provinces: Vec<Unit> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut communes = Vec::with_capacity(rows.len());
    for r in rows {
        let unit = |level, code: &str, name: &str, parent| Unit {
            key: Key::current(level, code),
            province: r.province_code.clone(),
            name: name.to_string(),
            parent,
            successor: Some(None),
            valid_from: reform_valid_from(),
            valid_to: None,
            lon: None,
            lat: None,
            bbox: None,
            bbox_grows: true,
        };
        if seen.insert(&r.province_code) {
            provinces.push(unit(LEVEL_PROVINCE, &r.province_code, &r.province, None));
        }
        communes.push(Unit {
            lon: r.lon,
            lat: r.lat,
            ..unit(
                LEVEL_COMMUNE,
                &r.ward_code,
                &r.ward,
                Some(Key::current(LEVEL_PROVINCE, &r.province_code)),
            )
        });
    }
    (provinces, communes)
}

/// Every unit of the three files with its successor, in the order that gives the ids of a
/// fresh database: for each 2025 province in file order, its legacy provinces (by code), itself,
/// its communes, then the legacy districts and communes that went into it. Quảng Ngãi comes
/// first in the files, so its units keep the ids they had when gpmb shipped it alone.
pub(crate) fn build_units(
    legacy: &[LegacyRow],
    current: &[CurrentRow],
    links: &[SuccessorRow],
) -> Vec<Unit> {
    let (l_prov, mut l_dist, mut l_comm) = legacy_units(legacy);
    let (mut c_prov, mut c_comm) = current_units(current);
    let province_of_new: HashMap<&str, &str> = current
        .iter()
        .map(|c| (c.ward_code.as_str(), c.province_code.as_str()))
        .collect();

    let mut successor_of: HashMap<&str, &str> = HashMap::new();
    let mut successor_of_key: HashMap<&str, &str> = HashMap::new();
    // New commune code → old commune codes (every relation), to derive the new boxes.
    let mut predecessors: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in links {
        if !l.legacy_ward_code.is_empty() {
            predecessors
                .entry(&l.ward_code_2025)
                .or_default()
                .push(&l.legacy_ward_code);
        }
        if l.is_successor() {
            if l.legacy_ward_code.is_empty() {
                successor_of_key.insert(&l.legacy_key, &l.ward_code_2025);
            } else {
                successor_of.insert(&l.legacy_ward_code, &l.ward_code_2025);
            }
        }
    }
    let to_new = |code: Option<&&str>| {
        code.filter(|c| province_of_new.contains_key(**c))
            .map(|c| Key::current(LEVEL_COMMUNE, c))
    };

    // The 2025 province each legacy province went into: that of its communes' successors.
    let mut group_of: HashMap<String, String> = HashMap::new();
    for c in &mut l_comm {
        let next = successor_of.get(c.key.code.as_str());
        if let Some(p) = next.and_then(|n| province_of_new.get(n)) {
            group_of
                .entry(c.province.clone())
                .or_insert_with(|| (*p).to_string());
        }
        c.successor = Some(to_new(next));
    }
    let province_names: HashMap<&str, &str> = legacy
        .iter()
        .map(|r| (r.district_code.as_str(), r.province.as_str()))
        .collect();
    for d in &mut l_dist {
        let province = province_names.get(d.key.code.as_str()).copied();
        let key = district_key(province.unwrap_or_default(), &d.name);
        d.successor = Some(to_new(successor_of_key.get(key.as_str())));
    }

    // Boxes of the new units: the union of their predecessors' (exact where old communes went
    // in whole; a little too large where one was divided).
    let legacy_bbox: HashMap<&str, [f64; 4]> = legacy
        .iter()
        .filter_map(|r| r.bbox.map(|b| (r.ward_code.as_str(), b)))
        .collect();
    let mut province_bbox: HashMap<String, Option<[f64; 4]>> = HashMap::new();
    for c in &mut c_comm {
        for old in predecessors
            .get(c.key.code.as_str())
            .map_or(&[][..], Vec::as_slice)
        {
            c.bbox = union_bbox(c.bbox, legacy_bbox.get(old).copied());
        }
        let b = province_bbox.entry(c.province.clone()).or_default();
        *b = union_bbox(*b, c.bbox);
    }
    for p in &mut c_prov {
        p.bbox = province_bbox.get(&p.province).copied().flatten();
    }

    in_id_order(l_prov, c_prov, c_comm, l_dist, l_comm, &group_of)
}

/// Grouped by 2025 province, in file order; legacy units of a province that went nowhere
/// (none in the shipped data) come last.
fn in_id_order(
    l_prov: Vec<Unit>,
    c_prov: Vec<Unit>,
    c_comm: Vec<Unit>,
    l_dist: Vec<Unit>,
    l_comm: Vec<Unit>,
    group_of: &HashMap<String, String>,
) -> Vec<Unit> {
    let mut by_group: BTreeMap<usize, Vec<Unit>> = BTreeMap::new();
    let order: HashMap<String, usize> = c_prov
        .iter()
        .enumerate()
        .map(|(i, p)| (p.province.clone(), i))
        .collect();
    let rest = order.len();
    let group = |province: &str| {
        group_of
            .get(province)
            .and_then(|g| order.get(g))
            .copied()
            .unwrap_or(rest)
    };
    let mut l_prov_sorted = l_prov;
    l_prov_sorted.sort_by(|a, b| a.key.code.cmp(&b.key.code));
    for mut p in l_prov_sorted {
        let g = group(&p.province);
        p.successor = Some(
            group_of
                .get(&p.province)
                .map(|n| Key::current(LEVEL_PROVINCE, n)),
        );
        by_group.entry(g).or_default().push(p);
    }
    for p in c_prov {
        let g = order.get(&p.province).copied().unwrap_or(rest);
        by_group.entry(g).or_default().push(p);
    }
    for c in c_comm {
        let g = order.get(&c.province).copied().unwrap_or(rest);
        by_group.entry(g).or_default().push(c);
    }
    for d in l_dist.into_iter().chain(l_comm) {
        by_group.entry(group(&d.province)).or_default().push(d);
    }
    by_group.into_values().flatten().collect()
}

/// The shipped units, read once per process.
pub(crate) fn shipped_units() -> Result<&'static [Unit], DbErr> {
    static UNITS: OnceLock<Result<Vec<Unit>, String>> = OnceLock::new();
    let built = UNITS.get_or_init(|| {
        let bad = |what: &str, e: Vec<source::RowError>| {
            format!(
                "admin unit reference data ({what}): {}",
                e.first().map(ToString::to_string).unwrap_or_default()
            )
        };
        let source::File::Legacy(legacy) =
            source::read(LEGACY_CSV).map_err(|e| bad("legacy", e))?
        else {
            return Err("admin_units_legacy.csv is not in the legacy format".into());
        };
        let source::File::Current(current) =
            source::read(CURRENT_CSV).map_err(|e| bad("2025", e))?
        else {
            return Err("admin_units_2025.csv is not in the 2025 format".into());
        };
        let source::File::Successors(links) =
            source::read(SUCCESSORS_CSV).map_err(|e| bad("successors", e))?
        else {
            return Err("admin_units_2025_successors.csv is not the successors format".into());
        };
        Ok(build_units(&legacy, &current, &links))
    });
    built.as_deref().map_err(|e| DbErr::Custom(e.clone()))
}

/// Loads the shipped administrative units into an empty table, or brings a table loaded by an
/// older binary up to [`ADMIN_UNITS_VERSION`] (a table without a version is version 1). One
/// transaction; otherwise nothing to do beyond one read.
#[tracing::instrument(skip_all)]
pub async fn seed_reference_data(db: &DatabaseConnection) -> Result<(), DbErr> {
    let stored = reference_data::Entity::find()
        .filter(reference_data::Column::Name.eq(REFERENCE_NAME))
        .one(db)
        .await?;
    if stored
        .as_ref()
        .is_some_and(|s| s.version >= ADMIN_UNITS_VERSION)
    {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let units = shipped_units()?;
    let read_ms = started.elapsed().as_millis();
    let txn = db.begin().await?;
    let counts = merge(&txn, units).await?;
    let now = crate::db::utc(chrono::Utc::now().fixed_offset());
    match stored {
        Some(s) => {
            let mut row: reference_data::ActiveModel = s.into();
            row.version = Set(ADMIN_UNITS_VERSION);
            row.loaded_at = Set(now);
            row.update(&txn).await?;
        }
        None => {
            reference_data::ActiveModel {
                name: Set(REFERENCE_NAME.to_string()),
                version: Set(ADMIN_UNITS_VERSION),
                loaded_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    tracing::info!(
        inserted = counts.inserted,
        updated = counts.updated,
        unchanged = counts.unchanged,
        read_ms,
        ms = started.elapsed().as_millis(),
        version = ADMIN_UNITS_VERSION,
        "administrative units loaded"
    );
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
    use sha2::Digest;

    use super::*;

    #[test]
    fn the_whole_country_with_unique_keys_and_resolved_successors() {
        let units = shipped_units().expect("reference data parses");
        let mut keys: Vec<&Key> = units.iter().map(|u| &u.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(
            keys.len(),
            units.len(),
            "one unit per level, code and period"
        );
        let count = |level: &str, current: bool| {
            units
                .iter()
                .filter(|u| u.key.level == level && u.key.current == current)
                .count()
        };
        assert_eq!(count(LEVEL_PROVINCE, false), 63);
        assert_eq!(count(LEVEL_PROVINCE, true), 34);
        assert_eq!(count(LEVEL_DISTRICT, false), 696);
        assert_eq!(count(LEVEL_DISTRICT, true), 0);
        assert_eq!(count(LEVEL_COMMUNE, false), 10_035);
        assert_eq!(count(LEVEL_COMMUNE, true), 3_321);
        let by_key: HashMap<&Key, &Unit> = units.iter().map(|u| (&u.key, u)).collect();
        // Every legacy commune and province has a successor among the 2025 units, and every
        // parent exists.
        for u in units {
            if let Some(p) = &u.parent {
                assert!(by_key.contains_key(p), "{:?} has no parent {p:?}", u.key);
            }
            if !u.key.current && u.key.level != LEVEL_DISTRICT {
                let s = u.successor.clone().flatten().expect("successor");
                assert!(s.current && by_key.contains_key(&s), "{:?}", u.key);
            }
        }
        // Codes collide across periods: 21061 is Bình Trị before, Vạn Tường after.
        let tri = by_key[&Key::legacy(LEVEL_COMMUNE, "21061")];
        let van_tuong = by_key[&Key::current(LEVEL_COMMUNE, "21061")];
        assert_eq!(tri.name, "Xã Bình Trị");
        assert_eq!(van_tuong.name, "Xã Vạn Tường");
        assert_eq!(tri.successor, Some(Some(van_tuong.key.clone())));
        assert!(van_tuong.bbox.is_some());
        // The divided commune (Trà Bùi) goes to its default successor.
        assert_eq!(
            by_key[&Key::legacy(LEVEL_COMMUNE, "21142")].successor,
            Some(Some(Key::current(LEVEL_COMMUNE, "21136")))
        );
        // Lý Sơn district went whole into the special zone; Hà Nội's Phúc Xá is there too.
        assert_eq!(
            by_key[&Key::legacy(LEVEL_DISTRICT, "536")].successor,
            Some(Some(Key::current(LEVEL_COMMUNE, "21548")))
        );
        let phuc_xa = by_key[&Key::legacy(LEVEL_COMMUNE, "00001")];
        assert_eq!(phuc_xa.name, "Phường Phúc Xá");
        assert_eq!(phuc_xa.parent, Some(Key::legacy(LEVEL_DISTRICT, "001")));
        // The five districts without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo)
        // found their successors by key.
        let island_districts = units
            .iter()
            .filter(|u| u.key.level == LEVEL_DISTRICT && u.successor.clone().flatten().is_some())
            .count();
        assert_eq!(island_districts, 5);
        // Kon Tum went into Quảng Ngãi.
        assert_eq!(
            by_key[&Key::legacy(LEVEL_PROVINCE, "62")].successor,
            Some(Some(Key::current(LEVEL_PROVINCE, "51")))
        );
    }

    /// The ids Quảng Ngãi and Kon Tum had when they shipped alone: the two legacy provinces,
    /// the new Quảng Ngãi, its 96 communes, then the 14+10 districts and their communes.
    #[test]
    fn quang_ngai_and_kon_tum_come_first_in_their_old_order() {
        let units = shipped_units().expect("reference data parses");
        let first: Vec<(&str, &str, bool)> = units[..4]
            .iter()
            .map(|u| (u.key.level, u.key.code.as_str(), u.key.current))
            .collect();
        assert_eq!(
            first,
            [
                (LEVEL_PROVINCE, "51", false),
                (LEVEL_PROVINCE, "62", false),
                (LEVEL_PROVINCE, "51", true),
                (LEVEL_COMMUNE, "21025", true),
            ]
        );
        // 3 provinces + 96 communes + districts + 272 communes of the old two provinces.
        let block = units
            .iter()
            .position(|u| u.province != "51" && u.province != "62")
            .expect("other provinces follow");
        let districts = units[..block]
            .iter()
            .filter(|u| u.key.level == LEVEL_DISTRICT)
            .count();
        assert_eq!(block, 3 + 96 + districts + 272);
        assert_eq!(units[3 + 96].key, Key::legacy(LEVEL_DISTRICT, "522"));
        assert_eq!(
            units[3 + 96 + districts].key,
            Key::legacy(LEVEL_COMMUNE, "21010")
        );
    }

    /// Changing the shipped CSVs without raising [`ADMIN_UNITS_VERSION`] would leave existing
    /// databases on the old data: update both together.
    #[test]
    fn the_version_follows_the_data() {
        let mut h = sha2::Sha256::new();
        for text in [LEGACY_CSV, CURRENT_CSV, SUCCESSORS_CSV] {
            h.update(text.as_bytes());
        }
        let digest = format!("{:x}", h.finalize());
        assert_eq!(
            (ADMIN_UNITS_VERSION, &digest[..16]),
            (2, "bc94ab1ff6b8a8b9"),
            "the CSVs changed: raise ADMIN_UNITS_VERSION and put the new digest here"
        );
    }
}
