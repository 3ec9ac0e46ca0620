//! Raster plots: all spikes of a (sub)set of neurons, E and I in two colours; and Brunel's
//! Fig. 8 layout (spikes of 50 neurons above, population rate in 0.1 ms bins below).

use super::{ensure_font, whole, PlotError, FONT_FAMILY};
use super::heatmap::drawable_range;
use crate::record::{PopulationSpikes, Recording};
use crate::plot_try;
use plotters::prelude::*;
use std::path::Path;

/// Colours of populations in network order (E blue, I red, then others).
pub const POP_COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Draws every spike of up to `max_neurons` neurons (taken from each population in
/// proportion to its size, lowest indices first) between `t0_ms` and `t1_ms`.
pub fn raster(
    rec: &Recording,
    path: &Path,
    title: &str,
    t0_ms: f64,
    t1_ms: f64,
    max_neurons: usize,
) -> Result<(), PlotError> {
    ensure_font();
    let (t0_ms, t1_ms) = drawable_range(t0_ms, t1_ms);
    let total: usize = rec.spikes.iter().map(|p| p.size).sum();
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
    let rows: usize = shown.iter().sum();
    let root = BitMapBackend::new(path, (1200, 700)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let mut chart = plot_try!(
        path,
        ChartBuilder::on(&root)
            .caption(title, (FONT_FAMILY, 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(t0_ms..t1_ms, -0.5..rows.max(1) as f64 - 0.5)
    );
    let y_desc = if frac < 1.0 {
        format!("neuron (first {rows} of {total})")
    } else {
        "neuron index".to_string()
    };
    plot_try!(
        path,
        chart
            .configure_mesh()
            .x_label_formatter(&whole)
            .y_label_formatter(&whole)
            .disable_mesh()
            .x_desc("time (ms)")
            .y_desc(y_desc)
            .label_style((FONT_FAMILY, 16))
            .draw()
    );
    let mut base = 0usize;
    let dot = if rows <= 200 { 2 } else { 1 };
    for (k, (pop, &n)) in rec.spikes.iter().zip(&shown).enumerate() {
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
    plot_try!(path, root.present());
    Ok(())
}

/// Brunel's Fig. 8 layout over [t0_ms, t1_ms]: spikes of the first `n_raster` neurons of the
/// first population above, the population rate of all LIF neurons in bins of dt below (Hz).
pub fn fig8(
    rec: &Recording,
    path: &Path,
    title: &str,
    t0_ms: f64,
    t1_ms: f64,
    n_raster: usize,
) -> Result<(), PlotError> {
    ensure_font();
    let (t0_ms, t1_ms) = drawable_range(t0_ms, t1_ms);
    let dt = rec.dt_ms;
    let root = BitMapBackend::new(path, (1000, 800)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let root = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(PlotError::at(path))?;
    let (upper, lower) = root.split_vertically(440);

    let empty = PopulationSpikes::default();
    let first = rec.spikes.first().unwrap_or(&empty);
    let n_raster = n_raster.min(first.size).max(1);
    let mut top = plot_try!(
        path,
        ChartBuilder::on(&upper)
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

    let n_all: usize = rec.spikes.iter().map(|p| p.size).sum::<usize>().max(1);
    let s0 = (t0_ms.max(0.0) / dt).round() as usize;
    let s1 = ((t1_ms.max(0.0) / dt).round() as usize).min(rec.n_steps).max(s0);
    let counts = crate::analysis::population_counts(rec, s0, s1);
    let rate: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(k, &c)| ((s0 + k) as f64 * dt, c / (n_all as f64 * dt * 1e-3)))
        .collect();
    let max_rate = rate.iter().map(|r| r.1).fold(1.0, f64::max) * 1.05;
    let mut bottom = plot_try!(
        path,
        ChartBuilder::on(&lower)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(t0_ms..t1_ms, 0.0..max_rate)
    );
    plot_try!(
        path,
        bottom
            .configure_mesh()
            .x_label_formatter(&whole)
            .y_label_formatter(&whole)
            .disable_mesh()
            .x_desc("time (ms)")
            .y_desc(format!("population rate (Hz, {dt} ms bins)"))
            .label_style((FONT_FAMILY, 15))
            .draw()
    );
    plot_try!(
        path,
        bottom.draw_series(LineSeries::new(rate, BLACK.stroke_width(1)))
    );
    plot_try!(path, root.present());
    Ok(())
}
