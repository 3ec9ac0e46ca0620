//! The theory at a point, its boundary lines, the models and their parameters, and the
//! regime colours of the CLI's figures.

use crate::errors::{self, guard};
use crate::table::Table;
use brunel::model::{self, ParamSet};
use brunel::regime::Regime;
use brunel::theory::boundaries::{boundaries_for, Region};
use brunel::theory::{theory_json, MeanFieldParams};
use pyo3::prelude::*;

/// Model brunel's parameters with `params` applied; the values are checked (no network is
/// built, so sizes and memory are not).
fn brunel_params(model: &str, params: &[(String, f64)]) -> PyResult<ParamSet> {
    let m = model::find(model).map_err(errors::definition)?;
    if m.mean_field.is_none() {
        return Err(errors::definition(format!(
            "model {}: has no mean-field theory (model brunel has)",
            m.name
        )));
    }
    let mut p = m.defaults();
    for (name, value) in params {
        p.set(name, *value).map_err(errors::definition)?;
    }
    m.spec(&p).map_err(errors::definition)?;
    Ok(p)
}

fn check_cv(regular_max_cv: f64) -> PyResult<()> {
    if !(regular_max_cv.is_finite() && regular_max_cv >= 0.0) {
        return Err(errors::definition(format!(
            "regular_max_cv = {regular_max_cv}: expected a finite number >= 0"
        )));
    }
    Ok(())
}

/// `brunel theory --json` at `params`: JSON text.
#[pyfunction]
#[pyo3(signature = (model, params, regular_max_cv))]
pub fn theory(
    py: Python<'_>,
    model: &str,
    params: Vec<(String, f64)>,
    regular_max_cv: f64,
) -> PyResult<String> {
    guard("theory", || {
        check_cv(regular_max_cv)?;
        let p = brunel_params(model, &params)?;
        let mf = MeanFieldParams::from_brunel(&p);
        Ok(py.detach(|| theory_json(&mf, regular_max_cv).to_string()))
    })
}

/// The theory's boundary lines over g × eta (`brunel theory --boundaries`) as a table.
#[pyfunction]
#[pyo3(signature = (g, eta, params, regular_max_cv))]
pub fn boundaries(
    py: Python<'_>,
    g: (f64, f64),
    eta: (f64, f64),
    params: Vec<(String, f64)>,
    regular_max_cv: f64,
) -> PyResult<Table> {
    guard("boundaries", || {
        check_cv(regular_max_cv)?;
        let p = brunel_params("brunel", &params)?;
        let region = Region::new(g, eta).map_err(errors::definition)?;
        let b = py
            .detach(|| boundaries_for(&p, &region, regular_max_cv))
            .map_err(errors::definition)?;
        let df = brunel::store::boundaries::boundaries_frame(&b).map_err(errors::brunel)?;
        Ok(Table::new(df))
    })
}

/// Every parameter of `model`: (name, default, unit, allowed range, meaning).
#[pyfunction]
pub fn params(model: &str) -> PyResult<Vec<(String, f64, String, String, String)>> {
    let m = model::find(model).map_err(errors::definition)?;
    Ok(m.params
        .iter()
        .map(|d| {
            (
                d.name.to_string(),
                d.default,
                d.unit.to_string(),
                d.range.to_string(),
                d.meaning.to_string(),
            )
        })
        .collect())
}

/// The model presets: (name, summary).
#[pyfunction]
pub fn models() -> Vec<(String, String)> {
    model::MODELS
        .iter()
        .map(|m| (m.name.to_string(), m.summary.to_string()))
        .collect()
}

/// The colour of each regime label in the CLI's figures, as `#rrggbb`.
#[pyfunction]
pub fn regime_colours() -> Vec<(String, String)> {
    Regime::ALL
        .iter()
        .chain(std::iter::once(&Regime::Failed))
        .map(|&r| {
            let c = brunel::plot::heatmap::regime_colour(r);
            (
                r.label().to_string(),
                format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2),
            )
        })
        .collect()
}
