//! `brunel bench`: engine speed on fixed networks, as a regression guard (no assertions).

use crate::model;
use crate::network;
use anyhow::Context;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Which fixed networks to time: tutorial, brunel (12,500 neurons at (5, 2)), or all.
    #[arg(long, default_value = "all")]
    pub network: String,
    /// Repetitions; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Simulated time per repetition (ms).
    #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
    pub duration_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let cases: Vec<(&str, &model::Model, Vec<String>)> = vec![
        ("tutorial", &model::tutorial::MODEL, vec![]),
        (
            "brunel",
            &model::brunel::MODEL,
            vec![
                "g=5".into(),
                "eta=2".into(),
                "v_sample_n=0".into(),
                "warmup_ms=0".into(),
            ],
        ),
    ];
    let known = ["all", "tutorial", "brunel"];
    if !known.contains(&a.network.as_str()) {
        anyhow::bail!(
            "--network `{}`: expected one of {}",
            a.network,
            known.join(", ")
        );
    }
    if a.repeat == 0 || a.repeat > 1000 {
        anyhow::bail!(
            "--repeat {}: expected a whole number from 1 to 1000",
            a.repeat
        );
    }
    println!(
        "{:<10} {:>9} {:>11} {:>10} {:>10} {:>16} {:>16}",
        "network", "neurons", "synapses", "build (s)", "sim (s)", "neuron-steps/s", "syn. events/s"
    );
    for (name, m, sets) in cases {
        if a.network != "all" && a.network != name {
            continue;
        }
        let mut p = m.with_assignments(&sets)?;
        p.set("duration_ms", a.duration_ms)
            .context("--duration-ms")?;
        let spec = m.spec(&p)?;
        spec.validate()?;
        let (mut builds, mut sims, mut work) = (vec![], vec![], None);
        let mut sizes = (0, 0);
        for rep in 0..a.repeat.max(1) {
            let t0 = Instant::now();
            let net = network::build(&spec, 1 + rep as u64)?;
            let t1 = Instant::now();
            let (_rec, counts) = crate::engine::run(&net, spec.n_steps(), 1 + rep as u64);
            let t2 = Instant::now();
            builds.push((t1 - t0).as_secs_f64());
            sims.push((t2 - t1).as_secs_f64());
            work = Some(counts);
            sizes = (net.n_lif, net.n_synapses());
        }
        let (b, s) = (median(builds), median(sims));
        let w = work.expect("at least one repetition");
        println!(
            "{:<10} {:>9} {:>11} {:>10.3} {:>10.3} {:>16.3e} {:>16.3e}",
            name,
            sizes.0,
            sizes.1,
            b,
            s,
            w.neuron_steps as f64 / s,
            w.synaptic_events as f64 / s
        );
    }
    Ok(())
}
