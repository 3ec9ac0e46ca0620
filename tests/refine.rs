//! Adaptive sweeps ([refine]): the same rows whatever the thread count, a kill -9 at any
//! level, or shards run level by level; shared points equal a dense grid's runs; bad
//! [refine] tables are refused before anything runs.

mod common;
use brunel::sweep::row::{Row, Value};
use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A small adaptive sweep: a 4 × 3 base grid of a 500-neuron network, 2 levels (lattice
/// 13 × 9 = 117 points), 250 ms per run.
fn adaptive(name: &str) -> String {
    format!(
        "name = \"{name}\"\nmodel = \"brunel\"\nseed = 11\nduration_ms = 250\nwarmup_ms = 50\n\n[fixed]\nN_E = 400\nN_I = 100\nepsilon = 0.2\nv_sample_n = 40\n\n[[axis]]\nparam = \"g\"\nvalues = [2, 4, 6, 8]\n\n[[axis]]\nparam = \"eta\"\nvalues = [1, 2, 3]\n\n[refine]\nlevels = 2\n"
    )
}

fn sweep(d: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sweep", "s.toml", "--out", out, "--no-plots", "--quiet"];
    args.extend_from_slice(extra);
    let o = brunel(&args, d);
    assert!(
        o.status.success(),
        "{args:?}: {}\n{}",
        stderr(&o),
        String::from_utf8_lossy(&o.stdout)
    );
    o
}

fn u32_of(r: &Row, col: &str) -> u32 {
    match r.get(col) {
        Some(Value::U32(v)) => *v,
        other => panic!("{col}: {other:?}"),
    }
}

fn f64_of(r: &Row, col: &str) -> f64 {
    match r.get(col) {
        Some(Value::F64(v)) => *v,
        other => panic!("{col}: {other:?}"),
    }
}

/// Runs per level of a results folder.
fn per_level(rows: &[Row]) -> Vec<usize> {
    let mut n = vec![];
    for r in rows {
        let l = u32_of(r, "level") as usize;
        if n.len() <= l {
            n.resize(l + 1, 0);
        }
        n[l] += 1;
    }
    n
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

fn spawn_held(d: &Path, out: &str, hold_from: usize) -> Child {
    Command::new(bin())
        .args([
            "sweep",
            "s.toml",
            "--out",
            out,
            "--threads",
            "1",
            "--flush-every-s",
            "0.05",
            "--no-plots",
            "--quiet",
        ])
        .env("BRUNEL_FAULT_RUNS", format!("~{hold_from}"))
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn refinement_gives_identical_rows_for_threads_kills_and_shards() {
    let d = scratch("refine");
    std::fs::write(d.join("s.toml"), adaptive("ad")).unwrap();

    // 1 and 2 threads.
    let o = sweep(&d, "one", &["--threads", "1"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("adaptive refinement: level 0: 12 points"),
        "{out}"
    );
    sweep(&d, "two", &["--threads", "2"]);
    let reference = rows(&d.join("one"));
    assert_eq!(reference, rows(&d.join("two")), "1 vs 2 threads");
    let levels = per_level(&reference);
    assert_eq!(levels[0], 12, "the base grid");
    assert!(
        levels.len() == 3 && levels[1] > 0 && levels[2] > 0,
        "both levels refine this map: {levels:?}"
    );
    assert!(reference.len() < 117, "fewer runs than the lattice");

    // kill -9 in each level, then the same command resumes.
    for level in 0..levels.len() {
        // Runs from the (hold_from + 1)-th start on wait for a stop: the kill lands while
        // the second run of this level is held.
        let before: usize = levels[..level].iter().sum();
        let hold_from = before + 1;
        let out = format!("kill{level}");
        let mut child = spawn_held(&d, &out, hold_from);
        let t0 = Instant::now();
        while committed(&d.join(&out)) < hold_from {
            assert!(
                t0.elapsed() < Duration::from_secs(120),
                "level {level}: runs not committed"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(committed(&d.join(&out)), hold_from);
        sweep(&d, &out, &["--threads", "2"]);
        assert_eq!(
            rows(&d.join(&out)),
            reference,
            "killed in level {level}, resumed"
        );
    }

    // Two shards, level by level (as the SLURM arrays run them), then merge.
    let w = sweep(&d, "sh", &["--shard", "0/2", "--level", "0"]);
    assert!(String::from_utf8_lossy(&w.stdout).contains("refinement is at level 0"));
    // Asked for level 1 while level 0 waits for the other shard: resumable, not done.
    let w = brunel(
        &[
            "sweep",
            "s.toml",
            "--out",
            "sh",
            "--no-plots",
            "--quiet",
            "--shard",
            "0/2",
            "--level",
            "1",
        ],
        &d,
    );
    let text = String::from_utf8_lossy(&w.stdout);
    assert!(
        text.contains("level 0 waits for") && text.contains("other shards"),
        "{text}"
    );
    assert_eq!(w.status.code(), Some(3), "{}", stderr(&w));
    let last = stderr(&w).lines().last().unwrap_or_default().to_string();
    assert!(
        last.contains("stopped at level 0")
            && last.contains("level(s) 1 to 1 of this shard are not done")
            && last.contains("brunel sweep s.toml --out sh --shard 0/2 --level 1"),
        "{last}"
    );
    for level in 0..levels.len() {
        for shard in ["0/2", "1/2"] {
            sweep(&d, "sh", &["--shard", shard, "--level", &level.to_string()]);
        }
    }
    let m = brunel(&["merge", "sh", "--no-plots"], &d);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(rows(&d.join("sh")), reference, "shards + merge");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_shard_without_level_exits_resumable_until_every_level_is_done() {
    // Issue 20 #10: `sweep --shard 0/2` ran its level-0 share and exited 0 with levels 1-2
    // never run. Now it exits 3 and says so in its last line; running the shards again (in
    // any order, as a resubmitted array does) completes the refinement.
    let d = scratch("refine-shard-wait");
    std::fs::write(d.join("s.toml"), adaptive("ad")).unwrap();
    sweep(&d, "one", &["--threads", "2"]);
    let reference = rows(&d.join("one"));
    let levels = per_level(&reference).len();
    let mut finished = [false, false];
    for round in 0..2 * levels + 2 {
        let shard = round % 2;
        let spec = format!("{shard}/2");
        let o = brunel(
            &[
                "sweep",
                "s.toml",
                "--out",
                "sh",
                "--no-plots",
                "--quiet",
                "--shard",
                &spec,
            ],
            &d,
        );
        let err = stderr(&o);
        let last = err.lines().last().unwrap_or_default();
        match o.status.code() {
            Some(0) => finished[shard] = true,
            Some(3) => {
                assert!(
                    last.starts_with(&format!("shard {spec}: stopped at level"))
                        && last.contains("of this shard are not done")
                        && last.contains(&format!(
                            "resume with: brunel sweep s.toml --out sh --shard {spec}"
                        )),
                    "round {round}: {last}"
                );
                assert!(!last.starts_with("error:"), "{last}");
            }
            other => panic!("round {round}: exit {other:?}: {err}"),
        }
        if finished == [true, true] {
            break;
        }
    }
    assert_eq!(finished, [true, true], "both shards end with exit 0");
    let m = brunel(&["merge", "sh", "--no-plots"], &d);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(rows(&d.join("sh")), reference, "alternating shards + merge");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn shared_points_are_the_dense_grids_runs_and_compare_counts_them() {
    let d = scratch("refine-dense");
    std::fs::write(d.join("s.toml"), adaptive("ad")).unwrap();
    sweep(&d, "ad", &[]);
    // The dense grid at the finest spacing, seeded by coordinates.
    let dense = adaptive("dense")
        .replace("seed = 11", "seed = 11\nseeds = \"coordinates\"")
        .replace(
            "values = [2, 4, 6, 8]",
            "linspace = { start = 2, stop = 8, num = 13 }",
        )
        .replace(
            "values = [1, 2, 3]",
            "linspace = { start = 1, stop = 3, num = 9 }",
        )
        .replace("[refine]\nlevels = 2\n", "");
    std::fs::write(d.join("dense.toml"), dense).unwrap();
    let o = brunel(
        &[
            "sweep",
            "dense.toml",
            "--out",
            "dense",
            "--no-plots",
            "--quiet",
        ],
        &d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (ad, de) = (rows(&d.join("ad")), rows(&d.join("dense")));
    assert_eq!(de.len(), 117);
    // Every adaptive run is the dense grid's run at the same values: same seed, same
    // measures (point numbers are each sweep's own).
    let same_point =
        |a: &Row, b: &Row| f64_of(a, "g") == f64_of(b, "g") && f64_of(a, "eta") == f64_of(b, "eta");
    for a in &ad {
        let b = de
            .iter()
            .find(|b| same_point(a, b))
            .expect("on the lattice");
        for (name, v) in &a.cells {
            if name == "point" || name == "level" {
                continue;
            }
            assert!(
                b.get(name).is_some_and(|w| w.same_bits(v)),
                "{name} differs at g={}, eta={}",
                f64_of(a, "g"),
                f64_of(a, "eta")
            );
        }
    }
    let c = brunel(&["compare", "ad", "dense"], &d);
    let text = String::from_utf8_lossy(&c.stdout);
    assert!(c.status.success(), "{}", stderr(&c));
    let head = format!("of 117 dense points agree",);
    assert!(text.contains(&head), "{text}");
    assert!(
        text.contains(&format!("adaptive {} runs", ad.len())),
        "{text}"
    );
    // Issue 20 #9: a dense grid of another network or window is refused, naming the
    // differing fields (a 5000 ms map against a 250 ms grid gave "90.6 % agree", exit 0).
    let other = std::fs::read_to_string(d.join("dense/definition.toml"))
        .unwrap()
        .replace("duration_ms = 250", "duration_ms = 5000")
        + "\n[classifier]\nregular_max_cv = 0.3\n";
    std::fs::create_dir_all(d.join("long")).unwrap();
    std::fs::write(d.join("long/definition.toml"), &other).unwrap();
    let c = brunel(&["compare", "ad", "long"], &d);
    let err = stderr(&c);
    assert_eq!(c.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ad and long describe different networks")
            && err.contains("duration_ms: 250 vs 5000")
            && err.contains("classifier.regular_max_cv")
            && !err.contains("N_E:")
            && !err.contains("g:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Comparing the other way round is refused: the first folder must refine.
    let c = brunel(&["compare", "dense", "ad"], &d);
    assert!(!c.status.success());
    assert!(
        stderr(&c).contains("not an adaptive sweep"),
        "{}",
        stderr(&c)
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_refine_tables_are_refused_before_anything_runs() {
    let d = scratch("refine-bad");
    let good = adaptive("bad");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            good.replace("levels = 2", "levels = 0"),
            "refine.levels",
            "from 1 to 8",
        ),
        (
            good.replace("levels = 2", "levels = 9"),
            "refine.levels",
            "from 1 to 8",
        ),
        (
            good.replace("levels = 2", "levels = 2\non = \"no_such\"\ntolerance = 1"),
            "refine.on",
            "numeric result column",
        ),
        // Issue 20 #2: timings, keys, seeds, levels and parameters are not measures.
        (
            good.replace(
                "levels = 2",
                "levels = 2\non = \"wall_s\"\ntolerance = 0.01",
            ),
            "refine.on",
            "`wall_s` is not a measure of a run",
        ),
        (
            good.replace("levels = 2", "levels = 2\non = \"seed\"\ntolerance = 1"),
            "refine.on",
            "`seed` is not a measure",
        ),
        (
            good.replace("levels = 2", "levels = 2\non = \"level\"\ntolerance = 1"),
            "refine.on",
            "`level` is not a measure",
        ),
        (
            good.replace("levels = 2", "levels = 2\non = \"g\"\ntolerance = 1"),
            "refine.on",
            "`g` is not a measure",
        ),
        (
            good.replace("levels = 2", "levels = 2\non = \"point\"\ntolerance = 1"),
            "refine.on",
            "`point` is not a measure",
        ),
        // Issue 20 #12: a misspelt column is unknown, with the nearest, before any tolerance.
        (
            good.replace("levels = 2", "levels = 2\non = \"Regime\""),
            "refine.on",
            "did you mean `regime`?",
        ),
        (
            good.replace("levels = 2", "levels = 2\non = \"rate_Hz\""),
            "refine.on",
            "did you mean `rate_hz`?",
        ),
        (
            good.replace("levels = 2", "levels = 2\ntolerance = 1"),
            "refine.tolerance",
            "numeric column",
        ),
        (
            good.replace("levels = 2", "levels = 2\non = \"rate_hz\""),
            "refine.tolerance",
            "relative_tolerance",
        ),
        (
            good.replace(
                "levels = 2",
                "levels = 2\non = \"rate_hz\"\ntolerance = 1\nrelative_tolerance = 0.1",
            ),
            "refine.tolerance",
            "one of them",
        ),
        (
            good.replace(
                "levels = 2",
                "levels = 2\non = \"rate_hz\"\ntolerance = nan",
            ),
            "refine.tolerance",
            "finite",
        ),
        (
            good.replace("[[axis]]\nparam = \"eta\"\nvalues = [1, 2, 3]\n\n", ""),
            "refine",
            "exactly two",
        ),
        (
            good.replace(
                "values = [1, 2, 3]",
                "values = [1, 2, 3]\n\n[[axis]]\nparam = \"J\"\nvalues = [0.1, 0.2]",
            )
            .replace("levels = 2", "levels = 2\naxes = [\"g\", \"J\"]"),
            "refine.axes",
            "facet axis",
        ),
        (
            good.replace(
                "param = \"eta\"\nvalues = [1, 2, 3]",
                "param = \"N_E\"\nvalues = [400, 800]",
            ),
            "refine (N_E)",
            "whole numbers",
        ),
        (
            good.replace("values = [1, 2, 3]", "values = [3, 2, 1]"),
            "refine (eta)",
            "ascending",
        ),
        (
            good.replace("levels = 2", "levels = 2\nmax_runs = 5"),
            "refine.max_runs",
            "at least the base grid's 12 runs",
        ),
        (
            good.replace("levels = 2", "levels = 8").replace(
                "values = [2, 4, 6, 8]",
                "linspace = { start = 0, stop = 8, num = 100 }",
            ),
            "refine.levels",
            "lattice points",
        ),
        (
            good.replace("levels = 2", "levels = 2\ncolour = 1"),
            "TOML",
            "colour",
        ),
        (
            good.replace("seed = 11", "seed = 11\nseeds = \"index\""),
            "seeds",
            "coordinates",
        ),
    ];
    for (k, (text, field, expect)) in cases.iter().enumerate() {
        let f = format!("bad{k}.toml");
        std::fs::write(d.join(&f), text).unwrap();
        let o = brunel(&["sweep", &f, "--out", &format!("o{k}"), "--quiet"], &d);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "case {k}: {err}");
        assert!(
            err.contains(&format!("{f}:")) && err.contains(field) && err.contains(expect),
            "case {k}: expected `{field}` and `{expect}` in: {err}"
        );
        assert!(
            !d.join(format!("o{k}")).exists(),
            "case {k}: nothing written"
        );
    }
    // A budget is honoured: refinement stops before exceeding it, and says so.
    std::fs::write(
        d.join("budget.toml"),
        good.replace("levels = 2", "levels = 2\nmax_runs = 20"),
    )
    .unwrap();
    let o = brunel(
        &[
            "sweep",
            "budget.toml",
            "--out",
            "b",
            "--no-plots",
            "--quiet",
        ],
        &d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("max_runs = 20"), "{text}");
    assert!(rows(&d.join("b")).len() <= 20);
    // --level on a plain sweep is refused.
    std::fs::write(
        d.join("plain.toml"),
        good.replace("[refine]\nlevels = 2\n", ""),
    )
    .unwrap();
    let o = brunel(&["sweep", "plain.toml", "--out", "p", "--level", "1"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--level"), "{}", stderr(&o));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_copied_part_file_neither_wedges_nor_hides_missing_runs() {
    // Issue 20 #1: level 0's shard 0 holds replicate 0 of every base point; a byte copy of
    // its part file made each point look complete (2 rows for 2 replicates), so levels were
    // planned from half-finished points and `sweep` said complete while `merge` found runs
    // missing. Rows are de-duplicated before planning, as merge does.
    let d = scratch("refine-dup");
    let text = adaptive("dup").replace("seed = 11", "seed = 11\nreplicates = 2");
    std::fs::write(d.join("s.toml"), text).unwrap();
    sweep(&d, "x", &["--shard", "0/2", "--level", "0"]);
    let data = d.join("x/data");
    std::fs::copy(
        data.join("part-0-of-2-00000.parquet"),
        data.join("copy.parquet"),
    )
    .unwrap();
    sweep(&d, "x", &[]);
    let m = brunel(&["merge", "x", "--no-plots"], &d);
    assert!(
        m.status.success(),
        "sweep ended, merge finds runs missing: {}",
        stderr(&m)
    );
    let rows = rows(&d.join("x"));
    let points: std::collections::BTreeSet<u32> = rows.iter().map(|r| u32_of(r, "point")).collect();
    assert_eq!(
        rows.len(),
        2 * points.len(),
        "both replicates of every point"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_valid_columns_listed_for_refine_on_are_measures_only() {
    // Issue 20 #2: the error used to list build_s, simulate_s and wall_s as valid.
    let d = scratch("refine-on-list");
    let text = adaptive("on").replace("levels = 2", "levels = 2\non = \"nope\"\ntolerance = 1");
    std::fs::write(d.join("s.toml"), text).unwrap();
    let o = brunel(&["sweep", "s.toml", "--out", "o", "--quiet"], &d);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let listed = err
        .split("measures the run: ")
        .nth(1)
        .expect("a list")
        .trim();
    let listed: Vec<&str> = listed.split(", ").collect();
    assert!(
        listed.contains(&"rate_hz") && listed.contains(&"cv_isi_e"),
        "{listed:?}"
    );
    for bad in [
        "wall_s",
        "build_s",
        "simulate_s",
        "seed",
        "point",
        "replicate",
        "level",
        "g",
        "eta",
        "N_E",
    ] {
        assert!(!listed.contains(&bad), "{bad} listed as valid: {err}");
    }
    assert!(!d.join("o").exists());
    std::fs::remove_dir_all(&d).unwrap();
}
