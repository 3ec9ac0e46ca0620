//! The spike file: one Parquet schema that `simulate` and `sweep` write and every reader
//! (`brunel plot`, notebooks) reads. Columns: `population` (string), `neuron` (u32, index
//! within the population), `time_ms` (f64, = step·dt), in time order per population.
//! Key-value metadata (the encoders sit beside their decoders): `brunel_dt_ms`,
//! `brunel_duration_ms`, `brunel_sizes` (`E=10000,I=2500`), plus whatever the writer adds
//! about the run (model, seed, parameters, point).

use super::{read_metadata, read_parquet, write_parquet, StoreError};
use crate::record::{PopulationSpikes, Recording};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const DT_KEY: &str = "brunel_dt_ms";
const DURATION_KEY: &str = "brunel_duration_ms";
const SIZES_KEY: &str = "brunel_sizes";

/// A spike file that cannot be read back into a recording, naming the file and key.
#[derive(Debug, thiserror::Error)]
pub enum SpikeFileError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: no `{key}` in its metadata: not a brunel spike file")]
    MissingKey { path: String, key: &'static str },
    #[error("{path}: metadata `{key}` = `{value}`: expected {expected}")]
    BadValue {
        path: String,
        key: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{path}: column `{column}`: {message}")]
    BadColumn {
        path: String,
        column: &'static str,
        message: String,
    },
    #[error("{path}: {source}")]
    BadSpikes {
        path: String,
        source: crate::record::SpikesError,
    },
}

fn encode_sizes(rec: &Recording) -> String {
    rec.spikes
        .iter()
        .map(|p| format!("{}={}", p.name, p.size))
        .collect::<Vec<_>>()
        .join(",")
}

/// The largest population a spike file may declare (neuron indices are u32).
const MAX_SIZE: usize = u32::MAX as usize;

fn decode_sizes(text: &str) -> Option<Vec<(String, usize)>> {
    if text.is_empty() {
        return Some(vec![]);
    }
    let sizes: Vec<(String, usize)> = text
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=')?;
            let n: usize = v.parse().ok()?;
            let name_ok = !k.is_empty() && !k.contains(char::is_whitespace);
            (name_ok && n <= MAX_SIZE).then(|| (k.to_string(), n))
        })
        .collect::<Option<_>>()?;
    // Each population once.
    let unique = sizes
        .iter()
        .enumerate()
        .all(|(i, (a, _))| sizes[..i].iter().all(|(b, _)| a != b));
    unique.then_some(sizes)
}

/// The spikes of `rec` as a table: `population`, `neuron` (index within it) and `time_ms`,
/// in the recording's order (the columns of a spike file).
pub fn spikes_frame(rec: &Recording) -> PolarsResult<DataFrame> {
    let mut pop = Vec::new();
    let mut neuron = Vec::new();
    let mut time = Vec::new();
    for p in &rec.spikes {
        for (&s, &j) in p.steps.iter().zip(&p.neurons) {
            pop.push(p.name.as_str());
            neuron.push(j);
            time.push(s as f64 * rec.dt_ms);
        }
    }
    df!("population" => pop, "neuron" => neuron, "time_ms" => time)
}

/// Writes the spikes of `rec` to `path` (atomically) with the schema's metadata and `extra`.
pub fn write_spikes(
    path: &Path,
    tmp: Option<&Path>,
    rec: &Recording,
    extra: &[(String, String)],
) -> Result<(), StoreError> {
    let mut df = spikes_frame(rec).map_err(StoreError::pq(path))?;
    let mut md = vec![
        (DT_KEY.to_string(), rec.dt_ms.to_string()),
        (
            DURATION_KEY.to_string(),
            (rec.n_steps as f64 * rec.dt_ms).to_string(),
        ),
        (SIZES_KEY.to_string(), encode_sizes(rec)),
    ];
    md.extend(extra.iter().cloned());
    match tmp {
        Some(t) => super::write_parquet_via(t, path, &mut df, &md),
        None => write_parquet(path, &mut df, &md),
    }
}

