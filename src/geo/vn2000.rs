//! VN-2000 TM-3 grid coordinates ↔ WGS84 longitude/latitude, in pure Rust.
//!
//! VN-2000 uses the WGS84 ellipsoid but its own datum: a grid point is first turned into
//! VN-2000 geodetic coordinates with the Transverse Mercator inverse (Krüger series to n⁶,
//! Karney 2011: far below a millimetre inside a 3° zone), then shifted to WGS84 with the
//! EPSG:6960 Helmert transformation (7 parameters, coordinate-frame rotation convention),
//! which is what PROJ does for EPSG:5898 / EPSG:9216 → EPSG:4326.

/// WGS84 semi-major axis (m) and flattening; VN-2000 uses the same ellipsoid.
const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;
/// TM-3 scale on the central meridian and false easting (VN-2000 convention).
const K0: f64 = 0.9999;
const FALSE_EASTING: f64 = 500_000.0;

/// EPSG:6960 VN-2000 → WGS84: translations (m), rotations (arc-seconds, coordinate frame),
/// scale (ppm).
const TX: f64 = -191.904_414_29;
const TY: f64 = -39.303_182_79;
const TZ: f64 = -111.450_328_35;
const RX: f64 = -0.009_288_36;
const RY: f64 = 0.019_754_79;
const RZ: f64 = -0.004_273_72;
const DS_PPM: f64 = 0.252_906_278;

/// A coordinate reference system parcels may arrive in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Crs {
    /// WGS84 longitude/latitude (EPSG:4326, GeoJSON's default).
    Wgs84,
    /// VN-2000 TM-3 with the given central meridian in degrees.
    Vn2000Tm3 { meridian: f64 },
}

impl Crs {
    /// `EPSG:4326`, `EPSG:5898` (VN-2000 TM-3 108°), `EPSG:9216` (107°30'), `vn2000:<meridian>`
    /// (degrees, e.g. `vn2000:105.75`), also the OGC URN forms GeoJSON files carry
    /// (`urn:ogc:def:crs:EPSG::5898`, `urn:ogc:def:crs:OGC:1.3:CRS84`).
    pub fn parse(raw: &str) -> Option<Crs> {
        let s = raw.trim().to_ascii_lowercase();
        if let Some(m) = s.strip_prefix("vn2000:") {
            let meridian: f64 = m.trim().parse().ok()?;
            return (100.0..=120.0)
                .contains(&meridian)
                .then_some(Crs::Vn2000Tm3 { meridian });
        }
        let code = s
            .rsplit([':', '/'])
            .next()
            .filter(|c| !c.is_empty())
            .unwrap_or(&s);
        match code {
            "4326" | "crs84" | "wgs84" => Some(Crs::Wgs84),
            "5898" => Some(Crs::Vn2000Tm3 { meridian: 108.0 }),
            "9216" => Some(Crs::Vn2000Tm3 { meridian: 107.5 }),
            _ => None,
        }
    }

    /// The name stored with a parcel as its source CRS.
    pub fn name(&self) -> String {
        match *self {
            Crs::Wgs84 => "EPSG:4326".into(),
            Crs::Vn2000Tm3 { meridian: 108.0 } => "EPSG:5898".into(),
            Crs::Vn2000Tm3 { meridian: 107.5 } => "EPSG:9216".into(),
            Crs::Vn2000Tm3 { meridian } => format!("vn2000:{meridian}"),
        }
    }

    /// A source position `[x, y]` in this CRS as WGS84 `[lon, lat]`.
    pub fn to_wgs84(&self, x: f64, y: f64) -> [f64; 2] {
        match *self {
            Crs::Wgs84 => [x, y],
            Crs::Vn2000Tm3 { meridian } => vn2000_to_wgs84(x, y, meridian),
        }
    }

