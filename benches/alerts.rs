//! Alerts benchmark (run with `bench/alerts`, not part of the tests). Builds the demo project at
//! about 100,000 households (`--parcels 215000`; 0.465 households per parcel) on SQLite and, with
//! `--postgres URL`, on PostgreSQL too, serves each, and times over HTTP every filter the alerts
//! page (`web/alerts.js`) offers, as a leader and as a member (area scope):
//! - `GET /api/v1/alerts` (a page of 100 and the counts of every kind): no filter, the second
//!   page, `limit=500`, each of the 8 kinds, the page's largest commune (`commune_id`), that
//!   commune with each kind, every project (no `project`), and a post-2025 commune holding six
//!   merged ones;
//! - `GET /api/v1/alerts/groups` by commune, working group and kind, alone, with the commune
//!   and with a kind;
//! - the baseline in the same run and on the same database: `GET /api/v1/projects/HPDQ2/progress`
//!   (read from counters), and the naive query the stage-deadline index avoids.
//!
//! Options: `--parcels N` (215000), `--requests N` per case (100), `--db PATH` (the SQLite file;
//! default `target/bench-tmp/alerts-<parcels>.db`, kept and reused, migrated on open; `--fresh`
//! rebuilds it), `--postgres URL` (a server: a fresh database is created there and dropped
//! after), `--only sqlite|postgres`.
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

const GOAL_MS: f64 = 100.0;

const KINDS: [&str; 8] = [
    "hot_spot",
    "grievance_overdue",
    "stage_overdue",
    "split_after_cutoff",
    "land_use_change_after_cutoff",
    "commitment_overdue",
    "grievance_due",
    "not_visited",
];

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
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

async fn get(client: &reqwest::Client, url: &str) -> serde_json::Value {
    let res = client.get(url).send().await.unwrap();
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.json().await.unwrap()
}

