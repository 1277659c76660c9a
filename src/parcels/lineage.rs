//! Parcel split and merge (tách thửa, hợp thửa) with lineage. The parent parcels are kept with
//! their history and marked retired; the new parcels carry their status and their households,
//! and a lineage link says where each came from. Cadastral changes, so administrators and
//! project-board write tokens make them, as they add parcels.
use ::geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::service::{
    self, insert_batch, insert_lineage, EventActor, NewParcelBatch, NewParcelRow, ParcelLineage,
    ParcelRow,
};
use crate::auth::Principal;
use crate::domain::{LandUse, ParcelStatus, Permission};
use crate::entities::{parcel_lineage, parcels, projects};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath};
use crate::imports::parcels::{OVERLAP_FRACTION, OVERLAP_M2};
use crate::progress::counters::{self, StatusMove};
use crate::scoped::{self, ParcelId, Scoped};
use crate::state::AppState;

/// Most parts of one split, most parcels of one merge.
const MAX_PIECES: usize = 50;

/// One new parcel of a split.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitPart {
    /// Its number on the map sheet (số thửa mới); empty or absent: the next free number.
    #[serde(default)]
    pub parcel_no: String,
    /// Defaults to the parent's land use.
    pub land_use: Option<LandUse>,
    /// The part as surveyed: GeoJSON Polygon, WGS84. Leave out when cutting along `line`.
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<Value>,
}

/// Split a parcel: either give every part's geometry, or a straight `line` across the parcel
/// and two parts (the part left of the line, looking from its first point to its second,
/// comes first).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    pub parts: Vec<SplitPart>,
    /// Two points `[lon, lat]`; the cut runs through them and on across the parcel.
    pub line: Option<[[f64; 2]; 2]>,
    /// Why (the survey record, the decision); kept on the lineage audit.
    pub reason: Option<String>,
    /// Check and show the parts; store nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A parcel to merge, with the version read.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeSource {
    pub id: i32,
    pub version: i32,
}

/// Merge adjacent parcels of one commune and status into one.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub parcels: Vec<MergeSource>,
    /// The merged parcel's number; empty or absent: the next free number on the sheet.
    #[serde(default)]
    pub parcel_no: String,
    /// Defaults to the first parcel's map sheet.
    pub map_sheet: Option<String>,
    /// Needed when the parcels' land uses differ.
    pub land_use: Option<LandUse>,
    pub reason: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
}

/// A parcel a split or merge made (or would make, in a dry run: no `id`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LineagePart {
    pub id: Option<i32>,
    pub map_sheet: String,
    pub parcel_no: String,
    pub land_use: LandUse,
    pub status: ParcelStatus,
    pub area_m2: f64,
    #[schema(value_type = Object)]
    pub geometry: Value,
}

/// What a split or merge did (or would do).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LineageOutcome {
    pub dry_run: bool,
    /// The parcels replaced (retired).
    pub retired: Vec<i32>,
    pub parcels: Vec<LineagePart>,
    /// Households whose holdings moved to the new parcels.
    pub households: usize,
    /// Free numbers on the map sheet after the highest one used, for the form to offer.
    pub suggested_parcel_nos: Vec<String>,
}

/// A parcel linked to another by a split or merge.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LineageRef {
    pub id: i32,
    pub map_sheet: String,
    pub parcel_no: String,
    /// `split` or `merge`.
    pub kind: String,
    /// RFC 3339.
    pub recorded_at: String,
    pub retired: bool,
}

/// Where a parcel came from and what replaced it.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Lineage {
    pub parents: Vec<LineageRef>,
    pub children: Vec<LineageRef>,
}

fn invalid(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid(code, message)
}

/// Splits and merges change the cadastre: the roles that add parcels make them.
fn require_cadastral_writer(principal: &Principal) -> AppResult<()> {
    principal.require(Permission::WriteParcels)?;
    if principal.role.is_area_scoped() {
        return Err(AppError::Forbidden(
            "parcels are split and merged by administrators and project boards, from the survey record".into(),
        ));
    }
    Ok(())
}

fn check_reason(reason: Option<&str>) -> AppResult<()> {
    if reason.is_some_and(|r| r.chars().count() > 5_000) {
        return Err(invalid(
            "text_too_long",
            "the reason is limited to 5,000 characters",
        ));
    }
    Ok(())
}

