//! What a finished sweep shows: figures drawn from the Parquet rows alone (heatmaps, the
//! regime map, Fig.-8-style figures of kept spike trains) and a text table of regimes.

use super::definition::SweepDef;
use crate::analysis::classify::Regime;
use crate::engine::{PopulationSpikes, Recording, WorkCounts};
use crate::plot::heatmap::{column_label, curve, heatmap, regime_map, Grid};
use crate::plot::raster::{fig8, raster};
use crate::store::layout::Layout;
use crate::store::results::{Row, Value};
use crate::store::{read_metadata, read_parquet, StoreError};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn f64_of(row: &Row, col: &str) -> Option<f64> {
    match row.get(col)? {
        Value::F64(x) => Some(*x),
        Value::U64(x) => Some(*x as f64),
        Value::U32(x) => Some(*x as f64),
        Value::Str(_) => None,
    }
}

/// The regime of each cell of the first two axes: the most frequent label over replicates.
pub fn regime_grid(def: &SweepDef, rows: &[Row]) -> Vec<Vec<Option<Regime>>> {
    let (xs, ys) = (
        &def.axes[0].values,
        def.axes
            .get(1)
            .map(|a| a.values.clone())
            .unwrap_or_else(|| vec![0.0]),
    );
    let mut counts: Vec<Vec<BTreeMap<Regime, usize>>> =
        vec![vec![BTreeMap::new(); xs.len()]; ys.len()];
    let find = |v: &[f64], x: f64| {
        v.iter()
            .position(|&a| (a - x).abs() <= 1e-9 * a.abs().max(1.0))
    };
    for r in rows {
        let x = f64_of(r, &def.axes[0].param).unwrap_or(f64::NAN);
        let y = def
            .axes
            .get(1)
            .and_then(|a| f64_of(r, &a.param))
            .unwrap_or(0.0);
        let regime = match r.get("regime") {
            Some(Value::Str(s)) => Regime::from_label(s),
            _ => None,
        };
        if let (Some(ix), Some(iy), Some(reg)) = (find(xs, x), find(&ys, y), regime) {
            *counts[iy][ix].entry(reg).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| c.into_iter().max_by_key(|(_, n)| *n).map(|(r, _)| r))
                .collect()
        })
        .collect()
}

/// A text table of regimes over the first two axes (y descending), or a list for one axis.
pub fn regime_table(def: &SweepDef, rows: &[Row]) -> String {
    let grid = regime_grid(def, rows);
    let short = |r: Option<Regime>| match r {
        None => "·",
        Some(Regime::Quiescent) => "Q",
        Some(Regime::SR) => "SR",
        Some(Regime::AI) => "AI",
        Some(Regime::SIFast) => "SIf",
        Some(Regime::SISlow) => "SIs",
        Some(Regime::Unclassified) => "?",
    };
    let mut out = String::new();
    let xs = &def.axes[0].values;
    match def.axes.get(1) {
        Some(ya) => {
            out.push_str(&format!(
                "{:>10} |",
                format!("{} \\ {}", ya.param, def.axes[0].param)
            ));
            for x in xs {
                out.push_str(&format!("{x:>5}"));
            }
            out.push('\n');
            for (iy, y) in ya.values.iter().enumerate().rev() {
                out.push_str(&format!("{y:>10} |"));
                for ix in 0..xs.len() {
                    out.push_str(&format!("{:>5}", short(grid[iy][ix])));
                }
                out.push('\n');
            }
            out.push_str("Q quiescent, SR sync. regular, AI async. irregular, SIf/SIs sync. irregular fast/slow, ? unclassified, · not run\n");
        }
        None => {
            for (ix, x) in xs.iter().enumerate() {
                out.push_str(&format!(
                    "{} = {x:>8}: {}\n",
                    def.axes[0].param,
                    grid[0][ix].map(|r| r.label()).unwrap_or("not run")
                ));
            }
        }
    }
    out
}

