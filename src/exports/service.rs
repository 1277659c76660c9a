//! What each export holds: the rows a principal may see (area scope), and personal columns
//! (names, CCCD, phone, address, free text about people) only for roles that may read them.
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, IntoColumnRef, IntoIden, JoinType, Order, SelectStatement,
    SimpleExpr,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::formats::{self, Cell, Column, ColumnType, Shape, Table};
use crate::auth::{Principal, Scope};
use crate::db::dialect;
use crate::domain::{GrievanceStatus, ParcelStatus, Permission, Stance, VisitKind};
use crate::entities::{admin_units, parcels, projects, working_groups};
use crate::error::{AppError, AppResult};
use crate::i18n::{Catalogue, Lang};
use crate::progress::counters::NO_STANCE;
use crate::scoped::{
    self, commitments, grievances, household_parcels, households, visits, Personal,
};

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

/// A finished export, written to a file.
pub struct Export {
    pub rows: u64,
    pub personal: bool,
    pub filename: String,
}

/// Rows are read and written this many at a time: memory stays flat at any project size.
const PAGE: u64 = 5_000;

impl Format {
    fn file_kind(self) -> formats::FileKind {
        match self {
            Format::Csv => formats::FileKind::Csv,
            Format::Xlsx => formats::FileKind::Xlsx,
            Format::GeoJson => formats::FileKind::GeoJson,
            Format::Gpkg => formats::FileKind::Gpkg,
        }
    }
}

/// What to export, for whom, and in which language.
pub struct Request<'a> {
    pub who: &'a Principal,
    pub project: &'a projects::Model,
    pub what: What,
    pub format: Format,
    pub lang: Lang,
    /// The CCCD in full (`reveal=id_number`, audited).
    pub reveal_id_number: bool,
}

/// Builds the export into the file at `path` and records it in the audit trail. Every kind
/// is streamed: read a page of `PAGE` rows at a time and written row by row, so memory holds
/// one page whatever the size of the project; `progress(done, total)` is called after each page.
#[tracing::instrument(skip_all, fields(project = %req.project.code, what = req.what.as_str()))]
pub async fn export(
    conn: &impl ConnectionTrait,
    req: &Request<'_>,
    path: &std::path::Path,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> AppResult<Export> {
    export_in_pages(conn, req, path, progress, PAGE).await
}

/// [`export`] reading `page` rows at a time (tests check with small pages that the pages join
/// up: no row lost or repeated, the order kept).
pub async fn export_in_pages(
    conn: &impl ConnectionTrait,
    req: &Request<'_>,
    path: &std::path::Path,
    progress: &(dyn Fn(u64, u64) + Sync),
    page: u64,
) -> AppResult<Export> {
    let (who, project, what, format) = (req.who, req.project, req.what, req.format);
    format.check(what)?;
    // A project board (an API token) sees parcels and aggregates, never a household's rows.
    if what != What::Parcels && !who.scope.sees_personal_data() {
        return Err(AppError::Forbidden(format!(
            "a project board's token exports parcels only; {} name households",
            what.as_str()
        )));
    }
    let personal = who.require(Permission::ReadPersonal).is_ok();
    if req.reveal_id_number && !personal {
        return Err(AppError::Forbidden(
            "reveal=id_number needs the right to read personal data".to_string(),
        ));
    }
    // Only the households export has a CCCD column to reveal.
    let reveal_id_number = req.reveal_id_number && what == What::Households;
    let cat = Catalogue::load(req.lang);
    let mut b = Builder::new(&cat, personal, reveal_id_number);
    columns(what, &mut b);
    let out = formats::Writer::create(format.file_kind(), b.head(what.as_str()), path)
        .await
        .map_err(internal)?;
    let at = Cursor::new(&who.scope, project.id, page.max(1));
    let rows = match what {
        What::Parcels => copy(conn, ParcelPages(at), &b, out, progress).await?,
        What::Households => copy(conn, HouseholdPages(at), &b, out, progress).await?,
        What::Visits => copy(conn, VisitPages(at), &b, out, progress).await?,
        What::Grievances => copy(conn, GrievancePages(at), &b, out, progress).await?,
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
            "rows": rows,
            "personal_data": personal,
            "reveal": if reveal_id_number { vec!["id_number"] } else { Vec::new() },
        }),
    )
    .await?;
    Ok(Export {
        rows,
        personal,
        filename: format!("{}-{}.{}", project.code, what.as_str(), format.extension()),
    })
}

