//! A project boundary read from an uploaded file — GeoJSON, a zipped Shapefile or a list of
//! VN-2000 coordinates — with the readers and checks of the parcel import (`src/imports`):
//! the same CRS handling (declared, `crs=` or refused when metres come without one),
//! reprojection to WGS84 and geometry validity. Nothing is stored here.
use ::geo::{BooleanOps, MultiPolygon};
use serde_json::{json, Value as Json};

use super::dto::{BoundaryPreview, BoundaryProblem};
use crate::error::{AppError, AppResult};
use crate::geo::vn2000::Crs;
use crate::imports::parcels::{read_file, reproject, ParcelFile, RawFeature};

/// Largest boundary file accepted (a boundary is one polygon, not a cadastre).
pub const BOUNDARY_LIMIT: usize = 32 * 1024 * 1024;

fn file_error(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Unprocessable {
        code,
        message: message.into(),
        details: Some(json!({"field": "file"})),
    }
}

/// Gives a file-level refusal of the import readers the `file` field (or `crs`).
fn on_field(e: AppError) -> AppError {
    match e {
        AppError::Unprocessable { code, message, .. } => {
            let field = if matches!(code, "missing_crs" | "unsupported_crs" | "crs_conflict") {
                "crs"
            } else {
                "file"
            };
            AppError::Unprocessable {
                code,
                message,
                details: Some(json!({"field": field})),
            }
        }
        other => other,
    }
}

