//! The field app's queries: a member's work list sorted by what needs doing, the one-answer
//! household page, and next-visit assignments by group leaders. Every query takes the
//! caller's scope; a household outside it is 404.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Condition, Expr, Func, JoinType, LikeExpr, Order, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::dto::{
    AssignmentDto, CompensationSummaryDto, FieldHouseholdDto, FieldParcelDto, FieldVisitDto,
    GrievanceRefDto, GroupRef, MyWorkQuery, NewAssignment, OpenCommitmentDto, Reason, ReasonKind,
    WorkItemDto,
};
use crate::auth::{Principal, Scope};
use crate::domain::{Channel, GrievanceKind, GrievanceStatus, ParcelStatus, Role, Stance};
use crate::entities::{
    admin_units, parcels, users, working_group_areas, working_group_members, working_groups,
};
use crate::error::{AppError, AppResult};
use crate::households::dto::CommuneRef;
use crate::households::service::escape_like;
use crate::pagination::{Cursor, Direction, Keyset, Page};
use crate::scoped::rows::HouseholdRow;
use crate::scoped::{self, HouseholdId, Personal, Scoped};
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
    pub stance: Option<Stance>,
    pub last_visit_on: Option<NaiveDate>,
}

/// Urgency tier (lower first), the date that orders a tier, and the reasons, most urgent
/// first. Pure, so the ordering rules are tested without a database.
pub fn rank(f: &Facts, today: NaiveDate, not_visited_days: i64) -> (u8, NaiveDate, Vec<Reason>) {
    let soon = today + Duration::days(DUE_SOON_DAYS);
    let mut found: Vec<(u8, NaiveDate, Reason)> = Vec::new();
    let reason =
        |kind: ReasonKind, date: Option<NaiveDate>, days: Option<i64>| Reason { kind, date, days };
    if let Some(d) = f.assignment_due {
        found.push((0, d, reason(ReasonKind::Assigned, Some(d), None)));
    }
    if let Some(d) = f.next_visit_on {
        if d < today {
            found.push((1, d, reason(ReasonKind::VisitOverdue, Some(d), None)));
        } else if d <= soon {
            found.push((3, d, reason(ReasonKind::VisitDue, Some(d), None)));
        }
    }
    if let Some(d) = f.commitment_due {
        if d < today {
            found.push((2, d, reason(ReasonKind::CommitmentOverdue, Some(d), None)));
        } else if d <= soon {
            found.push((4, d, reason(ReasonKind::CommitmentDue, Some(d), None)));
        }
    }
    if matches!(f.stance, Some(Stance::Disagrees | Stance::RefusesContact)) {
        found.push((5, today, reason(ReasonKind::Disagrees, None, None)));
    }
    match f.last_visit_on {
        None => found.push((
            6,
            NaiveDate::MIN,
            reason(ReasonKind::NotVisited, None, None),
        )),
        Some(d) if (today - d).num_days() >= not_visited_days => {
            let days = (today - d).num_days();
            found.push((6, d, reason(ReasonKind::NotVisited, None, Some(days))));
        }
        Some(_) => {}
    }
    found.sort_by_key(|(tier, date, _)| (*tier, *date));
    let (tier, date) = found
        .first()
        .map_or((7, NaiveDate::MAX), |(t, d, _)| (*t, *d));
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

/// A household of the work list: the households list's row and what is due.
#[derive(Debug, FromQueryResult)]
struct WorkRow {
    #[sea_orm(nested)]
    household: HouseholdRow,
    next_visit_on: Option<NaiveDate>,
    commitment_due: Option<NaiveDate>,
    open_commitments: i64,
}

fn h_col(c: scoped::households::Column) -> Expr {
    Expr::col((Alias::new(HouseholdRow::ALIAS), c))
}

/// A scalar subquery as a column.
fn sub(stmt: SelectStatement) -> SimpleExpr {
    SimpleExpr::SubQuery(None, Box::new(stmt.into_sub_query_statement()))
}

/// The work list's rows inside the scope: each household's row, the next visit set at its
/// latest visit, its earliest open commitment and how many are open.
fn select_work(scope: &Scope) -> SelectStatement {
    use scoped::commitments::Column as C;
    use scoped::households::Column as H;
    use scoped::visits::Column as V;
    let (v, c) = (Alias::new("v"), Alias::new("c"));
    let mut stmt = HouseholdRow::select(scope);
    let next_visit = scoped::select_from(scope, Personal::Visits, "v")
        .column((v.clone(), V::NextVisitOn))
        .and_where(Expr::col((v.clone(), V::HouseholdId)).eq(h_col(H::Id)))
        .order_by((v.clone(), V::VisitedAt), Order::Desc)
        .order_by((v, V::Id), Order::Desc)
        .limit(1)
        .to_owned();
    let open = |expr: SimpleExpr| {
        scoped::select_from(scope, Personal::Commitments, "c")
            .expr(expr)
            .and_where(Expr::col((c.clone(), C::HouseholdId)).eq(h_col(H::Id)))
            .and_where(Expr::col((c.clone(), C::DoneAt)).is_null())
            .to_owned()
    };
    let due = open(Func::min(Expr::col((c.clone(), C::DueDate))).into());
    let count = open(Func::count(Expr::col((c.clone(), C::Id))).into());
    stmt.expr_as(sub(next_visit), Alias::new("next_visit_on"))
        .expr_as(sub(due), Alias::new("commitment_due"))
        .expr_as(sub(count), Alias::new("open_commitments"));
    stmt
}

/// The search box: folded text in the search key, or a parcel reference of the household.
fn search_condition(scope: &Scope, text: &str) -> Option<Condition> {
    use scoped::household_parcels::Column as Hp;
    use scoped::households::Column as H;
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let like = LikeExpr::new(format!("%{}%", escape_like(&folded))).escape('\\');
    let mut cond = Condition::any().add(h_col(H::SearchKey).like(like));
    if let Some(p) = parse_parcel_ref(&folded) {
        let (hp, x) = (Alias::new("hp"), Alias::new("x"));
        let mut held = scoped::select_from(scope, Personal::HouseholdParcels, "hp");
        held.expr(Expr::val(1))
            .join_as(
                JoinType::InnerJoin,
                parcels::Entity,
                x.clone(),
                Expr::col((x.clone(), parcels::Column::Id)).equals((hp.clone(), Hp::ParcelId)),
            )
            .and_where(Expr::col((hp, Hp::HouseholdId)).eq(h_col(H::Id)))
            .and_where(Expr::col((x.clone(), parcels::Column::ParcelNo)).eq(p.parcel_no));
        if let Some(sheet) = p.map_sheet {
            held.and_where(Expr::col((x, parcels::Column::MapSheet)).eq(sheet));
        }
        cond = cond.add(Expr::exists(held));
    }
    Some(cond)
}

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

/// Which open assignments to read.
enum Assignments {
    /// The caller's, whatever the household.
    Of(i32),
    /// A household's, everyone's.
    For(Scoped<HouseholdId>),
    /// A household's, the caller's.
    ForOf(Scoped<HouseholdId>, i32),
    /// One, just made.
    One(i32),
}

/// Open assignments inside the scope, earliest due first. An assignment is open until
/// someone logs a visit to the household after it was made.
async fn open_assignments(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    which: Assignments,
) -> Result<Vec<AssignmentDto>, DbErr> {
    use scoped::next_visit_assignments::Column as A;
    use scoped::visits::Column as V;
    let (a, ua, ub, v) = (
        Alias::new("a"),
        Alias::new("ua"),
        Alias::new("ub"),
        Alias::new("v"),
    );
    let col = |c: A| Expr::col((a.clone(), c));
    let later_visit = scoped::select_from(scope, Personal::Visits, "v")
        .expr(Expr::val(1))
        .and_where(Expr::col((v.clone(), V::HouseholdId)).eq(col(A::HouseholdId)))
        .and_where(Expr::col((v, V::CreatedAt)).gte(col(A::CreatedAt)))
        .to_owned();
    let mut stmt = scoped::select_from(scope, Personal::NextVisitAssignments, "a");
    stmt.columns([
        (a.clone(), A::Id),
        (a.clone(), A::HouseholdId),
        (a.clone(), A::DueOn),
        (a.clone(), A::Note),
        (a.clone(), A::CreatedAt),
        (a.clone(), A::AssigneeId),
        (a.clone(), A::AssignedBy),
    ])
    .expr_as(
        Expr::col((ua.clone(), users::Column::Username)),
        Alias::new("a_username"),
    )
    .expr_as(
        Expr::col((ua.clone(), users::Column::DisplayName)),
        Alias::new("a_display"),
    )
    .expr_as(
        Expr::col((ub.clone(), users::Column::Username)),
        Alias::new("b_username"),
    )
    .expr_as(
        Expr::col((ub.clone(), users::Column::DisplayName)),
        Alias::new("b_display"),
    )
    .join_as(
        JoinType::InnerJoin,
        users::Entity,
        ua.clone(),
        Expr::col((ua, users::Column::Id)).eq(col(A::AssigneeId)),
    )
    .join_as(
        JoinType::LeftJoin,
        users::Entity,
        ub.clone(),
        Expr::col((ub, users::Column::Id)).eq(col(A::AssignedBy)),
    )
    .and_where(Expr::exists(later_visit).not())
    .order_by((a.clone(), A::DueOn), Order::Asc)
    .order_by((a.clone(), A::Id), Order::Asc);
    match which {
        Assignments::Of(me) => stmt.and_where(col(A::AssigneeId).eq(me)),
        Assignments::For(h) => stmt.and_where(col(A::HouseholdId).eq(h.id())),
        Assignments::ForOf(h, me) => stmt
            .and_where(col(A::HouseholdId).eq(h.id()))
            .and_where(col(A::AssigneeId).eq(me)),
        Assignments::One(id) => stmt.and_where(col(A::Id).eq(id)),
    };
    Ok(
        AssignmentRow::find_by_statement(conn.get_database_backend().build(&stmt))
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

impl WorkRow {
    fn facts(&self, assignment_due: Option<NaiveDate>) -> Facts {
        Facts {
            assignment_due,
            next_visit_on: self.next_visit_on,
            commitment_due: self.commitment_due,
            stance: self.household.stance,
            last_visit_on: self.household.last_visit_at.map(local_date),
        }
    }

    fn into_item(
        self,
        parcels: Vec<crate::households::dto::HouseholdParcelDto>,
        reasons: Vec<Reason>,
        assignment: Option<AssignmentDto>,
        compensation: Option<CompensationSummaryDto>,
    ) -> WorkItemDto {
        let members = self.household.members_json();
        let h = self.household;
        WorkItemDto {
            id: h.id,
            project: h.project_code,
            code: h.code,
            head_name: h.head_name,
            id_number: crate::households::privacy::mask_opt(h.id_number),
            phone: h.phone,
            address: h.address,
            commune: CommuneRef {
                id: h.commune_id,
                code: h.commune_code,
                name: h.commune_name,
            },
            members,
            stance: h.stance,
            last_visit_at: h.last_visit_at.map(|t| t.to_rfc3339()),
            next_visit_on: self.next_visit_on,
            open_commitments: self.open_commitments,
            parcels,
            reasons,
            assignment,
            compensation,
        }
    }
}

/// The caller's households, most urgent first, each with why it is listed. The list is
/// ordered by urgency, not by id: its cursor is the position in that order.
#[tracing::instrument(skip_all, fields(user_id = ?who.user_id))]
pub async fn my_work(
    conn: &impl ConnectionTrait,
    who: &Principal,
    not_visited_days: i64,
    q: &MyWorkQuery,
) -> AppResult<Page<WorkItemDto>> {
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Ascending)?;
    let offset = keyset
        .after
        .map_or(0, |c| usize::try_from(c.0).unwrap_or(0));
    let mut stmt = select_work(&who.scope);
    if let Some(cond) = q.q.as_deref().and_then(|t| search_condition(&who.scope, t)) {
        stmt.cond_where(cond);
    }
    let rows = WorkRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?;
    let mut assignments: HashMap<i32, AssignmentDto> = HashMap::new();
    if let Some(me) = who.user_id {
        for a in open_assignments(conn, &who.scope, Assignments::Of(me)).await? {
            assignments.entry(a.household_id).or_insert(a);
        }
    }
    let today = today();
    let mut ranked: Vec<(u8, NaiveDate, i32, Vec<Reason>, WorkRow)> = rows
        .into_iter()
        .map(|r| {
            let facts = r.facts(assignments.get(&r.household.id).map(|a| a.due_on));
            let (tier, date, reasons) = rank(&facts, today, not_visited_days);
            (tier, date, r.household.id, reasons, r)
        })
        .collect();
    ranked.sort_by_key(|(tier, date, id, _, _)| (*tier, *date, *id));
    let total = ranked.len();
    let page: Vec<_> = ranked
        .into_iter()
        .skip(offset)
        .take(usize::try_from(keyset.limit).unwrap_or(usize::MAX))
        .collect();
    let next = offset + page.len();
    let ids: Vec<i32> = page.iter().map(|(_, _, id, _, _)| *id).collect();
    let mut parcels = crate::households::service::parcels_of(conn, &who.scope, &ids).await?;
    let mut money =
        super::compensation::summaries(conn, &who.scope, &ids, crate::legal::today_vn()).await?;
    let items = page
        .into_iter()
        .map(|(_, _, id, reasons, r)| {
            r.into_item(
                parcels.remove(&id).unwrap_or_default(),
                reasons,
                assignments.remove(&id),
                money.remove(&id),
            )
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: (next < total)
            .then(|| Cursor(i32::try_from(next).unwrap_or(i32::MAX)).encode()),
    })
}

/// A working group covering a household's commune.
#[derive(Debug, FromQueryResult)]
struct CoveringGroup {
    id: i32,
    name: String,
    leader_id: Option<i32>,
}

/// The groups of the project whose area covers the commune: a group's unit covers itself,
/// the units merged into it and a district's communes, as `auth::scope` expands it.
async fn covering_groups(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
) -> Result<Vec<CoveringGroup>, DbErr> {
    use working_group_areas::Column as A;
    use working_groups::Column as Wg;
    let (wg, a, u) = (Alias::new("wg"), Alias::new("a"), Alias::new("u"));
    let unit = Expr::col((a.clone(), A::AdminUnitId));
    let stmt = Query::select()
        .distinct()
        .columns([
            (wg.clone(), Wg::Id),
            (wg.clone(), Wg::Name),
            (wg.clone(), Wg::LeaderId),
        ])
        .from_as(working_groups::Entity, wg.clone())
        .join_as(
            JoinType::InnerJoin,
            working_group_areas::Entity,
            a.clone(),
            Expr::col((a.clone(), A::WorkingGroupId)).equals((wg.clone(), Wg::Id)),
        )
        .join_as(
            JoinType::InnerJoin,
            admin_units::Entity,
            u.clone(),
            Condition::all()
                .add(Expr::col((u.clone(), admin_units::Column::Id)).eq(commune_id))
                .add(
                    Condition::any()
                        .add(Expr::col((u.clone(), admin_units::Column::Id)).eq(unit.clone()))
                        .add(
                            Expr::col((u.clone(), admin_units::Column::SuccessorId))
                                .eq(unit.clone()),
                        )
                        .add(Expr::col((u, admin_units::Column::ParentId)).eq(unit)),
                ),
        )
        .and_where(Expr::col((wg.clone(), Wg::ProjectId)).eq(project_id))
        .order_by((wg, Wg::Id), Order::Asc)
        .to_owned();
    CoveringGroup::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await
}

/// Active members and leaders of the given groups.
async fn people_of(conn: &impl ConnectionTrait, groups: &[i32]) -> Result<Vec<UserRef>, DbErr> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let members = Query::select()
        .column(working_group_members::Column::UserId)
        .from(working_group_members::Entity)
        .and_where(working_group_members::Column::WorkingGroupId.is_in(groups.iter().copied()))
        .to_owned();
    let leaders = Query::select()
        .column(working_groups::Column::LeaderId)
        .from(working_groups::Entity)
        .and_where(working_groups::Column::Id.is_in(groups.iter().copied()))
        .to_owned();
    Ok(users::Entity::find()
        .filter(users::Column::Disabled.eq(false))
        .filter(
            Condition::any()
                .add(users::Column::Id.in_subquery(members))
                .add(users::Column::Id.in_subquery(leaders)),
        )
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|u| UserRef {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
        })
        .collect())
}

