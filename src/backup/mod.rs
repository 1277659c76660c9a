//! `gpmb backup FILE` / `gpmb restore FILE` (issue 7).
pub mod cli;
