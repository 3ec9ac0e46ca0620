//! `brunel slurm`: validates what the user asked of SLURM and writes the sbatch script that
//! runs a sweep as a job array (one array task per shard).
//!
//! Nothing from the command line reaches the script unchecked: every value that lands on an
//! `#SBATCH` line is parsed into a typed value first ([`SlurmOptions`]), so a value holding a
//! newline (or anything else SLURM would not accept) cannot add directives of its own, and a
//! mistake is reported before anything is written instead of when sbatch rejects the job.
//! The accepted forms follow sbatch(1) (<https://slurm.schedmd.com/sbatch.html>); each parser
//! quotes the part of the manual it implements.

use super::definition::SweepDef;
use super::runner::SweepError;
use crate::store::layout::Layout;
use crate::store::{self, StoreError};
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Most CPUs one array task may ask for. No node has more; a larger number is a typo (e.g. a
/// missing unit elsewhere) that would leave the job pending forever.
pub const MAX_CPUS_PER_TASK: usize = 4096;

/// Longest time limit SLURM can represent: it adds the fields up as seconds in a 32-bit C
/// `int` (`time_str2secs` in src/common/parse_time.c), so a longer limit wraps around.
pub const MAX_TIME_LIMIT_S: u64 = i32::MAX as u64;

/// The `--time` forms sbatch documents, shown in every `--time` refusal.
const TIME_FORMS: &str = "one of SLURM's forms minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds (e.g. 90, 30:00, 04:00:00, 1-12, 1-12:30, 1-12:30:00)";

/// Why `brunel slurm` refused to write a script. Every message names the option at fault and
/// what it expects, on one line (values are shown with control characters escaped).
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    /// `--shards 0`.
    #[error("--shards 0: expected at least 1")]
    NoShards,
    /// More shards than runs: the extra array tasks would have nothing to do.
    #[error("--shards {shards}: the sweep has only {runs} runs, so at most {runs} shards can have work; use --shards {runs} (or fewer)")]
    TooManyShards {
        /// Shards asked for.
        shards: usize,
        /// Runs in the sweep (points × replicates).
        runs: usize,
    },
    /// `--cpus-per-task` outside 1..=[`MAX_CPUS_PER_TASK`].
    #[error("--cpus-per-task {cpus}: expected 1 to {max} CPUs per task", max = MAX_CPUS_PER_TASK)]
    CpusPerTask {
        /// CPUs asked for.
        cpus: usize,
    },
    /// `--time` is not one of SLURM's forms, or is out of range.
    #[error("--time `{}`: {why}; expected {TIME_FORMS}", .text.escape_debug())]
    Time {
        /// The value as given.
        text: String,
        /// What is wrong with it.
        why: String,
    },
    /// The stop signal would come in the first half of the time limit.
    #[error("--signal-before-s {signal_before_s} is more than half of --time {} ({limit_s} s): tasks would be told to stop almost at once; give a longer --time or a smaller --signal-before-s", .time.escape_debug())]
    SignalTooEarly {
        /// Seconds before the limit at which SLURM sends SIGTERM.
        signal_before_s: u32,
        /// `--time` as given.
        time: String,
        /// The time limit in seconds.
        limit_s: u64,
    },
    /// `--mem` is not SLURM's `<size>[units]`.
    #[error("--mem `{}`: {why}; expected a whole number > 0 of megabytes, optionally with a unit suffix K, M, G or T (e.g. 4096, 500M, 4G)", .text.escape_debug())]
    Mem {
        /// The value as given.
        text: String,
        /// What is wrong with it.
        why: String,
    },
    /// `--partition` holds characters no partition name has (a newline, `#`, a space…).
    #[error("--partition `{}`: expected a partition name, or several separated by commas, of letters, digits, `_`, `-` and `.` (e.g. short or short,long)", .text.escape_debug())]
    Partition {
        /// The value as given.
        text: String,
    },
    /// The results folder's path cannot go on the script's `#SBATCH --output=` line.
    #[error("--out `{}`: the results folder's path goes on the script's `#SBATCH --output=` line, which cannot hold {why}; choose a folder whose absolute path has none (with --out DIR)", .path.escape_debug())]
    OutPath {
        /// The absolute path of the results folder.
        path: String,
        /// The characters it must not hold.
        why: String,
    },
    /// The results folder holds another sweep's definition.
    #[error(transparent)]
    Definition(#[from] SweepError),
    /// A file or folder could not be read, resolved or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A SLURM time limit (`--time`), validated: the text as given (only digits, `-` and `:`, so
/// it is safe on an `#SBATCH` line) and its length in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeLimit {
    text: String,
    seconds: u64,
}

impl TimeLimit {
    /// Parses a time limit in one of the forms sbatch(1) documents for `--time`:
    /// "Acceptable time formats include "minutes", "minutes:seconds", "hours:minutes:seconds",
    /// "days-hours", "days-hours:minutes" and "days-hours:minutes:seconds"."
    ///
    /// Stricter than SLURM where SLURM would silently do arithmetic: every field is one or
    /// more ASCII digits; the first field is unbounded (e.g. "90" minutes, "36:00:00"), the
    /// ones after it must be below 60 (minutes, seconds) or 24 (hours after days). Zero is
    /// refused: SLURM reads it as "no limit", and brunel needs a finite limit to send its
    /// stop signal before it. `UNLIMITED`/`INFINITE` are refused for the same reason.
    pub fn parse(text: &str) -> Result<TimeLimit, SlurmError> {
        let err = |why: &str| SlurmError::Time {
            text: text.to_string(),
            why: why.to_string(),
        };
        if text.is_empty() {
            return Err(err("empty"));
        }
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == '-' || *c == ':'))
        {
            return Err(err(&format!(
                "{} is not allowed (only digits, `-` and `:`)",
                describe_char(c)
            )));
        }
        let field = |s: &str, what: &str| -> Result<u64, SlurmError> {
            if s.is_empty() {
                return Err(err(&format!("the {what} field is empty")));
            }
            s.parse::<u64>()
                .map_err(|_| err(&format!("{what} `{s}` is too large")))
        };
        let below = |v: u64, limit: u64, what: &str| -> Result<u64, SlurmError> {
            if v < limit {
                Ok(v)
            } else {
                Err(err(&format!("{what} {v} is not below {limit}")))
            }
        };
        let seconds = match text.split_once('-') {
            Some((d, rest)) => {
                // days-hours[:minutes[:seconds]]
                let days = field(d, "days")?;
                let parts: Vec<&str> = rest.split(':').collect();
                if rest.contains('-') || parts.len() > 3 {
                    return Err(err("not one of the forms"));
                }
                let hours = below(field(parts[0], "hours")?, 24, "hours")?;
                let minutes = match parts.get(1) {
                    Some(m) => below(field(m, "minutes")?, 60, "minutes")?,
                    None => 0,
                };
                let secs = match parts.get(2) {
                    Some(s) => below(field(s, "seconds")?, 60, "seconds")?,
                    None => 0,
                };
                days.checked_mul(86_400)
                    .and_then(|d| d.checked_add(hours * 3600 + minutes * 60 + secs))
            }
            None => {
                let parts: Vec<&str> = text.split(':').collect();
                match parts.as_slice() {
                    [m] => field(m, "minutes")?.checked_mul(60),
                    [m, s] => {
                        let secs = below(field(s, "seconds")?, 60, "seconds")?;
                        field(m, "minutes")?
                            .checked_mul(60)
                            .and_then(|m| m.checked_add(secs))
                    }
                    [h, m, s] => {
                        let minutes = below(field(m, "minutes")?, 60, "minutes")?;
                        let secs = below(field(s, "seconds")?, 60, "seconds")?;
                        field(h, "hours")?
                            .checked_mul(3600)
                            .and_then(|h| h.checked_add(minutes * 60 + secs))
                    }
                    _ => return Err(err("not one of the forms (at most two `:`)")),
                }
            }
        };
        let seconds = seconds.filter(|&s| s <= MAX_TIME_LIMIT_S).ok_or_else(|| {
            err(&format!(
                "longer than SLURM can represent ({MAX_TIME_LIMIT_S} s)"
            ))
        })?;
        if seconds == 0 {
            return Err(err(
                "SLURM reads a zero limit as no limit, but brunel needs a finite one to send its stop signal before it",
            ));
        }
        Ok(TimeLimit {
            text: text.to_string(),
            seconds,
        })
    }

    /// The limit in seconds.
    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// The limit as given (for the `#SBATCH --time=` line and messages).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A unit of `--mem`, as SLURM reads it: binary multiples (K = 1/1024 M, G = 1024 M).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemUnit {
    /// Kilobytes (`K`); SLURM rounds up to whole megabytes.
    K,
    /// Megabytes (`M`), SLURM's default unit.
    M,
    /// Gigabytes (`G`).
    G,
    /// Terabytes (`T`).
    T,
}