    /// Recognises the CRS a Shapefile's `.prj` (ESRI WKT) describes: WGS84 geographic, or a
    /// VN-2000 Transverse Mercator with scale 0.9999 and false easting 500,000, identified by
    /// its central meridian.
    pub fn from_prj(wkt: &str) -> Option<Crs> {
        let lower = wkt.to_ascii_lowercase();
        let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.starts_with("projcs") && !compact.starts_with("projcrs") {
            let wgs = compact.contains("wgs_1984")
                || compact.contains("wgs84")
                || compact.contains("wgs 1984");
            return wgs.then_some(Crs::Wgs84);
        }
        if !(compact.contains("vn_2000")
            || compact.contains("vn-2000")
            || compact.contains("vn2000"))
        {
            return None;
        }
        if !compact.contains("transverse_mercator") {
            return None;
        }
        let param = |name: &str| -> Option<f64> {
            let at = compact.find(&format!("parameter[\"{name}\","))?;
            let rest = &compact[at + name.len() + 13..];
            let end = rest.find(']')?;
            rest[..end].parse().ok()
        };
        let meridian = param("central_meridian")?;
        let scale = param("scale_factor").unwrap_or(K0);
        let fe = param("false_easting").unwrap_or(FALSE_EASTING);
        if (scale - K0).abs() > 1e-9 || (fe - FALSE_EASTING).abs() > 1e-6 {
            return None;
        }
        Crs::parse(&format!("vn2000:{meridian}"))
    }
}

/// Krüger series coefficients for the WGS84 ellipsoid.
struct Series {
    /// Rectifying radius times k0.
    ka: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
    e: f64,
}

fn series() -> Series {
    let n = F / (2.0 - F);
    let (n2, n3) = (n * n, n * n * n);
    let (n4, n5, n6) = (n3 * n, n3 * n2, n3 * n3);
    let a_rect = A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
    Series {
        ka: K0 * a_rect,
        alpha: [
            n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
                + 7891.0 * n6 / 37800.0,
            13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
                - 1983433.0 * n6 / 1935360.0,
            61.0 * n3 / 240.0 - 103.0 * n4 / 140.0
                + 15061.0 * n5 / 26880.0
                + 167603.0 * n6 / 181440.0,
            49561.0 * n4 / 161280.0 - 179.0 * n5 / 168.0 + 6601661.0 * n6 / 7257600.0,
            34729.0 * n5 / 80640.0 - 3418889.0 * n6 / 1995840.0,
            212378941.0 * n6 / 319334400.0,
        ],
        beta: [
            n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
                + 96199.0 * n6 / 604800.0,
            n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
                - 1118711.0 * n6 / 3870720.0,
            17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
            4397.0 * n4 / 161280.0 - 11.0 * n5 / 504.0 - 830251.0 * n6 / 7257600.0,
            4583.0 * n5 / 161280.0 - 108847.0 * n6 / 3991680.0,
            20648693.0 * n6 / 638668800.0,
        ],
        e: (F * (2.0 - F)).sqrt(),
    }
}

thread_local! {
    static SERIES: Series = series();
}

/// TM forward on the WGS84 ellipsoid: (lon, lat) degrees → (easting, northing) m.
fn tm_forward(s: &Series, lon: f64, lat: f64, meridian: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let lam = (lon - meridian).to_radians();
    let t = (phi.sin().atanh() - s.e * (s.e * phi.sin()).atanh()).sinh();
    let xi_p = t.atan2(lam.cos());
    let eta_p = (lam.sin() / (1.0 + t * t).sqrt()).atanh();
    let (mut xi, mut eta) = (xi_p, eta_p);
    for (j, a) in s.alpha.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        xi += a * (k * xi_p).sin() * (k * eta_p).cosh();
        eta += a * (k * xi_p).cos() * (k * eta_p).sinh();
    }
    (FALSE_EASTING + s.ka * eta, s.ka * xi)
}

