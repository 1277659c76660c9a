//! HTTP Basic with the API token as the password (what QGIS's authentication configurations
//! send), wherever a Bearer token is taken, and the challenge every 401 carries (issue 14.4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};

async fn read_token(app: &TestApp) -> String {
    gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "qgis")
        .await
        .unwrap()
        .1
}

fn challenges(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn basic_with_the_token_as_password_reads_api_and_ogc() {
    let app = TestApp::spawn().await;
    let token = read_token(&app).await;
    let client = Client::new();
    for path in [
        "/api/v1/projects",
        "/api/v1/projects/HPDQ2/progress",
        "/ogc",
        "/ogc/collections",
        "/ogc/collections/parcels_HPDQ2/items?limit=3",
    ] {
        // Any user name, the token as the password.
        let basic = client
            .get(app.url(path))
            .basic_auth("qgis-user", Some(&token))
            .send()
            .await
            .unwrap();
        let (status, by_basic) = json_of(basic).await;
        assert_eq!(status, StatusCode::OK, "{path}: {by_basic}");
        let bearer = client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let (status, by_bearer) = json_of(bearer).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        if !path.contains("items") {
            assert_eq!(by_basic, by_bearer, "{path}: the same answer either way");
        }
    }
    // The token keeps its limits when sent as Basic: read-only, one project, no households.
    let res = client
        .get(app.url("/api/v1/households"))
        .basic_auth("", Some(&token))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        res.status()
    );
    // A user's own name and password are not a token.
    let res = client
        .get(app.url("/api/v1/projects"))
        .basic_auth("admin", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_or_malformed_basic_is_401_with_a_challenge() {
    let app = TestApp::spawn().await;
    let token = read_token(&app).await;
    let client = Client::new();
    let long = "A".repeat(4000);
    let cases: Vec<(&str, String)> = vec![
        (
            "wrong password",
            format!("Basic {}", b64("x:gpmb_not_a_token")),
        ),
        ("empty password", format!("Basic {}", b64("x:"))),
        ("no colon", format!("Basic {}", b64(&token))),
        ("not base64", "Basic %%%".to_string()),
        ("too long", format!("Basic {long}")),
        (
            "too long, token",
            format!("Basic {}", b64(&format!("{long}:{token}"))),
        ),
    ];
    for path in [
        "/ogc",
        "/ogc/collections/parcels_HPDQ2/items",
        "/api/v1/projects",
    ] {
        for (what, header) in &cases {
            let res = client
                .get(app.url(path))
                .header("authorization", header)
                .send()
                .await
                .unwrap();
            let ch = challenges(&res);
            let (status, body) = json_of(res).await;
            assert_error(status, &body, StatusCode::UNAUTHORIZED);
            assert!(
                ch.contains(&r#"Basic realm="gpmb""#.to_string()),
                "{path} {what}: {ch:?}"
            );
        }
    }
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn a_401_challenges_basic_and_bearer_but_not_a_pages_script() {
    let app = TestApp::spawn().await;
    let anonymous = app.anonymous();
    for path in [
        "/ogc",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/parcels_HPDQ2/items",
        "/api/v1/projects",
        "/api/v1/households",
    ] {
        let res = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            challenges(&res),
            [r#"Basic realm="gpmb""#, r#"Bearer realm="gpmb""#],
            "{path}"
        );
        // A browser opening the address itself may show its login dialog…
        let res = anonymous
            .get(app.url(path))
            .header("sec-fetch-mode", "navigate")
            .send()
            .await
            .unwrap();
        assert!(challenges(&res).contains(&r#"Basic realm="gpmb""#.to_string()));
        // …but not over the web app when its script's session has expired.
        let res = anonymous
            .get(app.url(path))
            .header("sec-fetch-mode", "cors")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenges(&res), [r#"Bearer realm="gpmb""#], "{path}");
    }
    // Other errors carry no challenge.
    let leader = app.login("leader").await;
    let res = leader
        .get(app.url("/ogc/collections/parcels_NOPE"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(challenges(&res).is_empty());
}
