use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000003_groups_visits"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                table(
                    "working_groups",
                    vec![
                        id(),
                        int("project_id"),
                        text("name"),
                        int_null("leader_id"),
                        ts("created_at"),
                    ],
                    vec![fk("working_groups", "project_id", "projects")],
                ),
                composite_pk(
                    "working_group_areas",
                    vec![int("working_group_id"), int("admin_unit_id")],
                    &["working_group_id", "admin_unit_id"],
                    vec![
                        fk("working_group_areas", "working_group_id", "working_groups"),
                        fk("working_group_areas", "admin_unit_id", "admin_units"),
                    ],
                ),
                composite_pk(
                    "working_group_members",
                    vec![int("working_group_id"), int("user_id")],
                    &["working_group_id", "user_id"],
                    vec![
                        fk(
                            "working_group_members",
                            "working_group_id",
                            "working_groups",
                        ),
                        fk("working_group_members", "user_id", "users"),
                    ],
                ),
                table(
                    "visits",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        int("working_group_id"),
                        ts("visited_at"),
                        text("kind"),
                        long_text("participants"),
                        text("topics"),
                        text("stance"),
                        long_text("concerns"),
                        date_null("next_visit_on"),
                        double_null("lon"),
                        double_null("lat"),
                        text_null("client_id"),
                        int_null("created_by"),
                        ts("created_at"),
                    ],
                    vec![
                        fk("visits", "household_id", "households"),
                        fk("visits", "working_group_id", "working_groups"),
                    ],
                ),
                table(
                    "commitments",
                    vec![
                        id(),
                        int("visit_id"),
                        int("household_id"),
                        long_text("text"),
                        text("owner"),
                        date_null("due_date"),
                        ts_null("done_at"),
                    ],
                    vec![fk("commitments", "visit_id", "visits")],
                ),
            ],
            vec![
                index(
                    "working_groups",
                    "idx_working_groups_project",
                    &["project_id"],
                    false,
                ),
                index("working_group_members", "idx_wgm_user", &["user_id"], false),
                index("visits", "idx_visits_client_id", &["client_id"], true),
                index(
                    "visits",
                    "idx_visits_household",
                    &["household_id", "visited_at"],
                    false,
                ),
                index(
                    "visits",
                    "idx_visits_group",
                    &["working_group_id", "visited_at"],
                    false,
                ),
                index(
                    "visits",
                    "idx_visits_project",
                    &["project_id", "visited_at"],
                    false,
                ),
                index("commitments", "idx_commitments_visit", &["visit_id"], false),
                index(
                    "commitments",
                    "idx_commitments_household",
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
                "commitments",
                "visits",
                "working_group_members",
                "working_group_areas",
                "working_groups",
            ],
        )
        .await
    }
}
