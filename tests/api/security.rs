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

/// The four raw-body uploads take `application/octet-stream` or their own file types only: the
/// types a cross-site HTML form sends without a preflight (`text/plain`, form encodings) and a
/// missing type are 415 and store nothing (issue 16.7).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_refuse_the_content_types_a_form_can_send() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let fixture = |name: &str| {
        std::fs::read(format!(
            "{}/fixtures/import/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let res = admin
        .get(app.url("/api/v1/price-tables/template?lang=vi"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let workbook = res.bytes().await.unwrap().to_vec();
    let boundary = json!({"type": "Polygon", "coordinates": [[
        [108.80, 15.38], [108.81, 15.38], [108.81, 15.39], [108.80, 15.39], [108.80, 15.38]
    ]]});
    let endpoints: [(&str, Vec<u8>, &str, &str); 4] = [
        (
            "/api/v1/projects/HPDQ2/imports/parcels?filename=p.geojson",
            fixture("parcels_5898.geojson"),
            "application/geo+json",
            "SELECT COUNT(*) FROM parcels",
        ),
        (
            "/api/v1/projects/HPDQ2/imports/households?filename=h.csv",
            fixture("households.csv"),
            "text/csv",
            "SELECT COUNT(*) FROM households",
        ),
        (
            "/api/v1/projects/boundary-preview?filename=b.geojson",
            boundary.to_string().into_bytes(),
            "application/json",
            "SELECT COUNT(*) FROM projects",
        ),
        (
            "/api/v1/price-tables/import?filename=b.xlsx",
            workbook,
            "application/vnd.ms-excel",
            "SELECT COUNT(*) FROM price_tables",
        ),
    ];
    for (path, bytes, own_type, rows) in endpoints {
        let before = app.count(rows).await;
        let audit = app.count("SELECT COUNT(*) FROM audit_events").await;
        let send = |content_type: Option<&str>, dry_run: bool| {
            let mut req = admin
                .post(app.url(&format!("{path}&dry_run={dry_run}")))
                .body(bytes.clone());
            if let Some(t) = content_type {
                req = req.header("content-type", t);
            }
            async move { json_of(req.send().await.unwrap()).await }
        };
        for refused in [
            Some("text/plain"),
            Some("text/plain;charset=UTF-8"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=----x"),
            None,
        ] {
            let (status, body) = send(refused, false).await;
            assert_eq!(
                status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{path} {refused:?}: {body}"
            );
            assert_eq!(body["error"]["code"], "unsupported_media_type");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("application/octet-stream") && message.contains(own_type),
                "{path}: the message says what to send: {message}"
            );
        }
        assert_eq!(app.count(rows).await, before, "{path}: nothing stored");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events").await,
            audit,
            "{path}: nothing audited"
        );
        // The OpenAPI document says so.
        let (_, doc) = app.get_json(&admin, "/api/v1/openapi.json").await;
        let operation = path.split('?').next().unwrap().replace("HPDQ2", "{code}");
        assert!(
            doc["paths"][&operation]["post"]["responses"]["415"].is_object(),
            "{operation} documents 415"
        );
        // The same bytes as octet-stream or as their own type are read.
        for accepted in ["application/octet-stream", own_type] {
            let (status, body) = send(Some(accepted), true).await;
            assert!(
                status == StatusCode::OK
                    || (status == StatusCode::UNPROCESSABLE_ENTITY
                        && body["error"]["code"] == "invalid_import"),
                "{path} as {accepted}: {status} {body}"
            );
        }
    }
}
