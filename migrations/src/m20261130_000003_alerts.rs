//! Schema for hot spots and the alert index (issue 6): hot spots, reviews of changes made after
//! the cut-off, land-use change events, and the indexes that let every alert kind be counted and
//! paged without scanning households. A stage deadline's "met on" date is kept by triggers so
//! that open deadlines are one indexed range, whoever writes the stage events.
use crate::util::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000003_alerts"
    }
}

/// Partial and covering indexes (same syntax on SQLite and PostgreSQL).
const INDEXES: &[&str] = &[
    // Households not visited for N days, oldest first, with the commune for the area scope.
    "CREATE INDEX IF NOT EXISTS idx_households_last_visit ON households (project_id, last_visit_at, id, commune_id)",
    // Household splits and parcel splits recorded after a project's notice date.
    "CREATE INDEX IF NOT EXISTS idx_households_split ON households (project_id, created_at) WHERE split_from_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS idx_parcels_split ON parcels (project_id, created_at) WHERE parent_parcel_id IS NOT NULL",
    // One open hot spot per flag: two refreshes racing cannot open it twice.
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_hot_spots_open ON hot_spots (project_id, flag_key) WHERE resolved_on IS NULL",
    // Open commitments by due date.
    "CREATE INDEX IF NOT EXISTS idx_commitments_open ON commitments (due_date, household_id) WHERE done_at IS NULL",
];

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER IF NOT EXISTS trg_cse_deadline_ins AFTER INSERT ON case_stage_events BEGIN \
       UPDATE case_stage_events SET due_met_on = NEW.occurred_on \
        WHERE household_id = NEW.household_id AND due_stage = NEW.stage AND due_met_on IS NULL AND id <> NEW.id \
          AND (NEW.parcel_id IS NULL OR parcel_id IS NULL OR parcel_id = NEW.parcel_id); \
       UPDATE case_stage_events SET due_met_on = (SELECT MIN(n.occurred_on) FROM case_stage_events n \
          WHERE n.household_id = NEW.household_id AND n.stage = NEW.due_stage AND n.id <> NEW.id \
          AND (n.parcel_id IS NULL OR NEW.parcel_id IS NULL OR n.parcel_id = NEW.parcel_id)) \
        WHERE id = NEW.id AND NEW.due_on IS NOT NULL; \
     END",
    "CREATE TRIGGER IF NOT EXISTS trg_cse_deadline_upd AFTER UPDATE OF due_on, due_stage ON case_stage_events BEGIN \
       UPDATE case_stage_events SET due_met_on = (SELECT MIN(n.occurred_on) FROM case_stage_events n \
          WHERE n.household_id = NEW.household_id AND n.stage = NEW.due_stage AND n.id <> NEW.id \
          AND (n.parcel_id IS NULL OR NEW.parcel_id IS NULL OR n.parcel_id = NEW.parcel_id)) \
        WHERE id = NEW.id; \
     END",
    "CREATE TRIGGER IF NOT EXISTS trg_cse_deadline_del AFTER DELETE ON case_stage_events BEGIN \
       UPDATE case_stage_events SET due_met_on = (SELECT MIN(n.occurred_on) FROM case_stage_events n \
          WHERE n.household_id = OLD.household_id AND n.stage = OLD.stage AND (n.parcel_id IS NULL \
          OR case_stage_events.parcel_id IS NULL OR n.parcel_id = case_stage_events.parcel_id)) \
        WHERE household_id = OLD.household_id AND due_stage = OLD.stage; \
     END",
];

