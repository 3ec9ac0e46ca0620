//! Mean-field theory of Brunel (2000) model A: the threshold rate nu_thr, the self-consistent
//! stationary rates nu_0 (every root where several exist) and the predicted CV of ISI.
//!
//! mu = C_E·J·tau·(nu_ext + nu_0·(1 − gamma·g)), sigma² = J²·C_E·tau·(nu_ext + nu_0·(1 + gamma·g²)),
//! gamma = C_I/C_E, and 1/nu_0 = tau_rp + tau·√π·∫_{y_r}^{y_θ} e^{u²}(1 + erf u) du with
//! y = (V − mu)/sigma. The integrand is erfcx(−u), evaluated without overflow for the
//! mean-driven (negative y) side; the integral uses composite 10-point Gauss–Legendre.

use crate::model::ParamSet;
use serde::Serialize;
use std::f64::consts::PI;

/// The scaled complementary error function erfcx(x) = e^{x²}·erfc(x): libm's erfc below
/// x = 26, the asymptotic series above (where e^{x²} overflows and erfc underflows). libm has
/// no erfcx, and these few lines do not justify a special-functions crate.
pub fn erfcx(x: f64) -> f64 {
    if x < 0.0 {
        if x < -26.6 {
            return f64::INFINITY;
        }
        return 2.0 * (x * x).exp() - erfcx(-x);
    }
    if x < 26.0 {
        (x * x).exp() * libm::erfc(x)
    } else {
        let x2 = x * x;
        (1.0 - 0.5 / x2 + 0.75 / (x2 * x2) - 1.875 / (x2 * x2 * x2)) / (x * PI.sqrt())
    }
}

const GL_X: [f64; 10] = [
    -0.973_906_528_517_171_7,
    -0.865_063_366_688_984_5,
    -0.679_409_568_299_024_4,
    -0.433_395_394_129_247_2,
    -0.148_874_338_981_631_2,
    0.148_874_338_981_631_2,
    0.433_395_394_129_247_2,
    0.679_409_568_299_024_4,
    0.865_063_366_688_984_5,
    0.973_906_528_517_171_7,
];
const GL_W: [f64; 10] = [
    0.066_671_344_308_688_1,
    0.149_451_349_150_580_6,
    0.219_086_362_515_982_0,
    0.269_266_719_309_996_4,
    0.295_524_224_714_752_9,
    0.295_524_224_714_752_9,
    0.269_266_719_309_996_4,
    0.219_086_362_515_982_0,
    0.149_451_349_150_580_6,
    0.066_671_344_308_688_1,
];

/// ∫_a^b f with composite 10-point Gauss–Legendre on panels no wider than `h`.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64, h: f64) -> f64 {
    if !(b > a) {
        return 0.0;
    }
    // At most a million panels: extreme parameters (V_r = -1e308 mV) must cost bounded time;
    // callers split off the far tails they need accurately (see `siegert_integral`).
    let n = ((b - a) / h).ceil().clamp(1.0, 1e6) as usize;
    let w = (b - a) / n as f64;
    let mut sum = 0.0;
    for k in 0..n {
        let mid = a + (k as f64 + 0.5) * w;
        for i in 0..10 {
            sum += GL_W[i] * f(mid + 0.5 * w * GL_X[i]);
        }
    }
    sum * 0.5 * w
}

/// ∫_a^b erfcx(−u) du, the Siegert integral. Below u = −30 the integrand is
/// 1/(√π|u|)·(1 − 1/(2u²) + 3/(4u⁴) + O(u⁻⁶)), integrated in closed form, so a reset far below
/// threshold (a → −∞) costs no more than one near it and the integral grows like ln|a|/√π.
fn siegert_integral(a: f64, b: f64) -> f64 {
    const CUT: f64 = -30.0;
    if !(b > a) {
        return 0.0;
    }
    // ∫ of the asymptotic integrand over [lo, hi] ⊂ (−∞, CUT], with x = −u > 0.
    let tail = |lo: f64, hi: f64| {
        let (x1, x2) = (-hi, -lo);
        let prim = |x: f64| x.ln() + 1.0 / (4.0 * x * x) - 3.0 / (16.0 * x.powi(4));
        (prim(x2) - prim(x1)) / PI.sqrt()
    };
    if b <= CUT {
        return tail(a, b);
    }
    if a >= CUT {
        return integrate(|u| erfcx(-u), a, b, 0.1);
    }
    tail(a, CUT) + integrate(|u| erfcx(-u), CUT, b, 0.1)
}

