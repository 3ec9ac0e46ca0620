//! The synchrony axis of the regime label, decided so that it means the same at any network
//! size (issue 17).
//!
//! A finite network's population activity always fluctuates. Below a Hopf line the
//! fluctuation is a noise-driven resonance: its Fano factor (count variance over mean, which
//! is N·(pairwise correlation)) stays put when N grows with the in-degree C_E and J kept.
//! Beyond the line it is a limit cycle whose relative amplitude does not shrink, so the Fano
//! factor grows like N (Brunel & Hakim 1999; Brunel 2000 §4 and App. A.5). A single-size
//! threshold cannot tell the two apart near a line, where the boundaries are; the growth
//! with N can. So each run gets a **partner**: the same point at N/f (N_E, N_I divided by
//! `partner_factor`, ε multiplied by it, so C_E, C_I and J stay), seeded from the run's own
//! seed. The size exponent κ = ln(X_N / X_{N/f}) / ln f is ≈ 0 for a stationary state and ≈ 1
//! for a limit cycle.
//!
//! The test reads two exponents: of the Fano factor (the larger of the 2 ms and 10 ms bins,
//! so slow oscillations count), against `size_min_exponent`; and of the spectral peak over
//! the Poisson floor (`oscillation_strength`), against `size_lock_exponent`, which catches the
//! cluster states of SR whose period (0.75–3 ms) aliases the 2 ms bins. Where no partner is
//! possible (the model has no N_E, N_I, ε, or N/f would fall below C_E) or the partner is
//! silent, the single-size Fano thresholds decide, and the row says so (`synchrony_test`).

use super::Measures;
use crate::model::ParamSet;
use crate::rng::splitmix64;
use serde::{Deserialize, Serialize};

/// Which test decides synchrony (`[classifier] synchrony`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SynchronyTest {
    /// The size test where a partner is possible, else the Fano thresholds.
    #[default]
    Auto,
    /// Always the size test; a point where no partner is possible is refused.
    Size,
    /// Always the single-size Fano thresholds (no partner runs: the pre-issue-17 behaviour).
    Fano,
}

/// The test that decided one run's synchrony, as written in the `synchrony_test` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decided {
    /// The size exponents against the partner run.
    Size,
    /// The Fano thresholds at the run's own size.
    Fano,
    /// No partner, but the spectral peak over the Poisson floor reaches
    /// `lock_min_oscillation`: a locked (cluster) state.
    Lock,
    /// Nothing to decide: the run is quiescent (or failed).
    None,
}

impl Decided {
    /// The word stored in results.
    pub const fn label(self) -> &'static str {
        match self {
            Decided::Size => "size",
            Decided::Fano => "fano",
            Decided::Lock => "lock",
            Decided::None => "",
        }
    }
}

/// How a run's population measures scale with N between its partner and itself.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SizeScaling {
    /// κ of the Fano factor: the larger of the 2 ms and 10 ms bins' exponents.
    pub fano_exponent: f64,
    /// κ of the spectral peak over the Poisson floor (`oscillation_strength`).
    pub oscillation_exponent: f64,
}

fn exponent(big: f64, small: f64, factor: f64) -> f64 {
    if big > 0.0 && small > 0.0 && big.is_finite() && small.is_finite() {
        (big / small).ln() / factor.ln()
    } else {
        f64::NAN
    }
}

impl SizeScaling {
    /// The exponents between a run (`main`) and its partner at N/`factor`.
    pub fn between(main: &Measures, partner: &Measures, factor: f64) -> Self {
        let fast = exponent(main.fano_factor, partner.fano_factor, factor);
        let slow = exponent(main.fano_factor_slow, partner.fano_factor_slow, factor);
        SizeScaling {
            fano_exponent: fast.max(slow),
            oscillation_exponent: exponent(
                main.oscillation_strength,
                partner.oscillation_strength,
                factor,
            ),
        }
    }
}

/// A synchrony decision: which test, its verdict, and how far from its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Synchrony {
    pub test: Decided,
    pub synchronous: bool,
    /// Distance to the threshold in the test's own units, positive when synchronous: the
    /// larger of (κ_Fano − size_min_exponent) and (κ_osc − size_lock_exponent) for the size
    /// test, of (FF − si_min_fano) and (FF_slow − si_slow_min_fano) for the Fano test, and
    /// oscillation_strength − lock_min_oscillation for the lock test.
    pub margin: f64,
}

/// The seed of a run's partner: a fixed mix of the run's own seed, so that the run's spikes
/// (and the golden hashes) are those of a run without a partner.
pub fn partner_seed(seed: u64) -> u64 {
    splitmix64(seed ^ 0x7061_7274_6E65_7231)
}

/// The partner's parameters, or why there can be none.
#[derive(Debug, Clone)]
pub enum PartnerPlan {
    /// No partner: `synchrony = "fano"`.
    Off,
    /// The partner runs with these parameters.
    Run(ParamSet),
    /// No partner is possible at this point; the sentence says why.
    Impossible(String),
}

