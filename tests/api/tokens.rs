//! API tokens per project (admin): list (never the secret), create (secret once), revoke
//! (401 at once), last use recorded; refusals for every other role.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{assert_error, bearer, json_of, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn with_token(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    json_of(
        app.anonymous()
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_lists_and_revokes_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (s, page) = app.get_json(&admin, "/api/v1/projects/HPDQ2/tokens").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let before = page["items"].as_array().unwrap().len();

    let (s, created) = app
        .post_json(
            &admin,
            "/api/v1/projects/HPDQ2/tokens",
            &json!({"label": "Ban QLDA — hệ thống tiến độ", "access": "read"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("gpmb_") && secret.len() > 40);
    let token = &created["token"];
    let id = token["id"].as_i64().unwrap();
    assert_eq!(token["project"], "HPDQ2");
    assert_eq!(token["label"], "Ban QLDA — hệ thống tiến độ");
    assert_eq!(token["access"], "read");
    assert_eq!(token["created_by"]["username"], "admin");
    assert!(token["created_at"].is_string());
    assert!(token["last_used_at"].is_null());
    assert!(token["revoked_at"].is_null());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'create' AND entity = 'api_token' \
             AND entity_id = '{id}' AND actor = 'user:admin' AND detail NOT LIKE '%{secret}%'"
        ))
        .await,
        1
    );

    // The list shows it, never a secret or a hash.
    let (s, page) = app.get_json(&admin, "/api/v1/projects/HPDQ2/tokens").await;
    assert_eq!(s, StatusCode::OK);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), before + 1);
    let listed = items.iter().find(|t| t["id"] == id).unwrap();
    assert_eq!(listed, token);
    let text = page.to_string();
    assert!(!text.contains(&secret) && !text.contains("secret") && !text.contains("hash"));

    // Used: works, and last_used_at is written (once a minute at most).
    let (s, _) = with_token(&app, &secret, "/api/v1/projects/HPDQ2/progress").await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = with_token(&app, &secret, "/api/v1/projects/HPDQ2").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, page) = app.get_json(&admin, "/api/v1/projects/HPDQ2/tokens").await;
    let used = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    let at = used["last_used_at"].as_str().expect("last_used_at set");
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    assert!((chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds() < 60);

    // Revoked: the very next request is refused, although the token was cached.
    let res = admin
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    let (s, revoked) = json_of(res).await;
    assert_eq!(s, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let (s, b) = with_token(&app, &secret, "/api/v1/projects/HPDQ2/progress").await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'revoke' AND entity = 'api_token' AND entity_id = '{id}'"
        ))
        .await,
        1
    );
    // Revoking again changes nothing; an unknown id is 404.
    let res = admin
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (s, b) = json_of(
        admin
            .delete(app.url("/api/v1/tokens/99999999"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);

    // A write token, created the same way.
    let (s, created) = app
        .post_json(
            &admin,
            "/api/v1/projects/HPDQ2/tokens",
            &json!({"label": "GIS", "access": "write"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(created["token"]["access"], "write");

    // Refusals name the field; an unknown project is 404.
    for (body, code, field) in [
        (
            json!({"label": " ", "access": "read"}),
            "invalid_label",
            "label",
        ),
        (
            json!({"label": "x", "access": "admin"}),
            "invalid_access",
            "access",
        ),
    ] {
        let (s, b) = app
            .post_json(&admin, "/api/v1/projects/HPDQ2/tokens", &body)
            .await;
        assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(b["error"]["code"], code);
        assert_eq!(b["error"]["details"]["field"], field);
    }
    let (s, b) = app
        .post_json(
            &admin,
            "/api/v1/projects/NOPE/tokens",
            &json!({"label": "x", "access": "read"}),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
    let (s, b) = app.get_json(&admin, "/api/v1/projects/NOPE/tokens").await;
    assert_error(s, &b, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_made_on_the_command_line_are_listed_too() {
    let app = TestApp::spawn().await;
    let (row, secret) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "cli")
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let (_, page) = app.get_json(&admin, "/api/v1/projects/HPDQ2/tokens").await;
    let t = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == row.id)
        .unwrap()
        .clone();
    assert_eq!(t["label"], "cli");
    assert_eq!(t["access"], "write");
    assert!(t["created_by"].is_null());
    assert!(!page.to_string().contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_administrators_manage_tokens() {
    let app = TestApp::spawn().await;
    let (row, secret) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "board")
        .await
        .unwrap();
    let mut clients = vec![bearer(&secret)];
    for who in ["leader", "lanhdao_binhson", "member_a"] {
        clients.push(app.login(who).await);
    }
    for c in &clients {
        let (s, b) = app.get_json(c, "/api/v1/projects/HPDQ2/tokens").await;
        assert_error(s, &b, StatusCode::FORBIDDEN);
        let (s, b) = app
            .post_json(
                c,
                "/api/v1/projects/HPDQ2/tokens",
                &json!({"label": "x", "access": "write"}),
            )
            .await;
        assert_error(s, &b, StatusCode::FORBIDDEN);
        let (s, b) = json_of(
            c.delete(app.url(&format!("/api/v1/tokens/{}", row.id)))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &b, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL")
            .await,
        1
    );
}
