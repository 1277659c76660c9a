//! A household's notice record: what it was told about the processing of its personal data
//! (purpose, data collected, rights…), when, by whom, how, the document, and a withdrawal.
//! Readers of personal data read it in their area; writers of visits record it there.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::dto::{NewNotice, NoticeDto, NoticeWithdrawal};
use super::{check_text, user_names};
use crate::audit;
use crate::auth::Principal;
use crate::domain::{NoticeKind, NoticeMethod, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath};
use crate::pagination::Page;
use crate::scoped::{self, notices, HouseholdId, Scoped};
use crate::state::AppState;

fn require_write(principal: &Principal) -> AppResult<()> {
    principal
        .require(Permission::Administer)
        .or_else(|_| principal.require(Permission::WriteVisits))
}

fn to_dto(m: notices::Model, names: &std::collections::HashMap<i32, String>) -> NoticeDto {
    let kinds: Vec<String> = serde_json::from_str(&m.kinds).unwrap_or_default();
    NoticeDto {
        id: m.id,
        household_id: m.household_id,
        kinds: kinds.iter().filter_map(|k| NoticeKind::parse(k)).collect(),
        method: NoticeMethod::parse(&m.method).unwrap_or(NoticeMethod::InPerson),
        notified_on: m.notified_on,
        notified_by_name: m.notified_by.and_then(|u| names.get(&u).cloned()),
        notified_by: m.notified_by,
        document_ref: m.document_ref,
        note: m.note,
        withdrawn_on: m.withdrawn_on,
        withdrawal_note: m.withdrawal_note,
        created_at: m.created_at.to_rfc3339(),
    }
}

/// The notices of a household, oldest first.
pub async fn list_of(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
) -> AppResult<Vec<NoticeDto>> {
    let rows = scoped::notices_of(household).all(conn).await?;
    let names = user_names(conn, rows.iter().filter_map(|r| r.notified_by)).await?;
    Ok(rows.into_iter().map(|r| to_dto(r, &names)).collect())
}

