//! The theory's phase diagram in the style of Brunel (2000) Fig. 2: the boundary lines of
//! `theory::boundaries` over g (x) and eta (y), a legend naming each line, the regions named
//! where there is room, and the four states of Fig. 8 marked.

use super::heatmap::regime_colour;
use super::{ensure_font, Area, Chart, PlotError, FONT_FAMILY};
use crate::analysis::classify::Regime;
use crate::plot_try;
use crate::theory::boundaries::{Boundaries, BoundaryKind, BoundaryLine};
use plotters::prelude::*;
use std::path::Path;

/// Brunel's four Fig. 8 states (name, g, eta).
pub const FIG8_STATES: [(&str, f64, f64); 4] = [
    ("A", 3.0, 2.0),
    ("B", 6.0, 4.0),
    ("C", 5.0, 2.0),
    ("D", 4.5, 0.9),
];

/// How one line is drawn.
#[derive(Debug, Clone, Copy)]
struct LineStyle {
    colour: RGBColor,
    width: u32,
    dashed: bool,
}

/// Hopf lines solid in the colour of the regime they lead into (thin where both sides have
/// one label), rate cuts dashed in that colour, saddle-nodes dashed black.
fn style(line: &BoundaryLine) -> LineStyle {
    let (left, right) = line.name.split_once('|').unwrap_or(("", ""));
    let side = |s: &str| Regime::from_label(s);
    // The regime entered across the line: the one that is not AI (or the right one).
    let entered = match (side(left), side(right)) {
        (Some(Regime::AI), Some(r)) | (Some(r), Some(Regime::AI)) => Some(r),
        (_, r) => r,
    };
    let colour = match entered {
        Some(Regime::Quiescent) => RGBColor(110, 110, 110),
        Some(r) => regime_colour(r),
        None => BLACK,
    };
    match line.kind {
        BoundaryKind::Hopf => LineStyle {
            colour,
            width: if left == right { 1 } else { 3 },
            dashed: false,
        },
        BoundaryKind::RateCut | BoundaryKind::CvCut => LineStyle {
            colour,
            width: 2,
            dashed: true,
        },
        BoundaryKind::SaddleNode => LineStyle {
            colour: BLACK,
            width: 2,
            dashed: true,
        },
    }
}

/// The band of eta around the external drive's threshold (eta = 1) where the slow line,
/// the saddle-nodes and the quiescent cut crowd together: drawn again, stretched, below the
/// main panel when the region holds it and is much taller.
const ZOOM_ETA: (f64, f64) = (0.78, 1.02);

