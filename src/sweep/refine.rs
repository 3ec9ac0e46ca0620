//! Adaptive refinement of a two-axis grid: quadtree refinement of the cells whose corners
//! disagree, level by level, on a fixed lattice.
//!
//! A refining sweep lives on the **lattice** of its finest level: between two neighbouring
//! base values of an axis lie `2^levels` lattice steps, so lattice point (i, j) with
//! i = q·2^L + m has the value b_q + (b_{q+1} − b_q)·m/2^L. Points are numbered on the
//! lattice (i·n_y + j, the second axis fastest, like a grid), and a run's seed derives from
//! its values ([`crate::rng::coordinate_seed`]), so a point gets the same result whichever
//! level planned it.
//!
//! Level 0 runs the base grid. Before level r ≥ 1 the quadtree is read back from the points
//! run so far (a cell of size s was split exactly when its centre was run) and every leaf
//! cell wider than one lattice step whose **boundary** points disagree is split: its centre
//! and the midpoints of its four edges are run at level r. The boundary includes points on
//! its edges run for a finer neighbour (hanging nodes), so a coarse cell next to a refined
//! one is split in the next level when the neighbour's edge points show the boundary
//! reaching it; after the last level such a cell stays as it is, and
//! [`Progress::hanging`] counts them. Everything is a function of the rows alone: resuming,
//! sharding or a second thread count plans the same levels.

use super::row::{Row, Value};
use std::collections::BTreeMap;

/// Most refinement levels a definition may ask for.
pub const MAX_LEVELS: u32 = 8;
/// Most lattice points a refining sweep may have (its maps hold one cell per lattice point).
pub const MAX_LATTICE_POINTS: f64 = 5e6;
/// Most lattice points over all facets of a refining sweep (a row's `point` is a u32).
pub const MAX_TOTAL_POINTS: f64 = u32::MAX as f64;

/// When a cell is split.
#[derive(Debug, Clone, PartialEq)]
pub enum RefineOn {
    /// When its points' regimes (the majority over replicates) are not all the same.
    Regime,
    /// When its points' values of a numeric column (mean over replicates) differ by more
    /// than the tolerance; NaN next to a number counts as a difference.
    Column { name: String, tolerance: Tolerance },
}

/// How far apart two values of the refinement column may be before a cell is split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// max − min > this, in the column's unit.
    Absolute(f64),
    /// max − min > this × the largest |value| of the cell.
    Relative(f64),
}

/// The `[refine]` table of a definition, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Refine {
    pub levels: u32,
    pub on: RefineOn,
    /// Stop refining before the runs (all levels, replicates included) would exceed this.
    pub max_runs: Option<usize>,
    /// The base grid's values of the two axes (level 0); `SweepDef::axes` holds the
    /// lattice's values.
    pub base: [Vec<f64>; 2],
}

/// The lattice's values of one axis: `2^levels` steps between neighbouring base values,
/// each in canonical form ([`super::definition::canonical`], as every grid's values are), so
/// a dense grid over the same values has the same bits and seeds.
pub fn lattice_values(base: &[f64], levels: u32) -> Vec<f64> {
    let s = 1usize << levels;
    let mut out = Vec::with_capacity((base.len().saturating_sub(1)) * s + 1);
    for w in base.windows(2) {
        for m in 0..s {
            let x = w[0] + (w[1] - w[0]) * (m as f64 / s as f64);
            out.push(super::definition::canonical(x));
        }
    }
    out.extend(base.last());
    out
}

/// Lattice points of a refinement over base axes of `nx`, `ny` values (as f64: no overflow).
pub fn lattice_points(nx: usize, ny: usize, levels: u32) -> f64 {
    let s = 2f64.powi(levels as i32);
    ((nx as f64 - 1.0) * s + 1.0) * ((ny as f64 - 1.0) * s + 1.0)
}

/// The lattice: its size and the spacing of the base grid on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lattice {
    pub nx: usize,
    pub ny: usize,
    /// Lattice steps between base values: 2^levels.
    pub base_step: usize,
}