/// What the household was told about the processing of its personal data, oldest first.
#[utoipa::path(get, path = "/api/v1/households/{id}/notices", tag = "privacy", params(("id" = i32, Path)),
    responses((status = 200, body = Page<NoticeDto>), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn list_notices(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
) -> AppResult<Json<Page<NoticeDto>>> {
    principal.require(Permission::ReadPersonal)?;
    let household = scoped::household(&state.db.conn, &principal.scope, id).await?;
    let items = list_of(&state.db.conn, household).await?;
    audit::record(
        &state.db.conn,
        &principal,
        "read",
        "privacy_notice",
        None,
        serde_json::json!({"household_id": id}),
    )
    .await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

fn check_day(day: NaiveDate, field: &'static str) -> AppResult<()> {
    if day > crate::legal::today_vn() {
        return Err(AppError::Unprocessable {
            code: "notice_date_in_future",
            message: format!("{field} is after today"),
            details: Some(serde_json::json!({"field": field})),
        });
    }
    Ok(())
}

/// The user named as the one who told the household: an existing user.
async fn check_user(conn: &impl ConnectionTrait, id: i32) -> AppResult<()> {
    let found = crate::entities::users::Entity::find_by_id(id)
        .one(conn)
        .await?;
    if found.is_none() {
        return Err(AppError::Unprocessable {
            code: "unknown_user",
            message: format!("no user {id}"),
            details: Some(serde_json::json!({"field": "notified_by"})),
        });
    }
    Ok(())
}

/// Record what the household was told, when, by whom (the caller unless `notified_by` names
/// another user) and how (administrators; members and district leaders in their area).
#[utoipa::path(post, path = "/api/v1/households/{id}/notices", tag = "privacy", params(("id" = i32, Path)),
    request_body = NewNotice,
    responses((status = 201, body = NoticeDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn create_notice(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i32>,
    ApiJson(new): ApiJson<NewNotice>,
) -> AppResult<(StatusCode, Json<NoticeDto>)> {
    require_write(&principal)?;
    let mut kinds = new.kinds.clone();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.is_empty() {
        return Err(AppError::Unprocessable {
            code: "notice_kinds_required",
            message: "say what the household was told: at least one kind".into(),
            details: Some(serde_json::json!({"field": "kinds"})),
        });
    }
    check_day(new.notified_on, "notified_on")?;
    let document_ref = check_text(new.document_ref, "document_ref", 200)?;
    let note = check_text(new.note, "note", 2000)?;
    let tx = state.db.write().await?;
    let household = scoped::household(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, household).await?;
    let notified_by = new.notified_by.or(principal.user_id);
    if let Some(u) = new.notified_by {
        check_user(&*tx, u).await?;
    }
    let project_id = scoped::household_row(household)
        .one(&*tx)
        .await?
        .map(|h| h.project_id)
        .ok_or_else(|| AppError::not_found("household"))?;
    let kinds_json: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let notice = scoped::insert_notice(
        &*tx,
        household,
        notices::ActiveModel {
            project_id: Set(project_id),
            kinds: Set(serde_json::json!(kinds_json).to_string()),
            method: Set(new.method.as_str().to_string()),
            notified_on: Set(new.notified_on),
            notified_by: Set(notified_by),
            document_ref: Set(document_ref),
            note: Set(note),
            recorded_by: Set(principal.user_id),
            created_at: Set(Utc::now().fixed_offset()),
            ..Default::default()
        },
    )
    .await?;
    audit::record(
        &*tx,
        &principal,
        "create",
        "privacy_notice",
        Some(notice.id().to_string()),
        serde_json::json!({"household_id": id, "kinds": kinds_json, "method": new.method}),
    )
    .await?;
    let (_, row) = scoped::notice_of(&*tx, household, notice.id()).await?;
    let names = user_names(&*tx, row.notified_by).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(to_dto(row, &names))))
}

/// Record that the household withdrew its consent to (or objected to) the processing it was
/// told of; once.
#[utoipa::path(post, path = "/api/v1/households/{id}/notices/{notice_id}/withdrawal", tag = "privacy",
    params(("id" = i32, Path), ("notice_id" = i32, Path)),
    request_body = NoticeWithdrawal,
    responses((status = 200, body = NoticeDto), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope), (status = 409, body = crate::error::ErrorEnvelope),
              (status = 422, body = crate::error::ErrorEnvelope)))]
#[tracing::instrument(skip_all, fields(household_id = id))]
pub async fn withdraw(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, notice_id)): ApiPath<(i32, i32)>,
    ApiJson(input): ApiJson<NoticeWithdrawal>,
) -> AppResult<Json<NoticeDto>> {
    require_write(&principal)?;
    check_day(input.withdrawn_on, "withdrawn_on")?;
    let note = check_text(input.note, "note", 2000)?;
    let tx = state.db.write().await?;
    let household = scoped::household(&*tx, &principal.scope, id).await?;
    crate::projects::service::ensure_open_for(&*tx, household).await?;
    let (notice, row) = scoped::notice_of(&*tx, household, notice_id).await?;
    if row.withdrawn_on.is_some() {
        return Err(AppError::Conflict {
            code: "already_withdrawn",
            message: "the withdrawal of this notice is already recorded".into(),
        });
    }
    if input.withdrawn_on < row.notified_on {
        return Err(AppError::Unprocessable {
            code: "withdrawn_before_notice",
            message: "the withdrawal is dated before the notice".into(),
            details: Some(serde_json::json!({"field": "withdrawn_on"})),
        });
    }
    let mut am: notices::ActiveModel = row.into();
    am.withdrawn_on = Set(Some(input.withdrawn_on));
    am.withdrawal_note = Set(note);
    let row = scoped::update_notice(&*tx, notice, am).await?;
    audit::record(
        &*tx,
        &principal,
        "withdraw",
        "privacy_notice",
        Some(notice.id().to_string()),
        serde_json::json!({"household_id": id, "withdrawn_on": input.withdrawn_on}),
    )
    .await?;
    let names = user_names(&*tx, row.notified_by).await?;
    tx.commit().await?;
    Ok(Json(to_dto(row, &names)))
}
