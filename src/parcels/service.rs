//! Parcel queries and writes. Every read takes the caller's `Scope`, so a member sees only the
//! parcels of their working groups' communes and a project board only its project.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, Statement,
    Value,
};
use serde_json::{json, Value as Json};

use super::dto::{CommuneRef, InvalidFeature, ParcelDto, ParcelPatch, ParcelQuery, StatusEventDto};
use crate::admin_units::seed::LEVEL_COMMUNE;
use crate::auth::{Principal, Scope};
use crate::domain::{LandUse, ParcelStatus};
use crate::entities::{admin_units, parcels, projects};
use crate::error::{AppError, AppResult};
use crate::geo::{GeometryError, ParcelGeometry};
use crate::pagination::{Cursor, Page};
use crate::sql::{commune_code_condition, Conditions};

/// Most features one POST may carry.
pub const MAX_FEATURES: usize = 10_000;
/// Longest map sheet / parcel number accepted.
const MAX_KEY_CHARS: usize = 64;

const SELECT: &str = "SELECT p.id, p.project_id, pr.code AS project_code, p.commune_id, \
    u.code AS commune_code, u.name AS commune_name, p.map_sheet, p.parcel_no, p.land_use, p.area_m2, \
    p.recovered_area_m2, p.geometry, p.source_crs, p.parent_parcel_id, p.status, p.version, p.updated_at \
    FROM parcels p JOIN projects pr ON pr.id = p.project_id JOIN admin_units u ON u.id = p.commune_id";

/// A parcel with its project code and commune, as the API shows it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ParcelRow {
    pub id: i32,
    pub project_id: i32,
    pub project_code: String,
    pub commune_id: i32,
    pub commune_code: String,
    pub commune_name: String,
    pub map_sheet: String,
    pub parcel_no: String,
    pub land_use: String,
    pub area_m2: f64,
    pub recovered_area_m2: f64,
    pub geometry: String,
    pub source_crs: String,
    pub parent_parcel_id: Option<i32>,
    pub status: String,
    pub version: i32,
    pub updated_at: DateTime<FixedOffset>,
}

impl ParcelRow {
    pub fn into_dto(self) -> ParcelDto {
        ParcelDto {
            id: self.id,
            project: self.project_code,
            map_sheet: self.map_sheet,
            parcel_no: self.parcel_no,
            commune: CommuneRef {
                id: self.commune_id,
                code: self.commune_code,
                name: self.commune_name,
            },
            land_use: self.land_use,
            area_m2: self.area_m2,
            recovered_area_m2: self.recovered_area_m2,
            geometry: serde_json::from_str(&self.geometry).unwrap_or(Json::Null),
            source_crs: self.source_crs,
            parent_parcel: self.parent_parcel_id,
            status: self.status,
            version: self.version,
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

/// `status=agreed,paid` → the statuses, or 400 naming the allowed values.
pub fn parse_statuses(raw: &str) -> AppResult<Vec<ParcelStatus>> {
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let s = ParcelStatus::parse(part).ok_or_else(|| {
            let allowed: Vec<&str> = ParcelStatus::ALL.iter().map(|s| s.as_str()).collect();
            AppError::BadRequest(format!(
                "unknown status `{part}`; use one of {}",
                allowed.join(", ")
            ))
        })?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(AppError::BadRequest(
            "status is empty; give a status such as not_contacted".into(),
        ));
    }
    Ok(out)
}

/// The parcels of a project inside the caller's scope, by id ascending, filtered as asked.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    q: &ParcelQuery,
) -> AppResult<Page<ParcelDto>> {
    let limit = crate::pagination::limit(q.limit)?;
    let mut c = Conditions::new(scope.sql_condition("p"));
    let p = c.bind(project_id);
    c.push(format!("p.project_id = {p}"));
    if let Some(raw) = q.status.as_deref() {
        let statuses = parse_statuses(raw)?;
        let list: Vec<String> = statuses.iter().map(|s| c.bind(s.as_str())).collect();
        c.push(format!("p.status IN ({})", list.join(", ")));
    }
    if let Some(code) = q.commune.as_deref().map(str::trim) {
        if code.is_empty() {
            return Err(AppError::BadRequest(
                "commune is empty; give an admin unit code such as 21043".into(),
            ));
        }
        let x = c.bind(code);
        c.push(commune_code_condition("p.commune_id", &x));
    }
    if let Some(raw) = q.bbox.as_deref() {
        let b = crate::geo::parse_bbox(raw).map_err(|e| AppError::BadRequest(e.to_string()))?;
        let (min_lon, min_lat, max_lon, max_lat) = (
            c.bind(b.min_lon),
            c.bind(b.min_lat),
            c.bind(b.max_lon),
            c.bind(b.max_lat),
        );
        c.push(format!(
            "p.min_lon <= {max_lon} AND p.max_lon >= {min_lon} AND p.min_lat <= {max_lat} AND p.max_lat >= {min_lat}"
        ));
    }
    if let Some(cursor) = Cursor::decode(q.cursor.as_deref())? {
        let x = c.bind(cursor.0);
        c.push(format!("p.id > {x}"));
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY p.id LIMIT {}",
        c.sql(),
        limit + 1
    );
    let rows = ParcelRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        c.into_values(),
    ))
    .all(conn)
    .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id, ParcelRow::into_dto))
}