/// TM inverse on the WGS84 ellipsoid: (easting, northing) m → (lon, lat) degrees.
fn tm_inverse(s: &Series, easting: f64, northing: f64, meridian: f64) -> (f64, f64) {
    let xi = northing / s.ka;
    let eta = (easting - FALSE_EASTING) / s.ka;
    let (mut xi_p, mut eta_p) = (xi, eta);
    for (j, b) in s.beta.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        xi_p -= b * (k * xi).sin() * (k * eta).cosh();
        eta_p -= b * (k * xi).cos() * (k * eta).sinh();
    }
    // Conformal latitude's tangent, then the geodetic latitude by Newton (Karney 2011, eq. 19-21).
    let tau_p = xi_p.sin() / (eta_p.sinh().powi(2) + xi_p.cos().powi(2)).sqrt();
    let lam = eta_p.sinh().atan2(xi_p.cos());
    let e2 = s.e * s.e;
    let mut tau = tau_p / (1.0 - e2);
    for _ in 0..8 {
        let sigma = (s.e * (s.e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
        let tau_i = tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt();
        let d = (tau_p - tau_i) / (1.0 + tau_i * tau_i).sqrt() * (1.0 + (1.0 - e2) * tau * tau)
            / ((1.0 - e2) * (1.0 + tau * tau).sqrt());
        tau += d;
        if d.abs() < 1e-14 {
            break;
        }
    }
    (meridian + lam.to_degrees(), tau.atan().to_degrees())
}

fn to_ecef(lon: f64, lat: f64) -> [f64; 3] {
    let e2 = F * (2.0 - F);
    let (phi, lam) = (lat.to_radians(), lon.to_radians());
    let n = A / (1.0 - e2 * phi.sin().powi(2)).sqrt();
    [
        n * phi.cos() * lam.cos(),
        n * phi.cos() * lam.sin(),
        n * (1.0 - e2) * phi.sin(),
    ]
}

/// Geocentric → (lon, lat) degrees; the height is dropped, as PROJ does for a 2D CRS.
fn from_ecef(p: [f64; 3]) -> (f64, f64) {
    let e2 = F * (2.0 - F);
    let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
    let lon = p[1].atan2(p[0]);
    let mut lat = p[2].atan2(r * (1.0 - e2));
    for _ in 0..10 {
        let n = A / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        let h = r / lat.cos() - n;
        let next = p[2].atan2(r * (1.0 - e2 * n / (n + h)));
        let done = (next - lat).abs() < 1e-15;
        lat = next;
        if done {
            break;
        }
    }
    (lon.to_degrees(), lat.to_degrees())
}

/// The EPSG:6960 rotation matrix (coordinate-frame convention) and scale.
fn helmert_matrix() -> ([[f64; 3]; 3], f64) {
    let sec = std::f64::consts::PI / (180.0 * 3600.0);
    let (rx, ry, rz) = (RX * sec, RY * sec, RZ * sec);
    (
        [[1.0, rz, -ry], [-rz, 1.0, rx], [ry, -rx, 1.0]],
        1.0 + DS_PPM * 1e-6,
    )
}

fn helmert_forward(p: [f64; 3]) -> [f64; 3] {
    let (r, m) = helmert_matrix();
    let t = [TX, TY, TZ];
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = t[i] + m * (r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2]);
    }
    out
}

/// Exact inverse of [`helmert_forward`] (a few fixed-point rounds; the rotation is tiny).
fn helmert_inverse(q: [f64; 3]) -> [f64; 3] {
    let mut p = [q[0] - TX, q[1] - TY, q[2] - TZ];
    for _ in 0..4 {
        let f = helmert_forward(p);
        for i in 0..3 {
            p[i] += q[i] - f[i];
        }
    }
    p
}

/// VN-2000 TM-3 grid (easting, northing in m, central meridian in degrees) → WGS84 [lon, lat].
pub fn vn2000_to_wgs84(easting: f64, northing: f64, meridian: f64) -> [f64; 2] {
    let (lon, lat) = SERIES.with(|s| tm_inverse(s, easting, northing, meridian));
    let (lon, lat) = from_ecef(helmert_forward(to_ecef(lon, lat)));
    [lon, lat]
}

