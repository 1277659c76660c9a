//! Every place where SQLite and PostgreSQL differ, in one file: booleans, the start of the
//! week, insert-or-ignore, upserts, batch sizes, the maintenance statements. The rest of the
//! code builds queries with sea-query and lets its query builder pick the syntax.
//!
//! This is also the only module that may turn SQL text into a statement: [`Sql`] can only be
//! made from a `&'static str`, so SQL text can never be assembled from a request's values
//! (`clippy.toml` forbids the raw constructors everywhere else).
#![expect(
    clippy::disallowed_methods,
    reason = "the one place where SQL text becomes a statement"
)]

use sea_orm::{DatabaseBackend, Statement, StatementBuilder, Value};

/// SQL text fixed at compile time, with `$1, $2…` placeholders for its values.
#[derive(Clone, Copy, Debug)]
pub struct Sql(&'static str);

impl Sql {
    pub const fn new(text: &'static str) -> Self {
        Sql(text)
    }

    pub fn text(self) -> &'static str {
        self.0
    }
}

/// A statement from fixed SQL text and its bound values.
pub fn statement(
    backend: DatabaseBackend,
    sql: Sql,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(backend, sql.0, values)
}

/// A sea-query statement rendered for the backend, values bound.
pub fn build<S: StatementBuilder>(backend: DatabaseBackend, stmt: &S) -> Statement {
    backend.build(stmt)
}

pub fn is_postgres(backend: DatabaseBackend) -> bool {
    backend == DatabaseBackend::Postgres
}

/// A fixed SQL fragment as a sea-query expression (functions sea-query has no builder for).
pub fn fragment(sql: Sql) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::cust(sql.0)
}

/// A fixed SQL fragment with `$1…` (PostgreSQL) / `?` values, as a sea-query expression.
pub fn fragment_with(
    sql: Sql,
    values: impl IntoIterator<Item = impl Into<Value>>,
) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::cust_with_values(sql.0, values)
}

/// Runs fixed maintenance SQL (PRAGMA, VACUUM, ANALYZE…) that takes no values.
pub async fn execute_fixed(
    conn: &impl sea_orm::ConnectionTrait,
    sql: Sql,
) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
    conn.execute_unprepared(sql.0).await
}

// ---- demo, seed, backup ----

const ANALYZE_CASEWORK: Sql = Sql::new("ANALYZE case_stage_events, households");

/// Statistics on the households and stage events a load has just written (PostgreSQL). Without
/// them the planner took `project_id = $1` for a few rows, and the demo's deadline backfill
/// scanned the whole project once per household: 0.8 s a statement at 100,000 parcels, growing.
pub async fn analyze_casework(conn: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    if is_postgres(conn.get_database_backend()) {
        execute_fixed(conn, ANALYZE_CASEWORK).await?;
    }
    Ok(())
}

const COMMIT: Sql = Sql::new("COMMIT");
const BEGIN: Sql = Sql::new("BEGIN");

/// Commits the open transaction and begins the next one on the same connection (the demo
/// loader keeps one pooled connection for the whole load).
pub async fn commit_and_begin(conn: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    execute_fixed(conn, COMMIT).await?;
    execute_fixed(conn, BEGIN).await?;
    Ok(())
}

/// SQLite page cache (KiB, as a negative `cache_size`) of a connection during a bulk load.
const BULK_LOAD_CACHE_KIB: i64 = -131_072;

/// A larger page cache for this connection while a bulk load runs (SQLite); returns the
/// previous size to hand back to [`end_bulk_load_cache`]. PostgreSQL: nothing, `None`.
pub async fn begin_bulk_load_cache(
    conn: &impl sea_orm::ConnectionTrait,
) -> Result<Option<i64>, sea_orm::DbErr> {
    if conn.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(None);
    }
    let row = conn
        .query_one(statement(
            DatabaseBackend::Sqlite,
            Sql::new("PRAGMA cache_size"),
            [],
        ))
        .await?;
    let previous: Option<i64> = row.and_then(|r| r.try_get_by_index(0).ok());
    if previous.is_some() {
        set_sqlite_cache_size(conn, BULK_LOAD_CACHE_KIB).await?;
    }
    Ok(previous)
}

/// Gives the connection back its page cache size from [`begin_bulk_load_cache`].
pub async fn end_bulk_load_cache(
    conn: &impl sea_orm::ConnectionTrait,
    previous: i64,
) -> Result<(), sea_orm::DbErr> {
    set_sqlite_cache_size(conn, previous).await
}

/// `PRAGMA cache_size = n`: a PRAGMA takes no bound values; `n` is an integer, so the text
/// holds digits only.
async fn set_sqlite_cache_size(
    conn: &impl sea_orm::ConnectionTrait,
    kib: i64,
) -> Result<(), sea_orm::DbErr> {
    conn.execute_unprepared(&format!("PRAGMA cache_size = {kib}"))
        .await?;
    Ok(())
}

/// After a bulk load, leave a short WAL behind rather than the last chunk's pages (SQLite).
pub async fn checkpoint_after_bulk_load(
    conn: &impl sea_orm::ConnectionTrait,
) -> Result<(), sea_orm::DbErr> {
    if conn.get_database_backend() == DatabaseBackend::Sqlite {
        execute_fixed(conn, Sql::new("PRAGMA wal_checkpoint(TRUNCATE)")).await?;
    }
    Ok(())
}

