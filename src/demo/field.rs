//! Next-visit assignments of the demo: each group leader asks the group's member to visit the
//! two households of their commune that disagree most recently, so "My work" shows a leader's
//! follow-up at the top. Due a week and ten days after the load, so they stay current.
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

const NOTES: &[&str] = &[
    "Hộ còn băn khoăn về đơn giá đất lúa; mang theo bảng giá đã phê duyệt",
    "Mời thêm cán bộ địa chính xã để giải thích nguồn gốc đất",
];

pub async fn load(db: &DatabaseConnection, project_id: i32) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    // Each group: its leader, one member who is not the leader, and its area's households.
    let groups = db
        .query_all(Statement::from_sql_and_values(
            backend,
            "SELECT wg.id, wg.leader_id, MIN(m.user_id) AS member_id, MIN(a.admin_unit_id) AS unit_id \
             FROM working_groups wg JOIN working_group_members m ON m.working_group_id = wg.id \
             JOIN working_group_areas a ON a.working_group_id = wg.id \
             WHERE wg.project_id = $1 AND wg.leader_id IS NOT NULL AND m.user_id <> wg.leader_id \
             GROUP BY wg.id, wg.leader_id ORDER BY wg.id",
            [Value::from(project_id)],
        ))
        .await?;
    let now = Utc::now().fixed_offset();
    let today = (Utc::now() + Duration::hours(7)).date_naive();
    for g in groups {
        let leader: i32 = g.try_get("", "leader_id")?;
        let member: i32 = g.try_get("", "member_id")?;
        let unit: i32 = g.try_get("", "unit_id")?;
        let households = db
            .query_all(Statement::from_sql_and_values(
                backend,
                "SELECT h.id FROM households h JOIN admin_units u ON u.id = h.commune_id \
                 WHERE h.project_id = $1 AND (u.id = $2 OR u.successor_id = $2 OR u.parent_id = $2) \
                 AND h.stance IN ('disagrees', 'refuses_contact') \
                 ORDER BY h.last_visit_at DESC, h.id LIMIT 2",
                [Value::from(project_id), Value::from(unit)],
            ))
            .await?;
        for (n, h) in households.into_iter().enumerate() {
            let household: i32 = h.try_get("", "id")?;
            db.execute(Statement::from_sql_and_values(
                backend,
                "INSERT INTO next_visit_assignments (project_id, household_id, assignee_id, assigned_by, due_on, note, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [
                    Value::from(project_id),
                    Value::from(household),
                    Value::from(member),
                    Value::from(leader),
                    Value::from(today + Duration::days(7 + 3 * n as i64)),
                    Value::from(NOTES[n % NOTES.len()]),
                    Value::from(now),
                ],
            ))
            .await?;
        }
    }
    Ok(())
}
