//! Linear stability of the stationary state of Brunel's model A (Brunel & Hakim 1999, Neural
//! Comput. 11:1621, §3–4; Brunel 2000, J. Comput. Neurosci. 8:183, §5 and Appendix A).
//!
//! Time is in units of the membrane time constant τ, so λ is dimensionless and the delay D and
//! the refractory period τ_rp enter as D/τ and τ_rp/τ. With y = (V − μ0)/σ0 and
//! ν = ν0(1 + n(t)), the rescaled density obeys
//! τ∂_tQ = ½Q'' + (yQ)' + n(t − D)(G·Q' + (H/2)·Q''), where (Brunel 2000 eqs. (A.5)–(A.6))
//! - G = C_E·J·τ·ν0·(gγ − 1)/σ0: the shift of the mean input μ by a rate change (δμ = −Gσ0·n),
//! - H = C_E·J²·τ·ν0·(1 + g²γ)/σ0²: the change of the input variance (δσ² = Hσ0²·n).
//!
//! Eigenmodes ∝ e^{λt}. The homogeneous equation ½φ'' + yφ' + (1 − λ)φ = 0 has the solution φ2
//! that vanishes as y → −∞, φ2 ∝ e^{−y²/2}·D_{−λ}(−√2·y) (parabolic cylinder function). The
//! particular solution of the forced equation is G·P0'/(1 + λ) + H·P0''/(2(2 + λ)); the free
//! constants follow from the flux conditions at threshold (the output rate n) and at reset
//! (reinjection after τ_rp). Eliminating them gives the eigenvalue condition (Brunel 2000,
//! Appendix A, written there for λ = iω; the derivation holds for complex λ):
//!
//! 1 − H·e^{−λD} − R(λ)·[e^{−λτ_rp} − H·e^{−λD}] = S(y_θ, λ) − R(λ)·S(y_r, λ), with
//! - ψ = φ2'/φ2,
//! - R(λ) = exp(y_r² − y_θ² + ∫_{y_θ}^{y_r} ψ dy) = e^{y_r² − y_θ²}·φ2(y_r)/φ2(y_θ): the
//!   ratio of the homogeneous solution (times the stationary e^{y²} weight) at reset and threshold,
//! - S(y, λ) = e^{−λD}·[G·(−ψ − 2y)/(1 + λ) + H·(y·ψ − 2(1 − y²))/(2 + λ)]: the flux of the
//!   particular solution (the G term from P0', the H term from P0''), delayed by D.
//!
//! **λ = 0 satisfies it identically** (ψ = −2y, R = 1, both S = −H): it is the normalisation
//! mode, not a dynamical one, and is rejected by the root search (checked in the tests).
//!
//! ## Computing ψ without special functions
//! Writing φ2 = e^{−y²}·w turns the homogeneous equation into w'' = 2y·w' + 2λ·w, whose wanted
//! solution is algebraic at −∞ (w ≈ (−y)^{−λ}, i.e. ψ ≈ −2y − λ/y, from D_ν(z) ≈ z^ν e^{−z²/4}),
//! while the unwanted one grows like e^{y²} towards −∞ and therefore *decays* by e^{−(y0² − y²)}
//! when we march forward: the starting error at y0 = −12 is damped by e^{−100} or more before
//! the reset. We integrate the linear pair (w, w') with RK4 (so zeros of φ2, the poles of the
//! Riccati ψ' = −ψ² − 2yψ − 2(1 − λ), need no special care), rescaling w on the way (its
//! log-magnitude is kept separately). Then ψ = w'/w − 2y, R = w(y_r)/w(y_θ), −ψ − 2y = −w'/w and
//! yψ − 2(1 − y²) = y·w'/w − 2.

use super::spectrum::{spectrum_peak, SpectrumPeak};
use super::stationary::{MeanFieldParams, StationaryState};
use crate::regime::{is_regular, Regime};
use num_complex::Complex64 as C;
use serde::Serialize;
use std::f64::consts::PI;

/// Where the forward march starts unless the reset lies lower.
const Y_START: f64 = -12.0;
/// Below this the reset is reached by the asymptotic form w ≈ (−y)^{−λ}(1 − λ(λ+1)/(4y²)),
/// not by marching (a reset at −1e308 σ costs nothing; relative error ~|λ|⁴/(32y⁴)).
const Y_ASYMPTOTIC: f64 = -60.0;

