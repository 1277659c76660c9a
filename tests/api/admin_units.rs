//! The whole country's administrative units (issue 14 item 2): 63 provinces before 1 July 2025
//! and 34 after, any commune found by code *and* day, successors everywhere, and pickers that
//! ask for one province only.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{assert_error, TestApp};

async fn items(app: &TestApp, client: &reqwest::Client, query: &str) -> Vec<Value> {
    app.all_pages(client, &format!("/api/v1/admin-units?{query}"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_country_before_and_after_the_reform() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;

    // 63 provinces until 30 June 2025, 34 from 1 July 2025.
    let before = items(&app, &admin, "level=province&valid_on=2025-06-30&limit=500").await;
    let after = items(&app, &admin, "level=province&valid_on=2025-07-01&limit=500").await;
    assert_eq!(before.len(), 63);
    assert_eq!(after.len(), 34);
    assert!(after.iter().all(|p| p["valid_from"] == "2025-07-01"));
    // Every old province has its successor among the new ones.
    let new_codes: Vec<&str> = after.iter().map(|p| p["code"].as_str().unwrap()).collect();
    for p in &before {
        let s = p["successor_code"].as_str().expect("successor");
        assert!(new_codes.contains(&s), "{p}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM admin_units WHERE level = 'commune'")
            .await,
        10_035 + 3_321
    );

    // A commune of another province: Hà Nội's Phường Phúc Xá, by code and day.
    let (status, body) = app
        .get_json(&admin, "/api/v1/admin-units?code=00001&valid_on=2024-01-01")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let phuc_xa = &body["items"][0];
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(phuc_xa["name"], "Phường Phúc Xá");
    assert_eq!(phuc_xa["level"], "commune");
    assert_eq!(phuc_xa["parent_code"], "001");
    assert_eq!(phuc_xa["valid_to"], "2025-06-30");
    // …and its successor exists, in the new Hà Nội.
    let successor = phuc_xa["successor_code"].as_str().expect("successor");
    let (status, body) = app
        .get_json(
            &admin,
            &format!("/api/v1/admin-units?code={successor}&valid_on=2025-07-01"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = &body["items"][0];
    assert_eq!(new["level"], "commune");
    assert_eq!(new["parent_code"], "01");
    assert!(new["valid_to"].is_null());
    // Hà Nội's 30 districts and their communes, by province.
    let hanoi = items(&app, &admin, "province=01&valid_on=2024-01-01&limit=500").await;
    assert_eq!(
        hanoi.iter().filter(|u| u["level"] == "district").count(),
        30
    );
    assert!(hanoi.iter().any(|u| u["code"] == "00001"));
    assert!(hanoi.iter().all(|u| u["valid_to"] == "2025-06-30"));

    // One code, two units: the day says which.
    let on = |day: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let (status, body) = app
                .get_json(
                    admin,
                    &format!("/api/v1/admin-units?code=21061&valid_on={day}"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
            body["items"][0]["name"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(on("2025-06-30").await, "Xã Bình Trị");
    assert_eq!(on("2025-07-01").await, "Xã Vạn Tường");
    // Without the day the code is ambiguous: 422, naming both.
    let (status, body) = app.get_json(&admin, "/api/v1/admin-units?code=21061").await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "ambiguous_code");
    let specs: Vec<&str> = body["error"]["details"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["spec"].as_str().unwrap())
        .collect();
    assert_eq!(specs.len(), 2, "{body}");
    assert!(specs.contains(&"21061@2025-07-01"), "{specs:?}");
    // A code one unit has needs no day (Phúc Xá's 00001 was not reused).
    let (status, body) = app.get_json(&admin, "/api/v1/admin-units?code=00001").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["name"], "Phường Phúc Xá");
    // The same rule where lists take a commune code.
    let (status, body) = app
        .get_json(&admin, "/api/v1/projects/HPDQ2/parcels?commune=21061")
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "ambiguous_code");
    let (status, body) = app
        .get_json(
            &admin,
            "/api/v1/projects/HPDQ2/parcels?commune=21061@2025-07-01&limit=1",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post_json(
            &admin,
            "/api/v1/working-groups",
            &json!({"project": "HPDQ2", "name": "Tổ Vạn Tường", "area": ["21061"], "leader": "leader"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "ambiguous_code");
}

/// The commune picker of a project's working groups gets its province (both periods: the old
/// Quảng Ngãi and Kon Tum, the new Quảng Ngãi), not 14,000 units.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_picker_gets_its_province_only() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let units = items(&app, &admin, "project=HPDQ2&limit=500").await;
    let expected = app
        .count(
            "SELECT COUNT(*) FROM admin_units u \
             LEFT JOIN admin_units p ON p.id = u.parent_id \
             LEFT JOIN admin_units g ON g.id = p.parent_id \
             WHERE (u.level = 'province' AND u.code IN ('51', '62')) \
                OR (p.level = 'province' AND p.code IN ('51', '62')) \
                OR (g.level = 'province' AND g.code IN ('51', '62'))",
        )
        .await;
    assert_eq!(units.len() as i64, expected);
    assert!(units.len() < 500, "{} units", units.len());
    assert!(units
        .iter()
        .any(|u| u["code"] == "21061" && u["valid_to"].is_null()));
    assert!(units.iter().any(|u| u["code"] == "21043"));
    assert!(
        units.iter().any(|u| u["code"] == "62"),
        "Kon Tum, merged in"
    );
    assert!(!units.iter().any(|u| u["code"] == "00001"), "not Hà Nội");
    // Communes of one period only.
    let now = items(
        &app,
        &admin,
        "project=HPDQ2&level=commune&valid_on=2025-07-01&limit=500",
    )
    .await;
    assert_eq!(now.len(), 96);
    // A project nobody has: 404.
    let (status, body) = app
        .get_json(&admin, "/api/v1/admin-units?project=NOPE")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

/// The units are loaded once: a restart (the database opened again, as `gpmb serve` does)
/// leaves them alone, even one edited since; only a database without the shipped version in
/// `reference_data` loads them again.
#[tokio::test]
async fn the_units_are_loaded_once_and_a_restart_leaves_them_alone() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn_with(0).await;
    let version = "SELECT CAST(version AS BIGINT) FROM reference_data WHERE name = 'admin_units'";
    assert_eq!(
        app.count(version).await,
        i64::from(gpmb::admin_units::seed::ADMIN_UNITS_VERSION)
    );
    let loaded_at = |conn: sea_orm::DatabaseConnection| async move {
        let row = conn
            .query_one(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT loaded_at FROM reference_data WHERE name = 'admin_units'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<chrono::DateTime<chrono::FixedOffset>>("", "loaded_at")
            .unwrap()
    };
    let first_load = loaded_at(app.db.conn.clone()).await;
    // An edit the shipped files do not hold: loading them again would undo it.
    let vt = "code = '21061' AND valid_to IS NULL";
    app.db
        .conn
        .execute_unprepared(&format!(
            "UPDATE admin_units SET name = 'Xã Đổi Tên' WHERE {vt}"
        ))
        .await
        .unwrap();
    let units = app.count("SELECT COUNT(*) FROM admin_units").await;
    let renamed = format!("SELECT COUNT(*) FROM admin_units WHERE {vt} AND name = 'Xã Đổi Tên'");

    for _ in 0..2 {
        let again = gpmb::db::open(&app.database_url, gpmb::db::SqliteSync::Normal)
            .await
            .unwrap();
        assert_eq!(
            loaded_at(again.conn.clone()).await,
            first_load,
            "not loaded again"
        );
        again.conn.close().await.unwrap();
        assert_eq!(app.count(&renamed).await, 1, "the edit is kept");
        assert_eq!(app.count("SELECT COUNT(*) FROM admin_units").await, units);
        assert_eq!(app.count("SELECT COUNT(*) FROM reference_data").await, 1);
    }

    // Without the version row the next start loads the units again (and mends the edit).
    app.db
        .conn
        .execute_unprepared("DELETE FROM reference_data")
        .await
        .unwrap();
    let again = gpmb::db::open(&app.database_url, gpmb::db::SqliteSync::Normal)
        .await
        .unwrap();
    again.conn.close().await.unwrap();
    assert_eq!(
        app.count(&renamed).await,
        0,
        "loaded again: the name is the shipped one"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_units").await, units);
    assert_eq!(
        app.count(version).await,
        i64::from(gpmb::admin_units::seed::ADMIN_UNITS_VERSION)
    );
}
