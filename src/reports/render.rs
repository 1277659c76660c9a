//! The periodic report in three formats (XLSX, CSV, printable HTML), all drawn from one
//! `PeriodStats` and one list of metrics, in Vietnamese (labels from the `report` catalogue).
use askama::Template;
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::fmt::Write as _;

use super::dto::{Numbers, PeriodStats, UnitNumbers};
use super::period::{date_vi, Period};
use crate::domain::{CaseStage, ParcelStatus, Stance, VisitKind};
use crate::error::{AppError, AppResult};
use crate::i18n::{Catalogue, Lang};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Xlsx,
    Csv,
    Html,
}

impl ReportFormat {
    pub fn parse(s: &str) -> AppResult<ReportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "xlsx" => Ok(ReportFormat::Xlsx),
            "csv" => Ok(ReportFormat::Csv),
            "html" => Ok(ReportFormat::Html),
            other => Err(AppError::BadRequest(format!(
                "unknown report format `{other}`: use xlsx, csv or html"
            ))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Csv => "csv",
            ReportFormat::Html => "html",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Html => "text/html; charset=utf-8",
        }
    }

    /// HTML opens in the browser (to print); the others download.
    pub fn disposition(self) -> &'static str {
        match self {
            ReportFormat::Html => "inline",
            _ => "attachment",
        }
    }
}

/// Who issues the report and when; everything else comes from the numbers.
pub struct Issue {
    pub agency: String,
    /// The agency the issuing one belongs to (`UBND HUYỆN BÌNH SƠN`), the line above it.
    pub parent_agency: Option<String>,
    /// The symbol after `Số: …/` (`BC-BCĐ`).
    pub doc_symbol: String,
    pub place: String,
    pub date: NaiveDate,
}

/// The project's agency (or the default steering committee), Quảng Ngãi, today (Vietnam time),
/// with the catalogue's document symbol and no parent line.
pub fn issue_of(project: &crate::entities::projects::Model) -> Issue {
    let cat = Catalogue::load(Lang::Vi);
    Issue {
        agency: project
            .agency
            .clone()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| cat.t("report.agency_default").to_string()),
        parent_agency: None,
        doc_symbol: cat.t("report.doc_symbol_default").to_string(),
        place: cat.t("report.place").to_string(),
        date: (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive(),
    }
}

/// `issue_of` completed from the project's report settings (`project_report_settings`): its
/// parent agency and document symbol. Without a parent agency there, the organisation of the
/// project party that decides land recovery (`project_parties`, role "Quyết định thu hồi đất…")
/// is the parent, as the issuing committee answers to it.
pub async fn issue_for(
    conn: &impl sea_orm::ConnectionTrait,
    project: &crate::entities::projects::Model,
) -> AppResult<Issue> {
    use crate::entities::{project_parties, project_report_settings};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut issue = issue_of(project);
    let settings = project_report_settings::Entity::find()
        .filter(project_report_settings::Column::ProjectId.eq(project.id))
        .one(conn)
        .await?;
    let set = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(symbol) = set(settings.as_ref().and_then(|s| s.doc_symbol.clone())) {
        issue.doc_symbol = symbol;
    }
    issue.parent_agency = set(settings.and_then(|s| s.parent_agency));
    if issue.parent_agency.is_none() {
        let parties = project_parties::Entity::find()
            .filter(project_parties::Column::ProjectId.eq(project.id))
            .order_by_asc(project_parties::Column::SortOrder)
            .all(conn)
            .await?;
        issue.parent_agency = parties
            .into_iter()
            .find(|p| crate::text::fold(&p.role_vi).contains("quyet dinh thu hoi"))
            .map(|p| p.organisation)
            .filter(|o| o.trim() != issue.agency.trim());
    }
    Ok(issue)
}

/// A metric's value: a count or an area, or money in whole đồng, which stays an integer
/// from the ledger to the page (`1.234.567 đ`) and the spreadsheet (`#,##0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Dong(i64),
}

