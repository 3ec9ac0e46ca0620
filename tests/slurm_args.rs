//! `brunel slurm` does not trust its arguments: every value that would reach an `#SBATCH`
//! line is checked, a results folder of another sweep is left alone, and a refusal is one
//! `error:` line naming the option, with nothing written.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file (with its bytes) and folder (None) under `dir`, by path relative to it.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if p.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A scratch folder with `s.toml`: sweep `arr`, 2 g × 3 eta × 1 replicate = 6 runs.
fn setup(name: &str) -> PathBuf {
    let d = scratch(name);
    std::fs::write(d.join("s.toml"), small_sweep("arr", 2, 3, 1, 200.0, 400)).unwrap();
    d
}

/// Asserts a refusal: exit 2, stderr one `error:` line naming `option` (and `needle`), no
/// panic.
fn assert_refused(out: &std::process::Output, option: &str, needle: &str, what: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{what}: expected one line, got:\n{err}"
    );
    assert!(err.starts_with("error: "), "{what}: {err}");
    assert!(
        err.contains(option),
        "{what}: `{option}` not named in: {err}"
    );
    assert!(err.contains(needle), "{what}: `{needle}` missing in: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

#[test]
fn each_bad_option_is_refused_in_one_line_and_nothing_is_written() {
    let d = setup("slurmargs-bad");
    let before = snapshot(&d);
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--partition=x\n#SBATCH --wrap=rm -rf ~"],
            "--partition",
            "letters, digits",
        ),
        (&["--partition=x\r"], "--partition", "\\r"),
        (&["--partition=a b"], "--partition", "commas"),
        (&["--partition=a#b"], "--partition", "commas"),
        (&["--partition=a,,b"], "--partition", "commas"),
        (&["--partition="], "--partition", "commas"),
        (&["--mem=lots"], "--mem `lots`", "K, M, G or T"),
        (&["--mem=4G\n#SBATCH --wrap=rm"], "--mem", "K, M, G or T"),
        (&["--mem=0"], "--mem `0`", "K, M, G or T"),
        (&["--mem=4.5G"], "--mem", "K, M, G or T"),
        (&["--mem=-4G"], "--mem", "K, M, G or T"),
        (&["--time=4h"], "--time `4h`", "days-hours:minutes:seconds"),
        (&["--time=00:61:00"], "--time", "minutes 61 is not below 60"),
        (&["--time=1-24"], "--time", "hours 24 is not below 24"),
        (&["--time=1:2:3:4"], "--time", "days-hours:minutes"),
        (&["--time=01:00:00\n#SBATCH --wrap=rm"], "--time", "\\n"),
        (&["--time=0"], "--time", "no limit"),
        (&["--time=UNLIMITED"], "--time", "minutes:seconds"),
        (&["--shards=1000000"], "--shards 1000000", "--shards 6"),
        (&["--shards=7"], "--shards 7", "only 6 runs"),
        (&["--shards=0"], "--shards 0", "at least 1"),
        (&["--cpus-per-task=5000"], "--cpus-per-task 5000", "4096"),
        (&["--cpus-per-task=0"], "--cpus-per-task 0", "4096"),
        (&["--time=00:04:00"], "--signal-before-s", "--time"),
        (&["--out=with space"], "--out", "#SBATCH --output="),
        (&["--out=100%done"], "--out", "`%`"),
        (&["--out=line\nbreak"], "--out", "\\n"),
    ];
    for (extra, option, needle) in cases {
        let mut args = vec!["slurm", "s.toml"];
        if !extra.iter().any(|a| a.starts_with("--shards")) {
            args.extend(["--shards", "3"]);
        }
        if !extra.iter().any(|a| a.starts_with("--out")) {
            args.extend(["--out", "o"]);
        }
        args.extend_from_slice(extra);
        let out = brunel(&args, &d);
        assert_refused(&out, option, needle, &format!("{extra:?}"));
        assert_eq!(
            snapshot(&d),
            before,
            "{extra:?}: something was written: {}",
            stderr(&out)
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_folder_of_another_sweep_is_refused_and_left_unchanged() {
    let d = setup("slurmargs-foreign");
    let o = d.join("o");
    std::fs::create_dir_all(o.join("data")).unwrap();
    std::fs::write(
        o.join("definition.toml"),
        small_sweep("arr", 3, 3, 1, 200.0, 400),
    )
    .unwrap();
    std::fs::write(o.join("data/part-0.parquet"), b"not really parquet").unwrap();
    let before = snapshot(&d);
    let out = brunel(&["slurm", "s.toml", "--shards", "3", "--out", "o"], &d);
    assert_refused(
        &out,
        "--out",
        "different sweep definition",
        "foreign folder",
    );
    assert_eq!(snapshot(&d), before, "the foreign folder was changed");
    assert!(!o.join("slurm").exists());

    // The default folder results/<name> is checked the same way.
    let r = d.join("results/arr");
    std::fs::create_dir_all(&r).unwrap();
    std::fs::write(r.join("definition.toml"), "name = \"other\"\n").unwrap();
    let before = snapshot(&d);
    let out = brunel(&["slurm", "s.toml", "--shards", "3"], &d);
    assert_refused(
        &out,
        "--out",
        "different sweep definition",
        "default folder",
    );
    assert_eq!(snapshot(&d), before);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_good_invocation_writes_the_script_and_no_definition() {
    let d = setup("slurmargs-good");
    let out = brunel(
        &[
            "slurm",
            "s.toml",
            "--shards",
            "6",
            "--cpus-per-task",
            "4",
            "--time",
            "1-12",
            "--partition",
            "short,long-2",
            "--mem",
            "4g",
            "--out",
            "o",
        ],
        &d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("submit:   sbatch") && stdout.contains("merge:"),
        "{stdout}"
    );
    let script = std::fs::read_to_string(d.join("o/slurm/arr.sbatch")).unwrap();
    let sbatch: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("#SBATCH"))
        .collect();
    let logs = std::fs::canonicalize(d.join("o/slurm/logs")).unwrap();
    assert_eq!(
        sbatch,
        [
            "#SBATCH --job-name=arr".to_string(),
            "#SBATCH --array=0-5".into(),
            "#SBATCH --cpus-per-task=4".into(),
            "#SBATCH --ntasks=1".into(),
            "#SBATCH --time=1-12".into(),
            "#SBATCH --partition=short,long-2".into(),
            "#SBATCH --mem=4G".into(),
            format!("#SBATCH --output={}/%A_%a.out", logs.display()),
            "#SBATCH --open-mode=append".into(),
            "#SBATCH --signal=B:TERM@180".into(),
        ]
    );
    assert!(
        !d.join("o/definition.toml").exists(),
        "the script must not write the definition; the tasks do"
    );

    // A folder holding this very definition is accepted (a resubmission), and kept as is.
    std::fs::write(
        d.join("o/definition.toml"),
        small_sweep("arr", 2, 3, 1, 200.0, 400),
    )
    .unwrap();
    let out = brunel(
        &[
            "slurm", "s.toml", "--shards", "2", "--time", "90", "--out", "o",
        ],
        &d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let script = std::fs::read_to_string(d.join("o/slurm/arr.sbatch")).unwrap();
    assert!(
        script.contains("#SBATCH --array=0-1\n") && script.contains("#SBATCH --time=90\n"),
        "{script}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("o/definition.toml")).unwrap(),
        small_sweep("arr", 2, 3, 1, 200.0, 400)
    );
    std::fs::remove_dir_all(&d).unwrap();
}
