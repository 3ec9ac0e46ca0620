//! Files on disk: atomic writes (temporary name, then rename), Parquet with key-value
//! metadata (a decoder panic on a corrupt file becomes an error), the spike-file format
//! (`spikes`) and the layout of a results folder (`layout`). What the rows of a sweep mean
//! lives in `sweep`.

pub mod boundaries;
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
    Io { path: String, error: std::io::Error },
    #[error("{path}: {message}")]
    Parquet { path: String, message: String },
    /// A library could not write a file by path (a figure): its words, naming the file.
    #[error("{message}")]
    Written { path: String, message: String },
    /// A file that reads but whose content is not what was written (bit flips, a foreign or
    /// hand-edited file): its checksum or structure does not match.
    #[error("{path}: damaged: {message}")]
    Damaged { path: String, message: String },
    /// A sub-folder of a results folder that is a symbolic link: brunel writes only inside
    /// the folder, so it refuses rather than write wherever the link points.
    #[error("{path} is a symbolic link (to {target}); brunel writes only inside the results folder, never through a link: replace the link with a folder")]
    Linked { path: String, target: String },
}

/// Words for the io errors a user can act on.
fn io_hint(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(28) => " — the disk is full (ENOSPC): free space, then run the command again (a sweep resumes)",
        Some(122) => " — the disk quota is exceeded (EDQUOT): free space, then run the command again (a sweep resumes)",
        Some(13) => " — permission denied here",
        Some(30) => " — the file system is read-only",
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
    /// Whether the operating system refused to write (permissions, a read-only file system).
    pub fn is_not_writable(&self) -> bool {
        matches!(self, StoreError::Io { error, .. } if matches!(error.raw_os_error(), Some(13) | Some(30)))
    }
    /// Whether the error is the disk (or quota) being full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Io { error, .. } if matches!(error.raw_os_error(), Some(28) | Some(122)))
    }
}

/// Refuses anything at `path` that is not a regular file (a FIFO, a device, a socket, a
/// folder), by its metadata and before opening it: opening a FIFO blocks until a writer
/// comes, for ever. A link to a regular file is followed.
pub fn check_regular(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::FileTypeExt;
    let t = std::fs::metadata(path)
        .map_err(StoreError::io(path))?
        .file_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a file"
    };
    Err(StoreError::Io {
        path: path.display().to_string(),
        error: std::io::Error::other(format!(
            "{what}, not a regular file: brunel reads only regular files (move it away)"
        )),
    })
}

/// The most bytes of a text file brunel reads whole (a sweep definition, a lock file, a
/// script): far above any real one, and refused by its size before a byte is read, so a
/// planted sparse file of gigabytes costs neither memory nor minutes.
pub const MAX_TEXT_FILE_BYTES: u64 = 64 << 20;

/// The most bytes of a data file (a part or spike file) brunel reads whole: a quarter of
/// the memory a network may use, so reading it, with its decoded copy, cannot exhaust it.
pub fn max_data_file_bytes() -> u64 {
    (crate::model::spec::memory_limit_bytes() / 4.0) as u64
}

/// The whole of a regular file ([`check_regular`] first, so a FIFO never blocks) of at most
/// [`max_data_file_bytes`].
pub fn read_regular(path: &Path) -> Result<Vec<u8>, StoreError> {
    read_regular_max(path, max_data_file_bytes())
}

