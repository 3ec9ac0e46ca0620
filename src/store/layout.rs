//! The folder of one sweep's results and what lives where:
//!
//! ```text
//! results/<name>/
//!   definition.toml   the sweep definition, verbatim (its hash guards resumes)
//!   data/             Parquet part files only: read the folder as one dataset
//!   spikes/           kept spike trains, one Parquet file per run
//!   plots/            PNG figures
//!   results.parquet   one consolidated file, written by `brunel merge`
//!   locks/, tmp/      per-shard locks and files being written (never read as data)
//! ```

use super::StoreError;
use std::path::{Path, PathBuf};

/// Paths of one results folder.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }
    pub fn definition(&self) -> PathBuf {
        self.root.join("definition.toml")
    }
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn spikes(&self) -> PathBuf {
        self.root.join("spikes")
    }
    pub fn plots(&self) -> PathBuf {
        self.root.join("plots")
    }
    pub fn locks(&self) -> PathBuf {
        self.root.join("locks")
    }
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }
    pub fn merged(&self) -> PathBuf {
        self.root.join("results.parquet")
    }
    /// The kept spike trains of one run.
    pub fn spikes_of(&self, point: usize, replicate: u32) -> PathBuf {
        self.spikes()
            .join(format!("point-{point:05}-rep-{replicate:03}.parquet"))
    }

    /// Creates every sub-folder; fails with the path when the folder is not writable.
    pub fn create(&self) -> Result<(), StoreError> {
        for d in [
            self.root.clone(),
            self.data(),
            self.spikes(),
            self.plots(),
            self.locks(),
            self.tmp(),
        ] {
            std::fs::create_dir_all(&d).map_err(StoreError::io(&d))?;
        }
        // Prove we can write here before any simulation starts.
        let probe = self
            .tmp()
            .join(format!(".write-probe-{}", std::process::id()));
        std::fs::write(&probe, b"ok").map_err(StoreError::io(&probe))?;
        std::fs::remove_file(&probe).map_err(StoreError::io(&probe))?;
        Ok(())
    }

    /// The Parquet part files in `data/`, sorted by name.
    pub fn part_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        let dir = self.data();
        let mut out = Vec::new();
        if !dir.exists() {
            return Ok(out);
        }
        for e in std::fs::read_dir(&dir).map_err(StoreError::io(&dir))? {
            let p = e.map_err(StoreError::io(&dir))?.path();
            if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes files in `tmp/` left by processes that no longer run on this host.
    pub fn clean_stale_tmp(&self) {
        let Ok(entries) = std::fs::read_dir(self.tmp()) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            // Temporary names end in `.<pid>.tmp`.
            let pid = name
                .strip_suffix(".tmp")
                .and_then(|s| s.rsplit('.').next())
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid {
                if !pid_alive(pid) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Whether a process with this pid runs on this host (Linux /proc).
pub fn pid_alive(pid: u32) -> bool {
    let status = format!("/proc/{pid}/status");
    match std::fs::read_to_string(status) {
        Ok(s) => !s
            .lines()
            .any(|l| l.starts_with("State:") && (l.contains('Z') || l.contains('X'))),
        Err(_) => false,
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// An exclusive lock on one shard of a results folder, released on drop.
#[derive(Debug)]
pub struct ShardLock {
    path: PathBuf,
}

/// Another live process holds the lock.
#[derive(Debug, thiserror::Error)]
#[error("shard {shard} of {folder} is being run by pid {pid} on host {host} (lock file {lock}); wait for it to finish, or remove the lock file if that process is gone")]
pub struct Locked {
    pub shard: String,
    pub folder: String,
    pub pid: u32,
    pub host: String,
    pub lock: String,
}

impl ShardLock {
    /// Takes the lock of `shard` (e.g. `0-of-1`), taking over a lock left by a dead process
    /// on this host. A lock held by a live process, or by any process on another host, refuses.
    pub fn acquire(layout: &Layout, shard: &str) -> Result<Result<ShardLock, Locked>, StoreError> {
        let path = layout.locks().join(format!("shard-{shard}.lock"));
        let me = format!("{}\n{}\n", std::process::id(), hostname());
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(me.as_bytes()).map_err(StoreError::io(&path))?;
                    f.sync_all().map_err(StoreError::io(&path))?;
                    return Ok(Ok(ShardLock { path }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut lines = text.lines();
                    let pid: u32 = lines
                        .next()
                        .and_then(|l| l.trim().parse().ok())
                        .unwrap_or(0);
                    let host = lines.next().unwrap_or("").trim().to_string();
                    if host == hostname() && pid != 0 && !pid_alive(pid) {
                        // Stale: its owner died. Remove it and try again.
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    return Ok(Err(Locked {
                        shard: shard.to_string(),
                        folder: layout.root.display().to_string(),
                        pid,
                        host,
                        lock: path.display().to_string(),
                    }));
                }
                Err(e) => return Err(StoreError::io(&path)(e)),
            }
        }
        Err(StoreError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other("could not take the lock"),
        })
    }
}

impl Drop for ShardLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The temporary name under `tmp_dir` for writing `path` atomically (same file system).
pub fn tmp_name(tmp_dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tmp_dir.join(format!("{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_shard_is_refused_and_released_on_drop() {
        let root = std::env::temp_dir().join(format!("brunel-lock-{}", std::process::id()));
        let l = Layout::new(&root);
        l.create().unwrap();
        let a = ShardLock::acquire(&l, "0-of-1").unwrap().unwrap();
        let b = ShardLock::acquire(&l, "0-of-1").unwrap().unwrap_err();
        assert_eq!(b.pid, std::process::id());
        assert!(b.to_string().contains(&hostname()));
        assert!(ShardLock::acquire(&l, "1-of-2").unwrap().is_ok());
        drop(a);
        assert!(ShardLock::acquire(&l, "0-of-1").unwrap().is_ok());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over() {
        let root = std::env::temp_dir().join(format!("brunel-lock-stale-{}", std::process::id()));
        let l = Layout::new(&root);
        l.create().unwrap();
        // pid 4294967 cannot exist (above Linux's pid_max of 4194304).
        std::fs::write(
            l.locks().join("shard-0-of-1.lock"),
            format!("4294967\n{}\n", hostname()),
        )
        .unwrap();
        assert!(ShardLock::acquire(&l, "0-of-1").unwrap().is_ok());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
