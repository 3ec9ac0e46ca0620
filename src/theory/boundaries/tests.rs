//! The traced lines against the stability analysis they come from and against Brunel (2000):
//! Table 1 (B (6, 4) SI-fast at ≈ 190 Hz, C (5, 2) stable, D (4.5, 0.9) SI-slow at ≈ 29 Hz),
//! the closed-form approximation of the fast line (§5, "off by up to ~0.5 in eta" per the
//! facts note) and the shape of Fig. 2 (D = 1.5 ms).

use super::branch::at;
use super::*;
use crate::model::brunel::MODEL;
use crate::theory::stability::{analyse, StabilityProblem};
use crate::theory::stationary::{stationary_rates, stationary_states};
use num_complex::Complex64 as C;
use std::f64::consts::PI;
use std::sync::OnceLock;

/// The model's defaults (D = 1.5 ms, V_r = 10 mV).
fn base() -> MeanFieldParams {
    MeanFieldParams::from_brunel(&MODEL.defaults())
}

/// The default region's lines, traced once for all tests.
fn fig2() -> &'static Boundaries {
    static B: OnceLock<Boundaries> = OnceLock::new();
    B.get_or_init(|| trace_boundaries(&base(), &Region::FIG2, &TraceOptions::default()).unwrap())
}

fn named<'a>(b: &'a Boundaries, name: &str) -> Vec<&'a BoundaryLine> {
    b.lines.iter().filter(|l| l.name == name).collect()
}

/// Where the lines cross `coord = value` (linear interpolation between points).
fn crossings(
    lines: &[&BoundaryLine],
    coord: impl Fn(&BoundaryPoint) -> f64,
    value: f64,
) -> Vec<BoundaryPoint> {
    let mut out = Vec::new();
    for l in lines {
        for w in l.points.windows(2) {
            let (a, b) = (coord(&w[0]), coord(&w[1]));
            if (a - value) * (b - value) <= 0.0 && a != b {
                let t = (value - a) / (b - a);
                let lerp = |p: f64, q: f64| p + t * (q - p);
                out.push(BoundaryPoint {
                    g: lerp(w[0].g, w[1].g),
                    eta: lerp(w[0].eta, w[1].eta),
                    frequency_hz: lerp(w[0].frequency_hz, w[1].frequency_hz),
                    nu0_hz: lerp(w[0].nu0_hz, w[1].nu0_hz),
                });
            }
        }
    }
    out
}

