//! Login, sessions, bearer tokens and roles over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{assert_error, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sets_a_session_cookie_and_me_answers() {
    let app = TestApp::spawn().await;
    let client = app.anonymous();
    let res = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "member_a", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("gpmb_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"user": {"username": "member_a", "role": "member"}})
    );

    let (status, me) = app.get_json(&client, "/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["username"], "member_a");
    assert!(!me["working_groups"].as_array().unwrap().is_empty());

    let res = client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = app.get_json(&client, "/api/v1/auth/me").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_are_401_and_audited() {
    let app = TestApp::spawn().await;
    let client = app.anonymous();
    for (user, pw) in [("admin", "wrong"), ("nobody", "demo"), ("admin", "")] {
        let (status, body) = app
            .post_json(
                &client,
                "/api/v1/auth/login",
                &json!({"username": user, "password": pw}),
            )
            .await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'login_failed'")
            .await,
        3
    );
    let (status, body) = app.get_json(&client, "/api/v1/projects").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_are_scoped_to_one_project_and_read_or_write() {
    let app = TestApp::spawn().await;
    let (_, read) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "board")
        .await
        .unwrap();
    let (_, write) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "board")
        .await
        .unwrap();
    // The secret is stored hashed, never in clear.
    let clear = app
        .count(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{read}' OR token_hash = '{write}'"
        ))
        .await;
    assert_eq!(clear, 0);

    let client = app.anonymous();
    let res = client
        .get(app.url("/api/v1/projects/HPDQ2/progress"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client
        .get(app.url("/api/v1/projects"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 1);

    // Another project is invisible to this token.
    let admin = app.login("admin").await;
    let (status, _) = app
        .post_json(
            &admin,
            "/api/v1/projects",
            &json!({"code": "OTHER", "name": "Dự án khác", "investor": "X"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let res = client
        .get(app.url("/api/v1/projects/OTHER"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A project board never reads personal data.
    let res = client
        .get(app.url("/api/v1/visits"))
        .bearer_auth(&write)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = client
        .get(app.url("/api/v1/projects"))
        .bearer_auth("gpmb_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_create_projects() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (status, body) = app
        .post_json(
            &leader,
            "/api/v1/projects",
            &json!({"code": "X1", "name": "X", "investor": "X"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM projects WHERE code = 'X1'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_trail_is_readable_by_admins_only() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let (status, _) = app
        .get_json(&member, "/api/v1/households?q=nguyen van a")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get_json(&member, "/api/v1/audit").await;
    assert_error(status, &body, StatusCode::FORBIDDEN);

    let admin = app.login("admin").await;
    let (status, page) = app
        .get_json(&admin, "/api/v1/audit?entity=household&action=read&limit=5")
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty(), "the member's read is in the trail");
    assert_eq!(items[0]["actor"], "user:member_a");
    assert_eq!(items[0]["entity"], "household");
    let (_, logins) = app.get_json(&admin, "/api/v1/audit?action=login").await;
    let actors: Vec<&str> = logins["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"]["username"].as_str())
        .collect();
    assert!(
        actors.contains(&"member_a") && actors.contains(&"admin"),
        "{actors:?}"
    );
}