/// PostgreSQL keeps a sequence per serial column that explicit ids do not advance: move it past
/// the largest id so later inserts do not collide. SQLite needs nothing (AUTOINCREMENT follows
/// the largest rowid).
pub async fn reset_id_sequence(
    conn: &impl sea_orm::ConnectionTrait,
    table: impl sea_orm::sea_query::IntoIden,
) -> Result<(), sea_orm::DbErr> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let table = table.into_iden();
    let name = table.to_string();
    // One row even for an empty table (MAX of nothing is NULL).
    let stmt = sea_orm::sea_query::Query::select()
        .expr(fragment_with(
            Sql::new("setval(pg_get_serial_sequence($1, 'id'), COALESCE(MAX(id), 0) + 1, false)"),
            [name],
        ))
        .from(table)
        .to_owned();
    conn.query_one(build(DatabaseBackend::Postgres, &stmt))
        .await?;
    Ok(())
}

/// The database behind a connection URL, for commands that work on the file or the server
/// (backup and restore).
pub fn backend_of_url(url: &str) -> DatabaseBackend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        DatabaseBackend::Postgres
    } else {
        DatabaseBackend::Sqlite
    }
}

/// `PRAGMA quick_check` of a SQLite database: `"ok"` when sound.
pub async fn sqlite_quick_check(
    conn: &impl sea_orm::ConnectionTrait,
) -> Result<String, sea_orm::DbErr> {
    let row = conn
        .query_one(statement(
            DatabaseBackend::Sqlite,
            Sql::new("PRAGMA quick_check"),
            [],
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("quick_check".into()))?;
    row.try_get_by_index(0)
}

/// Whether a SQLite database has this table (telling a gpmb database from another file).
pub async fn sqlite_has_table(
    conn: &impl sea_orm::ConnectionTrait,
    table: &str,
) -> Result<bool, sea_orm::DbErr> {
    Ok(conn
        .query_one(statement(
            DatabaseBackend::Sqlite,
            Sql::new("SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1"),
            [table.into()],
        ))
        .await?
        .is_some())
}

/// `VACUUM INTO` a new file: a consistent copy of a SQLite database, the path a bound value.
pub async fn sqlite_vacuum_into(
    conn: &impl sea_orm::ConnectionTrait,
    path: &std::path::Path,
) -> Result<(), sea_orm::DbErr> {
    conn.execute(statement(
        DatabaseBackend::Sqlite,
        Sql::new("VACUUM INTO $1"),
        [path.to_string_lossy().to_string().into()],
    ))
    .await?;
    Ok(())
}

// ---- alerts and reports ----

/// The join that keeps the left table as the outer loop: SQLite's `CROSS JOIN` (its
/// planner never reorders it); PostgreSQL plans an inner join well by itself.
pub fn loop_order_join(backend: DatabaseBackend) -> sea_orm::sea_query::JoinType {
    match backend {
        DatabaseBackend::Sqlite => sea_orm::sea_query::JoinType::CrossJoin,
        _ => sea_orm::sea_query::JoinType::InnerJoin,
    }
}

// ---- parcels, tiles, progress counters ----

/// Rows per multi-row INSERT of parcels and their status events: PostgreSQL takes large
/// batches; SQLite (through sqlx) looks placeholders up one by one, which grows with the
/// placeholders of a statement, so small batches are much faster there.
pub fn parcel_rows_per_insert(backend: DatabaseBackend) -> usize {
    if is_postgres(backend) {
        400
    } else {
        8
    }
}

/// `ON CONFLICT DO NOTHING` (insert-or-ignore: SQLite reads the same clause as
/// `INSERT OR IGNORE`).
pub fn ignore_conflicts(stmt: &mut sea_orm::sea_query::InsertStatement) {
    stmt.on_conflict(
        sea_orm::sea_query::OnConflict::new()
            .do_nothing()
            .to_owned(),
    );
}

/// An upsert that adds: on a row with the same `key`, each of `sums` becomes
/// `table.column + excluded.column` (counters moved by deltas).
pub fn add_on_conflict<T, K, S>(
    stmt: &mut sea_orm::sea_query::InsertStatement,
    table: T,
    key: impl IntoIterator<Item = K>,
    sums: impl IntoIterator<Item = S>,
) where
    T: sea_orm::sea_query::IntoIden + Clone + 'static,
    K: sea_orm::sea_query::IntoIden,
    S: sea_orm::sea_query::IntoIden + Clone + 'static,
{
    use sea_orm::sea_query::{Alias, Expr, OnConflict};
    let mut on = OnConflict::columns(key);
    for s in sums {
        on.value(
            s.clone(),
            Expr::col((table.clone(), s.clone())).add(Expr::col((Alias::new("excluded"), s))),
        );
    }
    stmt.on_conflict(on);
}

/// The Monday (UTC) of the week of a timestamp, as `YYYY-MM-DD` text.
pub fn week_start_text(
    backend: DatabaseBackend,
    at: impl Into<sea_orm::sea_query::SimpleExpr> + Clone,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::Expr;
    if is_postgres(backend) {
        Expr::cust_with_exprs(
            "to_char(date_trunc('week', $1 AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
            [at.into()],
        )
    } else {
        // strftime('%w') is 0 on Sunday: step back to Monday.
        Expr::cust_with_exprs(
            "date(?, '-' || ((CAST(strftime('%w', ?) AS INTEGER) + 6) % 7) || ' days')",
            [at.clone().into(), at.into()],
        )
    }
}

/// Hands the memory of a large read back (SQLite's page cache after a full scan); nothing
/// to do on PostgreSQL.
pub async fn release_memory(conn: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    if conn.get_database_backend() == DatabaseBackend::Sqlite {
        conn.execute_unprepared("PRAGMA shrink_memory").await?;
    }
    Ok(())
}
