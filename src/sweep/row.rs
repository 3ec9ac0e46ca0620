//! The result row of one run: keys, every parameter, every measure with its unit in the
//! column name, the regime, the mean-field prediction, the run's cost and, for a run that
//! failed, the reason (`regime = "failed"`, measures NaN, `error` = the message).

use super::definition::SweepDef;
use crate::analysis::{Measures, PopulationMeasures};
use crate::run::{PartnerRun, Prediction, RunOutcome, Timings};

/// One cell of a result row. `==` compares as stored ([`Value::same_bits`]): two runs of the
/// same seed give equal rows even where a measure is NaN (a silent network's CV, the theory's
/// spectrum of an unstable state).
#[derive(Debug, Clone)]
pub enum Value {
    F64(f64),
    U64(u64),
    U32(u32),
    Str(String),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.same_bits(other)
    }
}

/// One row: ordered (column, value) pairs; every row of a sweep has the same columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<(String, Value)>,
}

impl Value {
    /// Equal as stored: floats compare by their bits, so NaN equals NaN (a byte copy of a
    /// part file holds the same rows) and 0.0 differs from -0.0.
    pub fn same_bits(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::F64(a), Value::F64(b)) => a.to_bits() == b.to_bits(),
            (Value::U64(a), Value::U64(b)) => a == b,
            (Value::U32(a), Value::U32(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            _ => false,
        }
    }

    /// The cell's type as the Parquet column holds it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::F64(_) => "f64",
            Value::U64(_) => "u64",
            Value::U32(_) => "u32",
            Value::Str(_) => "string",
        }
    }
}

impl Row {
    /// The value of a column.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.cells.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// (point, replicate): the key of a row; None when either column is missing or not u32
    /// ([`read_part`] refuses such files, so rows read through it always have a key).
    pub fn key(&self) -> Option<(u32, u32)> {
        match (self.get("point"), self.get("replicate")) {
            (Some(Value::U32(p)), Some(Value::U32(r))) => Some((*p, *r)),
            _ => None,
        }
    }

