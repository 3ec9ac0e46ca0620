//! What a finished sweep shows: figures drawn from the Parquet rows alone (heatmaps, the
//! regime map, Fig.-8-style figures of kept spike trains) and a text table of regimes.

use super::definition::{same_value, SweepDef};
pub use super::figures::{draw_all, DrawingStopped, Drawn};
use super::refine;
use super::row::{Row, Value};
use crate::analysis::classify::Regime;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn f64_of(row: &Row, col: &str) -> Option<f64> {
    match row.get(col)? {
        Value::F64(x) => Some(*x),
        Value::U64(x) => Some(*x as f64),
        Value::U32(x) => Some(*x as f64),
        Value::Str(_) => None,
    }
}

/// The regime of each cell of the first two axes: the most frequent label over replicates.
/// For a refining sweep, every lattice cell shows the point that stands for it
/// ([`fill_by_owner`]).
pub fn regime_grid(def: &SweepDef, rows: &[Row]) -> Vec<Vec<Option<Regime>>> {
    fill_by_owner(def, rows, label_grid(def, rows, "regime"))
}

/// For a refining sweep, each lattice cell takes the value of the run point whose quarter of
/// a leaf cell it lies in ([`refine::owners`]); a plain sweep's cells are returned as they are.
pub fn fill_by_owner<T: Clone>(
    def: &SweepDef,
    rows: &[Row],
    cells: Vec<Vec<Option<T>>>,
) -> Vec<Vec<Option<T>>> {
    match &def.refine {
        Some(r) => fill_with(r, &refine::owners(r, run_points(rows)), cells),
        None => cells,
    }
}

/// The points that have a row.
pub(super) fn run_points(rows: &[Row]) -> impl Iterator<Item = usize> + '_ {
    rows.iter().filter_map(|x| x.key()).map(|k| k.0 as usize)
}

/// [`fill_by_owner`] with the owners of the lattice of `r` already known.
pub(super) fn fill_with<T: Clone>(
    r: &refine::Refine,
    owners: &[Option<usize>],
    cells: Vec<Vec<Option<T>>>,
) -> Vec<Vec<Option<T>>> {
    let lat = refine::Lattice::of(r);
    let mut out = cells.clone();
    for (iy, row) in out.iter_mut().enumerate() {
        for (ix, c) in row.iter_mut().enumerate() {
            if let Some(o) = owners.get(lat.index(ix, iy)).copied().flatten() {
                let (oi, oj) = lat.coords(o);
                *c = cells[oj][oi].clone();
            }
        }
    }
    out
}

/// Per level of a refining sweep: points run, then the runs against the dense grid's.
pub fn levels_summary(def: &SweepDef, rows: &[Row]) -> Option<String> {
    let r = def.refine.as_ref()?;
    let values = refine::point_values(rows, &r.on, def.replicates);
    let (p, _) = refine::progress_facets(r, def.n_facets(), &values, def.replicates);
    let per_level = p
        .levels
        .iter()
        .enumerate()
        .map(|(l, pts)| format!("level {l}: {} points", pts.len()))
        .collect::<Vec<_>>()
        .join(", ");
    let runs = p.planned_runs(def.replicates);
    let share = 100.0 * runs as f64 / def.n_runs() as f64;
    let mut out = format!(
        "adaptive refinement: {per_level}; {runs} runs, {} % of the {} runs of the dense grid at the finest spacing",
        if share >= 1.0 { format!("{share:.0}") } else { format!("{share:.2}") },
        def.n_runs()
    );
    if let Some(why) = &p.stopped {
        out.push_str(&format!("; {why}"));
    }
    if p.hanging > 0 {
        out.push_str(&format!(
            "; {} cell(s) end wider than the finest spacing with disagreeing points on their edges (found after the last level)",
            p.hanging
        ));
    }
    Some(out)
}

/// The theory's label of each cell (`theory_regime`, the most frequent over replicates).
pub fn theory_grid(def: &SweepDef, rows: &[Row]) -> Vec<Vec<Option<Regime>>> {
    label_grid(def, rows, "theory_regime")
}

/// Simulated vs theory label over the cells where both exist: (simulated, theory) → cells.
pub fn agreement(def: &SweepDef, rows: &[Row]) -> BTreeMap<(Regime, Regime), usize> {
    // The points run (a refining sweep's lattice cells that only show a neighbour's label
    // are not counted).
    let (sim, th) = (
        label_grid(def, rows, "regime"),
        label_grid(def, rows, "theory_regime"),
    );
    let mut out = BTreeMap::new();
    for (srow, trow) in sim.iter().zip(&th) {
        for (s, t) in srow.iter().zip(trow) {
            if let (Some(s), Some(t)) = (s, t) {
                *out.entry((*s, *t)).or_default() += 1;
            }
        }
    }
    out
}

