//! Sweeps: definitions (TOML), grid expansion and seeding, parallel execution (reported to a
//! [`SweepObserver`]),
//! resumable and shardable, plus merging the shards' part files.

pub mod definition;
pub mod merge;
pub mod parts;
pub mod report;
pub mod row;
pub mod runner;
pub mod shard;
pub mod slurm;

pub use definition::SweepDef;
pub use runner::{run_sweep, Quiet, SweepObserver, SweepOptions, SweepReport};
pub use shard::Shard;
