//! The three CSV formats of the administrative units (those in `fixtures/admin_units/`, made by
//! `scripts/admin-units-from-pypi.py`), read and checked row by row. The shipped files and a
//! file given to `gpmb admin-units import` go through the same reader; which of the three a
//! file is, its header says.
use std::collections::HashMap;

/// Columns of `admin_units_legacy.csv`: the units before 1 July 2025.
pub const LEGACY_COLUMNS: [&str; 14] = [
    "province_code",
    "province",
    "district_code",
    "district",
    "district_type",
    "ward_code",
    "ward",
    "ward_type",
    "ward_lon",
    "ward_lat",
    "ward_min_lon",
    "ward_min_lat",
    "ward_max_lon",
    "ward_max_lat",
];

/// Columns of `admin_units_2025.csv`: the units from 1 July 2025.
pub const CURRENT_COLUMNS: [&str; 8] = [
    "province_code",
    "province",
    "ward_code",
    "ward",
    "ward_type",
    "ward_lon",
    "ward_lat",
    "area_km2",
];

/// Columns of `admin_units_2025_successors.csv`: old commune → new commune.
pub const SUCCESSOR_COLUMNS: [&str; 5] = [
    "legacy_ward_code",
    "legacy_key",
    "ward_code_2025",
    "key_2025",
    "relation",
];

/// Rows a file may hold (the whole country has about 10,600 in its largest file).
pub const MAX_ROWS: usize = 50_000;
/// Bytes a file may hold (the shipped files are 0.2 to 1.5 MB).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Row errors reported before the reader gives up.
const MAX_ERRORS: usize = 50;

/// One problem in a file: the line (1 is the header) and the column it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            )
        }
    }
}

/// A commune (or a district without communes, `ward_code` empty) before the reform.
#[derive(Clone, Debug, PartialEq)]
pub struct LegacyRow {
    pub line: u64,
    pub province_code: String,
    pub province: String,
    pub district_code: String,
    pub district: String,
    pub ward_code: String,
    pub ward: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub bbox: Option<[f64; 4]>,
}

/// A commune after the reform.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentRow {
    pub line: u64,
    pub province_code: String,
    pub province: String,
    pub ward_code: String,
    pub ward: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// How an old commune went into a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Whole into this new commune.
    Whole,
    /// Divided; this is the part its records follow.
    PartDefault,
    /// Divided; another part.
    Part,
}

/// Old commune (by code, or a district without communes by its key) → new commune.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessorRow {
    pub line: u64,
    pub legacy_ward_code: String,
    pub legacy_key: String,
    pub ward_code_2025: String,
    pub relation: Relation,
}

impl SuccessorRow {
    /// Whether the old unit's records follow this new commune.
    pub fn is_successor(&self) -> bool {
        matches!(self.relation, Relation::Whole | Relation::PartDefault)
    }
}

/// A file read whole.
#[derive(Debug)]
pub enum File {
    Legacy(Vec<LegacyRow>),
    Current(Vec<CurrentRow>),
    Successors(Vec<SuccessorRow>),
}

/// A record with named access and error collection.
struct Row<'a> {
    line: u64,
    rec: &'a csv::StringRecord,
    cols: &'a HashMap<&'static str, usize>,
    errors: &'a mut Vec<RowError>,
}

