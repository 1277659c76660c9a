//! `gpmb backup FILE` / `gpmb restore FILE` through the binary, as an administrator runs them.
//! SQLite only: PostgreSQL databases are backed up with pg_dump (the commands say so).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn gpmb(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gpmb"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("GPMB_SQLITE_SYNC", "normal")
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn fails(out: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(
        stderr.contains(message),
        "expected `{message}` in: {stderr}"
    );
}

fn skip_on_postgres() -> bool {
    if std::env::var("GPMB_TEST_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        eprintln!(
            "skipping: gpmb backup/restore copy SQLite files; PostgreSQL is backed up with pg_dump"
        );
        return true;
    }
    false
}

/// A fingerprint of the data: row counts and the users and households as text.
async fn snapshot(db: &Path) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", db.display()))
        .await
        .unwrap();
    let mut out = String::new();
    for sql in [
        "SELECT COUNT(*) || '' FROM parcels",
        "SELECT COUNT(*) || '' FROM visits",
        "SELECT group_concat(username, ',') FROM (SELECT username FROM users ORDER BY id)",
        "SELECT group_concat(code || ':' || head_name || ':' || COALESCE(stance, '-'), ',') FROM (SELECT * FROM households ORDER BY id)",
        "SELECT group_concat(status, ',') FROM (SELECT status FROM parcels ORDER BY id)",
    ] {
        let row = conn
            .query_one(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        out.push_str(&row.try_get_by_index::<String>(0).unwrap());
        out.push('\n');
    }
    conn.close().await.unwrap();
    out
}

#[tokio::test]
async fn backup_change_restore_gives_the_data_back() {
    if skip_on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&gpmb(d, &["demo", "--parcels", "120"]));
    let before = snapshot(&d.join("gpmb.db")).await;

    let out = ok(&gpmb(d, &["backup", "before.db"]));
    assert!(out.contains("before.db"), "{out}");
    assert!(d.join("before.db").exists());
    // A backup never overwrites.
    fails(&gpmb(d, &["backup", "before.db"]), "already exists");

    // Change things: a new user, and a parcel's status through SQL.
    ok(&gpmb(
        d,
        &[
            "user",
            "create",
            "new_admin",
            "--role",
            "admin",
            "--password",
            "x1234567",
        ],
    ));
    {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(format!("sqlite://{}", d.join("gpmb.db").display()))
            .await
            .unwrap();
        conn.execute_unprepared("UPDATE parcels SET status = 'objecting' WHERE id IN (SELECT id FROM parcels ORDER BY id LIMIT 5)")
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let changed = snapshot(&d.join("gpmb.db")).await;
    assert_ne!(before, changed);
    assert!(changed.contains("new_admin"));

    // The database holds data: restore wants --force.
    fails(&gpmb(d, &["restore", "before.db"]), "--force");
    assert_eq!(
        snapshot(&d.join("gpmb.db")).await,
        changed,
        "refused restore changed nothing"
    );

    let out = ok(&gpmb(d, &["restore", "before.db", "--force"]));
    assert!(out.contains("restored"), "{out}");
    assert_eq!(snapshot(&d.join("gpmb.db")).await, before);
    // The restored database works for the server's commands.
    ok(&gpmb(d, &["migrate"]));
    let out = ok(&gpmb(
        d,
        &[
            "report",
            "--project",
            "HPDQ2",
            "--period",
            "2021",
            "--format",
            "csv",
            "--out",
            "y.csv",
        ],
    ));
    assert!(out.contains("HPDQ2"));

    // Into an empty place (a fresh directory): no --force needed.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(d.join("before.db"), fresh.path().join("b.db")).unwrap();
    ok(&gpmb(fresh.path(), &["restore", "b.db"]));
    assert_eq!(snapshot(&fresh.path().join("gpmb.db")).await, before);
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_gpmb_backup() {
    if skip_on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&gpmb(d, &["migrate"]));
    std::fs::write(d.join("notes.txt"), "không phải cơ sở dữ liệu".repeat(100)).unwrap();
    fails(
        &gpmb(d, &["restore", "notes.txt", "--force"]),
        "not a SQLite database",
    );
    fails(&gpmb(d, &["restore", "missing.db"]), "no backup file");

    // A SQLite file of another application.
    {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(format!(
            "sqlite://{}?mode=rwc",
            d.join("other.db").display()
        ))
        .await
        .unwrap();
        conn.execute_unprepared("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    fails(
        &gpmb(d, &["restore", "other.db", "--force"]),
        "not a gpmb database",
    );
    // The database is still the one it was.
    ok(&gpmb(d, &["backup", "empty.db"]));
    ok(&gpmb(d, &["restore", "empty.db"]));
}

/// Under PostgreSQL, backup hands over to pg_dump (or says to run it) and restore prints the
/// pg_restore command instead of touching a server database.
#[tokio::test]
async fn postgres_backup_uses_pg_dump() {
    if !std::env::var("GPMB_TEST_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        eprintln!("skipping: the pg_dump path needs GPMB_TEST_POSTGRES");
        return;
    }
    let app = common::TestApp::spawn_with(0).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gpmb"))
            .current_dir(dir.path())
            .env("DATABASE_URL", &app.state.settings.database_url)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["backup", "db.dump"]);
    let has_pg_dump = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("pg_dump").is_file()));
    if has_pg_dump {
        ok(&out);
        let bytes = std::fs::read(dir.path().join("db.dump")).unwrap();
        assert!(
            bytes.starts_with(b"PGDMP"),
            "a pg_dump custom-format archive"
        );
    } else {
        fails(&out, "pg_dump --format=custom");
    }
    fails(&run(&["restore", "db.dump"]), "pg_restore --clean");
}
