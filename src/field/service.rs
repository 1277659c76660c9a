//! The field app's queries: a member's work list sorted by what needs doing, the one-answer
//! household page, and next-visit assignments by group leaders. Every query takes the
//! caller's scope; a household outside it is 404.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

use super::dto::{
    AssignmentDto, FieldHouseholdDto, FieldParcelDto, FieldVisitDto, GrievanceRefDto, GroupRef,
    MyWorkQuery, NewAssignment, OpenCommitmentDto, Reason, WorkItemDto,
};
use crate::auth::{Principal, Scope};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::households::dto::CommuneRef;
use crate::households::service::escape_like;
use crate::pagination::{Cursor, Page};
use crate::sql::Conditions;
use crate::text::fold;
use crate::working_groups::dto::UserRef;

/// A visit or commitment due within this many days is "due" (sooner ones come first).
pub const DUE_SOON_DAYS: i64 = 7;

/// What the work list knows about one household.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub assignment_due: Option<NaiveDate>,
    pub next_visit_on: Option<NaiveDate>,
    pub commitment_due: Option<NaiveDate>,
    pub stance: Option<String>,
    pub last_visit_on: Option<NaiveDate>,
}

/// Urgency tier (lower first), the date that orders a tier, and the reasons, most urgent
/// first. Pure, so the ordering rules are tested without a database.
pub fn rank(f: &Facts, today: NaiveDate, not_visited_days: i64) -> (u8, NaiveDate, Vec<Reason>) {
    let soon = today + Duration::days(DUE_SOON_DAYS);
    let mut found: Vec<(u8, NaiveDate, Reason)> = Vec::new();
    let reason = |kind: &str, date: Option<NaiveDate>, days: Option<i64>| Reason {
        kind: kind.to_string(),
        date,
        days,
    };
    if let Some(d) = f.assignment_due {
        found.push((0, d, reason("assigned", Some(d), None)));
    }
    if let Some(d) = f.next_visit_on {
        if d < today {
            found.push((1, d, reason("visit_overdue", Some(d), None)));
        } else if d <= soon {
            found.push((3, d, reason("visit_due", Some(d), None)));
        }
    }
    if let Some(d) = f.commitment_due {
        if d < today {
            found.push((2, d, reason("commitment_overdue", Some(d), None)));
        } else if d <= soon {
            found.push((4, d, reason("commitment_due", Some(d), None)));
        }
    }
    if matches!(f.stance.as_deref(), Some("disagrees" | "refuses_contact")) {
        found.push((5, today, reason("disagrees", None, None)));
    }
    match f.last_visit_on {
        None => found.push((6, NaiveDate::MIN, reason("not_visited", None, None))),
        Some(d) if (today - d).num_days() >= not_visited_days => {
            let days = (today - d).num_days();
            found.push((6, d, reason("not_visited", None, Some(days))));
        }
        Some(_) => {}
    }
    found.sort_by_key(|(tier, date, _)| (*tier, *date));
    let (tier, date) = found
        .first()
        .map(|(t, d, _)| (*t, *d))
        .unwrap_or((7, NaiveDate::MAX));
    (tier, date, found.into_iter().map(|(_, _, r)| r).collect())
}

/// A parcel reference typed in the search box: `12/345`, `12-345`, `tờ 12 thửa 345`
/// (folded: `to 12 thua 345`), or `thua 345`.
#[derive(Debug, PartialEq)]
pub struct ParcelRef {
    pub map_sheet: Option<String>,
    pub parcel_no: String,
}

