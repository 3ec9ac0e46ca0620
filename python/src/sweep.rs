//! `sweep` and `load`: a sweep run into a results folder by the library's runner (the code
//! `brunel sweep` runs: same folder, same resume, same figures) on a worker thread with its
//! own rayon pool, and `SweepHandle`, a results folder read back with checksums verified.

use crate::errors::{self, guard};
use crate::table::Table;
use crate::wait::wait_for;
use brunel::store::layout::Layout;
use brunel::sweep::definition::{Limits, SweepDef};
use brunel::sweep::merge::{folder_definition_with, gather, Gathered, MergeError};
use brunel::sweep::parts::rows_to_frame;
use brunel::sweep::report::{draw_all, regime_grid, regime_table};
use brunel::sweep::row::{Row, Value};
use brunel::sweep::runner::{prepare, SweepError};
use brunel::sweep::{Shard, SweepObserver, SweepOptions, SweepReport};
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

/// Which Python exception a failure becomes.
enum Failure {
    Definition(String),
    Results(String),
    Other(String),
}

impl Failure {
    fn into_err(self) -> PyErr {
        match self {
            Failure::Definition(m) => errors::definition(m),
            Failure::Results(m) => errors::results(m),
            Failure::Other(m) => errors::brunel(m),
        }
    }
}

/// What the worker thread tells the calling thread.
enum Msg {
    Started(usize),
    Done,
    Warning(String),
    Finished(Result<serde_json::Value, Failure>),
}

/// Forwards the runner's events to the calling thread.
struct Forward(Sender<Msg>);

impl SweepObserver for Forward {
    fn started(&mut self, todo: usize) {
        let _ = self.0.send(Msg::Started(todo));
    }
    fn run_done(&mut self) {
        let _ = self.0.send(Msg::Done);
    }
    fn warning(&mut self, message: &str) {
        let _ = self.0.send(Msg::Warning(message.to_string()));
    }
}

/// A sweep definition given as JSON text (a Python dict) as TOML text with the same keys.
#[pyfunction]
pub fn definition_from_json(json: &str) -> PyResult<String> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| errors::definition(format!("definition dict: {e}")))?;
    if !value.is_object() {
        return Err(errors::definition(
            "definition: expected a dict with the keys of a sweep file",
        ));
    }
    let toml_value = toml::Value::try_from(&value)
        .map_err(|e| errors::definition(format!("definition dict: {e}")))?;
    toml::to_string(&toml_value).map_err(|e| errors::definition(format!("definition dict: {e}")))
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `threads`, or $SLURM_CPUS_PER_TASK, else every core (as the CLI), checked.
fn thread_count(threads: Option<usize>) -> Result<usize, Failure> {
    let max = 1024.max(4 * cores());
    let n = match threads {
        Some(0) => return Err(Failure::Definition("threads=0: expected at least 1".into())),
        Some(n) => n,
        None => std::env::var("SLURM_CPUS_PER_TASK")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or_else(cores),
    };
    if n > max {
        return Err(Failure::Definition(format!(
            "threads={n}: expected at most {max} (the larger of 1024 and 4 × this machine's {} cores)",
            cores()
        )));
    }
    Ok(n)
}

