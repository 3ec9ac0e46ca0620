//! Runs a sweep (or one shard of it) into a results folder: verifies what is already there,
//! runs the missing points in parallel with rayon, and commits rows in part files written
//! whole (temporary name, then rename) every `flush_every`, so a kill loses at most that much
//! work. A stop flag (SIGINT/SIGTERM) ends it cleanly: no new runs start, finished rows are
//! committed. A run that fails (an error or a panic) becomes a row with `regime = "failed"`
//! and its message in `error`; the other runs go on. A part file that cannot be written (a
//! full disk) stops new runs, keeps the finished rows in memory and retries before giving up.

use super::definition::SweepDef;
use super::parts::{read_part, write_part};
use super::refine::{self, Progress};
pub use super::row::Task;
use super::row::{build_row, RunResult};
use super::row::{check_columns, Row, Value};
use super::shard::Shard;
use crate::run;
use crate::store::layout::{hostname, tmp_name, Layout, LockError, ShardLock};
use crate::store::spikes::write_spikes;
use crate::store::{self, StoreError};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// How often, and how far apart, a failed part-file write is retried before the sweep
    /// stops (the finished rows are held in memory meanwhile).
    pub write_retries: u32,
    pub write_retry_pause: Duration,
    /// A refining sweep runs levels up to this one only (`--level`; None: all).
    pub max_level: Option<u32>,
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
    #[error("{path} is damaged or was edited ({why}); the runs in {folder} are sound, do not delete them; restore the file with: {restore}")]
    DefinitionDamaged {
        path: String,
        folder: String,
        why: String,
        restore: String,
    },
    #[error("part file {file} belongs to a different definition (hash {found:.12}…); move it out of {folder}")]
    ForeignPart {
        file: String,
        folder: String,
        found: String,
    },
    #[error("run (point {point}, replicate {replicate}) appears twice in {folder} with different values ({first} and {second}); move the part file that is wrong out of {folder}/data")]
    Conflict {
        folder: String,
        point: u32,
        replicate: u32,
        first: String,
        second: String,
    },
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Hears what a running sweep does: the library reports, the caller shows (a progress bar,
/// log lines, nothing).
pub trait SweepObserver {
    /// `todo` runs are about to start.
    fn started(&mut self, _todo: usize) {}
    /// One more run finished (or failed: its row is written either way).
    fn run_done(&mut self) {}
    /// Something the user should know that does not stop the sweep.
    fn warning(&mut self, _message: &str) {}
    /// No more runs will finish in this call.
    fn finished(&mut self) {}
}

/// An observer that shows nothing.
pub struct Quiet;
impl SweepObserver for Quiet {}

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
    /// Runs of this call that failed, with their message (their rows say `failed`).
    pub failed: Vec<String>,
    /// Why part files could not be written (a full disk): the sweep stopped early and the
    /// runs finished since the last commit were lost; resuming redoes them.
    pub write_error: Option<String>,
    /// Finished runs that could not be committed because of `write_error`.
    pub lost_runs: usize,
    /// Σ of the runs' own wall times (s) in this call.
    pub run_seconds: f64,
    /// run_seconds / (threads × this call's wall time): how busy the cores were.
    pub parallel_efficiency: f64,
    /// The stop flag ended the run before every run was done.
    pub interrupted: bool,
    /// Part files written by this call.
    pub parts_written: Vec<PathBuf>,
    /// A refining sweep's progress at the end of this call.
    pub refine: Option<Progress>,
    /// Why this shard stopped before the refinement was complete without being interrupted
    /// (a level waits for runs of other shards).
    pub waiting: Option<String>,
    /// With `waiting`: the runs of other shards the waiting level still lacks.
    pub waiting_runs: usize,
}

/// The runs of `points` in order (run k = k-th point·replicates + replicate), at `level`.
fn tasks_of(def: &SweepDef, points: &[usize], level: u32) -> Vec<Task> {
    points
        .iter()
        .flat_map(|&p| {
            (0..def.replicates).map(move |r| Task {
                point: p,
                replicate: r,
                seed: def.run_seed(p, r),
                level,
            })
        })
        .collect()
}

/// Every run of a sweep that does not refine, in order; run k = point·replicates + replicate.
pub fn all_tasks(def: &SweepDef) -> Vec<Task> {
    tasks_of(def, &(0..def.n_points()).collect::<Vec<_>>(), 0)
}

