//! Hostile files through the whole import over HTTP (issue 16 item 3): mutated GeoJSON,
//! zipped Shapefiles, CSV and XLSX registers, as dry runs and for real. Whatever the file,
//! the answer is 200 with a report or a 4xx (never a 500), the server stays healthy, and a
//! refused file (or any dry run) stores nothing. Cases: `PROPTEST_CASES` (default 64 per
//! importer, 32 workbooks: a few seconds).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::{json_of, TestApp};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Client, StatusCode};
use serde_json::Value;

#[path = "../../src/imports/hostile.rs"]
mod hostile;

use hostile::{Seed, HOUSEHOLD_SEEDS, PARCEL_SEEDS};

/// Rows an import may write.
const STORED: &str = "SELECT (SELECT COUNT(*) FROM parcels) + (SELECT COUNT(*) FROM households) \
     + (SELECT COUNT(*) FROM household_parcels) + (SELECT COUNT(*) FROM import_batches) \
     + (SELECT COUNT(*) FROM parcel_status_events)";

struct Outcome {
    status: StatusCode,
    body: Value,
    healthy: bool,
    stored_before: i64,
    stored_after: i64,
}

async fn send(
    app: &TestApp,
    admin: &Client,
    what: &str,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> Outcome {
    let stored_before = app.count(STORED).await;
    let res = admin
        .post(app.url(&format!(
            "/api/v1/projects/HPDQ2/imports/{what}?filename={name}&dry_run={dry_run}"
        )))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    let healthy = admin
        .get(app.url("/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK);
    Outcome {
        status,
        body,
        healthy,
        stored_before,
        stored_after: app.count(STORED).await,
    }
}

fn check(o: &Outcome, dry_run: bool) -> Result<(), TestCaseError> {
    prop_assert!(o.healthy, "the server is down after the file");
    prop_assert!(
        o.status == StatusCode::OK || o.status.is_client_error(),
        "{}: {}",
        o.status,
        o.body
    );
    if o.status == StatusCode::OK {
        prop_assert_eq!(&o.body["committed"], &Value::Bool(!dry_run), "{}", o.body);
    }
    if o.status != StatusCode::OK || dry_run {
        prop_assert_eq!(o.stored_before, o.stored_after, "{} stored rows", o.status);
    }
    Ok(())
}

/// Runs `cases` hostile variants of `seeds` through `/imports/{what}`, half of them dry runs.
fn fuzz(what: &'static str, seeds: &'static [Seed], extra_names: &'static [&'static str]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, admin) = rt.block_on(async {
        let app = TestApp::spawn().await;
        let admin = app.login("admin").await;
        (app, admin)
    });
    if what == "households" {
        // The registers name parcels of the fixture's map sheet 90: import them first.
        let seed = PARCEL_SEEDS[0];
        let o = rt.block_on(send(
            &app,
            &admin,
            "parcels",
            seed.name,
            seed.bytes.to_vec(),
            false,
        ));
        assert_eq!(o.status, StatusCode::OK, "{}", o.body);
    }
    // The seeds are valid files (a dry run accepts each): the mutations are what is refused.
    for seed in seeds {
        let o = rt.block_on(send(
            &app,
            &admin,
            what,
            seed.name,
            seed.bytes.to_vec(),
            true,
        ));
        assert_eq!(o.status, StatusCode::OK, "{}: {}", seed.name, o.body);
    }
    let mut runner = TestRunner::new(Config {
        cases: hostile::cases(64),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        select(seeds),
        hostile::mutations(),
        any::<bool>(),
        prop_oneof![3 => Just(None), 1 => select(extra_names).prop_map(Some)],
    );
    let counted = std::sync::atomic::AtomicU32::new(0);
    let result = runner.run(&strategy, |(seed, changes, dry_run, other_name)| {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bytes = hostile::apply(seed.bytes, &changes);
        let name = other_name.unwrap_or(seed.name);
        let o = rt.block_on(send(&app, &admin, what, name, bytes, dry_run));
        check(&o, dry_run)
    });
    if let Err(e) = result {
        panic!("{what}: {e}");
    }
    assert!(counted.into_inner() >= 1);
    drop(admin);
    rt.block_on(async move { drop(app) });
}

#[test]
fn hostile_parcel_files_store_nothing_and_never_break_the_server() {
    fuzz("parcels", &PARCEL_SEEDS, &["p.zip", "p.json", "p.xlsx"]);
}

#[test]
fn hostile_household_registers_store_nothing_and_never_break_the_server() {
    fuzz(
        "households",
        &HOUSEHOLD_SEEDS,
        &["h.xlsx", "h.csv", "h.zip"],
    );
}

/// Workbooks with cells anywhere in the sheet, through the whole import.
#[test]
fn hostile_workbooks_store_nothing_and_never_break_the_server() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, admin) = rt.block_on(async {
        let app = TestApp::spawn().await;
        let admin = app.login("admin").await;
        (app, admin)
    });
    let mut runner = TestRunner::new(Config {
        cases: hostile::cases(32),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(
        &(hostile::workbook_cells(), any::<bool>()),
        |(cells, dry_run)| {
            let bytes = hostile::workbook(&cells);
            let o = rt.block_on(send(&app, &admin, "households", "h.xlsx", bytes, dry_run));
            check(&o, dry_run)
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    drop(admin);
    rt.block_on(async move { drop(app) });
}
