//! Pseudo-arclength continuation of a curve given implicitly by n − 1 equations in n
//! unknowns (Keller; Allgower & Georg, "Introduction to numerical continuation methods",
//! ch. 2): an Euler predictor along the tangent, a Newton (chord) corrector on the hyperplane
//! normal to it, the step halved on failure or sharp turns and grown after easy steps.
//! Jacobians are forward differences; the tangent is the null vector of the Jacobian by
//! signed minors. Every loop is bounded by a count.

/// A curve's defining equations: n unknowns, `residual(x)` has n − 1 components and vanishes on it.
pub(super) trait System {
    /// The n − 1 residuals at x; None where they cannot be evaluated.
    fn residual(&self, x: &[f64]) -> Option<Vec<f64>>;
    /// Typical size of a unit change of each unknown: steps are measured in x/scale.
    fn scales(&self) -> Vec<f64>;
    /// Whether x is still a meaningful point of the curve (tracing stops where it is not).
    fn admissible(&self, x: &[f64]) -> bool;
}

/// The rectangle of the first two unknowns (g, eta) outside of which tracing stops.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub lo: [f64; 2],
    pub hi: [f64; 2],
}

impl Window {
    fn contains(&self, x: &[f64]) -> bool {
        (0..2).all(|k| {
            let tol = 1e-9 * (self.hi[k] - self.lo[k]);
            x[k] >= self.lo[k] - tol && x[k] <= self.hi[k] + tol
        })
    }
}

/// Step control of the tracer (all lengths in scaled units).
#[derive(Debug, Clone, Copy)]
pub(super) struct Steps {
    pub h_start: f64,
    pub h_min: f64,
    pub h_max: f64,
    /// Accepted steps per direction.
    pub max_steps: usize,
    /// Largest angle (rad) between successive tangents.
    pub max_turn: f64,
}

/// A traced curve: points in order along it (unscaled), and whether it closed on itself.
#[derive(Debug, Clone)]
pub(super) struct Traced {
    pub points: Vec<Vec<f64>>,
    pub closed: bool,
}

/// Residual tolerance of the corrector.
const RES_TOL: f64 = 1e-9;
/// Newton step (scaled) below which the corrector has converged.
const STEP_TOL: f64 = 1e-10;
/// Forward-difference step (scaled).
const FD: f64 = 1e-6;
const MAX_NEWTON: usize = 12;
/// Farthest (scaled) the corrector may move from its starting guess.
const MAX_JUMP: f64 = 1.0;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The system in scaled coordinates z = x/scale.
struct Scaled<'a> {
    sys: &'a dyn System,
    s: Vec<f64>,
}

impl Scaled<'_> {
    fn x(&self, z: &[f64]) -> Vec<f64> {
        z.iter().zip(&self.s).map(|(a, b)| a * b).collect()
    }
    fn z(&self, x: &[f64]) -> Vec<f64> {
        x.iter().zip(&self.s).map(|(a, b)| a / b).collect()
    }
    fn res(&self, z: &[f64]) -> Option<Vec<f64>> {
        let r = self.sys.residual(&self.x(z))?;
        r.iter().all(|v| v.is_finite()).then_some(r)
    }
    /// (n − 1) × n Jacobian by forward differences, given the residual `r0` at z.
    fn jacobian(&self, z: &[f64], r0: &[f64]) -> Option<Vec<Vec<f64>>> {
        let n = z.len();
        let mut jac = vec![vec![0.0; n]; n - 1];
        for k in 0..n {
            let mut zk = z.to_vec();
            let d = FD * (1.0 + z[k].abs());
            zk[k] += d;
            let rk = self.res(&zk)?;
            for i in 0..n - 1 {
                jac[i][k] = (rk[i] - r0[i]) / d;
            }
        }
        Some(jac)
    }
}

/// Determinant by Gaussian elimination with partial pivoting.
fn det(mut a: Vec<Vec<f64>>) -> f64 {
    let n = a.len();
    let mut d = 1.0;
    for c in 0..n {
        let Some(p) = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())) else {
            return 0.0;
        };
        if a[p][c] == 0.0 {
            return 0.0;
        }
        if p != c {
            a.swap(p, c);
            d = -d;
        }
        d *= a[c][c];
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..n {
                a[r][k] -= f * a[c][k];
            }
        }
    }
    d
}

