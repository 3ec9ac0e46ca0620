//! Overnight and cluster safety: kills, signals, damaged files, locks, shards and merging.
//! Each test runs the real binary on small sweeps in a scratch folder.

mod common;
use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A sweep slow enough to interrupt: 24 runs of a 1250-neuron network for 1.5 s.
fn slow_sweep(name: &str) -> String {
    small_sweep(name, 3, 4, 2, 1500.0, 1000)
}

/// Starts the binary with every run from the 6th on held until the sweep is stopped
/// (`BRUNEL_FAULT_RUNS`), so a test that kills or signals it knows it is still running.
fn spawn(args: &[&str], cwd: &Path) -> Child {
    Command::new(bin())
        .args(args)
        .env("BRUNEL_FAULT_RUNS", "~6")
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn parts(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("data"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "parquet")
            })
            .count()
        })
        .unwrap_or(0)
}

fn wait_until(what: &str, deadline_s: u64, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(
            t0.elapsed() < Duration::from_secs(deadline_s),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn part_keys(dir: &Path) -> Vec<(u32, u32)> {
    let mut keys = vec![];
    for e in std::fs::read_dir(dir.join("data")).unwrap() {
        let (rows, _) = brunel::sweep::parts::read_part(&e.unwrap().path()).unwrap();
        keys.extend(rows.iter().map(|r| r.key().expect("read_part checks keys")));
    }
    keys.sort();
    keys
}

#[test]
fn kill_9_mid_sweep_then_resume_gives_the_uninterrupted_result() {
    let d = scratch("kill9");
    std::fs::write(d.join("s.toml"), slow_sweep("kill")).unwrap();
    let mut child = spawn(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--threads",
            "1",
            "--flush-every-s",
            "0.05",
            "--quiet",
            "--no-plots",
        ],
        &d,
    );
    wait_until("two committed part files", 120, || parts(&d.join("a")) >= 2);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = part_keys(&d.join("a"));
    assert!(
        !before.is_empty() && before.len() < 24,
        "{} runs committed before the kill",
        before.len()
    );

    let out = brunel(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--threads",
            "2",
            "--no-plots",
        ],
        &d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{} were already complete", before.len())),
        "{}",
        stderr(&out)
    );
    let keys = part_keys(&d.join("a"));
    let mut dedup = keys.clone();
    dedup.dedup();
    assert_eq!(keys.len(), 24, "every run exactly once");
    assert_eq!(dedup.len(), 24, "no duplicates");
    assert!(
        std::fs::read_dir(d.join("a/tmp")).unwrap().next().is_none(),
        "stale temporary files left"
    );

    let out = brunel(
        &["sweep", "s.toml", "--out", "b", "--no-plots", "--quiet"],
        &d,
    );
    assert!(out.status.success());
    assert_eq!(
        rows(&d.join("a")),
        rows(&d.join("b")),
        "resumed values differ from an uninterrupted run"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn damaged_part_files_are_detected_reported_and_their_runs_redone() {
    let d = scratch("damaged");
    std::fs::write(
        d.join("s.toml"),
        small_sweep("damaged", 2, 2, 1, 200.0, 400),
    )
    .unwrap();
    assert!(brunel(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--flush-every-s",
            "0.0001",
            "--threads",
            "1",
            "--no-plots"
        ],
        &d
    )
    .status
    .success());
    let reference = rows(&d.join("a"));
    let mut files: Vec<_> = std::fs::read_dir(d.join("a/data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "expected several part files, got {}",
        files.len()
    );
    let bytes = std::fs::read(&files[0]).unwrap();
    std::fs::write(&files[0], &bytes[..bytes.len() / 2]).unwrap(); // truncated
    std::fs::write(d.join("a/data/part-garbage.parquet"), b"not parquet at all").unwrap();

    let out = brunel(&["sweep", "s.toml", "--out", "a", "--no-plots"], &d);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("damaged part file") && err.contains("quarantine"),
        "{err}"
    );
    assert!(d.join("a/quarantine/part-garbage.parquet.1").exists());
    assert_eq!(rows(&d.join("a")), reference);
    assert_eq!(part_keys(&d.join("a")).len(), 4);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn sigterm_stops_cleanly_and_the_sweep_resumes() {
    let d = scratch("sigterm");
    std::fs::write(d.join("s.toml"), slow_sweep("term")).unwrap();
    let child = spawn(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--threads",
            "1",
            "--flush-every-s",
            "0.05",
            "--no-plots",
        ],
        &d,
    );
    wait_until("a committed part file", 120, || parts(&d.join("a")) >= 1);
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("stopped by a signal")
            && err.contains("resume with: brunel sweep s.toml --out a"),
        "{err}"
    );
    let done = part_keys(&d.join("a")).len();
    assert!(done > 0 && done < 24, "{done}");
    assert!(
        !d.join("a/locks/shard-0-of-1.lock").exists(),
        "lock not released"
    );

    let out = brunel(&["sweep", "s.toml", "--out", "a", "--no-plots"], &d);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(part_keys(&d.join("a")).len(), 24);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn unwritable_output_folder_is_a_clear_error_before_any_simulation() {
    let d = scratch("unwritable");
    std::fs::write(d.join("s.toml"), slow_sweep("unwritable")).unwrap();
    std::fs::write(d.join("a-file"), b"x").unwrap();
    let out = brunel(&["sweep", "s.toml", "--out", "a-file/out"], &d);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("a-file/out"), "{err}");
    // Refused before the sweep announced itself: nothing ran.
    assert_eq!(err.lines().count(), 1, "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_different_definition_is_refused_and_nothing_is_touched() {
    let d = scratch("hash");
    let text = small_sweep("hash", 1, 2, 1, 200.0, 400);
    std::fs::write(d.join("s.toml"), &text).unwrap();
    assert!(brunel(&["sweep", "s.toml", "--out", "a", "--no-plots"], &d)
        .status
        .success());
    let before = part_keys(&d.join("a"));
    std::fs::write(d.join("s.toml"), text.replace("seed = 7", "seed = 8")).unwrap();
    let out = brunel(&["sweep", "s.toml", "--out", "a", "--no-plots"], &d);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("different sweep definition") && err.contains("--out"),
        "{err}"
    );
    assert_eq!(part_keys(&d.join("a")), before);
    assert_eq!(
        std::fs::read_to_string(d.join("a/definition.toml")).unwrap(),
        text
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_second_process_on_the_same_shard_is_refused() {
    let d = scratch("lock");
    std::fs::write(d.join("s.toml"), slow_sweep("lock")).unwrap();
    let mut first = spawn(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--threads",
            "1",
            "--quiet",
            "--no-plots",
        ],
        &d,
    );
    wait_until("the first process's lock", 60, || {
        d.join("a/locks/shard-0-of-1.lock").exists()
    });
    let out = brunel(&["sweep", "s.toml", "--out", "a", "--no-plots"], &d);
    let err = stderr(&out);
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert!(err.contains(host.trim()), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn two_shards_at_once_into_one_folder_complete_and_merge_to_the_unsharded_run() {
    let d = scratch("shards");
    std::fs::write(d.join("s.toml"), small_sweep("shards", 2, 3, 2, 400.0, 600)).unwrap();
    // One shard alone: merge lists what is missing and writes nothing.
    assert!(brunel(
        &[
            "sweep",
            "s.toml",
            "--out",
            "only",
            "--shard",
            "0/2",
            "--no-plots"
        ],
        &d
    )
    .status
    .success());
    let out = brunel(&["merge", "only"], &d);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("6 of 12 runs are missing"),
        "{}",
        stderr(&out)
    );
    assert!(!d.join("only/results.parquet").exists());

    let a = spawn(
        &[
            "sweep",
            "s.toml",
            "--out",
            "m",
            "--shard",
            "0/2",
            "--threads",
            "1",
            "--quiet",
            "--no-plots",
        ],
        &d,
    );
    let b = spawn(
        &[
            "sweep",
            "s.toml",
            "--out",
            "m",
            "--shard",
            "1/2",
            "--threads",
            "1",
            "--quiet",
            "--no-plots",
        ],
        &d,
    );
    for c in [a, b] {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let out = brunel(&["merge", "m", "--no-plots"], &d);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(d.join("m/results.parquet").exists());
    assert!(brunel(
        &["sweep", "s.toml", "--out", "whole", "--no-plots", "--quiet"],
        &d
    )
    .status
    .success());
    assert_eq!(rows(&d.join("m")), rows(&d.join("whole")));
    let merged = brunel::sweep::parts::read_part(&d.join("m/results.parquet"))
        .unwrap()
        .0;
    assert_eq!(
        merged
            .into_iter()
            .map(|r| r.without_timings())
            .collect::<Vec<_>>(),
        rows(&d.join("whole"))
    );
    std::fs::remove_dir_all(&d).unwrap();
}