impl Value {
    /// `self − before`, of the same kind (money stays integer).
    #[must_use]
    pub fn minus(self, before: Value) -> Value {
        match (self, before) {
            (Value::Dong(a), Value::Dong(b)) => Value::Dong(a.saturating_sub(b)),
            (a, b) => Value::Number(a.as_f64() - b.as_f64()),
        }
    }

    /// Zero of the same kind, for a unit the previous period did not have.
    fn zero(self) -> Value {
        match self {
            Value::Number(_) => Value::Number(0.0),
            Value::Dong(_) => Value::Dong(0),
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Value::Number(v) => v,
            Value::Dong(v) => v as f64,
        }
    }

    /// Machine-readable (CSV): integers without decimals, areas to 0.01 m², money in đồng.
    fn plain(self) -> String {
        match self {
            Value::Number(v) => fmt_plain(v),
            Value::Dong(v) => v.to_string(),
        }
    }

    /// As the printed page shows it: `1.234,5`, money `1.234.567 đ`.
    fn shown(self) -> String {
        match self {
            Value::Number(v) => fmt_vi(v),
            Value::Dong(v) => crate::compensation::calc::format_dong(v),
        }
    }

    /// A change, signed: `+3`, `0`, `-1.000 đ`.
    fn change(self) -> String {
        match self {
            Value::Number(v) => fmt_change(v),
            Value::Dong(0) => "0".to_string(),
            Value::Dong(v) if v > 0 => format!("+{}", self.shown()),
            Value::Dong(_) => self.shown(),
        }
    }
}

/// The spreadsheet's number formats: counts and areas, and whole đồng.
struct NumFormats {
    number: Format,
    money: Format,
}

impl NumFormats {
    fn new() -> NumFormats {
        let cell = Format::new().set_border(FormatBorder::Thin);
        NumFormats {
            number: cell.clone().set_num_format("#,##0.##"),
            money: cell.set_num_format("#,##0"),
        }
    }

    /// Writes `v`: money as its whole number of đồng with the `#,##0` format.
    fn write(&self, ws: &mut Worksheet, row: u32, col: u16, v: Value) -> Result<(), XlsxError> {
        match v {
            Value::Number(n) => ws.write_number_with_format(row, col, n, &self.number)?,
            Value::Dong(d) => ws.write_number_with_format(row, col, d as f64, &self.money)?,
        };
        Ok(())
    }
}

/// One line of the report: a section, a key (stable, for CSV), a label, a unit and how to read
/// the value from `Numbers`.
pub struct Metric {
    pub section: &'static str,
    pub key: String,
    pub label: String,
    pub unit: String,
    pub sub: bool,
    get: Box<dyn Fn(&Numbers) -> Value + Send + Sync>,
}

impl Metric {
    pub fn value(&self, n: &Numbers) -> Value {
        (self.get)(n)
    }
}

fn map_get(m: &std::collections::BTreeMap<String, i64>, k: &str) -> f64 {
    m.get(k).copied().unwrap_or(0) as f64
}

type Getter = fn(&Numbers) -> Value;

/// Metrics that are one number of `Numbers`: section, key (label `report.metric.{key}`),
/// unit (`report.unit.{unit}`, or `m²`) and the number. First those that open the report…
const LEADING: [(&str, &str, &str, Getter); 2] = [
    ("mobilisation", "households_visited", "households", |n| {
        Value::Number(n.households_visited as f64)
    }),
    ("mobilisation", "visits", "times", |n| {
        Value::Number(n.visits as f64)
    }),
];

