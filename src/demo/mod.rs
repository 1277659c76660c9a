//! The demo data set: project HPDQ2 (expansion of the Hòa Phát Dung Quất steel complex) in the
//! six legacy communes around Dung Quất, with households, working groups, a year of visits
//! ending on the day it is built (`--today` pins that day) and the status history of every
//! parcel. Synthetic and deterministic: the same seed
//! gives the same rows, at any scale (`gpmb demo --parcels N`).
//!
//! Rows are written with explicit ids in multi-row INSERTs, a transaction per
//! [`TXN_PARCELS`] parcels; a blocking thread generates the next batch while the database
//! writes the current one.
mod alerts;
mod cases;
mod compensation;
mod extras;
mod field;
mod gen;
mod layout;
mod names;
mod privacy;
mod public;

use anyhow::{anyhow, bail, Context};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Select, Statement, TransactionTrait,
};
use serde_json::json;

use crate::admin_units::seed::{commune_by_code, seed_reference_data};
use crate::auth::Scope;
use crate::db::dialect;
use crate::domain::Role;
use crate::entities::{
    parcel_status_events, parcels, projects, users, working_group_areas, working_group_members,
    working_groups,
};
use crate::scoped::{self, Personal};
use gen::{at, calendar_start, day, Ctx, Generator, Ids, Staff};
use layout::CommuneArea;

/// Parcels per write transaction.
pub const TXN_PARCELS: u64 = 250_000;

/// The demo project's code.
pub const PROJECT_CODE: &str = "HPDQ2";
/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "demo";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    pub parcels: usize,
    pub seed: u64,
    /// The day the demo is built on: its year of work ends here, deadlines fall around it.
    pub today: chrono::NaiveDate,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            parcels: 2_000,
            seed: 20_210_115,
            today: crate::legal::today_vn(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSummary {
    pub project_code: String,
    pub parcels: u64,
    pub households: u64,
    pub visits: u64,
    /// (username, password).
    pub logins: Vec<(String, String)>,
}

/// A legacy commune of the demo, its working group and the people in it.
struct DemoCommune {
    code: &'static str,
    name: &'static str,
    prefix: &'static str,
    /// Villages (thôn): plausible names for the synthetic addresses, not an official list.
    villages: &'static [&'static str],
    member: (&'static str, &'static str),
    leader: (&'static str, &'static str),
}

/// Bình Thuận first: `member_a` and the household `Nguyễn Văn A` live there.
const COMMUNES: &[DemoCommune] = &[
    DemoCommune {
        code: "21043",
        name: "Bình Thuận",
        prefix: "BT",
        villages: &["An Điềm", "Thuận Phước", "Châu Me", "Phú Long"],
        member: ("member_a", "Lê Thị Hồng Nhung"),
        leader: ("totruong_binhthuan", "Nguyễn Văn Hải"),
    },
    DemoCommune {
        code: "21049",
        name: "Bình Đông",
        prefix: "BD",
        villages: &["Tân Hy", "Đông Yên", "Sơn Trà", "Bình Tân"],
        member: ("member_c", "Huỳnh Văn Lộc"),
        leader: ("totruong_binhdong", "Phan Văn Dũng"),
    },
    DemoCommune {
        code: "21061",
        name: "Bình Trị",
        prefix: "BTR",
        villages: &["Thượng Hòa", "Trì Bình", "Đông Lỗ", "Phước Hòa"],
        member: ("member_d", "Nguyễn Thị Kim Oanh"),
        leader: ("totruong_binhtri", "Bùi Quang Sơn"),
    },
    DemoCommune {
        code: "21067",
        name: "Bình Hải",
        prefix: "BH",
        villages: &["Vạn Tường", "Thanh Thủy", "Phước Thiện", "Hải Ninh"],
        member: ("member_b", "Võ Văn Tài"),
        leader: ("totruong_binhhai", "Đặng Văn Thành"),
    },
    DemoCommune {
        code: "21073",
        name: "Bình Phước",
        prefix: "BP",
        villages: &["Phước Thịnh", "Lệ Thủy", "Bình Thạnh", "Phước Bình"],
        member: ("member_e", "Trương Quang Vinh"),
        leader: ("totruong_binhphuoc", "Hồ Thị Thanh Hương"),
    },
    DemoCommune {
        code: "21079",
        name: "Bình Hòa",
        prefix: "BHO",
        villages: &["Hòa Vinh", "Hòa Hiệp", "Xuân An", "Bình Châu"],
        member: ("member_f", "Đỗ Thị Mỹ Linh"),
        leader: ("totruong_binhhoa", "Ngô Đức Trung"),
    },
];