/// Draws the phase diagram of `b` to `path` (PNG) with `title` above it.
pub fn phase_diagram(b: &Boundaries, path: &Path, title: &str) -> Result<(), PlotError> {
    ensure_font();
    let r = b.region;
    let zoom = (ZOOM_ETA.0.max(r.eta_min), ZOOM_ETA.1.min(r.eta_max));
    let with_zoom = zoom.1 - zoom.0 > 0.1 && r.eta_max - r.eta_min > 3.0 * (zoom.1 - zoom.0);
    let height = if with_zoom { 1090 } else { 800 };
    let root = BitMapBackend::new(path, (1250, height)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let root = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(PlotError::at(path))?;
    let (top, bottom) = root.split_vertically(if with_zoom { 770 } else { height });
    let (main, legend) = top.split_horizontally(900);
    panel(
        &main,
        path,
        b,
        (r.eta_min, r.eta_max),
        "η = ν_ext/ν_thr (external drive)",
    )?;
    if with_zoom {
        let (zoomed, note) = bottom.split_horizontally(900);
        panel(&zoomed, path, b, zoom, "η (zoom)")?;
        plot_try!(
            path,
            note.draw(&Text::new(
                format!("below: eta {}–{} stretched", zoom.0, zoom.1),
                (10, 20),
                (FONT_FAMILY, 15).into_font().color(&BLACK.mix(0.7))
            ))
        );
    }
    draw_legend(&legend, path, b)?;
    plot_try!(path, root.present());
    Ok(())
}

/// One chart of the lines over the region's g range and the eta range `eta`.
fn panel(
    area: &plotters::drawing::DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    path: &Path,
    b: &Boundaries,
    eta: (f64, f64),
    y_desc: &str,
) -> Result<(), PlotError> {
    let r = b.region;
    let mut chart = plot_try!(
        path,
        ChartBuilder::on(area)
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(65)
            .build_cartesian_2d(r.g_min..r.g_max, eta.0..eta.1)
    );
    plot_try!(
        path,
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
            .x_desc("g (relative strength of inhibition)")
            .y_desc(y_desc)
            .label_style((FONT_FAMILY, 17))
            .axis_desc_style((FONT_FAMILY, 19))
            .draw()
    );
    for line in &b.lines {
        draw_line(&mut chart, path, line, eta)?;
    }
    let marks = draw_states(&mut chart, path, b, eta)?;
    draw_region_names(&mut chart, path, b, &marks)?;
    Ok(())
}

/// The parts of a polyline inside eta_lo ≤ eta ≤ eta_hi, cut where it leaves the band.
fn clip(points: &[(f64, f64)], (lo, hi): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: &(f64, f64)| (lo..=hi).contains(&p.1);
    let cut = |a: (f64, f64), b: (f64, f64)| {
        let edge = if b.1 > hi || a.1 > hi { hi } else { lo };
        let t = (edge - a.1) / (b.1 - a.1);
        (a.0 + t * (b.0 - a.0), edge)
    };
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let prev = i.checked_sub(1).map(|k| points[k]);
        match (prev, inside(p)) {
            (Some(q), true) if !inside(&q) => cur.push(cut(q, *p)),
            (Some(q), false) if inside(&q) => {
                cur.push(cut(q, *p));
                runs.push(std::mem::take(&mut cur));
            }
            _ => {}
        }
        if inside(p) {
            cur.push(*p);
        }
    }
    runs.push(cur);
    runs.retain(|r| r.len() >= 2);
    runs
}

fn draw_line(
    chart: &mut Chart<'_, '_>,
    path: &Path,
    line: &BoundaryLine,
    eta: (f64, f64),
) -> Result<(), PlotError> {
    let s = style(line);
    let pts: Vec<(f64, f64)> = line
        .points
        .iter()
        .filter(|p| p.g.is_finite() && p.eta.is_finite())
        .map(|p| (p.g, p.eta))
        .collect();
    let stroke = s.colour.stroke_width(s.width);
    for run in clip(&pts, eta) {
        if s.dashed {
            plot_try!(
                path,
                chart.draw_series(DashedLineSeries::new(run, 9, 6, stroke))
            );
        } else {
            plot_try!(path, chart.draw_series(LineSeries::new(run, stroke)));
        }
    }
    Ok(())
}

/// Marks Brunel's Fig. 8 states inside the region; returns their pixel positions.
fn draw_states(
    chart: &mut Chart<'_, '_>,
    path: &Path,
    b: &Boundaries,
    (lo, hi): (f64, f64),
) -> Result<Vec<(i32, i32)>, PlotError> {
    let mut marks = Vec::new();
    for (name, g, eta) in FIG8_STATES {
        if !b.region.contains(g, eta) || !(lo..=hi).contains(&eta) {
            continue;
        }
        plot_try!(
            path,
            chart.draw_series(std::iter::once(Circle::new((g, eta), 5, BLACK.filled())))
        );
        let font = (FONT_FAMILY, 19).into_font().style(FontStyle::Bold);
        let at = chart.backend_coord(&(g, eta));
        let text_at = (at.0 + 7, at.1 - 24);
        plot_try!(
            path,
            chart.plotting_area().strip_coord_spec().draw(&Text::new(
                name.to_string(),
                relative(chart, text_at),
                font
            ))
        );
        marks.push(at);
    }
    Ok(marks)
}

/// A backend pixel position relative to the plotting area's top-left corner.
fn relative(chart: &Chart<'_, '_>, p: (i32, i32)) -> (i32, i32) {
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    (p.0 - xr.start, p.1 - yr.start)
}

/// The name printed for a region.
fn region_name(r: Regime) -> Option<&'static str> {
    match r {
        Regime::Quiescent => Some("Q"),
        Regime::SR => Some("SR"),
        Regime::AR => Some("AR"),
        Regime::AI => Some("AI"),
        Regime::SIFast => Some("SI fast"),
        Regime::SISlow => Some("SI slow"),
        Regime::Unclassified | Regime::Failed => None,
    }
}

