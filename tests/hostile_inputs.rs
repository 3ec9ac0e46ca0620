//! The catalogue of bad input (issue 9): every case must be refused with a non-zero exit and
//! one `error:` line that names the file, field or parameter and what was expected; no panic
//! text; and nothing in the working folder — including an earlier sweep's results — changes.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A hostile invocation: the definition file it needs (if any), the arguments, and words the
/// error line must contain.
struct Case {
    what: &'static str,
    definition: Option<String>,
    args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
    expect: Vec<&'static str>,
}

fn case(what: &'static str, args: &[&str], expect: &[&'static str]) -> Case {
    Case {
        what,
        definition: None,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: vec![],
        expect: expect.to_vec(),
    }
}

/// `brunel sweep x.toml --out out` on a definition.
fn def_case(what: &'static str, toml: String, expect: &[&'static str]) -> Case {
    Case {
        what,
        definition: Some(toml),
        args: ["sweep", "x.toml", "--out", "out", "--no-plots"]
            .map(String::from)
            .to_vec(),
        env: vec![],
        expect: expect.to_vec(),
    }
}

/// `brunel ARGS` with a definition written to x.toml first.
fn def_args_case(what: &'static str, toml: String, args: &[&str], expect: &[&'static str]) -> Case {
    Case {
        definition: Some(toml),
        ..case(what, args, expect)
    }
}

const BASE: &str = "name = \"h\"\nmodel = \"brunel\"\nseed = 1\nduration_ms = 300\nwarmup_ms = 100\n[fixed]\nN_E = 400\nN_I = 100\nepsilon = 0.2\n[[axis]]\nparam = \"g\"\nvalues = [4, 5]\n[[axis]]\nparam = \"eta\"\nvalues = [1, 2]\n";

fn base_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), b"<dir>".to_vec());
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// BASE refined one level.
fn adaptive_with(refine: &str) -> String {
    format!("{BASE}[refine]\nlevels = 1\n{refine}")
}