/// The whole table in memory, with the columns and rows `export` writes (for tests and small
/// reads: exports stream instead).
pub async fn table(
    conn: &impl ConnectionTrait,
    who: &Principal,
    project: &projects::Model,
    what: What,
    personal: bool,
    reveal_id_number: bool,
    lang: Lang,
) -> AppResult<Table> {
    let cat = Catalogue::load(lang);
    let mut b = Builder::new(&cat, personal, reveal_id_number);
    columns(what, &mut b);
    let at = Cursor::new(&who.scope, project.id, PAGE);
    let rows = match what {
        What::Parcels => read_all(conn, ParcelPages(at), &b).await?,
        What::Households => read_all(conn, HouseholdPages(at), &b).await?,
        What::Visits => read_all(conn, VisitPages(at), &b).await?,
        What::Grievances => read_all(conn, GrievancePages(at), &b).await?,
    };
    let head = b.head(what.as_str());
    let (rows, shapes): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
    Ok(Table {
        name: head.name,
        sheet: head.sheet,
        columns: head.columns,
        rows,
        shapes: shapes.into_iter().flatten().collect(),
    })
}

async fn read_all(
    conn: &impl ConnectionTrait,
    mut pages: impl Pages,
    b: &Builder<'_>,
) -> AppResult<Vec<Row>> {
    let mut all = Vec::new();
    while let Some(page) = pages.next(conn, b).await? {
        all.extend(page);
    }
    Ok(all)
}

fn columns(what: What, b: &mut Builder<'_>) {
    match what {
        What::Parcels => parcel_columns(b),
        What::Households => household_columns(b),
        What::Visits => visit_columns(b),
        What::Grievances => grievance_columns(b),
    }
}

fn internal(e: anyhow::Error) -> AppError {
    AppError::Internal(e.context("writing the export"))
}

/// A row of an export: the cells this principal may see, and a parcel's shape.
type Row = (Vec<Cell>, Option<Shape>);

/// An export read a page at a time in a fixed order (a keyset on the id, or on a date then
/// the id), never the whole table at once.
trait Pages {
    /// The rows inside the scope, for the progress bar.
    async fn count(&self, conn: &impl ConnectionTrait) -> AppResult<u64>;
    /// The next page of rows, or `None` after the last one.
    async fn next(
        &mut self,
        conn: &impl ConnectionTrait,
        b: &Builder<'_>,
    ) -> AppResult<Option<Vec<Row>>>;
}

/// Writes every page of `pages` into `out`; returns the number of rows.
async fn copy(
    conn: &impl ConnectionTrait,
    mut pages: impl Pages,
    b: &Builder<'_>,
    mut out: formats::Writer,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> AppResult<u64> {
    let total = pages.count(conn).await?;
    let mut done = 0;
    while let Some(page) = pages.next(conn, b).await? {
        for (cells, shape) in &page {
            out.row(cells, shape.as_ref()).await.map_err(internal)?;
        }
        done += page.len() as u64;
        progress(done, total);
    }
    out.finish().await.map_err(internal)
}

/// Where a paged read has got to: the project, the reader's scope and the last row read.
struct Cursor<'s> {
    scope: &'s Scope,
    project_id: i32,
    /// The id of the last row written.
    after: Option<i32>,
    done: bool,
    /// Rows a page holds.
    page: u64,
}

impl<'s> Cursor<'s> {
    fn new(scope: &'s Scope, project_id: i32, page: u64) -> Self {
        Cursor {
            scope,
            project_id,
            after: None,
            done: false,
            page,
        }
    }

    /// Moves past a page of `len` rows whose last row has the id `last`; false when the
    /// page is empty (the read is over).
    fn advance(&mut self, last: Option<i32>, len: usize) -> bool {
        if let Some(id) = last {
            self.after = Some(id);
            self.done = (len as u64) < self.page;
            true
        } else {
            self.done = true;
            false
        }
    }
}

