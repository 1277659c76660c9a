//! SVG charts drawn on the server (plotters), shared by the dashboard, the public page and the
//! printable reports (issue 4). Pure functions: data and already-translated labels in, SVG text
//! out, so every caller draws the same chart. The status colours live here, once; the web map
//! reads them through `GET /api/v1/parcel-statuses`.
use chrono::{Datelike, Duration, NaiveDate};
use geo::{BoundingRect, MultiPolygon};
use plotters::prelude::*;
use std::fmt::Write as _;

use crate::domain::ParcelStatus;

/// The one colour table for parcel statuses (map fill, legend, charts), in `ParcelStatus::ALL`
/// order: greys and blues before agreement, greens after it, warm colours for disputes.
pub const STATUS_COLOURS: [(ParcelStatus, &str); 8] = [
    (ParcelStatus::NotContacted, "#a3a8ae"),
    (ParcelStatus::Contacted, "#8ecae6"),
    (ParcelStatus::Negotiating, "#f2b84b"),
    (ParcelStatus::Agreed, "#b5d96a"),
    (ParcelStatus::Paid, "#4caf7d"),
    (ParcelStatus::HandedOver, "#1a6e3a"),
    (ParcelStatus::Objecting, "#d7452b"),
    (ParcelStatus::InComplaint, "#8e44ad"),
];

pub fn status_colour(s: ParcelStatus) -> &'static str {
    STATUS_COLOURS
        .iter()
        .find(|(x, _)| *x == s)
        .map_or("#777777", |(_, c)| c)
}

fn rgb(hex: &str) -> RGBColor {
    let h = hex.trim_start_matches('#');
    let byte = |i: usize| {
        h.get(i..i + 2)
            .and_then(|b| u8::from_str_radix(b, 16).ok())
            .unwrap_or(0x77)
    };
    RGBColor(byte(0), byte(2), byte(4))
}

/// One week of the running totals (parcels or area) that reached each milestone by its end.
#[derive(Clone, Debug, PartialEq)]
pub struct WeekTotals {
    /// Monday of the week.
    pub week: NaiveDate,
    pub agreed: f64,
    pub paid: f64,
    pub handed_over: f64,
}

/// Texts of the progress chart, in the reader's language.
#[derive(Clone, Debug, Default)]
pub struct ProgressLabels {
    pub title: String,
    pub agreed: String,
    pub paid: String,
    pub handed_over: String,
    pub total: String,
    pub target: String,
    pub projection: String,
}

/// Width of the legend column beside the progress chart.
const LEGEND_WIDTH: u32 = 290;

/// Text sizes as given to plotters, which writes them into the SVG at 1/1.24 of that (20 →
/// `font-size="16.1"`). The charts are drawn 640–760 px wide and shown near that size (the
/// dashboard, the public page, an A4 page; a phone scrolls a 600 px chart), so labels read as
/// 12.7–16 px on screen and about 11 pt on paper; the 12 they had were ~7.5 px once scaled into a
/// half-width column.
pub const LABEL_PX: u32 = 20;
/// Chart titles.
pub const CAPTION_PX: u32 = 26;
/// The smallest `font-size` the SVG then carries.
pub const SMALLEST_SVG_FONT_PX: f64 = 16.0;

/// A straight-line projection of the handed-over trend to the whole project.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// Handed over per week (parcels or m²), fitted over the recent weeks.
    pub rate_per_week: f64,
    /// The week the trend reaches `total`.
    pub finish: NaiveDate,
    /// The projection starts here (the last week with data).
    pub from: NaiveDate,
    pub from_value: f64,
}

/// How many recent weeks the projection fits; older pace says little about the next months.
const PROJECTION_WEEKS: usize = 12;
/// Projections further out than this are no projection at all.
const MAX_PROJECTION_WEEKS: f64 = 520.0;

