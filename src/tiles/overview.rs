//! Overview tiles for a leader's first look at a large project (z ≤ 13), where a parcel is a
//! pixel or less and a detailed tile would carry ~100k features. The tile is cut into cells
//! of 2–4 px; each parcel counts, by its area, in the cell holding its centre; each cell is
//! split into side-by-side strips, one per status and commune present, as wide as that
//! group's share of the cell's area. So colours and proportions stay true at the pixel, a lone
//! objecting parcel still shows as its sliver, and status and commune filters still work.
//! Strips of one group that touch along a row are merged; each group is one feature carrying
//! `status`, `commune`, `parcels` (count), `area_m2` and `overview: true`, and no parcel id.
//! Built on request from the same index as detailed tiles, so a status change shows at once.
use std::collections::HashMap;

use geozero::mvt::tile::{Feature, GeomType, Value};

use super::encode::{finish, Commands, TileFrame, Values, EXTENT};
use super::store::{Record, Store};

/// Highest zoom served as an overview.
pub const MAX_ZOOM: u8 = 13;
/// A project with fewer parcels shows them one by one at every zoom: a small project keeps
/// its parcels clickable.
pub const MIN_PARCELS: usize = 2_000;

/// Cell side in tile units (a 512-px tile has 8 units a pixel): 2 px at z13, 4 px below.
fn cell_units(z: u8) -> i32 {
    if z >= MAX_ZOOM {
        16
    } else {
        32
    }
}

const KEYS: [&str; 5] = ["status", "commune", "parcels", "area_m2", "overview"];

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

/// Encodes the overview of the parcels; `None` when none has its centre in the tile.
pub fn encode(store: &Store, parcels: &[&Record], z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    let frame = TileFrame::new(z, x, y);
    let cell = cell_units(z);
    let extent = f64::from(EXTENT);
    let per_side = EXTENT as i32 / cell;
    let mut keys: HashMap<(u32, u32), u32> = HashMap::new();
    let mut groups: Vec<((u32, u32), Group)> = Vec::new();
    // (cell, group, area): sorted below so each cell's groups come together, in group order.
    let mut items: Vec<(u32, u32, f64)> = Vec::with_capacity(parcels.len());
    for r in parcels {
        let [px, py] = frame.world(r.centre());
        if !(0.0..extent).contains(&px) || !(0.0..extent).contains(&py) {
            continue;
        }
        let (cx, cy) = (px as i32 / cell, py as i32 / cell);
        let key = (r.status, r.commune);
        let g = *keys.entry(key).or_insert_with(|| {
            groups.push((key, Group::default()));
            u32::try_from(groups.len() - 1).unwrap_or(u32::MAX)
        });
        let area = if r.area_m2.is_finite() && r.area_m2 > 0.0 {
            r.area_m2
        } else {
            0.0
        };
        if let Some((_, group)) = groups.get_mut(g as usize) {
            group.parcels += 1;
            group.area += area;
        }
        items.push(((cy * per_side + cx) as u32, g, area));
    }
    if items.is_empty() {
        return None;
    }
    // Strips in a fixed order of groups (status, then commune) so neighbouring cells line up.
    let mut order: Vec<u32> = (0..u32::try_from(groups.len()).unwrap_or(0)).collect();
    order.sort_by_key(|&g| {
        let (status, commune) = groups[g as usize].0;
        (store.text(status), store.text(commune))
    });
    let mut rank = vec![0u32; order.len()];
    for (k, &g) in order.iter().enumerate() {
        rank[g as usize] = u32::try_from(k).unwrap_or(u32::MAX);
    }
    items.sort_unstable_by_key(|&(c, g, _)| (c, rank[g as usize]));

    let mut start = 0;
    let mut shares: Vec<(u32, f64)> = Vec::new();
    while start < items.len() {
        let c = items[start].0;
        let mut end = start;
        shares.clear();
        while end < items.len() && items[end].0 == c {
            let (_, g, a) = items[end];
            match shares.last_mut() {
                Some(last) if last.0 == g => last.1 += a,
                _ => shares.push((g, a)),
            }
            end += 1;
        }
        let total: f64 = shares.iter().map(|s| s.1).sum();
        let x0 = (c as i32 % per_side) * cell;
        let y0 = (c as i32 / per_side) * cell;
        let mut cum = 0.0;
        let mut left = x0;
        for (k, &(g, a)) in shares.iter().enumerate() {
            // Parcels without an area count equally, so the cell is never left blank.
            cum += if total > 0.0 {
                a / total
            } else {
                1.0 / shares.len() as f64
            };
            let right = if k + 1 == shares.len() {
                x0 + cell
            } else {
                x0 + (cum * f64::from(cell)).round() as i32
            };
            if right > left {
                if let Some((_, group)) = groups.get_mut(g as usize) {
                    group.strip(left, y0, right, y0 + cell);
                }
                left = right;
            }
        }
        start = end;
    }

    features(store, &groups, &order)
}

/// One feature per group, in the strips' order.
fn features(store: &Store, groups: &[((u32, u32), Group)], order: &[u32]) -> Option<Vec<u8>> {
    let mut values = Values::default();
    let overview = values.list.len() as u32;
    values.list.push(Value {
        bool_value: Some(true),
        ..Value::default()
    });
    let mut features = Vec::with_capacity(groups.len());
    for &g in order {
        let ((status, commune), group) = &groups[g as usize];
        if group.rects.is_empty() {
            continue;
        }
        let mut commands = Commands::default();
        for &[x0, y0, x1, y1] in &group.rects {
            // Clockwise on screen: the exterior winding of the spec.
            commands.ring(&[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
        }
        let tags = vec![
            0,
            values.string(store.text(*status)),
            1,
            values.string(store.text(*commune)),
            2,
            values.int(group.parcels),
            3,
            values.double((group.area * 100.0).round() / 100.0),
            4,
            overview,
        ];
        features.push(Feature {
            id: None,
            tags,
            r#type: Some(GeomType::Polygon as i32),
            geometry: commands.out,
        });
    }
    finish(&KEYS, features, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_strips_of_a_row_merge() {
        let mut g = Group::default();
        g.strip(0, 0, 16, 16);
        g.strip(16, 0, 32, 16);
        g.strip(40, 0, 48, 16);
        g.strip(48, 16, 64, 32);
        assert_eq!(g.rects, [[0, 0, 32, 16], [40, 0, 48, 16], [48, 16, 64, 32]]);
    }
}