/// One parcel if it is inside the scope; 404 otherwise (its existence is not revealed).
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i32) -> AppResult<ParcelRow> {
    let sql = format!("{SELECT} WHERE p.id = $1 AND {}", scope.sql_condition("p"));
    ParcelRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [Value::from(id)],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::not_found("parcel"))
}

/// Parcels by id inside the scope, in id order.
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
) -> Result<Vec<ParcelDto>, DbErr> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(|i| i.to_string()).collect();
        let sql = format!(
            "{SELECT} WHERE p.id IN ({}) AND {} ORDER BY p.id",
            list.join(","),
            scope.sql_condition("p")
        );
        let rows =
            ParcelRow::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
                .all(conn)
                .await?;
        out.extend(rows.into_iter().map(ParcelRow::into_dto));
    }
    Ok(out)
}

/// The status events of a parcel in the scope, oldest first.
pub async fn history(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Vec<StatusEventDto>> {
    let parcel = get(conn, scope, id).await?;
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT id, from_status, to_status, reason, actor, at FROM parcel_status_events \
             WHERE parcel_id = $1 ORDER BY at, id",
            [Value::from(parcel.id)],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let at: DateTime<FixedOffset> = r.try_get("", "at")?;
        out.push(StatusEventDto {
            id: r.try_get("", "id")?,
            from: r.try_get("", "from_status")?,
            to: r.try_get("", "to_status")?,
            reason: r.try_get("", "reason")?,
            actor: r.try_get("", "actor")?,
            at: at.to_rfc3339(),
        });
    }
    Ok(out)
}

/// Reads `If-Match`: `3`, `"3"` or `W/"3"`.
pub fn parse_if_match(raw: Option<&str>) -> AppResult<i32> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(AppError::PreconditionRequired(
            "send `If-Match` with the parcel's version (its ETag, e.g. If-Match: \"3\") to change it".into(),
        ));
    };
    let v = raw.strip_prefix("W/").unwrap_or(raw).trim();
    let v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    v.trim().parse::<i32>().map_err(|_| {
        AppError::BadRequest(format!(
            "If-Match must be the parcel's version, e.g. \"3\" (got `{raw}`)"
        ))
    })
}

/// What a PATCH did.
pub enum PatchOutcome {
    Updated(Box<ParcelRow>),
    /// The parcel moved on since the caller read it: its current version.
    Conflict(i32),
}

