//! Issue 9: no panic, abort or hang is reachable from user input or file contents.
//!
//! Deterministic property tests (ChaCha8 with fixed seeds, no fuzzing dependency): every case
//! is reproducible from its seed and case number, which a failure prints together with the
//! input (definition text) or the path of the saved input file (Parquet bytes).
//!
//! | test                                            | cases                              | seed(s)         | CPU    |
//! |-------------------------------------------------|------------------------------------|-----------------|--------|
//! | definition_mutations_never_panic                | 20000 mutants + 4000 random texts  | 0x9_0001, 0x9_0002 | ~2 s |
//! | definition_edge_cases_never_panic               | ~60 hand-written texts             | -               | <0.1 s |
//! | huge_grids_are_refused_quickly (ignored)        | 6 huge grids                       | -               | -      |
//! | parsed_definitions_can_be_tabulated (ignored)   | 4 texts                            | -               | -      |
//! | parquet_mutations_never_panic                   | 2 × 3000 corrupted files           | 0x9_0011, 0x9_0012 | ~1.4 s |
//! | single_bit_flips_of_part_file_pages_never_abort | 5096 flips (every bit of the pages)| -               | ~1.5 s |
//! | hostile_spike_files_are_errors_not_panics       | ~57 well-formed spike files        | -               | ~0.7 s |
//! | figures_of_odd_recordings_do_not_panic          | 9 recordings × 8 windows           | -               | ~0.8 s |
//! | hostile_part_files_are_errors_not_panics        | 9 well-formed part files           | -               | <0.1 s |
//! | part_files_without_a_u32_key_are_refused (ign.) | 5 part files                       | -               | -      |
//! | accepted_extreme_definitions_run_or_fail_cleanly| 17 `brunel sweep` child processes  | -               | ~1 s   |
//! | accepted_definitions_that_break_the_run (ign.)  | 5 `brunel sweep` child processes   | -               | -      |
//!
//! CPU is user + system time in release on the 2-core dev machine (all tests: ~7 s CPU, 14 s
//! wall). Wall time is close to CPU time on an idle machine, but each Parquet read waits on
//! polars' thread pool, so with the cores busy (load 4-6) the two Parquet tests took 17 s and
//! 5 s of wall time. The ignored tests name the open bug in their `ignore` reason; enable each
//! once it is fixed.
//!
//! Every case runs under `catch_unwind` with a per-case time limit; a watchdog ends the whole
//! test binary (exit 3, naming the case) if one case runs for more than 60 s, so a hang fails
//! instead of blocking CI. A process abort (e.g. a failed huge allocation) cannot be caught:
//! the Parquet tests leave the case being read at `$TMPDIR/brunel-fuzz-*/case*.parquet`.
//! The random tests also stop early (with a note on stderr) past a wall-clock budget (30 s,
//! 60 s), so a slow debug build stays bounded; `BRUNEL_FUZZ_SCALE=N` runs N times the random
//! cases, continuing the same sequences, for a longer search (N = 10-20 was run for issue 9).