/// e^{x²}∫_{−∞}^{x} e^{y²}(1 + erf y)² dy, the inner integral of the CV, written as
/// ∫_0^∞ e^{2xs − s²} erfcx(s − x)² ds (no overflow), by quadrature of step `h`.
fn cv_inner(x: f64, h: f64) -> f64 {
    integrate(
        |s| {
            let e = erfcx(s - x);
            (2.0 * x * s - s * s).exp() * e * e
        },
        0.0,
        x.max(0.0) + 9.0,
        h,
    )
}

/// Panel widths (outer, inner) of the CV's quadrature: [`CV_STEPS`] for results, the coarse
/// [`CV_STEPS_TRACE`] where the boundary tracing evaluates the CV many times.
#[derive(Debug, Clone, Copy)]
pub struct CvSteps(pub f64, pub f64);

/// The CV's default panels (10-point Gauss–Legendre on 0.1 and 0.05 wide panels).
pub const CV_STEPS: CvSteps = CvSteps(0.1, 0.05);
/// Panels five times wider: about 25× faster (≈ 0.4 ms instead of 10), within 1e-9 of the
/// default over the (g, eta) plane (`the_coarse_cv_matches_the_default` below).
pub const CV_STEPS_TRACE: CvSteps = CvSteps(0.5, 0.25);

/// ∫_a^b [`cv_inner`](x) dx, the outer integral of the CV. Below x = −30 the integrand is, by
/// Watson's lemma with z = −x, 1/(2πz³) − 5/(4πz⁵) + O(z⁻⁷), integrated in closed form: a
/// reset far below threshold costs nothing, and the tail is exact to ~1e-6 relative.
#[cfg(test)]
fn cv_outer_integral(a: f64, b: f64) -> f64 {
    cv_outer_integral_with(a, b, CV_STEPS)
}

/// [`cv_outer_integral`] on the panels `steps`.
fn cv_outer_integral_with(a: f64, b: f64, steps: CvSteps) -> f64 {
    const CUT: f64 = -30.0;
    if !(b > a) {
        return 0.0;
    }
    let tail = |lo: f64, hi: f64| {
        let (z1, z2) = (-hi, -lo);
        let prim = |z: f64| -1.0 / (4.0 * PI * z * z) + 5.0 / (16.0 * PI * z.powi(4));
        prim(z2) - prim(z1)
    };
    let body = |lo: f64, hi: f64| integrate(|x| cv_inner(x, steps.1), lo, hi, steps.0);
    if b <= CUT {
        tail(a, b)
    } else if a >= CUT {
        body(a, b)
    } else {
        tail(a, CUT) + body(CUT, b)
    }
}

/// What the mean field needs of a network: the model says (see `Model::mean_field`), the
/// theory computes.
pub use crate::model::MeanFieldInputs as MeanFieldParams;

impl MeanFieldParams {
    /// The mean-field parameters of a `brunel` model parameter set.
    pub fn from_brunel(p: &ParamSet) -> Self {
        crate::model::brunel::mean_field(p)
    }

    /// nu_thr = theta/(J·C_E·tau) in Hz, by the model's formula.
    pub fn nu_thr_hz(&self) -> f64 {
        crate::model::brunel::threshold_rate_hz(self.theta_mv, self.j_mv, self.c_e, self.tau_m_ms)
    }

    /// (mu, sigma) in mV of the input when the network fires at `nu_hz`.
    pub fn mu_sigma(&self, nu_hz: f64) -> (f64, f64) {
        let tau = self.tau_m_ms * 1e-3;
        let gamma = self.c_i / self.c_e;
        let mu = self.c_e * self.j_mv * tau * (self.nu_ext_hz + nu_hz * (1.0 - gamma * self.g));
        let var = self.j_mv
            * self.j_mv
            * self.c_e
            * tau
            * (self.nu_ext_hz + nu_hz * (1.0 + gamma * self.g * self.g));
        (mu, var.max(0.0).sqrt())
    }

