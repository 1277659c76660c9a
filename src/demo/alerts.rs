//! The demo's alerts, relative to the real current date so they stay current: recent visits
//! (so "not visited" picks out the households really left waiting), commitments from them
//! that are overdue, a grievance signed by many households and a second-round complaint
//! (hot spots), a household split, a parcel split and a land-use change recorded after the
//! project's notice date. Runs after the cases and grievances of the demo, then refreshes the
//! hot spots.
use anyhow::Context;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, FromQueryResult, Statement, TransactionTrait, Value,
};

use super::gen::insert_rows;
use crate::alerts::hot_spots;

/// Deterministic spread of a household id over 0..n.
fn spread(id: i32, n: i64) -> i64 {
    (i64::from(id).wrapping_mul(2_654_435_761) >> 7).rem_euclid(n)
}

#[derive(FromQueryResult)]
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

pub async fn load(db: &DatabaseConnection, project_id: i32) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let today = crate::legal::today_vn();
    let txn = db.begin().await?;
    let households = HouseholdRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT h.id, h.code, h.commune_id, h.stance, \
         (SELECT MIN(wa.working_group_id) FROM working_group_areas wa JOIN working_groups w \
           ON w.id = wa.working_group_id WHERE wa.admin_unit_id = h.commune_id AND w.project_id = h.project_id) \
           AS working_group_id \
         FROM households h WHERE h.project_id = $1 ORDER BY h.id",
        [Value::from(project_id)],
    ))
    .all(&txn)
    .await?;

    // Recent visits to about two households in three that have a stance (the same stance, so
    // the stance counters stay right), spread over the last 50 days.
    let mut visits: Vec<Vec<SimpleExpr>> = Vec::new();
    for h in &households {
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
            "home_visit".into(),
            "[]".into(),
            "[\"compensation_price\"]".into(),
            stance.into(),
            "Thăm hỏi, nắm tình hình tư tưởng của hộ.".into(),
            Option::<NaiveDate>::None.into(),
            format!("demo-alerts-{}", h.id).into(),
            at.into(),
        ]);
    }
    let mut statements = Vec::new();
    insert_rows(
        &mut statements,
        backend,
        "visits",
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
        txn.execute(st).await?;
    }
    txn.execute(Statement::from_sql_and_values(
        backend,
        "UPDATE households SET last_visit_at = (SELECT MAX(v.visited_at) FROM visits v WHERE v.household_id = households.id) \
         WHERE project_id = $1 AND id IN (SELECT household_id FROM visits WHERE client_id LIKE 'demo-alerts-%')",
        [Value::from(project_id)],
    ))
    .await?;

    // Commitments made at one in five of those visits, due 5 to 25 days later; the ones due
    // before today are left open for one in two.
    #[derive(FromQueryResult)]
    struct VisitRow {
        id: i32,
        household_id: i32,
        visited_at: DateTime<FixedOffset>,
    }
    let recent = VisitRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT id, household_id, visited_at FROM visits WHERE project_id = $1 AND client_id LIKE 'demo-alerts-%' ORDER BY id",
        [Value::from(project_id)],
    ))
    .all(&txn)
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
    for v in recent.iter().filter(|v| spread(v.id, 5) == 0) {
        let due = v.visited_at.date_naive() + Duration::days(5 + spread(v.id, 21));
        let done = (due >= today || spread(v.id + 1, 2) == 0)
            .then(|| ts(due.min(today - Duration::days(1)), 15))
            .filter(|_| due < today);
        let (text, owner) = promises[spread(v.id, promises.len() as i64) as usize];
        rows.push(vec![
            v.id.into(),
            v.household_id.into(),
            text.into(),
            owner.into(),
            Some(due).into(),
            done.into(),
        ]);
    }
    let mut statements = Vec::new();
    insert_rows(
        &mut statements,
        backend,
        "commitments",
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
        txn.execute(st).await?;
    }

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

