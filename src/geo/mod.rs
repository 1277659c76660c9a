//! Parcel and boundary geometry: GeoJSON validation, geodesic areas, bboxes.
//!
//! Everything here is pure: no I/O, no database. Geometries are WGS84
//! longitude/latitude; areas are geodesic on the WGS84 ellipsoid in m².
//!
//! Note for callers at the crate root: this module is named like the `geo`
//! crate, so write `crate::geo::…` for this module and `::geo::…` for the crate.

mod bbox;
mod error;
mod parse;
mod synth;
pub mod tiling;
pub mod vn2000;

use ::geo::{BooleanOps, BoundingRect, GeodesicArea, MultiPolygon};
use serde_json::{json, Value};

pub use bbox::{parse_bbox, Bbox, BboxError};
pub use error::GeometryError;
pub use synth::square_parcel;

/// Vietnam's extent including the Hoàng Sa and Trường Sa islands, WGS84 degrees.
pub const VN_MIN_LON: f64 = 102.0;
pub const VN_MAX_LON: f64 = 117.9;
pub const VN_MIN_LAT: f64 = 6.0;
pub const VN_MAX_LAT: f64 = 23.5;

/// Upper bound on positions in one geometry. Validity checking is quadratic in
/// the ring size (about 1 s for 10,000 positions in a release build), so this
/// keeps one request from tying up a worker; real parcels have tens of vertices,
/// detailed project boundaries a few thousand.
pub const MAX_POSITIONS: usize = 10_000;

/// A validated parcel geometry with the values stored next to it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParcelGeometry {
    pub geometry: MultiPolygon<f64>,
    /// Compact WGS84 GeoJSON geometry text (see [`to_geojson_string`]).
    pub geojson: String,
    pub bbox: Bbox,
    /// Geodesic area in m², holes subtracted.
    pub area_m2: f64,
}

/// Parses and validates a GeoJSON Polygon or MultiPolygon (a Feature wrapping one
/// is also accepted).
///
/// Checks, in order: JSON shape and type, finite numbers, closed rings of at least
/// 4 positions (on the raw positions, because geo-types would close rings silently),
/// Vietnam's extent, then OGC validity (self-intersection, holes, overlapping parts).
pub fn parse_geometry(value: &Value) -> Result<MultiPolygon<f64>, GeometryError> {
    parse::parse_geometry(value)
}

/// [`parse_geometry`] plus the derived values stored with a parcel.
pub fn prepare(value: &Value) -> Result<ParcelGeometry, GeometryError> {
    let geometry = parse_geometry(value)?;
    let bbox = bbox_of(&geometry).ok_or(GeometryError::Empty)?;
    Ok(ParcelGeometry {
        geojson: to_geojson_string(&geometry),
        area_m2: area_m2(&geometry),
        bbox,
        geometry,
    })
}

/// Geodesic area in m², holes subtracted, whatever the ring orientation.
pub fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
    // Not `geodesic_area_unsigned`: that assumes counter-clockwise rings and gives
    // the rest of the Earth for a clockwise one. The signed area has the right size
    // for either winding (polygons are far smaller than a hemisphere), and taking it
    // per polygon keeps mixed windings from cancelling out.
    mp.0.iter().map(|p| p.geodesic_area_signed().abs()).sum()
}

/// Bounding box of a geometry, `None` when it has no coordinates.
pub fn bbox_of(mp: &MultiPolygon<f64>) -> Option<Bbox> {
    mp.bounding_rect().map(|r| Bbox {
        min_lon: r.min().x,
        min_lat: r.min().y,
        max_lon: r.max().x,
        max_lat: r.max().y,
    })
}