    /// The output rate (Hz) of a LIF neuron with white-noise input (mu, sigma): the Siegert
    /// formula. 0 when the threshold is unreachably far (overflow of e^{y²}).
    pub fn siegert_hz(&self, mu: f64, sigma: f64) -> f64 {
        let tau = self.tau_m_ms * 1e-3;
        let t_rp = self.tau_rp_ms * 1e-3;
        if !(sigma > 0.0) {
            // Deterministic limit: the free membrane relaxes to mu.
            if mu <= self.theta_mv {
                return 0.0;
            }
            let t = tau * ((mu - self.v_r_mv) / (mu - self.theta_mv)).ln();
            return 1.0 / (t_rp + t);
        }
        let y_th = (self.theta_mv - mu) / sigma;
        let y_r = (self.v_r_mv - mu) / sigma;
        if y_th > 26.0 {
            return 0.0;
        }
        let integral = siegert_integral(y_r, y_th);
        let r = 1.0 / (t_rp + tau * PI.sqrt() * integral);
        if r.is_finite() {
            r
        } else {
            0.0
        }
    }

    /// Rate the network would produce if it fired at `nu_hz`: Phi(nu) = Siegert(mu(nu), sigma(nu)).
    pub fn transfer_hz(&self, nu_hz: f64) -> f64 {
        let (mu, sigma) = self.mu_sigma(nu_hz);
        self.siegert_hz(mu, sigma)
    }

    /// CV of ISI of a LIF neuron with white-noise input (mu, sigma) firing at `nu_hz`:
    /// CV² = 2π(nu·tau)² ∫_{y_r}^{y_θ} e^{x²} ∫_{−∞}^{x} e^{y²}(1 + erf y)² dy dx.
    pub fn cv_isi(&self, nu_hz: f64, mu: f64, sigma: f64) -> f64 {
        self.cv_isi_with(nu_hz, mu, sigma, CV_STEPS)
    }

    /// [`MeanFieldParams::cv_isi`] on the quadrature panels `steps`.
    pub fn cv_isi_with(&self, nu_hz: f64, mu: f64, sigma: f64, steps: CvSteps) -> f64 {
        if !(sigma > 0.0) || !(nu_hz > 0.0) {
            return f64::NAN;
        }
        let tau = self.tau_m_ms * 1e-3;
        let y_th = (self.theta_mv - mu) / sigma;
        let y_r = (self.v_r_mv - mu) / sigma;
        if y_th > 26.0 {
            // Threshold > 26 σ above the mean: `siegert_hz` gives rate 0 here, and the
            // integrand grows like e^{y_th²}; the CV of a silent neuron is undefined.
            return f64::NAN;
        }
        let outer = cv_outer_integral_with(y_r, y_th, steps);
        let cv2 = 2.0 * PI * (nu_hz * tau).powi(2) * outer;
        if cv2.is_finite() {
            cv2.sqrt()
        } else {
            f64::NAN
        }
    }
}

/// One stationary solution of the self-consistency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StationaryState {
    pub rate_hz: f64,
    pub mu_mv: f64,
    pub sigma_mv: f64,
    /// Predicted CV of ISI of single neurons (ignores network oscillations).
    pub cv_isi: f64,
    /// Stable under the rate dynamics d(nu)/dt ∝ Phi(nu) − nu (Phi' < 1). Stability against
    /// oscillations (AI vs SI) is the linear analysis of [`super::stability`].
    pub stable: bool,
}

/// One self-consistent rate without its CV: what root searches that run many times (the
/// boundary lines) need.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StationaryRate {
    pub rate_hz: f64,
    /// Stable under the rate dynamics (Phi' < 1), as in [`StationaryState::stable`].
    pub stable: bool,
}

/// Every self-consistent rate nu_0 = Phi(nu_0) in [0, 1/tau_rp), lowest first, with its
/// stability under the rate dynamics: the roots of [`stationary_states`] without the CV
/// (about 1 ms instead of 10).
pub fn stationary_rates(p: &MeanFieldParams) -> Vec<StationaryRate> {
    let nu_max = if p.tau_rp_ms > 0.0 {
        1000.0 / p.tau_rp_ms
    } else {
        5000.0
    };
    // Grid: 0, then log-spaced from 1e-6 Hz to just below nu_max.
    let mut grid = vec![0.0];
    let n = 400;
    let (lo, hi) = (1e-6f64.ln(), (nu_max * 0.9999).ln());
    grid.extend((0..=n).map(|k| (lo + (hi - lo) * k as f64 / n as f64).exp()));
    let f = |nu: f64| p.transfer_hz(nu) - nu;
    let vals: Vec<f64> = grid.iter().map(|&nu| f(nu)).collect();
    let mut out = Vec::new();
    for k in 0..grid.len() - 1 {
        let (fa, fb) = (vals[k], vals[k + 1]);
        if fa == 0.0 || (fa > 0.0) != (fb > 0.0) {
            let (mut a, mut b, mut fa_) = (grid[k], grid[k + 1], fa);
            for _ in 0..100 {
                let m = 0.5 * (a + b);
                let fm = f(m);
                if (fm > 0.0) == (fa_ > 0.0) {
                    a = m;
                    fa_ = fm;
                } else {
                    b = m;
                }
                if b - a <= 1e-12 * b.max(1e-9) {
                    break;
                }
            }
            out.push(StationaryRate {
                rate_hz: 0.5 * (a + b),
                // F goes from + to − through a stable root (or from 0 at ν = 0 down to −).
                stable: fa > 0.0 || (fa == 0.0 && fb < 0.0),
            });
        }
    }
    out
}

