//! Merging: checks a results folder for completeness and writes one consolidated file.

use super::definition::SweepDef;
use super::runner::{all_tasks, collect_rows, SweepError, Task, HASH_KEY, META_KEY};
use crate::store::layout::{tmp_name, Layout};
use crate::store::results::{rows_to_frame, Row};
use crate::store::{self, StoreError};
use std::collections::BTreeMap;
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
    #[error("{missing} of {total} runs are missing in {folder}, e.g. {examples}; run the missing shards (or `brunel sweep {folder}/definition.toml --out {folder}`) and merge again")]
    Incomplete {
        folder: String,
        missing: usize,
        total: usize,
        examples: String,
    },
    #[error("run (point {point}, replicate {replicate}) appears twice in {folder} with different values")]
    Conflict {
        folder: String,
        point: u32,
        replicate: u32,
    },
}

/// The definition stored in a results folder.
pub fn folder_definition(dir: &Path) -> Result<SweepDef, MergeError> {
    let layout = Layout::new(dir);
    let path = layout.definition();
    if !path.exists() {
        return Err(MergeError::NotResults {
            folder: dir.display().to_string(),
        });
    }
    Ok(SweepDef::load(&path)?)
}

/// Every complete row of a folder, one per run, sorted, with the runs still missing.
pub fn gather(def: &SweepDef, layout: &Layout) -> Result<(Vec<Row>, Vec<Task>), MergeError> {
    let (rows, _) = collect_rows(def, layout)?;
    let mut by_key: BTreeMap<(u32, u32), Row> = BTreeMap::new();
    for r in rows {
        let k = r.key();
        if let Some(prev) = by_key.get(&k) {
            if prev.without_timings() != r.without_timings() {
                return Err(MergeError::Conflict {
                    folder: layout.root.display().to_string(),
                    point: k.0,
                    replicate: k.1,
                });
            }
            continue;
        }
        by_key.insert(k, r);
    }
    let missing = all_tasks(def)
        .into_iter()
        .filter(|t| !by_key.contains_key(&(t.point as u32, t.replicate)))
        .collect();
    Ok((by_key.into_values().collect(), missing))
}

/// Checks completeness and writes `results.parquet`; returns the rows written.
pub fn merge(dir: &Path) -> Result<Vec<Row>, MergeError> {
    let def = folder_definition(dir)?;
    let layout = Layout::new(dir);
    let (rows, missing) = gather(&def, &layout)?;
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
            total: def.n_runs(),
            examples,
        });
    }
    let path = layout.merged();
    let mut df = rows_to_frame(&rows)
        .map_err(StoreError::pq(&path))
        .map_err(SweepError::from)?;
    let prov = serde_json::json!({
        "name": def.name,
        "definition_hash": def.hash,
        "definition": def.text,
        "version": env!("CARGO_PKG_VERSION"),
        "merged_from": layout.part_files().map_err(SweepError::from)?.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "rows": rows.len(),
        "merged": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    });
    let md = vec![
        (META_KEY.to_string(), prov.to_string()),
        (HASH_KEY.to_string(), def.hash.clone()),
    ];
    std::fs::create_dir_all(layout.tmp())
        .map_err(StoreError::io(&layout.tmp()))
        .map_err(SweepError::from)?;
    store::write_parquet_via(&tmp_name(&layout.tmp(), &path), &path, &mut df, &md)
        .map_err(SweepError::from)?;
    Ok(rows)
}
