//! Small helpers for the raw SQL some queries need: `$n` placeholders work on both SQLite and
//! PostgreSQL, so conditions are collected here with their values in order.
use sea_orm::Value;

/// SQL conditions joined by AND, with their bound values.
#[deprecated(note = "build the query with sea-query (crate::scoped for personal data)")]
pub struct Conditions {
    conds: Vec<String>,
    values: Vec<Value>,
}

#[allow(deprecated)]
impl Conditions {
    /// Starts with a first condition (usually the area scope).
    pub fn new(first: String) -> Self {
        Conditions {
            conds: vec![first],
            values: Vec::new(),
        }
    }

    /// Adds a value and returns its placeholder.
    pub fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    pub fn push(&mut self, cond: String) {
        self.conds.push(cond);
    }

    pub fn sql(&self) -> String {
        self.conds.join(" AND ")
    }

    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

/// `{column}` is the unit with the admin-unit code bound at `placeholder`, or a pre-2025 unit
/// merged into a unit with that code: old records still report under the new commune.
#[deprecated(note = "communes are named by id (a pre-2025 and a post-2025 unit can share a code)")]
pub fn commune_code_condition(column: &str, placeholder: &str) -> String {
    format!(
        "{column} IN (SELECT cu.id FROM admin_units cu LEFT JOIN admin_units cs ON cs.id = cu.successor_id \
         WHERE cu.code = {placeholder} OR cs.code = {placeholder})"
    )
}

#[cfg(test)]
#[allow(deprecated)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut c = Conditions::new("1=1".into());
        let a = c.bind(5);
        let b = c.bind("x");
        c.push(format!("a = {a} AND b = {b}"));
        assert_eq!(c.sql(), "1=1 AND a = $1 AND b = $2");
        assert_eq!(c.into_values().len(), 2);
        assert!(
            commune_code_condition("p.commune_id", "$3").contains("cu.code = $3 OR cs.code = $3")
        );
    }
}
