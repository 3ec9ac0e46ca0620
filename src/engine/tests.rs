//! Whole-engine tests (delays, seeds, the Poisson drive rate) and the one-population test
//! networks the model files' tests share; each model's exact-solution tests live in its file.

use super::*;
use crate::model::*;
use crate::network::build;

/// LIF parameters: tau_m 20 ms, threshold 20 mV, reset 10 mV, t_ref 2 ms.
pub(super) fn lif(synapse: Synapse, u_rest: f64, v0: f64) -> LifParams {
    LifParams {
        tau_m_ms: 20.0,
        synapse,
        v_th_mv: 20.0,
        v_reset_mv: 10.0,
        t_ref_ms: 2.0,
        u_rest_mv: PerNeuron::Constant(u_rest),
        v_init_mv: InitialV::Draw(PerNeuron::Constant(v0)),
    }
}

/// One population "A" of `n` neurons with `params`, dt 0.1 ms, nothing else.
pub(super) fn single(params: LifParams, n: usize) -> NetworkSpec {
    NetworkSpec {
        dt_ms: 0.1,
        duration_ms: 100.0,
        warmup_ms: 0.0,
        populations: vec![PopulationSpec {
            name: "A".into(),
            size: n,
            kind: PopulationKind::Lif(params),
        }],
        projections: vec![],
        voltage_sampling: vec![],
    }
}

#[test]
fn delayed_spike_arrives_exactly_delay_steps_later() {
    // A fires at 5.0 ms (stamp 50); A→B with delay 1.5 ms and a suprathreshold weight makes B
    // fire at 6.5 ms (stamp 65), as NEST does.
    let mut spec = single(lif(Synapse::Delta, 0.0, 0.0), 1);
    spec.populations.push(PopulationSpec {
        name: "B".into(),
        size: 1,
        kind: PopulationKind::Lif(lif(Synapse::Delta, 0.0, 0.0)),
    });
    spec.projections.push(ProjectionSpec {
        name: "A-B".into(),
        source: "A".into(),
        target: "B".into(),
        connector: Connector::OneToOne,
        weight: WeightSpec::Constant { w_mv: 25.0 },
        delay: DelaySpec::Constant { d_ms: 1.5 },
    });
    let net = build(&spec, 1).unwrap();
    let mut sim = Simulator::new(&net, 1);
    for s in 0..100 {
        if s == 48 {
            sim.inject(0, 25.0, 1); // read in step 49, stamped 50
        }
        sim.step();
    }
    let (rec, _) = sim.finish();
    assert_eq!(rec.population("A").unwrap().steps, vec![50]);
    assert_eq!(rec.population("B").unwrap().steps, vec![65]);
}

#[test]
fn same_seed_same_spikes_different_seed_different_spikes() {
    let m = crate::model::tutorial::MODEL;
    let spec = m
        .spec(&m.with_assignments(&["duration_ms=300"]).unwrap())
        .unwrap();
    let run_seed = |seed| {
        let net = build(&spec, seed).unwrap();
        run(&net, spec.n_steps(), seed).0.spikes
    };
    let a = run_seed(4);
    assert_eq!(a, run_seed(4));
    assert_ne!(a, run_seed(5));
    assert!(a[0].steps.len() > 10);
}

#[test]
fn poisson_drive_delivers_its_rate() {
    // 1000 independent neurons below threshold driven at 1 kHz each with tiny weights: the
    // number of delivered input events over 1 s is Poisson(1e6); 5 sd = 5000.
    let mut spec = single(lif(Synapse::Delta, 0.0, 0.0), 1000);
    spec.duration_ms = 1000.0;
    spec.populations.push(PopulationSpec {
        name: "P".into(),
        size: 1000,
        kind: PopulationKind::Poisson { rate_hz: 1000.0 },
    });
    spec.projections.push(ProjectionSpec {
        name: "P-A".into(),
        source: "P".into(),
        target: "A".into(),
        connector: Connector::OneToOne,
        weight: WeightSpec::Constant { w_mv: 1e-6 },
        delay: DelaySpec::Constant { d_ms: 0.1 },
    });
    let net = build(&spec, 9).unwrap();
    let (_rec, work) = run(&net, spec.n_steps(), 9);
    let n = work.poisson_events as f64;
    assert!((n - 1e6).abs() < 5000.0, "{n}");
    assert_eq!(work.neuron_steps, 1000 * 10_000);
}

/// A strongly synchronous Brunel network (the SR point at 2,500 neurons, C_E = 1000 as at
/// full scale, with multapses) run after `setup`: its record, the steps delivered by counting
/// and how many of those were counted from a remembered burst.
fn synchronous_run(setup: impl Fn(&mut Simulator)) -> (crate::record::Recording, (u64, u64)) {
    let m = crate::model::brunel::MODEL;
    let p = m
        .with_assignments(&[
            "N_E=2000",
            "N_I=500",
            "epsilon=0.5",
            "g=3",
            "eta=2",
            "duration_ms=200",
            "warmup_ms=0",
        ])
        .unwrap();
    let spec = m.spec(&p).unwrap();
    let net = build(&spec, 7).unwrap();
    let mut sim = Simulator::new(&net, 7);
    setup(&mut sim);
    for _ in 0..spec.n_steps() {
        sim.step();
    }
    let counted = sim.counted_steps();
    (sim.finish().0, counted)
}

#[test]
fn counted_delivery_gives_the_spikes_of_the_scatter() {
    let (scattered, none) = synchronous_run(|sim| sim.force_scatter());
    assert_eq!(none, (0, 0));
    // Synchronous: some steps have 40 % of the network firing.
    let mut per_step = vec![0usize; 2001];
    for pop in &scattered.spikes {
        for &t in &pop.steps {
            per_step[t as usize] += 1;
        }
    }
    let bursts = per_step.iter().filter(|&&c| c > 1000).count() as u64;
    assert!(bursts > 50, "{bursts} steps with 40 % firing");
    let (every, (steps, _)) = synchronous_run(|sim| sim.force_counting());
    assert_eq!(steps, 2000);
    assert!(
        every.spikes == scattered.spikes,
        "counting every step: spikes differ"
    );
    // Left to choose, it counts the bursts, nearly all from an earlier one.
    let (auto, (steps, from_burst)) = synchronous_run(|_| {});
    assert!(
        steps >= bursts && steps < 1000,
        "{steps} counted, {bursts} bursts"
    );
    assert!(
        from_burst + 10 > bursts,
        "{from_burst} from a remembered burst"
    );
    assert!(
        auto.spikes == scattered.spikes,
        "counting bursts: spikes differ"
    );
}
