//! One tile's parcels → Mapbox Vector Tile 2.1 bytes, written straight from the packed store:
//! grid coordinates moved to tile space, clipped to the tile plus a buffer, snapped to the
//! integer grid, wound as the spec wants and written as geometry commands; attribute values
//! shared in the layer's table. The protobuf is written by hand, straight into the tile's
//! bytes: the spec fixes its few messages, and building geozero's structs (a `String` per
//! value, a `Vec` per feature) and encoding them took more than drawing the tile.
use foldhash::HashMap;

use ::geo::{Coord, LineString, Simplify};

use super::store::{Record, Store};
use crate::geo::tiling::clip_ring;

/// Tile coordinate space, as in PostGIS/Martin.
pub const EXTENT: u32 = 4096;
/// Buffer around the tile, in tile units, so strokes at the tile edge join up.
pub const BUFFER: u32 = 64;
/// The layer name.
pub const LAYER: &str = "parcels";
/// Simplification tolerance in tile units: below a 16th of a pixel at 256 px, never visible.
const SIMPLIFY_UNITS: f64 = 1.0;
/// Rings longer than this are simplified before snapping; shorter ones only snap.
const SIMPLIFY_ABOVE: usize = 8;

/// Where a tile sits: grid coordinate → tile units is `q * scale - origin`.
#[derive(Clone, Copy)]
pub struct TileFrame {
    scale: f64,
    ox: f64,
    oy: f64,
}

impl TileFrame {
    pub fn new(z: u8, x: u32, y: u32) -> Self {
        let extent = f64::from(EXTENT);
        // Grid units are world × 2^32; tile units are world × 2^z × EXTENT.
        let scale = f64::from(1u32 << z) * extent / 4_294_967_296.0;
        TileFrame {
            scale,
            ox: f64::from(x) * extent - 2_147_483_648.0 * scale,
            oy: f64::from(y) * extent - 2_147_483_648.0 * scale,
        }
    }

    /// A grid point (shifted into i32, see `store`) in tile units.
    pub fn point(&self, q: [i32; 2]) -> [f64; 2] {
        [
            f64::from(q[0]) * self.scale - self.ox,
            f64::from(q[1]) * self.scale - self.oy,
        ]
    }

    /// A world position in tile units.
    pub fn world(&self, w: [f64; 2]) -> [f64; 2] {
        let s = self.scale * 4_294_967_296.0;
        let shift = 2_147_483_648.0 * self.scale;
        [w[0] * s - self.ox - shift, w[1] * s - self.oy - shift]
    }
}

/// Geometry commands of a feature, with the cursor the spec makes them relative to.
#[derive(Default)]
pub struct Commands {
    pub out: Vec<u32>,
    cursor: [i32; 2],
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

impl Commands {
    /// No commands, the buffer kept for the next feature.
    pub fn clear(&mut self) {
        self.out.clear();
        self.cursor = [0, 0];
    }

    /// A closed ring, given open, at least 3 distinct points, already wound.
    pub fn ring(&mut self, ring: &[[i32; 2]]) {
        let Some((first, rest)) = ring.split_first() else {
            return;
        };
        self.out.push(9); // MoveTo × 1
        self.step(*first);
        let n = u32::try_from(rest.len()).unwrap_or(0);
        self.out.push(2 | (n << 3)); // LineTo × n
        for p in rest {
            self.step(*p);
        }
        self.out.push(15); // ClosePath
    }

