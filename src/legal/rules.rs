//! THE table of legal time limits (LEGAL.md). Every number the tracker uses to compute a
//! deadline or refuse a date lives here, with its article, so a legal officer can check them
//! in one place and a later law changes them here only. Days are calendar days unless the
//! term says working days.
//!
//! A rule applies by the date of the event it governs ("the law in force on the day"). A rule
//! a later text changed is kept as one version per period, each with its own code and article
//! and the same `topic`; [`in_force`] picks the version of a topic in force on a date. The
//! first version of a topic keeps the topic as its code, so codes stored or shown before the
//! change keep their meaning; a later version's code adds when it starts (`_2026`).
use chrono::NaiveDate;
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

/// One legal rule: a code, its article, its term, what it says in both languages and the
/// period it is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rule {
    /// Stable identifier of this version, e.g. `notice_min_agricultural_2026`.
    pub code: &'static str,
    /// What the rule is about, shared by all its versions, e.g. `notice_min_agricultural`.
    pub topic: &'static str,
    /// Where the law says it, e.g. `LĐĐ 2024 Điều 87(5)`.
    pub article: &'static str,
    pub term: Term,
    /// i18n key of the description (`legal.<code>` in web/i18n/*/legal.json).
    pub key: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    /// First day in force (inclusive); None: since before anything the tracker records.
    pub valid_from: Option<NaiveDate>,
    /// Last day in force (inclusive); None: still in force.
    pub valid_until: Option<NaiveDate>,
}

impl Rule {
    /// The term in (calendar or working) days; 0 for other terms.
    pub const fn days(&self) -> i64 {
        match self.term {
            Term::Days(n) | Term::WorkingDays(n) => n,
            Term::Months(_) | Term::None => 0,
        }
    }

    /// Whether this version is in force on `on`.
    pub fn is_in_force(&self, on: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= on) && self.valid_until.is_none_or(|u| on <= u)
    }
}

/// A date of the table; an impossible one fails the build (statics are evaluated at compile
/// time).
const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(day) => day,
        None => panic!("impossible date in the legal rules table"),
    }
}

/// The first literal given: the topic when a version names one, else its code.
macro_rules! first {
    ($a:literal $(, $b:literal)?) => {
        $a
    };
}

macro_rules! date {
    () => {
        None
    };
    (($y:literal, $m:literal, $d:literal)) => {
        Some(ymd($y, $m, $d))
    };
}

/// `NAME = "code" [of "topic"] [from (y, m, d)] [until (y, m, d)], "article", term, "vi", "en";`
macro_rules! rules {
    ($($name:ident = $code:literal $(of $topic:literal)? $(from $from:tt)? $(until $until:tt)?,
        $article:literal, $term:expr, $vi:literal, $en:literal;)+) => {
        $(pub static $name: Rule = Rule {
            code: $code,
            topic: first!($($topic,)? $code),
            article: $article,
            term: $term,
            key: concat!("legal.", $code),
            vi: $vi,
            en: $en,
            valid_from: date!($($from)?),
            valid_until: date!($($until)?),
        };)+
        /// Every rule (every version), in the order of LEGAL.md.
        pub static ALL: &[&Rule] = &[$(&$name),+];
    };
}

