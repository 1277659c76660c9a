//! The legal rules (LEGAL.md) in one table: stage prerequisites and time limits with their
//! articles, grievance deadlines, public holidays and the lunar calendar for Tết (issue 6).
//! Pure: no HTTP, no database; the cases, grievances and alerts modules call it.
pub mod calendar;
pub mod grievance;
pub mod lunar;
pub mod privacy;
pub mod rules;
pub mod stages;

pub use calendar::{
    holidays, is_enforcement_allowed, is_holiday, is_working_day, term_end, working_days_after,
    working_days_between, Refusal,
};
pub use grievance::{
    appeal_by, grievance_deadlines, Complexity, Deadlines, Due, GrievanceFacts, GrievanceKind,
};
pub use rules::{in_force, plan_approver, plan_posting, Rule, Term};
pub use stages::{
    check_stage, deadline, deadline_in, deadline_rule, decision_allowed_from, plan_approvable_from,
    prerequisite, stage_rule, stage_rule_on, Deadline, LandKind, Recorded, Violation,
};

/// Tết Nguyên Đán of `year` (the first day of the first lunar month, Vietnamese calendar).
pub fn tet(year: i32) -> Option<chrono::NaiveDate> {
    lunar::tet(year)
}

/// The day `pin_today` fixed for this process (`gpmb serve --today`), if any.
static PINNED_TODAY: std::sync::OnceLock<chrono::NaiveDate> = std::sync::OnceLock::new();

/// Fixes "today" for the whole process (`gpmb serve --demo --today YYYY-MM-DD`, for tests and
/// demonstrations): the demo is built on that day and deadlines are counted against it. Only
/// the first call counts; returns false when today was already pinned to another day.
pub fn pin_today(day: chrono::NaiveDate) -> bool {
    *PINNED_TODAY.get_or_init(|| day) == day
}

/// Today's date in Vietnam (UTC+7): the "today" deadlines are counted against (or the day
/// [`pin_today`] fixed).
pub fn today_vn() -> chrono::NaiveDate {
    PINNED_TODAY
        .get()
        .copied()
        .unwrap_or_else(|| (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive())
}

/// A rule as the API shows it: the version in force on the date of the event it governs.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RuleDto {
    pub code: String,
    /// Shared by the versions of one rule, e.g. `notice_min_agricultural`.
    pub topic: String,
    /// E.g. `LĐĐ 2024 Điều 87(5)`.
    pub article: String,
    /// i18n key of the description.
    pub key: String,
    pub vi: String,
    pub en: String,
    /// First day this version is in force (inclusive); null: open.
    pub valid_from: Option<chrono::NaiveDate>,
    /// Last day this version is in force (inclusive); null: still in force.
    pub valid_until: Option<chrono::NaiveDate>,
}

impl From<&Rule> for RuleDto {
    fn from(r: &Rule) -> Self {
        RuleDto {
            code: r.code.into(),
            topic: r.topic.into(),
            article: r.article.into(),
            key: r.key.into(),
            vi: r.vi.into(),
            en: r.en.into(),
            valid_from: r.valid_from,
            valid_until: r.valid_until,
        }
    }
}
