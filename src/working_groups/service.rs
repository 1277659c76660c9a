//! Working groups (tổ công tác): who sees which, and creating them.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Set, Statement, Value,
};

use super::dto::{AreaRef, NewWorkingGroup, UserRef, WorkingGroupDto, WorkingGroupQuery};
use crate::auth::Principal;
use crate::entities::{users, working_group_areas, working_group_members, working_groups};
use crate::error::{AppError, AppResult};
use crate::pagination::{Cursor, Page};

/// Which groups a principal sees, as an SQL condition on `wg`: members and district leaders
/// their own groups; a project board's token the groups of its project; others all.
fn visibility(who: &Principal) -> String {
    if who.role.is_area_scoped() {
        if who.groups.is_empty() {
            return "1=0".to_string();
        }
        // Group ids come from the database, never from the request.
        let list: Vec<String> = who.groups.iter().map(|g| g.to_string()).collect();
        return format!("wg.id IN ({})", list.join(","));
    }
    match who.scope.project_id() {
        Some(p) => format!("wg.project_id = {p}"),
        None if who.scope.is_everything() => "1=1".to_string(),
        None => "1=0".to_string(),
    }
}

const SELECT_GROUP: &str = "SELECT wg.id, wg.name, wg.leader_id, p.code AS project_code \
     FROM working_groups wg JOIN projects p ON p.id = wg.project_id";

#[derive(Debug, FromQueryResult)]
struct GroupRow {
    id: i32,
    name: String,
    leader_id: Option<i32>,
    project_code: String,
}

#[derive(Debug, FromQueryResult)]
struct AreaRow {
    group_id: i32,
    id: i32,
    code: String,
    name: String,
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    group_id: i32,
    id: i32,
    username: String,
    display_name: String,
}

fn id_list(ids: &[i32]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Areas, members and leaders of the groups: three queries for any number of groups.
async fn hydrate(
    conn: &impl ConnectionTrait,
    rows: Vec<GroupRow>,
) -> Result<Vec<WorkingGroupDto>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let list = id_list(&ids);
    let mut areas: HashMap<i32, Vec<AreaRef>> = HashMap::new();
    for a in AreaRow::find_by_statement(Statement::from_string(
        backend,
        format!(
            "SELECT a.working_group_id AS group_id, u.id, u.code, u.name FROM working_group_areas a \
             JOIN admin_units u ON u.id = a.admin_unit_id WHERE a.working_group_id IN ({list}) ORDER BY u.code, u.id"
        ),
    ))
    .all(conn)
    .await?
    {
        areas.entry(a.group_id).or_default().push(AreaRef { id: a.id, code: a.code, name: a.name });
    }
    let mut members: HashMap<i32, Vec<UserRef>> = HashMap::new();
    for m in MemberRow::find_by_statement(Statement::from_string(
        backend,
        format!(
            "SELECT m.working_group_id AS group_id, us.id, us.username, us.display_name FROM working_group_members m \
             JOIN users us ON us.id = m.user_id WHERE m.working_group_id IN ({list}) ORDER BY us.username"
        ),
    ))
    .all(conn)
    .await?
    {
        members.entry(m.group_id).or_default().push(UserRef { id: m.id, username: m.username, display_name: m.display_name });
    }
    let leader_ids: Vec<i32> = rows.iter().filter_map(|r| r.leader_id).collect();
    let leaders: HashMap<i32, UserRef> = if leader_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(leader_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| {
                (
                    u.id,
                    UserRef {
                        id: u.id,
                        username: u.username,
                        display_name: u.display_name,
                    },
                )
            })
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| WorkingGroupDto {
            id: r.id,
            project: r.project_code,
            name: r.name,
            leader: r.leader_id.and_then(|l| leaders.get(&l).cloned()),
            area: areas.remove(&r.id).unwrap_or_default(),
            members: members.remove(&r.id).unwrap_or_default(),
        })
        .collect())
}

