//! Model `tutorial`: the balanced random network of the project's seed, every cell of it,
//! with its extension.
//!
//! Source: the seed is a Brian2 teaching exercise, "Task 2 – Balanced Random Network". It asks
//! for N = 100 LIF neurons in a 4:1 excitatory (E) to inhibitory (I) ratio, dt = 0.1 ms, run for
//! 1 s: membrane time constant 20 ms, exponential current synapses of 5 ms, refractory period
//! 2 ms, threshold −50 mV, reset −65 mV, and a resting potential drawn per neuron uniformly in
//! [−65, −60] mV at which v also starts. Each LIF neuron gets its own 1000 Hz Poisson source,
//! one-to-one, weight 2.2 mV, delay 1.0 ms. E→E and E→I connect with probability 0.1, weights
//! |N(0, 2 mV)| and delays N(1.5 ms, 0.75 ms); I→I and I→E likewise with weights −4 times as
//! large. Its extension adds 100 Poisson sources at 50 Hz, all-to-all onto E, weight 0.06 mV
//! (here off by default: `ext_rate_hz` = 0 Hz). The seed names Brunel (2000,
//! J Comput Neurosci 8:183–208) for the regimes such a network shows; see the `brunel` model.
//!
//! Choices the seed leaves open, stated here and in `--help`:
//! - Recurrent delay draws N(1.5 ms, 0.75 ms) below dt are clipped to dt (NEST/PyNN
//!   `normal_clipped`), then rounded to whole steps.
//! - The extension's delay is not given by the seed: 1.0 ms, like the other inputs.
//! - E→E and I→I allow autapses (Brian2's `connect(p=...)` default).
//! - Poisson sources emit a Poisson count per step (exact Poisson process); Brian2's
//!   `PoissonGroup` emits at most one spike per step. At 1000 Hz and dt 0.1 ms the two differ
//!   in 0.5 % of the steps with input.

use super::params::{ParamDef, ParamError, ParamSet, Range};
use super::spec::*;
use super::Model;

/// Parameters of the tutorial, defaults from the seed.
pub const PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "N",
        default: 100.0,
        unit: "neurons",
        range: Range::count(2.0, 1e7),
        meaning: "total number of LIF neurons (E + I)",
    },
    ParamDef {
        name: "exc_fraction",
        default: 0.8,
        unit: "",
        range: Range::closed(0.0, 1.0),
        meaning: "fraction of N that is excitatory; N_E = round(N·exc_fraction)",
    },
    ParamDef {
        name: "dt_ms",
        default: 0.1,
        unit: "ms",
        range: Range::above(0.0, 10.0),
        meaning: "integration time step",
    },
    ParamDef {
        name: "duration_ms",
        default: 1000.0,
        unit: "ms",
        range: Range::above(0.0, 1e9),
        meaning: "simulated time",
    },
    ParamDef {
        name: "warmup_ms",
        default: 0.0,
        unit: "ms",
        range: Range::non_negative(),
        meaning: "initial time left out of the measures",
    },
    ParamDef {
        name: "input_rate_hz",
        default: 1000.0,
        unit: "Hz",
        range: Range::non_negative(),
        meaning: "rate of each Poisson input source (one per LIF neuron, one-to-one)",
    },
    ParamDef {
        name: "input_w_mv",
        default: 2.2,
        unit: "mV",
        range: Range::any(),
        meaning: "weight of the one-to-one Poisson inputs",
    },
    ParamDef {
        name: "input_delay_ms",
        default: 1.0,
        unit: "ms",
        range: Range::positive(),
        meaning: "delay of the one-to-one Poisson inputs",
    },
    ParamDef {
        name: "tau_m_ms",
        default: 20.0,
        unit: "ms",
        range: Range::positive(),
        meaning: "membrane time constant",
    },
    ParamDef {
        name: "tau_syn_ms",
        default: 5.0,
        unit: "ms",
        range: Range::positive(),
        meaning: "synaptic (current) time constant",
    },
    ParamDef {
        name: "t_ref_ms",
        default: 2.0,
        unit: "ms",
        range: Range::non_negative(),
        meaning: "refractory period (v clamped at reset)",
    },
    ParamDef {
        name: "v_th_mv",
        default: -50.0,
        unit: "mV",
        range: Range::any(),
        meaning: "firing threshold",
    },
    ParamDef {
        name: "v_reset_mv",
        default: -65.0,
        unit: "mV",
        range: Range::any(),
        meaning: "reset potential",
    },
    ParamDef {
        name: "u_rest_lo_mv",
        default: -65.0,
        unit: "mV",
        range: Range::any(),
        meaning: "lower end of the per-neuron uniform resting potential",
    },
    ParamDef {
        name: "u_rest_hi_mv",
        default: -60.0,
        unit: "mV",
        range: Range::any(),
        meaning: "upper end of the per-neuron uniform resting potential",
    },
    ParamDef {
        name: "p_conn",
        default: 0.1,
        unit: "",
        range: Range::closed(0.0, 1.0),
        meaning: "connection probability of E→E, E→I, I→I, I→E",
    },
    ParamDef {
        name: "w_sd_mv",
        default: 2.0,
        unit: "mV",
        range: Range::non_negative(),
        meaning: "sd of the recurrent weights |N(0, sd)|",
    },
    ParamDef {
        name: "inh_scale",
        default: 4.0,
        unit: "",
        range: Range::non_negative(),
        meaning: "inhibitory weights are −inh_scale·|N(0, w_sd)|",
    },
    ParamDef {
        name: "delay_mean_ms",
        default: 1.5,
        unit: "ms",
        range: Range::positive(),
        meaning: "mean recurrent delay (normal; draws < dt clipped to dt)",
    },
    ParamDef {
        name: "delay_sd_ms",
        default: 0.75,
        unit: "ms",
        range: Range::non_negative(),
        meaning: "sd of the recurrent delay",
    },
    ParamDef {
        name: "ext_rate_hz",
        default: 0.0,
        unit: "Hz",
        range: Range::non_negative(),
        meaning: "extension: rate of the extra Poisson population (0 = off)",
    },
    ParamDef {
        name: "ext_n",
        default: 100.0,
        unit: "sources",
        range: Range::count(1.0, 1e7),
        meaning: "extension: number of extra Poisson sources, all-to-all onto E",
    },
    ParamDef {
        name: "ext_w_mv",
        default: 0.06,
        unit: "mV",
        range: Range::any(),
        meaning: "extension: weight of each extra input",
    },
    ParamDef {
        name: "ext_delay_ms",
        default: 1.0,
        unit: "ms",
        range: Range::positive(),
        meaning: "extension: delay (the seed gives none; 1.0 ms like the other inputs)",
    },
];

