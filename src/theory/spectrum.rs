//! The power spectrum of the population activity of a finite network in its stable
//! stationary state (Brunel 2000, Appendix A.5 and §6; Brunel & Hakim 1999 on finite-size
//! effects), by linear response: every neuron's spike train is an independent renewal train
//! of the stationary state plus its response to the activity common to all neurons, which
//! the E and I populations feed back with independent finite-size noise (research note
//! `finite-size-spectrum.md`, §1.5; the structure of Lindner, Doiron & Longtin 2005).
//!
//! At λ = iω (Laplace convention, time in units of τ), with γ = C_I/C_E:
//! - K e^{−λD} and K' e^{−λD}: the open-loop gains of the mean and the variance channel per
//!   unit presynaptic rate, −G₁·∂F/∂G/Φ0 and −H₁·∂F/∂H/Φ0 of the characteristic function F
//!   of `stability` at the unit couplings G₁ = −C_E·J·τ·ν0/σ0, H₁ = C_E·J²·τ·ν0/σ0²
//!   (note §1.4: L = (Φ0 − F)/Φ0, no division by 1 − gγ);
//! - L = (1 − gγ)·K + (1 + g²γ)·K' (times e^{−λD}): the network's loop gain;
//! - the single neuron's spectrum S0 = ν0·(1 − |R|²)/|1 − R·e^{−λτ_rp}|² (Lindner,
//!   Schimansky-Geier & Longtin 2002 in Brunel's variables, note §1.2);
//! - N·S_A/S0 = [1 − |L|² + (1 + γ)·(|K + K'|² + γ·|g²K' − gK|²)] / |1 − L|² (note §1.5,
//!   for N_I/N_E = C_I/C_E = γ, which model brunel's ε·N in-degrees give).
//!
//! The result is N·S_A/ν0: the power of the activity of all N neurons in units of the flat
//! floor ν0/N of independent Poisson neurons. That is the unit of the simulation's
//! `oscillation_strength` (Welch peak over [`crate::analysis::spectrum::Spectrum::poisson_floor`]),
//! and it does not depend on N at fixed C_E, J, g, η. The formula means something only where
//! every mode decays: [`spectrum_peak`] is computed for asynchronous states only.

use super::stability::{Mode, StabilityProblem};
use super::stationary::MeanFieldParams;
use num_complex::Complex64 as C;
use serde::Serialize;
use std::f64::consts::PI;

/// Lowest frequency (Hz) of the peak search: the analysis' default `spectrum_min_hz`.
pub const PEAK_MIN_HZ: f64 = 5.0;
/// Highest frequency (Hz) of the peak search: the Nyquist frequency of the default
/// dt = 0.1 ms, the top of the simulated spectrum. It includes the k/D peaks (≈ 670 Hz and
/// up at D = 1.5 ms), the least damped modes of the high-rate states near g = 3.5.
pub const PEAK_MAX_HZ: f64 = 5000.0;

/// The largest peak of the theory's spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpectrumPeak {
    /// Its frequency (Hz).
    pub frequency_hz: f64,
    /// N·S_A/ν0 there: the power in units of the Poisson floor (as `oscillation_strength`).
    pub power: f64,
}

/// The spectrum of one stationary state, evaluated frequency by frequency.
pub struct FiniteSizeSpectrum {
    prob: StabilityProblem,
    /// Unit couplings G₁, H₁ (see the module docs).
    g_unit: f64,
    h_unit: f64,
    g: f64,
    gamma: f64,
}

impl FiniteSizeSpectrum {
    /// The state of `mf` at rate `nu0_hz`; None where its input is degenerate (σ0 = 0, no
    /// rate, non-finite numbers).
    pub fn new(mf: &MeanFieldParams, nu0_hz: f64) -> Option<Self> {
        let (_, sigma) = mf.mu_sigma(nu0_hz);
        let prob = StabilityProblem::new(mf, nu0_hz, mf.d_ms);
        let ok = nu0_hz > 0.0
            && sigma > 0.0
            && mf.c_e > 0.0
            && prob.y_theta.is_finite()
            && prob.y_r.is_finite();
        if !ok {
            return None;
        }
        let tau = mf.tau_m_ms * 1e-3;
        Some(FiniteSizeSpectrum {
            prob,
            g_unit: -mf.c_e * mf.j_mv * tau * nu0_hz / sigma,
            h_unit: mf.c_e * mf.j_mv * mf.j_mv * tau * nu0_hz / (sigma * sigma),
            g: mf.g,
            gamma: mf.c_i / mf.c_e,
        })
    }

    /// (K e^{−λD}, K' e^{−λD}, S0/ν0) at frequency `f_hz` > 0.
    pub fn channels(&self, f_hz: f64) -> (C, C, f64) {
        let lambda = C::new(0.0, 2.0 * PI * f_hz * self.prob.tau_s);
        let p = self.prob.loop_parts(lambda);
        let k = -self.g_unit * p.per_g / p.phi0;
        let kp = -self.h_unit * p.per_h / p.phi0;
        let s0 = (1.0 - p.r.norm_sqr()) / p.phi0.norm_sqr();
        (k, kp, s0)
    }