/// What the metadata of a spike file says: the step, the run's length and the populations.
struct Header {
    dt_ms: f64,
    duration_ms: f64,
    n_steps: usize,
    sizes: Vec<(String, usize)>,
}

/// Reads a spike file back into a recording (without voltages). Every value is checked:
/// dt and duration positive and finite with a step count that fits u32, known populations,
/// neuron indices below their population's size, times on the grid within the run.
pub fn read_spikes(path: &Path) -> Result<Recording, SpikeFileError> {
    let p = path.display().to_string();
    let md: BTreeMap<String, String> = read_metadata(path)?.into_iter().collect();
    let h = read_header(&p, &md)?;
    let df = read_parquet(path)?;
    let per_population = read_columns(&p, &df, &h)?;
    let mut spikes = Vec::new();
    for ((name, size), (steps, neurons)) in h.sizes.into_iter().zip(per_population) {
        spikes.push(
            PopulationSpikes::try_new(&name, size, steps, neurons).map_err(|source| {
                SpikeFileError::BadSpikes {
                    path: p.clone(),
                    source,
                }
            })?,
        );
    }
    Ok(Recording {
        dt_ms: h.dt_ms,
        n_steps: h.n_steps,
        spikes,
        voltages: vec![],
    })
}

/// The checked metadata of the spike file `p`.
fn read_header(p: &str, md: &BTreeMap<String, String>) -> Result<Header, SpikeFileError> {
    let bad = |key: &'static str, value: &str, expected: &'static str| SpikeFileError::BadValue {
        path: p.to_string(),
        key,
        value: value.chars().take(80).collect(),
        expected,
    };
    let get = |key: &'static str| {
        md.get(key).ok_or_else(|| SpikeFileError::MissingKey {
            path: p.to_string(),
            key,
        })
    };
    let positive = |key: &'static str| -> Result<f64, SpikeFileError> {
        let text = get(key)?;
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| bad(key, text, "a finite number > 0"))
    };
    let dt_ms = positive(DT_KEY)?;
    let duration_ms = positive(DURATION_KEY)?;
    if dt_ms > duration_ms {
        return Err(bad(
            DT_KEY,
            &dt_ms.to_string(),
            "a time step no longer than brunel_duration_ms",
        ));
    }
    let n_steps = (duration_ms / dt_ms).round();
    if !(n_steps <= u32::MAX as f64) {
        return Err(bad(
            DURATION_KEY,
            &duration_ms.to_string(),
            "at most 2^32 steps of brunel_dt_ms",
        ));
    }
    let sizes_text = get(SIZES_KEY)?;
    let sizes = decode_sizes(sizes_text).ok_or_else(|| {
        bad(
            SIZES_KEY,
            sizes_text,
            "comma-separated NAME=SIZE, each name once, sizes below 2^32",
        )
    })?;
    Ok(Header {
        dt_ms,
        duration_ms,
        n_steps: n_steps as usize,
        sizes,
    })
}

