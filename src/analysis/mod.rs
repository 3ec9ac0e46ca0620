//! Measures over a spike record and sampled voltages, within the post-warm-up window, and the
//! regime classifier ([`classify`]). Every definition is stated on the field that holds it.

pub mod classify;
pub mod spectrum;
pub mod synchrony;

use crate::record::{PopulationSpikes, Recording};
use serde::{Deserialize, Serialize};

/// Settings of the measures; a sweep definition can override each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisSettings {
    /// A neuron enters the CV average only with at least this many spikes in the window
    /// (3 spikes = 2 ISIs).
    pub cv_min_spikes: usize,
    /// Bin of the population spike count for the Fano factor (ms); 2 ms resolves the fast
    /// (~180 Hz) oscillation of SI-fast states.
    pub fano_bin_ms: f64,
    /// Bin of the second, slow Fano factor (ms); 10 ms integrates the slow (~20 Hz)
    /// oscillation of SI-slow states, which short bins split up.
    pub fano_slow_bin_ms: f64,
    /// Welch segment length (ms); rounded down to a power of two of time steps.
    pub welch_segment_ms: f64,
    /// Lowest frequency considered for the spectral peak (Hz).
    pub spectrum_min_hz: f64,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            cv_min_spikes: 3,
            fano_bin_ms: 2.0,
            fano_slow_bin_ms: 10.0,
            welch_segment_ms: 409.6,
            spectrum_min_hz: 5.0,
        }
    }
}

/// Measures of one population (or of all LIF neurons together).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationMeasures {
    pub name: String,
    pub n_neurons: usize,
    /// Spikes in the window.
    pub n_spikes: u64,
    /// Mean rate over neurons and window: n_spikes / (n_neurons · window).
    pub rate_hz: f64,
    /// Mean over qualifying neurons of each neuron's CV of ISI (std/mean of its ISIs, population
    /// std). A neuron qualifies with ≥ `cv_min_spikes` spikes. NaN when none qualifies. This is
    /// the per-neuron CV; the CV of pooled ISIs is larger when rates are heterogeneous.
    pub cv_isi: f64,
    /// Fraction of neurons that qualify for the CV.
    pub cv_fraction: f64,
    /// Fraction of neurons with at least one spike in the window.
    pub active_fraction: f64,
}

/// All measures of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measures {
    /// Length of the measured window (ms).
    pub window_ms: f64,
    /// Per LIF population, in network order.
    pub populations: Vec<PopulationMeasures>,
    /// All LIF neurons together.
    pub all: PopulationMeasures,
    /// Var/mean of the spike count of all LIF neurons in bins of `fano_bin_ms`. 1 for
    /// independent Poisson neurons; large when the population fires in synchronous waves.
    /// NaN when no spike falls in the window. For a fixed in-degree it stays comparable across
    /// network sizes (N·correlation is what it measures), unlike χ, which grows with ε.
    pub fano_factor: f64,
    /// The same with bins of `fano_slow_bin_ms`.
    pub fano_factor_slow: f64,
    /// Golomb's synchrony χ = sqrt(Var_t[mean_i V_i(t)] / mean_i Var_t[V_i(t)]) over the
    /// sampled neurons' membrane potentials: ≈ 1 for full synchrony, ~1/√n for asynchrony.
    /// NaN without samples or when no neuron's V varies.
    pub chi: f64,
    /// Frequency (Hz, ≥ `spectrum_min_hz`) of the largest peak of the Welch power spectrum of
    /// the population rate of all LIF neurons binned at dt. NaN when there is no power.
    pub spectrum_peak_hz: f64,
    /// Share of the total power (above 0 Hz) in that peak (peak bin ± 2 bins).
    pub spectrum_peak_share: f64,
    /// Power of that peak over the flat floor of independent Poisson neurons at the same
    /// rate ([`spectrum::Spectrum::poisson_floor`]): ~1–3 for an asynchronous network of any
    /// size and rate, ≫ 1 for a global oscillation. A continuous, rate-independent measure
    /// of oscillation to draw one's own line with. NaN without spikes.
    pub oscillation_strength: f64,
}

