//! The theory's boundary lines over a (g, eta) region, as in Brunel (2000) Fig. 2: where the
//! leading eigenvalue of the lowest stable stationary state crosses the imaginary axis (Hopf
//! lines: `AI|SI-fast`, `AI|SI-slow`, `AI|SR` for the k/D modes), where stationary roots
//! appear or vanish (`saddle-node`), where nu0 passes the quiescent rate cut of
//! `theory_regime` (0.2 Hz), and where the stationary CV of an asynchronous state passes the
//! regularity threshold (`AR|AI`), so that the lines are the boundaries of the theory's label.
//! There is no SR rate cut: the SR side is the k/D Hopf line.
//!
//! How: a coarse scan (scan.rs) finds where lines cross the edges of a grid; from each such
//! point the line is continued by pseudo-arclength (continuation.rs) in the unknowns
//! (g, eta, ln nu0, ω) of F(iω) = 0 and Phi(nu0) = nu0 (systems.rs), so nu0 stays on one
//! continuous root; each point is read for the labels on its two sides (points.rs) and the
//! curve cut into named polylines (lines.rs).
//!
//! A line's `name` is "left|right": the labels of `theory_regime` on its two sides, the
//! first on the left of the direction of its points (g to the right, eta up). A Hopf line
//! is drawn only where its mode is the leading one (every other mode decays), nu0 ≥ 0.2 Hz
//! and its state is the lowest stable root; its stable side is AR or AI by the state's CV.
//! The regularity line is drawn only where every mode decays (elsewhere both sides are
//! synchronous and the CV does not change the label).

mod branch;
mod continuation;
mod lines;
mod modes;
mod points;
mod scan;
mod systems;
#[cfg(test)]
mod tests;

pub use points::SADDLE_NODE;

use crate::model::ParamSet;
use crate::regime::Regime;
use crate::theory::stability::THEORY_QUIESCENT_MAX_HZ;
use crate::theory::stationary::MeanFieldParams;
use continuation::{solve_fixed, Steps, System, Traced, Window};
use lines::{follow_curve, Curve};
use points::{Reader, Tracker};
use scan::{Crossing, Edge, Guess, Scan};
use serde::Serialize;

/// A rectangle of the (g, eta) plane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Region {
    pub g_min: f64,
    pub g_max: f64,
    pub eta_min: f64,
    pub eta_max: f64,
}

impl Region {
    /// Brunel's Fig. 2: g from 0 to 8, eta from 0 to 4.
    pub const FIG2: Region = Region {
        g_min: 0.0,
        g_max: 8.0,
        eta_min: 0.0,
        eta_max: 4.0,
    };

    /// A checked region: finite bounds, lower below upper, g and eta not negative.
    pub fn new(g: (f64, f64), eta: (f64, f64)) -> Result<Region, BoundaryError> {
        for (axis, (lo, hi)) in [("g", g), ("eta", eta)] {
            let bad = |message: String| BoundaryError::Region { axis, message };
            if !(lo.is_finite() && hi.is_finite()) {
                return Err(bad(format!("bounds {lo}:{hi} must be finite numbers")));
            }
            if lo < 0.0 {
                return Err(bad(format!("lower bound {lo} is negative; {axis} ≥ 0")));
            }
            if !(lo < hi) {
                return Err(bad(format!(
                    "lower bound {lo} must be below the upper bound {hi}"
                )));
            }
        }
        Ok(Region {
            g_min: g.0,
            g_max: g.1,
            eta_min: eta.0,
            eta_max: eta.1,
        })
    }

    /// Whether (g, eta) lies inside (bounds included).
    pub fn contains(&self, g: f64, eta: f64) -> bool {
        (self.g_min..=self.g_max).contains(&g) && (self.eta_min..=self.eta_max).contains(&eta)
    }
}

