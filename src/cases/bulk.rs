//! Bulk stage recording: one stage on one date for many households of a project (the plan
//! posted for a whole hamlet, the recovery decisions issued for a commune). A dry run says
//! which households the legal order lets through and why each other one is refused; the real
//! run records them all in one transaction with one audit event per household, or nothing
//! (unless the request asks for the allowed ones only).
use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::dto::NewStage;
use super::service::{check_schedule, check_texts};
use crate::admin_units::filter::commune_filter;
use crate::audit;
use crate::auth::Principal;
use crate::domain::{CaseStage, Role, Stance};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath};
use crate::legal::{self, stages, LandKind, Recorded, RuleDto};
use crate::scoped::{self, case_stage_events, HouseholdId, Scoped};
use crate::state::AppState;
use crate::text::fold;

/// At most this many households in one request.
pub const MAX_HOUSEHOLDS: usize = 20_000;

/// Which households: those of a commune (or the communes merged into it), whose address
/// names a hamlet, with a stance, at a current stage.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// Commune code (e.g. `21043`).
    pub commune: Option<String>,
    /// Commune (admin unit) id; preferred over `commune`.
    pub commune_id: Option<i32>,
    /// Hamlet (thôn): households whose address contains it, diacritics and case ignored.
    pub hamlet: Option<String>,
    pub stance: Option<Stance>,
    /// Households whose current stage (the furthest reached) is this one.
    pub current_stage: Option<CaseStage>,
    /// Households with no stage recorded yet (ignored when `current_stage` is given).
    #[serde(default)]
    pub no_stage: bool,
    /// Households holding a parcel that lies, at least partly, inside this GeoJSON Polygon
    /// (WGS84): the map's lasso.
    #[schema(value_type = Option<Object>)]
    pub area: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkStageRequest {
    pub stage: CaseStage,
    pub occurred_on: NaiveDate,
    /// Enforcement: the planned local time, `HH:MM` (Vietnam time; 08:00 when absent).
    pub time: Option<String>,
    pub document_no: Option<String>,
    #[serde(default)]
    pub note: String,
    /// These households (each must be inside the caller's area, else 404 for the request).
    pub household_ids: Option<Vec<i32>>,
    /// Or the households the filter selects (inside the caller's area).
    pub filter: Option<BulkFilter>,
    /// Only say what would happen.
    #[serde(default)]
    pub dry_run: bool,
    /// Record the allowed households and leave the refused ones; without it one refusal
    /// records nothing.
    #[serde(default)]
    pub only_allowed: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BulkAllowed {
    pub household_id: i32,
    pub code: String,
    pub head_name: String,
    /// The deadline the stage starts, if any.
    pub due_stage: Option<CaseStage>,
    pub due_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BulkRefused {
    pub household_id: i32,
    pub code: String,
    pub head_name: String,
    /// The refusal's code (`stage_prerequisite_missing`, `stage_too_early`, `notice_lapsed`,
    /// `stage_before_prerequisite`, `stage_already_recorded`).
    pub reason: String,
    /// In English.
    pub message: String,
    /// The refusal's facts (stages, dates, the rule) for a message in the user's language.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BulkStageOutcome {
    pub stage: CaseStage,
    pub occurred_on: NaiveDate,
    pub dry_run: bool,
    /// How many households the selection found.
    pub selected: usize,
    /// How many stage events were stored (0 for a dry run).
    pub recorded: usize,
    pub allowed: Vec<BulkAllowed>,
    pub refused: Vec<BulkRefused>,
}

/// The furthest stage reached (enforcement when recorded last), as the case file shows it.
fn current_stage(events: &[Recorded]) -> Option<CaseStage> {
    let last = events.last().map(|e| e.stage);
    if last == Some(CaseStage::Enforcement) {
        return last;
    }
    events
        .iter()
        .map(|e| e.stage)
        .filter(|s| *s != CaseStage::Enforcement)
        .max_by_key(|s| stages::ORDER.iter().position(|o| o == s))
}

/// Administrators, leaders and district leaders (in their area) record stages in bulk.
fn require_bulk(principal: &Principal) -> AppResult<()> {
    if principal.token.is_some()
        || !matches!(
            principal.role,
            Role::Admin | Role::Leader | Role::DistrictLeader
        )
    {
        return Err(AppError::Forbidden(
            "only administrators, leaders and district leaders record stages in bulk".into(),
        ));
    }
    Ok(())
}

fn enforcement_time(
    req: &BulkStageRequest,
) -> AppResult<Option<chrono::DateTime<chrono::FixedOffset>>> {
    if req.stage != CaseStage::Enforcement {
        return Ok(None);
    }
    let text = req.time.as_deref().unwrap_or("08:00");
    let time = chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
        AppError::Unprocessable {
            code: "invalid_time",
            message: format!("time must be HH:MM (24-hour), not `{text}`"),
            details: Some(json!({"field": "time"})),
        }
    })?;
    Ok(req
        .occurred_on
        .and_time(time)
        .and_local_timezone(super::service::vn_offset())
        .single())
}

