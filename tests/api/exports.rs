//! Exports over HTTP and the CLI: GDAL reads the GeoPackage and GeoJSON, personal columns
//! follow the role, rows follow the area, every export is audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use calamine::Reader;
use common::{assert_error, TestApp};
use reqwest::{Client, StatusCode};

const OGRINFO: &str = "/usr/bin/ogrinfo";

/// GDAL's ogrinfo, or None when it is not installed (then the GDAL checks are skipped with a
/// note, except in CI, which installs gdal-bin and must run them).
fn ogrinfo() -> Option<&'static str> {
    if Path::new(OGRINFO).exists() {
        return Some(OGRINFO);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{OGRINFO} is missing but CI is set: install gdal-bin (scripts/test-all does)"
    );
    eprintln!("skipping the GDAL checks: {OGRINFO} not found (apt-get install gdal-bin)");
    None
}

/// `ogrinfo -so -al FILE` → (feature count, full output).
fn ogr_summary(ogrinfo: &str, file: &Path) -> (i64, String) {
    let out = Command::new(ogrinfo)
        .args(["-ro", "-so", "-al"])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ogrinfo failed: {stderr}\n{text}");
    assert!(!stderr.contains("ERROR"), "ogrinfo complained: {stderr}");
    let count = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count in {text}"))
        .parse()
        .unwrap();
    (count, text)
}

async fn download(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    if status == StatusCode::OK {
        let cd = res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cd.starts_with("attachment; filename=\"HPDQ2-"), "{cd}");
    }
    (status, ct, res.bytes().await.unwrap().to_vec())
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV starts with a UTF-8 BOM"
    );
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

async fn project_parcels(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM parcels WHERE project_id = (SELECT id FROM projects WHERE code = 'HPDQ2')",
    )
    .await
}

#[tokio::test]
async fn gdal_reads_the_geopackage_and_the_geojson() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let parcels = project_parcels(&app).await;
    assert!(parcels > 0);
    let dir = tempfile::tempdir().unwrap();

    let (status, ct, gpkg) =
        download(&app, &leader, "/api/v1/projects/HPDQ2/exports/parcels.gpkg").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/geopackage+sqlite3");
    assert!(gpkg.starts_with(b"SQLite format 3\0"));
    assert_eq!(&gpkg[68..72], b"GPKG", "application_id");
    let gpkg_path = dir.path().join("parcels.gpkg");
    std::fs::write(&gpkg_path, &gpkg).unwrap();

    let (status, ct, geojson) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/parcels.geojson",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/geo+json");
    let fc: serde_json::Value = serde_json::from_slice(&geojson).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len() as i64, parcels);
    let statuses = app
        .count(
            "SELECT COUNT(DISTINCT status) FROM parcels WHERE project_id = (SELECT id FROM projects WHERE code = 'HPDQ2')",
        )
        .await;
    let mut seen: Vec<&str> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["status"].as_str().unwrap())
        .collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len() as i64,
        statuses,
        "every parcel carries its status"
    );
    let geojson_path = dir.path().join("parcels.geojson");
    std::fs::write(&geojson_path, &geojson).unwrap();

    let Some(ogr) = ogrinfo() else { return };
    let (count, text) = ogr_summary(ogr, &gpkg_path);
    assert_eq!(count, parcels, "{text}");
    assert!(text.contains("using driver `GPKG' successful"), "{text}");
    assert!(text.contains("Geometry: Polygon"), "{text}");
    assert!(text.contains("status: String"), "{text}");
    assert!(text.contains("WGS 84"), "{text}");
    // Real coordinates around Dung Quất (lon 108.7–108.9, lat 15.2–15.5).
    let extent = text.lines().find(|l| l.starts_with("Extent: ")).unwrap();
    assert!(
        extent.contains("(108.") && extent.contains(", 15."),
        "{extent}"
    );
    let (count, text) = ogr_summary(ogr, &geojson_path);
    assert_eq!(count, parcels, "{text}");
    assert!(text.contains("GeoJSON"), "{text}");

    // One feature read back whole: attributes and geometry.
    let out = Command::new(ogr)
        .args(["-ro", "-al", "-fid", "1"])
        .arg(&gpkg_path)
        .output()
        .unwrap();
    let feature = String::from_utf8_lossy(&out.stdout);
    assert!(feature.contains("POLYGON (("), "{feature}");
    assert!(feature.contains("map_sheet (String) ="), "{feature}");
}

