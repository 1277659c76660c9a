//! The price workbook: reading its two sheets as a stream of cells within fixed bounds, checking
//! every row and field (reported by sheet, row and column), and writing the template. Pure:
//! no database here; `super` stores what passes.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::domain::{AssetCategory, LandUse};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::imports::dates::{self, CellDate};
use crate::imports::households::SheetRow;
use crate::imports::limits;
use crate::text::fold;

/// Most bytes the workbook's entries may unpack to, all together (far below the 512 MB the
/// registers may take: a price table is small).
const MAX_UNPACKED: u64 = 64 * 1024 * 1024;
/// Price rows a table may have.
pub const MAX_ITEMS: usize = 5_000;
/// Rows and columns of the price sheet: the items plus room for a title, notes and headers.
const MAX_SHEET_ROWS: u32 = MAX_ITEMS as u32 + 40;
const MAX_SHEET_COLUMNS: u32 = 30;
/// Rows and columns of the information sheet.
const MAX_INFO_ROWS: u32 = 100;
const MAX_INFO_COLUMNS: u32 = 10;
/// Longest text of a cell that is kept (names, decisions).
const MAX_TEXT: usize = 300;
/// Longest code, grade, age class or zone.
const MAX_CODE: usize = 64;
/// Largest unit price: ten billion đồng, far above any real one, so that a price times a
/// quantity in hundredths up to 10⁸ (a million m²) stays inside i64.
pub const MAX_UNIT_PRICE: i64 = 10_000_000_000;
/// The land price coefficient's bounds, × 10 000 (0.5 … 5).
pub const COEFFICIENT_MIN: i32 = 5_000;
pub const COEFFICIENT_MAX: i32 = 50_000;
/// Where the information sheet names no province: Quảng Ngãi.
const DEFAULT_PROVINCE: &str = crate::compensation::settings::DEFAULT_PROVINCE;