/// Decides, and unless a dry run records, the stage for every household selected.
#[expect(
    clippy::too_many_lines,
    reason = "one pass: the request's checks, the selection, the legal order per household, the write"
)]
#[tracing::instrument(skip_all, fields(project = %code, stage = %req.stage, dry_run = req.dry_run))]
pub async fn run(
    conn: &impl ConnectionTrait,
    who: &Principal,
    code: &str,
    req: BulkStageRequest,
    today: NaiveDate,
) -> AppResult<BulkStageOutcome> {
    let project = crate::projects::service::by_code(conn, code)
        .await?
        .ok_or_else(|| AppError::not_found("project"))?;
    if who.scope.project_id().is_some_and(|p| p != project.id) {
        return Err(AppError::not_found("project"));
    }
    // The request's own checks, as for one household.
    let single = NewStage {
        stage: req.stage,
        occurred_on: req.occurred_on,
        document_no: req.document_no.clone(),
        note: req.note.clone(),
        parcel_id: None,
        scheduled_at: enforcement_time(&req)?,
        r#override: false,
        override_reason: None,
    };
    let texts = check_texts(&single)?;
    if req.stage != CaseStage::Enforcement && req.occurred_on > today {
        return Err(AppError::Unprocessable {
            code: "date_in_future",
            message: format!(
                "occurred_on {} is in the future; record a stage once it has happened (only enforcement is scheduled ahead)",
                req.occurred_on
            ),
            details: Some(json!({"field": "occurred_on"})),
        });
    }
    let scheduled_at = check_schedule(&single)?;

    // The households.
    let filter = req.filter.clone().unwrap_or_default();
    if req.household_ids.is_none() && req.filter.is_none() {
        return Err(AppError::Unprocessable {
            code: "no_selection",
            message: "give household_ids or a filter".into(),
            details: None,
        });
    }
    if req
        .household_ids
        .as_ref()
        .is_some_and(|ids| ids.len() > MAX_HOUSEHOLDS)
    {
        return Err(AppError::invalid(
            "too_many_households",
            format!("at most {MAX_HOUSEHOLDS} households in one request"),
        ));
    }
    let communes = commune_filter(conn, filter.commune_id, filter.commune.as_deref()).await?;
    let mut chosen = scoped::households_for_bulk(
        conn,
        &who.scope,
        project.id,
        req.household_ids.as_deref(),
        communes,
    )
    .await?;
    if let Some(hamlet) = filter.hamlet.as_deref().map(fold).filter(|h| !h.is_empty()) {
        chosen.retain(|(_, h)| fold(&h.address).contains(&hamlet));
    }
    if let Some(stance) = filter.stance {
        chosen.retain(|(_, h)| h.stance.as_deref() == Some(stance.as_str()));
    }
    if let Some(area) = &filter.area {
        let area = crate::geo::parse_geometry(area).map_err(|e| AppError::Unprocessable {
            code: "invalid_area",
            message: format!("the area drawn on the map is not a usable polygon: {e}"),
            details: Some(json!({"field": "area", "reason": e.code()})),
        })?;
        let parcels =
            crate::parcels::service::ids_within(conn, &who.scope, project.id, area).await?;
        let holders = scoped::households_holding(conn, &who.scope, &parcels).await?;
        chosen.retain(|(h, _)| holders.contains(&h.id()));
    }
    if chosen.len() > MAX_HOUSEHOLDS {
        return Err(AppError::invalid(
            "too_many_households",
            format!(
                "the selection has {} households; at most {MAX_HOUSEHOLDS} in one request",
                chosen.len()
            ),
        ));
    }
    let ids: Vec<Scoped<HouseholdId>> = chosen.iter().map(|(h, _)| *h).collect();
    let mut history: HashMap<i32, Vec<Recorded>> = HashMap::new();
    for e in scoped::case_events_of_many(conn, &ids).await? {
        let Some(stage) = CaseStage::parse(&e.stage) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "a case event has the unknown stage `{}`",
                e.stage
            )));
        };
        history.entry(e.household_id).or_default().push(Recorded {
            stage,
            parcel_id: e.parcel_id,
            occurred_on: e.occurred_on,
        });
    }
    let mut kinds: HashMap<i32, Vec<LandKind>> = HashMap::new();
    for r in scoped::land_uses_of_many(conn, &who.scope, &ids).await? {
        kinds
            .entry(r.household_id)
            .or_default()
            .push(LandKind::of(&r.land_use));
    }
    if filter.current_stage.is_some() || filter.no_stage {
        chosen.retain(|(h, _)| {
            let current = history.get(&h.id()).and_then(|e| current_stage(e));
            match filter.current_stage {
                Some(s) => current == Some(s),
                None => current.is_none(),
            }
        });
    }

    // The legal order, household by household.
    let empty = Vec::new();
    let mut allowed = Vec::new();
    let mut refused = Vec::new();
    let mut rows = Vec::new();
    let mut audit_rows = Vec::new();
    let mut allowed_ids = Vec::new();
    let now = Utc::now().fixed_offset();
    for (h, model) in &chosen {
        let past = history.get(&h.id()).unwrap_or(&empty);
        let kind = LandKind::strictest(kinds.remove(&h.id()).unwrap_or_default());
        let new = Recorded {
            stage: req.stage,
            parcel_id: None,
            occurred_on: req.occurred_on,
        };
        #[expect(
            clippy::single_match_else,
            reason = "the refused and the allowed branch are read side by side"
        )]
        match legal::check_stage(past, &new, kind) {
            Err(v) => {
                let mut details = v.details();
                details["rule"] = json!(RuleDto::from(v.rule()));
                refused.push(BulkRefused {
                    household_id: h.id(),
                    code: model.code.clone(),
                    head_name: model.head_name.clone(),
                    reason: v.code().to_string(),
                    message: v.message(),
                    details,
                });
            }
            Ok(()) => {
                let due = legal::deadline_in(past, &new, kind);
                allowed.push(BulkAllowed {
                    household_id: h.id(),
                    code: model.code.clone(),
                    head_name: model.head_name.clone(),
                    due_stage: due.map(|d| d.stage),
                    due_on: due.map(|d| d.due_on),
                });
                allowed_ids.push(*h);
                rows.push((
                    *h,
                    case_stage_events::ActiveModel {
                        project_id: Set(project.id),
                        parcel_id: Set(None),
                        stage: Set(req.stage.as_str().to_string()),
                        occurred_on: Set(req.occurred_on),
                        document_no: Set(texts.document_no.clone()),
                        note: Set(texts.note.clone()),
                        recorded_by: Set(who.user_id),
                        recorded_at: Set(now),
                        overridden: Set(false),
                        override_reason: Set(None),
                        scheduled_at: Set(scheduled_at),
                        due_on: Set(due.map(|d| d.due_on)),
                        due_stage: Set(due.map(|d| d.stage.as_str().to_string())),
                        ..Default::default()
                    },
                ));
                audit_rows.push((
                    h.id().to_string(),
                    json!({"household_id": h.id(), "stage": req.stage, "occurred_on": req.occurred_on,
                           "document_no": texts.document_no, "bulk": true}),
                ));
            }
        }
    }
    let mut outcome = BulkStageOutcome {
        stage: req.stage,
        occurred_on: req.occurred_on,
        dry_run: req.dry_run,
        selected: chosen.len(),
        recorded: 0,
        allowed,
        refused,
    };
    if req.dry_run {
        return Ok(outcome);
    }
    if !outcome.refused.is_empty() && !req.only_allowed {
        return Err(AppError::Unprocessable {
            code: "bulk_refused",
            message: format!(
                "{} of the {} households selected may not take this stage now (see details.refused); nothing was recorded. Record the allowed ones only with only_allowed: true",
                outcome.refused.len(),
                outcome.selected
            ),
            details: Some(json!({
                "refused_count": outcome.refused.len(),
                "allowed_count": outcome.allowed.len(),
                "refused": outcome.refused,
            })),
        });
    }
    if stages::repeatable(req.stage) {
        scoped::supersede_many(conn, &allowed_ids, req.stage.as_str(), req.occurred_on).await?;
    }
    outcome.recorded = rows.len();
    scoped::insert_case_stage_events_many(conn, rows).await?;
    audit::record_many(conn, who, "create", "case_stage", audit_rows).await?;
    Ok(outcome)
}

