//! Public holidays of Vietnam, working days, the end of a legal term and when enforcement may
//! take place.
//!
//! Holidays (Labour Code 2019 Art. 112(1)): 1 January; Tết — 5 days, taken here as the last
//! day of the lunar year and the 1st to 4th of the first lunar month (the Government fixes the
//! exact days each year around these); Hùng Kings' day (10th of the 3rd lunar month); 30 April;
//! 1 May; National Day 2 September plus one adjacent day, which the Prime Minister picks each
//! year (1 or 3 September): both candidates are counted, so enforcement is never put on either.
//! Days off in lieu of a holiday on a weekend (nghỉ bù) are not counted.
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::lunar::{from_lunar, tet, LunarDate};
use super::rules::{self, Rule};

/// The Tết holiday days of the lunar year starting in Gregorian `year`, in order.
pub fn tet_holidays(year: i32) -> Vec<NaiveDate> {
    let Some(first) = tet(year) else {
        return Vec::new();
    };
    (-1..=3).map(|i| first + Duration::days(i)).collect()
}

/// Every public holiday falling in Gregorian `year`, sorted.
pub fn holidays(year: i32) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(12);
    let fixed = [(1, 1), (4, 30), (5, 1), (9, 1), (9, 2), (9, 3)];
    out.extend(
        fixed
            .iter()
            .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(year, m, d)),
    );
    // Tết of this year, and the eve of next year's Tết if it falls in this December (never
    // happens: Tết is between 21 Jan and 20 Feb; kept general anyway).
    for y in [year, year + 1] {
        out.extend(tet_holidays(y).into_iter().filter(|d| d.year() == year));
    }
    if let Some(hung) = from_lunar(LunarDate {
        day: 10,
        month: 3,
        year,
        leap: false,
    }) {
        out.push(hung);
    }
    out.sort_unstable();
    out.dedup();
    out
}

pub fn is_holiday(date: NaiveDate) -> bool {
    holidays(date.year()).contains(&date)
}

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

pub fn is_working_day(date: NaiveDate) -> bool {
    !is_weekend(date) && !is_holiday(date)
}

/// The date `n` working days after `start` (the start day itself not counted).
pub fn working_days_after(start: NaiveDate, n: u32) -> NaiveDate {
    let mut date = start;
    let mut left = n;
    while left > 0 {
        date += Duration::days(1);
        if is_working_day(date) {
            left -= 1;
        }
    }
    date
}

/// Working days from `from` (exclusive) to `to` (inclusive); negative when `to` is earlier.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let (a, b, sign) = if to >= from {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut n = 0;
    let mut d = a;
    while d < b {
        d += Duration::days(1);
        if is_working_day(d) {
            n += 1;
        }
    }
    sign * n
}

/// The last day of a term of `days` calendar days counted from the day after `start`
/// (Civil Code 2015 Art. 147); when it falls on a weekend or holiday the term ends with the
/// next working day (Art. 148(5)).
pub fn term_end(start: NaiveDate, days: i64) -> NaiveDate {
    roll_to_working_day(start + Duration::days(days))
}

/// A term counted in months: the same day `months` later (the last day of a shorter month),
/// rolled to a working day like `term_end`.
pub fn term_end_months(start: NaiveDate, months: u32) -> NaiveDate {
    let end = start
        .checked_add_months(chrono::Months::new(months))
        .unwrap_or(start);
    roll_to_working_day(end)
}

pub fn roll_to_working_day(mut date: NaiveDate) -> NaiveDate {
    while !is_working_day(date) {
        date += Duration::days(1);
    }
    date
}

/// The days on which no enforcement may take place because of Tết: 15 days before the first
/// Tết holiday to 15 days after the last one, inclusive.
pub fn tet_quiet_period(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    let days = tet_holidays(year);
    let rule = rules::in_force(rules::ENFORCEMENT_TET.topic, days.first().copied()?);
    let margin = Duration::days(rule.days());
    Some((*days.first()? - margin, *days.last()? + margin))
}

/// Why enforcement may not take place at a given local time, with the rule that says so.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub rule: &'static Rule,
    /// What is wrong, in English.
    pub reason: String,
    /// The nearest allowed local time at or after the one asked for.
    pub next_allowed: NaiveDateTime,
}