/// Parcel numbers as typed, the blank ones given the next free numbers of the sheet (skipping
/// those typed): each trimmed, at most 64 characters.
async fn numbers(
    conn: &impl ConnectionTrait,
    row: &ParcelRow,
    map_sheet: &str,
    typed: &[&str],
) -> AppResult<Vec<String>> {
    let given: Vec<String> = typed
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(parcel_no)
        .collect::<AppResult<_>>()?;
    let free: Vec<String> = suggested_numbers(
        conn,
        row.project_id,
        row.commune_id,
        map_sheet,
        typed.len() * 2,
    )
    .await?
    .into_iter()
    .filter(|n| !given.contains(n))
    .collect();
    let mut free = free.into_iter();
    let mut given = given.into_iter();
    typed
        .iter()
        .map(|t| {
            let next = if t.trim().is_empty() {
                free.next()
            } else {
                given.next()
            };
            next.ok_or_else(|| AppError::Internal(anyhow::anyhow!("ran out of parcel numbers")))
        })
        .collect()
}

/// A parcel number as typed: trimmed, not empty, at most 64 characters.
fn parcel_no(raw: &str) -> AppResult<String> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 64 {
        return Err(AppError::Unprocessable {
            code: "invalid_parcel_no",
            message: "give each new parcel a number of 1 to 64 characters".into(),
            details: Some(json!({"field": "parcel_no"})),
        });
    }
    Ok(s.to_string())
}

/// 409 for a parcel a split or merge already replaced.
fn retired(row: &ParcelRow) -> AppError {
    AppError::Conflict {
        code: "parcel_retired",
        message: format!(
            "parcel {} of map sheet {} was replaced by a split or merge; work on the parcels that replaced it",
            row.parcel_no, row.map_sheet
        ),
    }
}

fn stale(row: &ParcelRow, expected: i32) -> AppError {
    AppError::Conflict {
        code: "version_conflict",
        message: format!(
            "parcel {} changed since you read it (your version {expected}, now {}); read it again",
            row.parcel_no, row.version
        ),
    }
}

// ---- geometry ------------------------------------------------------------------------------

/// The largest overlap tolerated between two pieces, as the import tolerates it.
fn overlap_limit(a: f64, b: f64) -> f64 {
    OVERLAP_M2.min(OVERLAP_FRACTION * a.min(b))
}

/// `parent` cut by the straight line through `a` and `b`: the part left of the line, then the
/// right. Refused unless each side is one polygon.
pub(crate) fn cut(
    parent: &MultiPolygon<f64>,
    a: [f64; 2],
    b: [f64; 2],
) -> AppResult<[MultiPolygon<f64>; 2]> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy);
    if !(len.is_finite() && len > 1e-9) {
        return Err(invalid(
            "invalid_line",
            "the cut needs two different points [lon, lat]",
        ));
    }
    // A half-plane far larger than any parcel (degrees): 1° is about 110 km.
    let (ux, uy) = (dx / len, dy / len);
    let (nx, ny) = (-uy, ux);
    let r = 1.0;
    let p = |x: f64, y: f64| Coord { x, y };
    let start = p(a[0] - ux * r, a[1] - uy * r);
    let end = p(b[0] + ux * r, b[1] + uy * r);
    let left = Polygon::new(
        LineString::from(vec![
            start,
            end,
            p(end.x + nx * r, end.y + ny * r),
            p(start.x + nx * r, start.y + ny * r),
            start,
        ]),
        vec![],
    );
    let half = MultiPolygon::new(vec![left]);
    let sides = [parent.intersection(&half), parent.difference(&half)];
    let area = crate::geo::area_m2(parent);
    for side in &sides {
        // Slivers from the overlay are not pieces.
        let pieces = side
            .0
            .iter()
            .filter(|p| {
                crate::geo::area_m2(&MultiPolygon::new(vec![(*p).clone()]))
                    > overlap_limit(area, area)
            })
            .count();
        if pieces == 0 {
            return Err(invalid(
                "line_does_not_cut",
                "the line does not cross the parcel; draw it from one side of the parcel to the other",
            ));
        }
        if pieces > 1 {
            return Err(invalid(
                "line_cuts_several",
                format!("the line cuts the parcel into more than two pieces ({pieces} on one side); draw it so it crosses the parcel once"),
            ));
        }
    }
    Ok(sides)
}