/// A recording rebuilt from a kept spike file, for figures.
///
/// The file is checked as it is read, so that whatever it holds (a damaged, foreign or edited
/// file) gives an error naming it and the offending key or column rather than a panic or a
/// figure of nonsense: `brunel_dt_ms` and `brunel_duration_ms` finite and > 0, with at most
/// `u32::MAX` steps (spikes are stored as u32 steps); `brunel_sizes` as `NAME=SIZE,...` with
/// distinct non-empty names and sizes up to `u32::MAX` (neurons are u32 indices); every spike
/// of a listed population, with a neuron index below its size and a time in [0, duration].
pub fn recording_from_spikes(path: &std::path::Path) -> Result<Recording, StoreError> {
    let md: BTreeMap<String, String> = read_metadata(path)?.into_iter().collect();
    let df = read_parquet(path)?;
    let bad = |m: String| StoreError::Parquet {
        path: path.display().to_string(),
        message: m,
    };
    let meta = |key: &str| {
        md.get(key)
            .ok_or_else(|| bad(format!("no {key} metadata: not a spike file of brunel")))
    };
    let positive = |key: &str| {
        let text = meta(key)?;
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| bad(format!("{key} = `{text}`: expected a finite number > 0")))
    };
    let dt = positive("brunel_dt_ms")?;
    let duration = positive("brunel_duration_ms")?;
    let n_steps = (duration / dt).round();
    if !(1.0..=u32::MAX as f64).contains(&n_steps) {
        return Err(bad(format!(
            "brunel_duration_ms / brunel_dt_ms = {duration} / {dt} = {n_steps} steps: expected 1 to {} (steps are stored as u32)",
            u32::MAX
        )));
    }
    let sizes_text = meta("brunel_sizes")?;
    let mut spikes: Vec<PopulationSpikes> = Vec::new();
    for kv in sizes_text.split(',') {
        let parsed = kv
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .and_then(|(name, size)| Some((name, size.parse::<u32>().ok()?)));
        let Some((name, size)) = parsed else {
            return Err(bad(format!(
                "brunel_sizes = `{sizes_text}`: `{kv}` is not NAME=SIZE with a size from 0 to {}",
                u32::MAX
            )));
        };
        if spikes.iter().any(|p| p.name == name) {
            return Err(bad(format!(
                "brunel_sizes = `{sizes_text}`: population `{name}` is listed twice"
            )));
        }
        spikes.push(PopulationSpikes {
            name: name.to_string(),
            size: size as usize,
            ..Default::default()
        });
    }
    let col = |n: &str| -> Result<polars::prelude::Series, StoreError> {
        let s = df
            .column(n)
            .map_err(StoreError::pq(path))?
            .as_materialized_series()
            .clone();
        if s.null_count() > 0 {
            return Err(bad(format!(
                "column `{n}` has {} null values",
                s.null_count()
            )));
        }
        Ok(s)
    };
    let (pops, neurons, times) = (col("population")?, col("neuron")?, col("time_ms")?);
    let pops = pops.str().map_err(StoreError::pq(path))?;
    let neurons = neurons.u32().map_err(StoreError::pq(path))?;
    let times = times.f64().map_err(StoreError::pq(path))?;
    let rows = pops.iter().zip(neurons.iter()).zip(times.iter());
    for (row, ((p, j), t)) in rows.enumerate() {
        let (Some(p), Some(j), Some(t)) = (p, j, t) else {
            return Err(bad(format!("row {row}: null value")));
        };
        let Some(ps) = spikes.iter_mut().find(|s| s.name == p) else {
            return Err(bad(format!(
                "row {row}: population `{p}` is not in brunel_sizes (`{sizes_text}`)"
            )));
        };
        if j as usize >= ps.size {
            return Err(bad(format!(
                "row {row}: neuron {j} of `{p}`, which has {} neurons (brunel_sizes)",
                ps.size
            )));
        }
        // A spike at step s (1..=n_steps) is stored at s·dt; round to the nearest step.
        let step = (t / dt).round();
        if !(t >= 0.0 && step <= n_steps) {
            return Err(bad(format!(
                "row {row}: time_ms {t} is outside the run, [0, {duration}] ms (brunel_duration_ms)"
            )));
        }
        ps.steps.push(step as u32);
        ps.neurons.push(j);
    }
    Ok(Recording {
        dt_ms: dt,
        n_steps: n_steps as usize,
        spikes,
        voltages: vec![],
        work: WorkCounts::default(),
    })
}

