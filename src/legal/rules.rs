//! THE table of legal time limits (LEGAL.md). Every number the tracker uses to compute a
//! deadline or refuse a date lives here, with its article, so a legal officer can check them
//! in one place and a later law changes them here only. Days are calendar days unless the
//! term says working days.
use serde::Serialize;
use utoipa::ToSchema;

/// How long a time limit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Term {
    Days(i64),
    WorkingDays(i64),
    Months(u32),
    /// A condition or an order with no time limit.
    None,
}

/// One legal rule: a code, its article, its term and what it says in both languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rule {
    /// Stable identifier, e.g. `decision_after_approval`.
    pub code: &'static str,
    /// Where the law says it, e.g. `LĐĐ 2024 Điều 87(5)`.
    pub article: &'static str,
    pub term: Term,
    /// i18n key of the description (`legal.<code>` in web/i18n/*/legal.json).
    pub key: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
}

impl Rule {
    /// The term in (calendar or working) days; 0 for other terms.
    pub const fn days(&self) -> i64 {
        match self.term {
            Term::Days(n) | Term::WorkingDays(n) => n,
            Term::Months(_) | Term::None => 0,
        }
    }
}

macro_rules! rules {
    ($($name:ident = $code:literal, $article:literal, $term:expr, $vi:literal, $en:literal;)+) => {
        $(pub static $name: Rule = Rule {
            code: $code,
            article: $article,
            term: $term,
            key: concat!("legal.", $code),
            vi: $vi,
            en: $en,
        };)+
        /// Every rule, in the order of LEGAL.md.
        pub static ALL: &[&Rule] = &[$(&$name),+];
    };
}