/// The reason, if any, a local (Vietnam) date-time is closed to enforcement.
fn closed(at: NaiveDateTime) -> Option<(&'static Rule, String)> {
    let date = at.date();
    // The enforcement rules in force on the day asked for.
    let on = |rule: &'static Rule| rules::in_force(rule.topic, date);
    let hour = at.time().hour_of_day();
    if let Some((from, to)) =
        tet_quiet_period(date.year()).filter(|(f, t)| (*f..=*t).contains(&date))
    {
        return Some((
            on(&rules::ENFORCEMENT_TET),
            format!(
                "{date} is within 15 days before or after the Tết holiday ({from} to {to} is closed to enforcement)"
            ),
        ));
    }
    if is_holiday(date) {
        return Some((
            on(&rules::ENFORCEMENT_HOLIDAYS),
            format!("{date} is a public holiday"),
        ));
    }
    if is_weekend(date) {
        return Some((
            on(&rules::ENFORCEMENT_HOLIDAYS),
            format!("{date} is a weekend rest day"),
        ));
    }
    if !(6..22).contains(&hour) {
        return Some((
            on(&rules::ENFORCEMENT_HOURS),
            format!(
                "{} is at night: enforcement may not take place from 22:00 to 06:00",
                at.format("%H:%M")
            ),
        ));
    }
    None
}

trait HourOfDay {
    fn hour_of_day(&self) -> u32;
}

impl HourOfDay for NaiveTime {
    fn hour_of_day(&self) -> u32 {
        use chrono::Timelike;
        self.hour()
    }
}

/// Whether enforcement may be scheduled at the local (Vietnam) time `at` (LĐĐ 2024 Art. 89):
/// not from 22:00 to 06:00, not on rest days or public holidays, not within 15 days before
/// or after the Tết holiday. A refusal names the rule and the nearest allowed time after.
pub fn is_enforcement_allowed(at: NaiveDateTime) -> Result<(), Refusal> {
    let Some((rule, reason)) = closed(at) else {
        return Ok(());
    };
    Err(Refusal {
        rule,
        reason,
        next_allowed: next_allowed(at),
    })
}

