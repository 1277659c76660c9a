//! Public information of the demo project HPDQ2: who is responsible for what (agencies and
//! their official contacts) and the timeline. Nothing here names a household.
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

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

const MILESTONES: &[(i32, u32, u32, &str, &str)] = &[
    (2021, 1, 15, "Thông báo thu hồi đất", "Land-recovery notice"),
    (
        2021,
        2,
        1,
        "Họp dân công bố chủ trương, bắt đầu kiểm đếm",
        "Public meetings; inventory begins",
    ),
    (
        2021,
        5,
        10,
        "Niêm yết công khai phương án bồi thường",
        "Compensation plan posted publicly",
    ),
    (
        2021,
        7,
        20,
        "Phê duyệt phương án bồi thường, hỗ trợ, tái định cư",
        "Compensation, support and resettlement plan approved",
    ),
    (
        2021,
        9,
        1,
        "Bắt đầu chi trả tiền bồi thường",
        "Compensation payments begin",
    ),
    (
        2022,
        6,
        30,
        "Hoàn thành bàn giao mặt bằng (mục tiêu)",
        "Site handover complete (target)",
    ),
];

pub async fn load(db: &DatabaseConnection, project_id: i32) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    for (i, (role_vi, role_en, organisation, person, phone, email)) in PARTIES.iter().enumerate() {
        db.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO project_parties (project_id, sort_order, role_vi, role_en, organisation, \
             contact_person, phone, email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                Value::from(project_id),
                Value::from(i as i32),
                Value::from(*role_vi),
                Value::from(*role_en),
                Value::from(*organisation),
                Value::from(person.map(str::to_string)),
                Value::from(phone.map(str::to_string)),
                Value::from(email.map(str::to_string)),
            ],
        ))
        .await?;
    }
    for (y, m, d, title_vi, title_en) in MILESTONES {
        let on = NaiveDate::from_ymd_opt(*y, *m, *d)
            .ok_or_else(|| anyhow::anyhow!("bad milestone date {y}-{m}-{d}"))?;
        db.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO project_milestones (project_id, on_date, title_vi, title_en) \
             VALUES ($1, $2, $3, $4)",
            [
                Value::from(project_id),
                Value::from(on),
                Value::from(*title_vi),
                Value::from(*title_en),
            ],
        ))
        .await?;
    }
    Ok(())
}
