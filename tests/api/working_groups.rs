//! Working groups (visibility per role, creation) and the administrative units list.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use std::collections::HashSet;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn groups(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    let (status, body) = app
        .get_json(client, &format!("/api/v1/working-groups{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("next_cursor").is_some(), "a list: {body}");
    body["items"].as_array().expect("items").clone()
}

fn usernames(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap().to_string())
        .collect()
}

fn ids(items: &[Value]) -> HashSet<i64> {
    items.iter().map(|g| g["id"].as_i64().unwrap()).collect()
}

async fn groups_of(app: &TestApp, username: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM working_groups wg WHERE wg.id IN \
         (SELECT m.working_group_id FROM working_group_members m JOIN users u ON u.id = m.user_id WHERE u.username = '{username}') \
         OR wg.leader_id IN (SELECT id FROM users WHERE username = '{username}')"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_its_groups() {
    let app = TestApp::spawn().await;
    let total = app.count("SELECT COUNT(*) FROM working_groups").await;
    assert!(total >= 2);

    // Administrators and province-wide leaders: every group, with leader, area and members.
    for who in ["admin", "leader"] {
        let client = app.login(who).await;
        let all = groups(&app, &client, "").await;
        assert_eq!(all.len() as i64, total, "{who}");
        let hpdq2 = groups(&app, &client, "?project=HPDQ2").await;
        assert_eq!(hpdq2.len() as i64, total);
        for g in &all {
            assert_eq!(g["project"], "HPDQ2");
            assert!(g["name"].as_str().is_some_and(|n| !n.is_empty()));
            assert!(
                g["leader"]["username"].is_string() && g["leader"]["display_name"].is_string(),
                "{g}"
            );
            assert!(g["leader"]["id"].is_i64());
            let area = g["area"].as_array().unwrap();
            assert!(!area.is_empty());
            assert!(area
                .iter()
                .all(|a| a["id"].is_i64() && a["code"].is_string() && a["name"].is_string()));
            assert!(!usernames(g).is_empty());
        }
        let binh_thuan = all
            .iter()
            .find(|g| {
                g["area"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["code"] == "21043")
            })
            .expect("a group of Bình Thuận");
        assert!(usernames(binh_thuan).contains(&"member_a".to_string()));
    }

    // A member: only the groups they belong to.
    let member_a = app.login("member_a").await;
    let mine = groups(&app, &member_a, "").await;
    assert_eq!(mine.len() as i64, groups_of(&app, "member_a").await);
    assert!(!mine.is_empty());
    for g in &mine {
        assert!(
            usernames(g).contains(&"member_a".to_string()) || g["leader"]["username"] == "member_a",
            "{g}"
        );
    }
    let member_b = app.login("member_b").await;
    let theirs = groups(&app, &member_b, "?project=HPDQ2").await;
    assert_eq!(theirs.len() as i64, groups_of(&app, "member_b").await);
    assert!(theirs
        .iter()
        .all(|g| usernames(g).contains(&"member_b".to_string())));
    assert!(
        ids(&mine).is_disjoint(&ids(&theirs)),
        "member_a and member_b are in different groups"
    );
    assert!(theirs.iter().all(|g| g["area"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["code"] == "21067")));

    // One group: visible to its members, 404 to others.
    let a_group = mine[0]["id"].as_i64().unwrap();
    let (status, body) = app
        .get_json(&member_a, &format!("/api/v1/working-groups/{a_group}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], a_group);
    assert_eq!(body, mine[0]);
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/working-groups/{a_group}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let leader = app.login("leader").await;
    let (status, _) = app
        .get_json(&leader, &format!("/api/v1/working-groups/{a_group}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get_json(&leader, "/api/v1/working-groups/99999999")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app.get_json(&leader, "/api/v1/working-groups/x").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .get_json(&leader, "/api/v1/working-groups?project=NOPE")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);

    // A project board's token: the groups of its project.
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "t")
        .await
        .unwrap();
    let res = app
        .anonymous()
        .get(app.url("/api/v1/working-groups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len() as i64, total);

    // Nobody logged in: 401.
    let (status, body) = app
        .get_json(&app.anonymous(), "/api/v1/working-groups")
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_groups_cover_every_group_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let total = app.count("SELECT COUNT(*) FROM working_groups").await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/working-groups?limit=2&cursor={c}"),
            None => "/api/v1/working-groups?limit=2".to_string(),
        };
        let (status, body) = app.get_json(&admin, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_i64().unwrap()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(seen.len() as i64 <= total, "pagination does not end");
    }
    assert_eq!(seen.len() as i64, total);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_create_groups() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let before = app.count("SELECT COUNT(*) FROM working_groups").await;
    let audits = app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'working_group' AND action = 'create'").await;
    let body = json!({
        "project": "HPDQ2",
        "name": "Tổ công tác liên xã Bình Thuận – Bình Hải",
        "area": ["21043", "21067"],
        "members": ["member_a", "member_b"],
        "leader": "member_b"
    });
    let (status, created) = app.post_json(&admin, "/api/v1/working-groups", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["project"], "HPDQ2");
    assert_eq!(created["name"], "Tổ công tác liên xã Bình Thuận – Bình Hải");
    assert_eq!(created["leader"]["username"], "member_b");
    let mut codes: Vec<&str> = created["area"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, ["21043", "21067"]);
    let mut members = usernames(&created);
    members.sort();
    assert_eq!(members, ["member_a", "member_b"]);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM working_groups").await,
        before + 1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'working_group' AND action = 'create'").await,
        audits + 1
    );
    let (status, fetched) = app
        .get_json(&admin, &format!("/api/v1/working-groups/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, created);

    // A member who logs in now sees the new group among theirs.
    let member_a = app.login("member_a").await;
    assert!(groups(&app, &member_a, "")
        .await
        .iter()
        .any(|g| g["id"] == id));

    // A code valid on a date names the unit of that date: 21061 was Bình Trị until 2025.
    let (status, dated) = app
        .post_json(
            &admin,
            "/api/v1/working-groups",
            &json!({"project": "HPDQ2", "name": "Tổ Bình Trị cũ", "area": ["21061@2021-01-01"], "leader": "leader"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dated}");
    assert!(
        dated["area"][0]["name"]
            .as_str()
            .unwrap()
            .contains("Bình Trị"),
        "{dated}"
    );
    assert_eq!(dated["members"], json!([]));

    // Validation and permissions; nothing is stored.
    let count = app.count("SELECT COUNT(*) FROM working_groups").await;
    let variant = |k: &str, v: Value| {
        let mut b = body.clone();
        b["name"] = json!(format!("Tổ {k}"));
        b[k] = v;
        b
    };
    for (b, expected) in [
        (
            variant("project", json!("NOPE")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            variant("area", json!(["00000"])),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (variant("area", json!([])), StatusCode::UNPROCESSABLE_ENTITY),
        (
            variant("area", json!("21043")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            variant("members", json!(["member_a", "nobody_here"])),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            variant("leader", json!("nobody_here")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            variant("name", json!("  ")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (body.clone(), StatusCode::CONFLICT),
    ] {
        let (status, answer) = app.post_json(&admin, "/api/v1/working-groups", &b).await;
        assert_error(status, &answer, expected);
    }
    let res = admin
        .post(app.url("/api/v1/working-groups"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, answer) = json_of(res).await;
    assert_error(status, &answer, StatusCode::BAD_REQUEST);
    for who in ["leader", "member_a"] {
        let client = app.login(who).await;
        let (status, answer) = app
            .post_json(
                &client,
                "/api/v1/working-groups",
                &variant("name", json!("Tổ X")),
            )
            .await;
        assert_error(status, &answer, StatusCode::FORBIDDEN);
    }
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "t")
        .await
        .unwrap();
    let res = app
        .anonymous()
        .post(app.url("/api/v1/working-groups"))
        .bearer_auth(token)
        .json(&variant("name", json!("Tổ Y")))
        .send()
        .await
        .unwrap();
    let (status, answer) = json_of(res).await;
    assert_error(status, &answer, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM working_groups").await,
        count
    );
}

// ---- administrative units --------------------------------------------------------------

async fn units(client: &Client, base: &str, query: &str) -> Vec<Value> {
    let res = client
        .get(format!("{base}/api/v1/admin-units{query}"))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_units_filter_by_level_validity_and_name() {
    let app = TestApp::spawn().await;
    let client = app.login("member_a").await;
    let base = app.base.clone();

    // 21061 is Bình Trị before the 2025 reform and Vạn Tường after it.
    let before = units(&client, &base, "?q=21061&valid_on=2021-06-01").await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(
        before[0]["name"].as_str().unwrap().contains("Bình Trị"),
        "{before:?}"
    );
    assert_eq!(before[0]["valid_to"], "2025-06-30");
    assert_eq!(before[0]["successor_code"], "21061");
    assert_eq!(before[0]["level"], "commune");
    assert_eq!(before[0]["parent_code"], "524");
    let after = units(&client, &base, "?q=21061&valid_on=2026-01-01").await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(
        after[0]["name"].as_str().unwrap().contains("Vạn Tường"),
        "{after:?}"
    );
    assert!(after[0]["valid_to"].is_null());
    assert_eq!(after[0]["valid_from"], "2025-07-01");
    assert_ne!(before[0]["id"], after[0]["id"]);
    // Without a date: both.
    assert_eq!(units(&client, &base, "?q=21061").await.len(), 2);

    // Names without diacritics.
    let found = units(
        &client,
        &base,
        "?q=binh%20thuan&level=commune&valid_on=2021-01-01",
    )
    .await;
    assert!(found.iter().any(|u| u["code"] == "21043"), "{found:?}");
    assert!(found
        .iter()
        .all(|u| gpmb::text::fold(u["name"].as_str().unwrap()).contains("binh thuan")));
    let found = units(&client, &base, "?q=VAN%20TUONG&valid_on=2026-01-01").await;
    assert!(found.iter().any(|u| u["code"] == "21061"), "{found:?}");

    // Levels: districts exist before the reform, not after.
    let districts_then = units(
        &client,
        &base,
        "?level=district&valid_on=2021-01-01&limit=500",
    )
    .await;
    assert!(!districts_then.is_empty());
    assert!(districts_then.iter().all(|u| u["level"] == "district"));
    assert!(districts_then.iter().any(|u| u["code"] == "524"));
    assert!(units(&client, &base, "?level=district&valid_on=2026-01-01")
        .await
        .is_empty());
    let communes_now = units(
        &client,
        &base,
        "?level=commune&valid_on=2026-01-01&limit=500",
    )
    .await;
    assert!(!communes_now.is_empty());
    assert!(communes_now
        .iter()
        .all(|u| u["level"] == "commune" && u["valid_to"].is_null()));
    let provinces = units(&client, &base, "?level=province&limit=500").await;
    assert!(!provinces.is_empty() && provinces.iter().all(|u| u["level"] == "province"));

    // Paging through every unit gives each once.
    let total = app.count("SELECT COUNT(*) FROM admin_units").await;
    let mut seen = HashSet::new();
    let mut path = format!("{base}/api/v1/admin-units?limit=100");
    loop {
        let (status, body) = json_of(client.get(&path).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        for u in body["items"].as_array().unwrap() {
            assert!(seen.insert(u["id"].as_i64().unwrap()), "unit twice");
        }
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("{base}/api/v1/admin-units?limit=100&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total);

    // Bad input: 400 with the envelope; no login: 401.
    for q in [
        "?level=hamlet",
        "?valid_on=2021-13-45",
        "?valid_on=yesterday",
        "?limit=0",
        "?cursor=zzz",
    ] {
        let (status, body) = json_of(
            client
                .get(format!("{base}/api/v1/admin-units{q}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
    }
    let (status, body) = json_of(
        app.anonymous()
            .get(format!("{base}/api/v1/admin-units"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

// ---- changing a group (PATCH) ----------------------------------------------------------

async fn patch_group(app: &TestApp, client: &Client, id: i64, body: &Value) -> (StatusCode, Value) {
    json_of(
        client
            .patch(app.url(&format!("/api/v1/working-groups/{id}")))
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_a_group_with_ids_checked() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let all = groups(&app, &admin, "").await;
    let group = all
        .iter()
        .find(|g| usernames(g).contains(&"member_a".to_string()))
        .unwrap()
        .clone();
    let id = group["id"].as_i64().unwrap();
    let member_b = app
        .count("SELECT CAST(id AS BIGINT) FROM users WHERE username = 'member_b'")
        .await;
    let leader = app
        .count("SELECT CAST(id AS BIGINT) FROM users WHERE username = 'leader'")
        .await;
    // A unit after the 2025 reform (Vạn Tường) and one before it (Bình Thuận).
    let after = app
        .count(
            "SELECT CAST(id AS BIGINT) FROM admin_units WHERE code = '21061' AND valid_to IS NULL",
        )
        .await;
    let before = app
        .count("SELECT CAST(id AS BIGINT) FROM admin_units WHERE code = '21043' AND valid_to IS NOT NULL")
        .await;

    let (s, b) = patch_group(
        &app,
        &admin,
        id,
        &json!({"name": "Tổ công tác số 1 (mới)", "leader_id": leader,
                "member_ids": [member_b], "area_ids": [before, after]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["name"], "Tổ công tác số 1 (mới)");
    assert_eq!(b["leader"]["username"], "leader");
    assert_eq!(usernames(&b), vec!["member_b".to_string()]);
    let area: HashSet<i64> = b["area"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(area, HashSet::from([before, after]));
    let (_, again) = app
        .get_json(&admin, &format!("/api/v1/working-groups/{id}"))
        .await;
    assert_eq!(again, b, "stored");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'update' AND entity = 'working_group' \
             AND entity_id = '{id}' AND actor = 'user:admin'"
        ))
        .await,
        1
    );
    // member_a left the group: at once, it is no longer theirs; member_b now sees it.
    let member_a = app.login("member_a").await;
    let (s, _) = app
        .get_json(&member_a, &format!("/api/v1/working-groups/{id}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mb = app.login("member_b").await;
    let (s, _) = app
        .get_json(&mb, &format!("/api/v1/working-groups/{id}"))
        .await;
    assert_eq!(s, StatusCode::OK);

    // Removing a commune and the leader: send the full list, leader null.
    let (s, b) = patch_group(
        &app,
        &admin,
        id,
        &json!({"area_ids": [after], "leader_id": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["area"].as_array().unwrap().len(), 1);
    assert!(b["leader"].is_null());

    // Every id checked; the field named; nothing changed.
    for (body, code, field) in [
        (
            json!({"member_ids": [member_b, 99999999]}),
            "unknown_user",
            "member_ids",
        ),
        (json!({"leader_id": 99999999}), "unknown_user", "leader_id"),
        (
            json!({"area_ids": [after, 99999999]}),
            "unknown_area",
            "area_ids",
        ),
        (json!({"area_ids": []}), "missing_area", "area_ids"),
        (json!({"name": " "}), "invalid_name", "name"),
        (json!({"project": "NOPE"}), "unknown_project", "project"),
    ] {
        let (s, e) = patch_group(&app, &admin, id, &body).await;
        assert_error(s, &e, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["error"]["code"], code, "{body}: {e}");
        assert_eq!(e["error"]["details"]["field"], field, "{e}");
    }
    let other = all.iter().find(|g| g["id"] != id).unwrap();
    let (s, e) = patch_group(&app, &admin, id, &json!({"name": other["name"]})).await;
    assert_error(s, &e, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["details"]["field"], "name");
    let (_, unchanged) = app
        .get_json(&admin, &format!("/api/v1/working-groups/{id}"))
        .await;
    assert_eq!(unchanged, b);
    let (s, e) = patch_group(&app, &admin, 99999999, &json!({"name": "x"})).await;
    assert_error(s, &e, StatusCode::NOT_FOUND);

    // Creating with ids works too.
    let (s, created) = app
        .post_json(
            &admin,
            "/api/v1/working-groups",
            &json!({"project": "HPDQ2", "name": "Tổ mới theo id", "area_ids": [after],
                    "member_ids": [member_b], "leader_id": leader}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["area"][0]["id"], after);
    assert_eq!(created["leader"]["username"], "leader");

    // Only administrators.
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "t")
        .await
        .unwrap();
    let res = app
        .anonymous()
        .patch(app.url(&format!("/api/v1/working-groups/{id}")))
        .bearer_auth(token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for who in ["leader", "lanhdao_binhson", "member_b"] {
        let c = app.login(who).await;
        let (s, e) = patch_group(&app, &c, id, &json!({"name": "x"})).await;
        assert_error(s, &e, StatusCode::FORBIDDEN);
    }
    let (_, unchanged) = app
        .get_json(&admin, &format!("/api/v1/working-groups/{id}"))
        .await;
    assert_eq!(unchanged["name"], "Tổ công tác số 1 (mới)");
}
