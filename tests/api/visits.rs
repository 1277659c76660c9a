//! Logging visits: idempotent retries, area scoping, stance and audit.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn household_in(app: &TestApp, commune_code: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(MIN(h.id) AS BIGINT) FROM households h JOIN admin_units u ON u.id = h.commune_id \
         WHERE u.code = '{commune_code}' AND u.valid_to IS NOT NULL"
    ))
    .await
}

async fn my_group(app: &TestApp, client: &Client) -> i64 {
    let (_, me) = app.get_json(client, "/api/v1/auth/me").await;
    me["working_groups"][0].as_i64().unwrap()
}

fn visit(household: i64, group: i64) -> Value {
    json!({
        "household_id": household,
        "working_group_id": group,
        "visited_at": "2026-11-20T09:30:00+07:00",
        "kind": "home_visit",
        "participants": ["Nguyễn Văn Bình", "Trần Thị Cúc"],
        "topics": ["compensation_price", "resettlement"],
        "stance": "considering",
        "concerns": "Đề nghị xem xét lại đơn giá bồi thường đất lúa",
        "commitments": [{"text": "Gửi bảng giá chi tiết", "owner": "Tổ công tác", "due_date": "2026-12-01"}],
        "next_visit_on": "2026-12-05",
        "location": {"lon": 108.81, "lat": 15.39}
    })
}

