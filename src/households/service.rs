//! Household queries and writes. Every query takes the caller's `&Scope`, so a household
//! outside the caller's area is never loaded (the caller gets 404, as if it did not exist).
use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Utc};
use sea_orm::sea_query::{Alias, Expr, JoinType, LikeExpr, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::dto::{
    CommuneRef, HouseholdDetailDto, HouseholdDto, HouseholdParcelDto, HouseholdPatch,
    HouseholdQuery, HouseholdRevisionDto, MemberInput, NewHousehold, OpenCommitmentDto,
    RecentVisitDto, VULNERABLE_FLAGS,
};
use crate::admin_units::filter::commune_filter;
use crate::admin_units::seed::LEVEL_COMMUNE;
use crate::auth::{Principal, Scope};
use crate::domain::{HoldingRole, ParcelStatus};
use crate::entities::{admin_units, parcels, projects};
use crate::error::{AppError, AppResult};
use crate::pagination::{Direction, Keyset, Page};
use crate::scoped::rows::HouseholdRow;
use crate::scoped::{self, household_parcels, households, HouseholdId, Personal, Scoped};
use crate::text::fold;
use crate::visits::service::vocabulary;

/// Escapes `%`, `_` and the escape character itself for `LIKE … ESCAPE '\'`.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The search key of a household: its head, members, CCCD and code, folded.
pub fn search_key(
    head_name: &str,
    members: &[String],
    id_number: Option<&str>,
    code: &str,
) -> String {
    fold(&format!(
        "{head_name} {} {} {code}",
        members.join(" "),
        id_number.unwrap_or("")
    ))
}

#[derive(Debug, FromQueryResult)]
struct ParcelRow {
    household_id: i32,
    share: f64,
    id: i32,
    map_sheet: String,
    parcel_no: String,
    status: ParcelStatus,
}

fn to_dto(row: HouseholdRow, parcels: Vec<HouseholdParcelDto>) -> HouseholdDto {
    HouseholdDto {
        id: row.id,
        project: row.project_code,
        code: row.code,
        head_name: row.head_name,
        id_number: super::privacy::mask_opt(row.id_number),
        phone: row.phone,
        address: row.address,
        commune: CommuneRef {
            id: row.commune_id,
            code: row.commune_code,
            name: row.commune_name,
        },
        members: serde_json::from_str(&row.members)
            .unwrap_or_else(|_| serde_json::Value::Array(Vec::new())),
        vulnerable: serde_json::from_str(&row.vulnerable).unwrap_or_default(),
        split_from: row.split_from_id,
        split_after_cutoff: row.split_from_id.is_some()
            && row
                .project_notice_date
                .is_some_and(|d| row.created_at.date_naive() > d),
        version: row.version,
        stance: row.stance,
        last_visit_at: row.last_visit_at.map(|t| t.to_rfc3339()),
        parcels,
    }
}

/// The parcels of the given households (those inside the scope), one query per 500
/// households.
#[tracing::instrument(skip_all, fields(households = ids.len()))]
pub(crate) async fn parcels_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<HouseholdParcelDto>>, DbErr> {
    use household_parcels::Column as HP;
    let (hp, x) = (Alias::new("hp"), Alias::new("x"));
    let mut out: HashMap<i32, Vec<HouseholdParcelDto>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut stmt = scoped::select_from(scope, Personal::HouseholdParcels, "hp");
        stmt.column((hp.clone(), HP::HouseholdId))
            .column((hp.clone(), HP::Share))
            .column((x.clone(), parcels::Column::Id))
            .column((x.clone(), parcels::Column::MapSheet))
            .column((x.clone(), parcels::Column::ParcelNo))
            .column((x.clone(), parcels::Column::Status))
            .join_as(
                JoinType::InnerJoin,
                parcels::Entity,
                x.clone(),
                Expr::col((x.clone(), parcels::Column::Id)).equals((hp.clone(), HP::ParcelId)),
            )
            .and_where(Expr::col((hp.clone(), HP::HouseholdId)).is_in(chunk.iter().copied()))
            .order_by((hp.clone(), HP::HouseholdId), Order::Asc)
            .order_by((x.clone(), parcels::Column::Id), Order::Asc);
        let rows = ParcelRow::find_by_statement(conn.get_database_backend().build(&stmt))
            .all(conn)
            .await?;
        for r in rows {
            out.entry(r.household_id)
                .or_default()
                .push(HouseholdParcelDto {
                    id: r.id,
                    map_sheet: r.map_sheet,
                    parcel_no: r.parcel_no,
                    share: r.share,
                    status: r.status,
                });
        }
    }
    Ok(out)
}

