#!/usr/bin/env bash
# Side-by-side speed benchmark of Brunel (2000) model A: brunel vs NEST vs Brian2.
#
# For each (g, eta) point and each of --repeat repetitions, runs in turn (so the
# simulators alternate and share any drift of the machine's load):
#   brunel  simulate --model brunel --set g=G --set eta=E --set v_sample_n=0 --seed S
#   NEST    bench/nest_brunel.py   (1 thread)
#   Brian2  bench/brian2_brunel.py (cpp_standalone, openmp_threads = 0, fresh build
#           directory per run, so every run compiles; --brian2-schedule nest runs
#           it with NEST's step order, see brian2_brunel.py)
# each under `/usr/bin/time -v` (whole-process wall time, peak RSS of the process
# and of its waited-for children: for Brian2 the largest of python, the compiler
# and the generated binary).
#
# Prints, per point and simulator, medians over repetitions of: whole-process wall
# time, simulation-loop time (brunel: "simulate"; NEST: nest.Simulate; Brian2:
# the main loop timed inside the binary), network build time (brunel: "build";
# NEST: Create + Connect; Brian2: numpy draw + synapse set-up inside the binary),
# Brian2's code generation + compile time, peak RSS, recurrent synaptic events per
# second of loop time (NEST: estimated from spike counts x mean out-degree), E
# rate and E CV; and the ratios peer/brunel of the medians of loop time, wall
# time and RSS. All raw numbers go to --out (JSON; CSV if the name ends .csv).
#
# Usage:
#   bench/peers.sh [--points "5 2;3 2"] [--repeat 3] [--seed 1] [--sims "brunel nest brian2"]
#                  [--ne N --ni N] [--sim-ms T] [--brian2-schedule brian2|nest]
#                  [--out FILE] [--workdir DIR]
#   e.g. a quick check:  bench/peers.sh --repeat 1 --ne 2000 --ni 500 --sim-ms 300
#
# Environment: BRUNEL_BIN (default $CARGO_TARGET_DIR/release/brunel, else
# $HOME/.cache/brunel/target/release/brunel), BRUNEL_VENV (see setup-venv.sh).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

POINTS="5 2"
REPEAT=3
SEED=1
SIMS="brunel nest brian2"
NE=""
NI=""
SIM_MS=""
OUT=""
WORKDIR=""
B2_SCHEDULE="brian2"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --points) POINTS="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --sims) SIMS="$2"; shift 2 ;;
        --ne) NE="$2"; shift 2 ;;
        --ni) NI="$2"; shift 2 ;;
        --sim-ms) SIM_MS="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --workdir) WORKDIR="$2"; shift 2 ;;
        --brian2-schedule) B2_SCHEDULE="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "peers.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --repeat must be a positive integer" >&2; exit 2; }
[[ "$SEED" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --seed must be a positive integer" >&2; exit 2; }
case "$B2_SCHEDULE" in brian2|nest) ;; *) echo "peers.sh: --brian2-schedule must be brian2 or nest" >&2; exit 2 ;; esac
for s in $SIMS; do
    case "$s" in brunel|nest|brian2) ;; *) echo "peers.sh: unknown simulator '$s' in --sims" >&2; exit 2 ;; esac
done
{ [ -z "$NE" ] || [[ "$NE" =~ ^[1-9][0-9]*$ ]]; } || { echo "peers.sh: --ne must be a positive integer" >&2; exit 2; }
{ [ -z "$NI" ] || [[ "$NI" =~ ^[1-9][0-9]*$ ]]; } || { echo "peers.sh: --ni must be a positive integer" >&2; exit 2; }

# /usr/bin/time (Debian package `time`).
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "peers.sh: installing /usr/bin/time (apt package 'time')" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2 \
            || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2; }
    fi
    [ -x /usr/bin/time ] || { echo "peers.sh: /usr/bin/time missing; install the Debian package 'time'" >&2; exit 1; }
fi

# The brunel binary.
if [ -z "${BRUNEL_BIN:-}" ]; then
    if [ -n "${CARGO_TARGET_DIR:-}" ]; then
        BRUNEL_BIN="$CARGO_TARGET_DIR/release/brunel"
    else
        BRUNEL_BIN="$HOME/.cache/brunel/target/release/brunel"
    fi
