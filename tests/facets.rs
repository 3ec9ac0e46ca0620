//! Sweeps over more than two axes: the third and later `[[axis]]` tables are facets (one
//! g × eta map per value), possibly grouped. Rows must not depend on threads, shards, kills
//! or on the other facets' values; figures get one panel per facet; a facet whose runs all
//! fail costs the others nothing.

mod common;
use brunel::sweep::row::{Row, Value};
use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// g × eta × D_ms, 2 replicates: 2 × 2 × 2 × 2 = 16 runs of a 500-neuron network.
fn three_axes(name: &str) -> String {
    format!(
        "name = \"{name}\"\nmodel = \"brunel\"\nseed = 21\nreplicates = 2\nduration_ms = 250\nwarmup_ms = 50\n\n[fixed]\nN_E = 400\nN_I = 100\nepsilon = 0.2\nv_sample_n = 40\n\n[[axis]]\nparam = \"g\"\nvalues = [4, 6]\n\n[[axis]]\nparam = \"eta\"\nvalues = [1, 2]\n\n[[axis]]\nparam = \"D_ms\"\nvalues = [1.5, 3]\n"
    )
}

/// [`three_axes`] × a grouped network size: 32 runs.
fn four_axes(name: &str) -> String {
    three_axes(name)
        + "\n[[axis]]\nparams = [\"N_E\", \"N_I\"]\nvalues = [[400, 100], [600, 150]]\n"
}

fn write(d: &Path, file: &str, text: &str) {
    std::fs::write(d.join(file), text).unwrap();
}

fn sweep_ok(d: &Path, file: &str, out: &str, extra: &[&str]) -> String {
    let mut args = vec!["sweep", file, "--out", out];
    args.extend_from_slice(extra);
    let o = brunel(&args, d);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn num(r: &Row, col: &str) -> f64 {
    match r.get(col) {
        Some(Value::F64(x)) => *x,
        Some(Value::U32(x)) => *x as f64,
        Some(Value::U64(x)) => *x as f64,
        other => panic!("{col}: {other:?}"),
    }
}

fn committed(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir.join("data")) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| brunel::sweep::parts::read_part(&e.path()).ok())
        .map(|(rows, _)| rows.len())
        .sum()
}

/// Starts a sweep whose runs from the `hold_from`-th on wait for a stop.
fn spawn_held(d: &Path, file: &str, out: &str, hold_from: usize) -> Child {
    Command::new(bin())
        .args([
            "sweep",
            file,
            "--out",
            out,
            "--threads",
            "1",
            "--flush-every-s",
            "0.05",
            "--quiet",
            "--no-plots",
        ])
        .env("BRUNEL_FAULT_RUNS", format!("~{hold_from}"))
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < Duration::from_secs(120), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    let be = |o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    (be(16), be(20))
}

