//! A project board's token reads no person anywhere (issue 16.6): every GET operation of the
//! server's own OpenAPI document, plus the OGC, tile and public reads, searched for the demo's
//! names, household codes, CCCD numbers, phones and vulnerability flags. The same walk with
//! an admin session must find them, so the search is not blind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use crate::common::{demo_quarter, TestApp};
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

/// One personal value and the kind it is (for the summary and the admin proof).
struct Needle {
    kind: &'static str,
    text: String,
}

/// Flags as the API codes them and as the catalogues word them (vi, en).
const FLAG_WORDS: &[&str] = &[
    "ethnic_minority",
    "elderly_alone",
    "Hộ nghèo",
    "Dân tộc thiểu số",
    "Người có công",
    "Người già neo đơn",
    "Người cao tuổi neo đơn",
    "Poor household",
    "Ethnic minority",
];

async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .conn
        .query_all(Statement::from_string(app.db.backend(), sql.to_string()))
        .await
        .expect("query")
}

/// Every household's head name, code, CCCD (full and masked) and phone, and the members'
/// names; the households are taken commune by commune so the sample spans the communes.
async fn personal_values(app: &TestApp) -> Vec<Needle> {
    let households = rows(
        app,
        "SELECT code, head_name, id_number, phone, members, commune_id \
         FROM households ORDER BY commune_id, id",
    )
    .await;
    let mut communes = BTreeSet::new();
    let mut out = Vec::new();
    for r in &households {
        let code: String = r.try_get_by_index(0).unwrap();
        let name: String = r.try_get_by_index(1).unwrap();
        let id_number: Option<String> = r.try_get_by_index(2).unwrap();
        let phone: Option<String> = r.try_get_by_index(3).unwrap();
        let members: String = r.try_get_by_index(4).unwrap();
        let commune: i32 = r.try_get_by_index(5).unwrap();
        communes.insert(commune);
        out.push(Needle {
            kind: "head name",
            text: name,
        });
        out.push(Needle {
            kind: "household code",
            text: code,
        });
        if let Some(id) = id_number {
            out.push(Needle {
                kind: "masked CCCD",
                text: gpmb::households::privacy::mask_id_number(&id),
            });
            out.push(Needle {
                kind: "CCCD",
                text: id,
            });
        }
        if let Some(phone) = phone {
            out.push(Needle {
                kind: "phone",
                text: phone,
            });
        }
        let members: Value = serde_json::from_str(&members).unwrap_or(Value::Null);
        for m in members.as_array().into_iter().flatten() {
            if let Some(n) = m["name"].as_str() {
                out.push(Needle {
                    kind: "member name",
                    text: n.to_string(),
                });
            }
        }
    }
    let names = out.iter().filter(|n| n.kind == "head name").count();
    assert!(
        names >= 20 && communes.len() >= 2,
        "the sample spans {names} households of {} communes",
        communes.len()
    );
    // A masked CCCD is shared by many households (same province and last two digits): keep
    // each once.
    let mut seen = BTreeSet::new();
    out.retain(|n| seen.insert((n.kind, n.text.clone())));
    for w in FLAG_WORDS {
        out.push(Needle {
            kind: "vulnerability flag",
            text: (*w).to_string(),
        });
    }
    out
}

/// A real id for `{id}` under `path`, from the table the path's resource lives in.
async fn id_for(app: &TestApp, path: &str) -> i64 {
    let rest = path.trim_start_matches("/api/v1/");
    let rest = rest.strip_prefix("field/").unwrap_or(rest);
    let table = match rest.split('/').next().unwrap_or("") {
        "households" => "households",
        "grievances" => "grievances",
        "parcels" => "parcels",
        "plans" => "compensation_plans",
        "price-tables" => "price_tables",
        "privacy" => "privacy_requests",
        "visits" => "visits",
        "working-groups" => "working_groups",
        other => panic!("no id source for `{other}` ({path}): add it to the sweep"),
    };
    // The household with the most to show (a plan, visits, parcels) when there is one.
    let sql = if table == "households" {
        "SELECT CAST(COALESCE(MIN(household_id), (SELECT MIN(id) FROM households)) AS BIGINT) \
         FROM compensation_plans"
            .to_string()
    } else {
        format!("SELECT CAST(COALESCE(MIN(id), 1) AS BIGINT) FROM {table}")
    };
    app.count(&sql).await
}

