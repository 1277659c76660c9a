//! Parcel import: a GeoJSON file or a zipped Shapefile in WGS84 or VN-2000, reprojected,
//! validated as a whole (the per-feature checks of `POST /parcels` plus duplicate keys,
//! overlaps and lineage), then inserted or updated by (commune, map sheet, parcel number).
use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use ::geo::{BooleanOps, MultiPolygon};
use chrono::{DateTime, FixedOffset};
use rstar::{Envelope, RTree, RTreeObject, AABB};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{json, Map, Value as Json};

use super::dto::{ImportProblem, ImportReport, LineageLink};
use crate::auth::Principal;
use crate::domain::LandUse;
use crate::entities::projects;
use crate::error::{AppError, AppResult};
use crate::geo::vn2000::Crs;
use crate::parcels::service::{
    draft, insert_batch, insert_lineage, resolve_communes, Draft, EventActor, NewParcelBatch,
    NewParcelRow, ParcelLineage,
};

/// Progress callback: (stage, done, total).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Overlap above this area (m²) or above this fraction of the smaller parcel is an error (or,
/// with a parcel that left the file, a lineage link).
pub(crate) const OVERLAP_M2: f64 = 1.0;
pub(crate) const OVERLAP_FRACTION: f64 = 0.01;
/// New parcels handed to `insert_batch` at a time (a progress report after each).
const PROGRESS_EVERY: usize = 5_000;

/// A feature as read from the file: properties and geometry in the source CRS.
pub struct RawFeature {
    pub properties: Map<String, Json>,
    pub geometry: Json,
}

pub struct ParcelFile {
    pub features: Vec<RawFeature>,
    pub crs: Crs,
}

fn invalid(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid(code, message)
}

fn parse_crs_flag(raw: &str) -> AppResult<Crs> {
    Crs::parse(raw).ok_or_else(|| {
        invalid(
            "unsupported_crs",
            format!("unknown CRS `{raw}`; use EPSG:4326, EPSG:5898 (VN-2000 TM-3 108°), EPSG:9216 (VN-2000 TM-3 107°30') or vn2000:<central meridian>, e.g. vn2000:108.25"),
        )
    })
}

/// Reads a parcel file: a zip (Shapefile) when it starts like one or is named `.zip`,
/// GeoJSON otherwise. The CRS is the one the file declares, or `crs_flag`; without either,
/// WGS84 when the coordinates look like degrees.
#[tracing::instrument(skip_all, fields(file = file_name, bytes = bytes.len()))]
pub fn read_file(bytes: &[u8], file_name: &str, crs_flag: Option<&str>) -> AppResult<ParcelFile> {
    let flag = crs_flag
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_crs_flag)
        .transpose()?;
    let is_zip = bytes.starts_with(b"PK\x03\x04") || file_name.to_lowercase().ends_with(".zip");
    let (features, declared) = if is_zip {
        read_shapefile_zip(bytes)?
    } else {
        read_geojson(bytes)?
    };
    if features.is_empty() {
        return Err(invalid("empty_file", "the file holds no parcels"));
    }
    let crs = match (flag, declared) {
        (Some(f), Some(d)) if f != d => {
            return Err(invalid(
                "crs_conflict",
                format!(
                "the file says its CRS is {} but {} was asked for; drop the flag or fix the file",
                d.name(),
                f.name()
            ),
            ))
        }
        (Some(f), _) => f,
        (None, Some(d)) => d,
        (None, None) => {
            if let Some([x, y]) = first_non_degree(&features) {
                return Err(invalid(
                    "missing_crs",
                    format!(
                        "the file names no CRS and its coordinates look like metres (e.g. {x}, {y}), not degrees; \
                         give the CRS: EPSG:5898 (VN-2000 TM-3 108°, Quảng Ngãi), EPSG:9216 (107°30', Kon Tum) or vn2000:<meridian>"
                    ),
                ));
            }
            Crs::Wgs84
        }
    };
    Ok(ParcelFile { features, crs })
}

fn read_geojson(bytes: &[u8]) -> AppResult<(Vec<RawFeature>, Option<Crs>)> {
    let mut body: Json = serde_json::from_slice(bytes).map_err(|e| {
        invalid(
            "invalid_geojson",
            format!("the file is neither a zipped Shapefile nor valid GeoJSON: {e}"),
        )
    })?;
    let declared = match body
        .pointer("/crs/properties/name")
        .and_then(Json::as_str)
    {
        None => None,
        Some(name) => Some(Crs::parse(name).ok_or_else(|| {
            invalid(
                "unsupported_crs",
                format!("the file's CRS `{name}` is not supported; gpmb reads EPSG:4326, EPSG:5898, EPSG:9216 and other VN-2000 TM-3 zones"),
            )
        })?),
    };
    let items = match body.get("type").and_then(Json::as_str) {
        Some("FeatureCollection") => match body.get_mut("features").map(Json::take) {
            Some(Json::Array(a)) => a,
            _ => {
                return Err(invalid(
                    "invalid_geojson",
                    "a FeatureCollection needs a `features` array",
                ))
            }
        },
        Some("Feature") => vec![body],
        _ => {
            return Err(invalid(
                "invalid_geojson",
                "send a GeoJSON FeatureCollection (or Feature) of parcel polygons",
            ))
        }
    };
    let features = items
        .into_iter()
        .map(|mut f| {
            let properties = match f.get_mut("properties").map(Json::take) {
                Some(Json::Object(m)) => m,
                _ => Map::new(),
            };
            // Anything but a Feature is caught by the per-feature check.
            let geometry = if f.get("type").and_then(Json::as_str) == Some("Feature") {
                f.get_mut("geometry").map_or(Json::Null, Json::take)
            } else {
                json!({"not_a_feature": true})
            };
            RawFeature {
                properties,
                geometry,
            }
        })
        .collect();
    Ok((features, declared))
}