const ADMIN: (&str, &str) = ("admin", "Quản trị hệ thống");
const LEADER: (&str, &str) = ("leader", "Trần Quốc Hùng");
const DISTRICT_LEADER: (&str, &str) = ("lanhdao_binhson", "Phạm Thị Thu Hà");

struct DemoUser {
    id: i32,
    username: &'static str,
    role: Role,
    display_name: &'static str,
}

/// Every demo user, ids from `first`: admin, leader, member_a, member_b first.
fn demo_users(first: i32) -> Vec<DemoUser> {
    let mut list: Vec<(&'static str, Role, &'static str)> = vec![
        (ADMIN.0, Role::Admin, ADMIN.1),
        (LEADER.0, Role::Leader, LEADER.1),
    ];
    let member_a = COMMUNES[0].member;
    let member_b = COMMUNES[3].member;
    list.push((member_a.0, Role::Member, member_a.1));
    list.push((member_b.0, Role::Member, member_b.1));
    list.push((DISTRICT_LEADER.0, Role::DistrictLeader, DISTRICT_LEADER.1));
    for c in COMMUNES {
        if c.member.0 != member_a.0 && c.member.0 != member_b.0 {
            list.push((c.member.0, Role::Member, c.member.1));
        }
    }
    for c in COMMUNES {
        list.push((c.leader.0, Role::Member, c.leader.1));
    }
    list.into_iter()
        .zip(first..)
        .map(|((username, role, display_name), id)| DemoUser {
            id,
            username,
            role,
            display_name,
        })
        .collect()
}

