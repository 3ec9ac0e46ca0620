//! From a traced curve to named polylines: each point read for its standing (points.rs),
//! runs of points with one name kept, the switch between two runs located by bisection on
//! the curve, and each polyline turned so that its first-named label lies on its left.

use super::branch::{at, follow_along};
use super::continuation::{between, trace, Leg, Steps, System, Traced, Window};
use super::modes::newton_mode;
use super::points::{Reader, Status, Tracker};
use super::scan::Crossing;
use super::{BoundaryKind, BoundaryLine, BoundaryPoint};
use crate::theory::stability::StabilityProblem;
use crate::theory::stationary::stationary_rates;
use num_complex::Complex64 as C;
use std::f64::consts::PI;

/// Bisection steps locating the switch between two runs (1/16 of a step).
const SWITCH_BISECTIONS: usize = 4;
/// Offset (in g; half of it in eta) of the side tests.
const SIDE_OFFSET: f64 = 0.01;

/// How far (in g/2 and eta) a curve is followed through points that lie on no boundary of
/// the label before giving up on it.
const MAX_OFF_RUN: f64 = 0.5;

/// A traced curve with the standing of each point and the modes followed to it.
pub(super) struct Curve {
    pub kind: Crossing,
    pub traced: Traced,
    pub statuses: Vec<(Status, Tracker)>,
}

/// Traces the curve of `kind` through the solution `x0`, reading every point as it goes; a
/// curve whose start lies on no boundary is not traced unless `any_start` (a start where two
/// lines meet lies on the edge of both), and a leg ends after a stretch of [`MAX_OFF_RUN`]
/// off every boundary. Both legs end early once `stop` says so.
pub(super) fn follow_curve(
    kind: Crossing,
    sys: &dyn System,
    x0: &[f64],
    any_start: bool,
    (window, steps): (&Window, &Steps),
    reader: &Reader<'_>,
    stop: &dyn Fn() -> bool,
) -> Curve {
    let mut start: Option<(Status, Tracker)> = None;
    let mut legs: [Vec<(Status, Tracker)>; 2] = [Vec::new(), Vec::new()];
    let mut off_run = [0.0f64; 2];
    let mut last: [Option<Vec<f64>>; 2] = [None, None];
    let mut observe = |leg: Leg, x: &[f64]| -> bool {
        let i = match leg {
            Leg::Start => {
                let mut tr = Tracker::default();
                let st = reader.status(kind, x, &mut tr);
                let ok = st.valid || any_start;
                start = Some((st, tr));
                last = [Some(x.to_vec()), Some(x.to_vec())];
                return ok;
            }
            Leg::Forward => 0,
            Leg::Backward => 1,
        };
        if stop() {
            return false;
        }
        let mut tr = legs[i]
            .last()
            .or(start.as_ref())
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let st = reader.status(kind, x, &mut tr);
        let step = last[i]
            .as_ref()
            .map(|p| ((x[0] - p[0]) / 2.0).hypot(x[1] - p[1]))
            .unwrap_or(0.0);
        off_run[i] = if st.valid { 0.0 } else { off_run[i] + step };
        last[i] = Some(x.to_vec());
        legs[i].push((st, tr));
        off_run[i] < MAX_OFF_RUN
    };
    let traced = trace(sys, x0, window, steps, &mut observe);
    let [fwd, bwd] = legs;
    let mut statuses: Vec<(Status, Tracker)> = bwd.into_iter().rev().collect();
    statuses.extend(start);
    statuses.extend(fwd);
    Curve {
        kind,
        traced,
        statuses,
    }
}

/// The named polylines of a traced curve: runs of points with one standing, cut at the
/// switches, those on a boundary kept, each turned so its first-named side is on its left.
/// Also returns guesses (g, eta, ln nu0, ω) of other modes' Hopf lines met on the way.
pub(super) fn polylines(
    curve: &Curve,
    sys: &dyn System,
    reader: &Reader<'_>,
) -> (Vec<BoundaryLine>, Vec<Vec<f64>>) {
    let kind = curve.kind;
    let pts = &curve.traced.points;
    let mut spawned = Vec::new();
    if pts.is_empty() || pts.len() != curve.statuses.len() {
        return (vec![], spawned);
    }
    let mut runs: Vec<(Status, Vec<Vec<f64>>)> = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let st = &curve.statuses[i].0;
        if i == 0 {
            runs.push((st.clone(), vec![p.clone()]));
            continue;
        }
        let (ps, ptr) = &curve.statuses[i - 1];
        if ps != st {
            let (q, at_q) = switch_point(kind, sys, reader, &pts[i - 1], p, ps, ptr);
            // Where a Hopf line stops or starts leading, another mode is on the axis too:
            // a start for its line.
            if kind == Crossing::Hopf && ps.valid != st.valid {
                if let Some(z) = at_q.nearest_other(q[3]).filter(|z| z.re.abs() < 0.05) {
                    spawned.push(vec![q[0], q[1], q[2], z.im]);
                }
            }
            if let Some(last) = runs.last_mut() {
                last.1.push(q.clone());
            }
            runs.push((st.clone(), vec![q, p.clone()]));
        } else if let Some(last) = runs.last_mut() {
            last.1.push(p.clone());
        }
    }
    // A closed curve's last run continues its first.
    if curve.traced.closed && runs.len() > 1 && runs[0].0 == runs[runs.len() - 1].0 {
        if let Some((_, tail)) = runs.pop() {
            let mut joined = tail;
            joined.extend(runs[0].1.iter().skip(1).cloned());
            runs[0].1 = joined;
        }
    }
    let lines = runs
        .into_iter()
        .filter(|(st, p)| st.valid && p.len() >= 2)
        .map(|(st, p)| {
            let mut points: Vec<BoundaryPoint> = p.iter().map(|x| point(reader, kind, x)).collect();
            if left_is_second(kind, reader, &p) == Some(true) {
                points.reverse();
            }
            BoundaryLine {
                name: st.name,
                kind: match kind {
                    Crossing::Hopf => BoundaryKind::Hopf,
                    Crossing::Fold => BoundaryKind::SaddleNode,
                    Crossing::RateCut(_) => BoundaryKind::RateCut,
                    Crossing::CvCut(_) => BoundaryKind::CvCut,
                },
                points,
            }
        })
        .collect();
    (lines, spawned)
}

