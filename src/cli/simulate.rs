//! `brunel simulate`: one network, its measures on the terminal, files in a folder.

use super::{default_out, ModelArgs};
use crate::analysis::classify::ClassifierSettings;
use crate::analysis::AnalysisSettings;
use crate::model;
use crate::plot;
use crate::run::{run as run_model, RunOutcome};
use crate::store;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Seed of every random draw (connectivity, initial values, Poisson drive).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated time in ms (shorthand for --set duration_ms=T).
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub duration_ms: Option<f64>,
    /// Output folder [default: results/simulate/<model>[-<overrides>]-seed<N>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Projection drawn in connectivity.png, as SOURCE-TARGET (E-E, E-I, I-E, I-I, ...).
    #[arg(long, default_value = "E-E", value_name = "PROJECTION")]
    pub connectivity: String,
    /// Time window of fig8.png, START:END in ms [default: the last 200 ms].
    #[arg(long, value_name = "START:END")]
    pub window_ms: Option<String>,
    /// Most neurons shown in raster.png (taken from each population in proportion).
    #[arg(long, default_value_t = 200)]
    pub raster_neurons: usize,
}

fn parse_window(text: &str, duration: f64) -> anyhow::Result<(f64, f64)> {
    let (a, b) = text
        .split_once(':')
        .with_context(|| format!("--window-ms `{text}`: expected START:END in ms"))?;
    let (a, b): (f64, f64) = (
        a.trim()
            .parse()
            .with_context(|| format!("--window-ms: `{a}` is not a number"))?,
        b.trim()
            .parse()
            .with_context(|| format!("--window-ms: `{b}` is not a number"))?,
    );
    if !(0.0 <= a && a < b && b <= duration) {
        bail!("--window-ms {a}:{b}: expected 0 <= START < END <= duration ({duration} ms)");
    }
    Ok((a, b))
}

