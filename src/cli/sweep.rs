//! `brunel sweep`, `brunel merge`, `brunel plot`, `brunel slurm`.

use crate::store::layout::Layout;
use crate::sweep::definition::{Limits, SweepDef, DEFAULT_MAX_RUNS};
use crate::sweep::merge::{folder_definition_with, gather, merge, Gathered};
use crate::sweep::report::{draw_all, regime_table};
use crate::sweep::runner::prepare;
use crate::sweep::slurm::{write_script, SlurmOptions, SlurmRequest};
use crate::sweep::{Shard, SweepOptions};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The sweep stopped before finishing (a signal, or results that could not be written);
/// it can be resumed.
#[derive(Debug, thiserror::Error)]
#[error("{why}: {done} of {total} runs of this shard are complete; resume with: {resume}")]
pub struct Interrupted {
    pub why: String,
    pub done: usize,
    pub total: usize,
    pub resume: String,
}

/// A shard of a refining sweep finished its share of a level, but the next level cannot be
/// planned until the other shards' runs of it are in the folder: levels it was asked for are
/// not done, so it exits as resumable (3) rather than as done.
#[derive(Debug, thiserror::Error)]
#[error("shard {shard}: stopped at level {level}, which waits for {missing} run(s) of other shards; level(s) {next} to {last} of this shard are not done. When the other shards have finished level {level}, resume with: {resume}")]
pub struct Waiting {
    pub shard: Shard,
    pub level: usize,
    pub missing: usize,
    pub next: usize,
    pub last: u32,
    pub resume: String,
}

/// `--max-runs`: the explicit flag a huge sweep needs.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Accept definitions of up to N runs (points × replicates); larger ones are refused
    /// before anything is expanded, so a mistyped grid costs nothing.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RUNS)]
    pub max_runs: usize,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_runs: self.max_runs,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Sweep definition (TOML, see sweeps/). Without it: the embedded default,
    /// sweeps/brunel-phase-quick.toml (a g × eta map of Brunel's model in a few minutes).
    pub file: Option<PathBuf>,
    /// Results folder [default: results/<name>]. Running the same definition into an existing
    /// folder resumes it: complete runs are kept, the rest are run.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: $SLURM_CPUS_PER_TASK, else all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only shard I of N (0-based), e.g. 2/8 [default: from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT when set, else everything].
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Commit finished runs to a new part file at least this often (seconds); a kill loses
    /// at most this much work.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub flush_every_s: f64,
    /// Interval of progress lines when stderr is not a terminal (seconds).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub progress_every_s: f64,
    /// Refining sweeps ([refine] in the definition) only: run levels up to N and stop (a SLURM
    /// job array per level uses it). Level N starts when every run of level N−1 is in the
    /// folder, whichever shard ran it [default: every level, in turn].
    #[arg(long, value_name = "N")]
    pub level: Option<u32>,
    /// Do not draw figures at the end.
    #[arg(long)]
    pub no_plots: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Retries of a part-file write that failed (a full disk) before the sweep stops.
    #[arg(long, default_value_t = 3, hide = true)]
    pub write_retries: u32,
    /// Seconds between those retries.
    #[arg(long, default_value_t = 10.0, hide = true)]
    pub write_retry_pause_s: f64,
}

fn load(file: &Option<PathBuf>, limits: &Limits) -> anyhow::Result<SweepDef> {
    Ok(match file {
        Some(p) => SweepDef::load_with(p, limits)?,
        None => SweepDef::embedded_default(),
    })
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Most worker threads a sweep starts: max(1024, 4 × cores). More only thrashes (and
/// spawning a hundred thousand threads took a machine down before a run started).
fn max_threads() -> usize {
    1024.max(4 * cores())
}

fn default_threads() -> usize {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(cores)
}

/// Registers SIGINT and SIGTERM: the first sets the stop flag, a second one exits at once.
fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&flag))?;
        signal_hook::flag::register(sig, Arc::clone(&flag))?;
    }
    Ok(flag)
}

