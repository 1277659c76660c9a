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
    let board = app.board(true).await;
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

async fn change_password(
    app: &TestApp,
    client: &Client,
    current: &str,
    new: &str,
) -> (StatusCode, Value) {
    app.post_json(
        client,
        "/api/v1/me/password",
        &json!({"current_password": current, "new_password": new}),
    )
    .await
}

/// Issue 16 item 10: changing one's own password checks the current one, needs 12
/// characters, and ends the user's other sessions while keeping the one that asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_ones_own_password_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let here = app.login("member_a").await;
    let phone = app.login("member_a").await;
    let admin = app.login("admin").await;
    for c in [&here, &phone, &admin] {
        assert_eq!(app.get_json(c, "/api/v1/auth/me").await.0, StatusCode::OK);
    }
    let (s, b) = change_password(&app, &here, "not it", "a much longer passphrase").await;
    assert_field(s, &b, "wrong_password", "current_password");
    let (s, b) = change_password(&app, &here, "demo", "short").await;
    assert_field(s, &b, "password_too_short", "new_password");
    assert_eq!(
        app.get_json(&phone, "/api/v1/auth/me").await.0,
        StatusCode::OK
    );

    let (s, b) = change_password(&app, &here, "demo", "a much longer passphrase").await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(
        app.get_json(&here, "/api/v1/auth/me").await.0,
        StatusCode::OK
    );
    let (s, b) = app.get_json(&phone, "/api/v1/auth/me").await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED);
    // Another user's session is untouched.
    assert_eq!(
        app.get_json(&admin, "/api/v1/auth/me").await.0,
        StatusCode::OK
    );
    let id = user_id(&app, "member_a").await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = {id}"
        ))
        .await,
        1
    );
    assert_eq!(
        login_with(&app, "member_a", "demo").await.1,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_with(&app, "member_a", "a much longer passphrase")
            .await
            .1,
        StatusCode::OK
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'change_password' \
             AND entity_id = '{id}' AND detail LIKE '%\"sessions_ended\":1%'"
        ))
        .await,
        1
    );
    // Unauthenticated: 401; an API token has no password: 403.
    let (s, b) = change_password(&app, &app.anonymous(), "x", "y").await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED);
    let (_, secret) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "board")
        .await
        .unwrap();
    let res = app
        .anonymous()
        .post(app.url("/api/v1/me/password"))
        .bearer_auth(secret)
        .json(&json!({"current_password": "x", "new_password": "yyyyyyyyyyyyyy"}))
        .send()
        .await
        .unwrap();
    let (s, b) = json_of(res).await;
    assert_error(s, &b, StatusCode::FORBIDDEN);
}

/// Wrong current passwords count toward the login throttle: no side door for guessing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_the_current_password_is_throttled() {
    let app = TestApp::spawn().await;
    let here = app.login("member_b").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            change_password(&app, &here, "guess", "a much longer passphrase")
                .await
                .0,
        );
    }
    assert_eq!(statuses[0], StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        *statuses.last().unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "{statuses:?}"
    );
}

async fn set_last_seen(app: &TestApp, username: &str, ago: chrono::Duration) {
    use gpmb::entities::sessions;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id = i32::try_from(user_id(app, username).await).unwrap();
    sessions::Entity::update_many()
        .col_expr(
            sessions::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now().fixed_offset() - ago),
        )
        .filter(sessions::Column::UserId.eq(id))
        .exec(&app.db.conn)
        .await
        .unwrap();
}