/// Whether the segments p–q and a–c cross.
fn crosses(p: (f64, f64), q: (f64, f64), a: (f64, f64), c: (f64, f64)) -> bool {
    let side = |o: (f64, f64), u: (f64, f64), v: (f64, f64)| {
        (u.0 - o.0) * (v.1 - o.1) - (u.1 - o.1) * (v.0 - o.0)
    };
    side(p, q, a) * side(p, q, c) < 0.0 && side(a, c, p) * side(a, c, q) < 0.0
}

/// Distance (px) from p to the segment a–b.
fn seg_dist(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let dd = dx * dx + dy * dy;
    let t = if dd > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / dd).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

/// Pixel geometry of a panel for placing names: the lines as segments and the frame.
struct NameSpace {
    segs: Vec<((f64, f64), (f64, f64))>,
    frame: (f64, f64, f64, f64),
}

impl NameSpace {
    fn of(chart: &Chart<'_, '_>, b: &Boundaries) -> NameSpace {
        let px = |g: f64, eta: f64| {
            let (x, y) = chart.backend_coord(&(g, eta));
            (x as f64, y as f64)
        };
        let segs = b
            .lines
            .iter()
            .flat_map(|l| {
                l.points
                    .windows(2)
                    .map(|w| (px(w[0].g, w[0].eta), px(w[1].g, w[1].eta)))
                    .collect::<Vec<_>>()
            })
            .collect();
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let frame = (
            xr.start as f64,
            yr.start as f64,
            xr.end as f64,
            yr.end as f64,
        );
        NameSpace { segs, frame }
    }

    fn inside(&self, p: (f64, f64)) -> bool {
        let (x0, y0, x1, y1) = self.frame;
        p.0 >= x0 && p.0 <= x1 && p.1 >= y0 && p.1 <= y1
    }

    /// Clearance of a text centre: to lines, to the frame (allowing for the text's half
    /// width), to marks and names already placed.
    fn clearance(&self, p: (f64, f64), half_w: f64, placed: &[(f64, f64)]) -> f64 {
        let (x0, y0, x1, y1) = self.frame;
        let lines = self
            .segs
            .iter()
            .map(|&(a, c)| seg_dist(p, a, c))
            .fold(f64::INFINITY, f64::min);
        let frame = (p.0 - x0 - half_w)
            .min(x1 - p.0 - half_w)
            .min(p.1 - y0 - 12.0)
            .min(y1 - p.1 - 12.0);
        let others = placed
            .iter()
            .map(|q| ((p.0 - q.0).abs() - half_w).max((p.1 - q.1).abs() - 14.0))
            .fold(f64::INFINITY, f64::min);
        lines.min(frame).min(others)
    }

    /// The freest spot on rings around `anchor` (for a name that does not fit inside).
    fn free_spot(&self, anchor: (f64, f64), half_w: f64, placed: &[(f64, f64)]) -> (f64, f64) {
        let mut free = (anchor, f64::NEG_INFINITY);
        for radius in [40.0, 60.0, 85.0, 115.0] {
            for k in 0..24 {
                let a = k as f64 * std::f64::consts::TAU / 24.0;
                let p = (anchor.0 + radius * a.cos(), anchor.1 + radius * a.sin());
                let c = self.clearance(p, half_w, placed);
                if c > free.1 {
                    free = (p, c);
                }
            }
            if free.1 >= 14.0 {
                break;
            }
        }
        free.0
    }
}

/// Where each region is known to be (pixels): the scan's samples, and points beside every
/// "left|right" line ([`beside_lines`]).
fn region_candidates(
    chart: &Chart<'_, '_>,
    b: &Boundaries,
    space: &NameSpace,
) -> Vec<(Regime, (f64, f64))> {
    let px = |g: f64, eta: f64| {
        let (x, y) = chart.backend_coord(&(g, eta));
        (x as f64, y as f64)
    };
    let mut out: Vec<(Regime, (f64, f64))> = b
        .samples
        .iter()
        .map(|s| (s.regime, px(s.g, s.eta)))
        .collect();
    for l in &b.lines {
        let Some((left, right)) = l.name.split_once('|') else {
            continue;
        };
        let (Some(left), Some(right)) = (Regime::from_label(left), Regime::from_label(right))
        else {
            continue;
        };
        let pts: Vec<(f64, f64)> = l.points.iter().map(|p| px(p.g, p.eta)).collect();
        out.extend(beside_lines(&pts, (left, right), space));
    }
    out
}

