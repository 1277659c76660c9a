//! The one door to personal data and area-bound rows. The tables that name people —
//! households, their parcels' holders, visits and their revisions, commitments, next-visit
//! assignments, grievances and the households that signed them, case events — have their
//! entities in the private `tables` module: outside this module they cannot be named, so a
//! query on them can only start from a builder here, and every builder takes the caller's
//! [`Scope`]. An id that has passed the scope is a [`Scoped`] value, which only this module
//! makes: a service that takes `Scoped<HouseholdId>` cannot be handed an unchecked id.
//!
//! Forgetting the scope does not compile:
//!
//! ```compile_fail,E0603
//! use sea_orm::EntityTrait;
//! // error[E0603]: module `tables` is private
//! let everyone = gpmb::scoped::tables::households::Entity::find();
//! ```
//!
//! ```compile_fail,E0061
//! # async fn f(conn: &sea_orm::DatabaseConnection) {
//! // error[E0061]: this function takes 1 argument but 0 arguments were supplied
//! let everyone = gpmb::scoped::households();
//! # }
//! ```
//!
//! ```compile_fail
//! // error[E0603]: tuple struct constructor `Scoped` is private
//! let unchecked = gpmb::scoped::Scoped(gpmb::scoped::HouseholdId(42));
//! ```
mod tables;

use sea_orm::sea_query::{Alias, Condition, Expr, IntoColumnRef, JoinType, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::auth::Scope;
use crate::entities::parcels;
use crate::error::{AppError, AppResult};

/// Rows and columns of the personal-data tables, for reading results and writing rows.
/// The `Entity` of each stays private: queries start from the builders below.
pub mod households {
    pub use super::tables::households::{ActiveModel, Column, Model};
}
pub mod household_parcels {
    pub use super::tables::household_parcels::{ActiveModel, Column, Model};
}
pub mod visits {
    pub use super::tables::visits::{ActiveModel, Column, Model};
}
pub mod visit_revisions {
    pub use super::tables::visit_revisions::{ActiveModel, Column, Model};
}
pub mod commitments {
    pub use super::tables::commitments::{ActiveModel, Column, Model};
}
pub mod next_visit_assignments {
    pub use super::tables::next_visit_assignments::{ActiveModel, Column, Model};
}
pub mod grievances {
    pub use super::tables::grievances::{ActiveModel, Column, Model};
}
pub mod grievance_households {
    pub use super::tables::grievance_households::{ActiveModel, Column, Model};
}
pub mod case_stage_events {
    pub use super::tables::case_stage_events::{ActiveModel, Column, Model};
}
pub mod inventories {
    pub use super::tables::inventories::{ActiveModel, Column, Model};
}
pub mod inventory_items {
    pub use super::tables::inventory_items::{ActiveModel, Column, Model};
}
pub mod compensation_plans {
    pub use super::tables::compensation_plans::{ActiveModel, Column, Model};
}
pub mod plan_lines {
    pub use super::tables::plan_lines::{ActiveModel, Column, Model};
}
pub mod payments {
    pub use super::tables::payments::{ActiveModel, Column, Model};
}

/// An id that has passed the caller's scope. Only this module makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scoped<T>(T);

impl<T: Copy> Scoped<T> {
    pub fn get(self) -> T {
        self.0
    }
}

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i32);

        impl Scoped<$name> {
            /// The plain id, for queries and responses.
            pub fn id(self) -> i32 {
                self.0 .0
            }
        }
    )+};
}

id_type!(
    HouseholdId,
    VisitId,
    CommitmentId,
    GrievanceId,
    CaseEventId,
    /// A parcel of a project, inside the caller's area (for writes that name a parcel).
    ParcelId,
);