/// Per population of `h`, the (steps, neurons) of its spikes, in file order.
fn read_columns(
    p: &str,
    df: &DataFrame,
    h: &Header,
) -> Result<Vec<(Vec<u32>, Vec<u32>)>, SpikeFileError> {
    let bad_col = |column: &'static str, message: String| SpikeFileError::BadColumn {
        path: p.to_string(),
        column,
        message,
    };
    let col = |name: &'static str| {
        df.column(name)
            .map(|c| c.as_materialized_series().clone())
            .map_err(|_| bad_col(name, "missing".into()))
    };
    let (pops, neurons, times) = (col("population")?, col("neuron")?, col("time_ms")?);
    let pops = pops
        .str()
        .map_err(|e| bad_col("population", e.to_string()))?;
    let neurons = neurons
        .u32()
        .map_err(|e| bad_col("neuron", e.to_string()))?;
    let times = times.f64().map_err(|e| bad_col("time_ms", e.to_string()))?;
    let mut cols: Vec<(Vec<u32>, Vec<u32>)> = vec![(vec![], vec![]); h.sizes.len()];
    for ((pop, j), t) in pops.iter().zip(neurons.iter()).zip(times.iter()) {
        let (Some(pop), Some(j), Some(t)) = (pop, j, t) else {
            return Err(bad_col("population", "missing values".into()));
        };
        let Some(k) = h.sizes.iter().position(|(n, _)| n == pop) else {
            return Err(bad_col(
                "population",
                format!("`{pop}` is not among brunel_sizes"),
            ));
        };
        let step = (t / h.dt_ms).round();
        if !(step >= 0.0 && step <= h.n_steps as f64) {
            return Err(bad_col(
                "time_ms",
                format!("{t} is outside the run [0, {}] ms", h.duration_ms),
            ));
        }
        cols[k].0.push(step as u32);
        cols[k].1.push(j);
    }
    Ok(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording() -> Recording {
        Recording {
            dt_ms: 0.1,
            n_steps: 1000,
            spikes: vec![
                PopulationSpikes::try_new("E", 8, vec![3, 3, 90, 1000], vec![1, 7, 0, 2]).unwrap(),
                PopulationSpikes::try_new("I", 2, vec![], vec![]).unwrap(),
            ],
            voltages: vec![],
        }
    }

    #[test]
    fn spike_files_round_trip() {
        let dir = std::env::temp_dir().join(format!("brunel-spk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.parquet");
        let rec = recording();
        write_spikes(&path, None, &rec, &[("brunel_seed".into(), "3".into())]).unwrap();
        assert_eq!(read_spikes(&path).unwrap(), rec);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn foreign_and_hostile_spike_files_are_typed_errors() {
        let dir = std::env::temp_dir().join(format!("brunel-spk-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.parquet");
        let write = |md: &[(&str, &str)], neuron: u32, t: f64| {
            let mut df =
                df!("population" => ["E"], "neuron" => [neuron], "time_ms" => [t]).unwrap();
            let md: Vec<(String, String)> = md
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            write_parquet(&path, &mut df, &md).unwrap();
        };
        let ok = [(DT_KEY, "0.1"), (DURATION_KEY, "100"), (SIZES_KEY, "E=8")];
        write(&ok, 1, 5.0);
        assert!(read_spikes(&path).is_ok());
        let cases: Vec<(Vec<(&str, &str)>, u32, f64, &str)> = vec![
            (ok[1..].to_vec(), 1, 5.0, "brunel_dt_ms"),
            (
                vec![ok[0], ok[1], (SIZES_KEY, "E=abc")],
                1,
                5.0,
                "brunel_sizes",
            ),
            (
                vec![ok[0], ok[1], (SIZES_KEY, "E=99999999999999")],
                1,
                5.0,
                "brunel_sizes",
            ),
            (vec![(DT_KEY, "NaN"), ok[1], ok[2]], 1, 5.0, "brunel_dt_ms"),
            (vec![(DT_KEY, "-1"), ok[1], ok[2]], 1, 5.0, "brunel_dt_ms"),
            (
                vec![ok[0], (DURATION_KEY, "1e300"), ok[2]],
                1,
                5.0,
                "brunel_duration_ms",
            ),
            (ok.to_vec(), 8, 5.0, "not below the population size"),
            (ok.to_vec(), 1, -5.0, "outside the run"),
            (ok.to_vec(), 1, f64::NAN, "outside the run"),
            (ok.to_vec(), 1, 1e300, "outside the run"),
            (vec![ok[0], ok[1], (SIZES_KEY, "I=8")], 1, 5.0, "not among"),
        ];
        for (md, neuron, t, want) in cases {
            write(&md, neuron, t);
            let e = read_spikes(&path).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("s.parquet"), "{want}: {e}");
        }
        std::fs::write(&path, b"not parquet").unwrap();
        assert!(read_spikes(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
