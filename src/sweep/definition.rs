//! Sweep definitions: a TOML file (or the embedded default) parsed and validated completely
//! before anything runs. Every error names the file, the line, the field and what was expected.
//!
//! ```toml
//! name = "brunel-phase-quick"      # results go to results/<name>/
//! model = "brunel"
//! description = "..."
//! seed = 2026                      # master seed; each run's seed derives from (seed, point, replicate)
//! replicates = 1
//! duration_ms = 700                # optional: sets the model's duration_ms / warmup_ms
//! warmup_ms = 200
//!
//! [fixed]                          # any model parameter, held fixed
//! N_E = 2500
//!
//! [[axis]]                         # first axis = x of the plots, second = y
//! param = "g"
//! linspace = { start = 2, stop = 8, num = 13 }   # or values = [...], or arange = { start, stop, step }
//!
//! [analysis]                       # optional overrides of the measures' settings
//! [classifier]                     # optional overrides of the regime thresholds
//! [[keep_spikes]]                  # optional: points whose spike trains are kept
//! g = 5
//! eta = 2
//! [plots]                          # heatmaps = [...], regime_map = true, theory_lines = true, fig8_window_ms = [a, b],
//!                                  # scales = { column = "auto" | "linear" | "log" }
//! [refine]                         # optional, two-axis grids only: adaptive refinement
//! levels = 3                       # each level halves the spacing inside a split cell (1-8)
//! on = "regime"                    # or a numeric column with tolerance / relative_tolerance
//! max_runs = 2000                  # optional budget (runs, replicates included)
//! ```
//!
//! `seeds = "coordinates"` makes a grid's run seeds derive from each point's values instead
//! of its index (refining sweeps always do), so a dense grid and a refinement share the
//! runs of their common points.

use super::facets::{facet_count, FacetAxis};
use super::refine::{self, Refine, RefineOn, Tolerance};
use crate::analysis::classify::ClassifierSettings;
use crate::analysis::AnalysisSettings;
use crate::model::{self, Model, ParamSet};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use toml::Spanned;

/// The embedded default sweep (also shipped as `sweeps/brunel-phase-quick.toml`).
pub const DEFAULT_SWEEP: &str = include_str!("../../sweeps/brunel-phase-quick.toml");
/// How the embedded default is named in messages and provenance.
pub const DEFAULT_SOURCE: &str = "<embedded default: sweeps/brunel-phase-quick.toml>";

/// The most values one axis may have (checked before any value is generated).
pub const MAX_AXIS_VALUES: usize = 1_000_000;
/// Runs (points × replicates) a definition may have unless the user raises the limit
/// explicitly (`--max-runs`): the full-scale dense map has 5,330; 100,000 full-scale runs
/// take days on a node, and a mistyped grid should not spend minutes and gigabytes first.
pub const DEFAULT_MAX_RUNS: usize = 100_000;
/// Runs no definition may exceed, whatever the limit asked for (the list of points is
/// held in memory: ~100 bytes per point).
pub const HARD_MAX_RUNS: usize = 50_000_000;

/// Limits a definition is checked against before anything is expanded or run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The most runs (points × replicates) accepted.
    pub max_runs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_runs: DEFAULT_MAX_RUNS,
        }
    }
}

/// A definition that cannot be used, with where and why.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[error("{file}{}: {field}: {message}", if *line > 0 { format!(":{line}") } else { String::new() })]
pub struct DefinitionError {
    pub file: String,
    /// 1-based line of the offending table or value; 0 when the file could not be read.
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Spanned<String>,
    model: Spanned<String>,
    #[serde(default)]
    description: String,
    seed: Spanned<i64>,
    #[serde(default)]
    replicates: Option<Spanned<i64>>,
    #[serde(default)]
    duration_ms: Option<Spanned<f64>>,
    #[serde(default)]
    warmup_ms: Option<Spanned<f64>>,
    #[serde(default)]
    fixed: BTreeMap<Spanned<String>, Spanned<f64>>,
    #[serde(default)]
    axis: Vec<Spanned<RawAxis>>,
    #[serde(default)]
    point: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    analysis: AnalysisSettings,
    #[serde(default)]
    classifier: ClassifierSettings,
    #[serde(default)]
    keep_spikes: Vec<Spanned<BTreeMap<String, f64>>>,
    #[serde(default)]
    plots: PlotSettings,
    #[serde(default)]
    refine: Option<Spanned<RawRefine>>,
    #[serde(default)]
    seeds: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefine {
    levels: i64,
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    tolerance: Option<f64>,
    #[serde(default)]
    relative_tolerance: Option<f64>,
    #[serde(default)]
    max_runs: Option<i64>,
    /// The axes refined: the map's x and y (the default); a facet axis is refused.
    #[serde(default)]
    axes: Option<Vec<String>>,
}

/// How each run's seed is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedRule {
    /// From (master seed, point index, replicate): grids and lists by default.
    Index,
    /// From (master seed, the point's values, replicate): refining sweeps, and grids that
    /// ask for it with `seeds = "coordinates"`.
    Coordinates,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAxis {
    #[serde(default)]
    pub(super) param: Option<Spanned<String>>,
    /// A grouped facet axis: parameters that vary together.
    #[serde(default)]
    pub(super) params: Option<Vec<String>>,
    /// Numbers, or for a grouped axis one list of numbers per step (read in [`super::facets`]).
    pub(super) values: Option<toml::Value>,
    pub(super) linspace: Option<Linspace>,
    pub(super) arange: Option<Arange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Linspace {
    start: f64,
    stop: f64,
    num: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Arange {
    start: f64,
    stop: f64,
    step: f64,
}

/// Which figures a sweep draws.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlotSettings {
    /// Result columns drawn as heatmaps over the two axes.
    pub heatmaps: Vec<String>,
    /// Draw the regime map (with the balance line g = 4 and mean-field rate contours).
    pub regime_map: bool,
    /// Draw the theory's stability boundaries (Brunel 2000 Fig. 2) over a regime map of g
    /// and eta, and write them to `theory_lines.parquet` (model brunel).
    pub theory_lines: bool,
    /// Window of the Fig.-8-style figures of kept points, [start, end] in ms
    /// (default: the last 200 ms).
    pub fig8_window_ms: Option<[f64; 2]>,
    /// Colour scale per heatmap column (`{ oscillation_strength = "log" }`): `auto` (the
    /// default: log10 when a column's values span more than two decades), `linear` or `log`.
    pub scales: std::collections::BTreeMap<String, crate::plot::heatmap::ScaleKind>,
}

impl Default for PlotSettings {
    fn default() -> Self {
        PlotSettings {
            heatmaps: [
                "rate_hz",
                "cv_isi",
                "chi",
                "fano_factor",
                "spectrum_peak_hz",
                "theory_rate_hz",
            ]
            .map(String::from)
            .to_vec(),
            regime_map: true,
            theory_lines: true,
            fig8_window_ms: None,
            scales: Default::default(),
        }
    }
}

/// One swept parameter and its distinct values (sorted for a `[[point]]` list).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub param: String,
    pub values: Vec<f64>,
}

/// A validated sweep definition.
#[derive(Debug, Clone)]
pub struct SweepDef {
    pub name: String,
    pub model: &'static Model,
    pub description: String,
    pub seed: u64,
    pub replicates: u32,
    /// Defaults with the fixed parameters (and duration/warm-up) applied.
    pub base: ParamSet,
    /// The map's axes (the first one or two `[[axis]]` tables): the plots' x and y.
    pub axes: Vec<Axis>,
    /// Every further `[[axis]]`: one map per combination of their values
    /// ([`super::facets`]); empty for a sweep of at most two axes.
    pub facets: Vec<FacetAxis>,
    /// The points of a `[[point]]` list, one value per axis, in the given order; empty for
    /// a grid, whose points ([`SweepDef::point`]) are the cartesian product of the axes with
    /// the last axis varying fastest (never held in memory: a refining sweep's lattice can
    /// have millions).
    pub list: Vec<Vec<f64>>,
    /// Whether the points are a full grid over the axes.
    pub is_grid: bool,
    /// Adaptive refinement (`[refine]`): then `axes` hold the lattice of the finest level.
    pub refine: Option<Refine>,
    /// How run seeds derive from the master seed.
    pub seeds: SeedRule,
    pub analysis: AnalysisSettings,
    pub classifier: ClassifierSettings,
    /// Points whose spike trains are kept, as (parameter, value) lists.
    pub keep_spikes: Vec<Vec<(String, f64)>>,
    pub plots: PlotSettings,
    /// The definition's text, exactly as read.
    pub text: String,
    /// SHA-256 of the text, hex.
    pub hash: String,
    /// Where the text came from (a path or the embedded default).
    pub source: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Values of an axis from `linspace`: `num` evenly spaced values from start to stop inclusive.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => vec![],
        1 => vec![start],
        _ => (0..num)
            .map(|k| start + (stop - start) * k as f64 / (num - 1) as f64)
            .collect(),
    }
}