/// The checked definition and the runner's options.
fn options(
    path: Option<PathBuf>,
    text: Option<String>,
    source: &str,
    out: Option<PathBuf>,
    threads: Option<usize>,
    shard: Option<String>,
    flush_every_s: f64,
    limits: Limits,
) -> Result<(SweepDef, SweepOptions), Failure> {
    let def = match (path, text) {
        (Some(p), _) => SweepDef::load_with(&p, &limits),
        (None, Some(t)) => SweepDef::parse_with(&t, source, &limits),
        (None, None) => Ok(SweepDef::embedded_default()),
    }
    .map_err(|e| Failure::Definition(e.to_string()))?;
    let shard = match shard {
        Some(s) => {
            Shard::parse(&s).map_err(|e| Failure::Definition(format!("shard={s:?}: {e}")))?
        }
        None => Shard::from_env(|k| std::env::var(k).ok())
            .map_err(|e| Failure::Definition(e.to_string()))?
            .unwrap_or(Shard::ALL),
    };
    if !(flush_every_s > 0.0 && flush_every_s <= 1e9) {
        return Err(Failure::Definition(format!(
            "flush_every_s={flush_every_s}: expected a number of seconds > 0 (at most 1e9)"
        )));
    }
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(&def.name));
    if out.exists() && !out.is_dir() {
        return Err(Failure::Definition(format!(
            "out={}: is a file; expected a results folder (created if missing)",
            out.display()
        )));
    }
    let opts = SweepOptions {
        out,
        threads: thread_count(threads)?,
        shard,
        flush_every: Duration::from_secs_f64(flush_every_s),
        write_retries: 3,
        write_retry_pause: Duration::from_secs(10),
        max_level: None,
    };
    Ok((def, opts))
}

fn sweep_failure(e: SweepError) -> Failure {
    match &e {
        SweepError::Store(s) if s.is_not_writable() => {
            Failure::Results(format!("{e}: choose another folder with out=DIR"))
        }
        _ => Failure::Results(e.to_string()),
    }
}

fn merge_failure(e: MergeError) -> Failure {
    match e {
        MergeError::Definition(d) => Failure::Definition(d.to_string()),
        other => Failure::Results(other.to_string()),
    }
}

/// The report of a runner call, as JSON for the Python layer.
fn report_json(def: &SweepDef, opts: &SweepOptions, r: &SweepReport) -> serde_json::Value {
    serde_json::json!({
        "name": def.name,
        "source": def.source,
        "out": opts.out.display().to_string(),
        "threads": opts.threads,
        "shard": opts.shard.to_string(),
        "shard_runs": r.shard_runs,
        "done_before": r.done_before,
        "done_now": r.done_now,
        "quarantined": r.quarantined,
        "failed": r.failed,
        "write_error": r.write_error,
        "lost_runs": r.lost_runs,
        "run_seconds": r.run_seconds,
        "parallel_efficiency": r.parallel_efficiency,
        "interrupted": r.interrupted,
        "waiting": r.waiting,
    })
}

/// What `brunel sweep` does after its runs: when the folder is complete, draw the figures.
fn finish(
    def: &SweepDef,
    out: &Path,
    plots: bool,
    stop: &AtomicBool,
) -> Result<serde_json::Value, Failure> {
    let layout = Layout::new(out);
    let Gathered {
        rows,
        missing,
        refine,
        ..
    } = gather(def, &layout).map_err(merge_failure)?;
    let incomplete = !missing.is_empty() || refine.as_ref().is_some_and(|p| p.current().is_some());
    if incomplete || !plots {
        return Ok(serde_json::json!({ "missing": missing.len(), "figures": [], "notes": [] }));
    }
    let drawn = match draw_all(def, &layout, &rows, &|| stop.load(Ordering::SeqCst)) {
        Ok(drawn) => drawn,
        // Every run is committed; only figures are missing. The Python layer raises
        // `Interrupted` saying so, and the same call (or `brunel plot`) draws them.
        Err(e) if e.is::<brunel::sweep::report::DrawingStopped>() => {
            return Ok(
                serde_json::json!({ "missing": 0, "figures": [], "notes": [], "stopped": e.to_string() }),
            );
        }
        Err(e) => return Err(Failure::Results(format!("{e:#}"))),
    };
    Ok(serde_json::json!({
        "missing": 0,
        "figures": drawn.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "notes": drawn.notes,
    }))
}

/// The worker: claim the folder, run, and finish it like the CLI; the result as a message.
fn work(def: SweepDef, opts: SweepOptions, plots: bool, stop: Arc<AtomicBool>, tx: Sender<Msg>) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let prepared = prepare(&def, &opts).map_err(sweep_failure)?;
        let _ = tx.send(Msg::Started(prepared.todo()));
        let report = prepared
            .run(&stop, &mut Forward(tx.clone()))
            .map_err(sweep_failure)?;
        let mut json = report_json(&def, &opts, &report);
        if !report.interrupted {
            let done = finish(&def, &opts.out, plots, &stop)?;
            json["finish"] = done;
        }
        Ok(json)
    }));
    let result = result.unwrap_or_else(|p| {
        Err(Failure::Other(format!(
            "internal error in sweep: {}; the runs committed so far are kept, please report it",
            errors::panic_text(p.as_ref())
        )))
    });
    let _ = tx.send(Msg::Finished(result));
}

