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

/// `gpmb admin-units import`: a new unit goes in, a second run changes nothing, a changed name
/// is an update, successors can be reset, and a bad file is refused whole with the line and
/// column of each bad cell. On the test's own database: SQLite, or PostgreSQL when
/// `GPMB_TEST_POSTGRES` is set.
#[tokio::test]
async fn admin_units_import_adds_updates_and_refuses_bad_rows() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = crate::common::TestApp::spawn_with(0).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        gpmb(dir.path())
            .env("DATABASE_URL", &app.database_url)
            .args(args)
            .output()
            .unwrap()
    };
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout.clone()).unwrap()
    };
    let header = "province_code,province,ward_code,ward,ward_type,ward_lon,ward_lat,area_km2\r\n";
    let existing = "51,Tỉnh Quảng Ngãi,21061,Xã Vạn Tường,Xã,108.822,15.3351,109.28\r\n";
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let new = write(
        "new.csv",
        format!("{header}{existing}51,Tỉnh Quảng Ngãi,21999,Xã Thử Nghiệm,Xã,108.5,15.0,12.5\r\n"),
    );

    let said = ok(&run(&["admin-units", "import", &new]));
    assert!(
        said.contains("1 inserted, 0 updated, 2 unchanged"),
        "{said}"
    );
    let said = ok(&run(&["admin-units", "import", &new]));
    assert!(
        said.contains("0 inserted, 0 updated, 3 unchanged"),
        "{said}"
    );

    let renamed = write(
        "renamed.csv",
        format!("{header}51,Tỉnh Quảng Ngãi,21999,Xã Thử Nghiệm Mới,Xã,108.5,15.0,12.5\r\n"),
    );
    let said = ok(&run(&["admin-units", "import", "--json", &renamed]));
    let report: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(
        (report["inserted"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(1)),
        "{report}"
    );
    assert_eq!(report["format"], "2025");

    // Bình Thuận (21043) went into Vạn Tường; point it at the new unit, then again.
    let links = write(
        "links.csv",
        "legacy_ward_code,legacy_key,ward_code_2025,key_2025,relation\r\n\
         21043,tinhquangngai_huyenbinhson_xabinhthuan,21999,xathunghiem,whole\r\n"
            .to_string(),
    );
    let said = ok(&run(&["admin-units", "import", &links]));
    assert!(
        said.contains("0 inserted, 1 updated, 0 unchanged"),
        "{said}"
    );
    let said = ok(&run(&["admin-units", "import", &links]));
    assert!(
        said.contains("0 inserted, 0 updated, 1 unchanged"),
        "{said}"
    );

    // A bad row: refused whole, with its line and column; nothing stored.
    let bad = write(
        "bad.csv",
        format!(
            "{header}51,Tỉnh Quảng Ngãi,21998,Xã Khác,Xã,108.5,15.0,1\r\n\
             51,Tỉnh Quảng Ngãi,2199,Xã Sai Mã,Xã,108.5,15.0,1\r\n"
        ),
    );
    let out = run(&["admin-units", "import", &bad]);
    assert!(!out.status.success(), "a bad file is refused");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3, column ward_code"), "{err}");
    let unknown = write(
        "unknown.csv",
        "legacy_ward_code,legacy_key,ward_code_2025,key_2025,relation\r\n\
         21043,k,21999,x,whole\r\n\
         21046,k,98765,x,whole\r\n"
            .to_string(),
    );
    let out = run(&["admin-units", "import", &unknown]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3, column ward_code_2025"), "{err}");

    let conn = &app.db.conn;
    let row = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            "SELECT (SELECT name FROM admin_units WHERE code = '21999') AS name, \
                    (SELECT COUNT(*) FROM admin_units WHERE code = '21998') AS other, \
                    (SELECT s.code FROM admin_units o JOIN admin_units s ON s.id = o.successor_id \
                      WHERE o.code = '21043' AND o.valid_to IS NOT NULL) AS successor, \
                    (SELECT COUNT(*) FROM admin_units) AS total",
        ))
        .await
        .unwrap()
        .unwrap();
    let name: String = row.try_get("", "name").unwrap();
    let other: i64 = row.try_get("", "other").unwrap();
    let successor: String = row.try_get("", "successor").unwrap();
    let total: i64 = row.try_get("", "total").unwrap();
    assert_eq!(name, "Xã Thử Nghiệm Mới");
    assert_eq!(other, 0, "nothing of the refused file stored");
    assert_eq!(successor, "21999");
    assert_eq!(total, 14_149 + 1);

    // Too large a file is refused before it is read.
    let big = dir.path().join("big.csv");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(17 * 1024 * 1024).unwrap();
    let out = run(&["admin-units", "import", big.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most"));
}