/// Values of an axis from `arange`: start, start + step, ... below stop (numpy semantics, with
/// a 1e-9·step tolerance so that a stop equal to a grid value is excluded exactly once).
pub fn arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let n = ((stop - start) / step - 1e-9).ceil().max(0.0) as usize;
    (0..n).map(|k| start + step * k as f64).collect()
}

/// A coordinate in canonical form: the shortest decimal of at most 12 significant digits
/// that is nearest to `x`, as an f64 (and 0.0 for ±0). Every axis value and every lattice
/// value goes through here, so one point has the same bits whichever grid, spacing or
/// refinement level produced it: 4.1 + 0.3 × 5/4 (4.4750000000000005) and linspace's
/// 4.475 are both 4.475, and seeds derived from coordinates agree.
pub fn canonical(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x + 0.0;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// SHA-256 (hex) of a definition's text: its identity in provenance and on resume.
pub fn text_hash(text: &[u8]) -> String {
    format!("{:x}", Sha256::digest(text))
}

pub use crate::model::same_value;

pub(super) fn same_point(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(*x, *y))
}

/// The first value that appears twice (within [`same_value`]), if any.
pub(super) fn first_repeat(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .windows(2)
        .find(|w| same_value(w[0], w[1]))
        .map(|w| w[1])
}

/// `g=2, eta=1.5`.
fn describe_point(point: &[(String, f64)]) -> String {
    point
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Distance of `x` from `want`, relative to the larger magnitude (at least 1).
fn gap(x: f64, want: f64) -> f64 {
    (x - want).abs() / x.abs().max(want.abs()).max(1.0)
}

/// The value of `values` nearest to `v` (the first of two as near).
fn nearest_value(values: &[f64], v: f64) -> f64 {
    values
        .iter()
        .copied()
        .min_by(|a, b| (a - v).abs().total_cmp(&(b - v).abs()))
        .unwrap_or(v)
}

/// For a `[[keep_spikes]]` point (parameter, value pairs of swept parameters) that matches
/// no point of the sweep, the nearest point that does (the same parameters); None when it
/// matches.
fn keep_point_missing(
    point: &[(String, f64)],
    axes: &[Axis],
    facets: &[FacetAxis],
    list: &[Vec<f64>],
) -> Option<Vec<(String, f64)>> {
    if !list.is_empty() {
        // A point list: the nearest listed point over the named parameters.
        let named: Vec<(usize, f64)> = point
            .iter()
            .filter_map(|(n, v)| Some((axes.iter().position(|a| &a.param == n)?, *v)))
            .collect();
        let cost = |q: &Vec<f64>| named.iter().map(|&(j, v)| gap(q[j], v)).sum::<f64>();
        let best = list.iter().min_by(|a, b| cost(a).total_cmp(&cost(b)))?;
        if named.iter().all(|&(j, v)| same_value(best[j], v)) {
            return None;
        }
        return Some(
            point
                .iter()
                .zip(&named)
                .map(|((n, _), &(j, _))| (n.clone(), best[j]))
                .collect(),
        );
    }
    let mut nearest = point.to_vec();
    for (n, v) in nearest.iter_mut() {
        if let Some(a) = axes.iter().find(|a| &a.param == n) {
            *v = nearest_value(&a.values, *v);
        }
    }
    for f in facets {
        let named: Vec<(usize, usize)> = point
            .iter()
            .enumerate()
            .filter_map(|(k, (n, _))| Some((k, f.params.iter().position(|p| p == n)?)))
            .collect();
        let cost = |step: &Vec<f64>| {
            named
                .iter()
                .map(|&(k, j)| gap(step[j], point[k].1))
                .sum::<f64>()
        };
        if let Some(best) = f.values.iter().min_by(|a, b| cost(a).total_cmp(&cost(b))) {
            for &(k, j) in &named {
                nearest[k].1 = best[j];
            }
        }
    }
    let matches = point
        .iter()
        .zip(&nearest)
        .all(|((_, v), (_, w))| same_value(*v, *w));
    (!matches).then_some(nearest)
}

fn too_many_runs(runs: f64, max_runs: usize) -> String {
    format!(
        "{runs:.0} runs (points × replicates): expected at most {max_runs}; a sweep this large needs an explicit --max-runs N (at most {HARD_MAX_RUNS})"
    )
}

/// Runs of a grid: the product of its axes' lengths times the replicates (as f64: no
/// overflow before the check).
fn grid_runs(axes: &[Axis], replicates: u32) -> f64 {
    axes.iter().map(|a| a.values.len() as f64).product::<f64>() * replicates as f64
}

pub(super) type Span = std::ops::Range<usize>;

/// The text being parsed and its name, for located errors.
pub(super) struct Cx<'a> {
    text: &'a str,
    source: &'a str,
}

