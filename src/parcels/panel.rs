//! The map's side panel for one parcel: its households, status history, last visit and open
//! grievances, in one request, showing only what the caller's role and area allow.
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::{ConnectionTrait, DbErr, Statement, Value};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{CommuneRef, StatusEventDto};
use super::service;
use crate::auth::{Principal, Scope};
use crate::domain::Permission;
use crate::error::AppResult;
use crate::extract::ApiPath;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct PanelParcel {
    pub id: i32,
    pub project: String,
    pub map_sheet: String,
    pub parcel_no: String,
    pub commune: CommuneRef,
    pub land_use: String,
    pub area_m2: f64,
    pub status: String,
    pub version: i32,
}

/// A household using the parcel. `id`, `code` and `head_name` are given only to roles that
/// may read personal data, for households in the caller's area.
#[derive(Serialize, ToSchema)]
pub struct PanelHousehold {
    pub id: Option<i32>,
    pub code: Option<String>,
    pub head_name: Option<String>,
    /// Stance after the latest visit; null if not visited.
    pub stance: Option<String>,
    /// RFC 3339.
    pub last_visit_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PanelVisit {
    /// RFC 3339.
    pub visited_at: String,
    pub kind: String,
    pub stance: String,
    pub working_group: String,
}

#[derive(Serialize, ToSchema)]
pub struct PanelGrievance {
    pub id: i32,
    pub kind: String,
    pub status: String,
    /// `YYYY-MM-DD`.
    pub received_on: String,
    /// Legal deadline to resolve it, `YYYY-MM-DD`.
    pub resolve_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ParcelPanel {
    pub parcel: PanelParcel,
    /// Whether household names are included (the caller may read personal data).
    pub personal_data: bool,
    pub households: Vec<PanelHousehold>,
    /// Status changes, oldest first.
    pub history: Vec<StatusEventDto>,
    /// The latest visit to any household using the parcel.
    pub last_visit: Option<PanelVisit>,
    /// Grievances not yet resolved that concern the parcel or a household using it.
    pub open_grievances: Vec<PanelGrievance>,
}

/// Everything the map shows for a parcel. Out of the caller's area: 404.
#[utoipa::path(get, path = "/api/v1/parcels/{id}/panel", tag = "parcels",
    params(("id" = i32, Path, description = "parcel id")),
    responses((status = 200, body = ParcelPanel), (status = 404, body = crate::error::ErrorEnvelope)))]
pub async fn panel(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<ParcelPanel>> {
    let conn = &state.db.conn;
    let personal = principal.require(Permission::ReadPersonal).is_ok();
    let parcel = service::get(conn, &principal.scope, id).await?;
    let history = service::history(conn, &principal.scope, id).await?;
    let households = households(conn, &principal.scope, id, personal).await?;
    let last_visit = last_visit(conn, id).await?;
    let open_grievances = open_grievances(conn, id).await?;
    if personal {
        let ids: Vec<i32> = households.iter().filter_map(|h| h.id).collect();
        if !ids.is_empty() {
            crate::audit::record(
                conn,
                &principal,
                "read",
                "household",
                None,
                serde_json::json!({"ids": ids, "via": "parcel_panel", "parcel": id}),
            )
            .await?;
        }
    }
    Ok(Json(ParcelPanel {
        parcel: PanelParcel {
            id: parcel.id,
            project: parcel.project_code,
            map_sheet: parcel.map_sheet,
            parcel_no: parcel.parcel_no,
            commune: CommuneRef {
                id: parcel.commune_id,
                code: parcel.commune_code,
                name: parcel.commune_name,
            },
            land_use: parcel.land_use,
            area_m2: parcel.area_m2,
            status: parcel.status,
            version: parcel.version,
        },
        personal_data: personal,
        households,
        history,
        last_visit,
        open_grievances,
    }))
}

async fn households(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    parcel_id: i32,
    personal: bool,
) -> Result<Vec<PanelHousehold>, DbErr> {
    let sql = format!(
        "SELECT h.id, h.code, h.head_name, h.stance, h.last_visit_at, \
         CASE WHEN {} THEN 1 ELSE 0 END AS in_scope \
         FROM household_parcels hp JOIN households h ON h.id = hp.household_id \
         WHERE hp.parcel_id = $1 ORDER BY h.id",
        scope.sql_condition("h")
    );
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            [Value::from(parcel_id)],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let show = personal && r.try_get::<i32>("", "in_scope")? == 1;
        let last: Option<DateTime<FixedOffset>> = r.try_get("", "last_visit_at")?;
        out.push(PanelHousehold {
            id: if show {
                Some(r.try_get("", "id")?)
            } else {
                None
            },
            code: if show {
                Some(r.try_get("", "code")?)
            } else {
                None
            },
            head_name: if show {
                Some(r.try_get("", "head_name")?)
            } else {
                None
            },
            stance: r.try_get("", "stance")?,
            last_visit_at: last.map(|t| t.to_rfc3339()),
        });
    }
    Ok(out)
}

async fn last_visit(
    conn: &impl ConnectionTrait,
    parcel_id: i32,
) -> Result<Option<PanelVisit>, DbErr> {
    let row = conn
        .query_one(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT v.visited_at, v.kind, v.stance, wg.name AS working_group FROM visits v \
             JOIN working_groups wg ON wg.id = v.working_group_id \
             WHERE v.household_id IN (SELECT household_id FROM household_parcels WHERE parcel_id = $1) \
             ORDER BY v.visited_at DESC, v.id DESC LIMIT 1",
            [Value::from(parcel_id)],
        ))
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let at: DateTime<FixedOffset> = r.try_get("", "visited_at")?;
    Ok(Some(PanelVisit {
        visited_at: at.to_rfc3339(),
        kind: r.try_get("", "kind")?,
        stance: r.try_get("", "stance")?,
        working_group: r.try_get("", "working_group")?,
    }))
}

async fn open_grievances(
    conn: &impl ConnectionTrait,
    parcel_id: i32,
) -> Result<Vec<PanelGrievance>, DbErr> {
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT g.id, g.kind, g.status, g.received_on, g.resolve_by FROM grievances g \
             WHERE g.resolved_on IS NULL AND g.id IN (SELECT gh.grievance_id FROM grievance_households gh \
               WHERE gh.parcel_id = $1 OR gh.household_id IN \
               (SELECT household_id FROM household_parcels WHERE parcel_id = $1)) \
             ORDER BY g.received_on, g.id",
            [Value::from(parcel_id)],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let received: NaiveDate = r.try_get("", "received_on")?;
        let resolve_by: Option<NaiveDate> = r.try_get("", "resolve_by")?;
        out.push(PanelGrievance {
            id: r.try_get("", "id")?,
            kind: r.try_get("", "kind")?,
            status: r.try_get("", "status")?,
            received_on: received.to_string(),
            resolve_by: resolve_by.map(|d| d.to_string()),
        });
    }
    Ok(out)
}