pub fn sweep(a: SweepArgs) -> anyhow::Result<()> {
    let def = load(&a.file, &a.limits.limits())?;
    let opts = sweep_options(&a, &def)?;
    let stop = stop_flag()?;
    let prepared = prepare(&def, &opts).map_err(|e| match &e {
        crate::sweep::runner::SweepError::Store(s) if s.is_not_writable() => {
            anyhow::anyhow!("{e}: choose another folder with --out DIR")
        }
        _ => e.into(),
    })?;
    match (&def.refine, prepared.progress()) {
        (Some(r), Some(p)) => eprintln!(
            "sweep {} ({}): adaptive, {} levels over a {} × {} base grid{} ({} lattice points × {} replicates if every cell were split){}; level {} now, {} runs to do; {} threads; results in {}",
            def.name,
            def.source,
            r.levels,
            r.base[0].len(),
            r.base[1].len(),
            def.facets_summary().map_or(String::new(), |f| format!(" in each of {f}")),
            def.n_points(),
            def.replicates,
            shard_note(opts.shard, ", shard "),
            p.current().map_or("none (complete)".to_string(), |l| l.to_string()),
            prepared.todo(),
            opts.threads,
            opts.out.display()
        ),
        _ => eprintln!(
            "sweep {} ({}): {} points{} × {} replicates = {} runs{}, {} to do; {} threads; results in {}",
            def.name,
            def.source,
            def.n_points(),
            def.facets_summary().map_or(String::new(), |f| format!(" ({f})")),
            def.replicates,
            def.n_runs(),
            shard_note(opts.shard, ", shard "),
            prepared.todo(),
            opts.threads,
            opts.out.display()
        ),
    }
    let mut progress = super::progress::Progress::new(
        &def.name,
        prepared.todo(),
        Duration::from_secs_f64(a.progress_every_s.max(0.1)),
        a.quiet,
    );
    let report = prepared.run(&stop, &mut progress)?;
    for q in &report.quarantined {
        eprintln!("warning: damaged part file {q}; its runs were redone");
    }
    if let Some(first) = report.failed.first() {
        eprintln!(
            "warning: {} run(s) failed; their rows say regime = \"failed\" with the reason in column `error` (first: {first})",
            report.failed.len(),
        );
    }
    if report.interrupted {
        return Err(interrupted(&a, &opts, &report).into());
    }
    if let Some(w) = &report.waiting {
        println!("shard {}: {w}", opts.shard);
    }
    let waiting = waiting_for_others(&a, &def, &opts, &report);
    eprintln!(
        "{} runs done now, {} were already complete{}",
        report.done_now,
        report.done_before,
        if report.done_now > 0 {
            format!(
                "; parallel efficiency {:.0} % (Σ run time {:.1} s on {} threads)",
                100.0 * report.parallel_efficiency,
                report.run_seconds,
                opts.threads
            )
        } else {
            String::new()
        }
    );
    if let Some(w) = waiting {
        return Err(w.into());
    }
    finish_folder(&def, &opts.out, a.no_plots, opts.shard, &stop)
}

/// When a shard of a refining sweep waits for other shards at a level below the last one
/// it was asked to run (`--level`, else the definition's last), what it left undone.
fn waiting_for_others(
    a: &SweepArgs,
    def: &SweepDef,
    opts: &SweepOptions,
    report: &crate::sweep::SweepReport,
) -> Option<Waiting> {
    report.waiting.as_ref()?;
    let last = a.level.or(def.refine.as_ref().map(|r| r.levels))?;
    let progress = report.refine.as_ref()?;
    let level = progress.current()?;
    if level as u32 >= last {
        return None;
    }
    Some(Waiting {
        shard: opts.shard,
        level,
        missing: report.waiting_runs,
        next: level + 1,
        last,
        resume: resume_command(a, opts),
    })
}

/// `<prefix>I/N` for a shard of several, nothing for the whole sweep.
fn shard_note(shard: Shard, prefix: &str) -> String {
    if shard.count > 1 {
        format!("{prefix}{shard}")
    } else {
        String::new()
    }
}

