//! What each export holds: the rows a principal may see (area scope), and personal columns
//! (names, CCCD, phone, address, free text about people) only for roles that may read them.
use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

use super::formats::{self, Cell, Column, ColumnType, Shape, Table};
use crate::auth::Principal;
use crate::domain::Permission;
use crate::entities::projects;
use crate::error::{AppError, AppResult};
use crate::i18n::{Catalogue, Lang};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    Parcels,
    Households,
    Visits,
    Grievances,
}

impl What {
    pub fn parse(s: &str) -> AppResult<What> {
        match s {
            "parcels" => Ok(What::Parcels),
            "households" => Ok(What::Households),
            "visits" => Ok(What::Visits),
            "grievances" => Ok(What::Grievances),
            other => Err(AppError::NotFound(format!(
                "no export `{other}`: parcels, households, visits or grievances"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            What::Parcels => "parcels",
            What::Households => "households",
            What::Visits => "visits",
            What::Grievances => "grievances",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    Xlsx,
    Gpkg,
}

impl Format {
    pub fn parse(s: &str) -> AppResult<Format> {
        match s.to_ascii_lowercase().as_str() {
            "geojson" => Ok(Format::GeoJson),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "gpkg" => Ok(Format::Gpkg),
            other => Err(AppError::BadRequest(format!(
                "unknown export format `{other}`: geojson, csv, xlsx or gpkg"
            ))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Gpkg => "gpkg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::GeoJson => "application/geo+json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Gpkg => "application/geopackage+sqlite3",
        }
    }

    /// Only parcels carry geometry.
    pub fn check(self, what: What) -> AppResult<()> {
        if matches!(self, Format::GeoJson | Format::Gpkg) && what != What::Parcels {
            return Err(AppError::invalid(
                "unsupported_format",
                format!(
                    "{} have no geometry: export them as csv or xlsx ({} is for parcels)",
                    what.as_str(),
                    self.extension()
                ),
            ));
        }
        Ok(())
    }
}

/// A finished export.
pub struct Export {
    pub bytes: Vec<u8>,
    pub rows: usize,
    pub personal: bool,
    pub filename: String,
}

/// Builds the export, writes it in `format` and records it in the audit trail.
pub async fn export(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    what: What,
    format: Format,
) -> AppResult<Export> {
    format.check(what)?;
    let personal = who.require(Permission::ReadPersonal).is_ok();
    let table = table(conn, who, project, what, personal).await?;
    let internal = |e: anyhow::Error| AppError::Internal(e.context("writing the export"));
    let bytes = match format {
        Format::Csv => formats::csv(&table).map_err(internal)?,
        Format::Xlsx => formats::xlsx(&table).map_err(internal)?,
        Format::GeoJson => formats::geojson(&table).map_err(internal)?,
        Format::Gpkg => {
            let path = temp_path("gpkg");
            let written = formats::gpkg(&table, &path).await;
            let bytes = written.and_then(|_| Ok(std::fs::read(&path)?));
            let _ = std::fs::remove_file(&path);
            bytes.map_err(internal)?
        }
    };
    crate::audit::record(
        conn,
        who,
        "export",
        what.as_str(),
        Some(project.code.clone()),
        serde_json::json!({
            "project": project.code,
            "format": format.extension(),
            "rows": table.rows.len(),
            "personal_data": personal,
        }),
    )
    .await?;
    Ok(Export {
        rows: table.rows.len(),
        personal,
        filename: format!("{}-{}.{}", project.code, what.as_str(), format.extension()),
        bytes,
    })
}

fn temp_path(ext: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "gpmb-export-{}-{}-{nanos}.{ext}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}

pub async fn table(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    what: What,
    personal: bool,
) -> AppResult<Table> {
    let cat = Catalogue::load(Lang::Vi);
    let mut b = Builder {
        cat: &cat,
        personal,
        columns: Vec::new(),
    };
    match what {
        What::Parcels => parcels(conn, who, project, &mut b).await,
        What::Households => households(conn, who, project, &mut b).await,
        What::Visits => visits(conn, who, project, &mut b).await,
        What::Grievances => grievances(conn, who, project, &mut b).await,
    }
}

/// Collects the columns of a table; personal columns are left out (with their cells) unless
/// the principal may read personal data.
struct Builder<'a> {
    cat: &'a Catalogue,
    personal: bool,
    columns: Vec<(Column, bool)>,
}

impl Builder<'_> {
    fn col(&mut self, key: &'static str, kind: ColumnType) {
        self.push(key, kind, false)
    }
    fn personal(&mut self, key: &'static str) {
        self.push(key, ColumnType::Text, true)
    }
    fn push(&mut self, key: &'static str, kind: ColumnType, personal: bool) {
        let header = self.cat.t(&format!("data.col.{key}")).to_string();
        self.columns.push((Column { key, header, kind }, personal));
    }

    /// Keeps the cells of the columns this principal may see.
    fn row(&self, cells: Vec<Cell>) -> Vec<Cell> {
        cells
            .into_iter()
            .zip(&self.columns)
            .filter(|(_, (_, p))| self.personal || !p)
            .map(|(c, _)| c)
            .collect()
    }

    fn finish(self, name: &'static str, rows: Vec<Vec<Cell>>, shapes: Vec<Shape>) -> Table {
        let sheet = self.cat.t(&format!("data.sheet.{name}")).to_string();
        let personal = self.personal;
        Table {
            name,
            sheet,
            columns: self
                .columns
                .into_iter()
                .filter(|(_, p)| personal || !p)
                .map(|(c, _)| c)
                .collect(),
            rows,
            shapes,
        }
    }

    fn label(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        let t = self.cat.t(&key);
        if t == key {
            code.to_string()
        } else {
            t.to_string()
        }
    }
}

fn date_vi(d: Option<NaiveDate>) -> Cell {
    d.map(|d| Cell::Text(d.format("%d/%m/%Y").to_string()))
        .unwrap_or(Cell::Empty)
}

/// Vietnam local time (UTC+7), as people read it.
fn time_vi(t: Option<DateTime<FixedOffset>>) -> Cell {
    t.map(|t| {
        Cell::Text(
            (t.naive_utc() + Duration::hours(7))
                .format("%d/%m/%Y %H:%M")
                .to_string(),
        )
    })
    .unwrap_or(Cell::Empty)
}

fn json_list(raw: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

async fn rows<T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: String,
    project_id: i32,
) -> AppResult<Vec<T>> {
    Ok(T::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [Value::from(project_id)],
    ))
    .all(conn)
    .await?)
}

#[derive(FromQueryResult)]
struct ParcelRow {
    id: i32,
    map_sheet: String,
    parcel_no: String,
    commune_code: String,
    commune_name: String,
    land_use: String,
    area_m2: f64,
    recovered_area_m2: f64,
    status: String,
    version: i32,
    parent_parcel_id: Option<i32>,
    source_crs: String,
    geometry: String,
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
    updated_at: DateTime<FixedOffset>,
}

#[derive(FromQueryResult)]
struct HolderRow {
    parcel_id: i32,
    household_id: i32,
    code: String,
    head_name: String,
    map_sheet: String,
    parcel_no: String,
}

async fn holders(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project_id: i32,
) -> AppResult<Vec<HolderRow>> {
    rows(
        conn,
        format!(
            "SELECT hp.parcel_id, hp.household_id, h.code, h.head_name, p.map_sheet, p.parcel_no \
             FROM household_parcels hp JOIN households h ON h.id = hp.household_id \
             JOIN parcels p ON p.id = hp.parcel_id \
             WHERE h.project_id = $1 AND {} ORDER BY hp.parcel_id, h.code",
            who.scope.sql_condition("h")
        ),
        project_id,
    )
    .await
}

async fn parcels(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    b: &mut Builder<'_>,
) -> AppResult<Table> {
    let list: Vec<ParcelRow> = rows(
        conn,
        format!(
            "SELECT p.id, p.map_sheet, p.parcel_no, a.code AS commune_code, a.name AS commune_name, \
             p.land_use, p.area_m2, p.recovered_area_m2, p.status, p.version, p.parent_parcel_id, \
             p.source_crs, p.geometry, p.min_lon, p.min_lat, p.max_lon, p.max_lat, p.updated_at \
             FROM parcels p JOIN admin_units a ON a.id = p.commune_id \
             WHERE p.project_id = $1 AND {} ORDER BY p.id",
            who.scope.sql_condition("p")
        ),
        project.id,
    )
    .await?;
    let mut by_parcel: HashMap<i32, (Vec<String>, Vec<String>)> = HashMap::new();
    for h in holders(conn, who, project.id).await? {
        let e = by_parcel.entry(h.parcel_id).or_default();
        e.0.push(h.code);
        e.1.push(h.head_name);
    }
    b.col("id", ColumnType::Integer);
    b.col("map_sheet", ColumnType::Text);
    b.col("parcel_no", ColumnType::Text);
    b.col("commune_code", ColumnType::Text);
    b.col("commune_name", ColumnType::Text);
    b.col("land_use", ColumnType::Text);
    b.col("area_m2", ColumnType::Real);
    b.col("recovered_area_m2", ColumnType::Real);
    b.col("status", ColumnType::Text);
    b.col("status_label", ColumnType::Text);
    b.col("household_codes", ColumnType::Text);
    b.personal("holder_names");
    b.col("parent_parcel", ColumnType::Integer);
    b.col("source_crs", ColumnType::Text);
    b.col("version", ColumnType::Integer);
    b.col("updated_at", ColumnType::Text);
    let mut out = Vec::with_capacity(list.len());
    let mut shapes = Vec::with_capacity(list.len());
    for p in list {
        let (codes, names) = by_parcel.remove(&p.id).unwrap_or_default();
        let status_label = b.label("status", &p.status);
        out.push(b.row(vec![
            Cell::Int(p.id.into()),
            Cell::text(p.map_sheet),
            Cell::text(p.parcel_no),
            Cell::text(p.commune_code),
            Cell::text(p.commune_name),
            Cell::text(p.land_use),
            Cell::Num(p.area_m2),
            Cell::Num(p.recovered_area_m2),
            Cell::text(p.status),
            Cell::text(status_label),
            Cell::text(codes.join("; ")),
            Cell::text(names.join("; ")),
            p.parent_parcel_id
                .map(|i| Cell::Int(i.into()))
                .unwrap_or(Cell::Empty),
            Cell::text(p.source_crs),
            Cell::Int(p.version.into()),
            Cell::text(p.updated_at.to_rfc3339()),
        ]));
        shapes.push(Shape {
            geojson: p.geometry,
            bbox: [p.min_lon, p.min_lat, p.max_lon, p.max_lat],
        });
    }
    Ok(take(b).finish("parcels", out, shapes))
}

#[derive(FromQueryResult)]
struct HouseholdRow {
    id: i32,
    code: String,
    head_name: String,
    id_number: Option<String>,
    phone: Option<String>,
    address: String,
    commune_code: String,
    commune_name: String,
    members: String,
    vulnerable: String,
    split_from_code: Option<String>,
    stance: Option<String>,
    last_visit_at: Option<DateTime<FixedOffset>>,
}

async fn households(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    b: &mut Builder<'_>,
) -> AppResult<Table> {
    let list: Vec<HouseholdRow> = rows(
        conn,
        format!(
            "SELECT h.id, h.code, h.head_name, h.id_number, h.phone, h.address, a.code AS commune_code, \
             a.name AS commune_name, h.members, h.vulnerable, sf.code AS split_from_code, h.stance, \
             h.last_visit_at FROM households h JOIN admin_units a ON a.id = h.commune_id \
             LEFT JOIN households sf ON sf.id = h.split_from_id \
             WHERE h.project_id = $1 AND {} ORDER BY h.id",
            who.scope.sql_condition("h")
        ),
        project.id,
    )
    .await?;
    let mut parcels_of: HashMap<i32, Vec<String>> = HashMap::new();
    for h in holders(conn, who, project.id).await? {
        parcels_of
            .entry(h.household_id)
            .or_default()
            .push(format!("{}/{}", h.map_sheet, h.parcel_no));
    }
    b.col("id", ColumnType::Integer);
    b.col("household_code", ColumnType::Text);
    b.personal("head_name");
    b.personal("id_number");
    b.personal("phone");
    b.personal("address");
    b.col("commune_code", ColumnType::Text);
    b.col("commune_name", ColumnType::Text);
    b.col("member_count", ColumnType::Integer);
    b.col("vulnerable", ColumnType::Text);
    b.col("parcels", ColumnType::Text);
    b.col("split_from", ColumnType::Text);
    b.col("stance", ColumnType::Text);
    b.col("last_visit_at", ColumnType::Text);
    let mut out = Vec::with_capacity(list.len());
    for h in list {
        let vulnerable: Vec<String> = json_list(&h.vulnerable)
            .iter()
            .filter_map(|v| v.as_str())
            .map(|v| b.label("data.vulnerable", v))
            .collect();
        let stance = h
            .stance
            .as_deref()
            .map(|s| b.label("stance", s))
            .unwrap_or_else(|| b.label("stance", "none"));
        out.push(b.row(vec![
            Cell::Int(h.id.into()),
            Cell::text(h.code),
            Cell::text(h.head_name),
            Cell::opt(h.id_number),
            Cell::opt(h.phone),
            Cell::text(h.address),
            Cell::text(h.commune_code),
            Cell::text(h.commune_name),
            // The head plus the members listed.
            Cell::Int(json_list(&h.members).len() as i64 + 1),
            Cell::text(vulnerable.join("; ")),
            Cell::text(parcels_of.remove(&h.id).unwrap_or_default().join("; ")),
            Cell::opt(h.split_from_code),
            Cell::text(stance),
            time_vi(h.last_visit_at),
        ]));
    }
    Ok(take(b).finish("households", out, Vec::new()))
}

fn take<'a>(b: &mut Builder<'a>) -> Builder<'a> {
    std::mem::replace(
        b,
        Builder {
            cat: b.cat,
            personal: b.personal,
            columns: Vec::new(),
        },
    )
}

#[derive(FromQueryResult)]
struct VisitRow {
    id: i32,
    household_code: String,
    head_name: String,
    commune_name: String,
    group_name: String,
    visited_at: DateTime<FixedOffset>,
    kind: String,
    participants: String,
    topics: String,
    stance: String,
    concerns: String,
    next_visit_on: Option<NaiveDate>,
    commitments: i64,
}

async fn visits(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    b: &mut Builder<'_>,
) -> AppResult<Table> {
    let list: Vec<VisitRow> = rows(
        conn,
        format!(
            "SELECT v.id, h.code AS household_code, h.head_name, a.name AS commune_name, \
             wg.name AS group_name, v.visited_at, v.kind, v.participants, v.topics, v.stance, \
             v.concerns, v.next_visit_on, \
             (SELECT COUNT(*) FROM commitments c WHERE c.visit_id = v.id) AS commitments \
             FROM visits v JOIN households h ON h.id = v.household_id \
             JOIN admin_units a ON a.id = h.commune_id \
             JOIN working_groups wg ON wg.id = v.working_group_id \
             WHERE v.project_id = $1 AND {} ORDER BY v.visited_at, v.id",
            who.scope.sql_condition("h")
        ),
        project.id,
    )
    .await?;
    b.col("id", ColumnType::Integer);
    b.col("household_code", ColumnType::Text);
    b.personal("head_name");
    b.col("commune_name", ColumnType::Text);
    b.col("working_group", ColumnType::Text);
    b.col("visited_at", ColumnType::Text);
    b.col("kind", ColumnType::Text);
    b.personal("participants");
    b.col("topics", ColumnType::Text);
    b.col("stance", ColumnType::Text);
    b.personal("concerns");
    b.col("commitments", ColumnType::Integer);
    b.col("next_visit_on", ColumnType::Text);
    let mut out = Vec::with_capacity(list.len());
    for v in list {
        let topics: Vec<String> = json_list(&v.topics)
            .iter()
            .filter_map(|t| t.as_str())
            .map(|t| b.label("data.topic", t))
            .collect();
        let kind = b.label("report.kind", &v.kind);
        let stance = b.label("stance", &v.stance);
        out.push(b.row(vec![
            Cell::Int(v.id.into()),
            Cell::text(v.household_code),
            Cell::text(v.head_name),
            Cell::text(v.commune_name),
            Cell::text(v.group_name),
            time_vi(Some(v.visited_at)),
            Cell::text(kind),
            Cell::text(v.participants),
            Cell::text(topics.join("; ")),
            Cell::text(stance),
            Cell::text(v.concerns),
            Cell::Int(v.commitments),
            date_vi(v.next_visit_on),
        ]));
    }
    Ok(take(b).finish("visits", out, Vec::new()))
}

#[derive(FromQueryResult)]
struct GrievanceRow {
    id: i32,
    kind: String,
    channel: String,
    received_on: NaiveDate,
    status: String,
    complex: bool,
    remote_area: bool,
    round: i32,
    accept_by: Option<NaiveDate>,
    resolve_by: Option<NaiveDate>,
    resolved_on: Option<NaiveDate>,
    document_no: Option<String>,
    content: String,
    outcome: Option<String>,
}

#[derive(FromQueryResult)]
struct SignerRow {
    grievance_id: i32,
    code: String,
    head_name: String,
    commune_id: i32,
}

async fn grievances(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    b: &mut Builder<'_>,
) -> AppResult<Table> {
    let list: Vec<GrievanceRow> = rows(
        conn,
        "SELECT g.id, g.kind, g.channel, g.received_on, g.status, g.complex, g.remote_area, g.round, \
         g.accept_by, g.resolve_by, g.resolved_on, g.document_no, g.content, g.outcome \
         FROM grievances g WHERE g.project_id = $1 ORDER BY g.received_on, g.id"
            .to_string(),
        project.id,
    )
    .await?;
    let signers: Vec<SignerRow> = rows(
        conn,
        "SELECT gh.grievance_id, h.code, h.head_name, h.commune_id FROM grievance_households gh \
         JOIN households h ON h.id = gh.household_id JOIN grievances g ON g.id = gh.grievance_id \
         WHERE g.project_id = $1 ORDER BY gh.grievance_id, h.code"
            .to_string(),
        project.id,
    )
    .await?;
    let mut by_grievance: HashMap<i32, Vec<SignerRow>> = HashMap::new();
    for s in signers {
        by_grievance.entry(s.grievance_id).or_default().push(s);
    }
    b.col("id", ColumnType::Integer);
    b.col("grievance_kind", ColumnType::Text);
    b.col("channel", ColumnType::Text);
    b.col("received_on", ColumnType::Text);
    b.col("household_codes", ColumnType::Text);
    b.personal("holder_names");
    b.personal("content");
    b.col("grievance_status", ColumnType::Text);
    b.col("complex", ColumnType::Text);
    b.col("remote_area", ColumnType::Text);
    b.col("round", ColumnType::Integer);
    b.col("accept_by", ColumnType::Text);
    b.col("resolve_by", ColumnType::Text);
    b.col("resolved_on", ColumnType::Text);
    b.col("document_no", ColumnType::Text);
    b.col("outcome", ColumnType::Text);
    let yes = b.cat.t("data.yes").to_string();
    let no = b.cat.t("data.no").to_string();
    let mut out = Vec::new();
    for g in list {
        let signers = by_grievance.remove(&g.id).unwrap_or_default();
        // Area-scoped users see the grievances of households in their area.
        let visible = match who.scope.commune_ids() {
            Some(ids) => signers.iter().any(|s| ids.contains(&s.commune_id)),
            None => true,
        };
        if !visible {
            continue;
        }
        let codes: Vec<&str> = signers.iter().map(|s| s.code.as_str()).collect();
        let names: Vec<&str> = signers.iter().map(|s| s.head_name.as_str()).collect();
        out.push(b.row(vec![
            Cell::Int(g.id.into()),
            Cell::text(b.label("data.grievance_kind", &g.kind)),
            Cell::text(g.channel),
            date_vi(Some(g.received_on)),
            Cell::text(codes.join("; ")),
            Cell::text(names.join("; ")),
            Cell::text(g.content),
            Cell::text(b.label("data.grievance_status", &g.status)),
            Cell::text(if g.complex { &yes } else { &no }.clone()),
            Cell::text(if g.remote_area { &yes } else { &no }.clone()),
            Cell::Int(g.round.into()),
            date_vi(g.accept_by),
            date_vi(g.resolve_by),
            date_vi(g.resolved_on),
            Cell::opt(g.document_no),
            Cell::opt(g.outcome),
        ]));
    }
    Ok(take(b).finish("grievances", out, Vec::new()))
}
