//! The demo's alerts, relative to the real current date so they stay current: recent visits
//! (so "not visited" picks out the households really left waiting), commitments from them
//! that are overdue, a grievance signed by many households and a second-round complaint
//! (hot spots), a household split, a parcel split and a land-use change recorded after the
//! project's notice date. Runs after the cases and grievances of the demo, then refreshes the
//! hot spots.
use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use sea_orm::sea_query::{Alias, Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::gen::insert_rows;
use crate::alerts::hot_spots;
use crate::auth::Scope;
use crate::domain::{Channel, GrievanceStatus, LandUse, ParcelStatus, Topic, VisitKind};
use crate::entities::{parcel_land_use_events, parcels, working_group_areas, working_groups};
use crate::scoped::{self, grievance_households, household_parcels, households, visits, Personal};

/// Deterministic spread of a household id over 0..n.
fn spread(id: i32, n: i64) -> i64 {
    (i64::from(id).wrapping_mul(2_654_435_761) >> 7).rem_euclid(n)
}

struct HouseholdRow {
    id: i32,
    code: String,
    commune_id: i32,
    stance: Option<String>,
    working_group_id: Option<i32>,
}

fn ts(d: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    super::gen::at(d, hour, 0)
}

/// The project's households by id, each with the first working group covering its commune.
async fn households_of(
    conn: &impl ConnectionTrait,
    project_id: i32,
) -> anyhow::Result<Vec<HouseholdRow>> {
    let groups: Vec<i32> = working_groups::Entity::find()
        .select_only()
        .column(working_groups::Column::Id)
        .filter(working_groups::Column::ProjectId.eq(project_id))
        .into_tuple()
        .all(conn)
        .await?;
    let areas: Vec<(i32, i32)> = working_group_areas::Entity::find()
        .select_only()
        .column(working_group_areas::Column::AdminUnitId)
        .column(working_group_areas::Column::WorkingGroupId)
        .filter(working_group_areas::Column::WorkingGroupId.is_in(groups))
        .into_tuple()
        .all(conn)
        .await?;
    let mut group_of: HashMap<i32, i32> = HashMap::new();
    for (unit, group) in areas {
        group_of
            .entry(unit)
            .and_modify(|g| *g = (*g).min(group))
            .or_insert(group);
    }
    let rows: Vec<(i32, String, i32, Option<String>)> = scoped::households(&Scope::cli())
        .select_only()
        .column(households::Column::Id)
        .column(households::Column::Code)
        .column(households::Column::CommuneId)
        .column(households::Column::Stance)
        .filter(households::Column::ProjectId.eq(project_id))
        .order_by_asc(households::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, code, commune_id, stance)| HouseholdRow {
            id,
            code,
            commune_id,
            stance,
            working_group_id: group_of.get(&commune_id).copied(),
        })
        .collect())
}

/// Client ids of the demo's recent visits start with this.
const RECENT_PREFIX: &str = "demo-alerts-";