fn squash(s: &str) -> String {
    fold(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

// ---- the vocabulary of the sheet ----------------------------------------------------------

/// Each category with its names in the template (no commas: they are an Excel list) and the
/// other names a province's sheet may give it.
const CATEGORIES: &[(AssetCategory, &str, &str, &[&str])] = &[
    (AssetCategory::Land, "Đất", "Land", &["dat", "giadat"]),
    (
        AssetCategory::Structure,
        "Nhà – vật kiến trúc",
        "Structures",
        &[
            "nha",
            "nhacua",
            "vatkientruc",
            "congtrinh",
            "nhacongtrinh",
            "nhacuavatkientruc",
            "structure",
        ],
    ),
    (
        AssetCategory::Crop,
        "Cây hàng năm – hoa màu",
        "Annual crops",
        &["hoamau", "cayhangnam", "caycoihangnam", "crop", "crops"],
    ),
    (
        AssetCategory::Tree,
        "Cây lâu năm",
        "Perennial trees",
        &["caylaunam", "caytrong", "cay", "caycoi", "tree", "trees"],
    ),
    (
        AssetCategory::Grave,
        "Mồ mả",
        "Graves",
        &["mo", "moma", "momamo", "grave"],
    ),
    (
        AssetCategory::Livestock,
        "Vật nuôi",
        "Livestock",
        &["vatnuoi", "channuoi"],
    ),
    (
        AssetCategory::Moving,
        "Di chuyển",
        "Moving",
        &["dichuyen", "chiphidichuyen", "dichuyentaisan"],
    ),
    (
        AssetCategory::Investment,
        "Chi phí đầu tư vào đất",
        "Investment in land",
        &["chiphidautu", "dautu", "chiphidautuvaodatconlai"],
    ),
    (AssetCategory::Other, "Khác", "Other", &["khac"]),
];

/// The category a cell names: its code (`land`), its name in either language, or a usual name.
fn category_of(raw: &str) -> Option<AssetCategory> {
    if let Some(c) = AssetCategory::parse(raw.trim()) {
        return Some(c);
    }
    let s = squash(raw);
    CATEGORIES
        .iter()
        .find(|(c, vi, en, other)| {
            squash(vi) == s
                || squash(en) == s
                || squash(c.as_str()) == s
                || other.contains(&s.as_str())
        })
        .map(|(c, ..)| *c)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Col {
    Category,
    Code,
    Name,
    Unit,
    UnitPrice,
    Grade,
    AgeClass,
    Zone,
}

impl Col {
    /// The column's name in problems and the API (`unit_price`).
    fn key(self) -> &'static str {
        match self {
            Col::Category => "category",
            Col::Code => "code",
            Col::Name => "name",
            Col::Unit => "unit",
            Col::UnitPrice => "unit_price",
            Col::Grade => "grade",
            Col::AgeClass => "age_class",
            Col::Zone => "zone",
        }
    }
}

/// The template's columns: header in Vietnamese and English, width, and the other headers a
/// province's sheet may use (squashed).
const COLUMNS: &[(Col, &str, &str, f64, &[&str])] = &[
    (
        Col::Category,
        "Nhóm",
        "Category",
        22.0,
        &["nhom", "loai", "nhomtaisan", "loaitaisan", "category"],
    ),
    (
        Col::Code,
        "Mã",
        "Code",
        16.0,
        &["ma", "maloai", "kyhieu", "maloaidat", "code"],
    ),
    (
        Col::Name,
        "Tên",
        "Name",
        40.0,
        &["ten", "tentaisan", "noidung", "hangmuc", "tenloai", "name"],
    ),
    (
        Col::Unit,
        "Đơn vị tính",
        "Unit",
        12.0,
        &["donvitinh", "dvt", "donvi", "unit"],
    ),
    (
        Col::UnitPrice,
        "Đơn giá (đồng)",
        "Unit price (đồng)",
        18.0,
        &[
            "dongia",
            "dongiadong",
            "dongiavnd",
            "giadong",
            "gia",
            "unitprice",
            "unitpricedong",
            "price",
        ],
    ),
    (
        Col::Grade,
        "Cấp, hạng",
        "Grade",
        10.0,
        &["cap", "hang", "caphang", "capnha", "grade"],
    ),
    (
        Col::AgeClass,
        "Loại tuổi",
        "Age class",
        14.0,
        &["loaituoi", "tuoi", "nhomtuoi", "ageclass"],
    ),
    (
        Col::Zone,
        "Vị trí, khu vực",
        "Position or zone",
        14.0,
        &[
            "vitrikhuvuc",
            "vitri",
            "khuvuc",
            "zone",
            "positionorzone",
            "position",
        ],
    ),
];

fn column_of(header: &str) -> Option<Col> {
    let h = squash(header);
    if h.is_empty() {
        return None;
    }
    COLUMNS
        .iter()
        .find(|(_, vi, en, _, other)| {
            squash(vi) == h || squash(en) == h || other.contains(&h.as_str())
        })
        .map(|(c, ..)| *c)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Info {
    Province,
    Name,
    LegalBasis,
    IssuedOn,
    ValidFrom,
    ValidUntil,
    Coefficient,
    CoefficientBasis,
}

/// The information sheet's rows: key, label in Vietnamese and English, a note for each
/// language, and other labels (squashed).
struct InfoRow {
    field: Info,
    key: &'static str,
    vi: &'static str,
    en: &'static str,
    note_vi: &'static str,
    note_en: &'static str,
    other: &'static [&'static str],
}

const INFO: &[InfoRow] = &[
    InfoRow {
        field: Info::Province,
        key: "province_code",
        vi: "Mã tỉnh",
        en: "Province code",
        note_vi: "51: Quảng Ngãi",
        note_en: "51: Quảng Ngãi",
        other: &["tinh", "matinhthanhpho"],
    },
    InfoRow {
        field: Info::Name,
        key: "name",
        vi: "Tên bảng giá",
        en: "Name",
        note_vi: "Nhập lại cùng tên để tạo phiên bản mới thay thế bảng cũ",
        note_en: "Import again under the same name to make a new version replacing the old one",
        other: &["ten", "tenbang", "tenbanggia"],
    },
    InfoRow {
        field: Info::LegalBasis,
        key: "legal_basis",
        vi: "Căn cứ pháp lý (quyết định ban hành)",
        en: "Legal basis (issuing decision)",
        note_vi: "Ví dụ; ghi số quyết định thật của UBND tỉnh",
        note_en: "An example; give the province's real decision number",
        other: &[
            "cancu",
            "cancuphaply",
            "quyetdinh",
            "soquyetdinh",
            "quyetdinhbanhanh",
        ],
    },
    InfoRow {
        field: Info::IssuedOn,
        key: "issued_on",
        vi: "Ngày ban hành",
        en: "Issued on",
        note_vi: "dd/mm/yyyy",
        note_en: "dd/mm/yyyy",
        other: &["ngayky", "ngayquyetdinh"],
    },
    InfoRow {
        field: Info::ValidFrom,
        key: "valid_from",
        vi: "Hiệu lực từ ngày",
        en: "Valid from",
        note_vi: "dd/mm/yyyy",
        note_en: "dd/mm/yyyy",
        other: &["tungay", "hieuluctu", "ngayhieuluc", "apdungtungay"],
    },
    InfoRow {
        field: Info::ValidUntil,
        key: "valid_until",
        vi: "Hiệu lực đến ngày",
        en: "Valid until",
        note_vi: "Để trống nếu chưa có ngày hết hiệu lực",
        note_en: "Leave empty while it has no end date",
        other: &["denngay", "hieulucden", "apdungdenngay"],
    },
    InfoRow {
        field: Info::Coefficient,
        key: "land_coefficient",
        vi: "Hệ số điều chỉnh giá đất",
        en: "Land price coefficient",
        note_vi: "Từ 0,5 đến 5; ví dụ 1,15",
        note_en: "From 0.5 to 5, e.g. 1.15",
        other: &["heso", "hesok", "hesodieuchinh", "hesogiadat"],
    },
    InfoRow {
        field: Info::CoefficientBasis,
        key: "coefficient_basis",
        vi: "Căn cứ hệ số điều chỉnh",
        en: "Coefficient basis",
        note_vi: "Quyết định ban hành hệ số",
        note_en: "The decision that set the coefficient",
        other: &["cancuheso", "quyetdinhheso"],
    },
];

fn info_of(label: &str) -> Option<&'static InfoRow> {
    let l = squash(label);
    if l.is_empty() {
        return None;
    }
    INFO.iter().find(|r| {
        squash(r.vi) == l
            || squash(r.en) == l
            || squash(r.key) == l
            || r.other.contains(&l.as_str())
    })
}

/// Sheet names: the price sheet and the information sheet, in either language.
const PRICE_SHEET: (&str, &str) = ("Bảng giá", "Prices");
const INFO_SHEET: (&str, &str) = ("Thông tin", "Information");

// ---- values -------------------------------------------------------------------------------

/// A decimal written `1,15` or `1.15` (or a number cell) as an integer × 10 000, read as text
/// so no binary fraction creeps in. None when it is not such a number or has more than four
/// decimals that are not zero.
pub fn parse_coefficient(raw: &str) -> Option<i32> {
    let s = raw.trim();
    let (whole, frac) = match s.find([',', '.']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 4 || !digits(whole) || !digits(frac) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 4 {
        return None;
    }
    let whole: i32 = whole.parse().ok()?;
    let frac_value: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<4}").parse().ok()?
    };
    whole.checked_mul(10_000)?.checked_add(frac_value)
}

/// A unit price: a number cell holding a whole number, or text of digits with `.`, `,` or
/// spaces between groups of three (`1.234.567`), optionally followed by `đ`, `đồng` or `VND`.
pub(super) fn parse_price(raw: &str, numeric: bool) -> Result<i64, &'static str> {
    let s = raw.trim();
    if numeric {
        // A number cell reads as its shortest text: `12.5` is a fraction, digits alone beyond
        // i64 are too large.
        return match s.parse::<i64>() {
            Ok(n) if n < 0 => Err("negative_unit_price"),
            Ok(n) if n > MAX_UNIT_PRICE => Err("unit_price_too_large"),
            Ok(n) => Ok(n),
            Err(_) if s.starts_with('-') => Err("negative_unit_price"),
            Err(_) if s.contains('.') => Err("invalid_unit_price"),
            Err(_) => Err("unit_price_too_large"),
        };
    }
    let lower = s.to_lowercase();
    // Longer suffixes first: `vnđ` before `đ`.
    let body = ["đồng", "vnđ", "vnd", "dong", "đ", "d"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
        .unwrap_or(&lower)
        .trim();
    if body.starts_with('-') {
        return Err("negative_unit_price");
    }
    let groups: Vec<&str> = body.split(['.', ',', ' ', '\u{a0}']).collect();
    let well_grouped = groups.len() == 1
        || (groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.iter().skip(1).all(|g| g.len() == 3));
    if body.is_empty()
        || !well_grouped
        || !groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("invalid_unit_price");
    }
    let digits: String = groups.concat();
    match digits.parse::<i64>() {
        Ok(n) if n > MAX_UNIT_PRICE => Err("unit_price_too_large"),
        Ok(n) => Ok(n),
        Err(_) => Err("unit_price_too_large"),
    }
}

