use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, Statement, Value};

use super::dto::{AlertPage, AlertQuery, HotSpotDto, HotSpotQuery, NewReview, ReviewDto};
use super::{hot_spots, service};
use crate::auth::Principal;
use crate::domain::Permission;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::i18n::Lang;
use crate::state::AppState;

/// The projects a request looks at: the one asked for, or every one the caller may see.
async fn projects_for(
    state: &AppState,
    principal: &Principal,
    code: Option<&str>,
) -> AppResult<Vec<(i32, String)>> {
    let conn = &state.db.conn;
    if let Some(code) = code.filter(|c| !c.is_empty()) {
        let p = crate::projects::service::visible_project(conn, principal, code).await?;
        return Ok(vec![(p.id, p.code)]);
    }
    #[derive(FromQueryResult)]
    struct P {
        id: i32,
        code: String,
    }
    let rows = P::find_by_statement(Statement::from_string(
        conn.get_database_backend(),
        "SELECT id, code FROM projects ORDER BY id".to_string(),
    ))
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|p| principal.scope.project_id().is_none_or(|only| only == p.id))
        .map(|p| (p.id, p.code))
        .collect())
}

/// Alerts: overdue stage deadlines and commitments, grievances near or past their deadline,
/// households not visited for N days, hot spots, and splits or land-use changes recorded after
/// the project's notice date. Each says why and links to its household or parcel. Members and
/// district leaders see their area only; project-board tokens get no household ids.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = AlertPage), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 401, body = crate::error::ErrorEnvelope), (status = 404, body = crate::error::ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> AppResult<Json<AlertPage>> {
    service::parse_kind(q.kind.as_deref())?;
    let projects = projects_for(&state, &principal, q.project.as_deref()).await?;
    let now = Utc::now();
    let today = crate::legal::today_vn();
    if projects.is_empty() {
        return Ok(Json(AlertPage {
            items: Vec::new(),
            next_cursor: None,
            counts: super::dto::KINDS
                .iter()
                .map(|k| (k.to_string(), 0))
                .collect(),
            total: 0,
        }));
    }
    let ids: Vec<i32> = projects.iter().map(|(id, _)| *id).collect();
    let every_project = crate::entities::projects::Entity::find()
        .count(&state.db.conn)
        .await?
        == projects.len() as u64;
    hot_spots::ensure_current(
        &state.db,
        &ids,
        hot_spots::Rules::from(&*state.settings),
        today,
    )
    .await?;
    let ctx = service::Ctx {
        projects,
        scope: principal.scope.clone(),
        commune: q.commune.clone().filter(|c| !c.is_empty()),
        today,
        not_visited_before: (now - Duration::days(state.settings.not_visited_days.max(0)))
            .fixed_offset(),
        near_until: today + Duration::days(state.settings.grievance_near_days.max(0)),
        lang: Lang::parse(q.lang.as_deref()),
        personal: principal.scope.sees_personal_data(),
        every_project,
    };
    Ok(Json(service::list(&state.db.conn, &ctx, &q).await?))
}

#[derive(FromQueryResult)]
struct SubjectRow {
    project_id: i32,
    commune_id: i32,
}

