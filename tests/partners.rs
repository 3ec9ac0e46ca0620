//! Partner runs (the size test of synchrony) under faults: a partner is part of its point's
//! run, so a point and its partner are committed, sharded, quarantined and redone together.
//! The sweeps here are at N_E = 400, ε = 0.2 (C_E = 80), where every point has a partner at
//! N_E = 100 (ε 0.8) under the default `synchrony = "auto"`.

mod common;
use brunel::analysis::synchrony::partner_seed;
use brunel::sweep::row::{Row, Value};
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

fn num(r: &Row, col: &str) -> f64 {
    match r.get(col) {
        Some(Value::F64(x)) => *x,
        Some(Value::U64(x)) => *x as f64,
        Some(Value::U32(x)) => *x as f64,
        other => panic!("{col}: {other:?}"),
    }
}

fn whole(r: &Row, col: &str) -> u64 {
    match r.get(col) {
        Some(Value::U64(x)) => *x,
        other => panic!("{col}: {other:?}"),
    }
}

fn text(r: &Row, col: &str) -> String {
    match r.get(col) {
        Some(Value::Str(s)) => s.clone(),
        other => panic!("{col}: {other:?}"),
    }
}

/// A 2 × 3 sweep with its undisturbed rows in `ref/`.
fn reference(name: &str) -> (std::path::PathBuf, Vec<Row>) {
    let d = scratch(name);
    std::fs::write(d.join("s.toml"), small_sweep(name, 2, 3, 1, 300.0, 400)).unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", "ref", "--no-plots"],
        &d,
        &[],
        120,
    );
    let rows = rows(&d.join("ref"));
    // Every point had its partner: N/4 with its own seed derived from the run's.
    assert_eq!(rows.len(), 6);
    for r in &rows {
        assert_eq!(num(r, "partner_N_E"), 100.0, "{r:?}");
        assert_eq!(whole(r, "partner_seed"), partner_seed(whole(r, "seed")));
        assert_eq!(text(r, "synchrony_test"), "size");
    }
    (d, rows)
}

fn assert_same(got: &[Row], want: &[Row], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    for (g, w) in got.iter().zip(want) {
        assert!(g.same_bits(w), "{what}: {g:?}\n differs from\n {w:?}");
    }
}

#[test]
fn a_failing_partner_marks_its_point_failed_and_says_why() {
    let (d, want) = reference("partner-fail");
    let o = run_env(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--no-plots",
            "--threads",
            "1",
        ],
        &d,
        &[("BRUNEL_FAULT_PARTNERS", "2")],
        120,
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("1 run(s) failed"), "{err}");
    let got = rows(&d.join("a"));
    let failed: Vec<&Row> = got
        .iter()
        .filter(|r| text(r, "regime") == "failed")
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "exactly the point of the failing partner fails"
    );
    let why = text(failed[0], "error");
    assert!(
        why.contains("the partner run at N_E = 100")
            && why.contains("size test of synchrony")
            && why.contains("injected failure"),
        "{why}"
    );
    // The other points are the undisturbed rows, bit for bit.
    for (g, w) in got.iter().zip(&want) {
        if text(g, "regime") != "failed" {
            assert!(g.same_bits(w), "{g:?}");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_kill_while_partners_run_loses_nothing_committed_and_resumes_to_the_same_rows() {
    let (d, want) = reference("partner-kill");
    // With one thread, partners from the 4th on wait: 3 points are finished and committed
    // (flushed every 10 ms), and the 4th point's own run is done but its partner is not.
    let mark = d.join("held");
    let mut child = spawn(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--no-plots",
            "--threads",
            "1",
            "--flush-every-s",
            "0.01",
        ],
        &d,
        &[
            ("BRUNEL_FAULT_PARTNERS", "~3"),
            ("BRUNEL_FAULT_PARTNER_MARK", mark.to_str().unwrap()),
        ],
    );
    let start = Instant::now();
    while !mark.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no partner was held"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let o = run_ok(
        &["sweep", "s.toml", "--out", "a", "--no-plots"],
        &d,
        &[],
        120,
    );
    let err = stderr(&o);
    assert!(
        err.contains("3 runs done now, 3 were already complete"),
        "the 3 finished points were kept, the held one redone whole: {err}"
    );
    assert_same(&rows(&d.join("a")), &want, "after kill -9 and resume");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn shards_keep_each_point_with_its_partner_and_merge_to_the_same_rows() {
    let (d, want) = reference("partner-shards");
    for shard in ["0/2", "1/2"] {
        run_ok(
            &[
                "sweep",
                "s.toml",
                "--out",
                "a",
                "--no-plots",
                "--shard",
                shard,
            ],
            &d,
            &[],
            120,
        );
    }
    run_ok(&["merge", "a", "--no-plots"], &d, &[], 60);
    assert_same(&rows(&d.join("a")), &want, "two shards merged");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_damaged_part_with_partner_columns_is_quarantined_and_redone_the_same() {
    let (d, want) = reference("partner-damage");
    let data = d.join("ref").join("data");
    let part = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let mut bytes = std::fs::read(&part).unwrap();
    let k = bytes.len() / 2;
    bytes[k] ^= 0x55;
    std::fs::write(&part, &bytes).unwrap();
    let o = run_ok(
        &["sweep", "s.toml", "--out", "ref", "--no-plots"],
        &d,
        &[],
        120,
    );
    assert!(stderr(&o).contains("quarantine"), "{}", stderr(&o));
    assert_same(&rows(&d.join("ref")), &want, "after quarantine and redo");
    assert!(Path::new(&d.join("ref").join("quarantine")).is_dir());
    std::fs::remove_dir_all(&d).unwrap();
}
