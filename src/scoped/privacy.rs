//! The personal-data law's records about a household (issue 16 item 12): the notices it was
//! given about the processing of its data and the requests it made as a data subject. Both
//! tables name a household, so their entities are private here and every query passes the
//! caller's scope (or starts from a household id that already did). Also the household's
//! whole dossier, for an access request's export.
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Select,
};

use super::{household_in_scope, tables, HouseholdId, Scoped};
use crate::auth::Scope;
use crate::error::{AppError, AppResult};

mod privacy_notices {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "privacy_notices")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub project_id: i32,
        pub household_id: i32,
        pub kinds: String,
        pub method: String,
        pub notified_on: Date,
        pub notified_by: Option<i32>,
        pub document_ref: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        pub withdrawn_on: Option<Date>,
        #[sea_orm(column_type = "Text", nullable)]
        pub withdrawal_note: Option<String>,
        pub recorded_by: Option<i32>,
        pub created_at: DateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod privacy_requests {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "privacy_requests")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub project_id: i32,
        pub household_id: i32,
        pub kind: crate::domain::PrivacyRequestKind,
        pub status: crate::domain::PrivacyRequestStatus,
        pub received_on: Date,
        pub channel: crate::domain::Channel,
        pub requester_name: String,
        #[sea_orm(column_type = "Text")]
        pub details: String,
        pub ack_by: Option<Date>,
        pub due_on: Option<Date>,
        pub acknowledged_on: Option<Date>,
        pub extended_on: Option<Date>,
        #[sea_orm(column_type = "Text", nullable)]
        pub extension_reason: Option<String>,
        pub closed_on: Option<Date>,
        pub outcome: Option<crate::domain::PrivacyOutcome>,
        #[sea_orm(column_type = "Text", nullable)]
        pub outcome_note: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub legal_reason: Option<String>,
        pub created_by: Option<i32>,
        pub updated_by: Option<i32>,
        pub created_at: DateTimeWithTimeZone,
        pub updated_at: DateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Rows and columns of the two tables, for reading results and writing rows.
pub mod notices {
    pub use super::privacy_notices::{ActiveModel, Column, Model};
}
pub mod privacy_request_rows {
    pub use super::privacy_requests::{ActiveModel, Column, Model};
}

/// A notice record of a household inside the caller's scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoticeId(pub i32);

/// A data-subject request about a household inside the caller's scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrivacyRequestId(pub i32);

impl Scoped<NoticeId> {
    pub fn id(self) -> i32 {
        self.0 .0
    }
}

impl Scoped<PrivacyRequestId> {
    pub fn id(self) -> i32 {
        self.0 .0
    }
}

// ---- notices ------------------------------------------------------------------------------

/// The notices given to the household, oldest first.
pub fn notices_of(h: Scoped<HouseholdId>) -> Select<privacy_notices::Entity> {
    privacy_notices::Entity::find()
        .filter(privacy_notices::Column::HouseholdId.eq(h.id()))
        .order_by_asc(privacy_notices::Column::NotifiedOn)
        .order_by_asc(privacy_notices::Column::Id)
}

/// The notice, if it is the household's.
pub async fn notice_of(
    conn: &impl ConnectionTrait,
    h: Scoped<HouseholdId>,
    id: i32,
) -> AppResult<(Scoped<NoticeId>, notices::Model)> {
    let row = notices_of(h)
        .filter(privacy_notices::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("notice"))?;
    Ok((Scoped(NoticeId(row.id)), row))
}

/// Records a notice given to the household; returns its id.
pub async fn insert_notice(
    conn: &impl ConnectionTrait,
    h: Scoped<HouseholdId>,
    mut row: notices::ActiveModel,
) -> Result<Scoped<NoticeId>, DbErr> {
    row.household_id = sea_orm::Set(h.id());
    let id = privacy_notices::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id;
    Ok(Scoped(NoticeId(id)))
}

/// Writes a notice that passed the scope (a withdrawal).
pub async fn update_notice(
    conn: &impl ConnectionTrait,
    _id: Scoped<NoticeId>,
    row: notices::ActiveModel,
) -> Result<notices::Model, DbErr> {
    privacy_notices::Entity::update(row).exec(conn).await
}

// ---- data-subject requests --------------------------------------------------------------------

/// Requests about households inside the scope.
pub fn privacy_requests(scope: &Scope) -> Select<privacy_requests::Entity> {
    privacy_requests::Entity::find().filter(household_in_scope(
        scope,
        (
            privacy_requests::Entity,
            privacy_requests::Column::HouseholdId,
        ),
    ))
}

