//! The personal-data breach log (administrators): what happened, the kinds of data and how
//! many households it touched, when the authority was told — within 72 hours of the discovery
//! (the rule in force on the day) — what was done, and when it was closed.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};

use super::check_text;
use super::dto::{BreachDto, BreachPatch, NewBreach};
use crate::audit;
use crate::auth::Principal;
use crate::domain::{BreachDataKind, Permission};
use crate::entities::privacy_breaches as breaches;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath};
use crate::legal::privacy::{breach_report_due, breach_rule};
use crate::legal::RuleDto;
use crate::pagination::Page;
use crate::state::AppState;

fn to_dto(
    m: breaches::Model,
    names: &std::collections::HashMap<i32, String>,
    now: DateTime<Utc>,
) -> BreachDto {
    let kinds: Vec<String> = serde_json::from_str(&m.data_kinds).unwrap_or_default();
    let due = m.report_due_at;
    let (late, hours_left) = if let Some(at) = m.reported_to_authority_at {
        (at > due, None)
    } else {
        let left = (due.with_timezone(&Utc) - now).num_minutes();
        // Whole hours, rounded down (-0.5 h is -1: already late).
        (left < 0, Some(left.div_euclid(60)))
    };
    BreachDto {
        id: m.id,
        discovered_at: m.discovered_at.to_rfc3339(),
        description: m.description,
        data_kinds: kinds
            .iter()
            .filter_map(|k| BreachDataKind::parse(k))
            .collect(),
        households_affected: m.households_affected,
        report_due_at: due.to_rfc3339(),
        rule: RuleDto::from(breach_rule(m.discovered_at)),
        reported_to_authority_at: m.reported_to_authority_at.map(|t| t.to_rfc3339()),
        late,
        hours_left,
        measures: m.measures,
        closed_at: m.closed_at.map(|t| t.to_rfc3339()),
        recorded_by: m.recorded_by.and_then(|u| names.get(&u).cloned()),
        created_at: m.created_at.to_rfc3339(),
    }
}

fn invalid(code: &'static str, field: &'static str, message: &str) -> AppError {
    AppError::Unprocessable {
        code,
        message: message.into(),
        details: Some(serde_json::json!({"field": field})),
    }
}

/// A time of the breach: not in the future (a minute of clock skew allowed), not before the
/// discovery.
fn check_time(
    at: Option<DateTime<FixedOffset>>,
    discovered: DateTime<FixedOffset>,
    field: &'static str,
) -> AppResult<()> {
    if let Some(at) = at {
        if at.with_timezone(&Utc) > Utc::now() + Duration::minutes(1) {
            return Err(invalid(
                "date_in_future",
                field,
                "the time is in the future",
            ));
        }
        if at < discovered {
            return Err(invalid(
                "before_discovery",
                field,
                "the time is before the breach was discovered",
            ));
        }
    }
    Ok(())
}

fn check_count(n: i32) -> AppResult<()> {
    if (0..=10_000_000).contains(&n) {
        Ok(())
    } else {
        Err(invalid(
            "invalid_count",
            "households_affected",
            "households affected: 0 or more",
        ))
    }
}

async fn dto_of(conn: &impl ConnectionTrait, row: breaches::Model) -> AppResult<BreachDto> {
    let names = super::user_names(conn, row.recorded_by).await?;
    Ok(to_dto(row, &names, Utc::now()))
}

