//! A whole project's parcels read from the SQLite file through SQLite's own API (rusqlite), for
//! the tile index's load. sqlx copies every value and hands every row to another thread, which
//! made a million parcels take 10 s; here each row's texts are borrowed where SQLite holds them
//! and packed at once. One statement: one consistent snapshot of the project (WAL).
use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};

use super::store::RawParcel;

/// The columns `index::LOAD_PAGE_SQL` reads, for the whole project at once.
const SQL: &str = "SELECT p.id, p.status, p.land_use, p.map_sheet, p.parcel_no, p.area_m2, \
     u.code, p.version, p.geometry \
     FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
     WHERE +p.project_id = ?1 AND p.retired_at IS NULL ORDER BY p.id";

/// Calls `each` with every current parcel of the project, in id order.
pub fn read(
    file: &Path,
    project_id: i32,
    mut each: impl FnMut(&RawParcel<&str>),
) -> rusqlite::Result<()> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let mut stmt = conn.prepare(SQL)?;
    let mut rows = stmt.query([project_id])?;
    while let Some(row) = rows.next()? {
        each(&RawParcel {
            id: row.get(0)?,
            status: text(row, 1)?,
            land_use: text(row, 2)?,
            map_sheet: text(row, 3)?,
            parcel_no: text(row, 4)?,
            area_m2: row.get::<_, Option<f64>>(5)?.unwrap_or(0.0),
            commune: text(row, 6)?,
            version: row.get(7)?,
            geometry: text(row, 8)?,
        });
    }
    Ok(())
}

/// A text column, borrowed; NULL (or a blob) reads as empty, as the map shows it.
fn text<'r>(row: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    Ok(match row.get_ref(i)? {
        ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or(""),
        _ => "",
    })
}
