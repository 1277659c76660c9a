//! The map's side panel for one parcel: its households, status history, last visit and open
//! grievances, in one request, showing only what the caller's role and area allow.
use std::str::FromStr;

use axum::extract::State;
use axum::Json;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{CommuneRef, StatusEventDto};
use super::service;
use crate::auth::{Principal, Scope};
use crate::domain::{GrievanceStatus, LandUse, ParcelStatus, Permission, Stance, VisitKind};
use crate::error::{AppError, AppResult};
use crate::extract::ApiPath;
use crate::scoped::{self, ParcelId, Scoped};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct PanelParcel {
    pub id: i32,
    pub project: String,
    pub map_sheet: String,
    pub parcel_no: String,
    pub commune: CommuneRef,
    pub land_use: LandUse,
    pub area_m2: f64,
    pub status: ParcelStatus,
    pub version: i32,
    /// RFC 3339; set when a split or merge replaced the parcel.
    pub retired_at: Option<String>,
    /// GeoJSON geometry, WGS84 (the map draws a split's cut or a retired parcel from it).
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
}

/// A household using the parcel. `id`, `code` and `head_name` are given only to roles that
/// may read personal data, for households in the caller's area.
#[derive(Serialize, ToSchema)]
pub struct PanelHousehold {
    pub id: Option<i32>,
    pub code: Option<String>,
    pub head_name: Option<String>,
    /// Stance after the latest visit; null if not visited.
    pub stance: Option<Stance>,
    /// RFC 3339.
    pub last_visit_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PanelVisit {
    /// RFC 3339.
    pub visited_at: String,
    pub kind: VisitKind,
    pub stance: Stance,
    pub working_group: String,
}

#[derive(Serialize, ToSchema)]
pub struct PanelGrievance {
    pub id: i32,
    pub kind: String,
    pub status: GrievanceStatus,
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
    /// The parcels it was split or merged from, and those that replaced it.
    pub lineage: super::lineage::Lineage,
}

/// Everything the map shows for a parcel. Out of the caller's area: 404.
#[utoipa::path(get, path = "/api/v1/parcels/{id}/panel", tag = "parcels",
    params(("id" = i32, Path, description = "parcel id")),
    responses((status = 200, body = ParcelPanel), (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn panel(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<ParcelPanel>> {
    Ok(Json(panel_of(&state.db.conn, &principal, id).await?))
}

/// A stored vocabulary value; anything else is a broken row.
fn stored<T: FromStr>(what: &str, text: &str) -> AppResult<T> {
    text.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "a stored {what} is not one gpmb knows: `{text}`"
        ))
    })
}

/// The panel of a parcel inside the caller's scope; reading names through it is audited.
#[tracing::instrument(skip_all, fields(parcel_id = id))]
pub async fn panel_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: i32,
) -> AppResult<ParcelPanel> {
    let personal = principal.require(Permission::ReadPersonal).is_ok();
    // A project board sees the parcel and its status history, never a household's row: with
    // one household on a parcel, even an unnamed stance or grievance is that household's.
    let board = !principal.scope.sees_personal_data();
    let scoped_id = scoped::parcel(conn, &principal.scope, id).await?;
    let parcel = service::get(conn, &principal.scope, id).await?;
    let history = service::history(conn, &principal.scope, id).await?;
    let households = if board {
        Vec::new()
    } else {
        households(conn, &principal.scope, scoped_id, personal).await?
    };
    let last_visit = match scoped::parcel_last_visit(conn, scoped_id).await? {
        _ if board => None,
        None => None,
        Some(v) => Some(PanelVisit {
            visited_at: v.visited_at.to_rfc3339(),
            kind: stored("visit kind", &v.kind)?,
            stance: stored("stance", &v.stance)?,
            working_group: v.working_group,
        }),
    };
    let open_grievances = if board {
        Vec::new()
    } else {
        scoped::parcel_open_grievances(conn, scoped_id).await?
    };
    let open_grievances = open_grievances
        .into_iter()
        .map(|g| {
            Ok(PanelGrievance {
                id: g.id,
                kind: g.kind,
                status: stored("grievance status", &g.status)?,
                received_on: g.received_on.to_string(),
                resolve_by: g.resolve_by.map(|d| d.to_string()),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    if personal {
        let ids: Vec<i32> = households.iter().filter_map(|h| h.id).collect();
        crate::audit::households_read(
            conn,
            principal,
            "parcel_panel",
            ids,
            serde_json::json!({"parcel": id}),
        )
        .await?;
    }
    Ok(ParcelPanel {
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
            retired_at: parcel.retired_at.map(|t| t.to_rfc3339()),
            geometry: serde_json::from_str(&parcel.geometry).unwrap_or(serde_json::Value::Null),
        },
        personal_data: personal,
        households,
        history,
        last_visit,
        open_grievances,
        lineage: super::lineage::lineage_of(conn, id).await?,
    })
}

/// The households using the parcel; names only where the caller may read them.
async fn households(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    parcel: Scoped<ParcelId>,
    personal: bool,
) -> AppResult<Vec<PanelHousehold>> {
    scoped::parcel_households(conn, scope, parcel)
        .await?
        .into_iter()
        .map(|h| {
            let show = personal && h.in_scope;
            Ok(PanelHousehold {
                id: show.then_some(h.id),
                code: show.then_some(h.code),
                head_name: show.then_some(h.head_name),
                stance: h
                    .stance
                    .as_deref()
                    .map(|s| stored("stance", s))
                    .transpose()?,
                last_visit_at: h.last_visit_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect()
}
