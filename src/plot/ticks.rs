//! Axis ticks of the cell charts (heatmaps, regime maps): at round values — 1, 2, 2.5 or 5
//! × 10^k — whatever the grid or refinement lattice, placed where those values fall between
//! the cells; an irregular axis of a few values is labelled at each value instead.

/// Tick positions on a cell axis (fractional cell index; cell k is centred on k) and their
/// labels, at most about `max_ticks` of them.
pub fn cell_ticks(values: &[f64], max_ticks: usize) -> Vec<(f64, String)> {
    match values {
        [] => vec![],
        [v] => vec![(0.0, nice_label(*v))],
        _ if !is_uniform(values) && values.len() <= 20 => values
            .iter()
            .enumerate()
            .map(|(k, v)| (k as f64, nice_label(*v)))
            .collect(),
        _ => round_ticks(values, max_ticks.max(2)),
    }
}

/// Whether consecutive values are equally spaced (a linspace, an arange, a lattice).
fn is_uniform(values: &[f64]) -> bool {
    let d = values[1] - values[0];
    values
        .windows(2)
        .all(|w| ((w[1] - w[0]) - d).abs() <= 1e-6 * d.abs().max(1e-300))
}

/// The round steps 1, 2, 2.5, 5 × 10^k, ascending, from below `lo` to above `hi`.
fn nice_steps(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
    (a..=b)
        .flat_map(|k| [1.0, 2.0, 2.5, 5.0].map(|m| m * 10f64.powi(k)))
        .collect()
}

/// Ticks at multiples of the smallest round step that gives at most `max_ticks` ticks over
/// the axis's range (preferring a multiple of the grid's own spacing, so ticks sit on cells).
fn round_ticks(values: &[f64], max_ticks: usize) -> Vec<(f64, String)> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return vec![(0.0, nice_label(values[0]))];
    }
    let spacing = if is_uniform(values) {
        (values[1] - values[0]).abs()
    } else {
        0.0
    };
    let steps = nice_steps(span / 1000.0, span);
    let fits = |s: f64| s >= spacing * (1.0 - 1e-9) && span / s <= max_ticks as f64;
    let on_cells = |s: f64| spacing > 0.0 && ((s / spacing) - (s / spacing).round()).abs() < 1e-6;
    let step = steps
        .iter()
        .copied()
        .find(|&s| fits(s) && on_cells(s))
        .or_else(|| steps.iter().copied().find(|&s| fits(s)))
        .unwrap_or(span);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .filter_map(|k| {
            let v = k as f64 * step;
            Some((frac_index(values, v)?, nice_label(v)))
        })
        .collect()
}

/// Fractional cell index of value `v` on an axis; None outside its range.
pub fn frac_index(values: &[f64], v: f64) -> Option<f64> {
    if values.len() == 1 {
        return crate::model::same_value(values[0], v).then_some(0.0);
    }
    let tol = 1e-9 * (values[values.len() - 1] - values[0]).abs();
    for k in 0..values.len().saturating_sub(1) {
        let (a, b) = (values[k], values[k + 1]);
        if (a - tol <= v && v <= b + tol) || (b - tol <= v && v <= a + tol) {
            let t = if b != a { (v - a) / (b - a) } else { 0.0 };
            return Some(k as f64 + t.clamp(0.0, 1.0));
        }
    }
    None
}

/// A value as a short label: at most 4 significant digits' worth of decimals, no trailing
/// zeros (`2.5`, `0.0625`, `10000`).
pub fn nice_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format!("{v:.3e}")
            .replace(".000e", "e")
            .replace("00e", "e")
            .replace("0e", "e");
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A real axis whose ticks are exactly `keys` (plotters' own `WithKeyPoints` loses the f64
/// formatter); the charts always give their own label formatter.
#[derive(Clone)]
pub struct KeyedAxis {
    inner: plotters::coord::types::RangedCoordf64,
    keys: Vec<f64>,
}

impl KeyedAxis {
    /// The range `lo..hi` ticked at `keys`.
    pub fn new(range: std::ops::Range<f64>, keys: Vec<f64>) -> KeyedAxis {
        KeyedAxis {
            inner: range.into(),
            keys,
        }
    }
}

impl plotters::coord::ranged1d::Ranged for KeyedAxis {
    type ValueType = f64;
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            vec![]
        } else {
            self.keys.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &[(f64, String)]) -> Vec<&str> {
        t.iter().map(|(_, l)| l.as_str()).collect()
    }

    #[test]
    fn a_refined_lattice_gets_round_ticks_on_its_cells() {
        // eta 0-4 at 3 levels: 65 values spaced 0.0625 (the adaptive map's lattice).
        let eta: Vec<f64> = (0..65).map(|k| k as f64 * 0.0625).collect();
        let t = cell_ticks(&eta, 10);
        assert_eq!(
            labels(&t),
            ["0", "0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4"]
        );
        assert!(t.iter().all(|(p, _)| (p - p.round()).abs() < 1e-9));
        assert_eq!(t[2].0, 16.0);
        let g: Vec<f64> = (0..65).map(|k| k as f64 * 0.125).collect();
        assert_eq!(
            labels(&cell_ticks(&g, 10)),
            ["0", "1", "2", "3", "4", "5", "6", "7", "8"]
        );
    }

    #[test]
    fn ticks_are_multiples_of_one_round_step() {
        let odd: Vec<f64> = (0..37).map(|k| 0.3 + k as f64 * 0.1375).collect();
        let vals: Vec<f64> = cell_ticks(&odd, 8)
            .iter()
            .map(|(_, l)| l.parse().unwrap())
            .collect();
        assert!(vals.len() >= 3, "{vals:?}");
        let step = vals[1] - vals[0];
        let mantissa = step / 10f64.powf(step.log10().floor());
        assert!(
            [1.0, 2.0, 2.5, 5.0]
                .iter()
                .any(|m| (mantissa - m).abs() < 1e-9),
            "{step}"
        );
        for v in &vals {
            assert!(
                ((v / step) - (v / step).round()).abs() < 1e-9,
                "{v} of {vals:?}"
            );
        }
    }

    #[test]
    fn a_few_irregular_values_are_each_labelled() {
        let t = cell_ticks(&[0.9, 1.0, 2.0, 3.0, 4.0], 10);
        assert_eq!(labels(&t), ["0.9", "1", "2", "3", "4"]);
        assert_eq!(cell_ticks(&[7.0], 10), vec![(0.0, "7".to_string())]);
        assert_eq!(nice_label(0.0625), "0.0625");
        assert_eq!(nice_label(3.4375000000000004), "3.4375");
        assert_eq!(frac_index(&[3.0, 3.5, 4.5, 5.0], 4.0), Some(1.5));
    }
}
