//! Heatmaps of a result column over the two swept axes (mean over replicates, colour bar with
//! its scale and units), one panel per facet sharing one colour scale, the cell charts the
//! regime map ([`super::regime_map`]) draws on, and curves for one-axis sweeps.

use super::panels::{figure, FigureSize, PanelLayout, PanelPlace};
use super::ticks::{cell_ticks, frac_index, nice_label, KeyedAxis};
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

/// A chart whose cells are the grid points (centred on whole numbers), ticked at round axis
/// values ([`super::ticks`]).
pub(crate) type CellChart<'a, 'b> = plotters::chart::ChartContext<
    'a,
    plotters::backend::BitMapBackend<'b>,
    plotters::coord::cartesian::Cartesian2d<KeyedAxis, KeyedAxis>,
>;

/// The label of the tick nearest position `x` (the formatter sees only key points).
fn tick_text(ticks: &[(f64, String)], x: f64) -> String {
    ticks
        .iter()
        .find(|(p, _)| (p - x).abs() < 1e-6)
        .map(|(_, l)| l.clone())
        .unwrap_or_default()
}

/// A cell chart on `area`: ticks at round values of the `axes`, the axes' `names` where
/// `place` says (the outer edges of a grid of panels), and a `caption` above it if given.
pub(crate) fn cell_chart<'a, 'b>(
    area: &'a Area<'b>,
    path: &Path,
    axes: (&[f64], &[f64]),
    names: (&str, &str),
    place: PanelPlace,
    caption: Option<&str>,
) -> Result<CellChart<'a, 'b>, PlotError> {
    let (xs, ys) = axes;
    let (nx, ny) = (xs.len(), ys.len());
    let many = if place.font >= 16 { 10 } else { 6 };
    let (xt, yt) = (cell_ticks(xs, many), cell_ticks(ys, many));
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(if place.x_name { 48 } else { 28 })
        .y_label_area_size(if place.y_name { 62 } else { 44 });
    if let Some(c) = caption {
        builder.caption(c, (FONT_FAMILY, place.font + 2));
    }
    let mut chart = plot_try!(
        path,
        builder.build_cartesian_2d(
            KeyedAxis::new(-0.5..nx as f64 - 0.5, xt.iter().map(|t| t.0).collect()),
            KeyedAxis::new(-0.5..ny as f64 - 0.5, yt.iter().map(|t| t.0).collect())
        )
    );
    let (xf, yf) = (|x: &f64| tick_text(&xt, *x), |y: &f64| tick_text(&yt, *y));
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT_FAMILY, place.font));
    if place.x_name {
        mesh.x_desc(names.0);
    }
    if place.y_name {
        mesh.y_desc(names.1);
    }
    plot_try!(path, mesh.draw());
    Ok(chart)
}

/// Fills every cell (`colours[iy][ix]`) of a cell chart. Neighbouring cells of one row with
/// the same colour are drawn as one rectangle (given in row order), so a refined sweep's
/// lattice of millions of cells costs a rectangle per run of equal colour, not per cell.
pub(crate) fn fill_cells(
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

/// How a column's values map to colours: `auto` (log10 when its positive values span more
/// than two decades and none is negative, else linear), or forced by `[plots] scales`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScaleKind {
    #[default]
    Auto,
    Linear,
    Log,
}

/// How cell values map to colours: linear or log10, over the drawable range `lo..hi` of the
/// (transformed) values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourScale {
    pub log: bool,
    pos_min: f64,
    lo: f64,
    hi: f64,
}

impl ColourScale {
    /// One scale for the finite cells of all `grids` (the panels of one figure share it).
    /// A log scale asked for a column with no positive value falls back to linear.
    pub fn of(grids: &[&Grid], kind: ScaleKind) -> ColourScale {
        let vals: Vec<f64> = grids.iter().flat_map(|g| g.finite()).collect();
        let pos_min = vals
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let log = pos_min.is_finite()
            && match kind {
                ScaleKind::Auto => min >= 0.0 && max / pos_min > 100.0,
                ScaleKind::Log => true,
                ScaleKind::Linear => false,
            };
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
        if self.log && shown.abs() >= 1e4 {
            // One style along a log bar: 1000, 2e4, 1e5 rather than 10000 beside 1e5.
            let k = shown.abs().log10().floor() as i32;
            let m = (shown / 10f64.powi(k) * 100.0).round() / 100.0;
            return format!("{}e{k}", nice_label(m));
        }
        nice_label(shown)
    }