/// The wanted solution w (φ2 = e^{−y²}·w) at one point: w·e^{ln_scale} and w'·e^{ln_scale}.
#[derive(Debug, Clone, Copy)]
struct WAt {
    w: C,
    dw: C,
    ln_scale: f64,
}

impl WAt {
    /// w'/w = ψ + 2y.
    fn chi(&self) -> C {
        self.dw / self.w
    }
}

/// w(y)·e^{ln} ≈ (−y)^{−λ}·(1 − λ(λ+1)/(4y²) + λ(λ+1)(λ+2)(λ+3)/(32y⁴)) for y ≪ −√|λ|
/// (the large-argument series of D_{−λ}), with its derivative.
fn asymptotic(y: f64, lambda: C) -> WAt {
    let x2 = y * y;
    let l1 = lambda * (lambda + 1.0);
    let l2 = l1 * (lambda + 2.0) * (lambda + 3.0);
    let series = 1.0 - l1 / (4.0 * x2) + l2 / (32.0 * x2 * x2);
    // d/dy of the series: l1/(2y³) − l2/(8y⁵).
    let dseries = l1 / (2.0 * x2 * y) - l2 / (8.0 * x2 * x2 * y);
    let lny = (-y).ln();
    let pow = -lambda * lny; // ln (−y)^{−λ}
    let ln_scale = pow.re;
    let phase = C::new(0.0, pow.im).exp();
    // d/dy (−y)^{−λ} = −λ/y · (−y)^{−λ}
    let w = phase * series;
    let dw = phase * (-lambda / y * series + dseries);
    WAt { w, dw, ln_scale }
}

/// The wanted solution at each of `targets` (ascending), marching with RK4 of step at most `h`.
fn march(lambda: C, targets: &[f64], h: f64) -> Vec<WAt> {
    let mut out = Vec::with_capacity(targets.len());
    let mut rest = targets;
    // Targets below Y_ASYMPTOTIC: closed form; the march starts at Y_ASYMPTOTIC then.
    while let Some((&t, tail)) = rest.split_first() {
        if t < Y_ASYMPTOTIC {
            out.push(asymptotic(t, lambda));
            rest = tail;
        } else {
            break;
        }
    }
    if rest.is_empty() {
        return out;
    }
    let mut y = if out.is_empty() {
        Y_START.min(rest[0] - 2.0).max(Y_ASYMPTOTIC)
    } else {
        Y_ASYMPTOTIC
    };
    let mut s = asymptotic(y, lambda);
    // Accuracy: w oscillates on the scale 1/√(2|λ|); stability: the discarded solution decays
    // at rate 2|y|, and RK4 needs h·2|y| < 2.7.
    let h_acc = h.min(0.2 / (2.0 * lambda.norm() + 1.0).sqrt());
    let f = |y: f64, w: C, dw: C| (dw, 2.0 * y * dw + 2.0 * lambda * w);
    for &t in rest {
        let span = t - y;
        if span > 0.0 {
            let h_stab = 1.0 / (2.0 * y.abs().max(t.abs()) + 1.0);
            let n = (span / h_acc.min(h_stab)).ceil().max(1.0) as usize;
            let dy = span / n as f64;
            let (mut w, mut dw) = (s.w, s.dw);
            for k in 0..n {
                let y0 = y + k as f64 * dy;
                let (k1w, k1d) = f(y0, w, dw);
                let (k2w, k2d) = f(y0 + 0.5 * dy, w + 0.5 * dy * k1w, dw + 0.5 * dy * k1d);
                let (k3w, k3d) = f(y0 + 0.5 * dy, w + 0.5 * dy * k2w, dw + 0.5 * dy * k2d);
                let (k4w, k4d) = f(y0 + dy, w + dy * k3w, dw + dy * k3d);
                w += dy / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w);
                dw += dy / 6.0 * (k1d + 2.0 * k2d + 2.0 * k3d + k4d);
                // |w|² first (no hypot): the exact norm only when a rescale may be due.
                let m2 = w.norm_sqr().max(dw.norm_sqr());
                if (1e-200..=1e200).contains(&m2) {
                    continue;
                }
                let m = w.norm().max(dw.norm());
                if !(1e-100..=1e100).contains(&m) && m > 0.0 && m.is_finite() {
                    w /= m;
                    dw /= m;
                    s.ln_scale += m.ln();
                }
            }
            s.w = w;
            s.dw = dw;
            y = t;
        }
        out.push(s);
    }
    out
}

