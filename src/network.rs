//! Concrete, seeded connectivity built from a [`NetworkSpec`]: source-major compressed rows
//! (u32 targets), with weights and delays stored once per projection when homogeneous.

use crate::model::{
    Connector, DelaySpec, InitialV, LifParams, NetworkSpec, PerNeuron, PopulationKind, SpecError,
    WeightSpec,
};
use crate::rng::{stream, Purpose};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// A population of LIF neurons with its per-neuron values drawn.
#[derive(Debug, Clone)]
pub struct LifPopulation {
    pub name: String,
    /// Index of its first neuron among all LIF neurons of the network.
    pub offset: usize,
    pub size: usize,
    pub params: LifParams,
    pub u_rest_mv: Vec<f64>,
    pub v_init_mv: Vec<f64>,
}

/// A population of independent Poisson spike sources.
#[derive(Debug, Clone)]
pub struct SourcePopulation {
    pub name: String,
    pub size: usize,
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
    Constant(f64),
    PerSynapse(Vec<f32>),
}

/// Synaptic delays of a projection, in whole time steps (≥ 1).
#[derive(Debug, Clone, PartialEq)]
pub enum Delays {
    Constant(u16),
    PerSynapse(Vec<u16>),
}

/// Target indices of a projection's synapses, local to the target population: u16 when the
/// target population has at most 65,536 neurons, halving the memory streamed per event.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    U16(Vec<u16>),
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
    pub name: String,
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
    pub weights: Weights,
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

/// Synapses in generation order before they are grouped by source.
enum Generated {
    /// (local source, local target) pairs.
    Pairs(Vec<(u32, u32)>),
    /// Fixed in-degree: `sources[j·k + m]` is the m-th source of target j.
    InDegree { k: usize, sources: Vec<u32> },
}

impl Generated {
    fn len(&self) -> usize {
        match self {
            Generated::Pairs(p) => p.len(),
            Generated::InDegree { sources, .. } => sources.len(),
        }
    }
    fn source(&self, m: usize) -> u32 {
        match self {
            Generated::Pairs(p) => p[m].0,
            Generated::InDegree { sources, .. } => sources[m],
        }
    }
    fn target(&self, m: usize) -> u32 {
        match self {
            Generated::Pairs(p) => p[m].1,
            Generated::InDegree { k, .. } => (m / k) as u32,
        }
    }
}

