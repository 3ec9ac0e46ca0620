//! One run of a model at one parameter set and seed: build the network, simulate, measure,
//! classify, and put the mean-field prediction beside it. Shared by `simulate` and `sweep`.

use crate::analysis::classify::{classify, synchrony, ClassifierSettings, Regime};
use crate::analysis::synchrony::{partner_plan, partner_seed, PartnerPlan, SizeScaling};
use crate::analysis::synchrony::{Synchrony, SynchronyTest};
use crate::analysis::{measure, AnalysisSettings, Measures};
use crate::engine::{self, WorkCounts};
use crate::model::{Model, NetworkSpec, ParamError, ParamSet, SpecError};
use crate::network::{self, Network};
use crate::record::Recording;
use crate::theory::{self, MeanFieldParams, StationaryState};
use std::time::Instant;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    SpikeBudget(#[from] engine::SpikeBudgetExceeded),
    /// `[classifier] synchrony = "size"` at a point where no partner run is possible.
    #[error("synchrony = \"size\" needs a partner run at N/partner_factor, but {0}; use synchrony = \"auto\" or \"fano\"")]
    NoPartner(String),
    /// The partner run at N/partner_factor failed after the run itself succeeded: the point
    /// has no synchrony label, so it is a failed run like any other.
    #[error("the partner run at N_E = {n_e} (seed {seed}, for the size test of synchrony) failed: {why}")]
    Partner { n_e: f64, seed: u64, why: String },
    /// A failure injected by a test (`BRUNEL_FAULT_PARTNERS`); never in normal use.
    #[error("{0}")]
    Injected(&'static str),
}

/// The mean-field prediction for a run (model `brunel` only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prediction {
    /// Every stationary state, lowest rate first.
    pub states: Vec<StationaryState>,
    /// The stable state nearest the simulated rate.
    pub nearest: Option<StationaryState>,
    /// The linear stability of that state: its modes and Brunel's label.
    pub stability: Option<theory::Stability>,
}

/// Wall-clock cost of a run, in seconds.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Timings {
    pub build_s: f64,
    pub simulate_s: f64,
    pub analyse_s: f64,
    /// The partner run's whole cost (build, simulate, measure); 0 without one.
    pub partner_s: f64,
}

/// The same point at N/f, run to see how the population's fluctuations scale with N (the
/// size test of synchrony, [`crate::analysis::synchrony`]).
#[derive(Debug, Clone)]
pub struct PartnerRun {
    /// N_E of the partner.
    pub n_e: f64,
    pub seed: u64,
    pub measures: Measures,
    /// The exponents between the partner and the run.
    pub scaling: SizeScaling,
}

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub spec: NetworkSpec,
    pub network: Network,
    pub recording: Recording,
    /// The engine's work counts (synaptic events, neuron-steps), for throughput figures.
    pub work: WorkCounts,
    pub measures: Measures,
    /// The partner at N/f, when the size test applied and the run was not quiescent.
    pub partner: Option<PartnerRun>,
    /// Which test decided synchrony, its verdict and margin.
    pub synchrony: Synchrony,
    pub regime: Regime,
    pub prediction: Option<Prediction>,
    pub timings: Timings,
}

/// The mean-field prediction for a parameter set of a model, if the model has a theory; its
/// label reads the shared regularity threshold `regular_max_cv` (`[classifier]`).
pub fn predict(
    model: &Model,
    params: &ParamSet,
    observed_hz: Option<f64>,
    regular_max_cv: f64,
) -> Option<Prediction> {
    let mf: MeanFieldParams = (model.mean_field?)(params);
    let states = theory::stationary_states(&mf);
    let nearest = theory::nearest_stable(&states, observed_hz);
    let stability = nearest.map(|s| theory::analyse(&mf, &s, regular_max_cv));
    Some(Prediction {
        states,
        nearest,
        stability,
    })
}

