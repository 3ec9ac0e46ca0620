//! Helpers shared by the integration tests: run the binary, scratch folders, small sweeps.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// The binary as a child with piped output and extra environment.
pub fn spawn(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Child {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().unwrap()
}

/// Waits for a child at most `limit_s` seconds; a child still running then is killed and the
/// test fails (a hang).
pub fn finish(mut child: Child, limit_s: u64, what: &str) -> Output {
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if t0.elapsed() > Duration::from_secs(limit_s) {
            let _ = child.kill();
            panic!("{what}: still running after {limit_s} s (a hang)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn run_env(args: &[&str], cwd: &Path, env: &[(&str, &str)], limit_s: u64) -> Output {
    finish(spawn(args, cwd, env), limit_s, &args.join(" "))
}

/// [`run_env`] that must succeed.
pub fn run_ok(args: &[&str], cwd: &Path, env: &[(&str, &str)], limit_s: u64) -> Output {
    let o = run_env(args, cwd, env, limit_s);
    assert!(o.status.success(), "{}: {}", args.join(" "), stderr(&o));
    o
}

/// A small tmpfs mounted for a test, unmounted on drop. Tests run as root here and in CI.
pub struct SmallDisk(pub PathBuf);

impl SmallDisk {
    pub fn mount(at: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "cannot mount a tmpfs at {} (the disk-full test needs root)",
            at.display()
        );
        SmallDisk(at.to_path_buf())
    }
    pub fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    /// Fills the disk, then frees `free_bytes` of it again.
    pub fn fill_leaving(&self, free_bytes: u64) -> PathBuf {
        let fill = self.0.join("fill");
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=4k", "count=100000"])
            .arg(format!("of={}", fill.display()))
            .stderr(Stdio::null())
            .status();
        let f = std::fs::OpenOptions::new().write(true).open(&fill).unwrap();
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(free_bytes)).unwrap();
        fill
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
