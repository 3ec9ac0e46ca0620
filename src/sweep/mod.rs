//! Sweeps: definitions (TOML), grid expansion and seeding, parallel execution with progress,
//! resumable and shardable, plus merging the shards' part files.

pub mod definition;
pub mod merge;
pub mod parts;
pub mod progress;
pub mod report;
pub mod row;
pub mod runner;
pub mod shard;
pub mod slurm;

pub use definition::SweepDef;
pub use runner::{run_sweep, SweepOptions, SweepReport};
pub use shard::Shard;
