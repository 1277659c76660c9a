//! Alerts over HTTP: every kind appears for a situation built through the API (or the
//! database, where another feature owns the write) and goes away once resolved; hot spots;
//! area scoping and project-board tokens; pagination and counts; bad queries.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(
    clippy::disallowed_methods,
    reason = "tests set up situations other features own straight in the database"
)]
use crate::common;

use std::collections::HashSet;

use chrono::{Duration, Utc};
use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

/// Every alert of `query`, following `next_cursor`.
async fn all(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    app.all_pages(client, &format!("/api/v1/alerts?project=HPDQ2&{query}"))
        .await
}

async fn page(app: &TestApp, client: &Client, query: &str) -> Value {
    let (status, body) = app
        .get_json(client, &format!("/api/v1/alerts?project=HPDQ2&{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn having<'a>(items: &'a [Value], field: &str, id: i64) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|i| i[field].as_i64() == Some(id))
        .collect()
}

/// The server counts days in Vietnam's time zone (UTC+7), whatever the hour in UTC.
fn today() -> chrono::NaiveDate {
    gpmb::legal::today_vn()
}

/// A household of commune `code` in HPDQ2 matching `extra` SQL (alias h).
async fn household(app: &TestApp, code: &str, extra: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(MIN(h.id) AS BIGINT) FROM households h JOIN admin_units u ON u.id = h.commune_id \
         WHERE u.code = '{code}' {extra}"
    ))
    .await
}

async fn group_of(app: &TestApp, client: &Client) -> i64 {
    let (_, me) = app.get_json(client, "/api/v1/auth/me").await;
    me["working_groups"][0].as_i64().expect("a working group")
}

async fn review(app: &TestApp, client: &Client, subject: &str, id: i64) -> (StatusCode, Value) {
    app.post_json(
        client,
        "/api/v1/alerts/reviews",
        &json!({"subject": subject, "subject_id": id, "note": "Đã kiểm tra hồ sơ"}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visits_commitments_and_stage_deadlines_raise_and_clear_alerts() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let group = group_of(&app, &member).await;

    // Not visited: a household of member_a's commune that is on the list.
    let not_visited = all(&app, &member, "kind=not_visited&limit=500").await;
    let h = not_visited[0]["household_id"].as_i64().expect("household");
    assert!(not_visited.iter().all(|i| i["kind"] == "not_visited"));
    let first = &not_visited[0];
    assert!(first["days"].as_i64().unwrap() >= 30, "{first}");
    assert_eq!(first["link"], format!("/field#/h/{h}"));
    assert!(
        first["message"].as_str().unwrap().contains("ngày"),
        "{first}"
    );

    // A visit today with a commitment already due yesterday: the household leaves the
    // not-visited list and the commitment is overdue.
    let yesterday = today() - Duration::days(1);
    let res = member
        .post(app.url("/api/v1/visits"))
        .header("Idempotency-Key", "alerts-test-1")
        .json(&json!({
            "household_id": h, "working_group_id": group,
            "visited_at": Utc::now().to_rfc3339(), "kind": "home_visit",
            "participants": ["Lê Thị Hồng Nhung"], "topics": ["compensation_price"],
            "stance": "considering", "concerns": "Hộ đề nghị xem lại đơn giá",
            "commitments": [{"text": "Gửi bảng giá chi tiết", "owner": "Tổ công tác",
                              "due_date": yesterday.to_string()}]
        }))
        .send()
        .await
        .unwrap();
    let (status, visit) = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let after = all(&app, &member, "kind=not_visited&limit=500").await;
    assert!(having(&after, "household_id", h).is_empty());
    assert_eq!(after.len(), not_visited.len() - 1);

    let overdue = all(&app, &member, "kind=commitment_overdue&limit=500").await;
    let mine: Vec<&Value> = having(&overdue, "household_id", h)
        .into_iter()
        .filter(|i| i["due_on"] == yesterday.to_string())
        .collect();
    assert_eq!(mine.len(), 1, "{overdue:?}");
    assert_eq!(mine[0]["days"], 1);
    assert!(mine[0]["message"]
        .as_str()
        .unwrap()
        .contains("Gửi bảng giá chi tiết"));
    let commitment = mine[0]["commitment_id"].as_i64().unwrap();
    // English on request, from the same catalogue key.
    let en = page(&app, &member, "kind=commitment_overdue&limit=500&lang=en").await;
    let en_item = en["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["commitment_id"].as_i64() == Some(commitment))
        .expect("same alert in English");
    assert_eq!(en_item["reason_key"], "alerts.reason.commitment_overdue");
    assert!(en_item["message"]
        .as_str()
        .unwrap()
        .contains("1 days overdue"));

    // Done: the alert goes.
    app.db
        .conn
        .execute_unprepared(&format!(
            "UPDATE commitments SET done_at = CURRENT_TIMESTAMP WHERE id = {commitment}"
        ))
        .await
        .unwrap();
    let overdue = all(&app, &member, "kind=commitment_overdue&limit=500").await;
    assert!(having(&overdue, "commitment_id", commitment).is_empty());

    // Stage deadline: plan approved 20 days ago, recovery decision due within 10 days.
    let hh = household(
        &app,
        "21043",
        "AND NOT EXISTS (SELECT 1 FROM case_stage_events e WHERE e.household_id = h.id \
         AND e.stage = 'recovery_decision')",
    )
    .await;
    let approved = today() - Duration::days(20);
    let due = approved + Duration::days(10);
    app.db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO case_stage_events (project_id, household_id, stage, occurred_on, note, recorded_at, \
             overridden, due_on, due_stage) SELECT project_id, id, 'plan_approved', '{approved}', '', \
             CURRENT_TIMESTAMP, false, '{due}', 'recovery_decision' FROM households WHERE id = {hh}"
        ))
        .await
        .unwrap();
    let stages = all(&app, &member, "kind=stage_overdue&limit=500").await;
    let mine = having(&stages, "household_id", hh);
    assert_eq!(mine.len(), 1, "{stages:?}");
    assert_eq!(mine[0]["due_on"], due.to_string());
    assert_eq!(mine[0]["days"], 10);
    assert!(mine[0]["message"]
        .as_str()
        .unwrap()
        .contains("Quyết định thu hồi đất"));
    // The recovery decision is recorded: the deadline is met.
    app.db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO case_stage_events (project_id, household_id, stage, occurred_on, note, recorded_at, \
             overridden) SELECT project_id, id, 'recovery_decision', '{}', '', CURRENT_TIMESTAMP, false \
             FROM households WHERE id = {hh}",
            today()
        ))
        .await
        .unwrap();
    let stages = all(&app, &member, "kind=stage_overdue&limit=500").await;
    assert!(having(&stages, "household_id", hh).is_empty());
}

