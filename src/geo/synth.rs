//! Synthetic parcel shapes for the demo data set and tests.

use ::geo::{Coord, LineString, MultiPolygon, Polygon};

/// Smallest side accepted by [`square_parcel`], so degenerate input still gives
/// a valid polygon instead of a zero-area one.
const MIN_SIDE_M: f64 = 0.01;
/// How far (as a fraction of the half-diagonal) jitter may move a corner.
const MAX_JITTER: f64 = 0.5;

/// Metres per degree of longitude and of latitude at `lat` on the WGS84
/// ellipsoid (series expansion, good to about 1 cm per degree).
fn metres_per_degree(lat: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let per_lat = 111_132.92 - 559.82 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos()
        - 0.0023 * (6.0 * phi).cos();
    let per_lon = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos() + 0.118 * (5.0 * phi).cos();
    (per_lon, per_lat)
}

/// A quadrilateral centred on (`lon`, `lat`) of roughly `width_m` × `height_m`
/// metres, with its exterior ring counter-clockwise and closed (RFC 7946).
///
/// `jitter[i]` moves corner i (SW, SE, NE, NW) outwards (positive) or inwards
/// (negative) along the line from the centre, as a fraction clamped to ±0.5.
/// Because every corner stays on its own diagonal ray, the ring is always simple,
/// so demo parcels look irregular but are always valid. Non-finite jitter counts
/// as 0; sizes are taken as absolute values and at least 1 cm.
pub fn square_parcel(
    lon: f64,
    lat: f64,
    width_m: f64,
    height_m: f64,
    jitter: [f64; 4],
) -> MultiPolygon<f64> {
    let side = |m: f64| {
        if m.is_finite() {
            m.abs().max(MIN_SIDE_M)
        } else {
            MIN_SIDE_M
        }
    };
    let (per_lon, per_lat) = metres_per_degree(lat);
    let half_w = side(width_m) / 2.0 / per_lon;
    let half_h = side(height_m) / 2.0 / per_lat;
    let directions = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)];
    let mut coords: Vec<Coord<f64>> = directions
        .iter()
        .zip(jitter)
        .map(|(&(dx, dy), j)| {
            let j = if j.is_finite() {
                j.clamp(-MAX_JITTER, MAX_JITTER)
            } else {
                0.0
            };
            let k = 1.0 + j;
            Coord {
                x: lon + dx * half_w * k,
                y: lat + dy * half_h * k,
            }
        })
        .collect();
    coords.push(coords[0]);
    MultiPolygon::new(vec![Polygon::new(LineString::new(coords), vec![])])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::area_m2;
    use super::*;
    use ::geo::Winding;

    #[test]
    fn ring_is_closed_and_counter_clockwise() {
        let mp = square_parcel(108.8, 15.35, 30.0, 20.0, [0.1, -0.2, 0.3, 0.0]);
        let ring = mp.0[0].exterior();
        assert_eq!(ring.0.len(), 5);
        assert_eq!(ring.0.first(), ring.0.last());
        assert!(ring.is_ccw());
    }

    #[test]
    fn degenerate_sizes_still_give_area() {
        let mp = square_parcel(108.8, 15.35, 0.0, f64::NAN, [f64::INFINITY; 4]);
        assert!(area_m2(&mp) > 0.0);
    }

    #[test]
    fn rectangle_has_requested_area() {
        let mp = square_parcel(106.7, 10.8, 40.0, 25.0, [0.0; 4]);
        let area = area_m2(&mp);
        assert!((area - 1000.0).abs() < 1.0, "{area}");
    }
}
