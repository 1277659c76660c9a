//! The backup and restore commands.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy while the server keeps running (it reads
//! one snapshot). Restore checks the file is a gpmb database (migrations table, integrity,
//! no migration this build does not know), refuses to replace a database holding data unless
//! `--force`, copies it next to the target and renames it into place (atomic on one file
//! system), then upgrades the schema if the copy is older. Stop the server before restoring.
//!
//! PostgreSQL: backup runs `pg_dump --format=custom` when it is on PATH and otherwise fails
//! with the command to run; restore always prints the `pg_restore` command and fails, since
//! replacing a server database is a job for its administrator.
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context};
use migration::MigratorTrait;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Query};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QuerySelect, Select,
    SqlxSqliteConnector,
};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::dialect;
use crate::entities::{parcels, projects, users};

const MIGRATIONS_TABLE: &str = "seaql_migrations";

fn is_postgres(url: &str) -> bool {
    dialect::backend_of_url(url) == DatabaseBackend::Postgres
}

/// The file behind a `sqlite://` URL.
fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .with_context(|| format!("not a SQLite URL: {url}"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        bail!("backup and restore need a SQLite file, not {url}");
    }
    Ok(PathBuf::from(path))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// One connection to a SQLite file, never creating it.
async fn open(path: &Path, read_only: bool) -> anyhow::Result<DatabaseConnection> {
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)?
        .read_only(read_only)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open {} as a SQLite database", path.display()))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Rows of a table, 0 when it cannot be read (a file from an older or another schema).
async fn count<E: EntityTrait>(conn: &DatabaseConnection, select: Select<E>) -> i64 {
    let n: Result<Option<i64>, _> = select
        .select_only()
        .expr(Expr::col(Asterisk).count())
        .into_tuple()
        .one(conn)
        .await;
    n.ok().flatten().unwrap_or(0)
}

/// Projects, parcels, households, visits and users of a gpmb database.
async fn counts(conn: &DatabaseConnection) -> [(i64, &'static str); 5] {
    let cli = Scope::cli();
    [
        (count(conn, projects::Entity::find()).await, "projects"),
        (count(conn, parcels::Entity::find()).await, "parcels"),
        (
            count(conn, crate::scoped::households(&cli)).await,
            "households",
        ),
        (count(conn, crate::scoped::visits(&cli)).await, "visits"),
        (count(conn, users::Entity::find()).await, "users"),
    ]
}

/// What a gpmb database holds, for messages.
async fn summary(conn: &DatabaseConnection) -> String {
    let parts: Vec<String> = counts(conn)
        .await
        .iter()
        .map(|(n, t)| format!("{n} {t}"))
        .collect();
    parts.join(", ")
}

/// Whether a database holds projects, parcels, households or users.
async fn holds_data(conn: &DatabaseConnection) -> bool {
    if !dialect::sqlite_has_table(conn, "projects")
        .await
        .unwrap_or(true)
    {
        return false;
    }
    counts(conn)
        .await
        .iter()
        .filter(|(_, t)| *t != "visits")
        .map(|(n, _)| n)
        .sum::<i64>()
        > 0
}

/// The migrations applied to a gpmb database.
async fn applied_migrations(conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let stmt = Query::select()
        .column(Alias::new("version"))
        .from(Alias::new(MIGRATIONS_TABLE))
        .to_owned();
    Ok(conn
        .query_all(conn.get_database_backend().build(&stmt))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect())
}

#[tracing::instrument(skip_all)]
pub async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let url = &settings.database_url;
    if is_postgres(url) {
        if !on_path("pg_dump") {
            bail!(
                "gpmb backup copies SQLite databases; for PostgreSQL run\n  pg_dump --format=custom --no-owner --file {} \"$DATABASE_URL\"\n(pg_dump is not on PATH here)",
                file.display()
            );
        }
        let status = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(file)
            .arg(url)
            .status()
            .context("running pg_dump")?;
        if !status.success() {
            bail!("pg_dump failed ({status})");
        }
        println!("PostgreSQL backup written by pg_dump to {}", file.display());
        return Ok(());
    }
    let source = sqlite_path(url)?;
    if !source.exists() {
        bail!("no database at {}: nothing to back up", source.display());
    }
    if file.exists() {
        bail!(
            "{} already exists; choose a new file name (a backup never overwrites)",
            file.display()
        );
    }
    let conn = open(&source, false).await?;
    if !dialect::sqlite_has_table(&conn, MIGRATIONS_TABLE).await? {
        bail!("{} is not a gpmb database", source.display());
    }
    dialect::sqlite_vacuum_into(&conn, file)
        .await
        .with_context(|| format!("writing the backup to {}", file.display()))?;
    conn.close().await?;
    let copy = open(file, true).await?;
    let check = dialect::sqlite_quick_check(&copy).await?;
    if check != "ok" {
        bail!(
            "the backup in {} does not pass quick_check: {check}",
            file.display()
        );
    }
    let what = summary(&copy).await;
    copy.close().await?;
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    println!(
        "backup of {} written to {} ({size} bytes: {what})",
        source.display(),
        file.display()
    );
    Ok(())
}

#[tracing::instrument(skip_all, fields(force))]
pub async fn restore(settings: &Settings, file: &Path, force: bool) -> anyhow::Result<()> {
    let url = &settings.database_url;
    if is_postgres(url) {
        bail!(
            "gpmb restore replaces SQLite databases; for PostgreSQL restore a pg_dump backup with\n  pg_restore --clean --if-exists --no-owner --dbname \"$DATABASE_URL\" {}",
            file.display()
        );
    }
    if !file.is_file() {
        bail!("no backup file at {}", file.display());
    }
    let target = sqlite_path(url)?;

    // The backup must be a sound gpmb database this build understands.
    let src = open(file, true).await?;
    let check = match dialect::sqlite_quick_check(&src).await {
        Ok(check) => check,
        Err(e) => bail!("{} is not a SQLite database ({e})", file.display()),
    };
    if check != "ok" {
        bail!(
            "{} is damaged (quick_check: {check}); not restored",
            file.display()
        );
    }
    if !dialect::sqlite_has_table(&src, MIGRATIONS_TABLE).await? {
        bail!(
            "{} is a SQLite file but not a gpmb database (no {MIGRATIONS_TABLE} table); not restored",
            file.display()
        );
    }
    let known: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let applied = applied_migrations(&src).await?;
    if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
        bail!(
            "{} comes from a newer gpmb (migration {unknown} is unknown to this build); upgrade gpmb first",
            file.display()
        );
    }
    let what = summary(&src).await;

    if target.exists() && !force {
        let dst = open(&target, true).await?;
        let holds_data = holds_data(&dst).await;
        let existing = summary(&dst).await;
        dst.close().await?;
        if holds_data {
            bail!(
                "{} already holds data ({existing}); pass --force to replace it with the backup",
                target.display()
            );
        }
    }

    // Copy next to the target, then swap it in: the target is never half-written.
    let tmp = target.with_file_name(format!(
        "{}.restore-tmp",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("gpmb.db")
    ));
    let _ = std::fs::remove_file(&tmp);
    dialect::sqlite_vacuum_into(&src, &tmp)
        .await
        .with_context(|| format!("copying the backup to {}", tmp.display()))?;
    src.close().await?;
    std::fs::File::open(&tmp)?.sync_all()?;
    // A WAL or shared-memory file of the old database must not be replayed onto the new one.
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    std::fs::rename(&tmp, &target)
        .with_context(|| format!("moving the restored copy to {}", target.display()))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    // Bring an older backup's schema up to date.
    let db = crate::db::open(url, settings.sqlite_sync).await?;
    drop(db);
    println!(
        "restored {} into {} ({what})",
        file.display(),
        target.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_from_urls() {
        assert_eq!(
            sqlite_path("sqlite://gpmb.db").unwrap(),
            PathBuf::from("gpmb.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/x.db?mode=rwc").unwrap(),
            PathBuf::from("/tmp/x.db")
        );
        assert!(sqlite_path("sqlite::memory:").is_err());
        assert!(is_postgres("postgres://u@h/db"));
    }
}