/// ψ(y; λ) = φ2'/φ2 = d/dy ln(e^{−y²/2}·D_{−λ}(−√2·y)), by the forward march (step ≤ `h`).
pub fn psi_with_step(y: f64, lambda: C, h: f64) -> C {
    let s = march(lambda, &[y], h)[0];
    s.chi() - 2.0 * y
}

/// ψ(y; λ) at the default step: within 2e-9 relative of mpmath's D_ν up to |λ| = 160, 1e-11 at
/// |λ| ≈ 4 (`tests/stability_vs_mpmath.rs` and the step-halving test here).
pub fn psi(y: f64, lambda: C) -> C {
    psi_with_step(y, lambda, STEP)
}

/// Default RK4 step in y.
const STEP: f64 = 0.004;

/// Everything the eigenvalue condition needs at one stationary state, in units of τ.
#[derive(Debug, Clone, Copy)]
pub struct StabilityProblem {
    pub y_theta: f64,
    pub y_r: f64,
    /// Mean-input coupling G and variance coupling H (see the module docs).
    pub g_coupling: f64,
    pub h_coupling: f64,
    /// D/τ and τ_rp/τ.
    pub delay: f64,
    pub refractory: f64,
    /// τ in seconds (to turn λ into 1/s and Hz).
    pub tau_s: f64,
}

impl StabilityProblem {
    /// The problem at stationary rate `nu0_hz` with synaptic delay `d_ms`.
    pub fn new(mf: &MeanFieldParams, nu0_hz: f64, d_ms: f64) -> Self {
        let (mu, sigma) = mf.mu_sigma(nu0_hz);
        let tau = mf.tau_m_ms * 1e-3;
        let gamma = mf.c_i / mf.c_e;
        Self {
            y_theta: (mf.theta_mv - mu) / sigma,
            y_r: (mf.v_r_mv - mu) / sigma,
            g_coupling: mf.c_e * mf.j_mv * tau * nu0_hz * (mf.g * gamma - 1.0) / sigma,
            h_coupling: mf.c_e * mf.j_mv * mf.j_mv * tau * nu0_hz * (1.0 + mf.g * mf.g * gamma)
                / (sigma * sigma),
            delay: d_ms / mf.tau_m_ms,
            refractory: mf.tau_rp_ms / mf.tau_m_ms,
            tau_s: tau,
        }
    }

    /// F(λ) = 1 − H e^{−λD} − R(λ)[e^{−λτ_rp} − H e^{−λD}] − S(y_θ, λ) + R(λ) S(y_r, λ):
    /// zero at the eigenvalues (and identically at λ = 0).
    pub fn characteristic(&self, lambda: C) -> C {
        self.characteristic_with_step(lambda, STEP)
    }

    pub fn characteristic_with_step(&self, lambda: C, h: f64) -> C {
        let at = march(lambda, &[self.y_r, self.y_theta], h);
        let (r_at, th_at) = (at[0], at[1]);
        // R = e^{y_r² − y_θ²}·φ2(y_r)/φ2(y_θ) = w(y_r)/w(y_θ).
        let r = r_at.w / th_at.w * (r_at.ln_scale - th_at.ln_scale).exp();
        let e_d = (-lambda * self.delay).exp();
        let (g, hh) = (self.g_coupling, self.h_coupling);
        // S(y) = e^{−λD}[G(−ψ − 2y)/(1 + λ) + H(yψ − 2(1 − y²))/(2 + λ)], with ψ + 2y = w'/w.
        let s = |y: f64, chi: C| {
            e_d * (-g * chi / (1.0 + lambda) + hh * (y * chi - 2.0) / (2.0 + lambda))
        };
        let s_th = s(self.y_theta, th_at.chi());
        let s_r = s(self.y_r, r_at.chi());
        1.0 - hh * e_d - r * ((-lambda * self.refractory).exp() - hh * e_d) - s_th + r * s_r
    }

