//! `brunel theory --boundaries` as a user meets it: the two files, the summary, and clear
//! refusals of bad flags that write nothing.

mod common;
use common::*;

#[test]
fn boundaries_write_a_table_and_a_figure() {
    let d = scratch("lines");
    // A part of Fig. 2 that the fast Hopf line crosses (from eta = 4 at g ≈ 5.3 down).
    let out = brunel(
        &[
            "theory",
            "--boundaries",
            "--g",
            "4.5:7",
            "--eta",
            "2.5:4",
            "--out",
            "fig",
        ],
        &d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("AI|SI-fast") && text.contains("D = 1.5 ms"),
        "{text}"
    );
    for f in ["boundaries.parquet", "phase_diagram.png"] {
        let p = d.join("fig").join(f);
        assert!(
            p.metadata().map(|m| m.len() > 100).unwrap_or(false),
            "{f} missing or empty"
        );
    }
    let table = d.join("fig").join("boundaries.parquet");
    let df = brunel::store::read_parquet(&table).unwrap();
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    for c in [
        "line",
        "kind",
        "segment",
        "point",
        "g",
        "eta",
        "frequency_hz",
        "nu0_hz",
    ] {
        assert!(names.contains(&c), "{c} not in {names:?}");
    }
    assert!(df.height() > 10, "{df}");
    let g = df.column("g").unwrap().f64().unwrap();
    let eta = df.column("eta").unwrap().f64().unwrap();
    for (x, y) in g.into_no_null_iter().zip(eta.into_no_null_iter()) {
        assert!((4.5 - 1e-9..=7.0 + 1e-9).contains(&x) && (2.5 - 1e-9..=4.0 + 1e-9).contains(&y));
    }
    let md = brunel::store::read_metadata(&table).unwrap();
    let prov = md
        .iter()
        .find(|(k, _)| k == "brunel_boundaries")
        .map(|(_, v)| v.clone())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&prov).unwrap();
    assert_eq!(v["parameters"]["D_ms"], 1.5);
    assert_eq!(v["region"]["g_min"], 4.5);
    assert!(v["version"].is_string());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_boundary_flags_are_refused_and_write_nothing() {
    let d = scratch("lines-bad");
    for (args, needle) in [
        (vec!["--g", "8:1"], "--g"),
        (vec!["--g", "nan:1"], "--g"),
        (vec!["--g", "-1:3"], "--g"),
        (vec!["--g", ""], "--g"),
        (vec!["--g", "2"], "--g"),
        (vec!["--eta", "1:1"], "--eta"),
        (vec!["--eta", "0:inf"], "--eta"),
        (vec!["--set", "D_ms=-1"], "D_ms"),
    ] {
        let mut all = vec!["theory", "--boundaries", "--out", "x"];
        all.extend(args.iter().copied());
        let out = brunel(&all, &d);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!d.join("x").join("boundaries.parquet").exists(), "{args:?}");
    }
    let out = brunel(&["theory", "--boundaries"], &d);
    assert!(
        !out.status.success() && stderr(&out).contains("--out"),
        "{}",
        stderr(&out)
    );
    let out = brunel(&["theory", "--g", "0:8"], &d);
    assert!(
        !out.status.success() && stderr(&out).contains("--boundaries"),
        "{}",
        stderr(&out)
    );
    let out = brunel(&["theory", "--help"], &d);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--boundaries") && help.contains("phase_diagram.png"),
        "{help}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}
