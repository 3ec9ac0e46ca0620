//! Heatmaps of a result column over the two swept axes (mean over replicates, colour bar with
//! units), the regime map (categorical legend, balance line g = 4, mean-field rate contours),
//! and curves for one-axis sweeps.

use super::{ensure_font, Area, Chart, PlotError, FONT_FAMILY};
use crate::analysis::classify::Regime;
use crate::plot_try;
use plotters::prelude::*;
use std::path::Path;

/// Values of a column on the grid of the first two axes: `cells[iy][ix]`, None where no row
/// has a finite value. Replicates are averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Parameter on the x axis (the first swept axis).
    pub x_name: String,
    /// Parameter on the y axis (the second swept axis).
    pub y_name: String,
    /// Values of the x axis, one column of cells each.
    pub xs: Vec<f64>,
    /// Values of the y axis, one row of cells each.
    pub ys: Vec<f64>,
    /// Mean value per cell, `cells[iy][ix]`; None where no finite value.
    pub cells: Vec<Vec<Option<f64>>>,
}

impl Grid {
    /// Averages `(x, y, value)` samples into cells of the given axis values.
    pub fn from_samples(
        x_name: &str,
        y_name: &str,
        xs: &[f64],
        ys: &[f64],
        samples: impl Iterator<Item = (f64, f64, f64)>,
    ) -> Grid {
        let mut sum = vec![vec![(0.0, 0usize); xs.len()]; ys.len()];
        let find = |v: &[f64], x: f64| v.iter().position(|&a| crate::model::same_value(a, x));
        for (x, y, v) in samples {
            if let (Some(ix), Some(iy)) = (find(xs, x), find(ys, y)) {
                if v.is_finite() {
                    sum[iy][ix].0 += v;
                    sum[iy][ix].1 += 1;
                }
            }
        }
        let cells = sum
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|(s, n)| Some(s / n as f64).filter(|m| n > 0 && m.is_finite()))
                    .collect()
            })
            .collect();
        Grid {
            x_name: x_name.into(),
            y_name: y_name.into(),
            xs: xs.to_vec(),
            ys: ys.to_vec(),
            cells,
        }
    }

    /// The cells that have a value.
    fn finite(&self) -> impl Iterator<Item = f64> + '_ {
        self.cells.iter().flatten().flatten().copied()
    }
}

/// A drawable axis range from data bounds: finite, and wider than rounding. All-NaN, empty,
/// infinite or constant data would otherwise give plotters a range it cannot place ticks on
/// (an empty or infinite range makes its key-point search spin forever).
pub fn drawable_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return (0.0, 1.0);
    }
    let scale = lo.abs().max(hi.abs()).max(1e-300);
    if hi - lo > 1e-9 * scale {
        return (lo, hi);
    }
    let pad = 0.5 * scale.max(1e-12);
    let (a, b) = (lo - pad, hi + pad);
    if a.is_finite() && b.is_finite() && b > a {
        (a, b)
    } else {
        (0.0, 1.0)
    }
}

/// A human label with units for a result column.
pub fn column_label(col: &str) -> String {
    match col {
        "rate_hz" => "mean rate (Hz)".into(),
        "cv_isi" => "mean per-neuron CV of ISI".into(),
        "chi" => "Golomb synchrony χ".into(),
        "fano_factor" => "Fano factor of population count (2 ms bins)".into(),
        "fano_factor_slow" => "Fano factor of population count (10 ms bins)".into(),
        "spectrum_peak_hz" => "population spectrum peak (Hz)".into(),
        "spectrum_peak_share" => "share of power in the peak".into(),
        "oscillation_strength" => "spectral peak / Poisson floor".into(),
        "theory_rate_hz" => "mean-field rate (Hz)".into(),
        "theory_cv_isi" => "mean-field CV of ISI".into(),
        "theory_growth_per_s" => "growth rate of the leading mode (1/s)".into(),
        "theory_osc_hz" => "frequency of the leading mode (Hz)".into(),
        c if c.starts_with("rate_") && c.ends_with("_hz") => {
            format!("{} rate (Hz)", c[5..c.len() - 3].to_uppercase())
        }
        c if c.starts_with("cv_isi_") => format!("{} CV of ISI", c[7..].to_uppercase()),
        c if c.ends_with("_hz") => format!("{c} (Hz)"),
        c if c.ends_with("_s") => format!("{c} (s)"),
        c => c.to_string(),
    }
}