#[test]
fn every_hopf_point_is_an_eigenvalue_on_the_axis_of_the_lowest_stable_state() {
    // Re-solved with the analysis' own Newton (default march step, |F| < 1e-9) from the
    // traced iω: the root stays on the axis to |Re λ| < 1e-4/τ (0.005 /s; growth rates
    // of the modes are 10–500 /s) at the traced frequency (1e-4 relative).
    let b = fig2();
    let mut checked = 0;
    for l in b.lines.iter().filter(|l| l.kind == BoundaryKind::Hopf) {
        let n = l.points.len();
        for i in [0, n / 4, n / 2, 3 * n / 4, n - 1] {
            let p = l.points[i];
            // Below 1 Hz (where `theory_regime` calls the growing mode unclassified) Newton
            // from iω may fall into the trivial root λ = 0.
            if p.frequency_hz < 1.0 {
                continue;
            }
            let mf = at(&base(), p.g, p.eta);
            let tau = mf.tau_m_ms * 1e-3;
            // nu0 is a root of the self-consistency, and the lowest stable one.
            let phi = mf.transfer_hz(p.nu0_hz);
            assert!(
                (phi - p.nu0_hz).abs() < 1e-6 * p.nu0_hz,
                "{}: {p:?}",
                l.name
            );
            let roots = stationary_rates(&mf);
            let low = roots.iter().find(|r| r.stable).unwrap().rate_hz;
            assert!(
                (low - p.nu0_hz).abs() < 1e-5 * p.nu0_hz,
                "{}: {p:?} {roots:?}",
                l.name
            );
            let omega = 2.0 * PI * p.frequency_hz * tau;
            let prob = StabilityProblem::new(&mf, p.nu0_hz, mf.d_ms);
            let z = prob.newton(C::new(0.0, omega)).unwrap();
            assert!(z.re.abs() < 1e-4, "{}: {p:?}: λ = {z}", l.name);
            assert!(
                (z.im - omega).abs() < 1e-4 * omega,
                "{}: {p:?}: λ = {z}",
                l.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} points");
}

#[test]
fn the_fast_line_crosses_eta_3_and_4_where_the_paper_has_it() {
    let b = fig2();
    let fast = named(b, "AI|SI-fast");
    assert!(!fast.is_empty(), "{:?}", b.lines);
    // Closed form of Brunel (2000) §5 for the fast line (K = D·θ/(τ·J) = 15, γ = 1/4).
    let approx = |g: f64| {
        let (k, gamma) = (15.0, 0.25);
        let a = g * (1.0 + g) * gamma / (g * gamma - 1.0);
        let c = PI / (4.0 * k);
        1.0 + c * a + ((c * a).powi(2) + PI / (2.0 * k)).sqrt()
    };
    let mut at_eta = Vec::new();
    for eta in [3.0, 4.0] {
        let x = crossings(&fast, |p| p.eta, eta);
        assert_eq!(x.len(), 1, "eta = {eta}: {x:?}");
        let p = x[0];
        // B (6, 4) lies beyond the line (SI-fast), the line runs right of g = 4.5.
        assert!(
            p.g > 4.5 && p.g < 6.0 + 2.0 * (4.0 - eta),
            "eta = {eta}: {p:?}"
        );
        assert!(
            (approx(p.g) - eta).abs() < 0.5,
            "eta = {eta}: {p:?}, closed form {}",
            approx(p.g)
        );
        // 1/(4D)–1/(3D) at D = 1.5 ms, with 10 % below 1/(4D).
        assert!(
            p.frequency_hz > 0.9 * 1000.0 / 6.0 && p.frequency_hz < 1000.0 / 4.5,
            "{p:?}"
        );
        at_eta.push(p.g);
    }
    // Falling towards lower eta at larger g.
    assert!(at_eta[0] > at_eta[1], "{at_eta:?}");
    // Table 1: C (5, 2) is stable and B (6, 4) unstable: the line passes between them.
    let low = crossings(&fast, |p| p.g, 5.0);
    assert!(low.iter().all(|p| p.eta > 2.0), "{low:?}");
}

#[test]
fn the_slow_line_crosses_g_4_5_and_5_just_above_eta_0_9() {
    let b = fig2();
    let slow = named(b, "AI|SI-slow");
    for g in [4.5, 5.0] {
        let x = crossings(&slow, |p| p.g, g);
        let top = x
            .iter()
            .max_by(|a, c| a.eta.total_cmp(&c.eta))
            .unwrap_or_else(|| panic!("g = {g}: no crossing in {slow:?}"));
        // Brunel's Fig. 2: just above eta ≈ 0.9; D (4.5, 0.9) lies inside (Table 1).
        assert!((top.eta - 0.9).abs() < 0.05, "g = {g}: {top:?}");
        if g == 4.5 {
            assert!(top.eta > 0.9, "{top:?}");
        }
        // The slow branch: 20–40 Hz, nu0 a few to a few tens of Hz.
        assert!((20.0..40.0).contains(&top.frequency_hz), "{top:?}");
        assert!((1.0..40.0).contains(&top.nu0_hz), "{top:?}");
    }
}

/// The label `brunel theory` gives at (g, eta): the lowest stable state's.
fn label(g: f64, eta: f64) -> Regime {
    let mf = at(&base(), g, eta);
    let states = stationary_states(&mf);
    let s = states.iter().find(|s| s.stable).unwrap();
    analyse(&mf, s, crate::regime::DEFAULT_REGULAR_MAX_CV).regime
}

#[test]
fn the_labels_on_either_side_are_those_the_name_says() {
    // At the middle of each polyline long enough to have one, a step of 0.015 in eta
    // (0.03 in g) to each side, away from other lines: the analysis' labels are "left|right".
    let b = fig2();
    let mut seen = std::collections::BTreeSet::new();
    for (k, l) in b.lines.iter().enumerate() {
        let Some((left, right)) = l.name.split_once('|') else {
            continue;
        };
        if left == right || l.points.len() < 8 {
            continue;
        }
        let i = l.points.len() / 2;
        let (p, a, c) = (l.points[i], l.points[i - 1], l.points[i + 1]);
        let (dg, de) = ((c.g - a.g) / 2.0, c.eta - a.eta);
        let len = dg.hypot(de);
        let d = 0.015;
        let side = |s: f64| (p.g - s * d * 2.0 * de / len, p.eta + s * d * dg / len);
        let clear = |q: (f64, f64)| {
            b.lines.iter().enumerate().all(|(j, m)| {
                j == k
                    || m.points
                        .iter()
                        .all(|r| ((r.g - q.0) / 2.0).hypot(r.eta - q.1) > 2.0 * d)
            })
        };
        let (lq, rq) = (side(1.0), side(-1.0));
        if !(clear(lq) && clear(rq)) {
            continue;
        }
        assert_eq!(label(lq.0, lq.1).label(), left, "{} left of {p:?}", l.name);
        assert_eq!(
            label(rq.0, rq.1).label(),
            right,
            "{} right of {p:?}",
            l.name
        );
        seen.insert(l.name.clone());
    }
    for name in ["AI|SI-fast", "AI|SI-slow", "AI|SR", "AR|SR", "AR|AI"] {
        assert!(seen.contains(name), "{name} not checked: {seen:?}");
    }
}

#[test]
fn the_regularity_line_is_where_the_cv_meets_the_threshold_and_no_rate_cuts_sr() {
    // Issue 17: the SR side is the k/D Hopf line, not a rate cut (0.5/τ_rp = 250 Hz before):
    // the only rate cut left is the quiescent one, and no line is SR on both sides.
    let b = fig2();
    for l in &b.lines {
        assert_ne!(l.name, "SR|SR", "{l:?}");
        if l.kind == BoundaryKind::RateCut {
            assert!(
                l.points.iter().all(|p| (p.nu0_hz - 0.2).abs() < 1e-6),
                "{l:?}"
            );
        }
    }
    // The regularity line: at its points the lowest stable state's CV (the default
    // quadrature, not the tracing's) is the threshold 0.2, its modes all decay, and it runs
    // on the high-rate branch between the k/D line (g ≈ 3.2–3.4) and g = 4.
    let cv_lines: Vec<&BoundaryLine> = b
        .lines
        .iter()
        .filter(|l| l.kind == BoundaryKind::CvCut)
        .collect();
    assert!(!cv_lines.is_empty(), "{:?}", b.lines);
    let mut checked = 0;
    for l in &cv_lines {
        assert_eq!(l.name, "AR|AI");
        for p in l.points.iter().step_by(5) {
            let mf = at(&base(), p.g, p.eta);
            let states = stationary_states(&mf);
            let s = states.iter().find(|s| s.stable).unwrap();
            assert!((s.rate_hz - p.nu0_hz).abs() < 1e-5 * p.nu0_hz, "{p:?}");
            assert!((s.cv_isi - 0.2).abs() < 1e-6, "{p:?}: CV {}", s.cv_isi);
            assert!(p.g > 3.1 && p.g < 4.0 && p.nu0_hz > 150.0, "{p:?}");
            let modes = crate::theory::eigenvalues(&mf, s.rate_hz, mf.d_ms);
            // (An end of the line may lie on the k/D Hopf line: growth 0 to the tracing's
            // tolerance, measured 0.02 /s; modes elsewhere grow or decay at 5–500 /s.)
            assert!(
                modes.iter().all(|m| m.growth_per_s < 0.1),
                "{p:?}: {modes:?}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn the_saddle_node_line_separates_one_root_from_three() {
    let b = fig2();
    let sn = named(b, SADDLE_NODE);
    assert!(!sn.is_empty());
    // Brunel: bistability at small g and low drive; the more-roots side is on the left.
    let l = sn[0];
    let p = l.points[l.points.len() / 3];
    let q = l.points[l.points.len() / 3 + 1];
    let (dg, de) = ((q.g - p.g) / 2.0, q.eta - p.eta);
    let len = dg.hypot(de);
    let count = |s: f64| {
        let (g, eta) = (p.g - s * 0.02 * de / len, p.eta + s * 0.01 * dg / len);
        stationary_rates(&at(&base(), g, eta)).len()
    };
    assert!(
        count(1.0) > count(-1.0),
        "{p:?}: {} vs {}",
        count(1.0),
        count(-1.0)
    );
}

#[test]
fn bad_regions_and_parameters_are_refused_with_the_flag_named() {
    for (g, eta, axis) in [
        ((f64::NAN, 1.0), (0.0, 4.0), "--g"),
        ((2.0, 1.0), (0.0, 4.0), "--g"),
        ((-1.0, 3.0), (0.0, 4.0), "--g"),
        ((1.0, 1.0), (0.0, 4.0), "--g"),
        ((0.0, 8.0), (0.0, f64::INFINITY), "--eta"),
    ] {
        let e = Region::new(g, eta).unwrap_err().to_string();
        assert!(e.starts_with(axis), "{e}");
    }
    let mut mf = base();
    mf.j_mv = f64::NAN;
    let e = trace_boundaries(&mf, &Region::FIG2, &TraceOptions::default()).unwrap_err();
    assert!(e.to_string().contains("J"), "{e}");
    let tutorial = crate::model::find("tutorial").unwrap().defaults();
    assert!(matches!(
        boundaries_for(&tutorial, &Region::FIG2, 0.2),
        Err(BoundaryError::NoMeanField { .. })
    ));
}

#[test]
fn quiet_and_degenerate_regions_give_a_stated_result() {
    // Below eta = 0.5 at g ≥ 5 the network is silent: no Hopf line, and a note says why.
    let quiet = Region::new((5.0, 8.0), (0.0, 0.5)).unwrap();
    let b = trace_boundaries(&base(), &quiet, &TraceOptions::default()).unwrap();
    assert!(
        b.lines.iter().all(|l| l.kind != BoundaryKind::Hopf),
        "{:?}",
        b.lines
    );
    assert!(
        b.notes.iter().any(|n| n.contains("quiescent")),
        "{:?}",
        b.notes
    );
    // eta = 0 on the edge, no refractoriness, a tiny region: finite answers, no panic.
    let mut mf = base();
    mf.tau_rp_ms = 0.0;
    let tiny = Region::new((3.0, 3.01), (0.0, 0.01)).unwrap();
    let b = trace_boundaries(&mf, &tiny, &TraceOptions::default()).unwrap();
    for l in &b.lines {
        assert!(l.points.iter().all(|p| tiny.contains(p.g, p.eta)), "{l:?}");
    }
}