/// Record one stage on one date for many households of a project (administrators, leaders;
/// district leaders in their area), chosen by `household_ids` or a `filter` (commune, hamlet,
/// stance, current stage). `dry_run: true` answers which households the legal order lets
/// through and why each other one is refused, and stores nothing. Otherwise all are recorded
/// in one transaction with one audit event per household — or, if any is refused, none
/// (422 `bulk_refused`) unless `only_allowed: true`. A household id outside the caller's area
/// is a 404 for the whole request.
#[utoipa::path(post, path = "/api/v1/projects/{code}/stages/bulk", tag = "cases",
    params(("code" = String, Path, description = "project code")),
    request_body = BulkStageRequest,
    responses((status = 200, body = BulkStageOutcome),
              (status = 400, body = crate::error::ErrorEnvelope),
              (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(project = %code))]
pub async fn record_bulk(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<BulkStageRequest>,
) -> AppResult<Json<BulkStageOutcome>> {
    require_bulk(&principal)?;
    let today = legal::today_vn();
    if req.dry_run {
        return Ok(Json(
            run(&state.db.conn, &principal, &code, req, today).await?,
        ));
    }
    let tx = state.db.write().await?;
    let outcome = run(&*tx, &principal, &code, req, today).await?;
    tx.commit().await?;
    Ok(Json(outcome))
}
