//! Personal-data law (issue 16 item 12; Law 91/2025/QH15 and Decree 356/2025, in force
//! 1 January 2026): what each household was told about the processing of its data (notices),
//! the requests data subjects make (access, correction, restriction, deletion, objection) with
//! their statutory deadlines, and the breach log. Notices and requests name a household: they
//! are personal tables, read only through `crate::scoped`.
use crate::util::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_privacy"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                table(
                    "privacy_notices",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        // JSON list of notice kinds: purpose, data_collected, rights, …
                        text("kinds"),
                        // in_person | written_signed | meeting | phone
                        text("method"),
                        date("notified_on"),
                        // The user who told the household.
                        int_null("notified_by"),
                        text_null("document_ref"),
                        long_text_null("note"),
                        // Consent withdrawn (or objection to the processing told) on this day.
                        date_null("withdrawn_on"),
                        long_text_null("withdrawal_note"),
                        int_null("recorded_by"),
                        ts("created_at"),
                    ],
                    vec![
                        fk("privacy_notices", "household_id", "households"),
                        fk("privacy_notices", "project_id", "projects"),
                    ],
                ),
                table(
                    "privacy_requests",
                    vec![
                        id(),
                        int("project_id"),
                        int("household_id"),
                        // access | correction | restriction | deletion | objection
                        text("kind"),
                        // received | acknowledged | extended | completed | rejected
                        text("status"),
                        date("received_on"),
                        text("channel"),
                        text("requester_name"),
                        long_text("details"),
                        // Deadlines from the legal rules in force on `received_on` (null: none).
                        date_null("ack_by"),
                        date_null("due_on"),
                        date_null("acknowledged_on"),
                        date_null("extended_on"),
                        long_text_null("extension_reason"),
                        date_null("closed_on"),
                        // done | refused (completed requests)
                        text_null("outcome"),
                        long_text_null("outcome_note"),
                        // Why a request was refused or rejected, citing the law.
                        long_text_null("legal_reason"),
                        int_null("created_by"),
                        int_null("updated_by"),
                        ts("created_at"),
                        ts("updated_at"),
                    ],
                    vec![
                        fk("privacy_requests", "household_id", "households"),
                        fk("privacy_requests", "project_id", "projects"),
                    ],
                ),
                // No household is named: counts and kinds only.
                table(
                    "privacy_breaches",
                    vec![
                        id(),
                        ts("discovered_at"),
                        long_text("description"),
                        // JSON list of data kinds affected.
                        text("data_kinds"),
                        int("households_affected"),
                        // discovered_at + 72 hours (the rule in force on the day).
                        ts("report_due_at"),
                        ts_null("reported_to_authority_at"),
                        long_text_null("measures"),
                        ts_null("closed_at"),
                        int_null("recorded_by"),
                        ts("created_at"),
                        ts("updated_at"),
                    ],
                    vec![],
                ),
            ],
            vec![
                index(
                    "privacy_notices",
                    "idx_privacy_notices_household",
                    &["household_id"],
                    false,
                ),
                index(
                    "privacy_requests",
                    "idx_privacy_requests_household",
                    &["household_id"],
                    false,
                ),
                index(
                    "privacy_requests",
                    "idx_privacy_requests_status_due",
                    &["status", "due_on"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(
            manager,
            &["privacy_breaches", "privacy_requests", "privacy_notices"],
        )
        .await
    }
}
