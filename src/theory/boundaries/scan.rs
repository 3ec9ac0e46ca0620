//! The coarse scan that finds where lines cross: a grid of (g, eta) nodes, each with its
//! stationary roots, the lowest stable rate nu0, its eigenmodes (followed from node to node
//! along one continuous root, seeded by full searches) and the theory's label; then, on
//! every edge between two nodes, the crossings a line must make there: a mode changing the
//! sign of its growth, the number of roots changing, nu0 passing the quiescent rate cut, the
//! stationary CV passing the regularity threshold. Edges whose two
//! labels the crossings found do not explain (a thin region between two nodes) are halved,
//! a few times at most.

use super::branch::{at, follow_along, lowest_stable, same_branch};
use super::modes;
use super::{Region, TraceOptions};
use crate::regime::Regime;
use crate::theory::stability::{theory_regime, StabilityProblem};
use crate::theory::stationary::{stationary_rates, MeanFieldParams, StationaryRate};
use num_complex::Complex64 as C;
use std::collections::VecDeque;

/// Below this lowest stable rate (Hz) a node's modes are not followed: its label is
/// quiescent whatever they do, and no line is drawn there.
const MODE_MIN_HZ: f64 = crate::theory::stability::THEORY_QUIESCENT_MAX_HZ;

/// One grid point of the scan.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub g: f64,
    pub eta: f64,
    pub mf: MeanFieldParams,
    pub roots: Vec<StationaryRate>,
    /// The lowest stable root (Hz).
    pub nu0: Option<f64>,
    /// Its eigenmodes λ (units of 1/τ, upper half plane).
    pub modes: Vec<C>,
    /// The stationary CV of ISI of nu0 (coarse panels); NaN below the quiescent rate or
    /// where it is undefined.
    pub cv: f64,
    pub regime: Regime,
}

impl Node {
    fn new(base: &MeanFieldParams, g: f64, eta: f64) -> Node {
        let mf = at(base, g, eta);
        let roots = stationary_rates(&mf);
        let nu0 = lowest_stable(&roots);
        Node {
            g,
            eta,
            mf,
            roots,
            nu0,
            modes: Vec::new(),
            cv: node_cv(base, g, eta, nu0),
            regime: Regime::Unclassified,
        }
    }

    /// A node whose only root is known (`nu_hz`, stable).
    fn with_root(base: &MeanFieldParams, g: f64, eta: f64, nu_hz: f64) -> Node {
        Node {
            g,
            eta,
            mf: at(base, g, eta),
            roots: vec![StationaryRate {
                rate_hz: nu_hz,
                stable: true,
            }],
            nu0: Some(nu_hz),
            modes: Vec::new(),
            cv: node_cv(base, g, eta, Some(nu_hz)),
            regime: Regime::Unclassified,
        }
    }

    /// Whether modes are followed here.
    pub fn active(&self) -> bool {
        self.nu0.is_some_and(|nu| nu >= MODE_MIN_HZ)
    }

    pub fn problem(&self) -> Option<StabilityProblem> {
        let nu = self.nu0?;
        let p = StabilityProblem::new(&self.mf, nu, self.mf.d_ms);
        (p.y_theta.is_finite() && p.y_r.is_finite()).then_some(p)
    }

    fn label(&mut self, regular_max_cv: f64) {
        let d_ms = self.mf.d_ms;
        self.regime = match (self.nu0, self.problem()) {
            (Some(nu), Some(p)) => theory_regime(
                nu,
                self.cv,
                d_ms,
                &modes::as_modes(&p, &self.modes),
                regular_max_cv,
            ),
            (Some(nu), None) => theory_regime(nu, self.cv, d_ms, &[], regular_max_cv),
            (None, _) => Regime::Unclassified,
        };
    }

    /// (g, eta, nu0) for [`same_branch`].
    fn state(&self) -> Option<(f64, f64, f64)> {
        self.nu0.map(|nu| (self.g, self.eta, nu))
    }
}

/// A segment between two nodes; `axis` is the coordinate that varies (0: g, 1: eta).
#[derive(Debug, Clone, Copy)]
pub(super) struct Edge {
    pub a: usize,
    pub b: usize,
    pub axis: usize,
    pub depth: usize,
}

/// What kind of line a start point belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Crossing {
    Hopf,
    Fold,
    RateCut(f64),
    /// The stationary CV at the regularity threshold (its value).
    CvCut(f64),
}