/// …then those that follow the breakdowns by kind, stance, stage and status.
const TRAILING: [(&str, &str, &str, Getter); 14] = [
    ("handover", "parcels_handed_over", "parcels", |n| {
        Value::Number(n.parcels_handed_over as f64)
    }),
    ("handover", "area_handed_over_m2", "m²", |n| {
        Value::Number(n.area_handed_over_m2)
    }),
    ("grievances", "grievances_received", "items", |n| {
        Value::Number(n.grievances_received as f64)
    }),
    ("grievances", "grievances_resolved", "items", |n| {
        Value::Number(n.grievances_resolved as f64)
    }),
    ("grievances", "grievances_overdue", "items", |n| {
        Value::Number(n.grievances_overdue as f64)
    }),
    ("watch", "hot_spots", "items", |n| {
        Value::Number(n.hot_spots as f64)
    }),
    (
        "watch",
        "household_splits_after_cutoff",
        "households",
        |n| Value::Number(n.household_splits_after_cutoff as f64),
    ),
    ("watch", "parcel_splits_after_cutoff", "parcels", |n| {
        Value::Number(n.parcel_splits_after_cutoff as f64)
    }),
    ("money", "compensation.approved", "dong", |n| {
        Value::Dong(n.compensation.approved)
    }),
    ("money", "compensation.paid", "dong", |n| {
        Value::Dong(n.compensation.paid)
    }),
    ("money", "compensation.deposited", "dong", |n| {
        Value::Dong(n.compensation.deposited)
    }),
    ("money", "compensation.outstanding", "dong", |n| {
        Value::Dong(n.compensation.outstanding)
    }),
    ("money", "compensation.overdue", "dong", |n| {
        Value::Dong(n.compensation.overdue)
    }),
    ("money", "compensation.plans_overdue", "plans", |n| {
        Value::Number(n.compensation.plans_overdue as f64)
    }),
];

fn unit_label(cat: &Catalogue, unit: &str) -> String {
    if unit == "m²" {
        unit.to_string()
    } else {
        cat.t(&format!("report.unit.{unit}")).to_string()
    }
}

