//! Bulk stage recording: preview (dry run) versus commit, all-or-nothing, the allowed ones
//! only on request, one audit event per household, roles, and a household outside the
//! caller's area making the whole request a 404.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{assert_error, TestApp};
use gpmb::legal;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const URL: &str = "/api/v1/projects/HPDQ2/stages/bulk";

async fn new_household(app: &TestApp, admin: &Client, commune: &str, name: &str) -> i64 {
    let body = json!({"project": "HPDQ2", "head_name": name, "commune": commune,
                      "address": "Thôn Châu Me, xã Bình Thuận"});
    let (status, h) = app.post_json(admin, "/api/v1/households", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    h["id"].as_i64().unwrap()
}

fn ids_of(list: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["household_id"].as_i64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

async fn events(app: &TestApp, ids: &[i64], stage: &str) -> i64 {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    app.count(&format!(
        "SELECT COUNT(*) FROM case_stage_events WHERE stage = '{stage}' AND household_id IN ({list})"
    ))
    .await
}

async fn audits(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'case_stage' AND action = 'create'")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_then_commit_all_or_nothing_with_one_audit_event_each() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let leader = app.login("leader").await;
    let today = legal::today_vn();
    let a = new_household(&app, &admin, "21043", "Bulk Một").await;
    let b = new_household(&app, &admin, "21043", "Bulk Hai").await;
    let c = new_household(&app, &admin, "21043", "Bulk Ba").await;
    // c already had its briefing: a second one is refused.
    let (status, body) = app
        .post_json(
            &admin,
            &format!("/api/v1/households/{c}/stages"),
            &json!({"stage": "briefing", "occurred_on": today}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let req = |dry: bool| {
        json!({"stage": "briefing", "occurred_on": today, "document_no": "01/TB",
                                 "note": "họp dân", "household_ids": [a, b, c], "dry_run": dry})
    };

    // Preview: two allowed, one refused with its reason and facts; nothing stored.
    let audits_before = audits(&app).await;
    let (status, preview) = app.post_json(&leader, URL, &req(true)).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["selected"], 3);
    assert_eq!(preview["recorded"], 0);
    assert_eq!(ids_of(&preview["allowed"]), vec![a, b]);
    assert_eq!(ids_of(&preview["refused"]), vec![c]);
    assert_eq!(preview["refused"][0]["reason"], "stage_already_recorded");
    assert_eq!(preview["refused"][0]["details"]["stage"], "briefing");
    assert_eq!(events(&app, &[a, b], "briefing").await, 0);

    // Commit without only_allowed: 422, nothing stored, nothing audited.
    let (status, body) = app.post_json(&leader, URL, &req(false)).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "bulk_refused");
    assert_eq!(body["error"]["details"]["refused_count"], 1);
    assert_eq!(events(&app, &[a, b], "briefing").await, 0);
    assert_eq!(audits(&app).await, audits_before);

    // The allowed ones only: two events, two audit events naming each household.
    let mut only = req(false);
    only["only_allowed"] = json!(true);
    let (status, done) = app.post_json(&leader, URL, &only).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["recorded"], 2);
    assert_eq!(events(&app, &[a, b], "briefing").await, 2);
    assert_eq!(events(&app, &[c], "briefing").await, 1);
    assert_eq!(audits(&app).await, audits_before + 2);
    for h in [a, b] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE entity = 'case_stage' AND entity_id = '{h}' AND actor LIKE '%leader%'"
            ))
            .await,
            1
        );
    }
    // The case file shows the bulk-recorded stage with its document number.
    let (_, case) = app
        .get_json(&leader, &format!("/api/v1/households/{a}/case"))
        .await;
    assert_eq!(case["current_stage"], "briefing");
    assert_eq!(case["stages"][0]["document_no"], "01/TB");
    assert_eq!(case["stages"][0]["recorded_by"], "leader");

    // All three may take the notice now: recorded without only_allowed, with its deadline.
    let (status, done) = app
        .post_json(
            &leader,
            URL,
            &json!({"stage": "notice", "occurred_on": today,
            "household_ids": [a, b, c]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["recorded"], 3);
    assert_eq!(done["allowed"][0]["due_stage"], "recovery_decision");
    assert_eq!(events(&app, &[a, b, c], "notice").await, 3);
    assert_eq!(audits(&app).await, audits_before + 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_selects_by_commune_hamlet_and_current_stage() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let leader = app.login("leader").await;
    let today = legal::today_vn();
    let a = new_household(&app, &admin, "21043", "Lọc Một").await;
    let (status, preview) = app
        .post_json(&leader, URL, &json!({"stage": "briefing", "occurred_on": today,
            "filter": {"commune": "21043", "hamlet": "chau me", "no_stage": true}, "dry_run": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let expected = app
        .count(
            "SELECT COUNT(*) FROM households h JOIN admin_units u ON u.id = h.commune_id \
             WHERE u.code = '21043' AND u.valid_to IS NOT NULL \
             AND h.id NOT IN (SELECT household_id FROM case_stage_events) \
             AND (h.address LIKE '%Châu Me%' OR h.address LIKE '%châu me%')",
        )
        .await;
    assert_eq!(preview["selected"].as_i64().unwrap(), expected, "{preview}");
    assert!(ids_of(&preview["allowed"]).contains(&a));
    assert!(preview["refused"].as_array().unwrap().is_empty());
    // Households at a stage: the notice needs households whose current stage is briefing.
    let (status, preview) = app
        .post_json(
            &leader,
            URL,
            &json!({"stage": "notice", "occurred_on": today,
            "filter": {"commune": "21043", "current_stage": "briefing"}, "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(!ids_of(&preview["allowed"]).contains(&a));
    // No selection at all: 422.
    let (status, body) = app
        .post_json(
            &leader,
            URL,
            &json!({"stage": "notice", "occurred_on": today, "dry_run": true}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "no_selection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_area_are_checked_for_every_household() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let today = legal::today_vn();
    let inside = new_household(&app, &admin, "21043", "Trong Vùng").await;
    // A commune outside every working group's area (and not merged with one).
    let outside_code = app
        .count(
            "SELECT CAST(u.code AS BIGINT) FROM admin_units u WHERE u.level = 'commune' \
             AND u.valid_to IS NOT NULL AND u.successor_id IS NOT NULL \
             AND u.id NOT IN (SELECT admin_unit_id FROM working_group_areas) \
             AND u.successor_id NOT IN (SELECT a.successor_id FROM admin_units a \
                 JOIN working_group_areas w ON w.admin_unit_id = a.id WHERE a.successor_id IS NOT NULL) \
             ORDER BY u.id LIMIT 1",
        )
        .await;
    let outside = new_household(&app, &admin, &outside_code.to_string(), "Ngoài Vùng").await;
    let district = app.login("lanhdao_binhson").await;
    let (status, _) = app
        .get_json(&district, &format!("/api/v1/households/{outside}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "premise: the household is outside the area"
    );

    let req =
        json!({"stage": "briefing", "occurred_on": today, "household_ids": [inside, outside]});
    let (status, body) = app.post_json(&district, URL, &req).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    assert_eq!(events(&app, &[inside], "briefing").await, 0);
    let mut dry = req.clone();
    dry["dry_run"] = json!(true);
    let (status, body) = app.post_json(&district, URL, &dry).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    // Only the inside one: recorded.
    let (status, body) = app
        .post_json(
            &district,
            URL,
            &json!({"stage": "briefing", "occurred_on": today, "household_ids": [inside]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(events(&app, &[inside], "briefing").await, 1);

    // Members may not record in bulk.
    let member_a = app.login("member_a").await;
    let (status, body) = app
        .post_json(&member_a, URL, &json!({"stage": "notice", "occurred_on": today, "household_ids": [inside], "dry_run": true}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    // Enforcement at night is refused for the whole request, with the nearest allowed time.
    let (status, body) = app
        .post_json(
            &admin,
            URL,
            &json!({"stage": "enforcement", "occurred_on": today + chrono::Duration::days(40),
            "time": "23:00", "household_ids": [inside], "dry_run": true}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "enforcement_not_allowed");
    assert!(body["error"]["details"]["next_allowed_date"].is_string());
    // Unknown project: 404.
    let (status, body) = app
        .post_json(
            &admin,
            "/api/v1/projects/NOPE/stages/bulk",
            &json!({"stage": "notice", "occurred_on": today, "household_ids": [inside]}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_lasso_selects_the_households_of_the_parcels_inside_it() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let today = legal::today_vn();
    let parcel = app
        .count(
            "SELECT CAST(MIN(hp.parcel_id) AS BIGINT) FROM household_parcels hp \
             JOIN households h ON h.id = hp.household_id \
             WHERE h.project_id = (SELECT id FROM projects WHERE code = 'HPDQ2')",
        )
        .await;
    let holders = app
        .count(&format!(
            "SELECT COUNT(DISTINCT household_id) FROM household_parcels WHERE parcel_id = {parcel}"
        ))
        .await;
    let (_, p) = app
        .get_json(&admin, &format!("/api/v1/parcels/{parcel}"))
        .await;
    let ring = p["geometry"]["coordinates"][0].as_array().unwrap();
    let n = (ring.len() - 1) as f64;
    let (x, y) = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |(x, y), c| {
        (
            x + c[0].as_f64().unwrap() / n,
            y + c[1].as_f64().unwrap() / n,
        )
    });
    // A lasso of about 2 m around the parcel's middle: that parcel only.
    let d = 0.00001;
    let area = json!({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]});
    let (status, out) = app
        .post_json(
            &admin,
            URL,
            &json!({"stage": "notice", "occurred_on": today, "filter": {"area": area}, "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["selected"].as_i64(), Some(holders), "{out}");
    let chosen: Vec<i64> = [ids_of(&out["allowed"]), ids_of(&out["refused"])].concat();
    for h in &chosen {
        let holds = app
            .count(&format!(
                "SELECT COUNT(*) FROM household_parcels WHERE household_id = {h} AND parcel_id = {parcel}"
            ))
            .await;
        assert_eq!(holds, 1, "household {h} does not hold parcel {parcel}");
    }
    // A lasso that crosses itself is refused with a reason.
    let bow = json!({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y + d], [x + d, y - d], [x - d, y + d], [x - d, y - d]]]});
    let (status, err) = app
        .post_json(
            &admin,
            URL,
            &json!({"stage": "notice", "occurred_on": today, "filter": {"area": bow}, "dry_run": true}),
        )
        .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "invalid_area", "{err}");
}
