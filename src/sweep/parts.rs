//! Part files: rows of a sweep as Parquet with their provenance and a checksum, written
//! whole (temporary name, then rename) and verified whole when read back.

use super::row::{Row, Value};
use crate::store::StoreError;
use polars::prelude::*;
use std::path::Path;

/// Metadata key of a part file's checksum: SHA-256 over its rows (names, types, value bits)
/// and every other `brunel_*` metadata pair, so a flipped bit anywhere in the data or the provenance is
/// found on resume and merge.
pub const CHECKSUM_KEY: &str = "brunel_rows_sha256";

/// Metadata key of a part file's checksum over every byte of the file: SHA-256 of the file
/// with this value's 64 hex digits read as zeros. It covers what every reader reads (page
/// headers, statistics, the footer's `ARROW:schema`), not only what brunel decodes, so a
/// flipped byte that polars tolerates but pyarrow does not is found too. Files written
/// before it existed carry only [`CHECKSUM_KEY`].
pub const FILE_CHECKSUM_KEY: &str = "brunel_file_sha256";

/// The bytes of the key-value entry holding the file checksum, as Thrift's compact protocol
/// writes it in the footer: the key, then field 2's header (binary, delta 1: 0x18) and the
/// value's length (64: 0x40), then the value.
fn file_checksum_entry(value: &[u8; 64]) -> Vec<u8> {
    let mut e = FILE_CHECKSUM_KEY.as_bytes().to_vec();
    e.extend([0x18, 0x40]);
    e.extend(value);
    e
}

/// Where the file checksum's value starts in `bytes`: after the last occurrence of its key,
/// which must be followed by a 64-byte value. Err when the key is there without one (a
/// changed byte in the entry), None when the file has no file checksum at all.
fn file_checksum_at(bytes: &[u8]) -> Result<Option<usize>, String> {
    let key = FILE_CHECKSUM_KEY.as_bytes();
    let Some(at) = bytes.windows(key.len()).rposition(|w| w == key) else {
        return Ok(None);
    };
    let v = at + key.len() + 2;
    if bytes.get(at + key.len()..v) != Some(&[0x18, 0x40][..]) || bytes.len() < v + 64 {
        return Err(format!("its `{FILE_CHECKSUM_KEY}` entry is damaged"));
    }
    Ok(Some(v))
}

/// SHA-256 (hex) of `bytes` with the 64 bytes at `at` read as ASCII zeros.
fn file_digest(bytes: &[u8], at: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(&bytes[..at]);
    h.update([b'0'; 64]);
    h.update(&bytes[at + 64..]);
    format!("{:x}", h.finalize())
}

/// Checks the file checksum of a part file's bytes: Ok(true) when it matches, Ok(false)
/// when the file has none (written before it existed), Err when it does not match.
pub fn verify_file_checksum(bytes: &[u8]) -> Result<bool, String> {
    let Some(at) = file_checksum_at(bytes)? else {
        return Ok(false);
    };
    let stored = &bytes[at..at + 64];
    if file_digest(bytes, at).as_bytes() != stored {
        return Err("its bytes do not match its file checksum (a changed byte)".into());
    }
    Ok(true)
}

/// The checksum stored under [`CHECKSUM_KEY`].
pub fn rows_digest(rows: &[Row], metadata: &[(String, String)]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    // Only brunel's own keys: the Parquet writer adds its own (the Arrow schema). The file
    // checksum's key counts (with its value read as empty, being written after): a file
    // whose key was changed, so that its file checksum is not found, fails this one.
    let mut md: Vec<(&str, &str)> = metadata
        .iter()
        .filter(|(k, _)| k.starts_with("brunel_") && k != CHECKSUM_KEY)
        .map(|(k, v)| {
            (
                k.as_str(),
                if k == FILE_CHECKSUM_KEY {
                    ""
                } else {
                    v.as_str()
                },
            )
        })
        .collect();
    md.sort();
    for (k, v) in md {
        field(k.as_bytes());
        field(v.as_bytes());
    }
    for r in rows {
        field(b"row");
        for (name, v) in &r.cells {
            field(name.as_bytes());
            field(v.type_name().as_bytes());
            match v {
                Value::F64(x) => field(&x.to_bits().to_le_bytes()),
                Value::U64(x) => field(&x.to_le_bytes()),
                Value::U32(x) => field(&x.to_le_bytes()),
                Value::Str(x) => field(x.as_bytes()),
            }
        }
    }
    format!("{:x}", h.finalize())
}

