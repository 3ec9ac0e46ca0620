//! The tutorial network against Brian2: mean E/I rates and CVs over 10 seeds compared with
//! the Brian2 reference in `tests/reference/` (produced by `bench/brian2_tutorial.py`, command
//! in `tests/reference/README.md`). The two simulators use different random streams, so the
//! means are compared statistically: |ours − Brian2| < 3·sqrt(se_ours² + se_brian2²) + a
//! small allowance for the documented convention differences (Brian2's PoissonGroup emits at
//! most one spike per step, and its synaptic latency is delay + dt).

use brunel::analysis::classify::ClassifierSettings;
use brunel::analysis::AnalysisSettings;
use brunel::model::tutorial::MODEL;
use brunel::run::run;
use serde_json::Value;

struct Stats {
    mean: f64,
    se: f64,
}

fn stats(xs: &[f64]) -> Stats {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    Stats {
        mean,
        se: sd / n.sqrt(),
    }
}

fn reference(file: &str, key: &str) -> Stats {
    let path = format!("{}/tests/reference/{file}", env!("CARGO_MANIFEST_DIR"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let s = &v["summary"][key];
    let n = s["n"].as_f64().unwrap();
    Stats {
        mean: s["mean"].as_f64().unwrap(),
        se: s["sd"].as_f64().unwrap() / n.sqrt(),
    }
}

/// (E rate, I rate, E CV, I CV) per seed.
fn ours(sets: &[&str]) -> Vec<[f64; 4]> {
    let p = MODEL.with_assignments(sets).unwrap();
    (1..=10)
        .map(|seed| {
            let o = run(
                &MODEL,
                &p,
                seed,
                &AnalysisSettings::default(),
                &ClassifierSettings::default(),
            )
            .unwrap();
            let e = o.measures.population("E").unwrap();
            let i = o.measures.population("I").unwrap();
            [e.rate_hz, i.rate_hz, e.cv_isi, i.cv_isi]
        })
        .collect()
}

fn compare(file: &str, sets: &[&str]) -> Vec<f64> {
    let runs = ours(sets);
    let keys = [
        ("rate_e_hz", 0.3),
        ("rate_i_hz", 0.3),
        ("cv_e", 0.02),
        ("cv_i", 0.02),
    ];
    let mut means = vec![];
    for (k, (key, allowance)) in keys.iter().enumerate() {
        let col: Vec<f64> = runs.iter().map(|r| r[k]).collect();
        let o = stats(&col);
        let r = reference(file, key);
        let tol = 3.0 * (o.se.powi(2) + r.se.powi(2)).sqrt() + allowance;
        eprintln!(
            "{file} {key}: ours {:.3} ± {:.3} (se), Brian2 {:.3} ± {:.3}; tolerance {:.3}",
            o.mean, o.se, r.mean, r.se, tol
        );
        assert!(
            (o.mean - r.mean).abs() < tol,
            "{file} {key}: ours {:.3} vs Brian2 {:.3} (tolerance {tol:.3})",
            o.mean,
            r.mean
        );
        means.push(o.mean);
    }
    means
}

#[test]
fn tutorial_matches_brian2() {
    compare("brian2_tutorial.json", &[]);
}

#[test]
fn tutorial_extension_at_50_hz_matches_brian2_and_raises_the_e_rate() {
    let with = compare("brian2_tutorial_ext50.json", &["ext_rate_hz=50"]);
    let without = stats(&ours(&[]).iter().map(|r| r[0]).collect::<Vec<_>>()).mean;
    assert!(
        with[0] > without + 3.0,
        "E rate {:.2} Hz with the extension vs {without:.2} without",
        with[0]
    );
}
