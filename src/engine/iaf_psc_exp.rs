//! LIF neuron with exponential current synapses (NEST `iaf_psc_exp` in voltage units, the
//! tutorial's Brian2 model): a spike of weight w adds w mV to a current-like variable I that
//! decays with tau_syn, and dv/dt = (u_rest − v + I)/tau_m.
//!
//! Exact integration over one step dt, with I_old the value at the start of the step and x the
//! input arriving in it:
//! - I ← I_old·P11 + x, P11 = exp(−dt/tau_syn);
//! - v ← u_rest + (v − u_rest)·P22 + I_old·P21, P22 = exp(−dt/tau_m),
//!   P21 = tau_syn/(tau_syn − tau_m)·(P11 − P22), or (dt/tau_m)·P22 when tau_syn = tau_m.
//!
//! Refractory rule (as NEST `iaf_psc_exp` and Brian2's `(unless refractory)`): for
//! round(t_ref/dt) steps after a spike v is clamped at v_reset, but **I keeps decaying and
//! integrating input** (including a fused Poisson drive), so nothing is discarded.

use super::neuron::NeuronSlices;
use super::simd::Kernel;
use crate::model::LifParams;
use crate::record::PopulationSpikes;

/// The propagators and thresholds of one population at a fixed step (NEST's `Variables_`,
/// computed once before the run as in its `pre_run_hook`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variables {
    /// exp(−dt/tau_syn): decay of I over one step.
    pub p11: f64,
    /// Contribution of I to v over one step (see the module doc).
    pub p21: f64,
    /// exp(−dt/tau_m): decay of v − u_rest over one step.
    pub p22: f64,
    /// Spike threshold (mV).
    pub v_th_mv: f64,
    /// Potential right after a spike and while refractory (mV).
    pub v_reset_mv: f64,
    /// Steps a neuron stays refractory after a spike: round(t_ref/dt).
    pub refractory_steps: u32,
}

impl Variables {
    /// The variables of neurons with parameters `p` and synaptic time constant `tau_syn_ms`
    /// at step `dt_ms` (the synapse kind of `p` is not read: the caller took `tau_syn_ms`
    /// from it).
    pub fn new(p: &LifParams, tau_syn_ms: f64, dt_ms: f64) -> Self {
        let p22 = (-dt_ms / p.tau_m_ms).exp();
        let p11 = (-dt_ms / tau_syn_ms).exp();
        // The general formula is 0/0 at tau_syn = tau_m; its limit there.
        let p21 = if (tau_syn_ms - p.tau_m_ms).abs() < 1e-12 {
            dt_ms / p.tau_m_ms * p22
        } else {
            tau_syn_ms / (tau_syn_ms - p.tau_m_ms) * (p11 - p22)
        };
        Variables {
            p11,
            p21,
            p22,
            v_th_mv: p.v_th_mv,
            v_reset_mv: p.v_reset_mv,
            refractory_steps: (p.t_ref_ms / dt_ms).round() as u32,
        }
    }
}

/// One step of one population: reads and clears `state.input`, appends spikes to `rec`
/// stamped `stamp`. Run it through [`super::simd::dispatch`].
pub(super) struct Update<'a, 's> {
    /// The population's variables.
    pub vars: &'a Variables,
    /// The resting potential when all neurons share it (saves a load per neuron), else None
    /// and `state.u_rest` is read.
    pub uniform_rest_mv: Option<f64>,
    /// Its state (`flags` is not used by this model).
    pub state: NeuronSlices<'s>,
    /// Where its spikes go.
    pub rec: &'a mut PopulationSpikes,
    /// The time stamp of spikes in this step (step index + 1).
    pub stamp: u32,
}

impl Kernel for Update<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Update {
            vars,
            uniform_rest_mv,
            state,
            rec,
            stamp,
        } = self;
        let (v, i_syn, u_rest, refractory, input) = (
            state.v,
            state.i_syn,
            state.u_rest,
            state.refractory,
            state.input,
        );
        propagate(
            vars,
            uniform_rest_mv,
            v,
            i_syn,
            u_rest,
            refractory,
            input,
            rec,
            stamp,
        );
    }
}

/// The step, neuron by neuron; spikes are appended to `rec` as they happen. The slices are
/// separate arguments (not fields of a struct) so that the compiler knows they do not overlap.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn propagate(
    vars: &Variables,
    uniform_rest_mv: Option<f64>,
    v: &mut [f64],
    i_syn: &mut [f64],
    u_rest: &[f64],
    refractory: &mut [u32],
    input: &mut [f32],
    rec: &mut PopulationSpikes,
    stamp: u32,
) {
    // A local copy: the compiler then knows that stores to the state do not change it.
    let vars = *vars;
    let n = v.len();
    let (v, i_syn, u_rest, refractory, input) = (
        &mut v[..n],
        &mut i_syn[..n],
        &u_rest[..n],
        &mut refractory[..n],
        &mut input[..n],
    );
    for j in 0..n {
        let x = std::mem::take(&mut input[j]) as f64;
        let u = uniform_rest_mv.unwrap_or(u_rest[j]);
        let i_old = i_syn[j];
        i_syn[j] = i_old * vars.p11 + x;
        // Refractory: I has moved on above; v stays (at reset).
        if refractory[j] > 0 {
            refractory[j] -= 1;
            continue;
        }
        let vj = u + (v[j] - u) * vars.p22 + i_old * vars.p21;
        if vj >= vars.v_th_mv {
            v[j] = vars.v_reset_mv;
            refractory[j] = vars.refractory_steps;
            rec.steps.push(stamp);
            rec.neurons.push(j as u32);
        } else {
            v[j] = vj;
        }
    }
}

