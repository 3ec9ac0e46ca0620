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
//!   quarantine/       damaged part files moved aside by `brunel sweep` (never overwritten)
//!   slurm/            the sbatch script and task logs of `brunel slurm`
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
    pub fn quarantine(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    /// Moves a damaged file into `quarantine/` under a name no earlier move used
    /// (`<name>.<n>` with the first free n: a hard link refuses to replace), so the same
    /// part damaged twice keeps both copies. Returns the new path.
    pub fn quarantine_file(&self, file: &Path) -> Result<PathBuf, StoreError> {
        let q = self.quarantine();
        sub_folder(&q)?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "part".into());
        for n in 1..100_000 {
            let dest = q.join(format!("{name}.{n}"));
            match std::fs::hard_link(file, &dest) {
                Ok(()) => {
                    std::fs::remove_file(file).map_err(StoreError::io(file))?;
                    return Ok(dest);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(StoreError::io(&dest)(e)),
            }
        }
        Err(StoreError::Io {
            path: q.display().to_string(),
            error: std::io::Error::other("100000 quarantined copies of one part: clean up"),
        })
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
            sub_folder(&d)?;
        }
        // Prove we can write here before any simulation starts.
        let probe = self
            .tmp()
            .join(format!(".write-probe-{}", std::process::id()));
        let written = std::fs::write(&probe, b"ok");
        // Removed whether or not the write succeeded (a full disk creates it empty).
        let removed = std::fs::remove_file(&probe);
        written.map_err(StoreError::io(&probe))?;
        removed.map_err(StoreError::io(&probe))?;
        Ok(())
    }

    /// The Parquet part files in `data/`, sorted by name; an entry named `*.parquet` that is
    /// not a regular file is an error naming it.
    pub fn part_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        let dir = self.data();
        let mut out = Vec::new();
        if !dir.exists() {
            return Ok(out);
        }
        for e in std::fs::read_dir(&dir).map_err(StoreError::io(&dir))? {
            let p = e.map_err(StoreError::io(&dir))?.path();
            if p.extension().is_some_and(|x| x == "parquet") {
                // A FIFO, device or folder named *.parquet is refused before it is opened.
                super::check_regular(&p)?;
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

/// Whether a process with this pid runs on this host (Linux /proc); a zombie counts as gone.
///
/// Read from /proc rather than a crate: clusters run Linux, and these few lines need no new
/// dependency. `sysinfo` (in the tree only through polars) would need a process-table refresh
/// for one pid; `kill(pid, 0)` through libc needs unsafe and reports zombies as alive. Off
/// Linux there is no /proc and every pid reads as gone.
pub fn pid_alive(pid: u32) -> bool {
    let status = format!("/proc/{pid}/status");
    match std::fs::read_to_string(status) {
        Ok(s) => !s
            .lines()
            .any(|l| l.starts_with("State:") && (l.contains('Z') || l.contains('X'))),
        Err(_) => false,
    }
}

/// This machine's host name (Linux /proc, else $HOSTNAME, else `unknown-host`).
///
/// Read from /proc rather than through the `gethostname` crate or libc: one file read, no new
/// dependency and no unsafe, on the Linux machines that clusters run.
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

/// Why a shard lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Locked(#[from] Locked),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Another live process holds a lock on runs this process would run.
#[derive(Debug, thiserror::Error)]
#[error("shard {shard} of {folder} overlaps shard {other} that is being run by {owner} (lock file {lock}); wait for it to finish, or remove the lock file if that process is gone")]
pub struct Locked {
    pub shard: String,
    pub other: String,
    pub folder: String,
    /// `pid N on host H`, or what was unreadable about the lock file.
    pub owner: String,
    pub lock: String,
}

/// The owner written in a lock file: pid and host.
#[derive(Debug, Clone, PartialEq)]
struct Owner {
    pid: u32,
    host: String,
}

fn parse_owner(text: &str) -> Option<Owner> {
    let mut lines = text.lines();
    let pid: u32 = lines.next()?.trim().parse().ok()?;
    let host = lines.next()?.trim().to_string();
    (pid != 0 && !host.is_empty()).then_some(Owner { pid, host })
}

/// Shard `I-of-N` parsed from a lock file name `shard-I-of-N.lock`.
fn shard_of_lock(name: &str) -> Option<(usize, usize)> {
    let tag = name.strip_prefix("shard-")?.strip_suffix(".lock")?;
    let (i, n) = tag.split_once("-of-")?;
    Some((i.parse().ok()?, n.parse().ok()?))
}

/// Whether shards (i of n) and (j of m) can hold the same run: only shards of the same
/// count with different indices are disjoint.
fn shards_overlap(a: (usize, usize), b: (usize, usize)) -> bool {
    !(a.1 == b.1 && a.0 != b.0)
}

impl ShardLock {
    /// Takes the lock of shard `index` of `count`. Refuses while a live process holds a lock
    /// on an overlapping shard (the same shard, or any shard of another count: an unsharded
    /// run and `--shard 0/2` would run the same runs). Locks left by dead processes on this
    /// host are removed. The check and the claim happen under a folder-wide file lock, so two
    /// processes starting together cannot both pass.
    pub fn acquire(layout: &Layout, index: usize, count: usize) -> Result<ShardLock, LockError> {
        let dir = layout.locks();
        let guard_path = dir.join("guard");
        if guard_path.exists() {
            super::check_regular(&guard_path)?;
        }
        let guard = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&guard_path)
            .map_err(StoreError::io(&guard_path))?;
        guard.lock().map_err(StoreError::io(&guard_path))?;
        let me = (index, count);
        let tag = format!("{index}-of-{count}");
        let entries = std::fs::read_dir(&dir).map_err(StoreError::io(&dir))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(other) = shard_of_lock(&name) else {
                continue;
            };
            if !shards_overlap(me, other) {
                continue;
            }
            let path = e.path();
            let text = super::read_regular_max(&path, super::MAX_TEXT_FILE_BYTES)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let owner = match parse_owner(&text) {
                Some(o) if o.host == hostname() && !pid_alive(o.pid) => {
                    // Stale: its owner died on this host.
                    let _ = std::fs::remove_file(&path);
                    continue;
                }
                Some(o) => format!("pid {} on host {}", o.pid, o.host),
                None => format!(
                    "an unknown process (the lock file does not hold `pid` and `host` lines: {:?})",
                    text.chars().take(60).collect::<String>()
                ),
            };
            return Err(Locked {
                shard: tag,
                other: format!("{}-of-{}", other.0, other.1),
                folder: layout.root.display().to_string(),
                owner,
                lock: path.display().to_string(),
            }
            .into());
        }
        let path = dir.join(format!("shard-{tag}.lock"));
        let text = format!("{}\n{}\n", std::process::id(), hostname());
        crate::store::write_atomic_via(&tmp_name(&layout.tmp(), &path), &path, |f| {
            use std::io::Write;
            f.write_all(text.as_bytes()).map_err(StoreError::io(&path))
        })?;
        Ok(ShardLock { path })
        // `guard` is unlocked when dropped here.
    }
}

