//! Households, visits, commitments and case events (the casework of `households`, `visits`
//! and `cases`). A [`Scoped`] id has already passed the caller's scope, so the reads and
//! writes of that one row — or of the rows that hang from it — need no scope again: the id
//! is the proof. Besides these, the facts of logging a visit that cross scopes on purpose
//! (an `Idempotency-Key` names one visit whoever asks).
use sea_orm::sea_query::{
    Alias, CaseStatement, Expr, JoinType, Query, SelectStatement, SimpleExpr, UpdateStatement,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, QueryTrait, Select,
};

use super::{tables, CaseEventId, CommitmentId, HouseholdId, Personal, Scoped, VisitId};
use crate::auth::Scope;

// ---- rows of one household ----------------------------------------------------------------

/// The household itself.
pub fn household_row(h: Scoped<HouseholdId>) -> Select<tables::households::Entity> {
    tables::households::Entity::find_by_id(h.id())
}

/// Households that have each passed the scope (e.g. those a batch of visits names).
pub fn household_rows(ids: &[Scoped<HouseholdId>]) -> Select<tables::households::Entity> {
    tables::households::Entity::find()
        .filter(tables::households::Column::Id.is_in(ids.iter().map(|h| h.id())))
}

/// The visits to the household.
pub fn visits_of(h: Scoped<HouseholdId>) -> Select<tables::visits::Entity> {
    tables::visits::Entity::find().filter(tables::visits::Column::HouseholdId.eq(h.id()))
}

/// The commitments made to the household.
pub fn commitments_of(h: Scoped<HouseholdId>) -> Select<tables::commitments::Entity> {
    tables::commitments::Entity::find().filter(tables::commitments::Column::HouseholdId.eq(h.id()))
}

/// The household's parcel holdings.
pub fn household_parcels_of(h: Scoped<HouseholdId>) -> Select<tables::household_parcels::Entity> {
    tables::household_parcels::Entity::find()
        .filter(tables::household_parcels::Column::HouseholdId.eq(h.id()))
}

/// The grievances the household signed (with other households, inside the scope or not: the
/// grievance is the household's too).
pub fn grievances_signed_by(h: Scoped<HouseholdId>) -> Select<tables::grievances::Entity> {
    let signed = Query::select()
        .column(tables::grievance_households::Column::GrievanceId)
        .from(tables::grievance_households::Entity)
        .and_where(tables::grievance_households::Column::HouseholdId.eq(h.id()))
        .to_owned();
    tables::grievances::Entity::find().filter(tables::grievances::Column::Id.in_subquery(signed))
}

/// `SELECT … FROM table AS alias WHERE alias.household_id = h` (for `Households`,
/// `alias.id = h`): add columns, joins and filters.
pub fn select_of_household(
    table: Personal,
    alias: &'static str,
    h: Scoped<HouseholdId>,
) -> SelectStatement {
    let a = Alias::new(alias);
    let key = if table == Personal::Households {
        "id"
    } else {
        "household_id"
    };
    Query::select()
        .from_as(table.table(), a.clone())
        .and_where(Expr::col((a, Alias::new(key))).eq(h.id()))
        .to_owned()
}

/// `UPDATE households SET … WHERE id = h`: add values.
pub fn update_household(h: Scoped<HouseholdId>) -> UpdateStatement {
    Query::update()
        .table(tables::households::Entity)
        .and_where(tables::households::Column::Id.eq(h.id()))
        .to_owned()
}

/// `UPDATE households SET … WHERE id IN (…)`: add values, per household with
/// [`per_household`].
pub fn update_households(hs: &[Scoped<HouseholdId>]) -> UpdateStatement {
    Query::update()
        .table(tables::households::Entity)
        .and_where(tables::households::Column::Id.is_in(hs.iter().map(|h| h.id())))
        .to_owned()
}

/// `CASE id WHEN h THEN value … ELSE column END`: one value per household in one UPDATE.
pub fn per_household<V: Into<SimpleExpr>>(
    column: tables::households::Column,
    values: impl IntoIterator<Item = (Scoped<HouseholdId>, V)>,
) -> SimpleExpr {
    let mut case = CaseStatement::new();
    for (h, v) in values {
        case = case.case(tables::households::Column::Id.eq(h.id()), v);
    }
    case.finally(Expr::col(column)).into()
}

/// `UPDATE case_stage_events SET … WHERE household_id = h`: add values and filters.
pub fn update_case_stage_events_of(h: Scoped<HouseholdId>) -> UpdateStatement {
    Query::update()
        .table(tables::case_stage_events::Entity)
        .and_where(tables::case_stage_events::Column::HouseholdId.eq(h.id()))
        .to_owned()
}

