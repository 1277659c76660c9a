//! The area scope: which rows a principal may see. Every query for personal data takes a
//! `&Scope`, so forgetting to scope a query does not compile.
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

/// What a principal may see.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// Administrators and province-wide leaders.
    All,
    /// Members and district leaders: the admin units (commune ids) their groups cover,
    /// including the pre-2025 communes merged into a covered unit.
    Communes(Arc<Vec<i32>>),
    /// A project board's token: one project, no personal data.
    Project(i32),
}

impl Scope {
    pub fn communes(&self) -> Option<&[i32]> {
        match self {
            Scope::Communes(ids) => Some(ids),
            _ => None,
        }
    }

    pub fn project(&self) -> Option<i32> {
        match self {
            Scope::Project(id) => Some(*id),
            _ => None,
        }
    }

    pub fn allows(&self, project_id: i32, commune_id: i32) -> bool {
        match self {
            Scope::All => true,
            Scope::Communes(ids) => ids.contains(&commune_id),
            Scope::Project(p) => *p == project_id,
        }
    }

    /// An SQL condition on `{alias}.commune_id` / `{alias}.project_id` for this scope, with
    /// ids inlined (they come from the database, never from the request).
    pub fn sql_condition(&self, alias: &str) -> String {
        match self {
            Scope::All => "1=1".to_string(),
            Scope::Communes(ids) if ids.is_empty() => "1=0".to_string(),
            Scope::Communes(ids) => {
                let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                format!("{alias}.commune_id IN ({})", list.join(","))
            }
            Scope::Project(p) => format!("{alias}.project_id = {p}"),
        }
    }
}

#[derive(FromQueryResult)]
struct IdRow {
    id: i32,
}

/// The working groups of a user and the communes they cover (expanded to the units merged
/// into them and the communes of a covered district).
pub async fn load_member_scope(
    conn: &impl ConnectionTrait,
    user_id: i32,
) -> Result<(Vec<i32>, Vec<i32>), DbErr> {
    let backend = conn.get_database_backend();
    let groups: Vec<i32> = IdRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT working_group_id AS id FROM working_group_members WHERE user_id = $1 \
         UNION SELECT id FROM working_groups WHERE leader_id = $1",
        [Value::from(user_id)],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect();
    if groups.is_empty() {
        return Ok((groups, Vec::new()));
    }
    let list: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let direct = format!(
        "SELECT admin_unit_id FROM working_group_areas WHERE working_group_id IN ({})",
        list.join(",")
    );
    let sql = format!(
        "SELECT id FROM admin_units WHERE id IN ({direct}) \
         OR successor_id IN ({direct}) OR parent_id IN ({direct})"
    );
    let mut communes: Vec<i32> = IdRow::find_by_statement(Statement::from_string(backend, sql))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    communes.sort_unstable();
    communes.dedup();
    Ok((groups, communes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_conditions() {
        assert_eq!(Scope::All.sql_condition("h"), "1=1");
        assert_eq!(Scope::Communes(Arc::new(vec![])).sql_condition("h"), "1=0");
        assert_eq!(
            Scope::Communes(Arc::new(vec![3, 4])).sql_condition("h"),
            "h.commune_id IN (3,4)"
        );
        assert_eq!(Scope::Project(7).sql_condition("p"), "p.project_id = 7");
        assert!(Scope::Communes(Arc::new(vec![3])).allows(1, 3));
        assert!(!Scope::Communes(Arc::new(vec![3])).allows(1, 4));
        assert!(!Scope::Project(2).allows(1, 3));
    }
}
