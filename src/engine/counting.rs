//! Delivery of synchronous bursts as exact counts per target, updated from a remembered burst.
//!
//! When every recurrent projection has one weight and one delay D, and each target population
//! gets at most one projection from each source population, the scatter of a step's spikes
//! adds to a target's (empty) ring slot first its count n_1 of spiking synapses from source
//! population 1, each adding w_1, then n_2 additions of w_2, and so on (`fired` lists spikes
//! population by population). The f32 it reads is then a function of (n_1, n_2, ...), which a
//! table of those sequential f32 sums gives bit for bit; any way of getting the integer counts
//! gives the scatter's input.
//!
//! In the synchronous-regular state about half the network fires in one step, and nearly the
//! same neurons fire again a few bursts later. So the counts of a burst are those of the most
//! similar remembered burst (or of no spike, or of every neuron spiking: the in-degrees), plus
//! the rows of the neurons that fire now and did not then, minus the rows of those that did
//! then and not now: at Brunel's point (3, 2) that touches ~3 % of the synapses the scatter
//! would.

use crate::network::{Delays, Network, Projection, SourceRef, Targets, Weights};

/// A step is counted when it has at least this fraction of the recurrent synapses' events
/// (1/16: ~6 % of the neurons firing at once; the asynchronous states stay below it).
const MIN_EVENTS_FRACTION: u64 = 16;

/// Bursts remembered (two alternating groups fire at (3, 2); room for a few more).
const REFERENCES: usize = 8;

/// Largest table of sums of one target population (entries; 16 MB).
const MAX_TABLE_ENTRIES: usize = 1 << 22;

/// The counted delivery of one network: see the module doc. The in-degrees and tables are
/// built on the first counted step, so runs that never burst pay only a check per step.
pub(super) struct CountedDelivery {
    /// The one delay of every recurrent projection (steps).
    delay_steps: usize,
    /// Every recurrent projection (LIF source), in network order.
    feeds: Vec<Feed>,
    /// Per LIF population: indices into `feeds` of the projections it sends.
    feeds_of: Vec<Vec<usize>>,
    /// Per LIF population: its recurrent synapses per neuron, the cost of a change of it.
    synapses_per_neuron: Vec<f64>,
    /// Synaptic events from which a step is counted.
    min_events: u64,
    /// Per LIF population receiving recurrent projections: its table of sums.
    inputs: Vec<TargetInput>,
    /// Whether the tables are built (`Some(false)`: too large, so counting is off).
    tables_built: Option<bool>,
    /// Per LIF population: bitset of its neurons that fired in this step.
    fired: Vec<Vec<u64>>,
    /// Remembered counted steps, at most [`REFERENCES`].
    bursts: Vec<Burst>,
    /// Set by tests: count every step.
    pub(super) force: bool,
    /// Steps counted from silence, from all-fired and from a remembered burst (for tests).
    pub(super) counted_from: [u64; 3],
}

/// One recurrent projection.
struct Feed {
    /// Index into `Network::projections`.
    projection: usize,
    /// Source LIF population.
    source: usize,
    /// Synapses onto each local target (multapses counted); built with the tables.
    in_degree: Vec<u32>,
}

/// A LIF population receiving recurrent projections.
struct TargetInput {
    /// Index into `Network::lif`.
    population: usize,
    /// Indices into `feeds` of the projections reaching it, in source population order (the
    /// order of their additions).
    feeds: Vec<usize>,
    /// `table[Σ counts_f · strides_f]`: the f32 input the scatter would leave.
    strides: Vec<usize>,
    table: Vec<f32>,
}

/// A counted step: who fired, and the counts it gave.
struct Burst {
    /// Per LIF population: bitset of its neurons that fired.
    fired: Vec<Vec<u64>>,
    /// Per feed and local target: synapses that carried a spike.
    counts: Vec<Vec<u32>>,
    /// The last step that was counted from (or as) this burst.
    last_used: usize,
}

/// What a step's counts start from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Base {
    /// No neuron fired: all counts 0.
    Silent,
    /// Every neuron fired: the in-degrees.
    All,
    /// A remembered burst.
    Burst(usize),
}

