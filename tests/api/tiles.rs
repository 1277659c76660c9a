//! Vector tiles: decoded and checked against the parcels API — layer, attributes, where each
//! feature lies, 204/304/400/404, and that a status change shows in the very next tile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::{assert_error, json_of, TestApp};
use geozero::mvt::{tile, Message, Tile};
use gpmb::auth::Principal;
use gpmb::domain::ParcelStatus;
use gpmb::geo::tiling::{lonlat_to_tile, lonlat_to_world};
use gpmb::parcels::dto::ParcelPatch;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const ALLOWED_KEYS: [&str; 7] = [
    "id",
    "status",
    "land_use",
    "map_sheet",
    "parcel_no",
    "area_m2",
    "commune",
];

/// A decoded feature: id, attributes as JSON values, rings in tile coordinates.
#[derive(Debug)]
struct Feature {
    id: u64,
    attrs: HashMap<String, Value>,
    rings: Vec<Vec<(i64, i64)>>,
}

fn value_json(v: &tile::Value) -> Value {
    if let Some(s) = &v.string_value {
        json!(s)
    } else if let Some(d) = v.double_value {
        json!(d)
    } else if let Some(f) = v.float_value {
        json!(f)
    } else if let Some(i) = v.int_value {
        json!(i)
    } else if let Some(i) = v.sint_value {
        json!(i)
    } else if let Some(u) = v.uint_value {
        json!(u)
    } else if let Some(b) = v.bool_value {
        json!(b)
    } else {
        Value::Null
    }
}

/// The MVT 2.1 geometry commands of a polygon feature → rings (closing point not repeated).
fn rings(geometry: &[u32]) -> Vec<Vec<(i64, i64)>> {
    let zigzag = |v: u32| i64::from(v >> 1) ^ -i64::from(v & 1);
    let (mut x, mut y) = (0i64, 0i64);
    let mut out: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut i = 0;
    while i < geometry.len() {
        let (cmd, count) = (geometry[i] & 7, geometry[i] >> 3);
        i += 1;
        match cmd {
            1 | 2 => {
                if cmd == 1 {
                    out.push(Vec::new());
                }
                for _ in 0..count {
                    x += zigzag(geometry[i]);
                    y += zigzag(geometry[i + 1]);
                    i += 2;
                    out.last_mut().expect("MoveTo first").push((x, y));
                }
            }
            7 => {}
            other => panic!("unknown command {other}"),
        }
    }
    out
}

