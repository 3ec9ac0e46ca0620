//! Command-line interface: clap definitions and one function per command, each a thin call
//! into the library so tests drive the same code.

mod bench;
mod info;
mod lines;
mod progress;
mod simulate;
mod sweep;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Map the dynamical regimes of sparse balanced E/I networks of LIF neurons (Brunel 2000).
#[derive(Debug, Parser)]
#[command(name = "brunel", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that take a model and parameter overrides.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Model preset (`brunel models` lists them).
    #[arg(long, short, default_value = "tutorial")]
    pub model: String,
    /// Override a model parameter, `name=value`; repeat for several (`brunel params MODEL`
    /// lists names, units and allowed ranges).
    #[arg(long = "set", short = 's', value_name = "NAME=VALUE")]
    pub sets: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one network, print its measures and write figures, spikes and a summary.
    ///
    /// Writes into DIR: raster.png (E and I spikes), spikes.parquet (population, neuron,
    /// time_ms), connectivity.png (one projection, the tutorial's visualise_connectivity),
    /// summary.json (parameters, measures, regime, theory, timings) and, for model brunel,
    /// fig8.png (50-neuron raster above the population rate in bins of dt, coarser for
    /// windows over a million steps, like Brunel's Fig. 8). Delays drawn below dt are clipped
    /// to dt, then all delays are rounded to whole steps. The tutorial's extension
    /// (ext_rate_hz > 0) uses a 1.0 ms delay, like its other inputs, since the seed gives none.
    Simulate(simulate::SimulateArgs),
    /// List the model presets.
    Models,
    /// List every parameter of a model with its default, unit, allowed range and meaning.
    Params {
        /// Model name.
        model: String,
    },
    /// Print the mean-field predictions of model brunel without simulating: every stationary
    /// rate, and for each stable one its linear stability (leading eigenvalues: growth rate in
    /// 1/s, oscillation frequency in Hz) and the theory's regime (Brunel 2000, §4–5). With
    /// --boundaries, trace the lines of the theory's phase diagram instead (Fig. 2).
    Theory {
        /// Override a parameter of model brunel, `name=value`.
        #[arg(long = "set", short = 's', value_name = "NAME=VALUE")]
        sets: Vec<String>,
        /// Print one JSON object instead of tables: `rates_hz` (every stationary rate),
        /// `states` (each with its stability), and for the lowest stable state `eigenvalues`
        /// (a list of {growth_per_s, frequency_hz}, fastest-growing first) and `regime`.
        #[arg(long, conflicts_with = "boundaries")]
        json: bool,
        /// Trace the theory's boundary lines over a g × eta region, as in Brunel (2000)
        /// Fig. 2, and write DIR/boundaries.parquet (one row per point: line, kind, segment,
        /// point, g, eta, frequency_hz, nu0_hz; parameters, version and region in the
        /// metadata) and DIR/phase_diagram.png. The lines are where the theory's label of the
        /// lowest stable state changes: Hopf lines (a mode crosses Re λ = 0; named by the
        /// labels on their two sides, e.g. AI|SI-fast, AI|SI-slow, AI|SR), saddle-nodes
        /// (stationary roots appear or vanish), the quiescent rate cut (0.2 Hz) and the
        /// regularity line (stationary CV = --regular-max-cv, AR|AI).
        /// g and eta given with --set are ignored; everything else (D_ms, V_r, J, ...) is used.
        #[arg(long)]
        boundaries: bool,
        /// With --boundaries: the g range, A:B with 0 ≤ A < B (default 0:8).
        #[arg(long, value_name = "A:B", allow_hyphen_values = true)]
        g: Option<String>,
        /// With --boundaries: the eta range, A:B with 0 ≤ A < B (default 0:4).
        #[arg(long, value_name = "A:B", allow_hyphen_values = true)]
        eta: Option<String>,
        /// With --boundaries: the folder to write into (created if missing; required).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The regularity threshold of the theory's label: an asynchronous state whose
        /// stationary CV of ISI is below it is AR, else AI (a sweep's `[classifier]
        /// regular_max_cv`, which both labels share).
        #[arg(long, value_name = "CV", default_value_t = crate::regime::DEFAULT_REGULAR_MAX_CV)]
        regular_max_cv: f64,
    },
    /// Run a sweep definition: every point × replicate in parallel, results to Parquet,
    /// heatmaps and a regime map. Resumes an existing results folder of the same definition.
    Sweep(sweep::SweepArgs),
    /// Check a results folder for completeness (listing missing runs) and write one
    /// consolidated results.parquet, then redraw the figures.
    Merge {
        /// Results folder (holds definition.toml and data/).
        dir: std::path::PathBuf,
        /// Do not redraw the figures.
        #[arg(long)]
        no_plots: bool,
        /// Only write a damaged definition.toml back from the part files' metadata (which
        /// holds the definition's text and hash); the damaged file goes to quarantine/.
        #[arg(long)]
        restore_definition: bool,
        #[command(flatten)]
        limits: sweep::LimitArgs,
    },
    /// Redraw every figure of a sweep results folder from its Parquet files alone, or the
    /// raster and Fig.-8 figures of a `simulate` folder from its spikes.parquet.
    Plot {
        /// Results folder (holds definition.toml and data/).
        dir: std::path::PathBuf,
        #[command(flatten)]
        limits: sweep::LimitArgs,
    },
    /// Hold an adaptive sweep's map against a dense grid over the same parameters: the share
    /// of the dense grid's points whose label the adaptive map shows (each lattice point
    /// takes the label of the run point that stands for it), and the runs each took.
    Compare {
        /// Results folder of the adaptive sweep (a definition with [refine]).
        adaptive: std::path::PathBuf,
        /// Results folder of the dense grid (best at the adaptive sweep's finest spacing
        /// with `seeds = "coordinates"`, so shared points are the same runs).
        dense: std::path::PathBuf,
        #[command(flatten)]
        limits: sweep::LimitArgs,
    },
    /// Write an sbatch script that runs a sweep as a SLURM job array (one task per shard).
    Slurm(sweep::SlurmArgs),
    /// Measure engine speed (neuron-steps/s, synaptic events/s) on fixed networks.
    Bench(bench::BenchArgs),
}

