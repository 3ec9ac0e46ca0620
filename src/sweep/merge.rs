//! Merging: checks a results folder for completeness and writes one consolidated file.

use super::definition::Limits;
use super::definition::SweepDef;
use super::parts::write_part;
use super::row::Row;
use super::runner::{
    collect_rows, planned_tasks, provenance_json, OnDamage, SweepError, Task, HASH_KEY, META_KEY,
};
use crate::store::layout::{tmp_name, Layout};
use std::path::Path;

/// Why a folder cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{folder} has no definition.toml: not a sweep results folder")]
    NotResults { folder: String },
    #[error(transparent)]
    Definition(#[from] super::definition::DefinitionError),
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

/// The definition stored in a results folder, checked against `limits`.
pub fn folder_definition_with(dir: &Path, limits: &Limits) -> Result<SweepDef, MergeError> {
    let layout = Layout::new(dir);
    let path = layout.definition();
    if !path.exists() {
        return Err(MergeError::NotResults {
            folder: dir.display().to_string(),
        });
    }
    Ok(SweepDef::load_with(&path, limits)?)
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

/// Checks completeness and writes `results.parquet`; returns the rows written.
pub fn merge(dir: &Path, limits: &Limits) -> Result<Vec<Row>, MergeError> {
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
    std::fs::create_dir_all(layout.tmp())
        .map_err(crate::store::StoreError::io(&layout.tmp()))
        .map_err(SweepError::from)?;
    write_part(&tmp_name(&layout.tmp(), &path), &path, &rows, &md).map_err(SweepError::from)?;
    Ok(rows)
}
