//! The official land-type codes (issue 14 item 1): a cadastral file using the whole table
//! imports, old (pre-2024) codes are recorded as their current code and the report says so,
//! an unknown code is refused with the nearest codes; tiles carry the code, exports and
//! `GET /api/v1/land-types` its name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, HashMap};

use common::{json_of, TestApp};
use geozero::mvt::{Message, Tile};
use gpmb::domain::land_types::TABLE;
use gpmb::domain::{LandGroup, LandUse};
use gpmb::geo::tiling::lonlat_to_tile;
use gpmb::i18n::{Catalogue, Lang};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// Old codes put in the file, and what they must be recorded as.
const OLD: [(&str, &str); 4] = [
    ("BHK", "HNK"),
    ("LUN", "LUK"),
    ("DDT", "DDD"),
    ("NHK", "HNK"),
];

/// A WGS84 square of about 30 m, the `i`-th of a grid well away from the demo parcels.
fn square(i: usize) -> Value {
    let (col, row) = ((i % 10) as f64, (i / 10) as f64);
    let (w, s) = (108.700 + col * 0.0004, 15.100 + row * 0.0004);
    let e = w + 0.0003;
    let n = s + 0.0003;
    json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]})
}

/// A cadastral-style file (Vietnamese attribute names): one parcel per code.
fn cadastral_file(codes: &[&str], sheet: &str) -> Vec<u8> {
    let features: Vec<Value> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            json!({
                "type": "Feature",
                "properties": {"MAXA": "21043", "SHBANDO": sheet, "SHTHUA": i + 1, "MDSD": code},
                "geometry": square(i),
            })
        })
        .collect();
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

async fn import(app: &TestApp, client: &Client, body: Vec<u8>, query: &str) -> (StatusCode, Value) {
    let res = client
        .post(app.url(&format!(
            "/api/v1/projects/HPDQ2/imports/parcels?filename=thua_dat.geojson{query}"
        )))
        .header("content-type", "application/geo+json")
        .body(body)
        .send()
        .await
        .unwrap();
    json_of(res).await
}

