//! Parcels over HTTP: listing (filters, cursor pages, GeoJSON), area scoping, PATCH with
//! If-Match (no lost updates), history, progress counters and all-or-nothing imports.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use std::collections::HashSet;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PARCELS: &str = "/api/v1/projects/HPDQ2/parcels";

async fn project_parcels(app: &TestApp, extra: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
         LEFT JOIN admin_units s ON s.id = u.successor_id \
         WHERE p.project_id = (SELECT id FROM projects WHERE code = 'HPDQ2') AND p.retired_at IS NULL {extra}"
    ))
    .await
}

/// Every page of the parcel list, following `next_cursor`; returns the items.
async fn walk(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    app.all_pages(client, &format!("{PARCELS}?{query}")).await
}

fn ids(items: &[Value]) -> Vec<i64> {
    items
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect()
}

/// The extent of a GeoJSON geometry: [min_lon, min_lat, max_lon, max_lat].
fn extent(geometry: &Value) -> [f64; 4] {
    fn walk(v: &Value, b: &mut [f64; 4]) {
        if let Some(a) = v.as_array() {
            if a.len() >= 2 && a[0].is_number() && a[1].is_number() {
                let (x, y) = (a[0].as_f64().unwrap_or(0.0), a[1].as_f64().unwrap_or(0.0));
                b[0] = b[0].min(x);
                b[1] = b[1].min(y);
                b[2] = b[2].max(x);
                b[3] = b[3].max(y);
            } else {
                for x in a {
                    walk(x, b);
                }
            }
        }
    }
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    walk(&geometry["coordinates"], &mut b);
    assert!(b[0].is_finite(), "no coordinates in {geometry}");
    b
}