/// Commitments rows whose project or commune is not their household's (or missing).
async fn commitments_off_their_household(app: &TestApp) -> i64 {
    app.count(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM commitments c JOIN households h ON h.id = c.household_id \
         WHERE c.project_id IS NULL OR c.commune_id IS NULL \
            OR c.project_id <> h.project_id OR c.commune_id <> h.commune_id",
    )
    .await
}

fn commitment_ids(items: &[Value]) -> HashSet<i64> {
    items
        .iter()
        .filter_map(|i| i["commitment_id"].as_i64())
        .collect()
}

/// The overdue commitments listed under a commune filter.
async fn overdue_in(app: &TestApp, client: &Client, commune: i64) -> HashSet<i64> {
    commitment_ids(
        &all(
            app,
            client,
            &format!("kind=commitment_overdue&commune_id={commune}&limit=500"),
        )
        .await,
    )
}

/// Overdue commitments are filtered by the project and commune each keeps of its household
/// (issue 15.3): kept by every writer — the visit writer, a row written straight into the
/// table — and moved along when the household's commune changes; the commune filter, the
/// member's area and the groups by commune all read them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commitments_keep_their_households_commune_for_filters_and_areas() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let leader = app.login("leader").await;
    let group = group_of(&app, &member).await;
    // The demo's rows (and the migration's backfill) agree with their households.
    assert_eq!(commitments_off_their_household(&app).await, 0);

    // A household of member_a's area, and a commune that is not its own.
    let first = page(&app, &member, "kind=not_visited&limit=1").await;
    let h = first["items"][0]["household_id"]
        .as_i64()
        .expect("household");
    let commune = first["items"][0]["commune"]["id"]
        .as_i64()
        .expect("commune");
    let other = app
        .count(&format!(
            "SELECT CAST(MIN(commune_id) AS BIGINT) FROM households WHERE commune_id <> {commune}"
        ))
        .await;

    // The visit writer: a commitment already due yesterday.
    let yesterday = today() - Duration::days(1);
    let res = member
        .post(app.url("/api/v1/visits"))
        .header("Idempotency-Key", "alerts-areas-1")
        .json(&json!({
            "household_id": h, "working_group_id": group,
            "visited_at": Utc::now().to_rfc3339(), "kind": "home_visit",
            "participants": ["Lê Thị Hồng Nhung"], "topics": ["compensation_price"],
            "stance": "considering", "concerns": "Hộ đề nghị đo lại ranh giới",
            "commitments": [{"text": "Đo lại ranh giới thửa đất", "owner": "Tổ công tác",
                              "due_date": yesterday.to_string()}]
        }))
        .send()
        .await
        .unwrap();
    let (status, visit) = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let by_visit = visit["commitments"][0]["id"]
        .as_i64()
        .expect("commitment id");
    assert_eq!(commitments_off_their_household(&app).await, 0);

    // Any other writer: a row written straight into the table names only the household.
    app.db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO commitments (visit_id, household_id, text, owner, due_date) \
             VALUES ({}, {h}, 'Gửi lại biên bản', 'Tổ công tác', '{yesterday}')",
            visit["id"].as_i64().unwrap()
        ))
        .await
        .unwrap();
    let raw = app
        .count(&format!(
            "SELECT CAST(MAX(id) AS BIGINT) FROM commitments WHERE household_id = {h}"
        ))
        .await;
    assert_ne!(raw, by_visit);
    assert_eq!(commitments_off_their_household(&app).await, 0);

    // Both show under the household's commune, for the leader and in the member's area.
    for client in [&leader, &member] {
        let here = overdue_in(&app, client, commune).await;
        assert!(here.contains(&by_visit) && here.contains(&raw), "{here:?}");
    }
    let mine = commitment_ids(&all(&app, &member, "kind=commitment_overdue&limit=500").await);
    assert!(mine.contains(&by_visit) && mine.contains(&raw));
    // Not under another commune.
    let there = overdue_in(&app, &leader, other).await;
    assert!(!there.contains(&by_visit) && !there.contains(&raw));
    // Grouped by commune, the household's commune counts them.
    let (_, groups) = app
        .get_json(
            &leader,
            "/api/v1/alerts/groups?project=HPDQ2&by=commune&kind=commitment_overdue",
        )
        .await;
    let count_of = |groups: &Value, id: i64| {
        groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"].as_i64() == Some(id))
            .and_then(|g| g["count"].as_i64())
            .unwrap_or(0)
    };
    let before = count_of(&groups, commune);
    assert_eq!(
        before,
        overdue_in(&app, &leader, commune).await.len() as i64,
        "{groups}"
    );

    // The household moves to another commune: its commitments go along.
    app.db
        .conn
        .execute_unprepared(&format!(
            "UPDATE households SET commune_id = {other} WHERE id = {h}"
        ))
        .await
        .unwrap();
    assert_eq!(commitments_off_their_household(&app).await, 0);
    let there = overdue_in(&app, &leader, other).await;
    assert!(
        there.contains(&by_visit) && there.contains(&raw),
        "{there:?}"
    );
    let here = overdue_in(&app, &leader, commune).await;
    assert!(!here.contains(&by_visit) && !here.contains(&raw));
    let (_, groups) = app
        .get_json(
            &leader,
            "/api/v1/alerts/groups?project=HPDQ2&by=commune&kind=commitment_overdue",
        )
        .await;
    assert!(count_of(&groups, commune) < before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grievances_raise_deadline_alerts_and_hot_spots_until_resolved() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let leader = app.login("leader").await;
    let base = page(&app, &leader, "limit=1").await["counts"].clone();

    // Six households of Bình Hải sign one complaint received 15 days ago: acceptance (10 days)
    // is overdue, and six signers make a hot spot.
    let (_, list) = app
        .get_json(&admin, "/api/v1/households?commune=21067&limit=6")
        .await;
    let signers: Vec<Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| json!({"household_id": h["id"]}))
        .collect();
    assert_eq!(signers.len(), 6);
    let received = today() - Duration::days(15);
    let (status, g) = app
        .post_json(
            &admin,
            "/api/v1/grievances",
            &json!({"project": "HPDQ2", "kind": "complaint", "channel": "direct",
                    "received_on": received.to_string(), "content": "Đề nghị xem lại đơn giá đất lúa",
                    "households": signers}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_i64().unwrap();

    let body = page(&app, &leader, "limit=500").await;
    let items = body["items"].as_array().unwrap();
    let overdue: Vec<&Value> = having(items, "grievance_id", gid)
        .into_iter()
        .filter(|i| i["kind"] == "grievance_overdue")
        .collect();
    assert_eq!(overdue.len(), 1, "{items:?}");
    // Ten days to accept, moved to the next working day when it ends on a day off.
    let accept_by: chrono::NaiveDate = serde_json::from_value(g["accept_by"].clone()).unwrap();
    assert!(accept_by >= received + Duration::days(10) && accept_by < today());
    assert_eq!(overdue[0]["days"], (today() - accept_by).num_days());
    assert_eq!(overdue[0]["commune"]["code"], "21067");
    let hot: Vec<&Value> = having(items, "grievance_id", gid)
        .into_iter()
        .filter(|i| i["kind"] == "hot_spot")
        .collect();
    assert_eq!(hot.len(), 1);
    assert_eq!(hot[0]["params"]["hot_spot"], "many_signers");
    assert_eq!(
        body["counts"]["hot_spot"].as_i64().unwrap(),
        base["hot_spot"].as_i64().unwrap() + 1
    );

    // The map's hot-spot list places it on the signers' parcels.
    let (status, spots) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/hot-spots")
        .await;
    assert_eq!(status, StatusCode::OK);
    let spot = spots["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["grievance_id"].as_i64() == Some(gid))
        .expect("hot spot on the map");
    assert!(spot["parcel_ids"].as_array().unwrap().len() >= 6);
    let lon = spot["lon"].as_f64().unwrap();
    assert!((108.0..110.0).contains(&lon), "{spot}");

    // Accepted today: the resolution deadline (30 days from receipt) is 15 days away, outside
    // the 5-day window; nothing about it is due or overdue.
    let res = admin
        .patch(app.url(&format!("/api/v1/grievances/{gid}")))
        .json(&json!({"action": "accept", "on": today().to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let items = all(&app, &leader, "limit=500").await;
    assert!(having(&items, "grievance_id", gid)
        .iter()
        .all(|i| i["kind"] == "hot_spot"));

    // A second complaint received 27 days ago (acceptance due in a few days) is due soon.
    let received2 = today() - Duration::days(8);
    let (status, g2) = app
        .post_json(
            &admin,
            "/api/v1/grievances",
            &json!({"project": "HPDQ2", "kind": "complaint", "channel": "mail",
                    "received_on": received2.to_string(), "content": "Khiếu nại diện tích",
                    "households": [signers[0].clone()]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g2}");
    let gid2 = g2["id"].as_i64().unwrap();
    let due = all(&app, &leader, "kind=grievance_due&limit=500").await;
    let mine = having(&due, "grievance_id", gid2);
    assert_eq!(mine.len(), 1, "{due:?}");
    let accept_by2: chrono::NaiveDate = serde_json::from_value(g2["accept_by"].clone()).unwrap();
    assert!(accept_by2 >= received2 + Duration::days(10));
    assert_eq!(mine[0]["days"], (today() - accept_by2).num_days());

    // Resolved: the deadline alerts and the hot spot go.
    for id in [gid, gid2] {
        if id == gid2 {
            let res = admin
                .patch(app.url(&format!("/api/v1/grievances/{id}")))
                .json(&json!({"action": "accept"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
        let res = admin
            .patch(app.url(&format!("/api/v1/grievances/{id}")))
            .json(&json!({"action": "resolve", "outcome": "Giữ nguyên đơn giá, giải thích cho hộ"}))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let items = all(&app, &leader, "limit=500").await;
    assert!(having(&items, "grievance_id", gid).is_empty());
    assert!(having(&items, "grievance_id", gid2).is_empty());
    let closed = app
        .count(&format!(
            "SELECT COUNT(*) FROM hot_spots WHERE grievance_id = {gid} AND resolved_on IS NOT NULL"
        ))
        .await;
    assert_eq!(closed, 1);

    // Filing again after that decision is a hot spot of its own.
    let (status, g3) = app
        .post_json(
            &admin,
            "/api/v1/grievances",
            &json!({"project": "HPDQ2", "kind": "complaint", "channel": "direct",
                    "received_on": today().to_string(), "content": "Vẫn không đồng ý đơn giá",
                    "households": [signers[1].clone()]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g3}");
    let gid3 = g3["id"].as_i64().unwrap();
    let hot = all(&app, &leader, "kind=hot_spot&limit=500").await;
    let mine = having(&hot, "grievance_id", gid3);
    assert_eq!(mine.len(), 1, "{hot:?}");
    assert_eq!(mine[0]["params"]["hot_spot"], "repeat_filing");
    assert_eq!(mine[0]["household_id"], signers[1]["household_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn splits_and_land_use_changes_after_the_notice_are_flagged_until_reviewed() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let before = page(&app, &member, "limit=1").await["counts"].clone();

    // Household split, recorded today (after the notice, 352 days ago).
    let parent = household(&app, "21043", "").await;
    let (status, split) = app
        .post_json(
            &member,
            "/api/v1/households",
            &json!({"project": "HPDQ2", "head_name": "Nguyễn Văn Tách", "commune": "21043",
                    "address": "Thôn An Điềm", "split_from": parent}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{split}");
    let hid = split["id"].as_i64().unwrap();
    let splits = all(&app, &member, "kind=split_after_cutoff&limit=500").await;
    let mine = having(&splits, "household_id", hid);
    assert_eq!(mine.len(), 1, "{splits:?}");
    assert_eq!(mine[0]["params"]["subject"], "household_split");
    assert_eq!(
        mine[0]["params"]["cutoff"],
        crate::common::vn_date(crate::common::demo_notice_date())
    );
    assert_eq!(mine[0]["link"], format!("/field#/h/{hid}"));

    // Parcel split: a parcel posted (by an administrator) with a parent.
    let parent_parcel = app
        .count(
            "SELECT CAST(MIN(p.id) AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id WHERE u.code = '21043' AND p.retired_at IS NULL",
        )
        .await;
    let mp = gpmb::geo::square_parcel(108.815, 15.39, 40.0, 50.0, [0.0; 4]);
    let geometry: Value = serde_json::from_str(&gpmb::geo::to_geojson_string(&mp)).unwrap();
    let admin = app.login("admin").await;
    let (status, created) = app
        .post_json(
            &admin,
            "/api/v1/projects/HPDQ2/parcels",
            &json!({"type": "Feature", "geometry": geometry, "properties": {
                "map_sheet": "T77", "parcel_no": "1", "commune": "21043", "land_use": "LUC",
                "parent_parcel": parent_parcel}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let pid = created["items"][0]["id"].as_i64().unwrap();
    let splits = all(&app, &member, "kind=split_after_cutoff&limit=500").await;
    let mine = having(&splits, "parcel_id", pid);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["params"]["subject"], "parcel_split");
    assert_eq!(mine[0]["link"], format!("/map?parcel={pid}"));

    // Land-use change through the parcel PATCH.
    let (_, parcel) = app
        .get_json(&member, &format!("/api/v1/parcels/{parent_parcel}"))
        .await;
    let to = if parcel["land_use"] == "CLN" {
        "ONT"
    } else {
        "CLN"
    };
    let res = member
        .patch(app.url(&format!("/api/v1/parcels/{parent_parcel}")))
        .header("If-Match", parcel["version"].to_string())
        .json(&json!({"land_use": to, "reason": "Hộ tự chuyển sang trồng cây lâu năm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let changes = all(&app, &member, "kind=land_use_change_after_cutoff&limit=500").await;
    let mine = having(&changes, "parcel_id", parent_parcel);
    assert_eq!(mine.len(), 1, "{changes:?}");
    assert_eq!(mine[0]["params"]["to"], to);
    let event: i64 = mine[0]["params"]["event_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let during = page(&app, &member, "limit=1").await["counts"].clone();
    assert_eq!(
        during["split_after_cutoff"].as_i64().unwrap(),
        before["split_after_cutoff"].as_i64().unwrap() + 2
    );
    assert_eq!(
        during["land_use_change_after_cutoff"].as_i64().unwrap(),
        before["land_use_change_after_cutoff"].as_i64().unwrap() + 1
    );

    // Reviewed: all three go; a second review of the same change is a conflict.
    for (subject, id) in [
        ("household_split", hid),
        ("parcel_split", pid),
        ("land_use_change", event),
    ] {
        let (status, body) = review(&app, &member, subject, id).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = review(&app, &member, "parcel_split", pid).await;
    assert_error(status, &body, StatusCode::CONFLICT);
    let after = page(&app, &member, "limit=1").await["counts"].clone();
    assert_eq!(after["split_after_cutoff"], before["split_after_cutoff"]);
    assert_eq!(
        after["land_use_change_after_cutoff"],
        before["land_use_change_after_cutoff"]
    );

    // Reviews are for writers of the area: a leader may not, member_b gets 404 for Bình Thuận.
    let leader = app.login("leader").await;
    let (status, body) = review(&app, &leader, "household_split", parent).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    let member_b = app.login("member_b").await;
    let (status, body) = review(&app, &member_b, "household_split", parent).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = review(&app, &member, "bogus", parent).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_a_mix_pages_walk_and_areas_are_kept_apart() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let first = page(&app, &leader, "limit=500").await;
    let counts = first["counts"].as_object().unwrap();
    // The demo's mix: every kind it promises is there.
    for kind in [
        "hot_spot",
        "grievance_overdue",
        "split_after_cutoff",
        "land_use_change_after_cutoff",
        "commitment_overdue",
        "not_visited",
    ] {
        assert!(counts[kind].as_i64().unwrap() > 0, "{kind}: {counts:?}");
    }
    let total: i64 = counts.values().map(|v| v.as_i64().unwrap()).sum();
    assert_eq!(first["total"].as_i64().unwrap(), total);

    // Small pages walk every alert once, in kind order.
    let walked = all(&app, &leader, "limit=7").await;
    assert_eq!(walked.len() as i64, total);
    let keys: HashSet<String> = walked
        .iter()
        .map(|i| {
            format!(
                "{}:{}:{}:{}:{}",
                i["kind"], i["household_id"], i["parcel_id"], i["grievance_id"], i["commitment_id"]
            )
        })
        .collect();
    assert!(keys.len() as i64 >= total - 1, "duplicates in the walk");
    let order: Vec<&str> = walked.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    let mut runs = order.clone();
    runs.dedup();
    let mut distinct = runs.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(runs.len(), distinct.len(), "kinds interleaved: {runs:?}");
    assert_eq!(order[0], "hot_spot");

    // Commune filter.
    let bt = all(&app, &leader, "commune=21043&limit=500").await;
    assert!(!bt.is_empty());
    assert!(bt.iter().all(|i| i["commune"]["code"] == "21043"));

    // member_a sees Bình Thuận only; member_b sees none of it.
    let a = app.login("member_a").await;
    let b = app.login("member_b").await;
    let mine = all(&app, &a, "limit=500").await;
    assert!(!mine.is_empty());
    let a_communes: HashSet<String> = mine
        .iter()
        .map(|i| i["commune"]["code"].as_str().unwrap_or("").to_string())
        .collect();
    let theirs = all(&app, &b, "limit=500").await;
    assert!(!theirs.is_empty());
    let a_households: HashSet<i64> = mine
        .iter()
        .filter_map(|i| i["household_id"].as_i64())
        .collect();
    for i in &theirs {
        assert!(!a_communes.contains(i["commune"]["code"].as_str().unwrap_or("")));
        if let Some(h) = i["household_id"].as_i64() {
            assert!(!a_households.contains(&h));
        }
    }
    let (_, spots_b) = app.get_json(&b, "/api/v1/projects/HPDQ2/hot-spots").await;
    assert!(spots_b["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["commune"]["code"] != "21043"));

    // A project board's token: alerts without household ids or commitment texts.
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "board")
        .await
        .unwrap();
    let board = Client::new();
    let res = board
        .get(app.url("/api/v1/alerts?project=HPDQ2&limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], first["total"]);
    for i in body["items"].as_array().unwrap() {
        assert!(
            i["household_id"].is_null() && i["household_code"].is_null(),
            "{i}"
        );
        if i["kind"] == "commitment_overdue" {
            assert_eq!(i["params"]["text"], "…");
        }
    }

    // Bad queries are 4xx envelopes; unknown projects 404; no login 401.
    for bad in ["kind=late", "limit=0", "limit=501", "cursor=zzz"] {
        let (status, body) = app
            .get_json(&leader, &format!("/api/v1/alerts?project=HPDQ2&{bad}"))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
    }
    let (status, body) = app.get_json(&leader, "/api/v1/alerts?project=NOPE").await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app.get_json(&app.anonymous(), "/api/v1/alerts").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

/// Bug 5 of issue 11: the pre-2025 Bình Trị and the post-2025 Vạn Tường share the code 21061.
/// Filtering by the legacy unit's id gives Bình Trị's alerts only, not the six communes merged
/// into Vạn Tường; Vạn Tường's id gives its own alerts and those of the units merged into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commune_filter_tells_apart_units_that_share_a_code() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let binh_tri = app
        .count(
            "SELECT CAST(id AS BIGINT) FROM admin_units WHERE code = '21061' \
             AND successor_id IS NOT NULL",
        )
        .await;
    let van_tuong = app
        .count(
            "SELECT CAST(id AS BIGINT) FROM admin_units WHERE code = '21061' \
             AND successor_id IS NULL AND valid_to IS NULL",
        )
        .await;
    assert_ne!(binh_tri, van_tuong);
    let merged = app
        .count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM admin_units WHERE successor_id = {van_tuong}"
        ))
        .await;
    assert!(merged >= 6, "the demo's six communes merged into Vạn Tường");

    // The legacy unit's id: its alerts only.
    let bt = all(&app, &leader, &format!("commune_id={binh_tri}&limit=500")).await;
    assert!(!bt.is_empty());
    assert!(
        bt.iter()
            .all(|i| i["commune"]["id"].as_i64() == Some(binh_tri)),
        "only Bình Trị: {bt:?}"
    );
    // Exactly the households of Bình Trị that the unfiltered list shows as not visited.
    let everyone = all(&app, &leader, "kind=not_visited&limit=500").await;
    let bt_not_visited = all(
        &app,
        &leader,
        &format!("kind=not_visited&commune_id={binh_tri}&limit=500"),
    )
    .await;
    assert_eq!(
        bt_not_visited.len(),
        everyone
            .iter()
            .filter(|i| i["commune"]["id"].as_i64() == Some(binh_tri))
            .count()
    );
    assert!(bt_not_visited.len() < everyone.len());
    // The code with a day names the same unit.
    let by_day = page(&app, &leader, "commune=21061@2021-01-01&limit=1").await;
    let by_id = page(&app, &leader, &format!("commune_id={binh_tri}&limit=1")).await;
    assert_eq!(by_day["total"], by_id["total"]);
    assert_eq!(by_day["counts"], by_id["counts"]);

    // The post-2025 unit's id: its own alerts and those of the six merged communes.
    let vt = all(&app, &leader, &format!("commune_id={van_tuong}&limit=500")).await;
    assert!(vt.len() > bt.len());
    let communes: HashSet<i64> = vt
        .iter()
        .filter_map(|i| i["commune"]["id"].as_i64())
        .collect();
    assert!(communes.len() > 1, "{communes:?}");
    for c in &communes {
        let inside = app
            .count(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM admin_units WHERE id = {c} \
                 AND (id = {van_tuong} OR successor_id = {van_tuong})"
            ))
            .await;
        assert_eq!(inside, 1, "commune {c} is not Vạn Tường nor merged into it");
    }
    let vt_not_visited: HashSet<i64> = all(
        &app,
        &leader,
        &format!("kind=not_visited&commune_id={van_tuong}&limit=500"),
    )
    .await
    .iter()
    .filter_map(|i| i["household_id"].as_i64())
    .collect();
    assert!(bt_not_visited
        .iter()
        .all(|i| vt_not_visited.contains(&i["household_id"].as_i64().unwrap())));
    // The code with a day after the reform names Vạn Tường; the bare code names two units
    // and is refused (422 ambiguous_code).
    let dated = page(&app, &leader, "commune=21061@2025-07-01&limit=1").await;
    let vt_page = page(&app, &leader, &format!("commune_id={van_tuong}&limit=1")).await;
    assert_eq!(dated["total"], vt_page["total"]);
    let (status, body) = app
        .get_json(
            &leader,
            "/api/v1/alerts?project=HPDQ2&commune=21061&limit=1",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "ambiguous_code");
    // An unknown id is an empty list, not every alert.
    let none = page(&app, &leader, "commune_id=999999&limit=1").await;
    assert_eq!(none["total"], 0);
}

async fn triage(app: &TestApp, client: &Client, body: Value) -> (StatusCode, Value) {
    app.post_json(client, "/api/v1/alerts/reviews", &body).await
}

async fn groups(app: &TestApp, client: &Client, query: &str) -> Value {
    let (status, body) = app
        .get_json(
            client,
            &format!("/api/v1/alerts/groups?project=HPDQ2&{query}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn group_sum(g: &Value) -> i64 {
    g["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["count"].as_i64().unwrap())
        .sum()
}

/// Triage (issue 12.7): a leader acknowledges, assigns and snoozes; a snoozed alert leaves the
/// list and its counts; leaders are linked to the desktop case file; members of another area
/// get 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaders_acknowledge_assign_and_snooze_alerts() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let member_b = app.login("member_b").await;
    let before = page(&app, &leader, "kind=not_visited&limit=5").await;
    let n_before = before["counts"]["not_visited"].as_i64().unwrap();
    let target = &before["items"][0];
    assert_eq!(target["subject"], "not_visited");
    let hid = target["household_id"].as_i64().unwrap();
    assert_eq!(target["subject_id"].as_i64().unwrap(), hid);
    // Leaders go to the case file, members stay on the field app.
    assert_eq!(target["link"], format!("/households/{hid}"));
    let member_a = app.login("member_a").await;
    let theirs = page(&app, &member_a, "kind=not_visited&limit=1").await;
    assert!(theirs["items"][0]["link"]
        .as_str()
        .unwrap()
        .starts_with("/field#/h/"));

    // A snooze needs a later day and a reason, each named as the field at fault.
    let tomorrow = today() + Duration::days(1);
    let body = |extra: Value| {
        let mut b = json!({"subject": "not_visited", "subject_id": hid});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let (status, err) = triage(
        &app,
        &leader,
        body(json!({"action": "snooze", "until": today(), "note": "Hộ đi làm xa"})),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "until");
    let (status, err) = triage(
        &app,
        &leader,
        body(json!({"action": "snooze", "until": tomorrow})),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "note");
    let (status, err) = triage(
        &app,
        &leader,
        body(json!({"action": "assign", "assignee": "ghost"})),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "assignee");

    // Acknowledge and assign: the alert stays, marked.
    let (status, ack) = triage(&app, &leader, body(json!({"action": "acknowledge"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{ack}");
    assert_eq!(ack["action"], "acknowledge");
    let (status, given) = triage(
        &app,
        &leader,
        body(json!({"action": "assign", "assignee": "member_a"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{given}");
    let again = all(&app, &leader, "kind=not_visited&limit=500").await;
    let mine = having(&again, "household_id", hid);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["assignee"], "member_a");
    assert!(mine[0]["acknowledged_by"].is_string(), "{}", mine[0]);
    assert!(mine[0]["acknowledged_at"].is_string());

    // Another area's member: 404, as for an unknown household (member_a's household).
    let a_hid = theirs["items"][0]["household_id"].as_i64().unwrap();
    let (status, err) = triage(
        &app,
        &member_b,
        json!({"subject": "not_visited", "subject_id": a_hid, "action": "acknowledge"}),
    )
    .await;
    assert_error(status, &err, StatusCode::NOT_FOUND);
    let (status, err) = triage(
        &app,
        &leader,
        json!({"subject": "not_visited", "subject_id": 9_999_999, "action": "acknowledge"}),
    )
    .await;
    assert_error(status, &err, StatusCode::NOT_FOUND);

    // Snoozed until tomorrow with a reason: gone from the list and its count.
    let (status, snoozed) = triage(
        &app,
        &leader,
        body(json!({"action": "snooze", "until": tomorrow, "note": "Hộ đi làm ăn xa, hẹn về sau Tết"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{snoozed}");
    assert_eq!(snoozed["until"], tomorrow.to_string());
    let after = page(&app, &leader, "kind=not_visited&limit=500").await;
    assert_eq!(
        after["counts"]["not_visited"].as_i64().unwrap(),
        n_before - 1
    );
    let rest = all(&app, &leader, "kind=not_visited&limit=500").await;
    assert!(having(&rest, "household_id", hid).is_empty());
    // Written down in the audit trail.
    let audited = app
        .count("SELECT COUNT(*) FROM audit_events WHERE entity = 'alert_triage'")
        .await;
    assert_eq!(audited, 3);
    // Reviews of splits stay for writers only.
    let (status, err) = triage(
        &app,
        &leader,
        json!({"subject": "household_split", "subject_id": hid}),
    )
    .await;
    assert_error(status, &err, StatusCode::FORBIDDEN);
}

/// Grouping (issue 13.3): by commune and by kind the counts add up to the list's total, under
/// the caller's area; by working group every group of the project is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_group_by_commune_working_group_and_kind() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let list = page(&app, &leader, "limit=1").await;
    let total = list["total"].as_i64().unwrap();
    let by_commune = groups(&app, &leader, "by=commune").await;
    assert_eq!(by_commune["total"].as_i64().unwrap(), total);
    assert_eq!(group_sum(&by_commune), total);
    assert!(by_commune["groups"].as_array().unwrap().len() >= 2);
    // Largest first, each one's count is the list filtered to that commune.
    let first = &by_commune["groups"][0];
    let n_first = first["count"].as_i64().unwrap();
    assert!(by_commune["groups"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["count"].as_i64().unwrap() <= n_first));
    let there = page(
        &app,
        &leader,
        &format!("commune_id={}&limit=1", first["id"].as_i64().unwrap()),
    )
    .await;
    assert_eq!(there["total"].as_i64().unwrap(), n_first);
    let by_kind = groups(&app, &leader, "by=kind&lang=en").await;
    assert_eq!(group_sum(&by_kind), total);
    for g in by_kind["groups"].as_array().unwrap() {
        let kind = g["key"].as_str().unwrap();
        assert_eq!(g["count"], list["counts"][kind], "{kind}");
        assert!(!g["label"].as_str().unwrap().contains('.'), "{g}");
    }
    let by_group = groups(&app, &leader, "by=working_group").await;
    assert!(group_sum(&by_group) >= total);
    assert!(by_group["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"].is_number() && !g["label"].as_str().unwrap().is_empty()));
    // A kind filter narrows the groups as it narrows the list.
    let nv = groups(&app, &leader, "by=commune&kind=not_visited").await;
    assert_eq!(
        group_sum(&nv),
        list["counts"]["not_visited"].as_i64().unwrap()
    );
    // member_b: her area only, and the sums still match her list.
    let member_b = app.login("member_b").await;
    let hers = page(&app, &member_b, "limit=1").await;
    let hers_g = groups(&app, &member_b, "by=commune").await;
    assert_eq!(group_sum(&hers_g), hers["total"].as_i64().unwrap());
    assert!(hers_g["groups"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["label"] == "Xã Bình Hải"));
    let (status, _) = app
        .get_json(&leader, "/api/v1/alerts/groups?by=hamlet")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The "not visited" threshold is the project's (issue 13.3): administrators set it, the list
/// follows and says which it is; hot spots show their age.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_visited_threshold_is_a_project_setting() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let leader = app.login("leader").await;
    let member = app.login("member_a").await;
    let (status, s) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/settings/alerts")
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["not_visited_days"], 30);
    assert_eq!(s["custom"], false);
    let nv = |p: &Value| p["counts"]["not_visited"].as_i64().unwrap();
    let at_30 = page(&app, &leader, "limit=1").await;
    assert_eq!(at_30["not_visited_days"], 30);

    let put = |client: &Client, days: Value| {
        let client = client.clone();
        let url = app.url("/api/v1/projects/HPDQ2/settings/alerts");
        async move {
            json_of(
                client
                    .put(url)
                    .json(&json!({"not_visited_days": days}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    for who in [&leader, &member] {
        let (status, err) = put(who, json!(7)).await;
        assert_error(status, &err, StatusCode::FORBIDDEN);
    }
    let (status, err) = put(&admin, json!(1000)).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "not_visited_days");

    let (status, s) = put(&admin, json!(365)).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["not_visited_days"], 365);
    assert_eq!(s["custom"], true);
    let at_365 = page(&app, &leader, "limit=1").await;
    assert_eq!(at_365["not_visited_days"], 365);
    let (status, _) = put(&admin, json!(1)).await;
    assert_eq!(status, StatusCode::OK);
    let at_1 = page(&app, &leader, "limit=1").await;
    assert_eq!(at_1["not_visited_days"], 1);
    assert!(nv(&at_1) >= nv(&at_30) && nv(&at_30) >= nv(&at_365));
    assert!(nv(&at_1) > nv(&at_365), "{} vs {}", nv(&at_1), nv(&at_365));
    // Members' lists follow too.
    let m1 = page(&app, &member, "limit=1").await;
    let (status, s) = put(&admin, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["custom"], false);
    assert_eq!(s["not_visited_days"], 30);
    let m30 = page(&app, &member, "limit=1").await;
    assert!(nv(&m1) >= nv(&m30));
    assert_eq!(nv(&page(&app, &leader, "limit=1").await), nv(&at_30));
    let audited = app
        .count("SELECT COUNT(*) FROM audit_events WHERE entity = 'project_alert_settings'")
        .await;
    assert_eq!(audited, 3);

    // Hot spots count their days from the grievance that raised them, not from the read.
    let spots = all(&app, &leader, "kind=hot_spot&limit=500").await;
    assert!(!spots.is_empty());
    assert!(
        spots.iter().any(|s| s["days"].as_i64().unwrap() > 0),
        "{spots:?}"
    );
    assert!(spots
        .iter()
        .all(|s| s["since"].as_str().unwrap() <= today().to_string().as_str()));
}
