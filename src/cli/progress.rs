//! Progress of a sweep as the CLI shows it: an indicatif bar with rate and ETA on a terminal, plain lines
//! (done/total, rate, ETA) every few seconds when stderr is a file (SLURM logs).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Reports finished runs.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    start: Instant,
    last_line: Instant,
    every: Duration,
    label: String,
}

fn fmt_duration(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    let s = s.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Progress {
    /// A bar on a terminal, otherwise plain lines every `every`; `quiet` shows nothing.
    pub fn new(label: &str, total: usize, every: Duration, quiet: bool) -> Self {
        let bar = if !quiet && std::io::stderr().is_terminal() {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} runs, {per_sec}, ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.set_message(label.to_string());
            Some(b)
        } else {
            None
        };
        Progress {
            bar,
            total: total as u64,
            done: 0,
            start: Instant::now(),
            last_line: Instant::now(),
            every: if quiet { Duration::MAX } else { every },
            label: label.to_string(),
        }
    }

    /// One more run finished.
    pub fn inc(&mut self) {
        self.done += 1;
        if let Some(b) = &self.bar {
            b.inc(1);
        } else if self.last_line.elapsed() >= self.every {
            self.last_line = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    /// Prints a warning line above the bar (or as a plain line), even when quiet: warnings
    /// are never progress.
    pub fn warn(&self, message: &str) {
        match &self.bar {
            Some(b) => b.println(format!("warning: {message}")),
            None => eprintln!("warning: {message}"),
        }
    }

    /// `label: 12/143 runs (8.4 %), 0.52 runs/s, ETA 4m12s`.
    pub fn line(&self) -> String {
        let el = self.start.elapsed().as_secs_f64();
        let rate = self.done as f64 / el.max(1e-9);
        let eta = self.total.saturating_sub(self.done) as f64 / rate;
        format!(
            "{}: {}/{} runs ({:.1} %), {:.2} runs/s, elapsed {}, ETA {}",
            self.label,
            self.done,
            self.total,
            100.0 * self.done as f64 / self.total.max(1) as f64,
            rate,
            fmt_duration(el),
            if self.done == 0 {
                "?".into()
            } else {
                fmt_duration(eta)
            }
        )
    }

    /// Ends the bar (or prints a last line).
    pub fn finish(&self) {
        match &self.bar {
            Some(b) => b.finish(),
            None if self.every != Duration::MAX => eprintln!("{}", self.line()),
            None => {}
        }
    }
}

impl crate::sweep::SweepObserver for Progress {
    /// Runs of a sweep's next stage (an adaptive sweep's next level) extend the total.
    fn started(&mut self, todo: usize) {
        self.total = self.done + todo as u64;
        if let Some(b) = &self.bar {
            b.set_length(self.total);
        }
    }
    fn run_done(&mut self) {
        self.inc();
    }
    fn warning(&mut self, message: &str) {
        self.warn(message);
    }
    fn finished(&mut self) {
        self.finish();
    }
}