/// Households inside the scope, by ascending id, filtered as asked.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    q: &HouseholdQuery,
) -> AppResult<Page<HouseholdDto>> {
    let keyset = Keyset::parse(q.limit, q.cursor.as_deref(), Direction::Ascending)?;
    let h = Alias::new("h");
    let mut stmt = HouseholdRow::select(scope);
    if let Some(text) = q.q.as_deref() {
        let folded = fold(text);
        if !folded.is_empty() {
            let pattern = format!("%{}%", escape_like(&folded));
            stmt.and_where(
                Expr::col((h.clone(), households::Column::SearchKey))
                    .like(LikeExpr::new(pattern).escape('\\')),
            );
        }
    }
    if let Some(code) = q.project.as_deref().filter(|c| !c.is_empty()) {
        let project = crate::projects::service::by_code(conn, code)
            .await?
            .ok_or_else(|| AppError::not_found("project"))?;
        stmt.and_where(Expr::col((h.clone(), households::Column::ProjectId)).eq(project.id));
    }
    if let Some(units) = commune_filter(conn, q.commune_id, q.commune.as_deref()).await? {
        stmt.and_where(Expr::col((h.clone(), households::Column::CommuneId)).is_in(units));
    }
    if let Some(stance) = q.stance {
        stmt.and_where(Expr::col((h.clone(), households::Column::Stance)).eq(stance.as_str()));
    }
    if let Some(stage) = q.stage {
        stmt.and_where(
            Expr::col((h.clone(), households::Column::Id))
                .in_subquery(scoped::households_at_stage(scope, stage)),
        );
    }
    keyset.apply_statement(&mut stmt, (h, households::Column::Id));
    let rows = HouseholdRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .all(conn)
        .await?;
    let page = keyset.page(rows, |r| r.id, |r| r);
    let ids: Vec<i32> = page.items.iter().map(|r| r.id).collect();
    let mut parcels = parcels_of(conn, scope, &ids).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| {
                let ps = parcels.remove(&r.id).unwrap_or_default();
                to_dto(r, ps)
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// One household with its parcels.
#[tracing::instrument(skip_all, fields(household_id = household.id()))]
pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<HouseholdDto> {
    let id = household.id();
    let row = row_of(conn, scope, household).await?;
    let parcels = parcels_of(conn, scope, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(to_dto(row, parcels))
}

/// One household with its recent visits and open commitments.
#[tracing::instrument(skip_all, fields(household_id = household.id()))]
pub async fn detail(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<HouseholdDetailDto> {
    let dto = get(conn, scope, household).await?;
    let recent_visits = scoped::visits_of(household)
        .order_by_desc(scoped::visits::Column::VisitedAt)
        .order_by_desc(scoped::visits::Column::Id)
        .limit(10)
        .all(conn)
        .await?
        .into_iter()
        .map(|v| {
            Ok(RecentVisitDto {
                id: v.id,
                visited_at: v.visited_at.to_rfc3339(),
                kind: vocabulary(&v.kind)?,
                stance: vocabulary(&v.stance)?,
                working_group_id: v.working_group_id,
            })
        })
        .collect::<AppResult<_>>()?;
    let open_commitments = scoped::commitments_of(household)
        .filter(scoped::commitments::Column::DoneAt.is_null())
        .order_by_asc(scoped::commitments::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|c| OpenCommitmentDto {
            id: c.id,
            text: c.text,
            owner: c.owner,
            due_date: c.due_date,
            visit_id: c.visit_id,
        })
        .collect();
    Ok(HouseholdDetailDto {
        household: dto,
        recent_visits,
        open_commitments,
    })
}

// ---- validation -------------------------------------------------------------------------

fn check_head_name(s: &str) -> AppResult<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(
            "missing_head_name",
            "head_name (the head of the household) is required",
        ));
    }
    if s.chars().count() > 200 {
        return Err(AppError::invalid(
            "invalid_head_name",
            "head_name is limited to 200 characters",
        ));
    }
    Ok(s.to_string())
}

/// ID number: a 12-digit CCCD (with a known province code) or an old 9-digit CMND; the rules
/// are `domain::id_number`'s.
pub fn check_id_number(s: &str) -> AppResult<Option<String>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    crate::domain::id_number::check(s, None)
        .map(Some)
        .map_err(|p| AppError::invalid("invalid_id_number", format!("id_number: {}", p.message)))
}

