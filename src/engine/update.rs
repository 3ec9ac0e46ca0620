//! One exact time step of a LIF population, with an optional Poisson drive drawn in place.

use super::poisson;
use super::PopulationSpikes;
use crate::model::Synapse;

/// Exact one-step propagator of a LIF population.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Propagator {
    /// exp(−dt/tau_m): decay of v − u_rest.
    pub p22: f64,
    /// exp(−dt/tau_syn): decay of I (current synapses only).
    pub p11: f64,
    /// Contribution of I to v over one step: tau_s/(tau_s − tau_m)·(p11 − p22), or
    /// (dt/tau)·p22 when the time constants are equal.
    pub p21: f64,
    pub v_th_mv: f64,
    pub v_reset_mv: f64,
    pub ref_steps: u32,
    pub current_synapses: bool,
}

impl Propagator {
    /// The propagator of one population at step `dt_ms`.
    pub fn new(p: &crate::model::LifParams, dt_ms: f64) -> Self {
        let p22 = (-dt_ms / p.tau_m_ms).exp();
        let (p11, p21, current) = match p.synapse {
            Synapse::Delta => (0.0, 0.0, false),
            Synapse::ExpCurrent { tau_syn_ms } => {
                let p11 = (-dt_ms / tau_syn_ms).exp();
                let p21 = if (tau_syn_ms - p.tau_m_ms).abs() < 1e-12 {
                    dt_ms / p.tau_m_ms * p22
                } else {
                    tau_syn_ms / (tau_syn_ms - p.tau_m_ms) * (p11 - p22)
                };
                (p11, p21, true)
            }
        };
        Propagator {
            p22,
            p11,
            p21,
            v_th_mv: p.v_th_mv,
            v_reset_mv: p.v_reset_mv,
            ref_steps: (p.t_ref_ms / dt_ms).round() as u32,
            current_synapses: current,
        }
    }
}

/// The state of one LIF population, borrowed for an update.
pub(super) struct NeuronSlices<'s> {
    pub v: &'s mut [f64],
    pub i_syn: &'s mut [f64],
    pub u_rest: &'s [f64],
    pub refractory: &'s mut [u32],
    /// Input arriving in this step; read and cleared.
    pub input: &'s mut [f32],
}

/// A Poisson drive drawn during a population's update: one count per neuron and step.
pub(super) struct Drive<'d> {
    pub table: &'d [u32],
    pub w_mv: f64,
    pub rng: &'d mut rand_chacha::ChaCha8Rng,
    pub events: u64,
}

impl Drive<'_> {
    #[inline(always)]
    fn draw(&mut self) -> f64 {
        let k = poisson::sample_table(self.table, self.rng);
        self.events += k as u64;
        k as f64 * self.w_mv
    }
}

/// Tests set this to run the baseline code path on AVX2 machines too.
#[doc(hidden)]
pub static FORCE_BASELINE: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// [`update_population_body`] compiled for AVX2 when the CPU has it (the Poisson table count
/// vectorises twice as wide), else for the baseline; both give identical results.
pub(super) fn update_population(
    pr: &Propagator,
    uniform_rest: Option<f64>,
    st: NeuronSlices<'_>,
    rec: &mut PopulationSpikes,
    stamp: u32,
    drive: Option<&mut Drive<'_>>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2")
            && !FORCE_BASELINE.load(std::sync::atomic::Ordering::Relaxed)
        {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { update_population_avx2(pr, uniform_rest, st, rec, stamp, drive) };
        }
    }
    update_population_body(pr, uniform_rest, st, rec, stamp, drive)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn update_population_avx2(
    pr: &Propagator,
    uniform_rest: Option<f64>,
    st: NeuronSlices<'_>,
    rec: &mut PopulationSpikes,
    stamp: u32,
    drive: Option<&mut Drive<'_>>,
) {
    update_population_body(pr, uniform_rest, st, rec, stamp, drive)
}

/// One exact step of a LIF population; spikes are appended to `rec` with `stamp`. A fused
/// `drive` adds its Poisson input to what the ring delivered (not drawn while refractory for
/// delta synapses, where it would be discarded). Integer counting and IEEE arithmetic without
/// contraction make the result independent of the instruction set.
#[inline(always)]
fn update_population_body(
    pr: &Propagator,
    uniform_rest: Option<f64>,
    st: NeuronSlices<'_>,
    rec: &mut PopulationSpikes,
    stamp: u32,
    mut drive: Option<&mut Drive<'_>>,
) {
    let NeuronSlices {
        v,
        i_syn,
        u_rest,
        refractory,
        input,
    } = st;
    let n = v.len();
    let (v, i_syn, u_rest, refractory, input) = (
        &mut v[..n],
        &mut i_syn[..n],
        &u_rest[..n],
        &mut refractory[..n],
        &mut input[..n],
    );
    for j in 0..n {
        let mut x = std::mem::take(&mut input[j]) as f64;
        let u = uniform_rest.unwrap_or(u_rest[j]);
        let vj = if pr.current_synapses {
            if let Some(d) = drive.as_deref_mut() {
                x += d.draw();
            }
            let i_old = i_syn[j];
            i_syn[j] = i_old * pr.p11 + x;
            if refractory[j] > 0 {
                refractory[j] -= 1;
                continue;
            }
            u + (v[j] - u) * pr.p22 + i_old * pr.p21
        } else {
            if refractory[j] > 0 {
                refractory[j] -= 1;
                continue;
            }
            if let Some(d) = drive.as_deref_mut() {
                x += d.draw();
            }
            u + (v[j] - u) * pr.p22 + x
        };
        if vj >= pr.v_th_mv {
            v[j] = pr.v_reset_mv;
            refractory[j] = pr.ref_steps;
            rec.steps.push(stamp);
            rec.neurons.push(j as u32);
        } else {
            v[j] = vj;
        }
    }
}
