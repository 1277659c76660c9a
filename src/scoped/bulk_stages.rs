//! Reads and writes of a bulk stage recording (many households, one stage, one date): the
//! households chosen (each inside the caller's scope), their case events and land uses in a
//! few chunked queries, and the new events inserted in chunks.
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, JoinType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};

use super::{households, select_from, tables, HouseholdId, Personal, Scoped};
use crate::auth::Scope;
use crate::entities::parcels;
use crate::error::AppResult;

/// Rows per statement: well under SQLite's bound-parameter limit.
const CHUNK: usize = 500;

/// The households of `project_id` inside the scope, in `communes` when given, by id.
/// With `ids`, exactly those: any of them outside the scope or the project is a 404 for the
/// whole request, exactly like an unknown id.
pub async fn households_for_bulk(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    ids: Option<&[i32]>,
    communes: Option<Vec<i32>>,
) -> AppResult<Vec<(Scoped<HouseholdId>, tables::households::Model)>> {
    use tables::households::Column as H;
    let mut select = households(scope).filter(H::ProjectId.eq(project_id));
    if let Some(units) = communes {
        select = select.filter(H::CommuneId.is_in(units));
    }
    let rows = match ids {
        Some(ids) => {
            let checked = super::households_all(conn, scope, ids).await?;
            let mut rows = Vec::with_capacity(checked.len());
            for chunk in checked.chunks(CHUNK) {
                rows.extend(
                    select
                        .clone()
                        .filter(H::Id.is_in(chunk.iter().map(|h| h.id())))
                        .all(conn)
                        .await?,
                );
            }
            if rows.len() != checked.len() {
                return Err(crate::error::AppError::not_found("household"));
            }
            rows.sort_by_key(|r| r.id);
            rows
        }
        None => select.order_by_asc(H::Id).all(conn).await?,
    };
    Ok(rows
        .into_iter()
        .map(|r| (super::Scoped(HouseholdId(r.id)), r))
        .collect())
}

/// A recorded case event, as the legal order needs it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct BulkEventRow {
    pub household_id: i32,
    pub stage: String,
    pub parcel_id: Option<i32>,
    pub occurred_on: NaiveDate,
}

/// The case events of these households, by household, date and id.
pub async fn case_events_of_many(
    conn: &impl ConnectionTrait,
    ids: &[Scoped<HouseholdId>],
) -> Result<Vec<BulkEventRow>, DbErr> {
    use tables::case_stage_events::Column as C;
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let rows = tables::case_stage_events::Entity::find()
            .filter(C::HouseholdId.is_in(chunk.iter().map(|h| h.id())))
            .order_by_asc(C::HouseholdId)
            .order_by_asc(C::OccurredOn)
            .order_by_asc(C::Id)
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(|r| BulkEventRow {
            household_id: r.household_id,
            stage: r.stage,
            parcel_id: r.parcel_id,
            occurred_on: r.occurred_on,
        }));
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
pub struct BulkLandRow {
    pub household_id: i32,
    pub land_use: String,
}

/// The land-use codes of the parcels these households hold.
pub async fn land_uses_of_many(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[Scoped<HouseholdId>],
) -> Result<Vec<BulkLandRow>, DbErr> {
    use tables::household_parcels::Column as HP;
    let (hp, p) = (Alias::new("hp"), Alias::new("p"));
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut stmt = select_from(scope, Personal::HouseholdParcels, "hp");
        stmt.column((hp.clone(), HP::HouseholdId))
            .column((p.clone(), parcels::Column::LandUse))
            .join_as(
                JoinType::InnerJoin,
                parcels::Entity,
                p.clone(),
                Expr::col((p.clone(), parcels::Column::Id)).equals((hp.clone(), HP::ParcelId)),
            )
            .and_where(
                Expr::col((hp.clone(), HP::HouseholdId)).is_in(chunk.iter().map(|h| h.id())),
            );
        out.extend(
            BulkLandRow::find_by_statement(conn.get_database_backend().build(&stmt))
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

/// A repeated stage (a notice issued again) replaces earlier household-wide ones of these
/// households dated on or before `on`: their deadlines stop running. Run before inserting.
pub async fn supersede_many(
    conn: &impl ConnectionTrait,
    ids: &[Scoped<HouseholdId>],
    stage: &str,
    on: NaiveDate,
) -> Result<(), DbErr> {
    use tables::case_stage_events::Column as C;
    for chunk in ids.chunks(CHUNK) {
        tables::case_stage_events::Entity::update_many()
            .col_expr(C::DueOn, Expr::value(Option::<NaiveDate>::None))
            .col_expr(C::DueStage, Expr::value(Option::<String>::None))
            .filter(C::HouseholdId.is_in(chunk.iter().map(|h| h.id())))
            .filter(C::Stage.eq(stage))
            .filter(C::OccurredOn.lte(on))
            .filter(C::ParcelId.is_null())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Inserts one event per household (each has passed the scope), in chunks.
pub async fn insert_case_stage_events_many(
    conn: &impl ConnectionTrait,
    rows: Vec<(Scoped<HouseholdId>, tables::case_stage_events::ActiveModel)>,
) -> Result<(), DbErr> {
    let models: Vec<tables::case_stage_events::ActiveModel> = rows
        .into_iter()
        .map(|(h, mut row)| {
            row.household_id = sea_orm::Set(h.id());
            row
        })
        .collect();
    for chunk in models.chunks(CHUNK / 2) {
        tables::case_stage_events::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