rules! {
    // ---- land recovery, per household / parcel ---------------------------------------
    BRIEFING_FIRST = "briefing_first", "LĐĐ 2024 Điều 87(1)", Term::None,
        "Họp phổ biến, vận động trước khi ban hành thông báo thu hồi đất",
        "A briefing meeting is held before the land-recovery notice";
    NOTICE_MIN_AGRICULTURAL = "notice_min_agricultural", "LĐĐ 2024 Điều 85(1),(2),(5)", Term::Days(90),
        "Thông báo thu hồi đất nông nghiệp chậm nhất 90 ngày trước khi có quyết định thu hồi",
        "Notice at least 90 days before the recovery decision (agricultural land)";
    NOTICE_MIN_NON_AGRICULTURAL = "notice_min_non_agricultural", "LĐĐ 2024 Điều 85(1),(2),(5)", Term::Days(180),
        "Thông báo thu hồi đất phi nông nghiệp chậm nhất 180 ngày trước khi có quyết định thu hồi",
        "Notice at least 180 days before the recovery decision (non-agricultural land)";
    NOTICE_LAPSE = "notice_lapse", "LĐĐ 2024 Điều 85(1),(2),(5)", Term::Months(12),
        "Thông báo thu hồi đất có hiệu lực 12 tháng: quyết định thu hồi phải ban hành trong thời hạn này",
        "The notice lapses after 12 months: the recovery decision must come within them";
    INVENTORY_PERSUASION = "inventory_persuasion", "LĐĐ 2024 Điều 87(2), 88", Term::Days(15),
        "Hộ không phối hợp điều tra, kiểm đếm: vận động, thuyết phục trong 15 ngày (lập biên bản)",
        "A household that will not cooperate with the inventory is persuaded for 15 days (written record)";
    COMPULSORY_INVENTORY = "compulsory_inventory", "LĐĐ 2024 Điều 88", Term::Days(10),
        "Sau 10 ngày kể từ khi kết thúc vận động mà hộ vẫn không phối hợp: quyết định kiểm đếm bắt buộc",
        "Still refusing 10 days after persuasion ended: compulsory inventory decision";
    PLAN_POSTING = "plan_posting", "LĐĐ 2024 Điều 87(3)(a)", Term::Days(30),
        "Niêm yết công khai phương án bồi thường, hỗ trợ, tái định cư 30 ngày trước khi phê duyệt",
        "The compensation, support and resettlement plan is posted 30 days before approval";
    PLAN_APPROVAL = "plan_approval", "—", Term::None,
        "Thẩm định, phê duyệt phương án: không có thời hạn cố định, theo dõi số ngày đã qua",
        "Plan appraisal and approval: no fixed limit; elapsed days are tracked";
    DECISION_AFTER_APPROVAL = "decision_after_approval", "LĐĐ 2024 Điều 87(5)", Term::Days(10),
        "Quyết định thu hồi đất trong 10 ngày kể từ ngày phê duyệt phương án",
        "The recovery decision within 10 days of the plan's approval";
    PAYMENT_AFTER_APPROVAL = "payment_after_approval", "LĐĐ 2024 Điều 94(3)", Term::Days(30),
        "Chi trả bồi thường, hỗ trợ trong 30 ngày kể từ ngày quyết định phê duyệt phương án có hiệu lực; chậm trả phải trả thêm tiền chậm nộp",
        "Payment within 30 days of the plan-approval decision taking effect; late payment accrues interest";
    HANDOVER_AFTER_COMPLIANCE = "handover_after_compliance", "LĐĐ 2024 Điều 89", Term::Days(30),
        "Bàn giao mặt bằng trong 30 ngày kể từ ngày lập biên bản chấp hành khi cưỡng chế",
        "Hand-over within 30 days of the compliance record at enforcement";
    RESETTLEMENT = "resettlement", "LĐĐ 2024 Điều 111", Term::None,
        "Bố trí tái định cư: giao đất, bàn giao nền tái định cư",
        "Resettlement: plot allocated and handed over";
    ENFORCEMENT_PREREQUISITE = "enforcement_prerequisite", "LĐĐ 2024 Điều 89", Term::None,
        "Chỉ cưỡng chế khi quyết định thu hồi đã có hiệu lực và vận động không thành",
        "Enforcement only once the recovery decision is in effect and persuasion failed";
    ENFORCEMENT_HOURS = "enforcement_hours", "LĐĐ 2024 Điều 89", Term::None,
        "Không cưỡng chế từ 22 giờ đến 06 giờ sáng hôm sau",
        "No enforcement from 22:00 to 06:00";
    ENFORCEMENT_HOLIDAYS = "enforcement_holidays", "LĐĐ 2024 Điều 89", Term::None,
        "Không cưỡng chế vào ngày nghỉ, ngày lễ theo quy định của pháp luật",
        "No enforcement on rest days or public holidays";
    ENFORCEMENT_TET = "enforcement_tet", "LĐĐ 2024 Điều 89", Term::Days(15),
        "Không cưỡng chế trong thời gian 15 ngày trước và sau thời gian nghỉ Tết Âm lịch",
        "No enforcement within 15 days before or after the Tết holiday";

    // ---- grievances -------------------------------------------------------------------
    COMPLAINT_FILE = "complaint_file", "Luật Khiếu nại 2011 Điều 9", Term::Days(90),
        "Khiếu nại trong 90 ngày kể từ ngày nhận được quyết định hoặc biết được hành vi hành chính",
        "A complaint is filed within 90 days of the decision or act";
    COMPLAINT_ACCEPT = "complaint_accept", "Luật Khiếu nại 2011 Điều 27", Term::Days(10),
        "Thụ lý khiếu nại trong 10 ngày kể từ ngày nhận được đơn",
        "A complaint is accepted (or refused) within 10 days of receipt";
    COMPLAINT_RESOLVE_1 = "complaint_resolve_1", "Luật Khiếu nại 2011 Điều 28", Term::Days(30),
        "Giải quyết khiếu nại lần đầu trong 30 ngày kể từ ngày thụ lý",
        "First-round complaint resolved within 30 days of acceptance";
    COMPLAINT_RESOLVE_1_COMPLEX = "complaint_resolve_1_complex", "Luật Khiếu nại 2011 Điều 28", Term::Days(45),
        "Vụ việc phức tạp: giải quyết lần đầu trong 45 ngày kể từ ngày thụ lý",
        "Complex first-round complaint: 45 days from acceptance";
    COMPLAINT_RESOLVE_1_REMOTE = "complaint_resolve_1_remote", "Luật Khiếu nại 2011 Điều 28", Term::Days(45),
        "Vùng sâu, vùng xa: giải quyết lần đầu trong 45 ngày kể từ ngày thụ lý",
        "Remote area: first-round complaint within 45 days of acceptance";
    COMPLAINT_RESOLVE_1_REMOTE_COMPLEX = "complaint_resolve_1_remote_complex", "Luật Khiếu nại 2011 Điều 28", Term::Days(60),
        "Vùng sâu, vùng xa, vụ việc phức tạp: giải quyết lần đầu trong 60 ngày",
        "Remote area, complex: first-round complaint within 60 days";
    COMPLAINT_FILE_2 = "complaint_file_2", "Luật Khiếu nại 2011 Điều 33", Term::Days(30),
        "Khiếu nại lần hai trong 30 ngày kể từ khi có quyết định lần đầu hoặc hết hạn giải quyết",
        "Second-round complaint filed within 30 days of the first decision or of its deadline";
    COMPLAINT_FILE_2_REMOTE = "complaint_file_2_remote", "Luật Khiếu nại 2011 Điều 33", Term::Days(45),
        "Vùng sâu, vùng xa: khiếu nại lần hai trong 45 ngày",
        "Remote area: second-round complaint filed within 45 days";
    COMPLAINT_RESOLVE_2 = "complaint_resolve_2", "Luật Khiếu nại 2011 Điều 37", Term::Days(45),
        "Giải quyết khiếu nại lần hai trong 45 ngày kể từ ngày thụ lý",
        "Second-round complaint resolved within 45 days of acceptance";
    COMPLAINT_RESOLVE_2_COMPLEX = "complaint_resolve_2_complex", "Luật Khiếu nại 2011 Điều 37", Term::Days(60),
        "Vụ việc phức tạp: giải quyết lần hai trong 60 ngày",
        "Complex second-round complaint: 60 days";
    COMPLAINT_RESOLVE_2_REMOTE = "complaint_resolve_2_remote", "Luật Khiếu nại 2011 Điều 37", Term::Days(60),
        "Vùng sâu, vùng xa: giải quyết lần hai trong 60 ngày",
        "Remote area: second-round complaint within 60 days";
    COMPLAINT_RESOLVE_2_REMOTE_COMPLEX = "complaint_resolve_2_remote_complex", "Luật Khiếu nại 2011 Điều 37", Term::Days(70),
        "Vùng sâu, vùng xa, vụ việc phức tạp: giải quyết lần hai trong 70 ngày",
        "Remote area, complex: second-round complaint within 70 days";
    DENUNCIATION_ACCEPT = "denunciation_accept", "Luật Tố cáo 2018 Điều 24(1)", Term::WorkingDays(7),
        "Kiểm tra điều kiện thụ lý tố cáo trong 07 ngày làm việc kể từ ngày nhận được",
        "A denunciation is checked and accepted within 7 working days of receipt";
    DENUNCIATION_NOTIFY = "denunciation_notify", "Luật Tố cáo 2018 Điều 29", Term::WorkingDays(5),
        "Thông báo việc thụ lý tố cáo cho các bên trong 05 ngày làm việc kể từ ngày thụ lý",
        "The parties are notified within 5 working days of acceptance";
    DENUNCIATION_RESOLVE = "denunciation_resolve", "Luật Tố cáo 2018 Điều 30", Term::Days(30),
        "Giải quyết tố cáo trong 30 ngày kể từ ngày thụ lý",
        "A denunciation is resolved within 30 days of acceptance";
    DENUNCIATION_EXTENSION = "denunciation_extension", "Luật Tố cáo 2018 Điều 30", Term::Days(30),
        "Vụ việc phức tạp gia hạn một lần 30 ngày; đặc biệt phức tạp gia hạn hai lần, mỗi lần 30 ngày",
        "Complex: extended once by 30 days; especially complex: twice (90 days at most)";
    PETITION_ANSWER = "petition_answer", "Quy định của tỉnh (mặc định)", Term::Days(15),
        "Trả lời kiến nghị, phản ánh: theo quy định của tỉnh, mặc định 15 ngày (cấu hình được)",
        "Petitions and feedback answered within the province's limit, 15 days by default (a setting)";

    // ---- how terms are counted ----------------------------------------------------------
    TERM_COUNTING = "term_counting", "BLDS 2015 Điều 147, 148(5)", Term::None,
        "Thời hạn tính từ ngày tiếp theo; ngày cuối rơi vào ngày nghỉ thì kết thúc vào ngày làm việc kế tiếp",
        "A term runs from the next day; ending on a rest day or holiday, it ends on the next working day";
    TET_HOLIDAY = "tet_holiday", "BLLĐ 2019 Điều 112(1)(b)", Term::Days(5),
        "Nghỉ Tết Âm lịch 05 ngày (ở đây: ngày cuối năm âm lịch và mùng 1 đến mùng 4)",
        "Tết holiday of 5 days (here: the last day of the lunar year and the 1st to 4th of month 1)";
}

