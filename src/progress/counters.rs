//! The progress counters (`progress_counters`): moved by deltas as parcels change status and
//! households change stance, and rebuilt from the tables after bulk loads.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, Func, JoinType, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::Scope;
use crate::db::dialect;
use crate::domain::ParcelStatus;
use crate::entities::{
    admin_units, parcel_status_events, parcels, progress_counters, working_group_areas,
    working_groups,
};
use crate::scoped::{self, Personal};

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

/// Counter moves gathered before they are written: (metric, dim_key, bucket) → (count, area).
#[derive(Default)]
struct Moves(BTreeMap<(&'static str, String, String), (i64, f64)>);

impl Moves {
    fn add(&mut self, metric: &'static str, dim_key: &str, bucket: &str, count: i64, area: f64) {
        let e = self
            .0
            .entry((metric, dim_key.to_string(), bucket.to_string()))
            .or_insert((0, 0.0));
        e.0 += count;
        e.1 += area;
    }

    /// One upsert per batch of counters, each adding its deltas to the stored row.
    async fn write(self, conn: &impl ConnectionTrait, project_id: i32) -> Result<(), DbErr> {
        use progress_counters::Column as C;
        let rows: Vec<_> = self.0.into_iter().collect();
        let per = dialect::parcel_rows_per_insert(conn.get_database_backend());
        for chunk in rows.chunks(per) {
            let mut stmt = Query::insert()
                .into_table(progress_counters::Entity)
                .columns([
                    C::ProjectId,
                    C::Metric,
                    C::DimKey,
                    C::Bucket,
                    C::Count,
                    C::AreaM2,
                ])
                .to_owned();
            for ((metric, dim_key, bucket), (count, area)) in chunk {
                stmt.values_panic([
                    project_id.into(),
                    (*metric).into(),
                    dim_key.as_str().into(),
                    bucket.as_str().into(),
                    (*count).into(),
                    (*area).into(),
                ]);
            }
            dialect::add_on_conflict(
                &mut stmt,
                progress_counters::Entity,
                [C::ProjectId, C::Metric, C::DimKey, C::Bucket],
                [C::Count, C::AreaM2],
            );
            conn.execute(dialect::build(conn.get_database_backend(), &stmt))
                .await?;
        }
        Ok(())
    }
}

/// The working groups whose area covers a commune (directly, or through the unit it merged
/// into, or its district).
async fn groups_covering(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
) -> Result<Vec<i32>, DbErr> {
    let Some(unit) = admin_units::Entity::find_by_id(commune_id)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    let units: Vec<i32> = [Some(unit.id), unit.successor_id, unit.parent_id]
        .into_iter()
        .flatten()
        .collect();
    let groups: Vec<i32> = working_group_areas::Entity::find()
        .select_only()
        .column(working_group_areas::Column::WorkingGroupId)
        .distinct()
        .join(
            JoinType::InnerJoin,
            working_group_areas::Entity::belongs_to(working_groups::Entity)
                .from(working_group_areas::Column::WorkingGroupId)
                .to(working_groups::Column::Id)
                .into(),
        )
        .filter(working_groups::Column::ProjectId.eq(project_id))
        .filter(working_group_areas::Column::AdminUnitId.is_in(units))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(groups)
}

/// The reasons of the first status event of a parcel made by a split or a merge: it carries
/// its parent's status, which is not progress.
pub const CARRIED_REASONS: [&str; 2] = ["split", "merge"];

/// One parcel moving from status `from` (None for a new parcel) to `to` (None for a parcel
/// retired by a split or merge). `progress` is false when the parcel only carries on a
/// parent's status: it counts in the totals but not as a change that week.
#[derive(Clone, Copy, Debug)]
pub struct StatusMove {
    pub commune_id: i32,
    pub area_m2: f64,
    pub from: Option<ParcelStatus>,
    pub to: Option<ParcelStatus>,
    pub progress: bool,
}

/// Moves parcels of a project between statuses in every counter, in a few statements
/// whatever the number of parcels.
#[tracing::instrument(skip_all, fields(project_id, n = changes.len()))]
pub async fn apply_parcel_status_changes(
    conn: &impl ConnectionTrait,
    project_id: i32,
    changes: &[StatusMove],
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let week = week_start(at).to_string();
    let mut groups: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut moves = Moves::default();
    for c in changes.iter().filter(|c| c.from != c.to) {
        let covering = if let Some(g) = groups.get(&c.commune_id) {
            g.clone()
        } else {
            let g = groups_covering(conn, project_id, c.commune_id).await?;
            groups.insert(c.commune_id, g.clone());
            g
        };
        let commune = c.commune_id.to_string();
        let mut steps = Vec::with_capacity(2);
        if let Some(t) = c.to {
            steps.push((t, 1, c.area_m2));
        }
        if let Some(f) = c.from {
            steps.push((f, -1, -c.area_m2));
        }
        for (bucket, n, a) in steps {
            let bucket = bucket.as_str();
            moves.add(STATUS, "", bucket, n, a);
            moves.add(STATUS_BY_COMMUNE, &commune, bucket, n, a);
            for g in &covering {
                moves.add(STATUS_BY_GROUP, &g.to_string(), bucket, n, a);
            }
        }
        if let (Some(t), true) = (c.to, c.progress) {
            moves.add(STATUS_WEEKLY, &week, t.as_str(), 1, c.area_m2);
        }
    }
    moves.write(conn, project_id).await
}

/// Moves one parcel of `area` from status `from` (None for a new parcel) to `to`.
pub async fn apply_parcel_status_change(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
    area: f64,
    from: Option<ParcelStatus>,
    to: ParcelStatus,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let change = StatusMove {
        commune_id,
        area_m2: area,
        from,
        to: Some(to),
        progress: true,
    };
    apply_parcel_status_changes(conn, project_id, &[change], at).await
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
    let mut moves = Moves::default();
    moves.add(STANCE, "", from, -1, 0.0);
    moves.add(STANCE, "", to, 1, 0.0);
    moves.write(conn, project_id).await
}

/// Applies net stance changes (stance → households gained, negative for lost) at once, as
/// the visit writer gathers them over a batch.
pub async fn apply_stance_deltas(
    conn: &impl ConnectionTrait,
    project_id: i32,
    deltas: &BTreeMap<String, i64>,
) -> Result<(), DbErr> {
    let mut moves = Moves::default();
    for (stance, n) in deltas.iter().filter(|(_, n)| **n != 0) {
        moves.add(STANCE, "", stance, *n, 0.0);
    }
    moves.write(conn, project_id).await
}

/// Counts a new household (no stance yet).
pub async fn add_household(conn: &impl ConnectionTrait, project_id: i32) -> Result<(), DbErr> {
    let mut moves = Moves::default();
    moves.add(STANCE, "", NO_STANCE, 1, 0.0);
    moves.write(conn, project_id).await
}

/// `INSERT INTO progress_counters (…) <select>`: the select gives the six columns in order.
async fn insert_counters(
    conn: &impl ConnectionTrait,
    select: SelectStatement,
) -> Result<(), DbErr> {
    use progress_counters::Column as C;
    let stmt = Query::insert()
        .into_table(progress_counters::Entity)
        .columns([
            C::ProjectId,
            C::Metric,
            C::DimKey,
            C::Bucket,
            C::Count,
            C::AreaM2,
        ])
        .select_from(select)
        .map_err(|e| DbErr::Custom(format!("rebuilding counters: {e}")))?
        .to_owned();
    conn.execute(dialect::build(conn.get_database_backend(), &stmt))
        .await?;
    Ok(())
}

fn count_all() -> SimpleExpr {
    Expr::col(Asterisk).count()
}

fn area_sum(column: impl sea_orm::sea_query::IntoColumnRef) -> SimpleExpr {
    Func::coalesce([Expr::col(column).sum(), Expr::val(0.0_f64).into()]).into()
}

fn as_text(column: impl sea_orm::sea_query::IntoColumnRef) -> SimpleExpr {
    Expr::col(column).cast_as(Alias::new("TEXT"))
}

/// Parcels of a project by status: overall, by commune and by working group.
fn status_selects(project_id: i32) -> [SelectStatement; 3] {
    use parcels::Column as P;
    let overall = Query::select()
        .expr(Expr::val(project_id))
        .expr(Expr::val(STATUS))
        .expr(Expr::val(""))
        .column(P::Status)
        .expr(count_all())
        .expr(area_sum(P::AreaM2))
        .from(parcels::Entity)
        .and_where(Expr::col(P::ProjectId).eq(project_id))
        .and_where(Expr::col(P::RetiredAt).is_null())
        .group_by_col(P::Status)
        .to_owned();
    let by_commune = Query::select()
        .expr(Expr::val(project_id))
        .expr(Expr::val(STATUS_BY_COMMUNE))
        .expr(as_text(P::CommuneId))
        .column(P::Status)
        .expr(count_all())
        .expr(area_sum(P::AreaM2))
        .from(parcels::Entity)
        .and_where(Expr::col(P::ProjectId).eq(project_id))
        .and_where(Expr::col(P::RetiredAt).is_null())
        .group_by_columns([P::CommuneId, P::Status])
        .to_owned();
    // Groups' units: a parcel counts for a group covering its commune, the unit its commune
    // merged into, or its district.
    let (x, u, g) = (Alias::new("x"), Alias::new("u"), Alias::new("g"));
    let (gid, unit) = (Alias::new("gid"), Alias::new("unit"));
    let group_units = Query::select()
        .distinct()
        .expr_as(
            Expr::col((working_groups::Entity, working_groups::Column::Id)),
            gid.clone(),
        )
        .expr_as(
            Expr::col((
                working_group_areas::Entity,
                working_group_areas::Column::AdminUnitId,
            )),
            unit.clone(),
        )
        .from(working_groups::Entity)
        .inner_join(
            working_group_areas::Entity,
            Expr::col((
                working_group_areas::Entity,
                working_group_areas::Column::WorkingGroupId,
            ))
            .equals((working_groups::Entity, working_groups::Column::Id)),
        )
        .and_where(
            Expr::col((working_groups::Entity, working_groups::Column::ProjectId)).eq(project_id),
        )
        .to_owned();
    let unit_col = || Expr::col((g.clone(), unit.clone()));
    let by_group = Query::select()
        .expr(Expr::val(project_id))
        .expr(Expr::val(STATUS_BY_GROUP))
        .expr(as_text((g.clone(), gid.clone())))
        .column((x.clone(), P::Status))
        .expr(count_all())
        .expr(area_sum((x.clone(), P::AreaM2)))
        .from_as(parcels::Entity, x.clone())
        .join_as(
            JoinType::InnerJoin,
            admin_units::Entity,
            u.clone(),
            Expr::col((u.clone(), admin_units::Column::Id)).equals((x.clone(), P::CommuneId)),
        )
        .join_subquery(
            JoinType::InnerJoin,
            group_units,
            g.clone(),
            unit_col()
                .equals((u.clone(), admin_units::Column::Id))
                .or(unit_col().equals((u.clone(), admin_units::Column::SuccessorId)))
                .or(unit_col().equals((u.clone(), admin_units::Column::ParentId))),
        )
        .and_where(Expr::col((x.clone(), P::ProjectId)).eq(project_id))
        .and_where(Expr::col((x.clone(), P::RetiredAt)).is_null())
        .add_group_by([Expr::col((g, gid)).into(), Expr::col((x, P::Status)).into()])
        .to_owned();
    [overall, by_commune, by_group]
}

/// Parcels entering each status, per week of the status event.
fn weekly_select(backend: sea_orm::DatabaseBackend, project_id: i32) -> SelectStatement {
    use parcel_status_events::Column as E;
    let (e, x) = (Alias::new("e"), Alias::new("x"));
    let week = dialect::week_start_text(backend, Expr::col((e.clone(), E::At)));
    Query::select()
        .expr(Expr::val(project_id))
        .expr(Expr::val(STATUS_WEEKLY))
        .expr(week.clone())
        .column((e.clone(), E::ToStatus))
        .expr(count_all())
        .expr(area_sum((x.clone(), parcels::Column::AreaM2)))
        .from_as(parcel_status_events::Entity, e.clone())
        .join_as(
            JoinType::InnerJoin,
            parcels::Entity,
            x.clone(),
            Expr::col((x, parcels::Column::Id)).equals((e.clone(), E::ParcelId)),
        )
        .and_where(Expr::col((e.clone(), E::ProjectId)).eq(project_id))
        // A part of a split or merge carries its parent's status: not progress that week.
        .and_where(
            Expr::col((e.clone(), E::FromStatus))
                .is_not_null()
                .or(Expr::col((e.clone(), E::Reason)).is_not_in(CARRIED_REASONS)),
        )
        .add_group_by([week, Expr::col((e, E::ToStatus)).into()])
        .to_owned()
}

/// Households of a project by stance. Counters count every household of the project, whoever
/// later reads them (they name nobody): the command line's scope.
fn stance_select(project_id: i32) -> SelectStatement {
    use scoped::households::Column as H;
    let h = Alias::new("h");
    let stance: SimpleExpr = Func::coalesce([
        Expr::col((h.clone(), H::Stance)).into(),
        Expr::val(NO_STANCE).into(),
    ])
    .into();
    // Grouped by the column itself: PostgreSQL matches GROUP BY expressions by text, and the
    // bound `none` would be a different parameter there.
    scoped::select_from(&Scope::cli(), Personal::Households, "h")
        .expr(Expr::val(project_id))
        .expr(Expr::val(STANCE))
        .expr(Expr::val(""))
        .expr(stance)
        .expr(count_all())
        .expr(Expr::val(0.0_f64))
        .and_where(Expr::col((h.clone(), H::ProjectId)).eq(project_id))
        .group_by_col((h, H::Stance))
        .to_owned()
}

/// Recomputes every counter of a project from the tables (after bulk loads or repairs).
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn rebuild_counters(conn: &impl ConnectionTrait, project_id: i32) -> Result<(), DbErr> {
    progress_counters::Entity::delete_many()
        .filter(progress_counters::Column::ProjectId.eq(project_id))
        .exec(conn)
        .await?;
    let [overall, by_commune, by_group] = status_selects(project_id);
    for select in [
        overall,
        by_commune,
        by_group,
        weekly_select(conn.get_database_backend(), project_id),
        stance_select(project_id),
    ] {
        insert_counters(conn, select).await?;
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
