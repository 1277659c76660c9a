//! The plan table (bảng tổng hợp phương án bồi thường, hỗ trợ, tái định cư): one row per
//! household of a project or commune with the columns ND 88/2024 Art. 3(2) asks of a plan,
//! as officials post and approve it. Read from the stored plan versions and their lines by
//! group and code; as JSON, XLSX (`#,##0` đồng) or a printable HTML page.
use std::collections::{BTreeSet, HashMap};

use askama::Template;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calc::{format_dong, Dong};
use crate::auth::Scope;
use crate::domain::{PlanGroup, PlanStatus};
use crate::entities::{admin_units, parcels, projects};
use crate::error::{AppError, AppResult};
use crate::i18n::Catalogue;
use crate::scoped::{self, compensation_plans as plans, households, plan_lines as lines};

/// Ids per `IN (…)` list, well under SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 900;

/// What the table shows.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// One commune (admin-unit id); default the whole project in the caller's area.
    pub commune_id: Option<i32>,
    /// `draft`, `posted` or `approved`: each household's newest version in that status.
    /// Default: each household's newest version.
    pub status: Option<String>,
    /// `json` (default), `xlsx` or `html` (printable, A4 landscape).
    pub format: Option<String>,
    /// `vi` (default) or `en`.
    pub lang: Option<String>,
}

/// The money columns of a row (or of the totals), integer đồng. Deductions are positive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanAmounts {
    pub land: Dong,
    /// Structures, crops, trees and other assets.
    pub assets: Dong,
    /// Moving graves, livestock and belongings.
    pub moving: Dong,
    /// Remaining investment in the land.
    pub investment: Dong,
    pub stabilisation: Dong,
    pub job_change: Dong,
    pub business: Dong,
    pub relocation: Dong,
    pub early_handover_bonus: Dong,
    /// Every other support (the project's "other support", land beyond the allocation
    /// limit, the top-up to the minimum resettlement unit).
    pub other_support: Dong,
    /// The resettlement plot's fee, deducted.
    pub resettlement_fee: Dong,
    /// Unpaid land obligations, deducted.
    pub obligations: Dong,
    /// What is paid: the sum of the columns above, the two deductions subtracted.
    pub net: Dong,
}

impl PlanAmounts {
    fn add(&mut self, o: &PlanAmounts) {
        self.land += o.land;
        self.assets += o.assets;
        self.moving += o.moving;
        self.investment += o.investment;
        self.stabilisation += o.stabilisation;
        self.job_change += o.job_change;
        self.business += o.business;
        self.relocation += o.relocation;
        self.early_handover_bonus += o.early_handover_bonus;
        self.other_support += o.other_support;
        self.resettlement_fee += o.resettlement_fee;
        self.obligations += o.obligations;
        self.net += o.net;
    }

    /// The columns in table order (the table's headers follow `COLUMNS`).
    fn values(&self) -> [Dong; 13] {
        [
            self.land,
            self.assets,
            self.moving,
            self.investment,
            self.stabilisation,
            self.job_change,
            self.business,
            self.relocation,
            self.early_handover_bonus,
            self.other_support,
            self.resettlement_fee,
            self.obligations,
            self.net,
        ]
    }

    /// A stored line into its column, by group and code.
    fn put(&mut self, l: &lines::Model) {
        let group = PlanGroup::parse(&l.grp);
        let slot = match group {
            Some(PlanGroup::Land) => &mut self.land,
            Some(PlanGroup::Assets) => &mut self.assets,
            Some(PlanGroup::Moving) => &mut self.moving,
            Some(PlanGroup::Investment) => &mut self.investment,
            Some(PlanGroup::Resettlement) => {
                self.resettlement_fee -= l.amount;
                return;
            }
            Some(PlanGroup::Deduction) => {
                self.obligations -= l.amount;
                return;
            }
            Some(PlanGroup::Support) | None => match l.code.split(':').next().unwrap_or("") {
                "stabilisation" => &mut self.stabilisation,
                "job_change" => &mut self.job_change,
                "business" => &mut self.business,
                "relocation" => &mut self.relocation,
                "early_handover_bonus" => &mut self.early_handover_bonus,
                _ => &mut self.other_support,
            },
        };
        *slot += l.amount;
    }
}