/// A data frame of rows. Every row must have the first row's columns, in order, with the
/// same types: anything else is an error naming the row and column, never a silent default.
pub fn rows_to_frame(rows: &[Row]) -> Result<DataFrame, PolarsError> {
    let Some(first) = rows.first() else {
        return Ok(DataFrame::empty());
    };
    for (i, r) in rows.iter().enumerate() {
        let same_shape = r.cells.len() == first.cells.len()
            && r.cells.iter().zip(&first.cells).all(|((a, x), (b, y))| {
                a == b && std::mem::discriminant(x) == std::mem::discriminant(y)
            });
        if !same_shape {
            polars_bail!(ComputeError: "row {i} does not have the columns and types of row 0");
        }
    }
    let mut cols: Vec<Column> = Vec::new();
    for (k, (name, v0)) in first.cells.iter().enumerate() {
        let name = PlSmallStr::from_str(name);
        // The shape check above makes every other arm unreachable.
        let col = match v0 {
            Value::F64(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| match r.cells[k].1 {
                        Value::F64(x) => x,
                        _ => f64::NAN,
                    })
                    .collect::<Vec<f64>>(),
            ),
            Value::U64(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| match r.cells[k].1 {
                        Value::U64(x) => x,
                        _ => 0,
                    })
                    .collect::<Vec<u64>>(),
            ),
            Value::U32(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| match r.cells[k].1 {
                        Value::U32(x) => x,
                        _ => 0,
                    })
                    .collect::<Vec<u32>>(),
            ),
            Value::Str(_) => Column::new(
                name,
                rows.iter()
                    .map(|r| match &r.cells[k].1 {
                        Value::Str(x) => x.clone(),
                        _ => String::new(),
                    })
                    .collect::<Vec<String>>(),
            ),
        };
        cols.push(col);
    }
    DataFrame::new_infer_height(cols)
}