/// Fractional cell coordinate of value `v` on an axis (for lines such as g = 4); None outside.
fn frac_index(values: &[f64], v: f64) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    for k in 0..values.len() - 1 {
        let (a, b) = (values[k], values[k + 1]);
        if (a <= v && v <= b) || (b <= v && v <= a) {
            return Some(k as f64 + if b != a { (v - a) / (b - a) } else { 0.0 });
        }
    }
    None
}

/// Tick labels of a cell axis: the axis value at whole positions, nothing in between.
fn tick_label(values: &[f64]) -> impl Fn(&f64) -> String + '_ {
    move |x: &f64| {
        let k = x.round();
        if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < values.len() {
            format!("{}", values[k as usize])
        } else {
            String::new()
        }
    }
}

/// A chart whose cells are the grid points (centred on whole numbers), labelled with the
/// axis values.
type CellChart<'a, 'b> = Chart<'a, 'b>;

/// A cell chart on `area` with its axes labelled `names` and ticked with the `axes` values.
fn cell_chart<'a, 'b>(
    area: &'a Area<'b>,
    path: &Path,
    axes: (&[f64], &[f64]),
    names: (&str, &str),
) -> Result<CellChart<'a, 'b>, PlotError> {
    let (xs, ys) = axes;
    let (nx, ny) = (xs.len(), ys.len());
    let mut chart = plot_try!(
        path,
        ChartBuilder::on(area)
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
    );
    plot_try!(
        path,
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nx.min(20))
            .y_labels(ny.min(20))
            .x_label_formatter(&tick_label(xs))
            .y_label_formatter(&tick_label(ys))
            .x_desc(names.0)
            .y_desc(names.1)
            .label_style((FONT_FAMILY, 16))
            .draw()
    );
    Ok(chart)
}

/// Fills every cell (`colours[iy][ix]`) of a cell chart. Neighbouring cells of one row with
/// the same colour are drawn as one rectangle (given in row order), so a refined sweep's
/// lattice of millions of cells costs a rectangle per run of equal colour, not per cell.
fn fill_cells(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    colours: impl Iterator<Item = (usize, usize, RGBColor)>,
) -> Result<(), PlotError> {
    let mut runs: Vec<(usize, usize, usize, RGBColor)> = Vec::new();
    for (ix, iy, c) in colours {
        match runs.last_mut() {
            Some((y, _, x1, rc)) if *y == iy && *x1 + 1 == ix && *rc == c => *x1 = ix,
            _ => runs.push((iy, ix, ix, c)),
        }
    }
    let rects = runs.into_iter().map(|(iy, x0, x1, c)| {
        let y = iy as f64;
        Rectangle::new(
            [(x0 as f64 - 0.5, y - 0.5), (x1 as f64 + 0.5, y + 0.5)],
            c.filled(),
        )
    });
    plot_try!(path, chart.draw_series(rects));
    Ok(())
}

/// How cell values map to colours: linear, or log10 for rates spanning more than two decades,
/// over the drawable range `lo..hi` of the (transformed) values.
struct ColourScale {
    log: bool,
    pos_min: f64,
    lo: f64,
    hi: f64,
}

impl ColourScale {
    /// The scale of `grid`'s finite cells; log only for a rate column (`label` in Hz) whose
    /// positive values span more than a factor 100.
    fn of(grid: &Grid, label: &str) -> ColourScale {
        let vals: Vec<f64> = grid.finite().collect();
        let pos_min = vals
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log = label.contains("(Hz)") && pos_min.is_finite() && max / pos_min > 100.0;
        let unranged = ColourScale {
            log,
            pos_min,
            lo: 0.0,
            hi: 1.0,
        };
        let (lo, hi) = drawable_range(
            vals.iter()
                .map(|&v| unranged.tr(v))
                .fold(f64::INFINITY, f64::min),
            vals.iter()
                .map(|&v| unranged.tr(v))
                .fold(f64::NEG_INFINITY, f64::max),
        );
        ColourScale { lo, hi, ..unranged }
    }

