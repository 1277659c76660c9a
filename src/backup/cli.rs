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
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::config::Settings;

const MIGRATIONS_TABLE: &str = "seaql_migrations";

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
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

async fn open(path: &Path, read_only: bool) -> anyhow::Result<SqliteConnection> {
    let url = format!("sqlite://{}", path.display());
    SqliteConnectOptions::from_str(&url)?
        .read_only(read_only)
        .create_if_missing(false)
        .connect()
        .await
        .with_context(|| format!("cannot open {} as a SQLite database", path.display()))
}

async fn count(conn: &mut SqliteConnection, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .unwrap_or(0)
}

async fn has_table(conn: &mut SqliteConnection, table: &str) -> anyhow::Result<bool> {
    Ok(
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// What a gpmb database holds, for messages.
async fn summary(conn: &mut SqliteConnection) -> String {
    let mut parts = Vec::new();
    for t in ["projects", "parcels", "households", "visits", "users"] {
        parts.push(format!("{} {t}", count(conn, t).await));
    }
    parts.join(", ")
}

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
    let mut conn = open(&source, false).await?;
    if !has_table(&mut conn, MIGRATIONS_TABLE).await? {
        bail!("{} is not a gpmb database", source.display());
    }
    sqlx::query("VACUUM INTO ?")
        .bind(file.to_string_lossy().to_string())
        .execute(&mut conn)
        .await
        .with_context(|| format!("writing the backup to {}", file.display()))?;
    conn.close().await?;
    let mut copy = open(file, true).await?;
    let check: String = sqlx::query("PRAGMA quick_check")
        .fetch_one(&mut copy)
        .await?
        .try_get(0)?;
    if check != "ok" {
        bail!(
            "the backup in {} does not pass quick_check: {check}",
            file.display()
        );
    }
    let what = summary(&mut copy).await;
    copy.close().await?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup of {} written to {} ({size} bytes: {what})",
        source.display(),
        file.display()
    );
    Ok(())
}

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
    let mut src = open(file, true).await?;
    let check: String = match sqlx::query("PRAGMA quick_check").fetch_one(&mut src).await {
        Ok(row) => row.try_get(0)?,
        Err(e) => bail!("{} is not a SQLite database ({e})", file.display()),
    };
    if check != "ok" {
        bail!(
            "{} is damaged (quick_check: {check}); not restored",
            file.display()
        );
    }
    if !has_table(&mut src, MIGRATIONS_TABLE).await? {
        bail!(
            "{} is a SQLite file but not a gpmb database (no {MIGRATIONS_TABLE} table); not restored",
            file.display()
        );
    }
    let known: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let applied: Vec<String> = sqlx::query(&format!("SELECT version FROM {MIGRATIONS_TABLE}"))
        .fetch_all(&mut src)
        .await?
        .iter()
        .filter_map(|r| r.try_get::<String, _>(0).ok())
        .collect();
    if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
        bail!(
            "{} comes from a newer gpmb (migration {unknown} is unknown to this build); upgrade gpmb first",
            file.display()
        );
    }
    let what = summary(&mut src).await;

    if target.exists() && !force {
        let mut dst = open(&target, true).await?;
        let holds_data = has_table(&mut dst, "projects").await.unwrap_or(true) && {
            let mut n = 0;
            for t in ["projects", "parcels", "households", "users"] {
                n += count(&mut dst, t).await;
            }
            n > 0
        };
        let existing = summary(&mut dst).await;
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
    sqlx::query("VACUUM INTO ?")
        .bind(tmp.to_string_lossy().to_string())
        .execute(&mut src)
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