fn scalar(
    cat: &Catalogue,
    (section, key, unit, get): (&'static str, &str, &str, Getter),
) -> Metric {
    Metric {
        section,
        key: key.to_string(),
        label: cat.t(&format!("report.metric.{key}")).to_string(),
        unit: unit_label(cat, unit),
        sub: false,
        get: Box::new(get),
    }
}

/// One metric per value of a vocabulary, read from one of the maps of `Numbers`, under a
/// section and with keys `{key_prefix}.{value}`.
fn breakdown(
    cat: &Catalogue,
    (section, key_prefix): (&'static str, &str),
    keys: impl Iterator<Item = &'static str>,
    label_prefix: &str,
    unit: &str,
    sub: bool,
    map: fn(&Numbers) -> &std::collections::BTreeMap<String, i64>,
) -> Vec<Metric> {
    let unit = unit_label(cat, unit);
    keys.map(|key| Metric {
        section,
        key: format!("{key_prefix}.{key}"),
        label: cat.t(&format!("{label_prefix}.{key}")).to_string(),
        unit: unit.clone(),
        sub,
        get: Box::new(move |n| Value::Number(map_get(map(n), key))),
    })
    .collect()
}

/// Every metric of the report, in order. The XLSX summary sheet has exactly these rows.
pub fn metrics(cat: &Catalogue) -> Vec<Metric> {
    let mut out: Vec<Metric> = LEADING.into_iter().map(|m| scalar(cat, m)).collect();
    out.extend(breakdown(
        cat,
        ("mobilisation", "visits"),
        VisitKind::ALL.iter().map(|k| k.as_str()),
        "report.kind",
        "times",
        true,
        |n| &n.visits_by_kind,
    ));
    out.extend(breakdown(
        cat,
        ("stances", "stances"),
        Stance::ALL.iter().map(|s| s.as_str()),
        "report.stance",
        "households",
        false,
        |n| &n.stances,
    ));
    out.extend(breakdown(
        cat,
        ("stages", "stages"),
        CaseStage::ALL.iter().map(|s| s.as_str()),
        "report.stage",
        "households",
        false,
        |n| &n.stages_reached,
    ));
    out.extend(breakdown(
        cat,
        ("parcels", "parcels"),
        ParcelStatus::ALL.iter().map(|s| s.as_str()),
        "status",
        "parcels",
        false,
        |n| &n.parcels_by_status,
    ));
    out.extend(TRAILING.into_iter().map(|m| scalar(cat, m)));
    out
}

pub const SECTIONS: [&str; 8] = [
    "mobilisation",
    "stances",
    "stages",
    "parcels",
    "handover",
    "money",
    "grievances",
    "watch",
];

/// The metrics the per-commune and per-group tables show (the printed page has room for these).
pub const UNIT_COLUMNS: [&str; 11] = [
    "households_visited",
    "visits",
    "stances.agrees",
    "parcels_handed_over",
    "area_handed_over_m2",
    "compensation.paid",
    "compensation.overdue",
    "grievances_received",
    "grievances_resolved",
    "grievances_overdue",
    "hot_spots",
];

pub fn render(
    stats: &PeriodStats,
    period: Period,
    format: ReportFormat,
    issue: &Issue,
) -> AppResult<Vec<u8>> {
    let cat = Catalogue::load(Lang::Vi);
    match format {
        ReportFormat::Xlsx => xlsx(stats, period, issue, &cat)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the XLSX report: {e}"))),
        ReportFormat::Csv => csv_report(stats, &cat),
        ReportFormat::Html => html(stats, period, issue, &cat),
    }
}

/// The report's title lines: "BÁO CÁO" and what it reports on.
pub fn title_lines(stats: &PeriodStats, period: Period, cat: &Catalogue) -> (String, String) {
    (
        cat.t("report.title").to_string(),
        cat.fill(
            "report.subtitle",
            &[
                ("project", &stats.project_name),
                ("period", &period.name_vi()),
            ],
        ),
    )
}

fn place_date(issue: &Issue, cat: &Catalogue) -> String {
    cat.fill(
        "report.place_date",
        &[
            ("place", &issue.place),
            ("day", &format!("{:02}", issue.date.day())),
            ("month", &format!("{:02}", issue.date.month())),
            ("year", &issue.date.year().to_string()),
        ],
    )
}

fn range_line(stats: &PeriodStats, period: Period, cat: &Catalogue) -> String {
    let d =
        |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or_else(|_| s.to_string(), date_vi);
    cat.fill(
        "report.range",
        &[
            ("from", &d(&stats.current.from)),
            ("to", &d(&stats.current.to)),
            ("previous", &period.previous().name_vi()),
        ],
    )
}

// ---- XLSX ----

#[expect(
    clippy::too_many_lines,
    reason = "the spreadsheet's sections in page order"
)]
fn xlsx(
    stats: &PeriodStats,
    period: Period,
    issue: &Issue,
    cat: &Catalogue,
) -> Result<Vec<u8>, XlsxError> {
    let metrics = metrics(cat);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let center_bold = Format::new().set_bold().set_align(FormatAlign::Center);
    let center_italic = Format::new().set_italic().set_align(FormatAlign::Center);
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let num = NumFormats::new();
    let (title_text, subtitle) = title_lines(stats, period, cat);

    // Summary sheet: the administrative header, then every metric with this period, the
    // previous one and the change.
    let ws = wb.add_worksheet();
    ws.set_name(cat.t("report.sheet.summary"))?;
    ws.set_paper_size(9)
        .set_portrait()
        .set_print_fit_to_pages(1, 0);
    ws.set_column_width(0, 6)?;
    ws.set_column_width(1, 52)?;
    ws.set_column_width(2, 10)?;
    for c in 3..=5 {
        ws.set_column_width(c, 13)?;
    }
    ws.merge_range(0, 0, 0, 2, &issue.agency.to_uppercase(), &center_bold)?;
    ws.merge_range(0, 3, 0, 5, cat.t("report.nation"), &center_bold)?;
    ws.merge_range(1, 3, 1, 5, cat.t("report.motto"), &center_bold)?;
    ws.merge_range(
        1,
        0,
        1,
        2,
        &doc_no(issue, cat),
        &Format::new().set_align(FormatAlign::Center),
    )?;
    ws.merge_range(2, 3, 2, 5, &place_date(issue, cat), &center_italic)?;
    ws.merge_range(4, 0, 4, 5, &title_text, &title)?;
    ws.merge_range(5, 0, 5, 5, &subtitle, &center_bold)?;
    ws.merge_range(6, 0, 6, 5, &range_line(stats, period, cat), &center_italic)?;
    let header_row = 8;
    let headers = [
        cat.t("report.col.no"),
        cat.t("report.col.metric"),
        cat.t("report.col.unit"),
        cat.t("report.col.current"),
        cat.t("report.col.previous"),
        cat.t("report.col.change"),
    ];
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(header_row, i as u16, *h, &head)?;
    }
    let mut row = header_row + 1;
    let mut no = 0;
    for m in &metrics {
        let cur = m.value(&stats.current.totals);
        let prev = m.value(&stats.previous.totals);
        if m.sub {
            ws.write_string_with_format(row, 0, "", &cell)?;
            ws.write_string_with_format(row, 1, format!("   - {}", m.label), &cell)?;
        } else {
            no += 1;
            ws.write_number_with_format(row, 0, no, &cell)?;
            ws.write_string_with_format(row, 1, &m.label, &cell)?;
        }
        ws.write_string_with_format(row, 2, &m.unit, &cell)?;
        num.write(ws, row, 3, cur)?;
        num.write(ws, row, 4, prev)?;
        num.write(ws, row, 5, cur.minus(prev))?;
        row += 1;
    }
    row += 1;
    ws.merge_range(row, 3, row, 5, cat.t("report.signer"), &center_bold)?;
    ws.merge_range(
        row + 1,
        3,
        row + 1,
        5,
        cat.t("report.sign_note"),
        &center_italic,
    )?;
    ws.write_string_with_format(row, 0, cat.t("report.recipients"), &bold)?;

    // One sheet per breakdown: every metric, this period and the change.
    for (name, units) in [
        (cat.t("report.sheet.communes"), &stats.current.by_commune),
        (
            cat.t("report.sheet.groups"),
            &stats.current.by_working_group,
        ),
    ] {
        let prev_units = if std::ptr::eq(units, &raw const stats.current.by_commune) {
            &stats.previous.by_commune
        } else {
            &stats.previous.by_working_group
        };
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        ws.set_paper_size(9)
            .set_landscape()
            .set_print_fit_to_pages(1, 0);
        unit_sheet(ws, &metrics, units, prev_units, cat, &head, &cell, &num)?;
    }
    wb.save_to_buffer()
}

