//! The keys of the field app's encrypted offline store (issue 16 item 11): only for a login
//! session; the same session gets the same key, another session another (the outbox key is the
//! user's, the same in each of their sessions, another user's differs); 401 once the session
//! has ended (logout, expiry), and the session's key is gone from the database with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use base64::Engine;
use chrono::{Duration, Utc};
use common::{assert_error, json_of, TestApp};
use gpmb::entities::sessions;
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

const KEY: &str = "/api/v1/field/key";

async fn key(app: &TestApp, client: &Client) -> (StatusCode, Value, Option<String>) {
    let res = client.get(app.url(KEY)).send().await.unwrap();
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string());
    let (s, body) = json_of(res).await;
    (s, body, cache)
}

fn raw(body: &Value, field: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(body[field].as_str().unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_field_key_belongs_to_the_session_and_ends_with_it() {
    let app = TestApp::spawn_configured(common::DEMO_PARCELS, common::demo_today(), |s| {
        s.field_wipe_days = 3;
    })
    .await;
    let (s, body, _) = key(&app, &app.anonymous()).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED);

    // One session: the same key each time, 256 bits, never cached by the browser.
    let first = app.login("member_a").await;
    let (s, a1, cache) = key(&app, &first).await;
    assert_eq!(s, StatusCode::OK, "{a1}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_eq!(raw(&a1, "key").len(), 32);
    assert_eq!(raw(&a1, "outbox_key").len(), 32);
    assert_eq!(a1["wipe_after_days"], 3);
    assert_ne!(a1["key"], a1["outbox_key"]);
    assert_ne!(a1["key_id"], a1["outbox_key_id"]);
    let (_, a2, _) = key(&app, &first).await;
    assert_eq!(a1, a2, "the same session gets the same keys");

    // Another session of the same member: another key; the same outbox key (what she queued
    // offline in the first can be sent from the second).
    let second = app.login("member_a").await;
    let (s, b, _) = key(&app, &second).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(b["key"], a1["key"]);
    assert_ne!(b["key_id"], a1["key_id"]);
    assert_eq!(b["outbox_key"], a1["outbox_key"]);
    assert_eq!(b["outbox_key_id"], a1["outbox_key_id"]);

    // Another member: other keys.
    let other = app.login("member_b").await;
    let (_, c, _) = key(&app, &other).await;
    assert_ne!(c["key"], a1["key"]);
    assert_ne!(c["key"], b["key"]);
    assert_ne!(c["outbox_key"], a1["outbox_key"]);

    // Logout: 401, and the key is gone from the database; the other session keeps its own.
    let stored = |k: &Value| {
        format!(
            "SELECT COUNT(*) FROM sessions WHERE field_key = '{}'",
            k.as_str().unwrap()
        )
    };
    assert_eq!(app.count(&stored(&a1["key"])).await, 1);
    let res = first
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (s, body, _) = key(&app, &first).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count(&stored(&a1["key"])).await, 0);
    let (_, b2, _) = key(&app, &second).await;
    assert_eq!(b2, b);

    // A session past its expiry: 401 at once, even while its user is still in the auth cache.
    let expired = sessions::Entity::update_many()
        .col_expr(
            sessions::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(Utc::now().fixed_offset() - Duration::minutes(1)),
        )
        .filter(sessions::Column::FieldKey.eq(b["key"].as_str().unwrap()))
        .exec(&app.db.conn)
        .await
        .unwrap();
    assert_eq!(expired.rows_affected, 1);
    let (s, body, _) = key(&app, &second).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_gets_no_field_key() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (s, created) = app
        .post_json(
            &admin,
            "/api/v1/projects/HPDQ2/tokens",
            &json!({"label": "GIS", "access": "read"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap();
    let res = app
        .anonymous()
        .get(app.url(KEY))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    let (s, body) = json_of(res).await;
    assert_error(s, &body, StatusCode::FORBIDDEN);
    assert!(body.to_string().find("\"key\"").is_none(), "{body}");
    // An administrator's session does get one (the field app is open to every role that
    // reads personal data).
    let (s, _, _) = key(&app, &admin).await;
    assert_eq!(s, StatusCode::OK);
}