/// The runs known so far: every run of a plain sweep; for a refining sweep, those of the
/// levels planned from `rows` (each level's runs in order), with the refinement's progress.
pub fn planned_tasks(def: &SweepDef, rows: &[Row]) -> (Vec<Vec<Task>>, Option<Progress>) {
    match &def.refine {
        None => (vec![all_tasks(def)], None),
        Some(r) => {
            let values = refine::point_values(rows, &r.on, def.replicates);
            let (p, _) = refine::progress_facets(r, def.n_facets(), &values, def.replicates);
            let levels = p
                .levels
                .iter()
                .enumerate()
                .map(|(l, pts)| tasks_of(def, pts, l as u32))
                .collect();
            (levels, Some(p))
        }
    }
}

/// Checks the folder's definition against `def`, claiming the folder when it is new. The
/// claim is atomic: the text is written under a temporary name and hard-linked into place,
/// which fails when another process claimed the folder first; then its definition is compared.
pub fn check_or_write_definition(def: &SweepDef, layout: &Layout) -> Result<(), SweepError> {
    let path = layout.definition();
    if !path.exists() {
        let tmp = tmp_name(&layout.tmp(), &path);
        store::write_atomic_via(&tmp, &tmp.with_extension("claim"), |f| {
            use std::io::Write;
            f.write_all(def.text.as_bytes())
                .map_err(StoreError::io(&path))
        })?;
        let claim = tmp.with_extension("claim");
        let linked = std::fs::hard_link(&claim, &path);
        let _ = std::fs::remove_file(&claim);
        match linked {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::io(&path)(e).into()),
        }
    }
    check_definition(def, layout)
}

/// Checks the folder's `definition.toml` against `def` (by the SHA-256 of its text). A file
/// that differs is told apart: when the folder's part files hold runs of `def`, or the file
/// does not parse, it is damaged (or was edited) and the error says how to restore it;
/// otherwise the folder holds another sweep.
pub fn check_definition(def: &SweepDef, layout: &Layout) -> Result<(), SweepError> {
    let path = layout.definition();
    let existing = store::read_regular_max(&path, store::MAX_TEXT_FILE_BYTES)?;
    let found = super::definition::text_hash(&existing);
    if found == def.hash {
        return Ok(());
    }
    let folder = layout.root.display().to_string();
    let parts = part_hashes(layout);
    let text = String::from_utf8_lossy(&existing);
    let why = if parts.contains(&def.hash) {
        Some(format!(
            "its hash is {found:.12}…, but the part files hold runs of this definition, {:.12}…",
            def.hash
        ))
    } else {
        super::definition::SweepDef::parse(&text, &path.display().to_string())
            .err()
            .map(|e| format!("it is not a valid definition: {e}"))
    };
    match why {
        Some(why) => Err(SweepError::DefinitionDamaged {
            path: path.display().to_string(),
            folder,
            why,
            restore: restore_advice(def, layout, !parts.is_empty()),
        }),
        None => Err(SweepError::DefinitionMismatch {
            folder,
            expected: def.hash.clone(),
            found,
        }),
    }
}

/// How to restore a damaged `definition.toml`: from the part files' metadata, or from the
/// definition file at hand when the parts are its runs.
pub(crate) fn restore_advice(def: &SweepDef, layout: &Layout, has_parts: bool) -> String {
    let folder = layout.root.display();
    let from_parts = format!("brunel merge {folder} --restore-definition (from the part files' metadata, which hold its text)");
    let source = std::path::Path::new(&def.source);
    match (has_parts, source.is_file()) {
        (true, true) if part_hashes(layout).contains(&def.hash) => format!(
            "{from_parts}, or cp {} {}",
            def.source,
            layout.definition().display()
        ),
        (true, _) => from_parts,
        (false, _) => format!(
            "no part file holds its text: copy the definition this folder was run with to {}",
            layout.definition().display()
        ),
    }
}

/// The definition hashes the folder's readable part files record (damaged ones aside).
pub(crate) fn part_hashes(layout: &Layout) -> BTreeSet<String> {
    layout
        .part_files()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| store::read_metadata(p).ok())
        .filter_map(|md| md.into_iter().find(|(k, _)| k == HASH_KEY).map(|(_, v)| v))
        .collect()
}

/// What to do with a damaged part file: only `brunel sweep` moves files; reading commands
/// (merge, plot) report them and leave the folder as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDamage {
    Quarantine,
    Report,
}

