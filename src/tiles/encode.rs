//! One tile's parcels → Mapbox Vector Tile 2.1 bytes, written straight from the packed store:
//! grid coordinates moved to tile space, clipped to the tile plus a buffer, snapped to the
//! integer grid, wound as the spec wants and written as geometry commands; attribute values
//! shared in the layer's table. The protobuf types are geozero's.
use foldhash::HashMap;

use ::geo::{Coord, LineString, Simplify};
use geozero::mvt::tile::{Feature, GeomType, Layer, Value};
use geozero::mvt::{Message, Tile};

use super::store::{Record, Store};
use crate::geo::tiling::{clip_ring, ring_area2};

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
/// way). `None` when it collapses.
fn snap_ring(ring: &[[f64; 2]], exterior: bool) -> Option<Vec<[i32; 2]>> {
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
    let mut snapped: Vec<[i32; 2]> = Vec::with_capacity(ring.len());
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
        return None;
    }
    let as_f64: Vec<[f64; 2]> = snapped
        .iter()
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect();
    let area = ring_area2(&as_f64);
    if area == 0.0 {
        return None;
    }
    if (area > 0.0) != exterior {
        snapped.reverse();
    }
    Some(snapped)
}

/// The commands of a parcel's geometry in this tile; empty when nothing of it is left.
fn parcel_commands(store: &Store, r: &Record, frame: &TileFrame) -> Vec<u32> {
    let lo = -f64::from(BUFFER);
    let hi = f64::from(EXTENT + BUFFER);
    let [bx0, by0] = frame.point([r.bbox[0], r.bbox[1]]);
    let [bx1, by1] = frame.point([r.bbox[2], r.bbox[3]]);
    // Most parcels lie wholly inside the buffered tile: no clipping for them.
    let inside = bx0 >= lo && bx1 <= hi && by0 >= lo && by1 <= hi;
    let mut commands = Commands::default();
    let mut skip_polygon = false;
    for (exterior, ring) in store.rings(r) {
        if exterior {
            skip_polygon = false;
        } else if skip_polygon {
            continue;
        }
        let projected: Vec<[f64; 2]> = ring.iter().map(|&q| frame.point(q)).collect();
        let clipped = if inside {
            projected
        } else {
            clip_ring(&projected, [lo, lo], [hi, hi])
        };
        match snap_ring(&clipped, exterior) {
            Some(ring) => commands.ring(&ring),
            // No exterior left: the holes go with it.
            None if exterior => skip_polygon = true,
            None => {}
        }
    }
    commands.out
}

/// A layer's attribute values, each stored once and referred to by index.
#[derive(Default)]
pub struct Values<'a> {
    pub list: Vec<Value>,
    strings: HashMap<&'a str, u32>,
    ints: HashMap<i64, u32>,
    doubles: HashMap<u64, u32>,
}

impl<'a> Values<'a> {
    fn add(&mut self, v: Value) -> u32 {
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(v);
        i
    }

    pub fn string(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.strings.get(s) {
            return i;
        }
        let i = self.add(Value {
            string_value: Some(s.to_string()),
            ..Value::default()
        });
        self.strings.insert(s, i);
        i
    }

    pub fn int(&mut self, v: i64) -> u32 {
        if let Some(&i) = self.ints.get(&v) {
            return i;
        }
        let i = self.add(Value {
            sint_value: Some(v),
            ..Value::default()
        });
        self.ints.insert(v, i);
        i
    }

    pub fn double(&mut self, v: f64) -> u32 {
        if let Some(&i) = self.doubles.get(&v.to_bits()) {
            return i;
        }
        let i = self.add(Value {
            double_value: Some(v),
            ..Value::default()
        });
        self.doubles.insert(v.to_bits(), i);
        i
    }
}

/// The `parcels` layer around its features and values → tile bytes; `None` without features.
pub fn finish(keys: &[&str], features: Vec<Feature>, values: Values) -> Option<Vec<u8>> {
    if features.is_empty() {
        return None;
    }
    let layer = Layer {
        version: 2,
        name: LAYER.to_string(),
        features,
        keys: keys.iter().map(ToString::to_string).collect(),
        values: values.list,
        extent: Some(EXTENT),
    };
    Some(
        Tile {
            layers: vec![layer],
        }
        .encode_to_vec(),
    )
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
    let mut features = Vec::with_capacity(parcels.len());
    for r in parcels {
        let geometry = parcel_commands(store, r, &frame);
        if geometry.is_empty() {
            continue;
        }
        let tags = vec![
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
        features.push(Feature {
            id: u64::try_from(r.id).ok(),
            tags,
            r#type: Some(GeomType::Polygon as i32),
            geometry,
        });
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
        assert!(snap_ring(&[[0.1, 0.1], [0.2, 0.1], [0.2, 0.3]], true).is_none());
        // Counter-clockwise on screen (negative area in y-down space) comes out clockwise.
        let ccw = [[0.0, 0.0], [0.0, 10.0], [10.0, 10.0], [10.0, 0.0]];
        let ext = snap_ring(&ccw, true).unwrap();
        let f: Vec<[f64; 2]> = ext
            .iter()
            .map(|p| [f64::from(p[0]), f64::from(p[1])])
            .collect();
        assert!(ring_area2(&f) > 0.0);
        let hole = snap_ring(&ccw, false).unwrap();
        let f: Vec<[f64; 2]> = hole
            .iter()
            .map(|p| [f64::from(p[0]), f64::from(p[1])])
            .collect();
        assert!(ring_area2(&f) < 0.0);
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