/// The request, if its household is inside the scope; otherwise 404 like an unknown id.
pub async fn privacy_request(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<(Scoped<PrivacyRequestId>, privacy_request_rows::Model)> {
    let row = privacy_requests(scope)
        .filter(privacy_requests::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("privacy request"))?;
    Ok((Scoped(PrivacyRequestId(row.id)), row))
}

/// The household a request is about (it passed the scope with the request).
pub fn household_of_request(
    _request: Scoped<PrivacyRequestId>,
    row: &privacy_request_rows::Model,
) -> Scoped<HouseholdId> {
    Scoped(HouseholdId(row.household_id))
}

/// Records a request about the household; returns its id.
pub async fn insert_privacy_request(
    conn: &impl ConnectionTrait,
    h: Scoped<HouseholdId>,
    mut row: privacy_request_rows::ActiveModel,
) -> Result<Scoped<PrivacyRequestId>, DbErr> {
    row.household_id = sea_orm::Set(h.id());
    let id = privacy_requests::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id;
    Ok(Scoped(PrivacyRequestId(id)))
}

/// Writes a request that passed the scope (a step of its life cycle).
pub async fn update_privacy_request(
    conn: &impl ConnectionTrait,
    _id: Scoped<PrivacyRequestId>,
    row: privacy_request_rows::ActiveModel,
) -> Result<privacy_request_rows::Model, DbErr> {
    privacy_requests::Entity::update(row).exec(conn).await
}

/// The requests about the household, oldest first.
pub fn privacy_requests_of(h: Scoped<HouseholdId>) -> Select<privacy_requests::Entity> {
    privacy_requests::Entity::find()
        .filter(privacy_requests::Column::HouseholdId.eq(h.id()))
        .order_by_asc(privacy_requests::Column::Id)
}

/// How many requests inside the scope are still open.
pub async fn open_privacy_requests(conn: &impl ConnectionTrait, scope: &Scope) -> AppResult<u64> {
    use crate::domain::PrivacyRequestStatus as S;
    Ok(privacy_requests(scope)
        .filter(privacy_requests::Column::Status.is_in([S::Received, S::Acknowledged, S::Extended]))
        .count(conn)
        .await?)
}

// ---- the dossier ------------------------------------------------------------------------------

/// Everything held on one household, table by table, as JSON rows (the column names of the
/// database): the household, its holdings, visits and their earlier versions, commitments,
/// next-visit assignments, grievances it signed, case events, inventories and their items,
/// compensation plans, their lines, payments, notices and requests.
pub async fn household_dossier(
    conn: &impl ConnectionTrait,
    h: Scoped<HouseholdId>,
) -> Result<serde_json::Map<String, serde_json::Value>, DbErr> {
    use serde_json::Value;
    let id = h.id();
    let mut out = serde_json::Map::new();
    let household = tables::households::Entity::find_by_id(id)
        .into_json()
        .one(conn)
        .await?;
    out.insert("household".into(), household.unwrap_or(Value::Null));
    macro_rules! rows_of {
        ($key:literal, $table:ident, $order:ident) => {
            out.insert(
                $key.into(),
                Value::Array(
                    tables::$table::Entity::find()
                        .filter(tables::$table::Column::HouseholdId.eq(id))
                        .order_by_asc(tables::$table::Column::$order)
                        .into_json()
                        .all(conn)
                        .await?,
                ),
            );
        };
    }
    rows_of!("holdings", household_parcels, ParcelId);
    rows_of!("visits", visits, Id);
    rows_of!("commitments", commitments, Id);
    rows_of!("next_visit_assignments", next_visit_assignments, Id);
    rows_of!("case_stage_events", case_stage_events, Id);
    rows_of!("inventories", inventories, Id);
    rows_of!("inventory_items", inventory_items, Id);
    rows_of!("compensation_plans", compensation_plans, Id);
    rows_of!("plan_lines", plan_lines, Id);
    rows_of!("payments", payments, Id);
    let visit_ids = Query::select()
        .column(tables::visits::Column::Id)
        .from(tables::visits::Entity)
        .and_where(Expr::col(tables::visits::Column::HouseholdId).eq(id))
        .to_owned();
    out.insert(
        "visit_revisions".into(),
        Value::Array(
            tables::visit_revisions::Entity::find()
                .filter(tables::visit_revisions::Column::VisitId.in_subquery(visit_ids))
                .into_json()
                .all(conn)
                .await?,
        ),
    );
    out.insert(
        "grievances".into(),
        Value::Array(
            super::grievances_signed_by(h)
                .order_by_asc(tables::grievances::Column::Id)
                .into_json()
                .all(conn)
                .await?,
        ),
    );
    out.insert(
        "notices".into(),
        Value::Array(notices_of(h).into_json().all(conn).await?),
    );
    out.insert(
        "privacy_requests".into(),
        Value::Array(privacy_requests_of(h).into_json().all(conn).await?),
    );
    Ok(out)
}