fn overlaps(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

async fn patch(
    app: &TestApp,
    client: &Client,
    id: i64,
    if_match: Option<&str>,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let mut req = client
        .patch(app.url(&format!("/api/v1/parcels/{id}")))
        .json(body);
    if let Some(m) = if_match {
        req = req.header("If-Match", m);
    }
    let res = req.send().await.expect("request");
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (status, body) = json_of(res).await;
    (status, etag, body)
}

async fn get_parcel(
    app: &TestApp,
    client: &Client,
    id: i64,
) -> (StatusCode, Option<String>, Value) {
    let res = client
        .get(app.url(&format!("/api/v1/parcels/{id}")))
        .send()
        .await
        .expect("request");
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (status, body) = json_of(res).await;
    (status, etag, body)
}

async fn parcel_in(app: &TestApp, commune_code: &str, status: Option<&str>) -> i64 {
    let status_cond = status
        .map(|s| format!("AND p.status = '{s}'"))
        .unwrap_or_default();
    app.count(&format!(
        "SELECT CAST(MIN(p.id) AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
         WHERE u.code = '{commune_code}' AND p.retired_at IS NULL {status_cond}"
    ))
    .await
}

async fn by_status(app: &TestApp, client: &Client) -> Value {
    let (status, p) = app
        .get_json(client, "/api/v1/projects/HPDQ2/progress")
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    p["parcels"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_pages_walk_every_parcel_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let items = walk(&app, &admin, "limit=50").await;
    let all = ids(&items);
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "duplicates across pages");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ids ascending");
    assert_eq!(all.len() as i64, project_parcels(&app, "").await);
    assert!(all.len() > 50, "several pages walked");

    let first = &items[0];
    for key in [
        "id",
        "project",
        "map_sheet",
        "parcel_no",
        "land_use",
        "area_m2",
        "recovered_area_m2",
        "source_crs",
        "status",
        "version",
        "updated_at",
    ] {
        assert!(!first[key].is_null(), "{key} missing in {first}");
    }
    assert_eq!(first["project"], "HPDQ2");
    assert!(
        first["commune"]["id"].is_i64()
            && first["commune"]["code"].is_string()
            && first["commune"]["name"].is_string()
    );
    assert!(
        first["geometry"]["type"] == "Polygon" || first["geometry"]["type"] == "MultiPolygon",
        "{first}"
    );
    assert!(first
        .as_object()
        .expect("object")
        .contains_key("parent_parcel"));
    assert!(
        chrono::DateTime::parse_from_rfc3339(first["updated_at"].as_str().expect("text")).is_ok()
    );

    // Bad query strings are 4xx envelopes.
    for bad in [
        "limit=501",
        "limit=0",
        "cursor=nonsense!",
        "status=finished",
        "bbox=1,2,3",
        "bbox=108.9,15.3,108.8,15.4",
    ] {
        let (status, body) = app.get_json(&admin, &format!("{PARCELS}?{bad}")).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {status} {body}"
        );
        assert_error(status, &body, status);
    }
    let (status, body) = app.get_json(&admin, "/api/v1/projects/NOPE/parcels").await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app.get_json(&app.anonymous(), PARCELS).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_by_bbox_status_and_commune() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;

    // bbox: a box around the first parcel.
    let (_, page) = app.get_json(&leader, &format!("{PARCELS}?limit=1")).await;
    let first = &page["items"][0];
    let e = extent(&first["geometry"]);
    let bx = [e[0] - 0.002, e[1] - 0.002, e[2] + 0.002, e[3] + 0.002];
    let q = format!("bbox={},{},{},{}&limit=500", bx[0], bx[1], bx[2], bx[3]);
    let items = walk(&app, &leader, &q).await;
    assert!(ids(&items).contains(&first["id"].as_i64().expect("id")));
    for it in &items {
        assert!(
            overlaps(extent(&it["geometry"]), bx),
            "{} outside {bx:?}",
            it["id"]
        );
    }
    let expected = project_parcels(
        &app,
        &format!(
            "AND p.min_lon <= {} AND p.max_lon >= {} AND p.min_lat <= {} AND p.max_lat >= {}",
            bx[2], bx[0], bx[3], bx[1]
        ),
    )
    .await;
    assert_eq!(items.len() as i64, expected);
    assert!(
        (items.len() as i64) < project_parcels(&app, "").await,
        "the box is a real filter"
    );
    let far = walk(&app, &leader, "bbox=104.0,10.0,104.1,10.1").await;
    assert!(far.is_empty(), "nothing near Cà Mau: {far:?}");

    // status
    let agreed = walk(&app, &leader, "status=agreed&limit=500").await;
    assert!(agreed.iter().all(|i| i["status"] == "agreed"));
    assert_eq!(
        agreed.len() as i64,
        project_parcels(&app, "AND p.status = 'agreed'").await
    );
    assert!(!agreed.is_empty());
    let two = walk(&app, &leader, "status=agreed,paid&limit=500").await;
    assert_eq!(
        two.len() as i64,
        project_parcels(&app, "AND p.status IN ('agreed', 'paid')").await
    );

    // commune: the legacy commune's own code…
    let bt = walk(&app, &leader, "commune=21043&limit=500").await;
    assert!(!bt.is_empty());
    assert!(
        bt.iter().all(|i| i["commune"]["code"] == "21043"),
        "only Bình Thuận"
    );
    assert_eq!(
        bt.len() as i64,
        project_parcels(&app, "AND u.code = '21043'").await
    );
    // …and the 2025 unit it merged into (Vạn Tường, 21061) covers the merged communes too.
    let vt = walk(&app, &leader, "commune=21061@2025-07-01&limit=500").await;
    assert_eq!(
        vt.len() as i64,
        project_parcels(&app, "AND (u.code = '21061' OR s.code = '21061')").await
    );
    assert!(
        vt.len() > bt.len(),
        "the merged commune has more parcels than one of its parts"
    );
    let vt_ids: HashSet<i64> = ids(&vt).into_iter().collect();
    assert!(ids(&bt).iter().all(|i| vt_ids.contains(i)));
    assert!(walk(&app, &leader, "commune=99999").await.is_empty());
    // Filters combine.
    let both = walk(&app, &leader, "commune=21043&status=agreed&limit=500").await;
    assert_eq!(
        both.len() as i64,
        project_parcels(&app, "AND u.code = '21043' AND p.status = 'agreed'").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn geojson_feature_collection_with_next_link() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let res = leader
        .get(app.url(&format!("{PARCELS}?limit=10&status=not_contacted,contacted,negotiating,agreed,paid,handed_over,objecting,in_complaint")))
        .header("Accept", "application/geo+json")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("application/geo+json"), "content type {ct}");
    let fc: Value = res.json().await.expect("json");
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().expect("features");
    assert_eq!(features.len(), 10);
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert!(f["geometry"]["type"] == "Polygon" || f["geometry"]["type"] == "MultiPolygon");
        let props = f["properties"].as_object().expect("properties");
        assert!(
            !props.contains_key("geometry"),
            "geometry not repeated in properties"
        );
        for key in [
            "id",
            "map_sheet",
            "parcel_no",
            "commune",
            "land_use",
            "area_m2",
            "status",
            "version",
        ] {
            assert!(props.contains_key(key), "{key} missing in {f}");
        }
        assert_eq!(f["id"], f["properties"]["id"]);
    }
    let cursor = fc["next_cursor"].as_str().expect("next_cursor member");
    let next = fc["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link");
    let href = next["href"].as_str().expect("href");
    assert!(href.contains(cursor) && href.contains("limit=10"), "{href}");
    // The link works and continues after the first page.
    let res = leader
        .get(href)
        .header("Accept", "application/geo+json")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let page2: Value = res.json().await.expect("json");
    let last = features[9]["id"].as_i64().expect("id");
    let f2 = page2["features"].as_array().expect("features");
    assert_eq!(f2.len(), 10);
    assert!(f2.iter().all(|f| f["id"].as_i64().expect("id") > last));
    // Plain JSON without the header.
    let (status, page) = app.get_json(&leader, &format!("{PARCELS}?limit=10")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].is_array() && page.get("type").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_see_and_change_only_their_area() {
    let app = TestApp::spawn().await;
    let member_a = app.login("member_a").await;
    let items = walk(&app, &member_a, "limit=500").await;
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|i| i["commune"]["code"] == "21043"),
        "member_a sees only Bình Thuận"
    );
    assert_eq!(
        items.len() as i64,
        project_parcels(&app, "AND u.code = '21043'").await
    );
    // Asking for another commune gives nothing, not the other commune's parcels.
    assert!(walk(&app, &member_a, "commune=21067").await.is_empty());

    let foreign = parcel_in(&app, "21067", None).await;
    let (status, _, body) = get_parcel(&app, &member_a, foreign).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app
        .get_json(&member_a, &format!("/api/v1/parcels/{foreign}/history"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let version_before = app
        .count(&format!(
            "SELECT CAST(version AS BIGINT) FROM parcels WHERE id = {foreign}"
        ))
        .await;
    let (status, _, body) = patch(
        &app,
        &member_a,
        foreign,
        Some(&format!("\"{version_before}\"")),
        &json!({"status": "objecting"}),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(version AS BIGINT) FROM parcels WHERE id = {foreign}"
        ))
        .await,
        version_before
    );

    // Their own parcel they may change.
    let own = parcel_in(&app, "21043", None).await;
    let (status, etag, p) = get_parcel(&app, &member_a, own).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let target = if p["status"] == "objecting" {
        "negotiating"
    } else {
        "objecting"
    };
    let (status, _, body) = patch(
        &app,
        &member_a,
        own,
        etag.as_deref(),
        &json!({"status": target, "reason": "hộ chưa đồng ý đơn giá"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], target);

    // member_b sees Bình Hải, not Bình Thuận.
    let member_b = app.login("member_b").await;
    let (status, _, body) = get_parcel(&app, &member_b, own).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, _, p) = get_parcel(&app, &member_b, foreign).await;
    assert_eq!(status, StatusCode::OK, "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_moves_status_version_history_and_counters() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let id = app
        .count(
            "SELECT CAST(MIN(p.id) AS BIGINT) FROM parcels p JOIN admin_units u ON u.id = p.commune_id \
             WHERE u.code = '21049' AND p.status NOT IN ('agreed', 'paid') AND p.retired_at IS NULL",
        )
        .await;
    let (status, etag, before) = get_parcel(&app, &admin, id).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let from = before["status"].as_str().expect("status").to_string();
    let v = before["version"].as_i64().expect("version");
    assert_eq!(etag.as_deref(), Some(format!("\"{v}\"").as_str()));
    let events_before = app
        .get_json(&admin, &format!("/api/v1/parcels/{id}/history"))
        .await
        .1["items"]
        .as_array()
        .expect("items")
        .len();
    let progress_before = by_status(&app, &admin).await;
    let audit_before = app
        .count("SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel'")
        .await;

    // Missing If-Match: 428, nothing changes.
    let (status, _, body) = patch(&app, &admin, id, None, &json!({"status": "agreed"})).await;
    assert_error(status, &body, StatusCode::PRECONDITION_REQUIRED);
    // Unknown fields and statuses are refused.
    let (status, _, body) = patch(
        &app,
        &admin,
        id,
        Some(&v.to_string()),
        &json!({"status": "agreed", "colour": "red"}),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, body) = patch(
        &app,
        &admin,
        id,
        Some(&v.to_string()),
        &json!({"status": "finished"}),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, body) =
        patch(&app, &admin, id, Some("abc"), &json!({"status": "agreed"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(version AS BIGINT) FROM parcels WHERE id = {id}"
        ))
        .await,
        v
    );

    // The weak form of the ETag is accepted.
    let (status, etag, after) = patch(
        &app,
        &admin,
        id,
        Some(&format!("W/\"{v}\"")),
        &json!({"status": "agreed", "land_use": "CLN", "reason": "đồng ý phương án bồi thường", "note": "họp dân 12/03"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["version"].as_i64(), Some(v + 1));
    assert_eq!(after["status"], "agreed");
    assert_eq!(after["land_use"], "CLN");
    assert_eq!(etag.as_deref(), Some(format!("\"{}\"", v + 1).as_str()));
    let (_, etag, fresh) = get_parcel(&app, &admin, id).await;
    assert_eq!(fresh["version"].as_i64(), Some(v + 1));
    assert_eq!(etag.as_deref(), Some(format!("\"{}\"", v + 1).as_str()));

    // History: oldest first, the new event last.
    let (status, h) = app
        .get_json(&admin, &format!("/api/v1/parcels/{id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK, "{h}");
    let events = h["items"].as_array().expect("items");
    assert_eq!(events.len(), events_before + 1);
    assert!(h["next_cursor"].is_null());
    let last = &events[events.len() - 1];
    assert_eq!(last["from"], from.as_str());
    assert_eq!(last["to"], "agreed");
    assert_eq!(last["reason"], "đồng ý phương án bồi thường");
    assert_eq!(last["actor"], "user:admin");
    assert!(chrono::DateTime::parse_from_rfc3339(last["at"].as_str().expect("at")).is_ok());
    let ats: Vec<_> = events
        .iter()
        .map(|e| {
            chrono::DateTime::parse_from_rfc3339(e["at"].as_str().expect("at")).expect("rfc3339")
        })
        .collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "oldest first");

    // Progress counters moved by one parcel.
    let progress_after = by_status(&app, &admin).await;
    let n = |p: &Value, s: &str| p["by_status"][s].as_i64().expect("count");
    assert_eq!(n(&progress_after, &from), n(&progress_before, &from) - 1);
    assert_eq!(
        n(&progress_after, "agreed"),
        n(&progress_before, "agreed") + 1
    );
    assert_eq!(progress_after["total"], progress_before["total"]);
    for s in [
        "not_contacted",
        "contacted",
        "negotiating",
        "paid",
        "handed_over",
        "objecting",
        "in_complaint",
    ] {
        if s != from {
            assert_eq!(n(&progress_after, s), n(&progress_before, s), "{s}");
        }
    }

    // Audited, with the land-use change.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel'")
            .await,
        audit_before + 1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel' AND action = 'update' AND entity_id = '{id}' \
             AND detail LIKE '%land_use%' AND detail LIKE '%CLN%'"
        ))
        .await,
        1
    );
    let metrics = app
        .anonymous()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("gpmb_parcel_updates_total 1"), "{metrics}");

    // A stale version: 409 with the current version, nothing changed.
    let (status, _, body) = patch(
        &app,
        &admin,
        id,
        Some(&format!("\"{v}\"")),
        &json!({"status": "paid"}),
    )
    .await;
    assert_error(status, &body, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "version_conflict");
    assert_eq!(
        body["error"]["details"]["current_version"].as_i64(),
        Some(v + 1)
    );
    let (_, _, unchanged) = get_parcel(&app, &admin, id).await;
    assert_eq!(unchanged["status"], "agreed");
    assert_eq!(unchanged["version"].as_i64(), Some(v + 1));
    assert_eq!(by_status(&app, &admin).await, progress_after);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel'")
            .await,
        audit_before + 1
    );

    // Counters still agree with the table.
    for s in [from.as_str(), "agreed"] {
        assert_eq!(
            n(&progress_after, s),
            project_parcels(&app, &format!("AND p.status = '{s}'")).await,
            "{s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_with_one_version_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let id = parcel_in(&app, "21073", None).await;
    let (_, etag, p) = get_parcel(&app, &admin, id).await;
    let etag = etag.expect("etag");
    let v = p["version"].as_i64().expect("version");
    let events_before = app
        .count(&format!(
            "SELECT COUNT(*) FROM parcel_status_events WHERE parcel_id = {id}"
        ))
        .await;
    let targets = [
        "objecting",
        "in_complaint",
        "contacted",
        "paid",
        "handed_over",
        "negotiating",
        "agreed",
        "not_contacted",
    ];
    let futures = targets.iter().filter(|t| p["status"] != **t).map(|t| {
        let client = admin.clone();
        let url = app.url(&format!("/api/v1/parcels/{id}"));
        let etag = etag.clone();
        let body = json!({"status": t, "reason": format!("concurrent {t}")});
        async move {
            client
                .patch(url)
                .header("If-Match", etag)
                .json(&body)
                .send()
                .await
                .expect("request")
                .status()
        }
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(futures).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let conflict = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!(ok, 1, "{statuses:?}");
    assert_eq!(conflict, statuses.len() - 1, "{statuses:?}");
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(version AS BIGINT) FROM parcels WHERE id = {id}"
        ))
        .await,
        v + 1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM parcel_status_events WHERE parcel_id = {id}"
        ))
        .await,
        events_before + 1,
        "one status event, no lost update"
    );
    // The counters still match the table.
    let progress = by_status(&app, &admin).await;
    for (s, n) in progress["by_status"].as_object().expect("by_status") {
        assert_eq!(
            n.as_i64(),
            Some(project_parcels(&app, &format!("AND p.status = '{s}'")).await),
            "{s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_roles_and_tokens_cannot_write() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let id = parcel_in(&app, "21043", None).await;
    let (status, etag, p) = get_parcel(&app, &leader, id).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let (status, _, body) = patch(
        &app,
        &leader,
        id,
        etag.as_deref(),
        &json!({"status": "objecting"}),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post_json(
            &leader,
            PARCELS,
            &collection(vec![feature("7", "1", "21043", "LUC", square(0.0))]),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    let member = app.login("member_a").await;
    let (status, body) = app
        .post_json(
            &member,
            PARCELS,
            &collection(vec![feature("7", "1", "21043", "LUC", square(0.0))]),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(version AS BIGINT) FROM parcels WHERE id = {id}"
        ))
        .await,
        p["version"].as_i64().expect("v")
    );

    // A read token of the project reads but does not write; another project's token sees nothing.
    let (_, read) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "gis")
        .await
        .expect("token");
    let board = app.anonymous();
    let res = board
        .get(app.url(&format!("/api/v1/parcels/{id}")))
        .bearer_auth(&read)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let res = board
        .patch(app.url(&format!("/api/v1/parcels/{id}")))
        .bearer_auth(&read)
        .header("If-Match", etag.clone().unwrap_or_default())
        .json(&json!({"status": "paid"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let admin = app.login("admin").await;
    let (status, body) = app
        .post_json(
            &admin,
            "/api/v1/projects",
            &json!({"code": "DQ-CANG", "name": "Cảng Dung Quất", "investor": "Hòa Phát"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, other) = gpmb::auth::service::create_token(&app.db.conn, "DQ-CANG", true, "board")
        .await
        .expect("token");
    let res = board
        .get(app.url(PARCELS))
        .bearer_auth(&other)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = board
        .get(app.url(&format!("/api/v1/parcels/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

// ---- POST ----------------------------------------------------------------------------------

/// A ring around a point near the middle of the demo project, shifted east by `dx` degrees.
fn square(dx: f64) -> Value {
    let mp = gpmb::geo::square_parcel(108.815 + dx, 15.39, 40.0, 50.0, [0.0; 4]);
    serde_json::from_str(&gpmb::geo::to_geojson_string(&mp)).expect("geojson")
}

fn feature(sheet: &str, no: &str, commune: &str, land_use: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "geometry": geometry,
           "properties": {"map_sheet": sheet, "parcel_no": no, "commune": commune, "land_use": land_use}})
}

fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_valid_features_creates_parcels_with_areas() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let before = project_parcels(&app, "").await;
    let progress_before = by_status(&app, &admin).await;
    let audit_before = app
        .count("SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel' AND action = 'create'")
        .await;
    let parent = parcel_in(&app, "21043", None).await;

    let mut second = feature("T99", "2", "21043", "ONT", square(0.001));
    second["properties"]["status"] = json!("contacted");
    second["properties"]["parent_parcel"] = json!(parent);
    let body = collection(vec![
        feature("T99", "1", "21043", "LUC", square(0.0)),
        second,
    ]);
    let (status, created) = app.post_json(&admin, PARCELS, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let items = created["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);

    let (_, project) = app.get_json(&admin, "/api/v1/projects/HPDQ2").await;
    let boundary = gpmb::geo::parse_geometry(&project["boundary"]).expect("boundary");
    for (item, dx) in items.iter().zip([0.0, 0.001]) {
        let area = item["area_m2"].as_f64().expect("area");
        assert!(
            (area - 2000.0).abs() < 20.0,
            "40 m × 50 m ≈ 2000 m², got {area}"
        );
        let expected = gpmb::geo::recovered_area_m2(
            &gpmb::geo::parse_geometry(&square(dx)).expect("g"),
            Some(&boundary),
        );
        let recovered = item["recovered_area_m2"].as_f64().expect("recovered");
        assert!(
            (recovered - expected).abs() < 0.01,
            "recovered {recovered} vs {expected}"
        );
        assert!(recovered <= area + 1e-6);
        assert_eq!(item["version"], 1);
        assert_eq!(item["source_crs"], "EPSG:4326");
        assert_eq!(item["commune"]["code"], "21043");
        assert_eq!(item["project"], "HPDQ2");
        assert_eq!(item["geometry"]["type"], "Polygon");
    }
    assert_eq!(items[0]["status"], "not_contacted");
    assert_eq!(items[0]["land_use"], "LUC");
    assert!(items[0]["parent_parcel"].is_null());
    assert_eq!(items[1]["status"], "contacted");
    assert_eq!(items[1]["parent_parcel"].as_i64(), Some(parent));
    let new_id = items[1]["id"].as_i64().expect("id");
    // Stored: bbox columns, lineage, the first status event, counters, audit.
    assert_eq!(project_parcels(&app, "").await, before + 2);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM parcel_lineage WHERE parcel_id = {new_id} AND parent_id = {parent}")).await, 1);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM parcels WHERE id = {new_id} AND min_lon < 108.816 AND max_lon > 108.816 AND min_lat < 15.39 AND max_lat > 15.39")).await,
        1
    );
    let (_, h) = app
        .get_json(&admin, &format!("/api/v1/parcels/{new_id}/history"))
        .await;
    assert_eq!(h["items"].as_array().expect("items").len(), 1);
    assert!(h["items"][0]["from"].is_null());
    assert_eq!(h["items"][0]["to"], "contacted");
    assert_eq!(h["items"][0]["reason"], "created");
    let progress = by_status(&app, &admin).await;
    let n = |p: &Value, s: &str| p["by_status"][s].as_i64().expect("count");
    assert_eq!(
        progress["total"].as_i64(),
        progress_before["total"].as_i64().map(|t| t + 2)
    );
    assert_eq!(
        n(&progress, "not_contacted"),
        n(&progress_before, "not_contacted") + 1
    );
    assert_eq!(
        n(&progress, "contacted"),
        n(&progress_before, "contacted") + 1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel' AND action = 'create'"
        )
        .await,
        audit_before + 2
    );
    // The new parcels show in the bbox filter.
    let (_, page) = app
        .get_json(
            &admin,
            &format!("{PARCELS}?bbox=108.8149,15.3899,108.8151,15.3901&limit=500"),
        )
        .await;
    assert!(ids(page["items"].as_array().expect("items"))
        .contains(&items[0]["id"].as_i64().expect("id")));

    // The same key again is refused, and nothing is stored.
    let (status, again) = app
        .post_json(
            &admin,
            PARCELS,
            &collection(vec![feature("T99", "1", "21043", "LUC", square(0.0))]),
        )
        .await;
    assert_error(status, &again, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        again["error"]["details"]["features"][0]["code"],
        "duplicate_parcel"
    );
    // A single Feature is accepted too; a project-board write token may post.
    let (_, secret) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", true, "ban qlda")
        .await
        .expect("token");
    let res = app
        .anonymous()
        .post(app.url(PARCELS))
        .bearer_auth(&secret)
        .json(&feature("T99", "3", "21043", "CLN", square(0.002)))
        .send()
        .await
        .expect("request");
    let (status, one) = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{one}");
    assert_eq!(one["items"][0]["parcel_no"], "3");
    assert_eq!(project_parcels(&app, "").await, before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_features_are_all_listed_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let parcels_before = app.count("SELECT COUNT(*) FROM parcels").await;
    let events_before = app.count("SELECT COUNT(*) FROM parcel_status_events").await;
    let audit_before = app
        .count("SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel'")
        .await;
    let progress_before = by_status(&app, &admin).await;

    let bow_tie = json!({"type": "Polygon", "coordinates": [[[108.80, 15.35], [108.81, 15.36], [108.81, 15.35], [108.80, 15.36], [108.80, 15.35]]]});
    let unclosed = json!({"type": "Polygon", "coordinates": [[[108.80, 15.35], [108.801, 15.35], [108.801, 15.351], [108.80, 15.351]]]});
    let projected = json!({"type": "Polygon", "coordinates": [[[590000.0, 1700000.0], [590100.0, 1700000.0], [590100.0, 1700100.0], [590000.0, 1700000.0]]]});
    let mut missing_no = feature("T98", "6", "21043", "LUC", square(0.005));
    missing_no["properties"]
        .as_object_mut()
        .expect("props")
        .remove("parcel_no");
    let features = vec![
        feature("T98", "1", "21043", "LUC", square(0.0)), // valid
        feature("T98", "2", "21043", "LUC", bow_tie),
        feature("T98", "3", "21043", "LUC", unclosed),
        feature("T98", "4", "21043", "LUC", projected),
        feature("T98", "5", "21043", "XYZ", square(0.004)),
        missing_no,
        feature("T98", "7", "21043", "ONT", square(0.006)), // valid
        feature("T98", "8", "00000", "ONT", square(0.007)), // unknown commune
        feature("T98", "1", "21043", "ONT", square(0.008)), // same key as feature 0
    ];
    let (status, body) = app.post_json(&admin, PARCELS, &collection(features)).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_features");
    let bad = body["error"]["details"]["features"]
        .as_array()
        .expect("details.features");
    let listed: Vec<(i64, &str)> = bad
        .iter()
        .map(|f| {
            (
                f["index"].as_i64().expect("index"),
                f["code"].as_str().expect("code"),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (1, "self_intersection"),
            (2, "ring_not_closed"),
            (3, "outside_vietnam"),
            (4, "unknown_land_use"),
            (5, "missing_parcel_no"),
            (7, "unknown_commune"),
            (8, "duplicate_in_file"),
        ],
        "{body}"
    );
    for f in bad {
        assert!(!f["reason"].as_str().unwrap_or("").is_empty(), "{f}");
        assert_eq!(f["map_sheet"], "T98");
    }
    assert_eq!(bad[1]["parcel_no"], "3");
    assert!(bad[4]["parcel_no"].is_null());

    // Nothing stored.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM parcels").await,
        parcels_before
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM parcel_status_events").await,
        events_before
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE entity = 'parcel'")
            .await,
        audit_before
    );
    assert_eq!(by_status(&app, &admin).await, progress_before);

    // Not GeoJSON at all, or an empty collection: 422 too; broken JSON is 400.
    for body in [
        json!({"type": "Point", "coordinates": [108.8, 15.3]}),
        json!({"type": "FeatureCollection", "features": []}),
        json!([1, 2]),
    ] {
        let (status, res) = app.post_json(&admin, PARCELS, &body).await;
        assert_error(status, &res, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = admin
        .post(app.url(PARCELS))
        .header("content-type", "application/json")
        .body("{\"type\": \"Feature\",")
        .send()
        .await
        .expect("request");
    let (status, res) = json_of(res).await;
    assert_error(status, &res, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM parcels").await,
        parcels_before
    );
}
