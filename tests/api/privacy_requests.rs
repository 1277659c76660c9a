//! Issue 16, item 12 (the rest): a household's notice record, data-subject requests with their
//! statutory deadlines and the access export, the breach log with its 72 hours, and the
//! sensitive flags (poor household, ethnic minority…) kept from those who do not need them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use common::{assert_error, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A household of member_a's area that has visits.
async fn household_of_member_a(app: &TestApp) -> i64 {
    let member_a = app.login("member_a").await;
    let mine = app
        .all_pages(&member_a, "/api/v1/households?limit=200")
        .await;
    for h in &mine {
        let id = h["id"].as_i64().unwrap();
        if app
            .count(&format!(
                "SELECT COUNT(*) FROM visits WHERE household_id = {id}"
            ))
            .await
            > 0
        {
            return id;
        }
    }
    panic!("no household of member_a with visits");
}

fn notice_body() -> Value {
    json!({
        "kinds": ["purpose", "data_collected", "rights"],
        "method": "written_signed",
        "notified_on": "2026-03-06",
        "document_ref": "TB-01/2026",
        "note": "Đã ký nhận thông báo"
    })
}

#[tokio::test]
async fn notices_are_recorded_listed_scoped_and_refused_to_boards() {
    let app = TestApp::spawn().await;
    let id = household_of_member_a(&app).await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let leader = app.login("leader").await;
    let path = format!("/api/v1/households/{id}/notices");

    let (status, created) = app.post_json(&member_a, &path, &notice_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["kinds"],
        json!(["purpose", "data_collected", "rights"])
    );
    assert_eq!(created["method"], "written_signed");
    assert_eq!(created["document_ref"], "TB-01/2026");
    assert_eq!(created["notified_by_name"], "Lê Thị Hồng Nhung");
    assert!(created["withdrawn_on"].is_null());
    let notice_id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'create' AND entity = 'privacy_notice' \
             AND actor = 'user:member_a' AND detail LIKE '%\"household_id\":{id},%'"
        ))
        .await,
        1
    );

    // Readers of personal data list it; the leader reads but does not record.
    for client in [&member_a, &leader] {
        let (status, list) = app.get_json(client, &path).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().unwrap();
        assert!(items.iter().all(|n| n["household_id"] == id), "{list}");
        assert_eq!(items.iter().filter(|n| n["id"] == notice_id).count(), 1);
    }
    let (status, body) = app.post_json(&leader, &path, &notice_body()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);

    // Outside member_b's area: 404 exactly like an unknown household.
    let (status, outside) = app.get_json(&member_b, &path).await;
    assert_error(status, &outside, StatusCode::NOT_FOUND);
    let (_, unknown) = app
        .get_json(&member_b, "/api/v1/households/999999/notices")
        .await;
    assert_eq!(outside["error"]["code"], unknown["error"]["code"]);
    assert_eq!(outside["error"]["message"], unknown["error"]["message"]);
    let (status, body) = app.post_json(&member_b, &path, &notice_body()).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);

    // A project board never: neither reads nor writes (even with a write token).
    let board = app.board(true).await;
    let (status, body) = app.get_json(&board, &path).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    assert!(!body.to_string().contains("TB-01"));
    let (status, body) = app.post_json(&board, &path, &notice_body()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);

    // What was told is required; the day is not in the future.
    let mut bad = notice_body();
    bad["kinds"] = json!([]);
    let (status, body) = app.post_json(&member_a, &path, &bad).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["field"], "kinds");
    let mut bad = notice_body();
    bad["notified_on"] = json!((common::demo_today() + Duration::days(2)).to_string());
    let (status, body) = app.post_json(&member_a, &path, &bad).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);

    // The withdrawal is recorded once.
    let withdraw = format!("{path}/{notice_id}/withdrawal");
    let (status, w) = app
        .post_json(
            &member_a,
            &withdraw,
            &json!({"withdrawn_on": "2026-04-01", "note": "Rút lại đồng ý"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["withdrawn_on"], "2026-04-01");
    let (status, body) = app
        .post_json(&member_a, &withdraw, &json!({"withdrawn_on": "2026-04-02"}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT);
    let (status, body) = app
        .post_json(&member_b, &withdraw, &json!({"withdrawn_on": "2026-04-02"}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

fn request_body(household: i64, kind: &str, received_on: &str) -> Value {
    json!({
        "household_id": household,
        "kind": kind,
        "received_on": received_on,
        "channel": "direct",
        "requester_name": "Nguyễn Văn Chủ Hộ",
        "details": "Xin bản sao toàn bộ dữ liệu cá nhân"
    })
}

#[tokio::test]
async fn a_request_runs_its_life_cycle_with_deadlines_from_the_rule_in_force() {
    let app = TestApp::spawn().await;
    let id = household_of_member_a(&app).await;
    let admin = app.login("admin").await;

    // Received on Friday 6 March 2026: two working days skip the weekend (Tuesday 10 March);
    // 15 days end on Saturday 21 March, so on Monday 23 March.
    let (status, r) = app
        .post_json(
            &admin,
            "/api/v1/privacy/requests",
            &request_body(id, "access", "2026-03-06"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["status"], "received");
    assert_eq!(r["ack_by"], "2026-03-10");
    assert_eq!(r["due_on"], "2026-03-23");
    assert_eq!(r["ack_rule"]["code"], "privacy_request_ack_2026");
    assert_eq!(r["due_rule"]["code"], "privacy_request_complete_2026");
    assert_eq!(r["next_step"], "acknowledge");
    assert_eq!(r["overdue"], true);
    assert!(r["household_code"].as_str().is_some_and(|c| !c.is_empty()));
    let rid = r["id"].as_i64().unwrap();
    let base = format!("/api/v1/privacy/requests/{rid}");

    // Before the law took effect no limit is computed.
    let (status, old) = app
        .post_json(
            &admin,
            "/api/v1/privacy/requests",
            &request_body(id, "correction", "2025-12-31"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{old}");
    assert!(old["ack_by"].is_null() && old["due_on"].is_null(), "{old}");
    assert_eq!(old["ack_rule"]["code"], "privacy_request_ack");

    let (status, a) = app
        .post_json(
            &admin,
            &format!("{base}/acknowledge"),
            &json!({"on": "2026-03-09"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_on"], "2026-03-09");
    assert_eq!(a["next_step"], "complete");
    let (status, body) = app
        .post_json(&admin, &format!("{base}/acknowledge"), &json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT);

    // One extension of 15 days from the deadline, with its reason; a second is refused.
    let (status, body) = app
        .post_json(
            &admin,
            &format!("{base}/extend"),
            &json!({"on": "2026-03-20"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, e) = app
        .post_json(
            &admin,
            &format!("{base}/extend"),
            &json!({"on": "2026-03-20", "reason": "Dữ liệu lưu ở nhiều đơn vị"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["status"], "extended");
    assert_eq!(e["due_on"], "2026-04-07");
    assert_eq!(e["extension_reason"], "Dữ liệu lưu ở nhiều đơn vị");
    let (status, body) = app
        .post_json(
            &admin,
            &format!("{base}/extend"),
            &json!({"reason": "Lần nữa"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "already_extended");

    let (status, c) = app
        .post_json(
            &admin,
            &format!("{base}/complete"),
            &json!({"on": "2026-04-01", "outcome": "done", "note": "Đã giao bản xuất dữ liệu"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "completed");
    assert_eq!(c["outcome"], "done");
    assert_eq!(c["closed_on"], "2026-04-01");
    assert!(c["next_step"].is_null() && c["overdue"] == false);
    let (status, body) = app
        .post_json(
            &admin,
            &format!("{base}/reject"),
            &json!({"legal_reason": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT);

    // Listed, with `status=open` leaving out the closed one; each step audited.
    let open = app
        .all_pages(&admin, "/api/v1/privacy/requests?status=open")
        .await;
    assert!(open.iter().all(|r| r["id"] != rid));
    assert!(open.iter().any(|r| r["id"] == old["id"]));
    let (status, got) = app.get_json(&admin, &base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["status"], "completed");
    for action in ["create", "acknowledge", "extend", "complete"] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE entity = 'privacy_request' \
                 AND entity_id = '{rid}' AND action = '{action}'"
            ))
            .await,
            1,
            "{action}"
        );
    }
}

#[tokio::test]
async fn requests_are_for_admins_and_district_leaders_in_their_area() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let district = app.login("lanhdao_binhson").await;
    let theirs = app.all_pages(&district, "/api/v1/households?limit=5").await;
    let inside = theirs[0]["id"].as_i64().unwrap();
    let (status, r) = app
        .post_json(
            &district,
            "/api/v1/privacy/requests",
            &request_body(inside, "correction", "2026-11-02"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let path = format!("/api/v1/privacy/requests/{}", r["id"]);

    // Another district's official, in no working group here: the household is outside.
    let (status, body) = app
        .post_json(
            &admin,
            "/api/v1/users",
            &json!({"username": "lanhdao_khac", "display_name": "Lãnh đạo khác",
                    "role": "district_leader", "password": "mat-khau-du-dai-12"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let other = app.anonymous();
    let res = other
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "lanhdao_khac", "password": "mat-khau-du-dai-12"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = app
        .post_json(
            &other,
            "/api/v1/privacy/requests",
            &request_body(inside, "correction", "2026-11-02"),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (_, unknown) = app
        .post_json(
            &other,
            "/api/v1/privacy/requests",
            &request_body(999_999, "correction", "2026-11-02"),
        )
        .await;
    assert_eq!(body["error"]["message"], unknown["error"]["message"]);
    let (status, body) = app.get_json(&other, &path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let res = other
        .post(app.url(&format!("{path}/acknowledge")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = other
        .get(app.url(&format!("{path}/export")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let listed = app.all_pages(&district, "/api/v1/privacy/requests").await;
    assert!(listed.iter().any(|x| x["id"] == r["id"]));
    assert!(app
        .all_pages(&other, "/api/v1/privacy/requests")
        .await
        .is_empty());

    // Members, the leader (reads only) and project boards: 403.
    let board = app.board(true).await;
    for client in [
        app.login("member_a").await,
        app.login("leader").await,
        board,
    ] {
        let (status, body) = app.get_json(&client, "/api/v1/privacy/requests").await;
        assert_error(status, &body, StatusCode::FORBIDDEN);
        let (status, body) = app
            .post_json(
                &client,
                "/api/v1/privacy/requests",
                &request_body(inside, "access", "2026-11-02"),
            )
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN);
        let (status, body) = app
            .get_json(
                &client,
                &format!("/api/v1/privacy/requests/{}/export", r["id"]),
            )
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn an_access_export_holds_everything_on_the_household_and_is_audited() {
    let app = TestApp::spawn().await;
    let id = household_of_member_a(&app).await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let (status, notice) = app
        .post_json(
            &member_a,
            &format!("/api/v1/households/{id}/notices"),
            &notice_body(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, r) = app
        .post_json(
            &admin,
            "/api/v1/privacy/requests",
            &request_body(id, "access", "2026-11-30"),
        )
        .await;
    let export = format!("/api/v1/privacy/requests/{}/export", r["id"]);
    let res = admin.get(app.url(&export)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("attachment")));
    let doc: Value = res.json().await.unwrap();

    assert_eq!(doc["household"]["id"], id);
    assert_eq!(doc["request"]["id"], r["id"]);
    let visits = app
        .count(&format!(
            "SELECT COUNT(*) FROM visits WHERE household_id = {id}"
        ))
        .await;
    assert_eq!(
        doc["visits"].as_array().unwrap().len(),
        usize::try_from(visits).unwrap()
    );
    assert!(doc["visits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["household_id"] == id));
    let exported = doc["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == notice["id"])
        .expect("the notice in the export");
    assert_eq!(exported["document_ref"], "TB-01/2026");
    assert_eq!(exported["household_id"], id);
    let holdings = app
        .count(&format!(
            "SELECT COUNT(*) FROM household_parcels WHERE household_id = {id}"
        ))
        .await;
    assert_eq!(
        doc["parcels"].as_array().unwrap().len(),
        usize::try_from(holdings).unwrap()
    );
    for key in [
        "members",
        "holdings",
        "commitments",
        "grievances",
        "case_stage_events",
        "compensation_plans",
        "plan_lines",
        "payments",
        "privacy_requests",
        "household_history",
    ] {
        assert!(doc[key].is_array(), "{key}: {}", doc[key]);
    }
    // The subject's own CCCD in full, and the audit rows naming the household (the notice).
    if let Some(n) = doc["household"]["id_number"].as_str() {
        assert!(!n.contains('*'), "{n}");
    }
    assert!(doc["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["entity"] == "privacy_notice" && e["action"] == "create"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'export' AND entity = 'privacy_request' \
             AND entity_id = '{}' AND actor = 'user:admin' AND detail LIKE '%\"household_id\":{id},%'",
            r["id"]
        ))
        .await,
        1
    );

    // Only an access request exports.
    let (_, del) = app
        .post_json(
            &admin,
            "/api/v1/privacy/requests",
            &request_body(id, "deletion", "2026-11-30"),
        )
        .await;
    let (status, body) = app
        .get_json(
            &admin,
            &format!("/api/v1/privacy/requests/{}/export", del["id"]),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "not_an_access_request");
}

#[tokio::test]
async fn a_deletion_is_refused_with_its_legal_reason_recorded() {
    let app = TestApp::spawn().await;
    let id = household_of_member_a(&app).await;
    let admin = app.login("admin").await;
    let (_, r) = app
        .post_json(
            &admin,
            "/api/v1/privacy/requests",
            &request_body(id, "deletion", "2026-11-30"),
        )
        .await;
    let base = format!("/api/v1/privacy/requests/{}", r["id"]);
    let (status, body) = app
        .post_json(
            &admin,
            &format!("{base}/complete"),
            &json!({"outcome": "refused"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "legal_reason_required");
    assert_eq!(body["error"]["details"]["field"], "legal_reason");
    let (status, body) = app
        .post_json(&admin, &format!("{base}/reject"), &json!({}))
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);

    let reason = "Hồ sơ thu hồi đất phải lưu trữ theo Luật Lưu trữ và Luật Đất đai 2024";
    let (status, done) = app
        .post_json(
            &admin,
            &format!("{base}/complete"),
            &json!({"outcome": "refused", "legal_reason": reason, "note": "Đã trả lời bằng văn bản"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["outcome"], "refused");
    assert_eq!(done["legal_reason"], reason);
    // Nothing was deleted.
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM households WHERE id = {id}"))
            .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM privacy_requests WHERE id = {} AND legal_reason IS NOT NULL",
            r["id"]
        ))
        .await,
        1
    );
}

async fn patch(app: &TestApp, client: &Client, path: &str, body: &Value) -> (StatusCode, Value) {
    common::json_of(client.patch(app.url(path)).json(body).send().await.unwrap()).await
}

fn ts(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn the_breach_log_is_for_admins_with_a_72_hour_limit() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let discovered = (Utc::now() - Duration::hours(80)).fixed_offset();
    let body = json!({
        "discovered_at": discovered.to_rfc3339(),
        "description": "Mất máy tính bảng của tổ công tác",
        "data_kinds": ["identity", "id_number", "sensitive"],
        "households_affected": 22,
        "measures": "Khóa phiên, đổi khóa kho ngoại tuyến"
    });
    let board = app.board(true).await;
    for client in [
        app.login("leader").await,
        app.login("lanhdao_binhson").await,
        app.login("member_a").await,
        board,
    ] {
        let (status, b) = app.get_json(&client, "/api/v1/privacy/breaches").await;
        assert_error(status, &b, StatusCode::FORBIDDEN);
        let (status, b) = app
            .post_json(&client, "/api/v1/privacy/breaches", &body)
            .await;
        assert_error(status, &b, StatusCode::FORBIDDEN);
    }

    let (status, late) = app
        .post_json(&admin, "/api/v1/privacy/breaches", &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{late}");
    assert_eq!(
        ts(&late["report_due_at"]) - ts(&late["discovered_at"]),
        Duration::hours(72)
    );
    assert_eq!(late["late"], true);
    let left = late["hours_left"].as_i64().unwrap();
    assert!((-9..=-8).contains(&left), "{left}");
    assert_eq!(late["rule"]["code"], "privacy_breach_report_2026");
    assert_eq!(
        late["data_kinds"],
        json!(["identity", "id_number", "sensitive"])
    );

    let mut fresh = body.clone();
    fresh["discovered_at"] = json!((Utc::now() - Duration::hours(10))
        .fixed_offset()
        .to_rfc3339());
    let (status, fresh) = app
        .post_json(&admin, "/api/v1/privacy/breaches", &fresh)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(fresh["late"], false);
    let left = fresh["hours_left"].as_i64().unwrap();
    assert!((61..=62).contains(&left), "{left}");

    // Reported within the 72 hours: on time; the late one stays late once reported.
    let now = Utc::now().fixed_offset().to_rfc3339();
    let (status, ok) = patch(
        &app,
        &admin,
        &format!("/api/v1/privacy/breaches/{}", fresh["id"]),
        &json!({"reported_to_authority_at": now}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ok}");
    assert_eq!(ok["late"], false);
    assert!(ok["hours_left"].is_null());
    let (_, still) = patch(
        &app,
        &admin,
        &format!("/api/v1/privacy/breaches/{}", late["id"]),
        &json!({"reported_to_authority_at": now, "closed_at": now}),
    )
    .await;
    assert_eq!(still["late"], true);
    assert!(still["closed_at"].is_string());

    let mut bad = body.clone();
    bad["discovered_at"] = json!((Utc::now() + Duration::hours(5))
        .fixed_offset()
        .to_rfc3339());
    let (status, b) = app
        .post_json(&admin, "/api/v1/privacy/breaches", &bad)
        .await;
    assert_error(status, &b, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, list) = app.get_json(&admin, "/api/v1/privacy/breaches").await;
    assert_eq!(status, StatusCode::OK);
    // Ours and the demo's one.
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'privacy_breach'")
            .await,
        4
    );
}

const SENSITIVE: [&str; 6] = [
    "vulnerable",
    "ethnic_minority",
    "\"poor\"",
    "Hộ nghèo",
    "Dân tộc thiểu số",
    "elderly_alone",
];

#[tokio::test]
async fn sensitive_flags_reach_only_the_roles_that_need_them() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    // A poor or ethnic-minority household of member_a's area, and one of its parcels.
    let member_a = app.login("member_a").await;
    let mine = app
        .all_pages(&member_a, "/api/v1/households?limit=500")
        .await;
    let flagged = mine
        .iter()
        .find(|h| {
            h["vulnerable"]
                .as_array()
                .is_some_and(|v| v.iter().any(|f| f == "poor" || f == "ethnic_minority"))
        })
        .expect("a flagged household in member_a's area");
    let id = flagged["id"].as_i64().unwrap();
    let (_, detail) = app
        .get_json(&admin, &format!("/api/v1/households/{id}"))
        .await;
    let parcel = detail["parcels"][0]["id"].as_i64();

    // Admin, leader, the district leader of the area (if it is theirs) and the member see them.
    for user in ["admin", "leader", "member_a"] {
        let c = app.login(user).await;
        let (status, h) = app.get_json(&c, &format!("/api/v1/households/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(h["vulnerable"], flagged["vulnerable"], "{user}");
    }
    let district = app.login("lanhdao_binhson").await;
    let theirs = app
        .all_pages(&district, "/api/v1/households?limit=500")
        .await;
    assert!(theirs.iter().all(|h| h["vulnerable"].is_array()));
    // Another area's member: 404, nothing shown.
    let member_b = app.login("member_b").await;
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/households/{id}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);

    // A project board's token, endpoint family by endpoint family: never a flag.
    let board = app.board(true).await;
    let mut paths = vec![
        "/api/v1/households".to_string(),
        format!("/api/v1/households/{id}"),
        format!("/api/v1/households/{id}/case"),
        format!("/api/v1/households/{id}/compensation"),
        format!("/api/v1/households/{id}/notices"),
        format!("/api/v1/field/households/{id}"),
        "/api/v1/my-work".to_string(),
        "/api/v1/privacy/requests".to_string(),
        "/api/v1/alerts?project=HPDQ2".to_string(),
        "/api/v1/projects/HPDQ2/hot-spots".to_string(),
        "/api/v1/projects/HPDQ2/dashboard".to_string(),
        "/api/v1/projects/HPDQ2/progress".to_string(),
        "/api/v1/projects/HPDQ2/exports/households.csv".to_string(),
        "/api/v1/projects/HPDQ2/exports/visits.csv".to_string(),
        "/api/v1/projects/HPDQ2/exports/grievances.csv".to_string(),
        "/api/v1/projects/HPDQ2/exports/parcels.csv".to_string(),
        "/api/v1/projects/HPDQ2/exports/parcels.geojson".to_string(),
        "/api/v1/grievances".to_string(),
        "/public/projects/HPDQ2".to_string(),
    ];
    if let Some(p) = parcel {
        paths.push(format!("/api/v1/parcels/{p}/panel"));
        paths.push(format!("/api/v1/parcels/{p}"));
    }
    for path in &paths {
        let res = board.get(app.url(path)).send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.as_u16() < 500, "{path}: {status}");
        for word in SENSITIVE {
            assert!(!text.contains(word), "{path} ({status}) shows {word}");
        }
    }
}
