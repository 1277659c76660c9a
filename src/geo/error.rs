//! Why a submitted geometry was refused, worded for the person who has to fix it.

use super::{VN_MAX_LAT, VN_MAX_LON, VN_MIN_LAT, VN_MIN_LON};

/// A geometry that cannot be stored as a parcel or project boundary.
///
/// Polygon numbers in messages are 1-based; `ring` is 0 for the outer ring and
/// `n` for the n-th hole, matching the order of rings in the GeoJSON.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error(
        "The geometry is not valid GeoJSON ({detail}); send a GeoJSON Polygon or \
         MultiPolygon object whose positions are [longitude, latitude]."
    )]
    InvalidGeoJson { detail: String },

    #[error("A {found} geometry cannot be used here; send a Polygon or MultiPolygon.")]
    WrongType { found: String },

    #[error(
        "{} is not closed; repeat its first position as its last position.",
        ring_label(.polygon, .ring)
    )]
    RingNotClosed { polygon: usize, ring: usize },

    #[error(
        "{} has too few positions ({positions}); a ring needs at least 3 different corners \
         plus its first position repeated at the end (4 positions).",
        ring_label(.polygon, .ring)
    )]
    RingTooShort {
        polygon: usize,
        ring: usize,
        positions: usize,
    },

    #[error(
        "Position {position} of {} is not a finite number; fix or remove that position.",
        lower_first(&ring_label(.polygon, .ring))
    )]
    NonFiniteCoordinate {
        polygon: usize,
        ring: usize,
        position: usize,
    },

    #[error(
        "The boundary crosses or touches itself near longitude {lon:.6}, latitude {lat:.6}; \
         redraw it there so that no edges cross."
    )]
    SelfIntersection { lon: f64, lat: f64 },

    #[error(
        "{} is not inside its outer ring; move the hole inside the outer ring or remove it.",
        ring_label(.polygon, .ring)
    )]
    HoleOutsideShell { polygon: usize, ring: usize },

    #[error(
        "Two polygons of the MultiPolygon overlap or share an edge near longitude {lon:.6}, \
         latitude {lat:.6}; merge them into one polygon or separate them."
    )]
    OverlappingParts { lon: f64, lat: f64 },

    #[error(
        "Coordinate [{lon}, {lat}] is outside Vietnam: {}.{}",
        outside_which(.lon, .lat),
        extent_hint(.lon, .lat)
    )]
    OutsideVietnam { lon: f64, lat: f64 },

    #[error("The geometry is empty; send a Polygon or MultiPolygon with at least one ring.")]
    Empty,

    #[error(
        "The geometry has {count} positions, more than the {max} allowed; simplify it \
         or split it into smaller parcels."
    )]
    TooManyPositions { count: usize, max: usize },
}

impl GeometryError {
    /// Stable snake_case code for API error bodies and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            GeometryError::InvalidGeoJson { .. } => "invalid_geojson",
            GeometryError::WrongType { .. } => "wrong_geometry_type",
            GeometryError::RingNotClosed { .. } => "ring_not_closed",
            GeometryError::RingTooShort { .. } => "ring_too_short",
            GeometryError::NonFiniteCoordinate { .. } => "non_finite_coordinate",
            GeometryError::SelfIntersection { .. } => "self_intersection",
            GeometryError::HoleOutsideShell { .. } => "hole_outside_shell",
            GeometryError::OverlappingParts { .. } => "overlapping_parts",
            GeometryError::OutsideVietnam { .. } => "outside_vietnam",
            GeometryError::Empty => "empty_geometry",
            GeometryError::TooManyPositions { .. } => "too_many_positions",
        }
    }
}

