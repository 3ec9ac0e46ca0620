//! The finite-size population spectrum (`brunel::theory::spectrum`, from the Riccati march of
//! the stability theory) against an independent computation: `tests/python/spectrum_reference.py`
//! solves the stationary rate by mpmath quadrature and evaluates Lindner's closed forms of the
//! rate responses and the spike-train spectrum with mpmath's parabolic cylinder functions
//! (20 digits), then the same two-population formula (research note finite-size-spectrum.md
//! §1.5). Two points: Fig. 8 C (5, 2) and (4.5, 3), near the fast line, from 7.5 Hz to the
//! first k/D peak (≈ 700 Hz).
//!
//! Tolerances: the stationary rate to 1e-9 relative (bisection to 1e-12, Gauss–Legendre
//! Siegert integral); N·S_A/ν0 to 1e-6 relative (ψ is within 2e-9 of mpmath, and 1/|1 − L|²
//! amplifies errors by at most ~10² at the peaks here). A wrong sign, factor or channel shows
//! up at O(1).

mod common;

use brunel::model::brunel::MODEL;
use brunel::theory::spectrum::FiniteSizeSpectrum;
use brunel::theory::{stationary_states, MeanFieldParams};
use std::process::Command;

#[test]
fn population_spectrum_matches_mpmath_parabolic_cylinder_functions() {
    let py = common::check_venv_python();
    let out = Command::new(&py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/spectrum_reference.py"
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "spectrum_reference.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(refs.len(), 2);
    let mut worst: f64 = 0.0;
    for r in &refs {
        let (g, eta) = (r["g"].as_f64().unwrap(), r["eta"].as_f64().unwrap());
        let p = MODEL
            .with_assignments(&[format!("g={g}"), format!("eta={eta}")])
            .unwrap();
        let mf = MeanFieldParams::from_brunel(&p);
        let states = stationary_states(&mf);
        assert_eq!(states.len(), 1, "({g}, {eta}): {states:?}");
        let nu0 = states[0].rate_hz;
        let want_nu = r["nu0_hz"].as_f64().unwrap();
        assert!(
            (nu0 / want_nu - 1.0).abs() < 1e-9,
            "({g}, {eta}): rate {nu0} vs mpmath {want_nu}"
        );
        let s = FiniteSizeSpectrum::new(&mf, nu0).unwrap();
        let points = r["spectrum"].as_array().unwrap();
        assert!(points.len() >= 6);
        for fp in points {
            let (f, want) = (fp[0].as_f64().unwrap(), fp[1].as_f64().unwrap());
            let got = s.power(f);
            let err = (got / want - 1.0).abs();
            worst = worst.max(err);
            assert!(
                err < 1e-6,
                "({g}, {eta}) at {f} Hz: rust {got} vs mpmath {want} (rel. error {err:.2e})"
            );
        }
    }
    eprintln!("worst relative error of N·S_A/nu0 vs mpmath: {worst:.2e}");
}