    /// A value on the scale's axis: log10 (of at least the smallest positive value) or itself.
    fn tr(&self, v: f64) -> f64 {
        if self.log {
            v.max(self.pos_min).log10()
        } else {
            v
        }
    }

    /// The colour of a cell value.
    fn colour(&self, v: f64) -> RGBColor {
        ViridisRGB.get_color_normalized(self.tr(v), self.lo, self.hi)
    }

    /// A colour-bar tick at `v` on the scale's axis, read in the column's unit (also on a
    /// log scale), without trailing zeros.
    fn tick(&self, v: &f64) -> String {
        let shown = if self.log { 10f64.powf(*v) } else { *v };
        format!("{shown:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// Colour of a cell without a value.
const NO_VALUE: RGBColor = RGBColor(200, 200, 200);

/// Draws a heatmap of `grid` with a viridis colour bar labelled `label`. Rates spanning more
/// than two decades are coloured by log10. Empty, constant or non-finite columns still draw
/// (a grey "no value" cell, a padded range), so a sweep's report never stops at one figure.
pub fn heatmap(grid: &Grid, path: &Path, title: &str, label: &str) -> Result<(), PlotError> {
    ensure_font();
    let scale = ColourScale::of(grid, label);
    let root = BitMapBackend::new(path, (1000, 720)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let root = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(PlotError::at(path))?;
    let (main, bar) = root.split_horizontally(840);
    draw_heat_cells(&main, path, grid, &scale)?;
    draw_colour_bar(&bar, path, &scale, label)?;
    if grid.cells.iter().flatten().any(|c| c.is_none()) {
        draw_no_value_key(&bar, path)?;
    }
    plot_try!(path, root.present());
    Ok(())
}

/// The heatmap's cell panel: one coloured cell per grid point, and a white line at g = 4
/// where g is the x axis.
fn draw_heat_cells(
    main: &Area<'_>,
    path: &Path,
    grid: &Grid,
    scale: &ColourScale,
) -> Result<(), PlotError> {
    let ny = grid.ys.len();
    let mut chart = cell_chart(
        main,
        path,
        (&grid.xs, &grid.ys),
        (&grid.x_name, &grid.y_name),
    )?;
    let cells = grid.cells.iter().enumerate().flat_map(|(iy, row)| {
        row.iter()
            .enumerate()
            .map(move |(ix, c)| (ix, iy, c.map_or(NO_VALUE, |v| scale.colour(v))))
    });
    fill_cells(&mut chart, path, cells)?;
    if grid.x_name == "g" {
        if let Some(x) = frac_index(&grid.xs, 4.0) {
            plot_try!(
                path,
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, -0.5), (x, ny as f64 - 0.5)],
                    WHITE.stroke_width(2)
                )))
            );
        }
    }
    Ok(())
}

/// The colour bar: a 100-step viridis gradient over the scale's range, ticks in the column's
/// unit, labelled `label` (", log scale" appended on a log scale).
fn draw_colour_bar(
    bar: &Area<'_>,
    path: &Path,
    scale: &ColourScale,
    label: &str,
) -> Result<(), PlotError> {
    let (lo, hi) = (scale.lo, scale.hi);
    let mut cb = plot_try!(
        path,
        ChartBuilder::on(bar)
            .margin_top(15)
            .margin_bottom(65)
            .margin_right(10)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..1.0, lo..hi)
    );
    let cb_label = if scale.log {
        format!("{label}, log scale")
    } else {
        label.to_string()
    };
    plot_try!(
        path,
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_label_formatter(&|v: &f64| scale.tick(v))
            .y_desc(cb_label)
            .label_style((FONT_FAMILY, 14))
            .draw()
    );
    let n = 100;
    plot_try!(
        path,
        cb.draw_series((0..n).map(|k| {
            let a = lo + (hi - lo) * k as f64 / n as f64;
            let b = lo + (hi - lo) * (k + 1) as f64 / n as f64;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                ViridisRGB.get_color_normalized(a, lo, hi).filled(),
            )
        }))
    );
    Ok(())
}

/// The key of the grey "no value" cell under the colour bar.
fn draw_no_value_key(bar: &Area<'_>, path: &Path) -> Result<(), PlotError> {
    let style = (FONT_FAMILY, 13).into_font();
    plot_try!(
        path,
        bar.draw(&Rectangle::new([(10, 668), (26, 684)], NO_VALUE.filled()))
    );
    plot_try!(
        path,
        bar.draw(&Text::new("no value".to_string(), (32, 669), style))
    );
    Ok(())
}