/// Applies a PATCH if the parcel is still at version `expected`. The conditional UPDATE makes
/// two writers holding the same version unable to both win, whatever the database.
pub async fn update(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
    expected: i32,
    patch: &ParcelPatch,
    now: DateTime<FixedOffset>,
) -> AppResult<PatchOutcome> {
    let backend = conn.get_database_backend();
    let current = get(conn, &who.scope, id).await?;
    if current.version != expected {
        return Ok(PatchOutcome::Conflict(current.version));
    }
    let new_status = patch
        .status
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| current.status.clone());
    let new_land_use = patch
        .land_use
        .map(|l| l.as_str().to_string())
        .unwrap_or_else(|| current.land_use.clone());
    let done = conn
        .execute(Statement::from_sql_and_values(
            backend,
            "UPDATE parcels SET status = $1, land_use = $2, updated_at = $3, version = version + 1 \
             WHERE id = $4 AND version = $5",
            [
                Value::from(new_status.as_str()),
                Value::from(new_land_use.as_str()),
                Value::from(now),
                Value::from(id),
                Value::from(expected),
            ],
        ))
        .await?;
    if done.rows_affected() != 1 {
        let now_at = get(conn, &Scope::cli(), id).await?;
        return Ok(PatchOutcome::Conflict(now_at.version));
    }

    let reason = patch.reason.clone().unwrap_or_default();
    let mut detail = json!({"version": {"from": expected, "to": expected + 1}});
    if new_status != current.status {
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO parcel_status_events (project_id, parcel_id, from_status, to_status, reason, actor_id, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                Value::from(current.project_id),
                Value::from(id),
                Value::from(current.status.as_str()),
                Value::from(new_status.as_str()),
                Value::from(reason.as_str()),
                Value::from(who.user_id),
                Value::from(who.actor()),
                Value::from(now),
            ],
        ))
        .await?;
        crate::progress::apply_parcel_status_change(
            conn,
            current.project_id,
            current.commune_id,
            current.area_m2,
            Some(&current.status),
            &new_status,
            now,
        )
        .await?;
        detail["status"] = json!({"from": current.status, "to": new_status});
    }
    if new_land_use != current.land_use {
        detail["land_use"] = json!({"from": current.land_use, "to": new_land_use});
        // Land-use changes after a project's notice date are alerts (issue 6).
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO parcel_land_use_events (project_id, parcel_id, commune_id, from_land_use, to_land_use, actor_id, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                Value::from(current.project_id),
                Value::from(id),
                Value::from(current.commune_id),
                Value::from(current.land_use.as_str()),
                Value::from(new_land_use.as_str()),
                Value::from(who.user_id),
                Value::from(who.actor()),
                Value::from(now),
            ],
        ))
        .await?;
    }
    if let Some(r) = &patch.reason {
        detail["reason"] = json!(r);
    }
    if let Some(n) = &patch.note {
        detail["note"] = json!(n);
    }
    crate::audit::record(conn, who, "update", "parcel", Some(id.to_string()), detail).await?;
    let after = get(conn, &Scope::cli(), id).await?;
    Ok(PatchOutcome::Updated(Box::new(after)))
}

// ---- creating parcels ---------------------------------------------------------------------

/// The features of a POST body: a FeatureCollection's, or a single Feature.
pub fn features_of(body: Json) -> AppResult<Vec<Json>> {
    let bad = |m: &str| AppError::invalid("invalid_geojson", m.to_string());
    let mut body = body;
    match body.get("type").and_then(Json::as_str) {
        Some("FeatureCollection") => {
            let features = match body.get_mut("features").map(Json::take) {
                Some(Json::Array(a)) => a,
                _ => return Err(bad("a FeatureCollection needs a `features` array")),
            };
            if features.is_empty() {
                return Err(bad("the FeatureCollection has no features"));
            }
            if features.len() > MAX_FEATURES {
                return Err(AppError::invalid(
                    "too_many_features",
                    format!("send at most {MAX_FEATURES} features per request (got {})", features.len()),
                ));
            }
            Ok(features)
        }
        Some("Feature") => Ok(vec![body]),
        _ => Err(bad("send a GeoJSON Feature or FeatureCollection of parcels (Polygon/MultiPolygon, WGS84 lon/lat)")),
    }
}

