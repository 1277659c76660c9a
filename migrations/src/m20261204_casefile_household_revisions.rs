//! Household edits guarded by `If-Match` (a version per household) and their history: the
//! content of a household before each edit, who changed it and when (issue 12).
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_casefile_household_revisions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("households"))
                    .add_column(
                        ColumnDef::new(name("version"))
                            .integer()
                            .not_null()
                            .default(1)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        create_all(
            manager,
            vec![table(
                "household_revisions",
                vec![
                    id(),
                    int("household_id"),
                    // The version the edit replaced, and the household's content at it.
                    int("version"),
                    long_text("content"),
                    // JSON list of the fields the edit changed.
                    text("fields"),
                    int_null("edited_by"),
                    ts("edited_at"),
                ],
                vec![fk("household_revisions", "household_id", "households")],
            )],
            vec![index(
                "household_revisions",
                "idx_household_revisions_household",
                &["household_id", "id"],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["household_revisions"]).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(name("households"))
                    .drop_column(name("version"))
                    .to_owned(),
            )
            .await
    }
}
