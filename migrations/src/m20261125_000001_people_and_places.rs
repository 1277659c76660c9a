use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_people_and_places"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                // Units carry validity and a successor: the 2025 reform merged communes, and
                // old records keep their old unit while reporting under the new one.
                table(
                    "admin_units",
                    vec![
                        id(),
                        text("code"),
                        text("name"),
                        text("level"),
                        int_null("parent_id"),
                        date("valid_from"),
                        date_null("valid_to"),
                        int_null("successor_id"),
                        double_null("lon"),
                        double_null("lat"),
                        double_null("min_lon"),
                        double_null("min_lat"),
                        double_null("max_lon"),
                        double_null("max_lat"),
                    ],
                    vec![],
                ),
                table(
                    "projects",
                    vec![
                        id(),
                        text("code"),
                        text("name"),
                        text("investor"),
                        long_text_null("boundary"),
                        date_null("notice_date"),
                        date_null("target_handover_date"),
                        text("status"),
                        text_null("agency"),
                        text_null("contact"),
                        ts("created_at"),
                    ],
                    vec![],
                ),
                table(
                    "users",
                    vec![
                        id(),
                        text("username"),
                        text("password_hash"),
                        text("role"),
                        text("display_name"),
                        boolean("disabled"),
                        ts("created_at"),
                    ],
                    vec![],
                ),
                table(
                    "sessions",
                    vec![
                        id(),
                        text("token_hash"),
                        int("user_id"),
                        ts("created_at"),
                        ts("expires_at"),
                    ],
                    vec![fk("sessions", "user_id", "users")],
                ),
                table(
                    "api_tokens",
                    vec![
                        id(),
                        text("token_hash"),
                        int("project_id"),
                        text("scope"),
                        text("name"),
                        ts("created_at"),
                        ts_null("revoked_at"),
                    ],
                    vec![fk("api_tokens", "project_id", "projects")],
                ),
            ],
            vec![
                index("admin_units", "idx_admin_units_code", &["code"], false),
                index("projects", "idx_projects_code", &["code"], true),
                index("users", "idx_users_username", &["username"], true),
                index("sessions", "idx_sessions_token", &["token_hash"], true),
                index("api_tokens", "idx_api_tokens_token", &["token_hash"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(
            manager,
            &["api_tokens", "sessions", "users", "projects", "admin_units"],
        )
        .await
    }
}
