//! The HTTP integration suite, one binary: each module is a feature, spoken to over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod auth;
mod backup;
mod cases;
mod cli;
mod common;
mod dashboard;
mod errors;
mod exports;
mod field;
mod grievances;
mod households;
mod imports;
mod ogc;
mod parcels;
mod projects;
mod public;
mod reports;
mod service;
mod tiles;
mod visits;
mod working_groups;
