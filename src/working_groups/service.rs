//! Working groups (tổ công tác): who sees which, and creating them.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Condition, Expr, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Set,
};

use super::dto::{
    AreaRef, NewWorkingGroup, UserRef, WorkingGroupDto, WorkingGroupPatch, WorkingGroupQuery,
};
use crate::auth::Principal;
use crate::entities::{
    admin_units, projects, users, working_group_areas, working_group_members, working_groups,
};
use crate::error::{AppError, AppResult};
use crate::pagination::{Direction, Keyset, Page};
use crate::users::service::field_error;

/// Which groups a principal sees: members and district leaders their own groups; a project
/// board's token the groups of its project; administrators and leaders all; nobody else any.
fn visibility(who: &Principal) -> Condition {
    let none = || Condition::all().add(Expr::val(1).eq(0));
    if who.role.is_area_scoped() {
        if who.groups.is_empty() {
            return none();
        }
        return Condition::all().add(working_groups::Column::Id.is_in(who.groups.iter().copied()));
    }
    match who.scope.project_id() {
        Some(p) => Condition::all().add(working_groups::Column::ProjectId.eq(p)),
        None if who.scope.is_everything() => Condition::all(),
        None => none(),
    }
}

#[derive(Debug, FromQueryResult)]
struct AreaRow {
    group_id: i32,
    id: i32,
    code: String,
    name: String,
}

