//! Tile benchmark driver (run by `bench/tiles`, not part of the tests): the same tile set
//! served by a running `gpmb serve` over HTTP and by PostGIS `ST_AsMVT(ST_AsMVTGeom(...))`
//! queries (what Martin and pg_tileserv run per tile), with the same client concurrency.
//!
//! Arguments (all given by bench/tiles): --sqlite PATH (the gpmb database, to read the parcels)
//! --gpmb http://127.0.0.1:PORT --pid PID (of gpmb serve, for its peak RSS) --postgres URL
//! [--project HPDQ2] [--per-zoom 2000] [--clients 4] [--min-zoom 10] [--max-zoom 18]
#![allow(
    clippy::disallowed_methods,
    clippy::too_many_lines,
    clippy::struct_field_names,
    reason = "benchmarks set up rows and time baselines with plain SQL, in one scenario each"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use geozero::mvt::{Message, Tile};
use gpmb::geo::tiling::tiles_covering;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn arg_or(name: &str, default: &str) -> String {
    arg(name).unwrap_or_else(|| default.to_string())
}

struct Parcel {
    id: i32,
    status: String,
    land_use: String,
    map_sheet: String,
    parcel_no: String,
    area_m2: f64,
    commune: String,
    geometry: String,
    bbox: [f64; 4],
}

async fn read_parcels(sqlite: &str, project: &str) -> Vec<Parcel> {
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{sqlite}"))
        .unwrap()
        .read_only(true)
        .connect()
        .await
        .unwrap();
    sqlx::query(
        "SELECT p.id, p.status, p.land_use, p.map_sheet, p.parcel_no, p.area_m2, u.code, p.geometry, \
         p.min_lon, p.min_lat, p.max_lon, p.max_lat FROM parcels p \
         JOIN projects pr ON pr.id = p.project_id JOIN admin_units u ON u.id = p.commune_id \
         WHERE pr.code = ? ORDER BY p.id",
    )
    .bind(project)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| Parcel {
        id: r.get(0),
        status: r.get(1),
        land_use: r.get(2),
        map_sheet: r.get(3),
        parcel_no: r.get(4),
        area_m2: r.get(5),
        commune: r.get(6),
        geometry: r.get(7),
        bbox: [r.get(8), r.get(9), r.get(10), r.get(11)],
    })
    .collect()
}