/// Memory per node (`--mem`), validated: a whole number > 0 with an optional unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemSize {
    amount: u64,
    /// None: no suffix, i.e. megabytes.
    unit: Option<MemUnit>,
}

impl MemSize {
    /// Parses `<size>[units]` as sbatch(1) documents `--mem`: "Default units are megabytes.
    /// Different units can be specified using the suffix [K|M|G|T]." SLURM's own parser
    /// (`str_to_mbytes`) takes the suffix in either case, so `4g` is accepted as `4G`.
    /// Refused: 0 (SLURM reads `--mem=0` as "all of the node's memory", not a size), signs,
    /// spaces, fractions, other suffixes, and sizes SLURM cannot hold in megabytes.
    pub fn parse(text: &str) -> Result<MemSize, SlurmError> {
        let err = |why: &str| SlurmError::Mem {
            text: text.to_string(),
            why: why.to_string(),
        };
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, suffix) = text.split_at(digits_end);
        if digits.is_empty() {
            return Err(err("not a number"));
        }
        let unit = match suffix {
            "" => None,
            "K" | "k" => Some(MemUnit::K),
            "M" | "m" => Some(MemUnit::M),
            "G" | "g" => Some(MemUnit::G),
            "T" | "t" => Some(MemUnit::T),
            _ => return Err(err(&format!("unknown unit `{}`", suffix.escape_debug()))),
        };
        let amount: u64 = digits.parse().map_err(|_| err("too large"))?;
        if amount == 0 {
            return Err(err("SLURM reads 0 as all of the node's memory, not a size"));
        }
        let mem = MemSize { amount, unit };
        // SLURM converts to megabytes in a signed 64-bit integer.
        if mem.megabytes().is_none_or(|mb| mb > i64::MAX as u64) {
            return Err(err("too large"));
        }
        Ok(mem)
    }

    /// The size in SLURM's megabytes (1024 K, 1/1024 G), rounded up like SLURM does for K;
    /// None on overflow.
    pub fn megabytes(&self) -> Option<u64> {
        match self.unit {
            Some(MemUnit::K) => Some(self.amount.div_ceil(1024)),
            None | Some(MemUnit::M) => Some(self.amount),
            Some(MemUnit::G) => self.amount.checked_mul(1024),
            Some(MemUnit::T) => self.amount.checked_mul(1024 * 1024),
        }
    }
}