rules! {
    // ---- land recovery, per household / parcel ---------------------------------------
    BRIEFING_FIRST = "briefing_first", "LĐĐ 2024 Điều 87(1)", Term::None,
        "Họp phổ biến, vận động trước khi ban hành thông báo thu hồi đất",
        "A briefing meeting is held before the land-recovery notice";
    // The notice minimum is taken by the notice's date (Res. 254/2025/QH15 from 1 Jan 2026).
    NOTICE_MIN_AGRICULTURAL = "notice_min_agricultural" until (2025, 12, 31),
        "LĐĐ 2024 Điều 85(1),(2),(5)", Term::Days(90),
        "Thông báo thu hồi đất nông nghiệp chậm nhất 90 ngày trước khi có quyết định thu hồi",
        "Notice at least 90 days before the recovery decision (agricultural land)";
    NOTICE_MIN_AGRICULTURAL_2026 = "notice_min_agricultural_2026" of "notice_min_agricultural" from (2026, 1, 1),
        "Nghị quyết 254/2025/QH15 Điều 3(9)", Term::Days(60),
        "Thông báo thu hồi đất nông nghiệp chậm nhất 60 ngày trước khi có quyết định thu hồi",
        "Notice at least 60 days before the recovery decision (agricultural land)";
    NOTICE_MIN_NON_AGRICULTURAL = "notice_min_non_agricultural" until (2025, 12, 31),
        "LĐĐ 2024 Điều 85(1),(2),(5)", Term::Days(180),
        "Thông báo thu hồi đất phi nông nghiệp chậm nhất 180 ngày trước khi có quyết định thu hồi",
        "Notice at least 180 days before the recovery decision (non-agricultural land)";
    NOTICE_MIN_NON_AGRICULTURAL_2026 = "notice_min_non_agricultural_2026" of "notice_min_non_agricultural" from (2026, 1, 1),
        "Nghị quyết 254/2025/QH15 Điều 3(9)", Term::Days(120),
        "Thông báo thu hồi đất phi nông nghiệp chậm nhất 120 ngày trước khi có quyết định thu hồi",
        "Notice at least 120 days before the recovery decision (non-agricultural land)";
    NOTICE_LAPSE = "notice_lapse", "LĐĐ 2024 Điều 85(1),(2),(5)", Term::Months(12),
        "Thông báo thu hồi đất có hiệu lực 12 tháng: quyết định thu hồi phải ban hành trong thời hạn này",
        "The notice lapses after 12 months: the recovery decision must come within them";
    INVENTORY_PERSUASION = "inventory_persuasion", "LĐĐ 2024 Điều 87(2), 88", Term::Days(15),
        "Hộ không phối hợp điều tra, kiểm đếm: vận động, thuyết phục trong 15 ngày (lập biên bản)",
        "A household that will not cooperate with the inventory is persuaded for 15 days (written record)";
    COMPULSORY_INVENTORY = "compulsory_inventory", "LĐĐ 2024 Điều 88", Term::Days(10),
        "Sau 10 ngày kể từ khi kết thúc vận động mà hộ vẫn không phối hợp: quyết định kiểm đếm bắt buộc",
        "Still refusing 10 days after persuasion ended: compulsory inventory decision";
    // The posting period is taken by the posting date.
    PLAN_POSTING = "plan_posting" until (2025, 12, 31), "LĐĐ 2024 Điều 87(3)(a)", Term::Days(30),
        "Niêm yết công khai phương án bồi thường, hỗ trợ, tái định cư 30 ngày trước khi phê duyệt",
        "The compensation, support and resettlement plan is posted 30 days before approval";
    PLAN_POSTING_2026 = "plan_posting_2026" of "plan_posting" from (2026, 1, 1),
        "Nghị quyết 254/2025/QH15 Điều 3(9)", Term::Days(10),
        "Niêm yết công khai phương án bồi thường, hỗ trợ, tái định cư 10 ngày trước khi phê duyệt, tại trụ sở Ủy ban nhân dân cấp xã, điểm sinh hoạt chung của khu dân cư và trên cổng thông tin điện tử của xã; nếu còn ý kiến không đồng ý thì tổ chức đối thoại trong 30 ngày",
        "The compensation, support and resettlement plan is posted 10 days before approval, at the commune office, in the residential area and on the commune's web portal; if objections remain, a dialogue is held within 30 days";
    PLAN_APPROVAL = "plan_approval", "—", Term::None,
        "Thẩm định, phê duyệt phương án: không có thời hạn cố định, theo dõi số ngày đã qua",
        "Plan appraisal and approval: no fixed limit; elapsed days are tracked";
    // Who approves is taken by the approval date (district powers passed to communes).
    PLAN_APPROVER = "plan_approver" until (2025, 6, 30), "LĐĐ 2024 Điều 83(3), 87", Term::None,
        "Ủy ban nhân dân cấp huyện phê duyệt phương án bồi thường, hỗ trợ, tái định cư",
        "The district People's Committee approves the compensation, support and resettlement plan";
    PLAN_APPROVER_2025_07 = "plan_approver_2025_07" of "plan_approver" from (2025, 7, 1),
        "Nghị định 151/2025/NĐ-CP Điều 5", Term::None,
        "Chủ tịch Ủy ban nhân dân cấp xã phê duyệt phương án bồi thường, hỗ trợ, tái định cư",
        "The chairman of the commune People's Committee approves the compensation, support and resettlement plan";
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

    // ---- compensation, support and resettlement (cited by the plan; the amounts are computed
    // in the compensation module) ---------------------------------------------------------
    LAND_COMPENSATION = "land_compensation", "LĐĐ 2024 Điều 91; Nghị định 88/2024/NĐ-CP Điều 4, 12, 13", Term::None,
        "Bồi thường về đất bằng diện tích thu hồi nhân giá đất; đất nông nghiệp được bồi thường trong hạn mức giao đất, phần vượt hạn mức được hỗ trợ khác",
        "Land is compensated at the recovered area times the land price; agricultural land up to the allocation limit, the excess by other support";
    COMPENSATION_LAND_PRICE = "compensation_land_price" until (2025, 12, 31), "LĐĐ 2024 Điều 91, 160", Term::None,
        "Giá đất tính bồi thường: giá đất cụ thể do Ủy ban nhân dân cấp có thẩm quyền quyết định tại thời điểm phê duyệt phương án",
        "Compensation land price: the specific land price decided by the competent People's Committee at the plan's approval";
    COMPENSATION_LAND_PRICE_2026 = "compensation_land_price_2026" of "compensation_land_price" from (2026, 1, 1),
        "Nghị quyết 254/2025/QH15 Điều 3(6), 5(3), 8", Term::None,
        "Giá đất tính bồi thường: bảng giá đất nhân hệ số điều chỉnh giá đất do Ủy ban nhân dân cấp tỉnh ban hành ngày 01 tháng 01 hằng năm",
        "Compensation land price: the land price table times the adjustment coefficient the province issues each 1 January";
    STRUCTURES_NEW_BUILD = "structures_new_build", "LĐĐ 2024 Điều 102; Nghị định 88/2024/NĐ-CP Điều 14", Term::None,
        "Nhà, công trình xây dựng được bồi thường theo giá trị xây mới: giá trị hiện có cộng một khoản theo tỷ lệ do tỉnh quy định, không vượt quá 100% giá trị xây mới",
        "Houses and structures are compensated at new-build value: the existing value plus a percentage the province sets, at most 100 % of the new-build value";
    CROPS = "crops", "LĐĐ 2024 Điều 103; Nghị định 88/2024/NĐ-CP Điều 14a", Term::None,
        "Cây hằng năm: năng suất cao nhất của 03 năm trước liền kề nhân đơn giá; cây lâu năm: theo thiệt hại thực tế",
        "Annual crops: the highest yield of the previous 3 years times the unit price; perennial crops: the actual damage";
    MOVING_COSTS = "moving_costs", "LĐĐ 2024 Điều 104; Nghị định 88/2024/NĐ-CP Điều 15", Term::None,
        "Bồi thường chi phí di chuyển tài sản; mồ mả: chi phí đào, bốc, di chuyển, xây dựng lại",
        "Moving costs are compensated; graves: digging, moving and rebuilding";
    REMAINING_INVESTMENT = "remaining_investment", "Nghị định 88/2024/NĐ-CP Điều 17", Term::None,
        "Chi phí đầu tư vào đất còn lại = (P1 + P2 + P3 + P4) × T2 / T1, các chi phí tính theo giá thị trường tại thời điểm phê duyệt phương án",
        "Remaining investment in land = (P1 + P2 + P3 + P4) × T2 / T1, costs at market prices on the plan's approval date";
    LIFE_STABILISATION = "life_stabilisation", "Nghị định 88/2024/NĐ-CP Điều 19", Term::None,
        "Hỗ trợ ổn định đời sống: 30 kg gạo/nhân khẩu/tháng theo giá gạo tại địa phương; thu hồi từ 30% đến 70% đất nông nghiệp: 6 tháng nếu không di chuyển chỗ ở, 12 tháng nếu phải di chuyển, tối đa 24 tháng nếu di chuyển đến địa bàn khó khăn; trên 70%: 12, 24, tối đa 36 tháng; dưới 30%: do tỉnh quy định, không vượt các mức trên",
        "Life stabilisation: 30 kg of rice per person per month at the local price; 30–70 % of farmland lost: 6 months without moving, 12 when moving, up to 24 when moving to a hard area; over 70 %: 12, 24, up to 36 months; under 30 %: set by the province, not above these";
    PRODUCTION_SUPPORT = "production_support", "Nghị định 88/2024/NĐ-CP Điều 20", Term::None,
        "Hỗ trợ ổn định sản xuất, kinh doanh: tối đa 30% thu nhập sau thuế của 01 năm (bình quân 03 năm liền kề trước đó); người lao động được hỗ trợ tối đa 06 tháng",
        "Production and business support: up to 30 % of one year's after-tax income (average of the 3 previous years); employees up to 6 months";
    JOB_CHANGE_CAP = "job_change_cap", "LĐĐ 2024 Điều 109; Nghị định 88/2024/NĐ-CP Điều 22", Term::None,
        "Hỗ trợ đào tạo, chuyển đổi nghề và tìm kiếm việc làm: không quá 05 lần giá đất nông nghiệp trong bảng giá đất, tính trên diện tích đất nông nghiệp thu hồi trong hạn mức giao đất; số lần do tỉnh quy định",
        "Job change and job search support: at most 5 times the agricultural land price of the table, on the recovered farmland area within the allocation limit; the multiple is set by the province";
    RESETTLEMENT_MINIMUM = "resettlement_minimum", "LĐĐ 2024 Điều 111; Nghị định 88/2024/NĐ-CP Điều 23, 24", Term::None,
        "Bố trí tái định cư bằng đất ở hoặc nhà ở; tiền bồi thường không đủ cho suất tái định cư tối thiểu thì Nhà nước hỗ trợ phần còn thiếu",
        "Resettlement by a plot or a house; when the compensation does not reach the minimum resettlement unit, the State tops it up";
    EARLY_HANDOVER_BONUS = "early_handover_bonus", "LĐĐ 2024 Điều 111(7)", Term::None,
        "Thưởng bàn giao mặt bằng sớm: mức do tỉnh quy định, không có mức chung toàn quốc",
        "Early hand-over bonus: an amount the province sets; there is no national amount";
    OTHER_SUPPORT = "other_support" until (2025, 12, 31), "LĐĐ 2024 Điều 108", Term::None,
        "Hỗ trợ khác do Ủy ban nhân dân cấp tỉnh quyết định",
        "Other support is decided by the province";
    OTHER_SUPPORT_2026 = "other_support_2026" of "other_support" from (2026, 1, 1),
        "Nghị quyết 254/2025/QH15 Điều 3(12)", Term::None,
        "Hỗ trợ khác được quyết định cho từng dự án (cấp xã)",
        "Other support is decided per project (by the commune)";
    LATE_PAYMENT_INTEREST = "late_payment_interest", "LĐĐ 2024 Điều 94(3); Luật Quản lý thuế 2019 Điều 59", Term::None,
        "Chậm chi trả: người có đất thu hồi được trả thêm tiền chậm nộp theo mức của Luật Quản lý thuế (0,03%/ngày) trên số tiền chậm trả và số ngày chậm trả",
        "Late payment: the payee also receives interest at the Tax Administration Law's late rate (0.03 % a day) on the late amount for the days late";
    DEPOSIT_REFUSED_MONEY = "deposit_refused_money", "LĐĐ 2024 Điều 94(4); Nghị định 88/2024/NĐ-CP Điều 25", Term::None,
        "Tiền bồi thường, hỗ trợ mà người có đất thu hồi không nhận hoặc đang tranh chấp được gửi vào ngân hàng; tiền lãi thuộc về người được nhận",
        "Compensation refused or in dispute is deposited at a bank; the interest goes to the payee";
    REVISED_PLAN_PRICE_FLOOR = "revised_plan_price_floor", "LĐĐ 2024 Điều 94(5)", Term::None,
        "Phương án điều chỉnh: tính theo giá tại thời điểm điều chỉnh, không thấp hơn giá trong phương án đã phê duyệt",
        "A revised plan uses the prices on the revision date, never below those of the approved plan";
    DEDUCTION_LAND_ONLY = "deduction_land_only", "LĐĐ 2024 Điều 94(6); Nghị định 88/2024/NĐ-CP Điều 25", Term::None,
        "Nghĩa vụ tài chính về đất đai chưa thực hiện chỉ được trừ vào tiền bồi thường về đất và chi phí đầu tư vào đất còn lại",
        "Unpaid land obligations are deducted only from the compensation for land and for remaining investment in land";
    PLAN_CONTENTS = "plan_contents", "Nghị định 88/2024/NĐ-CP Điều 3(2)", Term::None,
        "Phương án ghi cho từng người: họ tên, số định danh, địa chỉ, điện thoại; thửa đất, diện tích, loại đất, nguồn gốc; tài sản; đơn giá; từng khoản hỗ trợ (số người, mức, số tháng); tổng theo nhóm; suất tái định cư và tiền sử dụng đất; nghĩa vụ tài chính; số tiền còn được nhận; khoản được ghi nợ",
        "The plan lists per person: name, identity number, addresses, phone; parcel, area, land type, origin; assets; unit prices; each support with its people, level and months; totals by group; the resettlement plot and its fee; obligations; the net amount; deferred fees";

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

    // ---- personal data (Law 91/2025/QH15 and Decree 356/2025/NĐ-CP, in force 1 Jan 2026) --
    // The limits are those issue 16 names; the articles of Decree 356/2025 that set them are
    // still to check with the legal officer, so the instruments are cited without article
    // numbers. Before 2026 (Decree 13/2023/NĐ-CP) no request limit is computed.
    PRIVACY_REQUEST_ACK = "privacy_request_ack" until (2025, 12, 31),
        "—", Term::None,
        "Trước ngày 01/01/2026 chưa áp dụng thời hạn xác nhận yêu cầu của chủ thể dữ liệu theo Luật Bảo vệ dữ liệu cá nhân; không tính hạn",
        "Before 1 January 2026 the Personal Data Protection Law's limit for acknowledging a data subject's request does not apply; no deadline is computed";
    PRIVACY_REQUEST_ACK_2026 = "privacy_request_ack_2026" of "privacy_request_ack" from (2026, 1, 1),
        "Luật Bảo vệ dữ liệu cá nhân 2025 (91/2025/QH15); Nghị định 356/2025/NĐ-CP", Term::WorkingDays(2),
        "Xác nhận đã nhận yêu cầu của chủ thể dữ liệu (xem, sửa, hạn chế, xóa, phản đối xử lý dữ liệu cá nhân) trong 02 ngày làm việc kể từ ngày nhận",
        "A data subject's request (access, correction, restriction, deletion, objection) is acknowledged within 2 working days of receipt";
    PRIVACY_REQUEST_COMPLETE = "privacy_request_complete" until (2025, 12, 31),
        "—", Term::None,
        "Trước ngày 01/01/2026 chưa áp dụng thời hạn giải quyết yêu cầu của chủ thể dữ liệu theo Luật Bảo vệ dữ liệu cá nhân; không tính hạn",
        "Before 1 January 2026 the Personal Data Protection Law's limit for completing a data subject's request does not apply; no deadline is computed";
    PRIVACY_REQUEST_COMPLETE_2026 = "privacy_request_complete_2026" of "privacy_request_complete" from (2026, 1, 1),
        "Luật Bảo vệ dữ liệu cá nhân 2025 (91/2025/QH15); Nghị định 356/2025/NĐ-CP", Term::Days(15),
        "Giải quyết yêu cầu của chủ thể dữ liệu trong 15 ngày kể từ ngày nhận yêu cầu",
        "A data subject's request is completed within 15 days of receipt";
    PRIVACY_REQUEST_EXTENSION = "privacy_request_extension" until (2025, 12, 31),
        "—", Term::None,
        "Trước ngày 01/01/2026 chưa áp dụng việc gia hạn giải quyết yêu cầu của chủ thể dữ liệu theo Luật Bảo vệ dữ liệu cá nhân",
        "Before 1 January 2026 the Personal Data Protection Law's extension of a data subject's request does not apply";
    PRIVACY_REQUEST_EXTENSION_2026 = "privacy_request_extension_2026" of "privacy_request_extension" from (2026, 1, 1),
        "Luật Bảo vệ dữ liệu cá nhân 2025 (91/2025/QH15); Nghị định 356/2025/NĐ-CP", Term::Days(15),
        "Được gia hạn một lần, không quá 15 ngày, có nêu lý do và thông báo cho chủ thể dữ liệu",
        "The time limit may be extended once, by at most 15 days, with the reason told to the data subject";
    PRIVACY_BREACH_REPORT = "privacy_breach_report" until (2025, 12, 31),
        "Nghị định 13/2023/NĐ-CP Điều 23", Term::Days(3),
        "Vi phạm quy định bảo vệ dữ liệu cá nhân: thông báo cho Bộ Công an (Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao) chậm nhất 72 giờ",
        "A personal-data breach is notified to the Ministry of Public Security (cyber security department) within 72 hours";
    PRIVACY_BREACH_REPORT_2026 = "privacy_breach_report_2026" of "privacy_breach_report" from (2026, 1, 1),
        "Luật Bảo vệ dữ liệu cá nhân 2025 (91/2025/QH15); Nghị định 356/2025/NĐ-CP", Term::Days(3),
        "Vi phạm quy định bảo vệ dữ liệu cá nhân: thông báo cho cơ quan chuyên trách bảo vệ dữ liệu cá nhân (Bộ Công an) chậm nhất 72 giờ kể từ khi phát hiện",
        "A personal-data breach is notified to the personal-data protection authority (Ministry of Public Security) within 72 hours of its discovery";

    // ---- how terms are counted ----------------------------------------------------------
    TERM_COUNTING = "term_counting", "BLDS 2015 Điều 147, 148(5)", Term::None,
        "Thời hạn tính từ ngày tiếp theo; ngày cuối rơi vào ngày nghỉ thì kết thúc vào ngày làm việc kế tiếp",
        "A term runs from the next day; ending on a rest day or holiday, it ends on the next working day";
    TET_HOLIDAY = "tet_holiday", "BLLĐ 2019 Điều 112(1)(b)", Term::Days(5),
        "Nghỉ Tết Âm lịch 05 ngày (ở đây: ngày cuối năm âm lịch và mùng 1 đến mùng 4)",
        "Tết holiday of 5 days (here: the last day of the lunar year and the 1st to 4th of month 1)";
}

