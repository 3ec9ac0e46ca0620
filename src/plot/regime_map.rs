//! The regime map: one colour per regime over the two axes, crosses where the theory's label
//! differs, the mean-field rate's contours, the theory's boundary lines (each with a short
//! numbered key placed where the line has room, named in the legend) and, for a refining
//! sweep, its leaf cells. One panel per facet, sharing the legend.

use super::heatmap::{cell_chart, fill_cells, regime_colour, CellChart, Grid};
use super::labels::{densify, text_size, LabelBox, Placer};
use super::panels::{figure, FigureSize, PanelLayout, PanelPlace};
use super::ticks::frac_index;
use super::{Area, PlotError, FONT_FAMILY};
use crate::analysis::classify::Regime;
use crate::plot_try;
use plotters::prelude::*;
use std::path::Path;

/// What the regime map shows: the regime of each cell (`regimes[iy][ix]`, majority over
/// replicates) over the two axes, and optionally the mean-field rate to draw contours of.
pub struct RegimeMap<'a> {
    /// Regime per cell, `regimes[iy][ix]`; None (drawn white) where no run has a regime.
    pub regimes: Vec<Vec<Option<Regime>>>,
    /// Values of the x axis.
    pub xs: &'a [f64],
    /// Values of the y axis.
    pub ys: &'a [f64],
    /// Parameter on the x axis.
    pub x_name: &'a str,
    /// Parameter on the y axis.
    pub y_name: &'a str,
    /// Mean-field rate on the same grid, drawn as contours when given.
    pub theory: Option<&'a Grid>,
    /// The theory's label per cell (linear stability); cells whose simulated label differs
    /// are crossed out, so the map doubles as the agreement figure.
    pub theory_regimes: Option<Vec<Vec<Option<Regime>>>>,
    /// Squares to outline, as (x, y, side) in cell units from the lower-left corner point:
    /// a refining sweep's leaf cells, so the map shows where it was measured finely and
    /// where a few corners stand for a whole region.
    pub leaves: Option<Vec<(usize, usize, usize)>>,
    /// The theory's boundary lines in axis values (x, y), each drawn and labelled.
    pub lines: Vec<MapLine>,
}

/// A named polyline in the axes' values (e.g. a stability boundary `AI|SI-fast` in g, η).
#[derive(Debug, Clone, PartialEq)]
pub struct MapLine {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Draws the regime map of one map: a figure of one panel.
pub fn regime_map(map: &RegimeMap, path: &Path, title: &str) -> Result<(), PlotError> {
    let one = [(String::new(), map)];
    regime_map_panels(&one, PanelLayout::for_count(1), path, title)
}

/// Draws `maps` (title, map) as one figure of `layout` with one legend: the regimes, the
/// lines' styles, and the theory's lines by key (the same name has the same key in every
/// panel).
pub fn regime_map_panels(
    maps: &[(String, &RegimeMap)],
    layout: PanelLayout,
    path: &Path,
    title: &str,
) -> Result<(), PlotError> {
    let keys = LineKeys::of(maps.iter().map(|(_, m)| *m));
    let size = FigureSize::of(layout, 230).at_least(legend_height(keys.0.len()));
    let fig = figure(path, layout, size, title)?;
    let mut crossed = false;
    for (k, ((caption, map), area)) in maps.iter().zip(&fig.panels).enumerate() {
        let place = PanelPlace::of(k, maps.len(), layout);
        let caption = (!caption.is_empty()).then_some(caption.as_str());
        crossed |= draw_map_panel(area, path, map, place, caption, &keys)?;
    }
    let legend = Legend {
        with_theory: maps.iter().any(|(_, m)| m.theory.is_some()),
        keys: &keys,
        crossed,
    };
    draw_regime_legend(&fig.side, path, &legend)?;
    plot_try!(path, fig.root.present());
    Ok(())
}

/// The number of each distinct theory line name, in order of first appearance.
struct LineKeys(Vec<String>);

impl LineKeys {
    fn of<'a>(maps: impl Iterator<Item = &'a RegimeMap<'a>>) -> LineKeys {
        let mut names: Vec<String> = Vec::new();
        for m in maps {
            for l in &m.lines {
                if !names.contains(&l.name) {
                    names.push(l.name.clone());
                }
            }
        }
        LineKeys(names)
    }