impl CountedDelivery {
    /// The counted delivery of `net`, or None where counting cannot match the scatter: a
    /// recurrent projection with per-synapse weights or delays, two delays, or two projections
    /// between the same pair of populations.
    pub(super) fn plan(net: &Network) -> Option<CountedDelivery> {
        let mut delay = None;
        let mut feeds = Vec::new();
        let mut feeds_of = vec![vec![]; net.lif.len()];
        let mut synapses = vec![0usize; net.lif.len()];
        let mut pairs = Vec::new();
        for (k, pr) in net.projections.iter().enumerate() {
            let SourceRef::Lif(source) = pr.source else {
                continue;
            };
            let (Weights::Constant(_), Delays::Constant(d)) = (&pr.weights, &pr.delays) else {
                return None;
            };
            if *delay.get_or_insert(*d) != *d || pairs.contains(&(source, pr.target)) {
                return None;
            }
            pairs.push((source, pr.target));
            feeds_of[source].push(feeds.len());
            synapses[source] += pr.len();
            feeds.push(Feed {
                projection: k,
                source,
                in_degree: Vec::new(),
            });
        }
        let delay_steps = delay? as usize;
        let inputs = (0..net.lif.len())
            .filter_map(|t| {
                let mut fs: Vec<usize> = (0..feeds.len())
                    .filter(|&f| net.projections[feeds[f].projection].target == t)
                    .collect();
                fs.sort_by_key(|&f| feeds[f].source);
                (!fs.is_empty()).then_some(TargetInput {
                    population: t,
                    feeds: fs,
                    strides: Vec::new(),
                    table: Vec::new(),
                })
            })
            .collect();
        Some(CountedDelivery {
            delay_steps,
            feeds,
            feeds_of,
            synapses_per_neuron: net
                .lif
                .iter()
                .zip(&synapses)
                .map(|(p, &s)| s as f64 / p.size.max(1) as f64)
                .collect(),
            min_events: (synapses.iter().sum::<usize>() as u64 / MIN_EVENTS_FRACTION).max(1),
            inputs,
            tables_built: None,
            fired: net
                .lif
                .iter()
                .map(|p| vec![0; p.size.div_ceil(64)])
                .collect(),
            bursts: Vec::new(),
            force: false,
            counted_from: [0; 3],
        })
    }

    /// Delivers the spikes `fired` of step `s` into the ring (`depth` slots of all LIF
    /// neurons) by counting, when the step is a burst and the slot they land in is still empty
    /// (so the scatter would also have started from 0.0); returns the synaptic events, or None
    /// to leave the step to the scatter.
    pub(super) fn deliver(
        &mut self,
        net: &Network,
        fired: &[(u32, u32)],
        s: usize,
        depth: usize,
        ring: &mut [f32],
    ) -> Option<u64> {
        if self.tables_built == Some(false) {
            return None;
        }
        let mut events = 0u64;
        for &(p, i) in fired {
            for &f in &self.feeds_of[p as usize] {
                let pr = &net.projections[self.feeds[f].projection];
                events += (pr.offsets[i as usize + 1] - pr.offsets[i as usize]) as u64;
            }
        }
        if (events < self.min_events && !self.force) || !self.build_tables(net) {
            return None;
        }
        let n = net.n_lif;
        let slot = &mut ring[(s + self.delay_steps) % depth * n..][..n];
        let empty = self.inputs.iter().all(|t| {
            let p = &net.lif[t.population];
            slot[p.offset..p.offset + p.size]
                .iter()
                .all(|x| x.to_bits() == 0)
        });
        if !empty {
            return None;
        }
        for bits in &mut self.fired {
            bits.fill(0);
        }
        for &(p, i) in fired {
            self.fired[p as usize][i as usize / 64] |= 1 << (i % 64);
        }
        let b = self.count(net, s);
        let counts = &self.bursts[b].counts;
        for t in &self.inputs {
            let p = &net.lif[t.population];
            for (j, x) in slot[p.offset..p.offset + p.size].iter_mut().enumerate() {
                let at: usize = t
                    .feeds
                    .iter()
                    .zip(&t.strides)
                    .map(|(&f, &stride)| counts[f][j] as usize * stride)
                    .sum();
                *x = t.table[at];
            }
        }
        Some(events)
    }

