use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};

/// The counter families in `progress_counters.metric`.
pub const STATUS: &str = "parcel_status";
pub const STATUS_BY_COMMUNE: &str = "parcel_status_commune";
pub const STATUS_BY_GROUP: &str = "parcel_status_group";
/// Parcels entering a status, per week (`dim_key` = the Monday, `YYYY-MM-DD`).
pub const STATUS_WEEKLY: &str = "parcel_status_week";
pub const STANCE: &str = "household_stance";
/// Households with no visit yet.
pub const NO_STANCE: &str = "none";

pub fn week_start(at: DateTime<FixedOffset>) -> NaiveDate {
    // UTC weeks, as the SQL rebuild computes them.
    let d = at.naive_utc().date();
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

async fn bump(
    conn: &impl ConnectionTrait,
    project_id: i32,
    metric: &str,
    dim_key: &str,
    bucket: &str,
    count: i64,
    area: f64,
) -> Result<(), DbErr> {
    conn.execute(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO progress_counters (project_id, metric, dim_key, bucket, count, area_m2) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (project_id, metric, dim_key, bucket) DO UPDATE SET \
         count = progress_counters.count + excluded.count, \
         area_m2 = progress_counters.area_m2 + excluded.area_m2",
        [
            Value::from(project_id),
            Value::from(metric),
            Value::from(dim_key),
            Value::from(bucket),
            Value::from(count),
            Value::from(area),
        ],
    ))
    .await?;
    Ok(())
}

/// The working groups whose area covers a commune (directly, or through the unit it merged into).
async fn groups_covering(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
) -> Result<Vec<i32>, DbErr> {
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT DISTINCT wg.id AS id FROM working_groups wg \
             JOIN working_group_areas a ON a.working_group_id = wg.id \
             JOIN admin_units u ON u.id = $2 \
             WHERE wg.project_id = $1 AND (a.admin_unit_id = u.id OR a.admin_unit_id = u.successor_id \
             OR a.admin_unit_id = u.parent_id)",
            [Value::from(project_id), Value::from(commune_id)],
        ))
        .await?;
    rows.iter().map(|r| r.try_get::<i32>("", "id")).collect()
}

/// Moves one parcel of `area` from status `from` (None for a new parcel) to `to` in every counter.
pub async fn apply_parcel_status_change(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
    area: f64,
    from: Option<&str>,
    to: &str,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let commune = commune_id.to_string();
    let groups = groups_covering(conn, project_id, commune_id).await?;
    let mut moves: Vec<(&str, i64, f64)> = vec![(to, 1, area)];
    if let Some(f) = from {
        if f == to {
            return Ok(());
        }
        moves.push((f, -1, -area));
    }
    for (bucket, n, a) in moves {
        bump(conn, project_id, STATUS, "", bucket, n, a).await?;
        bump(conn, project_id, STATUS_BY_COMMUNE, &commune, bucket, n, a).await?;
        for g in &groups {
            bump(
                conn,
                project_id,
                STATUS_BY_GROUP,
                &g.to_string(),
                bucket,
                n,
                a,
            )
            .await?;
        }
    }
    let week = week_start(at).to_string();
    bump(conn, project_id, STATUS_WEEKLY, &week, to, 1, area).await
}

/// Moves one household from stance `from` (None: never visited) to `to`.
pub async fn apply_stance_change(
    conn: &impl ConnectionTrait,
    project_id: i32,
    from: Option<&str>,
    to: &str,
) -> Result<(), DbErr> {
    let from = from.unwrap_or(NO_STANCE);
    if from == to {
        return Ok(());
    }
    bump(conn, project_id, STANCE, "", from, -1, 0.0).await?;
    bump(conn, project_id, STANCE, "", to, 1, 0.0).await
}

/// Applies net stance changes (stance → households gained, negative for lost) at once, as
/// the visit writer gathers them over a batch.
pub async fn apply_stance_deltas(
    conn: &impl ConnectionTrait,
    project_id: i32,
    deltas: &std::collections::BTreeMap<String, i64>,
) -> Result<(), DbErr> {
    for (stance, n) in deltas.iter().filter(|(_, n)| **n != 0) {
        bump(conn, project_id, STANCE, "", stance, *n, 0.0).await?;
    }
    Ok(())
}