/// A feature that passed the checks needing no database.
pub struct Draft {
    pub geometry: ParcelGeometry,
    pub map_sheet: String,
    pub parcel_no: String,
    pub commune: String,
    pub land_use: LandUse,
    pub status: ParcelStatus,
    pub parent: Option<i32>,
}

/// A feature ready to insert.
pub struct NewParcel {
    pub draft: Draft,
    pub commune_id: i32,
}

fn text_prop(props: &serde_json::Map<String, Json>, key: &str) -> Result<Option<String>, String> {
    match props.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else if s.chars().count() > MAX_KEY_CHARS {
                Err(format!("`{key}` is longer than {MAX_KEY_CHARS} characters"))
            } else {
                Ok(Some(s.to_string()))
            }
        }
        Some(Json::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn reject(
    index: usize,
    map_sheet: &Option<String>,
    parcel_no: &Option<String>,
    code: &str,
    reason: String,
) -> InvalidFeature {
    InvalidFeature {
        index,
        map_sheet: map_sheet.clone(),
        parcel_no: parcel_no.clone(),
        reason,
        code: code.to_string(),
    }
}

/// The checks of one feature that need no database: shape, geometry, required properties.
/// Pure and CPU-bound (geometry validity); run it off the async workers.
pub fn draft(index: usize, feature: &Json) -> Result<Draft, InvalidFeature> {
    let empty = serde_json::Map::new();
    let props = match feature.get("properties") {
        Some(Json::Object(m)) => m,
        None | Some(Json::Null) => &empty,
        Some(_) => {
            return Err(reject(
                index,
                &None,
                &None,
                "invalid_properties",
                "`properties` must be an object".into(),
            ));
        }
    };
    // The key is echoed back in the error list even when something else is wrong.
    let map_sheet = text_prop(props, "map_sheet").ok().flatten();
    let parcel_no = text_prop(props, "parcel_no").ok().flatten();
    let fail = |code: &str, reason: String| reject(index, &map_sheet, &parcel_no, code, reason);

    if feature.get("type").and_then(Json::as_str) != Some("Feature") {
        return Err(fail(
            "not_a_feature",
            "each item of `features` must be a GeoJSON Feature".into(),
        ));
    }
    let geometry = match feature.get("geometry") {
        None | Some(Json::Null) => {
            return Err(fail(
                "missing_geometry",
                "the feature has no geometry".into(),
            ))
        }
        Some(g) => {
            crate::geo::prepare(g).map_err(|e: GeometryError| fail(e.code(), e.to_string()))?
        }
    };
    let required = |key: &str| -> Result<String, InvalidFeature> {
        match text_prop(props, key) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(fail(
                &format!("missing_{key}"),
                format!("the property `{key}` is required"),
            )),
            Err(reason) => Err(fail(&format!("invalid_{key}"), reason)),
        }
    };
    let map_sheet_v = required("map_sheet")?;
    let parcel_no_v = required("parcel_no")?;
    let commune = required("commune")?;
    let land_use_raw = required("land_use")?;
    let land_use = LandUse::parse(&land_use_raw.to_uppercase()).ok_or_else(|| {
        let known: Vec<&str> = LandUse::ALL.iter().map(|l| l.as_str()).collect();
        fail(
            "unknown_land_use",
            format!(
                "unknown land use `{land_use_raw}`; use one of {}",
                known.join(", ")
            ),
        )
    })?;
    let status = match text_prop(props, "status") {
        Ok(None) => ParcelStatus::NotContacted,
        Ok(Some(s)) => ParcelStatus::parse(&s).ok_or_else(|| {
            let known: Vec<&str> = ParcelStatus::ALL.iter().map(|s| s.as_str()).collect();
            fail(
                "unknown_status",
                format!("unknown status `{s}`; use one of {}", known.join(", ")),
            )
        })?,
        Err(reason) => return Err(fail("unknown_status", reason)),
    };
    let parent = match props.get("parent_parcel") {
        None | Some(Json::Null) => None,
        Some(v) => match v.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(id) => Some(id),
            None => {
                return Err(fail(
                    "invalid_parent_parcel",
                    "`parent_parcel` must be a parcel id (an integer)".into(),
                ))
            }
        },
    };
    Ok(Draft {
        geometry,
        map_sheet: map_sheet_v,
        parcel_no: parcel_no_v,
        commune,
        land_use,
        status,
        parent,
    })
}

