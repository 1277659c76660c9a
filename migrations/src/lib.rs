//! Schema for gpmb. One file per change, each with `down`; the same migrations run on SQLite
//! and PostgreSQL, so only portable column types are used (JSON is stored as text).
#![expect(
    clippy::disallowed_methods,
    reason = "migrations are fixed schema text (triggers, partial indexes) run once; no value reaches them"
)]
#![allow(
    clippy::unnecessary_literal_bound,
    reason = "MigrationName::name's signature is sea-orm-migration's"
)]
#![allow(
    clippy::too_many_lines,
    reason = "a migration lists its tables and indexes one after the other"
)]
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_people_and_places;
mod m20261125_000002_parcels_households;
mod m20261125_000003_groups_visits;
mod m20261125_000004_cases_grievances;
mod m20261125_000005_audit_counters;
mod m20261130_000001_field;
mod m20261130_000002_cases;
mod m20261130_000003_alerts;
mod m20261130_000004_imports;
mod m20261130_000005_public;
mod m20261204_casefile_household_revisions;
mod m20261204_desk_alert_triage;
mod m20261204_people_access;
mod m20261204_projects_version;
mod m20261204_reports_settings;
mod m20261205_compensation;
mod m20261205_field_keys;
mod m20261205_parcel_retirement;
mod m20261205_sessions_idle;
mod m20261206_privacy;
mod m20261206_reference_data;
mod m20261207_alert_areas;
mod m20261208_crop_yields_resettlement;
mod m20261209_parcel_removals;
mod util;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_people_and_places::Migration),
            Box::new(m20261125_000002_parcels_households::Migration),
            Box::new(m20261125_000003_groups_visits::Migration),
            Box::new(m20261125_000004_cases_grievances::Migration),
            Box::new(m20261125_000005_audit_counters::Migration),
            Box::new(m20261130_000001_field::Migration),
            Box::new(m20261130_000002_cases::Migration),
            Box::new(m20261130_000003_alerts::Migration),
            Box::new(m20261130_000004_imports::Migration),
            Box::new(m20261130_000005_public::Migration),
            Box::new(m20261204_desk_alert_triage::Migration),
            Box::new(m20261204_people_access::Migration),
            Box::new(m20261204_projects_version::Migration),
            Box::new(m20261204_casefile_household_revisions::Migration),
            Box::new(m20261204_reports_settings::Migration),
            Box::new(m20261205_parcel_retirement::Migration),
            Box::new(m20261205_sessions_idle::Migration),
            Box::new(m20261205_compensation::Migration),
            Box::new(m20261205_field_keys::Migration),
            Box::new(m20261206_reference_data::Migration),
            Box::new(m20261206_privacy::Migration),
            Box::new(m20261207_alert_areas::Migration),
            Box::new(m20261208_crop_yields_resettlement::Migration),
            Box::new(m20261209_parcel_removals::Migration),
        ]
    }
}
