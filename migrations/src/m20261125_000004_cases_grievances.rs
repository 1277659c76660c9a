use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000004_cases_grievances"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                table(
                    "parcel_status_events",
                    vec![
                        id(),
                        int("project_id"),
                        int("parcel_id"),
                        text_null("from_status"),
                        text("to_status"),
                        long_text("reason"),
                        int_null("actor_id"),
                        text("actor"),
                        ts("at"),
                    ],
                    vec![fk("parcel_status_events", "parcel_id", "parcels")],
                ),
                table(
                    "case_stage_events",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        int_null("parcel_id"),
                        text("stage"),
                        date("occurred_on"),
                        text_null("document_no"),
                        long_text("note"),
                        int_null("recorded_by"),
                        ts("recorded_at"),
                        boolean("overridden"),
                    ],
                    vec![fk("case_stage_events", "household_id", "households")],
                ),
                table(
                    "grievances",
                    vec![
                        id(),
                        int("project_id"),
                        text("kind"),
                        text("channel"),
                        date("received_on"),
                        long_text("content"),
                        int_null("assignee_id"),
                        text("status"),
                        boolean("complex"),
                        boolean("remote_area"),
                        int("round"),
                        int_null("parent_id"),
                        date_null("accept_by"),
                        date_null("resolve_by"),
                        date_null("resolved_on"),
                        long_text_null("outcome"),
                        text_null("document_no"),
                        ts("created_at"),
                    ],
                    vec![fk("grievances", "project_id", "projects")],
                ),
                composite_pk(
                    "grievance_households",
                    vec![
                        int("grievance_id"),
                        int("household_id"),
                        int_null("parcel_id"),
                    ],
                    &["grievance_id", "household_id"],
                    vec![
                        fk("grievance_households", "grievance_id", "grievances"),
                        fk("grievance_households", "household_id", "households"),
                    ],
                ),
            ],
            vec![
                index(
                    "parcel_status_events",
                    "idx_pse_parcel",
                    &["parcel_id", "id"],
                    false,
                ),
                index(
                    "parcel_status_events",
                    "idx_pse_project_at",
                    &["project_id", "at"],
                    false,
                ),
                index(
                    "case_stage_events",
                    "idx_cse_household",
                    &["household_id", "stage"],
                    false,
                ),
                index(
                    "grievances",
                    "idx_grievances_project",
                    &["project_id", "status"],
                    false,
                ),
                index(
                    "grievance_households",
                    "idx_gh_household",
                    &["household_id"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(
            manager,
            &[
                "grievance_households",
                "grievances",
                "case_stage_events",
                "parcel_status_events",
            ],
        )
        .await
    }
}