// ---- reading the workbook -----------------------------------------------------------------

/// The two sheets as rows of text cells.
pub(super) struct Book {
    pub prices: Vec<SheetRow>,
    pub info: Vec<SheetRow>,
}

fn invalid(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid(code, message)
}

/// The declared sizes of all entries together, before anything is unpacked.
fn check_unpacked(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> AppResult<()> {
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| invalid("invalid_xlsx", format!("the workbook cannot be read: {e}")))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED {
        return Err(AppError::Unprocessable {
            code: "invalid_xlsx",
            message: format!(
                "the workbook unpacks to more than {} MB; a price table is far smaller",
                MAX_UNPACKED / 1_000_000
            ),
            details: Some(json!({"reason": "too_large"})),
        });
    }
    Ok(())
}

fn find_sheet(names: &[String], wanted: (&str, &str)) -> Option<String> {
    let keys = [squash(wanted.0), squash(wanted.1)];
    names.iter().find(|n| keys.contains(&squash(n))).cloned()
}

/// Reads the cells of one sheet as a stream; rows kept sparse, each as wide as its last cell,
/// and a cell beyond the caps stops the read before anything is allocated for it.
fn read_sheet(
    book: &mut calamine::Xlsx<Cursor<&[u8]>>,
    name: &str,
    max_rows: u32,
    max_columns: u32,
    what: &str,
) -> AppResult<Vec<SheetRow>> {
    use calamine::DataRef;
    let unreadable = |e: &dyn std::fmt::Display| {
        invalid(
            "invalid_xlsx",
            format!("the sheet \"{name}\" cannot be read: {e}"),
        )
    };
    let mut cells = book
        .worksheet_cells_reader(name)
        .map_err(|e| unreadable(&e))?;
    let mut rows: BTreeMap<u32, Vec<(String, bool)>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        let (row, column) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::String(s) => (s.trim().to_string(), false),
            DataRef::SharedString(s) => (s.trim().to_string(), false),
            DataRef::Int(n) => (n.to_string(), true),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                (format!("{}", *f as i64), true)
            }
            // The shortest text that reads back as the same number: 1.15, not 1.149999….
            DataRef::Float(f) => (f.to_string(), true),
            DataRef::Bool(b) => (b.to_string(), false),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => (s.clone(), false),
            DataRef::DateTime(d) => (d.as_f64().to_string(), true),
            DataRef::Error(_) | DataRef::Empty => continue,
        };
        if value.0.is_empty() {
            continue;
        }
        limits::check_cell_within(row, column, max_rows, max_columns, what)?;
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