/// A square cell of the quadtree: lower-left lattice corner (i, j), side `s` lattice steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    pub i: usize,
    pub j: usize,
    pub s: usize,
}

impl Lattice {
    /// The lattice of `r`.
    pub fn of(r: &Refine) -> Lattice {
        let base_step = 1usize << r.levels;
        Lattice {
            nx: (r.base[0].len() - 1) * base_step + 1,
            ny: (r.base[1].len() - 1) * base_step + 1,
            base_step,
        }
    }

    /// Number of lattice points (the dense grid at the finest spacing).
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// Always false: a lattice has at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The point number of lattice point (i, j).
    pub fn index(&self, i: usize, j: usize) -> usize {
        i * self.ny + j
    }

    /// The lattice coordinates of point number `p`.
    pub fn coords(&self, p: usize) -> (usize, usize) {
        (p / self.ny, p % self.ny)
    }

    /// The base grid's points (level 0), ascending.
    pub fn base_points(&self) -> Vec<usize> {
        let b = self.base_step;
        (0..self.nx)
            .step_by(b)
            .flat_map(|i| (0..self.ny).step_by(b).map(move |j| (i, j)))
            .map(|(i, j)| self.index(i, j))
            .collect()
    }

    /// The leaves of the quadtree whose split cells are those with a run centre.
    pub fn leaves(&self, run: &[bool]) -> Vec<Cell> {
        let b = self.base_step;
        let mut stack: Vec<Cell> = (0..self.nx - 1)
            .step_by(b)
            .flat_map(|i| {
                (0..self.ny - 1)
                    .step_by(b)
                    .map(move |j| Cell { i, j, s: b })
            })
            .collect();
        let mut leaves = Vec::new();
        while let Some(c) = stack.pop() {
            let h = c.s / 2;
            if c.s > 1 && run[self.index(c.i + h, c.j + h)] {
                for (di, dj) in [(0, 0), (h, 0), (0, h), (h, h)] {
                    stack.push(Cell {
                        i: c.i + di,
                        j: c.j + dj,
                        s: h,
                    });
                }
            } else {
                leaves.push(c);
            }
        }
        leaves.sort();
        leaves
    }

    /// The run points on the closed boundary of `c` (corners first).
    fn boundary_points(&self, c: Cell, run: &[bool]) -> Vec<usize> {
        let mut pts = vec![
            self.index(c.i, c.j),
            self.index(c.i + c.s, c.j),
            self.index(c.i, c.j + c.s),
            self.index(c.i + c.s, c.j + c.s),
        ];
        for k in 1..c.s {
            for (i, j) in [
                (c.i + k, c.j),
                (c.i + k, c.j + c.s),
                (c.i, c.j + k),
                (c.i + c.s, c.j + k),
            ] {
                let p = self.index(i, j);
                if run[p] {
                    pts.push(p);
                }
            }
        }
        pts
    }

    /// The points run when `c` is split: its centre and the midpoints of its edges.
    fn split_points(&self, c: Cell) -> [usize; 5] {
        let h = c.s / 2;
        [
            self.index(c.i + h, c.j + h),
            self.index(c.i + h, c.j),
            self.index(c.i + h, c.j + c.s),
            self.index(c.i, c.j + h),
            self.index(c.i + c.s, c.j + h),
        ]
    }

    /// For every lattice point, the run point whose value it shows: itself when run, else
    /// the corner of its leaf cell whose quarter it lies in (a point on a midline goes to
    /// the upper/right corner; a point on several leaves takes the finest). None only where
    /// no leaf holds a run corner (nothing run yet).
    pub fn owners(&self, run: &[bool]) -> Vec<Option<usize>> {
        let mut owner: Vec<Option<usize>> = vec![None; self.len()];
        let mut leaves = self.leaves(run);
        // Coarse first, so finer leaves overwrite the points they share.
        leaves.sort_by(|a, b| b.s.cmp(&a.s));
        for c in leaves {
            for i in c.i..=c.i + c.s {
                let ci = if 2 * (i - c.i) < c.s { c.i } else { c.i + c.s };
                for j in c.j..=c.j + c.s {
                    let cj = if 2 * (j - c.j) < c.s { c.j } else { c.j + c.s };
                    let corner = self.index(ci, cj);
                    if run[corner] {
                        owner[self.index(i, j)] = Some(corner);
                    }
                }
            }
        }
        for (p, o) in owner.iter_mut().enumerate() {
            if run[p] {
                *o = Some(p);
            }
        }
        owner
    }
}