/// The largest id of a table (0 when empty) + 1: the demo writes explicit ids from there.
async fn next_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id: E::Column,
) -> Result<i32, sea_orm::DbErr> {
    let max: Option<Option<i32>> = select
        .select_only()
        .expr(Expr::col(id).max())
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// What the database holds for the project now: parcels, households, visits.
async fn project_counts(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<(u64, u64, u64), sea_orm::DbErr> {
    let cli = Scope::cli();
    let parcels = parcels::Entity::find()
        .filter(parcels::Column::ProjectId.eq(project_id))
        .count(db)
        .await?;
    let households = scoped::households(&cli)
        .filter(scoped::households::Column::ProjectId.eq(project_id))
        .count(db)
        .await?;
    let visits = scoped::visits(&cli)
        .filter(scoped::visits::Column::ProjectId.eq(project_id))
        .count(db)
        .await?;
    Ok((parcels, households, visits))
}

/// Moves PostgreSQL's id sequences past the ids the demo wrote.
async fn reset_id_sequences(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    use crate::db::dialect::reset_id_sequence;
    reset_id_sequence(db, projects::Entity).await?;
    reset_id_sequence(db, users::Entity).await?;
    reset_id_sequence(db, working_groups::Entity).await?;
    reset_id_sequence(db, parcels::Entity).await?;
    reset_id_sequence(db, parcel_status_events::Entity).await?;
    for table in [
        Personal::Households,
        Personal::Visits,
        Personal::Commitments,
        Personal::CaseStageEvents,
    ] {
        scoped::reset_id_sequence(db, table).await?;
    }
    Ok(())
}

async fn exec_all(
    txn: &DatabaseTransaction,
    statements: Vec<Statement>,
) -> Result<(), sea_orm::DbErr> {
    for st in statements {
        txn.execute(st).await?;
    }
    Ok(())
}

/// The first free id of each table the generator fills.
async fn first_ids(db: &impl ConnectionTrait) -> Result<Ids, sea_orm::DbErr> {
    let cli = Scope::cli();
    Ok(Ids {
        parcel: next_id(db, parcels::Entity::find(), parcels::Column::Id).await?,
        household: next_id(db, scoped::households(&cli), scoped::households::Column::Id).await?,
        visit: next_id(db, scoped::visits(&cli), scoped::visits::Column::Id).await?,
        commitment: next_id(
            db,
            scoped::commitments(&cli),
            scoped::commitments::Column::Id,
        )
        .await?,
        status_event: next_id(
            db,
            parcel_status_events::Entity::find(),
            parcel_status_events::Column::Id,
        )
        .await?,
        stage_event: next_id(
            db,
            scoped::case_stage_events(&cli),
            scoped::case_stage_events::Column::Id,
        )
        .await?,
    })
}

/// Project, users, working groups with their areas and members: one transaction.
#[allow(clippy::too_many_arguments)]
#[expect(
    clippy::too_many_lines,
    reason = "the demo's fixed setup (project, groups, users) in one list"
)]
async fn insert_setup(
    db: &DatabaseConnection,
    start: chrono::NaiveDate,
    backend: DbBackend,
    project_id: i32,
    boundary: String,
    users_list: &[DemoUser],
    password_hash: &str,
    groups: &[(i32, i32, String, i32, Vec<i32>)],
) -> anyhow::Result<()> {
    let created = at(day(start, gen::CREATED_DAY), 8, 0);
    let mut statements = Vec::new();
    gen::insert_rows(
        &mut statements,
        backend,
        &Query::insert().into_table(projects::Entity).to_owned(),
        &[
            "id",
            "code",
            "name",
            "investor",
            "boundary",
            "notice_date",
            "target_handover_date",
            "status",
            "agency",
            "contact",
            "created_at",
        ],
        std::iter::once(vec![
            project_id.into(),
            PROJECT_CODE.into(),
            "Dự án đầu tư mở rộng Khu liên hợp sản xuất gang thép Hòa Phát Dung Quất".into(),
            "Công ty CP Thép Hòa Phát Dung Quất".into(),
            Some(boundary).into(),
            Some(day(start, gen::NOTICE_DAY)).into(),
            // Handover targeted 18 months after the notice: about six months from today.
            Some(day(start, gen::TARGET_HANDOVER_DAY)).into(),
            "active".into(),
            Some("Ban Bồi thường, GPMB huyện Bình Sơn".to_string()).into(),
            Some("Tổ thường trực GPMB, UBND huyện Bình Sơn — bbt-gpmb@binhson.example".to_string())
                .into(),
            created.into(),
        ]),
    )?;
    gen::insert_rows(
        &mut statements,
        backend,
        &Query::insert().into_table(users::Entity).to_owned(),
        &[
            "id",
            "username",
            "password_hash",
            "role",
            "display_name",
            "disabled",
            "created_at",
        ],
        users_list.iter().map(|u| {
            vec![
                u.id.into(),
                u.username.into(),
                password_hash.into(),
                u.role.as_str().into(),
                u.display_name.into(),
                false.into(),
                created.into(),
            ]
        }),
    )?;
    gen::insert_rows(
        &mut statements,
        backend,
        &Query::insert()
            .into_table(working_groups::Entity)
            .to_owned(),
        &["id", "project_id", "name", "leader_id", "created_at"],
        groups.iter().map(|(id, _, name, leader, _)| {
            vec![
                (*id).into(),
                project_id.into(),
                name.clone().into(),
                Some(*leader).into(),
                created.into(),
            ]
        }),
    )?;
    gen::insert_rows(
        &mut statements,
        backend,
        &Query::insert()
            .into_table(working_group_areas::Entity)
            .to_owned(),
        &["working_group_id", "admin_unit_id"],
        groups
            .iter()
            .map(|(id, unit, _, _, _)| vec![(*id).into(), (*unit).into()]),
    )?;
    gen::insert_rows(
        &mut statements,
        backend,
        &Query::insert()
            .into_table(working_group_members::Entity)
            .to_owned(),
        &["working_group_id", "user_id"],
        groups.iter().flat_map(|(id, _, _, _, members)| {
            members.iter().map(move |m| vec![(*id).into(), (*m).into()])
        }),
    )?;
    let txn = db.begin().await?;
    exec_all(&txn, statements).await?;
    txn.commit().await?;
    Ok(())
}