/// Opens the workbook and reads its two sheets (by name in either language, else the first and
/// the second sheet).
pub(super) fn read_book(bytes: &[u8]) -> AppResult<Book> {
    use calamine::Reader;
    let unreadable = |e: &dyn std::fmt::Display| {
        invalid(
            "invalid_xlsx",
            format!("the file is not a readable Excel workbook (save it as .xlsx): {e}"),
        )
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    check_unpacked(&mut archive)?;
    limits::check_zip(&mut archive, "invalid_xlsx")?;
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let names = book.sheet_names();
    let prices = find_sheet(&names, PRICE_SHEET)
        .or_else(|| names.first().cloned())
        .ok_or_else(|| invalid("invalid_xlsx", "the workbook has no worksheet"))?;
    let info = find_sheet(&names, INFO_SHEET)
        .or_else(|| names.iter().find(|n| **n != prices).cloned())
        .ok_or_else(|| {
            invalid(
                "missing_info_sheet",
                "the workbook has no sheet \"Thông tin\" (Information) with the table's name, legal basis and validity; start from the template",
            )
        })?;
    Ok(Book {
        prices: read_sheet(
            &mut book,
            &prices,
            MAX_SHEET_ROWS,
            MAX_SHEET_COLUMNS,
            "a price sheet",
        )?,
        info: read_sheet(
            &mut book,
            &info,
            MAX_INFO_ROWS,
            MAX_INFO_COLUMNS,
            "the information sheet",
        )?,
    })
}

// ---- checking -----------------------------------------------------------------------------

/// One refused row or field of a price workbook.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceImportProblem {
    /// `prices` or `info`.
    pub sheet: String,
    /// The row number as the spreadsheet shows it (0: the sheet as a whole).
    pub row: usize,
    /// The column (price sheet) or field (information sheet): `unit_price`, `valid_from`, …
    pub column: Option<String>,
    /// Stable code, e.g. `unknown_category`, `negative_unit_price`, `duplicate_item`.
    pub code: String,
    /// What is wrong (English, for API clients; the page words it from `code` and `details`).
    pub reason: String,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

pub(super) fn problem(
    sheet: &str,
    row: usize,
    column: Option<&str>,
    code: &str,
    reason: String,
    details: &[(&str, String)],
) -> PriceImportProblem {
    PriceImportProblem {
        sheet: sheet.into(),
        row,
        column: column.map(str::to_string),
        code: code.into(),
        reason,
        details: details
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
    }
}

/// The table as its information sheet gives it.
#[derive(Clone, Debug, Default)]
pub(super) struct Head {
    pub province_code: Option<String>,
    pub name: Option<String>,
    pub legal_basis: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub land_coefficient: Option<i32>,
    pub coefficient_basis: Option<String>,
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

/// One field's value put into `head`, or the problem with it (code and reason).
fn set_info(
    head: &mut Head,
    field: Info,
    raw: &str,
    numeric: bool,
) -> Result<(), (&'static str, String)> {
    let text = || {
        if raw.chars().count() > MAX_TEXT {
            Err((
                "text_too_long",
                format!("the text is limited to {MAX_TEXT} characters"),
            ))
        } else {
            Ok(raw.to_string())
        }
    };
    let date = || match dates::parse(raw, numeric) {
        Some(CellDate::Day(d)) => Ok(d),
        _ => Err((
            "invalid_date",
            format!("`{}` is not a date; write dd/mm/yyyy", short(raw)),
        )),
    };
    match field {
        Info::Province => {
            if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_digit()) {
                head.province_code = Some(raw.to_string());
            } else {
                return Err((
                    "invalid_province",
                    format!(
                        "`{}` is not a two-digit province code such as 51",
                        short(raw)
                    ),
                ));
            }
        }
        Info::Name => head.name = Some(text()?),
        Info::LegalBasis => head.legal_basis = Some(text()?),
        Info::CoefficientBasis => head.coefficient_basis = Some(text()?),
        Info::IssuedOn => head.issued_on = Some(date()?),
        Info::ValidFrom => head.valid_from = Some(date()?),
        Info::ValidUntil => head.valid_until = Some(date()?),
        Info::Coefficient => match parse_coefficient(raw) {
            Some(k) if (COEFFICIENT_MIN..=COEFFICIENT_MAX).contains(&k) => {
                head.land_coefficient = Some(k);
            }
            Some(_) => {
                return Err((
                    "coefficient_out_of_range",
                    format!(
                        "the land price coefficient {} is not between 0.5 and 5",
                        short(raw)
                    ),
                ))
            }
            None => {
                return Err((
                    "invalid_coefficient",
                    format!(
                        "`{}` is not a decimal such as 1,15 or 1.15 (at most 4 decimals)",
                        short(raw)
                    ),
                ))
            }
        },
    }
    Ok(())
}

/// The information sheet: one field a row, its label in the first filled cell and its value
/// in the cell right of it; rows with other labels (titles, headers) are passed over.
pub(super) fn read_info(rows: &[SheetRow], problems: &mut Vec<PriceImportProblem>) -> Head {
    let mut head = Head::default();
    // Field → the row that gave it, and the fields whose value was refused.
    let mut seen: HashMap<Info, usize> = HashMap::new();
    let mut refused: HashSet<Info> = HashSet::new();
    for row in rows {
        let Some(at) = row.cells.iter().position(|(s, _)| !s.is_empty()) else {
            continue;
        };
        let Some(def) = info_of(&row.cells[at].0) else {
            continue;
        };
        if let Some(first) = seen.insert(def.field, row.number) {
            problems.push(problem(
                "info",
                row.number,
                Some(def.key),
                "duplicate_field",
                format!(
                    "{} is given twice (rows {first} and {})",
                    def.key, row.number
                ),
                &[("first_row", first.to_string())],
            ));
            refused.insert(def.field);
            continue;
        }
        let (raw, numeric) = row
            .cells
            .get(at + 1)
            .map_or(("", false), |(s, n)| (s.as_str(), *n));
        if raw.is_empty() {
            continue;
        }
        if let Err((code, reason)) = set_info(&mut head, def.field, raw, numeric) {
            problems.push(problem(
                "info",
                row.number,
                Some(def.key),
                code,
                reason,
                &[("value", short(raw))],
            ));
            refused.insert(def.field);
        }
    }
    let required = [
        (Info::Name, head.name.is_some()),
        (Info::LegalBasis, head.legal_basis.is_some()),
        (Info::ValidFrom, head.valid_from.is_some()),
        (Info::Coefficient, head.land_coefficient.is_some()),
    ];
    for (field, present) in required {
        if present || refused.contains(&field) {
            continue;
        }
        let Some(def) = INFO.iter().find(|r| r.field == field) else {
            continue;
        };
        problems.push(problem(
            "info",
            seen.get(&field).copied().unwrap_or(0),
            Some(def.key),
            "missing_field",
            format!(
                "the information sheet gives no {} (\"{}\")",
                def.key, def.vi
            ),
            &[("field", def.key.to_string())],
        ));
    }
    if let (Some(from), Some(until)) = (head.valid_from, head.valid_until) {
        if from > until {
            problems.push(problem(
                "info",
                seen.get(&Info::ValidUntil).copied().unwrap_or(0),
                Some("valid_until"),
                "invalid_validity",
                format!("the table is valid from {from} but until {until}, before it starts"),
                &[("valid_from", vn(from)), ("valid_until", vn(until))],
            ));
        }
    }
    head
}

fn vn(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// A checked row of the price sheet.
#[derive(Clone, Debug)]
pub(super) struct Item {
    pub category: AssetCategory,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub unit_price: i64,
    pub grade: Option<String>,
    pub age_class: Option<String>,
    pub zone: Option<String>,
}

/// Finds the header lines among the first rows: a row naming at least the category and the
/// unit price, and a second language line right under it.
fn find_columns(rows: &[SheetRow]) -> AppResult<(usize, HashMap<Col, usize>)> {
    let headers = |row: &SheetRow| {
        let mut at = HashMap::new();
        for (c, (text, _)) in row.cells.iter().enumerate() {
            if let Some(col) = column_of(text) {
                at.entry(col).or_insert(c);
            }
        }
        at
    };
    for (i, row) in rows.iter().take(20).enumerate() {
        let mut at = headers(row);
        if !(at.contains_key(&Col::Category) && at.contains_key(&Col::UnitPrice)) {
            continue;
        }
        let mut last = i;
        if let Some(next) = rows.get(i + 1).filter(|r| r.number == row.number + 1) {
            let below = headers(next);
            if below.len() >= 3 {
                for (col, c) in below {
                    at.entry(col).or_insert(c);
                }
                last = i + 1;
            }
        }
        for col in [Col::Code, Col::Name, Col::Unit] {
            if !at.contains_key(&col) {
                return Err(AppError::Unprocessable {
                    code: "missing_column",
                    message: format!(
                        "row {}: the price sheet has no {} column; start from the template",
                        row.number,
                        col.key()
                    ),
                    details: Some(json!({"column": col.key(), "row": row.number})),
                });
            }
        }
        return Ok((last, at));
    }
    Err(AppError::Unprocessable {
        code: "missing_column",
        message: "no header row with \"Nhóm\" (category) and \"Đơn giá\" (unit price) in the first 20 rows of the price sheet; start from the template".into(),
        details: Some(json!({"column": "category"})),
    })
}

type ItemKey = (
    AssetCategory,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A line numbering the columns (`(1) (2) (3)…` or `1 2 3…`), as official forms have.
fn is_numbering(row: &SheetRow) -> bool {
    let filled: Vec<&str> = row
        .cells
        .iter()
        .map(|(s, _)| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    filled.len() >= 3
        && filled.iter().enumerate().all(|(i, s)| {
            let inner = s.trim_start_matches('(').trim_end_matches(')');
            inner.parse::<usize>().is_ok_and(|n| n == i + 1)
        })
}

/// One row of the price sheet being checked: its cells by column and the problems found.
struct RowCheck<'a> {
    row: &'a SheetRow,
    at: &'a HashMap<Col, usize>,
    problems: Vec<PriceImportProblem>,
}

impl RowCheck<'_> {
    fn cell(&self, c: Col) -> (&str, bool) {
        self.at
            .get(&c)
            .and_then(|i| self.row.cells.get(*i))
            .map_or(("", false), |(s, n)| (s.as_str(), *n))
    }

    fn bad(&mut self, c: Col, code: &str, reason: String) {
        let value = short(self.cell(c).0);
        self.problems.push(problem(
            "prices",
            self.row.number,
            Some(c.key()),
            code,
            reason,
            &[("value", value)],
        ));
    }

    /// A text cell: required or not, within its length.
    fn text(&mut self, c: Col, required: bool) -> Option<String> {
        let raw = self.cell(c).0.to_string();
        let max = if c == Col::Name { MAX_TEXT } else { MAX_CODE };
        if raw.is_empty() {
            if required {
                self.bad(
                    c,
                    &format!("missing_{}", c.key()),
                    format!("the {} is empty", c.key()),
                );
            }
            None
        } else if raw.chars().count() > max {
            self.bad(
                c,
                "text_too_long",
                format!("the {} is longer than {max} characters", c.key()),
            );
            None
        } else {
            Some(raw)
        }
    }

    fn category(&mut self) -> Option<AssetCategory> {
        let raw = self.cell(Col::Category).0;
        if raw.is_empty() {
            self.bad(
                Col::Category,
                "missing_category",
                "the category is empty".into(),
            );
            return None;
        }
        let found = category_of(raw);
        if found.is_none() {
            let reason = format!(
                "`{}` is not a category (land, structure, crop, tree, grave, livestock, moving, investment, other)",
                short(raw)
            );
            self.bad(Col::Category, "unknown_category", reason);
        }
        found
    }

    /// The code; a land row's must be a land-use code, upper case as Circular 08/2024 writes
    /// them (`luc` is LUC).
    fn code(&mut self, category: Option<AssetCategory>) -> Option<String> {
        let code = self.text(Col::Code, true)?;
        if category != Some(AssetCategory::Land) {
            return Some(code);
        }
        let upper = code.to_uppercase();
        if LandUse::parse(&upper).is_some() {
            Some(upper)
        } else {
            let reason = format!(
                "`{}` is not a land-use code (LUC, ONT, CLN, …)",
                short(&code)
            );
            self.bad(Col::Code, "unknown_land_use", reason);
            None
        }
    }

    fn unit_price(&mut self) -> Option<i64> {
        let (raw, numeric) = self.cell(Col::UnitPrice);
        if raw.is_empty() {
            self.bad(
                Col::UnitPrice,
                "missing_unit_price",
                "the unit price is empty".into(),
            );
            return None;
        }
        match parse_price(raw, numeric) {
            Ok(p) => Some(p),
            Err(code) => {
                let reason = format!(
                    "`{}` is not a whole, non-negative number of đồng (at most {MAX_UNIT_PRICE})",
                    short(raw)
                );
                self.bad(Col::UnitPrice, code, reason);
                None
            }
        }
    }

    /// The row as an item, or every problem it has.
    fn item(mut self) -> Result<Item, Vec<PriceImportProblem>> {
        let category = self.category();
        let code = self.code(category);
        let name = self.text(Col::Name, true);
        let unit = self.text(Col::Unit, true);
        let unit_price = self.unit_price();
        let grade = self.text(Col::Grade, false);
        let age_class = self.text(Col::AgeClass, false);
        let zone = self.text(Col::Zone, false);
        match (category, code, name, unit, unit_price) {
            (Some(category), Some(code), Some(name), Some(unit), Some(unit_price))
                if self.problems.is_empty() =>
            {
                Ok(Item {
                    category,
                    code,
                    name,
                    unit,
                    unit_price,
                    grade,
                    age_class,
                    zone,
                })
            }
            _ => Err(self.problems),
        }
    }
}

/// The price rows under the header, each checked; the rows with problems are left out and
/// their problems added to `problems`.
pub(super) fn read_items(
    rows: &[SheetRow],
    problems: &mut Vec<PriceImportProblem>,
) -> AppResult<Vec<Item>> {
    let (header, at) = find_columns(rows)?;
    let mut data: Vec<&SheetRow> = rows[header + 1..]
        .iter()
        .filter(|r| r.cells.iter().any(|(s, _)| !s.is_empty()))
        .collect();
    // Official forms number their columns under the header: `(1) (2) (3)…`.
    if data.first().is_some_and(|r| is_numbering(r)) {
        data.remove(0);
    }
    if data.len() > MAX_ITEMS {
        return Err(AppError::Unprocessable {
            code: "too_many_rows",
            message: format!(
                "the price sheet has {} rows; a table may have at most {MAX_ITEMS} (split it by category)",
                data.len()
            ),
            details: Some(json!({"rows": data.len(), "max_rows": MAX_ITEMS})),
        });
    }
    if data.is_empty() {
        return Err(invalid(
            "empty_price_table",
            "the price sheet has no price rows under its header",
        ));
    }
    let mut items = Vec::with_capacity(data.len());
    let mut seen: HashMap<ItemKey, usize> = HashMap::new();
    for row in data {
        let check = RowCheck {
            row,
            at: &at,
            problems: Vec::new(),
        };
        let item = match check.item() {
            Ok(item) => item,
            Err(found) => {
                problems.extend(found);
                continue;
            }
        };
        let key = (
            item.category,
            item.code.clone(),
            item.grade.clone(),
            item.age_class.clone(),
            item.zone.clone(),
        );
        if let Some(first) = seen.get(&key) {
            problems.push(problem(
                "prices",
                row.number,
                Some("code"),
                "duplicate_item",
                format!(
                    "row {} prices the same category, code, grade, age class and zone as row {first}",
                    row.number
                ),
                &[("first_row", first.to_string()), ("value", short(&item.code))],
            ));
            continue;
        }
        seen.insert(key, row.number);
        items.push(item);
    }
    Ok(items)
}

/// An example row of the template: category, code, Vietnamese and English name and unit,
/// unit price, grade, age class, zone.
type Example = (
    AssetCategory,
    &'static str,
    (&'static str, &'static str),
    (&'static str, &'static str),
    i64,
    &'static str,
    &'static str,
    &'static str,
);

/// Examples in the shape of Quảng Ngãi's tables; the prices are illustrations, not the
/// province's.
#[rustfmt::skip]
const EXAMPLES: &[Example] = &[
    (AssetCategory::Land, "LUC", ("Đất chuyên trồng lúa nước", "Rice paddy land"), ("m²", "m²"), 55_000, "", "", "VT1"),
    (AssetCategory::Land, "ONT", ("Đất ở tại nông thôn", "Rural residential land"), ("m²", "m²"), 2_500_000, "", "", "VT1"),
    (AssetCategory::Land, "CLN", ("Đất trồng cây lâu năm", "Perennial crop land"), ("m²", "m²"), 45_000, "", "", "VT1"),
    (AssetCategory::Structure, "nha_cap_4", ("Nhà cấp 4, tường gạch, mái ngói", "Grade-4 house, brick walls, tiled roof"), ("m²", "m²"), 3_200_000, "A", "", ""),
    (AssetCategory::Structure, "nha_cap_4", ("Nhà cấp 4, tường gạch, mái tôn", "Grade-4 house, brick walls, metal roof"), ("m²", "m²"), 2_700_000, "B", "", ""),
    (AssetCategory::Structure, "nha_khung_thep", ("Nhà khung thép, mái tôn", "Steel-frame house, metal roof"), ("m²", "m²"), 1_800_000, "", "", ""),
    (AssetCategory::Tree, "keo", ("Cây keo dưới 1 năm tuổi", "Acacia under 1 year"), ("cây", "tree"), 15_000, "", "duoi_1_nam", ""),
    (AssetCategory::Tree, "keo", ("Cây keo từ 1 đến 3 năm tuổi", "Acacia 1 to 3 years"), ("cây", "tree"), 40_000, "", "1_3_nam", ""),
    (AssetCategory::Tree, "keo", ("Cây keo trên 3 năm tuổi", "Acacia over 3 years"), ("cây", "tree"), 80_000, "", "tren_3_nam", ""),
    (AssetCategory::Tree, "dua", ("Cây dừa đang cho quả", "Coconut palm bearing fruit"), ("cây", "tree"), 1_200_000, "", "cho_qua", ""),
    (AssetCategory::Crop, "lua", ("Lúa", "Rice"), ("m²", "m²"), 4_500, "", "", ""),
    (AssetCategory::Grave, "mo_dat", ("Mộ đất", "Earth grave"), ("mộ", "grave"), 8_000_000, "", "", ""),
    (AssetCategory::Grave, "mo_xay", ("Mộ xây", "Built grave"), ("mộ", "grave"), 15_000_000, "", "", ""),
    (AssetCategory::Moving, "di_chuyen_ho", ("Chi phí di chuyển chỗ ở trong tỉnh", "Moving house within the province"), ("hộ", "household"), 6_000_000, "", "", ""),
];

fn category_label(c: AssetCategory, en: bool) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(k, ..)| *k == c)
        .map_or("", |(_, vi, e, _)| if en { e } else { vi })
}

