//! `simulate`: one run of a model (the library's `run::run`, as `brunel simulate` does) on a
//! worker thread, and `RunHandle`, what it produced.

use crate::errors::{self, guard};
use crate::table::Table;
use crate::wait::wait_for;
use brunel::analysis::classify::ClassifierSettings;
use brunel::analysis::{population_counts, AnalysisSettings};
use brunel::model::{self, ParamSet};
use brunel::run::{run, RunError, RunOutcome};
use pyo3::prelude::*;
use std::sync::mpsc;

/// What one run produced, held in Rust; the Python `Run` reads it.
#[pyclass(module = "brunel._core", frozen)]
pub struct RunHandle {
    outcome: RunOutcome,
    model: &'static str,
    seed: u64,
    params: ParamSet,
}

/// The checked parameters of `model` with `params` (and `duration_ms`) applied.
fn parameters(
    model: &str,
    params: Vec<(String, f64)>,
    duration_ms: Option<f64>,
) -> PyResult<(&'static model::Model, ParamSet)> {
    let m = model::find(model).map_err(errors::definition)?;
    let mut p = m.defaults();
    for (name, value) in params
        .iter()
        .chain(duration_ms.map(|d| ("duration_ms".to_string(), d)).iter())
    {
        p.set(name, *value).map_err(errors::definition)?;
    }
    let spec = m.spec(&p).map_err(errors::definition)?;
    spec.validate().map_err(errors::definition)?;
    Ok((m, p))
}

/// Runs `model` with `params` and `seed`; the GIL is released meanwhile. A KeyboardInterrupt
/// raises at once (the run, which has no stop, finishes unseen on its thread).
#[pyfunction]
#[pyo3(signature = (model, seed, params, duration_ms=None))]
pub fn simulate(
    py: Python<'_>,
    model: &str,
    seed: u64,
    params: Vec<(String, f64)>,
    duration_ms: Option<f64>,
) -> PyResult<RunHandle> {
    guard("simulate", || {
        let (m, p) = parameters(model, params, duration_ms)?;
        let (tx, rx) = mpsc::channel::<Result<RunOutcome, String>>();
        let params = p.clone();
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(|| {
                run(
                    m,
                    &params,
                    seed,
                    &AnalysisSettings::default(),
                    &ClassifierSettings::default(),
                )
            });
            let _ = tx.send(match r {
                Ok(Ok(o)) => Ok(o),
                Ok(Err(e)) => Err(run_error(&e)),
                Err(panic) => Err(format!(
                    "the run panicked: {}",
                    errors::panic_text(panic.as_ref())
                )),
            });
        });
        let mut result = None;
        if let Some(e) = wait_for(
            py,
            rx,
            |_, r, _| {
                result = Some(r);
                Ok(())
            },
            || false,
        ) {
            return Err(e);
        }
        match result {
            Some(Ok(outcome)) => Ok(RunHandle {
                outcome,
                model: m.name,
                seed,
                params: p,
            }),
            Some(Err(e)) => Err(errors::brunel(e)),
            None => Err(errors::brunel("the run's thread ended without a result")),
        }
    })
}

fn run_error(e: &RunError) -> String {
    e.to_string()
}

#[pymethods]
impl RunHandle {
    /// summary.json of `brunel simulate` for this run, as JSON text.
    fn summary_json(&self) -> String {
        self.outcome
            .summary_json(self.model, self.seed, &self.params)
            .to_string()
    }

    /// Every spike: columns population, neuron, time_ms.
    fn spikes(&self) -> PyResult<Table> {
        let df =
            brunel::store::spikes::spikes_frame(&self.outcome.recording).map_err(errors::brunel)?;
        Ok(Table::new(df))
    }

    /// The population rate (Hz per neuron) of `population` (None: every LIF neuron) in bins of
    /// `bin_ms` over the whole run, one value per bin.
    #[pyo3(signature = (bin_ms, population=None))]
    fn rate(&self, bin_ms: f64, population: Option<&str>) -> PyResult<Vec<f64>> {
        let rec = &self.outcome.recording;
        let bin = (bin_ms / rec.dt_ms).round();
        if !(bin_ms.is_finite() && bin >= 1.0 && bin <= rec.n_steps.max(1) as f64) {
            return Err(errors::definition(format!(
                "bin_ms = {bin_ms}: expected a multiple of dt ({} ms) between dt and the run's duration ({} ms)",
                rec.dt_ms,
                rec.n_steps as f64 * rec.dt_ms
            )));
        }
        let bin = bin as usize;
        let (counts, n) = match population {
            None => (
                population_counts(rec, 1, rec.n_steps, bin),
                rec.spikes.iter().map(|p| p.size).sum::<usize>(),
            ),
            Some(name) => {
                let p = rec.population(name).ok_or_else(|| {
                    let names: Vec<&str> = rec.spikes.iter().map(|p| p.name.as_str()).collect();
                    errors::definition(format!(
                        "population `{name}`: expected one of {}",
                        names.join(", ")
                    ))
                })?;
                let mut c = vec![0.0; rec.n_steps.div_ceil(bin)];
                for &s in &p.steps {
                    let s = s as usize;
                    if (1..=rec.n_steps).contains(&s) {
                        c[(s - 1) / bin] += 1.0;
                    }
                }
                (c, p.size)
            }
        };
        let scale = 1.0 / (n.max(1) as f64 * bin as f64 * rec.dt_ms * 1e-3);
        Ok(counts.into_iter().map(|c| c * scale).collect())
    }

    /// The populations as (name, size) pairs.
    fn populations(&self) -> Vec<(String, usize)> {
        self.outcome
            .recording
            .spikes
            .iter()
            .map(|p| (p.name.clone(), p.size))
            .collect()
    }

    /// (time step in ms, simulated time in ms).
    fn clock(&self) -> (f64, f64) {
        let r = &self.outcome.recording;
        (r.dt_ms, r.n_steps as f64 * r.dt_ms)
    }
}