/// Where a household is (its project and commune), for permission checks.
async fn household_place(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Scoped<HouseholdId>,
) -> AppResult<(i32, i32)> {
    use scoped::households::Column as H;
    scoped::households(scope)
        .select_only()
        .column(H::ProjectId)
        .column(H::CommuneId)
        .filter(H::Id.eq(id.id()))
        .into_tuple()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("household"))
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

/// The member an assignment names (a username or an id), among those the caller may assign.
fn pick_assignee(rights: &AssignRights, assignee: &serde_json::Value) -> AppResult<UserRef> {
    let found = match assignee {
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
    };
    found.cloned().ok_or_else(|| {
        AppError::invalid(
            "invalid_assignee",
            format!(
                "{assignee} is not a member of a working group you lead that covers this household"
            ),
        )
    })
}

/// A leader's (or administrator's) "visit this household by `due_on`" for one member.
#[tracing::instrument(skip_all, fields(user_id = ?who.user_id, household_id = household.id()))]
pub async fn assign(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household: Scoped<HouseholdId>,
    new: NewAssignment,
) -> AppResult<AssignmentDto> {
    let (project_id, commune_id) = household_place(conn, &who.scope, household).await?;
    let rights = assign_rights(conn, who, project_id, commune_id).await?;
    if !rights.can_assign {
        return Err(AppError::Forbidden(
            "only the leader of a working group covering this household, or an administrator, may assign its next visit".into(),
        ));
    }
    let assignee = pick_assignee(&rights, &new.assignee)?;
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
    let made = scoped::next_visit_assignments::ActiveModel {
        project_id: Set(project_id),
        household_id: Set(household.id()),
        assignee_id: Set(assignee.id),
        assigned_by: Set(who.user_id),
        due_on: Set(new.due_on),
        note: Set(note.to_string()),
        created_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    open_assignments(conn, &who.scope, Assignments::One(made.id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("assignment {} vanished", made.id)))
}

#[derive(FromQueryResult)]
struct ParcelGeoRow {
    id: i32,
    map_sheet: String,
    parcel_no: String,
    land_use: String,
    area_m2: f64,
    status: ParcelStatus,
    geometry: String,
}

/// The household's parcels with their geometry.
async fn field_parcels(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Scoped<HouseholdId>,
) -> Result<Vec<FieldParcelDto>, DbErr> {
    use scoped::household_parcels::Column as Hp;
    let (hp, x) = (Alias::new("hp"), Alias::new("x"));
    let mut stmt = scoped::select_from(scope, Personal::HouseholdParcels, "hp");
    stmt.columns([
        (x.clone(), parcels::Column::Id),
        (x.clone(), parcels::Column::MapSheet),
        (x.clone(), parcels::Column::ParcelNo),
        (x.clone(), parcels::Column::LandUse),
        (x.clone(), parcels::Column::AreaM2),
        (x.clone(), parcels::Column::Status),
        (x.clone(), parcels::Column::Geometry),
    ])
    .join_as(
        JoinType::InnerJoin,
        parcels::Entity,
        x.clone(),
        Expr::col((x.clone(), parcels::Column::Id)).equals((hp.clone(), Hp::ParcelId)),
    )
    .and_where(Expr::col((hp, Hp::HouseholdId)).eq(id.id()))
    .order_by((x, parcels::Column::Id), Order::Asc);
    Ok(
        ParcelGeoRow::find_by_statement(conn.get_database_backend().build(&stmt))
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
            .collect(),
    )
}

/// The household's open commitments, earliest due first.
async fn open_commitments(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Scoped<HouseholdId>,
) -> Result<Vec<OpenCommitmentDto>, DbErr> {
    use scoped::commitments::Column as C;
    Ok(scoped::commitments(scope)
        .filter(C::HouseholdId.eq(id.id()))
        .filter(C::DoneAt.is_null())
        .order_by_asc(C::DueDate)
        .order_by_asc(C::Id)
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
        .collect())
}

#[derive(FromQueryResult)]
struct GrievanceRefRow {
    id: i32,
    kind: GrievanceKind,
    channel: Channel,
    received_on: NaiveDate,
    status: GrievanceStatus,
    content: String,
    resolve_by: Option<NaiveDate>,
    resolved_on: Option<NaiveDate>,
}

/// The grievances the household signed, newest first.
async fn grievances_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Scoped<HouseholdId>,
) -> Result<Vec<GrievanceRefDto>, DbErr> {
    use scoped::grievance_households::Column as Gh;
    use scoped::grievances::Column as G;
    let (g, gh) = (Alias::new("g"), Alias::new("gh"));
    let mut stmt = scoped::select_from(scope, Personal::Grievances, "g");
    stmt.columns([
        (g.clone(), G::Id),
        (g.clone(), G::Kind),
        (g.clone(), G::Channel),
        (g.clone(), G::ReceivedOn),
        (g.clone(), G::Status),
        (g.clone(), G::Content),
        (g.clone(), G::ResolveBy),
        (g.clone(), G::ResolvedOn),
    ]);
    scoped::join(
        scope,
        &mut stmt,
        JoinType::InnerJoin,
        Personal::GrievanceHouseholds,
        "gh",
        Condition::all().add(Expr::col((gh.clone(), Gh::GrievanceId)).equals((g.clone(), G::Id))),
    );
    stmt.and_where(Expr::col((gh, Gh::HouseholdId)).eq(id.id()))
        .order_by((g.clone(), G::ReceivedOn), Order::Desc)
        .order_by((g, G::Id), Order::Desc);
    Ok(
        GrievanceRefRow::find_by_statement(conn.get_database_backend().build(&stmt))
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
            .collect(),
    )
}