pub fn parse_parcel_ref(folded: &str) -> Option<ParcelRef> {
    let mut numbers = Vec::new();
    let mut words = Vec::new();
    for token in folded.split(|c: char| c.is_whitespace() || matches!(c, '/' | '-' | ',' | ':')) {
        if token.is_empty() {
            continue;
        }
        if token.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(token.trim_start_matches('0').to_string());
        } else if let Some(n) = ["thua", "to", "so", "t"].iter().find_map(|w| {
            token
                .strip_prefix(w)
                .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
        }) {
            // "t12" or "to12": a word glued to its number.
            words.push(
                token
                    .trim_end_matches(|c: char| c.is_ascii_digit())
                    .to_string(),
            );
            numbers.push(n.trim_start_matches('0').to_string());
        } else if matches!(token, "thua" | "to" | "so" | "t" | "tbd" | "ban" | "do") {
            words.push(token.to_string());
        } else {
            return None;
        }
    }
    match numbers.as_slice() {
        [sheet, parcel] => Some(ParcelRef {
            map_sheet: Some(sheet.clone()),
            parcel_no: parcel.clone(),
        }),
        [parcel] if words.iter().any(|w| w == "thua") => Some(ParcelRef {
            map_sheet: None,
            parcel_no: parcel.clone(),
        }),
        _ => None,
    }
}

#[derive(Debug, FromQueryResult)]
struct WorkRow {
    id: i32,
    project_code: String,
    code: String,
    head_name: String,
    id_number: Option<String>,
    phone: Option<String>,
    address: String,
    commune_id: i32,
    commune_code: String,
    commune_name: String,
    members: String,
    stance: Option<String>,
    last_visit_at: Option<DateTime<FixedOffset>>,
    next_visit_on: Option<NaiveDate>,
    commitment_due: Option<NaiveDate>,
    open_commitments: i64,
}

const SELECT_WORK: &str = "SELECT h.id, p.code AS project_code, h.code, h.head_name, h.id_number, h.phone, \
     h.address, h.commune_id, u.code AS commune_code, u.name AS commune_name, h.members, h.stance, h.last_visit_at, \
     (SELECT v.next_visit_on FROM visits v WHERE v.household_id = h.id ORDER BY v.visited_at DESC, v.id DESC LIMIT 1) AS next_visit_on, \
     (SELECT MIN(c.due_date) FROM commitments c WHERE c.household_id = h.id AND c.done_at IS NULL) AS commitment_due, \
     (SELECT COUNT(*) FROM commitments c WHERE c.household_id = h.id AND c.done_at IS NULL) AS open_commitments \
     FROM households h JOIN projects p ON p.id = h.project_id JOIN admin_units u ON u.id = h.commune_id";

/// An assignment is open until someone logs a visit to the household after it was made.
const OPEN_ASSIGNMENT: &str = "NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = a.household_id AND v.created_at >= a.created_at)";

#[derive(Debug, FromQueryResult)]
struct AssignmentRow {
    id: i32,
    household_id: i32,
    due_on: NaiveDate,
    note: String,
    created_at: DateTime<FixedOffset>,
    assignee_id: i32,
    a_username: String,
    a_display: String,
    assigned_by: Option<i32>,
    b_username: Option<String>,
    b_display: Option<String>,
}

impl From<AssignmentRow> for AssignmentDto {
    fn from(r: AssignmentRow) -> Self {
        AssignmentDto {
            id: r.id,
            household_id: r.household_id,
            assignee: UserRef {
                id: r.assignee_id,
                username: r.a_username,
                display_name: r.a_display,
            },
            assigned_by: match (r.assigned_by, r.b_username, r.b_display) {
                (Some(id), Some(username), Some(display_name)) => Some(UserRef {
                    id,
                    username,
                    display_name,
                }),
                _ => None,
            },
            due_on: r.due_on,
            note: r.note,
            created_at: r.created_at.to_rfc3339(),
        }
    }
}