impl Drop for ShardLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The temporary name under `tmp_dir` for writing `path` atomically (see
/// [`crate::store::temp_name_in`]).
pub fn tmp_name(tmp_dir: &Path, path: &Path) -> PathBuf {
    crate::store::temp_name_in(tmp_dir, path)
}

/// Creates the folder `d` (and its parents) unless it exists; refuses a symbolic link in its
/// place, so that nothing is written outside the results folder.
pub fn sub_folder(d: &Path) -> Result<(), StoreError> {
    if let Ok(m) = d.symlink_metadata() {
        if m.file_type().is_symlink() {
            let target =
                std::fs::read_link(d).map_or_else(|_| "?".into(), |t| t.display().to_string());
            return Err(StoreError::Linked {
                path: d.display().to_string(),
                target,
            });
        }
    }
    std::fs::create_dir_all(d).map_err(StoreError::io(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_shards_are_refused_and_released_on_drop() {
        let root = std::env::temp_dir().join(format!("brunel-lock-{}", std::process::id()));
        let l = Layout::new(&root);
        l.create().unwrap();
        let a = ShardLock::acquire(&l, 0, 1).unwrap();
        let LockError::Locked(b) = ShardLock::acquire(&l, 0, 1).unwrap_err() else {
            panic!("expected Locked")
        };
        assert!(b.owner.contains(&std::process::id().to_string()), "{b}");
        assert!(b.to_string().contains(&hostname()));
        // The unsharded run overlaps every shard of any count.
        assert!(ShardLock::acquire(&l, 1, 2).is_err());
        drop(a);
        let s0 = ShardLock::acquire(&l, 0, 2).unwrap();
        assert!(ShardLock::acquire(&l, 1, 2).is_ok(), "disjoint shards");
        assert!(ShardLock::acquire(&l, 0, 1).is_err(), "unsharded vs 0/2");
        assert!(ShardLock::acquire(&l, 0, 3).is_err(), "0/3 vs 0/2");
        drop(s0);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over_and_garbage_is_named() {
        let root = std::env::temp_dir().join(format!("brunel-lock-stale-{}", std::process::id()));
        let l = Layout::new(&root);
        l.create().unwrap();
        // pid 4294967 cannot exist (above Linux's pid_max of 4194304).
        std::fs::write(
            l.locks().join("shard-0-of-1.lock"),
            format!("4294967\n{}\n", hostname()),
        )
        .unwrap();
        assert!(ShardLock::acquire(&l, 0, 1).is_ok());
        std::fs::write(l.locks().join("shard-0-of-2.lock"), "garbage").unwrap();
        let LockError::Locked(e) = ShardLock::acquire(&l, 0, 2).unwrap_err() else {
            panic!("expected Locked")
        };
        assert!(
            e.owner.contains("unknown process") && e.owner.contains("garbage"),
            "{e}"
        );
        // A lock held by another host is never taken over.
        std::fs::write(l.locks().join("shard-0-of-2.lock"), "12\nother-host\n").unwrap();
        let LockError::Locked(e) = ShardLock::acquire(&l, 0, 2).unwrap_err() else {
            panic!("expected Locked")
        };
        assert!(e.owner.contains("pid 12 on host other-host"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn quarantine_never_overwrites() {
        let root = std::env::temp_dir().join(format!("brunel-quar-{}", std::process::id()));
        let l = Layout::new(&root);
        l.create().unwrap();
        let part = l.data().join("part-x.parquet");
        std::fs::write(&part, "first").unwrap();
        let a = l.quarantine_file(&part).unwrap();
        std::fs::write(&part, "second").unwrap();
        let b = l.quarantine_file(&part).unwrap();
        assert_ne!(a, b);
        assert_eq!(std::fs::read_to_string(a).unwrap(), "first");
        assert_eq!(std::fs::read_to_string(b).unwrap(), "second");
        assert!(!part.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
