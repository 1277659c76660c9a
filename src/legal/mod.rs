//! The legal rules (LEGAL.md) in one table: stage prerequisites and time limits with their
//! articles, grievance deadlines, public holidays and the lunar calendar for Tết (issue 6).
//! Pure: no HTTP, no database; the cases, grievances and alerts modules call it.
pub mod calendar;
pub mod grievance;
pub mod lunar;
pub mod rules;
pub mod stages;

pub use calendar::{
    holidays, is_enforcement_allowed, is_holiday, is_working_day, term_end, working_days_after,
    working_days_between, Refusal,
};
pub use grievance::{
    appeal_by, grievance_deadlines, Complexity, Deadlines, Due, GrievanceFacts, GrievanceKind,
};
pub use rules::{Rule, Term};
pub use stages::{
    check_stage, deadline, deadline_in, prerequisite, stage_rule, Deadline, LandKind, Recorded,
    Violation,
};

/// Tết Nguyên Đán of `year` (the first day of the first lunar month, Vietnamese calendar).
pub fn tet(year: i32) -> Option<chrono::NaiveDate> {
    lunar::tet(year)
}