impl fmt::Display for MemSize {
    /// The canonical form on the `#SBATCH --mem=` line: the number and an upper-case unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            None => "",
            Some(MemUnit::K) => "K",
            Some(MemUnit::M) => "M",
            Some(MemUnit::G) => "G",
            Some(MemUnit::T) => "T",
        };
        write!(f, "{}{unit}", self.amount)
    }
}

/// A partition list (`--partition`), validated.
///
/// sbatch(1) takes `-p, --partition=<partition_names>`: one name, or several as a
/// comma-separated list for a job that may run in any of them. SLURM does not publish a
/// character set for names, but a name is written in slurm.conf (where `#` starts a comment
/// and whitespace separates fields) and on command lines, so real names are words: brunel
/// accepts ASCII letters, digits, `_`, `-` and `.` in each name, names separated by single
/// commas. Refused, among others: control characters (a newline would start a new
/// `#SBATCH` line), spaces, `#`, `=`, quotes, `$`, empty names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition(String);

impl Partition {
    /// Parses a comma-separated list of partition names.
    pub fn parse(text: &str) -> Result<Partition, SlurmError> {
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        if text.split(',').all(name_ok) {
            Ok(Partition(text.to_string()))
        } else {
            Err(SlurmError::Partition {
                text: text.to_string(),
            })
        }
    }

    /// The list as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the user asked for, unchecked: the `brunel slurm` options as typed.
#[derive(Debug, Clone)]
pub struct SlurmRequest {
    /// Array tasks (shards).
    pub shards: usize,
    /// CPUs per task.
    pub cpus_per_task: usize,
    /// Wall-time limit per task, in one of SLURM's `--time` forms.
    pub time: String,
    /// Partition(s) to submit to; None: the cluster's default.
    pub partition: Option<String>,
    /// Memory per task, SLURM's `<size>[units]`; None: the cluster's default.
    pub mem: Option<String>,
    /// Seconds before the limit at which SLURM sends SIGTERM.
    pub signal_before_s: u32,
    /// The `--max-runs` the sweep was loaded with, passed on to every task.
    pub max_runs: usize,
}

/// Validated options of a job array: every value is safe on an `#SBATCH` line and within
/// what SLURM and the sweep allow. Built only by [`SlurmOptions::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmOptions {
    shards: usize,
    cpus_per_task: usize,
    time: TimeLimit,
    partition: Option<Partition>,
    mem: Option<MemSize>,
    signal_before_s: u32,
    max_runs: usize,
}

