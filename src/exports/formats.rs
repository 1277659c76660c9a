//! Writing an export table: CSV (UTF-8 with BOM so Excel shows diacritics), XLSX, GeoJSON and
//! OGC GeoPackage (parcels, with geometry).
use std::path::Path;
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

pub fn csv(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(BOM.to_vec());
    w.write_record(t.columns.iter().map(|c| c.header.as_str()))?;
    for row in &t.rows {
        w.write_record(row.iter().map(Cell::as_csv))?;
    }
    Ok(w.into_inner()?)
}

pub fn xlsx(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(&t.sheet)?;
    let head = Format::new().set_bold().set_text_wrap();
    let area = Format::new().set_num_format(AREA_FORMAT);
    let count = Format::new().set_num_format(COUNT_FORMAT);
    let date = Format::new().set_num_format(DATE_FORMAT);
    let time = Format::new().set_num_format(TIME_FORMAT);
    for (c, col) in t.columns.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, &col.header, &head)?;
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
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, (cell, col)) in row.iter().zip(&t.columns).enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Int(i) if col.kind == ColumnType::Count => {
                    ws.write_number_with_format(r, c, *i as f64, &count)?;
                }
                Cell::Int(i) => {
                    ws.write_number(r, c, *i as f64)?;
                }
                Cell::Num(f) => {
                    ws.write_number_with_format(r, c, *f, &area)?;
                }
                Cell::Date(d) => {
                    ws.write_datetime_with_format(r, c, excel_date(*d)?, &date)?;
                }
                Cell::Time(t) => {
                    ws.write_datetime_with_format(r, c, excel_time(vietnam_time(t))?, &time)?;
                }
                Cell::Empty => {}
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(
        0,
        0,
        t.rows.len() as u32,
        t.columns.len().saturating_sub(1) as u16,
    )?;
    Ok(wb.save_to_buffer()?)
}

