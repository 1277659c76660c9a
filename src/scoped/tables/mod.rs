//! The entities of the personal-data tables: private to `scoped`, so no query on them can
//! be written without its builders (and so without a scope).
pub mod case_stage_events;
pub mod commitments;
pub mod compensation_plans;
pub mod grievance_households;
pub mod grievances;
pub mod household_parcels;
pub mod households;
pub mod inventories;
pub mod inventory_items;
pub mod next_visit_assignments;
pub mod payments;
pub mod plan_lines;
pub mod visit_revisions;
pub mod visits;