impl SlurmOptions {
    /// Checks a request against SLURM's formats and the sweep (`n_runs` runs): 1 <= shards
    /// <= runs, 1 <= CPUs <= [`MAX_CPUS_PER_TASK`], a finite time limit at least twice
    /// `signal_before_s`, and well-formed memory and partition.
    pub fn validate(req: &SlurmRequest, n_runs: usize) -> Result<SlurmOptions, SlurmError> {
        if req.shards == 0 {
            return Err(SlurmError::NoShards);
        }
        if req.shards > n_runs {
            return Err(SlurmError::TooManyShards {
                shards: req.shards,
                runs: n_runs,
            });
        }
        if !(1..=MAX_CPUS_PER_TASK).contains(&req.cpus_per_task) {
            return Err(SlurmError::CpusPerTask {
                cpus: req.cpus_per_task,
            });
        }
        let time = TimeLimit::parse(&req.time)?;
        if u64::from(req.signal_before_s) * 2 > time.seconds() {
            return Err(SlurmError::SignalTooEarly {
                signal_before_s: req.signal_before_s,
                time: req.time.clone(),
                limit_s: time.seconds(),
            });
        }
        let partition = req.partition.as_deref().map(Partition::parse).transpose()?;
        let mem = req.mem.as_deref().map(MemSize::parse).transpose()?;
        Ok(SlurmOptions {
            shards: req.shards,
            cpus_per_task: req.cpus_per_task,
            time,
            partition,
            mem,
            signal_before_s: req.signal_before_s,
            max_runs: req.max_runs,
        })
    }

    /// Array tasks (shards).
    pub fn shards(&self) -> usize {
        self.shards
    }

    /// The time limit per task.
    pub fn time(&self) -> &TimeLimit {
        &self.time
    }
}

/// Absolute paths the script refers to.
#[derive(Debug, Clone)]
pub struct ScriptPaths {
    /// The brunel binary each task runs.
    pub exe: PathBuf,
    /// The sweep definition file.
    pub definition: PathBuf,
    /// The results folder shared by all tasks (its `slurm/` holds the script and logs).
    pub out: PathBuf,
}

impl ScriptPaths {
    /// `<out>/slurm`: the script and the task logs.
    pub fn slurm_dir(&self) -> PathBuf {
        self.out.join("slurm")
    }
}

/// Single-quotes a path for bash (`'` becomes `'\''`); any byte is safe inside.
fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// The sbatch script for `def` with validated options: pure, so it is tested without a
/// file system. Only validated values and the (checked) results folder reach `#SBATCH`
/// lines; the binary and definition paths appear only shell-quoted on the `exec` line.
pub fn render_script(def: &SweepDef, opts: &SlurmOptions, paths: &ScriptPaths) -> String {
    let slurm_dir = paths.slurm_dir();
    let mut s = String::new();
    s.push_str("#!/bin/bash\n");
    let size = match &def.refine {
        Some(r) => format!(
            "adaptive: levels 0 to {}, at most {} runs, each level in {} shards",
            r.levels,
            r.max_runs.unwrap_or(def.n_runs()),
            opts.shards
        ),
        None => format!("{} runs in {} shards", def.n_runs(), opts.shards),
    };
    s.push_str(&format!(
        "# Written by `brunel slurm` for sweep {} ({size}).\n",
        def.name
    ));
    s.push_str(&format!("#SBATCH --job-name={}\n", def.name));
    s.push_str(&format!("#SBATCH --array=0-{}\n", opts.shards - 1));
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", opts.cpus_per_task));
    s.push_str("#SBATCH --ntasks=1\n");
    s.push_str(&format!("#SBATCH --time={}\n", opts.time.as_str()));
    if let Some(p) = &opts.partition {
        s.push_str(&format!("#SBATCH --partition={}\n", p.as_str()));
    }
    if let Some(m) = &opts.mem {
        s.push_str(&format!("#SBATCH --mem={m}\n"));
    }
    s.push_str(&format!(
        "#SBATCH --output={}/logs/%A_%a.out\n",
        slurm_dir.display()
    ));
    s.push_str("#SBATCH --open-mode=append\n");
    s.push_str(&format!(
        "# SIGTERM to the task {} s before its limit: brunel commits finished runs and stops.\n",
        opts.signal_before_s
    ));
    s.push_str(&format!(
        "#SBATCH --signal=B:TERM@{}\n",
        opts.signal_before_s
    ));
    s.push_str("set -euo pipefail\n");
    s.push_str("THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n");
    s.push_str("export RAYON_NUM_THREADS=\"$THREADS\"\n");
    s.push_str("echo \"[brunel] array task ${SLURM_ARRAY_TASK_ID} of ${SLURM_ARRAY_TASK_COUNT:-?} on $(hostname), $THREADS threads, $(date -Is)\"\n");
    let level = if def.refine.is_some() {
        s.push_str("# An adaptive sweep: each level is one submission of this array (see the .submit.sh\n# beside it), the level passed in BRUNEL_LEVEL.\n");
        s.push_str("LEVEL=\"${BRUNEL_LEVEL:?submit the levels with the .submit.sh script beside this one}\"\n");
        " --level \"$LEVEL\""
    } else {
        ""
    };
    s.push_str(&format!(
        "exec {} sweep {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --threads \"$THREADS\" --no-plots{level}{}\n",
        shell_quote(&paths.exe),
        shell_quote(&paths.definition),
        shell_quote(&paths.out),
        opts.shards,
        if opts.max_runs != crate::sweep::definition::DEFAULT_MAX_RUNS {
            format!(" --max-runs {}", opts.max_runs)
        } else {
            String::new()
        }
    ));
    s
}

