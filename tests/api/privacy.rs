//! Issue 16, item 12 (part): the CCCD is masked in lists, search results, the case file, the
//! field app, history and exports; the full number is an audited reveal for readers of
//! personal data; a project board's token never gets it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{assert_error, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

/// `051*******45`: 3 digits, 7 stars, 2 digits.
fn is_masked(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3..10].iter().all(|c| *c == b'*')
        && b[10..].iter().all(u8::is_ascii_digit)
}

/// The CCCD stored for a household, read as an outside observer would.
async fn stored_id_number(app: &TestApp, id: i64) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .conn
        .query_one(Statement::from_string(
            app.db.backend(),
            format!("SELECT id_number FROM households WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

fn assert_all_masked(items: &[Value], what: &str) {
    let with_cccd: Vec<&str> = items
        .iter()
        .filter_map(|h| h["id_number"].as_str())
        .collect();
    assert!(!with_cccd.is_empty(), "{what}: no CCCD at all");
    for n in with_cccd {
        assert!(is_masked(n), "{what}: {n}");
    }
}

#[tokio::test]
async fn cccd_is_masked_in_lists_search_case_file_history_and_field_app() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;

    let all = app.all_pages(&admin, "/api/v1/households?limit=500").await;
    assert_all_masked(&all, "households list");
    let first = all
        .iter()
        .find(|h| h["id_number"].is_string())
        .unwrap()
        .clone();
    let id = first["id"].as_i64().unwrap();
    let full = stored_id_number(&app, id).await;
    assert_eq!(
        first["id_number"].as_str().unwrap(),
        gpmb::households::privacy::mask_id_number(&full)
    );

    // Searching by the full number finds it, and still shows it masked.
    let found = app
        .all_pages(&admin, &format!("/api/v1/households?q={full}"))
        .await;
    assert!(found.iter().any(|h| h["id"] == id), "{found:?}");
    assert_all_masked(&found, "search");

    let (status, detail) = app
        .get_json(&admin, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_masked(detail["id_number"].as_str().unwrap()), "{detail}");
    assert!(!detail.to_string().contains(&full));

    let work = app.all_pages(&member_a, "/api/v1/my-work?limit=50").await;
    assert_all_masked(&work, "field app");

    // History keeps the content before an edit: masked too.
    let mine = app.all_pages(&member_a, "/api/v1/households?limit=5").await;
    let h = &mine[0];
    let hid = h["id"].as_i64().unwrap();
    let old = stored_id_number(&app, hid).await;
    let res = member_a
        .patch(app.url(&format!("/api/v1/households/{hid}")))
        .header("If-Match", format!("\"{}\"", h["version"]))
        .json(&serde_json::json!({"id_number": "051090012345"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["id_number"], "051*******45");
    let (_, history) = app
        .get_json(&member_a, &format!("/api/v1/households/{hid}/history"))
        .await;
    let before = history["items"][0]["before"]["id_number"].as_str().unwrap();
    assert!(is_masked(before), "{history}");
    assert!(!history.to_string().contains(&old));
}

#[tokio::test]
async fn reveal_answers_the_full_number_is_audited_and_scoped() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let mine = app.all_pages(&member_a, "/api/v1/households?limit=5").await;
    let id = mine.iter().find(|h| h["id_number"].is_string()).unwrap()["id"]
        .as_i64()
        .unwrap();
    let full = stored_id_number(&app, id).await;
    let reveals = |id: i64| {
        format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'reveal' AND entity = 'household' AND entity_id = '{id}'"
        )
    };
    assert_eq!(app.count(&reveals(id)).await, 0);

    let path = format!("/api/v1/households/{id}/id-number");
    let (status, body) = app.get_json(&member_a, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id_number"], full.as_str());
    assert_eq!(body["id"], id);
    assert_eq!(app.count(&reveals(id)).await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'reveal' AND entity_id = '{id}' AND actor = 'user:member_a'"
        ))
        .await,
        1
    );

    // Outside her area: 404 like an unknown id, nothing revealed.
    let (status, body) = app.get_json(&member_b, &path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    assert!(!body.to_string().contains(&full));
    let (status, body) = app
        .get_json(&member_a, "/api/v1/households/999999/id-number")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);

    // A project board never gets it, nor an anonymous caller.
    let board = app.board(false).await;
    let (status, body) = app.get_json(&board, &path).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    assert!(!body.to_string().contains(&full));
    let (status, _) = app.get_json(&app.anonymous(), &path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count(&reveals(id)).await, 1);
}

fn csv_column(bytes: &[u8], header: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let at = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == header)
        .unwrap();
    r.records()
        .map(|rec| rec.unwrap().get(at).unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn exports_carry_the_cccd_masked_unless_revealed() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let export = "/api/v1/projects/HPDQ2/exports/households.csv";

    let res = leader.get(app.url(export)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let masked = csv_column(&res.bytes().await.unwrap(), "Số CCCD");
    let masked: Vec<&String> = masked.iter().filter(|c| !c.is_empty()).collect();
    assert!(!masked.is_empty());
    for c in &masked {
        assert!(is_masked(c), "{c}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'export' AND detail LIKE '%\"reveal\":[\"id_number\"]%'")
            .await,
        0
    );

    let res = leader
        .get(app.url(&format!("{export}?reveal=id_number")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let full = csv_column(&res.bytes().await.unwrap(), "Số CCCD");
    let full: Vec<&String> = full.iter().filter(|c| !c.is_empty()).collect();
    assert_eq!(full.len(), masked.len());
    for (f, m) in full.iter().zip(&masked) {
        assert!(
            f.len() == 12 && f.bytes().all(|b| b.is_ascii_digit()),
            "{f}"
        );
        assert_eq!(&&gpmb::households::privacy::mask_id_number(f), m);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'export' AND actor = 'user:leader' AND detail LIKE '%\"reveal\":[\"id_number\"]%'")
            .await,
        1
    );

    // Only id_number may be asked for.
    let res = leader
        .get(app.url(&format!("{export}?reveal=phone")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A project board: 403 with or without reveal, on households and on parcels.
    let board = app.board(false).await;
    for path in [
        format!("{export}?reveal=id_number"),
        "/api/v1/projects/HPDQ2/exports/parcels.csv?reveal=id_number".to_string(),
    ] {
        let res = board.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn vulnerable_flags_reach_only_readers_of_personal_data() {
    let app = TestApp::spawn().await;
    let board = app.board(false).await;
    for path in [
        "/api/v1/households",
        "/api/v1/my-work",
        "/api/v1/projects/HPDQ2/exports/households.csv",
    ] {
        let res = board.get(app.url(path)).send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
        for word in [
            "vulnerable",
            "ethnic_minority",
            "Hộ nghèo",
            "Dân tộc thiểu số",
        ] {
            assert!(!text.contains(word), "{path}: {text}");
        }
    }
    let parcels = board
        .get(app.url("/api/v1/projects/HPDQ2/exports/parcels.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(parcels.status(), StatusCode::OK);
    let text = parcels.text().await.unwrap();
    for word in ["Hộ nghèo", "Dân tộc thiểu số", "CCCD"] {
        assert!(!text.contains(word), "{word}");
    }
    // Members of working groups plan support with them: they see them.
    let member_a = app.login("member_a").await;
    let mine = app
        .all_pages(&member_a, "/api/v1/households?limit=500")
        .await;
    assert!(mine.iter().all(|h| h["vulnerable"].is_array()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_alerts_hot_spots_stances_and_working_groups_are_audited() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let reads = |entity: &'static str, via: &'static str| {
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'read' AND actor = 'user:leader' \
                 AND entity = '{entity}' AND detail LIKE '%{via}%'"
            ))
            .await
        }
    };
    for (path, entity, via) in [
        (
            "/api/v1/alerts?project=HPDQ2",
            "household",
            "\"via\":\"alerts\"",
        ),
        (
            "/api/v1/projects/HPDQ2/hot-spots",
            "household",
            "\"via\":\"hot_spots\"",
        ),
        (
            "/api/v1/projects/HPDQ2/stance-parcels?stance=agrees",
            "stance",
            "\"stance\":\"agrees\"",
        ),
        ("/api/v1/working-groups", "working_group", "\"ids\""),
    ] {
        let before = reads(entity, via).await;
        let (status, body) = app.get_json(&leader, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(reads(entity, via).await, before + 1, "{path} is audited");
    }
    // The alerts read names the households it showed.
    let (_, page) = app.get_json(&leader, "/api/v1/alerts?project=HPDQ2").await;
    let first = page["items"]
        .as_array()
        .and_then(|items| items.iter().find_map(|a| a["household_id"].as_i64()))
        .expect("an alert naming a household");
    let named = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'read' AND entity = 'household' \
             AND detail LIKE '%alerts%' AND (detail LIKE '%[{first},%' OR detail LIKE '%,{first},%' \
             OR detail LIKE '%,{first}]%' OR detail LIKE '%[{first}]%')"
        ))
        .await;
    assert!(named >= 1, "household {first} named in the audit");
}