/// What a point shows to the refinement: its majority label or its mean value.
#[derive(Debug, Clone, PartialEq)]
pub enum PointValue {
    Label(String),
    Number(f64),
    /// Every replicate of the point failed (`regime = "failed"`): the point is complete (a
    /// failure is a result: the same seed fails again, so it is never retried) but takes no
    /// part in deciding whether the cells around it are split.
    Failed,
}

/// Whether the values of a cell's boundary points call for a split; failed points are left
/// out, so a failure never splits a cell by itself.
fn differ(values: &[&PointValue], on: &RefineOn) -> bool {
    let values: Vec<&PointValue> = values
        .iter()
        .copied()
        .filter(|v| **v != PointValue::Failed)
        .collect();
    match on {
        RefineOn::Regime => values.windows(2).any(|w| w[0] != w[1]),
        RefineOn::Column { tolerance, .. } => {
            let nums: Vec<f64> = values
                .iter()
                .map(|v| match v {
                    PointValue::Number(x) => *x,
                    PointValue::Label(_) | PointValue::Failed => f64::NAN,
                })
                .collect();
            let finite: Vec<f64> = nums.iter().copied().filter(|x| x.is_finite()).collect();
            if finite.is_empty() {
                return false;
            }
            if finite.len() < nums.len() {
                return true;
            }
            let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            match tolerance {
                Tolerance::Absolute(t) => hi - lo > *t,
                Tolerance::Relative(t) => hi - lo > t * lo.abs().max(hi.abs()),
            }
        }
    }
}

/// Each complete point's value for the refinement (`replicates` rows each): the most
/// frequent `regime` (ties: the first label in alphabetical order) or the mean of the
/// column's finite values (NaN when none), over the replicates that did not fail;
/// [`PointValue::Failed`] when every replicate failed.
pub fn point_values(rows: &[Row], on: &RefineOn, replicates: u32) -> BTreeMap<usize, PointValue> {
    let col = match on {
        RefineOn::Regime => "regime",
        RefineOn::Column { name, .. } => name.as_str(),
    };
    let failed = Value::Str(super::row::FAILED.to_string());
    // Per point: the rows seen, and the values of those that did not fail.
    let mut by_point: BTreeMap<usize, (usize, Vec<&Value>)> = BTreeMap::new();
    for r in rows {
        if let (Some((p, _)), Some(v)) = (r.key(), r.get(col)) {
            let e = by_point.entry(p as usize).or_default();
            e.0 += 1;
            if r.get("regime") != Some(&failed) {
                e.1.push(v);
            }
        }
    }
    by_point
        .into_iter()
        .filter(|(_, (n, _))| *n >= replicates as usize)
        .map(|(p, (_, vs))| {
            let v = if vs.is_empty() {
                PointValue::Failed
            } else {
                summarise(&vs)
            };
            (p, v)
        })
        .collect()
}

fn summarise(vs: &[&Value]) -> PointValue {
    if let Some(Value::Str(_)) = vs.first() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for v in vs {
            if let Value::Str(s) = v {
                *counts.entry(s.as_str()).or_default() += 1;
            }
        }
        let best = counts.values().copied().max().unwrap_or(0);
        let label = counts
            .into_iter()
            .find(|(_, n)| *n == best)
            .map(|(l, _)| l.to_string())
            .unwrap_or_default();
        return PointValue::Label(label);
    }
    let nums: Vec<f64> = vs
        .iter()
        .filter_map(|v| match v {
            Value::F64(x) => Some(*x),
            Value::U64(x) => Some(*x as f64),
            Value::U32(x) => Some(*x as f64),
            Value::Str(_) => None,
        })
        .filter(|x| x.is_finite())
        .collect();
    PointValue::Number(if nums.is_empty() {
        f64::NAN
    } else {
        nums.iter().sum::<f64>() / nums.len() as f64
    })
}

