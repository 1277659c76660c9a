//! Security headers on every answer and the same-origin rule for writes made with a session
//! cookie (issue 16.7, 16.9).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{json_of, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    for path in [
        "/",
        "/map",
        "/static/map.js",
        "/api/v1/households?limit=1",
        "/no/such/page",
    ] {
        let res = admin.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self';"),
            "{path}: no inline script: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
    // Personal data in JSON is never kept in a cache.
    let res = admin
        .get(app.url("/api/v1/households?limit=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_with_the_cookie_from_another_origin_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let households = app.count("SELECT COUNT(*) FROM households").await;
    let csv = "Mã hộ,Họ tên chủ hộ\nX1,Nguyễn Văn A\n";
    let import = |site: Option<&'static str>, origin: Option<String>| {
        let mut req = admin
            .post(app.url("/api/v1/projects/HPDQ2/imports/households?filename=h.csv&dry_run=true"))
            .header("content-type", "text/csv")
            .body(csv);
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        async move { json_of(req.send().await.unwrap()).await }
    };
    // A page on another port of the same host: same-site, not same-origin.
    let (status, body) = import(Some("same-site"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "cross_site_request");
    let (status, body) = import(Some("cross-site"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A browser that sends only Origin, naming another port.
    let (status, body) = import(None, Some("http://127.0.0.1:1".into())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM households").await,
        households
    );
    // gpmb's own pages pass.
    let own = app.url("").trim_end_matches('/').to_string();
    let (status, body) = import(Some("same-origin"), Some(own)).await;
    assert_ne!(status, StatusCode::FORBIDDEN, "{body}");
    // A token client sends no cookie: Origin does not concern it.
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "board")
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/visits"))
        .bearer_auth(&token)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::FORBIDDEN);
}
