//! One exact time step of a LIF population, and a Poisson drive drawn in bulk for it.

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
    /// Scratch: which neurons spiked in this step.
    pub flags: &'s mut Vec<u8>,
}

/// A Poisson drive onto a whole population, drawn for all its neurons at once each step:
/// one u32 uniform per neuron (generated in bulk), turned into counts by comparing with the
/// inverse-CDF thresholds one threshold at a time across neurons (so it vectorises over
/// neurons), then added to the step's input. The same counts as
/// [`poisson::sample_table`] neuron by neuron; refractory neurons discard theirs with the rest
/// of their input.
pub(super) struct Drive<'d> {
    pub table: &'d [u32],
    pub w_mv: f64,
    pub rng: &'d mut rand_chacha::ChaCha8Rng,
    /// Scratch space for the uniforms, reused between steps.
    pub uniforms: &'d mut Vec<u32>,
}

/// Neurons counted together, their counts held in registers across all thresholds.
const CHUNK: usize = 64;

/// Adds one step of `drive` to `input`; returns the number of input events.
pub(super) fn add_drive(drive: Drive<'_>, input: &mut [f32]) -> u64 {
    let n = input.len();
    // Whole chunks of uniforms (the few extra ones of the last chunk are drawn and unused).
    drive.uniforms.resize(n.div_ceil(CHUNK) * CHUNK, 0);
    rand::Fill::fill_slice(&mut drive.uniforms[..], drive.rng);
    let used = drive
        .table
        .iter()
        .position(|&c| c == u32::MAX)
        .unwrap_or(drive.table.len());
    count_and_add(
        &drive.table[..used],
        drive.w_mv as f32,
        drive.uniforms,
        input,
    )
}

/// Counts per neuron and adds count·w to the input, with AVX2 when the CPU has it (integer
/// counts and one f32 multiply-add each: identical results either way).
fn count_and_add(table: &[u32], w: f32, uniforms: &[u32], input: &mut [f32]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2")
            && !FORCE_BASELINE.load(std::sync::atomic::Ordering::Relaxed)
        {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { count_and_add_avx2(table, w, uniforms, input) };
        }
    }
    count_and_add_body(table, w, uniforms, input)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn count_and_add_avx2(table: &[u32], w: f32, uniforms: &[u32], input: &mut [f32]) -> u64 {
    count_and_add_body(table, w, uniforms, input)
}

#[inline(always)]
fn count_and_add_body(table: &[u32], w: f32, uniforms: &[u32], input: &mut [f32]) -> u64 {
    let mut events = 0u64;
    for (u, x) in uniforms.chunks_exact(CHUNK).zip(input.chunks_mut(CHUNK)) {
        let u: &[u32; CHUNK] = u.try_into().expect("whole chunk");
        let mut k = [0u32; CHUNK];
        for &c in table {
            for i in 0..CHUNK {
                k[i] += (u[i] > c) as u32;
            }
        }
        for (xi, &ki) in x.iter_mut().zip(k.iter()) {
            *xi += ki as f32 * w;
            events += ki as u64;
        }
    }
    events
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
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2")
            && !FORCE_BASELINE.load(std::sync::atomic::Ordering::Relaxed)
        {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { update_population_avx2(pr, uniform_rest, st, rec, stamp) };
        }
    }
    update_population_body(pr, uniform_rest, st, rec, stamp)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn update_population_avx2(
    pr: &Propagator,
    uniform_rest: Option<f64>,
    st: NeuronSlices<'_>,
    rec: &mut PopulationSpikes,
    stamp: u32,
) {
    update_population_body(pr, uniform_rest, st, rec, stamp)
}

/// The delta-synapse step without branches on the neuron state, so it vectorises: a first
/// pass updates v and the refractory counters and flags spikes, a second records them (a
/// refractory neuron keeps v at reset and discards its input, exactly as the branchy form).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update_delta(
    pr: &Propagator,
    v: &mut [f64],
    u_rest: &[f64],
    refractory: &mut [u32],
    input: &mut [f32],
    flags: &mut Vec<u8>,
    rec: &mut PopulationSpikes,
    stamp: u32,
) {
    let n = v.len();
    flags.clear();
    flags.resize(n, 0);
    let (u_rest, refractory, input, flags) = (
        &u_rest[..n],
        &mut refractory[..n],
        &mut input[..n],
        &mut flags[..n],
    );
    for j in 0..n {
        let x = input[j] as f64;
        input[j] = 0.0;
        let r = refractory[j];
        let u = u_rest[j];
        let free = u + (v[j] - u) * pr.p22 + x;
        let active = r == 0;
        let vn = if active { free } else { v[j] };
        let spike = active & (vn >= pr.v_th_mv);
        v[j] = if spike { pr.v_reset_mv } else { vn };
        refractory[j] = if spike {
            pr.ref_steps
        } else {
            r.saturating_sub(1)
        };
        flags[j] = spike as u8;
    }
    for (c, chunk) in flags.chunks(8).enumerate() {
        if chunk.iter().any(|&f| f != 0) {
            for (i, &f) in chunk.iter().enumerate() {
                if f != 0 {
                    rec.steps.push(stamp);
                    rec.neurons.push((c * 8 + i) as u32);
                }
            }
        }
    }
}

/// One exact step of a LIF population; spikes are appended to `rec` with `stamp`. IEEE
/// arithmetic without contraction makes the result independent of the instruction set.
#[inline(always)]
fn update_population_body(
    pr: &Propagator,
    uniform_rest: Option<f64>,
    st: NeuronSlices<'_>,
    rec: &mut PopulationSpikes,
    stamp: u32,
) {
    let NeuronSlices {
        v,
        i_syn,
        u_rest,
        refractory,
        input,
        flags,
    } = st;
    let n = v.len();
    if !pr.current_synapses {
        return update_delta(pr, v, &u_rest[..n], refractory, input, flags, rec, stamp);
    }
    let (v, i_syn, u_rest, refractory, input) = (
        &mut v[..n],
        &mut i_syn[..n],
        &u_rest[..n],
        &mut refractory[..n],
        &mut input[..n],
    );
    for j in 0..n {
        let x = std::mem::take(&mut input[j]) as f64;
        let u = uniform_rest.unwrap_or(u_rest[j]);
        let vj = if pr.current_synapses {
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
