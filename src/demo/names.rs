//! Vietnamese personal names, villages and the sentences of a visit record, for the synthetic
//! demo data set. Every draw takes the caller's RNG, so a seed gives the same people.
use rand::Rng;

/// Pick from `(item, weight)` pairs; weights need not sum to anything in particular.
pub(crate) fn weighted<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= *w;
    }
    // Unreachable with a non-empty list; fall back to the last item.
    &items[items.len() - 1].0
}

pub(crate) fn pick<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// Family names with a rough central-coast frequency (Huỳnh and Võ are common in Quảng Ngãi).
pub(crate) const SURNAMES: &[(&str, u32)] = &[
    ("Nguyễn", 30),
    ("Trần", 10),
    ("Lê", 9),
    ("Phạm", 5),
    ("Huỳnh", 7),
    ("Võ", 7),
    ("Phan", 4),
    ("Trương", 3),
    ("Bùi", 3),
    ("Đặng", 3),
    ("Đỗ", 2),
    ("Ngô", 2),
    ("Hồ", 3),
    ("Dương", 2),
    ("Đinh", 2),
    ("Lương", 1),
    ("Đoàn", 2),
    ("Tô", 1),
    ("Châu", 1),
    ("Lâm", 1),
    ("Mai", 1),
    ("Tạ", 1),
];

pub(crate) const MALE_MIDDLE: &[(&str, u32)] = &[
    ("Văn", 40),
    ("Đức", 8),
    ("Minh", 8),
    ("Ngọc", 5),
    ("Quang", 6),
    ("Hữu", 6),
    ("Công", 5),
    ("Thanh", 6),
    ("Tấn", 6),
    ("Xuân", 4),
    ("Quốc", 4),
    ("Đình", 4),
];

pub(crate) const FEMALE_MIDDLE: &[(&str, u32)] = &[
    ("Thị", 55),
    ("Ngọc", 8),
    ("Thu", 6),
    ("Thanh", 6),
    ("Kim", 6),
    ("Mỹ", 5),
    ("Hồng", 5),
    ("Bích", 4),
    ("Thúy", 5),
];

pub(crate) const MALE_GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Hưng", "Khánh", "Long", "Minh", "Nam",
    "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Toàn", "Trung", "Tuấn", "Việt",
    "Vinh", "Hòa", "Lộc", "Phong", "Tâm", "Thọ", "Tùng", "Hiếu", "Nghĩa", "Trí", "Lực", "Sang",
    "Đông", "Hạnh", "Khải", "Lợi", "Mẫn", "Nhân", "Phước", "Quý", "Sỹ", "Thạnh", "Thuận", "Tín",
    "Tường", "Vũ", "Ý",
];

