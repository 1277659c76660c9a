//! Foundation benchmark (run with `bench/run`, not part of the tests). Prints, in one run:
//! 1. raw SQLite single-row INSERT rate (one durable transaction per row) on this disk: the
//!    baseline;
//! 2. visits logged per second over HTTP (durable, each with its own Idempotency-Key), with
//!    the ratio to the baseline;
//!    with `--postgres postgres://user@host:port` (bench/run starts a throw-away server when
//!    PostgreSQL is installed) the same two on PostgreSQL: raw single-row INSERTs through sqlx
//!    (autocommit, `synchronous_commit` on) against visits over HTTP on a fresh database;
//! 3. demo generation rate and the progress endpoint's latency on an N-parcel project (default
//!    1,000,000), against a full scan of the parcels table (what counters avoid);
//! 4. start-up time of `gpmb serve --demo`.
#![allow(
    clippy::disallowed_methods,
    clippy::too_many_lines,
    reason = "benchmarks set up rows and time baselines with plain SQL, in one scenario each"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpmb::app;
use gpmb::config::Settings;
use gpmb::db::{self, SqliteSync};
use gpmb::demo::{self, DemoOptions};
use gpmb::state::AppState;
use sea_orm::{ConnectionTrait, Statement};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

fn arg_str(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn settings(url: &str) -> Settings {
    Settings {
        sqlite_sync: SqliteSync::Full,
        ..Settings::with_url(url)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Baseline: the same driver, one row per durable (WAL, synchronous=FULL) transaction.
async fn raw_insert_rate(dir: &std::path::Path, seconds: f64) -> f64 {
    let path = dir.join("raw.db");
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, household_id INTEGER, client_id TEXT UNIQUE, body TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        sqlx::query("INSERT INTO t (household_id, client_id, body) VALUES (?, ?, ?)")
            .bind(n as i64)
            .bind(format!("key-{n}"))
            .bind("Đề nghị xem xét lại đơn giá bồi thường")
            .execute(&mut conn)
            .await
            .unwrap();
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    conn.close().await.unwrap();
    rate
}

/// A fresh database on a PostgreSQL server.
async fn pg_database(server: &str, what: &str) -> String {
    let name = format!("gpmb_bench_{what}_{}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{server}/postgres"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    format!("{server}/{name}")
}

/// PostgreSQL baseline: the same driver, one row per autocommitted (durable) INSERT, from
/// `connections` connections at once (1 is the SQLite baseline's shape; many lets the server
/// flush several commits with one WAL write).
async fn pg_raw_insert_rate(url: &str, seconds: f64, connections: usize) -> f64 {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections as u32)
        .connect(url)
        .await
        .unwrap();
    sqlx::query("DROP TABLE IF EXISTS t")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (id SERIAL PRIMARY KEY, household_id INTEGER, client_id TEXT UNIQUE, body TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (pool, done) = (pool.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            let mut n = 0u64;
            while started.elapsed().as_secs_f64() < seconds {
                sqlx::query("INSERT INTO t (household_id, client_id, body) VALUES ($1, $2, $3)")
                    .bind(n as i32)
                    .bind(format!("key-{c}-{n}"))
                    .bind("Đề nghị xem xét lại đơn giá bồi thường")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                n += 1;
            }
            done.fetch_add(n, Ordering::Relaxed);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    pool.close().await;
    rate
}

async fn visits_over_http(url: &str, seconds: f64, clients: usize) -> (f64, f64, f64) {
    let db = db::open(url, SqliteSync::Full).await.unwrap();
    demo::load_demo(
        &db.conn,
        &DemoOptions {
            parcels: 2000,
            ..DemoOptions::default()
        },
        &|_, _, _| {},
    )
    .await
    .unwrap();
    let rows = db
        .conn
        .query_all(Statement::from_string(
            db.backend(),
            "SELECT h.id AS id FROM households h JOIN admin_units u ON u.id = h.commune_id WHERE u.code = '21043' AND u.valid_to IS NOT NULL"
                .to_string(),
        ))
        .await
        .unwrap();
    let households: Arc<Vec<i32>> =
        Arc::new(rows.iter().map(|r| r.try_get("", "id").unwrap()).collect());
    let state = AppState::new(db.clone(), settings(url));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app::serve(listener, state, std::future::pending()));

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "member_a", "password": "demo"}))
        .send()
        .await
        .unwrap();
    let me: serde_json::Value = client
        .get(format!("{base}/api/v1/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = me["working_groups"][0].as_i64().unwrap();

    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base, households) = (client.clone(), base.clone(), households.clone());
        let (done, failed, stop) = (done.clone(), failed.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let body = serde_json::json!({
                    "household_id": households[(c * 7919 + i) % households.len()],
                    "working_group_id": group,
                    "visited_at": "2026-11-20T09:30:00+07:00",
                    "kind": "home_visit",
                    "topics": ["compensation_price"],
                    "stance": "considering",
                    "concerns": "Đề nghị xem xét lại đơn giá bồi thường đất lúa",
                    "commitments": [{"text": "Gửi bảng giá", "owner": "Tổ công tác", "due_date": "2026-12-01"}]
                });
                let t = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/visits"))
                    .header("Idempotency-Key", format!("bench-{c}-{i}"))
                    .json(&body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                i += 1;
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "every visit must be accepted"
    );
    let stored = db
        .conn
        .query_one(Statement::from_string(
            db.backend(),
            "SELECT COUNT(*) AS n FROM visits WHERE client_id LIKE 'bench-%'".to_string(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(stored as u64, n, "every acknowledged visit is stored, once");
    latencies.sort_by(f64::total_cmp);
    (
        n as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

async fn progress_at_scale(dir: &std::path::Path, parcels: usize) {
    let url = format!("sqlite://{}", dir.join("big.db").display());
    let db = db::open(&url, SqliteSync::Normal).await.unwrap();
    let started = Instant::now();
    let summary = demo::load_demo(
        &db.conn,
        &DemoOptions {
            parcels,
            ..DemoOptions::default()
        },
        &|stage, done, total| {
            if done == total || done % 200_000 == 0 {
                eprintln!("  demo: {stage} {done}/{total}");
            }
        },
    )
    .await
    .unwrap();
    let took = started.elapsed().as_secs_f64();
    println!(
        "demo generation        {} parcels, {} households, {} visits in {:.1} s = {:.0} parcels/s",
        summary.parcels,
        summary.households,
        summary.visits,
        took,
        summary.parcels as f64 / took
    );

    let state = AppState::new(db.clone(), settings(&url));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "leader", "password": "demo"}))
        .send()
        .await
        .unwrap();
    let time = |path: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let mut ms = Vec::new();
            for i in 0..220 {
                let t = Instant::now();
                let res = client.get(format!("{base}{path}")).send().await.unwrap();
                assert!(res.status().is_success());
                let _ = res.bytes().await.unwrap();
                if i >= 20 {
                    ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            ms.sort_by(f64::total_cmp);
            (percentile(&ms, 0.5), percentile(&ms, 0.99))
        }
    };
    let (health_p50, _) = time("/healthz").await;
    let (p50, p99) = time("/api/v1/projects/HPDQ2/progress").await;
    // What the counters save: one GROUP BY over every parcel.
    let mut scan = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        db.conn
            .query_all(Statement::from_string(
                db.backend(),
                "SELECT status, COUNT(*), SUM(area_m2) FROM parcels GROUP BY status".to_string(),
            ))
            .await
            .unwrap();
        scan.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    scan.sort_by(f64::total_cmp);
    let scan_p50 = percentile(&scan, 0.5);
    println!(
        "progress endpoint      p50 {p50:.2} ms, p99 {p99:.2} ms at {parcels} parcels (goal < 50 ms); \
         /healthz p50 {health_p50:.2} ms; one scan of parcels {scan_p50:.1} ms = {:.0}x slower than the endpoint",
        scan_p50 / p50
    );
}

fn startup_time() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::var("GPMB_BIN").unwrap_or_else(|_| "target/release/gpmb".to_string());
    // Absolute: the server runs in another directory, where a relative path means nothing.
    let Ok(exe) = std::fs::canonicalize(&exe) else {
        println!("start-up                (skipped: build {exe} first, as bench/run does)");
        return;
    };
    let started = Instant::now();
    let mut child = std::process::Command::new(&exe)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let out = child.stdout.take().unwrap();
    for line in std::io::BufReader::new(out).lines() {
        if line.unwrap().starts_with("gpmb listening on") {
            break;
        }
    }
    let took = started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    println!("start-up               `gpmb serve --demo` (2,000 parcels, fresh database) ready in {took:.2} s (goal < 5 s)");
}

fn main() {
    let parcels = arg("--parcels", 1_000_000) as usize;
    let seconds = arg("--seconds", 8) as f64;
    let clients = arg("--clients", 64) as usize;
    // Same disk for the baseline and the server: a folder under target/.
    std::fs::create_dir_all("target/bench-tmp").unwrap();
    let dir = tempfile::tempdir_in("target/bench-tmp").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "gpmb foundation benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    startup_time();
    rt.block_on(async {
        let raw = raw_insert_rate(dir.path(), seconds).await;
        println!("raw SQLite INSERT       {raw:.0} rows/s (one durable transaction per row; baseline)");
        let url = format!("sqlite://{}", dir.path().join("http.db").display());
        let (rate, p50, p99) = visits_over_http(&url, seconds, clients).await;
        println!(
            "visits over HTTP        {rate:.0} visits/s with {clients} clients, p50 {p50:.1} ms, p99 {p99:.1} ms \
             = {:.2}x the raw INSERT rate (goals: >= 0.5x and >= 2000/s)",
            rate / raw
        );
        if let Some(server) = arg_str("--postgres") {
            let raw_url = pg_database(&server, "raw").await;
            let raw = pg_raw_insert_rate(&raw_url, seconds, 1).await;
            println!("PostgreSQL raw INSERT   {raw:.0} rows/s (sqlx, one autocommitted row at a time, 1 connection; baseline)");
            let raw_many = pg_raw_insert_rate(&raw_url, seconds, clients).await;
            println!(
                "PostgreSQL raw INSERT   {raw_many:.0} rows/s from {clients} connections at once (the server groups their WAL flushes)"
            );
            let url = pg_database(&server, "http").await;
            let (rate, p50, p99) = visits_over_http(&url, seconds, clients).await;
            println!(
                "PostgreSQL visits/HTTP  {rate:.0} visits/s with {clients} clients, p50 {p50:.1} ms, p99 {p99:.1} ms \
                 = {:.2}x the 1-connection raw rate (goal >= 0.5x), {:.2}x the {clients}-connection rate",
                rate / raw,
                rate / raw_many
            );
        }
        progress_at_scale(dir.path(), parcels).await;
    });
}
