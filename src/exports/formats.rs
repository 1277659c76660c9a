//! Writing an export table: CSV (UTF-8 with BOM so Excel shows diacritics), XLSX, GeoJSON and
//! OGC GeoPackage (parcels, with geometry).
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use geozero::{CoordDimensions, ToWkb};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use sea_orm::sea_query::{
    Alias, ColumnDef, Query, SimpleExpr, SqliteQueryBuilder, Table as Ddl, Value,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

/// The UTF-8 byte-order mark: Excel reads a CSV as UTF-8 only when it starts with it.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    /// A calendar date (no time of day).
    Date(NaiveDate),
    /// An instant: shown in Vietnam time (UTC+7) in CSV and XLSX, stored in UTC in GeoPackage.
    Time(DateTime<FixedOffset>),
    Empty,
}

/// Vietnam's offset (UTC+7, no daylight saving): how people in the programme read times.
fn vietnam_time(t: &DateTime<FixedOffset>) -> NaiveDateTime {
    FixedOffset::east_opt(7 * 3600).map_or(t.naive_utc(), |vn| t.with_timezone(&vn).naive_local())
}

/// Excel's serial date for a date, and for a date and time.
fn excel_date(d: NaiveDate) -> anyhow::Result<ExcelDateTime> {
    Ok(ExcelDateTime::from_ymd(
        u16::try_from(d.year())?,
        u8::try_from(d.month())?,
        u8::try_from(d.day())?,
    )?)
}

fn excel_time(t: NaiveDateTime) -> anyhow::Result<ExcelDateTime> {
    Ok(excel_date(t.date())?.and_hms(
        u16::try_from(t.hour())?,
        u8::try_from(t.minute())?,
        t.second(),
    )?)
}