/// Runs `model` at `params` with `seed`, and its partner at N/f when the size test of
/// synchrony applies (`[classifier] synchrony`, `partner_factor`).
pub fn run(
    model: &Model,
    params: &ParamSet,
    seed: u64,
    analysis: &AnalysisSettings,
    classifier: &ClassifierSettings,
) -> Result<RunOutcome, RunError> {
    let plan = partner_plan(params, classifier.synchrony, classifier.partner_factor);
    if let (PartnerPlan::Impossible(why), SynchronyTest::Size) = (&plan, classifier.synchrony) {
        return Err(RunError::NoPartner(why.clone()));
    }
    let spec = model.spec(params)?;
    spec.validate()?;
    let t0 = Instant::now();
    let network = network::build(&spec, seed)?;
    let t1 = Instant::now();
    let budget = crate::model::memory_limit_bytes() - spec.memory_estimate_bytes();
    let (recording, work) =
        engine::run_bounded(&network, spec.n_steps(), seed, budget.max(0.0) as usize)?;
    let t2 = Instant::now();
    let measures = measure(&recording, spec.warmup_steps(), analysis);
    let t3 = Instant::now();
    let active = measures.all.rate_hz >= classifier.quiescent_max_hz;
    let partner = match plan {
        PartnerPlan::Run(p) if active => {
            let held = spec.memory_estimate_bytes();
            let n_e = p.get("N_E");
            let partner = run_partner(model, &p, seed, &measures, held, analysis, classifier);
            Some(partner.map_err(|e| RunError::Partner {
                n_e,
                seed: partner_seed(seed),
                why: e.to_string(),
            })?)
        }
        _ => None,
    };
    let t4 = Instant::now();
    let sync = synchrony(&measures, classifier, partner.as_ref().map(|p| &p.scaling));
    let regime = classify(&measures, classifier, &sync);
    let prediction = predict(
        model,
        params,
        Some(measures.all.rate_hz),
        classifier.regular_max_cv,
    );
    let t5 = Instant::now();
    let timings = Timings {
        build_s: (t1 - t0).as_secs_f64(),
        simulate_s: (t2 - t1).as_secs_f64(),
        analyse_s: (t3 - t2).as_secs_f64() + (t5 - t4).as_secs_f64(),
        partner_s: (t4 - t3).as_secs_f64(),
    };
    Ok(RunOutcome {
        spec,
        network,
        recording,
        work,
        measures,
        partner,
        synchrony: sync,
        regime,
        prediction,
        timings,
    })
}

/// Builds, simulates and measures the partner with its own seed; only its measures are kept
/// (its network and spikes are dropped before the caller goes on).
fn run_partner(
    model: &Model,
    params: &ParamSet,
    seed: u64,
    main: &Measures,
    held_bytes: f64,
    analysis: &AnalysisSettings,
    classifier: &ClassifierSettings,
) -> Result<PartnerRun, RunError> {
    let spec = model.spec(params)?;
    spec.validate()?;
    let seed = partner_seed(seed);
    partner_fault::inject()?;
    let network = network::build(&spec, seed)?;
    let budget = crate::model::memory_limit_bytes() - held_bytes - spec.memory_estimate_bytes();
    let (recording, _) =
        engine::run_bounded(&network, spec.n_steps(), seed, budget.max(0.0) as usize)?;
    let measures = measure(&recording, spec.warmup_steps(), analysis);
    let scaling = SizeScaling::between(main, &measures, classifier.partner_factor);
    Ok(PartnerRun {
        n_e: params.get("N_E"),
        seed,
        measures,
        scaling,
    })
}

/// Fault injection for tests of partner runs, in the manner of `BRUNEL_FAULT_RUNS`:
/// `BRUNEL_FAULT_PARTNERS="2,~4"` makes the partner that starts 3rd in this process fail and
/// every partner from the 5th on wait (up to 120 s, creating the file named by
/// `BRUNEL_FAULT_PARTNER_MARK`, if set, while it waits), so a test can kill a sweep whose
/// runs have finished but whose partners have not. Unset in normal use.
mod partner_fault {
    use super::RunError;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    static STARTED: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn inject() -> Result<(), RunError> {
        let Ok(spec) = std::env::var("BRUNEL_FAULT_PARTNERS") else {
            return Ok(());
        };
        let k = STARTED.fetch_add(1, Ordering::SeqCst);
        for p in spec.split(',').map(str::trim) {
            if let Some(from) = p.strip_prefix('~').and_then(|n| n.parse::<usize>().ok()) {
                if k >= from {
                    hold();
                }
            } else if p.parse::<usize>() == Ok(k) {
                return Err(RunError::Injected(
                    "injected failure (BRUNEL_FAULT_PARTNERS)",
                ));
            }
        }
        Ok(())
    }

    fn hold() {
        if let Ok(mark) = std::env::var("BRUNEL_FAULT_PARTNER_MARK") {
            let _ = std::fs::write(mark, b"held");
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl RunOutcome {
    /// The run as `summary.json` holds it (`brunel simulate`, and `brunel.simulate()` in
    /// Python): parameters, measures, regime, synchrony, partner, theory, work and timings.
    pub fn summary_json(&self, model: &str, seed: u64, params: &ParamSet) -> serde_json::Value {
        serde_json::json!({
            "model": model,
            "seed": seed,
            "params": params.to_map(),
            "overrides": params.overrides(),
            "measures": self.measures,
            "regime": self.regime.label(),
            "synchrony": self.synchrony,
            "partner": self.partner.as_ref().map(|p| serde_json::json!({
                "N_E": p.n_e,
                "seed": p.seed,
                "measures": p.measures,
                "scaling": p.scaling,
            })),
            "theory": self.prediction,
            "work": {
                "neuron_steps": self.work.neuron_steps,
                "synaptic_events": self.work.synaptic_events,
                "poisson_events": self.work.poisson_events,
                "synapses": self.network.n_synapses(),
            },
            "timings_s": self.timings,
            "version": env!("CARGO_PKG_VERSION"),
        })
    }
}
