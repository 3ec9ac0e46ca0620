//! Raster plots: all spikes of a (sub)set of neurons, E and I in two colours; and Brunel's
//! Fig. 8 layout (spikes of 50 neurons above, population rate below in bins of dt, or coarser
//! when the window has more than [`MAX_RATE_BINS`] steps).

use super::{ensure_font, whole, Area, Chart, PlotError, FONT_FAMILY};
use crate::plot_try;
use crate::record::{PopulationSpikes, Recording};
use plotters::prelude::*;
use std::path::Path;

/// Colours of populations in network order (E blue, I red, then others).
pub const POP_COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Most bins of the population rate in [`fig8`]: a longer window is binned in whole multiples
/// of dt, so that a long run or a tiny dt cannot ask for gigabytes (one bin per dt is the
/// paper's; 10^6 bins are far more than the figure's 1000 pixels).
pub const MAX_RATE_BINS: usize = 1_000_000;

/// A time window plotters can draw: finite, start < end. (An infinite end makes plotters'
/// tick search loop forever; NaN or an empty range draws nothing meaningful.)
fn check_window(path: &Path, t0_ms: f64, t1_ms: f64) -> Result<(), PlotError> {
    if t0_ms.is_finite() && t1_ms.is_finite() && t0_ms < t1_ms && (t1_ms - t0_ms).is_finite() {
        Ok(())
    } else {
        Err(PlotError {
            path: path.display().to_string(),
            message: format!("time window [{t0_ms}, {t1_ms}] ms: expected finite start < end"),
        })
    }
}

/// Which rows a raster shows: the first `shown[k]` neurons of population k (at least one of
/// each non-empty population), `rows` in all, of `total` neurons.
struct RasterRows {
    shown: Vec<usize>,
    rows: usize,
    total: usize,
    /// Share of every population shown; 1 when all neurons fit.
    frac: f64,
}

impl RasterRows {
    /// Rows for at most about `max_neurons` neurons, taken from each population in proportion
    /// to its size.
    fn allocate(rec: &Recording, max_neurons: usize) -> RasterRows {
        let total: usize = rec
            .spikes
            .iter()
            .map(|p| p.size)
            .fold(0, usize::saturating_add);
        let frac = if total > max_neurons {
            max_neurons as f64 / total as f64
        } else {
            1.0
        };
        let shown: Vec<usize> = rec
            .spikes
            .iter()
            .map(|p| ((p.size as f64 * frac).round() as usize).max(1).min(p.size))
            .collect();
        let rows = shown.iter().sum();
        RasterRows {
            shown,
            rows,
            total,
            frac,
        }
    }

    /// The y-axis label: "neuron index", or which share of the neurons is shown.
    fn y_desc(&self) -> String {
        if self.frac < 1.0 {
            format!("neuron (first {} of {})", self.rows, self.total)
        } else {
            "neuron index".to_string()
        }
    }
}

/// Draws every spike of up to `max_neurons` neurons (taken from each population in
/// proportion to its size, lowest indices first) between `t0_ms` and `t1_ms`, one colour per
/// population, with a legend of spike counts. The window must be finite with start < end.
pub fn raster(
    rec: &Recording,
    path: &Path,
    title: &str,
    t0_ms: f64,
    t1_ms: f64,
    max_neurons: usize,
) -> Result<(), PlotError> {
    check_window(path, t0_ms, t1_ms)?;
    ensure_font();
    let rows = RasterRows::allocate(rec, max_neurons);
    let root = BitMapBackend::new(path, (1200, 700)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let mut chart = plot_try!(
        path,
        ChartBuilder::on(&root)
            .caption(title, (FONT_FAMILY, 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(t0_ms..t1_ms, -0.5..rows.rows as f64 - 0.5)
    );
    plot_try!(
        path,
        chart
            .configure_mesh()
            .x_label_formatter(&whole)
            .y_label_formatter(&whole)
            .disable_mesh()
            .x_desc("time (ms)")
            .y_desc(rows.y_desc())
            .label_style((FONT_FAMILY, 16))
            .draw()
    );
    draw_population_spikes(&mut chart, path, rec, &rows, (t0_ms, t1_ms))?;
    plot_try!(path, root.present());
    Ok(())
}

/// The raster's dots: population k's shown neurons stacked above those of populations before
/// it, in its colour, and the legend naming each population with its spike count in the window.
fn draw_population_spikes<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    path: &Path,
    rec: &Recording,
    rows: &RasterRows,
    (t0_ms, t1_ms): (f64, f64),
) -> Result<(), PlotError> {
    let mut base = 0usize;
    let dot = if rows.rows <= 200 { 2 } else { 1 };
    for (k, (pop, &n)) in rec.spikes.iter().zip(&rows.shown).enumerate() {
        let colour = POP_COLOURS[k % POP_COLOURS.len()];
        let pts: Vec<(f64, f64)> = pop
            .steps
            .iter()
            .zip(&pop.neurons)
            .filter(|(_, &j)| (j as usize) < n)
            .map(|(&s, &j)| (s as f64 * rec.dt_ms, (base + j as usize) as f64))
            .filter(|(t, _)| *t >= t0_ms && *t <= t1_ms)
            .collect();
        let label = format!("{} ({} spikes)", pop.name, pts.len());
        plot_try!(
            path,
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, dot, colour.filled())))
        )
        .label(label)
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
        base += n;
    }
    plot_try!(
        path,
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT_FAMILY, 16))
            .draw()
    );
    Ok(())
}