/// Every run's row in the folder's part files, one per (point, replicate) and sorted by it,
/// and what was found damaged (`path: why`, and where it was moved). Damaged files' runs
/// count as missing. A run found in several files (a copied part file, a shard run twice)
/// counts once; its rows must be identical bit for bit (NaN equals NaN; timings aside), else
/// it is a [`SweepError::Conflict`] naming both files. Planning (of levels, of the runs to
/// do) and merging both read rows through here, so they always agree on what is done.
pub fn collect_rows(
    def: &SweepDef,
    layout: &Layout,
    on_damage: OnDamage,
) -> Result<(Vec<Row>, Vec<String>), SweepError> {
    let mut rows: std::collections::BTreeMap<(u32, u32), (Row, usize)> = Default::default();
    let mut files: Vec<PathBuf> = Vec::new();
    // Damaged parts are moved (or reported) only once every part has been read: a folder
    // refused for a foreign part or a conflict is left as it was.
    let mut bad: Vec<(PathBuf, StoreError)> = Vec::new();
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
                if let Some(Err(message)) = r.first().map(|row| check_columns(def, row)) {
                    let e = StoreError::Damaged {
                        path: part.display().to_string(),
                        message,
                    };
                    bad.push((part.clone(), e));
                    continue;
                }
                files.push(part.clone());
                for row in r {
                    add_unique(&mut rows, row, files.len() - 1, &files, layout)?;
                }
            }
            Err(StoreError::Io { path, error })
                if error.kind() != std::io::ErrorKind::UnexpectedEof =>
            {
                // Not damage: the file could not be read at all (permissions, I/O).
                return Err(StoreError::Io { path, error }.into());
            }
            Err(e) => bad.push((part.clone(), e)),
        }
    }
    let damaged = bad
        .into_iter()
        .map(|(part, e)| handle_damage(layout, &part, e, on_damage))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows.into_values().map(|(r, _)| r).collect(), damaged))
}

/// Adds `row` (read from `files[file]`) unless its run is there already; a second row of a
/// run that differs is a conflict.
fn add_unique(
    rows: &mut std::collections::BTreeMap<(u32, u32), (Row, usize)>,
    row: Row,
    file: usize,
    files: &[PathBuf],
    layout: &Layout,
) -> Result<(), SweepError> {
    let Some(k) = row.key() else {
        return Ok(()); // read_part refuses rows without a key
    };
    match rows.get(&k) {
        None => {
            rows.insert(k, (row, file));
            Ok(())
        }
        Some((prev, _)) if prev.without_timings().same_bits(&row.without_timings()) => Ok(()),
        Some((_, first)) => Err(SweepError::Conflict {
            folder: layout.root.display().to_string(),
            point: k.0,
            replicate: k.1,
            first: files[*first].display().to_string(),
            second: files[file].display().to_string(),
        }),
    }
}

