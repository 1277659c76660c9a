//! Schema for case stage deadlines and overrides, grievance details (issue 6).
//!
//! `case_stage_events.due_on` / `due_stage`: the legal deadline a recorded stage starts — the
//! household must reach `due_stage` by `due_on` (src/legal/stages.rs). A stage deadline is
//! overdue when `due_on` < today and the household has no event of `due_stage`; a repeated
//! stage (a notice issued again) clears the deadline of the one it replaces.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000002_cases"
    }
}

const STAGE_COLUMNS: &[&str] = &["due_on", "due_stage", "override_reason", "scheduled_at"];
const GRIEVANCE_COLUMNS: &[&str] = &["signers", "accepted_on", "notify_by", "especially_complex"];

fn columns(t: &str) -> Vec<ColumnDef> {
    match t {
        "case_stage_events" => vec![
            date_null("due_on"),
            text_null("due_stage"),
            long_text_null("override_reason"),
            ts_null("scheduled_at"),
        ],
        _ => vec![
            ColumnDef::new(name("signers"))
                .integer()
                .not_null()
                .default(1)
                .to_owned(),
            date_null("accepted_on"),
            date_null("notify_by"),
            boolean("especially_complex"),
        ],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds a single column at a time.
        for t in ["case_stage_events", "grievances"] {
            for mut c in columns(t) {
                manager
                    .alter_table(Table::alter().table(name(t)).add_column(&mut c).to_owned())
                    .await?;
            }
        }
        for i in [
            index(
                "case_stage_events",
                "idx_cse_project_due",
                &["project_id", "due_on"],
                false,
            ),
            index(
                "grievances",
                "idx_grievances_project_resolve_by",
                &["project_id", "resolve_by"],
                false,
            ),
        ] {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (t, i) in [
            ("case_stage_events", "idx_cse_project_due"),
            ("grievances", "idx_grievances_project_resolve_by"),
        ] {
            manager
                .drop_index(Index::drop().name(i).table(name(t)).to_owned())
                .await?;
        }
        for (t, cols) in [
            ("case_stage_events", STAGE_COLUMNS),
            ("grievances", GRIEVANCE_COLUMNS),
        ] {
            for c in cols {
                manager
                    .alter_table(
                        Table::alter()
                            .table(name(t))
                            .drop_column(name(c))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