    /// Counts this step's spikes (in `self.fired`) into a remembered burst: the most similar
    /// one, updated in place, or else a fresh (or the least recently used) one started from
    /// silence or from all-fired; returns its index.
    fn count(&mut self, net: &Network, s: usize) -> usize {
        let base = self.nearest_base(net);
        self.counted_from[match base {
            Base::Silent => 0,
            Base::All => 1,
            Base::Burst(_) => 2,
        }] += 1;
        let b = match base {
            Base::Burst(b) => b,
            Base::Silent | Base::All => {
                let b = if self.bursts.len() < REFERENCES {
                    self.bursts.push(Burst {
                        fired: self.fired.iter().map(|v| vec![0; v.len()]).collect(),
                        counts: self
                            .feeds
                            .iter()
                            .map(|f| vec![0; f.in_degree.len()])
                            .collect(),
                        last_used: s,
                    });
                    self.bursts.len() - 1
                } else {
                    (0..REFERENCES)
                        .min_by_key(|&b| self.bursts[b].last_used)
                        .expect("bursts remembered")
                };
                let burst = &mut self.bursts[b];
                for (p, bits) in burst.fired.iter_mut().enumerate() {
                    bits.fill(0);
                    if base == Base::All {
                        let size = net.lif[p].size;
                        for i in 0..size {
                            bits[i / 64] |= 1 << (i % 64);
                        }
                    }
                }
                for (c, f) in burst.counts.iter_mut().zip(&self.feeds) {
                    match base {
                        Base::All => c.copy_from_slice(&f.in_degree),
                        _ => c.fill(0),
                    }
                }
                b
            }
        };
        // Rows of neurons that fire now and not in the base are added first, then those
        // that fired in the base and not now are taken away, so no count goes below 0.
        let burst = &mut self.bursts[b];
        for adding in [true, false] {
            for (p, (now, then)) in self.fired.iter().zip(&burst.fired).enumerate() {
                for (w, (&x, &y)) in now.iter().zip(then).enumerate() {
                    let mut changed = if adding { x & !y } else { y & !x };
                    while changed != 0 {
                        let i = w * 64 + changed.trailing_zeros() as usize;
                        changed &= changed - 1;
                        for &f in &self.feeds_of[p] {
                            let pr = &net.projections[self.feeds[f].projection];
                            count_row(&mut burst.counts[f], pr, i, adding);
                        }
                    }
                }
            }
        }
        for (then, now) in burst.fired.iter_mut().zip(&self.fired) {
            then.copy_from_slice(now);
        }
        burst.last_used = s;
        b
    }

    /// The base of this step's counts that changes the fewest synapses.
    fn nearest_base(&self, net: &Network) -> Base {
        let cost = |changed: &dyn Fn(usize) -> usize| -> f64 {
            (0..self.fired.len())
                .map(|p| changed(p) as f64 * self.synapses_per_neuron[p])
                .sum()
        };
        let fired =
            |p: usize| -> usize { self.fired[p].iter().map(|w| w.count_ones() as usize).sum() };
        let mut best = (Base::Silent, cost(&fired));
        let all = cost(&|p| net.lif[p].size - fired(p));
        if all < best.1 {
            best = (Base::All, all);
        }
        for (b, burst) in self.bursts.iter().enumerate() {
            let c = cost(&|p| {
                self.fired[p]
                    .iter()
                    .zip(&burst.fired[p])
                    .map(|(x, y)| (x ^ y).count_ones() as usize)
                    .sum()
            });
            if c < best.1 {
                best = (Base::Burst(b), c);
            }
        }
        best.0
    }

    /// Builds the in-degrees and the tables of sums on the first counted step; false (for
    /// good) when a table would be too large.
    fn build_tables(&mut self, net: &Network) -> bool {
        if let Some(ok) = self.tables_built {
            return ok;
        }
        for f in &mut self.feeds {
            f.in_degree = in_degrees(&net.projections[f.projection]);
        }
        let mut ok = true;
        for t in &mut self.inputs {
            let dims: Vec<usize> = t
                .feeds
                .iter()
                .map(|&f| {
                    self.feeds[f]
                        .in_degree
                        .iter()
                        .max()
                        .map_or(0, |&d| d as usize)
                        + 1
                })
                .collect();
            let entries = dims
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .filter(|&e| e <= MAX_TABLE_ENTRIES);
            if entries.is_none() {
                ok = false;
                break;
            }
            let weights: Vec<f32> = t
                .feeds
                .iter()
                .map(
                    |&f| match net.projections[self.feeds[f].projection].weights {
                        Weights::Constant(w) => w as f32,
                        Weights::PerSynapse(_) => unreachable!("planned with constant weights"),
                    },
                )
                .collect();
            t.strides = (0..dims.len())
                .map(|i| dims[i + 1..].iter().product())
                .collect();
            t.table = sequential_sums(&weights, &dims);
        }
        self.tables_built = Some(ok);
        ok
    }
}

/// Adds 1 to (or takes 1 from) the count of every target of source `i` of `pr`.
fn count_row(counts: &mut [u32], pr: &Projection, i: usize, add: bool) {
    let row = pr.offsets[i]..pr.offsets[i + 1];
    let step = |c: &mut u32| {
        if add {
            *c += 1
        } else {
            *c -= 1
        }
    };
    match &pr.targets {
        Targets::U16(t) => t[row].iter().for_each(|&t| step(&mut counts[t as usize])),
        Targets::U32(t) => t[row].iter().for_each(|&t| step(&mut counts[t as usize])),
    }
}

