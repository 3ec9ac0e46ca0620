//! Files on disk: atomic writes (temporary name, then rename), Parquet with key-value
//! metadata (a decoder panic on a corrupt file becomes an error), the spike-file format
//! (`spikes`) and the layout of a results folder (`layout`). What the rows of a sweep mean
//! lives in `sweep`.

pub mod layout;
pub mod spikes;

use polars::prelude::*;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file that could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The operating system refused (the io error is part of the message, not a separate
    /// source, so it is printed once).
    #[error("{path}: {error}{}", io_hint(error))]
    Io {
        path: String,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parquet { path: String, message: String },
    /// A file that reads but whose content is not what was written (bit flips, a foreign or
    /// hand-edited file): its checksum or structure does not match.
    #[error("{path}: damaged: {message}")]
    Damaged { path: String, message: String },
}

/// Words for the io errors a user can act on.
fn io_hint(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(28) => " — the disk is full (ENOSPC): free space, then resume",
        Some(122) => " — the disk quota is exceeded (EDQUOT): free space, then resume",
        Some(13) | Some(30) => " — not writable here: choose another folder with --out",
        _ => "",
    }
}

impl StoreError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |error| StoreError::Io {
            path: path.display().to_string(),
            error,
        }
    }
    pub(crate) fn pq(path: &Path) -> impl FnOnce(PolarsError) -> StoreError + '_ {
        move |e| StoreError::Parquet {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
    /// Whether the error is the disk (or quota) being full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Io { error, .. } if matches!(error.raw_os_error(), Some(28) | Some(122)))
    }
}

/// The temporary name under `dir` for writing `path` atomically (same file system):
/// hidden (leading dot) and ending in `.<pid>.tmp`, so dataset readers never pick it up and
/// `Layout::clean_stale_tmp` can tell a dead writer's leftovers.
pub fn temp_name_in(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// The temporary name beside `path` ([`temp_name_in`] its own folder).
pub fn temp_path(path: &Path) -> PathBuf {
    temp_name_in(path.parent().unwrap_or(Path::new(".")), path)
}

/// Writes a file whole or not at all: `write` fills a temporary file, which is synced and
/// renamed over `path` only when complete.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    write_atomic_via(&temp_path(path), path, write)
}

/// [`write_atomic`] through an explicit temporary path (on the same file system as `path`).
pub fn write_atomic_via(
    tmp: &Path,
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let tmp = tmp.to_path_buf();
    let result = (|| {
        let mut f = File::create(&tmp).map_err(StoreError::io(&tmp))?;
        write(&mut f)?;
        f.flush().map_err(StoreError::io(&tmp))?;
        f.sync_all().map_err(StoreError::io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(StoreError::io(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a data frame as Parquet (zstd) with key-value metadata, atomically.
pub fn write_parquet(
    path: &Path,
    df: &mut DataFrame,
    metadata: &[(String, String)],
) -> Result<(), StoreError> {
    write_parquet_via(&temp_path(path), path, df, metadata)
}

/// [`write_parquet`] through an explicit temporary path. The file is encoded in memory
/// first and written with plain file writes, so a full disk is reported as the operating
/// system's error (ENOSPC) rather than as a Parquet encoding error.
pub fn write_parquet_via(
    tmp: &Path,
    path: &Path,
    df: &mut DataFrame,
    metadata: &[(String, String)],
) -> Result<(), StoreError> {
    let kv = if metadata.is_empty() {
        None
    } else {
        Some(KeyValueMetadata::from_static(metadata.to_vec()))
    };
    let mut bytes: Vec<u8> = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(kv)
        .finish(df)
        .map_err(StoreError::pq(path))?;
    write_atomic_via(tmp, path, |f| f.write_all(&bytes).map_err(StoreError::io(path)))
}

/// Reading sections in progress whose panics are expected and reported as errors.
static QUIET_PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs a read of file contents, turning a panic inside the Parquet decoder (polars asserts
/// on some corrupt pages instead of returning an error) into a [`StoreError::Damaged`] naming
/// the file. The panic message is not printed: it is part of the error.
fn guarded<T>(path: &Path, read: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    use std::sync::atomic::Ordering;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET_PANICS.load(Ordering::SeqCst) == 0 {
                default(info);
            }
        }));
    });
    QUIET_PANICS.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    QUIET_PANICS.fetch_sub(1, Ordering::SeqCst);
    result.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the Parquet decoder failed".into());
        Err(StoreError::Damaged {
            path: path.display().to_string(),
            message: format!("cannot be decoded ({what})"),
        })
    })
}

/// Reads a whole Parquet file.
pub fn read_parquet(path: &Path) -> Result<DataFrame, StoreError> {
    let f = File::open(path).map_err(StoreError::io(path))?;
    guarded(path, || ParquetReader::new(f).finish().map_err(StoreError::pq(path)))
}

/// The key-value metadata of a Parquet file; fails on a truncated or foreign file.
pub fn read_metadata(path: &Path) -> Result<Vec<(String, String)>, StoreError> {
    let f = File::open(path).map_err(StoreError::io(path))?;
    guarded(path, || {
        let mut reader = ParquetReader::new(f);
        let md = reader.get_metadata().map_err(StoreError::pq(path))?;
        Ok(md
            .key_value_metadata()
            .as_ref()
            .map(|kv| {
                kv.iter()
                    .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parquet_round_trip_keeps_rows_and_metadata() {
        let dir = std::env::temp_dir().join(format!("brunel-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.parquet");
        let mut df = df!("a" => [1u32, 2, 3], "b" => [0.5f64, 1.5, 2.5]).unwrap();
        write_parquet(&path, &mut df, &[("k".into(), "v".into())]).unwrap();
        assert_eq!(read_parquet(&path).unwrap(), df);
        assert!(read_metadata(&path)
            .unwrap()
            .contains(&("k".to_string(), "v".to_string())));
        assert!(!temp_path(&path).exists());
        // A truncated file is detected.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read_metadata(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
