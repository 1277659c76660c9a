//! Project setup from the web (issue 12): a project's version for `If-Match` and who saved it
//! last, so a stale edit can say who changed it.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_projects_version"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds a single column at a time.
        for mut c in [
            ColumnDef::new(name("version"))
                .integer()
                .not_null()
                .default(1)
                .to_owned(),
            text_null("updated_by"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(name("projects"))
                        .add_column(&mut c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for c in ["updated_by", "version"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(name("projects"))
                        .drop_column(name(c))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
