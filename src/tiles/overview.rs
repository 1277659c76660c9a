//! Overview tiles for a leader's first look at a large project (z ≤ 13), where a parcel is a
//! pixel or less and a detailed tile would carry ~100k features. The tile is cut into cells
//! of 2–4 px; each parcel counts, by its area, in the cell holding its centre; each cell is
//! split into side-by-side strips, one per status and commune present, as wide as that
//! group's share of the cell's area. So colours and proportions stay true at the pixel, a lone
//! objecting parcel still shows as its sliver, and status and commune filters still work.
//! Strips of one group that touch along a row are merged; each group is one feature carrying
//! `status`, `commune`, `parcels` (count), `area_m2` and `overview: true`, and no parcel id.
//!
//! z ≤ 12 reads a pyramid of cells kept with the index (a million parcels make ~100k cells at
//! z12, a few at z0), so a tile costs its cells, not its parcels; z13 and up counts the tile's
//! parcel centres, kept in Z-order beside the pyramid (`dots`). Both follow every write the
//! index sees, so a status change shows at once.
//!
//! Overviews stop at z13, or higher on a project so dense that a tile there would still hold
//! thousands of parcels (up to z15). Cells are 4 px, made 8 or 16 px on a tile that would
//! otherwise draw more than `STRIP_BUDGET` strips: a leader's tile stays under ~500 KB however
//! dense the project.
use foldhash::{HashMap, HashMapExt, HashSet};
use std::hash::{Hash, Hasher};

use super::dots::{self, Centre, Dots};
use super::encode::{finish, Commands, Features, Values, EXTENT};
use super::store::{Record, Store};

/// Highest zoom served as an overview on any large project.
const MAX_ZOOM: u8 = 13;
/// Highest zoom served as an overview on a very dense one.
const DENSE_MAX_ZOOM: u8 = 15;
/// Mean parcels per tile above which a zoom is still drawn as an overview (a detailed tile
/// carries ~100 bytes a parcel: 4,000 parcels make ~400 KB).
const DENSE_TILE: usize = 4_000;
/// Highest zoom read from the pyramid; higher overview zooms are built from parcels.
const PYRAMID_ZOOM: u8 = 12;
/// A project with fewer parcels shows them one by one at every zoom: a small project keeps
/// its parcels clickable.
pub const MIN_PARCELS: usize = 2_000;

/// Cell side in tile units (a 512-px tile has 8 units a pixel): 4 px.
const CELL_UNITS: i32 = 32;

/// Cells along a tile's side (at every zoom).
const SIDE: u32 = EXTENT / CELL_UNITS as u32;
/// Strips (a cell's share of one status and commune) a tile may draw before its cells are
/// made larger: a strip costs ~20 bytes.
const STRIP_BUDGET: usize = 20_000;
/// Largest cell: 16 px.
const MAX_CELL_UNITS: i32 = 128;

const KEYS: [&str; 5] = ["status", "commune", "parcels", "area_m2", "overview"];

/// What one status and commune has in a cell.
#[derive(Clone, Copy, Debug)]
pub struct Acc {
    group: u32,
    parcels: u32,
    area: f64,
}

fn area_of(r: &Record) -> f64 {
    if r.area_m2.is_finite() && r.area_m2 > 0.0 {
        r.area_m2
    } else {
        0.0
    }
}

/// Adds (or, with `sign` −1, takes away) a parcel's share of a cell.
fn add_to(accs: &mut Vec<Acc>, group: u32, parcels: i64, area: f64) {
    match accs.iter_mut().find(|a| a.group == group) {
        Some(a) => {
            a.parcels = u32::try_from(i64::from(a.parcels) + parcels).unwrap_or(0);
            a.area += area;
        }
        None if parcels > 0 => accs.push(Acc {
            group,
            parcels: u32::try_from(parcels).unwrap_or(u32::MAX),
            area,
        }),
        None => {}
    }
    accs.retain(|a| a.parcels > 0);
}