fn check_phone(s: &str) -> AppResult<Option<String>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let chars_ok = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | '(' | ')'));
    if !chars_ok || !(8..=15).contains(&digits) {
        return Err(AppError::invalid(
            "invalid_phone",
            "phone must be a phone number of 8 to 15 digits (spaces, +, -, . and parentheses allowed), e.g. 0912345678",
        ));
    }
    Ok(Some(s.to_string()))
}

fn check_address(s: &str) -> AppResult<String> {
    let s = s.trim();
    if s.chars().count() > 500 {
        return Err(AppError::invalid(
            "invalid_address",
            "address is limited to 500 characters",
        ));
    }
    Ok(s.to_string())
}

fn check_members(members: Vec<MemberInput>) -> AppResult<Vec<MemberInput>> {
    if members.len() > 50 {
        return Err(AppError::invalid(
            "invalid_members",
            "a household is limited to 50 members",
        ));
    }
    let this_year = Utc::now().year();
    members
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let name = m.name.trim().to_string();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(AppError::invalid(
                    "invalid_members",
                    format!("member {} needs a name of 1 to 200 characters", i + 1),
                ));
            }
            let relation = m
                .relation
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            if relation.as_ref().is_some_and(|r| r.chars().count() > 50) {
                return Err(AppError::invalid(
                    "invalid_members",
                    format!("member {}: relation is limited to 50 characters", i + 1),
                ));
            }
            if let Some(y) = m.birth_year {
                if !(1890..=this_year).contains(&y) {
                    return Err(AppError::invalid(
                        "invalid_members",
                        format!(
                            "member {}: birth_year {y} is not between 1890 and {this_year}",
                            i + 1
                        ),
                    ));
                }
            }
            Ok(MemberInput {
                name,
                relation,
                birth_year: m.birth_year,
            })
        })
        .collect()
}

fn check_vulnerable(flags: Vec<String>) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for f in flags {
        let f = f.trim().to_string();
        if !VULNERABLE_FLAGS.contains(&f.as_str()) {
            return Err(AppError::invalid(
                "invalid_vulnerable",
                format!("unknown vulnerable flag `{f}`; use poor, merit, ethnic_minority or elderly_alone"),
            ));
        }
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

fn check_code(s: &str) -> AppResult<String> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.chars().count() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if !ok {
        return Err(AppError::invalid(
            "invalid_code",
            "code must be 1–32 letters, digits, `-`, `_`, `.` or `/`, e.g. BT-000123",
        ));
    }
    Ok(s.to_string())
}

fn member_names(members: &[MemberInput]) -> Vec<String> {
    members.iter().map(|m| m.name.clone()).collect()
}

fn member_names_of_json(members: &str) -> Vec<String> {
    let parsed: Vec<serde_json::Value> = serde_json::from_str(members).unwrap_or_default();
    parsed
        .iter()
        .filter_map(|m| m.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect()
}

fn to_json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))
}

