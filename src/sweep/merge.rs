//! Merging: checks a results folder for completeness and writes one consolidated file.

use super::definition::Limits;
use super::definition::SweepDef;
use super::parts::write_part;
use super::row::Row;
use super::runner::{
    collect_rows, part_hashes, planned_tasks, provenance_json, OnDamage, SweepError, Task,
    HASH_KEY, META_KEY,
};
use crate::store::layout::{tmp_name, Layout};
use std::collections::BTreeMap;
use std::path::Path;

/// Why a folder cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{folder} has no definition.toml: not a sweep results folder")]
    NotResults { folder: String },
    #[error(transparent)]
    Definition(#[from] super::definition::DefinitionError),
    #[error("no sound part file in {folder}/data holds a definition's text: copy the definition this folder was run with to {folder}/definition.toml")]
    NoDefinitionInParts { folder: String },
    #[error("the part files in {folder}/data hold runs of {n} different definitions: move the foreign ones out, then restore")]
    SeveralDefinitions { folder: String, n: usize },
    #[error(transparent)]
    Sweep(#[from] SweepError),
    #[error("{missing} of {total} runs are missing in {folder}, e.g. {examples}{damaged}; run the missing shards (or `brunel sweep {folder}/definition.toml --out {folder}`, which also moves damaged part files to quarantine/) and merge again")]
    Incomplete {
        folder: String,
        missing: usize,
        total: usize,
        examples: String,
        /// `; damaged part files: ...` when some were found.
        damaged: String,
    },
}

/// The definition stored in a results folder (default limits).
pub fn folder_definition(dir: &Path) -> Result<SweepDef, MergeError> {
    folder_definition_with(dir, &Limits::default())
}

/// The definition stored in a results folder, checked against `limits`. A file that does
/// not parse while part files are there, or whose hash none of the part files records
/// while they all agree on another, is damaged (or was edited): the error says so and how
/// to restore it, rather than blaming sound part files.
pub fn folder_definition_with(dir: &Path, limits: &Limits) -> Result<SweepDef, MergeError> {
    let layout = Layout::new(dir);
    let path = layout.definition();
    if !path.exists() {
        return Err(MergeError::NotResults {
            folder: dir.display().to_string(),
        });
    }
    let damaged = |why: String| {
        MergeError::Sweep(SweepError::DefinitionDamaged {
            path: path.display().to_string(),
            folder: dir.display().to_string(),
            why,
            restore: format!("brunel merge {} --restore-definition (from the part files' metadata, which hold its text)", dir.display()),
        })
    };
    let def = match SweepDef::load_with(&path, limits) {
        Ok(def) => def,
        Err(e) if e.field != "file" && !part_hashes(&layout).is_empty() => {
            return Err(damaged(format!("it is not a valid definition: {e}")))
        }
        Err(e) => return Err(e.into()),
    };
    // One part file's hash is read first; all of them only when it differs.
    let first = layout.part_files().ok().and_then(|p| p.first().cloned());
    let first_hash = first
        .and_then(|p| crate::store::read_metadata(&p).ok())
        .and_then(|md| md.into_iter().find(|(k, _)| k == HASH_KEY).map(|(_, v)| v));
    if first_hash.is_some_and(|h| h != def.hash) {
        let hashes = part_hashes(&layout);
        if hashes.len() == 1 {
            let h = hashes.first().cloned().unwrap_or_default();
            return Err(damaged(format!(
                "its hash is {:.12}…, but every part file holds runs of definition {h:.12}…",
                def.hash
            )));
        }
    }
    Ok(def)
}

/// Writes `definition.toml` back from the provenance of the folder's sound part files (each
/// holds the definition's text and its hash): every part must record the same definition,
/// and the text must have that hash. The file it replaces is moved to `quarantine/`.
/// Returns the part file the text came from.
pub fn restore_definition(dir: &Path) -> Result<std::path::PathBuf, MergeError> {
    let layout = Layout::new(dir);
    let folder = dir.display().to_string();
    let mut found: BTreeMap<String, (String, std::path::PathBuf)> = BTreeMap::new();
    for part in layout.part_files().map_err(SweepError::from)? {
        let Ok((_, md)) = super::parts::read_part(&part) else {
            continue;
        };
        let get = |key: &str| md.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let (Some(hash), Some(prov)) = (get(HASH_KEY), get(META_KEY)) else {
            continue;
        };
        let text = serde_json::from_str::<serde_json::Value>(&prov)
            .ok()
            .and_then(|v| v.get("definition")?.as_str().map(String::from));
        if let Some(text) = text.filter(|t| super::definition::text_hash(t.as_bytes()) == hash) {
            found.entry(hash).or_insert((text, part));
        }
    }
    let (text, part) = match found.len() {
        1 => found.into_values().next().expect("one"),
        0 => return Err(MergeError::NoDefinitionInParts { folder }),
        n => return Err(MergeError::SeveralDefinitions { folder, n }),
    };
    let path = layout.definition();
    let tmp_dir = layout.tmp();
    crate::store::layout::sub_folder(&tmp_dir).map_err(SweepError::from)?;
    let tmp = tmp_name(&tmp_dir, &path);
    let write = |f: &mut std::fs::File| {
        use std::io::Write;
        f.write_all(text.as_bytes())
            .map_err(crate::store::StoreError::io(&tmp))
    };
    let staged = tmp.with_extension("restore");
    crate::store::write_atomic_via(&tmp, &staged, write).map_err(SweepError::from)?;
    if path.symlink_metadata().is_ok() {
        layout.quarantine_file(&path).map_err(SweepError::from)?;
    }
    std::fs::rename(&staged, &path)
        .map_err(crate::store::StoreError::io(&path))
        .map_err(SweepError::from)?;
    Ok(part)
}

/// The rows of a folder, one per run, and what is missing or damaged.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    /// One row per complete run, sorted by (point, replicate).
    pub rows: Vec<Row>,
    /// Runs without a row.
    pub missing: Vec<Task>,
    /// Damaged part files (`path: why`), left in place by reading commands.
    pub damaged: Vec<String>,
    /// A refining sweep's progress (its levels planned from the rows).
    pub refine: Option<super::refine::Progress>,
    /// Runs known so far: all of a plain sweep, the planned levels' of a refining one.
    pub planned: usize,
}