/// The rows of `table AS alias` after the row `last` in the order (`key`, `id`):
/// `key >= k AND (key > k OR id > last)`, `k` being the key of the row `last` as the table
/// stores it (so a time compares the same way as the ORDER BY on either database); the first
/// half is a range on the index of `key`.
fn after_row<C: IntoIden + Copy + 'static>(
    scope: &Scope,
    table: Personal,
    alias: &'static str,
    (key, id): (C, C),
    last: i32,
) -> Condition {
    let (a, k) = (Alias::new(alias), Alias::new("k"));
    let mut of_last = scoped::select_from(scope, table, "k");
    of_last
        .column((k.clone(), key))
        .and_where(Expr::col((k, id)).eq(last));
    let key_of_last =
        || SimpleExpr::SubQuery(None, Box::new(of_last.clone().into_sub_query_statement()));
    Condition::all()
        .add(Expr::col((a.clone(), key)).gte(key_of_last()))
        .add(
            Condition::any()
                .add(Expr::col((a.clone(), key)).gt(key_of_last()))
                .add(Expr::col((a, id)).gt(last)),
        )
}

/// How many rows a select returns (its columns and order left out).
async fn count_rows(conn: &impl ConnectionTrait, mut stmt: SelectStatement) -> AppResult<u64> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    stmt.clear_selects()
        .clear_order_by()
        .expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
    let n = fetch::<Count>(conn, &stmt)
        .await?
        .first()
        .map_or(0, |c| c.n);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A file in the temp directory for an export in progress.
pub fn temp_path(ext: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!(
        "gpmb-export-{}-{}-{nanos}.{ext}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Collects the columns of a table; personal columns are left out (with their cells) unless
/// the principal may read personal data.
struct Builder<'a> {
    cat: &'a Catalogue,
    personal: bool,
    /// The CCCD in full instead of masked (asked for with `reveal=id_number`, audited).
    reveal_id_number: bool,
    columns: Vec<(Column, bool)>,
}

impl<'a> Builder<'a> {
    fn new(cat: &'a Catalogue, personal: bool, reveal_id_number: bool) -> Self {
        Builder {
            cat,
            personal,
            reveal_id_number,
            columns: Vec::new(),
        }
    }

    /// The sheet and the columns this principal may see, before any row.
    fn head(&self, name: &'static str) -> formats::Head {
        formats::Head {
            name,
            sheet: self.cat.t(&format!("data.sheet.{name}")).to_string(),
            columns: self
                .columns
                .iter()
                .filter(|(_, p)| self.personal || !p)
                .map(|(c, _)| c.clone())
                .collect(),
        }
    }

    fn col(&mut self, key: &'static str, kind: ColumnType) {
        self.push(key, kind, false);
    }
    fn personal(&mut self, key: &'static str) {
        self.push(key, ColumnType::Text, true);
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

/// A date cell (dd/mm/yyyy in CSV and XLSX).
fn date(d: Option<NaiveDate>) -> Cell {
    d.map_or(Cell::Empty, Cell::Date)
}

/// A time cell (Vietnam time, UTC+7, in CSV and XLSX).
fn time(t: Option<DateTime<FixedOffset>>) -> Cell {
    t.map_or(Cell::Empty, Cell::Time)
}

/// A JSON list of names (`["Nguyễn Văn A","Trần Thị B"]`) as people write it:
/// `Nguyễn Văn A, Trần Thị B`; text that is not such a list is kept as it is.
fn names(raw: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::trim))
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        _ => raw.to_string(),
    }
}

fn json_list(raw: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// Runs a built query and reads its rows.
async fn fetch<T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    stmt: &SelectStatement,
) -> AppResult<Vec<T>> {
    Ok(
        T::find_by_statement(dialect::build(conn.get_database_backend(), stmt))
            .all(conn)
            .await?,
    )
}

fn h() -> Alias {
    Alias::new("h")
}

/// `admin_units` joined on the commune column of a row.
fn join_commune(stmt: &mut SelectStatement, commune: impl IntoColumnRef) {
    stmt.inner_join(
        admin_units::Entity,
        Expr::col((admin_units::Entity, admin_units::Column::Id)).equals(commune),
    );
}

fn unit_code() -> SimpleExpr {
    Expr::col((admin_units::Entity, admin_units::Column::Code)).into()
}

