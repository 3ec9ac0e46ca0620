//! The regime taxonomy that the simulation's classifier (`analysis::classify`) and the
//! theory's label (`theory::stability`) share, so that `regime` and `theory_regime` use the
//! same words and an agreement table means what it says.
//!
//! Brunel (2000, §1 and §6) places a state on two axes: the population is **synchronous**
//! (its activity oscillates) or **asynchronous** (stationary), and the neurons fire
//! **regularly** or **irregularly**. That gives SR, AR, SI (fast or slow by the oscillation's
//! frequency) and AI; a near-silent network is quiescent. Each side decides synchrony in its
//! own way (the simulation from its measures, the theory from its modes); regularity is the
//! CV of ISI against one threshold both read ([`is_regular`]).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The dynamical regime of a run or of a stationary state of the theory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Regime {
    /// The network is (nearly) silent.
    Quiescent,
    /// Synchronous regular: neurons fire regularly at high rates, locked in clusters.
    SR,
    /// Asynchronous regular: stationary population activity, regularly firing neurons.
    AR,
    /// Asynchronous irregular: stationary population activity, irregular neurons.
    AI,
    /// Synchronous irregular with a fast population oscillation.
    SIFast,
    /// Synchronous irregular with a slow population oscillation.
    SISlow,
    /// Fits none of the above (e.g. no neuron fired often enough for a CV).
    Unclassified,
    /// The run failed (its row's `error` says why): no regime at all. Not in [`Regime::ALL`]
    /// and not read back by [`Regime::from_label`], so maps leave failed runs out.
    Failed,
}

impl Regime {
    /// Every regime a classifier can give, in legend order (without [`Regime::Failed`]).
    pub const ALL: [Regime; 7] = [
        Regime::Quiescent,
        Regime::SR,
        Regime::AR,
        Regime::AI,
        Regime::SIFast,
        Regime::SISlow,
        Regime::Unclassified,
    ];

    /// The label stored in results.
    pub const fn label(self) -> &'static str {
        match self {
            Regime::Quiescent => "quiescent",
            Regime::SR => "SR",
            Regime::AR => "AR",
            Regime::AI => "AI",
            Regime::SIFast => "SI-fast",
            Regime::SISlow => "SI-slow",
            Regime::Unclassified => "unclassified",
            Regime::Failed => "failed",
        }
    }

    /// The regime of a stored label (one of [`Regime::ALL`]; "failed" gives None).
    pub fn from_label(s: &str) -> Option<Regime> {
        Regime::ALL.into_iter().find(|r| r.label() == s)
    }

    /// The asynchronous regime of neurons that fire regularly (AR) or not (AI).
    pub fn asynchronous(regular: bool) -> Regime {
        if regular {
            Regime::AR
        } else {
            Regime::AI
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Default of the shared regularity threshold (`[classifier] regular_max_cv`): neurons fire
/// regularly when their CV of ISI is below it.
pub const DEFAULT_REGULAR_MAX_CV: f64 = 0.2;

/// The regularity axis, on both sides: a CV of ISI below `regular_max_cv` is regular. A NaN
/// CV (no neuron fired often enough) is not regular.
pub fn is_regular(cv_isi: f64, regular_max_cv: f64) -> bool {
    cv_isi < regular_max_cv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_failed_is_no_map_regime() {
        for r in Regime::ALL {
            assert_eq!(Regime::from_label(r.label()), Some(r));
        }
        let words: Vec<&str> = Regime::ALL.iter().map(|r| r.label()).collect();
        assert_eq!(
            words,
            [
                "quiescent",
                "SR",
                "AR",
                "AI",
                "SI-fast",
                "SI-slow",
                "unclassified"
            ]
        );
        assert_eq!(Regime::Failed.label(), "failed");
        assert_eq!(Regime::from_label("failed"), None);
    }

    #[test]
    fn regularity_is_a_strict_cv_threshold() {
        assert!(is_regular(0.19, 0.2));
        assert!(!is_regular(0.2, 0.2));
        assert!(!is_regular(f64::NAN, 0.2));
        assert_eq!(Regime::asynchronous(true), Regime::AR);
        assert_eq!(Regime::asynchronous(false), Regime::AI);
    }
}