/// The curve point where the standing changes from `from` (at a) to something else (at b).
fn switch_point(
    kind: Crossing,
    sys: &dyn System,
    reader: &Reader<'_>,
    a: &[f64],
    b: &[f64],
    from: &Status,
    tracker: &Tracker,
) -> (Vec<f64>, Tracker) {
    let (mut lo, mut hi) = (a.to_vec(), b.to_vec());
    for _ in 0..SWITCH_BISECTIONS {
        let Some(m) = between(sys, &lo, &hi, 0.5) else {
            break;
        };
        if reader.status(kind, &m, &mut tracker.clone()) == *from {
            lo = m;
        } else {
            hi = m;
        }
    }
    let q = between(sys, &lo, &hi, 0.5)
        .unwrap_or_else(|| lo.iter().zip(&hi).map(|(p, q)| 0.5 * (p + q)).collect());
    let mut at_q = tracker.clone();
    reader.status(kind, &q, &mut at_q);
    (q, at_q)
}

fn point(reader: &Reader<'_>, kind: Crossing, x: &[f64]) -> BoundaryPoint {
    let tau_s = reader.base.tau_m_ms * 1e-3;
    BoundaryPoint {
        g: x[0],
        eta: x[1],
        frequency_hz: match kind {
            Crossing::Hopf => x[3] / (2.0 * PI * tau_s),
            _ => f64::NAN,
        },
        nu0_hz: x[2].exp(),
    }
}

/// Whether the second-named side lies on the left of the polyline `p` (in its order): the
/// majority of the tests at a quarter, half and three quarters of its points (a test fails
/// where another line or a cusp is nearer than the offset). None when every test fails.
fn left_is_second(kind: Crossing, reader: &Reader<'_>, p: &[Vec<f64>]) -> Option<bool> {
    let votes: Vec<bool> = [p.len() / 4, p.len() / 2, 3 * p.len() / 4]
        .into_iter()
        .filter_map(|i| left_is_second_at(kind, reader, p, i))
        .collect();
    let yes = votes.iter().filter(|v| **v).count();
    (!votes.is_empty()).then_some(2 * yes > votes.len())
}

/// The test at point i: for a Hopf line the side where its mode grows, for a rate cut the
/// side of higher rate, for the regularity line the side of higher CV, for a saddle-node
/// the side with fewer roots. None when it fails.
fn left_is_second_at(
    kind: Crossing,
    reader: &Reader<'_>,
    p: &[Vec<f64>],
    i: usize,
) -> Option<bool> {
    let (a, b) = (&p[i.saturating_sub(1)], &p[(i + 1).min(p.len() - 1)]);
    let x = &p[i];
    // Tangent in the plane where g counts half: (dg/2, deta); its left normal.
    let (dg, de) = ((b[0] - a[0]) / 2.0, b[1] - a[1]);
    let len = dg.hypot(de);
    if !(len > 0.0) {
        return None;
    }
    let (ng, ne) = (-de / len * 2.0, dg / len);
    let side = |s: f64| (x[0] + s * SIDE_OFFSET * ng, x[1] + s * SIDE_OFFSET * ne);
    let base = reader.base;
    match kind {
        Crossing::Hopf => {
            let (g, eta) = side(1.0);
            let mf = at(base, g, eta);
            let nu = follow_along(base, (x[0], x[1], x[2].exp()), (g, eta))?;
            let prob = StabilityProblem::new(&mf, nu, base.d_ms);
            Some(newton_mode(&prob, C::new(0.0, x[3]))?.re > 0.0)
        }
        Crossing::RateCut(cut) => {
            // Followed from the line, not searched near the cut: nu0 can change steeply.
            Some(follow_along(base, (x[0], x[1], cut), side(1.0))? > cut)
        }
        Crossing::CvCut(cv) => {
            let (g, eta) = side(1.0);
            let nu = follow_along(base, (x[0], x[1], x[2].exp()), (g, eta))?;
            Some(super::systems::cv_at(base, g, eta, nu)? > cv)
        }
        Crossing::Fold => {
            let count = |s: f64| {
                let (g, eta) = side(s);
                stationary_rates(&at(base, g, eta)).len()
            };
            let (l, r) = (count(1.0), count(-1.0));
            (l != r).then_some(l < r)
        }
    }
}