/// Runs a sweep (see `brunel.sweep`). `progress(done, total)` is called from this thread
/// while the runs go on off the GIL; `warn(message)` for warnings. KeyboardInterrupt sets the
/// runner's stop flag: finished runs are committed and the report says `interrupted`, with
/// the KeyboardInterrupt re-raised by the Python layer. Returns the report as JSON text.
#[pyfunction]
#[pyo3(signature = (path, text, source, out, threads, shard, flush_every_s, plots, max_runs, progress, warn))]
#[allow(clippy::too_many_arguments)]
pub fn sweep(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    source: &str,
    out: Option<PathBuf>,
    threads: Option<usize>,
    shard: Option<String>,
    flush_every_s: f64,
    plots: bool,
    max_runs: usize,
    progress: Option<Py<PyAny>>,
    warn: Option<Py<PyAny>>,
) -> PyResult<(String, Option<Py<PyAny>>)> {
    guard("sweep", || {
        let limits = Limits { max_runs };
        let (def, opts) = options(
            path,
            text,
            source,
            out,
            threads,
            shard,
            flush_every_s,
            limits,
        )
        .map_err(Failure::into_err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<Msg>();
        let worker_stop = Arc::clone(&stop);
        let worker = std::thread::Builder::new()
            .name("brunel-sweep".into())
            .spawn(move || work(def, opts, plots, worker_stop, tx))
            .map_err(|e| errors::brunel(format!("cannot start the sweep's thread: {e}")))?;
        let (mut done, mut total) = (0usize, 0usize);
        let mut result = None;
        let on_message = |py: Python<'_>, m: Msg, stopped: bool| -> PyResult<()> {
            // Once stopped, callbacks are not called again; the report is still taken.
            match m {
                Msg::Started(todo) => {
                    total = done + todo;
                    if let Some(p) = progress.as_ref().filter(|_| !stopped) {
                        p.call1(py, (done, total))?;
                    }
                }
                Msg::Done => {
                    done += 1;
                    if let Some(p) = progress.as_ref().filter(|_| !stopped) {
                        p.call1(py, (done, total))?;
                    }
                }
                Msg::Warning(w) => {
                    if let Some(f) = warn.as_ref().filter(|_| !stopped) {
                        f.call1(py, (w,))?;
                    }
                }
                Msg::Finished(r) => result = Some(r),
            }
            Ok(())
        };
        let signal = wait_for(py, rx, on_message, || {
            stop.store(true, Ordering::SeqCst);
            true
        });
        let _ = py.detach(|| worker.join());
        let json = match result {
            Some(Ok(json)) => json,
            Some(Err(f)) => return Err(signal.unwrap_or_else(|| f.into_err())),
            None => {
                return Err(signal.unwrap_or_else(|| {
                    errors::brunel("the sweep's thread ended without a report")
                }))
            }
        };
        // A KeyboardInterrupt (or a failing progress callback) stopped the sweep: finished
        // runs are committed; the Python layer raises `Interrupted` (or the callback's error)
        // with this report.
        Ok((
            json.to_string(),
            signal.map(|e| e.into_value(py).into_any()),
        ))
    })
}

/// A results folder read back: its definition and every complete row.
#[pyclass(module = "brunel._core", frozen)]
pub struct SweepHandle {
    def: SweepDef,
    rows: Vec<Row>,
    missing: usize,
    planned: usize,
    dir: PathBuf,
}