#[allow(clippy::too_many_arguments)]
fn unit_sheet(
    ws: &mut Worksheet,
    metrics: &[Metric],
    units: &[UnitNumbers],
    prev_units: &[UnitNumbers],
    cat: &Catalogue,
    head: &Format,
    cell: &Format,
    num: &NumFormats,
) -> Result<(), XlsxError> {
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 28)?;
    ws.merge_range(0, 0, 1, 0, cat.t("report.col.code"), head)?;
    ws.merge_range(0, 1, 1, 1, cat.t("report.col.name"), head)?;
    for (i, m) in metrics.iter().enumerate() {
        let c = 2 + 2 * i as u16;
        ws.merge_range(0, c, 0, c + 1, &format!("{} ({})", m.label, m.unit), head)?;
        ws.write_string_with_format(1, c, cat.t("report.col.current"), head)?;
        ws.write_string_with_format(1, c + 1, cat.t("report.col.change"), head)?;
        ws.set_column_width(c, 11)?;
        ws.set_column_width(c + 1, 9)?;
    }
    ws.set_row_height(0, 60)?;
    ws.set_freeze_panes(2, 2)?;
    for (r, u) in units.iter().enumerate() {
        let row = 2 + r as u32;
        let prev = prev_units.iter().find(|p| p.id == u.id).map(|p| &p.numbers);
        ws.write_string_with_format(
            row,
            0,
            u.code.clone().unwrap_or_else(|| u.id.to_string()),
            cell,
        )?;
        ws.write_string_with_format(row, 1, &u.name, cell)?;
        for (i, m) in metrics.iter().enumerate() {
            let c = 2 + 2 * i as u16;
            let cur = m.value(&u.numbers);
            let before = prev.map_or(cur.zero(), |p| m.value(p));
            num.write(ws, row, c, cur)?;
            num.write(ws, row, c + 1, cur.minus(before))?;
        }
    }
    Ok(())
}

