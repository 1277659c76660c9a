//! Household import from a commune's register (CSV or XLSX): columns found by their usual
//! Vietnamese headers, every row checked, households linked to parcels by (commune, số tờ,
//! số thửa); all or nothing, with a report by spreadsheet row and column.
use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use chrono::Datelike;

use super::dates;
use super::dto::{ImportProblem, ImportReport};
use crate::admin_units::seed::LEVEL_COMMUNE;
use crate::auth::Principal;
use crate::domain::id_number;
use crate::entities::{admin_units, parcels, projects};
use crate::error::{AppError, AppResult};
use crate::households::dto::{MemberInput, NewHousehold, NewHouseholdParcel};
use crate::households::service::create;
use crate::text::fold;

/// A row as the user sees it: its number in the spreadsheet and its cells as text (with
/// whether the cell held a number, which matters for CCCDs that lost their leading zero).
pub struct SheetRow {
    pub number: usize,
    pub cells: Vec<(String, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Field {
    HeadName,
    IdNumber,
    Phone,
    Address,
    Commune,
    MapSheet,
    ParcelNo,
    MemberCount,
    Members,
    Code,
    BirthDate,
    Poor,
    Merit,
    EthnicMinority,
    ElderlyAlone,
}

/// Folded headers (no diacritics, case, spaces or punctuation) → field.
const HEADERS: &[(Field, &[&str])] = &[
    (
        Field::HeadName,
        &[
            "hovatenchuho",
            "hotenchuho",
            "chuho",
            "tenchuho",
            "hovaten",
            "hoten",
            "headname",
        ],
    ),
    (
        Field::IdNumber,
        &[
            "socccd",
            "cccd",
            "socccdcmnd",
            "cccdcmnd",
            "socmnd",
            "cmnd",
            "socmndcccd",
            "cmndcccd",
            "sodinhdanh",
            "sodinhdanhcanhan",
            "idnumber",
        ],
    ),
    (Field::Phone, &["sodienthoai", "dienthoai", "sdt", "phone"]),
    (
        Field::Address,
        &["diachi", "address", "diachithuongtru", "noio"],
    ),
    (
        Field::Commune,
        &[
            "xamaxa",
            "maxa",
            "xa",
            "commune",
            "xaphuong",
            "tenxa",
            "communecode",
        ],
    ),
    (
        Field::MapSheet,
        &["soto", "tobando", "sotobando", "to", "mapsheet"],
    ),
    (
        Field::ParcelNo,
        &["sothua", "thua", "thuaso", "parcelno", "sothuadat"],
    ),
    (
        Field::MemberCount,
        &["sonhankhau", "nhankhau", "songuoi", "sothanhvien"],
    ),
    (Field::Members, &["thanhvien", "cacthanhvien", "members"]),
    (Field::Code, &["maho", "mahogiadinh", "code"]),
    (
        Field::BirthDate,
        &[
            "ngaysinh",
            "ngaysinhchuho",
            "namsinh",
            "namsinhchuho",
            "ngaythangnamsinh",
            "dateofbirth",
            "birthdate",
            "birthyear",
        ],
    ),
    (Field::Poor, &["hongheo", "ngheo", "poor"]),
    (
        Field::Merit,
        &[
            "giadinhchinhsach",
            "chinhsach",
            "giadinhcocong",
            "cocong",
            "merit",
        ],
    ),
    (
        Field::EthnicMinority,
        &["dantocthieuso", "dtts", "ethnicminority"],
    ),
    (
        Field::ElderlyAlone,
        &[
            "nguoicaotuoisongmotminh",
            "caotuoisongmotminh",
            "nguoigiasongmotminh",
            "elderlyalone",
        ],
    ),
];

fn squash(s: &str) -> String {
    fold(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// A column of the import template: its field (none for the row number), its header in
/// Vietnamese and English, the example row's value and the column's width.
struct TemplateColumn {
    field: Option<Field>,
    vi: &'static str,
    en: &'static str,
    example: &'static str,
    width: f64,
}

const fn column(
    field: Option<Field>,
    vi: &'static str,
    en: &'static str,
    example: &'static str,
    width: f64,
) -> TemplateColumn {
    TemplateColumn {
        field,
        vi,
        en,
        example,
        width,
    }
}

/// The import template's columns, in order; the importer knows every header here, in both
/// languages, besides the usual headers of `HEADERS`.
const TEMPLATE: &[TemplateColumn] = &[
    column(None, "STT", "No.", "1", 6.0),
    column(
        Some(Field::HeadName),
        "Họ và tên chủ hộ",
        "Head of household",
        "Nguyễn Văn An",
        26.0,
    ),
    column(
        Some(Field::BirthDate),
        "Ngày sinh chủ hộ",
        "Head's date of birth",
        "15/03/1990",
        14.0,
    ),
    column(
        Some(Field::IdNumber),
        "Số CCCD/CMND",
        "ID number (CCCD/CMND)",
        "051090123456",
        16.0,
    ),
    column(
        Some(Field::Phone),
        "Số điện thoại",
        "Phone",
        "0905123456",
        14.0,
    ),
    column(
        Some(Field::Address),
        "Địa chỉ",
        "Address",
        "Thôn An Hải",
        24.0,
    ),
    column(Some(Field::Commune), "Mã xã", "Commune code", "21043", 10.0),
    column(Some(Field::MapSheet), "Số tờ", "Map sheet", "90", 8.0),
    column(Some(Field::ParcelNo), "Số thửa", "Parcel no.", "1", 10.0),
    column(Some(Field::Code), "Mã hộ", "Household code", "", 12.0),
    column(
        Some(Field::MemberCount),
        "Số nhân khẩu",
        "Number of members",
        "3",
        10.0,
    ),
    column(
        Some(Field::Members),
        "Thành viên",
        "Members",
        "Trần Thị Bình; Nguyễn Văn Cường",
        30.0,
    ),
    column(Some(Field::Poor), "Hộ nghèo", "Poor household", "x", 10.0),
    column(
        Some(Field::Merit),
        "Gia đình chính sách",
        "Family of merit",
        "",
        12.0,
    ),
    column(
        Some(Field::EthnicMinority),
        "Dân tộc thiểu số",
        "Ethnic minority",
        "",
        12.0,
    ),
    column(
        Some(Field::ElderlyAlone),
        "Người cao tuổi sống một mình",
        "Elderly living alone",
        "",
        14.0,
    ),
];

fn field_of(header: &str) -> Option<Field> {
    let h = squash(header);
    if h.is_empty() {
        return None;
    }
    HEADERS
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .map(|(f, _)| *f)
        .or_else(|| {
            TEMPLATE
                .iter()
                .find(|c| squash(c.vi) == h || squash(c.en) == h)
                .and_then(|c| c.field)
        })
}

/// The household import template: a title, the headers in `lang`, one example row; the ID
/// and code columns are text (leading zeros survive), the date of birth is a dd/mm/yyyy date.
pub fn template(lang: crate::i18n::Lang) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};
    let en = lang == crate::i18n::Lang::En;
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!(e));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(if en { "Households" } else { "Danh sach ho" })
        .map_err(fail)?;
    let title = Format::new().set_bold().set_font_size(14);
    let note = Format::new().set_italic().set_font_color("#4d5660");
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#e8eef3");
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let last = (TEMPLATE.len() - 1) as u16;
    let (title_text, note_text) = if en {
        (
            "LIST OF AFFECTED HOUSEHOLDS (gpmb import template)",
            "One household per row. ID number: 12-digit CCCD or 9-digit CMND, kept as text. Dates dd/mm/yyyy. Yes/no columns: x for yes, empty for no. Replace the example row.",
        )
    } else {
        (
            "DANH SÁCH HỘ GIA ĐÌNH, CÁ NHÂN BỊ ẢNH HƯỞNG (mẫu nhập gpmb)",
            "Mỗi hộ một dòng. Số CCCD 12 chữ số hoặc CMND 9 chữ số, để dạng văn bản. Ngày ghi dd/mm/yyyy. Cột có/không: ghi x nếu có, để trống nếu không. Thay dòng ví dụ bằng số liệu thật.",
        )
    };
    sheet
        .merge_range(0, 0, 0, last, title_text, &title)
        .map_err(fail)?;
    sheet
        .merge_range(1, 0, 1, last, note_text, &note)
        .map_err(fail)?;
    sheet.set_row_height(2, 32).map_err(fail)?;
    for (c, col) in TEMPLATE.iter().enumerate() {
        let c = c as u16;
        sheet.set_column_width(c, col.width).map_err(fail)?;
        let name = if en { col.en } else { col.vi };
        sheet
            .write_string_with_format(2, c, name, &header)
            .map_err(fail)?;
        match col.field {
            Some(Field::BirthDate) => {
                sheet.set_column_format(c, &date).map_err(fail)?;
                let d = dates::parse(col.example, false);
                if let Some(dates::CellDate::Day(d)) = d {
                    let cell =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(fail)?;
                    sheet
                        .write_datetime_with_format(3, c, &cell, &date)
                        .map_err(fail)?;
                }
            }
            Some(
                Field::IdNumber
                | Field::Phone
                | Field::Commune
                | Field::MapSheet
                | Field::ParcelNo
                | Field::Code,
            ) => {
                sheet.set_column_format(c, &text).map_err(fail)?;
                if !col.example.is_empty() {
                    sheet
                        .write_string_with_format(3, c, col.example, &text)
                        .map_err(fail)?;
                }
            }
            None | Some(Field::MemberCount) => {
                if let Ok(n) = col.example.parse::<f64>() {
                    sheet.write_number(3, c, n).map_err(fail)?;
                }
            }
            _ => {
                if !col.example.is_empty() {
                    sheet.write_string(3, c, col.example).map_err(fail)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(3, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

fn file_error(code: &'static str, m: impl Into<String>) -> AppError {
    AppError::invalid(code, m)
}

/// Reads the rows of a CSV (`,` or `;` separated, UTF-8 with or without BOM) or of the first
/// worksheet of an XLSX file.
pub fn read_rows(bytes: &[u8], file_name: &str) -> AppResult<Vec<SheetRow>> {
    let extension = std::path::Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let is_xlsx = bytes.starts_with(b"PK\x03\x04")
        || extension.eq_ignore_ascii_case("xlsx")
        || extension.eq_ignore_ascii_case("xls");
    if is_xlsx {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn read_csv(bytes: &[u8]) -> AppResult<Vec<SheetRow>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_error(
            "invalid_csv",
            "the CSV is not UTF-8 text; save it from Excel as \"CSV UTF-8\"",
        )
    })?;
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec =
            rec.map_err(|e| file_error("invalid_csv", format!("the CSV cannot be read: {e}")))?;
        // The csv crate's line counter skips blank lines; count newlines before the record's
        // first byte so the number is the line Excel or an editor shows.
        let number = rec
            .position()
            .and_then(|p| {
                // The position can sit on the blank lines skipped before the record.
                let before = text.get(..p.byte() as usize)?;
                let blank = text.get(p.byte() as usize..)?;
                let blank = &blank[..blank.len() - blank.trim_start_matches(['\r', '\n']).len()];
                Some(before.matches('\n').count() + blank.matches('\n').count() + 1)
            })
            .unwrap_or(rows.len() + 1);
        rows.push(SheetRow {
            number,
            cells: rec.iter().map(|c| (super::cell_text(c), false)).collect(),
        });
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> AppResult<Vec<SheetRow>> {
    use calamine::{DataRef, Reader};
    let unreadable = |e: &dyn std::fmt::Display| {
        file_error(
            "invalid_xlsx",
            format!("the file is not a readable Excel workbook (save it as .xlsx): {e}"),
        )
    };
    // The zip inside the workbook is checked before calamine unpacks anything from it.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    super::limits::check_zip(&mut archive, "invalid_xlsx")?;
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let sheet = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| file_error("invalid_xlsx", "the workbook has no worksheet"))?;
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(|e| {
        file_error(
            "invalid_xlsx",
            format!("the first worksheet cannot be read: {e}"),
        )
    })?;
    // Cells stream in; rows are kept sparse (only those holding a cell) and each is as wide as
    // its last cell, so nothing is sized by what the sheet claims its range to be.
    let mut rows: std::collections::BTreeMap<u32, Vec<(String, bool)>> =
        std::collections::BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(|e| {
        file_error(
            "invalid_xlsx",
            format!("the first worksheet cannot be read: {e}"),
        )
    })? {
        let (row, column) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::String(s) => (super::cell_text(s), false),
            DataRef::SharedString(s) => (super::cell_text(s), false),
            DataRef::Int(n) => (n.to_string(), true),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                (format!("{}", *f as i64), true)
            }
            DataRef::Float(f) => (f.to_string(), true),
            DataRef::Bool(b) => (if *b { "x".into() } else { String::new() }, false),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => (super::cell_text(s), false),
            DataRef::DateTime(d) => (d.as_f64().to_string(), true),
            DataRef::Error(_) | DataRef::Empty => continue,
        };
        super::limits::check_cell(row, column)?;
        let cells = rows.entry(row).or_default();
        let column = column as usize;
        if cells.len() <= column {
            cells.resize(column + 1, (String::new(), false));
        }
        cells[column] = value;
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| SheetRow {
            number: row as usize + 1,
            cells,
        })
        .collect())
}

/// `x`, `có`, `1`, `yes` → true; empty, `0`, `không`, `no` → false; anything else is an error.
fn flag(raw: &str) -> Option<bool> {
    match squash(raw).as_str() {
        "" | "0" | "khong" | "k" | "no" | "false" | "n" => Some(false),
        "x" | "co" | "1" | "yes" | "true" | "y" | "v" => Some(true),
        _ if raw.trim() == "✓" || raw.trim() == "✔" => Some(true),
        _ => None,
    }
}

struct Columns {
    header_row: usize,
    at: HashMap<Field, (usize, String)>,
}

impl Columns {
    /// The cell of `f` in the row (empty when the register has no such column).
    fn cell<'r>(&self, row: &'r SheetRow, f: Field) -> (&'r str, bool) {
        self.at
            .get(&f)
            .and_then(|(c, _)| row.cells.get(*c))
            .map_or(("", false), |(s, n)| (s.as_str(), *n))
    }

    /// A problem of a row, named by the register's own header of the column.
    fn problem(&self, row: usize, f: Option<Field>, code: &str, reason: String) -> ImportProblem {
        self.problem_with(row, f, code, reason, &[])
    }

    /// A problem with the values its message names (`details`, for the page's catalogue).
    fn problem_with(
        &self,
        row: usize,
        f: Option<Field>,
        code: &str,
        reason: String,
        details: &[(&str, String)],
    ) -> ImportProblem {
        ImportProblem {
            index: None,
            row: Some(row),
            key: None,
            column: f.and_then(|f| self.at.get(&f).map(|(_, h)| h.clone())),
            code: code.into(),
            reason,
            details: details
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        }
    }
}

/// The recognised headers of a row: field → (column, header as written).
fn headers_in(row: &SheetRow) -> HashMap<Field, (usize, String)> {
    let mut at = HashMap::new();
    for (c, (text, _)) in row.cells.iter().enumerate() {
        if let Some(f) = field_of(text) {
            at.entry(f).or_insert((c, text.clone()));
        }
    }
    at
}

/// A line numbering the columns under the header — `(1) (2) (3)…` or `1 2 3…`, as official
/// forms have.
fn is_numbering(row: &SheetRow) -> bool {
    let filled: Vec<&str> = row
        .cells
        .iter()
        .map(|(s, _)| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    filled.len() >= 3
        && filled.iter().all(|s| {
            let inner = s.trim_start_matches('(').trim_end_matches(')');
            !inner.is_empty() && inner.len() <= 2 && inner.bytes().all(|b| b.is_ascii_digit())
        })
}

fn find_columns(rows: &[SheetRow]) -> AppResult<Columns> {
    // Registers often carry a title and a date above the header row (merged across the
    // columns: only its first cell holds the text), and a header on two lines: a merged group
    // cell ("Thửa đất") over its sub-headers ("Số tờ", "Số thửa") while the other headers are
    // merged down over both lines.
    for (i, row) in rows.iter().take(15).enumerate() {
        let mut at = headers_in(row);
        if !at.contains_key(&Field::HeadName) {
            continue;
        }
        let mut last = i;
        if let Some(next) = rows.get(i + 1).filter(|r| r.number == row.number + 1) {
            let below = headers_in(next);
            let filled = next.cells.iter().filter(|(s, _)| !s.is_empty()).count();
            if !below.is_empty() && below.len() * 2 >= filled {
                // A sub-header is more precise than the group cell above it.
                at.extend(below);
                last = i + 1;
            }
        }
        if rows
            .get(last + 1)
            .is_some_and(|r| r.number == rows[last].number + 1 && is_numbering(r))
        {
            last += 1;
        }
        if !at.contains_key(&Field::Commune) {
            return Err(file_error(
                "missing_column",
                format!(
                    "row {}: no commune column; add \"Mã xã\" (the commune code, e.g. 21043) or \"Xã\"",
                    row.number
                ),
            ));
        }
        return Ok(Columns {
            header_row: last,
            at,
        });
    }
    Err(file_error(
        "missing_column",
        "no header row with \"Họ và tên chủ hộ\" in the first 15 rows; the register needs at least \"Họ và tên chủ hộ\" and \"Mã xã\"",
    ))
}

/// One checked row, ready for `households::service::create`.
struct Ready {
    row: usize,
    new: NewHousehold,
    /// Parcel keys to resolve: (commune code, sheet, number).
    parcel_keys: Vec<(String, String, String)>,
}

/// The communes a register may name: by code, or by name without its "Xã" prefix (names only
/// within the project's province: the country has many a "Bình Thuận").
struct Communes {
    codes: HashSet<String>,
    by_name: HashMap<String, HashSet<String>>,
}

impl Communes {
    async fn load(conn: &impl ConnectionTrait, project_id: i32) -> AppResult<Self> {
        let units: Vec<(i32, String, String)> = admin_units::Entity::find()
            .select_only()
            .column(admin_units::Column::Id)
            .column(admin_units::Column::Code)
            .column(admin_units::Column::Name)
            .filter(admin_units::Column::Level.eq(LEVEL_COMMUNE))
            .into_tuple()
            .all(conn)
            .await?;
        let province = crate::compensation::settings::project_province(conn, project_id).await?;
        let named: HashSet<i32> =
            crate::admin_units::routes::province_unit_ids(conn, &province, None)
                .await?
                .into_iter()
                .collect();
        let mut by_name: HashMap<String, HashSet<String>> = HashMap::new();
        let codes: HashSet<String> = units.iter().map(|u| u.1.clone()).collect();
        for (_, code, name) in units.into_iter().filter(|u| named.contains(&u.0)) {
            by_name
                .entry(commune_name_key(&name))
                .or_default()
                .insert(code);
        }
        Ok(Communes { codes, by_name })
    }

    /// The code a commune cell names, or the problem with it.
    fn code_of(&self, raw: &str) -> Result<String, (&'static str, String)> {
        if raw.is_empty() {
            return Err((
                "missing_commune",
                "the commune is empty; give its code (e.g. 21043) or name".into(),
            ));
        }
        if self.codes.contains(raw) {
            return Ok(raw.to_string());
        }
        let mut found: Vec<&String> = self
            .by_name
            .get(&commune_name_key(raw))
            .map(|s| s.iter().collect())
            .unwrap_or_default();
        match found.len() {
            1 => Ok(found[0].clone()),
            0 => Err((
                "unknown_commune",
                format!("there is no commune `{raw}`; give its code, e.g. 21043"),
            )),
            _ => {
                found.sort();
                let list: Vec<&str> = found.iter().map(|s| s.as_str()).collect();
                Err((
                    "ambiguous_commune",
                    format!(
                        "several communes are named {raw} (codes {}); write the code",
                        list.join(", ")
                    ),
                ))
            }
        }
    }
}

/// What the rows seen so far hold, to refuse a CCCD or a code given twice in the file.
#[derive(Default)]
struct Seen {
    id: HashMap<String, usize>,
    code: HashMap<String, usize>,
}

/// Checks every row of the register; rows without problems come back ready to create.
fn check_rows(
    rows: &[SheetRow],
    cols: &Columns,
    communes: &Communes,
    project: &projects::Model,
    report: &mut ImportReport,
) -> Vec<Ready> {
    let mut ready = Vec::new();
    let mut seen = Seen::default();
    for row in rows.iter().skip(cols.header_row + 1) {
        if row.cells.iter().all(|(s, _)| s.is_empty()) {
            continue;
        }
        report.total += 1;
        if let Some(r) = check_row(
            row,
            cols,
            communes,
            project,
            &mut seen,
            &mut report.errors,
            &mut report.warnings,
        ) {
            ready.push(r);
        }
    }
    ready
}

/// Checks one row: every problem goes to `errors`; a row without any is ready.
fn check_row(
    row: &SheetRow,
    cols: &Columns,
    communes: &Communes,
    project: &projects::Model,
    seen: &mut Seen,
    errors: &mut Vec<ImportProblem>,
    warnings: &mut Vec<ImportProblem>,
) -> Option<Ready> {
    let n = row.number;
    let before = errors.len();
    let cell = |f: Field| cols.cell(row, f);
    let head = cell(Field::HeadName).0;
    if head.is_empty() {
        errors.push(cols.problem(
            n,
            Some(Field::HeadName),
            "missing_head_name",
            "the head of household's name is empty".into(),
        ));
    }
    let birth_year = check_birth_date(cols, row, errors);
    let id_number = check_id(cols, row, birth_year, seen, errors, warnings);
    let code = Some(cell(Field::Code).0.to_string()).filter(|s| !s.is_empty());
    if let Some(c) = &code {
        if let Some(first) = seen.code.insert(c.clone(), n) {
            errors.push(cols.problem_with(
                n,
                Some(Field::Code),
                "duplicate_in_file",
                format!("household code {c} is already on row {first}"),
                &[("value", c.clone()), ("first_row", first.to_string())],
            ));
        }
    }
    let commune = match communes.code_of(cell(Field::Commune).0) {
        Ok(c) => Some(c),
        Err((code, reason)) => {
            errors.push(cols.problem_with(
                n,
                Some(Field::Commune),
                code,
                reason,
                &[("value", cell(Field::Commune).0.to_string())],
            ));
            None
        }
    };
    let vulnerable = check_flags(cols, row, errors);
    check_member_count(cols, row, errors);
    let mut members: Vec<MemberInput> = cell(Field::Members)
        .0
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| MemberInput {
            name: name.to_string(),
            relation: None,
            birth_year: None,
        })
        .collect();
    if let Some(year) = birth_year.filter(|_| !head.is_empty()) {
        // The head's year of birth is kept on the head among the members.
        match members.iter_mut().find(|m| fold(&m.name) == fold(head)) {
            Some(m) => m.birth_year = Some(year),
            None => members.insert(
                0,
                MemberInput {
                    name: head.to_string(),
                    relation: Some("chủ hộ".into()),
                    birth_year: Some(year),
                },
            ),
        }
    }
    let parcel_keys = parcel_keys(cols, row, commune.as_deref(), errors);
    if errors.len() > before {
        return None;
    }
    Some(Ready {
        row: n,
        new: NewHousehold {
            project: project.code.clone(),
            code,
            head_name: head.to_string(),
            id_number,
            phone: Some(cell(Field::Phone).0.to_string()).filter(|s| !s.is_empty()),
            address: cell(Field::Address).0.to_string(),
            commune: commune?,
            members,
            vulnerable,
            parcels: Vec::new(),
            split_from: None,
        },
        parcel_keys,
    })
}

/// The head's date (or year) of birth: an Excel date, dd/mm/yyyy or ISO text, or a year.
fn check_birth_date(
    cols: &Columns,
    row: &SheetRow,
    errors: &mut Vec<ImportProblem>,
) -> Option<i32> {
    let (raw, numeric) = cols.cell(row, Field::BirthDate);
    if raw.is_empty() {
        return None;
    }
    let Some(date) = dates::parse(raw, numeric) else {
        errors.push(cols.problem_with(
            row.number,
            Some(Field::BirthDate),
            "invalid_date",
            format!("`{raw}` is not a date; write it as dd/mm/yyyy (e.g. 15/03/1990) or give the year alone"),
            &[("value", raw.to_string())],
        ));
        return None;
    };
    let year = date.year();
    let this_year = chrono::Utc::now().year();
    if !(1890..=this_year).contains(&year) {
        errors.push(cols.problem_with(
            row.number,
            Some(Field::BirthDate),
            "invalid_birth_date",
            format!("the date of birth {raw} is not between 1890 and this year"),
            &[("value", raw.to_string())],
        ));
        return None;
    }
    Some(year)
}

/// The row's CCCD or CMND, checked (against the birth year when the register gives one), and
/// not given twice in the file. A number cell that lost its leading zeros is padded back when
/// that makes a valid number, with a warning.
fn check_id(
    cols: &Columns,
    row: &SheetRow,
    birth_year: Option<i32>,
    seen: &mut Seen,
    errors: &mut Vec<ImportProblem>,
    warnings: &mut Vec<ImportProblem>,
) -> Option<String> {
    let n = row.number;
    let (id_raw, id_numeric) = cols.cell(row, Field::IdNumber);
    if id_raw.is_empty() {
        return None;
    }
    let padded = id_numeric
        .then(|| id_number::pad_lost_zeros(id_raw))
        .flatten();
    let candidate = padded.as_deref().unwrap_or(id_raw);
    let id_number = match id_number::check(candidate, birth_year) {
        Ok(v) => {
            if padded.is_some() {
                warnings.push(cols.problem_with(
                    n,
                    Some(Field::IdNumber),
                    "id_number_padded",
                    format!("the cell held the number {id_raw}: Excel dropped its leading zeros; read as {v} (format the column as Text to keep them)"),
                    &[("value", id_raw.to_string()), ("padded", v.clone())],
                ));
            }
            Some(v)
        }
        Err(_) if !id_numeric && lost_zeros(id_raw, birth_year).is_some() => {
            // Text without its leading zeros (a CSV saved from a sheet that had dropped them):
            // not guessed, but named.
            let fixed = lost_zeros(id_raw, birth_year).unwrap_or_default();
            errors.push(cols.problem_with(
                n,
                Some(Field::IdNumber),
                "id_number_lost_zeros",
                format!("the ID number {id_raw} has lost its leading zeros; if it is {fixed}, write all {} digits", fixed.len()),
                &[
                    ("value", id_raw.to_string()),
                    ("padded", fixed.clone()),
                    ("length", fixed.len().to_string()),
                ],
            ));
            None
        }
        Err(p) => {
            let hint = if padded.is_some() {
                "; the cell holds a number, so Excel dropped the leading 0: format the column as Text and type every digit"
            } else {
                ""
            };
            let mut details = p.details.clone();
            details.retain(|(k, _)| *k != "value");
            details.push(("value", id_raw.to_string()));
            errors.push(cols.problem_with(
                n,
                Some(Field::IdNumber),
                p.code,
                format!("{}{hint}", p.message),
                &details,
            ));
            None
        }
    };
    if let Some(id) = &id_number {
        if let Some(first) = seen.id.insert(id.clone(), n) {
            errors.push(cols.problem_with(
                n,
                Some(Field::IdNumber),
                "duplicate_in_file",
                format!("ID number {id} is already on row {first}"),
                &[("value", id.clone()), ("first_row", first.to_string())],
            ));
        }
    }
    id_number
}

/// The valid number `digits` would be with the leading zeros back.
fn lost_zeros(digits: &str, birth_year: Option<i32>) -> Option<String> {
    id_number::pad_lost_zeros(digits).and_then(|p| id_number::check(&p, birth_year).ok())
}

/// The vulnerability marks of the row.
fn check_flags(cols: &Columns, row: &SheetRow, errors: &mut Vec<ImportProblem>) -> Vec<String> {
    let mut vulnerable = Vec::new();
    for (f, name) in [
        (Field::Poor, "poor"),
        (Field::Merit, "merit"),
        (Field::EthnicMinority, "ethnic_minority"),
        (Field::ElderlyAlone, "elderly_alone"),
    ] {
        let raw = cols.cell(row, f).0;
        match flag(raw) {
            Some(true) => vulnerable.push(name.to_string()),
            Some(false) => {}
            None => errors.push(cols.problem_with(
                row.number,
                Some(f),
                "invalid_flag",
                format!(
                    "`{raw}` is not a yes/no mark; write x (or có) for yes and leave empty for no"
                ),
                &[("value", raw.to_string())],
            )),
        }
    }
    vulnerable
}

fn check_member_count(cols: &Columns, row: &SheetRow, errors: &mut Vec<ImportProblem>) {
    let count_raw = cols.cell(row, Field::MemberCount).0;
    if !count_raw.is_empty()
        && !count_raw
            .parse::<u32>()
            .is_ok_and(|c| (1..=50).contains(&c))
    {
        errors.push(cols.problem_with(
            row.number,
            Some(Field::MemberCount),
            "invalid_member_count",
            format!("`{count_raw}` is not a number of people between 1 and 50"),
            &[("value", count_raw.to_string())],
        ));
    }
}

/// The (commune, số tờ, số thửa) keys of the row's parcels.
fn parcel_keys(
    cols: &Columns,
    row: &SheetRow,
    commune: Option<&str>,
    errors: &mut Vec<ImportProblem>,
) -> Vec<(String, String, String)> {
    let sheet = cols.cell(row, Field::MapSheet).0;
    let parcel = cols.cell(row, Field::ParcelNo).0;
    let mut keys = Vec::new();
    match (sheet.is_empty(), parcel.is_empty()) {
        (true, true) => {}
        (false, false) => {
            for no in parcel
                .split([',', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                if let Some(c) = commune {
                    keys.push((c.to_string(), sheet.to_string(), no.to_string()));
                }
            }
        }
        (true, false) => errors.push(cols.problem(
            row.number,
            Some(Field::MapSheet),
            "missing_map_sheet",
            "a parcel number is given without its map sheet (Số tờ)".into(),
        )),
        (false, true) => errors.push(cols.problem(
            row.number,
            Some(Field::ParcelNo),
            "missing_parcel_no",
            "a map sheet is given without the parcel number (Số thửa)".into(),
        )),
    }
    keys
}

/// Checks the ready rows against the database: CCCDs already registered in the project, and
/// parcels by (commune, số tờ, số thửa) with the parcel import's reading of commune codes.
async fn check_against_database(
    conn: &impl ConnectionTrait,
    project: &projects::Model,
    cols: &Columns,
    ready: Vec<Ready>,
    errors: &mut Vec<ImportProblem>,
) -> AppResult<Vec<Ready>> {
    let codes_used: HashSet<String> = ready
        .iter()
        .flat_map(|r| r.parcel_keys.iter().map(|k| k.0.clone()))
        .collect();
    let communes = crate::parcels::service::resolve_communes(conn, &codes_used).await?;
    let mut parcel_ids: HashMap<(i32, String, String), i32> = HashMap::new();
    if !communes.is_empty() {
        let rows: Vec<(i32, i32, String, String)> = parcels::Entity::find()
            .select_only()
            .column(parcels::Column::Id)
            .column(parcels::Column::CommuneId)
            .column(parcels::Column::MapSheet)
            .column(parcels::Column::ParcelNo)
            .filter(parcels::Column::ProjectId.eq(project.id))
            .filter(parcels::Column::CommuneId.is_in(communes.values().copied()))
            .filter(parcels::Column::RetiredAt.is_null())
            .into_tuple()
            .all(conn)
            .await?;
        for (id, commune_id, map_sheet, parcel_no) in rows {
            parcel_ids.insert((commune_id, map_sheet, parcel_no), id);
        }
    }
    let ids: Vec<String> = ready
        .iter()
        .filter_map(|r| r.new.id_number.clone())
        .collect();
    let registered = crate::scoped::id_numbers_taken(conn, project.id, &ids).await?;
    let mut good = Vec::with_capacity(ready.len());
    for mut r in ready {
        let mut ok = true;
        if let Some(id) = r
            .new
            .id_number
            .as_ref()
            .filter(|id| registered.contains(*id))
        {
            errors.push(cols.problem_with(
                r.row,
                Some(Field::IdNumber),
                "already_registered",
                format!(
                    "a household with ID number {id} is already in project {}",
                    project.code
                ),
                &[("value", id.clone()), ("project", project.code.clone())],
            ));
            ok = false;
        }
        for (c, sheet, no) in &r.parcel_keys {
            if let Some(id) = communes
                .get(c)
                .and_then(|cid| parcel_ids.get(&(*cid, sheet.clone(), no.clone())))
            {
                r.new.parcels.push(NewHouseholdParcel {
                    parcel_id: *id,
                    share: None,
                });
            } else {
                errors.push(cols.problem_with(
                    r.row,
                    Some(Field::ParcelNo),
                    "unknown_parcel",
                    format!(
                        "project {} has no parcel {no} on map sheet {sheet} in commune {c}",
                        project.code
                    ),
                    &[
                        ("map_sheet", sheet.clone()),
                        ("parcel_no", no.clone()),
                        ("commune", c.clone()),
                        ("project", project.code.clone()),
                    ],
                ));
                ok = false;
            }
        }
        if ok {
            good.push(r);
        }
    }
    Ok(good)
}

/// The column a refusal of the household service points at.
fn field_of_code(code: &str) -> Option<Field> {
    match code {
        "missing_head_name" | "invalid_head_name" => Some(Field::HeadName),
        "invalid_id_number" => Some(Field::IdNumber),
        "invalid_phone" => Some(Field::Phone),
        "invalid_address" => Some(Field::Address),
        "unknown_commune" => Some(Field::Commune),
        "invalid_code" | "duplicate" => Some(Field::Code),
        "invalid_members" => Some(Field::Members),
        "unknown_parcel" | "duplicate_parcel" => Some(Field::ParcelNo),
        _ => None,
    }
}

/// Creates the households through the household service, which makes the remaining checks
/// (phone, lengths, codes taken); a refusal names the row. Its checks come before any write,
/// so a refused row leaves the transaction usable for the others' checks.
async fn create_all(
    conn: &impl ConnectionTrait,
    who: &Principal,
    cols: &Columns,
    good: Vec<Ready>,
    errors: &mut Vec<ImportProblem>,
) -> AppResult<Vec<i32>> {
    let mut created = Vec::with_capacity(good.len());
    for r in good {
        match create(conn, who, r.new).await {
            Ok(id) => created.push(id.id()),
            Err(AppError::Db(e)) => return Err(AppError::Db(e)),
            Err(e) => {
                let code = match &e {
                    AppError::Unprocessable { code, .. } | AppError::Conflict { code, .. } => *code,
                    _ => "invalid_row",
                };
                errors.push(cols.problem(r.row, field_of_code(code), code, e.to_string()));
            }
        }
    }
    Ok(created)
}

fn empty_report(project: &projects::Model, file_name: &str, dry_run: bool) -> ImportReport {
    ImportReport {
        kind: "households".into(),
        project: project.code.clone(),
        file: file_name.to_string(),
        dry_run,
        committed: false,
        source_crs: None,
        total: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        lineage: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        batch: None,
        seconds: 0.0,
    }
}

/// Checks every row and, unless `dry_run` or anything is wrong, creates the households.
/// Run inside one write transaction; commit only when `errors` is empty and not a dry run.
#[tracing::instrument(skip_all, fields(project_id = project.id, dry_run))]
pub async fn import(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    file_name: &str,
    rows: Vec<SheetRow>,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let started = std::time::Instant::now();
    let cols = find_columns(&rows)?;
    let mut report = empty_report(project, file_name, dry_run);
    let communes = Communes::load(conn, project.id).await?;
    let ready = check_rows(&rows, &cols, &communes, project, &mut report);
    let good = check_against_database(conn, project, &cols, ready, &mut report.errors).await?;
    let created = create_all(conn, who, &cols, good, &mut report.errors).await?;
    report.errors.sort_by_key(|e| e.row);
    report.warnings.sort_by_key(|e| e.row);
    report.inserted = if report.errors.is_empty() {
        created.len()
    } else {
        0
    };
    if !report.errors.is_empty() || dry_run {
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let now = crate::db::utc(chrono::Utc::now().fixed_offset());
    let batch = super::parcels::record_batch(
        conn,
        who,
        project.id,
        "households",
        file_name,
        "",
        &report,
        now,
    )
    .await?;
    report.batch = Some(batch);
    crate::audit::record(
        conn,
        who,
        "import",
        "households",
        Some(batch.to_string()),
        json!({"project": project.code, "file": file_name, "rows": report.total, "inserted": report.inserted, "household_ids": created}),
    )
    .await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// A commune name without its "Xã"/"Phường"/"Thị trấn" prefix, folded.
fn commune_name_key(name: &str) -> String {
    let f = fold(name);
    let f = ["xa ", "phuong ", "thi tran ", "dac khu "]
        .iter()
        .find_map(|p| f.strip_prefix(p))
        .unwrap_or(&f)
        .to_string();
    f.chars().filter(char::is_ascii_alphanumeric).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_headers_are_recognised() {
        assert_eq!(field_of("Họ và tên chủ hộ"), Some(Field::HeadName));
        assert_eq!(field_of("  HỌ VÀ TÊN  CHỦ HỘ "), Some(Field::HeadName));
        assert_eq!(field_of("Số CCCD / CMND"), Some(Field::IdNumber));
        assert_eq!(field_of("Xã / Mã xã"), Some(Field::Commune));
        assert_eq!(field_of("Số tờ"), Some(Field::MapSheet));
        assert_eq!(field_of("so thua"), Some(Field::ParcelNo));
        assert_eq!(
            field_of("Người cao tuổi sống một mình"),
            Some(Field::ElderlyAlone)
        );
        assert_eq!(field_of("Gia đình chính sách"), Some(Field::Merit));
        assert_eq!(field_of("Ghi chú"), None);
    }

    #[test]
    fn yes_no_marks() {
        assert_eq!(flag("x"), Some(true));
        assert_eq!(flag("Có"), Some(true));
        assert_eq!(flag(""), Some(false));
        assert_eq!(flag("Không"), Some(false));
        assert_eq!(flag("maybe"), None);
        assert_eq!(commune_name_key("Xã Bình Thuận"), "binhthuan");
    }

    fn row(number: usize, cells: &[&str]) -> SheetRow {
        SheetRow {
            number,
            cells: cells.iter().map(|c| ((*c).to_string(), false)).collect(),
        }
    }

    #[test]
    fn a_two_line_header_under_a_title_with_a_numbering_line() {
        let rows = vec![
            row(1, &["BẢNG THỐNG KÊ HỘ GIA ĐÌNH"]),
            row(3, &["STT", "Chủ hộ", "", "Mã xã", "Thửa đất"]),
            row(
                4,
                &["", "Họ và tên", "Số CMND/CCCD", "", "Số tờ", "Số thửa"],
            ),
            row(5, &["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]),
            row(6, &["1", "Lê Văn A", "051090012345", "21043", "90", "1"]),
        ];
        let cols = find_columns(&rows)
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cols.header_row, 3);
        let at = |f| cols.at.get(&f).map(|(c, h)| (*c, h.as_str()));
        assert_eq!(at(Field::HeadName), Some((1, "Họ và tên")));
        assert_eq!(at(Field::IdNumber), Some((2, "Số CMND/CCCD")));
        assert_eq!(at(Field::Commune), Some((3, "Mã xã")));
        assert_eq!(at(Field::MapSheet), Some((4, "Số tờ")));
        assert_eq!(at(Field::ParcelNo), Some((5, "Số thửa")));
        // A data row right under a one-line header is not taken for a second header line.
        let rows = vec![
            row(1, &["Họ và tên chủ hộ", "Mã xã", "Hộ nghèo"]),
            row(2, &["Nguyễn Văn Xã", "21043", "x"]),
        ];
        assert_eq!(find_columns(&rows).map(|c| c.header_row).ok(), Some(0));
    }

    #[test]
    fn the_template_reads_back_in_both_languages() {
        for lang in [crate::i18n::Lang::Vi, crate::i18n::Lang::En] {
            let bytes = template(lang).unwrap_or_default();
            let rows = read_rows(&bytes, "t.xlsx").unwrap_or_default();
            let cols = find_columns(&rows)
                .map_err(|e| e.to_string())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(rows[cols.header_row].number, 3);
            let fields: HashSet<Field> = cols.at.keys().copied().collect();
            let all: HashSet<Field> = TEMPLATE.iter().filter_map(|c| c.field).collect();
            assert_eq!(fields, all, "{lang:?}");
            let example = &rows[cols.header_row + 1];
            assert_eq!(cols.cell(example, Field::IdNumber), ("051090123456", false));
            let (birth, numeric) = cols.cell(example, Field::BirthDate);
            assert_eq!(
                dates::parse(birth, numeric),
                chrono::NaiveDate::from_ymd_opt(1990, 3, 15).map(dates::CellDate::Day)
            );
        }
    }

    #[test]
    fn csv_rows_keep_their_line_numbers() {
        let rows = read_csv(
            "\u{feff}STT;Họ và tên chủ hộ;Mã xã\n1;Nguyễn Văn A;21043\n\n2;Lê Thị B;21049\n"
                .as_bytes(),
        )
        .unwrap_or_default();
        let numbers: Vec<usize> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![1, 2, 4]);
        assert_eq!(rows[2].cells[1].0, "Lê Thị B");
    }
}