/// Number formats (Excel codes; Excel and LibreOffice show them with the reader's separators).
pub const DATE_FORMAT: &str = "dd/mm/yyyy";
pub const TIME_FORMAT: &str = "dd/mm/yyyy hh:mm";
pub const COUNT_FORMAT: &str = "#,##0";
pub const AREA_FORMAT: &str = "#,##0.00";

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    pub fn opt(s: Option<String>) -> Cell {
        s.map_or(Cell::Empty, Cell::Text)
    }

    fn as_csv(&self) -> String {
        match self {
            Cell::Text(s) => neutralise_formula(s),
            Cell::Int(i) => i.to_string(),
            Cell::Num(f) => format!("{f:.2}"),
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
            Cell::Time(t) => vietnam_time(t).format("%d/%m/%Y %H:%M").to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn as_json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => serde_json::Value::String(s.clone()),
            Cell::Int(i) => serde_json::json!(i),
            Cell::Num(f) => serde_json::json!((f * 100.0).round() / 100.0),
            Cell::Date(d) => serde_json::Value::String(d.format("%Y-%m-%d").to_string()),
            Cell::Time(t) => {
                serde_json::Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
            }
            Cell::Empty => serde_json::Value::Null,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    /// A number that names something (an id, a version): no thousands separator.
    Integer,
    /// A number of things: `#,##0` in XLSX.
    Count,
    /// An area in m²: `#,##0.00` in XLSX.
    Real,
    /// `dd/mm/yyyy` in XLSX, DATE in GeoPackage.
    Date,
    /// `dd/mm/yyyy hh:mm` (Vietnam time) in XLSX, DATETIME (UTC) in GeoPackage.
    DateTime,
}

/// A column: a machine name (GeoJSON property, GeoPackage column) and a Vietnamese header.
#[derive(Clone, Debug)]
pub struct Column {
    pub key: &'static str,
    pub header: String,
    pub kind: ColumnType,
}

/// A parcel's geometry: GeoJSON text (WGS84) and its extent.
#[derive(Clone, Debug)]
pub struct Shape {
    pub geojson: String,
    pub bbox: [f64; 4],
}

pub struct Table {
    /// Sheet name and GeoPackage table name.
    pub name: &'static str,
    pub sheet: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// One per row for parcels; empty otherwise.
    pub shapes: Vec<Shape>,
}

/// Text that Excel or LibreOffice would run as a formula (`=HYPERLINK(…)` in a visit note)
/// gets a leading `'`, which both show as plain text (OWASP's CSV injection advice).
fn neutralise_formula(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// What a writer needs before the first row: the layer or sheet and its columns.
#[derive(Clone, Debug)]
pub struct Head {
    /// GeoJSON collection name and GeoPackage table name.
    pub name: &'static str,
    /// Sheet name (and the GeoPackage layer's description).
    pub sheet: String,
    pub columns: Vec<Column>,
}

/// The file formats a table is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
    GeoJson,
    Gpkg,
}

/// Writes a table row by row into a file, so an export of a million parcels holds one page of
/// rows in memory, never the whole table (issue 14.5). XLSX uses rust_xlsxwriter's constant
/// memory mode; the GeoPackage is one SQLite transaction on disk.
pub struct Writer {
    head: Head,
    rows: u64,
    out: Out,
}

enum Out {
    Csv(Box<::csv::Writer<BufWriter<File>>>),
    GeoJson(BufWriter<File>),
    Xlsx(Box<XlsxOut>),
    Gpkg(Box<GpkgOut>),
}

struct XlsxOut {
    book: Workbook,
    path: PathBuf,
    area: Format,
    count: Format,
    date: Format,
    time: Format,
}

impl Writer {
    /// Starts the file at `path` (created or truncated).
    pub async fn create(kind: FileKind, head: Head, path: &Path) -> anyhow::Result<Writer> {
        let file = || -> anyhow::Result<BufWriter<File>> {
            let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
            Ok(BufWriter::with_capacity(1 << 16, f))
        };
        let out = match kind {
            FileKind::Csv => {
                let mut f = file()?;
                f.write_all(BOM)?;
                let mut w = ::csv::Writer::from_writer(f);
                w.write_record(head.columns.iter().map(|c| c.header.as_str()))?;
                Out::Csv(Box::new(w))
            }
            FileKind::GeoJson => {
                let mut f = file()?;
                f.write_all(br#"{"type":"FeatureCollection","name":""#)?;
                f.write_all(head.name.as_bytes())?;
                f.write_all(br#"","features":["#)?;
                Out::GeoJson(f)
            }
            FileKind::Xlsx => Out::Xlsx(Box::new(xlsx_start(&head, path)?)),
            FileKind::Gpkg => Out::Gpkg(Box::new(GpkgOut::start(path).await?)),
        };
        Ok(Writer { head, rows: 0, out })
    }

    /// Appends one row; `shape` is the parcel's geometry (GeoJSON and GeoPackage need one).
    pub async fn row(&mut self, cells: &[Cell], shape: Option<&Shape>) -> anyhow::Result<()> {
        match &mut self.out {
            Out::Csv(w) => w.write_record(cells.iter().map(Cell::as_csv))?,
            Out::GeoJson(f) => {
                let shape = shape.context("a GeoJSON feature needs a geometry")?;
                if self.rows > 0 {
                    f.write_all(b",")?;
                }
                let props: serde_json::Map<String, serde_json::Value> = self
                    .head
                    .columns
                    .iter()
                    .zip(cells)
                    .map(|(c, v)| (c.key.to_string(), v.as_json()))
                    .collect();
                // The stored geometry is already valid GeoJSON: copy it instead of re-parsing.
                f.write_all(br#"{"type":"Feature","geometry":"#)?;
                f.write_all(shape.geojson.as_bytes())?;
                f.write_all(br#","properties":"#)?;
                serde_json::to_writer(&mut *f, &props)?;
                f.write_all(b"}")?;
            }
            Out::Xlsx(x) => {
                let r = u32::try_from(self.rows + 1).context("too many rows for a sheet")?;
                xlsx_row(x, &self.head.columns, r, cells)?;
            }
            Out::Gpkg(g) => {
                let shape = shape.context("a GeoPackage feature needs a geometry")?;
                g.row(&self.head, cells, shape).await?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Closes the file; returns the number of rows written.
    pub async fn finish(self) -> anyhow::Result<u64> {
        match self.out {
            Out::Csv(w) => {
                (*w).into_inner()
                    .map_err(|e| anyhow::anyhow!("{}", e.error()))?
                    .flush()?;
            }
            Out::GeoJson(mut f) => {
                f.write_all(b"]}")?;
                f.flush()?;
            }
            Out::Xlsx(mut x) => {
                let ws = x.book.worksheet_from_index(0)?;
                ws.autofilter(
                    0,
                    0,
                    u32::try_from(self.rows)?,
                    u16::try_from(self.head.columns.len().saturating_sub(1))?,
                )?;
                x.book.save(&x.path)?;
            }
            Out::Gpkg(g) => g.finish(&self.head, self.rows).await?,
        }
        Ok(self.rows)
    }
}

fn xlsx_start(head: &Head, path: &Path) -> anyhow::Result<XlsxOut> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet_with_constant_memory()?;
    ws.set_name(&head.sheet)?;
    let bold = Format::new().set_bold().set_text_wrap();
    for (c, col) in head.columns.iter().enumerate() {
        let c = u16::try_from(c)?;
        ws.write_string_with_format(0, c, &col.header, &bold)?;
        // Wide enough for the header, and for a date or time (else Excel shows ####).
        let least = match col.kind {
            ColumnType::Date => 12.0,
            ColumnType::DateTime => 17.0,
            _ => 8.0,
        };
        ws.set_column_width(
            c,
            (col.header.chars().count() as f64 + 2.0).clamp(least, 40.0),
        )?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(XlsxOut {
        book,
        path: path.to_path_buf(),
        area: Format::new().set_num_format(AREA_FORMAT),
        count: Format::new().set_num_format(COUNT_FORMAT),
        date: Format::new().set_num_format(DATE_FORMAT),
        time: Format::new().set_num_format(TIME_FORMAT),
    })
}

fn xlsx_row(x: &mut XlsxOut, columns: &[Column], r: u32, cells: &[Cell]) -> anyhow::Result<()> {
    let ws = x.book.worksheet_from_index(0)?;
    for (c, (cell, col)) in cells.iter().zip(columns).enumerate() {
        let c = u16::try_from(c)?;
        match cell {
            Cell::Text(s) => {
                ws.write_string(r, c, s)?;
            }
            Cell::Int(i) if col.kind == ColumnType::Count => {
                ws.write_number_with_format(r, c, *i as f64, &x.count)?;
            }
            Cell::Int(i) => {
                ws.write_number(r, c, *i as f64)?;
            }
            Cell::Num(f) => {
                ws.write_number_with_format(r, c, *f, &x.area)?;
            }
            Cell::Date(d) => {
                ws.write_datetime_with_format(r, c, excel_date(*d)?, &x.date)?;
            }
            Cell::Time(t) => {
                ws.write_datetime_with_format(r, c, excel_time(vietnam_time(t))?, &x.time)?;
            }
            Cell::Empty => {}
        }
    }
    Ok(())
}

/// Writes a table already in memory (the exports themselves stream their rows into a `Writer`).
pub async fn write_table(t: &Table, kind: FileKind, path: &Path) -> anyhow::Result<u64> {
    let head = Head {
        name: t.name,
        sheet: t.sheet.clone(),
        columns: t.columns.clone(),
    };
    let mut w = Writer::create(kind, head, path).await?;
    for (i, row) in t.rows.iter().enumerate() {
        w.row(row, t.shapes.get(i)).await?;
    }
    w.finish().await
}

/// The GeoPackage geometry type of a GeoJSON geometry.
fn geometry_type(g: &geojson::Value) -> &'static str {
    match g {
        geojson::Value::Polygon(_) => "POLYGON",
        geojson::Value::MultiPolygon(_) => "MULTIPOLYGON",
        _ => "GEOMETRY",
    }
}

/// An OGC GeoPackage 1.3 (WGS84 features and attributes) being written: one transaction, the
/// layer's table created at the first row with that row's geometry type (a later row of
/// another type makes the layer GEOMETRY when the file is finished).
struct GpkgOut {
    conn: sqlx::SqliteConnection,
    insert: String,
    rtree_insert: String,
    layer_type: Option<&'static str>,
    mixed: bool,
    extent: [f64; 4],
}

#[expect(
    clippy::disallowed_methods,
    reason = "writes a new GeoPackage file, not gpmb's database: fixed GeoPackage DDL, and the layer's table and insert built by sea-query"
)]
impl GpkgOut {
    async fn start(path: &Path) -> anyhow::Result<GpkgOut> {
        let _ = std::fs::remove_file(path);
        let url = format!("sqlite://{}", path.display());
        let mut conn = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete)
            .connect()
            .await
            .with_context(|| format!("creating {}", path.display()))?;
        // 0x47504B47 = "GPKG"; 10300 = version 1.3.0.
        for sql in [
            "PRAGMA application_id = 1196444487",
            "PRAGMA user_version = 10300",
            "BEGIN",
            "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, \
             organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, \
             description TEXT)",
            "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, \
             identifier TEXT UNIQUE, description TEXT DEFAULT '', \
             last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), \
             min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, \
             CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))",
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, \
             geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, \
             CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), \
             CONSTRAINT uk_gc_table_name UNIQUE (table_name), \
             CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), \
             CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
            "INSERT INTO gpkg_spatial_ref_sys VALUES \
             ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'), \
             ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'), \
             ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        ] {
            sqlx::query(sql).execute(&mut conn).await?;
        }
        Ok(GpkgOut {
            conn,
            insert: String::new(),
            rtree_insert: String::new(),
            layer_type: None,
            mixed: false,
            extent: [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
        })
    }

    /// The layer's table (built with sea-query from the code's own `&'static str` names) and
    /// its spatial index table (GeoPackage extension F.3, `gpkg_rtree_index`).
    async fn create_layer(
        &mut self,
        head: &Head,
        table: &str,
        layer_type: &str,
    ) -> anyhow::Result<()> {
        let mut create = Ddl::create();
        create.table(Alias::new(table)).col(
            ColumnDef::new(Alias::new("fid"))
                .integer()
                .not_null()
                .primary_key()
                .auto_increment(),
        );
        create.col(ColumnDef::new(Alias::new("geom")).custom(Alias::new(layer_type)));
        for c in &head.columns {
            let ty = match c.kind {
                ColumnType::Text => "TEXT",
                ColumnType::Integer | ColumnType::Count => "INTEGER",
                ColumnType::Real => "DOUBLE",
                ColumnType::Date => "DATE",
                ColumnType::DateTime => "DATETIME",
            };
            create.col(ColumnDef::new(Alias::new(c.key)).custom(Alias::new(ty)));
        }
        sqlx::query(&create.to_string(SqliteQueryBuilder))
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// The layer's spatial index table (filled row by row); returns its name.
    async fn create_index(&mut self, table: &str) -> anyhow::Result<String> {
        let rtree = format!("rtree_{table}_geom");
        sqlx::query(&format!(
            "CREATE VIRTUAL TABLE \"{rtree}\" USING rtree(id, minx, maxx, miny, maxy)"
        ))
        .execute(&mut self.conn)
        .await?;
        Ok(rtree)
    }

    async fn row(&mut self, head: &Head, cells: &[Cell], shape: &Shape) -> anyhow::Result<()> {
        let geometry: geojson::Geometry = serde_json::from_str(&shape.geojson)?;
        let this_type = geometry_type(&geometry.value);
        match self.layer_type {
            None => {
                self.create_layer(head, head.name, this_type).await?;
                let rtree = self.create_index(head.name).await?;
                self.rtree_insert = format!("INSERT INTO \"{rtree}\" VALUES (?, ?, ?, ?, ?)");
                let names = std::iter::once(Alias::new("geom"))
                    .chain(head.columns.iter().map(|c| Alias::new(c.key)));
                let slots = (0..=head.columns.len()).map(|_| SimpleExpr::from(Value::Int(None)));
                self.insert = Query::insert()
                    .into_table(Alias::new(head.name))
                    .columns(names)
                    .values_panic(slots)
                    .build(SqliteQueryBuilder)
                    .0;
                self.layer_type = Some(this_type);
            }
            Some(t) if t != this_type => self.mixed = true,
            Some(_) => {}
        }
        let geometry: geo_types::Geometry<f64> = geometry.value.try_into()?;
        let [min_x, min_y, max_x, max_y] = shape.bbox;
        self.extent = [
            self.extent[0].min(min_x),
            self.extent[1].min(min_y),
            self.extent[2].max(max_x),
            self.extent[3].max(max_y),
        ];
        let blob = geometry.to_gpkg_wkb(
            CoordDimensions::xy(),
            Some(4326),
            vec![min_x, max_x, min_y, max_y],
        )?;
        let mut q = sqlx::query(&self.insert).bind(blob);
        for cell in cells {
            q = match cell {
                Cell::Text(s) => q.bind(s.clone()),
                Cell::Int(i) => q.bind(*i),
                Cell::Num(f) => q.bind(*f),
                // GeoPackage 1.3 §1.1.1.1.1: DATE as ISO-8601 `YYYY-MM-DD`, DATETIME as
                // ISO-8601 in UTC with `Z`.
                Cell::Date(d) => q.bind(d.format("%Y-%m-%d").to_string()),
                Cell::Time(t) => q.bind(t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
                Cell::Empty => q.bind(Option::<String>::None),
            };
        }
        let fid = q.execute(&mut self.conn).await?.last_insert_rowid();
        sqlx::query(&self.rtree_insert)
            .bind(fid)
            .bind(min_x)
            .bind(max_x)
            .bind(min_y)
            .bind(max_y)
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    async fn finish(mut self, head: &Head, rows: u64) -> anyhow::Result<()> {
        let name = head.name;
        let layer_type = match self.layer_type {
            None => {
                self.create_layer(head, name, "GEOMETRY").await?;
                self.create_index(name).await?;
                "GEOMETRY"
            }
            // Rows of several geometry types: the layer becomes GEOMETRY, its rows copied
            // into a table declared so (fids kept, so the index still matches).
            Some(_) if self.mixed => {
                let staging = format!("{name}_gpmb_mixed");
                sqlx::query(&format!("ALTER TABLE \"{name}\" RENAME TO \"{staging}\""))
                    .execute(&mut self.conn)
                    .await?;
                self.create_layer(head, name, "GEOMETRY").await?;
                for sql in [
                    format!("INSERT INTO \"{name}\" SELECT * FROM \"{staging}\""),
                    format!("DROP TABLE \"{staging}\""),
                ] {
                    sqlx::query(&sql).execute(&mut self.conn).await?;
                }
                "GEOMETRY"
            }
            Some(t) => t,
        };
        if rows == 0 {
            self.extent = [0.0; 4];
        }
        let [min_x, min_y, max_x, max_y] = self.extent;
        sqlx::query(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) \
             VALUES (?, 'features', ?, ?, ?, ?, ?, ?, 4326)",
        )
        .bind(name)
        .bind(name)
        .bind(&head.sheet)
        .bind(min_x)
        .bind(min_y)
        .bind(max_x)
        .bind(max_y)
        .execute(&mut self.conn)
        .await?;
        sqlx::query("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)")
            .bind(name)
            .bind(layer_type)
            .execute(&mut self.conn)
            .await?;
        sqlx::query(
            "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, \
             extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, \
             CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
        )
        .execute(&mut self.conn)
        .await?;
        sqlx::query(
            "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', \
             'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        )
        .bind(name)
        .execute(&mut self.conn)
        .await?;
        // The index triggers last: they call ST_* functions that GDAL and SpatiaLite provide
        // and plain SQLite does not.
        for trigger in rtree_triggers(name, "geom", "fid") {
            sqlx::query(&trigger).execute(&mut self.conn).await?;
        }
        sqlx::query("COMMIT").execute(&mut self.conn).await?;
        self.conn.close().await?;
        Ok(())
    }
}

/// The six triggers that keep `rtree_<t>_<c>` in step with the table (GeoPackage 1.3, F.3),
/// so a GIS tool that edits the file keeps its index right.
fn rtree_triggers(t: &str, c: &str, i: &str) -> Vec<String> {
    let r = format!("rtree_{t}_{c}");
    let upsert = format!(
        "INSERT OR REPLACE INTO \"{r}\" VALUES (NEW.\"{i}\", ST_MinX(NEW.\"{c}\"), \
         ST_MaxX(NEW.\"{c}\"), ST_MinY(NEW.\"{c}\"), ST_MaxY(NEW.\"{c}\"));"
    );
    let has = format!("(NEW.\"{c}\" NOTNULL AND NOT ST_IsEmpty(NEW.\"{c}\"))");
    let hasnt = format!("(NEW.\"{c}\" ISNULL OR ST_IsEmpty(NEW.\"{c}\"))");
    vec![
        format!(
            "CREATE TRIGGER \"{r}_insert\" AFTER INSERT ON \"{t}\" WHEN {has} \
             BEGIN {upsert} END"
        ),
        format!(
            "CREATE TRIGGER \"{r}_update1\" AFTER UPDATE OF \"{c}\" ON \"{t}\" \
             WHEN OLD.\"{i}\" = NEW.\"{i}\" AND {has} BEGIN {upsert} END"
        ),
        format!(
            "CREATE TRIGGER \"{r}_update2\" AFTER UPDATE OF \"{c}\" ON \"{t}\" \
             WHEN OLD.\"{i}\" = NEW.\"{i}\" AND {hasnt} \
             BEGIN DELETE FROM \"{r}\" WHERE id = OLD.\"{i}\"; END"
        ),
        format!(
            "CREATE TRIGGER \"{r}_update3\" AFTER UPDATE ON \"{t}\" \
             WHEN OLD.\"{i}\" != NEW.\"{i}\" AND {has} \
             BEGIN DELETE FROM \"{r}\" WHERE id = OLD.\"{i}\"; {upsert} END"
        ),
        format!(
            "CREATE TRIGGER \"{r}_update4\" AFTER UPDATE ON \"{t}\" \
             WHEN OLD.\"{i}\" != NEW.\"{i}\" AND {hasnt} \
             BEGIN DELETE FROM \"{r}\" WHERE id IN (OLD.\"{i}\", NEW.\"{i}\"); END"
        ),
        format!(
            "CREATE TRIGGER \"{r}_delete\" AFTER DELETE ON \"{t}\" \
             WHEN OLD.\"{c}\" NOT NULL \
             BEGIN DELETE FROM \"{r}\" WHERE id = OLD.\"{i}\"; END"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            name: "parcels",
            sheet: "Thửa đất".into(),
            columns: vec![
                Column {
                    key: "map_sheet",
                    header: "Số tờ".into(),
                    kind: ColumnType::Text,
                },
                Column {
                    key: "area_m2",
                    header: "Diện tích (m²)".into(),
                    kind: ColumnType::Real,
                },
            ],
            rows: vec![vec![Cell::text("12"), Cell::Num(250.456)]],
            shapes: vec![Shape {
                geojson: r#"{"type":"Polygon","coordinates":[[[108.8,15.3],[108.801,15.3],[108.801,15.301],[108.8,15.3]]]}"#.into(),
                bbox: [108.8, 15.3, 108.801, 15.301],
            }],
        }
    }

    /// The bytes of `t` written as `kind`.
    async fn written(t: &Table, kind: FileKind) -> Vec<u8> {
        let path = std::env::temp_dir().join(format!(
            "gpmb-formats-test-{}-{:?}-{}",
            std::process::id(),
            kind,
            t.rows.len()
        ));
        write_table(t, kind, &path).await.unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        bytes
    }

    #[tokio::test]
    async fn csv_starts_with_a_bom_and_keeps_diacritics() {
        let bytes = written(&table(), FileKind::Csv).await;
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(
            text.starts_with("Số tờ,Diện tích (m²)\n12,250.46"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn csv_cells_that_would_run_as_formulas_are_plain_text() {
        let mut t = table();
        t.rows = [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "ổn = tốt",
        ]
        .iter()
        .map(|s| vec![Cell::text(*s), Cell::Int(-5)])
        .collect();
        let bytes = written(&t, FileKind::Csv).await;
        let mut reader = ::csv::Reader::from_reader(&bytes[3..]);
        let cells: Vec<(String, String)> = reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r[1].to_string())
            })
            .collect();
        assert_eq!(cells[0].0, "'=HYPERLINK(\"http://x\")");
        assert_eq!(cells[1].0, "'+1");
        assert_eq!(cells[2].0, "'-2+3");
        assert_eq!(cells[3].0, "'@SUM(A1)");
        assert_eq!(cells[4].0, "'\tx");
        assert_eq!(cells[5].0, "'\rx");
        assert_eq!(
            cells[6].0, "ổn = tốt",
            "text not starting with a trigger stays as it is"
        );
        assert_eq!(cells[0].1, "-5", "numbers are numbers, not text");
    }

    #[tokio::test]
    async fn geojson_is_a_feature_collection() {
        let v: serde_json::Value =
            serde_json::from_slice(&written(&table(), FileKind::GeoJson).await).unwrap();
        assert_eq!(v["features"][0]["properties"]["map_sheet"], "12");
        assert_eq!(v["features"][0]["geometry"]["type"], "Polygon");
    }

    #[tokio::test]
    #[expect(
        clippy::disallowed_methods,
        reason = "reads the GeoPackage just written, not gpmb's database"
    )]
    async fn geopackage_has_the_required_tables() {
        let dir = std::env::temp_dir().join(format!("gpmb-gpkg-test-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        write_table(&table(), FileKind::Gpkg, &dir).await.unwrap();
        let bytes = std::fs::read(&dir).unwrap();
        // The spatial index: declared, filled, kept in step by its six triggers.
        let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.display()))
            .unwrap()
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
        let (declared, indexed, triggers) = (
            count("SELECT COUNT(*) FROM gpkg_extensions WHERE table_name = 'parcels' AND column_name = 'geom' AND extension_name = 'gpkg_rtree_index'")
                .fetch_one(&mut conn)
                .await
                .unwrap(),
            count("SELECT COUNT(*) FROM rtree_parcels_geom WHERE minx <= 108.8 AND maxx >= 108.801 AND miny <= 15.3 AND maxy >= 15.301")
                .fetch_one(&mut conn)
                .await
                .unwrap(),
            count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_parcels_geom_%'")
                .fetch_one(&mut conn)
                .await
                .unwrap(),
        );
        conn.close().await.unwrap();
        let _ = std::fs::remove_file(&dir);
        assert_eq!((declared, indexed, triggers), (1, 1, 6));
        // application_id at offset 68, big-endian "GPKG".
        assert_eq!(&bytes[68..72], b"GPKG");
        assert_eq!(
            u32::from_be_bytes([bytes[60], bytes[61], bytes[62], bytes[63]]),
            10300
        );
    }

    #[tokio::test]
    #[expect(
        clippy::disallowed_methods,
        reason = "reads the GeoPackage just written, not gpmb's database"
    )]
    async fn a_layer_of_polygons_and_multipolygons_is_declared_geometry_and_keeps_its_rows() {
        let mut t = table();
        t.rows.push(vec![Cell::text("13"), Cell::Num(10.0)]);
        t.shapes.push(Shape {
            geojson: r#"{"type":"MultiPolygon","coordinates":[[[[108.9,15.3],[108.901,15.3],[108.901,15.301],[108.9,15.3]]]]}"#.into(),
            bbox: [108.9, 15.3, 108.901, 15.301],
        });
        let path = std::env::temp_dir().join(format!("gpmb-gpkg-mixed-{}", std::process::id()));
        write_table(&t, FileKind::Gpkg, &path).await.unwrap();
        let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let declared: String = sqlx::query_scalar(
            "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'parcels'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let ddl: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'parcels'")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT p.fid, p.map_sheet FROM parcels p JOIN rtree_parcels_geom r ON r.id = p.fid ORDER BY p.fid")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        conn.close().await.unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(declared, "GEOMETRY");
        assert!(ddl.contains("\"geom\" GEOMETRY"), "{ddl}");
        assert_eq!(rows, vec![(1, "12".to_string()), (2, "13".to_string())]);
    }
}