/// The commune a code names, for a household the caller may create. Codes are reused across
/// the 2025 reform (21061 is Bình Trị before and Vạn Tường after): among the units with the code
/// the current one is preferred, unless only an older one lies in the caller's area.
async fn resolve_commune(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    code: &str,
) -> AppResult<admin_units::Model> {
    let code = code.trim();
    let mut candidates = admin_units::Entity::find()
        .filter(admin_units::Column::Code.eq(code))
        .filter(admin_units::Column::Level.eq(LEVEL_COMMUNE))
        .all(conn)
        .await?;
    if candidates.is_empty() {
        return Err(AppError::invalid(
            "unknown_commune",
            format!("there is no commune with code `{code}`"),
        ));
    }
    candidates.sort_by_key(|u| (u.valid_to.is_some(), std::cmp::Reverse(u.valid_from)));
    candidates
        .into_iter()
        .find(|u| scope.allows(project_id, u.id))
        .ok_or_else(|| {
            AppError::Forbidden(format!(
                "commune {code} is outside your working groups' area"
            ))
        })
}

/// A new household's fields, checked.
struct Checked {
    head_name: String,
    id_number: Option<String>,
    phone: Option<String>,
    address: String,
    members: Vec<MemberInput>,
    vulnerable: Vec<String>,
    code: Option<String>,
    /// `(parcel id, share)`, each parcel once.
    parcels: Vec<(i32, f64)>,
    split_from: Option<i32>,
}

fn check_new(new: NewHousehold) -> AppResult<Checked> {
    let head_name = check_head_name(&new.head_name)?;
    let id_number = new.id_number.as_deref().map(check_id_number).transpose()?;
    let phone = new.phone.as_deref().map(check_phone).transpose()?;
    let address = check_address(&new.address)?;
    let members = check_members(new.members)?;
    let vulnerable = check_vulnerable(new.vulnerable)?;
    let code = new.code.as_deref().map(check_code).transpose()?;
    let mut parcels: Vec<(i32, f64)> = Vec::with_capacity(new.parcels.len());
    for p in &new.parcels {
        let share = p.share.unwrap_or(1.0);
        if !(share > 0.0 && share <= 1.0) {
            return Err(AppError::invalid(
                "invalid_share",
                format!(
                    "parcel {}: share must be above 0 and at most 1",
                    p.parcel_id
                ),
            ));
        }
        if parcels.iter().any(|(id, _)| *id == p.parcel_id) {
            return Err(AppError::invalid(
                "duplicate_parcel",
                format!("parcel {} is listed twice", p.parcel_id),
            ));
        }
        parcels.push((p.parcel_id, share));
    }
    Ok(Checked {
        head_name,
        id_number: id_number.flatten(),
        phone: phone.flatten(),
        address,
        members,
        vulnerable,
        code,
        parcels,
        split_from: new.split_from,
    })
}

/// The project a new household names, if the caller may write in it.
async fn writable_project(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    code: &str,
) -> AppResult<projects::Model> {
    let code = code.trim();
    let unknown = || {
        AppError::invalid(
            "unknown_project",
            format!("there is no project with code `{code}`"),
        )
    };
    let project = crate::projects::service::by_code(conn, code)
        .await?
        .ok_or_else(unknown)?;
    if scope.project_id().is_some_and(|p| p != project.id) {
        return Err(unknown());
    }
    Ok(project)
}

/// The code, the parcels and the household split from name rows that exist in the project.
async fn check_references(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project: &projects::Model,
    new: &Checked,
) -> AppResult<()> {
    if let Some(c) = &new.code {
        if scoped::household_code_taken(conn, project.id, c).await? {
            return Err(AppError::Conflict {
                code: "duplicate",
                message: format!(
                    "project {} already has a household with code {c}",
                    project.code
                ),
            });
        }
    }
    if !new.parcels.is_empty() {
        let ids: Vec<i32> = new.parcels.iter().map(|(id, _)| *id).collect();
        // Only current parcels of the project inside the writer's area: an id outside it
        // answers exactly like an unknown one (404).
        let found: Vec<i32> = scoped::parcels(scope)
            .select_only()
            .column(parcels::Column::Id)
            .filter(parcels::Column::Id.is_in(ids.clone()))
            .filter(parcels::Column::ProjectId.eq(project.id))
            .into_tuple()
            .all(conn)
            .await?;
        if let Some(id) = ids.iter().find(|id| !found.contains(id)) {
            return Err(no_parcel(*id, project));
        }
    }
    if let Some(parent) = new.split_from {
        let found = scoped::households(scope)
            .filter(households::Column::Id.eq(parent))
            .filter(households::Column::ProjectId.eq(project.id))
            .count(conn)
            .await?;
        if found == 0 {
            return Err(AppError::NotFound(format!(
                "split_from: household {parent} not found in project {}",
                project.code
            )));
        }
    }
    Ok(())
}

