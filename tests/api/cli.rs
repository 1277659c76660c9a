//! The `gpmb` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn gpmb(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gpmb"));
    c.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("GPMB_SQLITE_SYNC", "normal");
    c
}

#[test]
fn migrate_user_and_token_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = gpmb(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("gpmb.db").exists(),
        "default database file in the working directory"
    );

    let out = gpmb(dir.path())
        .args([
            "user",
            "create",
            "tho",
            "--role",
            "member",
            "--password",
            "s3cret!",
            "--display-name",
            "Nguyễn Thị Thơ",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gpmb(dir.path())
        .args([
            "user",
            "create",
            "tho",
            "--role",
            "member",
            "--password",
            "x1234",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "duplicate user refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = gpmb(dir.path())
        .args([
            "user",
            "create",
            "z",
            "--role",
            "king",
            "--password",
            "x1234",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "unknown role refused");

    let out = gpmb(dir.path())
        .args(["token", "create", "--project", "HPDQ2", "--scope", "read"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "no such project yet");
    assert!(String::from_utf8_lossy(&out.stderr).contains("HPDQ2"));

    let out = gpmb(dir.path())
        .args(["demo", "--parcels", "100"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gpmb(dir.path())
        .args(["token", "create", "--project", "HPDQ2", "--scope", "write"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap();
    assert!(
        token.starts_with("gpmb_") && !token.contains(' '),
        "token alone on the last line: {stdout}"
    );
}

#[test]
fn serve_demo_starts_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = gpmb(dir.path())
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("gpmb listening on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let all = printed.join("\n");
    assert!(
        all.contains("member_a (demo)") && all.contains("member_b (demo)"),
        "demo logins printed: {all}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        let client = reqwest::Client::new();
        client
            .post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "leader", "password": "demo"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(status, reqwest::StatusCode::OK);
}

#[tokio::test]
async fn demo_today_pins_the_demo_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let out = gpmb(dir.path())
        .args(["demo", "--parcels", "240", "--today", "2026-12-04"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use sea_orm::{ConnectionTrait, Statement};
    let conn =
        sea_orm::Database::connect(format!("sqlite://{}", dir.path().join("gpmb.db").display()))
            .await
            .unwrap();
    let row = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            "SELECT MAX(visited_at) AS v, (SELECT notice_date FROM projects) AS n FROM visits",
        ))
        .await
        .unwrap()
        .unwrap();
    let newest: String = row.try_get("", "v").unwrap();
    let notice: String = row.try_get("", "n").unwrap();
    // Stored in UTC: the newest visit lies within the 7 days before 4 December 2026.
    assert!(
        ("2026-11-27".."2026-12-05").contains(&&newest[..10]),
        "{newest}"
    );
    assert_eq!(notice, "2025-12-17");
    conn.close().await.unwrap();

    let out = gpmb(dir.path())
        .args(["demo", "--today", "04/12/2026"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
}
