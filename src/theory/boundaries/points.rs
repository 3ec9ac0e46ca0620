//! What a point of a traced curve means for the theory's label: whether it lies on a
//! boundary of the label of the lowest stable state, and the labels on its two sides.

use super::branch::at;
use super::modes;
use super::scan::{Crossing, Node};
use super::systems::cv_at;
use crate::regime::Regime;
use crate::theory::stability::{theory_regime, Mode, StabilityProblem, THEORY_QUIESCENT_MAX_HZ};
use crate::theory::stationary::MeanFieldParams;
use num_complex::Complex64 as C;

/// The name of every saddle-node line.
pub const SADDLE_NODE: &str = "saddle-node";

/// A point's standing: on a boundary of the label (`name` = "left|right" labels) or not.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Status {
    pub valid: bool,
    pub name: String,
}

impl Status {
    fn off() -> Status {
        Status {
            valid: false,
            name: String::new(),
        }
    }
}

/// The other modes of the state, followed along a curve from point to point.
#[derive(Debug, Clone, Default)]
pub(super) struct Tracker {
    modes: Vec<C>,
    visits: usize,
}

impl Tracker {
    /// The followed mode closest to the imaginary axis other than iω: where a Hopf line
    /// stops being the leading one, another mode's line crosses it.
    pub fn nearest_other(&self, omega: f64) -> Option<C> {
        let own = C::new(0.0, omega);
        self.modes
            .iter()
            .copied()
            .filter(|z| (z - own).norm() > 1e-3 * (1.0 + omega))
            .min_by(|a, b| a.re.abs().total_cmp(&b.re.abs()))
    }
}

/// Reads points of curves; `nodes` (the scan) supply modes where the tracker has none and
/// say where the mean field has a single root (`cell`: the scan's spacing in g and eta).
pub(super) struct Reader<'a> {
    pub base: &'a MeanFieldParams,
    pub nodes: &'a [Node],
    pub cell: (f64, f64),
    /// The label's regularity threshold.
    pub regular_max_cv: f64,
}

