//! The HTTP integration suite, one binary: each module is a feature, spoken to over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(
    clippy::disallowed_methods,
    reason = "tests set up and inspect rows with plain SQL, as an outside observer would"
)]
#![allow(
    clippy::too_many_lines,
    clippy::float_cmp,
    clippy::unused_self,
    reason = "a test is one scenario read top to bottom; expected numbers are exact on purpose"
)]

mod admin_units;
mod alerts;
mod auth;
mod backup;
mod basic_auth;
mod board_sweep;
mod bulk_stages;
mod cases;
mod cli;
mod common;
mod compensation;
mod dashboard;
mod demo;
mod errors;
mod exports;
mod field;
mod field_compensation;
mod field_keys;
mod fuzz_imports;
mod grievances;
mod households;
mod imports;
mod land_types;
mod multi_server;
mod ogc;
mod parcel_lineage;
mod parcels;
mod plan_table;
mod prices;
mod privacy;
mod privacy_requests;
mod projects;
mod public;
mod public_url;
mod reports;
mod security;
mod service;
mod tiles;
mod tokens;
mod users;
mod visits;
mod working_groups;
