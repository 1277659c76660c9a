//! Parcel import (GeoJSON, zipped Shapefile, VN-2000) and household import (CSV, XLSX) (issue 7).
pub mod cli;
pub mod dates;
pub mod dto;
pub mod handlers;
pub mod households;
pub mod limits;
pub mod parcels;
pub mod service;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Largest upload accepted: cadastral files run to tens of megabytes.
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

/// A cell or attribute as stored: trimmed, without U+0000. DBF writers pad text with NULs and a
/// damaged file can carry them; they mean nothing and PostgreSQL cannot store them.
pub(crate) fn cell_text(s: &str) -> String {
    let trimmed = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if trimmed.contains('\0') {
        trimmed.replace('\0', "")
    } else {
        trimmed.to_string()
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::parcels))
        .routes(routes!(handlers::households))
        .routes(routes!(handlers::household_template))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}

#[cfg(test)]
pub(crate) mod hostile;

/// The three readers on hostile files (issue 16 item 3): whatever the bytes, a reader answers
/// with rows or a 4xx error — never a panic, an abort, or a 500. The HTTP suite
/// (`tests/api/fuzz_imports.rs`) sends the same kind of files through the whole import.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::hostile::{self, HOUSEHOLD_SEEDS, PARCEL_SEEDS};
    use super::{households, limits, parcels};

    #[test]
    fn cells_lose_their_nuls_and_padding() {
        assert_eq!(super::cell_text(" Nguyễn\0\0 "), "Nguyễn");
        assert_eq!(super::cell_text("\0Lê\0Văn\0"), "LêVăn");
        assert_eq!(super::cell_text("  "), "");
    }
    use crate::error::AppError;

    fn refused_as_4xx(e: &AppError) -> Result<(), TestCaseError> {
        let status = e.status_code();
        prop_assert!(status.is_client_error(), "{status}: {e}");
        Ok(())
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: hostile::cases(256),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn parcel_files_never_panic(
            seed in select(&PARCEL_SEEDS[..]),
            changes in hostile::mutations(),
            name in select(&["p.geojson", "p.zip", "p.json", ""][..]),
            named in any::<bool>(),
        ) {
            let bytes = hostile::apply(seed.bytes, &changes);
            let name = if named { name } else { seed.name };
            match parcels::read_file(&bytes, name, None) {
                Ok(file) => {
                    for checked in parcels::prepare(&file, &|_, _, _| {}) {
                        let _ = checked;
                    }
                }
                Err(e) => refused_as_4xx(&e)?,
            }
        }

        #[test]
        fn household_files_never_panic(
            seed in select(&HOUSEHOLD_SEEDS[..]),
            changes in hostile::mutations(),
            named in any::<bool>(),
        ) {
            let bytes = hostile::apply(seed.bytes, &changes);
            let name = if named { "h.xlsx" } else { seed.name };
            match households::read_rows(&bytes, name) {
                Ok(rows) => prop_assert!(rows.len() <= limits::MAX_SHEET_ROWS as usize),
                Err(e) => refused_as_4xx(&e)?,
            }
        }

        #[test]
        fn workbooks_with_cells_anywhere_are_read_or_refused(cells in hostile::workbook_cells()) {
            let bytes = hostile::workbook(&cells);
            match households::read_rows(&bytes, "h.xlsx") {
                Ok(rows) => prop_assert!(rows.len() <= limits::MAX_SHEET_ROWS as usize),
                Err(e) => refused_as_4xx(&e)?,
            }
        }
    }
}
