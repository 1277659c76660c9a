//! People and access (issue 12): when a user last logged in, and for API tokens who created
//! them and when they were last used (written at most once a minute per token).
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_people_access"
    }
}

/// (table, column, nullable integer?) — one ALTER each: SQLite adds one column at a time.
const COLUMNS: &[(&str, &str, bool)] = &[
    ("users", "last_login_at", false),
    ("api_tokens", "created_by", true),
    ("api_tokens", "last_used_at", false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (t, c, is_int) in COLUMNS {
            let mut col = if *is_int { int_null(c) } else { ts_null(c) };
            manager
                .alter_table(
                    Table::alter()
                        .table(name(t))
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (t, c, _) in COLUMNS.iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(name(t))
                        .drop_column(name(c))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
