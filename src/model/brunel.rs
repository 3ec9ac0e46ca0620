//! Model `brunel`: model A of Brunel N (2000), "Dynamics of sparsely connected networks of
//! excitatory and inhibitory spiking neurons", J Comput Neurosci 8:183–208: N_E excitatory and
//! N_I inhibitory leaky integrate-and-fire neurons, identical, with delta synapses (a spike
//! makes a jump of J mV in v, −g·J mV from I), one delay D for every synapse, and external
//! Poisson drive of rate eta·nu_thr per input. Voltages are in mV relative to rest (0 mV),
//! times in ms, rates in Hz.
//!
//! Defaults are the paper's (V_r = 10 mV; NEST's examples use 0). Fixed in-degrees
//! C_E = round(epsilon·N_E), C_I = round(epsilon·N_I) with multapses allowed and autapses not
//! (NEST `fixed_indegree`). The external drive of C_E independent Poisson inputs of rate nu_ext
//! and weight J is one Poisson process of rate C_E·nu_ext per neuron, with
//! nu_ext = eta·nu_thr and nu_thr = theta/(J·C_E·tau_m).
//!
//! Smaller networks are settings: keeping C_E = 1000 and J = 0.1 mV while shrinking N_E
//! (e.g. N_E = 2500, N_I = 625, epsilon = 0.4) keeps Brunel's layout at a quarter of the cost,
//! because the mean and the fluctuations of the input (∝ J·C_E and J·√C_E) are unchanged.
//! Shrinking C_E with J·C_E kept (N_E = 2000, epsilon = 0.1, J = 0.5 mV) grows fluctuations by
//! √5 and makes (g, eta) = (5, 0.8) fire at several Hz where the full network is silent.

use super::params::{ParamDef, ParamError, ParamSet, Range};
use super::spec::*;
use super::MeanFieldInputs;
use super::Model;

/// Parameters of model A with the paper's defaults, at the AI point (g, eta) = (5, 2).
pub const PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "N_E",
        default: 10000.0,
        unit: "neurons",
        range: Range::count(1.0, 1e8),
        meaning: "number of excitatory neurons",
    },
    ParamDef {
        name: "N_I",
        default: 2500.0,
        unit: "neurons",
        range: Range::count(1.0, 1e8),
        meaning: "number of inhibitory neurons",
    },
    ParamDef {
        name: "epsilon",
        default: 0.1,
        unit: "",
        range: Range::above(0.0, 1.0),
        meaning:
            "connection probability; in-degrees C_E = round(epsilon·N_E), C_I = round(epsilon·N_I)",
    },
    ParamDef {
        name: "J",
        default: 0.1,
        unit: "mV",
        range: Range::positive(),
        meaning: "excitatory PSP: voltage jump per excitatory spike (external ones too)",
    },
    ParamDef {
        name: "g",
        default: 5.0,
        unit: "",
        range: Range::non_negative(),
        meaning: "relative strength of inhibition; inhibitory jump is −g·J",
    },
    ParamDef {
        name: "eta",
        default: 2.0,
        unit: "",
        range: Range::non_negative(),
        meaning: "external drive nu_ext/nu_thr, nu_thr = theta/(J·C_E·tau_m)",
    },
    ParamDef {
        name: "D_ms",
        default: 1.5,
        unit: "ms",
        range: Range::positive(),
        meaning: "transmission delay of every synapse (rounded to whole steps)",
    },
    ParamDef {
        name: "tau_m_ms",
        default: 20.0,
        unit: "ms",
        range: Range::positive(),
        meaning: "membrane time constant",
    },
    ParamDef {
        name: "theta",
        default: 20.0,
        unit: "mV",
        range: Range::positive(),
        meaning: "firing threshold (rest is 0 mV)",
    },
    ParamDef {
        name: "V_r",
        default: 10.0,
        unit: "mV",
        range: Range::any(),
        meaning: "reset potential (paper 10 mV; NEST examples 0 mV)",
    },
    ParamDef {
        name: "tau_rp_ms",
        default: 2.0,
        unit: "ms",
        range: Range::non_negative(),
        meaning: "refractory period, v clamped at V_r and input discarded",
    },
    ParamDef {
        name: "V_init_max",
        default: 20.0,
        unit: "mV",
        range: Range::non_negative(),
        meaning: "initial v uniform in [0, V_init_max); 0 starts every neuron at 0 mV",
    },
    ParamDef {
        name: "autapses",
        default: 0.0,
        unit: "0/1",
        range: Range::count(0.0, 1.0),
        meaning: "allow a neuron to connect to itself (multapses are always allowed)",
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
        default: 1200.0,
        unit: "ms",
        range: Range::above(0.0, 1e9),
        meaning: "simulated time, warm-up included",
    },
    ParamDef {
        name: "warmup_ms",
        default: 200.0,
        unit: "ms",
        range: Range::non_negative(),
        meaning: "initial transient left out of every measure",
    },
    ParamDef {
        name: "v_sample_n",
        default: 500.0,
        unit: "neurons",
        range: Range::count(0.0, 1e8),
        meaning: "E neurons whose v is sampled for Golomb's chi (0 = none)",
    },
    ParamDef {
        name: "v_sample_every_ms",
        default: 0.5,
        unit: "ms",
        range: Range::positive(),
        meaning: "sampling interval of v for chi",
    },
];

