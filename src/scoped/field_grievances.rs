//! Grievances: their signers, and writing a grievance with its signers. A grievance is inside
//! a scope when one of its signers' households is (or it is of the scope's project); its
//! signers inside the scope are shown, those outside it only counted (issue 16): a reader never
//! learns the name, code or id of a household outside her area. Writing to a grievance needs
//! every signer inside the scope ([`grievance_to_write`]).
use sea_orm::sea_query::{Alias, Condition, Expr, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};

use super::{condition, tables, GrievanceId, HouseholdId, Personal, Scoped};
use crate::auth::Scope;
use crate::error::{AppError, AppResult};

/// A household that signed a grievance. Outside the reader's scope, every field but the
/// grievance is NULL: the row only says "one more household, elsewhere".
#[derive(Clone, Debug, FromQueryResult)]
pub struct Signer {
    pub grievance_id: i32,
    pub household_id: Option<i32>,
    pub code: Option<String>,
    pub head_name: Option<String>,
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
    // LEFT JOIN the household through the scope: a signer outside it reads as NULLs.
    let mut stmt = Query::select()
        .column((gh.clone(), Gh::GrievanceId))
        .expr_as(Expr::col((h.clone(), H::Id)), Alias::new("household_id"))
        .column((h.clone(), H::Code))
        .column((h.clone(), H::HeadName))
        .expr_as(
            Expr::case(
                Expr::col((h.clone(), H::Id)).is_not_null(),
                Expr::col((gh.clone(), Gh::ParcelId)),
            )
            .finally(Expr::val(Option::<i32>::None)),
            Alias::new("parcel_id"),
        )
        .from_as(tables::grievance_households::Entity, gh.clone())
        .and_where(Expr::col((gh.clone(), Gh::GrievanceId)).is_in(grievance_ids.iter().copied()))
        .and_where(Expr::col((gh.clone(), Gh::GrievanceId)).in_subquery(visible))
        .order_by((gh.clone(), Gh::GrievanceId), Order::Asc)
        .order_by((gh.clone(), Gh::HouseholdId), Order::Asc)
        .to_owned();
    super::join(
        scope,
        &mut stmt,
        JoinType::LeftJoin,
        Personal::Households,
        "h",
        Condition::all().add(Expr::col((h, H::Id)).equals((gh, Gh::HouseholdId))),
    );
    Ok(
        Signer::find_by_statement(conn.get_database_backend().build(&stmt))
            .all(conn)
            .await?,
    )
}

/// The grievance, for a write (accept, assign, resolve, reject, withdraw, update, appeal):
/// every household that signed it must be inside the scope, else 404 exactly as for an
/// unknown id — a grievance shared with another area is written by someone who covers both.
pub async fn grievance_to_write(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Scoped<GrievanceId>> {
    let checked = super::grievance(conn, scope, id).await?;
    if outside_signers(conn, scope, id).await? > 0 {
        return Err(AppError::not_found("grievance"));
    }
    Ok(checked)
}

/// How many of the grievance's signers are outside the scope.
async fn outside_signers(conn: &impl ConnectionTrait, scope: &Scope, id: i32) -> AppResult<u64> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    use tables::grievance_households::Column as Gh;
    if scope.is_everything() {
        return Ok(0);
    }
    Ok(tables::grievance_households::Entity::find()
        .filter(Gh::GrievanceId.eq(id))
        .filter(Expr::col(Gh::HouseholdId).not_in_subquery(super::households_in(scope)))
        .count(conn)
        .await?)
}

/// "No signer of the grievance under `alias` is outside the scope": what an UPDATE of a
/// grievance adds to being inside the scope.
pub(super) fn no_signer_outside(scope: &Scope, alias: &str) -> Condition {
    use tables::grievance_households::Column as Gh;
    if scope.is_everything() {
        return Condition::all();
    }
    let outside = Query::select()
        .column(Gh::GrievanceId)
        .from(tables::grievance_households::Entity)
        .and_where(Expr::col(Gh::HouseholdId).not_in_subquery(super::households_in(scope)))
        .to_owned();
    Condition::all().add(
        Expr::col((Alias::new(alias), tables::grievances::Column::Id)).not_in_subquery(outside),
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
