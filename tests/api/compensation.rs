//! Compensation over HTTP (issue 17): inventory → plan → posting → approval → payments, the
//! revision floor, the ledger's interest, idempotent writes, and the area scope on every id.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use chrono::{Duration, NaiveDate};
use common::{assert_error, TestApp};
use gpmb::compensation::calc;
use gpmb::legal;
use reqwest::{Client, StatusCode};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

pub(crate) async fn parcel_in(app: &TestApp, commune: &str, land_use: &str, nth: i64) -> i64 {
    app.count(&format!(
        "SELECT CAST(p.id AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
         WHERE u.code = '{commune}' AND u.valid_to IS NOT NULL AND p.land_use = '{land_use}' AND p.retired_at IS NULL \
         ORDER BY p.id LIMIT 1 OFFSET {nth}"
    ))
    .await
}

/// A household of member_a's commune holding `parcels`, briefed and noticed `days_ago`.
pub(crate) async fn noticed_household(
    app: &TestApp,
    admin: &Client,
    parcels: &[i64],
    days_ago: i64,
) -> i64 {
    let body = json!({
        "project": "HPDQ2", "head_name": "Nguyễn Thị Bồi Thường", "commune": "21043",
        "parcels": parcels.iter().map(|p| json!({"parcel_id": p})).collect::<Vec<_>>(),
    });
    let (status, h) = app.post_json(admin, "/api/v1/households", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let id = h["id"].as_i64().unwrap();
    let today = legal::today_vn();
    for (stage, ago) in [("briefing", days_ago + 10), ("notice", days_ago)] {
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

/// A price table straight into the database (the import has its own tests).
async fn price_table(
    app: &TestApp,
    name: &str,
    coefficient: i32,
    prices: &[(&str, &str, i64, Option<&str>)],
) -> i32 {
    use gpmb::entities::{price_items, price_tables};
    let t = price_tables::ActiveModel {
        province_code: Set("51".into()),
        name: Set(name.into()),
        legal_basis: Set("QĐ 45/2025/QĐ-UBND".into()),
        issued_on: Set(None),
        valid_from: Set(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
        valid_until: Set(None),
        land_coefficient: Set(coefficient),
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
    for (category, code, price, grade) in prices {
        price_items::ActiveModel {
            price_table_id: Set(t.id),
            category: Set(category.to_string()),
            code: Set(code.to_string()),
            name: Set(code.to_string()),
            unit: Set("m²".into()),
            unit_price: Set(*price),
            grade: Set(grade.map(str::to_string)),
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

const PRICES: &[(&str, &str, i64, Option<&str>)] = &[
    ("land", "LUC", 60_000, None),
    ("land", "ONT", 2_000_000, None),
    ("structure", "nha_cap_4", 3_000_000, None),
    ("tree", "keo", 15_000, None),
];

async fn put(
    app: &TestApp,
    client: &Client,
    path: &str,
    body: &Value,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    let mut req = client.put(app.url(path)).json(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    common::json_of(req.send().await.unwrap()).await
}

async fn post_with(
    app: &TestApp,
    client: &Client,
    path: &str,
    body: &Value,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    let mut req = client.post(app.url(path)).json(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    common::json_of(req.send().await.unwrap()).await
}

pub(crate) fn inventory(luc: i64, on: NaiveDate) -> Value {
    json!({
        "record_no": "125/BB-KĐ", "inventoried_on": on, "members_counted": 4,
        "farmland_held_m2": 1000.0, "obligations": 2_000_000,
        "items": [
            {"parcel_id": luc, "category": "land", "code": "LUC", "quantity": 400.5},
            {"parcel_id": luc, "category": "structure", "code": "nha_cap_4", "quantity": 60, "remaining_percent": 50,
             "description": "Nhà cấp 4 mái tôn", "year_built": 2004},
            {"parcel_id": luc, "category": "tree", "code": "keo", "quantity": 120},
        ]
    })
}

fn date(v: &Value) -> NaiveDate {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {v}"))
}

#[tokio::test]
async fn inventory_plan_approval_and_payments() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let member_b = app.login("member_b").await;
    let today = legal::today_vn();
    let luc = parcel_in(&app, "21043", "LUC", 0).await;
    let h = noticed_household(&app, &admin, &[luc], 200).await;
    let table = price_table(&app, "Bảng giá đất 2025", 11_500, PRICES).await;

    // Inventory by the member in the field: exactly once under one key.
    let path = format!("/api/v1/households/{h}/inventory");
    let key = ("Idempotency-Key", "inv-7f3a".to_string());
    let (status, inv) = put(
        &app,
        &member_a,
        &path,
        &inventory(luc, today - Duration::days(150)),
        std::slice::from_ref(&key),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(inv["items"].as_array().unwrap().len(), 3);
    assert_eq!(inv["items"][0]["quantity"], 400.5);
    let (status, again) = put(
        &app,
        &member_a,
        &path,
        &inventory(luc, today - Duration::days(150)),
        &[key],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["id"], inv["id"]);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM inventory_items WHERE household_id = {h}"
        ))
        .await,
        3
    );
    // The inventory stage followed.
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM case_stage_events WHERE household_id = {h} AND stage = 'inventory'")).await, 1);
    // A change needs the version read.
    let (status, body) = put(
        &app,
        &member_a,
        &path,
        &inventory(luc, today - Duration::days(150)),
        &[],
    )
    .await;
    assert_error(status, &body, StatusCode::PRECONDITION_REQUIRED);
    let (status, body) = put(
        &app,
        &member_a,
        &path,
        &inventory(luc, today - Duration::days(150)),
        &[("If-Match", "\"9\"".into())],
    )
    .await;
    assert_error(status, &body, StatusCode::PRECONDITION_FAILED);
    // Another area's member sees nothing of it.
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/households/{h}/compensation"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);

    // Members count assets; they do not compute plans.
    let plans = format!("/api/v1/households/{h}/plans");
    let (status, body) = app.post_json(&member_a, &plans, &json!({})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    let (status, dry) = app
        .post_json(
            &admin,
            &plans,
            &json!({"dry_run": true, "price_table_id": table}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM compensation_plans WHERE household_id = {h}"
        ))
        .await,
        0
    );
    let (status, plan) = app
        .post_json(
            &admin,
            &plans,
            &json!({"computed_on": today - Duration::days(110), "price_table_id": table}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    assert_eq!(plan["price_table"]["id"], table);
    assert_eq!(plan["net"], dry["net"]);
    let lines = plan["lines"].as_array().unwrap();
    let sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(
        plan["net"].as_i64().unwrap(),
        sum,
        "the net is the sum of the lines"
    );
    let land = lines.iter().find(|l| l["group"] == "land").unwrap();
    // 400.5 m² × 60 000 × 1.15, in whole đồng.
    assert_eq!(land["amount"], 27_634_500);
    // The article of the land-price rule in force on the computation date.
    assert_eq!(
        land["article"],
        calc::articles::land(today - Duration::days(110))
    );
    let house = lines
        .iter()
        .find(|l| l["code"].as_str().unwrap().starts_with("structure"))
        .unwrap();
    assert_eq!(
        house["amount"],
        60 * 3_000_000,
        "50 % remaining + 60 % top-up, capped at new-build"
    );
    // 40 % of 1 000 m² farmland lost, no move: 6 months × 4 people × 30 kg × 15 000 đ.
    let stab = lines.iter().find(|l| l["code"] == "stabilisation").unwrap();
    let rice = app
        .count("SELECT COALESCE(MAX(value), 15000) FROM compensation_settings WHERE code = 'rice_price_per_kg'")
        .await;
    assert_eq!(stab["amount"].as_i64().unwrap(), 6 * 4 * 30 * rice);
    let deduction = lines.iter().find(|l| l["group"] == "deduction").unwrap();
    assert_eq!(deduction["amount"], -2_000_000);
    assert_eq!(plan["deductions"], 2_000_000);
    let plan_id = plan["id"].as_i64().unwrap();

    // Posting, then approval no earlier than the posting period allows.
    let posted_on = today - Duration::days(100);
    let (status, body) = post_with(
        &app,
        &admin,
        &format!("/api/v1/plans/{plan_id}/post"),
        &json!({"posted_on": posted_on}),
        &[],
    )
    .await;
    assert_error(status, &body, StatusCode::PRECONDITION_REQUIRED);
    let v = plan["version"].to_string();
    let (status, posted) = post_with(
        &app,
        &admin,
        &format!("/api/v1/plans/{plan_id}/post"),
        &json!({"posted_on": posted_on}),
        &[("If-Match", v)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{posted}");
    assert_eq!(posted["status"], "posted");
    let ends = date(&posted["posting_ends_on"]);
    assert!(ends > posted_on, "{posted}");
    assert!(
        posted["posting_rule"]["article"]
            .as_str()
            .unwrap()
            .contains("87(3)")
            || posted["posting_rule"]["article"]
                .as_str()
                .unwrap()
                .contains("254")
    );
    let v = posted["version"].to_string();
    let approve = format!("/api/v1/plans/{plan_id}/approve");
    let (status, body) = post_with(
        &app,
        &admin,
        &approve,
        &json!({"approved_on": ends - Duration::days(1), "decision_no": "1234/QĐ-UBND"}),
        &[("If-Match", v.clone())],
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "posting_not_over");
    let approved_on = ends + Duration::days(5);
    let (status, approved) = post_with(
        &app,
        &admin,
        &approve,
        &json!({"approved_on": approved_on, "decision_no": "1234/QĐ-UBND"}),
        &[("If-Match", v)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    // Since 1 July 2025 the commune chairman approves (Decree 151/2025).
    assert_eq!(
        approved["approving_body"],
        "Chủ tịch Ủy ban nhân dân cấp xã"
    );
    assert_eq!(
        approved["approver_rule"]["article"],
        "Nghị định 151/2025/NĐ-CP Điều 5"
    );
    assert_eq!(
        ends,
        posted_on + Duration::days(10),
        "posted in 2026: 10 days"
    );
    assert_eq!(posted["posting_rule"]["code"], "plan_posting_2026");
    let due = date(&approved["payment_due_on"]);
    assert!(due >= approved_on + Duration::days(30));
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM case_stage_events WHERE household_id = {h} AND stage IN ('plan_posted','plan_approved')")).await, 2);

    // Payments: one on the last day, one late with interest, a deposit of the disputed rest.
    let net = approved["net"].as_i64().unwrap();
    let pay = format!("/api/v1/plans/{plan_id}/payments");
    let first = net / 2;
    let (status, p1) = post_with(
        &app,
        &admin,
        &pay,
        &json!({"kind": "payment", "amount": first, "paid_on": due,
        "method": "transfer", "receipt_no": "PC-001"}),
        &[("Idempotency-Key", "pay-1".into())],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p1}");
    assert_eq!(
        (p1["days_late"].as_i64(), p1["interest"].as_i64()),
        (Some(0), Some(0)),
        "the last day is on time"
    );
    let (_, replay) = post_with(
        &app,
        &admin,
        &pay,
        &json!({"kind": "payment", "amount": first, "paid_on": due,
        "method": "transfer", "receipt_no": "PC-001"}),
        &[("Idempotency-Key", "pay-1".into())],
    )
    .await;
    assert_eq!(replay["id"], p1["id"]);
    let late_day = due + Duration::days(10);
    let second = 1_000_000;
    let (status, p2) = post_with(
        &app,
        &admin,
        &pay,
        &json!({"kind": "payment", "amount": second, "paid_on": late_day,
        "method": "cash", "receipt_no": "PC-002"}),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p2}");
    assert_eq!(p2["days_late"], 10);
    assert_eq!(p2["interest"], second * 3 * 10 / 10_000);
    let rest = net - first - second;
    let (status, body) = app
        .post_json(
            &admin,
            &pay,
            &json!({"kind": "payment", "amount": rest + 1, "paid_on": late_day,
        "method": "cash", "receipt_no": "PC-003"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "amount_above_balance");
    let (status, body) = app
        .post_json(
            &admin,
            &pay,
            &json!({"kind": "deposit", "amount": rest, "paid_on": late_day,
        "method": "deposit", "receipt_no": "GNT-01"}),
        )
        .await;
    assert_eq!(
        body["error"]["code"], "deposit_needs_bank",
        "{status} {body}"
    );
    let (status, dep) = app
        .post_json(
            &admin,
            &pay,
            &json!({"kind": "deposit", "amount": rest, "paid_on": late_day,
        "method": "deposit", "receipt_no": "GNT-01", "bank": "Kho bạc Nhà nước Bình Sơn"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dep}");
    let (status, all) = app
        .get_json(&member_a, &format!("/api/v1/households/{h}/compensation"))
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let ledger = &all["current"]["ledger"];
    assert_eq!(ledger["balance"], 0);
    assert_eq!(ledger["paid"], first + second);
    assert_eq!(ledger["deposited"], rest);
    // The deposit too came 10 days late: both owe interest, nothing accrues on a zero balance.
    assert_eq!(dep["interest"], calc::late_interest(rest, 10));
    assert_eq!(
        ledger["interest_owed"].as_i64().unwrap(),
        3_000 + calc::late_interest(rest, 10)
    );
    assert_eq!(all["payments"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM case_stage_events WHERE household_id = {h} AND stage = 'paid'"
        ))
        .await,
        1
    );
    // Another area's district member cannot name the plan.
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/plans/{plan_id}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    assert!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'payment'")
            .await
            >= 3
    );

    // A revision with a cheaper table keeps the approved prices, and says what changed.
    let cheaper = price_table(
        &app,
        "Bảng giá điều chỉnh",
        10_000,
        &[
            ("land", "LUC", 50_000, None),
            ("structure", "nha_cap_4", 3_500_000, None),
            ("tree", "keo", 15_000, None),
        ],
    )
    .await;
    let (status, revision) = app
        .post_json(&admin, &plans, &json!({"price_table_id": cheaper}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{revision}");
    assert_eq!(revision["number"], 2);
    assert_eq!(revision["revision_of"], plan_id);
    let rl = revision["lines"].as_array().unwrap();
    let land2 = rl.iter().find(|l| l["group"] == "land").unwrap();
    assert_eq!(
        land2["amount"], 27_634_500,
        "never below the approved land price"
    );
    assert!(land2["note"].as_str().unwrap().contains("94(5)"));
    let changes = revision["changes"].as_array().unwrap();
    let changed = changes
        .iter()
        .find(|c| c["code"].as_str().unwrap().starts_with("structure"))
        .unwrap();
    assert_eq!(changed["change"], "changed");
    assert_eq!(changed["difference"], 60 * 500_000);
}

#[tokio::test]
async fn inventory_ids_pass_the_scope() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let today = legal::today_vn();
    let luc = parcel_in(&app, "21043", "LUC", 0).await;
    let other_area = parcel_in(&app, "21067", "LUC", 0).await;
    let not_held = parcel_in(&app, "21043", "LUC", 1).await;
    let h = noticed_household(&app, &admin, &[luc], 200).await;
    let path = format!("/api/v1/households/{h}/inventory");
    let with = |parcel: i64| {
        let mut body = inventory(luc, today - Duration::days(3));
        body["items"][0]["parcel_id"] = json!(parcel);
        body
    };
    let (status, body) = put(&app, &member_a, &path, &with(other_area), &[]).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = put(&app, &member_a, &path, &with(not_held), &[]).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "parcel_not_held");
    let mut bad = inventory(luc, today);
    bad["items"][1]["quantity"] = json!(-1);
    let (status, body) = put(&app, &member_a, &path, &bad, &[]).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["field"], "items[1].quantity");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM inventories WHERE household_id = {h}"
        ))
        .await,
        0
    );
    // No price table in force on the day: the plan says what to do.
    let (status, body) = put(&app, &member_a, &path, &inventory(luc, today), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post_json(
            &admin,
            &format!("/api/v1/households/{h}/plans"),
            &json!({"computed_on": "2024-06-01"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "no_price_table");
    // A price table without the tree's species names it.
    let partial = price_table(&app, "Bảng giá thiếu", 10_000, &PRICES[..3]).await;
    let (status, body) = app
        .post_json(
            &admin,
            &format!("/api/v1/households/{h}/plans"),
            &json!({"price_table_id": partial}),
        )
        .await;
    assert_eq!(body["error"]["code"], "no_price", "{status} {body}");
    assert_eq!(body["error"]["details"]["code"], "keo");
}

#[tokio::test]
async fn a_plan_cites_the_rules_in_force_on_its_computation_date() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let today = legal::today_vn();
    let table = price_table(&app, "Bảng giá đất 2025", 11_500, PRICES).await;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let mut lines_of = Vec::new();
    for (nth, computed_on) in [(3, day(2025, 11, 20)), (4, day(2026, 2, 10))] {
        let luc = parcel_in(&app, "21043", "LUC", nth).await;
        let noticed_ago = (today - day(2025, 9, 1)).num_days();
        let h = noticed_household(&app, &admin, &[luc], noticed_ago).await;
        let (status, inv) = put(
            &app,
            &admin,
            &format!("/api/v1/households/{h}/inventory"),
            &inventory(luc, day(2025, 11, 10)),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{inv}");
        let (status, plan) = app
            .post_json(
                &admin,
                &format!("/api/v1/households/{h}/plans"),
                &json!({"computed_on": computed_on, "price_table_id": table}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(date(&plan["computed_on"]), computed_on);
        // The stored plan reads back the same citations.
        let (status, read) = app
            .get_json(&admin, &format!("/api/v1/households/{h}/compensation"))
            .await;
        assert_eq!(status, StatusCode::OK, "{read}");
        assert_eq!(read["current"]["lines"], plan["lines"]);
        lines_of.push(plan["lines"].as_array().unwrap().clone());
    }
    let article = |lines: &[Value], code: &str| {
        lines
            .iter()
            .find(|l| l["code"].as_str().unwrap().starts_with(code))
            .map_or_else(
                || panic!("no line {code}: {lines:?}"),
                |l| l["article"].as_str().unwrap().to_string(),
            )
    };
    // The demo project decided "other support" (3 000 000 đ a household).
    let (in_2025, in_2026) = (&lines_of[0], &lines_of[1]);
    for l in in_2025 {
        let a = l["article"].as_str().unwrap();
        assert!(
            !a.contains("254/2025/QH15"),
            "a 2025 plan cites a resolution in force from 2026: {l}"
        );
    }
    assert_eq!(article(in_2025, "other_support"), "LĐĐ 2024 Điều 108");
    assert!(article(in_2025, "land:").starts_with("LĐĐ 2024 Điều 91, 160"));
    assert_eq!(
        article(in_2026, "other_support"),
        "NQ 254/2025/QH15 Điều 3(12)"
    );
    assert!(article(in_2026, "land:").contains("NQ 254/2025/QH15 Điều 3(6)"));
}

#[tokio::test]
async fn the_early_handover_bonus_needs_the_projects_date_ahead() {
    use gpmb::entities::projects;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let today = legal::today_vn();
    let table = price_table(&app, "Bảng giá đất 2025", 11_500, PRICES).await;
    let luc = parcel_in(&app, "21043", "LUC", 5).await;
    let h = noticed_household(&app, &admin, &[luc], 200).await;
    let (status, inv) = put(
        &app,
        &admin,
        &format!("/api/v1/households/{h}/inventory"),
        &inventory(luc, today - Duration::days(20)),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let project = projects::Entity::find()
        .filter(projects::Column::Code.eq("HPDQ2"))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let bonus = |target: Option<NaiveDate>| {
        let (app, admin, project) = (&app, &admin, project.clone());
        async move {
            let mut p: projects::ActiveModel = project.into();
            p.target_handover_date = Set(target);
            p.update(&app.db.conn).await.unwrap();
            let (status, plan) = app
                .post_json(
                    admin,
                    &format!("/api/v1/households/{h}/plans"),
                    &json!({"dry_run": true, "price_table_id": table}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{plan}");
            plan["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["code"] == "early_handover_bonus")
                .map(|l| l["amount"].as_i64().unwrap())
        }
    };
    let set = app
        .count("SELECT value FROM compensation_settings WHERE code = 'early_handover_bonus'")
        .await;
    assert!(set > 0, "the demo project sets a bonus");
    // Not handed over yet: promised while the project's date is today or ahead.
    assert_eq!(bonus(Some(today)).await, Some(set));
    assert_eq!(bonus(Some(today - Duration::days(1))).await, None);
    assert_eq!(bonus(None).await, None, "no date: nobody is early");
}

#[tokio::test]
async fn the_demo_shows_every_part_of_compensation() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let per_commune = |sql: &str| {
        format!(
            "SELECT COUNT(DISTINCT h.commune_id) FROM compensation_plans p JOIN households h ON h.id = p.household_id WHERE {sql}"
        )
    };
    let communes = app
        .count("SELECT COUNT(DISTINCT commune_id) FROM households")
        .await;
    assert!(communes >= 6, "{communes}");
    // A posted and an approved plan in every commune.
    assert_eq!(
        app.count(&per_commune("p.status = 'approved'")).await,
        communes
    );
    assert_eq!(
        app.count(&per_commune("p.status = 'posted'")).await,
        communes
    );
    assert!(app.count("SELECT COUNT(*) FROM inventories").await >= 3 * communes);
    assert!(
        app.count("SELECT COUNT(*) FROM compensation_plans WHERE status = 'draft'")
            .await
            > 0
    );
    assert!(
        app.count("SELECT COUNT(*) FROM compensation_plans WHERE revision_of IS NOT NULL")
            .await
            > 0
    );
    // In every commune a payment late with its interest and a deposit of refused money.
    let paid_in = |filter: &str| {
        format!(
            "SELECT COUNT(DISTINCT h.commune_id) FROM payments y JOIN compensation_plans p ON p.id = y.plan_id \
             JOIN households h ON h.id = p.household_id WHERE {filter}"
        )
    };
    let late_in = app
        .count(&paid_in(
            "y.kind = 'payment' AND y.days_late > 0 AND y.interest > 0",
        ))
        .await;
    let deposit_in = app.count(&paid_in("y.kind = 'deposit'")).await;
    assert_eq!(
        (late_in, deposit_in),
        (communes, communes),
        "communes with a late payment, with a deposit, of {communes}"
    );
    // Payments on time and late, and a deposit.
    assert!(
        app.count("SELECT COUNT(*) FROM payments WHERE kind = 'payment' AND days_late = 0")
            .await
            > 0
    );
    assert!(app.count("SELECT COUNT(*) FROM payments WHERE kind = 'payment' AND days_late > 0 AND interest > 0").await > 0);
    assert!(
        app.count("SELECT COUNT(*) FROM payments WHERE kind = 'deposit'")
            .await
            > 0
    );
    // Two versions of the province's price table, the second superseding the first.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM price_tables WHERE supersedes_id IS NOT NULL")
            .await,
        1
    );
    // Every plan's net is the sum of its lines.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM compensation_plans p WHERE p.net <> \
             (SELECT COALESCE(SUM(l.amount), 0) FROM plan_lines l WHERE l.plan_id = p.id)"
        )
        .await,
        0
    );
    // A leader reads an approved plan with its ledger.
    let id = app
        .count("SELECT CAST(MIN(household_id) AS BIGINT) FROM compensation_plans WHERE status = 'approved'")
        .await;
    let (status, body) = app
        .get_json(&leader, &format!("/api/v1/households/{id}/compensation"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["inventory"]["items"]
        .as_array()
        .is_some_and(|i| !i.is_empty()));
    let current = &body["current"];
    assert!(
        current["lines"].as_array().is_some_and(|l| !l.is_empty()),
        "{current}"
    );
    the_demo_shows_crop_yields_and_own_resettlement(&app, &leader).await;
}

/// Rice paid by the highest of its 3 yields in several communes (one year missing on some),
/// and moving households with their own resettlement plot or house, on the plan lines and
/// the case file.
async fn the_demo_shows_crop_yields_and_own_resettlement(app: &TestApp, leader: &Client) {
    let by_yield = "FROM plan_lines l JOIN households h ON h.id = l.household_id \
         WHERE l.unit = 'kg' AND l.label LIKE '%(sản lượng cao nhất 3 năm: % kg × %đ/kg)'";
    assert!(app.count(&format!("SELECT COUNT(*) {by_yield}")).await > 0);
    assert!(
        app.count(&format!("SELECT COUNT(DISTINCT h.commune_id) {by_yield}"))
            .await
            >= 2,
        "yield-based crop lines in at least two communes"
    );
    assert!(
        app.count(
            "SELECT COUNT(*) FROM inventory_items WHERE yield_1_kg IS NOT NULL \
             AND yield_2_kg IS NULL AND yield_3_kg IS NOT NULL"
        )
        .await
            > 0,
        "one year missing on some field"
    );
    // The price per kg is the province's, with the table's legal basis.
    assert!(
        app.count(
            "SELECT COUNT(*) FROM price_items i JOIN price_tables t ON t.id = i.price_table_id \
             WHERE i.category = 'crop' AND i.unit = 'kg' AND i.unit_price BETWEEN 8000 AND 9000 \
             AND t.legal_basis <> ''"
        )
        .await
            >= 2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM compensation_plans WHERE net < 0")
            .await,
        0,
        "no demo household owes more than it is paid"
    );
    for (kind, label) in [
        ("plot", "Tiền sử dụng đất nền tái định cư lô TĐC-%"),
        ("house", "Tiền mua nhà ở tái định cư căn TĐC-%"),
    ] {
        assert!(
            app.count(&format!(
                "SELECT COUNT(*) FROM inventories WHERE relocating = TRUE AND resettlement_kind = '{kind}'"
            ))
            .await
                > 0,
            "{kind}"
        );
        let id = app
            .count(&format!(
                "SELECT CAST(MIN(household_id) AS BIGINT) FROM plan_lines WHERE code = 'resettlement_fee' \
                 AND label LIKE '{label}'"
            ))
            .await;
        assert!(id > 0, "a plan line for a household's own {kind}");
        let (status, body) = app
            .get_json(leader, &format!("/api/v1/households/{id}/compensation"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let r = &body["inventory"]["resettlement"];
        assert_eq!(r["kind"], kind, "{r}");
        assert!(
            r["code"].as_str().is_some_and(|c| c.starts_with("TĐC-")),
            "{r}"
        );
        if kind == "plot" {
            let m2 = r["area_m2"].as_f64().unwrap_or(0.0);
            assert!((100.0..=150.0).contains(&m2), "{r}");
        }
    }
}

/// `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE …` (PostgreSQL sums a
/// BIGINT as NUMERIC).
fn paid_sql(filter: &str) -> String {
    format!("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE {filter}")
}

#[tokio::test]
async fn alerts_reports_dashboard_and_public_page_read_the_ledger() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let today = legal::today_vn();

    // Approved plans with money left, due within a week or past, are alerts.
    let (status, alerts) = app
        .get_json(
            &leader,
            "/api/v1/alerts?project=HPDQ2&kind=payment_due&limit=500",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    let items = alerts["items"].as_array().unwrap().clone();
    let unpaid = app
        .count(&format!(
            "SELECT COUNT(*) FROM compensation_plans p WHERE p.status = 'approved' \
             AND p.payment_due_on <= '{}' AND p.net > \
             (SELECT COALESCE(SUM(amount), 0) FROM payments WHERE plan_id = p.id)",
            today + Duration::days(7)
        ))
        .await;
    assert!(
        unpaid > 0,
        "the demo leaves plans unpaid near or past the limit"
    );
    assert_eq!(items.len() as i64, unpaid);
    assert_eq!(alerts["counts"]["payment_due"].as_i64(), Some(unpaid));
    for a in &items {
        let msg = a["message"].as_str().unwrap();
        if a["days"].as_i64().unwrap() > 0 {
            assert!(msg.starts_with("Quá hạn chi trả"), "{msg}");
        } else {
            assert!(msg.contains("đến hạn chi trả"), "{msg}");
        }
        assert!(a["link"].as_str().unwrap().starts_with("/households/"));
    }
    // A member sees her own commune's only.
    let member_a = app.login("member_a").await;
    let (_, mine) = app
        .get_json(
            &member_a,
            "/api/v1/alerts?project=HPDQ2&kind=payment_due&limit=500",
        )
        .await;
    for a in mine["items"].as_array().unwrap() {
        let h = a["household_id"].as_i64().unwrap();
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM households h JOIN admin_units u ON u.id = h.commune_id \
                 WHERE h.id = {h} AND u.code = '21043'"
            ))
            .await,
            1
        );
    }

    // The period report's money columns are the ledger's sums.
    let year = today.format("%Y").to_string();
    let (status, stats) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/stats?period={year}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let money = &stats["current"]["totals"]["compensation"];
    let in_year = |kind: &str| {
        paid_sql(&format!(
            "kind = '{kind}' AND paid_on >= '{year}-01-01' AND paid_on <= '{today}'"
        ))
    };
    assert_eq!(
        money["paid"].as_i64(),
        Some(app.count(&in_year("payment")).await)
    );
    assert_eq!(
        money["deposited"].as_i64(),
        Some(app.count(&in_year("deposit")).await)
    );
    assert!(money["paid"].as_i64().unwrap() > 0, "{money}");
    assert!(money["deposited"].as_i64().unwrap() > 0, "{money}");
    let communes_paid: i64 = stats["current"]["by_commune"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["numbers"]["compensation"]["paid"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(
        communes_paid,
        money["paid"].as_i64().unwrap(),
        "communes add up"
    );
    let overdue_alerts = items
        .iter()
        .filter(|a| a["days"].as_i64().unwrap() > 0)
        .count() as i64;
    assert_eq!(money["plans_overdue"].as_i64(), Some(overdue_alerts));

    // The dashboard and the public page show the sums, never a household.
    let (status, dash) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/dashboard")
        .await;
    assert_eq!(status, StatusCode::OK);
    let m = &dash["compensation"];
    assert_eq!(
        m["paid"].as_i64().unwrap() + m["deposited"].as_i64().unwrap(),
        app.count(&paid_sql("1 = 1")).await
    );
    assert!(m["approved_total"].as_i64().unwrap() > m["outstanding"].as_i64().unwrap());
    let page = app
        .anonymous()
        .get(app.url("/public/projects/HPDQ2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Kinh phí bồi thường, hỗ trợ theo các phương án đã phê duyệt"),
        "{page}"
    );
    assert!(!page.contains("PC-0") && !page.contains("GNT-"));
}

/// The value of attribute `name` in `tag`, the text after a tag's name up to its first `>`
/// (`s="3"` → `3`).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let at = if tag.starts_with(&format!("{name}=\"")) {
        0
    } else {
        tag.find(&format!(" {name}=\""))? + 1
    };
    let start = at + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

#[tokio::test]
async fn the_period_report_prints_money_in_whole_dong() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let today = legal::today_vn();
    let year = today.format("%Y").to_string();
    let paid = app
        .count(&paid_sql(&format!(
            "kind = 'payment' AND paid_on >= '{year}-01-01' AND paid_on <= '{today}'"
        )))
        .await;
    assert!(paid > 1_000, "the demo pays money this year: {paid}");
    let get = |file: String| {
        let url = app.url(&format!("/api/v1/projects/HPDQ2/reports/{file}"));
        let leader = leader.clone();
        async move {
            let res = leader.get(url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.bytes().await.unwrap().to_vec()
        }
    };
    // The printable report: the ledger's sum as Vietnamese documents print money.
    let html = String::from_utf8(get(format!("{year}.html")).await).unwrap();
    let shown = calc::format_dong(paid);
    assert!(shown.ends_with(" đ") && shown.contains('.'), "{shown}");
    assert!(
        html.contains(&format!(">{shown}<")),
        "{shown} not in the report"
    );

    // The spreadsheet: the same integer, formatted `#,##0` (no decimals).
    let xlsx = get(format!("{year}.xlsx")).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let styles = read("xl/styles.xml");
    let sheet = read("xl/worksheets/sheet1.xml");
    // `#,##0` is Excel's built-in format 3, or a custom one with that code.
    let mut whole: Vec<String> = vec!["3".into()];
    for f in styles.split("<numFmt ").skip(1) {
        if attr(f, "formatCode") == Some("#,##0") {
            whole.push(attr(f, "numFmtId").unwrap().to_string());
        }
    }
    let xfs = &styles[styles.find("<cellXfs").unwrap()..];
    let xfs = &xfs[..xfs.find("</cellXfs>").unwrap()];
    let fmt_of_xf: Vec<String> = xfs
        .split("<xf ")
        .skip(1)
        .map(|x| attr(x, "numFmtId").unwrap_or("0").to_string())
        .collect();
    let value = format!("<v>{paid}</v>");
    let cells: Vec<&str> = sheet
        .split("<c ")
        .skip(1)
        .filter(|c| c.contains(&value))
        .collect();
    assert!(!cells.is_empty(), "{paid} is written as a whole number");
    assert!(
        cells.iter().any(|c| {
            let style: usize = attr(c, "s").unwrap_or("0").parse().unwrap();
            whole.contains(&fmt_of_xf[style])
        }),
        "the paid cell is formatted #,##0: {cells:?}"
    );
}

#[tokio::test]
async fn an_objection_points_at_a_line_of_a_signers_plan() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (_, list) = app
        .get_json(&admin, "/api/v1/grievances?project=HPDQ2&limit=500")
        .await;
    let objection = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["plan_line_id"].is_i64())
        .cloned()
        .expect("the demo's objection to a plan line");
    let line = objection["plan_line_id"].as_i64().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM plan_lines WHERE id = {line} AND grp = 'land'"
        ))
        .await,
        1
    );
    let signer = objection["households"][0]["household_id"].as_i64().unwrap();
    let other_line = app
        .count(&format!(
            "SELECT CAST(MIN(id) AS BIGINT) FROM plan_lines WHERE household_id <> {signer}"
        ))
        .await;
    let body = |line: i64| {
        json!({"project": "HPDQ2", "kind": "petition", "channel": "direct",
        "received_on": legal::today_vn(), "content": "Đề nghị xem lại đơn giá đất",
        "households": [{"household_id": signer}], "plan_line_id": line})
    };
    let (status, refused) = app
        .post_json(&admin, "/api/v1/grievances", &body(other_line))
        .await;
    assert_error(status, &refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "plan_line_of_another_household");
    let (status, body_) = app
        .post_json(&admin, "/api/v1/grievances", &body(999_999))
        .await;
    assert_error(status, &body_, StatusCode::NOT_FOUND);
    let (status, created) = app
        .post_json(&admin, "/api/v1/grievances", &body(line))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["plan_line_id"], line);
    // The grievance shows the line it disputes: its plan, label, amount and article.
    let (status, read) = app
        .get_json(&admin, &format!("/api/v1/grievances/{}", created["id"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let shown = &read["plan_line"];
    assert_eq!(shown["id"], line);
    assert_eq!(shown["household_id"], signer);
    assert_eq!(
        shown["amount"].as_i64(),
        Some(
            app.count(&format!("SELECT amount FROM plan_lines WHERE id = {line}"))
                .await
        )
    );
    assert_eq!(
        shown["plan_number"].as_i64(),
        Some(
            app.count(&format!(
                "SELECT CAST(p.number AS BIGINT) FROM plan_lines l JOIN compensation_plans p ON p.id = l.plan_id WHERE l.id = {line}"
            ))
            .await
        )
    );
    assert!(shown["label"].as_str().is_some_and(|l| !l.is_empty()));
    assert!(shown["article"]
        .as_str()
        .is_some_and(|a| a.contains("Điều")));
}

/// The plan's lines of a dry run, by code prefix.
async fn dry_lines(app: &TestApp, admin: &Client, h: i64, table: i32) -> Vec<Value> {
    let (status, plan) = app
        .post_json(
            admin,
            &format!("/api/v1/households/{h}/plans"),
            &json!({"dry_run": true, "price_table_id": table}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let lines = plan["lines"].as_array().unwrap().clone();
    let sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(plan["net"].as_i64().unwrap(), sum);
    lines
}

fn line_of<'a>(lines: &'a [Value], prefix: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["code"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix} in {lines:?}"))
}

#[tokio::test]
async fn an_annual_crop_is_paid_by_its_highest_yield() {
    use gpmb::entities::price_items;
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let today = legal::today_vn();
    let mut prices = PRICES.to_vec();
    prices.extend([("crop", "lua", 8_000, None), ("crop", "ngo", 4_500, None)]);
    let table = price_table(&app, "Bảng giá cây trồng 2025", 11_500, &prices).await;
    // Rice is priced per kg, maize per m².
    price_items::Entity::update_many()
        .col_expr(price_items::Column::Unit, Expr::value("kg"))
        .filter(price_items::Column::PriceTableId.eq(table))
        .filter(price_items::Column::Code.eq("lua"))
        .exec(&app.db.conn)
        .await
        .unwrap();
    let luc = parcel_in(&app, "21043", "LUC", 8).await;
    let h = noticed_household(&app, &admin, &[luc], 200).await;
    let path = format!("/api/v1/households/{h}/inventory");
    let body = |yields: Value, tree_yields: Option<Value>| {
        let mut tree = json!({"parcel_id": luc, "category": "tree", "code": "keo", "quantity": 10});
        if let Some(y) = tree_yields {
            tree["yields_kg"] = y;
        }
        json!({
            "record_no": "88/BB-KĐ", "inventoried_on": today - Duration::days(5),
            "items": [
                {"parcel_id": luc, "category": "land", "code": "LUC", "quantity": 2000},
                {"parcel_id": luc, "category": "crop", "code": "lua", "quantity": 2000, "yields_kg": yields},
                {"parcel_id": luc, "category": "crop", "code": "ngo", "quantity": 300},
                tree,
            ]
        })
    };
    // Bounds: a negative yield, a fourth year, yields on a tree are refused.
    for (yields, tree, field) in [
        (json!([1000, -1, null]), None, "items[1].yields_kg"),
        (json!([1, 2, 3, 4]), None, "items[1].yields_kg"),
        (json!([1_000_000_001_i64]), None, "items[1].yields_kg"),
        (json!([1000]), Some(json!([5])), "items[3].yields_kg"),
    ] {
        let (status, err) = put(&app, &admin, &path, &body(yields, tree), &[]).await;
        assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["details"]["field"], field, "{err}");
    }
    let (status, inv) = put(
        &app,
        &admin,
        &path,
        &body(json!([1100, null, 1250]), None),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(inv["items"][1]["yields_kg"], json!([1100, null, 1250]));
    assert_eq!(inv["items"][2]["yields_kg"], Value::Null);
    let lines = dry_lines(&app, &admin, h, table).await;
    let rice = lines
        .iter()
        .find(|l| l["code"].as_str().unwrap().starts_with("crop:lua"))
        .unwrap();
    // The highest of the three years × the price per kg.
    assert_eq!(rice["amount"], 1_250 * 8_000);
    assert_eq!(
        (rice["quantity"].as_f64(), rice["unit"].as_str()),
        (Some(1250.0), Some("kg"))
    );
    assert!(
        rice["label"]
            .as_str()
            .unwrap()
            .contains("sản lượng cao nhất 3 năm: 1.250 kg × 8.000 đ/kg"),
        "{rice}"
    );
    assert_eq!(rice["article"], calc::articles::CROPS);
    // No yields, priced per m²: the area, as before.
    let maize = line_of(&lines, "crop:ngo");
    assert_eq!(maize["amount"], 300 * 4_500);
    // Three lost harvests pay nothing for the crop.
    let v = inv["version"].to_string();
    let (status, inv) = put(
        &app,
        &admin,
        &path,
        &body(json!([0, 0, 0]), None),
        &[("If-Match", v)],
    )
    .await;
    assert!(status.is_success(), "{status}: {inv}");
    let lines = dry_lines(&app, &admin, h, table).await;
    assert_eq!(line_of(&lines, "crop:lua")["amount"], 0);
}

#[tokio::test]
async fn a_household_takes_its_own_resettlement_plot_or_house() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_b = app.login("member_b").await;
    let today = legal::today_vn();
    let table = price_table(&app, "Bảng giá đất 2025", 11_500, PRICES).await;
    let luc = parcel_in(&app, "21043", "LUC", 9).await;
    let h = noticed_household(&app, &admin, &[luc], 200).await;
    let path = format!("/api/v1/households/{h}/inventory");
    let body = |relocating: bool, resettlement: Value| {
        json!({
            "record_no": "89/BB-KĐ", "inventoried_on": today - Duration::days(5),
            "relocating": relocating, "resettlement": resettlement,
            "items": [{"parcel_id": luc, "category": "land", "code": "ONT", "quantity": 100}]
        })
    };
    let plot = json!({"kind": "plot", "code": "TĐC-A/12", "area_m2": 80.5, "price": 1_200_000});
    // Only for a household that moves; a plot has its area, a house none.
    for (relocating, r, field) in [
        (false, plot.clone(), "resettlement"),
        (
            true,
            json!({"kind": "plot", "code": "L1", "price": 1}),
            "resettlement.area_m2",
        ),
        (
            true,
            json!({"kind": "house", "code": "C1", "area_m2": 70, "price": 1}),
            "resettlement.area_m2",
        ),
        (
            true,
            json!({"kind": "house", "code": " ", "price": 1}),
            "resettlement.code",
        ),
        (
            true,
            json!({"kind": "house", "code": "C1", "price": -1}),
            "resettlement.price",
        ),
    ] {
        let (status, err) = put(&app, &admin, &path, &body(relocating, r), &[]).await;
        assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["details"]["field"], field, "{err}");
    }
    // Another area's member cannot record it.
    let (status, err) = put(&app, &member_b, &path, &body(true, plot.clone()), &[]).await;
    assert_error(status, &err, StatusCode::NOT_FOUND);

    let (status, inv) = put(&app, &admin, &path, &body(true, plot), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(inv["resettlement"]["kind"], "plot");
    assert_eq!(inv["resettlement"]["area_m2"], 80.5);
    let (_, comp) = app
        .get_json(&admin, &format!("/api/v1/households/{h}/compensation"))
        .await;
    assert_eq!(comp["inventory"]["resettlement"]["code"], "TĐC-A/12");
    let lines = dry_lines(&app, &admin, h, table).await;
    let fee = line_of(&lines, "resettlement_fee");
    // 80.5 m² × 1 200 000 đ, deducted.
    assert_eq!(fee["amount"], -96_600_000);
    assert_eq!(fee["group"], "resettlement");
    assert!(
        fee["label"].as_str().unwrap().contains("lô TĐC-A/12"),
        "{fee}"
    );
    // A house instead: its price, once.
    let v = inv["version"].to_string();
    let house = json!({"kind": "house", "code": "CC-B2-0405", "price": 450_000_000});
    let (status, inv) = put(&app, &admin, &path, &body(true, house), &[("If-Match", v)]).await;
    assert!(status.is_success(), "{status}: {inv}");
    let lines = dry_lines(&app, &admin, h, table).await;
    let fee = line_of(&lines, "resettlement_fee");
    assert_eq!(fee["amount"], -450_000_000);
    assert!(
        fee["label"].as_str().unwrap().contains("căn CC-B2-0405"),
        "{fee}"
    );
    // Cleared: the project's default plot, if it has one, as before.
    let v = inv["version"].to_string();
    let (status, inv) = put(
        &app,
        &admin,
        &path,
        &body(true, Value::Null),
        &[("If-Match", v)],
    )
    .await;
    assert!(status.is_success(), "{status}: {inv}");
    assert_eq!(inv["resettlement"], Value::Null);
    let area = app
        .count("SELECT COALESCE(MAX(value), 0) FROM compensation_settings WHERE code = 'resettlement_plot_area'")
        .await;
    let lines = dry_lines(&app, &admin, h, table).await;
    let default_fee = lines.iter().find(|l| l["code"] == "resettlement_fee");
    assert_eq!(default_fee.is_some(), area > 0, "{lines:?}");
    if let Some(fee) = default_fee {
        assert!(!fee["label"].as_str().unwrap().contains("lô"), "{fee}");
    }
    // The write is audited with what was recorded.
    assert!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'inventory' AND detail LIKE '%CC-B2-0405%'"
        )
        .await
            >= 1
    );
}
