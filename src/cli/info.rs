//! `brunel models`, `brunel params`, `brunel theory`.

use crate::model::{self, brunel};
use crate::theory::{analyse, stationary_states, theory_json, MeanFieldParams};

pub fn models() -> anyhow::Result<()> {
    for m in model::MODELS {
        println!("{:<10} {}", m.name, m.summary);
    }
    Ok(())
}

pub fn params(name: &str) -> anyhow::Result<()> {
    let m = model::find(name)?;
    println!(
        "{:<18} {:>10}  {:<8} {:<27} meaning",
        "name", "default", "unit", "allowed"
    );
    for d in m.params {
        println!(
            "{:<18} {:>10}  {:<8} {:<27} {}",
            d.name,
            d.default,
            d.unit,
            d.range.to_string(),
            d.meaning
        );
    }
    Ok(())
}

/// `brunel theory`: the stationary states of `sets` and each stable one's stability and label
/// (regular below `regular_max_cv`).
pub fn theory(sets: &[String], json: bool, regular_max_cv: f64) -> anyhow::Result<()> {
    let m = &brunel::MODEL;
    let p = m.with_assignments(sets)?;
    // The theory builds no network: sizes and memory are not checked, only the values.
    m.spec(&p)?;
    let mf = MeanFieldParams::from_brunel(&p);
    if json {
        println!("{}", theory_json(&mf, regular_max_cv));
        return Ok(());
    }
    println!(
        "model brunel: g = {}, eta = {}, C_E = {}, C_I = {}, J = {} mV, V_r = {} mV",
        mf.g,
        p.get("eta"),
        mf.c_e,
        mf.c_i,
        mf.j_mv,
        mf.v_r_mv
    );
    println!("nu_thr = {:.4} Hz per input; nu_ext = {:.4} Hz; external drive C_E·nu_ext = {:.1} Hz per neuron", mf.nu_thr_hz(), mf.nu_ext_hz, mf.c_e * mf.nu_ext_hz);
    let states = stationary_states(&mf);
    println!(
        "{:>12} {:>10} {:>10} {:>8}  stability (rate dynamics)",
        "rate (Hz)", "mu (mV)", "sigma (mV)", "CV ISI"
    );
    for s in &states {
        println!(
            "{:>12.4} {:>10.3} {:>10.3} {:>8.3}  {}",
            s.rate_hz,
            s.mu_mv,
            s.sigma_mv,
            s.cv_isi,
            if s.stable { "stable" } else { "unstable" }
        );
    }
    if states.len() > 1 {
        println!(
            "{} stationary states: the network is multistable here.",
            states.len()
        );
    }
    // Linear stability of each stable stationary state (Brunel 2000 §5, Appendix A).
    let d_ms = p.get("D_ms");
    println!(
        "linear stability (delay D = {d_ms} ms); leading eigenvalues, growth > 0 is unstable:"
    );
    for s in states.iter().filter(|s| s.stable) {
        let st = analyse(&mf, s, regular_max_cv);
        let modes = st.modes;
        println!(
            "  state at {:.4} Hz: theory regime {}",
            s.rate_hz,
            st.regime.label()
        );
        match st.peak {
            Some(p) => println!(
                "    finite-size spectrum: peak at {:.1} Hz, {:.1} × the Poisson floor (N·S_A/nu0, any N at this C_E)",
                p.frequency_hz, p.power
            ),
            None if s.rate_hz >= crate::theory::THEORY_QUIESCENT_MAX_HZ => println!(
                "    finite-size spectrum: none (a mode grows, or none was found: no stable state to predict)"
            ),
            None => {}
        }
        if modes.is_empty() {
            println!("    (no eigenvalue found by the root search)");
            continue;
        }
        println!("    {:>14} {:>16}", "growth (1/s)", "frequency (Hz)");
        for m in modes.iter().take(4) {
            println!("    {:>14.2} {:>16.2}", m.growth_per_s, m.frequency_hz);
        }
    }
    Ok(())
}
