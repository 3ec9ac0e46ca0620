//! The stationary state the lines follow: the lowest stable root of the mean field at each
//! (g, eta), the same state `brunel theory` labels, and how to keep to one root when moving.

use crate::theory::stationary::{MeanFieldParams, StationaryRate};

/// `base` with inhibition `g` and drive `eta` (nu_ext = eta·nu_thr); everything else kept.
pub(super) fn at(base: &MeanFieldParams, g: f64, eta: f64) -> MeanFieldParams {
    let mut m = *base;
    m.g = g;
    m.nu_ext_hz = eta * base.nu_thr_hz();
    m
}

/// The lowest root that is stable under the rate dynamics (the state `brunel theory` and its
/// JSON call principal).
pub(super) fn lowest_stable(roots: &[StationaryRate]) -> Option<f64> {
    roots.iter().find(|r| r.stable).map(|r| r.rate_hz)
}

/// Phi(nu)/nu − 1: positive below a stable root, negative above it.
fn excess(mf: &MeanFieldParams, nu: f64) -> f64 {
    mf.transfer_hz(nu) / nu - 1.0
}

/// The stable root of `mf` near `guess_hz` (a bracket within a factor 1.5 of it), to
/// 1e-11 relative; None where there is none (the root vanished in a saddle-node).
pub(super) fn follow_root(mf: &MeanFieldParams, guess_hz: f64) -> Option<f64> {
    if !(guess_hz > 0.0 && guess_hz.is_finite()) {
        return None;
    }
    let mut bracket = None;
    for r in [1.01, 1.05, 1.15, 1.5] {
        let (a, b) = (guess_hz / r, guess_hz * r);
        let (fa, fb) = (excess(mf, a), excess(mf, b));
        if fa > 0.0 && fb < 0.0 {
            bracket = Some((a.ln(), b.ln(), fa, fb));
            break;
        }
    }
    let (mut a, mut b, mut fa, mut fb) = bracket?;
    // Illinois regula falsi in ln nu.
    let mut side = 0;
    for _ in 0..100 {
        let m = (a * fb - b * fa) / (fb - fa);
        let m = if m.is_finite() && m > a && m < b {
            m
        } else {
            0.5 * (a + b)
        };
        let fm = excess(mf, m.exp());
        if fm > 0.0 {
            a = m;
            fa = fm;
            if side == 1 {
                fb *= 0.5;
            }
            side = 1;
        } else {
            b = m;
            fb = fm;
            if side == -1 {
                fa *= 0.5;
            }
            side = -1;
        }
        if b - a < 1e-11 {
            break;
        }
    }
    Some((0.5 * (a + b)).exp())
}

/// The stable root `nu_a` at (g_a, eta_a) followed along the straight path to (g, eta), in
/// steps of 1/8 of the way, halved down to 1/1024 where the root moves fast; None where it
/// vanishes (or moves faster still).
pub(super) fn follow_along(
    base: &MeanFieldParams,
    (ga, ea, na): (f64, f64, f64),
    (g, eta): (f64, f64),
) -> Option<f64> {
    if !(na > 0.0) {
        return None;
    }
    let (mut s, mut ds, mut nu) = (0.0f64, 0.125f64, na);
    // Bounded: each pass advances s or halves ds, and ds has a floor.
    for _ in 0..400 {
        if s >= 1.0 {
            return Some(nu);
        }
        let t = (s + ds).min(1.0);
        match follow_root(&at(base, ga + t * (g - ga), ea + t * (eta - ea)), nu) {
            Some(v) => {
                nu = v;
                s = t;
                ds = (ds * 2.0).min(0.125);
            }
            None if ds > 1.0 / 1024.0 => ds *= 0.5,
            None => return None,
        }
    }
    None
}

/// Whether the stable roots `nu_a` at (g_a, eta_a) and `nu_b` at (g_b, eta_b) are one
/// continuous root: followed from a ([`follow_along`]), it arrives at b.
pub(super) fn same_branch(base: &MeanFieldParams, a: (f64, f64, f64), b: (f64, f64, f64)) -> bool {
    let (gb, eb, nb) = b;
    if !(a.2 > 0.0 && nb > 0.0) {
        return a.2 == nb;
    }
    follow_along(base, a, (gb, eb)).is_some_and(|nu| (nu - nb).abs() <= 1e-6 * nb)
}
