//! Import benchmark (run with `bench/import`, not part of the tests). In one run:
//! 1. writes N parcels (default 100,000; 20 m × 20 m, edge to edge, 500 per map sheet) as a
//!    GeoJSON FeatureCollection in EPSG:5898 and the same parcels in WGS84;
//! 2. baseline: parsing the EPSG:5898 file into JSON values (serde_json), nothing else;
//! 3. `gpmb import parcels` of the WGS84 file and of the EPSG:5898 file, each into a fresh
//!    SQLite database holding a small demo project (durable commits), timed end to end
//!    (process start, parsing, reprojection, validation, overlap check, writes).
#![allow(
    clippy::disallowed_methods,
    clippy::too_many_lines,
    reason = "benchmarks set up rows and time baselines with plain SQL, in one scenario each"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use gpmb::geo::vn2000::vn2000_to_wgs84;
use serde_json::{json, Value};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const SIDE: f64 = 20.0;
const PER_SHEET: usize = 500;

/// Parcel `i` as a closed ring in VN-2000 metres: a square grid east of the demo parcels.
fn ring(i: usize, cols: usize) -> Vec<[f64; 2]> {
    let (c, r) = ((i % cols) as f64, (i / cols) as f64);
    let (e, n) = (605_000.0 + SIDE * c, 1_705_000.0 + SIDE * r);
    vec![
        [e, n],
        [e + SIDE, n],
        [e + SIDE, n + SIDE],
        [e, n + SIDE],
        [e, n],
    ]
}

fn write(path: &Path, n: usize, wgs84: bool) {
    let cols = (n as f64).sqrt().ceil() as usize;
    let features: Vec<Value> = (0..n)
        .map(|i| {
            let mut r = ring(i, cols);
            if wgs84 {
                for p in &mut r {
                    let [lon, lat] = vn2000_to_wgs84(p[0], p[1], 108.0);
                    *p = [(lon * 1e9).round() / 1e9, (lat * 1e9).round() / 1e9];
                }
            }
            let land_use = ["LUC", "ONT", "CLN", "BHK"][i % 4];
            json!({"type": "Feature",
                   "properties": {"MAXA": "21043", "SHBANDO": 1000 + i / PER_SHEET, "SHTHUA": i % PER_SHEET + 1,
                                  "MDSD": land_use},
                   "geometry": {"type": "Polygon", "coordinates": [r]}})
        })
        .collect();
    let mut fc = json!({"type": "FeatureCollection", "features": features});
    if !wgs84 {
        fc["crs"] = json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5898"}});
    }
    std::fs::write(path, serde_json::to_vec(&fc).unwrap()).unwrap();
}

fn gpmb(exe: &str, dir: &Path) -> Command {
    let mut c = Command::new(exe);
    c.current_dir(dir).env_remove("DATABASE_URL");
    c
}

/// Imports `file` into a fresh database; seconds taken by the import command.
fn import(exe: &str, file: &Path) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let out = gpmb(exe, dir.path())
        .args(["demo", "--parcels", "100"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    let out = gpmb(exe, dir.path())
        .args(["import", "parcels"])
        .arg(file)
        .args(["--project", "HPDQ2"])
        .output()
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout.lines().last().unwrap_or("");
    println!("    {summary}");
    took
}

fn main() {
    let n = arg("--parcels", 100_000) as usize;
    let exe = std::env::var("GPMB_BIN").unwrap_or_else(|_| "target/release/gpmb".to_string());
    // The imports run in temporary directories: a relative path would not resolve there.
    let exe = std::fs::canonicalize(&exe)
        .unwrap_or_else(|e| panic!("{exe}: {e}; build it with `cargo build --release --bin gpmb`"))
        .to_string_lossy()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let vn = dir.path().join("parcels_5898.geojson");
    let wgs = dir.path().join("parcels_4326.geojson");
    write(&vn, n, false);
    write(&wgs, n, true);
    let mb = std::fs::metadata(&vn).unwrap().len() as f64 / 1e6;
    println!("import benchmark: {n} parcels, EPSG:5898 file {mb:.1} MB");

    let bytes = std::fs::read(&vn).unwrap();
    let started = Instant::now();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let parse = started.elapsed().as_secs_f64();
    assert_eq!(v["features"].as_array().map(Vec::len), Some(n));
    drop(v);
    println!("  baseline, JSON parse only:       {parse:7.2} s");

    println!("  gpmb import parcels, EPSG:4326:");
    let t4326 = import(&exe, &wgs);
    println!(
        "                                   {t4326:7.2} s = {:>7.0} parcels/s",
        n as f64 / t4326
    );
    println!("  gpmb import parcels, EPSG:5898 (reprojected):");
    let t5898 = import(&exe, &vn);
    println!(
        "                                   {t5898:7.2} s = {:>7.0} parcels/s",
        n as f64 / t5898
    );
    println!(
        "  EPSG:5898 import = {:.1}x JSON parsing, {:.2}x the EPSG:4326 import (reprojection cost); target < 10 s: {}",
        t5898 / parse,
        t5898 / t4326,
        if t5898 < 10.0 { "met" } else { "NOT met" }
    );
}
