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
    let parcels = app.count("SELECT COUNT(*) FROM parcels").await;
    assert_eq!(p["parcels"]["total"].as_i64().unwrap(), parcels);
    for (status, n) in p["parcels"]["by_status"].as_object().unwrap() {
        let expected = app
            .count(&format!(
                "SELECT COUNT(*) FROM parcels WHERE status = '{status}'"
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
