//! The demo's case stages and grievances (issue 6). The generated year (2021) holds notices,
//! inventories, plans, decisions, payments and hand-overs; this adds what the law puts around
//! them and a present to look at:
//! - a briefing meeting a week before every notice (LĐĐ 2024 Art. 87(1));
//! - the deadline every stage starts (`due_on`, `due_stage`), from `crate::legal`;
//! - the 2021 notices of households still without a decision lapsed after 12 months: a new
//!   notice went out 240 days before today (superseding the old deadline);
//! - recent approvals and decisions, relative to today, so that some deadlines are overdue and
//!   some about to fall due whenever the demo is loaded;
//! - grievances of every kind and state, normal, complex and remote, near and past their
//!   deadlines, one signed by many households, one household filing a second round after a
//!   decision.
//!
//! Dates move with today; the structure (which households, which kinds) is deterministic.
use anyhow::Context;
use chrono::{Duration, NaiveDate};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, Statement,
    TransactionTrait, Value,
};

use crate::auth::Principal;
use crate::cases::dto::NewStage;
use crate::domain::CaseStage;
use crate::grievances::dto::{
    GrievanceAction, GrievanceHouseholdInput, GrievancePatch, NewAppeal, NewGrievance,
};
use crate::legal::{self, GrievanceKind, LandKind};

/// Days before today the lapsed notices were issued again.
const RENOTICE_DAYS: i64 = 240;

#[derive(Debug, FromQueryResult)]
struct DateRow {
    d: NaiveDate,
}

#[derive(Debug, FromQueryResult)]
struct HouseholdRow {
    id: i32,
    commune_id: i32,
}

fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend, sql, values)
}

async fn distinct_dates(
    db: &impl ConnectionTrait,
    project_id: i32,
    stage: &str,
) -> anyhow::Result<Vec<NaiveDate>> {
    Ok(DateRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT DISTINCT occurred_on AS d FROM case_stage_events WHERE project_id = $1 AND stage = $2",
        vec![project_id.into(), stage.into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| r.d)
    .collect())
}

/// Briefings before the notices, deadlines on every generated event, lapsed notices renewed.
/// Set-based (a statement per distinct date), so it stays quick at a million parcels.
async fn backfill(
    db: &impl ConnectionTrait,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    for d in distinct_dates(db, project_id, "notice").await? {
        let briefing = d - Duration::days(7);
        db.execute(stmt(
            backend,
            "INSERT INTO case_stage_events (project_id, household_id, parcel_id, stage, occurred_on, \
             document_no, note, recorded_by, recorded_at, overridden) \
             SELECT project_id, household_id, NULL, 'briefing', $1, NULL, $2, recorded_by, $3, $4 \
             FROM case_stage_events WHERE project_id = $5 AND stage = 'notice' AND occurred_on = $6",
            vec![
                briefing.into(),
                "Họp phổ biến, vận động chủ trương thu hồi đất (UBND xã, Mặt trận Tổ quốc)".into(),
                super::gen::at(briefing, 16, 30).into(),
                false.into(),
                project_id.into(),
                d.into(),
            ],
        ))
        .await?;
    }
    // Each stage's own deadline (the land kind does not change these).
    for stage in [
        CaseStage::Notice,
        CaseStage::PlanApproved,
        CaseStage::Enforcement,
    ] {
        for d in distinct_dates(db, project_id, stage.as_str()).await? {
            if let Some(due) = legal::deadline(stage, d, LandKind::Agricultural) {
                db.execute(stmt(
                    backend,
                    "UPDATE case_stage_events SET due_on = $1, due_stage = $2 \
                     WHERE project_id = $3 AND stage = $4 AND occurred_on = $5",
                    vec![
                        due.due_on.into(),
                        due.stage.as_str().into(),
                        project_id.into(),
                        stage.as_str().into(),
                        d.into(),
                    ],
                ))
                .await?;
            }
        }
    }
    // Payment: 30 days from the approval of the same household's plan.
    for approved in distinct_dates(db, project_id, "plan_approved").await? {
        let due = legal::term_end(approved, legal::rules::PAYMENT_AFTER_APPROVAL.days());
        db.execute(stmt(
            backend,
            "UPDATE case_stage_events SET due_on = $1, due_stage = 'paid' \
             WHERE project_id = $2 AND stage = 'recovery_decision' AND household_id IN \
             (SELECT household_id FROM case_stage_events WHERE project_id = $2 AND stage = 'plan_approved' \
              AND occurred_on = $3)",
            vec![due.into(), project_id.into(), approved.into()],
        ))
        .await?;
    }
    // Lapsed notices (no decision within 12 months) were issued again.
    let renotice = today - Duration::days(RENOTICE_DAYS);
    let lapsed = "SELECT n.household_id FROM case_stage_events n WHERE n.project_id = $1 AND n.stage = 'notice' \
         AND n.due_on < $2 AND NOT EXISTS (SELECT 1 FROM case_stage_events x \
         WHERE x.household_id = n.household_id AND x.stage = 'recovery_decision')";
    let due = legal::deadline(CaseStage::Notice, renotice, LandKind::Agricultural);
    db.execute(stmt(
        backend,
        &format!(
            "INSERT INTO case_stage_events (project_id, household_id, parcel_id, stage, occurred_on, \
             document_no, note, recorded_by, recorded_at, overridden, due_on, due_stage) \
             SELECT project_id, household_id, NULL, 'notice', $3, '118/TB-UBND', $4, recorded_by, $5, $6, $7, $8 \
             FROM case_stage_events WHERE project_id = $1 AND stage = 'notice' AND household_id IN ({lapsed})"
        ),
        vec![
            project_id.into(),
            today.into(),
            renotice.into(),
            "Thông báo thu hồi đất ban hành lại (thông báo năm 2021 đã hết hiệu lực 12 tháng)".into(),
            super::gen::at(renotice, 16, 30).into(),
            false.into(),
            due.map(|d| d.due_on).into(),
            due.map(|d| d.stage.as_str().to_string()).into(),
        ],
    ))
    .await?;
    // The renewed notice supersedes the lapsed one.
    db.execute(stmt(
        backend,
        "UPDATE case_stage_events SET due_on = NULL, due_stage = NULL \
         WHERE project_id = $1 AND stage = 'notice' AND occurred_on < $2 AND household_id IN \
         (SELECT household_id FROM case_stage_events WHERE project_id = $1 AND stage = 'notice' AND occurred_on = $2)",
        vec![project_id.into(), renotice.into()],
    ))
    .await?;
    Ok(())
}