/// The whole of a regular file of at most `max_bytes`: a larger one is refused, naming its
/// size, before it is opened.
pub fn read_regular_max(path: &Path, max_bytes: u64) -> Result<Vec<u8>, StoreError> {
    check_regular(path)?;
    let len = std::fs::metadata(path).map_err(StoreError::io(path))?.len();
    if len > max_bytes {
        return Err(StoreError::Io {
            path: path.display().to_string(),
            error: std::io::Error::other(format!(
                "{len} bytes, more than the {max_bytes} brunel reads of such a file: not a file brunel wrote (move it away)"
            )),
        });
    }
    std::fs::read(path).map_err(StoreError::io(path))
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
        // A stale file or a planted link at the temporary name goes first (removing a link
        // removes the link), and the file is created new: never written through a link.
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(StoreError::io(&tmp))?;
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

/// Writes a file that a library writes by path (a PNG figure drawn by plotters) whole or
/// not at all, and never through a link: `write` writes a hidden temporary name beside `path`
/// (ending in `path`'s extension, which picks the image format), renamed over `path` when
/// complete. A link at `path` is replaced, not followed, so a figure never lands outside its
/// folder; a failure leaves no half-written file, and its error names `path` (in the
/// operating system's words when it is one: a full disk says ENOSPC).
pub fn write_by_path<E: std::fmt::Display>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp{ext}", std::process::id()));
    // A stale file (or a planted link) at the temporary name goes first: removing a link
    // removes the link itself.
    let _ = std::fs::remove_file(&tmp);
    let result = match write(&tmp) {
        Ok(()) => std::fs::rename(&tmp, path).map_err(StoreError::io(path)),
        Err(e) => {
            let message = e
                .to_string()
                .replace(&tmp.display().to_string(), &path.display().to_string());
            Err(os_error_in(&message).map_or_else(
                || StoreError::Written {
                    path: path.display().to_string(),
                    message: if message.contains(&path.display().to_string()) {
                        message.clone()
                    } else {
                        format!("{}: {message}", path.display())
                    },
                },
                |error| StoreError::Io {
                    path: path.display().to_string(),
                    error,
                },
            ))
        }
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The operating system's error named in a library's message (`... (os error 28) ...`).
fn os_error_in(message: &str) -> Option<std::io::Error> {
    let at = message.find("os error ")? + "os error ".len();
    let digits: String = message[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().map(std::io::Error::from_raw_os_error)
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
    let bytes = encode_parquet(path, df, metadata)?;
    write_bytes_via(tmp, path, &bytes)
}

/// A data frame as the bytes of a Parquet file (zstd) with key-value metadata; `path` names
/// it in errors.
pub fn encode_parquet(
    path: &Path,
    df: &mut DataFrame,
    metadata: &[(String, String)],
) -> Result<Vec<u8>, StoreError> {
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
    Ok(bytes)
}

/// Writes `bytes` as `path`, atomically through `tmp` (see [`write_atomic_via`]).
pub fn write_bytes_via(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic_via(tmp, path, |f| {
        f.write_all(bytes).map_err(StoreError::io(path))
    })
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

/// Reads a whole Parquet file; a damaged one is an error, never a panic or an abort.
pub fn read_parquet(path: &Path) -> Result<DataFrame, StoreError> {
    read_parquet_bytes(path, &read_regular(path)?)
}

/// [`read_parquet`] of a file's bytes already read (`path` names it in errors).
pub fn read_parquet_bytes(path: &Path, bytes: &[u8]) -> Result<DataFrame, StoreError> {
    let bad = |message: String| StoreError::Parquet {
        path: path.display().to_string(),
        message: format!("damaged Parquet file: {message}"),
    };
    // polars-parquet 0.55 trusts sizes in the file before allocating: a list length in the
    // footer (one case asked for 10 GB) or a page header's `num_values` (i32) cast to usize
    // unchecked (one flipped sign bit asks for a 2^61-byte bitmap). A failed allocation aborts
    // the process, which no unwinding can catch; 9 of the 26416 single-bit flips of a part
    // file did it (tests/fuzz_inputs.rs). So the footer and every page header are checked
    // first, with the file's own bytes as the bound.
    thrift_check::footer_of(bytes)
        .and_then(thrift_check::check_footer)
        .map_err(bad)?;
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let md = guarded(path, || {
        reader.get_metadata().cloned().map_err(StoreError::pq(path))
    })?;
    thrift_check::check_pages(bytes, &md).map_err(bad)?;
    guarded(path, move || reader.finish().map_err(StoreError::pq(path)))
}

/// The key-value metadata of a Parquet file; fails on a truncated, damaged or foreign file.
pub fn read_metadata(path: &Path) -> Result<Vec<(String, String)>, StoreError> {
    check_regular(path)?;
    let mut f = File::open(path).map_err(StoreError::io(path))?;
    // The footer is checked before polars decodes it (see `read_parquet`).
    let footer = (|| -> std::io::Result<Result<Vec<u8>, String>> {
        use std::io::{Read, Seek, SeekFrom};
        let len = f.seek(SeekFrom::End(0))?;
        let mut tail = vec![0u8; len.min(8) as usize];
        f.seek(SeekFrom::Start(len - tail.len() as u64))?;
        f.read_exact(&mut tail)?;
        let flen = match thrift_check::footer_len(&tail, len) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        let mut footer = vec![0u8; flen];
        f.seek(SeekFrom::Start(len - 8 - flen as u64))?;
        f.read_exact(&mut footer)?;
        f.seek(SeekFrom::Start(0))?;
        Ok(Ok(footer))
    })()
    .map_err(StoreError::io(path))?;
    footer
        .and_then(|footer| thrift_check::check_footer(&footer))
        .map_err(|message| StoreError::Parquet {
            path: path.display().to_string(),
            message: format!("damaged Parquet file: {message}"),
        })?;
    guarded(path, move || {
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

/// Checks of a Parquet file's Thrift structures before polars decodes them (see
/// [`read_parquet`]), with a minimal reader of Thrift's compact protocol: in the footer, every
/// list, map and string must fit in the bytes left (so no length can ask for more memory than
/// the file's size suggests); in each column chunk, every page header must have non-negative
/// counts and sizes of at most 1 GiB (brunel writes pages of about 1 MiB) and its page must
/// end inside the chunk.
mod thrift_check {
    use polars::io::parquet::read::FileMetadata;

    const MAX_PAGE_BYTES: i64 = 1 << 30;
    const MAX_DEPTH: usize = 32;

    struct Reader<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl Reader<'_> {
        fn byte(&mut self) -> Result<u8, String> {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or("a Thrift structure runs past its end")?;
            self.pos += 1;
            Ok(b)
        }
        fn varint(&mut self) -> Result<u64, String> {
            let mut v = 0u64;
            for shift in (0..70).step_by(7) {
                let b = self.byte()?;
                if shift < 64 {
                    v |= u64::from(b & 0x7f) << shift;
                }
                if b & 0x80 == 0 {
                    return Ok(v);
                }
            }
            Err("a varint longer than 10 bytes".into())
        }
        fn zigzag(&mut self) -> Result<i64, String> {
            let v = self.varint()?;
            Ok((v >> 1) as i64 ^ -((v & 1) as i64))
        }
        /// Whether `n` items of at least one byte each fit in what is left.
        fn fits(&self, n: u64) -> Result<(), String> {
            let left = (self.buf.len() - self.pos) as u64;
            if n > left {
                return Err(format!("a list of {n} items in {left} bytes"));
            }
            Ok(())
        }
        fn skip(&mut self, n: u64) -> Result<(), String> {
            let end = (self.pos as u64)
                .checked_add(n)
                .filter(|&e| e <= self.buf.len() as u64)
                .ok_or("a Thrift field runs past its end")?;
            self.pos = end as usize;
            Ok(())
        }
        /// Skips one value of compact type `t`, reporting integers to `int` with their path.
        fn value(
            &mut self,
            t: u8,
            path: &mut Vec<i16>,
            int: &mut dyn FnMut(&[i16], i64) -> Result<(), String>,
        ) -> Result<(), String> {
            match t {
                1 | 2 => Ok(()),
                3 => self.skip(1),
                4..=6 => {
                    let v = self.zigzag()?;
                    int(path, v)
                }
                7 => self.skip(8),
                8 => {
                    let n = self.varint()?;
                    self.skip(n)
                }
                9 | 10 => {
                    let h = self.byte()?;
                    let n = match h >> 4 {
                        15 => self.varint()?,
                        n => u64::from(n),
                    };
                    let et = h & 0x0f;
                    self.fits(n)?;
                    for _ in 0..n {
                        if et == 1 || et == 2 {
                            self.skip(1)?; // booleans in lists are one byte each
                        } else {
                            self.value(et, path, int)?;
                        }
                    }
                    Ok(())
                }
                11 => {
                    let n = self.varint()?;
                    if n > 0 {
                        self.fits(n.saturating_mul(2))?;
                        let kv = self.byte()?;
                        for _ in 0..n {
                            self.value(kv >> 4, path, int)?;
                            self.value(kv & 0x0f, path, int)?;
                        }
                    }
                    Ok(())
                }
                12 => self.fields(path, int),
                13 => self.skip(16), // UUID
                _ => Err(format!("unknown Thrift type {t}")),
            }
        }
        /// Reads the fields of a struct up to its stop byte.
        fn fields(
            &mut self,
            path: &mut Vec<i16>,
            int: &mut dyn FnMut(&[i16], i64) -> Result<(), String>,
        ) -> Result<(), String> {
            if path.len() >= MAX_DEPTH {
                return Err("Thrift structures nested too deeply".into());
            }
            let mut id = 0i16;
            loop {
                let h = self.byte()?;
                if h == 0 {
                    return Ok(());
                }
                id = match h >> 4 {
                    0 => self.zigzag()? as i16,
                    d => id.wrapping_add(i16::from(d)),
                };
                path.push(id);
                let r = self.value(h & 0x0f, path, int);
                path.pop();
                r?;
            }
        }
    }

    /// The length of the footer from the file's last 8 bytes (length, then `PAR1`).
    pub fn footer_len(tail: &[u8], file_len: u64) -> Result<usize, String> {
        if tail.len() < 8 || &tail[tail.len() - 4..] != b"PAR1" || file_len < 12 {
            return Err("no Parquet footer (the file is truncated or not Parquet)".into());
        }
        let n = tail.len();
        let flen = u32::from_le_bytes([tail[n - 8], tail[n - 7], tail[n - 6], tail[n - 5]]);
        if u64::from(flen) > file_len - 12 {
            return Err(format!("footer of {flen} bytes in a file of {file_len}"));
        }
        Ok(flen as usize)
    }

    /// The footer's bytes within the whole file.
    pub fn footer_of(file: &[u8]) -> Result<&[u8], String> {
        let flen = footer_len(file, file.len() as u64)?;
        let end = file.len() - 8;
        Ok(&file[end - flen..end])
    }

    /// Walks the footer (FileMetaData), checking that every length fits in it.
    pub fn check_footer(footer: &[u8]) -> Result<(), String> {
        Reader {
            buf: footer,
            pos: 0,
        }
        .fields(&mut Vec::new(), &mut |_, _| Ok(()))
        .map_err(|e| format!("footer: {e}"))
    }

    /// Checks every page header of every column chunk of `file` (the whole file's bytes).
    pub fn check_pages(file: &[u8], md: &FileMetadata) -> Result<(), String> {
        for (g, rg) in md.row_groups.iter().enumerate() {
            for (c, col) in rg.parquet_columns().iter().enumerate() {
                let at = format!("row group {g}, column {c}");
                let start = col
                    .dictionary_page_offset()
                    .unwrap_or(col.data_page_offset());
                let len = col.compressed_size();
                let end = start.checked_add(len);
                let chunk = match (usize::try_from(start), end.map(usize::try_from)) {
                    (Ok(s), Some(Ok(e))) if s <= e && e <= file.len() && col.num_values() >= 0 => {
                        &file[s..e]
                    }
                    _ => {
                        let n = col.num_values();
                        return Err(format!(
                            "{at}: bytes {start}+{len}, {n} values: not in the file"
                        ));
                    }
                };
                let mut r = Reader { buf: chunk, pos: 0 };
                while r.pos < chunk.len() {
                    let mut compressed = None;
                    r.fields(&mut Vec::new(), &mut |path, v| {
                        // PageHeader: 2 uncompressed size, 3 compressed size; 5 data page,
                        // 7 dictionary page, 8 data page v2: 1 num_values; v2: 2 num_nulls,
                        // 3 num_rows, 5 and 6 level byte lengths.
                        let counted = matches!(
                            path,
                            [2] | [3]
                                | [5, 1]
                                | [7, 1]
                                | [8, 1]
                                | [8, 2]
                                | [8, 3]
                                | [8, 5]
                                | [8, 6]
                        );
                        if counted && !(0..=MAX_PAGE_BYTES).contains(&v) {
                            return Err(format!("page header field {path:?} = {v}"));
                        }
                        if path == [3] {
                            compressed = Some(v);
                        }
                        Ok(())
                    })
                    .map_err(|e| format!("{at}: {e}"))?;
                    let n = compressed
                        .ok_or_else(|| format!("{at}: page header without a compressed size"))?;
                    r.skip(n as u64)
                        .map_err(|_| format!("{at}: a page of {n} bytes runs past its chunk"))?;
                }
            }
        }
        Ok(())
    }
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
        // A link planted at the temporary name is replaced, not written through.
        let victim = dir.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, temp_path(&path)).unwrap();
        write_parquet(&path, &mut df, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(read_parquet(&path).unwrap(), df);
        assert!(temp_path(&path).symlink_metadata().is_err());
        // A truncated file is detected.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read_metadata(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