// ---- CSV ----

/// Long format, one line per unit and metric: easy to filter and pivot.
fn csv_report(stats: &PeriodStats, cat: &Catalogue) -> AppResult<Vec<u8>> {
    let metrics = metrics(cat);
    let mut w = csv::Writer::from_writer(crate::exports::formats::BOM.to_vec());
    let internal = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    w.write_record([
        cat.t("report.col.level"),
        cat.t("report.col.code"),
        cat.t("report.col.name"),
        cat.t("report.col.key"),
        cat.t("report.col.metric"),
        cat.t("report.col.unit"),
        cat.t("report.col.current"),
        cat.t("report.col.previous"),
        cat.t("report.col.change"),
    ])
    .map_err(internal)?;
    let mut rows: Vec<CsvRow> = vec![(
        cat.t("report.level.project"),
        stats.project.clone(),
        stats.project_name.clone(),
        &stats.current.totals,
        Some(&stats.previous.totals),
    )];
    rows.extend(unit_rows(
        cat.t("report.level.commune"),
        &stats.current.by_commune,
        &stats.previous.by_commune,
    ));
    rows.extend(unit_rows(
        cat.t("report.level.group"),
        &stats.current.by_working_group,
        &stats.previous.by_working_group,
    ));
    for (level, code, name, cur, prev) in rows {
        for m in &metrics {
            let c = m.value(cur);
            let p = prev.map_or(c.zero(), |p| m.value(p));
            w.write_record([
                level,
                &code,
                &name,
                &m.key,
                &m.label,
                &m.unit,
                &c.plain(),
                &p.plain(),
                &c.minus(p).plain(),
            ])
            .map_err(internal)?;
        }
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

type CsvRow<'a> = (&'a str, String, String, &'a Numbers, Option<&'a Numbers>);

fn unit_rows<'a>(
    level: &'a str,
    cur: &'a [UnitNumbers],
    prev: &'a [UnitNumbers],
) -> Vec<CsvRow<'a>> {
    cur.iter()
        .map(|u| {
            (
                level,
                u.code.clone().unwrap_or_else(|| u.id.to_string()),
                u.name.clone(),
                &u.numbers,
                prev.iter().find(|p| p.id == u.id).map(|p| &p.numbers),
            )
        })
        .collect()
}

/// Machine-readable: integers without decimals, areas to 0.01 m².
fn fmt_plain(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Vietnamese number style: `.` between thousands, `,` before decimals.
pub fn fmt_vi(v: f64) -> String {
    let neg = v < 0.0;
    let rounded = (v.abs() * 10.0).round() / 10.0;
    let int = rounded.trunc() as u64;
    let dec = ((rounded - rounded.trunc()) * 10.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let mut out = if neg { format!("-{grouped}") } else { grouped };
    if dec > 0 {
        let _ = write!(out, ",{dec}");
    }
    out
}

fn fmt_change(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", fmt_vi(v))
    } else if v == 0.0 {
        "0".to_string()
    } else {
        fmt_vi(v)
    }
}

// ---- HTML ----

struct TotalRow {
    no: String,
    label: String,
    unit: String,
    current: String,
    previous: String,
    change: String,
    sub: bool,
}

struct Section {
    title: String,
    rows: Vec<TotalRow>,
}

struct Cell {
    value: String,
    change: String,
}

struct UnitRowView {
    name: String,
    cells: Vec<Cell>,
}

struct UnitTable {
    title: String,
    columns: Vec<String>,
    rows: Vec<UnitRowView>,
}

/// `Số: ……/BC-BCĐ` with the issue's symbol.
fn doc_no(issue: &Issue, cat: &Catalogue) -> String {
    cat.fill("report.doc_no", &[("symbol", &issue.doc_symbol)])
}

/// A smaller type for a longer agency name, so it keeps to two lines in the heading's left
/// column (about 58 mm beside the national heading; measured in DejaVu Serif Bold: 31
/// capitals fit two lines at 12 pt, 40 at 11 pt, 56 at 9 pt).
fn agency_class(agency: &str) -> &'static str {
    match agency.chars().count() {
        0..=31 => "agency",
        32..=40 => "agency long",
        41..=56 => "agency longer",
        _ => "agency longest",
    }
}

