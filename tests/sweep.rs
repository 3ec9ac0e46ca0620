//! `brunel sweep` end to end: determinism across thread counts, the Python/notebook view of
//! the results, and clear errors for bad definitions.

mod common;
use common::*;
use std::process::Command;

#[test]
fn thread_count_does_not_change_any_measure_and_python_reads_the_results() {
    let d = scratch("threads");
    std::fs::write(d.join("s.toml"), small_sweep("small", 2, 2, 2, 300.0, 400)).unwrap();
    for t in ["1", "2"] {
        let out = brunel(
            &["sweep", "s.toml", "--out", &format!("t{t}"), "--threads", t],
            &d,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("eta \\ g"),
            "regime table expected: {stdout}"
        );
    }
    let (a, b) = (rows(&d.join("t1")), rows(&d.join("t2")));
    assert_eq!(a.len(), 8);
    assert_eq!(a, b, "--threads 1 and --threads 2 must give identical rows");
    // Seeds differ between replicates and points.
    let seeds: std::collections::BTreeSet<_> =
        a.iter().map(|r| format!("{:?}", r.get("seed"))).collect();
    assert_eq!(seeds.len(), 8);
    // Figures and kept spikes are where the README says, outside data/.
    for f in [
        "plots/regime_map.png",
        "plots/heatmap_rate_hz.png",
        "spikes/point-00000-rep-000.parquet",
        "plots/fig8_point-00000-rep-000.png",
    ] {
        assert!(d.join("t1").join(f).exists(), "{f} missing");
    }
    assert!(std::fs::read_dir(d.join("t1/data")).unwrap().all(|e| e
        .unwrap()
        .path()
        .extension()
        .unwrap()
        == "parquet"));
    // `brunel plot` redraws from the Parquet alone.
    std::fs::remove_dir_all(d.join("t1/plots")).unwrap();
    let out = brunel(&["plot", "t1"], &d);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(d.join("t1/plots/regime_map.png").exists());

    // The notebook's view: polars, pyarrow, pandas and DuckDB read the folder as one dataset.
    let py = check_venv_python();
    let check = Command::new(&py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/check_results.py"
        ))
        .arg(d.join("t2"))
        .arg("8")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "python check failed:\n{}\n{}",
        String::from_utf8_lossy(&check.stdout),
        stderr(&check)
    );
    eprintln!("{}", String::from_utf8_lossy(&check.stdout));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_definitions_give_one_clear_error_and_create_nothing() {
    let d = scratch("baddef");
    let good = small_sweep("bad", 1, 1, 1, 100.0, 400);
    let cases: Vec<(String, &str)> = vec![
        (good.replace("seed = 7", "seed = 7\n[[["), "TOML"),
        (good.replace("N_E = 400", "N_X = 400"), "fixed.N_X"),
        (
            good.replace("model = \"brunel\"", "model = \"brunelx\""),
            "model",
        ),
        (good.replace("values = [4]", "values = []"), "no values"),
        (
            good.replace("duration_ms = 100", "duration_ms = -100"),
            "duration_ms",
        ),
    ];
    for (text, needle) in cases {
        std::fs::write(d.join("bad.toml"), &text).unwrap();
        let out = brunel(&["sweep", "bad.toml", "--out", "out"], &d);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{needle}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line expected: {err}");
        assert!(
            err.contains("bad.toml:") && err.contains(needle),
            "`{needle}` not in {err}"
        );
        assert!(!d.join("out").exists(), "{needle}: output created");
        assert!(!d.join("results").exists());
    }
    let out = brunel(&["sweep", "missing.toml"], &d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_embedded_default_is_the_shipped_quick_map() {
    // What the binary runs without a file is what sweeps/ ships: start it, read the definition
    // it claims its folder with, and stop it.
    let d = scratch("default");
    let mut child = std::process::Command::new(bin())
        .args([
            "sweep",
            "--out",
            "q",
            "--threads",
            "1",
            "--no-plots",
            "--quiet",
        ])
        .current_dir(&d)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !d.join("q/definition.toml").exists() {
        assert!(t0.elapsed().as_secs() < 60, "no definition.toml written");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sweeps/brunel-phase-quick.toml"
    ))
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("q/definition.toml")).unwrap(),
        shipped
    );
    let def = brunel::sweep::SweepDef::parse(&shipped, "shipped").unwrap();
    let p = def.params_at(0);
    // The README's claims: a 10 × 9 map at N = 3125 with C_E = 1000 and J = 0.1 mV kept.
    assert_eq!(
        (def.axes[0].values.len(), def.axes[1].values.len()),
        (10, 9)
    );
    assert_eq!(p.get("N_E") + p.get("N_I"), 3125.0);
    assert_eq!(brunel::model::brunel::in_degrees(&p), (1000, 250));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn analysis_and_classifier_overrides_change_the_rows() {
    let d = scratch("overrides");
    let base = small_sweep("o", 1, 2, 1, 400.0, 400);
    std::fs::write(d.join("a.toml"), &base).unwrap();
    std::fs::write(
        d.join("b.toml"),
        format!("{base}[analysis]\nfano_bin_ms = 10\n[classifier]\nquiescent_max_hz = 1e6\n"),
    )
    .unwrap();
    for f in ["a", "b"] {
        let out = brunel(
            &["sweep", &format!("{f}.toml"), "--out", f, "--no-plots"],
            &d,
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let (a, b) = (rows(&d.join("a")), rows(&d.join("b")));
    let get = |r: &brunel::sweep::row::Row, c: &str| r.get(c).cloned().unwrap();
    for (ra, rb) in a.iter().zip(&b) {
        // Same seed, same spikes: the 10 ms Fano factor of b is the slow one of a.
        assert_eq!(get(ra, "rate_hz"), get(rb, "rate_hz"));
        assert_eq!(get(rb, "fano_factor"), get(ra, "fano_factor_slow"));
        assert_ne!(get(rb, "fano_factor"), get(ra, "fano_factor"));
        // Every run is quiescent below 1 MHz.
        assert_eq!(
            get(rb, "regime"),
            brunel::sweep::row::Value::Str("quiescent".into())
        );
    }
    assert!(a
        .iter()
        .any(|r| get(r, "regime") != brunel::sweep::row::Value::Str("quiescent".into())));
    std::fs::remove_dir_all(&d).unwrap();
}