    /// The row without its timing columns ([`TIMING_COLUMNS`]): what must be identical
    /// between runs of the same seed.
    pub fn without_timings(&self) -> Row {
        Row {
            cells: self
                .cells
                .iter()
                .filter(|(n, _)| !TIMING_COLUMNS.contains(&n.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// Same columns and values bit for bit (see [`Value::same_bits`]).
    pub fn same_bits(&self, other: &Row) -> bool {
        self.cells.len() == other.cells.len()
            && self
                .cells
                .iter()
                .zip(&other.cells)
                .all(|((a, x), (b, y))| a == b && x.same_bits(y))
    }
}

/// Columns that hold wall-clock times (s): they differ between runs of the same seed.
pub const TIMING_COLUMNS: [&str; 4] = ["build_s", "simulate_s", "partner_s", "wall_s"];

/// The `regime` of a run that failed; its `error` column holds the reason.
pub const FAILED: &str = crate::regime::Regime::Failed.label();

/// A run to do: (point, replicate, seed), and for a refining sweep the level that planned
/// it (0 otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    pub point: usize,
    pub replicate: u32,
    pub seed: u64,
    pub level: u32,
}

impl Task {
    /// The task of a row's columns' template (the first point, nothing run).
    fn template() -> Task {
        Task {
            point: 0,
            replicate: 0,
            seed: 0,
            level: 0,
        }
    }
}

/// What one run contributes to its row.
#[derive(Clone, Copy)]
pub enum RunResult<'a> {
    /// The run finished.
    Done(&'a RunOutcome),
    /// The run failed (an error or a panic); the message says why.
    Failed(&'a str),
}

/// Names of the LIF populations of point `p` (their measures get per-population columns).
fn lif_names(def: &SweepDef, p: usize) -> Vec<String> {
    let spec = def
        .model
        .spec(&def.params_at(p))
        .or_else(|_| def.model.spec(&def.base));
    spec.map(|s| {
        s.populations
            .iter()
            .filter(|p| matches!(p.kind, crate::model::PopulationKind::Lif(_)))
            .map(|p| p.name.clone())
            .collect()
    })
    .unwrap_or_default()
}

fn nan_population(name: &str) -> PopulationMeasures {
    PopulationMeasures {
        name: name.to_string(),
        n_neurons: 0,
        n_spikes: 0,
        rate_hz: f64::NAN,
        cv_isi: f64::NAN,
        cv_fraction: f64::NAN,
        active_fraction: f64::NAN,
    }
}

/// Measures of a run that produced none: NaN everywhere, zero counts.
fn nan_measures(names: &[String]) -> Measures {
    Measures {
        window_ms: f64::NAN,
        populations: names.iter().map(|n| nan_population(n)).collect(),
        all: nan_population("all"),
        fano_factor: f64::NAN,
        fano_factor_slow: f64::NAN,
        chi: f64::NAN,
        spectrum_peak_hz: f64::NAN,
        spectrum_peak_share: f64::NAN,
        oscillation_strength: f64::NAN,
    }
}

/// Builds the row of run `t` of `def`; a refining sweep's rows also say their `level`.
pub fn build_row(def: &SweepDef, t: &Task, r: RunResult) -> Row {
    let Task {
        point,
        replicate,
        seed,
        level,
    } = *t;
    let nan_m;
    let (m, events, regime, prediction, timings, error) = match r {
        RunResult::Done(o) => (
            &o.measures,
            o.work.synaptic_events,
            o.regime.label(),
            o.prediction.as_ref(),
            o.timings,
            "",
        ),
        RunResult::Failed(msg) => {
            nan_m = nan_measures(&lif_names(def, point));
            let t = Timings {
                build_s: f64::NAN,
                simulate_s: f64::NAN,
                analyse_s: f64::NAN,
                partner_s: f64::NAN,
            };
            (&nan_m, 0, FAILED, None, t, msg)
        }
    };
    let mut cells: Vec<(String, Value)> = vec![
        ("point".into(), Value::U32(point as u32)),
        ("replicate".into(), Value::U32(replicate)),
        ("seed".into(), Value::U64(seed)),
    ];
    if def.refine.is_some() {
        cells.push(("level".into(), Value::U32(level)));
    }
    let params = def.params_at(point);
    // Swept parameters first (map axes, then facets), then every other parameter in the
    // model's order.
    let swept = def.swept_params();
    for name in &swept {
        cells.push((name.clone(), Value::F64(params.get(name))));
    }
    for (name, v) in params.iter() {
        if !swept.iter().any(|s| s == name) {
            cells.push((name.to_string(), Value::F64(v)));
        }
    }
    let f = |x: f64| Value::F64(x);
    cells.push(("rate_hz".into(), f(m.all.rate_hz)));
    cells.push(("cv_isi".into(), f(m.all.cv_isi)));
    cells.push(("cv_fraction".into(), f(m.all.cv_fraction)));
    cells.push(("active_fraction".into(), f(m.all.active_fraction)));
    for p in &m.populations {
        let n = p.name.to_lowercase();
        cells.push((format!("rate_{n}_hz"), f(p.rate_hz)));
        cells.push((format!("cv_isi_{n}"), f(p.cv_isi)));
        cells.push((format!("cv_fraction_{n}"), f(p.cv_fraction)));
        cells.push((format!("active_fraction_{n}"), f(p.active_fraction)));
    }
    cells.push(("fano_factor".into(), f(m.fano_factor)));
    cells.push(("fano_factor_slow".into(), f(m.fano_factor_slow)));
    cells.push(("chi".into(), f(m.chi)));
    cells.push(("spectrum_peak_hz".into(), f(m.spectrum_peak_hz)));
    cells.push(("spectrum_peak_share".into(), f(m.spectrum_peak_share)));
    cells.push(("oscillation_strength".into(), f(m.oscillation_strength)));
    cells.push(("n_spikes".into(), Value::U64(m.all.n_spikes)));
    cells.push(("synaptic_events".into(), Value::U64(events)));
    cells.push(("regime".into(), Value::Str(regime.into())));
    let done = match r {
        RunResult::Done(o) => Some(o),
        RunResult::Failed(_) => None,
    };
    push_synchrony(&mut cells, done);
    push_theory(&mut cells, prediction);
    cells.push(("build_s".into(), f(timings.build_s)));
    cells.push(("simulate_s".into(), f(timings.simulate_s)));
    cells.push(("partner_s".into(), f(timings.partner_s)));
    cells.push((
        "wall_s".into(),
        f(timings.build_s + timings.simulate_s + timings.analyse_s + timings.partner_s),
    ));
    cells.push(("error".into(), Value::Str(error.to_string())));
    Row { cells }
}

/// The synchrony decision (`synchrony_test`: size, fano or empty; its margin in the test's
/// units) and the partner run at N/f with its size exponents (NaN, 0 without a partner).
fn push_synchrony(cells: &mut Vec<(String, Value)>, o: Option<&RunOutcome>) {
    let sync = o.map(|o| o.synchrony);
    let test = sync.map_or("", |s| s.test.label());
    cells.push(("synchrony_test".into(), Value::Str(test.into())));
    let margin = sync.map_or(f64::NAN, |s| s.margin);
    cells.push(("synchrony_margin".into(), Value::F64(margin)));
    let p = o.and_then(|o| o.partner.as_ref());
    let pf = |g: fn(&PartnerRun) -> f64| Value::F64(p.map_or(f64::NAN, g));
    cells.push(("size_exponent".into(), pf(|p| p.scaling.fano_exponent)));
    cells.push((
        "size_exponent_osc".into(),
        pf(|p| p.scaling.oscillation_exponent),
    ));
    cells.push(("partner_N_E".into(), pf(|p| p.n_e)));
    cells.push(("partner_seed".into(), Value::U64(p.map_or(0, |p| p.seed))));
    cells.push(("partner_rate_hz".into(), pf(|p| p.measures.all.rate_hz)));
    cells.push(("partner_cv_isi".into(), pf(|p| p.measures.all.cv_isi)));
    cells.push(("partner_fano_factor".into(), pf(|p| p.measures.fano_factor)));
    cells.push((
        "partner_fano_factor_slow".into(),
        pf(|p| p.measures.fano_factor_slow),
    ));
    cells.push((
        "partner_oscillation_strength".into(),
        pf(|p| p.measures.oscillation_strength),
    ));
}

fn push_theory(cells: &mut Vec<(String, Value)>, prediction: Option<&Prediction>) {
    let (rate, cv, n, all) = match prediction {
        Some(p) => (
            p.nearest.map(|s| s.rate_hz).unwrap_or(f64::NAN),
            p.nearest.map(|s| s.cv_isi).unwrap_or(f64::NAN),
            p.states.len() as u32,
            p.states
                .iter()
                .map(|s| format!("{:.6}", s.rate_hz))
                .collect::<Vec<_>>()
                .join(";"),
        ),
        None => (f64::NAN, f64::NAN, 0, String::new()),
    };
    cells.push(("theory_rate_hz".into(), Value::F64(rate)));
    cells.push(("theory_cv_isi".into(), Value::F64(cv)));
    cells.push(("theory_n_states".into(), Value::U32(n)));
    cells.push(("theory_rates_hz".into(), Value::Str(all)));
    // Linear stability of that state (Brunel 2000 §5): its label and leading mode.
    let st = prediction.and_then(|p| p.stability.as_ref());
    let lead = st.and_then(|s| s.leading());
    cells.push((
        "theory_regime".into(),
        Value::Str(st.map(|s| s.regime.label().to_string()).unwrap_or_default()),
    ));
    cells.push((
        "theory_growth_per_s".into(),
        Value::F64(lead.map_or(f64::NAN, |m| m.growth_per_s)),
    ));
    cells.push((
        "theory_osc_hz".into(),
        Value::F64(lead.map_or(f64::NAN, |m| m.frequency_hz)),
    ));
    // The finite network's population spectrum in that state (asynchronous states only):
    // its largest peak, the power in units of the Poisson floor like oscillation_strength.
    let peak = st.and_then(|s| s.peak);
    cells.push((
        "theory_peak_hz".into(),
        Value::F64(peak.map_or(f64::NAN, |p| p.frequency_hz)),
    ));
    cells.push((
        "theory_peak_power".into(),
        Value::F64(peak.map_or(f64::NAN, |p| p.power)),
    ));
    cells.push((
        "theory_note".into(),
        Value::Str(st.map(|s| s.note.clone()).unwrap_or_default()),
    ));
}

/// Checks that a row read from disk has exactly the columns of `def`'s rows, with their
/// types; the message names the first column that is missing, mistyped or unexpected.
pub fn check_columns(def: &SweepDef, row: &Row) -> Result<(), String> {
    let template = build_row(def, &Task::template(), RunResult::Failed(""));
    for (name, want) in &template.cells {
        match row.get(name) {
            None => return Err(format!("column `{name}` is missing")),
            Some(v) if std::mem::discriminant(v) != std::mem::discriminant(want) => {
                return Err(format!(
                    "column `{name}` holds {}, expected {}",
                    v.type_name(),
                    want.type_name()
                ))
            }
            Some(_) => {}
        }
    }
    match row.cells.iter().find(|(n, _)| template.get(n).is_none()) {
        Some((n, _)) => Err(format!("unexpected column `{n}`")),
        None => Ok(()),
    }
}

/// The columns every row of `def` has, in order, known before anything runs (the row of a
/// failed run has exactly the columns of a finished one).
pub fn column_names(def: &SweepDef) -> Vec<String> {
    build_row(def, &Task::template(), RunResult::Failed(""))
        .cells
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// The numeric columns that measure a run (rates, CVs, synchrony, spike counts, the
/// mean-field prediction): what `[refine] on` may split on. Not the keys (`point`,
/// `replicate`), the `seed`, the `level`, any parameter (swept or fixed) or a timing: those
/// are not results of the simulation, and timings differ between runs of one seed.
pub fn measure_columns(def: &SweepDef) -> Vec<String> {
    let row = build_row(def, &Task::template(), RunResult::Failed(""));
    let params = def.params_at(0);
    let not_measures = ["point", "replicate", "seed", "level"];
    row.cells
        .into_iter()
        .filter(|(_, v)| !matches!(v, Value::Str(_)))
        .map(|(n, _)| n)
        .filter(|n| !not_measures.contains(&n.as_str()) && !TIMING_COLUMNS.contains(&n.as_str()))
        .filter(|n| !params.iter().any(|(p, _)| p == n))
        .collect()
}

/// The candidate nearest to `word` (case-insensitive edit distance), when it is near enough
/// to be a likely misspelling (at most a third of the word's letters differ).
pub fn nearest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    let w: Vec<char> = word.to_lowercase().chars().collect();
    let distance = |c: &str| {
        let c: Vec<char> = c.to_lowercase().chars().collect();
        let mut prev: Vec<usize> = (0..=c.len()).collect();
        for (i, a) in w.iter().enumerate() {
            let mut cur = vec![i + 1; c.len() + 1];
            for (j, b) in c.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(a != b))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[c.len()]
    };
    candidates
        .iter()
        .map(|c| (distance(c), c.as_str()))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= (w.len() / 3).max(1))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_as_stored() {
        assert_eq!(Value::F64(f64::NAN), Value::F64(f64::NAN));
        assert_ne!(Value::F64(0.0), Value::F64(-0.0));
        assert_ne!(Value::F64(1.0), Value::U64(1));
        assert_eq!(Value::Str("AR".into()), Value::Str("AR".into()));
        assert_ne!(Value::U32(1), Value::U32(2));
    }

    #[test]
    fn rows_from_disk_must_have_the_sweeps_columns_and_types() {
        let text = "name = \"t\"\nmodel = \"brunel\"\nseed = 1\n[fixed]\nN_E = 400\nN_I = 100\n[[axis]]\nparam = \"g\"\nvalues = [4, 5]\n";
        let def = SweepDef::parse(text, "t.toml").unwrap();
        let t = Task {
            point: 1,
            replicate: 0,
            seed: 9,
            level: 0,
        };
        let row = build_row(&def, &t, RunResult::Failed("x"));
        assert_eq!(row.key(), Some((1, 0)));
        assert!(check_columns(&def, &row).is_ok());
        assert_eq!(
            column_names(&def),
            row.cells.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
        );
        let mut missing = row.clone();
        missing.cells.retain(|(n, _)| n != "chi");
        assert_eq!(
            check_columns(&def, &missing).unwrap_err(),
            "column `chi` is missing"
        );
        let mut mistyped = row.clone();
        mistyped.cells[0].1 = Value::F64(1.0);
        assert_eq!(
            check_columns(&def, &mistyped).unwrap_err(),
            "column `point` holds f64, expected u32"
        );
        let mut extra = row;
        extra.cells.push(("zzz".into(), Value::U32(0)));
        assert_eq!(
            check_columns(&def, &extra).unwrap_err(),
            "unexpected column `zzz`"
        );
    }

    #[test]
    fn refinement_measures_exclude_keys_seeds_parameters_and_timings() {
        let text = "name = \"t\"\nmodel = \"brunel\"\nseed = 1\n[fixed]\nN_E = 400\nN_I = 100\n[[axis]]\nparam = \"g\"\nvalues = [4, 5]\n";
        let def = SweepDef::parse(text, "t.toml").unwrap();
        let m = measure_columns(&def);
        for yes in [
            "rate_hz",
            "rate_e_hz",
            "cv_isi",
            "chi",
            "n_spikes",
            "theory_rate_hz",
        ] {
            assert!(m.iter().any(|c| c == yes), "{yes} in {m:?}");
        }
        for no in [
            "point",
            "replicate",
            "seed",
            "g",
            "N_E",
            "wall_s",
            "build_s",
            "simulate_s",
            "regime",
            "error",
        ] {
            assert!(!m.iter().any(|c| c == no), "{no} in {m:?}");
        }
        let names: Vec<String> = ["regime", "rate_hz", "cv_isi"].map(String::from).to_vec();
        assert_eq!(nearest("Regime", &names), Some("regime"));
        assert_eq!(nearest("rate_Hz", &names), Some("rate_hz"));
        assert_eq!(nearest("cv_isl", &names), Some("cv_isi"));
        assert_eq!(nearest("something_else", &names), None);
    }
}
