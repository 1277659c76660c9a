//! Bringing administrative units into the table: the shipped data (at start, see `seed`) and
//! `gpmb admin-units import FILE` (one of the three CSV formats of `fixtures/admin_units/`).
//! Both add what is new and update what changed, matched by level, code and period, so ids
//! never change and a second run changes nothing; nothing is deleted (households, parcels and
//! working groups point at units).
use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use serde::Serialize;

use super::seed::{
    current_units, district_key, legacy_units, union_bbox, LEVEL_COMMUNE, LEVEL_DISTRICT,
    LEVEL_PROVINCE,
};
use super::source::{self, RowError, SuccessorRow};
use crate::entities::admin_units;

/// What tells two units apart: level, code and period (before or from 1 July 2025).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub level: &'static str,
    pub code: String,
    /// In force now (from 1 July 2025), not a pre-reform unit.
    pub current: bool,
}

impl Key {
    pub fn legacy(level: &'static str, code: &str) -> Key {
        Key {
            level,
            code: code.to_string(),
            current: false,
        }
    }

    pub fn current(level: &'static str, code: &str) -> Key {
        Key {
            level,
            code: code.to_string(),
            current: true,
        }
    }

    fn of(m: &admin_units::Model) -> Option<Key> {
        let level = [LEVEL_PROVINCE, LEVEL_DISTRICT, LEVEL_COMMUNE]
            .into_iter()
            .find(|l| *l == m.level)?;
        Some(Key {
            level,
            code: m.code.clone(),
            current: m.valid_to.is_none(),
        })
    }
}

/// A unit as a file describes it; references to other units go by key.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub key: Key,
    /// The code of the province the unit lies in (its own, for a province).
    pub province: String,
    pub name: String,
    pub parent: Option<Key>,
    /// `None`: the file says nothing, the stored successor stays; `Some(None)`: none.
    pub successor: Option<Option<Key>>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// Missing coordinates keep the stored ones.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub bbox: Option<[f64; 4]>,
    /// The box is the union of smaller units' and may be partial in a file: it widens the
    /// stored box, never narrows it.
    pub bbox_grows: bool,
}

/// What an import or a load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn bbox_of(m: &admin_units::Model) -> Option<[f64; 4]> {
    match (m.min_lon, m.min_lat, m.max_lon, m.max_lat) {
        (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
        _ => None,
    }
}

/// Rows per INSERT: 14 values each, well under SQLite's 32,766 bound values and
/// PostgreSQL's 65,535.
const ROWS_PER_INSERT: usize = 1_000;

fn insert_statement(
    rows: &[admin_units::Model],
) -> Result<sea_orm::sea_query::InsertStatement, DbErr> {
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
            r.level.clone().into(),
            r.parent_id.into(),
            r.valid_from.into(),
            r.valid_to.into(),
            r.successor_id.into(),
            r.lon.into(),
            r.lat.into(),
            r.min_lon.into(),
            r.min_lat.into(),
            r.max_lon.into(),
            r.max_lat.into(),
        ];
        stmt.values(values)
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    Ok(stmt)
}