/// Writes the generator's batches, committing every [`TXN_PARCELS`] parcels; returns the
/// parcels written.
async fn write_batches(
    txn: &DatabaseTransaction,
    rx: &mut tokio::sync::mpsc::Receiver<gen::Batch>,
    total: u64,
    progress: &dyn Fn(&str, u64, u64),
) -> anyhow::Result<u64> {
    let mut done = 0u64;
    let mut since_commit = 0u64;
    progress("parcels", 0, total);
    while let Some(batch) = rx.recv().await {
        exec_all(txn, batch.statements)
            .await
            .context("writing demo rows")?;
        done += batch.parcels;
        since_commit += batch.parcels;
        if since_commit >= TXN_PARCELS {
            dialect::commit_and_begin(txn).await?;
            since_commit = 0;
        }
        progress("parcels", done, total);
    }
    Ok(done)
}

/// Loads the demo data set into a migrated database (reference data is loaded if missing).
/// Fails with "database already has data" when any project exists. `progress(stage, done,
/// total)` is called as the load goes on.
#[tracing::instrument(skip_all, fields(parcels = opts.parcels, seed = opts.seed))]
#[expect(
    clippy::too_many_lines,
    reason = "the demo load's steps in order, each a call with its progress report"
)]
pub async fn load_demo(
    db: &DatabaseConnection,
    opts: &DemoOptions,
    progress: &dyn Fn(&str, u64, u64),
) -> anyhow::Result<DemoSummary> {
    let backend = db.get_database_backend();
    seed_reference_data(db)
        .await
        .context("loading administrative units")?;
    if projects::Entity::find().count(db).await? > 0 {
        bail!("database already has data");
    }
    let first_user = next_id(db, users::Entity::find(), users::Column::Id).await?;
    let users_list = demo_users(first_user);
    let names: Vec<&str> = users_list.iter().map(|u| u.username).collect();
    let clash = users::Entity::find()
        .filter(users::Column::Username.is_in(names))
        .count(db)
        .await?;
    if clash > 0 {
        bail!("database already has data (demo usernames exist)");
    }

    // The six legacy communes, as seeded.
    let mut areas = Vec::with_capacity(COMMUNES.len());
    let mut unit_ids = Vec::with_capacity(COMMUNES.len());
    for c in COMMUNES {
        let unit = commune_by_code(db, c.code, true)
            .await?
            .ok_or_else(|| anyhow!("administrative unit {} ({}) is missing", c.code, c.name))?;
        let (Some(lon), Some(lat), Some(a), Some(b), Some(cc), Some(d)) = (
            unit.lon,
            unit.lat,
            unit.min_lon,
            unit.min_lat,
            unit.max_lon,
            unit.max_lat,
        ) else {
            bail!(
                "administrative unit {} has no centroid or bounding box",
                c.code
            );
        };
        areas.push(CommuneArea {
            centroid: (lon, lat),
            bbox: [a, b, cc, d],
        });
        unit_ids.push(unit.id);
    }
    let centre = (
        areas.iter().map(|a| a.centroid.0).sum::<f64>() / areas.len() as f64,
        areas.iter().map(|a| a.centroid.1).sum::<f64>() / areas.len() as f64,
    );
    progress("layout", 0, 1);
    let n = opts.parcels;
    let layout_areas = areas.clone();
    let layout = tokio::task::spawn_blocking(move || layout::layout(&layout_areas, n, centre))
        .await
        .context("laying out parcels")?
        .map_err(|e| anyhow!(e))?;
    progress("layout", 1, 1);
    let boundary = geojson::Geometry::new(geojson::Value::from(&layout.boundary)).to_string();

    // Ids.
    let project_id = next_id(db, projects::Entity::find(), projects::Column::Id).await?;
    let first_group = next_id(
        db,
        working_groups::Entity::find(),
        working_groups::Column::Id,
    )
    .await?;
    let first_ids = first_ids(db).await?;
    let user_id = |name: &str| {
        users_list
            .iter()
            .find(|u| u.username == name)
            .map_or(first_user, |u| u.id)
    };
    let admin_id = user_id(ADMIN.0);
    let district_leader_id = user_id(DISTRICT_LEADER.0);
    let mut groups = Vec::with_capacity(COMMUNES.len());
    let mut communes = Vec::with_capacity(COMMUNES.len());
    for ((c, unit_id), group_id) in COMMUNES.iter().zip(&unit_ids).zip(first_group..) {
        let leader = user_id(c.leader.0);
        let member = user_id(c.member.0);
        groups.push((
            group_id,
            *unit_id,
            format!("Tổ công tác xã {}", c.name),
            leader,
            vec![leader, member, district_leader_id],
        ));
        communes.push(gen::CommuneCtx {
            admin_unit_id: *unit_id,
            name: c.name,
            prefix: c.prefix,
            villages: c.villages,
            working_group_id: group_id,
            staff: vec![
                Staff {
                    id: leader,
                    username: c.leader.0.to_string(),
                    display_name: c.leader.1.to_string(),
                },
                Staff {
                    id: member,
                    username: c.member.0.to_string(),
                    display_name: c.member.1.to_string(),
                },
            ],
        });
    }

    // One hash for every login: argon2 is deliberately slow.
    let password_hash = crate::auth::password::hash_password(DEMO_PASSWORD)?;
    let start = calendar_start(opts.today);
    insert_setup(
        db,
        start,
        backend,
        project_id,
        boundary,
        &users_list,
        &password_hash,
        &groups,
    )
    .await
    .context("creating the demo project, users and working groups")?;

    // Parcels, households, visits: generated on a blocking thread, written here.
    let ctx = Ctx {
        backend,
        project_id,
        admin_id,
        communes,
        layout,
        first_ids,
        start,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<gen::Batch>(2);
    let seed = opts.seed;
    let generator = tokio::task::spawn_blocking(move || {
        Generator::new(ctx, seed).run(|batch| tx.blocking_send(batch).is_ok())
    });
    let total = n as u64;
    // One transaction object for the whole load, committed and reopened every TXN_PARCELS
    // parcels with plain COMMIT/BEGIN. That keeps one pooled connection: a fresh `begin()`
    // after each commit can land on another connection while the last one is still being
    // handed back to the pool, and every connection then fills its own page cache and
    // prepared-statement cache. The WAL still checkpoints between chunks.
    let txn = db.begin().await?;
    // The time-ordered indexes (visits, status events) take rows in random order; a larger
    // page cache for this connection, while loading, saves rewriting their pages.
    let previous_cache = dialect::begin_bulk_load_cache(&txn).await?;
    let written = write_batches(&txn, &mut rx, total, progress).await;
    if let Some(previous) = previous_cache {
        // Best effort: the connection goes back to the pool either way.
        let _ = dialect::end_bulk_load_cache(&txn, previous).await;
    }
    let done = written?;
    txn.commit().await?;
    let totals = generator
        .await
        .context("demo generator stopped")?
        .context("generating demo rows (rows written so far stay in the database)")?;
    if done < total {
        progress("parcels", total, total);
    }

    reset_id_sequences(db).await?;
    // The extras add visits, stances and a split parcel: count after them.
    extras::load(db, project_id, opts.today)
        .await
        .context("loading the demo's cases, grievances and public information")?;
    progress("counters", 0, 1);
    crate::progress::rebuild_counters(db, project_id)
        .await
        .context("computing progress counters")?;
    progress("counters", 1, 1);
    // Leave a short WAL behind rather than the last chunk's worth of pages.
    dialect::checkpoint_after_bulk_load(db).await?;

    let detail = json!({
        "project": PROJECT_CODE,
        "parcels": totals.parcels,
        "households": totals.households,
        "household_parcels": totals.household_parcels,
        "visits": totals.visits,
        "commitments": totals.commitments,
        "parcel_status_events": totals.status_events,
        "case_stage_events": totals.stage_events,
    });
    // The bulk load is one write in the audit trail, not millions.
    crate::audit::record_system(
        db,
        "demo_load",
        "project",
        Some(project_id.to_string()),
        detail.clone(),
    )
    .await?;
    tracing::info!(detail = %detail, "demo data loaded");
    // The extras add a few rows of their own: report what the database holds now.
    let (parcels, households, visits) = project_counts(db, project_id).await?;
    Ok(DemoSummary {
        project_code: PROJECT_CODE.to_string(),
        parcels,
        households,
        visits,
        logins: users_list
            .iter()
            .map(|u| (u.username.to_string(), DEMO_PASSWORD.to_string()))
            .collect(),
    })
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{Database, QueryOrder};

    #[test]
    fn pinned_logins_come_first_and_groups_differ() {
        let users = demo_users(1);
        let names: Vec<&str> = users.iter().map(|u| u.username).collect();
        assert_eq!(&names[..4], &["admin", "leader", "member_a", "member_b"]);
        assert_eq!(users[0].role, Role::Admin);
        assert_eq!(users[1].role, Role::Leader);
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(COMMUNES[0].member.0, "member_a");
        assert_eq!(COMMUNES[3].member.0, "member_b");
        assert_ne!(COMMUNES[0].code, COMMUNES[3].code);
    }

    async fn memory_db() -> DatabaseConnection {
        let db = Database::connect("sqlite::memory:").await.expect("sqlite");
        Migrator::up(&db, None).await.expect("migrations");
        seed_reference_data(&db).await.expect("seed");
        db
    }

    async fn count<E: EntityTrait>(db: &DatabaseConnection, select: Select<E>) -> i64
    where
        E::Model: Sync,
    {
        i64::try_from(select.count(db).await.expect("count")).expect("count fits")
    }

    #[tokio::test]
    async fn loads_a_small_demo() {
        let db = memory_db().await;
        let opts = DemoOptions {
            parcels: 500,
            ..DemoOptions::default()
        };
        let summary = load_demo(&db, &opts, &|_, _, _| {})
            .await
            .expect("demo loads");
        assert_eq!(summary.project_code, "HPDQ2");
        // The demo's parcel split after the cut-off adds a child parcel to the 500.
        let children = count(
            &db,
            parcels::Entity::find().filter(parcels::Column::ParentParcelId.is_not_null()),
        )
        .await;
        assert!(children >= 1);
        assert_eq!(count(&db, parcels::Entity::find()).await, 500 + children);
        assert_eq!(summary.parcels as i64, 500 + children);
        assert!(
            count(
                &db,
                scoped::households(&Scope::cli())
                    .filter(scoped::households::Column::SplitFromId.is_not_null()),
            )
            .await
                >= 1
        );
        assert_eq!(
            count(&db, scoped::households(&Scope::cli())).await as u64,
            summary.households
        );
        assert_eq!(
            count(&db, scoped::visits(&Scope::cli())).await as u64,
            summary.visits
        );
        assert!(summary.households > 100 && summary.households < 500);
        assert!(summary.visits > summary.households);
        assert!(count(&db, parcel_status_events::Entity::find()).await >= 500);
        assert!(count(&db, scoped::household_parcels(&Scope::cli())).await >= 500);
        assert_eq!(count(&db, working_groups::Entity::find()).await, 6);
        assert!(summary
            .logins
            .iter()
            .any(|(u, p)| u == "member_b" && p == "demo"));

        use crate::scoped::households;
        let a = crate::scoped::households(&crate::auth::Scope::cli())
            .filter(households::Column::HeadName.eq("Nguyễn Văn A"))
            .one(&db)
            .await
            .expect("query")
            .expect("Nguyễn Văn A exists");
        let bt = commune_by_code(&db, "21043", true)
            .await
            .expect("q")
            .expect("Bình Thuận");
        assert_eq!(a.commune_id, bt.id);
        assert!(a.code.starts_with("BT-"));
        assert_eq!(a.id_number.as_deref().map(str::len), Some(12));
        assert!(a.id_number.as_deref().is_some_and(|s| s.starts_with("051")));

        // Every parcel's last status event ends at its status.
        let ps = parcels::Entity::find()
            .order_by_asc(parcels::Column::Id)
            .all(&db)
            .await
            .expect("parcels");
        for p in ps.iter().take(50) {
            let last = parcel_status_events::Entity::find()
                .filter(parcel_status_events::Column::ParcelId.eq(p.id))
                .order_by_desc(parcel_status_events::Column::Id)
                .one(&db)
                .await
                .expect("q")
                .expect("event");
            assert_eq!(last.to_status, p.status);
            assert!(p.area_m2 > 10.0 && p.recovered_area_m2 <= p.area_m2 + 1e-6);
        }
        let inside = ps
            .iter()
            .filter(|p| (p.recovered_area_m2 - p.area_m2).abs() < 1e-6)
            .count();
        let straddle = ps
            .iter()
            .filter(|p| p.recovered_area_m2 + 1e-6 < p.area_m2)
            .count();
        assert!(
            inside > ps.len() * 3 / 4,
            "{inside} of {} fully inside",
            ps.len()
        );
        assert!(straddle > 0, "no parcel straddles the boundary");

        // A second load is refused.
        let again = load_demo(&db, &opts, &|_, _, _| {}).await;
        assert!(again.is_err_and(|e| e.to_string().contains("already has data")));
    }

    #[tokio::test]
    async fn same_seed_same_households() {
        let opts = DemoOptions {
            parcels: 120,
            seed: 99,
            today: gen::ymd(2026, 12, 4),
        };
        let mut heads = Vec::new();
        for _ in 0..2 {
            let db = memory_db().await;
            load_demo(&db, &opts, &|_, _, _| {})
                .await
                .expect("demo loads");
            use crate::scoped::households;
            let hs = crate::scoped::households(&crate::auth::Scope::cli())
                .order_by_asc(households::Column::Id)
                .all(&db)
                .await
                .expect("q");
            heads.push(
                hs.into_iter()
                    .take(10)
                    .map(|h| (h.head_name, h.id_number, h.search_key))
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(heads[0], heads[1]);
    }
}

/// A timing and memory benchmark against an SQLite file opened as `db::connect` opens it:
/// `PROBE_N=100000 cargo test --release --lib bench_load_into_sqlite_file -- --ignored --nocapture`.
#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod bench {
    use super::*;

    fn rss_mb() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("VmRSS"))
            .and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|x| x.parse::<u64>().ok())
            })
            .unwrap_or(0)
            / 1024
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a timing of the full demo load, run by hand"]
    async fn bench_load_into_sqlite_file() {
        let n: usize = std::env::var("PROBE_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50_000);
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        let db = crate::db::open(&url, crate::db::SqliteSync::Normal)
            .await
            .unwrap()
            .conn;
        let t0 = std::time::Instant::now();
        let last = std::sync::Mutex::new(0u64);
        let s = load_demo(
            &db,
            &DemoOptions {
                parcels: n,
                ..DemoOptions::default()
            },
            &|stage, done, total| {
                let mut l = last.lock().unwrap();
                if stage != "parcels" || done >= *l + 50_000 || done == total {
                    *l = done;
                    eprintln!(
                        "{:>7.1}s {stage} {done}/{total} rss {} MB",
                        t0.elapsed().as_secs_f64(),
                        rss_mb()
                    );
                }
            },
        )
        .await
        .unwrap();
        let secs = t0.elapsed().as_secs_f64();
        eprintln!(
            "{} parcels in {secs:.1}s ({:.0}/s); rss {} MB",
            s.parcels,
            s.parcels as f64 / secs,
            rss_mb()
        );
    }
}
