//! Schema for import batches (issue 7): one row per committed parcel or household import.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000004_imports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![table(
                "import_batches",
                vec![
                    id(),
                    int("project_id"),
                    // `parcels` or `households`.
                    text("kind"),
                    text("file_name"),
                    // The CRS the parcels came in (empty for households).
                    text("source_crs"),
                    text("actor"),
                    int("total"),
                    int("inserted"),
                    int("updated"),
                    int("unchanged"),
                    int("lineage"),
                    ts("created_at"),
                ],
                vec![fk("import_batches", "project_id", "projects")],
            )],
            vec![index(
                "import_batches",
                "idx_import_batches_project",
                &["project_id", "id"],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["import_batches"]).await
    }
}
