//! Web Mercator tile math (the XYZ scheme of OSM/Mapbox): lon/lat ↔ world coordinates, tile
//! bounds, the tiles covering a bbox, and clipping a ring to a rectangle.
//!
//! World coordinates are Web Mercator scaled to the unit square: x grows east from 0 at
//! 180°W to 1 at 180°E, y grows south from 0 at 85.0511°N to 1 at 85.0511°S, so tile (z, x, y)
//! covers `[x, x+1] / 2^z` × `[y, y+1] / 2^z`.

/// Highest zoom served.
pub const MAX_ZOOM: u8 = 22;
/// Latitude limit of Web Mercator.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// lon/lat (degrees) → world coordinates in [0, 1]².
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0;
    let phi = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let y = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// World coordinates → lon/lat (degrees).
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * y);
    let lat = n.sinh().atan().to_degrees();
    (lon, lat)
}

/// The tile at zoom `z` holding a lon/lat position.
pub fn lonlat_to_tile(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let (wx, wy) = lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    let max = (1u32 << z) - 1;
    let clamp = |v: f64| (v.max(0.0) as u32).min(max);
    (clamp((wx * n).floor()), clamp((wy * n).floor()))
}

/// Whether (z, x, y) names a tile: z in 0..=22, x and y in 0..2^z.
pub fn valid_tile(z: u32, x: u32, y: u32) -> bool {
    z <= u32::from(MAX_ZOOM) && x < (1u32 << z) && y < (1u32 << z)
}

/// A rectangle in world coordinates (y grows south).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Rect {
    pub fn intersects(&self, o: &Rect) -> bool {
        self.min_x <= o.max_x
            && o.min_x <= self.max_x
            && self.min_y <= o.max_y
            && o.min_y <= self.max_y
    }

    pub fn contains(&self, o: &Rect) -> bool {
        self.min_x <= o.min_x
            && o.max_x <= self.max_x
            && self.min_y <= o.min_y
            && o.max_y <= self.max_y
    }
}

/// The world rectangle of tile (z, x, y), grown by `buffer` tile widths on each side.
pub fn tile_rect(z: u8, x: u32, y: u32, buffer: f64) -> Rect {
    let size = 1.0 / f64::from(1u32 << z);
    Rect {
        min_x: (f64::from(x) - buffer) * size,
        min_y: (f64::from(y) - buffer) * size,
        max_x: (f64::from(x) + 1.0 + buffer) * size,
        max_y: (f64::from(y) + 1.0 + buffer) * size,
    }
}

/// The tiles at zoom `z` that a lon/lat bbox touches, as inclusive ranges `(x0..=x1, y0..=y1)`.
pub fn tiles_covering(
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
    z: u8,
) -> ((u32, u32), (u32, u32)) {
    // North is the smaller tile row.
    let (x0, y0) = lonlat_to_tile(min_lon, max_lat, z);
    let (x1, y1) = lonlat_to_tile(max_lon, min_lat, z);
    ((x0, x1), (y0, y1))
}

