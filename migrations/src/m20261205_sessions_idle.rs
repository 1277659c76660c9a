//! Account lifecycle (issue 16 item 10): when a session was last used, for the inactivity
//! timeout beside the absolute one, and an index on the expiry so the purge of ended sessions
//! is cheap.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_sessions_idle"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("sessions"))
                    .add_column(ts_null("last_seen_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "sessions",
                "idx_sessions_expires",
                &["expires_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index("sessions", "idx_sessions_user", &["user_id"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for idx in ["idx_sessions_user", "idx_sessions_expires"] {
            manager
                .drop_index(Index::drop().name(idx).table(name("sessions")).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(name("sessions"))
                    .drop_column(name("last_seen_at"))
                    .to_owned(),
            )
            .await
    }
}