/// Solves a·x = b (n × n) by Gaussian elimination; None when singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if !(a[p][c].abs() > 1e-300) {
            return None;
        }
        a.swap(p, c);
        b.swap(p, c);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..n {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The unit null vector of an (n − 1) × n matrix: t_k = (−1)^k·det(J without column k).
fn null_vector(jac: &[Vec<f64>]) -> Option<Vec<f64>> {
    let n = jac.len() + 1;
    let t: Vec<f64> = (0..n)
        .map(|k| {
            let minor: Vec<Vec<f64>> = jac
                .iter()
                .map(|row| (0..n).filter(|&c| c != k).map(|c| row[c]).collect())
                .collect();
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            sign * det(minor)
        })
        .collect();
    let m = norm(&t);
    (m > 0.0 && m.is_finite()).then(|| t.iter().map(|v| v / m).collect())
}

/// Newton (chord, the Jacobian refreshed every fourth iteration) on the residual plus the
/// linear condition c·z = target. Returns the point and its residual's Jacobian.
fn correct(
    sc: &Scaled<'_>,
    z0: &[f64],
    c: &[f64],
    target: f64,
    jac0: Option<&Vec<Vec<f64>>>,
) -> Option<(Vec<f64>, Vec<Vec<f64>>, usize)> {
    let n = z0.len();
    let mut z = z0.to_vec();
    let mut jac = match jac0 {
        Some(j) => j.clone(),
        None => sc.jacobian(&z, &sc.res(&z)?)?,
    };
    for it in 0..MAX_NEWTON {
        let r = sc.res(&z)?;
        if it > 0 && it % 4 == 0 {
            jac = sc.jacobian(&z, &r)?;
        }
        let mut a = jac.clone();
        a.push(c.to_vec());
        let mut b: Vec<f64> = r.iter().map(|v| -v).collect();
        b.push(target - dot(c, &z));
        let dz = solve(a, b)?;
        for k in 0..n {
            z[k] += dz[k];
        }
        // A corrector that wanders off has lost the curve (and far points can be costly).
        let moved = norm(&z.iter().zip(z0).map(|(p, q)| p - q).collect::<Vec<_>>());
        if !(moved <= MAX_JUMP) {
            return None;
        }
        if norm(&dz) < STEP_TOL * (1.0 + norm(&z)) {
            let r = sc.res(&z)?;
            if norm(&r) < RES_TOL {
                let j = sc.jacobian(&z, &r)?;
                return Some((z, j, it + 1));
            }
        }
    }
    None
}

/// Solves the system with unknown `k` held at `value` (x as a start): a start point on a scan
/// edge or a curve's exit through the window's side.
pub(super) fn solve_fixed(sys: &dyn System, x: &[f64], k: usize, value: f64) -> Option<Vec<f64>> {
    let sc = Scaled {
        sys,
        s: sys.scales(),
    };
    let mut z = sc.z(x);
    z[k] = value / sc.s[k];
    let mut c = vec![0.0; z.len()];
    c[k] = 1.0;
    let (z, _, _) = correct(&sc, &z, &c, value / sc.s[k], None)?;
    Some(sc.x(&z))
}

/// The point of the curve between the curve points `a` and `b` (close together) at the
/// fraction `s` of the way, found on the hyperplane normal to b − a.
pub(super) fn between(sys: &dyn System, a: &[f64], b: &[f64], s: f64) -> Option<Vec<f64>> {
    let sc = Scaled {
        sys,
        s: sys.scales(),
    };
    let (za, zb) = (sc.z(a), sc.z(b));
    let d: Vec<f64> = zb.iter().zip(&za).map(|(p, q)| p - q).collect();
    let len = norm(&d);
    if !(len > 0.0) {
        return Some(a.to_vec());
    }
    let c: Vec<f64> = d.iter().map(|v| v / len).collect();
    let guess: Vec<f64> = za.iter().zip(&d).map(|(p, q)| p + s * q).collect();
    let (z, _, _) = correct(&sc, &guess, &c, dot(&c, &guess), None)?;
    Some(sc.x(&z))
}

/// Which way a point was reached, for an observer of [`trace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leg {
    Start,
    Forward,
    Backward,
}