    /// The colour bar's ticks: round values in the column's unit (1, 2, 5 × 10^k on a log
    /// scale), on the scale's axis.
    fn ticks(&self) -> Vec<f64> {
        if !self.log {
            let n = 40usize;
            let vals: Vec<f64> = (0..=n)
                .map(|k| self.lo + (self.hi - self.lo) * k as f64 / n as f64)
                .collect();
            return cell_ticks(&vals, 8)
                .into_iter()
                .filter_map(|(_, l)| l.parse().ok())
                .collect();
        }
        let (a, b) = (self.lo.floor() as i32, self.hi.ceil() as i32);
        let per_decade: &[f64] = if b - a <= 3 { &[1.0, 2.0, 5.0] } else { &[1.0] };
        (a..=b)
            .flat_map(|k| per_decade.iter().map(move |m| (m * 10f64.powi(k)).log10()))
            .filter(|t| *t >= self.lo - 1e-9 && *t <= self.hi + 1e-9)
            .collect()
    }
}

/// Colour of a cell without a value.
const NO_VALUE: RGBColor = RGBColor(200, 200, 200);

/// Draws a heatmap of `grid` with a viridis colour bar labelled `label` (the automatic
/// scale): a figure of one panel.
pub fn heatmap(grid: &Grid, path: &Path, title: &str, label: &str) -> Result<(), PlotError> {
    let scale = ColourScale::of(&[grid], ScaleKind::Auto);
    heatmap_panels(
        &[(String::new(), grid)],
        PanelLayout::for_count(1),
        path,
        title,
        label,
        &scale,
    )
}

/// Draws `panels` (title, grid) as one figure of `layout`, all on `scale`, with one colour bar
/// labelled `label` (its scale named). Empty, constant or non-finite columns still draw (a
/// grey "no value" cell, a padded range), so a sweep's report never stops at one figure.
pub fn heatmap_panels(
    panels: &[(String, &Grid)],
    layout: PanelLayout,
    path: &Path,
    title: &str,
    label: &str,
    scale: &ColourScale,
) -> Result<(), PlotError> {
    let size = FigureSize::of(layout, 160);
    let fig = figure(path, layout, size, title)?;
    for (k, ((caption, grid), area)) in panels.iter().zip(&fig.panels).enumerate() {
        let place = PanelPlace::of(k, panels.len(), layout);
        let caption = (!caption.is_empty()).then_some(caption.as_str());
        draw_heat_cells(area, path, grid, scale, place, caption)?;
    }
    draw_colour_bar(&fig.side, path, scale, label)?;
    if panels
        .iter()
        .any(|(_, g)| g.cells.iter().flatten().any(|c| c.is_none()))
    {
        let h = fig.side.dim_in_pixel().1 as i32;
        draw_no_value_key(&fig.side, path, h - 52)?;
    }
    plot_try!(path, fig.root.present());
    Ok(())
}

/// One heatmap panel: a coloured cell per grid point, and a white line at g = 4 where g is
/// the x axis.
fn draw_heat_cells(
    main: &Area<'_>,
    path: &Path,
    grid: &Grid,
    scale: &ColourScale,
    place: PanelPlace,
    caption: Option<&str>,
) -> Result<(), PlotError> {
    let ny = grid.ys.len();
    let mut chart = cell_chart(
        main,
        path,
        (&grid.xs, &grid.ys),
        (&grid.x_name, &grid.y_name),
        place,
        caption,
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

/// The colour bar: a 100-step viridis gradient over the scale's range, round ticks in the
/// column's unit, labelled `label` and its scale (", log scale" or ", linear scale").
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
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..1.0, KeyedAxis::new(lo..hi, scale.ticks()))
    );
    let cb_label = format!(
        "{label}, {} scale",
        if scale.log { "log" } else { "linear" }
    );
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

/// The key of the grey "no value" cell under the colour bar, at height `y` px.
fn draw_no_value_key(bar: &Area<'_>, path: &Path, y: i32) -> Result<(), PlotError> {
    let style = (FONT_FAMILY, 13).into_font();
    plot_try!(
        path,
        bar.draw(&Rectangle::new([(10, y), (26, y + 16)], NO_VALUE.filled()))
    );
    plot_try!(
        path,
        bar.draw(&Text::new("no value".to_string(), (32, y + 1), style))
    );
    Ok(())
}

/// Colour of a regime on the regime map.
pub fn regime_colour(r: Regime) -> RGBColor {
    match r {
        Regime::Quiescent => RGBColor(190, 190, 190),
        Regime::SR => RGBColor(214, 39, 40),
        Regime::AR => RGBColor(227, 119, 194),
        Regime::AI => RGBColor(44, 160, 44),
        Regime::SIFast => RGBColor(31, 119, 180),
        Regime::SISlow => RGBColor(148, 103, 189),
        Regime::Unclassified => RGBColor(255, 187, 120),
        Regime::Failed => RGBColor(255, 255, 255),
    }
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
}
