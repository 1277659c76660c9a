//! A project's parcels as tiles need them, packed so a million fit in one process: coordinates
//! quantised to 32-bit integers in one array per project, the few distinct texts (status, land
//! use, commune) interned, map sheets and parcel numbers in one string, and no allocation per
//! parcel. About 150 bytes a parcel with its R-tree, against ~1.5 KB as `String`s and `Vec`s.
use foldhash::{HashMap, HashMapExt};
use std::fmt;
use std::hash::{Hash, Hasher};

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::geo::tiling::lonlat_to_world;

/// World coordinates ([0, 1]², see `geo::tiling`) scaled by 2^32: about 9 mm at the equator.
const QUANT: f64 = 4_294_967_296.0;
/// Moves the unsigned 32-bit grid into `i32`, which the R-tree takes.
const SHIFT: i64 = 1 << 31;
/// Marks, in `shape`, a ring that starts a polygon (its exterior).
const EXTERIOR: u32 = 1 << 31;

/// A world coordinate on the 32-bit grid.
pub fn quantise(w: f64) -> i32 {
    let q = (w * QUANT).round().clamp(0.0, QUANT - 1.0) as i64;
    // In range by the clamp.
    i32::try_from(q - SHIFT).unwrap_or(i32::MAX)
}

/// A grid coordinate back in world units.
pub fn world(q: i32) -> f64 {
    (i64::from(q) + SHIFT) as f64 / QUANT
}

/// A parcel as read from the database: texts owned (`String`) or borrowed from the row being
/// read (`&str`, loading a whole project).
pub struct RawParcel<S: AsRef<str> = String> {
    pub id: i32,
    pub status: S,
    pub land_use: S,
    pub map_sheet: S,
    pub parcel_no: S,
    pub area_m2: f64,
    /// The commune's code, as the parcels API reports it.
    pub commune: S,
    pub version: i32,
    /// GeoJSON Polygon or MultiPolygon, WGS 84.
    pub geometry: S,
}

/// One packed parcel; its texts and geometry live in the store's shared arrays.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub id: i32,
    pub status: u32,
    pub land_use: u32,
    pub commune: u32,
    pub area_m2: f64,
    label: u32,
    sheet_len: u16,
    no_len: u16,
    coords: u32,
    shape: u32,
    shape_len: u32,
    /// min x, min y, max x, max y on the grid.
    pub bbox: [i32; 4],
    /// Everything a tile shows of the parcel, hashed: tile ETags are built from these.
    pub hash: u64,
}

impl Record {
    /// The bbox centre in world units: which overview cell the parcel counts in.
    pub fn centre(&self) -> [f64; 2] {
        [
            f64::midpoint(world(self.bbox[0]), world(self.bbox[2])),
            f64::midpoint(world(self.bbox[1]), world(self.bbox[3])),
        ]
    }
}

/// R-tree entries in f64: rstar's area arithmetic would overflow on i32 grid boxes.
type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Distinct short texts, each stored once.
#[derive(Default)]
struct Texts {
    list: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Texts {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(s.into());
        self.index.insert(s.into(), i);
        i
    }
}

/// The packed parcels of one project and their R-tree.
pub struct Store {
    records: Vec<Record>,
    /// False for a parcel retired or replaced since the load (its slot is not reused).
    live: Vec<bool>,
    coords: Vec<[i32; 2]>,
    /// Per ring its point count, `EXTERIOR` set on a polygon's first ring.
    shape: Vec<u32>,
    labels: String,
    texts: Texts,
    tree: RTree<Entry>,
    by_id: HashMap<i32, u32>,
    /// Coordinates no longer referenced after updates: a reload packs them again.
    garbage: usize,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            records: Vec::new(),
            live: Vec::new(),
            coords: Vec::new(),
            shape: Vec::new(),
            labels: String::new(),
            texts: Texts::default(),
            tree: RTree::new(),
            by_id: HashMap::new(),
            garbage: 0,
        }
    }
}

