//! What a finished sweep shows: figures drawn from the Parquet rows alone (heatmaps, the
//! regime map, Fig.-8-style figures of kept spike trains) and a text table of regimes.

use super::definition::{same_value, SweepDef};
use crate::analysis::classify::Regime;
use crate::plot::heatmap::{column_label, curve, heatmap, regime_map, Grid};
use crate::plot::raster::{fig8, raster};
use crate::store::layout::Layout;
use super::row::{Row, Value};
use crate::store::spikes::read_spikes;
use std::collections::{BTreeMap, BTreeSet};
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
    let find = |v: &[f64], x: f64| v.iter().position(|&a| same_value(a, x));
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

/// Cells (first two axes) where at least one run failed.
fn failed_cells(def: &SweepDef, rows: &[Row]) -> BTreeSet<(usize, usize)> {
    let find = |v: &[f64], x: f64| v.iter().position(|&a| same_value(a, x));
    rows.iter()
        .filter(|r| matches!(r.get("regime"), Some(Value::Str(s)) if s == super::row::FAILED))
        .filter_map(|r| {
            let ix = find(&def.axes[0].values, f64_of(r, &def.axes[0].param)?)?;
            let iy = match def.axes.get(1) {
                Some(a) => find(&a.values, f64_of(r, &a.param)?)?,
                None => 0,
            };
            Some((ix, iy))
        })
        .collect()
}

/// A text table of regimes over the first two axes (y descending), or a list for one axis.
pub fn regime_table(def: &SweepDef, rows: &[Row]) -> String {
    let grid = regime_grid(def, rows);
    let failed = failed_cells(def, rows);
    let short = |r: Option<Regime>| match r {
        None => "·",
        Some(Regime::Quiescent) => "Q",
        Some(Regime::SR) => "SR",
        Some(Regime::AI) => "AI",
        Some(Regime::SIFast) => "SIf",
        Some(Regime::SISlow) => "SIs",
        Some(Regime::Unclassified) => "?",
    };
    let cell = |ix: usize, iy: usize| -> &str {
        match grid[iy][ix] {
            None if failed.contains(&(ix, iy)) => "×",
            r => short(r),
        }
    };
    let mut out = String::new();
    let xs = &def.axes[0].values;
    match def.axes.get(1) {
        Some(ya) => {
            // Columns as wide as the longest value, so values never run together.
            let w = xs.iter().map(|x| format!("{x}").len()).max().unwrap_or(1).max(3) + 2;
            let corner = format!("{} \\ {}", ya.param, def.axes[0].param);
            let yw = ya
                .values
                .iter()
                .map(|y| format!("{y}").len())
                .chain([corner.len()])
                .max()
                .unwrap_or(10);
            out.push_str(&format!("{corner:>yw$} |"));
            for x in xs {
                out.push_str(&format!("{:>w$}", format!("{x}")));
            }
            out.push('\n');
            for (iy, y) in ya.values.iter().enumerate().rev() {
                out.push_str(&format!("{:>yw$} |", format!("{y}")));
                for ix in 0..xs.len() {
                    out.push_str(&format!("{:>w$}", cell(ix, iy)));
                }
                out.push('\n');
            }
            out.push_str("Q quiescent, SR sync. regular, AI async. irregular, SIf/SIs sync. irregular fast/slow, ? unclassified, × failed (see column `error`), · not run\n");
        }
        None => {
            for (ix, x) in xs.iter().enumerate() {
                out.push_str(&format!(
                    "{} = {x:>8}: {}\n",
                    def.axes[0].param,
                    match grid[0][ix] {
                        Some(r) => r.label(),
                        None if failed.contains(&(ix, 0)) => "failed (see column `error`)",
                        None => "not run",
                    }
                ));
            }
        }
    }
    out
}

/// The figures stopped before all were drawn (a signal arrived).
#[derive(Debug, thiserror::Error)]
#[error("stopped by a signal while drawing figures ({drawn} drawn); redraw them with `brunel plot {folder}`")]
pub struct DrawingStopped {
    pub drawn: usize,
    pub folder: String,
}

/// Draws every figure of a sweep into `plots/`; returns the files written. `stop` is asked
/// before each figure: when it says so, drawing ends with [`DrawingStopped`].
pub fn draw_all(
    def: &SweepDef,
    layout: &Layout,
    rows: &[Row],
    stop: &dyn Fn() -> bool,
) -> anyhow::Result<Vec<PathBuf>> {
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
                check_stop(stop, &written, layout)?;
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
                check_stop(stop, &written, layout)?;
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
                check_stop(stop, &written, layout)?;
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
                                .filter(|r| f64_of(r, xa).is_some_and(|v| same_value(v, x)))
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
            check_stop(stop, &written, layout)?;
            let rec = read_spikes(&f)?;
            let stem = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
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
            if def.model.fig8 {
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

fn check_stop(stop: &dyn Fn() -> bool, written: &[PathBuf], layout: &Layout) -> anyhow::Result<()> {
    if stop() {
        return Err(DrawingStopped {
            drawn: written.len(),
            folder: layout.root.display().to_string(),
        }
        .into());
    }
    Ok(())
}
