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
    let mut df = df!(
        "line" => line,
        "kind" => kind,
        "segment" => segment,
        "point" => point,
        "g" => g,
        "eta" => eta,
        "frequency_hz" => freq,
        "nu0_hz" => nu0,
    )
    .map_err(StoreError::pq(path))?;
    write_parquet(
        path,
        &mut df,
        &[(META_KEY.to_string(), provenance.to_string())],
    )
}
