//! The public project page: no login, server-rendered, the numbers of `/progress`, and no
//! personal data of any household (read from the database to look for it).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::TestApp;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

/// Vietnamese grouping of a count, as the page prints it (`2.001`).
fn vi_number(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_page_shows_progress_and_nothing_personal() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let res = anon
        .get(app.url("/public/projects/HPDQ2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();

    // What, who, when.
    assert!(html.contains("Hòa Phát Dung Quất"));
    assert!(html.contains("Công ty CP Thép Hòa Phát Dung Quất"));
    assert!(html.contains("Ban Quản lý dự án đầu tư xây dựng và phát triển quỹ đất huyện Bình Sơn"));
    assert!(
        html.contains(&crate::common::vn_date(crate::common::demo_notice_date()))
            && html.contains(&crate::common::vn_date(crate::common::demo_target_date()))
    );
    assert!(html.contains("<svg"), "chart and map drawn inline");
    assert!(!html.contains("<script"), "no JavaScript needed");

    // The numbers of /progress, status by status.
    let leader = app.login("leader").await;
    let (_, p) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/progress")
        .await;
    let total = p["parcels"]["total"].as_i64().unwrap();
    assert!(html.contains(&format!(
        "<th class=\"num\" id=\"total-parcels\">{}</th>",
        vi_number(total)
    )));
    for (status, n) in p["parcels"]["by_status"].as_object().unwrap() {
        let row_start = html
            .find(&format!("<tr data-status=\"{status}\">"))
            .unwrap_or_else(|| panic!("a row for {status}"));
        let row = &html[row_start..row_start + html[row_start..].find("</tr>").unwrap()];
        assert!(
            row.contains(&format!(
                "<td class=\"num\">{}</td>",
                vi_number(n.as_i64().unwrap())
            )),
            "{status}: {row}"
        );
    }
    // The map draws one path per status present.
    let present = p["parcels"]["by_status"]
        .as_object()
        .unwrap()
        .values()
        .filter(|n| n.as_i64().unwrap() > 0)
        .count();
    assert_eq!(html.matches("<path class=\"status-").count(), present);

    // No household's name, id number, phone or address anywhere in the page.
    let rows = app
        .db
        .conn
        .query_all(Statement::from_string(
            app.db.backend(),
            "SELECT head_name, id_number, phone, address FROM households".to_string(),
        ))
        .await
        .unwrap();
    assert!(rows.len() > 50);
    let mut checked = 0;
    for r in rows {
        for col in ["head_name", "id_number", "phone", "address"] {
            let v: Option<String> = r.try_get("", col).unwrap();
            if let Some(v) = v.filter(|v| v.chars().count() >= 6) {
                assert!(!html.contains(&v), "{col} `{v}` is on the public page");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} values checked");

    // English on asking.
    let en = anon
        .get(app.url("/public/projects/HPDQ2?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Who is responsible for what") && en.contains("Handed over"));
    assert!(en.contains("<html lang=\"en\">"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_project_is_a_404_page_and_a_status_change_shows() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let res = anon
        .get(app.url("/public/projects/NO-SUCH"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("Không tìm thấy dự án"));

    // After a parcel is handed over the page's headline counts it.
    let handed = app
        .count("SELECT COUNT(*) FROM parcels WHERE status = 'handed_over' AND retired_at IS NULL")
        .await;
    let admin = app.login("admin").await;
    let id = app
        .count("SELECT CAST(MIN(id) AS BIGINT) FROM parcels WHERE status = 'paid'")
        .await;
    let (_, parcel) = app.get_json(&admin, &format!("/api/v1/parcels/{id}")).await;
    let res = admin
        .patch(app.url(&format!("/api/v1/parcels/{id}")))
        .header("If-Match", format!("\"{}\"", parcel["version"]))
        .json(&serde_json::json!({"status": "handed_over"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = anon
        .get(app.url("/public/projects/HPDQ2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("Đã bàn giao {} / ", vi_number(handed + 1))),
        "headline counts the new handover"
    );
}
