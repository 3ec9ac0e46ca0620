//! The theory's boundary lines as a Parquet table: one row per traced point, in order along
//! each line, with the line's name, kind and polyline index.

use super::{write_parquet, StoreError};
use crate::theory::boundaries::Boundaries;
use polars::prelude::*;
use std::path::Path;

/// Key of the provenance JSON in the file's key-value metadata.
pub const META_KEY: &str = "brunel_boundaries";

/// Writes `b` to `path` atomically: columns `line` (name, "left|right" labels or
/// `saddle-node`), `kind` (hopf, saddle-node, rate-cut), `segment` (which polyline, from 0),
/// `point` (index along it), `g`, `eta`, `frequency_hz` (NaN off Hopf lines), `nu0_hz`; the
/// JSON `provenance` under [`META_KEY`].
pub fn write_boundaries(path: &Path, b: &Boundaries, provenance: &str) -> Result<(), StoreError> {
    let mut df = lines_frame(path, b)?;
    write_parquet(
        path,
        &mut df,
        &[(META_KEY.to_string(), provenance.to_string())],
    )
}

/// Writes the lines of several facets of a sweep to `path` atomically: the columns of
/// [`write_boundaries`] plus `facet` (its number) and one column per facet parameter with its
/// value. Without facet values (a two-axis sweep) the file is exactly [`write_boundaries`]'s.
pub fn write_faceted(
    path: &Path,
    facets: &[(Vec<(String, f64)>, &Boundaries)],
    provenance: &str,
) -> Result<(), StoreError> {
    let mut frames = Vec::with_capacity(facets.len());
    for (k, (values, b)) in facets.iter().enumerate() {
        let mut df = lines_frame(path, b)?;
        if !values.is_empty() {
            let n = df.height();
            let mut cols = vec![Column::new("facet".into(), vec![k as u32; n])];
            cols.extend(
                values
                    .iter()
                    .map(|(name, v)| Column::new(name.as_str().into(), vec![*v; n])),
            );
            df.hstack_mut(&cols).map_err(StoreError::pq(path))?;
        }
        frames.push(df);
    }
    let Some(mut all) = frames.pop() else {
        return Ok(());
    };
    for df in frames.iter().rev() {
        all = df.vstack(&all).map_err(StoreError::pq(path))?;
    }
    write_parquet(
        path,
        &mut all,
        &[(META_KEY.to_string(), provenance.to_string())],
    )
}

/// The table of one set of lines (see [`write_boundaries`]).
fn lines_frame(path: &Path, b: &Boundaries) -> Result<DataFrame, StoreError> {
    boundaries_frame(b).map_err(StoreError::pq(path))
}

/// The lines of `b` as a table, the columns of [`write_boundaries`] (`brunel.boundaries()`
/// in Python).
pub fn boundaries_frame(b: &Boundaries) -> PolarsResult<DataFrame> {
    let (mut line, mut kind, mut segment, mut point) = (vec![], vec![], vec![], vec![]);
    let (mut g, mut eta, mut freq, mut nu0) = (vec![], vec![], vec![], vec![]);
    for (s, l) in b.lines.iter().enumerate() {
        for (i, p) in l.points.iter().enumerate() {
            line.push(l.name.as_str());
            kind.push(l.kind.label());
            segment.push(s as u32);
            point.push(i as u32);
            g.push(p.g);
            eta.push(p.eta);
            freq.push(p.frequency_hz);
            nu0.push(p.nu0_hz);
        }
    }
    df!(
        "line" => line,
        "kind" => kind,
        "segment" => segment,
        "point" => point,
        "g" => g,
        "eta" => eta,
        "frequency_hz" => freq,
        "nu0_hz" => nu0,
    )
}
