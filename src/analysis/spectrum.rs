//! Power spectrum of the population rate: Welch's method (Hann window, 50 % overlap, mean
//! removed per segment, segments a power of two of steps) over the `rustfft` FFT.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// A one-sided power spectrum: `power[k]` at frequency `k·df_hz`, k = 0..=n/2.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// Frequency resolution (Hz): 1 / segment duration.
    pub df_hz: f64,
    /// Power of each bin, |X_k|² of the windowed segment averaged over segments (rate² units).
    pub power: Vec<f64>,
}

/// Welch estimate of the power spectrum of `x` sampled every `dt_ms`, with segments of the
/// largest power of two ≤ `segment_len` samples (and ≤ x.len()). None if x has < 8 samples.
pub fn welch(x: &[f64], dt_ms: f64, segment_len: usize) -> Option<Spectrum> {
    if x.len() < 8 {
        return None;
    }
    let mut n = 1usize << (usize::BITS - 1 - segment_len.min(x.len()).max(8).leading_zeros());
    if n > x.len() {
        n /= 2;
    }
    let window: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos())
        .collect();
    let fft = FftPlanner::<f64>::new().plan_fft_forward(n);
    let mut buf = vec![Complex::new(0.0, 0.0); n];
    let mut scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
    let mut power = vec![0.0; n / 2 + 1];
    let step = n / 2;
    let mut segments = 0;
    let mut start = 0;
    while start + n <= x.len() {
        let seg = &x[start..start + n];
        let mean = seg.iter().sum::<f64>() / n as f64;
        for ((b, &v), &w) in buf.iter_mut().zip(seg).zip(&window) {
            *b = Complex::new((v - mean) * w, 0.0);
        }
        fft.process_with_scratch(&mut buf, &mut scratch);
        for (p, b) in power.iter_mut().zip(&buf) {
            *p += b.norm_sqr();
        }
        segments += 1;
        start += step;
    }
    for p in &mut power {
        *p /= segments as f64;
    }
    Some(Spectrum {
        df_hz: 1000.0 / (n as f64 * dt_ms),
        power,
    })
}

impl Spectrum {
    /// The frequency (Hz) of the largest power at or above `min_hz`, and that peak's share of
    /// the total power above 0 Hz (the peak bin and its two neighbours on each side, the
    /// main lobe of the Hann window). None when there is no power at all.
    pub fn peak(&self, min_hz: f64) -> Option<(f64, f64)> {
        self.peak_bin(min_hz).map(|(f, share, _)| (f, share))
    }

    /// [`Spectrum::peak`] with the power of the peak bin itself.
    pub fn peak_bin(&self, min_hz: f64) -> Option<(f64, f64, f64)> {
        let k0 = ((min_hz / self.df_hz).ceil() as usize).max(1);
        let total: f64 = self.power[1..].iter().sum();
        if k0 >= self.power.len() || !(total > 0.0) {
            return None;
        }
        let (k, _) = self.power[k0..]
            .iter()
            .enumerate()
            .fold(
                (0, f64::MIN),
                |best, (i, &p)| if p > best.1 { (i, p) } else { best },
            );
        let k = k + k0;
        let lo = k.saturating_sub(2).max(1);
        let hi = (k + 2).min(self.power.len() - 1);
        let share = self.power[lo..=hi].iter().sum::<f64>() / total;
        Some((k as f64 * self.df_hz, share, self.power[k]))
    }

    /// The expected power of every bin for `n_neurons` independent Poisson neurons firing at
    /// `rate_hz` each, sampled as a population rate (Hz per neuron) every `dt_ms`: the flat
    /// floor a finite asynchronous network's spectrum sits on. The rate series then has
    /// variance rate/(N·dt) per sample, and a periodic Hann window of n samples passes
    /// Σw² = 3n/8 of it into each bin.
    pub fn poisson_floor(&self, rate_hz: f64, n_neurons: f64, dt_ms: f64) -> f64 {
        let n = 2 * (self.power.len() - 1);
        rate_hz / (n_neurons * dt_ms * 1e-3) * 3.0 * n as f64 / 8.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Welch's estimate with a direct O(n²) DFT per segment, as the reference.
    fn welch_direct(x: &[f64], n: usize) -> Vec<f64> {
        let window: Vec<f64> = (0..n)
            .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos())
            .collect();
        let mut power = vec![0.0; n / 2 + 1];
        let mut segments = 0;
        let mut start = 0;
        while start + n <= x.len() {
            let seg = &x[start..start + n];
            let mean = seg.iter().sum::<f64>() / n as f64;
            for (k, p) in power.iter_mut().enumerate() {
                let (mut re, mut im) = (0.0, 0.0);
                for (t, &v) in seg.iter().enumerate() {
                    // (k·t) mod n keeps the angle in [0, 2π), so the twiddles are exact to ulps.
                    let a = -2.0 * PI * ((k * t) % n) as f64 / n as f64;
                    let y = (v - mean) * window[t];
                    re += y * a.cos();
                    im += y * a.sin();
                }
                *p += re * re + im * im;
            }
            segments += 1;
            start += n / 2;
        }
        power.iter().map(|p| p / segments as f64).collect()
    }

    #[test]
    fn welch_matches_a_direct_dft() {
        // Two sines and a deterministic pseudo-random part (an LCG), so every bin has power;
        // 1000 samples in segments of 256: 6 segments with 50 % overlap.
        let mut state = 12345u64;
        let x: Vec<f64> = (0..1000)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let t = i as f64 * 1e-4;
                20.0 + 3.0 * (2.0 * PI * 180.0 * t).sin() + (2.0 * PI * 1234.0 * t).cos() + noise
            })
            .collect();
        let s = welch(&x, 0.1, 256).unwrap();
        let want = welch_direct(&x, 256);
        assert_eq!(s.power.len(), want.len());
        assert!((s.df_hz - 1000.0 / (256.0 * 0.1)).abs() < 1e-12);
        for (k, (&got, &w)) in s.power.iter().zip(&want).enumerate() {
            assert!(w > 0.0, "bin {k} has no power");
            assert!(((got - w) / w).abs() < 1e-9, "bin {k}: {got} vs {w}");
        }
    }

    #[test]
    fn welch_finds_a_sine() {
        // 180 Hz sine sampled at 10 kHz for 1 s, plus a constant: peak at 180 ± df.
        let x: Vec<f64> = (0..10_000)
            .map(|i| 5.0 + (2.0 * PI * 180.0 * i as f64 * 1e-4).sin())
            .collect();
        let s = welch(&x, 0.1, 4096).unwrap();
        let (f, share) = s.peak(5.0).unwrap();
        assert!((f - 180.0).abs() <= s.df_hz, "{f}");
        assert!(share > 0.95, "{share}");
    }

    #[test]
    fn flat_signal_has_no_peak() {
        let s = welch(&vec![3.0; 1000], 0.1, 512).unwrap();
        assert!(s.peak(5.0).is_none());
        assert!(welch(&[1.0; 4], 0.1, 512).is_none());
    }
}