/// Colour of a regime on the regime map.
pub fn regime_colour(r: Regime) -> RGBColor {
    match r {
        Regime::Quiescent => RGBColor(190, 190, 190),
        Regime::SR => RGBColor(214, 39, 40),
        Regime::AI => RGBColor(44, 160, 44),
        Regime::SIFast => RGBColor(31, 119, 180),
        Regime::SISlow => RGBColor(148, 103, 189),
        Regime::Unclassified => RGBColor(255, 187, 120),
    }
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

/// Draws the regime map: one colour per regime, a legend, the balance line g = 4 (where g is
/// an axis) and contours of the mean-field rate.
pub fn regime_map(map: &RegimeMap, path: &Path, title: &str) -> Result<(), PlotError> {
    ensure_font();
    let root = BitMapBackend::new(path, (1050, 720)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let root = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(PlotError::at(path))?;
    let (main, legend) = root.split_horizontally(840);
    let mut chart = cell_chart(&main, path, (map.xs, map.ys), (map.x_name, map.y_name))?;
    let cells = map.regimes.iter().enumerate().flat_map(|(iy, row)| {
        row.iter()
            .enumerate()
            .map(move |(ix, r)| (ix, iy, r.map(regime_colour).unwrap_or(WHITE)))
    });
    fill_cells(&mut chart, path, cells)?;
    if let Some(leaves) = &map.leaves {
        draw_leaves(&mut chart, path, leaves)?;
    }
    if let Some(th) = map.theory {
        draw_rate_contours(&mut chart, path, th)?;
    }
    draw_balance_line(&mut chart, path, map)?;
    draw_map_lines(&mut chart, path, map)?;
    let crossed = draw_disagreement(&mut chart, path, map)?;
    draw_regime_legend(
        &legend,
        path,
        map.theory.is_some(),
        !map.lines.is_empty(),
        crossed,
    )?;
    plot_try!(path, root.present());
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

/// Contours of the mean-field rate at 1 … 300 Hz, each labelled near the map's centre.
fn draw_rate_contours(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    th: &Grid,
) -> Result<(), PlotError> {
    let c = (
        (th.xs.len() as f64 - 1.0) / 2.0,
        (th.ys.len() as f64 - 1.0) / 2.0,
    );
    for level in [1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 300.0] {
        let segs = contour_segments(th, level);
        plot_try!(
            path,
            chart.draw_series(
                segs.iter()
                    .map(|s| PathElement::new(vec![s[0], s[1]], BLACK.mix(0.55).stroke_width(1)))
            )
        );
        let d = |s: &[(f64, f64); 2]| (s[0].0 - c.0).powi(2) + (s[0].1 - c.1).powi(2);
        if let Some(s) = segs.iter().min_by(|a, b| d(a).total_cmp(&d(b))) {
            let style = (FONT_FAMILY, 13).into_font().color(&BLACK);
            plot_try!(
                path,
                chart.draw_series(std::iter::once(Text::new(
                    format!("{level} Hz"),
                    s[0],
                    style
                )))
            );
        }
    }
    Ok(())
}

/// The balance line g = 4 where g is one of the axes.
fn draw_balance_line(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    map: &RegimeMap,
) -> Result<(), PlotError> {
    let (nx, ny) = (map.xs.len() as f64, map.ys.len() as f64);
    let line = if map.x_name == "g" {
        frac_index(map.xs, 4.0).map(|x| vec![(x, -0.5), (x, ny - 0.5)])
    } else if map.y_name == "g" {
        frac_index(map.ys, 4.0).map(|y| vec![(-0.5, y), (nx - 0.5, y)])
    } else {
        None
    };
    if let Some(points) = line {
        plot_try!(
            path,
            chart.draw_series(std::iter::once(PathElement::new(
                points,
                BLACK.stroke_width(3)
            )))
        );
    }
    Ok(())
}

/// The theory's lines (dashed black over a white halo, so they read on every colour), each
/// labelled at its middle; pieces outside the axes' range are left out.
fn draw_map_lines(
    chart: &mut CellChart<'_, '_>,
    path: &Path,
    map: &RegimeMap,
) -> Result<(), PlotError> {
    for line in &map.lines {
        // Runs of consecutive points inside the map, in cell coordinates.
        let mut pieces: Vec<Vec<(f64, f64)>> = vec![vec![]];
        for &(x, y) in &line.points {
            match (frac_index(map.xs, x), frac_index(map.ys, y)) {
                (Some(cx), Some(cy)) => pieces.last_mut().expect("one piece").push((cx, cy)),
                _ if !pieces.last().expect("one piece").is_empty() => pieces.push(vec![]),
                _ => {}
            }
        }
        pieces.retain(|p| p.len() > 1);
        for p in &pieces {
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
        if let Some(p) = pieces.iter().max_by_key(|p| p.len()) {
            let at = p[p.len() / 2];
            let style = (FONT_FAMILY, 15).into_font().color(&BLACK);
            plot_try!(
                path,
                chart.draw_series(std::iter::once(Text::new(line.name.clone(), at, style)))
            );
        }
    }
    Ok(())
}

/// The legend: a swatch per regime, the balance line, and the contours when drawn.
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

fn draw_regime_legend(
    legend: &Area<'_>,
    path: &Path,
    with_theory: bool,
    with_lines: bool,
    crossed: bool,
) -> Result<(), PlotError> {
    let style = (FONT_FAMILY, 17).into_font();
    for (k, r) in Regime::ALL.iter().enumerate() {
        let y = 60 + 34 * k as i32;
        plot_try!(
            path,
            legend.draw(&Rectangle::new(
                [(10, y), (34, y + 22)],
                regime_colour(*r).filled()
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
    }
    let mut lines = vec![("g = 4 (balance)", BLACK.stroke_width(3))];
    if with_theory {
        lines.push(("mean-field rate", BLACK.mix(0.55).stroke_width(1)));
    }
    if with_lines {
        lines.push(("stability boundary", BLACK.stroke_width(2)));
    }
    let n_lines = lines.len() as i32;
    for (k, (label, stroke)) in lines.into_iter().enumerate() {
        let y = 60 + 34 * Regime::ALL.len() as i32 + 10 + 34 * k as i32;
        plot_try!(
            path,
            legend.draw(&PathElement::new(vec![(10, y + 10), (34, y + 10)], stroke))
        );
        plot_try!(
            path,
            legend.draw(&Text::new(label.to_string(), (42, y + 2), style.clone()))
        );
    }
    if crossed {
        let y = 60 + 34 * Regime::ALL.len() as i32 + 10 + 34 * n_lines;
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
    }
    Ok(())
}

/// Mean ± sd over replicates of one column against a single swept parameter. Non-finite
/// replicates are left out; a column with no finite value still draws its axes and says so.
pub fn curve(
    points: &[(f64, Vec<f64>)],
    x_name: &str,
    label: &str,
    path: &Path,
    title: &str,
) -> Result<(), PlotError> {
    ensure_font();
    let stats = curve_stats(points);
    let ((x0, x1), (y0, y1)) = curve_ranges(points, &stats);
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let mut chart = plot_try!(
        path,
        ChartBuilder::on(&root)
            .caption(title, (FONT_FAMILY, 20))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
    );
    plot_try!(
        path,
        chart
            .configure_mesh()
            .x_desc(x_name)
            .y_desc(label)
            .label_style((FONT_FAMILY, 16))
            .draw()
    );
    if stats.is_empty() {
        let style = (FONT_FAMILY, 20).into_font().color(&BLACK);
        plot_try!(
            path,
            root.draw(&Text::new(
                "no finite values in this column".to_string(),
                (330, 290),
                style
            ))
        );
    }
    draw_mean_sd(&mut chart, path, &stats)?;
    plot_try!(path, root.present());
    Ok(())
}

/// `(x, mean, sd)` of the finite values at each point (sample sd; 0 for one value); points
/// without a finite value, or with a non-finite x, mean or sd, are left out.
fn curve_stats(points: &[(f64, Vec<f64>)]) -> Vec<(f64, f64, f64)> {
    points
        .iter()
        .filter_map(|(x, v)| {
            let v: Vec<f64> = v.iter().copied().filter(|a| a.is_finite()).collect();
            if v.is_empty() {
                return None;
            }
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let sd = if v.len() > 1 {
                (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
            } else {
                0.0
            };
            Some((*x, m, sd))
        })
        .filter(|s| s.0.is_finite() && s.1.is_finite() && s.2.is_finite())
        .collect()
}

/// Drawable x and y ranges of a curve: x over every swept value (so an empty curve still
/// shows its axis), y from min(0, mean − sd) to mean + sd with 5 % headroom.
fn curve_ranges(points: &[(f64, Vec<f64>)], stats: &[(f64, f64, f64)]) -> ((f64, f64), (f64, f64)) {
    let x = drawable_range(
        points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min),
        points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
    );
    let y1 = stats
        .iter()
        .map(|s| s.1 + s.2)
        .fold(f64::NEG_INFINITY, f64::max);
    let y0 = stats
        .iter()
        .map(|s| s.1 - s.2)
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    (x, drawable_range(y0, y1 + 0.05 * (y1 - y0).abs()))
}

/// The curve itself: the means joined by a line, ± sd error bars and a dot at each mean.
fn draw_mean_sd(
    chart: &mut Chart<'_, '_>,
    path: &Path,
    stats: &[(f64, f64, f64)],
) -> Result<(), PlotError> {
    plot_try!(
        path,
        chart.draw_series(LineSeries::new(
            stats.iter().map(|s| (s.0, s.1)),
            BLUE.stroke_width(2)
        ))
    );
    plot_try!(
        path,
        chart.draw_series(stats.iter().map(|s| ErrorBar::new_vertical(
            s.0,
            s.1 - s.2,
            s.1,
            s.1 + s.2,
            BLUE.filled(),
            8
        )))
    );
    plot_try!(
        path,
        chart.draw_series(
            stats
                .iter()
                .map(|s| Circle::new((s.0, s.1), 4, BLUE.filled()))
        )
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_are_averaged_into_cells() {
        let g = Grid::from_samples(
            "g",
            "eta",
            &[1.0, 2.0],
            &[0.5],
            [(1.0, 0.5, 2.0), (1.0, 0.5, 4.0), (2.0, 0.5, f64::NAN)].into_iter(),
        );
        assert_eq!(g.cells, vec![vec![Some(3.0), None]]);
    }

    #[test]
    fn figures_of_empty_constant_and_extreme_columns_are_drawn() {
        // All-NaN, a single value, a constant column and extreme values must neither hang
        // plotters nor fail (issue 9: a NaN column used to spin forever).
        let dir = std::env::temp_dir().join(format!("brunel-plot-edge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases: Vec<Vec<(f64, Vec<f64>)>> = vec![
            vec![(0.0, vec![f64::NAN]), (1.0, vec![f64::NAN])],
            vec![(5.0, vec![2.0])],
            vec![(1.0, vec![3.0]), (2.0, vec![3.0])],
            vec![(1.0, vec![1e308]), (2.0, vec![-1e308])],
            vec![(1.0, vec![f64::INFINITY]), (2.0, vec![1e-320])],
            vec![],
        ];
        for (k, pts) in cases.iter().enumerate() {
            let p = dir.join(format!("curve{k}.png"));
            curve(pts, "x", "y (Hz)", &p, "t").unwrap();
            assert!(p.exists());
        }
        let grids = [
            vec![vec![None, None]],
            vec![vec![Some(4.0), Some(4.0)]],
            vec![vec![Some(1e-300), Some(1e300)]],
            vec![vec![Some(0.0), Some(f64::MIN_POSITIVE)]],
        ];
        for (k, cells) in grids.into_iter().enumerate() {
            let g = Grid {
                x_name: "g".into(),
                y_name: "eta".into(),
                xs: vec![3.0, 5.0],
                ys: vec![1.0],
                cells,
            };
            let p = dir.join(format!("heat{k}.png"));
            heatmap(&g, &p, "t", "rate (Hz)").unwrap();
            assert!(p.exists());
        }
        assert_eq!(drawable_range(f64::NAN, 1.0), (0.0, 1.0));
        assert_eq!(drawable_range(2.0, 2.0), (1.0, 3.0));
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
        assert_eq!(frac_index(&[3.0, 3.5, 4.5, 5.0], 4.0), Some(1.5));
    }
}
