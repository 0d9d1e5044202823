//! Size against quality on a log axis of bytes: the report's artifacts (similarity on the
//! left, tagging accuracy on the right), and the quality-per-byte curves.

use crate::curve::{series_name, Curve, Point, Series};
use crate::report::{Report, Row};
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;

/// A panel: its title, and each row's score (or `None` for rows it does not show).
struct Panel {
    title: &'static str,
    y_desc: &'static str,
    score: fn(&Row) -> Option<f64>,
}

const PANELS: [Panel; 2] = [
    Panel {
        title: "word similarity",
        y_desc: "mean Spearman",
        score: |r| r.quality.similarity,
    },
    Panel {
        title: "POS tagging (test)",
        y_desc: "accuracy %",
        score: |r| r.quality.tagging.map(|a| 100.0 * a),
    },
];

/// Writes the plot to `path` as SVG.
pub fn svg(report: &Report, path: &Path) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| anyhow!("{}: {e}", path.display());
    let root = SVGBackend::new(path, (1200, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let halves = root.split_evenly((1, 2));
    for (area, panel) in halves.iter().zip(&PANELS) {
        draw(area, panel, report).map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))
}

fn draw(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    panel: &Panel,
    report: &Report,
) -> Result<(), Box<dyn std::error::Error>> {
    let points: Vec<(f64, f64, String)> = report
        .rows
        .iter()
        .filter_map(|r| Some((r.disk_bytes as f64, (panel.score)(r)?, r.label.clone())))
        .collect();
    // Empty panels keep a sensible frame; a lone point gets room around it.
    let ((x_lo, x_hi), (y_lo, y_hi)) = match (
        span(points.iter().map(|p| p.0)),
        span(points.iter().map(|p| p.1)),
    ) {
        (Some((x_lo, x_hi)), Some((lo, hi))) => {
            let pad = ((hi - lo) * 0.15).max(0.01 * hi.abs().max(1e-3));
            ((x_lo / 3.0, x_hi * 3.0), (lo - pad, hi + pad))
        }
        _ => ((1e3, 1e8), (0.0, 1.0)),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc("bytes on disk (log)")
        .y_desc(panel.y_desc)
        .x_label_formatter(&|b| human_bytes(*b))
        .draw()?;
    let pixels: Vec<(i32, i32)> = points
        .iter()
        .map(|(x, y, _)| chart.backend_coord(&(*x, *y)))
        .collect();
    let offsets = label_offsets(&pixels);
    chart.draw_series(points.iter().zip(offsets).map(|((x, y, name), dy)| {
        EmptyElement::at((*x, *y))
            + Circle::new((0, 0), 4, BLUE.filled())
            + Text::new(name.clone(), (7, dy), ("sans-serif", 11))
    }))?;
    Ok(())
}

/// The curves' panels: a point's score, and the axis it is read on.
type CurveScore = (&'static str, &'static str, fn(&Point) -> Option<f64>);
const CURVE_PANELS: [CurveScore; 2] = [
    ("word similarity, every pair", "mean Spearman", |p| {
        Some(p.similarity_average)
    }),
    ("analogy, every question", "accuracy %", |p| {
        p.analogy.map(|a| 100.0 * a)
    }),
];

/// Writes the quality-per-byte curves (hybrid and truncated table, the full table as a
/// point) to `path` as SVG; the analogy panel only when analogies were scored.
pub fn curve_svg(curve: &Curve, path: &Path) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| anyhow!("{}: {e}", path.display());
    let has_analogy = curve.points.iter().any(|p| p.analogy.is_some());
    let panels = if has_analogy { 2 } else { 1 };
    let root = SVGBackend::new(path, (600 * panels as u32, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    for (area, panel) in root.split_evenly((1, panels)).iter().zip(&CURVE_PANELS) {
        draw_curves(area, panel, curve).map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))
}

fn draw_curves(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    &(title, y_desc, score): &CurveScore,
    curve: &Curve,
) -> Result<(), Box<dyn std::error::Error>> {
    let scored: Vec<(Series, f64, f64)> = (curve.points.iter())
        .filter_map(|p| Some((p.series, p.bytes as f64, score(p)?)))
        .collect();
    let (x_lo, x_hi) = span(scored.iter().map(|p| p.1)).unwrap_or((1e3, 1e8));
    let (y_lo, y_hi) = span(scored.iter().map(|p| p.2)).unwrap_or((0.0, 1.0));
    let pad = ((y_hi - y_lo) * 0.1).max(1e-3);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(
            (x_lo / 1.5..x_hi * 1.5).log_scale(),
            (y_lo - pad)..(y_hi + pad),
        )?;
    chart
        .configure_mesh()
        .x_desc("bytes (log)")
        .y_desc(y_desc)
        .x_label_formatter(&|b| human_bytes(*b))
        .draw()?;
    for (series, color) in [
        (Series::Hybrid, BLUE),
        (Series::Truncated, RED),
        (Series::Full, BLACK),
    ] {
        let mut line: Vec<(f64, f64)> = (scored.iter())
            .filter(|p| p.0 == series)
            .map(|p| (p.1, p.2))
            .collect();
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(series_name(series))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The smallest and largest of `values`, if any.
fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Label height in pixels, and how far right of its point a label may reach.
const LINE: i32 = 13;
const LABEL_WIDTH: i32 = 170;

/// Each label's vertical offset from its point: just above it, or pushed down below the
/// labels already placed nearby (points of equal size and close scores would print over
/// each other).
fn label_offsets(pixels: &[(i32, i32)]) -> Vec<i32> {
    let mut order: Vec<usize> = (0..pixels.len()).collect();
    order.sort_by_key(|&i| pixels[i].1);
    let mut placed: Vec<(i32, i32)> = Vec::new();
    let mut offsets = vec![0; pixels.len()];
    for i in order {
        let (x, y) = pixels[i];
        let mut top = y - LINE;
        while let Some(&(_, below)) = placed
            .iter()
            .find(|(px, py)| (px - x).abs() < LABEL_WIDTH && (py - top).abs() < LINE)
        {
            top = below + LINE;
        }
        placed.push((x, top));
        offsets[i] = top - y;
    }
    offsets
}

fn human_bytes(b: f64) -> String {
    match b {
        b if b >= 1e9 => format!("{:.0} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.0} MB", b / 1e6),
        b if b >= 1e3 => format!("{:.0} kB", b / 1e3),
        b => format!("{b:.0} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_nearby_points_do_not_overlap() {
        // Three points at one size with scores a pixel apart, one far to the right.
        let offsets = label_offsets(&[(100, 200), (100, 201), (102, 199), (600, 200)]);
        let tops = [200 + offsets[0], 201 + offsets[1], 199 + offsets[2]];
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            assert!((tops[a] - tops[b]).abs() >= LINE, "{tops:?}");
        }
        assert_eq!(offsets[3], -LINE);
    }
}
