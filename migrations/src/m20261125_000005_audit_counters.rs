use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000005_audit_counters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                // Append-only: every write and every read of a household's personal data.
                table(
                    "audit_events",
                    vec![
                        id(),
                        ts("at"),
                        int_null("user_id"),
                        text("actor"),
                        text("action"),
                        text("entity"),
                        text_null("entity_id"),
                        long_text("detail"),
                    ],
                    vec![],
                ),
                // Progress is read from counters kept in the same transaction as each change,
                // so the progress endpoint never scans parcels.
                composite_pk(
                    "progress_counters",
                    vec![
                        int("project_id"),
                        text("metric"),
                        text("dim_key"),
                        text("bucket"),
                        big("count"),
                        double("area_m2"),
                    ],
                    &["project_id", "metric", "dim_key", "bucket"],
                    vec![fk("progress_counters", "project_id", "projects")],
                ),
            ],
            vec![index(
                "audit_events",
                "idx_audit_entity",
                &["entity", "entity_id"],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["progress_counters", "audit_events"]).await
    }
}