    /// The key (1, 2, …) of a line name.
    fn key(&self, name: &str) -> usize {
        self.0.iter().position(|n| n == name).map_or(0, |k| k + 1)
    }
}

/// One panel of the regime map; returns whether any cell was crossed out.
fn draw_map_panel(
    area: &Area<'_>,
    path: &Path,
    map: &RegimeMap,
    place: PanelPlace,
    caption: Option<&str>,
    keys: &LineKeys,
) -> Result<bool, PlotError> {
    let names = (map.x_name, map.y_name);
    let mut chart = cell_chart(area, path, (map.xs, map.ys), names, place, caption)?;
    let cells = map.regimes.iter().enumerate().flat_map(|(iy, row)| {
        row.iter()
            .enumerate()
            .map(move |(ix, r)| (ix, iy, r.map(regime_colour).unwrap_or(WHITE)))
    });
    fill_cells(&mut chart, path, cells)?;
    if let Some(leaves) = &map.leaves {
        draw_leaves(&mut chart, path, leaves)?;
    }
    let contours = map.theory.map(rate_contours).unwrap_or_default();
    draw_contour_lines(&mut chart, path, &contours)?;
    let balance = draw_balance_line(&mut chart, path, map)?;
    let pieces: Vec<Vec<Vec<(f64, f64)>>> = map.lines.iter().map(|l| line_pieces(map, l)).collect();
    draw_map_lines(&mut chart, path, &pieces)?;
    let crossed = draw_disagreement(&mut chart, path, map)?;
    let mut placer = panel_placer(&chart, &contours, &balance, &pieces);
    draw_contour_labels(&chart, path, &mut placer, &contours, place.font)?;
    draw_line_keys(&chart, path, &mut placer, map, &pieces, keys)?;
    Ok(crossed)
}

/// A mean-field rate contour: its level (Hz) and segments in cell coordinates.
struct Contour {
    level: f64,
    segments: Vec<[(f64, f64); 2]>,
}

/// Contours of the mean-field rate at 1 … 300 Hz (those that cross the map).
fn rate_contours(th: &Grid) -> Vec<Contour> {
    [1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 300.0]
        .into_iter()
        .map(|level| Contour {
            level,
            segments: contour_segments(th, level),
        })
        .filter(|c| !c.segments.is_empty())
        .collect()
}

fn draw_contour_lines(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    contours: &[Contour],
) -> Result<(), PlotError> {
    for c in contours {
        plot_try!(
            path,
            chart.draw_series(
                c.segments.iter().map(|s| {
                    PathElement::new(vec![s[0], s[1]], BLACK.mix(0.55).stroke_width(1))
                })
            )
        );
    }
    Ok(())
}

/// Owners of the placer's lines: theory line k is k; contours and the balance line after.
const CONTOUR_OWNER: usize = 10_000;
const BALANCE_OWNER: usize = 20_000;

/// A placer over the chart's plotting area holding every line drawn on it, in pixels.
fn panel_placer(
    chart: &CellChart<'_, '_>,
    contours: &[Contour],
    balance: &[(f64, f64)],
    pieces: &[Vec<Vec<(f64, f64)>>],
) -> Placer {
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let mut placer = Placer::new((xr.start, yr.start, xr.end, yr.end));
    let px = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|p| chart.backend_coord(p))
            .collect::<Vec<_>>()
    };
    for (k, line) in pieces.iter().enumerate() {
        for piece in line {
            placer.add_line(k, &px(piece));
        }
    }
    for (k, c) in contours.iter().enumerate() {
        for s in &c.segments {
            placer.add_line(CONTOUR_OWNER + k, &px(s));
        }
    }
    placer.add_line(BALANCE_OWNER, &px(balance));
    placer
}