/// Plans the partner of a run with `params` for the test `test` and `factor` (> 1).
pub fn partner_plan(params: &ParamSet, test: SynchronyTest, factor: f64) -> PartnerPlan {
    if test == SynchronyTest::Fano {
        return PartnerPlan::Off;
    }
    let names = ["N_E", "N_I", "epsilon"];
    if names.iter().any(|n| params.def(n).is_err()) {
        return PartnerPlan::Impossible(format!(
            "model {} has no N_E, N_I and epsilon to scale",
            params.model()
        ));
    }
    let (n_e, n_i, eps) = (params.get("N_E"), params.get("N_I"), params.get("epsilon"));
    let (p_e, p_i) = ((n_e / factor).round(), (n_i / factor).round());
    let c_e = (eps * n_e).round();
    if p_e < 1.0 || (n_i >= 1.0 && p_i < 1.0) {
        return PartnerPlan::Impossible(format!(
            "N_E = {n_e}, N_I = {n_i} divided by partner_factor = {factor} leaves fewer than one neuron"
        ));
    }
    let p_eps = eps * n_e / p_e;
    if p_eps > 1.0 {
        return PartnerPlan::Impossible(format!(
            "N_E / partner_factor = {n_e} / {factor} = {p_e} is below C_E = {c_e} (epsilon would be {p_eps:.3} > 1)"
        ));
    }
    let mut p = params.clone();
    let set = p
        .set("N_E", p_e)
        .and_then(|_| p.set("N_I", p_i))
        .and_then(|_| p.set("epsilon", p_eps));
    match set {
        Ok(()) => PartnerPlan::Run(p),
        Err(e) => PartnerPlan::Impossible(format!("the partner's parameters are invalid: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brunel(n_e: f64, n_i: f64, eps: f64) -> ParamSet {
        let mut p = crate::model::find("brunel").unwrap().defaults();
        p.set("N_E", n_e).unwrap();
        p.set("N_I", n_i).unwrap();
        p.set("epsilon", eps).unwrap();
        p
    }

    #[test]
    fn the_partner_keeps_the_in_degrees_and_quarters_the_network() {
        let PartnerPlan::Run(p) =
            partner_plan(&brunel(10000.0, 2500.0, 0.1), SynchronyTest::Auto, 4.0)
        else {
            panic!("full scale has a partner");
        };
        assert_eq!((p.get("N_E"), p.get("N_I")), (2500.0, 625.0));
        assert!((p.get("epsilon") * p.get("N_E") - 1000.0).abs() < 1e-9);
        assert!((p.get("epsilon") * p.get("N_I") - 250.0).abs() < 1e-9);
        // Everything else is kept.
        assert_eq!(p.get("g"), brunel(10000.0, 2500.0, 0.1).get("g"));
    }

    #[test]
    fn impossible_partners_say_why_and_fano_asks_for_none() {
        // The quick map: N/4 = 625 < C_E = 1000.
        match partner_plan(&brunel(2500.0, 625.0, 0.4), SynchronyTest::Size, 4.0) {
            PartnerPlan::Impossible(why) => assert!(why.contains("below C_E = 1000"), "{why}"),
            other => panic!("{other:?}"),
        }
        match partner_plan(&brunel(1.0, 1.0, 0.1), SynchronyTest::Size, 4.0) {
            PartnerPlan::Impossible(why) => assert!(why.contains("fewer than one"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            partner_plan(&brunel(10000.0, 2500.0, 0.1), SynchronyTest::Fano, 4.0),
            PartnerPlan::Off
        ));
    }

    #[test]
    fn exponents_are_zero_for_equal_measures_and_one_for_growth_with_n() {
        let all = crate::analysis::PopulationMeasures {
            name: "all".into(),
            n_neurons: 100,
            n_spikes: 1,
            rate_hz: 30.0,
            cv_isi: 0.5,
            cv_fraction: 1.0,
            active_fraction: 1.0,
        };
        let mut a = Measures {
            window_ms: 1000.0,
            populations: vec![],
            all,
            fano_factor: 0.0,
            fano_factor_slow: 0.0,
            chi: 0.3,
            spectrum_peak_hz: 100.0,
            spectrum_peak_share: 0.1,
            oscillation_strength: 0.0,
        };
        a.fano_factor = 400.0;
        a.fano_factor_slow = 80.0;
        a.oscillation_strength = 4000.0;
        let mut b = a.clone();
        b.fano_factor = 100.0; // grows as N: a limit cycle
        b.fano_factor_slow = 80.0;
        let z = SizeScaling::between(&a, &b, 4.0);
        assert!((z.fano_exponent - 1.0).abs() < 1e-12, "{z:?}");
        assert!(z.oscillation_exponent.abs() < 1e-12, "{z:?}");
        b.fano_factor = f64::NAN; // the slow bins still decide
        let z = SizeScaling::between(&a, &b, 4.0);
        assert!(z.fano_exponent.abs() < 1e-12, "{z:?}");
        assert_ne!(partner_seed(1), 1);
        assert_ne!(partner_seed(1), partner_seed(2));
    }
}