/// Surveyed parts: each inside the parent, not overlapping each other, covering it together.
fn check_parts(parent: &MultiPolygon<f64>, parts: &[MultiPolygon<f64>]) -> AppResult<()> {
    let whole = crate::geo::area_m2(parent);
    let areas: Vec<f64> = parts.iter().map(crate::geo::area_m2).collect();
    for (i, (part, area)) in parts.iter().zip(&areas).enumerate() {
        let outside = crate::geo::area_m2(&part.difference(parent));
        if outside > overlap_limit(*area, *area) {
            return Err(AppError::Unprocessable {
                code: "part_outside_parent",
                message: format!(
                    "part {} lies {outside:.1} m² outside the parcel it is cut from",
                    i + 1
                ),
                details: Some(json!({"part": i, "outside_m2": outside})),
            });
        }
        for (j, other) in parts.iter().enumerate().skip(i + 1) {
            let shared = crate::geo::area_m2(&part.intersection(other));
            if shared > overlap_limit(*area, areas[j]) {
                return Err(AppError::Unprocessable {
                    code: "parts_overlap",
                    message: format!("parts {} and {} overlap by {shared:.1} m²", i + 1, j + 1),
                    details: Some(json!({"parts": [i, j], "overlap_m2": shared})),
                });
            }
        }
    }
    let covered: f64 = areas.iter().sum();
    let missing = whole - covered;
    if missing > overlap_limit(whole, whole) {
        return Err(AppError::Unprocessable {
            code: "parts_do_not_cover",
            message: format!(
                "the parts leave {missing:.1} m² of the parcel ({whole:.1} m²) uncovered"
            ),
            details: Some(json!({"missing_m2": missing})),
        });
    }
    Ok(())
}

/// The union of parcels, if it is one polygon (the parcels touch or overlap).
fn union_of(pieces: &[MultiPolygon<f64>]) -> AppResult<MultiPolygon<f64>> {
    let mut all = MultiPolygon::new(vec![]);
    for p in pieces {
        all = all.union(p);
    }
    if all.0.len() != 1 {
        return Err(invalid(
            "not_adjacent",
            format!(
                "the parcels do not form one piece of land ({} separate pieces); merge only parcels that touch",
                all.0.len()
            ),
        ));
    }
    Ok(all)
}

fn parse_part(i: usize, g: &Value) -> AppResult<crate::geo::ParcelGeometry> {
    crate::geo::prepare(g).map_err(|e| AppError::Unprocessable {
        code: "invalid_geometry",
        message: format!("part {}: {e}", i + 1),
        details: Some(json!({"part": i, "reason": e.code()})),
    })
}

// ---- reading -------------------------------------------------------------------------------

/// Parent and child links of a parcel.
pub async fn lineage_of(conn: &impl ConnectionTrait, id: i32) -> AppResult<Lineage> {
    use parcel_lineage::Column as L;
    let links = parcel_lineage::Entity::find()
        .filter(L::ParcelId.eq(id).or(L::ParentId.eq(id)))
        .order_by_asc(L::RecordedAt)
        .all(conn)
        .await?;
    if links.is_empty() {
        return Ok(Lineage::default());
    }
    let other: Vec<i32> = links
        .iter()
        .map(|l| {
            if l.parcel_id == id {
                l.parent_id
            } else {
                l.parcel_id
            }
        })
        .collect();
    let rows: Vec<(i32, String, String, Option<DateTime<FixedOffset>>)> = parcels::Entity::find()
        .select_only()
        .columns([
            parcels::Column::Id,
            parcels::Column::MapSheet,
            parcels::Column::ParcelNo,
            parcels::Column::RetiredAt,
        ])
        .filter(parcels::Column::Id.is_in(other))
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = Lineage::default();
    for l in links {
        let (other, list) = if l.parcel_id == id {
            (l.parent_id, &mut out.parents)
        } else {
            (l.parcel_id, &mut out.children)
        };
        if let Some((pid, sheet, no, retired_at)) = rows.iter().find(|r| r.0 == other) {
            list.push(LineageRef {
                id: *pid,
                map_sheet: sheet.clone(),
                parcel_no: no.clone(),
                kind: l.kind.clone(),
                recorded_at: l.recorded_at.to_rfc3339(),
                retired: retired_at.is_some(),
            });
        }
    }
    Ok(out)
}