/// Open assignments matching `cond` (with `$1`… bound to `values`), earliest due first.
async fn open_assignments(
    conn: &impl ConnectionTrait,
    cond: &str,
    values: Vec<Value>,
) -> Result<Vec<AssignmentDto>, DbErr> {
    let sql = format!(
        "SELECT a.id, a.household_id, a.due_on, a.note, a.created_at, a.assignee_id, \
         ua.username AS a_username, ua.display_name AS a_display, a.assigned_by, \
         ub.username AS b_username, ub.display_name AS b_display \
         FROM next_visit_assignments a JOIN users ua ON ua.id = a.assignee_id \
         LEFT JOIN users ub ON ub.id = a.assigned_by WHERE {cond} AND {OPEN_ASSIGNMENT} \
         ORDER BY a.due_on, a.id"
    );
    Ok(
        AssignmentRow::find_by_statement(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            values,
        ))
        .all(conn)
        .await?
        .into_iter()
        .map(AssignmentDto::from)
        .collect(),
    )
}

fn today() -> NaiveDate {
    // Vietnam is UTC+7 and does not change clocks: "today" is the date there.
    (Utc::now() + Duration::hours(7)).date_naive()
}

fn local_date(t: DateTime<FixedOffset>) -> NaiveDate {
    (t.naive_utc() + Duration::hours(7)).date()
}

/// The caller's households, most urgent first, each with why it is listed.
pub async fn my_work(
    conn: &impl ConnectionTrait,
    who: &Principal,
    not_visited_days: i64,
    q: &MyWorkQuery,
) -> AppResult<Page<WorkItemDto>> {
    let limit = crate::pagination::limit(q.limit)?;
    let offset = Cursor::decode(q.cursor.as_deref())?.map_or(0, |c| c.0.max(0) as usize);
    let mut b = Conditions::new(who.scope.sql_condition("h"));
    if let Some(text) = q.q.as_deref() {
        let folded = fold(text);
        if !folded.is_empty() {
            let like = b.bind(format!("%{}%", escape_like(&folded)));
            let mut cond = format!("h.search_key LIKE {like} ESCAPE '\\'");
            if let Some(p) = parse_parcel_ref(&folded) {
                let no = b.bind(p.parcel_no);
                let sheet = match p.map_sheet {
                    Some(s) => format!(" AND x.map_sheet = {}", b.bind(s)),
                    None => String::new(),
                };
                cond = format!(
                    "({cond} OR EXISTS (SELECT 1 FROM household_parcels hp JOIN parcels x ON x.id = hp.parcel_id \
                     WHERE hp.household_id = h.id AND x.parcel_no = {no}{sheet}))"
                );
            }
            b.push(cond);
        }
    }
    let sql = format!("{SELECT_WORK} WHERE {}", b.sql());
    let rows = WorkRow::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        b.into_values(),
    ))
    .all(conn)
    .await?;
    let mut assignments: HashMap<i32, AssignmentDto> = HashMap::new();
    if let Some(me) = who.user_id {
        for a in open_assignments(conn, "a.assignee_id = $1", vec![me.into()]).await? {
            assignments.entry(a.household_id).or_insert(a);
        }
    }
    let today = today();
    let mut ranked: Vec<(u8, NaiveDate, i32, Vec<Reason>, WorkRow)> = rows
        .into_iter()
        .map(|r| {
            let facts = Facts {
                assignment_due: assignments.get(&r.id).map(|a| a.due_on),
                next_visit_on: r.next_visit_on,
                commitment_due: r.commitment_due,
                stance: r.stance.clone(),
                last_visit_on: r.last_visit_at.map(local_date),
            };
            let (tier, date, reasons) = rank(&facts, today, not_visited_days);
            (tier, date, r.id, reasons, r)
        })
        .collect();
    ranked.sort_by_key(|(tier, date, id, _, _)| (*tier, *date, *id));
    let total = ranked.len();
    let page: Vec<_> = ranked
        .into_iter()
        .skip(offset)
        .take(limit as usize)
        .collect();
    let next = offset + page.len();
    let ids: Vec<i32> = page.iter().map(|(_, _, id, _, _)| *id).collect();
    let mut parcels = crate::households::service::parcels_of(conn, &who.scope, &ids).await?;
    let items = page
        .into_iter()
        .map(|(_, _, id, reasons, r)| WorkItemDto {
            id,
            project: r.project_code,
            code: r.code,
            head_name: r.head_name,
            id_number: r.id_number,
            phone: r.phone,
            address: r.address,
            commune: CommuneRef {
                id: r.commune_id,
                code: r.commune_code,
                name: r.commune_name,
            },
            members: serde_json::from_str(&r.members)
                .unwrap_or_else(|_| serde_json::Value::Array(Vec::new())),
            stance: r.stance,
            last_visit_at: r.last_visit_at.map(|t| t.to_rfc3339()),
            next_visit_on: r.next_visit_on,
            open_commitments: r.open_commitments,
            parcels: parcels.remove(&id).unwrap_or_default(),
            reasons,
            assignment: assignments.remove(&id),
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: (next < total).then(|| Cursor(next as i32).encode()),
    })
}