/// Clips a closed or open ring to an axis-aligned rectangle (Sutherland–Hodgman). The result
/// is open (first point not repeated) and may run along the rectangle's edges, which is what
/// a tile encoder wants: the buffer hides those edges outside the visible tile. An empty
/// result means the ring lies outside.
pub fn clip_ring(ring: &[[f64; 2]], min: [f64; 2], max: [f64; 2]) -> Vec<[f64; 2]> {
    let mut points: Vec<[f64; 2]> = ring.to_vec();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    // Left, right, top, bottom edges: (axis, bound, keep values >= bound?).
    let edges = [
        (0usize, min[0], true),
        (0, max[0], false),
        (1, min[1], true),
        (1, max[1], false),
    ];
    for (axis, bound, keep_greater) in edges {
        if points.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if keep_greater {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut out = Vec::with_capacity(points.len() + 4);
        let mut prev = points[points.len() - 1];
        let mut prev_in = inside(&prev);
        for &cur in &points {
            let cur_in = inside(&cur);
            if cur_in != prev_in {
                let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
                let other = 1 - axis;
                let mut p = [0.0; 2];
                p[axis] = bound;
                p[other] = prev[other] + t * (cur[other] - prev[other]);
                out.push(p);
            }
            if cur_in {
                out.push(cur);
            }
            prev = cur;
            prev_in = cur_in;
        }
        points = out;
    }
    points
}

/// Twice the signed area of an open or closed ring (shoelace); positive when the ring turns
/// counter-clockwise in a y-up frame, i.e. clockwise on screen (y down).
pub fn ring_area2(ring: &[[f64; 2]]) -> f64 {
    if ring.len() < 3 {
        return 0.0;
    }
    let mut sum = 0.0;
    let mut prev = ring[ring.len() - 1];
    for &p in ring {
        sum += prev[0] * p[1] - p[0] * prev[1];
        prev = p;
    }
    sum
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_tiles() {
        // Null Island sits at the corner of the four z1 tiles; Dung Quất at z12.
        assert_eq!(lonlat_to_tile(0.0, 0.0, 0), (0, 0));
        assert_eq!(lonlat_to_tile(-0.1, 0.1, 1), (0, 0));
        assert_eq!(lonlat_to_tile(0.1, -0.1, 1), (1, 1));
        // 108.8°E → x = (288.8/360)·4096 = 3285.9; 15.35°N → y = 1871.22 (the standard
        // formula, computed independently).
        assert_eq!(lonlat_to_tile(108.8, 15.35, 12), (3285, 1871));
        // Poles beyond Mercator's limit clamp to the edge rows.
        assert_eq!(lonlat_to_tile(180.0, 89.9, 3), (7, 0));
        assert_eq!(lonlat_to_tile(-180.0, -89.9, 3), (0, 7));
    }

    #[test]
    fn valid_tiles() {
        assert!(valid_tile(0, 0, 0));
        assert!(!valid_tile(0, 1, 0));
        assert!(valid_tile(22, (1 << 22) - 1, 0));
        assert!(!valid_tile(22, 1 << 22, 0));
        assert!(!valid_tile(23, 0, 0));
    }

    #[test]
    fn tile_rect_holds_its_points() {
        let (x, y) = lonlat_to_tile(108.8, 15.35, 14);
        let r = tile_rect(14, x, y, 0.0);
        let (wx, wy) = lonlat_to_world(108.8, 15.35);
        assert!(r.min_x <= wx && wx < r.max_x && r.min_y <= wy && wy < r.max_y);
        let b = tile_rect(14, x, y, 0.5);
        assert!(b.contains(&r) && !r.contains(&b));
        assert!((b.max_x - b.min_x - 2.0 * (r.max_x - r.min_x)).abs() < 1e-15);
    }

    #[test]
    fn tiles_covering_a_bbox() {
        let ((x0, x1), (y0, y1)) = tiles_covering(108.75, 15.3, 108.85, 15.4, 12);
        assert!(x0 < x1 && y0 < y1);
        assert_eq!((x0, y1), lonlat_to_tile(108.75, 15.3, 12));
        assert_eq!((x1, y0), lonlat_to_tile(108.85, 15.4, 12));
    }

    #[test]
    fn clipping_a_square_half_outside() {
        let ring = [
            [-1.0, 0.0],
            [1.0, 0.0],
            [1.0, 1.0],
            [-1.0, 1.0],
            [-1.0, 0.0],
        ];
        let out = clip_ring(&ring, [0.0, 0.0], [2.0, 2.0]);
        assert_eq!(out.len(), 4, "{out:?}");
        assert!((ring_area2(&out).abs() - 2.0).abs() < 1e-12, "{out:?}");
        assert!(out.iter().all(|p| p[0] >= 0.0));
    }

    #[test]
    fn clipping_inside_and_outside() {
        let ring = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.2]];
        assert_eq!(clip_ring(&ring, [0.0, 0.0], [1.0, 1.0]).len(), 3);
        assert!(clip_ring(&ring, [2.0, 2.0], [3.0, 3.0]).is_empty());
        // A rectangle inside a big ring comes out as the rectangle.
        let big = [[-5.0, -5.0], [5.0, -5.0], [5.0, 5.0], [-5.0, 5.0]];
        let out = clip_ring(&big, [0.0, 0.0], [1.0, 1.0]);
        assert!((ring_area2(&out) - 2.0).abs() < 1e-12, "{out:?}");
    }

    #[test]
    fn winding_sign() {
        let ccw = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        assert!(ring_area2(&ccw) > 0.0);
        let mut cw = ccw;
        cw.reverse();
        assert!(ring_area2(&cw) < 0.0);
    }

    proptest! {
        #[test]
        fn world_round_trip(lon in -179.9f64..179.9, lat in -85.0f64..85.0) {
            let (x, y) = lonlat_to_world(lon, lat);
            prop_assert!((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y));
            let (lon2, lat2) = world_to_lonlat(x, y);
            prop_assert!((lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9);
        }

        #[test]
        fn clipped_area_never_grows(
            pts in proptest::collection::vec((-2.0f64..3.0, -2.0f64..3.0), 3..8),
        ) {
            // A convex hull, so the ring is simple and the clipped area is its share.
            use ::geo::{ConvexHull, MultiPoint, Point};
            let hull = MultiPoint::new(pts.iter().map(|&(x, y)| Point::new(x, y)).collect()).convex_hull();
            let ring: Vec<[f64; 2]> = hull.exterior().0.iter().map(|c| [c.x, c.y]).collect();
            let out = clip_ring(&ring, [0.0, 0.0], [1.0, 1.0]);
            prop_assert!(ring_area2(&out).abs() <= ring_area2(&ring).abs() + 1e-9);
            prop_assert!(ring_area2(&out).abs() <= 2.0 + 1e-9);
            prop_assert!(out.iter().all(|p| (-1e-12..=1.0 + 1e-12).contains(&p[0]) && (-1e-12..=1.0 + 1e-12).contains(&p[1])));
        }
    }
}
