//! Parcel split and merge from the web (issue 12): a parcel replaced by its parts or by the
//! parcel it was merged into is kept, with its history, and marked retired.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_parcel_retirement"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("parcels"))
                    .add_column(ts_null("retired_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("parcels"))
                    .drop_column(name("retired_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
