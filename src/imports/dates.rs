//! Dates as household registers hold them: Excel date serials (a date cell, or a number in a
//! date column), Vietnamese `dd/mm/yyyy` text (also `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`),
//! ISO `yyyy-mm-dd` (with or without a time), or a year alone. Pure functions.
use chrono::{Datelike, NaiveDate};

/// What a date cell gives: a full date, or only a year (registers often know no more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellDate {
    Day(NaiveDate),
    Year(i32),
}

impl CellDate {
    pub fn year(self) -> i32 {
        match self {
            CellDate::Day(d) => d.year(),
            CellDate::Year(y) => y,
        }
    }
}

/// Years taken as a year alone rather than as an Excel serial (serial 1900 is in 1905).
const YEARS: std::ops::RangeInclusive<i64> = 1800..=2200;

/// An Excel serial (days since 1899-12-30, the 1900 leap-year bug included) as a date.
pub fn from_serial(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_days(chrono::Days::new(serial.floor() as u64))
}

/// Reads a date cell: `numeric` when the spreadsheet held a number (a serial or a year).
pub fn parse(raw: &str, numeric: bool) -> Option<CellDate> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<i64>() {
        if YEARS.contains(&n) && (s.len() == 4 || numeric) {
            return i32::try_from(n).ok().map(CellDate::Year);
        }
        return numeric
            .then(|| from_serial(n as f64))
            .flatten()
            .map(CellDate::Day);
    }
    if numeric {
        if let Ok(f) = s.parse::<f64>() {
            return from_serial(f).map(CellDate::Day);
        }
    }
    // ISO, possibly with a time: 2021-01-15, 2021-01-15T00:00:00.
    let date_part = s.split(['T', ' ']).next().unwrap_or(s);
    if let Ok(d) = NaiveDate::parse_from_str(date_part, "%Y-%m-%d") {
        if date_part.len() >= 8 && date_part.as_bytes().get(4) == Some(&b'-') {
            return Some(CellDate::Day(d));
        }
    }
    // Day first, as Vietnam writes it.
    let parts: Vec<&str> = s.split(['/', '-', '.']).map(str::trim).collect();
    if let [d, m, y] = parts[..] {
        let ok = |p: &str, max: usize| {
            !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
        };
        if ok(d, 2) && ok(m, 2) && y.len() == 4 && ok(y, 4) {
            return NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
                .map(CellDate::Day);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Option<CellDate> {
        NaiveDate::from_ymd_opt(y, m, d).map(CellDate::Day)
    }

    #[test]
    fn serials_text_and_iso() {
        assert_eq!(parse("32874", true), day(1990, 1, 1));
        assert_eq!(parse("44211", true), day(2021, 1, 15));
        assert_eq!(parse("44211.5", true), day(2021, 1, 15));
        assert_eq!(parse("15/01/2021", false), day(2021, 1, 15));
        assert_eq!(parse("5/1/2021", false), day(2021, 1, 5));
        assert_eq!(parse("15-01-2021", false), day(2021, 1, 15));
        assert_eq!(parse("15.01.2021", false), day(2021, 1, 15));
        assert_eq!(parse("2021-01-15", false), day(2021, 1, 15));
        assert_eq!(parse("2021-01-15T00:00:00", false), day(2021, 1, 15));
        assert_eq!(parse("1975", false), Some(CellDate::Year(1975)));
        assert_eq!(parse("1975", true), Some(CellDate::Year(1975)));
    }

    #[test]
    fn nonsense_is_none() {
        assert_eq!(parse("31/02/2021", false), None);
        assert_eq!(parse("15/13/2021", false), None);
        assert_eq!(parse("01/15/21", false), None);
        assert_eq!(parse("hôm qua", false), None);
        assert_eq!(parse("44211", false), None);
        assert_eq!(parse("-5", true), None);
        assert_eq!(parse("", true), None);
    }
}
