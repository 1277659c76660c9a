//! Price tables (issue 17 item 2) and the projects' entitlement settings (item 3): the xlsx
//! template and its round trip, versions that supersede, refused rows, dry runs, who may do
//! what, a used table kept, the national caps and the audit of settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use std::io::Cursor;

use calamine::{Data, Reader};
use chrono::NaiveDate;
use reqwest::{Client, StatusCode};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use serde_json::{json, Value};

use crate::common::{assert_error, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(
    app: &TestApp,
    client: &Client,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> (StatusCode, Value) {
    let res = client
        .post(app.url(&format!(
            "/api/v1/price-tables/import?filename={name}&dry_run={dry_run}"
        )))
        .header("content-type", XLSX)
        .body(bytes)
        .send()
        .await
        .unwrap();
    crate::common::json_of(res).await
}

async fn template(
    app: &TestApp,
    client: &Client,
    lang: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = client
        .get(app.url(&format!("/api/v1/price-tables/template?lang={lang}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

/// A cell of the information sheet: text, or a date cell.
enum V<'a> {
    T(&'a str),
    D(u16, u8, u8),
    N(f64),
}

/// A price workbook as an office fills it in with rust_xlsxwriter: the two header lines of the
/// template over `rows` (category, code, name, unit, unit price, grade, age class, zone; a
/// price that reads as a number is written as a number cell), and the information sheet.
fn workbook(info: &[(&str, V)], rows: &[[&str; 8]]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Bảng giá").unwrap();
    let vi = [
        "Nhóm",
        "Mã",
        "Tên",
        "Đơn vị tính",
        "Đơn giá (đồng)",
        "Cấp, hạng",
        "Loại tuổi",
        "Vị trí, khu vực",
    ];
    let en = [
        "Category",
        "Code",
        "Name",
        "Unit",
        "Unit price (đồng)",
        "Grade",
        "Age class",
        "Position or zone",
    ];
    for c in 0..8 {
        sheet.write_string(0, c as u16, vi[c]).unwrap();
        sheet.write_string(1, c as u16, en[c]).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 2;
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            match v.parse::<f64>() {
                Ok(n) if c == 4 => {
                    sheet.write_number(r, c as u16, n).unwrap();
                }
                _ => {
                    sheet.write_string(r, c as u16, *v).unwrap();
                }
            }
        }
    }
    let sheet = book.add_worksheet();
    sheet.set_name("Thông tin").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (r, (label, value)) in info.iter().enumerate() {
        let r = r as u32;
        sheet.write_string(r, 0, *label).unwrap();
        match value {
            V::T(t) => {
                sheet.write_string(r, 1, *t).unwrap();
            }
            V::D(y, m, d) => {
                sheet
                    .write_datetime_with_format(
                        r,
                        1,
                        ExcelDateTime::from_ymd(*y, *m, *d).unwrap(),
                        &date,
                    )
                    .unwrap();
            }
            V::N(n) => {
                sheet.write_number(r, 1, *n).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// A good information sheet for the table `name`, valid from `from`, coefficient `k`.
fn info<'a>(name: &'a str, from: (u16, u8, u8), k: V<'a>) -> Vec<(&'static str, V<'a>)> {
    vec![
        ("Mã tỉnh", V::T("51")),
        ("Tên bảng giá", V::T(name)),
        (
            "Căn cứ pháp lý (quyết định ban hành)",
            V::T("QĐ 45/2025/QĐ-UBND"),
        ),
        ("Hiệu lực từ ngày", V::D(from.0, from.1, from.2)),
        ("Hệ số điều chỉnh giá đất", k),
    ]
}

const ROWS: &[[&str; 8]] = &[
    [
        "Đất",
        "LUC",
        "Đất chuyên trồng lúa nước",
        "m²",
        "60000",
        "",
        "",
        "VT1",
    ],
    [
        "land",
        "ont",
        "Đất ở tại nông thôn",
        "m²",
        "2.600.000",
        "",
        "",
        "VT1",
    ],
    [
        "Nhà – vật kiến trúc",
        "nha_cap_4",
        "Nhà cấp 4",
        "m²",
        "3300000",
        "A",
        "",
        "",
    ],
    [
        "Cây lâu năm",
        "keo",
        "Cây keo trên 3 năm",
        "cây",
        "85000",
        "",
        "tren_3_nam",
        "",
    ],
    ["Mồ mả", "mo_xay", "Mộ xây", "mộ", "16000000", "", "", ""],
];

async fn sql_text(app: &TestApp, sql: &str) -> String {
    let row = app
        .db
        .conn
        .query_one(Statement::from_string(app.db.backend(), sql.to_string()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

#[tokio::test]
async fn the_template_downloads_imports_back_and_a_second_import_is_a_new_version() {
    let app = TestApp::spawn_with(24).await;
    let admin = app.login("admin").await;
    // The demo's own tables end before the days this test asks about.
    app.db
        .conn
        .execute_unprepared(
            "UPDATE price_tables SET valid_from = '2024-01-01', valid_until = '2024-12-31'",
        )
        .await
        .unwrap();

    let res = app
        .anonymous()
        .get(app.url("/api/v1/price-tables/template"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let tables = app.count("SELECT COUNT(*) FROM price_tables").await;
    let items = app.count("SELECT COUNT(*) FROM price_items").await;
    let (headers, vi) = template(&app, &admin, "vi").await;
    assert_eq!(headers["content-type"], XLSX);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("mau-bang-gia.xlsx"));
    let mut book = calamine::Xlsx::new(Cursor::new(vi.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Bảng giá".to_string(), "Thông tin".to_string()]
    );
    let prices = book.worksheet_range("Bảng giá").unwrap();
    let text = |r: u32, c: u32| {
        prices
            .get_value((r, c))
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert!(text(0, 0).starts_with("BẢNG ĐƠN GIÁ"), "{}", text(0, 0));
    // Two header lines, Vietnamese over English.
    assert_eq!(text(2, 0), "Nhóm");
    assert_eq!(text(3, 0), "Category");
    assert_eq!(text(2, 4), "Đơn giá (đồng)");
    assert_eq!(
        (text(4, 0), text(4, 1), text(4, 7)),
        ("Đất".into(), "LUC".into(), "VT1".into())
    );
    // The unit price is a number cell.
    assert_eq!(prices.get_value((4, 4)), Some(&Data::Float(55_000.0)));
    let codes: Vec<String> = (4..prices.height() as u32).map(|r| text(r, 1)).collect();
    for code in [
        "ONT",
        "CLN",
        "nha_cap_4",
        "nha_khung_thep",
        "keo",
        "dua",
        "lua",
        "mo_dat",
        "mo_xay",
        "di_chuyen_ho",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }
    let (_, en) = template(&app, &admin, "en").await;
    let book = calamine::Xlsx::new(Cursor::new(en.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Prices".to_string(), "Information".to_string()]
    );

    // A dry run of the template as it is: checked, reported, nothing stored.
    let (status, report) = upload(&app, &admin, "mau-bang-gia.xlsx", vi.clone(), true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["committed"], false);
    assert_eq!(report["items"], 14);
    assert_eq!(report["version"], 1);
    assert_eq!(report["land_coefficient"], 11_500);
    assert_eq!(report["by_category"]["land"], 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM price_tables").await, tables);
    assert_eq!(app.count("SELECT COUNT(*) FROM price_items").await, items);

    // Imported for real.
    let (status, report) = upload(&app, &admin, "mau-bang-gia.xlsx", vi, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["committed"], true);
    let first = report["table_id"].as_i64().unwrap();
    let (status, table) = app
        .get_json(&admin, &format!("/api/v1/price-tables/{first}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{table}");
    assert_eq!(table["version"], 1);
    assert_eq!(table["province_code"], "51");
    assert_eq!(table["legal_basis"], "QĐ 45/2025/QĐ-UBND");
    assert_eq!(table["valid_from"], "2026-01-01");
    assert_eq!(table["issued_on"], "2025-12-20");
    assert_eq!(table["valid_until"], Value::Null);
    assert_eq!(table["item_count"], 14);
    assert_eq!(table["used"], false);
    let items = table["items"].as_array().unwrap();
    assert_eq!(items[0]["category"], "land");
    assert_eq!(items[0]["code"], "LUC");
    assert_eq!(items[0]["unit_price"], 55_000);
    assert_eq!(items[0]["zone"], "VT1");
    let keo: Vec<&Value> = items.iter().filter(|i| i["code"] == "keo").collect();
    assert_eq!(keo.len(), 3, "acacia by age class");
    assert!(keo
        .iter()
        .all(|i| i["category"] == "tree" && i["age_class"].is_string()));
    let house_b = items
        .iter()
        .find(|i| i["code"] == "nha_cap_4" && i["grade"] == "B")
        .unwrap();
    assert_eq!(house_b["unit_price"], 2_700_000);

    // The English template reads back too (a table of its own name).
    let (status, report) = upload(&app, &admin, "price-table-template.xlsx", en, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["land_coefficient"], 11_500);

    // The office fills its own workbook under the same name: version 2, superseding the first.
    let name = "Đơn giá bồi thường tỉnh Quảng Ngãi năm 2026 (ví dụ)";
    let filled = workbook(&info(name, (2026, 3, 1), V::T("1,2")), ROWS);
    let (status, report) = upload(&app, &admin, "bang-gia-2.xlsx", filled, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["version"], 2);
    assert_eq!(report["supersedes_id"], first);
    let second = report["table_id"].as_i64().unwrap();
    // Nothing was edited in place: the first version keeps its prices.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM price_items WHERE price_table_id = {first}"
        ))
        .await,
        14
    );
    let (_, list) = app
        .get_json(&admin, "/api/v1/price-tables?province=51")
        .await;
    let list = list["items"].as_array().unwrap();
    assert_eq!(list.len() as i64, tables + 2);
    let old = list.iter().find(|t| t["id"] == first).unwrap();
    let new = list.iter().find(|t| t["id"] == second).unwrap();
    assert_eq!(old["superseded_by"], second);
    assert_eq!(new["supersedes_id"], first);
    assert_eq!(new["item_count"], 5);
    assert_eq!(new["land_coefficient"], 12_000);
    assert_eq!(new["in_force"], true, "{new}");
    assert_eq!(old["in_force"], false);
    let (_, detail) = app
        .get_json(&admin, &format!("/api/v1/price-tables/{second}"))
        .await;
    let ont = detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "ONT")
        .cloned()
        .unwrap();
    assert_eq!(
        ont["unit_price"], 2_600_000,
        "`ont` read as ONT, `2.600.000` as a number"
    );

    // What the plan module reads.
    let conn = &app.db.conn;
    let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let in_force = gpmb::compensation::prices::table_in_force(conn, "51", on(2026, 6, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(i64::from(in_force.id), second);
    let before = gpmb::compensation::prices::table_in_force(conn, "51", on(2026, 2, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        i64::from(before.id),
        first,
        "version 2 applies from 1 March only"
    );
    assert!(
        gpmb::compensation::prices::table_in_force(conn, "51", on(2025, 12, 31))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        gpmb::compensation::prices::table_in_force(conn, "62", on(2026, 6, 1))
            .await
            .unwrap()
            .is_none()
    );
    let book = gpmb::compensation::prices::price_book(conn, second as i32)
        .await
        .unwrap();
    assert_eq!(i64::from(book.table_id), second);
    assert_eq!(book.land_coefficient, 12_000);
    assert_eq!(book.items.len(), 5);
    assert_eq!(
        book.items[2].category,
        gpmb::domain::AssetCategory::Structure
    );
    assert_eq!(book.items[2].grade.as_deref(), Some("A"));
    assert_eq!(book.items[3].age_class.as_deref(), Some("tren_3_nam"));

    // The import is audited.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'price_table' AND action = 'import'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn bad_rows_are_named_by_row_and_column_and_nothing_is_stored() {
    let app = TestApp::spawn_with(24).await;
    let admin = app.login("admin").await;
    let rows: &[[&str; 8]] = &[
        ["Đất", "LUC", "Đất lúa", "m²", "60000", "", "", "VT1"],
        ["xe máy", "x", "Xe máy", "chiếc", "1000", "", "", ""],
        ["Đất", "XYZ", "Đất lạ", "m²", "1000", "", "", ""],
        ["Cây lâu năm", "keo", "Keo", "cây", "-5", "", "", ""],
        ["Cây lâu năm", "dua", "Dừa", "cây", "12.5", "", "", ""],
        ["Mồ mả", "mo_dat", "", "mộ", "8000000", "", "", ""],
        ["Đất", "luc", "Đất lúa (lặp)", "m²", "61000", "", "", "VT1"],
        ["Cây lâu năm", "keo", "Keo", "cây", "một trăm", "", "", ""],
    ];
    let tables = app.count("SELECT COUNT(*) FROM price_tables").await;
    let items = app.count("SELECT COUNT(*) FROM price_items").await;
    let mut sheet_info = info("Bảng giá sai", (2026, 3, 1), V::T("7"));
    sheet_info.push(("Hiệu lực đến ngày", V::D(2026, 1, 1)));
    for dry_run in [true, false] {
        let (status, body) = upload(
            &app,
            &admin,
            "sai.xlsx",
            workbook(&sheet_info, rows),
            dry_run,
        )
        .await;
        assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid_import", "{body}");
        let errors = body["error"]["details"]["errors"].as_array().unwrap();
        let found: Vec<(String, i64, String, String)> = errors
            .iter()
            .map(|e| {
                (
                    e["sheet"].as_str().unwrap().to_string(),
                    e["row"].as_i64().unwrap(),
                    e["column"].as_str().unwrap_or_default().to_string(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        // Rows as the spreadsheet numbers them: two header lines, data from row 3.
        let expected = [
            ("prices", 4, "category", "unknown_category"),
            ("prices", 5, "code", "unknown_land_use"),
            ("prices", 6, "unit_price", "negative_unit_price"),
            ("prices", 7, "unit_price", "invalid_unit_price"),
            ("prices", 8, "name", "missing_name"),
            ("prices", 9, "code", "duplicate_item"),
            ("prices", 10, "unit_price", "invalid_unit_price"),
            ("info", 5, "land_coefficient", "coefficient_out_of_range"),
            ("info", 6, "valid_until", "invalid_validity"),
        ];
        for (sheet, row, column, code) in expected {
            assert!(
                found
                    .iter()
                    .any(|f| f == &(sheet.to_string(), row, column.to_string(), code.to_string())),
                "{sheet} row {row} {column} {code} in {found:#?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        let dup = errors
            .iter()
            .find(|e| e["code"] == "duplicate_item")
            .unwrap();
        assert_eq!(dup["details"]["first_row"], "3");
        assert_eq!(body["error"]["details"]["committed"], false);
        assert_eq!(app.count("SELECT COUNT(*) FROM price_tables").await, tables);
        assert_eq!(app.count("SELECT COUNT(*) FROM price_items").await, items);
    }

    // A workbook with no information sheet, or not a workbook at all.
    let (status, body) = upload(&app, &admin, "x.xlsx", b"Nhom;Ma\nland;LUC".to_vec(), true).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 0, "Nhóm").unwrap();
    let (status, body) = upload(&app, &admin, "x.xlsx", book.save_to_buffer().unwrap(), true).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "missing_info_sheet");
    // A required field missing is named.
    let partial = vec![("Tên bảng giá", V::T("Thiếu"))];
    let (status, body) = upload(&app, &admin, "x.xlsx", workbook(&partial, ROWS), true).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let missing: Vec<&str> = body["error"]["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["code"] == "missing_field")
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        ["legal_basis", "valid_from", "land_coefficient"],
        "{body}"
    );
}

#[tokio::test]
async fn the_coefficient_reads_with_a_comma_a_point_or_as_a_number_and_must_be_0_5_to_5() {
    let app = TestApp::spawn_with(24).await;
    let admin = app.login("admin").await;
    for (k, expected) in [
        (V::T("1,15"), Some(11_500)),
        (V::T("1.15"), Some(11_500)),
        (V::N(1.15), Some(11_500)),
        (V::T("0,5"), Some(5_000)),
        (V::T("5"), Some(50_000)),
        (V::T("0,49"), None),
        (V::T("5,0001"), None),
        (V::T("1,2,3"), None),
    ] {
        let shown = match &k {
            V::T(t) => (*t).to_string(),
            V::N(n) => n.to_string(),
            V::D(..) => unreachable!(),
        };
        let bytes = workbook(&info("Hệ số", (2026, 1, 1), k), ROWS);
        let (status, body) = upload(&app, &admin, "k.xlsx", bytes, true).await;
        if let Some(v) = expected {
            assert_eq!(status, StatusCode::OK, "{shown}: {body}");
            assert_eq!(body["land_coefficient"], v, "{shown}");
        } else {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{shown}: {body}");
            let code = &body["error"]["details"]["errors"][0]["code"];
            assert!(
                code == "coefficient_out_of_range" || code == "invalid_coefficient",
                "{shown}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn a_workbook_too_large_or_with_too_many_rows_is_refused() {
    let app = TestApp::spawn_with(24).await;
    let admin = app.login("admin").await;
    let tables = app.count("SELECT COUNT(*) FROM price_tables").await;
    let (status, body) = upload(&app, &admin, "big.xlsx", vec![0u8; 9 * 1024 * 1024], true).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE);
    let rows: Vec<[&str; 8]> = (0..5_001)
        .map(|_| ["Đất", "LUC", "Đất lúa", "m²", "1", "", "", ""])
        .collect();
    let (status, body) = upload(
        &app,
        &admin,
        "rows.xlsx",
        workbook(&info("Nhiều", (2026, 1, 1), V::T("1")), &rows),
        true,
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "too_many_rows", "{body}");
    // A stray cell far below is refused before anything is read into memory for it.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Bảng giá").unwrap();
    sheet.write_string(0, 0, "Nhóm").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.add_worksheet().set_name("Thông tin").unwrap();
    let (status, body) = upload(
        &app,
        &admin,
        "bomb.xlsx",
        book.save_to_buffer().unwrap(),
        true,
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "sheet_too_large", "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM price_tables").await, tables);
}

#[tokio::test]
async fn members_read_price_tables_but_only_administrators_import_delete_and_set() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member = app.login("member_a").await;
    let leader = app.login("leader").await;
    let bytes = workbook(&info("Quyền", (2026, 1, 1), V::T("1")), ROWS);
    let (status, body) = upload(&app, &member, "q.xlsx", bytes.clone(), true).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    let (status, body) = upload(&app, &app.anonymous(), "q.xlsx", bytes.clone(), true).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
    let (status, report) = upload(&app, &admin, "q.xlsx", bytes, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let id = report["table_id"].as_i64().unwrap();
    for client in [&member, &leader] {
        let (status, list) = app.get_json(client, "/api/v1/price-tables").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id));
        let (status, _) = app
            .get_json(client, &format!("/api/v1/price-tables/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let res = member
        .delete(app.url(&format!("/api/v1/price-tables/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Settings: a member of the project reads them, may not set them.
    let (status, settings) = app
        .get_json(&member, "/api/v1/projects/HPDQ2/settings/compensation")
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let res = member
        .put(app.url("/api/v1/projects/HPDQ2/settings/compensation"))
        .json(&json!({"settings": [{"code": "rice_price_per_kg", "value": 16000}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_table_a_plan_uses_is_kept_and_an_unused_one_deleted() {
    let app = TestApp::spawn_with(24).await;
    let admin = app.login("admin").await;
    let mut ids = Vec::new();
    for from in [(2026, 1, 1), (2026, 2, 1), (2026, 3, 1)] {
        let bytes = workbook(&info("Chuỗi", from, V::T("1")), ROWS);
        let (status, report) = upload(&app, &admin, "c.xlsx", bytes, false).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        ids.push(report["table_id"].as_i64().unwrap() as i32);
    }
    // A draft plan of a household priced with the first version.
    let household = app
        .count("SELECT CAST(MIN(id) AS BIGINT) FROM households WHERE id NOT IN (SELECT household_id FROM compensation_plans)")
        .await as i32;
    let project = app
        .count(&format!(
            "SELECT CAST(project_id AS BIGINT) FROM households WHERE id = {household}"
        ))
        .await as i32;
    gpmb::scoped::compensation_plans::ActiveModel {
        project_id: Set(project),
        household_id: Set(household),
        number: Set(1),
        status: Set("draft".into()),
        price_table_id: Set(ids[0]),
        computed_on: Set(NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()),
        gross: Set(0),
        deductions: Set(0),
        resettlement_fee: Set(0),
        net: Set(0),
        created_at: Set(chrono::Utc::now().fixed_offset()),
        version: Set(1),
        ..Default::default()
    }
    .insert(&app.db.conn)
    .await
    .unwrap();

    let (_, list) = app.get_json(&admin, "/api/v1/price-tables").await;
    let used: Vec<bool> = ids
        .iter()
        .map(|id| {
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == *id)
                .unwrap()["used"]
                .as_bool()
                .unwrap()
        })
        .collect();
    assert_eq!(used, [true, false, false]);

    let res = admin
        .delete(app.url(&format!("/api/v1/price-tables/{}", ids[0])))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::common::json_of(res).await;
    assert_error(status, &body, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "price_table_in_use");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM price_items WHERE price_table_id = {}",
            ids[0]
        ))
        .await,
        5
    );

    // The middle version was a mistake: deleted, the third now supersedes the first.
    let res = admin
        .delete(app.url(&format!("/api/v1/price-tables/{}", ids[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM price_items WHERE price_table_id = {}",
            ids[1]
        ))
        .await,
        0
    );
    let (_, third) = app
        .get_json(&admin, &format!("/api/v1/price-tables/{}", ids[2]))
        .await;
    assert_eq!(third["supersedes_id"], ids[0]);
    let (status, _) = app
        .get_json(&admin, &format!("/api/v1/price-tables/{}", ids[1]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = admin
        .delete(app.url(&format!("/api/v1/price-tables/{}", ids[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let detail = sql_text(
        &app,
        "SELECT detail FROM audit_events WHERE entity = 'price_table' AND action = 'delete'",
    )
    .await;
    assert!(detail.contains("\"items\":5"), "{detail}");
}

#[tokio::test]
async fn settings_have_defaults_national_caps_decisions_and_an_audit_trail() {
    let app = TestApp::spawn_with(24).await;
    let admin = app.login("admin").await;
    // The demo project sets some values; this test starts from the defaults.
    app.db
        .conn
        .execute_unprepared("DELETE FROM compensation_settings")
        .await
        .unwrap();
    let path = "/api/v1/projects/HPDQ2/settings/compensation";
    let (status, got) = app.get_json(&admin, path).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["province_code"], "51");
    let settings = got["settings"].as_array().unwrap();
    assert_eq!(settings.len(), 13);
    let find = |v: &Value, code: &str| {
        v["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .cloned()
            .unwrap()
    };
    let job = find(&got, "job_change_multiple");
    assert_eq!(job["value"], 15_000);
    assert_eq!(job["cap"], 50_000);
    assert_eq!(job["scale"], 10_000);
    assert_eq!(job["unit"], "multiple");
    assert_eq!(job["set"], false);
    assert!(job["cap_article"].as_str().unwrap().contains("Art. 109"));
    assert_eq!(find(&got, "relocation_support")["value"], 5_000_000);
    assert_eq!(find(&got, "rice_price_per_kg")["cap"], Value::Null);

    // Every code has its words in both catalogues of the page, the same as the one table
    // of settings gives the API.
    for lang in ["vi", "en"] {
        let (_, words) = app
            .get_json(
                &app.anonymous(),
                &format!("/static/i18n/{lang}/admin-prices.json"),
            )
            .await;
        for s in settings {
            let key = format!("admin_prices.setting.{}", s["code"].as_str().unwrap());
            assert_eq!(words[&key], s[&format!("label_{lang}")], "{lang}: {key}");
        }
    }

    // 6 × the farmland price is above the national 5 ×: refused, naming the cap and article.
    let put = |body: Value| {
        let admin = admin.clone();
        let url = app.url(path);
        async move { crate::common::json_of(admin.put(url).json(&body).send().await.unwrap()).await }
    };
    let (status, body) = put(json!({"settings": [
        {"code": "rice_price_per_kg", "value": 16_000},
        {"code": "job_change_multiple", "value": 60_000, "decision_no": "QĐ 1/2026"}
    ]}))
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "above_national_cap");
    assert_eq!(body["error"]["details"]["cap"], 50_000);
    assert_eq!(body["error"]["details"]["field"], "settings.1.value");
    assert!(body["error"]["details"]["article"]
        .as_str()
        .unwrap()
        .contains("LĐĐ 2024 Art. 109"));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Art. 109"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM compensation_settings WHERE project_id = (SELECT id FROM projects WHERE code = 'HPDQ2')").await,
        0,
        "all or nothing"
    );
    let (status, body) =
        put(json!({"settings": [{"code": "stabilisation_months_under_30", "value": 7}]})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["article"], "ND 88 Art. 19");
    let (status, body) = put(json!({"settings": [{"code": "no_such_setting", "value": 1}]})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "unknown_setting");

    // At the cap is allowed; each value carries its decision.
    let (status, saved) = put(json!({"settings": [
        {"code": "job_change_multiple", "value": 50_000, "decision_no": "QĐ 12/2026/QĐ-UBND", "decided_on": "2026-02-01"},
        {"code": "early_handover_bonus", "value": 3_000_000, "decision_no": "QĐ 13/2026/QĐ-UBND"}
    ]}))
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let job = find(&saved, "job_change_multiple");
    assert_eq!(
        (job["value"].clone(), job["set"].clone()),
        (json!(50_000), json!(true))
    );
    assert_eq!(job["decision_no"], "QĐ 12/2026/QĐ-UBND");
    assert_eq!(job["decided_on"], "2026-02-01");
    assert_eq!(job["updated_by_name"], "Quản trị hệ thống");
    let pid = app
        .count("SELECT CAST(id AS BIGINT) FROM projects WHERE code = 'HPDQ2'")
        .await as i32;
    let values = gpmb::compensation::settings::project_settings(&app.db.conn, pid)
        .await
        .unwrap();
    assert_eq!(values.job_change_multiple, 50_000);
    assert_eq!(values.early_handover_bonus, 3_000_000);
    assert_eq!(
        values.rice_price_per_kg, 15_000,
        "the default where none is set"
    );
    assert_eq!(values.stabilisation_months_under_30, 3);

    // Audited, with what changed from what.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'compensation_settings'")
            .await,
        1
    );
    let detail = sql_text(
        &app,
        "SELECT detail FROM audit_events WHERE entity = 'compensation_settings'",
    )
    .await;
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["changes"][0]["code"], "job_change_multiple");
    assert_eq!(detail["changes"][0]["from"], Value::Null);
    assert_eq!(detail["changes"][0]["to"], 50_000);

    // Back to the default.
    let (status, saved) =
        put(json!({"settings": [{"code": "job_change_multiple", "value": null}]})).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(find(&saved, "job_change_multiple")["value"], 15_000);
    assert_eq!(find(&saved, "job_change_multiple")["set"], false);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'compensation_settings'")
            .await,
        2
    );

    // A closed project is read-only.
    let (status, _) = app
        .post_json(&admin, "/api/v1/projects/HPDQ2/close", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        put(json!({"settings": [{"code": "rice_price_per_kg", "value": 16_000}]})).await;
    assert_error(status, &body, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "project_closed");
    let (status, _) = app.get_json(&admin, path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .get_json(&admin, "/api/v1/projects/NOPE/settings/compensation")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