/// For an adaptive sweep: the bash script that submits the array script once per level,
/// each level with `--dependency=afterok` on the one before, so level r starts only when
/// every task of level r − 1 completed. Running it again resumes (finished runs are kept;
/// a level already complete ends at once). A task stopped by its time limit or preemption
/// exits non-zero, so later levels are not started: run the script again.
pub fn render_submit(def: &SweepDef, script: &Path) -> Option<String> {
    let r = def.refine.as_ref()?;
    let mut s = String::new();
    s.push_str("#!/bin/bash\n");
    s.push_str(&format!(
        "# Written by `brunel slurm` for the adaptive sweep {}: levels 0 to {}, one job array each,\n# chained with --dependency=afterok. Submit with: bash <this file>. Running it again resumes.\n",
        def.name, r.levels
    ));
    s.push_str("set -euo pipefail\n");
    s.push_str(&format!("script={}\n", shell_quote(script)));
    s.push_str("prev=\"\"\n");
    s.push_str(&format!("for level in $(seq 0 {}); do\n", r.levels));
    s.push_str("  dep=()\n");
    s.push_str("  if [ -n \"$prev\" ]; then dep=(--dependency=afterok:\"$prev\"); fi\n");
    s.push_str("  id=$(sbatch --parsable ${dep[@]+\"${dep[@]}\"} --export=ALL,BRUNEL_LEVEL=\"$level\" \"$script\")\n");
    s.push_str("  prev=\"${id%%;*}\"\n");
    s.push_str("  echo \"level $level: job array $prev\"\n");
    s.push_str("done\n");
    Some(s)
}

/// Checks that a results folder's absolute path can stand unquoted on the
/// `#SBATCH --output=` line: UTF-8, no control characters (a newline would start a new
/// directive), no whitespace or quotes (sbatch splits and unquotes directive arguments) and
/// no `%` (SLURM expands `%A`, `%a`, … in file names) or `\`.
pub fn check_out_path(out_abs: &Path) -> Result<(), SlurmError> {
    let err = |why: &str| SlurmError::OutPath {
        path: out_abs.to_string_lossy().into_owned(),
        why: why.to_string(),
    };
    let Some(s) = out_abs.to_str() else {
        return Err(err("bytes that are not UTF-8"));
    };
    match s
        .chars()
        .find(|&c| c.is_control() || c.is_whitespace() || matches!(c, '%' | '"' | '\'' | '\\'))
    {
        Some(c) => Err(err(&describe_char(c))),
        None => Ok(()),
    }
}

/// A character for an error message: printable ones in backticks, others by escape.
fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("the character `{}`", c.escape_default())
    } else {
        format!("`{c}`")
    }
}

