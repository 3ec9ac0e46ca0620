//! The simulation state and one time step: draw drives → update populations → deliver
//! spikes → sample voltages.

use super::counting::CountedDelivery;
use super::delivery::{deliver, plan_sources, SourcePlan};
use super::drive::{add_direct, add_drive, Drive};
use super::neuron::{NeuronModel, NeuronSlices};
use super::poisson::PoissonSampler;
use super::WorkCounts;
use crate::network::{Network, SourceRef};
use crate::record::{PopulationSpikes, Recording, VoltageTrace};
use crate::rng::{stream, Purpose};

/// A running simulation; [`Simulator::step`] advances one dt.
pub struct Simulator<'a> {
    net: &'a Network,
    /// The run's Poisson drive stream.
    rng: rand_chacha::ChaCha8Rng,
    /// Steps done.
    step: usize,
    /// Ring buffer slots: max delay (steps) + 1.
    depth: usize,
    /// ring[slot·n_lif + j]: input (mV) to neuron j arriving in steps ≡ slot (mod depth). f32
    /// halves the cache footprint of the row that recurrent events scatter into.
    ring: Vec<f32>,
    /// Per LIF neuron (global order): v, I, u_rest (mV) and refractory steps left.
    v: Vec<f64>,
    i_syn: Vec<f64>,
    u_rest: Vec<f64>,
    refractory: Vec<u32>,
    /// Per LIF population: its model and variables.
    models: Vec<NeuronModel>,
    /// Per LIF population: the resting potential when all its neurons share it.
    uniform_rest: Vec<Option<f64>>,
    /// Per source population: its count sampler and how it reaches its targets.
    samplers: Vec<PoissonSampler>,
    source_plans: Vec<SourcePlan>,
    /// Per LIF population: a Poisson source population fused into its update, with its weight.
    fused: Vec<Option<(usize, f64)>>,
    /// Scratch buffers of the fused drive (uniforms) and of spike flags, kept between steps.
    scratch_u: Vec<u32>,
    scratch_flags: Vec<u8>,
    /// Projections leaving each LIF population / each source population.
    out_lif: Vec<Vec<usize>>,
    out_src: Vec<Vec<usize>>,
    /// Spikes of the current step as (population, local neuron).
    fired: Vec<(u32, u32)>,
    /// Delivery by exact counts for bursts, where the network allows it.
    counted: Option<CountedDelivery>,
    spikes: Vec<PopulationSpikes>,
    voltages: Vec<VoltageTrace>,
    work: WorkCounts,
}

impl<'a> Simulator<'a> {
    /// Sets up state from the network's initial values; draws nothing yet.
    pub fn new(net: &'a Network, run_seed: u64) -> Self {
        check_targets(net);
        let n = net.n_lif;
        let depth = net.max_delay_steps + 1;
        let (v, u_rest) = initial_state(net);
        let (out_lif, out_src) = outgoing(net);
        let samplers: Vec<PoissonSampler> = net
            .sources
            .iter()
            .map(|s| PoissonSampler::new(s.rate_hz * net.dt_ms * 1e-3))
            .collect();
        let (source_plans, fused) = plan_sources(net, &out_src, &samplers);
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
            models: net
                .lif
                .iter()
                .map(|p| NeuronModel::new(&p.params, net.dt_ms))
                .collect(),
            uniform_rest: uniform_rest(net),
            samplers,
            source_plans,
            fused,
            scratch_u: Vec::new(),
            scratch_flags: Vec::new(),
            out_lif,
            out_src,
            fired: Vec::new(),
            counted: CountedDelivery::plan(net),
            spikes: spike_records(net),
            voltages: voltage_traces(net),
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

    /// Tests: deliver every step by counting.
    #[cfg(test)]
    pub(super) fn force_counting(&mut self) {
        self.counted.as_mut().expect("a countable network").force = true;
    }

    /// Tests: deliver every step by the scatter.
    #[cfg(test)]
    pub(super) fn force_scatter(&mut self) {
        self.counted = None;
    }

    /// Tests: steps delivered by counting so far, and how many of them were counted from a
    /// remembered burst.
    #[cfg(test)]
    pub(super) fn counted_steps(&self) -> (u64, u64) {
        self.counted
            .as_ref()
            .map_or((0, 0), |c| (c.counted_from.iter().sum(), c.counted_from[2]))
    }

    /// Spikes recorded so far, all populations together.
    pub fn recorded_spikes(&self) -> usize {
        self.spikes.iter().map(|p| p.steps.len()).sum()
    }

    /// Advances one time step (see the module doc of [`crate::engine`] for its order).
    pub fn step(&mut self) {
        self.draw_sources();
        self.update_populations();
        self.deliver_spikes();
        self.sample_voltages();
        self.step += 1;
    }

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

    /// Step part 1: every Poisson source population that is not fused draws its counts, in
    /// population then neuron order, and adds them to the ring slot of step + delay.
    fn draw_sources(&mut self) {
        let (net, s, depth, n) = (self.net, self.step, self.depth, self.net.n_lif);
        for (si, sampler) in self.samplers.iter().enumerate() {
            let size = net.sources[si].size;
            match (&self.source_plans[si], sampler) {
                (_, PoissonSampler::Zero) | (SourcePlan::Fused, _) => {}
                (
                    SourcePlan::Direct {
                        target_offset,
                        w_mv,
                        delay,
                    },
                    PoissonSampler::Table(table),
                ) => {
                    let start = (s + delay) % depth * n + target_offset;
                    let row = &mut self.ring[start..start + size];
                    self.work.poisson_events += add_direct(table, *w_mv, &mut self.rng, row);
                }
                (_, sampler) => {
                    for src in 0..size {
                        let k = sampler.sample(&mut self.rng);
                        if k == 0 {
                            continue;
                        }
                        self.work.poisson_events += k as u64;
                        for &pi in &self.out_src[si] {
                            let pr = &net.projections[pi];
                            deliver(pr, src, k as f64, s, depth, n, &mut self.ring);
                        }
                    }
                }
            }
        }
    }

    /// Step parts 2-3: each LIF population adds its fused drive (if any) to the input of this
    /// step and is propagated by its model; spikes go to the record and to `fired`.
    fn update_populations(&mut self) {
        let (net, n) = (self.net, self.net.n_lif);
        let slot = self.step % self.depth;
        let input = &mut self.ring[slot * n..(slot + 1) * n];
        self.fired.clear();
        let stamp = (self.step + 1) as u32;
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
            let rec = &mut self.spikes[pi];
            let before = rec.neurons.len();
            self.models[pi].update(self.uniform_rest[pi], state, rec, stamp);
            self.fired
                .extend(rec.neurons[before..].iter().map(|&j| (pi as u32, j)));
        }
        self.work.neuron_steps += n as u64;
    }