/// Reads `dir` (read-only): the stored definition, every part file with its checksum
/// verified, the rows one per run. A damaged or foreign folder raises `ResultsError`.
#[pyfunction]
#[pyo3(signature = (dir, max_runs))]
pub fn load(py: Python<'_>, dir: PathBuf, max_runs: usize) -> PyResult<SweepHandle> {
    guard("load", || {
        let limits = Limits { max_runs };
        let read = py.detach(|| -> Result<SweepHandle, Failure> {
            if !dir.is_dir() {
                return Err(Failure::Results(format!(
                    "{}: no such folder (expected a sweep results folder)",
                    dir.display()
                )));
            }
            let def = folder_definition_with(&dir, &limits).map_err(|e| match e {
                MergeError::Definition(d) => Failure::Results(format!(
                    "{}: its definition.toml is not a valid definition: {d}",
                    dir.display()
                )),
                other => Failure::Results(other.to_string()),
            })?;
            let g = gather(&def, &Layout::new(&dir)).map_err(|e| Failure::Results(e.to_string()))?;
            if let Some(first) = g.damaged.first() {
                return Err(Failure::Results(format!(
                    "{} damaged part file(s) in {}, e.g. {first}; `brunel.sweep` on this folder (or `brunel sweep {}/definition.toml --out {}`) moves them to quarantine/ and redoes their runs",
                    g.damaged.len(),
                    dir.display(),
                    dir.display(),
                    dir.display()
                )));
            }
            Ok(SweepHandle {
                def,
                missing: g.missing.len(),
                planned: g.planned,
                rows: g.rows,
                dir: dir.clone(),
            })
        });
        read.map_err(Failure::into_err)
    })
}

fn label(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

#[pymethods]
impl SweepHandle {
    /// Every complete row, one per (point, replicate), sorted.
    fn rows(&self) -> PyResult<Table> {
        rows_to_frame(&self.rows)
            .map(Table::new)
            .map_err(errors::brunel)
    }

    /// The folder's summary as JSON text: counts, regimes and the CLI's regime table.
    fn summary_json(&self) -> String {
        let mut regimes = std::collections::BTreeMap::<String, usize>::new();
        for r in &self.rows {
            if let Some(l) = label(r.get("regime")) {
                *regimes.entry(l).or_default() += 1;
            }
        }
        serde_json::json!({
            "name": self.def.name,
            "model": self.def.model.name,
            "description": self.def.description,
            "dir": self.dir.display().to_string(),
            "rows": self.rows.len(),
            "planned": self.planned,
            "missing": self.missing,
            "complete": self.missing == 0,
            "regimes": regimes,
            "axes": self.def.axes.iter().map(|a| a.param.clone()).collect::<Vec<_>>(),
            "definition_hash": self.def.hash,
            "table": regime_table(&self.def, &self.rows),
        })
        .to_string()
    }

    /// The regime map's cells as the CLI draws them: (x name, x values, y name or None,
    /// y values, labels[iy][ix] or None where no run).
    #[allow(clippy::type_complexity)]
    fn regime_grid(
        &self,
    ) -> (
        String,
        Vec<f64>,
        Option<String>,
        Vec<f64>,
        Vec<Vec<Option<String>>>,
    ) {
        let grid = regime_grid(&self.def, &self.rows);
        let cells = grid
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|c| c.map(|r| r.label().to_string()))
                    .collect()
            })
            .collect();
        let x = &self.def.axes[0];
        let y = self.def.axes.get(1);
        (
            x.param.clone(),
            x.values.clone(),
            y.map(|a| a.param.clone()),
            y.map(|a| a.values.clone()).unwrap_or_else(|| vec![0.0]),
            cells,
        )
    }

    /// The theory's lines drawn on the regime map (theory_lines.parquet), if written.
    fn theory_lines(&self) -> PyResult<Option<Table>> {
        let path = self.dir.join("theory_lines.parquet");
        if !path.is_file() {
            return Ok(None);
        }
        brunel::store::read_parquet(&path)
            .map(|df| Some(Table::new(df)))
            .map_err(errors::results)
    }

    /// The definition's text, exactly as stored.
    fn definition(&self) -> String {
        self.def.text.clone()
    }
}
