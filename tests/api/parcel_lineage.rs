//! Parcel split and merge over HTTP: the parent is retired (kept, readable by id, gone from
//! lists and counts), the new parcels carry its status and households, lineage links both
//! ways, and every refusal stores nothing.
use crate::common;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PROJECT: &str = "(SELECT id FROM projects WHERE code = 'HPDQ2')";

async fn current_parcels(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM parcels WHERE project_id = {PROJECT} AND retired_at IS NULL"
    ))
    .await
}

async fn progress(app: &TestApp, client: &Client) -> Value {
    let (status, p) = app
        .get_json(client, "/api/v1/projects/HPDQ2/progress")
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    p
}

async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    if_match: Option<i64>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut req = client.post(app.url(path)).json(body);
    if let Some(v) = if_match {
        req = req.header("If-Match", format!("\"{v}\""));
    }
    json_of(req.send().await.expect("request")).await
}

/// [min_lon, min_lat, max_lon, max_lat] of a Polygon.
fn extent(geometry: &Value) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in geometry["coordinates"][0].as_array().expect("ring") {
        let (x, y) = (p[0].as_f64().expect("x"), p[1].as_f64().expect("y"));
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    b
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_retires_the_parent_and_hands_on_status_households_and_counts() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    // A demo parcel some household holds.
    let id = app
        .count(&format!(
            "SELECT CAST(MIN(hp.parcel_id) AS BIGINT) FROM household_parcels hp \
             JOIN parcels p ON p.id = hp.parcel_id WHERE p.project_id = {PROJECT}"
        ))
        .await;
    let holders = app
        .count(&format!(
            "SELECT COUNT(*) FROM household_parcels WHERE parcel_id = {id}"
        ))
        .await;
    assert!(holders > 0);
    let (status, parent) = app.get_json(&admin, &format!("/api/v1/parcels/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{parent}");
    let version = parent["version"].as_i64().expect("version");
    let parent_status = parent["status"].as_str().expect("status").to_string();
    let area = parent["area_m2"].as_f64().expect("area");
    let b = extent(&parent["geometry"]);
    let mid = f64::midpoint(b[0], b[2]);
    let line = json!([[mid, b[1] - 0.001], [mid, b[3] + 0.001]]);
    let path = format!("/api/v1/parcels/{id}/split");
    let before_parcels = current_parcels(&app).await;
    let before = progress(&app, &admin).await;

    // Without If-Match: 428. A member may not split.
    let body = json!({"line": line, "parts": [{"parcel_no": "9001"}, {"parcel_no": "9002"}]});
    let (status, err) = post(&app, &admin, &path, None, &body).await;
    assert_error(status, &err, StatusCode::PRECONDITION_REQUIRED);
    let member = app.login("member_a").await;
    let (status, err) = post(&app, &member, &path, Some(version), &body).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status} {err}"
    );
    // A line beside the parcel, or a number the sheet already has: 422, nothing stored.
    let beside = json!({"line": [[b[2] + 0.01, b[1]], [b[2] + 0.01, b[3]]],
                        "parts": [{"parcel_no": "9001"}, {"parcel_no": "9002"}]});
    let (status, err) = post(&app, &admin, &path, Some(version), &beside).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "line_does_not_cut", "{err}");
    let taken = parent["parcel_no"].as_str().expect("no");
    let clash = json!({"line": line, "parts": [{"parcel_no": taken}, {"parcel_no": "9002"}]});
    let (status, err) = post(&app, &admin, &path, Some(version), &clash).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "duplicate_parcel", "{err}");

    // Dry run: the two halves, their areas, the households, free numbers (blank numbers
    // take them); nothing stored.
    let dry = json!({"line": line, "parts": [{}, {"parcel_no": " "}], "dry_run": true});
    let (status, preview) = post(&app, &admin, &path, Some(version), &dry).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let parts = preview["parcels"].as_array().expect("parcels");
    assert_eq!(parts.len(), 2);
    let sum: f64 = parts
        .iter()
        .map(|p| p["area_m2"].as_f64().expect("area"))
        .sum();
    assert!((sum - area).abs() < 1.0, "parts {sum} m² of {area} m²");
    assert!(parts.iter().all(|p| p["id"].is_null()));
    assert_eq!(preview["households"], json!(holders));
    let free = preview["suggested_parcel_nos"]
        .as_array()
        .expect("suggested")
        .clone();
    assert_eq!(free.len(), 2);
    assert_eq!(parts[0]["parcel_no"], free[0]);
    assert_eq!(parts[1]["parcel_no"], free[1]);
    assert_ne!(parts[0]["parcel_no"], parent["parcel_no"]);
    assert_eq!(current_parcels(&app).await, before_parcels);

    // The split.
    let (status, done) = post(&app, &admin, &path, Some(version), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    let children: Vec<i64> = done["parcels"]
        .as_array()
        .expect("parcels")
        .iter()
        .map(|p| p["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(children.len(), 2);
    assert_eq!(current_parcels(&app).await, before_parcels + 1);

    // The parent: readable by id, retired, refuses changes and a second split.
    let (_, after) = app.get_json(&admin, &format!("/api/v1/parcels/{id}")).await;
    assert!(after["retired_at"].is_string(), "{after}");
    let (status, err) = json_of(
        admin
            .patch(app.url(&format!("/api/v1/parcels/{id}")))
            .header("If-Match", format!("\"{}\"", version + 1))
            .json(&json!({"status": "agreed"}))
            .send()
            .await
            .expect("patch"),
    )
    .await;
    assert_error(status, &err, StatusCode::CONFLICT);
    assert_eq!(err["error"]["code"], "parcel_retired", "{err}");
    let (status, err) = post(&app, &admin, &path, Some(version + 1), &body).await;
    assert_error(status, &err, StatusCode::CONFLICT);
    // Gone from the list; the parts are in it with the parent's status and a link back.
    let sheet = parent["map_sheet"].as_str().expect("sheet");
    let (_, listed) = app
        .get_json(
            &admin,
            &format!(
                "/api/v1/projects/HPDQ2/parcels?map_sheet={sheet}&parcel_no={taken}&commune_id={}",
                parent["commune"]["id"]
            ),
        )
        .await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );
    for child in &children {
        let (status, c) = app
            .get_json(&admin, &format!("/api/v1/parcels/{child}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(c["status"], json!(parent_status));
        assert_eq!(c["parent_parcel"], json!(id));
        assert!(c["retired_at"].is_null());
        let held = app
            .count(&format!(
                "SELECT COUNT(*) FROM household_parcels WHERE parcel_id = {child}"
            ))
            .await;
        assert_eq!(held, holders, "the households moved to parcel {child}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM household_parcels WHERE parcel_id = {id}"
        ))
        .await,
        0
    );
    // Lineage both ways, and in the map panel.
    let (_, lineage) = app
        .get_json(&admin, &format!("/api/v1/parcels/{id}/lineage"))
        .await;
    assert_eq!(
        lineage["children"].as_array().map(Vec::len),
        Some(2),
        "{lineage}"
    );
    assert_eq!(lineage["children"][0]["kind"], "split");
    let (_, panel) = app
        .get_json(&admin, &format!("/api/v1/parcels/{}/panel", children[0]))
        .await;
    assert_eq!(panel["lineage"]["parents"][0]["id"], json!(id), "{panel}");
    assert_eq!(panel["lineage"]["parents"][0]["retired"], json!(true));

    // Counts: one more parcel of the parent's status, the same area, and no progress this week.
    let after = progress(&app, &admin).await;
    assert_eq!(
        after["parcels"]["total"].as_i64(),
        before["parcels"]["total"].as_i64().map(|t| t + 1)
    );
    assert_eq!(
        after["parcels"]["by_status"][&parent_status].as_i64(),
        before["parcels"]["by_status"][&parent_status]
            .as_i64()
            .map(|t| t + 1)
    );
    let total_area = |p: &Value| p["area_m2"]["total"].as_f64().unwrap_or(0.0);
    assert!((total_area(&after) - total_area(&before)).abs() < 1.0);
    let entered = |p: &Value| -> i64 {
        p["over_time"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|w| w["entered"].as_object().into_iter().flatten())
            .map(|(_, n)| n.as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!(entered(&after), entered(&before), "a split is not progress");
    // The counters agree with the parcels themselves.
    let stored = app
        .count(&format!(
            "SELECT COUNT(*) FROM parcels WHERE project_id = {PROJECT} AND retired_at IS NULL \
             AND status = '{parent_status}'"
        ))
        .await;
    assert_eq!(
        after["parcels"]["by_status"][&parent_status].as_i64(),
        Some(stored)
    );
    // One audit event on the parent.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'split' AND entity = 'parcel' \
             AND entity_id = '{id}'"
        ))
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn surveyed_parts_must_cover_the_parent() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (status, made) = app
        .post_json(
            &admin,
            "/api/v1/projects/HPDQ2/parcels",
            &json!({"type": "Feature", "geometry": rect(108.8150, 15.3900, 108.8160, 15.3910),
                    "properties": {"map_sheet": "T77", "parcel_no": "1", "commune": "21043", "land_use": "LUC"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["items"][0]["id"].as_i64().expect("id");
    let path = format!("/api/v1/parcels/{id}/split");
    let west = rect(108.8150, 15.3900, 108.8155, 15.3910);
    let east = rect(108.8155, 15.3900, 108.8160, 15.3910);
    let half = json!({"parts": [{"parcel_no": "2", "geometry": west}]});
    let (status, err) = post(&app, &admin, &path, Some(1), &half).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    let gap = json!({"parts": [{"parcel_no": "2", "geometry": west},
                               {"parcel_no": "3", "geometry": rect(108.8157, 15.3900, 108.8160, 15.3910)}]});
    let (status, err) = post(&app, &admin, &path, Some(1), &gap).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "parts_do_not_cover", "{err}");
    let ok = json!({"parts": [{"parcel_no": "2", "geometry": west},
                              {"parcel_no": "3", "geometry": east, "land_use": "ONT"}],
                    "reason": "Trích đo địa chính số 12/TĐ"});
    let (status, done) = post(&app, &admin, &path, Some(1), &ok).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["parcels"][1]["land_use"], "ONT");
    assert_eq!(done["parcels"][0]["land_use"], "LUC");

    // Merging the two halves back: a new number, the parts retired.
    let a = done["parcels"][0]["id"].as_i64().expect("id");
    let c = done["parcels"][1]["id"].as_i64().expect("id");
    let merge = |no: &str, va: i64, land_use: Option<&str>| {
        let mut b = json!({"parcels": [{"id": a, "version": va}, {"id": c, "version": 1}],
                           "parcel_no": no});
        if let Some(l) = land_use {
            b["land_use"] = json!(l);
        }
        b
    };
    let (status, err) = post(
        &app,
        &admin,
        "/api/v1/parcels/merge",
        None,
        &merge("4", 1, None),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "land_use_needed", "{err}");
    let (status, err) = post(
        &app,
        &admin,
        "/api/v1/parcels/merge",
        None,
        &merge("4", 7, Some("LUC")),
    )
    .await;
    assert_error(status, &err, StatusCode::CONFLICT);
    assert_eq!(err["error"]["code"], "version_conflict", "{err}");
    let (status, merged) = post(
        &app,
        &admin,
        "/api/v1/parcels/merge",
        None,
        &merge("4", 1, Some("LUC")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{merged}");
    let m = merged["parcels"][0]["id"].as_i64().expect("id");
    let (_, lineage) = app
        .get_json(&admin, &format!("/api/v1/parcels/{m}/lineage"))
        .await;
    let parents: Vec<i64> = lineage["parents"]
        .as_array()
        .expect("parents")
        .iter()
        .map(|p| p["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(parents.len(), 2, "{lineage}");
    assert!(parents.contains(&a) && parents.contains(&c));
    let area = merged["parcels"][0]["area_m2"].as_f64().expect("area");
    let whole = made["items"][0]["area_m2"].as_f64().expect("area");
    assert!((area - whole).abs() < 1.0, "{area} vs {whole}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_touching_parcels_of_one_status_merge() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let features = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": rect(108.8150, 15.3920, 108.8155, 15.3925),
         "properties": {"map_sheet": "T78", "parcel_no": "1", "commune": "21043", "land_use": "LUC"}},
        {"type": "Feature", "geometry": rect(108.8155, 15.3920, 108.8160, 15.3925),
         "properties": {"map_sheet": "T78", "parcel_no": "2", "commune": "21043", "land_use": "LUC", "status": "agreed"}},
        {"type": "Feature", "geometry": rect(108.8170, 15.3920, 108.8175, 15.3925),
         "properties": {"map_sheet": "T78", "parcel_no": "3", "commune": "21043", "land_use": "LUC"}}]});
    let (status, made) = app
        .post_json(&admin, "/api/v1/projects/HPDQ2/parcels", &features)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = |i: usize| made["items"][i]["id"].as_i64().expect("id");
    let before = current_parcels(&app).await;
    let body = |x: i64, y: i64| json!({"parcels": [{"id": x, "version": 1}, {"id": y, "version": 1}], "parcel_no": "9"});
    let (status, err) = post(
        &app,
        &admin,
        "/api/v1/parcels/merge",
        None,
        &body(id(0), id(1)),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "different_statuses", "{err}");
    let (status, err) = post(
        &app,
        &admin,
        "/api/v1/parcels/merge",
        None,
        &body(id(0), id(2)),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "not_adjacent", "{err}");
    // An unknown id answers like any unknown parcel.
    let (status, err) = post(
        &app,
        &admin,
        "/api/v1/parcels/merge",
        None,
        &body(id(0), 99_999_999),
    )
    .await;
    assert_error(status, &err, StatusCode::NOT_FOUND);
    assert_eq!(
        current_parcels(&app).await,
        before,
        "refusals store nothing"
    );
}
