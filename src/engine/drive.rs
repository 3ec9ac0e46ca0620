//! Poisson drive onto a whole LIF population through one-to-one projections: drawn straight
//! into the ring buffer (a [`SourcePlan::Direct`](super::delivery::SourcePlan) source), or
//! fused into the target's update and drawn for all its neurons at once.

use super::poisson;
use super::simd::{dispatch, Kernel};
use rand_chacha::ChaCha8Rng;

/// Adds one step of Poisson counts k_i·w (mV) to `row[i]`, one table draw per neuron in order;
/// returns the number of input events. The row is the ring-buffer input of the source's
/// targets in the step it arrives.
pub(super) fn add_direct(table: &[u32], w_mv: f64, rng: &mut ChaCha8Rng, row: &mut [f32]) -> u64 {
    let mut events = 0u64;
    let w = w_mv as f32;
    for x in row.iter_mut() {
        let k = poisson::sample_table(table, rng);
        events += k as u64;
        *x += k as f32 * w;
    }
    events
}

/// A Poisson drive onto a whole population, drawn for all its neurons at once each step:
/// one u32 uniform per neuron (generated in bulk), turned into counts by comparing with the
/// inverse-CDF thresholds one threshold at a time across neurons (so it vectorises over
/// neurons), then added to the input the population reads in this step. The same counts as
/// [`poisson::sample_table`] neuron by neuron. What a neuron does with input while refractory
/// is its model's rule: discarded with the rest of the input by
/// [`iaf_psc_delta`](super::iaf_psc_delta), integrated into I by
/// [`iaf_psc_exp`](super::iaf_psc_exp).
pub(super) struct Drive<'d> {
    /// The sampler's inverse-CDF thresholds (padded with u32::MAX).
    pub table: &'d [u32],
    /// Weight of one input event (mV).
    pub w_mv: f64,
    /// The run's drive stream.
    pub rng: &'d mut ChaCha8Rng,
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
    dispatch(CountAndAdd {
        table: &drive.table[..used],
        w: drive.w_mv as f32,
        uniforms: drive.uniforms,
        input,
    })
}

/// Counts per neuron and adds count·w to the input (integer counts and one f32 multiply-add
/// each: identical results on either code path of [`dispatch`]); returns the events.
struct CountAndAdd<'a> {
    /// Thresholds in use (the u32::MAX padding cut off).
    table: &'a [u32],
    /// Weight of one event (mV).
    w: f32,
    /// One uniform per neuron, in whole chunks.
    uniforms: &'a [u32],
    /// The population's input of this step.
    input: &'a mut [f32],
}

impl Kernel for CountAndAdd<'_> {
    type Output = u64;

    #[inline(always)]
    fn run(self) -> u64 {
        count_and_add(self.table, self.w, self.uniforms, self.input)
    }
}

/// The body of [`CountAndAdd`], the slices as separate arguments so that the compiler knows
/// they do not overlap.
#[inline(always)]
fn count_and_add(table: &[u32], w: f32, uniforms: &[u32], input: &mut [f32]) -> u64 {
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