/// The `tutorial` preset.
pub const MODEL: Model = Model {
    name: "tutorial",
    summary: "the seed's balanced random network: 100 LIF neurons (80 E / 20 I), exponential current synapses, 1000 Hz Poisson inputs; ext_rate_hz turns on the extension",
    params: PARAMS,
    headline: &[],
    build,
    fig8: false,
    mean_field: None,
};

fn build(p: &ParamSet) -> Result<NetworkSpec, ParamError> {
    let (n_e, n_i) = population_sizes(p)?;
    check_consistency(p)?;
    let mut populations = populations(p, n_e, n_i);
    let mut projections = projections(p);
    if let Some((ext, ext_e)) = extension(p) {
        populations.push(ext);
        projections.push(ext_e);
    }
    Ok(NetworkSpec {
        dt_ms: p.get("dt_ms"),
        duration_ms: p.get("duration_ms"),
        warmup_ms: p.get("warmup_ms"),
        populations,
        projections,
        voltage_sampling: vec![],
    })
}

/// (N_E, N_I) with N_E = round(N·exc_fraction); an error unless both are at least 1.
fn population_sizes(p: &ParamSet) -> Result<(usize, usize), ParamError> {
    let n = p.get("N") as usize;
    let n_e = (n as f64 * p.get("exc_fraction")).round() as usize;
    let n_i = n - n_e;
    if n_e == 0 || n_i == 0 {
        return Err(ParamError::Inconsistent {
            names: "N, exc_fraction".into(),
            message: format!(
                "give N_E = {n_e} and N_I = {n_i}; both populations need at least one neuron"
            ),
        });
    }
    Ok((n_e, n_i))
}

/// Refuses combinations the ranges allow but the network does not: an empty resting-potential
/// range (mV), a reset at or above threshold (mV), a warm-up as long as the run (ms).
fn check_consistency(p: &ParamSet) -> Result<(), ParamError> {
    let (lo, hi) = (p.get("u_rest_lo_mv"), p.get("u_rest_hi_mv"));
    if lo > hi {
        return Err(ParamError::Inconsistent {
            names: "u_rest_lo_mv, u_rest_hi_mv".into(),
            message: format!("the range [{lo}, {hi}] mV is empty"),
        });
    }
    if p.get("v_reset_mv") >= p.get("v_th_mv") {
        return Err(ParamError::Inconsistent {
            names: "v_reset_mv, v_th_mv".into(),
            message: "reset must lie below threshold".into(),
        });
    }
    if p.get("warmup_ms") >= p.get("duration_ms") {
        return Err(ParamError::Inconsistent {
            names: "warmup_ms, duration_ms".into(),
            message: "the warm-up must be shorter than the run".into(),
        });
    }
    Ok(())
}

/// The LIF neurons of E and I (identical): exponential current synapses, a resting potential
/// drawn per neuron uniformly in [u_rest_lo_mv, u_rest_hi_mv) mV, v starting at rest.
fn lif_params(p: &ParamSet) -> LifParams {
    LifParams {
        tau_m_ms: p.get("tau_m_ms"),
        synapse: Synapse::ExpCurrent {
            tau_syn_ms: p.get("tau_syn_ms"),
        },
        v_th_mv: p.get("v_th_mv"),
        v_reset_mv: p.get("v_reset_mv"),
        t_ref_ms: p.get("t_ref_ms"),
        u_rest_mv: PerNeuron::Uniform {
            lo: p.get("u_rest_lo_mv"),
            hi: p.get("u_rest_hi_mv"),
        },
        v_init_mv: InitialV::AtRest,
    }
}

