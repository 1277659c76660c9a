//! The personal-data records of the demo: notices given to the first households of member_a's
//! commune, an access request acknowledged and due within days, a deletion refused with its
//! legal reason, and one breach reported within its 72 hours and closed. Every date is
//! relative to the day the demo is built.
use chrono::{Duration, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::auth::Scope;
use crate::domain::{
    BreachDataKind, Channel, NoticeKind, NoticeMethod, PrivacyOutcome, PrivacyRequestKind,
    PrivacyRequestStatus,
};
use crate::entities::{privacy_breaches, users};
use crate::legal::privacy::{breach_report_due, request_deadlines};
use crate::scoped::{self, households, notices, privacy_request_rows, HouseholdId, Scoped};

/// (kinds, method, document, days before today)
type Notice = (
    &'static [NoticeKind],
    NoticeMethod,
    Option<&'static str>,
    i64,
);

const NOTICES: &[Notice] = &[
    (
        &[
            NoticeKind::Purpose,
            NoticeKind::DataCollected,
            NoticeKind::Rights,
        ],
        NoticeMethod::Meeting,
        Some("BB họp dân 12/BB-UBND"),
        300,
    ),
    (
        &[
            NoticeKind::Purpose,
            NoticeKind::DataCollected,
            NoticeKind::Rights,
            NoticeKind::Retention,
        ],
        NoticeMethod::WrittenSigned,
        Some("TB 45/TB-BQLDA"),
        250,
    ),
    (
        &[NoticeKind::Purpose, NoticeKind::Recipients],
        NoticeMethod::InPerson,
        None,
        120,
    ),
    (&[NoticeKind::Rights], NoticeMethod::Phone, None, 30),
];

const DELETION_REFUSED: &str = "Hồ sơ thu hồi đất, bồi thường phải lưu trữ theo Luật Đất đai 2024 và Luật Lưu trữ 2024: ngoại lệ của Luật Bảo vệ dữ liệu cá nhân (dữ liệu xử lý theo quy định của luật)";

async fn user_id(db: &DatabaseConnection, name: &str) -> anyhow::Result<Option<i32>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Username.eq(name))
        .into_tuple()
        .one(db)
        .await?)
}

/// The first households of the project's first commune (member_a's), by id.
async fn first_households(
    db: &DatabaseConnection,
    project_id: i32,
) -> anyhow::Result<Vec<Scoped<HouseholdId>>> {
    let scope = Scope::cli();
    let first: Option<i32> = scoped::households(&scope)
        .select_only()
        .column(households::Column::CommuneId)
        .filter(households::Column::ProjectId.eq(project_id))
        .order_by_asc(households::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    let Some(commune) = first else {
        return Ok(Vec::new());
    };
    let ids: Vec<i32> = scoped::households(&scope)
        .select_only()
        .column(households::Column::Id)
        .filter(households::Column::ProjectId.eq(project_id))
        .filter(households::Column::CommuneId.eq(commune))
        .order_by_asc(households::Column::Id)
        .limit(6)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(scoped::household(db, &scope, id).await?);
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(project_id))]
pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let member = user_id(db, "member_a").await?;
    let admin = user_id(db, "admin").await?;
    let households = first_households(db, project_id).await?;
    for (n, (kinds, method, doc, ago)) in NOTICES.iter().enumerate() {
        let Some(&h) = households.get(n) else { break };
        let on = today - Duration::days(*ago);
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        scoped::insert_notice(
            db,
            h,
            notices::ActiveModel {
                project_id: Set(project_id),
                kinds: Set(serde_json::json!(kinds).to_string()),
                method: Set(method.as_str().into()),
                notified_on: Set(on),
                notified_by: Set(member),
                document_ref: Set(doc.map(str::to_string)),
                recorded_by: Set(member),
                created_at: Set(super::gen::at(on, 16, 0)),
                ..Default::default()
            },
        )
        .await?;
    }
    if let Some(&h) = households.first() {
        // An access request acknowledged the next day, its 15 days ending within the week.
        let received = today - Duration::days(13);
        let mut r = request(
            db,
            h,
            project_id,
            admin,
            received,
            PrivacyRequestKind::Access,
        )
        .await?;
        r.status = Set(PrivacyRequestStatus::Acknowledged);
        r.acknowledged_on = Set(Some(received + Duration::days(1)));
        r.details = Set("Xin bản sao toàn bộ thông tin cá nhân của hộ mà Ban đang lưu giữ".into());
        scoped::insert_privacy_request(db, h, r).await?;
    }
    if let Some(&h) = households.get(1) {
        // A deletion asked for by mail, refused: land-recovery records must be kept.
        let received = today - Duration::days(40);
        let mut r = request(
            db,
            h,
            project_id,
            admin,
            received,
            PrivacyRequestKind::Deletion,
        )
        .await?;
        r.channel = Set(Channel::Mail);
        r.status = Set(PrivacyRequestStatus::Completed);
        r.acknowledged_on = Set(Some(received + Duration::days(1)));
        r.closed_on = Set(Some(received + Duration::days(12)));
        r.outcome = Set(Some(PrivacyOutcome::Refused));
        r.legal_reason = Set(Some(DELETION_REFUSED.into()));
        r.outcome_note = Set(Some("Đã trả lời bằng văn bản, nêu căn cứ lưu giữ".into()));
        r.details = Set("Đề nghị xóa số điện thoại và số CCCD khỏi hồ sơ".into());
        scoped::insert_privacy_request(db, h, r).await?;
    }
    breach(db, admin, today).await
}

/// A request as received (by the household's head, in person), with its deadlines.
async fn request(
    db: &DatabaseConnection,
    h: Scoped<HouseholdId>,
    project_id: i32,
    by: Option<i32>,
    received: NaiveDate,
    kind: PrivacyRequestKind,
) -> anyhow::Result<privacy_request_rows::ActiveModel> {
    let head = scoped::household_row(h)
        .one(db)
        .await?
        .map(|m| m.head_name)
        .unwrap_or_default();
    let at = super::gen::at(received, 10, 0);
    let d = request_deadlines(received);
    Ok(privacy_request_rows::ActiveModel {
        project_id: Set(project_id),
        kind: Set(kind),
        status: Set(PrivacyRequestStatus::Received),
        received_on: Set(received),
        channel: Set(Channel::Direct),
        requester_name: Set(head),
        details: Set(String::new()),
        ack_by: Set(d.ack_by),
        due_on: Set(d.due_on),
        created_by: Set(by),
        updated_by: Set(by),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
}

/// One breach, reported after 30 hours and closed five days later.
async fn breach(
    db: &DatabaseConnection,
    admin: Option<i32>,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let discovered = super::gen::at(today - Duration::days(20), 9, 15);
    let kinds = [BreachDataKind::Identity, BreachDataKind::Contact];
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    privacy_breaches::ActiveModel {
        discovered_at: Set(discovered),
        description: Set(
            "Danh sách 3 hộ (họ tên, số điện thoại) gửi nhầm vào nhóm Zalo của thôn".into(),
        ),
        data_kinds: Set(serde_json::json!(kinds).to_string()),
        households_affected: Set(3),
        report_due_at: Set(breach_report_due(discovered)),
        reported_to_authority_at: Set(Some(discovered + Duration::hours(30))),
        measures: Set(Some(
            "Thu hồi tin nhắn, nhắc nhở cán bộ, thông báo cho 3 hộ".into(),
        )),
        closed_at: Set(Some(discovered + Duration::days(5))),
        recorded_by: Set(admin),
        created_at: Set(discovered + Duration::hours(2)),
        updated_at: Set(discovered + Duration::days(5)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
