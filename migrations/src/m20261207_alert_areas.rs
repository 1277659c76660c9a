//! Alerts at 100,000 households (issue 15.3): every filter of the alerts page answered from
//! one index range.
//! - `commitments` keep a copy of their household's `project_id` and `commune_id`, so overdue
//!   commitments are counted and filtered by project, commune or area from a partial index
//!   instead of through a join to every household. Triggers keep the copy, whoever writes
//!   (the visit writer, the demo, imports, tests' own rows): on insert and on a change of
//!   `household_id` the commitment takes its household's values, and a household whose
//!   project or commune changes takes its commitments along.
//! - Households "not visited" (last visit before N days, or never visited and created before
//!   then) are one covering range of `(project_id, last_visit_at, created_at, commune_id)`:
//!   the never-visited range no longer reads every household row for `created_at`.
//! - A stage deadline still open has `open_due_on` (its `due_on` while `due_met_on` is null; a
//!   generated column, so whoever writes keeps it): overdue deadlines are one range of a
//!   partial index, and PostgreSQL's statistics on that column know how few they are (on
//!   `due_on` and `due_met_on` apart they guessed thousands, and chose to join every
//!   household, or to walk every stage event for a page).
use crate::util::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_alert_areas"
    }
}

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER IF NOT EXISTS trg_commitments_area_ins AFTER INSERT ON commitments BEGIN \
       UPDATE commitments SET \
         project_id = (SELECT h.project_id FROM households h WHERE h.id = NEW.household_id), \
         commune_id = (SELECT h.commune_id FROM households h WHERE h.id = NEW.household_id) \
        WHERE id = NEW.id; \
     END",
    "CREATE TRIGGER IF NOT EXISTS trg_commitments_area_upd AFTER UPDATE OF household_id, project_id, commune_id ON commitments \
     WHEN NEW.project_id IS NOT (SELECT h.project_id FROM households h WHERE h.id = NEW.household_id) \
       OR NEW.commune_id IS NOT (SELECT h.commune_id FROM households h WHERE h.id = NEW.household_id) BEGIN \
       UPDATE commitments SET \
         project_id = (SELECT h.project_id FROM households h WHERE h.id = NEW.household_id), \
         commune_id = (SELECT h.commune_id FROM households h WHERE h.id = NEW.household_id) \
        WHERE id = NEW.id; \
     END",
    "CREATE TRIGGER IF NOT EXISTS trg_households_area_upd AFTER UPDATE OF project_id, commune_id ON households BEGIN \
       UPDATE commitments SET project_id = NEW.project_id, commune_id = NEW.commune_id \
        WHERE household_id = NEW.id; \
     END",
];

const PG_TRIGGERS: &[&str] = &[
    "CREATE OR REPLACE FUNCTION gpmb_commitment_area() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       SELECT h.project_id, h.commune_id INTO NEW.project_id, NEW.commune_id \
         FROM households h WHERE h.id = NEW.household_id; \
       RETURN NEW; \
     END $$",
    "DROP TRIGGER IF EXISTS trg_commitments_area ON commitments",
    "CREATE TRIGGER trg_commitments_area BEFORE INSERT OR UPDATE OF household_id, project_id, commune_id \
     ON commitments FOR EACH ROW EXECUTE FUNCTION gpmb_commitment_area()",
    "CREATE OR REPLACE FUNCTION gpmb_household_area() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE commitments SET project_id = NEW.project_id, commune_id = NEW.commune_id \
        WHERE household_id = NEW.id; \
       RETURN NEW; \
     END $$",
    "DROP TRIGGER IF EXISTS trg_households_area_upd ON households",
    "CREATE TRIGGER trg_households_area_upd AFTER UPDATE OF project_id, commune_id ON households \
     FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id \
       OR OLD.commune_id IS DISTINCT FROM NEW.commune_id) \
     EXECUTE FUNCTION gpmb_household_area()",
];

