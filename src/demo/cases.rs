//! The demo's case stages and grievances (issue 6). The generated year holds notices,
//! inventories, plans, decisions, payments and hand-overs; this adds what the law puts around
//! them and a present to look at:
//! - a briefing meeting a week before every notice (LĐĐ 2024 Art. 87(1));
//! - the deadline every stage starts (`due_on`, `due_stage`), from `crate::legal`;
//! - notices of households still without a decision that lapsed after 12 months (none when the
//!   demo is built on its own calendar; kept for data sets built on an older one): a new notice
//!   went out 240 days before today (superseding the old deadline);
//! - recent approvals and decisions, relative to today, so that some deadlines are overdue and
//!   some about to fall due whenever the demo is loaded;
//! - grievances of every kind and state, normal, complex and remote, near and past their
//!   deadlines, one signed by many households, one household filing a second round after a
//!   decision.
//!
//! Dates move with today; the structure (which households, which kinds) is deterministic.
use anyhow::Context;
use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::{
    Alias, Expr, InsertStatement, JoinType, Keyword, Order, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, StatementBuilder, TransactionTrait,
};

use crate::auth::{Principal, Scope};
use crate::cases::dto::NewStage;
use crate::domain::{CaseStage, Channel, ParcelStatus};
use crate::entities::parcels;
use crate::grievances::dto::{
    GrievanceAction, GrievanceHouseholdInput, GrievancePatch, NewAppeal, NewGrievance,
};
use crate::legal::{self, GrievanceKind, LandKind};
use crate::scoped::{self, case_stage_events as events, household_parcels, households, Personal};

/// Days before today the lapsed notices were issued again.
const RENOTICE_DAYS: i64 = 240;

#[derive(Debug, FromQueryResult)]
struct HouseholdRow {
    id: i32,
    commune_id: i32,
}

/// `alias.column` of a case event.
fn ev(alias: &'static str, c: events::Column) -> Expr {
    Expr::col((Alias::new(alias), c))
}

fn null() -> SimpleExpr {
    SimpleExpr::Keyword(Keyword::Null)
}

/// The columns a copied case event is written with, in the order of the SELECTs below.
const COPY_COLUMNS: [events::Column; 12] = [
    events::Column::ProjectId,
    events::Column::HouseholdId,
    events::Column::ParcelId,
    events::Column::Stage,
    events::Column::OccurredOn,
    events::Column::DocumentNo,
    events::Column::Note,
    events::Column::RecordedBy,
    events::Column::RecordedAt,
    events::Column::Overridden,
    events::Column::DueOn,
    events::Column::DueStage,
];

async fn distinct_dates(
    db: &impl ConnectionTrait,
    project_id: i32,
    stage: CaseStage,
) -> anyhow::Result<Vec<NaiveDate>> {
    Ok(scoped::case_stage_events(&Scope::cli())
        .select_only()
        .column(events::Column::OccurredOn)
        .distinct()
        .filter(events::Column::ProjectId.eq(project_id))
        .filter(events::Column::Stage.eq(stage.as_str()))
        .into_tuple()
        .all(db)
        .await?)
}

/// The households with an event of `stage` (events under `alias`), as a subquery: add
/// filters.
fn with_stage(alias: &'static str, project_id: i32, stage: CaseStage) -> SelectStatement {
    scoped::select_from(&Scope::cli(), Personal::CaseStageEvents, alias)
        .column((Alias::new(alias), events::Column::HouseholdId))
        .and_where(ev(alias, events::Column::ProjectId).eq(project_id))
        .and_where(ev(alias, events::Column::Stage).eq(stage.as_str()))
        .to_owned()
}

/// What a copied notice becomes: stage, day, document, note, recorded at, deadline.
struct Copy<'a> {
    stage: CaseStage,
    on: NaiveDate,
    document_no: Option<&'a str>,
    note: &'a str,
    recorded_at: chrono::DateTime<chrono::FixedOffset>,
    due: Option<(NaiveDate, CaseStage)>,
}