/// The heading of an administrative document (`templates/report/heading.html`): the issuing
/// agency and its number, the national title and motto, place and date.
pub(crate) struct Heading {
    pub agency: String,
    pub agency_class: &'static str,
    pub parent_agency: Option<String>,
    pub doc_no: String,
    pub nation: String,
    pub motto: String,
    pub place_date: String,
}

/// The heading printed on `issue`'s documents.
pub(crate) fn heading(issue: &Issue, cat: &Catalogue) -> Heading {
    Heading {
        agency: issue.agency.to_uppercase(),
        agency_class: agency_class(&issue.agency),
        parent_agency: issue.parent_agency.as_ref().map(|p| p.to_uppercase()),
        doc_no: doc_no(issue, cat),
        nation: cat.t("report.nation").into(),
        motto: cat.t("report.motto").into(),
        place_date: place_date(issue, cat),
    }
}

#[derive(Template)]
#[template(path = "report/period.html")]
struct ReportHtml {
    heading: Heading,
    title: String,
    subtitle: String,
    range_line: String,
    head_no: String,
    head_metric: String,
    head_unit: String,
    head_current: String,
    head_previous: String,
    head_change: String,
    head_name: String,
    part_totals: String,
    sections: Vec<Section>,
    unit_tables: Vec<UnitTable>,
    chart_svg: Option<String>,
    part_notes: String,
    notes: String,
    recipients_title: String,
    recipients: Vec<String>,
    signer: String,
    sign_note: String,
    print_label: String,
}

const ROMAN: [&str; 8] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"];

