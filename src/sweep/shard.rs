//! Shards: a deterministic, balanced subset of a sweep's runs for one process (one SLURM
//! array task). Run k (= point·replicates + replicate) belongs to shard k mod N, so expensive
//! regions of the grid spread over every shard.

use std::fmt;

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// A malformed shard.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{source_name} `{text}`: {message}")]
pub struct ShardError {
    pub source_name: String,
    pub text: String,
    pub message: String,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with 0 <= I < N.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let err = |m: &str| ShardError {
            source_name: "--shard".into(),
            text: text.into(),
            message: m.into(),
        };
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| err("expected I/N, e.g. 0/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| err("I is not a whole number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| err("N is not a whole number"))?;
        if count == 0 || index >= count {
            return Err(err("expected 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }

    /// The shard of a SLURM array task, from `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`
    /// and `SLURM_ARRAY_TASK_MIN` (ids need not start at 0). None outside an array job.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, ShardError> {
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let err = |m: String| ShardError {
            source_name: "SLURM_ARRAY_TASK_ID/COUNT".into(),
            text: format!("{id}/{count}"),
            message: m,
        };
        let id: usize = id
            .trim()
            .parse()
            .map_err(|_| err("not whole numbers".into()))?;
        let count: usize = count
            .trim()
            .parse()
            .map_err(|_| err("not whole numbers".into()))?;
        let min: usize = get("SLURM_ARRAY_TASK_MIN")
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(0);
        let index = id
            .checked_sub(min)
            .ok_or_else(|| err(format!("task id below SLURM_ARRAY_TASK_MIN = {min}")))?;
        if count == 0 || index >= count {
            return Err(err(format!("task {index} (id − min) is not below the task count {count}; use a contiguous --array=0-{}", count.saturating_sub(1))));
        }
        Ok(Some(Shard { index, count }))
    }

    /// Whether run `k` belongs to this shard.
    pub fn contains(&self, run: usize) -> bool {
        run % self.count == self.index
    }

    /// `I-of-N`, used in file names.
    pub fn tag(&self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for k in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.contains(k)).count(), 1);
        }
        assert_eq!(Shard::parse("1/3").unwrap(), shards[1]);
        assert!(
            Shard::parse("3/3").is_err()
                && Shard::parse("x").is_err()
                && Shard::parse("0/0").is_err()
        );
    }

    #[test]
    fn slurm_environment_gives_the_shard() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(a, _)| *a == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        let s = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
        ]))
        .unwrap();
        assert_eq!(s, Some(Shard { index: 2, count: 4 }));
        assert!(Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "4")
        ]))
        .is_err());
    }
}