fn unit_name() -> SimpleExpr {
    Expr::col((admin_units::Entity, admin_units::Column::Name)).into()
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
    status: ParcelStatus,
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

/// A page of the project's parcels inside the scope (ids after the cursor), with their commune.
async fn parcel_rows(conn: &impl ConnectionTrait, at: &Cursor<'_>) -> AppResult<Vec<ParcelRow>> {
    use parcels::Column as P;
    let mut stmt = scoped::parcels(at.scope)
        .select_only()
        .columns([
            P::Id,
            P::MapSheet,
            P::ParcelNo,
            P::LandUse,
            P::AreaM2,
            P::RecoveredAreaM2,
            P::Status,
            P::Version,
            P::ParentParcelId,
            P::SourceCrs,
            P::Geometry,
            P::MinLon,
            P::MinLat,
            P::MaxLon,
            P::MaxLat,
            P::UpdatedAt,
        ])
        .filter(P::ProjectId.eq(at.project_id))
        .filter(P::Id.gt(at.after.unwrap_or(0)))
        .order_by_asc(P::Id)
        .limit(at.page)
        .into_query();
    stmt.expr_as(unit_code(), Alias::new("commune_code"))
        .expr_as(unit_name(), Alias::new("commune_name"));
    join_commune(&mut stmt, (parcels::Entity, P::CommuneId));
    fetch(conn, &stmt).await
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

/// The project's parcels inside the scope.
async fn count_parcels(conn: &impl ConnectionTrait, at: &Cursor<'_>) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(scoped::parcels(at.scope)
        .filter(parcels::Column::ProjectId.eq(at.project_id))
        .count(conn)
        .await?)
}

/// Whose holdings a page needs: of the parcels, or of the households, with ids in
/// `first..=last`.
enum Holding {
    Parcels(i32, i32),
    Households(i32, i32),
}

/// Who holds which parcel, for the households of the project inside the scope, by parcel
/// then household code.
async fn holders(
    conn: &impl ConnectionTrait,
    at: &Cursor<'_>,
    of: Holding,
) -> AppResult<Vec<HolderRow>> {
    use household_parcels::Column as HP;
    let (scope, hp) = (at.scope, Alias::new("hp"));
    let mut stmt = scoped::select_from(scope, Personal::HouseholdParcels, "hp");
    stmt.column((hp.clone(), HP::ParcelId))
        .column((hp.clone(), HP::HouseholdId))
        .column((h(), households::Column::Code))
        .column((h(), households::Column::HeadName))
        .column((parcels::Entity, parcels::Column::MapSheet))
        .column((parcels::Entity, parcels::Column::ParcelNo));
    scoped::join(
        scope,
        &mut stmt,
        JoinType::InnerJoin,
        Personal::Households,
        "h",
        Condition::all()
            .add(Expr::col((h(), households::Column::Id)).equals((hp.clone(), HP::HouseholdId))),
    );
    let (column, first, last) = match of {
        Holding::Parcels(first, last) => (HP::ParcelId, first, last),
        Holding::Households(first, last) => (HP::HouseholdId, first, last),
    };
    stmt.inner_join(
        parcels::Entity,
        Expr::col((parcels::Entity, parcels::Column::Id)).equals((hp.clone(), HP::ParcelId)),
    )
    .and_where(Expr::col((h(), households::Column::ProjectId)).eq(at.project_id))
    .and_where(Expr::col((hp.clone(), column)).between(first, last))
    .order_by((hp, HP::ParcelId), Order::Asc)
    .order_by((h(), households::Column::Code), Order::Asc);
    fetch(conn, &stmt).await
}

fn parcel_columns(b: &mut Builder<'_>) {
    b.col("id", ColumnType::Integer);
    b.col("map_sheet", ColumnType::Text);
    b.col("parcel_no", ColumnType::Text);
    b.col("commune_code", ColumnType::Text);
    b.col("commune_name", ColumnType::Text);
    b.col("land_use", ColumnType::Text);
    b.col("land_use_name", ColumnType::Text);
    b.col("area_m2", ColumnType::Real);
    b.col("recovered_area_m2", ColumnType::Real);
    b.col("status", ColumnType::Text);
    b.col("status_label", ColumnType::Text);
    b.personal("household_codes");
    b.personal("holder_names");
    b.col("parent_parcel", ColumnType::Integer);
    b.col("source_crs", ColumnType::Text);
    b.col("version", ColumnType::Integer);
    b.col("updated_at", ColumnType::DateTime);
}

/// The parcels of a project by id, with their holders and shapes.
struct ParcelPages<'s>(Cursor<'s>);