#[cfg(test)]
mod tests {
    //! Exact answers of the current-synapse model: PSP shape, free decay, input integrated
    //! while refractory, and the AVX2 build against the baseline.

    use super::super::tests::{lif, single};
    use super::super::Simulator;
    use crate::model::Synapse;
    use crate::network::build;

    const EXP: Synapse = Synapse::ExpCurrent { tau_syn_ms: 5.0 };

    #[test]
    fn exponential_synapse_psp_peaks_at_the_analytic_value() {
        // Reference: x(t) = w·tau_s/(tau_s − tau_m)·(e^(−t/tau_s) − e^(−t/tau_m)); for
        // w = 2.2 mV, tau_s = 5 ms, tau_m = 20 ms the peak is 0.3465 mV at
        // t* = ln 4 · 20/3 ms = 9.242 ms.
        let mut p = lif(EXP, 0.0, 0.0);
        p.v_th_mv = 100.0;
        let net = build(&single(p, 1), 1).unwrap();
        let mut sim = Simulator::new(&net, 1);
        sim.inject(0, 2.2, 0);
        sim.step(); // the input arrives at the end of this step: t = 0 is now
        assert_eq!(sim.v()[0], 0.0);
        // The ring buffer holds f32: the weight arrives as f32(2.2).
        let w = 2.2f32 as f64;
        assert_eq!(sim.i_syn()[0], w);
        let (mut best_v, mut best_t) = (0.0, 0.0);
        for m in 1..=400 {
            sim.step();
            let t = m as f64 * 0.1;
            let want = w * 5.0 / (5.0 - 20.0) * ((-t / 5.0f64).exp() - (-t / 20.0f64).exp());
            assert!(
                (sim.v()[0] - want).abs() < 1e-12,
                "t = {t}: {} vs {want}",
                sim.v()[0]
            );
            if sim.v()[0] > best_v {
                best_v = sim.v()[0];
                best_t = t;
            }
        }
        assert!((best_v - 0.3465).abs() < 0.0005, "peak {best_v}");
        assert!((best_t - 9.24).abs() <= 0.05 + 1e-9, "peak time {best_t}");
    }

    #[test]
    fn free_membrane_decays_exponentially_to_rest() {
        let net = build(&single(lif(EXP, -2.0, 15.0), 1), 1).unwrap();
        let mut sim = Simulator::new(&net, 1);
        for m in 1..=500 {
            sim.step();
            let want = -2.0 + 17.0 * (-(m as f64) * 0.1 / 20.0).exp();
            assert!((sim.v()[0] - want).abs() < 1e-11, "step {m}");
        }
    }

    #[test]
    fn current_synapse_keeps_integrating_input_while_refractory() {
        let mut p = lif(EXP, 0.0, 19.99);
        p.t_ref_ms = 1.0;
        let net = build(&single(p, 1), 1).unwrap();
        let mut sim = Simulator::new(&net, 1);
        sim.inject(0, 200.0, 1);
        sim.step();
        sim.step();
        sim.step(); // I from the first input drives v over threshold
        assert_eq!(sim.v()[0], 10.0);
        sim.inject(0, 3.0, 0);
        let i_before = sim.i_syn()[0];
        sim.step();
        assert_eq!(sim.v()[0], 10.0);
        assert!((sim.i_syn()[0] - (i_before * (-0.1f64 / 5.0).exp() + 3.0)).abs() < 1e-12);
    }

    #[test]
    fn equal_time_constants_use_the_limit_of_p21() {
        // tau_syn = tau_m: v(t) = w·(t/tau)·e^(−t/tau) after an input w at t = 0.
        let mut p = lif(Synapse::ExpCurrent { tau_syn_ms: 20.0 }, 0.0, 0.0);
        p.v_th_mv = 100.0;
        let net = build(&single(p, 1), 1).unwrap();
        let mut sim = Simulator::new(&net, 1);
        sim.inject(0, 2.0, 0);
        sim.step();
        for m in 1..=400 {
            sim.step();
            let t = m as f64 * 0.1;
            let want = 2.0 * t / 20.0 * (-t / 20.0f64).exp();
            assert!((sim.v()[0] - want).abs() < 1e-12, "t = {t}");
        }
    }

    #[test]
    fn avx2_and_baseline_code_paths_give_identical_spikes() {
        // The tutorial: current synapses, per-neuron resting potentials, fused Poisson drive.
        // It has no voltage probes, so the final v and I of every neuron are compared too.
        let m = crate::model::tutorial::MODEL;
        let spec = m
            .spec(&m.with_assignments(&["duration_ms=500"]).unwrap())
            .unwrap();
        assert!(spec.populations.iter().any(|p| matches!(
            &p.kind,
            crate::model::PopulationKind::Lif(l) if l.synapse != Synapse::Delta
        )));
        let net = build(&spec, 5).unwrap();
        let run_to_end = || {
            let mut sim = Simulator::new(&net, 5);
            for _ in 0..spec.n_steps() {
                sim.step();
            }
            let (v, i_syn) = (sim.v().to_vec(), sim.i_syn().to_vec());
            (sim.finish().0.spikes, v, i_syn)
        };
        let (a, b) = super::super::simd::on_both_paths(run_to_end);
        assert!(a.0[0].steps.len() > 100, "{}", a.0[0].steps.len());
        assert_eq!(a, b);
    }
}
