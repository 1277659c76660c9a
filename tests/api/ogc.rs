//! OGC API Features: read by GDAL's `ogrinfo` (the client CI and QGIS use) and checked over
//! HTTP: links, collections, paging, bbox, single features, auth and area scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashSet;

use common::{assert_error, json_of, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const COLLECTION: &str = "parcels_HPDQ2";

async fn project_parcels(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM parcels p JOIN projects pr ON pr.id = p.project_id WHERE pr.code = 'HPDQ2' AND p.retired_at IS NULL",
    )
    .await
}

async fn get(client: &Client, url: &str) -> (StatusCode, String, Value) {
    let res = client.get(url).send().await.expect("request");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (status, body) = json_of(res).await;
    (status, ct, body)
}

fn ogrinfo_available() -> bool {
    let found = std::process::Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        // CI installs gdal-bin (scripts/test-all): there, missing ogrinfo is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "ogrinfo (Debian gdal-bin) is required in CI"
        );
        eprintln!("ogrinfo not installed (Debian: gdal-bin): skipping the GDAL check");
    }
    found
}

async fn ogrinfo(args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new("ogrinfo")
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "60")
        .output()
        .await
        .expect("run ogrinfo");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn ogrinfo_reads_the_parcels_with_a_token() {
    if !ogrinfo_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let (_, token) = gpmb::auth::service::create_token(&app.db.conn, "HPDQ2", false, "gis")
        .await
        .unwrap();
    let expected = project_parcels(&app).await;
    assert!(expected > 0);
    let source = format!("OAPIF:{}/ogc", app.base);
    let auth = format!("Authorization: Bearer {token}");

    // Summary: GDAL's feature count for the layer.
    let (ok, text) = ogrinfo(&[
        "--config",
        "GDAL_HTTP_HEADERS",
        &auth,
        "-ro",
        "-so",
        "-al",
        &source,
    ])
    .await;
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("Layer name: {COLLECTION}")),
        "{text}"
    );
    let count: i64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count in {text}"))
        .trim()
        .parse()
        .unwrap();
    assert_eq!(count, expected, "{text}");
    assert!(text.contains("status: String"), "{text}");

    // Every feature, read in pages of 50 by following the `next` links.
    let (ok, text) = ogrinfo(&[
        "--config",
        "GDAL_HTTP_HEADERS",
        &auth,
        "-ro",
        "-al",
        "-oo",
        "PAGE_SIZE=50",
        &source,
    ])
    .await;
    assert!(ok, "{}", &text[..text.len().min(2000)]);
    let features = text
        .lines()
        .filter(|l| l.starts_with("OGRFeature("))
        .count();
    assert_eq!(features as i64, expected);

    // Without credentials GDAL gets 401 and fails.
    let (ok, _) = ogrinfo(&["-ro", "-so", "-al", &source]).await;
    assert!(!ok);

    // As QGIS does it: HTTP Basic, any user name, the token as the password — sent at once
    // (BASIC), or only after the server's challenge (ANY: curl asks first, reads
    // `WWW-Authenticate: Basic`, then answers it).
    let userpwd = format!("qgis:{token}");
    for scheme in ["BASIC", "ANY"] {
        let (ok, text) = ogrinfo(&[
            "--config",
            "GDAL_HTTP_AUTH",
            scheme,
            "--config",
            "GDAL_HTTP_USERPWD",
            &userpwd,
            "-ro",
            "-so",
            "-al",
            &source,
        ])
        .await;
        assert!(ok, "{scheme}: {text}");
        assert!(
            text.contains(&format!("Feature Count: {expected}")),
            "{scheme}: {text}"
        );
    }
    let (ok, _) = ogrinfo(&[
        "--config",
        "GDAL_HTTP_AUTH",
        "BASIC",
        "--config",
        "GDAL_HTTP_USERPWD",
        "qgis:gpmb_wrong",
        "-ro",
        "-so",
        "-al",
        &source,
    ])
    .await;
    assert!(!ok, "a wrong password reads nothing");
}