    /// The characteristic function taken apart by its couplings: F(λ) = Φ0 + G·per_g + H·per_h
    /// (F is affine in G and H), with Φ0 = 1 − R·e^{−λτ_rp} the single neuron's condition
    /// and R(λ) itself. What the finite-size spectrum needs (`theory::spectrum`): the
    /// open-loop gain of each input channel is −(coupling)·per_x/Φ0.
    pub fn loop_parts(&self, lambda: C) -> LoopParts {
        let at = march(lambda, &[self.y_r, self.y_theta], STEP);
        let (r_at, th_at) = (at[0], at[1]);
        let r = r_at.w / th_at.w * (r_at.ln_scale - th_at.ln_scale).exp();
        let e_d = (-lambda * self.delay).exp();
        let (chi_th, chi_r) = (th_at.chi(), r_at.chi());
        let per_g = e_d * (chi_th - r * chi_r) / (1.0 + lambda);
        let per_h = e_d * (r - 1.0)
            + e_d * (r * (self.y_r * chi_r - 2.0) - (self.y_theta * chi_th - 2.0)) / (2.0 + lambda);
        LoopParts {
            r,
            phi0: 1.0 - r * (-lambda * self.refractory).exp(),
            per_g,
            per_h,
        }
    }

    /// λ (units of 1/τ) as a [`Mode`].
    pub fn mode(&self, lambda: C) -> Mode {
        Mode {
            growth_per_s: lambda.re / self.tau_s,
            frequency_hz: lambda.im.abs() / (2.0 * PI * self.tau_s),
        }
    }

    /// Complex Newton from `start` (derivative by central differences, F being analytic);
    /// the root when it converges with |F| < [`F_TOL`], else None. The search runs on a coarse
    /// march (step [`STEP_SEARCH`], ψ to ~1e-7), the last iterations at the default step.
    pub fn newton(&self, start: C) -> Option<C> {
        let z = self.newton_with_step(start, STEP_SEARCH, 1e-9, 60)?;
        let z = self.newton_with_step(z, STEP, 1e-12, 10)?;
        let fz = self.characteristic(z);
        (fz.norm() < F_TOL).then_some(z)
    }

    /// Newton iterations on the march of step `h` until a step shorter than `tol`·(1 + |λ|);
    /// None if it leaves the sensible region or does not converge in `max_iter`.
    pub(crate) fn newton_with_step(
        &self,
        start: C,
        h: f64,
        tol: f64,
        max_iter: usize,
    ) -> Option<C> {
        let mut z = start;
        for _ in 0..max_iter {
            let fz = self.characteristic_with_step(z, h);
            let dh = 1e-6 * (1.0 + z.norm());
            let d = (self.characteristic_with_step(z + dh, h)
                - self.characteristic_with_step(z - dh, h))
                / (2.0 * dh);
            if !(fz.is_finite() && d.is_finite()) || d.norm() == 0.0 {
                return None;
            }
            let mut step = fz / d;
            // Damped: no jump longer than half the distance to the origin (plus one).
            let cap = 0.5 * z.norm() + 1.0;
            if step.norm() > cap {
                step *= cap / step.norm();
            }
            z -= step;
            // Leave regions where the condition is meaningless (poles at λ = −1, −2; e^{−λD}
            // overflows far left).
            if z.re < -40.0 || z.norm() > 2000.0 {
                return None;
            }
            if step.norm() < tol * (1.0 + z.norm()) {
                return Some(z);
            }
        }
        None
    }
}

/// [`StabilityProblem::loop_parts`]: F(λ) = phi0 + G·per_g + H·per_h.
#[derive(Debug, Clone, Copy)]
pub struct LoopParts {
    /// R(λ) = w(y_r)/w(y_θ).
    pub r: C,
    /// 1 − R·e^{−λτ_rp}: zero at the eigenvalues of an uncoupled neuron.
    pub phi0: C,
    /// ∂F/∂G and ∂F/∂H.
    pub per_g: C,
    pub per_h: C,
}

/// RK4 step of the march while searching (ψ within ~1e-7 relative up to |λ| = 160).
pub(crate) const STEP_SEARCH: f64 = 0.012;

/// |F| accepted at a root (F is O(1) away from roots; Newton reaches ~1e-13).
pub const F_TOL: f64 = 1e-9;

/// One eigenmode of the linearised dynamics: e^{(growth + 2πi·f)t}.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mode {
    /// Re λ/τ (1/s): positive means the stationary state is unstable to this mode.
    pub growth_per_s: f64,
    /// |Im λ|/(2πτ) (Hz).
    pub frequency_hz: f64,
}