/// The i18n keys (`plantable.col.{key}`) of the money columns, in `PlanAmounts::values` order.
const COLUMNS: [&str; 13] = [
    "land",
    "assets",
    "moving",
    "investment",
    "stabilisation",
    "job_change",
    "business",
    "relocation",
    "early_handover_bonus",
    "other_support",
    "resettlement_fee",
    "obligations",
    "net",
];

/// One household's row.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanTableRow {
    /// Order number (1, 2, …).
    pub no: i32,
    pub household_id: i32,
    pub household_code: String,
    pub head_name: String,
    /// The CCCD masked (`051*******45`).
    pub id_number: Option<String>,
    pub commune_id: i32,
    pub commune_name: String,
    /// `map sheet/parcel number` of the parcels whose land the plan compensates.
    pub parcels: Vec<String>,
    /// m² of land recovered (the land lines' areas).
    pub recovered_area_m2: f64,
    /// m² of the resettlement plot offered (0: none).
    pub resettlement_plot_m2: f64,
    pub amounts: PlanAmounts,
    pub plan_id: i32,
    /// The plan's version number.
    pub plan_number: i32,
    pub status: PlanStatus,
    pub decision_no: Option<String>,
    pub approved_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct PlanTableTotals {
    pub households: i32,
    pub recovered_area_m2: f64,
    pub resettlement_plot_m2: f64,
    pub amounts: PlanAmounts,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanTableCommune {
    pub id: i32,
    pub name: String,
}

/// The table of one project (or commune): a row per household with a plan, and the totals.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanTable {
    pub project_code: String,
    pub project_name: String,
    /// The commune asked for.
    pub commune: Option<PlanTableCommune>,
    /// The status asked for (none: each household's newest version).
    pub status: Option<PlanStatus>,
    /// The day the table was drawn (Vietnam).
    pub date: NaiveDate,
    pub rows: Vec<PlanTableRow>,
    pub totals: PlanTableTotals,
    /// The communes in the caller's area that have a plan in the project, for a picker.
    pub communes: Vec<PlanTableCommune>,
}

/// `draft`, `posted` or `approved`; anything else is a 400.
pub fn parse_status(s: Option<&str>) -> AppResult<Option<PlanStatus>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => match PlanStatus::parse(v) {
            Some(p @ (PlanStatus::Draft | PlanStatus::Posted | PlanStatus::Approved)) => {
                Ok(Some(p))
            }
            _ => Err(AppError::BadRequest(format!(
                "status `{v}`: use draft, posted or approved"
            ))),
        },
    }
}

/// The commune the caller names, if it is in the caller's area (else 404 like an unknown one).
pub async fn commune(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project: &projects::Model,
    id: i32,
) -> AppResult<PlanTableCommune> {
    let unit = admin_units::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|u| scope.allows(project.id, u.id))
        .ok_or_else(|| AppError::not_found("commune"))?;
    Ok(PlanTableCommune {
        id: unit.id,
        name: unit.name,
    })
}