/// Every complete row of a folder, one per run, sorted, with the runs still missing. Reads
/// only: damaged part files are reported, not moved. Rows of one run found twice must be
/// identical bit for bit (NaN equals NaN; timings aside): see [`collect_rows`].
pub fn gather(def: &SweepDef, layout: &Layout) -> Result<Gathered, MergeError> {
    // One row per run, sorted; a run twice with different values is an error.
    let (rows, damaged) = collect_rows(def, layout, OnDamage::Report)?;
    let (levels, refine) = planned_tasks(def, &rows);
    let have: std::collections::BTreeSet<(u32, u32)> =
        rows.iter().filter_map(|r| r.key()).collect();
    let planned = levels.iter().map(Vec::len).sum();
    let missing = levels
        .into_iter()
        .flatten()
        .filter(|t| !have.contains(&(t.point as u32, t.replicate)))
        .collect();
    Ok(Gathered {
        rows,
        missing,
        damaged,
        refine,
        planned,
    })
}

/// Checks completeness and writes `results.parquet`; returns the rows written and the
/// damaged part files that were left out (`path: why`; their runs are in other files).
pub fn merge(dir: &Path, limits: &Limits) -> Result<(Vec<Row>, Vec<String>), MergeError> {
    let def = folder_definition_with(dir, limits)?;
    let layout = Layout::new(dir);
    let Gathered {
        rows,
        missing,
        damaged,
        planned,
        ..
    } = gather(&def, &layout)?;
    if !missing.is_empty() {
        let examples = missing
            .iter()
            .take(10)
            .map(|t| {
                format!(
                    "point {} ({}) rep {}",
                    t.point,
                    def.describe(t.point),
                    t.replicate
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(MergeError::Incomplete {
            folder: dir.display().to_string(),
            missing: missing.len(),
            total: planned,
            examples,
            damaged: if damaged.is_empty() {
                String::new()
            } else {
                format!("; damaged part files: {}", damaged.join("; "))
            },
        });
    }
    let path = layout.merged();
    let parts: Vec<String> = layout
        .part_files()
        .map_err(SweepError::from)?
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let prov = provenance_json(
        &def,
        serde_json::json!({
            "merged_from": parts,
            "rows": rows.len(),
            "merged": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }),
    );
    let md = vec![
        (META_KEY.to_string(), prov),
        (HASH_KEY.to_string(), def.hash.clone()),
    ];
    crate::store::layout::sub_folder(&layout.tmp()).map_err(SweepError::from)?;
    write_part(&tmp_name(&layout.tmp(), &path), &path, &rows, &md).map_err(SweepError::from)?;
    Ok((rows, damaged))
}