/// The command-line options, checked, as the runner's options.
fn sweep_options(a: &SweepArgs, def: &SweepDef) -> anyhow::Result<SweepOptions> {
    let shard = match &a.shard {
        Some(s) => Shard::parse(s)?,
        None => Shard::from_env(|k| std::env::var(k).ok())?.unwrap_or(Shard::ALL),
    };
    if a.level.is_some() && def.refine.is_none() {
        bail!(
            "--level applies to refining sweeps (a [refine] table); {} has none",
            def.source
        );
    }
    if let (Some(l), Some(r)) = (a.level, &def.refine) {
        if l > r.levels {
            bail!(
                "--level {l}: expected 0 to {} (the definition's [refine] levels)",
                r.levels
            );
        }
    }
    let max = max_threads();
    let threads = match a.threads {
        Some(0) => bail!("--threads 0: expected at least 1"),
        Some(n) if n > max => bail!(
            "--threads {n}: expected at most {max} (the larger of 1024 and 4 × this machine's {} cores)",
            cores()
        ),
        Some(n) => n,
        None => default_threads(),
    };
    if threads > max {
        bail!(
            "SLURM_CPUS_PER_TASK = {threads}: expected at most {max} threads (the larger of 1024 and 4 × this machine's {} cores); pass --threads N",
            cores()
        );
    }
    if !(a.flush_every_s > 0.0 && a.flush_every_s <= 1e9) {
        bail!(
            "--flush-every-s {}: expected a number of seconds > 0 (at most 1e9)",
            a.flush_every_s
        );
    }
    if !(a.progress_every_s >= 0.0 && a.progress_every_s <= 1e9) {
        bail!(
            "--progress-every-s {}: expected a number of seconds >= 0 (at most 1e9)",
            a.progress_every_s
        );
    }
    let pause_s = if a.write_retry_pause_s.is_finite() {
        a.write_retry_pause_s.clamp(0.0, 3600.0)
    } else {
        10.0
    };
    Ok(SweepOptions {
        out: a
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("results").join(&def.name)),
        threads,
        shard,
        flush_every: Duration::from_secs_f64(a.flush_every_s),
        write_retries: a.write_retries.min(1000),
        write_retry_pause: Duration::from_secs_f64(pause_s),
        max_level: a.level,
    })
}

/// Why the sweep stopped early, how far it got, and the command that resumes it.
fn interrupted(
    a: &SweepArgs,
    opts: &SweepOptions,
    report: &crate::sweep::SweepReport,
) -> Interrupted {
    let why = match &report.write_error {
        Some(e) => format!(
            "stopped: results could not be written ({e}); {} finished run(s) since the last commit were lost and will be redone",
            report.lost_runs
        ),
        None => "stopped by a signal".to_string(),
    };
    Interrupted {
        why,
        done: report.done_before + report.done_now,
        total: report.shard_runs,
        resume: resume_command(a, opts),
    }
}

/// The command that resumes this sweep (or shard, or level) where it stopped.
fn resume_command(a: &SweepArgs, opts: &SweepOptions) -> String {
    let file = a
        .file
        .as_ref()
        .map(|p| format!(" {}", p.display()))
        .unwrap_or_default();
    format!(
        "brunel sweep{file} --out {}{}{}",
        opts.out.display(),
        shard_note(opts.shard, " --shard "),
        a.level.map(|l| format!(" --level {l}")).unwrap_or_default()
    )
}

/// After a run: if the folder is complete, draw figures and print the regime table.
fn finish_folder(
    def: &SweepDef,
    out: &Path,
    no_plots: bool,
    shard: Shard,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let layout = Layout::new(out);
    let Gathered {
        rows,
        missing,
        refine,
        ..
    } = gather(def, &layout)?;
    if let Some(level) = refine.as_ref().and_then(|p| p.current()) {
        println!(
            "refinement is at level {level}: {} of its runs are not in {} yet (other shards', or beyond --level); the same command without --level goes on when they are",
            missing.len(),
            out.display()
        );
        return Ok(());
    }
    if !missing.is_empty() {
        println!(
            "shard {shard} is complete; {} runs of other shards are still missing in {}. When every shard has finished: brunel merge {}",
            missing.len(),
            out.display(),
            out.display()
        );
        return Ok(());
    }
    println!("{}", regime_table(def, &rows));
    println!(
        "results: {} ({} rows in Parquet part files; read the folder as one dataset)",
        layout.data().display(),
        rows.len()
    );
    if !no_plots {
        let drawn = draw_all(def, &layout, &rows, &|| stop.load(Ordering::SeqCst))?;
        print_drawn(&layout, &drawn);
    }
    if layout
        .spikes()
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
    {
        println!("kept spike trains: {}", layout.spikes().display());
    }
    Ok(())
}