fi
if [[ " $SIMS " == *" brunel "* ]] && [ ! -x "$BRUNEL_BIN" ]; then
    echo "peers.sh: no brunel binary at $BRUNEL_BIN (cargo build --release, or set BRUNEL_BIN)" >&2
    exit 1
fi

# The venv, set up only if it cannot import nest and brian2.
VENV="${BRUNEL_VENV:-$HOME/.cache/brunel/venv}"
if ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import nest, brian2, numpy" >/dev/null 2>&1; }; then
    VENV="$(bash "$HERE/setup-venv.sh")"
fi
PY="$VENV/bin/python"
export PYNEST_QUIET=1

STAMP="$(date +%Y%m%d-%H%M%S)"
[ -n "$OUT" ] || OUT="$ROOT/results/peers/peers-$STAMP.json"
mkdir -p "$(dirname "$OUT")"
TMP_WORKDIR=0
if [ -z "$WORKDIR" ]; then
    WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/brunel-peers.XXXXXX")"
    TMP_WORKDIR=1
fi
mkdir -p "$WORKDIR"
RUNS="$WORKDIR/runs.tsv"   # one line per run: sim g eta rep seed exit dir
: > "$RUNS"

SIZE_BRUNEL=()
SIZE_PY=()
[ -n "$NE" ] && { SIZE_BRUNEL+=(--set "N_E=$NE"); SIZE_PY+=(--ne "$NE"); }
[ -n "$NI" ] && { SIZE_BRUNEL+=(--set "N_I=$NI"); SIZE_PY+=(--ni "$NI"); }
[ -n "$SIM_MS" ] && { SIZE_BRUNEL+=(--set "duration_ms=$SIM_MS"); SIZE_PY+=(--sim-ms "$SIM_MS"); }

IFS=';' read -r -a POINT_LIST <<< "$POINTS"
n_runs=0
n_failed=0
for rep in $(seq 1 "$REPEAT"); do
    for pt in "${POINT_LIST[@]}"; do
        read -r G ETA EXTRA <<< "$pt" || true
        if [ -z "${G:-}" ] || [ -z "${ETA:-}" ] || [ -n "${EXTRA:-}" ]; then
            echo "peers.sh: bad point '$pt' in --points (expected 'G ETA;G ETA;...')" >&2
            exit 2
        fi
        for sim in $SIMS; do
            dir="$WORKDIR/$sim-g$G-eta$ETA-rep$rep"
            mkdir -p "$dir"
            case "$sim" in
                brunel) cmd=("$BRUNEL_BIN" simulate --model brunel --set "g=$G" --set "eta=$ETA"
                             --set v_sample_n=0 "${SIZE_BRUNEL[@]}" --seed "$SEED" --out "$dir/out") ;;
                nest)   cmd=("$PY" "$HERE/nest_brunel.py" --g "$G" --eta "$ETA" --seed "$SEED"
                             --threads 1 "${SIZE_PY[@]}" --json "$dir/result.json") ;;
                brian2) cmd=("$PY" "$HERE/brian2_brunel.py" --g "$G" --eta "$ETA" --seed "$SEED"
                             --threads 1 --target cpp_standalone --schedule "$B2_SCHEDULE" "${SIZE_PY[@]}" --json "$dir/result.json") ;;
            esac
            printf '%s\n' "${cmd[*]}" > "$dir/cmd"
            echo "peers.sh: [rep $rep/$REPEAT] $sim g=$G eta=$ETA ..." >&2
            rc=0
            /usr/bin/time -v -o "$dir/time.txt" "${cmd[@]}" > "$dir/stdout" 2> "$dir/stderr" || rc=$?
            if [ "$rc" != 0 ]; then
                echo "peers.sh: $sim g=$G eta=$ETA rep $rep failed (exit $rc); see $dir/stderr:" >&2
                tail -5 "$dir/stderr" >&2 || true
                n_failed=$((n_failed + 1))
            fi
            # brunel's spikes/plots are not needed for the numbers; its summary.json is.
            if [ "$sim" = brunel ]; then
                cp "$dir/out/summary.json" "$dir/summary.json" 2>/dev/null || true
                rm -rf "$dir/out"
            fi
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sim" "$G" "$ETA" "$rep" "$SEED" "$rc" "$dir" >> "$RUNS"
            n_runs=$((n_runs + 1))
        done
    done
done

