//! Parcel and household imports (issue 7): the HTTP uploads and the `gpmb import` command on
//! the committed fixtures in fixtures/import/ (see its README for how they were made).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import")
        .join(name)
}

/// The oracle point the first fixture parcel's south-west corner sits on (PROJ 9.5.1):
/// EPSG:5898 (600607.136, 1702114.490) → (108.939028107, 15.388273420).
const ORACLE_E: f64 = 600_607.136;
const ORACLE_N: f64 = 1_702_114.490;
const ORACLE_LON: f64 = 108.939_028_107;
const ORACLE_LAT: f64 = 15.388_273_420;

async fn upload(
    app: &TestApp,
    client: &Client,
    what: &str,
    file: &str,
    content_type: &str,
    query: &str,
) -> (StatusCode, Value) {
    let bytes = std::fs::read(fixture(file)).unwrap();
    let res = client
        .post(app.url(&format!(
            "/api/v1/projects/HPDQ2/imports/{what}?filename={file}{query}"
        )))
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    json_of(res).await
}

/// The fixture parcels of a map sheet, by parcel number.
async fn sheet(app: &TestApp, client: &Client, map_sheet: &str) -> Vec<Value> {
    let mut items: Vec<Value> = app
        .all_pages(
            client,
            "/api/v1/projects/HPDQ2/parcels?commune=21043&limit=500",
        )
        .await
        .into_iter()
        .filter(|p| p["map_sheet"] == map_sheet)
        .collect();
    items.sort_by_key(|p| p["parcel_no"].as_str().unwrap().parse::<i32>().unwrap());
    items
}

fn first_vertex(parcel: &Value) -> (f64, f64) {
    let g = &parcel["geometry"];
    let ring = match g["type"].as_str() {
        Some("Polygon") => &g["coordinates"][0],
        _ => &g["coordinates"][0][0],
    };
    (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap())
}

/// Every vertex of each imported parcel must be the WGS84 position of its VN-2000 source
/// vertex; the first parcel's first vertex is checked against PROJ itself.
async fn check_reprojected(app: &TestApp, parcels: &[Value]) {
    let (lon, lat) = first_vertex(&parcels[0]);
    assert!(
        (lon - ORACLE_LON).abs() < 1e-7 && (lat - ORACLE_LAT).abs() < 1e-7,
        "first vertex {lon} {lat}"
    );
    for p in parcels {
        assert_eq!(p["source_crs"], "EPSG:5898");
        let id = p["id"].as_i64().unwrap();
        let source: Value = serde_json::from_str(&source_geometry(app, id).await).unwrap();
        let src = &source["coordinates"][0];
        let dst = &p["geometry"]["coordinates"][0];
        assert_eq!(src.as_array().unwrap().len(), dst.as_array().unwrap().len());
        for (s, d) in src.as_array().unwrap().iter().zip(dst.as_array().unwrap()) {
            let [x, y] = gpmb::geo::vn2000::vn2000_to_wgs84(
                s[0].as_f64().unwrap(),
                s[1].as_f64().unwrap(),
                108.0,
            );
            assert!(
                (x - d[0].as_f64().unwrap()).abs() < 1e-7
                    && (y - d[1].as_f64().unwrap()).abs() < 1e-7
            );
        }
    }
    let src: Value =
        serde_json::from_str(&source_geometry(app, parcels[0]["id"].as_i64().unwrap()).await)
            .unwrap();
    let c = &src["coordinates"][0][0];
    assert!(
        (c[0].as_f64().unwrap() - ORACLE_E).abs() < 1e-6
            && (c[1].as_f64().unwrap() - ORACLE_N).abs() < 1e-6,
        "source geometry kept in metres: {src}"
    );
}

