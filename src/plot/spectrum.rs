//! `spectrum.png` of `brunel simulate`: the simulated power spectrum of the population rate
//! and the theory's finite-size spectrum of the same state on one log–log figure, both in
//! units of the Poisson floor (the unit of `oscillation_strength` and `theory_peak_power`).

use super::ticks::{nice_label, KeyedAxis};
use super::{ensure_font, PlotError, FONT_FAMILY};
use crate::plot_try;
use plotters::prelude::*;
use std::path::Path;

/// What the figure shows: (frequency Hz, power over the floor) pairs.
pub struct SpectrumCurves<'a> {
    /// The simulated Welch spectrum, one pair per bin above 0 Hz.
    pub simulated: &'a [(f64, f64)],
    /// The theory's N·S_A/ν0 at the same frequencies; None where the theory has no stable
    /// state to predict (then `theory_note` says why).
    pub theory: Option<&'a [(f64, f64)]>,
    /// Legend text of the theory (its peak, or why there is no curve).
    pub theory_note: String,
    /// Legend text of the simulation (its peak).
    pub simulated_note: String,
}

/// Colour of the theory's curve.
const THEORY: RGBColor = RGBColor(214, 39, 40);

/// Decades (log10 values) covering `lo..hi`, and a key every decade, with 2 and 5 between
/// when the axis spans few decades.
fn log_keys(lo: f64, hi: f64) -> Vec<f64> {
    let mut keys = Vec::new();
    let span = hi - lo;
    let mantissas: &[f64] = if span <= 3.5 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    for k in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for m in mantissas {
            let v = k as f64 + m.log10();
            if v >= lo && v <= hi {
                keys.push(v);
            }
        }
    }
    keys
}

/// log10 of the positive, finite pairs.
fn logs(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter(|(f, p)| *f > 0.0 && *p > 0.0 && f.is_finite() && p.is_finite())
        .map(|(f, p)| (f.log10(), p.log10()))
        .collect()
}

/// Draws the figure to `path`, 1000 × 650 px.
pub fn spectrum_figure(c: &SpectrumCurves, path: &Path, title: &str) -> Result<(), PlotError> {
    ensure_font();
    let sim = logs(c.simulated);
    let theory = c.theory.map(logs).unwrap_or_default();
    let all = || sim.iter().chain(&theory);
    let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
        all().map(pick).fold(init, f)
    };
    let (x0, x1) = (
        fold(f64::min, f64::INFINITY, |p| p.0),
        fold(f64::max, f64::NEG_INFINITY, |p| p.0),
    );
    let (y0, y1) = (fold(f64::min, 0.0, |p| p.1), fold(f64::max, 1.0, |p| p.1));
    let (x0, x1) = if x0 < x1 { (x0, x1) } else { (0.0, 3.0) };
    // At least a decade of power, the floor (10^0) always in view, a decade free on top for
    // the legend.
    let (y0, y1) = ((y0 - 0.2).min(-0.5), (y1 + 1.2).max(y0 + 1.0));
    let root = BitMapBackend::new(path, (1000, 650)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let mut chart = plot_try!(
        path,
        ChartBuilder::on(&root)
            .caption(title, (FONT_FAMILY, 18))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(
                KeyedAxis::new(x0..x1, log_keys(x0, x1)),
                KeyedAxis::new(y0..y1, log_keys(y0, y1)),
            )
    );
    let label = |v: &f64| nice_label(10f64.powf(*v));
    plot_try!(
        path,
        chart
            .configure_mesh()
            .x_label_formatter(&label)
            .y_label_formatter(&label)
            .x_desc("frequency (Hz, log scale)")
            .y_desc("power / Poisson floor (log scale)")
            .label_style((FONT_FAMILY, 15))
            .light_line_style(WHITE)
            .draw()
    );
    let floor = [(x0, 0.0), (x1, 0.0)];
    plot_try!(
        path,
        chart
            .draw_series(DashedLineSeries::new(
                floor,
                6,
                4,
                BLACK.mix(0.5).stroke_width(1)
            ))
            .map(|s| s
                .label("Poisson floor (independent neurons)")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.5))))
    );
    plot_try!(
        path,
        chart
            .draw_series(LineSeries::new(sim, BLACK.stroke_width(1)))
            .map(|s| s
                .label(c.simulated_note.clone())
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK)))
    );
    let theory_series = plot_try!(
        path,
        chart.draw_series(LineSeries::new(theory, THEORY.stroke_width(2)))
    );
    theory_series
        .label(c.theory_note.clone())
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], THEORY.stroke_width(2)));
    plot_try!(
        path,
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT_FAMILY, 14))
            .draw()
    );
    plot_try!(path, root.present());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_keys_are_decades_and_their_halves_and_fifths() {
        let k = log_keys(0.5, 2.0);
        let vals: Vec<String> = k.iter().map(|v| nice_label(10f64.powf(*v))).collect();
        assert_eq!(vals, ["5", "10", "20", "50", "100"]);
        assert_eq!(log_keys(-1.0, 5.0).len(), 7);
    }

    #[test]
    fn a_figure_without_theory_or_points_is_drawn() {
        let dir = std::env::temp_dir().join(format!("brunel-spectrum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.png");
        let sim: Vec<(f64, f64)> = (1..200).map(|k| (k as f64 * 2.5, 1.0 + k as f64)).collect();
        let c = SpectrumCurves {
            simulated: &sim,
            theory: None,
            theory_note: "theory: none".into(),
            simulated_note: "simulation".into(),
        };
        spectrum_figure(&c, &path, "t").unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 1000);
        let empty = SpectrumCurves {
            simulated: &[],
            theory: Some(&[]),
            theory_note: String::new(),
            simulated_note: String::new(),
        };
        spectrum_figure(&empty, &path, "empty").unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
