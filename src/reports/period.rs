//! Reporting periods (LEGAL.md "Reporting cadence"): calendar quarters `2021-Q1`, halves
//! `2021-H1` and years `2021`, each with its previous period and its Vietnamese name.
use chrono::{Datelike, Duration, NaiveDate};

use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    Quarter(u32),
    Half(u32),
    Year,
}

/// A calendar period, first and last day included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub kind: PeriodKind,
}

const PERIOD_HELP: &str = "write the period as YYYY-Qn (quarter, n = 1..4), YYYY-Hn (half-year, n = 1..2) or YYYY (year), e.g. 2021-Q1";

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

impl Period {
    pub fn parse(s: &str) -> Result<Period, AppError> {
        let bad = || AppError::BadRequest(format!("invalid period `{s}`: {PERIOD_HELP}"));
        let s = s.trim();
        let (year, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(1900..=2200).contains(&year) {
            return Err(bad());
        }
        let kind = match rest {
            None => PeriodKind::Year,
            Some(r) => {
                let mut chars = r.chars();
                let letter = chars.next().map(|c| c.to_ascii_uppercase());
                let n: u32 = chars.as_str().parse().map_err(|_| bad())?;
                match (letter, n) {
                    (Some('Q'), 1..=4) => PeriodKind::Quarter(n),
                    (Some('H'), 1..=2) => PeriodKind::Half(n),
                    _ => return Err(bad()),
                }
            }
        };
        Ok(Period { year, kind })
    }

    pub fn first_day(self) -> NaiveDate {
        match self.kind {
            PeriodKind::Quarter(q) => ymd(self.year, 3 * (q - 1) + 1, 1),
            PeriodKind::Half(h) => ymd(self.year, 6 * (h - 1) + 1, 1),
            PeriodKind::Year => ymd(self.year, 1, 1),
        }
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day() - Duration::days(1)
    }

    #[must_use]
    pub fn next(self) -> Period {
        let y = self.year;
        match self.kind {
            PeriodKind::Quarter(4) => Period {
                year: y + 1,
                kind: PeriodKind::Quarter(1),
            },
            PeriodKind::Quarter(q) => Period {
                year: y,
                kind: PeriodKind::Quarter(q + 1),
            },
            PeriodKind::Half(2) => Period {
                year: y + 1,
                kind: PeriodKind::Half(1),
            },
            PeriodKind::Half(h) => Period {
                year: y,
                kind: PeriodKind::Half(h + 1),
            },
            PeriodKind::Year => Period {
                year: y + 1,
                kind: PeriodKind::Year,
            },
        }
    }

    /// The period of the same length just before this one (Q1 → Q4 of the year before).
    #[must_use]
    pub fn previous(self) -> Period {
        let y = self.year;
        match self.kind {
            PeriodKind::Quarter(1) => Period {
                year: y - 1,
                kind: PeriodKind::Quarter(4),
            },
            PeriodKind::Quarter(q) => Period {
                year: y,
                kind: PeriodKind::Quarter(q - 1),
            },
            PeriodKind::Half(1) => Period {
                year: y - 1,
                kind: PeriodKind::Half(2),
            },
            PeriodKind::Half(h) => Period {
                year: y,
                kind: PeriodKind::Half(h - 1),
            },
            PeriodKind::Year => Period {
                year: y - 1,
                kind: PeriodKind::Year,
            },
        }
    }

    /// `2021-Q1`, `2021-H1`, `2021`: the form `parse` reads.
    pub fn code(self) -> String {
        match self.kind {
            PeriodKind::Quarter(q) => format!("{}-Q{q}", self.year),
            PeriodKind::Half(h) => format!("{}-H{h}", self.year),
            PeriodKind::Year => format!("{}", self.year),
        }
    }

    /// As an administrative report names it: "Quý I năm 2021", "6 tháng đầu năm 2021", "năm 2021".
    pub fn name_vi(self) -> String {
        match self.kind {
            PeriodKind::Quarter(q) => {
                let roman = ["I", "II", "III", "IV"]
                    .get(q as usize - 1)
                    .copied()
                    .unwrap_or("");
                format!("Quý {roman} năm {}", self.year)
            }
            PeriodKind::Half(1) => format!("6 tháng đầu năm {}", self.year),
            PeriodKind::Half(_) => format!("6 tháng cuối năm {}", self.year),
            PeriodKind::Year => format!("năm {}", self.year),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

/// dd/mm/yyyy, as Vietnamese documents write dates.
pub fn date_vi(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quarters_halves_and_years() {
        let q = Period::parse("2021-Q1").unwrap();
        assert_eq!(q.first_day(), ymd(2021, 1, 1));
        assert_eq!(q.last_day(), ymd(2021, 3, 31));
        assert_eq!(q.previous().code(), "2020-Q4");
        assert_eq!(q.previous().last_day(), ymd(2020, 12, 31));
        assert_eq!(q.name_vi(), "Quý I năm 2021");
        let q4 = Period::parse("2021-q4").unwrap();
        assert_eq!(q4.last_day(), ymd(2021, 12, 31));
        assert_eq!(q4.name_vi(), "Quý IV năm 2021");
        let h = Period::parse("2024-H1").unwrap();
        assert_eq!(h.last_day(), ymd(2024, 6, 30));
        assert_eq!(h.previous().code(), "2023-H2");
        assert_eq!(h.name_vi(), "6 tháng đầu năm 2024");
        let y = Period::parse("2021").unwrap();
        assert_eq!(
            (y.first_day(), y.last_day()),
            (ymd(2021, 1, 1), ymd(2021, 12, 31))
        );
        assert_eq!(y.previous().code(), "2020");
        // Leap-year February sits inside Q1.
        assert_eq!(
            Period::parse("2024-Q1").unwrap().last_day() - ymd(2024, 1, 1),
            Duration::days(90)
        );
    }

    #[test]
    fn rejects_bad_periods_with_a_hint() {
        for bad in [
            "", "21-Q1", "2021-Q5", "2021-Q0", "2021-H3", "2021-M1", "2021-", "abcd", "2021-Q1x",
        ] {
            let err = Period::parse(bad).unwrap_err();
            assert!(err.to_string().contains("YYYY-Qn"), "{bad}: {err}");
        }
    }
}
