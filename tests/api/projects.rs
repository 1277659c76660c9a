//! Projects and progress (counters kept in step with every change).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_get_and_create_projects() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (status, page) = app.get_json(&admin, "/api/v1/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["code"], "HPDQ2");
    assert!(page["next_cursor"].is_null());
    let (status, p) = app.get_json(&admin, "/api/v1/projects/HPDQ2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(p["name"].as_str().unwrap().contains("Hòa Phát Dung Quất"));
    assert_eq!(p["boundary"]["type"], "Polygon");
    assert_eq!(
        p["notice_date"],
        crate::common::demo_notice_date().to_string()
    );

    let new = json!({
        "code": "DQ-CANG", "name": "Cảng tổng hợp Hòa Phát Dung Quất", "investor": "Hòa Phát",
        "notice_date": "2026-01-10", "target_handover_date": "2026-12-31",
        "boundary": {"type": "Polygon", "coordinates": [[[108.80, 15.38], [108.82, 15.38], [108.82, 15.40], [108.80, 15.40], [108.80, 15.38]]]}
    });
    let (status, created) = app.post_json(&admin, "/api/v1/projects", &new).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["code"], "DQ-CANG");
    let (status, dup) = app.post_json(&admin, "/api/v1/projects", &new).await;
    assert_eq!(status, StatusCode::CONFLICT, "{dup}");
    let (status, bad) = app
        .post_json(
            &admin,
            "/api/v1/projects",
            &json!({"code": "bad code!", "name": "x", "investor": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'project' AND action = 'create'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counters_agree_with_the_tables() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (status, p) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/progress")
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let parcels = app
        .count("SELECT COUNT(*) FROM parcels WHERE retired_at IS NULL")
        .await;
    assert_eq!(p["parcels"]["total"].as_i64().unwrap(), parcels);
    for (status, n) in p["parcels"]["by_status"].as_object().unwrap() {
        let expected = app
            .count(&format!(
                "SELECT COUNT(*) FROM parcels WHERE status = '{status}' AND retired_at IS NULL"
            ))
            .await;
        assert_eq!(n.as_i64().unwrap(), expected, "status {status}");
    }
    assert_eq!(
        p["parcels"]["by_status"].as_object().unwrap().len(),
        8,
        "every status listed"
    );
    let households = app.count("SELECT COUNT(*) FROM households").await;
    assert_eq!(p["households"]["total"].as_i64().unwrap(), households);
    let agrees = app
        .count("SELECT COUNT(*) FROM households WHERE stance = 'agrees'")
        .await;
    assert_eq!(
        p["households"]["by_stance"]["agrees"].as_i64().unwrap(),
        agrees
    );
    let area_total = p["area_m2"]["total"].as_f64().unwrap();
    assert!(area_total > 0.0);

    let communes = p["by_commune"].as_array().unwrap();
    assert_eq!(communes.len(), 6, "the six communes around Dung Quất");
    let sum: i64 = communes
        .iter()
        .map(|c| c["parcels"]["total"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, parcels);
    assert!(communes.iter().any(|c| c["name"] == "Xã Bình Thuận"));
    assert!(!p["by_working_group"].as_array().unwrap().is_empty());

    let weeks = p["over_time"].as_array().unwrap();
    assert!(weeks.len() > 10, "a year of history");
    let handed: Vec<i64> = weeks
        .iter()
        .map(|w| w["cumulative"]["handed_over"].as_i64().unwrap())
        .collect();
    assert!(
        handed.windows(2).all(|w| w[0] <= w[1]),
        "cumulative series never falls"
    );
    let ever_handed = app
        .count("SELECT COUNT(DISTINCT parcel_id) FROM parcel_status_events WHERE to_status = 'handed_over'")
        .await;
    assert_eq!(*handed.last().unwrap(), ever_handed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_load_is_one_audited_write() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'demo_load'")
            .await,
        1
    );
}

// ---- project setup (issue 12): edit with If-Match, boundary preview, close / reopen ---------

use reqwest::Client;
use serde_json::Value;

async fn get_with_etag(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String, Value) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let (status, body) = common::json_of(res).await;
    (status, etag, body)
}

async fn patch_project(
    app: &TestApp,
    client: &Client,
    code: &str,
    if_match: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut req = client
        .patch(app.url(&format!("/api/v1/projects/{code}")))
        .json(body);
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    common::json_of(req.send().await.unwrap()).await
}

async fn preview(
    app: &TestApp,
    client: &Client,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let res = client
        .post(app.url(&format!("/api/v1/projects/boundary-preview{query}")))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    common::json_of(res).await
}

fn square(lon: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
}

async fn new_project(app: &TestApp, admin: &Client, code: &str) {
    let (status, body) = app
        .post_json(
            admin,
            "/api/v1/projects",
            &json!({"code": code, "name": "Đường ven biển Dung Quất", "investor": "Ban QLDA tỉnh"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_edits_a_project_with_if_match_and_it_shows_on_the_public_page() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    new_project(&app, &admin, "DVB-1").await;
    let (status, etag, p) = get_with_etag(&app, &admin, "/api/v1/projects/DVB-1").await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(etag, "\"1\"");
    assert_eq!(p["status"], "active");
    assert_eq!(p["parties"], json!([]));

    let edit = json!({
        "name": "Đường ven biển Dung Quất – Sa Huỳnh",
        "investor": "Ban Quản lý dự án đầu tư xây dựng tỉnh Quảng Ngãi",
        "notice_date": "2026-02-01",
        "target_handover_date": "2026-12-31",
        "boundary": square(108.80, 15.38, 0.01),
        "parties": [
            {"role_vi": "Chủ đầu tư", "role_en": "Investor", "organisation": "Ban QLDA tỉnh Quảng Ngãi",
             "contact_person": "Ông Lê Văn Tám", "phone": "0255 3822 111", "email": "bqlda@quangngai.gov.vn"},
            {"role_vi": "Tổ chức làm nhiệm vụ bồi thường", "organisation": "Trung tâm PTQĐ huyện Bình Sơn"}
        ],
        "milestones": [
            {"on_date": "2026-03-15", "title_vi": "Niêm yết phương án bồi thường", "title_en": "Compensation plan posted"}
        ]
    });
    // Without If-Match: 428, nothing stored.
    let (status, body) = patch_project(&app, &admin, "DVB-1", None, &edit).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{body}");
    let (status, body) = patch_project(&app, &admin, "DVB-1", Some("\"1\""), &edit).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["updated_by"], "admin");
    assert_eq!(body["notice_date"], "2026-02-01");
    assert_eq!(body["boundary"]["type"], "Polygon");
    assert_eq!(body["parties"].as_array().unwrap().len(), 2);
    // An English role left empty takes the Vietnamese one.
    assert_eq!(
        body["parties"][1]["role_en"],
        "Tổ chức làm nhiệm vụ bồi thường"
    );
    assert_eq!(
        body["milestones"][0]["title_en"],
        "Compensation plan posted"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM project_parties p JOIN projects j ON j.id = p.project_id WHERE j.code = 'DVB-1'").await,
        2
    );

    // The version read before is stale now: 412 with who saved, nothing changed.
    let (status, body) = patch_project(
        &app,
        &admin,
        "DVB-1",
        Some("\"1\""),
        &json!({"name": "Tên khác"}),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    assert_eq!(body["error"]["code"], "version_conflict");
    assert_eq!(body["error"]["details"]["current_version"], 2);
    assert_eq!(body["error"]["details"]["updated_by"], "admin");
    let (_, _, p) = get_with_etag(&app, &admin, "/api/v1/projects/DVB-1").await;
    assert_eq!(p["name"], "Đường ven biển Dung Quất – Sa Huỳnh");

    // Validation names the field.
    let (status, body) = patch_project(
        &app,
        &admin,
        "DVB-1",
        Some("2"),
        &json!({"parties": [{"role_vi": "Chủ đầu tư", "organisation": " "}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"]["field"], "parties.0.organisation");
    let (status, body) = patch_project(
        &app,
        &admin,
        "DVB-1",
        Some("2"),
        &json!({"target_handover_date": "2026-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"]["field"], "target_handover_date");

    // Milestones replace the list; null clears a date.
    let (status, body) = patch_project(
        &app,
        &admin,
        "DVB-1",
        Some("W/\"2\""),
        &json!({"milestones": [], "target_handover_date": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["milestones"], json!([]));
    assert!(body["target_handover_date"].is_null());
    assert_eq!(body["notice_date"], "2026-02-01");

    // Audited, with the fields changed.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'project' AND action = 'update'"
        )
        .await,
        2
    );

    // The public page shows the agency and, after it is put back, the milestone.
    let (status, _) = patch_project(&app, &admin, "DVB-1", Some("3"), &json!({"milestones": [
        {"on_date": "2026-03-15", "title_vi": "Niêm yết phương án bồi thường", "title_en": "Compensation plan posted"}]})).await;
    assert_eq!(status, StatusCode::OK);
    let html = app
        .anonymous()
        .get(app.url("/public/projects/DVB-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Niêm yết phương án bồi thường"),
        "milestone on the public page"
    );
    assert!(
        html.contains("Ban QLDA tỉnh Quảng Ngãi"),
        "agency on the public page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_set_projects_up() {
    let app = TestApp::spawn().await;
    for who in ["leader", "member_a"] {
        let client = app.login(who).await;
        let (status, body) =
            patch_project(&app, &client, "HPDQ2", Some("1"), &json!({"name": "x"})).await;
        common::assert_error(status, &body, StatusCode::FORBIDDEN);
        for action in ["close", "reopen"] {
            let (status, body) = app
                .post_json(
                    &client,
                    &format!("/api/v1/projects/HPDQ2/{action}"),
                    &json!({}),
                )
                .await;
            common::assert_error(status, &body, StatusCode::FORBIDDEN);
        }
        let (status, body) = preview(
            &app,
            &client,
            "",
            "application/geo+json",
            square(108.8, 15.38, 0.01).to_string().into_bytes(),
        )
        .await;
        common::assert_error(status, &body, StatusCode::FORBIDDEN);
    }
    let (_, _, p) = get_with_etag(&app, &app.login("admin").await, "/api/v1/projects/HPDQ2").await;
    assert_eq!(p["version"], 1);
    assert_eq!(p["status"], "active");
}

/// A zipped Shapefile made here: one VN-2000 (EPSG:5898) square of 200 m with its .prj.
fn zipped_shapefile() -> Vec<u8> {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("ranh_gioi.shp");
    let table = shapefile::dbase::TableWriterBuilder::new()
        .add_character_field("TEN".try_into().unwrap(), 50);
    let mut writer = shapefile::Writer::from_path(&shp, table).unwrap();
    let (e, n) = (600_000.0, 1_702_000.0);
    // Outer rings clockwise in Shapefiles.
    let ring = vec![
        shapefile::Point::new(e, n),
        shapefile::Point::new(e, n + 200.0),
        shapefile::Point::new(e + 200.0, n + 200.0),
        shapefile::Point::new(e + 200.0, n),
        shapefile::Point::new(e, n),
    ];
    let polygon = shapefile::Polygon::new(shapefile::PolygonRing::Outer(ring));
    let mut record = shapefile::dbase::Record::default();
    record.insert(
        "TEN".to_string(),
        shapefile::dbase::FieldValue::Character(Some("Ranh giới dự án".into())),
    );
    writer.write_shape_and_record(&polygon, &record).unwrap();
    drop(writer);
    let prj = r#"PROJCS["VN_2000_TM-3_zone_491",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default();
        for ext in ["shp", "shx", "dbf"] {
            zip.start_file(format!("ranh_gioi.{ext}"), opts).unwrap();
            zip.write_all(&std::fs::read(shp.with_extension(ext)).unwrap())
                .unwrap();
        }
        zip.start_file("ranh_gioi.prj", opts).unwrap();
        zip.write_all(prj.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boundary_preview_reads_geojson_shapefile_and_coordinates_without_saving() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let before = app.count("SELECT COUNT(*) FROM audit_events").await;

    // GeoJSON FeatureCollection of two touching squares: joined into one boundary.
    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": square(108.80, 15.38, 0.01)},
        {"type": "Feature", "properties": {}, "geometry": square(108.81, 15.38, 0.01)}
    ]});
    let (status, p) = preview(
        &app,
        &admin,
        "?filename=ranh.geojson",
        "application/geo+json",
        fc.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["boundary"]["type"], "Polygon", "{p}");
    let ha = p["area_ha"].as_f64().unwrap();
    assert!(
        (ha - 237.5).abs() < 2.0,
        "two 0.01° squares at 15.39°N, 118.8 ha each: {ha}"
    );
    assert_eq!(p["source_crs"], "EPSG:4326");
    assert_eq!(p["problems"][0]["code"], "joined_features");

    // A zipped Shapefile in VN-2000 with its .prj: reprojected; 200 m × 200 m = 4 ha.
    let (status, p) = preview(
        &app,
        &admin,
        "?filename=ranh_gioi.zip",
        "application/zip",
        zipped_shapefile(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["source_crs"], "EPSG:5898");
    let ha = p["area_ha"].as_f64().unwrap();
    assert!((ha - 4.0).abs() < 0.01, "{ha}");
    let lon = p["boundary"]["coordinates"][0][0][0].as_f64().unwrap();
    assert!(
        (108.93..108.94).contains(&lon),
        "reprojected to WGS84: {lon}"
    );

    // VN-2000 corners as a text list, with the zone asked for.
    let text = "STT X Y\n1 1702000 600000\n2 1702000 600100\n3 1702100 600100\n4 1702100 600000\n";
    let (status, p) = preview(
        &app,
        &admin,
        "?crs=EPSG:5898",
        "application/octet-stream",
        text.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert!((p["area_ha"].as_f64().unwrap() - 1.0).abs() < 0.01, "{p}");
    let (status, p) = preview(
        &app,
        &admin,
        "",
        "application/octet-stream",
        text.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["error"]["code"], "missing_crs");
    assert_eq!(p["error"]["details"]["field"], "crs");

    // A bow-tie: 422 naming the reason.
    let bowtie = json!({"type": "Polygon", "coordinates": [[[108.80, 15.38], [108.81, 15.39], [108.81, 15.38], [108.80, 15.39], [108.80, 15.38]]]});
    let (status, p) = preview(
        &app,
        &admin,
        "",
        "application/geo+json",
        bowtie.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["error"]["code"], "invalid_geometry");
    assert_eq!(p["error"]["details"]["reason"], "self_intersection");
    assert_eq!(p["error"]["details"]["field"], "file");

    // Nothing saved, nothing audited.
    let (_, _, hp) = get_with_etag(&app, &admin, "/api/v1/projects/HPDQ2").await;
    assert_eq!(hp["version"], 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_project_refuses_every_write_and_still_reads() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member = app.login("member_a").await;
    let (status, p) = app
        .post_json(&admin, "/api/v1/projects/HPDQ2/close", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "closed");
    assert_eq!(p["version"], 2);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'project' AND action = 'close'"
        )
        .await,
        1
    );

    // A visit.
    let household = app.count(
        "SELECT CAST(MIN(h.id) AS BIGINT) FROM households h JOIN admin_units u ON u.id = h.commune_id \
         WHERE u.code = '21043' AND u.valid_to IS NOT NULL",
    ).await;
    let (_, me) = app.get_json(&member, "/api/v1/auth/me").await;
    let group = me["working_groups"][0].as_i64().unwrap();
    let visits = app.count("SELECT COUNT(*) FROM visits").await;
    let (status, body) = app.post_json(&member, "/api/v1/visits", &json!({
        "household_id": household, "working_group_id": group,
        "visited_at": "2026-11-20T09:30:00+07:00", "kind": "home_visit",
        "participants": ["Nguyễn Văn Bình"], "topics": ["compensation_price"], "stance": "considering",
        "concerns": "", "commitments": []
    })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "project_closed");
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, visits);

    // A parcel status change.
    let parcel = app
        .count("SELECT CAST(MIN(id) AS BIGINT) FROM parcels")
        .await;
    let (status, etag, before) =
        get_with_etag(&app, &admin, &format!("/api/v1/parcels/{parcel}")).await;
    assert_eq!(status, StatusCode::OK);
    let res = admin
        .patch(app.url(&format!("/api/v1/parcels/{parcel}")))
        .header("If-Match", etag.clone())
        .json(&json!({"status": "handed_over", "reason": "đã bàn giao"}))
        .send()
        .await
        .unwrap();
    let (status, body) = common::json_of(res).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "project_closed");

    // An import.
    let csv = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/import/households.csv"),
    )
    .unwrap();
    let res = admin
        .post(app.url("/api/v1/projects/HPDQ2/imports/households?filename=households.csv"))
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    let (status, body) = common::json_of(res).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "project_closed");

    // A stage, a household edit, a grievance, the project itself.
    let (status, body) = app
        .post_json(
            &admin,
            &format!("/api/v1/households/{household}/stages"),
            &json!({"stage": "notice", "occurred_on": "2026-11-20"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, current) = app
        .get_json(&admin, &format!("/api/v1/households/{household}"))
        .await;
    let res = admin
        .patch(app.url(&format!("/api/v1/households/{household}")))
        .header("if-match", format!("\"{}\"", current["version"]))
        .json(&json!({"phone": "0905123456"}))
        .send()
        .await
        .unwrap();
    let (status, body) = common::json_of(res).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "project_closed");
    let (status, body) =
        patch_project(&app, &admin, "HPDQ2", Some("2"), &json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "project_closed");

    // Reads are unchanged.
    let (status, p) = app.get_json(&member, "/api/v1/projects/HPDQ2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["status"], "closed");
    let (status, _) = app
        .get_json(&member, &format!("/api/v1/households/{household}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, after) = app
        .get_json(&admin, &format!("/api/v1/parcels/{parcel}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["status"], before["status"]);
    let (status, _) = app
        .get_json(&admin, "/api/v1/projects/HPDQ2/progress")
        .await;
    assert_eq!(status, StatusCode::OK);

    // Reopened, the same writes go through.
    let (status, p) = app
        .post_json(&admin, "/api/v1/projects/HPDQ2/reopen", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "active");
    let res = admin
        .patch(app.url(&format!("/api/v1/parcels/{parcel}")))
        .header("If-Match", etag)
        .json(&json!({"status": "contacted", "reason": "mở lại"}))
        .send()
        .await
        .unwrap();
    let (status, body) = common::json_of(res).await;
    assert_ne!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'project' AND action = 'reopen'"
        )
        .await,
        1
    );
}