/// Per zoom 0–12, the cells of the whole project that hold parcels, with what each status and
/// commune has there. Kept with the index and updated with it.
#[derive(Default)]
pub struct Pyramid {
    /// levels[z]: cell (x << 32 | y) on zoom z's grid → its groups.
    levels: Vec<HashMap<u64, Vec<Acc>>>,
    groups: Vec<(u32, u32)>,
    /// Each group's texts hashed: ETags that do not depend on the order groups were met.
    group_hash: Vec<u64>,
    group_ids: HashMap<(u32, u32), u32>,
    /// Highest zoom drawn as an overview; `None` for a small project (parcels at every zoom).
    top: Option<u8>,
    /// Parcel centres for overview zooms above the pyramid; empty on a small project.
    dots: Dots,
}

fn cell_key(cx: u64, cy: u64) -> u64 {
    (cx << 32) | cy
}

impl Pyramid {
    /// Builds the pyramid of a freshly loaded store: z12 from the parcels, each zoom below by
    /// merging four cells into one.
    pub fn build(store: &Store) -> Self {
        let mut p = Pyramid {
            levels: vec![HashMap::new(); usize::from(PYRAMID_ZOOM) + 1],
            ..Pyramid::default()
        };
        let large = store.len() >= MIN_PARCELS;
        let mut group_of = Vec::with_capacity(if large { store.len() } else { 0 });
        for r in store.records() {
            let group = p.group_for(store, r);
            if let Some(key) = Self::cell_of(r, PYRAMID_ZOOM) {
                add_to(
                    p.levels[usize::from(PYRAMID_ZOOM)].entry(key).or_default(),
                    group,
                    1,
                    area_of(r),
                );
            }
            if large {
                group_of.push(group);
            }
        }
        // A second pass, so that a million parcels never hold their centres twice.
        p.dots = Dots::build(
            store
                .records()
                .zip(group_of)
                .filter_map(|(r, group)| centre_of(r, group)),
        );
        for z in (0..PYRAMID_ZOOM).rev() {
            let mut below: HashMap<u64, Vec<Acc>> = HashMap::new();
            for (key, accs) in &p.levels[usize::from(z) + 1] {
                let parent = cell_key((key >> 32) >> 1, (key & 0xffff_ffff) >> 1);
                let cell = below.entry(parent).or_default();
                for a in accs {
                    add_to(cell, a.group, i64::from(a.parcels), a.area);
                }
            }
            p.levels[usize::from(z)] = below;
        }
        p.top = large.then(|| p.densest_overview(store.len()));
        p
    }

    /// Whether tiles of zoom z are drawn as an overview.
    pub fn overview_at(&self, z: u8) -> bool {
        self.top.is_some_and(|top| z <= top)
    }

    /// z13, or the highest zoom up to z15 whose tiles still hold `DENSE_TILE` parcels on
    /// average, counted from the z12 cells (a cell is 1/`SIDE` of a z12 tile).
    fn densest_overview(&self, parcels: usize) -> u8 {
        let Some(cells) = self.levels.get(usize::from(PYRAMID_ZOOM)) else {
            return MAX_ZOOM;
        };
        let mut top = MAX_ZOOM;
        while top < DENSE_MAX_ZOOM {
            // A z12 tile is SIDE cells across; each zoom above halves that.
            let shift = SIDE.trailing_zeros() - u32::from(top + 1 - PYRAMID_ZOOM);
            let tiles: HashSet<u64> = cells
                .keys()
                .map(|k| cell_key((k >> 32) >> shift, (k & 0xffff_ffff) >> shift))
                .collect();
            if parcels / tiles.len().max(1) < DENSE_TILE {
                break;
            }
            top += 1;
        }
        top
    }

    /// Counts a parcel in (`sign` 1) or out (−1) of every zoom's cell.
    pub fn add(&mut self, store: &Store, r: &Record, sign: i64) {
        let group = self.group_for(store, r);
        if self.top.is_some() {
            if let Some(c) = centre_of(r, group) {
                if sign > 0 {
                    self.dots.insert(c);
                } else {
                    self.dots.remove(c);
                }
            }
        }
        let area = area_of(r) * sign as f64;
        for z in 0..=PYRAMID_ZOOM {
            let Some(key) = Self::cell_of(r, z) else {
                continue;
            };
            let level = &mut self.levels[usize::from(z)];
            let accs = level.entry(key).or_default();
            add_to(accs, group, sign, area);
            if accs.is_empty() {
                level.remove(&key);
            }
        }
    }