/// How far a refining sweep has got, read from its rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    /// The points of each level planned so far (ascending); the last may be incomplete.
    pub levels: Vec<Vec<usize>>,
    /// Every planned level is complete and nothing is left to refine (or the levels ran out).
    pub complete: bool,
    /// Why refinement stopped before `levels` (the `max_runs` budget), if it did.
    pub stopped: Option<String>,
    /// Leaf cells left at the end with disagreeing boundary points that the levels did not
    /// reach the finest spacing in (a coarse cell found late, or the budget).
    pub hanging: usize,
}

impl Progress {
    /// The level being run (the first incomplete one), if any.
    pub fn current(&self) -> Option<usize> {
        (!self.complete).then(|| self.levels.len() - 1)
    }

    /// Runs planned in all levels (points × replicates).
    pub fn planned_runs(&self, replicates: u32) -> usize {
        self.levels.iter().map(Vec::len).sum::<usize>() * replicates as usize
    }

    /// The level of every planned point.
    pub fn level_of(&self) -> BTreeMap<usize, u32> {
        self.levels
            .iter()
            .enumerate()
            .flat_map(|(l, pts)| pts.iter().map(move |&p| (p, l as u32)))
            .collect()
    }
}

/// The levels of `r` planned from `values` (each complete point's value, see
/// [`point_values`]): level 0 is the base grid; each next level is planned once every point
/// of the previous one has a value.
pub fn progress(r: &Refine, values: &BTreeMap<usize, PointValue>, replicates: u32) -> Progress {
    let lat = Lattice::of(r);
    let mut run = vec![false; lat.len()];
    let mut out = Progress {
        levels: vec![lat.base_points()],
        ..Default::default()
    };
    let mut runs = out.planned_runs(replicates);
    for level in 1..=r.levels as usize {
        let last = out.levels.last().expect("level 0 exists");
        if last.iter().any(|p| !values.contains_key(p)) {
            return out;
        }
        for &p in last {
            run[p] = true;
        }
        let mixed: Vec<Cell> = lat
            .leaves(&run)
            .into_iter()
            .filter(|c| c.s > 1 && mixed(&lat, *c, &run, values, &r.on))
            .collect();
        // Wider cells first (a stable sort keeps the lattice order among equals): when the
        // budget runs out, the coarsest open questions were asked first.
        let mut mixed = mixed;
        mixed.sort_by(|a, b| b.s.cmp(&a.s));
        let mut planned = vec![false; lat.len()];
        let mut new: Vec<usize> = Vec::new();
        for c in mixed {
            let add: Vec<usize> = lat
                .split_points(c)
                .into_iter()
                .filter(|&p| !run[p] && !planned[p])
                .collect();
            let cost = add.len() * replicates as usize;
            if let Some(max) = r.max_runs {
                if runs + cost > max {
                    out.stopped = Some(format!(
                        "refinement stopped in level {level}: splitting more cells would exceed [refine] max_runs = {max}"
                    ));
                    break;
                }
            }
            runs += cost;
            for p in add {
                planned[p] = true;
                new.push(p);
            }
        }
        if new.is_empty() {
            out.complete = true;
            out.hanging = count_hanging(&lat, &run, values, &r.on);
            return out;
        }
        new.sort_unstable();
        out.levels.push(new);
        if out.stopped.is_some() {
            break;
        }
    }
    let last = out.levels.last().expect("level 0 exists");
    if last.iter().all(|p| values.contains_key(p)) {
        for &p in last {
            run[p] = true;
        }
        out.complete = true;
        out.hanging = count_hanging(&lat, &run, values, &r.on);
    }
    out
}

