//! `gpmb export parcels|households|visits|grievances --project CODE --format … --out FILE`.
use std::path::PathBuf;

use anyhow::Context;

use super::service::{self, Format, What};
use crate::auth::Principal;
use crate::config::Settings;

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_parser = ["parcels", "households", "visits", "grievances"])]
    pub what: String,
    /// Project code, e.g. HPDQ2.
    #[arg(long)]
    pub project: String,
    /// geojson and gpkg are for parcels; csv and xlsx for everything.
    #[arg(long, value_parser = ["geojson", "csv", "xlsx", "gpkg"])]
    pub format: String,
    /// Where to write the file.
    #[arg(long)]
    pub out: PathBuf,
    /// Language of the headers and of the words for codes: vi or en.
    #[arg(long, default_value = "vi", value_parser = ["vi", "en"])]
    pub lang: String,
    /// `id_number`: write the CCCD in full instead of masked (recorded in the audit log).
    #[arg(long, value_parser = ["id_number"])]
    pub reveal: Option<String>,
}

pub async fn run(settings: &Settings, args: ExportArgs) -> anyhow::Result<()> {
    let what = What::parse(&args.what)?;
    let format = Format::parse(&args.format)?;
    format.check(what)?;
    let db = crate::db::open_pooled(
        &settings.database_url,
        settings.sqlite_sync,
        crate::db::Pool::Command,
    )
    .await?;
    // The CLI runs with the server's rights (whoever can run it can read the database file).
    let system = Principal::cli();
    let project =
        crate::projects::service::visible_project(&db.conn, &system, &args.project).await?;
    let lang = crate::i18n::Lang::parse(Some(&args.lang));
    let reveal = args.reveal.as_deref() == Some("id_number");
    let req = service::Request {
        who: &system,
        project: &project,
        what,
        format,
        lang,
        reveal_id_number: reveal,
    };
    // Written beside the target and renamed at the end: a failed export leaves no half file.
    let partial = args
        .out
        .with_extension(format!("{}.partial", format.extension()));
    let bar = crate::cli::progress_bar();
    let label = what.as_str();
    let out = service::export(&db.conn, &req, &partial, &|done, total| {
        bar(label, done, total);
    })
    .await;
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    std::fs::rename(&partial, &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let bytes = std::fs::metadata(&args.out).map_or(0, |m| m.len());
    println!(
        "exported {} {} of {} to {} ({} bytes)",
        out.rows,
        what.as_str(),
        project.code,
        args.out.display(),
        bytes
    );
    Ok(())
}
