//! The field app's compensation summary (issue 17 item 4): the work list and the household
//! page carry each household's inventory record and plan (net, group totals, approval
//! decision, payment limit, balance), inside the caller's area only.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use chrono::{Duration, NaiveDate};
use common::{assert_error, TestApp};
use gpmb::legal;
use reqwest::{Client, StatusCode};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

async fn parcel_in(app: &TestApp, commune: &str, land_use: &str, nth: i64) -> i64 {
    app.count(&format!(
        "SELECT CAST(p.id AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
         WHERE u.code = '{commune}' AND u.valid_to IS NOT NULL AND p.land_use = '{land_use}' AND p.retired_at IS NULL \
         ORDER BY p.id LIMIT 1 OFFSET {nth}"
    ))
    .await
}

/// A household of member_a's commune holding `parcels`, briefed and noticed `days_ago`.
async fn noticed_household(app: &TestApp, admin: &Client, name: &str, parcels: &[i64]) -> i64 {
    let body = json!({
        "project": "HPDQ2", "head_name": name, "commune": "21043",
        "parcels": parcels.iter().map(|p| json!({"parcel_id": p})).collect::<Vec<_>>(),
    });
    let (status, h) = app.post_json(admin, "/api/v1/households", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let id = h["id"].as_i64().unwrap();
    let today = legal::today_vn();
    for (stage, ago) in [("briefing", 210), ("notice", 200)] {
        let (status, body) = app
            .post_json(
                admin,
                &format!("/api/v1/households/{id}/stages"),
                &json!({"stage": stage, "occurred_on": today - Duration::days(ago), "document_no": "01/TB-UBND"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{stage}: {body}");
    }
    id
}

/// The province's price table, straight into the database (the import has its own tests).
async fn price_table(app: &TestApp) -> i32 {
    use gpmb::entities::{price_items, price_tables};
    let t = price_tables::ActiveModel {
        province_code: Set("51".into()),
        name: Set("Bảng giá đất 2025".into()),
        legal_basis: Set("QĐ 45/2025/QĐ-UBND".into()),
        issued_on: Set(None),
        valid_from: Set(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
        valid_until: Set(None),
        land_coefficient: Set(11_500),
        coefficient_basis: Set(None),
        version: Set(1),
        supersedes_id: Set(None),
        created_by: Set(None),
        created_at: Set(chrono::Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(&app.db.conn)
    .await
    .unwrap();
    for (category, code, price) in [
        ("land", "LUC", 60_000),
        ("structure", "nha_cap_4", 3_000_000),
        ("tree", "keo", 15_000),
    ] {
        price_items::ActiveModel {
            price_table_id: Set(t.id),
            category: Set(category.to_string()),
            code: Set(code.to_string()),
            name: Set(code.to_string()),
            unit: Set("m²".into()),
            unit_price: Set(price),
            grade: Set(None),
            age_class: Set(None),
            zone: Set(None),
            ..Default::default()
        }
        .insert(&app.db.conn)
        .await
        .unwrap();
    }
    t.id
}

async fn send(mut req: reqwest::RequestBuilder, headers: &[(&str, String)]) -> (StatusCode, Value) {
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    common::json_of(req.send().await.unwrap()).await
}

/// Inventory by member_a, plan computed, posted and approved by the administrator, half paid.
/// Returns the approved plan.
async fn approved_plan(
    app: &TestApp,
    admin: &Client,
    member: &Client,
    h: i64,
    luc: i64,
    table: i32,
) -> Value {
    let today = legal::today_vn();
    let inventory = json!({
        "record_no": "125/BB-KĐ", "inventoried_on": today - Duration::days(150), "members_counted": 4,
        "farmland_held_m2": 1000.0, "obligations": 2_000_000,
        "items": [
            {"parcel_id": luc, "category": "land", "code": "LUC", "quantity": 400.5},
            {"parcel_id": luc, "category": "structure", "code": "nha_cap_4", "quantity": 60, "remaining_percent": 50},
            {"parcel_id": luc, "category": "tree", "code": "keo", "quantity": 120},
        ]
    });
    let (status, inv) = send(
        member
            .put(app.url(&format!("/api/v1/households/{h}/inventory")))
            .json(&inventory),
        &[("Idempotency-Key", format!("field-comp-{h}"))],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let (status, plan) = app
        .post_json(
            admin,
            &format!("/api/v1/households/{h}/plans"),
            &json!({"computed_on": today - Duration::days(110), "price_table_id": table}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let id = plan["id"].as_i64().unwrap();
    let (status, posted) = send(
        admin
            .post(app.url(&format!("/api/v1/plans/{id}/post")))
            .json(&json!({"posted_on": today - Duration::days(100)})),
        &[("If-Match", plan["version"].to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{posted}");
    let ends: NaiveDate = posted["posting_ends_on"].as_str().unwrap().parse().unwrap();
    let (status, approved) = send(
        admin
            .post(app.url(&format!("/api/v1/plans/{id}/approve")))
            .json(&json!({"approved_on": ends + Duration::days(5), "decision_no": "1234/QĐ-UBND"})),
        &[("If-Match", posted["version"].to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let net = approved["net"].as_i64().unwrap();
    let (status, paid) = app
        .post_json(
            admin,
            &format!("/api/v1/plans/{id}/payments"),
            &json!({"kind": "payment", "amount": net / 2, "paid_on": approved["payment_due_on"],
                    "method": "transfer", "receipt_no": "PC-001"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    approved
}

fn item(items: &[Value], id: i64) -> &Value {
    items
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("household {id} is not on the work list"))
}

/// The summary's plan agrees with the plan itself: net, group totals, decision, ledger.
fn check_brief(brief: &Value, plan: &Value) {
    assert_eq!(brief["id"], plan["id"]);
    assert_eq!(brief["number"], plan["number"]);
    assert_eq!(brief["status"], plan["status"]);
    assert_eq!(brief["net"], plan["net"]);
    assert_eq!(
        brief["totals"], plan["totals"],
        "group totals as the plan has them"
    );
    let sum: i64 = brief["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(
        sum,
        brief["net"].as_i64().unwrap(),
        "the groups add up to the net"
    );
    for k in [
        "decision_no",
        "approved_on",
        "approving_body",
        "payment_due_on",
        "posted_on",
        "posting_ends_on",
    ] {
        assert_eq!(brief[k], plan[k], "{k}");
    }
}

#[tokio::test]
async fn the_field_bundle_carries_the_plan_summary_inside_the_area() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let luc = parcel_in(&app, "21043", "LUC", 0).await;
    let other = parcel_in(&app, "21043", "LUC", 1).await;
    let h = noticed_household(&app, &admin, "Nguyễn Thị Bồi Thường", &[luc]).await;
    let bare = noticed_household(&app, &admin, "Trần Văn Chưa Kiểm", &[other]).await;
    // The demo has its own tables; this one prices exactly what the inventory counts.
    let table = price_table(&app).await;
    let plan = approved_plan(&app, &admin, &member_a, h, luc, table).await;
    let net = plan["net"].as_i64().unwrap();

    // The work list: every household of the page in one answer, with its summary.
    let work = app.all_pages(&member_a, "/api/v1/my-work?limit=50").await;
    let summary = &item(&work, h)["compensation"];
    assert_eq!(summary["inventory"]["record_no"], "125/BB-KĐ");
    assert_eq!(summary["inventory"]["items"], 3);
    assert_eq!(summary["inventory"]["version"], 1);
    check_brief(&summary["plan"], &plan);
    assert_eq!(summary["plan"]["status"], "approved");
    assert_eq!(summary["plan"]["decision_no"], "1234/QĐ-UBND");
    let ledger = &summary["plan"]["ledger"];
    assert_eq!(ledger["paid"], net / 2);
    assert_eq!(ledger["balance"], net - net / 2);
    assert_eq!(ledger["due_on"], plan["payment_due_on"]);
    assert!(ledger["days_overdue"].as_i64().unwrap() > 0, "{ledger}");
    assert!(
        summary["approved"].is_null(),
        "the newest is the approved one"
    );
    assert!(
        item(&work, bare)["compensation"].is_null(),
        "nothing to summarise"
    );
    // The same ledger as the case file's.
    let (status, full) = app
        .get_json(&member_a, &format!("/api/v1/households/{h}/compensation"))
        .await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["current"]["ledger"], *ledger);

    // The household page: the summary, and the inventory in full for the field form.
    let (status, page) = app
        .get_json(&member_a, &format!("/api/v1/field/households/{h}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["compensation"], *summary);
    assert_eq!(page["inventory"]["version"], 1);
    assert_eq!(page["inventory"]["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["inventory"]["items"][0]["parcel_id"], luc);
    let (_, page) = app
        .get_json(&member_a, &format!("/api/v1/field/households/{bare}"))
        .await;
    assert!(page["compensation"].is_null() && page["inventory"].is_null());

    // A revision in the works: the newest is a draft, the approved one is still being paid.
    let (status, draft) = app
        .post_json(
            &admin,
            &format!("/api/v1/households/{h}/plans"),
            &json!({"price_table_id": table}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let work = app.all_pages(&member_a, "/api/v1/my-work?limit=500").await;
    let summary = &item(&work, h)["compensation"];
    assert_eq!(summary["plan"]["status"], "draft");
    assert_eq!(summary["plan"]["number"], 2);
    assert!(summary["plan"]["ledger"].is_null());
    check_brief(&summary["plan"], &draft);
    assert_eq!(summary["approved"]["number"], 1);
    assert_eq!(summary["approved"]["ledger"]["balance"], net - net / 2);

    // Another area's member: the household is not in her bundle, its page is not found, and
    // none of her households carries its plan.
    let theirs = app.all_pages(&member_b, "/api/v1/my-work?limit=500").await;
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|i| i["id"] != h && i["id"] != bare));
    for i in &theirs {
        for k in ["plan", "approved"] {
            let id = &i["compensation"][k]["id"];
            assert!(
                id.is_null() || (*id != plan["id"] && *id != draft["id"]),
                "{i}"
            );
        }
    }
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/field/households/{h}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}
