//! The seeded builder: a [`NetworkSpec`] and a run seed give a [`Network`].
//!
//! The order of random draws is the contract ("same seed, same network", pinned by
//! `tests/golden.rs`). Two streams of the run seed are used, each passed explicitly:
//! 1. `Initial`: per-neuron values of each LIF population, in spec order
//!    ([`place_populations`]);
//! 2. `Connectivity`: for each projection in spec order, its synapses (per connector, see
//!    `synapses`), then its weights, then its delays, each in generation order
//!    ([`build_projection`]); grouping by source draws nothing.

use super::synapses::{self, Generated, Grouped, Sides};
use super::types::{
    Delays, LifPopulation, Network, Projection, SourcePopulation, SourceRef, Targets, VoltageProbe,
    Weights,
};
use crate::model::{
    DelaySpec, InitialV, NetworkSpec, PerNeuron, PopulationKind, ProjectionSpec, SpecError,
    WeightSpec,
};
use crate::rng::{stream, Purpose};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Builds the network of `spec` with connectivity and initial values drawn from `run_seed`.
pub fn build(spec: &NetworkSpec, run_seed: u64) -> Result<Network, SpecError> {
    spec.validate()?;
    let mut init_rng = stream(run_seed, Purpose::Initial);
    let mut conn_rng = stream(run_seed, Purpose::Connectivity);
    let placed = place_populations(spec, &mut init_rng)?;
    let projections = spec
        .projections
        .iter()
        .map(|pr| build_projection(spec, pr, &placed, &mut conn_rng))
        .collect::<Result<Vec<_>, _>>()?;
    let probes = place_probes(spec, &placed.lif)?;
    let max_delay_steps = projections.iter().map(max_delay_steps).fold(1, usize::max);
    Ok(Network {
        dt_ms: spec.dt_ms,
        n_lif: placed.n_lif,
        lif: placed.lif,
        sources: placed.sources,
        projections,
        probes,
        max_delay_steps,
    })
}

/// Converts a delay in ms to whole steps: values below dt are clipped to dt, then rounded.
pub fn delay_to_steps(d_ms: f64, dt_ms: f64) -> usize {
    (d_ms.max(dt_ms) / dt_ms).round().max(1.0) as usize
}

/// The populations of a spec with their per-neuron values drawn.
struct Placed {
    lif: Vec<LifPopulation>,
    sources: Vec<SourcePopulation>,
    /// What each spec population became, by spec index.
    refs: Vec<SourceRef>,
    n_lif: usize,
}

/// Step 1: LIF populations get consecutive global indices and their per-neuron values (resting
/// potential, then initial potential, population by population); sources are numbered apart.
fn place_populations(spec: &NetworkSpec, init_rng: &mut ChaCha8Rng) -> Result<Placed, SpecError> {
    let mut placed = Placed {
        lif: Vec::new(),
        sources: Vec::new(),
        refs: Vec::new(),
        n_lif: 0,
    };
    for p in &spec.populations {
        match &p.kind {
            PopulationKind::Lif(params) => {
                let u_rest_mv = draw_per_neuron(params.u_rest_mv, p.size, init_rng);
                let v_init_mv = match params.v_init_mv {
                    InitialV::AtRest => u_rest_mv.clone(),
                    InitialV::Draw(d) => draw_per_neuron(d, p.size, init_rng),
                };
                placed.refs.push(SourceRef::Lif(placed.lif.len()));
                placed.lif.push(LifPopulation {
                    name: p.name.clone(),
                    offset: placed.n_lif,
                    size: p.size,
                    params: params.clone(),
                    u_rest_mv,
                    v_init_mv,
                });
                placed.n_lif += p.size;
            }
            PopulationKind::Poisson { rate_hz } => {
                placed.refs.push(SourceRef::Poisson(placed.sources.len()));
                placed.sources.push(SourcePopulation {
                    name: p.name.clone(),
                    size: p.size,
                    rate_hz: *rate_hz,
                });
            }
        }
    }
    if placed.n_lif > u32::MAX as usize {
        return Err(SpecError::Other(format!(
            "{} neurons exceed the u32 index range",
            placed.n_lif
        )));
    }
    Ok(placed)
}

/// `n` values of a per-neuron distribution, one uniform draw each when random.
fn draw_per_neuron(dist: PerNeuron, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    match dist {
        PerNeuron::Constant(c) => vec![c; n],
        PerNeuron::Uniform { lo, hi } => (0..n)
            .map(|_| lo + (hi - lo) * rng.random::<f64>())
            .collect(),
    }
}