    /// The loop gain L(iω) at `f_hz`.
    pub fn loop_gain(&self, f_hz: f64) -> C {
        let (k, kp, _) = self.channels(f_hz);
        (1.0 - self.g * self.gamma) * k + (1.0 + self.g * self.g * self.gamma) * kp
    }

    /// N·S_A(f)/ν0 at `f_hz` > 0 with the renewal source S0 (the power over the Poisson
    /// floor); `poisson_source` replaces S0 by ν0 (the note's second table).
    pub fn power_with(&self, f_hz: f64, poisson_source: bool) -> f64 {
        let (k, kp, s0) = self.channels(f_hz);
        let (g, gamma) = (self.g, self.gamma);
        let l = (1.0 - g * gamma) * k + (1.0 + g * g * gamma) * kp;
        let shared = (k + kp).norm_sqr() + gamma * (g * g * kp - g * k).norm_sqr();
        let gain = (1.0 - l.norm_sqr() + (1.0 + gamma) * shared) / (1.0 - l).norm_sqr();
        if poisson_source {
            gain
        } else {
            s0 * gain
        }
    }

    /// N·S_A(f)/ν0 at `f_hz` > 0 (renewal source).
    pub fn power(&self, f_hz: f64) -> f64 {
        self.power_with(f_hz, false)
    }
}

/// Log-spaced frequencies of the coarse scan of [`spectrum_peak`].
const SCAN_POINTS: usize = 240;
/// Golden-section iterations refining each candidate peak (bracket shrinks by 0.618ⁿ).
const REFINE_ITERATIONS: usize = 30;
/// Candidate peaks refined: the largest local maxima of the scan and the modes' frequencies.
const CANDIDATES: usize = 4;

/// The largest peak of N·S_A/ν0 over [`PEAK_MIN_HZ`, `PEAK_MAX_HZ`] of the stationary state at
/// `nu0_hz` whose modes are `modes` (from `eigenvalues`): a log-spaced scan, the frequencies
/// of the least damped modes (a peak sits near each, of half-width |growth|/2π, narrower than
/// the scan near a line), and golden-section refinement of the best. None when a mode grows
/// (no stable state to predict), when no mode was found, or when the state is degenerate.
pub fn spectrum_peak(mf: &MeanFieldParams, nu0_hz: f64, modes: &[Mode]) -> Option<SpectrumPeak> {
    if modes.is_empty() || modes.iter().any(|m| !(m.growth_per_s < 0.0)) {
        return None;
    }
    let s = FiniteSizeSpectrum::new(mf, nu0_hz)?;
    let (lo, hi) = (PEAK_MIN_HZ.ln(), PEAK_MAX_HZ.ln());
    let grid: Vec<f64> = (0..SCAN_POINTS)
        .map(|k| (lo + (hi - lo) * k as f64 / (SCAN_POINTS - 1) as f64).exp())
        .collect();
    let values: Vec<f64> = grid.iter().map(|&f| s.power(f)).collect();
    // Brackets (a, b) around candidate maxima: local maxima of the scan, and each mode.
    let mut brackets: Vec<(f64, f64, f64)> = Vec::new();
    for k in 0..grid.len() {
        let left = if k > 0 { values[k - 1] } else { f64::MIN };
        let right = values.get(k + 1).copied().unwrap_or(f64::MIN);
        if values[k] >= left && values[k] >= right && values[k].is_finite() {
            let a = grid[k.saturating_sub(1)];
            let b = grid[(k + 1).min(grid.len() - 1)];
            brackets.push((values[k], a, b));
        }
    }
    brackets.sort_by(|x, y| y.0.total_cmp(&x.0));
    brackets.truncate(CANDIDATES);
    for m in modes {
        let f = m.frequency_hz;
        if (PEAK_MIN_HZ..=PEAK_MAX_HZ).contains(&f) {
            // Within a few half-widths of the mode (the peak shifts from Im λ by less).
            let w = (4.0 * m.growth_per_s.abs() / (2.0 * PI)).max(1.0);
            brackets.push((
                s.power(f),
                (f - w).max(PEAK_MIN_HZ),
                (f + w).min(PEAK_MAX_HZ),
            ));
        }
    }
    brackets
        .into_iter()
        .map(|(_, a, b)| golden_max(|f| s.power(f), a, b))
        .filter(|p| p.power.is_finite())
        .max_by(|x, y| x.power.total_cmp(&y.power))
}