impl Cx<'_> {
    pub(super) fn at_line(&self, line: usize, field: &str, message: String) -> DefinitionError {
        DefinitionError {
            file: self.source.to_string(),
            line,
            field: field.to_string(),
            message,
        }
    }

    pub(super) fn err(&self, span: Span, field: &str, message: String) -> DefinitionError {
        self.at_line(line_of(self.text, span.start), field, message)
    }

    /// name, model, seed, replicates.
    fn header(
        &self,
        raw: &RawSweep,
    ) -> Result<(String, &'static Model, u64, u32), DefinitionError> {
        let name = raw.name.get_ref().trim().to_string();
        let folder_safe = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if name.is_empty() || !name.chars().all(folder_safe) || name.starts_with('.') {
            return Err(self.err(
                raw.name.span(),
                "name",
                format!(
                    "`{name}`: expected a non-empty folder name of letters, digits, `-`, `_`, `.`"
                ),
            ));
        }
        let model = model::find(raw.model.get_ref())
            .map_err(|e| self.err(raw.model.span(), "model", e.to_string()))?;
        let seed = *raw.seed.get_ref();
        if seed < 0 {
            return Err(self.err(
                raw.seed.span(),
                "seed",
                format!("{seed}: expected a whole number >= 0"),
            ));
        }
        let replicates = match &raw.replicates {
            Some(r) if !(1..=1_000_000).contains(r.get_ref()) => {
                return Err(self.err(
                    r.span(),
                    "replicates",
                    format!("{}: expected a whole number from 1 to 1000000", r.get_ref()),
                ))
            }
            Some(r) => *r.get_ref() as u32,
            None => 1,
        };
        Ok((name, model, seed as u64, replicates))
    }

    /// The model's defaults with `[fixed]`, `duration_ms` and `warmup_ms` applied.
    fn base_params(
        &self,
        raw: &RawSweep,
        model: &'static Model,
    ) -> Result<ParamSet, DefinitionError> {
        let mut base = model.defaults();
        for (k, v) in &raw.fixed {
            base.set(k.get_ref(), *v.get_ref()).map_err(|e| {
                self.err(k.span(), &format!("fixed.{}", k.get_ref()), e.to_string())
            })?;
        }
        for (field, value) in [
            ("duration_ms", &raw.duration_ms),
            ("warmup_ms", &raw.warmup_ms),
        ] {
            if let Some(v) = value {
                base.set(field, *v.get_ref())
                    .map_err(|e| self.err(v.span(), field, e.to_string()))?;
            }
        }
        Ok(base)
    }

    /// The `[[axis]]` tables: at least one, each with distinct in-range values, no parameter
    /// on two axes. The first two are the map's x and y; every further one is a facet
    /// ([`super::facets`]), possibly grouped.
    fn axes(
        &self,
        raw: &RawSweep,
        base: &ParamSet,
    ) -> Result<(Vec<Axis>, Vec<FacetAxis>), DefinitionError> {
        if raw.axis.is_empty() {
            return Err(self.at_line(
                1,
                "axis",
                "no [[axis]] or [[point]] given: expected at least one swept parameter".into(),
            ));
        }
        let mut axes: Vec<Axis> = Vec::new();
        let mut facets: Vec<FacetAxis> = Vec::new();
        let mut swept: Vec<String> = Vec::new();
        for (i, a) in raw.axis.iter().enumerate() {
            let ax = a.get_ref();
            if i >= 2 {
                let f = self.facet_axis(i, a, base)?;
                self.check_not_swept(a.span(), i, &f.params, &swept)?;
                swept.extend(f.params.iter().cloned());
                facets.push(f);
                continue;
            }
            let (param, param_span) = self.map_param(i, a)?;
            let field = format!("axis[{i}] ({param})");
            let def = base
                .def(&param)
                .map_err(|e| self.err(param_span, &field, e.to_string()))?;
            self.check_not_swept(a.span(), i, std::slice::from_ref(&param), &swept)?;
            let values = self.axis_values(a.span(), ax, &field)?;
            for &v in &values {
                if def.check(v).is_err() {
                    return Err(self.err(a.span(), &field, out_of_range(v, def)));
                }
            }
            if let Some(v) = first_repeat(&values) {
                return Err(self.err(
                    a.span(),
                    &field,
                    format!("value {v} appears twice: expected distinct values"),
                ));
            }
            swept.push(param.clone());
            axes.push(Axis { param, values });
        }
        Ok((axes, facets))
    }

    /// The parameter of map axis `i` (x or y): one `param`, not a group.
    fn map_param(&self, i: usize, a: &Spanned<RawAxis>) -> Result<(String, Span), DefinitionError> {
        let ax = a.get_ref();
        match (&ax.param, &ax.params) {
            (Some(p), None) => Ok((p.get_ref().clone(), p.span())),
            (_, Some(ps)) => Err(self.err(
                a.span(),
                &format!("axis[{i}].params"),
                format!(
                    "{ps:?}: the map's x and y (the first two [[axis]] tables) take one `param` each; grouped parameters are a facet: put them in a third or later [[axis]]"
                ),
            )),
            (None, None) => Err(self.err(
                a.span(),
                &format!("axis[{i}]"),
                "expected `param = \"NAME\"` (or, from the third axis on, `params = [...]`)"
                    .into(),
            )),
        }
    }

    /// Refuses an axis whose parameters an earlier axis already sweeps.
    pub(super) fn check_not_swept(
        &self,
        span: Span,
        i: usize,
        params: &[String],
        swept: &[String],
    ) -> Result<(), DefinitionError> {
        match params.iter().find(|p| swept.contains(p)) {
            Some(p) => Err(self.err(
                span,
                &format!("axis[{i}] ({p})"),
                format!("`{p}` is already swept by an earlier axis: expected each parameter on one axis only"),
            )),
            None => Ok(()),
        }
    }

    /// One axis's values from exactly one of `values`, `linspace`, `arange`, sized before
    /// anything is generated.
    pub(super) fn axis_values(
        &self,
        span: Span,
        ax: &RawAxis,
        field: &str,
    ) -> Result<Vec<f64>, DefinitionError> {
        let given = [
            ax.values.is_some(),
            ax.linspace.is_some(),
            ax.arange.is_some(),
        ];
        if given.iter().filter(|&&b| b).count() != 1 {
            return Err(self.err(span, field, "expected exactly one of `values = [...]`, `linspace = { start, stop, num }`, `arange = { start, stop, step }`".into()));
        }
        let finite = |what: &str, a: f64, b: f64| {
            if a.is_finite() && b.is_finite() {
                Ok(())
            } else {
                Err(self.err(
                    span.clone(),
                    &format!("{field}.{what}"),
                    format!("start {a} and stop {b}: expected finite numbers"),
                ))
            }
        };
        let values = if let Some(v) = &ax.values {
            self.flat_values(span.clone(), v, field)?
        } else if let Some(l) = &ax.linspace {
            if !(1..=MAX_AXIS_VALUES as i64).contains(&l.num) {
                return Err(self.err(
                    span,
                    &format!("{field}.linspace.num"),
                    format!(
                        "{}: expected a whole number from 1 to {MAX_AXIS_VALUES}",
                        l.num
                    ),
                ));
            }
            finite("linspace", l.start, l.stop)?;
            linspace(l.start, l.stop, l.num as usize)
        } else if let Some(r) = &ax.arange {
            if !(r.step > 0.0 && r.step.is_finite()) {
                return Err(self.err(
                    span,
                    &format!("{field}.arange.step"),
                    format!("{}: expected a finite step > 0", r.step),
                ));
            }
            finite("arange", r.start, r.stop)?;
            let n = ((r.stop - r.start) / r.step).ceil();
            if !(n <= MAX_AXIS_VALUES as f64) {
                return Err(self.err(
                    span,
                    &format!("{field}.arange"),
                    format!(
                        "({} - {}) / {} = {n:.3e} values: expected at most {MAX_AXIS_VALUES} (a larger step)",
                        r.stop, r.start, r.step
                    ),
                ));
            }
            arange(r.start, r.stop, r.step)
        } else {
            vec![]
        };
        if values.is_empty() {
            return Err(self.err(
                span,
                field,
                "the axis has no values: expected at least one".into(),
            ));
        }
        Ok(values.into_iter().map(canonical).collect())
    }

    /// Refuses a definition of more than `max_runs` runs, pointing at its first table.
    fn check_size<T>(
        &self,
        field: &str,
        tables: &[toml::Spanned<T>],
        runs: f64,
        max_runs: usize,
    ) -> Result<(), DefinitionError> {
        if runs <= max_runs as f64 {
            return Ok(());
        }
        let span = tables.first().map_or(0..0, |t| t.span());
        Err(self.err(span, field, too_many_runs(runs, max_runs)))
    }

    /// The `[[point]]` tables: the same one or two parameters in each, distinct points; the
    /// axes list each parameter's distinct values, sorted.
    fn point_list(
        &self,
        raw: &RawSweep,
        base: &ParamSet,
    ) -> Result<(Vec<Axis>, Vec<Vec<f64>>), DefinitionError> {
        if !raw.axis.is_empty() {
            return Err(self.err(
                raw.point[0].span(),
                "point",
                "give either [[axis]] tables (a grid) or [[point]] tables (a list), not both"
                    .into(),
            ));
        }
        let names: Vec<String> = raw.point[0].get_ref().keys().cloned().collect();
        if names.is_empty() {
            return Err(self.err(
                raw.point[0].span(),
                "point[0]",
                "no parameters: expected one or two, e.g. g = 5 and eta = 2".into(),
            ));
        }
        if names.len() > 2 {
            return Err(self.err(
                raw.point[0].span(),
                "point[0]",
                format!(
                    "{} parameters ({}): expected at most two (the maps' x and y); hold the others in [fixed]",
                    names.len(),
                    names.join(", ")
                ),
            ));
        }
        let mut pts: Vec<Vec<f64>> = Vec::new();
        for (i, pt) in raw.point.iter().enumerate() {
            let keys: Vec<String> = pt.get_ref().keys().cloned().collect();
            if keys != names {
                return Err(self.err(
                    pt.span(),
                    &format!("point[{i}]"),
                    format!(
                        "expected the same parameters as point[0]: {}",
                        names.join(", ")
                    ),
                ));
            }
            let vals = self.point_values(i, pt, base)?;
            if let Some(j) = pts.iter().position(|q| same_point(q, &vals)) {
                return Err(self.err(
                    pt.span(),
                    &format!("point[{i}]"),
                    format!("repeats point[{j}]: expected distinct points"),
                ));
            }
            pts.push(vals);
        }
        let axes = names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let mut values: Vec<f64> = pts.iter().map(|p| p[k]).collect();
                values.sort_by(f64::total_cmp);
                values.dedup();
                Axis {
                    param: name.clone(),
                    values,
                }
            })
            .collect();
        Ok((axes, pts))
    }

    /// The values of point `i`, each a number within its parameter's range.
    fn point_values(
        &self,
        i: usize,
        pt: &toml::Spanned<toml::Table>,
        base: &ParamSet,
    ) -> Result<Vec<f64>, DefinitionError> {
        let mut vals = Vec::new();
        for (name, v) in pt.get_ref() {
            let field = format!("point[{i}].{name}");
            let v = match v {
                toml::Value::Float(f) => *f,
                toml::Value::Integer(n) => *n as f64,
                other => {
                    return Err(self.err(
                        pt.span(),
                        &field,
                        format!("expected a number, got {other}"),
                    ))
                }
            };
            let def = base
                .def(name)
                .map_err(|e| self.err(pt.span(), &field, e.to_string()))?;
            if def.check(v).is_err() {
                return Err(self.err(pt.span(), &field, out_of_range(v, def)));
            }
            vals.push(v);
        }
        Ok(vals)
    }

    /// `[refine]`: two `[[axis]]` grids of continuous parameters with ascending values, 1 to
    /// 8 levels, a known criterion, and a lattice (or budget) within the limits.
    fn refine(
        &self,
        raw: &RawSweep,
        r: &Spanned<RawRefine>,
        (axes, facets): (&[Axis], &[FacetAxis]),
        base: &ParamSet,
        replicates: u32,
        max_runs: usize,
    ) -> Result<Refine, DefinitionError> {
        let (span, rr) = (r.span(), r.get_ref());
        let err = |field: &str, message: String| self.err(span.clone(), field, message);
        self.refined_axes(rr, axes, facets, &err)?;
        // Each facet refines its own map: sizes and budgets count once per facet.
        let n_facets = facet_count(facets);
        if !raw.point.is_empty() || axes.len() != 2 {
            return Err(err(
                "refine",
                format!(
                    "refinement needs a grid of exactly two [[axis]] tables; this definition has {}",
                    if raw.point.is_empty() {
                        format!("{} axis", axes.len())
                    } else {
                        "[[point]] tables".into()
                    }
                ),
            ));
        }
        if !(1..=refine::MAX_LEVELS as i64).contains(&rr.levels) {
            return Err(err(
                "refine.levels",
                format!(
                    "{}: expected a whole number from 1 to {}",
                    rr.levels,
                    refine::MAX_LEVELS
                ),
            ));
        }
        let levels = rr.levels as u32;
        for a in axes {
            let field = format!("refine ({})", a.param);
            if base.def(&a.param).is_ok_and(|d| d.range.integer) {
                return Err(err(&field, format!("`{}` takes whole numbers, but refinement puts points between its values: expected continuous parameters", a.param)));
            }
            if a.values.len() < 2 || a.values.windows(2).any(|w| w[0] >= w[1]) {
                return Err(err(
                    &field,
                    format!(
                        "{:?}: expected at least two values in ascending order",
                        a.values
                    ),
                ));
            }
        }
        let lattice = refine::lattice_points(axes[0].values.len(), axes[1].values.len(), levels);
        refine_size(lattice, levels, n_facets, &err)?;
        let on = self.refine_on(rr, &err)?;
        let budget = refine_budget(rr, axes, facets, (lattice, replicates, max_runs), &err)?;
        Ok(Refine {
            levels,
            on,
            max_runs: budget,
            base: [axes[0].values.clone(), axes[1].values.clone()],
        })
    }

    /// `axes` of `[refine]`, when given, must name the map's x and y: a facet axis is not
    /// refined (each facet refines its own x × y map).
    fn refined_axes(
        &self,
        rr: &RawRefine,
        axes: &[Axis],
        facets: &[FacetAxis],
        err: &dyn Fn(&str, String) -> DefinitionError,
    ) -> Result<(), DefinitionError> {
        let Some(named) = &rr.axes else {
            return Ok(());
        };
        let map: Vec<&str> = axes.iter().map(|a| a.param.as_str()).collect();
        for n in named {
            if facets.iter().any(|f| f.params.contains(n)) {
                return Err(err("refine.axes", format!("`{n}` is a facet axis: refinement splits the cells of each facet's map over the first two axes ({}); list a facet's values on its [[axis]] instead", map.join(" × "))));
            }
        }
        if named.iter().map(String::as_str).collect::<Vec<_>>() != map {
            return Err(err(
                "refine.axes",
                format!("{named:?}: expected the map's two axes in order, {map:?} (or no `axes`)"),
            ));
        }
        Ok(())
    }

    /// `on`, `tolerance`, `relative_tolerance` of `[refine]` (the column is checked against
    /// the sweep's columns later, in [`SweepDef::check_refine_column`]).
    fn refine_on(
        &self,
        rr: &RawRefine,
        err: &dyn Fn(&str, String) -> DefinitionError,
    ) -> Result<RefineOn, DefinitionError> {
        let on = rr.on.clone().unwrap_or_else(|| "regime".into());
        let tol = |v: f64, field: &str| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(err(
                    &format!("refine.{field}"),
                    format!("{v}: expected a finite number >= 0"),
                ))
            }
        };
        match (on.as_str(), rr.tolerance, rr.relative_tolerance) {
            ("regime", None, None) => Ok(RefineOn::Regime),
            ("regime", _, _) => Err(err(
                "refine.tolerance",
                "a tolerance applies to a numeric column; `on = \"regime\"` splits a cell when its labels differ: remove the tolerance, or name a numeric column in `on`".into(),
            )),
            (_, Some(_), Some(_)) => Err(err(
                "refine.tolerance",
                "both `tolerance` and `relative_tolerance`: expected one of them".into(),
            )),
            (_, Some(t), None) => Ok(RefineOn::Column {
                name: on,
                tolerance: Tolerance::Absolute(tol(t, "tolerance")?),
            }),
            (_, None, Some(t)) => Ok(RefineOn::Column {
                name: on,
                tolerance: Tolerance::Relative(tol(t, "relative_tolerance")?),
            }),
            // No tolerance: NaN marks it (a given tolerance is finite), so that the column
            // is checked first, in `check_refine_column`, and a misspelt one is named.
            (_, None, None) => Ok(RefineOn::Column {
                name: on,
                tolerance: Tolerance::Absolute(f64::NAN),
            }),
        }
    }

    /// `seeds`: "index" (default) or "coordinates"; a refining sweep always uses coordinates.
    fn seed_rule(
        &self,
        raw: &RawSweep,
        refines: bool,
        faceted: bool,
    ) -> Result<SeedRule, DefinitionError> {
        if faceted {
            return match raw.seeds.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
                None | Some(("coordinates", _)) => Ok(SeedRule::Coordinates),
                Some((other, span)) => Err(self.err(
                    span,
                    "seeds",
                    format!("\"{other}\": a sweep of more than two axes derives its seeds from every coordinate (so adding a facet value changes no other facet's runs): expected \"coordinates\" or no `seeds`"),
                )),
            };
        }
        match raw.seeds.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None if refines => Ok(SeedRule::Coordinates),
            None | Some(("index", _)) if !refines => Ok(SeedRule::Index),
            Some(("coordinates", _)) => Ok(SeedRule::Coordinates),
            Some(("index", span)) => Err(self.err(
                span,
                "seeds",
                "\"index\": a refining sweep's seeds derive from each point's values: expected \"coordinates\" or no `seeds`".into(),
            )),
            Some((other, span)) => Err(self.err(
                span,
                "seeds",
                format!("\"{other}\": expected \"index\" (seed from the point's number) or \"coordinates\" (from its values)"),
            )),
            None => Ok(SeedRule::Index),
        }
    }

    /// `[[keep_spikes]]`: each names swept parameters only, at values the sweep has (a point
    /// of a `[[point]]` list, a value of each axis, a step of each facet axis); otherwise the
    /// nearest point is named.
    fn keep_spikes(
        &self,
        raw: &RawSweep,
        axes: &[Axis],
        facets: &[FacetAxis],
        list: &[Vec<f64>],
    ) -> Result<Vec<Vec<(String, f64)>>, DefinitionError> {
        let mut keep = Vec::new();
        for (i, k) in raw.keep_spikes.iter().enumerate() {
            let mut point = Vec::new();
            for (p, v) in k.get_ref() {
                let swept = axes.iter().any(|a| &a.param == p)
                    || facets.iter().any(|f| f.params.contains(p));
                if !swept {
                    return Err(self.err(
                        k.span(),
                        &format!("keep_spikes[{i}].{p}"),
                        "expected a swept parameter (an [[axis]] param)".into(),
                    ));
                }
                point.push((p.clone(), *v));
            }
            if let Some(nearest) = keep_point_missing(&point, axes, facets, list) {
                let asked = describe_point(&point);
                return Err(self.err(
                    k.span(),
                    &format!("keep_spikes[{i}]"),
                    format!(
                        "{asked} is no point of this sweep: expected values the sweep runs; the nearest point is {}",
                        describe_point(&nearest)
                    ),
                ));
            }
            keep.push(point);
        }
        Ok(keep)
    }

    fn check_figure_window(&self, plots: &PlotSettings) -> Result<(), DefinitionError> {
        match plots.fig8_window_ms {
            Some([a, b]) if !(a >= 0.0 && b > a && b.is_finite()) => Err(self.at_line(
                self.text
                    .find("fig8_window_ms")
                    .map_or(1, |o| line_of(self.text, o)),
                "plots.fig8_window_ms",
                format!("[{a}, {b}]: expected [start, end] with 0 <= start < end"),
            )),
            _ => Ok(()),
        }
    }

    /// Every point must make a valid network that fits the engine and this machine: all are
    /// checked before anything runs. An error points at `first_table` (the first axis or point).
    fn check_networks(
        &self,
        def: &SweepDef,
        first_table: Option<usize>,
    ) -> Result<(), DefinitionError> {
        let line = first_table.map_or(1, |o| line_of(self.text, o));
        // A refining sweep's lattice points lie between its base values: the base grid
        // stands for them (a lattice point that still fails becomes a failed row).
        let n_map = def.n_map_points();
        let points: Vec<usize> = match &def.refine {
            Some(r) => {
                let base = refine::Lattice::of(r).base_points();
                (0..def.n_facets())
                    .flat_map(|f| base.iter().map(move |&q| f * n_map + q))
                    .collect()
            }
            None => (0..def.n_points()).collect(),
        };
        for p in points {
            let params = def.params_at(p);
            let field = format!("point {}", def.describe(p));
            let spec = def
                .model
                .spec(&params)
                .map_err(|e| self.at_line(line, &field, e.to_string()))?;
            spec.validate()
                .map_err(|e| self.at_line(line, &field, e.to_string()))?;
        }
        Ok(())
    }
}