/// The formats both sheets of the template share.
struct Formats {
    title: rust_xlsxwriter::Format,
    note: rust_xlsxwriter::Format,
    header: rust_xlsxwriter::Format,
    second: rust_xlsxwriter::Format,
    text: rust_xlsxwriter::Format,
    money: rust_xlsxwriter::Format,
    date: rust_xlsxwriter::Format,
}

impl Formats {
    fn new() -> Self {
        use rust_xlsxwriter::{Format, FormatAlign, FormatBorder};
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new()
                .set_italic()
                .set_font_color("#4d5660")
                .set_text_wrap(),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin)
                .set_background_color("#e8eef3"),
            second: Format::new()
                .set_italic()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_border(FormatBorder::Thin)
                .set_background_color("#f4f7f9"),
            text: Format::new().set_num_format("@"),
            money: Format::new().set_num_format("#,##0"),
            date: Format::new().set_num_format("dd/mm/yyyy"),
        }
    }
}

fn xlsx_failed(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!(e))
}

/// The sheet "Bảng giá": a title, a note, two header lines (the language asked first) and
/// the examples; the unit price a number cell, the codes text.
fn price_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    en: bool,
    f: &Formats,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::DataValidation;
    sheet.set_name(if en { PRICE_SHEET.1 } else { PRICE_SHEET.0 })?;
    let last = (COLUMNS.len() - 1) as u16;
    let (title, note) = if en {
        (
            "COMPENSATION PRICE TABLE (gpmb import template)",
            "One price per row. Category: Land, Structures, Annual crops, Perennial trees, Graves, Livestock, Moving, Investment in land, Other. Land codes as Circular 08/2024/TT-BTNMT (LUC, ONT, CLN…). Unit price: a whole number of đồng. Leave grade, age class and position empty when the price applies to all. Replace the example rows; the decision, validity and coefficient go on the sheet \"Information\".",
        )
    } else {
        (
            "BẢNG ĐƠN GIÁ BỒI THƯỜNG, HỖ TRỢ (mẫu nhập gpmb)",
            "Mỗi dòng một đơn giá. Nhóm: Đất, Nhà – vật kiến trúc, Cây hàng năm – hoa màu, Cây lâu năm, Mồ mả, Vật nuôi, Di chuyển, Chi phí đầu tư vào đất, Khác. Mã đất theo Thông tư 08/2024/TT-BTNMT (LUC, ONT, CLN…). Đơn giá là số nguyên, đơn vị đồng. Cấp, loại tuổi, vị trí để trống nếu áp dụng chung. Thay các dòng ví dụ bằng bảng giá thật; quyết định, hiệu lực và hệ số ghi ở trang \"Thông tin\".",
        )
    };
    sheet.merge_range(0, 0, 0, last, title, &f.title)?;
    sheet.merge_range(1, 0, 1, last, note, &f.note)?;
    sheet.set_row_height(1, 60)?;
    sheet.set_row_height(2, 30)?;
    for (c, (col, vi, e, width, _)) in COLUMNS.iter().enumerate() {
        let c = c as u16;
        sheet.set_column_width(c, *width)?;
        let (first, other) = if en { (*e, *vi) } else { (*vi, *e) };
        sheet.write_string_with_format(2, c, first, &f.header)?;
        sheet.write_string_with_format(3, c, other, &f.second)?;
        match col {
            Col::UnitPrice => {
                sheet.set_column_format(c, &f.money)?;
            }
            Col::Code | Col::Grade | Col::AgeClass | Col::Zone => {
                sheet.set_column_format(c, &f.text)?;
            }
            _ => {}
        }
    }
    for (r, (category, code, name, unit, price, grade, age, zone)) in EXAMPLES.iter().enumerate() {
        let r = (r + 4) as u32;
        let pick = |pair: &(&'static str, &'static str)| if en { pair.1 } else { pair.0 };
        for (c, (col, ..)) in COLUMNS.iter().enumerate() {
            let c = c as u16;
            let value = match col {
                Col::UnitPrice => {
                    sheet.write_number_with_format(r, c, *price as f64, &f.money)?;
                    continue;
                }
                Col::Category => category_label(*category, en),
                Col::Code => code,
                Col::Name => pick(name),
                Col::Unit => pick(unit),
                Col::Grade => grade,
                Col::AgeClass => age,
                Col::Zone => zone,
            };
            if !value.is_empty() {
                sheet.write_string_with_format(r, c, value, &f.text)?;
            }
        }
    }
    // The category column offers the names the importer knows: a help, not a lock (the
    // importer also reads the codes, `land`, and usual names).
    let names: Vec<&str> = CATEGORIES
        .iter()
        .map(|(_, vi, e, _)| if en { *e } else { *vi })
        .collect();
    let list = DataValidation::new()
        .allow_list_strings(&names)?
        .ignore_blank(true)
        .show_error_message(false);
    sheet.add_data_validation(4, 0, MAX_ITEMS as u32 + 3, 0, &list)?;
    sheet.set_freeze_panes(4, 0)?;
    Ok(())
}

