//! Runs a sweep (or one shard of it) into a results folder: verifies what is already there,
//! runs the missing points in parallel with rayon, and commits rows in part files written
//! whole (temporary name, then rename) every `flush_every`, so a kill loses at most that much
//! work. A stop flag (SIGINT/SIGTERM) ends it cleanly: no new runs start, finished rows are
//! committed.

use super::definition::SweepDef;
use super::progress::Progress;
use super::row::build_row;
use super::shard::Shard;
use crate::rng::point_seed;
use crate::run;
use crate::store::layout::{hostname, tmp_name, Layout, Locked, ShardLock};
use crate::store::results::{read_part, rows_to_frame, Row};
use crate::store::{self, StoreError};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

/// Metadata key holding the provenance JSON of a part file.
pub const META_KEY: &str = "brunel_sweep";
/// Metadata key holding the definition's hash alone.
pub const HASH_KEY: &str = "brunel_definition_hash";

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub out: PathBuf,
    pub threads: usize,
    pub shard: Shard,
    /// Commit finished rows at least this often.
    pub flush_every: Duration,
    /// Interval of plain progress lines when stderr is not a terminal.
    pub progress_every: Duration,
    pub quiet: bool,
}

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("results folder {folder} holds a different sweep definition (hash {found:.12}…, this one is {expected:.12}…): refusing to mix them; run into a new folder with --out DIR, or delete {folder}")]
    DefinitionMismatch {
        folder: String,
        expected: String,
        found: String,
    },
    #[error("part file {file} belongs to a different definition (hash {found:.12}…); move it out of {folder}")]
    ForeignPart {
        file: String,
        folder: String,
        found: String,
    },
    #[error(transparent)]
    Locked(#[from] Locked),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("run of point {point} ({what}), replicate {replicate}: {message}")]
    Run {
        point: usize,
        replicate: u32,
        what: String,
        message: String,
    },
}

/// What a call of [`run_sweep`] did.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    /// Runs in this shard.
    pub shard_runs: usize,
    /// Runs of this shard already complete when it started.
    pub done_before: usize,
    /// Runs completed and committed by this call.
    pub done_now: usize,
    /// Part files found damaged, moved to `quarantine/`, whose runs were redone.
    pub quarantined: Vec<String>,
    /// The stop flag ended the run before every run was done.
    pub interrupted: bool,
    /// Part files written by this call.
    pub parts_written: Vec<PathBuf>,
}

/// A run to do: (point, replicate, seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    pub point: usize,
    pub replicate: u32,
    pub seed: u64,
}

/// Every run of the sweep in order; run k = point·replicates + replicate.
pub fn all_tasks(def: &SweepDef) -> Vec<Task> {
    (0..def.n_points())
        .flat_map(|p| {
            (0..def.replicates).map(move |r| Task {
                point: p,
                replicate: r,
                seed: point_seed(def.seed, p as u64, r as u64),
            })
        })
        .collect()
}

/// Checks the folder's definition against `def`, writing it when the folder is new.
pub fn check_or_write_definition(def: &SweepDef, layout: &Layout) -> Result<(), SweepError> {
    let path = layout.definition();
    match std::fs::read_to_string(&path) {
        Ok(existing) => {
            let found = format!(
                "{:x}",
                <sha2::Sha256 as sha2::Digest>::digest(existing.as_bytes())
            );
            if found != def.hash {
                return Err(SweepError::DefinitionMismatch {
                    folder: layout.root.display().to_string(),
                    expected: def.hash.clone(),
                    found,
                });
            }
            Ok(())
        }
        Err(_) => {
            let tmp = tmp_name(&layout.tmp(), &path);
            store::write_atomic_via(&tmp, &path, |f| {
                use std::io::Write;
                f.write_all(def.text.as_bytes())
                    .map_err(StoreError::io(&path))
            })?;
            Ok(())
        }
    }
}