/// The household's open assignments the caller may see: all when it may assign, else its own.
async fn visible_assignments(
    conn: &impl ConnectionTrait,
    who: &Principal,
    id: Scoped<HouseholdId>,
    can_assign: bool,
) -> Result<Vec<AssignmentDto>, DbErr> {
    if can_assign {
        open_assignments(conn, &who.scope, Assignments::For(id)).await
    } else if let Some(me) = who.user_id {
        open_assignments(conn, &who.scope, Assignments::ForOf(id, me)).await
    } else {
        Ok(Vec::new())
    }
}

/// The household page of the field app, in one answer.
#[tracing::instrument(skip_all, fields(user_id = ?who.user_id, household_id = id.id()))]
pub async fn household(
    conn: &impl ConnectionTrait,
    who: &Principal,
    not_visited_days: i64,
    id: Scoped<HouseholdId>,
) -> AppResult<FieldHouseholdDto> {
    let scope = &who.scope;
    let household = crate::households::service::get(conn, scope, id).await?;
    let mut stmt = select_work(scope);
    stmt.and_where(h_col(scoped::households::Column::Id).eq(id.id()));
    let row = WorkRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("household"))?;
    let rights = assign_rights(
        conn,
        who,
        row.household.project_id,
        row.household.commune_id,
    )
    .await?;
    let assignments = visible_assignments(conn, who, id, rights.can_assign).await?;
    let mine = assignments
        .iter()
        .find(|a| Some(a.assignee.id) == who.user_id)
        .map(|a| a.due_on);
    let (_, _, reasons) = rank(&row.facts(mine), today(), not_visited_days);
    let visits = crate::visits::service::list(
        conn,
        scope,
        &crate::visits::dto::VisitQuery {
            household: Some(id.id()),
            working_group: None,
            from: None,
            to: None,
            cursor: None,
            limit: Some(100),
        },
    )
    .await?
    .items;
    let my_groups = rights
        .groups
        .iter()
        .filter(|g| !who.role.is_area_scoped() || who.groups.contains(&g.id))
        .map(|g| GroupRef {
            id: g.id,
            name: g.name.clone(),
        })
        .collect();
    let compensation =
        super::compensation::summaries(conn, scope, &[id.id()], crate::legal::today_vn())
            .await?
            .remove(&id.id());
    let inventory = crate::compensation::service::inventory(conn, scope, id).await?;
    Ok(FieldHouseholdDto {
        household,
        reasons,
        parcels: field_parcels(conn, scope, id).await?,
        visits: with_authors(conn, who, visits).await?,
        open_commitments: open_commitments(conn, scope, id).await?,
        grievances: grievances_of(conn, scope, id).await?,
        assignments,
        my_groups,
        can_assign: rights.can_assign,
        assignable: rights.assignable,
        compensation,
        inventory,
    })
}