impl Pages for ParcelPages<'_> {
    async fn count(&self, conn: &impl ConnectionTrait) -> AppResult<u64> {
        count_parcels(conn, &self.0).await
    }

    async fn next(
        &mut self,
        conn: &impl ConnectionTrait,
        b: &Builder<'_>,
    ) -> AppResult<Option<Vec<Row>>> {
        if self.0.done {
            return Ok(None);
        }
        let list = parcel_rows(conn, &self.0).await?;
        let (Some(first), Some(last)) = (list.first(), list.last()) else {
            self.0.advance(None, 0);
            return Ok(None);
        };
        let of = Holding::Parcels(first.id, last.id);
        self.0.advance(Some(last.id), list.len());
        let mut by_parcel: HashMap<i32, (Vec<String>, Vec<String>)> = HashMap::new();
        for h in holders(conn, &self.0, of).await? {
            let e = by_parcel.entry(h.parcel_id).or_default();
            e.0.push(h.code);
            e.1.push(h.head_name);
        }
        let mut out = Vec::with_capacity(list.len());
        for p in list {
            let (codes, names) = by_parcel.remove(&p.id).unwrap_or_default();
            let status_label = b.label("status", p.status.as_str());
            // The code as stored, then its name in the export's language (the code itself if
            // the table does not know it).
            let land_use_name = crate::domain::land_types::lookup(&p.land_use).map_or_else(
                |_| p.land_use.clone(),
                |l| l.info().name(b.cat.lang()).to_string(),
            );
            let cells = b.row(vec![
                Cell::Int(p.id.into()),
                Cell::text(p.map_sheet),
                Cell::text(p.parcel_no),
                Cell::text(p.commune_code),
                Cell::text(p.commune_name),
                Cell::text(p.land_use),
                Cell::text(land_use_name),
                Cell::Num(p.area_m2),
                Cell::Num(p.recovered_area_m2),
                Cell::text(p.status.as_str()),
                Cell::text(status_label),
                Cell::text(codes.join("; ")),
                Cell::text(names.join("; ")),
                p.parent_parcel_id
                    .map_or(Cell::Empty, |i| Cell::Int(i.into())),
                Cell::text(p.source_crs),
                Cell::Int(p.version.into()),
                Cell::Time(p.updated_at),
            ]);
            let shape = Shape {
                geojson: p.geometry,
                bbox: [p.min_lon, p.min_lat, p.max_lon, p.max_lat],
            };
            out.push((cells, Some(shape)));
        }
        Ok(Some(out))
    }
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
    stance: Option<Stance>,
    last_visit_at: Option<DateTime<FixedOffset>>,
}

/// The project's households inside the scope by id, with their commune and the household
/// each was split from (when that one is inside the scope too).
fn household_select(at: &Cursor<'_>) -> SelectStatement {
    use households::Column as H;
    let (scope, sf) = (at.scope, Alias::new("sf"));
    let mut stmt = scoped::select_from(scope, Personal::Households, "h");
    stmt.columns(
        [
            H::Id,
            H::Code,
            H::HeadName,
            H::IdNumber,
            H::Phone,
            H::Address,
            H::Members,
            H::Vulnerable,
            H::Stance,
            H::LastVisitAt,
        ]
        .map(|c| (h(), c)),
    )
    .expr_as(unit_code(), Alias::new("commune_code"))
    .expr_as(unit_name(), Alias::new("commune_name"))
    .expr_as(
        Expr::col((sf.clone(), H::Code)),
        Alias::new("split_from_code"),
    );
    join_commune(&mut stmt, (h(), H::CommuneId));
    scoped::join(
        scope,
        &mut stmt,
        JoinType::LeftJoin,
        Personal::Households,
        "sf",
        Condition::all().add(Expr::col((sf, H::Id)).equals((h(), H::SplitFromId))),
    );
    stmt.and_where(Expr::col((h(), H::ProjectId)).eq(at.project_id))
        .order_by((h(), H::Id), Order::Asc);
    stmt
}

