//! Grievances: their signers, and writing a grievance with its signers. A grievance is inside
//! a scope when one of its signers' households is (or it is of the scope's project); its
//! signers are then shown whoever they are, as the list always did (issue 16 will narrow it).
use sea_orm::sea_query::{Alias, Condition, Expr, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};

use super::{condition, tables, GrievanceId, HouseholdId, Personal, Scoped};
use crate::auth::Scope;
use crate::error::{AppError, AppResult};

/// A household that signed a grievance.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Signer {
    pub grievance_id: i32,
    pub household_id: i32,
    pub code: String,
    pub head_name: String,
    pub parcel_id: Option<i32>,
}

/// The signers of those of `grievance_ids` inside the scope, by grievance then household.
pub async fn grievance_signers(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    grievance_ids: &[i32],
) -> AppResult<Vec<Signer>> {
    use tables::grievance_households::Column as Gh;
    use tables::households::Column as H;
    if grievance_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (gh, h) = (Alias::new("gh"), Alias::new("h"));
    let visible = Query::select()
        .column((Alias::new("g"), tables::grievances::Column::Id))
        .from_as(tables::grievances::Entity, Alias::new("g"))
        .cond_where(condition(scope, Personal::Grievances, "g"))
        .to_owned();
    let stmt = Query::select()
        .column((gh.clone(), Gh::GrievanceId))
        .column((gh.clone(), Gh::HouseholdId))
        .column((h.clone(), H::Code))
        .column((h.clone(), H::HeadName))
        .column((gh.clone(), Gh::ParcelId))
        .from_as(tables::grievance_households::Entity, gh.clone())
        .join_as(
            JoinType::InnerJoin,
            tables::households::Entity,
            h.clone(),
            Expr::col((h.clone(), H::Id)).equals((gh.clone(), Gh::HouseholdId)),
        )
        .and_where(Expr::col((gh.clone(), Gh::GrievanceId)).is_in(grievance_ids.iter().copied()))
        .and_where(Expr::col((gh.clone(), Gh::GrievanceId)).in_subquery(visible))
        .order_by((gh.clone(), Gh::GrievanceId), Order::Asc)
        .order_by((gh, Gh::HouseholdId), Order::Asc)
        .to_owned();
    Ok(
        Signer::find_by_statement(conn.get_database_backend().build(&stmt))
            .all(conn)
            .await?,
    )
}

/// "The grievance under `alias` was signed by this household", to narrow a select that is
/// already limited to the scope (the household itself need not be inside it).
pub fn grievance_signed_by(alias: &'static str, household_id: i32) -> Condition {
    use tables::grievance_households::Column as Gh;
    let signed = Query::select()
        .column(Gh::GrievanceId)
        .from(tables::grievance_households::Entity)
        .and_where(Expr::col(Gh::HouseholdId).eq(household_id))
        .to_owned();
    Condition::all()
        .add(Expr::col((Alias::new(alias), tables::grievances::Column::Id)).in_subquery(signed))
}

/// Records a grievance signed by households that passed the caller's scope (so the new
/// grievance is inside it), each with the parcel concerned, if any.
pub async fn insert_grievance(
    conn: &impl ConnectionTrait,
    grievance: tables::grievances::ActiveModel,
    signers: &[(Scoped<HouseholdId>, Option<i32>)],
) -> AppResult<Scoped<GrievanceId>> {
    if signers.is_empty() {
        return Err(AppError::invalid(
            "invalid_households",
            "a grievance is signed by at least one household",
        ));
    }
    let id = tables::grievances::Entity::insert(grievance)
        .exec(conn)
        .await?
        .last_insert_id;
    let rows =
        signers.iter().map(
            |(household, parcel)| tables::grievance_households::ActiveModel {
                grievance_id: sea_orm::Set(id),
                household_id: sea_orm::Set(household.id()),
                parcel_id: sea_orm::Set(*parcel),
            },
        );
    tables::grievance_households::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(Scoped(GrievanceId(id)))
}

/// Records the second-round complaint of `parent`, signed by the same households.
pub async fn insert_appeal(
    conn: &impl ConnectionTrait,
    parent: Scoped<GrievanceId>,
    grievance: tables::grievances::ActiveModel,
) -> AppResult<Scoped<GrievanceId>> {
    use tables::grievance_households::Column as Gh;
    let id = tables::grievances::Entity::insert(grievance)
        .exec(conn)
        .await?
        .last_insert_id;
    let copy = Query::select()
        .expr(Expr::val(id))
        .column(Gh::HouseholdId)
        .column(Gh::ParcelId)
        .from(tables::grievance_households::Entity)
        .and_where(Expr::col(Gh::GrievanceId).eq(parent.id()))
        .to_owned();
    let insert = Query::insert()
        .into_table(tables::grievance_households::Entity)
        .columns([Gh::GrievanceId, Gh::HouseholdId, Gh::ParcelId])
        .select_from(copy)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("appeal signers: {e}")))?
        .to_owned();
    conn.execute(conn.get_database_backend().build(&insert))
        .await?;
    Ok(Scoped(GrievanceId(id)))
}
