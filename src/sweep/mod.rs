//! Sweeps: definitions (TOML, `definition`), the rows of results and their columns (`row`),
//! part files with checksums (`parts`), parallel execution that survives kills, full disks
//! and failed runs (`runner`, reporting to a [`SweepObserver`]), adaptive refinement of
//! two-axis grids (`refine`), shards, merging, the
//! tables of a results folder (`report`), its figures (`figures`), facets beyond the map's two
//! axes (`facets`), whether two sweeps describe one network (`same_network`) and SLURM job
//! arrays (`slurm`).

pub mod cost;
pub mod definition;
pub mod facets;
pub mod figures;
pub mod merge;
pub mod parts;
pub mod refine;
pub mod report;
pub mod row;
pub mod runner;
pub mod same_network;
pub mod shard;
pub mod slurm;

pub use definition::SweepDef;
pub use runner::{run_sweep, Quiet, SweepObserver, SweepOptions, SweepReport};
pub use shard::Shard;