/// Recent visits to about two households in three that have a stance (the same stance, so
/// the stance counters stay right), spread over the last 50 days; the households' last visit
/// follows.
async fn recent_visits(
    conn: &impl ConnectionTrait,
    project_id: i32,
    households: &[HouseholdRow],
    today: NaiveDate,
) -> anyhow::Result<()> {
    let backend = conn.get_database_backend();
    let topics = serde_json::to_string(&[Topic::CompensationPrice])?;
    let mut visits: Vec<Vec<SimpleExpr>> = Vec::new();
    for h in households {
        let (Some(stance), Some(group)) = (h.stance.as_deref(), h.working_group_id) else {
            continue;
        };
        if spread(h.id, 3) == 0 {
            continue;
        }
        let day = today - Duration::days(1 + spread(h.id + 7, 50));
        let at = ts(day, 9 + (spread(h.id, 8) as u32));
        visits.push(vec![
            project_id.into(),
            h.id.into(),
            group.into(),
            at.into(),
            VisitKind::HomeVisit.as_str().into(),
            "[]".into(),
            topics.clone().into(),
            stance.into(),
            "Thăm hỏi, nắm tình hình tư tưởng của hộ.".into(),
            Option::<NaiveDate>::None.into(),
            format!("{RECENT_PREFIX}{}", h.id).into(),
            at.into(),
        ]);
    }
    let mut statements = Vec::new();
    insert_rows(
        &mut statements,
        backend,
        &scoped::insert_into(Personal::Visits),
        &[
            "project_id",
            "household_id",
            "working_group_id",
            "visited_at",
            "kind",
            "participants",
            "topics",
            "stance",
            "concerns",
            "next_visit_on",
            "client_id",
            "created_at",
        ],
        visits.into_iter(),
    )?;
    for st in statements {
        conn.execute(st).await?;
    }
    let cli = Scope::cli();
    let v = Alias::new("v");
    let visited = scoped::select_from(&cli, Personal::Visits, "v")
        .column((v.clone(), visits::Column::HouseholdId))
        .and_where(Expr::col((v, visits::Column::ClientId)).like(format!("{RECENT_PREFIX}%")))
        .to_owned();
    let update = scoped::refresh_last_visit(&cli)
        .and_where(Expr::col(households::Column::ProjectId).eq(project_id))
        .and_where(Expr::col(households::Column::Id).in_subquery(visited))
        .to_owned();
    conn.execute(backend.build(&update)).await?;
    Ok(())
}

/// Commitments made at one in five of the recent visits, due 5 to 25 days later; the ones due
/// before today are left open for one in two.
async fn recent_commitments(
    conn: &impl ConnectionTrait,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let recent: Vec<(i32, i32, DateTime<FixedOffset>)> = scoped::visits(&Scope::cli())
        .select_only()
        .column(visits::Column::Id)
        .column(visits::Column::HouseholdId)
        .column(visits::Column::VisitedAt)
        .filter(visits::Column::ProjectId.eq(project_id))
        .filter(visits::Column::ClientId.like(format!("{RECENT_PREFIX}%")))
        .order_by_asc(visits::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let promises = [
        (
            "Trả lời bằng văn bản về đơn giá bồi thường đất nông nghiệp",
            "UBND xã",
        ),
        (
            "Đo đạc lại diện tích thửa đất theo đề nghị của hộ",
            "Chi nhánh Văn phòng đăng ký đất đai",
        ),
        ("Hướng dẫn hồ sơ hỗ trợ chuyển đổi nghề", "Tổ công tác"),
        ("Làm rõ nguồn gốc đất với UBND xã", "Tổ công tác"),
    ];
    let mut rows: Vec<Vec<SimpleExpr>> = Vec::new();
    for (id, household_id, visited_at) in recent.into_iter().filter(|v| spread(v.0, 5) == 0) {
        let due = visited_at.date_naive() + Duration::days(5 + spread(id, 21));
        let done = (due >= today || spread(id + 1, 2) == 0)
            .then(|| ts(due.min(today - Duration::days(1)), 15))
            .filter(|_| due < today);
        let (text, owner) = promises[spread(id, promises.len() as i64) as usize];
        rows.push(vec![
            id.into(),
            household_id.into(),
            text.into(),
            owner.into(),
            Some(due).into(),
            done.into(),
        ]);
    }
    let mut statements = Vec::new();
    insert_rows(
        &mut statements,
        conn.get_database_backend(),
        &scoped::insert_into(Personal::Commitments),
        &[
            "visit_id",
            "household_id",
            "text",
            "owner",
            "due_date",
            "done_at",
        ],
        rows.into_iter(),
    )?;
    for st in statements {
        conn.execute(st).await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(project_id))]
pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    let households = households_of(&txn, project_id).await?;
    recent_visits(&txn, project_id, &households, today).await?;
    recent_commitments(&txn, project_id, today).await?;
    grievances(&txn, project_id, &households, today).await?;
    cutoff_changes(&txn, project_id, &households, today).await?;
    txn.commit().await?;

    let rules = hot_spots::Rules::from(&crate::config::Settings::with_url(""));
    let txn = db.begin().await?;
    hot_spots::refresh(&txn, project_id, rules, today)
        .await
        .context("flagging the demo's hot spots")?;
    txn.commit().await?;
    Ok(())
}