/// Why no lines could be traced.
#[derive(Debug, thiserror::Error)]
pub enum BoundaryError {
    #[error("--{axis}: {message}")]
    Region { axis: &'static str, message: String },
    #[error("model `{model}` has no mean-field theory (only model brunel has)")]
    NoMeanField { model: String },
    #[error("parameter {name} = {value} is not a finite number the theory can use")]
    Parameter { name: &'static str, value: f64 },
    /// The caller's stop flag (SIGINT/SIGTERM) ended the tracing.
    #[error("the tracing of the theory's lines was stopped")]
    Stopped,
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BoundaryKind {
    /// A mode crosses the imaginary axis (Re λ = 0, Im λ = 2πf·τ).
    Hopf,
    /// Two stationary roots meet and vanish (Phi(nu) = nu, Phi'(nu) = 1).
    SaddleNode,
    /// nu0 equals the rate threshold of `theory_regime` (0.2 Hz, quiescent).
    RateCut,
    /// The stationary CV of ISI equals the regularity threshold (`regular_max_cv`): AR|AI.
    CvCut,
}

impl BoundaryKind {
    /// The word stored in files.
    pub fn label(self) -> &'static str {
        match self {
            BoundaryKind::Hopf => "hopf",
            BoundaryKind::SaddleNode => "saddle-node",
            BoundaryKind::RateCut => "rate-cut",
            BoundaryKind::CvCut => "cv-cut",
        }
    }
}

/// One point of a line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BoundaryPoint {
    pub g: f64,
    pub eta: f64,
    /// Frequency of the mode on the axis (Hz); NaN for saddle-node, rate-cut and cv-cut lines.
    pub frequency_hz: f64,
    /// The stationary rate (Hz) of the state (at a saddle-node: where its two roots meet).
    pub nu0_hz: f64,
}

/// A polyline, its points in order along it; "left|right" labels in `name` (see the module
/// docs), or [`SADDLE_NODE`], where the side with more roots is on the left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundaryLine {
    pub name: String,
    pub kind: BoundaryKind,
    pub points: Vec<BoundaryPoint>,
}

impl BoundaryLine {
    /// (min, max) of a coordinate over the finite values of the line's points; NaNs if none.
    pub fn extent(&self, coord: impl Fn(&BoundaryPoint) -> f64) -> (f64, f64) {
        self.points
            .iter()
            .map(coord)
            .filter(|v| v.is_finite())
            .fold((f64::NAN, f64::NAN), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }
}

/// The theory's label at one scan node (for placing region names on a figure).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegimeSample {
    pub g: f64,
    pub eta: f64,
    /// Lowest stable stationary rate (Hz); NaN where none.
    pub nu0_hz: f64,
    pub regime: Regime,
}

/// The lines of a region, and what a reader should know about them.
#[derive(Debug, Clone, Serialize)]
pub struct Boundaries {
    pub region: Region,
    pub lines: Vec<BoundaryLine>,
    /// The scan's labels (coarse; refined next to thin regions).
    pub samples: Vec<RegimeSample>,
    /// Plain-language remarks: no lines, no stationary state, what was searched.
    pub notes: Vec<String>,
}

/// An edge whose ends' rates differ by more than this factor (as a log) is halved.
const STEEP_LN_RATIO: f64 = 1.1;

/// Resolution and step limits of the tracing.
#[derive(Debug, Clone, Copy)]
pub struct TraceOptions {
    /// Scan grid nodes along g and along eta.
    pub nodes_g: usize,
    pub nodes_eta: usize,
    /// How often an edge whose labels its crossings do not explain is halved.
    pub refine_depth: usize,
    /// Largest continuation step (in g/2 and eta units).
    pub step_max: f64,
    /// Most curves traced (each ≤ 2 × 400 steps).
    pub max_curves: usize,
    /// The regularity threshold of the label (the `[classifier] regular_max_cv` a sweep
    /// shares with the theory): an asynchronous state is AR below it, AI at or above.
    pub regular_max_cv: f64,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            nodes_g: 13,
            nodes_eta: 13,
            refine_depth: 3,
            step_max: 0.08,
            max_curves: 60,
            regular_max_cv: crate::regime::DEFAULT_REGULAR_MAX_CV,
        }
    }
}

/// The lines of model brunel's parameter set `params` over `region` (g and eta of `params`
/// are ignored), with the regularity threshold `regular_max_cv`: what a sweep's regime map
/// overlays.
pub fn boundaries_for(
    params: &ParamSet,
    region: &Region,
    regular_max_cv: f64,
) -> Result<Boundaries, BoundaryError> {
    boundaries_for_until(params, region, regular_max_cv, &|| false)
}

/// [`boundaries_for`] that ends with [`BoundaryError::Stopped`] within a continuation step
/// or a scan edge once `stop` says so (a signal during a sweep's figures).
pub fn boundaries_for_until(
    params: &ParamSet,
    region: &Region,
    regular_max_cv: f64,
    stop: &dyn Fn() -> bool,
) -> Result<Boundaries, BoundaryError> {
    let model = crate::model::find(params.model()).map_err(|_| BoundaryError::NoMeanField {
        model: params.model().to_string(),
    })?;
    let mean_field = model.mean_field.ok_or_else(|| BoundaryError::NoMeanField {
        model: params.model().to_string(),
    })?;
    let opts = TraceOptions {
        regular_max_cv,
        ..TraceOptions::default()
    };
    trace_boundaries_until(&mean_field(params), region, &opts, stop)
}