/// A personal-data table, for the sea-query builders below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personal {
    Households,
    HouseholdParcels,
    Visits,
    VisitRevisions,
    Commitments,
    NextVisitAssignments,
    Grievances,
    GrievanceHouseholds,
    CaseStageEvents,
    Inventories,
    InventoryItems,
    CompensationPlans,
    PlanLines,
    Payments,
}

impl Personal {
    /// The table's name in SQL.
    fn name(self) -> &'static str {
        match self {
            Personal::Households => "households",
            Personal::HouseholdParcels => "household_parcels",
            Personal::Visits => "visits",
            Personal::VisitRevisions => "visit_revisions",
            Personal::Commitments => "commitments",
            Personal::NextVisitAssignments => "next_visit_assignments",
            Personal::Grievances => "grievances",
            Personal::GrievanceHouseholds => "grievance_households",
            Personal::CaseStageEvents => "case_stage_events",
            Personal::Inventories => "inventories",
            Personal::InventoryItems => "inventory_items",
            Personal::CompensationPlans => "compensation_plans",
            Personal::PlanLines => "plan_lines",
            Personal::Payments => "payments",
        }
    }

    fn table(self) -> Alias {
        Alias::new(self.name())
    }
}

/// The ids of the households inside the scope, as a subquery.
/// A working index on stage events by stage and day, for bulk backfills that run a statement
/// per day (the demo): the statement that creates it and the one that drops it.
pub fn stage_day_index(
    name: &str,
) -> (
    sea_orm::sea_query::IndexCreateStatement,
    sea_orm::sea_query::IndexDropStatement,
) {
    let table = Personal::CaseStageEvents.table();
    let create = sea_orm::sea_query::Index::create()
        .name(name)
        .table(table.clone())
        // The date first: led by the stage, it also serves `MIN(occurred_on) … WHERE stage = ?`,
        // and the deadline triggers' subquery took it over the household index without
        // statistics, scanning every event of a stage per updated row (79 s at 50k parcels).
        .col(Alias::new("occurred_on"))
        .col(Alias::new("stage"))
        .if_not_exists()
        .to_owned();
    let drop = sea_orm::sea_query::Index::drop()
        .name(name)
        .table(table)
        .if_exists()
        .to_owned();
    (create, drop)
}

fn households_in(scope: &Scope) -> SelectStatement {
    Query::select()
        .column((tables::households::Entity, tables::households::Column::Id))
        .from(tables::households::Entity)
        .cond_where(scope.area_condition(
            (
                tables::households::Entity,
                tables::households::Column::CommuneId,
            ),
            (
                tables::households::Entity,
                tables::households::Column::ProjectId,
            ),
        ))
        .to_owned()
}

/// `column IN (households inside the scope)`, or nothing to check for an unlimited scope.
fn household_in_scope(scope: &Scope, column: impl IntoColumnRef) -> Condition {
    if scope.is_everything() {
        Condition::all()
    } else {
        Condition::all().add(Expr::col(column).in_subquery(households_in(scope)))
    }
}