/// Free numbers after the highest numeric parcel number of the sheet (retired ones count:
/// numbers are not reused).
async fn suggested_numbers(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
    map_sheet: &str,
    n: usize,
) -> AppResult<Vec<String>> {
    let used: Vec<String> = parcels::Entity::find()
        .select_only()
        .column(parcels::Column::ParcelNo)
        .filter(parcels::Column::ProjectId.eq(project_id))
        .filter(parcels::Column::CommuneId.eq(commune_id))
        .filter(parcels::Column::MapSheet.eq(map_sheet))
        .into_tuple()
        .all(conn)
        .await?;
    let top = used
        .iter()
        .filter_map(|s| s.trim().parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    Ok((1..=n as u64).map(|i| (top + i).to_string()).collect())
}

// ---- writing -------------------------------------------------------------------------------

/// A new parcel of a split or merge, checked.
struct Piece {
    map_sheet: String,
    parcel_no: String,
    land_use: LandUse,
    geometry: crate::geo::ParcelGeometry,
}

/// Refuses numbers used twice in the request or already on the sheet.
async fn check_numbers(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
    pieces: &[Piece],
) -> AppResult<()> {
    let keys: Vec<(i32, String, String)> = pieces
        .iter()
        .map(|p| (commune_id, p.map_sheet.clone(), p.parcel_no.clone()))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        if keys[..i].contains(k) {
            return Err(AppError::Unprocessable {
                code: "duplicate_in_file",
                message: format!("parcel number {} is given twice", k.2),
                details: Some(json!({"field": "parcel_no", "parcel_no": k.2})),
            });
        }
    }
    let taken = service::existing_keys(conn, project_id, &keys).await?;
    if let Some(k) = keys.iter().find(|k| taken.contains(*k)) {
        return Err(AppError::Unprocessable {
            code: "duplicate_parcel",
            message: format!(
                "map sheet {} already has (or had) parcel {}; pick a free number",
                k.1, k.2
            ),
            details: Some(json!({"field": "parcel_no", "parcel_no": k.2, "map_sheet": k.1})),
        });
    }
    Ok(())
}

/// Retires the parents (if still at the versions read), inserts the pieces with the parents'
/// status, moves households, links lineage, moves the counters and audits. Returns the new
/// ids in the order of `pieces`.
#[allow(clippy::too_many_arguments)]
async fn replace(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    parents: &[(Scoped<ParcelId>, &ParcelRow, i32)],
    pieces: &[Piece],
    kind: &'static str,
    reason: Option<&str>,
    now: DateTime<FixedOffset>,
) -> AppResult<(Vec<i32>, usize)> {
    use parcels::Column as P;
    let first = parents[0].1;
    for (_, row, expected) in parents {
        let done = parcels::Entity::update_many()
            .col_expr(P::RetiredAt, Expr::value(now))
            .col_expr(P::UpdatedAt, Expr::value(now))
            .col_expr(P::Version, Expr::col(P::Version).add(1))
            .filter(P::Id.eq(row.id))
            .filter(P::Version.eq(*expected))
            .filter(P::RetiredAt.is_null())
            .exec(conn)
            .await?;
        if done.rows_affected != 1 {
            return Err(stale(row, *expected));
        }
    }
    // The parents leave the counts; the pieces enter them with the same status, which is
    // not progress this week.
    let moves: Vec<StatusMove> = parents
        .iter()
        .map(|(_, row, _)| StatusMove {
            commune_id: row.commune_id,
            area_m2: row.area_m2,
            from: Some(row.status),
            to: None,
            progress: false,
        })
        .collect();
    counters::apply_parcel_status_changes(conn, project.id, &moves, now).await?;

    let boundary = project
        .boundary
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .and_then(|v| crate::geo::parse_geometry(&v).ok());
    let rows: Vec<NewParcelRow> = pieces
        .iter()
        .map(|p| NewParcelRow {
            commune_id: first.commune_id,
            map_sheet: &p.map_sheet,
            parcel_no: &p.parcel_no,
            land_use: p.land_use,
            area_m2: p.geometry.area_m2,
            recovered_area_m2: crate::geo::recovered_area_m2(
                &p.geometry.geometry,
                boundary.as_ref(),
            ),
            geometry: &p.geometry.geojson,
            source_geometry: None,
            bbox: p.geometry.bbox,
            parent_parcel_id: Some(first.id),
            status: first.status,
        })
        .collect();
    let actor = EventActor::of(who);
    let batch = NewParcelBatch {
        project_id: project.id,
        source_crs: "EPSG:4326",
        actor: &actor,
        // `split` / `merge`: the counters' mark of a carried status.
        reason: kind,
        at: now,
    };
    let ids = insert_batch(conn, &batch, &rows).await?;
    let links: Vec<ParcelLineage> = ids
        .iter()
        .flat_map(|&parcel_id| {
            parents.iter().map(move |(_, row, _)| ParcelLineage {
                parcel_id,
                parent_id: row.id,
                kind,
            })
        })
        .collect();
    insert_lineage(conn, &links, now).await?;
    let from: Vec<Scoped<ParcelId>> = parents.iter().map(|(s, _, _)| *s).collect();
    // The new parcels are in the writer's scope: made here from parcels that were.
    let to: Vec<Scoped<ParcelId>> = ids.iter().map(|&id| scoped::made_parcel(id)).collect();
    let households = scoped::move_holdings(conn, &from, &to).await?;
    let detail = json!({
        "kind": kind,
        "from": parents.iter().map(|(_, r, _)| json!({"id": r.id, "map_sheet": r.map_sheet, "parcel_no": r.parcel_no})).collect::<Vec<_>>(),
        "into": ids.iter().zip(pieces).map(|(id, p)| json!({"id": id, "map_sheet": p.map_sheet, "parcel_no": p.parcel_no, "area_m2": p.geometry.area_m2})).collect::<Vec<_>>(),
        "households": households.len(),
        "reason": reason,
    });
    for (_, row, _) in parents {
        crate::audit::record(
            conn,
            who,
            kind,
            "parcel",
            Some(row.id.to_string()),
            detail.clone(),
        )
        .await?;
    }
    Ok((ids, households.len()))
}

