//! `gpmb report --project CODE --period … --format … --out FILE`.
use crate::config::Settings;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {}

pub async fn run(_settings: &Settings, _args: ReportArgs) -> anyhow::Result<()> {
    anyhow::bail!("gpmb report is not available in this build yet")
}