/// Reads, reprojects, checks and joins the polygons of a boundary file.
pub fn preview(
    bytes: &[u8],
    file_name: &str,
    crs_flag: Option<&str>,
) -> AppResult<BoundaryPreview> {
    let start = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied()
        .unwrap_or(b' ');
    let is_zip = bytes.starts_with(b"PK\x03\x04") || file_name.to_lowercase().ends_with(".zip");
    let mut problems = Vec::new();
    let file = if is_zip {
        read_file(bytes, file_name, crs_flag).map_err(on_field)?
    } else if start == b'{' {
        let wrapped = bare_geometry_as_feature(bytes);
        read_file(wrapped.as_deref().unwrap_or(bytes), file_name, crs_flag).map_err(on_field)?
    } else {
        coordinate_list(bytes, crs_flag)?
    };
    let declared_nothing = crs_flag.is_none_or(|c| c.trim().is_empty());
    if file.crs == Crs::Wgs84 && declared_nothing && is_zip {
        problems.push(BoundaryProblem {
            code: "assumed_wgs84".into(),
            message: "the Shapefile has no .prj; its coordinates were read as WGS84 degrees".into(),
        });
    }
    let mut joined: Option<MultiPolygon<f64>> = None;
    let mut polygons = 0;
    for (i, f) in file.features.iter().enumerate() {
        let geometry = match (&f.geometry, file.crs) {
            (Json::Object(m), crs) if crs != Crs::Wgs84 => Json::Object(
                m.iter()
                    .map(|(k, v)| {
                        let v = if k == "coordinates" {
                            reproject(v, &crs)
                        } else {
                            v.clone()
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            (g, _) => g.clone(),
        };
        let mp = crate::geo::parse_geometry(&geometry).map_err(|e| AppError::Unprocessable {
            code: "invalid_geometry",
            message: format!("feature {}: {e}", i + 1),
            details: Some(json!({"field": "file", "feature": i + 1, "reason": e.code()})),
        })?;
        polygons += mp.0.len();
        joined = Some(match joined {
            None => mp,
            Some(j) => j.union(&mp),
        });
    }
    let Some(boundary) = joined else {
        return Err(file_error("empty_file", "the file holds no polygon"));
    };
    if file.features.len() > 1 {
        problems.push(BoundaryProblem {
            code: "joined_features".into(),
            message: format!(
                "the file has {} features; they were joined into one boundary",
                file.features.len()
            ),
        });
    }
    // The joined shape is checked again as it will be stored.
    let value = crate::geo::to_geojson_value(&boundary);
    let boundary = crate::geo::parse_geometry(&value).map_err(|e| AppError::Unprocessable {
        code: "invalid_geometry",
        message: format!("the joined boundary: {e}"),
        details: Some(json!({"field": "file", "reason": e.code()})),
    })?;
    let bbox = crate::geo::bbox_of(&boundary)
        .ok_or_else(|| file_error("empty_file", "the file holds no polygon"))?;
    let area_ha = crate::geo::area_m2(&boundary) / 10_000.0;
    Ok(BoundaryPreview {
        boundary: crate::geo::to_geojson_value(&boundary),
        area_ha: (area_ha * 10_000.0).round() / 10_000.0,
        bbox: [bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat],
        source_crs: file.crs.name(),
        polygons,
        problems,
    })
}

/// A bare Polygon/MultiPolygon GeoJSON wrapped as a Feature for the import reader.
fn bare_geometry_as_feature(bytes: &[u8]) -> Option<Vec<u8>> {
    let Ok(value) = serde_json::from_slice::<Json>(bytes) else {
        return None; // the reader words the refusal
    };
    match value.get("type").and_then(Json::as_str) {
        Some("Polygon" | "MultiPolygon") => {
            let crs = value.get("crs").cloned();
            let mut feature = json!({"type": "Feature", "properties": {}, "geometry": value});
            if let Some(c) = crs {
                feature["crs"] = c;
            }
            Some(feature.to_string().into_bytes())
        }
        _ => None,
    }
}

/// A list of VN-2000 corner coordinates, one corner per line, as cadastral tables give them:
/// `X Y` or `point X Y` (X northing, Y easting, the Vietnamese convention; the larger number is
/// taken as the northing), separated by spaces, tabs or `;`. A decimal comma is read.
fn coordinate_list(bytes: &[u8], crs_flag: Option<&str>) -> AppResult<ParcelFile> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_error(
            "invalid_file",
            "the file is neither GeoJSON, a zipped Shapefile nor a text list of coordinates",
        )
    })?;
    let crs = match crs_flag.map(str::trim).filter(|c| !c.is_empty()) {
        None => {
            return Err(AppError::Unprocessable {
                code: "missing_crs",
                message: "a list of coordinates needs its CRS: EPSG:5898 (VN-2000 TM-3 108°), EPSG:9216 (107°30') or vn2000:<meridian>".into(),
                details: Some(json!({"field": "crs"})),
            })
        }
        Some(c) => Crs::parse(c).ok_or_else(|| AppError::Unprocessable {
            code: "unsupported_crs",
            message: format!("unknown CRS `{c}`; use EPSG:5898, EPSG:9216 or vn2000:<central meridian>"),
            details: Some(json!({"field": "crs"})),
        })?,
    };
    let mut ring: Vec<[f64; 2]> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let numbers: Vec<f64> = line
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|t| !t.is_empty())
            .filter_map(|t| {
                let t = if t.contains('.') {
                    t.to_string()
                } else {
                    t.replace(',', ".")
                };
                t.parse::<f64>().ok().filter(|x| x.is_finite())
            })
            .collect();
        let pair = match numbers.as_slice() {
            [a, b] | [_, a, b] => (*a, *b),
            // A header line (`STT X Y`) has no numbers.
            [] if line.chars().any(char::is_alphabetic) => continue,
            _ => {
                return Err(AppError::Unprocessable {
                    code: "invalid_coordinates",
                    message: format!("line {}: `{line}` is not `X Y` or `point X Y`", n + 1),
                    details: Some(json!({"field": "file", "line": n + 1})),
                })
            }
        };
        let (x, y) = match crs {
            // Degrees: longitude, latitude as written.
            Crs::Wgs84 => (pair.0, pair.1),
            // X (northing) is the larger number in Vietnam's TM-3 zones.
            Crs::Vn2000Tm3 { .. } => {
                if pair.0 > pair.1 {
                    (pair.1, pair.0)
                } else {
                    (pair.0, pair.1)
                }
            }
        };
        ring.push([x, y]);
    }
    if ring.len() < 3 {
        return Err(file_error(
            "invalid_coordinates",
            "a boundary needs at least 3 corners, one per line",
        ));
    }
    if ring.first() != ring.last() {
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
    }
    Ok(ParcelFile {
        features: vec![RawFeature {
            properties: serde_json::Map::new(),
            geometry: json!({"type": "Polygon", "coordinates": [ring]}),
        }],
        crs,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn coordinate_list_in_vn2000_is_reprojected_and_measured() {
        // A 200 m × 100 m rectangle near Dung Quất (VN-2000 TM-3 108°), X before Y.
        let text =
            "STT X Y\n1 1700000 590000\n2 1700000 590200\n3 1700100,0 590200\n4 1700100 590000\n";
        let p = preview(text.as_bytes(), "corners.txt", Some("EPSG:5898")).unwrap();
        assert!((p.area_ha - 2.0).abs() < 0.01, "{}", p.area_ha);
        assert_eq!(p.source_crs, "EPSG:5898");
        assert!(
            p.bbox[0] > 108.0 && p.bbox[1] > 15.0 && p.bbox[1] < 16.0,
            "{:?}",
            p.bbox
        );
    }

    #[test]
    fn coordinate_list_without_crs_is_refused_on_the_crs_field() {
        let e = preview(b"1700000 590000\n", "c.txt", None).unwrap_err();
        assert!(matches!(
            e,
            AppError::Unprocessable {
                code: "missing_crs",
                ..
            }
        ));
    }

    #[test]
    fn bare_polygon_and_bowtie() {
        let square = br#"{"type":"Polygon","coordinates":[[[108.8,15.4],[108.81,15.4],[108.81,15.41],[108.8,15.41],[108.8,15.4]]]}"#;
        let p = preview(square, "b.geojson", None).unwrap();
        assert!(p.area_ha > 100.0 && p.area_ha < 130.0, "{}", p.area_ha);
        let bowtie = br#"{"type":"Polygon","coordinates":[[[108.8,15.4],[108.81,15.41],[108.81,15.4],[108.8,15.41],[108.8,15.4]]]}"#;
        let e = preview(bowtie, "b.geojson", None).unwrap_err();
        assert!(matches!(
            e,
            AppError::Unprocessable {
                code: "invalid_geometry",
                ..
            }
        ));
    }
}
