//! Rows read by more than one resource, defined once: a household as the lists show it (its
//! project's code and its commune) is read by the households list and the field work list.
use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, JoinType, SelectStatement};
use sea_orm::FromQueryResult;

use super::{select_from, tables, Personal};
use crate::auth::Scope;
use crate::domain::Stance;
use crate::entities::{admin_units, projects};

/// A household with its project's code and its commune.
#[derive(Clone, Debug, FromQueryResult)]
pub struct HouseholdRow {
    pub id: i32,
    pub project_id: i32,
    pub project_code: String,
    pub code: String,
    pub head_name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    pub commune_id: i32,
    pub commune_code: String,
    pub commune_name: String,
    /// JSON: `[{"name", "relation", "birth_year"}]`.
    pub members: String,
    /// JSON: a list of flags.
    pub vulnerable: String,
    pub split_from_id: Option<i32>,
    pub stance: Option<Stance>,
    pub last_visit_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    /// Bumped by every edit (`If-Match`).
    pub version: i32,
    /// The project's notice date (the cut-off for splits).
    pub project_notice_date: Option<chrono::NaiveDate>,
}

impl HouseholdRow {
    /// The alias of the households table in [`HouseholdRow::select`].
    pub const ALIAS: &'static str = "h";

    /// `SELECT <the row> FROM households AS h JOIN projects JOIN admin_units WHERE <inside the
    /// scope>`: add filters, columns and order on `h`.
    pub fn select(scope: &Scope) -> SelectStatement {
        use tables::households::Column as H;
        let (h, p, u) = (Alias::new(Self::ALIAS), Alias::new("p"), Alias::new("u"));
        let mut stmt = select_from(scope, Personal::Households, Self::ALIAS);
        stmt.columns([
            (h.clone(), H::Id),
            (h.clone(), H::ProjectId),
            (h.clone(), H::Code),
            (h.clone(), H::HeadName),
            (h.clone(), H::IdNumber),
            (h.clone(), H::Phone),
            (h.clone(), H::Address),
            (h.clone(), H::CommuneId),
            (h.clone(), H::Members),
            (h.clone(), H::Vulnerable),
            (h.clone(), H::SplitFromId),
            (h.clone(), H::Stance),
            (h.clone(), H::LastVisitAt),
            (h.clone(), H::CreatedAt),
            (h.clone(), H::Version),
        ])
        .expr_as(
            Expr::col((p.clone(), projects::Column::Code)),
            Alias::new("project_code"),
        )
        .expr_as(
            Expr::col((p.clone(), projects::Column::NoticeDate)),
            Alias::new("project_notice_date"),
        )
        .expr_as(
            Expr::col((u.clone(), admin_units::Column::Code)),
            Alias::new("commune_code"),
        )
        .expr_as(
            Expr::col((u.clone(), admin_units::Column::Name)),
            Alias::new("commune_name"),
        )
        .join_as(
            JoinType::InnerJoin,
            projects::Entity,
            p.clone(),
            Expr::col((p, projects::Column::Id)).equals((h.clone(), H::ProjectId)),
        )
        .join_as(
            JoinType::InnerJoin,
            admin_units::Entity,
            u.clone(),
            Expr::col((u, admin_units::Column::Id)).equals((h, H::CommuneId)),
        );
        stmt
    }

    /// The members as JSON (an empty list if the stored text is not JSON).
    pub fn members_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.members).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::SqliteQueryBuilder;

    #[test]
    fn the_household_row_is_read_inside_the_scope() {
        let sql = HouseholdRow::select(&Scope::for_tests_communes(vec![3, 4]))
            .to_string(SqliteQueryBuilder);
        assert!(sql.contains(r#"FROM "households" AS "h""#), "{sql}");
        assert!(sql.contains(r#""h"."commune_id" IN (3, 4)"#), "{sql}");
        let sql = HouseholdRow::select(&Scope::public()).to_string(SqliteQueryBuilder);
        assert!(sql.contains("1 = 0"), "{sql}");
    }
}