    fn step(&mut self, p: [i32; 2]) {
        self.out.push(zigzag(p[0] - self.cursor[0]));
        self.out.push(zigzag(p[1] - self.cursor[1]));
        self.cursor = p;
    }
}

/// Snaps a ring in tile units to the integer grid, drops repeated points and winds it
/// (exterior: positive area in y-down tile space, i.e. clockwise on screen; holes the other
/// way), into `snapped`. False when it collapses.
fn snap_ring(ring: &[[f64; 2]], exterior: bool, snapped: &mut Vec<[i32; 2]>) -> bool {
    let simplified: Vec<[f64; 2]>;
    let ring = if ring.len() > SIMPLIFY_ABOVE {
        let mut closed: Vec<Coord<f64>> = ring.iter().map(|c| Coord { x: c[0], y: c[1] }).collect();
        closed.push(closed[0]);
        simplified = LineString::new(closed)
            .simplify(&SIMPLIFY_UNITS)
            .0
            .iter()
            .map(|c| [c.x, c.y])
            .collect();
        &simplified[..]
    } else {
        ring
    };
    snapped.clear();
    for c in ring {
        // Tile units of a parcel in a buffered tile are small: no overflow.
        let p = [c[0].round() as i32, c[1].round() as i32];
        if snapped.last() != Some(&p) {
            snapped.push(p);
        }
    }
    while snapped.len() > 1 && snapped.first() == snapped.last() {
        snapped.pop();
    }
    if snapped.len() < 3 {
        return false;
    }
    let area = snapped_area2(snapped);
    if area == 0 {
        return false;
    }
    if (area > 0) != exterior {
        snapped.reverse();
    }
    true
}

/// `ring_area2` of a snapped ring, exact in integers.
fn snapped_area2(ring: &[[i32; 2]]) -> i64 {
    let mut prev = ring[ring.len() - 1];
    let mut sum = 0i64;
    for &p in ring {
        sum += i64::from(prev[0]) * i64::from(p[1]) - i64::from(p[0]) * i64::from(prev[1]);
        prev = p;
    }
    sum
}

/// Buffers reused from one parcel to the next while a tile is drawn.
#[derive(Default)]
struct Scratch {
    projected: Vec<[f64; 2]>,
    snapped: Vec<[i32; 2]>,
    commands: Commands,
}

/// The commands of a parcel's geometry in this tile, in `scratch.commands`; empty when nothing
/// of it is left.
fn parcel_commands(store: &Store, r: &Record, frame: &TileFrame, scratch: &mut Scratch) {
    let lo = -f64::from(BUFFER);
    let hi = f64::from(EXTENT + BUFFER);
    let [bx0, by0] = frame.point([r.bbox[0], r.bbox[1]]);
    let [bx1, by1] = frame.point([r.bbox[2], r.bbox[3]]);
    // Most parcels lie wholly inside the buffered tile: no clipping for them.
    let inside = bx0 >= lo && bx1 <= hi && by0 >= lo && by1 <= hi;
    let Scratch {
        projected,
        snapped,
        commands,
    } = scratch;
    commands.clear();
    let mut skip_polygon = false;
    for (exterior, ring) in store.rings(r) {
        if exterior {
            skip_polygon = false;
        } else if skip_polygon {
            continue;
        }
        projected.clear();
        projected.extend(ring.iter().map(|&q| frame.point(q)));
        let kept = if inside {
            snap_ring(projected, exterior, snapped)
        } else {
            snap_ring(&clip_ring(projected, [lo, lo], [hi, hi]), exterior, snapped)
        };
        if kept {
            commands.ring(snapped);
        } else if exterior {
            // No exterior left: the holes go with it.
            skip_polygon = true;
        }
    }
}

// Protobuf wire types and the few helpers the tile's messages need.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

/// The key of a field (field number and wire type).
fn key(field: u32, wire: u32) -> u64 {
    u64::from((field << 3) | wire)
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes of a length-delimited field (key, length, contents) of `n` bytes, for fields < 16.
fn len_field(n: usize) -> usize {
    1 + varint_len(n as u64) + n
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_varint(out, key(field, LEN));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Bytes of packed varints.
fn packed_len(values: &[u32]) -> usize {
    values.iter().map(|&v| varint_len(u64::from(v))).sum()
}

fn put_packed(out: &mut Vec<u8>, field: u32, values: &[u32], len: usize) {
    put_varint(out, key(field, LEN));
    put_varint(out, len as u64);
    for &v in values {
        put_varint(out, u64::from(v));
    }
}

/// A layer's attribute values, each written once (a `Value` message in the layer) and
/// referred to by index.
#[derive(Default)]
pub struct Values<'a> {
    count: u32,
    bytes: Vec<u8>,
    strings: HashMap<&'a str, u32>,
    ints: HashMap<i64, u32>,
    doubles: HashMap<u64, u32>,
    yes: Option<u32>,
}

impl<'a> Values<'a> {
    /// Writes a `Value` whose one field (key included) is `inner` bytes long.
    fn add(&mut self, inner: usize, write: impl FnOnce(&mut Vec<u8>)) -> u32 {
        put_varint(&mut self.bytes, key(4, LEN));
        put_varint(&mut self.bytes, inner as u64);
        write(&mut self.bytes);
        self.count += 1;
        self.count - 1
    }

    pub fn string(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.strings.get(s) {
            return i;
        }
        let i = self.add(len_field(s.len()), |out| put_bytes(out, 1, s.as_bytes()));
        self.strings.insert(s, i);
        i
    }

    pub fn int(&mut self, v: i64) -> u32 {
        if let Some(&i) = self.ints.get(&v) {
            return i;
        }
        let zigzag = ((v << 1) ^ (v >> 63)) as u64;
        let i = self.add(1 + varint_len(zigzag), |out| {
            put_varint(out, key(6, VARINT));
            put_varint(out, zigzag);
        });
        self.ints.insert(v, i);
        i
    }

    pub fn double(&mut self, v: f64) -> u32 {
        if let Some(&i) = self.doubles.get(&v.to_bits()) {
            return i;
        }
        let i = self.add(9, |out| {
            put_varint(out, key(3, FIXED64));
            out.extend_from_slice(&v.to_le_bytes());
        });
        self.doubles.insert(v.to_bits(), i);
        i
    }

    /// The value `true`.
    pub fn yes(&mut self) -> u32 {
        if let Some(i) = self.yes {
            return i;
        }
        let i = self.add(2, |out| {
            put_varint(out, key(7, VARINT));
            put_varint(out, 1);
        });
        self.yes = Some(i);
        i
    }
}

/// A layer's features, written as they come.
#[derive(Default)]
pub struct Features {
    count: usize,
    bytes: Vec<u8>,
}

impl Features {
    /// A polygon feature: its id if it has one, its tags (key and value indexes) and its
    /// geometry commands.
    pub fn polygon(&mut self, id: Option<u64>, tags: &[u32], geometry: &[u32]) {
        const POLYGON: u64 = 3;
        let (tags_len, geometry_len) = (packed_len(tags), packed_len(geometry));
        let len = id.map_or(0, |id| 1 + varint_len(id))
            + len_field(tags_len)
            + 2
            + len_field(geometry_len);
        let out = &mut self.bytes;
        put_varint(out, key(2, LEN));
        put_varint(out, len as u64);
        if let Some(id) = id {
            put_varint(out, key(1, VARINT));
            put_varint(out, id);
        }
        put_packed(out, 2, tags, tags_len);
        put_varint(out, key(3, VARINT));
        put_varint(out, POLYGON);
        put_packed(out, 4, geometry, geometry_len);
        self.count += 1;
    }
}

/// The `parcels` layer around its features and values → tile bytes (a `Tile` holding one
/// `Layer`, fields in number order as protobuf encoders write them); `None` without features.
pub fn finish(keys: &[&str], features: Features, values: Values) -> Option<Vec<u8>> {
    if features.count == 0 {
        return None;
    }
    let layer_len = len_field(LAYER.len())
        + features.bytes.len()
        + keys.iter().map(|k| len_field(k.len())).sum::<usize>()
        + values.bytes.len()
        + 1
        + varint_len(u64::from(EXTENT))
        + 2;
    let mut out = Vec::with_capacity(len_field(layer_len));
    put_varint(&mut out, key(3, LEN));
    put_varint(&mut out, layer_len as u64);
    put_bytes(&mut out, 1, LAYER.as_bytes());
    out.extend_from_slice(&features.bytes);
    for k in keys {
        put_bytes(&mut out, 3, k.as_bytes());
    }
    out.extend_from_slice(&values.bytes);
    put_varint(&mut out, key(5, VARINT));
    put_varint(&mut out, u64::from(EXTENT));
    put_varint(&mut out, key(15, VARINT));
    put_varint(&mut out, 2);
    Some(out)
}

/// Keys of a parcel feature, in tag order.
const KEYS: [&str; 7] = [
    "id",
    "status",
    "land_use",
    "map_sheet",
    "parcel_no",
    "area_m2",
    "commune",
];

/// Encodes the parcels into one `parcels` layer; `None` when no feature survives.
pub fn encode(store: &Store, parcels: &[&Record], z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    let frame = TileFrame::new(z, x, y);
    let mut values = Values::default();
    let mut features = Features::default();
    let mut scratch = Scratch::default();
    for r in parcels {
        parcel_commands(store, r, &frame, &mut scratch);
        if scratch.commands.out.is_empty() {
            continue;
        }
        let tags = [
            0,
            values.int(i64::from(r.id)),
            1,
            values.string(store.text(r.status)),
            2,
            values.string(store.text(r.land_use)),
            3,
            values.string(store.map_sheet(r)),
            4,
            values.string(store.parcel_no(r)),
            5,
            values.double(r.area_m2),
            6,
            values.string(store.text(r.commune)),
        ];
        features.polygon(u64::try_from(r.id).ok(), &tags, &scratch.commands.out);
    }
    finish(&KEYS, features, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_relative_and_zigzagged() {
        let mut c = Commands::default();
        c.ring(&[[1, 1], [3, 1], [3, 4]]);
        c.ring(&[[0, 0], [1, 0], [1, 1]]);
        assert_eq!(
            c.out,
            [
                9,
                2,
                2,
                2 | (2 << 3),
                4,
                0,
                0,
                6,
                15,
                9,
                5,
                7,
                2 | (2 << 3),
                2,
                0,
                0,
                2,
                15
            ]
        );
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(-3), 5);
    }

    #[test]
    fn rings_collapse_below_a_unit_and_wind_by_kind() {
        use crate::geo::tiling::ring_area2;
        let mut ext = Vec::new();
        assert!(!snap_ring(
            &[[0.1, 0.1], [0.2, 0.1], [0.2, 0.3]],
            true,
            &mut ext
        ));
        // Counter-clockwise on screen (negative area in y-down space) comes out clockwise.
        let ccw = [[0.0, 0.0], [0.0, 10.0], [10.0, 10.0], [10.0, 0.0]];
        assert!(snap_ring(&ccw, true, &mut ext));
        let f: Vec<[f64; 2]> = ext
            .iter()
            .map(|p| [f64::from(p[0]), f64::from(p[1])])
            .collect();
        assert!(ring_area2(&f) > 0.0);
        let mut hole = Vec::new();
        assert!(snap_ring(&ccw, false, &mut hole));
        let f: Vec<[f64; 2]> = hole
            .iter()
            .map(|p| [f64::from(p[0]), f64::from(p[1])])
            .collect();
        assert!(ring_area2(&f) < 0.0);
    }

    /// The hand-written protobuf is byte for byte what prost writes for geozero's types.
    #[test]
    fn tiles_are_written_as_prost_writes_them() {
        use geozero::mvt::tile::{Feature, GeomType, Layer, Value};
        use geozero::mvt::{Message, Tile};
        let mut values = Values::default();
        let mut features = Features::default();
        let long = "Đất trồng lúa nước còn lại ".repeat(10);
        let a = [
            0,
            values.int(-300),
            1,
            values.string("agreed"),
            2,
            values.double(12.5),
        ];
        features.polygon(Some(300), &a, &[9, 2, 2, 26, 4, 0, 0, 6, 15]);
        let b = [
            0,
            values.int(1 << 40),
            1,
            values.string(&long),
            3,
            values.yes(),
        ];
        let big: Vec<u32> = (0..500).map(|i| i * 977).collect();
        features.polygon(None, &b, &big);
        let c = [1, values.string("agreed"), 3, values.yes()];
        features.polygon(Some(u64::MAX), &c, &[9, 0, 0, 15]);
        let keys = ["id", "status", "area_m2", "overview"];
        let ours = finish(&keys, features, values).unwrap();

        let expected = Tile {
            layers: vec![Layer {
                version: 2,
                name: LAYER.into(),
                features: vec![
                    Feature {
                        id: Some(300),
                        tags: a.to_vec(),
                        r#type: Some(GeomType::Polygon as i32),
                        geometry: vec![9, 2, 2, 26, 4, 0, 0, 6, 15],
                    },
                    Feature {
                        id: None,
                        tags: b.to_vec(),
                        r#type: Some(GeomType::Polygon as i32),
                        geometry: big,
                    },
                    Feature {
                        id: Some(u64::MAX),
                        tags: c.to_vec(),
                        r#type: Some(GeomType::Polygon as i32),
                        geometry: vec![9, 0, 0, 15],
                    },
                ],
                keys: keys.iter().map(ToString::to_string).collect(),
                values: vec![
                    Value {
                        sint_value: Some(-300),
                        ..Value::default()
                    },
                    Value {
                        string_value: Some("agreed".into()),
                        ..Value::default()
                    },
                    Value {
                        double_value: Some(12.5),
                        ..Value::default()
                    },
                    Value {
                        sint_value: Some(1 << 40),
                        ..Value::default()
                    },
                    Value {
                        string_value: Some(long.clone()),
                        ..Value::default()
                    },
                    Value {
                        bool_value: Some(true),
                        ..Value::default()
                    },
                ],
                extent: Some(EXTENT),
            }],
        };
        assert_eq!(ours, expected.encode_to_vec());
        assert_eq!(Tile::decode(&ours[..]).unwrap(), expected);
        assert!(finish(&keys, Features::default(), Values::default()).is_none());
    }

    #[test]
    fn frame_agrees_with_tile_math() {
        use crate::geo::tiling::{lonlat_to_tile, lonlat_to_world};
        use crate::tiles::store::quantise;
        let (lon, lat) = (108.8, 15.35);
        let (x, y) = lonlat_to_tile(lon, lat, 14);
        let frame = TileFrame::new(14, x, y);
        let (wx, wy) = lonlat_to_world(lon, lat);
        let p = frame.point([quantise(wx), quantise(wy)]);
        let w = frame.world([wx, wy]);
        assert!((0.0..4096.0).contains(&p[0]) && (0.0..4096.0).contains(&p[1]));
        assert!(
            (p[0] - w[0]).abs() < 0.01 && (p[1] - w[1]).abs() < 0.01,
            "{p:?} {w:?}"
        );
    }
}