"$PY" - "$RUNS" "$OUT" "$BRUNEL_BIN" "$POINTS" "$REPEAT" "$NE" "$NI" "$SIM_MS" "$B2_SCHEDULE" <<'PYEOF'
import csv, datetime, json, math, os, platform, re, statistics, sys

runs_file, out, brunel_bin, points, repeat, ne, ni, sim_ms, b2_schedule = sys.argv[1:10]


def parse_time_v(path):
    d = {}
    try:
        text = open(path).read()
    except OSError:
        return d
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    if m:
        parts = [float(x) for x in m.group(1).split(":")]
        s = 0.0
        for p in parts:
            s = 60 * s + p
        d["wall_s"] = s
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        d["maxrss_mb"] = int(m.group(1)) / 1024
    m = re.search(r"User time \(seconds\): (\S+)", text)
    if m:
        d["user_s"] = float(m.group(1))
    m = re.search(r"System time \(seconds\): (\S+)", text)
    if m:
        d["sys_s"] = float(m.group(1))
    return d


def parse_brunel(path, summary_path):
    """The terminal output (2-decimal timings), refined by summary.json when present."""
    d = {}
    text = open(path).read()
    m = re.search(r"build ([\d.]+) s, simulate ([\d.]+) s, analyse ([\d.]+) s; (\d+) synapses, (\d+) synaptic events", text)
    if m:
        d.update(build_s=float(m.group(1)), loop_s=float(m.group(2)), analyse_s=float(m.group(3)),
                 synapses=int(m.group(4)), events=int(m.group(5)))
    for pop in ("E", "I"):
        m = re.search(rf"^{pop}\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)", text, re.M)
        if m:
            d[f"rate_{pop}"] = float(m.group(3))
            d[f"cv_{pop}"] = float(m.group(4))  # "NaN" parses to nan
    try:
        js = json.load(open(summary_path))
    except (OSError, ValueError):
        return d
    t = js.get("timings_s", {})
    for key, name in (("build_s", "build_s"), ("loop_s", "simulate_s"), ("analyse_s", "analyse_s")):
        if name in t:
            d[key] = t[name]
    w = js.get("work", {})
    if "synaptic_events" in w:
        d["events"] = w["synaptic_events"]
    for p in js.get("measures", {}).get("populations", []):
        if p.get("name") in ("E", "I"):
            d[f"rate_{p['name']}"] = p["rate_hz"]
            d[f"cv_{p['name']}"] = float("nan") if p["cv_isi"] is None else p["cv_isi"]
    return d


def parse_peer(path, sim):
    r = json.load(open(path))
    t = r["timings_s"]
    d = {}
    for pop in ("E", "I"):
        p = r["populations"][pop]
        d[f"rate_{pop}"] = p["rate_hz"]
        d[f"cv_{pop}"] = float("nan") if p["cv_isi"] is None else p["cv_isi"]
    d["synapses"] = r["synapses"]
    if sim == "nest":
        d.update(loop_s=t["simulate"], build_s=t["create"] + t["connect"],
                 events=r["synaptic_events_est"], events_estimated=True)
    else:
        d.update(loop_s=t["main_loop"], build_s=t["draw_connectivity"] + t["binary_setup"],
                 compile_s=t["codegen"] + t["make"], events=r["synaptic_events"])
    return d


runs = []
for line in open(runs_file):
    sim, g, eta, rep, seed, rc, d = line.rstrip("\n").split("\t")
    rec = {"sim": sim, "g": float(g), "eta": float(eta), "rep": int(rep), "seed": int(seed),
           "exit": int(rc), "cmd": open(os.path.join(d, "cmd")).read().strip()}
    rec.update(parse_time_v(os.path.join(d, "time.txt")))
    try:
        if sim == "brunel":
            rec.update(parse_brunel(os.path.join(d, "stdout"), os.path.join(d, "summary.json")))
        else:
            rec.update(parse_peer(os.path.join(d, "result.json"), sim))
    except (OSError, ValueError, KeyError) as e:
        rec["parse_error"] = str(e)
    if rec.get("events") and rec.get("loop_s"):
        rec["events_per_s"] = rec["events"] / rec["loop_s"]
    runs.append(rec)

FIELDS = ["wall_s", "loop_s", "build_s", "compile_s", "maxrss_mb", "events_per_s",
          "rate_E", "cv_E", "rate_I", "cv_I"]