/// Area of the parcel lying inside the project boundary, in m²; the whole parcel
/// when there is no boundary.
pub fn recovered_area_m2(parcel: &MultiPolygon<f64>, boundary: Option<&MultiPolygon<f64>>) -> f64 {
    let whole = area_m2(parcel);
    let Some(boundary) = boundary else {
        return whole;
    };
    match (bbox_of(parcel), bbox_of(boundary)) {
        (Some(p), Some(b)) if b.intersects(&p) => {}
        // Skips the overlay for the common case of far-away parcels, and an empty
        // boundary recovers nothing.
        _ => return 0.0,
    }
    let inside = area_m2(&parcel.intersection(boundary));
    // Overlay snapping can leave the result a hair above the input.
    inside.min(whole)
}

/// Compact GeoJSON geometry text. A single polygon is written as a `Polygon` so a
/// Polygon sent in comes back as a Polygon; several are written as a `MultiPolygon`.
pub fn to_geojson_string(mp: &MultiPolygon<f64>) -> String {
    to_geojson_value(mp).to_string()
}

/// The same as [`to_geojson_string`] as a JSON value, for embedding in responses.
pub fn to_geojson_value(mp: &MultiPolygon<f64>) -> Value {
    let polygon = |p: &::geo::Polygon<f64>| -> Vec<Vec<[f64; 2]>> {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|ring| ring.0.iter().map(|c| [c.x, c.y]).collect())
            .collect()
    };
    match mp.0.as_slice() {
        [single] => json!({"type": "Polygon", "coordinates": polygon(single)}),
        many => json!({
            "type": "MultiPolygon",
            "coordinates": many.iter().map(polygon).collect::<Vec<_>>(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use ::geo::{LineString, Polygon};
    use proptest::prelude::*;
    use serde_json::json;

    fn polygon(ring: &[[f64; 2]]) -> Value {
        json!({"type": "Polygon", "coordinates": [ring]})
    }

    fn dung_quat_square() -> MultiPolygon<f64> {
        square_parcel(108.8, 15.35, 100.0, 100.0, [0.0; 4])
    }

    #[test]
    fn hundred_metre_square_is_ten_thousand_m2() {
        let value: Value = serde_json::from_str(&to_geojson_string(&dung_quat_square())).unwrap();
        let parcel = prepare(&value).unwrap();
        let err = (parcel.area_m2 - 10_000.0).abs() / 10_000.0;
        assert!(err < 0.005, "area {} m²", parcel.area_m2);
        assert!(parcel.bbox.min_lon < 108.8 && 108.8 < parcel.bbox.max_lon);
        assert!(parcel.bbox.min_lat < 15.35 && 15.35 < parcel.bbox.max_lat);
        assert!(!parcel.geojson.contains(' '), "compact: {}", parcel.geojson);
        assert!(parcel.geojson.starts_with("{\""));
    }

    #[test]
    fn clockwise_ring_gives_the_same_positive_area() {
        let ccw = dung_quat_square();
        let mut ring = ccw.0[0].exterior().0.clone();
        ring.reverse();
        let cw = MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])]);
        let value: Value = serde_json::from_str(&to_geojson_string(&cw)).unwrap();
        let a = prepare(&value).unwrap().area_m2;
        let b = area_m2(&ccw);
        assert!(a > 0.0 && (a - b).abs() < b * 1e-9, "{a} vs {b}");
    }

    #[test]
    fn holes_are_subtracted() {
        let outer = square_parcel(108.8, 15.35, 100.0, 100.0, [0.0; 4]);
        let inner = square_parcel(108.8, 15.35, 50.0, 50.0, [0.0; 4]);
        let mut hole = inner.0[0].exterior().0.clone();
        hole.reverse();
        let with_hole = MultiPolygon::new(vec![Polygon::new(
            outer.0[0].exterior().clone(),
            vec![LineString::new(hole)],
        )]);
        let value: Value = serde_json::from_str(&to_geojson_string(&with_hole)).unwrap();
        let area = prepare(&value).unwrap().area_m2;
        assert!((area - 7_500.0).abs() < 50.0, "{area}");

        // A hole wound the same way as the outer ring is still subtracted.
        let same_winding = MultiPolygon::new(vec![Polygon::new(
            outer.0[0].exterior().clone(),
            vec![inner.0[0].exterior().clone()],
        )]);
        assert!((area_m2(&same_winding) - area).abs() < 1e-6);
    }

    #[test]
    fn bow_tie_is_self_intersecting_with_location() {
        let v = polygon(&[
            [108.80, 15.35],
            [108.81, 15.36],
            [108.81, 15.35],
            [108.80, 15.36],
            [108.80, 15.35],
        ]);
        let e = parse_geometry(&v).unwrap_err();
        assert_eq!(e.code(), "self_intersection");
        match e {
            GeometryError::SelfIntersection { lon, lat } => {
                assert!((lon - 108.805).abs() < 1e-9 && (lat - 15.355).abs() < 1e-9);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(e.to_string().contains("108.805000"), "{e}");
    }

    #[test]
    fn ring_touching_itself_is_rejected_with_location() {
        // The fourth corner sits on the first edge.
        let v = polygon(&[
            [108.80, 15.35],
            [108.82, 15.35],
            [108.82, 15.37],
            [108.81, 15.35],
            [108.80, 15.37],
            [108.80, 15.35],
        ]);
        match parse_geometry(&v).unwrap_err() {
            GeometryError::SelfIntersection { lon, lat } => {
                assert!((lon - 108.81).abs() < 1e-9 && (lat - 15.35).abs() < 1e-9);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unclosed_ring_is_rejected() {
        let v = polygon(&[
            [108.80, 15.35],
            [108.81, 15.35],
            [108.81, 15.36],
            [108.80, 15.36],
        ]);
        let e = parse_geometry(&v).unwrap_err();
        assert_eq!(
            e,
            GeometryError::RingNotClosed {
                polygon: 1,
                ring: 0
            }
        );
        assert_eq!(e.code(), "ring_not_closed");
    }

    #[test]
    fn short_ring_is_rejected() {
        let v = polygon(&[[108.80, 15.35], [108.81, 15.35], [108.80, 15.35]]);
        assert_eq!(parse_geometry(&v).unwrap_err().code(), "ring_too_short");
        // Four positions but only two distinct corners: caught by geo's validation.
        let v = polygon(&[
            [108.80, 15.35],
            [108.81, 15.35],
            [108.81, 15.35],
            [108.80, 15.35],
        ]);
        assert_eq!(parse_geometry(&v).unwrap_err().code(), "ring_too_short");
    }

    #[test]
    fn projected_coordinates_are_outside_vietnam() {
        let v = polygon(&[
            [590000.0, 1700000.0],
            [590100.0, 1700000.0],
            [590100.0, 1700100.0],
            [590000.0, 1700000.0],
        ]);
        let e = parse_geometry(&v).unwrap_err();
        assert_eq!(
            e,
            GeometryError::OutsideVietnam {
                lon: 590000.0,
                lat: 1700000.0
            }
        );
        assert_eq!(e.code(), "outside_vietnam");
        assert!(e.to_string().contains("VN-2000"));
    }

    #[test]
    fn wrong_types_and_bad_json_are_rejected() {
        let point = json!({"type": "Point", "coordinates": [108.8, 15.35]});
        assert_eq!(
            parse_geometry(&point).unwrap_err().code(),
            "wrong_geometry_type"
        );
        let line = json!({"type": "LineString", "coordinates": [[108.8, 15.35], [108.9, 15.35]]});
        assert_eq!(
            parse_geometry(&line).unwrap_err().code(),
            "wrong_geometry_type"
        );
        for bad in [
            json!(null),
            json!("Polygon"),
            json!({"coordinates": []}),
            json!({"type": "Polygon"}),
            json!({"type": "Polygon", "coordinates": 5}),
            json!({"type": "Circle", "coordinates": []}),
        ] {
            assert_eq!(
                parse_geometry(&bad).unwrap_err().code(),
                "invalid_geojson",
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_geometries_are_rejected() {
        for empty in [
            json!({"type": "Polygon", "coordinates": []}),
            json!({"type": "MultiPolygon", "coordinates": []}),
            json!({"type": "MultiPolygon", "coordinates": [[]]}),
            json!({"type": "Feature", "properties": {}, "geometry": null}),
        ] {
            assert_eq!(
                parse_geometry(&empty).unwrap_err(),
                GeometryError::Empty,
                "{empty}"
            );
        }
    }

    #[test]
    fn feature_wrapper_and_heights_are_accepted() {
        let v = json!({"type": "Feature", "properties": {"so_thua": 12}, "geometry": {
            "type": "Polygon",
            "coordinates": [[[108.80, 15.35, 3.0], [108.801, 15.35, 3.0], [108.801, 15.351, 3.5], [108.80, 15.35, 3.0]]]
        }});
        let mp = parse_geometry(&v).unwrap();
        assert_eq!(mp.0.len(), 1);
    }

    #[test]
    fn hole_outside_and_overlapping_parts_are_rejected() {
        let outer = [
            [108.80, 15.35],
            [108.81, 15.35],
            [108.81, 15.36],
            [108.80, 15.36],
            [108.80, 15.35],
        ];
        let far_hole = [
            [108.90, 15.35],
            [108.90, 15.36],
            [108.91, 15.36],
            [108.90, 15.35],
        ];
        let v = json!({"type": "Polygon", "coordinates": [outer, far_hole]});
        assert_eq!(
            parse_geometry(&v).unwrap_err(),
            GeometryError::HoleOutsideShell {
                polygon: 1,
                ring: 1
            }
        );

        let crossing_hole = [
            [108.805, 15.355],
            [108.815, 15.355],
            [108.815, 15.356],
            [108.805, 15.355],
        ];
        let v = json!({"type": "Polygon", "coordinates": [outer, crossing_hole]});
        assert_eq!(parse_geometry(&v).unwrap_err().code(), "self_intersection");

        let shifted = [
            [108.805, 15.35],
            [108.815, 15.35],
            [108.815, 15.36],
            [108.805, 15.36],
            [108.805, 15.35],
        ];
        let v = json!({"type": "MultiPolygon", "coordinates": [[outer], [shifted]]});
        let e = parse_geometry(&v).unwrap_err();
        assert_eq!(e.code(), "overlapping_parts");
        assert!(e.to_string().contains("108.8"), "{e}");

        let apart = [
            [108.82, 15.35],
            [108.83, 15.35],
            [108.83, 15.36],
            [108.82, 15.35],
        ];
        let v = json!({"type": "MultiPolygon", "coordinates": [[outer], [apart]]});
        assert_eq!(parse_geometry(&v).unwrap().0.len(), 2);
    }

    #[test]
    fn too_many_positions_are_rejected() {
        let n = MAX_POSITIONS + 1;
        let mut ring: Vec<[f64; 2]> = (0..n - 1)
            .map(|i| {
                let t = i as f64 / (n - 1) as f64 * std::f64::consts::TAU;
                [108.8 + 0.01 * t.cos(), 15.35 + 0.01 * t.sin()]
            })
            .collect();
        ring.push(ring[0]);
        let e = parse_geometry(&polygon(&ring)).unwrap_err();
        assert_eq!(e.code(), "too_many_positions");
    }

    #[test]
    fn recovered_area_half_inside_boundary() {
        let parcel = dung_quat_square();
        // Boundary's east edge runs through the parcel's centre meridian.
        let boundary = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (108.7, 15.3),
                (108.8, 15.3),
                (108.8, 15.4),
                (108.7, 15.4),
                (108.7, 15.3),
            ]),
            vec![],
        )]);
        let whole = recovered_area_m2(&parcel, None);
        let half = recovered_area_m2(&parcel, Some(&boundary));
        assert!((half / whole - 0.5).abs() < 0.005, "{half} of {whole}");
    }

    #[test]
    fn recovered_area_inside_and_outside() {
        let parcel = dung_quat_square();
        let big = square_parcel(108.8, 15.35, 5_000.0, 5_000.0, [0.0; 4]);
        let far = square_parcel(109.5, 15.35, 5_000.0, 5_000.0, [0.0; 4]);
        let whole = area_m2(&parcel);
        assert!((recovered_area_m2(&parcel, Some(&big)) - whole).abs() < whole * 1e-6);
        assert_eq!(recovered_area_m2(&parcel, Some(&far)), 0.0);
        assert_eq!(
            recovered_area_m2(&parcel, Some(&MultiPolygon::new(vec![]))),
            0.0
        );
    }

    #[test]
    fn geojson_text_round_trips() {
        let mp = square_parcel(108.8, 15.35, 20.0, 30.0, [0.1, 0.2, -0.1, 0.0]);
        let text = to_geojson_string(&mp);
        assert!(text.contains("\"type\":\"Polygon\""));
        let back = parse_geometry(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_close(&back, &mp);

        let two = MultiPolygon::new(vec![
            mp.0[0].clone(),
            square_parcel(108.9, 15.35, 20.0, 30.0, [0.0; 4]).0[0].clone(),
        ]);
        let text = to_geojson_string(&two);
        assert!(text.contains("\"type\":\"MultiPolygon\""));
        assert_close(
            &parse_geometry(&serde_json::from_str(&text).unwrap()).unwrap(),
            &two,
        );
    }

    /// serde_json's default float parser may be 1 ulp off, so compare with a
    /// tolerance far below a millimetre.
    fn assert_close(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) {
        use ::geo::CoordsIter;
        assert_eq!(a.coords_count(), b.coords_count());
        for (p, q) in a.coords_iter().zip(b.coords_iter()) {
            assert!(
                (p.x - q.x).abs() < 1e-12 && (p.y - q.y).abs() < 1e-12,
                "{p:?} vs {q:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn generated_parcels_validate_with_positive_area(
            lon in 102.01f64..117.89,
            lat in 6.01f64..23.49,
            w in 1.0f64..500.0,
            h in 1.0f64..500.0,
            j in proptest::array::uniform4(-1.0f64..1.0),
        ) {
            let mp = square_parcel(lon, lat, w, h, j);
            let value: Value = serde_json::from_str(&to_geojson_string(&mp)).unwrap();
            let parcel = prepare(&value).unwrap();
            prop_assert!(parcel.area_m2 > 0.0);
            prop_assert!(parcel.bbox.min_lon <= lon && lon <= parcel.bbox.max_lon);
            let recovered = recovered_area_m2(&parcel.geometry, Some(&parcel.geometry));
            prop_assert!(recovered <= parcel.area_m2);
            prop_assert!((recovered - parcel.area_m2).abs() <= parcel.area_m2 * 1e-3);
        }

        #[test]
        fn unjittered_parcels_have_requested_area(
            lon in 102.01f64..117.89,
            lat in 6.01f64..23.49,
            w in 5.0f64..500.0,
            h in 5.0f64..500.0,
        ) {
            let area = area_m2(&square_parcel(lon, lat, w, h, [0.0; 4]));
            prop_assert!((area - w * h).abs() / (w * h) < 0.005, "{} vs {}", area, w * h);
        }

        #[test]
        fn arbitrary_json_never_panics(s in "\\PC{0,60}", a in -1e7f64..1e7, b in -1e7f64..1e7) {
            let v = json!({"type": "Polygon", "coordinates": [[[a, b], [s.clone(), b], [a, a], [a, b]]]});
            let _ = parse_geometry(&v);
            let v = json!({"type": s, "coordinates": [[[a, b], [b, a], [a, a], [a, b]]]});
            let _ = parse_geometry(&v);
        }
    }
}