/// "A row of `table` (under `alias`) is inside the scope".
pub fn condition(scope: &Scope, table: Personal, alias: &'static str) -> Condition {
    let a = Alias::new(alias);
    match table {
        Personal::Households => scope.area_condition(
            (a.clone(), Alias::new("commune_id")),
            (a, Alias::new("project_id")),
        ),
        Personal::HouseholdParcels
        | Personal::Visits
        | Personal::Commitments
        | Personal::NextVisitAssignments
        | Personal::CaseStageEvents
        | Personal::Inventories
        | Personal::InventoryItems
        | Personal::CompensationPlans
        | Personal::PlanLines
        | Personal::Payments => household_in_scope(scope, (a, Alias::new("household_id"))),
        Personal::GrievanceHouseholds => household_in_scope(scope, (a, Alias::new("household_id"))),
        Personal::VisitRevisions => {
            if scope.is_everything() {
                Condition::all()
            } else {
                let visits = Query::select()
                    .column((tables::visits::Entity, tables::visits::Column::Id))
                    .from(tables::visits::Entity)
                    .cond_where(household_in_scope(
                        scope,
                        (tables::visits::Entity, tables::visits::Column::HouseholdId),
                    ))
                    .to_owned();
                Condition::all().add(Expr::col((a, Alias::new("visit_id"))).in_subquery(visits))
            }
        }
        Personal::Grievances => {
            if scope.is_everything() {
                Condition::all()
            } else if let Some(p) = scope.project_id() {
                Condition::all().add(Expr::col((a, Alias::new("project_id"))).eq(p))
            } else {
                // A grievance is inside the area when one of its signers' households is.
                let signed = Query::select()
                    .column((
                        tables::grievance_households::Entity,
                        tables::grievance_households::Column::GrievanceId,
                    ))
                    .from(tables::grievance_households::Entity)
                    .cond_where(household_in_scope(
                        scope,
                        (
                            tables::grievance_households::Entity,
                            tables::grievance_households::Column::HouseholdId,
                        ),
                    ))
                    .to_owned();
                Condition::all().add(Expr::col((a, Alias::new("id"))).in_subquery(signed))
            }
        }
    }
}

/// `SELECT … FROM table AS alias WHERE <inside the scope>`: add columns, joins and filters.
pub fn select_from(scope: &Scope, table: Personal, alias: &'static str) -> SelectStatement {
    Query::select()
        .from_as(table.table(), Alias::new(alias))
        .cond_where(condition(scope, table, alias))
        .to_owned()
}

/// Joins `table AS alias` on `on`, keeping only rows inside the scope: with a LEFT JOIN a
/// row outside it reads as NULLs, as if it did not exist.
pub fn join(
    scope: &Scope,
    stmt: &mut SelectStatement,
    kind: JoinType,
    table: Personal,
    alias: &'static str,
    on: Condition,
) {
    let on = on.add(condition(scope, table, alias));
    stmt.join_as(kind, table.table(), Alias::new(alias), on);
}

/// `UPDATE table SET … WHERE <inside the scope>`: add values and filters. A grievance is
/// written only when every household that signed it is inside the scope.
pub fn update(scope: &Scope, table: Personal) -> sea_orm::sea_query::UpdateStatement {
    let name = table.table();
    let mut stmt = Query::update()
        .table(name.clone())
        .cond_where(own(scope, table))
        .to_owned();
    if table == Personal::Grievances {
        stmt.cond_where(field_grievances::no_signer_outside(scope, table.name()));
    }
    stmt
}

/// `DELETE FROM table WHERE <inside the scope>`: add filters.
pub fn delete(scope: &Scope, table: Personal) -> sea_orm::sea_query::DeleteStatement {
    Query::delete()
        .from_table(table.table())
        .cond_where(own(scope, table))
        .to_owned()
}

/// `INSERT INTO table`: a new row is checked by the ids it names (`Scoped<…>` values).
pub fn insert_into(table: Personal) -> sea_orm::sea_query::InsertStatement {
    Query::insert().into_table(table.table()).to_owned()
}

/// "A row of `table`, named by the table itself (no alias), is inside the scope": for
/// UPDATE, DELETE and the sea-orm selects.
fn own(scope: &Scope, table: Personal) -> Condition {
    condition(scope, table, table.name())
}

// ---- sea-orm selects ------------------------------------------------------------------

/// Households inside the scope.
pub fn households(scope: &Scope) -> Select<tables::households::Entity> {
    tables::households::Entity::find().filter(own(scope, Personal::Households))
}

/// Parcel holdings of households inside the scope.
pub fn household_parcels(scope: &Scope) -> Select<tables::household_parcels::Entity> {
    tables::household_parcels::Entity::find().filter(own(scope, Personal::HouseholdParcels))
}

/// Visits to households inside the scope.
pub fn visits(scope: &Scope) -> Select<tables::visits::Entity> {
    tables::visits::Entity::find().filter(own(scope, Personal::Visits))
}

