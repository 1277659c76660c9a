//! The field app's API: "My work" scoping, ordering and search; visit edits within 48 hours
//! with history; commitments ticked done; next-visit assignments by group leaders.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use std::collections::HashSet;

use chrono::{Duration, Utc};
use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// Urgency tier of a reason kind, as the API documents it.
fn tier(kind: &str) -> u8 {
    match kind {
        "assigned" => 0,
        "visit_overdue" => 1,
        "commitment_overdue" => 2,
        "visit_due" => 3,
        "commitment_due" => 4,
        "disagrees" => 5,
        "not_visited" => 6,
        other => panic!("unknown reason {other}"),
    }
}

fn today() -> chrono::NaiveDate {
    (Utc::now() + Duration::hours(7)).date_naive()
}

async fn my_group(app: &TestApp, client: &Client) -> i64 {
    let (_, me) = app.get_json(client, "/api/v1/auth/me").await;
    me["working_groups"][0].as_i64().unwrap()
}

async fn work(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    app.all_pages(client, &format!("/api/v1/my-work?limit=7{query}"))
        .await
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

fn kinds(item: &Value) -> Vec<String> {
    item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect()
}

fn visit(household: i64, group: i64, extra: Value) -> Value {
    let mut v = json!({
        "household_id": household,
        "working_group_id": group,
        "visited_at": Utc::now().to_rfc3339(),
        "kind": "home_visit",
        "topics": ["resettlement"],
        "stance": "agrees",
        "concerns": "Hộ đồng ý phương án",
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

async fn log_visit(app: &TestApp, client: &Client, body: &Value) -> Value {
    let res = client
        .post(app.url("/api/v1/visits"))
        .header("Idempotency-Key", uuid_like())
        .json(body)
        .send()
        .await
        .unwrap();
    let (status, v) = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}

async fn send(app: &TestApp, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let _ = app;
    json_of(req.send().await.unwrap()).await
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(id AS BIGINT) FROM users WHERE username = '{username}'"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_work_is_scoped_ordered_and_searchable() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let leader_a = app.login("totruong_binhthuan").await;
    let group = my_group(&app, &member_a).await;

    // Exactly the households member_a may read, and none of member_b's.
    let list_a = work(&app, &member_a, "").await;
    let scoped: HashSet<i64> = ids(&app.all_pages(&member_a, "/api/v1/households").await)
        .into_iter()
        .collect();
    assert!(!list_a.is_empty());
    assert_eq!(ids(&list_a).into_iter().collect::<HashSet<_>>(), scoped);
    let list_b: HashSet<i64> = ids(&work(&app, &member_b, "").await).into_iter().collect();
    assert!(!list_b.is_empty());
    assert!(ids(&list_a).iter().all(|id| !list_b.contains(id)));

    // The demo's group leader asked member_a to follow up two households that disagree.
    assert_eq!(kinds(&list_a[0])[0], "assigned");
    assert_eq!(
        list_a[0]["assignment"]["assigned_by"]["username"],
        "totruong_binhthuan"
    );

    // Three households made to need different things.
    let [x, y, z] = [ids(&list_a)[2], ids(&list_a)[3], ids(&list_a)[4]];
    let due_soon = today() + Duration::days(2);
    log_visit(
        &app,
        &member_a,
        &visit(x, group, json!({"next_visit_on": due_soon})),
    )
    .await;
    log_visit(
        &app,
        &member_a,
        &visit(
            y,
            group,
            json!({"commitments": [{"text": "Gửi bảng giá", "owner": "Tổ công tác", "due_date": today() - Duration::days(1)}]}),
        ),
    )
    .await;
    // The demo's older open commitments of x and y would add reasons: tick them done.
    close_commitments(&app, &member_a, x, "").await;
    close_commitments(&app, &member_a, y, "Gửi bảng giá").await;
    let (s, a) = app
        .post_json(
            &leader_a,
            &format!("/api/v1/households/{z}/next-visit"),
            &json!({"assignee": "member_a", "due_on": today() + Duration::days(3), "note": "Hộ hẹn chiều thứ Bảy"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");

    let list = work(&app, &member_a, "").await;
    let pos = |id: i64| ids(&list).iter().position(|i| *i == id).unwrap();
    assert_eq!(pos(z), 0, "the assigned household comes first");
    assert_eq!(kinds(&list[0])[0], "assigned");
    assert_eq!(list[0]["assignment"]["note"], "Hộ hẹn chiều thứ Bảy");
    assert_eq!(kinds(&list[pos(y)]), vec!["commitment_overdue"]);
    assert_eq!(kinds(&list[pos(x)]), vec!["visit_due"]);
    assert_eq!(
        list[pos(x)]["reasons"][0]["date"],
        json!(due_soon.to_string())
    );
    assert!(pos(y) < pos(x));
    // Every item is at its tier or later than the one before; nothing-to-do items are last.
    let tiers: Vec<u8> = list
        .iter()
        .map(|i| kinds(i).first().map_or(7, |k| tier(k)))
        .collect();
    assert!(tiers.windows(2).all(|w| w[0] <= w[1]), "{tiers:?}");
    assert!(kinds(&list[list.len() - 1]).is_empty() || tiers.iter().all(|t| *t < 7));
    // Visited long ago (before the last 30 days): listed as not visited, with the days.
    let old = list
        .iter()
        .find(|i| kinds(i).contains(&"not_visited".to_string()))
        .unwrap();
    let r = old["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "not_visited")
        .unwrap();
    assert!(r["days"].as_i64().unwrap_or(i64::MAX) >= 30);

    // Search: without diacritics, by CCCD, by parcel; never outside the area.
    let found = work(&app, &member_a, "&q=nguyen%20van%20a").await;
    let nva: Vec<&Value> = found
        .iter()
        .filter(|i| i["head_name"] == "Nguyễn Văn A")
        .collect();
    assert_eq!(nva.len(), 1, "{found:?}");
    let some = &list[5];
    // The field app shows the CCCD masked; the full one is an audited reveal away.
    let shown = some["id_number"].as_str().unwrap();
    assert!(shown.contains('*'), "{shown}");
    let (_, full) = app
        .get_json(
            &member_a,
            &format!("/api/v1/households/{}/id-number", some["id"]),
        )
        .await;
    let cccd = full["id_number"].as_str().unwrap();
    assert_eq!(
        gpmb::households::privacy::mask_id_number(cccd),
        shown,
        "{full}"
    );
    assert_eq!(
        ids(&work(&app, &member_a, &format!("&q={cccd}")).await),
        vec![some["id"].as_i64().unwrap()]
    );
    let p = &some["parcels"][0];
    let (sheet, no) = (
        p["map_sheet"].as_str().unwrap(),
        p["parcel_no"].as_str().unwrap(),
    );
    for q in [format!("{sheet}/{no}"), format!("tờ {sheet} thửa {no}")] {
        let hits = work(&app, &member_a, &format!("&q={}", urlencode(&q))).await;
        assert!(ids(&hits).contains(&some["id"].as_i64().unwrap()), "{q}");
    }
    let b_hits = work(&app, &member_b, &format!("&q={cccd}")).await;
    assert!(b_hits.is_empty());
}

/// Ticks done every open commitment of a household except those with text `keep`.
async fn close_commitments(app: &TestApp, client: &Client, house: i64, keep: &str) {
    let (_, page) = app
        .get_json(client, &format!("/api/v1/field/households/{house}"))
        .await;
    for c in page["open_commitments"].as_array().unwrap() {
        if c["text"] != keep {
            let id = c["id"].as_i64().unwrap();
            let (s, _) = send(
                app,
                client.post(app.url(&format!("/api/v1/commitments/{id}/done"))),
            )
            .await;
            assert_eq!(s, StatusCode::OK);
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_b_cannot_see_or_touch_member_a_households() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let group_a = my_group(&app, &member_a).await;
    let group_b = my_group(&app, &member_b).await;
    let house = ids(&work(&app, &member_a, "").await)[0];
    let v = log_visit(
        &app,
        &member_a,
        &visit(
            house,
            group_a,
            json!({"commitments": [{"text": "Hứa", "owner": "Tổ công tác", "due_date": null}]}),
        ),
    )
    .await;
    let visit_id = v["id"].as_i64().unwrap();
    let commitment = v["commitments"][0]["id"].as_i64().unwrap();
    let before = app.count("SELECT COUNT(*) FROM visits").await;

    let (s, b) = app
        .get_json(&member_b, &format!("/api/v1/field/households/{house}"))
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    let (s, b) = app
        .post_json(
            &member_b,
            "/api/v1/visits",
            &visit(house, group_b, json!({})),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    let (s, b) = send(
        &app,
        member_b
            .patch(app.url(&format!("/api/v1/visits/{visit_id}")))
            .json(&json!({"stance": "disagrees"})),
    )
    .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    let (s, b) = app
        .get_json(&member_b, &format!("/api/v1/visits/{visit_id}/history"))
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    let (s, b) = send(
        &app,
        member_b.post(app.url(&format!("/api/v1/commitments/{commitment}/done"))),
    )
    .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    let (s, b) = app
        .post_json(
            &member_b,
            &format!("/api/v1/households/{house}/next-visit"),
            &json!({"assignee": "member_b", "due_on": today()}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, before);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM commitments WHERE id = {commitment} AND done_at IS NULL"
        ))
        .await,
        1
    );
}

async fn set_created_at(app: &TestApp, visit_id: i64, hours_ago: i64) {
    use sea_orm::{ConnectionTrait, Statement, Value as V};
    let at = (Utc::now() - Duration::hours(hours_ago)).fixed_offset();
    app.db
        .conn
        .execute(Statement::from_sql_and_values(
            app.db.backend(),
            "UPDATE visits SET created_at = $1 WHERE id = $2",
            [V::from(at), V::from(visit_id as i32)],
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visits_are_editable_by_their_author_for_48_hours_with_history() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let leader_a = app.login("totruong_binhthuan").await;
    let group = my_group(&app, &member_a).await;
    let house = ids(&work(&app, &member_a, "").await)[0];
    let v = log_visit(
        &app,
        &member_a,
        &visit(house, group, json!({"stance": "considering"})),
    )
    .await;
    let id = v["id"].as_i64().unwrap();
    let path = format!("/api/v1/visits/{id}");
    set_created_at(&app, id, 47).await;

    // The author, within 48 hours: changed, and the old content is kept.
    let (s, edited) = send(
        &app,
        member_a.patch(app.url(&path)).json(&json!({
            "stance": "disagrees", "concerns": "Hộ chưa đồng ý giá đất", "next_visit_on": today() + Duration::days(5)
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    assert_eq!(edited["stance"], "disagrees");
    assert_eq!(edited["concerns"], "Hộ chưa đồng ý giá đất");
    assert_eq!(edited["id"], v["id"]);
    let (s, history) = app.get_json(&member_a, &format!("{path}/history")).await;
    assert_eq!(s, StatusCode::OK);
    let revs = history["items"].as_array().unwrap();
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0]["previous"]["stance"], "considering");
    assert_eq!(revs[0]["previous"]["concerns"], "Hộ đồng ý phương án");
    assert_eq!(revs[0]["edited_by_username"], "member_a");
    // The household's stance follows its latest visit.
    let (_, h) = app
        .get_json(&member_a, &format!("/api/v1/households/{house}"))
        .await;
    assert_eq!(h["stance"], "disagrees");
    // A second edit adds a second revision; null clears a field.
    let (s, e2) = send(
        &app,
        member_a
            .patch(app.url(&path))
            .json(&json!({"next_visit_on": null})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e2}");
    assert!(e2["next_visit_on"].is_null());
    let (_, history) = app.get_json(&member_a, &format!("{path}/history")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);

    // Another member of the same group: 403, nothing changes.
    let (s, b) = send(
        &app,
        leader_a
            .patch(app.url(&path))
            .json(&json!({"stance": "agrees"})),
    )
    .await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only the member who logged"));
    // Bad content: 422, still no new revision.
    let (s, b) = send(&app, member_a.patch(app.url(&path)).json(&json!({}))).await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY);

    // After 48 hours, the author too gets 403 with the reason.
    set_created_at(&app, id, 49).await;
    let (s, b) = send(
        &app,
        member_a
            .patch(app.url(&path))
            .json(&json!({"stance": "agrees"})),
    )
    .await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
    assert!(b["error"]["message"].as_str().unwrap().contains("48 hours"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM visit_revisions WHERE visit_id = {id}"
        ))
        .await,
        2
    );
    let (_, now) = app.get_json(&member_a, &path).await;
    assert_eq!(now["stance"], "disagrees");
    // The field page tells the author the visit is no longer editable.
    let (_, page) = app
        .get_json(&member_a, &format!("/api/v1/field/households/{house}"))
        .await;
    let shown = page["visits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == v["id"])
        .unwrap();
    assert_eq!(shown["editable"], false);
    assert_eq!(shown["revisions"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commitments_are_ticked_done_and_reopened() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let group = my_group(&app, &member_a).await;
    let house = ids(&work(&app, &member_a, "").await)[1];
    let v = log_visit(
        &app,
        &member_a,
        &visit(house, group, json!({"commitments": [{"text": "Gửi sơ đồ tái định cư", "owner": "Tổ công tác", "due_date": today()}]})),
    )
    .await;
    let c = v["commitments"][0]["id"].as_i64().unwrap();
    let done_path = format!("/api/v1/commitments/{c}/done");

    let (s, first) = send(&app, member_a.post(app.url(&done_path))).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["done"], true);
    assert!(first["done_at"].is_string());
    let me = user_id(&app, "member_a").await;
    assert_eq!(first["done_by"], json!(me));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM commitments WHERE id = {c} AND done_at IS NOT NULL AND done_by = {me}"
        ))
        .await,
        1
    );
    // Ticking again keeps the first time.
    let (_, again) = send(&app, member_a.post(app.url(&done_path))).await;
    assert_eq!(again["done_at"], first["done_at"]);
    let (_, page) = app
        .get_json(&member_a, &format!("/api/v1/field/households/{house}"))
        .await;
    assert!(page["open_commitments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != json!(c)));
    let (_, visit_now) = app
        .get_json(&member_a, &format!("/api/v1/visits/{}", v["id"]))
        .await;
    assert_eq!(visit_now["commitments"][0]["done"], true);

    let (s, reopened) = send(&app, member_a.delete(app.url(&done_path))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(reopened["done"], false);
    assert!(reopened["done_at"].is_null());
    let (s, b) = send(
        &app,
        member_a.post(app.url("/api/v1/commitments/999999/done")),
    )
    .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    // A province leader reads but does not write.
    let leader = app.login("leader").await;
    let (s, b) = send(&app, leader.post(app.url(&done_path))).await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_leaders_assign_next_visits_seen_by_the_assignee_only() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let leader_a = app.login("totruong_binhthuan").await;
    let group = my_group(&app, &member_a).await;
    let list = work(&app, &member_a, "").await;
    let house = ids(&list)[list.len() - 1];
    let path = format!("/api/v1/households/{house}/next-visit");
    let due = today() + Duration::days(4);

    // Not the group's leader: 403; the province leader (reads everything) neither.
    let (s, b) = app
        .post_json(
            &member_a,
            &path,
            &json!({"assignee": "member_a", "due_on": due}),
        )
        .await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
    let (s, b) = app
        .post_json(
            &app.login("leader").await,
            &path,
            &json!({"assignee": "member_a", "due_on": due}),
        )
        .await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
    // Someone outside the group, a date in the past, a bad assignee: 422.
    for body in [
        json!({"assignee": "member_b", "due_on": due}),
        json!({"assignee": "member_a", "due_on": today() - Duration::days(1)}),
        json!({"assignee": true, "due_on": due}),
    ] {
        let (s, b) = app.post_json(&leader_a, &path, &body).await;
        assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY);
    }

    let member_a_id = user_id(&app, "member_a").await;
    let (s, a) = app
        .post_json(
            &leader_a,
            &path,
            &json!({"assignee": member_a_id, "due_on": due, "note": "Mang theo bản đồ"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["assignee"]["username"], "member_a");
    assert_eq!(a["assigned_by"]["username"], "totruong_binhthuan");

    // The assignee sees it first; the leader's own list does not show it as theirs.
    let mine = work(&app, &member_a, "").await;
    assert_eq!(mine[0]["id"], json!(house));
    assert_eq!(mine[0]["assignment"]["due_on"], json!(due.to_string()));
    assert_eq!(mine[0]["reasons"][0]["kind"], "assigned");
    let theirs = work(&app, &leader_a, "").await;
    let in_leader = theirs.iter().find(|i| i["id"] == json!(house)).unwrap();
    assert!(in_leader["assignment"].is_null());
    assert!(!kinds(in_leader).contains(&"assigned".to_string()));
    // The field page shows it to the assignee and to the leader who may assign.
    let (_, page) = app
        .get_json(&member_a, &format!("/api/v1/field/households/{house}"))
        .await;
    assert_eq!(page["assignments"].as_array().unwrap().len(), 1);
    assert_eq!(page["can_assign"], false);
    let (_, page) = app
        .get_json(&leader_a, &format!("/api/v1/field/households/{house}"))
        .await;
    assert_eq!(page["can_assign"], true);
    assert!(page["assignable"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["username"] == "member_a"));

    // A visit to the household closes it.
    log_visit(&app, &member_a, &visit(house, group, json!({}))).await;
    let mine = work(&app, &member_a, "").await;
    let item = mine.iter().find(|i| i["id"] == json!(house)).unwrap();
    assert!(item["assignment"].is_null());
    assert!(!kinds(item).contains(&"assigned".to_string()));
}