fn read_shapefile_zip(bytes: &[u8]) -> AppResult<(Vec<RawFeature>, Option<Crs>)> {
    let bad = |m: String| invalid("invalid_shapefile", m);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("the file is not a readable zip: {e}")))?;
    super::limits::check_zip(&mut archive, "invalid_shapefile")?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .collect();
    let shp = names
        .iter()
        .find(|n| n.to_lowercase().ends_with(".shp"))
        .cloned()
        .ok_or_else(|| {
            bad("the zip holds no .shp file; zip the .shp, .shx, .dbf and .prj together".into())
        })?;
    let stem = shp[..shp.len() - 4].to_string();
    let mut part = |ext: &str| -> AppResult<Option<Vec<u8>>> {
        let Some(name) = names
            .iter()
            .find(|n| {
                n.len() == stem.len() + 4 && n.starts_with(&stem) && n.to_lowercase().ends_with(ext)
            })
            .cloned()
        else {
            return Ok(None);
        };
        let mut entry = archive
            .by_name(&name)
            .map_err(|e| bad(format!("cannot read {name} in the zip: {e}")))?;
        Ok(Some(super::limits::read_entry(
            &mut entry,
            "invalid_shapefile",
        )?))
    };
    let shp_bytes = part(".shp")?.unwrap_or_default();
    let shx_bytes = part(".shx")?;
    let dbf_bytes = part(".dbf")?.ok_or_else(|| {
        bad(format!(
            "the zip has {shp} but no matching .dbf with the parcel attributes"
        ))
    })?;
    let prj = part(".prj")?;
    let declared = match prj {
        None => None,
        Some(p) => {
            let wkt = String::from_utf8_lossy(&p).to_string();
            Some(Crs::from_prj(&wkt).ok_or_else(|| {
                invalid(
                    "unsupported_crs",
                    format!(
                        "the .prj describes a CRS gpmb does not read (WGS84 or VN-2000 TM-3 are): {}",
                        wkt.chars().take(120).collect::<String>()
                    ),
                )
            })?)
        }
    };
    let shapes = match shx_bytes {
        Some(shx) => shapefile::ShapeReader::with_shx(Cursor::new(shp_bytes), Cursor::new(shx)),
        None => shapefile::ShapeReader::new(Cursor::new(shp_bytes)),
    }
    .map_err(|e| bad(format!("cannot read {shp}: {e}")))?;
    let dbf = shapefile::dbase::ReaderBuilder::new()
        .with_encoding(shapefile::dbase::UnicodeLossy)
        .build(Cursor::new(dbf_bytes))
        .map_err(|e| bad(format!("cannot read the .dbf: {e}")))?;
    let mut reader = shapefile::Reader::new(shapes, dbf);
    let mut features = Vec::new();
    for item in reader.iter_shapes_and_records() {
        let (shape, record) = item.map_err(|e| {
            bad(format!(
                "cannot read shape {} of {shp}: {e}",
                features.len()
            ))
        })?;
        let mut properties = Map::new();
        for (name, value) in record {
            properties.insert(name, dbf_value(value));
        }
        features.push(RawFeature {
            properties,
            geometry: shape_geometry(&shape),
        });
    }
    Ok((features, declared))
}

fn dbf_value(v: shapefile::dbase::FieldValue) -> Json {
    use shapefile::dbase::FieldValue as F;
    match v {
        F::Character(Some(s)) => Json::String(super::cell_text(&s)),
        F::Memo(s) => Json::String(super::cell_text(&s)),
        F::Numeric(Some(n)) | F::Double(n) | F::Currency(n) => json!(n),
        F::Float(Some(n)) => json!(f64::from(n)),
        F::Integer(n) => json!(n),
        F::Logical(Some(b)) => json!(b),
        F::Date(Some(d)) => json!(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
        _ => Json::Null,
    }
}

/// A Shapefile polygon as GeoJSON: each outer ring starts a polygon, inner rings join the
/// polygon before them. Other shape types come out as what they are, to be refused.
fn shape_geometry(shape: &shapefile::Shape) -> Json {
    use shapefile::{PolygonRing, Shape};
    fn polygons<P: shapefile::record::traits::HasXY>(rings: &[PolygonRing<P>]) -> Json {
        let mut out: Vec<Vec<Vec<[f64; 2]>>> = Vec::new();
        for r in rings {
            let pts: Vec<[f64; 2]> = r.points().iter().map(|p| [p.x(), p.y()]).collect();
            match r {
                PolygonRing::Outer(_) => out.push(vec![pts]),
                PolygonRing::Inner(_) => match out.last_mut() {
                    Some(last) => last.push(pts),
                    None => out.push(vec![pts]),
                },
            }
        }
        if out.len() == 1 {
            json!({"type": "Polygon", "coordinates": out[0]})
        } else {
            json!({"type": "MultiPolygon", "coordinates": out})
        }
    }
    match shape {
        Shape::NullShape => Json::Null,
        Shape::Polygon(p) => polygons(p.rings()),
        Shape::PolygonM(p) => polygons(p.rings()),
        Shape::PolygonZ(p) => polygons(p.rings()),
        Shape::Point(_) | Shape::PointM(_) | Shape::PointZ(_) => {
            json!({"type": "Point", "coordinates": []})
        }
        Shape::Multipoint(_) | Shape::MultipointM(_) | Shape::MultipointZ(_) => {
            json!({"type": "MultiPoint", "coordinates": []})
        }
        _ => json!({"type": "LineString", "coordinates": []}),
    }
}

/// Visits every position `[x, y, …]` of a GeoJSON geometry.
fn for_each_position(v: &Json, f: &mut impl FnMut(f64, f64)) {
    if let Json::Array(items) = v {
        match (items.first(), items.get(1)) {
            (Some(Json::Number(x)), Some(Json::Number(y))) => {
                if let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) {
                    f(x, y);
                }
            }
            _ => items.iter().for_each(|i| for_each_position(i, f)),
        }
    }
}

