//! The Vietnamese lunisolar calendar, computed (not tabulated): Hồ Ngọc Đức's algorithm —
//! new moons after Meeus' *Astronomical Algorithms* and the sun's longitude, both at Vietnam's
//! meridian (UTC+7). A month starts on the local day of its new moon; month 11 holds the winter
//! solstice; in a 13-month year the first month without a major solar term is the leap month.
//! Vietnam's calendar differs from China's (UTC+8) in some years, e.g. Tết 1985 (21 Jan here,
//! 20 Feb in China).
use chrono::{Datelike, NaiveDate};
use std::f64::consts::PI;

/// Hours east of UTC of the meridian the Vietnamese calendar uses.
pub const VN_TIME_ZONE: f64 = 7.0;

/// A lunar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LunarDate {
    pub day: u32,
    pub month: u32,
    pub year: i32,
    pub leap: bool,
}

/// Julian day number of a (proleptic Gregorian) date.
pub fn jd(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) + 1_721_425
}

fn from_jd(jd: i64) -> Option<NaiveDate> {
    i32::try_from(jd - 1_721_425)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// Julian day (TT-corrected) of the k-th new moon after 1900-01-01.
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let mut c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    jd1 + c1 - delta_t
}

/// The local day (Julian day number) of the k-th new moon.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k) + 0.5 + VN_TIME_ZONE / 24.0).floor() as i64
}

/// The sun's apparent longitude at Julian day `jdn`, in radians in [0, 2π).
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2_451_545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mut dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin();
    dl += (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin() + 0.000_290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - 2.0 * PI * (l / (2.0 * PI)).floor()
}

/// Which of the 12 solar-term sectors (0..=11, 30° each) the sun is in at the start of a local day.
fn sun_sector(day: i64) -> i64 {
    (sun_longitude(day as f64 - 0.5 - VN_TIME_ZONE / 24.0) / PI * 6.0).floor() as i64
}

/// The first day (JDN) of lunar month 11 of the lunar year that ends in Gregorian year `year`.
fn month_11(year: i32) -> i64 {
    let off = ymd_jd(year, 12, 31) - 2_415_021;
    let k = (off as f64 / 29.530_588_853).floor() as i64;
    let nm = new_moon_day(k);
    if sun_sector(nm) >= 9 {
        new_moon_day(k - 1)
    } else {
        nm
    }
}

fn ymd_jd(y: i32, m: u32, d: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, m, d).map_or(0, jd)
}

/// In a 13-month year starting at month 11 (`a11`), the offset of the leap month.
fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - 2_415_021.076_998_695) / 29.530_588_853 + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// The lunar date of a Gregorian date (Vietnamese calendar).
pub fn to_lunar(date: NaiveDate) -> LunarDate {
    let day_number = jd(date);
    let mut k = ((day_number as f64 - 2_415_021.076_998_695) / 29.530_588_853).floor() as i64 + 1;
    let mut month_start = new_moon_day(k);
    // The mean-month estimate can be one month ahead (the original algorithm then yields a
    // "day 0", e.g. on 7 May 2054): step back until the month starts on or before the day.
    while month_start > day_number {
        k -= 1;
        month_start = new_moon_day(k);
    }
    let yy = date.year();
    let mut a11 = month_11(yy);
    let b11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        b11 = a11;
        a11 = month_11(yy - 1);
    } else {
        lunar_year = yy + 1;
        b11 = month_11(yy + 1);
    }
    let lunar_day = day_number - month_start + 1;
    let diff = (month_start - a11) / 29;
    let mut leap = false;
    let mut month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = leap_month_offset(a11);
        if diff >= leap_diff {
            month = diff + 10;
            leap = diff == leap_diff;
        }
    }
    if month > 12 {
        month -= 12;
    }
    if month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    LunarDate {
        day: lunar_day as u32,
        month: month as u32,
        year: lunar_year,
        leap,
    }
}

/// The Gregorian date of a lunar date, or None when it does not exist (a leap month the year
/// does not have, or a day past the month's end).
pub fn from_lunar(l: LunarDate) -> Option<NaiveDate> {
    if !(1..=12).contains(&l.month) || !(1..=30).contains(&l.day) {
        return None;
    }
    let (a11, b11) = if l.month < 11 {
        (month_11(l.year - 1), month_11(l.year))
    } else {
        (month_11(l.year), month_11(l.year + 1))
    };
    let k = (0.5 + (a11 as f64 - 2_415_021.076_998_695) / 29.530_588_853).floor() as i64;
    let mut off = i64::from(l.month) - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_off = leap_month_offset(a11);
        let mut leap_month = leap_off - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if l.leap && i64::from(l.month) != leap_month {
            return None;
        }
        if l.leap || off >= leap_off {
            off += 1;
        }
    } else if l.leap {
        return None;
    }
    let month_start = new_moon_day(k + off);
    let next_start = new_moon_day(k + off + 1);
    if i64::from(l.day) > next_start - month_start {
        return None;
    }
    from_jd(month_start + i64::from(l.day) - 1)
}

