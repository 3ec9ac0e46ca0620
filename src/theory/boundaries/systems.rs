//! The three kinds of line as curves for [`super::continuation`], each in the unknowns
//! (g, eta, u = ln nu0 [, ω]) with the self-consistency Phi(nu0) = nu0 as one equation, so
//! that the stationary rate is continued with the line and stays on one root.
//! - [`Hopf`]: F(iω) = 0 (two real equations): a mode on the imaginary axis.
//! - [`Fold`]: Phi'(nu0) = 1: two roots meet (saddle-node).
//! - [`RateCut`]: nu0 = a fixed rate (the quiescent threshold of `theory_regime`).
//! - [`CvCut`]: the stationary CV of ISI = the regularity threshold.

use super::branch::at;
use super::continuation::System;
use crate::theory::stability::{StabilityProblem, STEP_SEARCH};
use crate::theory::stationary::{MeanFieldParams, CV_STEPS_TRACE};
use num_complex::Complex64 as C;

/// Lowest rate (Hz) at which a line is still followed.
const NU_MIN_HZ: f64 = 1e-6;
/// Lowest ω (units of 1/τ) of a Hopf line: below it the mode no longer oscillates.
const OMEGA_MIN: f64 = 0.02;
/// Highest ω (units of 1/τ) of a Hopf line.
const OMEGA_MAX: f64 = 2000.0;

/// Phi(nu)/nu − 1 at (g, eta) and nu = e^u.
fn self_consistency(base: &MeanFieldParams, x: &[f64]) -> (MeanFieldParams, f64, f64) {
    let mf = at(base, x[0], x[1]);
    let nu = x[2].exp();
    (mf, nu, mf.transfer_hz(nu) / nu - 1.0)
}

/// The highest rate a root can have: 1/τ_rp (a safe cap without refractoriness).
fn nu_max(base: &MeanFieldParams) -> f64 {
    if base.tau_rp_ms > 0.0 {
        1000.0 / base.tau_rp_ms
    } else {
        5000.0
    }
}

fn rate_ok(base: &MeanFieldParams, u: f64) -> bool {
    let nu = u.exp();
    nu >= NU_MIN_HZ && nu < nu_max(base)
}

/// A mode on the imaginary axis: unknowns (g, eta, ln nu0, ω), ω in units of 1/τ.
pub(super) struct Hopf<'a> {
    pub base: &'a MeanFieldParams,
    /// ω at the start (its scale for the step length).
    pub omega_scale: f64,
}

impl System for Hopf<'_> {
    fn residual(&self, x: &[f64]) -> Option<Vec<f64>> {
        // The march's cost grows with ω (its step shrinks like 1/√ω): stay where the root
        // search of `stability` looks (|λ| ≤ 2000).
        if !(x[3] > 0.0 && x[3] <= OMEGA_MAX) || !rate_ok(self.base, x[2]) {
            return None;
        }
        let (mf, nu, sc) = self_consistency(self.base, x);
        let prob = StabilityProblem::new(&mf, nu, self.base.d_ms);
        if !(prob.y_theta.is_finite() && prob.y_r.is_finite()) {
            return None;
        }
        let f = prob.characteristic_with_step(C::new(0.0, x[3]), STEP_SEARCH);
        Some(vec![sc, f.re, f.im])
    }
    fn scales(&self) -> Vec<f64> {
        vec![2.0, 1.0, 4.0, self.omega_scale.max(1.0)]
    }
    fn admissible(&self, x: &[f64]) -> bool {
        rate_ok(self.base, x[2]) && x[3] > OMEGA_MIN
    }
}

/// Two stationary roots meeting: unknowns (g, eta, ln nu).
pub(super) struct Fold<'a> {
    pub base: &'a MeanFieldParams,
}

/// Relative step of the central difference for Phi'.
const DNU: f64 = 1e-5;

impl System for Fold<'_> {
    fn residual(&self, x: &[f64]) -> Option<Vec<f64>> {
        let nu = x[2].exp();
        if !(nu > 1e-12 && nu < 10.0 * nu_max(self.base)) {
            return None;
        }
        let (mf, nu, sc) = self_consistency(self.base, x);
        let slope = (mf.transfer_hz(nu * (1.0 + DNU)) - mf.transfer_hz(nu * (1.0 - DNU)))
            / (2.0 * DNU * nu);
        Some(vec![sc, slope - 1.0])
    }
    fn scales(&self) -> Vec<f64> {
        vec![2.0, 1.0, 4.0]
    }
    fn admissible(&self, x: &[f64]) -> bool {
        rate_ok(self.base, x[2])
    }
}

/// A fixed stationary rate: unknowns (g, eta, ln nu).
pub(super) struct RateCut<'a> {
    pub base: &'a MeanFieldParams,
    pub rate_hz: f64,
}

impl System for RateCut<'_> {
    fn residual(&self, x: &[f64]) -> Option<Vec<f64>> {
        let (_, _, sc) = self_consistency(self.base, x);
        Some(vec![sc, x[2] - self.rate_hz.ln()])
    }
    fn scales(&self) -> Vec<f64> {
        vec![2.0, 1.0, 4.0]
    }
    fn admissible(&self, x: &[f64]) -> bool {
        rate_ok(self.base, x[2])
    }
}

/// The stationary CV of ISI at a fixed value: unknowns (g, eta, ln nu).
pub(super) struct CvCut<'a> {
    pub base: &'a MeanFieldParams,
    /// The regularity threshold (> 0).
    pub cv: f64,
}

/// The stationary CV at (g, eta) and nu0 = e^u on the tracing's coarse panels (within 1e-9
/// of the default, `stationary.rs`); None where it is undefined.
pub(super) fn cv_at(base: &MeanFieldParams, g: f64, eta: f64, nu: f64) -> Option<f64> {
    let mf = at(base, g, eta);
    let (mu, sigma) = mf.mu_sigma(nu);
    let cv = mf.cv_isi_with(nu, mu, sigma, CV_STEPS_TRACE);
    (cv.is_finite() && cv > 0.0).then_some(cv)
}

impl System for CvCut<'_> {
    fn residual(&self, x: &[f64]) -> Option<Vec<f64>> {
        if !rate_ok(self.base, x[2]) {
            return None;
        }
        let (_, nu, sc) = self_consistency(self.base, x);
        let cv = cv_at(self.base, x[0], x[1], nu)?;
        Some(vec![sc, (cv / self.cv).ln()])
    }
    fn scales(&self) -> Vec<f64> {
        vec![2.0, 1.0, 4.0]
    }
    fn admissible(&self, x: &[f64]) -> bool {
        rate_ok(self.base, x[2])
    }
}