/// Synapses of `pr` onto each local target (multapses counted).
fn in_degrees(pr: &Projection) -> Vec<u32> {
    let mut deg = vec![0u32; pr.target_size];
    for k in 0..pr.len() {
        deg[pr.targets.get(k)] += 1;
    }
    deg
}

/// The table of sequential f32 sums: entry Σ n_f·stride_f (row-major over `dims`, the last
/// index fastest) holds 0.0 plus `weights[0]` n_0 times, then `weights[1]` n_1 times, ...,
/// each addition rounded to f32 as the scatter does.
fn sequential_sums(weights: &[f32], dims: &[usize]) -> Vec<f32> {
    fn fill(out: &mut Vec<f32>, start: f32, weights: &[f32], dims: &[usize]) {
        let (Some((&w, weights)), Some((&d, dims))) = (weights.split_first(), dims.split_first())
        else {
            out.push(start);
            return;
        };
        let mut v = start;
        for _ in 0..d {
            fill(out, v, weights, dims);
            v += w;
        }
    }
    let mut out = Vec::with_capacity(dims.iter().product());
    fill(&mut out, 0.0, weights, dims);
    out
}

#[cfg(test)]
mod tests {
    //! The counted input against the scatter's, bit for bit, over random spike sets.

    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Brunel's network at 100 neurons with C = 50 % (many multapses).
    fn small_net() -> Network {
        let m = crate::model::brunel::MODEL;
        let p = m
            .with_assignments(&["N_E=80", "N_I=20", "epsilon=0.5", "g=3"])
            .unwrap();
        crate::network::build(&m.spec(&p).unwrap(), 5).unwrap()
    }

    #[test]
    fn counted_input_is_the_scattered_input_bit_for_bit() {
        let net = small_net();
        let n = net.n_lif;
        let depth = net.max_delay_steps + 1;
        let mut counted = CountedDelivery::plan(&net).expect("countable");
        counted.force = true;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut groups: Vec<Vec<(u32, u32)>> = Vec::new();
        for s in 0..400 {
            // Fresh sets of any density, or a remembered one with a few neurons changed.
            let fired: Vec<(u32, u32)> = if groups.is_empty() || rng.random::<f64>() < 0.3 {
                let p: f64 = rng.random();
                let fresh = net
                    .lif
                    .iter()
                    .enumerate()
                    .flat_map(|(pi, pop)| (0..pop.size as u32).map(move |i| (pi as u32, i)))
                    .filter(|_| rng.random::<f64>() < p)
                    .collect();
                groups.push(fresh);
                groups.last().unwrap().clone()
            } else {
                let g = &groups[rng.random_range(0..groups.len())];
                g.iter()
                    .copied()
                    .filter(|_| rng.random::<f64>() < 0.9)
                    .collect()
            };
            let mut want = vec![0f32; depth * n];
            for &(p, i) in &fired {
                for pr in net
                    .projections
                    .iter()
                    .filter(|pr| pr.source == SourceRef::Lif(p as usize))
                {
                    super::super::delivery::deliver(pr, i as usize, 1.0, s, depth, n, &mut want);
                }
            }
            let mut got = vec![0f32; depth * n];
            counted
                .deliver(&net, &fired, s, depth, &mut got)
                .expect("counted");
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "step {s}");
        }
        let [silent, all, burst] = counted.counted_from;
        assert!(
            silent > 10 && all > 10 && burst > 100,
            "{:?}",
            counted.counted_from
        );
    }

    #[test]
    fn a_written_slot_is_left_to_the_scatter() {
        let net = small_net();
        let depth = net.max_delay_steps + 1;
        let mut counted = CountedDelivery::plan(&net).unwrap();
        counted.force = true;
        let mut ring = vec![0f32; depth * net.n_lif];
        ring[15 % depth * net.n_lif + 3] = 0.5;
        assert_eq!(counted.deliver(&net, &[(0, 1)], 0, depth, &mut ring), None);
        assert!(counted
            .deliver(&net, &[(0, 1)], 1, depth, &mut ring)
            .is_some());
    }

    #[test]
    fn per_synapse_weights_or_two_delays_are_not_counted() {
        let index = |net: &Network, name| net.projections.iter().position(|p| p.name == name);
        let mut net = small_net();
        let ee = index(&net, "E-E").unwrap();
        net.projections[ee].weights = Weights::PerSynapse(vec![0.1; net.projections[ee].len()]);
        assert!(CountedDelivery::plan(&net).is_none());
        let mut net = small_net();
        let ie = index(&net, "I-E").unwrap();
        net.projections[ie].delays = Delays::Constant(3);
        assert!(CountedDelivery::plan(&net).is_none());
    }
}