/// Tết Nguyên Đán: the first day of the first lunar month of `year`.
pub fn tet(year: i32) -> Option<NaiveDate> {
    from_lunar(LunarDate {
        day: 1,
        month: 1,
        year,
        leap: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn tet_matches_published_dates() {
        // Published Vietnamese Tết dates (first day of the first lunar month).
        let published = [
            (1985, d(1985, 1, 21)), // Vietnam's own calendar; China had 20 Feb 1985
            (1990, d(1990, 1, 27)),
            (2000, d(2000, 2, 5)),
            (2007, d(2007, 2, 17)), // China: 18 Feb 2007
            (2010, d(2010, 2, 14)),
            (2015, d(2015, 2, 19)),
            (2016, d(2016, 2, 8)),
            (2017, d(2017, 1, 28)),
            (2018, d(2018, 2, 16)),
            (2019, d(2019, 2, 5)),
            (2020, d(2020, 1, 25)),
            (2021, d(2021, 2, 12)),
            (2022, d(2022, 2, 1)),
            (2023, d(2023, 1, 22)),
            (2024, d(2024, 2, 10)),
            (2025, d(2025, 1, 29)),
            (2026, d(2026, 2, 17)),
            (2027, d(2027, 2, 6)),
            (2028, d(2028, 1, 26)),
            (2029, d(2029, 2, 13)),
            // New moon at 23:07 UTC+7 on 2 Feb 2030 (00:07 UTC+8 on 3 Feb): Vietnam's Tết is 2
            // Feb 2030, China's 3 Feb.
            (2030, d(2030, 2, 2)),
        ];
        for (year, date) in published {
            assert_eq!(tet(year), Some(date), "Tết {year}");
            let l = to_lunar(date);
            assert_eq!((l.day, l.month, l.year, l.leap), (1, 1, year, false));
        }
    }

    #[test]
    fn known_lunar_dates() {
        // Hùng Kings' day 10/3: 21 Apr 2021, 10 Apr 2022, 29 Apr 2023, 18 Apr 2024, 7 Apr 2025.
        for (year, date) in [
            (2021, d(2021, 4, 21)),
            (2022, d(2022, 4, 10)),
            (2023, d(2023, 4, 29)),
            (2024, d(2024, 4, 18)),
            (2025, d(2025, 4, 7)),
        ] {
            let l = LunarDate {
                day: 10,
                month: 3,
                year,
                leap: false,
            };
            assert_eq!(from_lunar(l), Some(date), "Giỗ Tổ {year}");
        }
        // Leap month 2 of 2023 (Quý Mão) began on 22 Mar 2023; leap month 6 of 2025 on 25 Jul.
        let l = to_lunar(d(2023, 3, 22));
        assert_eq!((l.day, l.month, l.leap), (1, 2, true));
        let l = to_lunar(d(2025, 7, 25));
        assert_eq!((l.day, l.month, l.leap), (1, 6, true));
        // A leap month the year does not have.
        assert_eq!(
            from_lunar(LunarDate {
                day: 1,
                month: 5,
                year: 2024,
                leap: true
            }),
            None
        );
        // Feb 29 of a leap year: 20th of month 1, Giáp Thìn.
        let l = to_lunar(d(2024, 2, 29));
        assert_eq!((l.day, l.month, l.year, l.leap), (20, 1, 2024, false));
    }

    #[test]
    fn round_trip_every_day_1990_2060() {
        let mut date = d(1990, 1, 1);
        let end = d(2060, 12, 31);
        while date <= end {
            let l = to_lunar(date);
            assert_eq!(from_lunar(l), Some(date), "{date} -> {l:?}");
            date = date.succ_opt().unwrap();
        }
    }

    #[test]
    fn thirtieth_day_exists_only_in_long_months() {
        // The eve of Tết 2024 was the 30th of month 12 (9 Feb 2024); month 12 of 2024 (lunar)
        // had only 29 days: its last day was 28 Jan 2025.
        let eve = to_lunar(d(2024, 2, 9));
        assert_eq!((eve.day, eve.month, eve.year), (30, 12, 2023));
        let eve = to_lunar(d(2025, 1, 28));
        assert_eq!((eve.day, eve.month, eve.year), (29, 12, 2024));
        assert_eq!(
            from_lunar(LunarDate {
                day: 30,
                month: 12,
                year: 2024,
                leap: false
            }),
            None
        );
    }
}
