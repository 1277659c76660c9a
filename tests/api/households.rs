//! Households: diacritic-insensitive search, area scoping, pagination, validation and audit.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use std::collections::HashSet;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// Every household the client may see, page by page (`limit` per page).
async fn all_pages(app: &TestApp, client: &Client, query: &str, limit: u32) -> Vec<Value> {
    let items = app
        .all_pages(client, &format!("/api/v1/households?limit={limit}{query}"))
        .await;
    assert!(
        !items.is_empty() || query.contains("q="),
        "no households at all"
    );
    items
}

fn ids(items: &[Value]) -> Vec<i64> {
    items
        .iter()
        .map(|h| h["id"].as_i64().expect("id"))
        .collect()
}

async fn search(app: &TestApp, client: &Client, q: &str) -> Vec<Value> {
    let res = client
        .get(app.url("/api/v1/households"))
        .query(&[("q", q), ("limit", "500")])
        .send()
        .await
        .expect("request");
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "q={q}: {body}");
    body["items"].as_array().expect("items").clone()
}

async fn household_in(app: &TestApp, commune_code: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(MIN(h.id) AS BIGINT) FROM households h JOIN admin_units u ON u.id = h.commune_id \
         WHERE u.code = '{commune_code}' AND u.valid_to IS NOT NULL"
    ))
    .await
}

async fn households_in(app: &TestApp, commune_code: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM households h JOIN admin_units u ON u.id = h.commune_id \
         WHERE u.code = '{commune_code}' AND u.valid_to IS NOT NULL"
    ))
    .await
}