fn cases() -> Vec<Case> {
    let big_grid = format!(
        "name = \"h\"\nmodel = \"brunel\"\nseed = 1\n[[axis]]\nparam = \"g\"\nlinspace = {{ start = 0, stop = 8, num = 1000 }}\n[[axis]]\nparam = \"eta\"\nlinspace = {{ start = 0, stop = 4, num = 1000 }}\n"
    );
    vec![
        // --- sweep definitions ---
        def_case("TOML syntax", "name = \"h\"\nmodel = \"brunel\"\nseed = [".into(), &["x.toml:3", "TOML"]),
        def_case("empty file", String::new(), &["x.toml", "name"]),
        def_case("binary garbage", "\u{0}\u{1}\u{2}garbage\u{7f}".into(), &["x.toml", "TOML"]),
        def_case("unknown model", base_with("\"brunel\"", "\"nest\""), &["x.toml:2", "model", "tutorial"]),
        def_case("unknown axis parameter", base_with("\"g\"", "\"gg\""), &["axis[0]", "unknown parameter"]),
        def_case("empty axis", base_with("[4, 5]", "[]"), &["axis[0]", "no values"]),
        def_case("NaN axis value", base_with("[4, 5]", "[4, nan]"), &["axis[0]", "out of range"]),
        def_case("infinite axis value", base_with("[4, 5]", "[4, inf]"), &["axis[0]", "out of range"]),
        def_case("negative g", base_with("[4, 5]", "[4, -5]"), &["axis[0]", "[0, inf)"]),
        def_case("duplicate axis values", base_with("[4, 5]", "[4, 5, 4.0]"), &["axis[0]", "appears twice"]),
        def_case("a facet on a swept parameter", format!("{BASE}[[axis]]\nparam = \"g\"\nvalues = [6]\n"), &["axis[2] (g)", "already swept"]),
        def_case("a facet with no values", format!("{BASE}[[axis]]\nparam = \"D_ms\"\nvalues = []\n"), &["axis[2]", "no values"]),
        def_case("grouped lengths differ", format!("{BASE}[[axis]]\nparams = [\"N_E\", \"N_I\"]\nvalues = [[400, 100], [800]]\n"), &["axis[2] (N_E, N_I).values[1]", "expected 2"]),
        def_case("NaN in a grouped axis", format!("{BASE}[[axis]]\nparams = [\"N_E\", \"N_I\"]\nvalues = [[400, nan]]\n"), &["axis[2] (N_E, N_I)", "out of range"]),
        def_case("grouped parameters on the map", base_with("param = \"g\"", "params = [\"g\", \"J\"]"), &["axis[0].params", "facet"]),
        def_case("a grouped axis from linspace", format!("{BASE}[[axis]]\nparams = [\"N_E\"]\nlinspace = {{ start = 400, stop = 800, num = 3 }}\n"), &["axis[2] (N_E)", "not linspace"]),
        def_case("a million facets", format!("{BASE}[[axis]]\nparam = \"D_ms\"\nlinspace = {{ start = 1, stop = 5, num = 1000 }}\n[[axis]]\nparam = \"J\"\nlinspace = {{ start = 0.1, stop = 0.2, num = 1000 }}\n"), &["runs", "--max-runs"]),
        def_case("refining a facet axis", format!("{BASE}[[axis]]\nparam = \"D_ms\"\nvalues = [1.5, 3]\n[refine]\nlevels = 1\naxes = [\"g\", \"D_ms\"]\n"), &["refine.axes", "facet axis"]),
        def_case("linspace num 1e9", base_with("values = [4, 5]", "linspace = { start = 0, stop = 8, num = 1000000000 }"), &["linspace.num", "1000000"]),
        def_case("linspace num 0", base_with("values = [4, 5]", "linspace = { start = 0, stop = 8, num = 0 }"), &["linspace.num"]),
        def_case("arange with a tiny step", base_with("values = [4, 5]", "arange = { start = 0, stop = 8, step = 1e-12 }"), &["arange", "at most"]),
        def_case("arange with a zero step", base_with("values = [4, 5]", "arange = { start = 0, stop = 8, step = 0 }"), &["arange.step"]),
        def_case("arange to infinity", base_with("values = [4, 5]", "arange = { start = 0, stop = inf, step = 1 }"), &["arange", "finite"]),
        def_case("two ways of giving values", base_with("values = [4, 5]", "values = [4]\nlinspace = { start = 0, stop = 1, num = 2 }"), &["axis[0]", "exactly one"]),
        def_case("a million-point grid", big_grid, &["1000000 runs", "--max-runs"]),
        def_case("a million replicates", base_with("seed = 1", "seed = 1\nreplicates = 1000000"), &["runs", "--max-runs"]),
        def_case("zero replicates", base_with("seed = 1", "seed = 1\nreplicates = 0"), &["replicates", "1 to 1000000"]),
        def_case("negative seed", base_with("seed = 1", "seed = -1"), &["seed", ">= 0"]),
        def_case("seed too large for TOML", base_with("seed = 1", "seed = 99999999999999999999"), &["x.toml:3", "TOML"]),
        def_case("negative duration", base_with("duration_ms = 300", "duration_ms = -300"), &["duration_ms", "(0, 1000000000]"]),
        def_case("warm-up longer than the run", base_with("warmup_ms = 100", "warmup_ms = 400"), &["warm"]),
        def_case("fixed value out of range", base_with("epsilon = 0.2", "epsilon = 2"), &["fixed.epsilon", "(0, 1]"]),
        def_case("unknown fixed parameter", base_with("N_I = 100", "N_X = 100"), &["fixed.N_X", "unknown parameter"]),
        def_case("unknown top-level key", base_with("seed = 1", "seed = 1\ncolour = 1"), &["colour"]),
        def_case("folder name escaping results", base_with("name = \"h\"", "name = \"../evil\""), &["name", "folder name"]),
        def_case("eta = 1e20 (Poisson mean per step)", base_with("[1, 2]", "[1, 1e20]"), &["x.toml:10", "eta=1000", "ext_E", "spikes per source and step"]),
        def_case("N_E = 1e8 (memory)", base_with("N_E = 400", "N_E = 100000000"), &["GB", "N_E"]),
        def_case("dt longer than the delay", base_with("N_I = 100", "N_I = 100\ndt_ms = 10"), &["dt_ms", "delay"]),
        def_case("unknown heatmap column", format!("{BASE}[plots]\nheatmaps = [\"rate_hz\", \"nope\"]\n"), &["plots.heatmaps", "`nope`", "rate_hz"]),
        def_case("text column as heatmap", format!("{BASE}[plots]\nheatmaps = [\"regime\"]\n"), &["plots.heatmaps", "numeric"]),
        def_case("backwards figure window", format!("{BASE}[plots]\nfig8_window_ms = [5, 1]\n"), &["fig8_window_ms"]),
        def_case("zero Fano bin", format!("{BASE}[analysis]\nfano_bin_ms = 0\n"), &["analysis.fano_bin_ms", "(0,"]),
        def_case("NaN classifier threshold", format!("{BASE}[classifier]\nsi_min_fano = nan\n"), &["classifier.si_min_fano", "finite"]),
        def_case("a classifier key replaced by regular_max_cv (issue 17)", format!("{BASE}[classifier]\nsr_max_cv = 0.2\n"), &["sr_max_cv", "regular_max_cv"]),
        def_case("NaN regularity threshold", format!("{BASE}[classifier]\nregular_max_cv = nan\n"), &["classifier.regular_max_cv", "finite"]),
        def_case("unknown analysis key", format!("{BASE}[analysis]\nbins = 3\n"), &["bins"]),
        def_case("keep_spikes of an unswept parameter", format!("{BASE}[[keep_spikes]]\nJ = 0.1\n"), &["keep_spikes[0].J", "swept"]),
        def_case("three parameters per point", "name = \"h\"\nmodel = \"brunel\"\nseed = 1\n[[point]]\ng = 3\neta = 2\nJ = 0.1\n".into(), &["point[0]", "at most two"]),
        def_case("a repeated point", "name = \"h\"\nmodel = \"brunel\"\nseed = 1\n[[point]]\ng = 3\neta = 2\n[[point]]\ng = 3.0\neta = 2\n".into(), &["point[1]", "repeats point[0]"]),
        def_case("points with different parameters", "name = \"h\"\nmodel = \"brunel\"\nseed = 1\n[[point]]\ng = 3\neta = 2\n[[point]]\ng = 4\nJ = 0.2\n".into(), &["point[1]", "same parameters"]),
        def_case("axis and point together", format!("{BASE}[[point]]\ng = 3\neta = 2\n"), &["point", "not both"]),
        def_case("no axis at all", "name = \"h\"\nmodel = \"brunel\"\nseed = 1\n".into(), &["axis", "at least one"]),
        // --- issue 20: [refine] on, kept points, names ---
        def_case("refining on a timing column", adaptive_with("on = \"wall_s\"\ntolerance = 0.01\n"), &["refine.on", "`wall_s` is not a measure"]),
        def_case("refining on build_s", adaptive_with("on = \"build_s\"\ntolerance = 1\n"), &["refine.on", "`build_s` is not a measure"]),
        def_case("refining on the seed", adaptive_with("on = \"seed\"\ntolerance = 1\n"), &["refine.on", "`seed` is not a measure"]),
        def_case("refining on the point number", adaptive_with("on = \"point\"\ntolerance = 1\n"), &["refine.on", "`point` is not a measure"]),
        def_case("refining on the level", adaptive_with("on = \"level\"\ntolerance = 1\n"), &["refine.on", "`level` is not a measure"]),
        def_case("refining on a swept parameter", adaptive_with("on = \"g\"\ntolerance = 1\n"), &["refine.on", "`g` is not a measure"]),
        def_case("refining on a misspelt regime", adaptive_with("on = \"Regime\"\n"), &["refine.on", "did you mean `regime`?"]),
        def_case("refining on a misspelt column", adaptive_with("on = \"rate_Hz\"\ntolerance = 1\n"), &["refine.on", "did you mean `rate_hz`?"]),
        def_case("refining on a number without tolerance", adaptive_with("on = \"rate_hz\"\n"), &["refine.tolerance", "relative_tolerance"]),
        def_case("refining with a NaN tolerance", adaptive_with("on = \"rate_hz\"\ntolerance = nan\n"), &["refine.tolerance", "finite"]),
        def_case("refining nine levels", base_with("values = [1, 2]", "values = [1, 2]\n[refine]\nlevels = 9"), &["refine.levels", "from 1 to 8"]),
        def_case("a kept point off the grid (issue 20 #18)", format!("{BASE}[[keep_spikes]]\ng = 2.3\neta = 1\n"), &["keep_spikes[0]", "g=2.3", "no point of this sweep", "nearest point is eta=1, g=4"]),
        def_case("a kept value off one axis", format!("{BASE}[[keep_spikes]]\neta = 1.5\n"), &["keep_spikes[0]", "eta=1.5", "nearest point is eta=1"]),
        def_case("a second kept point off the grid", format!("{BASE}[[keep_spikes]]\ng = 4\n[[keep_spikes]]\ng = 40\n"), &["keep_spikes[1]", "g=40", "nearest point is g=5"]),
        def_case("a NaN kept point", format!("{BASE}[[keep_spikes]]\ng = nan\n"), &["keep_spikes[0]", "no point of this sweep"]),
        def_case("a kept point not in the point list", "name = \"h\"\nmodel = \"brunel\"\nseed = 1\n[[point]]\ng = 3\neta = 2\n[[point]]\ng = 4.5\neta = 0.9\n[[keep_spikes]]\ng = 3\neta = 0.9\n".into(), &["keep_spikes[0]", "no point of this sweep", "nearest point is eta=0.9, g=4.5"]),
        def_case("a kept step that no grouped facet has", format!("{BASE}[[axis]]\nparams = [\"N_E\", \"N_I\"]\nvalues = [[400, 100], [800, 200]]\n[[keep_spikes]]\nN_E = 400\nN_I = 200\n"), &["keep_spikes[0]", "N_E=400", "no point of this sweep"]),
        def_case("a kept value of a refining sweep off its lattice", adaptive_with("[[keep_spikes]]\ng = 4.25\n"), &["keep_spikes[0]", "g=4.25", "nearest point is g=4"]),
        def_case("a name with a newline", base_with("name = \"h\"", "name = \"h\\nerror: fake\""), &["name", "h\\nerror: fake"]),
        def_case("a name with a bell character", base_with("name = \"h\"", "name = \"h\\u0007\""), &["name", "h\\u{7}"]),
        def_case("a description with a newline and a bad model", base_with("\"brunel\"", "\"bru\\nnel\""), &["model", "bru\\nnel"]),
        // --- issue 20: levels, shards, compare ---
        def_args_case("--level of a sweep that does not refine", BASE.into(), &["sweep", "x.toml", "--out", "out", "--level", "1"], &["--level", "[refine]"]),
        def_args_case("--level beyond the refinement", adaptive_with(""), &["sweep", "x.toml", "--out", "out", "--level", "2"], &["--level 2", "0 to 1"]),
        def_args_case("--level 4294967295", adaptive_with(""), &["sweep", "x.toml", "--out", "out", "--level", "4294967295"], &["--level 4294967295"]),
        case("compare of two networks (issue 20 #9)", &["compare", "keep", "net2"], &["keep and net2", "different networks", "duration_ms: 300 vs 5000", "N_E: 400 vs 800"]),
        case("compare with a missing folder", &["compare", "keep", "nowhere"], &["nowhere", "no definition.toml"]),
        case("compare of a sweep that does not refine", &["compare", "keep", "keep"], &["not an adaptive sweep"]),
        // --- files and folders ---
        case("missing definition file", &["sweep", "nope.toml"], &["nope.toml", "cannot read"]),
        case("a folder as definition", &["sweep", "keep"], &["keep", "cannot read"]),
        case("a different definition into an existing folder", &["sweep", "other.toml", "--out", "keep"], &["keep", "different sweep definition", "--out"]),
        case("merge of a non-results folder", &["merge", "."], &["no definition.toml"]),
        case("plot of a missing folder", &["plot", "nowhere"], &["nowhere", "no definition.toml"]),
        // --- sweep options ---
        case("zero threads", &["sweep", "other.toml", "--threads", "0"], &["--threads", "at least 1"]),
        case("a hundred thousand threads", &["sweep", "other.toml", "--threads", "100000"], &["--threads 100000", "at most", "cores"]),
        Case {
            what: "a hundred thousand SLURM CPUs",
            definition: None,
            args: ["sweep", "other.toml", "--out", "slurmout"].map(String::from).to_vec(),
            env: vec![("SLURM_CPUS_PER_TASK", "100000")],
            expect: vec!["SLURM_CPUS_PER_TASK = 100000", "--threads"],
        },
        case("shard index past count", &["sweep", "other.toml", "--shard", "3/2"], &["3/2"]),
        case("malformed shard", &["sweep", "other.toml", "--shard", "x"], &["`x`"]),
        case("zero flush interval", &["sweep", "other.toml", "--flush-every-s", "0"], &["--flush-every-s", "> 0"]),
        case("NaN flush interval", &["sweep", "other.toml", "--flush-every-s", "nan"], &["--flush-every-s"]),
        Case {
            what: "garbage SLURM array id",
            definition: None,
            args: ["sweep", "other.toml", "--out", "slurmout"].map(String::from).to_vec(),
            env: vec![("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "2")],
            expect: vec!["SLURM_ARRAY_TASK_ID"],
        },
        case("progress every infinity", &["sweep", "other.toml", "--progress-every-s", "inf"], &["--progress-every-s"]),
        case("no run allowed", &["sweep", "other.toml", "--max-runs", "0"], &["runs", "--max-runs"]),
        case("shard of zero", &["sweep", "other.toml", "--shard", "0/0"], &["0/0"]),
        case("slurm with no shards", &["slurm", "other.toml", "--shards", "0"], &["--shards"]),
        case("slurm with a hundred thousand CPUs", &["slurm", "other.toml", "--shards", "1", "--cpus-per-task", "100000"], &["--cpus-per-task"]),
        case("slurm with a garbage time", &["slurm", "other.toml", "--shards", "1", "--time", "soon"], &["--time", "soon"]),
        case("slurm with a garbage memory", &["slurm", "other.toml", "--shards", "1", "--mem", "5X"], &["--mem", "5X"]),
        case("slurm signal longer than the limit", &["slurm", "other.toml", "--shards", "1", "--signal-before-s", "4294967295"], &["--signal-before-s"]),
        // --- simulate / theory / bench ---
        case("theory with a NaN regularity threshold", &["theory", "--regular-max-cv", "nan"], &["--regular-max-cv"]),
        case("theory range without --boundaries", &["theory", "--g", "0:8"], &["--boundaries"]),
        case("theory with a backwards g range", &["theory", "--boundaries", "--g", "5:1", "--out", "th"], &["--g", "lower bound 5", "below"]),
        case("bench of zero threads", &["bench", "--sweep", "0"], &["--sweep"]),
        case("simulate with a garbage window", &["simulate", "--window-ms", "abc"], &["--window-ms"]),
        case("eta = 1e20", &["simulate", "--model", "brunel", "--set", "eta=1e20"], &["ext_E", "spikes per source and step"]),
        case("tau_m = 1e-300", &["simulate", "--model", "brunel", "--set", "tau_m_ms=1e-300"], &["ext_E", "spikes per source and step"]),
        case("tutorial input 1e25 Hz", &["simulate", "--model", "tutorial", "--set", "input_rate_hz=1e25"], &["spikes per source and step"]),
        case("tutorial extension 1e25 Hz", &["simulate", "--model", "tutorial", "--set", "ext_rate_hz=1e25"], &["spikes per source and step"]),
        case("N_E = 1e8", &["simulate", "--model", "brunel", "--set", "N_E=1e8"], &["GB", "N_E"]),
        case("dt 1e-9 over a long run", &["simulate", "--model", "brunel", "--set", "dt_ms=1e-9", "--set", "duration_ms=1000"], &["dt_ms"]),
        case("dt longer than the delay", &["simulate", "--model", "brunel", "--set", "dt_ms=10"], &["dt_ms", "delay"]),
        case("negative duration", &["simulate", "--duration-ms", "-300"], &["duration_ms", "-300", "out of range"]),
        case("NaN parameter", &["simulate", "--set", "tau_m_ms=nan"], &["tau_m_ms", "out of range"]),
        case("unknown parameter", &["simulate", "--set", "foo=1"], &["`foo`", "known"]),
        case("not an assignment", &["simulate", "--set", "g"], &["`g`", "name=value"]),
        case("unparsable value", &["simulate", "--model", "brunel", "--set", "g=five"], &["`g`", "five"]),
        case("unknown model", &["simulate", "--model", "nope"], &["nope", "tutorial"]),
        case("unknown projection", &["simulate", "--connectivity", "X-Y"], &["--connectivity", "X-Y"]),
        case("backwards window", &["simulate", "--model", "brunel", "--window-ms", "500:100"], &["--window-ms", "START < END"]),
        case("output under a file", &["simulate", "--out", "afile/sub"], &["afile/sub"]),
        case("params of an unknown model", &["params", "nope"], &["nope"]),
        case("theory with negative eta", &["theory", "--set", "eta=-1"], &["eta", "out of range"]),
        case("bench of an unknown network", &["bench", "--network", "foo"], &["--network", "tutorial"]),
        case("bench with zero repeats", &["bench", "--repeat", "0"], &["--repeat"]),
        case("bench with negative duration", &["bench", "--duration-ms", "-5"], &["--duration-ms", "out of range"]),
        case("bench of an unknown parameter", &["bench", "--set", "foo=1"], &["--set", "`foo`"]),
        case("bench --set with --sweep", &["bench", "--set", "g=3", "--sweep", "1"], &["--set", "--sweep"]),
        case("bench --set of the tutorial", &["bench", "--network", "tutorial", "--set", "g=3"], &["--set", "tutorial"]),
    ]
}

#[test]
fn every_hostile_input_is_refused_cleanly_and_changes_nothing() {
    let d = scratch("hostile");
    // An earlier sweep's results that no refusal may touch.
    std::fs::write(d.join("other.toml"), base_with("seed = 1", "seed = 2")).unwrap();
    std::fs::write(d.join("keep.toml"), BASE).unwrap();
    let out = brunel(&["sweep", "keep.toml", "--out", "keep", "--no-plots"], &d);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(d.join("afile"), "a file, not a folder").unwrap();
    // A folder holding only the definition of another network and window (for compare).
    std::fs::create_dir_all(d.join("net2")).unwrap();
    std::fs::write(
        d.join("net2/definition.toml"),
        base_with("duration_ms = 300", "duration_ms = 5000").replace("N_E = 400", "N_E = 800"),
    )
    .unwrap();

    let cases = cases();
    assert!(
        cases.len() >= 100,
        "the catalogue holds {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for c in &cases {
        if let Some(t) = &c.definition {
            std::fs::write(d.join("x.toml"), t).unwrap();
        }
        let before = snapshot(&d);
        let args: Vec<&str> = c.args.iter().map(|s| s.as_str()).collect();
        let mut cmd = std::process::Command::new(bin());
        cmd.args(&args).current_dir(&d);
        for (k, v) in &c.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut problems = Vec::new();
        if out.status.success() {
            problems.push("exit status 0".to_string());
        }
        if err.contains("panicked")
            || err.contains("backtrace")
            || err.contains("memory allocation")
        {
            problems.push("panic or abort text".into());
        }
        if lines.len() != 1 || !lines[0].starts_with("error:") {
            problems.push(format!(
                "expected one `error:` line, got {} lines",
                lines.len()
            ));
        }
        for w in &c.expect {
            if !err.contains(w) {
                problems.push(format!("does not mention `{w}`"));
            }
        }
        if snapshot(&d) != before {
            problems.push("files changed".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} — stderr: {}",
                c.what,
                problems.join(", "),
                err.trim()
            ));
        }
        let _ = std::fs::remove_file(d.join("x.toml"));
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile inputs were not refused cleanly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    std::fs::remove_dir_all(&d).unwrap();
}