/// p50 and p99 in ms of `n` sequential GETs (after 10 warm-up requests).
async fn time(client: &reqwest::Client, url: &str, n: usize) -> (f64, f64) {
    let mut ms = Vec::with_capacity(n);
    for i in 0..n + 10 {
        let t = Instant::now();
        let res = client.get(url).send().await.unwrap();
        assert!(res.status().is_success(), "{url}: {}", res.status());
        res.bytes().await.unwrap();
        if i >= 10 {
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

/// The SQLite file (kept between runs) or a fresh database on the PostgreSQL server.
async fn database(parcels: usize, postgres: Option<&str>) -> (String, Option<(String, String)>) {
    if let Some(server) = postgres {
        let server = server.trim_end_matches('/');
        let name = format!("gpmb_bench_alerts_{}", std::process::id());
        let admin = sea_orm::Database::connect(format!("{server}/postgres"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        return (format!("{server}/{name}"), Some((server.to_string(), name)));
    }
    let path = arg("--db").unwrap_or_else(|| format!("target/bench-tmp/alerts-{parcels}.db"));
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    if flag("--fresh") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    (format!("sqlite://{path}"), None)
}

/// One request of the matrix: who asks, what, and the label printed.
struct Case {
    label: String,
    client: reqwest::Client,
    url: String,
}

/// Every filter combination the alerts page offers, for one role.
async fn cases_of(
    base: &str,
    role: &str,
    client: &reqwest::Client,
    commune: i64,
    out: &mut Vec<Case>,
) {
    let list = format!("{base}/api/v1/alerts?project=HPDQ2&lang=vi&limit=100");
    let mut add = |label: String, url: String| {
        out.push(Case {
            label: format!("{role}, {label}"),
            client: client.clone(),
            url,
        });
    };
    add("first page + counts".into(), list.clone());
    let first = get(client, &list).await;
    if let Some(cursor) = first["next_cursor"].as_str() {
        add("second page".into(), format!("{list}&cursor={cursor}"));
    }
    add(
        "limit=500, English".into(),
        format!("{base}/api/v1/alerts?project=HPDQ2&lang=en&limit=500"),
    );
    for kind in KINDS {
        add(format!("kind={kind}"), format!("{list}&kind={kind}"));
    }
    add(
        format!("commune_id={commune}"),
        format!("{list}&commune_id={commune}"),
    );
    for kind in KINDS {
        add(
            format!("commune_id={commune}, kind={kind}"),
            format!("{list}&commune_id={commune}&kind={kind}"),
        );
    }
    for by in ["commune", "working_group", "kind"] {
        let groups = format!("{base}/api/v1/alerts/groups?project=HPDQ2&lang=vi&by={by}");
        add(format!("groups by={by}"), groups.clone());
        if by != "commune" {
            // The page leaves the commune out when grouping by commune.
            add(
                format!("groups by={by}, commune_id={commune}"),
                format!("{groups}&commune_id={commune}"),
            );
        }
        for kind in KINDS {
            add(
                format!("groups by={by}, kind={kind}"),
                format!("{groups}&kind={kind}"),
            );
        }
    }
}

/// Demo, server, cases, table: one database. Returns the worst p99.
async fn run(label: &str, url: &str, parcels: usize, n: usize) -> f64 {
    let started = Instant::now();
    let db = db::open(url, SqliteSync::Normal).await.unwrap();
    if !gpmb::projects::service::any_project(&db.conn)
        .await
        .unwrap()
    {
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
        eprintln!(
            "  {label}: demo of {parcels} parcels loaded in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        if db.backend() == sea_orm::DatabaseBackend::Postgres {
            // What autovacuum does some time after a bulk load: statistics for the planner
            // and the visibility map for index-only scans.
            db.conn.execute_unprepared("VACUUM ANALYZE").await.unwrap();
        }
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

    let settings = Settings {
        sqlite_sync: SqliteSync::Normal,
        ..Settings::with_url(url)
    };
    let state = AppState::new(db.clone(), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app::serve(listener, state, std::future::pending()));
    let leader = login(&base, "leader").await;
    let member = login(&base, "member_a").await;

    println!();
    println!(
        "== {label}: {households} households, {visits} visits, {commitments} commitments, \
         {events} stage events; {n} sequential requests per case ({} cores)",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    );
    let (base_p50, base_p99) = time(
        &leader,
        &format!("{base}/api/v1/projects/HPDQ2/progress"),
        n,
    )
    .await;
    let first = get(&leader, &format!("{base}/api/v1/alerts?project=HPDQ2")).await;
    println!(
        "alerts counted: total {}, {}",
        first["total"], first["counts"]
    );

    // The communes the page offers (the progress breakdown): the leader filters the largest;
    // the member the commune of the first alert in the area.
    let progress = get(&leader, &format!("{base}/api/v1/projects/HPDQ2/progress")).await;
    let largest = progress["by_commune"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|c| c["parcels"]["total"].as_i64().unwrap_or(0))
        .and_then(|c| c["id"].as_i64())
        .expect("a commune");
    let mine = get(
        &member,
        &format!("{base}/api/v1/alerts?project=HPDQ2&limit=1"),
    )
    .await;
    let member_commune = mine["items"][0]["commune"]["id"]
        .as_i64()
        .expect("an alert in member_a's area");
    let merged_into = db
        .conn
        .query_one(Statement::from_string(
            db.backend(),
            format!("SELECT successor_id FROM admin_units WHERE id = {largest}"),
        ))
        .await
        .unwrap()
        .and_then(|r| r.try_get_by_index::<Option<i32>>(0).ok().flatten());

    let mut cases = Vec::new();
    cases_of(&base, "leader", &leader, largest, &mut cases).await;
    cases_of(&base, "member_a", &member, member_commune, &mut cases).await;
    cases.push(Case {
        label: "leader, every project (no `project`)".into(),
        client: leader.clone(),
        url: format!("{base}/api/v1/alerts?lang=vi&limit=100"),
    });
    if let Some(unit) = merged_into {
        cases.push(Case {
            label: format!("leader, commune_id={unit} (post-2025, merged units in it)"),
            client: leader.clone(),
            url: format!("{base}/api/v1/alerts?project=HPDQ2&lang=vi&limit=100&commune_id={unit}"),
        });
    }

    println!("| request | p50 ms | p99 ms | p50 ÷ baseline p50 |");
    println!("|---|---|---|---|");
    println!("| baseline `GET /projects/HPDQ2/progress` | {base_p50:.2} | {base_p99:.2} | 1.0× |");
    let mut worst = (0.0f64, String::new());
    let mut p99s = Vec::new();
    for case in &cases {
        let (p50, p99) = time(&case.client, &case.url, n).await;
        if p99 > worst.0 {
            worst = (p99, case.label.clone());
        }
        p99s.push(p99);
        println!(
            "| {} | {p50:.2} | {p99:.2} | {:.1}× |",
            case.label,
            p50 / base_p50
        );
    }
    p99s.sort_by(f64::total_cmp);
    let over = p99s.iter().filter(|p| **p >= GOAL_MS).count();
    println!(
        "{label}: {} cases, worst p99 {:.1} ms ({}), median case p99 {:.1} ms, {over} at or over \
         the {GOAL_MS:.0} ms goal",
        cases.len(),
        worst.0,
        worst.1,
        percentile(&p99s, 0.5)
    );

    // What the maintained deadline dates save: the same question asked naively.
    let today = chrono::Utc::now().date_naive();
    let naive = format!(
        "SELECT COUNT(*) FROM case_stage_events e WHERE e.due_on IS NOT NULL AND e.due_on < '{today}' \
         AND NOT EXISTS (SELECT 1 FROM case_stage_events x WHERE x.household_id = e.household_id \
         AND x.stage = e.due_stage)"
    );
    let mut ms = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        db.conn
            .query_one(Statement::from_string(db.backend(), naive.clone()))
            .await
            .unwrap();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "{label}: the naive overdue-deadline query (NOT EXISTS over {events} stage events) takes \
         {:.1} ms for one kind, no page",
        percentile(&ms, 0.5)
    );
    db.conn.clone().close().await.ok();
    worst.0
}

fn main() {
    let parcels: usize = arg("--parcels")
        .and_then(|v| v.parse().ok())
        .unwrap_or(215_000);
    let n: usize = arg("--requests")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let only = arg("--only");
    let postgres = arg("--postgres");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!(
            "gpmb alerts benchmark: the alerts page's filters at {parcels} demo parcels, \
             goal p99 < {GOAL_MS:.0} ms each"
        );
        let mut worst = Vec::new();
        if only.as_deref() != Some("postgres") {
            let (url, _) = database(parcels, None).await;
            worst.push(("SQLite", run("SQLite", &url, parcels, n).await));
        }
        if only.as_deref() != Some("sqlite") {
            match postgres.as_deref() {
                Some(server) => {
                    let (url, created) = database(parcels, Some(server)).await;
                    worst.push(("PostgreSQL", run("PostgreSQL", &url, parcels, n).await));
                    if let Some((server, name)) = created {
                        let admin = sea_orm::Database::connect(format!("{server}/postgres"))
                            .await
                            .unwrap();
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                }
                None => println!(
                    "\nPostgreSQL: not measured (no --postgres URL; bench/alerts starts a \
                     throw-away server when PostgreSQL's binaries are installed)"
                ),
            }
        }
        println!();
        for (label, p99) in worst {
            println!(
                "{label}: worst p99 {p99:.1} ms — {}",
                if p99 < GOAL_MS {
                    "within the goal"
                } else {
                    "OVER the goal"
                }
            );
        }
    });
}