/// Issue 16 item 10: a session unused for longer than the inactivity timeout (30 min by
/// default) ends although its absolute lifetime has not; use restarts the clock; ended
/// sessions are deleted, at the latest at the next login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unused_session_ends_after_the_idle_timeout_and_ended_ones_are_deleted() {
    use gpmb::entities::sessions;
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let app = TestApp::spawn().await;
    assert_eq!(app.state.settings.session_idle_minutes, 30);
    let idle = app.login("member_a").await;
    let busy = app.login("member_b").await;
    set_last_seen(&app, "member_a", chrono::Duration::minutes(31)).await;
    set_last_seen(&app, "member_b", chrono::Duration::minutes(29)).await;
    app.state.auth_cache.clear().await;
    let (s, b) = app.get_json(&idle, "/api/v1/auth/me").await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get_json(&busy, "/api/v1/auth/me").await.0,
        StatusCode::OK
    );
    let a = user_id(&app, "member_a").await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = {a}"
        ))
        .await,
        0,
        "the idle session is deleted when it is refused"
    );
    // member_b's use restarted her clock: 29 more minutes of silence would not end it.
    let b_id = i32::try_from(user_id(&app, "member_b").await).unwrap();
    let seen = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(b_id))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
        .last_seen_at
        .unwrap();
    assert!(chrono::Utc::now().fixed_offset() - seen < chrono::Duration::minutes(1));

    // Sessions past their expiry or idle for long, never presented again, go at the next login.
    let now = chrono::Utc::now().fixed_offset();
    for (created, expires, seen) in [
        (
            now - chrono::Duration::hours(13),
            now - chrono::Duration::hours(1),
            None,
        ),
        (
            now - chrono::Duration::hours(2),
            now + chrono::Duration::hours(10),
            Some(now - chrono::Duration::hours(2)),
        ),
        (
            now - chrono::Duration::hours(2),
            now + chrono::Duration::hours(10),
            None,
        ),
    ] {
        sessions::ActiveModel {
            token_hash: Set(format!("stale-{}", rand_hex())),
            user_id: Set(b_id),
            created_at: Set(created),
            expires_at: Set(expires),
            last_seen_at: Set(seen),
            ..Default::default()
        }
        .insert(&app.db.conn)
        .await
        .unwrap();
    }
    let stale = "SELECT COUNT(*) FROM sessions WHERE token_hash LIKE 'stale-%'";
    assert_eq!(app.count(stale).await, 3);
    let _leader = app.login("leader").await;
    assert_eq!(app.count(stale).await, 0);
    assert_eq!(
        app.get_json(&busy, "/api/v1/auth/me").await.0,
        StatusCode::OK
    );
}

fn rand_hex() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{:08x}", N.fetch_add(1, Ordering::Relaxed))
}

/// Issue 16 item 10: the command line's account actions act on a running server's database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_disables_enables_resets_and_revokes() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    assert_eq!(
        app.get_json(&member, "/api/v1/auth/me").await.0,
        StatusCode::OK
    );
    let url = app.state.settings.database_url.clone();
    let gpmb = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gpmb"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("GPMB_SQLITE_SYNC", "normal")
            .env_remove("GPMB_PASSWORD")
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, said) = gpmb(&["user", "disable", "member_a"]);
    assert!(ok, "{said}");
    assert!(said.contains("1 session(s) ended"), "{said}");
    app.state.auth_cache.clear().await;
    let (s, b) = app.get_json(&member, "/api/v1/auth/me").await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login_with(&app, "member_a", "demo").await.1,
        StatusCode::UNAUTHORIZED
    );
    assert!(gpmb(&["user", "enable", "member_a"]).0);
    let (member, s) = login_with(&app, "member_a", "demo").await;
    assert_eq!(s, StatusCode::OK);

    let (ok, said) = gpmb(&["user", "password", "member_a", "--password", "short"]);
    assert!(!ok && said.contains("12"), "{said}");
    let (ok, said) = gpmb(&[
        "user",
        "password",
        "member_a",
        "--password",
        "a long new passphrase",
    ]);
    assert!(ok, "{said}");
    app.state.auth_cache.clear().await;
    assert_eq!(
        app.get_json(&member, "/api/v1/auth/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (member, s) = login_with(&app, "member_a", "a long new passphrase").await;
    assert_eq!(s, StatusCode::OK);
    let (ok, said) = gpmb(&["user", "end-sessions", "member_a"]);
    assert!(ok && said.contains("1 session(s)"), "{said}");
    app.state.auth_cache.clear().await;
    assert_eq!(
        app.get_json(&member, "/api/v1/auth/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (ok, said) = gpmb(&["user", "disable", "nobody"]);
    assert!(!ok && said.contains("no user named nobody"), "{said}");

    let (token, secret) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "board")
        .await
        .unwrap();
    let board = |secret: String| {
        let client = app.anonymous();
        let url = app.url("/api/v1/projects");
        async move {
            client
                .get(url)
                .bearer_auth(secret)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(board(secret.clone()).await, StatusCode::OK);
    let (ok, said) = gpmb(&["token", "revoke", &token.id.to_string()]);
    assert!(ok && said.contains("revoked"), "{said}");
    app.state.auth_cache.clear().await;
    assert_eq!(board(secret).await, StatusCode::UNAUTHORIZED);
    assert!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action IN ('reset_password', 'end_sessions', 'revoke')")
            .await
            >= 3
    );
}

/// The sessions migration (last_seen_at and its indexes) goes down and up again on both
/// databases.
#[tokio::test]
async fn the_sessions_idle_migration_goes_down_and_up_again() {
    use migration::MigratorTrait;
    let app = TestApp::spawn_with(0).await;
    // Down to just before it (and any later ones), then up again.
    let all = migration::Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == "m20261205_sessions_idle")
        .unwrap();
    let steps = u32::try_from(all.len() - at).unwrap();
    migration::Migrator::down(&app.db.conn, Some(steps))
        .await
        .unwrap();
    migration::Migrator::up(&app.db.conn, None).await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE last_seen_at IS NULL")
            .await,
        0
    );
}
