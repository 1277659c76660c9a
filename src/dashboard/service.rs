//! Dashboard figures: the progress counters (as `/progress` reads them), weeks filled in for
//! charts, the handed-over projection, working groups' communes, and the stance filter.
use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use sea_orm::sea_query::{Alias, Condition, Expr, JoinType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use super::dto::{ChartLinks, Dashboard, GroupCommunes, ProjectSummary, ProjectionDto, StatusInfo};
use crate::auth::Scope;
use crate::charts::{self, Bar, ProgressLabels, WeekTotals};
use crate::db::dialect;
use crate::domain::{ParcelStatus, Stance};
use crate::entities::{
    admin_units, parcel_status_events, parcels, projects, working_group_areas, working_groups,
};
use crate::error::{AppError, AppResult};
use crate::i18n::{Catalogue, Lang};
use crate::progress::dto::{Breakdown, Progress, WeekPoint};
use crate::scoped::{self, household_parcels, households, Personal};

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
            status: *s,
            colour: (*c).to_string(),
            order,
        })
        .collect()
}

/// Everything the dashboard shows for a project the caller may see: the progress figures
/// (as `/progress` answers them), the working groups' communes, every week's running totals,
/// the projection and the links to the charts.
#[tracing::instrument(skip_all, fields(project_id = project.id))]
pub async fn dashboard(
    conn: &impl ConnectionTrait,
    project: projects::Model,
) -> AppResult<Dashboard> {
    let progress = crate::progress::service::progress(conn, &project).await?;
    let working_groups = group_communes(conn, project.id).await?;
    let weeks = fill_weeks(progress.over_time);
    let projection = projection_of(progress.parcels.total, &weeks, project.target_handover_date);
    let base = format!("/api/v1/projects/{}/charts", project.code);
    let money = crate::compensation::totals::by_commune(
        conn,
        &crate::auth::Scope::cli(),
        project.id,
        chrono::NaiveDate::MIN,
        crate::legal::today_vn(),
    )
    .await?;
    let compensation = crate::compensation::totals::total(&money);
    Ok(Dashboard {
        project: ProjectSummary {
            code: project.code,
            name: project.name,
            investor: project.investor,
            notice_date: project.notice_date.map(|d| d.to_string()),
            target_handover_date: project.target_handover_date.map(|d| d.to_string()),
        },
        statuses: statuses(),
        parcels: progress.parcels,
        area_m2: progress.area_m2,
        households: progress.households,
        by_commune: progress.by_commune,
        by_working_group: progress.by_working_group,
        working_groups,
        over_time: weeks,
        projection,
        compensation,
        charts: ChartLinks {
            progress: format!("{base}/progress.svg"),
            progress_area: format!("{base}/progress-area.svg"),
            by_status: format!("{base}/by-status.svg"),
            by_commune: format!("{base}/by-commune.svg"),
            by_working_group: format!("{base}/by-working-group.svg"),
        },
    })
}

/// One of `CHARTS` for a project the caller may see, in the language asked for.
#[tracing::instrument(skip_all, fields(project_id = project.id, chart = name))]
pub async fn project_chart(
    conn: &impl ConnectionTrait,
    project: &projects::Model,
    name: &str,
    lang: Lang,
) -> AppResult<String> {
    let progress = crate::progress::service::progress(conn, project).await?;
    chart(
        name,
        &progress,
        project.target_handover_date,
        catalogue(lang),
    )
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
    let weeks = fill_weeks(progress.over_time.clone());
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
#[tracing::instrument(skip_all, fields(project_id = project_id))]
pub async fn group_communes(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<GroupCommunes>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i32,
        name: String,
        code: String,
    }
    let area = || {
        Expr::col((
            working_group_areas::Entity,
            working_group_areas::Column::AdminUnitId,
        ))
    };
    let stmt = Query::select()
        .distinct()
        .column((working_groups::Entity, working_groups::Column::Id))
        .column((working_groups::Entity, working_groups::Column::Name))
        .column((admin_units::Entity, admin_units::Column::Code))
        .from(working_groups::Entity)
        .inner_join(
            working_group_areas::Entity,
            Expr::col((
                working_group_areas::Entity,
                working_group_areas::Column::WorkingGroupId,
            ))
            .equals((working_groups::Entity, working_groups::Column::Id)),
        )
        .join(
            JoinType::InnerJoin,
            admin_units::Entity,
            Condition::any()
                .add(area().equals((admin_units::Entity, admin_units::Column::Id)))
                .add(area().equals((admin_units::Entity, admin_units::Column::SuccessorId)))
                .add(area().equals((admin_units::Entity, admin_units::Column::ParentId))),
        )
        .and_where(
            Expr::col((working_groups::Entity, working_groups::Column::ProjectId)).eq(project_id),
        )
        .order_by(
            (working_groups::Entity, working_groups::Column::Id),
            Order::Asc,
        )
        .order_by((admin_units::Entity, admin_units::Column::Code), Order::Asc)
        .to_owned();
    let rows = Row::find_by_statement(dialect::build(conn.get_database_backend(), &stmt))
        .all(conn)
        .await?;
    let mut out: Vec<GroupCommunes> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(g) if g.id == r.id => g.communes.push(r.code),
            _ => out.push(GroupCommunes {
                id: r.id,
                name: r.name,
                communes: vec![r.code],
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

/// Ids of the project's parcels in the scope that a household in the scope of this stance
/// uses (`None`: households not visited yet).
#[tracing::instrument(skip_all, fields(project_id = project_id, stance = ?stance))]
pub async fn stance_parcels(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    stance: Option<Stance>,
) -> Result<Vec<(i32, String)>, DbErr> {
    let parcel_id = (parcels::Entity, parcels::Column::Id);
    let mut stmt = scoped::parcels(scope)
        .select_only()
        .column(parcels::Column::Id)
        .column(parcels::Column::Status)
        .distinct()
        .filter(parcels::Column::ProjectId.eq(project_id))
        .order_by_asc(parcels::Column::Id)
        .into_query();
    let (hp, h) = (Alias::new("hp"), Alias::new("h"));
    scoped::join(
        scope,
        &mut stmt,
        JoinType::InnerJoin,
        Personal::HouseholdParcels,
        "hp",
        Condition::all()
            .add(Expr::col((hp.clone(), household_parcels::Column::ParcelId)).equals(parcel_id)),
    );
    scoped::join(
        scope,
        &mut stmt,
        JoinType::InnerJoin,
        Personal::Households,
        "h",
        Condition::all().add(
            Expr::col((h.clone(), households::Column::Id))
                .equals((hp, household_parcels::Column::HouseholdId)),
        ),
    );
    let stance_col = Expr::col((h, households::Column::Stance));
    stmt.and_where(match stance {
        Some(s) => stance_col.eq(s.as_str()),
        None => stance_col.is_null(),
    });
    conn.query_all(dialect::build(conn.get_database_backend(), &stmt))
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get_by_index::<i32>(0)?,
                r.try_get_by_index::<String>(1)?,
            ))
        })
        .collect()
}

/// The time of the project's latest status event (an index seek on project and time).
#[tracing::instrument(skip_all, fields(project_id = project_id))]
pub async fn change_stamp(conn: &impl ConnectionTrait, project_id: i32) -> Result<String, DbErr> {
    let at: Option<Option<DateTime<FixedOffset>>> = parcel_status_events::Entity::find()
        .select_only()
        .expr(Expr::col(parcel_status_events::Column::At).max())
        .filter(parcel_status_events::Column::ProjectId.eq(project_id))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(at.flatten().map(|a| a.to_rfc3339()).unwrap_or_default())
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
