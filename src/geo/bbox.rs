//! Bounding boxes: the `bbox` query parameter and the extent of a parcel.

use serde::{Deserialize, Serialize};

/// A WGS84 longitude/latitude box.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bbox {
    /// True when the two boxes share at least one point (edges count), which
    /// is what a map viewport filter wants: a parcel touching the edge shows.
    pub fn intersects(&self, other: &Bbox) -> bool {
        self.min_lon <= other.max_lon
            && other.min_lon <= self.max_lon
            && self.min_lat <= other.max_lat
            && other.min_lat <= self.max_lat
    }

    /// True when `other` lies entirely inside this box.
    pub fn contains(&self, other: &Bbox) -> bool {
        self.min_lon <= other.min_lon
            && self.min_lat <= other.min_lat
            && other.max_lon <= self.max_lon
            && other.max_lat <= self.max_lat
    }

    /// `[min_lon, min_lat, max_lon, max_lat]`, the order GeoJSON's `bbox` member uses.
    pub fn to_array(&self) -> [f64; 4] {
        [self.min_lon, self.min_lat, self.max_lon, self.max_lat]
    }
}

/// Why a `bbox` query string was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BboxError {
    #[error(
        "bbox must be minLon,minLat,maxLon,maxLat: four numbers separated by commas, \
         for example 108.7,15.3,108.9,15.4 (got \"{input}\")."
    )]
    Malformed { input: String },
    #[error(
        "bbox minimum is greater than its maximum; write it as minLon,minLat,maxLon,maxLat \
         with minLon <= maxLon and minLat <= maxLat (got \"{input}\")."
    )]
    Inverted { input: String },
}

impl BboxError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            BboxError::Malformed { .. } => "invalid_bbox",
            BboxError::Inverted { .. } => "bbox_min_greater_than_max",
        }
    }
}

/// Longest input echoed back in an error message, so a huge query string
/// does not end up in logs and responses.
const ECHO_MAX_CHARS: usize = 80;

fn echo(s: &str) -> String {
    if s.chars().count() <= ECHO_MAX_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(ECHO_MAX_CHARS).collect();
        out.push('…');
        out
    }
}

/// Parses the query-string form `minLon,minLat,maxLon,maxLat`.
///
/// The six-number 3D form of OGC API Features (`minLon,minLat,minZ,maxLon,maxLat,maxZ`)
/// is also accepted, with the heights ignored, so GIS clients that send it still work.
/// Longitudes outside ±180 are not refused: web maps panned across the antimeridian
/// send such values and a filter with them is still meaningful.
pub fn parse_bbox(s: &str) -> Result<Bbox, BboxError> {
    let malformed = || BboxError::Malformed { input: echo(s) };
    let numbers = s
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<Vec<f64>, _>>()
        .map_err(|_| malformed())?;
    if numbers.iter().any(|n| !n.is_finite()) {
        return Err(malformed());
    }
    let (min_lon, min_lat, max_lon, max_lat) = match numbers.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, d, e, _] => (*a, *b, *d, *e),
        _ => return Err(malformed()),
    };
    if min_lon > max_lon || min_lat > max_lat {
        return Err(BboxError::Inverted { input: echo(s) });
    }
    Ok(Bbox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_four_numbers() {
        let b = parse_bbox("108.7,15.3,108.9,15.4").unwrap();
        assert_eq!(
            b,
            Bbox {
                min_lon: 108.7,
                min_lat: 15.3,
                max_lon: 108.9,
                max_lat: 15.4
            }
        );
    }

    #[test]
    fn tolerates_spaces_and_accepts_3d_form() {
        let b = parse_bbox(" 108.7 , 15.3,108.9, 15.4 ").unwrap();
        assert_eq!(b.to_array(), [108.7, 15.3, 108.9, 15.4]);
        let b3 = parse_bbox("108.7,15.3,0,108.9,15.4,100").unwrap();
        assert_eq!(b3, b);
    }

    #[test]
    fn rejects_wrong_count() {
        let e = parse_bbox("1,2,3").unwrap_err();
        assert_eq!(e.code(), "invalid_bbox");
        assert!(e.to_string().contains("minLon,minLat,maxLon,maxLat"));
        assert!(parse_bbox("").is_err());
        assert!(parse_bbox("1,2,3,4,5").is_err());
    }

    #[test]
    fn rejects_non_numbers() {
        let e = parse_bbox("a,b,c,d").unwrap_err();
        assert!(matches!(e, BboxError::Malformed { .. }));
        assert!(e.to_string().contains("minLon,minLat,maxLon,maxLat"));
        assert!(parse_bbox("1,2,NaN,4").is_err());
        assert!(parse_bbox("1,2,inf,4").is_err());
        assert!(parse_bbox("1,,3,4").is_err());
    }

    #[test]
    fn rejects_min_greater_than_max() {
        let e = parse_bbox("109,15,108,16").unwrap_err();
        assert_eq!(e.code(), "bbox_min_greater_than_max");
        assert!(e.to_string().contains("minLon,minLat,maxLon,maxLat"));
        assert!(parse_bbox("108,16,109,15").is_err());
        // A degenerate (zero-size) box is allowed: it is a point query.
        assert!(parse_bbox("108,15,108,15").is_ok());
    }

    #[test]
    fn long_input_is_truncated_in_message() {
        let long = "x".repeat(10_000);
        let msg = parse_bbox(&long).unwrap_err().to_string();
        assert!(msg.len() < 400);
    }

    #[test]
    fn intersects_and_contains() {
        let a = parse_bbox("0,0,10,10").unwrap();
        let b = parse_bbox("10,10,20,20").unwrap();
        let c = parse_bbox("11,0,20,5").unwrap();
        let d = parse_bbox("2,2,3,3").unwrap();
        assert!(a.intersects(&b));
        assert!(!a.intersects(&c));
        assert!(a.contains(&d));
        assert!(!d.contains(&a));
    }

    proptest! {
        #[test]
        fn roundtrips_ordered_boxes(
            a in -180.0f64..180.0, b in -90.0f64..90.0,
            c in -180.0f64..180.0, d in -90.0f64..90.0,
        ) {
            let (min_lon, max_lon) = if a <= c { (a, c) } else { (c, a) };
            let (min_lat, max_lat) = if b <= d { (b, d) } else { (d, b) };
            let s = format!("{min_lon},{min_lat},{max_lon},{max_lat}");
            let parsed = parse_bbox(&s).unwrap();
            prop_assert_eq!(parsed, Bbox { min_lon, min_lat, max_lon, max_lat });
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_bbox(&s);
        }
    }
}