/// Quarantines a damaged part (or only reports it) and says what happened.
fn handle_damage(
    layout: &Layout,
    part: &std::path::Path,
    e: StoreError,
    on_damage: OnDamage,
) -> Result<String, SweepError> {
    Ok(match on_damage {
        OnDamage::Quarantine => {
            let dest = layout.quarantine_file(part)?;
            format!("{e}; moved to {}", dest.display())
        }
        OnDamage::Report => e.to_string(),
    })
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The provenance every results file of a sweep carries (definition, its hash and source,
/// seeding rule, program and version), plus `extra` fields of the file at hand.
pub(crate) fn provenance_json(def: &SweepDef, extra: serde_json::Value) -> String {
    let mut p = serde_json::json!({
        "name": def.name,
        "model": def.model.name,
        "definition_hash": def.hash,
        "definition": def.text,
        "definition_source": def.source,
        "master_seed": def.seed,
        "seed_rule": match def.seeds {
            super::definition::SeedRule::Index => "run seed = rng::point_seed(master_seed, point, replicate) (SplitMix64 mix); ChaCha8 stream per purpose",
            super::definition::SeedRule::Coordinates => "run seed = rng::coordinate_seed(master_seed, the point's values, replicate) (SplitMix64 mix of the f64 bits); ChaCha8 stream per purpose",
        },
        "program": "brunel",
        "version": env!("CARGO_PKG_VERSION"),
    });
    if let (Some(base), serde_json::Value::Object(more)) = (p.as_object_mut(), extra) {
        base.extend(more);
    }
    p.to_string()
}

/// Provenance of one part file, as a JSON string.
fn provenance(w: &PartWriter, n_rows: usize) -> String {
    let env = |k: &str| std::env::var(k).ok();
    provenance_json(
        w.def,
        serde_json::json!({
            "shard": w.shard.to_string(),
            "host": hostname(),
            "started": rfc3339(w.started),
            "ended": rfc3339(SystemTime::now()),
            "rows": n_rows,
            "threads": w.usage.threads,
            "run_seconds_so_far": w.usage.busy_s,
            "parallel_efficiency_so_far": w.usage.efficiency(),
            "slurm_job_id": env("SLURM_JOB_ID"),
            "slurm_array_job_id": env("SLURM_ARRAY_JOB_ID"),
            "slurm_array_task_id": env("SLURM_ARRAY_TASK_ID"),
        }),
    )
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
    usage: Usage,
}

/// How busy the workers were: the sum of the runs' own wall times against threads × elapsed.
#[derive(Debug, Clone, Copy)]
struct Usage {
    threads: usize,
    since: Instant,
    busy_s: f64,
}

impl Usage {
    /// Σ run wall time / (threads × elapsed wall time): 1 when no core ever waited.
    fn efficiency(&self) -> f64 {
        self.busy_s / (self.threads as f64 * self.since.elapsed().as_secs_f64()).max(1e-9)
    }
}

impl PartWriter<'_> {
    /// Writes the pending rows (sorted) as the next part file, if there are any. On failure
    /// the rows stay pending.
    fn flush(&mut self) -> Result<Option<PathBuf>, StoreError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        self.pending.sort_by_key(|r| r.key());
        let path =
            self.layout
                .data()
                .join(format!("part-{}-{:05}.parquet", self.shard.tag(), self.seq));
        let md = vec![
            (META_KEY.to_string(), provenance(self, self.pending.len())),
            (HASH_KEY.to_string(), self.def.hash.clone()),
        ];
        write_part(
            &tmp_name(&self.layout.tmp(), &path),
            &path,
            &self.pending,
            &md,
        )?;
        self.seq += 1;
        self.pending.clear();
        Ok(Some(path))
    }
}

/// The next free part number of a shard in the folder.
fn next_seq(layout: &Layout, shard: Shard) -> Result<usize, StoreError> {
    let prefix = format!("part-{}-", shard.tag());
    Ok(layout
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
        .map_or(0, |m| m + 1))
}

/// What a worker sends back for one run.
enum Finished {
    /// The row (of a finished or a failed run) and, for a failure, its message.
    Row(Row, Option<String>),
    /// The run's files (kept spikes) could not be written: not the run's fault.
    WriteFailed(StoreError),
    /// The run was given up unfinished (a stop while it was held): it has no row.
    Abandoned,
}

/// A results folder claimed for one shard of a sweep: its definition checked (or written),
/// its shard locked, its part files read. Nothing has run yet.
pub struct Prepared<'a> {
    def: &'a SweepDef,
    opts: &'a SweepOptions,
    layout: Layout,
    _lock: ShardLock,
    started: SystemTime,
    todo: Vec<Task>,
    report: SweepReport,
}

/// Claims `opts.out` for `opts.shard` of `def`: creates the folder, checks or writes the
/// definition, takes the shard lock, verifies the part files already there (damaged ones
/// move to `quarantine/`) and lists the runs still to do (for a refining sweep: of the
/// level being run).
pub fn prepare<'a>(def: &'a SweepDef, opts: &'a SweepOptions) -> Result<Prepared<'a>, SweepError> {
    let started = SystemTime::now();
    let layout = Layout::new(&opts.out);
    // A folder of another definition is refused before anything is created in it.
    if layout.definition().exists() {
        check_definition(def, &layout)?;
    }
    layout.create()?;
    check_or_write_definition(def, &layout)?;
    let lock = ShardLock::acquire(&layout, opts.shard.index, opts.shard.count)?;
    layout.clean_stale_tmp();

    let (rows, quarantined) = collect_rows(def, &layout, OnDamage::Quarantine)?;
    let step = next_step(def, opts, &rows);
    let report = SweepReport {
        shard_runs: step.mine,
        done_before: step.mine - step.todo.len(),
        quarantined,
        refine: step.progress,
        ..Default::default()
    };
    Ok(Prepared {
        def,
        opts,
        layout,
        _lock: lock,
        started,
        todo: step.todo,
        report,
    })
}

/// What to run next: this shard's missing runs (of the level being run, for a refining
/// sweep), longest predicted first, and how many runs the shard has in the planned levels.
struct Step {
    todo: Vec<Task>,
    mine: usize,
    progress: Option<Progress>,
}