/// Inserts the household row; without a code, gives it `HH-<id>` once the id is known.
async fn insert_row(
    conn: &impl ConnectionTrait,
    project_id: i32,
    commune_id: i32,
    new: &Checked,
) -> AppResult<i32> {
    let now = Utc::now().fixed_offset();
    // Without a code, a unique placeholder stands in until the id gives the real one.
    let provisional = new
        .code
        .clone()
        .unwrap_or_else(|| format!("~new-{:016x}", rand::random::<u64>()));
    let names = member_names(&new.members);
    let key = |code: &str| search_key(&new.head_name, &names, new.id_number.as_deref(), code);
    let inserted = households::ActiveModel {
        project_id: Set(project_id),
        code: Set(provisional.clone()),
        head_name: Set(new.head_name.clone()),
        search_key: Set(key(&provisional)),
        id_number: Set(new.id_number.clone()),
        phone: Set(new.phone.clone()),
        address: Set(new.address.clone()),
        commune_id: Set(commune_id),
        members: Set(to_json(&new.members)?),
        vulnerable: Set(to_json(&new.vulnerable)?),
        split_from_id: Set(new.split_from),
        stance: Set(None),
        last_visit_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let id = inserted.id;
    if new.code.is_none() {
        let mut generated = format!("HH-{id:06}");
        let mut n = 1;
        while scoped::household_code_taken(conn, project_id, &generated).await? {
            n += 1;
            generated = format!("HH-{id:06}-{n}");
        }
        let mut am: households::ActiveModel = inserted.into();
        am.search_key = Set(key(&generated));
        am.code = Set(generated);
        am.update(conn).await?;
    }
    Ok(id)
}

/// The one answer for a parcel id a household write names that is unknown, retired, in
/// another project or outside the writer's area: 404, so the answer tells nothing about
/// which parcel ids exist elsewhere.
fn no_parcel(id: i32, project: &projects::Model) -> AppError {
    AppError::NotFound(format!("parcel {id} not found in project {}", project.code))
}

/// The household's parcels: the first holder of a parcel owns it, later ones are co-users.
async fn add_holdings(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project: &projects::Model,
    household: Scoped<HouseholdId>,
    wanted: &[(i32, f64)],
) -> AppResult<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = wanted.iter().map(|(id, _)| *id).collect();
    let owned: HashSet<i32> = scoped::parcels_with_owner(conn, &ids).await?;
    let mut rows = Vec::with_capacity(wanted.len());
    for (id, share) in wanted {
        // Checked to be in the project; a parcel outside the writer's area is refused like
        // an unknown one.
        let parcel = scoped::current_parcel(conn, scope, *id)
            .await
            .map_err(|_| no_parcel(*id, project))?;
        let role = if owned.contains(id) {
            HoldingRole::CoUser
        } else {
            HoldingRole::Owner
        };
        rows.push((parcel, *share, role.as_str()));
    }
    scoped::insert_holdings(conn, household, rows).await
}

/// Creates a household (validated, inside the caller's scope); returns its id.
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &impl ConnectionTrait,
    who: &Principal,
    new: NewHousehold,
) -> AppResult<Scoped<HouseholdId>> {
    let (project_code, commune_code) = (new.project.clone(), new.commune.clone());
    let checked = check_new(new)?;
    let project = writable_project(conn, &who.scope, &project_code).await?;
    crate::projects::service::ensure_open(conn, project.id).await?;
    let commune = resolve_commune(conn, &who.scope, project.id, &commune_code).await?;
    check_references(conn, &who.scope, &project, &checked).await?;
    let id = insert_row(conn, project.id, commune.id, &checked).await?;
    let household = scoped::inserted_household(&who.scope, project.id, commune.id, id)?;
    add_holdings(conn, &who.scope, &project, household, &checked.parcels).await?;
    crate::progress::counters::add_household(conn, project.id).await?;
    Ok(household)
}

