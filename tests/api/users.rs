//! Users (admin): list, create, change role, disable (sessions end at once), reset password,
//! and the refusals every other role gets.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn patch(app: &TestApp, client: &Client, path: &str, body: &Value) -> (StatusCode, Value) {
    json_of(client.patch(app.url(path)).json(body).send().await.unwrap()).await
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(id AS BIGINT) FROM users WHERE username = '{username}'"
    ))
    .await
}

fn assert_field(status: StatusCode, body: &Value, code: &str, field: &str) {
    assert_error(status, body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["details"]["field"], field, "{body}");
}

async fn login_with(app: &TestApp, username: &str, password: &str) -> (Client, StatusCode) {
    let client = app.anonymous();
    let res = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (client, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_lists_creates_and_changes_users() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;

    let all = app.all_pages(&admin, "/api/v1/users").await;
    let total = app.count("SELECT COUNT(*) FROM users").await;
    assert_eq!(all.len() as i64, total);
    let a = all.iter().find(|u| u["username"] == "admin").unwrap();
    assert_eq!(a["role"], "admin");
    assert_eq!(a["disabled"], false);
    assert!(a["display_name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(a["last_login_at"].is_string(), "admin just logged in: {a}");
    assert!(all.iter().all(|u| u.get("password_hash").is_none()));
    let never = all.iter().find(|u| u["username"] == "member_b").unwrap();
    assert!(never["last_login_at"].is_null(), "{never}");

    // Create: 201, stored, audited; the new user logs in with the password.
    let (status, created) = app
        .post_json(
            &admin,
            "/api/v1/users",
            &json!({"username": "tho", "display_name": "Nguyễn Thị Thơ", "role": "member",
                    "password": "mot-hai-ba-bon"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["username"], "tho");
    assert_eq!(created["display_name"], "Nguyễn Thị Thơ");
    assert_eq!(created["role"], "member");
    assert_eq!(created["disabled"], false);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(user_id(&app, "tho").await, id);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'create' AND entity = 'user' \
             AND entity_id = '{id}' AND actor = 'user:admin'"
        ))
        .await,
        1
    );
    let (_, status) = login_with(&app, "tho", "mot-hai-ba-bon").await;
    assert_eq!(status, StatusCode::OK);

    // Refusals name their field; nothing is stored.
    let before = app.count("SELECT COUNT(*) FROM users").await;
    let base = json!({"username": "hoa", "display_name": "Hoa", "role": "member",
                      "password": "mot-hai-ba-bon"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let (s, b) = app
        .post_json(
            &admin,
            "/api/v1/users",
            &with("password", json!("elevenchars")),
        )
        .await;
    assert_field(s, &b, "password_too_short", "password");
    assert_eq!(b["error"]["details"]["min"], 12);
    let (s, b) = app
        .post_json(&admin, "/api/v1/users", &with("username", json!("tho")))
        .await;
    assert_field(s, &b, "duplicate_username", "username");
    let (s, b) = app
        .post_json(&admin, "/api/v1/users", &with("username", json!("có dấu")))
        .await;
    assert_field(s, &b, "invalid_username", "username");
    let (s, b) = app
        .post_json(
            &admin,
            "/api/v1/users",
            &with("role", json!("project_board")),
        )
        .await;
    assert_field(s, &b, "invalid_role", "role");
    let (s, b) = app
        .post_json(&admin, "/api/v1/users", &with("display_name", json!("  ")))
        .await;
    assert_field(s, &b, "invalid_display_name", "display_name");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before);

    // Change display name and role: stored and audited with what changed.
    let (s, b) = patch(
        &app,
        &admin,
        &format!("/api/v1/users/{id}"),
        &json!({"display_name": "Nguyễn Thị Thơ (tổ 2)", "role": "district_leader"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["role"], "district_leader");
    assert_eq!(b["display_name"], "Nguyễn Thị Thơ (tổ 2)");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM users WHERE id = {id} AND role = 'district_leader'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'update' AND entity = 'user' AND entity_id = '{id}'"
        ))
        .await,
        1
    );
    let (s, b) = patch(
        &app,
        &admin,
        &format!("/api/v1/users/{id}"),
        &json!({"role": "king"}),
    )
    .await;
    assert_field(s, &b, "invalid_role", "role");
    let (s, b) = patch(
        &app,
        &admin,
        "/api/v1/users/99999999",
        &json!({"disabled": true}),
    )
    .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);

    // Reset password: the old one stops working, the new one works; short → 422.
    let (s, b) = app
        .post_json(
            &admin,
            &format!("/api/v1/users/{id}/password"),
            &json!({"password": "short"}),
        )
        .await;
    assert_field(s, &b, "password_too_short", "password");
    let res = admin
        .post(app.url(&format!("/api/v1/users/{id}/password")))
        .json(&json!({"password": "bay-tam-chin-muoi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        login_with(&app, "tho", "mot-hai-ba-bon").await.1,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_with(&app, "tho", "bay-tam-chin-muoi").await.1,
        StatusCode::OK
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'reset_password' AND entity_id = '{id}' \
             AND detail NOT LIKE '%bay-tam%'"
        ))
        .await,
        1,
        "the reset is audited, the password is not"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member = app.login("member_a").await;
    let other_session = app.login("member_a").await;
    // The sessions work (and are now in the auth cache).
    for c in [&member, &other_session] {
        let (s, _) = app.get_json(c, "/api/v1/auth/me").await;
        assert_eq!(s, StatusCode::OK);
    }
    let id = user_id(&app, "member_a").await;
    let (s, b) = patch(
        &app,
        &admin,
        &format!("/api/v1/users/{id}"),
        &json!({"disabled": true}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["disabled"], true);
    for c in [&member, &other_session] {
        let (s, b) = app.get_json(c, "/api/v1/auth/me").await;
        assert_error(s, &b, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = {id}"
        ))
        .await,
        0
    );
    let (_, status) = login_with(&app, "member_a", "demo").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a disabled user cannot log in"
    );
    let detail = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'update' AND entity = 'user' \
             AND entity_id = '{id}' AND detail LIKE '%\"sessions_ended\":2%'"
        ))
        .await;
    assert_eq!(detail, 1);

    // Enabled again: logs in again.
    let (s, _) = patch(
        &app,
        &admin,
        &format!("/api/v1/users/{id}"),
        &json!({"disabled": false}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(login_with(&app, "member_a", "demo").await.1, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_cannot_be_demoted_or_disabled() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let me = user_id(&app, "admin").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = false")
            .await,
        1
    );
    let (s, b) = patch(
        &app,
        &admin,
        &format!("/api/v1/users/{me}"),
        &json!({"role": "leader"}),
    )
    .await;
    assert_field(s, &b, "last_admin", "role");
    let (s, b) = patch(
        &app,
        &admin,
        &format!("/api/v1/users/{me}"),
        &json!({"disabled": true}),
    )
    .await;
    assert_field(s, &b, "last_admin", "disabled");
    let (s, _) = app.get_json(&admin, "/api/v1/users").await;
    assert_eq!(s, StatusCode::OK, "still an admin");

    // With a second admin, the first may step down.
    let (s, second) = app
        .post_json(
            &admin,
            "/api/v1/users",
            &json!({"username": "admin2", "display_name": "Quản trị 2", "role": "admin",
                    "password": "mot-hai-ba-bon"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let (s, b) = patch(
        &app,
        &admin,
        &format!("/api/v1/users/{me}"),
        &json!({"role": "leader"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app.get_json(&admin, "/api/v1/users").await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
    // admin2 is now the last one.
    let (admin2, _) = login_with(&app, "admin2", "mot-hai-ba-bon").await;
    let id2 = second["id"].as_i64().unwrap();
    let (s, b) = patch(
        &app,
        &admin2,
        &format!("/api/v1/users/{id2}"),
        &json!({"disabled": true}),
    )
    .await;
    assert_field(s, &b, "last_admin", "disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_administrators_manage_users() {
    let app = TestApp::spawn().await;
    let target = user_id(&app, "member_b").await;
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "board")
        .await
        .unwrap();
    let board = Client::builder()
        .default_headers({
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {token}").parse().unwrap(),
            );
            h
        })
        .build()
        .unwrap();
    let mut clients = vec![("project_board", board)];
    for who in ["leader", "member_a"] {
        clients.push((who, app.login(who).await));
    }
    let new = json!({"username": "x_user", "display_name": "X", "role": "admin",
                     "password": "mot-hai-ba-bon"});
    for (who, c) in &clients {
        let (s, b) = app.get_json(c, "/api/v1/users").await;
        assert_error(s, &b, StatusCode::FORBIDDEN);
        let (s, b) = app.post_json(c, "/api/v1/users", &new).await;
        assert_error(s, &b, StatusCode::FORBIDDEN);
        let (s, b) = patch(
            &app,
            c,
            &format!("/api/v1/users/{target}"),
            &json!({"role": "admin"}),
        )
        .await;
        assert_error(s, &b, StatusCode::FORBIDDEN);
        let (s, b) = app
            .post_json(
                c,
                &format!("/api/v1/users/{target}/password"),
                &json!({"password": "mot-hai-ba-bon"}),
            )
            .await;
        assert_error(s, &b, StatusCode::FORBIDDEN);
        let _ = who;
    }
    let (s, b) = app.get_json(&app.anonymous(), "/api/v1/users").await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE username = 'x_user'")
            .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM users WHERE id = {target} AND role = 'member'"
        ))
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_by_user_household_day_and_action() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member = app.login("member_a").await;
    let admin_id = user_id(&app, "admin").await;
    let member_id = user_id(&app, "member_a").await;
    // member_a reads one of their households.
    let (s, page) = app.get_json(&member, "/api/v1/households?limit=2").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let household = page["items"][0]["id"].as_i64().unwrap();
    let (s, _) = app
        .get_json(&member, &format!("/api/v1/households/{household}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    // admin creates a user.
    let (s, _) = app
        .post_json(
            &admin,
            "/api/v1/users",
            &json!({"username": "hoa", "display_name": "Hoa", "role": "member", "password": "mot-hai-ba-bon"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let (s, page) = app
        .get_json(
            &admin,
            &format!("/api/v1/audit?user_id={admin_id}&action=create"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items
        .iter()
        .all(|e| e["user_id"] == admin_id && e["action"] == "create"));
    assert!(items.iter().any(|e| e["entity"] == "user"));
    let name = app
        .count("SELECT COUNT(*) FROM users WHERE username = 'admin'")
        .await;
    assert_eq!(name, 1);
    assert!(
        items[0]["user_display_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{}",
        items[0]
    );

    let (_, page) = app
        .get_json(&admin, &format!("/api/v1/audit?household={household}"))
        .await;
    let items = page["items"].as_array().unwrap();
    let hid = household.to_string();
    assert!(
        items.iter().any(|e| e["action"] == "read"
            && e["user_id"] == member_id
            && e["entity_id"].as_str() == Some(hid.as_str())),
        "{page}"
    );
    assert!(
        items
            .iter()
            .all(|e| e["entity_id"].as_str() == Some(hid.as_str())
                || e["detail"]["household_id"] == household),
        "{page}"
    );

    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let (_, page) = app
        .get_json(
            &admin,
            &format!("/api/v1/audit?from={today}&to={today}&user_id={member_id}"),
        )
        .await;
    assert!(!page["items"].as_array().unwrap().is_empty(), "{page}");
    let tomorrow = today.succ_opt().unwrap();
    let (_, page) = app
        .get_json(&admin, &format!("/api/v1/audit?from={tomorrow}"))
        .await;
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    let yesterday = today.pred_opt().unwrap();
    let (_, page) = app
        .get_json(
            &admin,
            &format!("/api/v1/audit?to={yesterday}&user_id={member_id}"),
        )
        .await;
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");

    // Only administrators read it.
    let (s, b) = app.get_json(&member, "/api/v1/audit").await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
    let leader = app.login("leader").await;
    let (s, b) = app.get_json(&leader, "/api/v1/audit").await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
}
