//! `gpmb import parcels|households …`.
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use super::dto::ImportReport;
use super::service;
use crate::auth::Principal;
use crate::config::Settings;
use crate::db;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub what: ImportCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// Import parcels from a GeoJSON file or a zipped Shapefile (.zip with .shp/.shx/.dbf/.prj).
    Parcels {
        file: PathBuf,
        /// Project code, e.g. HPDQ2.
        #[arg(long)]
        project: String,
        /// CRS when the file does not name one: EPSG:4326, EPSG:5898 (VN-2000 TM-3 108°),
        /// EPSG:9216 (107°30') or vn2000:<central meridian>.
        #[arg(long)]
        crs: Option<String>,
        /// Check and report only; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import households from a commune register (.csv or .xlsx).
    Households {
        file: PathBuf,
        #[arg(long)]
        project: String,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

#[tracing::instrument(skip_all)]
pub async fn run(settings: &Settings, args: ImportArgs) -> anyhow::Result<()> {
    let db = db::open(&settings.database_url, settings.sqlite_sync).await?;
    let who = Principal::cli();
    let (report, json) = match args.what {
        ImportCommand::Parcels {
            file,
            project,
            crs,
            dry_run,
            json,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let project = find_project(&db, &project).await?;
            let progress: service::SharedProgress = if json {
                service::no_progress()
            } else {
                Arc::new(crate::cli::progress_bar())
            };
            let report = service::import_parcels(
                &db,
                &who,
                &project,
                bytes,
                &file_name(&file),
                crs,
                dry_run,
                progress,
            )
            .await
            .map_err(describe)?;
            (report, json)
        }
        ImportCommand::Households {
            file,
            project,
            dry_run,
            json,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let project = find_project(&db, &project).await?;
            let report =
                service::import_households(&db, &who, &project, bytes, &file_name(&file), dry_run)
                    .await
                    .map_err(describe)?;
            (report, json)
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if !report.errors.is_empty() {
        anyhow::bail!("{} problem(s); nothing was imported", report.errors.len());
    }
    Ok(())
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    )
}

async fn find_project(db: &db::Db, code: &str) -> anyhow::Result<crate::entities::projects::Model> {
    crate::projects::service::by_code(&db.conn, code)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("there is no project {code}; see `gpmb demo` or create it first")
        })
}

/// File-level problems (unreadable file, unknown CRS…) as plain messages.
fn describe(e: crate::error::AppError) -> anyhow::Error {
    match e {
        crate::error::AppError::Unprocessable { code, message, .. } => {
            anyhow::anyhow!("{message} ({code})")
        }
        crate::error::AppError::BadRequest(m) => anyhow::anyhow!(m),
        other => anyhow::Error::new(other),
    }
}

fn print_report(r: &ImportReport) {
    let crs = r
        .source_crs
        .as_deref()
        .map(|c| format!(", CRS {c}"))
        .unwrap_or_default();
    println!(
        "{} {} into project {}{crs}: {} read in {:.2} s",
        r.kind, r.file, r.project, r.total, r.seconds
    );
    for (label, e) in r
        .errors
        .iter()
        .map(|e| ("", e))
        .chain(r.warnings.iter().map(|w| ("warning: ", w)))
    {
        let at = match (e.index, e.row) {
            (Some(i), _) => format!("feature {i}"),
            (_, Some(row)) => format!("row {row}"),
            _ => String::new(),
        };
        let key = e
            .key
            .as_deref()
            .map(|k| format!(" [{k}]"))
            .unwrap_or_default();
        let col = e
            .column
            .as_deref()
            .map(|c| format!(" column \"{c}\""))
            .unwrap_or_default();
        println!("  {label}{at}{key}{col}: {} ({})", e.reason, e.code);
    }
    for l in &r.lineage {
        println!("  lineage: {} ← {} ({})", l.parcel, l.parent, l.kind);
    }
    let verb = if r.committed {
        "imported"
    } else if r.errors.is_empty() {
        "dry run, nothing stored; would import"
    } else {
        "refused, nothing stored; checked"
    };
    println!(
        "{verb}: {} inserted, {} updated, {} unchanged, {} lineage link(s), {} error(s)",
        r.inserted,
        r.updated,
        r.unchanged,
        r.lineage.len(),
        r.errors.len()
    );
}
