//! `brunel`: a workbench for mapping the dynamical regimes of sparse balanced networks of
//! excitatory and inhibitory leaky integrate-and-fire neurons (Brunel 2000).
//!
//! Data flow: [`model`] presets (named parameters) → [`model::NetworkSpec`] →
//! [`network::Network`] (seeded connectivity) → [`engine`] (spikes, sampled voltages) →
//! [`analysis`] (measures, regime) beside [`theory`] (mean field) → [`store`] (Parquet) and
//! [`plot`] (PNG). [`sweep`] runs many points in parallel; [`cli`] wires it all for `main.rs`.

pub mod analysis;
pub mod cli;
pub mod engine;
pub mod model;
pub mod network;
pub mod plot;
pub mod record;
pub mod rng;
pub mod run;
pub mod store;
pub mod sweep;
pub mod theory;
