//! `Table`: a polars DataFrame handed to Python through the Arrow C stream interface
//! (`__arrow_c_stream__`), so polars, pyarrow and pandas read its buffers without a copy.

use crate::errors;
use polars::prelude::*;
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_arrow::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyList};

/// A table of results (rows of a sweep, spikes, boundary lines), immutable.
#[pyclass(module = "brunel._core", frozen)]
pub struct Table {
    df: DataFrame,
}

impl Table {
    /// Wraps `df`, in one chunk per column so every consumer sees one buffer per column.
    pub fn new(mut df: DataFrame) -> Table {
        df.rechunk_mut();
        Table { df }
    }
}

fn column<'a>(df: &'a DataFrame, name: &str) -> PyResult<&'a Column> {
    df.column(name).map_err(|_| {
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        pyo3::exceptions::PyKeyError::new_err(format!(
            "no column `{name}`; the columns are {}",
            names.join(", ")
        ))
    })
}

#[pymethods]
impl Table {
    /// The Arrow PyCapsule stream protocol: one struct array per record batch, the
    /// DataFrame's own buffers (`requested_schema` is ignored: the schema is fixed).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let level = CompatLevel::newest();
        let fields: Vec<ArrowField> = self
            .df
            .columns()
            .iter()
            .map(|c| c.field().to_arrow(level))
            .collect();
        let dtype = ArrowDataType::Struct(fields);
        let batches: Vec<PolarsResult<Box<dyn Array>>> = self
            .df
            .iter_chunks(level, false)
            .map(|b| {
                let height = b.height();
                StructArray::try_new(dtype.clone(), height, b.into_arrays(), None)
                    .map(|a| a.boxed())
            })
            .collect();
        let field = ArrowField::new("".into(), dtype, false);
        let stream = ffi::export_iterator(Box::new(batches.into_iter()), field);
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Number of rows.
    fn __len__(&self) -> usize {
        self.df.height()
    }

    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// One column as a Python list (numbers as float or int, text as str, nulls as None).
    fn column<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyList>> {
        let c = column(&self.df, name)?;
        let s = c.as_materialized_series();
        match s.dtype() {
            DataType::String => PyList::new(py, s.str().map_err(errors::brunel)?.iter()),
            DataType::Float64 => PyList::new(py, s.f64().map_err(errors::brunel)?.iter()),
            DataType::Float32 => PyList::new(py, s.f32().map_err(errors::brunel)?.iter()),
            DataType::UInt64 => PyList::new(py, s.u64().map_err(errors::brunel)?.iter()),
            DataType::UInt32 => PyList::new(py, s.u32().map_err(errors::brunel)?.iter()),
            DataType::Int64 => PyList::new(py, s.i64().map_err(errors::brunel)?.iter()),
            DataType::Int32 => PyList::new(py, s.i32().map_err(errors::brunel)?.iter()),
            DataType::Boolean => PyList::new(py, s.bool().map_err(errors::brunel)?.iter()),
            other => Err(errors::brunel(format!(
                "column `{name}` has type {other}, not readable as a list; use pa.table(t) or pl.DataFrame(t)"
            ))),
        }
    }

    /// The address of a numeric column's value buffer (for checking zero-copy hand-offs).
    fn buffer_address(&self, name: &str) -> PyResult<usize> {
        let s = column(&self.df, name)?.as_materialized_series();
        let addr = match s.dtype() {
            DataType::Float64 => s.f64().map(|a| a.cont_slice().map(|v| v.as_ptr() as usize)),
            DataType::UInt64 => s.u64().map(|a| a.cont_slice().map(|v| v.as_ptr() as usize)),
            DataType::UInt32 => s.u32().map(|a| a.cont_slice().map(|v| v.as_ptr() as usize)),
            _ => return Err(errors::brunel(format!("column `{name}` is not numeric"))),
        };
        addr.map_err(errors::brunel)?
            .map_err(|e| errors::brunel(format!("column `{name}`: {e}")))
    }

    fn __repr__(&self) -> String {
        format!(
            "<brunel Table: {} rows × {} columns: {}>",
            self.df.height(),
            self.df.width(),
            self.columns().join(", ")
        )
    }
}