/// Records a case event of the household; returns its id.
pub async fn insert_case_stage_event(
    conn: &impl ConnectionTrait,
    h: Scoped<HouseholdId>,
    mut row: tables::case_stage_events::ActiveModel,
) -> Result<Scoped<CaseEventId>, DbErr> {
    row.household_id = sea_orm::Set(h.id());
    let id = tables::case_stage_events::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id;
    Ok(Scoped(CaseEventId(id)))
}

/// The case events of a household, as `e`, with who recorded each (`u`, left joined): add
/// columns.
pub fn case_events_with_recorder(h: Scoped<HouseholdId>) -> SelectStatement {
    let mut stmt = select_of_household(Personal::CaseStageEvents, "e", h);
    stmt.join_as(
        JoinType::LeftJoin,
        crate::entities::users::Entity,
        Alias::new("u"),
        Expr::col((Alias::new("u"), crate::entities::users::Column::Id)).equals((
            Alias::new("e"),
            tables::case_stage_events::Column::RecordedBy,
        )),
    );
    stmt
}

// ---- one visit, one commitment --------------------------------------------------------------

/// The visit itself.
pub fn visit_row(v: Scoped<VisitId>) -> Select<tables::visits::Entity> {
    tables::visits::Entity::find_by_id(v.id())
}

/// The household the visit is to (inside the scope, as the visit is).
pub async fn household_of_visit(
    conn: &impl ConnectionTrait,
    v: Scoped<VisitId>,
) -> Result<Option<Scoped<HouseholdId>>, DbErr> {
    let h: Option<i32> = visit_row(v)
        .select_only()
        .column(tables::visits::Column::HouseholdId)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(h.map(|h| Scoped(HouseholdId(h))))
}

/// `UPDATE visits SET … WHERE id = v`: add values.
pub fn update_visit(v: Scoped<VisitId>) -> UpdateStatement {
    Query::update()
        .table(tables::visits::Entity)
        .and_where(tables::visits::Column::Id.eq(v.id()))
        .to_owned()
}

/// The earlier contents of the visit, as `r`: add columns and joins.
pub fn revisions_of(v: Scoped<VisitId>) -> SelectStatement {
    let r = Alias::new("r");
    Query::select()
        .from_as(Personal::VisitRevisions.table(), r.clone())
        .and_where(Expr::col((r, tables::visit_revisions::Column::VisitId)).eq(v.id()))
        .to_owned()
}

/// Keeps the content of the visit before an edit.
pub async fn insert_visit_revision(
    conn: &impl ConnectionTrait,
    v: Scoped<VisitId>,
    mut row: tables::visit_revisions::ActiveModel,
) -> Result<(), DbErr> {
    row.visit_id = sea_orm::Set(v.id());
    tables::visit_revisions::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Rows per multi-row INSERT: a visit has ~17 columns, well under the bind limits of both
/// databases.
const INSERT_CHUNK: usize = 256;

/// Inserts rows in multi-row statements and returns their ids in the rows' order. Within one
/// `INSERT … VALUES` the ids are handed out in the order of the rows (a sequence on PostgreSQL,
/// the rowid on SQLite), so the `RETURNING` ids sorted are the rows' ids in order.
async fn insert_returning_ids<A>(
    conn: &impl ConnectionTrait,
    rows: Vec<A>,
) -> Result<Vec<i32>, DbErr>
where
    A: ActiveModelTrait,
{
    let mut ids = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(INSERT_CHUNK).collect();
        let n = chunk.len();
        let mut stmt = <A::Entity as EntityTrait>::insert_many(chunk).into_query();
        stmt.returning(Query::returning().expr(Expr::col(Alias::new("id"))));
        let mut got = conn
            .query_all(conn.get_database_backend().build(&stmt))
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<i32>(0))
            .collect::<Result<Vec<i32>, DbErr>>()?;
        if got.len() != n {
            return Err(DbErr::Custom(format!(
                "{n} rows inserted, {} ids returned",
                got.len()
            )));
        }
        got.sort_unstable();
        ids.extend(got);
    }
    Ok(ids)
}