/// Households of the project whose parcels have one of `statuses`, by id.
async fn households_with(
    db: &impl ConnectionTrait,
    project_id: i32,
    statuses: &str,
) -> anyhow::Result<Vec<HouseholdRow>> {
    Ok(HouseholdRow::find_by_statement(stmt(
        db.get_database_backend(),
        &format!(
            "SELECT h.id, h.commune_id FROM households h WHERE h.project_id = $1 AND EXISTS \
             (SELECT 1 FROM household_parcels hp JOIN parcels p ON p.id = hp.parcel_id \
              WHERE hp.household_id = h.id AND p.status IN ({statuses})) ORDER BY h.id"
        ),
        vec![project_id.into()],
    ))
    .all(db)
    .await?)
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
    let agreed = households_with(db, project_id, "'agreed'").await?;
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
    for (h, (approved, decided)) in agreed.iter().zip(plan) {
        let household = crate::scoped::household(db, &who.scope, h.id).await?;
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
    channel: &'static str,
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
        channel: "citizen_reception",
        received_ago: 3,
        content: "Không đồng ý đơn giá bồi thường đất trồng lúa, đề nghị áp giá sát thị trường",
        complex: false,
        remote: false,
        accepted_ago: None,
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: "mail",
        received_ago: 14,
        content: "Khiếu nại việc xác định nguồn gốc đất vườn liền kề đất ở",
        complex: false,
        remote: false,
        accepted_ago: None,
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: "direct",
        received_ago: 50,
        content: "Khiếu nại diện tích kiểm đếm nhà, vật kiến trúc thiếu so với thực tế",
        complex: false,
        remote: false,
        accepted_ago: Some(45),
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: "citizen_reception",
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
        channel: "mail",
        received_ago: 20,
        content: "Khiếu nại mức hỗ trợ chuyển đổi nghề nghiệp (hộ ở thôn vùng sâu)",
        complex: false,
        remote: true,
        accepted_ago: Some(15),
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Denunciation,
        channel: "mail",
        received_ago: 10,
        content: "Tố cáo cán bộ đo đạc ghi sai diện tích thửa đất để trục lợi",
        complex: false,
        remote: false,
        accepted_ago: Some(6),
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Feedback,
        channel: "phone",
        received_ago: 20,
        content: "Phản ánh xe thi công làm hư hỏng đường bê tông liên thôn",
        complex: false,
        remote: false,
        accepted_ago: None,
        resolved: None,
    },
    Filing {
        kind: GrievanceKind::Complaint,
        channel: "direct",
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
async fn grievances(
    db: &impl ConnectionTrait,
    project_id: i32,
    project_code: &str,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let who = Principal::cli();
    let mut people = households_with(db, project_id, "'in_complaint', 'objecting'").await?;
    // Small demos may have few objecting households: fill with the others.
    for h in households_with(db, project_id, "'negotiating', 'contacted'").await? {
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
                project: project_code.into(),
                kind: f.kind,
                channel: f.channel.into(),
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
    for h in households_with(db, project_id, "'negotiating', 'contacted', 'agreed'").await? {
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
            project: project_code.into(),
            kind: GrievanceKind::Petition,
            channel: "meeting".into(),
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

pub async fn load(db: &DatabaseConnection, project_id: i32) -> anyhow::Result<()> {
    let today = legal::today_vn();
    let code = crate::entities::projects::Entity::find_by_id(project_id)
        .one(db)
        .await?
        .map(|p| p.code)
        .context("demo project")?;
    let txn = db.begin().await?;
    backfill(&txn, project_id, today)
        .await
        .context("demo stage deadlines")?;
    recent_stages(&txn, project_id, today).await?;
    grievances(&txn, project_id, &code, today).await?;
    txn.commit().await?;
    Ok(())
}
