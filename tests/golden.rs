//! Golden hashes of what the engine computes: the built connectivity and one run's spikes per
//! model. A refactoring must not change them ("same seed, same spikes"); a change meant to
//! alter the simulation re-mints them with a note in its commit saying why.
//!
//! Minted on 2026-11-28 at commit 1c21a52, before the record/engine split of issue 10.

use brunel::model;

/// FNV-1a, 64 bit: a stable hash with no dependency.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= x as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn u64(&mut self, x: u64) {
        self.bytes(&x.to_le_bytes());
    }
}

/// (connectivity hash, spike hash, number of spikes) of one run.
fn hashes(model_name: &str, sets: &[&str], seed: u64) -> (u64, u64, usize) {
    let m = model::find(model_name).unwrap();
    let p = m.with_assignments(sets).unwrap();
    let spec = m.spec(&p).unwrap();
    let net = brunel::network::build(&spec, seed).unwrap();
    let mut c = Fnv::new();
    for pr in &net.projections {
        c.bytes(pr.name.as_bytes());
        for k in 0..pr.len() {
            c.u64(pr.targets.get(k) as u64);
            c.u64(pr.weight(k).to_bits());
            c.u64(pr.delay_steps(k) as u64);
        }
        for &o in &pr.offsets {
            c.u64(o as u64);
        }
    }
    let (rec, _work) = brunel::engine::run(&net, spec.n_steps(), seed);
    let mut s = Fnv::new();
    let mut n = 0;
    for pop in &rec.spikes {
        s.bytes(pop.name.as_bytes());
        for (&t, &j) in pop.steps.iter().zip(&pop.neurons) {
            s.u64(((t as u64) << 32) | j as u64);
        }
        n += pop.steps.len();
    }
    (c.0, s.0, n)
}

#[test]
fn connectivity_and_spikes_match_the_golden_hashes() {
    let cases: [(&str, &[&str], u64, (u64, u64, usize)); 4] = [
        (
            "tutorial",
            &[],
            1,
            (15952847108358802120, 12334380461775245547, 705),
        ),
        (
            "tutorial",
            &["ext_rate_hz=50"],
            2,
            (7747370284664532298, 7613051069515772464, 1437),
        ),
        (
            "brunel",
            &[
                "N_E=2000",
                "N_I=500",
                "epsilon=0.2",
                "g=5",
                "eta=2",
                "duration_ms=300",
            ],
            3,
            (15712427579624199585, 768228947658713406, 45351),
        ),
        (
            "brunel",
            &[
                "g=3",
                "eta=2",
                "warmup_ms=0",
                "duration_ms=100",
                "v_sample_n=0",
            ],
            4,
            (617840177462025236, 8083779245496746967, 407454),
        ),
    ];
    let mut report = Vec::new();
    for (m, sets, seed, want) in cases {
        let got = hashes(m, sets, seed);
        report.push(format!("{m} {sets:?} seed {seed}: {got:?}"));
        if got != want {
            report.push("  ^ differs".into());
        }
    }
    let text = report.join("\n");
    assert!(!text.contains("differs"), "{text}");
}
