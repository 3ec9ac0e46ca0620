//! The clock-driven simulation loop with exact integration of linear LIF dynamics.
//!
//! Each step `s` (from s·dt to (s+1)·dt):
//! 1. every Poisson source draws its spike count and delivers it (with multiplicity); a
//!    one-to-one drive covering a whole population is instead drawn for all its neurons in
//!    bulk and added to the input they read in this step (the same Poisson process: its
//!    sources are not recorded, and input drawn now or D earlier is identically distributed);
//! 2. every LIF neuron reads the input arriving in this step from its ring buffer and is
//!    propagated exactly (see [`Propagator`]); refractory neurons stay at reset
//!    (delta synapses: their input is discarded, as NEST `iaf_psc_delta`; current synapses:
//!    I keeps evolving and receiving input, as Brian2's `(unless refractory)`);
//! 3. a neuron with v ≥ threshold spikes, is reset and becomes refractory for
//!    round(t_ref/dt) steps; the spike is stamped (s+1)·dt;
//! 4. spikes of this step are delivered into the ring buffer slot of step s + delay, so a
//!    spike can make its target fire exactly `delay` later (NEST's convention).

mod delivery;
pub mod poisson;
mod update;

use crate::network::{Network, SourceRef};
use crate::record::{PopulationSpikes, Recording, VoltageTrace};
use crate::rng::{stream, Purpose};
use delivery::{deliver, SourcePlan};
use poisson::PoissonSampler;
use update::{add_drive, update_population, Drive, NeuronSlices};
pub use update::{Propagator, FORCE_BASELINE};

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
    pub spikes: usize,
    pub t_ms: f64,
    pub duration_ms: f64,
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

/// A running simulation; [`Simulator::step`] advances one dt.
pub struct Simulator<'a> {
    net: &'a Network,
    rng: rand_chacha::ChaCha8Rng,
    step: usize,
    depth: usize,
    /// ring[slot·n_lif + j]: input to neuron j arriving in steps ≡ slot (mod depth). f32
    /// halves the cache footprint of the row that recurrent events scatter into.
    ring: Vec<f32>,
    v: Vec<f64>,
    i_syn: Vec<f64>,
    u_rest: Vec<f64>,
    refractory: Vec<u32>,
    props: Vec<Propagator>,
    samplers: Vec<PoissonSampler>,
    source_plans: Vec<SourcePlan>,
    /// Per LIF population: a Poisson source population fused into its update, with its weight.
    fused: Vec<Option<(usize, f64)>>,
    /// Scratch buffers of the fused drive (uniforms) and of spike flags, kept between steps.
    scratch_u: Vec<u32>,
    scratch_flags: Vec<u8>,

    /// The resting potential of each LIF population when all its neurons share it.
    uniform_rest: Vec<Option<f64>>,
    /// Projections leaving each LIF population / each source population.
    out_lif: Vec<Vec<usize>>,
    out_src: Vec<Vec<usize>>,
    /// Spikes of the current step as (population, local neuron).
    fired: Vec<(u32, u32)>,
    spikes: Vec<PopulationSpikes>,
    voltages: Vec<VoltageTrace>,
    work: WorkCounts,
}

