//! Whether two sweeps describe the same network and measurement window, so that comparing
//! their maps (`brunel compare`) means something: the same model, the same value of every
//! parameter neither of them sweeps (duration_ms, warmup_ms, N_E, J, ...), and the same
//! `[analysis]` and `[classifier]` settings, which decide the labels compared.

use super::definition::same_value;
use super::SweepDef;
use std::collections::BTreeSet;

/// Every field in which `a` and `b` differ, as `field: A vs B` (empty when they match).
/// Parameters swept by either sweep (its map axes and facets) are not compared.
pub fn differing_fields(a: &SweepDef, b: &SweepDef) -> Vec<String> {
    if a.model.name != b.model.name {
        return vec![format!("model: {} vs {}", a.model.name, b.model.name)];
    }
    let swept: BTreeSet<String> = [a, b].iter().flat_map(|d| swept_params(d)).collect();
    let mut out: Vec<String> = a
        .base
        .iter()
        .filter(|(name, _)| !swept.contains(*name))
        .filter_map(|(name, x)| {
            let y = b.base.get(name);
            (!same_value(x, y)).then(|| format!("{name}: {x} vs {y}"))
        })
        .collect();
    out.extend(settings_differences(
        "analysis",
        toml::Value::try_from(a.analysis),
        toml::Value::try_from(b.analysis),
    ));
    out.extend(settings_differences(
        "classifier",
        toml::Value::try_from(a.classifier),
        toml::Value::try_from(b.classifier),
    ));
    out
}

/// The parameters a sweep varies: its map axes and every facet axis's parameters.
fn swept_params(d: &SweepDef) -> Vec<String> {
    d.axes
        .iter()
        .map(|a| a.param.clone())
        .chain(d.facets.iter().flat_map(|f| f.params.iter().cloned()))
        .collect()
}

/// `table.key: A vs B` for every key of two settings tables that differs.
fn settings_differences(
    table: &str,
    a: Result<toml::Value, toml::ser::Error>,
    b: Result<toml::Value, toml::ser::Error>,
) -> Vec<String> {
    let (Ok(toml::Value::Table(a)), Ok(toml::Value::Table(b))) = (a, b) else {
        return vec![format!("[{table}]: cannot be compared")];
    };
    a.iter()
        .filter_map(|(k, x)| {
            let y = b.get(k)?;
            let same = match (x.as_float(), y.as_float()) {
                (Some(x), Some(y)) => same_value(x, y),
                _ => x == y,
            };
            (!same).then(|| format!("{table}.{k}: {x} vs {y}"))
        })
        .collect()
}