/// The breach log, newest discovery first, each with its 72-hour notification limit.
#[utoipa::path(get, path = "/api/v1/privacy/breaches", tag = "privacy",
    responses((status = 200, body = Page<BreachDto>), (status = 403, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn list_breaches(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Page<BreachDto>>> {
    principal.require(Permission::Administer)?;
    let rows = breaches::Entity::find()
        .order_by_desc(breaches::Column::DiscoveredAt)
        .order_by_desc(breaches::Column::Id)
        .all(&state.db.conn)
        .await?;
    let names =
        super::user_names(&state.db.conn, rows.iter().filter_map(|r| r.recorded_by)).await?;
    let now = Utc::now();
    Ok(Json(Page {
        items: rows.into_iter().map(|r| to_dto(r, &names, now)).collect(),
        next_cursor: None,
    }))
}

/// Record a breach (administrators). The limit to notify the authority is computed from the
/// discovery: 72 hours.
#[utoipa::path(post, path = "/api/v1/privacy/breaches", tag = "privacy", request_body = NewBreach,
    responses((status = 201, body = BreachDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all)]
pub async fn create_breach(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewBreach>,
) -> AppResult<(StatusCode, Json<BreachDto>)> {
    principal.require(Permission::Administer)?;
    let description = check_text(Some(new.description), "description", 4000)?
        .ok_or_else(|| invalid("description_required", "description", "say what happened"))?;
    let mut kinds = new.data_kinds.clone();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.is_empty() {
        return Err(invalid(
            "data_kinds_required",
            "data_kinds",
            "name at least one kind of data affected",
        ));
    }
    check_count(new.households_affected)?;
    if new.discovered_at.with_timezone(&Utc) > Utc::now() + Duration::minutes(1) {
        return Err(invalid(
            "date_in_future",
            "discovered_at",
            "the discovery is in the future",
        ));
    }
    check_time(
        new.reported_to_authority_at,
        new.discovered_at,
        "reported_to_authority_at",
    )?;
    check_time(new.closed_at, new.discovered_at, "closed_at")?;
    let measures = check_text(new.measures, "measures", 4000)?;
    let now = Utc::now().fixed_offset();
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let tx = state.db.write().await?;
    let row = breaches::ActiveModel {
        discovered_at: Set(new.discovered_at),
        description: Set(description),
        data_kinds: Set(serde_json::json!(kinds).to_string()),
        households_affected: Set(new.households_affected),
        report_due_at: Set(breach_report_due(new.discovered_at)),
        reported_to_authority_at: Set(new.reported_to_authority_at),
        measures: Set(measures),
        closed_at: Set(new.closed_at),
        recorded_by: Set(principal.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "privacy_breach",
        Some(row.id.to_string()),
        serde_json::json!({"data_kinds": kinds, "households_affected": row.households_affected}),
    )
    .await?;
    let dto = dto_of(&*tx, row).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Record the notification of the authority, the measures taken, the closing, or a corrected
/// count of households (administrators).
#[utoipa::path(patch, path = "/api/v1/privacy/breaches/{id}", tag = "privacy", params(("id" = i32, Path)),
    request_body = BreachPatch,
    responses((status = 200, body = BreachDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(breach_id = id))]
pub async fn update_breach(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(patch): ApiJson<BreachPatch>,
) -> AppResult<Json<BreachDto>> {
    principal.require(Permission::Administer)?;
    let tx = state.db.write().await?;
    let row = breaches::Entity::find_by_id(id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::not_found("breach"))?;
    check_time(
        patch.reported_to_authority_at,
        row.discovered_at,
        "reported_to_authority_at",
    )?;
    check_time(patch.closed_at, row.discovered_at, "closed_at")?;
    let mut changed = Vec::new();
    let mut am: breaches::ActiveModel = row.into();
    if let Some(at) = patch.reported_to_authority_at {
        am.reported_to_authority_at = Set(Some(at));
        changed.push("reported_to_authority_at");
    }
    if let Some(m) = patch.measures {
        am.measures = Set(check_text(Some(m), "measures", 4000)?);
        changed.push("measures");
    }
    if let Some(at) = patch.closed_at {
        am.closed_at = Set(Some(at));
        changed.push("closed_at");
    }
    if let Some(n) = patch.households_affected {
        check_count(n)?;
        am.households_affected = Set(n);
        changed.push("households_affected");
    }
    if changed.is_empty() {
        return Err(AppError::BadRequest(
            "send at least one of reported_to_authority_at, measures, closed_at, households_affected".into(),
        ));
    }
    am.updated_at = Set(Utc::now().fixed_offset());
    let row = am.update(&*tx).await?;
    audit::record(
        &*tx,
        &principal,
        "update",
        "privacy_breach",
        Some(id.to_string()),
        serde_json::json!({"fields": changed}),
    )
    .await?;
    let dto = dto_of(&*tx, row).await?;
    tx.commit().await?;
    Ok(Json(dto))
}
