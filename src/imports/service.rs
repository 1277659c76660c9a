//! The two imports end to end, for the CLI and the upload handlers alike: read, check,
//! write in one transaction (or roll back), report.
use std::sync::Arc;

use super::dto::ImportReport;
use super::{households, parcels};
use crate::auth::Principal;
use crate::db::Db;
use crate::entities::projects;
use crate::error::{AppError, AppResult};

/// Progress callback shared with the worker threads: (stage, done, total).
pub type SharedProgress = Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

pub fn no_progress() -> SharedProgress {
    Arc::new(|_: &str, _: u64, _: u64| {})
}

/// Imports a parcel file (GeoJSON or zipped Shapefile). Stores everything or nothing: the
/// report's `committed` says which.
#[allow(clippy::too_many_arguments)]
pub async fn import_parcels(
    db: &Db,
    who: &Principal,
    project: &projects::Model,
    bytes: Vec<u8>,
    file_name: &str,
    crs_flag: Option<String>,
    dry_run: bool,
    progress: SharedProgress,
) -> AppResult<ImportReport> {
    let name = file_name.to_string();
    let p = progress.clone();
    // Parsing, reprojection and geometry checks are CPU work: off the async workers.
    let (crs, prepared) = tokio::task::spawn_blocking(move || -> AppResult<_> {
        let file = parcels::read_file(&bytes, &name, crs_flag.as_deref())?;
        let prepared = parcels::prepare(&file, &*p);
        let crs = file.crs;
        // Freeing 100,000 JSON trees takes a while: not on the import's path.
        std::thread::spawn(move || drop(file));
        Ok((crs, prepared))
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("parcel check failed: {e}")))??;
    let tx = db.write().await?;
    crate::projects::service::ensure_open(&*tx, project.id).await?;
    let mut report = parcels::import(
        &*tx, who, project, file_name, crs, prepared, dry_run, &*progress,
    )
    .await?;
    if report.errors.is_empty() && !dry_run {
        tx.commit().await?;
        report.committed = true;
    }
    Ok(report)
}

/// Imports a household register (CSV or XLSX). Stores everything or nothing.
pub async fn import_households(
    db: &Db,
    who: &Principal,
    project: &projects::Model,
    bytes: Vec<u8>,
    file_name: &str,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let name = file_name.to_string();
    let rows = tokio::task::spawn_blocking(move || households::read_rows(&bytes, &name))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("register read failed: {e}")))??;
    let tx = db.write().await?;
    crate::projects::service::ensure_open(&*tx, project.id).await?;
    let mut report = households::import(&*tx, who, project, file_name, rows, dry_run).await?;
    if report.errors.is_empty() && !dry_run {
        tx.commit().await?;
        report.committed = true;
    }
    Ok(report)
}

/// The 422 answer for a refused file: the whole report in `error.details`.
pub fn refused(report: ImportReport) -> AppError {
    let message = format!(
        "{} problem(s) in {} of {}; nothing was stored. Fix them and import the file again.",
        report.errors.len(),
        if report.kind == "parcels" {
            "the features"
        } else {
            "the rows"
        },
        report.file
    );
    AppError::Unprocessable {
        code: "invalid_import",
        message,
        details: serde_json::to_value(&report).ok(),
    }
}
