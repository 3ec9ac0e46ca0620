//! Concrete, seeded connectivity built from a [`NetworkSpec`](crate::model::NetworkSpec):
//! source-major compressed rows whose targets are local to the target population (u16 when it
//! has at most 65,536 neurons, u32 otherwise), with weights and delays stored once per
//! projection when homogeneous.
//!
//! - `types`: what a built network holds ([`Network`], [`Projection`], [`Targets`], ...).
//! - `builder`: [`build`], the seeded builder, in named steps; its order of random draws is
//!   the contract that keeps "same seed, same network" (see `tests/golden.rs`).
//! - `synapses`: synapse generation per connector and grouping by source, for the builder.

mod builder;
mod synapses;
mod types;

#[cfg(test)]
mod tests;

pub use builder::{build, delay_to_steps};
pub use types::{
    Delays, LifPopulation, Network, Projection, SourcePopulation, SourceRef, Targets, VoltageProbe,
    Weights,
};
