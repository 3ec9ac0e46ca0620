//! Result rows (one per point and replicate) and their Parquet part files.

use super::StoreError;
use polars::prelude::*;
use std::path::Path;

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    F64(f64),
    U64(u64),
    U32(u32),
    Str(String),
}

/// One row: ordered (column, value) pairs; every row of a sweep has the same columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<(String, Value)>,
}

impl Row {
    /// The value of a column.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.cells.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// (point, replicate): the key of a row.
    pub fn key(&self) -> (u32, u32) {
        match (self.get("point"), self.get("replicate")) {
            (Some(Value::U32(p)), Some(Value::U32(r))) => (*p, *r),
            _ => panic!("row without point/replicate"),
        }
    }

    /// The row with timing columns (`*_s`) removed: what must be identical between runs.
    pub fn without_timings(&self) -> Row {
        Row {
            cells: self
                .cells
                .iter()
                .filter(|(n, _)| !n.ends_with("_s"))
                .cloned()
                .collect(),
        }
    }
}

/// A data frame of rows (sorted by point, replicate).
pub fn rows_to_frame(rows: &[Row]) -> Result<DataFrame, PolarsError> {
    let Some(first) = rows.first() else {
        return Ok(DataFrame::empty());
    };
    let mut cols: Vec<Column> = Vec::new();
    for (k, (name, v0)) in first.cells.iter().enumerate() {
        let name = PlSmallStr::from_str(name);
        let col = match v0 {
            Value::F64(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| {
                        if let Value::F64(x) = r.cells[k].1 {
                            x
                        } else {
                            f64::NAN
                        }
                    })
                    .collect::<Vec<f64>>(),
            ),
            Value::U64(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| {
                        if let Value::U64(x) = r.cells[k].1 {
                            x
                        } else {
                            0
                        }
                    })
                    .collect::<Vec<u64>>(),
            ),
            Value::U32(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| {
                        if let Value::U32(x) = r.cells[k].1 {
                            x
                        } else {
                            0
                        }
                    })
                    .collect::<Vec<u32>>(),
            ),
            Value::Str(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| {
                        if let Value::Str(x) = &r.cells[k].1 {
                            x.clone()
                        } else {
                            String::new()
                        }
                    })
                    .collect::<Vec<String>>(),
            ),
        };
        cols.push(col);
    }
    DataFrame::new_infer_height(cols)
}

/// Rows back from a data frame written by [`rows_to_frame`].
pub fn frame_to_rows(df: &DataFrame) -> Result<Vec<Row>, PolarsError> {
    let n = df.height();
    let mut rows: Vec<Row> = (0..n)
        .map(|_| Row {
            cells: Vec::with_capacity(df.width()),
        })
        .collect();
    for col in df.columns() {
        let name = col.name().to_string();
        let s = col.as_materialized_series();
        match s.dtype() {
            DataType::Float64 => {
                for (r, v) in rows.iter_mut().zip(s.f64()?.iter()) {
                    r.cells
                        .push((name.clone(), Value::F64(v.unwrap_or(f64::NAN))));
                }
            }
            DataType::UInt64 => {
                for (r, v) in rows.iter_mut().zip(s.u64()?.iter()) {
                    r.cells.push((name.clone(), Value::U64(v.unwrap_or(0))));
                }
            }
            DataType::UInt32 => {
                for (r, v) in rows.iter_mut().zip(s.u32()?.iter()) {
                    r.cells.push((name.clone(), Value::U32(v.unwrap_or(0))));
                }
            }
            DataType::String => {
                for (r, v) in rows.iter_mut().zip(s.str()?.iter()) {
                    r.cells
                        .push((name.clone(), Value::Str(v.unwrap_or("").to_string())));
                }
            }
            other => polars_bail!(ComputeError: "unexpected column type {other} of `{name}`"),
        }
    }
    Ok(rows)
}

/// Reads one part file completely (a truncated or foreign file is an error) with its metadata.
pub fn read_part(path: &Path) -> Result<(Vec<Row>, Vec<(String, String)>), StoreError> {
    let md = super::read_metadata(path)?;
    let df = super::read_parquet(path)?;
    let rows = frame_to_rows(&df).map_err(StoreError::pq(path))?;
    Ok((rows, md))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_a_frame() {
        let row = |p: u32, x: f64| Row {
            cells: vec![
                ("point".into(), Value::U32(p)),
                ("replicate".into(), Value::U32(0)),
                ("seed".into(), Value::U64(u64::MAX - p as u64)),
                ("g".into(), Value::F64(x)),
                ("regime".into(), Value::Str("AI".into())),
                ("wall_s".into(), Value::F64(1.0)),
            ],
        };
        let rows = vec![row(0, 1.5), row(1, f64::NAN)];
        let df = rows_to_frame(&rows).unwrap();
        let back = frame_to_rows(&df).unwrap();
        assert_eq!(back[0], rows[0]);
        assert_eq!(back[1].key(), (1, 0));
        assert!(matches!(back[1].get("g"), Some(Value::F64(x)) if x.is_nan()));
        assert!(back[0].without_timings().get("wall_s").is_none());
    }
}
