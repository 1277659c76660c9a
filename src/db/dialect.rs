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

// ---- alerts and reports ----

/// The join that keeps the left table as the outer loop: SQLite's `CROSS JOIN` (its
/// planner never reorders it); PostgreSQL plans an inner join well by itself.
pub fn loop_order_join(backend: DatabaseBackend) -> sea_orm::sea_query::JoinType {
    match backend {
        DatabaseBackend::Sqlite => sea_orm::sea_query::JoinType::CrossJoin,
        _ => sea_orm::sea_query::JoinType::InnerJoin,
    }
}
