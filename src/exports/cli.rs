//! `gpmb export parcels|households|visits|grievances …`.
use crate::config::Settings;

#[derive(clap::Args, Debug)]
pub struct ExportArgs {}

pub async fn run(_settings: &Settings, _args: ExportArgs) -> anyhow::Result<()> {
    anyhow::bail!("gpmb export is not available in this build yet")
}