fn next_step(def: &SweepDef, opts: &SweepOptions, rows: &[Row]) -> Step {
    let done: BTreeSet<(u32, u32)> = rows.iter().filter_map(|r| r.key()).collect();
    let (levels, progress) = planned_tasks(def, rows);
    let mut mine = 0;
    let mut todo = Vec::new();
    // Levels beyond --level are neither run nor counted.
    let allowed = levels
        .len()
        .min(opts.max_level.map_or(usize::MAX, |m| m as usize + 1));
    for tasks in &levels[..allowed] {
        let shard: Vec<Task> = tasks
            .iter()
            .enumerate()
            .filter(|(k, _)| opts.shard.contains(*k))
            .map(|(_, t)| *t)
            .collect();
        mine += shard.len();
        todo.extend(
            shard
                .into_iter()
                .filter(|t| !done.contains(&(t.point as u32, t.replicate))),
        );
    }
    // Longest predicted runs first (a stable sort: equal costs keep their order).
    if todo.len() > 1 {
        let points: Vec<usize> = todo
            .iter()
            .map(|t| t.point)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let cost: std::collections::BTreeMap<usize, f64> = points
            .iter()
            .copied()
            .zip(super::cost::predicted_run_s(def, &points))
            .collect();
        let mut order: Vec<(f64, Task)> = todo.into_iter().map(|t| (cost[&t.point], t)).collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0));
        todo = order.into_iter().map(|(_, t)| t).collect();
    }
    Step {
        todo,
        mine,
        progress,
    }
}

/// Runs the missing runs of `opts.shard` of `def` into `opts.out` ([`prepare`], then
/// [`Prepared::run`]).
pub fn run_sweep(
    def: &SweepDef,
    opts: &SweepOptions,
    stop: &AtomicBool,
    observer: &mut dyn SweepObserver,
) -> Result<SweepReport, SweepError> {
    prepare(def, opts)?.run(stop, observer)
}

impl Prepared<'_> {
    /// Runs of this shard still to do (of the level being run, for a refining sweep).
    pub fn todo(&self) -> usize {
        self.todo.len()
    }

    /// The refinement's progress when the folder was read, for a refining sweep.
    pub fn progress(&self) -> Option<&Progress> {
        self.report.refine.as_ref()
    }

    /// Runs the remaining runs in parallel until done, stopped by `stop`, or halted by a
    /// write that keeps failing. A refining sweep runs its levels in turn, each planned from
    /// the rows of the ones before, until the refinement is complete, `--level` is reached,
    /// or a level waits for runs of other shards.
    pub fn run(
        self,
        stop: &AtomicBool,
        observer: &mut dyn SweepObserver,
    ) -> Result<SweepReport, SweepError> {
        let Prepared {
            def,
            opts,
            layout,
            _lock,
            started,
            todo,
            report,
        } = self;
        let since = Instant::now();
        let mut total = run_todo(def, opts, &layout, started, todo, report, stop, observer)?;
        while def.refine.is_some() && !total.interrupted {
            let (rows, _) = collect_rows(def, &layout, OnDamage::Quarantine)?;
            let step = next_step(def, opts, &rows);
            let progress = step
                .progress
                .clone()
                .expect("a refining sweep has progress");
            let level_open = progress.current().is_some();
            let beyond = progress
                .current()
                .is_some_and(|l| opts.max_level.is_some_and(|m| l as u32 > m));
            total.refine = step.progress.clone();
            total.shard_runs = step.mine;
            if step.todo.is_empty() {
                if level_open && !beyond {
                    let level = progress.current().unwrap_or(0);
                    let have: BTreeSet<(u32, u32)> = rows.iter().filter_map(|r| r.key()).collect();
                    let missing = tasks_of(def, &progress.levels[level], level as u32)
                        .iter()
                        .filter(|t| !have.contains(&(t.point as u32, t.replicate)))
                        .count();
                    total.waiting_runs = missing;
                    total.waiting = Some(format!(
                        "level {level} waits for {missing} run(s) of other shards; run the next level when they are done"
                    ));
                }
                break;
            }
            let next = SweepReport {
                shard_runs: step.mine,
                done_before: step.mine - step.todo.len(),
                ..Default::default()
            };
            let r = run_todo(def, opts, &layout, started, step.todo, next, stop, observer)?;
            total.absorb(r);
        }
        if def.refine.is_some() {
            total.parallel_efficiency = total.run_seconds
                / (opts.threads.max(1) as f64 * since.elapsed().as_secs_f64()).max(1e-9);
        }
        Ok(total)
    }
}