/// Same syntax on SQLite and PostgreSQL.
const INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS idx_cse_overdue ON case_stage_events (project_id, open_due_on) \
     WHERE open_due_on IS NOT NULL",
    "DROP INDEX IF EXISTS idx_cse_open_deadlines",
    // Open commitments of a project by due date, with the commune for filters and areas;
    // `done_at`, `household_id` and `id` too, so that a count (an area's households checked,
    // snoozed ids left out) reads the index alone: an index-only scan on PostgreSQL, whose
    // indexes do not hold the primary key.
    "CREATE INDEX IF NOT EXISTS idx_commitments_open_area ON commitments \
     (project_id, due_date, commune_id, done_at, household_id, id) WHERE done_at IS NULL",
    // Not visited since, or never visited and created before, a day; with the commune and
    // the id (snoozed households left out), for index-only counts.
    "CREATE INDEX IF NOT EXISTS idx_households_visit_alerts ON households \
     (project_id, last_visit_at, created_at, commune_id, id)",
    "DROP INDEX IF EXISTS idx_households_last_visit",
];

/// Whether `case_stage_events.open_due_on` exists (SQLite's `table_info`, which `has_column`
/// reads, leaves generated columns out; `table_xinfo` lists them).
async fn has_open_due_on(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    if manager.get_database_backend() == DbBackend::Postgres {
        return manager.has_column("case_stage_events", "open_due_on").await;
    }
    let row = manager
        .get_connection()
        .query_one(sea_orm_migration::sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COUNT(*) FROM pragma_table_xinfo('case_stage_events') WHERE name = 'open_due_on'",
        ))
        .await?;
    Ok(row.is_some_and(|r| r.try_get_by_index::<i64>(0).unwrap_or(0) > 0))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["project_id", "commune_id"] {
            if !manager.has_column("commitments", column).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(name("commitments"))
                            .add_column(int_null(column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        let conn = manager.get_connection();
        if !has_open_due_on(manager).await? {
            // SQLite adds only virtual generated columns to a table that exists.
            let kind = match manager.get_database_backend() {
                DbBackend::Postgres => "STORED",
                _ => "VIRTUAL",
            };
            conn.execute_unprepared(&format!(
                "ALTER TABLE case_stage_events ADD COLUMN open_due_on DATE GENERATED ALWAYS AS \
                 (CASE WHEN due_met_on IS NULL THEN due_on END) {kind}"
            ))
            .await?;
        }
        conn.execute_unprepared(
            "UPDATE commitments SET \
               project_id = (SELECT h.project_id FROM households h WHERE h.id = commitments.household_id), \
               commune_id = (SELECT h.commune_id FROM households h WHERE h.id = commitments.household_id)",
        )
        .await?;
        let triggers = match manager.get_database_backend() {
            DbBackend::Postgres => PG_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        for sql in triggers.iter().chain(INDEXES) {
            conn.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let backend = manager.get_database_backend();
        let drops: &[&str] = match backend {
            DbBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS trg_commitments_area ON commitments",
                "DROP TRIGGER IF EXISTS trg_households_area_upd ON households",
                "DROP FUNCTION IF EXISTS gpmb_commitment_area()",
                "DROP FUNCTION IF EXISTS gpmb_household_area()",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS trg_commitments_area_ins",
                "DROP TRIGGER IF EXISTS trg_commitments_area_upd",
                "DROP TRIGGER IF EXISTS trg_households_area_upd",
            ],
        };
        for sql in drops {
            conn.execute_unprepared(sql).await?;
        }
        for sql in [
            "DROP INDEX IF EXISTS idx_cse_overdue",
            "CREATE INDEX IF NOT EXISTS idx_cse_open_deadlines ON case_stage_events \
             (project_id, due_on, id) WHERE due_on IS NOT NULL AND due_met_on IS NULL",
            "DROP INDEX IF EXISTS idx_commitments_open_area",
            "DROP INDEX IF EXISTS idx_households_visit_alerts",
            "CREATE INDEX IF NOT EXISTS idx_households_last_visit ON households (project_id, last_visit_at, id, commune_id)",
        ] {
            conn.execute_unprepared(sql).await?;
        }
        if has_open_due_on(manager).await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(name("case_stage_events"))
                        .drop_column(name("open_due_on"))
                        .to_owned(),
                )
                .await?;
        }
        for column in ["commune_id", "project_id"] {
            if manager.has_column("commitments", column).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(name("commitments"))
                            .drop_column(name(column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
