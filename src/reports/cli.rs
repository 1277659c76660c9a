//! `gpmb report --project CODE --period … --format … --out FILE`: the same service and renderer
//! as `GET /api/v1/projects/{code}/reports/{period}.{format}`.
use std::path::PathBuf;

use anyhow::Context;

use super::period::Period;
use super::render::{self, ReportFormat};
use super::service::{self, Range};
use crate::auth::Principal;
use crate::config::Settings;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Project code, e.g. HPDQ2.
    #[arg(long)]
    pub project: String,
    /// 2021-Q1 (quarter), 2021-H1 (half-year) or 2021 (year).
    #[arg(long)]
    pub period: String,
    #[arg(long, value_parser = ["xlsx", "csv", "html"])]
    pub format: String,
    /// Where to write the report.
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn run(settings: &Settings, args: ReportArgs) -> anyhow::Result<()> {
    let period = Period::parse(&args.period)?;
    let format = ReportFormat::parse(&args.format)?;
    let db = crate::db::open(&settings.database_url, settings.sqlite_sync).await?;
    let conn = &db.conn;
    let system = Principal::cli();
    let project = crate::projects::service::visible_project(conn, &system, &args.project).await?;
    let stats =
        service::period_stats(conn, &system.scope, &project, Range::of_period(period)).await?;
    let body = render::render(
        &stats,
        period,
        format,
        &render::issue_for(conn, &project).await?,
    )?;
    std::fs::write(&args.out, &body)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    crate::audit::record(
        conn,
        &system,
        "report",
        "project",
        Some(project.code.clone()),
        serde_json::json!({"period": period.code(), "format": format.extension(), "via": "cli"}),
    )
    .await?;
    println!(
        "report {} {} ({}) written to {} ({} bytes)",
        project.code,
        period.code(),
        period.name_vi(),
        args.out.display(),
        body.len()
    );
    Ok(())
}
