//! The backup and restore commands.
use std::path::Path;

use crate::config::Settings;

pub async fn backup(_settings: &Settings, _file: &Path) -> anyhow::Result<()> {
    anyhow::bail!("gpmb backup is not available in this build yet")
}

pub async fn restore(_settings: &Settings, _file: &Path) -> anyhow::Result<()> {
    anyhow::bail!("gpmb restore is not available in this build yet")
}
