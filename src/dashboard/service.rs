//! Dashboard figures: the progress counters (as `/progress` reads them), weeks filled in for
//! charts, the handed-over projection, working groups' communes, and the stance filter.
use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::extract::State;
use chrono::{Duration, NaiveDate};
use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

use super::dto::{GroupCommunes, ProjectionDto, StatusInfo};
use crate::auth::{Principal, Scope};
use crate::charts::{self, Bar, ProgressLabels, WeekTotals};
use crate::domain::{ParcelStatus, Stance};
use crate::error::{AppError, AppResult};
use crate::extract::ApiPath;
use crate::i18n::{Catalogue, Lang};
use crate::progress::handlers::{Breakdown, Progress, WeekPoint};
use crate::state::AppState;

/// The catalogue of a language, loaded once.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static VI: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| Catalogue::load(Lang::Vi)),
        Lang::En => EN.get_or_init(|| Catalogue::load(Lang::En)),
    }
}

pub fn statuses() -> Vec<StatusInfo> {
    charts::STATUS_COLOURS
        .iter()
        .enumerate()
        .map(|(order, (s, c))| StatusInfo {
            status: s.as_str().to_string(),
            colour: (*c).to_string(),
            order,
        })
        .collect()
}

/// The project's progress exactly as `GET /progress` answers it (one source for both).
pub async fn progress(state: &AppState, who: &Principal, code: &str) -> AppResult<Progress> {
    let axum::Json(p) = crate::progress::handlers::progress(
        State(state.clone()),
        who.clone(),
        ApiPath(code.into()),
    )
    .await?;
    Ok(p)
}

/// Every week from the first to the last one with events; a week without events repeats
/// the running totals so lines do not jump.
pub fn fill_weeks(points: Vec<WeekPoint>) -> Vec<WeekPoint> {
    let mut out: Vec<WeekPoint> = Vec::with_capacity(points.len());
    for p in points {
        let Ok(week) = NaiveDate::parse_from_str(&p.week, "%Y-%m-%d") else {
            continue;
        };
        while let Some(prev) = out.last() {
            let Ok(prev_week) = NaiveDate::parse_from_str(&prev.week, "%Y-%m-%d") else {
                break;
            };
            let next = prev_week + Duration::weeks(1);
            if next >= week {
                break;
            }
            let filler = WeekPoint {
                week: next.to_string(),
                entered: BTreeMap::new(),
                cumulative: prev.cumulative.clone(),
                cumulative_area_m2: prev.cumulative_area_m2.clone(),
            };
            out.push(filler);
        }
        out.push(p);
    }
    out
}

/// The running totals of the chart: parcels, or area in hectares.
pub fn week_totals(points: &[WeekPoint], area: bool) -> Vec<WeekTotals> {
    points
        .iter()
        .filter_map(|p| {
            let week = NaiveDate::parse_from_str(&p.week, "%Y-%m-%d").ok()?;
            let get = |s: ParcelStatus| {
                if area {
                    p.cumulative_area_m2.get(s.as_str()).copied().unwrap_or(0.0) / 10_000.0
                } else {
                    p.cumulative.get(s.as_str()).copied().unwrap_or(0) as f64
                }
            };
            Some(WeekTotals {
                week,
                agreed: get(ParcelStatus::Agreed),
                paid: get(ParcelStatus::Paid),
                handed_over: get(ParcelStatus::HandedOver),
            })
        })
        .collect()
}

/// The handed-over trend of (filled) weeks extended to all `total_parcels`.
pub fn projection_of(
    total_parcels: i64,
    weeks: &[WeekPoint],
    target: Option<NaiveDate>,
) -> Option<ProjectionDto> {
    let totals = week_totals(weeks, false);
    let p = charts::project_handover(&totals, total_parcels as f64)?;
    Some(ProjectionDto {
        parcels_per_week: p.rate_per_week,
        projected_handover_date: p.finish.to_string(),
        on_track: target.map(|t| p.finish <= t),
    })
}