/// Traces the curve through `x0` (a solution) both ways until it leaves the window, stops
/// being admissible, cannot be continued, closes on itself, runs out of steps, or `observe`
/// (told every accepted point and which leg it is on) says to stop. The points come in order
/// along the curve: the backward leg reversed, x0, the forward leg.
pub(super) fn trace(
    sys: &dyn System,
    x0: &[f64],
    window: &Window,
    steps: &Steps,
    observe: &mut dyn FnMut(Leg, &[f64]) -> bool,
) -> Traced {
    let sc = Scaled {
        sys,
        s: sys.scales(),
    };
    let z0 = sc.z(x0);
    let start = sc
        .res(&z0)
        .and_then(|r| sc.jacobian(&z0, &r))
        .and_then(|j| null_vector(&j).map(|t| (j, t)));
    let go_on = observe(Leg::Start, x0);
    let Some((j0, t0)) = start.filter(|_| go_on) else {
        return Traced {
            points: vec![x0.to_vec()],
            closed: false,
        };
    };
    let (fwd, closed) = walk(&sc, &z0, &j0, &t0, window, steps, &mut |x| {
        observe(Leg::Forward, x)
    });
    let mut points: Vec<Vec<f64>> = Vec::new();
    if !closed {
        let back: Vec<f64> = t0.iter().map(|v| -v).collect();
        let (bwd, _) = walk(&sc, &z0, &j0, &back, window, steps, &mut |x| {
            observe(Leg::Backward, x)
        });
        points.extend(bwd.into_iter().rev());
    }
    points.push(x0.to_vec());
    points.extend(fwd);
    Traced { points, closed }
}

/// One direction of [`trace`]: the points after z0 (unscaled), and whether the curve closed.
fn walk(
    sc: &Scaled<'_>,
    z0: &[f64],
    j0: &[Vec<f64>],
    t0: &[f64],
    window: &Window,
    steps: &Steps,
    observe: &mut dyn FnMut(&[f64]) -> bool,
) -> (Vec<Vec<f64>>, bool) {
    let mut out = Vec::new();
    let (mut z, mut jac, mut t) = (z0.to_vec(), j0.to_vec(), t0.to_vec());
    let mut h = steps.h_start;
    let mut travelled = 0.0;
    // Bounded: every pass either accepts a step (≤ max_steps) or halves h (≤ ~60 times in a
    // row before h < h_min ends the walk).
    let mut attempts = 0;
    while out.len() < steps.max_steps && attempts < 40 * steps.max_steps {
        attempts += 1;
        let pred: Vec<f64> = z.iter().zip(&t).map(|(a, b)| a + h * b).collect();
        let got = correct(sc, &pred, &t, dot(&t, &pred), Some(&jac));
        let accepted = got.and_then(|(zn, jn, iters)| {
            let dist = norm(&zn.iter().zip(&z).map(|(a, b)| a - b).collect::<Vec<_>>());
            let mut tn = null_vector(&jn)?;
            if dot(&tn, &t) < 0.0 {
                tn.iter_mut().for_each(|v| *v = -*v);
            }
            let turn = dot(&tn, &t).clamp(-1.0, 1.0).acos();
            (dist < 2.0 * h && turn <= steps.max_turn).then_some((zn, jn, tn, iters, dist))
        });
        let Some((zn, jn, tn, iters, dist)) = accepted else {
            h *= 0.5;
            if h < steps.h_min {
                break;
            }
            continue;
        };
        let xn = sc.x(&zn);
        if !window.contains(&xn) {
            if let Some(exit) = exit_point(sc, &z, &zn, window) {
                observe(&exit);
                out.push(exit);
            }
            break;
        }
        if !sc.sys.admissible(&xn) {
            break;
        }
        travelled += dist;
        // Closed: back at the start, heading the same way, after going round.
        let to_start = norm(&zn.iter().zip(z0).map(|(a, b)| a - b).collect::<Vec<_>>());
        if travelled > 4.0 * h && to_start < 0.75 * h.max(dist) && dot(&tn, t0) > 0.0 {
            observe(&xn);
            out.push(xn);
            let x0 = sc.x(z0);
            observe(&x0);
            out.push(x0);
            return (out, true);
        }
        let go_on = observe(&xn);
        out.push(xn);
        if !go_on {
            break;
        }
        z = zn;
        jac = jn;
        t = tn;
        if iters <= 3 {
            h = (h * 1.5).min(steps.h_max);
        }
    }
    (out, false)
}