/// Points 16 and 28 px to either side of a line (pixels) at a quarter, half and three
/// quarters of its length, labelled with the regime on that side: thin regions have no sample
/// inside but always a line beside them. A point across another line is left out.
fn beside_lines(
    pts: &[(f64, f64)],
    (left, right): (Regime, Regime),
    space: &NameSpace,
) -> Vec<(Regime, (f64, f64))> {
    let n = pts.len();
    let mut out = Vec::new();
    for i in [n / 4, n / 2, 3 * n / 4] {
        let (pa, pc, p) = (pts[i.saturating_sub(1)], pts[(i + 1).min(n - 1)], pts[i]);
        let (dx, dy) = (pc.0 - pa.0, pc.1 - pa.1);
        let len = dx.hypot(dy);
        if !(len > 0.0) {
            continue;
        }
        // Left of the direction of travel on screen (y grows downwards).
        let (nx, ny) = (dy / len, -dx / len);
        for d in [16.0, 28.0] {
            for (r, sign) in [(left, 1.0), (right, -1.0)] {
                let q = (p.0 + sign * d * nx, p.1 + sign * d * ny);
                // Only on this side of every other line: the step from the line to q
                // (starting 2 px off it) crosses none.
                let from = (p.0 + sign * 2.0 * nx, p.1 + sign * 2.0 * ny);
                if !space.segs.iter().any(|&(a, c)| crosses(from, q, a, c)) {
                    out.push((r, q));
                }
            }
        }
    }
    out
}

/// Names each region where the scan saw it, at the sample farthest from every line, mark,
/// name already placed and the frame; a region too thin for its name gets it beside, with a
/// leader line to the sample.
fn draw_region_names(
    chart: &mut Chart<'_, '_>,
    path: &Path,
    b: &Boundaries,
    marks: &[(i32, i32)],
) -> Result<(), PlotError> {
    let space = NameSpace::of(chart, b);
    let candidates = region_candidates(chart, b, &space);
    let mut placed: Vec<(f64, f64)> = marks.iter().map(|&(x, y)| (x as f64, y as f64)).collect();
    for regime in [
        Regime::AI,
        Regime::SR,
        Regime::AR,
        Regime::SIFast,
        Regime::SISlow,
        Regime::Quiescent,
    ] {
        let Some(name) = region_name(regime) else {
            continue;
        };
        let half_w = 7.5 * name.len() as f64;
        let best = candidates
            .iter()
            .filter(|(r, p)| *r == regime && space.inside(*p))
            .map(|&(_, p)| (p, space.clearance(p, half_w, &placed)))
            .max_by(|a, c| a.1.total_cmp(&c.1));
        let Some((anchor, room)) = best else {
            continue;
        };
        let at = if room < 12.0 {
            let at = space.free_spot(anchor, half_w, &placed);
            draw_leader(chart, path, at, anchor)?;
            at
        } else {
            anchor
        };
        placed.push(at);
        draw_name(chart, path, at, name)?;
    }
    Ok(())
}

/// A thin line from a region's name placed beside it to the sample it names.
fn draw_leader(
    chart: &Chart<'_, '_>,
    path: &Path,
    at: (f64, f64),
    anchor: (f64, f64),
) -> Result<(), PlotError> {
    let area = chart.plotting_area().strip_coord_spec();
    let rel = |p: (f64, f64)| relative(chart, (p.0 as i32, p.1 as i32));
    plot_try!(
        path,
        area.draw(&PathElement::new(
            vec![rel(at), rel(anchor)],
            BLACK.mix(0.6).stroke_width(1)
        ))
    );
    plot_try!(
        path,
        area.draw(&Circle::new(rel(anchor), 2, BLACK.filled()))
    );
    Ok(())
}

/// A region's name in bold, centred at pixel `at`.
fn draw_name(
    chart: &Chart<'_, '_>,
    path: &Path,
    at: (f64, f64),
    name: &str,
) -> Result<(), PlotError> {
    let font = (FONT_FAMILY, 24)
        .into_font()
        .style(FontStyle::Bold)
        .color(&BLACK)
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
    let rel = relative(chart, (at.0 as i32, at.1 as i32));
    plot_try!(
        path,
        chart
            .plotting_area()
            .strip_coord_spec()
            .draw(&Text::new(name.to_string(), rel, font))
    );
    Ok(())
}