fn area2(ring: &[(i64, i64)]) -> i64 {
    let mut s = 0;
    for k in 0..ring.len() {
        let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    s
}

fn decode(bytes: &[u8]) -> (tile::Layer, Vec<Feature>) {
    let tile = Tile::decode(bytes).expect("a protobuf Tile");
    assert_eq!(tile.layers.len(), 1, "one layer");
    let layer = tile.layers.into_iter().next().unwrap();
    let features = layer
        .features
        .iter()
        .map(|f| {
            assert_eq!(f.r#type(), tile::GeomType::Polygon);
            let mut attrs = HashMap::new();
            for pair in f.tags.chunks(2) {
                let key = layer.keys[pair[0] as usize].clone();
                attrs.insert(key, value_json(&layer.values[pair[1] as usize]));
            }
            Feature {
                id: f.id.expect("feature id"),
                attrs,
                rings: rings(&f.geometry),
            }
        })
        .collect();
    (layer, features)
}

/// A parcel of the demo project as the API shows it.
async fn parcel(app: &TestApp, client: &Client, id: i64) -> Value {
    let (status, body) = app.get_json(client, &format!("/api/v1/parcels/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn outer_ring(geometry: &Value) -> Vec<(f64, f64)> {
    let coords = match geometry["type"].as_str() {
        Some("Polygon") => &geometry["coordinates"][0],
        _ => &geometry["coordinates"][0][0],
    };
    coords
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
        .collect()
}

fn centre(ring: &[(f64, f64)]) -> (f64, f64) {
    let n = ring.len() as f64;
    (
        ring.iter().map(|c| c.0).sum::<f64>() / n,
        ring.iter().map(|c| c.1).sum::<f64>() / n,
    )
}

async fn get_tile(
    app: &TestApp,
    client: &Client,
    path: &str,
    if_none_match: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = client.get(app.url(path));
    if let Some(tag) = if_none_match {
        req = req.header("If-None-Match", tag);
    }
    let res = req.send().await.expect("tile request");
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.expect("body").to_vec())
}

fn tile_path_of(lon: f64, lat: f64, z: u8) -> String {
    let (x, y) = lonlat_to_tile(lon, lat, z);
    format!("/tiles/HPDQ2/{z}/{x}/{y}.mvt")
}

async fn first_parcel_id(app: &TestApp) -> i64 {
    app.count("SELECT CAST(MIN(id) AS BIGINT) FROM parcels")
        .await
}

#[tokio::test]
async fn a_parcel_is_in_its_tile_with_its_attributes_where_its_geometry_is() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let id = first_parcel_id(&app).await;
    let p = parcel(&app, &admin, id).await;
    let ring = outer_ring(&p["geometry"]);
    let (lon, lat) = centre(&ring);
    let z = 17u8;
    let (tx, ty) = lonlat_to_tile(lon, lat, z);

    // Public: no session needed (tiles hold no personal data).
    let anonymous = app.anonymous();
    let (status, headers, body) =
        get_tile(&app, &anonymous, &tile_path_of(lon, lat, z), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(headers["cache-control"], "no-cache");
    let etag = headers["etag"].to_str().unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );

    let (layer, features) = decode(&body);
    assert_eq!(layer.name, "parcels");
    assert_eq!(layer.version, 2);
    assert_eq!(layer.extent, Some(4096));
    let f = features
        .iter()
        .find(|f| f.id == id as u64)
        .expect("the parcel is in its tile");
    assert_eq!(f.attrs["id"], json!(id));
    assert_eq!(f.attrs["status"], p["status"]);
    assert_eq!(f.attrs["land_use"], p["land_use"]);
    assert_eq!(f.attrs["map_sheet"], p["map_sheet"]);
    assert_eq!(f.attrs["parcel_no"], p["parcel_no"]);
    assert_eq!(f.attrs["commune"], p["commune"]["code"]);
    let area = f.attrs["area_m2"].as_f64().unwrap();
    assert!((area - p["area_m2"].as_f64().unwrap()).abs() < 1e-6);

    // Each corner of the parcel, projected into the tile, is within a unit of a vertex of
    // the feature's exterior ring, which is wound clockwise on screen (positive area).
    let scale = f64::from(1u32 << z) * 4096.0;
    let exterior = &f.rings[0];
    assert!(area2(exterior) > 0, "exterior ring winding: {exterior:?}");
    for &(clon, clat) in &ring {
        let (wx, wy) = lonlat_to_world(clon, clat);
        let (px, py) = (
            wx * scale - f64::from(tx) * 4096.0,
            wy * scale - f64::from(ty) * 4096.0,
        );
        let nearest = exterior
            .iter()
            .map(|&(x, y)| ((x as f64 - px).powi(2) + (y as f64 - py).powi(2)).sqrt())
            .fold(f64::INFINITY, f64::min);
        assert!(nearest <= 1.0, "corner ({px:.1},{py:.1}) vs {exterior:?}");
    }
    // Nothing in the tile lies far outside it (clipped to the 64-unit buffer).
    for f in &features {
        for &(x, y) in f.rings.iter().flatten() {
            assert!(
                (-64..=4160).contains(&x) && (-64..=4160).contains(&y),
                "{x},{y}"
            );
        }
    }
}

#[tokio::test]
async fn tiles_carry_only_parcel_attributes_and_no_personal_data() {
    let app = TestApp::spawn().await;
    // A z13 tile holding the middle of the project: most demo parcels.
    let (lon, lat) = {
        let admin = app.login("admin").await;
        let id = first_parcel_id(&app).await;
        centre(&outer_ring(&parcel(&app, &admin, id).await["geometry"]))
    };
    let (status, _, body) =
        get_tile(&app, &app.anonymous(), &tile_path_of(lon, lat, 13), None).await;
    assert_eq!(status, StatusCode::OK);
    let (layer, features) = decode(&body);
    assert!(features.len() > 10, "{} features", features.len());
    let keys: BTreeSet<&str> = layer.keys.iter().map(String::as_str).collect();
    let allowed: BTreeSet<&str> = ALLOWED_KEYS.into_iter().collect();
    assert_eq!(keys, allowed);
    // Household names, id numbers and phones are not anywhere in the bytes.
    use sea_orm::{ConnectionTrait, Statement};
    let rows = app
        .db
        .conn
        .query_all(Statement::from_string(
            app.db.backend(),
            "SELECT head_name, id_number, phone, address FROM households",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    let text = String::from_utf8_lossy(&body);
    for row in rows {
        for col in ["head_name", "id_number", "phone", "address"] {
            if let Ok(Some(v)) = row.try_get::<Option<String>>("", col) {
                if v.len() >= 6 {
                    assert!(!text.contains(&v), "{col} `{v}` in a tile");
                }
            }
        }
    }
}

#[tokio::test]
async fn empty_bad_and_unknown_tiles() {
    let app = TestApp::spawn().await;
    let client = app.anonymous();
    // The Gulf of Guinea holds no parcel.
    let (status, headers, body) = get_tile(&app, &client, &tile_path_of(0.0, 0.0, 12), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_empty());
    assert_eq!(headers["cache-control"], "no-cache");

    for bad in [
        "/tiles/HPDQ2/23/0/0.mvt",
        "/tiles/HPDQ2/3/8/0.mvt",
        "/tiles/HPDQ2/3/0/8.mvt",
        "/tiles/HPDQ2/-1/0/0.mvt",
        "/tiles/HPDQ2/a/0/0.mvt",
    ] {
        let (status, body) = json_of(client.get(app.url(bad)).send().await.unwrap()).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
    }
    let (status, body) = json_of(
        client
            .get(app.url("/tiles/NOPE/12/3285/1871.mvt"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn etag_revalidates_and_changes_with_a_status_patch() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let id = first_parcel_id(&app).await;
    let p = parcel(&app, &admin, id).await;
    let (lon, lat) = centre(&outer_ring(&p["geometry"]));
    let path = tile_path_of(lon, lat, 15);
    let client = app.anonymous();

    let (status, headers, _) = get_tile(&app, &client, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, headers, body) = get_tile(&app, &client, &path, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    // An ETag of another tile does not match.
    let (status, _, _) = get_tile(&app, &client, &path, Some("\"t0000000000000001\"")).await;
    assert_eq!(status, StatusCode::OK);

    let new_status = if p["status"] == "handed_over" {
        "paid"
    } else {
        "handed_over"
    };
    let version = p["version"].as_i64().unwrap();
    let res = admin
        .patch(app.url(&format!("/api/v1/parcels/{id}")))
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"status": new_status, "reason": "tile test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // At once: the old ETag no longer matches and the tile shows the new status.
    let (status, headers, body) = get_tile(&app, &client, &path, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    let (_, features) = decode(&body);
    let f = features.iter().find(|f| f.id == id as u64).unwrap();
    assert_eq!(f.attrs["status"], json!(new_status));
}

/// A status change by another process (here: the parcels service called on the database
/// directly, as `gpmb` CLI tasks do, without telling the tile index) shows within a couple of
/// seconds through the change stamp; `invalidate_project` makes any write show at once.
#[tokio::test]
async fn writes_by_other_processes_are_picked_up() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let id = first_parcel_id(&app).await;
    let p = parcel(&app, &admin, id).await;
    let (lon, lat) = centre(&outer_ring(&p["geometry"]));
    let path = tile_path_of(lon, lat, 16);
    let client = app.anonymous();
    let status_in_tile = |body: Vec<u8>| {
        let (_, features) = decode(&body);
        features.iter().find(|f| f.id == id as u64).unwrap().attrs["status"].clone()
    };
    let (_, _, body) = get_tile(&app, &client, &path, None).await;
    assert_eq!(status_in_tile(body), p["status"]);

    let new_status = if p["status"] == "objecting" {
        "agreed"
    } else {
        "objecting"
    };
    let tx = app.db.write().await.unwrap();
    let patch = ParcelPatch {
        status: ParcelStatus::parse(new_status),
        land_use: None,
        reason: Some("changed elsewhere".into()),
        note: None,
    };
    let now = chrono::Utc::now().fixed_offset();
    let version = p["version"].as_i64().unwrap() as i32;
    let cli = Principal::cli();
    let parcel = gpmb::scoped::parcel(&*tx, &cli.scope, id as i32)
        .await
        .unwrap();
    gpmb::parcels::service::update(&*tx, &cli, parcel, version, &patch, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let started = Instant::now();
    loop {
        let (_, _, body) = get_tile(&app, &client, &path, None).await;
        if status_in_tile(body) == json!(new_status) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "stale after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A raw write that no stamp sees: invalidation makes it show on the next request.
    use sea_orm::ConnectionTrait;
    app.db
        .conn
        .execute_unprepared(&format!(
            "UPDATE parcels SET land_use = 'ODT', version = version + 1 WHERE id = {id}"
        ))
        .await
        .unwrap();
    let project_id = app
        .count("SELECT CAST(id AS BIGINT) FROM projects WHERE code = 'HPDQ2'")
        .await;
    app.state.tiles.invalidate_project(project_id as i32);
    let (_, _, body) = get_tile(&app, &client, &path, None).await;
    let (_, features) = decode(&body);
    let f = features.iter().find(|f| f.id == id as u64).unwrap();
    assert_eq!(f.attrs["land_use"], json!("ODT"));
}

/// Parcels deleted or moved to another project by hand (SQL on the database, which the
/// application never does) leave the map within seconds: the change stamp counts them through
/// triggers, not by counting the project's parcels. Neither the last parcel id nor the last
/// status event moves here, so nothing else in the stamp can give them away.
#[tokio::test]
async fn parcels_deleted_or_moved_by_hand_leave_the_map() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let p = parcel(&app, &admin, first_parcel_id(&app).await).await;
    let (lon, lat) = centre(&outer_ring(&p["geometry"]));
    let (lon, lat) = (lon + 0.02, lat - 0.03);
    let path = tile_path_of(lon, lat, 17);
    let d = 0.00005;
    let square = |dx: f64, no: &str| {
        json!({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[
                [lon + dx - d, lat - d], [lon + dx + d, lat - d], [lon + dx + d, lat + d],
                [lon + dx - d, lat + d], [lon + dx - d, lat - d]
            ]]},
            "properties": {"map_sheet": "98", "parcel_no": no, "commune": p["commune"]["code"], "land_use": "LUC"}
        })
    };
    let body = json!({"type": "FeatureCollection", "features": [
        square(-0.0002, "9101"), square(0.0, "9102"), square(0.0002, "9103")
    ]});
    let (status, created) = app
        .post_json(&admin, "/api/v1/projects/HPDQ2/parcels", &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let ids: Vec<u64> = created["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect();
    // Another project to move a parcel into: only its code matters here.
    let other = json!({"code": "DQ-CANG", "name": "Cảng Dung Quất", "investor": "Hòa Phát"});
    let (status, created) = app.post_json(&admin, "/api/v1/projects", &other).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let client = app.anonymous();
    let in_tile = || async {
        let (_, _, body) = get_tile(&app, &client, &path, None).await;
        let (_, features) = decode(&body);
        let mut found: Vec<u64> = features
            .iter()
            .map(|f| f.id)
            .filter(|id| ids.contains(id))
            .collect();
        found.sort_unstable();
        found
    };
    assert_eq!(in_tile().await, ids);

    let last_ids = "SELECT CAST((SELECT MAX(id) FROM parcels) * 1000000 \
                    + (SELECT MAX(id) FROM parcel_status_events) AS BIGINT)";
    let before = app.count(last_ids).await;
    // The first one deleted, the second moved to the other project; the last one stays.
    use sea_orm::ConnectionTrait;
    for sql in [
        format!(
            "DELETE FROM parcel_status_events WHERE parcel_id = {}",
            ids[0]
        ),
        format!("DELETE FROM parcels WHERE id = {}", ids[0]),
        format!(
            "UPDATE parcels SET project_id = (SELECT id FROM projects WHERE code = 'DQ-CANG') \
             WHERE id = {}",
            ids[1]
        ),
    ] {
        app.db.conn.execute_unprepared(&sql).await.unwrap();
    }
    assert_eq!(
        app.count(last_ids).await,
        before,
        "the last ids must not give it away"
    );
    let started = Instant::now();
    loop {
        let found = in_tile().await;
        if found == ids[2..] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still drawn after 5 s: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn posted_parcels_appear_in_the_next_tile() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let id = first_parcel_id(&app).await;
    let p = parcel(&app, &admin, id).await;
    // Load the index first, then add a parcel a little south of the first one's cell.
    let (lon, lat) = centre(&outer_ring(&p["geometry"]));
    let (lon, lat) = (lon + 0.02, lat - 0.03);
    let path = tile_path_of(lon, lat, 17);
    let client = app.anonymous();
    let (status, _, _) = get_tile(&app, &client, &path, None).await;
    assert!(status == StatusCode::NO_CONTENT || status == StatusCode::OK);
    let d = 0.0001;
    let body = json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[
            [lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]
        ]]},
        "properties": {"map_sheet": "99", "parcel_no": "9001", "commune": p["commune"]["code"], "land_use": "LUC"}
    }]});
    let (status, created) = app
        .post_json(&admin, "/api/v1/projects/HPDQ2/parcels", &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let new_id = created["items"][0]["id"].as_u64().unwrap();
    let (status, _, body) = get_tile(&app, &client, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, features) = decode(&body);
    let f = features
        .iter()
        .find(|f| f.id == new_id)
        .expect("new parcel in tile");
    assert_eq!(f.attrs["parcel_no"], json!("9001"));
}

/// An overview feature: one status and commune's strips in a low-zoom tile.
struct Strip {
    status: String,
    commune: String,
    parcels: i64,
    area_m2: f64,
    rings: Vec<Vec<(i64, i64)>>,
}

fn decode_overview(bytes: &[u8]) -> Vec<Strip> {
    let tile = Tile::decode(bytes).expect("a protobuf Tile");
    let layer = &tile.layers[0];
    assert_eq!(layer.name, "parcels");
    layer
        .features
        .iter()
        .map(|f| {
            assert_eq!(f.id, None, "an overview stands for many parcels: no id");
            let attrs: HashMap<String, Value> = f
                .tags
                .chunks(2)
                .map(|p| {
                    (
                        layer.keys[p[0] as usize].clone(),
                        value_json(&layer.values[p[1] as usize]),
                    )
                })
                .collect();
            assert_eq!(attrs["overview"], json!(true));
            Strip {
                status: attrs["status"].as_str().unwrap().to_string(),
                commune: attrs["commune"].as_str().unwrap().to_string(),
                parcels: attrs["parcels"].as_i64().unwrap(),
                area_m2: attrs["area_m2"].as_f64().unwrap(),
                rings: rings(&f.geometry),
            }
        })
        .collect()
}

/// Every z12 tile of the project, decoded: parcels and area per status, and the strips' area
/// (in tile units²) per status.
async fn overview_totals(
    app: &TestApp,
    client: &Client,
    z: u8,
    tiles: &[(u32, u32)],
) -> HashMap<String, (i64, f64, i64)> {
    let mut totals: HashMap<String, (i64, f64, i64)> = HashMap::new();
    for &(x, y) in tiles {
        let (status, headers, body) =
            get_tile(app, client, &format!("/tiles/HPDQ2/{z}/{x}/{y}.mvt"), None).await;
        if status == StatusCode::NO_CONTENT {
            continue;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(headers.contains_key("etag"));
        assert!(
            body.len() < 500 * 1024,
            "overview tile of {} bytes",
            body.len()
        );
        for s in decode_overview(&body) {
            assert!(!s.commune.is_empty());
            let t = totals.entry(s.status).or_default();
            t.0 += s.parcels;
            t.1 += s.area_m2;
            for ring in &s.rings {
                assert_eq!(ring.len(), 4, "strips are rectangles");
                assert!(area2(ring) > 0, "exterior winding");
                assert!(ring
                    .iter()
                    .all(|&(x, y)| (0..=4096).contains(&x) && (0..=4096).contains(&y)));
                t.2 += area2(ring) / 2;
            }
        }
    }
    totals
}

/// A large project at z12 is drawn as an overview: every parcel counted once, by status, with
/// its area; strips cover the tile in the statuses' proportions; a status change shows at
/// z12 at once, as at z16.
#[tokio::test]
async fn overviews_at_low_zoom_count_every_parcel_and_follow_a_status_change() {
    let app = TestApp::spawn_with(4_000).await;
    let admin = app.login("admin").await;
    let client = app.anonymous();
    let rows: Vec<(String, i64, f64)> = {
        use sea_orm::{ConnectionTrait, Statement};
        let stmt = Statement::from_string(
            app.db.backend(),
            "SELECT p.status, CAST(COUNT(*) AS BIGINT), CAST(SUM(p.area_m2) AS DOUBLE PRECISION) \
             FROM parcels p JOIN projects pr ON pr.id = p.project_id \
             WHERE pr.code = 'HPDQ2' AND p.retired_at IS NULL GROUP BY p.status",
        );
        app.db
            .conn
            .query_all(stmt)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get_by_index(0).unwrap(),
                    r.try_get_by_index(1).unwrap(),
                    r.try_get_by_index(2).unwrap(),
                )
            })
            .collect()
    };
    let total: i64 = rows.iter().map(|r| r.1).sum();
    assert!(total >= 2_000, "a large project: {total} parcels");
    // The z12 tiles around the project (its parcels lie within a few kilometres).
    let id = first_parcel_id(&app).await;
    let p = parcel(&app, &admin, id).await;
    let (lon, lat) = centre(&outer_ring(&p["geometry"]));
    let (cx, cy) = lonlat_to_tile(lon, lat, 12);
    let tiles: Vec<(u32, u32)> = (cx - 2..=cx + 2)
        .flat_map(|x| (cy - 2..=cy + 2).map(move |y| (x, y)))
        .collect();
    // The same ground at z13, drawn from the parcels' centres rather than the pyramid.
    let tiles13: Vec<(u32, u32)> = (2 * cx - 4..=2 * cx + 5)
        .flat_map(|x| (2 * cy - 4..=2 * cy + 5).map(move |y| (x, y)))
        .collect();

    let before = overview_totals(&app, &client, 12, &tiles).await;
    let counted: i64 = before.values().map(|t| t.0).sum();
    assert_eq!(
        counted, total,
        "every parcel counted once across the z12 tiles"
    );
    let before13 = overview_totals(&app, &client, 13, &tiles13).await;
    for (status, n, area) in &rows {
        let t = before13.get(status).expect("each status present at z13");
        assert_eq!(t.0, *n, "{status}: parcels at z13");
        assert!(
            (t.1 - area).abs() < 1.0,
            "{status}: area {} vs {area} at z13",
            t.1
        );
    }
    let strips: i64 = before.values().map(|t| t.2).sum();
    for (status, n, area) in &rows {
        let t = before.get(status).expect("each status present");
        assert_eq!(t.0, *n, "{status}: parcels");
        assert!((t.1 - area).abs() < 1.0, "{status}: area {} vs {area}", t.1);
        // The strips' share of the drawn area is the status's share of the land, up to the
        // rounding of strips to whole tile units.
        let drawn = t.2 as f64 / strips as f64;
        let land = area / rows.iter().map(|r| r.2).sum::<f64>();
        assert!(
            (drawn - land).abs() < 0.02,
            "{status}: drawn {drawn:.3} vs land {land:.3}"
        );
    }

    // A status change through the API: z12 and z13 move the parcel between statuses, z16
    // shows it.
    let old_status = p["status"].as_str().unwrap().to_string();
    let new_status = if old_status == "objecting" {
        "agreed"
    } else {
        "objecting"
    };
    let res = admin
        .patch(app.url(&format!("/api/v1/parcels/{id}")))
        .header("If-Match", format!("\"{}\"", p["version"]))
        .json(&json!({"status": new_status, "reason": "overview test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for (z, tiles, before) in [(12, &tiles, &before), (13, &tiles13, &before13)] {
        let after = overview_totals(&app, &client, z, tiles).await;
        assert_eq!(after[&old_status].0, before[&old_status].0 - 1, "z{z}");
        assert_eq!(
            after[new_status].0,
            before.get(new_status).map_or(0, |t| t.0) + 1,
            "z{z}"
        );
    }
    let (_, _, body) = get_tile(&app, &client, &tile_path_of(lon, lat, 16), None).await;
    let (_, features) = decode(&body);
    let f = features.iter().find(|f| f.id == id as u64).unwrap();
    assert_eq!(f.attrs["status"], json!(new_status));
}

/// QGIS sends HTTP Basic on every request once a layer has an authentication configuration
/// (the OGC API layer needs one): a tile request carrying it, with the token or a wrong
/// password, is answered as an anonymous one — tiles are public (README "QGIS and GDAL").
#[tokio::test]
async fn a_tile_request_with_basic_credentials_is_answered_as_an_anonymous_one() {
    use base64::Engine as _;
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let token = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "qgis")
        .await
        .unwrap()
        .1;
    let p = parcel(&app, &admin, first_parcel_id(&app).await).await;
    let (lon, lat) = centre(&outer_ring(&p["geometry"]));
    let path = tile_path_of(lon, lat, 17);
    let (status, _, anonymous) = get_tile(&app, &app.anonymous(), &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!decode(&anonymous).1.is_empty(), "the parcel's tile has it");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for (what, header) in [
        (
            "the token",
            format!("Basic {}", b64(&format!("qgis:{token}"))),
        ),
        (
            "a wrong password",
            format!("Basic {}", b64("qgis:gpmb_not_a_token")),
        ),
        ("not base64", "Basic %%%".to_string()),
    ] {
        let res = Client::new()
            .get(app.url(&path))
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{what}");
        assert!(
            res.headers().get("www-authenticate").is_none(),
            "{what}: no challenge"
        );
        assert_eq!(
            res.bytes().await.unwrap().to_vec(),
            anonymous,
            "{what}: the same tile"
        );
    }
}