/// Writes rows as a part file (atomically, through `tmp`) with `metadata` (any checksums
/// in it are dropped) and both checksums: of the rows, and of every byte of the file.
pub fn write_part(
    tmp: &Path,
    path: &Path,
    rows: &[Row],
    metadata: &[(String, String)],
) -> Result<(), StoreError> {
    let mut df = rows_to_frame(rows).map_err(StoreError::pq(path))?;
    let mut md: Vec<(String, String)> = metadata
        .iter()
        .filter(|(k, _)| k != CHECKSUM_KEY && k != FILE_CHECKSUM_KEY)
        .cloned()
        .collect();
    md.push((FILE_CHECKSUM_KEY.to_string(), "0".repeat(64)));
    md.push((CHECKSUM_KEY.to_string(), rows_digest(rows, &md)));
    let mut bytes = crate::store::encode_parquet(path, &mut df, &md)?;
    let placeholder = file_checksum_entry(&[b'0'; 64]);
    let at = bytes
        .windows(placeholder.len())
        .rposition(|w| w == placeholder.as_slice())
        .map(|k| k + placeholder.len() - 64)
        .ok_or_else(|| StoreError::Parquet {
            path: path.display().to_string(),
            message: "the Parquet writer did not store the file checksum entry".into(),
        })?;
    let digest = file_digest(&bytes, at);
    bytes[at..at + 64].copy_from_slice(digest.as_bytes());
    crate::store::write_bytes_via(tmp, path, &bytes)
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

/// Reads one part file completely with its metadata. A truncated or foreign file, a missing
/// or wrong checksum (of the file's bytes, checked before anything is decoded, and of its
/// rows), a null cell or a row without its u32 `point`/`replicate` key is an error naming
/// the file.
pub fn read_part(path: &Path) -> Result<(Vec<Row>, Vec<(String, String)>), StoreError> {
    let damaged = |message: String| StoreError::Damaged {
        path: path.display().to_string(),
        message,
    };
    // The footer first (its few bytes at the end): a file that is not Parquet at all, a
    // sparse file of zeros say, is found without reading the rest.
    let md = crate::store::read_metadata(path)?;
    let bytes = crate::store::read_regular(path)?;
    verify_file_checksum(&bytes).map_err(damaged)?;
    let df = crate::store::read_parquet_bytes(path, &bytes)?;
    if let Some(col) = df.columns().iter().find(|c| c.null_count() > 0) {
        return Err(damaged(format!(
            "column `{}` has missing values",
            col.name()
        )));
    }
    let rows = frame_to_rows(&df).map_err(|e| damaged(e.to_string()))?;
    let stored = md
        .iter()
        .find(|(k, _)| k == CHECKSUM_KEY)
        .map(|(_, v)| v.as_str());
    match stored {
        None => {
            return Err(damaged(format!(
                "no `{CHECKSUM_KEY}` checksum in its metadata"
            )))
        }
        Some(c) if c != rows_digest(&rows, &md) => {
            return Err(damaged(
                "its content does not match its checksum (a changed byte)".into(),
            ))
        }
        Some(_) => {}
    }
    if rows.iter().any(|r| r.key().is_none()) {
        return Err(damaged(
            "rows without u32 `point` and `replicate` columns".into(),
        ));
    }
    Ok((rows, md))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::row::{Row, Value};

    #[test]
    fn part_files_verify_their_checksum_and_catch_changed_bytes() {
        let dir = std::env::temp_dir().join(format!("brunel-part-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rows: Vec<Row> = (0..20u32)
            .map(|p| Row {
                cells: vec![
                    ("point".into(), Value::U32(p)),
                    ("replicate".into(), Value::U32(0)),
                    (
                        "x".into(),
                        Value::F64(if p % 3 == 0 { f64::NAN } else { p as f64 * 0.1 }),
                    ),
                    ("regime".into(), Value::Str("AI".into())),
                ],
            })
            .collect();
        let path = dir.join("p.parquet");
        let md = vec![("brunel_sweep".to_string(), "{}".to_string())];
        write_part(&dir.join("p.tmp"), &path, &rows, &md).unwrap();
        let (back, _) = read_part(&path).unwrap();
        assert!(back.iter().zip(&rows).all(|(a, b)| a.same_bits(b)));
        // Every single-bit flip, anywhere in the file (page headers, statistics, the
        // footer's ARROW:schema), is an error: the file checksum covers every byte.
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(verify_file_checksum(&bytes), Ok(true));
        for k in (0..bytes.len() * 8).step_by(7) {
            let mut b = bytes.clone();
            b[k / 8] ^= 1 << (k % 8);
            std::fs::write(&path, &b).unwrap();
            assert!(read_part(&path).is_err(), "bit {k} passed");
        }
        // Byte 50 and the ARROW:schema entry of the footer (issue 20 #8) in particular.
        let schema = bytes
            .windows(12)
            .rposition(|w| w == b"ARROW:schema")
            .unwrap();
        for at in [50, schema + 40] {
            let mut b = bytes.clone();
            b[at] ^= 0x04;
            std::fs::write(&path, &b).unwrap();
            let e = read_part(&path).unwrap_err().to_string();
            assert!(e.contains("p.parquet") && e.contains("damaged"), "{e}");
        }
        // A file written before the file checksum (rows checksum only) still reads.
        let md_old = vec![
            ("brunel_sweep".to_string(), "{}".to_string()),
            (CHECKSUM_KEY.to_string(), rows_digest(&rows, &md)),
        ];
        let mut df = rows_to_frame(&rows).unwrap();
        crate::store::write_parquet(&path, &mut df, &md_old).unwrap();
        let (back, _) = read_part(&path).unwrap();
        assert!(back.iter().zip(&rows).all(|(a, b)| a.same_bits(b)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
        assert_eq!(back[1].key(), Some((1, 0)));
        assert!(
            back[1].same_bits(&rows[1]),
            "NaN cells are equal by their bits"
        );
        assert_eq!(
            back[1], rows[1],
            "== compares as stored too (Value's PartialEq)"
        );
        assert!(matches!(back[1].get("g"), Some(Value::F64(x)) if x.is_nan()));
        assert!(back[0].without_timings().get("wall_s").is_none());
    }
}
