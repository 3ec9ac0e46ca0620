//! `brunel._core`: the compiled half of the Python package `brunel`. Every function is a thin
//! call into the `brunel` library (the same code the CLI runs); the Python layer in
//! `python/brunel/` turns what these return into `Run`, `Sweep` and `Table` objects.

mod errors;
mod info;
mod simulate;
mod sweep;
mod table;
mod wait;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "DEFAULT_MAX_RUNS",
        brunel::sweep::definition::DEFAULT_MAX_RUNS,
    )?;
    m.add(
        "TIMING_COLUMNS",
        brunel::sweep::row::TIMING_COLUMNS.to_vec(),
    )?;
    m.add(
        "DEFAULT_REGULAR_MAX_CV",
        brunel::regime::DEFAULT_REGULAR_MAX_CV,
    )?;
    m.add("BrunelError", py.get_type::<errors::BrunelError>())?;
    m.add("DefinitionError", py.get_type::<errors::DefinitionError>())?;
    m.add("ResultsError", py.get_type::<errors::ResultsError>())?;
    m.add_class::<table::Table>()?;
    m.add_class::<simulate::RunHandle>()?;
    m.add_class::<sweep::SweepHandle>()?;
    m.add_function(wrap_pyfunction!(simulate::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::load, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::definition_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(info::theory, m)?)?;
    m.add_function(wrap_pyfunction!(info::boundaries, m)?)?;
    m.add_function(wrap_pyfunction!(info::params, m)?)?;
    m.add_function(wrap_pyfunction!(info::models, m)?)?;
    m.add_function(wrap_pyfunction!(info::regime_colours, m)?)?;
    Ok(())
}
