//! The dashboard API, its SVG charts, the map's helpers (stance filter, change stamp, status
//! colours) and the parcel panel, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn patch_status(app: &TestApp, client: &reqwest::Client, id: i64, status: &str) -> Value {
    let (code, parcel) = app.get_json(client, &format!("/api/v1/parcels/{id}")).await;
    assert_eq!(code, StatusCode::OK, "{parcel}");
    let res = client
        .patch(app.url(&format!("/api/v1/parcels/{id}")))
        .header("If-Match", format!("\"{}\"", parcel["version"]))
        .json(&json!({"status": status, "reason": "test"}))
        .send()
        .await
        .unwrap();
    let (code, body) = common::json_of(res).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_figures_agree_with_progress_and_charts_are_svg() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (status, d) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/dashboard")
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let (_, p) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/progress")
        .await;
    for key in [
        "parcels",
        "area_m2",
        "households",
        "by_commune",
        "by_working_group",
    ] {
        assert_eq!(d[key], p[key], "{key} as /progress gives it");
    }
    assert_eq!(
        d["parcels"]["total"].as_i64().unwrap(),
        app.count("SELECT COUNT(*) FROM parcels WHERE retired_at IS NULL")
            .await
    );
    let target = crate::common::demo_target_date().to_string();
    assert_eq!(d["project"]["target_handover_date"], target.as_str());

    // Statuses in the domain's order, each with its own colour.
    let statuses: Vec<&str> = d["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses[0], "not_contacted");
    assert_eq!(statuses[5], "handed_over");
    assert_eq!(statuses.len(), 8);
    let (_, list) = app.get_json(&leader, "/api/v1/parcel-statuses").await;
    assert_eq!(list["items"], d["statuses"]);

    // Weeks follow each other without gaps and end on the totals /progress reaches.
    let weeks = d["over_time"].as_array().unwrap();
    assert!(weeks.len() >= p["over_time"].as_array().unwrap().len());
    for pair in weeks.windows(2) {
        let a = chrono::NaiveDate::parse_from_str(pair[0]["week"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
        let b = chrono::NaiveDate::parse_from_str(pair[1]["week"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
        assert_eq!((b - a).num_days(), 7);
        for s in ["agreed", "paid", "handed_over"] {
            assert!(pair[1]["cumulative"][s].as_i64() >= pair[0]["cumulative"][s].as_i64());
        }
    }
    assert_eq!(
        weeks.last().unwrap()["cumulative"],
        p["over_time"].as_array().unwrap().last().unwrap()["cumulative"]
    );
    // Reached handover by the status events = handed-over events in the table.
    let handed_events = app
        .count("SELECT COUNT(*) FROM parcel_status_events WHERE to_status = 'handed_over'")
        .await;
    assert_eq!(
        weeks.last().unwrap()["cumulative"]["handed_over"]
            .as_i64()
            .unwrap(),
        handed_events
    );
    if let Some(proj) = d["projection"].as_object() {
        let date = proj["projected_handover_date"].as_str().unwrap();
        assert_eq!(proj["on_track"], json!(date <= target.as_str()));
    }

    // Working groups cover the communes their parcels lie in.
    let communes: Vec<&str> = d["by_commune"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for g in d["working_groups"].as_array().unwrap() {
        let covered = g["communes"].as_array().unwrap();
        assert!(
            covered
                .iter()
                .any(|c| communes.contains(&c.as_str().unwrap())),
            "{g}"
        );
    }

    // Every chart link answers SVG; the commune chart names every commune; English on asking.
    for (name, url) in d["charts"].as_object().unwrap() {
        let res = leader
            .get(app.url(url.as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{name}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml"));
        let svg = res.text().await.unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n") || svg.ends_with("</svg>"));
        if name == "by_commune" {
            for c in d["by_commune"].as_array().unwrap() {
                assert!(svg.contains(c["name"].as_str().unwrap()), "{c}");
            }
        }
    }
    let svg = leader
        .get(app.url("/api/v1/projects/HPDQ2/charts/progress.svg?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let target = crate::common::vn_date(crate::common::demo_target_date());
    assert!(svg.contains("Progress by week") && svg.contains(&format!("Target handover {target}")));
    let (status, body) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/charts/pie.svg")
        .await;
    common::assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app
        .get_json(&leader, "/api/v1/projects/NOPE/dashboard")
        .await;
    common::assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app
        .get_json(&app.anonymous(), "/api/v1/projects/HPDQ2/dashboard")
        .await;
    common::assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stance_filter_change_stamp_and_status_change_reach_the_dashboard() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let admin = app.login("admin").await;

    // The stance filter gives the parcels of households with that stance, in the caller's area.
    let (status, r) = app
        .get_json(
            &leader,
            "/api/v1/projects/HPDQ2/stance-parcels?stance=agrees",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let ids: Vec<i64> = r["parcel_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let expected = app
        .count(
            "SELECT COUNT(DISTINCT hp.parcel_id) FROM household_parcels hp \
             JOIN households h ON h.id = hp.household_id WHERE h.stance = 'agrees'",
        )
        .await;
    assert!(expected > 0);
    assert_eq!(ids.len() as i64, expected);
    let (_, none) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/stance-parcels?stance=none")
        .await;
    let unvisited = app
        .count(
            "SELECT COUNT(DISTINCT hp.parcel_id) FROM household_parcels hp \
             JOIN households h ON h.id = hp.household_id WHERE h.stance IS NULL",
        )
        .await;
    assert_eq!(
        none["parcel_ids"].as_array().unwrap().len() as i64,
        unvisited
    );
    let member = app.login("member_a").await;
    let (_, mine) = app
        .get_json(
            &member,
            "/api/v1/projects/HPDQ2/stance-parcels?stance=agrees",
        )
        .await;
    let mine = mine["parcel_ids"].as_array().unwrap();
    assert!(
        !mine.is_empty() && (mine.len() as i64) < expected,
        "area-scoped"
    );
    for id in mine {
        let (status, _) = app
            .get_json(&member, &format!("/api/v1/parcels/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "parcel {id} is in member_a's area");
    }
    let (status, body) = app
        .get_json(
            &leader,
            "/api/v1/projects/HPDQ2/stance-parcels?stance=happy",
        )
        .await;
    common::assert_error(status, &body, StatusCode::BAD_REQUEST);

    // A status change moves the change stamp and the dashboard's figures.
    let (_, before) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/changes")
        .await;
    let (_, d0) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/dashboard")
        .await;
    let id = app
        .count("SELECT CAST(MIN(id) AS BIGINT) FROM parcels WHERE status = 'not_contacted' AND retired_at IS NULL")
        .await;
    patch_status(&app, &admin, id, "handed_over").await;
    let (_, after) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/changes")
        .await;
    assert_ne!(before["stamp"], after["stamp"]);
    let (_, d1) = app
        .get_json(&leader, "/api/v1/projects/HPDQ2/dashboard")
        .await;
    let n = |d: &Value, s: &str| d["parcels"]["by_status"][s].as_i64().unwrap();
    assert_eq!(n(&d1, "handed_over"), n(&d0, "handed_over") + 1);
    assert_eq!(n(&d1, "not_contacted"), n(&d0, "not_contacted") - 1);
    let last = |d: &Value| {
        d["over_time"].as_array().unwrap().last().unwrap()["cumulative"]["handed_over"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(last(&d1), last(&d0) + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcel_panel_shows_what_the_role_may_see() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    // A parcel with a household, in member_a's area.
    let member_a = app.login("member_a").await;
    let (_, page) = app
        .get_json(&member_a, "/api/v1/projects/HPDQ2/parcels?limit=500")
        .await;
    let mut chosen = None;
    for p in page["items"].as_array().unwrap() {
        let id = p["id"].as_i64().unwrap();
        if app
            .count(&format!(
                "SELECT COUNT(*) FROM household_parcels WHERE parcel_id = {id}"
            ))
            .await
            > 0
        {
            chosen = Some(p.clone());
            break;
        }
    }
    let parcel = chosen.expect("a parcel with households in member_a's area");
    let id = parcel["id"].as_i64().unwrap();

    let (status, panel) = app
        .get_json(&leader, &format!("/api/v1/parcels/{id}/panel"))
        .await;
    assert_eq!(status, StatusCode::OK, "{panel}");
    assert_eq!(panel["parcel"]["map_sheet"], parcel["map_sheet"]);
    assert_eq!(panel["parcel"]["parcel_no"], parcel["parcel_no"]);
    assert_eq!(panel["personal_data"], true);
    let name = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db
            .conn
            .query_one(Statement::from_string(
                app.db.backend(),
                format!(
                    "SELECT h.head_name FROM households h JOIN household_parcels hp \
                     ON hp.household_id = h.id WHERE hp.parcel_id = {id} ORDER BY h.id"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<String>("", "head_name").unwrap()
    };
    assert_eq!(panel["households"][0]["head_name"], name.as_str());
    let (_, history) = app
        .get_json(&leader, &format!("/api/v1/parcels/{id}/history"))
        .await;
    assert_eq!(panel["history"], history["items"]);
    let visits = app
        .count(&format!(
            "SELECT COUNT(*) FROM visits WHERE household_id IN \
             (SELECT household_id FROM household_parcels WHERE parcel_id = {id})"
        ))
        .await;
    assert_eq!(panel["last_visit"].is_object(), visits > 0);
    let open = app
        .count(&format!(
            "SELECT COUNT(DISTINCT g.id) FROM grievances g JOIN grievance_households gh \
             ON gh.grievance_id = g.id WHERE g.resolved_on IS NULL AND (gh.parcel_id = {id} OR \
             gh.household_id IN (SELECT household_id FROM household_parcels WHERE parcel_id = {id}))"
        ))
        .await;
    assert_eq!(
        panel["open_grievances"].as_array().unwrap().len() as i64,
        open
    );
    // Reading names through the panel is audited.
    assert!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'household' AND action = 'read' \
             AND actor = 'user:leader'"
        )
        .await
            >= 1
    );

    // member_b works elsewhere: 404. A project board's token sees the parcel, no names.
    let member_b = app.login("member_b").await;
    let (status, body) = app
        .get_json(&member_b, &format!("/api/v1/parcels/{id}/panel"))
        .await;
    common::assert_error(status, &body, StatusCode::NOT_FOUND);
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "board")
        .await
        .expect("token");
    let res = app
        .anonymous()
        .get(app.url(&format!("/api/v1/parcels/{id}/panel")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (status, board) = common::json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(board["personal_data"], false);
    assert!(!board.to_string().contains(&name));
    // No household-level rows at all (16.6): with one household on a parcel, an unnamed
    // stance is still that household's. The status history stays, without who or why.
    assert_eq!(board["households"], serde_json::json!([]));
    assert!(board["last_visit"].is_null());
    assert_eq!(board["open_grievances"], serde_json::json!([]));
    assert_eq!(board["parcel"]["parcel_no"], parcel["parcel_no"]);
    let history = board["history"].as_array().unwrap();
    assert!(!history.is_empty());
    assert!(history.iter().all(|e| e["actor_name"].is_null()
        && e["reason"] == ""
        && !e["actor"].as_str().unwrap().contains(':')));
}