/// The admin unit each code names: the pre-2025 commune when codes collide, then a current
/// commune, then any unit with the code.
pub async fn resolve_communes(
    conn: &impl ConnectionTrait,
    codes: &HashSet<String>,
) -> Result<HashMap<String, i32>, DbErr> {
    let mut best: HashMap<String, (u8, i32)> = HashMap::new();
    let codes: Vec<String> = codes.iter().cloned().collect();
    for chunk in codes.chunks(500) {
        let units = admin_units::Entity::find()
            .filter(admin_units::Column::Code.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?;
        for u in units {
            let rank = match (u.level == LEVEL_COMMUNE, u.valid_to.is_some()) {
                (true, true) => 0,
                (true, false) => 1,
                _ => 2,
            };
            let e = best.entry(u.code.clone()).or_insert((rank, u.id));
            if (rank, u.id) < *e {
                *e = (rank, u.id);
            }
        }
    }
    Ok(best.into_iter().map(|(k, (_, id))| (k, id)).collect())
}

/// Keys `(commune_id, map_sheet, parcel_no)` among `keys` already taken in the project.
async fn existing_keys(
    conn: &impl ConnectionTrait,
    project_id: i32,
    keys: &[(i32, String, String)],
) -> Result<HashSet<(i32, String, String)>, DbErr> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(200) {
        let mut values = vec![Value::from(project_id)];
        let mut ors = Vec::with_capacity(chunk.len());
        for (commune, sheet, no) in chunk {
            let n = values.len();
            ors.push(format!(
                "(commune_id = ${} AND map_sheet = ${} AND parcel_no = ${})",
                n + 1,
                n + 2,
                n + 3
            ));
            values.push(Value::from(*commune));
            values.push(Value::from(sheet.as_str()));
            values.push(Value::from(no.as_str()));
        }
        let sql = format!(
            "SELECT commune_id, map_sheet, parcel_no FROM parcels WHERE project_id = $1 AND ({})",
            ors.join(" OR ")
        );
        for r in conn
            .query_all(Statement::from_sql_and_values(
                conn.get_database_backend(),
                sql,
                values,
            ))
            .await?
        {
            out.insert((
                r.try_get("", "commune_id")?,
                r.try_get("", "map_sheet")?,
                r.try_get("", "parcel_no")?,
            ));
        }
    }
    Ok(out)
}