fn household_columns(b: &mut Builder<'_>) {
    b.col("id", ColumnType::Integer);
    b.col("household_code", ColumnType::Text);
    b.personal("head_name");
    b.personal("id_number");
    b.personal("phone");
    b.personal("address");
    b.col("commune_code", ColumnType::Text);
    b.col("commune_name", ColumnType::Text);
    b.col("member_count", ColumnType::Count);
    // Poor household, ethnic minority… are sensitive personal data (Decree 13/2023).
    b.personal("vulnerable");
    b.col("parcels", ColumnType::Text);
    b.col("split_from", ColumnType::Text);
    b.col("stance", ColumnType::Text);
    b.col("last_visit_at", ColumnType::DateTime);
}

/// The households of a project by id, with the parcels they hold.
struct HouseholdPages<'s>(Cursor<'s>);

impl Pages for HouseholdPages<'_> {
    async fn count(&self, conn: &impl ConnectionTrait) -> AppResult<u64> {
        count_rows(conn, household_select(&self.0)).await
    }

    async fn next(
        &mut self,
        conn: &impl ConnectionTrait,
        b: &Builder<'_>,
    ) -> AppResult<Option<Vec<Row>>> {
        if self.0.done {
            return Ok(None);
        }
        let mut stmt = household_select(&self.0);
        stmt.and_where_option(
            self.0
                .after
                .map(|a| Expr::col((h(), households::Column::Id)).gt(a)),
        )
        .limit(self.0.page);
        let list: Vec<HouseholdRow> = fetch(conn, &stmt).await?;
        let (Some(first), Some(last)) = (list.first(), list.last()) else {
            self.0.advance(None, 0);
            return Ok(None);
        };
        let of = Holding::Households(first.id, last.id);
        self.0.advance(Some(last.id), list.len());
        let mut parcels_of: HashMap<i32, Vec<String>> = HashMap::new();
        for h in holders(conn, &self.0, of).await? {
            parcels_of
                .entry(h.household_id)
                .or_default()
                .push(format!("{}/{}", h.map_sheet, h.parcel_no));
        }
        let mut out = Vec::with_capacity(list.len());
        for h in list {
            let vulnerable: Vec<String> = json_list(&h.vulnerable)
                .iter()
                .filter_map(|v| v.as_str())
                .map(|v| b.label("data.vulnerable", v))
                .collect();
            let stance = b.label("stance", h.stance.map_or(NO_STANCE, Stance::as_str));
            let cells = b.row(vec![
                Cell::Int(h.id.into()),
                Cell::text(h.code),
                Cell::text(h.head_name),
                Cell::opt(if b.reveal_id_number {
                    h.id_number
                } else {
                    crate::households::privacy::mask_opt(h.id_number)
                }),
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
                time(h.last_visit_at),
            ]);
            out.push((cells, None));
        }
        Ok(Some(out))
    }
}

#[derive(FromQueryResult)]
struct VisitRow {
    id: i32,
    household_code: String,
    head_name: String,
    commune_name: String,
    group_name: String,
    visited_at: DateTime<FixedOffset>,
    kind: VisitKind,
    participants: String,
    topics: String,
    stance: Stance,
    concerns: String,
    next_visit_on: Option<NaiveDate>,
    commitment_count: i64,
}