/// The charts the API serves, by file name.
pub const CHARTS: [&str; 5] = [
    "progress.svg",
    "progress-area.svg",
    "by-status.svg",
    "by-commune.svg",
    "by-working-group.svg",
];

fn progress_labels(cat: &Catalogue, area: bool) -> ProgressLabels {
    ProgressLabels {
        title: cat
            .t(if area {
                "dashboard.chart.progress_area"
            } else {
                "dashboard.chart.progress"
            })
            .to_string(),
        agreed: cat.t("status.agreed").to_string(),
        paid: cat.t("status.paid").to_string(),
        handed_over: cat.t("status.handed_over").to_string(),
        total: cat.t("dashboard.chart.total").to_string(),
        target: cat.t("dashboard.chart.target").to_string(),
        projection: cat.t("dashboard.chart.projection").to_string(),
    }
}

/// Progress over time (parcels, or area in ha) with the target date and the projection.
pub fn progress_chart(
    progress: &Progress,
    target: Option<NaiveDate>,
    cat: &Catalogue,
    area: bool,
    size: (u32, u32),
) -> String {
    let weeks = fill_weeks(clone_weeks(&progress.over_time));
    let totals = week_totals(&weeks, area);
    let total = if area {
        progress.area_m2.total / 10_000.0
    } else {
        progress.parcels.total as f64
    };
    let fmt = move |v: f64| {
        if area {
            format!("{v:.0} ha")
        } else {
            charts::format_number(v)
        }
    };
    charts::progress_over_time_svg(
        &totals,
        total,
        target,
        &progress_labels(cat, area),
        &fmt,
        size,
    )
}

fn clone_weeks(points: &[WeekPoint]) -> Vec<WeekPoint> {
    points
        .iter()
        .map(|p| WeekPoint {
            week: p.week.clone(),
            entered: p.entered.clone(),
            cumulative: p.cumulative.clone(),
            cumulative_area_m2: p.cumulative_area_m2.clone(),
        })
        .collect()
}

fn bar_of(label: String, counts: &BTreeMap<String, i64>) -> Bar {
    Bar {
        label,
        values: counts
            .iter()
            .filter_map(|(s, n)| ParcelStatus::parse(s).map(|s| (s, *n as f64)))
            .collect(),
    }
}

fn breakdown_bars(items: &[Breakdown]) -> Vec<Bar> {
    items
        .iter()
        .map(|b| bar_of(b.name.clone(), &b.parcels.by_status))
        .collect()
}

/// One of `CHARTS` for a project's progress, in the catalogue's language.
pub fn chart(
    name: &str,
    progress: &Progress,
    target: Option<NaiveDate>,
    cat: &Catalogue,
) -> AppResult<String> {
    let label = |s: ParcelStatus| cat.t(&format!("status.{}", s.as_str())).to_string();
    let width = 760;
    Ok(match name {
        "progress.svg" => progress_chart(progress, target, cat, false, (width, 380)),
        "progress-area.svg" => progress_chart(progress, target, cat, true, (width, 380)),
        "by-status.svg" => {
            let bars: Vec<Bar> = ParcelStatus::ALL
                .iter()
                .map(|s| Bar {
                    label: label(*s),
                    values: vec![(
                        *s,
                        progress
                            .parcels
                            .by_status
                            .get(s.as_str())
                            .copied()
                            .unwrap_or(0) as f64,
                    )],
                })
                .collect();
            charts::bars_svg(cat.t("dashboard.chart.by_status"), &bars, &label, width)
        }
        "by-commune.svg" => charts::bars_svg(
            cat.t("dashboard.chart.by_commune"),
            &breakdown_bars(&progress.by_commune),
            &label,
            width,
        ),
        "by-working-group.svg" => charts::bars_svg(
            cat.t("dashboard.chart.by_working_group"),
            &breakdown_bars(&progress.by_working_group),
            &label,
            width,
        ),
        other => {
            return Err(AppError::NotFound(format!(
                "no chart `{other}`; charts are {}",
                CHARTS.join(", ")
            )))
        }
    })
}

