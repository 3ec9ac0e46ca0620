//! Tests of the network builder: connector statistics, autapses and multapses, weight and
//! delay distributions, determinism.

use super::*;
use crate::model::{self, Connector, DelaySpec, NetworkSpec, ProjectionSpec, WeightSpec};

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
