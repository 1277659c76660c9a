//! Hot spots (điểm nóng), flagged by the rules of LEGAL.md with thresholds from the settings:
//! a grievance with many signers, a household filing again after a decision, a commune with more
//! than N open grievances on one project. `refresh` recomputes one project's flags and writes
//! only the difference (opens new rows, closes rows no longer flagged), so it is cheap to call
//! after every grievance write and before every read.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};
use serde_json::json;

use crate::config::Settings;

/// Grievance statuses that count as open.
pub const OPEN_STATUSES: &str = "('received','accepted')";
/// Statuses of a grievance that got a decision.
const DECIDED_STATUSES: &str = "('resolved','rejected')";

pub const MANY_SIGNERS: &str = "many_signers";
pub const REPEAT_FILING: &str = "repeat_filing";
pub const COMMUNE_OPEN: &str = "commune_open_grievances";

/// The thresholds (settings `GPMB_HOT_SPOT_SIGNERS`, `GPMB_HOT_SPOT_COMMUNE_OPEN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// A grievance signed by at least this many households.
    pub signers: i64,
    /// More than this many open grievances in one commune.
    pub commune_open: i64,
}

impl From<&Settings> for Rules {
    fn from(s: &Settings) -> Self {
        Rules {
            signers: s.hot_spot_signers,
            commune_open: s.hot_spot_commune_open,
        }
    }
}

/// One flag as the rules see it now.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub kind: &'static str,
    pub commune_id: i32,
    pub household_id: Option<i32>,
    pub grievance_id: Option<i32>,
    /// Numbers the reason is built from (`signers`, `open`, `threshold`, `previous`).
    pub detail: serde_json::Value,
}

impl Flag {
    /// What was flagged; a refresh keeps a row while its key is still flagged.
    pub fn key(&self) -> String {
        match self.kind {
            MANY_SIGNERS => format!("signers:{}", self.grievance_id.unwrap_or(0)),
            REPEAT_FILING => format!(
                "repeat:{}:{}",
                self.grievance_id.unwrap_or(0),
                self.household_id.unwrap_or(0)
            ),
            _ => format!("commune:{}", self.commune_id),
        }
    }

    /// The reason in Vietnamese, as stored (the API renders it in the language asked for).
    pub fn reason_vi(&self) -> String {
        reason(
            super::service::catalogue(crate::i18n::Lang::Vi),
            self.kind,
            &self.detail,
        )
    }
}