/// A working group covering a household's commune.
#[derive(Debug, FromQueryResult)]
struct CoveringGroup {
    id: i32,
    name: String,
    leader_id: Option<i32>,
}

async fn covering_groups(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
) -> Result<Vec<CoveringGroup>, DbErr> {
    // A group's area unit covers itself, the units merged into it and a district's communes,
    // as `auth::scope` expands it.
    CoveringGroup::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT DISTINCT wg.id, wg.name, wg.leader_id FROM working_groups wg \
         JOIN working_group_areas a ON a.working_group_id = wg.id \
         JOIN admin_units u ON u.id = $2 AND (u.id = a.admin_unit_id OR u.successor_id = a.admin_unit_id OR u.parent_id = a.admin_unit_id) \
         WHERE wg.project_id = $1 ORDER BY wg.id",
        [Value::from(project_id), Value::from(commune_id)],
    ))
    .all(conn)
    .await
}

/// Members and leaders of the given groups.
async fn people_of(conn: &impl ConnectionTrait, groups: &[i32]) -> Result<Vec<UserRef>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i32,
        username: String,
        display_name: String,
    }
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let list = list.join(",");
    let sql = format!(
        "SELECT DISTINCT u.id, u.username, u.display_name FROM users u WHERE u.disabled = {f} AND \
         (u.id IN (SELECT user_id FROM working_group_members WHERE working_group_id IN ({list})) \
          OR u.id IN (SELECT leader_id FROM working_groups WHERE id IN ({list}))) ORDER BY u.id",
        f = if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
            "FALSE"
        } else {
            "0"
        }
    );
    Ok(
        Row::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| UserRef {
                id: r.id,
                username: r.username,
                display_name: r.display_name,
            })
            .collect(),
    )
}

/// Where a household is, for permission checks.
async fn household_place(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: i32,
) -> AppResult<(i32, i32)> {
    let sql = format!(
        "SELECT h.project_id, h.commune_id FROM households h WHERE h.id = $1 AND {}",
        scope.sql_condition("h")
    );
    let row = conn
        .query_one(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            [Value::from(id)],
        ))
        .await?
        .ok_or_else(|| AppError::not_found("household"))?;
    Ok((
        row.try_get("", "project_id")?,
        row.try_get("", "commune_id")?,
    ))
}

/// Who may assign a household's next visit, and to whom: administrators (any member of a
/// covering group) and leaders of a covering group (its members).
struct AssignRights {
    groups: Vec<CoveringGroup>,
    can_assign: bool,
    assignable: Vec<UserRef>,
}

async fn assign_rights(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project_id: i32,
    commune_id: i32,
) -> Result<AssignRights, DbErr> {
    let groups = covering_groups(conn, project_id, commune_id).await?;
    let led: Vec<i32> = if who.role == Role::Admin {
        groups.iter().map(|g| g.id).collect()
    } else {
        groups
            .iter()
            .filter(|g| who.user_id.is_some() && g.leader_id == who.user_id)
            .map(|g| g.id)
            .collect()
    };
    let assignable = people_of(conn, &led).await?;
    Ok(AssignRights {
        can_assign: !led.is_empty(),
        groups,
        assignable,
    })
}

