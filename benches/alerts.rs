//! Alerts benchmark (run with `bench/alerts`, not part of the tests). Builds the demo project at
//! about 100,000 households (`--parcels 215000`; 0.465 households per parcel), serves it, and
//! times over HTTP, for many requests each:
//! - `GET /api/v1/alerts?project=HPDQ2` (first page and the counts of every kind) as a leader,
//!   as a member (area scope), filtered by kind and commune, and the second page;
//! - the baseline in the same run: `GET /api/v1/projects/HPDQ2/progress` (read from counters),
//!   and the naive query the stage-deadline index avoids (NOT EXISTS over every stage event).
//!
//! Options: `--parcels N` (215000), `--requests N` (200), `--db PATH` (keep the SQLite file and
//! reuse it on the next run), `--postgres URL` (a server: a fresh database is created there).
#![allow(
    clippy::disallowed_methods,
    clippy::too_many_lines,
    reason = "benchmarks set up rows and time baselines with plain SQL, in one scenario each"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use gpmb::app;
use gpmb::config::Settings;
use gpmb::db::{self, SqliteSync};
use gpmb::demo::{self, DemoOptions};
use gpmb::state::AppState;
use sea_orm::{ConnectionTrait, Statement};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn login(base: &str, user: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "login {user}");
    client
}

/// p50 and p99 in ms of `n` sequential GETs (after 10 warm-up requests), and the last body.
async fn time(client: &reqwest::Client, url: &str, n: usize) -> (f64, f64, serde_json::Value) {
    let mut ms = Vec::with_capacity(n);
    let mut last = serde_json::Value::Null;
    for i in 0..n + 10 {
        let t = Instant::now();
        let res = client.get(url).send().await.unwrap();
        assert!(res.status().is_success(), "{url}: {}", res.status());
        let body = res.bytes().await.unwrap();
        if i >= 10 {
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        if i + 1 == n + 10 {
            last = serde_json::from_slice(&body).unwrap_or_default();
        }
    }
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99), last)
}

async fn database(parcels: usize) -> (String, Option<tempfile::TempDir>) {
    if let Some(server) = arg("--postgres") {
        let name = format!("gpmb_bench_alerts_{}", std::process::id());
        let admin = sea_orm::Database::connect(format!("{server}/postgres"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        return (format!("{server}/{name}"), None);
    }
    if let Some(path) = arg("--db") {
        return (format!("sqlite://{path}"), None);
    }
    std::fs::create_dir_all("target/bench-tmp").unwrap();
    let dir = tempfile::tempdir_in("target/bench-tmp").unwrap();
    let url = format!("sqlite://{}", dir.path().join("alerts.db").display());
    let _ = parcels;
    (url, Some(dir))
}

fn main() {
    let parcels: usize = arg("--parcels")
        .and_then(|v| v.parse().ok())
        .unwrap_or(215_000);
    let n: usize = arg("--requests")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (url, _dir) = database(parcels).await;
        let db = db::open(&url, SqliteSync::Normal).await.unwrap();
        if !gpmb::projects::service::any_project(&db.conn).await.unwrap() {
            let started = Instant::now();
            demo::load_demo(
                &db.conn,
                &DemoOptions {
                    parcels,
                    ..DemoOptions::default()
                },
                &|stage, done, total| {
                    if done == total {
                        eprintln!("  demo: {stage} {done}/{total}");
                    }
                },
            )
            .await
            .unwrap();
            eprintln!("  demo loaded in {:.0} s", started.elapsed().as_secs_f64());
        }
        let count = |sql: &'static str| {
            let db = db.clone();
            async move {
                let row = db
                    .conn
                    .query_one(Statement::from_string(db.backend(), sql.to_string()))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get_by_index::<i64>(0).unwrap()
            }
        };
        let households = count("SELECT COUNT(*) FROM households").await;
        let events = count("SELECT COUNT(*) FROM case_stage_events").await;
        let visits = count("SELECT COUNT(*) FROM visits").await;
        let commitments = count("SELECT COUNT(*) FROM commitments").await;
        println!(
            "gpmb alerts benchmark ({} cores, {:?}): {households} households, {visits} visits, \
             {commitments} commitments, {events} stage events; {n} requests each",
            std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get),
            db.backend()
        );

        let settings = Settings {
            sqlite_sync: SqliteSync::Normal,
            ..Settings::with_url(&url)
        };
        let state = AppState::new(db.clone(), settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(app::serve(listener, state, std::future::pending()));
        let leader = login(&base, "leader").await;
        let member = login(&base, "member_a").await;

        let (base_p50, base_p99, _) = time(
            &leader,
            &format!("{base}/api/v1/projects/HPDQ2/progress"),
            n,
        )
        .await;
        println!(
            "baseline  GET /projects/HPDQ2/progress              p50 {base_p50:7.2} ms  p99 {base_p99:7.2} ms"
        );
        let first_url = format!("{base}/api/v1/alerts?project=HPDQ2");
        let (_, _, first) = time(&leader, &first_url, 1).await;
        let cursor = first["next_cursor"].as_str().unwrap_or("").to_string();
        println!(
            "          alerts counted: total {}, {}",
            first["total"], first["counts"]
        );
        let cases = [
            ("leader, first page + counts", leader.clone(), first_url.clone()),
            (
                "leader, second page",
                leader.clone(),
                format!("{first_url}&cursor={cursor}"),
            ),
            (
                "leader, kind=not_visited",
                leader.clone(),
                format!("{first_url}&kind=not_visited"),
            ),
            (
                "leader, kind=stage_overdue",
                leader.clone(),
                format!("{first_url}&kind=stage_overdue"),
            ),
            (
                "leader, commune=21061 (Bình Trị)",
                leader.clone(),
                format!("{first_url}&commune=21061"),
            ),
            ("member_a (area scope)", member.clone(), first_url.clone()),
            (
                "leader, limit=500, English",
                leader.clone(),
                format!("{first_url}&limit=500&lang=en"),
            ),
        ];
        let mut worst = 0.0f64;
        for (label, client, url) in cases {
            let (p50, p99, _) = time(&client, &url, n).await;
            worst = worst.max(p99);
            println!(
                "alerts    {label:<42} p50 {p50:7.2} ms  p99 {p99:7.2} ms  = {:.1}x the baseline p50",
                p50 / base_p50
            );
        }
        println!("worst alerts p99 {worst:.1} ms (goal < 200 ms)");

        // What the maintained deadline dates save: the same question asked naively.
        let today = chrono::Utc::now().date_naive();
        let naive = format!(
            "SELECT COUNT(*) FROM case_stage_events e WHERE e.due_on IS NOT NULL AND e.due_on < '{today}' \
             AND NOT EXISTS (SELECT 1 FROM case_stage_events x WHERE x.household_id = e.household_id \
             AND x.stage = e.due_stage)"
        );
        let mut ms = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            db.conn
                .query_one(Statement::from_string(db.backend(), naive.clone()))
                .await
                .unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "naive     stage deadlines by NOT EXISTS over {events} events: p50 {:.1} ms (one kind, no page)",
            percentile(&ms, 0.5)
        );
    });
}