/// The first allowed time at or after `at`: the same time on a later open day, or 08:00 when
/// the time itself is at night.
fn next_allowed(at: NaiveDateTime) -> NaiveDateTime {
    let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default();
    let hour = at.time().hour_of_day();
    let mut candidate = if hour >= 22 {
        (at.date() + Duration::days(1)).and_time(eight)
    } else if hour < 6 {
        at.date().and_time(eight)
    } else {
        at
    };
    // At most a Tết quiet period (~35 days) plus a weekend away; bound the walk anyway.
    for _ in 0..400 {
        if closed(candidate).is_none() {
            return candidate;
        }
        candidate = (candidate.date() + Duration::days(1)).and_time(candidate.time());
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn holidays_of_2025() {
        let h = holidays(2025);
        for day in [
            d(2025, 1, 1),
            d(2025, 1, 28), // 29 tháng Chạp: the last day of the lunar year
            d(2025, 1, 29), // Tết
            d(2025, 2, 1),  // 4 tháng Giêng
            d(2025, 4, 7),  // Giỗ Tổ Hùng Vương
            d(2025, 4, 30),
            d(2025, 5, 1),
            d(2025, 9, 1),
            d(2025, 9, 2),
        ] {
            assert!(h.contains(&day), "{day} should be a holiday");
        }
        assert!(!h.contains(&d(2025, 2, 2)));
        assert!(!h.contains(&d(2025, 1, 27)));
        assert_eq!(tet_holidays(2024).first(), Some(&d(2024, 2, 9)));
        assert_eq!(tet_holidays(2024).last(), Some(&d(2024, 2, 13)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Friday 25 Apr 2025 + 5 working days: Mon 28, Tue 29, (30 Apr, 1 May holidays),
        // Fri 2 May, Mon 5, Tue 6 May.
        assert_eq!(working_days_after(d(2025, 4, 25), 5), d(2025, 5, 6));
        // Across Tết 2026 (16–20 Feb 2026 are holidays; 14–15 and 21–22 weekends).
        assert_eq!(working_days_after(d(2026, 2, 13), 1), d(2026, 2, 23));
        assert_eq!(working_days_after(d(2026, 2, 13), 5), d(2026, 2, 27));
        assert_eq!(working_days_between(d(2026, 2, 13), d(2026, 2, 27)), 5);
        assert_eq!(working_days_between(d(2026, 2, 27), d(2026, 2, 13)), -5);
        assert_eq!(working_days_after(d(2025, 4, 25), 0), d(2025, 4, 25));
    }

    #[test]
    fn term_end_counts_from_the_next_day_and_rolls_past_rest_days() {
        // 10 days from Thursday 2 Jan 2025 ends Sunday 12 Jan → Monday 13 Jan.
        assert_eq!(term_end(d(2025, 1, 2), 10), d(2025, 1, 13));
        // 30 days from 1 Oct 2025 → Friday 31 Oct (the 30th day itself).
        assert_eq!(term_end(d(2025, 10, 1), 30), d(2025, 10, 31));
        // Leap year: 30 days from 30 Jan 2024 is 29 Feb 2024 (a Thursday).
        assert_eq!(term_end(d(2024, 1, 30), 30), d(2024, 2, 29));
        // The same start in 2023 (no 29 Feb) ends 1 Mar.
        assert_eq!(term_end(d(2023, 1, 30), 30), d(2023, 3, 1));
        // 12 months from 29 Feb 2024 → 28 Feb 2025 (a Friday).
        assert_eq!(term_end_months(d(2024, 2, 29), 12), d(2025, 2, 28));
        // A term ending in the Tết holiday ends after it: 10 days from 19 Jan 2025 → 29 Jan
        // (Tết) → first working day Monday 3 Feb 2025.
        assert_eq!(term_end(d(2025, 1, 19), 10), d(2025, 2, 3));
    }

    #[test]
    fn enforcement_refused_at_night_on_holidays_and_around_tet() {
        assert!(is_enforcement_allowed(t(2025, 6, 10, 8, 0)).is_ok());
        assert!(is_enforcement_allowed(t(2025, 6, 10, 21, 59)).is_ok());
        assert!(is_enforcement_allowed(t(2025, 6, 10, 6, 0)).is_ok());
        let night = is_enforcement_allowed(t(2025, 6, 10, 22, 0)).unwrap_err();
        assert_eq!(night.rule.code, rules::ENFORCEMENT_HOURS.code);
        assert_eq!(night.next_allowed, t(2025, 6, 11, 8, 0));
        let early = is_enforcement_allowed(t(2025, 6, 10, 5, 59)).unwrap_err();
        assert_eq!(early.next_allowed, t(2025, 6, 10, 8, 0));
        let holiday = is_enforcement_allowed(t(2025, 9, 2, 9, 0)).unwrap_err();
        assert_eq!(holiday.rule.code, rules::ENFORCEMENT_HOLIDAYS.code);
        assert_eq!(holiday.next_allowed, t(2025, 9, 4, 9, 0));
        let weekend = is_enforcement_allowed(t(2025, 6, 14, 9, 0)).unwrap_err();
        assert_eq!(weekend.next_allowed, t(2025, 6, 16, 9, 0));
    }

    #[test]
    fn tet_quiet_period_for_several_years() {
        // (Tết, first closed day, last closed day): 15 days around eve..4th day of Tết.
        for (year, tet_day) in [
            (2024, d(2024, 2, 10)),
            (2025, d(2025, 1, 29)),
            (2026, d(2026, 2, 17)),
            (2027, d(2027, 2, 6)),
            (2028, d(2028, 1, 26)),
        ] {
            let (from, to) = tet_quiet_period(year).unwrap();
            assert_eq!(from, tet_day - Duration::days(16), "{year}");
            assert_eq!(to, tet_day + Duration::days(18), "{year}");
            let at = |date: NaiveDate| date.and_hms_opt(9, 0, 0).unwrap();
            let r = is_enforcement_allowed(at(from)).unwrap_err();
            assert_eq!(r.rule.code, rules::ENFORCEMENT_TET.code, "{year}");
            assert!(is_enforcement_allowed(at(to)).is_err());
            // The nearest allowed day is the first working day after the quiet period.
            assert_eq!(
                r.next_allowed.date(),
                roll_to_working_day(to + Duration::days(1))
            );
            // The day before the period is open unless it is a rest day.
            let before = from - Duration::days(1);
            assert_eq!(
                is_enforcement_allowed(at(before)).is_ok(),
                is_working_day(before)
            );
        }
    }
}