    fn group_for(&mut self, store: &Store, r: &Record) -> u32 {
        let key = (r.status, r.commune);
        if let Some(&g) = self.group_ids.get(&key) {
            return g;
        }
        let g = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        let mut h = super::etag_hasher();
        (store.text(r.status), store.text(r.commune)).hash(&mut h);
        self.groups.push(key);
        self.group_hash.push(h.finish());
        self.group_ids.insert(key, g);
        g
    }

    /// The cell of zoom z (≤ 12) holding the parcel's centre: its centre on the dots' grid,
    /// coarsened, so that every zoom and the dots agree on which cell a parcel is in.
    fn cell_of(r: &Record, z: u8) -> Option<u64> {
        let [x, y] = dots::on_grid(r.centre())?;
        let shift = dots::BITS - SIDE.trailing_zeros() - u32::from(z);
        Some(cell_key(u64::from(x >> shift), u64::from(y >> shift)))
    }

    /// Bytes held by the centres (the cells are small beside them): what the load logs.
    pub fn bytes(&self) -> usize {
        self.dots.bytes()
    }
}

/// The parcel as the dots count it.
fn centre_of(r: &Record, group: u32) -> Option<Centre> {
    let [x, y] = dots::on_grid(r.centre())?;
    Some(Centre {
        x,
        y,
        group,
        area: area_of(r),
    })
}

/// The cells of one overview tile: what each group has in each cell, as one flat list.
pub struct Cells {
    z: u8,
    /// Cell side in tile units, and cells along the tile's side.
    unit: i32,
    side: u32,
    /// (cell index, row by row; one group's share there), by cell then by group.
    list: Vec<(u32, Acc)>,
}

impl Cells {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Strips the tile would draw at most (one per group and cell).
    fn strips(&self) -> usize {
        self.list.len()
    }

    /// The same tile with cells twice as large, four merged into one.
    fn coarser(self) -> Cells {
        let (side, half) = (self.side, self.side / 2);
        let mut bins = Bins::new(half * half);
        for (idx, a) in &self.list {
            bins.add((idx / side / 2) * half + (idx % side) / 2, a);
        }
        Cells {
            z: self.z,
            unit: self.unit * 2,
            side: half,
            list: bins.into_list(),
        }
    }

    /// The tile's ETag: what it draws, so an unrelated write (a map sheet) keeps it.
    pub fn etag(&self, pyramid: &Pyramid, x: u32, y: u32) -> u64 {
        let mut h = super::etag_hasher();
        ("overview", self.z, x, y, self.unit).hash(&mut h);
        for (idx, a) in &self.list {
            (
                idx,
                pyramid.group_hash.get(a.group as usize),
                a.parcels,
                a.area.to_bits(),
            )
                .hash(&mut h);
        }
        h.finish()
    }
}

/// Shares gathered per cell without a vector per cell (a dense tile has 16,384 cells): each
/// cell's shares are a short chain through one arena.
struct Bins {
    /// Per cell, its first share + 1 (0: none yet).
    head: Vec<u32>,
    /// A share and the next one of its cell + 1.
    shares: Vec<(Acc, u32)>,
}

impl Bins {
    fn new(cells: u32) -> Self {
        Bins {
            head: vec![0; cells as usize],
            shares: Vec::new(),
        }
    }

    fn add(&mut self, cell: u32, share: &Acc) {
        let Some(head) = self.head.get_mut(cell as usize) else {
            return;
        };
        let mut at = *head;
        while let Some((acc, next)) = at
            .checked_sub(1)
            .and_then(|i| self.shares.get_mut(i as usize))
        {
            if acc.group == share.group {
                acc.parcels += share.parcels;
                acc.area += share.area;
                return;
            }
            at = *next;
        }
        self.shares.push((*share, *head));
        *head = u32::try_from(self.shares.len()).unwrap_or(u32::MAX);
    }