/// Where the figures went, and what was skipped.
fn print_drawn(layout: &Layout, drawn: &crate::sweep::report::Drawn) {
    for n in &drawn.notes {
        eprintln!("note: {n}");
    }
    println!(
        "figures: {} ({} files)",
        layout.plots().display(),
        drawn.files.len()
    );
}

/// Warns about damaged part files found by a reading command (which leaves them in place).
fn warn_damaged(damaged: &[String]) {
    for d in damaged {
        eprintln!("warning: damaged part file {d} (left in place; `brunel sweep` on this folder moves it to quarantine/ and redoes its runs)");
    }
}

pub fn merge_cmd(dir: &Path, no_plots: bool, limits: &LimitArgs) -> anyhow::Result<()> {
    let stop = stop_flag()?;
    let (rows, damaged) = merge(dir, &limits.limits())?;
    warn_damaged(&damaged);
    let def = folder_definition_with(dir, &limits.limits())?;
    let layout = Layout::new(dir);
    println!(
        "merged {} rows into {}",
        rows.len(),
        layout.merged().display()
    );
    println!("{}", regime_table(&def, &rows));
    if !no_plots {
        let drawn = draw_all(&def, &layout, &rows, &|| stop.load(Ordering::SeqCst))?;
        print_drawn(&layout, &drawn);
    }
    Ok(())
}

/// `brunel merge DIR --restore-definition`.
pub fn restore_cmd(dir: &Path) -> anyhow::Result<()> {
    let part = crate::sweep::merge::restore_definition(dir)?;
    println!(
        "restored {} from the metadata of {} (any previous file is in {}); run brunel merge {} (or the sweep) again",
        Layout::new(dir).definition().display(),
        part.display(),
        Layout::new(dir).quarantine().display(),
        dir.display()
    );
    Ok(())
}

pub fn plot_cmd(dir: &Path, limits: &LimitArgs) -> anyhow::Result<()> {
    if super::simulate::is_simulate_folder(dir) {
        for f in super::simulate::redraw(dir)? {
            println!("{}", f.display());
        }
        return Ok(());
    }
    let stop = stop_flag()?;
    let def = folder_definition_with(dir, &limits.limits())?;
    let layout = Layout::new(dir);
    let Gathered {
        rows,
        missing,
        damaged,
        planned,
        ..
    } = gather(&def, &layout)?;
    warn_damaged(&damaged);
    if rows.is_empty() {
        bail!("{}: no complete results to plot yet", dir.display());
    }
    if !missing.is_empty() {
        eprintln!(
            "warning: {} of {planned} runs are missing; their cells stay blank",
            missing.len(),
        );
    }
    let drawn = draw_all(&def, &layout, &rows, &|| stop.load(Ordering::SeqCst))?;
    println!("{}", regime_table(&def, &rows));
    for n in &drawn.notes {
        eprintln!("note: {n}");
    }
    for f in &drawn.files {
        println!("{}", f.display());
    }
    Ok(())
}

