//! Health, metrics, OpenAPI and the docs page.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::TestApp;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics() {
    let app = TestApp::spawn_with(0).await;
    let client = app.anonymous();
    let (status, body) = app.get_json(&client, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let _ = client
        .get(app.url("/api/v1/projects"))
        .send()
        .await
        .unwrap(); // a 401
    let text = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("# TYPE gpmb_http_requests_total counter"),
        "{text}"
    );
    let four_xx: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("gpmb_http_requests_total{class=\"4xx\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(four_xx >= 1);
    assert!(text.contains("gpmb_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_is_generated_from_the_code_and_docs_are_served() {
    let app = TestApp::spawn_with(0).await;
    let client = app.anonymous();
    let (status, doc) = app.get_json(&client, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut operations: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    operations.sort();
    insta::assert_snapshot!("openapi_operations", operations.join("\n"));
    assert!(doc["components"]["schemas"]["ErrorEnvelope"].is_object());

    let res = client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "docs page is Swagger UI");
    // Nothing from a CDN: the page's scripts are served by gpmb itself.
    assert!(
        !html.contains("https://"),
        "docs page must not load from the network"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_page_and_i18n_catalogues_are_embedded_and_complete() {
    let app = TestApp::spawn_with(0).await;
    let client = app.anonymous();
    let res = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("/static/app.js") && html.contains("lang=\"vi\""));
    let (_, vi) = app.get_json(&client, "/static/i18n/vi/common.json").await;
    let (_, en) = app.get_json(&client, "/static/i18n/en/common.json").await;
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&vi), keys(&en), "every text in both languages");
    assert_eq!(vi["status.handed_over"], "Đã bàn giao");
    let res = client.get(app.url("/static/nope.js")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Every closed vocabulary is documented exactly as the API reads and writes it (a client
/// generated from the document sends `home_visit`, never `HomeVisit`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_enums_are_the_values_on_the_wire() {
    use gpmb::domain::{
        AlertKind, CaseStage, Channel, GrievanceKind, GrievanceStatus, ParcelStatus, Role, Stance,
        Topic, VisitKind,
    };
    fn wire<T: serde::Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }
    let app = TestApp::spawn_with(0).await;
    let (_, doc) = app.get_json(&app.anonymous(), "/api/v1/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    let expected = [
        ("ParcelStatus", wire(ParcelStatus::ALL)),
        ("Stance", wire(Stance::ALL)),
        ("VisitKind", wire(VisitKind::ALL)),
        ("Topic", wire(Topic::ALL)),
        ("CaseStage", wire(CaseStage::ALL)),
        ("GrievanceStatus", wire(GrievanceStatus::ALL)),
        ("GrievanceKind", wire(GrievanceKind::ALL)),
        ("Channel", wire(Channel::ALL)),
        ("AlertKind", wire(AlertKind::ALL)),
        ("Role", wire(Role::ALL)),
    ];
    let mut documented = 0;
    for (name, values) in expected {
        let Some(list) = schemas[name]["enum"].as_array() else {
            continue;
        };
        documented += 1;
        let got: Vec<String> = list
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, values, "{name} is documented as {got:?}");
    }
    assert!(
        documented >= 6,
        "the vocabularies appear in the document's schemas: {}",
        serde_json::to_string(&schemas.as_object().unwrap().keys().collect::<Vec<_>>()).unwrap()
    );
    assert_eq!(schemas["VisitKind"]["enum"][0], "home_visit");
    assert_eq!(schemas["CaseStage"]["enum"][0], "briefing");
}

#[test]
fn openapi_parameters_are_where_the_server_reads_them_and_operation_ids_are_unique() {
    let (_, doc) = gpmb::app::api();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut ids = std::collections::HashSet::new();
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(ids.insert(id.clone()), "operation id {id} twice");
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                let declared = p["in"].as_str().unwrap();
                if in_path != (declared == "path") {
                    wrong.push(format!("{method} {path}: {name} declared in {declared}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A generated client must know every status the shared layers answer (issue 14.3): a
/// malformed or unknown id, a missing login, a refused role, a closed project.
#[test]
fn openapi_lists_the_error_answers_of_every_operation() {
    let (_, doc) = gpmb::app::api();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let has = |status: &str| op["responses"].get(status).is_some();
            let open = path.ends_with("/auth/login") || path.ends_with("/auth/logout");
            let mut expected = Vec::new();
            if !open {
                expected.extend(["401", "403"]);
            }
            if op
                .get("parameters")
                .is_some_and(|p| !p.as_array().unwrap().is_empty())
            {
                expected.extend(["400", "404", "422"]);
            }
            if op.get("requestBody").is_some() {
                expected.extend(["400", "413", "422"]);
            }
            if method != "get" && !open {
                expected.push("409");
            }
            for status in expected {
                if !has(status) {
                    missing.push(format!("{method} {path}: {status}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
    // Shared answers are components, each with the error envelope.
    let bad = &doc["components"]["responses"]["NotFound"]["content"]["application/json"]["schema"];
    assert_eq!(bad["$ref"], "#/components/schemas/ErrorEnvelope");
}