#[expect(
    clippy::too_many_lines,
    reason = "the printable report's sections in page order"
)]
fn html(stats: &PeriodStats, period: Period, issue: &Issue, cat: &Catalogue) -> AppResult<Vec<u8>> {
    let metrics = metrics(cat);
    let (title, subtitle) = title_lines(stats, period, cat);
    let mut sections = Vec::new();
    let mut no = 0;
    for (i, s) in SECTIONS.iter().enumerate() {
        let mut rows = Vec::new();
        for m in metrics.iter().filter(|m| m.section == *s) {
            let cur = m.value(&stats.current.totals);
            let prev = m.value(&stats.previous.totals);
            if !m.sub {
                no += 1;
            }
            rows.push(TotalRow {
                no: if m.sub { String::new() } else { no.to_string() },
                label: m.label.clone(),
                unit: m.unit.clone(),
                current: cur.shown(),
                previous: prev.shown(),
                change: cur.minus(prev).change(),
                sub: m.sub,
            });
        }
        sections.push(Section {
            title: format!("{}. {}", i + 1, cat.t(&format!("report.section.{s}"))),
            rows,
        });
    }
    let columns: Vec<&Metric> = UNIT_COLUMNS
        .iter()
        .filter_map(|k| metrics.iter().find(|m| m.key == *k))
        .collect();
    let unit_table = |title: String, units: &[UnitNumbers], prev: &[UnitNumbers]| UnitTable {
        title,
        columns: columns
            .iter()
            .map(|m| format!("{} ({})", m.label, m.unit))
            .collect(),
        rows: units
            .iter()
            .map(|u| {
                let before = prev.iter().find(|p| p.id == u.id).map(|p| &p.numbers);
                UnitRowView {
                    name: u.name.clone(),
                    cells: columns
                        .iter()
                        .map(|m| {
                            let c = m.value(&u.numbers);
                            let p = before.map_or(c.zero(), |b| m.value(b));
                            Cell {
                                value: c.shown(),
                                change: c.minus(p).change(),
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let unit_tables = vec![
        unit_table(
            format!("{}. {}", ROMAN[1], cat.t("report.part.communes")),
            &stats.current.by_commune,
            &stats.previous.by_commune,
        ),
        unit_table(
            format!("{}. {}", ROMAN[2], cat.t("report.part.groups")),
            &stats.current.by_working_group,
            &stats.previous.by_working_group,
        ),
    ];
    let page = ReportHtml {
        heading: heading(issue, cat),
        title,
        subtitle,
        range_line: range_line(stats, period, cat),
        head_no: cat.t("report.col.no").into(),
        head_metric: cat.t("report.col.metric").into(),
        head_unit: cat.t("report.col.unit").into(),
        head_current: cat.t("report.col.current").into(),
        head_previous: cat.t("report.col.previous").into(),
        head_change: cat.t("report.col.change").into(),
        head_name: cat.t("report.col.name").into(),
        part_totals: format!("{}. {}", ROMAN[0], cat.t("report.part.totals")),
        sections,
        unit_tables,
        chart_svg: Some(status_chart(stats, cat)),
        part_notes: format!("{}. {}", ROMAN[3], cat.t("report.part.notes")),
        notes: cat.fill("report.notes", &[("date", &date_vi(issue.date))]),
        recipients_title: cat.t("report.recipients").into(),
        recipients: cat
            .t("report.recipients_list")
            .split('|')
            .map(str::to_string)
            .collect(),
        signer: cat.t("report.signer").into(),
        sign_note: cat.t("report.sign_note").into(),
        print_label: cat.t("report.print").into(),
    };
    page.render()
        .map(String::into_bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering the report: {e}")))
}

/// Parcels by status at the end of the period, one bar per commune (the shared chart code).
fn status_chart(stats: &PeriodStats, cat: &Catalogue) -> String {
    let bars: Vec<crate::charts::Bar> = stats
        .current
        .by_commune
        .iter()
        .map(|c| crate::charts::Bar {
            label: c.name.clone(),
            values: ParcelStatus::ALL
                .iter()
                .map(|s| (*s, map_get(&c.numbers.parcels_by_status, s.as_str())))
                .collect(),
        })
        .collect();
    crate::charts::bars_svg(
        cat.t("report.chart.status"),
        &bars,
        &|s: ParcelStatus| cat.t(&format!("status.{}", s.as_str())).to_string(),
        640,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_vietnamese_style() {
        assert_eq!(fmt_vi(0.0), "0");
        assert_eq!(fmt_vi(1234567.0), "1.234.567");
        assert_eq!(fmt_vi(1234.56), "1.234,6");
        assert_eq!(fmt_vi(-950.0), "-950");
        assert_eq!(fmt_change(3.0), "+3");
        assert_eq!(fmt_plain(2.0), "2");
        assert_eq!(fmt_plain(2.5), "2.50");
    }

    #[test]
    fn money_stays_whole_dong() {
        let big = Value::Dong(9_007_199_254_740_993); // 2^53 + 1: not a double
        assert_eq!(big.plain(), "9007199254740993");
        assert_eq!(big.shown(), "9.007.199.254.740.993 đ");
        assert_eq!(Value::Dong(1_234_567).shown(), "1.234.567 đ");
        assert_eq!(
            Value::Dong(1_000).minus(Value::Dong(1_234_567)).change(),
            "-1.233.567 đ"
        );
        assert_eq!(Value::Dong(5).minus(Value::Dong(2)).change(), "+3 đ");
        assert_eq!(Value::Dong(7).minus(Value::Dong(7)).change(), "0");
        assert_eq!(Value::Number(2.5).shown(), "2,5");
    }

    #[test]
    fn every_metric_has_a_label_and_a_section() {
        let cat = Catalogue::load(Lang::Vi);
        let ms = metrics(&cat);
        for m in &ms {
            assert!(!m.label.starts_with("report."), "no label for {}", m.key);
            assert!(SECTIONS.contains(&m.section));
        }
        for k in UNIT_COLUMNS {
            assert!(ms.iter().any(|m| m.key == k), "{k}");
        }
    }
}
