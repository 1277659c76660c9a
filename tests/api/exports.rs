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
        "SELECT COUNT(*) FROM parcels WHERE project_id = (SELECT id FROM projects WHERE code = 'HPDQ2') AND retired_at IS NULL",
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
            "SELECT COUNT(DISTINCT status) FROM parcels WHERE project_id = (SELECT id FROM projects WHERE code = 'HPDQ2') AND retired_at IS NULL",
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
    let board = app.board(false).await;
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

/// An Excel serial date (days since 1899-12-30, the fraction the time of day) as a date-time.
fn excel_serial(serial: f64) -> chrono::NaiveDateTime {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    epoch + chrono::Duration::milliseconds((serial * 86_400_000.0).round() as i64)
}

/// The first sheet of a workbook: header row and the data rows.
fn sheet(xlsx: &[u8]) -> (Vec<String>, Vec<Vec<calamine::Data>>) {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(xlsx.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let mut rows = range.rows();
    let head = rows
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    (head, rows.map(<[calamine::Data]>::to_vec).collect())
}

/// `xl/styles.xml` of a workbook: the number formats its cells use.
fn styles(xlsx: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx.to_vec())).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut text).unwrap();
    text
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("{name} in {head:?}"))
}

#[tokio::test]
async fn xlsx_holds_date_cells_numbers_and_words_in_the_users_language() {
    use calamine::{Data, DataType};
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let vn = chrono::FixedOffset::east_opt(7 * 3600).unwrap();

    // Visits: the time a date-time cell in Vietnam time, commitments a number, participants
    // names joined by ", ", codes as Vietnamese words.
    let (status, _, xlsx) =
        download(&app, &leader, "/api/v1/projects/HPDQ2/exports/visits.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let styles_xml = styles(&xlsx);
    for code in [
        r#"formatCode="dd/mm/yyyy""#,
        r#"formatCode="dd/mm/yyyy hh:mm""#,
        r##"formatCode="#,##0""##,
    ] {
        assert!(styles_xml.contains(code), "{code} in {styles_xml}");
    }
    let (head, rows) = sheet(&xlsx);
    let api: std::collections::HashMap<i64, serde_json::Value> = app
        .all_pages(&leader, "/api/v1/visits?limit=500")
        .await
        .into_iter()
        .map(|v| (v["id"].as_i64().unwrap(), v))
        .collect();
    assert_eq!(rows.len(), api.len());
    let (id, at, count, who, kind, next) = (
        col(&head, "ID"),
        col(&head, "Thời gian"),
        col(&head, "Số cam kết"),
        col(&head, "Thành phần tham dự"),
        col(&head, "Hình thức"),
        col(&head, "Hẹn lần sau"),
    );
    let mut with_people = 0;
    let mut with_next = 0;
    for row in &rows {
        let visit = &api[&(row[id].as_f64().unwrap() as i64)];
        let Data::DateTime(cell) = &row[at] else {
            panic!("visited_at is a date cell, not {:?}", row[at]);
        };
        let expected = chrono::DateTime::parse_from_rfc3339(visit["visited_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&vn)
            .naive_local();
        let got = excel_serial(cell.as_f64());
        assert!(
            (got - expected).num_seconds().abs() < 1,
            "{got} vs {expected}"
        );
        assert!(
            matches!(row[count], Data::Float(_) | Data::Int(_)),
            "{:?}",
            row[count]
        );
        let people: Vec<&str> = visit["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        if !people.is_empty() {
            with_people += 1;
            assert_eq!(row[who].to_string(), people.join(", "));
        }
        assert!(!row[who].to_string().contains('['), "{:?}", row[who]);
        assert!(
            !["home_visit", "group_meeting", "dialogue", "phone"]
                .contains(&row[kind].to_string().as_str()),
            "{:?}",
            row[kind]
        );
        if !visit["next_visit_on"].is_null() {
            with_next += 1;
            let Data::DateTime(d) = &row[next] else {
                panic!("next_visit_on is a date cell, not {:?}", row[next]);
            };
            assert_eq!(
                excel_serial(d.as_f64()).date().to_string(),
                visit["next_visit_on"].as_str().unwrap()
            );
        }
    }
    assert!(
        with_people > 0 && with_next > 0,
        "{with_people} {with_next}"
    );

    // Grievances in English: headers and channels in words, dates as date cells.
    let codes = [
        "direct",
        "mail",
        "citizen_reception",
        "meeting",
        "phone",
        "online",
        "forwarded",
    ];
    let (status, _, xlsx) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/grievances.xlsx?lang=en",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (head, rows) = sheet(&xlsx);
    assert!(!rows.is_empty());
    let (channel, received) = (col(&head, "Channel"), col(&head, "Received on"));
    for row in &rows {
        let c = row[channel].to_string();
        assert!(!c.is_empty() && !codes.contains(&c.as_str()), "{c}");
        assert!(row[received].is_datetime(), "{:?}", row[received]);
    }
    let (_, _, xlsx) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/grievances.xlsx",
    )
    .await;
    let (head_vi, rows_vi) = sheet(&xlsx);
    let channel_vi = col(&head_vi, "Hình thức tiếp nhận");
    assert_ne!(
        rows_vi[0][channel_vi].to_string(),
        rows[0][channel].to_string(),
        "the words follow the language"
    );

    // Households: members a count; parcels: areas numbers, updated_at a date-time cell.
    let (_, _, xlsx) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/households.xlsx",
    )
    .await;
    let (head, rows) = sheet(&xlsx);
    let members = col(&head, "Số nhân khẩu");
    assert!(rows
        .iter()
        .all(|r| matches!(r[members], Data::Float(_) | Data::Int(_))));
    let (_, _, xlsx) = download(&app, &leader, "/api/v1/projects/HPDQ2/exports/parcels.xlsx").await;
    let styles_xml = styles(&xlsx);
    assert!(
        styles_xml.contains(r##"formatCode="#,##0.00""##),
        "{styles_xml}"
    );
    let (head, rows) = sheet(&xlsx);
    let (area, updated) = (col(&head, "Diện tích (m²)"), col(&head, "Cập nhật lúc"));
    assert!(rows.iter().all(|r| matches!(r[area], Data::Float(_))));
    assert!(rows.iter().all(|r| r[updated].is_datetime()));
}

#[tokio::test]
async fn geopackage_has_a_spatial_index_and_a_datetime_column() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let parcels = project_parcels(&app).await;
    let (status, _, gpkg) =
        download(&app, &leader, "/api/v1/projects/HPDQ2/exports/parcels.gpkg").await;
    assert_eq!(status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parcels.gpkg");
    std::fs::write(&path, &gpkg).unwrap();
    let Some(ogr) = ogrinfo() else { return };
    let (_, text) = ogr_summary(ogr, &path);
    assert!(text.contains("updated_at: DateTime"), "{text}");
    let sql = |q: &str| {
        let out = Command::new(ogr)
            .args(["-ro", "-q"])
            .arg(&path)
            .args(["-sql", q])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let has = sql("SELECT HasSpatialIndex('parcels', 'geom')");
    assert!(has.contains("HasSpatialIndex (Integer) = 1"), "{has}");
    let indexed = sql("SELECT COUNT(*) FROM rtree_parcels_geom");
    assert!(
        indexed.contains(&format!("(Integer) = {parcels}")),
        "every parcel in the index: {indexed}"
    );
    // GDAL's own GeoPackage validator, where it is installed (python3-gdal).
    let validator = [
        "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
        "/usr/share/doc/python3-gdal/examples/validate_gpkg.py",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    if let Some(validator) = validator {
        let out = Command::new("/usr/bin/python3")
            .args([validator, "--warning-as-error"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "validate_gpkg.py: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("validate_gpkg.py not found (Debian python3-gdal): skipping it");
    }
}

#[tokio::test]
async fn a_project_boards_token_exports_no_personal_data_in_any_format() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "board")
        .await
        .unwrap();
    let board = reqwest::Client::builder()
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
    // What the leader's export shows of people: names, CCCD numbers and the vulnerable flags.
    let (_, _, full) = download(
        &app,
        &leader,
        "/api/v1/projects/HPDQ2/exports/households.csv",
    )
    .await;
    let (head, rows) = csv_rows(&full);
    let mut personal: Vec<String> = Vec::new();
    for name in ["Họ và tên chủ hộ", "Số CCCD", "Số điện thoại"] {
        let c = head.iter().position(|h| h == name).unwrap();
        personal.extend(rows.iter().map(|r| r[c].clone()).filter(|v| v.len() > 3));
    }
    let vulnerable = head
        .iter()
        .position(|h| h == "Đối tượng chính sách")
        .unwrap();
    let flags: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r[vulnerable]
                .split("; ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|f| !f.is_empty())
        .collect();
    assert!(!flags.is_empty() && !personal.is_empty());

    for what in ["parcels", "households", "visits", "grievances"] {
        for format in ["csv", "xlsx", "geojson", "gpkg"] {
            let file = format!("{what}.{format}");
            let (status, _, body) = download(
                &app,
                &board,
                &format!("/api/v1/projects/HPDQ2/exports/{file}"),
            )
            .await;
            if what == "parcels" {
                assert_eq!(status, StatusCode::OK, "{file}");
            } else {
                assert!(
                    matches!(
                        status,
                        StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
                    ),
                    "{file}: {status}"
                );
            }
            // Every text the file holds, unpacked where it is zipped.
            let text = if format == "xlsx" && status == StatusCode::OK {
                let (h, rows) = sheet(&body);
                let mut all = h.join("\n");
                for r in rows {
                    all.extend(r.iter().map(|c| format!("\n{c}")));
                }
                all
            } else {
                String::from_utf8_lossy(&body).to_string()
            };
            for p in personal.iter().chain(&flags) {
                assert!(!text.contains(p.as_str()), "{file} holds {p}");
            }
            for header in ["Họ và tên chủ hộ", "Số CCCD", "Mã hộ", "holder_names"] {
                assert!(!text.contains(header), "{file} has the column {header}");
            }
        }
    }

    // And the table itself leaves the vulnerable flags out whenever personal data is not
    // allowed, whatever the rows.
    let project = gpmb::projects::service::visible_project(
        &app.db.conn,
        &gpmb::auth::Principal::cli(),
        "HPDQ2",
    )
    .await
    .unwrap();
    let t = gpmb::exports::service::table(
        &app.db.conn,
        &gpmb::auth::Principal::cli(),
        &project,
        gpmb::exports::service::What::Households,
        false,
        false,
        gpmb::i18n::Lang::Vi,
    )
    .await
    .unwrap();
    let keys: Vec<&str> = t.columns.iter().map(|c| c.key).collect();
    for key in ["head_name", "id_number", "phone", "address", "vulnerable"] {
        assert!(!keys.contains(&key), "{key} in {keys:?}");
    }
}

/// A visit note or concern that a spreadsheet would run (`=HYPERLINK(…)`, `+…`, `-…`, `@…`)
/// is posted through the API and exported: in CSV the cell starts with `'`, in XLSX it is a
/// text cell holding the note as written, and the sheet has no formula at all.
#[tokio::test]
async fn notes_that_would_run_as_formulas_are_exported_as_text() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let leader = app.login("leader").await;
    let household = app
        .count(
            "SELECT CAST(MIN(h.id) AS BIGINT) FROM households h JOIN admin_units u ON u.id = h.commune_id \
             WHERE u.code = '21043' AND u.valid_to IS NOT NULL",
        )
        .await;
    let (_, me) = app.get_json(&member, "/api/v1/auth/me").await;
    let group = me["working_groups"][0].as_i64().unwrap();
    let notes = [
        r#"=HYPERLINK("http://x","y")"#,
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
    ];
    let mut ids = Vec::new();
    for (i, note) in notes.iter().enumerate() {
        let (status, visit) = app
            .post_json(
                &member,
                "/api/v1/visits",
                &serde_json::json!({
                    "household_id": household,
                    "working_group_id": group,
                    "visited_at": format!("2026-11-2{i}T09:30:00+07:00"),
                    "kind": "home_visit",
                    "participants": [note],
                    "topics": ["compensation_price"],
                    "stance": "considering",
                    "concerns": note,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
        ids.push(visit["id"].as_i64().unwrap());
    }

    let (status, _, bytes) =
        download(&app, &leader, "/api/v1/projects/HPDQ2/exports/visits.csv").await;
    assert_eq!(status, StatusCode::OK);
    let (_, rows) = csv_rows(&bytes);
    for (id, note) in ids.iter().zip(notes) {
        let row = rows
            .iter()
            .find(|r| r[0] == id.to_string())
            .unwrap_or_else(|| panic!("visit {id} in the CSV"));
        let quoted = format!("'{note}");
        assert_eq!(
            row.iter().filter(|c| **c == quoted).count(),
            2,
            "participants and concerns start with ': {row:?}"
        );
        assert!(!row.iter().any(|c| c == note), "{row:?}");
    }

    let (status, _, xlsx) =
        download(&app, &leader, "/api/v1/projects/HPDQ2/exports/visits.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let (_, rows) = sheet(&xlsx);
    for (id, note) in ids.iter().zip(notes) {
        let row = rows
            .iter()
            .find(|r| r[0] == calamine::Data::Float(*id as f64))
            .unwrap_or_else(|| panic!("visit {id} in the sheet"));
        assert!(
            row.contains(&calamine::Data::String(note.to_string())),
            "a text cell holds the note as written: {row:?}"
        );
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(xml.contains("HYPERLINK"), "the note is in the sheet");
    assert!(
        !xml.contains("<f>") && !xml.contains("<f "),
        "no formula in the sheet"
    );
}

/// Exports are read a page at a time: with pages of a few rows the files are the same bytes
/// as with the default pages — no row lost or repeated, the order kept (visits by time then
/// id, with visits at the same minute across a page boundary; grievances by day then id).
#[tokio::test]
async fn small_pages_give_the_same_files_as_large_ones() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let household = app
        .count(
            "SELECT CAST(MIN(h.id) AS BIGINT) FROM households h JOIN admin_units u ON u.id = h.commune_id \
             WHERE u.code = '21043' AND u.valid_to IS NOT NULL",
        )
        .await;
    let (_, me) = app.get_json(&member, "/api/v1/auth/me").await;
    let group = me["working_groups"][0].as_i64().unwrap();
    // Five visits at the same time: ties broken by id, across pages of 2 and 3.
    for _ in 0..5 {
        let (status, visit) = app
            .post_json(
                &member,
                "/api/v1/visits",
                &serde_json::json!({
                    "household_id": household,
                    "working_group_id": group,
                    "visited_at": "2026-11-20T09:30:00+07:00",
                    "kind": "home_visit",
                    "participants": ["Nguyễn Văn Bình"],
                    "topics": ["compensation_price"],
                    "stance": "considering",
                    "concerns": "",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
    }
    let who = gpmb::auth::Principal::cli();
    let project = gpmb::projects::service::visible_project(&app.db.conn, &who, "HPDQ2")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for what in ["parcels", "households", "visits", "grievances"] {
        let req = gpmb::exports::service::Request {
            who: &who,
            project: &project,
            what: gpmb::exports::service::What::parse(what).unwrap(),
            format: gpmb::exports::service::Format::Csv,
            lang: gpmb::i18n::Lang::Vi,
            reveal_id_number: false,
        };
        let mut files = Vec::new();
        for page in [5_000, 3, 2] {
            let path = dir.path().join(format!("{what}-{page}.csv"));
            let seen = std::sync::Mutex::new(Vec::new());
            let out = gpmb::exports::service::export_in_pages(
                &app.db.conn,
                &req,
                &path,
                &|done, total| seen.lock().unwrap().push((done, total)),
                page,
            )
            .await
            .unwrap();
            let seen = seen.into_inner().unwrap();
            assert!(out.rows > 4, "{what}: {} rows", out.rows);
            assert_eq!(
                seen.last(),
                Some(&(out.rows, out.rows)),
                "{what}: progress ends at the total"
            );
            if page == 2 {
                assert_eq!(
                    seen.len() as u64,
                    out.rows.div_ceil(2),
                    "{what}: pages of 2"
                );
            }
            files.push(std::fs::read(&path).unwrap());
        }
        let (_, rows) = csv_rows(&files[0]);
        assert!(rows.len() > 4, "{what}");
        assert_eq!(files[1], files[0], "{what}: pages of 3");
        assert_eq!(files[2], files[0], "{what}: pages of 2");
    }
}
