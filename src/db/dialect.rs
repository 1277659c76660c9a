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
    stmt.on_conflict(sea_orm::sea_query::OnConflict::new().do_nothing().to_owned());
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
