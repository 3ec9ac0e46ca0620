//! The result row of one run: keys, every parameter, every measure with its unit in the
//! column name, the regime, the mean-field prediction and the run's cost.

use super::definition::SweepDef;
use crate::run::RunOutcome;
use crate::store::results::{Row, Value};

/// Builds the row of run (point, replicate) of `def`.
pub fn build_row(def: &SweepDef, point: usize, replicate: u32, seed: u64, o: &RunOutcome) -> Row {
    let mut cells: Vec<(String, Value)> = vec![
        ("point".into(), Value::U32(point as u32)),
        ("replicate".into(), Value::U32(replicate)),
        ("seed".into(), Value::U64(seed)),
    ];
    let params = def.params_at(point);
    // Swept parameters first, then every other parameter in the model's order.
    for a in &def.axes {
        cells.push((a.param.clone(), Value::F64(params.get(&a.param))));
    }
    for (name, v) in params.iter() {
        if !def.axes.iter().any(|a| a.param == name) {
            cells.push((name.to_string(), Value::F64(v)));
        }
    }
    let m = &o.measures;
    let f = |x: f64| Value::F64(x);
    cells.push(("rate_hz".into(), f(m.all.rate_hz)));
    cells.push(("cv_isi".into(), f(m.all.cv_isi)));
    cells.push(("cv_fraction".into(), f(m.all.cv_fraction)));
    cells.push(("active_fraction".into(), f(m.all.active_fraction)));
    for p in &m.populations {
        let n = p.name.to_lowercase();
        cells.push((format!("rate_{n}_hz"), f(p.rate_hz)));
        cells.push((format!("cv_isi_{n}"), f(p.cv_isi)));
        cells.push((format!("cv_fraction_{n}"), f(p.cv_fraction)));
        cells.push((format!("active_fraction_{n}"), f(p.active_fraction)));
    }
    cells.push(("fano_factor".into(), f(m.fano_factor)));
    cells.push(("fano_factor_slow".into(), f(m.fano_factor_slow)));
    cells.push(("chi".into(), f(m.chi)));
    cells.push(("spectrum_peak_hz".into(), f(m.spectrum_peak_hz)));
    cells.push(("spectrum_peak_share".into(), f(m.spectrum_peak_share)));
    cells.push(("n_spikes".into(), Value::U64(m.all.n_spikes)));
    cells.push((
        "synaptic_events".into(),
        Value::U64(o.recording.work.synaptic_events),
    ));
    cells.push(("regime".into(), Value::Str(o.regime.label().into())));
    let (rate, cv, n, all) = match &o.prediction {
        Some(p) => (
            p.nearest.map(|s| s.rate_hz).unwrap_or(f64::NAN),
            p.nearest.map(|s| s.cv_isi).unwrap_or(f64::NAN),
            p.states.len() as u32,
            p.states
                .iter()
                .map(|s| format!("{:.6}", s.rate_hz))
                .collect::<Vec<_>>()
                .join(";"),
        ),
        None => (f64::NAN, f64::NAN, 0, String::new()),
    };
    cells.push(("theory_rate_hz".into(), f(rate)));
    cells.push(("theory_cv_isi".into(), f(cv)));
    cells.push(("theory_n_states".into(), Value::U32(n)));
    cells.push(("theory_rates_hz".into(), Value::Str(all)));
    cells.push(("build_s".into(), f(o.timings.build_s)));
    cells.push(("simulate_s".into(), f(o.timings.simulate_s)));
    cells.push((
        "wall_s".into(),
        f(o.timings.build_s + o.timings.simulate_s + o.timings.analyse_s),
    ));
    Row { cells }
}