/// Earlier versions of visits to households inside the scope.
pub fn visit_revisions(scope: &Scope) -> Select<tables::visit_revisions::Entity> {
    tables::visit_revisions::Entity::find().filter(own(scope, Personal::VisitRevisions))
}

/// Commitments to households inside the scope.
pub fn commitments(scope: &Scope) -> Select<tables::commitments::Entity> {
    tables::commitments::Entity::find().filter(own(scope, Personal::Commitments))
}

/// Next-visit assignments for households inside the scope.
pub fn next_visit_assignments(scope: &Scope) -> Select<tables::next_visit_assignments::Entity> {
    tables::next_visit_assignments::Entity::find()
        .filter(own(scope, Personal::NextVisitAssignments))
}

/// Grievances signed by a household inside the scope.
pub fn grievances(scope: &Scope) -> Select<tables::grievances::Entity> {
    tables::grievances::Entity::find().filter(own(scope, Personal::Grievances))
}

/// Signer rows of households inside the scope.
pub fn grievance_households(scope: &Scope) -> Select<tables::grievance_households::Entity> {
    tables::grievance_households::Entity::find().filter(own(scope, Personal::GrievanceHouseholds))
}

/// Case events of households inside the scope.
pub fn case_stage_events(scope: &Scope) -> Select<tables::case_stage_events::Entity> {
    tables::case_stage_events::Entity::find().filter(own(scope, Personal::CaseStageEvents))
}

/// Inventories (kiểm đếm) of households inside the scope.
pub fn inventories(scope: &Scope) -> Select<tables::inventories::Entity> {
    tables::inventories::Entity::find().filter(own(scope, Personal::Inventories))
}

/// Inventoried assets of households inside the scope.
pub fn inventory_items(scope: &Scope) -> Select<tables::inventory_items::Entity> {
    tables::inventory_items::Entity::find().filter(own(scope, Personal::InventoryItems))
}

/// Compensation plan versions of households inside the scope.
pub fn compensation_plans(scope: &Scope) -> Select<tables::compensation_plans::Entity> {
    tables::compensation_plans::Entity::find().filter(own(scope, Personal::CompensationPlans))
}

/// Lines of the compensation plans of households inside the scope.
pub fn plan_lines(scope: &Scope) -> Select<tables::plan_lines::Entity> {
    tables::plan_lines::Entity::find().filter(own(scope, Personal::PlanLines))
}

/// Payments and deposits to households inside the scope.
pub fn payments(scope: &Scope) -> Select<tables::payments::Entity> {
    tables::payments::Entity::find().filter(own(scope, Personal::Payments))
}

// ---- ids through the scope ------------------------------------------------------------

async fn exists<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    id: impl ColumnTrait,
    value: i32,
    what: &'static str,
) -> AppResult<()>
where
    E::Model: Sync,
{
    let n = select.filter(id.eq(value)).count(conn).await?;
    if n == 0 {
        Err(AppError::not_found(what))
    } else {
        Ok(())
    }
}

