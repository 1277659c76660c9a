//! Bulk loads and imports (the demo loader, the household import, backups): the few facts
//! and statements they need on personal-data tables, each taking the caller's scope or naming
//! nobody.
use std::collections::HashSet;

use sea_orm::sea_query::{Alias, Expr, Query, UpdateStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::{condition, tables, Personal};
use crate::auth::Scope;
use crate::error::AppResult;

/// Moves a PostgreSQL id sequence past the largest id of a personal-data table after rows
/// were written with explicit ids (nothing to do on SQLite).
pub async fn reset_id_sequence(conn: &impl ConnectionTrait, table: Personal) -> Result<(), DbErr> {
    crate::db::dialect::reset_id_sequence(conn, table.table()).await
}

/// `UPDATE households SET last_visit_at = (latest visit of the household) WHERE <scope>`:
/// add filters to choose the households.
pub fn refresh_last_visit(scope: &Scope) -> UpdateStatement {
    let v = Alias::new("v");
    let latest = Query::select()
        .expr(Expr::col((v.clone(), tables::visits::Column::VisitedAt)).max())
        .from_as(tables::visits::Entity, v.clone())
        .and_where(
            Expr::col((v, tables::visits::Column::HouseholdId))
                .equals((tables::households::Entity, tables::households::Column::Id)),
        )
        .to_owned();
    Query::update()
        .table(tables::households::Entity)
        .value(
            tables::households::Column::LastVisitAt,
            sea_orm::sea_query::SimpleExpr::SubQuery(
                None,
                Box::new(latest.into_sub_query_statement()),
            ),
        )
        .cond_where(condition(scope, Personal::Households, "households"))
        .to_owned()
}

/// Which of these CCCD numbers a household of the project already has (a number is
/// registered once per project, whoever can see the other household).
pub async fn id_numbers_taken(
    conn: &impl ConnectionTrait,
    project_id: i32,
    id_numbers: &[String],
) -> AppResult<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in id_numbers.chunks(500) {
        let found: Vec<Option<String>> = tables::households::Entity::find()
            .select_only()
            .column(tables::households::Column::IdNumber)
            .filter(tables::households::Column::ProjectId.eq(project_id))
            .filter(tables::households::Column::IdNumber.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        taken.extend(found.into_iter().flatten());
    }
    Ok(taken)
}