pub(crate) const FEMALE_GIVEN: &[&str] = &[
    "Anh",
    "Bích",
    "Chi",
    "Diệp",
    "Dung",
    "Hà",
    "Hằng",
    "Hạnh",
    "Hoa",
    "Hồng",
    "Hương",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phương",
    "Quyên",
    "Sương",
    "Thảo",
    "Thu",
    "Thúy",
    "Trang",
    "Tuyết",
    "Vân",
    "Xuân",
    "Yến",
    "Lài",
    "Lệ",
    "Mận",
    "Nguyệt",
    "Nhàn",
    "Phượng",
    "Sen",
    "Tâm",
    "Thắm",
    "Thơm",
    "Trinh",
    "Út",
    "Cúc",
    "Đào",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gender {
    Male,
    Female,
}

pub(crate) fn given_name<R: Rng + ?Sized>(rng: &mut R, gender: Gender) -> String {
    match gender {
        Gender::Male => format!("{} {}", weighted(rng, MALE_MIDDLE), pick(rng, MALE_GIVEN)),
        Gender::Female => format!(
            "{} {}",
            weighted(rng, FEMALE_MIDDLE),
            pick(rng, FEMALE_GIVEN)
        ),
    }
}

/// A full name: family name, middle name, given name.
pub(crate) fn person_name<R: Rng + ?Sized>(
    rng: &mut R,
    surname: Option<&str>,
    gender: Gender,
) -> String {
    let family = match surname {
        Some(s) => s.to_string(),
        None => weighted(rng, SURNAMES).to_string(),
    };
    format!("{family} {}", given_name(rng, gender))
}

pub(crate) fn surname_of(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// Concerns, grouped by topic (`crate::domain::Topic` order).
pub(crate) fn concerns_for(topic: &str) -> &'static [&'static str] {
    match topic {
        "compensation_price" => &[
            "Đề nghị xem xét lại đơn giá bồi thường đất lúa",
            "Cho rằng giá bồi thường đất ở thấp hơn giá chuyển nhượng thực tế",
            "Đề nghị bồi thường cây trồng, vật nuôi theo giá thị trường",
            "Chưa thống nhất diện tích đất vườn được bồi thường theo giá đất ở",
            "Đề nghị tính thêm chi phí đầu tư vào đất còn lại",
        ],
        "resettlement" => &[
            "Muốn được bố trí tái định cư gần nơi ở cũ",
            "Đề nghị được nhận lô tái định cư mặt tiền đường",
            "Hỏi về thời gian bàn giao đất tái định cư và hạ tầng khu tái định cư",
            "Gia đình đông con, đề nghị được giao thêm một lô tái định cư",
        ],
        "livelihood" => &[
            "Lo lắng về sinh kế sau khi thu hồi đất",
            "Đề nghị hỗ trợ đào tạo nghề cho con em trong độ tuổi lao động",
            "Mong được ưu tiên tuyển dụng vào làm việc tại nhà máy",
            "Đề nghị hỗ trợ chuyển đổi nghề cho hộ nuôi trồng thủy sản",
        ],
        "graves" => &[
            "Đề nghị hỗ trợ chi phí di dời mồ mả",
            "Muốn chọn ngày tốt để cải táng mộ phần trong thửa đất",
            "Đề nghị bố trí khu nghĩa trang mới gần thôn",
        ],
        "land_origin" => &[
            "Cần làm rõ nguồn gốc đất",
            "Đất khai hoang sử dụng ổn định từ trước năm 1993, đề nghị được công nhận",
            "Có tranh chấp ranh giới với hộ liền kề, đề nghị đo đạc lại",
            "Đề nghị xác nhận thời điểm bắt đầu sử dụng đất ở",
        ],
        "procedure" => &[
            "Hỏi về thủ tục nhận tiền bồi thường, hỗ trợ",
            "Đề nghị cung cấp bản sao biên bản kiểm đếm",
            "Chưa nhận được thông báo thu hồi đất bằng văn bản",
            "Đề nghị giải thích cách tính các khoản hỗ trợ trong phương án",
        ],
        _ => &[
            "Phản ánh đường dân sinh bị hư hỏng do xe chở vật liệu",
            "Phản ánh bụi và tiếng ồn từ công trường",
            "Đề nghị giữ lại hệ thống kênh mương tưới tiêu cho phần đất còn lại",
        ],
    }
}

pub(crate) const AGREEMENT: &[&str] = &[
    "Hộ đồng ý với phương án bồi thường, hỗ trợ và cam kết bàn giao mặt bằng đúng hạn",
    "Gia đình thống nhất nhận tiền bồi thường và bàn giao mặt bằng",
    "Hộ đồng ý phương án, đề nghị chi trả tiền sớm",
];

pub(crate) const REFUSAL: &[&str] = &[
    "Hộ không tiếp tổ công tác",
    "Chủ hộ đi vắng, người nhà không hợp tác",
    "Hộ từ chối nhận thông báo và không trao đổi",
];

/// A follow-up promised during a visit: (text, owner), `{commune}` replaced by the commune.
pub(crate) fn commitment_for(topic: &str) -> (&'static str, &'static str) {
    match topic {
        "compensation_price" => (
            "Báo cáo Hội đồng bồi thường xem xét lại đơn giá theo đề nghị của hộ",
            "Ban Bồi thường, GPMB huyện Bình Sơn",
        ),
        "resettlement" => (
            "Cung cấp sơ đồ khu tái định cư và danh sách lô đất dự kiến bố trí",
            "Ban Quản lý dự án đầu tư xây dựng huyện Bình Sơn",
        ),
        "livelihood" => (
            "Giới thiệu con em của hộ tham gia tuyển dụng, đào tạo nghề tại nhà máy",
            "Công ty CP Thép Hòa Phát Dung Quất",
        ),
        "graves" => (
            "Phối hợp với gia đình chọn ngày và vị trí cải táng mộ phần",
            "UBND xã {commune}",
        ),
        "land_origin" => (
            "Xác minh nguồn gốc, thời điểm sử dụng đất của thửa đất",
            "UBND xã {commune}",
        ),
        "procedure" => (
            "Gửi bản sao biên bản kiểm đếm và phương án chi tiết cho hộ",
            "Tổ công tác",
        ),
        _ => (
            "Kiểm tra, phản ánh với nhà thầu để khắc phục",
            "UBND xã {commune}",
        ),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn names_carry_diacritics() {
        let mut rng = StdRng::seed_from_u64(7);
        let names: Vec<String> = (0..200)
            .map(|i| {
                person_name(
                    &mut rng,
                    None,
                    if i % 2 == 0 {
                        Gender::Male
                    } else {
                        Gender::Female
                    },
                )
            })
            .collect();
        assert!(names.iter().all(|n| n.split_whitespace().count() == 3));
        let with_marks = names.iter().filter(|n| !n.is_ascii()).count();
        assert!(
            with_marks > 150,
            "only {with_marks} of 200 names have diacritics"
        );
        assert!(names.iter().any(|n| n.contains("Thị")));
        assert!(names.iter().any(|n| n.starts_with("Nguyễn ")));
    }

    #[test]
    fn same_seed_same_names() {
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..10)
                .map(|_| person_name(&mut rng, None, Gender::Male))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn every_topic_has_concerns_and_a_commitment() {
        for t in crate::domain::Topic::ALL {
            assert!(!concerns_for(t.as_str()).is_empty());
            assert!(!commitment_for(t.as_str()).0.is_empty());
        }
    }
}
