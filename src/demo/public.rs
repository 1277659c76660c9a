//! Public information of the demo project HPDQ2: who is responsible for what (agencies and
//! their official contacts) and the timeline. Nothing here names a household.
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use crate::entities::{project_milestones, project_parties};

/// Role (vi, en), organisation, office, phone, email.
type Party = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const PARTIES: &[Party] = &[
    (
        "Chủ đầu tư",
        "Investor",
        "Công ty CP Thép Hòa Phát Dung Quất",
        Some("Phòng Đối ngoại"),
        Some("0255 3 610 999"),
        Some("doingoai@hoaphatdungquat.example"),
    ),
    (
        "Tổ chức bồi thường, hỗ trợ, tái định cư",
        "Compensation, support and resettlement",
        "Ban Quản lý dự án đầu tư xây dựng và phát triển quỹ đất huyện Bình Sơn",
        Some("Bộ phận một cửa"),
        Some("0255 3 851 234"),
        Some("bqlda@binhson.example"),
    ),
    (
        "Quyết định thu hồi đất, phê duyệt phương án",
        "Land-recovery decisions, plan approval",
        "UBND huyện Bình Sơn",
        Some("Văn phòng HĐND và UBND huyện"),
        Some("0255 3 851 000"),
        None,
    ),
    (
        "Tuyên truyền, vận động, tiếp nhận ý kiến của người dân",
        "Information, mobilisation, residents' feedback",
        "UBND xã Bình Đông, UBND xã Bình Thuận",
        Some("Tổ công tác dân vận của xã"),
        Some("0255 3 865 115"),
        None,
    ),
    (
        "Giải quyết khiếu nại, kiến nghị",
        "Complaints and petitions",
        "Ban Tiếp công dân tỉnh Quảng Ngãi",
        None,
        Some("0255 3 822 468"),
        None,
    ),
];

/// (day of the demo calendar, title vi, title en): the notice of day 14 (15 January when day 0
/// is 1 January), the handover targeted on day 545 (30 June of the next year).
const MILESTONES: &[(i64, &str, &str)] = &[
    (14, "Thông báo thu hồi đất", "Land-recovery notice"),
    (
        31,
        "Họp dân công bố chủ trương, bắt đầu kiểm đếm",
        "Public meetings; inventory begins",
    ),
    (
        129,
        "Niêm yết công khai phương án bồi thường",
        "Compensation plan posted publicly",
    ),
    (
        200,
        "Phê duyệt phương án bồi thường, hỗ trợ, tái định cư",
        "Compensation, support and resettlement plan approved",
    ),
    (
        243,
        "Bắt đầu chi trả tiền bồi thường",
        "Compensation payments begin",
    ),
    (
        super::gen::TARGET_HANDOVER_DAY,
        "Hoàn thành bàn giao mặt bằng (mục tiêu)",
        "Site handover complete (target)",
    ),
];

#[tracing::instrument(skip_all, fields(project_id))]
pub async fn load(
    db: &DatabaseConnection,
    project_id: i32,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let start = super::gen::calendar_start(today);
    for (i, (role_vi, role_en, organisation, person, phone, email)) in PARTIES.iter().enumerate() {
        project_parties::ActiveModel {
            project_id: Set(project_id),
            sort_order: Set(i32::try_from(i)?),
            role_vi: Set((*role_vi).to_string()),
            role_en: Set((*role_en).to_string()),
            organisation: Set((*organisation).to_string()),
            contact_person: Set(person.map(str::to_string)),
            phone: Set(phone.map(str::to_string)),
            email: Set(email.map(str::to_string)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (n, title_vi, title_en) in MILESTONES {
        let on = super::gen::day(start, *n);
        project_milestones::ActiveModel {
            project_id: Set(project_id),
            on_date: Set(on),
            title_vi: Set((*title_vi).to_string()),
            title_en: Set((*title_en).to_string()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