    /// Cell by cell, row by row, each cell's shares in group order (as the ETag hashes them).
    fn into_list(self) -> Vec<(u32, Acc)> {
        let mut list = Vec::with_capacity(self.shares.len());
        for (idx, &first) in (0u32..).zip(&self.head) {
            let start = list.len();
            let mut at = first;
            while let Some(&(acc, next)) =
                at.checked_sub(1).and_then(|i| self.shares.get(i as usize))
            {
                list.push((idx, acc));
                at = next;
            }
            list[start..].sort_unstable_by_key(|(_, a)| a.group);
        }
        list
    }
}

/// An overview tile's cells, from the pyramid (z ≤ 12) or from the tile's centres (above).
pub fn cells(pyramid: &Pyramid, z: u8, x: u32, y: u32) -> Cells {
    let side = SIDE;
    let mut list: Vec<(u32, Acc)> = Vec::new();
    if let Some(level) = pyramid.levels.get(usize::from(z)) {
        let (x0, y0) = (
            u64::from(x) * u64::from(side),
            u64::from(y) * u64::from(side),
        );
        let local = |key: u64| {
            let (cx, cy) = (key >> 32, key & 0xffff_ffff);
            let inside = (x0..x0 + u64::from(side)).contains(&cx)
                && (y0..y0 + u64::from(side)).contains(&cy);
            inside.then(|| ((cy - y0) * u64::from(side) + (cx - x0)) as u32)
        };
        if level.len() <= (side * side) as usize {
            // Sparse zoom: fewer cells in the whole project than in one tile.
            for (key, accs) in level {
                if let Some(i) = local(*key) {
                    list.extend(accs.iter().map(|a| (i, *a)));
                }
            }
            list.sort_unstable_by_key(|(i, a)| (*i, a.group));
        } else {
            for cy in y0..y0 + u64::from(side) {
                for cx in x0..x0 + u64::from(side) {
                    if let Some(accs) = level.get(&cell_key(cx, cy)) {
                        let (i, start) =
                            (((cy - y0) * u64::from(side) + (cx - x0)) as u32, list.len());
                        list.extend(accs.iter().map(|a| (i, *a)));
                        list[start..].sort_unstable_by_key(|(_, a)| a.group);
                    }
                }
            }
        }
    } else {
        // The centres' grid is finer than this tile's cells by `shift` bits.
        let shift = (dots::BITS - SIDE.trailing_zeros()).saturating_sub(u32::from(z));
        let (x0, y0) = (x << SIDE.trailing_zeros(), y << SIDE.trailing_zeros());
        // Every cell of the tile, filled in one pass over its centres (no sort).
        let mut bins = Bins::new(side * side);
        for c in pyramid.dots.in_tile(z, x, y) {
            let (Some(cx), Some(cy)) = (
                (c.x >> shift).checked_sub(x0),
                (c.y >> shift).checked_sub(y0),
            ) else {
                continue;
            };
            if cx < side && cy < side {
                let share = Acc {
                    group: c.group,
                    parcels: 1,
                    area: c.area,
                };
                bins.add(cy * side + cx, &share);
            }
        }
        list = bins.into_list();
    }
    let mut tile = Cells {
        z,
        unit: CELL_UNITS,
        side,
        list,
    };
    // A dense tile (many statuses and communes side by side) draws larger cells rather than
    // grow past ~400 KB.
    while tile.strips() > STRIP_BUDGET && tile.unit < MAX_CELL_UNITS {
        tile = tile.coarser();
    }
    tile
}

/// One status and commune's strips in this tile.
#[derive(Default)]
struct Group {
    rects: Vec<[i32; 4]>,
    parcels: i64,
    area: f64,
}

impl Group {
    /// Adds a strip, merged into the previous one when they touch in the same row.
    fn strip(&mut self, x0: i32, y0: i32, x1: i32, y1: i32) {
        if let Some(last) = self.rects.last_mut() {
            if last[1] == y0 && last[3] == y1 && last[2] == x0 {
                last[2] = x1;
                return;
            }
        }
        self.rects.push([x0, y0, x1, y1]);
    }
}