pub fn run(a: SimulateArgs) -> anyhow::Result<()> {
    // Everything is checked before anything is written.
    let m = model::find(&a.model.model)?;
    let mut params = m.with_assignments(&a.model.sets)?;
    if let Some(d) = a.duration_ms {
        params.set("duration_ms", d).context("--duration-ms")?;
    }
    let spec = m.spec(&params)?;
    spec.validate()?;
    if !spec.projections.iter().any(|p| p.name == a.connectivity) {
        let names: Vec<_> = spec.projections.iter().map(|p| p.name.as_str()).collect();
        bail!(
            "--connectivity `{}`: no such projection in model {}; choose one of {}",
            a.connectivity,
            m.name,
            names.join(", ")
        );
    }
    let window = match &a.window_ms {
        Some(w) => parse_window(w, spec.duration_ms)?,
        None => ((spec.duration_ms - 200.0).max(0.0), spec.duration_ms),
    };
    let overrides = params.overrides();
    let out = a.out.clone().unwrap_or_else(|| {
        let mut name = m.name.to_string();
        for o in &overrides {
            name.push('-');
            name.push_str(o);
        }
        default_out("simulate", &format!("{name}-seed{}", a.seed))
    });
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    // Prove the folder is writable before spending time on the simulation.
    let probe = out.join(format!(".write-probe-{}", std::process::id()));
    let written = std::fs::write(&probe, b"ok");
    // Removed whether or not the write succeeded (a full disk creates it empty).
    let _ = std::fs::remove_file(&probe);
    written
        .map_err(store::StoreError::io(&probe))
        .with_context(|| format!("output folder {} is not writable", out.display()))?;

    eprintln!(
        "simulating model {} ({} ms, seed {}) ...",
        m.name, spec.duration_ms, a.seed
    );
    let outcome = run_model(
        m,
        &params,
        a.seed,
        &AnalysisSettings::default(),
        &ClassifierSettings::default(),
    )?;
    print_table(&outcome);

    let title = format!("{} — {} — seed {}", m.name, m.describe(&params), a.seed);
    let rec = &outcome.recording;
    let spikes_path = out.join("spikes.parquet");
    let meta = vec![
        ("brunel_model".to_string(), m.name.to_string()),
        ("brunel_seed".to_string(), a.seed.to_string()),
        (
            "brunel_params".to_string(),
            serde_json::to_string(&params.to_map())?,
        ),
        (
            "brunel_version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ];
    store::spikes::write_spikes(&spikes_path, None, rec, &meta)?;
    draw_spike_figures(rec, &out, &title, m.fig8, window, a.raster_neurons)?;
    write_connectivity(
        &outcome,
        &a.connectivity,
        &out.join("connectivity.png"),
        &title,
    )?;
    let spectrum = write_spectrum(&outcome, m, &params, &out.join("spectrum.png"), &title)?;
    write_summary(&out.join("summary.json"), m.name, a.seed, &params, &outcome)?;
    println!(
        "wrote {}/{{raster.png, connectivity.png, spikes.parquet, summary.json{}{}}}",
        out.display(),
        if m.fig8 { ", fig8.png" } else { "" },
        if spectrum { ", spectrum.png" } else { "" }
    );
    Ok(())
}

/// raster.png and, for models that draw it, fig8.png of a recording into `out`.
fn draw_spike_figures(
    rec: &crate::record::Recording,
    out: &Path,
    title: &str,
    fig8: bool,
    window_ms: (f64, f64),
    raster_neurons: usize,
) -> anyhow::Result<Vec<PathBuf>> {
    let duration_ms = rec.n_steps as f64 * rec.dt_ms;
    let raster = out.join("raster.png");
    store::write_by_path(&raster, |p| {
        plot::raster::raster(rec, p, title, 0.0, duration_ms, raster_neurons)
    })?;
    let mut written = vec![raster];
    if fig8 {
        let path = out.join("fig8.png");
        store::write_by_path(&path, |p| {
            plot::raster::fig8(rec, p, title, window_ms.0, window_ms.1, 50)
        })?;
        written.push(path);
    }
    Ok(written)
}

/// spectrum.png: the simulated spectrum of the population rate over its Poisson floor and,
/// for a model with a mean field whose state is stable, the theory's finite-size spectrum
/// N·S_A/ν0 at the same frequencies. False (nothing drawn) when the run is too short for a
/// spectrum.
fn write_spectrum(
    o: &RunOutcome,
    m: &model::Model,
    params: &model::ParamSet,
    path: &Path,
    title: &str,
) -> anyhow::Result<bool> {
    use crate::theory::spectrum::{FiniteSizeSpectrum, PEAK_MAX_HZ};
    let Some((sp, floor)) = crate::analysis::rate_spectrum(
        &o.recording,
        o.spec.warmup_steps(),
        &AnalysisSettings::default(),
    ) else {
        return Ok(false);
    };
    let simulated: Vec<(f64, f64)> = (1..sp.power.len())
        .map(|k| (k as f64 * sp.df_hz, sp.power[k] / floor))
        .collect();
    let ms = &o.measures;
    let simulated_note = format!(
        "simulation: peak {} Hz, {} × floor (oscillation_strength)",
        fmt(ms.spectrum_peak_hz, 1),
        fmt(ms.oscillation_strength, 0)
    );
    let stability = o.prediction.as_ref().and_then(|p| p.stability.as_ref());
    let curve = match (m.mean_field, stability) {
        (Some(mean_field), Some(st)) if st.peak.is_some() => {
            FiniteSizeSpectrum::new(&mean_field(params), st.rate_hz).map(|s| {
                let pts: Vec<(f64, f64)> = simulated
                    .iter()
                    .filter(|(f, _)| *f <= PEAK_MAX_HZ)
                    .map(|&(f, _)| (f, s.power(f)))
                    .collect();
                (pts, st)
            })
        }
        _ => None,
    };
    let theory_note = match (&curve, stability) {
        (Some((_, st)), _) => {
            let p = st.peak.expect("checked above");
            format!(
                "theory ({} state at {:.1} Hz): peak {:.1} Hz, {:.0} × floor",
                st.regime, st.rate_hz, p.frequency_hz, p.power
            )
        }
        (None, Some(st)) => format!(
            "theory: no curve ({} state at {:.1} Hz: not a stable asynchronous state)",
            st.regime, st.rate_hz
        ),
        (None, None) => "theory: none for this model or no stable state".to_string(),
    };
    let curves = plot::spectrum::SpectrumCurves {
        simulated: &simulated,
        theory: curve.as_ref().map(|(pts, _)| pts.as_slice()),
        theory_note,
        simulated_note,
    };
    plot::spectrum::spectrum_figure(&curves, path, title)?;
    Ok(true)
}

/// Whether `dir` is a `brunel simulate` output folder (it holds spikes.parquet and
/// summary.json but no sweep definition).
pub fn is_simulate_folder(dir: &Path) -> bool {
    dir.join("spikes.parquet").is_file()
        && dir.join("summary.json").is_file()
        && !dir.join("definition.toml").exists()
}

/// Redraws raster.png and fig8.png of a `simulate` folder from its spikes.parquet alone
/// (connectivity.png needs the network, which is not stored).
pub fn redraw(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let path = dir.join("spikes.parquet");
    let rec = store::spikes::read_spikes(&path)?;
    let md: std::collections::BTreeMap<String, String> =
        store::read_metadata(&path)?.into_iter().collect();
    let model_name = md.get("brunel_model").map(String::as_str).unwrap_or("?");
    let fig8 = model::find(model_name).map(|m| m.fig8).unwrap_or(false);
    let seed = md.get("brunel_seed").map(String::as_str).unwrap_or("?");
    let title = format!("{model_name} — seed {seed} — redrawn from spikes.parquet");
    let duration_ms = rec.n_steps as f64 * rec.dt_ms;
    let window = ((duration_ms - 200.0).max(0.0), duration_ms);
    draw_spike_figures(&rec, dir, &title, fig8, window, 200)
}

fn write_connectivity(o: &RunOutcome, name: &str, path: &Path, title: &str) -> anyhow::Result<()> {
    let pr = o.network.projection(name).expect("checked above");
    let tgt = &o.network.lif[pr.target];
    let n_src = pr.offsets.len() - 1;
    // Large projections: show the synapses among the first 100 sources and targets.
    let limit = 100;
    let (ns, nt) = if n_src > 2 * limit || tgt.size > 2 * limit {
        (n_src.min(limit), tgt.size.min(limit))
    } else {
        (n_src, tgt.size)
    };
    let pairs: Vec<(usize, usize)> = pr.pairs().filter(|&(s, t)| s < ns && t < nt).collect();
    let sub = if ns < n_src || nt < tgt.size {
        format!(" (first {ns} × {nt} neurons)")
    } else {
        String::new()
    };
    let title = format!("{name}: {} synapses{sub} — {title}", pairs.len());
    store::write_by_path(path, |p| {
        plot::connectivity::connectivity(&pairs, ns, nt, p, &title)
    })?;
    Ok(())
}

fn write_summary(
    path: &Path,
    model: &str,
    seed: u64,
    params: &model::ParamSet,
    o: &RunOutcome,
) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&o.summary_json(model, seed, params))?;
    store::write_atomic(path, |f| {
        use std::io::Write;
        f.write_all(text.as_bytes())
            .map_err(store::StoreError::io(path))
    })?;
    Ok(())
}