/// The absolute form of `path` without requiring it to exist: its deepest existing ancestor
/// resolved by the file system (symbolic links followed), the rest appended lexically (a
/// part that does not exist yet cannot be a link).
pub fn resolve_path(path: &Path) -> Result<PathBuf, SlurmError> {
    let abs = std::path::absolute(path).map_err(StoreError::io(path))?;
    let mut existing = abs.as_path();
    let mut rest: Vec<Component> = Vec::new();
    loop {
        match std::fs::canonicalize(existing) {
            Ok(mut resolved) => {
                for c in rest.into_iter().rev() {
                    match c {
                        Component::ParentDir => {
                            resolved.pop();
                        }
                        Component::CurDir => {}
                        other => resolved.push(other.as_os_str()),
                    }
                }
                return Ok(resolved);
            }
            Err(e) => match (existing.parent(), existing.components().next_back()) {
                (Some(parent), Some(last)) if e.kind() == std::io::ErrorKind::NotFound => {
                    rest.push(last);
                    existing = parent;
                }
                _ => return Err(StoreError::io(existing)(e).into()),
            },
        }
    }
}

/// Refuses a results folder whose `definition.toml` is not `def` (compared by SHA-256 of
/// the text, like a sweep does on resume). A folder without one is fine: the array's tasks
/// write it when they start. Reads only.
pub fn check_folder_definition(def: &SweepDef, layout: &Layout) -> Result<(), SlurmError> {
    let path = layout.definition();
    let existing = match crate::store::read_regular_max(&path, crate::store::MAX_TEXT_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(StoreError::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(())
        }
        Err(e) => return Err(e.into()),
    };
    let found = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&existing));
    if found == def.hash {
        return Ok(());
    }
    Err(SweepError::DefinitionMismatch {
        folder: layout.root.display().to_string(),
        expected: def.hash.clone(),
        found,
    }
    .into())
}

/// What [`write_script`] wrote.
#[derive(Debug, Clone)]
pub struct WrittenScript {
    /// The sbatch script.
    pub script: PathBuf,
    /// For an adaptive sweep, the script that submits it once per level ([`render_submit`]).
    pub submit: Option<PathBuf>,
    /// Absolute paths the script refers to.
    pub paths: ScriptPaths,
}

/// Writes `<out>/slurm/<name>.sbatch` for `def` (read from `definition`), after every
/// check: the folder's definition (if any) must be `def`, and its path must be usable on an
/// `#SBATCH` line. Creates only `<out>/slurm/logs/` (SLURM does not create the log folder)
/// and the script, atomically; never `definition.toml`, which the tasks write. Every check
/// comes before anything is created, so a refusal leaves the file system as it was.
pub fn write_script(
    def: &SweepDef,
    definition: &Path,
    out: &Path,
    opts: &SlurmOptions,
    exe: &Path,
) -> Result<WrittenScript, SlurmError> {
    let out_abs = resolve_path(out)?;
    check_out_path(&out_abs)?;
    check_folder_definition(def, &Layout::new(&out_abs))?;
    let definition_abs = std::fs::canonicalize(definition).map_err(StoreError::io(definition))?;
    let paths = ScriptPaths {
        exe: exe.to_path_buf(),
        definition: definition_abs,
        out: out_abs,
    };
    let text = render_script(def, opts, &paths);
    let slurm_dir = paths.slurm_dir();
    let logs = slurm_dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(StoreError::io(&logs))?;
    let script = slurm_dir.join(format!("{}.sbatch", def.name));
    write_text(&script, &text)?;
    let submit = match render_submit(def, &script) {
        Some(text) => {
            let path = slurm_dir.join(format!("{}.submit.sh", def.name));
            write_text(&path, &text)?;
            Some(path)
        }
        None => None,
    };
    Ok(WrittenScript {
        script,
        submit,
        paths,
    })
}