/// A new event for every `notice` event the `filter` keeps: `INSERT … SELECT` from the
/// notices (alias `e`).
fn copy_notices(
    project_id: i32,
    new: &Copy<'_>,
    filter: SimpleExpr,
) -> anyhow::Result<InsertStatement> {
    let e = Alias::new("e");
    let select = scoped::select_from(&Scope::cli(), Personal::CaseStageEvents, "e")
        .column((e.clone(), events::Column::ProjectId))
        .column((e.clone(), events::Column::HouseholdId))
        .expr(null())
        .expr(Expr::val(new.stage.as_str()))
        .expr(Expr::val(new.on))
        .expr(new.document_no.map_or_else(null, |d| Expr::val(d).into()))
        .expr(Expr::val(new.note))
        .column((e, events::Column::RecordedBy))
        .expr(Expr::val(new.recorded_at))
        .expr(Expr::val(false))
        .expr(new.due.map_or_else(null, |d| Expr::val(d.0).into()))
        .expr(
            new.due
                .map_or_else(null, |d| Expr::val(d.1.as_str()).into()),
        )
        .and_where(ev("e", events::Column::ProjectId).eq(project_id))
        .and_where(ev("e", events::Column::Stage).eq(CaseStage::Notice.as_str()))
        .and_where(filter)
        .to_owned();
    Ok(scoped::insert_into(Personal::CaseStageEvents)
        .columns(COPY_COLUMNS)
        .select_from(select)?
        .to_owned())
}

async fn run(db: &impl ConnectionTrait, stmt: &impl StatementBuilder) -> anyhow::Result<()> {
    db.execute(db.get_database_backend().build(stmt)).await?;
    Ok(())
}

/// Briefings before the notices, deadlines on every generated event, lapsed notices renewed.
/// Set-based (a statement per distinct date), so it stays quick at a million parcels.
async fn backfill(
    db: &impl ConnectionTrait,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let cli = Scope::cli();
    for d in distinct_dates(db, project_id, CaseStage::Notice).await? {
        let briefing = d - Duration::days(7);
        let briefing = Copy {
            stage: CaseStage::Briefing,
            on: briefing,
            document_no: None,
            note: "Họp phổ biến, vận động chủ trương thu hồi đất (UBND xã, Mặt trận Tổ quốc)",
            recorded_at: super::gen::at(briefing, 16, 30),
            due: None,
        };
        let insert = copy_notices(
            project_id,
            &briefing,
            ev("e", events::Column::OccurredOn).eq(d),
        )?;
        run(db, &insert).await?;
    }
    // Each stage's own deadline (the land kind does not change these).
    for stage in [
        CaseStage::Notice,
        CaseStage::PlanApproved,
        CaseStage::Enforcement,
    ] {
        for d in distinct_dates(db, project_id, stage).await? {
            if let Some(due) = legal::deadline(stage, d, LandKind::Agricultural) {
                let update = scoped::update(&cli, Personal::CaseStageEvents)
                    .value(events::Column::DueOn, due.due_on)
                    .value(events::Column::DueStage, due.stage.as_str())
                    .and_where(Expr::col(events::Column::ProjectId).eq(project_id))
                    .and_where(Expr::col(events::Column::Stage).eq(stage.as_str()))
                    .and_where(Expr::col(events::Column::OccurredOn).eq(d))
                    .to_owned();
                run(db, &update).await?;
            }
        }
    }
    // Payment: 30 days from the approval of the same household's plan.
    for approved in distinct_dates(db, project_id, CaseStage::PlanApproved).await? {
        let payment = legal::in_force(legal::rules::PAYMENT_AFTER_APPROVAL.topic, approved);
        let due = legal::term_end(approved, payment.days());
        let approvals = with_stage("x", project_id, CaseStage::PlanApproved)
            .and_where(ev("x", events::Column::OccurredOn).eq(approved))
            .to_owned();
        let update = scoped::update(&cli, Personal::CaseStageEvents)
            .value(events::Column::DueOn, due)
            .value(events::Column::DueStage, CaseStage::Paid.as_str())
            .and_where(Expr::col(events::Column::ProjectId).eq(project_id))
            .and_where(Expr::col(events::Column::Stage).eq(CaseStage::RecoveryDecision.as_str()))
            .and_where(Expr::col(events::Column::HouseholdId).in_subquery(approvals))
            .to_owned();
        run(db, &update).await?;
    }
    renew_lapsed_notices(db, project_id, today).await
}

