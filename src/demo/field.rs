//! Next-visit assignments of the demo: each group leader asks the group's member to visit the
//! two households of their commune that disagree most recently, so "My work" shows a leader's
//! follow-up at the top. Due a week and ten days after the load, so they stay current.
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::auth::Scope;
use crate::db::dialect::{self, Sql};
use crate::domain::Stance;
use crate::entities::admin_units;
use crate::scoped::{self, households, next_visit_assignments};

/// Each group of the project with a leader: the leader, one member who is not the leader, and
/// one unit of its area.
const GROUPS: Sql = Sql::new(
    "SELECT wg.id, wg.leader_id, MIN(m.user_id) AS member_id, MIN(a.admin_unit_id) AS unit_id \
     FROM working_groups wg JOIN working_group_members m ON m.working_group_id = wg.id \
     JOIN working_group_areas a ON a.working_group_id = wg.id \
     WHERE wg.project_id = $1 AND wg.leader_id IS NOT NULL AND m.user_id <> wg.leader_id \
     GROUP BY wg.id, wg.leader_id ORDER BY wg.id",
);

const NOTES: &[&str] = &[
    "Hộ còn băn khoăn về đơn giá đất lúa; mang theo bảng giá đã phê duyệt",
    "Mời thêm cán bộ địa chính xã để giải thích nguồn gốc đất",
];

/// The two households of the unit (or the units merged into it) that disagree most recently.
async fn disagreeing(
    db: &impl ConnectionTrait,
    project_id: i32,
    unit: i32,
) -> anyhow::Result<Vec<i32>> {
    let units: Vec<i32> = admin_units::Entity::find()
        .select_only()
        .column(admin_units::Column::Id)
        .filter(
            Expr::col(admin_units::Column::Id)
                .eq(unit)
                .or(Expr::col(admin_units::Column::SuccessorId).eq(unit))
                .or(Expr::col(admin_units::Column::ParentId).eq(unit)),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(scoped::households(&Scope::cli())
        .select_only()
        .column(households::Column::Id)
        .filter(households::Column::ProjectId.eq(project_id))
        .filter(households::Column::CommuneId.is_in(units))
        .filter(
            households::Column::Stance
                .is_in([Stance::Disagrees.as_str(), Stance::RefusesContact.as_str()]),
        )
        .order_by_desc(households::Column::LastVisitAt)
        .order_by_asc(households::Column::Id)
        .limit(2)
        .into_tuple()
        .all(db)
        .await?)
}

#[tracing::instrument(skip_all, fields(project_id))]
pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let groups = db
        .query_all(dialect::statement(backend, GROUPS, [project_id.into()]))
        .await?;
    let now = super::gen::at(today, 7, 30);
    for g in groups {
        let leader: i32 = g.try_get("", "leader_id")?;
        let member: i32 = g.try_get("", "member_id")?;
        let unit: i32 = g.try_get("", "unit_id")?;
        for (n, household) in disagreeing(db, project_id, unit)
            .await?
            .into_iter()
            .enumerate()
        {
            next_visit_assignments::ActiveModel {
                project_id: Set(project_id),
                household_id: Set(household),
                assignee_id: Set(member),
                assigned_by: Set(Some(leader)),
                due_on: Set(today + Duration::days(7 + 3 * n as i64)),
                note: Set(NOTES[n % NOTES.len()].to_string()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
