//! The area scope: which rows a principal may see. Only `auth` builds one (from a session, a
//! token, or the named scopes of the CLI and the public page); everything else can only read
//! it and hand it to `crate::scoped`, the one module that turns it into SQL.
use std::sync::Arc;

use sea_orm::sea_query::{Condition, Expr, IntoColumnRef};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::{admin_units, working_group_areas, working_group_members, working_groups};

/// What a principal may see. Opaque: there is no public constructor outside `auth`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope(Reach);

#[derive(Clone, Debug, PartialEq)]
enum Reach {
    /// Administrators, province-wide leaders and the operator on the command line.
    All,
    /// Members and district leaders: the admin units (commune ids) their groups cover,
    /// including the pre-2025 communes merged into a covered unit.
    Communes(Arc<Vec<i32>>),
    /// A project board's token: one project, no personal data.
    Project(i32),
    /// The public project page: aggregates only, never a personal row.
    Public,
}

impl Scope {
    /// Everything (admins, province leaders).
    pub(super) fn all() -> Self {
        Scope(Reach::All)
    }

    /// The communes a member's or district leader's groups cover.
    pub(super) fn communes(ids: Vec<i32>) -> Self {
        Scope(Reach::Communes(Arc::new(ids)))
    }

    /// One project's board (API token).
    pub(super) fn project(id: i32) -> Self {
        Scope(Reach::Project(id))
    }

    /// The operator on the command line (import, export, report, demo): the whole database,
    /// as the person who holds the database file already has it.
    pub fn cli() -> Self {
        Scope(Reach::All)
    }

    /// The public page: aggregates only; every personal-data builder returns no row.
    pub fn public() -> Self {
        Scope(Reach::Public)
    }

    /// Scopes for unit tests of the query layer.
    #[cfg(test)]
    pub fn for_tests_communes(ids: Vec<i32>) -> Self {
        Self::communes(ids)
    }

    /// Scopes for unit tests of the query layer.
    #[cfg(test)]
    pub fn for_tests_project(id: i32) -> Self {
        Self::project(id)
    }

    /// The communes this scope is limited to, if it is limited to communes.
    pub fn commune_ids(&self) -> Option<&[i32]> {
        match &self.0 {
            Reach::Communes(ids) => Some(ids),
            _ => None,
        }
    }

    /// The one project a project board's token is limited to.
    pub fn project_id(&self) -> Option<i32> {
        match self.0 {
            Reach::Project(id) => Some(id),
            _ => None,
        }
    }

    /// No limit at all (admins, province leaders, the CLI).
    pub fn is_everything(&self) -> bool {
        matches!(self.0, Reach::All)
    }

    /// Whether rows naming people (households, visits, grievances…) may be shown at all.
    pub fn sees_personal_data(&self) -> bool {
        matches!(self.0, Reach::All | Reach::Communes(_))
    }

    /// Whether a row of `project_id` in `commune_id` is inside the scope.
    pub fn allows(&self, project_id: i32, commune_id: i32) -> bool {
        match &self.0 {
            Reach::All => true,
            Reach::Communes(ids) => ids.contains(&commune_id),
            Reach::Project(p) => *p == project_id,
            Reach::Public => false,
        }
    }

    /// Whether any row of `project_id` can be inside the scope (the project itself is visible).
    pub fn allows_project(&self, project_id: i32) -> bool {
        match &self.0 {
            Reach::Project(p) => *p == project_id,
            Reach::All | Reach::Communes(_) | Reach::Public => true,
        }
    }

    /// The condition "this row is inside the scope" on a row's commune and project columns.
    /// Ids are bound as values, never spliced as text.
    pub(crate) fn area_condition(
        &self,
        commune: impl IntoColumnRef,
        project: impl IntoColumnRef,
    ) -> Condition {
        match &self.0 {
            Reach::All => Condition::all(),
            Reach::Communes(ids) if ids.is_empty() => never(),
            Reach::Communes(ids) => {
                Condition::all().add(Expr::col(commune).is_in(ids.iter().copied()))
            }
            Reach::Project(p) => Condition::all().add(Expr::col(project).eq(*p)),
            Reach::Public => never(),
        }
    }
}