def median(vals):
    vals = [v for v in vals if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(vals) if vals else None


summary = []
keys = []
for r in runs:
    k = (r["g"], r["eta"], r["sim"])
    if k not in keys:
        keys.append(k)
for g, eta, sim in keys:
    rs = [r for r in runs if (r["g"], r["eta"], r["sim"]) == (g, eta, sim) and r["exit"] == 0]
    s = {"g": g, "eta": eta, "sim": sim, "n": len(rs)}
    for f in FIELDS:
        s[f] = median([r.get(f) for r in rs])
    summary.append(s)
for s in summary:
    base = next((b for b in summary if (b["g"], b["eta"], b["sim"]) == (s["g"], s["eta"], "brunel")), None)
    for f in ("loop_s", "wall_s", "maxrss_mb"):
        ok = base is not None and s[f] is not None and base[f]
        s[f"ratio_{f}"] = s[f] / base[f] if ok else None


def clean(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return x


if out.endswith(".csv"):
    cols = ["sim", "g", "eta", "rep", "seed", "exit", "wall_s", "user_s", "sys_s", "maxrss_mb",
            "loop_s", "build_s", "compile_s", "synapses", "events", "events_per_s",
            "rate_E", "cv_E", "rate_I", "cv_I", "cmd"]
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in runs:
            w.writerow(clean(r))
else:
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": platform.node(), "cpus": os.cpu_count(), "brunel_bin": brunel_bin,
            "points": points, "repeat": int(repeat), "ne": ne or None, "ni": ni or None,
            "sim_ms": sim_ms or None, "brian2_schedule": b2_schedule}
    with open(out, "w") as f:
        json.dump(clean({"meta": meta, "runs": runs, "summary": summary}), f, indent=2)
        f.write("\n")
def fmt(v, p=2):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{p}f}"


print(f"medians over {repeat} repetition(s); seed {runs[0]['seed'] if runs else '-'}"
      + (f"; N_E={ne}" if ne else "") + (f" N_I={ni}" if ni else "")
      + (f"; {sim_ms} ms" if sim_ms else ""))
hdr = (f"{'g':>5} {'eta':>5} {'sim':<7} {'n':>2} {'wall s':>8} {'loop s':>8} {'build s':>8} "
       f"{'compile':>8} {'RSS MB':>8} {'Mev/s':>8} {'E Hz':>7} {'CV E':>6} "
       f"{'loop/br':>8} {'wall/br':>8} {'RSS/br':>7}")
print(hdr)
for s in summary:
    ev = s["events_per_s"]
    evs = "-" if ev is None else (("~" if s["sim"] == "nest" else "") + f"{ev / 1e6:.1f}")
    print(f"{s['g']:>5g} {s['eta']:>5g} {s['sim']:<7} {s['n']:>2} {fmt(s['wall_s']):>8} "
          f"{fmt(s['loop_s']):>8} {fmt(s['build_s']):>8} {fmt(s['compile_s']):>8} "
          f"{fmt(s['maxrss_mb'], 0):>8} {evs:>8} {fmt(s['rate_E'], 2):>7} {fmt(s['cv_E'], 3):>6} "
          f"{fmt(s['ratio_loop_s']):>8} {fmt(s['ratio_wall_s']):>8} {fmt(s['ratio_maxrss_mb']):>7}")
failed = [r for r in runs if r["exit"] != 0]
if failed:
    print(f"{len(failed)} run(s) failed: " + ", ".join(f"{r['sim']} g={r['g']} eta={r['eta']} rep {r['rep']}" for r in failed))
print("loop: brunel 'simulate', NEST nest.Simulate, Brian2 main loop inside the binary; "
      "build: brunel 'build', NEST Create+Connect, Brian2 numpy draw + set-up in the binary; "
      "compile: Brian2 codegen + make; Mev/s: recurrent synaptic events per loop second (~ = estimate)")


print(f"raw numbers: {out}")
PYEOF

if [ "$TMP_WORKDIR" = 1 ] && [ "$n_failed" = 0 ]; then
    rm -rf "$WORKDIR"
else
    echo "peers.sh: per-run logs in $WORKDIR" >&2
fi
if [ "$n_failed" != 0 ]; then
    echo "peers.sh: $n_failed of $n_runs runs failed" >&2
    exit 1
fi