/// The groups this principal sees, by ascending id.
pub async fn list(
    conn: &impl ConnectionTrait,
    who: &Principal,
    q: &WorkingGroupQuery,
) -> AppResult<Page<WorkingGroupDto>> {
    let limit = crate::pagination::limit(q.limit)?;
    let mut values: Vec<Value> = Vec::new();
    let mut conds = vec![visibility(who)];
    if let Some(code) = q.project.as_deref().filter(|c| !c.is_empty()) {
        let project = crate::projects::service::visible_project(conn, who, code).await?;
        values.push(project.id.into());
        conds.push(format!("wg.project_id = ${}", values.len()));
    }
    if let Some(c) = Cursor::decode(q.cursor.as_deref())? {
        values.push(c.0.into());
        conds.push(format!("wg.id > ${}", values.len()));
    }
    let sql = format!(
        "{SELECT_GROUP} WHERE {} ORDER BY wg.id LIMIT {}",
        conds.join(" AND "),
        limit + 1
    );
    let rows = GroupRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        values,
    ))
    .all(conn)
    .await?;
    let page = Page::from_rows(rows, limit, |r| r.id, |r| r);
    Ok(Page {
        items: hydrate(conn, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// One group, if this principal sees it.
pub async fn get(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
) -> AppResult<WorkingGroupDto> {
    let sql = format!("{SELECT_GROUP} WHERE wg.id = $1 AND {}", visibility(who));
    let row = GroupRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [Value::from(id)],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::not_found("working group"))?;
    hydrate(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("working group"))
}

fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        let i = i.trim().to_string();
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Creates a group with its area and members; returns its id.
pub async fn create(conn: &impl ConnectionTrait, new: NewWorkingGroup) -> AppResult<i32> {
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid(
            "invalid_name",
            "give the working group a name of 1 to 200 characters",
        ));
    }
    if new.area.is_empty() {
        return Err(AppError::invalid(
            "missing_area",
            "area must list at least one administrative unit code",
        ));
    }
    let project = crate::projects::service::by_code(conn, new.project.trim())
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "unknown_project",
                format!("there is no project with code `{}`", new.project.trim()),
            )
        })?;

    let mut unit_ids: Vec<i32> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for spec in dedup(&new.area) {
        match crate::admin_units::routes::resolve_code(conn, &spec).await? {
            Some(u) if !unit_ids.contains(&u.id) => unit_ids.push(u.id),
            Some(_) => {}
            None => unknown.push(spec),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::invalid(
            "unknown_area",
            format!("no administrative unit with code {}", unknown.join(", ")),
        ));
    }

    let usernames = dedup(&new.members);
    let found = if usernames.is_empty() {
        Vec::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Username.is_in(usernames.clone()))
            .all(conn)
            .await?
    };
    let missing: Vec<&str> = usernames
        .iter()
        .filter(|n| !found.iter().any(|u| &u.username == *n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "unknown_user",
            format!("no user named {}", missing.join(", ")),
        ));
    }
    let leader = match new
        .leader
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(l) => Some(
            users::Entity::find()
                .filter(users::Column::Username.eq(l))
                .one(conn)
                .await?
                .ok_or_else(|| {
                    AppError::invalid("unknown_user", format!("leader: no user named {l}"))
                })?,
        ),
        None => None,
    };
    let clash = working_groups::Entity::find()
        .filter(working_groups::Column::ProjectId.eq(project.id))
        .filter(working_groups::Column::Name.eq(name.as_str()))
        .one(conn)
        .await?;
    if clash.is_some() {
        return Err(AppError::Conflict {
            code: "duplicate",
            message: format!(
                "project {} already has a working group named {name}",
                project.code
            ),
        });
    }

    let group = working_groups::ActiveModel {
        project_id: Set(project.id),
        name: Set(name),
        leader_id: Set(leader.map(|l| l.id)),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    working_group_areas::Entity::insert_many(unit_ids.iter().map(|u| {
        working_group_areas::ActiveModel {
            working_group_id: Set(group.id),
            admin_unit_id: Set(*u),
        }
    }))
    .exec_without_returning(conn)
    .await?;
    if !found.is_empty() {
        working_group_members::Entity::insert_many(found.iter().map(|u| {
            working_group_members::ActiveModel {
                working_group_id: Set(group.id),
                user_id: Set(u.id),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(group.id)
}