impl SweepReport {
    /// Adds the report of a later call (the next level of a refining sweep).
    fn absorb(&mut self, r: SweepReport) {
        self.shard_runs = r.shard_runs;
        self.done_now += r.done_now;
        // r.done_before counts every run complete when the later call started, those of
        // earlier calls included.
        self.done_before = (r.done_before + r.done_now).saturating_sub(self.done_now);
        self.failed.extend(r.failed);
        self.write_error = r.write_error;
        self.lost_runs += r.lost_runs;
        self.run_seconds += r.run_seconds;
        self.interrupted = r.interrupted;
        self.parts_written.extend(r.parts_written);
    }
}

fn run_todo(
    def: &SweepDef,
    opts: &SweepOptions,
    layout: &Layout,
    started: SystemTime,
    todo: Vec<Task>,
    report: SweepReport,
    stop: &AtomicBool,
    progress: &mut dyn SweepObserver,
) -> Result<SweepReport, SweepError> {
    if todo.is_empty() {
        return Ok(report);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| StoreError::Io {
            path: opts.out.display().to_string(),
            error: std::io::Error::other(format!(
                "cannot start {} worker threads: {e}",
                opts.threads
            )),
        })?;
    progress.started(todo.len());
    let writer = PartWriter {
        def,
        layout,
        shard: opts.shard,
        started,
        seq: next_seq(layout, opts.shard)?,
        pending: Vec::new(),
        usage: Usage {
            threads: opts.threads.max(1),
            since: Instant::now(),
            busy_s: 0.0,
        },
    };
    // Set when a write fails: no new runs start, the finished ones are kept for a retry.
    let halt = AtomicBool::new(false);
    let mut c = Collector {
        writer,
        report,
        write_error: None,
        spikes_error: None,
        halt: &halt,
        progress,
    };
    // Greedy list scheduling: every worker takes the next run of `todo` (longest predicted
    // first) when it is free, so the last runs to start are the short ones. (A parallel
    // iterator would hand each thread a contiguous half of the list, the long runs to one.)
    // Runs before `next` have started; after a write that failed and then succeeded on a
    // retry (space came back), the runs not started yet are run in another round.
    let next = AtomicUsize::new(0);
    loop {
        let round = Round {
            pool: &pool,
            def,
            layout,
            todo: &todo,
            next: &next,
            stop,
        };
        round.run(&mut c, opts.flush_every);
        c.commit_remaining(opts.write_retries, opts.write_retry_pause);
        let left = todo.len().saturating_sub(next.load(Ordering::SeqCst));
        if !c.recovered(stop, left) {
            break;
        }
    }
    c.progress.finished();
    Ok(c.finish())
}

/// The runs of one call and the workers that take them in turn.
struct Round<'r> {
    pool: &'r rayon::ThreadPool,
    def: &'r SweepDef,
    layout: &'r Layout,
    todo: &'r [Task],
    /// Index of the next run to start.
    next: &'r AtomicUsize,
    stop: &'r AtomicBool,
}

impl Round<'_> {
    /// Runs `todo[next..]` until every run has started and finished, the stop flag is set or
    /// a write failed (`c.halt`); `c` takes the rows and commits them.
    fn run(&self, c: &mut Collector, flush_every: Duration) {
        let (tx, rx) = mpsc::channel::<Finished>();
        let Round {
            pool,
            def,
            layout,
            todo,
            next,
            stop,
        } = *self;
        let halt = c.halt;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                pool.broadcast(|_| {
                    let tx = tx.clone();
                    loop {
                        if stop.load(Ordering::SeqCst) || halt.load(Ordering::SeqCst) {
                            return;
                        }
                        let Some(t) = todo.get(next.fetch_add(1, Ordering::SeqCst)) else {
                            return;
                        };
                        let _ = tx.send(run_guarded(def, layout, *t, stop));
                    }
                });
                // The workers' senders are gone; dropping this one ends `receive_all`.
                drop(tx);
            });
            c.receive_all(&rx, flush_every);
        });
    }
}

/// Whether a row is of a run that finished (failed rows have NaN timings).
fn failure_free(row: &Row) -> bool {
    matches!(row.get("error"), Some(Value::Str(e)) if e.is_empty())
}