/// The project's visits to households inside the scope, oldest first, with their
/// commitments counted.
fn visit_select(at: &Cursor<'_>) -> SelectStatement {
    use visits::Column as V;
    let scope = at.scope;
    let (v, c) = (Alias::new("v"), Alias::new("c"));
    let mut count = scoped::select_from(scope, Personal::Commitments, "c");
    count
        .expr(Expr::col((c.clone(), commitments::Column::Id)).count())
        .and_where(Expr::col((c, commitments::Column::VisitId)).equals((v.clone(), V::Id)));
    let mut stmt = scoped::select_from(scope, Personal::Visits, "v");
    stmt.column((v.clone(), V::Id))
        .expr_as(
            Expr::col((h(), households::Column::Code)),
            Alias::new("household_code"),
        )
        .column((h(), households::Column::HeadName))
        .expr_as(unit_name(), Alias::new("commune_name"))
        .expr_as(
            Expr::col((working_groups::Entity, working_groups::Column::Name)),
            Alias::new("group_name"),
        )
        .columns(
            [
                V::VisitedAt,
                V::Kind,
                V::Participants,
                V::Topics,
                V::Stance,
                V::Concerns,
                V::NextVisitOn,
            ]
            .map(|col| (v.clone(), col)),
        )
        .expr_as(
            SimpleExpr::SubQuery(None, Box::new(count.into_sub_query_statement())),
            Alias::new("commitment_count"),
        );
    scoped::join(
        scope,
        &mut stmt,
        JoinType::InnerJoin,
        Personal::Households,
        "h",
        Condition::all()
            .add(Expr::col((h(), households::Column::Id)).equals((v.clone(), V::HouseholdId))),
    );
    join_commune(&mut stmt, (h(), households::Column::CommuneId));
    stmt.inner_join(
        working_groups::Entity,
        Expr::col((working_groups::Entity, working_groups::Column::Id))
            .equals((v.clone(), V::WorkingGroupId)),
    )
    .and_where(Expr::col((v.clone(), V::ProjectId)).eq(at.project_id))
    .order_by((v.clone(), V::VisitedAt), Order::Asc)
    .order_by((v, V::Id), Order::Asc);
    stmt
}

fn visit_columns(b: &mut Builder<'_>) {
    b.col("id", ColumnType::Integer);
    b.col("household_code", ColumnType::Text);
    b.personal("head_name");
    b.col("commune_name", ColumnType::Text);
    b.col("working_group", ColumnType::Text);
    b.col("visited_at", ColumnType::DateTime);
    b.col("kind", ColumnType::Text);
    b.personal("participants");
    b.col("topics", ColumnType::Text);
    b.col("stance", ColumnType::Text);
    b.personal("concerns");
    b.col("commitments", ColumnType::Count);
    b.col("next_visit_on", ColumnType::Date);
}

/// The visits of a project by time then id.
struct VisitPages<'s>(Cursor<'s>);

impl Pages for VisitPages<'_> {
    async fn count(&self, conn: &impl ConnectionTrait) -> AppResult<u64> {
        count_rows(conn, visit_select(&self.0)).await
    }

    async fn next(
        &mut self,
        conn: &impl ConnectionTrait,
        b: &Builder<'_>,
    ) -> AppResult<Option<Vec<Row>>> {
        use visits::Column as V;
        if self.0.done {
            return Ok(None);
        }
        let mut stmt = visit_select(&self.0);
        if let Some(last) = self.0.after {
            let key = (V::VisitedAt, V::Id);
            stmt.cond_where(after_row(self.0.scope, Personal::Visits, "v", key, last));
        }
        stmt.limit(self.0.page);
        let list: Vec<VisitRow> = fetch(conn, &stmt).await?;
        if !self.0.advance(list.last().map(|v| v.id), list.len()) {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(list.len());
        for v in list {
            let topics: Vec<String> = json_list(&v.topics)
                .iter()
                .filter_map(|t| t.as_str())
                .map(|t| b.label("data.topic", t))
                .collect();
            let kind = b.label("report.kind", v.kind.as_str());
            let stance = b.label("stance", v.stance.as_str());
            let cells = b.row(vec![
                Cell::Int(v.id.into()),
                Cell::text(v.household_code),
                Cell::text(v.head_name),
                Cell::text(v.commune_name),
                Cell::text(v.group_name),
                Cell::Time(v.visited_at),
                Cell::text(kind),
                Cell::text(names(&v.participants)),
                Cell::text(topics.join("; ")),
                Cell::text(stance),
                Cell::text(v.concerns),
                Cell::Int(v.commitment_count),
                date(v.next_visit_on),
            ]);
            out.push((cells, None));
        }
        Ok(Some(out))
    }
}

