//! `brunel sweep`, `brunel merge`, `brunel plot`, `brunel slurm`.

use crate::store::layout::Layout;
use crate::sweep::definition::SweepDef;
use crate::sweep::merge::{folder_definition, gather, merge};
use crate::sweep::report::{draw_all, regime_table};
use crate::sweep::slurm::{write_script, SlurmOptions, SlurmRequest};
use crate::sweep::{run_sweep, Shard, SweepOptions};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// The sweep stopped on a signal before finishing; it can be resumed.
#[derive(Debug, thiserror::Error)]
#[error(
    "stopped by a signal: {done} of {total} runs of this shard are complete; resume with: {resume}"
)]
pub struct Interrupted {
    pub done: usize,
    pub total: usize,
    pub resume: String,
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
    /// Do not draw figures at the end.
    #[arg(long)]
    pub no_plots: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

fn load(file: &Option<PathBuf>) -> anyhow::Result<SweepDef> {
    Ok(match file {
        Some(p) => SweepDef::load(p)?,
        None => SweepDef::embedded_default(),
    })
}

fn default_threads() -> usize {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
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
    let def = load(&a.file)?;
    let shard = match &a.shard {
        Some(s) => Shard::parse(s)?,
        None => Shard::from_env(|k| std::env::var(k).ok())?.unwrap_or(Shard::ALL),
    };
    let threads = match a.threads {
        Some(0) => bail!("--threads 0: expected at least 1"),
        Some(n) => n,
        None => default_threads(),
    };
    if !(a.flush_every_s > 0.0) {
        bail!(
            "--flush-every-s {}: expected a number of seconds > 0",
            a.flush_every_s
        );
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&def.name));
    let opts = SweepOptions {
        out: out.clone(),
        threads,
        shard,
        flush_every: Duration::from_secs_f64(a.flush_every_s),
        progress_every: Duration::from_secs_f64(a.progress_every_s.max(0.1)),
        quiet: a.quiet,
    };
    let stop = stop_flag()?;
    eprintln!(
        "sweep {} ({}): {} points × {} replicates = {} runs{}; {} threads; results in {}",
        def.name,
        def.source,
        def.n_points(),
        def.replicates,
        def.n_runs(),
        if shard.count > 1 {
            format!(", shard {shard}")
        } else {
            String::new()
        },
        threads,
        out.display()
    );
    let report = run_sweep(&def, &opts, &stop)?;
    if !report.quarantined.is_empty() {
        eprintln!(
            "{} damaged part file(s) were quarantined and their runs redone",
            report.quarantined.len()
        );
    }
    if report.interrupted {
        let file = a
            .file
            .as_ref()
            .map(|p| format!(" {}", p.display()))
            .unwrap_or_default();
        let shard_arg = if shard.count > 1 {
            format!(" --shard {shard}")
        } else {
            String::new()
        };
        return Err(Interrupted {
            done: report.done_before + report.done_now,
            total: report.shard_runs,
            resume: format!("brunel sweep{file} --out {}{shard_arg}", out.display()),
        }
        .into());
    }
    eprintln!(
        "{} runs done now, {} were already complete",
        report.done_now, report.done_before
    );
    finish_folder(&def, &out, a.no_plots, shard)
}

/// After a run: if the folder is complete, draw figures and print the regime table.
fn finish_folder(def: &SweepDef, out: &Path, no_plots: bool, shard: Shard) -> anyhow::Result<()> {
    let layout = Layout::new(out);
    let (rows, missing) = gather(def, &layout)?;
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
        let files = draw_all(def, &layout, &rows)?;
        println!(
            "figures: {} ({} files)",
            layout.plots().display(),
            files.len()
        );
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

pub fn merge_cmd(dir: &Path, no_plots: bool) -> anyhow::Result<()> {
    let rows = merge(dir)?;
    let def = folder_definition(dir)?;
    let layout = Layout::new(dir);
    println!(
        "merged {} rows into {}",
        rows.len(),
        layout.merged().display()
    );
    println!("{}", regime_table(&def, &rows));
    if !no_plots {
        let files = draw_all(&def, &layout, &rows)?;
        println!(
            "figures: {} ({} files)",
            layout.plots().display(),
            files.len()
        );
    }
    Ok(())
}

pub fn plot_cmd(dir: &Path) -> anyhow::Result<()> {
    let def = folder_definition(dir)?;
    let layout = Layout::new(dir);
    let (rows, missing) = gather(&def, &layout)?;
    if rows.is_empty() {
        bail!("{}: no complete results to plot yet", dir.display());
    }
    if !missing.is_empty() {
        eprintln!(
            "warning: {} of {} runs are missing; their cells stay blank",
            missing.len(),
            def.n_runs()
        );
    }
    let files = draw_all(&def, &layout, &rows)?;
    println!("{}", regime_table(&def, &rows));
    for f in files {
        println!("{}", f.display());
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
}

/// `brunel slurm`: validates the options against SLURM's formats and the sweep, checks the
/// results folder, writes the script (see [`crate::sweep::slurm`]) and says how to use it.
pub fn slurm(a: SlurmArgs) -> anyhow::Result<()> {
    let def = SweepDef::load(&a.file)?;
    let request = SlurmRequest {
        shards: a.shards,
        cpus_per_task: a.cpus_per_task,
        time: a.time.clone(),
        partition: a.partition.clone(),
        mem: a.mem.clone(),
        signal_before_s: a.signal_before_s,
    };
    let opts = SlurmOptions::validate(&request, def.n_runs())?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&def.name));
    let exe = std::env::current_exe().context("cannot find the brunel binary's path")?;
    let written = write_script(&def, &a.file, &out, &opts, &exe)?;
    let script = &written.script;
    let slurm_dir = written.paths.slurm_dir();
    println!("wrote {}", script.display());
    println!("submit:   sbatch {}", script.display());
    println!(
        "watch:    squeue -u \"$USER\" --name {}   (logs in {}/logs/)",
        def.name,
        slurm_dir.display()
    );
    println!("resubmit: the same sbatch command resumes: finished runs are kept");
    println!(
        "merge:    {} merge {}",
        exe.display(),
        written.paths.out.display()
    );
    Ok(())
}