/// The lines over `region` for the mean field `base` (its g and nu_ext are replaced).
pub fn trace_boundaries(
    base: &MeanFieldParams,
    region: &Region,
    opts: &TraceOptions,
) -> Result<Boundaries, BoundaryError> {
    trace_boundaries_until(base, region, opts, &|| false)
}

/// [`trace_boundaries`] that polls `stop` at every scan edge and continuation step.
pub fn trace_boundaries_until(
    base: &MeanFieldParams,
    region: &Region,
    opts: &TraceOptions,
    stop: &dyn Fn() -> bool,
) -> Result<Boundaries, BoundaryError> {
    check(base, opts)?;
    let region = Region::new(
        (region.g_min, region.g_max),
        (region.eta_min, region.eta_max),
    )?;
    let mut scan = Scan::grid(base, &region, opts, stop).ok_or(BoundaryError::Stopped)?;
    let cell = (
        (region.g_max - region.g_min) / (opts.nodes_g.max(2) - 1) as f64,
        (region.eta_max - region.eta_min) / (opts.nodes_eta.max(2) - 1) as f64,
    );
    let window = Window {
        lo: [region.g_min, region.eta_min],
        hi: [region.g_max, region.eta_max],
    };
    let steps = Steps {
        h_start: 0.02,
        h_min: 1e-4,
        h_max: opts.step_max,
        max_steps: 400,
        max_turn: 0.25,
    };
    let mut curves: Vec<(Vec<f64>, Curve)> = Vec::new();
    let mut lines = Vec::new();
    let mut skipped_curves = 0;
    let mut n_starts = 0;
    let mut queue: Vec<Edge> = scan.edges.clone();
    // Hopf starts met by traced lines (another mode reaching the axis where a line stops
    // leading): (g, eta, ln nu0, ω) guesses, solved at fixed g.
    let mut spawned: Vec<Vec<f64>> = Vec::new();
    // Each edge is visited once and halving stops at refine_depth; spawned starts come from
    // traced curves, at most max_curves: bounded.
    loop {
        if stop() {
            return Err(BoundaryError::Stopped);
        }
        let mut here: Vec<(Crossing, Vec<f64>)> = Vec::new();
        let from_junction = !spawned.is_empty();
        let edge = if let Some(x) = spawned.pop() {
            let sys = system(base, Crossing::Hopf, &x);
            if let Some(x) = solve_fixed(sys.as_ref(), &x, 0, x[0]).filter(|x| sys.admissible(x)) {
                here.push((Crossing::Hopf, x));
            }
            None
        } else if let Some(e) = queue.pop() {
            let fold_known = curves
                .iter()
                .any(|(_, c)| c.kind == Crossing::Fold && crosses(&c.traced, &scan, e));
            for guess in scan.guesses(e, !fold_known) {
                if let Some(x) = solve_guess(&scan, &guess) {
                    here.push((guess.kind, x));
                }
            }
            Some((e, fold_known))
        } else {
            break;
        };
        n_starts += here.len();
        for (kind, x) in &here {
            if covered(*kind, x, &curves) {
                continue;
            }
            if curves
                .iter()
                .filter(|(_, c)| c.traced.points.len() > 1)
                .count()
                >= opts.max_curves
            {
                skipped_curves += 1;
                continue;
            }
            let sys = system(base, *kind, x);
            let reader = Reader {
                base,
                nodes: &scan.nodes,
                cell,
                regular_max_cv: opts.regular_max_cv,
            };
            let curve = follow_curve(
                *kind,
                sys.as_ref(),
                x,
                from_junction,
                (&window, &steps),
                &reader,
                stop,
            );
            let (found, more) = lines::polylines(&curve, sys.as_ref(), &reader);
            lines.extend(found);
            spawned.extend(more);
            curves.push((sys.scales(), curve));
        }
        let Some((e, fold_known)) = edge else {
            continue;
        };
        let (la, lb) = (scan.nodes[e.a].regime, scan.nodes[e.b].regime);
        // A saddle-node on the edge may change the label to anything: halve such edges once,
        // so that what lies beside the fold is seen.
        let fold_here = fold_known || here.iter().any(|(k, _)| *k == Crossing::Fold);
        // Where nu0 changes steeply (the quiescent-to-active transition near eta = 1) thin
        // regions hide between nodes whatever the labels at the ends: halve those edges too.
        let steep = match (scan.nodes[e.a].nu0, scan.nodes[e.b].nu0) {
            (Some(p), Some(q)) if p > 0.0 && q > 0.0 && p.max(q) >= THEORY_QUIESCENT_MAX_HZ => {
                (p / q).ln().abs() > STEEP_LN_RATIO
            }
            _ => false,
        };
        let halve = e.depth < opts.refine_depth
            && (steep
                || la != lb
                    && if fold_here {
                        e.depth == 0
                    } else {
                        !explained(&scan, cell, e, &here)
                    });
        if halve {
            let (h1, h2) = scan.halve(e);
            queue.push(h1);
            queue.push(h2);
        }
    }
    let samples: Vec<RegimeSample> = scan
        .nodes
        .iter()
        .map(|n| RegimeSample {
            g: n.g,
            eta: n.eta,
            nu0_hz: n.nu0.unwrap_or(f64::NAN),
            regime: n.regime,
        })
        .collect();
    let mut notes = Vec::new();
    if scan.nodes.iter().all(|n| n.nu0.is_none()) {
        notes.push("no stable stationary state anywhere in the region: no lines".to_string());
    } else if scan.nodes.iter().all(|n| n.regime == Regime::Quiescent) {
        notes.push(
            "the lowest stable state is quiescent (nu0 < 0.2 Hz) at every scanned point: no \
             Hopf lines"
                .to_string(),
        );
    }
    if lines.is_empty() {
        notes.push("no boundary line crosses the region".to_string());
    }
    if skipped_curves > 0 {
        notes.push(format!(
            "{skipped_curves} further curves were not traced (limit {} curves)",
            opts.max_curves
        ));
    }
    notes.push(format!(
        "scan: {} nodes ({} full mode searches), {} start points, {} curves traced",
        scan.nodes.len(),
        scan.searches,
        n_starts,
        curves.len()
    ));
    Ok(Boundaries {
        region,
        lines,
        samples,
        notes,
    })
}

