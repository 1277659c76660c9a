//! Hostile variants of small valid import files, for the fuzz tests of the three importers
//! (issue 16 item 3): bytes flipped, truncated, spliced with awkward tokens, repeated, deep
//! nesting, huge sizes declared in zip headers, files nested in zips, and workbooks with cells
//! anywhere in the sheet. Generated from the fixtures at test time: no hostile file is
//! committed. Used by the unit tests of `crate::imports` and, through `#[path]`, by the HTTP
//! suite (`tests/api/fuzz_imports.rs`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

/// A small valid file to start from.
#[derive(Clone, Copy, Debug)]
pub struct Seed {
    pub name: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! fixture {
    ($name:literal, $file:literal) => {
        Seed {
            name: $name,
            bytes: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/import/",
                $file
            )),
        }
    };
}

/// Parcel files: GeoJSON (VN-2000 with its `crs`) and a zipped Shapefile with its `.prj`.
pub const PARCEL_SEEDS: [Seed; 2] = [
    fixture!("p.geojson", "parcels_5898.geojson"),
    fixture!("p.zip", "parcels_5898.zip"),
];

/// Household registers: CSV and XLSX.
pub const HOUSEHOLD_SEEDS: [Seed; 2] = [
    fixture!("h.csv", "households.csv"),
    fixture!("h.xlsx", "households_clean.xlsx"),
];

/// How many cases a property runs: `PROPTEST_CASES` when set, else `default` (kept small so
/// `cargo test` stays quick; CI or a long night can raise it).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Largest file a mutation may grow (the upload limit of the tests is 256 KiB).
const MAX_LEN: usize = 200 * 1024;

/// Tokens that upset parsers: quotes and brackets, numbers beyond f64, BOMs, zip magic,
/// formula prefixes, bidi overrides.
const TOKENS: &[&str] = &[
    "\0",
    "\"",
    "{",
    "}",
    "[[[[[[[[[[[[[[[[",
    "]",
    ",",
    ":",
    "1e999",
    "-1e999",
    "NaN",
    "null",
    "99999999999999999999999999",
    "-0",
    ";",
    "\r\n",
    "\n\n\n",
    "\u{feff}",
    "PK\u{3}\u{4}",
    "=HYPERLINK(\"x\")",
    "\u{202e}",
    "Ω\u{301}",
    "<x>",
    "&#0;",
    "]]>",
];

/// Values written over the sizes and offsets zip headers declare.
const SIZES: &[u32] = &[
    0,
    1,
    0x7fff_ffff,
    0xffff_ffff,
    0xffff_fff0,
    1 << 30,
    1 << 20,
];

/// One change to a file.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// XOR one byte.
    Flip { at: Index, xor: u8 },
    /// Keep only the bytes before `at`.
    Truncate(Index),
    /// Insert random bytes.
    Insert { at: Index, bytes: Vec<u8> },
    /// Overwrite with a token.
    Token { at: Index, token: &'static str },
    /// Repeat a slice of the file (bounded by `MAX_LEN`).
    Repeat { at: Index, len: usize, times: usize },
    /// Open `depth` arrays (JSON) or elements (XML) at a point and never close them.
    Deep { at: Index, depth: usize },
    /// Write `value` into one kind of size field of every zip header found.
    ZipSizes { field: u8, value: u32 },
    /// The file as the one entry of a zip of its own, under `name`.
    Nest { name: &'static str },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1..=255u8).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        2 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), vec(any::<u8>(), 1..32))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        3 => (any::<Index>(), select(TOKENS)).prop_map(|(at, token)| Mutation::Token { at, token }),
        1 => (any::<Index>(), 1..512usize, 2..64usize)
            .prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        1 => (any::<Index>(), prop_oneof![Just(200usize), Just(5_000), Just(50_000)])
            .prop_map(|(at, depth)| Mutation::Deep { at, depth }),
        2 => (0..4u8, select(SIZES)).prop_map(|(field, value)| Mutation::ZipSizes { field, value }),
        1 => select(&["inner.zip", "p.shp", "xl/worksheets/sheet1.xml", "h.csv"][..])
            .prop_map(|name| Mutation::Nest { name }),
    ]
}

/// One to four changes, applied in turn.
pub fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    vec(mutation(), 1..=4)
}

/// The seed with the changes applied.
pub fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        apply_one(&mut b, m);
        b.truncate(MAX_LEN);
    }
    b
}