/// The checks needing the database: known commune and parent parcel, no duplicate key in the
/// file or in the project. `drafts` holds each feature's draft or its first problem.
pub async fn check_against_database(
    conn: &impl ConnectionTrait,
    project_id: i32,
    drafts: Vec<Result<Draft, InvalidFeature>>,
) -> AppResult<Result<Vec<NewParcel>, Vec<InvalidFeature>>> {
    let codes: HashSet<String> = drafts
        .iter()
        .filter_map(|d| d.as_ref().ok())
        .map(|d| d.commune.clone())
        .collect();
    let communes = resolve_communes(conn, &codes).await?;
    let parent_ids: Vec<i32> = drafts
        .iter()
        .filter_map(|d| d.as_ref().ok())
        .filter_map(|d| d.parent)
        .collect();
    let mut parents: HashSet<i32> = HashSet::new();
    for chunk in parent_ids.chunks(500) {
        let found = parcels::Entity::find()
            .filter(parcels::Column::Id.is_in(chunk.iter().copied()))
            .filter(parcels::Column::ProjectId.eq(project_id))
            .all(conn)
            .await?;
        parents.extend(found.into_iter().map(|p| p.id));
    }

    let mut errors = Vec::new();
    let mut ok: Vec<(usize, NewParcel)> = Vec::new();
    let mut seen: HashMap<(i32, String, String), usize> = HashMap::new();
    for (index, d) in drafts.into_iter().enumerate() {
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let fail = |code: &str, reason: String| {
            reject(
                index,
                &Some(d.map_sheet.clone()),
                &Some(d.parcel_no.clone()),
                code,
                reason,
            )
        };
        let Some(&commune_id) = communes.get(&d.commune) else {
            errors.push(fail(
                "unknown_commune",
                format!("there is no admin unit with code `{}`", d.commune),
            ));
            continue;
        };
        if let Some(parent) = d.parent {
            if !parents.contains(&parent) {
                errors.push(fail(
                    "unknown_parent_parcel",
                    format!("parcel {parent} does not exist in this project"),
                ));
                continue;
            }
        }
        let key = (commune_id, d.map_sheet.clone(), d.parcel_no.clone());
        if let Some(first) = seen.get(&key) {
            errors.push(fail(
                "duplicate_in_file",
                format!(
                    "feature {first} already has commune {}, map sheet {}, parcel {}",
                    d.commune, d.map_sheet, d.parcel_no
                ),
            ));
            continue;
        }
        seen.insert(key, index);
        ok.push((
            index,
            NewParcel {
                draft: d,
                commune_id,
            },
        ));
    }

    let keys: Vec<(i32, String, String)> = seen.keys().cloned().collect();
    let taken = existing_keys(conn, project_id, &keys).await?;
    let mut parcels_out = Vec::with_capacity(ok.len());
    for (index, p) in ok {
        let key = (
            p.commune_id,
            p.draft.map_sheet.clone(),
            p.draft.parcel_no.clone(),
        );
        if taken.contains(&key) {
            errors.push(reject(
                index,
                &Some(p.draft.map_sheet.clone()),
                &Some(p.draft.parcel_no.clone()),
                "duplicate_parcel",
                format!(
                    "the project already has parcel {} on map sheet {} in commune {}",
                    p.draft.parcel_no, p.draft.map_sheet, p.draft.commune
                ),
            ));
        } else {
            parcels_out.push(p);
        }
    }
    if errors.is_empty() {
        Ok(Ok(parcels_out))
    } else {
        errors.sort_by_key(|e| e.index);
        Ok(Err(errors))
    }
}

