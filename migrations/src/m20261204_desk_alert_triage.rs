//! The acceptance number of a grievance (issue 12.5), alert triage and the per-project "not visited" threshold (issues 12.7, 13.3): any alert may
//! be acknowledged, assigned to a person or snoozed until a date with a reason (one row per
//! action taken, the latest of each kind counts); a project may set its own number of days
//! after which a household counts as not visited (NULL: the server's setting,
//! `GPMB_NOT_VISITED_DAYS`, 30 by default).
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_desk_alert_triage"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("projects"))
                    .add_column(int_null("not_visited_days"))
                    .to_owned(),
            )
            .await?;
        // The grievance desk records the acceptance's (thụ lý) number beside the decision's.
        manager
            .alter_table(
                Table::alter()
                    .table(name("grievances"))
                    .add_column(text_null("accept_no"))
                    .to_owned(),
            )
            .await?;
        create_all(
            manager,
            vec![table(
                "alert_triage",
                vec![
                    id(),
                    int("project_id"),
                    // What the alert is about: `hot_spot`, `grievance`, `stage_deadline`,
                    // `commitment`, `not_visited` (a household), and the row's id.
                    text("subject"),
                    int("subject_id"),
                    // `acknowledge`, `assign` (to `assignee_id`) or `snooze` (hidden while
                    // today is before `until`).
                    text("action"),
                    int_null("assignee_id"),
                    date_null("until"),
                    long_text("note"),
                    int_null("actor_id"),
                    text("actor"),
                    ts("at"),
                ],
                vec![fk("alert_triage", "project_id", "projects")],
            )],
            vec![index(
                "alert_triage",
                "idx_alert_triage_subject",
                &["subject", "subject_id", "action", "until"],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["alert_triage"]).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(name("grievances"))
                    .drop_column(name("accept_no"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(name("projects"))
                    .drop_column(name("not_visited_days"))
                    .to_owned(),
            )
            .await
    }
}