fn outcome_parts(pieces: &[Piece], ids: &[i32], status: ParcelStatus) -> Vec<LineagePart> {
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| LineagePart {
            id: ids.get(i).copied(),
            map_sheet: p.map_sheet.clone(),
            parcel_no: p.parcel_no.clone(),
            land_use: p.land_use,
            status,
            area_m2: p.geometry.area_m2,
            geometry: serde_json::from_str(&p.geometry.geojson).unwrap_or(Value::Null),
        })
        .collect()
}

/// A stored parcel's geometry.
fn stored_shape(row: &ParcelRow) -> AppResult<MultiPolygon<f64>> {
    crate::geo::parse_geometry(&serde_json::from_str::<Value>(&row.geometry).unwrap_or(Value::Null))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored parcel {} geometry: {e}", row.id)))
}

/// Geometry work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("geometry work failed: {e}")))?
}

/// A parcel a request names (already passed the caller's scope) with the version it read:
/// current (else 409 `parcel_retired`), at that version (else 409 `version_conflict`).
async fn source(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    scoped_id: Scoped<ParcelId>,
    version: i32,
) -> AppResult<(Scoped<ParcelId>, ParcelRow, i32)> {
    let row = service::get(conn, &principal.scope, scoped_id.id()).await?;
    if row.retired_at.is_some() {
        return Err(retired(&row));
    }
    if row.version != version {
        return Err(stale(&row, version));
    }
    Ok((scoped_id, row, version))
}

/// The geometries of a split's parts: cut along the line, or as surveyed and checked.
async fn split_geometries(
    row: &ParcelRow,
    req: &SplitRequest,
) -> AppResult<Vec<crate::geo::ParcelGeometry>> {
    let parent = stored_shape(row)?;
    if let Some([a, b]) = req.line {
        if req.parts.len() != 2 || req.parts.iter().any(|p| p.geometry.is_some()) {
            return Err(invalid(
                "invalid_parts",
                "a cut along a line makes two parts: give two parcel numbers and no geometry",
            ));
        }
        let sides = blocking(move || cut(&parent, a, b)).await?;
        return sides
            .iter()
            .enumerate()
            .map(|(i, s)| parse_part(i, &crate::geo::to_geojson_value(s)))
            .collect();
    }
    let parts: Vec<Value> = req
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.geometry.clone().ok_or_else(|| AppError::Unprocessable {
                code: "missing_geometry",
                message: format!(
                    "part {} has no geometry; give every part's geometry or a line to cut along",
                    i + 1
                ),
                details: Some(json!({"part": i})),
            })
        })
        .collect::<AppResult<_>>()?;
    blocking(move || {
        let g: Vec<crate::geo::ParcelGeometry> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| parse_part(i, p))
            .collect::<AppResult<_>>()?;
        let shapes: Vec<MultiPolygon<f64>> = g.iter().map(|p| p.geometry.clone()).collect();
        check_parts(&parent, &shapes)?;
        Ok(g)
    })
    .await
}