    /// Step part 4: this step's spikes into the ring slots of step + delay: by counting when
    /// that pays (see [`CountedDelivery`]), else scattered row by row. The target rows lie at
    /// random places in memory: the start of every row is prefetched first so that their
    /// cache misses overlap.
    fn deliver_spikes(&mut self) {
        let (net, s, depth, n) = (self.net, self.step, self.depth, self.net.n_lif);
        if let Some(counted) = &mut self.counted {
            if let Some(events) = counted.deliver(net, &self.fired, s, depth, &mut self.ring) {
                self.work.synaptic_events += events;
                return;
            }
        }
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
    }

    /// Voltage probes due at the end of this step record v (as f32).
    fn sample_voltages(&mut self) {
        let stamp = self.step + 1;
        for (probe, trace) in self.net.probes.iter().zip(self.voltages.iter_mut()) {
            if stamp.is_multiple_of(probe.every_steps) {
                trace
                    .samples
                    .extend(probe.neurons.iter().map(|&j| self.v[j as usize] as f32));
            }
        }
    }
}

/// Panics unless every target index of every projection lies inside its target population
/// and the LIF neurons: the unchecked writes in [`deliver`] rely on it.
fn check_targets(net: &Network) {
    for pr in &net.projections {
        let size = pr.target_size;
        assert!(
            pr.targets.max().is_none_or(|t| t < size) && pr.target_offset + size <= net.n_lif,
            "projection {}: target out of range",
            pr.name
        );
    }
}

/// Initial v and u_rest of every LIF neuron, in global order.
fn initial_state(net: &Network) -> (Vec<f64>, Vec<f64>) {
    let mut v = Vec::with_capacity(net.n_lif);
    let mut u_rest = Vec::with_capacity(net.n_lif);
    for p in &net.lif {
        v.extend_from_slice(&p.v_init_mv);
        u_rest.extend_from_slice(&p.u_rest_mv);
    }
    (v, u_rest)
}

/// Per LIF population, its resting potential if all its neurons share it.
fn uniform_rest(net: &Network) -> Vec<Option<f64>> {
    net.lif
        .iter()
        .map(|p| match p.u_rest_mv.first() {
            Some(&u) if p.u_rest_mv.iter().all(|&x| x == u) => Some(u),
            _ => None,
        })
        .collect()
}

/// The projections leaving each LIF population and each source population.
fn outgoing(net: &Network) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut out_lif = vec![vec![]; net.lif.len()];
    let mut out_src = vec![vec![]; net.sources.len()];
    for (k, pr) in net.projections.iter().enumerate() {
        match pr.source {
            SourceRef::Lif(i) => out_lif[i].push(k),
            SourceRef::Poisson(i) => out_src[i].push(k),
        }
    }
    (out_lif, out_src)
}

/// An empty spike record per LIF population.
fn spike_records(net: &Network) -> Vec<PopulationSpikes> {
    net.lif
        .iter()
        .map(|p| PopulationSpikes {
            name: p.name.clone(),
            size: p.size,
            ..Default::default()
        })
        .collect()
}

/// An empty voltage trace per probe, its neurons numbered within their population.
fn voltage_traces(net: &Network) -> Vec<VoltageTrace> {
    net.probes
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
        .collect()
}
