//! Grievances over HTTP: legal deadlines (complaints normal / complex / remote, denunciations in
//! working days, petitions from the setting), actions, the second-round window, scoping, audit.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use chrono::{Duration, NaiveDate};
use common::{assert_error, TestApp};
use gpmb::legal::{self, calendar};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn households_in(app: &TestApp, commune: &str, n: i64) -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            app.count(&format!(
                "SELECT CAST(h.id AS BIGINT) FROM households h JOIN admin_units u ON u.id = h.commune_id \
                 WHERE u.code = '{commune}' AND u.valid_to IS NOT NULL ORDER BY h.id LIMIT 1 OFFSET {i}"
            ))
            .await,
        );
    }
    out
}

fn date(v: &Value) -> NaiveDate {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {v}"))
}

async fn file(app: &TestApp, client: &Client, body: Value) -> Value {
    let (status, g) = app.post_json(client, "/api/v1/grievances", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    g
}

async fn act(app: &TestApp, client: &Client, id: &Value, body: Value) -> (StatusCode, Value) {
    common::json_of(
        client
            .patch(app.url(&format!("/api/v1/grievances/{id}")))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn complaint(h: i64, received: NaiveDate) -> Value {
    json!({"project": "HPDQ2", "kind": "complaint", "channel": "citizen_reception",
           "received_on": received, "content": "Khiếu nại đơn giá bồi thường đất lúa",
           "households": [{"household_id": h}]})
}

#[tokio::test]
async fn complaint_deadlines_normal_complex_remote() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let h = households_in(&app, "21043", 1).await[0];
    let today = legal::today_vn();
    let received = today - Duration::days(6);
    let g = file(&app, &member_a, complaint(h, received)).await;
    assert_eq!(g["status"], "received");
    assert_eq!(g["round"], 1);
    let accept_by = calendar::term_end(received, 10);
    assert_eq!(date(&g["accept_by"]), accept_by);
    // Until accepted, the resolution runs from the last day for acceptance.
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accept_by, 30));
    assert_eq!(g["next_deadline"]["step"], "accept");
    assert_eq!(
        g["next_deadline"]["days_left"],
        (accept_by - today).num_days()
    );
    assert_eq!(
        g["next_deadline"]["rule"]["article"],
        "Luật Khiếu nại 2011 Điều 27"
    );

    let accepted = today - Duration::days(2);
    let (status, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "accept", "on": accepted}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "accepted");
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accepted, 30));
    assert_eq!(g["next_deadline"]["step"], "resolve");
    assert_eq!(g["next_deadline"]["rule"]["code"], "complaint_resolve_1");
    let (_, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "update", "complex": true}),
    )
    .await;
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accepted, 45));
    let (_, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "update", "remote_area": true}),
    )
    .await;
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accepted, 60));
    let (_, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "update", "complex": false}),
    )
    .await;
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accepted, 45));
    assert_eq!(
        g["next_deadline"]["rule"]["code"],
        "complaint_resolve_1_remote"
    );

    // Remote and complex from the start.
    let mut body = complaint(h, received);
    body["remote_area"] = json!(true);
    body["complex"] = json!(true);
    let g2 = file(&app, &member_a, body).await;
    assert_eq!(date(&g2["resolve_by"]), calendar::term_end(accept_by, 60));

    // Assign and resolve; a resolved grievance no longer changes.
    let (status, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "assign", "assignee": "member_a"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["assignee"], "member_a");
    let (status, body) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "assign", "assignee": "nobody"}),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = act(&app, &member_a, &g["id"], json!({"action": "resolve"})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "resolve", "outcome": "Giữ nguyên đơn giá", "document_no": "88/QĐ-UBND"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "resolved");
    assert_eq!(date(&g["resolved_on"]), today);
    assert!(g["next_deadline"].is_null());
    // Remote area: 45 days to file the second round.
    assert_eq!(date(&g["appeal_by"]), calendar::term_end(today, 45));
    let (status, body) = act(&app, &member_a, &g["id"], json!({"action": "withdraw"})).await;
    assert_error(status, &body, StatusCode::CONFLICT);

    // A received complaint is accepted before it is resolved.
    let (status, body) = act(
        &app,
        &member_a,
        &g2["id"],
        json!({"action": "resolve", "outcome": "x"}),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "not_accepted");
    let (status, g2) = act(
        &app,
        &member_a,
        &g2["id"],
        json!({"action": "reject", "outcome": "Đơn không đủ điều kiện thụ lý"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(g2["status"], "rejected");

    // Audit: creation and every action.
    assert!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'grievance' AND action = 'create'"
        )
        .await
            >= 2
    );
    assert!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'grievance' AND action = 'update'"
        )
        .await
            >= 6
    );
}