impl Store {
    /// Packs a parcel without indexing it (loading: `finish` bulk-loads the tree). `false`
    /// when its geometry cannot be read; it then has no shape on the map.
    pub fn push(&mut self, p: &RawParcel<impl AsRef<str>>) -> bool {
        let Some(record) = self.pack(p) else {
            return false;
        };
        let idx = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        self.by_id.insert(p.id, idx);
        self.records.push(record);
        self.live.push(true);
        true
    }

    /// Builds the R-tree over everything pushed.
    #[must_use]
    pub fn finish(self) -> Self {
        self.finish_with(|_| ()).0
    }

    /// Builds the R-tree over everything pushed on another thread while `alongside` reads the
    /// packed parcels on this one (the overview pyramid): two cores load a project faster.
    pub fn finish_with<T>(mut self, alongside: impl FnOnce(&Store) -> T) -> (Self, T) {
        let entries: Vec<Entry> = self
            .records
            .iter()
            .enumerate()
            .filter(|(i, _)| self.live[*i])
            .map(|(i, r)| entry(r, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let (tree, other) = std::thread::scope(|s| {
            let tree = s.spawn(|| RTree::bulk_load(entries));
            let other = alongside(&self);
            // A panic while building the tree is passed on, as if built on this thread.
            let tree = tree.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (tree, other)
        });
        self.tree = tree;
        self.records.shrink_to_fit();
        self.live.shrink_to_fit();
        self.coords.shrink_to_fit();
        self.shape.shrink_to_fit();
        self.labels.shrink_to_fit();
        (self, other)
    }

    /// Adds or replaces a parcel after a write. `false` when its geometry cannot be read (the
    /// caller reloads the project).
    pub fn upsert(&mut self, p: &RawParcel<impl AsRef<str>>) -> bool {
        let Some(record) = self.pack(p) else {
            return false;
        };
        self.remove(p.id);
        let idx = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        self.tree.insert(entry(&record, idx));
        self.by_id.insert(p.id, idx);
        self.records.push(record);
        self.live.push(true);
        true
    }

    /// Takes a parcel off the map (retired, or moved to another project).
    pub fn remove(&mut self, id: i32) {
        let Some(idx) = self.by_id.remove(&id) else {
            return;
        };
        let Some(old) = self.records.get(idx as usize).copied() else {
            return;
        };
        self.tree.remove(&entry(&old, idx));
        if let Some(l) = self.live.get_mut(idx as usize) {
            *l = false;
        }
        self.garbage += self.points_of(&old);
    }

    /// Whether updates left so much unused that a reload is worth it.
    pub fn wasteful(&self) -> bool {
        self.garbage > 1_000_000 && self.garbage > self.coords.len() / 2
    }

    /// Every parcel on the map, in record order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records
            .iter()
            .zip(&self.live)
            .filter(|(_, live)| **live)
            .map(|(r, _)| r)
    }

    /// The parcel with this id, if it is on the map.
    pub fn get(&self, id: i32) -> Option<&Record> {
        self.records.get(*self.by_id.get(&id)? as usize)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Bytes held, roughly: what the load logs.
    pub fn bytes(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<Record>()
            + self.live.capacity()
            + self.coords.capacity() * 8
            + self.shape.capacity() * 4
            + self.labels.capacity()
            + self.tree.size() * (std::mem::size_of::<Entry>() + 8)
            + self.by_id.capacity() * 12
    }

    /// The parcels whose bbox meets the rectangle (grid units), in record order.
    pub fn find(&self, min: [i32; 2], max: [i32; 2]) -> Vec<&Record> {
        let mut idx: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_corners(
                [f64::from(min[0]), f64::from(min[1])],
                [f64::from(max[0]), f64::from(max[1])],
            ))
            .map(|e| e.data)
            .collect();
        idx.sort_unstable();
        idx.iter()
            .filter_map(|&i| self.records.get(i as usize))
            .collect()
    }

    pub fn text(&self, i: u32) -> &str {
        self.texts.list.get(i as usize).map_or("", |s| s)
    }

    pub fn map_sheet(&self, r: &Record) -> &str {
        let start = r.label as usize;
        self.labels
            .get(start..start + usize::from(r.sheet_len))
            .unwrap_or("")
    }

    pub fn parcel_no(&self, r: &Record) -> &str {
        let start = r.label as usize + usize::from(r.sheet_len);
        self.labels
            .get(start..start + usize::from(r.no_len))
            .unwrap_or("")
    }

    /// The rings of a parcel, each with whether it starts a polygon (an exterior).
    pub fn rings<'a>(&'a self, r: &Record) -> impl Iterator<Item = (bool, &'a [[i32; 2]])> + 'a {
        let shape = self
            .shape
            .get(r.shape as usize..(r.shape + r.shape_len) as usize)
            .unwrap_or(&[]);
        let mut at = r.coords as usize;
        shape.iter().map(move |&s| {
            let n = (s & !EXTERIOR) as usize;
            let ring = self.coords.get(at..at + n).unwrap_or(&[]);
            at += n;
            (s & EXTERIOR != 0, ring)
        })
    }

    fn points_of(&self, r: &Record) -> usize {
        self.rings(r).map(|(_, ring)| ring.len()).sum()
    }

    fn pack(&mut self, p: &RawParcel<impl AsRef<str>>) -> Option<Record> {
        let geometry: Geometry = serde_json::from_str(p.geometry.as_ref()).ok()?;
        if !matches!(geometry.kind.as_str(), "Polygon" | "MultiPolygon") {
            return None;
        }
        let flat = geometry.coordinates;
        if !flat.rings.first().is_some_and(|r| r.1) {
            return None;
        }
        let coords_start = self.coords.len();
        let shape_start = self.shape.len();
        let mut bbox = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
        let mut ring_start = 0usize;
        for (k, &(end, exterior)) in flat.rings.iter().enumerate() {
            // Written straight into the shared array, taken back if the ring is no ring.
            let ring_at = self.coords.len();
            for &[lon, lat] in flat.positions.get(ring_start..end).unwrap_or(&[]) {
                let (x, y) = lonlat_to_world(lon, lat);
                self.coords.push([quantise(x), quantise(y)]);
            }
            ring_start = end;
            // Stored open: the tile closes rings with ClosePath.
            if self.coords.len() > ring_at + 1 && self.coords.get(ring_at) == self.coords.last() {
                self.coords.pop();
            }
            let ring = self.coords.get(ring_at..).unwrap_or(&[]);
            if ring.len() < 3 {
                if exterior || k == 0 {
                    // A polygon without an exterior is nothing to draw.
                    self.coords.truncate(coords_start);
                    self.shape.truncate(shape_start);
                    return None;
                }
                self.coords.truncate(ring_at);
                continue;
            }
            for c in ring {
                bbox = [
                    bbox[0].min(c[0]),
                    bbox[1].min(c[1]),
                    bbox[2].max(c[0]),
                    bbox[3].max(c[1]),
                ];
            }
            let n = u32::try_from(ring.len()).ok()?;
            self.shape.push(if exterior { n | EXTERIOR } else { n });
        }
        if self.shape.len() == shape_start {
            return None;
        }
        let mut h = super::etag_hasher();
        (
            p.id,
            p.version,
            p.status.as_ref(),
            p.land_use.as_ref(),
            p.map_sheet.as_ref(),
            p.parcel_no.as_ref(),
            p.area_m2.to_bits(),
            p.commune.as_ref(),
            p.geometry.as_ref(),
        )
            .hash(&mut h);
        // Labels are short (map sheet and parcel number columns); longer ones are cut at a
        // character boundary rather than stored per parcel.
        let sheet = cut(p.map_sheet.as_ref(), u16::MAX as usize);
        let no = cut(p.parcel_no.as_ref(), u16::MAX as usize);
        let label = u32::try_from(self.labels.len()).ok()?;
        self.labels.push_str(sheet);
        self.labels.push_str(no);
        Some(Record {
            id: p.id,
            status: self.texts.intern(p.status.as_ref()),
            land_use: self.texts.intern(p.land_use.as_ref()),
            commune: self.texts.intern(p.commune.as_ref()),
            area_m2: p.area_m2,
            label,
            sheet_len: u16::try_from(sheet.len()).unwrap_or(0),
            no_len: u16::try_from(no.len()).unwrap_or(0),
            coords: u32::try_from(coords_start).ok()?,
            shape: u32::try_from(shape_start).ok()?,
            shape_len: u32::try_from(self.shape.len() - shape_start).ok()?,
            bbox,
            hash: h.finish(),
        })
    }
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn entry(r: &Record, idx: u32) -> Entry {
    GeomWithData::new(
        Rectangle::from_corners(
            [f64::from(r.bbox[0]), f64::from(r.bbox[1])],
            [f64::from(r.bbox[2]), f64::from(r.bbox[3])],
        ),
        idx,
    )
}

/// A GeoJSON geometry read in one pass, its coordinates flattened as they are parsed.
#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Flat,
}

/// Positions (lon, lat) in order, and the rings over them: the end index of each ring in
/// `positions` and whether it is its polygon's first (exterior) ring. Polygon and
/// MultiPolygon come out the same, told apart by nesting depth as the parser meets it.
#[derive(Default)]
struct Flat {
    positions: Vec<[f64; 2]>,
    rings: Vec<(usize, bool)>,
}

impl<'de> Deserialize<'de> for Flat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut flat = Flat::default();
        Walk { flat: &mut flat }.deserialize(d)?;
        Ok(flat)
    }
}