/// Inserts checked parcels with their first status event, counters, lineage and audit rows;
/// returns their ids. Run inside one write transaction.
pub async fn insert_all(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    new: &[NewParcel],
    now: DateTime<FixedOffset>,
) -> AppResult<Vec<i32>> {
    let backend = conn.get_database_backend();
    let boundary = project
        .boundary
        .as_deref()
        .and_then(|b| serde_json::from_str::<Json>(b).ok())
        .and_then(|v| crate::geo::parse_geometry(&v).ok());
    let mut ids = Vec::with_capacity(new.len());
    for p in new {
        let d = &p.draft;
        let g = &d.geometry;
        let recovered = crate::geo::recovered_area_m2(&g.geometry, boundary.as_ref());
        let row = conn
            .query_one(Statement::from_sql_and_values(
                backend,
                "INSERT INTO parcels (project_id, commune_id, map_sheet, parcel_no, land_use, area_m2, \
                 recovered_area_m2, geometry, source_crs, source_geometry, min_lon, min_lat, max_lon, max_lat, \
                 parent_parcel_id, status, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $12, $13, $14, $15, 1, $16, $16) \
                 RETURNING id",
                [
                    Value::from(project.id),
                    Value::from(p.commune_id),
                    Value::from(d.map_sheet.as_str()),
                    Value::from(d.parcel_no.as_str()),
                    Value::from(d.land_use.as_str()),
                    Value::from(g.area_m2),
                    Value::from(recovered),
                    Value::from(g.geojson.as_str()),
                    Value::from("EPSG:4326"),
                    Value::from(g.bbox.min_lon),
                    Value::from(g.bbox.min_lat),
                    Value::from(g.bbox.max_lon),
                    Value::from(g.bbox.max_lat),
                    Value::from(d.parent),
                    Value::from(d.status.as_str()),
                    Value::from(now),
                ],
            ))
            .await?
            .ok_or(DbErr::RecordNotInserted)?;
        let id: i32 = row.try_get("", "id")?;
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO parcel_status_events (project_id, parcel_id, from_status, to_status, reason, actor_id, actor, at) \
             VALUES ($1, $2, NULL, $3, 'created', $4, $5, $6)",
            [
                Value::from(project.id),
                Value::from(id),
                Value::from(d.status.as_str()),
                Value::from(who.user_id),
                Value::from(who.actor()),
                Value::from(now),
            ],
        ))
        .await?;
        crate::progress::apply_parcel_status_change(
            conn,
            project.id,
            p.commune_id,
            g.area_m2,
            None,
            d.status.as_str(),
            now,
        )
        .await?;
        if let Some(parent) = d.parent {
            conn.execute(Statement::from_sql_and_values(
                backend,
                "INSERT INTO parcel_lineage (parcel_id, parent_id, kind, recorded_at) VALUES ($1, $2, 'split', $3)",
                [Value::from(id), Value::from(parent), Value::from(now)],
            ))
            .await?;
        }
        crate::audit::record(
            conn,
            who,
            "create",
            "parcel",
            Some(id.to_string()),
            json!({
                "project": project.code,
                "commune_id": p.commune_id,
                "map_sheet": d.map_sheet,
                "parcel_no": d.parcel_no,
                "land_use": d.land_use.as_str(),
                "status": d.status.as_str(),
                "area_m2": g.area_m2,
                "parent_parcel": d.parent,
            }),
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_forms() {
        assert!(matches!(parse_if_match(Some("3")), Ok(3)));
        assert!(matches!(parse_if_match(Some("\"3\"")), Ok(3)));
        assert!(matches!(parse_if_match(Some("W/\"3\"")), Ok(3)));
        assert!(matches!(
            parse_if_match(None),
            Err(AppError::PreconditionRequired(_))
        ));
        assert!(matches!(
            parse_if_match(Some("*")),
            Err(AppError::BadRequest(_))
        ));
    }

    #[test]
    fn statuses_are_checked() {
        assert!(matches!(
            parse_statuses("agreed,paid").as_deref(),
            Ok([ParcelStatus::Agreed, ParcelStatus::Paid])
        ));
        assert!(parse_statuses("done").is_err());
        assert!(parse_statuses(",").is_err());
    }

    #[test]
    fn drafts_report_missing_fields() {
        let f = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[108.80, 15.35], [108.801, 15.35], [108.801, 15.351], [108.80, 15.35]]]},
            "properties": {"map_sheet": "5", "commune": "21043", "land_use": "LUC"}});
        match draft(3, &f) {
            Err(e) => {
                assert_eq!(e.index, 3);
                assert_eq!(e.code, "missing_parcel_no");
                assert_eq!(e.map_sheet.as_deref(), Some("5"));
            }
            Ok(_) => panic!("accepted a feature without parcel_no"),
        }
    }
}