/// The household, if inside the scope; otherwise 404 exactly as for an unknown id.
pub async fn household(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Scoped<HouseholdId>> {
    exists(
        conn,
        households(scope),
        tables::households::Column::Id,
        id,
        "household",
    )
    .await?;
    Ok(Scoped(HouseholdId(id)))
}

/// Every household of the list, each inside the scope, or 404 naming none of them.
pub async fn households_all(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
) -> AppResult<Vec<Scoped<HouseholdId>>> {
    let mut wanted: Vec<i32> = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let found: Vec<i32> = households(scope)
        .select_only()
        .column(tables::households::Column::Id)
        .filter(tables::households::Column::Id.is_in(wanted.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    if found.len() != wanted.len() {
        return Err(AppError::not_found("household"));
    }
    Ok(wanted.into_iter().map(|i| Scoped(HouseholdId(i))).collect())
}

/// The visit, if its household is inside the scope.
pub async fn visit(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Scoped<VisitId>> {
    exists(conn, visits(scope), tables::visits::Column::Id, id, "visit").await?;
    Ok(Scoped(VisitId(id)))
}

/// The commitment, if its household is inside the scope.
pub async fn commitment(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Scoped<CommitmentId>> {
    exists(
        conn,
        commitments(scope),
        tables::commitments::Column::Id,
        id,
        "commitment",
    )
    .await?;
    Ok(Scoped(CommitmentId(id)))
}

/// The grievance, if one of its signers is inside the scope.
pub async fn grievance(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Scoped<GrievanceId>> {
    exists(
        conn,
        grievances(scope),
        tables::grievances::Column::Id,
        id,
        "grievance",
    )
    .await?;
    Ok(Scoped(GrievanceId(id)))
}

/// Every parcel inside the scope (area-bound rows: their commune and project), retired ones
/// included: what an id may name.
pub fn parcels_any(scope: &Scope) -> Select<parcels::Entity> {
    parcels::Entity::find().filter(scope.area_condition(
        (parcels::Entity, parcels::Column::CommuneId),
        (parcels::Entity, parcels::Column::ProjectId),
    ))
}

/// The current parcels inside the scope: what maps, lists, exports and counts show. A parcel
/// a split or merge replaced is reached only by its id (`parcels_any`).
pub fn parcels(scope: &Scope) -> Select<parcels::Entity> {
    parcels_any(scope).filter(parcels::Column::RetiredAt.is_null())
}

/// The parcel, if inside the scope (a write that names a parcel checks it here first; a
/// retired parcel passes, and the write says it is retired).
pub async fn parcel(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Scoped<ParcelId>> {
    exists(conn, parcels_any(scope), parcels::Column::Id, id, "parcel").await?;
    Ok(Scoped(ParcelId(id)))
}

/// The parcel, if current (not retired) and inside the scope: what a household may be
/// linked to.
pub async fn current_parcel(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<Scoped<ParcelId>> {
    exists(conn, parcels(scope), parcels::Column::Id, id, "parcel").await?;
    Ok(Scoped(ParcelId(id)))
}

/// A parcel the caller made itself in this request from parcels in its scope (a split or
/// merge keeps the commune and project).
pub fn made_parcel(id: i32) -> Scoped<ParcelId> {
    Scoped(ParcelId(id))
}

/// How many households hold any of these parcels (a split or merge preview).
pub async fn holders_of(
    conn: &impl ConnectionTrait,
    parcels: &[Scoped<ParcelId>],
) -> AppResult<usize> {
    use tables::household_parcels::{Column as HP, Entity};
    let ids: Vec<i32> = Entity::find()
        .select_only()
        .column(HP::HouseholdId)
        .distinct()
        .filter(HP::ParcelId.is_in(parcels.iter().map(|p| p.id())))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.len())
}

/// The households inside the scope holding any of these parcels.
pub async fn households_holding(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    parcel_ids: &[i32],
) -> AppResult<std::collections::HashSet<i32>> {
    use tables::household_parcels::Column as HP;
    let mut out = std::collections::HashSet::new();
    for chunk in parcel_ids.chunks(500) {
        let ids: Vec<i32> = household_parcels(scope)
            .select_only()
            .column(HP::HouseholdId)
            .filter(HP::ParcelId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(ids);
    }
    Ok(out)
}

/// A household id the caller made itself in this request (a row it has just inserted
/// inside its scope, or the CLI's operator, whose scope is everything).
pub fn inserted_household(
    scope: &Scope,
    project_id: i32,
    commune_id: i32,
    id: i32,
) -> AppResult<Scoped<HouseholdId>> {
    if scope.allows(project_id, commune_id) {
        Ok(Scoped(HouseholdId(id)))
    } else {
        Err(AppError::not_found("household"))
    }
}

// ---- facts across scopes that name nobody ------------------------------------------------

/// Whether the project already has a household with this code (codes are unique per project,
/// whoever can see the other household).
pub async fn household_code_taken(
    conn: &impl ConnectionTrait,
    project_id: i32,
    code: &str,
) -> AppResult<bool> {
    let n = tables::households::Entity::find()
        .filter(tables::households::Column::ProjectId.eq(project_id))
        .filter(tables::households::Column::Code.eq(code))
        .count(conn)
        .await?;
    Ok(n > 0)
}

/// Which of these parcels already have an owner (a new holder becomes a co-user).
pub async fn parcels_with_owner(
    conn: &impl ConnectionTrait,
    parcel_ids: &[i32],
) -> AppResult<std::collections::HashSet<i32>> {
    let ids: Vec<i32> = tables::household_parcels::Entity::find()
        .select_only()
        .column(tables::household_parcels::Column::ParcelId)
        .filter(tables::household_parcels::Column::ParcelId.is_in(parcel_ids.iter().copied()))
        .filter(tables::household_parcels::Column::Role.eq("owner"))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Adds holdings to a household the caller may write.
pub async fn insert_holdings(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
    rows: Vec<(Scoped<ParcelId>, f64, &'static str)>,
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let models =
        rows.into_iter().map(
            |(parcel, share, role)| tables::household_parcels::ActiveModel {
                household_id: sea_orm::Set(household.id()),
                parcel_id: sea_orm::Set(parcel.id()),
                share: sea_orm::Set(share),
                role: sea_orm::Set(role.to_string()),
            },
        );
    tables::household_parcels::Entity::insert_many(models)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A split or merge: every household holding one of `from` holds each of `to` instead, with
/// the share and role it had (the first holding of a household wins when it held several).
/// Returns the households moved. Holdings are facts about parcels the writer has in scope.
pub async fn move_holdings(
    conn: &impl ConnectionTrait,
    from: &[Scoped<ParcelId>],
    to: &[Scoped<ParcelId>],
) -> AppResult<Vec<i32>> {
    use tables::household_parcels::{Column as HP, Entity};
    let from_ids: Vec<i32> = from.iter().map(|p| p.id()).collect();
    let held = Entity::find()
        .filter(HP::ParcelId.is_in(from_ids.iter().copied()))
        .order_by_asc(HP::ParcelId)
        .order_by_asc(HP::HouseholdId)
        .all(conn)
        .await?;
    let mut seen = std::collections::HashSet::new();
    let kept: Vec<_> = held
        .into_iter()
        .filter(|h| seen.insert(h.household_id))
        .collect();
    Entity::delete_many()
        .filter(HP::ParcelId.is_in(from_ids))
        .exec(conn)
        .await?;
    let models: Vec<_> = to
        .iter()
        .flat_map(|p| {
            kept.iter()
                .map(move |h| tables::household_parcels::ActiveModel {
                    household_id: sea_orm::Set(h.household_id),
                    parcel_id: sea_orm::Set(p.id()),
                    share: sea_orm::Set(h.share),
                    role: sea_orm::Set(h.role.clone()),
                })
        })
        .collect();
    if !models.is_empty() {
        Entity::insert_many(models)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(kept.into_iter().map(|h| h.household_id).collect())
}

mod field_grievances;
pub use field_grievances::*;
mod loads;
pub mod rows;
pub use loads::*;

mod alerts;
pub use alerts::*;

mod exports;
pub use exports::*;

mod parcel_panel;
pub use parcel_panel::*;

mod casework;
pub use casework::*;

mod desk;
pub use desk::*;
mod project_of;
pub use project_of::*;
mod household_edits;
pub use household_edits::*;

mod bulk_stages;
pub use bulk_stages::*;

mod privacy;
pub use privacy::*;