impl Scope {
    /// The old text condition on `{alias}.commune_id` / `{alias}.project_id`; being replaced by
    /// the builders of `crate::scoped` (deprecated so that each use left shows as a warning).
    #[deprecated(note = "build the query through crate::scoped")]
    pub fn sql_condition(&self, alias: &str) -> String {
        match &self.0 {
            Reach::All => "1=1".to_string(),
            Reach::Communes(ids) if ids.is_empty() => "1=0".to_string(),
            Reach::Communes(ids) => {
                let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
                format!("{alias}.commune_id IN ({})", list.join(","))
            }
            Reach::Project(p) => format!("{alias}.project_id = {p}"),
            Reach::Public => "1=0".to_string(),
        }
    }
}

/// A condition no row meets (an empty `IN` list is not valid SQL everywhere).
fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

/// The working groups of a user and the communes they cover (expanded to the units merged
/// into them and the communes of a covered district).
pub async fn load_member_scope(
    conn: &impl ConnectionTrait,
    user_id: i32,
) -> Result<(Vec<i32>, Vec<i32>), DbErr> {
    let mut groups: Vec<i32> = working_group_members::Entity::find()
        .select_only()
        .column(working_group_members::Column::WorkingGroupId)
        .filter(working_group_members::Column::UserId.eq(user_id))
        .into_tuple()
        .all(conn)
        .await?;
    let led: Vec<i32> = working_groups::Entity::find()
        .select_only()
        .column(working_groups::Column::Id)
        .filter(working_groups::Column::LeaderId.eq(user_id))
        .into_tuple()
        .all(conn)
        .await?;
    groups.extend(led);
    groups.sort_unstable();
    groups.dedup();
    if groups.is_empty() {
        return Ok((groups, Vec::new()));
    }
    let direct: Vec<i32> = working_group_areas::Entity::find()
        .select_only()
        .column(working_group_areas::Column::AdminUnitId)
        .filter(working_group_areas::Column::WorkingGroupId.is_in(groups.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut communes: Vec<i32> = admin_units::Entity::find()
        .select_only()
        .column(admin_units::Column::Id)
        .filter(
            Condition::any()
                .add(admin_units::Column::Id.is_in(direct.clone()))
                .add(admin_units::Column::SuccessorId.is_in(direct.clone()))
                .add(admin_units::Column::ParentId.is_in(direct)),
        )
        .into_tuple()
        .all(conn)
        .await?;
    communes.sort_unstable();
    communes.dedup();
    Ok((groups, communes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Query, SqliteQueryBuilder};

    fn sql(scope: &Scope) -> String {
        Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("t"))
            .cond_where(scope.area_condition(
                (Alias::new("t"), Alias::new("commune_id")),
                (Alias::new("t"), Alias::new("project_id")),
            ))
            .to_string(SqliteQueryBuilder)
    }

    #[test]
    fn scope_conditions() {
        let all = sql(&Scope::all());
        assert!(
            !all.contains("commune_id") && !all.contains("project_id"),
            "{all}"
        );
        assert!(sql(&Scope::communes(vec![])).ends_with("WHERE 1 = 0"));
        assert!(sql(&Scope::communes(vec![3, 4])).ends_with(r#"WHERE "t"."commune_id" IN (3, 4)"#));
        assert!(sql(&Scope::project(7)).ends_with(r#"WHERE "t"."project_id" = 7"#));
        assert!(sql(&Scope::public()).ends_with("WHERE 1 = 0"));
        assert!(Scope::communes(vec![3]).allows(1, 3));
        assert!(!Scope::communes(vec![3]).allows(1, 4));
        assert!(!Scope::project(2).allows(1, 3));
        assert!(!Scope::public().sees_personal_data());
        assert!(!Scope::project(2).sees_personal_data());
    }
}
