//! Eigenmodes λ (units of 1/τ) of a stationary state, found or followed by Newton on the
//! search march: moving a little in (g, eta) moves each mode a little, so the last point's
//! modes are the next point's starting guesses.

use crate::theory::stability::{start_frequencies, Mode, StabilityProblem, STEP_SEARCH};
use crate::theory::stationary::MeanFieldParams;
use num_complex::Complex64 as C;
use std::f64::consts::PI;

/// Newton from `guess` on the search march; the root in the upper half plane, not λ = 0.
pub(super) fn newton_mode(prob: &StabilityProblem, guess: C) -> Option<C> {
    newton_capped(prob, guess, 30)
}

/// Newton from the mode of a nearby point (at most 15 iterations).
pub(super) fn newton_near(prob: &StabilityProblem, guess: C) -> Option<C> {
    newton_capped(prob, guess, 15)
}

/// [`newton_mode`] with at most `max_iter` iterations (a guess from a nearby point
/// converges in a few; one that does not has lost its mode).
fn newton_capped(prob: &StabilityProblem, guess: C, max_iter: usize) -> Option<C> {
    let z = prob.newton_with_step(guess, STEP_SEARCH, 1e-9, max_iter)?;
    let z = C::new(z.re, z.im.abs());
    (z.norm() > 1e-6).then_some(z)
}

/// Whether `z` is already in `list`.
pub(super) fn contains(list: &[C], z: C) -> bool {
    list.iter()
        .any(|r| (r - z).norm() <= 1e-6 * (1.0 + z.norm()))
}

/// The roots Newton reaches from each guess (a mode of a nearby point), each once.
pub(super) fn follow(prob: &StabilityProblem, guesses: impl IntoIterator<Item = C>) -> Vec<C> {
    collect(prob, guesses, 15)
}

/// The roots Newton reaches from each guess in `max_iter` iterations, each once.
fn collect(
    prob: &StabilityProblem,
    guesses: impl IntoIterator<Item = C>,
    max_iter: usize,
) -> Vec<C> {
    let mut out: Vec<C> = Vec::new();
    for g in guesses {
        if let Some(z) = newton_capped(prob, g, max_iter) {
            if !contains(&out, z) {
                out.push(z);
            }
        }
    }
    out
}

/// The modes Newton reaches from the starting points of `eigenvalues` (its start
/// frequencies, on the axis and at Re λ = −0.5), on the search march only: the same roots at
/// a third of the cost (about 10 ms).
pub(super) fn search(mf: &MeanFieldParams, nu0_hz: f64, d_ms: f64) -> Vec<C> {
    let prob = StabilityProblem::new(mf, nu0_hz, d_ms);
    if !(prob.y_theta.is_finite() && prob.y_r.is_finite() && nu0_hz > 0.0) {
        return Vec::new();
    }
    let starts = start_frequencies(d_ms).into_iter().flat_map(|f| {
        let w = 2.0 * PI * f * prob.tau_s;
        [C::new(0.0, w), C::new(-0.5, w)]
    });
    collect(&prob, starts, 30)
}

/// The modes as [`Mode`]s (for `theory_regime`).
pub(super) fn as_modes(prob: &StabilityProblem, list: &[C]) -> Vec<Mode> {
    list.iter().map(|&z| prob.mode(z)).collect()
}