/// The `brunel` preset.
pub const MODEL: Model = Model {
    name: "brunel",
    summary: "Brunel (2000) model A: N_E = 10000, N_I = 2500 delta-synapse LIF neurons, fixed in-degree, Poisson drive; set g and eta",
    params: PARAMS,
    headline: &["g", "eta"],
    build,
    fig8: true,
    mean_field: Some(mean_field),
};

/// What the diffusion mean field of Brunel (2000) needs of a parameter set.
pub fn mean_field(p: &ParamSet) -> MeanFieldInputs {
    let (c_e, c_i) = in_degrees(p);
    MeanFieldInputs {
        c_e: c_e as f64,
        c_i: c_i as f64,
        j_mv: p.get("J"),
        g: p.get("g"),
        nu_ext_hz: p.get("eta") * nu_thr_hz(p),
        tau_m_ms: p.get("tau_m_ms"),
        theta_mv: p.get("theta"),
        v_r_mv: p.get("V_r"),
        tau_rp_ms: p.get("tau_rp_ms"),
        d_ms: p.get("D_ms"),
    }
}

/// In-degrees (C_E, C_I) of a parameter set.
pub fn in_degrees(p: &ParamSet) -> (usize, usize) {
    let c_e = (p.get("epsilon") * p.get("N_E")).round() as usize;
    let c_i = (p.get("epsilon") * p.get("N_I")).round() as usize;
    (c_e, c_i)
}

/// nu_thr = theta/(J·C_E·tau_m) in Hz of a parameter set: the external rate per input that
/// brings the mean free membrane potential to threshold.
pub fn nu_thr_hz(p: &ParamSet) -> f64 {
    let (c_e, _) = in_degrees(p);
    threshold_rate_hz(p.get("theta"), p.get("J"), c_e as f64, p.get("tau_m_ms"))
}

/// nu_thr = theta/(J·C_E·tau_m) in Hz from its parts: the one formula of the threshold rate,
/// used by the model's drive and by the mean-field theory (which may import the model, not
/// the other way round).
pub fn threshold_rate_hz(theta_mv: f64, j_mv: f64, c_e: f64, tau_m_ms: f64) -> f64 {
    theta_mv / (j_mv * c_e * tau_m_ms * 1e-3)
}

fn build(p: &ParamSet) -> Result<NetworkSpec, ParamError> {
    let (c_e, c_i) = in_degrees(p);
    check_consistency(p, c_e)?;
    Ok(NetworkSpec {
        dt_ms: p.get("dt_ms"),
        duration_ms: p.get("duration_ms"),
        warmup_ms: p.get("warmup_ms"),
        populations: populations(p, c_e),
        projections: projections(p, c_e, c_i),
        voltage_sampling: voltage_sampling(p),
    })
}