/// The concrete URLs one GET operation is asked with.
async fn urls_of(app: &TestApp, path: &str, op: &Value) -> Vec<String> {
    let params: Vec<(String, String)> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_string(),
                p["in"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut base = path.to_string();
    if base.contains("{code}") {
        base = base.replace("{code}", "HPDQ2");
    }
    if base.contains("{id}") {
        base = base.replace("{id}", &id_for(app, path).await.to_string());
    }
    let mut urls = Vec::new();
    if base.contains("{file}") {
        let files: Vec<String> = if path.contains("/exports/") {
            let mut f = Vec::new();
            for what in ["parcels", "households", "visits", "grievances"] {
                for format in ["csv", "xlsx"] {
                    f.push(format!("{what}.{format}"));
                }
            }
            f.push("parcels.geojson".into());
            f.push("parcels.gpkg".into());
            f
        } else if path.contains("/reports/") {
            let q = demo_quarter().code();
            ["xlsx", "csv", "html"]
                .iter()
                .map(|ext| format!("{q}.{ext}"))
                .collect()
        } else if path.contains("/charts/") {
            [
                "progress.svg",
                "progress-area.svg",
                "by-status.svg",
                "by-commune.svg",
                "by-working-group.svg",
            ]
            .iter()
            .map(ToString::to_string)
            .collect()
        } else {
            panic!("no file names for {path}: add them to the sweep")
        };
        for f in files {
            urls.push(base.replace("{file}", &f));
        }
    } else {
        urls.push(base.clone());
    }
    assert!(
        urls.iter().all(|u| !u.contains('{')),
        "an unfilled path parameter in {path}"
    );
    let queries: Vec<&str> = params
        .iter()
        .filter(|(_, at)| at == "query")
        .map(|(n, _)| n.as_str())
        .collect();
    let mut variants = Vec::new();
    for u in &urls {
        if queries.contains(&"format") {
            for f in ["csv", "xlsx", "geojson", "gpkg"] {
                variants.push(format!("{u}?format={f}"));
            }
        }
        if queries.contains(&"reveal") {
            variants.push(format!("{u}?reveal=id_number"));
        }
        if queries.contains(&"lang") {
            variants.push(format!("{u}?lang=en"));
        }
        // Parameters some operations need before they answer at all.
        let quarter = demo_quarter().code();
        for (name, values) in [
            ("by", &["commune", "working_group", "kind"][..]),
            (
                "stance",
                &[
                    "agrees",
                    "considering",
                    "disagrees",
                    "refuses_contact",
                    "none",
                ][..],
            ),
            ("period", &[quarter.as_str()][..]),
            ("project", &["HPDQ2"][..]),
        ] {
            if queries.contains(&name) {
                for v in values {
                    variants.push(format!("{u}?{name}={v}"));
                }
            }
        }
    }
    urls.extend(variants);
    urls
}

/// The text a body holds: itself, and every entry's text when it is a ZIP (XLSX sheets and
/// shared strings, zipped shapefiles). GeoPackage and tiles are searched as bytes.
fn texts_of(bytes: &[u8]) -> Vec<String> {
    let mut out = vec![String::from_utf8_lossy(bytes).into_owned()];
    if bytes.starts_with(b"PK") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let mut raw = Vec::new();
            entry.read_to_end(&mut raw).unwrap();
            out.push(String::from_utf8_lossy(&raw).into_owned());
        }
    }
    out
}

#[derive(Default)]
struct Sweep {
    walked: usize,
    ok: usize,
    refused: usize,
    statuses: Vec<(u16, String)>,
    /// kind → (value, url) of the first few hits.
    hits: BTreeMap<&'static str, Vec<(String, String)>>,
}

impl Sweep {
    async fn read(&mut self, app: &TestApp, client: &Client, url: &str, needles: &[Needle]) {
        let res = client.get(app.url(url)).send().await.expect("request");
        let status = res.status();
        let bytes = res.bytes().await.expect("body");
        self.walked += 1;
        self.statuses.push((status.as_u16(), url.to_string()));
        assert!(
            !status.is_server_error(),
            "GET {url}: {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        if !status.is_success() {
            if matches!(
                status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ) {
                self.refused += 1;
            }
            return;
        }
        self.ok += 1;
        let texts = texts_of(&bytes);
        // An import template is a fixed workbook built without the database: its headers
        // word the flags and its example row is `Nguyễn Văn A` (whom the demo also holds, on
        // purpose). Numbers and codes are still searched there.
        let fixed = url.contains("/template");
        for n in needles {
            if fixed && matches!(n.kind, "head name" | "member name" | "vulnerability flag") {
                continue;
            }
            if texts.iter().any(|t| t.contains(&n.text)) {
                let list = self.hits.entry(n.kind).or_default();
                if list.len() < 5 {
                    list.push((n.text.clone(), url.to_string()));
                }
            }
        }
    }