/// Starting frequencies (Hz) of the root search: the slow branch, the fast branch around
/// 1/(4D)–1/(3D), the AI state's damped ~100–130 Hz ripple, and the k/D branches.
pub(crate) fn start_frequencies(d_ms: f64) -> Vec<f64> {
    let d = d_ms * 1e-3;
    let mut f = vec![5.0, 15.0, 25.0, 40.0, 60.0, 90.0, 120.0];
    f.extend([
        1.0 / (5.0 * d),
        1.0 / (4.0 * d),
        1.0 / (3.0 * d),
        1.0 / (2.0 * d),
    ]);
    for k in 1..=3 {
        f.push(k as f64 / d);
    }
    f
}

/// The eigenvalues found near the imaginary axis at stationary rate `nu0_hz` (delay `d_ms`),
/// fastest-growing first. λ = 0 (the normalisation mode) and complex conjugates are dropped;
/// a root counts once. Complex Newton from each start of [`start_frequencies`] (on the
/// imaginary axis and slightly to the left of it); this finds the leading modes the paper
/// discusses, not a proof that no other root lies to the right.
pub fn eigenvalues(mf: &MeanFieldParams, nu0_hz: f64, d_ms: f64) -> Vec<Mode> {
    let prob = StabilityProblem::new(mf, nu0_hz, d_ms);
    if !(prob.y_theta.is_finite() && prob.y_r.is_finite() && nu0_hz > 0.0) {
        return Vec::new();
    }
    let mut roots: Vec<C> = Vec::new();
    for f in start_frequencies(d_ms) {
        let w = 2.0 * PI * f * prob.tau_s;
        for re in [0.0, -0.5] {
            let Some(z) = prob.newton(C::new(re, w)) else {
                continue;
            };
            let z = C::new(z.re, z.im.abs());
            if z.norm() < 1e-6 {
                continue; // the trivial root λ = 0
            }
            if roots
                .iter()
                .all(|r| (r - z).norm() > 1e-6 * (1.0 + z.norm()))
            {
                roots.push(z);
            }
        }
    }
    let mut modes: Vec<Mode> = roots.iter().map(|&z| prob.mode(z)).collect();
    modes.sort_by(|a, b| b.growth_per_s.total_cmp(&a.growth_per_s));
    modes
}

/// Below this stationary rate (Hz) the theory label is quiescent-like (the simulations'
/// classifier uses the same 0.2 Hz by default; the theory does not read it).
pub const THEORY_QUIESCENT_MAX_HZ: f64 = 0.2;
/// An unstable oscillatory mode at or above this frequency (Hz) is SI-fast, below it SI-slow
/// (the classifier's default `si_fast_min_hz`; Brunel's slow modes lie at 20–40 Hz, the fast
/// ones at 1/(4D)–1/(3D), 170–220 Hz at D = 1.5 ms).
pub const THEORY_SI_FAST_MIN_HZ: f64 = 80.0;
/// An unstable mode at or above this many times 1/D is one of the k/D modes: SR.
pub const THEORY_SR_MIN_FREQ_TIMES_D: f64 = 0.6;

/// Brunel's label of a stationary state on the two axes of [`crate::regime`], from its rate,
/// its stationary CV of ISI and its modes (from [`eigenvalues`]):
/// - quiescent-like below [`THEORY_QUIESCENT_MAX_HZ`];
/// - *synchronous* when a mode grows; the fastest-growing one says which: one of the
///   high-frequency k/D family (f ≥ 0.6/D), which destabilises the high-rate branch where
///   neurons fire almost regularly in clusters, is SR; otherwise SI-fast (f ≥ 80 Hz) or
///   SI-slow. A growing mode that does not oscillate (f < 1 Hz: the rate instability of a
///   middle root) is `Unclassified`: such a state is no attractor;
/// - *asynchronous* when every mode decays: AR when the CV is regular
///   ([`crate::regime::is_regular`] against `regular_max_cv`, the classifier's shared
///   threshold and the only one the theory reads), else AI; a NaN CV is `Unclassified`;
/// - `Unclassified` where the root search found no mode at all (no claim of stability).
///
/// No rate cut: the SR side is the k/D Hopf line, as `brunel theory --boundaries` traces it.
pub fn theory_regime(
    nu0_hz: f64,
    cv_isi: f64,
    d_ms: f64,
    modes: &[Mode],
    regular_max_cv: f64,
) -> Regime {
    if !(nu0_hz >= THEORY_QUIESCENT_MAX_HZ) {
        return Regime::Quiescent;
    }
    if modes.is_empty() {
        // The root search found nothing: no claim of stability.
        return Regime::Unclassified;
    }
    let Some(top) = modes
        .iter()
        .filter(|m| m.growth_per_s > 0.0)
        .max_by(|a, b| a.growth_per_s.total_cmp(&b.growth_per_s))
    else {
        return if cv_isi.is_nan() {
            Regime::Unclassified
        } else {
            Regime::asynchronous(is_regular(cv_isi, regular_max_cv))
        };
    };
    if top.frequency_hz < 1.0 {
        Regime::Unclassified
    } else if top.frequency_hz * d_ms * 1e-3 >= THEORY_SR_MIN_FREQ_TIMES_D {
        Regime::SR
    } else if top.frequency_hz >= THEORY_SI_FAST_MIN_HZ {
        Regime::SIFast
    } else {
        Regime::SISlow
    }
}

