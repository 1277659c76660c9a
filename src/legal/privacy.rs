//! The personal-data law's time limits (Law 91/2025/QH15, Decree 356/2025/NĐ-CP, from
//! 1 January 2026): a data subject's request is acknowledged within 2 working days and
//! completed within 15 days, with one extension of 15 days; a breach is notified to the
//! authority within 72 hours. The numbers live in the rules table; this counts them.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};

use super::calendar::{term_end, working_days_after};
use super::rules::{in_force, Rule, Term};

/// The deadlines of a request received on `received_on`, by the rules in force that day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestDeadlines {
    /// Acknowledge by (inclusive); None when no limit applies.
    pub ack_by: Option<NaiveDate>,
    /// Complete by (inclusive); None when no limit applies.
    pub due_on: Option<NaiveDate>,
    pub ack_rule: &'static Rule,
    pub due_rule: &'static Rule,
}

/// The end of `term` counted from `start`: working days skip weekends and holidays; calendar
/// days end on a working day (Civil Code Art. 148(5)); no term, no end.
fn end_of(start: NaiveDate, term: Term) -> Option<NaiveDate> {
    match term {
        Term::WorkingDays(n) => Some(working_days_after(start, u32::try_from(n).unwrap_or(0))),
        Term::Days(n) => Some(term_end(start, n)),
        Term::Months(m) => Some(super::calendar::term_end_months(start, m)),
        Term::None => None,
    }
}

/// The acknowledgement and completion deadlines of a request received on `received_on`.
pub fn request_deadlines(received_on: NaiveDate) -> RequestDeadlines {
    let ack_rule = in_force("privacy_request_ack", received_on);
    let due_rule = in_force("privacy_request_complete", received_on);
    RequestDeadlines {
        ack_by: end_of(received_on, ack_rule.term),
        due_on: end_of(received_on, due_rule.term),
        ack_rule,
        due_rule,
    }
}

/// The rule of the one extension for a request received on `received_on`.
pub fn extension_rule(received_on: NaiveDate) -> &'static Rule {
    in_force("privacy_request_extension", received_on)
}

/// The completion deadline after the one extension: the extension's term counted from the
/// deadline it extends. None when the rule in force allows no extension.
pub fn extended_due(received_on: NaiveDate, due_on: NaiveDate) -> Option<NaiveDate> {
    end_of(due_on, extension_rule(received_on).term)
}

/// The breach-notification rule in force on the day a breach was discovered (Vietnam time).
pub fn breach_rule(discovered_at: DateTime<FixedOffset>) -> &'static Rule {
    let vn = discovered_at.naive_utc() + Duration::hours(7);
    in_force("privacy_breach_report", vn.date())
}

/// When the authority must have been told of a breach discovered at `discovered_at`: the
/// rule's days as whole hours (3 days = 72 hours), not rolled to a working day.
pub fn breach_report_due(discovered_at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    discovered_at + Duration::hours(24 * breach_rule(discovered_at).days())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn acknowledgement_skips_the_weekend_and_completion_ends_on_a_working_day() {
        // Friday 6 March 2026: Monday and Tuesday are the two working days.
        let r = request_deadlines(d(2026, 3, 6));
        assert_eq!(r.ack_by, Some(d(2026, 3, 10)));
        // 15 days later is Saturday 21 March: the term ends on Monday 23 March.
        assert_eq!(r.due_on, Some(d(2026, 3, 23)));
        assert_eq!(r.ack_rule.code, "privacy_request_ack_2026");
        assert_eq!(r.due_rule.term, Term::Days(15));
        // A Tuesday: Wednesday and Thursday.
        assert_eq!(request_deadlines(d(2026, 3, 3)).ack_by, Some(d(2026, 3, 5)));
        // One extension of 15 days from the deadline.
        assert_eq!(
            extended_due(d(2026, 3, 6), d(2026, 3, 23)),
            Some(d(2026, 4, 7))
        );
    }

    #[test]
    fn before_2026_no_deadline_is_computed() {
        let r = request_deadlines(d(2025, 12, 31));
        assert_eq!((r.ack_by, r.due_on), (None, None));
        assert_eq!(extended_due(d(2025, 12, 31), d(2026, 1, 15)), None);
        assert!(request_deadlines(d(2026, 1, 1)).ack_by.is_some());
    }

    #[test]
    fn a_breach_is_reported_within_72_hours() {
        let at = DateTime::parse_from_rfc3339("2026-03-06T22:30:00+07:00").unwrap_or_default();
        assert_eq!(
            breach_report_due(at),
            DateTime::parse_from_rfc3339("2026-03-09T22:30:00+07:00").unwrap_or_default()
        );
        assert_eq!(breach_rule(at).code, "privacy_breach_report_2026");
    }
}