async fn insert_grievance(
    conn: &impl ConnectionTrait,
    project_id: i32,
    values: (&str, NaiveDate, &str, &str, Option<i32>, i32),
    deadlines: (NaiveDate, NaiveDate, Option<NaiveDate>),
    households: &[i32],
) -> anyhow::Result<i32> {
    let backend = conn.get_database_backend();
    let (channel, received, content, status, parent, round) = values;
    let (accept_by, resolve_by, resolved_on) = deadlines;
    let row = conn
        .query_one(Statement::from_sql_and_values(
            backend,
            "INSERT INTO grievances (project_id, kind, channel, received_on, content, status, complex, remote_area, \
             round, parent_id, accept_by, resolve_by, resolved_on, outcome, document_no, created_at) \
             VALUES ($1, 'complaint', $2, $3, $4, $5, false, false, $6, $7, $8, $9, $10, $11, NULL, $12) RETURNING id",
            [
                Value::from(project_id),
                Value::from(channel),
                Value::from(received),
                Value::from(content),
                Value::from(status),
                Value::from(round),
                Value::from(parent),
                Value::from(accept_by),
                Value::from(resolve_by),
                Value::from(resolved_on),
                Value::from(resolved_on.map(|_| "Giữ nguyên đơn giá đã phê duyệt; giải thích căn cứ cho hộ.".to_string())),
                Value::from(ts(received, 10)),
            ],
        ))
        .await?
        .context("inserting a demo grievance")?;
    let id: i32 = row.try_get("", "id")?;
    if crate::alerts::service::column_exists(conn, "grievances", "signers").await? {
        conn.execute(Statement::from_sql_and_values(
            backend,
            "UPDATE grievances SET signers = $1 WHERE id = $2",
            [Value::from(households.len() as i32), Value::from(id)],
        ))
        .await?;
    }
    for h in households {
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO grievance_households (grievance_id, household_id, parcel_id) VALUES ($1, $2, \
             (SELECT MIN(parcel_id) FROM household_parcels WHERE household_id = $2))",
            [Value::from(id), Value::from(*h)],
        ))
        .await?;
    }
    Ok(id)
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
            "direct",
            received,
            "Tập thể các hộ dân đề nghị xem xét lại đơn giá bồi thường đất trồng lúa và hỗ trợ chuyển đổi nghề.",
            "accepted",
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
    let first_received = NaiveDate::from_ymd_opt(2021, 6, 10).unwrap_or(today);
    let decided = first_received + Duration::days(28);
    let previous = insert_grievance(
        conn,
        project_id,
        (
            "post",
            first_received,
            "Khiếu nại về diện tích đất được bồi thường ít hơn diện tích đang sử dụng.",
            "resolved",
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
            "post",
            again,
            "Khiếu nại lần hai: không đồng ý với quyết định giải quyết khiếu nại lần đầu về diện tích đất.",
            "received",
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
    let backend = conn.get_database_backend();
    // Household split: a son's family registered as its own household.
    if let Some(parent) = households.get(households.len() / 3) {
        let created = ts(today - Duration::days(21), 9);
        let head = "Trần Văn Tách";
        let code = format!("{}-T1", parent.code);
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO households (project_id, code, head_name, search_key, id_number, phone, address, commune_id, \
             members, vulnerable, split_from_id, stance, last_visit_at, created_at, updated_at) \
             SELECT project_id, $1, $2, $3, NULL, NULL, address, commune_id, '[]', '[]', id, NULL, NULL, $4, $4 \
             FROM households WHERE id = $5",
            [
                Value::from(code.as_str()),
                Value::from(head),
                Value::from(crate::text::fold(&format!("{head} {code}"))),
                Value::from(created),
                Value::from(parent.id),
            ],
        ))
        .await?;
        crate::progress::counters::add_household(conn, project_id).await?;
    }

    // Parcel split: part of a parcel sold off and split as its own parcel.
    let parcels = ParcelRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT id, commune_id, map_sheet, parcel_no, land_use, geometry, status FROM parcels \
         WHERE project_id = $1 AND status IN ('negotiating', 'contacted') ORDER BY id LIMIT 2",
        [Value::from(project_id)],
    ))
    .all(conn)
    .await?;
    if let Some(parent) = parcels.first() {
        let created = ts(today - Duration::days(9), 14);
        let value: serde_json::Value = serde_json::from_str(&parent.geometry)?;
        let mp = crate::geo::parse_geometry(&value).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        use geo::{Centroid, Scale};
        let centre = mp.centroid().context("parcel without a centre")?;
        let child = mp.scale_around_point(0.6, 0.6, centre);
        let area = crate::geo::area_m2(&child);
        let bbox = crate::geo::bbox_of(&child).context("empty split parcel")?;
        let land_use: crate::domain::LandUse = parent.land_use.parse()?;
        let status: crate::domain::ParcelStatus = parent.status.parse()?;
        let parcel_no = format!("{}a", parent.parcel_no);
        let geometry = crate::geo::to_geojson_string(&child);
        let row = crate::parcels::service::NewParcelRow {
            commune_id: parent.commune_id,
            map_sheet: &parent.map_sheet,
            parcel_no: &parcel_no,
            land_use,
            area_m2: area,
            recovered_area_m2: area,
            geometry: &geometry,
            source_geometry: None,
            bbox,
            parent_parcel_id: Some(parent.id),
            status,
        };
        let actor = crate::parcels::service::EventActor::system();
        let batch = crate::parcels::service::NewParcelBatch {
            project_id,
            source_crs: "EPSG:4326",
            actor: &actor,
            reason: "created",
            at: created,
        };
        let ids = crate::parcels::service::insert_batch(conn, &batch, &[row]).await?;
        let id = *ids.first().context("inserting the split parcel")?;
        let link = crate::parcels::service::ParcelLineage {
            parcel_id: id,
            parent_id: parent.id,
            kind: "split",
        };
        crate::parcels::service::insert_lineage(conn, &[link], created).await?;
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO household_parcels (household_id, parcel_id, share, role) \
             SELECT household_id, $1, share, role FROM household_parcels WHERE parcel_id = $2",
            [Value::from(id), Value::from(parent.id)],
        ))
        .await?;
    }

    // Land-use change: rice land (LUC) turned into perennial crops (CLN) after the notice.
    if let Some(p) = parcels.get(1) {
        let at = ts(today - Duration::days(33), 10);
        let to = if p.land_use == "CLN" { "ONT" } else { "CLN" };
        conn.execute(Statement::from_sql_and_values(
            backend,
            "UPDATE parcels SET land_use = $1, updated_at = $2, version = version + 1 WHERE id = $3",
            [Value::from(to), Value::from(at), Value::from(p.id)],
        ))
        .await?;
        conn.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO parcel_land_use_events (project_id, parcel_id, commune_id, from_land_use, to_land_use, actor_id, actor, at) \
             VALUES ($1, $2, $3, $4, $5, NULL, 'system', $6)",
            [
                Value::from(project_id),
                Value::from(p.id),
                Value::from(p.commune_id),
                Value::from(p.land_use.as_str()),
                Value::from(to),
                Value::from(at),
            ],
        ))
        .await?;
    }
    Ok(())
}