/// Receives finished runs on the sweep's thread and commits them.
struct Collector<'a, 'p> {
    writer: PartWriter<'a>,
    report: SweepReport,
    /// The part-file write that failed and was not yet followed by one that succeeded; no
    /// new runs start after it.
    write_error: Option<StoreError>,
    /// The first run whose kept spikes could not be written, and how many such runs were
    /// lost (redone on resume): a later part file that commits does not bring them back.
    spikes_error: Option<(StoreError, usize)>,
    halt: &'a AtomicBool,
    progress: &'p mut dyn SweepObserver,
}

impl Collector<'_, '_> {
    /// Takes rows until every worker is done, committing at least every `flush_every`, also
    /// while no run finishes.
    fn receive_all(&mut self, rx: &mpsc::Receiver<Finished>, flush_every: Duration) {
        let mut last_flush = Instant::now();
        loop {
            let wait = flush_every.saturating_sub(last_flush.elapsed());
            match rx.recv_timeout(wait.max(Duration::from_millis(1))) {
                Ok(msg) => self.take(msg),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if self.write_error.is_none() && last_flush.elapsed() >= flush_every {
                self.flush_now();
                last_flush = Instant::now();
            }
        }
    }

    fn take(&mut self, msg: Finished) {
        match msg {
            Finished::Abandoned => {}
            Finished::Row(row, failure) => {
                if let Some(m) = failure {
                    self.progress.warning(&m);
                    self.report.failed.push(m);
                }
                if let Some(Value::F64(s)) = row.get("wall_s").filter(|_| failure_free(&row)) {
                    self.writer.usage.busy_s += s;
                }
                self.writer.pending.push(row);
                self.report.done_now += 1;
                self.progress.run_done();
            }
            Finished::WriteFailed(e) => {
                self.halt.store(true, Ordering::SeqCst);
                self.spikes_error.get_or_insert((e, 0)).1 += 1;
            }
        }
    }

    fn stop_writing(&mut self, e: StoreError) {
        self.halt.store(true, Ordering::SeqCst);
        self.write_error.get_or_insert(e);
    }

    /// After [`Self::commit_remaining`]: whether a write had halted the workers and the
    /// retry committed every finished run (space came back), with `left` runs not started
    /// and no stop asked; then the halt is lifted and the caller runs them.
    fn recovered(&mut self, stop: &AtomicBool, left: usize) -> bool {
        let go_on = self.halt.load(Ordering::SeqCst)
            && self.write_error.is_none()
            && self.spikes_error.is_none()
            && !stop.load(Ordering::SeqCst)
            && left > 0;
        if go_on {
            self.progress.warning(&format!(
                "the retry committed every finished run; going on with the {left} run(s) not started yet"
            ));
            self.halt.store(false, Ordering::SeqCst);
        }
        go_on
    }

    fn flush_now(&mut self) {
        match self.writer.flush() {
            Ok(Some(p)) => self.report.parts_written.push(p),
            Ok(None) => {}
            Err(e) => {
                self.progress.warning(&format!(
                    "{e}; no new runs start, finished runs are kept in memory"
                ));
                self.stop_writing(e);
            }
        }
    }

    /// Commits what is pending; after a failed write, retries `retries` times `pause` apart
    /// (space may be freed meanwhile). A write that succeeds clears the earlier failure:
    /// every finished run is committed, so nothing was lost.
    fn commit_remaining(&mut self, retries: u32, pause: Duration) {
        for attempt in 0..=retries {
            match self.writer.flush() {
                Ok(Some(p)) => {
                    self.report.parts_written.push(p);
                    self.write_error = None;
                    return;
                }
                Ok(None) => return,
                Err(e) if attempt == retries => {
                    self.write_error = Some(e);
                    return;
                }
                Err(e) => {
                    self.progress.warning(&format!(
                        "{e}; {} finished runs are held in memory; retry {} of {retries} in {:.0} s",
                        self.writer.pending.len(),
                        attempt + 1,
                        pause.as_secs_f64()
                    ));
                    std::thread::sleep(pause);
                    self.write_error = Some(e);
                }
            }
        }
    }

    /// The report: runs still pending after a failed write are lost (redone on resume), and
    /// so are runs whose kept spikes could not be written.
    fn finish(mut self) -> SweepReport {
        let spikes = self.spikes_error.take();
        let spikes_lost = spikes.as_ref().map_or(0, |s| s.1);
        if let Some(e) = self.write_error.take().or(spikes.map(|s| s.0)) {
            let lost = self.writer.pending.len();
            self.report.done_now -= lost;
            self.report.lost_runs = lost + spikes_lost;
            self.report.write_error = Some(e.to_string());
        }
        let r = &mut self.report;
        r.interrupted = r.done_before + r.done_now < r.shard_runs;
        r.run_seconds = self.writer.usage.busy_s;
        r.parallel_efficiency = self.writer.usage.efficiency();
        self.report
    }
}

/// A fault injected by a test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// The run fails with an error.
    Fail,
    /// The run panics.
    Panic,
    /// The run waits until the sweep is stopped, then is abandoned: a sweep that is certainly
    /// still running when a test kills or signals it.
    Hold,
}