/// The merged parcel of a merge request, once its sources agree (one commune, one status,
/// one land use or one chosen, touching).
async fn merged_piece(
    parents: &[(Scoped<ParcelId>, ParcelRow, i32)],
    req: &MergeRequest,
) -> AppResult<Piece> {
    let first = &parents[0].1;
    if parents
        .iter()
        .any(|(_, r, _)| r.project_id != first.project_id)
    {
        // A parcel of another project is not in this merge's world: unknown.
        return Err(AppError::not_found("parcel"));
    }
    if parents
        .iter()
        .any(|(_, r, _)| r.commune_id != first.commune_id)
    {
        return Err(invalid(
            "different_communes",
            "the parcels lie in different communes; merge only parcels of one commune",
        ));
    }
    if let Some((_, r, _)) = parents.iter().find(|(_, r, _)| r.status != first.status) {
        return Err(AppError::Unprocessable {
            code: "different_statuses",
            message: format!(
                "parcel {} is `{}` and parcel {} is `{}`; bring them to one status first",
                first.parcel_no,
                first.status.as_str(),
                r.parcel_no,
                r.status.as_str()
            ),
            details: Some(json!({"statuses": [first.status, r.status]})),
        });
    }
    let land_use = match req.land_use {
        Some(l) => l.current(),
        None if parents.iter().all(|(_, r, _)| r.land_use == first.land_use) => first.land_use,
        None => {
            return Err(AppError::Unprocessable {
                code: "land_use_needed",
                message: "the parcels have different land uses; pick the merged parcel's".into(),
                details: Some(json!({"field": "land_use"})),
            })
        }
    };
    let map_sheet = match req.map_sheet.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() && s.chars().count() <= 64 => s.to_string(),
        Some(_) => {
            return Err(AppError::Unprocessable {
                code: "invalid_map_sheet",
                message: "the map sheet is 1 to 64 characters".into(),
                details: Some(json!({"field": "map_sheet"})),
            })
        }
        None => first.map_sheet.clone(),
    };
    let shapes: Vec<MultiPolygon<f64>> = parents
        .iter()
        .map(|(_, r, _)| stored_shape(r))
        .collect::<AppResult<_>>()?;
    let merged = blocking(move || union_of(&shapes)).await?;
    Ok(Piece {
        map_sheet,
        // Numbered by the caller (`numbers`).
        parcel_no: String::new(),
        land_use,
        geometry: parse_part(0, &crate::geo::to_geojson_value(&merged))?,
    })
}

/// What a split or merge names, checked: the parents, the new parcels and how to record it.
struct Change<'a> {
    parents: &'a [(Scoped<ParcelId>, ParcelRow, i32)],
    pieces: Vec<Piece>,
    kind: &'static str,
    reason: Option<&'a str>,
    dry_run: bool,
}

/// Previews a change (dry run: 200, nothing stored) or makes it in one write transaction
/// (201), then drops the project's tiles so the map redraws from the new parcels.
async fn apply(
    state: &AppState,
    principal: &Principal,
    change: Change<'_>,
) -> AppResult<(StatusCode, Json<LineageOutcome>)> {
    let conn = &state.db.conn;
    let first = &change.parents[0].1;
    let project = projects::Entity::find_by_id(first.project_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("project"))?;
    let retired_ids: Vec<i32> = change.parents.iter().map(|(_, r, _)| r.id).collect();
    if change.dry_run {
        check_numbers(conn, project.id, first.commune_id, &change.pieces).await?;
        let scoped_ids: Vec<Scoped<ParcelId>> = change.parents.iter().map(|(s, _, _)| *s).collect();
        return Ok((
            StatusCode::OK,
            Json(LineageOutcome {
                dry_run: true,
                retired: retired_ids,
                parcels: outcome_parts(&change.pieces, &[], first.status),
                households: scoped::holders_of(conn, &scoped_ids).await?,
                suggested_parcel_nos: suggested_numbers(
                    conn,
                    project.id,
                    first.commune_id,
                    &change.pieces[0].map_sheet,
                    change.pieces.len(),
                )
                .await?,
            }),
        ));
    }
    let now = crate::db::utc(Utc::now().fixed_offset());
    let tx = state.db.write().await?;
    crate::projects::service::ensure_open(&*tx, project.id).await?;
    check_numbers(&*tx, project.id, first.commune_id, &change.pieces).await?;
    let refs: Vec<(Scoped<ParcelId>, &ParcelRow, i32)> =
        change.parents.iter().map(|(s, r, v)| (*s, r, *v)).collect();
    let (ids, households) = replace(
        &*tx,
        principal,
        &project,
        &refs,
        &change.pieces,
        change.kind,
        change.reason,
        now,
    )
    .await?;
    tx.commit().await?;
    state.tiles.invalidate_project(project.id);
    Ok((
        StatusCode::CREATED,
        Json(LineageOutcome {
            dry_run: false,
            retired: retired_ids,
            parcels: outcome_parts(&change.pieces, &ids, first.status),
            households,
            suggested_parcel_nos: Vec::new(),
        }),
    ))
}