/// A rule (one version) by its code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}

/// The versions of `topic`, oldest first (none for an unknown topic).
pub fn versions(topic: &str) -> Vec<&'static Rule> {
    let mut v: Vec<&'static Rule> = ALL.iter().copied().filter(|r| r.topic == topic).collect();
    v.sort_by_key(|r| r.valid_from);
    v
}

/// Every topic once, in the order of the table.
pub fn topics() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in ALL {
        if !out.contains(&r.topic) {
            out.push(r.topic);
        }
    }
    out
}

/// The version of `topic` in force on `on`, or None for a topic the table does not have (for
/// names that come from outside the code).
pub fn find(topic: &str, on: NaiveDate) -> Option<&'static Rule> {
    let versions = versions(topic);
    versions
        .iter()
        .copied()
        .find(|r| r.is_in_force(on))
        // The table's test proves a topic's versions cover every day; should an edit leave a
        // gap, the latest version started by then (else the first) is the least surprising.
        .or_else(|| {
            versions
                .iter()
                .copied()
                .rfind(|r| r.valid_from.is_none_or(|f| f <= on))
        })
        .or_else(|| versions.first().copied())
}

/// The version of `topic` in force on `on`, the date of the event the rule governs: e.g.
/// `in_force("notice_min_agricultural", notice_on)` is 90 days for a notice of 2025 and 60 for
/// one of 2026. `topic` is one of the table's topics (a rule's `topic` field, or the code of
/// its first version); an unknown topic is a programming error and panics, which the tests of
/// every caller catch. For a name that comes from outside, use [`find`].
pub fn in_force(topic: &str, on: NaiveDate) -> &'static Rule {
    match find(topic, on) {
        Some(rule) => rule,
        None => panic!("`{topic}` is not a topic of the legal rules table"),
    }
}

