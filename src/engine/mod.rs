//! The clock-driven simulation loop with exact integration of linear LIF dynamics.
//!
//! Each step `s` (from s·dt to (s+1)·dt), in [`Simulator::step`]:
//! 1. every Poisson source draws its spike count and delivers it (with multiplicity); a
//!    one-to-one drive covering a whole population is instead drawn for all its neurons in
//!    bulk and added to the input they read in this step (the same Poisson process: its
//!    sources are not recorded, and input drawn now or D earlier is identically distributed);
//! 2. every LIF neuron reads the input arriving in this step from its ring buffer and is
//!    propagated exactly by its population's model; what refractory neurons do with input is
//!    the model's rule (delta synapses: discarded, as NEST `iaf_psc_delta`; current synapses:
//!    I keeps decaying and integrating it while v is clamped, as NEST `iaf_psc_exp` and
//!    Brian2's `(unless refractory)`);
//! 3. a neuron with v ≥ threshold spikes, is reset and becomes refractory for
//!    round(t_ref/dt) steps; the spike is stamped (s+1)·dt;
//! 4. spikes of this step are delivered into the ring buffer slot of step s + delay, so a
//!    spike can make its target fire exactly `delay` later (NEST's convention); a synchronous
//!    burst is counted per target instead of scattered, with the same f32 result.
//!
//! Files:
//! - `simulator.rs`: the state ([`Simulator`]) and the step above, one helper per part;
//! - `iaf_psc_delta.rs`, `iaf_psc_exp.rs`: one file per neuron model, each with its
//!   propagator variables, update kernel, refractory rule and exact-solution tests;
//! - `neuron.rs`: which model a population runs, and the state slices a kernel gets;
//! - `simd.rs`: the one run-time dispatch between the AVX2 and baseline builds of a kernel;
//! - `drive.rs`: Poisson drive onto whole populations (straight into the ring, or fused);
//! - `poisson.rs`: the per-step Poisson count sampler;
//! - `delivery.rs`: how sources reach their targets, and the scatter of spikes into the ring;
//! - `counting.rs`: synchronous bursts delivered as exact counts per target, updated from the
//!   most similar remembered burst and turned into the scatter's f32 input by a table;
//! - `tests.rs`: whole-engine tests (delays, seeds, drive rate) and the test networks.
//!
//! Determinism: a run is single-threaded and draws from one ChaCha stream of its seed, so the
//! same binary and seed give bit-identical spikes whatever the number of sweep threads (tested
//! by `tests/sweep.rs`); the AVX2 and baseline builds of every kernel give the same bits
//! (tested per model, `avx2_and_baseline_*`); `tests/golden.rs` pins spike hashes per model.
//! Across CPUs and compilers the results are expected identical but not verified: the step
//! uses only IEEE add/mul/compare in a fixed order (Rust never fuses them into an FMA, and
//! the only float conversions are exact widenings or IEEE-rounded f64→f32), while the
//! propagators and Poisson tables are computed once per run with `f64::exp`, which comes from
//! the platform's libm and is not guaranteed correctly rounded everywhere.

mod counting;
mod delivery;
mod drive;
pub mod iaf_psc_delta;
pub mod iaf_psc_exp;
mod neuron;
pub mod poisson;
mod simd;
mod simulator;

pub use neuron::NeuronModel;
pub use simd::FORCE_BASELINE;
pub use simulator::Simulator;

use crate::network::Network;
use crate::record::Recording;

/// Counters of the work done, for benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkCounts {
    /// Recurrent synaptic events delivered (spike × outgoing synapse).
    pub synaptic_events: u64,
    /// Poisson input events (counts) delivered.
    pub poisson_events: u64,
    /// Neuron updates (neurons × steps).
    pub neuron_steps: u64,
}

/// Simulates `net` for `n_steps` steps with Poisson drive drawn from `run_seed`; returns
/// what was recorded and the work it took.
pub fn run(net: &Network, n_steps: usize, run_seed: u64) -> (Recording, WorkCounts) {
    let mut sim = Simulator::new(net, run_seed);
    for _ in 0..n_steps {
        sim.step();
    }
    sim.finish()
}

/// The run recorded more spikes than its memory budget allows.
#[derive(Debug, thiserror::Error)]
#[error("the spike record reached {spikes} spikes ({:.1} GB) after {t_ms} ms of {duration_ms} ms, over the memory budget of {:.1} GB; expected a shorter duration_ms or a smaller network", *spikes as f64 * 8e-9, *budget_bytes as f64 * 1e-9)]
pub struct SpikeBudgetExceeded {
    /// Spikes recorded when the run stopped.
    pub spikes: usize,
    /// Simulated time when it stopped (ms).
    pub t_ms: f64,
    /// Simulated time asked for (ms).
    pub duration_ms: f64,
    /// The memory budget of the spike record (bytes).
    pub budget_bytes: usize,
}

/// [`run`], stopping with an error once the spike record (8 bytes a spike) would pass
/// `budget_bytes`: a long synchronous run must not abort the process on allocation.
pub fn run_bounded(
    net: &Network,
    n_steps: usize,
    run_seed: u64,
    budget_bytes: usize,
) -> Result<(Recording, WorkCounts), SpikeBudgetExceeded> {
    let mut sim = Simulator::new(net, run_seed);
    let max_spikes = budget_bytes / 8;
    for k in 0..n_steps {
        sim.step();
        if k % 1024 == 0 && sim.recorded_spikes() > max_spikes {
            return Err(SpikeBudgetExceeded {
                spikes: sim.recorded_spikes(),
                t_ms: k as f64 * net.dt_ms,
                duration_ms: n_steps as f64 * net.dt_ms,
                budget_bytes,
            });
        }
    }
    Ok(sim.finish())
}

#[cfg(test)]
mod tests;
