//! Where the demo parcels go: one square grid (in metres) over the six communes around Dung
//! Quất. A grid cell belongs to the commune with the nearest centroid among those whose
//! bounding box holds the cell; each commune takes the cells of its share nearest the project
//! centre, so a small data set stays close together and a large one fills the communes. One
//! parcel per cell, drawn inside the cell with a margin: parcels never overlap.
use geo::{ConvexHull, Coord, LineString, MultiPoint, Point, Polygon};

/// Metres per degree of latitude, and of longitude at the equator (local equirectangular frame;
/// over 20 km the error is far below a cell's margin).
const M_PER_DEG_LAT: f64 = 110_574.0;
const M_PER_DEG_LON_EQ: f64 = 111_320.0;

/// Cell side at small scale: parcels of 200–3,000 m² fit with a margin.
pub(crate) const BASE_CELL_M: f64 = 60.0;
/// A map sheet (tờ bản đồ) covers this many cells on a side.
const SHEET_CELLS: i64 = 24;
/// How far inside its box a commune's parcels start.
const SITE_INSET_M: f64 = 600.0;
/// Use at most this share of the available cells, so communes keep some open land.
const FILL: f64 = 0.9;

#[derive(Clone, Debug)]
pub(crate) struct CommuneArea {
    /// Centroid (lon, lat).
    pub centroid: (f64, f64),
    /// min_lon, min_lat, max_lon, max_lat.
    pub bbox: [f64; 4],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    pub col: i64,
    pub row: i64,
    /// Map sheet number within the commune, from 1.
    pub sheet: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub cell_m: f64,
    origin: (f64, f64),
    m_per_deg_lon: f64,
    /// Per commune (same order as the input), its cells in sheet order, north-west first.
    pub cells: Vec<Vec<Cell>>,
    /// The project boundary (lon/lat): the convex hull of the parcel area, drawn through the
    /// outermost cells so that the parcels on the rim straddle it.
    pub boundary: Polygon<f64>,
}

impl Layout {
    pub fn to_lonlat(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.origin.0 + x / self.m_per_deg_lon,
            self.origin.1 + y / M_PER_DEG_LAT,
        )
    }

    /// Metres → degrees of longitude / latitude here.
    pub fn deg_per_m(&self) -> (f64, f64) {
        (1.0 / self.m_per_deg_lon, 1.0 / M_PER_DEG_LAT)
    }

    #[cfg(test)]
    pub fn total_cells(&self) -> usize {
        self.cells.iter().map(Vec::len).sum()
    }
}

struct Frame {
    origin: (f64, f64),
    m_per_deg_lon: f64,
    width_m: f64,
    height_m: f64,
}

impl Frame {
    fn new(areas: &[CommuneArea]) -> Frame {
        let min_lon = areas
            .iter()
            .map(|a| a.bbox[0])
            .fold(f64::INFINITY, f64::min);
        let min_lat = areas
            .iter()
            .map(|a| a.bbox[1])
            .fold(f64::INFINITY, f64::min);
        let max_lon = areas
            .iter()
            .map(|a| a.bbox[2])
            .fold(f64::NEG_INFINITY, f64::max);
        let max_lat = areas
            .iter()
            .map(|a| a.bbox[3])
            .fold(f64::NEG_INFINITY, f64::max);
        let m_per_deg_lon = M_PER_DEG_LON_EQ * f64::midpoint(min_lat, max_lat).to_radians().cos();
        Frame {
            origin: (min_lon, min_lat),
            m_per_deg_lon,
            width_m: (max_lon - min_lon) * m_per_deg_lon,
            height_m: (max_lat - min_lat) * M_PER_DEG_LAT,
        }
    }

    fn to_xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.origin.0) * self.m_per_deg_lon,
            (lat - self.origin.1) * M_PER_DEG_LAT,
        )
    }
}

