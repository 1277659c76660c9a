//! Builders the alerts and the period reports need on top of the general ones: a table of
//! household rows read through its household (the scope checked once, on the household, so
//! the indexed shapes of the alert streams stay as they are), area-bound rows, the commune of
//! a grievance's first signer, and the hot-spot rules, which look at a whole project across
//! areas (what they store is read back through the scope).
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use super::{condition, tables, Personal};
use crate::auth::Scope;
use crate::domain::GrievanceStatus;

/// `alias.column`, for sea-query.
pub fn column(alias: &'static str, name: &'static str) -> (Alias, Alias) {
    (Alias::new(alias), Alias::new(name))
}

fn col(alias: &'static str, name: &'static str) -> Expr {
    Expr::col(column(alias, name))
}

/// A subquery as an expression (`(SELECT …)`).
pub fn subquery(stmt: SelectStatement) -> SimpleExpr {
    SimpleExpr::SubQuery(None, Box::new(stmt.into_sub_query_statement()))
}

impl Personal {
    /// Whether the table's rows belong to a household through a `household_id` column.
    fn belongs_to_household(self) -> bool {
        matches!(
            self,
            Personal::HouseholdParcels
                | Personal::Visits
                | Personal::Commitments
                | Personal::NextVisitAssignments
                | Personal::GrievanceHouseholds
                | Personal::CaseStageEvents
                | Personal::CompensationPlans
                | Personal::Payments
        )
    }
}

/// `SELECT … FROM table AS alias <kind> households AS household ON household.id =
/// alias.household_id AND <household inside the scope>`: a row of a household's table is
/// inside the scope exactly when its household is, so the scope is checked once, on the
/// household (the shape the alert indexes were made for). `kind` is an inner join (or the
/// dialect's loop-order join); a table without `household_id` also gets its own condition.
pub fn select_through_household(
    scope: &Scope,
    table: Personal,
    alias: &'static str,
    kind: JoinType,
    household: &'static str,
) -> SelectStatement {
    let mut stmt = Query::select()
        .from_as(table.table(), Alias::new(alias))
        .to_owned();
    let link = if table.belongs_to_household() {
        col(household, "id").equals(column(alias, "household_id"))
    } else {
        stmt.cond_where(condition(scope, table, alias));
        col(household, "id").equals(column(alias, "id"))
    };
    stmt.join_as(
        kind,
        Personal::Households.table(),
        Alias::new(household),
        Condition::all()
            .add(link)
            .add(condition(scope, Personal::Households, household)),
    );
    stmt
}

/// `SELECT … FROM grievances AS alias <join> households AS household ON household.id =
/// <signer> AND <household inside the scope>`: a grievance shown under one of its signers
/// (`signer`, e.g. the first one inside the scope and the commune filter). A grievance is
/// inside an area exactly when one of its signers' households is, so for a limited scope the
/// join is an inner one and checks the scope once, on that household — instead of listing
/// every household of the area for each query. A project-bound scope keeps its condition on
/// the grievance's own project. `keep_unsigned`: with an unlimited scope, a left join (a
/// grievance without a signer still shows, with a null household).
pub fn grievances_under_signer(
    scope: &Scope,
    alias: &'static str,
    household: &'static str,
    signer: SimpleExpr,
    keep_unsigned: bool,
) -> SelectStatement {
    let mut stmt = Query::select()
        .from_as(Personal::Grievances.table(), Alias::new(alias))
        .to_owned();
    if scope.project_id().is_some() {
        stmt.cond_where(condition(scope, Personal::Grievances, alias));
    }
    let kind = if keep_unsigned && scope.is_everything() {
        JoinType::LeftJoin
    } else {
        JoinType::InnerJoin
    };
    stmt.join_as(
        kind,
        Personal::Households.table(),
        Alias::new(household),
        Condition::all()
            .add(col(household, "id").eq(signer))
            .add(condition(scope, Personal::Households, household)),
    );
    stmt
}

/// Rows of an area-bound table (parcels, hot spots, land-use events: a `commune_id` and a
/// `project_id` column) inside the scope.
pub fn area_rows(scope: &Scope, alias: &'static str) -> Condition {
    scope.area_condition(column(alias, "commune_id"), column(alias, "project_id"))
}

/// `(SELECT MIN(h.commune_id) FROM grievance_households gh JOIN households h … WHERE
/// gh.grievance_id = <grievance>.id)`: the commune a grievance counts for, whoever may see
/// its signers (a commune names nobody).
pub fn first_signer_commune(grievance: &'static str) -> SimpleExpr {
    let stmt = Query::select()
        .expr(Func::min(col("fs_h", "commune_id")))
        .from_as(Personal::GrievanceHouseholds.table(), Alias::new("fs_gh"))
        .join_as(
            JoinType::InnerJoin,
            Personal::Households.table(),
            Alias::new("fs_h"),
            col("fs_h", "id").equals(column("fs_gh", "household_id")),
        )
        .and_where(col("fs_gh", "grievance_id").equals(column(grievance, "id")))
        .to_owned();
    subquery(stmt)
}

// ---- hot-spot rules: a project's grievances across areas --------------------------------

fn open_statuses() -> Vec<&'static str> {
    GrievanceStatus::OPEN.iter().map(|s| s.as_str()).collect()
}

/// Open grievances of a project with their signers (`grievances g`, `grievance_households
/// gh`, `households h`).
fn open_grievances_with_signers(project_id: i32) -> SelectStatement {
    Query::select()
        .from_as(Personal::Grievances.table(), Alias::new("g"))
        .join_as(
            JoinType::InnerJoin,
            Personal::GrievanceHouseholds.table(),
            Alias::new("gh"),
            col("gh", "grievance_id").equals(column("g", "id")),
        )
        .join_as(
            JoinType::InnerJoin,
            Personal::Households.table(),
            Alias::new("h"),
            col("h", "id").equals(column("gh", "household_id")),
        )
        .and_where(col("g", "project_id").eq(project_id))
        .and_where(col("g", "status").is_in(open_statuses()))
        .to_owned()
}