fn ring_label(polygon: &usize, ring: &usize) -> String {
    if *ring == 0 {
        format!("The outer ring of polygon {polygon}")
    } else {
        format!("Hole {ring} of polygon {polygon}")
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lon_inside(lon: f64) -> bool {
    (VN_MIN_LON..=VN_MAX_LON).contains(&lon)
}

fn lat_inside(lat: f64) -> bool {
    (VN_MIN_LAT..=VN_MAX_LAT).contains(&lat)
}

fn outside_which(lon: &f64, lat: &f64) -> String {
    let lon_msg = format!("longitude must be between {VN_MIN_LON:.1} and {VN_MAX_LON:.1}");
    let lat_msg = format!("latitude must be between {VN_MIN_LAT:.1} and {VN_MAX_LAT:.1}");
    match (lon_inside(*lon), lat_inside(*lat)) {
        (false, false) => format!("{lon_msg} and {lat_msg}"),
        (false, true) => lon_msg,
        _ => lat_msg,
    }
}

/// Guesses the usual cause so the user knows what to change, not just what is wrong.
fn extent_hint(lon: &f64, lat: &f64) -> &'static str {
    if lon_inside(*lat) && lat_inside(*lon) {
        " Longitude and latitude look swapped; GeoJSON positions are [longitude, latitude]."
    } else if lon.abs() > 180.0 || lat.abs() > 90.0 {
        // Metre values like (590000, 1700000) come from VN-2000 / UTM exports.
        " The numbers look like projected metres (for example VN-2000); convert the data to \
         WGS84 longitude/latitude (EPSG:4326) or import it with its --crs."
    } else {
        " Check that positions are [longitude, latitude] in WGS84 and that the parcel is in Vietnam."
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let all = [
            GeometryError::InvalidGeoJson { detail: "x".into() },
            GeometryError::WrongType {
                found: "Point".into(),
            },
            GeometryError::RingNotClosed {
                polygon: 1,
                ring: 0,
            },
            GeometryError::RingTooShort {
                polygon: 1,
                ring: 0,
                positions: 3,
            },
            GeometryError::NonFiniteCoordinate {
                polygon: 1,
                ring: 0,
                position: 2,
            },
            GeometryError::SelfIntersection { lon: 1.0, lat: 2.0 },
            GeometryError::HoleOutsideShell {
                polygon: 1,
                ring: 1,
            },
            GeometryError::OverlappingParts { lon: 1.0, lat: 2.0 },
            GeometryError::OutsideVietnam { lon: 1.0, lat: 2.0 },
            GeometryError::Empty,
            GeometryError::TooManyPositions { count: 9, max: 1 },
        ];
        let mut codes: Vec<&str> = all.iter().map(super::GeometryError::code).collect();
        for c in &codes {
            assert!(c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'));
        }
        for e in &all {
            let msg = e.to_string();
            assert!(msg.ends_with('.'), "{msg}");
            assert!(msg.chars().next().is_some_and(char::is_uppercase), "{msg}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn outside_messages_hint_at_cause() {
        let projected = GeometryError::OutsideVietnam {
            lon: 590000.0,
            lat: 1700000.0,
        }
        .to_string();
        assert!(projected.contains("[590000, 1700000]"), "{projected}");
        assert!(projected.contains("VN-2000"), "{projected}");
        assert!(projected.contains("longitude must be"), "{projected}");
        assert!(projected.contains("latitude must be"), "{projected}");

        let swapped = GeometryError::OutsideVietnam {
            lon: 15.35,
            lat: 108.8,
        }
        .to_string();
        assert!(swapped.contains("swapped"), "{swapped}");

        let lat_only = GeometryError::OutsideVietnam {
            lon: 108.8,
            lat: 30.0,
        }
        .to_string();
        assert!(lat_only.contains("latitude must be between 6.0 and 23.5"));
        assert!(!lat_only.contains("longitude must be"));
    }

    #[test]
    fn ring_labels_read_naturally() {
        let outer = GeometryError::RingNotClosed {
            polygon: 1,
            ring: 0,
        };
        assert_eq!(
            outer.to_string(),
            "The outer ring of polygon 1 is not closed; repeat its first position as its last position."
        );
        let hole = GeometryError::NonFiniteCoordinate {
            polygon: 2,
            ring: 1,
            position: 3,
        };
        assert!(hole
            .to_string()
            .starts_with("Position 3 of hole 1 of polygon 2"));
    }
}