/// Least-squares slope of handed-over totals over the last weeks, extended to `total`.
/// None when nothing is left, there is no data, or the trend does not rise.
pub fn project_handover(weeks: &[WeekTotals], total: f64) -> Option<Projection> {
    let last = weeks.last()?;
    if last.handed_over >= total {
        return None;
    }
    let recent = &weeks[weeks.len().saturating_sub(PROJECTION_WEEKS)..];
    let x0 = recent.first()?.week;
    let pts: Vec<(f64, f64)> = recent
        .iter()
        .map(|w| ((w.week - x0).num_days() as f64 / 7.0, w.handed_over))
        .collect();
    let n = pts.len() as f64;
    let rate = if pts.len() < 2 {
        0.0
    } else {
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if sxx > 0.0 {
            sxy / sxx
        } else {
            0.0
        }
    };
    if rate <= 0.0 || !rate.is_finite() {
        return None;
    }
    let weeks_left = ((total - last.handed_over) / rate).ceil();
    if weeks_left > MAX_PROJECTION_WEEKS {
        return None;
    }
    Some(Projection {
        rate_per_week: rate,
        finish: last.week + Duration::weeks(weeks_left as i64),
        from: last.week,
        from_value: last.handed_over,
    })
}

fn day_number(d: NaiveDate) -> f64 {
    f64::from(d.num_days_from_ce())
}

fn date_of(x: f64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(x.round() as i32)
}

fn svg_error<E: std::fmt::Debug>(e: E) -> String {
    tracing::error!(error = ?e, "chart drawing failed");
    String::new()
}