/// Mark a split or land-use change recorded after the cut-off as reviewed: its alert goes away.
#[utoipa::path(post, path = "/api/v1/alerts/reviews", tag = "alerts", request_body = NewReview,
    responses((status = 201, body = ReviewDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
pub async fn review(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewReview>,
) -> AppResult<(StatusCode, Json<ReviewDto>)> {
    principal
        .require(Permission::Administer)
        .or_else(|_| principal.require(Permission::WriteVisits))?;
    let lookup = match new.subject.as_str() {
        "household_split" => "SELECT project_id, commune_id FROM households WHERE id = $1",
        "parcel_split" => "SELECT project_id, commune_id FROM parcels WHERE id = $1",
        "land_use_change" => {
            "SELECT project_id, commune_id FROM parcel_land_use_events WHERE id = $1"
        }
        other => {
            return Err(AppError::invalid(
                "unknown_subject",
                format!(
                    "subject `{other}` is not one of household_split, parcel_split, land_use_change"
                ),
            ))
        }
    };
    if new.note.len() > 5_000 {
        return Err(AppError::invalid(
            "text_too_long",
            "the note is limited to 5,000 characters",
        ));
    }
    let tx = state.db.write().await?;
    let backend = tx.get_database_backend();
    let subject = SubjectRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        lookup,
        [Value::from(new.subject_id)],
    ))
    .one(&*tx)
    .await?
    .filter(|s| principal.scope.allows(s.project_id, s.commune_id))
    .ok_or_else(|| AppError::not_found(&new.subject.replace('_', " ")))?;
    let now = crate::db::utc(Utc::now().fixed_offset());
    let row = tx
        .query_one(Statement::from_sql_and_values(
            backend,
            "INSERT INTO alert_reviews (project_id, subject, subject_id, reviewed_by, actor, reviewed_at, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            [
                Value::from(subject.project_id),
                Value::from(new.subject.as_str()),
                Value::from(new.subject_id),
                Value::from(principal.user_id),
                Value::from(principal.actor()),
                Value::from(now),
                Value::from(new.note.as_str()),
            ],
        ))
        .await?
        .ok_or(sea_orm::DbErr::RecordNotInserted)?;
    let id: i32 = row.try_get("", "id")?;
    crate::audit::record(
        &*tx,
        &principal,
        "create",
        "alert_review",
        Some(id.to_string()),
        serde_json::json!({"subject": new.subject, "subject_id": new.subject_id, "note": new.note}),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(ReviewDto {
            id,
            subject: new.subject,
            subject_id: new.subject_id,
            actor: principal.actor(),
            reviewed_at: now.to_rfc3339(),
            note: new.note,
        }),
    ))
}

#[derive(FromQueryResult)]
struct HotSpotRow {
    id: i32,
    kind: String,
    detail: String,
    commune_id: i32,
    household_id: Option<i32>,
    grievance_id: Option<i32>,
    flagged_on: chrono::NaiveDate,
}

#[derive(FromQueryResult)]
struct ParcelCentre {
    owner: i32,
    id: i32,
    lon: f64,
    lat: f64,
}

#[derive(FromQueryResult)]
struct UnitRow {
    id: i32,
    code: String,
    name: String,
    lon: Option<f64>,
    lat: Option<f64>,
}

/// Open hot spots of a project, placed at the centre of the parcels concerned (or of the
/// commune) for the map and the dashboard.
#[utoipa::path(get, path = "/api/v1/projects/{code}/hot-spots", tag = "alerts",
    params(("code" = String, Path, description = "project code, e.g. HPDQ2"), HotSpotQuery),
    responses((status = 200, body = crate::pagination::Page<HotSpotDto>), (status = 404, body = crate::error::ErrorEnvelope)))]