/// The cells each commune may use at this cell size: (col, row) lists.
fn candidates(
    frame: &Frame,
    areas: &[CommuneArea],
    sites: &[(f64, f64)],
    cell: f64,
) -> Vec<Vec<(i64, i64)>> {
    let boxes: Vec<[f64; 4]> = areas
        .iter()
        .map(|a| {
            let (x0, y0) = frame.to_xy(a.bbox[0], a.bbox[1]);
            let (x1, y1) = frame.to_xy(a.bbox[2], a.bbox[3]);
            [x0, y0, x1, y1]
        })
        .collect();
    let cols = (frame.width_m / cell).floor() as i64;
    let rows = (frame.height_m / cell).floor() as i64;
    let mut out = vec![Vec::new(); areas.len()];
    for row in 0..rows {
        let y0 = row as f64 * cell;
        let cy = y0 + cell / 2.0;
        for col in 0..cols {
            let x0 = col as f64 * cell;
            let cx = x0 + cell / 2.0;
            // Among the communes whose box holds the whole cell, the nearest site wins.
            let mut best = None;
            let mut best_d = f64::INFINITY;
            for (i, (c, b)) in sites.iter().zip(&boxes).enumerate() {
                if x0 < b[0] || y0 < b[1] || x0 + cell > b[2] || y0 + cell > b[3] {
                    continue;
                }
                let d = (c.0 - cx).powi(2) + (c.1 - cy).powi(2);
                if d < best_d {
                    best_d = d;
                    best = Some(i);
                }
            }
            if let Some(i) = best {
                out[i].push((col, row));
            }
        }
    }
    out
}

/// Where each commune's parcels start (metres): the point of its box nearest the project
/// centre, kept `SITE_INSET_M` inside the box; a commune whose box holds the centre starts
/// `SITE_INSET_M` from it towards its own centroid. Small data sets then sit close together.
fn sites(frame: &Frame, areas: &[CommuneArea], centre: (f64, f64)) -> Vec<(f64, f64)> {
    areas
        .iter()
        .map(|a| {
            let (x0, y0) = frame.to_xy(a.bbox[0], a.bbox[1]);
            let (x1, y1) = frame.to_xy(a.bbox[2], a.bbox[3]);
            let inset_x = SITE_INSET_M.min((x1 - x0) / 2.0);
            let inset_y = SITE_INSET_M.min((y1 - y0) / 2.0);
            let x = centre.0.clamp(x0 + inset_x, x1 - inset_x);
            let y = centre.1.clamp(y0 + inset_y, y1 - inset_y);
            if (x - centre.0).abs() > 1.0 || (y - centre.1).abs() > 1.0 {
                return (x, y);
            }
            let (cx, cy) = frame.to_xy(a.centroid.0, a.centroid.1);
            let d = ((cx - centre.0).powi(2) + (cy - centre.1).powi(2)).sqrt();
            if d < 1.0 {
                return centre;
            }
            let k = SITE_INSET_M.min(d) / d;
            (
                centre.0 + (cx - centre.0) * k,
                centre.1 + (cy - centre.1) * k,
            )
        })
        .collect()
}

