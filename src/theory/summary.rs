//! The theory at one parameter set as JSON, shared by `brunel theory --json` and the Python
//! package.

use super::{stationary_states, MeanFieldParams};

/// The mean field and linear stability as one JSON object (`brunel theory --json`, and
/// `brunel.theory()` in Python): every stationary state, each stable one analysed, and the
/// lowest stable state's eigenvalues and label (regular below `regular_max_cv`).
pub fn theory_json(mf: &MeanFieldParams, regular_max_cv: f64) -> serde_json::Value {
    let states = stationary_states(mf);
    // Each stable state is analysed once; the lowest one is the headline.
    let analysed: Vec<Option<crate::theory::Stability>> = states
        .iter()
        .map(|s| {
            s.stable
                .then(|| crate::theory::analyse(mf, s, regular_max_cv))
        })
        .collect();
    let listed: Vec<serde_json::Value> = states
        .iter()
        .zip(&analysed)
        .map(|(s, st)| {
            serde_json::json!({
                "rate_hz": s.rate_hz,
                "mu_mv": s.mu_mv,
                "sigma_mv": s.sigma_mv,
                "cv_isi": s.cv_isi,
                "stable_rate_dynamics": s.stable,
                "eigenvalues": st.as_ref().map(|a| a.modes.clone()),
                "regime": st.as_ref().map(|a| a.regime.label()),
                "spectrum_peak": st.as_ref().and_then(|a| a.peak),
                "note": st.as_ref().map(|a| a.note.clone()),
            })
        })
        .collect();
    let principal = analysed.iter().flatten().next();
    serde_json::json!({
        "model": "brunel",
        "inputs": mf,
        "nu_thr_hz": mf.nu_thr_hz(),
        "rates_hz": states.iter().map(|s| s.rate_hz).collect::<Vec<_>>(),
        "states": listed,
        "rate_hz": principal.map(|a| a.rate_hz),
        "eigenvalues": principal.map(|a| a.modes.clone()).unwrap_or_default(),
        "regime": principal.map(|a| a.regime.label()),
        "spectrum_peak": principal.and_then(|a| a.peak),
    })
}