/// Who approves the compensation plan, by the approval date: the district People's Committee
/// until 30 Jun 2025, the chairman of the commune People's Committee from 1 Jul 2025 (Decree
/// 151/2025/NĐ-CP Art. 5). The rule's texts name the body (vi, en).
pub fn plan_approver(approved_on: NaiveDate) -> &'static Rule {
    in_force(PLAN_APPROVER.topic, approved_on)
}

/// How long the plan is posted before it may be approved, by the posting date: 30 days, 10
/// from 1 Jan 2026 (Res. 254/2025/QH15 Art. 3(9)).
pub fn plan_posting(posted_on: NaiveDate) -> &'static Rule {
    in_force(PLAN_POSTING.topic, posted_on)
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

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The days around every change the table knows, and some far before and after.
    const DAYS: [(i32, u32, u32); 8] = [
        (1990, 1, 1),
        (2024, 8, 1),
        (2025, 6, 30),
        (2025, 7, 1),
        (2025, 12, 31),
        (2026, 1, 1),
        (2026, 12, 5),
        (2100, 1, 1),
    ];

    #[test]
    fn exactly_one_version_of_every_topic_is_in_force_on_any_day() {
        for topic in topics() {
            let v = versions(topic);
            // Chained periods: open at both ends, each starting the day after the previous
            // one ends, none empty. That is "exactly one on any day", for every day.
            assert_eq!(v[0].valid_from, None, "{topic}");
            assert_eq!(v[v.len() - 1].valid_until, None, "{topic}");
            for w in v.windows(2) {
                let (Some(until), Some(from)) = (w[0].valid_until, w[1].valid_from) else {
                    panic!("{topic}: {} and {} overlap", w[0].code, w[1].code);
                };
                assert_eq!(until.succ_opt(), Some(from), "{topic}");
            }
            for r in &v {
                if let (Some(f), Some(u)) = (r.valid_from, r.valid_until) {
                    assert!(f <= u, "{}", r.code);
                }
            }
            // And counted directly on the boundary days.
            for (y, m, day) in DAYS {
                let on = d(y, m, day);
                let n = v.iter().filter(|r| r.is_in_force(on)).count();
                assert_eq!(n, 1, "{topic} on {on}");
                assert!(in_force(topic, on).is_in_force(on));
            }
        }
    }

    #[test]
    fn a_topic_is_the_code_of_its_first_version_and_later_codes_differ() {
        for topic in topics() {
            let v = versions(topic);
            assert_eq!(
                v[0].code, topic,
                "the first version keeps the topic as its code"
            );
            for r in &v[1..] {
                assert!(r.code.starts_with(topic) && r.code != topic, "{}", r.code);
            }
        }
    }

    #[test]
    fn the_2026_notice_minimum_and_posting_period() {
        let ag = "notice_min_agricultural";
        assert_eq!(in_force(ag, d(2025, 12, 31)).term, Term::Days(90));
        assert_eq!(in_force(ag, d(2026, 1, 1)).term, Term::Days(60));
        assert_eq!(
            in_force(ag, d(2026, 1, 1)).article,
            "Nghị quyết 254/2025/QH15 Điều 3(9)"
        );
        assert_eq!(
            in_force(ag, d(2025, 12, 31)).article,
            "LĐĐ 2024 Điều 85(1),(2),(5)"
        );
        let non = "notice_min_non_agricultural";
        assert_eq!(in_force(non, d(2025, 12, 31)).days(), 180);
        assert_eq!(in_force(non, d(2026, 1, 1)).days(), 120);
        assert_eq!(plan_posting(d(2025, 12, 31)).days(), 30);
        assert_eq!(plan_posting(d(2026, 1, 1)).days(), 10);
        assert_eq!(plan_posting(d(2026, 1, 1)).code, "plan_posting_2026");
        // The new posting also goes on the commune's portal, with a dialogue if objections stay.
        assert!(plan_posting(d(2026, 1, 1))
            .vi
            .contains("cổng thông tin điện tử của xã"));
        assert!(plan_posting(d(2026, 1, 1))
            .en
            .contains("commune's web portal"));
        assert!(plan_posting(d(2026, 1, 1))
            .en
            .contains("a dialogue is held within 30 days"));
        // Rules that did not change have one version, in force on every day.
        assert_eq!(in_force("notice_lapse", d(2026, 1, 1)), &NOTICE_LAPSE);
        assert_eq!(find("no_such_topic", d(2026, 1, 1)), None);
    }

    #[test]
    #[should_panic(expected = "not a topic")]
    fn an_unknown_topic_is_a_programming_error() {
        let _ = in_force("notice_min_agricultural_typo", d(2026, 1, 1));
    }

    #[test]
    fn the_plan_approver_by_the_approval_date() {
        let before = plan_approver(d(2025, 6, 30));
        assert_eq!(before.code, "plan_approver");
        assert!(
            before.vi.starts_with("Ủy ban nhân dân cấp huyện"),
            "{}",
            before.vi
        );
        assert!(before.en.contains("district People's Committee"));
        let after = plan_approver(d(2025, 7, 1));
        assert_eq!(after.code, "plan_approver_2025_07");
        assert!(
            after.vi.starts_with("Chủ tịch Ủy ban nhân dân cấp xã"),
            "{}",
            after.vi
        );
        assert!(after
            .en
            .contains("chairman of the commune People's Committee"));
        assert_eq!(after.article, "Nghị định 151/2025/NĐ-CP Điều 5");
        assert_eq!((before.term, after.term), (Term::None, Term::None));
        assert_eq!(plan_approver(d(2024, 9, 1)), before);
        assert_eq!(plan_approver(d(2026, 12, 5)), after);
    }

    #[test]
    fn the_compensation_rules_the_plan_cites() {
        for (code, article) in [
            (
                "late_payment_interest",
                "LĐĐ 2024 Điều 94(3); Luật Quản lý thuế 2019 Điều 59",
            ),
            ("revised_plan_price_floor", "LĐĐ 2024 Điều 94(5)"),
            (
                "deduction_land_only",
                "LĐĐ 2024 Điều 94(6); Nghị định 88/2024/NĐ-CP Điều 25",
            ),
            (
                "deposit_refused_money",
                "LĐĐ 2024 Điều 94(4); Nghị định 88/2024/NĐ-CP Điều 25",
            ),
            (
                "job_change_cap",
                "LĐĐ 2024 Điều 109; Nghị định 88/2024/NĐ-CP Điều 22",
            ),
            ("life_stabilisation", "Nghị định 88/2024/NĐ-CP Điều 19"),
            ("remaining_investment", "Nghị định 88/2024/NĐ-CP Điều 17"),
        ] {
            let r = in_force(code, d(2026, 12, 5));
            assert_eq!(r.article, article, "{code}");
            assert_eq!(r.term, Term::None, "{code}");
        }
        assert!(LATE_PAYMENT_INTEREST.vi.contains("0,03%/ngày"));
        assert!(JOB_CHANGE_CAP.vi.contains("05 lần"));
        let price = "compensation_land_price";
        assert!(in_force(price, d(2025, 12, 31))
            .vi
            .contains("giá đất cụ thể"));
        assert!(in_force(price, d(2026, 1, 1))
            .vi
            .contains("hệ số điều chỉnh"));
        assert_eq!(
            in_force("other_support", d(2026, 1, 1)).article,
            "Nghị quyết 254/2025/QH15 Điều 3(12)"
        );
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
        assert_eq!(NOTICE_MIN_AGRICULTURAL_2026.term, Term::Days(60));
        assert_eq!(NOTICE_MIN_NON_AGRICULTURAL_2026.term, Term::Days(120));
        assert_eq!(PLAN_POSTING_2026.days(), 10);
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
