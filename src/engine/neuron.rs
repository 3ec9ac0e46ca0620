//! Which neuron model each LIF population runs, and the slice of state a model's kernel gets.

use super::simd::dispatch;
use super::{iaf_psc_delta, iaf_psc_exp};
use crate::model::{LifParams, Synapse};
use crate::record::PopulationSpikes;

/// The model of one LIF population with its precomputed variables, chosen by the synapse kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NeuronModel {
    /// Delta synapses: see [`iaf_psc_delta`].
    Delta(iaf_psc_delta::Variables),
    /// Exponential current synapses: see [`iaf_psc_exp`].
    ExpCurrent(iaf_psc_exp::Variables),
}

impl NeuronModel {
    /// The model for neurons with parameters `p` at step `dt_ms`.
    pub fn new(p: &LifParams, dt_ms: f64) -> Self {
        match p.synapse {
            Synapse::Delta => NeuronModel::Delta(iaf_psc_delta::Variables::new(p, dt_ms)),
            Synapse::ExpCurrent { tau_syn_ms } => {
                NeuronModel::ExpCurrent(iaf_psc_exp::Variables::new(p, tau_syn_ms, dt_ms))
            }
        }
    }

    /// One exact step of a population in this model: reads and clears `state.input`, appends
    /// spikes to `rec` stamped `stamp`; AVX2 or baseline build chosen by [`dispatch`].
    /// `uniform_rest_mv` is the resting potential if all neurons share it.
    pub(super) fn update(
        &self,
        uniform_rest_mv: Option<f64>,
        state: NeuronSlices<'_>,
        rec: &mut PopulationSpikes,
        stamp: u32,
    ) {
        match self {
            NeuronModel::Delta(vars) => dispatch(iaf_psc_delta::Update {
                vars,
                state,
                rec,
                stamp,
            }),
            NeuronModel::ExpCurrent(vars) => dispatch(iaf_psc_exp::Update {
                vars,
                uniform_rest_mv,
                state,
                rec,
                stamp,
            }),
        }
    }
}

/// The state of one LIF population, borrowed for an update; all slices have its size.
pub(super) struct NeuronSlices<'s> {
    /// Membrane potentials (mV).
    pub v: &'s mut [f64],
    /// Synaptic current-like variable I (mV; current synapses only).
    pub i_syn: &'s mut [f64],
    /// Resting potentials (mV).
    pub u_rest: &'s [f64],
    /// Refractory steps left.
    pub refractory: &'s mut [u32],
    /// Input arriving in this step (mV): read and cleared.
    pub input: &'s mut [f32],
    /// Scratch: which neurons spiked in this step (delta kernel only).
    pub flags: &'s mut Vec<u8>,
}