use brunel::store::spikes::read_spikes as recording_from_spikes;
use brunel::store::{self, layout::Layout};
use brunel::sweep::definition::SweepDef;
use brunel::sweep::parts::{read_part, rows_to_frame};
use brunel::sweep::report::regime_table;
use brunel::sweep::row::{Row, Value};
use polars::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Harness: catch panics quietly (recording where they happened), time cases, stop hangs.

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}
/// Guarded calls running now (in any test thread), and the last panic of a library worker
/// thread (polars reads on its own rayon pool; such a panic reaches the caller by unwinding).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static WORKER_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// A panic hook that, inside [`guarded`], records the message, the location and the brunel
/// frames of the backtrace instead of printing; elsewhere it defers to the default hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let here = CATCHING.with(|c| c.get());
            let worker = !here
                && ACTIVE.load(Ordering::SeqCst) > 0
                && std::thread::current()
                    .name()
                    .is_some_and(|n| n.starts_with("polars") || n.starts_with("rayon"));
            if !here && !worker {
                return default(info);
            }
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string payload>".into());
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let bt = std::backtrace::Backtrace::force_capture().to_string();
            let frames: Vec<&str> = bt
                .lines()
                .map(str::trim)
                .filter(|l| {
                    (l.contains("brunel::") || l.contains("polars_io::parquet::read"))
                        && !l.contains("fuzz_inputs::")
                })
                .take(4)
                .collect();
            let text = format!("panicked at {loc}: {msg} [{}]", frames.join(" <- "));
            if here {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
            } else {
                *WORKER_PANIC.lock().unwrap() = Some(text);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err(description)`.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    LAST_PANIC.with(|p| p.borrow_mut().take());
    CATCHING.with(|c| c.set(true));
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    let r = catch_unwind(AssertUnwindSafe(f));
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    CATCHING.with(|c| c.set(false));
    r.map_err(|_| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .or_else(|| {
                WORKER_PANIC
                    .lock()
                    .unwrap()
                    .take()
                    .map(|w| format!("(worker) {w}"))
            })
            .unwrap_or_else(|| "panicked (in another thread)".into())
    })
}

/// Ends the process if one case runs longer than `limit`: a hang must fail, not block.
struct Watchdog {
    current: Arc<Mutex<(Instant, String)>>,
    stop: Arc<AtomicBool>,
}

impl Watchdog {
    fn new(limit: Duration) -> Watchdog {
        let current = Arc::new(Mutex::new((Instant::now(), String::from("start"))));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (current.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let (t, what) = c.lock().unwrap().clone();
                if t.elapsed() > limit && !s.load(Ordering::Relaxed) {
                    eprintln!(
                        "HANG: case `{what}` has run for {:?}; stopping",
                        t.elapsed()
                    );
                    std::process::exit(3);
                }
            }
        });
        Watchdog { current, stop }
    }
    fn case(&self, what: impl Into<String>) {
        *self.current.lock().unwrap() = (Instant::now(), what.into());
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Failures of one test: distinct panic sites with their first input, and slow cases.
#[derive(Default)]
struct Findings {
    seen: Vec<(String, usize, String)>,
    slow: Vec<String>,
    cases: usize,
}

impl Findings {
    fn panic(&mut self, what: String, input: impl FnOnce() -> String) {
        // Group by the panic site (message text may vary with the input).
        let site = what.split(": ").next().unwrap_or(&what).to_string();
        if let Some(s) = self.seen.iter_mut().find(|s| s.0.starts_with(&site)) {
            s.1 += 1;
        } else {
            self.seen.push((what, 1, input()));
        }
    }
    fn timed(&mut self, t: Instant, limit: Duration, input: impl FnOnce() -> String) {
        if t.elapsed() > limit && self.slow.len() < 5 {
            self.slow.push(format!("{:?} for {}", t.elapsed(), input()));
        }
    }
    fn check(&self, test: &str) {
        if self.seen.is_empty() && self.slow.is_empty() {
            return;
        }
        let mut msg = format!("{test}: of {} cases:\n", self.cases);
        for (what, n, input) in &self.seen {
            msg.push_str(&format!("  {n} × {what}\n    first input: {input}\n"));
        }
        for s in &self.slow {
            msg.push_str(&format!("  too slow: {s}\n"));
        }
        panic!("{msg}");
    }
}

/// `BRUNEL_FUZZ_SCALE=N` runs N times the cases (and time budget) of the random tests, for a
/// longer search; the first cases are the same as with the default of 1.
fn scale() -> usize {
    std::env::var("BRUNEL_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

fn scratch(name: &str) -> PathBuf {
    // A fresh folder per call: tests run in parallel threads of one process.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("brunel-fuzz-{name}-{}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn shown(text: &str) -> String {
    let t: String = text.chars().take(600).collect();
    if t.len() < text.len() {
        format!("{t:?}… ({} bytes)", text.len())
    } else {
        format!("{t:?}")
    }
}

// ---------------------------------------------------------------------------------------------
// (a) Sweep definition text.

const SMALL_GRID: &str = r#"
name = "t"
model = "brunel"
seed = 3
replicates = 2
duration_ms = 300
warmup_ms = 100
[fixed]
N_E = 400
N_I = 100
[[axis]]
param = "g"
values = [4, 5]
[[axis]]
param = "eta"
linspace = { start = 1, stop = 2, num = 3 }
[[keep_spikes]]
g = 5
eta = 1.5
"#;

const POINT_LIST: &str = "name = \"f\"\nmodel = \"brunel\"\nseed = 1\n[[point]]\ng = 3\neta = 2\n[[point]]\ng = 4.5\neta = 0.9\n[[keep_spikes]]\n";

const EVERY_SECTION: &str = r#"
name = "every.section_1"
model = "brunel"
description = "all tables"
seed = 0
replicates = 3
duration_ms = 500
warmup_ms = 0
[fixed]
N_E = 80
N_I = 20
epsilon = 0.2
v_sample_n = 10
dt_ms = 0.5
[[axis]]
param = "g"
arange = { start = 2, stop = 8, step = 1.5 }
[[axis]]
param = "eta"
values = [0.5, 1, 2]
[analysis]
cv_min_spikes = 3
fano_bin_ms = 2
fano_slow_bin_ms = 10
welch_segment_ms = 100
spectrum_min_hz = 5
[classifier]
quiescent_max_hz = 0.2
regular_max_cv = 0.2
si_min_fano = 280
si_slow_min_fano = 300
si_fast_min_hz = 80
[[keep_spikes]]
g = 2
[plots]
heatmaps = ["rate_hz", "chi"]
regime_map = true
fig8_window_ms = [100, 300]
"#;

const TUTORIAL: &str = "name = \"tut\"\nmodel = \"tutorial\"\nseed = 42\nreplicates = 2\n[[axis]]\nparam = \"ext_rate_hz\"\nvalues = [0, 50, 400]\n[[keep_spikes]]\next_rate_hz = 50\n[plots]\nheatmaps = []\nregime_map = false\n";

fn definition_corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
    let mut texts: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    texts.sort();
    assert!(texts.len() >= 4, "the shipped definitions are the corpus");
    let mut out: Vec<String> = texts.into_iter().map(|(_, t)| t).collect();
    out.extend([SMALL_GRID, POINT_LIST, EVERY_SECTION, TUTORIAL].map(String::from));
    for t in &out {
        SweepDef::parse(t, "corpus.toml").unwrap_or_else(|e| panic!("corpus entry invalid: {e}"));
    }
    out
}

/// Numbers a mutation puts in place of a number.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "3.5",
    "0.0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-320",
    "-1e-320",
    "nan",
    "+nan",
    "-nan",
    "inf",
    "-inf",
    "+inf",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e400",
    "4294967295",
    "4294967296",
    "1000000",
    "1000001",
    "1e8",
    "100000001",
    "0x7fffffff",
    "0o777",
    "0b1",
    "1_000",
    "1__0",
    "1e",
    ".5",
    "5.",
    "01",
    "1e9",
    "0.1",
    "10",
    "10.000001",
    "1979-05-27T07:32:00Z",
    "true",
    "\"5\"",
    "[]",
    "{}",
];

/// Lines a mutation inserts.
const SNIPPETS: &[&str] = &[
    "[[axis]]",
    "[[point]]",
    "[fixed]",
    "[analysis]",
    "[classifier]",
    "[plots]",
    "[[keep_spikes]]",
    "[[plots]]",
    "[axis]",
    "[fixed.nested]",
    "[[axis.linspace]]",
    "param = \"g\"",
    "param = \"eta\"",
    "param = \"N_E\"",
    "param = \"dt_ms\"",
    "param = \"\"",
    "param = 5",
    "values = []",
    "values = [nan]",
    "values = [1e308, -1e308]",
    "values = [1, \"a\", [2]]",
    "values = [[1, 2], [3]]",
    "linspace = { start = 0, stop = 8, num = 0 }",
    "linspace = { start = nan, stop = inf, num = 3 }",
    "linspace = { start = 1e308, stop = -1e308, num = 50 }",
    "linspace = { start = 0, stop = 1 }",
    "arange = { start = 0, stop = 1, step = 0 }",
    "arange = { start = 0, stop = 1, step = -1 }",
    "arange = { start = nan, stop = 1, step = 0.5 }",
    "arange = { start = 5, stop = 1, step = 0.5 }",
    "arange = { start = 0, stop = 1, step = nan }",
    "arange = { start = 1e-320, stop = 2e-320, step = 1e-321 }",
    "g = nan",
    "g = -1",
    "eta = 1e308",
    "g = { x = 1 }",
    "g = [1, 2]",
    "g = \"five\"",
    "N_E = 1e8",
    "N_E = 100000000",
    "N_E = 0",
    "N_E = 1.5",
    "N_I = 1",
    "epsilon = 1e-320",
    "epsilon = 1",
    "epsilon = 0",
    "J = 1e308",
    "D_ms = 1e-320",
    "tau_m_ms = 1e-320",
    "dt_ms = 1e-300",
    "dt_ms = 10",
    "duration_ms = 1e9",
    "duration_ms = 1e-300",
    "warmup_ms = inf",
    "warmup_ms = 1e308",
    "V_r = -1e308",
    "theta = 1e-320",
    "v_sample_n = 100000000",
    "v_sample_every_ms = 1e-320",
    "autapses = 1",
    "ext_rate_hz = 1e308",
    "replicates = 1000000",
    "replicates = 0",
    "replicates = -1",
    "seed = -1",
    "seed = 9223372036854775807",
    "seed = 0",
    "fig8_window_ms = [nan, nan]",
    "fig8_window_ms = [1]",
    "fig8_window_ms = [0, inf]",
    "fig8_window_ms = [1, 2, 3]",
    "fig8_window_ms = [-0.0, 1e-320]",
    "heatmaps = [\"\", \"\\u0000\", \"ünï\"]",
    "regime_map = 1",
    "cv_min_spikes = 0",
    "cv_min_spikes = -1",
    "cv_min_spikes = 18446744073709551615",
    "fano_bin_ms = 0",
    "fano_bin_ms = -1",
    "welch_segment_ms = nan",
    "spectrum_min_hz = inf",
    "regular_max_cv = nan",
    "a = { b = { c = { d = [[[[1]]]] } } }",
    "name = \"ünïcødé\"",
    "name = \"..\"",
    "name = \".\"",
    "name = \"a/b\"",
    "name = \"\"",
    "name = \"x\\u0000y\"",
    "model = \"tutorial\"",
    "model = \"\"",
    "model = \"brunel\\n\"",
    "'quoted key' = 1",
    "x.y.z = 1",
    "\"\\uD800\" = 1",
    "= 1",
    "[",
    "]]",
    "\u{feff}",
    "\0",
    "\r",
    "\r\n",
    "\t",
    "# ünïcode 🚀 comment",
    "description = '''\nmulti\nline'''",
    "description = \"\"\"",
    "🚀 = 1",
    "g = 5\neta = 2",
    "[[point]]\n[[point]]\ng = 1",
    "[[keep_spikes]]\ng = nan",
    "[[keep_spikes]]\nnot_swept = 1",
    "[[axis]]\nparam = \"g\"\nvalues = [1]",
    "[[axis]]\nparam = \"eta\"\nvalues = [1]",
    "[[axis]]\nparam = \"tau_rp_ms\"\nvalues = [0, 1e308]",
];

/// Byte range of the number token around byte `i` of `s` (ASCII only).
fn number_at(s: &[u8], i: usize) -> (usize, usize) {
    let part = |b: u8| b.is_ascii_alphanumeric() || b"._+-".contains(&b);
    let (mut a, mut b) = (i, i);
    while a > 0 && part(s[a - 1]) {
        a -= 1;
    }
    while b < s.len() && part(s[b]) {
        b += 1;
    }
    (a, b)
}

fn long_string(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..4) {
        0 => "x".repeat(rng.random_range(1000..200_000)),
        1 => "ü🚀\u{202e}\u{0301}".repeat(rng.random_range(1..5000)),
        2 => "\\\\\\\"".repeat(rng.random_range(1..1000)),
        _ => (0..rng.random_range(1..500))
            .map(|_| char::from_u32(rng.random_range(0x20..0x2FFFF)).unwrap_or('?'))
            .collect(),
    }
}

/// One random edit of a definition text.
fn mutate_once(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut bytes = text.as_bytes().to_vec();
    match rng.random_range(0..12) {
        0 if !bytes.is_empty() => {
            let i = rng.random_range(0..bytes.len());
            bytes[i] ^= 1 << rng.random_range(0..8);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        1 if !bytes.is_empty() => {
            const CH: &[u8] = b"[]{}=,.\"'#\n \t0123456789-+eEinfatrulsx_\\";
            let i = rng.random_range(0..bytes.len());
            bytes[i] = CH[rng.random_range(0..CH.len())];
            String::from_utf8_lossy(&bytes).into_owned()
        }
        2 if !lines.is_empty() => {
            lines.remove(rng.random_range(0..lines.len()));
            lines.join("\n")
        }
        3 if !lines.is_empty() => {
            let l = lines[rng.random_range(0..lines.len())].clone();
            lines.insert(rng.random_range(0..=lines.len()), l);
            lines.join("\n")
        }
        4 if lines.len() > 1 => {
            let (a, b) = (
                rng.random_range(0..lines.len()),
                rng.random_range(0..lines.len()),
            );
            lines.swap(a, b);
            lines.join("\n")
        }
        5 | 6 => {
            // Replace a number by an extreme value.
            let digits: Vec<usize> = (0..bytes.len())
                .filter(|&i| bytes[i].is_ascii_digit())
                .collect();
            if digits.is_empty() {
                return text.to_string();
            }
            let (a, b) = number_at(&bytes, digits[rng.random_range(0..digits.len())]);
            let with = EXTREMES[rng.random_range(0..EXTREMES.len())];
            format!("{}{with}{}", &text[..a], &text[b..])
        }
        7 | 8 => {
            let s = SNIPPETS[rng.random_range(0..SNIPPETS.len())];
            lines.insert(rng.random_range(0..=lines.len()), s.to_string());
            lines.join("\n")
        }
        9 => {
            let mut i = rng.random_range(0..=bytes.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text[..i].to_string()
        }
        10 => {
            // Replace the contents of a string literal by a long or odd one.
            let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
            if quotes.len() < 2 {
                return text.to_string();
            }
            let k = rng.random_range(0..quotes.len() - 1);
            let s = long_string(rng).replace('"', "'").replace('\\', "/");
            format!(
                "{}\"{s}\"{}",
                &text[..quotes[k]],
                &text[quotes[k + 1] + 1..]
            )
        }
        _ if !bytes.is_empty() => {
            let a = rng.random_range(0..bytes.len());
            let b = (a + rng.random_range(1..40)).min(bytes.len());
            bytes.drain(a..b);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => text.to_string(),
    }
}

/// Whether a text would expand to a grid too large for this test (more than `max` points or
/// values per axis): those belong to `huge_grids_are_refused_quickly`, not here.
fn grid_too_large(text: &str, max: f64) -> bool {
    let Ok(v) = text.parse::<toml::Table>() else {
        return false;
    };
    let Some(toml::Value::Array(axes)) = v.get("axis") else {
        return false;
    };
    let num = |t: &toml::Value, k: &str| match t.get(k) {
        Some(toml::Value::Integer(n)) => Some(*n as f64),
        Some(toml::Value::Float(f)) => Some(*f),
        _ => None,
    };
    let mut product = 1.0f64;
    for a in axes {
        let n = if let Some(l) = a.get("linspace") {
            num(l, "num").unwrap_or(1.0)
        } else if let Some(r) = a.get("arange") {
            match (num(r, "start"), num(r, "stop"), num(r, "step")) {
                (Some(s), Some(e), Some(st)) if st > 0.0 => {
                    let n = (e - s) / st;
                    if n.is_nan() {
                        1.0
                    } else {
                        n
                    }
                }
                _ => 1.0,
            }
        } else if let Some(toml::Value::Array(v)) = a.get("values") {
            v.len() as f64
        } else {
            1.0
        };
        if n > max {
            return true;
        }
        product *= n.max(1.0);
    }
    product > max
}

/// What a parsed definition is asked next by the runner: runs, descriptions, parameters.
fn use_definition(d: &SweepDef) {
    let n = d.n_points().min(50);
    let _ = d.n_runs();
    for p in 0..n {
        let _ = d.describe(p);
        let _ = d.keeps_spikes(p);
        let _ = d.params_at(p);
    }
}

/// Parses one text (and uses the definition); returns whether it was valid.
fn parse_case(f: &mut Findings, text: &str, limit: Duration) -> bool {
    f.cases += 1;
    let t = Instant::now();
    let valid = match guarded(|| SweepDef::parse(text, "fuzz.toml").map(|d| use_definition(&d))) {
        Ok(r) => r.is_ok(),
        Err(p) => {
            f.panic(p, || shown(text));
            false
        }
    };
    f.timed(t, limit, || shown(text));
    valid
}

#[test]
fn definition_mutations_never_panic() {
    let corpus = definition_corpus();
    let dog = Watchdog::new(Duration::from_secs(60));
    let mut f = Findings::default();
    let budget = Instant::now();
    let (mut skipped, mut ok) = (0usize, 0usize);
    // Mutants of the shipped and hand-written definitions.
    let mut rng = ChaCha8Rng::seed_from_u64(0x9_0001);
    for case in 0..20_000 * scale() {
        if budget.elapsed() > Duration::from_secs(30) * scale() as u32 {
            eprintln!("definition mutants: time budget spent after {case} cases");
            break;
        }
        let mut text = corpus[rng.random_range(0..corpus.len())].clone();
        for _ in 0..rng.random_range(1..=4) {
            text = mutate_once(&mut rng, &text);
        }
        if grid_too_large(&text, 5000.0) {
            skipped += 1;
            continue;
        }
        dog.case(format!("definition mutant {case} (seed 0x9_0001)"));
        ok += parse_case(&mut f, &text, Duration::from_secs(2)) as usize;
    }
    // Pure random text: bytes, and TOML-ish characters.
    let mut rng = ChaCha8Rng::seed_from_u64(0x9_0002);
    for case in 0..4000 * scale() {
        let len = rng.random_range(0..400);
        let text = if case % 2 == 0 {
            let mut b = vec![0u8; len];
            rng.fill(&mut b[..]);
            String::from_utf8_lossy(&b).into_owned()
        } else {
            const CH: &[u8] = b"[]{}=,.\"'#\n \t0123456789-+eEinfatrulsx_\\abcdgmopqvwyz";
            (0..len)
                .map(|_| CH[rng.random_range(0..CH.len())] as char)
                .collect()
        };
        dog.case(format!("random definition {case} (seed 0x9_0002)"));
        parse_case(&mut f, &text, Duration::from_secs(2));
    }
    eprintln!(
        "definition fuzz: {} cases ({ok} mutants valid), {skipped} huge grids skipped, {:?}",
        f.cases,
        budget.elapsed()
    );
    f.check("definition_mutations_never_panic");
}

/// Hand-written edges of the definition format; each must parse to Ok or Err.
#[test]
fn definition_edge_cases_never_panic() {
    let head = "name = \"e\"\nmodel = \"brunel\"\nseed = 1\n";
    let mut texts: Vec<String> = vec![
        String::new(),
        "\u{feff}".into(),
        "\0".into(),
        head.into(),
        format!("{head}[[point]]"),
        format!("{head}[[point]]\n[[point]]"),
        format!("{head}[[point]]\n[[point]]\ng = 1"),
        format!("{head}[[point]]\ng = 1\n[[point]]\neta = 1"),
        format!("{head}[[point]]\ng = 1\n[[point]]\ng = 1\neta = 2"),
        format!("{head}[[point]]\ng = nan"),
        format!("{head}[[point]]\ng = {{ x = 1 }}"),
        format!("{head}[[point]]\nN_E = 1e8\nN_I = 1e8\nepsilon = 1"),
        format!("{head}[[point]]\ng = 5\n[[axis]]\nparam = \"eta\"\nvalues = [1]"),
        format!("{head}[[axis]]\nparam = \"g\""),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [1]\nlinspace = {{ start = 0, stop = 1, num = 2 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\nlinspace = {{ start = 0, stop = 1, num = -9223372036854775808 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\nlinspace = {{ start = nan, stop = nan, num = 3 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\nlinspace = {{ start = -1e308, stop = 1e308, num = 3 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\nlinspace = {{ start = 1e308, stop = 1.7e308, num = 3 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\narange = {{ start = nan, stop = nan, step = nan }}"),
        format!("{head}[[axis]]\nparam = \"g\"\narange = {{ start = 1e308, stop = 1e308, step = 1 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\narange = {{ start = 1e300, stop = 1.7e308, step = 1e305 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\narange = {{ start = -inf, stop = -inf, step = 1 }}"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[[axis]]\nparam = \"g\"\nvalues = [5]"),
        format!("{head}[[axis]]\nparam = \"N_E\"\nvalues = [1, 1e8]\n[fixed]\nepsilon = 1e-320"),
        format!("{head}[[axis]]\nparam = \"dt_ms\"\nvalues = [1e-320, 10]"),
        format!("{head}[[axis]]\nparam = \"duration_ms\"\nvalues = [1e-320, 1e9]\n[fixed]\nwarmup_ms = 0"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[[keep_spikes]]\ng = nan"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[[keep_spikes]]\ng = 1e308"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[[keep_spikes]]\neta = 1"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[plots]\nfig8_window_ms = [nan, 1]"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[plots]\nfig8_window_ms = [0, 1e308]"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[analysis]\nfano_bin_ms = nan\nwelch_segment_ms = -1\ncv_min_spikes = 0"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n[fixed]\nv_sample_every_ms = 1e-320\nD_ms = 1e308"),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [{}]", vec!["5"; 20000].join(",")),
        format!("{head}[[axis]]\nparam = \"g\"\nvalues = [5]\n{}", "[[keep_spikes]]\ng = 5\n".repeat(2000)),
        format!("name = \"{}\"\nmodel = \"brunel\"\nseed = 1\n[[point]]\ng = 1", "a".repeat(100_000)),
        format!("name = \"x\"\nmodel = \"{}\"\nseed = 1\n[[point]]\ng = 1", "🚀".repeat(10_000)),
        format!("{head}description = \"{}\"\n[[point]]\ng = 1", "\\u0000".repeat(10_000)),
        format!("{head}[fixed]\n{}\n[[point]]\ng = 1", "N_E = 1\n".repeat(2)),
        format!("{head}[fixed]\n\"\" = 1\n[[point]]\ng = 1"),
        format!("{head}replicates = 1000000\n[[axis]]\nparam = \"g\"\nvalues = [5]"),
        format!("{head}seed = 2\n[[point]]\ng = 1"),
        "name = \"x\"\nmodel = \"brunel\"\nseed = -9223372036854775808\n[[point]]\ng = 1".into(),
        "name = 1\nmodel = 2\nseed = \"3\"".into(),
        "[[axis]]\n[[axis]]\n[[axis]]".into(),
        format!("{head}\r\n[[point]]\r\ng = 1\r\n"),
        format!("{head}[[point]]\ng = 1 # 🚀\n\u{2028}"),
    ];
    // Deep nesting: arrays, inline tables, dotted keys and table headers.
    for depth in [64, 1000, 20_000] {
        texts.push(format!(
            "{head}x = {}1{}",
            "[".repeat(depth),
            "]".repeat(depth)
        ));
        texts.push(format!(
            "{head}x = {}1{}",
            "{a=".repeat(depth),
            "}".repeat(depth)
        ));
        texts.push(format!("{head}{} = 1", vec!["a"; depth].join(".")));
        texts.push(format!("{head}[{}]", vec!["a"; depth].join(".")));
        texts.push(format!(
            "{head}[[point]]\ng = {}1{}",
            "[".repeat(depth),
            "]".repeat(depth)
        ));
    }
    let dog = Watchdog::new(Duration::from_secs(60));
    let mut f = Findings::default();
    for (i, t) in texts.iter().enumerate() {
        dog.case(format!("definition edge case {i}"));
        parse_case(&mut f, t, Duration::from_secs(2));
    }
    f.check("definition_edge_cases_never_panic");
}

/// Definitions whose grids are astronomically large must be refused by `parse` at once, not
/// expanded (memory) or validated point by point (time).
#[test]
fn huge_grids_are_refused_quickly() {
    let head = "name = \"huge\"\nmodel = \"brunel\"\nseed = 1\n";
    let cases = [
        ("linspace num = 1e9", format!("{head}[[axis]]\nparam = \"g\"\nlinspace = {{ start = 0, stop = 8, num = 1000000000 }}")),
        ("arange step 1e-12 over 0..8", format!("{head}[[axis]]\nparam = \"g\"\narange = {{ start = 0, stop = 8, step = 1e-12 }}")),
        ("arange step 1e-320 over 0..1", format!("{head}[[axis]]\nparam = \"g\"\narange = {{ start = 0, stop = 1, step = 1e-320 }}")),
        ("arange to 1e308", format!("{head}[[axis]]\nparam = \"g\"\narange = {{ start = 0, stop = 1e308, step = 1 }}")),
        ("replicates 1e6 × 1e4 points", format!(
            "{head}replicates = 1000000\n[[axis]]\nparam = \"g\"\nlinspace = {{ start = 0, stop = 8, num = 100 }}\n[[axis]]\nparam = \"eta\"\nlinspace = {{ start = 0, stop = 4, num = 100 }}"
        )),
        ("1e4 × 1e4 × 1e4 points", format!(
            "{head}[[axis]]\nparam = \"g\"\nlinspace = {{ start = 0, stop = 8, num = 10000 }}\n[[axis]]\nparam = \"eta\"\nlinspace = {{ start = 0, stop = 4, num = 10000 }}\n[[axis]]\nparam = \"J\"\nlinspace = {{ start = 0.1, stop = 1, num = 10000 }}"
        )),
    ];
    let dog = Watchdog::new(Duration::from_secs(30));
    for (what, text) in cases {
        dog.case(what);
        let t = Instant::now();
        let r = guarded(|| SweepDef::parse(&text, "huge.toml").map(|d| d.n_runs()));
        assert!(matches!(r, Ok(Err(_))), "{what}: expected Err, got {r:?}");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{what}: took {:?}",
            t.elapsed()
        );
    }
}

/// A parsed definition is also tabulated (`brunel sweep` prints the regime table): a valid
/// definition must not make that panic; `[[point]]` tables without parameters are refused.
#[test]
fn parsed_definitions_can_be_tabulated() {
    let head = "name = \"e\"\nmodel = \"brunel\"\nseed = 1\n";
    for text in [
        format!("{head}[[point]]"),
        format!("{head}[[point]]\n[[point]]"),
    ] {
        let e = SweepDef::parse(&text, "t.toml").unwrap_err();
        assert!(e.to_string().contains("no parameters"), "{e}");
    }
    for text in [SMALL_GRID.to_string(), POINT_LIST.to_string()] {
        let def = SweepDef::parse(&text, "t.toml").unwrap();
        let r = guarded(|| regime_table(&def, &[]));
        assert!(r.is_ok(), "{}: {}", shown(&text), r.unwrap_err());
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Files read back: Parquet part files and kept spike files.

fn genuine_rows() -> Vec<Row> {
    (0..12u32)
        .map(|p| Row {
            cells: vec![
                ("point".into(), Value::U32(p / 2)),
                ("replicate".into(), Value::U32(p % 2)),
                ("seed".into(), Value::U64(u64::MAX - p as u64)),
                ("g".into(), Value::F64(4.0 + (p / 2) as f64)),
                ("eta".into(), Value::F64(2.0)),
                (
                    "rate_hz".into(),
                    Value::F64(if p == 3 { f64::NAN } else { 12.5 + p as f64 }),
                ),
                ("n_spikes".into(), Value::U64(1000 + p as u64)),
                (
                    "regime".into(),
                    Value::Str(["AI", "SR", "SI fast"][p as usize % 3].into()),
                ),
                ("wall_s".into(), Value::F64(0.25)),
            ],
        })
        .collect()
}

const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn part_metadata() -> Vec<(String, String)> {
    vec![
        (
            brunel::sweep::runner::META_KEY.into(),
            "{\"name\":\"fuzz\",\"rows\":12}".into(),
        ),
        (brunel::sweep::runner::HASH_KEY.into(), HASH.into()),
    ]
}

fn write_part(path: &Path, rows: &[Row]) {
    let tmp = path.with_extension("tmp");
    brunel::sweep::parts::write_part(&tmp, path, rows, &part_metadata()).unwrap();
}

fn spike_metadata(dt: &str, duration: &str, sizes: &str) -> Vec<(String, String)> {
    vec![
        ("brunel_point".into(), "0".into()),
        ("brunel_replicate".into(), "0".into()),
        ("brunel_dt_ms".into(), dt.into()),
        ("brunel_duration_ms".into(), duration.into()),
        ("brunel_sizes".into(), sizes.into()),
        (brunel::sweep::runner::HASH_KEY.into(), HASH.into()),
    ]
}

/// A spike file as the runner writes it: E = 10, I = 5 neurons, 300 ms at dt = 0.1 ms.
fn genuine_spikes() -> DataFrame {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut pop, mut neuron, mut time) = (Vec::new(), Vec::new(), Vec::new());
    for (name, size) in [("E", 10u32), ("I", 5)] {
        let mut steps: Vec<u32> = (0..150).map(|_| rng.random_range(1..=3000)).collect();
        steps.sort();
        for s in steps {
            pop.push(name);
            neuron.push(rng.random_range(0..size));
            time.push(s as f64 * 0.1);
        }
    }
    df!("population" => pop, "neuron" => neuron, "time_ms" => time).unwrap()
}

fn write_spikes(path: &Path, mut df: DataFrame, md: &[(String, String)]) {
    store::write_parquet(path, &mut df, md).unwrap();
}

/// The figures `brunel plot` draws from a kept spike file (as `report::draw_all` calls them).
fn draw_figures(rec: &brunel::record::Recording, dir: &Path) -> Result<(), String> {
    let dur = rec.n_steps as f64 * rec.dt_ms;
    brunel::plot::raster::raster(rec, &dir.join("raster.png"), "fuzz", 0.0, dur, 200)
        .map_err(|e| e.to_string())?;
    brunel::plot::raster::fig8(
        rec,
        &dir.join("fig8.png"),
        "fuzz",
        (dur - 200.0).max(0.0),
        dur,
        50,
    )
    .map_err(|e| e.to_string())
}

/// One random corruption of a file's bytes.
fn corrupt(rng: &mut ChaCha8Rng, good: &[u8]) -> (Vec<u8>, String) {
    let mut b = good.to_vec();
    let mut what = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        let n = b.len();
        match rng.random_range(0..11) {
            0 | 1 if n > 0 => {
                let k = rng.random_range(1..=8);
                for _ in 0..k {
                    let i = rng.random_range(0..n);
                    b[i] ^= 1 << rng.random_range(0..8);
                }
                what.push(format!("flip {k} bits"));
            }
            2 if n > 0 => {
                // Bits of the footer (Thrift metadata: offsets, lengths, counts).
                let lo = n.saturating_sub(600);
                let i = rng.random_range(lo..n);
                b[i] ^= 1 << rng.random_range(0..8);
                what.push(format!("flip a footer bit at {i}"));
            }
            3 => {
                let l = rng.random_range(0..=n);
                b.truncate(l);
                what.push(format!("truncate to {l}"));
            }
            4 if n > 0 => {
                let a = rng.random_range(0..n);
                let e = (a + rng.random_range(1..64)).min(n);
                rng.fill(&mut b[a..e]);
                what.push(format!("random bytes {a}..{e}"));
            }
            5 if n > 0 => {
                let a = rng.random_range(0..n);
                let e = (a + rng.random_range(1..256)).min(n);
                let v = if rng.random_bool(0.5) { 0 } else { 0xFF };
                b[a..e].fill(v);
                what.push(format!("fill {a}..{e} with {v:#x}"));
            }
            6 => {
                let mut g = vec![0u8; rng.random_range(1..256)];
                rng.fill(&mut g[..]);
                b.extend(g);
                what.push("append garbage".into());
            }
            7 if n >= 12 => {
                // The footer length (4 bytes before the trailing magic).
                let v: u32 = match rng.random_range(0..4) {
                    0 => 0,
                    1 => u32::MAX,
                    2 => rng.random_range(0..n as u32 * 2),
                    _ => rng.random(),
                };
                b[n - 8..n - 4].copy_from_slice(&v.to_le_bytes());
                what.push(format!("footer length {v}"));
            }
            8 if n > 0 => {
                let a = rng.random_range(0..n);
                let mut g = vec![0u8; rng.random_range(1..64)];
                rng.fill(&mut g[..]);
                b.splice(a..a, g);
                what.push(format!("insert bytes at {a}"));
            }
            9 if n > 0 => {
                let a = rng.random_range(0..n);
                let e = (a + rng.random_range(1..128)).min(n);
                b.drain(a..e);
                what.push(format!("delete {a}..{e}"));
            }
            _ => {
                let mut g = vec![0u8; rng.random_range(0..4096)];
                rng.fill(&mut g[..]);
                if rng.random_bool(0.5) && g.len() >= 8 {
                    let l = g.len();
                    g[..4].copy_from_slice(b"PAR1");
                    g[l - 4..].copy_from_slice(b"PAR1");
                }
                b = g;
                what.push("random file".into());
            }
        }
    }
    (b, what.join(", "))
}

#[test]
fn parquet_mutations_never_panic() {
    let dir = scratch("parquet");
    let (part, spikes) = (dir.join("part.parquet"), dir.join("spikes.parquet"));
    write_part(&part, &genuine_rows());
    write_spikes(
        &spikes,
        genuine_spikes(),
        &spike_metadata("0.1", "300", "E=10,I=5"),
    );
    // The genuine files read back.
    assert_eq!(read_part(&part).unwrap().0.len(), 12);
    let rec = recording_from_spikes(&spikes).unwrap();
    assert_eq!(rec.spikes.iter().map(|p| p.steps.len()).sum::<usize>(), 300);
    draw_figures(&rec, &dir).unwrap();

    let dog = Watchdog::new(Duration::from_secs(60));
    let mut f = Findings::default();
    let budget = Instant::now();
    let (mut read_ok, mut drawn) = (0, 0);
    for (seed, good) in [(0x9_0011u64, &part), (0x9_0012, &spikes)] {
        let good = std::fs::read(good).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for case in 0..3000 * scale() {
            if budget.elapsed() > Duration::from_secs(60) * scale() as u32 {
                eprintln!("parquet fuzz: time budget spent at seed {seed:#x} case {case}");
                break;
            }
            let (bytes, what) = corrupt(&mut rng, &good);
            // The case is on disk while it is read: if the process aborts, it is left there.
            let path = dir.join(format!("case-{seed:x}.parquet"));
            std::fs::write(&path, &bytes).unwrap();
            let name = format!("seed {seed:#x} case {case} ({what})");
            dog.case(name.clone());
            let saved = |bytes: &[u8]| {
                let keep = dir.join(format!("panic-{seed:x}-{case}.parquet"));
                std::fs::write(&keep, bytes).unwrap();
                format!("{name}, saved as {}", keep.display())
            };
            f.cases += 1;
            let t = Instant::now();
            match guarded(|| read_part(&path)) {
                Ok(Ok(_)) => read_ok += 1,
                Ok(Err(_)) => {}
                Err(p) => f.panic(format!("read_part {p}"), || saved(&bytes)),
            }
            match guarded(|| recording_from_spikes(&path)) {
                Ok(Ok(rec)) if drawn < 25 => {
                    drawn += 1;
                    if let Err(p) = guarded(|| draw_figures(&rec, &dir)) {
                        f.panic(format!("figures {p}"), || saved(&bytes));
                    }
                }
                Ok(_) => {}
                Err(p) => f.panic(format!("recording_from_spikes {p}"), || saved(&bytes)),
            }
            f.timed(t, Duration::from_secs(3), || name.clone());
        }
    }
    eprintln!(
        "parquet fuzz: {} cases, {read_ok} read as parts, {drawn} drawn, {:?}",
        f.cases,
        budget.elapsed()
    );
    f.check("parquet_mutations_never_panic");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every single-bit flip of the pages (all bytes before the footer) of a small genuine part
/// file: before the page check in `store::read_parquet`, flipping the sign of a page's
/// `num_values` made polars ask for a 2^61-byte bitmap and abort the process (9 of the 26416
/// single-bit flips of the 12-row file of `parquet_mutations_never_panic`, e.g. bit 7440).
/// (Flips of the footer, Thrift metadata that polars decodes with checks, are among the random
/// mutations above; all of them, 26416 cases, took ~50 s and found no abort.)
#[test]
fn single_bit_flips_of_part_file_pages_never_abort() {
    let dir = scratch("flips");
    let good_path = dir.join("good.parquet");
    let rows: Vec<Row> = genuine_rows()
        .into_iter()
        .take(2)
        .map(|mut r| {
            r.cells
                .retain(|(n, _)| ["point", "replicate", "g", "regime"].contains(&n.as_str()));
            r
        })
        .collect();
    let mut df = rows_to_frame(&rows).unwrap();
    store::write_parquet(&good_path, &mut df, &[]).unwrap();
    let good = std::fs::read(&good_path).unwrap();
    let n = good.len();
    let footer = u32::from_le_bytes(good[n - 8..n - 4].try_into().unwrap()) as usize;
    let pages = 4..n - 8 - footer;
    let path = dir.join("case.parquet");
    let dog = Watchdog::new(Duration::from_secs(60));
    let mut f = Findings::default();
    let t0 = Instant::now();
    for bit in pages.start * 8..pages.end * 8 {
        let mut b = good.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&path, &b).unwrap();
        dog.case(format!("bit {bit} of {}", good_path.display()));
        f.cases += 1;
        let t = Instant::now();
        if let Err(p) = guarded(|| read_part(&path)) {
            f.panic(format!("read_part {p}"), || format!("bit {bit} flipped"));
        }
        f.timed(t, Duration::from_secs(3), || format!("bit {bit} flipped"));
    }
    eprintln!(
        "single-bit flips: {} cases (bytes {pages:?} of {n}), {:?}",
        f.cases,
        t0.elapsed()
    );
    f.check("single_bit_flips_of_part_file_pages_never_abort");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Well-formed spike files with hostile contents: each must be refused with an error naming
/// the file (or, where it is a legitimate file, read), and figures of what is read must draw.
#[test]
fn hostile_spike_files_are_errors_not_panics() {
    let dir = scratch("spikes");
    let ok_md = || spike_metadata("0.1", "300", "E=10,I=5");
    let one = |pop: &str, j: u32, t: f64| {
        df!("population" => [pop, "E"], "neuron" => [j, 0u32], "time_ms" => [t, 1.0]).unwrap()
    };
    let md_with = |key: &str, v: &str| {
        let mut md = ok_md();
        md.iter_mut().find(|(k, _)| k == key).unwrap().1 = v.into();
        md
    };
    let md_without = |key: &str| {
        let mut md = ok_md();
        md.retain(|(k, _)| k != key);
        md
    };
    // (description, frame, metadata, must it be refused?)
    let mut cases: Vec<(String, DataFrame, Vec<(String, String)>, bool)> = vec![
        ("genuine".into(), genuine_spikes(), ok_md(), false),
        (
            "no spikes".into(),
            genuine_spikes().head(Some(0)),
            ok_md(),
            false,
        ),
        ("neuron = size".into(), one("E", 10, 5.0), ok_md(), true),
        (
            "neuron = u32::MAX".into(),
            one("I", u32::MAX, 5.0),
            ok_md(),
            true,
        ),
        ("time < 0".into(), one("E", 1, -1.0), ok_md(), true),
        ("time -0.0".into(), one("E", 1, -0.0), ok_md(), false),
        ("time NaN".into(), one("E", 1, f64::NAN), ok_md(), true),
        ("time inf".into(), one("E", 1, f64::INFINITY), ok_md(), true),
        ("time 1e300".into(), one("E", 1, 1e300), ok_md(), true),
        (
            "time after the run".into(),
            one("E", 1, 300.2),
            ok_md(),
            true,
        ),
        ("unknown population".into(), one("X", 1, 5.0), ok_md(), true),
        (
            "empty population name".into(),
            one("", 1, 5.0),
            ok_md(),
            true,
        ),
    ];
    for v in [
        "abc",
        "99999999999999",
        "-1",
        "1e3",
        "",
        "18446744073709551616",
        " 10",
    ] {
        cases.push((
            format!("sizes E={v}"),
            genuine_spikes(),
            md_with("brunel_sizes", &format!("E={v},I=5")),
            true,
        ));
    }
    for v in ["", "E", "E=10,E=5,I=5", ",,,", "=10", "E=10;I=5"] {
        cases.push((
            format!("sizes `{v}`"),
            genuine_spikes(),
            md_with("brunel_sizes", v),
            true,
        ));
    }
    for v in [
        "0", "-0.1", "NaN", "nan", "inf", "-inf", "abc", "", "1e-300", "1e300",
    ] {
        cases.push((
            format!("dt {v}"),
            genuine_spikes(),
            md_with("brunel_dt_ms", v),
            true,
        ));
    }
    for v in ["0", "-1", "NaN", "inf", "1e300", "abc", "", "1e30"] {
        cases.push((
            format!("duration {v}"),
            genuine_spikes(),
            md_with("brunel_duration_ms", v),
            true,
        ));
    }
    for k in ["brunel_dt_ms", "brunel_duration_ms", "brunel_sizes"] {
        cases.push((format!("no {k}"), genuine_spikes(), md_without(k), true));
    }
    let g = genuine_spikes();
    let n = g.height();
    cases.extend([
        ("no time_ms column".into(), g.drop("time_ms").unwrap(), ok_md(), true),
        ("no neuron column".into(), g.drop("neuron").unwrap(), ok_md(), true),
        ("no population column".into(), g.drop("population").unwrap(), ok_md(), true),
        (
            "neuron as i64".into(),
            df!("population" => ["E"], "neuron" => [1i64], "time_ms" => [1.0]).unwrap(),
            ok_md(),
            true,
        ),
        (
            "time as string".into(),
            df!("population" => ["E"], "neuron" => [1u32], "time_ms" => ["1.0"]).unwrap(),
            ok_md(),
            true,
        ),
        (
            "population as u32".into(),
            df!("population" => [0u32], "neuron" => [1u32], "time_ms" => [1.0]).unwrap(),
            ok_md(),
            true,
        ),
        (
            "nulls".into(),
            df!("population" => [Some("E"), None], "neuron" => [None, Some(1u32)], "time_ms" => [Some(1.0), None]).unwrap(),
            ok_md(),
            true,
        ),
        (
            "a million spikes of one neuron".into(),
            df!("population" => vec!["E"; 1_000_000], "neuron" => vec![3u32; 1_000_000], "time_ms" => vec![150.0; 1_000_000]).unwrap(),
            ok_md(),
            false,
        ),
        (
            "huge population, long run".into(),
            g.clone(),
            spike_metadata("0.1", "400000000", "E=4294967295,I=5"),
            false,
        ),
        ("dt 1e-6 (4e8 steps)".into(), g.clone(), spike_metadata("0.000001", "300", "E=10,I=5"), false),
        ("E=0".into(), g.head(Some(0)), spike_metadata("0.1", "300", "E=0"), false),
    ]);
    assert!(n > 0);

    let dog = Watchdog::new(Duration::from_secs(60));
    let mut problems = Vec::new();
    for (i, (what, df, md, refuse)) in cases.into_iter().enumerate() {
        dog.case(what.clone());
        let path = dir.join(format!("s{i}.parquet"));
        write_spikes(&path, df, &md);
        let t = Instant::now();
        match guarded(|| recording_from_spikes(&path)) {
            Err(p) => problems.push(format!("{what}: recording_from_spikes {p}")),
            Ok(Err(e)) => {
                if !refuse {
                    problems.push(format!("{what}: refused: {e}"));
                } else if !e.to_string().contains(&path.display().to_string()) {
                    problems.push(format!("{what}: error does not name the file: {e}"));
                }
            }
            Ok(Ok(rec)) => {
                if refuse {
                    problems.push(format!("{what}: read, expected an error"));
                }
                match guarded(|| draw_figures(&rec, &dir)) {
                    Err(p) => problems.push(format!("{what}: figures {p}")),
                    Ok(Err(e)) if !refuse => problems.push(format!("{what}: figures failed: {e}")),
                    _ => {}
                }
            }
        }
        if t.elapsed() > Duration::from_secs(5) {
            problems.push(format!("{what}: took {:?}", t.elapsed()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Figures of any recording `recording_from_spikes` can return must draw or fail cleanly,
/// including windows the caller computes from odd metadata.
#[test]
fn figures_of_odd_recordings_do_not_panic() {
    use brunel::record::{PopulationSpikes, Recording};
    let dir = scratch("figures");
    let rec = |dt: f64, n_steps: usize, spikes: Vec<PopulationSpikes>| Recording {
        dt_ms: dt,
        n_steps,
        spikes,
        voltages: vec![],
    };
    let pop = |name: &str, size: usize, steps: Vec<u32>| PopulationSpikes {
        name: name.into(),
        size,
        neurons: vec![0; steps.len()],
        steps,
    };
    let recs = vec![
        ("no populations", rec(0.1, 3000, vec![])),
        (
            "empty population",
            rec(0.1, 3000, vec![pop("E", 0, vec![])]),
        ),
        ("no steps", rec(0.1, 0, vec![pop("E", 10, vec![])])),
        (
            "spike at u32::MAX",
            rec(0.1, 3000, vec![pop("E", 10, vec![u32::MAX])]),
        ),
        ("dt 0", rec(0.0, 3000, vec![pop("E", 10, vec![5])])),
        ("dt NaN", rec(f64::NAN, 3000, vec![pop("E", 10, vec![5])])),
        ("dt tiny", rec(1e-300, 3000, vec![pop("E", 10, vec![5])])),
        (
            "n_steps usize::MAX",
            rec(0.1, usize::MAX, vec![pop("E", 10, vec![5])]),
        ),
        (
            "sizes near usize::MAX",
            rec(
                0.1,
                3000,
                vec![
                    pop("E", usize::MAX / 2, vec![5]),
                    pop("I", usize::MAX / 2, vec![5]),
                ],
            ),
        ),
    ];
    let windows = [
        (0.0, 300.0),
        (100.0, 300.0),
        (300.0, 300.0),
        (300.0, 0.0),
        (f64::NAN, 1.0),
        (0.0, f64::INFINITY),
        (-1e300, 1e300),
        (0.0, 1e12),
    ];
    let dog = Watchdog::new(Duration::from_secs(60));
    let mut problems = Vec::new();
    for (what, r) in &recs {
        for &(a, b) in &windows {
            let case = format!("{what}, window {a}..{b}");
            dog.case(case.clone());
            let t = Instant::now();
            if let Err(p) =
                guarded(|| brunel::plot::raster::raster(r, &dir.join("r.png"), "t", a, b, 200))
            {
                problems.push(format!("{case}: raster {p}"));
            }
            if let Err(p) =
                guarded(|| brunel::plot::raster::fig8(r, &dir.join("f.png"), "t", a, b, 50))
            {
                problems.push(format!("{case}: fig8 {p}"));
            }
            if t.elapsed() > Duration::from_secs(5) {
                problems.push(format!("{case}: took {:?}", t.elapsed()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn gather_dir(
    dir: &Path,
    df: &mut DataFrame,
    md: &[(String, String)],
) -> Result<Result<usize, String>, String> {
    let layout = Layout::new(dir);
    let _ = std::fs::remove_dir_all(layout.data());
    std::fs::create_dir_all(layout.data()).unwrap();
    store::write_parquet(&layout.data().join("part-x.parquet"), df, md).unwrap();
    let mut def = SweepDef::parse(SMALL_GRID, "t.toml").unwrap();
    def.hash = HASH.into();
    guarded(|| {
        brunel::sweep::merge::gather(&def, &layout)
            .map_err(|e| e.to_string())
            .and_then(|g| {
                let _ = regime_table(&def, &g.rows);
                // Damaged parts are reported (their runs count as missing): an error here.
                match g.damaged.first() {
                    Some(d) => Err(d.clone()),
                    None => Ok(g.rows.len()),
                }
            })
    })
}

/// Well-formed part files with odd contents, as `read_part` and the resume/merge path
/// (`merge::gather`) read them.
#[test]
fn hostile_part_files_are_errors_not_panics() {
    let dir = scratch("parts");
    let md = part_metadata();
    let rows = genuine_rows();
    let mut cases: Vec<(&str, DataFrame)> = vec![
        ("genuine", rows_to_frame(&rows).unwrap()),
        ("empty", rows_to_frame(&rows).unwrap().head(Some(0))),
        (
            "NaN everywhere",
            df!("point" => [0u32, 1], "replicate" => [0u32, 0], "g" => [f64::NAN; 2], "eta" => [f64::NAN; 2], "rate_hz" => [f64::NAN; 2], "regime" => ["AI", "?"]).unwrap(),
        ),
        (
            "point u32::MAX",
            df!("point" => [u32::MAX], "replicate" => [u32::MAX], "g" => [4.0], "eta" => [1.0]).unwrap(),
        ),
        ("a column of i64", df!("point" => [0u32], "replicate" => [0u32], "g" => [4i64]).unwrap()),
        ("a column of bool", df!("point" => [0u32], "replicate" => [0u32], "ok" => [true]).unwrap()),
        ("a column of f32", df!("point" => [0u32], "replicate" => [0u32], "g" => [4f32]).unwrap()),
        (
            "nulls",
            df!("point" => [Some(0u32), None], "replicate" => [None, Some(0u32)], "g" => [None, Some(1.0)], "regime" => [None, Some("AI")]).unwrap(),
        ),
        ("no columns", DataFrame::empty()),
    ];
    let dog = Watchdog::new(Duration::from_secs(60));
    let mut problems = Vec::new();
    for (i, (what, df)) in cases.iter_mut().enumerate() {
        dog.case(*what);
        let path = dir.join(format!("p{i}.parquet"));
        store::write_parquet(&path, df, &md).unwrap();
        if let Err(p) = guarded(|| read_part(&path)) {
            problems.push(format!("{what}: read_part {p}"));
        }
        if let Err(p) = gather_dir(&dir.join("folder"), df, &md) {
            problems.push(format!("{what}: gather {p}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Part files that lack their key columns or hold them with another type: read back on
/// resume or merge, they must be an error (or quarantined), not a panic.
#[test]
fn part_files_without_a_u32_key_are_refused() {
    let dir = scratch("keys");
    let md = part_metadata();
    let mut problems = Vec::new();
    let cases: Vec<(&str, DataFrame)> = vec![
        (
            "no point column",
            df!("replicate" => [0u32], "g" => [4.0]).unwrap(),
        ),
        (
            "no replicate column",
            df!("point" => [0u32], "g" => [4.0]).unwrap(),
        ),
        (
            "point as f64",
            df!("point" => [0.0f64], "replicate" => [0u32]).unwrap(),
        ),
        (
            "point as u64",
            df!("point" => [0u64], "replicate" => [0u32]).unwrap(),
        ),
        (
            "point as string",
            df!("point" => ["0"], "replicate" => [0u32]).unwrap(),
        ),
    ];
    for (what, mut df) in cases {
        match gather_dir(&dir, &mut df, &md) {
            Err(p) => problems.push(format!("{what}: gather {p}")),
            Ok(Ok(n)) => problems.push(format!("{what}: gathered {n} rows, expected an error")),
            Ok(Err(_)) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// (a) again: definitions `parse` accepts, run end to end by `brunel sweep` in a child process
// (a panic there is exit 101, a hang is killed after a time limit; neither takes this test
// binary down).

/// Runs `brunel sweep` on a one-point tiny network with extra `[fixed]` lines and extra
/// sections; returns the exit code (None: killed after `limit`, or ended by a signal) and stderr.
fn sweep_child(fixed: &str, sections: &str, limit: Duration) -> (Option<i32>, String) {
    let dir = scratch("child");
    let text = format!(
        "name = \"x\"\nmodel = \"brunel\"\nseed = 1\nduration_ms = 60\nwarmup_ms = 10\n[fixed]\nN_E = 40\nN_I = 10\nepsilon = 0.2\nv_sample_n = 5\n{fixed}\n[[axis]]\nparam = \"g\"\nvalues = [5]\n[[keep_spikes]]\ng = 5\n{sections}\n"
    );
    // Whether parse accepts it or not, the binary must end cleanly (exit 0 or a refusal).
    std::fs::write(dir.join("s.toml"), &text).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brunel"))
        .args(["sweep", "s.toml", "--out", "out", "--threads", "1"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (code, err.lines().take(3).collect::<Vec<_>>().join(" | "))
}

/// Exit 0 (ran) or 2 (an `error:` line) is fine; 101 (panic), a signal or a hang is not.
fn check_children(cases: &[(&str, &str)]) {
    let mut problems = Vec::new();
    for (fixed, sections) in cases {
        let (code, err) = sweep_child(fixed, sections, Duration::from_secs(20));
        if !matches!(code, Some(0) | Some(2)) || err.contains("panicked") {
            problems.push(format!("{fixed} {sections}: exit {code:?}: {err}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn accepted_extreme_definitions_run_or_fail_cleanly() {
    // Only `rate_hz` is drawn (finite here): see `accepted_definitions_that_break_the_run`.
    let plots = "[plots]\nheatmaps = [\"rate_hz\"]\nregime_map = false";
    let with_plots = |s: &str| format!("{s}\n{plots}");
    let cases: Vec<(&str, String)> = vec![
        ("", with_plots("")),
        ("", String::new()),
        ("D_ms = 1e-300", with_plots("")),
        ("D_ms = 1e300", with_plots("")),
        ("dt_ms = 1e-300", with_plots("")),
        ("dt_ms = 10", with_plots("")),
        ("J = 1e308", with_plots("")),
        ("tau_rp_ms = 1e300", with_plots("")),
        ("V_init_max = 1e308", with_plots("")),
        ("v_sample_every_ms = 1e-300", with_plots("")),
        ("v_sample_every_ms = 1e300", with_plots("")),
        ("", with_plots("[analysis]\nfano_bin_ms = 0\nfano_slow_bin_ms = nan\nwelch_segment_ms = 1e300\ncv_min_spikes = 0\nspectrum_min_hz = -inf")),
        ("", with_plots("[analysis]\nwelch_segment_ms = nan\nfano_bin_ms = 1e300\nspectrum_min_hz = nan")),
        ("", with_plots("[classifier]\nquiescent_max_hz = nan\nregular_max_cv = -inf\nsi_fast_min_hz = inf")),
        ("", "[plots]\nheatmaps = []\nfig8_window_ms = [0, 1e308]".into()),
        ("", "[plots]\nheatmaps = []\nfig8_window_ms = [1e300, 1e301]".into()),
        ("", "[plots]\nheatmaps = [\"\", \"nope\"]\nregime_map = true".into()),
    ];
    let cases: Vec<(&str, &str)> = cases.iter().map(|(a, b)| (*a, b.as_str())).collect();
    check_children(&cases);
}

#[test]
fn accepted_definitions_that_break_the_run() {
    let plots = "[plots]\nheatmaps = [\"rate_hz\"]\nregime_map = false";
    check_children(&[
        ("tau_m_ms = 1e-300", plots),
        ("eta = 1e308", plots),
        ("V_r = -1e308", plots),
        // One axis: a column with no finite value at any point (each neuron fires at most
        // once, so no CV; a string column) gives curve() an x range of [inf, inf].
        ("tau_rp_ms = 1e300", "[plots]\nheatmaps = [\"cv_isi\"]"),
        ("", "[plots]\nheatmaps = [\"regime\"]"),
    ]);
}
