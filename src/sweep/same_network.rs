//! Whether two sweeps describe the same network and measurement window, so that comparing
//! their maps (`brunel compare`) means something: the same model, the same value of every
//! parameter neither of them sweeps (duration_ms, warmup_ms, N_E, J, ...), and the same
//! `[analysis]` and `[classifier]` settings, which decide the labels compared.

use super::definition::same_value;
use super::SweepDef;
use std::collections::BTreeSet;

/// Parameters that only choose what is recorded (sampled voltages), not the network, its
/// spikes or its labels: two sweeps may differ in them.
const RECORDING_ONLY: [&str; 2] = ["v_sample_n", "v_sample_every_ms"];

/// Every field in which `a` and `b` differ, as `field: A vs B` (empty when they match).
/// Parameters swept by either sweep (its map axes and facets) and [`RECORDING_ONLY`] ones are
/// not compared.
pub fn differing_fields(a: &SweepDef, b: &SweepDef) -> Vec<String> {
    if a.model.name != b.model.name {
        return vec![format!("model: {} vs {}", a.model.name, b.model.name)];
    }
    let swept: BTreeSet<String> = [a, b].iter().flat_map(|d| swept_params(d)).collect();
    let mut out: Vec<String> = a
        .base
        .iter()
        .filter(|(name, _)| !swept.contains(*name) && !RECORDING_ONLY.contains(name))
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

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "name = \"a\"\nmodel = \"brunel\"\nseed = 1\nduration_ms = 300\nwarmup_ms = 100\n[fixed]\nN_E = 400\nN_I = 100\nv_sample_n = 40\n[[axis]]\nparam = \"g\"\nvalues = [4, 5]\n[[axis]]\nparam = \"eta\"\nvalues = [1, 2]\n";

    fn def(text: &str) -> SweepDef {
        SweepDef::parse(text, "t.toml").unwrap()
    }

    #[test]
    fn swept_and_recording_parameters_are_not_differences() {
        let a = def(A);
        // Other axis values, seed, recording: the same network.
        let b = def(&A
            .replace("[4, 5]", "[2, 4, 6]")
            .replace("seed = 1", "seed = 9")
            .replace("v_sample_n = 40", "v_sample_n = 0"));
        assert!(differing_fields(&a, &b).is_empty());
        // A parameter swept by one of them only is not compared either.
        let c = def(&A
            .replace("param = \"g\"", "param = \"J\"")
            .replace("[4, 5]", "[0.1, 0.2]"));
        assert!(!differing_fields(&a, &c)
            .iter()
            .any(|f| f.starts_with("J:") || f.starts_with("g:")));
        let d = def(&format!(
            "{}[analysis]\nfano_bin_ms = 5\n",
            A.replace("warmup_ms = 100", "warmup_ms = 50")
        ));
        assert_eq!(
            differing_fields(&a, &d),
            vec![
                "warmup_ms: 100 vs 50".to_string(),
                "analysis.fano_bin_ms: 2.0 vs 5.0".to_string()
            ]
        );
    }
}