/// The linear stability of one stationary state: its modes (fastest-growing first), the
/// leading one, Brunel's label, and why the search gave nothing when it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stability {
    pub rate_hz: f64,
    pub modes: Vec<Mode>,
    pub regime: Regime,
    /// The largest peak of the finite network's population spectrum in this state
    /// ([`super::spectrum::spectrum_peak`]); None unless every mode decays.
    pub peak: Option<SpectrumPeak>,
    /// Empty, or why no mode was found (the row then carries NaN growth and frequency).
    pub note: String,
}

impl Stability {
    /// The fastest-growing mode, if any was found.
    pub fn leading(&self) -> Option<Mode> {
        self.modes
            .iter()
            .copied()
            .max_by(|a, b| a.growth_per_s.total_cmp(&b.growth_per_s))
    }
}

/// [`eigenvalues`], [`theory_regime`] and, for an asynchronous state, the spectrum's peak of
/// the stationary state `state`, with the delay of `mf` and the regularity threshold
/// `regular_max_cv`.
pub fn analyse(mf: &MeanFieldParams, state: &StationaryState, regular_max_cv: f64) -> Stability {
    let nu0_hz = state.rate_hz;
    // A quiescent state's label needs no modes (and its perturbations carry no rate).
    let modes = if nu0_hz >= THEORY_QUIESCENT_MAX_HZ {
        eigenvalues(mf, nu0_hz, mf.d_ms)
    } else {
        vec![]
    };
    let regime = theory_regime(nu0_hz, state.cv_isi, mf.d_ms, &modes, regular_max_cv);
    let peak = if nu0_hz >= THEORY_QUIESCENT_MAX_HZ {
        spectrum_peak(mf, nu0_hz, &modes)
    } else {
        None
    };
    let note = if modes.is_empty() && nu0_hz >= THEORY_QUIESCENT_MAX_HZ {
        "the root search found no eigenvalue".to_string()
    } else {
        String::new()
    };
    Stability {
        rate_hz: nu0_hz,
        modes,
        regime,
        peak,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::brunel::MODEL;
    use crate::theory::stationary_states;

    /// The model's defaults (D = 1.5 ms, V_r = 10 mV) at (g, η), and the top stable state.
    fn state(g: f64, eta: f64) -> (MeanFieldParams, StationaryState) {
        let p = MODEL
            .with_assignments(&[format!("g={g}"), format!("eta={eta}")])
            .unwrap();
        let mf = MeanFieldParams::from_brunel(&p);
        let top = *stationary_states(&mf)
            .iter()
            .filter(|s| s.stable)
            .last()
            .unwrap();
        (mf, top)
    }

    /// [`state`]'s parameters and rate.
    fn point(g: f64, eta: f64) -> (MeanFieldParams, f64) {
        let (mf, s) = state(g, eta);
        (mf, s.rate_hz)
    }

    /// The label of the top stable state at (g, η) with the default CV threshold.
    fn label(g: f64, eta: f64) -> Regime {
        let (mf, s) = state(g, eta);
        analyse(&mf, &s, crate::regime::DEFAULT_REGULAR_MAX_CV).regime
    }

    #[test]
    fn table_1_of_brunel_2000_is_reproduced() {
        // Brunel (2000) Table 1, theory column (D = 1.5 ms, V_r = 10 mV): B (6, 4) unstable at
        // ≈ 190 Hz, C (5, 2) stable, D (4.5, 0.9) unstable at ≈ 29 Hz; tolerance ±2 Hz (the
        // paper quotes whole hertz; issue 11).
        let (mf, nu0) = point(6.0, 4.0);
        let m = eigenvalues(&mf, nu0, 1.5);
        assert!(
            m[0].growth_per_s > 0.0 && (m[0].frequency_hz - 190.0).abs() < 2.0,
            "B: {m:?}"
        );
        assert_eq!(label(6.0, 4.0), Regime::SIFast);

        let (mf, nu0) = point(5.0, 2.0);
        let m = eigenvalues(&mf, nu0, 1.5);
        assert!(
            !m.is_empty() && m.iter().all(|x| x.growth_per_s < 0.0),
            "C: {m:?}"
        );
        // Its leading damped mode is the AI state's ~100–130 Hz ripple (Brunel 2000 §6; the
        // simulations' spectral peak at C is at 120–137 Hz, see `analysis::classify`).
        assert!((100.0..140.0).contains(&m[0].frequency_hz), "C: {m:?}");
        assert_eq!(label(5.0, 2.0), Regime::AI);

        let (mf, nu0) = point(4.5, 0.9);
        let m = eigenvalues(&mf, nu0, 1.5);
        assert!(
            m[0].growth_per_s > 0.0 && (m[0].frequency_hz - 29.0).abs() < 2.0,
            "D: {m:?}"
        );
        assert_eq!(label(4.5, 0.9), Regime::SISlow);

        // A (3, 2), the high-rate branch below balance: the k = 1 mode near 1/D is unstable.
        let (mf, nu0) = point(3.0, 2.0);
        let m = eigenvalues(&mf, nu0, 1.5);
        assert!(
            m[0].growth_per_s > 0.0 && (m[0].frequency_hz - 1000.0 / 1.5).abs() < 30.0,
            "A: {m:?}"
        );
        assert_eq!(label(3.0, 2.0), Regime::SR);
    }

    #[test]
    fn lambda_zero_is_a_root_and_every_returned_mode_is_one() {
        for (g, eta) in [(6.0, 4.0), (5.0, 2.0), (4.5, 0.9), (3.0, 2.0), (8.0, 1.5)] {
            let (mf, nu0) = point(g, eta);
            let prob = StabilityProblem::new(&mf, nu0, 1.5);
            // The notes' identity: F(0) = 0 (exact up to rounding, ψ = −2y there).
            let f0 = prob.characteristic(C::new(0.0, 0.0));
            assert!(f0.norm() < 1e-12, "({g}, {eta}): F(0) = {f0}");
            // … linearly near it (a simple root), not an F that vanishes everywhere.
            let (f1, f2) = (
                prob.characteristic(C::new(0.0, 1e-4)),
                prob.characteristic(C::new(0.0, 2e-4)),
            );
            assert!(
                f1.norm() > 1e-8 && (f2 / f1 - 2.0).norm() < 1e-2,
                "({g}, {eta}): F(1e-4 i) = {f1}, F(2e-4 i) = {f2}"
            );
            assert!(prob.characteristic(C::new(0.0, 3.0)).norm() > 1e-3);
            let modes = eigenvalues(&mf, nu0, 1.5);
            assert!(modes.len() >= 2, "({g}, {eta}): {modes:?}");
            for w in modes.windows(2) {
                assert!(w[0].growth_per_s >= w[1].growth_per_s);
            }
            for m in &modes {
                // The condition at the returned eigenvalue, to the root finder's F_TOL (1e-9;
                // F is O(1) away from roots). Mode → λ loses nothing: τ·(growth + 2πi f).
                let lam = C::new(
                    m.growth_per_s * prob.tau_s,
                    2.0 * PI * m.frequency_hz * prob.tau_s,
                );
                let f = prob.characteristic(lam);
                assert!(f.norm() < F_TOL * 10.0, "({g}, {eta}): F({lam}) = {f}");
                assert!(lam.norm() > 1e-6);
            }
        }
    }

    #[test]
    fn loop_parts_add_up_to_the_characteristic() {
        let (mf, nu0) = point(5.0, 2.0);
        let prob = StabilityProblem::new(&mf, nu0, 1.5);
        for lam in [C::new(0.0, 15.58), C::new(-0.3, 7.54), C::new(0.2, 23.88)] {
            let p = prob.loop_parts(lam);
            let f = p.phi0 + prob.g_coupling * p.per_g + prob.h_coupling * p.per_h;
            let want = prob.characteristic(lam);
            assert!(
                (f - want).norm() < 1e-12 * (1.0 + want.norm()),
                "{lam}: {f} vs {want}"
            );
        }
    }

    #[test]
    fn psi_converges_with_the_step_and_matches_its_asymptotics() {
        // RK4: halving the step four times changes ψ by < 1e-8 relative up to |λ| = 160
        // (the error scales as h⁴; measured 2e-9 at |λ| = 160, 1e-11 at |λ| = 4).
        for (y, l) in [
            (-3.0, C::new(0.5, 3.6)),
            (0.9, C::new(1.03, 23.9)),
            (0.3, C::new(-1.0, 160.0)),
            (2.0, C::new(-2.7, 15.6)),
        ] {
            let a = psi(y, l);
            let b = psi_with_step(y, l, STEP / 4.0);
            assert!(
                (a - b).norm() < 1e-8 * a.norm(),
                "y = {y}, λ = {l}: {a} vs {b}"
            );
        }
        // Far below the reset ψ → −2y − λ/y, and λ = 0 gives ψ = −2y.
        let l = C::new(0.3, 2.0);
        let y = -40.0;
        let want = -2.0 * y - l / y;
        assert!((psi(y, l) - want).norm() < 1e-3 * (l / y).norm());
        assert!((psi(0.7, C::new(0.0, 0.0)) + 1.4).norm() < 1e-12);
        // Extreme resets cost nothing and stay finite.
        assert!(psi(-1e300, l).is_finite() && psi(-1e5, l).is_finite());
    }

    #[test]
    fn regular_states_are_sr_by_their_modes_and_ar_or_ai_by_their_cv() {
        // Issue 17: at g ≤ 3, η ≥ 1 the k/D modes of the high-rate branch grow (SR); at
        // g = 3.5, η 1–2.5 they decay (−9 to −170 /s), so the state is asynchronous, and its
        // CV (0.23–0.36) decides between AR and AI. No rate cut: (3.5, 2.5) fires at 247 Hz.
        for g in [0.0, 1.0, 2.0, 3.0] {
            for eta in [1.0, 2.0, 4.0] {
                assert_eq!(label(g, eta), Regime::SR, "({g}, {eta})");
            }
        }
        for eta in [1.0, 1.5, 2.0, 2.5] {
            let (mf, s) = state(3.5, eta);
            let modes = eigenvalues(&mf, s.rate_hz, mf.d_ms);
            assert!(
                modes.iter().all(|m| m.growth_per_s < 0.0),
                "{eta}: {modes:?}"
            );
            assert_eq!(analyse(&mf, &s, 0.2).regime, Regime::AI, "(3.5, {eta})");
            // The same state with a threshold above its CV is asynchronous regular.
            let above = s.cv_isi + 0.01;
            assert_eq!(analyse(&mf, &s, above).regime, Regime::AR, "(3.5, {eta})");
        }
    }

    #[test]
    fn bad_points_give_a_stated_result() {
        let (mf, _) = point(5.0, 2.0);
        assert!(eigenvalues(&mf, 0.0, 1.5).is_empty());
        assert!(eigenvalues(&mf, f64::NAN, 1.5).is_empty());
        assert_eq!(theory_regime(0.01, 0.9, 1.5, &[], 0.2), Regime::Quiescent);
        assert_eq!(
            theory_regime(f64::NAN, 0.9, 1.5, &[], 0.2),
            Regime::Quiescent
        );
        assert_eq!(
            theory_regime(30.0, 0.9, 1.5, &[], 0.2),
            Regime::Unclassified
        );
        let stable = [Mode {
            growth_per_s: -10.0,
            frequency_hz: 120.0,
        }];
        assert_eq!(
            theory_regime(30.0, f64::NAN, 1.5, &stable, 0.2),
            Regime::Unclassified
        );
        // Near-quiescent state of (5, 0.8): finite, no panic.
        let p = MODEL.with_assignments(&["g=5", "eta=0.8"]).unwrap();
        let mf = MeanFieldParams::from_brunel(&p);
        let s = stationary_states(&mf)[0];
        assert_eq!(analyse(&mf, &s, 0.2).regime, Regime::Quiescent);
    }
}
