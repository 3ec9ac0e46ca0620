//! Helpers shared by the integration tests: run the binary, scratch folders, small sweeps.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_brunel")
}

pub fn brunel(args: &[&str], cwd: &Path) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("brunel-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A small Brunel sweep: `n_g` × `n_eta` points, `reps` replicates, `duration_ms` each.
pub fn small_sweep(
    name: &str,
    n_g: usize,
    n_eta: usize,
    reps: usize,
    duration_ms: f64,
    n_e: usize,
) -> String {
    let gs: Vec<String> = (0..n_g).map(|k| format!("{}", 4.0 + k as f64)).collect();
    let etas: Vec<String> = (0..n_eta)
        .map(|k| format!("{}", 1.0 + 0.5 * k as f64))
        .collect();
    format!(
        "name = \"{name}\"\nmodel = \"brunel\"\nseed = 7\nreplicates = {reps}\nduration_ms = {duration_ms}\nwarmup_ms = 50\n\n[fixed]\nN_E = {n_e}\nN_I = {}\nepsilon = 0.2\nv_sample_n = 50\n\n[[axis]]\nparam = \"g\"\nvalues = [{}]\n\n[[axis]]\nparam = \"eta\"\nvalues = [{}]\n\n[[keep_spikes]]\ng = 4\neta = 1\n",
        n_e / 4,
        gs.join(", "),
        etas.join(", ")
    )
}

/// Every row of a results folder, sorted by (point, replicate), without timing columns.
pub fn rows(dir: &Path) -> Vec<brunel::sweep::row::Row> {
    let def = brunel::sweep::merge::folder_definition(dir).unwrap();
    let layout = brunel::store::layout::Layout::new(dir);
    let rows = brunel::sweep::merge::gather(&def, &layout).unwrap().rows;
    rows.into_iter().map(|r| r.without_timings()).collect()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The python of the test venv (created once by `tests/python/setup-venv.sh`: polars,
/// pyarrow, pandas, DuckDB, matplotlib, mpmath).
pub fn check_venv_python() -> String {
    let setup = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/setup-venv.sh"
        ))
        .output()
        .expect("bash runs");
    assert!(
        setup.status.success(),
        "venv setup failed: {}",
        stderr(&setup)
    );
    String::from_utf8(setup.stdout)
        .expect("a path")
        .trim()
        .to_string()
}