/// Changes the head's name, CCCD, phone, address, members or vulnerable flags of a household
/// inside the scope, if it is still at version `expected` (else 412 naming who changed it);
/// keeps the content before the edit as a revision and returns the names of the fields changed.
#[expect(
    clippy::too_many_lines,
    reason = "checks each optional field, then the version, then writes the row and its revision"
)]
#[tracing::instrument(skip_all, fields(household_id = household.id()))]
pub async fn update(
    conn: &impl ConnectionTrait,
    who: &Principal,
    household: Scoped<HouseholdId>,
    expected: i32,
    patch: HouseholdPatch,
) -> AppResult<Vec<&'static str>> {
    if patch.head_name.is_none()
        && patch.id_number.is_none()
        && patch.phone.is_none()
        && patch.address.is_none()
        && patch.members.is_none()
        && patch.vulnerable.is_none()
    {
        return Err(AppError::invalid(
            "empty_patch",
            "send at least one of head_name, id_number, phone, address, members, vulnerable",
        ));
    }
    let head_name = patch
        .head_name
        .as_deref()
        .map(check_head_name)
        .transpose()
        .map_err(|e| with_field(e, "head_name"))?;
    let id_number = match patch.id_number {
        Some(Some(s)) => Some(check_id_number(&s).map_err(|e| with_field(e, "id_number"))?),
        Some(None) => Some(None),
        None => None,
    };
    let phone = match patch.phone {
        Some(Some(s)) => Some(check_phone(&s).map_err(|e| with_field(e, "phone"))?),
        Some(None) => Some(None),
        None => None,
    };
    let address = patch
        .address
        .as_deref()
        .map(check_address)
        .transpose()
        .map_err(|e| with_field(e, "address"))?;
    let members = patch
        .members
        .map(check_members)
        .transpose()
        .map_err(|e| with_field(e, "members"))?;
    let vulnerable = patch
        .vulnerable
        .map(check_vulnerable)
        .transpose()
        .map_err(|e| with_field(e, "vulnerable"))?;

    let current = scoped::household_row(household)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("household"))?;
    if current.version != expected {
        return Err(stale(conn, household, expected, current.version).await?);
    }
    let before = serde_json::json!({
        "head_name": current.head_name,
        "id_number": current.id_number,
        "phone": current.phone,
        "address": current.address,
        "members": serde_json::from_str::<serde_json::Value>(&current.members).unwrap_or_default(),
        "vulnerable": serde_json::from_str::<serde_json::Value>(&current.vulnerable).unwrap_or_default(),
    });
    let mut changed = Vec::new();
    let names = match &members {
        Some(m) => member_names(m),
        None => member_names_of_json(&current.members),
    };
    let key = search_key(
        head_name.as_deref().unwrap_or(&current.head_name),
        &names,
        match &id_number {
            Some(n) => n.as_deref(),
            None => current.id_number.as_deref(),
        },
        &current.code,
    );
    let version = current.version;
    let mut am: households::ActiveModel = current.into();
    if let Some(n) = head_name {
        am.head_name = Set(n);
        changed.push("head_name");
    }
    if let Some(n) = id_number {
        am.id_number = Set(n);
        changed.push("id_number");
    }
    if let Some(p) = phone {
        am.phone = Set(p);
        changed.push("phone");
    }
    if let Some(a) = address {
        am.address = Set(a);
        changed.push("address");
    }
    if let Some(m) = &members {
        am.members = Set(to_json(m)?);
        changed.push("members");
    }
    if let Some(v) = &vulnerable {
        am.vulnerable = Set(to_json(v)?);
        changed.push("vulnerable");
    }
    let now = Utc::now().fixed_offset();
    am.search_key = Set(key);
    am.updated_at = Set(now);
    am.version = Set(version + 1);
    am.update(conn).await?;
    scoped::insert_household_revision(
        conn,
        household,
        version,
        before.to_string(),
        to_json(&changed)?,
        who.user_id,
        now,
    )
    .await?;
    Ok(changed)
}