impl<'a> Simulator<'a> {
    /// Sets up state from the network's initial values.
    pub fn new(net: &'a Network, run_seed: u64) -> Self {
        let n = net.n_lif;
        let depth = net.max_delay_steps + 1;
        let mut v = Vec::with_capacity(n);
        let mut u_rest = Vec::with_capacity(n);
        for p in &net.lif {
            v.extend_from_slice(&p.v_init_mv);
            u_rest.extend_from_slice(&p.u_rest_mv);
        }
        // Every target index is below n: the unchecked writes in `deliver` rely on it.
        for pr in &net.projections {
            let size = pr.target_size;
            assert!(
                pr.targets.max().is_none_or(|t| t < size) && pr.target_offset + size <= n,
                "projection {}: target out of range",
                pr.name
            );
        }
        let uniform_rest = net
            .lif
            .iter()
            .map(|p| match p.u_rest_mv.first() {
                Some(&u) if p.u_rest_mv.iter().all(|&x| x == u) => Some(u),
                _ => None,
            })
            .collect();
        let mut out_lif = vec![vec![]; net.lif.len()];
        let mut out_src = vec![vec![]; net.sources.len()];
        for (k, pr) in net.projections.iter().enumerate() {
            match pr.source {
                SourceRef::Lif(i) => out_lif[i].push(k),
                SourceRef::Poisson(i) => out_src[i].push(k),
            }
        }
        let samplers: Vec<PoissonSampler> = net
            .sources
            .iter()
            .map(|s| PoissonSampler::new(s.rate_hz * net.dt_ms * 1e-3))
            .collect();
        let mut source_plans: Vec<SourcePlan> = (0..net.sources.len())
            .map(|si| SourcePlan::of(net, &out_src[si]))
            .collect();
        // Fuse a one-to-one drive that covers a whole LIF population into its update: the
        // count for step s+D is drawn when the neuron reads it, which is the same Poisson
        // process (the sources are not recorded) and saves a pass over the ring.
        let mut fused = vec![None; net.lif.len()];
        for (si, plan) in source_plans.iter_mut().enumerate() {
            if let (
                SourcePlan::Direct {
                    target_offset,
                    w_mv,
                    ..
                },
                PoissonSampler::Table(_),
            ) = (*plan, &samplers[si])
            {
                if let Some(pi) = net
                    .lif
                    .iter()
                    .position(|p| p.offset == target_offset && p.size == net.sources[si].size)
                {
                    if fused[pi].is_none() {
                        fused[pi] = Some((si, w_mv));
                        *plan = SourcePlan::Fused;
                    }
                }
            }
        }
        Simulator {
            net,
            rng: stream(run_seed, Purpose::Drive),
            step: 0,
            depth,
            ring: vec![0.0; depth * n],
            v,
            i_syn: vec![0.0; n],
            u_rest,
            refractory: vec![0; n],
            props: net
                .lif
                .iter()
                .map(|p| Propagator::new(&p.params, net.dt_ms))
                .collect(),
            samplers,
            source_plans,
            fused,
            scratch_u: Vec::new(),
            scratch_flags: Vec::new(),

            uniform_rest,
            out_lif,
            out_src,
            fired: Vec::new(),
            spikes: net
                .lif
                .iter()
                .map(|p| PopulationSpikes {
                    name: p.name.clone(),
                    size: p.size,
                    ..Default::default()
                })
                .collect(),
            voltages: net
                .probes
                .iter()
                .map(|pr| {
                    let off = net
                        .lif_population(&pr.population)
                        .map(|p| p.offset)
                        .unwrap_or(0) as u32;
                    VoltageTrace {
                        population: pr.population.clone(),
                        neurons: pr.neurons.iter().map(|&j| j - off).collect(),
                        every_steps: pr.every_steps,
                        samples: Vec::new(),
                    }
                })
                .collect(),
            work: WorkCounts::default(),
        }
    }

    /// Membrane potential of every LIF neuron (global order), for tests and probes.
    pub fn v(&self) -> &[f64] {
        &self.v
    }

    /// Synaptic current-like variable I of every LIF neuron (0 for delta synapses).
    pub fn i_syn(&self) -> &[f64] {
        &self.i_syn
    }

    /// Adds `w_mv` of input to LIF neuron `j`, read by the update `delay_steps` after the next
    /// one (0: the next [`Simulator::step`] reads it).
    pub fn inject(&mut self, j: usize, w_mv: f64, delay_steps: usize) {
        assert!(delay_steps < self.depth, "delay outside the ring buffer");
        let slot = (self.step + delay_steps) % self.depth;
        self.ring[slot * self.net.n_lif + j] += w_mv as f32;
    }

    /// Advances one time step.
    /// Spikes recorded so far, all populations together.
    pub fn recorded_spikes(&self) -> usize {
        self.spikes.iter().map(|p| p.steps.len()).sum()
    }

