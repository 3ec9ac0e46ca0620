//! Faults during real work (issue 9): failed and panicking runs, a full disk, flipped bits,
//! quarantine, two definitions or overlapping shards racing for one folder, byte copies of
//! part files, figures of columns that are NaN everywhere, and a stop while drawing. Each
//! test runs the real binary in a scratch folder and checks that nothing is lost or wrong.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn part_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    v.sort();
    v
}

fn tutorial_sweep(name: &str, plots: &str) -> String {
    format!("name = \"{name}\"\nmodel = \"tutorial\"\nseed = 7\nreplicates = 1\nduration_ms = 300\n[[axis]]\nparam = \"ext_rate_hz\"\nvalues = [0, 50, 100]\n{plots}")
}

#[test]
fn columns_that_are_nan_everywhere_are_drawn_without_hanging() {
    // The issue's reproduction: χ and the mean-field rate are NaN for every tutorial row.
    let d = scratch("nanplot");
    std::fs::write(
        d.join("x.toml"),
        tutorial_sweep(
            "x",
            "[plots]\nheatmaps = [\"chi\", \"theory_rate_hz\", \"rate_hz\"]\n",
        ),
    )
    .unwrap();
    std::fs::write(d.join("y.toml"), tutorial_sweep("y", "")).unwrap();
    for (def, out) in [("x.toml", "out-x"), ("y.toml", "out-y")] {
        run_ok(&["sweep", def, "--out", out], &d, &[], 120);
        assert!(d.join(out).join("plots/curve_chi.png").exists());
        run_ok(&["plot", out], &d, &[], 60);
        run_ok(&["merge", out], &d, &[], 60);
    }
    // A Brunel grid without voltage samples: χ is NaN on a heatmap.
    let mut def =
        small_sweep("z", 2, 2, 1, 300.0, 400).replace("v_sample_n = 50", "v_sample_n = 0");
    def.push_str("[plots]\nheatmaps = [\"chi\", \"rate_hz\"]\n");
    std::fs::write(d.join("z.toml"), def).unwrap();
    run_ok(&["sweep", "z.toml", "--out", "out-z"], &d, &[], 120);
    assert!(d.join("out-z/plots/heatmap_chi.png").exists());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_stop_while_drawing_ends_between_figures() {
    let d = scratch("drawstop");
    std::fs::write(d.join("x.toml"), tutorial_sweep("x", "")).unwrap();
    run_ok(
        &["sweep", "x.toml", "--out", "out", "--no-plots"],
        &d,
        &[],
        120,
    );
    let dir = d.join("out");
    let def = brunel::sweep::merge::folder_definition(&dir).unwrap();
    let layout = brunel::store::layout::Layout::new(&dir);
    let rows = brunel::sweep::merge::gather(&def, &layout).unwrap().rows;
    let asked = std::cell::Cell::new(0);
    let stop_after_two = || {
        asked.set(asked.get() + 1);
        asked.get() > 2
    };
    let e = brunel::sweep::report::draw_all(&def, &layout, &rows, &stop_after_two).unwrap_err();
    let stopped = e
        .downcast_ref::<brunel::sweep::report::DrawingStopped>()
        .expect("DrawingStopped");
    assert_eq!(stopped.drawn, 2);
    assert!(e.to_string().contains("brunel plot"), "{e}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_failed_or_panicking_run_is_recorded_and_costs_no_other_run() {
    let d = scratch("failrun");
    std::fs::write(d.join("s.toml"), small_sweep("f", 2, 3, 2, 300.0, 400)).unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", "ref", "--no-plots"],
        &d,
        &[],
        120,
    );
    // Point 1 fails with an error, point 4 panics; the other 4 points × 2 replicates finish.
    let o = run_env(
        &["sweep", "s.toml", "--out", "a", "--no-plots"],
        &d,
        &[("BRUNEL_FAULT_RUNS", "1,4!")],
        120,
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("4 run(s) failed") && err.contains("injected"),
        "{err}"
    );
    let reference = rows(&d.join("ref"));
    let got = rows(&d.join("a"));
    assert_eq!(got.len(), reference.len(), "every run has a row");
    for (g, r) in got.iter().zip(&reference) {
        let point = match g.get("point") {
            Some(brunel::sweep::row::Value::U32(p)) => *p,
            other => panic!("point {other:?}"),
        };
        let regime = g.get("regime").cloned();
        let error = match g.get("error") {
            Some(brunel::sweep::row::Value::Str(s)) => s.clone(),
            other => panic!("error column {other:?}"),
        };
        if point == 1 || point == 4 {
            assert_eq!(
                regime,
                Some(brunel::sweep::row::Value::Str("failed".into()))
            );
            assert!(error.contains("injected"), "{error}");
            let what = if point == 4 { "panic" } else { "failure" };
            assert!(error.contains(what), "{error}");
        } else {
            assert!(
                g.same_bits(r),
                "point {point} differs from the undisturbed run"
            );
            assert!(error.is_empty());
        }
    }
    // The table marks the failed cells, resume does not redo them, merge writes all rows.
    assert!(String::from_utf8_lossy(&o.stdout).contains('×'));
    let o = run_env(
        &["sweep", "s.toml", "--out", "a", "--no-plots"],
        &d,
        &[],
        60,
    );
    assert!(
        stderr(&o).contains("0 runs done now, 12 were already complete"),
        "{}",
        stderr(&o)
    );
    run_ok(&["merge", "a", "--no-plots"], &d, &[], 60);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_full_disk_stops_cleanly_says_so_and_the_sweep_resumes_to_the_same_rows() {
    let d = scratch("diskfull");
    // Every point keeps its spike trains, so the disk fills up part-way.
    let def = small_sweep("full", 3, 4, 1, 400.0, 800)
        .replace("[[keep_spikes]]\ng = 4\neta = 1\n", "[[keep_spikes]]\n");
    std::fs::write(d.join("s.toml"), &def).unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", "ref", "--no-plots"],
        &d,
        &[],
        300,
    );
    let disk = SmallDisk::mount(&d.join("disk"), "160k");
    let out = disk.0.join("r");
    let out_s = out.to_str().unwrap();
    let o = run_env(
        &[
            "sweep",
            "s.toml",
            "--out",
            out_s,
            "--no-plots",
            "--flush-every-s",
            "0.01",
            "--write-retries",
            "1",
            "--write-retry-pause-s",
            "0.1",
        ],
        &d,
        &[],
        300,
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("disk is full") && err.contains("ENOSPC"),
        "{err}"
    );
    assert!(
        err.contains("resume with: brunel sweep s.toml --out"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("thrift"),
        "{err}"
    );
    // Whatever was committed is sound: every part file reads and matches the reference.
    let reference = rows(&d.join("ref"));
    let committed = rows(&out);
    assert!(
        committed.len() < reference.len(),
        "the disk was meant to fill up"
    );
    for r in &committed {
        assert!(
            reference.iter().any(|x| x.same_bits(r)),
            "a committed row differs"
        );
    }
    // More space, the same command: complete and identical.
    disk.resize("64m");
    run_ok(
        &["sweep", "s.toml", "--out", out_s, "--no-plots"],
        &d,
        &[],
        300,
    );
    let resumed = rows(&out);
    assert_eq!(resumed.len(), reference.len());
    assert!(resumed.iter().zip(&reference).all(|(a, b)| a.same_bits(b)));
    drop(disk);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn flipped_bits_are_caught_reported_by_merge_and_repaired_by_sweep() {
    let d = scratch("bitflip");
    std::fs::write(d.join("s.toml"), small_sweep("b", 2, 2, 2, 300.0, 400)).unwrap();
    run_ok(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--no-plots",
            "--flush-every-s",
            "0.01",
            "--threads",
            "1",
        ],
        &d,
        &[],
        120,
    );
    let reference = rows(&d.join("a"));
    let parts = part_files(&d.join("a"));
    let originals: Vec<Vec<u8>> = parts.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let original = originals[0].clone();
    // 40 single-bit flips spread over the file: each one is caught or harmless.
    let mut caught = Vec::new();
    for k in 0..40 {
        let bit = (k * 7919 + 13) % (original.len() * 8);
        let mut b = original.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&parts[0], &b).unwrap();
        let o = run_env(&["merge", "a", "--no-plots"], &d, &[], 60);
        if o.status.success() {
            assert!(
                rows(&d.join("a"))
                    .iter()
                    .zip(&reference)
                    .all(|(x, y)| x.same_bits(y)),
                "bit {bit} changed the merged rows"
            );
        } else {
            let err = stderr(&o);
            assert!(
                err.contains("damaged") && !err.contains("panicked"),
                "bit {bit}: {err}"
            );
            assert!(
                parts[0].exists(),
                "merge must leave the damaged file in place"
            );
            caught.push(bit);
        }
    }
    // Flips in padding, statistics or the Arrow schema copy change no row; the rest are caught.
    assert!(
        caught.len() >= 10,
        "only {} of 40 flips were caught",
        caught.len()
    );
    // Damaged twice: two distinct quarantined copies; the runs are redone, identical.
    for round in 0..2 {
        let mut b = original.clone();
        let bit = caught[round];
        b[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&parts[0], &b).unwrap();
        let o = run_ok(
            &["sweep", "s.toml", "--out", "a", "--no-plots"],
            &d,
            &[],
            120,
        );
        assert!(stderr(&o).contains("quarantine"), "{}", stderr(&o));
        assert!(rows(&d.join("a"))
            .iter()
            .zip(&reference)
            .all(|(x, y)| x.same_bits(y)));
        // Put the damaged part back under its name for the second round.
        for f in part_files(&d.join("a")) {
            std::fs::remove_file(f).unwrap();
        }
        for (p, bytes) in parts.iter().zip(&originals) {
            std::fs::write(p, bytes).unwrap();
        }
    }
    let quarantined = std::fs::read_dir(d.join("a/quarantine")).unwrap().count();
    assert_eq!(quarantined, 2, "each damaged copy is kept");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_byte_copy_of_a_part_file_with_nan_cells_is_not_a_conflict() {
    let d = scratch("nancopy");
    std::fs::write(d.join("t.toml"), tutorial_sweep("t", "")).unwrap();
    run_ok(
        &["sweep", "t.toml", "--out", "a", "--no-plots"],
        &d,
        &[],
        120,
    );
    let p = &part_files(&d.join("a"))[0];
    std::fs::copy(p, d.join("a/data/part-copy.parquet")).unwrap();
    run_ok(&["merge", "a", "--no-plots"], &d, &[], 60);
    run_ok(
        &["sweep", "t.toml", "--out", "a", "--no-plots"],
        &d,
        &[],
        60,
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn two_definitions_racing_for_a_new_folder_never_mix() {
    let d = scratch("defrace");
    let a = small_sweep("race", 2, 2, 1, 200.0, 400);
    let b = a.replace("seed = 7", "seed = 8");
    std::fs::write(d.join("a.toml"), &a).unwrap();
    std::fs::write(d.join("b.toml"), &b).unwrap();
    for trial in 0..5 {
        let out = format!("r{trial}");
        let pa = spawn(&["sweep", "a.toml", "--out", &out, "--no-plots"], &d, &[]);
        let pb = spawn(&["sweep", "b.toml", "--out", &out, "--no-plots"], &d, &[]);
        let (oa, ob) = (finish(pa, 120, "a"), finish(pb, 120, "b"));
        assert!(
            oa.status.success() != ob.status.success(),
            "exactly one may claim the folder: {} / {}",
            stderr(&oa),
            stderr(&ob)
        );
        let loser = if oa.status.success() { &ob } else { &oa };
        assert!(
            stderr(loser).contains("different sweep definition"),
            "{}",
            stderr(loser)
        );
        let text = std::fs::read_to_string(d.join(&out).join("definition.toml")).unwrap();
        assert_eq!(&text, if oa.status.success() { &a } else { &b });
        // The folder is consistent: merge works and a resume of the winner has nothing to do.
        run_ok(&["merge", &out, "--no-plots"], &d, &[], 60);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn an_unsharded_run_and_a_shard_cannot_run_the_same_folder_at_once() {
    let d = scratch("overlap");
    std::fs::write(d.join("s.toml"), small_sweep("o", 3, 4, 2, 1500.0, 1000)).unwrap();
    // Runs from the 2nd on wait for a stop: the first sweep is certainly running while we try.
    let first = spawn(
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
        &[("BRUNEL_FAULT_RUNS", "~2")],
    );
    let t0 = Instant::now();
    while !d.join("a/locks/shard-0-of-1.lock").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the first sweep never took its lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = run_env(
        &[
            "sweep",
            "s.toml",
            "--out",
            "a",
            "--no-plots",
            "--shard",
            "0/2",
        ],
        &d,
        &[],
        60,
    );
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("overlaps shard 0-of-1") && err.contains("pid"),
        "{err}"
    );
    let mut first = first;
    let _ = first.kill();
    let _ = first.wait();
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn two_different_rows_for_one_run_are_a_merge_conflict() {
    let d = scratch("conflict");
    std::fs::write(d.join("s.toml"), small_sweep("c", 2, 1, 1, 300.0, 400)).unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", "a", "--no-plots"],
        &d,
        &[],
        120,
    );
    let part = &part_files(&d.join("a"))[0];
    let (mut rows, md) = brunel::sweep::parts::read_part(part).unwrap();
    for (name, v) in rows[0].cells.iter_mut() {
        if name == "rate_hz" {
            *v = brunel::sweep::row::Value::F64(123.0);
        }
    }
    let md: Vec<(String, String)> = md
        .into_iter()
        .filter(|(k, _)| k.starts_with("brunel_") && k != "brunel_rows_sha256")
        .collect();
    let other = d.join("a/data/part-other.parquet");
    brunel::sweep::parts::write_part(&d.join("a/tmp/x.tmp"), &other, &rows, &md).unwrap();
    let o = run_env(&["merge", "a", "--no-plots"], &d, &[], 60);
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("appears twice") && err.contains("point 0, replicate 0"),
        "{err}"
    );
    assert!(!d.join("a/results.parquet").exists());
    std::fs::remove_dir_all(&d).unwrap();
}

/// mkfifo (coreutils).
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn fifos_devices_and_folders_in_place_of_files_are_refused_without_blocking() {
    // Issue 20 #5: a FIFO in data/ hung merge and sweep for ever, ignoring SIGTERM.
    let d = scratch("fifo");
    std::fs::write(d.join("s.toml"), small_sweep("ff", 2, 1, 1, 300.0, 400)).unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", "x", "--no-plots"],
        &d,
        &[],
        120,
    );
    let check = |args: &[&str], what: &str, expect: &str| {
        let o = run_env(args, &d, &[], 30);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains(expect) && err.contains("not a regular file"),
            "{what}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
    };
    let fifo = d.join("x/data/p.parquet");
    mkfifo(&fifo);
    check(
        &["merge", "x", "--no-plots"],
        "merge, FIFO part",
        "p.parquet: a FIFO",
    );
    check(
        &["sweep", "s.toml", "--out", "x", "--no-plots"],
        "sweep, FIFO part",
        "p.parquet: a FIFO",
    );
    check(&["plot", "x"], "plot, FIFO part", "p.parquet: a FIFO");
    std::fs::remove_file(&fifo).unwrap();
    std::fs::create_dir(d.join("x/data/dir.parquet")).unwrap();
    check(
        &["merge", "x", "--no-plots"],
        "merge, folder part",
        "dir.parquet: a folder",
    );
    std::fs::remove_dir(d.join("x/data/dir.parquet")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("x/data/zero.parquet")).unwrap();
    check(
        &["merge", "x", "--no-plots"],
        "merge, device part",
        "zero.parquet: a device",
    );
    std::fs::remove_file(d.join("x/data/zero.parquet")).unwrap();
    // A FIFO as the definition, given or in the folder.
    mkfifo(&d.join("f.toml"));
    check(
        &["sweep", "f.toml", "--out", "y"],
        "sweep of a FIFO definition",
        "f.toml",
    );
    assert!(!d.join("y").exists());
    std::fs::rename(d.join("x/definition.toml"), d.join("saved.toml")).unwrap();
    mkfifo(&d.join("x/definition.toml"));
    check(
        &["merge", "x", "--no-plots"],
        "merge, FIFO definition.toml",
        "definition.toml",
    );
    check(
        &["sweep", "s.toml", "--out", "x", "--no-plots"],
        "sweep, FIFO definition.toml",
        "definition.toml",
    );
    std::fs::remove_file(d.join("x/definition.toml")).unwrap();
    std::fs::rename(d.join("saved.toml"), d.join("x/definition.toml")).unwrap();
    // A FIFO as a lock file.
    mkfifo(&d.join("x/locks/shard-0-of-1.lock"));
    let o = run_env(
        &["sweep", "s.toml", "--out", "x", "--no-plots"],
        &d,
        &[],
        30,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("shard-0-of-1.lock"), "{}", stderr(&o));
    std::fs::remove_file(d.join("x/locks/shard-0-of-1.lock")).unwrap();
    run_ok(&["merge", "x", "--no-plots"], &d, &[], 60);
    std::fs::remove_dir_all(&d).unwrap();
}

/// Whether a PNG file is whole (ends with its IEND chunk).
fn png_whole(path: &Path) -> bool {
    let b = std::fs::read(path).unwrap();
    b.starts_with(b"\x89PNG") && b.ends_with(b"IEND\xaeB`\x82")
}

#[test]
fn figures_replace_links_instead_of_following_them_and_errors_name_paths() {
    // Issue 20 #6: `plot` wrote through a link at plots/regime_map.png into a file outside
    // the folder, and so did `theory --boundaries`; #14: with plots/ a file, the error was
    // only "File exists (os error 17)".
    let d = scratch("figlinks");
    std::fs::write(d.join("s.toml"), small_sweep("fl", 2, 2, 1, 300.0, 400)).unwrap();
    run_ok(&["sweep", "s.toml", "--out", "x"], &d, &[], 120);
    std::fs::write(d.join("victim.png"), "precious").unwrap();
    let map = d.join("x/plots/regime_map.png");
    std::fs::remove_file(&map).unwrap();
    std::os::unix::fs::symlink("../../victim.png", &map).unwrap();
    run_ok(&["plot", "x"], &d, &[], 120);
    assert_eq!(
        std::fs::read_to_string(d.join("victim.png")).unwrap(),
        "precious"
    );
    assert!(!map.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(png_whole(&map));
    let th = d.join("th");
    std::fs::create_dir(&th).unwrap();
    std::os::unix::fs::symlink("../victim.png", th.join("phase_diagram.png")).unwrap();
    run_ok(
        &[
            "theory",
            "--boundaries",
            "--g",
            "3:5",
            "--eta",
            "1:2",
            "--out",
            "th",
        ],
        &d,
        &[],
        120,
    );
    assert_eq!(
        std::fs::read_to_string(d.join("victim.png")).unwrap(),
        "precious"
    );
    assert!(png_whole(&th.join("phase_diagram.png")));
    // No temporary figure is left behind.
    for dir in [d.join("x/plots"), th.clone()] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!n.starts_with('.'), "{n} left in {}", dir.display());
        }
    }
    // plots/ replaced by a file: the error names it.
    std::fs::remove_dir_all(d.join("x/plots")).unwrap();
    std::fs::write(d.join("x/plots"), "a file").unwrap();
    let o = run_env(&["plot", "x"], &d, &[], 60);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("x/plots") && err.starts_with("error:"),
        "{err}"
    );
    // plots/ or tmp/ replaced by a link to a folder outside: refused naming the link, and
    // nothing is written where it points.
    std::fs::remove_file(d.join("x/plots")).unwrap();
    let outside = d.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink("../outside", d.join("x/plots")).unwrap();
    for args in [&["plot", "x"][..], &["sweep", "s.toml", "--out", "x"][..]] {
        let o = run_env(args, &d, &[], 60);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("x/plots is a symbolic link"),
            "{args:?}: {err}"
        );
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "{args:?} wrote outside"
        );
    }
    std::fs::remove_file(d.join("x/plots")).unwrap();
    std::fs::remove_dir_all(d.join("x/tmp")).unwrap();
    std::os::unix::fs::symlink("../outside", d.join("x/tmp")).unwrap();
    let o = run_env(&["merge", "x", "--no-plots"], &d, &[], 60);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("x/tmp is a symbolic link"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "merge wrote outside"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn full_and_read_only_disks_leave_no_half_files_and_give_fitting_advice() {
    let d = scratch("figfull");
    std::fs::write(d.join("s.toml"), small_sweep("ff", 2, 2, 1, 300.0, 400)).unwrap();
    let disk = SmallDisk::mount(&d.join("disk"), "2m");
    let out = disk.0.join("x");
    let out_s = out.to_str().unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", out_s, "--no-plots"],
        &d,
        &[],
        120,
    );
    // Fill the disk, then draw (issue 20 #6: a half-written PNG stayed, with a debug dump).
    let fill = disk.0.join("fill");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=64k", "count=100"])
        .arg(format!("of={}", fill.display()))
        .stderr(Stdio::null())
        .status();
    let o = run_env(&["plot", out_s], &d, &[], 120);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("ENOSPC") && err.contains(".png"), "{err}");
    assert!(
        !err.contains("Os {") && !err.contains("kind:"),
        "a debug dump: {err}"
    );
    for e in std::fs::read_dir(out.join("plots")).unwrap() {
        let p = e.unwrap().path();
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!n.starts_with('.'), "temporary {n} left");
        assert!(png_whole(&p), "{n} is half-written");
    }
    // simulate on the full disk leaves no probe file (issue 20 #17).
    let sim = disk.0.join("sim");
    let o = run_env(&["simulate", "--out", sim.to_str().unwrap()], &d, &[], 60);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&sim).map_or(vec![], |r| r.flatten().collect());
    assert!(left.is_empty(), "{left:?}");
    // A read-only folder: merge's advice has no --out, which merge does not take (#15).
    std::fs::remove_file(&fill).unwrap();
    let ok = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk.0)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let o = run_env(&["merge", out_s, "--no-plots"], &d, &[], 60);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("read-only") && !err.contains("--out"), "{err}");
    let o = run_env(
        &["sweep", "s.toml", "--out", out_s, "--no-plots"],
        &d,
        &[],
        60,
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("read-only") && err.contains("--out"), "{err}");
    drop(disk);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_refused_folder_is_left_as_it_was() {
    // Issue 20 #17: data/, locks/, plots/, spikes/ and tmp/ were created before refusing a
    // folder that holds another sweep's definition.toml.
    let d = scratch("refusewrites");
    std::fs::write(d.join("s.toml"), small_sweep("rw", 2, 1, 1, 300.0, 400)).unwrap();
    std::fs::create_dir(d.join("x")).unwrap();
    std::fs::write(
        d.join("x/definition.toml"),
        small_sweep("other", 2, 1, 1, 300.0, 400),
    )
    .unwrap();
    let o = run_env(
        &["sweep", "s.toml", "--out", "x", "--no-plots"],
        &d,
        &[],
        60,
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("different sweep definition"), "{err}");
    let left: Vec<String> = std::fs::read_dir(d.join("x"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["definition.toml"]);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_damaged_definition_toml_is_called_damaged_and_restored_from_the_parts() {
    // Issue 20 #11: after `truncate -s 60 x/definition.toml`, sweep invited the user to
    // delete the folder and merge blamed a sound part file.
    let d = scratch("defdamage");
    let text = small_sweep("dd", 2, 1, 1, 300.0, 400);
    std::fs::write(d.join("s.toml"), &text).unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", "x", "--no-plots"],
        &d,
        &[],
        120,
    );
    let def = d.join("x/definition.toml");
    let f = std::fs::OpenOptions::new().write(true).open(&def).unwrap();
    f.set_len(60).unwrap();
    drop(f);
    for args in [
        &["sweep", "s.toml", "--out", "x", "--no-plots"][..],
        &["merge", "x", "--no-plots"][..],
        &["plot", "x"][..],
    ] {
        let o = run_env(args, &d, &[], 60);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("x/definition.toml is damaged")
                && err.contains("--restore-definition")
                && !err.contains("delete x")
                && !err.contains("part file x/data"),
            "{args:?}: {err}"
        );
    }
    // Restored from the parts' metadata: the same text, the damaged one kept aside.
    run_ok(&["merge", "x", "--restore-definition"], &d, &[], 60);
    assert_eq!(std::fs::read_to_string(&def).unwrap(), text);
    assert_eq!(
        std::fs::read_dir(d.join("x/quarantine")).unwrap().count(),
        1
    );
    run_ok(&["merge", "x", "--no-plots"], &d, &[], 60);
    // An edit that still parses: merge says so, and does not blame the parts.
    std::fs::write(&def, text.replace("seed = 7", "seed = 8")).unwrap();
    let o = run_env(&["merge", "x", "--no-plots"], &d, &[], 60);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("damaged or was edited") && err.contains("every part file"),
        "{err}"
    );
    // A truly different sweep's folder is still "a different definition".
    std::fs::write(&def, &text).unwrap();
    std::fs::write(d.join("o.toml"), text.replace("seed = 7", "seed = 9")).unwrap();
    let o = run_env(
        &["sweep", "o.toml", "--out", "x", "--no-plots"],
        &d,
        &[],
        60,
    );
    assert!(
        stderr(&o).contains("different sweep definition"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bytes_that_other_readers_trust_are_covered_by_the_checksum() {
    // Issue 20 #8: flipping byte 50, or a byte of the footer's ARROW:schema, passed brunel
    // and polars while pyarrow and pandas could not read the file.
    let d = scratch("allbytes");
    std::fs::write(d.join("s.toml"), small_sweep("ab", 2, 1, 1, 300.0, 400)).unwrap();
    run_ok(
        &["sweep", "s.toml", "--out", "x", "--no-plots"],
        &d,
        &[],
        120,
    );
    let reference = rows(&d.join("x"));
    let part = part_files(&d.join("x"))[0].clone();
    let good = std::fs::read(&part).unwrap();
    let schema = good
        .windows(12)
        .rposition(|w| w == b"ARROW:schema")
        .unwrap();
    for at in [50, schema + 30] {
        let mut b = good.clone();
        b[at] ^= 0x10;
        std::fs::write(&part, &b).unwrap();
        let o = run_env(&["merge", "x", "--no-plots"], &d, &[], 60);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "byte {at}: {err}");
        assert!(
            err.contains("damaged") && err.contains("file checksum"),
            "byte {at}: {err}"
        );
        let o = run_ok(
            &["sweep", "s.toml", "--out", "x", "--no-plots"],
            &d,
            &[],
            120,
        );
        assert!(
            stderr(&o).contains("quarantine"),
            "byte {at}: {}",
            stderr(&o)
        );
        assert_eq!(
            rows(&d.join("x")),
            reference,
            "byte {at}: redone to the same rows"
        );
        // The redone runs are the only part now; flip it next.
        let parts = part_files(&d.join("x"));
        assert_eq!(parts.len(), 1);
        std::fs::rename(&parts[0], &part).unwrap();
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_signal_during_the_theory_trace_is_honoured_promptly() {
    // Issue 20 #7: with V_r = -1e9 the theory's lines take tens of seconds; TERM after the
    // heatmaps was ignored until the regime map was drawn (exit 0 about 19 s later).
    let d = scratch("termtrace");
    let text = small_sweep("tt", 2, 2, 1, 300.0, 400)
        .replace("v_sample_n = 50", "v_sample_n = 50\nV_r = -1e9");
    std::fs::write(d.join("s.toml"), text).unwrap();
    let heatmaps = |dir: &Path| {
        std::fs::read_dir(dir.join("plots"))
            .map(|r| {
                r.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("heatmap_"))
                    .count()
            })
            .unwrap_or(0)
    };
    for (what, args) in [
        ("sweep", &["sweep", "s.toml", "--out", "x", "--quiet"][..]),
        ("plot", &["plot", "x"][..]),
    ] {
        let _ = std::fs::remove_dir_all(d.join("x/plots"));
        let child = spawn(args, &d, &[]);
        let t0 = Instant::now();
        while heatmaps(&d.join("x")) < 6 {
            assert!(
                t0.elapsed() < Duration::from_secs(120),
                "{what}: no heatmaps"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Now in the theory's tracing (it takes far longer than this pause).
        std::thread::sleep(Duration::from_millis(300));
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let o = finish(child, 10, what);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{what}: {err}");
        assert!(
            err.contains("stopped by a signal while drawing"),
            "{what}: {err}"
        );
        assert!(!d.join("x/plots/regime_map.png").exists(), "{what}");
    }
    // The rows are all there: merge without figures is complete.
    run_ok(&["merge", "x", "--no-plots"], &d, &[], 60);
    std::fs::remove_dir_all(&d).unwrap();
}
