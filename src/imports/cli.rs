//! `gpmb import parcels|households …`.
use crate::config::Settings;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {}

pub async fn run(_settings: &Settings, _args: ImportArgs) -> anyhow::Result<()> {
    anyhow::bail!("gpmb import is not available in this build yet")
}
