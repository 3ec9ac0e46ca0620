//! `brunel slurm` on a real SLURM cluster: a small sweep submitted as a job array of 3 tasks
//! (one shard each), merged, and compared row for row with the same sweep run unsharded.
//!
//! Needs a running cluster (`bash scripts/setup-slurm.sh`, as root), so it is `#[ignore]`d
//! in a plain `cargo test` (listed as ignored, never as passed); `.ci/run` starts the cluster
//! and runs it with `--ignored`, where a missing cluster fails it.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long the whole array may take from submission until it has left the queue.
const DEADLINE: Duration = Duration::from_secs(300);
const SHARDS: usize = 3;

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    )
}

/// Runs a SLURM client command; Err when it cannot be started at all.
fn run(cmd: &str, args: &[&str], cwd: &Path) -> Result<Output, String> {
    Command::new(cmd)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("cannot run `{cmd}`: {e}"))
}

/// Ok when `sbatch` and `squeue` are on PATH and `scontrol ping` says the controller is UP.
fn slurm_cluster() -> Result<(), String> {
    let here = std::env::temp_dir();
    for cmd in ["sbatch", "squeue", "scancel"] {
        run(cmd, &["--version"], &here)?;
    }
    let ping = run("scontrol", &["ping"], &here)?;
    let out = String::from_utf8_lossy(&ping.stdout);
    if ping.status.success() && out.contains("is UP") {
        Ok(())
    } else {
        Err(format!(
            "`scontrol ping` does not report UP: {}",
            text(&ping)
        ))
    }
}

/// Everything worth seeing when the array misbehaves: queue, job record, task logs.
fn diagnostics(job: &str, dir: &Path) -> String {
    let mut s = String::new();
    for (cmd, args) in [
        ("squeue", vec!["-r", "-t", "all", "-j", job]),
        ("scontrol", vec!["show", "job", job]),
        ("sinfo", vec!["-N", "-l"]),
    ] {
        s.push_str(&format!("\n===== {cmd} {} =====\n", args.join(" ")));
        match run(cmd, &args, dir) {
            Ok(o) => s.push_str(&text(&o)),
            Err(e) => s.push_str(&e),
        }
    }
    let logs = dir.join("slurm/logs");
    let mut files: Vec<_> = std::fs::read_dir(&logs)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        s.push_str(&format!(
            "\n===== no task logs in {} =====\n",
            logs.display()
        ));
    }
    for f in files {
        s.push_str(&format!("\n===== {} =====\n", f.display()));
        s.push_str(&std::fs::read_to_string(&f).unwrap_or_else(|e| format!("unreadable: {e}")));
    }
    s
}