/// Lapsed notices (no decision within 12 months) were issued again; the renewed notice
/// supersedes the lapsed one.
async fn renew_lapsed_notices(
    db: &impl ConnectionTrait,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let cli = Scope::cli();
    let renotice = today - Duration::days(RENOTICE_DAYS);
    let decided = scoped::select_from(&cli, Personal::CaseStageEvents, "x")
        .expr(Expr::val(1))
        .and_where(
            ev("x", events::Column::HouseholdId)
                .equals((Alias::new("n"), events::Column::HouseholdId)),
        )
        .and_where(ev("x", events::Column::Stage).eq(CaseStage::RecoveryDecision.as_str()))
        .to_owned();
    let lapsed = with_stage("n", project_id, CaseStage::Notice)
        .and_where(ev("n", events::Column::DueOn).lt(today))
        .and_where(Expr::exists(decided).not())
        .to_owned();
    let due = legal::deadline(CaseStage::Notice, renotice, LandKind::Agricultural);
    let renewal = Copy {
        stage: CaseStage::Notice,
        on: renotice,
        document_no: Some("118/TB-UBND"),
        note: "Thông báo thu hồi đất ban hành lại (thông báo trước đã hết hiệu lực 12 tháng)",
        recorded_at: super::gen::at(renotice, 16, 30),
        due: due.map(|d| (d.due_on, d.stage)),
    };
    let insert = copy_notices(
        project_id,
        &renewal,
        ev("e", events::Column::HouseholdId).in_subquery(lapsed),
    )?;
    run(db, &insert).await?;
    let renewed = with_stage("x", project_id, CaseStage::Notice)
        .and_where(ev("x", events::Column::OccurredOn).eq(renotice))
        .to_owned();
    let update = scoped::update(&cli, Personal::CaseStageEvents)
        .value(events::Column::DueOn, Option::<NaiveDate>::None)
        .value(events::Column::DueStage, Option::<String>::None)
        .and_where(Expr::col(events::Column::ProjectId).eq(project_id))
        .and_where(Expr::col(events::Column::Stage).eq(CaseStage::Notice.as_str()))
        .and_where(Expr::col(events::Column::OccurredOn).lt(renotice))
        .and_where(Expr::col(events::Column::HouseholdId).in_subquery(renewed))
        .to_owned();
    run(db, &update).await
}

/// Households of the project whose parcels have one of `statuses`, by id.
async fn households_with(
    db: &impl ConnectionTrait,
    project_id: i32,
    statuses: &[ParcelStatus],
) -> anyhow::Result<Vec<HouseholdRow>> {
    let cli = Scope::cli();
    let (h, hp, p) = (Alias::new("h"), Alias::new("hp"), Alias::new("p"));
    let holds = scoped::select_from(&cli, Personal::HouseholdParcels, "hp")
        .expr(Expr::val(1))
        .join_as(
            JoinType::InnerJoin,
            parcels::Entity,
            p.clone(),
            Expr::col((p.clone(), parcels::Column::Id))
                .equals((hp.clone(), household_parcels::Column::ParcelId)),
        )
        .and_where(
            Expr::col((hp, household_parcels::Column::HouseholdId))
                .equals((h.clone(), households::Column::Id)),
        )
        .and_where(
            Expr::col((p, parcels::Column::Status)).is_in(statuses.iter().map(|s| s.as_str())),
        )
        .to_owned();
    let stmt = scoped::select_from(&cli, Personal::Households, "h")
        .column((h.clone(), households::Column::Id))
        .column((h.clone(), households::Column::CommuneId))
        .and_where(Expr::col((h.clone(), households::Column::ProjectId)).eq(project_id))
        .and_where(Expr::exists(holds))
        .order_by((h, households::Column::Id), Order::Asc)
        .to_owned();
    Ok(
        HouseholdRow::find_by_statement(db.get_database_backend().build(&stmt))
            .all(db)
            .await?,
    )
}

