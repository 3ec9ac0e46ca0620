//! The clock-driven simulation loop with exact integration of linear LIF dynamics.
//!
//! Each step `s` (from s·dt to (s+1)·dt):
//! 1. every Poisson source draws its spike count and delivers it (with multiplicity);
//! 2. every LIF neuron reads the input arriving in this step from its ring buffer and is
//!    propagated exactly (see [`Propagator`]); refractory neurons stay at reset
//!    (delta synapses: their input is discarded, as NEST `iaf_psc_delta`; current synapses:
//!    I keeps evolving and receiving input, as Brian2's `(unless refractory)`);
//! 3. a neuron with v ≥ threshold spikes, is reset and becomes refractory for
//!    round(t_ref/dt) steps; the spike is stamped (s+1)·dt;
//! 4. spikes of this step are delivered into the ring buffer slot of step s + delay, so a
//!    spike can make its target fire exactly `delay` later (NEST's convention).

pub mod poisson;

use crate::model::Synapse;
use crate::network::{Delays, Network, SourceRef, Weights};
use crate::rng::{stream, Purpose};
use poisson::PoissonSampler;

/// Exact one-step propagator of a LIF population.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Propagator {
    /// exp(−dt/tau_m): decay of v − u_rest.
    pub p22: f64,
    /// exp(−dt/tau_syn): decay of I (current synapses only).
    pub p11: f64,
    /// Contribution of I to v over one step: tau_s/(tau_s − tau_m)·(p11 − p22), or
    /// (dt/tau)·p22 when the time constants are equal.
    pub p21: f64,
    pub v_th_mv: f64,
    pub v_reset_mv: f64,
    pub ref_steps: u32,
    pub current_synapses: bool,
}

impl Propagator {
    /// The propagator of one population at step `dt_ms`.
    pub fn new(p: &crate::model::LifParams, dt_ms: f64) -> Self {
        let p22 = (-dt_ms / p.tau_m_ms).exp();
        let (p11, p21, current) = match p.synapse {
            Synapse::Delta => (0.0, 0.0, false),
            Synapse::ExpCurrent { tau_syn_ms } => {
                let p11 = (-dt_ms / tau_syn_ms).exp();
                let p21 = if (tau_syn_ms - p.tau_m_ms).abs() < 1e-12 {
                    dt_ms / p.tau_m_ms * p22
                } else {
                    tau_syn_ms / (tau_syn_ms - p.tau_m_ms) * (p11 - p22)
                };
                (p11, p21, true)
            }
        };
        Propagator {
            p22,
            p11,
            p21,
            v_th_mv: p.v_th_mv,
            v_reset_mv: p.v_reset_mv,
            ref_steps: (p.t_ref_ms / dt_ms).round() as u32,
            current_synapses: current,
        }
    }
}

/// Spikes of one LIF population: parallel vectors of time stamp (in steps; time = step·dt)
/// and local neuron index, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PopulationSpikes {
    pub name: String,
    pub size: usize,
    pub steps: Vec<u32>,
    pub neurons: Vec<u32>,
}

/// Sampled membrane potentials: `samples[t·n + i]` is neuron `neurons[i]` (local index) at
/// time `(t+1)·every_steps·dt`.
#[derive(Debug, Clone, PartialEq)]
pub struct VoltageTrace {
    pub population: String,
    pub neurons: Vec<u32>,
    pub every_steps: usize,
    pub samples: Vec<f32>,
}

impl VoltageTrace {
    /// Number of time samples.
    pub fn n_samples(&self) -> usize {
        if self.neurons.is_empty() {
            0
        } else {
            self.samples.len() / self.neurons.len()
        }
    }
}

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

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Recording {
    pub dt_ms: f64,
    pub n_steps: usize,
    pub spikes: Vec<PopulationSpikes>,
    pub voltages: Vec<VoltageTrace>,
    pub work: WorkCounts,
}

impl Recording {
    /// The spikes of a population by name.
    pub fn population(&self, name: &str) -> Option<&PopulationSpikes> {
        self.spikes.iter().find(|p| p.name == name)
    }
}

/// Simulates `net` for `n_steps` steps with Poisson drive drawn from `run_seed`.
pub fn run(net: &Network, n_steps: usize, run_seed: u64) -> Recording {
    let mut sim = Simulator::new(net, run_seed);
    for _ in 0..n_steps {
        sim.step();
    }
    sim.finish()
}