/// The maximum of `f` on [a, b] by golden-section search (f unimodal there), with its
/// value; the ends count too.
fn golden_max(f: impl Fn(f64) -> f64, a: f64, b: f64) -> SpectrumPeak {
    let r = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (a, b);
    let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..REFINE_ITERATIONS {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = f(d);
        }
    }
    let (x, v) = if fc > fd { (c, fc) } else { (d, fd) };
    SpectrumPeak {
        frequency_hz: x,
        power: v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::brunel::MODEL;
    use crate::theory::{eigenvalues, stationary_states};

    /// Model A's defaults at (g, η), its stable state's rate.
    fn point(g: f64, eta: f64) -> (MeanFieldParams, f64) {
        let p = MODEL
            .with_assignments(&[format!("g={g}"), format!("eta={eta}")])
            .unwrap();
        let mf = MeanFieldParams::from_brunel(&p);
        let nu = stationary_states(&mf)
            .iter()
            .find(|s| s.stable)
            .unwrap()
            .rate_hz;
        (mf, nu)
    }

    #[test]
    fn the_notes_reference_values_at_c_are_reproduced() {
        // finite-size-spectrum.md §4 (mpmath pcfd, [computed here] in the note), point C
        // (5, 2): S0 at 1/50/124/300 Hz; the loop gain and its two parts at 124 Hz; the
        // two-population N·S_A/ν0 with the Poisson source. Tolerance 1e-4 relative (the note
        // prints 5–6 digits; ψ is within 1e-9 of mpmath).
        let (mf, nu) = point(5.0, 2.0);
        assert!((nu - 37.9497).abs() < 1e-3, "{nu}");
        let s = FiniteSizeSpectrum::new(&mf, nu).unwrap();
        for (f, want) in [
            (1.0, 17.3165),
            (50.0, 31.8976),
            (124.0, 39.1192),
            (300.0, 38.0001),
        ] {
            let got = s.channels(f).2 * nu;
            assert!(
                (got / want - 1.0).abs() < 1e-4,
                "S0({f} Hz) = {got}, note {want}"
            );
        }
        let (k, kp, _) = s.channels(124.0);
        let (g, gamma) = (5.0, 0.25);
        let mean = (1.0 - g * gamma) * k;
        let var = (1.0 + g * g * gamma) * kp;
        for (got, want) in [
            (mean + var, C::new(0.734472, 0.062324)),
            (mean, C::new(0.265173, 0.837427)),
            (var, C::new(0.469299, -0.775103)),
        ] {
            assert!((got - want).norm() < 1e-5, "{got} vs {want}");
        }
        for (f, want) in [
            (0.5, 67.49),
            (49.5, 112.69),
            (123.5, 1256.71),
            (199.5, 84.58),
            (500.0, 9.13),
        ] {
            let got = s.power_with(f, true);
            assert!(
                (got / want - 1.0).abs() < 1e-3,
                "{f} Hz: {got} vs note {want}"
            );
        }
    }

    #[test]
    fn the_peak_at_c_lies_at_its_damped_mode_and_none_is_given_beyond_a_line() {
        // Issue 17: at Fig. 8 C the spectrum peaks in 100–140 Hz, as the simulations do
        // (120–137 Hz, `analysis::classify`); the note's renewal-source peak: 124 Hz,
        // 1296 × the floor (the simulations' oscillation_strength there: ≈ 1.3e3).
        let (mf, nu) = point(5.0, 2.0);
        let modes = eigenvalues(&mf, nu, mf.d_ms);
        let p = spectrum_peak(&mf, nu, &modes).unwrap();
        assert!((100.0..140.0).contains(&p.frequency_hz), "{p:?}");
        assert!((p.power / 1296.0 - 1.0).abs() < 0.01, "{p:?}");
        // The scan's maximum is no higher than the refined peak anywhere in range.
        let s = FiniteSizeSpectrum::new(&mf, nu).unwrap();
        for f in [5.0, 60.0, 110.0, 130.0, 200.0, 700.0, 1400.0, 4000.0] {
            assert!(s.power(f) <= p.power * (1.0 + 1e-9), "{f} Hz");
        }
        // B (6, 4) and D (4.5, 0.9) are unstable: no stable-state spectrum.
        for (g, eta) in [(6.0, 4.0), (4.5, 0.9)] {
            let (mf, nu) = point(g, eta);
            let modes = eigenvalues(&mf, nu, mf.d_ms);
            assert!(spectrum_peak(&mf, nu, &modes).is_none(), "({g}, {eta})");
        }
        assert!(spectrum_peak(&mf, nu, &[]).is_none());
        assert!(FiniteSizeSpectrum::new(&mf, 0.0).is_none());
    }

    #[test]
    fn one_population_limit_gives_the_brunel_hakim_form() {
        // With γ = 0 (no I population) the numerator is 1: N·S_A/S0 = 1/|1 − L|².
        let (mut mf, nu) = point(5.0, 2.0);
        mf.c_i = 0.0;
        let s = FiniteSizeSpectrum::new(&mf, nu).unwrap();
        for f in [10.0, 124.0, 700.0] {
            let (_, _, s0) = s.channels(f);
            let want = s0 / (1.0 - s.loop_gain(f)).norm_sqr();
            assert!((s.power(f) / want - 1.0).abs() < 1e-12, "{f} Hz");
        }
    }
}
