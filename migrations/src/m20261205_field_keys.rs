//! The field app's offline store is encrypted (issue 16 item 11): the key of a login session's
//! cached households lives with the session (and goes with it), and each user's key for the
//! outbox of unsent visits and inventories outlives sessions, so records queued offline can
//! still be sent after the session ended and the member logged in again.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_field_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("sessions"))
                    .add_column(text_null("field_key"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(name("users"))
                    .add_column(text_null("field_outbox_key"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("users"))
                    .drop_column(name("field_outbox_key"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(name("sessions"))
                    .drop_column(name("field_key"))
                    .to_owned(),
            )
            .await
    }
}