const PG_TRIGGERS: &[&str] = &[
    "CREATE OR REPLACE FUNCTION gpmb_cse_deadline() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'DELETE' THEN \
         UPDATE case_stage_events SET due_met_on = (SELECT MIN(n.occurred_on) FROM case_stage_events n \
            WHERE n.household_id = OLD.household_id AND n.stage = OLD.stage AND (n.parcel_id IS NULL \
          OR case_stage_events.parcel_id IS NULL OR n.parcel_id = case_stage_events.parcel_id)) \
          WHERE household_id = OLD.household_id AND due_stage = OLD.stage; \
         RETURN OLD; \
       END IF; \
       IF TG_OP = 'INSERT' THEN \
         UPDATE case_stage_events SET due_met_on = NEW.occurred_on \
          WHERE household_id = NEW.household_id AND due_stage = NEW.stage AND due_met_on IS NULL AND id <> NEW.id \
          AND (NEW.parcel_id IS NULL OR parcel_id IS NULL OR parcel_id = NEW.parcel_id); \
       END IF; \
       UPDATE case_stage_events SET due_met_on = (SELECT MIN(n.occurred_on) FROM case_stage_events n \
          WHERE n.household_id = NEW.household_id AND n.stage = NEW.due_stage AND n.id <> NEW.id \
          AND (n.parcel_id IS NULL OR NEW.parcel_id IS NULL OR n.parcel_id = NEW.parcel_id)) \
        WHERE id = NEW.id; \
       RETURN NEW; \
     END $$",
    "DROP TRIGGER IF EXISTS trg_cse_deadline_ins ON case_stage_events",
    "CREATE TRIGGER trg_cse_deadline_ins AFTER INSERT ON case_stage_events \
     FOR EACH ROW EXECUTE FUNCTION gpmb_cse_deadline()",
    "DROP TRIGGER IF EXISTS trg_cse_deadline_upd ON case_stage_events",
    "CREATE TRIGGER trg_cse_deadline_upd AFTER UPDATE OF due_on, due_stage ON case_stage_events \
     FOR EACH ROW EXECUTE FUNCTION gpmb_cse_deadline()",
    "DROP TRIGGER IF EXISTS trg_cse_deadline_del ON case_stage_events",
    "CREATE TRIGGER trg_cse_deadline_del AFTER DELETE ON case_stage_events \
     FOR EACH ROW EXECUTE FUNCTION gpmb_cse_deadline()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                // Kept current by `alerts::hot_spots::refresh`; `flag_key` names what was flagged
                // (e.g. `signers:12`) so a refresh closes and opens rows instead of rewriting.
                table(
                    "hot_spots",
                    vec![
                        id(),
                        int("project_id"),
                        int("commune_id"),
                        int_null("household_id"),
                        int_null("grievance_id"),
                        text("kind"),
                        text("flag_key"),
                        // The reason in Vietnamese, and the numbers it was built from (JSON).
                        long_text("reason"),
                        long_text("detail"),
                        date("flagged_on"),
                        date_null("resolved_on"),
                    ],
                    vec![fk("hot_spots", "project_id", "projects")],
                ),
                // A split or land-use change after the cut-off, looked at and accepted.
                table(
                    "alert_reviews",
                    vec![
                        id(),
                        int("project_id"),
                        text("subject"),
                        int("subject_id"),
                        int_null("reviewed_by"),
                        text("actor"),
                        ts("reviewed_at"),
                        long_text("note"),
                    ],
                    vec![fk("alert_reviews", "project_id", "projects")],
                ),
                // Land-use changes of parcels (the parcel PATCH writes one per change).
                table(
                    "parcel_land_use_events",
                    vec![
                        id(),
                        int("project_id"),
                        int("parcel_id"),
                        int("commune_id"),
                        text("from_land_use"),
                        text("to_land_use"),
                        int_null("actor_id"),
                        text("actor"),
                        ts("at"),
                    ],
                    vec![fk("parcel_land_use_events", "parcel_id", "parcels")],
                ),
            ],
            vec![
                index(
                    "hot_spots",
                    "idx_hot_spots_project",
                    &["project_id", "resolved_on", "id"],
                    false,
                ),
                index(
                    "alert_reviews",
                    "idx_alert_reviews_subject",
                    &["subject", "subject_id"],
                    true,
                ),
                index(
                    "parcel_land_use_events",
                    "idx_plue_project_at",
                    &["project_id", "at"],
                    false,
                ),
                index(
                    "parcel_land_use_events",
                    "idx_plue_parcel",
                    &["parcel_id"],
                    false,
                ),
            ],
        )
        .await?;
        let conn = manager.get_connection();
        for sql in INDEXES {
            conn.execute_unprepared(sql).await?;
        }
        // Stage deadlines exist once the cases migration has added them.
        if manager.has_column("case_stage_events", "due_on").await?
            && manager.has_column("case_stage_events", "due_stage").await?
        {
            if !manager
                .has_column("case_stage_events", "due_met_on")
                .await?
            {
                manager
                    .alter_table(
                        Table::alter()
                            .table(name("case_stage_events"))
                            .add_column(date_null("due_met_on"))
                            .to_owned(),
                    )
                    .await?;
            }
            let triggers = match manager.get_database_backend() {
                DbBackend::Postgres => PG_TRIGGERS,
                _ => SQLITE_TRIGGERS,
            };
            for sql in triggers {
                conn.execute_unprepared(sql).await?;
            }
            conn.execute_unprepared(
                "UPDATE case_stage_events SET due_met_on = (SELECT MIN(n.occurred_on) \
                 FROM case_stage_events n WHERE n.household_id = case_stage_events.household_id \
                 AND n.stage = case_stage_events.due_stage AND n.id <> case_stage_events.id \
                 AND (n.parcel_id IS NULL OR case_stage_events.parcel_id IS NULL OR n.parcel_id = case_stage_events.parcel_id)) \
                 WHERE due_on IS NOT NULL",
            )
            .await?;
            conn.execute_unprepared(
                "CREATE INDEX IF NOT EXISTS idx_cse_open_deadlines ON case_stage_events \
                 (project_id, due_on, id) WHERE due_on IS NOT NULL AND due_met_on IS NULL",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let backend = manager.get_database_backend();
        for trg in [
            "trg_cse_deadline_ins",
            "trg_cse_deadline_upd",
            "trg_cse_deadline_del",
        ] {
            let sql = match backend {
                DbBackend::Postgres => format!("DROP TRIGGER IF EXISTS {trg} ON case_stage_events"),
                _ => format!("DROP TRIGGER IF EXISTS {trg}"),
            };
            conn.execute_unprepared(&sql).await?;
        }
        if backend == DbBackend::Postgres {
            conn.execute_unprepared("DROP FUNCTION IF EXISTS gpmb_cse_deadline()")
                .await?;
        }
        for idx in [
            "idx_cse_open_deadlines",
            "idx_commitments_open",
            "idx_parcels_split",
            "idx_households_split",
            "idx_households_last_visit",
        ] {
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {idx}"))
                .await?;
        }
        if manager
            .has_column("case_stage_events", "due_met_on")
            .await?
        {
            manager
                .alter_table(
                    Table::alter()
                        .table(name("case_stage_events"))
                        .drop_column(name("due_met_on"))
                        .to_owned(),
                )
                .await?;
        }
        drop_all(
            manager,
            &["parcel_land_use_events", "alert_reviews", "hot_spots"],
        )
        .await
    }
}
