//! Period numbers (`/stats`) and the periodic reports built from them (HTTP and CLI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

/// The quarter the tests read (inside the demo's year of visits), and its year.
fn quarter() -> (gpmb::reports::period::Period, i32) {
    use chrono::Datelike;
    let q = crate::common::demo_quarter();
    (q, q.first_day().year())
}

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, DataType, Reader};
use common::{assert_error, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

/// The value of a report metric key (`visits`, `visits.home_visit`, `stances.agrees`,
/// `stages.notice`, …) in the API's `Numbers` object.
fn metric(numbers: &Value, key: &str) -> f64 {
    let v = match key.split_once('.') {
        Some(("visits", k)) => &numbers["visits_by_kind"][k],
        Some(("stances", k)) => &numbers["stances"][k],
        Some(("stages", k)) => &numbers["stages_reached"][k],
        Some(("parcels", k)) => &numbers["parcels_by_status"][k],
        Some(("compensation", k)) => &numbers["compensation"][k],
        Some(_) => panic!("unknown metric {key}"),
        None => &numbers[key],
    };
    v.as_f64()
        .unwrap_or_else(|| panic!("no number for {key} in {numbers}"))
}

fn cell_f64(d: Option<&Data>) -> f64 {
    match d {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

fn cell_str(d: Option<&Data>) -> String {
    match d {
        Some(Data::String(s)) => s.clone(),
        other => panic!("not text: {other:?}"),
    }
}

/// Checks an XLSX report against the stats API: every metric of the summary sheet (this
/// period, previous period, change) and every commune row of the commune sheet.
fn assert_xlsx_matches(bytes: &[u8], stats: &Value) {
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names().clone();
    assert_eq!(names, ["Tổng hợp", "Theo xã", "Theo tổ công tác"]);
    let summary = book.worksheet_range("Tổng hợp").unwrap();
    let text: Vec<String> = summary
        .rows()
        .flat_map(|r| r.iter().filter_map(|c| c.get_string().map(str::to_string)))
        .collect();
    assert!(text
        .iter()
        .any(|t| t == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    assert!(
        text.iter().any(|t| t.contains(&quarter().0.name_vi())),
        "{text:?}"
    );

    let cat = gpmb::i18n::Catalogue::load(gpmb::i18n::Lang::Vi);
    let metrics = gpmb::reports::render::metrics(&cat);
    // Rows follow the header row "TT | Chỉ tiêu | …".
    let header = (0..40u32)
        .find(|r| summary.get_value((*r, 1)).and_then(|d| d.get_string()) == Some("Chỉ tiêu"))
        .expect("header row");
    let current = &stats["current"]["totals"];
    let previous = &stats["previous"]["totals"];
    for (i, m) in metrics.iter().enumerate() {
        let r = header + 1 + i as u32;
        let label = cell_str(summary.get_value((r, 1)));
        assert!(label.contains(&m.label), "row {r}: {label} vs {}", m.label);
        let cur = cell_f64(summary.get_value((r, 3)));
        let prev = cell_f64(summary.get_value((r, 4)));
        let change = cell_f64(summary.get_value((r, 5)));
        assert!(
            (cur - metric(current, &m.key)).abs() < 1e-6,
            "{} this period",
            m.key
        );
        assert!(
            (prev - metric(previous, &m.key)).abs() < 1e-6,
            "{} previous",
            m.key
        );
        assert!((change - (cur - prev)).abs() < 1e-6, "{} change", m.key);
    }

    let communes = book.worksheet_range("Theo xã").unwrap();
    let by_commune = stats["current"]["by_commune"].as_array().unwrap();
    assert!(!by_commune.is_empty());
    for (i, c) in by_commune.iter().enumerate() {
        let r = 2 + i as u32;
        assert_eq!(
            cell_str(communes.get_value((r, 1))),
            c["name"].as_str().unwrap()
        );
        for (j, m) in metrics.iter().enumerate() {
            let col = 2 + 2 * j as u32;
            let v = cell_f64(communes.get_value((r, col)));
            assert!(
                (v - metric(&c["numbers"], &m.key)).abs() < 1e-6,
                "{} of {}",
                m.key,
                c["name"]
            );
        }
    }
}

#[tokio::test]
async fn stats_count_what_the_visit_list_shows() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (q, year) = quarter();
    let (status, stats) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/stats?period={}", q.code()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["current"]["period"], q.code());
    assert_eq!(stats["current"]["from"], q.first_day().to_string());
    assert_eq!(stats["current"]["to"], q.last_day().to_string());
    assert_eq!(stats["previous"]["period"], q.previous().code());
    let totals = &stats["current"]["totals"];

    // The same quarter through the visit list (demo visits happen in daytime, so UTC and
    // Vietnam days agree).
    let visits = app
        .all_pages(
            &leader,
            &format!(
                "/api/v1/visits?from={}&to={}&limit=500",
                q.first_day(),
                q.last_day()
            ),
        )
        .await;
    assert!(!visits.is_empty(), "the demo has visits in {}", q.code());
    assert_eq!(totals["visits"].as_i64().unwrap(), visits.len() as i64);
    let mut by_kind: HashMap<String, i64> = HashMap::new();
    let mut last: HashMap<i64, (String, i64, String)> = HashMap::new();
    for v in &visits {
        *by_kind
            .entry(v["kind"].as_str().unwrap().to_string())
            .or_default() += 1;
        let h = v["household_id"].as_i64().unwrap();
        let key = (
            v["visited_at"].as_str().unwrap().to_string(),
            v["id"].as_i64().unwrap(),
        );
        let entry =
            last.entry(h)
                .or_insert((key.0.clone(), key.1, v["stance"].as_str().unwrap().into()));
        if (key.0.as_str(), key.1) > (entry.0.as_str(), entry.1) {
            *entry = (key.0, key.1, v["stance"].as_str().unwrap().into());
        }
    }
    for (kind, n) in &by_kind {
        assert_eq!(totals["visits_by_kind"][kind].as_i64(), Some(*n), "{kind}");
    }
    assert_eq!(
        totals["households_visited"].as_i64().unwrap(),
        last.len() as i64
    );
    let mut stances: HashMap<String, i64> = HashMap::new();
    for (_, _, s) in last.values() {
        *stances.entry(s.clone()).or_default() += 1;
    }
    for (s, n) in &stances {
        assert_eq!(totals["stances"][s].as_i64(), Some(*n), "stance {s}");
    }

    // Communes add up to the project for everything counted by place.
    let communes = stats["current"]["by_commune"].as_array().unwrap();
    for key in ["visits", "households_visited", "parcels_handed_over"] {
        let sum: i64 = communes
            .iter()
            .map(|c| c["numbers"][key].as_i64().unwrap())
            .sum();
        assert_eq!(sum, totals[key].as_i64().unwrap(), "{key}");
    }
    // Groups: visits by the group that made them add up too.
    let groups = stats["current"]["by_working_group"].as_array().unwrap();
    let sum: i64 = groups
        .iter()
        .map(|g| g["numbers"]["visits"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, totals["visits"].as_i64().unwrap());

    // A free range equals the quarter it spans; the year holds more handovers than Q1.
    let (_, range) = app
        .get_json(
            &leader,
            &format!(
                "/api/v1/projects/HPDQ2/stats?from={}&to={}",
                q.first_day(),
                q.last_day()
            ),
        )
        .await;
    assert_eq!(range["current"]["totals"], stats["current"]["totals"]);
    assert_eq!(range["current"]["period"], Value::Null);
    let days = (q.last_day() - q.first_day()).num_days() + 1;
    assert_eq!(
        range["previous"]["from"],
        (q.first_day() - chrono::Duration::days(days)).to_string()
    );
    let (_, year) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/stats?period={year}"),
        )
        .await;
    let year = &year["current"]["totals"];
    assert!(year["visits"].as_i64() > totals["visits"].as_i64());
    assert!(year["parcels_handed_over"].as_i64().unwrap() > 0);
    assert!(year["area_handed_over_m2"].as_f64().unwrap() > 0.0);
    assert!(year["stages_reached"]["paid"].as_i64().unwrap() > 0);

    // Status at the end of a range that ends today is the status the progress counters show.
    let today = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let (status, now) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/stats?from=2020-01-01&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{now}");
    let (_, progress) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/progress")
        .await;
    assert_eq!(
        now["current"]["totals"]["parcels_by_status"],
        progress["parcels"]["by_status"]
    );
    // At the end of Q1 fewer parcels were handed over than now, and some were still untouched.
    let q1 = &totals["parcels_by_status"];
    assert!(q1["handed_over"].as_i64() < progress["parcels"]["by_status"]["handed_over"].as_i64());
    assert!(q1["not_contacted"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn members_see_their_area_only() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let member = app.login("member_a").await;
    let (_, year) = quarter();
    let path = format!("/api/v1/projects/HPDQ2/stats?period={year}");
    let (_, all) = app.get_json(&leader, &path).await;
    let (status, mine) = app.get_json(&member, &path).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let my_communes: HashSet<i64> = mine["current"]["by_commune"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let all_communes = all["current"]["by_commune"].as_array().unwrap();
    assert!(!my_communes.is_empty() && my_communes.len() < all_communes.len());
    let expected: i64 = all_communes
        .iter()
        .filter(|c| my_communes.contains(&c["id"].as_i64().unwrap()))
        .map(|c| c["numbers"]["visits"].as_i64().unwrap())
        .sum();
    let got = mine["current"]["totals"]["visits"].as_i64().unwrap();
    assert_eq!(got, expected);
    assert!(got < all["current"]["totals"]["visits"].as_i64().unwrap());
}

#[tokio::test]
async fn xlsx_report_numbers_equal_the_stats_api() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (q, _) = quarter();
    let (_, stats) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/stats?period={}", q.code()),
        )
        .await;
    assert!(stats["current"]["totals"]["visits"].as_i64().unwrap() > 0);
    let res = leader
        .get(app.url(&format!("/api/v1/projects/HPDQ2/reports/{}.xlsx", q.code())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let bytes = res.bytes().await.unwrap();
    assert_xlsx_matches(&bytes, &stats);

    // The CSV carries the same numbers, one line per unit and metric.
    let csv = leader
        .get(app.url(&format!("/api/v1/projects/HPDQ2/reports/{}.csv", q.code())))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "CSV starts with a BOM");
    let mut reader = csv::Reader::from_reader(&csv[3..]);
    let mut checked = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        if &rec[0] == "Dự án" {
            let want = metric(&stats["current"]["totals"], &rec[3]);
            assert!(
                (rec[6].parse::<f64>().unwrap() - want).abs() < 0.01,
                "{}",
                &rec[3]
            );
            checked += 1;
        }
    }
    assert!(checked > 20);

    // Reading a report is audited.
    let n = app
        .count("SELECT COUNT(*) FROM audit_events WHERE action = 'report' AND entity_id = 'HPDQ2'")
        .await;
    assert_eq!(n, 2);
}

#[tokio::test]
async fn html_report_is_an_administrative_document() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (q, year) = quarter();
    let res = leader
        .get(app.url(&format!("/api/v1/projects/HPDQ2/reports/{}.html", q.code())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    let name = q.name_vi();
    let compared = format!("so sánh với {}", q.previous().name_vi());
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO",
        name.as_str(),
        compared.as_str(),
        "Nơi nhận:",
        "@page",
        "size: A4",
        "Xã Bình Thuận",
        "<svg",
        "Tình trạng thửa đất đến cuối kỳ",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    let (_, stats) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/stats?period={}", q.code()),
        )
        .await;
    let visits = stats["current"]["totals"]["visits"].as_i64().unwrap();
    assert!(html.contains(&format!(
        "<td class=\"n\">{}</td>",
        gpmb::reports::render::fmt_vi(visits as f64)
    )));
    let (_, h1) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/reports/{year}-H2.html"),
        )
        .await;
    assert!(h1
        .as_str()
        .unwrap()
        .contains(&format!("6 tháng cuối năm {year}")));
}

/// The report's heading takes the parent agency and the document symbol from the project's
/// report settings; without them, the party that decides land recovery and `BC-BCĐ`.
#[tokio::test]
async fn report_heading_comes_from_the_project_settings() {
    use gpmb::entities::{project_report_settings, projects};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let html = |leader: reqwest::Client| {
        let url = app.url("/api/v1/projects/HPDQ2/reports/2021-Q1.html");
        async move { leader.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let before = html(leader.clone()).await;
    assert!(
        before.contains("<p class=\"parent\">UBND HUYỆN BÌNH SƠN</p>"),
        "{before}"
    );
    assert!(before.contains("Số: ……/BC-BCĐ"));
    assert!(before.contains("BAN BỒI THƯỜNG, GPMB HUYỆN BÌNH SƠN"));

    let project = projects::Entity::find()
        .filter(projects::Column::Code.eq("HPDQ2"))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    project_report_settings::ActiveModel {
        project_id: Set(project.id),
        parent_agency: Set(Some("Ủy ban nhân dân tỉnh Quảng Ngãi".into())),
        doc_symbol: Set(Some("BC-BBT".into())),
        ..Default::default()
    }
    .insert(&app.db.conn)
    .await
    .unwrap();
    let after = html(leader).await;
    assert!(after.contains("<p class=\"parent\">ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI</p>"));
    assert!(after.contains("Số: ……/BC-BBT"));
    assert!(!after.contains("BC-BCĐ"));
}

#[tokio::test]
async fn bad_periods_and_formats_are_400() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    for path in [
        "/api/v1/projects/HPDQ2/reports/2021-Q5.xlsx",
        "/api/v1/projects/HPDQ2/reports/21-Q1.html",
        "/api/v1/projects/HPDQ2/reports/2021-Q1.pdf",
        "/api/v1/projects/HPDQ2/reports/2021-Q1",
        "/api/v1/projects/HPDQ2/stats?period=Q1-2021",
        "/api/v1/projects/HPDQ2/stats",
        "/api/v1/projects/HPDQ2/stats?from=2021-03-01&to=2021-02-01",
        "/api/v1/projects/HPDQ2/stats?from=2021-02-30&to=2021-03-01",
    ] {
        let (status, body) = app.get_json(&leader, path).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
    }
    let (status, body) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/reports/2021-Q5.xlsx")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("YYYY-Qn"));
    let (status, body) = app
        .get_json(&leader, "/api/v1/projects/NOPE/reports/2021-Q1.xlsx")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get_json(&app.anonymous(), "/api/v1/projects/HPDQ2/stats?period=2021")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cli_report_matches_the_api() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (q, year) = quarter();
    let (code, h1) = (q.code(), format!("{year}-H1"));
    let (_, stats) = app
        .get_json(
            &leader,
            &format!("/api/v1/projects/HPDQ2/stats?period={code}"),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let gpmb = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gpmb"))
            .current_dir(dir.path())
            .env("DATABASE_URL", &app.state.settings.database_url)
            .env("GPMB_SQLITE_SYNC", "normal")
            .args(args)
            .output()
            .unwrap()
    };
    let out = gpmb(&[
        "report",
        "--project",
        "HPDQ2",
        "--period",
        &code,
        "--format",
        "xlsx",
        "--out",
        "q1.xlsx",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&q.name_vi()));
    let bytes = std::fs::read(dir.path().join("q1.xlsx")).unwrap();
    assert_xlsx_matches(&bytes, &stats);

    let out = gpmb(&[
        "report",
        "--project",
        "HPDQ2",
        "--period",
        &h1,
        "--format",
        "html",
        "--out",
        "h1.html",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("h1.html")).unwrap();
    assert!(html.contains("BÁO CÁO") && html.contains(&format!("6 tháng đầu năm {year}")));

    let out = gpmb(&[
        "report",
        "--project",
        "HPDQ2",
        "--period",
        "2021-Q9",
        "--format",
        "csv",
        "--out",
        "x.csv",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid period `2021-Q9`"));
    assert!(!dir.path().join("x.csv").exists());
}

#[tokio::test]
async fn report_settings_set_the_printed_header() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let leader = app.login("leader").await;
    let url = "/api/v1/projects/HPDQ2/settings/report";
    let (status, before) = app.get_json(&leader, url).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert!(before["parent_agency"].is_null());
    let body = serde_json::json!({"parent_agency": "  UBND TỈNH QUẢNG NGÃI ", "doc_symbol": "BC-BCĐ-GPMB"});
    // Only administrators set it.
    let res = leader.put(app.url(url)).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let too_long = serde_json::json!({"parent_agency": "X".repeat(201)});
    let res = admin
        .put(app.url(url))
        .json(&too_long)
        .send()
        .await
        .unwrap();
    let (status, err) = common::json_of(res).await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"]["field"], "parent_agency");
    let res = admin.put(app.url(url)).json(&body).send().await.unwrap();
    let (status, set) = common::json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["parent_agency"], "UBND TỈNH QUẢNG NGÃI");
    assert_eq!(set["printed_parent_agency"], "UBND TỈNH QUẢNG NGÃI");
    assert_eq!(set["printed_doc_symbol"], "BC-BCĐ-GPMB");
    // The printed report carries them, and the change is audited.
    let (q, _) = quarter();
    let html = leader
        .get(app.url(&format!("/api/v1/projects/HPDQ2/reports/{}.html", q.code())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("UBND TỈNH QUẢNG NGÃI"),
        "parent agency printed"
    );
    assert!(html.contains("/BC-BCĐ-GPMB"), "document symbol printed");
    let n = app
        .count("SELECT COUNT(*) FROM audit_events WHERE entity = 'report_settings' AND entity_id = 'HPDQ2'")
        .await;
    assert_eq!(n, 1);
    // Empty values go back to the defaults.
    let res = admin
        .put(app.url(url))
        .json(&serde_json::json!({"parent_agency": "", "doc_symbol": null}))
        .send()
        .await
        .unwrap();
    let (_, reset) = common::json_of(res).await;
    assert!(
        reset["parent_agency"].is_null() && reset["doc_symbol"].is_null(),
        "{reset}"
    );
    assert_eq!(reset["printed_doc_symbol"], before["printed_doc_symbol"]);
}
