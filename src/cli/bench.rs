//! `brunel bench`: engine speed on fixed networks, as a regression guard (no assertions), and
//! with `--sweep` the throughput of a fixed full-scale slice of the phase plane at several
//! thread counts (runs/s, mean run time per regime, parallel efficiency).

use crate::model;
use crate::network;
use anyhow::Context;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Which fixed networks to time: tutorial, brunel (12,500 neurons at (5, 2)), or all.
    #[arg(long, default_value = "all")]
    pub network: String,
    /// Override a parameter of the brunel network, `name=value`; repeat for several, e.g.
    /// `--set g=3 --set eta=2` times the synchronous-regular point instead of (5, 2).
    #[arg(short, long = "set", value_name = "NAME=VALUE")]
    pub sets: Vec<String>,
    /// Repetitions; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Simulated time per repetition (ms).
    #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
    pub duration_ms: f64,
    /// Time a full-scale slice of the g × eta plane (SR, AI, SI fast and slow, quiescent
    /// points, 2 replicates, --duration-ms each) as a sweep at each of these thread counts,
    /// e.g. 1,2,4.
    #[arg(long, value_name = "THREADS", value_delimiter = ',')]
    pub sweep: Option<Vec<usize>>,
}

/// The slice `bench --sweep` times: Brunel's Fig. 8 states and neighbours, full scale.
const SWEEP_SLICE: &str = r#"
name = "bench-slice"
model = "brunel"
seed = 11
replicates = 2
duration_ms = 1000
warmup_ms = 100
[fixed]
v_sample_n = 0
[[axis]]
param = "g"
values = [3, 4.5, 5, 6]
[[axis]]
param = "eta"
values = [0.8, 0.9, 2, 4]
"#;

/// Times the slice, `duration_ms` per run, at each thread count into a scratch folder
/// (removed afterwards).
fn sweep_bench(threads: &[usize], duration_ms: f64) -> anyhow::Result<()> {
    use crate::sweep::{run_sweep, Quiet, SweepDef, SweepOptions};
    if let Some(n) = threads.iter().find(|n| !(1..=1024).contains(*n)) {
        anyhow::bail!("--sweep {n}: expected thread counts from 1 to 1024");
    }
    // The duration goes into the definition's text, which is then checked whole (every
    // point's network and memory included) like any sweep's.
    model::brunel::MODEL
        .defaults()
        .set("duration_ms", duration_ms)
        .context("--duration-ms")?;
    if duration_ms <= 100.0 {
        anyhow::bail!("--duration-ms {duration_ms}: expected more than the slice's 100 ms warm-up");
    }
    let text = SWEEP_SLICE.replace(
        "duration_ms = 1000",
        &format!("duration_ms = {duration_ms}"),
    );
    let def = SweepDef::parse(&text, "<bench --sweep slice>")?;
    println!(
        "{:>7} {:>6} {:>9} {:>7} {:>10}  mean run time per regime (s)",
        "threads", "runs", "wall (s)", "runs/s", "efficiency"
    );
    for &n in threads {
        let dir =
            std::env::temp_dir().join(format!("brunel-bench-sweep-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let opts = SweepOptions {
            out: dir.clone(),
            threads: n,
            shard: crate::sweep::Shard::ALL,
            flush_every: std::time::Duration::from_secs(3600),
            write_retries: 0,
            write_retry_pause: std::time::Duration::ZERO,
            max_level: None,
        };
        let t0 = Instant::now();
        let report = run_sweep(
            &def,
            &opts,
            &std::sync::atomic::AtomicBool::new(false),
            &mut Quiet,
        )?;
        let wall = t0.elapsed().as_secs_f64();
        let rows =
            crate::sweep::merge::gather(&def, &crate::store::layout::Layout::new(&dir))?.rows;
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "{:>7} {:>6} {:>9.2} {:>7.2} {:>9.0} %  {}",
            n,
            report.done_now,
            wall,
            report.done_now as f64 / wall,
            100.0 * report.parallel_efficiency,
            per_regime(&rows)
        );
    }
    Ok(())
}

/// `SR 4.1 (4), AI 0.9 (8), ...`: mean run wall time and count per simulated regime.
fn per_regime(rows: &[crate::sweep::row::Row]) -> String {
    use crate::sweep::row::Value;
    let mut by: std::collections::BTreeMap<String, (f64, usize)> = Default::default();
    for r in rows {
        if let (Some(Value::Str(reg)), Some(Value::F64(s))) = (r.get("regime"), r.get("wall_s")) {
            let e = by.entry(reg.clone()).or_default();
            e.0 += s;
            e.1 += 1;
        }
    }
    by.iter()
        .map(|(k, (s, n))| format!("{k} {:.2} ({n})", s / *n as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    if let Some(threads) = &a.sweep {
        if !a.sets.is_empty() {
            anyhow::bail!(
                "--set: the --sweep slice has fixed points; expected --set or --sweep, not both"
            );
        }
        return sweep_bench(threads, a.duration_ms);
    }
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
            ]
            .into_iter()
            .chain(a.sets.iter().cloned())
            .collect(),
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
    if !a.sets.is_empty() && a.network == "tutorial" {
        anyhow::bail!("--set: overrides the brunel network, which --network tutorial leaves out");
    }
    // Every selected network is checked before the table starts.
    let mut specs = Vec::new();
    for (name, m, sets) in cases {
        if a.network != "all" && a.network != name {
            continue;
        }
        let mut p = m.with_assignments(&sets).context("--set")?;
        p.set("duration_ms", a.duration_ms)
            .context("--duration-ms")?;
        let spec = m.spec(&p)?;
        spec.validate()?;
        let label = if name == "brunel" {
            format!("brunel ({}, {})", p.get("g"), p.get("eta"))
        } else {
            name.to_string()
        };
        specs.push((label, spec));
    }
    println!(
        "{:<16} {:>9} {:>11} {:>10} {:>10} {:>16} {:>16}",
        "network", "neurons", "synapses", "build (s)", "sim (s)", "neuron-steps/s", "syn. events/s"
    );
    for (label, spec) in specs {
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
            "{:<16} {:>9} {:>11} {:>10.3} {:>10.3} {:>16.3e} {:>16.3e}",
            label,
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
