//! The plan table (issue 17.4): one row per household of a project or commune, as JSON, XLSX
//! and printable HTML; the area scope, the board's refusal and the audit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]
use crate::common;

use std::io::Cursor;

use calamine::{Data, Reader};
use common::{assert_error, TestApp};
use gpmb::compensation::calc;
use reqwest::{Client, StatusCode};
use serde_json::Value;

const TABLE: &str = "/api/v1/projects/HPDQ2/plans/table";

const MONEY: [&str; 13] = [
    "land",
    "assets",
    "moving",
    "investment",
    "stabilisation",
    "job_change",
    "business",
    "relocation",
    "early_handover_bonus",
    "other_support",
    "resettlement_fee",
    "obligations",
    "net",
];

async fn bytes(app: &TestApp, client: &Client, query: &str) -> (StatusCode, String, Vec<u8>) {
    let res = client
        .get(app.url(&format!("{TABLE}{query}")))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

fn amount(v: &Value, k: &str) -> i64 {
    v["amounts"][k]
        .as_i64()
        .unwrap_or_else(|| panic!("{k} in {v}"))
}

#[tokio::test]
async fn the_plan_table_has_each_households_plan_and_the_totals() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (status, t) = app.get_json(&leader, TABLE).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let rows = t["rows"].as_array().unwrap();
    let with_plans = app
        .count("SELECT COUNT(DISTINCT household_id) FROM compensation_plans")
        .await;
    assert_eq!(rows.len() as i64, with_plans);
    // Each row is the household's newest plan: its net as the case file shows it.
    for r in rows.iter().step_by(3) {
        let id = r["household_id"].as_i64().unwrap();
        let (status, c) = app
            .get_json(&leader, &format!("/api/v1/households/{id}/compensation"))
            .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(
            amount(r, "net"),
            c["current"]["net"].as_i64().unwrap(),
            "{r}"
        );
        assert_eq!(r["plan_id"], c["current"]["id"]);
        // The columns add up to the net.
        let plus: i64 = MONEY[..10].iter().map(|k| amount(r, k)).sum();
        assert_eq!(
            plus - amount(r, "resettlement_fee") - amount(r, "obligations"),
            amount(r, "net"),
            "{r}"
        );
        // The CCCD is masked.
        if let Some(n) = r["id_number"].as_str() {
            assert!(n.contains('*'), "{n}");
        }
    }
    // The totals row is the sum of the rows, column by column.
    for k in MONEY {
        let sum: i64 = rows.iter().map(|r| amount(r, k)).sum();
        assert_eq!(amount(&t["totals"], k), sum, "{k}");
    }
    assert_eq!(
        t["totals"]["households"].as_i64().unwrap(),
        rows.len() as i64
    );
    assert!(amount(&t["totals"], "net") > 0);
    // An approved row names its decision.
    let approved = app
        .get_json(&leader, &format!("{TABLE}?status=approved"))
        .await
        .1;
    let a = approved["rows"].as_array().unwrap();
    assert!(!a.is_empty());
    assert!(a.iter().all(|r| r["status"] == "approved"
        && r["decision_no"].as_str().is_some_and(|d| !d.is_empty())
        && r["approved_on"].is_string()));
    let (status, body) = app
        .get_json(&leader, &format!("{TABLE}?status=superseded"))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);

    // Reading it is audited: the households read.
    let audited = app
        .count("SELECT COUNT(*) FROM audit_events WHERE entity = 'household' AND detail LIKE '%plan_table%'")
        .await;
    assert!(audited >= 1, "{audited}");
}

#[tokio::test]
async fn members_see_their_communes_and_the_board_is_refused() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let member_a = app.login("member_a").await;
    let all = app.get_json(&leader, TABLE).await.1;
    let (status, mine) = app.get_json(&member_a, TABLE).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let mine_rows = mine["rows"].as_array().unwrap();
    assert!(!mine_rows.is_empty());
    let my_communes: Vec<i64> = mine["communes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(mine_rows
        .iter()
        .all(|r| my_communes.contains(&r["commune_id"].as_i64().unwrap())));
    assert!(mine_rows.len() < all["rows"].as_array().unwrap().len());
    // One of her communes: only its rows; a commune of another area answers 404.
    let c = my_communes[0];
    let one = app
        .get_json(&member_a, &format!("{TABLE}?commune_id={c}"))
        .await
        .1;
    assert!(one["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["commune_id"].as_i64() == Some(c)));
    assert_eq!(one["commune"]["id"].as_i64(), Some(c));
    let foreign = all["communes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .find(|id| !my_communes.contains(id))
        .expect("a commune outside member_a's area");
    let (status, body) = app
        .get_json(&member_a, &format!("{TABLE}?commune_id={foreign}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app
        .get_json(&member_a, &format!("{TABLE}?commune_id=999999"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    // The table names persons: a project board's token is refused, in every format.
    let board = app.board(false).await;
    for q in ["", "?format=xlsx", "?format=html"] {
        let (status, _, _) = bytes(&app, &board, q).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{q}");
    }
}

#[tokio::test]
async fn the_spreadsheet_and_the_printed_table_carry_the_same_numbers() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let t = app.get_json(&leader, TABLE).await.1;
    let rows = t["rows"].as_array().unwrap();

    let (status, kind, xlsx) = bytes(&app, &leader, "?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).unwrap();
    let first = gpmb::compensation::table::XLSX_FIRST_ROW as usize;
    let data: Vec<&[Data]> = range.rows().skip(first).collect();
    assert_eq!(
        data.len(),
        rows.len() + 1,
        "a row per household and the totals"
    );
    let num = |c: &Data| match c {
        Data::Float(f) => *f as i64,
        Data::Int(i) => *i,
        other => panic!("not a number: {other:?}"),
    };
    for (r, cells) in rows.iter().zip(&data) {
        assert_eq!(cells[1].to_string(), r["household_code"].as_str().unwrap());
        for (i, k) in MONEY.iter().enumerate() {
            assert_eq!(num(&cells[8 + i]), amount(r, k), "{k} of {r}");
        }
    }
    let totals = data.last().unwrap();
    for (i, k) in MONEY.iter().enumerate() {
        assert_eq!(num(&totals[8 + i]), amount(&t["totals"], k), "total {k}");
    }

    let (status, kind, html) = bytes(&app, &leader, "?format=html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Bảng tổng hợp phương án bồi thường, hỗ trợ, tái định cư"));
    assert!(html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    let r = rows.iter().find(|r| amount(r, "net") >= 1_000_000).unwrap();
    let shown = calc::format_dong(amount(r, "net"));
    assert!(shown.contains('.') && shown.ends_with(" đ"), "{shown}");
    assert!(
        html.contains(&format!(">{shown}<")),
        "{shown} not in the table"
    );
    assert!(html.contains(&format!(
        ">{}<",
        calc::format_dong(amount(&t["totals"], "net"))
    )));
    let (_, _, en) = bytes(&app, &leader, "?format=html&lang=en").await;
    let en = String::from_utf8(en).unwrap();
    assert!(en.contains("Compensation, support and resettlement plan table"));
}
