//! LIF neuron with delta synapses (Brunel 2000; NEST `iaf_psc_delta`): a spike of weight w
//! moves v by w mV at once; between inputs v − u_rest decays with tau_m.
//!
//! Exact integration over one step dt: v ← u_rest + (v − u_rest)·P22 + x with
//! P22 = exp(−dt/tau_m) and x the input arriving in the step.
//!
//! Refractory rule (as NEST): after a spike v is set to v_reset and the neuron is refractory
//! for round(t_ref/dt) steps, during which v stays at v_reset and **input arriving in those
//! steps is discarded** (including a fused Poisson drive, which is part of the input).

use super::neuron::NeuronSlices;
use super::simd::Kernel;
use crate::model::LifParams;
use crate::record::PopulationSpikes;

/// The propagator and thresholds of one population at a fixed step (NEST's `Variables_`,
/// computed once before the run as in its `pre_run_hook`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variables {
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
    /// The variables of neurons with parameters `p` at step `dt_ms` (the synapse kind of `p`
    /// is not read: the caller has chosen this model for it).
    pub fn new(p: &LifParams, dt_ms: f64) -> Self {
        Variables {
            p22: (-dt_ms / p.tau_m_ms).exp(),
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
    /// Its state (`i_syn` is not used by this model).
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
            state,
            rec,
            stamp,
        } = self;
        let n = state.v.len();
        let flags = state.flags;
        flags.clear();
        flags.resize(n, 0);
        let (v, u_rest, refractory, input, flags) = (
            state.v,
            &state.u_rest[..n],
            &mut state.refractory[..n],
            &mut state.input[..n],
            &mut flags[..n],
        );
        propagate(vars, v, u_rest, refractory, input, flags);
        record_flagged(flags, rec, stamp);
    }
}

/// The step without branches on the neuron state, so it vectorises: updates v and the
/// refractory counters, clears the input and flags spikes. The slices are separate arguments
/// (not fields of a struct) so that the compiler knows they do not overlap.
#[inline(always)]
fn propagate(
    vars: &Variables,
    v: &mut [f64],
    u_rest: &[f64],
    refractory: &mut [u32],
    input: &mut [f32],
    flags: &mut [u8],
) {
    // A local copy: the compiler then knows that stores to the state do not change it.
    let vars = *vars;
    let n = v.len();
    let (u_rest, refractory, input, flags) = (
        &u_rest[..n],
        &mut refractory[..n],
        &mut input[..n],
        &mut flags[..n],
    );
    for j in 0..n {
        let x = input[j] as f64;
        input[j] = 0.0;
        let r = refractory[j];
        let u = u_rest[j];
        let free = u + (v[j] - u) * vars.p22 + x;
        // Refractory: v stays (at reset) and x is dropped.
        let active = r == 0;
        let vn = if active { free } else { v[j] };
        let spike = active & (vn >= vars.v_th_mv);
        v[j] = if spike { vars.v_reset_mv } else { vn };
        refractory[j] = if spike {
            vars.refractory_steps
        } else {
            r.saturating_sub(1)
        };
        flags[j] = spike as u8;
    }
}

/// Appends the neurons whose flag is set to `rec`, in index order, skipping empty groups of 8.
#[inline(always)]
fn record_flagged(flags: &[u8], rec: &mut PopulationSpikes, stamp: u32) {
    for (c, chunk) in flags.chunks(8).enumerate() {
        if chunk.iter().any(|&f| f != 0) {
            for (i, &f) in chunk.iter().enumerate() {
                if f != 0 {
                    rec.steps.push(stamp);
                    rec.neurons.push((c * 8 + i) as u32);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Exact answers of the delta model: free decay, refractory clamp, shortest interval,
    //! and the AVX2 build against the baseline.

    use super::super::tests::{lif, single};
    use super::super::{run, Simulator};
    use crate::model::Synapse;
    use crate::network::build;

    #[test]
    fn free_membrane_decays_exponentially_to_rest() {
        let net = build(&single(lif(Synapse::Delta, -2.0, 15.0), 1), 1).unwrap();
        let mut sim = Simulator::new(&net, 1);
        for m in 1..=500 {
            sim.step();
            let want = -2.0 + 17.0 * (-(m as f64) * 0.1 / 20.0).exp();
            assert!((sim.v()[0] - want).abs() < 1e-11, "step {m}");
        }
    }

    #[test]
    fn refractory_clamps_at_reset_and_discards_delta_input() {
        let net = build(&single(lif(Synapse::Delta, 0.0, 19.95), 1), 1).unwrap();
        let mut sim = Simulator::new(&net, 1);
        sim.inject(0, 1.0, 1); // arrives in step 1 and makes it fire
        sim.step();
        sim.step();
        assert_eq!(sim.v()[0], 10.0);
        // Input arriving during the 20 refractory steps is discarded.
        for _ in 0..20 {
            sim.inject(0, 0.5, 0);
            sim.step();
            assert_eq!(sim.v()[0], 10.0);
        }
        sim.step(); // first free step: plain decay from reset, nothing added
        assert!((sim.v()[0] - 10.0 * (-0.1f64 / 20.0).exp()).abs() < 1e-12);
        let (rec, _) = sim.finish();
        assert_eq!(rec.spikes[0].steps, vec![2]);
    }

    #[test]
    fn shortest_interval_under_huge_drive_is_t_ref_plus_dt() {
        // NEST iaf_psc_delta: t_ref + dt = 2.1 ms between spikes.
        let net = build(&single(lif(Synapse::Delta, 0.0, 0.0), 1), 1).unwrap();
        let mut sim = Simulator::new(&net, 1);
        for s in 0..200 {
            if s + 1 < 200 {
                sim.inject(0, 100.0, 1);
            }
            sim.step();
        }
        let (rec, _) = sim.finish();
        let isis: Vec<u32> = rec.spikes[0]
            .steps
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect();
        assert!(
            !isis.is_empty() && isis.iter().all(|&i| i == 21),
            "{isis:?}"
        );
    }

    #[test]
    fn avx2_and_baseline_code_paths_give_identical_spikes() {
        let m = crate::model::brunel::MODEL;
        let p = m
            .with_assignments(&["N_E=800", "N_I=200", "epsilon=0.5", "duration_ms=300"])
            .unwrap();
        let spec = m.spec(&p).unwrap();
        let net = build(&spec, 3).unwrap();
        let ((a, _), (b, _)) = super::super::simd::on_both_paths(|| run(&net, spec.n_steps(), 3));
        assert!(a.spikes[0].steps.len() > 100);
        assert_eq!(a.spikes, b.spikes);
        assert_eq!(a.voltages, b.voltages);
    }
}