#[tokio::test]
async fn denunciations_count_working_days_and_petitions_use_the_setting() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let h = households_in(&app, "21043", 1).await[0];
    let today = legal::today_vn();
    let received = today - Duration::days(9);
    let mut body = complaint(h, received);
    body["kind"] = json!("denunciation");
    body["content"] = json!("Tố cáo cán bộ kiểm đếm sai diện tích");
    let g = file(&app, &member_a, body.clone()).await;
    assert_eq!(
        date(&g["accept_by"]),
        calendar::working_days_after(received, 7)
    );
    assert!(g["notify_by"].is_null());
    let accepted = today - Duration::days(3);
    let (status, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "accept", "on": accepted}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(
        date(&g["notify_by"]),
        calendar::working_days_after(accepted, 5)
    );
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accepted, 30));
    // Complex: +30 once; especially complex: +30 twice.
    let (_, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "update", "complex": true}),
    )
    .await;
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accepted, 60));
    let (_, g) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "update", "especially_complex": true}),
    )
    .await;
    assert_eq!(date(&g["resolve_by"]), calendar::term_end(accepted, 90));
    // Especially complex is for denunciations only.
    let mut bad = complaint(h, received);
    bad["especially_complex"] = json!(true);
    let (status, err) = app.post_json(&member_a, "/api/v1/grievances", &bad).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);

    // Petitions: the province's limit (15 days by default, GPMB_PETITION_DAYS).
    body["kind"] = json!("petition");
    let p = file(&app, &member_a, body.clone()).await;
    assert!(p["accept_by"].is_null());
    assert_eq!(
        date(&p["resolve_by"]),
        calendar::term_end(received, app.state.settings.petition_days)
    );
    // Petitions are answered without acceptance.
    let (status, p) = act(
        &app,
        &member_a,
        &p["id"],
        json!({"action": "resolve", "outcome": "Đã trả lời bằng văn bản"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    body["kind"] = json!("feedback");
    let f = file(&app, &member_a, body).await;
    assert_eq!(f["kind"], "feedback");
}

#[tokio::test]
async fn many_signers_validation_and_scope() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let leader = app.login("leader").await;
    let hs = households_in(&app, "21043", 5).await;
    let today = legal::today_vn();
    let g = file(
        &app,
        &member_a,
        json!({
        "project": "HPDQ2", "kind": "petition", "channel": "meeting", "received_on": today,
        "content": "Kiến nghị bố trí tái định cư tại chỗ",
        "households": hs.iter().map(|h| json!({"household_id": h})).collect::<Vec<_>>(),
        "signers": 7}),
    )
    .await;
    assert_eq!(g["signers"], 7);
    assert_eq!(g["households"].as_array().unwrap().len(), 5);
    assert!(g["households"][0]["head_name"].is_string());

    // Invalid input: 422 saying what to fix.
    for (field, value) in [
        ("channel", json!("pigeon")),
        ("households", json!([])),
        ("signers", json!(2)),
        ("received_on", json!(today + Duration::days(1))),
        ("content", json!("  ")),
    ] {
        let mut body = complaint(hs[0], today);
        body["households"] = json!(hs
            .iter()
            .map(|h| json!({"household_id": h}))
            .collect::<Vec<_>>());
        body[field] = value;
        let (status, err) = app.post_json(&member_a, "/api/v1/grievances", &body).await;
        assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut body = complaint(hs[0], today);
    body["kind"] = json!("rumour");
    let (status, _) = app.post_json(&member_a, "/api/v1/grievances", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A parcel id unknown or outside member_a's area: 404, the same answer but for the id.
    // One of her area that the household does not hold: 422.
    let parcel_of = |commune: &str| {
        format!(
            "SELECT CAST(MIN(p.id) AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
             WHERE u.code = '{commune}' AND p.id NOT IN \
             (SELECT parcel_id FROM household_parcels WHERE household_id = {})",
            hs[0]
        )
    };
    let foreign = app.count(&parcel_of("21067")).await;
    let not_held = app.count(&parcel_of("21043")).await;
    let mut answers = Vec::new();
    for p in [999_999, foreign] {
        let mut body = complaint(hs[0], today);
        body["households"][0]["parcel_id"] = json!(p);
        let (status, err) = app.post_json(&member_a, "/api/v1/grievances", &body).await;
        assert_error(status, &err, StatusCode::NOT_FOUND);
        answers.push(err.to_string());
    }
    assert_eq!(
        answers[0], answers[1],
        "an out-of-area parcel answers like an unknown one"
    );
    let mut body = complaint(hs[0], today);
    body["households"][0]["parcel_id"] = json!(not_held);
    let (status, err) = app.post_json(&member_a, "/api/v1/grievances", &body).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "invalid_parcel");

    // member_b (Bình Hải) neither sees nor files for Bình Thuận.
    let (status, _) = app
        .get_json(&member_b, &format!("/api/v1/grievances/{}", g["id"]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let theirs = app
        .all_pages(&member_b, "/api/v1/grievances?project=HPDQ2")
        .await;
    assert!(theirs.iter().all(|x| x["id"] != g["id"]));
    let (status, _) = app
        .post_json(&member_b, "/api/v1/grievances", &complaint(hs[0], today))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Leaders read everything, write nothing.
    let mine = app
        .all_pages(
            &leader,
            &format!("/api/v1/grievances?household={}&status=open", hs[3]),
        )
        .await;
    assert!(mine.iter().any(|x| x["id"] == g["id"]));
    let (status, _) = app
        .post_json(&leader, "/api/v1/grievances", &complaint(hs[0], today))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .get_json(&leader, "/api/v1/grievances?status=lost")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let resolved = app
        .all_pages(&leader, "/api/v1/grievances?status=resolved&kind=petition")
        .await;
    assert!(resolved
        .iter()
        .all(|x| x["status"] == "resolved" && x["kind"] == "petition"));
}

#[tokio::test]
async fn second_round_complaint_window() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let h = households_in(&app, "21043", 1).await[0];
    let today = legal::today_vn();

    // Decided 60 days ago: the 30-day window has closed.
    let late = file(&app, &member_a, complaint(h, today - Duration::days(100))).await;
    act(
        &app,
        &member_a,
        &late["id"],
        json!({"action": "accept", "on": today - Duration::days(95)}),
    )
    .await;
    let decided = today - Duration::days(60);
    let (status, _) = act(
        &app,
        &member_a,
        &late["id"],
        json!({"action": "resolve", "on": decided, "outcome": "Bác đơn"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let appeal = json!({"received_on": today, "content": "Khiếu nại lần hai"});
    let (status, body) = app
        .post_json(
            &member_a,
            &format!("/api/v1/grievances/{}/appeal", late["id"]),
            &appeal,
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "appeal_window_closed");
    let by = calendar::term_end(decided, 30);
    assert_eq!(date(&body["error"]["details"]["appeal_by"]), by);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&by.to_string()));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Điều 33"));
    // Filed on the last day of the window, it is accepted.
    let on_time =
        json!({"received_on": by.min(today), "content": "Khiếu nại lần hai, nộp đúng hạn"});
    if by <= today {
        let (status, g2) = app
            .post_json(
                &member_a,
                &format!("/api/v1/grievances/{}/appeal", late["id"]),
                &on_time,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{g2}");
        assert_eq!(g2["round"], 2);
        assert_eq!(g2["parent_id"], late["id"]);
        assert_eq!(
            date(&g2["resolve_by"]),
            calendar::term_end(calendar::term_end(by, 10), 45)
        );
        assert_eq!(g2["households"][0]["household_id"], h);
        // Only one second round.
        let (status, _) = app
            .post_json(
                &member_a,
                &format!("/api/v1/grievances/{}/appeal", late["id"]),
                &on_time,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        // A second-round complaint has no third round.
        let (status, _) = app
            .post_json(
                &member_a,
                &format!("/api/v1/grievances/{}/appeal", g2["id"]),
                &appeal,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    // Remote area: 45 days, so a decision 40 days ago may still be appealed today.
    let mut body = complaint(h, today - Duration::days(80));
    body["remote_area"] = json!(true);
    let remote = file(&app, &member_a, body).await;
    act(
        &app,
        &member_a,
        &remote["id"],
        json!({"action": "accept", "on": today - Duration::days(75)}),
    )
    .await;
    act(
        &app,
        &member_a,
        &remote["id"],
        json!({"action": "resolve", "on": today - Duration::days(40), "outcome": "Bác đơn"}),
    )
    .await;
    let (status, g2) = app
        .post_json(
            &member_a,
            &format!("/api/v1/grievances/{}/appeal", remote["id"]),
            &appeal,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g2}");
    assert_eq!(g2["remote_area"], true);
    assert_eq!(
        date(&g2["resolve_by"]),
        calendar::term_end(calendar::term_end(today, 10), 60)
    );

    // Still within the first round's deadline, undecided: too early.
    let open = file(&app, &member_a, complaint(h, today)).await;
    let (status, body) = app
        .post_json(
            &member_a,
            &format!("/api/v1/grievances/{}/appeal", open["id"]),
            &appeal,
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "appeal_too_early");
}

/// The desk's flow: intake for two households, assignment, acceptance with its number,
/// resolution with the decision's number, the second round; the list's filters and its order.
#[tokio::test]
async fn desk_flow_filters_and_deadline_order() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let leader = app.login("leader").await;
    let hs = households_in(&app, "21043", 2).await;
    let commune = app
        .count(&format!(
            "SELECT CAST(commune_id AS BIGINT) FROM households WHERE id = {}",
            hs[0]
        ))
        .await;
    let other_commune = app
        .count(
            "SELECT CAST(MIN(h.commune_id) AS BIGINT) FROM households h JOIN admin_units u \
             ON u.id = h.commune_id WHERE u.code <> '21043'",
        )
        .await;
    let today = legal::today_vn();
    let mut body = complaint(hs[0], today - Duration::days(3));
    body["households"] = json!([{"household_id": hs[0]}, {"household_id": hs[1]}]);
    body["signers"] = json!(3);
    let g = file(&app, &member_a, body.clone()).await;
    assert_eq!(g["households"].as_array().unwrap().len(), 2);
    assert_eq!(g["signers"], 3);
    assert!(g["assignee"].is_null());

    // 422s name their field, so the form shows them beside it.
    let mut bad = body.clone();
    bad["content"] = json!("  ");
    let (status, err) = app.post_json(&member_a, "/api/v1/grievances", &bad).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "content", "{err}");
    let mut bad = body.clone();
    bad["signers"] = json!(1);
    let (status, err) = app.post_json(&member_a, "/api/v1/grievances", &bad).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "signers", "{err}");

    // The people it can be assigned to; assigned, it is found by its assignee.
    let (status, people) = app.get_json(&leader, "/api/v1/grievances/assignees").await;
    assert_eq!(status, StatusCode::OK);
    assert!(people
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["username"] == "member_a" && p["display_name"].is_string()));
    assert!(people
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["role"] != "leader"));
    let (status, got) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "assign", "assignee": "member_a"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let (status, err) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "assign", "assignee": "nobody"}),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "assignee");
    let ids = |items: &[Value]| items.iter().map(|x| x["id"].clone()).collect::<Vec<_>>();
    let mine = app
        .all_pages(
            &leader,
            "/api/v1/grievances?project=HPDQ2&assignee=member_a",
        )
        .await;
    assert!(ids(&mine).contains(&g["id"]));
    assert!(mine.iter().all(|x| x["assignee"] == "member_a"));
    let unassigned = app
        .all_pages(&leader, "/api/v1/grievances?project=HPDQ2&assignee=none")
        .await;
    assert!(!ids(&unassigned).contains(&g["id"]));
    let here = app
        .all_pages(
            &leader,
            &format!("/api/v1/grievances?project=HPDQ2&commune_id={commune}"),
        )
        .await;
    assert!(ids(&here).contains(&g["id"]));
    let there = app
        .all_pages(
            &leader,
            &format!("/api/v1/grievances?project=HPDQ2&commune_id={other_commune}"),
        )
        .await;
    assert!(!ids(&there).contains(&g["id"]));
    let of_household = app
        .all_pages(&leader, &format!("/api/v1/grievances?household={}", hs[1]))
        .await;
    assert!(ids(&of_household).contains(&g["id"]));

    // member_b's area does not hold these households: 404 to read or to assign.
    let (status, _) = app
        .get_json(&member_b, &format!("/api/v1/grievances/{}", g["id"]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = act(
        &app,
        &member_b,
        &g["id"],
        json!({"action": "assign", "assignee": "member_b"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Leaders read, but do not write.
    let (status, _) = act(&app, &leader, &g["id"], json!({"action": "accept"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Accepted with its number, resolved with the decision's number and outcome.
    let (status, got) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "accept", "on": today - Duration::days(1), "document_no": "12/TB-UBND"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["status"], "accepted");
    assert_eq!(got["accept_no"], "12/TB-UBND");
    assert_eq!(got["next_deadline"]["step"], "resolve");
    let (status, got) = act(
        &app,
        &member_a,
        &g["id"],
        json!({"action": "resolve", "document_no": "45/QĐ-UBND", "outcome": "Giữ nguyên đơn giá"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["status"], "resolved");
    assert_eq!(got["document_no"], "45/QĐ-UBND");
    assert_eq!(got["accept_no"], "12/TB-UBND");
    assert!(got["next_deadline"].is_null());
    assert!(got["appeal_by"].is_string());
    let (status, second) = app
        .post_json(
            &member_a,
            &format!("/api/v1/grievances/{}/appeal", g["id"]),
            &json!({"received_on": today, "content": "Không đồng ý quyết định giải quyết lần đầu"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["round"], 2);
    assert_eq!(second["parent_id"], g["id"]);
    assert_eq!(second["households"].as_array().unwrap().len(), 2);

    // Overdue first: a complaint received 40 days ago missed its acceptance.
    let late = file(
        &app,
        &member_a,
        complaint(hs[1], today - Duration::days(40)),
    )
    .await;
    assert!(late["next_deadline"]["overdue"].as_bool().unwrap());
    let sorted = app
        .all_pages(
            &leader,
            "/api/v1/grievances?project=HPDQ2&sort=deadline&limit=3",
        )
        .await;
    let all = app
        .all_pages(&leader, "/api/v1/grievances?project=HPDQ2")
        .await;
    assert_eq!(sorted.len(), all.len(), "the offset cursor walks every one");
    let lefts: Vec<Option<i64>> = sorted
        .iter()
        .map(|x| x["next_deadline"]["days_left"].as_i64())
        .collect();
    let open_end = lefts
        .iter()
        .position(Option::is_none)
        .unwrap_or(lefts.len());
    assert!(
        lefts[open_end..].iter().all(Option::is_none),
        "closed ones last"
    );
    assert!(
        lefts[..open_end].windows(2).all(|w| w[0] <= w[1]),
        "{lefts:?}"
    );
    assert!(lefts[0].unwrap() < 0, "the most overdue first: {lefts:?}");
    let (status, _) = app
        .get_json(&leader, "/api/v1/grievances?sort=sideways")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Issue 16 item 4: a grievance signed in two areas shows each member only her own signers
/// (the other area's are counted, never named), and no one but a writer covering every signer
/// may act on it — an out-of-scope writer gets 404, as for an unknown grievance.
#[tokio::test]
async fn a_grievance_across_two_areas_shows_and_lets_write_only_what_the_scope_allows() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let ha = households_in(&app, "21043", 1).await[0];
    let hb = households_in(&app, "21067", 1).await[0];
    let (b_code, b_name) = code_and_name(&app, hb).await;
    let today = legal::today_vn();
    let g = file(
        &app,
        &admin,
        json!({"project": "HPDQ2", "kind": "petition", "channel": "meeting", "received_on": today,
               "content": "Kiến nghị chung của hai xã",
               "households": [{"household_id": ha}, {"household_id": hb}]}),
    )
    .await;
    assert_eq!(g["households"].as_array().unwrap().len(), 2);
    assert_eq!(g["households_outside"], 0);

    // member_a reads it: her household in full, the other only counted.
    let (status, seen) = app
        .get_json(&member_a, &format!("/api/v1/grievances/{}", g["id"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let shown = seen["households"].as_array().unwrap();
    assert_eq!(shown.len(), 1, "{seen}");
    assert_eq!(shown[0]["household_id"], ha);
    assert_eq!(seen["households_outside"], 1);
    let text = seen.to_string();
    assert!(!text.contains(&b_code) && !text.contains(&b_name), "{text}");
    let listed = app
        .all_pages(&member_a, &format!("/api/v1/grievances?household={ha}"))
        .await;
    let mine = listed.iter().find(|x| x["id"] == g["id"]).unwrap();
    assert_eq!(mine["households_outside"], 1);
    assert!(!mine.to_string().contains(&b_code));
    // Filtering by the other area's household or commune finds nothing, as for unknown ones:
    // the list does not tell which of her grievances they co-signed.
    let b_commune = app
        .count(&format!(
            "SELECT CAST(commune_id AS BIGINT) FROM households WHERE id = {hb}"
        ))
        .await;
    for filter in [format!("household={hb}"), format!("commune_id={b_commune}")] {
        let found = app
            .all_pages(&member_a, &format!("/api/v1/grievances?{filter}"))
            .await;
        assert!(found.iter().all(|x| x["id"] != g["id"]), "{filter}");
        let admins = app
            .all_pages(&admin, &format!("/api/v1/grievances?{filter}"))
            .await;
        assert!(admins.iter().any(|x| x["id"] == g["id"]), "{filter}");
    }
    // The grievances export leaves the other area's signer out as well.
    let csv = member_a
        .get(app.url("/api/v1/projects/HPDQ2/exports/grievances.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("Kiến nghị chung của hai xã"), "{csv}");
    assert!(!csv.contains(&b_code) && !csv.contains(&b_name), "{csv}");
    // …and member_b the mirror image.
    let (_, theirs) = app
        .get_json(&member_b, &format!("/api/v1/grievances/{}", g["id"]))
        .await;
    assert_eq!(theirs["households"][0]["household_id"], hb);
    assert_eq!(theirs["households_outside"], 1);

    // Neither member may act on it: 404 like an unknown grievance, and nothing changes.
    for (who, action) in [
        (
            &member_a,
            json!({"action": "assign", "assignee": "member_a"}),
        ),
        (&member_a, json!({"action": "accept"})),
        (
            &member_b,
            json!({"action": "resolve", "outcome": "Đã trả lời"}),
        ),
        (&member_b, json!({"action": "withdraw"})),
    ] {
        let (status, err) = act(&app, who, &g["id"], action).await;
        assert_error(status, &err, StatusCode::NOT_FOUND);
        let (_, unknown) = act(&app, who, &json!(999_999), json!({"action": "accept"})).await;
        assert_eq!(err, unknown);
    }
    let (status, _) = app
        .post_json(
            &member_a,
            &format!("/api/v1/grievances/{}/appeal", g["id"]),
            &json!({"received_on": today, "content": "Khiếu nại lần hai"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, after) = app
        .get_json(&admin, &format!("/api/v1/grievances/{}", g["id"]))
        .await;
    assert_eq!(after["status"], "received");
    assert!(after["assignee"].is_null());

    // The admin, who covers both, acts on it.
    let (status, done) = act(
        &app,
        &admin,
        &g["id"],
        json!({"action": "assign", "assignee": "member_a"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["assignee"], "member_a");
    // A grievance of member_a's area alone stays hers to act on.
    let own = file(&app, &member_a, complaint(ha, today)).await;
    let (status, _) = act(&app, &member_a, &own["id"], json!({"action": "accept"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[derive(sea_orm::FromQueryResult)]
struct CodeName {
    code: String,
    head_name: String,
}

async fn code_and_name(app: &TestApp, id: i64) -> (String, String) {
    use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
    let r = CodeName::find_by_statement(Statement::from_string(
        app.db.conn.get_database_backend(),
        format!("SELECT code, head_name FROM households WHERE id = {id}"),
    ))
    .one(&app.db.conn)
    .await
    .unwrap()
    .unwrap();
    (r.code, r.head_name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_spot_signed_across_areas_names_no_household_outside_the_readers_area() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    // member_a works in Bình Thuận (21043). The hot spot is placed in the signers' first
    // commune (Bình Thuận) and names the lowest-numbered signer: one of Bình Hải (21067).
    let hb = households_in(&app, "21067", 1).await[0];
    let (status, made) = app
        .post_json(
            &admin,
            "/api/v1/households",
            &json!({"project": "HPDQ2", "head_name": "Trần Văn Mới", "commune": "21043",
                    "address": "Thôn Châu Me, xã Bình Thuận"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let ha = made["id"].as_i64().unwrap();
    assert!(ha > hb);
    let outside = hb;
    let member = app.login("member_a").await;
    let g = file(
        &app,
        &admin,
        json!({"project": "HPDQ2", "kind": "petition", "channel": "meeting",
               "received_on": legal::today_vn(), "signers": 60,
               "content": "Đơn kiến nghị tập thể của hai xã",
               "households": [{"household_id": ha}, {"household_id": hb}]}),
    )
    .await;
    // The administrator sees the hot spot naming its first signer.
    let spots = |v: &Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["grievance_id"] == g["id"])
            .cloned()
            .collect()
    };
    let (_, all) = app
        .get_json(&admin, "/api/v1/projects/HPDQ2/hot-spots")
        .await;
    assert_eq!(spots(&all).len(), 1, "{all}");
    assert_eq!(spots(&all)[0]["household_id"], outside);
    // The member sees the hot spot of her commune, without the other area's household.
    let (_, mine) = app
        .get_json(&member, "/api/v1/projects/HPDQ2/hot-spots")
        .await;
    assert_eq!(
        spots(&mine).len(),
        1,
        "member_a sees the hot spot of Bình Thuận: {mine}"
    );
    assert_ne!(spots(&mine)[0]["household_id"], outside);
    let alerts = app
        .all_pages(&member, "/api/v1/alerts?project=HPDQ2&kind=hot_spot")
        .await;
    let text = serde_json::to_string(&alerts).unwrap();
    let ours: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["grievance_id"] == g["id"])
        .collect();
    assert_eq!(ours.len(), 1, "{text}");
    assert_ne!(ours[0]["household_id"], outside);
    assert!(!text.contains(&format!("/households/{outside}")), "{text}");
}
