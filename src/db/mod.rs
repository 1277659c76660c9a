//! Opening the database: SQLite (WAL) by default, PostgreSQL when the URL says so; the same
//! migrations run on both. Every difference between the two SQL dialects lives in `dialect`.
pub mod dialect;
pub mod notify;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    SqlxPostgresConnector, SqlxSqliteConnector, TransactionTrait,
};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub const DEFAULT_SQLITE_URL: &str = "sqlite://gpmb.db";

/// The database and, for SQLite, the lock that serialises writers: SQLite allows one writer,
/// and a deferred transaction that upgrades to a write while another commits fails at once
/// with SQLITE_BUSY instead of waiting. Taking this lock first makes writers queue instead.
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    write_lock: Option<Arc<Mutex<()>>>,
    /// The SQLite file, for readers that go around the pool (the tile index's bulk load).
    sqlite_file: Option<Arc<std::path::Path>>,
}

/// A write transaction holding the writer lock (SQLite) until commit or drop.
pub struct WriteTx {
    pub txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sea_orm::DbErr> {
        self.txn.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl Db {
    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// The SQLite database's file; `None` on PostgreSQL and for an in-memory database.
    pub fn sqlite_file(&self) -> Option<Arc<std::path::Path>> {
        self.sqlite_file.clone()
    }

    pub async fn write(&self) -> Result<WriteTx, sea_orm::DbErr> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        if guard.is_some() {
            // Take SQLite's write lock with the first statement, waiting (busy_timeout) for
            // writers outside this lock, such as the audit row of a personal-data read. A
            // transaction that reads first and then writes would instead fail at once with
            // SQLITE_BUSY if such a row was committed in between. The statement changes nothing.
            let nothing = sea_orm::sea_query::Query::delete()
                .from_table(crate::entities::progress_counters::Entity)
                .and_where(sea_orm::sea_query::Expr::val(1).eq(0))
                .to_owned();
            txn.execute(dialect::build(DatabaseBackend::Sqlite, &nothing))
                .await?;
        }
        Ok(WriteTx { txn, _guard: guard })
    }
}

/// How SQLite commits: `full` fsyncs the WAL on every commit (durable across power loss).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    Full,
    Normal,
}

pub async fn connect(url: &str, sync: SqliteSync) -> anyhow::Result<Db> {
    connect_pooled(url, sync, Pool::Server).await
}

/// How many connections a process keeps: a server serves many requests at once; a command
/// such as an export runs one query after another, and each SQLite connection may hold up to
/// its 64 MB page cache, so a command keeps one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    Server,
    Command,
}

async fn connect_pooled(url: &str, sync: SqliteSync, size: Pool) -> anyhow::Result<Db> {
    let (sqlite_max, pg_max) = match size {
        Pool::Server => (8, 16),
        Pool::Command => (1, 2),
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = PgPoolOptions::new()
            .max_connections(pg_max)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .context("could not connect to PostgreSQL (check DATABASE_URL)")?;
        return Ok(Db {
            conn: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
            write_lock: None,
            sqlite_file: None,
        });
    }
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid SQLite URL {url}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        })
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true)
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory");
    // Checked after connecting, which creates it: an in-memory database has no such file.
    let file: Arc<std::path::Path> = Arc::from(options.get_filename());
    let pool = SqlitePoolOptions::new()
        .max_connections(sqlite_max)
        .min_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("could not open SQLite database {url}"))?;
    Ok(Db {
        conn: SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
        write_lock: Some(Arc::new(Mutex::new(()))),
        sqlite_file: file.is_file().then_some(file),
    })
}

/// Connects, runs pending migrations and loads the reference data (admin units).
pub async fn open(url: &str, sync: SqliteSync) -> anyhow::Result<Db> {
    open_pooled(url, sync, Pool::Server).await
}

/// [`open`] with the pool of a one-query-at-a-time command.
pub async fn open_pooled(url: &str, sync: SqliteSync, size: Pool) -> anyhow::Result<Db> {
    let db = connect_pooled(url, sync, size).await?;
    Migrator::up(&db.conn, None)
        .await
        .context("running migrations")?;
    crate::admin_units::seed::seed_reference_data(&db.conn)
        .await
        .context("loading administrative units")?;
    Ok(db)
}

/// Timestamps are stored in UTC so that SQLite, which keeps them as text, orders and compares
/// them correctly; clients still get RFC 3339 with an offset.
pub fn utc(t: chrono::DateTime<chrono::FixedOffset>) -> chrono::DateTime<chrono::FixedOffset> {
    t.with_timezone(&chrono::Utc).fixed_offset()
}

#[cfg(test)]
#[allow(
    clippy::disallowed_methods,
    reason = "the test sets up a scratch table with plain SQL, as an outside writer would"
)]
mod tests {
    use super::*;

    /// A write transaction that reads before it writes keeps working while a row is committed
    /// outside the writer lock in between (the audit row of a read): it waits instead of
    /// failing with SQLITE_BUSY.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_that_reads_first_survives_an_outside_commit() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = open(&url, SqliteSync::Normal).await?;
        db.conn
            .execute_unprepared("CREATE TABLE scratch (x INTEGER)")
            .await?;
        let tx = db.write().await?;
        tx.execute_unprepared("SELECT COUNT(*) FROM scratch")
            .await?;
        let outside = db.conn.clone();
        let other = tokio::spawn(async move {
            outside
                .execute_unprepared("INSERT INTO scratch VALUES (1)")
                .await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.execute_unprepared("INSERT INTO scratch VALUES (2)")
            .await?;
        tx.commit().await?;
        other.await??;
        let n = db
            .conn
            .query_one(sea_orm::Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT COUNT(*) AS n FROM scratch",
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?;
        assert_eq!(n, Some(2));
        Ok(())
    }
}