/// A white-boxed text at a placed box, drawn in pixels on the chart's area.
fn draw_boxed(
    chart: &CellChart<'_, '_>,
    path: &Path,
    b: LabelBox,
    text: &str,
    size: u32,
    border: bool,
) -> Result<(), PlotError> {
    let area = chart.plotting_area().strip_coord_spec();
    let (bx, by) = area.get_base_pixel();
    let (x0, y0) = (b.x - b.half_w - bx, b.y - b.half_h - by);
    let (x1, y1) = (b.x + b.half_w - bx, b.y + b.half_h - by);
    plot_try!(
        path,
        area.draw(&Rectangle::new(
            [(x0, y0), (x1, y1)],
            WHITE.mix(0.85).filled()
        ))
    );
    if border {
        plot_try!(
            path,
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], BLACK.stroke_width(1)))
        );
    }
    let style = (FONT_FAMILY, size).into_font().color(&BLACK);
    plot_try!(
        path,
        area.draw(&Text::new(text.to_string(), (x0 + 3, y0 + 2), style))
    );
    Ok(())
}

/// Each contour's label ("20 Hz") where it has room: off the theory's lines, the balance
/// line, other contours and other labels, inside the plotting area; left out where there is
/// none.
fn draw_contour_labels(
    chart: &CellChart<'_, '_>,
    path: &Path,
    placer: &mut Placer,
    contours: &[Contour],
    font: u32,
) -> Result<(), PlotError> {
    let size = font.saturating_sub(3).max(11);
    for (k, c) in contours.iter().enumerate() {
        let text = format!("{} Hz", c.level);
        let candidates: Vec<(i32, i32)> = c
            .segments
            .iter()
            .map(|s| chart.backend_coord(&((s[0].0 + s[1].0) / 2.0, (s[0].1 + s[1].1) / 2.0)))
            .collect();
        if let Some(b) = placer.place(CONTOUR_OWNER + k, &candidates, text_size(&text, size)) {
            draw_boxed(chart, path, b, &text, size, false)?;
        }
    }
    Ok(())
}

/// Each theory line's key where the line has room (every piece of a line long enough gets
/// one, so a line cut by the map's edge is named on each side).
fn draw_line_keys(
    chart: &CellChart<'_, '_>,
    path: &Path,
    placer: &mut Placer,
    map: &RegimeMap,
    pieces: &[Vec<Vec<(f64, f64)>>],
    keys: &LineKeys,
) -> Result<(), PlotError> {
    for (k, (line, ps)) in map.lines.iter().zip(pieces).enumerate() {
        let text = keys.key(&line.name).to_string();
        for piece in ps {
            let px: Vec<(i32, i32)> = piece.iter().map(|p| chart.backend_coord(p)).collect();
            let cand = densify(&px, 8);
            if cand.len() < 4 {
                continue;
            }
            if let Some(b) = placer.place(k, &cand, text_size(&text, 14)) {
                draw_boxed(chart, path, b, &text, 14, true)?;
            }
        }
    }
    Ok(())
}

/// Runs of consecutive points of a line inside the map, in cell coordinates.
fn line_pieces(map: &RegimeMap, line: &MapLine) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = vec![vec![]];
    for &(x, y) in &line.points {
        match (frac_index(map.xs, x), frac_index(map.ys, y)) {
            (Some(cx), Some(cy)) => pieces.last_mut().expect("one piece").push((cx, cy)),
            _ if !pieces.last().expect("one piece").is_empty() => pieces.push(vec![]),
            _ => {}
        }
    }
    pieces.retain(|p| p.len() > 1);
    pieces
}

/// The theory's lines, dashed black over a white halo so they read on every colour.
fn draw_map_lines(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    pieces: &[Vec<Vec<(f64, f64)>>],
) -> Result<(), PlotError> {
    for p in pieces.iter().flatten() {
        plot_try!(
            path,
            chart.draw_series(std::iter::once(PathElement::new(
                p.clone(),
                WHITE.stroke_width(5)
            )))
        );
        plot_try!(
            path,
            chart.draw_series(DashedLineSeries::new(
                p.iter().copied(),
                6,
                4,
                BLACK.stroke_width(2)
            ))
        );
    }
    Ok(())
}

/// What the legend lists beside the regimes.
struct Legend<'a> {
    with_theory: bool,
    keys: &'a LineKeys,
    crossed: bool,
}

