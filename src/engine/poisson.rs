//! Poisson counts per time step from a precomputed inverse-CDF table driven by 32-bit
//! uniforms: one ChaCha word per source and step, a few comparisons per draw.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

/// Largest mean handled by the table; above it the sampler falls back to `rand_distr`.
const TABLE_MAX_MEAN: f64 = 64.0;

/// Samples k ~ Poisson(mean) for a fixed mean.
///
/// The table holds thresholds c_k = round(P(K ≤ k)·2^32) − 1 for k = 0, 1, ...; a uniform
/// u32 u gives k = #{c_k < u}, the smallest k with u < round(P(K ≤ k)·2^32). Counting instead
/// of searching is branch-free (the compiler vectorises it), which matters because a search
/// mispredicts on nearly every draw. The table stops where P(K > k) < 2^-34 and is padded
/// with u32::MAX, which no u exceeds; the sampler is exact to within 2^-32 per draw.
#[derive(Debug, Clone)]
pub enum PoissonSampler {
    /// mean = 0: never fires, draws nothing.
    Zero,
    Table(Vec<u32>),
    Large(Poisson<f64>),
}

impl PoissonSampler {
    /// A sampler for counts with the given mean (rate·dt).
    pub fn new(mean: f64) -> Self {
        if mean <= 0.0 {
            return PoissonSampler::Zero;
        }
        if mean > TABLE_MAX_MEAN {
            return PoissonSampler::Large(Poisson::new(mean).expect("finite positive mean"));
        }
        let scale = 4_294_967_296.0_f64; // 2^32
        let mut table = Vec::new();
        let mut pmf = (-mean).exp();
        let mut cdf = pmf;
        let mut k = 0.0;
        while 1.0 - cdf >= 2f64.powi(-34) && table.len() < 1000 {
            let c = (cdf * scale).round() - 1.0;
            table.push(c.clamp(0.0, u32::MAX as f64) as u32);
            k += 1.0;
            pmf *= mean / k;
            cdf += pmf;
        }
        while table.len() % 8 != 0 || table.is_empty() {
            table.push(u32::MAX);
        }
        PoissonSampler::Table(table)
    }

    /// One count.
    #[inline]
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> u32 {
        match self {
            PoissonSampler::Zero => 0,
            PoissonSampler::Table(t) => sample_table(t, rng),
            PoissonSampler::Large(p) => p.sample(rng) as u32,
        }
    }
}

/// One count from a threshold table built by [`PoissonSampler::new`].
#[inline(always)]
pub fn sample_table(table: &[u32], rng: &mut ChaCha8Rng) -> u32 {
    let u = rng.next_u32();
    table.iter().map(|&c| (u > c) as u32).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn moments(mean: f64, n: usize) -> (f64, f64, f64) {
        let s = PoissonSampler::new(mean);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng) as f64).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
        let p0 = xs.iter().filter(|&&x| x == 0.0).count() as f64 / n as f64;
        (m, v, p0)
    }

    #[test]
    fn counts_have_poisson_moments() {
        // n = 1e6 draws: the sd of the sample mean is sqrt(mean/n); allow 5 sd.
        for &mean in &[0.005, 0.1, 2.0, 20.0, 100.0] {
            let n = 1_000_000;
            let (m, v, p0) = moments(mean, n);
            let tol = 5.0 * (mean / n as f64).sqrt();
            assert!((m - mean).abs() < tol, "mean {mean}: got {m}");
            assert!(
                (v - mean).abs() < 10.0 * tol * mean.sqrt().max(1.0),
                "mean {mean}: var {v}"
            );
            let want_p0 = (-mean).exp();
            assert!(
                (p0 - want_p0).abs() < 5.0 * (want_p0 * (1.0 - want_p0) / n as f64).sqrt() + 1e-9,
                "mean {mean}: p0 {p0}"
            );
        }
    }

    #[test]
    fn zero_mean_never_fires() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(PoissonSampler::new(0.0).sample(&mut rng), 0);
    }
}