fn first_non_degree(features: &[RawFeature]) -> Option<[f64; 2]> {
    let mut found = None;
    for feat in features {
        if let Some(c) = feat.geometry.get("coordinates") {
            for_each_position(c, &mut |x, y| {
                if found.is_none() && (x.abs() > 180.0 || y.abs() > 90.0) {
                    found = Some([x, y]);
                }
            });
        }
        if found.is_some() {
            break;
        }
    }
    found
}

/// The coordinates with every position reprojected to WGS84 (rounded to 1e-9°, 0.1 mm).
pub(crate) fn reproject(v: &Json, crs: &Crs) -> Json {
    match v {
        Json::Array(items) => match (items.first(), items.get(1)) {
            (Some(Json::Number(x)), Some(Json::Number(y))) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => {
                    let [lon, lat] = crs.to_wgs84(x, y);
                    let r = |d: f64| (d * 1e9).round() / 1e9;
                    json!([r(lon), r(lat)])
                }
                _ => v.clone(),
            },
            _ => Json::Array(items.iter().map(|i| reproject(i, crs)).collect()),
        },
        other => other.clone(),
    }
}

/// Property names as cadastral offices write them, folded (no diacritics, case, `_` or
/// spaces) → the name gpmb uses.
const ALIASES: &[(&str, &[&str])] = &[
    (
        "map_sheet",
        &["mapsheet", "soto", "shbando", "sotobando", "tobando", "to"],
    ),
    (
        "parcel_no",
        &["parcelno", "sothua", "shthua", "thua", "sothuadat"],
    ),
    (
        "commune",
        &["commune", "communecode", "maxa", "madvhc", "xa", "madonvi"],
    ),
    (
        "land_use",
        &[
            "landuse",
            "loaidat",
            "mdsd",
            "kyhieumdsd",
            "mucdichsudung",
            "madat",
        ],
    ),
    ("status", &["status", "trangthai"]),
    (
        "parent",
        &["parent", "tachtu", "parentparcel", "thuagoc", "goptu"],
    ),
];

