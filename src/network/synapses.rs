//! Synapse generation per connector, in a deterministic order, and the grouping of generated
//! synapses by source into compressed rows. The connectivity stream is drawn here in exactly
//! this order (sources outer, targets inner; targets outer for fixed in-degree), so changing a
//! loop changes every seeded network.

use crate::model::Connector;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Synapses in generation order before they are grouped by source.
pub(super) enum Generated {
    /// (local source, local target) pairs.
    Pairs(Vec<(u32, u32)>),
    /// Fixed in-degree: `sources[j·k + m]` is the m-th source of target j.
    InDegree { k: usize, sources: Vec<u32> },
}

impl Generated {
    /// Number of synapses.
    pub(super) fn len(&self) -> usize {
        match self {
            Generated::Pairs(p) => p.len(),
            Generated::InDegree { sources, .. } => sources.len(),
        }
    }

    /// Local source of synapse `m` (generation order).
    fn source(&self, m: usize) -> u32 {
        match self {
            Generated::Pairs(p) => p[m].0,
            Generated::InDegree { sources, .. } => sources[m],
        }
    }

    /// Local target of synapse `m` (generation order).
    fn target(&self, m: usize) -> u32 {
        match self {
            Generated::Pairs(p) => p[m].1,
            Generated::InDegree { k, .. } => (m / k) as u32,
        }
    }
}

/// Sizes of the two sides of a projection and whether it maps a population onto itself (where
/// autapses can occur).
#[derive(Debug, Clone, Copy)]
pub(super) struct Sides {
    pub n_src: usize,
    pub n_tgt: usize,
    pub same: bool,
}

impl Sides {
    /// Whether the connector may join local source `i` to local target `j`.
    fn allowed(&self, allow_autapses: bool, i: u32, j: u32) -> bool {
        allow_autapses || !self.same || i != j
    }
}

/// The synapses of one projection in generation order, drawing from `conn_rng` for the
/// random connectors.
pub(super) fn generate(connector: Connector, sides: Sides, conn_rng: &mut ChaCha8Rng) -> Generated {
    match connector {
        Connector::OneToOne => Generated::Pairs((0..sides.n_src as u32).map(|i| (i, i)).collect()),
        Connector::AllToAll { allow_autapses } => all_to_all(sides, allow_autapses),
        Connector::FixedProbability { p, allow_autapses } => {
            fixed_probability(sides, p, allow_autapses, conn_rng)
        }
        Connector::FixedInDegree {
            k,
            allow_autapses,
            allow_multapses,
        } => fixed_in_degree(sides, k, allow_autapses, allow_multapses, conn_rng),
    }
}

/// Every allowed (source, target) pair, sources outer.
fn all_to_all(sides: Sides, allow_autapses: bool) -> Generated {
    let mut v = Vec::with_capacity(sides.n_src * sides.n_tgt);
    for i in 0..sides.n_src as u32 {
        for j in 0..sides.n_tgt as u32 {
            if sides.allowed(allow_autapses, i, j) {
                v.push((i, j));
            }
        }
    }
    Generated::Pairs(v)
}

/// Each allowed pair with probability `p`: one uniform draw per allowed pair, sources outer.
fn fixed_probability(
    sides: Sides,
    p: f64,
    allow_autapses: bool,
    conn_rng: &mut ChaCha8Rng,
) -> Generated {
    let mut v = Vec::new();
    for i in 0..sides.n_src as u32 {
        for j in 0..sides.n_tgt as u32 {
            // The `&&` keeps today's draw order: no draw for a forbidden autapse.
            if sides.allowed(allow_autapses, i, j) && conn_rng.random::<f64>() < p {
                v.push((i, j));
            }
        }
    }
    Generated::Pairs(v)
}

/// Exactly `k` sources per target, targets outer, rejecting forbidden autapses and (unless
/// allowed) repeated sources.
fn fixed_in_degree(
    sides: Sides,
    k: usize,
    allow_autapses: bool,
    allow_multapses: bool,
    conn_rng: &mut ChaCha8Rng,
) -> Generated {
    let mut v = Vec::with_capacity(k * sides.n_tgt);
    let mut chosen: Vec<u32> = Vec::with_capacity(k);
    for j in 0..sides.n_tgt as u32 {
        chosen.clear();
        while chosen.len() < k {
            let s = conn_rng.random_range(0..sides.n_src as u32);
            if !sides.allowed(allow_autapses, s, j) || (!allow_multapses && chosen.contains(&s)) {
                continue;
            }
            chosen.push(s);
        }
        v.extend_from_slice(&chosen);
    }
    Generated::InDegree { k, sources: v }
}

/// Synapses grouped by source: row offsets, targets and, when asked, the generation index of
/// each stored synapse (to place per-synapse weights and delays).
pub(super) struct Grouped<T> {
    /// `offsets[i]..offsets[i+1]` are the synapses of local source `i`.
    pub offsets: Vec<usize>,
    /// Local target of each stored synapse.
    pub targets: Vec<T>,
    /// Generation index of each stored synapse (empty unless asked for).
    pub order: Vec<u32>,
}

/// Groups generated synapses by source (a stable counting sort, so rows keep generation
/// order, i.e. ascending targets).
pub(super) fn group_by_source<T: Copy + Default>(
    gen: &Generated,
    n_src: usize,
    convert: impl Fn(u32) -> T,
    want_order: bool,
) -> Grouped<T> {
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
        vec![0u32; m]
    } else {
        Vec::new()
    };
    for i in 0..m {
        let s = gen.source(i) as usize;
        let pos = fill[s];
        fill[s] += 1;
        targets[pos] = convert(gen.target(i));
        if want_order {
            order[pos] = i as u32;
        }
    }
    Grouped {
        offsets,
        targets,
        order,
    }
}