impl Reader<'_> {
    /// The modes of the state at nu0 (x = (g, eta, ln nu0, ...)): those followed from the
    /// last point, and every fourth point also those of the nearest scan node.
    fn other_modes(&self, prob: &StabilityProblem, x: &[f64], tracker: &mut Tracker) -> Vec<C> {
        let mut guesses = tracker.modes.clone();
        if tracker.visits % 4 == 0 || guesses.is_empty() {
            if let Some(n) = self.nearest_active(x[0], x[1]) {
                // A node's mode near a followed one is that mode.
                let new: Vec<C> = n
                    .modes
                    .iter()
                    .copied()
                    .filter(|m| {
                        guesses
                            .iter()
                            .all(|z| (z - m).norm() > 0.3 * z.norm() + 1.0)
                    })
                    .collect();
                guesses.extend(new);
            }
        }
        tracker.visits += 1;
        let found = modes::follow(prob, guesses);
        tracker.modes = found.clone();
        found
    }

    /// Whether nu (a stationary root at x) is the lowest stable root. It must be stable
    /// (Phi' < 1), and Phi(r) − r, positive just below nu, must stay positive below it: it is
    /// sampled where the scan nodes within one cell have it negative (between a lower stable
    /// root and the unstable one above it), 16 points per such stretch. (A pair of roots
    /// that appears and vanishes again between scan nodes is not seen.)
    fn lowest_stable(&self, mf: &MeanFieldParams, x: &[f64], nu: f64) -> bool {
        let d = 1e-5 * nu;
        let slope = (mf.transfer_hz(nu + d) - mf.transfer_hz(nu - d)) / (2.0 * d);
        if !(slope < 1.0) {
            return false;
        }
        let (dg, de) = self.cell;
        let top = nu / 1.05;
        for n in self
            .nodes
            .iter()
            .filter(|n| (n.g - x[0]).abs() <= dg && (n.eta - x[1]).abs() <= de)
        {
            for w in n.roots.windows(2) {
                if !(w[0].stable && w[0].rate_hz < top) {
                    continue;
                }
                let lo = (w[0].rate_hz / 3.0).max(1e-6);
                let hi = (w[1].rate_hz * 3.0).min(top);
                if !(hi > lo) {
                    continue;
                }
                let k = 16;
                let below = (0..=k).any(|i| {
                    let r = lo * (hi / lo).powf(i as f64 / k as f64);
                    mf.transfer_hz(r) < r
                });
                if below {
                    return false;
                }
            }
        }
        true
    }

    fn nearest_active(&self, g: f64, eta: f64) -> Option<&Node> {
        self.nodes
            .iter()
            .filter(|n| !n.modes.is_empty())
            .min_by(|a, b| {
                let d = |n: &Node| (n.g - g).powi(2) + (n.eta - eta).powi(2);
                d(a).total_cmp(&d(b))
            })
    }

    /// The standing of curve point `x` of a line of `kind`.
    pub fn status(&self, kind: Crossing, x: &[f64], tracker: &mut Tracker) -> Status {
        let mf = at(self.base, x[0], x[1]);
        let nu = x[2].exp();
        let thr = self.regular_max_cv;
        let d_ms = self.base.d_ms;
        let cv = |nu: f64| cv_at(self.base, x[0], x[1], nu).unwrap_or(f64::NAN);
        match kind {
            Crossing::Fold => Status {
                valid: true,
                name: SADDLE_NODE.to_string(),
            },
            Crossing::Hopf => {
                if !(nu >= THEORY_QUIESCENT_MAX_HZ) || !self.lowest_stable(&mf, x, nu) {
                    return Status::off();
                }
                let omega = x[3];
                let prob = StabilityProblem::new(&mf, nu, self.base.d_ms);
                let own = C::new(0.0, omega);
                let others: Vec<C> = self
                    .other_modes(&prob, x, tracker)
                    .into_iter()
                    .filter(|z| (z - own).norm() > 1e-3 * (1.0 + omega))
                    .collect();
                if others.iter().any(|z| z.re > 0.0) {
                    // Another mode grows already: the label does not change here.
                    return Status::off();
                }
                let ms = modes::as_modes(&prob, &others);
                let f = prob.mode(own).frequency_hz;
                let cv_here = cv(nu);
                let side = |growth: f64| {
                    let mut all = ms.clone();
                    all.push(Mode {
                        growth_per_s: growth,
                        frequency_hz: f,
                    });
                    theory_regime(nu, cv_here, d_ms, &all, thr)
                };
                named(side(-1e-9), side(1e-9), true)
            }
            Crossing::RateCut(cut) => {
                if !self.lowest_stable(&mf, x, cut) {
                    return Status::off();
                }
                let prob = StabilityProblem::new(&mf, cut, d_ms);
                let ms = modes::as_modes(&prob, &self.other_modes(&prob, x, tracker));
                let cv_here = cv(cut);
                let side = |nu: f64| theory_regime(nu, cv_here, d_ms, &ms, thr);
                let (lo, hi) = (side(cut * (1.0 - 1e-9)), side(cut * (1.0 + 1e-9)));
                named(lo, hi, lo != hi)
            }
            Crossing::CvCut(at_cv) => {
                if !(nu >= THEORY_QUIESCENT_MAX_HZ) || !self.lowest_stable(&mf, x, nu) {
                    return Status::off();
                }
                let prob = StabilityProblem::new(&mf, nu, d_ms);
                let ms = modes::as_modes(&prob, &self.other_modes(&prob, x, tracker));
                let side = |c: f64| theory_regime(nu, c, d_ms, &ms, thr);
                let (lo, hi) = (side(at_cv * (1.0 - 1e-9)), side(at_cv * (1.0 + 1e-9)));
                named(lo, hi, lo != hi)
            }
        }
    }
}

fn named(left: Regime, right: Regime, valid: bool) -> Status {
    Status {
        valid,
        name: format!("{}|{}", left.label(), right.label()),
    }
}