/// Step 2, one projection: generate its synapses, draw weights then delays in generation
/// order, and group everything by source.
fn build_projection(
    spec: &NetworkSpec,
    pr: &ProjectionSpec,
    placed: &Placed,
    conn_rng: &mut ChaCha8Rng,
) -> Result<Projection, SpecError> {
    let si = spec.population_index(&pr.source).expect("validated");
    let ti = spec.population_index(&pr.target).expect("validated");
    let SourceRef::Lif(target) = placed.refs[ti] else {
        unreachable!("validated: targets are LIF")
    };
    let tgt = &placed.lif[target];
    let bad = |message: String| SpecError::BadProjection {
        projection: pr.name.clone(),
        message,
    };
    let sides = Sides {
        n_src: spec.populations[si].size,
        n_tgt: tgt.size,
        same: si == ti,
    };

    let gen = synapses::generate(pr.connector, sides, conn_rng);
    let n_syn = gen.len();
    if n_syn > u32::MAX as usize {
        return Err(bad(format!("{n_syn} synapses exceed the u32 index range")));
    }
    let weights_gen = draw_weights(pr.weight, n_syn, conn_rng).map_err(&bad)?;
    let delays_gen = draw_delays(pr.delay, n_syn, spec.dt_ms, conn_rng).map_err(&bad)?;
    let (offsets, targets, weights, delays) = group_projection(gen, sides, weights_gen, delays_gen);
    Ok(Projection {
        name: pr.name.clone(),
        source: placed.refs[si],
        target,
        target_offset: tgt.offset,
        target_size: tgt.size,
        offsets,
        targets,
        weights,
        delays,
    })
}

/// Step 3a: the weights of `n_syn` synapses in generation order (mV); one normal draw per
/// synapse when they are random.
fn draw_weights(
    spec: WeightSpec,
    n_syn: usize,
    conn_rng: &mut ChaCha8Rng,
) -> Result<Weights, String> {
    match spec {
        WeightSpec::Constant { w_mv } => Ok(Weights::Constant(w_mv)),
        WeightSpec::AbsNormal {
            mean_mv,
            sd_mv,
            scale,
        } => {
            let normal =
                Normal::new(mean_mv, sd_mv).map_err(|e| format!("weight distribution: {e}"))?;
            Ok(Weights::PerSynapse(
                (0..n_syn)
                    .map(|_| (scale * normal.sample(conn_rng).abs()) as f32)
                    .collect(),
            ))
        }
    }
}

/// Step 3b: the delays of `n_syn` synapses in generation order (steps); one normal draw per
/// synapse when they are random. Every delay must fit a u16.
fn draw_delays(
    spec: DelaySpec,
    n_syn: usize,
    dt_ms: f64,
    conn_rng: &mut ChaCha8Rng,
) -> Result<Delays, String> {
    match spec {
        DelaySpec::Constant { d_ms } => {
            let steps = delay_to_steps(d_ms, dt_ms);
            if steps > u16::MAX as usize {
                return Err(format!("delay {d_ms} ms is more than {} steps", u16::MAX));
            }
            Ok(Delays::Constant(steps as u16))
        }
        DelaySpec::Normal { mean_ms, sd_ms } => {
            let normal =
                Normal::new(mean_ms, sd_ms).map_err(|e| format!("delay distribution: {e}"))?;
            let mut v = Vec::with_capacity(n_syn);
            for _ in 0..n_syn {
                let steps = delay_to_steps(normal.sample(conn_rng), dt_ms);
                if steps > u16::MAX as usize {
                    return Err(format!("a delay of {steps} steps exceeds {}", u16::MAX));
                }
                v.push(steps as u16);
            }
            Ok(Delays::PerSynapse(v))
        }
    }
}

/// Step 4: groups the generated synapses by source (u16 targets when the target population
/// has at most 65,536 neurons); per-synapse weights and delays follow their synapse. The
/// generated synapses are freed before the weights and delays are permuted.
fn group_projection(
    gen: Generated,
    sides: Sides,
    weights: Weights,
    delays: Delays,
) -> (Vec<usize>, Targets, Weights, Delays) {
    let want_order =
        matches!(weights, Weights::PerSynapse(_)) || matches!(delays, Delays::PerSynapse(_));
    let (offsets, targets, order) = if sides.n_tgt <= 1 << 16 {
        let Grouped {
            offsets,
            targets,
            order,
        } = synapses::group_by_source(&gen, sides.n_src, |t| t as u16, want_order);
        (offsets, Targets::U16(targets), order)
    } else {
        let Grouped {
            offsets,
            targets,
            order,
        } = synapses::group_by_source(&gen, sides.n_src, |t| t, want_order);
        (offsets, Targets::U32(targets), order)
    };
    drop(gen);
    let weights = match weights {
        Weights::PerSynapse(w) => {
            Weights::PerSynapse(order.iter().map(|&k| w[k as usize]).collect())
        }
        constant => constant,
    };
    let delays = match delays {
        Delays::PerSynapse(d) => Delays::PerSynapse(order.iter().map(|&k| d[k as usize]).collect()),
        constant => constant,
    };
    (offsets, targets, weights, delays)
}

/// The longest delay of a projection (steps); a constant delay counts even with no synapse.
fn max_delay_steps(pr: &Projection) -> usize {
    match &pr.delays {
        Delays::Constant(d) => *d as usize,
        Delays::PerSynapse(v) => v.iter().copied().max().unwrap_or(0) as usize,
    }
}

/// Step 5 (no draws): the neurons each voltage sampler records, evenly spread over its
/// population.
fn place_probes(spec: &NetworkSpec, lif: &[LifPopulation]) -> Result<Vec<VoltageProbe>, SpecError> {
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
        let every_steps = (vs.every_ms / spec.dt_ms).round().max(1.0) as usize;
        probes.push(VoltageProbe {
            population: pop.name.clone(),
            neurons,
            every_steps,
        });
    }
    Ok(probes)
}