/// Split a parcel into parts (tách thửa). Send the parcel's version in `If-Match`. The parent
/// is kept, retired, with its history; the parts carry its status and households, and link
/// back to it. `dry_run` shows the parts and stores nothing.
#[utoipa::path(post, path = "/api/v1/parcels/{id}/split", tag = "parcels",
    params(("id" = i32, Path, description = "parcel id"),
           ("If-Match" = String, Header, description = "the parcel's version (its ETag), e.g. \"3\"")),
    request_body = SplitRequest,
    responses((status = 200, description = "dry run", body = LineageOutcome),
              (status = 201, body = LineageOutcome),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, description = "version_conflict, parcel_retired or project_closed", body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope),
              (status = 428, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn split(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    ApiJson(req): ApiJson<SplitRequest>,
) -> AppResult<(StatusCode, Json<LineageOutcome>)> {
    require_cadastral_writer(&principal)?;
    // 404 before anything else for a parcel outside the caller's area.
    let scoped_id = scoped::parcel(&state.db.conn, &principal.scope, id).await?;
    let expected = crate::extract::if_match(&headers, "parcel")?;
    let parent = [source(&state.db.conn, &principal, scoped_id, expected).await?];
    check_reason(req.reason.as_deref())?;
    if req.parts.len() < 2 || req.parts.len() > MAX_PIECES {
        return Err(invalid(
            "invalid_parts",
            format!("a split makes 2 to {MAX_PIECES} parts"),
        ));
    }
    let row = &parent[0].1;
    let geometries = split_geometries(row, &req).await?;
    let typed: Vec<&str> = req.parts.iter().map(|p| p.parcel_no.as_str()).collect();
    let nos = numbers(&state.db.conn, row, &row.map_sheet, &typed).await?;
    let pieces = req
        .parts
        .iter()
        .zip(geometries)
        .zip(nos)
        .map(|((part, geometry), parcel_no)| Piece {
            map_sheet: row.map_sheet.clone(),
            parcel_no,
            land_use: part.land_use.map_or(row.land_use, LandUse::current),
            geometry,
        })
        .collect::<Vec<_>>();
    let change = Change {
        parents: &parent,
        pieces,
        kind: "split",
        reason: req.reason.as_deref(),
        dry_run: req.dry_run,
    };
    apply(&state, &principal, change).await
}

/// Merge adjacent parcels of one commune and one status into one (hợp thửa). Each parcel is
/// named with the version read. The parents are kept, retired; the merged parcel carries their
/// status and households.
#[utoipa::path(post, path = "/api/v1/parcels/merge", tag = "parcels",
    request_body = MergeRequest,
    responses((status = 200, description = "dry run", body = LineageOutcome),
              (status = 201, body = LineageOutcome),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 409, description = "version_conflict, parcel_retired or project_closed", body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(n = req.parcels.len()))]
pub async fn merge(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<MergeRequest>,
) -> AppResult<(StatusCode, Json<LineageOutcome>)> {
    require_cadastral_writer(&principal)?;
    if req.parcels.len() < 2 || req.parcels.len() > MAX_PIECES {
        return Err(invalid(
            "invalid_parcels",
            format!("a merge joins 2 to {MAX_PIECES} parcels"),
        ));
    }
    check_reason(req.reason.as_deref())?;
    let mut parents = Vec::with_capacity(req.parcels.len());
    for src in &req.parcels {
        if parents
            .iter()
            .any(|(_, r, _): &(Scoped<ParcelId>, ParcelRow, i32)| r.id == src.id)
        {
            return Err(invalid(
                "invalid_parcels",
                format!("parcel {} is named twice", src.id),
            ));
        }
        let scoped_id = scoped::parcel(&state.db.conn, &principal.scope, src.id).await?;
        parents.push(source(&state.db.conn, &principal, scoped_id, src.version).await?);
    }
    let mut piece = merged_piece(&parents, &req).await?;
    piece.parcel_no = numbers(
        &state.db.conn,
        &parents[0].1,
        &piece.map_sheet,
        &[req.parcel_no.as_str()],
    )
    .await?
    .remove(0);
    let change = Change {
        parents: &parents,
        pieces: vec![piece],
        kind: "merge",
        reason: req.reason.as_deref(),
        dry_run: req.dry_run,
    };
    apply(&state, &principal, change).await
}