/// Groups generated synapses by source (a stable counting sort, so rows keep generation
/// order, i.e. ascending targets). Returns the row offsets, the targets and, when asked, the
/// generation index of each stored synapse (to place per-synapse weights and delays).
fn group_by_source<T: Copy + Default>(
    gen: &Generated,
    n_src: usize,
    convert: impl Fn(u32) -> T,
    want_order: bool,
) -> (Vec<usize>, Vec<T>, Option<Vec<u32>>) {
    let m = gen.len();
    let mut offsets = vec![0usize; n_src + 1];
    for i in 0..m {
        offsets[gen.source(i) as usize + 1] += 1;
    }
    for i in 0..n_src {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut targets = vec![T::default(); m];
    let mut order = if want_order {
        Some(vec![0u32; m])
    } else {
        None
    };
    for i in 0..m {
        let s = gen.source(i) as usize;
        let pos = fill[s];
        fill[s] += 1;
        targets[pos] = convert(gen.target(i));
        if let Some(o) = order.as_mut() {
            o[pos] = i as u32;
        }
    }
    (offsets, targets, order)
}

/// Neurons sampled for membrane potential: global LIF indices, every `every_steps`.
#[derive(Debug, Clone, PartialEq)]
pub struct VoltageProbe {
    pub population: String,
    pub neurons: Vec<u32>,
    pub every_steps: usize,
}

/// A network ready to simulate.
#[derive(Debug, Clone)]
pub struct Network {
    pub dt_ms: f64,
    pub n_lif: usize,
    pub lif: Vec<LifPopulation>,
    pub sources: Vec<SourcePopulation>,
    pub projections: Vec<Projection>,
    pub probes: Vec<VoltageProbe>,
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

/// Converts a delay in ms to whole steps: values below dt are clipped to dt, then rounded.
pub fn delay_to_steps(d_ms: f64, dt_ms: f64) -> usize {
    (d_ms.max(dt_ms) / dt_ms).round().max(1.0) as usize
}

fn draw_per_neuron(dist: PerNeuron, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    match dist {
        PerNeuron::Constant(c) => vec![c; n],
        PerNeuron::Uniform { lo, hi } => (0..n)
            .map(|_| lo + (hi - lo) * rng.random::<f64>())
            .collect(),
    }
}

/// Builds the network of `spec` with connectivity and initial values drawn from `run_seed`.
pub fn build(spec: &NetworkSpec, run_seed: u64) -> Result<Network, SpecError> {
    spec.validate()?;
    let mut conn_rng = stream(run_seed, Purpose::Connectivity);
    let mut init_rng = stream(run_seed, Purpose::Initial);
    let dt = spec.dt_ms;

    // Populations: LIF ones get consecutive global indices; sources are numbered apart.
    let mut lif = Vec::new();
    let mut sources = Vec::new();
    let mut refs = Vec::new();
    let mut n_lif = 0;
    for p in &spec.populations {
        match &p.kind {
            PopulationKind::Lif(params) => {
                let u_rest = draw_per_neuron(params.u_rest_mv, p.size, &mut init_rng);
                let v_init = match params.v_init_mv {
                    InitialV::AtRest => u_rest.clone(),
                    InitialV::Draw(d) => draw_per_neuron(d, p.size, &mut init_rng),
                };
                refs.push(SourceRef::Lif(lif.len()));
                lif.push(LifPopulation {
                    name: p.name.clone(),
                    offset: n_lif,
                    size: p.size,
                    params: params.clone(),
                    u_rest_mv: u_rest,
                    v_init_mv: v_init,
                });
                n_lif += p.size;
            }
            PopulationKind::Poisson { rate_hz } => {
                refs.push(SourceRef::Poisson(sources.len()));
                sources.push(SourcePopulation {
                    name: p.name.clone(),
                    size: p.size,
                    rate_hz: *rate_hz,
                });
            }
        }
    }
    if n_lif > u32::MAX as usize {
        return Err(SpecError::Other(format!(
            "{n_lif} neurons exceed the u32 index range"
        )));
    }

    let mut projections = Vec::new();
    let mut max_delay = 1;
    for pr in &spec.projections {
        let si = spec.population_index(&pr.source).expect("validated");
        let ti = spec.population_index(&pr.target).expect("validated");
        let source = refs[si];
        let SourceRef::Lif(target) = refs[ti] else {
            unreachable!("validated: targets are LIF")
        };
        let n_src = spec.populations[si].size;
        let tgt = &lif[target];
        let same = si == ti;
        let bad = |m: String| SpecError::BadProjection {
            projection: pr.name.clone(),
            message: m,
        };

        // Synapses in a deterministic generation order.
        let gen = match pr.connector {
            Connector::OneToOne => Generated::Pairs((0..n_src as u32).map(|i| (i, i)).collect()),
            Connector::AllToAll { allow_autapses } => {
                let mut v = Vec::with_capacity(n_src * tgt.size);
                for i in 0..n_src as u32 {
                    for j in 0..tgt.size as u32 {
                        if allow_autapses || !same || i != j {
                            v.push((i, j));
                        }
                    }
                }
                Generated::Pairs(v)
            }
            Connector::FixedProbability { p, allow_autapses } => {
                let mut v = Vec::new();
                for i in 0..n_src as u32 {
                    for j in 0..tgt.size as u32 {
                        if (allow_autapses || !same || i != j) && conn_rng.random::<f64>() < p {
                            v.push((i, j));
                        }
                    }
                }
                Generated::Pairs(v)
            }
            Connector::FixedInDegree {
                k,
                allow_autapses,
                allow_multapses,
            } => {
                let mut v = Vec::with_capacity(k * tgt.size);
                let mut chosen: Vec<u32> = Vec::with_capacity(k);
                for j in 0..tgt.size as u32 {
                    chosen.clear();
                    while chosen.len() < k {
                        let s = conn_rng.random_range(0..n_src as u32);
                        if (!allow_autapses && same && s == j)
                            || (!allow_multapses && chosen.contains(&s))
                        {
                            continue;
                        }
                        chosen.push(s);
                    }
                    v.extend_from_slice(&chosen);
                }
                Generated::InDegree { k, sources: v }
            }
        };
        let n_syn = gen.len();
        if n_syn > u32::MAX as usize {
            return Err(bad(format!("{n_syn} synapses exceed the u32 index range")));
        }

        // Weights and delays, drawn in generation order.
        let weights_gen: Option<Vec<f32>> = match pr.weight {
            WeightSpec::Constant { .. } => None,
            WeightSpec::AbsNormal {
                mean_mv,
                sd_mv,
                scale,
            } => {
                let normal = Normal::new(mean_mv, sd_mv)
                    .map_err(|e| bad(format!("weight distribution: {e}")))?;
                Some(
                    (0..n_syn)
                        .map(|_| (scale * normal.sample(&mut conn_rng).abs()) as f32)
                        .collect(),
                )
            }
        };
        let delays_gen: Option<Vec<u16>> = match pr.delay {
            DelaySpec::Constant { d_ms } => {
                max_delay = max_delay.max(delay_to_steps(d_ms, dt));
                None
            }
            DelaySpec::Normal { mean_ms, sd_ms } => {
                let normal = Normal::new(mean_ms, sd_ms)
                    .map_err(|e| bad(format!("delay distribution: {e}")))?;
                let mut v = Vec::with_capacity(n_syn);
                for _ in 0..n_syn {
                    let steps = delay_to_steps(normal.sample(&mut conn_rng), dt);
                    if steps > u16::MAX as usize {
                        return Err(bad(format!(
                            "a delay of {steps} steps exceeds {}",
                            u16::MAX
                        )));
                    }
                    max_delay = max_delay.max(steps);
                    v.push(steps as u16);
                }
                Some(v)
            }
        };
        if let DelaySpec::Constant { d_ms } = pr.delay {
            if delay_to_steps(d_ms, dt) > u16::MAX as usize {
                return Err(bad(format!(
                    "delay {d_ms} ms is more than {} steps",
                    u16::MAX
                )));
            }
        }

        // Group by source; per-synapse weights and delays follow their synapse.
        let want_order = weights_gen.is_some() || delays_gen.is_some();
        let (offsets, targets, order) = if tgt.size <= 1 << 16 {
            let (o, t, ord) = group_by_source(&gen, n_src, |t| t as u16, want_order);
            (o, Targets::U16(t), ord)
        } else {
            let (o, t, ord) = group_by_source(&gen, n_src, |t| t, want_order);
            (o, Targets::U32(t), ord)
        };
        drop(gen);
        let order = order.unwrap_or_default();
        let weights = match (pr.weight, weights_gen) {
            (WeightSpec::Constant { w_mv }, _) => Weights::Constant(w_mv),
            (_, Some(w)) => Weights::PerSynapse(order.iter().map(|&k| w[k as usize]).collect()),
            _ => unreachable!(),
        };
        let delays = match (pr.delay, delays_gen) {
            (DelaySpec::Constant { d_ms }, _) => Delays::Constant(delay_to_steps(d_ms, dt) as u16),
            (_, Some(d)) => Delays::PerSynapse(order.iter().map(|&k| d[k as usize]).collect()),
            _ => unreachable!(),
        };
        projections.push(Projection {
            name: pr.name.clone(),
            source,
            target,
            target_offset: tgt.offset,
            target_size: tgt.size,
            offsets,
            targets,
            weights,
            delays,
        });
    }

    let mut probes = Vec::new();
    for vs in &spec.voltage_sampling {
        let pop = lif
            .iter()
            .find(|p| p.name == vs.population)
            .ok_or_else(|| {
                SpecError::Other(format!(
                    "voltage sampling: `{}` is not a LIF population",
                    vs.population
                ))
            })?;
        let count = vs.count.min(pop.size);
        let neurons = (0..count)
            .map(|i| (pop.offset + i * pop.size / count) as u32)
            .collect();
        let every_steps = (vs.every_ms / dt).round().max(1.0) as usize;
        probes.push(VoltageProbe {
            population: pop.name.clone(),
            neurons,
            every_steps,
        });
    }

    Ok(Network {
        dt_ms: dt,
        n_lif,
        lif,
        sources,
        projections,
        probes,
        max_delay_steps: max_delay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, ProjectionSpec};

    fn tutorial(sets: &[&str]) -> NetworkSpec {
        let m = model::tutorial::MODEL;
        m.spec(&m.with_assignments(sets).unwrap()).unwrap()
    }

    #[test]
    fn delays_below_dt_are_clipped_and_rounded() {
        assert_eq!(delay_to_steps(-3.0, 0.1), 1);
        assert_eq!(delay_to_steps(0.04, 0.1), 1);
        assert_eq!(delay_to_steps(1.5, 0.1), 15);
        assert_eq!(delay_to_steps(1.54, 0.1), 15);
        assert_eq!(delay_to_steps(1.56, 0.1), 16);
    }

    #[test]
    fn fixed_probability_count_is_within_binomial_bounds() {
        // 400 x 400 pairs at p = 0.1: mean 16000, sd = sqrt(n p (1-p)) = 120; 5 sd bounds.
        let mut spec = tutorial(&["N=500"]);
        spec.projections.retain(|p| p.name == "E-E");
        for seed in 0..5 {
            let net = build(&spec, seed).unwrap();
            let n = net.projections[0].len() as f64;
            assert!(
                (n - 16000.0).abs() < 5.0 * 120.0,
                "seed {seed}: {n} synapses"
            );
        }
    }

    #[test]
    fn fixed_in_degree_is_exact_and_respects_autapses() {
        let m = model::brunel::MODEL;
        let p = m
            .with_assignments(&["N_E=400", "N_I=100", "epsilon=0.1"])
            .unwrap();
        let net = build(&m.spec(&p).unwrap(), 3).unwrap();
        for pr in &net.projections {
            let tgt = &net.lif[pr.target];
            let mut indeg = vec![0usize; tgt.size];
            for (s, t) in pr.pairs() {
                indeg[t] += 1;
                if pr.source == SourceRef::Lif(pr.target) {
                    assert_ne!(s, t, "{}: autapse", pr.name);
                }
            }
            let want = match pr.name.as_str() {
                "E-E" | "E-I" => 40,
                "I-E" | "I-I" => 10,
                _ => 1,
            };
            assert!(indeg.iter().all(|&d| d == want), "{}", pr.name);
        }
    }

    #[test]
    fn without_multapses_sources_are_distinct() {
        let mut spec = tutorial(&[]);
        spec.projections = vec![ProjectionSpec {
            name: "E-I".into(),
            source: "E".into(),
            target: "I".into(),
            connector: Connector::FixedInDegree {
                k: 80,
                allow_autapses: false,
                allow_multapses: false,
            },
            weight: WeightSpec::Constant { w_mv: 1.0 },
            delay: DelaySpec::Constant { d_ms: 1.0 },
        }];
        let net = build(&spec, 1).unwrap();
        let pr = &net.projections[0];
        let mut per_target = vec![vec![]; 20];
        for (s, t) in pr.pairs() {
            per_target[t].push(s);
        }
        for mut v in per_target {
            v.sort();
            v.dedup();
            assert_eq!(v.len(), 80);
        }
    }

    #[test]
    fn tutorial_weights_and_delays_follow_their_distributions() {
        let net = build(&tutorial(&["N=1000"]), 11).unwrap();
        let ee = net.projection("E-E").unwrap();
        let ie = net.projection("I-E").unwrap();
        let Weights::PerSynapse(w) = &ee.weights else {
            panic!()
        };
        assert!(w.iter().all(|&x| x >= 0.0));
        // E|N(0, 2)| = 2·sqrt(2/pi) = 1.596 mV; n ≈ 64000, sd of the mean ≈ 0.005.
        let mean = w.iter().map(|&x| x as f64).sum::<f64>() / w.len() as f64;
        assert!((mean - 1.596).abs() < 0.03, "{mean}");
        let Weights::PerSynapse(wi) = &ie.weights else {
            panic!()
        };
        assert!(wi.iter().all(|&x| x <= 0.0));
        let Delays::PerSynapse(d) = &ee.delays else {
            panic!()
        };
        assert!(d.iter().all(|&x| x >= 1));
        let mean_d = d.iter().map(|&x| x as f64).sum::<f64>() / d.len() as f64;
        // Clipping at 0.1 ms lifts the mean of N(15, 7.5) steps a little (to ≈ 15.05).
        assert!((mean_d - 15.05).abs() < 0.1, "{mean_d}");
    }

    #[test]
    fn same_seed_same_network() {
        let spec = tutorial(&[]);
        let a = build(&spec, 5).unwrap();
        let b = build(&spec, 5).unwrap();
        let c = build(&spec, 6).unwrap();
        for (x, y) in a.projections.iter().zip(&b.projections) {
            assert_eq!(x.targets, y.targets);
            assert_eq!(x.weights, y.weights);
        }
        assert_ne!(
            a.projection("E-E").unwrap().targets,
            c.projection("E-E").unwrap().targets
        );
        assert_eq!(a.lif[0].u_rest_mv, b.lif[0].u_rest_mv);
    }
}