/// The levels of every facet's refinement ([`progress`] of each facet's own lattice, whose
/// points are numbered from `f × lattice size`), planned together: level r + 1 is planned in
/// any facet only once level r is complete in every facet, so the levels are the same sets
/// of runs whichever shard or process reads the rows (and each facet's plan still depends on
/// its own rows alone). Returns the combined progress and each facet's.
pub fn progress_facets(
    r: &Refine,
    n_facets: usize,
    values: &BTreeMap<usize, PointValue>,
    replicates: u32,
) -> (Progress, Vec<Progress>) {
    let size = Lattice::of(r).len();
    let mut each: Vec<Progress> = (0..n_facets)
        .map(|f| {
            let local: BTreeMap<usize, PointValue> = values
                .range(f * size..(f + 1) * size)
                .map(|(p, v)| (p - f * size, v.clone()))
                .collect();
            progress(r, &local, replicates)
        })
        .collect();
    if n_facets == 1 {
        return (each[0].clone(), each);
    }
    // The first level still incomplete in some facet: no facet goes beyond it yet.
    if let Some(cut) = each.iter().filter_map(Progress::current).min() {
        for p in &mut each {
            if p.levels.len() > cut + 1 {
                p.levels.truncate(cut + 1);
                p.complete = false;
                p.stopped = None;
                p.hanging = 0;
            }
        }
    }
    let depth = each.iter().map(|p| p.levels.len()).max().unwrap_or(1);
    let levels = (0..depth)
        .map(|l| {
            let mut pts: Vec<usize> = each
                .iter()
                .enumerate()
                .flat_map(|(f, p)| {
                    p.levels
                        .get(l)
                        .into_iter()
                        .flatten()
                        .map(move |q| f * size + q)
                })
                .collect();
            pts.sort_unstable();
            pts
        })
        .collect();
    let stopped: Vec<usize> = (0..n_facets)
        .filter(|&f| each[f].stopped.is_some())
        .collect();
    let all = Progress {
        levels,
        complete: each.iter().all(|p| p.complete),
        stopped: (!stopped.is_empty()).then(|| {
            format!(
                "refinement stopped early by [refine] max_runs in {} of {n_facets} facets",
                stopped.len()
            )
        }),
        hanging: each.iter().map(|p| p.hanging).sum(),
    };
    (all, each)
}

fn mixed(
    lat: &Lattice,
    c: Cell,
    run: &[bool],
    values: &BTreeMap<usize, PointValue>,
    on: &RefineOn,
) -> bool {
    let vals: Vec<&PointValue> = lat
        .boundary_points(c, run)
        .into_iter()
        .filter(|&p| run[p])
        .filter_map(|p| values.get(&p))
        .collect();
    differ(&vals, on)
}

fn count_hanging(
    lat: &Lattice,
    run: &[bool],
    values: &BTreeMap<usize, PointValue>,
    on: &RefineOn,
) -> usize {
    lat.leaves(run)
        .into_iter()
        .filter(|c| c.s > 1 && mixed(lat, *c, run, values, on))
        .count()
}

/// The lattice of `r` and which of its points ran (numbers off the lattice are ignored).
fn run_mask(r: &Refine, run_points: impl Iterator<Item = usize>) -> (Lattice, Vec<bool>) {
    let lat = Lattice::of(r);
    let mut run = vec![false; lat.len()];
    for p in run_points {
        if p < run.len() {
            run[p] = true;
        }
    }
    (lat, run)
}

/// The leaf cells of a finished or partial refinement (for outlines on the maps).
pub fn leaf_cells(r: &Refine, run_points: impl Iterator<Item = usize>) -> Vec<Cell> {
    let (lat, run) = run_mask(r, run_points);
    lat.leaves(&run)
}

