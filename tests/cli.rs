//! The `brunel` binary as a user meets it: files written, errors, determinism.

mod common;
use common::*;
use std::path::Path;

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn simulate_tutorial_writes_four_files_and_is_deterministic() {
    let d = scratch("sim");
    let out = brunel(&["simulate", "--model", "tutorial", "--out", "a"], &d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("population") && stdout.contains("rate (Hz)"),
        "{stdout}"
    );
    for f in [
        "raster.png",
        "spikes.parquet",
        "connectivity.png",
        "summary.json",
        "spectrum.png",
    ] {
        let p = d.join("a").join(f);
        assert!(
            p.metadata().map(|m| m.len() > 100).unwrap_or(false),
            "{f} missing or empty"
        );
    }
    let s = summary(&d.join("a"));
    let e_rate = s["measures"]["populations"][0]["rate_hz"].as_f64().unwrap();
    assert!(e_rate > 1.0 && e_rate < 30.0, "E rate {e_rate}");
    // No stray temporary files.
    assert!(std::fs::read_dir(d.join("a")).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));

    assert!(brunel(&["simulate", "--out", "b"], &d).status.success());
    assert!(brunel(&["simulate", "--out", "c", "--seed", "2"], &d)
        .status
        .success());
    let read = |x: &str| std::fs::read(d.join(x).join("spikes.parquet")).unwrap();
    assert_eq!(
        read("a"),
        read("b"),
        "same seed must give byte-identical spikes.parquet"
    );
    assert_ne!(read("a"), read("c"), "different seeds must differ");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_settings_exit_nonzero_with_one_line_and_write_nothing() {
    let d = scratch("bad");
    let cases: &[(&[&str], &str)] = &[
        (&["--set", "nope=1"], "nope"),
        (&["--set", "p_conn=abc"], "p_conn"),
        (&["--set", "input_rate_hz=-5"], "[0, inf)"),
        (&["--set", "p_conn=1.5"], "[0, 1]"),
        (&["--set", "dt_ms=0"], "dt_ms"),
        (&["--set", "dt_ms=-0.1"], "(0, 10]"),
        (&["--model", "nope"], "known models"),
        (&["--connectivity", "X-Y"], "E-E"),
    ];
    for (args, needle) in cases {
        let mut full = vec!["simulate", "--out", "out"];
        full.extend_from_slice(args);
        let out = brunel(&full, &d);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: one line expected, got {err}"
        );
        assert!(err.contains(needle), "{args:?}: `{needle}` not in {err}");
        assert!(
            !d.join("out").exists(),
            "{args:?}: output written despite the error"
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn extension_raises_the_excitatory_rate() {
    let d = scratch("ext");
    let mut off = 0.0;
    let mut on = 0.0;
    for seed in ["1", "2", "3"] {
        assert!(brunel(&["simulate", "--seed", seed, "--out", "off"], &d)
            .status
            .success());
        assert!(brunel(
            &[
                "simulate",
                "--seed",
                seed,
                "--set",
                "ext_rate_hz=50",
                "--out",
                "on"
            ],
            &d
        )
        .status
        .success());
        off += summary(&d.join("off"))["measures"]["populations"][0]["rate_hz"]
            .as_f64()
            .unwrap();
        on += summary(&d.join("on"))["measures"]["populations"][0]["rate_hz"]
            .as_f64()
            .unwrap();
    }
    assert!(
        on > off * 1.4,
        "E rate with extension {on:.1} vs without {off:.1} (sums over 3 seeds)"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn models_params_and_theory_print_what_they_promise() {
    let d = scratch("info");
    let out = String::from_utf8(brunel(&["models"], &d).stdout).unwrap();
    assert!(out.contains("tutorial") && out.contains("brunel"));
    let out = String::from_utf8(brunel(&["params", "brunel"], &d).stdout).unwrap();
    for name in [
        "N_E",
        "N_I",
        "epsilon",
        "J",
        "g",
        "eta",
        "D_ms",
        "V_r",
        "tau_rp_ms",
        "warmup_ms",
    ] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing from params"
        );
    }
    let out = String::from_utf8(brunel(&["theory", "--set", "g=5", "--set", "eta=2"], &d).stdout)
        .unwrap();
    assert!(out.contains("37.9"), "{out}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn slurm_writes_a_job_array_script_and_refuses_a_limit_shorter_than_the_stop_signal() {
    let d = scratch("slurmscript");
    std::fs::write(d.join("s.toml"), small_sweep("arr", 2, 2, 1, 200.0, 400)).unwrap();
    let out = brunel(
        &[
            "slurm",
            "s.toml",
            "--shards",
            "4",
            "--cpus-per-task",
            "2",
            "--time",
            "01:00:00",
            "--partition",
            "short",
            "--out",
            "o",
        ],
        &d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sbatch") && stdout.contains("merge"),
        "{stdout}"
    );
    let script = std::fs::read_to_string(d.join("o/slurm/arr.sbatch")).unwrap();
    for needle in [
        "#SBATCH --array=0-3",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --time=01:00:00",
        "#SBATCH --partition=short",
        "#SBATCH --signal=B:TERM@180",
        "--shard \"${SLURM_ARRAY_TASK_ID}/4\"",
        "logs/%A_%a.out",
    ] {
        assert!(script.contains(needle), "`{needle}` missing from\n{script}");
    }
    let out = brunel(
        &[
            "slurm", "s.toml", "--shards", "4", "--time", "00:04:00", "--out", "o2",
        ],
        &d,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--signal-before-s"),
        "{}",
        stderr(&out)
    );
    assert!(!d.join("o2").exists());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn plot_redraws_a_simulate_folder_from_its_spike_file() {
    let d = scratch("plotsim");
    let out = brunel(
        &[
            "simulate",
            "--model",
            "brunel",
            "--set",
            "N_E=800",
            "--set",
            "N_I=200",
            "--set",
            "epsilon=0.2",
            "--duration-ms",
            "400",
            "--out",
            "s",
        ],
        &d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let raster = d.join("s/raster.png");
    let fig8 = d.join("s/fig8.png");
    std::fs::remove_file(&raster).unwrap();
    std::fs::remove_file(&fig8).unwrap();
    let out = brunel(&["plot", "s"], &d);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(raster.metadata().unwrap().len() > 1000 && fig8.metadata().unwrap().len() > 1000);
    // The spike file reads back into the same spikes the summary counted.
    let rec = brunel::store::spikes::read_spikes(&d.join("s/spikes.parquet")).unwrap();
    let s = summary(&d.join("s"));
    let n: usize = rec.spikes.iter().map(|p| p.steps.len()).sum();
    assert!(n > 0);
    assert_eq!(rec.spikes.iter().map(|p| p.size).sum::<usize>(), 1000);
    assert_eq!(rec.n_steps as f64 * rec.dt_ms, 400.0);
    assert!(s["measures"].is_object());
    // spectrum.png beside them, and the theory's state with its spectrum's peak (or null
    // where a mode grows) in the summary.
    assert!(d.join("s/spectrum.png").metadata().unwrap().len() > 1000);
    let st = &s["theory"]["stability"];
    assert!(st["regime"].is_string(), "{st}");
    let peak = &st["peak"];
    assert!(
        peak.is_null() || peak["power"].as_f64().unwrap() > 1.0,
        "{peak}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn theory_json_gives_brunels_table_1_and_a_label_everywhere() {
    let d = scratch("theoryjson");
    let json = |sets: &[&str]| -> serde_json::Value {
        let mut args = vec!["theory", "--json"];
        for s in sets {
            args.extend(["--set", s]);
        }
        let out = brunel(&args, &d);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Brunel (2000) Table 1, point B: unstable at ≈ 190 Hz (tolerance 2 Hz).
    let b = json(&["g=6", "eta=4"]);
    assert_eq!(b["regime"], "SI-fast");
    assert!((b["rates_hz"][0].as_f64().unwrap() - 55.8).abs() < 0.1);
    let lead = &b["eigenvalues"][0];
    assert!(lead["growth_per_s"].as_f64().unwrap() > 0.0);
    assert!(
        (lead["frequency_hz"].as_f64().unwrap() - 190.0).abs() < 2.0,
        "{lead}"
    );
    // Point C is stable; no drive at all is quiescent (and answers at once).
    assert_eq!(json(&["g=5", "eta=2"])["regime"], "AI");
    assert_eq!(json(&["eta=0"])["regime"], "quiescent");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn sweep_rows_carry_the_theory_label_and_leading_mode() {
    let d = scratch("theoryrows");
    std::fs::write(
        d.join("p.toml"),
        "name = \"p\"\nmodel = \"brunel\"\nseed = 1\nduration_ms = 300\nwarmup_ms = 100\n[fixed]\nN_E = 2500\nN_I = 625\nepsilon = 0.4\nv_sample_n = 0\n[[point]]\ng = 6\neta = 4\n[[point]]\ng = 5\neta = 2\n",
    )
    .unwrap();
    let out = brunel(&["sweep", "p.toml", "--out", "p", "--no-plots"], &d);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = rows(&d.join("p"));
    use brunel::sweep::row::Value;
    let s = |r: &brunel::sweep::row::Row, c: &str| match r.get(c) {
        Some(Value::Str(x)) => x.clone(),
        other => panic!("{c}: {other:?}"),
    };
    let f = |r: &brunel::sweep::row::Row, c: &str| match r.get(c) {
        Some(Value::F64(x)) => *x,
        other => panic!("{c}: {other:?}"),
    };
    // C_E = 1000 and J as at full scale: the theory is Brunel's.
    assert_eq!(s(&rows[0], "theory_regime"), "SI-fast");
    assert!((f(&rows[0], "theory_osc_hz") - 190.0).abs() < 2.0);
    assert!(f(&rows[0], "theory_growth_per_s") > 0.0);
    assert_eq!(s(&rows[1], "theory_regime"), "AI");
    assert!(f(&rows[1], "theory_growth_per_s") < 0.0);
    assert_eq!(s(&rows[1], "theory_note"), "");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_theory_builds_no_network_so_network_sizes_do_not_limit_it() {
    // Issue 20 #16: `theory --boundaries --set D_ms=1e6` was refused because "the network
    // needs 1000.4 GB", though the theory builds no network.
    let d = scratch("theory-big");
    let o = brunel(&["theory", "--set", "D_ms=1e6", "--json"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = brunel(
        &[
            "theory",
            "--boundaries",
            "--set",
            "D_ms=1e6",
            "--g",
            "3:5",
            "--eta",
            "1:2",
            "--out",
            "th",
        ],
        &d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("th/phase_diagram.png").exists());
    // Values the theory cannot use are still refused.
    let o = brunel(&["theory", "--set", "D_ms=-1"], &d);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&d).unwrap();
}