impl Row<'_> {
    fn error(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(RowError {
            line: self.line,
            column: column.to_string(),
            message: message.into(),
        });
    }

    fn text(&self, column: &str) -> String {
        self.cols
            .get(column)
            .and_then(|i| self.rec.get(*i))
            .unwrap_or("")
            .trim()
            .to_string()
    }

    fn required(&mut self, column: &str) -> String {
        let v = self.text(column);
        if v.is_empty() {
            self.error(column, "is empty");
        } else if v.chars().count() > 200 {
            self.error(column, "is longer than 200 characters");
        }
        v
    }

    /// A code of `digits` digits (`optional`: may be empty).
    fn code(&mut self, column: &str, digits: usize, optional: bool) -> String {
        let v = self.text(column);
        if v.is_empty() && optional {
            return v;
        }
        if v.len() != digits || !v.bytes().all(|b| b.is_ascii_digit()) {
            self.error(
                column,
                format!("`{v}` is not a code of {digits} digits (GSO numbering)"),
            );
        }
        v
    }

    /// A number within `range`, or nothing when the cell is empty.
    fn number(&mut self, column: &str, range: (f64, f64)) -> Option<f64> {
        let v = self.text(column);
        if v.is_empty() {
            return None;
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= range.0 && x <= range.1 => Some(x),
            Ok(_) => {
                self.error(
                    column,
                    format!("{v} lies outside {}..{} (Việt Nam)", range.0, range.1),
                );
                None
            }
            Err(_) => {
                self.error(column, format!("`{v}` is not a number"));
                None
            }
        }
    }
}

/// Longitudes and latitudes of Việt Nam with its islands, with a margin.
const LON: (f64, f64) = (100.0, 120.0);
const LAT: (f64, f64) = (5.0, 25.0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Legacy,
    Current,
    Successors,
}

impl Kind {
    fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Legacy => &LEGACY_COLUMNS,
            Kind::Current => &CURRENT_COLUMNS,
            Kind::Successors => &SUCCESSOR_COLUMNS,
        }
    }
}

/// The format whose columns the header has (extra columns are ignored).
fn header_kind(headers: &csv::StringRecord) -> Option<Kind> {
    [Kind::Legacy, Kind::Successors, Kind::Current]
        .into_iter()
        .find(|k| {
            k.columns()
                .iter()
                .all(|c| headers.iter().any(|h| h.trim() == *c))
        })
}

/// Line numbers from byte offsets (a quoted cell may span lines), counted incrementally.
struct Lines<'a> {
    text: &'a str,
    byte: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the record starting at `byte`. (csv places a record that follows a CRLF at
    /// its LF: line ends are skipped to reach the first cell.)
    fn at(&mut self, byte: u64) -> u64 {
        let bytes = self.text.as_bytes();
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while matches!(bytes.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte > self.byte {
            let newlines = self
                .text
                .get(self.byte..byte)
                .map_or(0, |t| t.matches('\n').count());
            self.line += newlines as u64;
            self.byte = byte;
        }
        self.line
    }
}

/// The format of a file from its header, and where each of its columns is.
fn header(
    reader: &mut csv::Reader<&[u8]>,
) -> Result<(Kind, HashMap<&'static str, usize>), Vec<RowError>> {
    let headers = reader.headers().cloned().map_err(|e| {
        vec![RowError {
            line: 1,
            column: String::new(),
            message: format!("the header cannot be read: {e}"),
        }]
    })?;
    let Some(kind) = header_kind(&headers) else {
        return Err(vec![RowError {
            line: 1,
            column: String::new(),
            message: format!(
                "the header is none of the three formats: {} | {} | {}",
                LEGACY_COLUMNS.join(","),
                CURRENT_COLUMNS.join(","),
                SUCCESSOR_COLUMNS.join(",")
            ),
        }]);
    };
    let cols = kind
        .columns()
        .iter()
        .filter_map(|c| headers.iter().position(|h| h.trim() == *c).map(|i| (*c, i)))
        .collect();
    Ok((kind, cols))
}

/// Reads one of the three formats; every problem comes back with its line and column (at
/// most 50). At most [`MAX_ROWS`] rows are read.
pub fn read(text: &str) -> Result<File, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let (kind, cols) = header(&mut reader)?;
    let mut errors = Vec::new();
    let mut legacy = Vec::new();
    let mut current = Vec::new();
    let mut successors = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    let mut lines = Lines {
        text,
        byte: 0,
        line: 1,
    };
    loop {
        let line = lines.at(reader.position().byte());
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(RowError {
                    line: e.position().map_or(line, |p| lines.at(p.byte())),
                    column: String::new(),
                    message: format!("not a CSV row: {e}"),
                });
                break;
            }
        }
        rows += 1;
        if rows > MAX_ROWS {
            errors.push(RowError {
                line,
                column: String::new(),
                message: format!("the file has more than {MAX_ROWS} rows"),
            });
            break;
        }
        let line = record.position().map_or(line, |p| lines.at(p.byte()));
        let mut row = Row {
            line,
            rec: &record,
            cols: &cols,
            errors: &mut errors,
        };
        match kind {
            Kind::Legacy => legacy.push(legacy_row(&mut row)),
            Kind::Current => current.push(current_row(&mut row)),
            Kind::Successors => successors.push(successor_row(&mut row)),
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        match kind {
            Kind::Legacy => check_legacy(&legacy, &mut errors),
            Kind::Current => check_current(&current, &mut errors),
            Kind::Successors => {}
        }
    }
    errors.truncate(MAX_ERRORS);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(match kind {
        Kind::Legacy => File::Legacy(legacy),
        Kind::Current => File::Current(current),
        Kind::Successors => File::Successors(successors),
    })
}

