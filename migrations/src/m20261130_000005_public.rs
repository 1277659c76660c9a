//! Schema for public information of a project: who is responsible for what (agencies and
//! their official contacts, never households) and the timeline milestones (issue 4).
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000005_public"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                table(
                    "project_parties",
                    vec![
                        id(),
                        int("project_id"),
                        int("sort_order"),
                        // What the party is responsible for, in both catalogue languages.
                        text("role_vi"),
                        text("role_en"),
                        text("organisation"),
                        text_null("contact_person"),
                        text_null("phone"),
                        text_null("email"),
                    ],
                    vec![fk("project_parties", "project_id", "projects")],
                ),
                table(
                    "project_milestones",
                    vec![
                        id(),
                        int("project_id"),
                        date("on_date"),
                        text("title_vi"),
                        text("title_en"),
                    ],
                    vec![fk("project_milestones", "project_id", "projects")],
                ),
            ],
            vec![
                index(
                    "project_parties",
                    "idx_project_parties_project",
                    &["project_id", "sort_order"],
                    false,
                ),
                index(
                    "project_milestones",
                    "idx_project_milestones_project",
                    &["project_id", "on_date"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["project_milestones", "project_parties"]).await
    }
}