fn new_stage(stage: CaseStage, on: NaiveDate, document_no: &str, note: &str) -> NewStage {
    NewStage {
        stage,
        occurred_on: on,
        document_no: Some(document_no.into()),
        note: note.into(),
        parcel_id: None,
        scheduled_at: None,
        r#override: false,
        override_reason: None,
    }
}

/// Recent approvals and decisions of agreed households, through the same service the API
/// uses: decisions overdue and due soon, a payment overdue.
async fn recent_stages(
    db: &impl ConnectionTrait,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let who = Principal::cli();
    let agreed = households_with(db, project_id, &[ParcelStatus::Agreed]).await?;
    let days = |n: i64| today - Duration::days(n);
    // (days ago approved, days ago decided): a decision overdue, due soon, one done with the
    // payment overdue, one done and paid in time (not recorded: still due).
    let plan: [(i64, Option<i64>); 9] = [
        (25, None),
        (18, None),
        (14, None),
        (8, None),
        (6, None),
        (2, None),
        (40, Some(33)),
        (38, Some(31)),
        (20, Some(12)),
    ];
    // Households whose plan is not approved yet: an agreed household may hold another parcel
    // whose story already went past the approval (seen with 400 parcels).
    // Each approval (and decision) goes to a household whose story lets it through the legal
    // order: the plan posted long enough before (30 days, 10 for a plan posted from 2026) and
    // the notice long enough before the decision, each by the rule in force on its own date.
    let mut candidates = Vec::new();
    for h in &agreed {
        let household = crate::scoped::household(db, &who.scope, h.id).await?;
        let events = crate::cases::service::events(db, household).await?;
        if events.iter().any(|e| e.stage == CaseStage::PlanApproved) {
            continue;
        }
        if events.iter().any(|e| e.stage == CaseStage::PlanPosted) {
            let history: Vec<legal::Recorded> = events
                .iter()
                .map(|e| legal::Recorded {
                    stage: e.stage,
                    parcel_id: e.parcel_id,
                    occurred_on: e.occurred_on,
                })
                .collect();
            let (kind, _) = crate::cases::service::land_kind(db, household, None).await?;
            candidates.push((h, household, history, kind));
        }
    }
    let fits = |history: &[legal::Recorded], kind, approved: i64, decided: Option<i64>| {
        let approval = legal::Recorded {
            stage: CaseStage::PlanApproved,
            parcel_id: None,
            occurred_on: days(approved),
        };
        if legal::check_stage(history, &approval, kind).is_err() {
            return false;
        }
        decided.is_none_or(|decided| {
            let mut after = history.to_vec();
            after.push(approval);
            let decision = legal::Recorded {
                stage: CaseStage::RecoveryDecision,
                parcel_id: None,
                occurred_on: days(decided),
            };
            legal::check_stage(&after, &decision, kind).is_ok()
        })
    };
    let mut pending = Vec::with_capacity(plan.len());
    for (approved, decided) in plan {
        if let Some(i) = candidates
            .iter()
            .position(|c| fits(&c.2, c.3, approved, decided))
        {
            let (h, household, _, _) = candidates.remove(i);
            pending.push(((h, household), (approved, decided)));
        }
    }
    for ((h, household), (approved, decided)) in pending {
        let approval = new_stage(
            CaseStage::PlanApproved,
            days(approved),
            &format!("{}/QĐ-UBND", 2400 + h.id % 500),
            "Phê duyệt phương án bồi thường, hỗ trợ, tái định cư",
        );
        crate::cases::service::record(db, &who, household, approval, today)
            .await
            .map_err(|e| anyhow::anyhow!("demo plan approval for household {}: {e}", h.id))?;
        if let Some(decided) = decided {
            let decision = new_stage(
                CaseStage::RecoveryDecision,
                days(decided),
                &format!("{}/QĐ-UBND", 2900 + h.id % 500),
                "Quyết định thu hồi đất",
            );
            crate::cases::service::record(db, &who, household, decision, today)
                .await
                .map_err(|e| anyhow::anyhow!("demo decision for household {}: {e}", h.id))?;
        }
    }
    Ok(())
}