#[tokio::test]
async fn service_desc_is_an_openapi_3_description_of_ogc() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (_, _, landing) = get(&leader, &app.url("/ogc")).await;
    let desc = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap()
        .clone();
    let media = "application/vnd.oai.openapi+json;version=3.0";
    assert_eq!(desc["type"], media);
    let href = desc["href"].as_str().unwrap();
    assert_eq!(href, app.url("/ogc/api"));
    let (status, ct, doc) = get(&leader, href).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(ct, media, "served as the type the link announces");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.0."),
        "{doc}"
    );
    let server = doc["servers"][0]["url"].as_str().unwrap();
    assert_eq!(server, app.url("/ogc"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/",
        "/conformance",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
    ] {
        assert!(paths.contains_key(p), "{p} in {paths:?}");
    }
    assert!(
        !paths.keys().any(|p| p.starts_with("/api/v1")),
        "describes /ogc, not the REST API"
    );
    // Every path it names answers (with the demo collection as the id).
    let base = app.url("/ogc");
    let feature = first_feature_id(&app, &leader).await;
    for p in paths.keys() {
        let url = format!(
            "{base}{}",
            p.replace("{collectionId}", COLLECTION)
                .replace("{featureId}", &feature)
        );
        let (status, _, body) = get(&leader, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
    }
    // The limits GDAL sizes its pages by are the ones the server applies.
    let limit = doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(limit["in"], "query");
    assert_eq!(limit["schema"]["maximum"], 10_000);
    assert_eq!(limit["schema"]["default"], 100);
}

async fn first_feature_id(app: &TestApp, client: &Client) -> String {
    let (_, _, page) = get(
        client,
        &app.url(&format!("/ogc/collections/{COLLECTION}/items?limit=1")),
    )
    .await;
    page["features"][0]["id"]
        .to_string()
        .trim_matches('"')
        .to_string()
}

#[tokio::test]
async fn datetime_is_an_instant_or_an_interval_else_400() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let items = |dt: &str| {
        app.url(&format!(
            "/ogc/collections/{COLLECTION}/items?limit=1&datetime={}",
            dt.replace('+', "%2B")
        ))
    };
    for good in [
        "2021-03-01T08:00:00Z",
        "2021-03-01T15:00:00+07:00",
        "2021-03-01",
        "2021-03-01T00:00:00Z/2021-04-01T00:00:00Z",
        "2021-03-01/..",
        "../2021-03-01",
        "/2021-03-01",
        "2021-03-01/",
    ] {
        let (status, _, body) = get(&leader, &items(good)).await;
        assert_eq!(status, StatusCode::OK, "{good}: {body}");
        assert_eq!(body["numberReturned"], 1, "parcels carry no time: {good}");
    }
    for bad in [
        "garbage",
        "",
        "2021-13-01",
        "2021-02-30T00:00:00Z",
        "01/03/2021",
        "2021-03-01T08:00:00",
        "../..",
        "/",
        "2021-04-01/2021-03-01",
        "2021-03-01/garbage",
        "2021-03-01/2021-03-02/2021-03-03",
    ] {
        let (status, _, body) = get(&leader, &items(bad)).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("datetime"),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn landing_conformance_and_collections() {
    let app = TestApp::spawn().await;
    let leader = app.login("leader").await;
    let (status, ct, landing) = get(&leader, &app.url("/ogc")).await;
    assert_eq!(status, StatusCode::OK, "{landing}");
    assert!(ct.starts_with("application/json"), "{ct}");
    let rels: HashSet<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "conformance", "data", "service-desc"] {
        assert!(rels.contains(rel), "{rel} in {landing}");
    }
    let (status, _, same) = get(&leader, &app.url("/ogc?f=json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["links"], landing["links"]);
    let (status, _, body) = get(&leader, &app.url("/ogc?f=html")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);

    let (status, _, conf) = get(&leader, &app.url("/ogc/conformance")).await;
    assert_eq!(status, StatusCode::OK);
    let classes: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"));
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"));

    let (status, _, cols) = get(&leader, &app.url("/ogc/collections")).await;
    assert_eq!(status, StatusCode::OK);
    let col = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == COLLECTION)
        .unwrap_or_else(|| panic!("{COLLECTION} in {cols}"))
        .clone();
    // The extent holds every parcel's extent.
    let bbox: Vec<f64> = col["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let outside = app
        .count(&format!(
            "SELECT COUNT(*) FROM parcels WHERE min_lon < {} OR min_lat < {} OR max_lon > {} OR max_lat > {}",
            // serde_json may parse a float 1 ulp off: allow far less than a millimetre.
            bbox[0] - 1e-9,
            bbox[1] - 1e-9,
            bbox[2] + 1e-9,
            bbox[3] + 1e-9
        ))
        .await;
    assert_eq!(outside, 0, "{bbox:?}");
    let (status, _, one) = get(&leader, &app.url(&format!("/ogc/collections/{COLLECTION}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, col);
    let (status, _, body) = get(&leader, &app.url("/ogc/collections/parcels_NOPE")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);

    // No session, no token: 401 with the envelope.
    let (status, _, body) = get(&app.anonymous(), &app.url("/ogc/collections")).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn items_page_by_offset_filter_by_bbox_and_hold_no_personal_data() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let expected = project_parcels(&app).await;
    let items = app.url(&format!("/ogc/collections/{COLLECTION}/items"));

    let (status, ct, first) = get(&admin, &items).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(ct, "application/geo+json");
    assert_eq!(first["type"], "FeatureCollection");
    assert_eq!(first["numberMatched"], expected);
    assert_eq!(first["numberReturned"], 100.min(expected));
    let keys: HashSet<&str> = first["features"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for personal in [
        "head_name",
        "household",
        "households",
        "id_number",
        "phone",
        "address",
        "name",
    ] {
        assert!(!keys.contains(personal), "{personal} in {keys:?}");
    }
    assert!(keys.contains("status") && keys.contains("parcel_no"));

    // Follow `next` links with a small page: every parcel once.
    let mut seen = HashSet::new();
    let mut url = format!("{items}?limit=70&f=json");
    let mut pages = 0;
    loop {
        let (status, _, page) = get(&admin, &url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for f in page["features"].as_array().unwrap() {
            assert!(
                seen.insert(f["id"].as_i64().unwrap()),
                "duplicate {}",
                f["id"]
            );
            assert!(f["geometry"]["type"].as_str().unwrap().ends_with("Polygon"));
        }
        pages += 1;
        let next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_string());
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, expected);
    assert_eq!(pages, (expected + 69) / 70);

    // bbox: exactly the parcels whose extent overlaps it.
    let (min_lon, min_lat) = (108.79, 15.33);
    let (max_lon, max_lat) = (108.81, 15.36);
    let in_box = app
        .count(&format!(
            "SELECT COUNT(*) FROM parcels WHERE retired_at IS NULL AND min_lon <= {max_lon} AND max_lon >= {min_lon} \
             AND min_lat <= {max_lat} AND max_lat >= {min_lat}"
        ))
        .await;
    let (status, _, boxed) = get(
        &admin,
        &format!("{items}?bbox={min_lon},{min_lat},{max_lon},{max_lat}&limit=10000"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{boxed}");
    assert_eq!(boxed["numberMatched"], in_box);
    assert_eq!(boxed["numberReturned"], in_box);

    // A limit above the maximum is capped; bad values are 400.
    let (status, _, big) = get(&admin, &format!("{items}?limit=1000000")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(big["numberReturned"], expected.min(10_000));
    for bad in [
        "limit=0",
        "limit=x",
        "offset=-1",
        "bbox=1,2,3",
        "colour=red",
        "f=xml",
    ] {
        let (status, _, body) = get(&admin, &format!("{items}?{bad}")).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
    }

    // One feature.
    let id = first["features"][0]["id"].as_i64().unwrap();
    let (status, ct, one) = get(&admin, &format!("{items}/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/geo+json");
    assert_eq!(one["type"], "Feature");
    assert_eq!(one["id"], id);
    assert_eq!(one["properties"], first["features"][0]["properties"]);
    for missing in ["999999", "abc"] {
        let (status, _, body) = get(&admin, &format!("{items}/{missing}")).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn members_see_only_their_area() {
    let app = TestApp::spawn().await;
    let member = app.login("member_a").await;
    let visible = app
        .all_pages(&member, "/api/v1/projects/HPDQ2/parcels?limit=500")
        .await
        .len() as i64;
    let all = project_parcels(&app).await;
    assert!(0 < visible && visible < all, "{visible} of {all}");
    let (status, _, page) = get(
        &member,
        &app.url(&format!("/ogc/collections/{COLLECTION}/items?limit=10000")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["numberMatched"], visible);
    assert_eq!(page["numberReturned"], visible);
}