async fn chunked_lines(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    plan_ids: &[i32],
) -> AppResult<Vec<lines::Model>> {
    let mut out = Vec::new();
    for ids in plan_ids.chunks(CHUNK) {
        out.extend(
            scoped::plan_lines(scope)
                .filter(lines::Column::PlanId.is_in(ids.iter().copied()))
                .order_by_asc(lines::Column::PlanId)
                .order_by_asc(lines::Column::LineNo)
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

async fn parcel_labels(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &BTreeSet<i32>,
) -> AppResult<HashMap<i32, String>> {
    let ids: Vec<i32> = ids.iter().copied().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for p in scoped::parcels_any(scope)
            .filter(parcels::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            out.insert(p.id, format!("{}/{}", p.map_sheet, p.parcel_no));
        }
    }
    Ok(out)
}

async fn commune_names(
    conn: &impl ConnectionTrait,
    ids: &BTreeSet<i32>,
) -> AppResult<HashMap<i32, String>> {
    Ok(admin_units::Entity::find()
        .filter(admin_units::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// Each household's newest plan version (in `status`, when given) in the project, inside
/// the scope.
async fn chosen_plans(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project_id: i32,
    status: Option<PlanStatus>,
) -> AppResult<HashMap<i32, plans::Model>> {
    let mut q = scoped::compensation_plans(scope)
        .filter(plans::Column::ProjectId.eq(project_id))
        .order_by_asc(plans::Column::HouseholdId)
        .order_by_desc(plans::Column::Number);
    if let Some(s) = status {
        q = q.filter(plans::Column::Status.eq(s.as_str()));
    }
    let mut newest = HashMap::new();
    for p in q.all(conn).await? {
        newest.entry(p.household_id).or_insert(p);
    }
    Ok(newest)
}

/// The table of `project` as `scope` may see it.
pub async fn table(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    project: &projects::Model,
    commune: Option<PlanTableCommune>,
    status: Option<PlanStatus>,
    date: NaiveDate,
) -> AppResult<PlanTable> {
    let mut chosen = chosen_plans(conn, scope, project.id, status).await?;
    let mut holds: Vec<households::Model> = scoped::households(scope)
        .filter(households::Column::ProjectId.eq(project.id))
        .all(conn)
        .await?
        .into_iter()
        .filter(|h| chosen.contains_key(&h.id))
        .collect();
    let all_communes: BTreeSet<i32> = holds.iter().map(|h| h.commune_id).collect();
    let names = commune_names(conn, &all_communes).await?;
    if let Some(c) = &commune {
        holds.retain(|h| h.commune_id == c.id);
    }
    let name_of = |id: i32| names.get(&id).cloned().unwrap_or_default();
    holds.sort_by(|a, b| (name_of(a.commune_id), &a.code).cmp(&(name_of(b.commune_id), &b.code)));
    let plan_ids: Vec<i32> = holds
        .iter()
        .filter_map(|h| chosen.get(&h.id).map(|p| p.id))
        .collect();
    let mut by_plan: HashMap<i32, Vec<lines::Model>> = HashMap::new();
    for l in chunked_lines(conn, scope, &plan_ids).await? {
        by_plan.entry(l.plan_id).or_default().push(l);
    }
    let parcel_ids: BTreeSet<i32> = by_plan
        .values()
        .flatten()
        .filter(|l| l.grp == PlanGroup::Land.as_str())
        .filter_map(|l| l.parcel_id)
        .collect();
    let labels = parcel_labels(conn, scope, &parcel_ids).await?;
    let mut rows = Vec::with_capacity(holds.len());
    let mut totals = PlanTableTotals::default();
    for (i, h) in holds.into_iter().enumerate() {
        let Some(p) = chosen.remove(&h.id) else {
            continue;
        };
        let row = row_of(
            i32::try_from(i + 1).unwrap_or(i32::MAX),
            h,
            p,
            &by_plan,
            &labels,
            &name_of,
        );
        totals.households += 1;
        totals.recovered_area_m2 += row.recovered_area_m2;
        totals.resettlement_plot_m2 += row.resettlement_plot_m2;
        totals.amounts.add(&row.amounts);
        rows.push(row);
    }
    totals.recovered_area_m2 = round2(totals.recovered_area_m2);
    totals.resettlement_plot_m2 = round2(totals.resettlement_plot_m2);
    Ok(PlanTable {
        project_code: project.code.clone(),
        project_name: project.name.clone(),
        commune,
        status,
        date,
        rows,
        totals,
        communes: all_communes
            .into_iter()
            .map(|id| PlanTableCommune {
                id,
                name: name_of(id),
            })
            .collect(),
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn row_of(
    no: i32,
    h: households::Model,
    p: plans::Model,
    by_plan: &HashMap<i32, Vec<lines::Model>>,
    labels: &HashMap<i32, String>,
    name_of: &dyn Fn(i32) -> String,
) -> PlanTableRow {
    let ls = by_plan.get(&p.id).map_or(&[][..], Vec::as_slice);
    let mut amounts = PlanAmounts::default();
    let (mut area, mut plot) = (0_i64, 0_i64);
    let mut parcels: Vec<String> = Vec::new();
    for l in ls {
        amounts.put(l);
        if l.grp == PlanGroup::Land.as_str() {
            area += l.quantity_centi;
            if let Some(label) = l.parcel_id.and_then(|id| labels.get(&id)) {
                if !parcels.contains(label) {
                    parcels.push(label.clone());
                }
            }
        } else if l.grp == PlanGroup::Resettlement.as_str() && l.code == "resettlement_fee" {
            plot += l.quantity_centi;
        }
    }
    // The stored net is authoritative; the lines add up to it (a plan's invariant).
    amounts.net = p.net;
    let status = PlanStatus::parse(&p.status).unwrap_or(PlanStatus::Draft);
    PlanTableRow {
        no,
        household_id: h.id,
        household_code: h.code,
        head_name: h.head_name,
        id_number: crate::households::privacy::mask_opt(h.id_number),
        commune_id: h.commune_id,
        commune_name: name_of(h.commune_id),
        parcels,
        recovered_area_m2: area as f64 / 100.0,
        resettlement_plot_m2: plot as f64 / 100.0,
        amounts,
        plan_id: p.id,
        plan_number: p.number,
        status,
        decision_no: p.decision_no.filter(|_| status == PlanStatus::Approved),
        approved_on: p.approved_on.filter(|_| status == PlanStatus::Approved),
    }
}

// ---- rendering ------------------------------------------------------------------------

/// The status word of a row, `{status} (v{number})`.
fn version_text(r: &PlanTableRow, cat: &Catalogue) -> String {
    format!(
        "{} ({})",
        cat.t(&format!("plantable.status.{}", r.status.as_str())),
        cat.fill("plantable.version", &[("n", &r.plan_number.to_string())])
    )
}

fn decision_text(r: &PlanTableRow) -> String {
    match (&r.decision_no, r.approved_on) {
        (Some(n), Some(d)) => format!("{n}, {}", d.format("%d/%m/%Y")),
        (Some(n), None) => n.clone(),
        (None, Some(d)) => d.format("%d/%m/%Y").to_string(),
        (None, None) => String::new(),
    }
}

fn area_text(v: f64) -> String {
    crate::reports::render::fmt_vi(v)
}

/// The headers in column order: the fixed ones, the money columns, version and decision.
fn headers(cat: &Catalogue) -> Vec<String> {
    let mut h: Vec<String> = [
        "no",
        "code",
        "head",
        "id_number",
        "commune",
        "parcels",
        "area",
        "plot",
    ]
    .iter()
    .map(|k| cat.t(&format!("plantable.col.{k}")).to_string())
    .collect();
    h.extend(
        COLUMNS
            .iter()
            .map(|k| cat.t(&format!("plantable.col.{k}")).to_string()),
    );
    h.push(cat.t("plantable.col.version").to_string());
    h.push(cat.t("plantable.col.decision").to_string());
    h
}

/// The subtitle: the project, the commune (or every commune) and the status shown.
fn subtitle(t: &PlanTable, cat: &Catalogue) -> String {
    let place = t.commune.as_ref().map_or_else(
        || cat.t("plantable.all_communes").to_string(),
        |c| c.name.clone(),
    );
    let status = t.status.map_or_else(
        || cat.t("plantable.status.newest").to_string(),
        |s| {
            cat.t(&format!("plantable.status.{}", s.as_str()))
                .to_string()
        },
    );
    cat.fill(
        "plantable.subtitle",
        &[
            (
                "project",
                &format!("{} – {}", t.project_code, t.project_name),
            ),
            ("place", &place),
            ("status", &status),
        ],
    )
}

struct HtmlRow {
    no: String,
    cells: Vec<String>,
    money: Vec<String>,
    tail: Vec<String>,
}

#[derive(Template)]
#[template(path = "report/plan_table.html")]
struct TableHtml {
    lang: &'static str,
    heading: crate::reports::render::Heading,
    title: String,
    subtitle: String,
    note: String,
    headers: Vec<String>,
    rows: Vec<HtmlRow>,
    total_label: String,
    total_cells: Vec<String>,
    total_money: Vec<String>,
    empty: String,
    signer: String,
    sign_note: String,
    print_label: String,
    communes_label: String,
    /// Links to the same table for the whole project and for each commune.
    links: Vec<(String, String, bool)>,
}

/// `?format=html…` links to the table of the whole project and of each commune (the one
/// shown is marked).
fn links(t: &PlanTable, cat: &Catalogue) -> Vec<(String, String, bool)> {
    let status = t
        .status
        .map(|s| format!("&status={}", s.as_str()))
        .unwrap_or_default();
    let base = format!("?format=html&lang={}{status}", cat.lang().code());
    let mut out = vec![(
        cat.t("plantable.all_communes").to_string(),
        base.clone(),
        t.commune.is_none(),
    )];
    out.extend(t.communes.iter().map(|c| {
        (
            c.name.clone(),
            format!("{base}&commune_id={}", c.id),
            t.commune.as_ref().is_some_and(|s| s.id == c.id),
        )
    }));
    out
}

/// The printable page (A4 landscape), headed like the period report.
pub fn html(
    t: &PlanTable,
    issue: &crate::reports::render::Issue,
    cat: &Catalogue,
) -> AppResult<Vec<u8>> {
    use crate::reports::render::heading;
    let rows = t
        .rows
        .iter()
        .map(|r| HtmlRow {
            no: r.no.to_string(),
            cells: vec![
                r.household_code.clone(),
                r.head_name.clone(),
                r.id_number.clone().unwrap_or_default(),
                r.commune_name.clone(),
                r.parcels.join(", "),
                area_text(r.recovered_area_m2),
                area_text(r.resettlement_plot_m2),
            ],
            money: r.amounts.values().iter().map(|v| format_dong(*v)).collect(),
            tail: vec![version_text(r, cat), decision_text(r)],
        })
        .collect();
    let page = TableHtml {
        lang: cat.lang().code(),
        heading: heading(issue, cat),
        title: cat.t("plantable.title").into(),
        subtitle: subtitle(t, cat),
        note: cat.t("plantable.note").into(),
        headers: headers(cat),
        rows,
        total_label: cat.fill(
            "plantable.total",
            &[("n", &t.totals.households.to_string())],
        ),
        total_cells: vec![
            area_text(t.totals.recovered_area_m2),
            area_text(t.totals.resettlement_plot_m2),
        ],
        total_money: t
            .totals
            .amounts
            .values()
            .iter()
            .map(|v| format_dong(*v))
            .collect(),
        empty: cat.t("plantable.empty").into(),
        signer: cat.t("report.signer").into(),
        sign_note: cat.t("report.sign_note").into(),
        print_label: cat.t("plantable.print").into(),
        communes_label: cat.t("plantable.by_commune").into(),
        links: links(t, cat),
    };
    page.render()
        .map(String::into_bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering the plan table: {e}")))
}

struct Formats {
    head: Format,
    text: Format,
    money: Format,
    area: Format,
    bold_text: Format,
    bold_money: Format,
    bold_area: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new().set_border(FormatBorder::Thin);
        let bold = cell.clone().set_bold();
        Formats {
            head: bold
                .clone()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            text: cell.clone(),
            money: cell.clone().set_num_format("#,##0"),
            area: cell.set_num_format("#,##0.00"),
            bold_text: bold.clone(),
            bold_money: bold.clone().set_num_format("#,##0"),
            bold_area: bold.set_num_format("#,##0.00"),
        }
    }
}

/// First row of data in the sheet (after the title lines and the header).
pub const XLSX_FIRST_ROW: u32 = 5;

fn xlsx_row(
    ws: &mut Worksheet,
    row: u32,
    r: &PlanTableRow,
    f: &Formats,
    cat: &Catalogue,
) -> Result<(), XlsxError> {
    ws.write_number_with_format(row, 0, f64::from(r.no), &f.text)?;
    let texts = [
        r.household_code.clone(),
        r.head_name.clone(),
        r.id_number.clone().unwrap_or_default(),
        r.commune_name.clone(),
        r.parcels.join(", "),
    ];
    for (c, s) in (1u16..).zip(texts) {
        ws.write_string_with_format(row, c, s, &f.text)?;
    }
    ws.write_number_with_format(row, 6, r.recovered_area_m2, &f.area)?;
    ws.write_number_with_format(row, 7, r.resettlement_plot_m2, &f.area)?;
    for (c, v) in (8u16..).zip(r.amounts.values()) {
        ws.write_number_with_format(row, c, v as f64, &f.money)?;
    }
    ws.write_string_with_format(row, 21, version_text(r, cat), &f.text)?;
    ws.write_string_with_format(row, 22, decision_text(r), &f.text)?;
    Ok(())
}

/// The spreadsheet: title lines, the header, a row per household and the totals row; money
/// as whole đồng formatted `#,##0`.
pub fn xlsx(t: &PlanTable, cat: &Catalogue) -> AppResult<Vec<u8>> {
    fn build(t: &PlanTable, cat: &Catalogue) -> Result<Vec<u8>, XlsxError> {
        let f = Formats::new();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(cat.t("plantable.sheet"))?;
        ws.set_paper_size(9)
            .set_landscape()
            .set_print_fit_to_pages(1, 0);
        let headers = headers(cat);
        let last = u16::try_from(headers.len() - 1).unwrap_or(22);
        let title = Format::new()
            .set_bold()
            .set_font_size(14)
            .set_align(FormatAlign::Center);
        let centred = Format::new().set_italic().set_align(FormatAlign::Center);
        ws.merge_range(0, 0, 0, last, cat.t("plantable.title"), &title)?;
        ws.merge_range(1, 0, 1, last, &subtitle(t, cat), &centred)?;
        ws.merge_range(
            2,
            0,
            2,
            last,
            &t.date.format("%d/%m/%Y").to_string(),
            &centred,
        )?;
        let header_row = XLSX_FIRST_ROW - 1;
        for (c, h) in (0u16..).zip(&headers) {
            ws.write_string_with_format(header_row, c, h, &f.head)?;
            ws.set_column_width(
                c,
                if c == 2 {
                    24
                } else if c == 0 {
                    5
                } else {
                    14
                },
            )?;
        }
        ws.set_row_height(header_row, 45)?;
        ws.set_freeze_panes(XLSX_FIRST_ROW, 3)?;
        let mut row = XLSX_FIRST_ROW;
        for r in &t.rows {
            xlsx_row(ws, row, r, &f, cat)?;
            row += 1;
        }
        let label = cat.fill(
            "plantable.total",
            &[("n", &t.totals.households.to_string())],
        );
        ws.merge_range(row, 0, row, 5, &label, &f.bold_text)?;
        ws.write_number_with_format(row, 6, t.totals.recovered_area_m2, &f.bold_area)?;
        ws.write_number_with_format(row, 7, t.totals.resettlement_plot_m2, &f.bold_area)?;
        for (c, v) in (8u16..).zip(t.totals.amounts.values()) {
            ws.write_number_with_format(row, c, v as f64, &f.bold_money)?;
        }
        ws.write_blank(row, 21, &f.bold_text)?;
        ws.write_blank(row, 22, &f.bold_text)?;
        wb.save_to_buffer()
    }
    build(t, cat).map_err(|e| AppError::Internal(anyhow::anyhow!("writing the plan table: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(grp: &str, code: &str, amount: Dong) -> lines::Model {
        lines::Model {
            id: 0,
            plan_id: 1,
            household_id: 1,
            line_no: 1,
            grp: grp.into(),
            code: code.into(),
            label: String::new(),
            parcel_id: None,
            inventory_item_id: None,
            quantity_centi: 100,
            unit: "m²".into(),
            unit_price: amount,
            factor: 10_000,
            amount,
            article: String::new(),
            note: None,
        }
    }

    #[test]
    fn every_line_lands_in_one_column_and_the_columns_add_up_to_the_net() {
        let ls = [
            line("land", "land:1", 1_000_000),
            line("assets", "structure:2", 200_000),
            line("assets", "tree:3", 30_000),
            line("moving", "grave:4", 4_000),
            line("investment", "investment:5", 500),
            line("support", "stabilisation", 60),
            line("support", "job_change:1", 7),
            line("support", "business", 8),
            line("support", "relocation", 9),
            line("support", "early_handover_bonus", 10),
            line("support", "other_support", 11),
            line("support", "excess_land:1", 12),
            line("support", "resettlement_min", 13),
            line("resettlement", "resettlement_fee", -100),
            line("deduction", "obligations", -50),
        ];
        let mut a = PlanAmounts::default();
        for l in &ls {
            a.put(l);
        }
        assert_eq!(a.land, 1_000_000);
        assert_eq!(a.assets, 230_000);
        assert_eq!(a.other_support, 36);
        assert_eq!((a.resettlement_fee, a.obligations), (100, 50));
        let net: Dong = ls.iter().map(|l| l.amount).sum();
        let v = a.values();
        assert_eq!(v[..10].iter().sum::<Dong>() - v[10] - v[11], net);
    }

    #[test]
    fn only_the_three_official_statuses_are_asked_for() {
        assert_eq!(parse_status(None).unwrap(), None);
        assert_eq!(
            parse_status(Some("approved")).unwrap(),
            Some(PlanStatus::Approved)
        );
        assert!(parse_status(Some("superseded")).is_err());
        assert!(parse_status(Some("x")).is_err());
    }
}