/// Split `n` in proportion to `capacity` (largest remainder), never above a capacity; the first
/// commune gets at least one when `n > 0`.
pub(crate) fn apportion(n: usize, capacity: &[usize]) -> Vec<usize> {
    let total: usize = capacity.iter().sum();
    if total == 0 || n == 0 {
        return vec![0; capacity.len()];
    }
    let mut shares: Vec<usize> = Vec::with_capacity(capacity.len());
    let mut rems: Vec<(f64, usize)> = Vec::with_capacity(capacity.len());
    for (i, c) in capacity.iter().enumerate() {
        let exact = n as f64 * *c as f64 / total as f64;
        let floor = (exact.floor() as usize).min(*c);
        shares.push(floor);
        rems.push((exact - floor as f64, i));
    }
    rems.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut left = n.saturating_sub(shares.iter().sum());
    while left > 0 {
        let mut gave = false;
        for (_, i) in &rems {
            if left == 0 {
                break;
            }
            if shares[*i] < capacity[*i] {
                shares[*i] += 1;
                left -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    if shares[0] == 0 && capacity[0] > 0 {
        if let Some(donor) = (1..shares.len()).max_by_key(|i| shares[*i]) {
            if shares[donor] > 0 {
                shares[donor] -= 1;
                shares[0] += 1;
            }
        }
    }
    shares
}

/// Lays out `n` parcels over the communes. Errors when `n` would need cells under 3 m.
pub(crate) fn layout(
    areas: &[CommuneArea],
    n: usize,
    project_centre: (f64, f64),
) -> Result<Layout, String> {
    if areas.is_empty() {
        return Err("no communes to place parcels in".into());
    }
    let frame = Frame::new(areas);
    let (px, py) = frame.to_xy(project_centre.0, project_centre.1);
    let sites = sites(&frame, areas, (px, py));
    let mut cell = BASE_CELL_M;
    let mut cands;
    loop {
        cands = candidates(&frame, areas, &sites, cell);
        let total: usize = cands.iter().map(Vec::len).sum();
        let usable = (total as f64 * FILL).floor();
        if n == 0 || usable >= n as f64 {
            break;
        }
        cell *= ((usable / n as f64).sqrt() * 0.98).clamp(0.3, 0.98);
        if cell < 3.0 {
            return Err(format!("{n} parcels do not fit in the demo communes"));
        }
    }
    let capacity: Vec<usize> = cands
        .iter()
        .map(|c| (c.len() as f64 * FILL).floor() as usize)
        .collect();
    let shares = apportion(n, &capacity);

    let mut cells = Vec::with_capacity(areas.len());
    // Hull input: per row, the westmost and eastmost chosen cell of each commune.
    let mut rim: Vec<(f64, f64)> = Vec::new();
    for ((cand, share), site) in cands.into_iter().zip(shares).zip(&sites) {
        let mut cand = cand;
        let dist = |c: &(i64, i64)| {
            let x = (c.0 as f64 + 0.5) * cell - site.0;
            let y = (c.1 as f64 + 0.5) * cell - site.1;
            x * x + y * y
        };
        let order = |a: &(i64, i64), b: &(i64, i64)| dist(a).total_cmp(&dist(b)).then(a.cmp(b));
        if share < cand.len() && share > 0 {
            cand.select_nth_unstable_by(share - 1, order);
        }
        cand.truncate(share);
        // Sheet order: sheets north to south, west to east; within a sheet, rows north to
        // south, cells west to east.
        let sheet_key = |c: &(i64, i64)| (-(c.1 / SHEET_CELLS), c.0 / SHEET_CELLS, -c.1, c.0);
        cand.sort_by_key(sheet_key);
        let mut out = Vec::with_capacity(cand.len());
        let mut sheet = 0u32;
        let mut last_key = None;
        let mut row_extremes: std::collections::BTreeMap<i64, (i64, i64)> =
            std::collections::BTreeMap::default();
        for c in &cand {
            let k = (c.1 / SHEET_CELLS, c.0 / SHEET_CELLS);
            if last_key != Some(k) {
                sheet += 1;
                last_key = Some(k);
            }
            out.push(Cell {
                col: c.0,
                row: c.1,
                sheet,
            });
            let e = row_extremes.entry(c.1).or_insert((c.0, c.0));
            e.0 = e.0.min(c.0);
            e.1 = e.1.max(c.0);
        }
        for (row, (w, e)) in row_extremes {
            for col in [w, e] {
                // A quarter cell out from the centre: small parcels on the rim stay inside,
                // larger ones straddle the boundary.
                for (dx, dy) in [(-0.25, -0.25), (0.25, -0.25), (0.25, 0.25), (-0.25, 0.25)] {
                    rim.push((
                        (col as f64 + 0.5 + dx) * cell,
                        (row as f64 + 0.5 + dy) * cell,
                    ));
                }
            }
        }
        cells.push(out);
    }

    let layout_frame = Layout {
        cell_m: cell,
        origin: frame.origin,
        m_per_deg_lon: frame.m_per_deg_lon,
        cells,
        boundary: Polygon::new(LineString::new(vec![]), vec![]),
    };
    let boundary = if rim.is_empty() {
        // No parcels: a small square around the project centre.
        let h = BASE_CELL_M * 10.0;
        square(&layout_frame, px, py, h)
    } else {
        let pts: MultiPoint<f64> = rim
            .iter()
            .map(|(x, y)| {
                let (lon, lat) = layout_frame.to_lonlat(*x, *y);
                Point::new(lon, lat)
            })
            .collect();
        pts.convex_hull()
    };
    Ok(Layout {
        boundary,
        ..layout_frame
    })
}

fn square(l: &Layout, x: f64, y: f64, half: f64) -> Polygon<f64> {
    let pts: Vec<Coord<f64>> = [
        (-1.0, -1.0),
        (1.0, -1.0),
        (1.0, 1.0),
        (-1.0, 1.0),
        (-1.0, -1.0),
    ]
    .iter()
    .map(|(dx, dy)| {
        let (lon, lat) = l.to_lonlat(x + dx * half, y + dy * half);
        Coord { x: lon, y: lat }
    })
    .collect();
    Polygon::new(LineString::new(pts), vec![])
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn areas() -> Vec<CommuneArea> {
        // Bình Thuận, Bình Đông, Bình Trị, Bình Hải, Bình Phước, Bình Hòa (admin_units_legacy.csv).
        vec![
            CommuneArea {
                centroid: (108.819501, 15.392134),
                bbox: [108.793702, 15.355459, 108.837755, 15.426875],
            },
            CommuneArea {
                centroid: (108.789798, 15.366651),
                bbox: [108.773489, 15.335326, 108.805053, 15.394522],
            },
            CommuneArea {
                centroid: (108.837324, 15.340065),
                bbox: [108.799753, 15.311216, 108.857303, 15.364936],
            },
            CommuneArea {
                centroid: (108.86109, 15.315553),
                bbox: [108.845243, 15.280832, 108.884254, 15.355625],
            },
            CommuneArea {
                centroid: (108.801679, 15.309493),
                bbox: [108.774176, 15.273298, 108.833056, 15.341926],
            },
            CommuneArea {
                centroid: (108.837324, 15.295179),
                bbox: [108.807564, 15.266425, 108.867774, 15.317135],
            },
        ]
    }

    #[test]
    fn apportion_sums_and_respects_capacity() {
        assert_eq!(apportion(10, &[5, 5]), vec![5, 5]);
        assert_eq!(apportion(7, &[1, 100]).iter().sum::<usize>(), 7);
        assert_eq!(apportion(1, &[10, 1000])[0], 1);
        assert_eq!(apportion(0, &[3, 4]), vec![0, 0]);
        let s = apportion(1000, &[300, 200, 500]);
        assert_eq!(s, vec![300, 200, 500]);
    }

    #[test]
    fn small_layout_is_compact_and_cells_unique() {
        let l = layout(&areas(), 2000, (108.8245, 15.3365)).expect("layout");
        assert_eq!(l.total_cells(), 2000);
        assert_eq!(l.cell_m, BASE_CELL_M);
        let mut all: Vec<(i64, i64)> = l.cells.iter().flatten().map(|c| (c.col, c.row)).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 2000);
        assert!(l.cells.iter().all(|c| !c.is_empty()));
        assert!(l.boundary.exterior().0.len() >= 4);
    }

    #[test]
    fn large_layout_shrinks_cells() {
        let l = layout(&areas(), 200_000, (108.8245, 15.3365)).expect("layout");
        assert_eq!(l.total_cells(), 200_000);
        assert!(l.cell_m < BASE_CELL_M);
    }
}