/// Every parameter the theory uses must be a finite number (and the rates positive).
fn check(base: &MeanFieldParams, opts: &TraceOptions) -> Result<(), BoundaryError> {
    if !(opts.regular_max_cv.is_finite() && opts.regular_max_cv >= 0.0) {
        return Err(BoundaryError::Parameter {
            name: "regular_max_cv",
            value: opts.regular_max_cv,
        });
    }
    let fields = [
        ("C_E", base.c_e),
        ("C_I", base.c_i),
        ("J", base.j_mv),
        ("tau_m_ms", base.tau_m_ms),
        ("theta", base.theta_mv),
        ("V_r", base.v_r_mv),
        ("tau_rp_ms", base.tau_rp_ms),
        ("D_ms", base.d_ms),
        ("nu_thr", base.nu_thr_hz()),
    ];
    for (name, value) in fields {
        let positive_needed = matches!(name, "C_E" | "J" | "tau_m_ms" | "D_ms" | "nu_thr");
        if !value.is_finite() || (positive_needed && !(value > 0.0)) {
            return Err(BoundaryError::Parameter { name, value });
        }
    }
    if !(base.tau_rp_ms >= 0.0) || !(base.c_i >= 0.0) {
        return Err(BoundaryError::Parameter {
            name: "tau_rp_ms/C_I",
            value: base.tau_rp_ms.min(base.c_i),
        });
    }
    Ok(())
}

/// The curve system of a start point.
fn system<'a>(base: &'a MeanFieldParams, kind: Crossing, x: &[f64]) -> Box<dyn System + 'a> {
    match kind {
        Crossing::Hopf => Box::new(systems::Hopf {
            base,
            omega_scale: x.get(3).copied().unwrap_or(1.0),
        }),
        Crossing::Fold => Box::new(systems::Fold { base }),
        Crossing::RateCut(rate_hz) => Box::new(systems::RateCut { base, rate_hz }),
        Crossing::CvCut(cv) => Box::new(systems::CvCut { base, cv }),
    }
}