/// The administrative units each group covers, by code.
async fn areas_of(
    conn: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<AreaRef>>, DbErr> {
    use working_group_areas::Column as A;
    let (a, u) = (Alias::new("a"), Alias::new("u"));
    let stmt = Query::select()
        .expr_as(
            Expr::col((a.clone(), A::WorkingGroupId)),
            Alias::new("group_id"),
        )
        .columns([
            (u.clone(), admin_units::Column::Id),
            (u.clone(), admin_units::Column::Code),
            (u.clone(), admin_units::Column::Name),
        ])
        .from_as(working_group_areas::Entity, a.clone())
        .join_as(
            JoinType::InnerJoin,
            admin_units::Entity,
            u.clone(),
            Expr::col((u.clone(), admin_units::Column::Id)).equals((a.clone(), A::AdminUnitId)),
        )
        .and_where(Expr::col((a, A::WorkingGroupId)).is_in(ids.iter().copied()))
        .order_by((u.clone(), admin_units::Column::Code), Order::Asc)
        .order_by((u, admin_units::Column::Id), Order::Asc)
        .to_owned();
    let mut areas: HashMap<i32, Vec<AreaRef>> = HashMap::new();
    for r in AreaRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?
    {
        areas.entry(r.group_id).or_default().push(AreaRef {
            id: r.id,
            code: r.code,
            name: r.name,
        });
    }
    Ok(areas)
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    group_id: i32,
    id: i32,
    username: String,
    display_name: String,
}

/// The members of each group, by username.
async fn members_of(
    conn: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<UserRef>>, DbErr> {
    use working_group_members::Column as M;
    let (m, us) = (Alias::new("m"), Alias::new("us"));
    let stmt = Query::select()
        .expr_as(
            Expr::col((m.clone(), M::WorkingGroupId)),
            Alias::new("group_id"),
        )
        .columns([
            (us.clone(), users::Column::Id),
            (us.clone(), users::Column::Username),
            (us.clone(), users::Column::DisplayName),
        ])
        .from_as(working_group_members::Entity, m.clone())
        .join_as(
            JoinType::InnerJoin,
            users::Entity,
            us.clone(),
            Expr::col((us.clone(), users::Column::Id)).equals((m.clone(), M::UserId)),
        )
        .and_where(Expr::col((m, M::WorkingGroupId)).is_in(ids.iter().copied()))
        .order_by((us, users::Column::Username), Order::Asc)
        .to_owned();
    let mut members: HashMap<i32, Vec<UserRef>> = HashMap::new();
    for r in MemberRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?
    {
        members.entry(r.group_id).or_default().push(UserRef {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
        });
    }
    Ok(members)
}

/// Project codes, leaders, areas and members of the groups: a few queries for any number.
async fn hydrate(
    conn: &impl ConnectionTrait,
    rows: Vec<working_groups::Model>,
) -> Result<Vec<WorkingGroupDto>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut areas = areas_of(conn, &ids).await?;
    let mut members = members_of(conn, &ids).await?;
    let projects: HashMap<i32, String> = projects::Entity::find()
        .filter(projects::Column::Id.is_in(rows.iter().map(|r| r.project_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
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
            project: projects.get(&r.project_id).cloned().unwrap_or_default(),
            name: r.name,
            leader: r.leader_id.and_then(|l| leaders.get(&l).cloned()),
            area: areas.remove(&r.id).unwrap_or_default(),
            members: members.remove(&r.id).unwrap_or_default(),
        })
        .collect())
}

/// The groups this principal sees, by ascending id.
#[tracing::instrument(skip_all, fields(user_id = ?who.user_id, project = ?q.project))]
pub async fn list(
    conn: &impl ConnectionTrait,
    who: &Principal,
    q: &WorkingGroupQuery,
) -> AppResult<Page<WorkingGroupDto>> {
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Ascending)?;
    let mut select = working_groups::Entity::find().filter(visibility(who));
    if let Some(code) = q.project.as_deref().filter(|c| !c.is_empty()) {
        let project = crate::projects::service::visible_project(conn, who, code).await?;
        select = select.filter(working_groups::Column::ProjectId.eq(project.id));
    }
    let rows = keyset
        .apply(select, working_groups::Column::Id)
        .all(conn)
        .await?;
    let page = keyset.page(rows, |r| r.id, |r| r);
    Ok(Page {
        items: hydrate(conn, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// One group, if this principal sees it.
#[tracing::instrument(skip_all, fields(user_id = ?who.user_id, working_group_id = id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: i32,
) -> AppResult<WorkingGroupDto> {
    let row = working_groups::Entity::find()
        .filter(visibility(who))
        .filter(working_groups::Column::Id.eq(id))
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

/// The admin units the codes name (`CODE@YYYY-MM-DD` for a unit in force that day), or 422
/// naming the unknown codes.
async fn area_units(conn: &impl ConnectionTrait, area: &[String]) -> AppResult<Vec<i32>> {
    let mut unit_ids: Vec<i32> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for spec in dedup(area) {
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
    Ok(unit_ids)
}

/// The users named, or 422 naming the unknown usernames.
async fn members_named(
    conn: &impl ConnectionTrait,
    names: &[String],
) -> AppResult<Vec<users::Model>> {
    let usernames = dedup(names);
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
    Ok(found)
}

/// The group's leader, if one is named.
async fn leader_named(
    conn: &impl ConnectionTrait,
    name: Option<&str>,
) -> AppResult<Option<users::Model>> {
    let Some(l) = name.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let leader = users::Entity::find()
        .filter(users::Column::Username.eq(l))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::invalid("unknown_user", format!("leader: no user named {l}")))?;
    Ok(Some(leader))
}

/// Creates a group with its area and members; returns its id.
#[tracing::instrument(skip_all, fields(project = %new.project))]
pub async fn create(conn: &impl ConnectionTrait, new: NewWorkingGroup) -> AppResult<i32> {
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid(
            "invalid_name",
            "give the working group a name of 1 to 200 characters",
        ));
    }
    if new.area.is_empty() && new.area_ids.is_empty() {
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

    let mut unit_ids = area_units(conn, &new.area).await?;
    for u in units_by_id(conn, &new.area_ids, "area_ids").await? {
        if !unit_ids.contains(&u) {
            unit_ids.push(u);
        }
    }
    let mut found = members_named(conn, &new.members).await?;
    for u in users_by_id(conn, &new.member_ids, "member_ids").await? {
        if !found.iter().any(|f| f.id == u.id) {
            found.push(u);
        }
    }
    let leader = match new.leader_id {
        Some(id) => users_by_id(conn, &[id], "leader_id").await?.pop(),
        None => leader_named(conn, new.leader.as_deref()).await?,
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

/// The ids given, once each, in order.
fn unique_ids(ids: &[i32]) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::new();
    for i in ids {
        if !out.contains(i) {
            out.push(*i);
        }
    }
    out
}

/// The administrative units by id, or 422 on `field` naming the unknown ids.
async fn units_by_id(conn: &impl ConnectionTrait, ids: &[i32], field: &str) -> AppResult<Vec<i32>> {
    let ids = unique_ids(ids);
    if ids.is_empty() {
        return Ok(ids);
    }
    let found: Vec<i32> = admin_units::Entity::find()
        .filter(admin_units::Column::Id.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let unknown: Vec<i32> = ids.iter().copied().filter(|i| !found.contains(i)).collect();
    if !unknown.is_empty() {
        return Err(field_error(
            "unknown_area",
            field,
            format!("no administrative unit with id {unknown:?}"),
            serde_json::json!({ "ids": unknown }),
        ));
    }
    Ok(ids)
}

/// The users by id, in the order given, or 422 on `field` naming the unknown ids.
async fn users_by_id(
    conn: &impl ConnectionTrait,
    ids: &[i32],
    field: &str,
) -> AppResult<Vec<users::Model>> {
    let ids = unique_ids(ids);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = users::Entity::find()
        .filter(users::Column::Id.is_in(ids.clone()))
        .all(conn)
        .await?;
    let unknown: Vec<i32> = ids
        .iter()
        .copied()
        .filter(|i| !found.iter().any(|u| u.id == *i))
        .collect();
    if !unknown.is_empty() {
        return Err(field_error(
            "unknown_user",
            field,
            format!("no user with id {unknown:?}"),
            serde_json::json!({ "ids": unknown }),
        ));
    }
    Ok(found)
}

/// Changes a group: name, project, leader, members and area (lists replaced whole). Every id
/// is checked first; nothing is written when one is unknown. Returns what changed, for the
/// audit trail (`[before, after]` per field).
#[tracing::instrument(skip_all, fields(working_group_id = id))]
#[expect(
    clippy::too_many_lines,
    reason = "one PATCH read top to bottom: check every field, then write what changed"
)]
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i32,
    patch: &WorkingGroupPatch,
) -> AppResult<serde_json::Value> {
    use serde_json::json;
    let group = working_groups::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("working group"))?;
    let before = hydrate(conn, vec![group.clone()])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("working group"))?;
    let mut changes = serde_json::Map::new();
    let mut active: working_groups::ActiveModel = group.clone().into();

    let project_id = match patch.project.as_deref().map(str::trim) {
        Some(code) => {
            let p = crate::projects::service::by_code(conn, code)
                .await?
                .ok_or_else(|| {
                    field_error(
                        "unknown_project",
                        "project",
                        format!("there is no project with code `{code}`"),
                        json!({}),
                    )
                })?;
            if p.id != group.project_id {
                changes.insert("project".into(), json!([before.project, p.code]));
                active.project_id = Set(p.id);
            }
            p.id
        }
        None => group.project_id,
    };
    let name = match &patch.name {
        Some(n) => {
            let n = n.trim().to_string();
            if n.is_empty() || n.chars().count() > 200 {
                return Err(field_error(
                    "invalid_name",
                    "name",
                    "give the working group a name of 1 to 200 characters",
                    json!({}),
                ));
            }
            if n != group.name {
                changes.insert("name".into(), json!([group.name, n]));
                active.name = Set(n.clone());
            }
            n
        }
        None => group.name.clone(),
    };
    let clash = working_groups::Entity::find()
        .filter(working_groups::Column::ProjectId.eq(project_id))
        .filter(working_groups::Column::Name.eq(name.as_str()))
        .filter(working_groups::Column::Id.ne(id))
        .one(conn)
        .await?;
    if clash.is_some() {
        return Err(field_error(
            "duplicate_name",
            "name",
            format!("the project already has a working group named {name}"),
            json!({ "name": name }),
        ));
    }
    if let Some(leader) = patch.leader_id {
        let new = match leader {
            Some(l) => users_by_id(conn, &[l], "leader_id").await?.pop(),
            None => None,
        };
        let new_id = new.as_ref().map(|u| u.id);
        if new_id != group.leader_id {
            changes.insert(
                "leader".into(),
                json!([
                    before.leader.as_ref().map(|l| l.username.as_str()),
                    new.as_ref().map(|u| u.username.as_str())
                ]),
            );
            active.leader_id = Set(new_id);
        }
    }
    let members = match &patch.member_ids {
        Some(ids) => Some(users_by_id(conn, ids, "member_ids").await?),
        None => None,
    };
    let units = match &patch.area_ids {
        Some(ids) if ids.is_empty() => {
            return Err(field_error(
                "missing_area",
                "area_ids",
                "a working group covers at least one administrative unit",
                json!({}),
            ))
        }
        Some(ids) => Some(units_by_id(conn, ids, "area_ids").await?),
        None => None,
    };

    if let Some(members) = members {
        let mut old: Vec<&str> = before.members.iter().map(|m| m.username.as_str()).collect();
        let mut new: Vec<&str> = members.iter().map(|m| m.username.as_str()).collect();
        old.sort_unstable();
        new.sort_unstable();
        if old != new {
            changes.insert("members".into(), json!([old, new]));
            working_group_members::Entity::delete_many()
                .filter(working_group_members::Column::WorkingGroupId.eq(id))
                .exec(conn)
                .await?;
            if !members.is_empty() {
                working_group_members::Entity::insert_many(members.iter().map(|u| {
                    working_group_members::ActiveModel {
                        working_group_id: Set(id),
                        user_id: Set(u.id),
                    }
                }))
                .exec_without_returning(conn)
                .await?;
            }
        }
    }
    if let Some(units) = units {
        let mut old: Vec<i32> = before.area.iter().map(|a| a.id).collect();
        let mut new = units.clone();
        old.sort_unstable();
        new.sort_unstable();
        if old != new {
            changes.insert("area_ids".into(), json!([old, new]));
            working_group_areas::Entity::delete_many()
                .filter(working_group_areas::Column::WorkingGroupId.eq(id))
                .exec(conn)
                .await?;
            working_group_areas::Entity::insert_many(units.iter().map(|u| {
                working_group_areas::ActiveModel {
                    working_group_id: Set(id),
                    admin_unit_id: Set(*u),
                }
            }))
            .exec_without_returning(conn)
            .await?;
        }
    }
    if active.is_changed() {
        active.update(conn).await?;
    }
    Ok(serde_json::Value::Object(changes))
}