/// Adds the units not in the table and updates those that differ, in the caller's
/// transaction. New units take ids after the largest, in the order given.
pub(crate) async fn merge(conn: &impl ConnectionTrait, units: &[Unit]) -> Result<Counts, DbErr> {
    let existing = admin_units::Entity::find()
        .order_by_asc(admin_units::Column::Id)
        .all(conn)
        .await?;
    let mut next_id = existing.iter().map(|m| m.id).max().unwrap_or(0) + 1;
    let mut stored: HashMap<Key, admin_units::Model> = HashMap::with_capacity(existing.len());
    for m in existing {
        if let Some(k) = Key::of(&m) {
            stored.entry(k).or_insert(m);
        }
    }
    let mut ids: HashMap<&Key, i32> = HashMap::with_capacity(units.len());
    for u in units {
        let id = stored.get(&u.key).map_or_else(
            || {
                next_id += 1;
                next_id - 1
            },
            |m| m.id,
        );
        ids.insert(&u.key, id);
    }
    let resolve = |k: &Key| -> Result<i32, DbErr> {
        ids.get(k)
            .copied()
            .or_else(|| stored.get(k).map(|m| m.id))
            .ok_or_else(|| DbErr::Custom(format!("administrative unit {k:?} is unknown")))
    };
    let mut counts = Counts::default();
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for u in units {
        let old = stored.get(&u.key);
        let parent_id = u.parent.as_ref().map(resolve).transpose()?;
        let successor_id = match &u.successor {
            None => old.and_then(|m| m.successor_id),
            Some(s) => s.as_ref().map(resolve).transpose()?,
        };
        let old_bbox = old.and_then(bbox_of);
        let bbox = if u.bbox_grows {
            union_bbox(old_bbox, u.bbox)
        } else {
            u.bbox.or(old_bbox)
        };
        let model = admin_units::Model {
            id: ids.get(&u.key).copied().unwrap_or_default(),
            code: u.key.code.clone(),
            name: u.name.clone(),
            level: u.key.level.to_string(),
            parent_id,
            valid_from: u.valid_from,
            valid_to: u.valid_to,
            successor_id,
            lon: u.lon.or(old.and_then(|m| m.lon)),
            lat: u.lat.or(old.and_then(|m| m.lat)),
            min_lon: bbox.map(|b| b[0]),
            min_lat: bbox.map(|b| b[1]),
            max_lon: bbox.map(|b| b[2]),
            max_lat: bbox.map(|b| b[3]),
        };
        match old {
            None => inserts.push(model),
            Some(m) if *m == model => counts.unchanged += 1,
            Some(_) => updates.push(model),
        }
    }
    counts.inserted = inserts.len();
    counts.updated = updates.len();
    let backend = conn.get_database_backend();
    for chunk in inserts.chunks(ROWS_PER_INSERT) {
        conn.execute(backend.build(&insert_statement(chunk)?))
            .await?;
    }
    for m in updates {
        m.into_active_model().reset_all().update(conn).await?;
    }
    if counts.inserted > 0 {
        crate::db::dialect::reset_id_sequence(conn, admin_units::Entity).await?;
    }
    Ok(counts)
}

