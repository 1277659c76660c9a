//! Login, sessions, bearer tokens and roles over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{assert_error, json_of, TestApp};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_fill_the_audit_with_long_names() {
    let app = TestApp::spawn().await;
    let client = app.anonymous();
    // A 5 KB body is refused before it is read, let alone stored.
    let big = "x".repeat(5 * 1024);
    let (status, body) = app
        .post_json(
            &client,
            "/api/v1/auth/login",
            &json!({"username": big, "password": "p"}),
        )
        .await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE);
    // A long name within the body limit is cut to 64 characters in the audit.
    let long = "đ".repeat(1000);
    let (status, body) = app
        .post_json(
            &client,
            "/api/v1/auth/login",
            &json!({"username": long, "password": "p"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
    let longest = app
        .count("SELECT CAST(MAX(LENGTH(detail)) AS BIGINT) FROM audit_events WHERE action = 'login_failed'")
        .await;
    assert!(longest < 200, "audit detail of {longest} characters");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'login_failed'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_locks_the_name_and_the_lock_is_audited() {
    let app = TestApp::spawn().await;
    let client = app.anonymous();
    let attempt = |password: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            app.post_json(
                client,
                "/api/v1/auth/login",
                &json!({"username": "leader", "password": password}),
            )
            .await
        }
    };
    for _ in 0..5 {
        let (status, body) = attempt("guess").await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED);
    }
    // The sixth miss starts a lock; during it even the right password is refused.
    let (status, body) = attempt("guess").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
    let (status, body) = attempt("demo").await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        body["error"]["details"]["retry_after"].as_u64().unwrap() >= 1,
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'login_locked'")
            .await,
        1
    );
    // Another user from the same address is not locked out by it.
    let (status, body) = app
        .post_json(
            &client,
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": "demo"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // After the lock the right password works and clears the count.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = attempt("demo").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Fifty misses from one address are free whatever the names; the next one locks the address
/// (audited with it), and then even a right password from there is refused with 429 and
/// `Retry-After`, on a name that never failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_names_guessed_from_one_address_lock_the_address() {
    let app = TestApp::spawn().await;
    let client = app.anonymous();
    let miss = |name: String| {
        let app = &app;
        let client = &client;
        async move {
            app.post_json(
                client,
                "/api/v1/auth/login",
                &json!({"username": name, "password": "guess"}),
            )
            .await
        }
    };
    for i in 0..50 {
        let (status, body) = miss(format!("nobody{i}")).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'login_locked'")
            .await,
        0,
        "fifty misses are free"
    );
    // The 51st miss is still answered 401 and starts the address's lock.
    let (status, body) = miss("nobody50".into()).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
    let res = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "demo"}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = res
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "too_many_attempts");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'login_locked'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'login'")
            .await,
        0,
        "the refused right password opened no session"
    );
    // Once the lock has run out the right password works again, and the lock is in the
    // audit with the address and the name that started it.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let admin = app.login("admin").await;
    let (status, page) = app
        .get_json(&admin, "/api/v1/audit?action=login_locked")
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let detail = &page["items"][0]["detail"];
    assert_eq!(detail["username"], "nobody50", "{page}");
    assert_eq!(detail["address"], "127.0.0.1", "{page}");
    assert_eq!(detail["seconds"], 2, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_name_costs_the_same_password_hash_as_a_known_one() {
    let app = TestApp::spawn().await;
    let client = app.anonymous();
    // Medians of a few attempts each; the check is a ratio, so a busy machine slows both.
    let median = |user: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            let mut times = Vec::new();
            for _ in 0..3 {
                let started = std::time::Instant::now();
                let (status, _) = app
                    .post_json(
                        client,
                        "/api/v1/auth/login",
                        &json!({"username": user, "password": "wrong"}),
                    )
                    .await;
                assert_eq!(status, StatusCode::UNAUTHORIZED);
                times.push(started.elapsed());
            }
            times.sort();
            times[1]
        }
    };
    let known = median("member_b").await;
    let unknown = median("no_such_person").await;
    // Before the fix: 22.5 ms against 0.9 ms (a ratio of 0.04).
    assert!(
        unknown.as_secs_f64() > known.as_secs_f64() * 0.25,
        "unknown {unknown:?} vs known {known:?}"
    );
}