async fn source_geometry(app: &TestApp, id: i64) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .conn
        .query_one(Statement::from_string(
            app.db.backend(),
            format!("SELECT source_geometry FROM parcels WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<Option<String>>("", "source_geometry")
        .unwrap()
        .expect("source geometry kept")
}

#[tokio::test]
async fn geojson_in_vn2000_imports_updates_and_records_lineage() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let before = app.count("SELECT COUNT(*) FROM parcels").await;

    // Members may not import.
    let member = app.login("member_a").await;
    let (status, _) = upload(
        &app,
        &member,
        "parcels",
        "parcels_5898.geojson",
        "application/geo+json",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Dry run: the report, nothing stored.
    let (status, report) = upload(
        &app,
        &admin,
        "parcels",
        "parcels_5898.geojson",
        "application/geo+json",
        "&dry_run=true",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 6);
    assert_eq!(report["committed"], false);
    assert_eq!(report["source_crs"], "EPSG:5898");
    assert_eq!(app.count("SELECT COUNT(*) FROM parcels").await, before);

    let (status, report) = upload(
        &app,
        &admin,
        "parcels",
        "parcels_5898.geojson",
        "application/geo+json",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (
            &report["inserted"],
            &report["updated"],
            &report["unchanged"],
            &report["committed"]
        ),
        (&json!(6), &json!(0), &json!(0), &json!(true))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM parcels").await, before + 6);
    let parcels = sheet(&app, &admin, "90").await;
    assert_eq!(parcels.len(), 6);
    check_reprojected(&app, &parcels).await;
    assert_eq!(parcels[1]["land_use"], "ONT");
    // Parcels counted in the progress counters at once.
    let (_, progress) = app
        .get_json(&admin, "/api/v1/projects/HPDQ2/progress")
        .await;
    assert!(progress.to_string().contains("not_contacted"));
    // Audited.
    let (_, audit) = app
        .get_json(&admin, "/api/v1/audit?entity=parcels&action=import")
        .await;
    assert_eq!(audit["items"][0]["detail"]["inserted"], 6, "{audit}");

    // Re-import of the updated file: 2 changed land use, 6 split (7 cut from it), 4 and 5
    // merged into 8.
    let (status, report) = upload(
        &app,
        &admin,
        "parcels",
        "parcels_5898_updated.geojson",
        "application/geo+json",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (
            &report["inserted"],
            &report["updated"],
            &report["unchanged"]
        ),
        (&json!(2), &json!(2), &json!(2)),
        "{report}"
    );
    let mut links: Vec<(String, String, String)> = report["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["parcel"].as_str().unwrap().to_string(),
                l["parent"].as_str().unwrap().to_string(),
                l["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    links.sort();
    assert_eq!(
        links,
        vec![
            ("21043/90/7".into(), "21043/90/6".into(), "split".into()),
            ("21043/90/8".into(), "21043/90/4".into(), "merge".into()),
            ("21043/90/8".into(), "21043/90/5".into(), "merge".into()),
        ]
    );
    let after = sheet(&app, &admin, "90").await;
    let by_no = |no: &str| {
        after
            .iter()
            .find(|p| p["parcel_no"] == no)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_no("2")["version"], 2);
    assert_eq!(by_no("2")["land_use"], "CLN");
    assert_eq!(by_no("1")["version"], 1);
    assert_eq!(by_no("6")["version"], 2);
    assert_eq!(by_no("7")["parent_parcel"], by_no("6")["id"]);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM parcel_lineage WHERE parcel_id = {} AND kind = 'merge'",
            by_no("8")["id"]
        ))
        .await,
        2
    );

    // A file with errors: nothing stored, each bad feature named.
    let count = app.count("SELECT COUNT(*) FROM parcels").await;
    let (status, body) = upload(
        &app,
        &admin,
        "parcels",
        "parcels_errors.geojson",
        "application/geo+json",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_import");
    let errors = body["error"]["details"]["errors"].as_array().unwrap();
    let got: Vec<(i64, &str)> = errors
        .iter()
        .map(|e| (e["index"].as_i64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "missing_parcel_no"),
            (2, "unknown_land_use"),
            (3, "duplicate_in_file"),
            (4, "self_intersection"),
            (5, "overlap"),
        ],
        "{body}"
    );
    assert_eq!(errors[2]["key"], "21043/91/1");
    assert_eq!(app.count("SELECT COUNT(*) FROM parcels").await, count);

    // Metres without a CRS.
    let metres = std::fs::read_to_string(fixture("parcels_5898.geojson")).unwrap();
    let mut v: Value = serde_json::from_str(&metres).unwrap();
    v.as_object_mut().unwrap().remove("crs");
    let res = admin
        .post(app.url("/api/v1/projects/HPDQ2/imports/parcels"))
        .header("content-type", "application/geo+json")
        .body(v.to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "missing_crs");
}

#[tokio::test]
async fn zipped_shapefile_imports_with_its_prj() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (status, report) = upload(
        &app,
        &admin,
        "parcels",
        "parcels_5898.zip",
        "application/zip",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 6);
    assert_eq!(report["source_crs"], "EPSG:5898");
    let parcels = sheet(&app, &admin, "90").await;
    assert_eq!(parcels.len(), 6);
    check_reprojected(&app, &parcels).await;
    assert_eq!(parcels[0]["land_use"], "LUC");
}

#[tokio::test]
async fn household_registers_report_rows_and_import_all_or_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (status, report) = upload(
        &app,
        &admin,
        "parcels",
        "parcels_5898.geojson",
        "application/geo+json",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let households = app.count("SELECT COUNT(*) FROM households").await;

    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let (status, body) = upload(
        &app,
        &admin,
        "households",
        "households_errors.xlsx",
        xlsx,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let errors = body["error"]["details"]["errors"].as_array().unwrap();
    let got: Vec<(i64, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (5, "Họ và tên chủ hộ", "missing_head_name"),
            (7, "Số thửa", "unknown_parcel"),
            (8, "Số CCCD", "duplicate_in_file"),
            (9, "Hộ nghèo", "invalid_flag"),
        ],
        "{body}"
    );
    // Row 6's CCCD was typed as a number and lost its leading 0: padded back, with a warning.
    let warnings = body["error"]["details"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert_eq!(warnings[0]["row"], 6);
    assert_eq!(warnings[0]["code"], "id_number_padded");
    assert_eq!(warnings[0]["details"]["padded"], "051090022347");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM households").await,
        households
    );

    // Dry run of the clean register stores nothing either.
    let (status, report) = upload(
        &app,
        &admin,
        "households",
        "households_clean.xlsx",
        xlsx,
        "&dry_run=true",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 5);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM households").await,
        households
    );

    let (status, report) = upload(
        &app,
        &admin,
        "households",
        "households_clean.xlsx",
        xlsx,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 5);
    let (status, page) = app
        .get_json(&admin, "/api/v1/households?q=dang van thanh&project=HPDQ2")
        .await;
    assert_eq!(status, StatusCode::OK);
    let found: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["id_number"] == "051*******47")
        .collect();
    assert_eq!(found.len(), 1, "{page}");
    let h = found[0];
    assert_eq!(h["head_name"], "Đặng Văn Thành");
    assert_eq!(h["commune"]["code"], "21043");
    assert_eq!(h["parcels"][0]["map_sheet"], "90");
    assert_eq!(h["parcels"][0]["parcel_no"], "3");
    assert_eq!(h["vulnerable"], json!(["poor", "ethnic_minority"]));

    // The CSV register (other households) goes in too; the same file twice is refused.
    let (status, report) =
        upload(&app, &admin, "households", "households.csv", "text/csv", "").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 3);
    let (status, body) = upload(&app, &admin, "households", "households.csv", "text/csv", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["details"]["errors"][0]["code"],
        "already_registered"
    );
    let (_, page) = app
        .get_json(&admin, "/api/v1/households?q=vo thi hong")
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM import_batches WHERE kind = 'households'")
            .await,
        2
    );
}