/// WGS84 [lon, lat] → VN-2000 TM-3 grid [easting, northing] (for fixtures and round trips).
pub fn wgs84_to_vn2000(lon: f64, lat: f64, meridian: f64) -> [f64; 2] {
    let (vlon, vlat) = from_ecef(helmert_inverse(to_ecef(lon, lat)));
    let (e, n) = SERIES.with(|s| tm_forward(s, vlon, vlat, meridian));
    [e, n]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Every row of the PROJ oracle (copied from shared/data/vn2000_oracle.csv).
    const ORACLE: &str = include_str!("../../fixtures/import/vn2000_oracle.csv");

    fn rows() -> Vec<(String, f64, f64, f64, f64, f64)> {
        ORACLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("source_crs") && !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let n = |i: usize| f[i].parse::<f64>().unwrap();
                (f[0].to_string(), n(1), n(2), n(3), n(4), n(5))
            })
            .collect()
    }

    /// Metres per degree, for reporting errors as distances.
    const M_PER_DEG: f64 = 111_320.0;

    #[test]
    fn all_oracle_points_agree_to_a_centimetre() {
        let rows = rows();
        assert_eq!(rows.len(), 80);
        let mut worst = 0.0f64;
        for (crs, meridian, e, n, lon, lat) in &rows {
            let parsed = Crs::parse(crs).unwrap();
            assert_eq!(
                parsed,
                Crs::Vn2000Tm3 {
                    meridian: *meridian
                }
            );
            let [x, y] = parsed.to_wgs84(*e, *n);
            let dx = (x - lon).abs() * M_PER_DEG * lat.to_radians().cos();
            let dy = (y - lat).abs() * M_PER_DEG;
            worst = worst.max(dx.hypot(dy));
            assert!(
                (x - lon).abs() < 1e-7 && (y - lat).abs() < 1e-7,
                "{crs} {e} {n}: got {x} {y}, PROJ {lon} {lat}"
            );
        }
        // The oracle is rounded to 1e-9°, about 0.1 mm.
        assert!(worst < 0.01, "worst {worst} m");
    }

    #[test]
    fn forward_inverts_the_oracle() {
        for (_, meridian, e, n, lon, lat) in rows() {
            let [x, y] = wgs84_to_vn2000(lon, lat, meridian);
            assert!(
                (x - e).abs() < 0.01 && (y - n).abs() < 0.01,
                "{lon} {lat}: {x} {y} vs {e} {n}"
            );
        }
    }

    #[test]
    fn tm_round_trip_is_sub_millimetre_across_the_zone() {
        SERIES.with(|s| {
            for dl in [-1.5, -0.7, 0.0, 0.4, 1.5] {
                for lat in [8.5, 12.0, 15.3, 23.4] {
                    let (e, n) = tm_forward(s, 108.0 + dl, lat, 108.0);
                    let (lon, la) = tm_inverse(s, e, n, 108.0);
                    assert!((lon - 108.0 - dl).abs() < 1e-10 && (la - lat).abs() < 1e-10);
                }
            }
            // Central meridian at the equator: northing 0, easting 500 km.
            let (e, n) = tm_forward(s, 108.0, 0.0, 108.0);
            assert!((e - 500_000.0).abs() < 1e-6 && n.abs() < 1e-6);
        });
    }

    #[test]
    fn crs_names_parse_and_print() {
        assert_eq!(Crs::parse("EPSG:4326"), Some(Crs::Wgs84));
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::Wgs84)
        );
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:EPSG::5898"),
            Some(Crs::Vn2000Tm3 { meridian: 108.0 })
        );
        assert_eq!(
            Crs::parse("epsg:9216"),
            Some(Crs::Vn2000Tm3 { meridian: 107.5 })
        );
        assert_eq!(
            Crs::parse("vn2000:105.75"),
            Some(Crs::Vn2000Tm3 { meridian: 105.75 })
        );
        assert_eq!(Crs::parse("vn2000:abc"), None);
        assert_eq!(Crs::parse("EPSG:3857"), None);
        assert_eq!(Crs::Vn2000Tm3 { meridian: 108.0 }.name(), "EPSG:5898");
        assert_eq!(Crs::Vn2000Tm3 { meridian: 107.5 }.name(), "EPSG:9216");
        assert_eq!(Crs::Vn2000Tm3 { meridian: 105.75 }.name(), "vn2000:105.75");
    }

    #[test]
    fn prj_files_are_recognised_by_central_meridian() {
        let prj = r#"PROJCS["VN_2000_TM_3_108",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(Crs::from_prj(prj), Some(Crs::Vn2000Tm3 { meridian: 108.0 }));
        let kon_tum = prj.replace("108.0],PARAMETER[\"Scale", "107.5],PARAMETER[\"Scale");
        assert_eq!(
            Crs::from_prj(&kon_tum),
            Some(Crs::Vn2000Tm3 { meridian: 107.5 })
        );
        // UTM (scale 0.9996) is not TM-3.
        let utm = prj.replace("0.9999", "0.9996");
        assert_eq!(Crs::from_prj(&utm), None);
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(Crs::from_prj(wgs), Some(Crs::Wgs84));
    }
}