fn fold_key(k: &str) -> String {
    crate::text::fold(k)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// A property as text: numbers from DBF files come as floats (`12.0` → `12`).
fn text_of(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(super::cell_text(s)).filter(|s| !s.is_empty()),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(i.to_string()),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", f as i64)),
            (None, Some(f)) => Some(f.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn canonical_properties(props: &Map<String, Json>) -> HashMap<&'static str, String> {
    let folded: Vec<(String, &Json)> = props.iter().map(|(k, v)| (fold_key(k), v)).collect();
    let mut out = HashMap::new();
    for (name, aliases) in ALIASES {
        for alias in *aliases {
            if let Some(v) = folded
                .iter()
                .find(|(k, _)| k == alias)
                .and_then(|(_, v)| text_of(v))
            {
                out.insert(*name, v);
                break;
            }
        }
    }
    out
}

/// A parent named by a feature: (map sheet, or the child's own when absent; parcel number).
type ParentRef = (Option<String>, String);

fn parse_parents(raw: &str) -> Vec<ParentRef> {
    raw.split([',', ';', '+'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('/') {
            Some((sheet, no)) => (Some(sheet.trim().to_string()), no.trim().to_string()),
            None => (None, s.to_string()),
        })
        .collect()
}

/// A feature that passed the checks needing no database.
pub struct Candidate {
    pub index: usize,
    pub draft: Draft,
    pub source_geometry: String,
    pub parents: Vec<ParentRef>,
}

fn key_text(commune: Option<&str>, sheet: Option<&str>, no: Option<&str>) -> Option<String> {
    if commune.is_none() && sheet.is_none() && no.is_none() {
        return None;
    }
    Some(format!(
        "{}/{}/{}",
        commune.unwrap_or("?"),
        sheet.unwrap_or("?"),
        no.unwrap_or("?")
    ))
}

// The problem is the report line itself; boxing it would buy nothing.
#[allow(clippy::result_large_err)]
fn candidate(index: usize, raw: &RawFeature, crs: &Crs) -> Result<Candidate, ImportProblem> {
    let props = canonical_properties(&raw.properties);
    let get = |k: &str| props.get(k).map(String::as_str);
    let key = key_text(get("commune"), get("map_sheet"), get("parcel_no"));
    // Reprojected coordinates are built fresh: cloning the source tree first only to
    // overwrite it cost a deep copy per feature.
    let geometry = match (&raw.geometry, *crs != Crs::Wgs84) {
        (Json::Object(m), true) => Json::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if k == "coordinates" {
                        reproject(v, crs)
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        (g, _) => g.clone(),
    };
    let mut p = Map::new();
    for k in ["map_sheet", "parcel_no", "commune", "land_use", "status"] {
        if let Some(v) = get(k) {
            p.insert(k.to_string(), Json::String(v.to_string()));
        }
    }
    let is_feature = raw.geometry.get("not_a_feature").is_none();
    let feature = json!({
        "type": if is_feature { "Feature" } else { "Object" },
        "geometry": geometry,
        "properties": p,
    });
    let d = draft(index, &feature).map_err(|e| ImportProblem {
        index: Some(index),
        row: None,
        key: key.clone(),
        column: None,
        code: e.code,
        reason: e.reason,
        details: e.details.map(|d| *d).unwrap_or_default(),
    })?;
    Ok(Candidate {
        index,
        draft: d,
        source_geometry: raw.geometry.to_string(),
        parents: get("parent").map(parse_parents).unwrap_or_default(),
    })
}

/// Reprojects and checks every feature, on all cores.
#[tracing::instrument(skip_all, fields(n = file.features.len()))]
pub fn prepare(file: &ParcelFile, progress: Progress) -> Vec<Result<Candidate, ImportProblem>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let total = file.features.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 8);
    let chunk = total.div_ceil(threads).max(1);
    let done = AtomicU64::new(0);
    progress("checking", 0, total as u64);
    let parts: Vec<Vec<Result<Candidate, ImportProblem>>> = std::thread::scope(|s| {
        let handles: Vec<_> = file
            .features
            .chunks(chunk)
            .enumerate()
            .map(|(c, features)| {
                let done = &done;
                s.spawn(move || {
                    let mut out = Vec::with_capacity(features.len());
                    for (i, f) in features.iter().enumerate() {
                        out.push(candidate(c * chunk + i, f, &file.crs));
                        if i % 1000 == 999 {
                            let d = done.fetch_add(1000, Ordering::Relaxed) + 1000;
                            if c == 0 {
                                progress("checking", d, total as u64);
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let out: Vec<_> = parts.into_iter().flatten().collect();
    progress("checking", total as u64, total as u64);
    out
}

#[derive(Debug, FromQueryResult)]
struct ExistingRow {
    id: i32,
    commune_id: i32,
    map_sheet: String,
    parcel_no: String,
    land_use: String,
    geometry: String,
    source_crs: String,
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
}

/// Something with a geometry in the overlap index: a file feature or an existing parcel.
struct Indexed {
    envelope: AABB<[f64; 2]>,
    /// Index into `candidates` (file) or `existing` (database).
    slot: usize,
    from_file: bool,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

fn envelope_of(b: &crate::geo::Bbox) -> AABB<[f64; 2]> {
    AABB::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat])
}

/// Overlap of two parcels when it is above the tolerance, in m².
fn significant_overlap(a: &MultiPolygon<f64>, a_area: f64, b: &MultiPolygon<f64>) -> Option<f64> {
    let inter = crate::geo::area_m2(&a.intersection(b));
    let b_area = crate::geo::area_m2(b);
    let limit = OVERLAP_M2.min(OVERLAP_FRACTION * a_area.min(b_area));
    (inter > limit).then_some(inter)
}

enum Action {
    Insert,
    Update(i32),
    Unchanged,
}

struct Planned {
    c: Candidate,
    commune_id: i32,
    action: Action,
    /// Lineage parents: (existing parcel id, its key text).
    parents: Vec<(i32, String)>,
    recovered: f64,
}

/// Checks the candidates against the project, and (unless `dry_run` or anything is wrong)
/// writes them. Run inside one write transaction; commit only when `errors` is empty and
/// not a dry run.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(project_id = project.id, file = file_name, dry_run))]
pub async fn import(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    file_name: &str,
    crs: Crs,
    prepared: Vec<Result<Candidate, ImportProblem>>,
    dry_run: bool,
    progress: Progress<'_>,
) -> AppResult<ImportReport> {
    let started = std::time::Instant::now();
    let total = prepared.len();
    let mut report = ImportReport {
        kind: "parcels".into(),
        project: project.code.clone(),
        file: file_name.to_string(),
        dry_run,
        committed: false,
        source_crs: Some(crs.name()),
        total,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        lineage: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        batch: None,
        seconds: 0.0,
    };
    let mut candidates = Vec::with_capacity(total);
    for p in prepared {
        match p {
            Ok(c) => candidates.push(c),
            Err(e) => report.errors.push(e),
        }
    }
    report.warnings.extend(old_code_warnings(&candidates));

    let keyed = key_by_commune(conn, candidates, &mut report.errors).await?;
    let crs_name = crs.name();
    let planned = plan(
        conn,
        project,
        &crs_name,
        keyed,
        &mut report.errors,
        progress,
    )
    .await?;
    for p in &planned {
        match p.action {
            Action::Insert => report.inserted += 1,
            Action::Update(_) => report.updated += 1,
            Action::Unchanged => report.unchanged += 1,
        }
        let kind = lineage_kind(p);
        for (_, parent) in &p.parents {
            report.lineage.push(LineageLink {
                parcel: format!(
                    "{}/{}/{}",
                    p.c.draft.commune, p.c.draft.map_sheet, p.c.draft.parcel_no
                ),
                parent: parent.clone(),
                kind: kind.into(),
            });
        }
    }
    report.errors.sort_by_key(|e| e.index);
    if !report.errors.is_empty() {
        // Refused: nothing would be stored.
        (report.inserted, report.updated, report.unchanged) = (0, 0, 0);
        report.lineage.clear();
    }
    if !report.errors.is_empty() || dry_run {
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }

    commit(
        conn,
        who,
        project,
        file_name,
        &crs_name,
        &planned,
        &mut report,
        progress,
    )
    .await?;
    // Freeing the parcels' geometries takes a while: not on the import's path.
    std::thread::spawn(move || drop(planned));
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Features coded with pre-2024 land-type codes are recorded with the code that replaced
/// it; the report says so, once per old code (`BHK` → `HNK`, its first feature and how many).
fn old_code_warnings(candidates: &[Candidate]) -> Vec<ImportProblem> {
    let mut seen: std::collections::BTreeMap<LandUse, (&Candidate, usize)> =
        std::collections::BTreeMap::new();
    for c in candidates {
        if let Some(given) = c.draft.land_use_given {
            seen.entry(given).or_insert((c, 0)).1 += 1;
        }
    }
    seen.into_iter()
        .map(|(given, (c, count))| {
            let now = c.draft.land_use;
            let d = &c.draft;
            ImportProblem {
                index: Some(c.index),
                row: None,
                key: Some(format!("{}/{}/{}", d.commune, d.map_sheet, d.parcel_no)),
                column: None,
                code: "old_land_use_code".into(),
                reason: format!(
                    "{count} parcel(s) coded `{given}` ({}), a land-type code from before 2024 ({}): recorded as `{now}` ({})",
                    given.info().name_en,
                    given.info().basis,
                    now.info().name_en
                ),
                details: [
                    ("value", given.as_str().to_string()),
                    ("current", now.as_str().to_string()),
                    ("name_vi", now.info().name_vi.to_string()),
                    ("name_en", now.info().name_en.to_string()),
                    ("count", count.to_string()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            }
        })
        .collect()
}

/// Resolves each candidate's commune and refuses keys the file gives twice.
async fn key_by_commune(
    conn: &impl ConnectionTrait,
    candidates: Vec<Candidate>,
    errors: &mut Vec<ImportProblem>,
) -> AppResult<Vec<(Candidate, i32)>> {
    let codes: HashSet<String> = candidates.iter().map(|c| c.draft.commune.clone()).collect();
    let communes = resolve_communes(conn, &codes).await?;
    let mut seen: HashMap<(i32, String, String), usize> = HashMap::new();
    let mut keyed: Vec<(Candidate, i32)> = Vec::with_capacity(candidates.len());
    for c in candidates {
        let d = &c.draft;
        let key_text = format!("{}/{}/{}", d.commune, d.map_sheet, d.parcel_no);
        let problem = |code: &str, reason: String| ImportProblem {
            index: Some(c.index),
            row: None,
            key: Some(key_text.clone()),
            column: None,
            code: code.into(),
            reason,
            details: std::collections::BTreeMap::new(),
        };
        let Some(&commune_id) = communes.get(&d.commune) else {
            errors.push(problem(
                "unknown_commune",
                format!("there is no commune with code `{}`", d.commune),
            ));
            continue;
        };
        let key = (commune_id, d.map_sheet.clone(), d.parcel_no.clone());
        if let Some(first) = seen.get(&key) {
            errors.push(problem(
                "duplicate_in_file",
                format!("feature {first} has the same commune, map sheet and parcel number"),
            ));
            continue;
        }
        seen.insert(key, c.index);
        keyed.push((c, commune_id));
    }
    Ok(keyed)
}

/// What to do with each keyed candidate against the project's parcels (insert, update or
/// leave), its lineage parents, and the overlap and recovered-area pass.
#[expect(
    clippy::too_many_lines,
    reason = "the import plan: each parcel's key, match and change decided in one pass"
)]
async fn plan(
    conn: &impl ConnectionTrait,
    project: &projects::Model,
    crs_name: &str,
    keyed: Vec<(Candidate, i32)>,
    errors: &mut Vec<ImportProblem>,
    progress: Progress<'_>,
) -> AppResult<Vec<Planned>> {
    // The project's parcels that matter: same communes, or near the file's parcels.
    let existing = load_existing(conn, project.id, &keyed).await?;
    let by_key: HashMap<(i32, &str, &str), usize> = existing
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                (e.commune_id, e.map_sheet.as_str(), e.parcel_no.as_str()),
                i,
            )
        })
        .collect();
    let sheets: HashSet<(i32, String)> = keyed
        .iter()
        .map(|(c, id)| (*id, c.draft.map_sheet.clone()))
        .collect();
    let in_file: HashSet<(i32, String, String)> = keyed
        .iter()
        .map(|(c, id)| (*id, c.draft.map_sheet.clone(), c.draft.parcel_no.clone()))
        .collect();
    let in_file_has = |e: &ExistingRow| {
        in_file.contains(&(e.commune_id, e.map_sheet.clone(), e.parcel_no.clone()))
    };
    // Existing parcels on the file's sheets that the file no longer has: split or merged away.
    let gone: HashSet<usize> = existing
        .iter()
        .enumerate()
        .filter(|(_, e)| sheets.contains(&(e.commune_id, e.map_sheet.clone())) && !in_file_has(e))
        .map(|(i, _)| i)
        .collect();
    let commune_code: HashMap<i32, String> = keyed
        .iter()
        .map(|(c, id)| (*id, c.draft.commune.clone()))
        .collect();
    let existing_key = |e: &ExistingRow| {
        format!(
            "{}/{}/{}",
            commune_code
                .get(&e.commune_id)
                .cloned()
                .unwrap_or_else(|| e.commune_id.to_string()),
            e.map_sheet,
            e.parcel_no
        )
    };

    let mut planned: Vec<Planned> = Vec::with_capacity(keyed.len());
    for (c, commune_id) in keyed {
        let d = &c.draft;
        let action = match by_key.get(&(commune_id, d.map_sheet.as_str(), d.parcel_no.as_str())) {
            None => Action::Insert,
            Some(&i) => {
                let e = &existing[i];
                if e.geometry == d.geometry.geojson
                    && e.land_use == d.land_use.as_str()
                    && e.source_crs == crs_name
                {
                    Action::Unchanged
                } else {
                    Action::Update(e.id)
                }
            }
        };
        let mut parents = Vec::new();
        let mut bad_parent = None;
        for (sheet, no) in &c.parents {
            let sheet = sheet.as_deref().unwrap_or(&d.map_sheet);
            match by_key.get(&(commune_id, sheet, no.as_str())) {
                Some(&i) if existing[i].id != action_id(&action) => {
                    parents.push((existing[i].id, existing_key(&existing[i])));
                }
                Some(_) => {}
                None => bad_parent = Some(format!("{}/{sheet}/{no}", d.commune)),
            }
        }
        if let Some(p) = bad_parent {
            errors.push(ImportProblem {
                index: Some(c.index),
                row: None,
                key: Some(format!("{}/{}/{}", d.commune, d.map_sheet, d.parcel_no)),
                column: None,
                code: "unknown_parent".into(),
                reason: format!("the parent parcel {p} is not in the project"),
                details: std::collections::BTreeMap::new(),
            });
            continue;
        }
        planned.push(Planned {
            c,
            commune_id,
            action,
            parents,
            recovered: 0.0,
        });
    }

    let kept_or_gone: Vec<(usize, bool)> = existing
        .iter()
        .enumerate()
        .filter(|(_, e)| !in_file_has(e))
        .map(|(i, _)| (i, gone.contains(&i)))
        .collect();
    let existing_keys: Vec<String> = existing.iter().map(&existing_key).collect();
    let (planned, problems) = geometry(
        project,
        &existing,
        kept_or_gone,
        existing_keys,
        planned,
        progress,
    )
    .await?;
    errors.extend(problems);
    Ok(planned)
}

/// Overlaps, lineage and recovered area, off the async workers.
async fn geometry(
    project: &projects::Model,
    existing: &[ExistingRow],
    kept_or_gone: Vec<(usize, bool)>,
    existing_keys: Vec<String>,
    planned: Vec<Planned>,
    progress: Progress<'_>,
) -> AppResult<(Vec<Planned>, Vec<ImportProblem>)> {
    progress("overlaps", 0, planned.len() as u64);
    let boundary = project
        .boundary
        .as_deref()
        .and_then(|b| serde_json::from_str::<Json>(b).ok())
        .and_then(|v| crate::geo::parse_geometry(&v).ok());
    let existing_geoms: Vec<Option<MultiPolygon<f64>>> = existing
        .iter()
        .map(|e| {
            serde_json::from_str::<Json>(&e.geometry)
                .ok()
                .and_then(|v| crate::geo::parse_geometry(&v).ok())
        })
        .collect();
    let existing_ids: Vec<i32> = existing.iter().map(|e| e.id).collect();
    let existing_boxes: Vec<AABB<[f64; 2]>> = existing
        .iter()
        .map(|e| AABB::from_corners([e.min_lon, e.min_lat], [e.max_lon, e.max_lat]))
        .collect();
    let (planned, problems) = tokio::task::spawn_blocking(move || {
        geometry_pass(
            planned,
            &existing_geoms,
            &existing_boxes,
            &existing_ids,
            &existing_keys,
            &kept_or_gone,
            boundary.as_ref(),
        )
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("overlap check failed: {e}")))?;
    progress("overlaps", planned.len() as u64, planned.len() as u64);
    Ok((planned, problems))
}

/// Writes a checked import, rebuilds the counters, records the batch and audits it.
#[allow(clippy::too_many_arguments)]
async fn commit(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    file_name: &str,
    crs_name: &str,
    planned: &[Planned],
    report: &mut ImportReport,
    progress: Progress<'_>,
) -> AppResult<()> {
    let now = crate::db::utc(chrono::Utc::now().fixed_offset());
    write(conn, who, project, crs_name, planned, now, progress).await?;
    crate::progress::counters::rebuild_counters(conn, project.id).await?;
    let batch = record_batch(
        conn, who, project.id, "parcels", file_name, crs_name, report, now,
    )
    .await?;
    report.batch = Some(batch);
    crate::audit::record(
        conn,
        who,
        "import",
        "parcels",
        Some(batch.to_string()),
        json!({
            "project": project.code,
            "file": file_name,
            "source_crs": crs_name,
            "total": report.total,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "lineage": report.lineage.len(),
        }),
    )
    .await?;
    Ok(())
}

/// A parcel with several parents, or an existing parcel that grew over a parcel that left the
/// file, is a merge; a new parcel cut from one parent is a split.
fn lineage_kind(p: &Planned) -> &'static str {
    if p.parents.len() > 1 || (!matches!(p.action, Action::Insert) && p.c.parents.is_empty()) {
        "merge"
    } else {
        "split"
    }
}

fn action_id(a: &Action) -> i32 {
    match a {
        Action::Update(id) => *id,
        _ => -1,
    }
}

async fn load_existing(
    conn: &impl ConnectionTrait,
    project_id: i32,
    keyed: &[(Candidate, i32)],
) -> Result<Vec<ExistingRow>, DbErr> {
    if keyed.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut communes: Vec<i32> = Vec::new();
    for (c, id) in keyed {
        let x = &c.draft.geometry.bbox;
        b = [
            b[0].min(x.min_lon),
            b[1].min(x.min_lat),
            b[2].max(x.max_lon),
            b[3].max(x.max_lat),
        ];
        if !communes.contains(id) {
            communes.push(*id);
        }
    }
    use crate::entities::parcels::{Column as P, Entity};
    Entity::find()
        .select_only()
        .columns([
            P::Id,
            P::CommuneId,
            P::MapSheet,
            P::ParcelNo,
            P::LandUse,
            P::Geometry,
            P::SourceCrs,
            P::MinLon,
            P::MinLat,
            P::MaxLon,
            P::MaxLat,
        ])
        .filter(P::ProjectId.eq(project_id))
        .filter(
            Condition::any().add(P::CommuneId.is_in(communes)).add(
                Condition::all()
                    .add(P::MaxLon.gte(b[0]))
                    .add(P::MinLon.lte(b[2]))
                    .add(P::MaxLat.gte(b[1]))
                    .add(P::MinLat.lte(b[3])),
            ),
        )
        .order_by_asc(P::Id)
        .into_model::<ExistingRow>()
        .all(conn)
        .await
}

/// Overlaps between the file's parcels, with the project's other parcels, and lineage from
/// parcels that left the file; also the recovered area of what will be written.
fn geometry_pass(
    mut planned: Vec<Planned>,
    existing_geoms: &[Option<MultiPolygon<f64>>],
    existing_boxes: &[AABB<[f64; 2]>],
    existing_ids: &[i32],
    existing_keys: &[String],
    kept_or_gone: &[(usize, bool)],
    boundary: Option<&MultiPolygon<f64>>,
) -> (Vec<Planned>, Vec<ImportProblem>) {
    let mut items: Vec<Indexed> = planned
        .iter()
        .enumerate()
        .map(|(i, p)| Indexed {
            envelope: envelope_of(&p.c.draft.geometry.bbox),
            slot: i,
            from_file: true,
        })
        .collect();
    items.extend(kept_or_gone.iter().map(|&(i, _)| Indexed {
        envelope: existing_boxes[i],
        slot: i,
        from_file: false,
    }));
    let gone: HashSet<usize> = kept_or_gone
        .iter()
        .filter(|(_, g)| *g)
        .map(|(i, _)| *i)
        .collect();
    let tree = RTree::bulk_load(items);
    let mut problems = Vec::new();
    let mut implicit: Vec<Vec<(i32, String)>> = vec![Vec::new(); planned.len()];
    for (i, p) in planned.iter().enumerate() {
        let g = &p.c.draft.geometry;
        let own = envelope_of(&g.bbox);
        let explicit: HashSet<i32> = p.parents.iter().map(|(id, _)| *id).collect();
        for other in tree.locate_in_envelope_intersecting(&own) {
            if other.from_file && other.slot >= i {
                continue;
            }
            let inter = other.envelope.intersection_area(&own);
            if inter <= 0.0 {
                continue;
            }
            let (geom, key) = if other.from_file {
                let o = &planned[other.slot].c.draft;
                (
                    Some(&o.geometry.geometry),
                    format!("{}/{}/{}", o.commune, o.map_sheet, o.parcel_no),
                )
            } else {
                (
                    existing_geoms[other.slot].as_ref(),
                    existing_keys[other.slot].clone(),
                )
            };
            let Some(geom) = geom else { continue };
            let Some(area) = significant_overlap(&g.geometry, g.area_m2, geom) else {
                continue;
            };
            if !other.from_file && (explicit.contains(&existing_ids[other.slot])) {
                continue;
            }
            if !other.from_file && gone.contains(&other.slot) {
                if p.c.parents.is_empty() {
                    implicit[i].push((existing_ids[other.slot], key));
                }
                continue;
            }
            problems.push(ImportProblem {
                index: Some(p.c.index),
                row: None,
                key: Some(format!("{}/{}/{}", p.c.draft.commune, p.c.draft.map_sheet, p.c.draft.parcel_no)),
                column: None,
                code: "overlap".into(),
                reason: format!(
                    "overlaps {} parcel {key} by {area:.1} m² (more than {OVERLAP_M2} m² or {}% of the smaller parcel)",
                    if other.from_file { "the file's" } else { "the project's" },
                    OVERLAP_FRACTION * 100.0
                ),
                details: std::collections::BTreeMap::new(),
            });
        }
    }
    for (p, extra) in planned.iter_mut().zip(implicit) {
        p.parents.extend(extra);
    }
    // Recovered area (a geodesic area per parcel) on all cores.
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 8);
    let chunk = planned.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for part in planned.chunks_mut(chunk) {
            s.spawn(move || {
                for p in part {
                    if !matches!(p.action, Action::Unchanged) {
                        p.recovered =
                            crate::geo::recovered_area_m2(&p.c.draft.geometry.geometry, boundary);
                    }
                }
            });
        }
    });
    (planned, problems)
}

/// Writes the planned parcels: inserts (with their first status event and counters, through
/// the one `insert_batch`), updates, then lineage links.
async fn write(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    crs_name: &str,
    planned: &[Planned],
    now: DateTime<FixedOffset>,
    progress: Progress<'_>,
) -> AppResult<()> {
    let total = planned.len() as u64;
    progress("writing", 0, total);
    let (positions, inserts): (Vec<usize>, Vec<&Planned>) = planned
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.action, Action::Insert))
        .unzip();
    let ids = insert_planned(conn, who, project.id, crs_name, &inserts, now, progress).await?;
    let mut done = ids.len() as u64;
    // Position in `planned` → id of the inserted parcel, for lineage.
    let new_ids: HashMap<usize, i32> = positions.into_iter().zip(ids).collect();
    for p in planned {
        let Action::Update(id) = p.action else {
            continue;
        };
        update_parcel(conn, id, p, crs_name, now).await?;
        done += 1;
        if done.is_multiple_of(500) {
            progress("writing", done, total);
        }
    }

    let mut links = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        let id = match p.action {
            Action::Update(id) => id,
            // Unchanged parcels keep the lineage they have.
            Action::Unchanged => continue,
            Action::Insert => match new_ids.get(&i) {
                Some(id) => *id,
                None => continue,
            },
        };
        let kind = lineage_kind(p);
        links.extend(p.parents.iter().map(|(parent, _)| ParcelLineage {
            parcel_id: id,
            parent_id: *parent,
            kind,
        }));
    }
    insert_lineage(conn, &links, now).await?;
    progress("writing", total, total);
    Ok(())
}

/// Inserts the new parcels in slices (for progress reports); their ids in the order of
/// `inserts`.
async fn insert_planned(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project_id: i32,
    crs_name: &str,
    inserts: &[&Planned],
    now: DateTime<FixedOffset>,
    progress: Progress<'_>,
) -> AppResult<Vec<i32>> {
    let actor = EventActor::of(who);
    let batch = NewParcelBatch {
        project_id,
        source_crs: crs_name,
        actor: &actor,
        reason: "imported",
        at: now,
    };
    let total = inserts.len() as u64;
    let mut ids: Vec<i32> = Vec::with_capacity(inserts.len());
    for slice in inserts.chunks(PROGRESS_EVERY) {
        let rows: Vec<NewParcelRow> = slice
            .iter()
            .map(|p| {
                let d = &p.c.draft;
                let g = &d.geometry;
                NewParcelRow {
                    commune_id: p.commune_id,
                    map_sheet: &d.map_sheet,
                    parcel_no: &d.parcel_no,
                    land_use: d.land_use,
                    area_m2: g.area_m2,
                    recovered_area_m2: p.recovered,
                    geometry: &g.geojson,
                    source_geometry: Some(&p.c.source_geometry),
                    bbox: g.bbox,
                    parent_parcel_id: p.parents.first().map(|(id, _)| *id),
                    status: d.status,
                }
            })
            .collect();
        ids.extend(insert_batch(conn, &batch, &rows).await?);
        progress("writing", ids.len() as u64, total);
    }
    Ok(ids)
}

/// A parcel the file changed: new geometry and land use, same status.
async fn update_parcel(
    conn: &impl ConnectionTrait,
    id: i32,
    p: &Planned,
    crs_name: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    use crate::entities::parcels::{Column as P, Entity};
    let d = &p.c.draft;
    let g = &d.geometry;
    Entity::update_many()
        .col_expr(P::LandUse, Expr::value(d.land_use.as_str()))
        .col_expr(P::AreaM2, Expr::value(g.area_m2))
        .col_expr(P::RecoveredAreaM2, Expr::value(p.recovered))
        .col_expr(P::Geometry, Expr::value(g.geojson.as_str()))
        .col_expr(P::SourceCrs, Expr::value(crs_name))
        .col_expr(P::SourceGeometry, Expr::value(p.c.source_geometry.as_str()))
        .col_expr(P::MinLon, Expr::value(g.bbox.min_lon))
        .col_expr(P::MinLat, Expr::value(g.bbox.min_lat))
        .col_expr(P::MaxLon, Expr::value(g.bbox.max_lon))
        .col_expr(P::MaxLat, Expr::value(g.bbox.max_lat))
        .col_expr(P::Version, Expr::col(P::Version).add(1))
        .col_expr(P::UpdatedAt, Expr::value(now))
        .filter(P::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a committed import; returns its id.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(project_id, kind))]
pub async fn record_batch(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project_id: i32,
    kind: &str,
    file_name: &str,
    crs: &str,
    report: &ImportReport,
    now: DateTime<FixedOffset>,
) -> Result<i32, DbErr> {
    use crate::entities::import_batches;
    let n = |v: usize| Set(i32::try_from(v).unwrap_or(i32::MAX));
    let row = import_batches::ActiveModel {
        project_id: Set(project_id),
        kind: Set(kind.to_string()),
        file_name: Set(file_name.to_string()),
        source_crs: Set(crs.to_string()),
        actor: Set(who.actor()),
        total: n(report.total),
        inserted: n(report.inserted),
        updated: n(report.updated),
        unchanged: n(report.unchanged),
        lineage: n(report.lineage.len()),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(import_batches::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_attribute_names_are_recognised() {
        let props: Map<String, Json> = serde_json::from_value(json!({
            "SHBANDO": 5.0, "Số thửa": "12", "MDSD": "luc", "Mã xã": 21043, "tach_tu": "5/7, 9"
        }))
        .unwrap();
        let p = canonical_properties(&props);
        assert_eq!(p["map_sheet"], "5");
        assert_eq!(p["parcel_no"], "12");
        assert_eq!(p["land_use"], "luc");
        assert_eq!(p["commune"], "21043");
        assert_eq!(
            parse_parents(&p["parent"]),
            vec![(Some("5".into()), "7".into()), (None, "9".into())]
        );
    }

    #[test]
    fn metres_without_crs_are_refused_and_degrees_default_to_wgs84() {
        let metres = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[590000.0, 1700000.0], [590010.0, 1700000.0], [590010.0, 1700010.0], [590000.0, 1700000.0]]]}}]});
        let bytes = serde_json::to_vec(&metres).unwrap();
        match read_file(&bytes, "x.geojson", None) {
            Err(AppError::Unprocessable { code, message, .. }) => {
                assert_eq!(code, "missing_crs");
                assert!(message.contains("590000"), "{message}");
            }
            _ => panic!("metres without a CRS accepted"),
        }
        let f = read_file(&bytes, "x.geojson", Some("EPSG:5898")).unwrap();
        assert_eq!(f.crs, Crs::Vn2000Tm3 { meridian: 108.0 });
        let degrees = serde_json::to_vec(&json!({"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[108.8, 15.3], [108.81, 15.3], [108.81, 15.31], [108.8, 15.3]]]}})).unwrap();
        assert_eq!(read_file(&degrees, "x.json", None).unwrap().crs, Crs::Wgs84);
        assert!(read_file(&degrees, "x.json", Some("EPSG:3857")).is_err());
    }
}