/// One entry per line name and kind, with its frequency range; the marks; a note when there
/// is no line.
fn draw_legend(legend: &Area<'_>, path: &Path, b: &Boundaries) -> Result<(), PlotError> {
    let font = (FONT_FAMILY, 15).into_font();
    let mut y = 40;
    plot_try!(
        path,
        legend.draw(&Text::new(
            "lines".to_string(),
            (10, y),
            font.clone().style(FontStyle::Bold)
        ))
    );
    y += 28;
    let entries = legend_entries(b);
    for (key, line) in &entries {
        y = draw_line_entry(legend, path, y, key, line, b)?;
    }
    if entries.is_empty() {
        plot_try!(
            path,
            legend.draw(&Text::new(
                "(no line in the region)".to_string(),
                (10, y),
                font.clone()
            ))
        );
        y += 27;
    }
    draw_legend_notes(legend, path, y + 10)
}

/// One (key, line) per distinct line name and kind: `AI|SI-fast (hopf)`, `saddle-node`.
fn legend_entries(b: &Boundaries) -> Vec<(String, &BoundaryLine)> {
    let mut entries: Vec<(String, &BoundaryLine)> = Vec::new();
    for line in &b.lines {
        let key = if line.name == line.kind.label() {
            line.name.clone()
        } else {
            format!("{} ({})", line.name, line.kind.label())
        };
        if entries.iter().all(|(k, _)| *k != key) {
            entries.push((key, line));
        }
    }
    entries
}

/// A legend entry at height `y`: the line's swatch, its key and the frequency range of all
/// lines of that name and kind; returns the next entry's height.
fn draw_line_entry(
    legend: &Area<'_>,
    path: &Path,
    mut y: i32,
    key: &str,
    line: &BoundaryLine,
    b: &Boundaries,
) -> Result<i32, PlotError> {
    let font = (FONT_FAMILY, 15).into_font();
    let s = style(line);
    let (lo, hi) = b
        .lines
        .iter()
        .filter(|l| l.name == line.name && l.kind == line.kind)
        .map(|l| l.extent(|p| p.frequency_hz))
        .fold((f64::NAN, f64::NAN), |(a, c), (p, q)| (a.min(p), c.max(q)));
    let stroke = s.colour.stroke_width(s.width.max(2));
    let swatch = vec![(10, y + 8), (50, y + 8)];
    if s.dashed {
        plot_try!(
            path,
            legend.draw(&plotters::element::DashedPathElement::new(
                swatch, 7, 4, stroke
            ))
        );
    } else {
        plot_try!(path, legend.draw(&PathElement::new(swatch, stroke)));
    }
    plot_try!(
        path,
        legend.draw(&Text::new(key.to_string(), (58, y), font.clone()))
    );
    if lo.is_finite() {
        y += 19;
        plot_try!(
            path,
            legend.draw(&Text::new(
                format!("{lo:.0}–{hi:.0} Hz"),
                (58, y),
                font.color(&BLACK.mix(0.7))
            ))
        );
    }
    Ok(y + 27)
}

/// The Fig. 8 marks' key and how to read the lines' names and styles, from height `y`.
fn draw_legend_notes(legend: &Area<'_>, path: &Path, mut y: i32) -> Result<(), PlotError> {
    let font = (FONT_FAMILY, 15).into_font();
    plot_try!(
        path,
        legend.draw(&Circle::new((16, y + 8), 5, BLACK.filled()))
    );
    plot_try!(
        path,
        legend.draw(&Text::new(
            "A–D: the states of Fig. 8".to_string(),
            (30, y),
            font.clone()
        ))
    );
    y += 32;
    for note in [
        "name = labels left|right",
        "of the lowest stable state",
        "(theory_regime); solid:",
        "Hopf, dashed: rate cut",
        "or saddle-node",
    ] {
        plot_try!(
            path,
            legend.draw(&Text::new(
                note.to_string(),
                (10, y),
                font.clone().color(&BLACK.mix(0.7))
            ))
        );
        y += 19;
    }
    Ok(())
}