/// Brunel's Fig. 8 layout over [t0_ms, t1_ms]: spikes of the first `n_raster` neurons of the
/// first population above, the population rate of all LIF neurons below (Hz, in bins of dt,
/// or of whole multiples of dt when the window has more than [`MAX_RATE_BINS`] steps). Fails
/// on a window that is not finite with start < end, a dt that is not finite and > 0, or a
/// recording without populations.
pub fn fig8(
    rec: &Recording,
    path: &Path,
    title: &str,
    t0_ms: f64,
    t1_ms: f64,
    n_raster: usize,
) -> Result<(), PlotError> {
    let first = fig8_input(rec, path, t0_ms, t1_ms)?;
    ensure_font();
    let root = BitMapBackend::new(path, (1000, 800)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let root = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(PlotError::at(path))?;
    let (upper, lower) = root.split_vertically(440);
    let n_raster = n_raster.min(first.size);
    draw_fig8_raster(&upper, path, first, rec.dt_ms, (t0_ms, t1_ms), n_raster)?;
    draw_fig8_rate(&lower, path, rec, (t0_ms, t1_ms))?;
    plot_try!(path, root.present());
    Ok(())
}

/// Checks what [`fig8`] needs (a drawable window, dt finite and > 0, a population) and
/// returns the first population, whose neurons the upper panel shows.
fn fig8_input<'r>(
    rec: &'r Recording,
    path: &Path,
    t0_ms: f64,
    t1_ms: f64,
) -> Result<&'r PopulationSpikes, PlotError> {
    check_window(path, t0_ms, t1_ms)?;
    let dt = rec.dt_ms;
    let fail = |message: String| PlotError {
        path: path.display().to_string(),
        message,
    };
    if !(dt.is_finite() && dt > 0.0) {
        return Err(fail(format!(
            "time step {dt} ms: expected a finite number > 0"
        )));
    }
    rec.spikes
        .first()
        .ok_or_else(|| fail("the recording has no populations".into()))
}

/// Fig. 8's upper panel: the spikes of neurons 0..n_raster of `first` in the window.
fn draw_fig8_raster(
    upper: &Area<'_>,
    path: &Path,
    first: &PopulationSpikes,
    dt: f64,
    (t0_ms, t1_ms): (f64, f64),
    n_raster: usize,
) -> Result<(), PlotError> {
    let mut top = plot_try!(
        path,
        ChartBuilder::on(upper)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(t0_ms..t1_ms, -0.5..n_raster as f64 - 0.5)
    );
    plot_try!(
        path,
        top.configure_mesh()
            .x_label_formatter(&whole)
            .y_label_formatter(&whole)
            .disable_mesh()
            .x_desc("time (ms)")
            .y_desc(format!("{} neuron", first.name))
            .label_style((FONT_FAMILY, 15))
            .draw()
    );
    let pts = first
        .steps
        .iter()
        .zip(&first.neurons)
        .filter(|(_, &j)| (j as usize) < n_raster)
        .map(|(&s, &j)| (s as f64 * dt, j as f64))
        .filter(|(t, _)| *t >= t0_ms && *t <= t1_ms);
    plot_try!(
        path,
        top.draw_series(pts.map(|p| Circle::new(p, 2, BLACK.filled())))
    );
    Ok(())
}

/// The population rate of all LIF neurons over the window as `(bin start ms, Hz)`, and the
/// bin width in ms: dt, or a whole multiple of it so that there are at most
/// [`MAX_RATE_BINS`] bins. 0 Hz throughout when the populations have no neurons.
fn population_rate(rec: &Recording, (t0_ms, t1_ms): (f64, f64)) -> (Vec<(f64, f64)>, f64) {
    let dt = rec.dt_ms;
    let n_all = rec
        .spikes
        .iter()
        .map(|p| p.size)
        .fold(0, usize::saturating_add);
    // Steps s0..=s1 in bins of `bin` steps (1 unless the window has over MAX_RATE_BINS steps).
    let (s0, s1) = ((t0_ms / dt).round().max(0.0), (t1_ms / dt).round().max(0.0));
    let n_steps = s1 - s0 + 1.0;
    let bin = (n_steps / MAX_RATE_BINS as f64).ceil().max(1.0);
    let counts = crate::analysis::population_counts(rec, s0 as usize, s1 as usize, bin as usize);
    let bin_ms = bin * dt;
    let rate = counts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let t = (s0 + k as f64 * bin) * dt;
            let hz = if n_all == 0 {
                0.0
            } else {
                c / (n_all as f64 * bin_ms * 1e-3)
            };
            (t, hz)
        })
        .collect();
    (rate, bin_ms)
}

/// Fig. 8's lower panel: the population rate (see [`population_rate`]), its bin in the label.
fn draw_fig8_rate(
    lower: &Area<'_>,
    path: &Path,
    rec: &Recording,
    window: (f64, f64),
) -> Result<(), PlotError> {
    let (rate, bin_ms) = population_rate(rec, window);
    let max_rate = rate.iter().map(|r| r.1).fold(1.0, f64::max) * 1.05;
    let mut bottom = plot_try!(
        path,
        ChartBuilder::on(lower)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(window.0..window.1, 0.0..max_rate)
    );
    plot_try!(
        path,
        bottom
            .configure_mesh()
            .x_label_formatter(&whole)
            .y_label_formatter(&whole)
            .disable_mesh()
            .x_desc("time (ms)")
            .y_desc(format!("population rate (Hz, {bin_ms} ms bins)"))
            .label_style((FONT_FAMILY, 15))
            .draw()
    );
    plot_try!(
        path,
        bottom.draw_series(LineSeries::new(rate, BLACK.stroke_width(1)))
    );
    Ok(())
}