/// Counts a new household (no stance yet).
pub async fn add_household(conn: &impl ConnectionTrait, project_id: i32) -> Result<(), DbErr> {
    bump(conn, project_id, STANCE, "", NO_STANCE, 1, 0.0).await
}

/// Recomputes every counter of a project from the tables (after bulk loads or repairs).
pub async fn rebuild_counters(conn: &impl ConnectionTrait, project_id: i32) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let week_expr = match backend {
        DatabaseBackend::Postgres => {
            "to_char(date_trunc('week', e.at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
        }
        // SQLite: strftime('%w') is 0 on Sunday; step back to Monday.
        _ => "date(e.at, '-' || ((CAST(strftime('%w', e.at) AS INTEGER) + 6) % 7) || ' days')",
    };
    let p = project_id;
    let statements = [
        format!("DELETE FROM progress_counters WHERE project_id = {p}"),
        format!(
            "INSERT INTO progress_counters (project_id, metric, dim_key, bucket, count, area_m2) \
             SELECT {p}, '{STATUS}', '', status, COUNT(*), COALESCE(SUM(area_m2), 0) FROM parcels \
             WHERE project_id = {p} GROUP BY status"
        ),
        format!(
            "INSERT INTO progress_counters (project_id, metric, dim_key, bucket, count, area_m2) \
             SELECT {p}, '{STATUS_BY_COMMUNE}', CAST(commune_id AS TEXT), status, COUNT(*), COALESCE(SUM(area_m2), 0) \
             FROM parcels WHERE project_id = {p} GROUP BY commune_id, status"
        ),
        format!(
            "INSERT INTO progress_counters (project_id, metric, dim_key, bucket, count, area_m2) \
             SELECT {p}, '{STATUS_BY_GROUP}', CAST(g.gid AS TEXT), x.status, COUNT(*), COALESCE(SUM(x.area_m2), 0) \
             FROM parcels x JOIN admin_units u ON u.id = x.commune_id \
             JOIN (SELECT DISTINCT wg.id AS gid, a.admin_unit_id AS unit FROM working_groups wg \
                   JOIN working_group_areas a ON a.working_group_id = wg.id WHERE wg.project_id = {p}) g \
               ON g.unit = u.id OR g.unit = u.successor_id OR g.unit = u.parent_id \
             WHERE x.project_id = {p} GROUP BY g.gid, x.status"
        ),
        format!(
            "INSERT INTO progress_counters (project_id, metric, dim_key, bucket, count, area_m2) \
             SELECT {p}, '{STATUS_WEEKLY}', {week_expr}, e.to_status, COUNT(*), COALESCE(SUM(x.area_m2), 0) \
             FROM parcel_status_events e JOIN parcels x ON x.id = e.parcel_id \
             WHERE e.project_id = {p} GROUP BY 3, e.to_status"
        ),
        format!(
            "INSERT INTO progress_counters (project_id, metric, dim_key, bucket, count, area_m2) \
             SELECT {p}, '{STANCE}', '', COALESCE(stance, '{NO_STANCE}'), COUNT(*), 0 FROM households \
             WHERE project_id = {p} GROUP BY COALESCE(stance, '{NO_STANCE}')"
        ),
    ];
    for sql in statements {
        conn.execute(Statement::from_string(backend, sql)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() -> Result<(), chrono::ParseError> {
        let at = DateTime::parse_from_rfc3339("2021-03-07T10:00:00+07:00")?; // a Sunday (03:00 UTC)
        assert_eq!(week_start(at).to_string(), "2021-03-01");
        let at = DateTime::parse_from_rfc3339("2021-03-01T09:00:00+07:00")?; // a Monday
        assert_eq!(week_start(at).to_string(), "2021-03-01");
        Ok(())
    }
}