#[derive(FromQueryResult)]
struct GrievanceRow {
    id: i32,
    kind: String,
    /// Kept as text (a code outside `domain::Channel` from older data is shown as it is).
    channel: String,
    received_on: NaiveDate,
    status: GrievanceStatus,
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

/// The project's grievances inside the scope (signed by a household in it), oldest first.
fn grievance_select(at: &Cursor<'_>) -> SelectStatement {
    use grievances::Column as G;
    let g = Alias::new("g");
    let mut stmt = scoped::select_from(at.scope, Personal::Grievances, "g");
    stmt.columns(
        [
            G::Id,
            G::Kind,
            G::Channel,
            G::ReceivedOn,
            G::Status,
            G::Complex,
            G::RemoteArea,
            G::Round,
            G::AcceptBy,
            G::ResolveBy,
            G::ResolvedOn,
            G::DocumentNo,
            G::Content,
            G::Outcome,
        ]
        .map(|c| (g.clone(), c)),
    )
    .and_where(Expr::col((g.clone(), G::ProjectId)).eq(at.project_id))
    .order_by((g.clone(), G::ReceivedOn), Order::Asc)
    .order_by((g, G::Id), Order::Asc);
    stmt
}

fn grievance_columns(b: &mut Builder<'_>) {
    b.col("id", ColumnType::Integer);
    b.col("grievance_kind", ColumnType::Text);
    b.col("channel", ColumnType::Text);
    b.col("received_on", ColumnType::Date);
    b.personal("household_codes");
    b.personal("holder_names");
    b.personal("content");
    b.col("grievance_status", ColumnType::Text);
    b.col("complex", ColumnType::Text);
    b.col("remote_area", ColumnType::Text);
    b.col("round", ColumnType::Count);
    b.col("accept_by", ColumnType::Date);
    b.col("resolve_by", ColumnType::Date);
    b.col("resolved_on", ColumnType::Date);
    b.col("document_no", ColumnType::Text);
    b.col("outcome", ColumnType::Text);
}

/// The grievances of a project by the day received then id, with their signers.
struct GrievancePages<'s>(Cursor<'s>);

impl Pages for GrievancePages<'_> {
    async fn count(&self, conn: &impl ConnectionTrait) -> AppResult<u64> {
        count_rows(conn, grievance_select(&self.0)).await
    }

    async fn next(
        &mut self,
        conn: &impl ConnectionTrait,
        b: &Builder<'_>,
    ) -> AppResult<Option<Vec<Row>>> {
        use grievances::Column as G;
        if self.0.done {
            return Ok(None);
        }
        let mut stmt = grievance_select(&self.0);
        if let Some(last) = self.0.after {
            let key = (G::ReceivedOn, G::Id);
            stmt.cond_where(after_row(
                self.0.scope,
                Personal::Grievances,
                "g",
                key,
                last,
            ));
        }
        stmt.limit(self.0.page);
        let list: Vec<GrievanceRow> = fetch(conn, &stmt).await?;
        if !self.0.advance(list.last().map(|g| g.id), list.len()) {
            return Ok(None);
        }
        let ids: Vec<i32> = list.iter().map(|g| g.id).collect();
        let mut by_grievance: HashMap<i32, Vec<scoped::GrievanceSigner>> = HashMap::new();
        for s in
            scoped::project_grievance_signers(conn, self.0.scope, self.0.project_id, &ids).await?
        {
            by_grievance.entry(s.grievance_id).or_default().push(s);
        }
        let yes = b.cat.t("data.yes").to_string();
        let no = b.cat.t("data.no").to_string();
        let mut out = Vec::with_capacity(list.len());
        for g in list {
            let signers = by_grievance.remove(&g.id).unwrap_or_default();
            let codes: Vec<&str> = signers.iter().map(|s| s.code.as_str()).collect();
            let names: Vec<&str> = signers.iter().map(|s| s.head_name.as_str()).collect();
            let cells = b.row(vec![
                Cell::Int(g.id.into()),
                Cell::text(b.label("data.grievance_kind", &g.kind)),
                Cell::text(b.label("grievances.channel", &g.channel)),
                Cell::Date(g.received_on),
                Cell::text(codes.join("; ")),
                Cell::text(names.join("; ")),
                Cell::text(g.content),
                Cell::text(b.label("data.grievance_status", g.status.as_str())),
                Cell::text(if g.complex { &yes } else { &no }.clone()),
                Cell::text(if g.remote_area { &yes } else { &no }.clone()),
                Cell::Int(g.round.into()),
                date(g.accept_by),
                date(g.resolve_by),
                date(g.resolved_on),
                Cell::opt(g.document_no),
                Cell::opt(g.outcome),
            ]);
            out.push((cells, None));
        }
        Ok(Some(out))
    }
}