/// Logs visits, each to its household, in multi-row INSERTs; returns their ids in order.
pub async fn insert_visits(
    conn: &impl ConnectionTrait,
    rows: Vec<(Scoped<HouseholdId>, tables::visits::ActiveModel)>,
) -> Result<Vec<Scoped<VisitId>>, DbErr> {
    let rows = rows
        .into_iter()
        .map(|(h, mut row)| {
            row.household_id = sea_orm::Set(h.id());
            row
        })
        .collect();
    Ok(insert_returning_ids(conn, rows)
        .await?
        .into_iter()
        .map(|id| Scoped(VisitId(id)))
        .collect())
}

/// Records commitments, each made at a visit to its household, in multi-row INSERTs; returns
/// their ids in order.
pub async fn insert_commitments(
    conn: &impl ConnectionTrait,
    rows: Vec<(
        Scoped<HouseholdId>,
        Scoped<VisitId>,
        tables::commitments::ActiveModel,
    )>,
) -> Result<Vec<Scoped<CommitmentId>>, DbErr> {
    let rows = rows
        .into_iter()
        .map(|(h, v, mut row)| {
            row.household_id = sea_orm::Set(h.id());
            row.visit_id = sea_orm::Set(v.id());
            row
        })
        .collect();
    Ok(insert_returning_ids(conn, rows)
        .await?
        .into_iter()
        .map(|id| Scoped(CommitmentId(id)))
        .collect())
}

/// The commitment itself.
pub fn commitment_row(c: Scoped<CommitmentId>) -> Select<tables::commitments::Entity> {
    tables::commitments::Entity::find_by_id(c.id())
}

/// `UPDATE commitments SET … WHERE id = c`: add values.
pub fn update_commitment(c: Scoped<CommitmentId>) -> UpdateStatement {
    Query::update()
        .table(tables::commitments::Entity)
        .and_where(tables::commitments::Column::Id.eq(c.id()))
        .to_owned()
}

// ---- logging a visit: facts across scopes ---------------------------------------------------

/// Visits stored under these `Idempotency-Key`s, whoever logged them: a key names one visit
/// in the whole database. A replay is then read again through the caller's scope.
pub fn visits_with_client_ids(keys: Vec<String>) -> Select<tables::visits::Entity> {
    tables::visits::Entity::find().filter(tables::visits::Column::ClientId.is_in(keys))
}

/// What admitting a new visit needs to know, read in one round trip.
#[derive(Clone, Copy, Debug)]
pub struct VisitAdmission {
    /// The visit already stored under the `Idempotency-Key`, whoever logged it.
    pub existing: Option<i32>,
    /// The household with its project, when inside the caller's scope.
    pub household: Option<(Scoped<HouseholdId>, i32)>,
    /// The working group's project, when the group exists.
    pub group_project: Option<i32>,
}

#[derive(FromQueryResult)]
struct AdmissionRow {
    existing: Option<i32>,
    h_project: Option<i32>,
    g_project: Option<i32>,
}

fn subquery(stmt: SelectStatement) -> SimpleExpr {
    SimpleExpr::SubQuery(None, Box::new(stmt.into_sub_query_statement()))
}

/// The visit already stored under `key` (if any), the household's project if the household
/// is inside `scope`, and the working group's project.
pub async fn visit_admission(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household_id: i32,
    working_group_id: i32,
    key: Option<&str>,
) -> Result<VisitAdmission, DbErr> {
    use crate::entities::working_groups;
    let mut existing = Query::select()
        .column(tables::visits::Column::Id)
        .from(tables::visits::Entity)
        .to_owned();
    match key {
        Some(k) => existing.and_where(tables::visits::Column::ClientId.eq(k)),
        // No key: a condition no row meets.
        None => existing.and_where(Expr::col(tables::visits::Column::Id).is_null()),
    };
    let household = super::select_from(scope, Personal::Households, "h")
        .column((Alias::new("h"), tables::households::Column::ProjectId))
        .and_where(Expr::col((Alias::new("h"), tables::households::Column::Id)).eq(household_id))
        .to_owned();
    let group = Query::select()
        .column(working_groups::Column::ProjectId)
        .from(working_groups::Entity)
        .and_where(working_groups::Column::Id.eq(working_group_id))
        .to_owned();
    let stmt = Query::select()
        .expr_as(subquery(existing), Alias::new("existing"))
        .expr_as(subquery(household), Alias::new("h_project"))
        .expr_as(subquery(group), Alias::new("g_project"))
        .to_owned();
    let row = AdmissionRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::Custom("the admission query returned no row".into()))?;
    Ok(VisitAdmission {
        existing: row.existing,
        household: row
            .h_project
            .map(|p| (Scoped(HouseholdId(household_id)), p)),
        group_project: row.g_project,
    })
}