/// Refuses combinations the ranges allow but the model does not: C_E = 0 (no threshold rate),
/// a reset V_r at or above theta (mV), a warm-up as long as the run (ms).
fn check_consistency(p: &ParamSet, c_e: usize) -> Result<(), ParamError> {
    if c_e == 0 {
        return Err(ParamError::Inconsistent {
            names: "epsilon, N_E".into(),
            message: "C_E = round(epsilon·N_E) is 0; nu_thr and the drive are undefined".into(),
        });
    }
    if p.get("V_r") >= p.get("theta") {
        return Err(ParamError::Inconsistent {
            names: "V_r, theta".into(),
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

/// The LIF neurons of E and I (identical): delta synapses, rest 0 mV, threshold theta (mV),
/// reset V_r (mV), v starting uniformly in [0, V_init_max) mV (at 0 mV when V_init_max = 0).
fn lif_params(p: &ParamSet) -> LifParams {
    let v_init_max = p.get("V_init_max");
    LifParams {
        tau_m_ms: p.get("tau_m_ms"),
        synapse: Synapse::Delta,
        v_th_mv: p.get("theta"),
        v_reset_mv: p.get("V_r"),
        t_ref_ms: p.get("tau_rp_ms"),
        u_rest_mv: PerNeuron::Constant(0.0),
        v_init_mv: if v_init_max > 0.0 {
            InitialV::Draw(PerNeuron::Uniform {
                lo: 0.0,
                hi: v_init_max,
            })
        } else {
            InitialV::Draw(PerNeuron::Constant(0.0))
        },
    }
}

/// E, I, and their external drive ext_E, ext_I: one Poisson process per neuron at
/// C_E·eta·nu_thr (Hz), standing for C_E independent inputs at eta·nu_thr each.
fn populations(p: &ParamSet, c_e: usize) -> Vec<PopulationSpec> {
    let (n_e, n_i) = (p.get("N_E") as usize, p.get("N_I") as usize);
    let lif = lif_params(p);
    let ext_rate_hz = c_e as f64 * p.get("eta") * nu_thr_hz(p);
    vec![
        PopulationSpec::lif("E", n_e, lif.clone()),
        PopulationSpec::lif("I", n_i, lif),
        PopulationSpec::poisson("ext_E", n_e, ext_rate_hz),
        PopulationSpec::poisson("ext_I", n_i, ext_rate_hz),
    ]
}

/// The one-to-one external drive, then the recurrent E→E, E→I, I→E, I→I with fixed in-degrees
/// C_E from E and C_I from I (in this order: the golden hashes pin it). Weights J and −g·J
/// (mV), every delay D_ms (ms).
fn projections(p: &ParamSet, c_e: usize, c_i: usize) -> Vec<ProjectionSpec> {
    let j = p.get("J");
    let g = p.get("g");
    let autapses = p.get("autapses") == 1.0;
    let delay = DelaySpec::Constant {
        d_ms: p.get("D_ms"),
    };
    let proj = |name: &str, src: &str, tgt: &str, connector: Connector, w: f64| ProjectionSpec {
        name: name.into(),
        source: src.into(),
        target: tgt.into(),
        connector,
        weight: WeightSpec::Constant { w_mv: w },
        delay,
    };
    let indeg = |k| Connector::FixedInDegree {
        k,
        allow_autapses: autapses,
        allow_multapses: true,
    };
    vec![
        proj("ext_E-E", "ext_E", "E", Connector::OneToOne, j),
        proj("ext_I-I", "ext_I", "I", Connector::OneToOne, j),
        proj("E-E", "E", "E", indeg(c_e), j),
        proj("E-I", "E", "I", indeg(c_e), j),
        proj("I-E", "I", "E", indeg(c_i), -g * j),
        proj("I-I", "I", "I", indeg(c_i), -g * j),
    ]
}

/// v of min(v_sample_n, N_E) E neurons every v_sample_every_ms (ms), for Golomb's chi; none
/// when v_sample_n = 0.
fn voltage_sampling(p: &ParamSet) -> Vec<VoltageSampling> {
    let n_sample = (p.get("v_sample_n") as usize).min(p.get("N_E") as usize);
    if n_sample > 0 {
        vec![VoltageSampling {
            population: "E".into(),
            count: n_sample,
            every_ms: p.get("v_sample_every_ms"),
        }]
    } else {
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_brunels_model_a() {
        let p = MODEL.defaults();
        assert_eq!(in_degrees(&p), (1000, 250));
        assert!((nu_thr_hz(&p) - 10.0).abs() < 1e-12);
        let spec = MODEL.spec(&p).unwrap();
        // eta = 2: 20 kHz of external input per neuron, as NEST's p_rate.
        match spec.populations[2].kind {
            PopulationKind::Poisson { rate_hz } => assert!((rate_hz - 20_000.0).abs() < 1e-9),
            _ => panic!(),
        }
        let ie = spec.projections.iter().find(|q| q.name == "I-E").unwrap();
        assert_eq!(ie.weight, WeightSpec::Constant { w_mv: -0.5 });
    }
}
