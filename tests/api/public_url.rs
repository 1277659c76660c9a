//! Issue 16, item 9: absolute links come from the configured public URL (never from a
//! client's `Host` or `X-Forwarded-Host`), and the session cookie is `Secure` when the public
//! URL is https or a proxy says the request came over https.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{demo_today, TestApp, DEMO_PARCELS};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const PUBLIC: &str = "https://gpmb.example.gov.vn/gpmb";

async fn with_public_url() -> TestApp {
    TestApp::spawn_configured(DEMO_PARCELS, demo_today(), |s| {
        s.public_url = Some(PUBLIC.to_string());
    })
    .await
}

/// A GET as a hostile client would send it: another `Host`, and forwarding headers.
async fn spoofed(client: &Client, url: &str, accept: &str) -> Value {
    let res = client
        .get(url)
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("Accept", accept)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK, "{url}");
    res.json().await.expect("json")
}

/// Every `href` anywhere in the document.
fn hrefs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "href" {
                    out.push(x.as_str().unwrap_or("").to_string());
                } else {
                    hrefs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| hrefs(x, out)),
        _ => {}
    }
}

fn all_hrefs(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    hrefs(v, &mut out);
    out
}

#[tokio::test]
async fn ogc_and_geojson_links_use_the_public_url() {
    let app = with_public_url().await;
    let leader = app.login("leader").await;
    let items = "/ogc/collections/parcels_HPDQ2/items";
    for (path, accept) in [
        ("/ogc".to_string(), "application/json"),
        ("/ogc/collections".to_string(), "application/json"),
        (
            "/ogc/collections/parcels_HPDQ2".to_string(),
            "application/json",
        ),
        (format!("{items}?limit=5"), "application/geo+json"),
        (
            "/api/v1/projects/HPDQ2/parcels?limit=5".to_string(),
            "application/geo+json",
        ),
    ] {
        let doc = spoofed(&leader, &app.url(&path), accept).await;
        let links = all_hrefs(&doc);
        assert!(!links.is_empty(), "{path}: {doc}");
        for href in &links {
            assert!(href.starts_with(PUBLIC), "{path}: {href}");
            assert!(!href.contains("evil"), "{path}: {href}");
        }
        let rels: Vec<&str> = doc["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["rel"].as_str())
            .collect();
        if path.contains('?') {
            assert!(rels.contains(&"next"), "{path}: {rels:?}");
        }
    }
    let page = spoofed(
        &leader,
        &app.url(&format!("{items}?limit=5")),
        "application/geo+json",
    )
    .await;
    let link = |rel: &str| {
        page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == rel)
            .and_then(|l| l["href"].as_str())
            .unwrap()
            .to_string()
    };
    assert!(
        link("self").starts_with(&format!("{PUBLIC}{items}")),
        "{}",
        link("self")
    );
    assert!(
        link("next").starts_with(&format!("{PUBLIC}{items}?")),
        "{}",
        link("next")
    );
}

#[tokio::test]
async fn without_a_public_url_forwarded_host_is_ignored() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let host = app.base.trim_start_matches("http://").to_string();
    for (path, accept) in [
        ("/ogc", "application/json"),
        (
            "/api/v1/projects/HPDQ2/parcels?limit=5",
            "application/geo+json",
        ),
    ] {
        let res = leader
            .get(app.url(path))
            .header("X-Forwarded-Host", "evil.example")
            .header("Accept", accept)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let doc: Value = res.json().await.unwrap();
        let links = all_hrefs(&doc);
        assert!(!links.is_empty(), "{doc}");
        for href in links {
            assert!(href.starts_with(&format!("http://{host}/")), "{href}");
        }
    }
    // A Host that is not a plain host[:port] never reaches a link.
    let res = leader
        .get(app.url("/api/v1/projects/HPDQ2/parcels?limit=5"))
        .header("Host", "evil.example/phish?")
        .header("Accept", "application/geo+json")
        .send()
        .await
        .expect("request");
    if res.status() == StatusCode::OK {
        let doc: Value = res.json().await.unwrap();
        for href in all_hrefs(&doc) {
            assert!(href.starts_with("/api/v1/"), "{href}");
        }
    }
}

async fn login_cookie(app: &TestApp, forwarded_proto: Option<&str>) -> String {
    let mut req = app
        .anonymous()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "leader", "password": "demo"}));
    if let Some(p) = forwarded_proto {
        req = req.header("X-Forwarded-Proto", p);
    }
    let res = req.send().await.expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string()
}

fn is_secure(cookie: &str) -> bool {
    cookie
        .split(';')
        .any(|a| a.trim().eq_ignore_ascii_case("secure"))
}

#[tokio::test]
async fn session_cookie_is_secure_over_https() {
    let plain = TestApp::spawn().await;
    let cookie = login_cookie(&plain, None).await;
    assert!(!is_secure(&cookie), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let cookie = login_cookie(&plain, Some("https")).await;
    assert!(is_secure(&cookie), "{cookie}");
    let cookie = login_cookie(&plain, Some("http")).await;
    assert!(!is_secure(&cookie), "{cookie}");

    let https = with_public_url().await;
    let cookie = login_cookie(&https, None).await;
    assert!(is_secure(&cookie), "{cookie}");

    // Logging out clears it with the same attributes.
    let client = https.login("leader").await;
    let res = client
        .post(https.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let clear = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(clear.contains("Max-Age=0") && is_secure(&clear), "{clear}");
}