    fn summary(&self, who: &str) -> String {
        let hits: Vec<String> = self
            .hits
            .iter()
            .map(|(k, v)| format!("{k}: {v:?}"))
            .collect();
        format!(
            "{who}: {} reads, {} answered 2xx, {} refused (401/403/404); hits {}",
            self.walked,
            self.ok,
            self.refused,
            if hits.is_empty() {
                "none".to_string()
            } else {
                hits.join("; ")
            }
        )
    }
}

/// Every read the walk makes: the OpenAPI GET operations under /api/v1, then OGC, a tile
/// and the public page.
async fn reads(app: &TestApp, admin: &Client) -> Vec<String> {
    let res = app
        .anonymous()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    let mut out = Vec::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        if !path.starts_with("/api/v1/") {
            continue;
        }
        operations += 1;
        out.extend(urls_of(app, path, op).await);
    }
    assert!(
        operations >= 50,
        "the document lists {operations} GET operations"
    );
    // OGC API Features: every collection's items.
    out.extend(["/ogc".to_string(), "/ogc/collections".to_string()]);
    let (_, collections) = app.get_json(admin, "/ogc/collections").await;
    for c in collections["collections"].as_array().expect("collections") {
        let id = c["id"].as_str().unwrap();
        out.push(format!("/ogc/collections/{id}"));
        out.push(format!("/ogc/collections/{id}/items?limit=1000"));
        let first = app
            .count("SELECT CAST(MIN(id) AS BIGINT) FROM parcels")
            .await;
        out.push(format!("/ogc/collections/{id}/items/{first}"));
    }
    // One tile over a parcel, at a zoom that holds its features.
    let parcel = app
        .count("SELECT CAST(MIN(id) AS BIGINT) FROM parcels")
        .await;
    let (_, p) = app
        .get_json(admin, &format!("/api/v1/parcels/{parcel}"))
        .await;
    let (lon, lat) = first_point(&p["geometry"]).expect("a parcel geometry");
    for z in [14_u8, 17] {
        let (x, y) = tile_of(lon, lat, z);
        out.push(format!("/tiles/HPDQ2/{z}/{x}/{y}.mvt"));
    }
    out.push("/public/projects/HPDQ2".into());
    out.push("/public/projects/HPDQ2?lang=en".into());
    println!("{operations} GET operations in the OpenAPI document");
    out
}

fn first_point(g: &Value) -> Option<(f64, f64)> {
    let mut c = &g["coordinates"];
    while c[0].is_array() {
        c = &c[0];
    }
    Some((c[0].as_f64()?, c[1].as_f64()?))
}

fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1_u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (x as u32, y as u32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_board_token_reads_no_person_from_any_get_operation() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let needles = personal_values(&app).await;
    let urls = reads(&app, &admin).await;

    let mut by_admin = Sweep::default();
    for url in &urls {
        by_admin.read(&app, &admin, url, &needles).await;
    }
    println!("{}", by_admin.summary("admin"));
    // The search is not blind: the same walk as admin finds every kind of value.
    for kind in [
        "head name",
        "household code",
        "masked CCCD",
        "CCCD",
        "phone",
        "member name",
        "vulnerability flag",
    ] {
        assert!(
            by_admin.hits.contains_key(kind),
            "the admin walk found no {kind}: {}",
            by_admin.summary("admin")
        );
    }

    for write in [false, true] {
        let board = app.board(write).await;
        let mut sweep = Sweep::default();
        for url in &urls {
            sweep.read(&app, &board, url, &needles).await;
        }
        let who = if write {
            "board (write)"
        } else {
            "board (read)"
        };
        println!("{}", sweep.summary(who));
        if !write {
            let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
            for (s, u) in &sweep.statuses {
                by_status.entry(*s).or_default().push(u);
            }
            for (s, us) in by_status {
                println!("  {s}: {}", us.join(" "));
            }
        }
        assert!(sweep.hits.is_empty(), "{}", sweep.summary(who));
        assert!(
            sweep.ok > 20,
            "the board reads its project: {}",
            sweep.summary(who)
        );
        assert_eq!(sweep.walked, urls.len());
    }
}