pub fn geojson(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(t.rows.len() * 600 + 100);
    out.extend_from_slice(br#"{"type":"FeatureCollection","name":""#);
    out.extend_from_slice(t.name.as_bytes());
    out.extend_from_slice(br#"","features":["#);
    for (i, (row, shape)) in t.rows.iter().zip(&t.shapes).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let props: serde_json::Map<String, serde_json::Value> = t
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| (c.key.to_string(), v.as_json()))
            .collect();
        // The stored geometry is already valid GeoJSON: copy it instead of re-parsing.
        out.extend_from_slice(br#"{"type":"Feature","geometry":"#);
        out.extend_from_slice(shape.geojson.as_bytes());
        out.extend_from_slice(br#","properties":"#);
        serde_json::to_writer(&mut out, &props)?;
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// One geometry type for the layer when every feature has it (GIS tools then know it),
/// GEOMETRY otherwise.
fn layer_type(shapes: &[Shape]) -> anyhow::Result<&'static str> {
    #[derive(serde::Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: String,
    }
    let mut out: Option<&'static str> = None;
    for s in shapes {
        let k: Kind = serde_json::from_str(&s.geojson)?;
        let this = match k.kind.as_str() {
            "Polygon" => "POLYGON",
            "MultiPolygon" => "MULTIPOLYGON",
            _ => "GEOMETRY",
        };
        if out.is_some_and(|o| o != this) {
            return Ok("GEOMETRY");
        }
        out = Some(this);
    }
    Ok(out.unwrap_or("GEOMETRY"))
}

/// Writes an OGC GeoPackage 1.3 (WGS84 polygons and attributes) to `path`, which must not
/// exist yet.
#[expect(
    clippy::too_many_lines,
    reason = "the GeoPackage tables the standard requires, in its order"
)]
#[expect(
    clippy::disallowed_methods,
    reason = "writes a new GeoPackage file, not gpmb's database: fixed GeoPackage DDL, and the layer's table and insert built by sea-query"
)]
pub async fn gpkg(t: &Table, path: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", path.display());
    let mut conn = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await
        .with_context(|| format!("creating {}", path.display()))?;
    // 0x47504B47 = "GPKG"; 10300 = version 1.3.0.
    sqlx::query("PRAGMA application_id = 1196444487")
        .execute(&mut conn)
        .await?;
    sqlx::query("PRAGMA user_version = 10300")
        .execute(&mut conn)
        .await?;
    let mut tx = conn.begin().await?;
    for sql in [
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
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    let layer_type = layer_type(&t.shapes)?;
    // The layer's table and insert are built with sea-query from the code's own names
    // (`&'static str`), rendered for SQLite; the cells are bound per row below.
    let mut create = Ddl::create();
    create.table(Alias::new(t.name)).col(
        ColumnDef::new(Alias::new("fid"))
            .integer()
            .not_null()
            .primary_key()
            .auto_increment(),
    );
    create.col(ColumnDef::new(Alias::new("geom")).custom(Alias::new(layer_type)));
    for c in &t.columns {
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
        .execute(&mut *tx)
        .await?;
    let mut extent = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let names =
        std::iter::once(Alias::new("geom")).chain(t.columns.iter().map(|c| Alias::new(c.key)));
    let slots = (0..=t.columns.len()).map(|_| SimpleExpr::from(Value::Int(None)));
    let (insert, _) = Query::insert()
        .into_table(Alias::new(t.name))
        .columns(names)
        .values_panic(slots)
        .build(SqliteQueryBuilder);
    // The spatial index (GeoPackage extension F.3, `gpkg_rtree_index`): filled here row by row,
    // its triggers created once the rows are in (they call ST_* functions that GDAL and
    // SpatiaLite provide and plain SQLite does not).
    let rtree = format!("rtree_{}_geom", t.name);
    sqlx::query(&format!(
        "CREATE VIRTUAL TABLE \"{rtree}\" USING rtree(id, minx, maxx, miny, maxy)"
    ))
    .execute(&mut *tx)
    .await?;
    let rtree_insert = format!("INSERT INTO \"{rtree}\" VALUES (?, ?, ?, ?, ?)");
    for (row, shape) in t.rows.iter().zip(&t.shapes) {
        let geometry: geojson::Geometry = serde_json::from_str(&shape.geojson)?;
        let geometry: geo_types::Geometry<f64> = geometry.value.try_into()?;
        let [min_x, min_y, max_x, max_y] = shape.bbox;
        extent = [
            extent[0].min(min_x),
            extent[1].min(min_y),
            extent[2].max(max_x),
            extent[3].max(max_y),
        ];
        let blob = geometry.to_gpkg_wkb(
            CoordDimensions::xy(),
            Some(4326),
            vec![min_x, max_x, min_y, max_y],
        )?;
        let mut q = sqlx::query(&insert).bind(blob);
        for cell in row {
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
        let fid = q.execute(&mut *tx).await?.last_insert_rowid();
        sqlx::query(&rtree_insert)
            .bind(fid)
            .bind(min_x)
            .bind(max_x)
            .bind(min_y)
            .bind(max_y)
            .execute(&mut *tx)
            .await?;
    }
    if t.rows.is_empty() {
        extent = [0.0; 4];
    }
    sqlx::query(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) \
         VALUES (?, 'features', ?, ?, ?, ?, ?, ?, 4326)",
    )
    .bind(t.name)
    .bind(t.name)
    .bind(&t.sheet)
    .bind(extent[0])
    .bind(extent[1])
    .bind(extent[2])
    .bind(extent[3])
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)")
        .bind(t.name)
        .bind(layer_type)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, \
         extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, \
         CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', \
         'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
    )
    .bind(t.name)
    .execute(&mut *tx)
    .await?;
    for trigger in rtree_triggers(t.name, "geom", "fid") {
        sqlx::query(&trigger).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
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

    #[test]
    fn csv_starts_with_a_bom_and_keeps_diacritics() {
        let bytes = csv(&table()).unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(
            text.starts_with("Số tờ,Diện tích (m²)\n12,250.46"),
            "{text}"
        );
    }

    #[test]
    fn csv_cells_that_would_run_as_formulas_are_plain_text() {
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
        let bytes = csv(&t).unwrap();
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

    #[test]
    fn geojson_is_a_feature_collection() {
        let v: serde_json::Value = serde_json::from_slice(&geojson(&table()).unwrap()).unwrap();
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
        gpkg(&table(), &dir).await.unwrap();
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
}