/// One line on the synchrony decision: the partner's size and exponents, or the Fano test.
fn print_synchrony(o: &RunOutcome) {
    use crate::analysis::synchrony::Decided;
    let s = &o.synchrony;
    let verdict = if s.synchronous {
        "synchronous"
    } else {
        "asynchronous"
    };
    match (s.test, &o.partner) {
        (Decided::Size, Some(p)) => println!(
            "synchrony (size test): partner N_E = {} (seed {}) fires {} Hz, Fano {}; exponents κ_Fano {}, κ_osc {} → {verdict} (margin {})",
            p.n_e,
            p.seed,
            fmt(p.measures.all.rate_hz, 3),
            fmt(p.measures.fano_factor, 1),
            fmt(p.scaling.fano_exponent, 3),
            fmt(p.scaling.oscillation_exponent, 3),
            fmt(s.margin, 3)
        ),
        (Decided::Fano, _) => println!(
            "synchrony (Fano test{}): {verdict} (margin {} in Fano units)",
            if o.partner.is_some() { ", the partner gave no exponent" } else { "" },
            fmt(s.margin, 1)
        ),
        (Decided::Lock, _) => println!(
            "synchrony (lock test, no partner): oscillation strength {} → {verdict} (margin {})",
            fmt(o.measures.oscillation_strength, 0),
            fmt(s.margin, 0)
        ),
        _ => {}
    }
}