#[tokio::test]
async fn personal_columns_follow_the_role_and_exports_are_audited() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "board")
        .await
        .unwrap();
    let board = Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {token}").parse().unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let households = app
        .count(
            "SELECT COUNT(*) FROM households WHERE project_id = (SELECT id FROM projects WHERE code = 'HPDQ2')",
        )
        .await;

    let (status, ct, full) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/households.csv",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "text/csv; charset=utf-8");
    let (headers, rows) = csv_rows(&full);
    for h in [
        "Mã hộ",
        "Họ và tên chủ hộ",
        "Số CCCD",
        "Số điện thoại",
        "Địa chỉ",
        "Xã",
    ] {
        assert!(headers.contains(&h.to_string()), "{h} in {headers:?}");
    }
    assert_eq!(rows.len() as i64, households);
    let cccd = headers.iter().position(|h| h == "Số CCCD").unwrap();
    let a_cccd = rows
        .iter()
        .map(|r| r[cccd].clone())
        .find(|c| !c.is_empty())
        .unwrap();
    let name_col = headers
        .iter()
        .position(|h| h == "Họ và tên chủ hộ")
        .unwrap();
    let a_name = rows[0][name_col].clone();

    // A project board's token gets no household rows at all, in any format (issue 16.6).
    for file in [
        "households.csv",
        "households.xlsx",
        "visits.xlsx",
        "grievances.csv",
    ] {
        let (status, _, body) = download(
            &app,
            &board,
            &format!("/api/v1/projects/HPDQ2/exports/{file}"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{file}");
        let body = String::from_utf8(body).unwrap();
        assert!(!body.contains(&a_cccd) && !body.contains(&a_name), "{file}");
    }
    let (status, _, xlsx) =
        download(&app, &leader, "/api/v1/projects/HPDQ2/exports/visits.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("Lượt vận động").unwrap();
    let head: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .filter_map(calamine::DataType::as_string)
        .collect();
    assert!(head.contains(&"Họ và tên chủ hộ".to_string()));

    // Parcels: holders' names only for the leader.
    let (_, _, board_parcels) = download(
        &app,
        &board,
        "/api/v1/projects/HPDQ2/exports/parcels.geojson",
    )
    .await;
    let fc: serde_json::Value = serde_json::from_slice(&board_parcels).unwrap();
    let props = &fc["features"][0]["properties"];
    assert!(props.get("holder_names").is_none() && props.get("household_codes").is_none());
    assert!(props.get("status").is_some() && props.get("area_m2").is_some());
    let (_, _, leader_parcels) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/parcels.geojson",
    )
    .await;
    let fc: serde_json::Value = serde_json::from_slice(&leader_parcels).unwrap();
    assert!(fc["features"][0]["properties"]
        .get("holder_names")
        .is_some());

    // Every export above left an audit row saying who, what and whether personal data went out.
    let n = app
        .count("SELECT COUNT(*) FROM audit_events WHERE action = 'export'")
        .await;
    assert_eq!(n, 4, "the refused board exports are not exports");
    let board_rows = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'export' AND actor LIKE 'token:%' \
             AND detail LIKE '%\"personal_data\":false%'",
        )
        .await;
    assert_eq!(board_rows, 1);
    let leader_rows = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'export' AND actor = 'user:leader' \
             AND entity = 'households' AND detail LIKE '%\"personal_data\":true%'",
        )
        .await;
    assert_eq!(leader_rows, 1);
}

#[tokio::test]
async fn members_export_their_area_and_bad_requests_are_4xx() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let leader = app.login("leader").await;
    let (_, _, all) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/households.csv",
    )
    .await;
    let (status, _, mine) = download(
        &app,
        &member,
        "/api/v1/projects/HPDQ2/exports/households.csv",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, all_rows) = csv_rows(&all);
    let (headers, my_rows) = csv_rows(&mine);
    assert!(!my_rows.is_empty() && my_rows.len() < all_rows.len());
    // Every row is in a commune the member's groups cover.
    let (_, me_stats) = app
        .get_json(
            &member,
            &format!(
                "/api/v1/projects/HPDQ2/stats?period={}",
                crate::common::demo_quarter().code()
            ),
        )
        .await;
    let my_communes: Vec<String> = me_stats["current"]["by_commune"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect();
    let commune_col = headers.iter().position(|h| h == "Mã xã").unwrap();
    assert!(my_rows
        .iter()
        .all(|r| my_communes.contains(&r[commune_col])));

    for (path, expected) in [
        (
            "/api/v1/projects/HPDQ2/exports/visits.geojson",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/projects/HPDQ2/exports/households.gpkg",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/projects/HPDQ2/exports/parcels.pdf",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/projects/HPDQ2/exports/parcels",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/projects/HPDQ2/exports/owners.csv",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/projects/NOPE/exports/parcels.csv",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, body) = app.get_json(&leader, path).await;
        assert_error(status, &body, expected);
    }
    let (status, _) = app
        .get_json(
            &app.anonymous(),
            "/api/v1/projects/HPDQ2/exports/parcels.csv",
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cli_exports_every_kind() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let gpmb = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gpmb"))
            .current_dir(dir.path())
            .env("DATABASE_URL", &app.state.settings.database_url)
            .env("GPMB_SQLITE_SYNC", "normal")
            .args(args)
            .output()
            .unwrap()
    };
    for (what, format) in [
        ("parcels", "gpkg"),
        ("parcels", "csv"),
        ("households", "xlsx"),
        ("visits", "csv"),
        ("grievances", "csv"),
    ] {
        let file = format!("{what}.{format}");
        let out = gpmb(&[
            "export",
            what,
            "--project",
            "HPDQ2",
            "--format",
            format,
            "--out",
            &file,
        ]);
        assert!(
            out.status.success(),
            "{what}.{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(dir.path().join(&file).metadata().unwrap().len() > 0);
    }
    let (headers, rows) = csv_rows(&std::fs::read(dir.path().join("parcels.csv")).unwrap());
    assert!(headers.contains(&"Số tờ".to_string()) && headers.contains(&"Số thửa".to_string()));
    assert_eq!(rows.len() as i64, project_parcels(&app).await);
    let (headers, _) = csv_rows(&std::fs::read(dir.path().join("grievances.csv")).unwrap());
    assert!(headers.contains(&"Ngày nhận".to_string()));
    if let Some(ogr) = ogrinfo() {
        let (count, _) = ogr_summary(ogr, &dir.path().join("parcels.gpkg"));
        assert_eq!(count, project_parcels(&app).await);
    }
    let out = gpmb(&[
        "export",
        "visits",
        "--project",
        "HPDQ2",
        "--format",
        "gpkg",
        "--out",
        "v.gpkg",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("csv or xlsx"));
    // CLI exports are audited too.
    let n = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'export' AND actor = 'user:system'",
        )
        .await;
    assert_eq!(n, 5);
}