/// Where a parcel came from and what replaced it (a retired parcel is still read by id).
#[utoipa::path(get, path = "/api/v1/parcels/{id}/lineage", tag = "parcels",
    params(("id" = i32, Path, description = "parcel id")),
    responses((status = 200, body = Lineage), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn lineage(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<Lineage>> {
    let conn = &state.db.conn;
    let parcel = scoped::parcel(conn, &principal.scope, id).await?;
    Ok(Json(lineage_of(conn, parcel.id()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, d: f64) -> MultiPolygon<f64> {
        let p = |x: f64, y: f64| Coord { x, y };
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                p(x0, y0),
                p(x0 + d, y0),
                p(x0 + d, y0 + d),
                p(x0, y0 + d),
                p(x0, y0),
            ]),
            vec![],
        )])
    }

    #[test]
    fn a_line_through_the_middle_makes_two_halves() -> AppResult<()> {
        let parcel = square(108.80, 15.35, 0.001);
        // Upwards through the middle: the west half is on the left.
        let [left, right] = cut(&parcel, [108.8005, 15.349], [108.8005, 15.352])?;
        let (l, r, whole) = (
            crate::geo::area_m2(&left),
            crate::geo::area_m2(&right),
            crate::geo::area_m2(&parcel),
        );
        assert!((l - whole / 2.0).abs() < 1.0, "left {l} of {whole}");
        assert!((r - whole / 2.0).abs() < 1.0, "right {r} of {whole}");
        let west = crate::geo::bbox_of(&left).map(|b| b.max_lon);
        assert!(
            west.is_some_and(|x| x <= 108.80051),
            "left is the west half: {west:?}"
        );
        Ok(())
    }

    #[test]
    fn a_line_beside_the_parcel_is_refused() {
        let parcel = square(108.80, 15.35, 0.001);
        let r = cut(&parcel, [108.81, 15.349], [108.81, 15.352]);
        assert!(matches!(
            r,
            Err(AppError::Unprocessable {
                code: "line_does_not_cut",
                ..
            })
        ));
        let r = cut(&parcel, [108.80, 15.35], [108.80, 15.35]);
        assert!(matches!(
            r,
            Err(AppError::Unprocessable {
                code: "invalid_line",
                ..
            })
        ));
    }

    #[test]
    fn parts_must_cover_the_parent_without_overlapping() {
        let parent = square(108.80, 15.35, 0.002);
        let quarter = |i: f64, j: f64| square(108.80 + i * 0.001, 15.35 + j * 0.001, 0.001);
        let all = [
            quarter(0., 0.),
            quarter(1., 0.),
            quarter(0., 1.),
            quarter(1., 1.),
        ];
        assert!(check_parts(&parent, &all).is_ok());
        let missing = &all[..3];
        assert!(matches!(
            check_parts(&parent, missing),
            Err(AppError::Unprocessable {
                code: "parts_do_not_cover",
                ..
            })
        ));
        let overlapping = [
            all[0].clone(),
            all[0].clone(),
            all[1].clone(),
            all[2].clone(),
            all[3].clone(),
        ];
        assert!(matches!(
            check_parts(&parent, &overlapping),
            Err(AppError::Unprocessable {
                code: "parts_overlap",
                ..
            })
        ));
        let outside = [square(108.81, 15.35, 0.001), all[1].clone()];
        assert!(matches!(
            check_parts(&parent, &outside),
            Err(AppError::Unprocessable {
                code: "part_outside_parent",
                ..
            })
        ));
    }

    #[test]
    fn only_touching_parcels_merge() -> AppResult<()> {
        let a = square(108.80, 15.35, 0.001);
        let b = square(108.801, 15.35, 0.001);
        let merged = union_of(&[a.clone(), b])?;
        assert_eq!(merged.0.len(), 1);
        let far = square(108.81, 15.35, 0.001);
        assert!(matches!(
            union_of(&[a, far]),
            Err(AppError::Unprocessable {
                code: "not_adjacent",
                ..
            })
        ));
        Ok(())
    }
}