/// What a demo grievance says: channel, received on, content, status, earlier round, round.
type GrievanceText<'a> = (
    Channel,
    NaiveDate,
    &'a str,
    GrievanceStatus,
    Option<i32>,
    i32,
);

async fn insert_grievance(
    conn: &impl ConnectionTrait,
    project_id: i32,
    values: GrievanceText<'_>,
    deadlines: (NaiveDate, NaiveDate, Option<NaiveDate>),
    households: &[i32],
) -> anyhow::Result<i32> {
    let (channel, received, content, status, parent, round) = values;
    let (accept_by, resolve_by, resolved_on) = deadlines;
    let outcome = resolved_on
        .map(|_| "Giữ nguyên đơn giá đã phê duyệt; giải thích căn cứ cho hộ.".to_string());
    let grievance = scoped::grievances::ActiveModel {
        project_id: Set(project_id),
        kind: Set(crate::legal::GrievanceKind::Complaint.as_str().to_string()),
        channel: Set(channel.as_str().to_string()),
        received_on: Set(received),
        content: Set(content.to_string()),
        status: Set(status.as_str().to_string()),
        complex: Set(false),
        remote_area: Set(false),
        round: Set(round),
        parent_id: Set(parent),
        accept_by: Set(Some(accept_by)),
        resolve_by: Set(Some(resolve_by)),
        resolved_on: Set(resolved_on),
        outcome: Set(outcome),
        document_no: Set(None),
        created_at: Set(ts(received, 10)),
        signers: Set(i32::try_from(households.len()).unwrap_or(i32::MAX)),
        ..Default::default()
    }
    .insert(conn)
    .await
    .context("inserting a demo grievance")?;
    let cli = Scope::cli();
    for h in households {
        // The signer's first parcel.
        let parcel: Option<Option<i32>> = scoped::household_parcels(&cli)
            .select_only()
            .expr(Expr::col(household_parcels::Column::ParcelId).min())
            .filter(household_parcels::Column::HouseholdId.eq(*h))
            .into_tuple()
            .one(conn)
            .await?;
        grievance_households::ActiveModel {
            grievance_id: Set(grievance.id),
            household_id: Set(*h),
            parcel_id: Set(parcel.flatten()),
        }
        .insert(conn)
        .await?;
    }
    Ok(grievance.id)
}