/// The reason of a hot spot of `kind` with `detail`, from the catalogue.
pub fn reason(cat: &crate::i18n::Catalogue, kind: &str, detail: &serde_json::Value) -> String {
    let get = |k: &str| {
        detail
            .get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let vars = [
        ("signers", get("signers")),
        ("open", get("open")),
        ("threshold", get("threshold")),
        ("previous", get("previous")),
        ("grievance", get("grievance")),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cat.fill(&format!("alerts.hot_spot.{kind}"), &vars)
}

#[derive(FromQueryResult)]
struct SignersRow {
    id: i32,
    n: i64,
    signers: Option<i64>,
    commune_id: Option<i32>,
    household_id: Option<i32>,
}

#[derive(FromQueryResult)]
struct RepeatRow {
    grievance_id: i32,
    household_id: i32,
    commune_id: i32,
    previous: Option<i32>,
}

#[derive(FromQueryResult)]
struct CommuneRow {
    commune_id: i32,
    n: i64,
}

/// Whether the grievances table has the `signers` column (added with grievance details).
async fn has_signers(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    super::service::column_exists(conn, "grievances", "signers").await
}

/// The flags the rules raise on `project_id` now.
pub async fn compute(
    conn: &impl ConnectionTrait,
    project_id: i32,
    rules: Rules,
) -> Result<Vec<Flag>, DbErr> {
    let backend = conn.get_database_backend();
    let mut flags = Vec::new();

    // A grievance with many signers: the households listed, or the count written on it.
    let signers_col = if has_signers(conn).await? {
        "CAST(MAX(g.signers) AS BIGINT)"
    } else {
        "CAST(NULL AS BIGINT)"
    };
    let sql = format!(
        "SELECT g.id, COUNT(gh.household_id) AS n, {signers_col} AS signers, \
         MIN(h.commune_id) AS commune_id, MIN(gh.household_id) AS household_id \
         FROM grievances g JOIN grievance_households gh ON gh.grievance_id = g.id \
         JOIN households h ON h.id = gh.household_id \
         WHERE g.project_id = $1 AND g.status IN {OPEN_STATUSES} GROUP BY g.id"
    );
    let rows = SignersRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [Value::from(project_id)],
    ))
    .all(conn)
    .await?;
    for r in rows {
        let n = r.n.max(r.signers.unwrap_or(0));
        if n >= rules.signers {
            if let Some(commune_id) = r.commune_id {
                flags.push(Flag {
                    kind: MANY_SIGNERS,
                    commune_id,
                    household_id: r.household_id,
                    grievance_id: Some(r.id),
                    detail: json!({"signers": n, "threshold": rules.signers, "grievance": r.id}),
                });
            }
        }
    }

    // The same household filing again after a decision (or a second-round complaint).
    let sql = format!(
        "SELECT g.id AS grievance_id, gh.household_id, h.commune_id, \
         (SELECT MAX(g0.id) FROM grievance_households gh0 JOIN grievances g0 ON g0.id = gh0.grievance_id \
           WHERE gh0.household_id = gh.household_id AND g0.id <> g.id AND g0.project_id = g.project_id \
           AND g0.status IN {DECIDED_STATUSES} AND g0.received_on <= g.received_on \
           AND (g0.resolved_on IS NULL OR g0.resolved_on <= g.received_on)) AS previous \
         FROM grievances g JOIN grievance_households gh ON gh.grievance_id = g.id \
         JOIN households h ON h.id = gh.household_id \
         WHERE g.project_id = $1 AND g.status IN {OPEN_STATUSES} ORDER BY g.id, gh.household_id"
    );
    let rows = RepeatRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [Value::from(project_id)],
    ))
    .all(conn)
    .await?;
    let parents: BTreeMap<i32, i32> = parents_of(conn, project_id).await?;
    for r in rows {
        let previous = r.previous.or_else(|| parents.get(&r.grievance_id).copied());
        if let Some(previous) = previous {
            flags.push(Flag {
                kind: REPEAT_FILING,
                commune_id: r.commune_id,
                household_id: Some(r.household_id),
                grievance_id: Some(r.grievance_id),
                detail: json!({"previous": previous, "grievance": r.grievance_id}),
            });
        }
    }

    // A commune with more than N open grievances on this project.
    let sql = format!(
        "SELECT h.commune_id, COUNT(DISTINCT g.id) AS n FROM grievances g \
         JOIN grievance_households gh ON gh.grievance_id = g.id JOIN households h ON h.id = gh.household_id \
         WHERE g.project_id = $1 AND g.status IN {OPEN_STATUSES} GROUP BY h.commune_id \
         HAVING COUNT(DISTINCT g.id) > $2"
    );
    let rows = CommuneRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [Value::from(project_id), Value::from(rules.commune_open)],
    ))
    .all(conn)
    .await?;
    for r in rows {
        flags.push(Flag {
            kind: COMMUNE_OPEN,
            commune_id: r.commune_id,
            household_id: None,
            grievance_id: None,
            detail: json!({"open": r.n, "threshold": rules.commune_open}),
        });
    }
    Ok(flags)
}

#[derive(FromQueryResult)]
struct ParentRow {
    id: i32,
    parent_id: i32,
}

/// Open second-round grievances and the grievance they follow.
async fn parents_of(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<BTreeMap<i32, i32>, DbErr> {
    let sql = format!(
        "SELECT id, parent_id FROM grievances WHERE project_id = $1 AND parent_id IS NOT NULL \
         AND status IN {OPEN_STATUSES}"
    );
    Ok(ParentRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [Value::from(project_id)],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|r| (r.id, r.parent_id))
    .collect())
}

#[derive(FromQueryResult)]
struct OpenRow {
    id: i32,
    flag_key: String,
    detail: String,
}

async fn open_rows(conn: &impl ConnectionTrait, project_id: i32) -> Result<Vec<OpenRow>, DbErr> {
    OpenRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT id, flag_key, detail FROM hot_spots WHERE project_id = $1 AND resolved_on IS NULL",
        [Value::from(project_id)],
    ))
    .all(conn)
    .await
}

/// What a refresh would change: flags to open, rows to close, rows whose numbers moved.
struct Diff {
    open: Vec<Flag>,
    close: Vec<i32>,
    update: Vec<(i32, Flag)>,
}

impl Diff {
    fn is_empty(&self) -> bool {
        self.open.is_empty() && self.close.is_empty() && self.update.is_empty()
    }
}

fn diff(flags: Vec<Flag>, current: Vec<OpenRow>) -> Diff {
    let mut by_key: BTreeMap<String, OpenRow> = current
        .into_iter()
        .map(|r| (r.flag_key.clone(), r))
        .collect();
    let mut out = Diff {
        open: Vec::new(),
        close: Vec::new(),
        update: Vec::new(),
    };
    for f in flags {
        match by_key.remove(&f.key()) {
            None => out.open.push(f),
            Some(row) => {
                if serde_json::from_str::<serde_json::Value>(&row.detail).ok()
                    != Some(f.detail.clone())
                {
                    out.update.push((row.id, f));
                }
            }
        }
    }
    out.close = by_key.into_values().map(|r| r.id).collect();
    out
}