fn write_text(path: &Path, text: &str) -> Result<(), SlurmError> {
    store::write_atomic(path, |f| {
        use std::io::Write;
        f.write_all(text.as_bytes()).map_err(StoreError::io(path))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(t: &str) -> Result<u64, String> {
        TimeLimit::parse(t)
            .map(|t| t.seconds())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_documented_time_form_is_accepted_with_its_seconds() {
        let cases: &[(&str, u64)] = &[
            // minutes
            ("90", 5400),
            ("5", 300),
            // minutes:seconds
            ("30:00", 1800),
            ("1:30", 90),
            ("120:59", 7259),
            // hours:minutes:seconds
            ("04:00:00", 14400),
            ("4:00:00", 14400),
            ("36:00:01", 129_601),
            ("00:00:30", 30),
            // days-hours
            ("1-12", 129_600),
            ("0-1", 3600),
            // days-hours:minutes
            ("1-12:30", 131_400),
            // days-hours:minutes:seconds
            ("1-00:00:30", 86430),
            ("2-23:59:59", 2 * 86400 + 86399),
        ];
        for (t, s) in cases {
            assert_eq!(secs(t), Ok(*s), "{t}");
        }
    }

    #[test]
    fn malformed_time_limits_are_refused_naming_the_forms() {
        for t in [
            "",
            "x",
            "4h",
            "00:61:00",
            "1:60",
            "1:2:3:4",
            "1-24",
            "1-2:60",
            "1-2:3:60",
            "-1",
            "1-",
            "1-:30",
            ":30",
            "30:",
            "1--2",
            "1-2-3",
            "0",
            "00:00:00",
            "0-0",
            " 90",
            "90 ",
            "+90",
            "1.5",
            "UNLIMITED",
            "infinite",
            "04:00:00\n#SBATCH --wrap=rm",
            "1\r",
            "99999999999999999999",
            "24856-00",
            "35791395",
        ] {
            let e = secs(t).expect_err(t);
            assert!(e.starts_with("--time `"), "{t}: {e}");
            assert!(e.contains("days-hours:minutes:seconds"), "{t}: {e}");
            assert!(!e.contains('\n') && !e.contains('\r'), "{t}: {e}");
        }
        // The largest limit SLURM can hold is accepted; one more second is not.
        assert_eq!(secs("35791394:07"), Ok(MAX_TIME_LIMIT_S));
        assert!(secs("35791394:08").is_err());
    }

    #[test]
    fn mem_takes_slurm_sizes_only() {
        for (t, mb, shown) in [
            ("4096", 4096, "4096"),
            ("500M", 500, "500M"),
            ("4G", 4096, "4G"),
            ("4g", 4096, "4G"),
            ("1t", 1024 * 1024, "1T"),
            ("1500K", 2, "1500K"),
            ("1k", 1, "1K"),
        ] {
            let m = MemSize::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert_eq!(m.megabytes(), Some(mb), "{t}");
            assert_eq!(m.to_string(), shown, "{t}");
        }
        for t in [
            "",
            "lots",
            "0",
            "0G",
            "G",
            "4GB",
            "4 G",
            " 4G",
            "4G ",
            "-4G",
            "+4G",
            "4.5G",
            "4P",
            "4GG",
            "4G\n#SBATCH --wrap=rm",
            "4\t",
            "99999999999999999999",
            "9007199254740993T",
        ] {
            let e = MemSize::parse(t).expect_err(t).to_string();
            assert!(
                e.starts_with("--mem `") && e.contains("K, M, G or T"),
                "{t}: {e}"
            );
            assert!(!e.contains('\n') && !e.contains('\t'), "{t}: {e}");
        }
    }

    #[test]
    fn partition_names_are_words_and_commas() {
        for p in [
            "short",
            "gpu-a100",
            "long_q",
            "v1.2",
            "short,long",
            "A,b-2,c_3",
        ] {
            assert_eq!(
                Partition::parse(p).ok().map(|p| p.0),
                Some(p.to_string()),
                "{p}"
            );
        }
        for p in [
            "",
            "x\n#SBATCH --wrap=rm",
            "x\r",
            "x\t",
            "x\0",
            "a b",
            "a#b",
            "#x",
            "a,",
            ",a",
            "a,,b",
            "a=b",
            "a'b",
            "a\"b",
            "$HOME",
            "a;b",
            "a/b",
            "é",
        ] {
            let e = Partition::parse(p).expect_err(p).to_string();
            assert!(e.starts_with("--partition `"), "{p}: {e}");
            assert!(!e.contains(['\n', '\r', '\t', '\0']), "{p}: {e}");
        }
    }

    fn request() -> SlurmRequest {
        SlurmRequest {
            shards: 3,
            cpus_per_task: 2,
            time: "01:00:00".into(),
            partition: Some("short".into()),
            mem: Some("4G".into()),
            signal_before_s: 180,
            max_runs: crate::sweep::definition::DEFAULT_MAX_RUNS,
        }
    }

    #[test]
    fn shards_cpus_and_signal_are_bounded() {
        let v = |f: &dyn Fn(&mut SlurmRequest), runs: usize| {
            let mut r = request();
            f(&mut r);
            SlurmOptions::validate(&r, runs).map_err(|e| e.to_string())
        };
        assert!(v(&|_| {}, 6).is_ok());
        assert!(v(&|r| r.shards = 6, 6).is_ok());
        let e = v(&|r| r.shards = 1_000_000, 6).unwrap_err();
        assert!(
            e.starts_with("--shards 1000000:")
                && e.contains("only 6 runs")
                && e.contains("--shards 6"),
            "{e}"
        );
        assert!(v(&|r| r.shards = 7, 6).is_err());
        assert_eq!(
            v(&|r| r.shards = 0, 6).unwrap_err(),
            "--shards 0: expected at least 1"
        );
        assert!(v(&|r| r.cpus_per_task = MAX_CPUS_PER_TASK, 6).is_ok());
        let e = v(&|r| r.cpus_per_task = MAX_CPUS_PER_TASK + 1, 6).unwrap_err();
        assert!(
            e.starts_with("--cpus-per-task 4097:") && e.contains("4096"),
            "{e}"
        );
        assert!(v(&|r| r.cpus_per_task = 0, 6)
            .unwrap_err()
            .starts_with("--cpus-per-task 0:"));
        let e = v(&|r| r.time = "4".into(), 6).unwrap_err();
        assert!(e.starts_with("--signal-before-s 180"), "{e}");
        assert!(v(&|r| r.time = "6".into(), 6).is_ok());
    }

    fn tiny_def() -> SweepDef {
        SweepDef::parse(
            "name = \"tiny\"\nmodel = \"brunel\"\nseed = 1\nreplicates = 2\n\n[[axis]]\nparam = \"g\"\nvalues = [4, 5, 6]\n",
            "test",
        )
        .expect("valid definition")
    }

    #[test]
    fn the_script_has_exactly_the_expected_sbatch_lines() {
        let def = tiny_def();
        assert_eq!(def.n_runs(), 6);
        let opts = SlurmOptions::validate(&request(), def.n_runs()).unwrap();
        let paths = ScriptPaths {
            exe: "/opt/bin/brunel".into(),
            definition: "/home/u/it's.toml".into(),
            out: "/scratch/u/results/tiny".into(),
        };
        let s = render_script(&def, &opts, &paths);
        let sbatch: Vec<&str> = s.lines().filter(|l| l.starts_with("#SBATCH")).collect();
        assert_eq!(
            sbatch,
            [
                "#SBATCH --job-name=tiny",
                "#SBATCH --array=0-2",
                "#SBATCH --cpus-per-task=2",
                "#SBATCH --ntasks=1",
                "#SBATCH --time=01:00:00",
                "#SBATCH --partition=short",
                "#SBATCH --mem=4G",
                "#SBATCH --output=/scratch/u/results/tiny/slurm/logs/%A_%a.out",
                "#SBATCH --open-mode=append",
                "#SBATCH --signal=B:TERM@180",
            ]
        );
        assert!(
            s.starts_with(
                "#!/bin/bash\n# Written by `brunel slurm` for sweep tiny (6 runs in 3 shards).\n"
            ),
            "{s}"
        );
        assert!(s.ends_with(
            "exec '/opt/bin/brunel' sweep '/home/u/it'\\''s.toml' --out '/scratch/u/results/tiny' --shard \"${SLURM_ARRAY_TASK_ID}/3\" --threads \"$THREADS\" --no-plots\n"
        ), "{s}");
        // Without partition and memory, their lines are absent.
        let mut r = request();
        r.partition = None;
        r.mem = None;
        let s = render_script(&def, &SlurmOptions::validate(&r, 6).unwrap(), &paths);
        assert!(!s.contains("--partition") && !s.contains("--mem"), "{s}");
        assert_eq!(s.lines().filter(|l| l.starts_with("#SBATCH")).count(), 8);
    }

    #[test]
    fn results_paths_that_cannot_stand_on_an_sbatch_line_are_refused() {
        assert!(check_out_path(Path::new("/scratch/u/results/a-b_c.d")).is_ok());
        for p in [
            "/a b", "/a\nb", "/a\tb", "/a%b", "/a\"b", "/a'b", "/a\\b", "/a\rb",
        ] {
            let e = check_out_path(Path::new(p)).expect_err(p).to_string();
            assert!(
                e.starts_with("--out `") && !e.contains(['\n', '\r', '\t']),
                "{p}: {e}"
            );
        }
    }

    #[test]
    fn resolve_path_handles_folders_that_do_not_exist_yet() {
        let base = std::fs::canonicalize(std::env::temp_dir()).unwrap();
        let p = base.join(format!("brunel-resolve-{}", std::process::id()));
        assert_eq!(resolve_path(&p.join("x/./y/../z")).unwrap(), p.join("x/z"));
        assert!(!p.exists());
    }
}