/// Running totals of agreed, paid and handed-over parcels (or area) by week, the project's
/// total as a ceiling, the target handover date as a vertical line and the linear projection
/// of the handed-over trend as a dashed line. `value_label` formats the y axis.
pub fn progress_over_time_svg(
    weeks: &[WeekTotals],
    total: f64,
    target: Option<NaiveDate>,
    labels: &ProgressLabels,
    value_label: &dyn Fn(f64) -> String,
    size: (u32, u32),
) -> String {
    let projection = project_handover(weeks, total);
    let mut svg = String::new();
    let result = draw_progress(
        &mut svg,
        weeks,
        total,
        target,
        projection.as_ref(),
        labels,
        value_label,
        size,
    );
    match result {
        Ok(()) => svg,
        Err(e) => svg_error(e),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_progress(
    svg: &mut String,
    weeks: &[WeekTotals],
    total: f64,
    target: Option<NaiveDate>,
    projection: Option<&Projection>,
    labels: &ProgressLabels,
    value_label: &dyn Fn(f64) -> String,
    size: (u32, u32),
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE)?;
    let today = crate::legal::today_vn();
    let first = weeks.first().map_or(today, |w| w.week);
    let mut last = weeks.last().map_or(today, |w| w.week + Duration::days(7));
    if let Some(t) = target {
        last = last.max(t + Duration::days(14));
    }
    if let Some(p) = projection {
        last = last.max(p.finish + Duration::days(14));
    }
    let (x0, x1) = (day_number(first) - 7.0, day_number(last));
    let y_max = (total.max(1.0)) * 1.08;
    let (plot, side) = root.split_horizontally(size.0.saturating_sub(LEGEND_WIDTH));
    let mut legend: Vec<(String, RGBColor, u32)> = Vec::new();
    let mut chart = ChartBuilder::on(&plot)
        .caption(&labels.title, ("sans-serif", CAPTION_PX))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, 0f64..y_max)?;
    let x_fmt = |x: &f64| date_of(*x).map_or(String::new(), |d| d.format("%m/%Y").to_string());
    let y_fmt = |y: &f64| value_label(*y);
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .max_light_lines(0)
        .bold_line_style(RGBColor(230, 232, 235))
        .label_style(("sans-serif", LABEL_PX))
        .draw()?;

    let grey = RGBColor(110, 110, 110);
    chart.draw_series(LineSeries::new(
        [(x0, total), (x1, total)],
        grey.stroke_width(1),
    ))?;
    legend.push((labels.total.clone(), grey, 1));

    let series = [
        (ParcelStatus::Agreed, &labels.agreed, 0usize),
        (ParcelStatus::Paid, &labels.paid, 1),
        (ParcelStatus::HandedOver, &labels.handed_over, 2),
    ];
    for (status, label, idx) in series {
        let colour = rgb(status_colour(status));
        let points: Vec<(f64, f64)> = weeks
            .iter()
            .map(|w| {
                let v = [w.agreed, w.paid, w.handed_over][idx];
                (day_number(w.week + Duration::days(6)), v)
            })
            .collect();
        chart.draw_series(LineSeries::new(points, colour.stroke_width(3)))?;
        legend.push((label.clone(), colour, 3));
    }

    if let Some(p) = projection {
        let colour = rgb(status_colour(ParcelStatus::HandedOver));
        chart.draw_series(DashedLineSeries::new(
            [
                (day_number(p.from + Duration::days(6)), p.from_value),
                (day_number(p.finish), total),
            ],
            12,
            8,
            colour.stroke_width(2),
        ))?;
        legend.push((labels.projection.clone(), colour, 1));
    }
    if let Some(t) = target {
        let red = RGBColor(200, 30, 30);
        let x = day_number(t);
        chart.draw_series(LineSeries::new([(x, 0.0), (x, y_max)], red.stroke_width(2)))?;
        legend.push((
            format!("{} {}", labels.target, t.format("%d/%m/%Y")),
            red,
            2,
        ));
    }
    // The legend sits beside the plot, where no line can run under it.
    for (i, (label, colour, width)) in legend.iter().enumerate() {
        let y = 52 + i as i32 * 28;
        side.draw(&PathElement::new(
            [(6, y), (30, y)],
            colour.stroke_width(*width),
        ))?;
        side.draw(&Text::new(
            label.clone(),
            (36, y - 9),
            ("sans-serif", LABEL_PX).into_font(),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// One bar of a stacked bar chart: a label and the value of each status.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub values: Vec<(ParcelStatus, f64)>,
}

/// Horizontal bars, one per item, stacked by status in the status order and coloured from
/// `STATUS_COLOURS`, with a legend naming each status through `status_label`.
pub fn bars_svg(
    title: &str,
    bars: &[Bar],
    status_label: &dyn Fn(ParcelStatus) -> String,
    width: u32,
) -> String {
    let mut svg = String::new();
    let height = 96 + 34 * bars.len().max(1) as u32 + 30 * 2;
    match draw_bars(&mut svg, title, bars, status_label, (width, height)) {
        Ok(()) => svg,
        Err(e) => svg_error(e),
    }
}

fn draw_bars(
    svg: &mut String,
    title: &str,
    bars: &[Bar],
    status_label: &dyn Fn(ParcelStatus) -> String,
    size: (u32, u32),
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, legend_area) = root.split_vertically(size.1 - 62);
    let max = bars
        .iter()
        .map(|b| b.values.iter().map(|v| v.1).sum::<f64>())
        .fold(0.0, f64::max)
        .max(1.0);
    let n = bars.len().max(1);
    let label_width = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40) as u32
        * 9
        + 14;
    let mut chart = ChartBuilder::on(&upper)
        .caption(title, ("sans-serif", CAPTION_PX))
        .margin(10)
        .x_label_area_size(32)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0f64..max * 1.02, 0f64..n as f64)?;
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let y_fmt = |y: &f64| {
        // Labels sit at the middle of each band; bars are drawn from the top.
        let f = y - y.floor();
        if (f - 0.5).abs() > 0.01 {
            return String::new();
        }
        let i = n as isize - 1 - y.floor() as isize;
        usize::try_from(i)
            .ok()
            .and_then(|i| labels.get(i))
            .cloned()
            .unwrap_or_default()
    };
    let x_fmt = |x: &f64| format_number(*x);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&y_fmt)
        .x_label_formatter(&x_fmt)
        .x_labels(6)
        .light_line_style(RGBColor(236, 238, 240))
        .label_style(("sans-serif", LABEL_PX))
        .draw()?;
    for (i, bar) in bars.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let mut start = 0.0;
        for status in ParcelStatus::ALL {
            let v: f64 = bar
                .values
                .iter()
                .filter(|(s, _)| s == status)
                .map(|x| x.1)
                .sum();
            if v <= 0.0 {
                continue;
            }
            let colour = rgb(status_colour(*status));
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y + 0.15), (start + v, y + 0.85)],
                colour.filled(),
            )))?;
            start += v;
        }
    }
    // The legend: a swatch and the name of each status, in order, in two rows.
    let per_row = ParcelStatus::ALL.len().div_ceil(2);
    let cell = (size.0 as i32 - 20) / per_row as i32;
    for (i, status) in ParcelStatus::ALL.iter().enumerate() {
        let x = 10 + (i % per_row) as i32 * cell;
        let y = 6 + (i / per_row) as i32 * 28;
        let colour = rgb(status_colour(*status));
        legend_area.draw(&Rectangle::new([(x, y), (x + 16, y + 16)], colour.filled()))?;
        legend_area.draw(&Text::new(
            status_label(*status),
            (x + 22, y),
            ("sans-serif", LABEL_PX).into_font(),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Whole numbers with thin grouping, as both catalogues write them (1.234 / 1,234 differ, so
/// the charts use a plain space).
pub fn format_number(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A plain map of parcels coloured by status, drawn as SVG paths (one path per status) so it
/// shows without JavaScript. Rings smaller than half a pixel are left out; `title` becomes
/// the SVG's accessible name.
pub fn status_map_svg(
    parcels: &[(MultiPolygon<f64>, ParcelStatus)],
    width: u32,
    title: &str,
) -> String {
    let bounds = parcels
        .iter()
        .filter_map(|(g, _)| g.bounding_rect())
        .reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        });
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let Some(b) = bounds else {
        return format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="40" viewBox="0 0 {width} 40"><title>{}</title></svg>"#,
            esc(title)
        );
    };
    // Equirectangular, x shrunk by cos(latitude): true shapes at a project's scale.
    let k = f64::midpoint(b.min().y, b.max().y).to_radians().cos();
    let (w_deg, h_deg) = (
        ((b.max().x - b.min().x) * k).max(1e-9),
        (b.max().y - b.min().y).max(1e-9),
    );
    let pad = 8.0;
    let inner = f64::from(width) - 2.0 * pad;
    let scale = inner / w_deg;
    let height = (h_deg * scale + 2.0 * pad)
        .ceil()
        .min(f64::from(width) * 2.0);
    let scale = scale.min((height - 2.0 * pad) / h_deg);
    let project = |x: f64, y: f64| {
        (
            pad + (x - b.min().x) * k * scale,
            pad + (b.max().y - y) * scale,
        )
    };
    let mut paths: Vec<String> = vec![String::new(); ParcelStatus::ALL.len()];
    for (geom, status) in parcels {
        let Some(i) = ParcelStatus::ALL.iter().position(|s| s == status) else {
            continue;
        };
        let d = &mut paths[i];
        for poly in geom {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                let mut pts: Vec<(f64, f64)> = Vec::with_capacity(ring.0.len());
                for c in &ring.0 {
                    let (x, y) = project(c.x, c.y);
                    let (x, y) = ((x * 2.0).round() / 2.0, (y * 2.0).round() / 2.0);
                    if pts.last() != Some(&(x, y)) {
                        pts.push((x, y));
                    }
                }
                if pts.len() < 3 {
                    continue;
                }
                for (j, (x, y)) in pts.iter().enumerate() {
                    d.push_str(if j == 0 { "M" } else { "L" });
                    let _ = write!(d, "{x} {y}");
                }
                d.push('Z');
            }
        }
    }
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{h}" viewBox="0 0 {width} {h}"><title>{t}</title><rect width="100%" height="100%" fill="#f6f7f8"/>"##,
        h = height,
        t = esc(title)
    );
    for (i, d) in paths.iter().enumerate() {
        if d.is_empty() {
            continue;
        }
        let status = ParcelStatus::ALL[i];
        let _ = write!(
            out,
            r##"<path class="status-{s}" fill="{c}" fill-rule="evenodd" stroke="#ffffff" stroke-width="0.5" d="{d}"/>"##,
            s = status.as_str(),
            c = status_colour(status),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn week(i: i64, handed: f64) -> WeekTotals {
        let d = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap() + Duration::weeks(i);
        WeekTotals {
            week: d,
            agreed: handed * 2.0,
            paid: handed * 1.5,
            handed_over: handed,
        }
    }

    #[test]
    fn every_status_has_one_colour() {
        assert_eq!(STATUS_COLOURS.len(), ParcelStatus::ALL.len());
        for (i, s) in ParcelStatus::ALL.iter().enumerate() {
            assert_eq!(
                STATUS_COLOURS[i].0, *s,
                "colour table follows the status order"
            );
        }
        let mut colours: Vec<_> = STATUS_COLOURS.iter().map(|c| c.1).collect();
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), 8);
    }

    #[test]
    fn projection_extends_a_steady_trend() {
        let weeks: Vec<_> = (0..10).map(|i| week(i, 10.0 * i as f64)).collect();
        let p = project_handover(&weeks, 200.0).unwrap();
        assert!((p.rate_per_week - 10.0).abs() < 1e-9);
        // 90 handed over at week 9, 110 left at 10 a week: 11 more weeks.
        assert_eq!(p.finish, weeks[9].week + Duration::weeks(11));
        let flat: Vec<_> = (0..5).map(|i| week(i, 7.0)).collect();
        assert_eq!(project_handover(&flat, 200.0), None);
        assert_eq!(project_handover(&weeks, 90.0), None, "already done");
        assert_eq!(project_handover(&[], 10.0), None);
    }

    #[test]
    fn charts_are_svg_with_their_labels() {
        let weeks: Vec<_> = (0..10).map(|i| week(i, 5.0 * i as f64)).collect();
        let labels = ProgressLabels {
            title: "Tiến độ & kết quả".into(),
            agreed: "Đã đồng ý".into(),
            paid: "Đã chi trả".into(),
            handed_over: "Đã bàn giao".into(),
            total: "Tổng".into(),
            target: "Mục tiêu".into(),
            projection: "Dự báo".into(),
        };
        let svg = progress_over_time_svg(
            &weeks,
            100.0,
            NaiveDate::from_ymd_opt(2021, 6, 30),
            &labels,
            &|v| format_number(v),
            (700, 360),
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Đã bàn giao") && svg.contains("Tiến độ &amp; kết quả"));
        assert!(svg.contains("Mục tiêu 30/06/2021"));
        assert!(
            svg.contains(&status_colour(ParcelStatus::HandedOver).to_uppercase()),
            "{svg}"
        );

        let bars = [
            Bar {
                label: "Bình Đông".into(),
                values: vec![(ParcelStatus::Agreed, 3.0), (ParcelStatus::Paid, 2.0)],
            },
            Bar {
                label: "Bình Thuận".into(),
                values: vec![(ParcelStatus::HandedOver, 4.0)],
            },
        ];
        let svg = bars_svg("Theo xã", &bars, &|s| s.as_str().to_string(), 600);
        assert!(svg.contains("Bình Đông") && svg.contains("Bình Thuận"));
        assert!(
            svg.contains("in_complaint"),
            "the legend names every status"
        );
        assert_eq!(format_number(1234567.4), "1 234 567");
    }

    /// Every `font-size` of an SVG, in SVG pixels.
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.trim_end_matches("px").parse().ok())
            .collect()
    }

    #[test]
    fn chart_text_is_readable_size() {
        let weeks: Vec<_> = (0..10).map(|i| week(i, 5.0 * i as f64)).collect();
        let labels = ProgressLabels {
            title: "Tiến độ".into(),
            agreed: "Đã đồng ý".into(),
            paid: "Đã chi trả".into(),
            handed_over: "Đã bàn giao".into(),
            total: "Tổng".into(),
            target: "Mục tiêu".into(),
            projection: "Dự báo".into(),
        };
        let progress = progress_over_time_svg(
            &weeks,
            100.0,
            NaiveDate::from_ymd_opt(2021, 6, 30),
            &labels,
            &|v| format_number(v),
            (760, 380),
        );
        let bar = Bar {
            label: "Bình Đông".into(),
            values: vec![(ParcelStatus::Agreed, 3.0)],
        };
        let bars = bars_svg("Theo xã", &[bar], &|s| s.as_str().to_string(), 760);
        for svg in [progress, bars] {
            let sizes = font_sizes(&svg);
            assert!(!sizes.is_empty(), "{svg}");
            let smallest = sizes.iter().copied().fold(f64::MAX, f64::min);
            assert!(
                smallest >= SMALLEST_SVG_FONT_PX,
                "smallest text {smallest} px"
            );
        }
    }

    #[test]
    fn status_map_draws_each_status_once() {
        let a = MultiPolygon(vec![
            polygon![(x: 108.80, y: 15.38), (x: 108.81, y: 15.38), (x: 108.81, y: 15.39), (x: 108.80, y: 15.38)],
        ]);
        let b = MultiPolygon(vec![
            polygon![(x: 108.81, y: 15.38), (x: 108.82, y: 15.38), (x: 108.82, y: 15.39), (x: 108.81, y: 15.38)],
        ]);
        let svg = status_map_svg(
            &[
                (a.clone(), ParcelStatus::Paid),
                (b, ParcelStatus::Paid),
                (a, ParcelStatus::Objecting),
            ],
            400,
            "Bản đồ <dự án>",
        );
        assert_eq!(svg.matches("<path").count(), 2);
        assert_eq!(svg.matches("class=\"status-paid\"").count(), 1);
        assert!(svg.contains(status_colour(ParcelStatus::Objecting)));
        assert!(svg.contains("Bản đồ &lt;dự án&gt;"));
        assert!(status_map_svg(&[], 300, "x").contains("<title>x</title>"));
    }
}