/// A refining sweep's lattice (per facet, and over all facets) must stay within
/// [`refine::MAX_LATTICE_POINTS`] and [`refine::MAX_TOTAL_POINTS`].
fn refine_size(
    lattice: f64,
    levels: u32,
    n_facets: f64,
    err: &dyn Fn(&str, String) -> DefinitionError,
) -> Result<(), DefinitionError> {
    if lattice * n_facets > refine::MAX_TOTAL_POINTS {
        return Err(err(
                "refine.levels",
                format!(
                    "{lattice:.0} lattice points at {levels} levels × {n_facets:.0} facets: expected at most {:.0} in all (fewer levels, base values or facet values)",
                    refine::MAX_TOTAL_POINTS
                ),
            ));
    }
    if lattice > refine::MAX_LATTICE_POINTS {
        return Err(err(
                "refine.levels",
                format!(
                    "{lattice:.0} lattice points at {levels} levels: expected at most {:.0} (fewer levels or base values)",
                    refine::MAX_LATTICE_POINTS
                ),
            ));
    }
    Ok(())
}

/// The runs budget of each facet's refinement (`[refine] max_runs`), checked against the base
/// grids and `--max-runs`; without one, the whole lattice of every facet must fit.
fn refine_budget(
    rr: &RawRefine,
    axes: &[Axis],
    facets: &[FacetAxis],
    (lattice, replicates, max_runs): (f64, u32, usize),
    err: &dyn Fn(&str, String) -> DefinitionError,
) -> Result<Option<usize>, DefinitionError> {
    let n_facets = facet_count(facets);
    let base_runs = grid_runs(axes, replicates);
    let facets_note = if facets.is_empty() {
        String::new()
    } else {
        format!(" × {n_facets:.0} facets")
    };
    if base_runs * n_facets > max_runs as f64 {
        return Err(err(
                "axis",
                format!("{:.0} runs in the base grids alone ({base_runs:.0}{facets_note}): expected at most {max_runs}; a sweep this large needs an explicit --max-runs N (at most {HARD_MAX_RUNS})", base_runs * n_facets),
            ));
    }
    let budget = match rr.max_runs {
            Some(m) if !(m as f64 >= base_runs && m as f64 * n_facets <= max_runs as f64) => {
                return Err(err(
                    "refine.max_runs",
                    format!("{m}: expected at least the base grid's {base_runs:.0} runs and at most {:.0} (--max-runs {max_runs}{}){}", max_runs as f64 / n_facets, if facets.is_empty() { String::new() } else { format!(" shared by {n_facets:.0} facets") }, if facets.is_empty() { "" } else { "; the budget applies to each facet" }),
                ))
            }
            Some(m) => Some(m as usize),
            None => {
                let worst = lattice * replicates as f64 * n_facets;
                if worst > max_runs as f64 {
                    return Err(err(
                        "refine",
                        format!("{worst:.0} runs if every cell were split (the whole lattice × replicates{facets_note}): expected at most {max_runs}; set a budget per facet with `max_runs = N`, or raise --max-runs"),
                    ));
                }
                None
            }
        };
    Ok(budget)
}

