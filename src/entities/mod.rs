//! sea-orm entities of the tables that hold no personal data, one per table (see
//! `migrations/`). The tables that do live in `crate::scoped`, behind the caller's scope.
pub mod admin_units;
pub mod alert_reviews;
pub mod alert_triage;
pub mod api_tokens;
pub mod audit_events;
pub mod compensation_settings;
pub mod hot_spots;
pub mod import_batches;
pub mod parcel_land_use_events;
pub mod parcel_lineage;
pub mod parcel_status_events;
pub mod parcels;
pub mod price_items;
pub mod price_tables;
pub mod privacy_breaches;
pub mod progress_counters;
pub mod project_milestones;
pub mod project_parties;
pub mod project_report_settings;
pub mod projects;
pub mod reference_data;
pub mod sessions;
pub mod users;
pub mod working_group_areas;
pub mod working_group_members;
pub mod working_groups;