/// `brunel compare ADAPTIVE DENSE`: the agreement of an adaptive map with a dense grid.
pub fn compare_cmd(adaptive: &Path, dense: &Path, limits: &LimitArgs) -> anyhow::Result<()> {
    let defs = [
        folder_definition_with(adaptive, &limits.limits())?,
        folder_definition_with(dense, &limits.limits())?,
    ];
    let differ = crate::sweep::same_network::differing_fields(&defs[0], &defs[1]);
    if !differ.is_empty() {
        bail!(
            "{} and {} describe different networks or windows ({}): expected the same fixed parameters, [analysis] and [classifier], so that their labels can be compared",
            adaptive.display(),
            dense.display(),
            differ.join("; ")
        );
    }
    let mut sides = Vec::new();
    for (dir, def) in [adaptive, dense].into_iter().zip(defs) {
        let g = gather(&def, &Layout::new(dir))?;
        warn_damaged(&g.damaged);
        if !g.missing.is_empty() || g.refine.as_ref().is_some_and(|p| !p.complete) {
            bail!(
                "{}: incomplete ({} runs missing); finish it first with brunel sweep",
                dir.display(),
                g.missing.len()
            );
        }
        sides.push((def, g.rows));
    }
    let c =
        crate::sweep::report::compare_to_dense(&sides[0].0, &sides[0].1, &sides[1].0, &sides[1].1)
            .map_err(anyhow::Error::msg)?;
    println!(
        "{} of {} dense points agree ({:.1} %); adaptive {} runs = {:.1} % of the dense grid's {}{}",
        c.agree,
        c.points,
        100.0 * c.agree as f64 / c.points.max(1) as f64,
        c.adaptive_runs,
        100.0 * c.adaptive_runs as f64 / c.dense_runs.max(1) as f64,
        c.dense_runs,
        if c.off_lattice > 0 {
            format!("; {} dense points lie off the adaptive lattice (not compared)", c.off_lattice)
        } else {
            String::new()
        }
    );
    for (what, got, want) in &c.examples {
        println!("  {what}: adaptive map {got}, dense grid {want}");
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// Sweep definition (TOML).
    pub file: PathBuf,
    /// Number of array tasks (shards), at most the sweep's number of runs; each runs a
    /// balanced subset of the runs.
    #[arg(long)]
    pub shards: usize,
    /// CPUs per task (1 to 4096); brunel runs that many threads.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// Wall-time limit per task, in SLURM's forms: minutes, minutes:seconds,
    /// hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds.
    #[arg(long, default_value = "04:00:00")]
    pub time: String,
    /// Partition to submit to, or several separated by commas [default: the cluster's
    /// default].
    #[arg(long)]
    pub partition: Option<String>,
    /// Results folder shared by all tasks [default: results/<name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seconds before the time limit at which SLURM sends SIGTERM, so tasks commit and stop.
    #[arg(long, default_value_t = 180)]
    pub signal_before_s: u32,
    /// Memory per task [default: the cluster's default]: a whole number of megabytes, or with
    /// a unit suffix K, M, G or T, e.g. 4G.
    #[arg(long)]
    pub mem: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `brunel slurm`: validates the options against SLURM's formats and the sweep, checks the
/// results folder, writes the script (see [`crate::sweep::slurm`]) and says how to use it.
pub fn slurm(a: SlurmArgs) -> anyhow::Result<()> {
    let def = SweepDef::load_with(&a.file, &a.limits.limits())?;
    let request = SlurmRequest {
        shards: a.shards,
        cpus_per_task: a.cpus_per_task,
        time: a.time.clone(),
        partition: a.partition.clone(),
        mem: a.mem.clone(),
        signal_before_s: a.signal_before_s,
        max_runs: a.limits.max_runs,
    };
    // An adaptive sweep's shards split each level; the base grid is the level every sweep has.
    let runs = match &def.refine {
        Some(r) => r.base[0].len() * r.base[1].len() * def.replicates as usize,
        None => def.n_runs(),
    };
    let opts = SlurmOptions::validate(&request, runs)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&def.name));
    let exe = std::env::current_exe().context("cannot find the brunel binary's path")?;
    let written = write_script(&def, &a.file, &out, &opts, &exe)?;
    let script = &written.script;
    let slurm_dir = written.paths.slurm_dir();
    println!("wrote {}", script.display());
    match &written.submit {
        Some(submit) => {
            println!("wrote {}", submit.display());
            println!(
                "submit:   bash {}   (one job array per level, each after the previous one)",
                submit.display()
            );
        }
        None => println!("submit:   sbatch {}", script.display()),
    }
    println!(
        "watch:    squeue -u \"$USER\" --name {}   (logs in {}/logs/)",
        def.name,
        slurm_dir.display()
    );
    println!("resubmit: the same command resumes: finished runs are kept");
    println!(
        "merge:    {} merge {}",
        exe.display(),
        written.paths.out.display()
    );
    Ok(())
}