    pub fn step(&mut self) {
        let net = self.net;
        let n = net.n_lif;
        let s = self.step;
        let depth = self.depth;

        // 1. Poisson sources.
        for (si, sampler) in self.samplers.iter().enumerate() {
            let size = net.sources[si].size;
            match (&self.source_plans[si], sampler) {
                (_, PoissonSampler::Zero) | (SourcePlan::Fused, _) => {}
                // One-to-one onto a LIF population with one weight and delay (Brunel's
                // external drive, the tutorial's inputs): add k·w straight into the ring.
                (
                    SourcePlan::Direct {
                        target_offset,
                        w_mv,
                        delay,
                    },
                    PoissonSampler::Table(table),
                ) => {
                    let slot = (s + delay) % depth;
                    let start = slot * n + target_offset;
                    let row = &mut self.ring[start..start + size];
                    let mut events = 0u64;
                    let w = *w_mv as f32;
                    for x in row.iter_mut() {
                        let k = poisson::sample_table(table, &mut self.rng);
                        events += k as u64;
                        *x += k as f32 * w;
                    }
                    self.work.poisson_events += events;
                }
                (_, sampler) => {
                    for src in 0..size {
                        let k = sampler.sample(&mut self.rng);
                        if k == 0 {
                            continue;
                        }
                        self.work.poisson_events += k as u64;
                        for &pi in &self.out_src[si] {
                            deliver(
                                &net.projections[pi],
                                src,
                                k as f64,
                                s,
                                depth,
                                n,
                                &mut self.ring,
                            );
                        }
                    }
                }
            }
        }

        // 2-3. Neuron updates.
        let slot = s % depth;
        let input = &mut self.ring[slot * n..(slot + 1) * n];
        self.fired.clear();
        let stamp = (s + 1) as u32;
        for (pi, pop) in net.lif.iter().enumerate() {
            let range = pop.offset..pop.offset + pop.size;
            let state = NeuronSlices {
                v: &mut self.v[range.clone()],
                i_syn: &mut self.i_syn[range.clone()],
                u_rest: &self.u_rest[range.clone()],
                refractory: &mut self.refractory[range.clone()],
                input: &mut input[range],
                flags: &mut self.scratch_flags,
            };
            let before = self.spikes[pi].neurons.len();
            if let Some((si, w_mv)) = self.fused[pi] {
                let PoissonSampler::Table(table) = &self.samplers[si] else {
                    unreachable!("only table samplers are fused")
                };
                let drive = Drive {
                    table,
                    w_mv,
                    rng: &mut self.rng,
                    uniforms: &mut self.scratch_u,
                };
                self.work.poisson_events += add_drive(drive, state.input);
            }
            update_population(
                &self.props[pi],
                self.uniform_rest[pi],
                state,
                &mut self.spikes[pi],
                stamp,
            );
            let rec = &self.spikes[pi];
            self.fired
                .extend(rec.neurons[before..].iter().map(|&j| (pi as u32, j)));
        }
        self.work.neuron_steps += n as u64;

        // 4. Recurrent delivery. The target rows of this step's spikes lie at random places
        // in memory: prefetch the start of every row first so their cache misses overlap.
        for &(pi, local) in &self.fired {
            for &k in &self.out_lif[pi as usize] {
                net.projections[k].prefetch_row(local as usize);
            }
        }
        for &(pi, local) in &self.fired {
            for &k in &self.out_lif[pi as usize] {
                let pr = &net.projections[k];
                self.work.synaptic_events +=
                    deliver(pr, local as usize, 1.0, s, depth, n, &mut self.ring);
            }
        }

        // Voltage probes.
        let stamp = s + 1;
        for (probe, trace) in net.probes.iter().zip(self.voltages.iter_mut()) {
            if stamp % probe.every_steps == 0 {
                trace
                    .samples
                    .extend(probe.neurons.iter().map(|&j| self.v[j as usize] as f32));
            }
        }
        self.step += 1;
    }

    /// Ends the run and hands over what was recorded.
    /// Ends the run: what was recorded, and the work it took.
    pub fn finish(self) -> (Recording, WorkCounts) {
        let rec = Recording {
            dt_ms: self.net.dt_ms,
            n_steps: self.step,
            spikes: self.spikes,
            voltages: self.voltages,
        };
        (rec, self.work)
    }
}

#[cfg(test)]
mod tests;