async fn post_visit(
    app: &TestApp,
    client: &Client,
    body: &Value,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = client.post(app.url("/api/v1/visits")).json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    json_of(req.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_is_stored_once_and_a_retry_returns_it() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let household = household_in(&app, "21043").await;
    let group = my_group(&app, &member).await;
    let before = app.count("SELECT COUNT(*) FROM visits").await;

    let body = visit(household, group);
    let (status, first) = post_visit(&app, &member, &body, Some("device-1-visit-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["id"].as_i64().unwrap() > 0);
    assert_eq!(first["stance"], "considering");
    assert_eq!(first["commitments"][0]["owner"], "Tổ công tác");
    assert_eq!(first["location"]["lat"], 15.39);

    let (status, again) = post_visit(&app, &member, &body, Some("device-1-visit-1")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, before + 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visits WHERE client_id = 'device-1-visit-1'")
            .await,
        1
    );

    // The household now shows the stance, and the audit trail has the write.
    let stance = app
        .count(&format!(
            "SELECT COUNT(*) FROM households WHERE id = {household} AND stance = 'considering'"
        ))
        .await;
    assert_eq!(stance, 1);
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'visit' AND action = 'create' AND entity_id = '{}'",
            first["id"]
        ))
        .await;
    assert_eq!(audited, 1);

    let (status, got) = app
        .get_json(&member, &format!("/api/v1/visits/{}", first["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["concerns"], body["concerns"]);
    assert_eq!(got["client_id"], "device-1-visit-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_retries_create_exactly_one_visit() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let household = household_in(&app, "21043").await;
    let group = my_group(&app, &member).await;
    let body = visit(household, group);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = member.clone();
        let url = app.url("/api/v1/visits");
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .header("Idempotency-Key", "storm-key-7")
                .json(&body)
                .send()
                .await
                .unwrap();
            json_of(res).await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "all retries answer with one id: {ids:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visits WHERE client_id = 'storm-key-7'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'visit' AND action = 'create' AND detail LIKE '%storm-key-7%'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_cannot_read_or_write_outside_their_area() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let house_a = household_in(&app, "21043").await;
    let group_a = my_group(&app, &member_a).await;
    let group_b = my_group(&app, &member_b).await;

    // member_b logging a visit to member_a's household: the household does not exist for them.
    let (status, body) = post_visit(&app, &member_b, &visit(house_a, group_b), Some("b-1")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    // member_a using a group they are not in.
    let (status, body) = post_visit(&app, &member_a, &visit(house_a, group_b), Some("a-1")).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visits WHERE client_id IN ('a-1', 'b-1')")
            .await,
        0
    );

    let (status, created) =
        post_visit(&app, &member_a, &visit(house_a, group_a), Some("a-2")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/visits/{}", created["id"]))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, page) = app
        .get_json(&member_b, &format!("/api/v1/visits?household={house_a}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].as_array().unwrap().is_empty());

    // A leader only reads: logging a visit is forbidden.
    let leader = app.login("leader").await;
    let (status, body) = post_visit(&app, &leader, &visit(house_a, group_a), Some("l-1")).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_and_pages_without_duplicates() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let total = app.count("SELECT COUNT(*) FROM visits").await;
    let mut seen = std::collections::HashSet::new();
    for v in app.all_pages(&admin, "/api/v1/visits?limit=97").await {
        assert!(seen.insert(v["id"].as_i64().unwrap()), "duplicate {v}");
    }
    assert_eq!(seen.len() as i64, total);

    // A month well inside the demo's year of visits.
    let month = {
        use chrono::Datelike;
        let d = crate::common::demo_today() - chrono::Duration::days(200);
        d.with_day(1).unwrap()
    };
    let next_month = month.checked_add_months(chrono::Months::new(1)).unwrap();
    let month_end = next_month.pred_opt().unwrap();
    let (_, page) = app
        .get_json(
            &admin,
            &format!("/api/v1/visits?from={month}&to={month_end}&limit=500"),
        )
        .await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for v in items {
        let at = chrono::DateTime::parse_from_rfc3339(v["visited_at"].as_str().unwrap()).unwrap();
        let day = at.with_timezone(&chrono::Utc).date_naive().to_string();
        assert!(
            (month.to_string()..next_month.to_string()).contains(&day),
            "{day}"
        );
    }
    let household = items[0]["household_id"].as_i64().unwrap();
    let (_, page) = app
        .get_json(&admin, &format!("/api/v1/visits?household={household}"))
        .await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["household_id"] == household));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_visits_are_422_and_store_nothing() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let household = household_in(&app, "21043").await;
    let group = my_group(&app, &member).await;
    let before = app.count("SELECT COUNT(*) FROM visits").await;
    let mut cases = Vec::new();
    let mut v = visit(household, group);
    v["stance"] = json!("maybe");
    cases.push(v);
    let mut v = visit(household, group);
    v["kind"] = json!("letter");
    cases.push(v);
    let mut v = visit(household, group);
    v["location"] = json!({"lon": 2.35, "lat": 48.85});
    cases.push(v);
    let mut v = visit(household, group);
    v["visited_at"] = json!("2099-01-01T00:00:00+07:00");
    cases.push(v);
    let mut v = visit(household, group);
    v["commitments"] = json!([{"text": "", "owner": "x"}]);
    cases.push(v);
    let mut v = visit(household, group);
    v["working_group_id"] = json!(987654);
    cases.push(v);
    for (i, body) in cases.iter().enumerate() {
        let (status, resp) = post_visit(&app, &member, body, Some(&format!("bad-{i}"))).await;
        assert_error(status, &resp, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut v = visit(household, group);
    v["household_id"] = json!(987654);
    let (status, resp) = post_visit(&app, &member, &v, None).await;
    assert_error(status, &resp, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, before);
}

async fn stances(app: &TestApp, member: &Client) -> Value {
    app.get_json(member, "/api/v1/projects/HPDQ2/progress")
        .await
        .1["households"]["by_stance"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stance_counters_follow_visits_but_not_late_older_ones() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let household = household_in(&app, "21043").await;
    let group = my_group(&app, &member).await;
    let mut body = visit(household, group);
    body["stance"] = json!("refuses_contact");
    let (status, _) = post_visit(&app, &member, &body, Some("s-1")).await;
    assert_eq!(status, StatusCode::CREATED);
    let before = stances(&app, &member).await;

    body["stance"] = json!("agrees");
    body["visited_at"] = json!("2026-11-21T09:00:00+07:00");
    post_visit(&app, &member, &body, Some("s-2")).await;
    let after = stances(&app, &member).await;
    assert_eq!(
        after["agrees"].as_i64().unwrap(),
        before["agrees"].as_i64().unwrap() + 1
    );
    assert_eq!(
        after["refuses_contact"].as_i64().unwrap(),
        before["refuses_contact"].as_i64().unwrap() - 1
    );

    // A visit from before, synced late, does not overwrite the newer stance.
    body["stance"] = json!("disagrees");
    body["visited_at"] = json!("2026-11-01T09:00:00+07:00");
    body["next_visit_on"] = json!(null);
    let (status, _) = post_visit(&app, &member, &body, Some("s-3")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(stances(&app, &member).await, after);
    let agrees = app
        .count(&format!(
            "SELECT COUNT(*) FROM households WHERE id = {household} AND stance = 'agrees'"
        ))
        .await;
    assert_eq!(agrees, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_visits_leave_the_latest_stance_and_consistent_counters() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let household = household_in(&app, "21043").await;
    let group = my_group(&app, &member).await;
    let kinds = ["agrees", "disagrees", "considering", "refuses_contact"];
    let mut tasks = Vec::new();
    for day in 1..=12 {
        let mut body = visit(household, group);
        body["visited_at"] = json!(format!("2026-10-{day:02}T08:00:00+07:00"));
        body["stance"] = json!(kinds[day % 4]);
        body["next_visit_on"] = json!(null);
        let (client, url) = (member.clone(), app.url("/api/v1/visits"));
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("Idempotency-Key", format!("c-{day}"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    let latest = kinds[12 % 4];
    let ok = app
        .count(&format!(
            "SELECT COUNT(*) FROM households WHERE id = {household} AND stance = '{latest}'"
        ))
        .await;
    assert_eq!(ok, 1, "the stance of the latest visit wins");
    let by_stance = stances(&app, &member).await;
    for s in kinds {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM households WHERE stance = '{s}'"
            ))
            .await;
        assert_eq!(by_stance[s].as_i64().unwrap(), n, "counter for {s}");
    }
}

/// Visits arriving together are written in one batch of multi-row INSERTs: each answer still
/// names its own visit and its own commitments, whatever their number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visits_written_together_each_get_their_own_ids_and_commitments() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let group = my_group(&app, &member).await;
    let household = household_in(&app, "21043").await;
    let mut tasks = Vec::new();
    for n in 0..24 {
        let mut body = visit(household, group);
        body["concerns"] = json!(format!("visit {n}"));
        body["stance"] = json!(["agrees", "disagrees", "considering", "refuses_contact"][n % 4]);
        body["visited_at"] = json!(format!("2026-10-{:02}T08:00:00+07:00", n + 1));
        body["commitments"] = json!((0..n % 4)
            .map(|j| json!({"text": format!("visit {n} promise {j}"), "owner": "Tổ công tác", "due_date": "2026-12-20"}))
            .collect::<Vec<_>>());
        let (client, url) = (member.clone(), app.url("/api/v1/visits"));
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .header("Idempotency-Key", format!("together-{n}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (n, json_of(res).await)
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (n, (status, got)) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{got}");
        let id = got["id"].as_i64().unwrap();
        assert!(ids.insert(id), "visit id {id} answered twice");
        let stored = app
            .count(&format!(
                "SELECT COUNT(*) FROM visits WHERE id = {id} AND concerns = 'visit {n}' \
                 AND client_id = 'together-{n}' AND household_id = {household}"
            ))
            .await;
        assert_eq!(stored, 1, "visit {n} answered with id {id}");
        let promises = got["commitments"].as_array().unwrap();
        assert_eq!(promises.len(), n % 4, "visit {n}");
        for (j, c) in promises.iter().enumerate() {
            let cid = c["id"].as_i64().unwrap();
            let row = app
                .count(&format!(
                    "SELECT COUNT(*) FROM commitments WHERE id = {cid} AND visit_id = {id} \
                     AND household_id = {household} AND text = 'visit {n} promise {j}'"
                ))
                .await;
            assert_eq!(row, 1, "commitment {j} of visit {n} answered with id {cid}");
        }
    }
    // The household's stance is that of the latest visit (24 October, the 24th sent).
    let latest = app
        .count(&format!(
            "SELECT COUNT(*) FROM households WHERE id = {household} AND stance = 'refuses_contact'"
        ))
        .await;
    assert_eq!(latest, 1);
}