/// A leader's (or administrator's) "visit this household by `due_on`" for one member.
pub async fn assign(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household_id: i32,
    new: NewAssignment,
) -> AppResult<AssignmentDto> {
    let (project_id, commune_id) = household_place(conn, &who.scope, household_id).await?;
    let rights = assign_rights(conn, who, project_id, commune_id).await?;
    if !rights.can_assign {
        return Err(AppError::Forbidden(
            "only the leader of a working group covering this household, or an administrator, may assign its next visit".into(),
        ));
    }
    let assignee = match &new.assignee {
        serde_json::Value::String(name) => {
            rights.assignable.iter().find(|u| u.username == name.trim())
        }
        serde_json::Value::Number(n) => rights
            .assignable
            .iter()
            .find(|u| n.as_i64() == Some(i64::from(u.id))),
        _ => {
            return Err(AppError::invalid(
                "invalid_assignee",
                "assignee must be a username (text) or a user id (number)",
            ))
        }
    }
    .ok_or_else(|| {
        AppError::invalid(
            "invalid_assignee",
            format!(
                "{} is not a member of a working group you lead that covers this household",
                new.assignee
            ),
        )
    })?
    .clone();
    if new.due_on < today() {
        return Err(AppError::invalid(
            "due_in_past",
            "due_on is in the past; give today or a later date",
        ));
    }
    let note = new.note.trim();
    if note.chars().count() > 2000 {
        return Err(AppError::invalid(
            "note_too_long",
            "the note is limited to 2,000 characters",
        ));
    }
    let row = conn
        .query_one(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "INSERT INTO next_visit_assignments (project_id, household_id, assignee_id, assigned_by, due_on, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            [
                Value::from(project_id),
                Value::from(household_id),
                Value::from(assignee.id),
                Value::from(who.user_id),
                Value::from(new.due_on),
                Value::from(note),
                Value::from(Utc::now().fixed_offset()),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("insert returned no id")))?;
    let id: i32 = row.try_get("", "id")?;
    open_assignments(conn, "a.id = $1", vec![id.into()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("assignment {id} vanished")))
}

#[derive(FromQueryResult)]
struct ParcelGeoRow {
    id: i32,
    map_sheet: String,
    parcel_no: String,
    land_use: String,
    area_m2: f64,
    status: String,
    geometry: String,
}