/// The numeric columns of `def`'s rows (what heatmaps and a refinement can use).
fn numeric_columns(def: &SweepDef) -> Vec<String> {
    let text = [
        "regime",
        "theory_rates_hz",
        "error",
        "theory_regime",
        "theory_note",
    ];
    super::row::column_names(def)
        .into_iter()
        .filter(|c| !text.contains(&c.as_str()))
        .collect()
}

pub(super) fn out_of_range(v: f64, def: &crate::model::ParamDef) -> String {
    def.check(v)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

impl SweepDef {
    /// Parses and validates a definition with the default [`Limits`]; `source` names it in
    /// errors.
    pub fn parse(text: &str, source: &str) -> Result<SweepDef, DefinitionError> {
        SweepDef::parse_with(text, source, &Limits::default())
    }

    /// Parses and validates a definition against `limits`: the TOML is read once, then each
    /// section is checked by its own function (header, fixed parameters, axes or points, the
    /// size of the grid, kept spikes, figures, settings, every point's network).
    pub fn parse_with(
        text: &str,
        source: &str,
        limits: &Limits,
    ) -> Result<SweepDef, DefinitionError> {
        let cx = Cx { text, source };
        let raw: RawSweep = toml::from_str(text).map_err(|e| {
            cx.at_line(
                e.span().map_or(1, |s| line_of(text, s.start)),
                "TOML",
                e.message().trim().to_string(),
            )
        })?;
        let (name, model, seed, replicates) = cx.header(&raw)?;
        let base = cx.base_params(&raw, model)?;
        let max_runs = limits.max_runs.min(HARD_MAX_RUNS);
        let (mut axes, facets, list, is_grid) = if raw.point.is_empty() {
            let (axes, facets) = cx.axes(&raw, &base)?;
            if raw.refine.is_none() {
                let runs = grid_runs(&axes, replicates) * facet_count(&facets);
                cx.check_size("axis", &raw.axis, runs, max_runs)?;
            }
            (axes, facets, vec![], true)
        } else {
            let runs = raw.point.len() as f64 * replicates as f64;
            cx.check_size("point", &raw.point, runs, max_runs)?;
            let (axes, points) = cx.point_list(&raw, &base)?;
            (axes, vec![], points, false)
        };
        let refine = match &raw.refine {
            Some(r) => Some(cx.refine(&raw, r, (&axes, &facets), &base, replicates, max_runs)?),
            None => None,
        };
        if let Some(r) = &refine {
            for (a, b) in axes.iter_mut().zip(&r.base) {
                a.values = refine::lattice_values(b, r.levels);
            }
        }
        let seeds = cx.seed_rule(&raw, refine.is_some(), !facets.is_empty())?;
        let keep_spikes = cx.keep_spikes(&raw, &axes, &facets, &list)?;
        let def = SweepDef {
            name,
            model,
            description: raw.description,
            seed,
            replicates,
            base,
            axes,
            facets,
            list,
            is_grid,
            refine,
            seeds,
            analysis: raw.analysis,
            classifier: raw.classifier,
            keep_spikes,
            plots: raw.plots,
            text: text.to_string(),
            hash: text_hash(text.as_bytes()),
            source: source.to_string(),
        };
        cx.check_figure_window(&def.plots)?;
        def.check_plot_columns(text, source)?;
        if let (Some(r), Some(raw_r)) = (&def.refine, &raw.refine) {
            def.check_refine_column(r, raw_r.span(), &cx)?;
        }
        def.check_settings(text, source)?;
        let first_table = raw
            .axis
            .first()
            .map(|a| a.span().start)
            .or_else(|| raw.point.first().map(|p| p.span().start));
        cx.check_networks(&def, first_table)?;
        Ok(def)
    }

    /// Reads and validates a definition file.
    pub fn load(path: &std::path::Path) -> Result<SweepDef, DefinitionError> {
        SweepDef::load_with(path, &Limits::default())
    }

    /// Reads and validates a definition file against `limits`.
    pub fn load_with(path: &std::path::Path, limits: &Limits) -> Result<SweepDef, DefinitionError> {
        let cannot = |e: String| DefinitionError {
            file: path.display().to_string(),
            line: 0,
            field: "file".into(),
            message: format!("cannot read: {e}"),
        };
        let bytes = match crate::store::read_regular_max(path, crate::store::MAX_TEXT_FILE_BYTES) {
            Ok(b) => b,
            Err(crate::store::StoreError::Io { error, .. }) => {
                return Err(cannot(error.to_string()))
            }
            Err(e) => return Err(cannot(e.to_string())),
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            cannot(format!(
                "not UTF-8 text (an invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        SweepDef::parse_with(&text, &path.display().to_string(), limits)
    }

    /// `[analysis]` and `[classifier]` values must be finite; bins and segments positive.
    fn check_settings(&self, text: &str, source: &str) -> Result<(), DefinitionError> {
        let a = &self.analysis;
        let c = &self.classifier;
        let checks: [(&str, &str, f64, bool); 13] = [
            ("analysis", "fano_bin_ms", a.fano_bin_ms, true),
            ("analysis", "fano_slow_bin_ms", a.fano_slow_bin_ms, true),
            ("analysis", "welch_segment_ms", a.welch_segment_ms, true),
            ("analysis", "spectrum_min_hz", a.spectrum_min_hz, false),
            ("classifier", "quiescent_max_hz", c.quiescent_max_hz, false),
            ("classifier", "regular_max_cv", c.regular_max_cv, false),
            ("classifier", "si_min_fano", c.si_min_fano, false),
            ("classifier", "si_slow_min_fano", c.si_slow_min_fano, false),
            ("classifier", "si_fast_min_hz", c.si_fast_min_hz, false),
            (
                "classifier",
                "size_min_exponent",
                c.size_min_exponent,
                false,
            ),
            (
                "classifier",
                "size_lock_exponent",
                c.size_lock_exponent,
                false,
            ),
            (
                "classifier",
                "lock_min_oscillation",
                c.lock_min_oscillation,
                false,
            ),
            ("analysis", "cv_min_spikes", a.cv_min_spikes as f64, false),
        ];
        for (table, key, v, positive) in checks {
            let ok = v.is_finite() && v >= 0.0 && v <= 1e9 && (!positive || v > 0.0);
            if !ok {
                let line = text.find(key).map_or(1, |o| line_of(text, o));
                return Err(DefinitionError {
                    file: source.into(),
                    line,
                    field: format!("{table}.{key}"),
                    message: format!(
                        "{v}: expected a finite number {} 1e9",
                        if positive { "in (0," } else { "in [0," }
                    ) + "]",
                });
            }
        }
        self.check_partner(text, source)
    }

    /// `partner_factor` must be a finite number in (1, 1e6]; with `synchrony = "size"` every
    /// point must allow a partner at N/f (the first that does not is named).
    fn check_partner(&self, text: &str, source: &str) -> Result<(), DefinitionError> {
        use crate::analysis::synchrony::{partner_plan, PartnerPlan, SynchronyTest};
        let c = &self.classifier;
        let at = |key: &str| text.find(key).map_or(1, |o| line_of(text, o));
        let f = c.partner_factor;
        if !(f.is_finite() && f > 1.0 && f <= 1e6) {
            return Err(DefinitionError {
                file: source.into(),
                line: at("partner_factor"),
                field: "classifier.partner_factor".into(),
                message: format!("{f}: expected a finite number in (1, 1e6] (the partner runs at N/partner_factor)"),
            });
        }
        if c.synchrony != SynchronyTest::Size {
            return Ok(());
        }
        // Checking every point is cheap next to running one; a huge lattice is sampled.
        let n = self.n_points();
        let step = (n / 100_000).max(1);
        for p in (0..n).step_by(step) {
            if let PartnerPlan::Impossible(why) = partner_plan(&self.params_at(p), c.synchrony, f) {
                let coords = self
                    .point(p)
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(DefinitionError {
                    file: source.into(),
                    line: at("synchrony"),
                    field: "classifier.synchrony".into(),
                    message: format!(
                        "\"size\" needs a partner run at every point, but at point {p} (map coordinates {coords}) {why}; use \"auto\" (the Fano thresholds where no partner is possible) or \"fano\""
                    ),
                });
            }
        }
        Ok(())
    }

    /// A refinement on a column needs a measure of this sweep's runs (not a timing, key,
    /// seed, level or parameter: [`super::row::measure_columns`]) and a tolerance.
    fn check_refine_column(&self, r: &Refine, span: Span, cx: &Cx) -> Result<(), DefinitionError> {
        let RefineOn::Column { name, tolerance } = &r.on else {
            return Ok(());
        };
        let measures = super::row::measure_columns(self);
        if !measures.contains(name) {
            let mut known = vec!["regime".to_string()];
            known.extend(measures.iter().cloned());
            let what = if super::row::column_names(self).contains(name) {
                "is not a measure of a run (a timing, key, seed, level or parameter)".to_string()
            } else {
                match super::row::nearest(name, &known) {
                    Some(n) => format!("is not a column (did you mean `{n}`?)"),
                    None => "is not a column".to_string(),
                }
            };
            return Err(cx.err(
                span,
                "refine.on",
                format!(
                    "`{name}` {what}: expected \"regime\" or a numeric result column that measures the run: {}",
                    measures.join(", ")
                ),
            ));
        }
        if matches!(tolerance, Tolerance::Absolute(t) if t.is_nan()) {
            return Err(cx.err(
                span,
                "refine.tolerance",
                format!("`on = \"{name}\"` (a numeric column) needs `tolerance = x` (absolute, in the column's unit) or `relative_tolerance = x` (a fraction of the larger value)"),
            ));
        }
        Ok(())
    }

    /// Every heatmap column (and every column given a scale) must be a numeric column of
    /// this sweep's rows.
    fn check_plot_columns(&self, text: &str, source: &str) -> Result<(), DefinitionError> {
        let numeric = numeric_columns(self);
        let named = self.plots.heatmaps.iter().map(|c| ("plots.heatmaps", c));
        let scaled = self.plots.scales.keys().map(|c| ("plots.scales", c));
        for (field, col) in named.chain(scaled) {
            if !numeric.contains(col) {
                let line = text
                    .find(&format!("\"{col}\""))
                    .map_or(1, |o| line_of(text, o));
                return Err(DefinitionError {
                    file: source.into(),
                    line,
                    field: field.into(),
                    message: format!(
                        "`{col}`: expected a numeric result column: {}",
                        numeric.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The embedded default sweep.
    pub fn embedded_default() -> SweepDef {
        SweepDef::parse(DEFAULT_SWEEP, DEFAULT_SOURCE)
            .expect("the embedded default is valid (tested)")
    }

    /// Number of points (without replicates): facets × map points; for a refining sweep, of
    /// every facet's whole lattice (the dense grid at the finest spacing), of which only
    /// some run.
    pub fn n_points(&self) -> usize {
        self.n_facets() * self.n_map_points()
    }

    /// Number of runs: points × replicates (a refining sweep's: of its whole lattice).
    pub fn n_runs(&self) -> usize {
        self.n_points() * self.replicates as usize
    }

    /// The map values of point `p`, one per map axis (x, y); see [`SweepDef::coordinates`]
    /// for the facets' too.
    pub fn point(&self, p: usize) -> Vec<f64> {
        let (_, p) = self.split_point(p);
        if !self.is_grid {
            return self.list[p].clone();
        }
        let mut rest = p;
        let mut vals = vec![0.0; self.axes.len()];
        for (k, a) in self.axes.iter().enumerate().rev() {
            vals[k] = a.values[rest % a.values.len()];
            rest /= a.values.len();
        }
        vals
    }

    /// Every swept value of point `p`: its map values, then its facet's values.
    pub fn coordinates(&self, p: usize) -> Vec<f64> {
        let mut v = self.point(p);
        if !self.facets.is_empty() {
            let (f, _) = self.split_point(p);
            v.extend(self.facet_values(f).into_iter().map(|(_, x)| x));
        }
        v
    }

    /// The seed of replicate `replicate` of point `p` (see [`SeedRule`]).
    pub fn run_seed(&self, p: usize, replicate: u32) -> u64 {
        match self.seeds {
            SeedRule::Index => crate::rng::point_seed(self.seed, p as u64, replicate as u64),
            SeedRule::Coordinates => {
                crate::rng::coordinate_seed(self.seed, &self.coordinates(p), replicate as u64)
            }
        }
    }

    /// Every swept (parameter, value) of point `p`, map axes first.
    pub fn swept_at(&self, p: usize) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = self
            .axes
            .iter()
            .map(|a| a.param.clone())
            .zip(self.point(p))
            .collect();
        if !self.facets.is_empty() {
            out.extend(self.facet_values(self.split_point(p).0));
        }
        out
    }

    /// The names of every swept parameter, map axes first.
    pub fn swept_params(&self) -> Vec<String> {
        let facets = self.facets.iter().flat_map(|f| f.params.iter().cloned());
        self.axes
            .iter()
            .map(|a| a.param.clone())
            .chain(facets)
            .collect()
    }

    /// The model parameters at point `p`.
    pub fn params_at(&self, p: usize) -> ParamSet {
        let mut params = self.base.clone();
        for (name, v) in self.swept_at(p) {
            params.set(&name, v).expect("point values validated");
        }
        params
    }

    /// `g=5, eta=2` (and the facet's values) for point `p`.
    pub fn describe(&self, p: usize) -> String {
        self.swept_at(p)
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the spikes of point `p` are to be kept.
    pub fn keeps_spikes(&self, p: usize) -> bool {
        let swept = self.swept_at(p);
        self.keep_spikes.iter().any(|kp| {
            kp.iter()
                .all(|(name, v)| swept.iter().any(|(n, x)| n == name && same_value(*x, *v)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
name = "t"
model = "brunel"
seed = 3
replicates = 2
duration_ms = 300
warmup_ms = 100
[fixed]
N_E = 400
N_I = 100
[[axis]]
param = "g"
values = [4, 5]
[[axis]]
param = "eta"
linspace = { start = 1, stop = 2, num = 3 }
[[keep_spikes]]
g = 5
eta = 1.5
"#;

    #[test]
    fn a_valid_definition_expands_to_its_grid() {
        let d = SweepDef::parse(OK, "t.toml").unwrap();
        assert_eq!(d.n_points(), 6);
        assert_eq!(d.replicates, 2);
        assert_eq!(d.axes[1].values, vec![1.0, 1.5, 2.0]);
        assert!(d.is_grid);
        assert_eq!(d.point(4), vec![5.0, 1.5]);
        let p = d.params_at(4);
        assert_eq!(
            (p.get("g"), p.get("eta"), p.get("N_E"), p.get("duration_ms")),
            (5.0, 1.5, 400.0, 300.0)
        );
        assert!(d.keeps_spikes(4) && !d.keeps_spikes(3));
        assert_eq!(d.n_runs(), 12);
        assert_eq!(d.hash.len(), 64);
    }

    #[test]
    fn a_point_list_keeps_its_order_and_lists_axis_values() {
        let text = "name = \"f\"\nmodel = \"brunel\"\nseed = 1\n[[point]]\ng = 3\neta = 2\n[[point]]\ng = 4.5\neta = 0.9\n";
        let d = SweepDef::parse(text, "f.toml").unwrap();
        assert!(!d.is_grid);
        assert_eq!(d.list, vec![vec![3.0, 2.0], vec![4.5, 0.9]]);
        assert_eq!(d.axes[1].values, vec![0.9, 2.0]);
        let bad = text.replace("eta = 0.9", "D_ms = 2");
        assert!(SweepDef::parse(&bad, "f.toml")
            .unwrap_err()
            .field
            .starts_with("point[1]"));
    }

    #[test]
    fn grids_from_arange_and_linspace() {
        assert_eq!(arange(0.0, 1.0, 0.25), vec![0.0, 0.25, 0.5, 0.75]);
        assert_eq!(arange(0.0, 8.0, 0.5).len(), 16);
        assert_eq!(linspace(0.0, 1.0, 1), vec![0.0]);
    }

    fn error_of(text: &str) -> DefinitionError {
        SweepDef::parse(text, "bad.toml").unwrap_err()
    }

    #[test]
    fn bad_synchrony_settings_are_refused_naming_the_field() {
        let with = |extra: &str| {
            OK.replace(
                "[[keep_spikes]]",
                &format!("[classifier]\n{extra}\n[[keep_spikes]]"),
            )
        };
        for bad in ["nan", "1", "0.5", "-4", "1e20"] {
            let e = error_of(&with(&format!("partner_factor = {bad}")));
            assert_eq!(e.field, "classifier.partner_factor", "{bad}: {e}");
            assert!(e.message.contains("(1, 1e6]"), "{e}");
        }
        let e = error_of(&with("size_min_exponent = nan"));
        assert_eq!(e.field, "classifier.size_min_exponent", "{e}");
        let e = error_of(&with("synchrony = \"sized\""));
        // The TOML parser names the line and the three words (not the key).
        assert!(
            e.line > 1 && e.to_string().contains("`auto`, `size`, `fano`"),
            "{e}"
        );
        // N_E = 400 at epsilon = 0.1 (C_E = 40) has a partner at 100; at epsilon = 0.4
        // (C_E = 160) N/4 = 100 is below C_E, so "size" is refused and "auto" is not.
        SweepDef::parse(&with("synchrony = \"size\""), "ok.toml").unwrap();
        let dense = with("synchrony = \"size\"").replace("N_I = 100", "N_I = 100\nepsilon = 0.4");
        let e = error_of(&dense);
        assert_eq!(e.field, "classifier.synchrony", "{e}");
        assert!(
            e.message.contains("below C_E = 160") && e.message.contains("point 0"),
            "{e}"
        );
        SweepDef::parse(&dense.replace("\"size\"", "\"auto\""), "ok.toml").unwrap();
    }

    #[test]
    fn bad_definitions_name_file_line_field_and_expectation() {
        let e = error_of("name = \"x\"\nmodel = \"brunel\"\nseed = [");
        assert_eq!(
            (e.file.as_str(), e.line, e.field.as_str()),
            ("bad.toml", 3, "TOML")
        );
        let e = error_of(&OK.replace("model = \"brunel\"", "model = \"nope\""));
        assert_eq!((e.line, e.field.as_str()), (3, "model"));
        assert!(e.message.contains("tutorial"));
        let e = error_of(&OK.replace("param = \"g\"", "param = \"gg\""));
        assert_eq!(e.line, 12);
        assert!(
            e.field.contains("axis[0]") && e.message.contains("unknown parameter"),
            "{e}"
        );
        let e = error_of(&OK.replace("values = [4, 5]", "values = []"));
        assert!(e.message.contains("no values"), "{e}");
        let e = error_of(&OK.replace("duration_ms = 300", "duration_ms = -5"));
        assert_eq!((e.line, e.field.as_str()), (6, "duration_ms"));
        assert!(e.message.contains("(0, 1000000000]"), "{e}");
        let e = error_of(&OK.replace("N_I = 100", "N_X = 100"));
        assert_eq!((e.line, e.field.as_str()), (10, "fixed.N_X"));
        let e = error_of(&OK.replace("warmup_ms = 100", "warmup_ms = 400"));
        assert!(e.message.contains("warm-up"), "{e}");
        let e = error_of(&OK.replace("replicates = 2", "replicates = 0"));
        assert_eq!(e.field, "replicates");
        let e = error_of(&OK.replace("seed = 3", "seed = 3\ncolour = 1"));
        assert!(e.message.contains("colour"), "{e}");
        let e = error_of(&OK.replace("values = [4, 5]", "values = [4, -5]"));
        assert!(
            e.message.contains("-5") && e.message.contains("[0, inf)"),
            "{e}"
        );
    }

    #[test]
    fn shipped_definitions_are_valid() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                SweepDef::load(&path).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
        assert!(n >= 8);
        assert_eq!(SweepDef::embedded_default().name, "brunel-phase-quick");
        let check =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/dense-check-quick.toml");
        SweepDef::load(&check).unwrap_or_else(|e| panic!("{e}"));
    }
}