/// The sheet "Thông tin": one field a row, label, example value and a note.
fn info_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    en: bool,
    f: &Formats,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::ExcelDateTime;
    sheet.set_name(if en { INFO_SHEET.1 } else { INFO_SHEET.0 })?;
    sheet.set_column_width(0, 36)?;
    sheet.set_column_width(1, 44)?;
    sheet.set_column_width(2, 60)?;
    let title = if en {
        "PRICE TABLE INFORMATION"
    } else {
        "THÔNG TIN BẢNG GIÁ"
    };
    sheet.write_string_with_format(0, 0, title, &f.title)?;
    let heads = if en {
        ["Item", "Value", "Note"]
    } else {
        ["Mục", "Giá trị", "Ghi chú"]
    };
    for (c, h) in heads.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &f.header)?;
    }
    for (r, row) in INFO.iter().enumerate() {
        let r = (r + 2) as u32;
        sheet.write_string(r, 0, if en { row.en } else { row.vi })?;
        sheet.write_string_with_format(
            r,
            2,
            if en { row.note_en } else { row.note_vi },
            &f.note,
        )?;
        match row.field {
            Info::Province => {
                sheet.write_string_with_format(r, 1, DEFAULT_PROVINCE, &f.text)?;
            }
            Info::Name => {
                let name = if en {
                    "Quảng Ngãi compensation prices 2026 (example)"
                } else {
                    "Đơn giá bồi thường tỉnh Quảng Ngãi năm 2026 (ví dụ)"
                };
                sheet.write_string(r, 1, name)?;
            }
            Info::LegalBasis => {
                sheet.write_string(r, 1, "QĐ 45/2025/QĐ-UBND")?;
            }
            Info::IssuedOn => {
                sheet.write_datetime_with_format(
                    r,
                    1,
                    &ExcelDateTime::from_ymd(2025, 12, 20)?,
                    &f.date,
                )?;
            }
            Info::ValidFrom => {
                sheet.write_datetime_with_format(
                    r,
                    1,
                    &ExcelDateTime::from_ymd(2026, 1, 1)?,
                    &f.date,
                )?;
            }
            Info::ValidUntil => {
                sheet.set_cell_format(r, 1, &f.date)?;
            }
            Info::Coefficient => {
                // Text, so the decimal comma survives whatever the spreadsheet's locale.
                sheet.write_string_with_format(r, 1, if en { "1.15" } else { "1,15" }, &f.text)?;
            }
            Info::CoefficientBasis => {
                sheet.write_string(r, 1, "QĐ 02/2026/QĐ-UBND")?;
            }
        }
    }
    Ok(())
}