/// One line: how many cells agree, and the counts of each disagreeing pair.
pub fn agreement_line(def: &SweepDef, rows: &[Row]) -> Option<String> {
    agreement_summary(&agreement(def, rows))
}

/// [`agreement_line`] of counts already made (e.g. summed over facets).
fn agreement_summary(a: &BTreeMap<(Regime, Regime), usize>) -> Option<String> {
    let total: usize = a.values().sum();
    if total == 0 {
        return None;
    }
    let same: usize = a.iter().filter(|((s, t), _)| s == t).map(|(_, n)| n).sum();
    let mut differ: Vec<_> = a.iter().filter(|((s, t), _)| s != t).collect();
    differ.sort_by(|x, y| y.1.cmp(x.1));
    let list = differ
        .iter()
        .map(|((s, t), n)| format!("{s} where theory says {t}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "simulation vs linear-stability theory: {same} of {total} cells agree ({:.0} %){}{list}",
        100.0 * same as f64 / total as f64,
        if list.is_empty() { "" } else { "; " }
    ))
}

/// The most frequent label of column `col` in each cell of the first two axes.
pub(super) fn label_grid(def: &SweepDef, rows: &[Row], col: &str) -> Vec<Vec<Option<Regime>>> {
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
        let regime = match r.get(col) {
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

/// A text table of regimes over the first two axes (y descending), or a list for one axis;
/// a faceted sweep prints one block per facet, each with its agreement, and the total.
pub fn regime_table(def: &SweepDef, rows: &[Row]) -> String {
    if !def.facets.is_empty() {
        return faceted_table(def, rows);
    }
    let mut out = if def.refine.is_some() {
        refined_table(def, rows)
    } else {
        grid_table(def, rows)
    };
    if let Some(line) = agreement_line(def, rows) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// One block per facet (its table, levels and agreement), then the agreement of all facets.
fn faceted_table(def: &SweepDef, rows: &[Row]) -> String {
    let mut out = String::new();
    let mut total: BTreeMap<(Regime, Regime), usize> = BTreeMap::new();
    for f in 0..def.n_facets() {
        let (view, frows) = (def.facet_def(f), def.facet_rows(f, rows));
        out.push_str(&format!("── facet {}: {} ──\n", f + 1, def.facet_label(f)));
        out.push_str(&regime_table(&view, &frows));
        for (k, n) in agreement(&view, &frows) {
            *total.entry(k).or_default() += n;
        }
    }
    if let Some(line) = agreement_summary(&total) {
        out.push_str(&format!("all {} facets: {line}\n", def.n_facets()));
    }
    out
}

/// The regimes over the first two axes (y descending), or a list for one axis.
fn grid_table(def: &SweepDef, rows: &[Row]) -> String {
    let grid = regime_grid(def, rows);
    let failed = failed_cells(def, rows);
    let short = |r: Option<Regime>| match r {
        None => "·",
        Some(Regime::Quiescent) => "Q",
        Some(Regime::SR) => "SR",
        Some(Regime::AR) => "AR",
        Some(Regime::AI) => "AI",
        Some(Regime::SIFast) => "SIf",
        Some(Regime::SISlow) => "SIs",
        Some(Regime::Unclassified) => "?",
        Some(Regime::Failed) => "×",
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
            let w = xs
                .iter()
                .map(|x| format!("{x}").len())
                .max()
                .unwrap_or(1)
                .max(3)
                + 2;
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
            out.push_str("Q quiescent, SR sync. regular, AR async. regular, AI async. irregular, SIf/SIs sync. irregular fast/slow, ? unclassified, × failed (see column `error`), · not run\n");
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

/// A refining sweep's table: the base grid (the lattice is too wide to print), the levels,
/// and the agreement with the theory over every point run.
fn refined_table(def: &SweepDef, rows: &[Row]) -> String {
    let r = def.refine.as_ref().expect("a refining sweep");
    let mut base = def.clone();
    base.refine = None;
    for (a, b) in base.axes.iter_mut().zip(&r.base) {
        a.values = b.clone();
    }
    // The base table: only the rows of base points (their values are the base values).
    let mut out = grid_table(&base, rows);
    if let Some(line) = levels_summary(def, rows) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// An adaptive map held against a dense grid of the same axes ([`compare_to_dense`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DenseComparison {
    /// Dense points on the adaptive sweep's lattice with a label in both.
    pub points: usize,
    /// Of those, the points whose labels agree.
    pub agree: usize,
    /// Dense points off the lattice (not compared).
    pub off_lattice: usize,
    /// Runs of each sweep (rows).
    pub adaptive_runs: usize,
    pub dense_runs: usize,
    /// Up to 20 disagreeing points: (`g=…, eta=…`, adaptive label, dense label).
    pub examples: Vec<(String, Regime, Regime)>,
}

/// Compares the labels of an adaptive sweep (each lattice point shows its owner's label, as
/// its map does) with a dense sweep's over the same two parameters, point by point; a
/// faceted sweep facet by facet (both must have the same facets), the counts summed.
pub fn compare_to_dense(
    adaptive: &SweepDef,
    adaptive_rows: &[Row],
    dense: &SweepDef,
    dense_rows: &[Row],
) -> Result<DenseComparison, String> {
    if adaptive.facets.is_empty() && dense.facets.is_empty() {
        return compare_maps(adaptive, adaptive_rows, dense, dense_rows);
    }
    let labels = |d: &SweepDef| {
        (0..d.n_facets())
            .map(|f| d.facet_label(f))
            .collect::<Vec<_>>()
    };
    let (mine, theirs) = (labels(adaptive), labels(dense));
    let mut total = DenseComparison {
        points: 0,
        agree: 0,
        off_lattice: 0,
        adaptive_runs: adaptive_rows.len(),
        dense_runs: dense_rows.len(),
        examples: vec![],
    };
    for (f, label) in mine.iter().enumerate() {
        let Some(g) = theirs.iter().position(|l| l == label) else {
            return Err(format!(
                "{} has the facet {label}, which {} lacks (its facets: {}): expected the same facet axes and values",
                adaptive.source,
                dense.source,
                theirs.join("; ")
            ));
        };
        let c = compare_maps(
            &adaptive.facet_def(f),
            &adaptive.facet_rows(f, adaptive_rows),
            &dense.facet_def(g),
            &dense.facet_rows(g, dense_rows),
        )?;
        total.points += c.points;
        total.agree += c.agree;
        total.off_lattice += c.off_lattice;
        for (what, a, b) in c.examples {
            if total.examples.len() < 20 {
                total.examples.push((format!("{what}, {label}"), a, b));
            }
        }
    }
    Ok(total)
}

/// [`compare_to_dense`] of two sweeps of one map each.
fn compare_maps(
    adaptive: &SweepDef,
    adaptive_rows: &[Row],
    dense: &SweepDef,
    dense_rows: &[Row],
) -> Result<DenseComparison, String> {
    if adaptive.refine.is_none() {
        return Err(format!(
            "{}: not an adaptive sweep (no [refine])",
            adaptive.source
        ));
    }
    let names = |d: &SweepDef| d.axes.iter().map(|a| a.param.clone()).collect::<Vec<_>>();
    if names(adaptive) != names(dense) || !dense.is_grid {
        return Err(format!(
            "{} sweeps {:?}, {} sweeps {:?}{}: expected a grid over the same two parameters in the same order",
            adaptive.source,
            names(adaptive),
            dense.source,
            names(dense),
            if dense.is_grid { "" } else { " as a point list" }
        ));
    }
    let filled = regime_grid(adaptive, adaptive_rows);
    let theirs = label_grid(dense, dense_rows, "regime");
    let find = |v: &[f64], x: f64| v.iter().position(|&a| same_value(a, x));
    let mut out = DenseComparison {
        points: 0,
        agree: 0,
        off_lattice: 0,
        adaptive_runs: adaptive_rows.len(),
        dense_runs: dense_rows.len(),
        examples: vec![],
    };
    for (dy, row) in theirs.iter().enumerate() {
        for (dx, label) in row.iter().enumerate() {
            let Some(want) = label else { continue };
            let (x, y) = (dense.axes[0].values[dx], dense.axes[1].values[dy]);
            let (Some(ix), Some(iy)) = (
                find(&adaptive.axes[0].values, x),
                find(&adaptive.axes[1].values, y),
            ) else {
                out.off_lattice += 1;
                continue;
            };
            let Some(got) = filled[iy][ix] else { continue };
            out.points += 1;
            if got == *want {
                out.agree += 1;
            } else if out.examples.len() < 20 {
                let what = format!("{}={x}, {}={y}", dense.axes[0].param, dense.axes[1].param);
                out.examples.push((what, got, *want));
            }
        }
    }
    Ok(out)
}