/// Polls until job `job` has left the queue, cancelling it with diagnostics after
/// [`DEADLINE`].
fn wait_gone(job: &str, arr: &Path, d: &Path) {
    let submitted = Instant::now();
    loop {
        let q = run("squeue", &["-h", "-j", job], d).unwrap();
        let out = String::from_utf8_lossy(&q.stdout);
        let gone = if q.status.success() {
            out.trim().is_empty()
        } else {
            // A purged record reads "Invalid job id specified"; anything else is transient.
            stderr(&q).contains("Invalid job id")
        };
        if gone {
            return;
        }
        if submitted.elapsed() > DEADLINE {
            let diag = diagnostics(job, arr);
            let _ = run("scancel", &[job], d);
            panic!(
                "array job {job} not finished after {} s; cancelled it.{diag}",
                DEADLINE.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Asserts that every one of the `tasks` array tasks of `job` ended COMPLETED.
fn assert_completed(job: &str, tasks: usize, arr: &Path, d: &Path) {
    let st = run(
        "squeue",
        &["-h", "-r", "-t", "all", "-j", job, "-o", "%i %T"],
        d,
    )
    .unwrap();
    assert!(st.status.success(), "squeue failed: {}", text(&st));
    let mut states: Vec<(String, String)> = String::from_utf8_lossy(&st.stdout)
        .lines()
        .filter_map(|l| {
            let (id, state) = l.trim().split_once(' ')?;
            Some((id.to_string(), state.trim().to_string()))
        })
        .collect();
    states.sort();
    let expected: Vec<(String, String)> = (0..tasks)
        .map(|i| (format!("{job}_{i}"), "COMPLETED".to_string()))
        .collect();
    assert_eq!(
        states,
        expected,
        "every array task must end COMPLETED{}",
        diagnostics(job, arr)
    );
}

/// The unsharded reference run. SLURM_ARRAY_* are removed so that the run is the whole sweep
/// even when this test itself runs inside an array job.
fn unsharded(d: &Path, out: &str) -> Output {
    let mut c = Command::new(bin());
    c.args([
        "sweep",
        "s.toml",
        "--out",
        out,
        "--no-plots",
        "--threads",
        "1",
    ])
    .current_dir(d);
    for k in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
    ] {
        c.env_remove(k);
    }
    c.output().expect("binary runs")
}

#[test]
#[ignore = "needs a SLURM cluster: .ci/run starts one (scripts/setup-slurm.sh) and runs this with --ignored"]
fn a_sweep_run_as_a_slurm_job_array_equals_the_unsharded_run() {
    if let Err(why) = slurm_cluster() {
        panic!(
            "no working SLURM cluster: {why}\n\
             start one with `bash scripts/setup-slurm.sh` (as root), then run this test with --ignored"
        );
    }
    let t0 = Instant::now();
    let d = scratch("slurm");
    std::fs::write(
        d.join("s.toml"),
        small_sweep("slurmtest", 2, 2, 2, 300.0, 400),
    )
    .unwrap();

    // 1. The batch script.
    let gen = brunel(
        &[
            "slurm",
            "s.toml",
            "--shards",
            &SHARDS.to_string(),
            "--cpus-per-task",
            "1",
            "--time",
            "00:10:00",
            "--out",
            "arr",
        ],
        &d,
    );
    assert!(gen.status.success(), "brunel slurm failed: {}", text(&gen));
    let arr = d.join("arr");
    let script = std::fs::canonicalize(&arr)
        .unwrap()
        .join("slurm/slurmtest.sbatch");
    let body = std::fs::read_to_string(&script)
        .unwrap_or_else(|e| panic!("{} not written: {e}\n{}", script.display(), text(&gen)));
    assert!(
        body.contains(&format!("#SBATCH --array=0-{}", SHARDS - 1)),
        "{body}"
    );

    // 2. Submit from the scratch folder (the job inherits our environment and cwd).
    let sub = run("sbatch", &["--parsable", script.to_str().unwrap()], &d).unwrap();
    assert!(sub.status.success(), "sbatch failed: {}", text(&sub));
    // --parsable prints "jobid" or "jobid;cluster".
    let job = String::from_utf8_lossy(&sub.stdout)
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(
        !job.is_empty() && job.bytes().all(|b| b.is_ascii_digit()),
        "unexpected sbatch output: {}",
        text(&sub)
    );
    println!(
        "submitted array job {job} ({SHARDS} tasks): {}",
        script.display()
    );

    // 3. Poll until the array has left the queue (all its tasks ended), with a deadline.
    let submitted = Instant::now();
    wait_gone(&job, &arr, &d);
    let array_s = submitted.elapsed().as_secs_f64();
    println!("array job {job} left the queue after {array_s:.1} s");

    // 4. Every task ended COMPLETED (records stay for MinJobAge; there is no sacct).
    assert_completed(&job, SHARDS, &arr, &d);

    // 5. One log per task, each saying which shard it ran.
    for i in 0..SHARDS {
        let log = arr.join(format!("slurm/logs/{job}_{i}.out"));
        let s = std::fs::read_to_string(&log).unwrap_or_else(|e| {
            panic!(
                "task log {} missing: {e}{}",
                log.display(),
                diagnostics(&job, &arr)
            )
        });
        assert!(
            s.contains(&format!("[brunel] array task {i} of {SHARDS}"))
                && s.contains(&format!("shard {i}/{SHARDS}")),
            "task log {} does not show shard {i}/{SHARDS}:\n{s}",
            log.display()
        );
    }

    // 6. Merge: complete, one consolidated file.
    let m = brunel(&["merge", "arr", "--no-plots"], &d);
    assert!(m.status.success(), "brunel merge failed: {}", text(&m));
    assert!(arr.join("results.parquet").exists(), "{}", text(&m));

    // 7. The union of the shards equals the unsharded run, row for row.
    let t_ref = Instant::now();
    let r = unsharded(&d, "ref");
    assert!(r.status.success(), "unsharded sweep failed: {}", text(&r));
    let (sharded, reference) = (rows(&arr), rows(&d.join("ref")));
    assert_eq!(reference.len(), 8, "2 g × 2 eta × 2 replicates");
    assert_eq!(
        sharded, reference,
        "the union of {SHARDS} SLURM shards must equal the unsharded run row for row"
    );
    println!(
        "slurm test: array {array_s:.1} s, unsharded reference {:.1} s, total {:.1} s",
        t_ref.elapsed().as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
#[ignore = "needs a SLURM cluster: .ci/run starts one (scripts/setup-slurm.sh) and runs this with --ignored"]
fn an_adaptive_sweep_runs_as_one_chained_array_per_level_and_equals_the_unsharded_run() {
    if let Err(why) = slurm_cluster() {
        panic!("no working SLURM cluster: {why}");
    }
    let d = scratch("slurm-adaptive");
    // Since issue 17 this tiny network (C_E = 80) is AR almost everywhere at the default
    // regular_max_cv = 0.2, so nothing would refine; 0.15 gives it boundaries (36 runs).
    let def = "name = \"adslurm\"\nmodel = \"brunel\"\nseed = 3\nduration_ms = 200\nwarmup_ms = 50\n[fixed]\nN_E = 400\nN_I = 100\nepsilon = 0.2\nv_sample_n = 40\n[[axis]]\nparam = \"g\"\nvalues = [2, 5, 8]\n[[axis]]\nparam = \"eta\"\nvalues = [1, 3]\n[classifier]\nregular_max_cv = 0.15\n[refine]\nlevels = 2\n";
    std::fs::write(d.join("s.toml"), def).unwrap();
    let gen = brunel(
        &[
            "slurm", "s.toml", "--shards", "2", "--time", "00:10:00", "--out", "arr",
        ],
        &d,
    );
    assert!(gen.status.success(), "brunel slurm failed: {}", text(&gen));
    let arr = d.join("arr");
    let submit = std::fs::canonicalize(&arr)
        .unwrap()
        .join("slurm/adslurm.submit.sh");
    let said = String::from_utf8_lossy(&gen.stdout);
    assert!(
        said.contains("bash ") && said.contains("adslurm.submit.sh"),
        "{said}"
    );

    // The submit script chains one array per level (0, 1, 2) with afterok.
    let sub = run("bash", &[submit.to_str().unwrap()], &d).unwrap();
    assert!(sub.status.success(), "submit script failed: {}", text(&sub));
    let jobs: Vec<String> = String::from_utf8_lossy(&sub.stdout)
        .lines()
        .filter_map(|l| {
            l.strip_prefix("level ")?
                .split_once(": job array ")
                .map(|(_, j)| j.trim().to_string())
        })
        .collect();
    assert_eq!(jobs.len(), 3, "one array per level: {}", text(&sub));
    for job in &jobs {
        wait_gone(job, &arr, &d);
    }
    for job in &jobs {
        assert_completed(job, 2, &arr, &d);
    }
    let m = brunel(&["merge", "arr", "--no-plots"], &d);
    assert!(m.status.success(), "brunel merge failed: {}", text(&m));
    let r = unsharded(&d, "ref");
    assert!(r.status.success(), "unsharded sweep failed: {}", text(&r));
    let (sharded, reference) = (rows(&arr), rows(&d.join("ref")));
    assert!(
        reference.len() > 6,
        "the map refines: {} runs",
        reference.len()
    );
    assert_eq!(
        sharded, reference,
        "levels as chained SLURM arrays = the unsharded run"
    );
    let _ = std::fs::remove_dir_all(&d);
}