fn legacy_row(row: &mut Row<'_>) -> LegacyRow {
    let ward_code = row.code("ward_code", 5, true);
    let ward = if ward_code.is_empty() {
        row.text("ward")
    } else {
        row.required("ward")
    };
    let bbox = match (
        row.number("ward_min_lon", LON),
        row.number("ward_min_lat", LAT),
        row.number("ward_max_lon", LON),
        row.number("ward_max_lat", LAT),
    ) {
        (Some(a), Some(b), Some(c), Some(d)) if a <= c && b <= d => Some([a, b, c, d]),
        (None, None, None, None) => None,
        _ => {
            row.error(
                "ward_min_lon",
                "the bounding box needs all four of min_lon ≤ max_lon, min_lat ≤ max_lat",
            );
            None
        }
    };
    LegacyRow {
        line: row.line,
        province_code: row.code("province_code", 2, false),
        province: row.required("province"),
        district_code: row.code("district_code", 3, false),
        district: row.required("district"),
        ward_code,
        ward,
        lon: row.number("ward_lon", LON),
        lat: row.number("ward_lat", LAT),
        bbox,
    }
}

fn current_row(row: &mut Row<'_>) -> CurrentRow {
    CurrentRow {
        line: row.line,
        province_code: row.code("province_code", 2, false),
        province: row.required("province"),
        ward_code: row.code("ward_code", 5, false),
        ward: row.required("ward"),
        lon: row.number("ward_lon", LON),
        lat: row.number("ward_lat", LAT),
    }
}

fn successor_row(row: &mut Row<'_>) -> SuccessorRow {
    let legacy_ward_code = row.code("legacy_ward_code", 5, true);
    let legacy_key = row.text("legacy_key");
    if legacy_ward_code.is_empty() && legacy_key.is_empty() {
        row.error(
            "legacy_ward_code",
            "give the old commune's code (or, for a district without communes, legacy_key)",
        );
    }
    let relation = match row.text("relation").as_str() {
        "whole" => Relation::Whole,
        "part_default" => Relation::PartDefault,
        "part" => Relation::Part,
        other => {
            row.error(
                "relation",
                format!("`{other}` is not whole, part_default or part"),
            );
            Relation::Part
        }
    };
    SuccessorRow {
        line: row.line,
        legacy_ward_code,
        legacy_key,
        ward_code_2025: row.code("ward_code_2025", 5, false),
        relation,
    }
}