/// An open grievance, its number of signer rows and written signers, and its first signer.
#[derive(Debug, FromQueryResult)]
pub struct SignersRow {
    pub id: i32,
    pub n: i64,
    pub signers: Option<i64>,
    pub commune_id: Option<i32>,
    pub household_id: Option<i32>,
    /// When it was received (the hot spot's age runs from it).
    pub received_on: Option<chrono::NaiveDate>,
}

/// The open grievances of a project with how many households signed them.
pub async fn hot_spot_signers(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<SignersRow>, DbErr> {
    let mut stmt = open_grievances_with_signers(project_id);
    stmt.expr_as(col("g", "id"), Alias::new("id"))
        .expr_as(Func::count(col("gh", "household_id")), Alias::new("n"))
        .expr_as(
            Func::cast_as(Func::max(col("g", "signers")), Alias::new("BIGINT")),
            Alias::new("signers"),
        )
        .expr_as(Func::min(col("h", "commune_id")), Alias::new("commune_id"))
        .expr_as(
            Func::min(col("gh", "household_id")),
            Alias::new("household_id"),
        )
        .expr_as(
            Func::max(col("g", "received_on")),
            Alias::new("received_on"),
        )
        .group_by_col(column("g", "id"));
    SignersRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await
}

/// A signer of an open grievance and the decided grievance it filed before, if any.
#[derive(Debug, FromQueryResult)]
pub struct RepeatRow {
    pub grievance_id: i32,
    pub household_id: i32,
    pub commune_id: i32,
    pub previous: Option<i32>,
    /// When the repeat filing was received.
    pub received_on: chrono::NaiveDate,
}

/// Every signer of the project's open grievances, with the last decided grievance the same
/// household filed before (received and decided by the time the open one was received).
pub async fn hot_spot_repeats(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<RepeatRow>, DbErr> {
    let decided = [GrievanceStatus::Resolved, GrievanceStatus::Rejected]
        .map(super::super::domain::GrievanceStatus::as_str);
    let previous = Query::select()
        .expr(Func::max(col("g0", "id")))
        .from_as(Personal::GrievanceHouseholds.table(), Alias::new("gh0"))
        .join_as(
            JoinType::InnerJoin,
            Personal::Grievances.table(),
            Alias::new("g0"),
            col("g0", "id").equals(column("gh0", "grievance_id")),
        )
        .and_where(col("gh0", "household_id").equals(column("gh", "household_id")))
        .and_where(col("g0", "id").ne(col("g", "id")))
        .and_where(col("g0", "project_id").equals(column("g", "project_id")))
        .and_where(col("g0", "status").is_in(decided))
        .and_where(col("g0", "received_on").lte(col("g", "received_on")))
        .cond_where(
            Condition::any()
                .add(col("g0", "resolved_on").is_null())
                .add(col("g0", "resolved_on").lte(col("g", "received_on"))),
        )
        .to_owned();
    let mut stmt = open_grievances_with_signers(project_id);
    stmt.expr_as(col("g", "id"), Alias::new("grievance_id"))
        .expr_as(col("gh", "household_id"), Alias::new("household_id"))
        .expr_as(col("h", "commune_id"), Alias::new("commune_id"))
        .expr_as(subquery(previous), Alias::new("previous"))
        .expr_as(col("g", "received_on"), Alias::new("received_on"))
        .order_by(column("g", "id"), Order::Asc)
        .order_by(column("gh", "household_id"), Order::Asc);
    RepeatRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await
}

/// A commune and its number of open grievances.
#[derive(Debug, FromQueryResult)]
pub struct CommuneOpenRow {
    pub commune_id: i32,
    pub n: i64,
    /// The latest of those grievances received (the commune is over the threshold since then
    /// at least).
    pub latest: Option<chrono::NaiveDate>,
}

/// Communes with more than `threshold` open grievances of the project.
pub async fn hot_spot_communes(
    conn: &impl ConnectionTrait,
    project_id: i32,
    threshold: i64,
) -> Result<Vec<CommuneOpenRow>, DbErr> {
    let mut stmt = open_grievances_with_signers(project_id);
    stmt.expr_as(col("h", "commune_id"), Alias::new("commune_id"))
        .expr_as(Func::count_distinct(col("g", "id")), Alias::new("n"))
        .expr_as(Func::max(col("g", "received_on")), Alias::new("latest"))
        .group_by_col(column("h", "commune_id"))
        .and_having(Func::count_distinct(col("g", "id")).gt(threshold));
    CommuneOpenRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await
}

/// Open second-round grievances of the project and the grievance each follows.
pub async fn open_second_rounds(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<(i32, i32)>, DbErr> {
    tables::grievances::Entity::find()
        .select_only()
        .column(tables::grievances::Column::Id)
        .column(tables::grievances::Column::ParentId)
        .filter(tables::grievances::Column::ProjectId.eq(project_id))
        .filter(tables::grievances::Column::ParentId.is_not_null())
        .filter(tables::grievances::Column::Status.is_in(open_statuses()))
        .into_tuple()
        .all(conn)
        .await
}

/// A typed NULL (`CAST(NULL AS type)`), for a column a query fills only in some rows.
pub fn null_of(ty: &'static str) -> SimpleExpr {
    Func::cast_as(
        SimpleExpr::Keyword(sea_orm::sea_query::Keyword::Null),
        Alias::new(ty),
    )
    .into()
}