/// A guess of where a line crosses an edge: (g, eta, ln nu0 [, ω]).
#[derive(Debug, Clone)]
pub(super) struct Guess {
    pub kind: Crossing,
    pub x: Vec<f64>,
    pub edge: Edge,
}

/// The nodes of the scan (the grid first, row by row, then the midpoints of halved edges).
pub(super) struct Scan<'a> {
    pub base: &'a MeanFieldParams,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Full mode searches run (for the notes).
    pub searches: usize,
    /// The label's regularity threshold.
    pub regular_max_cv: f64,
    branch_cache: std::collections::HashMap<(usize, usize), bool>,
    /// Asked between nodes and mode searches: the scan ends early once it says so.
    stop: &'a dyn Fn() -> bool,
}

impl<'a> Scan<'a> {
    /// The grid nodes with their roots, modes and labels, and the grid's edges; None when
    /// `stop` said so before the scan was done.
    pub fn grid(
        base: &'a MeanFieldParams,
        region: &Region,
        opts: &TraceOptions,
        stop: &'a dyn Fn() -> bool,
    ) -> Option<Scan<'a>> {
        let (ng, ne) = (opts.nodes_g.max(2), opts.nodes_eta.max(2));
        let mut nodes = Vec::with_capacity(ng * ne);
        for j in 0..ne {
            if stop() {
                return None;
            }
            for i in 0..ng {
                let g = region.g_min + (region.g_max - region.g_min) * i as f64 / (ng - 1) as f64;
                let eta =
                    region.eta_min + (region.eta_max - region.eta_min) * j as f64 / (ne - 1) as f64;
                nodes.push(Node::new(base, g, eta));
            }
        }
        let mut edges = Vec::new();
        for j in 0..ne {
            for i in 0..ng {
                let k = j * ng + i;
                if i + 1 < ng {
                    edges.push(Edge {
                        a: k,
                        b: k + 1,
                        axis: 0,
                        depth: 0,
                    });
                }
                if j + 1 < ne {
                    edges.push(Edge {
                        a: k,
                        b: k + ng,
                        axis: 1,
                        depth: 0,
                    });
                }
            }
        }
        let mut scan = Scan {
            base,
            nodes,
            edges,
            searches: 0,
            regular_max_cv: opts.regular_max_cv,
            branch_cache: Default::default(),
            stop,
        };
        scan.flood_modes(ng, ne);
        if stop() {
            return None;
        }
        for n in &mut scan.nodes {
            n.label(opts.regular_max_cv);
        }
        Some(scan)
    }

    /// Whether the nodes a and b sit on one continuous root (cached).
    pub fn same_branch(&mut self, a: usize, b: usize) -> bool {
        let key = (a.min(b), a.max(b));
        if let Some(&v) = self.branch_cache.get(&key) {
            return v;
        }
        let (na, nb) = (&self.nodes[a], &self.nodes[b]);
        let single = |n: &Node| n.roots.len() == 1 && n.roots[0].stable;
        let v = match (na.state(), nb.state()) {
            // One root at each end, close in rate: the same root (a fold between them would
            // need a region of three roots inside one edge, which the scan does not resolve).
            (Some(sa), Some(sb)) if single(na) && single(nb) && (sa.2 / sb.2).ln().abs() < 0.4 => {
                true
            }
            (Some(sa), Some(sb)) => same_branch(self.base, sa, sb),
            _ => false,
        };
        self.branch_cache.insert(key, v);
        v
    }

    /// Modes at every active node: full searches at seed nodes spread over the grid (and at
    /// any active node no seed reached), each mode then followed by Newton to the
    /// neighbours on the same root, breadth first.
    fn flood_modes(&mut self, ng: usize, ne: usize) {
        let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for e in self.edges.clone() {
            if (self.stop)() {
                return;
            }
            if self.same_branch(e.a, e.b) {
                neighbours[e.a].push(e.b);
                neighbours[e.b].push(e.a);
            }
        }
        let frac = [1.0 / 6.0, 0.5, 5.0 / 6.0];
        let mut seeds: Vec<usize> = Vec::new();
        for fj in frac {
            for fi in frac {
                let (i, j) = (
                    (fi * (ng - 1) as f64).round() as usize,
                    (fj * (ne - 1) as f64).round() as usize,
                );
                seeds.push(j * ng + i);
            }
        }
        let mut queue: VecDeque<(usize, C)> = VecDeque::new();
        let mut searched = vec![false; self.nodes.len()];
        let mut next_seed = 0;
        // Each pass seeds one node; a node is searched at most once, so this ends.
        loop {
            if (self.stop)() {
                return;
            }
            let seed = if next_seed < seeds.len() {
                next_seed += 1;
                Some(seeds[next_seed - 1])
            } else {
                (0..self.nodes.len()).find(|&k| {
                    self.nodes[k].active() && self.nodes[k].modes.is_empty() && !searched[k]
                })
            };
            let Some(s) = seed else { break };
            if searched[s] || !self.nodes[s].active() {
                continue;
            }
            searched[s] = true;
            let n = &self.nodes[s];
            let found = match n.nu0 {
                Some(nu) => modes::search(&n.mf, nu, n.mf.d_ms),
                None => vec![],
            };
            self.searches += 1;
            queue.extend(found.into_iter().map(|z| (s, z)));
            self.drain(&mut queue, &neighbours);
        }
    }

    /// Follows queued (node, guess) pairs, adding new modes and queueing them onwards.
    fn drain(&mut self, queue: &mut VecDeque<(usize, C)>, neighbours: &[Vec<usize>]) {
        // Every accepted mode is new at its node and node·mode pairs are finite (each node
        // holds few modes); the count guards against pathological cycling anyway.
        let mut budget = 200 * self.nodes.len();
        while let Some((k, guess)) = queue.pop_front() {
            if budget == 0 || (self.stop)() {
                break;
            }
            budget -= 1;
            // A guess close to a known mode is that mode.
            if self.nodes[k]
                .modes
                .iter()
                .any(|m| (m - guess).norm() < 0.05 * (1.0 + guess.norm()))
            {
                continue;
            }
            let Some(prob) = self.nodes[k].problem() else {
                continue;
            };
            let Some(z) = modes::newton_near(&prob, guess) else {
                continue;
            };
            if modes::contains(&self.nodes[k].modes, z) {
                continue;
            }
            self.nodes[k].modes.push(z);
            for &nb in &neighbours[k] {
                queue.push_back((nb, z));
            }
        }
    }

    /// Adds the midpoint of edge `e` (modes followed from the ends on the same root, else
    /// searched) and returns the two halves.
    pub fn halve(&mut self, e: Edge) -> (Edge, Edge) {
        let (g, eta) = (
            0.5 * (self.nodes[e.a].g + self.nodes[e.b].g),
            0.5 * (self.nodes[e.a].eta + self.nodes[e.b].eta),
        );
        // Between two single-root nodes on one root the midpoint's root is that root,
        // followed (the full root search costs 1–10 ms; folds inside one edge are not seen
        // by the scan in any case).
        let single = |n: &Node| n.roots.len() == 1 && n.roots[0].stable;
        let followed =
            (single(&self.nodes[e.a]) && single(&self.nodes[e.b]) && self.same_branch(e.a, e.b))
                .then(|| self.nodes[e.a].state())
                .flatten()
                .and_then(|from| follow_along(self.base, from, (g, eta)));
        let mut m = match followed {
            Some(nu) => Node::with_root(self.base, g, eta, nu),
            None => Node::new(self.base, g, eta),
        };
        let k = self.nodes.len();
        let mut guesses: Vec<C> = Vec::new();
        if m.active() {
            self.nodes.push(m.clone());
            for end in [e.a, e.b] {
                if self.same_branch(end, k) {
                    guesses.extend(self.nodes[end].modes.iter().copied());
                }
            }
            self.nodes.pop();
            if let Some(p) = m.problem() {
                m.modes = modes::follow(&p, guesses);
                if m.modes.is_empty() {
                    m.modes = modes::search(&m.mf, m.nu0.unwrap_or(0.0), m.mf.d_ms);
                    self.searches += 1;
                }
            }
        }
        m.label(self.regular_max_cv);
        self.nodes.push(m);
        let d = e.depth + 1;
        (
            Edge {
                a: e.a,
                b: k,
                axis: e.axis,
                depth: d,
            },
            Edge {
                a: k,
                b: e.b,
                axis: e.axis,
                depth: d,
            },
        )
    }

    /// Where lines cross edge `e`, as guesses to be solved.
    pub fn guesses(&mut self, e: Edge, folds: bool) -> Vec<Guess> {
        let mut out = Vec::new();
        let same = self.same_branch(e.a, e.b);
        let (a, b) = (&self.nodes[e.a], &self.nodes[e.b]);
        let lerp = |t: f64| (a.g + t * (b.g - a.g), a.eta + t * (b.eta - a.eta));
        if same {
            let (na, nb) = (a.nu0.unwrap_or(0.0), b.nu0.unwrap_or(0.0));
            let ln_nu = |t: f64| na.ln() + t * (nb.ln() - na.ln());
            // A mode whose growth changes sign.
            for &la in &a.modes {
                let Some(&lb) = b
                    .modes
                    .iter()
                    .min_by(|p, q| (*p - la).norm().total_cmp(&(*q - la).norm()))
                else {
                    continue;
                };
                if (lb - la).norm() > 0.3 * la.norm() + 1.0 || (la.re > 0.0) == (lb.re > 0.0) {
                    continue;
                }
                let t = la.re / (la.re - lb.re);
                let (g, eta) = lerp(t);
                out.push(Guess {
                    kind: Crossing::Hopf,
                    x: vec![g, eta, ln_nu(t), la.im + t * (lb.im - la.im)],
                    edge: e,
                });
            }
            // The stationary CV passing the regularity threshold.
            let thr = self.regular_max_cv;
            if thr > 0.0 && (a.cv - thr) * (b.cv - thr) < 0.0 {
                let t = (a.cv - thr) / (a.cv - b.cv);
                let (g, eta) = lerp(t);
                out.push(Guess {
                    kind: Crossing::CvCut(thr),
                    x: vec![g, eta, ln_nu(t)],
                    edge: e,
                });
            }
            // nu0 passing a rate cut of the label.
            for cut in rate_cuts() {
                if (na - cut) * (nb - cut) < 0.0 {
                    let t = (cut.ln() - na.ln()) / (nb.ln() - na.ln());
                    let (g, eta) = lerp(t);
                    out.push(Guess {
                        kind: Crossing::RateCut(cut),
                        x: vec![g, eta, cut.ln()],
                        edge: e,
                    });
                }
            }
        }
        if folds && a.roots.len() != b.roots.len() {
            if let Some(x) = self.fold_guess(e) {
                out.push(Guess {
                    kind: Crossing::Fold,
                    x,
                    edge: e,
                });
            }
        }
        out
    }

    /// Bisects an edge on the number of roots, then takes the closest pair of neighbouring
    /// roots on the side with more: they meet at the fold.
    fn fold_guess(&self, e: Edge) -> Option<Vec<f64>> {
        let (a, b) = (&self.nodes[e.a], &self.nodes[e.b]);
        let count_a = a.roots.len();
        let (mut lo, mut hi) = (0.0, 1.0);
        let (mut roots_lo, mut roots_hi) = (a.roots.clone(), b.roots.clone());
        let point = |t: f64| (a.g + t * (b.g - a.g), a.eta + t * (b.eta - a.eta));
        for _ in 0..2 {
            let t = 0.5 * (lo + hi);
            let (g, eta) = point(t);
            let r = stationary_rates(&at(self.base, g, eta));
            if r.len() == count_a {
                lo = t;
                roots_lo = r;
            } else {
                hi = t;
                roots_hi = r;
            }
        }
        let (t, roots) = if roots_lo.len() > roots_hi.len() {
            (lo, roots_lo)
        } else {
            (hi, roots_hi)
        };
        let pair = roots
            .windows(2)
            .filter(|w| w[0].rate_hz > 0.0)
            .min_by(|p, q| {
                let gap = |w: &&[StationaryRate]| (w[1].rate_hz / w[0].rate_hz).ln();
                gap(p).total_cmp(&gap(q))
            })?;
        let (g, eta) = point(t);
        Some(vec![
            g,
            eta,
            0.5 * (pair[0].rate_hz.ln() + pair[1].rate_hz.ln()),
        ])
    }
}

/// The rates (Hz) at which `theory_regime` changes its label by rate alone: the quiescent
/// cut only (the SR side is a Hopf line, not a rate).
pub(super) fn rate_cuts() -> Vec<f64> {
    vec![crate::theory::stability::THEORY_QUIESCENT_MAX_HZ]
}

/// The stationary CV at a node's lowest stable rate (NaN below the quiescent rate).
fn node_cv(base: &MeanFieldParams, g: f64, eta: f64, nu0: Option<f64>) -> f64 {
    nu0.filter(|&nu| nu >= MODE_MIN_HZ)
        .and_then(|nu| super::systems::cv_at(base, g, eta, nu))
        .unwrap_or(f64::NAN)
}
