//! The seed's `visualise_connectivity`: source–target lines on the left, the (i, j) scatter on
//! the right, for one projection.

use super::{ensure_font, whole, Area, PlotError, FONT_FAMILY};
use crate::plot_try;
use plotters::prelude::*;
use std::path::Path;

/// Draws the synapses `pairs` (local source, local target) of a projection between
/// populations of `n_source` and `n_target` neurons: each synapse as a line from source to
/// target on the left, as a dot at (source, target) on the right, like the tutorial's
/// `visualise_connectivity`.
pub fn connectivity(
    pairs: &[(usize, usize)],
    n_source: usize,
    n_target: usize,
    path: &Path,
    title: &str,
) -> Result<(), PlotError> {
    ensure_font();
    let root = BitMapBackend::new(path, (1200, 600)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let root = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(PlotError::at(path))?;
    let (left, right) = root.split_horizontally(600);
    draw_synapse_lines(&left, path, pairs, n_source, n_target)?;
    draw_synapse_scatter(&right, path, pairs, n_source, n_target)?;
    plot_try!(path, root.present());
    Ok(())
}

/// The left panel: sources in a column at x = 0, targets at x = 1, a line per synapse (fainter
/// above 2000 synapses).
fn draw_synapse_lines(
    left: &Area<'_>,
    path: &Path,
    pairs: &[(usize, usize)],
    n_source: usize,
    n_target: usize,
) -> Result<(), PlotError> {
    let n_max = n_source.max(n_target) as f64;
    let mut l = plot_try!(
        path,
        ChartBuilder::on(left)
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(-0.1..1.1, -1.0..n_max)
    );
    plot_try!(
        path,
        l.configure_mesh()
            .y_label_formatter(&whole)
            .disable_mesh()
            .x_labels(3)
            .x_label_formatter(&|x: &f64| if x.abs() < 1e-9 {
                "Source".into()
            } else if (x - 1.0).abs() < 1e-9 {
                "Target".into()
            } else {
                String::new()
            })
            .y_desc("neuron index")
            .label_style((FONT_FAMILY, 15))
            .draw()
    );
    let line_colour = BLACK.mix(if pairs.len() > 2000 { 0.05 } else { 0.4 });
    plot_try!(
        path,
        l.draw_series(
            pairs.iter().map(|&(i, j)| PathElement::new(
                vec![(0.0, i as f64), (1.0, j as f64)],
                line_colour
            ))
        )
    );
    plot_try!(
        path,
        l.draw_series((0..n_source).map(|i| Circle::new((0.0, i as f64), 3, BLACK.filled())))
    );
    plot_try!(
        path,
        l.draw_series((0..n_target).map(|j| Circle::new((1.0, j as f64), 3, BLACK.filled())))
    );
    Ok(())
}

/// The right panel: a dot at (source index, target index) per synapse.
fn draw_synapse_scatter(
    right: &Area<'_>,
    path: &Path,
    pairs: &[(usize, usize)],
    n_source: usize,
    n_target: usize,
) -> Result<(), PlotError> {
    let mut r = plot_try!(
        path,
        ChartBuilder::on(right)
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(-1.0..n_source as f64, -1.0..n_target as f64)
    );
    plot_try!(
        path,
        r.configure_mesh()
            .x_label_formatter(&whole)
            .y_label_formatter(&whole)
            .disable_mesh()
            .x_desc("source neuron index")
            .y_desc("target neuron index")
            .label_style((FONT_FAMILY, 15))
            .draw()
    );
    plot_try!(
        path,
        r.draw_series(pairs.iter().map(|&(i, j)| Circle::new(
            (i as f64, j as f64),
            2,
            BLACK.filled()
        )))
    );
    Ok(())
}
