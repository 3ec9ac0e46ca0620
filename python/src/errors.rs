//! The package's exceptions and the guard that keeps Rust panics out of Python.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

create_exception!(
    _core,
    BrunelError,
    PyException,
    "Base class of brunel's errors."
);
create_exception!(
    _core,
    DefinitionError,
    PyValueError,
    "A bad sweep definition, parameter or option (the CLI's refusal, same message)."
);
create_exception!(
    _core,
    ResultsError,
    BrunelError,
    "A results folder that is damaged, foreign, in use or cannot be written."
);

/// A `DefinitionError` with `message`.
pub fn definition(message: impl std::fmt::Display) -> PyErr {
    DefinitionError::new_err(message.to_string())
}

/// A `ResultsError` with `message`.
pub fn results(message: impl std::fmt::Display) -> PyErr {
    ResultsError::new_err(message.to_string())
}

/// A `BrunelError` with `message` (a run that could not finish, an internal failure).
pub fn brunel(message: impl std::fmt::Display) -> PyErr {
    BrunelError::new_err(message.to_string())
}

/// The text of a panic's payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Runs `f`; a panic becomes a `BrunelError` naming it instead of pyo3's `PanicException`
/// (a `BaseException` that `except Exception` would not catch).
pub fn guard<T>(what: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(brunel(format!(
            "internal error in {what}: {}; please report it",
            panic_text(p.as_ref())
        ))),
    }
}
