//! `brunel theory --boundaries`: the theory's boundary lines over a g × eta region, written
//! as a Parquet table and a Fig.-2-style figure, with a summary of each line.

use crate::model::brunel;
use crate::plot::phase_diagram::phase_diagram;
use crate::store::boundaries::write_boundaries;
use crate::theory::boundaries::{boundaries_for, Boundaries, Region};
use anyhow::{bail, Context};
use std::path::Path;
use std::time::Instant;

/// Parses `A:B` given to `--flag` into two finite numbers.
pub fn parse_range(flag: &str, text: &str) -> anyhow::Result<(f64, f64)> {
    let expected = format!("expected {flag} A:B with two numbers, 0 ≤ A < B (e.g. {flag} 0:8)");
    let Some((a, b)) = text.split_once(':') else {
        bail!("{flag} `{text}`: no `:`; {expected}");
    };
    let num = |s: &str| -> anyhow::Result<f64> {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{flag} `{text}`: `{s}` is not a number; {expected}"))?;
        if !v.is_finite() {
            bail!("{flag} `{text}`: `{s}` is not a finite number; {expected}");
        }
        Ok(v)
    };
    Ok((num(a)?, num(b)?))
}

/// Traces the lines for `sets` over the region (regular below `regular_max_cv`) and writes
/// `out`/boundaries.parquet and `out`/phase_diagram.png; prints one line per polyline.
pub fn run(
    sets: &[String],
    g: Option<&str>,
    eta: Option<&str>,
    out: Option<&Path>,
    regular_max_cv: f64,
) -> anyhow::Result<()> {
    let Some(out) = out else {
        bail!(
            "--boundaries needs --out DIR: the folder that receives boundaries.parquet and \
             phase_diagram.png"
        );
    };
    let m = &brunel::MODEL;
    let p = m.with_assignments(sets)?;
    // The theory builds no network: sizes and memory are not checked, only the values.
    m.spec(&p)?;
    let d = Region::FIG2;
    let g = g
        .map(|t| parse_range("--g", t))
        .transpose()?
        .unwrap_or((d.g_min, d.g_max));
    let eta = eta
        .map(|t| parse_range("--eta", t))
        .transpose()?
        .unwrap_or((d.eta_min, d.eta_max));
    let region = Region::new(g, eta)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the --out folder {}", out.display()))?;
    let t0 = Instant::now();
    let b = boundaries_for(&p, &region, regular_max_cv)?;
    let secs = t0.elapsed().as_secs_f64();
    let (d_ms, v_r) = (p.get("D_ms"), p.get("V_r"));
    print_summary(&b, d_ms, v_r, secs);
    let provenance = serde_json::json!({
        "program": "brunel",
        "version": env!("CARGO_PKG_VERSION"),
        "model": "brunel",
        "parameters": p.to_map(),
        "overrides": p.overrides(),
        "region": b.region,
        "regular_max_cv": regular_max_cv,
        "notes": b.notes,
        "trace_s": secs,
        "columns": "line (left|right labels of theory_regime, or saddle-node), kind, segment, point, g, eta, frequency_hz, nu0_hz",
    });
    let parquet = out.join("boundaries.parquet");
    write_boundaries(&parquet, &b, &provenance.to_string())?;
    let png = out.join("phase_diagram.png");
    let heading = title(&p, d_ms, v_r);
    crate::store::write_by_path(&png, |path| phase_diagram(&b, path, &heading))?;
    println!("wrote {} and {}", parquet.display(), png.display());
    Ok(())
}

/// "… D = 1.5 ms, V_r = 10 mV" and any other override except g and eta.
fn title(p: &crate::model::ParamSet, d_ms: f64, v_r: f64) -> String {
    let others: Vec<String> = p
        .overrides()
        .into_iter()
        .filter(|o| {
            !["g=", "eta=", "D_ms=", "V_r="]
                .iter()
                .any(|k| o.starts_with(k))
        })
        .collect();
    let mut t =
        format!("Theory's phase diagram (Brunel 2000, Fig. 2): D = {d_ms} ms, V_r = {v_r} mV");
    if !others.is_empty() {
        t.push_str(&format!(", {}", others.join(", ")));
    }
    t
}

fn range(lo: f64, hi: f64, digits: usize) -> String {
    if lo.is_finite() {
        format!("{lo:.digits$}–{hi:.digits$}")
    } else {
        "–".to_string()
    }
}

fn print_summary(b: &Boundaries, d_ms: f64, v_r: f64, secs: f64) {
    let r = b.region;
    println!(
        "theory's lines over g {}–{}, eta {}–{} (D = {d_ms} ms, V_r = {v_r} mV): {} polylines, traced in {secs:.2} s",
        r.g_min,
        r.g_max,
        r.eta_min,
        r.eta_max,
        b.lines.len()
    );
    println!(
        "  {:<20} {:<12} {:>6}  {:<13} {:<13} {:<15} {}",
        "line", "kind", "points", "g", "eta", "frequency (Hz)", "nu0 (Hz)"
    );
    for l in &b.lines {
        let (g0, g1) = l.extent(|p| p.g);
        let (e0, e1) = l.extent(|p| p.eta);
        let (f0, f1) = l.extent(|p| p.frequency_hz);
        let (n0, n1) = l.extent(|p| p.nu0_hz);
        println!(
            "  {:<20} {:<12} {:>6}  {:<13} {:<13} {:<15} {}",
            l.name,
            l.kind.label(),
            l.points.len(),
            range(g0, g1, 3),
            range(e0, e1, 3),
            range(f0, f1, 1),
            range(n0, n1, 2)
        );
    }
    for n in &b.notes {
        println!("  note: {n}");
    }
}