/// A running simulation; [`Simulator::step`] advances one dt.
pub struct Simulator<'a> {
    net: &'a Network,
    rng: rand_chacha::ChaCha8Rng,
    step: usize,
    depth: usize,
    /// ring[slot·n_lif + j]: input to neuron j arriving in steps ≡ slot (mod depth).
    ring: Vec<f64>,
    v: Vec<f64>,
    i_syn: Vec<f64>,
    u_rest: Vec<f64>,
    refractory: Vec<u32>,
    props: Vec<Propagator>,
    samplers: Vec<PoissonSampler>,
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
        let mut out_lif = vec![vec![]; net.lif.len()];
        let mut out_src = vec![vec![]; net.sources.len()];
        for (k, pr) in net.projections.iter().enumerate() {
            match pr.source {
                SourceRef::Lif(i) => out_lif[i].push(k),
                SourceRef::Poisson(i) => out_src[i].push(k),
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
            samplers: net
                .sources
                .iter()
                .map(|s| PoissonSampler::new(s.rate_hz * net.dt_ms * 1e-3))
                .collect(),
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
        self.ring[slot * self.net.n_lif + j] += w_mv;
    }

    /// Advances one time step.
    pub fn step(&mut self) {
        let net = self.net;
        let n = net.n_lif;
        let s = self.step;
        let depth = self.depth;

        // 1. Poisson sources.
        for (si, sampler) in self.samplers.iter().enumerate() {
            if matches!(sampler, PoissonSampler::Zero) {
                continue;
            }
            let outs = &self.out_src[si];
            for src in 0..net.sources[si].size {
                let k = sampler.sample(&mut self.rng);
                if k == 0 {
                    continue;
                }
                self.work.poisson_events += k as u64;
                for &pi in outs {
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

        // 2-3. Neuron updates.
        let slot = s % depth;
        let input = &mut self.ring[slot * n..(slot + 1) * n];
        self.fired.clear();
        for (pi, pop) in net.lif.iter().enumerate() {
            let pr = self.props[pi];
            let range = pop.offset..pop.offset + pop.size;
            let v = &mut self.v[range.clone()];
            let i_syn = &mut self.i_syn[range.clone()];
            let u_rest = &self.u_rest[range.clone()];
            let refr = &mut self.refractory[range.clone()];
            let inp = &mut input[range];
            let stamp = (s + 1) as u32;
            let rec = &mut self.spikes[pi];
            for j in 0..pop.size {
                let x = std::mem::take(&mut inp[j]);
                let vj;
                if pr.current_synapses {
                    let i_old = i_syn[j];
                    i_syn[j] = i_old * pr.p11 + x;
                    if refr[j] > 0 {
                        refr[j] -= 1;
                        continue;
                    }
                    vj = u_rest[j] + (v[j] - u_rest[j]) * pr.p22 + i_old * pr.p21;
                } else {
                    if refr[j] > 0 {
                        refr[j] -= 1;
                        continue;
                    }
                    vj = u_rest[j] + (v[j] - u_rest[j]) * pr.p22 + x;
                }
                if vj >= pr.v_th_mv {
                    v[j] = pr.v_reset_mv;
                    refr[j] = pr.ref_steps;
                    rec.steps.push(stamp);
                    rec.neurons.push(j as u32);
                    self.fired.push((pi as u32, j as u32));
                } else {
                    v[j] = vj;
                }
            }
        }
        self.work.neuron_steps += n as u64;

        // 4. Recurrent delivery.
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
    pub fn finish(self) -> Recording {
        Recording {
            dt_ms: self.net.dt_ms,
            n_steps: self.step,
            spikes: self.spikes,
            voltages: self.voltages,
            work: self.work,
        }
    }
}

/// Adds `mult` spikes of local source `src` of projection `pr`, emitted in step `s`, to the
/// ring buffer; returns the number of synapses reached.
#[inline]
fn deliver(
    pr: &crate::network::Projection,
    src: usize,
    mult: f64,
    s: usize,
    depth: usize,
    n: usize,
    ring: &mut [f64],
) -> u64 {
    let (a, b) = (pr.offsets[src], pr.offsets[src + 1]);
    let targets = &pr.targets[a..b];
    match (&pr.weights, &pr.delays) {
        (Weights::Constant(w), Delays::Constant(d)) => {
            let slot = (s + *d as usize) % depth;
            let row = &mut ring[slot * n..(slot + 1) * n];
            let w = w * mult;
            for &t in targets {
                row[t as usize] += w;
            }
        }
        _ => {
            for (k, &t) in targets.iter().enumerate() {
                let slot = (s + pr.delay_steps(a + k) as usize) % depth;
                ring[slot * n + t as usize] += pr.weight(a + k) * mult;
            }
        }
    }
    targets.len() as u64
}

#[cfg(test)]
mod tests;
