//! Power spectrum of the population rate: Welch's method (Hann window, 50 % overlap, mean
//! removed per segment) over a radix-2 FFT.

use std::f64::consts::PI;

/// In-place iterative radix-2 FFT of (re, im); the length must be a power of two.
pub fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    assert!(n.is_power_of_two() && im.len() == n);
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let ang = -2.0 * PI / len as f64;
        let (wr, wi) = (ang.cos(), ang.sin());
        for start in (0..n).step_by(len) {
            let (mut cr, mut ci) = (1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (start + k, start + k + len / 2);
                let tr = re[b] * cr - im[b] * ci;
                let ti = re[b] * ci + im[b] * cr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
                let ncr = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = ncr;
            }
        }
        len <<= 1;
    }
}

/// A one-sided power spectrum: `power[k]` at frequency `k·df_hz`, k = 0..=n/2.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    pub df_hz: f64,
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
    let mut power = vec![0.0; n / 2 + 1];
    let (mut re, mut im) = (vec![0.0; n], vec![0.0; n]);
    let step = n / 2;
    let mut segments = 0;
    let mut start = 0;
    while start + n <= x.len() {
        let seg = &x[start..start + n];
        let mean = seg.iter().sum::<f64>() / n as f64;
        for i in 0..n {
            re[i] = (seg[i] - mean) * window[i];
            im[i] = 0.0;
        }
        fft(&mut re, &mut im);
        for (k, p) in power.iter_mut().enumerate() {
            *p += re[k] * re[k] + im[k] * im[k];
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
        Some((k as f64 * self.df_hz, share))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_matches_direct_dft() {
        let x: Vec<f64> = (0..16).map(|i| ((i * 7) % 5) as f64 - 1.3).collect();
        let (mut re, mut im) = (x.clone(), vec![0.0; 16]);
        fft(&mut re, &mut im);
        for k in 0..16 {
            let (mut r, mut i) = (0.0, 0.0);
            for (t, &v) in x.iter().enumerate() {
                let a = -2.0 * PI * (k * t) as f64 / 16.0;
                r += v * a.cos();
                i += v * a.sin();
            }
            assert!((re[k] - r).abs() < 1e-9 && (im[k] - i).abs() < 1e-9);
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
