//! Case stages over HTTP: the legal order (422 naming the stage that must come first), legal
//! minimum periods, deadlines with days left, admin overrides (audited), enforcement refusals
//! at night, on holidays and around Tết, area scoping, per-parcel stages, the demo backfill.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use chrono::{Datelike, Duration, NaiveDate};
use common::{assert_error, TestApp};
use gpmb::legal::{self, calendar};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn parcel_in(app: &TestApp, commune: &str, land_use: &str, nth: i64) -> i64 {
    app.count(&format!(
        "SELECT CAST(p.id AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
         WHERE u.code = '{commune}' AND u.valid_to IS NOT NULL AND p.land_use = '{land_use}' AND p.retired_at IS NULL \
         ORDER BY p.id LIMIT 1 OFFSET {nth}"
    ))
    .await
}

/// A new household in Bình Thuận (member_a's area) with the given parcels and no stages.
async fn new_household(app: &TestApp, admin: &Client, parcels: &[i64]) -> i64 {
    let body = json!({
        "project": "HPDQ2", "head_name": "Phạm Văn Thử", "commune": "21043",
        "parcels": parcels.iter().map(|p| json!({"parcel_id": p})).collect::<Vec<_>>(),
    });
    let (status, h) = app.post_json(admin, "/api/v1/households", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    h["id"].as_i64().unwrap()
}

async fn record(
    app: &TestApp,
    client: &Client,
    household: i64,
    body: Value,
) -> (StatusCode, Value) {
    app.post_json(
        client,
        &format!("/api/v1/households/{household}/stages"),
        &body,
    )
    .await
}

fn stage(name: &str, on: NaiveDate) -> Value {
    json!({"stage": name, "occurred_on": on, "document_no": "12/QĐ-UBND", "note": "thử"})
}

fn date(v: &Value) -> NaiveDate {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {v}"))
}

#[tokio::test]
async fn stages_follow_the_legal_order_with_deadlines() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let parcel = parcel_in(&app, "21043", "LUC", 0).await;
    let h = new_household(&app, &admin, &[parcel]).await;
    let today = legal::today_vn();
    // A fixed year, all under the rules of 2025 (30 days of posting, 90 of notice): dates
    // relative to today would cross into 2026's shorter periods as time goes by.
    let base = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();

    // Nothing recorded: the recovery decision needs the plan approved first.
    let (status, body) = record(&app, &member_a, h, stage("recovery_decision", base)).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "stage_prerequisite_missing");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("`plan_approved` must be recorded before `recovery_decision`"),
        "{msg}"
    );
    assert_eq!(
        body["error"]["details"]["rule"]["article"],
        "LĐĐ 2024 Điều 87(5)"
    );

    // The legal order, recorded by the member of the area.
    for (name, day) in [
        ("briefing", 0),
        ("notice", 3),
        ("inventory", 20),
        ("plan_posted", 40),
    ] {
        let (status, ev) =
            record(&app, &member_a, h, stage(name, base + Duration::days(day))).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {ev}");
        assert_eq!(ev["stage"], name);
        assert_eq!(ev["recorded_by"], "member_a");
        // Histories show people by name, not by login.
        let name = ev["recorded_by_name"].as_str().unwrap_or_default();
        assert!(!name.is_empty() && name != "member_a", "{ev}");
        assert_eq!(ev["overridden"], false);
    }
    // The notice starts the 12-month deadline for the decision.
    let (_, case) = app
        .get_json(&member_a, &format!("/api/v1/households/{h}/case"))
        .await;
    let notice = case["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["stage"] == "notice")
        .unwrap()
        .clone();
    assert_eq!(notice["due_stage"], "recovery_decision");
    assert_eq!(
        date(&notice["due_on"]),
        calendar::term_end_months(base + Duration::days(3), 12)
    );

    // Approval before the 30 days of posting: refused, with the rule.
    let (status, body) = record(
        &app,
        &member_a,
        h,
        stage("plan_approved", base + Duration::days(50)),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "stage_too_early");
    assert_eq!(body["error"]["details"]["rule"]["code"], "plan_posting");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&(base + Duration::days(70)).to_string()));

    let approved = base + Duration::days(71);
    let (status, ev) = record(&app, &member_a, h, stage("plan_approved", approved)).await;
    assert_eq!(status, StatusCode::CREATED, "{ev}");
    let decision_due = calendar::term_end(approved, 10);
    assert_eq!(ev["due_stage"], "recovery_decision");
    assert_eq!(date(&ev["due_on"]), decision_due);

    // The case: next stage, its deadline, days left (negative: overdue) and the article.
    let (status, case) = app
        .get_json(&member_a, &format!("/api/v1/households/{h}/case"))
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["current_stage"], "plan_approved");
    assert_eq!(case["land_kind"], "agricultural");
    assert_eq!(case["next"]["stage"], "recovery_decision");
    assert_eq!(date(&case["next"]["due_on"]), decision_due);
    assert_eq!(case["next"]["days_left"], (decision_due - today).num_days());
    assert_eq!(case["next"]["overdue"], true);
    assert_eq!(case["next"]["rule"]["article"], "LĐĐ 2024 Điều 87(5)");
    let stages: Vec<&str> = case["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "briefing",
            "notice",
            "inventory",
            "plan_posted",
            "plan_approved"
        ]
    );
    assert_eq!(case["stages"][1]["document_no"], "12/QĐ-UBND");

    // The decision less than 90 days after the notice (agricultural land): refused.
    let (status, body) = record(
        &app,
        &member_a,
        h,
        stage("recovery_decision", base + Duration::days(80)),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["details"]["rule"]["code"],
        "notice_min_agricultural"
    );
    let (status, ev) = record(
        &app,
        &member_a,
        h,
        stage("recovery_decision", base + Duration::days(93)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ev}");
    // Payment is due 30 days after the approval, not after the decision.
    assert_eq!(ev["due_stage"], "paid");
    assert_eq!(date(&ev["due_on"]), calendar::term_end(approved, 30));
    let (_, case) = app
        .get_json(&member_a, &format!("/api/v1/households/{h}/case"))
        .await;
    assert_eq!(case["next"]["stage"], "paid");
    assert_eq!(
        case["open_deadlines"].as_array().unwrap().len(),
        1,
        "{case}"
    );
    assert_eq!(
        case["open_deadlines"][0]["rule"]["code"],
        "payment_after_approval"
    );

    // The same stage twice: 409; a stage in the future: 422.
    let (status, body) = record(
        &app,
        &member_a,
        h,
        stage("inventory", base + Duration::days(100)),
    )
    .await;
    assert_error(status, &body, StatusCode::CONFLICT);
    let (status, body) = record(&app, &member_a, h, stage("paid", today + Duration::days(1))).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);

    // Leaders read but do not record; another area gets 404.
    let leader = app.login("leader").await;
    let (status, _) = app
        .get_json(&leader, &format!("/api/v1/households/{h}/case"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = record(&app, &leader, h, stage("paid", today)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    let member_b = app.login("member_b").await;
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/households/{h}/case"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = record(&app, &member_b, h, stage("paid", today)).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);

    // Every write was audited with its author.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'case_stage' AND action = 'create' AND actor = 'user:member_a'").await,
        6
    );
}

/// Records the legal order up to the plan's approval for `h`, the notice on `notice`, the
/// plan posted 9 days later and approved once its posting period ran.
async fn noticed_and_approved(app: &TestApp, client: &Client, h: i64, notice: NaiveDate) {
    let posted = notice + Duration::days(9);
    for (name, on) in [
        ("briefing", notice - Duration::days(5)),
        ("notice", notice),
        ("inventory", notice + Duration::days(4)),
        ("plan_posted", posted),
        ("plan_approved", legal::stages::plan_approvable_from(posted)),
    ] {
        let (status, ev) = record(app, client, h, stage(name, on)).await;
        assert_eq!(status, StatusCode::CREATED, "{name} on {on}: {ev}");
    }
}

#[tokio::test]
async fn the_notice_minimum_is_the_one_in_force_on_the_notice_date() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();

    // Agricultural land noticed in 2026: 60 days (Resolution 254/2025/QH15 Art. 3(9)).
    let h2026 = new_household(&app, &admin, &[parcel_in(&app, "21043", "LUC", 6).await]).await;
    let notice = d(2026, 3, 2);
    noticed_and_approved(&app, &member_a, h2026, notice).await;
    let (status, body) = record(
        &app,
        &member_a,
        h2026,
        stage("recovery_decision", notice + Duration::days(59)),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let rule = &body["error"]["details"]["rule"];
    assert_eq!(rule["code"], "notice_min_agricultural_2026", "{body}");
    assert_eq!(rule["article"], "Nghị quyết 254/2025/QH15 Điều 3(9)");
    assert_eq!(rule["valid_from"], "2026-01-01");
    assert_eq!(rule["valid_until"], Value::Null);
    assert_eq!(
        date(&body["error"]["details"]["earliest"]),
        notice + Duration::days(60)
    );
    let (status, ev) = record(
        &app,
        &member_a,
        h2026,
        stage("recovery_decision", notice + Duration::days(61)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ev}");

    // The same 61 days after a notice of 2025: refused, the 90 days of the Land Law.
    let h2025 = new_household(&app, &admin, &[parcel_in(&app, "21043", "LUC", 7).await]).await;
    let notice = d(2025, 10, 6);
    noticed_and_approved(&app, &member_a, h2025, notice).await;
    let (status, body) = record(
        &app,
        &member_a,
        h2025,
        stage("recovery_decision", notice + Duration::days(61)),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "stage_too_early");
    let rule = &body["error"]["details"]["rule"];
    assert_eq!(rule["code"], "notice_min_agricultural", "{body}");
    assert_eq!(rule["article"], "LĐĐ 2024 Điều 85(1),(2),(5)");
    assert_eq!(rule["valid_until"], "2025-12-31");
    assert_eq!(
        date(&body["error"]["details"]["earliest"]),
        notice + Duration::days(90)
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("LĐĐ 2024 Điều 85(1),(2),(5)"), "{message}");
    assert!(
        message.contains(&(notice + Duration::days(90)).to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn admin_override_is_audited_and_members_cannot_override() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let parcel = parcel_in(&app, "21043", "LUC", 1).await;
    let h = new_household(&app, &admin, &[parcel]).await;
    let on = legal::today_vn() - Duration::days(30);
    let mut body = stage("notice", on);
    body["override"] = json!(true);
    body["override_reason"] = json!("Họp phổ biến đã tổ chức chung toàn dự án, biên bản số 3");

    let (status, err) = record(&app, &member_a, h, body.clone()).await;
    assert_error(status, &err, StatusCode::FORBIDDEN);
    let (status, err) = record(
        &app,
        &admin,
        h,
        json!({"stage": "notice", "occurred_on": on, "override": true}),
    )
    .await;
    assert_error(status, &err, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "override_reason_required");

    let (status, ev) = record(&app, &admin, h, body).await;
    assert_eq!(status, StatusCode::CREATED, "{ev}");
    assert_eq!(ev["overridden"], true);
    assert!(ev["override_reason"]
        .as_str()
        .unwrap()
        .contains("biên bản số 3"));
    let (status, audit) = app
        .get_json(
            &admin,
            &format!(
                "/api/v1/audit?entity=case_stage&action=override&entity_id={}",
                ev["id"]
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let item = &audit["items"][0];
    assert_eq!(item["actor"], "user:admin");
    assert!(
        item["detail"]["reason"]
            .as_str()
            .unwrap()
            .contains("biên bản số 3"),
        "{item}"
    );
    assert_eq!(item["detail"]["rule"], "briefing_first");

    // Without a violation, an override flag changes nothing: stored as not overridden.
    let mut body = stage("inventory", on + Duration::days(1));
    body["override"] = json!(true);
    body["override_reason"] = json!("không cần");
    let (status, ev) = record(&app, &admin, h, body).await;
    assert_eq!(status, StatusCode::CREATED, "{ev}");
    assert_eq!(ev["overridden"], false);
}

/// A future weekday open to enforcement, at least `from` days ahead.
fn open_day(from: i64) -> NaiveDate {
    let mut d = legal::today_vn() + Duration::days(from);
    while legal::is_enforcement_allowed(d.and_hms_opt(9, 0, 0).unwrap()).is_err() {
        d += Duration::days(1);
    }
    d
}

fn enforcement(at: &str, on: NaiveDate) -> Value {
    json!({"stage": "enforcement", "occurred_on": on, "scheduled_at": at, "document_no": "45/QĐ-CC"})
}

#[tokio::test]
async fn enforcement_is_refused_at_night_on_holidays_and_around_tet() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let parcel = parcel_in(&app, "21043", "LUC", 2).await;
    let h = new_household(&app, &admin, &[parcel]).await;

    // At night.
    let d = open_day(20);
    let (status, body) = record(
        &app,
        &member_a,
        h,
        enforcement(&format!("{d}T22:30:00+07:00"), d),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "enforcement_not_allowed");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("22:00 to 06:00"));
    assert_eq!(
        body["error"]["details"]["rule"]["code"],
        "enforcement_hours"
    );
    let next = date(&body["error"]["details"]["next_allowed_date"]);
    assert!(next > d && legal::is_enforcement_allowed(next.and_hms_opt(8, 0, 0).unwrap()).is_ok());

    // On National Day next year.
    let year = legal::today_vn().year() + 1;
    let national = NaiveDate::from_ymd_opt(year, 9, 2).unwrap();
    let (status, body) = record(
        &app,
        &member_a,
        h,
        enforcement(&format!("{national}T09:00:00+07:00"), national),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("public holiday"),
        "{body}"
    );

    // Within 15 days of Tết, for the next two Tết: the nearest allowed date is after the
    // quiet period.
    for y in [year, year + 1] {
        let tet = legal::tet(y).unwrap();
        let (_, end) = calendar::tet_quiet_period(y).unwrap();
        for day in [tet - Duration::days(10), tet, tet + Duration::days(15)] {
            let (status, body) = record(
                &app,
                &member_a,
                h,
                enforcement(&format!("{day}T09:00:00+07:00"), day),
            )
            .await;
            assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                body["error"]["details"]["rule"]["code"], "enforcement_tet",
                "{day}: {body}"
            );
            assert!(body["error"]["message"].as_str().unwrap().contains("Tết"));
            assert_eq!(
                date(&body["error"]["details"]["next_allowed_date"]),
                calendar::roll_to_working_day(end + Duration::days(1))
            );
        }
    }

    // An open day: the time is fine, but the recovery decision must come first.
    let (status, body) = record(
        &app,
        &member_a,
        h,
        enforcement(&format!("{d}T09:00:00+07:00"), d),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`recovery_decision` must be recorded before `enforcement`"));
    // An override never lifts the time rules.
    let mut night = enforcement(&format!("{d}T23:00:00+07:00"), d);
    night["override"] = json!(true);
    night["override_reason"] = json!("thử");
    let (status, _) = record(&app, &admin, h, night).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut ok = enforcement(&format!("{d}T09:00:00+07:00"), d);
    ok["override"] = json!(true);
    ok["override_reason"] = json!("Quyết định thu hồi ghi nhận trên giấy, chưa nhập");
    let (status, ev) = record(&app, &admin, h, ok).await;
    assert_eq!(status, StatusCode::CREATED, "{ev}");
    assert_eq!(ev["scheduled_at"], format!("{d}T09:00:00+07:00"));
    assert_eq!(ev["due_stage"], "handed_over");
    assert_eq!(date(&ev["due_on"]), calendar::term_end(d, 30));
}

#[tokio::test]
async fn parcels_may_move_at_their_own_pace_and_grievances_show_beside() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let p1 = parcel_in(&app, "21043", "LUC", 3).await;
    let p2 = parcel_in(&app, "21043", "LUC", 4).await;
    let h = new_household(&app, &admin, &[p1, p2]).await;
    let base = legal::today_vn() - Duration::days(200);
    for (name, day) in [("briefing", 0), ("notice", 1), ("inventory", 10)] {
        let (status, ev) =
            record(&app, &member_a, h, stage(name, base + Duration::days(day))).await;
        assert_eq!(status, StatusCode::CREATED, "{ev}");
    }
    let mut posted = stage("plan_posted", base + Duration::days(20));
    posted["parcel_id"] = json!(p1);
    let (status, ev) = record(&app, &member_a, h, posted).await;
    assert_eq!(status, StatusCode::CREATED, "{ev}");
    // Parcel 2 was not posted: its approval is refused.
    let mut approve2 = stage("plan_approved", base + Duration::days(60));
    approve2["parcel_id"] = json!(p2);
    let (status, body) = record(&app, &member_a, h, approve2).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    // A parcel of another household: 422.
    let mut foreign = stage("plan_posted", base + Duration::days(20));
    foreign["parcel_id"] = json!(parcel_in(&app, "21043", "LUC", 5).await);
    let (status, _) = record(&app, &member_a, h, foreign).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A parcel outside member_a's area answers exactly like an unknown id: 404.
    let mut answers = Vec::new();
    for p in [parcel_in(&app, "21067", "LUC", 0).await, 99_999_999] {
        let mut other = stage("plan_posted", base + Duration::days(20));
        other["parcel_id"] = json!(p);
        let (status, body) = record(&app, &member_a, h, other).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);

    // An open complaint shows beside the stage; nothing is blocked by it.
    let (status, g) = app
        .post_json(
            &member_a,
            "/api/v1/grievances",
            &json!({
            "project": "HPDQ2", "kind": "complaint", "channel": "direct",
            "received_on": legal::today_vn(), "content": "Không đồng ý giá bồi thường",
            "households": [{"household_id": h, "parcel_id": p1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let (_, case) = app
        .get_json(&member_a, &format!("/api/v1/households/{h}/case"))
        .await;
    let parcels = case["parcels"].as_array().unwrap();
    assert_eq!(parcels.len(), 1);
    assert_eq!(parcels[0]["parcel_id"], p1);
    assert_eq!(parcels[0]["current_stage"], "plan_posted");
    assert_eq!(parcels[0]["next"]["stage"], "plan_approved");
    assert_eq!(case["current_stage"], "plan_posted");
    assert_eq!(case["open_grievances"][0]["id"], g["id"]);
    let mut approve1 = stage("plan_approved", base + Duration::days(60));
    approve1["parcel_id"] = json!(p1);
    let (status, _) = record(&app, &member_a, h, approve1).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn demo_stages_carry_their_deadlines() {
    let app = TestApp::spawn().await;
    // Every stage that starts a deadline has it stored, for the alerts to query.
    let missing = app
        .count(
            "SELECT COUNT(*) FROM case_stage_events WHERE stage IN ('plan_approved', 'recovery_decision') \
             AND due_on IS NULL",
        )
        .await;
    assert_eq!(missing, 0);
    let with_due = app
        .count("SELECT COUNT(*) FROM case_stage_events WHERE due_on IS NOT NULL")
        .await;
    assert!(with_due > 0);
    // Some deadlines are overdue today, some are still running.
    let today = legal::today_vn();
    let overdue = app
        .count(&format!(
            "SELECT COUNT(*) FROM case_stage_events e WHERE e.due_on < '{today}' AND NOT EXISTS \
             (SELECT 1 FROM case_stage_events x WHERE x.household_id = e.household_id AND x.stage = e.due_stage)"
        ))
        .await;
    let running = app
        .count(&format!(
            "SELECT COUNT(*) FROM case_stage_events e WHERE e.due_on >= '{today}' AND NOT EXISTS \
             (SELECT 1 FROM case_stage_events x WHERE x.household_id = e.household_id AND x.stage = e.due_stage)"
        ))
        .await;
    assert!(
        overdue > 0 && running > 0,
        "overdue {overdue}, running {running}"
    );
    // Every notice has its briefing first, in date order.
    let unbriefed = app
        .count(
            "SELECT COUNT(*) FROM case_stage_events n WHERE n.stage = 'notice' AND NOT EXISTS \
             (SELECT 1 FROM case_stage_events b WHERE b.household_id = n.household_id AND b.stage = 'briefing' \
              AND b.occurred_on <= n.occurred_on)",
        )
        .await;
    assert_eq!(unbriefed, 0);
}

#[tokio::test]
async fn the_rules_table_and_the_legal_calendar_are_served() {
    let app = TestApp::spawn().await;
    let (status, _) = app.get_json(&app.anonymous(), "/api/v1/legal/rules").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let leader = app.login("leader").await;
    let (status, rules) = app.get_json(&leader, "/api/v1/legal/rules").await;
    assert_eq!(status, StatusCode::OK);
    let items = rules["items"].as_array().unwrap();
    assert_eq!(items.len(), legal::rules::ALL.len());
    let decision = items
        .iter()
        .find(|r| r["code"] == "decision_after_approval")
        .unwrap();
    assert_eq!(decision["article"], "LĐĐ 2024 Điều 87(5)");
    assert_eq!(decision["term"], json!({"unit": "days", "value": 10}));
    let notify = items
        .iter()
        .find(|r| r["code"] == "denunciation_notify")
        .unwrap();
    assert_eq!(notify["term"], json!({"unit": "working_days", "value": 5}));
    // A rule a later law changed is listed in every version, each with its period.
    let notice: Vec<&Value> = items
        .iter()
        .filter(|r| r["topic"] == "notice_min_agricultural")
        .collect();
    assert_eq!(notice.len(), 2, "{notice:?}");
    assert_eq!(notice[0]["code"], "notice_min_agricultural");
    assert_eq!(notice[0]["term"], json!({"unit": "days", "value": 90}));
    assert_eq!(
        (&notice[0]["valid_from"], &notice[0]["valid_until"]),
        (&Value::Null, &json!("2025-12-31"))
    );
    assert_eq!(notice[1]["term"], json!({"unit": "days", "value": 60}));
    assert_eq!(
        (&notice[1]["valid_from"], &notice[1]["valid_until"]),
        (&json!("2026-01-01"), &Value::Null)
    );
    assert_eq!(decision["valid_from"], Value::Null);

    let (status, cal) = app
        .get_json(&leader, "/api/v1/legal/calendar?year=2025")
        .await;
    assert_eq!(status, StatusCode::OK, "{cal}");
    assert_eq!(cal["tet"], "2025-01-29");
    assert_eq!(
        cal["tet_holidays"],
        json!([
            "2025-01-28",
            "2025-01-29",
            "2025-01-30",
            "2025-01-31",
            "2025-02-01"
        ])
    );
    assert!(cal["holidays"]
        .as_array()
        .unwrap()
        .contains(&json!("2025-04-07")));
    assert_eq!(cal["tet_quiet_from"], "2025-01-13");
    assert_eq!(cal["tet_quiet_to"], "2025-02-16");
    let (status, cal) = app
        .get_json(&leader, "/api/v1/legal/calendar?year=1985")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cal["tet"], "1985-01-21");
    let (status, body) = app
        .get_json(&leader, "/api/v1/legal/calendar?year=3000")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn refusals_carry_their_facts_for_a_translated_message() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let member_a = app.login("member_a").await;
    let parcel = parcel_in(&app, "21043", "LUC", 3).await;
    let h = new_household(&app, &admin, &[parcel]).await;
    let today = legal::today_vn();

    // Missing prerequisite: the stage, the one needed first, the rule, the field.
    let (status, body) = record(&app, &member_a, h, stage("inventory", today)).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "stage_prerequisite_missing");
    let d = &body["error"]["details"];
    assert_eq!(d["stage"], "inventory");
    assert_eq!(d["needs"], "notice");
    assert_eq!(d["field"], "stage");
    assert!(
        d["rule"]["article"].as_str().unwrap().contains("Điều"),
        "{body}"
    );

    // Dated before its prerequisite: the date it was recorded.
    let (status, _) = record(
        &app,
        &member_a,
        h,
        stage("briefing", today - Duration::days(5)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = record(
        &app,
        &member_a,
        h,
        stage("notice", today - Duration::days(9)),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "stage_before_prerequisite");
    assert_eq!(body["error"]["details"]["needs"], "briefing");
    assert_eq!(
        date(&body["error"]["details"]["needs_on"]),
        today - Duration::days(5)
    );
    assert_eq!(body["error"]["details"]["field"], "occurred_on");

    // Enforcement at night: the nearest allowed date and time.
    let d = open_day(20);
    let (status, body) = record(
        &app,
        &member_a,
        h,
        enforcement(&format!("{d}T23:00:00+07:00"), d),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "enforcement_not_allowed");
    assert!(
        body["error"]["details"]["next_allowed_time"].is_string(),
        "{body}"
    );
    assert!(
        body["error"]["details"]["next_allowed_date"].is_string(),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["field"], "occurred_on");
    // Nothing stored by the refusals.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM case_stage_events WHERE household_id = {h}"
        ))
        .await,
        1
    );
}