/// The legend: a swatch per regime, the line styles, the theory's lines by key, and the
/// cross of a disagreement when drawn.
/// The height [`draw_regime_legend`] needs with `keys` theory lines listed, title included.
fn legend_height(keys: usize) -> u32 {
    let rows = Regime::ALL.len() as u32 + 4;
    let key_list = if keys == 0 { 0 } else { 35 + 24 * keys as u32 };
    40 + 50 + 30 * rows + 20 + key_list + 10
}

fn draw_regime_legend(legend: &Area<'_>, path: &Path, l: &Legend) -> Result<(), PlotError> {
    let style = (FONT_FAMILY, 16).into_font();
    let mut y = 50;
    for r in Regime::ALL {
        plot_try!(
            path,
            legend.draw(&Rectangle::new(
                [(10, y), (34, y + 22)],
                regime_colour(r).filled()
            ))
        );
        plot_try!(
            path,
            legend.draw(&Text::new(
                r.label().to_string(),
                (42, y + 3),
                style.clone()
            ))
        );
        y += 30;
    }
    y += 10;
    let mut lines = vec![("g = 4 (balance)", BLACK.stroke_width(3))];
    if l.with_theory {
        lines.push(("mean-field rate", BLACK.mix(0.55).stroke_width(1)));
    }
    if !l.keys.0.is_empty() {
        lines.push(("theory's boundary", BLACK.stroke_width(2)));
    }
    for (label, stroke) in lines {
        let dashes: &[(i32, i32)] = if label == "theory's boundary" {
            // As on the map: dashed black over a white halo.
            plot_try!(
                path,
                legend.draw(&PathElement::new(
                    vec![(8, y + 10), (36, y + 10)],
                    RGBColor(150, 150, 150).stroke_width(5)
                ))
            );
            &[(10, 16), (19, 25), (28, 34)]
        } else {
            &[(10, 34)]
        };
        for &(a, b) in dashes {
            plot_try!(
                path,
                legend.draw(&PathElement::new(vec![(a, y + 10), (b, y + 10)], stroke))
            );
        }
        plot_try!(
            path,
            legend.draw(&Text::new(label.to_string(), (42, y + 2), style.clone()))
        );
        y += 30;
    }
    if l.crossed {
        draw_cross_key(legend, path, y, &style)?;
        y += 30;
    }
    draw_key_list(legend, path, y + 10, l.keys)
}

fn draw_cross_key(
    legend: &Area<'_>,
    path: &Path,
    y: i32,
    style: &FontDesc,
) -> Result<(), PlotError> {
    for (a, b) in [((12, y + 2), (32, y + 20)), ((12, y + 20), (32, y + 2))] {
        plot_try!(
            path,
            legend.draw(&PathElement::new(vec![a, b], BLACK.stroke_width(2)))
        );
    }
    plot_try!(
        path,
        legend.draw(&Text::new(
            "theory differs".to_string(),
            (42, y + 2),
            style.clone()
        ))
    );
    Ok(())
}

/// "theory's lines:" and one row per key: the boxed number and the line's name.
fn draw_key_list(
    legend: &Area<'_>,
    path: &Path,
    mut y: i32,
    keys: &LineKeys,
) -> Result<(), PlotError> {
    if keys.0.is_empty() {
        return Ok(());
    }
    let style = (FONT_FAMILY, 15).into_font();
    plot_try!(
        path,
        legend.draw(&Text::new(
            "theory's lines:".to_string(),
            (10, y),
            style.clone()
        ))
    );
    y += 24;
    for (k, name) in keys.0.iter().enumerate() {
        plot_try!(
            path,
            legend.draw(&Rectangle::new(
                [(10, y), (30, y + 19)],
                BLACK.stroke_width(1)
            ))
        );
        plot_try!(
            path,
            legend.draw(&Text::new(format!("{}", k + 1), (15, y + 2), style.clone()))
        );
        plot_try!(
            path,
            legend.draw(&Text::new(name.clone(), (38, y + 2), style.clone()))
        );
        y += 24;
    }
    Ok(())
}

/// Outlines of a refinement's leaf cells through their corner points (thin, white).
fn draw_leaves(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    leaves: &[(usize, usize, usize)],
) -> Result<(), PlotError> {
    let outlines = leaves.iter().map(|&(i, j, side)| {
        let (x0, y0) = (i as f64, j as f64);
        let (x1, y1) = (x0 + side as f64, y0 + side as f64);
        PathElement::new(
            vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
            WHITE.mix(0.6).stroke_width(1),
        )
    });
    plot_try!(path, chart.draw_series(outlines));
    Ok(())
}

