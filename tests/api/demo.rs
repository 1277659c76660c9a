//! The demo lives on the day it is built (`--today`): recent visits, deadlines this week and a
//! few overdue, the target handover ahead, the current quarter with numbers.
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::TestApp;

fn pinned() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
}

fn date(v: &Value) -> NaiveDate {
    let s = v.as_str().unwrap_or_default();
    NaiveDate::parse_from_str(&s[..10.min(s.len())], "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

#[tokio::test]
async fn demo_built_on_a_pinned_day_is_a_project_in_progress() {
    let today = pinned();
    let app = TestApp::spawn_on(240, today).await;
    let leader = app.login("leader").await;

    // The project: noticed about a year ago, handover targeted about six months ahead.
    let (status, p) = app.get_json(&leader, "/api/v1/projects/HPDQ2").await;
    assert_eq!(status, StatusCode::OK);
    let notice = date(&p["notice_date"]);
    let target = date(&p["target_handover_date"]);
    assert!(
        notice < today - Duration::days(300) && notice > today - Duration::days(400),
        "{notice}"
    );
    assert!(
        target > today && target < today + Duration::days(365),
        "{target}"
    );

    // Visits: the newest within 7 days of today, none after it.
    let from = (today - Duration::days(7)).to_string();
    let (status, recent) = app
        .get_json(
            &leader,
            &format!("/api/v1/visits?from={from}&to={today}&limit=500"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    let recent = recent["items"].as_array().cloned().unwrap_or_default();
    assert!(!recent.is_empty(), "visits in the last 7 days");
    let (_, later) = app
        .get_json(
            &leader,
            &format!("/api/v1/visits?from={}&limit=10", today + Duration::days(1)),
        )
        .await;
    assert_eq!(later["items"].as_array().map(Vec::len), Some(0), "{later}");

    // Stage deadlines: some within the next 7 days, some already passed.
    let (_, households) = app
        .get_json(&leader, "/api/v1/households?project=HPDQ2&limit=500")
        .await;
    let mut due_soon = 0;
    let mut overdue = 0;
    for h in households["items"].as_array().unwrap() {
        let id = h["id"].as_i64().unwrap();
        let (status, case) = app
            .get_json(&leader, &format!("/api/v1/households/{id}/case"))
            .await;
        assert_eq!(status, StatusCode::OK);
        for d in case["open_deadlines"].as_array().unwrap() {
            let due = date(&d["due_on"]);
            if due < today {
                overdue += 1;
            } else if due <= today + Duration::days(7) {
                due_soon += 1;
            }
        }
    }
    assert!(due_soon > 0, "deadlines within the next 7 days");
    assert!(overdue > 0, "overdue deadlines");

    // The current quarter has numbers.
    let (status, stats) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/stats?period=2026-Q4")
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let totals = &stats["current"]["totals"];
    assert!(totals["visits"].as_i64().unwrap_or(0) > 0, "{totals}");
    assert!(
        totals["households_visited"].as_i64().unwrap_or(0) > 0,
        "{totals}"
    );
}