/// The template workbook in `lang`; the importer reads it back as it is.
pub fn template_bytes(lang: Lang) -> AppResult<Vec<u8>> {
    let en = lang == Lang::En;
    let formats = Formats::new();
    let mut book = rust_xlsxwriter::Workbook::new();
    price_sheet(book.add_worksheet(), en, &formats).map_err(xlsx_failed)?;
    info_sheet(book.add_worksheet(), en, &formats).map_err(xlsx_failed)?;
    book.save_to_buffer().map_err(xlsx_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_read_as_decimal_text() {
        assert_eq!(parse_coefficient("1,15"), Some(11_500));
        assert_eq!(parse_coefficient("1.15"), Some(11_500));
        assert_eq!(parse_coefficient("1"), Some(10_000));
        assert_eq!(parse_coefficient("0,5"), Some(5_000));
        assert_eq!(parse_coefficient("1.2345"), Some(12_345));
        assert_eq!(parse_coefficient("1.23450"), Some(12_345));
        // A number cell's shortest text.
        assert_eq!(parse_coefficient(&1.15f64.to_string()), Some(11_500));
        assert_eq!(parse_coefficient("1.23456"), None);
        assert_eq!(parse_coefficient("1,1,5"), None);
        assert_eq!(parse_coefficient("-1"), None);
        assert_eq!(parse_coefficient(",5"), None);
        assert_eq!(parse_coefficient("abc"), None);
        assert_eq!(parse_coefficient(""), None);
        assert_eq!(parse_coefficient("99999999999"), None);
    }

    #[test]
    fn prices_are_whole_non_negative_dong() {
        assert_eq!(parse_price("1234567", true), Ok(1_234_567));
        assert_eq!(parse_price("1.234.567", false), Ok(1_234_567));
        assert_eq!(parse_price("1,234,567", false), Ok(1_234_567));
        assert_eq!(parse_price("1 234 567 đ", false), Ok(1_234_567));
        assert_eq!(parse_price("55000 đồng", false), Ok(55_000));
        assert_eq!(parse_price("55.000 VNĐ", false), Ok(55_000));
        assert_eq!(parse_price("0", true), Ok(0));
        assert_eq!(parse_price("-5", true), Err("negative_unit_price"));
        assert_eq!(parse_price("-5.000", false), Err("negative_unit_price"));
        assert_eq!(parse_price("12.5", true), Err("invalid_unit_price"));
        assert_eq!(parse_price("1.23", false), Err("invalid_unit_price"));
        assert_eq!(parse_price("abc", false), Err("invalid_unit_price"));
        assert_eq!(
            parse_price("100000000000000000000", true),
            Err("unit_price_too_large")
        );
        assert_eq!(
            parse_price("99999999999999999999", false),
            Err("unit_price_too_large")
        );
        assert_eq!(
            parse_price("1000000000001", true),
            Err("unit_price_too_large")
        );
    }

    #[test]
    fn categories_by_code_and_name() {
        assert_eq!(category_of("land"), Some(AssetCategory::Land));
        assert_eq!(category_of("Đất"), Some(AssetCategory::Land));
        assert_eq!(
            category_of("Nhà – vật kiến trúc"),
            Some(AssetCategory::Structure)
        );
        assert_eq!(category_of("cây lâu năm"), Some(AssetCategory::Tree));
        assert_eq!(category_of("Annual crops"), Some(AssetCategory::Crop));
        assert_eq!(category_of("Mồ mả"), Some(AssetCategory::Grave));
        assert_eq!(category_of("xe máy"), None);
    }

    fn row(number: usize, cells: &[&str]) -> SheetRow {
        SheetRow {
            number,
            cells: cells.iter().map(|c| ((*c).to_string(), false)).collect(),
        }
    }

    #[test]
    fn a_sheet_of_the_province_with_a_numbering_line_reads() {
        let rows = [
            row(1, &["BẢNG GIÁ CÂY TRỒNG"]),
            row(
                3,
                &["Loại", "Ký hiệu", "Hạng mục", "ĐVT", "Đơn giá", "", "Tuổi"],
            ),
            row(4, &["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"]),
            row(
                5,
                &[
                    "Cây lâu năm",
                    "keo",
                    "Keo lai",
                    "cây",
                    "40.000 đ",
                    "",
                    "1_3_nam",
                ],
            ),
        ];
        let mut problems = Vec::new();
        let items = read_items(&rows, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].unit_price, 40_000);
        assert_eq!(items[0].age_class.as_deref(), Some("1_3_nam"));
        assert_eq!(items[0].grade, None);
    }

    #[test]
    fn the_template_reads_back_without_problems() {
        for lang in [Lang::Vi, Lang::En] {
            let bytes = template_bytes(lang).unwrap();
            let book = read_book(&bytes).unwrap();
            let mut problems = Vec::new();
            let head = read_info(&book.info, &mut problems);
            let items = read_items(&book.prices, &mut problems).unwrap();
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(items.len(), EXAMPLES.len());
            assert_eq!(head.land_coefficient, Some(11_500));
            assert_eq!(head.province_code.as_deref(), Some("51"));
            assert_eq!(head.valid_from, NaiveDate::from_ymd_opt(2026, 1, 1));
            assert_eq!(head.valid_until, None);
            let luc = &items[0];
            assert_eq!(
                (luc.category, luc.code.as_str(), luc.unit_price),
                (AssetCategory::Land, "LUC", 55_000)
            );
            assert_eq!(luc.zone.as_deref(), Some("VT1"));
        }
    }
}