fn fmt(x: f64, prec: usize) -> String {
    if x.is_nan() {
        "NaN".into()
    } else {
        format!("{x:.prec$}")
    }
}

/// Prints the per-population table and the network-level measures.
pub fn print_table(o: &RunOutcome) {
    let m = &o.measures;
    println!(
        "window: {:.0} ms after a {:.0} ms warm-up; CV over neurons with >= 3 spikes",
        m.window_ms, o.spec.warmup_ms
    );
    println!(
        "{:<12} {:>8} {:>9} {:>10} {:>8} {:>10} {:>10}",
        "population", "neurons", "spikes", "rate (Hz)", "CV ISI", "CV n (%)", "active (%)"
    );
    for p in m.populations.iter().chain(std::iter::once(&m.all)) {
        println!(
            "{:<12} {:>8} {:>9} {:>10} {:>8} {:>10} {:>10}",
            p.name,
            p.n_neurons,
            p.n_spikes,
            fmt(p.rate_hz, 3),
            fmt(p.cv_isi, 3),
            fmt(100.0 * p.cv_fraction, 1),
            fmt(100.0 * p.active_fraction, 1)
        );
    }
    println!(
        "Fano factor {} (2 ms bins), {} (10 ms bins)   Golomb chi {}   spectral peak {} Hz (share {}, {} × the Poisson floor)",
        fmt(m.fano_factor, 1),
        fmt(m.fano_factor_slow, 1),
        fmt(m.chi, 3),
        fmt(m.spectrum_peak_hz, 1),
        fmt(m.spectrum_peak_share, 3),
        fmt(m.oscillation_strength, 0)
    );
    print_synchrony(o);
    println!("regime: {}", o.regime);
    if let Some(p) = &o.prediction {
        let rates: Vec<String> = p
            .states
            .iter()
            .map(|s| {
                format!(
                    "{:.3}{}",
                    s.rate_hz,
                    if s.stable { "" } else { " (unstable)" }
                )
            })
            .collect();
        match p.nearest {
            Some(s) => println!(
                "mean field: {:.3} Hz (CV {:.3}) vs simulated {:.3} Hz; all stationary rates: {} Hz",
                s.rate_hz,
                s.cv_isi,
                m.all.rate_hz,
                rates.join(", ")
            ),
            None => println!("mean field: no stable stationary state"),
        }
        if let Some(st) = &p.stability {
            let peak = st.peak.map_or_else(
                || "no finite-size spectrum (no stable asynchronous state)".to_string(),
                |k| {
                    format!(
                        "finite-size spectrum peak {:.1} Hz, {:.0} × the Poisson floor",
                        k.frequency_hz, k.power
                    )
                },
            );
            println!("theory regime: {}; {peak}", st.regime);
        }
    }
    println!(
        "build {:.2} s, simulate {:.2} s, analyse {:.2} s; {} synapses, {} synaptic events",
        o.timings.build_s,
        o.timings.simulate_s,
        o.timings.analyse_s,
        o.network.n_synapses(),
        o.work.synaptic_events
    );
}