/// The file's parcels as the API lists them, by parcel number.
async fn imported(app: &TestApp, client: &Client, sheet: &str) -> BTreeMap<usize, Value> {
    app.all_pages(
        client,
        "/api/v1/projects/HPDQ2/parcels?commune=21043&limit=500",
    )
    .await
    .into_iter()
    .filter(|p| p["map_sheet"] == sheet)
    .map(|p| (p["parcel_no"].as_str().unwrap().parse().unwrap(), p))
    .collect()
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
    let headers = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

/// `land_use` of every parcel feature in the tile at (`lon`, `lat`), by parcel id.
async fn tile_land_uses(
    app: &TestApp,
    client: &Client,
    lon: f64,
    lat: f64,
) -> HashMap<u64, String> {
    let z = 16u8;
    let (x, y) = lonlat_to_tile(lon, lat, z);
    let res = client
        .get(app.url(&format!("/tiles/HPDQ2/{z}/{x}/{y}.mvt")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let tile = Tile::decode(res.bytes().await.unwrap()).unwrap();
    let layer = &tile.layers[0];
    let key = layer.keys.iter().position(|k| k == "land_use").unwrap() as u32;
    layer
        .features
        .iter()
        .filter_map(|f| {
            let v = f.tags.chunks(2).find(|p| p[0] == key)?[1];
            let text = layer.values[v as usize].string_value.clone()?;
            Some((f.id?, text))
        })
        .collect()
}

#[tokio::test]
async fn a_file_with_every_official_code_imports_and_old_codes_become_current() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;

    let current: Vec<&str> = LandUse::current_codes().map(LandUse::as_str).collect();
    assert!(current.len() >= 30, "{} codes", current.len());
    // As files write them: some lower case, some padded.
    let mut codes: Vec<String> = current.iter().map(|c| (*c).to_string()).collect();
    codes[0] = codes[0].to_lowercase();
    codes[1] = format!(" {} ", codes[1]);
    codes.extend(OLD.iter().map(|(old, _)| (*old).to_string()));
    codes.push("BHK".into());
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();

    // The dry run tells which old codes will be recorded as what.
    let (status, report) = import(&app, &admin, cadastral_file(&refs, "77"), "&dry_run=true").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], refs.len());
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(
        warnings.len(),
        OLD.len(),
        "one line per old code: {warnings:?}"
    );
    let bhk = warnings
        .iter()
        .find(|w| w["details"]["value"] == "BHK")
        .unwrap();
    assert_eq!(bhk["code"], "old_land_use_code");
    assert_eq!(bhk["details"]["current"], "HNK");
    assert_eq!(bhk["details"]["count"], "2");
    assert_eq!(bhk["details"]["name_vi"], "Đất trồng cây hằng năm khác");
    assert!(bhk["reason"].as_str().unwrap().contains("before 2024"));

    let (status, report) = import(&app, &admin, cadastral_file(&refs, "77"), "").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["committed"], true);
    assert_eq!(report["inserted"], refs.len());

    let parcels = imported(&app, &admin, "77").await;
    assert_eq!(parcels.len(), refs.len());
    for (i, code) in current.iter().enumerate() {
        assert_eq!(parcels[&(i + 1)]["land_use"], *code, "parcel {}", i + 1);
    }
    for (k, (old, now)) in OLD.iter().enumerate() {
        let p = &parcels[&(current.len() + k + 1)];
        assert_eq!(p["land_use"], *now, "{old} recorded as {now}");
    }
    let distinct: std::collections::BTreeSet<&str> = parcels
        .values()
        .map(|p| p["land_use"].as_str().unwrap())
        .collect();
    assert!(distinct.len() >= 30, "{distinct:?}");

    // Tiles carry the code as stored, not a name.
    let mut seen = HashMap::new();
    for (i, p) in &parcels {
        let id = p["id"].as_u64().unwrap();
        if !seen.contains_key(&id) {
            let ring = &square(i - 1)["coordinates"][0];
            let (lon, lat) = (
                ring[0][0].as_f64().unwrap() + 0.00015,
                ring[0][1].as_f64().unwrap() + 0.00015,
            );
            seen.extend(tile_land_uses(&app, &admin, lon, lat).await);
        }
        assert_eq!(
            seen[&id],
            p["land_use"].as_str().unwrap(),
            "tile of parcel {i}"
        );
    }

    // Exports: the code, then its name in the export's language.
    for (lang, pick) in [("vi", 0usize), ("en", 1)] {
        let res = admin
            .get(app.url(&format!(
                "/api/v1/projects/HPDQ2/exports/parcels.csv?lang={lang}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let (headers, rows) = csv_rows(&res.bytes().await.unwrap());
        let col = |h: &str| {
            headers
                .iter()
                .position(|x| x == h)
                .unwrap_or_else(|| panic!("{h} in {headers:?}"))
        };
        let (sheet, code, name) = if pick == 0 {
            (col("Số tờ"), col("Loại đất"), col("Tên loại đất"))
        } else {
            (col("Map sheet"), col("Land use"), col("Land-use name"))
        };
        let ours: Vec<&Vec<String>> = rows.iter().filter(|r| r[sheet] == "77").collect();
        assert_eq!(ours.len(), refs.len());
        for r in ours {
            let t = LandUse::parse(&r[code]).unwrap().info();
            assert_eq!(r[name], if pick == 0 { t.name_vi } else { t.name_en });
        }
    }
}

#[tokio::test]
async fn an_unknown_code_is_refused_with_the_nearest_codes_in_both_languages() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let before = app.count("SELECT COUNT(*) FROM parcels").await;

    let (status, body) = import(
        &app,
        &admin,
        cadastral_file(&["LUC", "LUX", "QQQ"], "78"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_import");
    let errors = body["error"]["details"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let lux = &errors[0];
    assert_eq!(lux["code"], "unknown_land_use");
    assert_eq!(lux["index"], 1);
    assert_eq!(lux["details"]["value"], "LUX");
    let suggestions = lux["details"]["suggestions"].as_str().unwrap();
    assert!(suggestions.starts_with("LUC, LUK"), "{suggestions}");
    assert!(lux["reason"]
        .as_str()
        .unwrap()
        .contains("did you mean LUC, LUK"));
    // Nothing close: no suggestion is made up.
    assert_eq!(errors[1]["details"]["value"], "QQQ");
    assert!(errors[1]["details"].get("suggestions").is_none());
    assert_eq!(app.count("SELECT COUNT(*) FROM parcels").await, before);

    // The import page's sentence for it, in both languages, with nothing left unfilled.
    let details: Vec<(String, String)> = lux["details"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let vars: Vec<(&str, &str)> = details
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let vi = Catalogue::load(Lang::Vi).fill("import.detail.unknown_land_use", &vars);
    let en = Catalogue::load(Lang::En).fill("import.detail.unknown_land_use", &vars);
    assert!(
        vi.contains("«LUX» không phải mã loại đất") && vi.contains("LUC, LUK"),
        "{vi}"
    );
    assert!(
        en.contains("“LUX” is not an official land-type code")
            && en.contains("did you mean LUC, LUK"),
        "{en}"
    );
    assert!(!vi.contains('{') && !en.contains('{'));

    // A statistics group code offers its members; the JSON API refuses the same way.
    let (status, body) = app
        .post_json(
            &admin,
            "/api/v1/projects/HPDQ2/parcels",
            &json!({"type": "Feature", "geometry": square(55),
                    "properties": {"map_sheet": "78", "parcel_no": "1", "commune": "21043", "land_use": "LUA"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let f = &body["error"]["details"]["features"][0];
    assert_eq!(f["code"], "unknown_land_use");
    assert_eq!(f["details"]["suggestions"], "LUC, LUK");
}

#[tokio::test]
async fn the_land_type_table_is_served_in_both_languages() {
    let app = TestApp::spawn().await;
    let anonymous = app.anonymous();
    let (status, vi) = app.get_json(&anonymous, "/api/v1/land-types").await;
    assert_eq!(status, StatusCode::OK, "{vi}");
    let (_, en) = app.get_json(&anonymous, "/api/v1/land-types?lang=en").await;
    let items = vi["items"].as_array().unwrap();
    assert_eq!(items.len(), TABLE.len());
    let by_code = |list: &Value, code: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .cloned()
            .unwrap()
    };
    let cnt = by_code(&vi, "CNT");
    assert_eq!(cnt["name"], "Đất chăn nuôi tập trung");
    assert_eq!(cnt["group"], "agricultural");
    assert_eq!(cnt["current"], true);
    assert_eq!(
        by_code(&en, "CNT")["name"],
        "Concentrated livestock farming land"
    );
    let bhk = by_code(&vi, "BHK");
    assert_eq!(
        (bhk["current"].clone(), bhk["replaced_by"].clone()),
        (json!(false), json!("HNK"))
    );
    assert_eq!(by_code(&vi, "BCS")["group"], "unused");
    assert_eq!(vi["groups"][0]["name"], "Nhóm đất nông nghiệp");
    assert_eq!(en["groups"][2]["name"], "Unused land");
    let agricultural = items
        .iter()
        .filter(|i| i["current"] == true && i["group"] == "agricultural")
        .count();
    assert_eq!(
        agricultural,
        LandUse::current_codes()
            .filter(|l| l.group() == LandGroup::Agricultural)
            .count()
    );
}