/// Names the field at fault in a 422 (the page shows the message beside it).
fn with_field(e: AppError, field: &str) -> AppError {
    match e {
        AppError::Unprocessable { code, message, .. } => AppError::Unprocessable {
            code,
            message,
            details: Some(serde_json::json!({"field": field})),
        },
        other => other,
    }
}

/// The 412 for a stale `If-Match`: who changed the household last, and when.
async fn stale(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
    expected: i32,
    current: i32,
) -> AppResult<AppError> {
    let last = scoped::household_revisions_of(conn, household)
        .await?
        .into_iter()
        .next();
    let changed_by = last.as_ref().and_then(|r| r.editor.clone());
    let changed_at = last.as_ref().map(|r| r.edited_at.to_rfc3339());
    Ok(AppError::PreconditionFailed {
        code: "version_conflict",
        message: format!(
            "the household changed since you read it (your version {expected}, now {current}{}); \
             read it again and reapply your change",
            changed_by
                .as_deref()
                .map(|u| format!(", changed by {u}"))
                .unwrap_or_default()
        ),
        details: Some(serde_json::json!({
            "current_version": current,
            "changed_by": changed_by.unwrap_or_default(),
            "changed_at": changed_at,
        })),
    })
}

/// A revision's content with its CCCD masked, like everywhere else.
fn mask_before(mut before: serde_json::Value) -> serde_json::Value {
    if let Some(n) = before.get_mut("id_number") {
        if let Some(s) = n.as_str() {
            *n = serde_json::Value::String(super::privacy::mask_id_number(s));
        }
    }
    before
}

/// The household's row as the API reads it (CCCD unmasked: callers mask or reveal it).
async fn row_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<HouseholdRow> {
    let mut stmt = HouseholdRow::select(scope);
    stmt.and_where(Expr::col((Alias::new("h"), households::Column::Id)).eq(household.id()));
    HouseholdRow::find_by_statement(conn.get_database_backend().build(&stmt))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("household"))
}

/// The full CCCD of a household (for the audited reveal).
pub async fn id_number(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    household: Scoped<HouseholdId>,
) -> AppResult<Option<String>> {
    let row = row_of(conn, scope, household).await?;
    Ok(row.id_number)
}

/// The edits of a household, newest first.
pub async fn history(
    conn: &impl ConnectionTrait,
    household: Scoped<HouseholdId>,
) -> AppResult<Vec<HouseholdRevisionDto>> {
    Ok(scoped::household_revisions_of(conn, household)
        .await?
        .into_iter()
        .map(|r| HouseholdRevisionDto {
            version: r.version,
            fields: serde_json::from_str(&r.fields).unwrap_or_default(),
            before: mask_before(serde_json::from_str(&r.content).unwrap_or_default()),
            edited_by: r.editor,
            edited_at: r.edited_at.to_rfc3339(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(escape_like("nguyen van a"), "nguyen van a");
    }

    #[test]
    fn cccd_is_twelve_digits_cmnd_nine() {
        assert!(matches!(check_id_number("051090012345"), Ok(Some(_))));
        assert!(check_id_number("05109001234").is_err());
        assert!(check_id_number("05109001234x").is_err());
        assert!(check_id_number("0510900123456").is_err());
        assert!(check_id_number("003090012345").is_err());
        assert!(matches!(check_id_number("212345678"), Ok(Some(_))));
        assert!(matches!(check_id_number("  "), Ok(None)));
    }

    #[test]
    fn search_key_folds_everything() {
        let key = search_key(
            "Đặng Văn Thành",
            &["Lê Thị Mơ".into()],
            Some("051090012345"),
            "BT-000001",
        );
        assert_eq!(key, "dang van thanh le thi mo 051090012345 bt-000001");
    }

    #[test]
    fn vulnerable_flags_are_checked() {
        assert!(check_vulnerable(vec!["poor".into(), "poor".into()])
            .is_ok_and(|v| v == vec!["poor".to_string()]));
        assert!(check_vulnerable(vec!["rich".into()]).is_err());
    }
}
