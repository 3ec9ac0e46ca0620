//! The types of a built network: populations with their drawn values, projections as
//! source-major compressed rows, and voltage probes.

use crate::model::LifParams;

/// A population of LIF neurons with its per-neuron values drawn.
#[derive(Debug, Clone)]
pub struct LifPopulation {
    /// Name from the spec (E, I, ...).
    pub name: String,
    /// Index of its first neuron among all LIF neurons of the network.
    pub offset: usize,
    /// Number of neurons.
    pub size: usize,
    /// Parameters shared by its neurons (the per-neuron ones are drawn below).
    pub params: LifParams,
    /// Resting potential of each neuron (mV), drawn from `params.u_rest_mv`.
    pub u_rest_mv: Vec<f64>,
    /// Membrane potential of each neuron at t = 0 (mV).
    pub v_init_mv: Vec<f64>,
}

/// A population of independent Poisson spike sources.
#[derive(Debug, Clone)]
pub struct SourcePopulation {
    /// Name from the spec.
    pub name: String,
    /// Number of sources.
    pub size: usize,
    /// Firing rate of each source (Hz).
    pub rate_hz: f64,
}

/// Where a projection's spikes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRef {
    /// Index into [`Network::lif`].
    Lif(usize),
    /// Index into [`Network::sources`].
    Poisson(usize),
}

/// Synaptic weights of a projection (mV).
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// One weight for every synapse (mV).
    Constant(f64),
    /// The weight of each synapse in storage order (mV); f32 halves the memory streamed.
    PerSynapse(Vec<f32>),
}

/// Synaptic delays of a projection, in whole time steps (≥ 1).
#[derive(Debug, Clone, PartialEq)]
pub enum Delays {
    /// One delay for every synapse (steps).
    Constant(u16),
    /// The delay of each synapse in storage order (steps).
    PerSynapse(Vec<u16>),
}

/// Target indices of a projection's synapses, local to the target population: u16 when the
/// target population has at most 65,536 neurons, halving the memory streamed per event.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// Targets of a population of at most 65,536 neurons.
    U16(Vec<u16>),
    /// Targets of a larger population.
    U32(Vec<u32>),
}

impl Targets {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        match self {
            Targets::U16(v) => v.len(),
            Targets::U32(v) => v.len(),
        }
    }

    /// Whether there is no synapse.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Local target of synapse `k`.
    pub fn get(&self, k: usize) -> usize {
        match self {
            Targets::U16(v) => v[k] as usize,
            Targets::U32(v) => v[k] as usize,
        }
    }

    /// The largest local target (None when empty).
    pub fn max(&self) -> Option<usize> {
        match self {
            Targets::U16(v) => v.iter().max().map(|&x| x as usize),
            Targets::U32(v) => v.iter().max().map(|&x| x as usize),
        }
    }
}

/// One projection's synapses, grouped by source neuron (compressed sparse rows).
#[derive(Debug, Clone)]
pub struct Projection {
    /// Name from the spec (SOURCE-TARGET, e.g. E-I).
    pub name: String,
    /// The population whose spikes it carries.
    pub source: SourceRef,
    /// Index into [`Network::lif`] of the target population.
    pub target: usize,
    /// Index of the target population's first neuron among all LIF neurons.
    pub target_offset: usize,
    /// Number of neurons in the target population.
    pub target_size: usize,
    /// `offsets[i]..offsets[i+1]` are the synapses of local source neuron `i`.
    pub offsets: Vec<usize>,
    /// Target neuron of each synapse, local to the target population, ascending within a row.
    pub targets: Targets,
    /// Weight of each synapse, in the order of `targets`.
    pub weights: Weights,
    /// Delay of each synapse, in the order of `targets`.
    pub delays: Delays,
}

impl Projection {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the projection has no synapse.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Number of source neurons.
    pub fn n_sources(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Weight of synapse `k`.
    pub fn weight(&self, k: usize) -> f64 {
        match &self.weights {
            Weights::Constant(w) => *w,
            Weights::PerSynapse(v) => v[k] as f64,
        }
    }

    /// Delay of synapse `k`, in steps.
    pub fn delay_steps(&self, k: usize) -> u16 {
        match &self.delays {
            Delays::Constant(d) => *d,
            Delays::PerSynapse(v) => v[k],
        }
    }

    /// Hints the CPU to fetch the first cache lines of a source's row of targets.
    #[inline]
    pub fn prefetch_row(&self, src: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let a = self.offsets[src];
            let (ptr, bytes) = match &self.targets {
                Targets::U16(v) => (
                    v[a..].as_ptr() as *const i8,
                    2 * (self.offsets[src + 1] - a),
                ),
                Targets::U32(v) => (
                    v[a..].as_ptr() as *const i8,
                    4 * (self.offsets[src + 1] - a),
                ),
            };
            // Up to 8 cache lines; the hardware prefetcher follows the rest of the stream.
            for line in (0..bytes.min(512)).step_by(64) {
                // SAFETY: a prefetch is only a hint; `ptr + line` stays inside the row.
                unsafe { _mm_prefetch(ptr.add(line), _MM_HINT_T0) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = src;
    }

    /// (local source, local target) of every synapse.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.n_sources()).flat_map(move |i| {
            (self.offsets[i]..self.offsets[i + 1]).map(move |k| (i, self.targets.get(k)))
        })
    }
}

/// Neurons sampled for membrane potential: global LIF indices, every `every_steps`.
#[derive(Debug, Clone, PartialEq)]
pub struct VoltageProbe {
    /// Name of the LIF population sampled.
    pub population: String,
    /// Global LIF indices of the sampled neurons, evenly spread over the population.
    pub neurons: Vec<u32>,
    /// Sampling interval (steps).
    pub every_steps: usize,
}

/// A network ready to simulate.
#[derive(Debug, Clone)]
pub struct Network {
    /// Time step (ms).
    pub dt_ms: f64,
    /// Number of LIF neurons in all populations.
    pub n_lif: usize,
    /// LIF populations, in spec order, with consecutive global indices.
    pub lif: Vec<LifPopulation>,
    /// Poisson source populations, in spec order, numbered apart from the LIF neurons.
    pub sources: Vec<SourcePopulation>,
    /// Projections, in spec order.
    pub projections: Vec<Projection>,
    /// Membrane potential samplers.
    pub probes: Vec<VoltageProbe>,
    /// The longest delay of any synapse (steps, ≥ 1); it sizes the engine's ring buffer.
    pub max_delay_steps: usize,
}

impl Network {
    /// Total number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.projections.iter().map(|p| p.len()).sum()
    }

    /// A LIF population by name.
    pub fn lif_population(&self, name: &str) -> Option<&LifPopulation> {
        self.lif.iter().find(|p| p.name == name)
    }

    /// A projection by name.
    pub fn projection(&self, name: &str) -> Option<&Projection> {
        self.projections.iter().find(|p| p.name == name)
    }
}