/// E, I, and one Poisson source per LIF neuron at input_rate_hz (Hz): input_E, input_I.
fn populations(p: &ParamSet, n_e: usize, n_i: usize) -> Vec<PopulationSpec> {
    let lif = lif_params(p);
    let rate = p.get("input_rate_hz");
    vec![
        PopulationSpec::lif("E", n_e, lif.clone()),
        PopulationSpec::lif("I", n_i, lif),
        PopulationSpec::poisson("input_E", n_e, rate),
        PopulationSpec::poisson("input_I", n_i, rate),
    ]
}

/// The one-to-one inputs, then the recurrent E→E, E→I, I→I, I→E (in this order: the golden
/// hashes pin it).
fn projections(p: &ParamSet) -> Vec<ProjectionSpec> {
    let inh = -p.get("inh_scale");
    vec![
        input(p, "input_E-E", "input_E", "E"),
        input(p, "input_I-I", "input_I", "I"),
        recurrent(p, "E", "E", 1.0),
        recurrent(p, "E", "I", 1.0),
        recurrent(p, "I", "I", inh),
        recurrent(p, "I", "E", inh),
    ]
}

/// A one-to-one Poisson input: weight input_w_mv (mV), delay input_delay_ms (ms).
fn input(p: &ParamSet, name: &str, src: &str, tgt: &str) -> ProjectionSpec {
    ProjectionSpec {
        name: name.into(),
        source: src.into(),
        target: tgt.into(),
        connector: Connector::OneToOne,
        weight: WeightSpec::Constant {
            w_mv: p.get("input_w_mv"),
        },
        delay: DelaySpec::Constant {
            d_ms: p.get("input_delay_ms"),
        },
    }
}

/// A recurrent projection `src-tgt`: probability p_conn, autapses allowed, weights
/// scale·|N(0, w_sd_mv)| mV, delays N(delay_mean_ms, delay_sd_ms) ms.
fn recurrent(p: &ParamSet, src: &str, tgt: &str, scale: f64) -> ProjectionSpec {
    ProjectionSpec {
        name: format!("{src}-{tgt}"),
        source: src.into(),
        target: tgt.into(),
        connector: Connector::FixedProbability {
            p: p.get("p_conn"),
            allow_autapses: true,
        },
        weight: WeightSpec::AbsNormal {
            mean_mv: 0.0,
            sd_mv: p.get("w_sd_mv"),
            scale,
        },
        delay: DelaySpec::Normal {
            mean_ms: p.get("delay_mean_ms"),
            sd_ms: p.get("delay_sd_ms"),
        },
    }
}

/// The extension when ext_rate_hz > 0: ext_n Poisson sources at ext_rate_hz (Hz), all-to-all
/// onto E with weight ext_w_mv (mV) and delay ext_delay_ms (ms).
fn extension(p: &ParamSet) -> Option<(PopulationSpec, ProjectionSpec)> {
    let ext_rate = p.get("ext_rate_hz");
    if !(ext_rate > 0.0) {
        return None;
    }
    let population = PopulationSpec::poisson("ext", p.get("ext_n") as usize, ext_rate);
    let projection = ProjectionSpec {
        name: "ext-E".into(),
        source: "ext".into(),
        target: "E".into(),
        connector: Connector::AllToAll {
            allow_autapses: true,
        },
        weight: WeightSpec::Constant {
            w_mv: p.get("ext_w_mv"),
        },
        delay: DelaySpec::Constant {
            d_ms: p.get("ext_delay_ms"),
        },
    };
    Some((population, projection))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_seed() {
        let spec = MODEL.spec(&MODEL.defaults()).unwrap();
        assert_eq!(spec.populations[0].size, 80);
        assert_eq!(spec.populations[1].size, 20);
        assert_eq!(spec.projections.len(), 6);
        assert_eq!(spec.n_steps(), 10_000);
    }

    #[test]
    fn extension_adds_an_all_to_all_population() {
        let p = MODEL.with_assignments(&["ext_rate_hz=50"]).unwrap();
        let spec = MODEL.spec(&p).unwrap();
        let ext = spec.populations.iter().find(|q| q.name == "ext").unwrap();
        assert_eq!(ext.size, 100);
        assert_eq!(ext.kind, PopulationKind::Poisson { rate_hz: 50.0 });
        assert!(spec.projections.iter().any(|q| q.name == "ext-E"
            && q.connector
                == Connector::AllToAll {
                    allow_autapses: true
                }
            && q.weight == WeightSpec::Constant { w_mv: 0.06 }));
    }

    #[test]
    fn inconsistent_settings_are_refused() {
        let p = MODEL
            .with_assignments(&["u_rest_lo_mv=-55", "u_rest_hi_mv=-60"])
            .unwrap();
        assert!(MODEL
            .spec(&p)
            .unwrap_err()
            .to_string()
            .contains("u_rest_lo_mv"));
        let p = MODEL.with_assignments(&["exc_fraction=1"]).unwrap();
        assert!(MODEL.spec(&p).is_err());
    }
}