/// One code, one unit: a commune twice, or a district or province under two names or parents.
fn check_legacy(rows: &[LegacyRow], errors: &mut Vec<RowError>) {
    let mut wards: HashMap<&str, u64> = HashMap::new();
    let mut districts: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut provinces: HashMap<&str, &str> = HashMap::new();
    for r in rows {
        if !r.ward_code.is_empty() {
            if let Some(first) = wards.insert(&r.ward_code, r.line) {
                errors.push(RowError {
                    line: r.line,
                    column: "ward_code".into(),
                    message: format!("commune {} is already on line {first}", r.ward_code),
                });
            }
        }
        let d = districts
            .entry(&r.district_code)
            .or_insert((&r.district, &r.province_code));
        if *d != (r.district.as_str(), r.province_code.as_str()) {
            errors.push(RowError {
                line: r.line,
                column: "district".into(),
                message: format!(
                    "district {} is `{}` in province {} on an earlier line",
                    r.district_code, d.0, d.1
                ),
            });
        }
        let p = provinces.entry(&r.province_code).or_insert(&r.province);
        if *p != r.province {
            errors.push(RowError {
                line: r.line,
                column: "province".into(),
                message: format!("province {} is `{p}` on an earlier line", r.province_code),
            });
        }
    }
}

fn check_current(rows: &[CurrentRow], errors: &mut Vec<RowError>) {
    let mut wards: HashMap<&str, u64> = HashMap::new();
    let mut provinces: HashMap<&str, &str> = HashMap::new();
    for r in rows {
        if let Some(first) = wards.insert(&r.ward_code, r.line) {
            errors.push(RowError {
                line: r.line,
                column: "ward_code".into(),
                message: format!("commune {} is already on line {first}", r.ward_code),
            });
        }
        let p = provinces.entry(&r.province_code).or_insert(&r.province);
        if *p != r.province {
            errors.push(RowError {
                line: r.line,
                column: "province".into(),
                message: format!("province {} is `{p}` on an earlier line", r.province_code),
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_format_and_names_line_and_column_of_a_bad_row() {
        let ok = "province_code,province,ward_code,ward,ward_type,ward_lon,ward_lat,area_km2\r\n\
                  51,Tỉnh Quảng Ngãi,21061,Xã Vạn Tường,Xã,108.822,15.3351,109.28\r\n";
        let File::Current(rows) = read(ok).expect("reads") else {
            panic!("not the 2025 format")
        };
        assert_eq!(rows[0].ward_code, "21061");
        assert_eq!(rows[0].line, 2);

        let bad = "province_code,province,ward_code,ward,ward_type,ward_lon,ward_lat,area_km2\n\
                   51,Tỉnh Quảng Ngãi,21061,Xã Vạn Tường,Xã,108.822,15.3351,109.28\n\
                   51,Tỉnh Quảng Ngãi,2106x,Xã Mới,Xã,108.8,15.3,1\n\
                   51,Tỉnh Quảng Ngãi,21062,,Xã,181,15.3,1\n";
        let errors = read(bad).expect_err("refused");
        assert_eq!(errors[0].line, 3);
        assert_eq!(errors[0].column, "ward_code");
        assert!(errors.iter().any(|e| e.line == 4 && e.column == "ward"));
        assert!(errors.iter().any(|e| e.line == 4 && e.column == "ward_lon"));

        let errors = read("a,b\n1,2\n").expect_err("unknown header");
        assert_eq!(errors[0].line, 1);

        let dup = "legacy_ward_code,legacy_key,ward_code_2025,key_2025,relation\n\
                   21061,k,21061,x,sideways\n";
        let errors = read(dup).expect_err("bad relation");
        assert_eq!((errors[0].line, errors[0].column.as_str()), (2, "relation"));
    }

    #[test]
    fn a_commune_twice_is_refused() {
        let text = format!(
            "{}\n51,Tỉnh Quảng Ngãi,524,Huyện Bình Sơn,Huyện,21061,Xã Bình Trị,Xã,,,,,,\n\
             51,Tỉnh Quảng Ngãi,524,Huyện Bình Sơn,Huyện,21061,Xã Bình Trị,Xã,,,,,,\n",
            LEGACY_COLUMNS.join(",")
        );
        let errors = read(&text).expect_err("refused");
        assert_eq!(
            (errors[0].line, errors[0].column.as_str()),
            (3, "ward_code")
        );
    }
}
