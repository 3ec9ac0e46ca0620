//! Canonical coordinates (issue 20 #3): one point has the same bits, and so the same seed,
//! whichever grid (values, linspace, arange) or refinement level produced it; the shipped
//! definitions' values are unchanged by it (their runs keep their seeds).

use brunel::sweep::definition::{arange, canonical, linspace};
use brunel::sweep::SweepDef;

const HEAD: &str = "name = \"c\"\nmodel = \"brunel\"\nseed = 5\nseeds = \"coordinates\"\n[fixed]\nN_E = 400\nN_I = 100\n";

fn def(axes: &str, extra: &str) -> SweepDef {
    SweepDef::parse(&format!("{HEAD}{axes}{extra}"), "c.toml").unwrap()
}

/// (coordinates' bits, seed) of every point of `d`.
fn points(d: &SweepDef) -> Vec<(Vec<u64>, u64)> {
    (0..d.n_points())
        .map(|p| {
            let bits = d.coordinates(p).iter().map(|x| x.to_bits()).collect();
            (bits, d.run_seed(p, 0))
        })
        .collect()
}

#[test]
fn decimal_grids_share_every_lattice_point_bit_for_bit() {
    // The case: base g [4.1, 4.4, 4.7] × eta [1.1, 1.4], refined 2 levels (a 9 × 5
    // lattice), against the dense grid at the finest spacing given three ways.
    let adaptive = def(
        "[[axis]]\nparam = \"g\"\nvalues = [4.1, 4.4, 4.7]\n[[axis]]\nparam = \"eta\"\nvalues = [1.1, 1.4]\n",
        "[refine]\nlevels = 2\n",
    );
    let dense = [
        "[[axis]]\nparam = \"g\"\nlinspace = { start = 4.1, stop = 4.7, num = 9 }\n[[axis]]\nparam = \"eta\"\nlinspace = { start = 1.1, stop = 1.4, num = 5 }\n",
        "[[axis]]\nparam = \"g\"\narange = { start = 4.1, stop = 4.71, step = 0.075 }\n[[axis]]\nparam = \"eta\"\narange = { start = 1.1, stop = 1.41, step = 0.075 }\n",
        "[[axis]]\nparam = \"g\"\nvalues = [4.1, 4.175, 4.25, 4.325, 4.4, 4.475, 4.55, 4.625, 4.7]\n[[axis]]\nparam = \"eta\"\nvalues = [1.1, 1.175, 1.25, 1.325, 1.4]\n",
    ];
    let lattice = points(&adaptive);
    assert_eq!(lattice.len(), 45);
    for (k, axes) in dense.iter().enumerate() {
        let grid = points(&def(axes, ""));
        assert_eq!(grid.len(), 45, "grid {k}");
        let same = lattice.iter().filter(|p| grid.contains(p)).count();
        assert_eq!(
            same, 45,
            "grid {k}: {same} of 45 lattice points are the same runs"
        );
    }
    // 4.475 as the lattice computes it, and as typed.
    assert_eq!(canonical(4.4 + (4.7 - 4.4) * 0.25), 4.475);
    assert_eq!(canonical(-0.0).to_bits(), 0.0f64.to_bits());
}

#[test]
fn canonical_form_keeps_typed_and_exact_values() {
    // What people type, exact fractions and dyadic steps are already canonical, so the
    // shipped grids (values, linspace of exact steps, arange of dyadic steps) keep their
    // bits and seeds.
    for x in [0.1, 0.3, 4.475, 1e-7, 123456.5, 2.0 / 3.0 * 3.0, 20.0, 0.8] {
        assert_eq!(canonical(x).to_bits(), x.to_bits(), "{x}");
    }
    for (a, b, n) in [
        (0.0, 8.0, 65),
        (0.0, 4.0, 41),
        (2.0, 8.0, 13),
        (1.0, 3.0, 9),
    ] {
        for x in linspace(a, b, n) {
            assert_eq!(
                canonical(x).to_bits(),
                x.to_bits(),
                "linspace({a}, {b}, {n}): {x}"
            );
        }
    }
    for (a, b, s) in [(0.0, 8.5, 1.0), (0.0, 4.25, 0.5)] {
        for x in arange(a, b, s) {
            assert_eq!(canonical(x).to_bits(), x.to_bits(), "arange: {x}");
        }
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sweeps");
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let d = SweepDef::load(&path).unwrap();
        for a in &d.axes {
            for x in &a.values {
                assert_eq!(
                    canonical(*x).to_bits(),
                    x.to_bits(),
                    "{}: {x}",
                    path.display()
                );
            }
        }
    }
    // Floating noise is removed.
    assert_eq!(canonical(0.1 + 0.2), 0.3);
    assert_eq!(canonical(4.4750000000000005), 4.475);
}