/// Counts of what a refresh did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub opened: usize,
    pub closed: usize,
    pub updated: usize,
}

/// Recomputes the hot spots of `project_id` and writes the difference; run it inside the
/// transaction that changed grievances (or any write transaction).
pub async fn refresh(
    conn: &impl ConnectionTrait,
    project_id: i32,
    rules: Rules,
    today: NaiveDate,
) -> Result<Refreshed, DbErr> {
    let flags = compute(conn, project_id, rules).await?;
    let d = diff(flags, open_rows(conn, project_id).await?);
    apply(conn, project_id, d, today).await
}

/// Whether the stored hot spots of `project_id` differ from what the rules say now.
pub async fn is_stale(
    conn: &impl ConnectionTrait,
    project_id: i32,
    rules: Rules,
) -> Result<bool, DbErr> {
    let flags = compute(conn, project_id, rules).await?;
    Ok(!diff(flags, open_rows(conn, project_id).await?).is_empty())
}

async fn apply(
    conn: &impl ConnectionTrait,
    project_id: i32,
    d: Diff,
    today: NaiveDate,
) -> Result<Refreshed, DbErr> {
    let backend = conn.get_database_backend();
    let done = Refreshed {
        opened: d.open.len(),
        closed: d.close.len(),
        updated: d.update.len(),
    };
    for f in d.open {
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO hot_spots (project_id, commune_id, household_id, grievance_id, kind, flag_key, reason, detail, flagged_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                Value::from(project_id),
                Value::from(f.commune_id),
                Value::from(f.household_id),
                Value::from(f.grievance_id),
                Value::from(f.kind),
                Value::from(f.key()),
                Value::from(f.reason_vi()),
                Value::from(f.detail.to_string()),
                Value::from(today),
            ],
        ))
        .await?;
    }
    for (id, f) in d.update {
        conn.execute(Statement::from_sql_and_values(
            backend,
            "UPDATE hot_spots SET reason = $1, detail = $2, commune_id = $3 WHERE id = $4",
            [
                Value::from(f.reason_vi()),
                Value::from(f.detail.to_string()),
                Value::from(f.commune_id),
                Value::from(id),
            ],
        ))
        .await?;
    }
    for id in d.close {
        conn.execute(Statement::from_sql_and_values(
            backend,
            "UPDATE hot_spots SET resolved_on = $1 WHERE id = $2",
            [Value::from(today), Value::from(id)],
        ))
        .await?;
    }
    Ok(done)
}

/// Brings the hot spots of these projects up to date if the rules say otherwise: a read-only
/// check first, a write transaction only when something changed.
pub async fn ensure_current(
    db: &crate::db::Db,
    project_ids: &[i32],
    rules: Rules,
    today: NaiveDate,
) -> Result<(), DbErr> {
    for &project_id in project_ids {
        if is_stale(&db.conn, project_id, rules).await? {
            let tx = db.write().await?;
            match refresh(&*tx, project_id, rules, today).await {
                Ok(_) => tx.commit().await?,
                // Another request refreshed the same flags first (PostgreSQL has no writer lock).
                Err(e)
                    if matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
                {
                    drop(tx)
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(kind: &'static str, g: i32, n: i64) -> Flag {
        Flag {
            kind,
            commune_id: 1,
            household_id: Some(7),
            grievance_id: Some(g),
            detail: json!({"signers": n}),
        }
    }

    #[test]
    fn diff_opens_closes_and_updates_by_key() {
        let current = vec![
            OpenRow {
                id: 1,
                flag_key: "signers:10".into(),
                detail: json!({"signers": 5}).to_string(),
            },
            OpenRow {
                id: 2,
                flag_key: "signers:11".into(),
                detail: json!({"signers": 6}).to_string(),
            },
        ];
        let d = diff(
            vec![flag(MANY_SIGNERS, 10, 6), flag(MANY_SIGNERS, 12, 5)],
            current,
        );
        assert_eq!(d.open.len(), 1);
        assert_eq!(d.open[0].grievance_id, Some(12));
        assert_eq!(d.close, vec![2]);
        assert_eq!(d.update.len(), 1);
        assert_eq!(d.update[0].0, 1);
        assert!(diff(vec![], vec![]).is_empty());
    }

    #[test]
    fn keys_name_what_was_flagged() {
        assert_eq!(flag(MANY_SIGNERS, 3, 5).key(), "signers:3");
        assert_eq!(flag(REPEAT_FILING, 3, 5).key(), "repeat:3:7");
        assert_eq!(flag(COMMUNE_OPEN, 3, 5).key(), "commune:1");
    }
}