/// Every self-consistent rate nu_0 = Phi(nu_0) in [0, 1/tau_rp), lowest first.
pub fn stationary_states(p: &MeanFieldParams) -> Vec<StationaryState> {
    stationary_rates(p)
        .into_iter()
        .map(|r| {
            let nu = r.rate_hz;
            let (mu, sigma) = p.mu_sigma(nu);
            StationaryState {
                rate_hz: nu,
                mu_mv: mu,
                sigma_mv: sigma,
                cv_isi: p.cv_isi(nu, mu, sigma),
                stable: r.stable,
            }
        })
        .collect()
}

/// The stable stationary rate nearest to `observed_hz` (the branch a simulation is on), or
/// the only/lowest stable one when nothing was observed.
pub fn nearest_stable(
    states: &[StationaryState],
    observed_hz: Option<f64>,
) -> Option<StationaryState> {
    let stable = states.iter().filter(|s| s.stable).copied();
    match observed_hz.filter(|x| x.is_finite()) {
        Some(obs) => {
            stable.min_by(|a, b| (a.rate_hz - obs).abs().total_cmp(&(b.rate_hz - obs).abs()))
        }
        None => stable.into_iter().next(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_cv_tail_matches_quadrature() {
        // Fine quadrature vs the closed form. The inner weight e^{2xs} has scale 1/(2|x|) ≤
        // 1/60 here, so s ∈ [0, 1] holds all but e^{-60} of it.
        let inner = |x: f64| {
            integrate(
                |s| {
                    let e = erfcx(s - x);
                    (2.0 * x * s - s * s).exp() * e * e
                },
                0.0,
                1.0,
                0.001,
            )
        };
        let fine = |a: f64, b: f64| integrate(inner, a, b, 0.05);
        for (a, b) in [(-60.0, -30.0), (-45.0, -35.0)] {
            let want = fine(a, b);
            let got = cv_outer_integral(a, b);
            assert!(
                (got - want).abs() < 1e-5 * want,
                "[{a}, {b}]: {got} vs {want}"
            );
        }
        assert!(cv_outer_integral(-1e308, 0.0).is_finite());
    }

    #[test]
    fn the_siegert_tail_matches_quadrature_and_stays_fast() {
        // Closed-form tail vs Gauss–Legendre over [−60, −30] and [−200, −40].
        for (a, b) in [(-60.0, -30.0), (-200.0, -40.0), (-45.0, 3.0)] {
            let want = integrate(|u| erfcx(-u), a, b, 0.01);
            let got = siegert_integral(a, b);
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "[{a}, {b}]: {got} vs {want}"
            );
        }
        // A reset at −1e308 (in units of sigma) is finite and immediate.
        let far = siegert_integral(-1e308, 1.0);
        assert!(far.is_finite() && far > siegert_integral(-1e3, 1.0));
    }

    use super::*;
    use crate::model::brunel::MODEL;

    fn params(g: f64, eta: f64) -> MeanFieldParams {
        let p = MODEL
            .with_assignments(&[format!("g={g}"), format!("eta={eta}")])
            .unwrap();
        MeanFieldParams::from_brunel(&p)
    }

    #[test]
    fn erfcx_matches_reference_values() {
        // Values from the definition with high-precision erfc (Abramowitz & Stegun / mpmath).
        let cases = [
            (0.0, 1.0),
            (1.0, 0.427_583_576_155_807),
            (5.0, 0.110_704_637_733_069),
            (-1.0, 5.008_980_080_762_283),
            (30.0, 0.018_795_888_861_416_75),
        ];
        for (x, want) in cases {
            assert!(
                (erfcx(x) / want - 1.0).abs() < 1e-9,
                "erfcx({x}) = {}",
                erfcx(x)
            );
        }
    }

    #[test]
    fn the_coarse_cv_matches_the_default() {
        // Every root over g 0–8 step 1 × eta 0–4 step 0.5 (noise-driven to mean-driven, CV
        // 0.04–0.9): the tracing's panels agree with the default to 1e-9 relative (measured
        // 2e-10 worst over a 17 × 17 grid).
        for gi in 0..=8 {
            for ei in 0..=8 {
                let mf = params(gi as f64, 0.5 * ei as f64);
                for r in stationary_rates(&mf).iter().filter(|r| r.rate_hz > 1e-3) {
                    let (mu, sigma) = mf.mu_sigma(r.rate_hz);
                    let a = mf.cv_isi(r.rate_hz, mu, sigma);
                    let b = mf.cv_isi_with(r.rate_hz, mu, sigma, CV_STEPS_TRACE);
                    assert!(
                        (a - b).abs() < 1e-9 * a,
                        "({gi}, {}): {a} vs {b}",
                        0.5 * ei as f64
                    );
                }
            }
        }
    }

    #[test]
    fn nu_thr_is_10_hz_for_model_a() {
        assert!((params(5.0, 2.0).nu_thr_hz() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn paper_rates_are_reproduced() {
        // Brunel (2000) p. 196 theory values (V_r = 10 mV): 55.8, 38.0, 6.5 Hz; tolerance ±0.1 Hz.
        for (g, eta, want) in [(6.0, 4.0, 55.8), (5.0, 2.0, 38.0), (4.5, 0.9, 6.5)] {
            let states = stationary_states(&params(g, eta));
            let s = nearest_stable(&states, Some(want)).unwrap();
            assert!(
                (s.rate_hz - want).abs() < 0.1,
                "({g}, {eta}): {} Hz, all {states:?}",
                s.rate_hz
            );
        }
    }

    #[test]
    fn mu_sigma_and_cv_match_independent_solve() {
        // Independent scipy solve of Brunel (2000) eqs. (21)–(22) and the CV formula of
        // Brunel & Hakim (1999): at (5, 2)
        // nu = 37.95 Hz, mu = 21.03 mV, sigma = 7.68 mV, CV 0.675; CVs at other points below.
        let states = stationary_states(&params(5.0, 2.0));
        assert_eq!(states.len(), 1);
        let s = states[0];
        assert!((s.rate_hz - 37.95).abs() < 0.02);
        assert!((s.mu_mv - 21.03).abs() < 0.01 && (s.sigma_mv - 7.68).abs() < 0.01);
        for (g, eta, cv) in [
            (5.0, 2.0, 0.675),
            (6.0, 4.0, 0.736),
            (4.5, 0.9, 0.776),
            (8.0, 2.0, 0.866),
            (3.0, 2.0, 0.117),
        ] {
            let st = stationary_states(&params(g, eta));
            let top = st.iter().filter(|s| s.stable).last().unwrap();
            assert!(
                (top.cv_isi - cv).abs() < 0.005,
                "({g}, {eta}): CV {} vs {cv}",
                top.cv_isi
            );
        }
    }

    #[test]
    fn low_drive_below_balance_is_bistable() {
        // g = 3, eta = 0.8: roots 0.0039 / 2.2 / 302 Hz (scipy solve in the facts note).
        let st = stationary_states(&params(3.0, 0.8));
        assert_eq!(st.len(), 3, "{st:?}");
        assert!((st[0].rate_hz - 0.0039).abs() < 0.0005);
        assert!((st[1].rate_hz - 2.2).abs() < 0.1 && !st[1].stable);
        assert!((st[2].rate_hz - 302.0).abs() < 1.0 && st[2].stable && st[0].stable);
        // Above balance at eta = 0.8 only the near-silent state exists.
        let q = stationary_states(&params(5.0, 0.8));
        assert_eq!(q.len(), 1);
        assert!(q[0].rate_hz < 0.01);
    }

    #[test]
    fn nest_reset_gives_the_lower_rate() {
        // V_r = 0 (NEST examples) at (5, 2): 32.03 Hz (facts note §4.3).
        let mut p = params(5.0, 2.0);
        p.v_r_mv = 0.0;
        let st = stationary_states(&p);
        assert!((st[0].rate_hz - 32.03).abs() < 0.05, "{st:?}");
    }
}
