//! Schema for visit edit history, commitment completion, next-visit assignments (issue 5).
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000001_field"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `commitments.done_at` exists since the visits migration; who ticked it is new.
        manager
            .alter_table(
                Table::alter()
                    .table(name("commitments"))
                    .add_column(int_null("done_by"))
                    .to_owned(),
            )
            .await?;
        create_all(
            manager,
            vec![
                // The content of a visit before each edit (the current one is in `visits`).
                table(
                    "visit_revisions",
                    vec![
                        id(),
                        int("visit_id"),
                        long_text("content"),
                        int_null("edited_by"),
                        ts("edited_at"),
                    ],
                    vec![fk("visit_revisions", "visit_id", "visits")],
                ),
                // A group leader's "visit this household by then" for one member.
                table(
                    "next_visit_assignments",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        int("assignee_id"),
                        int_null("assigned_by"),
                        date("due_on"),
                        long_text("note"),
                        ts("created_at"),
                    ],
                    vec![
                        fk("next_visit_assignments", "household_id", "households"),
                        fk("next_visit_assignments", "assignee_id", "users"),
                    ],
                ),
            ],
            vec![
                index(
                    "visit_revisions",
                    "idx_visit_revisions_visit",
                    &["visit_id", "id"],
                    false,
                ),
                index(
                    "next_visit_assignments",
                    "idx_nva_assignee",
                    &["assignee_id", "household_id"],
                    false,
                ),
                index(
                    "next_visit_assignments",
                    "idx_nva_household",
                    &["household_id"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["next_visit_assignments", "visit_revisions"]).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(name("commitments"))
                    .drop_column(name("done_by"))
                    .to_owned(),
            )
            .await
    }
}