/// Runs started so far by this process (for `~N` faults).
static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Fault injection for tests: `BRUNEL_FAULT_RUNS="3,5!,~7"` makes every run of point 3 fail,
/// of point 5 panic, and every run from the 7th to start on (in schedule order) wait for a
/// stop, so tests can show that a failed run is recorded and costs no other run, and
/// interrupt a sweep that is certainly still running. Unset in normal use.
fn injected_fault(point: usize, started: usize) -> Option<Fault> {
    static FAULTS: std::sync::OnceLock<Vec<(usize, Fault)>> = std::sync::OnceLock::new();
    let faults = FAULTS.get_or_init(|| {
        std::env::var("BRUNEL_FAULT_RUNS")
            .unwrap_or_default()
            .split(',')
            .filter_map(|p| {
                let p = p.trim();
                let (num, fault) = if let Some(n) = p.strip_prefix('~') {
                    (n, Fault::Hold)
                } else if let Some(n) = p.strip_suffix('!') {
                    (n, Fault::Panic)
                } else {
                    (p, Fault::Fail)
                };
                Some((num.parse().ok()?, fault))
            })
            .collect()
    });
    faults.iter().find_map(|&(n, f)| match f {
        Fault::Hold => (started >= n).then_some(f),
        _ => (n == point).then_some(f),
    })
}

/// Runs one task, turning an error or a panic of the run into a failed row.
fn run_guarded(def: &SweepDef, layout: &Layout, t: Task, stop: &AtomicBool) -> Finished {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let started = STARTED.fetch_add(1, Ordering::SeqCst);
        match injected_fault(t.point, started) {
            Some(Fault::Panic) => panic!("injected panic (BRUNEL_FAULT_RUNS)"),
            Some(Fault::Fail) => Err(TaskError::Run(
                "injected failure (BRUNEL_FAULT_RUNS)".into(),
            )),
            Some(Fault::Hold) => {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(TaskError::Abandoned)
            }
            None => run_task(def, layout, t),
        }
    }));
    let message = match outcome {
        Ok(Ok(row)) => return Finished::Row(row, None),
        Ok(Err(TaskError::Write(e))) => return Finished::WriteFailed(e),
        Ok(Err(TaskError::Abandoned)) => return Finished::Abandoned,
        Ok(Err(TaskError::Run(m))) => m,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            format!("internal error (panic): {what}")
        }
    };
    let message = format!(
        "run of point {} ({}), replicate {} failed: {message}",
        t.point,
        def.describe(t.point),
        t.replicate
    );
    let row = build_row(def, &t, RunResult::Failed(&message));
    Finished::Row(row, Some(message))
}

/// Why a task produced no row of its own.
enum TaskError {
    /// The run itself failed: recorded as a failed row.
    Run(String),
    /// Its kept spikes could not be written: the sweep stops, the run is redone on resume.
    Write(StoreError),
    /// Given up unfinished on a stop; redone on resume.
    Abandoned,
}

/// One run: simulate, keep spikes if asked, build the row.
fn run_task(def: &SweepDef, layout: &Layout, t: Task) -> Result<Row, TaskError> {
    let params = def.params_at(t.point);
    let o = run::run(def.model, &params, t.seed, &def.analysis, &def.classifier)
        .map_err(|e| TaskError::Run(e.to_string()))?;
    if def.keeps_spikes(t.point) {
        let path = layout.spikes_of(t.point, t.replicate);
        let md = vec![
            ("brunel_point".to_string(), t.point.to_string()),
            ("brunel_replicate".to_string(), t.replicate.to_string()),
            ("brunel_seed".to_string(), t.seed.to_string()),
            (
                "brunel_params".to_string(),
                serde_json::to_string(&params.to_map()).unwrap_or_default(),
            ),
            (HASH_KEY.to_string(), def.hash.clone()),
        ];
        let tmp = tmp_name(&layout.tmp(), &path);
        write_spikes(&path, Some(&tmp), &o.recording, &md).map_err(TaskError::Write)?;
    }
    Ok(build_row(def, &t, RunResult::Done(&o)))
}