/// The guess solved on its edge (the edge's fixed coordinate held), if it lands on it.
fn solve_guess(scan: &Scan<'_>, guess: &Guess) -> Option<Vec<f64>> {
    let e = guess.edge;
    let fixed = 1 - e.axis;
    let sys = system(scan.base, guess.kind, &guess.x);
    let x = solve_fixed(sys.as_ref(), &guess.x, fixed, guess.x[fixed])?;
    let (a, b) = (scan.nodes[e.a].clone(), scan.nodes[e.b].clone());
    let (lo, hi) = if e.axis == 0 {
        (a.g.min(b.g), a.g.max(b.g))
    } else {
        (a.eta.min(b.eta), a.eta.max(b.eta))
    };
    let tol = 1e-3 * (hi - lo);
    ((lo - tol..=hi + tol).contains(&x[e.axis]) && sys.admissible(&x)).then_some(x)
}

/// Whether the crossings found on edge e (no saddle-node among them) lead from the label at
/// one end to the label at the other.
fn explained(scan: &Scan<'_>, cell: (f64, f64), e: Edge, here: &[(Crossing, Vec<f64>)]) -> bool {
    let reader = Reader {
        base: scan.base,
        nodes: &scan.nodes,
        cell,
        regular_max_cv: scan.regular_max_cv,
    };
    let (a, b) = (&scan.nodes[e.a], &scan.nodes[e.b]);
    let start = if e.axis == 0 { a.g } else { a.eta };
    let mut order: Vec<&(Crossing, Vec<f64>)> = here.iter().collect();
    order.sort_by(|p, q| {
        (p.1[e.axis] - start)
            .abs()
            .total_cmp(&(q.1[e.axis] - start).abs())
    });
    let mut current = a.regime.label().to_string();
    for (kind, x) in order {
        let st = reader.status(*kind, x, &mut Tracker::default());
        let Some((l, r)) = st.name.split_once('|').filter(|_| st.valid) else {
            continue;
        };
        current = if current == l {
            r.to_string()
        } else if current == r {
            l.to_string()
        } else {
            return false;
        };
    }
    current == b.regime.label()
}

/// Only the parts of a curve that lie on a boundary count: a curve given up in a stretch off
/// every boundary may be met again, further on, from another start.
fn covered(kind: Crossing, x: &[f64], curves: &[(Vec<f64>, Curve)]) -> bool {
    curves.iter().any(|(scales, c)| {
        let p = &c.traced.points;
        let on = |i: usize| c.statuses.get(i).is_some_and(|(s, _)| s.valid);
        c.kind == kind
            && (p.len() == 1 && dist_scaled(x, &p[0], scales) < 0.02
                || (1..p.len()).any(|i| {
                    (on(i - 1) || on(i)) && segment_dist(x, &p[i - 1], &p[i], scales) < 0.02
                }))
    })
}

/// Whether the traced curve crosses the scan edge e in the (g, eta) plane.
fn crosses(t: &Traced, scan: &Scan<'_>, e: Edge) -> bool {
    let (a, b) = (&scan.nodes[e.a], &scan.nodes[e.b]);
    let (p, q) = ((a.g, a.eta), (b.g, b.eta));
    let side = |o: (f64, f64), u: (f64, f64), v: (f64, f64)| {
        (u.0 - o.0) * (v.1 - o.1) - (u.1 - o.1) * (v.0 - o.0)
    };
    t.points.windows(2).any(|w| {
        let (r, s) = ((w[0][0], w[0][1]), (w[1][0], w[1][1]));
        side(p, q, r) * side(p, q, s) <= 0.0 && side(r, s, p) * side(r, s, q) <= 0.0
    })
}

fn dist_scaled(a: &[f64], b: &[f64], s: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .zip(s)
        .map(|((p, q), w)| ((p - q) / w).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Distance (scaled) from x to the segment a–b.
fn segment_dist(x: &[f64], a: &[f64], b: &[f64], s: &[f64]) -> f64 {
    let d: Vec<f64> = b
        .iter()
        .zip(a)
        .zip(s)
        .map(|((p, q), w)| (p - q) / w)
        .collect();
    let v: Vec<f64> = x
        .iter()
        .zip(a)
        .zip(s)
        .map(|((p, q), w)| (p - q) / w)
        .collect();
    let dd: f64 = d.iter().map(|t| t * t).sum();
    let t = if dd > 0.0 {
        (v.iter().zip(&d).map(|(p, q)| p * q).sum::<f64>() / dd).clamp(0.0, 1.0)
    } else {
        0.0
    };
    v.iter()
        .zip(&d)
        .map(|(p, q)| (p - t * q).powi(2))
        .sum::<f64>()
        .sqrt()
}