/// Sets the successor of each old unit a successors file names (`whole` and `part_default`
/// rows; `part` rows are checked only). Every code must be known.
async fn apply_successors(
    conn: &impl ConnectionTrait,
    rows: &[SuccessorRow],
) -> anyhow::Result<Result<Counts, Vec<RowError>>> {
    let all = admin_units::Entity::find().all(conn).await?;
    let legacy_communes: HashMap<&str, &admin_units::Model> = all
        .iter()
        .filter(|u| u.level == LEVEL_COMMUNE && u.valid_to.is_some())
        .map(|u| (u.code.as_str(), u))
        .collect();
    let current_communes: HashMap<&str, i32> = all
        .iter()
        .filter(|u| u.level == LEVEL_COMMUNE && u.valid_to.is_none())
        .map(|u| (u.code.as_str(), u.id))
        .collect();
    let by_id: HashMap<i32, &admin_units::Model> = all.iter().map(|u| (u.id, u)).collect();
    let legacy_districts: HashMap<String, &admin_units::Model> = all
        .iter()
        .filter(|u| u.level == LEVEL_DISTRICT && u.valid_to.is_some())
        .filter_map(|d| {
            let province = by_id.get(&d.parent_id?)?;
            Some((district_key(&province.name, &d.name), d))
        })
        .collect();
    let mut errors = Vec::new();
    let mut wanted: HashMap<i32, (i32, u64)> = HashMap::new();
    let mut counts = Counts::default();
    for r in rows {
        let error = |column: &str, message: String| RowError {
            line: r.line,
            column: column.to_string(),
            message,
        };
        let old = if r.legacy_ward_code.is_empty() {
            legacy_districts.get(&r.legacy_key).copied().or_else(|| {
                errors.push(error(
                    "legacy_key",
                    format!("no district before 2025 has the key `{}`", r.legacy_key),
                ));
                None
            })
        } else {
            legacy_communes
                .get(r.legacy_ward_code.as_str())
                .copied()
                .or_else(|| {
                    errors.push(error(
                        "legacy_ward_code",
                        format!("no commune before 2025 has the code {}", r.legacy_ward_code),
                    ));
                    None
                })
        };
        let new = current_communes
            .get(r.ward_code_2025.as_str())
            .copied()
            .or_else(|| {
                errors.push(error(
                    "ward_code_2025",
                    format!("no commune from 2025 has the code {}", r.ward_code_2025),
                ));
                None
            });
        let (Some(old), Some(new)) = (old, new) else {
            continue;
        };
        if !r.is_successor() {
            counts.unchanged += 1;
            continue;
        }
        if let Some((_, line)) = wanted.insert(old.id, (new, r.line)) {
            errors.push(error(
                "relation",
                format!("{} already has its successor on line {line}", old.code),
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut ordered: Vec<(i32, i32)> = wanted.into_iter().map(|(o, (n, _))| (o, n)).collect();
    ordered.sort_unstable();
    for (old, new) in ordered {
        let Some(m) = by_id.get(&old) else { continue };
        if m.successor_id == Some(new) {
            counts.unchanged += 1;
            continue;
        }
        admin_units::Entity::update_many()
            .col_expr(admin_units::Column::SuccessorId, new.into())
            .filter(admin_units::Column::Id.eq(old))
            .exec(conn)
            .await?;
        counts.updated += 1;
    }
    Ok(Ok(counts))
}

/// What `gpmb admin-units import` reports.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// `legacy`, `2025` or `successors`.
    pub format: &'static str,
    pub rows: usize,
    #[serde(flatten)]
    pub counts: Counts,
    pub dry_run: bool,
}

/// Reads FILE (at most 16 MB and 50,000 rows), refuses it whole with every row error (line
/// and column), or merges it in one transaction.
pub async fn import_file(
    db: &crate::db::Db,
    path: &Path,
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > source::MAX_BYTES {
        bail!(
            "{} is {size} bytes; an admin-units file may hold at most {} bytes",
            path.display(),
            source::MAX_BYTES
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {}); save the CSV as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let refuse = |errors: Vec<RowError>| -> anyhow::Error {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "{} refused, nothing imported ({} problem(s)):\n{}",
            path.display(),
            errors.len(),
            lines.join("\n")
        )
    };
    let file = source::read(&text).map_err(refuse)?;
    let txn = db.write().await?;
    let (format, rows, counts) = match file {
        source::File::Legacy(rows) => {
            let (p, d, c) = legacy_units(&rows);
            let units: Vec<Unit> = p.into_iter().chain(d).chain(c).collect();
            ("legacy", rows.len(), merge(&*txn, &units).await?)
        }
        source::File::Current(rows) => {
            let (p, c) = current_units(&rows);
            let units: Vec<Unit> = p.into_iter().chain(c).collect();
            ("2025", rows.len(), merge(&*txn, &units).await?)
        }
        source::File::Successors(rows) => {
            let counts = apply_successors(&*txn, &rows).await?.map_err(refuse)?;
            ("successors", rows.len(), counts)
        }
    };
    if dry_run {
        drop(txn);
    } else {
        txn.commit().await?;
    }
    Ok(ImportReport {
        format,
        rows,
        counts,
        dry_run,
    })
}

/// `gpmb admin-units …`.
#[derive(clap::Subcommand, Debug)]
pub enum AdminUnitsCommand {
    /// Add or update administrative units from a CSV in one of the three formats of
    /// fixtures/admin_units/ (units before 1 July 2025, units from it, successors); units are
    /// matched by level, code and period, so a second run changes nothing.
    Import {
        file: std::path::PathBuf,
        /// Check and count only; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(
    settings: &crate::config::Settings,
    command: AdminUnitsCommand,
) -> anyhow::Result<()> {
    let AdminUnitsCommand::Import {
        file,
        dry_run,
        json,
    } = command;
    let db = crate::db::open(&settings.database_url, settings.sqlite_sync).await?;
    let report = import_file(&db, &file, dry_run).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} ({} format, {} rows): {} inserted, {} updated, {} unchanged{}",
            file.display(),
            report.format,
            report.rows,
            report.counts.inserted,
            report.counts.updated,
            report.counts.unchanged,
            if dry_run {
                " (dry run: nothing stored)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