async fn nguyen_van_a(app: &TestApp, client: &Client) -> Value {
    let found = search(app, client, "nguyen van a").await;
    found
        .into_iter()
        .find(|h| h["head_name"] == "Nguyễn Văn A")
        .expect("Nguyễn Văn A is found")
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM audit_events WHERE entity = 'household' AND action = '{action}'"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_ignores_diacritics_and_case() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;

    for q in [
        "nguyen van a",
        "NGUYEN VAN A",
        "Nguyễn Văn A",
        "  nguyen   van  a ",
    ] {
        let found = search(&app, &admin, q).await;
        assert!(
            found.iter().any(|h| h["head_name"] == "Nguyễn Văn A"),
            "`{q}` should find Nguyễn Văn A; got {:?}",
            found
                .iter()
                .map(|h| h["head_name"].clone())
                .collect::<Vec<_>>()
        );
        for h in &found {
            let names: Vec<&str> = h["members"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["name"].as_str())
                .collect();
            let key = gpmb::text::fold(&format!(
                "{} {} {} {}",
                h["head_name"].as_str().unwrap(),
                names.join(" "),
                h["id_number"].as_str().unwrap_or(""),
                h["code"].as_str().unwrap()
            ));
            assert!(
                key.contains("nguyen van a"),
                "`{q}` matched an unrelated household: {h}"
            );
        }
    }

    // A head whose name has đ / Đ, found by its name typed without diacritics.
    let everyone = all_pages(&app, &admin, "", 500).await;
    let d_head = everyone
        .iter()
        .find(|h| {
            h["head_name"]
                .as_str()
                .is_some_and(|n| n.contains('Đ') || n.contains('đ'))
        })
        .expect("a demo head name with đ");
    let name = d_head["head_name"].as_str().unwrap();
    let plain = gpmb::text::fold(name);
    assert!(plain.is_ascii() && !plain.contains('đ'), "{plain}");
    let found = search(&app, &admin, &plain).await;
    assert!(
        found.iter().any(|h| h["id"] == d_head["id"]),
        "`{plain}` should find {name}"
    );
    let found = search(&app, &admin, &plain.to_uppercase()).await;
    assert!(
        found.iter().any(|h| h["id"] == d_head["id"]),
        "upper-case `{plain}` should find {name}"
    );

    // The CCCD (typed in full; lists show it masked) and the household code are searchable too.
    let (_, revealed) = app
        .get_json(
            &admin,
            &format!("/api/v1/households/{}/id-number", d_head["id"]),
        )
        .await;
    let id_number = revealed["id_number"]
        .as_str()
        .expect("demo households have a CCCD");
    assert!(search(&app, &admin, id_number)
        .await
        .iter()
        .any(|h| h["id"] == d_head["id"]));
    let code = d_head["code"].as_str().unwrap().to_lowercase();
    assert!(search(&app, &admin, &code)
        .await
        .iter()
        .any(|h| h["id"] == d_head["id"]));

    // LIKE wildcards in the query are literal characters, not patterns.
    assert!(search(&app, &admin, "%").await.is_empty());
    assert!(search(&app, &admin, "_").await.is_empty());
    assert!(search(&app, &admin, "nguyen%a").await.is_empty());
    assert!(search(&app, &admin, "zzzz khong co ai").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn household_items_carry_their_fields_and_parcels() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let a = nguyen_van_a(&app, &admin).await;
    assert_eq!(a["project"], "HPDQ2");
    assert_eq!(a["commune"]["code"], "21043");
    assert!(a["commune"]["name"]
        .as_str()
        .unwrap()
        .contains("Bình Thuận"));
    assert!(a["commune"]["id"].is_i64());
    assert!(a["members"].is_array());
    assert!(a["vulnerable"].is_array());
    assert!(a["code"].as_str().is_some_and(|c| !c.is_empty()));
    let id = a["id"].as_i64().unwrap();
    let parcels = a["parcels"].as_array().expect("parcels");
    let in_db = app
        .count(&format!(
            "SELECT COUNT(*) FROM household_parcels WHERE household_id = {id}"
        ))
        .await;
    assert_eq!(parcels.len() as i64, in_db);
    assert!(in_db > 0, "the demo household has parcels");
    for p in parcels {
        assert!(p["id"].is_i64() && p["map_sheet"].is_string() && p["parcel_no"].is_string());
        assert!(p["share"].as_f64().is_some_and(|s| s > 0.0 && s <= 1.0));
        assert!(p["status"].is_string());
    }

    let (status, detail) = app
        .get_json(&admin, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["head_name"], "Nguyễn Văn A");
    assert_eq!(detail["parcels"], a["parcels"]);
    let visits = detail["recent_visits"].as_array().expect("recent_visits");
    let visit_count = app
        .count(&format!(
            "SELECT COUNT(*) FROM visits WHERE household_id = {id}"
        ))
        .await;
    assert_eq!(visits.len() as i64, visit_count.min(10));
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = visits
        .iter()
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v["visited_at"].as_str().unwrap())
                .expect("RFC 3339")
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for v in visits {
        assert!(
            v["id"].is_i64()
                && v["kind"].is_string()
                && v["stance"].is_string()
                && v["working_group_id"].is_i64()
        );
    }
    let open = detail["open_commitments"]
        .as_array()
        .expect("open_commitments");
    let open_in_db = app
        .count(&format!(
            "SELECT COUNT(*) FROM commitments WHERE household_id = {id} AND done_at IS NULL"
        ))
        .await;
    assert_eq!(open.len() as i64, open_in_db);
    for c in open {
        assert!(c["text"].is_string() && c["owner"].is_string() && c["visit_id"].is_i64());
    }

    let (status, body) = app.get_json(&admin, "/api/v1/households/99999999").await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app.get_json(&admin, "/api/v1/households/abc").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_see_only_their_area() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let leader = app.login("leader").await;

    let mine = all_pages(&app, &member_a, "", 50).await;
    assert!(!mine.is_empty());
    for h in &mine {
        assert_eq!(
            h["commune"]["code"], "21043",
            "member_a sees a household outside Bình Thuận: {h}"
        );
    }
    assert_eq!(mine.len() as i64, households_in(&app, "21043").await);
    // A search that would match everywhere stays in the area too.
    for q in ["van", "thi", "a"] {
        for h in search(&app, &member_a, q).await {
            assert_eq!(h["commune"]["code"], "21043", "search `{q}` leaked {h}");
        }
    }
    // Even when asking for another commune explicitly.
    let (status, body) = app
        .get_json(&member_a, "/api/v1/households?commune=21067")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 0, "{body}");

    // A household of Bình Hải is not found for member_a.
    let binh_hai = household_in(&app, "21067").await;
    let (status, body) = app
        .get_json(&member_a, &format!("/api/v1/households/{binh_hai}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/households/{binh_hai}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // member_b cannot see member_a's households.
    let a = nguyen_van_a(&app, &member_a).await;
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/households/{}", a["id"]))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    assert!(!search(&app, &member_b, "nguyen van a")
        .await
        .iter()
        .any(|h| h["id"] == a["id"]));
    let theirs = all_pages(&app, &member_b, "", 100).await;
    let mine_ids: HashSet<i64> = ids(&mine).into_iter().collect();
    assert!(theirs.iter().all(|h| h["commune"]["code"] == "21067"));
    assert!(ids(&theirs).iter().all(|id| !mine_ids.contains(id)));
    assert_eq!(theirs.len() as i64, households_in(&app, "21067").await);

    // The province-wide leader sees every household.
    let all = all_pages(&app, &leader, "", 500).await;
    assert_eq!(
        all.len() as i64,
        app.count("SELECT COUNT(*) FROM households").await
    );
    let (status, _) = app
        .get_json(&leader, &format!("/api/v1/households/{binh_hai}"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Filters.
    let bt = all_pages(&app, &leader, "&commune=21043&project=HPDQ2", 500).await;
    assert_eq!(ids(&bt), ids(&mine));
    let (status, body) = app
        .get_json(&leader, "/api/v1/households?project=NOPE")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_board_tokens_get_no_personal_data() {
    let app = TestApp::spawn().await;
    let (_, read) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "t")
        .await
        .unwrap();
    let (_, write) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "t2")
        .await
        .unwrap();
    let client = app.anonymous();
    let id = household_in(&app, "21043").await;
    for token in [&read, &write] {
        for path in [
            "/api/v1/households".to_string(),
            format!("/api/v1/households/{id}"),
            "/api/v1/households?q=nguyen".into(),
        ] {
            let res = client
                .get(app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let (status, body) = json_of(res).await;
            assert_error(status, &body, StatusCode::FORBIDDEN);
            assert!(!body.to_string().contains("Nguyễn"), "{body}");
        }
        let res = client
            .post(app.url("/api/v1/households"))
            .bearer_auth(token)
            .json(&json!({"project": "HPDQ2", "head_name": "Trần Văn B", "commune": "21043"}))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_error(status, &body, StatusCode::FORBIDDEN);
        let res = client
            .patch(app.url(&format!("/api/v1/households/{id}")))
            .bearer_auth(token)
            .header("If-Match", "1")
            .json(&json!({"phone": "0912345678"}))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_error(status, &body, StatusCode::FORBIDDEN);
    }
    // No session at all: 401.
    let (status, body) = app.get_json(&client, "/api/v1/households").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_pagination_visits_every_household_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let total = app.count("SELECT COUNT(*) FROM households").await;
    assert!(
        total > 14,
        "the demo has enough households to page through ({total})"
    );
    let items = all_pages(&app, &admin, "", 7).await;
    let list = ids(&items);
    let unique: HashSet<i64> = list.iter().copied().collect();
    assert_eq!(unique.len(), list.len(), "a household came twice");
    assert_eq!(list.len() as i64, total);
    assert!(list.windows(2).all(|w| w[0] < w[1]), "ascending ids");

    // The same with a search term: the pages concatenate to the one-page answer.
    let paged = all_pages(&app, &admin, "&q=van", 5).await;
    let whole = search(&app, &admin, "van").await;
    assert_eq!(ids(&paged), ids(&whole));

    let (status, body) = app
        .get_json(&admin, "/api/v1/households?cursor=garbage")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.get_json(&admin, "/api/v1/households?limit=0").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.get_json(&admin, "/api/v1/households?limit=501").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.get_json(&admin, "/api/v1/households?limit=abc").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
}

fn new_household() -> Value {
    json!({
        "project": "HPDQ2",
        "head_name": "Đoàn Thị Bích Ngọc",
        "id_number": "051190012345",
        "phone": "0905123456",
        "address": "Thôn An Điềm, xã Bình Thuận",
        "commune": "21043",
        "members": [
            {"name": "Đoàn Thị Bích Ngọc", "relation": "chủ hộ", "birth_year": 1980},
            {"name": "Lưu Quang Vũ", "relation": "con", "birth_year": 2004}
        ],
        "vulnerable": ["poor"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_household_validates_and_audits() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let creates_before = audit_count(&app, "create").await;
    let households_before = app.count("SELECT COUNT(*) FROM households").await;
    let no_stance_before = app
        .count("SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM progress_counters WHERE metric = 'household_stance' AND bucket = 'none'")
        .await;

    // A parcel of the project to attach.
    let a = nguyen_van_a(&app, &member_a).await;
    let parcel_id = a["parcels"][0]["id"].as_i64().unwrap();
    let mut body = new_household();
    body["parcels"] = json!([{"parcel_id": parcel_id, "share": 0.5}]);
    body["split_from"] = a["id"].clone();
    let (status, created) = app.post_json(&member_a, "/api/v1/households", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["head_name"], "Đoàn Thị Bích Ngọc");
    assert_eq!(created["commune"]["code"], "21043");
    assert_eq!(created["project"], "HPDQ2");
    assert_eq!(created["vulnerable"], json!(["poor"]));
    assert_eq!(created["split_from"], a["id"]);
    assert_eq!(created["members"][1]["name"], "Lưu Quang Vũ");
    assert_eq!(created["parcels"][0]["id"], parcel_id);
    assert_eq!(created["parcels"][0]["share"], 0.5);
    let code = created["code"].as_str().expect("a generated code");
    assert!(!code.is_empty() && !code.starts_with('~'), "{code}");
    let id = created["id"].as_i64().unwrap();

    assert_eq!(
        app.count("SELECT COUNT(*) FROM households").await,
        households_before + 1
    );
    assert_eq!(audit_count(&app, "create").await, creates_before + 1);
    let no_stance_after = app
        .count("SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM progress_counters WHERE metric = 'household_stance' AND bucket = 'none'")
        .await;
    assert_eq!(no_stance_after, no_stance_before + 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM household_parcels WHERE household_id = {id} AND role = 'co_user'"
        ))
        .await,
        1,
        "a parcel that already has an owner gets a co-user"
    );

    // Searchable by head, member, CCCD and code, without diacritics.
    for q in [
        "doan thi bich ngoc",
        "luu quang vu",
        "051190012345",
        &code.to_lowercase(),
    ] {
        assert!(
            search(&app, &member_a, q)
                .await
                .iter()
                .any(|h| h["id"] == id),
            "`{q}` finds the new household"
        );
    }
    // member_b does not see it.
    let member_b = app.login("member_b").await;
    let (status, _) = app
        .get_json(&member_b, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A code given by the client is kept, and is unique in the project.
    let mut coded = new_household();
    coded["code"] = json!("BT-TEST-1");
    let (status, body) = app.post_json(&member_a, "/api/v1/households", &coded).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["code"], "BT-TEST-1");
    let (status, body) = app.post_json(&member_a, "/api/v1/households", &coded).await;
    assert_error(status, &body, StatusCode::CONFLICT);

    let created_count = app.count("SELECT COUNT(*) FROM households").await;
    let invalid = |patch: Value| {
        let mut b = new_household();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            invalid(json!({"id_number": "05119001234"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "12 digits",
        ),
        (
            invalid(json!({"id_number": "05119001234A"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "12 digits",
        ),
        (
            invalid(json!({"id_number": "0511900123456"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "12 digits",
        ),
        (
            invalid(json!({"commune": "99999"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "commune",
        ),
        (
            invalid(json!({"project": "NOPE"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "project",
        ),
        (
            invalid(json!({"vulnerable": ["poor", "rich"]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rich",
        ),
        (
            invalid(json!({"head_name": "   "})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "head_name",
        ),
        (
            invalid(json!({"head_name": 5})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            invalid(json!({"members": "Lưu Quang Vũ"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            invalid(json!({"members": [{"name": ""}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "member 1",
        ),
        (
            invalid(json!({"phone": "call me"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone",
        ),
        (
            invalid(json!({"parcels": [{"parcel_id": 99999999}]})),
            StatusCode::NOT_FOUND,
            "parcel 99999999",
        ),
        (
            invalid(json!({"parcels": [{"parcel_id": parcel_id, "share": 1.5}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "share",
        ),
        (
            invalid(json!({"split_from": 99999999})),
            StatusCode::NOT_FOUND,
            "split_from",
        ),
        (
            invalid(json!({"unexpected": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        // Outside member_a's area.
        (
            invalid(json!({"commune": "21067"})),
            StatusCode::FORBIDDEN,
            "area",
        ),
    ];
    for (body, expected, words) in cases {
        let (status, answer) = app.post_json(&member_a, "/api/v1/households", &body).await;
        assert_error(status, &answer, expected);
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(words),
            "message `{message}` should mention `{words}`"
        );
    }
    // Not JSON at all: 400; no content type: 400.
    let res = member_a
        .post(app.url("/api/v1/households"))
        .header("content-type", "application/json")
        .body("{\"head_name\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let res = member_a
        .post(app.url("/api/v1/households"))
        .body("head_name=x")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert!(status.is_client_error(), "{status}");
    assert!(body["error"]["code"].is_string(), "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM households").await,
        created_count,
        "nothing stored by bad requests"
    );

    // The province-wide leader reads but does not write.
    let leader = app.login("leader").await;
    let (status, body) = app
        .post_json(&leader, "/api/v1/households", &new_household())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    // An administrator may create anywhere.
    let admin = app.login("admin").await;
    let mut elsewhere = new_household();
    elsewhere["commune"] = json!("21067");
    let (status, body) = app
        .post_json(&admin, "/api/v1/households", &elsewhere)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["commune"]["code"], "21067");
}

/// A current parcel of the demo project in this commune.
async fn live_parcel_in(app: &TestApp, commune_code: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(MIN(p.id) AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
         WHERE u.code = '{commune_code}' AND p.retired_at IS NULL"
    ))
    .await
}

/// The attack of issue 16 item 5: member_a (commune 21043) attaches a new household of her
/// area to a live parcel of another commune. The answer is the one an unknown id gets (404,
/// same code and message but for the id), and nothing is stored. The same holds for a
/// household named as `split_from` outside her area.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parcel_or_household_outside_the_writers_area_answers_like_an_unknown_one() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let foreign = live_parcel_in(&app, "21067").await;
    let own = live_parcel_in(&app, "21043").await;
    assert!(foreign > 0 && own > 0);
    let unknown = 99_999_999;
    let households = app.count("SELECT COUNT(*) FROM households").await;
    let holdings = app.count("SELECT COUNT(*) FROM household_parcels").await;
    let answer = |id: i64| {
        let mut b = new_household();
        b["parcels"] = json!([{"parcel_id": own}, {"parcel_id": id}]);
        b
    };
    let (s_foreign, foreign_body) = app
        .post_json(&member_a, "/api/v1/households", &answer(foreign))
        .await;
    let (s_unknown, unknown_body) = app
        .post_json(&member_a, "/api/v1/households", &answer(unknown))
        .await;
    assert_eq!(s_foreign, StatusCode::NOT_FOUND, "{foreign_body}");
    assert_eq!(s_unknown, StatusCode::NOT_FOUND, "{unknown_body}");
    assert_eq!(foreign_body["error"]["code"], "not_found");
    let foreign_message = foreign_body["error"]["message"].as_str().unwrap();
    assert!(
        foreign_message.contains(&format!("parcel {foreign} ")),
        "{foreign_message}"
    );
    // Byte for byte the same answer once the id sent is swapped.
    assert_eq!(
        foreign_body
            .to_string()
            .replace(&format!("parcel {foreign} "), "parcel ID "),
        unknown_body
            .to_string()
            .replace(&format!("parcel {unknown} "), "parcel ID "),
    );
    // The same parcel is fine for an administrator, so it is live and in the project.
    let admin = app.login("admin").await;
    let mut ok = new_household();
    ok["commune"] = json!("21067");
    ok["parcels"] = json!([{"parcel_id": foreign}]);
    let (status, body) = app.post_json(&admin, "/api/v1/households", &ok).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let households = households + 1;
    let holdings = holdings + 1;
    // A household of another commune named as the one split from: 404 like an unknown one.
    let theirs = household_in(&app, "21067").await;
    let mut split = new_household();
    split["split_from"] = json!(theirs);
    let (s_theirs, theirs_body) = app.post_json(&member_a, "/api/v1/households", &split).await;
    split["split_from"] = json!(unknown);
    let (s_none, none_body) = app.post_json(&member_a, "/api/v1/households", &split).await;
    assert_eq!(s_theirs, StatusCode::NOT_FOUND, "{theirs_body}");
    assert_eq!(s_none, StatusCode::NOT_FOUND, "{none_body}");
    assert_eq!(
        theirs_body
            .to_string()
            .replace(&format!("household {theirs} "), "household ID "),
        none_body
            .to_string()
            .replace(&format!("household {unknown} "), "household ID "),
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM households").await,
        households,
        "no household stored by the refused writes"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM household_parcels").await,
        holdings,
        "no holding stored by the refused writes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patching_a_household_is_scoped_and_audited() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let a = nguyen_van_a(&app, &member_a).await;
    let id = a["id"].as_i64().unwrap();
    let updates_before = audit_count(&app, "update").await;

    let patch = json!({
        "phone": "0987 654 321",
        "address": "Thôn Châu Me, xã Bình Thuận",
        "members": [{"name": "Nguyễn Văn A", "relation": "chủ hộ"}, {"name": "Phạm Thị Ửng", "relation": "vợ"}],
        "vulnerable": ["merit", "elderly_alone"]
    });
    let res = member_a
        .patch(app.url(&format!("/api/v1/households/{id}")))
        .header("If-Match", a["version"].to_string())
        .json(&patch)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["phone"], "0987 654 321");
    assert_eq!(body["address"], "Thôn Châu Me, xã Bình Thuận");
    assert_eq!(body["vulnerable"], json!(["merit", "elderly_alone"]));
    assert_eq!(body["members"][1]["name"], "Phạm Thị Ửng");
    assert_eq!(body["head_name"], "Nguyễn Văn A");
    assert_eq!(audit_count(&app, "update").await, updates_before + 1);
    // The search key follows the new members.
    assert!(search(&app, &member_a, "pham thi ung")
        .await
        .iter()
        .any(|h| h["id"] == id));
    assert!(search(&app, &member_a, "nguyen van a")
        .await
        .iter()
        .any(|h| h["id"] == id));

    let version = body["version"].clone();
    // null clears the phone.
    let res = member_a
        .patch(app.url(&format!("/api/v1/households/{id}")))
        .header("If-Match", version.to_string())
        .json(&json!({"phone": null}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["phone"].is_null());

    let version = body["version"].clone();
    for (patch, expected) in [
        (json!({"head_name": "  "}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"code": "X"}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"vulnerable": ["unknown"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"phone": 12}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let res = member_a
            .patch(app.url(&format!("/api/v1/households/{id}")))
            .header("If-Match", version.to_string())
            .json(&patch)
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_error(status, &body, expected);
    }

    // Outside the area: 404, and nothing changes.
    let member_b = app.login("member_b").await;
    let res = member_b
        .patch(app.url(&format!("/api/v1/households/{id}")))
        .header("If-Match", version.to_string())
        .json(&json!({"address": "x"}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (_, now) = app
        .get_json(&member_a, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(now["address"], "Thôn Châu Me, xã Bình Thuận");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_personal_data_are_audited() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let reads_before = audit_count(&app, "read").await;
    let (status, _) = app.get_json(&member_a, "/api/v1/households?q=nguyen").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit_count(&app, "read").await, reads_before + 1);
    let id = household_in(&app, "21043").await;
    let (status, _) = app
        .get_json(&member_a, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit_count(&app, "read").await, reads_before + 2);
    let who = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'household' AND action = 'read' \
             AND entity_id = '{id}' AND actor = 'user:member_a'"
        ))
        .await;
    assert_eq!(who, 1);
    // A refused read leaves no read event.
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "t")
        .await
        .unwrap();
    let res = app
        .anonymous()
        .get(app.url("/api/v1/households"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(audit_count(&app, "read").await, reads_before + 2);
}

async fn patch_with(
    app: &TestApp,
    client: &Client,
    id: i64,
    if_match: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut req = client.patch(app.url(&format!("/api/v1/households/{id}")));
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    json_of(req.json(body).send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn household_edits_need_if_match_and_keep_their_history() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let leader = app.login("leader").await;
    let id = household_in(&app, "21043").await;
    let (status, before) = app
        .get_json(&member_a, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let v1 = before["version"].as_i64().unwrap();

    // Without If-Match: 428, nothing stored.
    let (status, body) = patch_with(&app, &member_a, id, None, &json!({"address": "x"})).await;
    assert_error(status, &body, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(body["error"]["code"], "precondition_required");

    // With the version read: changed, version bumped, one history row naming the editor.
    let edit = json!({"head_name": "Trần Thị Mới", "id_number": "051090012345",
                      "members": [{"name": "Trần Thị Mới", "relation": "chủ hộ"}]});
    let (status, after) = patch_with(&app, &member_a, id, Some(&format!("\"{v1}\"")), &edit).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["head_name"], "Trần Thị Mới");
    assert_eq!(after["id_number"], "051*******45");
    assert_eq!(after["version"], v1 + 1);
    assert!(search(&app, &member_a, "tran thi moi")
        .await
        .iter()
        .any(|h| h["id"] == id));
    let (status, history) = app
        .get_json(&leader, &format!("/api/v1/households/{id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{history}");
    assert_eq!(items[0]["edited_by"], "member_a");
    assert_eq!(items[0]["version"], v1);
    assert_eq!(items[0]["before"]["head_name"], before["head_name"]);
    assert_eq!(
        items[0]["fields"],
        json!(["head_name", "id_number", "members"])
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM household_revisions WHERE household_id = {id}"
        ))
        .await,
        1
    );

    // The old version again: 412 naming who changed it and when; nothing stored.
    let (status, body) = patch_with(
        &app,
        &member_a,
        id,
        Some(&v1.to_string()),
        &json!({"address": "stale"}),
    )
    .await;
    assert_error(status, &body, StatusCode::PRECONDITION_FAILED);
    assert_eq!(body["error"]["code"], "version_conflict");
    assert_eq!(body["error"]["details"]["changed_by"], "member_a");
    assert_eq!(body["error"]["details"]["current_version"], v1 + 1);
    assert!(body["error"]["details"]["changed_at"].is_string());
    let (_, now) = app
        .get_json(&member_a, &format!("/api/v1/households/{id}"))
        .await;
    assert_ne!(now["address"], "stale");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM household_revisions WHERE household_id = {id}"
        ))
        .await,
        1
    );

    // A bad CCCD names its field.
    let (status, body) = patch_with(
        &app,
        &member_a,
        id,
        Some(&(v1 + 1).to_string()),
        &json!({"id_number": "123"}),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["field"], "id_number");

    // Leaders read but do not write; outside the area the history is 404.
    let (status, body) = patch_with(
        &app,
        &leader,
        id,
        Some(&(v1 + 1).to_string()),
        &json!({"address": "y"}),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    let member_b = app.login("member_b").await;
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/households/{id}/history"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_after_the_notice_date_is_flagged_and_lists_filter_by_stance_and_stage() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let parent = household_in(&app, "21043").await;
    let (status, p) = app
        .get_json(&admin, &format!("/api/v1/households/{parent}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["split_after_cutoff"], false);
    let (status, child) = app
        .post_json(
            &admin,
            "/api/v1/households",
            &json!({"project": "HPDQ2", "head_name": "Hộ Tách",
            "commune": p["commune"]["code"], "split_from": parent}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    assert_eq!(child["split_from"], parent);
    // The demo project's notice date is in the past: a split made today is after the cut-off.
    assert_eq!(child["split_after_cutoff"], true, "{child}");

    let (status, body) = app
        .get_json(&admin, "/api/v1/households?stance=agrees&limit=500")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|h| h["stance"] == "agrees"), "{body}");
    let (status, body) = app
        .get_json(&admin, "/api/v1/households?stage=notice&limit=500")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let with_notice = app
        .count("SELECT COUNT(DISTINCT household_id) FROM case_stage_events WHERE stage = 'notice'")
        .await;
    assert!(with_notice > 0);
    assert_eq!(
        body["items"].as_array().unwrap().len() as i64,
        with_notice.min(500)
    );
    let (status, body) = app
        .get_json(&admin, "/api/v1/households?stance=nonsense")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
}
