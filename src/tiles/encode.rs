//! One tile's parcels → Mapbox Vector Tile 2.1 bytes: geometry moved to tile space, clipped to
//! the tile plus a buffer, simplified for the zoom, snapped to the integer grid and wound as
//! the spec wants; geozero's `MvtWriter` writes the commands and the tag tables.
use ::geo::{Coord, LineString, MultiPolygon, Polygon, Simplify};
use geozero::mvt::{Message, MvtWriter, Tile};
use geozero::{ColumnValue, FeatureProcessor, GeozeroGeometry, PropertyProcessor};

use super::index::TileParcel;
use crate::geo::tiling::{clip_ring, ring_area2};

/// Tile coordinate space, as in PostGIS/Martin.
pub const EXTENT: u32 = 4096;
/// Buffer around the tile, in tile units, so strokes at the tile edge join up.
pub const BUFFER: u32 = 64;
/// The layer name.
pub const LAYER: &str = "parcels";
/// Simplification tolerance in tile units: below a 16th of a pixel at 256 px, never visible.
const SIMPLIFY_UNITS: f64 = 1.0;

/// The tile-space geometry of a parcel, or `None` when nothing of it is left at this zoom.
/// `world_rect` origin: (x, y) of the tile's top-left corner in world units × 2^z.
pub fn tile_geometry(p: &TileParcel, z: u8, x: u32, y: u32) -> Option<MultiPolygon<f64>> {
    let scale = f64::from(1u32 << z) * f64::from(EXTENT);
    let ox = f64::from(x) * f64::from(EXTENT);
    let oy = f64::from(y) * f64::from(EXTENT);
    let lo = -f64::from(BUFFER);
    let hi = f64::from(EXTENT + BUFFER);
    // Most parcels lie wholly inside the buffered tile: skip clipping for them.
    let [bx0, by0, bx1, by1] = p.bbox;
    let inside = bx0 * scale - ox >= lo
        && bx1 * scale - ox <= hi
        && by0 * scale - oy >= lo
        && by1 * scale - oy <= hi;
    let mut polygons = Vec::with_capacity(p.polygons.len());
    for rings in &p.polygons {
        let mut out_rings: Vec<LineString<f64>> = Vec::with_capacity(rings.len());
        for (k, ring) in rings.iter().enumerate() {
            let projected: Vec<[f64; 2]> = ring
                .iter()
                .map(|c| [c[0] * scale - ox, c[1] * scale - oy])
                .collect();
            let clipped = if inside {
                projected
            } else {
                clip_ring(&projected, [lo, lo], [hi, hi])
            };
            match snap_ring(clipped, k == 0) {
                Some(r) => out_rings.push(r),
                // No exterior left: the holes go with it.
                None if k == 0 => break,
                None => {}
            }
        }
        if !out_rings.is_empty() {
            let exterior = out_rings.remove(0);
            polygons.push(Polygon::new(exterior, out_rings));
        }
    }
    if polygons.is_empty() {
        None
    } else {
        Some(MultiPolygon::new(polygons))
    }
}

/// Simplifies, rounds to the integer grid, drops repeated points and winds the ring
/// (exterior: positive area in y-down tile space, i.e. clockwise on screen; holes the other
/// way). `None` when the ring collapses.
fn snap_ring(mut ring: Vec<[f64; 2]>, exterior: bool) -> Option<LineString<f64>> {
    if ring.len() < 3 {
        return None;
    }
    if ring.first() != ring.last() {
        let first = ring[0];
        ring.push(first);
    }
    let mut line = LineString::new(ring.iter().map(|c| Coord { x: c[0], y: c[1] }).collect());
    if line.0.len() > 5 {
        line = line.simplify(&SIMPLIFY_UNITS);
    }
    let mut snapped: Vec<[f64; 2]> = Vec::with_capacity(line.0.len());
    for c in &line.0 {
        let p = [c.x.round(), c.y.round()];
        if snapped.last() != Some(&p) {
            snapped.push(p);
        }
    }
    // Open it again for the area and the distinct-point count.
    if snapped.len() > 1 && snapped.first() == snapped.last() {
        snapped.pop();
    }
    if snapped.len() < 3 {
        return None;
    }
    let area = ring_area2(&snapped);
    if area == 0.0 {
        return None;
    }
    if (area > 0.0) != exterior {
        snapped.reverse();
    }
    let first = snapped[0];
    snapped.push(first);
    Some(LineString::new(
        snapped
            .into_iter()
            .map(|c| Coord { x: c[0], y: c[1] })
            .collect(),
    ))
}

/// Encodes the parcels into one `parcels` layer; `None` when no feature survives.
pub fn encode(parcels: &[&TileParcel], z: u8, x: u32, y: u32) -> anyhow::Result<Option<Vec<u8>>> {
    let mut writer = MvtWriter::new_unscaled(EXTENT)?;
    let mut ids = Vec::with_capacity(parcels.len());
    for p in parcels {
        let Some(geometry) = tile_geometry(p, z, x, y) else {
            continue;
        };
        let idx = ids.len() as u64;
        writer.feature_begin(idx)?;
        writer.properties_begin()?;
        writer.property(0, "id", &ColumnValue::Int(p.id))?;
        writer.property(1, "status", &ColumnValue::String(&p.status))?;
        writer.property(2, "land_use", &ColumnValue::String(&p.land_use))?;
        writer.property(3, "map_sheet", &ColumnValue::String(&p.map_sheet))?;
        writer.property(4, "parcel_no", &ColumnValue::String(&p.parcel_no))?;
        writer.property(5, "area_m2", &ColumnValue::Double(p.area_m2))?;
        writer.property(6, "commune", &ColumnValue::String(&p.commune))?;
        writer.properties_end()?;
        writer.geometry_begin()?;
        ::geo::Geometry::MultiPolygon(geometry).process_geom(&mut writer)?;
        writer.geometry_end()?;
        writer.feature_end(idx)?;
        ids.push(p.id);
    }
    if ids.is_empty() {
        return Ok(None);
    }
    let mut layer = writer.layer(LAYER);
    for (feature, id) in layer.features.iter_mut().zip(ids) {
        feature.id = u64::try_from(id).ok();
    }
    Ok(Some(
        Tile {
            layers: vec![layer],
        }
        .encode_to_vec(),
    ))
}