/// A collective complaint signed by seven households of the first commune, and a household of
/// another commune complaining a second time after its first complaint was decided.
async fn grievances(
    conn: &impl ConnectionTrait,
    project_id: i32,
    households: &[HouseholdRow],
    today: NaiveDate,
) -> anyhow::Result<()> {
    let Some(first) = households.first() else {
        return Ok(());
    };
    let signers: Vec<i32> = households
        .iter()
        .filter(|h| h.commune_id == first.commune_id)
        .skip(3)
        .take(7)
        .map(|h| h.id)
        .collect();
    let received = today - Duration::days(12);
    insert_grievance(
        conn,
        project_id,
        (
            Channel::Direct,
            received,
            "Tập thể các hộ dân đề nghị xem xét lại đơn giá bồi thường đất trồng lúa và hỗ trợ chuyển đổi nghề.",
            GrievanceStatus::Accepted,
            None,
            1,
        ),
        (received + Duration::days(10), received + Duration::days(30), None),
        &signers,
    )
    .await?;

    let Some(other) = households.iter().find(|h| h.commune_id != first.commune_id) else {
        return Ok(());
    };
    // A first round about half a year ago (day 160 of the demo calendar: 10 June).
    let first_received = super::gen::day(super::gen::calendar_start(today), 160);
    let decided = first_received + Duration::days(28);
    let previous = insert_grievance(
        conn,
        project_id,
        (
            // The post office is the `mail` channel.
            Channel::Mail,
            first_received,
            "Khiếu nại về diện tích đất được bồi thường ít hơn diện tích đang sử dụng.",
            GrievanceStatus::Resolved,
            None,
            1,
        ),
        (
            first_received + Duration::days(10),
            first_received + Duration::days(30),
            Some(decided),
        ),
        &[other.id],
    )
    .await?;
    let again = today - Duration::days(16);
    insert_grievance(
        conn,
        project_id,
        (
            Channel::Mail,
            again,
            "Khiếu nại lần hai: không đồng ý với quyết định giải quyết khiếu nại lần đầu về diện tích đất.",
            GrievanceStatus::Received,
            Some(previous),
            2,
        ),
        (again + Duration::days(10), again + Duration::days(45), None),
        &[other.id],
    )
    .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct ParcelRow {
    id: i32,
    commune_id: i32,
    map_sheet: String,
    parcel_no: String,
    land_use: String,
    geometry: String,
    status: String,
}

/// A household split, a parcel split and a land-use change, all recorded weeks ago, long after
/// the project's notice date.
async fn cutoff_changes(
    conn: &impl ConnectionTrait,
    project_id: i32,
    households: &[HouseholdRow],
    today: NaiveDate,
) -> anyhow::Result<()> {
    let _backend = conn.get_database_backend();
    // Household split: a son's family registered as its own household.
    if let Some(parent) = households.get(households.len() / 3) {
        household_split(conn, project_id, parent, today).await?;
    }

    // Parcel split: part of a parcel sold off and split as its own parcel.
    let parcels: Vec<ParcelRow> = parcels::Entity::find()
        .select_only()
        .columns([
            parcels::Column::Id,
            parcels::Column::CommuneId,
            parcels::Column::MapSheet,
            parcels::Column::ParcelNo,
            parcels::Column::LandUse,
            parcels::Column::Geometry,
            parcels::Column::Status,
        ])
        .filter(parcels::Column::ProjectId.eq(project_id))
        .filter(parcels::Column::Status.is_in([
            ParcelStatus::Negotiating.as_str(),
            ParcelStatus::Contacted.as_str(),
        ]))
        .order_by_asc(parcels::Column::Id)
        .limit(2)
        .into_model()
        .all(conn)
        .await?;
    if let Some(parent) = parcels.first() {
        split_in_two(conn, project_id, parent, ts(today - Duration::days(9), 14)).await?;
    }

    // Land-use change: rice land (LUC) turned into perennial crops (CLN) after the notice.
    if let Some(p) = parcels.get(1) {
        land_use_change(conn, project_id, p, today).await?;
    }
    Ok(())
}

/// A son's family registered as its own household, three weeks ago.
async fn household_split(
    conn: &impl ConnectionTrait,
    project_id: i32,
    parent: &HouseholdRow,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let created = ts(today - Duration::days(21), 9);
    let head = "Trần Văn Tách";
    let code = format!("{}-T1", parent.code);
    let Some(from) = scoped::households(&Scope::cli())
        .filter(households::Column::Id.eq(parent.id))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    households::ActiveModel {
        project_id: Set(from.project_id),
        search_key: Set(crate::text::fold(&format!("{head} {code}"))),
        code: Set(code),
        head_name: Set(head.to_string()),
        id_number: Set(None),
        phone: Set(None),
        address: Set(from.address),
        commune_id: Set(from.commune_id),
        members: Set("[]".into()),
        vulnerable: Set("[]".into()),
        split_from_id: Set(Some(from.id)),
        stance: Set(None),
        last_visit_at: Set(None),
        created_at: Set(created),
        updated_at: Set(created),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    crate::progress::counters::add_household(conn, project_id).await?;
    Ok(())
}

/// A parcel split in two after the notice, as the map's split tool records it: the halves
/// (`<no>a`, `<no>b`) carry its status and households, it is kept retired, lineage links both.
async fn split_in_two(
    conn: &impl ConnectionTrait,
    project_id: i32,
    parent: &ParcelRow,
    at: DateTime<FixedOffset>,
) -> anyhow::Result<()> {
    use geo::Centroid;
    let value: serde_json::Value = serde_json::from_str(&parent.geometry)?;
    let mp = crate::geo::parse_geometry(&value).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let centre = mp.centroid().context("parcel without a centre")?;
    let halves = crate::parcels::lineage::cut(
        &mp,
        [centre.x(), centre.y() - 0.01],
        [centre.x(), centre.y() + 0.01],
    )
    .map_err(|e| anyhow::anyhow!("cutting the demo parcel: {e}"))?;
    let land_use: LandUse = parent.land_use.parse()?;
    let status: ParcelStatus = parent.status.parse()?;
    let numbers = [
        format!("{}a", parent.parcel_no),
        format!("{}b", parent.parcel_no),
    ];
    let texts: Vec<String> = halves.iter().map(crate::geo::to_geojson_string).collect();
    let mut rows = Vec::with_capacity(2);
    for ((half, no), geometry) in halves.iter().zip(&numbers).zip(&texts) {
        let area = crate::geo::area_m2(half);
        rows.push(crate::parcels::service::NewParcelRow {
            commune_id: parent.commune_id,
            map_sheet: &parent.map_sheet,
            parcel_no: no,
            land_use,
            area_m2: area,
            recovered_area_m2: area,
            geometry,
            source_geometry: None,
            bbox: crate::geo::bbox_of(half).context("empty split parcel")?,
            parent_parcel_id: Some(parent.id),
            status,
        });
    }
    let actor = crate::parcels::service::EventActor::system();
    let batch = crate::parcels::service::NewParcelBatch {
        project_id,
        source_crs: "EPSG:4326",
        actor: &actor,
        reason: "split",
        at,
    };
    let ids = crate::parcels::service::insert_batch(conn, &batch, &rows).await?;
    let links: Vec<_> = ids
        .iter()
        .map(|&parcel_id| crate::parcels::service::ParcelLineage {
            parcel_id,
            parent_id: parent.id,
            kind: "split",
        })
        .collect();
    crate::parcels::service::insert_lineage(conn, &links, at).await?;
    parcels::Entity::update_many()
        .col_expr(parcels::Column::RetiredAt, Expr::value(at))
        .col_expr(parcels::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            parcels::Column::Version,
            Expr::col(parcels::Column::Version).add(1),
        )
        .filter(parcels::Column::Id.eq(parent.id))
        .exec(conn)
        .await?;
    let from = scoped::parcel(conn, &Scope::cli(), parent.id).await?;
    let to: Vec<_> = ids.iter().map(|&id| scoped::made_parcel(id)).collect();
    scoped::move_holdings(conn, &[from], &to).await?;
    Ok(())
}

/// Rice land (LUC) turned into perennial crops (CLN) a month ago, after the notice.
async fn land_use_change(
    conn: &impl ConnectionTrait,
    project_id: i32,
    p: &ParcelRow,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let at = ts(today - Duration::days(33), 10);
    let to = if p.land_use == LandUse::Cln.as_str() {
        LandUse::Ont
    } else {
        LandUse::Cln
    };
    parcels::Entity::update_many()
        .col_expr(parcels::Column::LandUse, Expr::value(to.as_str()))
        .col_expr(parcels::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            parcels::Column::Version,
            Expr::col(parcels::Column::Version).add(1),
        )
        .filter(parcels::Column::Id.eq(p.id))
        .exec(conn)
        .await?;
    parcel_land_use_events::ActiveModel {
        project_id: Set(project_id),
        parcel_id: Set(p.id),
        commune_id: Set(p.commune_id),
        from_land_use: Set(p.land_use.clone()),
        to_land_use: Set(to.as_str().to_string()),
        actor_id: Set(None),
        actor: Set("system".into()),
        at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