/// Adds who logged each visit, how often it was edited and whether the caller may edit it.
async fn with_authors(
    conn: &impl ConnectionTrait,
    who: &Principal,
    visits: Vec<crate::visits::dto::VisitDto>,
) -> Result<Vec<FieldVisitDto>, DbErr> {
    use scoped::visit_revisions::Column as R;
    let mut authors: HashMap<i32, String> = HashMap::new();
    let mut revisions: HashMap<i32, i64> = HashMap::new();
    let author_ids: HashSet<i32> = visits.iter().filter_map(|v| v.created_by).collect();
    if !author_ids.is_empty() {
        let rows: Vec<(i32, String)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::DisplayName)
            .filter(users::Column::Id.is_in(author_ids))
            .into_tuple()
            .all(conn)
            .await?;
        authors.extend(rows);
    }
    if !visits.is_empty() {
        let rows: Vec<(i32, i64)> = scoped::visit_revisions(&who.scope)
            .select_only()
            .column(R::VisitId)
            .column_as(R::VisitId.count(), "n")
            .filter(R::VisitId.is_in(visits.iter().map(|v| v.id)))
            .group_by(R::VisitId)
            .into_tuple()
            .all(conn)
            .await?;
        revisions.extend(rows);
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
                stance: Some(Stance::Disagrees),
                last_visit_on: recent,
                ..Facts::default()
            }),
            (
                0,
                vec![
                    ReasonKind::Assigned,
                    ReasonKind::VisitOverdue,
                    ReasonKind::Disagrees
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
            (2, vec![ReasonKind::CommitmentOverdue, ReasonKind::VisitDue])
        );
        // Far-off dates and a recent visit: nothing to do.
        assert_eq!(
            kinds(Facts {
                next_visit_on: Some(d("2027-01-20")),
                commitment_due: Some(d("2027-01-20")),
                stance: Some(Stance::Agrees),
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
        assert_eq!(kinds(Facts::default()), (6, vec![ReasonKind::NotVisited]));
    }

    #[test]
    fn reason_kinds_keep_their_wire_names() {
        let names: Vec<serde_json::Value> = [
            ReasonKind::Assigned,
            ReasonKind::VisitOverdue,
            ReasonKind::CommitmentOverdue,
            ReasonKind::VisitDue,
            ReasonKind::CommitmentDue,
            ReasonKind::Disagrees,
            ReasonKind::NotVisited,
        ]
        .iter()
        .map(|k| serde_json::to_value(k).unwrap_or_default())
        .collect();
        assert_eq!(
            names,
            [
                "assigned",
                "visit_overdue",
                "commitment_overdue",
                "visit_due",
                "commitment_due",
                "disagrees",
                "not_visited"
            ]
            .map(serde_json::Value::from)
        );
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