#[test]
fn faceted_rows_are_identical_for_threads_shards_and_kills() {
    let d = scratch("facets-same");
    write(&d, "s.toml", &four_axes("four"));
    let text = sweep_ok(&d, "s.toml", "one", &["--threads", "1", "--no-plots"]);
    let reference = rows(&d.join("one"));
    assert_eq!(reference.len(), 32);
    // Rows carry every swept value; facets are numbered with the last axis fastest.
    let r = reference.iter().find(|r| num(r, "point") == 5.0).unwrap();
    let got = ["g", "eta", "D_ms", "N_E", "N_I"].map(|c| num(r, c));
    assert_eq!(got, [4.0, 2.0, 1.5, 600.0, 150.0]);
    assert!(
        text.contains("── facet 4: D_ms=3, N_E=600, N_I=150 ──"),
        "{text}"
    );
    assert!(text.contains("all 4 facets:"), "{text}");

    sweep_ok(&d, "s.toml", "two", &["--threads", "2", "--no-plots"]);
    assert_eq!(rows(&d.join("two")), reference, "1 vs 2 threads");

    for shard in ["0/2", "1/2"] {
        sweep_ok(&d, "s.toml", "sh", &["--shard", shard, "--no-plots"]);
    }
    let m = brunel(&["merge", "sh", "--no-plots"], &d);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(rows(&d.join("sh")), reference, "2 shards merged");

    let mut child = spawn_held(&d, "s.toml", "killed", 10);
    wait_for("10 runs committed", || committed(&d.join("killed")) >= 10);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(committed(&d.join("killed")), 10);
    sweep_ok(&d, "s.toml", "killed", &["--no-plots", "--quiet"]);
    assert_eq!(rows(&d.join("killed")), reference, "killed, then resumed");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn adding_a_facet_value_changes_no_other_facets_runs() {
    let d = scratch("facets-add");
    write(&d, "a.toml", &three_axes("a"));
    write(
        &d,
        "b.toml",
        &three_axes("b").replace("values = [1.5, 3]", "values = [1.5, 2, 3]"),
    );
    sweep_ok(&d, "a.toml", "a", &["--no-plots", "--quiet"]);
    sweep_ok(&d, "b.toml", "b", &["--no-plots", "--quiet"]);
    let (a, b) = (rows(&d.join("a")), rows(&d.join("b")));
    assert_eq!((a.len(), b.len()), (16, 24));
    let coords = |r: &Row| ["g", "eta", "D_ms", "replicate"].map(|c| num(r, c).to_bits());
    for ra in &a {
        let rb = b.iter().find(|rb| coords(rb) == coords(ra)).unwrap();
        for (name, v) in &ra.cells {
            if name != "point" {
                assert!(
                    rb.get(name).is_some_and(|w| w.same_bits(v)),
                    "{name} differs at {:?}",
                    coords(ra)
                );
            }
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn each_facet_refines_its_own_map_and_resumes_and_shards_to_the_same_rows() {
    let d = scratch("facets-refine");
    // Since issue 17 this tiny network (C_E = 80, CV 0.09–0.21) is AR almost everywhere at
    // the default regularity threshold 0.2; at 0.15 its labels differ, so cells refine.
    let def = three_axes("ad")
        .replace("replicates = 2", "replicates = 1")
        .replace("values = [4, 6]", "values = [3, 5, 7]")
        + "\n[classifier]\nregular_max_cv = 0.15\n\n[refine]\nlevels = 1\n";
    write(&d, "s.toml", &def);
    let text = sweep_ok(&d, "s.toml", "one", &["--threads", "1", "--no-plots"]);
    let reference = rows(&d.join("one"));
    // The base grids (2 facets × 3 × 2) and a refined level in at least one facet.
    let base = reference.iter().filter(|r| num(r, "level") == 0.0).count();
    assert_eq!(base, 12, "{text}");
    assert!(reference.len() > base, "nothing refined: {text}");
    for facet in [1.5, 3.0] {
        let n = reference.iter().filter(|r| num(r, "D_ms") == facet).count();
        assert!(n >= 6, "facet D_ms={facet}: {n} runs");
    }
    assert!(text.contains("── facet 2: D_ms=3 ──"), "{text}");

    sweep_ok(&d, "s.toml", "two", &["--threads", "2", "--no-plots"]);
    assert_eq!(rows(&d.join("two")), reference, "1 vs 2 threads");

    // Killed in level 1 (after the 12 base runs and one more), then resumed.
    let mut child = spawn_held(&d, "s.toml", "killed", 13);
    wait_for("13 runs committed", || committed(&d.join("killed")) >= 13);
    child.kill().unwrap();
    child.wait().unwrap();
    sweep_ok(&d, "s.toml", "killed", &["--no-plots", "--quiet"]);
    assert_eq!(rows(&d.join("killed")), reference, "killed, then resumed");

    // Two shards level by level, then merge.
    for level in ["0", "1"] {
        for shard in ["0/2", "1/2"] {
            let o = brunel(
                &[
                    "sweep",
                    "s.toml",
                    "--out",
                    "sh",
                    "--shard",
                    shard,
                    "--level",
                    level,
                    "--no-plots",
                    "--quiet",
                ],
                &d,
            );
            assert!(
                o.status.code().is_some_and(|c| c == 0 || c == 3),
                "{}",
                stderr(&o)
            );
        }
    }
    let m = brunel(&["merge", "sh", "--no-plots"], &d);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(rows(&d.join("sh")), reference, "shards + merge");

    // `compare` against the dense faceted grid at the finest spacing counts every facet.
    let dense = def
        .replace(
            "values = [3, 5, 7]",
            "linspace = { start = 3, stop = 7, num = 5 }",
        )
        .replace(
            "values = [1, 2]",
            "linspace = { start = 1, stop = 2, num = 3 }",
        )
        .replace("\n[refine]\nlevels = 1\n", "");
    write(&d, "dense.toml", &dense);
    sweep_ok(&d, "dense.toml", "dense", &["--no-plots", "--quiet"]);
    let c = brunel(&["compare", "one", "dense"], &d);
    let out = String::from_utf8_lossy(&c.stdout);
    assert!(c.status.success(), "{}", stderr(&c));
    assert!(out.contains("of 30 dense points agree"), "{out}");
    assert!(
        out.contains(&format!("adaptive {} runs", reference.len())),
        "{out}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn figures_have_one_panel_per_facet_and_lines_carry_facet_values() {
    let d = scratch("facets-figures");
    // Wide enough that the theory's lines cross every facet's map.
    let def = four_axes("fig")
        .replace("values = [4, 6]", "values = [3, 6]")
        .replace("values = [1, 2]", "values = [0.7, 2]");
    write(&d, "s.toml", &def);
    sweep_ok(&d, "s.toml", "o", &["--quiet"]);
    let plots = d.join("o/plots");
    // Two facet axes: one 2 × 2 grid of panels per figure, not one file per facet.
    let (w, h) = png_size(&plots.join("regime_map.png"));
    assert!(w >= 2 * 470 && h >= 2 * 420, "{w} × {h}");
    let (w, h) = png_size(&plots.join("heatmap_rate_hz.png"));
    assert_eq!((w, h), (2 * 470 + 160, 2 * 420 + 40));
    let pngs = std::fs::read_dir(&plots).unwrap().count();
    assert_eq!(pngs, 7, "6 heatmaps and the regime map");
    // The theory's lines of every facet, each traced with its own D_ms and N_E.
    use polars::prelude::*;
    let f = std::fs::File::open(d.join("o/theory_lines.parquet")).unwrap();
    let df = ParquetReader::new(f).finish().unwrap();
    let facets = df.column("facet").unwrap().u32().unwrap();
    let n_e = df.column("N_E").unwrap().f64().unwrap();
    let mut seen: Vec<(u32, u64)> = (0..df.height())
        .map(|i| (facets.get(i).unwrap(), n_e.get(i).unwrap() as u64))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, [(0, 400), (1, 600), (2, 400), (3, 600)]);
    // `brunel plot` redraws them all from the rows.
    std::fs::remove_dir_all(&plots).unwrap();
    let o = brunel(&["plot", "o"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(&plots).unwrap().count(), 7);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_facet_whose_every_run_fails_leaves_the_others_drawn() {
    let d = scratch("facets-fail");
    write(&d, "s.toml", &three_axes("fail"));
    // Facet 2 (D_ms = 3) holds points 4..8; every one of its runs fails.
    let o = Command::new(bin())
        .args(["sweep", "s.toml", "--out", "o"])
        .env("BRUNEL_FAULT_RUNS", "4,5,6,7")
        .current_dir(&d)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.code().is_some(), "{}", stderr(&o));
    let rs = rows(&d.join("o"));
    assert_eq!(rs.len(), 16, "every run has a row");
    let failed = |r: &Row| matches!(r.get("regime"), Some(Value::Str(s)) if s == "failed");
    for r in &rs {
        assert_eq!(failed(r), num(r, "D_ms") == 3.0, "{:?}", r.get("regime"));
    }
    assert!(d.join("o/plots/regime_map.png").exists(), "{text}");
    assert!(d.join("o/plots/heatmap_rate_hz.png").exists(), "{text}");
    let block = text.split("── facet 1: D_ms=1.5 ──").nth(1).unwrap();
    let table = block.split("── facet 2").next().unwrap();
    let cells: Vec<&str> = table.lines().filter(|l| l.contains(" | ")).collect();
    assert_eq!(cells.len(), 3, "{table}");
    assert!(
        !cells.concat().contains('×'),
        "facet 1 has no failed cell: {table}"
    );
    let table = text.split("── facet 2: D_ms=3 ──").nth(1).unwrap();
    assert!(
        table.contains('×'),
        "facet 2 shows its failed cells: {table}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn two_processes_on_one_faceted_folder_follow_the_lock_rules() {
    let d = scratch("facets-lock");
    write(&d, "s.toml", &four_axes("lock"));
    let mut first = spawn_held(&d, "s.toml", "o", 3);
    wait_for("the first process's lock", || {
        d.join("o/locks/shard-0-of-1.lock").exists()
    });
    let second = brunel(&["sweep", "s.toml", "--out", "o", "--no-plots"], &d);
    let err = stderr(&second);
    // A shard that overlaps the running one is refused too.
    let other = brunel(
        &[
            "sweep",
            "s.toml",
            "--out",
            "o",
            "--shard",
            "1/2",
            "--no-plots",
            "--quiet",
        ],
        &d,
    );
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(stderr(&other).contains("overlaps"), "{}", stderr(&other));
    // Resuming after the kill completes the folder to the same rows as one clean run.
    sweep_ok(&d, "s.toml", "o", &["--no-plots", "--quiet"]);
    sweep_ok(&d, "s.toml", "clean", &["--no-plots", "--quiet"]);
    assert_eq!(rows(&d.join("o")), rows(&d.join("clean")));
    std::fs::remove_dir_all(&d).unwrap();
}