/// A rule by its code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_every_rule_cites_an_article() {
        let mut codes: Vec<&str> = ALL.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate rule code");
        for r in ALL {
            assert!(!r.article.is_empty() && !r.vi.is_empty() && !r.en.is_empty());
            assert_eq!(r.key, format!("legal.{}", r.code));
        }
        assert_eq!(by_code("plan_posting"), Some(&PLAN_POSTING));
    }

    #[test]
    fn the_i18n_catalogues_say_what_the_table_says() {
        let vi: std::collections::HashMap<String, String> =
            serde_json::from_str(include_str!("../../web/i18n/vi/legal.json")).unwrap();
        let en: std::collections::HashMap<String, String> =
            serde_json::from_str(include_str!("../../web/i18n/en/legal.json")).unwrap();
        for r in ALL {
            assert_eq!(vi.get(r.key).map(String::as_str), Some(r.vi), "{}", r.key);
            assert_eq!(en.get(r.key).map(String::as_str), Some(r.en), "{}", r.key);
        }
        for s in crate::domain::CaseStage::ALL {
            assert!(vi.contains_key(&format!("legal.stage.{s}")), "{s}");
        }
    }

    #[test]
    fn numbers_match_legal_md() {
        assert_eq!(NOTICE_MIN_AGRICULTURAL.term, Term::Days(90));
        assert_eq!(NOTICE_MIN_NON_AGRICULTURAL.term, Term::Days(180));
        assert_eq!(NOTICE_LAPSE.term, Term::Months(12));
        assert_eq!(
            INVENTORY_PERSUASION.days() + COMPULSORY_INVENTORY.days(),
            25
        );
        assert_eq!(PLAN_POSTING.days(), 30);
        assert_eq!(DECISION_AFTER_APPROVAL.days(), 10);
        assert_eq!(PAYMENT_AFTER_APPROVAL.days(), 30);
        assert_eq!(HANDOVER_AFTER_COMPLIANCE.days(), 30);
        assert_eq!(ENFORCEMENT_TET.days(), 15);
        assert_eq!(COMPLAINT_ACCEPT.days(), 10);
        assert_eq!(
            [
                COMPLAINT_RESOLVE_1.days(),
                COMPLAINT_RESOLVE_1_COMPLEX.days(),
                COMPLAINT_RESOLVE_1_REMOTE.days(),
                COMPLAINT_RESOLVE_1_REMOTE_COMPLEX.days()
            ],
            [30, 45, 45, 60]
        );
        assert_eq!(
            [
                COMPLAINT_RESOLVE_2.days(),
                COMPLAINT_RESOLVE_2_COMPLEX.days(),
                COMPLAINT_RESOLVE_2_REMOTE.days(),
                COMPLAINT_RESOLVE_2_REMOTE_COMPLEX.days()
            ],
            [45, 60, 60, 70]
        );
        assert_eq!(
            (COMPLAINT_FILE_2.days(), COMPLAINT_FILE_2_REMOTE.days()),
            (30, 45)
        );
        assert_eq!(DENUNCIATION_NOTIFY.term, Term::WorkingDays(5));
        assert_eq!(
            DENUNCIATION_RESOLVE.days() + 2 * DENUNCIATION_EXTENSION.days(),
            90
        );
        assert_eq!(PETITION_ANSWER.days(), 15);
    }
}