/// Loads the parcels into PostGIS (EPSG:4326 MultiPolygons with a GIST index), unless the
/// table already holds them.
async fn load_postgis(pool: &sqlx::PgPool, parcels: &[Parcel]) {
    sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(pool)
        .await
        .unwrap();
    let have: Option<i64> = sqlx::query_scalar(
        "SELECT CASE WHEN to_regclass('parcels') IS NULL THEN NULL ELSE 0 END::bigint",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    if have.is_some() {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM parcels")
            .fetch_one(pool)
            .await
            .unwrap();
        if n == parcels.len() as i64 {
            return;
        }
        sqlx::query("DROP TABLE parcels")
            .execute(pool)
            .await
            .unwrap();
    }
    let started = Instant::now();
    for sql in [
        "DROP TABLE IF EXISTS parcels_src",
        "CREATE UNLOGGED TABLE parcels_src (id int, status text, land_use text, map_sheet text, \
         parcel_no text, area_m2 float8, commune text, geojson text)",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    let mut csv = csv::Writer::from_writer(Vec::new());
    for p in parcels {
        csv.write_record([
            p.id.to_string(),
            p.status.clone(),
            p.land_use.clone(),
            p.map_sheet.clone(),
            p.parcel_no.clone(),
            p.area_m2.to_string(),
            p.commune.clone(),
            p.geometry.clone(),
        ])
        .unwrap();
    }
    let data = csv.into_inner().unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let mut copy = conn
        .copy_in_raw("COPY parcels_src FROM STDIN WITH (FORMAT csv)")
        .await
        .unwrap();
    copy.send(data).await.unwrap();
    copy.finish().await.unwrap();
    drop(conn);
    for sql in [
        "CREATE TABLE parcels AS SELECT id, status, land_use, map_sheet, parcel_no, area_m2, commune, \
         ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326))::geometry(MultiPolygon, 4326) AS geom \
         FROM parcels_src",
        "ALTER TABLE parcels ADD PRIMARY KEY (id)",
        "CREATE INDEX parcels_geom ON parcels USING gist (geom)",
        "DROP TABLE parcels_src",
        "VACUUM ANALYZE parcels",
        // Written out now, not by the checkpointer while the tiles are timed.
        "CHECKPOINT",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    println!(
        "loaded {} parcels into PostGIS in {:.1} s",
        parcels.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Every tile at zoom z that some parcel's extent touches, sampled evenly down to `per_zoom`.
fn tile_set(parcels: &[Parcel], z: u8, per_zoom: usize) -> Vec<(u32, u32)> {
    let mut set = BTreeSet::new();
    for p in parcels {
        let ((x0, x1), (y0, y1)) = tiles_covering(p.bbox[0], p.bbox[1], p.bbox[2], p.bbox[3], z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                set.insert((y, x));
            }
        }
    }
    let all: Vec<(u32, u32)> = set.into_iter().map(|(y, x)| (x, y)).collect();
    if all.len() <= per_zoom {
        return all;
    }
    (0..per_zoom)
        .map(|i| all[i * all.len() / per_zoom])
        .collect()
}

struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
    features: usize,
    /// The largest tile, in bytes.
    max_bytes: usize,
}

fn features_in(body: &[u8]) -> usize {
    if body.is_empty() {
        return 0;
    }
    Tile::decode(body).map_or(0, |t| t.layers.iter().map(|l| l.features.len()).sum())
}

#[derive(Clone)]
enum Backend {
    /// gpmb's address (host:port) and the project code.
    Gpmb(String, String),
    PostGis(sqlx::PgPool),
}

/// One client: its own keep-alive HTTP/1.1 connection to gpmb, with the address and project
/// it asks for; or the PostGIS pool (one connection each).
enum Client {
    Gpmb {
        sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
        addr: String,
        project: String,
    },
    PostGis(sqlx::PgPool),
}

const POSTGIS_TILE: &str = "SELECT ST_AsMVT(q, 'parcels') FROM (\
    SELECT id, status, land_use, map_sheet, parcel_no, area_m2, commune, \
    ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom \
    FROM parcels WHERE geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)\
    ) q";

impl Backend {
    /// A client. gpmb is asked over hyper's own HTTP/1.1 connection (what reqwest is built on,
    /// without its pool, redirects and URL parsing): the client runs on the same two cores as
    /// the servers, so it is kept about as lean as PostgreSQL's wire protocol client.
    async fn client(&self) -> Client {
        match self {
            Backend::Gpmb(addr, project) => {
                let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .unwrap();
                tokio::spawn(conn);
                Client::Gpmb {
                    sender,
                    addr: addr.clone(),
                    project: project.clone(),
                }
            }
            Backend::PostGis(pool) => Client::PostGis(pool.clone()),
        }
    }
}

impl Client {
    async fn fetch(&mut self, z: u8, x: u32, y: u32) -> Vec<u8> {
        match self {
            Client::Gpmb {
                sender,
                addr,
                project,
            } => {
                let req = hyper::Request::get(format!("/tiles/{project}/{z}/{x}/{y}.mvt"))
                    .header(hyper::header::HOST, addr.as_str())
                    .body(Empty::new())
                    .unwrap();
                sender.ready().await.unwrap();
                let res = tokio::time::timeout(Duration::from_mins(2), sender.send_request(req))
                    .await
                    .expect("a tile within 2 minutes")
                    .unwrap();
                assert!(res.status().is_success(), "{}", res.status());
                res.into_body().collect().await.unwrap().to_bytes().to_vec()
            }
            Client::PostGis(pool) => {
                let bytes: Option<Vec<u8>> = sqlx::query_scalar(POSTGIS_TILE)
                    .bind(i32::from(z))
                    .bind(x as i32)
                    .bind(y as i32)
                    .fetch_one(&*pool)
                    .await
                    .unwrap();
                bytes.unwrap_or_default()
            }
        }
    }
}

async fn run(backend: &Backend, z: u8, tiles: &[(u32, u32)], clients: usize) -> Run {
    let tiles = Arc::new(tiles.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut connected = Vec::new();
    for _ in 0..clients {
        connected.push(backend.client().await);
    }
    let started = Instant::now();
    let mut handles = Vec::new();
    for mut client in connected {
        let (tiles, next) = (tiles.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(x, y)) = tiles.get(i) else {
                    return out;
                };
                let t = Instant::now();
                let body = client.fetch(z, x, y).await;
                out.push((t.elapsed(), body));
            }
        }));
    }
    let mut results = Vec::new();
    for h in handles {
        results.extend(h.await.unwrap());
    }
    let wall = started.elapsed().as_secs_f64();
    let mut ms: Vec<f64> = results.iter().map(|r| r.0.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    Run {
        rate: results.len() as f64 / wall,
        p50: pct(0.5),
        p99: pct(0.99),
        features: results.iter().map(|r| features_in(&r.1)).sum(),
        max_bytes: results.iter().map(|r| r.1.len()).max().unwrap_or(0),
    }
}

fn vm(pid: &str, key: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

#[tokio::main]
async fn main() {
    let sqlite = arg("--sqlite").expect("--sqlite PATH");
    let gpmb = arg("--gpmb").expect("--gpmb URL");
    let pid = arg("--pid").expect("--pid PID");
    let postgres = arg("--postgres").expect("--postgres URL");
    let project = arg_or("--project", "HPDQ2");
    let per_zoom: usize = arg_or("--per-zoom", "2000").parse().unwrap();
    let clients: usize = arg_or("--clients", "4").parse().unwrap();
    let min_zoom: u8 = arg_or("--min-zoom", "10").parse().unwrap();
    let max_zoom: u8 = arg_or("--max-zoom", "18").parse().unwrap();

    let parcels = read_parcels(&sqlite, &project).await;
    println!("{} parcels in project {project}", parcels.len());
    let pool = PgPoolOptions::new()
        .max_connections(clients as u32 + 1)
        .connect(&postgres)
        .await
        .unwrap();
    load_postgis(&pool, &parcels).await;
    let postgis_version: String = sqlx::query_scalar("SELECT postgis_full_version()")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "PostGIS: {}",
        postgis_version
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    );

    let addr = gpmb
        .strip_prefix("http://")
        .expect("--gpmb http://HOST:PORT")
        .trim_end_matches('/')
        .to_string();
    let gpmb_backend = Backend::Gpmb(addr, project.clone());
    let postgis = Backend::PostGis(pool.clone());

    // Warm-up with a tile outside the measured set (z11 over the project): gpmb loads its
    // index, PostgreSQL reads the table into its buffers.
    let mid = &parcels[parcels.len() / 2];
    let ((wx, _), (wy, _)) = tiles_covering(mid.bbox[0], mid.bbox[1], mid.bbox[2], mid.bbox[3], 11);
    let t = Instant::now();
    gpmb_backend.client().await.fetch(11, wx, wy).await;
    println!(
        "gpmb: first tile request (loads the index of {} parcels) took {:.0} ms; RSS after load {}",
        parcels.len(),
        t.elapsed().as_secs_f64() * 1e3,
        vm(&pid, "VmRSS:")
    );
    sqlx::query("SELECT count(*), sum(ST_NPoints(geom)) FROM parcels")
        .execute(&pool)
        .await
        .unwrap();
    postgis.client().await.fetch(11, wx, wy).await;

    let sets: Vec<(u8, Vec<(u32, u32)>)> = (min_zoom..=max_zoom)
        .map(|z| (z, tile_set(&parcels, z, per_zoom)))
        .collect();
    for pass in [
        "first request of each tile (gpmb's tile cache cold)",
        "same tiles again (gpmb answers from its tile cache)",
    ] {
        println!("\n{pass}; {clients} concurrent clients each way");
        println!(
            "{:>4} {:>6} | {:>9} {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>7} | {:>9} {:>9} | {:>8} {:>8}",
            "zoom",
            "tiles",
            "gpmb t/s",
            "p50 ms",
            "p99 ms",
            "PostGIS",
            "p50 ms",
            "p99 ms",
            "ratio",
            "gpmb feat",
            "PG feat",
            "gpmb KB",
            "PG KB"
        );
        // Features and largest tile: gpmb's overviews (z ≤ 13 on large projects) draw strips
        // of a pixel grid where PostGIS sends every parcel.
        let (mut g_n, mut g_t, mut p_t) = (0usize, 0.0f64, 0.0f64);
        for (z, tiles) in &sets {
            let g = run(&gpmb_backend, *z, tiles, clients).await;
            let p = run(&postgis, *z, tiles, clients).await;
            g_n += tiles.len();
            g_t += tiles.len() as f64 / g.rate;
            p_t += tiles.len() as f64 / p.rate;
            println!(
                "{:>4} {:>6} | {:>9.0} {:>8.2} {:>8.2} | {:>9.0} {:>8.2} {:>8.2} | {:>6.2}× | {:>9} {:>9} | {:>8.0} {:>8.0}",
                z,
                tiles.len(),
                g.rate,
                g.p50,
                g.p99,
                p.rate,
                p.p50,
                p.p99,
                g.rate / p.rate,
                g.features,
                p.features,
                g.max_bytes as f64 / 1024.0,
                p.max_bytes as f64 / 1024.0
            );
        }
        println!(
            " all {:>6} | {:>9.0} {:>8} {:>8} | {:>9.0} {:>8} {:>8} | {:>6.2}×",
            g_n,
            g_n as f64 / g_t,
            "",
            "",
            g_n as f64 / p_t,
            "",
            "",
            p_t / g_t
        );
    }
    println!(
        "\ngpmb serve peak RSS (VmHWM): {}; now (VmRSS): {}",
        vm(&pid, "VmHWM:"),
        vm(&pid, "VmRSS:")
    );
}