/// Hostile workbooks (issue 16 item 3, as for the registers): whatever the bytes, the reader
/// answers with rows or a 4xx error — never a panic or a 500.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::imports::hostile;

    fn read_or_refuse(bytes: &[u8]) -> Result<(), TestCaseError> {
        let refused = |e: &AppError| {
            let status = e.status_code();
            prop_assert!(status.is_client_error(), "{status}: {e}");
            Ok(())
        };
        match read_book(bytes) {
            Ok(book) => {
                let mut problems = Vec::new();
                let _ = read_info(&book.info, &mut problems);
                match read_items(&book.prices, &mut problems) {
                    Ok(items) => prop_assert!(items.len() <= MAX_ITEMS),
                    Err(e) => refused(&e)?,
                }
            }
            Err(e) => refused(&e)?,
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: hostile::cases(64),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn mangled_templates_are_read_or_refused(en in any::<bool>(), changes in hostile::mutations()) {
            let seed = template_bytes(if en { Lang::En } else { Lang::Vi }).unwrap();
            read_or_refuse(&hostile::apply(&seed, &changes))?;
        }

        #[test]
        fn workbooks_with_cells_anywhere_are_read_or_refused(cells in hostile::workbook_cells()) {
            read_or_refuse(&hostile::workbook(&cells))?;
        }
    }
}