/// Where the step from za (inside) to zb (outside) leaves the window, corrected onto the
/// curve with the crossed coordinate held at the window's side.
fn exit_point(sc: &Scaled<'_>, za: &[f64], zb: &[f64], window: &Window) -> Option<Vec<f64>> {
    let (xa, xb) = (sc.x(za), sc.x(zb));
    // The first side crossed: smallest fraction of the step.
    let mut best: Option<(f64, usize, f64)> = None;
    for k in 0..2 {
        for bound in [window.lo[k], window.hi[k]] {
            let (a, b) = (xa[k] - bound, xb[k] - bound);
            let outside = if bound == window.lo[k] {
                b < 0.0
            } else {
                b > 0.0
            };
            if outside && a != b {
                let s = a / (a - b);
                if best.is_none_or(|(s0, _, _)| s < s0) {
                    best = Some((s, k, bound));
                }
            }
        }
    }
    let (s, k, bound) = best?;
    let guess: Vec<f64> = xa.iter().zip(&xb).map(|(p, q)| p + s * (q - p)).collect();
    let x = solve_fixed(sc.sys, &guess, k, bound)?;
    // Only a point between the two ends counts (not another branch of the curve).
    let zx = sc.z(&x);
    let span = norm(&zb.iter().zip(za).map(|(p, q)| p - q).collect::<Vec<_>>());
    let off = norm(&zx.iter().zip(za).map(|(p, q)| p - q).collect::<Vec<_>>());
    (off <= 1.5 * span).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit circle in the plane (one equation, two unknowns).
    struct Circle;
    impl System for Circle {
        fn residual(&self, x: &[f64]) -> Option<Vec<f64>> {
            Some(vec![x[0] * x[0] + x[1] * x[1] - 1.0])
        }
        fn scales(&self) -> Vec<f64> {
            vec![1.0, 1.0]
        }
        fn admissible(&self, _: &[f64]) -> bool {
            true
        }
    }

    const STEPS: Steps = Steps {
        h_start: 0.05,
        h_min: 1e-5,
        h_max: 0.1,
        max_steps: 500,
        max_turn: 0.2,
    };

    #[test]
    fn a_circle_closes_and_a_clipped_one_ends_on_the_window() {
        let all = Window {
            lo: [-2.0, -2.0],
            hi: [2.0, 2.0],
        };
        let c = trace(&Circle, &[1.0, 0.0], &all, &STEPS, &mut |_, _| true);
        assert!(c.closed, "{} points", c.points.len());
        for p in &c.points {
            assert!((p[0].hypot(p[1]) - 1.0).abs() < 1e-9);
        }
        // Half window: the arc from (0, -1) to (0, 1) through (1, 0), in order, ending on x = 0.
        let half = Window {
            lo: [0.0, -2.0],
            hi: [2.0, 2.0],
        };
        let c = trace(&Circle, &[1.0, 0.0], &half, &STEPS, &mut |_, _| true);
        assert!(!c.closed);
        let (a, b) = (&c.points[0], &c.points[c.points.len() - 1]);
        assert!(a[0].abs() < 1e-9 && b[0].abs() < 1e-9 && (a[1] * b[1] + 1.0).abs() < 1e-9);
        let angles: Vec<f64> = c.points.iter().map(|p| p[1].atan2(p[0])).collect();
        assert!(angles.windows(2).all(|w| w[1] > w[0]) || angles.windows(2).all(|w| w[1] < w[0]));
    }

    #[test]
    fn null_vector_and_solve_are_right() {
        let t = null_vector(&[vec![1.0, 2.0, 3.0], vec![0.0, 1.0, 1.0]]).unwrap();
        assert!((t[0] + 2.0 * t[1] + 3.0 * t[2]).abs() < 1e-12 && (t[1] + t[2]).abs() < 1e-12);
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(vec![vec![1.0, 1.0], vec![1.0, 1.0]], vec![1.0, 2.0]).is_none());
    }
}