struct Filing {
    kind: GrievanceKind,
    channel: Channel,
    received_ago: i64,
    content: &'static str,
    complex: bool,
    remote: bool,
    /// Days ago accepted.
    accepted_ago: Option<i64>,
    /// Days ago resolved, with the outcome.
    resolved: Option<(i64, &'static str)>,
}

const FILINGS: &[Filing] = &[
    Filing {
        kind: GrievanceKind::Complaint,
        channel: Channel::CitizenReception,
        received_ago: 3,
        content: "Không đồng ý đơn giá bồi thường đất trồng lúa, đề nghị áp giá sát thị trường",
        complex: false,
        remote: false,
        accepted_ago: None,
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: Channel::Mail,
        received_ago: 14,
        content: "Khiếu nại việc xác định nguồn gốc đất vườn liền kề đất ở",
        complex: false,
        remote: false,
        accepted_ago: None,
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: Channel::Direct,
        received_ago: 50,
        content: "Khiếu nại diện tích kiểm đếm nhà, vật kiến trúc thiếu so với thực tế",
        complex: false,
        remote: false,
        accepted_ago: Some(45),
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: Channel::CitizenReception,
        received_ago: 40,
        content:
            "Khiếu nại phương án bố trí tái định cư: lô đất xa đường, không phù hợp kinh doanh",
        complex: true,
        remote: false,
        accepted_ago: Some(38),
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: Channel::Mail,
        received_ago: 20,
        content: "Khiếu nại mức hỗ trợ chuyển đổi nghề nghiệp (hộ ở thôn vùng sâu)",
        complex: false,
        remote: true,
        accepted_ago: Some(15),
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Denunciation,
        channel: Channel::Mail,
        received_ago: 10,
        content: "Tố cáo cán bộ đo đạc ghi sai diện tích thửa đất để trục lợi",
        complex: false,
        remote: false,
        accepted_ago: Some(6),
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Feedback,
        channel: Channel::Phone,
        received_ago: 20,
        content: "Phản ánh xe thi công làm hư hỏng đường bê tông liên thôn",
        complex: false,
        remote: false,
        accepted_ago: None,
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: Channel::Direct,
        received_ago: 120,
        content: "Khiếu nại không được hỗ trợ ổn định đời sống",
        complex: false,
        remote: false,
        accepted_ago: Some(115),
        resolved: Some((
            80,
            "Công nhận một phần nội dung khiếu nại, bổ sung hỗ trợ ổn định đời sống",
        )),
    },
];

fn patch(action: GrievanceAction, on: Option<NaiveDate>, outcome: Option<&str>) -> GrievancePatch {
    GrievancePatch {
        action,
        on,
        assignee: None,
        outcome: outcome.map(str::to_string),
        document_no: outcome.map(|_| "215/QĐ-UBND".to_string()),
        complex: None,
        especially_complex: None,
        remote_area: None,
    }
}

/// Grievances of every kind and state, through the grievance service.
#[expect(
    clippy::too_many_lines,
    reason = "the demo's grievances are a script of situations, one after the other"
)]
async fn grievances(
    db: &impl ConnectionTrait,
    project_id: i32,
    project_code: &str,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let who = Principal::cli();
    let mut people = households_with(
        db,
        project_id,
        &[ParcelStatus::InComplaint, ParcelStatus::Objecting],
    )
    .await?;
    // Small demos may have few objecting households: fill with the others.
    for h in households_with(
        db,
        project_id,
        &[ParcelStatus::Negotiating, ParcelStatus::Contacted],
    )
    .await?
    {
        if people.len() >= 20 {
            break;
        }
        if !people.iter().any(|p| p.id == h.id) {
            people.push(h);
        }
    }
    if people.len() < FILINGS.len() + 1 {
        return Ok(());
    }
    let days = |n: i64| today - Duration::days(n);
    let petition_days = legal::rules::PETITION_ANSWER.days();
    let one = |id: i32| {
        vec![GrievanceHouseholdInput {
            household_id: id,
            parcel_id: None,
        }]
    };
    let mut decided_first_round = None;
    for (f, h) in FILINGS.iter().zip(&people) {
        let id = crate::grievances::service::create(
            db,
            &who,
            NewGrievance {
                plan_line_id: None,
                project: project_code.into(),
                kind: f.kind,
                channel: f.channel,
                received_on: days(f.received_ago),
                content: f.content.into(),
                households: one(h.id),
                remote_area: f.remote,
                complex: f.complex,
                especially_complex: false,
                signers: None,
                document_no: None,
            },
            petition_days,
            today,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo grievance: {e}"))?;
        if let Some(a) = f.accepted_ago {
            crate::grievances::service::patch(
                db,
                &who,
                id,
                patch(GrievanceAction::Accept, Some(days(a)), None),
                petition_days,
                today,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo grievance accept: {e}"))?;
        }
        if let Some((r, outcome)) = f.resolved {
            crate::grievances::service::patch(
                db,
                &who,
                id,
                patch(GrievanceAction::Resolve, Some(days(r)), Some(outcome)),
                petition_days,
                today,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo grievance resolve: {e}"))?;
            decided_first_round = Some((id, r));
        }
    }
    // The same household files again after the decision: a second round inside its window.
    if let Some((id, decided_ago)) = decided_first_round {
        let appeal = crate::grievances::service::appeal(
            db,
            &who,
            id,
            NewAppeal {
                received_on: days(decided_ago - 25),
                content: "Không đồng ý quyết định giải quyết khiếu nại lần đầu, khiếu nại lần hai"
                    .into(),
                channel: None,
                remote_area: None,
                complex: false,
                document_no: None,
            },
            petition_days,
            today,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo second-round complaint: {e}"))?;
        crate::grievances::service::patch(
            db,
            &who,
            appeal,
            patch(GrievanceAction::Accept, Some(days(decided_ago - 28)), None),
            petition_days,
            today,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo second-round accept: {e}"))?;
    }
    // A petition signed by many households of one commune (a hot spot), answer due soon.
    let first = &people[0];
    let mut same: Vec<i32> = people
        .iter()
        .filter(|h| h.commune_id == first.commune_id)
        .map(|h| h.id)
        .collect();
    for h in households_with(
        db,
        project_id,
        &[
            ParcelStatus::Negotiating,
            ParcelStatus::Contacted,
            ParcelStatus::Agreed,
        ],
    )
    .await?
    {
        if same.len() >= 6 {
            break;
        }
        if h.commune_id == first.commune_id && !same.contains(&h.id) {
            same.push(h.id);
        }
    }
    same.truncate(6);
    let n = same.len() as i32;
    crate::grievances::service::create(
        db,
        &who,
        NewGrievance {
            plan_line_id: None,
            project: project_code.into(),
            kind: GrievanceKind::Petition,
            channel: Channel::Meeting,
            received_on: days(12),
            content:
                "Kiến nghị chung của các hộ: bố trí tái định cư tại chỗ, giữ nguyên khu mộ tộc họ"
                    .into(),
            households: same
                .into_iter()
                .map(|id| GrievanceHouseholdInput {
                    household_id: id,
                    parcel_id: None,
                })
                .collect(),
            remote_area: false,
            complex: false,
            especially_complex: false,
            signers: Some(n + 3),
            document_no: None,
        },
        petition_days,
        today,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo petition: {e}"))?;
    Ok(())
}

/// A working index of the demo's backfill, dropped when it is done.
const DEMO_DATE_INDEX: &str = "tmp_demo_cse_stage_date";

#[tracing::instrument(skip_all, fields(project_id))]
pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let code = crate::entities::projects::Entity::find_by_id(project_id)
        .one(db)
        .await?
        .map(|p| p.code)
        .context("demo project")?;
    let txn = db.begin().await?;
    // The backfill runs a statement per distinct date: without this index each one reads
    // every stage event of the project (157 s at 100k parcels, hours at a million).
    let (by_date, drop) = scoped::stage_day_index(DEMO_DATE_INDEX);
    run(&txn, &by_date).await?;
    crate::db::dialect::analyze_casework(&txn).await?;
    backfill(&txn, project_id, today)
        .await
        .context("demo stage deadlines")?;
    run(&txn, &drop).await?;
    recent_stages(&txn, project_id, today).await?;
    grievances(&txn, project_id, &code, today).await?;
    txn.commit().await?;
    Ok(())
}