/// The household page of the field app, in one answer.
pub async fn household(
    conn: &impl ConnectionTrait,
    who: &Principal,
    not_visited_days: i64,
    id: i32,
) -> AppResult<FieldHouseholdDto> {
    let scoped_id = crate::scoped::household(conn, &who.scope, id).await?;
    let household = crate::households::service::get(conn, &who.scope, scoped_id).await?;
    let (project_id, commune_id) = household_place(conn, &who.scope, id).await?;
    let backend = conn.get_database_backend();

    let row = WorkRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!("{SELECT_WORK} WHERE h.id = $1"),
        [Value::from(id)],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| AppError::not_found("household"))?;

    let rights = assign_rights(conn, who, project_id, commune_id).await?;
    let assignments = if rights.can_assign {
        open_assignments(conn, "a.household_id = $1", vec![id.into()]).await?
    } else if let Some(me) = who.user_id {
        open_assignments(
            conn,
            "a.household_id = $1 AND a.assignee_id = $2",
            vec![id.into(), me.into()],
        )
        .await?
    } else {
        Vec::new()
    };
    let mine = assignments
        .iter()
        .find(|a| Some(a.assignee.id) == who.user_id)
        .map(|a| a.due_on);
    let (_, _, reasons) = rank(
        &Facts {
            assignment_due: mine,
            next_visit_on: row.next_visit_on,
            commitment_due: row.commitment_due,
            stance: row.stance.clone(),
            last_visit_on: row.last_visit_at.map(local_date),
        },
        today(),
        not_visited_days,
    );

    let parcels = ParcelGeoRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT x.id, x.map_sheet, x.parcel_no, x.land_use, x.area_m2, x.status, x.geometry \
         FROM household_parcels hp JOIN parcels x ON x.id = hp.parcel_id WHERE hp.household_id = $1 ORDER BY x.id",
        [Value::from(id)],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|p| FieldParcelDto {
        id: p.id,
        map_sheet: p.map_sheet,
        parcel_no: p.parcel_no,
        land_use: p.land_use,
        area_m2: p.area_m2,
        status: p.status,
        geometry: serde_json::from_str(&p.geometry).unwrap_or_default(),
    })
    .collect();

    let visits = crate::visits::service::list(
        conn,
        &who.scope,
        &crate::visits::dto::VisitQuery {
            household: Some(id),
            working_group: None,
            from: None,
            to: None,
            cursor: None,
            limit: Some(100),
        },
    )
    .await?
    .items;
    let visits = with_authors(conn, who, visits).await?;

    #[derive(FromQueryResult)]
    struct CommitmentRow {
        id: i32,
        visit_id: i32,
        text: String,
        owner: String,
        due_date: Option<NaiveDate>,
    }
    let open_commitments = CommitmentRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT id, visit_id, text, owner, due_date FROM commitments \
         WHERE household_id = $1 AND done_at IS NULL ORDER BY due_date, id",
        [Value::from(id)],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|c| OpenCommitmentDto {
        id: c.id,
        visit_id: c.visit_id,
        text: c.text,
        owner: c.owner,
        due_date: c.due_date,
    })
    .collect();

    #[derive(FromQueryResult)]
    struct GrievanceRow {
        id: i32,
        kind: String,
        channel: String,
        received_on: NaiveDate,
        status: String,
        content: String,
        resolve_by: Option<NaiveDate>,
        resolved_on: Option<NaiveDate>,
    }
    let grievances = GrievanceRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT g.id, g.kind, g.channel, g.received_on, g.status, g.content, g.resolve_by, g.resolved_on \
         FROM grievances g JOIN grievance_households gh ON gh.grievance_id = g.id \
         WHERE gh.household_id = $1 ORDER BY g.received_on DESC, g.id DESC",
        [Value::from(id)],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|g| GrievanceRefDto {
        id: g.id,
        kind: g.kind,
        channel: g.channel,
        received_on: g.received_on,
        status: g.status,
        content: g.content,
        resolve_by: g.resolve_by,
        resolved_on: g.resolved_on,
    })
    .collect();

    let my_groups = rights
        .groups
        .iter()
        .filter(|g| !who.role.is_area_scoped() || who.groups.contains(&g.id))
        .map(|g| GroupRef {
            id: g.id,
            name: g.name.clone(),
        })
        .collect();
    Ok(FieldHouseholdDto {
        household,
        reasons,
        parcels,
        visits,
        open_commitments,
        grievances,
        assignments,
        my_groups,
        can_assign: rights.can_assign,
        assignable: rights.assignable,
    })
}