/// Draws the cells as strips and encodes one feature per group; `None` without cells.
pub fn encode(store: &Store, pyramid: &Pyramid, tile: &Cells) -> Option<Vec<u8>> {
    let (cell, side) = (tile.unit, tile.side);
    // Strips in a fixed order of groups (status, then commune) so neighbouring cells line up.
    let mut seen = vec![false; pyramid.groups.len()];
    for (_, a) in &tile.list {
        if let Some(s) = seen.get_mut(a.group as usize) {
            *s = true;
        }
    }
    let mut present: Vec<u32> = (0u32..)
        .zip(&seen)
        .filter(|(_, s)| **s)
        .map(|(g, _)| g)
        .collect();
    let label = |g: u32| {
        let (status, commune) = pyramid.groups.get(g as usize).copied().unwrap_or((0, 0));
        (store.text(status), store.text(commune))
    };
    present.sort_by_key(|&g| label(g));
    // Group id → its place in `present` (ids are few: one per status and commune met).
    let mut rank = vec![usize::MAX; seen.len()];
    for (k, &g) in present.iter().enumerate() {
        if let Some(r) = rank.get_mut(g as usize) {
            *r = k;
        }
    }
    let mut groups: Vec<Group> = present.iter().map(|_| Group::default()).collect();

    let mut shares: Vec<(usize, Acc)> = Vec::new();
    for in_cell in tile.list.chunk_by(|a, b| a.0 == b.0) {
        let idx = in_cell[0].0;
        shares.clear();
        shares.extend(in_cell.iter().map(|(_, a)| {
            (
                rank.get(a.group as usize).copied().unwrap_or(usize::MAX),
                *a,
            )
        }));
        shares.sort_unstable_by_key(|(r, _)| *r);
        let total: f64 = shares.iter().map(|(_, a)| a.area).sum();
        let x0 = (idx % side) as i32 * cell;
        let y0 = (idx / side) as i32 * cell;
        let mut cum = 0.0;
        let mut left = x0;
        for (k, (r, a)) in shares.iter().enumerate() {
            // Parcels without an area count equally, so the cell is never left blank.
            cum += if total > 0.0 {
                a.area / total
            } else {
                1.0 / shares.len() as f64
            };
            let right = if k + 1 == shares.len() {
                x0 + cell
            } else {
                x0 + (cum * f64::from(cell)).round() as i32
            };
            let Some(group) = groups.get_mut(*r) else {
                continue;
            };
            group.parcels += i64::from(a.parcels);
            group.area += a.area;
            if right > left {
                group.strip(left, y0, right, y0 + cell);
                left = right;
            }
        }
    }
    features(&present, &groups, label)
}