/// Draws every figure of a sweep into `plots/`; returns the files written.
pub fn draw_all(def: &SweepDef, layout: &Layout, rows: &[Row]) -> anyhow::Result<Vec<PathBuf>> {
    let dir = layout.plots();
    std::fs::create_dir_all(&dir)?;
    let mut written = Vec::new();
    let xs = &def.axes[0].values;
    let xa = &def.axes[0].param;
    match def.axes.get(1) {
        Some(ya) => {
            let grid_of = |col: &str| {
                Grid::from_samples(
                    xa,
                    &ya.param,
                    xs,
                    &ya.values,
                    rows.iter().filter_map(|r| {
                        Some((f64_of(r, xa)?, f64_of(r, &ya.param)?, f64_of(r, col)?))
                    }),
                )
            };
            for col in &def.plots.heatmaps {
                if rows.first().and_then(|r| r.get(col)).is_none() {
                    eprintln!("warning: no column `{col}` in the results; heatmap skipped");
                    continue;
                }
                let path = dir.join(format!("heatmap_{col}.png"));
                heatmap(
                    &grid_of(col),
                    &path,
                    &format!("{}: {}", def.name, column_label(col)),
                    &column_label(col),
                )?;
                written.push(path);
            }
            if def.plots.regime_map {
                let theory = if rows
                    .first()
                    .and_then(|r| f64_of(r, "theory_rate_hz"))
                    .is_some_and(|v| v.is_finite())
                {
                    Some(grid_of("theory_rate_hz"))
                } else {
                    None
                };
                let path = dir.join("regime_map.png");
                let title = format!("{}: regimes ({} runs)", def.name, rows.len());
                regime_map(
                    &regime_grid(def, rows),
                    xs,
                    &ya.values,
                    xa,
                    &ya.param,
                    theory.as_ref(),
                    &path,
                    &title,
                )?;
                written.push(path);
            }
        }
        None => {
            for col in &def.plots.heatmaps {
                if rows.first().and_then(|r| r.get(col)).is_none() {
                    eprintln!("warning: no column `{col}` in the results; curve skipped");
                    continue;
                }
                let pts: Vec<(f64, Vec<f64>)> = xs
                    .iter()
                    .map(|&x| {
                        (
                            x,
                            rows.iter()
                                .filter(|r| f64_of(r, xa) == Some(x))
                                .filter_map(|r| f64_of(r, col))
                                .collect(),
                        )
                    })
                    .collect();
                let path = dir.join(format!("curve_{col}.png"));
                curve(
                    &pts,
                    xa,
                    &column_label(col),
                    &path,
                    &format!(
                        "{}: {} (mean ± sd over replicates)",
                        def.name,
                        column_label(col)
                    ),
                )?;
                written.push(path);
            }
        }
    }
    // Fig.-8-style figures of kept spike trains.
    if let Ok(entries) = std::fs::read_dir(layout.spikes()) {
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        files.sort();
        for f in files {
            let rec = recording_from_spikes(&f)?;
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            let point: usize = stem
                .split('-')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let what = if point < def.n_points() {
                def.describe(point)
            } else {
                stem.clone()
            };
            let dur = rec.n_steps as f64 * rec.dt_ms;
            let title = format!("{} — {what}", def.name);
            let path = dir.join(format!("raster_{stem}.png"));
            raster(&rec, &path, &title, 0.0, dur, 200)?;
            written.push(path);
            if def.model.name == crate::model::brunel::MODEL.name {
                let (a, b) = def
                    .plots
                    .fig8_window_ms
                    .map(|[a, b]| (a.min(dur), b.min(dur)))
                    .unwrap_or(((dur - 200.0).max(0.0), dur));
                let path = dir.join(format!("fig8_{stem}.png"));
                fig8(&rec, &path, &title, a, b, 50)?;
                written.push(path);
            }
        }
    }
    Ok(written)
}
