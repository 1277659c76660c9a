//! Bad input of every kind gets the right 4xx with the error envelope, never a 500.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{assert_error, json_of, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_wrong_types_and_missing_fields() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let post_raw = |body: &'static str| {
        admin
            .post(app.url("/api/v1/visits"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, body) = json_of(post_raw("{\"household_id\": ").await.unwrap()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = json_of(post_raw("{\"household_id\": \"one\"}").await.unwrap()).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, body) = json_of(post_raw("{}").await.unwrap()).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);

    let res = admin
        .post(app.url("/api/v1/visits"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert!(status.is_client_error(), "missing content type: {status}");
    assert!(body["error"]["code"].is_string(), "{body}");

    let (status, body) = app
        .post_json(
            &admin,
            "/api/v1/auth/login",
            &json!({"username": 5, "password": []}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_routes_and_methods() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    for path in [
        "/api/v1/projects/NOPE",
        "/api/v1/projects/NOPE/progress",
        "/api/v1/visits/999999",
        "/api/v1/nothing-here",
    ] {
        let (status, body) = app.get_json(&admin, path).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
    }
    let (status, body) = app.get_json(&admin, "/api/v1/visits/abc").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.get_json(&admin, "/api/v1/visits?cursor=garbage").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.get_json(&admin, "/api/v1/visits?limit=100000").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.get_json(&admin, "/api/v1/visits?from=yesterday").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let res = admin
        .delete(app.url("/api/v1/projects"))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_are_413() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    // The test server accepts 256 KiB.
    let big = json!({"code": "BIG", "name": "x".repeat(400 * 1024), "investor": "x"});
    let (status, body) = app.post_json(&admin, "/api/v1/projects", &big).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM projects WHERE code = 'BIG'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_project_boundary_is_422_naming_the_reason() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let bow_tie = json!({"type": "Polygon", "coordinates": [[[108.80, 15.35], [108.81, 15.36], [108.81, 15.35], [108.80, 15.36], [108.80, 15.35]]]});
    let projected = json!({"type": "Polygon", "coordinates": [[[590000.0, 1700000.0], [590100.0, 1700000.0], [590100.0, 1700100.0], [590000.0, 1700000.0]]]});
    for (boundary, reason) in [
        (bow_tie, "self_intersection"),
        (projected, "outside_vietnam"),
    ] {
        let (status, body) = app
            .post_json(
                &admin,
                "/api/v1/projects",
                &json!({"code": "G1", "name": "x", "investor": "x", "boundary": boundary}),
            )
            .await;
        assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["details"]["reason"], reason, "{body}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM projects WHERE code = 'G1'")
            .await,
        0
    );
}

/// U+0000 fits no PostgreSQL text column (SQLite would store it): every door refuses it alike
/// (a JSON string, an address) or drops it (a cell of an imported file), never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nul_character_is_refused_in_requests_and_dropped_from_imported_cells() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let audit_before = app.count("SELECT COUNT(*) FROM audit_events").await;
    let (status, body) = app
        .post_json(
            &app.anonymous(),
            "/api/v1/auth/login",
            &json!({"username": "ad\u{0}min", "password": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "nul_character", "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events").await,
        audit_before,
        "a refused login body is not audited"
    );

    let (_, households) = app.get_json(&admin, "/api/v1/households?limit=1").await;
    let household = households["items"][0]["id"].as_i64().unwrap();
    let visits_before = app.count("SELECT COUNT(*) FROM visits").await;
    let (status, body) = app
        .post_json(
            &admin,
            "/api/v1/visits",
            &json!({"household_id": household, "note": "đã gặp\u{0}", "channel": "home_visit"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "nul_character", "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visits").await,
        visits_before
    );

    for path in [
        "/api/v1/households?q=Nguy%00n",
        "/api/v1/households/1%00",
        "/api/v1/visits?household_id=1&limit=%00",
    ] {
        let (status, body) = app.get_json(&admin, path).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "nul_character", "{path}: {body}");
    }

    // A register whose name cell holds NULs (a damaged export) imports with the name clean.
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/import");
    let send = |what: &str, name: &str, bytes: Vec<u8>| {
        admin
            .post(app.url(&format!(
                "/api/v1/projects/HPDQ2/imports/{what}?filename={name}"
            )))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
    };
    let parcels = std::fs::read(fixtures.join("parcels_5898.geojson")).unwrap();
    let (status, body) = json_of(send("parcels", "p.geojson", parcels).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    const CLEAN: &str = "SELECT COUNT(*) FROM households WHERE head_name = 'Võ Thị Hồng'";
    let clean_before = app.count(CLEAN).await;
    let register = std::fs::read_to_string(fixtures.join("households.csv"))
        .unwrap()
        .replace("Võ Thị Hồng", "Võ Thị Hồng\0\0");
    let (status, body) = json_of(
        send("households", "h.csv", register.into_bytes())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["committed"], true, "{body}");
    assert_eq!(app.count(CLEAN).await, clean_before + 1);
}