/// One feature per group, in the strips' order.
fn features<'a>(
    present: &[u32],
    groups: &[Group],
    label: impl Fn(u32) -> (&'a str, &'a str),
) -> Option<Vec<u8>> {
    let mut values = Values::default();
    let overview = values.yes();
    let mut features = Features::default();
    let mut commands = Commands::default();
    for (&g, group) in present.iter().zip(groups) {
        if group.rects.is_empty() {
            continue;
        }
        let (status, commune) = label(g);
        commands.clear();
        for &[x0, y0, x1, y1] in &group.rects {
            // Clockwise on screen: the exterior winding of the spec.
            commands.ring(&[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
        }
        let tags = [
            0,
            values.string(status),
            1,
            values.string(commune),
            2,
            values.int(group.parcels),
            3,
            values.double((group.area * 100.0).round() / 100.0),
            4,
            overview,
        ];
        features.polygon(None, &tags, &commands.out);
    }
    finish(&KEYS, features, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::store::RawParcel;

    #[test]
    fn touching_strips_of_a_row_merge() {
        let mut g = Group::default();
        g.strip(0, 0, 16, 16);
        g.strip(16, 0, 32, 16);
        g.strip(40, 0, 48, 16);
        g.strip(48, 16, 64, 32);
        assert_eq!(g.rects, [[0, 0, 32, 16], [40, 0, 48, 16], [48, 16, 64, 32]]);
    }

    fn square(id: i32, lon: f64, status: &str) -> RawParcel {
        let d = 0.0001;
        RawParcel {
            id,
            status: status.into(),
            land_use: "LUC".into(),
            map_sheet: "1".into(),
            parcel_no: id.to_string(),
            area_m2: 100.0,
            commune: "21061".into(),
            version: 1,
            geometry: format!(
                r#"{{"type":"Polygon","coordinates":[[[{a},15.3],[{b},15.3],[{b},{c}],[{a},{c}],[{a},15.3]]]}}"#,
                a = lon,
                b = lon + d,
                c = 15.3 + d
            ),
        }
    }

    /// The pyramid kept by updates equals one built afresh, at every zoom.
    #[test]
    fn updates_keep_the_pyramid_as_a_fresh_build() {
        let mut store = Store::default();
        for i in 0..300 {
            store.push(&square(i, 108.8 + f64::from(i) * 0.0007, "contacted"));
        }
        let mut store = store.finish();
        let mut pyramid = Pyramid::build(&store);
        for i in (0..300).step_by(7) {
            let old = *store.get(i).unwrap();
            pyramid.add(&store, &old, -1);
            assert!(store.upsert(&square(i, 108.8 + f64::from(i) * 0.0007, "objecting")));
            let new = *store.get(i).unwrap();
            pyramid.add(&store, &new, 1);
        }
        let old = *store.get(3).unwrap();
        pyramid.add(&store, &old, -1);
        store.remove(3);
        let fresh = Pyramid::build(&store);
        for z in 0..=usize::from(PYRAMID_ZOOM) {
            let a: u32 = pyramid.levels[z]
                .values()
                .flatten()
                .map(|a| a.parcels)
                .sum();
            let b: u32 = fresh.levels[z].values().flatten().map(|a| a.parcels).sum();
            assert_eq!(a, 299, "z{z}");
            assert_eq!(a, b, "z{z}");
            assert_eq!(pyramid.levels[z].len(), fresh.levels[z].len(), "z{z}");
            let objecting = |p: &Pyramid| -> u32 {
                p.levels[z]
                    .values()
                    .flatten()
                    .filter(|a| store.text(p.groups[a.group as usize].0) == "objecting")
                    .map(|a| a.parcels)
                    .sum()
            };
            assert_eq!(objecting(&pyramid), objecting(&fresh), "z{z}");
        }
    }

    /// A grid of `n` × `n` squares of `size` degrees from (108.79, 15.3), statuses and then
    /// `communes` communes taking turns.
    fn grid(n: i32, size: f64, statuses: &[&str], communes: i32) -> Store {
        let mut store = Store::default();
        for i in 0..n * n {
            let (a, c) = (
                108.79 + f64::from(i % n) * size,
                15.3 + f64::from(i / n) * size,
            );
            let (b, d) = (a + size * 0.9, c + size * 0.9);
            store.push(&RawParcel {
                id: i + 1,
                status: statuses[i as usize % statuses.len()].to_string(),
                land_use: "LUC".into(),
                map_sheet: "1".into(),
                parcel_no: (i + 1).to_string(),
                area_m2: 100.0,
                commune: (21061 + (i / statuses.len() as i32) % communes).to_string(),
                version: 1,
                geometry: format!(
                    r#"{{"type":"Polygon","coordinates":[[[{a},{c}],[{b},{c}],[{b},{d}],[{a},{d}],[{a},{c}]]]}}"#
                ),
            });
        }
        store.finish()
    }

    /// Above the pyramid, an overview tile of a project changed by writes counts what a fresh
    /// load counts: every parcel once, in the cell of its centre, with its new status.
    #[test]
    fn overview_tiles_above_the_pyramid_follow_writes() {
        let mut store = grid(100, 0.00002, &["contacted", "agreed"], 2);
        let mut pyramid = Pyramid::build(&store);
        assert!(pyramid.overview_at(15));
        let moved = |i: i32| {
            let mut p = square(i, 108.79 + f64::from(i % 100) * 0.00002, "objecting");
            p.commune = "21061".into();
            p
        };
        for i in (1..=10_000).step_by(3) {
            let old = *store.get(i).unwrap();
            pyramid.add(&store, &old, -1);
            if i % 2 == 0 {
                store.remove(i);
                continue;
            }
            assert!(store.upsert(&moved(i)));
            let new = *store.get(i).unwrap();
            pyramid.add(&store, &new, 1);
        }
        let fresh = Pyramid::build(&store);
        let summary = |p: &Pyramid, z: u8, x: u32, y: u32| -> Vec<(u32, String, u32)> {
            let mut out: Vec<_> = cells(p, z, x, y)
                .list
                .iter()
                .map(|(idx, a)| {
                    (
                        *idx,
                        store.text(p.groups[a.group as usize].0).to_string(),
                        a.parcels,
                    )
                })
                .collect();
            out.sort();
            out
        };
        let mut objecting = 0;
        for z in 13..=15u8 {
            let mut tiles: Vec<(u32, u32)> = store
                .records()
                .filter_map(|r| dots::on_grid(r.centre()))
                .map(|[x, y]| {
                    (
                        x >> (dots::BITS - u32::from(z)),
                        y >> (dots::BITS - u32::from(z)),
                    )
                })
                .collect();
            tiles.sort_unstable();
            tiles.dedup();
            let mut counted = 0;
            for (x, y) in tiles {
                let (a, b) = (summary(&pyramid, z, x, y), summary(&fresh, z, x, y));
                assert_eq!(a, b, "z{z} {x}/{y}");
                counted += a.iter().map(|c| c.2).sum::<u32>();
                objecting += a.iter().filter(|c| c.1 == "objecting").count();
            }
            assert_eq!(counted as usize, store.len(), "z{z}");
        }
        assert!(objecting > 0);
    }

    /// Overviews reach z15 only where tiles there still hold thousands of parcels; a small
    /// project has none, an ordinary large one stops at z13.
    #[test]
    fn overviews_go_higher_on_a_dense_project_only() {
        let small = grid(40, 0.0005, &["contacted"], 1);
        assert!(!Pyramid::build(&small).overview_at(0));
        // 2,500 parcels of ~50 m: a z14 tile holds a few hundred.
        let spread = Pyramid::build(&grid(50, 0.0005, &["contacted"], 1));
        assert!(spread.overview_at(13) && !spread.overview_at(14));
        // 10,000 parcels of ~2 m in ~200 m: all in one or two z15 tiles.
        let dense = Pyramid::build(&grid(100, 0.00002, &["contacted"], 1));
        assert!(dense.overview_at(15) && !dense.overview_at(16));
    }

    /// A tile that would draw more strips than the budget gets larger cells; every parcel and
    /// square metre is still counted once, and the tile stays within the budget.
    #[test]
    fn crowded_tiles_draw_larger_cells_and_count_every_parcel() {
        let statuses = ["contacted", "agreed", "objecting", "handed_over"];
        // 200 × 200 parcels of ~0.5 px each at z13, 32 statuses and communes mixed in every
        // 4 px cell: more strips than the budget.
        let store = grid(200, 0.00005, &statuses, 8);
        let pyramid = Pyramid::build(&store);
        let (z, x, y) = (13, 6571, 3743);
        let rect = crate::geo::tiling::tile_rect(z, x, y, 0.0);
        let (min, max) = (
            [
                crate::tiles::store::quantise(rect.min_x),
                crate::tiles::store::quantise(rect.min_y),
            ],
            [
                crate::tiles::store::quantise(rect.max_x),
                crate::tiles::store::quantise(rect.max_y),
            ],
        );
        let inside = store.find(min, max).len();
        assert!(inside > 10_000, "the tile holds {inside} parcels");
        let tile = cells(&pyramid, z, x, y);
        assert!(tile.unit > CELL_UNITS, "cells stayed {} units", tile.unit);
        assert!(tile.strips() <= STRIP_BUDGET);
        let counted: u32 = tile.list.iter().map(|(_, a)| a.parcels).sum();
        assert_eq!(counted as usize, inside);
        assert!(tile.list.iter().all(|(i, _)| *i < tile.side * tile.side));
        let bytes = encode(&store, &pyramid, &tile).unwrap();
        assert!(bytes.len() < 500 * 1024, "{} bytes", bytes.len());
    }
}
