//! Personal-data reads of the exports (H6) that the builders above cannot express alone.
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::{condition, tables, Personal};
use crate::auth::Scope;

/// A household that signed a grievance.
#[derive(Debug, FromQueryResult)]
pub struct GrievanceSigner {
    pub grievance_id: i32,
    pub code: String,
    pub head_name: String,
}

/// The signers inside the scope of the project's grievances `ids` that are inside it (an
/// export's page), by grievance and household code. A grievance is inside an area when one of its signers is; its signers
/// outside the area are left out, as the grievances API leaves them out (issue 16).
pub async fn project_grievance_signers(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    ids: &[i32],
) -> Result<Vec<GrievanceSigner>, DbErr> {
    use tables::{grievance_households as gh_t, grievances as g_t, households as h_t};
    let (gh, h, g) = (Alias::new("gh"), Alias::new("h"), Alias::new("g"));
    let stmt = Query::select()
        .column((gh.clone(), gh_t::Column::GrievanceId))
        .column((h.clone(), h_t::Column::Code))
        .column((h.clone(), h_t::Column::HeadName))
        .from_as(Personal::GrievanceHouseholds.table(), gh.clone())
        .join_as(
            JoinType::InnerJoin,
            Personal::Households.table(),
            h.clone(),
            Expr::col((h.clone(), h_t::Column::Id)).equals((gh.clone(), gh_t::Column::HouseholdId)),
        )
        .join_as(
            JoinType::InnerJoin,
            Personal::Grievances.table(),
            g.clone(),
            Expr::col((g.clone(), g_t::Column::Id)).equals((gh.clone(), gh_t::Column::GrievanceId)),
        )
        .and_where(Expr::col((g, g_t::Column::ProjectId)).eq(project_id))
        .and_where(Expr::col((gh.clone(), gh_t::Column::GrievanceId)).is_in(ids.iter().copied()))
        .cond_where(condition(scope, Personal::Grievances, "g"))
        .cond_where(condition(scope, Personal::Households, "h"))
        .order_by((gh, gh_t::Column::GrievanceId), Order::Asc)
        .order_by((h, h_t::Column::Code), Order::Asc)
        .to_owned();
    GrievanceSigner::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await
}
