//! GeoJSON → geo-types, with every check a parcel geometry must pass.
//!
//! The GeoJSON is walked by hand rather than through `geojson`'s conversion so that
//! ring closure can be checked on the raw positions (geo-types closes rings silently)
//! and so errors can name the polygon, ring and position at fault.

use ::geo::line_intersection::{line_intersection, LineIntersection};
use ::geo::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole};
use ::geo::{Contains, Coord, Line, LineString, MultiPolygon, Polygon, Validation};
use serde_json::Value;

use super::{GeometryError, MAX_POSITIONS, VN_MAX_LAT, VN_MAX_LON, VN_MIN_LAT, VN_MIN_LON};

/// Rings as `[lon, lat]` pairs, polygons as lists of rings (outer first).
type RawPolygon = Vec<Vec<[f64; 2]>>;

/// See [`super::parse_geometry`].
pub(super) fn parse_geometry(value: &Value) -> Result<MultiPolygon<f64>, GeometryError> {
    let raw = read_polygons(value)?;
    check_raw(&raw)?;
    let mp = to_multi_polygon(&raw);
    check_topology(&mp)?;
    Ok(mp)
}

fn invalid(detail: impl Into<String>) -> GeometryError {
    GeometryError::InvalidGeoJson {
        detail: detail.into(),
    }
}

/// Reads a Polygon or MultiPolygon (or a Feature wrapping one, as GIS exports often do).
fn read_polygons(value: &Value) -> Result<Vec<RawPolygon>, GeometryError> {
    let obj = value
        .as_object()
        .ok_or_else(|| invalid("expected a JSON object with \"type\" and \"coordinates\""))?;
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("the \"type\" member is missing or not a string"))?;
    match kind {
        "Polygon" => {
            let polygon = read_polygon(coordinates(obj)?, "coordinates")?;
            if polygon.is_empty() {
                return Err(GeometryError::Empty);
            }
            Ok(vec![polygon])
        }
        "MultiPolygon" => {
            let parts = as_array(coordinates(obj)?, "coordinates")?;
            let polygons = parts
                .iter()
                .enumerate()
                .map(|(i, p)| read_polygon(p, &format!("coordinates[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            if polygons.is_empty() || polygons.iter().any(Vec::is_empty) {
                return Err(GeometryError::Empty);
            }
            Ok(polygons)
        }
        "Feature" => match obj.get("geometry") {
            None | Some(Value::Null) => Err(GeometryError::Empty),
            Some(geometry) => read_polygons(geometry),
        },
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "GeometryCollection"
        | "FeatureCollection" => Err(GeometryError::WrongType {
            found: kind.to_string(),
        }),
        other => Err(invalid(format!("unknown type \"{}\"", shorten(other)))),
    }
}

fn coordinates(obj: &serde_json::Map<String, Value>) -> Result<&Value, GeometryError> {
    obj.get("coordinates")
        .ok_or_else(|| invalid("the \"coordinates\" member is missing"))
}

fn as_array<'a>(value: &'a Value, at: &str) -> Result<&'a Vec<Value>, GeometryError> {
    value
        .as_array()
        .ok_or_else(|| invalid(format!("{at} must be an array")))
}

fn read_polygon(value: &Value, at: &str) -> Result<RawPolygon, GeometryError> {
    as_array(value, at)?
        .iter()
        .enumerate()
        .map(|(r, ring)| {
            let ring_at = format!("{at}[{r}]");
            as_array(ring, &ring_at)?
                .iter()
                .enumerate()
                .map(|(p, pos)| read_position(pos, &format!("{ring_at}[{p}]")))
                .collect()
        })
        .collect()
}

/// A position is `[lon, lat]` or `[lon, lat, height]`; height is dropped because
/// parcels are 2D.
fn read_position(value: &Value, at: &str) -> Result<[f64; 2], GeometryError> {
    let bad = || {
        invalid(format!(
            "{at} must be an array of numbers [longitude, latitude]"
        ))
    };
    let items = value.as_array().ok_or_else(bad)?;
    if items.len() < 2 {
        return Err(bad());
    }
    let mut numbers = items.iter().map(Value::as_f64);
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(lon), Some(lat)) if numbers.all(|n| n.is_some()) => Ok([lon, lat]),
        _ => Err(bad()),
    }
}

fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Structural checks on the raw positions, in the order a user would fix them.
fn check_raw(polygons: &[RawPolygon]) -> Result<(), GeometryError> {
    let count: usize = polygons.iter().flatten().map(Vec::len).sum();
    if count > MAX_POSITIONS {
        return Err(GeometryError::TooManyPositions {
            count,
            max: MAX_POSITIONS,
        });
    }
    for (p, polygon) in polygons.iter().enumerate() {
        for (r, ring) in polygon.iter().enumerate() {
            let (polygon_no, ring_no) = (p + 1, r);
            if let Some(i) = ring
                .iter()
                .position(|c| !(c[0].is_finite() && c[1].is_finite()))
            {
                return Err(GeometryError::NonFiniteCoordinate {
                    polygon: polygon_no,
                    ring: ring_no,
                    position: i + 1,
                });
            }
            // Closure first: an unclosed triangle is far more likely than a 2-point ring,
            // and "close the ring" is the fix the user needs.
            if let (Some(first), Some(last)) = (ring.first(), ring.last()) {
                if first != last {
                    return Err(GeometryError::RingNotClosed {
                        polygon: polygon_no,
                        ring: ring_no,
                    });
                }
            }
            if ring.len() < 4 {
                return Err(GeometryError::RingTooShort {
                    polygon: polygon_no,
                    ring: ring_no,
                    positions: ring.len(),
                });
            }
        }
    }
    // Extent after structure, so a projected file is reported as such and not as
    // some incidental ring problem further down.
    for c in polygons.iter().flatten().flatten() {
        let [lon, lat] = *c;
        if !((VN_MIN_LON..=VN_MAX_LON).contains(&lon) && (VN_MIN_LAT..=VN_MAX_LAT).contains(&lat)) {
            return Err(GeometryError::OutsideVietnam { lon, lat });
        }
    }
    Ok(())
}

fn to_multi_polygon(polygons: &[RawPolygon]) -> MultiPolygon<f64> {
    let ring = |r: &Vec<[f64; 2]>| {
        LineString::new(r.iter().map(|&[x, y]| Coord { x, y }).collect::<Vec<_>>())
    };
    MultiPolygon::new(
        polygons
            .iter()
            .map(|p| {
                let mut rings = p.iter().map(ring);
                let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
                Polygon::new(exterior, rings.collect())
            })
            .collect(),
    )
}

/// OGC validity via geo's `Validation`, translated into errors that say where.
fn check_topology(mp: &MultiPolygon<f64>) -> Result<(), GeometryError> {
    let Err(problem) = mp.check_validation() else {
        return Ok(());
    };
    Err(match problem {
        InvalidMultiPolygon::InvalidPolygon(idx, err) => {
            let polygon_no = idx.0 + 1;
            let Some(polygon) = mp.0.get(idx.0) else {
                return Err(GeometryError::Empty);
            };
            polygon_error(polygon, polygon_no, err)
        }
        InvalidMultiPolygon::ElementsOverlaps(a, b)
        | InvalidMultiPolygon::ElementsTouchOnALine(a, b) => {
            let c = match (mp.0.get(a.0), mp.0.get(b.0)) {
                (Some(pa), Some(pb)) => polygons_meet(pa, pb),
                _ => None,
            };
            let c = c.unwrap_or_else(|| first_coord(mp));
            GeometryError::OverlappingParts { lon: c.x, lat: c.y }
        }
    })
}

fn polygon_error(polygon: &Polygon<f64>, polygon_no: usize, err: InvalidPolygon) -> GeometryError {
    let ring_of = |role: RingRole| match role {
        RingRole::Exterior => (0, Some(polygon.exterior())),
        RingRole::Interior(i) => (i + 1, polygon.interiors().get(i)),
    };
    let fallback = first_coord_of(polygon);
    match err {
        InvalidPolygon::TooFewPointsInRing(role) => {
            let (ring, ls) = ring_of(role);
            GeometryError::RingTooShort {
                polygon: polygon_no,
                ring,
                positions: ls.map_or(0, |l| l.0.len()),
            }
        }
        InvalidPolygon::SelfIntersection(role) => {
            let (_, ls) = ring_of(role);
            let c = ls.and_then(ring_self_intersection).unwrap_or(fallback);
            GeometryError::SelfIntersection { lon: c.x, lat: c.y }
        }
        InvalidPolygon::NonFiniteCoord(role, idx) => GeometryError::NonFiniteCoordinate {
            polygon: polygon_no,
            ring: ring_of(role).0,
            position: idx.0 + 1,
        },
        InvalidPolygon::InteriorRingNotContainedInExteriorRing(role) => {
            let (ring, ls) = ring_of(role);
            // A hole that crosses the outer ring is better reported with the place it
            // crosses; one lying wholly outside has no such place.
            match ls.and_then(|hole| rings_meet(polygon.exterior(), hole)) {
                Some(c) => GeometryError::SelfIntersection { lon: c.x, lat: c.y },
                None => GeometryError::HoleOutsideShell {
                    polygon: polygon_no,
                    ring,
                },
            }
        }
        InvalidPolygon::IntersectingRingsOnALine(r1, r2)
        | InvalidPolygon::IntersectingRingsOnAnArea(r1, r2) => {
            let c = match (ring_of(r1).1, ring_of(r2).1) {
                (Some(a), Some(b)) => rings_meet(a, b).or_else(|| b.0.first().copied()),
                _ => None,
            }
            .unwrap_or(fallback);
            GeometryError::SelfIntersection { lon: c.x, lat: c.y }
        }
    }
}

