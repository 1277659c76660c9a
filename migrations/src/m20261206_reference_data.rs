//! Reference data that ships inside the binary (issue 14 item 2): which version of it the
//! database holds, so a newer binary brings in the newer data once, and indexes for the whole
//! country's administrative units (about 14,000 rows: lookups by parent and by successor).
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_reference_data"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![table(
                "reference_data",
                vec![
                    id(),
                    // `admin_units`
                    text("name"),
                    int("version"),
                    ts("loaded_at"),
                ],
                vec![],
            )],
            vec![
                index("reference_data", "idx_reference_data_name", &["name"], true),
                index(
                    "admin_units",
                    "idx_admin_units_parent",
                    &["parent_id"],
                    false,
                ),
                index(
                    "admin_units",
                    "idx_admin_units_successor",
                    &["successor_id"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for idx in ["idx_admin_units_successor", "idx_admin_units_parent"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(idx)
                        .table(name("admin_units"))
                        .to_owned(),
                )
                .await?;
        }
        drop_all(manager, &["reference_data"]).await
    }
}