/// The balance line g = 4 where g is one of the axes; returns its points (cell units).
fn draw_balance_line(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    map: &RegimeMap,
) -> Result<Vec<(f64, f64)>, PlotError> {
    let (nx, ny) = (map.xs.len() as f64, map.ys.len() as f64);
    let line = if map.x_name == "g" {
        frac_index(map.xs, 4.0).map(|x| vec![(x, -0.5), (x, ny - 0.5)])
    } else if map.y_name == "g" {
        frac_index(map.ys, 4.0).map(|y| vec![(-0.5, y), (nx - 0.5, y)])
    } else {
        None
    };
    if let Some(points) = &line {
        plot_try!(
            path,
            chart.draw_series(std::iter::once(PathElement::new(
                points.clone(),
                BLACK.stroke_width(3)
            )))
        );
    }
    Ok(line.unwrap_or_default())
}

/// Crosses out the cells whose simulated regime differs from the theory's; returns whether
/// any was.
fn draw_disagreement(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    map: &RegimeMap,
) -> Result<bool, PlotError> {
    let Some(theory) = &map.theory_regimes else {
        return Ok(false);
    };
    let mut cells = Vec::new();
    for (iy, (srow, trow)) in map.regimes.iter().zip(theory).enumerate() {
        for (ix, (s, t)) in srow.iter().zip(trow).enumerate() {
            if matches!((s, t), (Some(s), Some(t)) if s != t) {
                cells.push((ix as f64, iy as f64));
            }
        }
    }
    let d = 0.3;
    let strokes = cells.iter().flat_map(|&(x, y)| {
        [
            PathElement::new(vec![(x - d, y - d), (x + d, y + d)], BLACK.stroke_width(2)),
            PathElement::new(vec![(x - d, y + d), (x + d, y - d)], BLACK.stroke_width(2)),
        ]
    });
    plot_try!(path, chart.draw_series(strokes));
    Ok(!cells.is_empty())
}

/// Contour segments of `grid` at `level` by marching squares over cell centres.
pub fn contour_segments(grid: &Grid, level: f64) -> Vec<[(f64, f64); 2]> {
    let mut segs = Vec::new();
    let (nx, ny) = (grid.xs.len(), grid.ys.len());
    for iy in 0..ny.saturating_sub(1) {
        for ix in 0..nx.saturating_sub(1) {
            let corners = [(ix, iy), (ix + 1, iy), (ix + 1, iy + 1), (ix, iy + 1)];
            let Some(v) = corners
                .iter()
                .map(|&(x, y)| grid.cells[y][x])
                .collect::<Option<Vec<f64>>>()
            else {
                continue;
            };
            let mut pts = Vec::new();
            for e in 0..4 {
                let (a, b) = (e, (e + 1) % 4);
                if (v[a] < level) != (v[b] < level) {
                    let t = (level - v[a]) / (v[b] - v[a]);
                    let (pa, pb) = (corners[a], corners[b]);
                    pts.push((
                        pa.0 as f64 + t * (pb.0 as f64 - pa.0 as f64),
                        pa.1 as f64 + t * (pb.1 as f64 - pa.1 as f64),
                    ));
                }
            }
            if pts.len() == 2 {
                segs.push([pts[0], pts[1]]);
            } else if pts.len() == 4 {
                segs.push([pts[0], pts[1]]);
                segs.push([pts[2], pts[3]]);
            }
        }
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contour_crosses_between_the_right_cells() {
        // Values rise along x: 0, 10, 20. The 5 Hz contour is the vertical line x = 0.5.
        let g = Grid {
            x_name: "g".into(),
            y_name: "eta".into(),
            xs: vec![0.0, 1.0, 2.0],
            ys: vec![0.0, 1.0],
            cells: vec![vec![Some(0.0), Some(10.0), Some(20.0)]; 2],
        };
        let segs = contour_segments(&g, 5.0);
        assert_eq!(segs.len(), 1);
        assert!(segs[0].iter().all(|p| (p.0 - 0.5).abs() < 1e-12));
    }
}