/// Reads every part file, verifying each whole; damaged ones are moved to `quarantine/`
/// (their runs count as missing). Returns the rows and the names of quarantined files.
pub fn collect_rows(
    def: &SweepDef,
    layout: &Layout,
) -> Result<(Vec<Row>, Vec<String>), SweepError> {
    let mut rows = Vec::new();
    let mut quarantined = Vec::new();
    for part in layout.part_files()? {
        match read_part(&part) {
            Ok((r, md)) => {
                let hash = md
                    .iter()
                    .find(|(k, _)| k == HASH_KEY)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                if hash != def.hash {
                    return Err(SweepError::ForeignPart {
                        file: part.display().to_string(),
                        folder: layout.root.display().to_string(),
                        found: hash,
                    });
                }
                rows.extend(r);
            }
            Err(e) => {
                let q = layout.root.join("quarantine");
                std::fs::create_dir_all(&q).map_err(StoreError::io(&q))?;
                let dest = q.join(part.file_name().expect("a file"));
                std::fs::rename(&part, &dest).map_err(StoreError::io(&part))?;
                eprintln!(
                    "warning: damaged part file {} ({e}); moved to {} and its runs will be redone",
                    part.display(),
                    dest.display()
                );
                quarantined.push(part.display().to_string());
            }
        }
    }
    Ok((rows, quarantined))
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Provenance of one part file, as a JSON string.
fn provenance(def: &SweepDef, shard: Shard, started: SystemTime, n_rows: usize) -> String {
    let env = |k: &str| std::env::var(k).ok();
    serde_json::json!({
        "name": def.name,
        "model": def.model.name,
        "definition_hash": def.hash,
        "definition": def.text,
        "definition_source": def.source,
        "master_seed": def.seed,
        "seed_rule": "run seed = rng::point_seed(master_seed, point, replicate) (SplitMix64 mix); ChaCha8 stream per purpose",
        "program": "brunel",
        "version": env!("CARGO_PKG_VERSION"),
        "shard": shard.to_string(),
        "host": hostname(),
        "started": rfc3339(started),
        "ended": rfc3339(SystemTime::now()),
        "rows": n_rows,
        "slurm_job_id": env("SLURM_JOB_ID"),
        "slurm_array_job_id": env("SLURM_ARRAY_JOB_ID"),
        "slurm_array_task_id": env("SLURM_ARRAY_TASK_ID"),
    })
    .to_string()
}

/// Collects finished rows and commits them as numbered part files of one shard.
struct PartWriter<'a> {
    def: &'a SweepDef,
    layout: &'a Layout,
    shard: Shard,
    started: SystemTime,
    /// Number of the next part file.
    seq: usize,
    pending: Vec<Row>,
}

impl PartWriter<'_> {
    /// Writes the pending rows (sorted) as the next part file, if there are any.
    fn flush(&mut self) -> Result<Option<PathBuf>, SweepError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        self.pending.sort_by_key(|r| r.key());
        let path =
            self.layout
                .data()
                .join(format!("part-{}-{:05}.parquet", self.shard.tag(), self.seq));
        let mut df = rows_to_frame(&self.pending).map_err(StoreError::pq(&path))?;
        let md = vec![
            (
                META_KEY.to_string(),
                provenance(self.def, self.shard, self.started, self.pending.len()),
            ),
            (HASH_KEY.to_string(), self.def.hash.clone()),
        ];
        store::write_parquet_via(&tmp_name(&self.layout.tmp(), &path), &path, &mut df, &md)?;
        self.seq += 1;
        self.pending.clear();
        Ok(Some(path))
    }
}

