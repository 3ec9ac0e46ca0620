//! `brunel`: a workbench for mapping the dynamical regimes of sparse balanced networks of
//! excitatory and inhibitory leaky integrate-and-fire neurons (Brunel 2000).
//!
//! Data flow: [`model`] presets (named parameters) → [`model::NetworkSpec`] →
//! [`network::Network`] (seeded connectivity) → [`engine`] → a [`record::Recording`]
//! (spikes, sampled voltages, the vocabulary every later stage reads) → [`analysis`]
//! (measures, regime) beside [`theory`] (mean field) → [`store`] (files) and [`plot`] (PNG).
//! [`sweep`] runs many points in parallel and owns the result rows; [`cli`] wires it all for
//! `main.rs`. Dependencies point down this list: analysis, store and plot never import the
//! engine.

pub mod analysis;
pub mod cli;
pub mod engine;
pub mod model;
pub mod network;
pub mod plot;
pub mod record;
pub mod regime;
pub mod rng;
pub mod run;
pub mod store;
pub mod sweep;
pub mod theory;