/// Adds who logged each visit, how often it was edited and whether the caller may edit it.
async fn with_authors(
    conn: &impl ConnectionTrait,
    who: &Principal,
    visits: Vec<crate::visits::dto::VisitDto>,
) -> Result<Vec<FieldVisitDto>, DbErr> {
    let backend = conn.get_database_backend();
    let mut authors: HashMap<i32, String> = HashMap::new();
    let mut revisions: HashMap<i32, i64> = HashMap::new();
    let author_ids: HashSet<i32> = visits.iter().filter_map(|v| v.created_by).collect();
    if !author_ids.is_empty() {
        let list: Vec<String> = author_ids.iter().map(|i| i.to_string()).collect();
        for row in conn
            .query_all(Statement::from_string(
                backend,
                format!(
                    "SELECT id, display_name FROM users WHERE id IN ({})",
                    list.join(",")
                ),
            ))
            .await?
        {
            authors.insert(row.try_get("", "id")?, row.try_get("", "display_name")?);
        }
    }
    if !visits.is_empty() {
        let list: Vec<String> = visits.iter().map(|v| v.id.to_string()).collect();
        for row in conn
            .query_all(Statement::from_string(
                backend,
                format!(
                    "SELECT visit_id, COUNT(*) AS n FROM visit_revisions WHERE visit_id IN ({}) GROUP BY visit_id",
                    list.join(",")
                ),
            ))
            .await?
        {
            revisions.insert(row.try_get("", "visit_id")?, row.try_get("", "n")?);
        }
    }
    let now = Utc::now().fixed_offset();
    Ok(visits
        .into_iter()
        .map(|v| {
            let editable = DateTime::parse_from_rfc3339(&v.created_at).is_ok_and(|at| {
                crate::visits::edit::may_edit(who.user_id, v.created_by, at, now).is_ok()
            });
            FieldVisitDto {
                author: v.created_by.and_then(|id| authors.get(&id).cloned()),
                revisions: revisions.get(&v.id).copied().unwrap_or(0),
                editable,
                visit: v,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn urgency_order() {
        let today = d("2026-11-30");
        let kinds = |f: Facts| {
            let (tier, _, reasons) = rank(&f, today, 30);
            (
                tier,
                reasons.into_iter().map(|r| r.kind).collect::<Vec<_>>(),
            )
        };
        let recent = Some(d("2026-11-25"));
        assert_eq!(
            kinds(Facts {
                assignment_due: Some(d("2026-12-03")),
                next_visit_on: Some(d("2026-11-29")),
                stance: Some("disagrees".into()),
                last_visit_on: recent,
                ..Facts::default()
            }),
            (
                0,
                vec![
                    "assigned".into(),
                    "visit_overdue".into(),
                    "disagrees".into()
                ]
            )
        );
        assert_eq!(
            kinds(Facts {
                next_visit_on: Some(d("2026-12-02")),
                commitment_due: Some(d("2026-11-01")),
                last_visit_on: recent,
                ..Facts::default()
            }),
            (2, vec!["commitment_overdue".into(), "visit_due".into()])
        );
        // Far-off dates and a recent visit: nothing to do.
        assert_eq!(
            kinds(Facts {
                next_visit_on: Some(d("2027-01-20")),
                commitment_due: Some(d("2027-01-20")),
                stance: Some("agrees".into()),
                last_visit_on: recent,
                ..Facts::default()
            }),
            (7, vec![])
        );
        let (tier, _, reasons) = rank(
            &Facts {
                last_visit_on: Some(d("2026-10-01")),
                ..Facts::default()
            },
            today,
            30,
        );
        assert_eq!((tier, reasons[0].days), (6, Some(60)));
        assert_eq!(kinds(Facts::default()), (6, vec!["not_visited".into()]));
    }

    #[test]
    fn parcel_references() {
        let p = |s: &str| parse_parcel_ref(&fold(s));
        let both = |a: &str, b: &str| {
            Some(ParcelRef {
                map_sheet: Some(a.into()),
                parcel_no: b.into(),
            })
        };
        assert_eq!(p("12/345"), both("12", "345"));
        assert_eq!(p("tờ 12 thửa 345"), both("12", "345"));
        assert_eq!(p("Tờ 012, thửa 45"), both("12", "45"));
        assert_eq!(p("t12 t345"), both("12", "345"));
        assert_eq!(
            p("thửa 7"),
            Some(ParcelRef {
                map_sheet: None,
                parcel_no: "7".into()
            })
        );
        assert_eq!(p("nguyen van a"), None);
        assert_eq!(p("051090012345"), None);
    }
}