/// For every lattice point, the run point whose result it shows ([`Lattice::owners`]).
pub fn owners(r: &Refine, run_points: impl Iterator<Item = usize>) -> Vec<Option<usize>> {
    let (lat, run) = run_mask(r, run_points);
    lat.owners(&run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refine(nx: usize, ny: usize, levels: u32, max_runs: Option<usize>) -> Refine {
        Refine {
            levels,
            on: RefineOn::Regime,
            max_runs,
            base: [
                (0..nx).map(|k| k as f64).collect(),
                (0..ny).map(|k| k as f64).collect(),
            ],
        }
    }

    /// Runs the refinement against `label(x, y)` (lattice coordinates scaled to base units)
    /// until complete; returns the progress and the labels of the run points.
    fn run_against(
        r: &Refine,
        label: impl Fn(f64, f64) -> &'static str,
    ) -> (Progress, BTreeMap<usize, PointValue>) {
        let lat = Lattice::of(r);
        let s = lat.base_step as f64;
        let mut values = BTreeMap::new();
        loop {
            let p = progress(r, &values, 1);
            if p.complete {
                return (p, values);
            }
            for &q in p.levels.last().unwrap() {
                let (i, j) = lat.coords(q);
                values.insert(
                    q,
                    PointValue::Label(label(i as f64 / s, j as f64 / s).into()),
                );
            }
        }
    }

    /// Two regions split by a line, and a small disc: the kind of map a phase diagram is.
    fn phase(x: f64, y: f64) -> &'static str {
        if (x - 6.0).powi(2) + (y - 1.0).powi(2) < 0.6 {
            "C"
        } else if y > 0.4 * x + 0.7 {
            "A"
        } else {
            "B"
        }
    }

    #[test]
    fn lattice_values_subdivide_each_base_interval() {
        assert_eq!(
            lattice_values(&[0.0, 1.0, 3.0], 1),
            vec![0.0, 0.5, 1.0, 2.0, 3.0]
        );
        assert_eq!(lattice_values(&[2.0], 3), vec![2.0]);
        assert_eq!(lattice_points(9, 9, 3), 65.0 * 65.0);
        // Dyadic steps are exact: the lattice of 0..8 at 3 levels is k/8.
        let v = lattice_values(&(0..9).map(f64::from).collect::<Vec<_>>(), 3);
        assert!(v.iter().enumerate().all(|(k, x)| *x == k as f64 / 8.0));
    }

    #[test]
    fn a_failed_point_splits_no_cell_and_counts_as_complete() {
        // Issue 20: a failed run's label split the cells around it (84 runs, not 81).
        let r = refine(5, 4, 3, None);
        let lat = Lattice::of(&r);
        let failed = lat.index(2 * lat.base_step, lat.base_step);
        let mut values: BTreeMap<usize, PointValue> = lat
            .base_points()
            .into_iter()
            .map(|p| (p, PointValue::Label("A".into())))
            .collect();
        values.insert(failed, PointValue::Failed);
        let p = progress(&r, &values, 1);
        assert!(p.complete, "{p:?}");
        assert_eq!(p.levels.len(), 1);
        // A cell whose other corners disagree is still split.
        values.insert(lat.index(0, 0), PointValue::Label("B".into()));
        assert_eq!(progress(&r, &values, 1).levels.len(), 2);
        // Rows: a point with every replicate failed is Failed; one with a failure and a
        // label takes the label; on a numeric column the failure's NaN is no difference.
        let row = |p: u32, rep: u32, regime: &str, rate: f64| Row {
            cells: vec![
                ("point".into(), Value::U32(p)),
                ("replicate".into(), Value::U32(rep)),
                ("regime".into(), Value::Str(regime.into())),
                ("rate_hz".into(), Value::F64(rate)),
            ],
        };
        let rows = [
            row(0, 0, "failed", f64::NAN),
            row(0, 1, "failed", f64::NAN),
            row(1, 0, "failed", f64::NAN),
            row(1, 1, "AI", 5.0),
        ];
        let v = point_values(&rows, &RefineOn::Regime, 2);
        assert_eq!(v[&0], PointValue::Failed);
        assert_eq!(v[&1], PointValue::Label("AI".into()));
        let on = RefineOn::Column {
            name: "rate_hz".into(),
            tolerance: Tolerance::Absolute(1.0),
        };
        let v = point_values(&rows, &on, 2);
        assert_eq!(v[&0], PointValue::Failed);
        assert_eq!(v[&1], PointValue::Number(5.0));
        let five = PointValue::Number(5.0);
        assert!(!differ(&[&five, &PointValue::Failed, &five], &on));
        assert!(differ(&[&five, &PointValue::Number(f64::NAN)], &on));
    }

    #[test]
    fn uniform_maps_run_only_the_base_grid() {
        let r = refine(5, 4, 3, None);
        let (p, values) = run_against(&r, |_, _| "A");
        assert!(p.complete);
        assert_eq!(p.levels.len(), 1);
        assert_eq!(values.len(), 20);
        assert_eq!(p.hanging, 0);
    }

    #[test]
    fn refinement_agrees_with_the_dense_grid_at_a_fraction_of_its_runs() {
        let r = refine(9, 9, 3, None);
        let lat = Lattice::of(&r);
        let (p, values) = run_against(&r, phase);
        assert!(p.complete && p.stopped.is_none());
        let owners = owners(&r, values.keys().copied());
        let s = lat.base_step as f64;
        let mut agree = 0;
        for q in 0..lat.len() {
            let (i, j) = lat.coords(q);
            let want = phase(i as f64 / s, j as f64 / s);
            let o = owners[q].expect("every point has an owner");
            if values[&o] == PointValue::Label(want.into()) {
                agree += 1;
            }
        }
        let share = agree as f64 / lat.len() as f64;
        let runs = values.len() as f64 / lat.len() as f64;
        // Only the finest cells a boundary crosses can be wrong, and within them only the
        // points nearer a corner of the other side: a few percent of the map.
        assert!(share >= 0.97, "agreement {share}");
        assert!(runs <= 0.25, "runs {runs}");
        // Every point run on a boundary's cell lies at the finest level somewhere.
        assert_eq!(p.levels.len(), 4);
    }

    #[test]
    fn a_budget_stops_refinement_before_it_is_exceeded() {
        let r = refine(9, 9, 3, Some(150));
        let (p, values) = run_against(&r, phase);
        assert!(values.len() <= 150, "{}", values.len());
        assert!(p.stopped.as_deref().unwrap().contains("max_runs = 150"));
        assert!(p.complete);
    }

    #[test]
    fn the_plan_depends_on_the_values_only() {
        let r = refine(6, 5, 2, None);
        let (p, values) = run_against(&r, phase);
        // Planned again from the finished values: the same levels.
        assert_eq!(progress(&r, &values, 1), p);
        // Partial values: the plan stops at the first incomplete level.
        let first: BTreeMap<usize, PointValue> = values
            .iter()
            .filter(|(k, _)| p.levels[0].contains(k))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        let partial = progress(&r, &first, 1);
        assert_eq!(partial.levels[..], p.levels[..2]);
        assert_eq!(partial.current(), Some(1));
    }

    #[test]
    fn numeric_tolerances_absolute_and_relative() {
        let n = |x: f64| PointValue::Number(x);
        let (a, b, c) = (n(10.0), n(12.0), n(f64::NAN));
        let abs = RefineOn::Column {
            name: "rate_hz".into(),
            tolerance: Tolerance::Absolute(1.5),
        };
        let rel = RefineOn::Column {
            name: "rate_hz".into(),
            tolerance: Tolerance::Relative(0.25),
        };
        assert!(differ(&[&a, &b], &abs));
        assert!(!differ(&[&a, &b], &rel));
        assert!(differ(&[&a, &c], &rel));
        assert!(!differ(&[&c, &c], &abs));
    }

    #[test]
    fn majority_labels_break_ties_alphabetically() {
        let s = |x: &str| Value::Str(x.into());
        let (ai, sr) = (s("AI"), s("SR"));
        assert_eq!(summarise(&[&sr, &ai, &sr]), PointValue::Label("SR".into()));
        assert_eq!(summarise(&[&sr, &ai]), PointValue::Label("AI".into()));
    }
}
