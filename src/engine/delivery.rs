//! Getting spikes into the ring buffer: how Poisson populations reach their targets, and the
//! scatter of a spike over a projection's row of targets.

use super::poisson::PoissonSampler;
use crate::network::{Delays, Network, Targets, Weights};

/// How a Poisson source population reaches its targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum SourcePlan {
    /// Source i onto LIF neuron `target_offset + i`, one weight and delay for all.
    Direct {
        target_offset: usize,
        w_mv: f64,
        delay: usize,
    },
    /// Drawn inside the target population's update (see [`plan_sources`]).
    Fused,
    /// Anything else: through the projections' rows.
    Generic,
}

impl SourcePlan {
    /// The plan of a source population whose projections are `outs`.
    pub(super) fn of(net: &Network, outs: &[usize]) -> SourcePlan {
        let [k] = outs else {
            return SourcePlan::Generic;
        };
        let pr = &net.projections[*k];
        let n_src = pr.offsets.len() - 1;
        let one_to_one = pr.offsets.iter().enumerate().all(|(i, &o)| o == i)
            && pr.targets.len() == n_src
            && (0..n_src).all(|i| pr.targets.get(i) == i);
        match (&pr.weights, &pr.delays) {
            (Weights::Constant(w), Delays::Constant(d)) if one_to_one => SourcePlan::Direct {
                target_offset: pr.target_offset,
                w_mv: *w,
                delay: *d as usize,
            },
            _ => SourcePlan::Generic,
        }
    }
}

/// Adds `mult` spikes of local source `src` of projection `pr`, emitted in step `s`, to the
/// ring buffer; returns the number of synapses reached.
#[inline]
pub(super) fn deliver(
    pr: &crate::network::Projection,
    src: usize,
    mult: f64,
    s: usize,
    depth: usize,
    n: usize,
    ring: &mut [f32],
) -> u64 {
    let (a, b) = (pr.offsets[src], pr.offsets[src + 1]);
    let size = pr.target_size;
    match (&pr.weights, &pr.delays) {
        (Weights::Constant(w), Delays::Constant(d)) => {
            let slot = (s + *d as usize) % depth;
            let start = slot * n + pr.target_offset;
            let row = &mut ring[start..start + size];
            let w = (w * mult) as f32;
            // SAFETY: `Simulator::new` asserts that every local target of every projection is
            // below its target population's size, which is `row.len()`.
            match &pr.targets {
                Targets::U16(t) => t[a..b]
                    .iter()
                    .for_each(|&t| unsafe { *row.get_unchecked_mut(t as usize) += w }),
                Targets::U32(t) => t[a..b]
                    .iter()
                    .for_each(|&t| unsafe { *row.get_unchecked_mut(t as usize) += w }),
            }
        }
        _ => {
            for k in a..b {
                let slot = (s + pr.delay_steps(k) as usize) % depth;
                ring[slot * n + pr.target_offset + pr.targets.get(k)] +=
                    (pr.weight(k) * mult) as f32;
            }
        }
    }
    (b - a) as u64
}

/// The plan of every Poisson source population (`out_src[si]`: its projections), and per LIF
/// population the source fused into its update with its weight (mV), if any.
///
/// A one-to-one drive with one weight and delay that covers a whole LIF population (Brunel's
/// external drive, the tutorial's inputs) and samples from a table is fused into that
/// population's update: the count for step s+D is drawn when the neuron reads it, which is the
/// same Poisson process (the sources are not recorded, and a count drawn now or D steps
/// earlier is identically distributed) and saves a pass over the ring. At most one source is
/// fused per population.
pub(super) fn plan_sources(
    net: &Network,
    out_src: &[Vec<usize>],
    samplers: &[PoissonSampler],
) -> (Vec<SourcePlan>, Vec<Option<(usize, f64)>>) {
    let mut plans: Vec<SourcePlan> = out_src
        .iter()
        .map(|outs| SourcePlan::of(net, outs))
        .collect();
    let mut fused = vec![None; net.lif.len()];
    for (si, plan) in plans.iter_mut().enumerate() {
        let (
            SourcePlan::Direct {
                target_offset,
                w_mv,
                ..
            },
            PoissonSampler::Table(_),
        ) = (*plan, &samplers[si])
        else {
            continue;
        };
        let covered = net
            .lif
            .iter()
            .position(|p| p.offset == target_offset && p.size == net.sources[si].size);
        if let Some(pi) = covered {
            if fused[pi].is_none() {
                fused[pi] = Some((si, w_mv));
                *plan = SourcePlan::Fused;
            }
        }
    }
    (plans, fused)
}