pub async fn hot_spots_of_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<HotSpotQuery>,
) -> AppResult<Json<crate::pagination::Page<HotSpotDto>>> {
    let conn = &state.db.conn;
    let project = crate::projects::service::visible_project(conn, &principal, &code).await?;
    let today = crate::legal::today_vn();
    hot_spots::ensure_current(
        &state.db,
        &[project.id],
        hot_spots::Rules::from(&*state.settings),
        today,
    )
    .await?;
    let backend = conn.get_database_backend();
    let rows = HotSpotRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT x.id, x.kind, x.detail, x.commune_id, x.household_id, x.grievance_id, x.flagged_on \
             FROM hot_spots x WHERE x.project_id = $1 AND x.resolved_on IS NULL AND {} ORDER BY x.id",
            principal.scope.sql_condition("x")
        ),
        [Value::from(project.id)],
    ))
    .all(conn)
    .await?;

    // The households each hot spot concerns: all signers of a grievance, or the one household.
    let mut owners: HashMap<i32, Vec<i32>> = HashMap::new();
    let grievances: Vec<String> = rows
        .iter()
        .filter(|r| r.kind == hot_spots::MANY_SIGNERS)
        .filter_map(|r| r.grievance_id.map(|g| g.to_string()))
        .collect();
    let mut signers: HashMap<i32, Vec<i32>> = HashMap::new();
    if !grievances.is_empty() {
        #[derive(FromQueryResult)]
        struct Gh {
            grievance_id: i32,
            household_id: i32,
        }
        for r in Gh::find_by_statement(Statement::from_string(
            backend,
            format!(
                "SELECT gh.grievance_id, gh.household_id FROM grievance_households gh JOIN households h \
                 ON h.id = gh.household_id WHERE gh.grievance_id IN ({}) AND {}",
                grievances.join(","),
                principal.scope.sql_condition("h")
            ),
        ))
        .all(conn)
        .await?
        {
            signers.entry(r.grievance_id).or_default().push(r.household_id);
        }
    }
    for r in &rows {
        let hs = match (r.kind.as_str(), r.grievance_id, r.household_id) {
            (hot_spots::MANY_SIGNERS, Some(g), _) => signers.get(&g).cloned().unwrap_or_default(),
            (_, _, Some(h)) => vec![h],
            _ => Vec::new(),
        };
        owners.insert(r.id, hs);
    }
    let all_households: Vec<String> = {
        let mut v: Vec<i32> = owners.values().flatten().copied().collect();
        v.sort_unstable();
        v.dedup();
        v.iter().map(|i| i.to_string()).collect()
    };
    let mut parcels: HashMap<i32, Vec<(i32, f64, f64)>> = HashMap::new();
    if !all_households.is_empty() {
        for p in ParcelCentre::find_by_statement(Statement::from_string(
            backend,
            format!(
                "SELECT hp.household_id AS owner, x.id, (x.min_lon + x.max_lon) / 2 AS lon, \
                 (x.min_lat + x.max_lat) / 2 AS lat FROM household_parcels hp JOIN parcels x ON x.id = hp.parcel_id \
                 WHERE hp.household_id IN ({}) ORDER BY x.id",
                all_households.join(",")
            ),
        ))
        .all(conn)
        .await?
        {
            parcels.entry(p.owner).or_default().push((p.id, p.lon, p.lat));
        }
    }
    let mut units: HashMap<i32, UnitRow> = HashMap::new();
    let unit_ids: Vec<String> = rows.iter().map(|r| r.commune_id.to_string()).collect();
    if !unit_ids.is_empty() {
        for u in UnitRow::find_by_statement(Statement::from_string(
            backend,
            format!(
                "SELECT id, code, name, lon, lat FROM admin_units WHERE id IN ({})",
                unit_ids.join(",")
            ),
        ))
        .all(conn)
        .await?
        {
            units.insert(u.id, u);
        }
    }
    let personal = principal.scope.sees_personal_data();
    let cat = service::catalogue(Lang::parse(q.lang.as_deref()));
    let items = rows
        .into_iter()
        .map(|r| {
            let mut ps: Vec<(i32, f64, f64)> = owners
                .get(&r.id)
                .into_iter()
                .flatten()
                .flat_map(|h| parcels.get(h).cloned().unwrap_or_default())
                .collect();
            ps.sort_by_key(|p| p.0);
            ps.dedup_by_key(|p| p.0);
            let unit = units.get(&r.commune_id);
            let (lon, lat) = if ps.is_empty() {
                (unit.and_then(|u| u.lon), unit.and_then(|u| u.lat))
            } else {
                let n = ps.len() as f64;
                (
                    Some(ps.iter().map(|p| p.1).sum::<f64>() / n),
                    Some(ps.iter().map(|p| p.2).sum::<f64>() / n),
                )
            };
            let detail: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
            HotSpotDto {
                id: r.id,
                reason: hot_spots::reason(cat, &r.kind, &detail),
                kind: r.kind,
                commune: unit.map(|u| super::dto::CommuneRef {
                    id: u.id,
                    code: u.code.clone(),
                    name: u.name.clone(),
                }),
                household_id: r.household_id.filter(|_| personal),
                grievance_id: r.grievance_id,
                parcel_ids: ps.iter().map(|p| p.0).collect(),
                lon,
                lat,
                flagged_on: r.flagged_on.to_string(),
            }
        })
        .collect();
    Ok(Json(crate::pagination::Page {
        items,
        next_cursor: None,
    }))
}
