//! Regime classifier: quiescent, SR, AI, SI-fast, SI-slow, or unclassified, from the
//! measures, with thresholds that a sweep definition can override.
//!
//! Calibration (see `docs/calibration.md` for the table and how it was produced): at the four
//! Fig. 8 points of Brunel (2000), full scale, the simulated measures separate as
//! - SR (3, 2): every neuron at ~333 Hz, CV ≈ 0.00 — rate and regularity alone identify it;
//! - AI (5, 2): 37–38 Hz, CV ≈ 0.4, χ ≈ 0.2 with a weak ~100–130 Hz ripple: CV alone cannot tell
//!   AI from SI, χ can;
//! - SI fast (6, 4): χ ≈ 0.45, spectral peak 180–190 Hz;
//! - SI slow (4.5, 0.9): χ ≈ 0.45, spectral peak 20–25 Hz;
//! - quiescent (η ≤ 0.8, g > 4): ≈ 0.01 Hz.

use super::Measures;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The dynamical regime of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Regime {
    Quiescent,
    /// Synchronous regular: neurons fire regularly at high rates, locked in clusters.
    SR,
    /// Asynchronous irregular: stationary population activity, irregular neurons.
    AI,
    /// Synchronous irregular with a fast (≥ `si_fast_min_hz`) population oscillation.
    SIFast,
    /// Synchronous irregular with a slow population oscillation.
    SISlow,
    /// Fits none of the above (e.g. regular firing without high rates).
    Unclassified,
}

impl Regime {
    /// Every regime, in legend order.
    pub const ALL: [Regime; 6] = [
        Regime::Quiescent,
        Regime::SR,
        Regime::AI,
        Regime::SIFast,
        Regime::SISlow,
        Regime::Unclassified,
    ];

    /// The label stored in results.
    pub fn label(self) -> &'static str {
        match self {
            Regime::Quiescent => "quiescent",
            Regime::SR => "SR",
            Regime::AI => "AI",
            Regime::SIFast => "SI-fast",
            Regime::SISlow => "SI-slow",
            Regime::Unclassified => "unclassified",
        }
    }

    /// The regime of a stored label.
    pub fn from_label(s: &str) -> Option<Regime> {
        Regime::ALL.into_iter().find(|r| r.label() == s)
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Thresholds of the classifier; each can be overridden in a sweep's `[classifier]` table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierSettings {
    /// Below this mean rate (Hz) the network is quiescent (η ≤ 0.8 gives ≈ 0.01 Hz; the
    /// slowest active state of the Fig. 8 layout, SI slow near η = 0.9, fires at ≥ 1 Hz).
    pub quiescent_max_hz: f64,
    /// SR needs a mean per-neuron CV below this (SR points: CV ≤ 0.15; AI: ≈ 0.4)...
    pub sr_max_cv: f64,
    /// ...and a rate at least this (SR points fire at 150–333 Hz; AI/SI at ≤ 100 Hz).
    pub sr_min_hz: f64,
    /// At or above this Golomb χ the activity is synchronous (AI ≈ 0.2; SI ≈ 0.45).
    pub si_min_chi: f64,
    /// A synchronous state whose spectral peak is at or above this (Hz) is SI fast (≈ 180 Hz),
    /// below it SI slow (≈ 20–25 Hz).
    pub si_fast_min_hz: f64,
    /// Asynchronous activity is AI only with a mean CV at least this; below, unclassified.
    pub ai_min_cv: f64,
}

impl Default for ClassifierSettings {
    fn default() -> Self {
        ClassifierSettings {
            quiescent_max_hz: 0.2,
            sr_max_cv: 0.2,
            sr_min_hz: 100.0,
            si_min_chi: 0.3,
            si_fast_min_hz: 80.0,
            ai_min_cv: 0.2,
        }
    }
}

/// Labels a run from its measures (all LIF neurons together).
pub fn classify(m: &Measures, s: &ClassifierSettings) -> Regime {
    let rate = m.all.rate_hz;
    let cv = m.all.cv_isi;
    if !(rate >= s.quiescent_max_hz) {
        return Regime::Quiescent;
    }
    if cv < s.sr_max_cv && rate >= s.sr_min_hz {
        return Regime::SR;
    }
    if m.chi >= s.si_min_chi {
        return if m.spectrum_peak_hz >= s.si_fast_min_hz {
            Regime::SIFast
        } else {
            Regime::SISlow
        };
    }
    if cv >= s.ai_min_cv {
        return Regime::AI;
    }
    Regime::Unclassified
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::PopulationMeasures;

    fn m(rate: f64, cv: f64, chi: f64, peak: f64) -> Measures {
        let all = PopulationMeasures {
            name: "all".into(),
            n_neurons: 100,
            n_spikes: 1,
            rate_hz: rate,
            cv_isi: cv,
            cv_fraction: 1.0,
            active_fraction: 1.0,
        };
        Measures {
            window_ms: 1000.0,
            populations: vec![],
            all,
            fano_factor: 1.0,
            chi,
            spectrum_peak_hz: peak,
            spectrum_peak_share: 0.1,
        }
    }

    #[test]
    fn fig8_like_measures_get_their_labels() {
        let s = ClassifierSettings::default();
        assert_eq!(classify(&m(333.0, 0.001, 0.5, 2000.0), &s), Regime::SR);
        assert_eq!(classify(&m(37.5, 0.42, 0.22, 120.0), &s), Regime::AI);
        assert_eq!(classify(&m(58.0, 0.8, 0.46, 185.0), &s), Regime::SIFast);
        assert_eq!(classify(&m(5.8, 0.65, 0.44, 22.0), &s), Regime::SISlow);
        assert_eq!(
            classify(&m(0.01, f64::NAN, f64::NAN, f64::NAN), &s),
            Regime::Quiescent
        );
        assert_eq!(
            classify(&m(30.0, 0.05, 0.1, 50.0), &s),
            Regime::Unclassified
        );
    }

    #[test]
    fn labels_round_trip() {
        for r in Regime::ALL {
            assert_eq!(Regime::from_label(r.label()), Some(r));
        }
    }
}
