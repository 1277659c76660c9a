//! Bounds on what an uploaded file may make the server do. Files from outside are hostile: a
//! 1 MB zip can hold 1 GiB of zeros, and a 1.6 KB workbook can name cell XFD1048576 so that a
//! reader reserving the used range asks for half a terabyte. Everything here is checked before
//! the memory is taken, and answered with a 422 that says what to fix.
use std::io::{Read, Seek};

use crate::error::{AppError, AppResult};

/// Most bytes all entries of an uploaded zip (a zipped Shapefile, an XLSX) may unpack to.
pub const MAX_UNZIPPED: u64 = 512 * 1024 * 1024;
/// Highest compression ratio accepted for an entry bigger than [`RATIO_FREE`]: real Shapefiles
/// and workbooks compress 2–20×; a bomb compresses 1000×.
pub const MAX_RATIO: u64 = 100;
/// Entries up to this size may compress as well as they like (an empty sheet compresses 50×).
pub const RATIO_FREE: u64 = 1024 * 1024;
/// Rows and columns a household register may have.
pub const MAX_SHEET_ROWS: u32 = 100_000;
pub const MAX_SHEET_COLUMNS: u32 = 200;

/// Checks the sizes a zip declares for its entries, before anything is unpacked.
pub fn check_zip<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    code: &'static str,
) -> AppResult<()> {
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| AppError::invalid(code, format!("the zip cannot be read: {e}")))?;
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        if size > RATIO_FREE && size / packed > MAX_RATIO {
            return Err(too_big(
                code,
                format!(
                    "{} unpacks {}× its packed size ({} MB); no real file compresses like that",
                    entry.name().unwrap_or_default(),
                    size / packed,
                    size / 1_000_000
                ),
            ));
        }
        total = total.saturating_add(size);
        if total > MAX_UNZIPPED {
            return Err(too_big(
                code,
                format!(
                    "the zip unpacks to more than {} MB; split the file",
                    MAX_UNZIPPED / 1_000_000
                ),
            ));
        }
    }
    Ok(())
}

/// Reads one entry, never more than it declared (a zip can lie about its sizes).
pub fn read_entry<R: Read>(
    entry: &mut zip::read::ZipFile<'_, R>,
    code: &'static str,
) -> AppResult<Vec<u8>> {
    let declared = entry.size();
    let name = entry.name().unwrap_or_default().to_string();
    // Capacity from the checked declaration; the read itself is capped one byte beyond it.
    let mut buf = Vec::with_capacity(usize::try_from(declared.min(MAX_UNZIPPED)).unwrap_or(0));
    entry
        .take(declared.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| AppError::invalid(code, format!("cannot read {name} in the zip: {e}")))?;
    if buf.len() as u64 > declared {
        return Err(too_big(
            code,
            format!("{name} unpacks to more than the zip declares; the file is damaged"),
        ));
    }
    Ok(buf)
}

fn too_big(code: &'static str, message: String) -> AppError {
    AppError::Unprocessable {
        code,
        message,
        details: Some(serde_json::json!({ "reason": "too_large" })),
    }
}

/// The cells of a worksheet, row by row, read as a stream: a cell beyond the row or column
/// caps stops the read with a 422 before anything is allocated for it.
pub fn check_cell(row: u32, column: u32) -> AppResult<()> {
    check_cell_within(
        row,
        column,
        MAX_SHEET_ROWS,
        MAX_SHEET_COLUMNS,
        "a household register",
    )
}

/// [`check_cell`] with the caps of another kind of sheet (`what` names it in the message).
pub fn check_cell_within(
    row: u32,
    column: u32,
    max_rows: u32,
    max_columns: u32,
    what: &str,
) -> AppResult<()> {
    if row >= max_rows || column >= max_columns {
        return Err(AppError::Unprocessable {
            code: "sheet_too_large",
            message: format!(
                "the worksheet has a cell at row {}, column {}; {what} may have at most {max_rows} rows and {max_columns} columns (delete the stray cells far below or to the right)",
                row + 1,
                column + 1
            ),
            details: Some(serde_json::json!({
                "row": row + 1, "column": column + 1,
                "max_rows": max_rows, "max_columns": max_columns,
            })),
        });
    }
    Ok(())
}
