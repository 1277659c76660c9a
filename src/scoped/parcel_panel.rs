//! What the map's parcel panel shows of the households using a parcel that has passed the
//! caller's scope (a `Scoped<ParcelId>`): every household's stance and last visit, names only
//! for households inside the scope; the last visit and the open grievances of the parcel,
//! which name nobody.
use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{grievances, households, tables, ParcelId, Scoped};
use crate::auth::Scope;
use crate::entities::working_groups;
use crate::error::AppResult;

/// A household using the parcel. `in_scope` says whether the caller's scope covers it.
#[derive(Clone, Debug)]
pub struct ParcelHousehold {
    pub id: i32,
    pub code: String,
    pub head_name: String,
    pub stance: Option<String>,
    pub last_visit_at: Option<DateTime<FixedOffset>>,
    pub in_scope: bool,
}

/// The latest visit to a household using the parcel.
#[derive(Clone, Debug)]
pub struct ParcelVisit {
    pub visited_at: DateTime<FixedOffset>,
    pub kind: String,
    pub stance: String,
    pub working_group: String,
}

/// The ids of the households holding the parcel, as a subquery.
fn holders_of(parcel: Scoped<ParcelId>) -> SelectStatement {
    use tables::household_parcels::{Column, Entity};
    Query::select()
        .column(Column::HouseholdId)
        .from(Entity)
        .and_where(Expr::col(Column::ParcelId).eq(parcel.id()))
        .to_owned()
}

/// The households using the parcel, by id.
pub async fn parcel_households(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    parcel: Scoped<ParcelId>,
) -> AppResult<Vec<ParcelHousehold>> {
    use tables::households::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::Id.in_subquery(holders_of(parcel)))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?;
    let visible: Vec<i32> = super::households(scope)
        .select_only()
        .column(households::Column::Id)
        .filter(households::Column::Id.in_subquery(holders_of(parcel)))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|h| ParcelHousehold {
            in_scope: visible.contains(&h.id),
            id: h.id,
            code: h.code,
            head_name: h.head_name,
            stance: h.stance,
            last_visit_at: h.last_visit_at,
        })
        .collect())
}

/// The latest visit to any household using the parcel.
pub async fn parcel_last_visit(
    conn: &impl ConnectionTrait,
    parcel: Scoped<ParcelId>,
) -> AppResult<Option<ParcelVisit>> {
    use tables::visits::{Column, Entity};
    let Some(v) = Entity::find()
        .filter(Column::HouseholdId.in_subquery(holders_of(parcel)))
        .order_by_desc(Column::VisitedAt)
        .order_by_desc(Column::Id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    // A visit always names its group (foreign key); the join of old gave no row without one.
    let Some(group) = working_groups::Entity::find_by_id(v.working_group_id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(ParcelVisit {
        visited_at: v.visited_at,
        kind: v.kind,
        stance: v.stance,
        working_group: group.name,
    }))
}

/// Grievances not yet resolved that concern the parcel or a household using it, by date
/// received.
pub async fn parcel_open_grievances(
    conn: &impl ConnectionTrait,
    parcel: Scoped<ParcelId>,
) -> AppResult<Vec<grievances::Model>> {
    use tables::grievance_households::Column as GH;
    use tables::grievances::{Column, Entity};
    let concerned = Query::select()
        .column(GH::GrievanceId)
        .from(tables::grievance_households::Entity)
        .cond_where(
            sea_orm::sea_query::Condition::any()
                .add(Expr::col(GH::ParcelId).eq(parcel.id()))
                .add(Expr::col(GH::HouseholdId).in_subquery(holders_of(parcel))),
        )
        .to_owned();
    Ok(Entity::find()
        .filter(Column::ResolvedOn.is_null())
        .filter(Column::Id.in_subquery(concerned))
        .order_by_asc(Column::ReceivedOn)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}