fn apply_one(b: &mut Vec<u8>, m: &Mutation) {
    let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
    match m {
        Mutation::Flip { at: i, xor } => {
            if !b.is_empty() {
                let i = at(i, b.len());
                b[i] ^= xor;
            }
        }
        Mutation::Truncate(i) => {
            let i = at(i, b.len());
            b.truncate(i);
        }
        Mutation::Insert { at: i, bytes } => {
            let i = at(i, b.len() + 1);
            b.splice(i..i, bytes.iter().copied());
        }
        Mutation::Token { at: i, token } => {
            let i = at(i, b.len() + 1);
            let end = (i + token.len()).min(b.len());
            b.splice(i..end, token.bytes());
        }
        Mutation::Repeat { at: i, len, times } => {
            let i = at(i, b.len() + 1);
            let end = (i + len).min(b.len());
            let piece = b[i..end].to_vec();
            let room = MAX_LEN.saturating_sub(b.len()) / piece.len().max(1);
            let copies: Vec<u8> = piece.repeat((*times).min(room));
            b.splice(end..end, copies);
        }
        Mutation::Deep { at: i, depth } => {
            let i = at(i, b.len() + 1);
            let open: &[u8] = if b.first() == Some(&b'<') || b.starts_with(b"PK") {
                b"<a>"
            } else {
                b"["
            };
            let n = (*depth).min(MAX_LEN / open.len());
            b.splice(i..i, open.repeat(n));
        }
        Mutation::ZipSizes { field, value } => zip_sizes(b, *field, *value),
        Mutation::Nest { name } => *b = zip_of(&[(name, b.as_slice())]),
    }
}

/// Overwrites a size or offset in every zip header: 0 = uncompressed sizes, 1 = compressed
/// sizes, 2 = the central directory's size and offset, 3 = entry counts.
fn zip_sizes(b: &mut [u8], field: u8, value: u32) {
    let v = value.to_le_bytes();
    let put = |b: &mut [u8], at: usize, bytes: &[u8]| {
        if at + bytes.len() <= b.len() {
            b[at..at + bytes.len()].copy_from_slice(bytes);
        }
    };
    let mut i = 0;
    while i + 4 <= b.len() {
        match &b[i..i + 4] {
            b"PK\x03\x04" => match field {
                0 => put(b, i + 22, &v),
                1 => put(b, i + 18, &v),
                _ => {}
            },
            b"PK\x01\x02" => match field {
                0 => put(b, i + 24, &v),
                1 => put(b, i + 20, &v),
                2 => put(b, i + 42, &v),
                _ => {}
            },
            b"PK\x05\x06" => match field {
                2 => {
                    put(b, i + 12, &v);
                    put(b, i + 16, &v);
                }
                3 => {
                    let n = value.to_le_bytes();
                    put(b, i + 8, &n[..2]);
                    put(b, i + 10, &n[..2]);
                }
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
}

/// A deflated zip of the entries.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("zip entry");
        zip.write_all(bytes).expect("zip write");
    }
    zip.finish().expect("zip finish");
    out.into_inner()
}

/// Cells of a hostile workbook: half the workbooks keep to a register's few rows and columns
/// (odd values where names, codes and numbers go), the others put cells anywhere in the sheet
/// (up to XFD1048576).
pub fn workbook_cells() -> impl Strategy<Value = Vec<(u32, u16, String)>> {
    let text = "[ -~Ơ-ỹ]{0,12}";
    let row = prop_oneof![0..20u32, 0..1_048_576u32, Just(1_048_575u32)];
    let col = prop_oneof![0..12u16, 0..16_384u16, Just(16_383u16)];
    prop_oneof![
        vec((1..20u32, 0..6u16, text), 1..24),
        vec((row, col, text), 1..12),
    ]
}

/// A register workbook: the usual header row, then the cells.
pub fn workbook(cells: &[(u32, u16, String)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "STT",
        "Họ và tên chủ hộ",
        "Số CCCD",
        "Mã xã",
        "Số tờ",
        "Số thửa",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_string(0, u16::try_from(c).expect("few headers"), *h)
            .expect("header");
    }
    for (r, c, v) in cells {
        match v.parse::<f64>() {
            Ok(n) => sheet.write_number(*r, *c, n),
            Err(_) => sheet.write_string(*r, *c, v),
        }
        .expect("cell inside the sheet");
    }
    book.save_to_buffer().expect("workbook")
}