/// What a JSON value turned out to be, from a number up to a list of polygons.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The bits of the f64, so `Level` can be `Eq`.
    Number(u64),
    Empty,
    Position,
    Ring,
    Polygon,
    MultiPolygon,
}

struct Walk<'a> {
    flat: &'a mut Flat,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Level;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Level, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Level;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("GeoJSON polygon coordinates")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Level, E> {
        Ok(Level::Number(v.to_bits()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Level, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Level, E> {
        self.visit_f64(v as f64)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Level, A::Error> {
        let mut numbers = 0usize;
        let mut position = [0.0; 2];
        let mut children: Option<Level> = None;
        let rings_before = self.flat.rings.len();
        while let Some(level) = seq.next_element_seed(Walk {
            flat: &mut *self.flat,
        })? {
            match level {
                Level::Number(bits) => {
                    if let Some(slot) = position.get_mut(numbers) {
                        *slot = f64::from_bits(bits);
                    }
                    numbers += 1;
                }
                Level::Empty => {}
                other => {
                    if children.is_some_and(|c| c != other) {
                        return Err(de::Error::custom("mixed nesting in coordinates"));
                    }
                    children = Some(other);
                }
            }
        }
        if numbers > 0 && children.is_some() {
            return Err(de::Error::custom("mixed nesting in coordinates"));
        }
        Ok(match children {
            None if numbers >= 2 => {
                self.flat.positions.push(position);
                Level::Position
            }
            None if numbers == 0 => Level::Empty,
            None => return Err(de::Error::custom("a position needs two numbers")),
            Some(Level::Position) => {
                self.flat.rings.push((self.flat.positions.len(), false));
                Level::Ring
            }
            Some(Level::Ring) => {
                // This list of rings is a polygon: its first ring is the exterior.
                if let Some(first) = self.flat.rings.get_mut(rings_before) {
                    first.1 = true;
                }
                Level::Polygon
            }
            Some(Level::Polygon) => Level::MultiPolygon,
            Some(_) => return Err(de::Error::custom("coordinates nested too deep")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: i32, geometry: &str) -> RawParcel {
        RawParcel {
            id,
            status: "agreed".into(),
            land_use: "ONT".into(),
            map_sheet: "12".into(),
            parcel_no: "345".into(),
            area_m2: 250.5,
            commune: "21061".into(),
            version: 1,
            geometry: geometry.into(),
        }
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[108.8,15.3],[108.801,15.3],[108.801,15.301],[108.8,15.301],[108.8,15.3]]]}"#;

    #[test]
    fn quantising_keeps_a_centimetre() {
        for w in [0.0, 0.302_222, 0.5, 0.999_999] {
            let back = world(quantise(w));
            // 1e-9 of the world is 4 cm at the equator.
            assert!((back - w).abs() < 1e-9, "{w} → {back}");
        }
    }

    #[test]
    fn polygons_multipolygons_holes_and_labels_are_packed() {
        let mut s = Store::default();
        assert!(s.push(&raw(1, SQUARE)));
        let multi = r#"{"coordinates":[[[[108.8,15.3],[108.801,15.3],[108.801,15.301],[108.8,15.3]],[[108.8002,15.3002],[108.8004,15.3002],[108.8004,15.3004],[108.8002,15.3002]]],[[[108.81,15.31],[108.811,15.31],[108.811,15.311,7.5],[108.81,15.31]]]],"type":"MultiPolygon"}"#;
        assert!(s.push(&raw(2, multi)));
        assert!(!s.push(&raw(3, r#"{"type":"Point","coordinates":[108.8,15.3]}"#)));
        assert!(!s.push(&raw(
            4,
            r#"{"type":"Polygon","coordinates":[[[108.8,15.3],[108.8,15.3]]]}"#
        )));
        assert!(!s.push(&raw(5, "not json")));
        let s = s.finish();
        assert_eq!(s.len(), 2);
        let all = s.find([i32::MIN, i32::MIN], [i32::MAX, i32::MAX]);
        let ids: Vec<i32> = all.iter().map(|r| r.id).collect();
        assert_eq!(ids, [1, 2]);
        let square: Vec<_> = s.rings(all[0]).collect();
        assert_eq!(square.len(), 1);
        assert!(square[0].0);
        assert_eq!(square[0].1.len(), 4, "stored open");
        let rings: Vec<(bool, usize)> = s.rings(all[1]).map(|(e, r)| (e, r.len())).collect();
        assert_eq!(rings, [(true, 3), (false, 3), (true, 3)]);
        assert_eq!(s.map_sheet(all[1]), "12");
        assert_eq!(s.parcel_no(all[1]), "345");
        assert_eq!(s.text(all[1].status), "agreed");
        assert_eq!(s.text(all[1].commune), "21061");
    }

    #[test]
    fn an_update_moves_the_parcel_and_a_removal_takes_it_off() {
        let mut s = Store::default();
        assert!(s.push(&raw(1, SQUARE)));
        let mut s = s.finish();
        let (x, y) = lonlat_to_world(108.8005, 15.3005);
        let here = [quantise(x), quantise(y)];
        assert_eq!(s.find(here, here).len(), 1);
        let mut moved = raw(1, &SQUARE.replace("108.8", "109.8"));
        moved.status = "paid".into();
        assert!(s.upsert(&moved));
        assert!(s.find(here, here).is_empty());
        let (x, y) = lonlat_to_world(109.8005, 15.3005);
        let there = [quantise(x), quantise(y)];
        let found = s.find(there, there);
        assert_eq!(found.len(), 1);
        assert_eq!(s.text(found[0].status), "paid");
        assert_eq!(s.len(), 1);
        s.remove(1);
        assert!(s.find(there, there).is_empty());
        assert!(s.is_empty());
    }
}
