//! ψ(y; λ) = φ2'/φ2 of the stability theory (forward RK4 march of the homogeneous equation,
//! `brunel::theory::psi`) against an independent implementation: mpmath's parabolic cylinder
//! function D_ν of complex order at 40 digits (`tests/python/psi_reference.py`, run in the test
//! venv that `tests/python/setup-venv.sh` creates).
//!
//! Tolerance: |ψ_rust − ψ_mpmath| ≤ 1e-8·max(1, |ψ|). The RK4 error at the default step is
//! ~1e-11 relative (step-halving test in `src/theory/stability.rs`), the starting error at
//! y = −12 is damped by e^{−100} or more, so 1e-8 leaves a wide margin while catching any error
//! of transcription (a wrong sign or factor shows up at O(1)).

mod common;

use brunel::theory::psi;
use num_complex::Complex64;
use std::process::Command;

#[test]
fn psi_matches_mpmath_parabolic_cylinder_functions() {
    let py = common::check_venv_python();
    let out = Command::new(&py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/psi_reference.py"
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psi_reference.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(refs.len() >= 8);
    let mut worst: f64 = 0.0;
    for r in &refs {
        let y = r["y"].as_f64().unwrap();
        let lam = Complex64::new(r["lam"][0].as_f64().unwrap(), r["lam"][1].as_f64().unwrap());
        let want = Complex64::new(r["psi"][0].as_f64().unwrap(), r["psi"][1].as_f64().unwrap());
        let got = psi(y, lam);
        let err = (got - want).norm() / want.norm().max(1.0);
        worst = worst.max(err);
        assert!(
            err <= 1e-8,
            "y = {y}, λ = {lam}: rust {got} vs mpmath {want} (rel. error {err:.2e})"
        );
    }
    eprintln!("worst relative error of ψ vs mpmath: {worst:.2e}");
}