/// Runs the missing runs of `opts.shard` of `def` into `opts.out`.
pub fn run_sweep(
    def: &SweepDef,
    opts: &SweepOptions,
    stop: &AtomicBool,
) -> Result<SweepReport, SweepError> {
    let started = SystemTime::now();
    let layout = Layout::new(&opts.out);
    layout.create()?;
    check_or_write_definition(def, &layout)?;
    let _lock = ShardLock::acquire(&layout, &opts.shard.tag())??;
    layout.clean_stale_tmp();

    let (rows, quarantined) = collect_rows(def, &layout)?;
    let done: BTreeSet<(u32, u32)> = rows.iter().map(|r| r.key()).collect();
    let mine: Vec<Task> = all_tasks(def)
        .into_iter()
        .enumerate()
        .filter(|(k, _)| opts.shard.contains(*k))
        .map(|(_, t)| t)
        .collect();
    let todo: Vec<Task> = mine
        .iter()
        .copied()
        .filter(|t| !done.contains(&(t.point as u32, t.replicate)))
        .collect();
    let mut report = SweepReport {
        shard_runs: mine.len(),
        done_before: mine.len() - todo.len(),
        quarantined,
        ..Default::default()
    };
    if todo.is_empty() {
        return Ok(report);
    }

    let prefix = format!("part-{}-", opts.shard.tag());
    let seq = layout
        .part_files()?
        .iter()
        .filter_map(|p| {
            p.file_stem()?
                .to_str()?
                .strip_prefix(&prefix)?
                .parse::<usize>()
                .ok()
        })
        .max()
        .map_or(0, |m| m + 1);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .expect("thread pool");
    let (tx, rx) = mpsc::channel::<Result<Row, SweepError>>();
    let mut progress = Progress::new(&def.name, todo.len(), opts.progress_every, opts.quiet);
    let mut writer = PartWriter {
        def,
        layout: &layout,
        shard: opts.shard,
        started,
        seq,
        pending: Vec::new(),
    };
    let mut first_error: Option<SweepError> = None;
    let failed = AtomicBool::new(false);
    let layout_ref = &layout;
    let failed_ref = &failed;
    std::thread::scope(|scope| {
        let todo_ref = &todo;
        scope.spawn(move || {
            pool.install(|| {
                todo_ref.par_iter().for_each_with(tx, |tx, t| {
                    if stop.load(Ordering::SeqCst) || failed_ref.load(Ordering::SeqCst) {
                        return;
                    }
                    let _ = tx.send(run_task(def, layout_ref, *t));
                });
            });
        });
        let mut last_flush = Instant::now();
        for msg in rx {
            match msg {
                Ok(row) => {
                    writer.pending.push(row);
                    report.done_now += 1;
                    progress.inc();
                }
                Err(e) => {
                    failed.store(true, Ordering::SeqCst);
                    first_error.get_or_insert(e);
                }
            }
            if last_flush.elapsed() >= opts.flush_every {
                // A failed write stops new runs; the rows stay pending for the last attempt.
                match writer.flush() {
                    Ok(Some(p)) => report.parts_written.push(p),
                    Ok(None) => {}
                    Err(e) => {
                        failed.store(true, Ordering::SeqCst);
                        first_error.get_or_insert(e);
                    }
                }
                last_flush = Instant::now();
            }
        }
    });
    match writer.flush() {
        Ok(Some(p)) => report.parts_written.push(p),
        Ok(None) => {}
        Err(e) => {
            first_error.get_or_insert(e);
        }
    }
    progress.finish();
    if let Some(e) = first_error {
        return Err(e);
    }
    report.interrupted = report.done_before + report.done_now < report.shard_runs;
    Ok(report)
}

/// One run: simulate, keep spikes if asked, build the row.
fn run_task(def: &SweepDef, layout: &Layout, t: Task) -> Result<Row, SweepError> {
    let params = def.params_at(t.point);
    let fail = |message: String| SweepError::Run {
        point: t.point,
        replicate: t.replicate,
        what: def.describe(t.point),
        message,
    };
    let o = run::run(def.model, &params, t.seed, &def.analysis, &def.classifier)
        .map_err(|e| fail(e.to_string()))?;
    if def.keeps_spikes(t.point) {
        let path = layout.spikes_of(t.point, t.replicate);
        let mut df = store::spikes_frame(&o.recording).map_err(|e| fail(e.to_string()))?;
        let md = vec![
            ("brunel_point".to_string(), t.point.to_string()),
            ("brunel_replicate".to_string(), t.replicate.to_string()),
            ("brunel_seed".to_string(), t.seed.to_string()),
            (
                "brunel_params".to_string(),
                serde_json::to_string(&params.to_map()).unwrap_or_default(),
            ),
            (
                "brunel_duration_ms".to_string(),
                o.spec.duration_ms.to_string(),
            ),
            ("brunel_dt_ms".to_string(), o.spec.dt_ms.to_string()),
            (
                "brunel_sizes".to_string(),
                o.recording
                    .spikes
                    .iter()
                    .map(|p| format!("{}={}", p.name, p.size))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            (HASH_KEY.to_string(), def.hash.clone()),
        ];
        store::write_parquet_via(&tmp_name(&layout.tmp(), &path), &path, &mut df, &md)?;
    }
    Ok(build_row(def, t.point, t.replicate, t.seed, &o))
}