fn gpmb(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gpmb"));
    c.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("GPMB_SQLITE_SYNC", "normal");
    c
}

#[test]
fn cli_imports_parcels_and_households() {
    let dir = tempfile::tempdir().unwrap();
    let out = gpmb(dir.path())
        .args(["demo", "--parcels", "60"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |args: &[&str]| {
        let out = gpmb(dir.path()).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let geojson = fixture("parcels_5898.geojson");
    let geojson = geojson.to_str().unwrap();

    let (ok, stdout, stderr) = run(&[
        "import",
        "parcels",
        geojson,
        "--project",
        "HPDQ2",
        "--dry-run",
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("dry run, nothing stored; would import: 6 inserted"),
        "{stdout}"
    );

    let (ok, stdout, stderr) = run(&["import", "parcels", geojson, "--project", "HPDQ2"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("imported: 6 inserted, 0 updated, 0 unchanged"),
        "{stdout}"
    );
    assert!(stdout.contains("CRS EPSG:5898"), "{stdout}");

    // A flag contradicting the file's CRS is refused.
    let (ok, _, stderr) = run(&[
        "import",
        "parcels",
        geojson,
        "--project",
        "HPDQ2",
        "--crs",
        "EPSG:9216",
    ]);
    assert!(!ok);
    assert!(stderr.contains("crs_conflict"), "{stderr}");

    let (ok, stdout, _) = run(&[
        "import",
        "parcels",
        fixture("parcels_errors.geojson").to_str().unwrap(),
        "--project",
        "HPDQ2",
    ]);
    assert!(!ok);
    for expected in [
        "feature 1",
        "feature 2",
        "feature 3",
        "feature 4",
        "feature 5",
        "0 inserted",
    ] {
        assert!(stdout.contains(expected), "{expected} missing in {stdout}");
    }

    let (ok, stdout, stderr) = run(&[
        "import",
        "households",
        fixture("households_clean.xlsx").to_str().unwrap(),
        "--project",
        "HPDQ2",
        "--json",
    ]);
    assert!(ok, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["inserted"], 5);
    assert_eq!(report["committed"], true);

    let (ok, stdout, _) = run(&[
        "import",
        "households",
        fixture("households_errors.xlsx").to_str().unwrap(),
        "--project",
        "HPDQ2",
    ]);
    assert!(!ok);
    assert!(
        stdout.contains("row 5 column \"Họ và tên chủ hộ\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: row 6 column \"Số CCCD\"") && stdout.contains("051090022347"),
        "{stdout}"
    );

    let (ok, _, stderr) = run(&["import", "parcels", geojson, "--project", "NOPE"]);
    assert!(!ok);
    assert!(stderr.contains("NOPE"));
}

// ---- the fixtures ----------------------------------------------------------------------------

/// A VN-2000 rectangle (metres) as a closed ring, counter-clockwise from its south-west corner.
fn rect(e: f64, n: f64, w: f64, h: f64) -> Value {
    let r = |v: f64| (v * 1000.0).round() / 1000.0;
    json!([[
        [r(e), r(n)],
        [r(e + w), r(n)],
        [r(e + w), r(n + h)],
        [r(e), r(n + h)],
        [r(e), r(n)]
    ]])
}

fn feature(props: Value, coordinates: Value) -> Value {
    json!({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": coordinates}})
}

fn collection(features: Vec<Value>) -> Value {
    json!({
        "type": "FeatureCollection",
        "name": "thua_dat",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5898"}},
        "features": features,
    })
}

/// Six 25 m × 40 m parcels on map sheet 90 of Bình Thuận (21043), two rows of three sharing
/// their edges, south-west corner on the oracle point.
fn sheet_90(cell: impl Fn(usize) -> (f64, f64, f64, f64)) -> Vec<(usize, Value)> {
    (1..=6)
        .map(|i| {
            (i, {
                let (e, n, w, h) = cell(i);
                rect(e, n, w, h)
            })
        })
        .collect()
}

fn grid(i: usize) -> (f64, f64, f64, f64) {
    let col = ((i - 1) % 3) as f64;
    let row = ((i - 1) / 3) as f64;
    (ORACLE_E + 25.0 * col, ORACLE_N + 40.0 * row, 25.0, 40.0)
}

const LAND_USE: [&str; 6] = ["LUC", "ONT", "CLN", "BHK", "NTS", "ONT"];

fn write_json(name: &str, v: &Value) {
    std::fs::write(
        fixture(name),
        serde_json::to_string_pretty(v).unwrap() + "\n",
    )
    .unwrap();
}

/// Regenerates fixtures/import/ (run by hand: `cargo test --test api imports::regenerate_fixtures -- --ignored`).
#[test]
#[ignore = "regenerates the fixtures, run by hand"]
fn regenerate_fixtures() {
    let props = |i: usize, lu: &str| json!({"MAXA": "21043", "SHBANDO": 90, "SHTHUA": i, "MDSD": lu, "CHUSDD": format!("Chủ sử dụng {i}")});
    let first: Vec<Value> = sheet_90(grid)
        .into_iter()
        .map(|(i, c)| feature(props(i, LAND_USE[i - 1]), c))
        .collect();
    write_json("parcels_5898.geojson", &collection(first));

    // Updated survey: 2 changes land use; 6 is split (its east 10 m become 7); 4 and 5 merge
    // into 8.
    let mut updated = Vec::new();
    for i in [1, 2, 3] {
        let lu = if i == 2 { "CLN" } else { LAND_USE[i - 1] };
        let (e, n, w, h) = grid(i);
        updated.push(feature(props(i, lu), rect(e, n, w, h)));
    }
    let (e6, n6, _, h6) = grid(6);
    updated.push(feature(props(6, "ONT"), rect(e6, n6, 15.0, h6)));
    let mut p7 = props(7, "ONT");
    p7["tach_tu"] = json!("6");
    updated.push(feature(p7, rect(e6 + 15.0, n6, 10.0, h6)));
    let (e4, n4, _, _) = grid(4);
    updated.push(feature(props(8, "NTS"), rect(e4, n4, 50.0, 40.0)));
    write_json("parcels_5898_updated.geojson", &collection(updated));

    // Errors, on sheet 91 (north of sheet 90): 0 is fine; 1 lacks its number; 2 has an unknown
    // land use; 3 repeats 0's key; 4 is a bow tie; 5 overlaps 0.
    let base_n = ORACLE_N + 200.0;
    let p = |no: Option<i32>, lu: &str| {
        let mut v = json!({"ma_xa": "21043", "so_to": "91", "loai_dat": lu});
        if let Some(no) = no {
            v["so_thua"] = json!(no.to_string());
        }
        v
    };
    let e0 = ORACLE_E;
    let bow = json!([[
        [e0 + 150.0, base_n],
        [e0 + 170.0, base_n + 20.0],
        [e0 + 170.0, base_n],
        [e0 + 150.0, base_n + 20.0],
        [e0 + 150.0, base_n]
    ]]);
    let errors = vec![
        feature(p(Some(1), "LUC"), rect(e0, base_n, 20.0, 20.0)),
        feature(p(None, "LUC"), rect(e0 + 30.0, base_n, 20.0, 20.0)),
        feature(p(Some(3), "XYZ"), rect(e0 + 60.0, base_n, 20.0, 20.0)),
        feature(p(Some(1), "LUC"), rect(e0 + 90.0, base_n, 20.0, 20.0)),
        feature(p(Some(5), "LUC"), bow),
        feature(p(Some(6), "ONT"), rect(e0 + 10.0, base_n + 5.0, 20.0, 20.0)),
    ];
    write_json("parcels_errors.geojson", &collection(errors));

    // The zipped Shapefile, written by GDAL from the GeoJSON.
    let tmp = tempfile::tempdir().unwrap();
    let shp = tmp.path().join("thua_dat.shp");
    let status = Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"])
        .arg(&shp)
        .arg(fixture("parcels_5898.geojson"))
        .status()
        .expect("ogr2ogr (gdal-bin)");
    assert!(status.success());
    let zip_path = fixture("parcels_5898.zip");
    let _ = std::fs::remove_file(&zip_path);
    let status = Command::new("zip")
        .args(["-j", "-X", "-q"])
        .arg(&zip_path)
        .args(["shp", "shx", "dbf", "prj", "cpg"].map(|e| tmp.path().join(format!("thua_dat.{e}"))))
        .status()
        .expect("zip");
    assert!(status.success());

    // Registers. Row numbers as Excel shows them: title (1), date (2), header (3), data from 4.
    let headers = [
        "STT",
        "Họ và tên chủ hộ",
        "Số CCCD",
        "Số điện thoại",
        "Địa chỉ",
        "Mã xã",
        "Số tờ",
        "Số thửa",
        "Số nhân khẩu",
        "Hộ nghèo",
        "Gia đình chính sách",
        "Dân tộc thiểu số",
        "Người cao tuổi sống một mình",
    ];
    type Row<'a> = [&'a str; 13];
    let clean: Vec<Row> = vec![
        [
            "1",
            "Nguyễn Văn Ánh",
            "051090012345",
            "0912345678",
            "Thôn An Hải",
            "21043",
            "90",
            "1",
            "4",
            "",
            "",
            "",
            "",
        ],
        [
            "2",
            "Trần Thị Bích",
            "051090012346",
            "",
            "Thôn An Hải",
            "21043",
            "90",
            "2",
            "3",
            "x",
            "",
            "",
            "",
        ],
        [
            "3",
            "Đặng Văn Thành",
            "051090012347",
            "0987 654 321",
            "Thôn Tây",
            "21043",
            "90",
            "3",
            "5",
            "x",
            "",
            "x",
            "",
        ],
        [
            "4",
            "Lê Thị Mơ",
            "051090012348",
            "",
            "Thôn Tây",
            "Bình Thuận",
            "90",
            "4, 5",
            "1",
            "",
            "",
            "",
            "x",
        ],
        [
            "5",
            "Phạm Đức Lưỡng",
            "",
            "",
            "Thôn Đông",
            "21043",
            "",
            "",
            "2",
            "",
            "có",
            "",
            "",
        ],
    ];
    write_register("households_clean.xlsx", &headers, &clean, &[]);
    let errors: Vec<Row> = vec![
        [
            "1",
            "Huỳnh Văn Tư",
            "051090022345",
            "",
            "Thôn An Hải",
            "21043",
            "90",
            "1",
            "3",
            "",
            "",
            "",
            "",
        ],
        [
            "2",
            "",
            "051090022346",
            "",
            "Thôn An Hải",
            "21043",
            "90",
            "2",
            "3",
            "",
            "",
            "",
            "",
        ],
        [
            "3",
            "Võ Văn Năm",
            "51090022347",
            "",
            "Thôn Tây",
            "21043",
            "90",
            "3",
            "2",
            "",
            "",
            "",
            "",
        ],
        [
            "4",
            "Bùi Thị Sáu",
            "051090022348",
            "",
            "Thôn Tây",
            "21043",
            "90",
            "99",
            "2",
            "",
            "",
            "",
            "",
        ],
        [
            "5",
            "Ngô Văn Bảy",
            "051090022345",
            "",
            "Thôn Đông",
            "21043",
            "",
            "",
            "2",
            "",
            "",
            "",
            "",
        ],
        [
            "6",
            "Đỗ Thị Tám",
            "051090022349",
            "",
            "Thôn Đông",
            "21043",
            "",
            "",
            "2",
            "có lẽ",
            "",
            "",
            "",
        ],
    ];
    // Row 6's CCCD is typed as a number, as Excel does unless the column is Text.
    write_register("households_errors.xlsx", &headers, &errors, &[(2, 2)]);

    let mut csv = String::from(
        "STT,Họ và tên chủ hộ,Số CCCD,Số điện thoại,Địa chỉ,Mã xã,Số tờ,Số thửa,Hộ nghèo\n",
    );
    csv += "1,Võ Thị Hồng,051090032345,0905111222,Thôn Đông,21043,90,6,\n";
    csv += "2,Trương Văn Đức,051090032346,,Thôn Đông,21043,90,6,x\n";
    csv += "3,\"Hồ Thị Lan, con\",051090032347,,\"Xóm 2, Thôn Tây\",21043,,,\n";
    std::fs::write(fixture("households.csv"), csv).unwrap();
}

/// An .xlsx register with a title, a date line, the header row and the data rows; the cells
/// listed in `numbers` (data row, column) are written as numbers.
fn write_register(name: &str, headers: &[&str], rows: &[[&str; 13]], numbers: &[(usize, u16)]) {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Danh sach ho").unwrap();
    let bold = Format::new().set_bold();
    sheet
        .write_string_with_format(
            0,
            0,
            "DANH SÁCH HỘ GIA ĐÌNH BỊ ẢNH HƯỞNG - XÃ BÌNH THUẬN",
            &bold,
        )
        .unwrap();
    sheet.write_string(1, 0, "Ngày 15/01/2021").unwrap();
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(2, c as u16, *h, &bold)
            .unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (rr, cc) = (3 + r as u32, c as u16);
            if v.is_empty() {
                continue;
            }
            if numbers.contains(&(r, cc)) || (c == 0) || (c == 8) {
                sheet
                    .write_number(rr, cc, v.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                sheet.write_string(rr, cc, *v).unwrap();
            }
        }
    }
    book.save(fixture(name)).unwrap();
}

/// Uploads generated bytes; the answer and the server's health after it.
async fn upload_bytes(
    app: &TestApp,
    client: &Client,
    what: &str,
    file: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let res = client
        .post(app.url(&format!(
            "/api/v1/projects/HPDQ2/imports/{what}?filename={file}&dry_run=true"
        )))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let answer = json_of(res).await;
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "the server must survive {file}"
    );
    answer
}

#[tokio::test]
async fn a_workbook_naming_the_last_cell_is_refused_without_reserving_its_range() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    // The attack of issue 16: a sheet holding only A1 and XFD1048576 (about 5 KB), whose used
    // range a naive reader reserves in full (549,755,813,888 bytes).
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Họ và tên").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
    let households = app.count("SELECT COUNT(*) FROM households").await;
    let (status, body) = upload_bytes(&app, &admin, "households", "bomb.xlsx", bytes).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "sheet_too_large", "{body}");
    assert_eq!(body["error"]["details"]["row"], 1_048_576, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM households").await,
        households
    );
}

/// A zip holding one entry of `size` zero bytes, deflated.
fn zip_of_zeros(entries: &[(&str, usize)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let chunk = vec![0u8; 1 << 20];
    for (name, size) in entries {
        zip.start_file(*name, options).unwrap();
        let mut left = *size;
        while left > 0 {
            let n = left.min(chunk.len());
            zip.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
    }
    zip.finish().unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let parcels = app.count("SELECT COUNT(*) FROM parcels").await;
    // 64 MiB of zeros pack into ~64 KB: a 1000× ratio no Shapefile has.
    let bomb = zip_of_zeros(&[("p.shp", 64 << 20), ("p.dbf", 1024), ("p.shx", 1024)]);
    assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
    let (status, body) = upload_bytes(&app, &admin, "parcels", "bomb.zip", bomb).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_shapefile", "{body}");
    assert_eq!(body["error"]["details"]["reason"], "too_large", "{body}");
    // The same inside a workbook.
    let bomb = zip_of_zeros(&[("xl/worksheets/sheet1.xml", 64 << 20)]);
    let (status, body) = upload_bytes(&app, &admin, "households", "bomb.xlsx", bomb).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"]["reason"], "too_large", "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM parcels").await, parcels);
}

/// Issue 14 item 6: household registers as they really are.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn post_register(
    app: &TestApp,
    client: &Client,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> (StatusCode, Value) {
    let res = client
        .post(app.url(&format!(
            "/api/v1/projects/HPDQ2/imports/households?filename={name}&dry_run={dry_run}"
        )))
        .header("content-type", XLSX)
        .body(bytes)
        .send()
        .await
        .unwrap();
    json_of(res).await
}

/// The template, fetched as the data page's link does.
async fn template(
    app: &TestApp,
    client: &Client,
    lang: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = client
        .get(app.url(&format!("/api/v1/imports/households/template?lang={lang}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

/// The first sheet's cells as calamine reads them.
fn cells_of(bytes: &[u8]) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    book.worksheet_range(&name).unwrap()
}

#[tokio::test]
async fn the_household_template_downloads_in_both_languages_and_imports_back() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (status, report) = upload(
        &app,
        &admin,
        "parcels",
        "parcels_5898.geojson",
        "application/geo+json",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");

    // Anyone signed in may download it; nobody else.
    let res = app
        .anonymous()
        .get(app.url("/api/v1/imports/households/template"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (headers, vi) = template(&app, &admin, "vi").await;
    assert_eq!(headers["content-type"], XLSX);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("mau-nhap-ho.xlsx"));
    let cells = cells_of(&vi);
    // A title row, a note, the header row, one example row.
    let text = |r: u32, c: u32| {
        cells
            .get_value((r, c))
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert!(text(0, 0).starts_with("DANH SÁCH HỘ"), "{}", text(0, 0));
    assert_eq!(text(2, 1), "Họ và tên chủ hộ");
    assert_eq!(text(2, 3), "Số CCCD/CMND");
    assert_eq!(text(3, 1), "Nguyễn Văn An");
    // The ID number is text with its leading zero; the date of birth a real date cell.
    assert_eq!(
        cells.get_value((3, 3)),
        Some(&calamine::Data::String("051090123456".into()))
    );
    match cells.get_value((3, 2)) {
        Some(calamine::Data::DateTime(d)) => {
            // 15/03/1990 is serial 32947.
            assert!((d.as_f64() - 32947.0).abs() < 1e-9, "{d:?}");
        }
        other => panic!("the date of birth is no date cell: {other:?}"),
    }
    assert_eq!(cells.height(), 4);

    let (headers, en) = template(&app, &admin, "en").await;
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("household-import-template.xlsx"));
    let cells = cells_of(&en);
    assert_eq!(
        cells.get_value((2, 1)).unwrap().to_string(),
        "Head of household"
    );
    assert_eq!(
        cells.get_value((2, 3)).unwrap().to_string(),
        "ID number (CCCD/CMND)"
    );

    // Both read back as they are: the English one checked, the Vietnamese one imported.
    let (status, report) = post_register(&app, &admin, "template-en.xlsx", en, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 1, "{report}");
    assert_eq!(report["warnings"], json!([]), "{report}");
    let (status, report) = post_register(&app, &admin, "mau-nhap-ho.xlsx", vi, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 1, "{report}");
    let (_, page) = app
        .get_json(&admin, "/api/v1/households?q=nguyen van an&project=HPDQ2")
        .await;
    let h = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id_number"] == "051*******56")
        .cloned()
        .unwrap_or_else(|| panic!("{page}"));
    // Lists show the CCCD masked; the audited reveal gives it whole, leading zero kept.
    assert_eq!(revealed_id(&app, &admin, &h["id"]).await, "051090123456");
    assert_eq!(h["parcels"][0]["map_sheet"], "90", "{h}");
    assert_eq!(h["parcels"][0]["parcel_no"], "1", "{h}");
    assert_eq!(h["vulnerable"], json!(["poor"]));
    let (_, detail) = app
        .get_json(&admin, &format!("/api/v1/households/{}", h["id"]))
        .await;
    let members = detail["members"].as_array().unwrap();
    assert_eq!(members[0]["name"], "Nguyễn Văn An", "{detail}");
    assert_eq!(members[0]["birth_year"], 1990, "{detail}");
    assert_eq!(members.len(), 3, "{detail}");
}

/// A register as a commune office makes it: a title merged across the sheet, a two-line header
/// (group cells merged over their sub-headers, the others merged down), a line numbering the
/// columns, dates as date cells, as plain numbers and as text, IDs as text and as numbers.
fn real_register(rows: &[(&str, Birth, Id)]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet
        .merge_range(
            0,
            0,
            0,
            7,
            "BẢNG THỐNG KÊ HỘ GIA ĐÌNH, CÁ NHÂN CÓ ĐẤT BỊ THU HỒI",
            &bold,
        )
        .unwrap();
    sheet
        .merge_range(
            1,
            0,
            1,
            7,
            "(Kèm theo Thông báo số 12/TB-UBND)",
            &Format::new(),
        )
        .unwrap();
    // Row 3 and 4: the header.
    sheet.merge_range(2, 0, 3, 0, "STT", &bold).unwrap();
    sheet.merge_range(2, 1, 2, 3, "Chủ hộ", &bold).unwrap();
    sheet
        .write_string_with_format(3, 1, "Họ và tên", &bold)
        .unwrap();
    sheet
        .write_string_with_format(3, 2, "Năm sinh", &bold)
        .unwrap();
    sheet
        .write_string_with_format(3, 3, "Số CMND/CCCD", &bold)
        .unwrap();
    sheet
        .merge_range(2, 4, 3, 4, "Địa chỉ thường trú", &bold)
        .unwrap();
    sheet.merge_range(2, 5, 3, 5, "Mã xã", &bold).unwrap();
    sheet.merge_range(2, 6, 2, 7, "Thửa đất", &bold).unwrap();
    sheet
        .write_string_with_format(3, 6, "Số tờ", &bold)
        .unwrap();
    sheet
        .write_string_with_format(3, 7, "Số thửa", &bold)
        .unwrap();
    // Row 5: (1) (2) … under the header.
    for c in 0..8u16 {
        sheet.write_string(4, c, format!("({})", c + 1)).unwrap();
    }
    for (i, (name, birth, id)) in rows.iter().enumerate() {
        let r = 5 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, *name).unwrap();
        match birth {
            Birth::Cell(y, m, d) => {
                let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                sheet.write_datetime_with_format(r, 2, &dt, &date).unwrap();
            }
            Birth::Serial(n) => {
                sheet.write_number(r, 2, *n).unwrap();
            }
            Birth::Text(t) => {
                sheet.write_string(r, 2, *t).unwrap();
            }
        }
        match id {
            Id::Text(t) => sheet.write_string(r, 3, *t).unwrap(),
            Id::Number(n) => sheet.write_number(r, 3, *n).unwrap(),
        };
        sheet.write_string(r, 4, "Thôn Tây").unwrap();
        sheet.write_string(r, 5, "21043").unwrap();
    }
    book.save_to_buffer().unwrap()
}

enum Birth {
    Cell(u16, u8, u8),
    Serial(f64),
    Text(&'static str),
}

enum Id {
    Text(&'static str),
    Number(f64),
}

#[tokio::test]
async fn real_registers_ids_dates_and_headers() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let good = [
        // A date cell; a 12-digit CCCD as text.
        (
            "Phạm Văn Một",
            Birth::Cell(1990, 3, 15),
            Id::Text("051090777001"),
        ),
        // An old 9-digit CMND; dd/mm/yyyy text.
        (
            "Lê Thị Hai",
            Birth::Text("05/06/1975"),
            Id::Text("212345678"),
        ),
        // A CCCD typed as a number (its leading 0 lost); ISO text: padded back, with a warning.
        (
            "Trần Thị Ba",
            Birth::Text("1990-02-03"),
            Id::Number(51_190_777_003.0),
        ),
        // A serial typed as a plain number (32874 = 01/01/1990); d/m/yyyy and dd-mm-yyyy text.
        (
            "Võ Văn Bốn",
            Birth::Serial(32874.0),
            Id::Text("079090777004"),
        ),
        (
            "Hồ Văn Năm",
            Birth::Text("5/6/2003"),
            Id::Text("001203777005"),
        ),
        (
            "Đỗ Thị Sáu",
            Birth::Text("05-06-1988"),
            Id::Text("048188777006"),
        ),
        // A year alone.
        ("Ngô Văn Bảy", Birth::Text("1962"), Id::Text("051062777007")),
    ];
    let (status, report) =
        post_register(&app, &admin, "real.xlsx", real_register(&good), false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 7, "{report}");
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{report}");
    assert_eq!(warnings[0]["row"], 8);
    assert_eq!(warnings[0]["code"], "id_number_padded");
    assert_eq!(warnings[0]["column"], "Số CMND/CCCD");
    assert_eq!(
        warnings[0]["details"],
        json!({"value": "51190777003", "padded": "051190777003"})
    );
    let (_, page) = app
        .get_json(&admin, "/api/v1/households?q=tran thi ba&project=HPDQ2")
        .await;
    let padded = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id_number"] == "051*******03")
        .unwrap_or_else(|| panic!("{page}"));
    assert_eq!(
        revealed_id(&app, &admin, &padded["id"]).await,
        "051190777003",
        "{page}"
    );
    let (_, page) = app
        .get_json(&admin, "/api/v1/households?q=le thi hai&project=HPDQ2")
        .await;
    let cmnd = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id_number"] == "212****78")
        .unwrap_or_else(|| panic!("{page}"));
    assert_eq!(revealed_id(&app, &admin, &cmnd["id"]).await, "212345678");

    let bad = [
        ("Một", Birth::Text("15/03/1990"), Id::Text("003090777101")),
        ("Hai", Birth::Text("15/03/1985"), Id::Text("051090777102")),
        ("Ba", Birth::Text("15/03/1990"), Id::Text("05109077710")),
        ("Bốn", Birth::Text("31/02/1990"), Id::Text("051090777104")),
        ("Năm", Birth::Text("15/03/1990"), Id::Text("05109077710A")),
        // Padding a number cell that still makes no valid CCCD: an error, not a warning.
        (
            "Sáu",
            Birth::Text("15/03/1990"),
            Id::Number(97_090_777_106.0),
        ),
        ("Bảy", Birth::Text("15/03/1990"), Id::Text("051090777001")),
        // Text that lost its leading 0 (a CSV saved from such a sheet): named, not guessed.
        ("Tám", Birth::Text("15/03/1990"), Id::Text("51090777108")),
    ];
    let (status, body) = post_register(&app, &admin, "bad.xlsx", real_register(&bad), true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_import");
    let errors = body["error"]["details"]["errors"].as_array().unwrap();
    let got: Vec<(i64, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (6, "Số CMND/CCCD", "id_number_unknown_province"),
            (7, "Số CMND/CCCD", "id_number_birth_year_mismatch"),
            (8, "Số CMND/CCCD", "id_number_length"),
            (9, "Năm sinh", "invalid_date"),
            (10, "Số CMND/CCCD", "id_number_not_digits"),
            (11, "Số CMND/CCCD", "id_number_unknown_province"),
            (12, "Số CMND/CCCD", "already_registered"),
            (13, "Số CMND/CCCD", "id_number_lost_zeros"),
        ],
        "{body}"
    );
    assert_eq!(
        errors[0]["details"],
        json!({"value": "003090777101", "province": "003"})
    );
    assert_eq!(
        errors[1]["details"],
        json!({"value": "051090777102", "id_year": "1990", "birth_year": "1985"})
    );
    assert_eq!(
        errors[2]["details"],
        json!({"value": "05109077710", "length": "11"})
    );
    assert_eq!(errors[3]["details"], json!({"value": "31/02/1990"}));
    assert!(
        errors[5]["reason"].as_str().unwrap().contains("leading 0"),
        "{}",
        errors[5]
    );
    assert_eq!(errors[5]["details"]["value"], "97090777106");
    assert_eq!(
        errors[7]["details"],
        json!({"value": "51090777108", "padded": "051090777108", "length": "12"})
    );
}

#[tokio::test]
async fn a_register_without_a_commune_column_names_the_header_row() {
    use rust_xlsxwriter::Workbook;
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "DANH SÁCH").unwrap();
    sheet.write_string(3, 0, "HỌ VÀ TÊN CHỦ HỘ").unwrap();
    sheet.write_string(3, 1, "Số CCCD").unwrap();
    sheet.write_string(4, 0, "Lê Văn A").unwrap();
    let (status, body) =
        post_register(&app, &admin, "x.xlsx", book.save_to_buffer().unwrap(), true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "missing_column");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("row 4"),
        "{body}"
    );
}

/// A household's CCCD in full, through the audited reveal.
async fn revealed_id(app: &TestApp, client: &reqwest::Client, id: &Value) -> String {
    let (status, body) = app
        .get_json(client, &format!("/api/v1/households/{id}/id-number"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id_number"].as_str().unwrap_or_default().to_string()
}