impl Measures {
    /// The measures of a population by name.
    pub fn population(&self, name: &str) -> Option<&PopulationMeasures> {
        self.populations.iter().find(|p| p.name == name)
    }
}

/// Per-neuron CVs of ISI from spikes in time order; returns (mean CV, fraction qualifying).
fn cv_isi(size: usize, steps: &[u32], neurons: &[u32], min_spikes: usize) -> (f64, f64) {
    // Group spike stamps by neuron (counting sort keeps time order within a neuron).
    let mut offsets = vec![0usize; size + 1];
    for &j in neurons {
        offsets[j as usize + 1] += 1;
    }
    for i in 0..size {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut by_neuron = vec![0u32; steps.len()];
    for (&s, &j) in steps.iter().zip(neurons) {
        by_neuron[fill[j as usize]] = s;
        fill[j as usize] += 1;
    }
    let (mut sum, mut n_ok) = (0.0, 0usize);
    for j in 0..size {
        let t = &by_neuron[offsets[j]..offsets[j + 1]];
        if t.len() < min_spikes.max(3) {
            continue;
        }
        let isis = t.windows(2).map(|w| (w[1] - w[0]) as f64);
        let n = (t.len() - 1) as f64;
        let mean = isis.clone().sum::<f64>() / n;
        let var = isis.map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        sum += var.sqrt() / mean;
        n_ok += 1;
    }
    let mean = if n_ok > 0 {
        sum / n_ok as f64
    } else {
        f64::NAN
    };
    (
        mean,
        if size > 0 {
            n_ok as f64 / size as f64
        } else {
            f64::NAN
        },
    )
}

fn population_measures(
    name: &str,
    size: usize,
    steps: &[u32],
    neurons: &[u32],
    window_ms: f64,
    s: &AnalysisSettings,
) -> PopulationMeasures {
    let n_spikes = steps.len() as u64;
    let (cv, frac) = cv_isi(size, steps, neurons, s.cv_min_spikes);
    let mut active = vec![false; size];
    for &j in neurons {
        active[j as usize] = true;
    }
    let n_active = active.iter().filter(|&&a| a).count();
    PopulationMeasures {
        name: name.to_string(),
        n_neurons: size,
        n_spikes,
        rate_hz: if size > 0 {
            n_spikes as f64 / (size as f64 * window_ms * 1e-3)
        } else {
            f64::NAN
        },
        cv_isi: cv,
        cv_fraction: frac,
        active_fraction: if size > 0 {
            n_active as f64 / size as f64
        } else {
            f64::NAN
        },
    }
}

/// Spikes of a population restricted to stamps after `warmup_steps`.
fn windowed(p: &PopulationSpikes, warmup_steps: usize) -> (&[u32], &[u32]) {
    let first = p.steps.partition_point(|&s| (s as usize) <= warmup_steps);
    (&p.steps[first..], &p.neurons[first..])
}

/// Var/mean of a sequence of counts (NaN when the mean is 0).
pub fn fano(counts: &[f64]) -> f64 {
    let n = counts.len() as f64;
    let mean = counts.iter().sum::<f64>() / n;
    if !(mean > 0.0) {
        return f64::NAN;
    }
    counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / n / mean
}

/// Golomb's χ from samples laid out time-major (`samples[t·n + i]`).
pub fn golomb_chi(samples: &[f32], n: usize) -> f64 {
    if n == 0 || samples.len() < 2 * n {
        return f64::NAN;
    }
    let t_len = samples.len() / n;
    let tf = t_len as f64;
    let mut mean_i = vec![0.0f64; n];
    let mut sq_i = vec![0.0f64; n];
    let (mut pop_sum, mut pop_sq) = (0.0, 0.0);
    for t in 0..t_len {
        let row = &samples[t * n..(t + 1) * n];
        let mut m = 0.0;
        for (i, &v) in row.iter().enumerate() {
            let v = v as f64;
            mean_i[i] += v;
            sq_i[i] += v * v;
            m += v;
        }
        m /= n as f64;
        pop_sum += m;
        pop_sq += m * m;
    }
    let var_pop = (pop_sq / tf - (pop_sum / tf).powi(2)).max(0.0);
    let mean_var: f64 = (0..n)
        .map(|i| (sq_i[i] / tf - (mean_i[i] / tf).powi(2)).max(0.0))
        .sum::<f64>()
        / n as f64;
    if !(mean_var > 0.0) {
        return f64::NAN;
    }
    (var_pop / mean_var).sqrt()
}

/// Spike counts of all LIF neurons together in bins of `bin` time steps, over steps
/// `first..=last` (spike stamps are steps: a spike in step s is stamped s + 1). The population
/// rate behind the Fano factor, the spectrum (bins of one step) and the Fig.-8 figure. The
/// caller bounds the number of bins, (last − first + 1)/bin.
pub fn population_counts(rec: &Recording, first: usize, last: usize, bin: usize) -> Vec<f64> {
    let bin = bin.max(1);
    let n_bins = last.saturating_add(1).saturating_sub(first).div_ceil(bin);
    let mut counts = vec![0.0f64; n_bins];
    for p in &rec.spikes {
        for &s in &p.steps {
            let s = s as usize;
            if s >= first && s <= last {
                counts[(s - first) / bin] += 1.0;
            }
        }
    }
    counts
}

/// The Welch spectrum of the population rate of all LIF neurons after `warmup_steps` (bins
/// of dt, as behind `spectrum_peak_hz` and `oscillation_strength`) and the expected power of
/// one bin for independent Poisson neurons at the same mean rate: power/floor is the unit of
/// `oscillation_strength` and of the theory's `theory_peak_power`. None with < 8 samples.
pub fn rate_spectrum(
    rec: &Recording,
    warmup_steps: usize,
    s: &AnalysisSettings,
) -> Option<(spectrum::Spectrum, f64)> {
    let hist = population_counts(rec, warmup_steps + 1, rec.n_steps, 1);
    let n_all = rec.spikes.iter().map(|p| p.size as f64).sum::<f64>();
    spectrum_of_counts(&hist, n_all, rec.dt_ms, s)
}

/// [`rate_spectrum`] from the per-step counts `hist` of `n_all` neurons.
fn spectrum_of_counts(
    hist: &[f64],
    n_all: f64,
    dt: f64,
    s: &AnalysisSettings,
) -> Option<(spectrum::Spectrum, f64)> {
    let rate: Vec<f64> = hist.iter().map(|c| c / (n_all * dt * 1e-3)).collect();
    let seg = (s.welch_segment_ms / dt).round() as usize;
    let mean_rate_hz = rate.iter().sum::<f64>() / rate.len().max(1) as f64;
    let sp = spectrum::welch(&rate, dt, seg)?;
    let floor = sp.poisson_floor(mean_rate_hz, n_all, dt);
    Some((sp, floor))
}

/// Computes every measure over the part of `rec` after `warmup_steps`.
pub fn measure(rec: &Recording, warmup_steps: usize, s: &AnalysisSettings) -> Measures {
    let dt = rec.dt_ms;
    let n_window = rec.n_steps.saturating_sub(warmup_steps);
    let window_ms = n_window as f64 * dt;
    let mut populations = Vec::new();
    let mut all_steps = Vec::new();
    let mut all_neurons = Vec::new();
    let mut offset = 0u32;
    let hist = population_counts(rec, warmup_steps + 1, rec.n_steps, 1);
    for p in &rec.spikes {
        let (steps, neurons) = windowed(p, warmup_steps);
        populations.push(population_measures(
            &p.name, p.size, steps, neurons, window_ms, s,
        ));
        for (&st, &j) in steps.iter().zip(neurons) {
            all_steps.push(st);
            all_neurons.push(j + offset);
        }
        offset += p.size as u32;
    }
    // Merge populations in time order for the pooled measures (stable by stamp).
    let mut order: Vec<usize> = (0..all_steps.len()).collect();
    order.sort_by_key(|&k| all_steps[k]);
    let steps_sorted: Vec<u32> = order.iter().map(|&k| all_steps[k]).collect();
    let neurons_sorted: Vec<u32> = order.iter().map(|&k| all_neurons[k]).collect();
    let all = population_measures(
        "all",
        offset as usize,
        &steps_sorted,
        &neurons_sorted,
        window_ms,
        s,
    );

    let binned_fano = |bin_ms: f64| {
        let bin = ((bin_ms / dt).round() as usize).max(1);
        let counts: Vec<f64> = hist.chunks_exact(bin).map(|c| c.iter().sum()).collect();
        if counts.is_empty() {
            f64::NAN
        } else {
            fano(&counts)
        }
    };
    let fano_factor = binned_fano(s.fano_bin_ms);
    let fano_factor_slow = binned_fano(s.fano_slow_bin_ms);

    let (spectrum_peak_hz, spectrum_peak_share, oscillation_strength) =
        spectrum_of_counts(&hist, offset as f64, dt, s)
            .and_then(|(sp, floor)| {
                let (f, share, power) = sp.peak_bin(s.spectrum_min_hz)?;
                Some((f, share, power / floor))
            })
            .unwrap_or((f64::NAN, f64::NAN, f64::NAN));

    let chi = rec
        .voltages
        .first()
        .map(|tr| {
            let n = tr.neurons.len();
            // Sample t is taken at stamp (t+1)·every_steps; keep those after the warm-up.
            let skip = (warmup_steps / tr.every_steps).min(tr.n_samples());
            golomb_chi(&tr.samples[skip * n..], n)
        })
        .unwrap_or(f64::NAN);

    Measures {
        window_ms,
        populations,
        all,
        fano_factor,
        fano_factor_slow,
        chi,
        spectrum_peak_hz,
        spectrum_peak_share,
        oscillation_strength,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::VoltageTrace;

    fn rec(steps: Vec<u32>, neurons: Vec<u32>, size: usize, n_steps: usize) -> Recording {
        Recording {
            dt_ms: 0.1,
            n_steps,
            spikes: vec![PopulationSpikes {
                name: "E".into(),
                size,
                steps,
                neurons,
            }],
            voltages: vec![],
        }
    }

    #[test]
    fn regular_neuron_has_zero_cv_and_exact_rate() {
        // One neuron firing every 100 steps (10 ms) for 1 s: 100 Hz, CV 0.
        let steps: Vec<u32> = (1..=100).map(|k| k * 100).collect();
        let r = rec(steps.clone(), vec![0; 100], 2, 10_000);
        let m = measure(&r, 0, &AnalysisSettings::default());
        let e = m.population("E").unwrap();
        assert_eq!(e.n_spikes, 100);
        assert!((e.rate_hz - 50.0).abs() < 1e-9); // two neurons, one silent
        assert_eq!(e.cv_isi, 0.0);
        assert_eq!(e.cv_fraction, 0.5);
        assert_eq!(e.active_fraction, 0.5);
    }

    #[test]
    fn cv_of_known_isis_and_warmup_excludes_spikes() {
        // ISIs 10, 30, 10, 30 steps: mean 20, sd 10, CV 0.5. A spike at stamp 5 lies in a
        // 10-step warm-up and must not count.
        let r = rec(vec![5, 100, 110, 140, 150, 180], vec![0; 6], 1, 1000);
        let m = measure(&r, 10, &AnalysisSettings::default());
        assert!((m.all.cv_isi - 0.5).abs() < 1e-12);
        assert_eq!(m.all.n_spikes, 5);
    }

    #[test]
    fn silent_network_gives_nan_not_panic() {
        let r = rec(vec![], vec![], 10, 1000);
        let m = measure(&r, 100, &AnalysisSettings::default());
        assert_eq!(m.all.rate_hz, 0.0);
        assert!(
            m.all.cv_isi.is_nan()
                && m.fano_factor.is_nan()
                && m.fano_factor_slow.is_nan()
                && m.chi.is_nan()
        );
        assert!(m.spectrum_peak_hz.is_nan());
        assert_eq!(m.all.cv_fraction, 0.0);
    }

    /// Spikes of `n` neurons over `n_steps` steps of 0.1 ms, each neuron firing in a step
    /// with probability rate(t)·dt (Bernoulli ≈ Poisson at these rates), seeded.
    fn bernoulli_population(n: usize, n_steps: usize, rate_hz: impl Fn(f64) -> f64) -> Recording {
        use rand::RngExt;
        let mut rng = crate::rng::stream(99, crate::rng::Purpose::Drive);
        let (mut steps, mut neurons) = (vec![], vec![]);
        for s in 0..n_steps {
            let p = rate_hz(s as f64 * 1e-4) * 1e-4;
            for j in 0..n {
                if rng.random::<f64>() < p {
                    steps.push(s as u32 + 1);
                    neurons.push(j as u32);
                }
            }
        }
        rec(steps, neurons, n, n_steps)
    }

    #[test]
    fn oscillation_strength_is_near_one_for_poisson_neurons_and_large_for_an_oscillation() {
        // 400 independent neurons at 20 Hz for 3 s: the spectrum lies on the Poisson floor,
        // whose maximum over ~2000 bins of a Welch average of ~13 segments stays below ~3.
        let flat = measure(
            &bernoulli_population(400, 30_000, |_| 20.0),
            0,
            &AnalysisSettings::default(),
        );
        assert!(
            (0.8..3.5).contains(&flat.oscillation_strength),
            "{}",
            flat.oscillation_strength
        );
        // The same neurons modulated at 40 Hz by ±30 %: a peak far above the floor.
        let osc = measure(
            &bernoulli_population(400, 30_000, |t| {
                20.0 * (1.0 + 0.3 * (2.0 * std::f64::consts::PI * 40.0 * t).sin())
            }),
            0,
            &AnalysisSettings::default(),
        );
        assert!(
            osc.oscillation_strength > 20.0,
            "{}",
            osc.oscillation_strength
        );
        assert!(
            (osc.spectrum_peak_hz - 40.0).abs() < 3.0,
            "{}",
            osc.spectrum_peak_hz
        );
    }

    #[test]
    fn fano_of_constant_counts_is_zero_and_of_bursts_is_large() {
        assert_eq!(fano(&[2.0, 2.0, 2.0]), 0.0);
        assert!((fano(&[0.0, 4.0, 0.0, 4.0]) - 2.0).abs() < 1e-12);
        assert!(fano(&[0.0, 0.0]).is_nan());
    }

    #[test]
    fn chi_is_one_for_identical_traces_and_small_for_independent_ones() {
        let n = 50;
        let t_len = 2000;
        let mut same = Vec::new();
        let mut indep = Vec::new();
        let mut x = 12345u64;
        for t in 0..t_len {
            let common = (t as f32 * 0.1).sin();
            for _ in 0..n {
                same.push(common);
                x = crate::rng::splitmix64(x);
                indep.push((x >> 11) as f32 / (1u64 << 53) as f32);
            }
        }
        assert!((golomb_chi(&same, n) - 1.0).abs() < 1e-6);
        let c = golomb_chi(&indep, n);
        assert!(c < 3.0 / (n as f64).sqrt(), "{c}");
    }

    #[test]
    fn chi_uses_only_post_warmup_samples() {
        let mut r = rec(vec![], vec![], 2, 100);
        // Two neurons: identical before the warm-up, opposite after: chi 0 after warm-up.
        let mut samples = Vec::new();
        for t in 0..10 {
            let v = (t % 2) as f32;
            if t < 5 {
                samples.extend([v, v]);
            } else {
                samples.extend([v, 1.0 - v]);
            }
        }
        r.voltages.push(VoltageTrace {
            population: "E".into(),
            neurons: vec![0, 1],
            every_steps: 10,
            samples,
        });
        let m = measure(&r, 50, &AnalysisSettings::default());
        assert!(m.chi.abs() < 1e-9, "{}", m.chi);
    }
}