fn first_coord_of(polygon: &Polygon<f64>) -> Coord<f64> {
    polygon
        .exterior()
        .0
        .first()
        .copied()
        .unwrap_or(Coord { x: 0.0, y: 0.0 })
}

fn first_coord(mp: &MultiPolygon<f64>) -> Coord<f64> {
    mp.0.first()
        .map_or(Coord { x: 0.0, y: 0.0 }, first_coord_of)
}

fn meeting_point(a: Line<f64>, b: Line<f64>) -> Option<Coord<f64>> {
    line_intersection(a, b).map(|i| match i {
        LineIntersection::SinglePoint { intersection, .. } => intersection,
        LineIntersection::Collinear { intersection } => intersection.start,
    })
}

/// Where a ring crosses or touches itself. Uses the same notion of "adjacent
/// segments" as geo's own check, so it finds what `Validation` complained about.
fn ring_self_intersection(ring: &LineString<f64>) -> Option<Coord<f64>> {
    let lines: Vec<Line<f64>> = ring.lines().collect();
    for (i, a) in lines.iter().enumerate() {
        for b in lines.iter().skip(i + 1) {
            if a.start == b.end || a.end == b.start {
                continue;
            }
            if let Some(c) = meeting_point(*a, *b) {
                return Some(c);
            }
        }
    }
    None
}

/// The first place two rings cross or touch.
fn rings_meet(a: &LineString<f64>, b: &LineString<f64>) -> Option<Coord<f64>> {
    a.lines()
        .find_map(|la| b.lines().find_map(|lb| meeting_point(la, lb)))
}

/// Where two polygons of a MultiPolygon meet; if one sits wholly inside the
/// other their boundaries never meet, so point at the inner one instead.
fn polygons_meet(a: &Polygon<f64>, b: &Polygon<f64>) -> Option<Coord<f64>> {
    let rings_a = std::iter::once(a.exterior()).chain(a.interiors());
    for ra in rings_a {
        let rings_b = std::iter::once(b.exterior()).chain(b.interiors());
        for rb in rings_b {
            if let Some(c) = rings_meet(ra, rb) {
                return Some(c);
            }
        }
    }
    if a.contains(b) {
        b.exterior().0.first().copied()
    } else {
        a.exterior().0.first().copied()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_finite_is_reported_with_its_position() {
        let raw = vec![vec![vec![
            [108.8, 15.3],
            [108.9, f64::NAN],
            [108.9, 15.4],
            [108.8, 15.3],
        ]]];
        assert_eq!(
            check_raw(&raw),
            Err(GeometryError::NonFiniteCoordinate {
                polygon: 1,
                ring: 0,
                position: 2
            })
        );
    }

    #[test]
    fn position_errors_name_the_path() {
        let v = json!({"type": "Polygon", "coordinates": [[[108.8, 15.3], [108.9], [108.9, 15.4], [108.8, 15.3]]]});
        let e = parse_geometry(&v).unwrap_err();
        assert_eq!(e.code(), "invalid_geojson");
        assert!(e.to_string().contains("coordinates[0][1]"), "{e}");

        let v = json!({"type": "Polygon", "coordinates": [[[108.8, 15.3], [108.9, "15.3"], [108.9, 15.4], [108.8, 15.3]]]});
        assert_eq!(parse_geometry(&v).unwrap_err().code(), "invalid_geojson");
    }

    #[test]
    fn self_intersection_locator_finds_crossing() {
        // Bow-tie whose edges cross at (1, 1).
        let ring = LineString::from(vec![
            (0.0, 0.0),
            (2.0, 2.0),
            (2.0, 0.0),
            (0.0, 2.0),
            (0.0, 0.0),
        ]);
        let c = ring_self_intersection(&ring).unwrap();
        assert!((c.x - 1.0).abs() < 1e-12 && (c.y - 1.0).abs() < 1e-12);
        let square = LineString::from(vec![
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.0, 1.0),
            (0.0, 0.0),
        ]);
        assert_eq!(ring_self_intersection(&square), None);
    }
}