/// Working groups of a project with the communes their areas cover: the units named, the
/// pre-2025 units merged into them and the communes of a named district.
pub async fn group_communes(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<GroupCommunes>, DbErr> {
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT DISTINCT wg.id AS id, wg.name AS name, u.code AS code FROM working_groups wg \
             JOIN working_group_areas a ON a.working_group_id = wg.id \
             JOIN admin_units u ON a.admin_unit_id = u.id OR a.admin_unit_id = u.successor_id \
               OR a.admin_unit_id = u.parent_id \
             WHERE wg.project_id = $1 ORDER BY wg.id, u.code",
            [Value::from(project_id)],
        ))
        .await?;
    let mut out: Vec<GroupCommunes> = Vec::new();
    for r in rows {
        let id: i32 = r.try_get("", "id")?;
        let code: String = r.try_get("", "code")?;
        match out.last_mut() {
            Some(g) if g.id == id => g.communes.push(code),
            _ => out.push(GroupCommunes {
                id,
                name: r.try_get("", "name")?,
                communes: vec![code],
            }),
        }
    }
    Ok(out)
}

/// Parses `agrees` … or `none`.
pub fn parse_stance(raw: &str) -> AppResult<Option<Stance>> {
    if raw == crate::progress::counters::NO_STANCE {
        return Ok(None);
    }
    Stance::parse(raw).map(Some).ok_or_else(|| {
        let allowed: Vec<&str> = Stance::ALL.iter().map(|s| s.as_str()).collect();
        AppError::BadRequest(format!(
            "unknown stance `{raw}`; use one of {} or none",
            allowed.join(", ")
        ))
    })
}

/// Ids of the project's parcels in the scope that a household of this stance uses
/// (`None`: households not visited yet).
pub async fn stance_parcels(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    stance: Option<Stance>,
) -> Result<Vec<i32>, DbErr> {
    let (cond, values) = match stance {
        Some(s) => (
            "h.stance = $2",
            vec![Value::from(project_id), Value::from(s.as_str())],
        ),
        None => ("h.stance IS NULL", vec![Value::from(project_id)]),
    };
    let sql = format!(
        "SELECT DISTINCT p.id AS id FROM parcels p \
         JOIN household_parcels hp ON hp.parcel_id = p.id \
         JOIN households h ON h.id = hp.household_id \
         WHERE p.project_id = $1 AND {cond} AND {} ORDER BY p.id",
        scope.sql_condition("p")
    );
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    rows.iter().map(|r| r.try_get::<i32>("", "id")).collect()
}

/// The time of the project's latest status event (an index seek on project and time).
pub async fn change_stamp(conn: &impl ConnectionTrait, project_id: i32) -> Result<String, DbErr> {
    let row = conn
        .query_one(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT MAX(at) AS at FROM parcel_status_events WHERE project_id = $1",
            [Value::from(project_id)],
        ))
        .await?;
    let at: Option<chrono::DateTime<chrono::FixedOffset>> = match row {
        Some(r) => r.try_get("", "at")?,
        None => None,
    };
    Ok(at.map(|a| a.to_rfc3339()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(week: &str, handed: i64) -> WeekPoint {
        WeekPoint {
            week: week.into(),
            entered: BTreeMap::new(),
            cumulative: [("handed_over".to_string(), handed)].into_iter().collect(),
            cumulative_area_m2: [("handed_over".to_string(), handed as f64 * 100.0)]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn gaps_between_weeks_repeat_the_totals() {
        let filled = fill_weeks(vec![point("2021-03-01", 2), point("2021-03-22", 5)]);
        let weeks: Vec<&str> = filled.iter().map(|p| p.week.as_str()).collect();
        assert_eq!(
            weeks,
            ["2021-03-01", "2021-03-08", "2021-03-15", "2021-03-22"]
        );
        assert_eq!(filled[2].cumulative["handed_over"], 2);
        let totals = week_totals(&filled, true);
        assert_eq!(totals[3].handed_over, 0.05);
        assert!(parse_stance("none").unwrap().is_none());
        assert!(parse_stance("maybe").is_err());
    }
}