/// Parses the command line and runs the command. Errors print one `error:` line and exit 2;
/// a sweep stopped by SIGINT/SIGTERM exits 3 after saying how to resume.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.is::<sweep::Interrupted>()
                || e.is::<sweep::Waiting>()
                || e.is::<crate::sweep::report::DrawingStopped>() =>
        {
            eprintln!("{}", one_line(&e.to_string()));
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// A message on one line: control characters that user text can carry into it (a newline
/// in a definition's `name`, a path or a value) are written as escapes (`\n`, `\u{7}`), so
/// every error stays the single `error:` line that scripts and tests read.
pub fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            c if c.is_control() && c != '\t' => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(a) => simulate::run(a),
        Command::Models => info::models(),
        Command::Params { model } => info::params(&model),
        Command::Theory {
            sets,
            json,
            boundaries,
            g,
            eta,
            out,
            regular_max_cv,
        } => {
            if !(regular_max_cv.is_finite() && regular_max_cv >= 0.0) {
                anyhow::bail!(
                    "--regular-max-cv {regular_max_cv}: expected a finite CV ≥ 0 (default {})",
                    crate::regime::DEFAULT_REGULAR_MAX_CV
                );
            }
            if boundaries {
                lines::run(
                    &sets,
                    g.as_deref(),
                    eta.as_deref(),
                    out.as_deref(),
                    regular_max_cv,
                )
            } else if g.is_some() || eta.is_some() || out.is_some() {
                anyhow::bail!("--g, --eta and --out go with --boundaries (brunel theory --boundaries --out DIR)")
            } else {
                info::theory(&sets, json, regular_max_cv)
            }
        }
        Command::Sweep(a) => sweep::sweep(a),
        Command::Merge {
            dir,
            restore_definition: true,
            ..
        } => sweep::restore_cmd(&dir),
        Command::Merge {
            dir,
            no_plots,
            limits,
            ..
        } => sweep::merge_cmd(&dir, no_plots, &limits),
        Command::Plot { dir, limits } => sweep::plot_cmd(&dir, &limits),
        Command::Compare {
            adaptive,
            dense,
            limits,
        } => sweep::compare_cmd(&adaptive, &dense, &limits),
        Command::Slurm(a) => sweep::slurm(a),
        Command::Bench(a) => bench::run(a),
    }
}

/// Default output folder of a command: `results/<kind>/<name>`.
pub fn default_out(kind: &str, name: &str) -> PathBuf {
    PathBuf::from("results").join(kind).join(name)
}
